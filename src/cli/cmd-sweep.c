/*
 * cmd-sweep.c: `iommusim sweep` - the command line of a parameter sweep: its options, and
 * the text, CSV, JSON and figure of what the sweep library (sweep.h) found: every point's
 * metrics, the crossovers (where two strategies' order flips) and, when a pool size is swept,
 * the smallest pool with no failed map. Every point's result carries a provenance manifest.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "csv.h"
#include "error.h"
#include "manifest.h"
#include "metrics.h"
#include "output.h"
#include "param.h"
#include "cmd-plot.h"
#include "plot.h"
#include "reader.h"
#include "replay.h"
#include "report.h"
#include "scenario.h"
#include "schema.h"
#include "sweep.h"
#include "util.h"

#define SWEEP_VERSION SCHEMA_SWEEP
#define MAX_CROSS 64
#define MAX_MARKS 12

enum { OPT_SET = 0x1100, OPT_POINTS, OPT_EMIT, OPT_BLOCK, OPT_MERGE };

static const struct cmd_opt sweep_opts[] = {
	{ 's', 's', "scenario", "FILE", "machine and cost model (default: built-in defaults)",
	  NULL },
	{ 'p', 'p', "param", "PATH=VALUES",
	  "a parameter and its values: a list (2GiB,8GiB) or a range LO:HI:lin:N or "
	  "LO:HI:log:N (N values, ends included), e.g. cost.h_put_tce.fixed_ns=100:1e5:log:16; "
	  "the first -p is the x axis; `iommusim list params` lists the paths", NULL },
	{ OPT_SET, 0, "set", "PATH=VALUE", "a fixed override for every point (repeatable)", NULL },
	{ 'S', 'S', "strategies", "LIST", "strategies (default: every strategy of the mission)",
	  NULL },
	{ 'm', 'm', "metric", "LIST",
	  "metrics to report and plot (default boot_ns,run_ns); `iommusim regress "
	  "--list-metrics` lists them", NULL },
	{ 'x', 'x', "crossover", "A,B",
	  "report where A and B swap order (repeatable; default: every pair of strategies)",
	  NULL },
	{ 'l', 'l', "level", "S:METRIC=V",
	  "report where strategy S's METRIC crosses V (repeatable), e.g. ddw:setup_share=0.5 "
	  "(setup is half of boot)", NULL },
	CMD_OPT_JOBS("worker threads sharing each pass (default: online CPUs); a pass decodes "
		     "the trace once for up to 64 points"),
	CMD_OPT_REPORT_DIR("write sweep.csv, sweep.json, sweep.txt, the figure (sweep.png, "
			   "sweep.svg, its data and script) and every point's result with its "
			   "manifest (points/NNNN.json); DIR appears when complete (an earlier "
			   "sweep's DIR is replaced, any other non-empty folder refused)"),
	{ 'o', 'o', "output", "DIR", NULL, NULL },   /* the old -O, for a folder */
	{ CMD_OPT_FORMAT, 0, "format", "FORMAT", "standard output as text (default), json or csv",
	  NULL },
	CMD_OPTS_INPUT,
	{ 'f', 0, "format-in", "FORMAT", NULL, NULL },  /* the old -f */
	{ OPT_EMIT, 0, "emit", "slurm|parallel",
	  "with -O DIR: write the sweep as tasks of a cluster's job instead (DIR/tasks.txt, "
	  "run-task.sh, sweep.sbatch or parallel.sh, sweep-job.json); run nothing", NULL },
	{ OPT_BLOCK, 0, "block", "N", "with --emit: points per task (default: at most 1000 tasks)",
	  NULL },
	{ OPT_POINTS, 0, "points", "A-B",
	  "with -O DIR: run points A..B of DIR's job into DIR/points (what each task does)",
	  NULL },
	{ OPT_MERGE, 0, "merge", "DIR",
	  "check every point of DIR (present, same trace, scenario, strategies and version) "
	  "and write the local sweep's outputs into DIR; takes no other option than --format",
	  NULL },
	CMD_OPT_END,
};

const struct cmd_entry cmd_sweep_entry = {
	.name = "sweep",
	.args = "-p PATH=VALUES [-O DIR] TRACE",
	.summary = "parameter sweeps: curves, crossovers, sizing",
	.fn = cmd_sweep,
	.opts = sweep_opts,
	.about = "Replay TRACE at every point of a sweep of scenario parameters (several -p:\n"
		 "every combination), in parallel, and report each strategy's metrics, the\n"
		 "crossovers where two strategies' order flips along the first parameter and,\n"
		 "when a pool size (machine.swiotlb_bytes) is swept, the smallest pool with no\n"
		 "failed map and its margin.\n",
	.after = "TRACE is the operand or -i TRACE. On a cluster: --emit, --block and --points\n"
		 "take the sweep's other options;\n"
		 "  iommusim sweep --merge DIR [--format FORMAT]\n"
		 "merges the points. -o DIR, the old spelling of -O DIR, is still taken when DIR\n"
		 "is an existing folder or ends in '/', with a warning.\n"
		 "Exit status: 0 success, 1 a point failed at run time, 2 usage error or bad\n"
		 "input.\n",
};

#define NBSP "\xc2\xa0"

struct sw {
	struct sweep s;           /* the job, its results and what is found along it */
	const char *outdir;
	char **levels;            /* --level as given */
	unsigned nlevels;
	unsigned jobs;
	int format;               /* 0 text, 1 json, 2 csv */
	int argc;
	char **argv;
	/* run state */
	struct odir *od;          /* -o: the folder being written (renamed into place at the end) */
	const char *final;        /* -o as given */
	char *pdir;               /* where point files go (NULL: nowhere) */
	const char *merged;       /* --merge DIR: the folder the points came from */
	/* --emit, --points: a sweep run as tasks of a cluster's job */
	const char *emit;         /* "slurm" or "parallel" */
	unsigned long long block; /* points per task */
	int task;                 /* --points given: run those points into DIR/points only */
	unsigned long long pt_first, pt_last;
	char **praw;              /* -p as given, for the tasks' command lines */
	unsigned npraw;
	int truncated;            /* --allow-truncated */
};

