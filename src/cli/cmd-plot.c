/*
 * cmd-plot.c: `iommusim plot` (a trend across results; redrawing a figure of a report or
 * sweep folder) and the metric lists and result files the commands that draw take; the
 * figure kinds and the drawing are the results layer's (plot.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cmd.h"
#include "manifest.h"
#include "metrics.h"
#include "cmd-plot.h"
#include "plot.h"
#include "plotdata.h"
#include "util.h"

int plot_finish(struct plot_out *po, int write_render)
{
	if (plot_out_finish(po, write_render) == 0)
		return EXIT_OK;
	if (po->cause)
		ism_err("%s", po->cause);
	return EXIT_FAIL;
}

/* ---- iommusim plot ------------------------------------------------------------------------ */

enum { OPT_TITLE = 0x1100, OPT_METRIC, OPT_LABEL };

static const struct cmd_opt plot_opts[] = {
	{ 'o', 'o', "output", "FIGURE", "the figure (.svg or .png; required)", NULL },
	{ OPT_TITLE, 0, "title", "TEXT", "the figure's title", NULL },
	{ OPT_METRIC, 0, "metric", "LIST",
	  "history: metrics, a panel each (default boot_ns,run_ns); the names are those of "
	  "`iommusim regress --list-metrics`", NULL },
	{ OPT_LABEL, 0, "label", "LIST",
	  "history: a label per result, comma-separated (default: the file names without "
	  ".json), e.g. commit ids", NULL },
	{ 'S', 'S', "strategies", "LIST", "history: only these strategies", NULL },
	CMD_OPT_RETIRED_J,
	CMD_OPT_END,
};

/* --help: the figure kinds, from plot_kinds[] */
static void plot_kinds_help(FILE *out)
{
	fprintf(out, "kinds:\n");
	for (const struct plot_kind *k = plot_kinds; k->name; k++)
		fprintf(out, "  %-11s %s\n              input: %s\n", k->name, k->summary,
			k->input);
	fputc('\n', out);
}

const struct cmd_entry cmd_plot_entry = {
	.name = "plot",
	.args = "KIND INPUT... -o FIGURE",
	.summary = "figures: history, sweep, or a report's (delta, cost, ...)",
	.fn = cmd_plot,
	.opts = plot_opts,
	.more = plot_kinds_help,
	.about = "Draw a figure with gnuplot (plots/KIND.gp run with gnuplot -c). The\n"
		 "figure's data (FIGURE.csv) and script (FIGURE.gp) are written next to it;\n"
		 "without gnuplot they are still written and the command to draw them is\n"
		 "printed.\n",
	.after = "Exit status: 0 drawn (or gnuplot missing: data and script written), 1 gnuplot\n"
		 "failed or a file could not be written, 2 usage error or bad input.\n",
};

/* Split a comma-separated list into a NULL-terminated array (malloc'd strings). */
static char **split_list(const char *s, unsigned *n)
{
	char *dup = xstrdup(s), *save = NULL, **out = NULL;

	*n = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		out = xreallocarray(out, *n + 2, sizeof(*out));
		out[(*n)++] = xstrdup(t);
		out[*n] = NULL;
	}
	free(dup);
	return out;
}

