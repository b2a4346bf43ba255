/*
 * cmd-regress.c: `iommusim regress` - the CI gate. Compares a current result with a baseline
 * metric by metric for every strategy and says, per metric, ok, improved or REGRESSED; exit 1
 * on any regression.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "metrics.h"
#include "output.h"
#include "cmd-plot.h"
#include "plot.h"
#include "regress.h"
#include "util.h"

enum { OPT_LIST = 0x1100 };

static const struct cmd_opt regress_opts[] = {
	{ 'b', 'b', "baseline", "FILE", "the reference result (required)", NULL },
	{ 't', 't', "threshold", "[METRIC=]PCT",
	  "allowed change in percent (default 5%); repeatable, e.g. -t 3% -t boot_ns=1%", NULL },
	{ 'm', 'm', "metric", "LIST", "compare only these metrics", NULL },
	{ OPT_LIST, 0, "list-metrics", NULL, "list the metrics and which way is worse", NULL },
	CMD_OPTS_FORMAT_TEXT_JSON,
	{ 'o', 'o', "output", "FILE", "write the verdict there", NULL },
	{ 'v', 'v', "verbose", NULL, "list every comparison, not only changes", NULL },
	CMD_OPT_RETIRED_J,
	CMD_OPT_END,
};

const struct cmd_entry cmd_regress_entry = {
	.name = "regress",
	.args = "--baseline BASE.json [options] CURRENT.json",
	.summary = "per-metric verdict; exit 1 on regression",
	.fn = cmd_regress,
	.opts = regress_opts,
	.about = "Compare CURRENT with BASE (both written by run or compare with --format json)\n"
		 "metric by metric for every strategy. A metric is REGRESSED when it moved the\n"
		 "worse way by more than its threshold (time, calls, failures, pool and window\n"
		 "use, exposure: up; throughput: down), improved when it moved the better way by\n"
		 "more than it.\n",
	.after = "Exit status: 0 pass, 1 a metric regressed or a strategy of the baseline is\n"
		 "missing, 2 usage error or bad input.\n",
};

static void list_metrics(FILE *out)
{
	const struct metric *m;

	fprintf(out, "%-32s %-7s %s\n", "metric", "worse", "what");
	for (unsigned i = 0; (m = metric_get(i)) != NULL; i++)
		fprintf(out, "%-32s %-7s %s\n", m->name, m->higher_better ? "lower" : "higher",
			m->help);
}

static void fmt_val(char *b, size_t n, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(b, n, "%.0f", v);
	else
		snprintf(b, n, "%.6g", v);
}

static void print_text(FILE *f, const struct regress_result *r, const char *base,
		       const char *cur, int verbose)
{
	int fail = r->regressed || r->missing;

	fprintf(f, "iommusim %s regress: %s -> %s\n", PACKAGE_VERSION, base, cur);
	fprintf(f, "%-28s %-26s %16s %16s %9s %6s  %s\n", "strategy", "metric", "baseline",
		"current", "change", "limit", "verdict");
	for (unsigned i = 0; i < r->n; i++) {
		const struct regress_row *w = &r->rows[i];
		char b1[32], b2[32], ch[32];

		if (!w->m) {
			fprintf(f, "%-28s %-26s %16s %16s %9s %6s  %s\n", w->strategy, "-", "-",
				"-", "-", "-",
				w->v == RV_MISSING ? "MISSING (in the baseline only)"
						   : "new (not in the baseline)");
			continue;
		}
		if (w->v == RV_OK && !verbose)
			continue;
		fmt_val(b1, sizeof(b1), w->base);
		fmt_val(b2, sizeof(b2), w->cur);
		if (isinf(w->change))
			snprintf(ch, sizeof(ch), "%s", w->change > 0 ? "+inf" : "-inf");
		else
			snprintf(ch, sizeof(ch), "%+.2f%%", w->change * 100);
		fprintf(f, "%-28s %-26s %16s %16s %9s %5.4g%%  %s\n", w->strategy, w->m->name, b1,
			b2, ch, w->threshold_pct,
			w->v == RV_REGRESSED ? "REGRESSED" : regress_verdict_name(w->v));
	}
	fprintf(f, "verdict: %s: %u regressed, %u improved, %u within the thresholds, of %u "
		"compared", fail ? "FAIL" : "pass", r->regressed, r->improved,
		r->compared - r->regressed - r->improved, r->compared);
	if (r->missing)
		fprintf(f, "; %u strategies missing", r->missing);
	if (r->added)
		fprintf(f, "; %u new strategies", r->added);
	if (r->skipped)
		fprintf(f, "; %u not in both", r->skipped);
	fputc('\n', f);
}

/* Warn when the two results did not replay the same trace and scenario. */
static void check_same(json_t *b, json_t *c)
{
	static const char *const keys[][2] = { { "trace", "path" }, { "scenario", "name" } };

	for (size_t i = 0; i < ISM_ARRAY_SIZE(keys); i++) {
		const char *x = json_string_value(json_object_get(json_object_get(b, keys[i][0]),
								  keys[i][1]));
		const char *y = json_string_value(json_object_get(json_object_get(c, keys[i][0]),
								  keys[i][1]));

		if (x && y && strcmp(x, y) != 0)
			ism_warn("the results come from different %ss: %s and %s", keys[i][0], x,
				 y);
	}
}