static void add_str(char ***v, unsigned *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parse --level SPEC:METRIC=VALUE against the strategies into @lv. 0, or -1 (said). */
static int parse_level(const struct sw *w, const char *arg, struct sweep_level *lv)
{
	const char *eq = strchr(arg, '='), *colon;
	char *name, *end;

	for (colon = eq; colon && colon > arg && *colon != ':'; colon--)
		;
	if (!eq || !colon || *colon != ':') {
		usage_error("sweep", "--level %s: expected STRATEGY:METRIC=VALUE, e.g. "
			    "ddw:setup_share=0.5", arg);
		return -1;
	}
	name = xstrndup(colon + 1, (size_t)(eq - colon - 1));
	lv->metric = metric_find(name);
	if (!lv->metric) {
		char *all = metric_names();

		usage_error("sweep", "--level %s: unknown metric '%s' (metrics: %s)", arg, name,
			    all);
		free(all);
		free(name);
		return -1;
	}
	free(name);
	lv->value = strtod(eq + 1, &end);
	if (end == eq + 1 || *end || !isfinite(lv->value)) {
		usage_error("sweep", "--level %s: '%s' is not a number", arg, eq + 1);
		return -1;
	}
	for (lv->spec = 0; lv->spec < w->s.nspecs; lv->spec++)
		if (strlen(w->s.specs[lv->spec]) == (size_t)(colon - arg) &&
		    strncmp(w->s.specs[lv->spec], arg, (size_t)(colon - arg)) == 0)
			return 0;
	usage_error("sweep", "--level %s: %.*s is not among the strategies (-S)", arg,
		    (int)(colon - arg), arg);
	return -1;
}

/* "machine.swiotlb_bytes" -> "swiotlb": the pool a parameter sizes, for the sizing advice. */
static char *pool_name(const char *path)
{
	const char *b = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
	size_t n = strlen(b);

	if (n > 6 && strcmp(b + n - 6, "_bytes") == 0)
		n -= 6;
	return xstrndup(b, n);
}

static const char *param_unit(const char *path)
{
	const struct param *p = param_find(scenario_params(), path);

	return p && p->unit ? p->unit : "";
}

/* A parameter value for people: sizes in binary units. */
static char *fmt_value(const char *path, double v)
{
	const struct param *p = param_find(scenario_params(), path);
	char b[32];

	if (p && p->type == PARAM_SIZE && v >= 0)
		return xstrdup(ism_human_bytes((uint64_t)llround(v), b, sizeof(b)));
	return xasprintf("%.6g%s%s", v, p && p->unit && *p->unit ? " " : "",
			 p && p->unit ? p->unit : "");
}

static void print_text(FILE *f, struct sw *w, const struct sweep_found_cross *fc, unsigned nfc,
		       const struct sweep_found_size *fs, unsigned nfs, double elapsed)
{
	unsigned pw = 12;

	fprintf(f, "iommusim %s sweep: %s (%s), scenario %s (%s)\n", PACKAGE_VERSION, w->s.trace,
		w->s.fmt, w->s.sc_name, w->s.sc_path);
	for (unsigned i = 0; i < w->s.np; i++) {
		fprintf(f, "swept: %s = %s .. %s (%u values%s)\n", w->s.ps[i].path, w->s.ps[i].text[0],
			w->s.ps[i].text[w->s.ps[i].n - 1], w->s.ps[i].n, w->s.ps[i].log ? ", log" : "");
		if (strlen(w->s.ps[i].path) > pw)
			pw = (unsigned)strlen(w->s.ps[i].path);
	}
	fprintf(f, "%llu points x %u strategies, %u workers, ", (unsigned long long)w->s.npoints,
		w->s.nspecs, w->jobs);
	if (w->merged)
		fprintf(f, "merged from %s, ", w->merged);
	else
		fprintf(f, "%llu decode pass%s of %llu events, ", (unsigned long long)w->s.passes,
			w->s.passes == 1 ? "" : "es", (unsigned long long)w->s.events_decoded);
	fprintf(f, "%.1f s\n\n", elapsed);
	for (unsigned i = 0; i < w->s.np; i++)
		fprintf(f, "%*s  ", (int)(i ? 12 : pw), i ? w->s.ps[i].path + strlen(w->s.ps[i].path) -
			(strlen(w->s.ps[i].path) > 12 ? 12 : strlen(w->s.ps[i].path)) : w->s.ps[i].path);
	fprintf(f, "%-28s", "strategy");
	for (unsigned m = 0; m < w->s.nm; m++)
		fprintf(f, " %14s", w->s.metrics[m]->disp);
	fputc('\n', f);
	for (uint64_t k = 0; k < w->s.npoints; k++) {
		unsigned idx[8];

		sweep_point_index(w->s.ps, w->s.np, k, idx);
		for (unsigned s = 0; s < w->s.nspecs; s++) {
			for (unsigned i = 0; i < w->s.np; i++) {
				/* sizes in binary units, not raw bytes */
				char *v = w->s.ps[i].numeric ? fmt_value(w->s.ps[i].path, w->s.ps[i].x[idx[i]]) :
							     xstrdup(w->s.ps[i].text[idx[i]]);

				fprintf(f, "%*s  ", (int)(i ? 12 : pw), v);
				free(v);
			}
			fprintf(f, "%-28s", w->s.specs[s]);
			for (unsigned m = 0; m < w->s.nm; m++)
				fprintf(f, " %14.6g", sweep_metric(&w->s, k, s, m) * w->s.metrics[m]->scale);
			fputc('\n', f);
		}
	}
	if (w->s.ps[0].numeric) {
		fprintf(f, "\ncrossovers along %s:%s\n", w->s.ps[0].path, nfc ? "" : " none found");
		for (unsigned i = 0; i < nfc; i++) {
			const struct sweep_found_cross *c = &fc[i];
			const struct metric *m = c->lm ? c->lm : w->s.metrics[c->m];
			/* which strategy is better below the crossover */
			int a_better_below = m->higher_better ? !c->c.a_below : c->c.a_below;
			char *x = fmt_value(w->s.ps[0].path, c->c.x), *lo, *hi;

			lo = fmt_value(w->s.ps[0].path, c->c.x_lo);
			hi = fmt_value(w->s.ps[0].path, c->c.x_hi);
			fprintf(f, "  %s: %s = %s (between %s and %s)%s%s: ", m->name,
				w->s.ps[0].path, x, lo, hi, *c->at ? " at " : "", c->at);
			if (c->lm)
				fprintf(f, "%s's %s crosses %g: %s below, %s above\n",
					w->s.specs[c->a], m->name, c->value,
					c->c.a_below ? "lower" : "higher",
					c->c.a_below ? "higher" : "lower");
			else
				fprintf(f, "below, %s is better; above, %s\n",
					w->s.specs[a_better_below ? c->a : c->b],
					w->s.specs[a_better_below ? c->b : c->a]);
			free(x);
			free(lo);
			free(hi);
		}
	}
	for (unsigned i = 0; i < nfs; i++) {
		const struct sweep_found_size *z = &fs[i];
		char b1[32], b2[32], b3[32];

		if (i == 0 || fs[i - 1].ax != z->ax) {
			char *pool = pool_name(w->s.ps[z->ax].path);

			fprintf(f, "\n%s sizing (%s, %s .. %s tried):\n", pool, w->s.ps[z->ax].path,
				ism_human_bytes((uint64_t)z->lo, b1, sizeof(b1)),
				ism_human_bytes((uint64_t)z->hi, b2, sizeof(b2)));
			free(pool);
		}
		if (!z->z.found) {
			fprintf(f, "  %s%s%s: maps fail at every size tried; try larger pools\n",
				w->s.specs[z->s], *z->at ? " at " : "", z->at);
			continue;
		}
		fprintf(f, "  %s%s%s: smallest pool with no failed map %s", w->s.specs[z->s],
			*z->at ? " at " : "", z->at, ism_human_bytes((uint64_t)z->z.size, b1,
								   sizeof(b1)));
		if (z->pool_bytes_at != z->z.size)
			fprintf(f, " (the pool is %s)",
				ism_human_bytes((uint64_t)z->pool_bytes_at, b1, sizeof(b1)));
		fprintf(f, ": peak %.0f of %.0f slots, margin %.1f%%", z->peak_at, z->slots_at,
			100 * z->z.margin);
		if (z->z.fails_below)
			fprintf(f, "; %s: %.0f failed maps",
				ism_human_bytes((uint64_t)z->below_size, b2, sizeof(b2)),
				z->fails_below_n);
		else
			fprintf(f, "; it is the smallest size tried");
		fprintf(f, "; demand at %s: %.0f slots (%s)\n",
			ism_human_bytes((uint64_t)z->hi, b2, sizeof(b2)), z->z.demand,
			ism_human_bytes((uint64_t)(z->z.demand * z->slot_bytes), b3, sizeof(b3)));
	}
}

/*
 * Long form: one row per point, strategy and metric (point, the swept parameters, strategy,
 * metric, value, schema_version), so that a table tool filters and pivots it as it likes.
 */
static void print_csv(FILE *f, struct sw *w)
{
	const struct metric *m;

	fprintf(f, "point");
	for (unsigned i = 0; i < w->s.np; i++) {
		fputc(',', f);
		csv_str(f, w->s.ps[i].path);
	}
	fprintf(f, ",strategy,metric,value,schema_version\n");
	for (uint64_t k = 0; k < w->s.npoints; k++) {
		unsigned idx[8];

		sweep_point_index(w->s.ps, w->s.np, k, idx);
		for (unsigned s = 0; s < w->s.nspecs; s++) {
			const double *v = sweep_values(&w->s, k, s);

			for (unsigned i = 0; i < w->s.nmt && (m = metric_get(i)) != NULL; i++) {
				if (isnan(v[i]))
					continue;
				fprintf(f, "%llu", (unsigned long long)k);
				for (unsigned p = 0; p < w->s.np; p++) {
					fputc(',', f);
					if (w->s.ps[p].numeric)
						csv_num(f, w->s.ps[p].x[idx[p]], 15);
					else
						csv_str(f, w->s.ps[p].text[idx[p]]);
				}
				fputc(',', f);
				csv_str(f, w->s.specs[s]);
				fprintf(f, ",%s,", m->name);
				if (metric_integer(m))
					csv_int(f, v[i]);
				else
					csv_num(f, v[i], 10);
				fprintf(f, ",%d\n", SCHEMA_SWEEP_CSV);
			}
		}
	}
}

static json_t *sweep_json(struct sw *w, const struct sweep_found_cross *fc, unsigned nfc,
			  const struct sweep_found_size *fs, unsigned nfs, json_t *figure)
{
	json_t *root = json_object(), *a, *man;
	struct manifest_in mi;
	struct scenario sc;
	char *cause = NULL;
	const struct metric *m;

	json_object_set_new(root, "schema_version", json_integer(SWEEP_VERSION));
	json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	memset(&mi, 0, sizeof(mi));
	mi.trace = w->s.trace;
	mi.specs = w->s.specs;
	mi.nspecs = w->s.nspecs;
	mi.sets = w->s.sets;
	mi.nsets = w->s.nsets;
	mi.argc = w->argc;
	mi.argv = w->argv;
	if (scenario_load(w->s.scenario, &sc, &cause) == 0) {
		for (unsigned i = 0; i < w->s.nsets; i++)
			scenario_set(&sc, w->s.sets[i], NULL, &cause);
		mi.sc = &sc;
		man = manifest_json(&mi, w->s.trace_hash, w->s.trace_bytes, &cause);
		scenario_free(&sc);
	} else {
		man = NULL;
	}
	free(cause);
	json_object_set_new(root, "manifest", man ? man : json_null());
	a = json_array();
	for (unsigned i = 0; i < w->s.np; i++) {
		json_t *p = json_object(), *v = json_array();

		json_object_set_new(p, "path", json_string(w->s.ps[i].path));
		for (unsigned j = 0; j < w->s.ps[i].n; j++)
			json_array_append_new(v, json_string(w->s.ps[i].text[j]));
		json_object_set_new(p, "values", v);
		json_object_set_new(p, "log", json_boolean(w->s.ps[i].log));
		json_array_append_new(a, p);
	}
	json_object_set_new(root, "params", a);
	a = json_array();
	for (unsigned i = 0; (m = metric_get(i)) != NULL; i++)
		json_array_append_new(a, json_string(m->name));
	json_object_set_new(root, "metrics", a);
	a = json_array();
	for (uint64_t k = 0; k < w->s.npoints; k++) {
		json_t *p = json_object(), *ss = json_array(), *pv = json_object();
		unsigned idx[8];

		json_object_set_new(p, "index", json_integer((json_int_t)k));
		sweep_point_index(w->s.ps, w->s.np, k, idx);
		for (unsigned i = 0; i < w->s.np; i++)
			json_object_set_new(pv, w->s.ps[i].path, json_string(w->s.ps[i].text[idx[i]]));
		json_object_set_new(p, "params", pv);
		json_object_set_new(p, "scenario_sha256", json_string(w->s.hash[k]));
		if (w->outdir) {
			char n[48];

			snprintf(n, sizeof(n), "points/%04llu.json", (unsigned long long)k);
			json_object_set_new(p, "file", json_string(n));
		}
		for (unsigned s = 0; s < w->s.nspecs; s++) {
			const double *v = sweep_values(&w->s, k, s);
			json_t *o = json_object();

			json_object_set_new(o, "strategy", json_string(w->s.specs[s]));
			for (unsigned i = 0; i < w->s.nmt; i++)
				if (!isnan(v[i]))
					json_object_set_new(o, metric_get(i)->name,
							    metric_integer(metric_get(i)) ?
							    json_integer((json_int_t)llround(v[i])) :
							    json_real(v[i]));
			json_array_append_new(ss, o);
		}
		json_object_set_new(p, "strategies", ss);
		json_array_append_new(a, p);
	}
	json_object_set_new(root, "points", a);
	a = json_array();
	for (unsigned i = 0; i < nfc; i++) {
		const struct sweep_found_cross *c = &fc[i];
		const struct metric *mm = c->lm ? c->lm : w->s.metrics[c->m];
		int a_better_below = mm->higher_better ? !c->c.a_below : c->c.a_below;
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(c->lm ? "level" : "pair"));
		json_object_set_new(o, "metric", json_string(mm->name));
		json_object_set_new(o, "param", json_string(w->s.ps[0].path));
		json_object_set_new(o, "x", json_real(c->c.x));
		json_object_set_new(o, "x_low", json_real(c->c.x_lo));
		json_object_set_new(o, "x_high", json_real(c->c.x_hi));
		if (c->lm) {
			json_object_set_new(o, "strategy", json_string(w->s.specs[c->a]));
			json_object_set_new(o, "value", json_real(c->value));
			json_object_set_new(o, "below",
					    json_string(c->c.a_below ? "lower" : "higher"));
		} else {
			json_object_set_new(o, "better_below",
					    json_string(w->s.specs[a_better_below ? c->a : c->b]));
			json_object_set_new(o, "better_above",
					    json_string(w->s.specs[a_better_below ? c->b : c->a]));
		}
		json_object_set_new(o, "at", json_string(c->at));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "crossovers", a);
	a = json_array();
	for (unsigned i = 0; i < nfs; i++) {
		const struct sweep_found_size *z = &fs[i];
		json_t *o = json_object();

		json_object_set_new(o, "strategy", json_string(w->s.specs[z->s]));
		json_object_set_new(o, "param", json_string(w->s.ps[z->ax].path));
		json_object_set_new(o, "at", json_string(z->at));
		json_object_set_new(o, "found", json_boolean(z->z.found));
		if (z->z.found) {
			json_object_set_new(o, "smallest_bytes",
					    json_integer((json_int_t)z->z.size));
			json_object_set_new(o, "pool_bytes",
					    json_integer((json_int_t)z->pool_bytes_at));
			json_object_set_new(o, "peak_slots", json_integer((json_int_t)z->peak_at));
			json_object_set_new(o, "slots", json_integer((json_int_t)z->slots_at));
			json_object_set_new(o, "margin", json_real(z->z.margin));
			json_object_set_new(o, "next_smaller_bytes",
					    z->z.fails_below
						    ? json_integer((json_int_t)z->below_size)
						    : json_null());
			json_object_set_new(o, "next_smaller_map_failures",
					    json_integer((json_int_t)z->fails_below_n));
		}
		json_object_set_new(o, "demand_slots", json_integer((json_int_t)z->z.demand));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "sizing", a);
	if (figure)
		json_object_set(root, "figure", figure);
	return root;
}

