/*
 * cmd-plot.c: figures. The table of figure kinds (one gnuplot template each, plots/NAME.gp),
 * drawing them with gnuplot, and `iommusim plot` (trend across results; redrawing a figure
 * of a report or sweep folder).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "manifest.h"
#include "metrics.h"
#include "output.h"
#include "plot.h"
#include "plotdata.h"
#include "plottpl.h"
#include "util.h"

const struct plot_kind plot_kinds[] = {
	{ "delta", "each strategy against the baseline, in percent, an objective a panel",
	  "DIR of compare -o", plotdata_delta, NULL },
	{ "cost", "the DMA-path cost by category, during boot and after it",
	  "DIR of compare -o", plotdata_cost, "No strategy spends time on the DMA path." },
	{ "hcalls", "hypercalls, ultracalls and RTAS calls, an opcode a panel",
	  "DIR of compare -o", plotdata_hcalls,
	  "No strategy of this run makes hypercalls, ultracalls or RTAS calls." },
	{ "activity", "over the simulated run: maps and hypercalls per second, pool and window "
	  "in use, bytes shared; phases shaded", "DIR of compare -o", plotdata_activity, NULL },
	{ "tradeoff", "exposure to the hypervisor against time, a point per strategy",
	  "DIR of compare -o", plotdata_tradeoff,
	  "No strategy models a protected VM: every one exposes all guest RAM." },
	{ "sweep", "a sweep: a panel per metric, a curve per strategy, crossovers marked",
	  "DIR of sweep -o", NULL, NULL },
	{ "history", "a trend across results (runs or commits), a panel per metric",
	  "RESULT.json... of run/compare --format json", NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct plot_kind *find_kind(const char *name)
{
	for (const struct plot_kind *k = plot_kinds; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

int plot_mkdirs(const char *dir)
{
	char *d = xstrdup(dir);

	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(d, 0777) < 0 && errno != EEXIST) {
			free(d);
			return -1;
		}
		*p = '/';
	}
	if (*d && mkdir(d, 0777) < 0 && errno != EEXIST) {
		free(d);
		return -1;
	}
	free(d);
	return 0;
}

char *plot_path(const char *dir, const char *name)
{
	if (!dir || !*dir)
		return xstrdup(name);
	return xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

int plot_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		ism_err("%s: %s", path, strerror(errno));
		return -1;
	}
	fputs(text, f);
	if (fclose(f) != 0) {
		ism_err("%s: write error", path);
		return -1;
	}
	return 0;
}

void plot_out_init(struct plot_out *po, const char *dir, int flat)
{
	memset(po, 0, sizeof(*po));
	po->dir = xstrdup(dir ? dir : "");
	po->flat = flat;
	po->render = xstrdup("#!/bin/sh\n# render.sh: draw this folder's figures with gnuplot "
			     "(written by iommusim " PACKAGE_VERSION ").\nset -e\n"
			     "cd \"$(dirname \"$0\")\"\n");
}

void plot_out_free(struct plot_out *po)
{
	free(po->dir);
	free(po->render);
	free(po->last);
	memset(po, 0, sizeof(*po));
}

static const char *gnuplot_bin(void)
{
	const char *g = getenv("ISM_GNUPLOT");

	return g && *g ? g : "gnuplot";
}

/* Seconds one gnuplot run may take before it is killed (ISM_GNUPLOT_TIMEOUT, default 120). */
static int gnuplot_timeout_s(void)
{
	const char *t = getenv("ISM_GNUPLOT_TIMEOUT");
	char *end;
	long v;

	if (!t || !*t)
		return 120;
	v = strtol(t, &end, 10);
	return *end || v < 1 || v > 86400 ? 120 : (int)v;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define GNUPLOT_TIMED_OUT 1000

/*
 * Run gnuplot in @dir with @argv; 0 ok, 127 not found, GNUPLOT_TIMED_OUT when it ran past
 * gnuplot_timeout_s() (then it is killed), else its status; stderr into @err.
 */
static int run_gnuplot(const char *dir, char **argv, char *err, size_t errlen)
{
	int fd[2], status, timed_out = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	sigset_t held;
	double deadline = mono_s() + gnuplot_timeout_s();

	if (pipe(fd) < 0)
		return -1;
	fflush(NULL);
	output_hold(&held); /* fork() and output_child_add() as one step (output.h) */
	pid = fork();
	if (pid < 0) {
		output_release(&held);
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		int null;

		output_release(&held); /* gnuplot gets the mask we had */
		null = open("/dev/null", O_RDWR);

		close(fd[0]);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(fd[1], 2);
		if (*dir && chdir(dir) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	output_child_add(pid); /* it writes into our folder: killed first on a signal */
	output_release(&held);
	close(fd[1]);
	/* read its stderr until it closes it, never past the deadline */
	for (;;) {
		struct pollfd pfd = { .fd = fd[0], .events = POLLIN };
		double left = deadline - mono_s();
		char sink[512];
		int pr;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			timed_out = pr == 0;
			break;
		}
		if (n < errlen - 1)
			r = read(fd[0], err + n, errlen - 1 - n);
		else
			r = read(fd[0], sink, sizeof(sink));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n < errlen - 1)
			n += (size_t)r;
	}
	err[n] = 0;
	close(fd[0]);
	/* it closed stderr: reap it, still within the deadline */
	while (!timed_out) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			output_child_del(pid);
			return -1;
		}
		if (mono_s() >= deadline)
			timed_out = 1;
		else
			nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
	if (timed_out) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	output_child_del(pid);
	if (timed_out)
		return GNUPLOT_TIMED_OUT;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int plot_draw(struct plot_out *po, const char *kind, const char *csv, const char *figure,
	      const char *title, char *const *args, unsigned nargs)
{
	const char *tpl = plot_template(kind);
	char *script, *path, *argv[24], *line, *n, err[4096];
	struct stat st;
	unsigned ac = 0;
	int rc;

	if (!tpl) {
		ism_err("no plot template '%s'", kind);
		po->failed++;
		return -1;
	}
	if (po->flat) {
		const char *dot = strrchr(figure, '.');

		script = xasprintf("%.*s.gp", (int)(dot ? dot - figure : (long)strlen(figure)),
				   figure);
	} else {
		char *pd = plot_path(po->dir, "plots");

		if (plot_mkdirs(pd) < 0) {
			ism_err("%s: %s", pd, strerror(errno));
			free(pd);
			po->failed++;
			return -1;
		}
		free(pd);
		script = xasprintf("plots/%s.gp", kind);
	}
	path = plot_path(po->dir, script);
	if (plot_write_file(path, tpl) < 0) {
		free(path);
		free(script);
		po->failed++;
		return -1;
	}
	free(path);

	argv[ac++] = (char *)gnuplot_bin();
	argv[ac++] = "-c";
	argv[ac++] = script;
	argv[ac++] = (char *)csv;
	argv[ac++] = (char *)figure;
	argv[ac++] = (char *)(title ? title : "");
	for (unsigned i = 0; i < nargs && ac < ISM_ARRAY_SIZE(argv) - 1; i++)
		argv[ac++] = args[i];
	argv[ac] = NULL;
	argv[0] = "gnuplot";
	line = manifest_command_line((int)ac, argv);
	argv[0] = (char *)gnuplot_bin();
	n = xasprintf("%s%s\n", po->render, line);
	free(po->render);
	po->render = n;
	free(po->last);
	po->last = line;

	if (po->missing) {
		free(script);
		return 1;
	}
	rc = run_gnuplot(po->dir, argv, err, sizeof(err));
	free(script);
	if (rc == 127) {
		po->missing = 1;
		return 1;
	}
	path = plot_path(po->dir, figure);
	if (rc == GNUPLOT_TIMED_OUT) {
		ism_err("gnuplot did not finish %s within %d s (ISM_GNUPLOT_TIMEOUT): killed", path,
			gnuplot_timeout_s());
		free(path);
		po->failed++;
		return -1;
	}
	if (rc != 0 || stat(path, &st) < 0 || st.st_size == 0) {
		char *e = err + strspn(err, "\n ");

		ism_err("gnuplot failed on %s (%s%d)%s%s", path, rc > 128 ? "signal " : "exit ",
			rc > 128 ? rc - 128 : rc, *e ? ": " : "", e);
		free(path);
		po->failed++;
		return -1;
	}
	free(path);
	po->drawn++;
	return 0;
}

int plot_out_finish(struct plot_out *po, int write_render)
{
	int ret = po->failed ? -1 : 0;
	char *p = plot_path(po->dir, "render.sh");

	if (write_render) {
		if (plot_write_file(p, po->render) < 0)
			ret = -1;
		else
			chmod(p, 0755);
	}
	if (po->missing && write_render)
		ism_warn("gnuplot not found (install it, e.g. apt-get install gnuplot-nox): the "
			 "figures' data and scripts are written; draw them with: sh %s", p);
	else if (po->missing)
		ism_warn("gnuplot not found (install it, e.g. apt-get install gnuplot-nox): the "
			 "data and the script are written; draw with: %s",
			 po->last ? po->last : "");
	free(p);
	return ret;
}

/* ---- iommusim plot ------------------------------------------------------------------------ */

void help_plot(FILE *out)
{
	fprintf(out,
		"usage: iommusim plot KIND [options] INPUT... -o FIGURE.svg|FIGURE.png\n\n"
		"Draw a figure with gnuplot (plots/KIND.gp run with gnuplot -c). The\n"
		"figure's data (FIGURE.csv) and script (FIGURE.gp) are written next to it;\n"
		"without gnuplot they are still written and the command to draw them is\n"
		"printed.\n\nkinds:\n");
	for (const struct plot_kind *k = plot_kinds; k->name; k++)
		fprintf(out, "  %-11s %s\n              input: %s\n", k->name, k->summary,
			k->input);
	fprintf(out,
		"\noptions:\n"
		"  -o, --output FIGURE     the figure (.svg or .png; required)\n"
		"      --title TEXT        the figure's title\n"
		"  history:\n"
		"      --metric LIST       metrics, a panel each (default boot_ns,run_ns); the\n"
		"                          names are those of `iommusim regress --list-metrics`\n"
		"      --label LIST        a label per result, comma-separated (default: the file\n"
		"                          names without .json), e.g. commit ids\n"
		"  -S, --strategies LIST   only these strategies\n"
		"  -h, --help              this help\n"
		"Exit status: 0 drawn (or gnuplot missing: data and script written), 1 gnuplot\n"
		"failed or a file could not be written, 2 usage error or bad input.\n");
}

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
	status = plot_out_finish(&po, 0) < 0 ? EXIT_FAIL : EXIT_OK;
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
		ism_err("%s: no \"figure\" object (not written by iommusim sweep -o?)", jpath);
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
	status = plot_out_finish(&po, 0) < 0 ? EXIT_FAIL : EXIT_OK;
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
		ism_err("%s: %s (not a folder written by iommusim compare -o?)", jpath, e.text);
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
	status = plot_out_finish(&po, 0) < 0 ? EXIT_FAIL : EXIT_OK;
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
	enum { OPT_TITLE = 256, OPT_METRIC, OPT_LABEL };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "metric", required_argument, NULL, OPT_METRIC },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "strategies", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *figure = NULL, *title = NULL, *metric = "boot_ns,run_ns", *label = NULL;
	const char *strats = NULL;
	const struct plot_kind *k;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			figure = optarg;
			break;
		case OPT_TITLE:
			title = optarg;
			break;
		case OPT_METRIC:
			metric = optarg;
			break;
		case OPT_LABEL:
			label = optarg;
			break;
		case 'S':
			strats = optarg;
			break;
		case 'h':
			help_plot(stdout);
			return EXIT_OK;
		default:
			return bad_option("plot", opts, argv);
		}
	}
	if (optind >= argc)
		return usage_error("plot", "no figure kind (history, sweep, delta, cost, ...)");
	k = find_kind(argv[optind]);
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
