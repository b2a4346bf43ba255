/*
 * sweep.h: parameter sweeps. A swept parameter is any scenario parameter path with a list of
 * values ("2GiB,8GiB,32GiB") or a range ("100:100000:log:16", "1MiB:64MiB:lin:8"); several
 * parameters make a cartesian product of points. Also what is found along a sweep: crossovers
 * (where two strategies' order on a metric flips) and the swiotlb sizing advice (the smallest
 * pool with no failed map). No printing; the CLI (cmd-sweep.c) runs the points.
 */
#ifndef ISM_SWEEP_H
#define ISM_SWEEP_H

#include <stdint.h>

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

#endif