/*
 * The figure: sweep-plot.csv (x = the first parameter; a series per strategy and combination of
 * the other parameters; a block of series per metric) drawn by plots/sweep.gp.
 */
/* The base scenario's value of @path (after --set), for the figure's mark; 0 or -1. */
static int scenario_value(const struct sw *w, const char *path, double *out)
{
	const struct param *p = param_find(scenario_params(), path);
	struct scenario sc;
	char *cause = NULL;
	const void *f;
	int ret = -1;

	if (!p || scenario_load(w->s.scenario, &sc, &cause) < 0) {
		free(cause);
		return -1;
	}
	for (unsigned i = 0; i < w->s.nsets; i++) {
		if (scenario_set(&sc, w->s.sets[i], NULL, &cause) < 0) {
			free(cause);
			cause = NULL;
		}
	}
	f = (const char *)&sc + p->offset;
	switch (p->type) {
	case PARAM_DOUBLE:
		*out = *(const double *)f;
		ret = 0;
		break;
	case PARAM_BOOL:
	case PARAM_STRING:
		break;
	default:
		*out = (double)*(const uint64_t *)f;
		ret = 0;
	}
	scenario_free(&sc);
	return ret;
}

/* "a b" -> "a<NBSP>b": one word for a gnuplot word list, shown with its space. */
static char *one_word(const char *s)
{
	char *o = xmalloc(strlen(s) * 2 + 1), *d = o;

	for (; *s; s++) {
		if (*s == ' ') {
			*d++ = (char)0xC2;
			*d++ = (char)0xA0;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
	return o;
}

/*
 * The figure: sweep-plot.csv (x = the first parameter; a series per strategy and combination of
 * the other parameters; a block of series per metric, headed METRIC:SERIES) drawn by
 * plots/sweep.gp: per metric a panel of values and one of the difference from the first
 * strategy, the scenario's own value and the crossovers marked.
 */
static json_t *draw_figure(struct sw *w, const struct sweep_found_cross *fc, unsigned nfc,
			   const struct sweep_found_size *fs, unsigned nfs, struct plot_out *po)
{
	unsigned n0 = w->s.ps[0].n, *order = sweep_sorted_order(&w->s.ps[0]), nmarks = 0;
	uint64_t lines, *pts = sweep_lines(&w->s, 0, &lines);
	char *p = plot_path(w->outdir, "sweep-plot.csv"), *args[6], *title;
	const struct param *pp = param_find(scenario_params(), w->s.ps[0].path);
	json_t *fig, *ja;
	double sv;
	FILE *f;

	f = fopen(p, "w");
	if (!f) {
		ism_err("%s: %s", p, strerror(errno));
		free(p);
		free(order);
		free(pts);
		po->failed++;
		return NULL;
	}
	free(p);
	csv_str(f, w->s.ps[0].path);
	for (unsigned m = 0; m < w->s.nm; m++)
		for (unsigned s = 0; s < w->s.nspecs; s++)
			for (uint64_t g = 0; g < lines; g++) {
				char *o = sweep_others_text(&w->s, 0, pts[g * n0]);
				char *col = xasprintf("%s:%s%s%s", w->s.metrics[m]->disp, w->s.specs[s],
						      *o ? " " : "", o);

				fputc(',', f);
				csv_str(f, col);
				free(col);
				free(o);
			}
	fprintf(f, ",schema_version\n");
	for (unsigned j = 0; j < n0; j++) {
		csv_num(f, w->s.ps[0].x[order[j]], 15);
		for (unsigned m = 0; m < w->s.nm; m++)
			for (unsigned s = 0; s < w->s.nspecs; s++)
				for (uint64_t g = 0; g < lines; g++) {
					double v = sweep_metric(&w->s, pts[g * n0 + j], s, m);

					fputc(',', f);
					csv_num(f, v * w->s.metrics[m]->scale, 10);
				}
		fprintf(f, ",%d\n", SCHEMA_FIGURE_CSV);
	}
	if (fclose(f) != 0)
		po->failed++;
	/* gnuplot -c takes 9 arguments: lists of labels are '|'-separated */
	args[0] = xasprintf("%u|%llu|%llu|%s", w->s.nm, (unsigned long long)(w->s.nspecs * lines),
			    (unsigned long long)lines,
			    !w->s.ps[0].log ? "lin" : pp && pp->type == PARAM_SIZE ? "bytes" : "log");
	args[1] = pp && pp->help ? xasprintf("%s: %s%s%s%s", w->s.ps[0].path, pp->help,
					     *param_unit(w->s.ps[0].path) ? " (" : "",
					     param_unit(w->s.ps[0].path),
					     *param_unit(w->s.ps[0].path) ? ")" : "") :
			  xasprintf("%s", w->s.ps[0].path);
	args[2] = xstrdup("");
	for (unsigned m = 0; m < w->s.nm; m++) {
		char *l = metric_label(w->s.metrics[m]);
		char *n = xasprintf("%s%s%s", args[2], m ? "|" : "", l);

		free(l);
		free(args[2]);
		args[2] = n;
	}
	args[3] = xstrdup("");
	for (unsigned i = 0; i < nfc && nmarks < MAX_MARKS; i++) {
		char *n, *lbl;

		if (fc[i].m >= w->s.nm)
			continue;   /* a level of a metric that has no panel */
		lbl = fmt_value(w->s.ps[0].path, fc[i].c.x);
		n = one_word(lbl);
		free(lbl);
		lbl = n;
		/* one label where two pairs cross at the same place */
		n = xasprintf("%u:%.6g:%s", fc[i].m + 1, fc[i].c.x, lbl);
		if (strstr(args[3], n)) {
			free(n);
			free(lbl);
			continue;
		}
		free(n);
		n = xasprintf("%s%s%u:%.6g:%s", args[3], *args[3] ? " " : "", fc[i].m + 1,
			      fc[i].c.x, lbl);
		free(lbl);
		nmarks++;

		free(args[3]);
		args[3] = n;
	}
	/* the sizing advice, on the map_failures panel (once per pool size) */
	for (unsigned m = 0; m < w->s.nm; m++) {
		if (strcmp(w->s.metrics[m]->name, "map_failures") != 0)
			continue;
		for (unsigned i = 0; i < nfs && nmarks < MAX_MARKS; i++) {
			char b[32], *n;

			if (fs[i].ax != 0 || !fs[i].z.found ||
			    (i && fs[i - 1].z.found && fs[i - 1].z.size == fs[i].z.size))
				continue;
			char *bw;

			ism_human_bytes((uint64_t)fs[i].z.size, b, sizeof(b));
			bw = one_word(b);
			n = xasprintf("%s%s%u:%.6g:no" NBSP "failure" NBSP "from" NBSP "%s", args[3],
				      *args[3] ? " " : "", m + 1, fs[i].z.size, bw);
			free(bw);
			free(args[3]);
			args[3] = n;
			nmarks++;
		}
	}
	if (w->s.ps[0].numeric && scenario_value(w, w->s.ps[0].path, &sv) == 0) {
		char *l = fmt_value(w->s.ps[0].path, sv);

		args[4] = xasprintf("%.10g|scenario: %s", sv, l);
		free(l);
	} else {
		args[4] = xstrdup("");
	}
	args[5] = xstrdup(w->s.specs[0]);
	title = xasprintf("sweep of %s: %s", w->s.ps[0].path,
			  strrchr(w->s.trace, '/') ? strrchr(w->s.trace, '/') + 1 : w->s.trace);
	plot_draw(po, "sweep", "sweep-plot.csv", "sweep.png", title, args, 6);
	plot_draw(po, "sweep", "sweep-plot.csv", "sweep.svg", title, args, 6);
	fig = json_object();
	json_object_set_new(fig, "data", json_string("sweep-plot.csv"));
	json_object_set_new(fig, "title", json_string(title));
	ja = json_array();
	for (unsigned i = 0; i < 6; i++) {
		json_array_append_new(ja, json_string(args[i]));
		free(args[i]);
	}
	json_object_set_new(fig, "args", ja);
	free(title);
	free(order);
	free(pts);
	return fig;
}

static int write_outputs(struct sw *w, const struct sweep_found_cross *fc, unsigned nfc,
			 const struct sweep_found_size *fs, unsigned nfs, double elapsed)
{
	json_t *fig = NULL, *j;
	struct plot_out po;
	char *p;
	FILE *f;
	int ret = 0;

	if (!w->outdir) {
		if (w->format == 1) {
			j = sweep_json(w, fc, nfc, fs, nfs, NULL);
			json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				   JSON_REAL_PRECISION(10));
			fputc('\n', stdout);
			json_decref(j);
		} else if (w->format == 2) {
			print_csv(stdout, w);
		} else {
			print_text(stdout, w, fc, nfc, fs, nfs, elapsed);
		}
		return finish_stdout(EXIT_OK) == EXIT_OK ? 0 : -1;
	}
	plot_out_init(&po, w->outdir, 0);
	if (w->s.ps[0].numeric)
		fig = draw_figure(w, fc, nfc, fs, nfs, &po);
	if (plot_finish(&po, 1) != EXIT_OK)
		ret = -1;
	plot_out_free(&po);
	j = sweep_json(w, fc, nfc, fs, nfs, fig);
	json_decref(fig);
	p = plot_path(w->outdir, "sweep.json");
	if (json_dump_file(j, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) <
	    0) {
		ism_err("%s: write error", p);
		ret = -1;
	}
	free(p);
	p = plot_path(w->outdir, "sweep.csv");
	f = fopen(p, "w");
	if (f) {
		print_csv(f, w);
		if (fclose(f) != 0)
			f = NULL;
	}
	if (!f) {
		ism_err("%s: write error", p);
		ret = -1;
	}
	free(p);
	p = plot_path(w->outdir, "sweep.txt");
	f = fopen(p, "w");
	if (f) {
		print_text(f, w, fc, nfc, fs, nfs, elapsed);
		if (fclose(f) != 0)
			f = NULL;
	}
	if (!f) {
		ism_err("%s: write error", p);
		ret = -1;
	}
	free(p);
	if (w->format == 1) {
		json_dumpf(j, stdout,
			   JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', stdout);
	} else if (w->format == 2) {
		print_csv(stdout, w);
	} else {
		print_text(stdout, w, fc, nfc, fs, nfs, elapsed);
	}
	json_decref(j);
	if (finish_stdout(EXIT_OK) != EXIT_OK)
		ret = -1;
	return ret;
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	double *t0 = arg;

	fprintf(stderr, "\rsweep: %llu/%llu points, %.1f s\033[K", (unsigned long long)done,
		(unsigned long long)total, now_s() - *t0);
}

/* Check every point's scenario and the trace before running anything. */
static int validate(struct sw *w)
{
	char *cause = NULL;
	uint64_t bad;
	int ret = sweep_check(&w->s, &bad, &cause);

	if (ret < 0 && bad != UINT64_MAX) {
		char *o = sweep_others_text(&w->s, w->s.np, bad);

		ism_err("%s (sweep point %s)", cause ? cause : ism_strerror(ret), o);
		free(o);
		free(cause);
		return EXIT_USAGE;
	}
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret);
	}
	return EXIT_OK;
}