static void free_list(char **l, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static int figure_ext_ok(const char *f)
{
	size_t l = strlen(f);

	return l > 4 && (strcmp(f + l - 4, ".svg") == 0 || strcmp(f + l - 4, ".png") == 0);
}

/* FIGURE without its extension plus @ext. */
static char *sibling(const char *figure, const char *ext)
{
	return xasprintf("%.*s%s", (int)(strlen(figure) - 4), figure, ext);
}

int plot_metrics_parse(const char *list, const struct metric ***out, unsigned *n)
{
	unsigned nn;
	char **names = split_list(list, &nn);

	*out = xcalloc(nn ? nn : 1, sizeof(**out));
	*n = 0;
	for (unsigned i = 0; i < nn; i++) {
		const struct metric *m = metric_find(names[i]);

		if (!m) {
			char *all = metric_names();

			ism_err("unknown metric '%s'; metrics: %s", names[i], all);
			free(all);
			free_list(names, nn);
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[(*n)++] = m;
	}
	free_list(names, nn);
	if (!*n) {
		free(*out);
		*out = NULL;
		ism_err("no metric given");
		return -1;
	}
	return 0;
}

/* Load a result JSON and check it; NULL after saying why. */
json_t *plot_load_result(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	char *cause = NULL;

	if (!j) {
		ism_err("%s:%d:%d: %s", path, e.line, e.column, e.text);
		return NULL;
	}
	if (metric_check_result(j, &cause) < 0) {
		ism_err("%s: %s", path, cause);
		free(cause);
		json_decref(j);
		return NULL;
	}
	return j;
}

static int plot_history(const char *figure, const char *title, const char *metric_list,
			const char *label_list, const char *strat_list, char **files, unsigned nf)
{
	json_t **res = xcalloc(nf, sizeof(*res));
	const char **labels = xcalloc(nf, sizeof(*labels));
	char **given = NULL, **only = NULL, *csv = NULL, *cause = NULL, *args[4] = { 0 };
	const struct metric **metrics = NULL;
	unsigned ng = 0, nonly = 0, nm = 0, series;
	struct plot_out po;
	int status = EXIT_USAGE;
	FILE *f;

	if (plot_metrics_parse(metric_list, &metrics, &nm) < 0)
		goto out;
	if (label_list) {
		given = split_list(label_list, &ng);
		if (ng != nf) {
			ism_err("--label gives %u labels for %u results", ng, nf);
			goto out;
		}
	}
	if (strat_list)
		only = split_list(strat_list, &nonly);
	for (unsigned i = 0; i < nf; i++) {
		const char *b = strrchr(files[i], '/');
		size_t l;

		res[i] = plot_load_result(files[i]);
		if (!res[i])
			goto out;
		if (given) {
			labels[i] = xstrdup(given[i]);
			continue;
		}
		b = b ? b + 1 : files[i];
		l = strlen(b);
		if (l > 5 && strcmp(b + l - 5, ".json") == 0)
			l -= 5;
		labels[i] = xstrndup(b, l);
	}
	csv = sibling(figure, ".csv");
	f = fopen(csv, "w");
	if (!f) {
		ism_err("%s: %s", csv, strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}
	series = plotdata_history(f, res, labels, nf, metrics, nm, only, nonly, &args[3], &cause);
	if (fclose(f) != 0 || !series) {
		ism_err("%s: %s", csv, cause ? cause : "write error");
		free(cause);
		status = series ? EXIT_FAIL : EXIT_USAGE;
		goto out;
	}
	args[0] = xasprintf("%u", nm);
	args[1] = xasprintf("%u", series);
	args[2] = xstrdup("");
	for (unsigned i = 0; i < nm; i++) {
		char *n = xasprintf("%s%s%s", args[2], i ? " " : "", metrics[i]->disp);

		free(args[2]);
		args[2] = n;
	}
	plot_out_init(&po, "", 1);
	plot_draw(&po, "history", csv, figure, title ? title : "trend across runs", args, 4);
	status = plot_finish(&po, 0);
	plot_out_free(&po);
out:
	for (unsigned i = 0; i < nf; i++) {
		json_decref(res[i]);
		free((char *)labels[i]);
	}
	for (unsigned i = 0; i < 4; i++)
		free(args[i]);
	free(res);
	free(labels);
	free(metrics);
	free(csv);
	free_list(given, ng);
	free_list(only, nonly);
	return status;
}

/* Redraw a sweep folder's figure from what sweep.json says about it. */
static int plot_sweep(const char *figure, const char *title, const char *in)
{
	struct stat st;
	char *dir, *jpath, *csv, **args = NULL;
	json_t *j, *fig, *a, *v;
	json_error_t e;
	struct plot_out po;
	unsigned na = 0;
	size_t i;
	int status;

	if (stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = xstrdup(in);
		jpath = plot_path(in, "sweep.json");
	} else {
		const char *sl = strrchr(in, '/');

		dir = sl ? xstrndup(in, (size_t)(sl - in)) : xstrdup("");
		jpath = xstrdup(in);
	}
	j = json_load_file(jpath, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		ism_err("%s:%d:%d: %s", jpath, e.line, e.column, e.text);
		free(dir);
		free(jpath);
		return EXIT_USAGE;
	}
	fig = json_object_get(j, "figure");
	a = json_object_get(fig, "args");
	if (!json_is_string(json_object_get(fig, "data")) || !json_is_array(a)) {
		ism_err("%s: no \"figure\" object (not written by iommusim sweep -O?)", jpath);
		json_decref(j);
		free(dir);
		free(jpath);
		return EXIT_USAGE;
	}
	csv = plot_path(dir, json_string_value(json_object_get(fig, "data")));
	json_array_foreach(a, i, v) {
		args = xreallocarray(args, na + 1, sizeof(*args));
		args[na++] = xstrdup(json_string_value(v) ? json_string_value(v) : "");
	}
	if (!title)
		title = json_string_value(json_object_get(fig, "title"));
	plot_out_init(&po, "", 1);
	plot_draw(&po, "sweep", csv, figure, title, args, na);
	status = plot_finish(&po, 0);
	plot_out_free(&po);
	free_list(args, na);
	free(csv);
	json_decref(j);
	free(dir);
	free(jpath);
	return status;
}

/* Redraw a figure of a report folder from DIR/figures.json (its data and arguments). */
static int plot_report(const char *kind, const char *figure, const char *title, const char *in)
{
	struct stat st;
	char *dir, *jpath, *csv, **args = NULL;
	json_t *j, *fig, *a, *v;
	json_error_t e;
	struct plot_out po;
	unsigned na = 0;
	size_t i;
	int status;

	if (stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = xstrdup(in);
	} else {
		const char *sl = strrchr(in, '/');

		dir = sl ? xstrndup(in, (size_t)(sl - in)) : xstrdup("");
	}
	jpath = plot_path(dir, "figures.json");
	j = json_load_file(jpath, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		ism_err("%s: %s (not a folder written by iommusim compare -O?)", jpath, e.text);
		free(dir);
		free(jpath);
		return EXIT_USAGE;
	}
	fig = json_object_get(json_object_get(j, "figures"), kind);
	a = json_object_get(fig, "args");
	if (!json_is_string(json_object_get(fig, "data")) || !json_is_array(a)) {
		ism_err("%s: no figure '%s' (it had nothing to draw)", jpath, kind);
		json_decref(j);
		free(dir);
		free(jpath);
		return EXIT_USAGE;
	}
	csv = plot_path(dir, json_string_value(json_object_get(fig, "data")));
	json_array_foreach(a, i, v) {
		args = xreallocarray(args, na + 1, sizeof(*args));
		args[na++] = xstrdup(json_string_value(v) ? json_string_value(v) : "");
	}
	if (!title)
		title = json_string_value(json_object_get(fig, "title"));
	plot_out_init(&po, "", 1);
	plot_draw(&po, kind, csv, figure, title, args, na);
	status = plot_finish(&po, 0);
	plot_out_free(&po);
	free_list(args, na);
	free(csv);
	json_decref(j);
	free(dir);
	free(jpath);
	return status;
}

int cmd_plot(int argc, char **argv)
{
	const char *figure = NULL, *title = NULL, *metric = "boot_ns,run_ns", *label = NULL;
	const char *strats = NULL;
	const struct plot_kind *k;
	struct cmd_args a;
	int c;

	cmd_args_init(&a, &cmd_plot_entry, argc, argv);
	while ((c = cmd_next(&a)) > 0) {
		switch (c) {
		case 'o':
			figure = a.arg;
			break;
		case OPT_TITLE:
			title = a.arg;
			break;
		case OPT_METRIC:
			metric = a.arg;
			break;
		case OPT_LABEL:
			label = a.arg;
			break;
		case 'S':
			strats = a.arg;
			break;
		}
	}
	cmd_args_free(&a);
	if (c < 0)
		return a.status;
	if (optind >= argc)
		return usage_error("plot", "no figure kind (history, sweep, delta, cost, ...)");
	k = plot_kind_find(argv[optind]);
	if (!k)
		return usage_error("plot", "unknown figure kind '%s'", argv[optind]);
	optind++;
	if (!figure)
		return usage_error("plot", "no -o FIGURE.svg|FIGURE.png");
	if (!figure_ext_ok(figure))
		return usage_error("plot", "%s: the figure's name must end in .svg or .png",
				   figure);
	if (optind >= argc)
		return usage_error("plot", "no input for '%s' (%s)", k->name, k->input);
	if (strcmp(k->name, "history") == 0)
		return plot_history(figure, title, metric, label, strats, argv + optind,
				    (unsigned)(argc - optind));
	if (argc - optind != 1)
		return usage_error("plot", "'%s' takes one input (%s)", k->name, k->input);
	if (strcmp(k->name, "sweep") == 0)
		return plot_sweep(figure, title, argv[optind]);
	/* a figure of a compare report folder, from its data and figures.json */
	return plot_report(k->name, figure, title, argv[optind]);
}
