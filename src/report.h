/*
 * report.h: renderers for simulation results. They only read the results (sim.h); text fits
 * 100 columns for a mailing list; JSON and CSV carry a schema version and units in every key,
 * stable key order and no wall-clock time.
 */
#ifndef ISM_REPORT_H
#define ISM_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "scenario.h"
#include "sim.h"

#include "schema.h"

#define REPORT_SCHEMA_VERSION SCHEMA_RESULT

struct report_ctx {
	const char *trace;        /* path as given */
	const char *trace_format;
	const struct scenario *sc;
	const struct sim *sim;
	uint64_t trace_events;
	unsigned cpus;            /* CPUs with events */
	int check;                /* hypercall check requested */
};

void report_text(FILE *out, const struct report_ctx *c);
json_t *report_json(const struct report_ctx *c);
void report_csv(FILE *out, const struct report_ctx *c);
/* Column names of the CSV (for the man-page check); NULL after the last. */
const char *report_csv_column(unsigned i);

#endif
