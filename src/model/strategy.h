/*
 * strategy.h: DMA-mapping strategies. A strategy decides WHAT a DMA operation costs (which
 * hypercalls with how many entries, ultracalls, copies, allocator work, lock holds), never
 * HOW LONG: it appends actions to an action buffer and the cost model (cost.c) turns them
 * into nanoseconds. Because actions are separate from costs, hypercall counts can be checked
 * against real traces exactly and cost sweeps are cheap.
 *
 * Strategies stack: a bounce layer (swiotlb) hands the bounce slot to the translation layer
 * below it (ddw, window32, direct-tce, indirect-tce) through strat_map_next(). Every layer
 * keys its per-mapping state by the RECORDED DMA address of the mapping (struct dma_req.key),
 * so unmaps find their maps whatever addresses the simulated layer hands out.
 *
 * Adding a strategy (HACKING): a file strategy-NAME.c with a `const struct strategy_ops` (copy
 * strategy-template.c), one line in strategy_table[] (strategy.c) and its extern below, one
 * line in Makefile.am, a STRATEGIES entry in iommusim(1) and its parameters in
 * iommusim-scenario(5). Shared resources: resource.h.
 */
#ifndef ISM_STRATEGY_H
#define ISM_STRATEGY_H

#include <stdint.h>
#include <stdio.h>

#include "action.h"
#include "check.h"
#include "event.h"
#include "scenario.h"

/* ---- requests ----------------------------------------------------------------------- */

struct dma_seg {
	uint64_t phys;   /* input: buffer physical address; after a bounce layer: the slot */
	uint64_t len;
};

struct dma_req {
	unsigned cpu;
	uint16_t dev;
	uint8_t dir;       /* enum ism_dir */
	uint8_t coherent;  /* dma_alloc/dma_free */
	uint32_t attrs;
	uint64_t key;      /* recorded DMA address (sg: first input phys) identifying the mapping */
	uint64_t phys;     /* single map: buffer physical address */
	uint64_t size;     /* bytes */
	struct dma_seg *segs; /* map_sg: input segments (lengths possibly inferred) */
	unsigned nsegs;
	uint64_t ts_ns;    /* simulated time of the request (exposure integrals) */
};

/* ---- strategies ---------------------------------------------------------------------- */

struct strat;
struct sim;

/* Strategy flags. */
enum {
	STRAT_BOUNCE = 1 << 0,    /* a bounce layer: takes an inner translation layer */
	STRAT_PROTECTED = 1 << 1, /* models a protected VM (exposure is meaningful) */
};

/*
 * Bytes shared with the hypervisor over simulated time, in bounded memory: EXPO_BUCKETS buckets
 * of width_ns each, from time 0. When a change falls past the last bucket, the width doubles and
 * pairs of buckets merge, so the buckets always cover the whole run (for the exposure figure).
 */
#define EXPO_BUCKETS 256
struct expo_timeline {
	uint64_t width_ns;                 /* bucket width; 0 until the first change */
	uint64_t peak[EXPO_BUCKETS];       /* highest level within the bucket */
	uint64_t last[EXPO_BUCKETS];       /* level after the bucket's last change */
	uint64_t used[EXPO_BUCKETS / 64];  /* bit set: the level changed within the bucket */
};
/* Level of @tl during bucket @b: its peak, or the level carried from an earlier bucket. */
uint64_t expo_timeline_level(const struct expo_timeline *tl, unsigned b);

/* Per-strategy figures for reports, filled by ->report(). */
struct strat_pressure {
	const char *window_name;     /* "window32 (4 KiB TCEs)", NULL if none */
	uint64_t window_entries, window_peak, window_failures, window_reserved;
	uint64_t window_used;         /* entries in use now (excluding reserved) */
	uint64_t window_entry_bytes;
	uint64_t pool_slots, pool_peak, pool_failures, pool_bytes;
	uint64_t pool_used;           /* slots in use now */
	uint64_t bounces, bounced_bytes, copied_bytes;
	uint64_t pool_splits;         /* maps over the bounce limit, split */
	uint64_t tces_written, tces_cleared;
	uint64_t shared_bytes_now, shared_bytes_peak; /* exposed to the hypervisor */
	uint64_t shared_outside_pool_peak;
	double shared_byte_seconds;   /* integral of shared bytes over simulated time */
	uint64_t shared_last_ns;      /* when shared_bytes_now last changed */
	uint64_t shared_outside_now;
	uint64_t share_calls, unshare_calls;
	uint64_t ddw_direct, ddw_indirect, ddw_fallbacks;
	struct expo_timeline tl;      /* shared_bytes_now over simulated time */
};

