/*
 * sweep.h: parameter sweeps. A swept parameter is any scenario parameter path with a list of
 * values ("2GiB,8GiB,32GiB") or a range ("100:100000:log:16", "1MiB:64MiB:lin:8"); several
 * parameters make a cartesian product of points. Also what is found along a sweep: crossovers
 * (where two strategies' order on a metric flips) and the swiotlb sizing advice (the smallest
 * pool with no failed map). The runner (sweep_run()) replays the points of a sweep in passes:
 * each pass decodes the trace once and feeds every event to the simulations of all its points
 * (points differ only in their scenarios, never in what is read), split over worker threads.
 * No printing; the CLI (cmd-sweep.c) renders the results.
 */
#ifndef ISM_SWEEP_H
#define ISM_SWEEP_H

#include <stdint.h>

#include <jansson.h>

#include "metrics.h"
#include "sha256.h"

struct scenario;

struct sweep_param {
	char *path;          /* scenario parameter path */
	char **text;         /* each value as scenario_set() takes it */
	double *x;           /* each value as a number (bools: 0/1; strings: the index) */
	unsigned n;
	int log;             /* a log range: figures use a log axis */
	int numeric;         /* values are numbers (a figure can use them as x) */
};

/*
 * Parse "PATH=SPEC": SPEC is a comma-separated list of values, or LO:HI:lin:N or LO:HI:log:N
 * (N >= 2 values from LO to HI inclusive, evenly or geometrically spaced; integer parameters
 * are rounded, to a power of two or a multiple where the parameter requires one, and repeats
 * dropped). LO and HI are read like the parameter (sizes take KiB/MiB/GiB suffixes). Ranges
 * are checked here; each value's validity is scenario_set()'s to say. Returns 0, or
 * -ISM_EUSAGE / -ISM_ERANGE with *@cause "PATH: message".
 */
int sweep_param_parse(const char *arg, struct sweep_param *out, char **cause);
void sweep_param_free(struct sweep_param *p);

/* Points in the product of @np parameters. */
uint64_t sweep_points(const struct sweep_param *ps, unsigned np);
/* Value indexes of point @k (the first parameter varies slowest). */
void sweep_point_index(const struct sweep_param *ps, unsigned np, uint64_t k, unsigned *idx);

/* One crossover along x: ya - yb changes sign between x_lo and x_hi. */
struct sweep_cross {
	double x;            /* interpolated (geometric when @logx) */
	double x_lo, x_hi;   /* the sweep points around it */
	int a_below;         /* 1: a < b below x (and a > b above) */
};

/*
 * Crossings of ya and yb over ascending x[0..n-1]. NaN values are skipped; so are ties (equal
 * within 1e-9 relative), so that a crossing is reported between the points around them.
 * Returns the number written to @out (at most @max).
 */
unsigned sweep_crossings(const double *x, const double *ya, const double *yb, unsigned n,
			 int logx, struct sweep_cross *out, unsigned max);

/* Sizing advice along a pool size (ascending x): the smallest size from which none fails. */
struct sweep_sizing {
	int found;           /* 0: every size tried fails */
	unsigned at;         /* index of the smallest size without failures */
	double size;         /* x[at] */
	double margin;       /* 1 - peak/slots at that size */
	int fails_below;     /* the size below it fails (0: it is the smallest tried) */
	double demand;       /* peak use at the largest size tried (units of @peak) */
};
void sweep_sizing(const double *x, const double *failures, const double *peak,
		  const double *slots, unsigned n, struct sweep_sizing *out);

/* A parameter that sizes a strategy's pool (PARAM_POOL): sizing advice is given along it. */
int sweep_param_sizes_pool(const char *path);

/* --------------------------------------------------------------------------------------- */
/* A sweep: what is replayed, what was found at each point, and the analysis over them.     */

#define SWEEP_MAX_PARAMS 8
/* Points simulated in one pass over the trace (one decode feeds them all). */
#define SWEEP_PASS_POINTS 64

/* A level crossing (--level S:METRIC=V): strategy @spec's @metric against @value. */
struct sweep_level {
	unsigned spec;
	const struct metric *metric;
	double value;
};

/* Beyond the metric table, what the sizing advice needs of each strategy. */
enum { SWEEP_X_POOL_SLOTS, SWEEP_X_POOL_BYTES, SWEEP_X__EXTRA };

