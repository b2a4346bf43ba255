/*
 * plotdata.h: the CSV files the gnuplot templates in plots/ read. Each starts with a comment
 * "# iommusim-plot v1 KIND" and a header row naming every column with its unit; values are
 * already in the units the figure shows (s, ms, MiB, MB/s). Writers only read the results.
 *
 * The figures of one replay (compare -o DIR) come from the simulator results (struct
 * report_ctx); the trend across runs (plot history) from result JSON files (schema 1).
 */
#ifndef ISM_PLOTDATA_H
#define ISM_PLOTDATA_H

#include <stdio.h>

#include <jansson.h>

#include "metrics.h"
#include "report.h"

#define PLOTDATA_VERSION 1

/* strategy,boot_s,recorded_boot_s,setup_ms,<category>_ms...,dma_ms: boot, cost stacked. */
void plotdata_boot(FILE *out, const struct report_ctx *c);
/*
 * strategy,H_PUT_TCE,...: hypercalls, ultracalls and RTAS calls by opcode (setup included), a
 * column for each opcode some strategy calls. Returns the number of opcode columns.
 */
unsigned plotdata_hcalls(FILE *out, const struct report_ctx *c);
/* strategy,throughput_MBps,recorded_MBps. */
void plotdata_throughput(FILE *out, const struct report_ctx *c);
/*
 * label,exposed_bytes,total_s,protected: one row per distinct point (strategies with the same
 * figures share a row and a label). Exposure is the peak shared with the hypervisor for a
 * protected VM, all guest RAM otherwise.
 */
void plotdata_tradeoff(FILE *out, const struct report_ctx *c);
/*
 * t_s,<strategy>_MiB...: bytes shared with the hypervisor over simulated time, for every
 * strategy that shares any. Returns the number of strategy columns (0: none shares memory).
 */
unsigned plotdata_exposure(FILE *out, const struct report_ctx *c);

/*
 * run,label,<metric>:<strategy>...: @metrics of every strategy in @nres result objects (in
 * the order given; a strategy appears once, in order of first appearance; missing values are
 * empty fields). Values in display units (struct metric's scale). Returns the number of
 * strategies (series per metric) and their names, space-separated, in *@names (malloc'd), or 0
 * with *@cause when no result has a strategy.
 */
unsigned plotdata_history(FILE *out, json_t *const *results, const char *const *labels,
			  unsigned nres, const struct metric *const *metrics, unsigned nmetrics,
			  char *const *only, unsigned nonly, char **names, char **cause);

#endif
