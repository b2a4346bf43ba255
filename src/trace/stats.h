/*
 * stats.h: what `iommusim stats` measures over one trace. Filled event by event (memory is
 * bounded by the number of CPUs, devices, opcodes and phases, never by trace length), then
 * rendered as text or JSON by stats_print_text()/stats_to_json().
 */
#ifndef ISM_STATS_H
#define ISM_STATS_H

#include <stdio.h>
#include <stdint.h>

#include <jansson.h>

#include "event.h"

struct reader;
struct detect;

#include "schema.h"
#define STATS_SCHEMA_VERSION SCHEMA_STATS
#define STATS_MAX_MARKERS 20

/* Counts by hypercall opcode (small open-addressing table). */
struct op_count {
	uint64_t opcode;
	uint64_t entries;   /* hcall_entry events */
	uint64_t exits;     /* hcall_exit events */
	uint64_t paired;    /* entry/exit pairs on one CPU */
	uint64_t total_ns;  /* sum of paired durations */
	uint64_t max_ns;
	uint64_t failed;    /* exits with retval != 0 */
	int used;
};

struct op_table {
	struct op_count *slots;
	unsigned cap, n;
};

struct stats_dev {
	uint64_t kind[ISM_EV__COUNT];
	uint64_t map_bytes[5];  /* by enum ism_dir: bytes mapped (map + map_sg) */
	uint64_t bounce_bytes;
};

struct stats_cpu {
	uint64_t events;
	uint64_t last_ts;
	uint64_t hcall_op;      /* pending hcall_entry */
	uint64_t hcall_ts;
	int hcall_pending;
};

struct stats_phase {
	char *name;
	uint64_t start_ns, end_ns;
	uint64_t events;
	uint64_t kind[ISM_EV__COUNT];
	uint64_t map_bytes;
	struct op_table ops;
};

struct stats_marker {
	uint64_t ts_ns;
	char *text;
};

struct ism_stats {
	uint64_t events;
	uint64_t first_ts, last_ts;
	int have_ts;
	uint64_t kind[ISM_EV__COUNT];
	struct stats_dev *devs;   /* indexed by device id */
	unsigned ndevs;
	struct stats_cpu *cpus;   /* indexed by cpu */
	unsigned ncpus;
	uint64_t size_hist[65];   /* map sizes: bucket b holds sizes in [2^(b-1), 2^b) ; 0 in 0 */
	uint64_t map_bytes[5];
	uint64_t sg_entries_in, sg_entries_out, sg_truncated;
	struct op_table ops;
	uint64_t bounces, bounce_bytes, bounces_forced;
	uint64_t lost_events, lost_reports, lost_unknown;
	uint64_t markers;
	struct stats_marker marker[STATS_MAX_MARKERS];
	unsigned nmarker;
	struct stats_phase *phases;
	unsigned nphases;
	struct detect *det;       /* the recorded strategy's evidence (detect.h) */
};

void stats_init(struct ism_stats *s);
void stats_free(struct ism_stats *s);
void stats_add(struct ism_stats *s, const struct ism_event *ev);
/* Text report (100 columns) / JSON object for one trace. */
void stats_print_text(const struct ism_stats *s, const struct reader *r, FILE *out);
json_t *stats_to_json(const struct ism_stats *s, const struct reader *r);

/* op_table helpers, shared with per-phase tables. */
struct op_count *op_table_get(struct op_table *t, uint64_t opcode);
void op_table_free(struct op_table *t);
/* Entries sorted by opcode (caller frees the array). */
struct op_count **op_table_sorted(const struct op_table *t, unsigned *n);
/* "H_PUT_TCE" or "hcall_1234" into @buf. */
const char *hcall_label(uint64_t opcode, char *buf, size_t len);

#endif