/*
 * A strategy's statistic (the registry renderers, JSON and regress iterate): its name with its
 * unit ("shared_pages_peak"), the unit, which way is better, one line of help.
 */
enum { STAT_LOWER_BETTER = -1, STAT_NEUTRAL = 0, STAT_HIGHER_BETTER = 1 };
struct strat_stat {
	const char *name;
	const char *unit;
	int better;       /* STAT_*: what regress calls a regression */
	const char *help;
};
#define STRAT_MAX_STATS 16

/*
 * What an IOMMU layer has done so far (cumulative), for the check against the trace's
 * iommu:map / iommu:unmap and IOTLB invalidation events (run --check-iommu).
 */
struct strat_iommu_counts {
	uint64_t maps, map_bytes;      /* iommu_map() calls: one iommu:map event each */
	uint64_t unmaps, unmap_bytes;  /* iommu_unmap() calls: one iommu:unmap event each */
	uint64_t inv_range;            /* range invalidations at unmap (strict: iotlb_sync) */
	uint64_t inv_full;             /* whole-domain flushes of a full flush queue */
	uint64_t inv_map;              /* range invalidations at map (VT-d caching mode) */
	uint64_t inv_timer;            /* whole-domain flushes of the flush-queue timer */
};

struct param;

/*
 * struct strategy_ops - one strategy.
 * @name/@summary: for -S and `iommusim list strategies`.
 * @variants: NULL-terminated allowed ":variant" names, the first is the default; NULL = none.
 * @flags: STRAT_*.
 * @priv_size: bytes of private state allocated for each instance (zeroed).
 * @params/@params_size: the strategy's own parameters (param.h rows, offsets into an option
 *          structure of @params_size bytes that each instance gets filled in s->opts before
 *          @init: defaults, then the scenario's "strategy": {"NAME": {...}}, then --set
 *          strategy.NAME.KEY=VALUE); NULL = none. As fio's .options/.option_struct_size.
 * @stats/@stat_values: the statistics registry: rows ended by a NULL name, and the hook that
 *          writes their current values (values[i] for stats[i]) at the end of a run.
 * @init: set up state for the scenario (parse variant already done: s->variant).
 * @setup: boot work (table clears, DDW creation, pool sharing) into @a.
 * @map, @map_sg, @alloc: return 0, or -1 when the mapping fails (window/pool full).
 * @unmap, @unmap_sg, @free, @sync_cpu, @sync_dev: release / copy.
 * @marker: a trace_marker (@text) at @rq's CPU and time (rq->ts_ns): work it makes into @a,
 *          charged at the marker (tdisp's T=0 -> T=1 switch). Top layer only.
 * @report: fill pressure figures.
 * @fini: free private state.
 * @iommu_counts: an IOMMU layer's cumulative counts (the --check-iommu comparison); NULL if none.
 * @check: a check of the run against the recording (check.h: --check-hcalls), NULL if none:
 *          the engine uses the first a stack of the run has, else the first of the table.
 * @arches: the machine.arch values the strategy belongs to, space-separated ("x86 arm64"):
 *          `compare` replays it by default on such a machine; NULL = every architecture.
 * Hooks may be NULL where the strategy does nothing (passthrough).
 */