/* The analysis and every output of a sweep whose results are all in. */
static int finish_sweep(struct sw *w, double elapsed)
{
	struct sweep_found_cross fc[MAX_CROSS];
	struct sweep_found_size fs[64];
	unsigned nfc = 0, nfs = 0;
	int status = EXIT_OK;

	if (w->s.ps[0].numeric)
		nfc = sweep_find_crossovers(&w->s, fc, MAX_CROSS);
	nfs = sweep_find_sizing(&w->s, fs, ISM_ARRAY_SIZE(fs));
	if (write_outputs(w, fc, nfc, fs, nfs, elapsed) < 0)
		status = EXIT_FAIL;
	for (unsigned i = 0; i < nfc; i++)
		free(fc[i].at);
	for (unsigned i = 0; i < nfs; i++)
		free(fs[i].at);
	return status;
}

static int sweep_main(struct sw *w)
{
	struct sweep_run_opts ro;
	double t0, elapsed = 0;
	char *cause = NULL;
	int status, ret;

	w->s.npoints = sweep_points(w->s.ps, w->s.np);
	if (w->s.npoints > 100000)
		return usage_error("sweep", "%llu points: at most 100000",
				   (unsigned long long)w->s.npoints);
	if (w->jobs > w->s.npoints)
		w->jobs = (unsigned)w->s.npoints;
	status = validate(w);
	if (status != EXIT_OK)
		return status;
	if (w->outdir) {
		static const char *const subdirs[] = { "points", "plots", NULL };

		/* a temporary folder next to DIR, renamed to DIR when complete (output.h) */
		w->final = w->outdir;
		ret = odir_open(w->final, "sweep.json", subdirs, &w->od, &cause);
		if (ret < 0) {
			ism_err("%s", cause);
			free(cause);
			return ism_err_exit(ret);
		}
		w->outdir = odir_path(w->od);
		w->pdir = plot_path(w->outdir, "points");
		if (plot_mkdirs(w->pdir) < 0) {
			ism_err("%s: %s", w->pdir, strerror(errno));
			odir_abort(w->od);
			w->od = NULL;
			return EXIT_FAIL;
		}
	}
	memset(&ro, 0, sizeof(ro));
	ro.jobs = w->jobs;
	ro.point_dir = w->pdir;
	t0 = now_s();
	if (isatty(2) && !getenv("ISM_NO_PROGRESS")) {
		ro.tick = progress;
		ro.tick_arg = &t0;
	}
	ret = sweep_run(&w->s, &ro, &cause);
	if (ro.tick)
		fprintf(stderr, "\r\033[K");
	elapsed = now_s() - t0;
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		/* what a point's process exited with: 2 for a bad point, 1 at run time */
		status = ism_err_exit(ret) == EXIT_USAGE ? EXIT_USAGE : EXIT_FAIL;
	}
	if (status == EXIT_OK)
		status = finish_sweep(w, elapsed);
	if (w->od) {
		if (status != EXIT_OK) {
			odir_abort(w->od); /* no partial sweep under DIR */
		} else if (odir_commit(w->od, &cause) < 0) {
			ism_err("%s", cause);
			free(cause);
			status = EXIT_FAIL;
		}
		w->od = NULL;
		w->outdir = w->final;
	}
	return status;
}

