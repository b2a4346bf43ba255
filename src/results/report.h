/*
 * report.h: renderers for simulation results. They only read the results (sim.h); text fits
 * the width asked (80 columns by default, for a mailing list); JSON and CSV carry a schema
 * version and units in every key, stable key order and no wall-clock time.
 */
#ifndef ISM_REPORT_H
#define ISM_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "scenario.h"
#include "sim.h"

#include "schema.h"

#define REPORT_SCHEMA_VERSION SCHEMA_RESULT

struct timeseries;
struct replay_hcosts;

struct report_ctx {
	const char *trace;        /* path as given */
	const char *trace_format;
	const struct scenario *sc;
	const struct sim *sim;
	uint64_t trace_events;
	unsigned cpus;            /* CPUs with events */
	int check;                /* hypercall check requested */
	const char *command;      /* "run" or "compare" (the text's first line) */
	/* the verdict (verdict.h) */
	const char *baseline;     /* --baseline NAME; NULL: the recorded strategy */
	const char *recorded_strategy; /* the strategy the trace was recorded with; NULL: unknown */
	const char *recorded_how; /* how that is known ("as recorded: sim.recorded_with") */
	const char *recorded_src; /* "sim.recorded_with", "detected" or NULL (unknown) */
	const char *recorded_evidence; /* detected: what in the trace shows it */
	const struct replay_hcosts *hcosts; /* where the TCE hypercall costs came from; or NULL */
	double model_error_pct;   /* the model's stated timing error; NAN: not calibrated */
	const char *model_error_src;
	const struct sim *const *repeats; /* replays of other recordings of the configuration */
	const char *const *repeat_paths;
	unsigned nrepeats;
	unsigned width;           /* text width; 0: 80 */
	const struct timeseries *ts; /* the run over simulated time (report figures); or NULL */
};

struct sim_result;
/* @r is the strategy the trace was recorded under (its row is marked "as recorded"). */
int report_is_recorded(const struct report_ctx *c, const struct sim_result *r);
/* The recorded strategy's replay off the recording, after boot and worst phase (%); 0: none. */
int report_self_replay(const struct report_ctx *c, double *run_pct, double *worst_pct,
		       const char **worst);

/*
 * The text report: what was replayed, the verdict, the summary (identical strategies folded,
 * fastest first), the details, notes, provenance; never wider than c->width.
 */
void report_text(FILE *out, const struct report_ctx *c);
/* Only its first screen: what was replayed, the verdict and the summary. */
void report_text_head(FILE *out, const struct report_ctx *c);

/* The report's tables, shared by the text and the report folder (report.md, report.html). */
enum {
	RT_SUMMARY, RT_TIME, RT_CALLS, RT_PRESSURE, RT_EXPOSURE, RT_LATENCY, RT_PHASES, RT__COUNT
};
struct verdict;
struct table;
/* Fill @t[RT__COUNT]; a table that does not apply (exposure when nothing is protected, phases
 * without markers) has no rows. Free each with table_free(). */
void report_tables(const struct report_ctx *c, const struct verdict *v, struct table *t);
/* The recording in one sentence; the provenance lines. */
char *report_recorded_text(const struct report_ctx *c);
json_t *report_json(const struct report_ctx *c);
void report_csv(FILE *out, const struct report_ctx *c);
/* Column names of the CSV (for the man-page check); NULL after the last. */
const char *report_csv_column(unsigned i);

#endif
