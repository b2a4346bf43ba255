/*
 * metrics.h: the per-strategy figures that sweeps, regress and trend plots compare, read from a
 * strategy object of a result JSON (schema 1, report.c). One table gives each metric's name
 * (the JSON key, with its unit), where it is, whether higher is better, and the unit figures
 * show it in.
 */
#ifndef ISM_METRICS_H
#define ISM_METRICS_H

#include <jansson.h>

struct metric {
	const char *name;       /* "boot_ns": the name on the command line and in CSV/JSON */
	const char *path;       /* dotted path in a strategy object; NULL: computed from "calls" */
	unsigned opcode_lo, opcode_hi; /* computed: sum of calls with lo <= opcode <= hi */
	int higher_better;      /* throughput: lower is worse; everything else: higher is worse */
	double scale;           /* value * scale = display value */
	const char *disp;       /* display name, with the display unit: "boot_ms" */
	const char *help;
	const char *den;        /* a ratio: path / den (both dotted paths); NULL otherwise */
};

/* The table, in report order; NULL past the end. */
const struct metric *metric_get(unsigned i);
const struct metric *metric_find(const char *name);
/* "simulated time after boot (ms)": for figures' axes (malloc'd). */
char *metric_label(const struct metric *m);
/* Whether @m's values are whole numbers (ns, bytes, counts): CSV writes them as integers. */
int metric_integer(const struct metric *m);
/* Comma-separated names of every metric (malloc'd), for messages. */
char *metric_names(void);
/* Value of @m in strategy object @s: 0, or -1 when @s lacks it. */
int metric_value(const struct metric *m, json_t *s, double *out);
/* The strategy object named @spec in result @res, or NULL. */
json_t *metric_strategy(json_t *res, const char *spec);
/*
 * Check that @res is a run/compare result this version reads: an object with schema_version 1
 * and a "strategies" array. 0, or -1 with *@cause (malloc'd).
 */
int metric_check_result(json_t *res, char **cause);

#endif
