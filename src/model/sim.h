/*
 * sim.h: the replay engine. One pass over a trace drives N strategy stacks at once.
 *
 * Re-timing (DESIGN.md section 3): events are taken in trace order. For each CPU, the think
 * time before a DMA event is the recorded gap since that CPU's previous DMA event, less what
 * the recording machine spent inside it on the DMA path: the TCE hypercalls seen in the gap
 * (hcall_entry/exit pairs) and, when the scenario names the strategy the trace was recorded
 * under (sim.recorded_with), that strategy's modelled non-hypercall costs. Negative think
 * times are clamped to 0 and counted. The simulated start of an event is the later of the
 * CPU's clock plus the think time and its dependencies (an unmap or sync waits for its map's
 * simulated end plus the recorded device time between them; a free waits for its alloc);
 * its end adds the cost of the strategy's actions, including waits for shared resources
 * (locks) that other CPUs hold. Resources are calendars of busy intervals, so a request is
 * served in simulated-time order even when trace order differs. Memory grows with live
 * mappings, never with trace length.
 *
 * Orphans: an unmap/unmap_sg/free/sync whose map is not in the trace (the trace started
 * mid-flight or lost events) is counted and skipped; mappings live at the end are counted.
 * sg lists whose segments the kernel merged (ents < nents) get inferred input lengths:
 * see sg_infer() in sim.c and the uncertainty it reports.
 */
#ifndef ISM_SIM_H
#define ISM_SIM_H

#include <stdint.h>

#include "event.h"
#include "scenario.h"
#include "strategy.h"

struct reader;

#define SIM_HIST_BUCKETS 64

/* Log-linear latency histogram (ns): 8 sub-buckets per power of two. */
struct lat_hist {
	uint64_t count;
	double sum_ns;
	double max_ns;
	uint64_t b[64 * 8];
};
void lat_add(struct lat_hist *h, double ns);
double lat_percentile(const struct lat_hist *h, double p);

#define SIM_MAX_OPS 16
#define SIM_MAX_PHASES 64

struct phase_time {
	char name[48];
	double rec_start_ns, sim_start_ns;
	double rec_end_ns;            /* its end marker (sim.phase_end_marker), when has_end */
	int has_end;
};

/* Predicted vs recorded TCE hypercalls (fidelity). */
struct fidelity {
	uint64_t events_checked;      /* DMA events whose prediction was compared */
	uint64_t events_mismatched;
	uint64_t mismatched_inferred; /* of which map_sg/unmap_sg lists with inferred lengths */
	uint64_t matched[3], missing[3], extra[3]; /* by opcode: PUT_TCE, PUT_TCE_INDIRECT, STUFF */
	uint64_t setup_pred[3];       /* setup model's prediction */
	uint64_t ex_pos[5];           /* first mismatching events: reader positions */
	char ex_what[5][160];
	unsigned nex;
};

/*
 * Predicted vs recorded IOMMU work (run --check-iommu): per DMA event, the iommu:map /
 * iommu:unmap events (count and bytes) and the IOTLB invalidations recorded on its CPU since
 * the CPU's previous DMA event (after it for unmap_sg and free, traced before their work),
 * against what the stack's IOMMU layer did for it. Flush-queue timer flushes run outside DMA
 * events: compared in total. Invalidations are compared from the point the trace records them.
 */
enum { IFID_MAP, IFID_MAP_BYTES, IFID_UNMAP, IFID_UNMAP_BYTES, IFID_INV_RANGE, IFID_INV_FULL,
       IFID_INV_MAP, IFID_SLOTS };
struct iommu_fidelity {
	int active;                   /* a layer of the stack reports IOMMU counts */
	uint64_t events_checked, events_mismatched;
	uint64_t pred[IFID_SLOTS], matched[IFID_SLOTS], missing[IFID_SLOTS], extra[IFID_SLOTS];
	uint64_t pred_timer;          /* the model's timer flushes, once invalidations are traced */
	uint64_t inv_untraced;        /* predicted invalidations before the trace records them */
	uint64_t ex_pos[5];
	char ex_what[5][160];
	unsigned nex;
};

/* One statistic of a layer of the stack, from the strategy's registry (strategy.h). */
struct sim_stat {
	const struct strat_stat *def;
	const char *layer;            /* the strategy's name */
	double value;
};
#define SIM_MAX_STATS 32

