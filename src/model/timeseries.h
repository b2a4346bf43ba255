/*
 * timeseries.h: what each strategy does over the simulated run, in bounded memory, for the
 * iowatcher-style figures of a report: DMA maps per second, hypercalls per second, swiotlb
 * slots in use, window entries in use and bytes shared with the hypervisor. TS_BUCKETS
 * buckets from simulated time 0; when an event falls past the last one, the width doubles
 * and pairs merge (rates add, levels keep their peak), so the buckets always cover the run.
 */
#ifndef ISM_TIMESERIES_H
#define ISM_TIMESERIES_H

#include <stdint.h>

#include "sim.h"

#define TS_BUCKETS 400

#define TS_SERIES(X)                                                                   \
	X(MAPS, "maps_per_s", "DMA maps per second", 1)                                   \
	X(HCALLS, "hcalls_per_s", "hypercalls per second", 1)                              \
	X(POOL, "pool_slots", "swiotlb slots in use", 0)                                   \
	X(WINDOW, "window_entries", "window entries (TCEs) in use", 0)                     \
	X(SHARED, "shared_bytes", "bytes shared with the hypervisor", 0)

enum ts_series {
#define TS_ENUM(id, key, label, rate) TS_##id,
	TS_SERIES(TS_ENUM)
#undef TS_ENUM
	TS__COUNT
};

struct ts_run {
	double v[TS__COUNT][TS_BUCKETS];       /* rates: events in the bucket; levels: peak */
	uint8_t touched[TS__COUNT][TS_BUCKETS];/* a level changed (or was seen) in the bucket */
	double last[TS__COUNT][TS_BUCKETS];    /* levels: the level after the bucket's last event */
};

struct timeseries {
	const struct sim *sim;
	struct ts_run *runs;
	unsigned nruns;
	double width_ns;          /* bucket width */
	double end_ns;            /* the latest simulated time seen */
};

/* Prepare for @nruns strategies and fill @obs to feed it; attach with sim_observe(). */
void ts_init(struct timeseries *ts, unsigned nruns, struct sim_observer *obs);
void ts_free(struct timeseries *ts);
/* The series' key ("maps_per_s"), label, and whether it is a rate (else a level). */
const char *ts_key(unsigned series);
const char *ts_label(unsigned series);
int ts_is_rate(unsigned series);
/* Buckets in use (up to the last simulated time seen). */
unsigned ts_buckets(const struct timeseries *ts);
/* Run @run's value of @series in bucket @b: a rate per second, or the level's peak. */
double ts_value(const struct timeseries *ts, unsigned run, unsigned series, unsigned b);
/* Whether run @run's @series is 0 throughout. */
int ts_all_zero(const struct timeseries *ts, unsigned run, unsigned series);

#endif