struct sweep {
	/* the job: set by the caller */
	const char *trace, *format_in, *scenario;
	char **sets;                 /* --set PATH=VALUE, applied before each point's values */
	unsigned nsets;
	char **specs;                /* strategies */
	unsigned nspecs;
	struct sweep_param ps[SWEEP_MAX_PARAMS];
	unsigned np;
	char trace_hash[SHA256_HEX_LEN]; /* sweep_check() fills these */
	uint64_t trace_bytes;
	uint64_t npoints;            /* sweep_points(ps, np) */
	/* the analysis: set by the caller */
	const struct metric **metrics; /* the metrics reported and plotted (-m) */
	unsigned nm;
	char **cross;                /* "A,B" pairs of strategies to cross (none: every pair) */
	unsigned ncross;
	struct sweep_level *levels;
	unsigned nlevels;
	/* the results: sweep_run() or sweep_add_point() fill them */
	unsigned nmt;                /* metrics in the table (metric_get()) */
	double *all;                 /* [point][spec][nmt + SWEEP_X__EXTRA], NaN when missing */
	char (*hash)[SHA256_HEX_LEN]; /* per point: its effective scenario's hash */
	unsigned char *have;         /* per point: its results are in */
	char *fmt, *sc_name, *sc_path; /* from point 0's result: trace format, scenario */
	uint64_t passes;             /* decode passes over the trace */
	uint64_t events_decoded;     /* events the reader decoded, over every pass */
};

/* Check the job (every point's scenario, the trace) and hash the trace. 0, or -ISM_E* with
 * *@cause; *@bad_point the failing point (or UINT64_MAX for the trace). */
int sweep_check(struct sweep *sw, uint64_t *bad_point, char **cause);
/*
 * The scenario of point @k: the file, the --set values, then the point's values; the "PATH=V"
 * strings applied into *@sets (free with sweep_free_strs()). 0, or -ISM_E* with *@cause.
 */
int sweep_point_scenario(const struct sweep *sw, uint64_t k, struct scenario *sc,
			 char ***sets, unsigned *nsets, char **cause);
void sweep_free_strs(char **v, unsigned n);
/* "path=value, ..." of the parameters other than @ax at point @k (malloc'd). */
char *sweep_others_text(const struct sweep *sw, unsigned ax, uint64_t k);

/* Allocate the result table (also done by sweep_run()). */
void sweep_table_init(struct sweep *sw);
/* Every value of strategy @s at point @k: the metric table's, then SWEEP_X_*. */
double *sweep_values(const struct sweep *sw, uint64_t k, unsigned s);
/* Metric @m of sw->metrics of strategy @s at point @k. */
double sweep_metric(const struct sweep *sw, uint64_t k, unsigned s, unsigned m);
/*
 * Take point @k's results from its point object (what points/NNNN.json holds: "manifest",
 * "result"). 0, or -1 with *@cause.
 */
int sweep_add_point(struct sweep *sw, uint64_t k, json_t *point, char **cause);

struct sweep_run_opts {
	unsigned jobs;               /* worker threads (0: 1) */
	const char *point_dir;       /* write points/NNNN.json here; NULL: none */
	uint64_t first, count;       /* the points to run (count 0: every point from @first) */
	/* progress, after each pass (may be NULL) */
	void (*tick)(void *arg, uint64_t done, uint64_t total);
	void *tick_arg;
};
/*
 * Replay the points, SWEEP_PASS_POINTS at most per decode of the trace, and take each point's
 * results (in memory: the result objects are never written and read back). 0, or -ISM_E* with
 * *@cause (names the point).
 */
int sweep_run(struct sweep *sw, const struct sweep_run_opts *o, char **cause);
/* Point @k's object (its file's content): schema_version, sweep_point, params, manifest,
 * result; NULL with *@cause. */
struct report_ctx;
json_t *sweep_point_json(const struct sweep *sw, uint64_t k, char *const *sets, unsigned nsets,
			 const struct report_ctx *rc, char **cause);

/* Crossovers and sizing along the sweep. */
struct sweep_found_cross {
	unsigned m, a, b;            /* panel metric (nm: a level of a metric without a panel) */
	char *at;                    /* the other parameters */
	struct sweep_cross c;
	const struct metric *lm;     /* a level crossing: a's metric against @value */
	double value;
};
struct sweep_found_size {
	unsigned s;
	unsigned ax;                 /* the parameter sized along */
	char *at;
	struct sweep_sizing z;
	double slots_at, peak_at, fails_below_n, below_size, slot_bytes, pool_bytes_at;
	double lo, hi;               /* the range tried */
};
/* @p's value indexes in ascending order of value (malloc'd). */
unsigned *sweep_sorted_order(const struct sweep_param *p);
/*
 * The lines along parameter @ax: *@nlines combinations of the other parameters, for each the
 * point indexes in ascending order of @ax's values (nlines x ps[ax].n, malloc'd).
 */
uint64_t *sweep_lines(const struct sweep *sw, unsigned ax, uint64_t *nlines);
/* Crossovers along the first parameter (numeric): pairs of strategies, then levels. */
unsigned sweep_find_crossovers(const struct sweep *sw, struct sweep_found_cross *out,
			       unsigned max);
/* Sizing advice along every swept parameter that sizes a pool. */
unsigned sweep_find_sizing(const struct sweep *sw, struct sweep_found_size *out, unsigned max);
/* Free what sweep_run()/sweep_table_init() allocated and the job's strings and parameters. */
void sweep_free(struct sweep *sw);

#endif