static int parse_sweep(struct sw *wp, int argc, char **argv);

/* ------------------------------------------------------------------------------------------
 * A sweep as a cluster's job: --emit writes a folder of tasks (each a plain iommusim command
 * running a block of points into DIR/points), --merge gathers them into the local outputs.
 */

#define JOB_FILE "sweep-job.json"
#define JOB_VERSION 1
#define TASKS_MAX 1000     /* Slurm's default MaxArraySize is 1001 */

static char *abs_path(const char *p)
{
	char cwd[4096];

	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(p);
	return xasprintf("%s/%s", cwd, p);
}

static char *quote1(const char *s)
{
	char *const v[1] = { (char *)s };

	return manifest_command_line(1, v);
}

static int write_text(const char *dir, const char *name, const char *text, int exec)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	int ret = 0;

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		ism_err("%s: %s", p, strerror(errno));
		ret = -1;
	} else if (exec && chmod(p, 0755) < 0) {
		ret = -1;
	}
	free(p);
	return ret;
}

/* "3, 5-9, 12" of the points marked in @bad (malloc'd). */
static char *ranges(const unsigned char *bad, uint64_t n, uint64_t div)
{
	char *s = xstrdup("");

	for (uint64_t k = 0; k < n;) {
		uint64_t e = k;
		char *t;

		if (!bad[k]) {
			k++;
			continue;
		}
		while (e + 1 < n && bad[e + 1])
			e++;
		if (div > 1) {   /* as task numbers */
			uint64_t a = k / div, b = e / div;

			t = a == b ? xasprintf("%s%s%llu", s, *s ? ", " : "", (unsigned long long)a) :
				     xasprintf("%s%s%llu-%llu", s, *s ? ", " : "",
					       (unsigned long long)a, (unsigned long long)b);
		} else {
			t = k == e ? xasprintf("%s%s%llu", s, *s ? ", " : "", (unsigned long long)k) :
				     xasprintf("%s%s%llu-%llu", s, *s ? ", " : "",
					       (unsigned long long)k, (unsigned long long)e);
		}
		free(s);
		s = t;
		k = e + 1;
	}
	return s;
}

/* The task command of points @a..@b: run from the sweep's folder @cwd. */
static char *task_line(const struct sw *w, const char *bin, const char *cwd, const char *dir,
		       uint64_t a, uint64_t b)
{
	char **v = NULL, *line, *q1, *q2, *q3, *full;
	unsigned n = 0;
	char pts[64];

	add_str(&v, &n, bin);
	add_str(&v, &n, "sweep");
	snprintf(pts, sizeof(pts), "%llu-%llu", (unsigned long long)a, (unsigned long long)b);
	add_str(&v, &n, "--points");
	add_str(&v, &n, pts);
	add_str(&v, &n, "-O");
	add_str(&v, &n, dir);
	if (w->s.scenario) {
		add_str(&v, &n, "-s");
		add_str(&v, &n, w->s.scenario);
	}
	if (w->s.format_in) {
		add_str(&v, &n, "-f");
		add_str(&v, &n, w->s.format_in);
	}
	if (w->truncated)
		add_str(&v, &n, "--allow-truncated");
	for (unsigned i = 0; i < w->s.nspecs; i++) {
		add_str(&v, &n, "-S");
		add_str(&v, &n, w->s.specs[i]);
	}
	for (unsigned i = 0; i < w->s.nsets; i++) {
		add_str(&v, &n, "--set");
		add_str(&v, &n, w->s.sets[i]);
	}
	for (unsigned i = 0; i < w->npraw; i++) {
		add_str(&v, &n, "-p");
		add_str(&v, &n, w->praw[i]);
	}
	line = manifest_command_line((int)n, v);
	q1 = quote1(cwd);
	q2 = quote1(w->s.trace);
	q3 = NULL;
	/* the worker threads: what the cluster gave the task (ISM_SWEEP_JOBS), 1 otherwise */
	full = xasprintf("cd %s && %s -j \"${ISM_SWEEP_JOBS:-1}\" -- %s\n", q1, line, q2);
	free(q3);
	free(q1);
	free(q2);
	free(line);
	sweep_free_strs(v, n);
	return full;
}

/* -S is repeated in the tasks: one spec per -S joins them back (the parser splits commas). */

