/*
 * regress.h: compare two results (run/compare JSON, schema 1) metric by metric for every
 * strategy, knowing which way is worse (time, calls, failures, exposure: higher; throughput:
 * lower). A change worse than the metric's threshold is a regression; better than it, an
 * improvement. No printing: the CLI (cmd-regress.c) renders the verdict.
 */
#ifndef ISM_REGRESS_H
#define ISM_REGRESS_H

#include <jansson.h>

#include "metrics.h"

#include "schema.h"
#define REGRESS_SCHEMA_VERSION SCHEMA_REGRESS
#define REGRESS_DEFAULT_THRESHOLD_PCT 5.0

enum regress_verdict {
	RV_OK,          /* within the threshold */
	RV_IMPROVED,    /* better by more than the threshold */
	RV_REGRESSED,   /* worse by more than the threshold */
	RV_MISSING,     /* the strategy is in the baseline only: a failure */
	RV_NEW,         /* the strategy is in the current result only */
};
const char *regress_verdict_name(enum regress_verdict v);

struct regress_threshold {
	const struct metric *m;  /* NULL: every metric without its own */
	double pct;
};

struct regress_opts {
	const struct regress_threshold *th;  /* later entries override earlier ones */
	unsigned nth;
	const struct metric *const *metrics; /* metrics compared; NULL = all */
	unsigned nmetrics;
};

struct regress_row {
	const char *strategy;      /* points into the JSON */
	const struct metric *m;    /* NULL for RV_MISSING / RV_NEW rows */
	double base, cur;
	double change;             /* (cur - base) / |base|; +-INFINITY from 0 */
	double threshold_pct;
	enum regress_verdict v;
};

struct regress_result {
	struct regress_row *rows;
	unsigned n;
	unsigned compared, regressed, improved, missing, added, skipped;
	struct metric **owned;  /* the metrics made for strategies' statistics (regress.c) */
	unsigned nowned;
};

/*
 * Parse a threshold "5%", "5" (percent) or "boot_ns=2%" into @out. Returns 0, or -1 with
 * *@cause naming the problem (unknown metric, not a percentage).
 */
int regress_parse_threshold(const char *s, struct regress_threshold *out, char **cause);

/*
 * Compare @cur against @base (both checked with metric_check_result() by the caller).
 * Returns 0 and fills @out (free with regress_free()), or -1 with *@cause when the two have no
 * strategy in common.
 */
int regress_compare(json_t *base, json_t *cur, const struct regress_opts *o,
		    struct regress_result *out, char **cause);
void regress_free(struct regress_result *r);
/* The verdict as JSON: schema_version, verdict ("pass"/"fail"), counts, rows. */
json_t *regress_json(const struct regress_result *r, const char *base_path, const char *cur_path);

#endif
