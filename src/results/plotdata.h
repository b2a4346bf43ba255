/*
 * plotdata.h: the CSV files the gnuplot templates in plots/ read, and the arguments the
 * templates take. Every file has one header row of unique names (units in the names) and a
 * last column schema_version (SCHEMA_FIGURE_CSV), so pandas.read_csv(f) reads it as it is;
 * values are in the units the figure shows (s, ms, MB/s, %). Writers only read the results.
 *
 * The figures of one replay (compare -o DIR) come from the results and the verdict: a row or
 * a series per class of strategies with the same figures, in the summary's order, so that a
 * strategy has the same colour and marker (column "series", 1-based: plots/style.gp) in every
 * figure. The trend across runs (plot history) comes from result JSON files (schema 1).
 */
#ifndef ISM_PLOTDATA_H
#define ISM_PLOTDATA_H

#include <stdio.h>

#include <jansson.h>

#include "metrics.h"
#include "report.h"
#include "timeseries.h"
#include "verdict.h"

#define PLOTDATA_VERSION SCHEMA_FIGURE_CSV

/* What a figure's data writer tells the caller beyond the data. */
struct fig_args {
	char *arg[8];        /* the template's arguments after TITLE (malloc'd) */
	unsigned n;
	char *note;          /* said under the figure (malloc'd; NULL: nothing) */
};
void fig_args_free(struct fig_args *fa);

/*
 * delta.csv: series,strategy,boot_s,boot_pct,after_s,after_pct,throughput_MBps,
 * throughput_pct: each class against the verdict's baseline, in percent. Returns the number
 * of panels (objectives) and gives the template the panel list, the baseline's name, the
 * model error and each objective's noise (nan when unknown).
 */
unsigned plotdata_delta(FILE *out, const struct report_ctx *c, const struct verdict *v,
			struct fig_args *fa);
/*
 * cost.csv: series,strategy, then for each cost category some strategy spends time in,
 * boot_<category>_ms and after_<category>_ms: the DMA-path cost during boot and after it,
 * setup counted once (as setup). Returns the number of categories.
 */
unsigned plotdata_cost(FILE *out, const struct report_ctx *c, const struct verdict *v,
		       struct fig_args *fa);
/*
 * hcalls.csv: series,strategy, then a column per opcode some strategy calls (H_PUT_TCE, ...):
 * calls, setup included. Returns the number of opcode columns.
 */
unsigned plotdata_hcalls(FILE *out, const struct report_ctx *c, const struct verdict *v,
			 struct fig_args *fa);
/*
 * tradeoff.csv: series,strategy,exposed_bytes,after_pct,protected,label_y: a point per class,
 * exposure against the time after boot (the whole trace without a boot marker) in percent
 * against the baseline; label_y places each label where it does not overprint another.
 * Returns 0 (nothing drawn) when no strategy models a protected VM.
 */
unsigned plotdata_tradeoff(FILE *out, const struct report_ctx *c, const struct verdict *v,
			   struct fig_args *fa);
/*
 * activity.csv: t_s, then <series>:<strategy> columns (maps_per_s, hcalls_per_s, pool_slots,
 * window_entries, shared_MiB) over simulated time for the baseline and the strategies the
 * verdict names, a panel per series; series that are zero for every strategy are dropped (the
 * note says which). The template gets the panels, the strategies and the phases to shade.
 * Returns the number of panels (0 without time series).
 */
unsigned plotdata_activity(FILE *out, const struct report_ctx *c, const struct verdict *v,
			   struct fig_args *fa);

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