static int sweep_emit(struct sw *w)
{
	static const char *const subdirs[] = { "points", "logs", NULL };
	uint64_t ntasks;
	char bin[4096], cwd[4096], *dir, *cause = NULL, *tasks, *t, *qd, *cmd;
	struct odir *od;
	const char *tmp;
	json_t *job, *a;
	ssize_t nb;
	int status;

	w->s.npoints = sweep_points(w->s.ps, w->s.np);
	status = validate(w);
	if (status != EXIT_OK)
		return status;
	if (!w->block)
		w->block = (w->s.npoints + TASKS_MAX - 1) / TASKS_MAX;
	ntasks = (w->s.npoints + w->block - 1) / w->block;
	nb = readlink("/proc/self/exe", bin, sizeof(bin) - 1);
	if (nb <= 0 || !getcwd(cwd, sizeof(cwd))) {
		ism_err("cannot find the iommusim program or the current folder: %s",
			strerror(errno));
		return EXIT_FAIL;
	}
	bin[nb] = 0;
	if (odir_open(w->outdir, JOB_FILE, subdirs, &od, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		return EXIT_USAGE;
	}
	tmp = odir_path(od);
	for (unsigned i = 0; subdirs[i]; i++) {
		char *sd = xasprintf("%s/%s", tmp, subdirs[i]);

		if (plot_mkdirs(sd) < 0) {
			ism_err("%s: %s", sd, strerror(errno));
			free(sd);
			odir_abort(od);
			return EXIT_FAIL;
		}
		free(sd);
	}
	dir = abs_path(w->outdir);
	qd = quote1(dir);
	tasks = xstrdup("");
	for (uint64_t i = 0; i < ntasks; i++) {
		uint64_t lo = i * w->block, hi = lo + w->block - 1;
		char *l;

		if (hi >= w->s.npoints)
			hi = w->s.npoints - 1;
		l = task_line(w, bin, cwd, dir, lo, hi);
		t = xasprintf("%s%s", tasks, l);
		free(l);
		free(tasks);
		tasks = t;
	}
	job = json_object();
	json_object_set_new(job, "schema_version", json_integer(JOB_VERSION));
	json_object_set_new(job, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	json_object_set_new(job, "emit", json_string(w->emit));
	json_object_set_new(job, "cwd", json_string(cwd));
	json_object_set_new(job, "program", json_string(bin));
	a = json_array();
	for (int i = 0; i < w->argc; i++)
		json_array_append_new(a, json_string(w->argv[i]));
	json_object_set_new(job, "command", a);
	a = json_object();
	json_object_set_new(a, "path", json_string(w->s.trace));
	json_object_set_new(a, "bytes", json_integer((json_int_t)w->s.trace_bytes));
	json_object_set_new(a, "sha256", json_string(w->s.trace_hash));
	json_object_set_new(job, "trace", a);
	json_object_set_new(job, "points", json_integer((json_int_t)w->s.npoints));
	json_object_set_new(job, "block", json_integer((json_int_t)w->block));
	json_object_set_new(job, "tasks", json_integer((json_int_t)ntasks));
	t = xasprintf("%s/%s", tmp, JOB_FILE);
	status = json_dump_file(job, t, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ? EXIT_FAIL :
										 EXIT_OK;
	free(t);
	json_decref(job);
	if (status == EXIT_OK && write_text(tmp, "tasks.txt", tasks, 0) < 0)
		status = EXIT_FAIL;
	t = xasprintf("#!/bin/sh\n"
		      "# run-task.sh N: task N (0..%llu) of this sweep, line N+1 of tasks.txt; its\n"
		      "# points are written with their manifests to points/NNNN.json\n"
		      "[ $# -eq 1 ] || { echo \"usage: $0 TASK\" >&2; exit 2; }\n"
		      "line=$(sed -n \"$(($1 + 1))p\" %s/tasks.txt)\n"
		      "[ -n \"$line\" ] || { echo \"$0: no task $1 (0..%llu)\" >&2; exit 2; }\n"
		      "exec sh -c \"$line\"\n",
		      (unsigned long long)ntasks - 1, qd, (unsigned long long)ntasks - 1);
	if (status == EXIT_OK && write_text(tmp, "run-task.sh", t, 1) < 0)
		status = EXIT_FAIL;
	free(t);
	if (strcmp(w->emit, "slurm") == 0) {
		t = xasprintf("#!/bin/sh\n"
			      "# sweep.sbatch: this sweep as a Slurm job array, a task per line of\n"
			      "# tasks.txt (%llu points in %llu tasks). Submit: sbatch %s/sweep.sbatch\n"
			      "# then, when every task is done: iommusim sweep --merge %s\n"
			      "#SBATCH --job-name=iommusim-sweep\n"
			      "#SBATCH --array=0-%llu\n"
			      "#SBATCH --cpus-per-task=1\n"
			      "#SBATCH --output=%s/logs/task-%%a.log\n"
			      "ISM_SWEEP_JOBS=${SLURM_CPUS_PER_TASK:-1} exec sh %s/run-task.sh "
			      "\"$SLURM_ARRAY_TASK_ID\"\n",
			      (unsigned long long)w->s.npoints, (unsigned long long)ntasks, qd, qd,
			      (unsigned long long)ntasks - 1, dir, qd);
		if (status == EXIT_OK && write_text(tmp, "sweep.sbatch", t, 1) < 0)
			status = EXIT_FAIL;
		cmd = xasprintf("sbatch %s/sweep.sbatch", qd);
	} else {
		t = xasprintf("#!/bin/sh\n"
			      "# parallel.sh [PARALLEL OPTIONS]: this sweep's tasks (tasks.txt, %llu\n"
			      "# points in %llu tasks) run by GNU parallel, e.g. -j 8 or\n"
			      "# --sshloginfile nodes.txt; then: iommusim sweep --merge %s\n"
			      "exec parallel --halt now,fail=1 --joblog %s/logs/parallel.log \"$@\" "
			      "< %s/tasks.txt\n",
			      (unsigned long long)w->s.npoints, (unsigned long long)ntasks, qd, qd, qd);
		if (status == EXIT_OK && write_text(tmp, "parallel.sh", t, 1) < 0)
			status = EXIT_FAIL;
		cmd = xasprintf("sh %s/parallel.sh", qd);
	}
	free(t);
	free(tasks);
	if (status != EXIT_OK) {
		odir_abort(od);
	} else if (odir_commit(od, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		status = EXIT_FAIL;
	} else {
		printf("sweep: %llu points in %llu tasks of %llu written to %s\n"
		       "run them: %s\nthen merge: iommusim sweep --merge %s\n",
		       (unsigned long long)w->s.npoints, (unsigned long long)ntasks, w->block,
		       w->outdir, cmd, qd);
		status = finish_stdout(EXIT_OK);
	}
	free(cmd);
	free(qd);
	free(dir);
	return status;
}

/* --points A-B -o DIR: a task of an emitted sweep, its points into DIR/points. */
static int sweep_task(struct sw *w)
{
	struct sweep_run_opts ro;
	char *cause = NULL, *job = xasprintf("%s/%s", w->outdir, JOB_FILE), *pdir;
	int status, ret;

	w->s.npoints = sweep_points(w->s.ps, w->s.np);
	if (access(job, F_OK) < 0) {
		ism_err("%s: %s: --points writes into a folder made by sweep --emit",
			job, strerror(errno));
		free(job);
		return EXIT_USAGE;
	}
	free(job);
	if (w->pt_last >= w->s.npoints)
		return usage_error("sweep", "--points %llu-%llu: the sweep has points 0-%llu",
				   w->pt_first, w->pt_last, (unsigned long long)w->s.npoints - 1);
	status = validate(w);
	if (status != EXIT_OK)
		return status;
	pdir = xasprintf("%s/points", w->outdir);
	memset(&ro, 0, sizeof(ro));
	ro.jobs = w->jobs;
	ro.point_dir = pdir;
	ro.first = w->pt_first;
	ro.count = w->pt_last - w->pt_first + 1;
	ret = sweep_run(&w->s, &ro, &cause);
	free(pdir);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret) == EXIT_USAGE ? EXIT_USAGE : EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Why point @k's file @j is not this sweep's (malloc'd), or NULL. */
static char *point_mismatch(const struct sw *w, uint64_t k, json_t *j)
{
	json_t *man = json_object_get(j, "manifest"), *params = json_object_get(j, "params");
	json_t *strats = json_object_get(man, "strategies");
	const char *tool = json_string_value(json_object_get(man, "tool"));
	const char *th = json_string_value(json_object_get(json_object_get(man, "trace"), "sha256"));
	const char *sh = json_string_value(json_object_get(json_object_get(man, "scenario"),
							   "effective_sha256"));
	unsigned idx[SWEEP_MAX_PARAMS];
	char hex[SHA256_HEX_LEN], **sets = NULL, *cause = NULL;
	unsigned nsets = 0;
	struct scenario sc;
	int ret;

	if (!json_is_object(j) || json_integer_value(json_object_get(j, "sweep_point")) !=
	    (json_int_t)k || !json_is_object(json_object_get(j, "result")))
		return xasprintf("not the result of sweep point %llu", (unsigned long long)k);
	if (!tool || strcmp(tool, PACKAGE_NAME " " PACKAGE_VERSION) != 0)
		return xasprintf("made by %s, not %s", tool ? tool : "an unknown version",
				 PACKAGE_NAME " " PACKAGE_VERSION);
	if (!th || strcmp(th, w->s.trace_hash) != 0)
		return xasprintf("trace sha256 %.12s..., the sweep's trace %s is %.12s...",
				 th ? th : "(none)", w->s.trace, w->s.trace_hash);
	sweep_point_index(w->s.ps, w->s.np, k, idx);
	for (unsigned i = 0; i < w->s.np; i++) {
		const char *v = json_string_value(json_object_get(params, w->s.ps[i].path));

		if (!v || strcmp(v, w->s.ps[i].text[idx[i]]) != 0)
			return xasprintf("%s=%s, the sweep's point %llu has %s", w->s.ps[i].path,
					 v ? v : "(none)", (unsigned long long)k,
					 w->s.ps[i].text[idx[i]]);
	}
	if (json_array_size(strats) != w->s.nspecs)
		return xasprintf("%zu strategies, the sweep has %u", json_array_size(strats),
				 w->s.nspecs);
	for (unsigned i = 0; i < w->s.nspecs; i++) {
		const char *s = json_string_value(json_array_get(strats, i));

		if (!s || strcmp(s, w->s.specs[i]) != 0)
			return xasprintf("strategy %s, the sweep's is %s", s ? s : "(none)",
					 w->s.specs[i]);
	}
	ret = sweep_point_scenario(&w->s, k, &sc, &sets, &nsets, &cause);
	if (ret == 0)
		manifest_scenario_hash(&sc, hex);
	scenario_free(&sc);
	sweep_free_strs(sets, nsets);
	free(cause);
	if (ret < 0 || !sh || strcmp(sh, hex) != 0)
		return xasprintf("scenario sha256 %.12s..., the sweep's scenario at this point is "
				 "%.12s... (the scenario file or --set changed)", sh ? sh : "(none)",
				 ret < 0 ? "(bad)" : hex);
	return NULL;
}

/* --merge DIR: every point of an emitted sweep, checked, into the local sweep's outputs. */
static int sweep_merge(const char *given, int format)
{
	struct sw w;
	char *dir = realpath(given, NULL), *p, **av = NULL, *cause;
	unsigned nav = 0, nbad = 0;
	json_t *job = NULL, *cmd;
	json_error_t e;
	const char *cwd, *th;
	unsigned char *missing = NULL, *bad = NULL;
	uint64_t nmissing = 0, block;
	double t0 = now_s();
	int status = EXIT_USAGE;

	memset(&w, 0, sizeof(w));
	if (!dir) {
		ism_err("sweep --merge %s: %s", given, strerror(errno));
		return EXIT_USAGE;
	}
	p = xasprintf("%s/%s", dir, JOB_FILE);
	job = json_load_file(p, 0, &e);
	if (!job) {
		ism_err("sweep --merge %s: %s: %s (not a folder made by sweep --emit?)", given, p,
			e.text);
		free(p);
		goto out;
	}
	free(p);
	cwd = json_string_value(json_object_get(job, "cwd"));
	cmd = json_object_get(job, "command");
	th = json_string_value(json_object_get(json_object_get(job, "trace"), "sha256"));
	block = (uint64_t)json_integer_value(json_object_get(job, "block"));
	if (json_integer_value(json_object_get(job, "schema_version")) != JOB_VERSION || !cwd ||
	    !th || !json_is_array(cmd) || json_array_size(cmd) < 2) {
		ism_err("sweep --merge %s: %s is not a sweep job this version reads", given,
			JOB_FILE);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(cmd); i++) {
		const char *a = json_string_value(json_array_get(cmd, i));

		add_str(&av, &nav, a ? a : "");
	}
	/* the job's paths are relative to where it was emitted */
	if (chdir(cwd) < 0) {
		ism_err("sweep --merge %s: the sweep's folder %s: %s", given, cwd, strerror(errno));
		goto out;
	}
	w.merged = given;     /* its -o DIR (before -O) is taken without a warning */
	status = parse_sweep(&w, (int)nav, av);
	if (status != -1) {
		ism_err("sweep --merge %s: the job's command does not parse", given);
		status = EXIT_USAGE;
		goto out;
	}
	w.format = format;
	w.outdir = dir;
	w.merged = given;
	w.s.npoints = sweep_points(w.s.ps, w.s.np);
	if (w.jobs > w.s.npoints)
		w.jobs = (unsigned)w.s.npoints;
	status = validate(&w);
	if (status != EXIT_OK)
		goto out;
	if (strcmp(th, w.s.trace_hash) != 0) {
		ism_err("sweep --merge %s: the trace %s has changed since the sweep was emitted "
			"(sha256 %.12s..., then %.12s...)", given, w.s.trace, w.s.trace_hash, th);
		status = EXIT_USAGE;
		goto out;
	}
	sweep_table_init(&w.s);
	missing = xcalloc(w.s.npoints, 1);
	bad = xcalloc(w.s.npoints, 1);
	for (uint64_t k = 0; k < w.s.npoints; k++) {
		char *why = NULL;
		json_t *j;

		p = xasprintf("%s/points/%04llu.json", dir, (unsigned long long)k);
		if (access(p, F_OK) < 0) {
			missing[k] = 1;
			nmissing++;
			free(p);
			continue;
		}
		j = json_load_file(p, 0, &e);
		why = j ? point_mismatch(&w, k, j) : xasprintf("not JSON: %s", e.text);
		cause = NULL;
		if (!why && sweep_add_point(&w.s, k, j, &cause) < 0)
			why = cause;
		if (why) {
			if (nbad < 10)
				ism_err("sweep --merge %s: point %llu (%s): %s", given,
					(unsigned long long)k, p, why);
			bad[k] = 1;
			nbad++;
			free(why);
		}
		json_decref(j);
		free(p);
	}
	if (nmissing) {
		char *r = ranges(missing, w.s.npoints, 1), *tr = ranges(missing, w.s.npoints, block);

		ism_err("sweep --merge %s: %llu of %llu points missing: %s (task%s %s: rerun with "
			"sh %s/run-task.sh TASK)", given, (unsigned long long)nmissing,
			(unsigned long long)w.s.npoints, r, strpbrk(tr, ",-") ? "s" : "", tr, given);
		free(r);
		free(tr);
	}
	if (nbad) {
		char *r = ranges(bad, w.s.npoints, 1);

		ism_err("sweep --merge %s: %u point%s not of this sweep: %s", given, nbad,
			nbad == 1 ? "" : "s", r);
		free(r);
	}
	if (nmissing || nbad) {
		status = EXIT_USAGE;
		goto out;
	}
	status = finish_sweep(&w, now_s() - t0);
out:
	json_decref(job);
	free(missing);
	free(bad);
	free(dir);
	w.outdir = NULL;
	sweep_free(&w.s);
	sweep_free_strs(w.levels, w.nlevels);
	sweep_free_strs(w.praw, w.npraw);
	sweep_free_strs(av, nav);
	return status;
}

/* Parse the options into @wp: -1 to go on, or an exit status. */
static int parse_sweep(struct sw *wp, int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", "csv", NULL };
	struct cmd_input in = { 0 };
	struct cmd_args a;
	const char *metric = "boot_ns,run_ns", *old_o = NULL;
	char *cause = NULL;
	int c, f, status = EXIT_USAGE;

	wp->argc = argc;
	wp->argv = argv;       /* "sweep" ... for the manifest */
	cmd_args_init(&a, &cmd_sweep_entry, argc, argv);
	while ((c = cmd_next(&a)) > 0) {
		if (c == OPT_ALLOW_TRUNCATED)
			wp->truncated = 1;
		if (cmd_input_opt(&a, &in, c))
			continue;
		switch (c) {
		case 's':
			wp->s.scenario = a.arg;
			break;
		case 'p':
			if (wp->s.np == ISM_ARRAY_SIZE(wp->s.ps)) {
				usage_error("sweep", "at most %zu --param", ISM_ARRAY_SIZE(wp->s.ps));
				goto out;
			}
			if (sweep_param_parse(a.arg, &wp->s.ps[wp->s.np], &cause) < 0) {
				usage_error("sweep", "--param %s", cause);
				free(cause);
				goto out;
			}
			wp->s.np++;
			add_str(&wp->praw, &wp->npraw, a.arg);
			break;
		case OPT_POINTS: {
			unsigned long long x, y;
			int used = 0;

			if (sscanf(a.arg, "%llu-%llu%n", &x, &y, &used) != 2 || a.arg[used] ||
			    x > y) {
				usage_error("sweep", "--points %s: expected FIRST-LAST, e.g. 0-15", a.arg);
				goto out;
			}
			wp->pt_first = x;
			wp->pt_last = y;
			wp->task = 1;
			break;
		}
		case OPT_SET:
			add_str(&wp->s.sets, &wp->s.nsets, a.arg);
			break;
		case 'S': {
			char *dup = xstrdup(a.arg), *save = NULL;

			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
				add_str(&wp->s.specs, &wp->s.nspecs, t);
			free(dup);
			break;
		}
		case 'm':
			metric = a.arg;
			break;
		case 'x':
			if (!strchr(a.arg, ',')) {
				usage_error("sweep", "--crossover %s: expected A,B", a.arg);
				goto out;
			}
			add_str(&wp->s.cross, &wp->s.ncross, a.arg);
			break;
		case 'l':
			add_str(&wp->levels, &wp->nlevels, a.arg);
			break;
		case 'j':
			cmd_jobs(&a, a.arg, &wp->jobs);
			break;
		case 'O':
			if (cmd_report_dir(&a, a.arg) == 0)
				wp->outdir = a.arg;
			break;
		case 'o':
			old_o = a.arg;
			break;
		case CMD_OPT_FORMAT:
			if ((f = cmd_output_format(&a, &in, a.arg, formats)) >= 0)
				wp->format = f;
			break;
		default:
			/* --emit, --block, --merge: cmd_sweep() took them out */
			usage_error("sweep", "'%s' goes before the other options", argv[optind - 1]);
			goto out;
		}
	}
	cmd_args_free(&a);
	if (c < 0) {
		status = a.status;
		goto out;
	}
	cmd_input_operands(&a, &in);
	wp->s.format_in = in.format;
	if (old_o && wp->outdir) {
		usage_error("sweep", "-o is the old spelling of -O: give one");
		goto out;
	}
	if (old_o) {
		/* the job of an earlier --emit says -o: no warning when merging it */
		if (!wp->merged && !cmd_names_folder(old_o)) {
			usage_error("sweep", "-o %s: sweep writes a folder: -O DIR (--report-dir)",
				    old_o);
			goto out;
		}
		if (!wp->merged)
			ism_warn("'-o %s' for the sweep's folder is deprecated: use -O %s "
				 "(--report-dir)", old_o, old_o);
		wp->outdir = old_o;
	}
	if (in.n != 1) {
		usage_error("sweep", "expected exactly one trace");
		goto out;
	}
	if (!wp->s.np) {
		usage_error("sweep", "no --param PATH=VALUES");
		goto out;
	}
	wp->s.trace = in.traces[0];
	if (!wp->s.nspecs)
		for (unsigned i = 0; compare_default_specs[i]; i++)
			add_str(&wp->s.specs, &wp->s.nspecs, compare_default_specs[i]);
	for (unsigned i = 0; i < wp->s.ncross; i++) {
		char *dup = xstrdup(wp->s.cross[i]), *b = strchr(dup, ',');
		int fa = 0, fb = 0;

		*b++ = 0;
		for (unsigned s = 0; s < wp->s.nspecs; s++) {
			fa |= strcmp(wp->s.specs[s], dup) == 0;
			fb |= strcmp(wp->s.specs[s], b) == 0;
		}
		if (!fa || !fb) {
			usage_error("sweep", "--crossover %s: %s is not among the strategies (-S)",
				    wp->s.cross[i], fa ? b : dup);
			free(dup);
			goto out;
		}
		free(dup);
	}
	wp->s.levels = xcalloc(wp->nlevels, sizeof(*wp->s.levels));
	for (unsigned i = 0; i < wp->nlevels; i++) {
		if (parse_level(wp, wp->levels[i], &wp->s.levels[i]) < 0)
			goto out;
		wp->s.nlevels++;
	}
	if (plot_metrics_parse(metric, &wp->s.metrics, &wp->s.nm) < 0)
		goto out;
	if (!wp->jobs) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		wp->jobs = cpus > 0 ? (unsigned)cpus : 1;
	}
	status = -1;
out:
	cmd_args_free(&a);
	cmd_input_free(&in);
	return status;
}

int cmd_sweep(int argc, char **argv)
{
	struct sw w;
	char **kept = xcalloc((size_t)argc + 1, sizeof(*kept));
	const char *merge = NULL;
	int nk = 0, status, format = 0;

	memset(&w, 0, sizeof(w));
	/*
	 * --emit, --block and --merge are taken out first: the job keeps the command line of the
	 * local sweep it stands for (its manifest's command), as getopt orders it.
	 */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int which = 0;

		if (i > 0 && strcmp(a, "--") == 0) {
			while (i < argc)
				kept[nk++] = argv[i++];
			break;
		}
		if (i > 0 && strncmp(a, "--emit", 6) == 0 && (!a[6] || a[6] == '='))
			which = 1;
		else if (i > 0 && strncmp(a, "--block", 7) == 0 && (!a[7] || a[7] == '='))
			which = 2;
		else if (i > 0 && strncmp(a, "--merge", 7) == 0 && (!a[7] || a[7] == '='))
			which = 3;
		if (!which) {
			kept[nk++] = argv[i];
			continue;
		}
		v = strchr(a, '=') ? strchr(a, '=') + 1 : i + 1 < argc ? argv[++i] : NULL;
		if (!v) {
			free(kept);
			return usage_error("sweep", "%s needs a value", a);
		}
		if (which == 1) {
			if (strcmp(v, "slurm") != 0 && strcmp(v, "parallel") != 0) {
				free(kept);
				return usage_error("sweep", "--emit %s: slurm or parallel", v);
			}
			w.emit = v;
		} else if (which == 2) {
			char *end;
			unsigned long long b = strtoull(v, &end, 10);

			if (*end || !b || b > 100000) {
				free(kept);
				return usage_error("sweep", "--block %s: points per task (1..100000)",
						   v);
			}
			w.block = b;
		} else {
			merge = v;
		}
	}
	if (merge) {
		/* --merge DIR [--format FORMAT]: the rest is the job's */
		for (int i = 1; i < nk; i++) {
			if (strcmp(kept[i], "--format") == 0 && i + 1 < nk) {
				const char *f = kept[++i];

				format = !strcmp(f, "json") ? 1 : !strcmp(f, "csv") ? 2 :
					 !strcmp(f, "text") ? 0 : -1;
				if (format < 0) {
					status = usage_error("sweep", "--format %s: text, json or csv",
							     f);
					free(kept);
					return status;
				}
				continue;
			}
			status = usage_error("sweep", "--merge DIR takes no other option than "
					     "--format (the sweep's options are the emitted job's): %s",
					     kept[i]);
			free(kept);
			return status;
		}
		free(kept);
		if (w.emit || w.block)
			return usage_error("sweep", "--merge and --emit/--block do not go together");
		return sweep_merge(merge, format);
	}
	status = parse_sweep(&w, nk, kept);
	if (status == -1) {
		if (w.emit && (!w.outdir || w.task))
			status = usage_error("sweep", "--emit %s needs -O DIR (the job's folder) and "
					     "no --points", w.emit);
		else if (w.block && !w.emit)
			status = usage_error("sweep", "--block needs --emit");
		else if (w.task && !w.outdir)
			status = usage_error("sweep", "--points needs -O DIR (a folder made by "
					     "sweep --emit)");
		else if (w.emit)
			status = sweep_emit(&w);
		else if (w.task)
			status = sweep_task(&w);
		else
			status = sweep_main(&w);
	}
	sweep_free(&w.s);
	sweep_free_strs(w.levels, w.nlevels);
	sweep_free_strs(w.praw, w.npraw);
	free(w.pdir);
	free(kept);
	return status;
}