struct sim_result {
	char spec[96];
	const struct strategy_ops *top;  /* the stack's first layer */
	unsigned flags;
	/* time */
	double setup_ns;              /* boot work: table clears, DDW creation, pool sharing */
	double setup_cat_ns[CAT__COUNT];
	double cat_ns[CAT__COUNT];    /* per-event work by category (incl. setup) */
	double boot_cat_ns[CAT__COUNT]; /* cat_ns at the boot end (all of it without a marker) */
	double end_ns;                /* simulated time of the last event (max over CPUs) */
	double boot_ns;               /* simulated boot time (start .. boot end) + setup */
	double run_ns;                /* simulated span after boot (for throughput) */
	double dev_ns;                /* device translation time added */
	/* hypercalls etc. */
	struct op_stat ops[SIM_MAX_OPS];
	unsigned nops;
	struct op_stat setup_ops[SIM_MAX_OPS];
	unsigned nsetup_ops;
	uint64_t maps, unmaps, map_failures;
	uint64_t invalidations;       /* IOTLB invalidations (ACT_INVAL), setup included */
	struct sim_stat stats[SIM_MAX_STATS]; /* every layer's registered statistics, at the end */
	unsigned nstats;
	struct lat_hist map_lat, unmap_lat;
	struct strat_pressure pr;
	double phase_sim_ns[SIM_MAX_PHASES];
	double phase_sim_end_ns[SIM_MAX_PHASES]; /* at the phase's end marker (has_end) */
	struct fidelity fid;
	struct iommu_fidelity ifid;
};

/* Trace-side (recorded) figures, the same for every strategy. */
struct sim_recorded {
	uint64_t events, dma_events;
	double start_ns, end_ns, boot_end_ns;
	int have_boot_end;
	double boot_ns, run_ns;
	uint64_t bytes[5];            /* mapped bytes by direction */
	uint64_t tce_hcalls[3];       /* H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE seen */
	double tce_hcall_ns;          /* their total entry->exit time */
	uint64_t think_clamps;
	double clamped_ns;
	uint64_t orphans, live_at_end, lost_events, unknown_kinds;
	/* timestamps earlier than the previous event's on that CPU, and timestamps 0 (recorded
	 * before the trace clock started): replayed in trace order; the first one's position */
	uint64_t ts_inversions, zero_timestamps;
	uint64_t first_inversion_pos, first_zero_pos;
	uint64_t sg_lists, sg_inferred_lists, sg_inferred_segments;
	uint64_t sg_put_tce_min, sg_put_tce_max; /* H_PUT_TCE count range over inferred lists */
	uint64_t bounces;             /* swiotlb_bounced events */
	/* IOMMU events (iommu_map, iommu_unmap, iotlb_inv), by IFID_* slot */
	uint64_t iommu[IFID_SLOTS];
	uint64_t inv_timer;           /* whole-domain flushes not right after an unmap, in softirq */
	uint64_t inv_other;           /* ... outside softirq and not after an unmap (domain setup) */
	int inv_traced;               /* invalidations recorded: from the first or a late-events note */
	double inv_from_ns;           /* since when */
	int hcalls_traced;
	struct phase_time phases[SIM_MAX_PHASES];
	unsigned nphases;
	int boot_in_trace;            /* boot work charged (sim.boot_in_trace) */
	/* dependencies inferred across CPUs and through the device (iommusim(1), RE-TIMING) */
	uint64_t deps_marker;         /* markers after DMA work or a marker on another CPU */
	uint64_t deps_after_marker;   /* a CPU's first DMA event after another CPU's marker */
	uint64_t deps_device_later;   /* unmaps after a later map of the device on the map's CPU */
	uint64_t deps_device_own;     /* unmaps after their own map */
	uint64_t deps_device_marker;  /* of these: anchored at a marker recorded since the map */
	uint64_t deps_completion;     /* maps after their device's unmap on another CPU */
};

struct sim;

/*
 * Phase @k's duration: from its start marker to its end marker, else to the next phase's
 * start (the last: to the end of the run); recorded, and as simulated in @res.
 */
double sim_phase_recorded_ns(const struct sim_recorded *r, unsigned k);
double sim_phase_simulated_ns(const struct sim_recorded *r, const struct sim_result *res,
			      unsigned k);