struct strategy_ops {
	const char *name;
	const char *summary;
	const char *const *variants;
	unsigned flags;
	size_t priv_size;
	const struct param *params;
	size_t params_size;
	const struct strat_stat *stats;
	void (*stat_values)(struct strat *s, double *values);
	int (*init)(struct strat *s, char **cause);
	void (*setup)(struct strat *s, struct actbuf *a);
	int (*map)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	int (*map_sg)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	int (*alloc)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	void (*unmap)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	void (*unmap_sg)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	void (*free)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	void (*sync_cpu)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	void (*sync_dev)(struct strat *s, struct dma_req *rq, struct actbuf *a);
	void (*marker)(struct strat *s, struct dma_req *rq, const char *text, struct actbuf *a);
	void (*report)(struct strat *s, struct strat_pressure *p);
	void (*fini)(struct strat *s);
	void (*iommu_counts)(struct strat *s, struct strat_iommu_counts *c);
	const struct strat_check *check;
	const char *arches;
};

/* One instance in a run: ops + variant + private state + the layer below. */
struct strat {
	const struct strategy_ops *ops;
	const char *variant;
	const struct scenario *sc;
	struct sim *sim;
	unsigned index;         /* which strategy of the run (resource namespace) */
	void *priv;
	void *opts;             /* the option structure params[] describes (NULL without) */
	struct strat *next;     /* inner translation layer (bounce layers only) */
	struct scenario *own_sc;/* a composition's machine overrides (e.g. "svm"), owned */
};

extern const struct strategy_ops *const strategy_table[];
const struct strategy_ops *strategy_find(const char *name);
/* @o belongs on machine.arch @arch (its @arches names it, or is NULL). */
int strategy_on_arch(const struct strategy_ops *o, const char *arch);
/* Named compositions ("svm"): NULL after the last. */
const char *strategy_alias(unsigned i, const char **spec, const char **summary);
/*
 * Check a NULL-terminated table: names (unique, no ':' '+' ','), variants (unique, none empty),
 * required hooks. Returns 0 or -1 with *cause. strategy_check() checks strategy_table[].
 */
int strategy_check_table(const struct strategy_ops *const *table, char **cause);
int strategy_check(char **cause);

/*
 * Build a stack from a spec "NAME[:VARIANT][+NAME[:VARIANT]]" (e.g. "swiotlb+ddw",
 * "indirect-tce:share-per-call", "svm"). Returns NULL with *cause on a bad spec.
 */
struct strat *strat_new(const char *spec, const struct scenario *sc, struct sim *sim,
			unsigned index, char **cause);
void strat_free(struct strat *s);
const char *strat_spec(const struct strat *s, char *buf, size_t len);

/* Calls into the next layer (no-ops when there is none). */
int strat_map_next(struct strat *s, struct dma_req *rq, struct actbuf *a);
int strat_map_sg_next(struct strat *s, struct dma_req *rq, struct actbuf *a);
void strat_unmap_next(struct strat *s, struct dma_req *rq, struct actbuf *a);
void strat_unmap_sg_next(struct strat *s, struct dma_req *rq, struct actbuf *a);

/* Exposure bookkeeping: bytes shared with the hypervisor change at simulated time @ts. */
void strat_share(struct strat_pressure *p, uint64_t bytes, int outside_pool, uint64_t ts_ns);
void strat_unshare(struct strat_pressure *p, uint64_t bytes, int outside_pool, uint64_t ts_ns);

/* Effective machine features after the kernel's own rules (secure VM clears PUT_TCE_IND). */
int machine_put_tce_indirect(const struct scenario *sc);
int machine_force_bounce(const struct scenario *sc);


/* ---- strategies' parameters (strategy-params.c) ---------------------------------------- */

/*
 * Check the scenario's strategy.NAME.KEY parameters (file and --set) against every
 * strategy's params[]: 0, or -ISM_E* with *@cause "FILE:LINE:COL: strategy.NAME.KEY: ...".
 */
int strategy_params_check(const struct scenario *sc, char **cause);
/* Fill s->opts for @s (strat_new does it before ->init); 0 or -ISM_E* with *@cause. */
int strat_options(struct strat *s, char **cause);
void strat_options_free(struct strat *s);
/* `iommusim list params`: every strategy.NAME.KEY row. */
void strategy_print_params(FILE *out, int verbose);
/* The @i-th strategy.NAME.KEY path (malloc'd), NULL past the last. */
char *strategy_param_path(unsigned i);

#endif