int cmd_regress(int argc, char **argv)
{
	const char *base_path = NULL, *output = NULL, *metric = NULL, *cur_path;
	struct regress_threshold *th = NULL;
	const struct metric **metrics = NULL;
	struct regress_opts o;
	struct regress_result r;
	json_t *base = NULL, *cur = NULL;
	char *cause = NULL;
	unsigned nth = 0, nm = 0;
	int c, json = 0, verbose = 0, status = EXIT_USAGE, ret;
	FILE *out = stdout;
	struct ofile *of = NULL;
	struct cmd_args a;

	cmd_args_init(&a, &cmd_regress_entry, argc, argv);
	while ((c = cmd_next(&a)) > 0) {
		switch (c) {
		case 'b':
			base_path = a.arg;
			break;
		case 't':
			th = xreallocarray(th, nth + 1, sizeof(*th));
			if (regress_parse_threshold(a.arg, &th[nth], &cause) < 0) {
				usage_error("regress", "%s", cause);
				free(cause);
				goto out;
			}
			nth++;
			break;
		case 'm':
			metric = a.arg;
			break;
		case OPT_LIST:
			list_metrics(stdout);
			status = EXIT_OK;
			goto out;
		case CMD_OPT_FORMAT:
			if (strcmp(a.arg, "json") != 0 && strcmp(a.arg, "text") != 0) {
				usage_error("regress", "--format %s: text or json", a.arg);
				goto out;
			}
			json = strcmp(a.arg, "json") == 0;
			break;
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'o':
			output = a.arg;
			break;
		case 'v':
			verbose = 1;
			break;
		}
	}
	if (c < 0) {
		status = a.status;
		goto out;
	}
	if (!base_path) {
		usage_error("regress", "no --baseline BASE.json");
		goto out;
	}
	if (optind != argc - 1) {
		usage_error("regress", "expected exactly one current result");
		goto out;
	}
	cur_path = argv[optind];
	if (metric && plot_metrics_parse(metric, &metrics, &nm) < 0)
		goto out;
	base = plot_load_result(base_path);
	if (!base)
		goto out;
	cur = plot_load_result(cur_path);
	if (!cur)
		goto out;
	check_same(base, cur);
	memset(&o, 0, sizeof(o));
	o.th = th;
	o.nth = nth;
	o.metrics = metrics;
	o.nmetrics = nm;
	if (regress_compare(base, cur, &o, &r, &cause) < 0) {
		ism_err("%s and %s: %s", base_path, cur_path, cause);
		free(cause);
		goto out;
	}
	if (output && (ret = ofile_open(output, &of, &cause)) < 0) {
		ism_err("%s", cause);
		free(cause);
		regress_free(&r);
		status = ism_err_exit(ret);
		goto out;
	}
	if (of)
		out = ofile_stream(of);
	if (json) {
		json_t *j = regress_json(&r, base_path, cur_path);

		json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', out);
		json_decref(j);
	} else {
		print_text(out, &r, base_path, cur_path, verbose);
	}
	status = r.regressed || r.missing ? EXIT_FAIL : EXIT_OK;
	if (of) {
		if (ofile_commit(of, &cause) < 0) {
			ism_err("%s", cause);
			free(cause);
			status = EXIT_FAIL;
		}
	} else if (finish_stdout(EXIT_OK) != EXIT_OK) {
		status = EXIT_FAIL;
	}
	regress_free(&r);
out:
	cmd_args_free(&a);
	json_decref(base);
	json_decref(cur);
	free(th);
	free(metrics);
	return status;
}