/* @specs: strategy specs (strategy.h). Returns NULL with *cause on a bad spec or scenario. */
struct sim *sim_new(const struct scenario *sc, char *const *specs, unsigned nspecs, char **cause);
/*
 * The same, pipelined over @jobs threads (0: one per CPU online; at most @nspecs + 1): each
 * event's recorded side (counts, think time, dependencies, the device's recorded time) is
 * prepared once, into blocks of events, and each block is replayed through every run while
 * the next one is prepared; threads claim the runs one at a time. Results are the same as
 * sim_new()'s for any @jobs. With one thread, an observer (sim_observe()) or the IOMMU
 * check, events go through the runs one at a time, as with sim_new().
 */
struct sim *sim_new_jobs(const struct scenario *sc, char *const *specs, unsigned nspecs,
			 unsigned jobs, char **cause);
/* Feed one event; @pos is its reader position (for fidelity examples). */
void sim_event(struct sim *sim, const struct ism_event *ev, uint64_t pos);
void sim_finish(struct sim *sim);
void sim_free(struct sim *sim);
/*
 * The device names of the trace being replayed (reader_dev_name()), for strategies that pick
 * devices by name: @fn(@arg, id) gives the name of device @id or NULL. sim_dev_name(): NULL
 * when no names were given or @id is 0 (no device).
 */
typedef const char *(*sim_dev_name_fn)(const void *arg, unsigned id);
void sim_set_dev_names(struct sim *sim, sim_dev_name_fn fn, const void *arg);
const char *sim_dev_name(const struct sim *sim, unsigned id);
unsigned sim_count(const struct sim *sim);
const struct sim_result *sim_result(const struct sim *sim, unsigned i);
const struct sim_recorded *sim_recorded(const struct sim *sim);
/* Ask for the per-event checks against the recording: SIM_CHECK_* bits. */
enum { SIM_CHECK_HCALLS = 1, SIM_CHECK_IOMMU = 2 };
void sim_check_hcalls(struct sim *sim, int on);
/*
 * Collect run @run's hypercall samples into @fit (hcfit.h) while replaying (before the first
 * event). Such a replay is for the samples and the recorded figures only: the runs' actions
 * are what the samples compare with the recorded calls, their time is not computed (the
 * results' times are zero) and the recorded strategy's hidden instance, which only re-times,
 * is not replayed.
 */
struct hcfit;
void sim_fit_hcalls(struct sim *sim, unsigned run, struct hcfit *fit);

/*
 * An observer of the simulated run (the timeline and the time-series figures): optional, off
 * by default, it only watches. Times are simulated ns from the trace start on the strategy's
 * timeline (recorded times: ns from the trace start). Calls come in simulation order: a DMA
 * operation's actions, then the operation.
 * @action: an action of strategy @run on @cpu costed from @t for @ns of CPU time (@setup: the
 *          strategy's boot work, before the first event).
 * @op:     a DMA operation of @run (@ev as recorded) done, simulated [@begin, @end) on ev->cpu.
 * @marker: a phase marker (@name) or the boot end (@boot) at recorded time @rec_t; each run's
 *          simulated clock is sim_clock().
 */
struct action;
struct sim_observer {
	void *arg;
	/* called by sim_observe() with the simulator being observed */
	void (*attach)(void *arg, const struct sim *sim);
	void (*action)(void *arg, unsigned run, unsigned cpu, const struct action *a, double t,
		       double ns, int setup);
	void (*op)(void *arg, unsigned run, const struct ism_event *ev, double begin, double end,
		   int failed);
	void (*marker)(void *arg, const char *name, int boot, double rec_t);
	/* the hcall check: DMA event at reader position @pos of @run mismatched (one line) */
	void (*mismatch)(void *arg, unsigned run, uint64_t pos, const char *text);
};
/* Attach @obs (copied; NULL detaches) before the first event. */
void sim_observe(struct sim *sim, const struct sim_observer *obs);
/* Run @i's simulated clock now: where every CPU's work so far is done. */
double sim_clock(const struct sim *sim, unsigned i);
/* Run @i's strategy state now (window and pool in use, bytes shared) into @out. */
void sim_pressure_now(const struct sim *sim, unsigned i, struct strat_pressure *out);

#endif
