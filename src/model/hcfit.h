/*
 * hcfit.h: hypercall costs measured in a trace: per TCE opcode, fixed + per entry.
 *
 * Samples come from a replay of the strategy the trace was recorded under: for each DMA event
 * whose predicted calls of an opcode equal the calls recorded before it (hcall_entry/exit pairs
 * on its CPU since its previous DMA event), one sample (calls, entries, recorded time). The fit
 * is least squares through the origin, time = fixed * calls + per_entry * entries. When every
 * sample has as many entries per call (H_PUT_TCE: one), the per-entry part cannot be told from
 * the fixed part: it is 0, marked so, and fixed is the mean time per call, so that a replay of
 * the same calls charges what the trace spent on them (a median would not: the tail of host
 * preemptions inside hypercalls under TCG is real time). The spread of single calls (median, 10th and 90th percentile of each
 * entry-to-exit time) is kept to be reported. Memory is constant.
 */
#ifndef ISM_HCFIT_H
#define ISM_HCFIT_H

#include <stdint.h>

#include "sim.h"

#define HCFIT_OPS 3 /* H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE (tce index order) */

struct hcfit_acc {
	uint64_t samples;               /* events */
	double calls, entries, ns;
	double cc, ce, ee, cd, ed, dd;  /* sums of products for the normal equations */
	struct lat_hist single;         /* each call's entry-to-exit time */
};

struct hcfit {
	struct hcfit_acc op[HCFIT_OPS];
};

struct hcfit_result {
	uint32_t opcode;
	const char *name;
	int fitted;                     /* enough samples: the values come from the trace */
	int per_entry_determined;       /* entries per call varied */
	uint64_t samples;
	uint64_t calls;
	double fixed_ns, per_entry_ns;
	double median_ns, p10_ns, p90_ns; /* single calls */
	double residual_pct;            /* RMS of (fit - recorded) per sample, % of mean sample */
};

#define HCFIT_MIN_SAMPLES 20

void hcfit_add(struct hcfit *f, int k, uint64_t calls, uint64_t entries, double ns);
void hcfit_single(struct hcfit *f, int k, double ns);
void hcfit_merge(struct hcfit *into, const struct hcfit *from);
/* Solve opcode @k (0..2) into @out. */
void hcfit_solve(const struct hcfit *f, int k, struct hcfit_result *out);

#endif
