/*
 * cmd-sweep.c: `iommusim sweep` - replay a trace at every point of a parameter sweep, in
 * parallel (one process per point, up to -j at a time), then report the metrics, the
 * crossovers (where two strategies' order flips) and, when the swiotlb pool size is swept,
 * the smallest pool with no failed map. Every point's result carries a provenance manifest.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "csv.h"
#include "error.h"
#include "manifest.h"
#include "metrics.h"
#include "output.h"
#include "param.h"
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

void help_sweep(FILE *out)
{
	fprintf(out,
		"usage: iommusim sweep [-s SCENARIO] -p PATH=VALUES [-p ...] [options] TRACE\n\n"
		"Replay TRACE at every point of a sweep of scenario parameters (several -p:\n"
		"every combination), in parallel, and report each strategy's metrics, the\n"
		"crossovers where two strategies' order flips along the first parameter and,\n"
		"when machine.swiotlb_bytes is swept, the smallest pool with no failed map and\n"
		"its margin.\n\n"
		"  -s, --scenario FILE     machine and cost model (default: built-in defaults)\n"
		"  -p, --param PATH=VALUES a parameter and its values: a list (2GiB,8GiB) or\n"
		"                          a range LO:HI:lin:N or LO:HI:log:N (N values, ends\n"
		"                          included), e.g. cost.h_put_tce.fixed_ns=100:1e5:log:16;\n"
		"                          the first -p is the x axis; `iommusim list params`\n"
		"                          lists the paths\n"
		"      --set PATH=VALUE    a fixed override for every point (repeatable)\n"
		"  -S, --strategies LIST   strategies (default: every strategy of the mission)\n"
		"  -m, --metric LIST       metrics to report and plot (default boot_ns,run_ns);\n"
		"                          `iommusim regress --list-metrics` lists them\n"
		"  -x, --crossover A,B     report where A and B swap order (repeatable; default:\n"
		"                          every pair of strategies)\n"
		"  -l, --level S:METRIC=V  report where strategy S's METRIC crosses V\n"
		"                          (repeatable), e.g. ddw:setup_share=0.5 (setup is\n"
		"                          half of boot)\n"
		"  -j, --jobs N            points replayed at once (default: online CPUs)\n"
		"  -o, --output DIR        write sweep.csv, sweep.json, sweep.txt, the figure\n"
		"                          (sweep.png, sweep.svg, its data and script) and every\n"
		"                          point's result with its manifest (points/NNNN.json);\n"
		"                          DIR appears when complete (an earlier sweep's DIR is\n"
		"                          replaced, any other non-empty folder refused)\n"
		"      --format FORMAT     standard output as text (default), json or csv\n"
		"  -f, --format-in FORMAT  read the trace as FORMAT\n"
		"      --allow-truncated   a trace cut short is replayed up to the cut, with a warning\n"
		"  -h, --help              this help\n\n"
		"Exit status: 0 success, 1 a point failed at run time, 2 usage error or bad\n"
		"input.\n");
}

struct sw {
	const char *scenario, *format_in, *outdir, *trace;
	char **specs, **sets, **cross, **levels;
	unsigned nspecs, nsets, ncross, nlevels;
	struct sweep_param ps[8];
	unsigned np;
	const struct metric **metrics;
	unsigned nm;
	unsigned jobs;
	int format;               /* 0 text, 1 json, 2 csv */
	int argc;
	char **argv;
	/* run state */
	struct odir *od;          /* -o: the folder being written (renamed into place at the end) */
	const char *final;        /* -o as given */
	char *pdir;               /* where point files go */
	int tmp;                  /* pdir is a temporary directory */
	char trace_hash[SHA256_HEX_LEN];
	uint64_t trace_bytes;
	uint64_t npoints;
	/* what the points gave, kept compact (the point files are read one at a time) */
	unsigned nmt;             /* metrics in the table */
	unsigned *mi;             /* table index of each of @metrics */
	double *all;              /* [point][spec][X_COUNT]: every metric, then X_* */
	char (*hash)[SHA256_HEX_LEN]; /* per point: effective scenario hash */
	char *fmt, *sc_name, *sc_path; /* from point 0's result */
};

/* What the sizing advice needs beyond the metric table. */
enum { X_POOL_SLOTS, X_POOL_BYTES, X__EXTRA };
#define X_COUNT(w) ((w)->nmt + X__EXTRA)

/* Every value of strategy @s at point @k: the metric table's, then X_*. */
static double *allp(const struct sw *w, uint64_t k, unsigned s)
{
	return &w->all[(k * w->nspecs + s) * X_COUNT(w)];
}

/* Metric @m of -m (the panels) of strategy @s at point @k. */
static double *valp(const struct sw *w, uint64_t k, unsigned s, unsigned m)
{
	return &allp(w, k, s)[w->mi[m]];
}

static unsigned metric_index(const struct metric *m)
{
	for (unsigned i = 0; metric_get(i); i++)
		if (metric_get(i) == m)
			return i;
	return 0;
}

static void add_str(char ***v, unsigned *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

static char *point_file(const struct sw *w, uint64_t k)
{
	char n[32];

	snprintf(n, sizeof(n), "%04llu.json", (unsigned long long)k);
	return plot_path(w->pdir, n);
}

/* The scenario of point @k: the file, --set, then the point's values. */
static int point_scenario(const struct sw *w, uint64_t k, struct scenario *sc, char ***sets,
			  unsigned *nsets, char **cause)
{
	unsigned idx[8];
	int ret;

	ret = scenario_load(w->scenario, sc, cause);
	if (ret < 0)
		return ret;
	*sets = NULL;
	*nsets = 0;
	for (unsigned i = 0; i < w->nsets; i++)
		add_str(sets, nsets, w->sets[i]);
	sweep_point_index(w->ps, w->np, k, idx);
	for (unsigned i = 0; i < w->np; i++) {
		char *s = xasprintf("%s=%s", w->ps[i].path, w->ps[i].text[idx[i]]);

		add_str(sets, nsets, s);
		free(s);
	}
	for (unsigned i = 0; i < *nsets; i++) {
		ret = scenario_set(sc, (*sets)[i], NULL, cause);
		if (ret < 0)
			return ret;
	}
	return scenario_check(sc, cause);
}

static void free_strs(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* In the child: replay point @k and write its file. Returns the exit status. */
static int run_point(const struct sw *w, uint64_t k)
{
	struct scenario sc;
	struct replay rp;
	struct report_ctx rc;
	struct manifest_in mi;
	char **sets = NULL, *cause = NULL, *path, *tmp;
	unsigned nsets = 0, idx[8];
	json_t *root, *params, *man;
	int ret;

	ret = point_scenario(w, k, &sc, &sets, &nsets, &cause);
	if (ret < 0)
		goto fail;
	ret = replay_trace(w->trace, w->format_in, &sc, w->specs, w->nspecs, 0, NULL, NULL, &rp,
			   &cause);
	if (ret < 0)
		goto fail;
	replay_report_ctx(&rp, w->trace, &sc, 0, &rc);
	memset(&mi, 0, sizeof(mi));
	mi.trace = w->trace;
	mi.sc = &sc;
	mi.specs = w->specs;
	mi.nspecs = w->nspecs;
	mi.sets = sets;
	mi.nsets = nsets;
	man = manifest_json(&mi, w->trace_hash, w->trace_bytes, &cause);
	if (!man) {
		ret = -ISM_EIO;
		replay_free(&rp);
		goto fail;
	}
	root = json_object();
	json_object_set_new(root, "schema_version", json_integer(SCHEMA_SWEEP));
	json_object_set_new(root, "sweep_point", json_integer((json_int_t)k));
	params = json_object();
	sweep_point_index(w->ps, w->np, k, idx);
	for (unsigned i = 0; i < w->np; i++)
		json_object_set_new(params, w->ps[i].path, json_string(w->ps[i].text[idx[i]]));
	json_object_set_new(root, "params", params);
	json_object_set_new(root, "manifest", man);
	json_object_set_new(root, "result", report_json(&rc));
	path = point_file(w, k);
	tmp = xasprintf("%s.tmp", path);
	ret = json_dump_file(root, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
			     JSON_REAL_PRECISION(10));
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -1;
	if (ret < 0)
		cause = xasprintf("%s: %s", path, strerror(errno));
	free(tmp);
	free(path);
	json_decref(root);
	replay_free(&rp);
	if (ret < 0) {
		ret = -ISM_EIO;
		goto fail;
	}
	scenario_free(&sc);
	free_strs(sets, nsets);
	return EXIT_OK;
fail:
	ism_err("sweep point %llu: %s", (unsigned long long)k, cause ? cause : ism_strerror(ret));
	free(cause);
	scenario_free(&sc);
	free_strs(sets, nsets);
	return ism_err_exit(ret);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run every point, at most w->jobs at a time. Returns an exit status. */
static int run_points(struct sw *w, double *elapsed)
{
	pid_t *pids = xcalloc(w->jobs, sizeof(*pids));
	uint64_t *which = xcalloc(w->jobs, sizeof(*which)), next = 0, done = 0;
	int progress = isatty(2) && !getenv("ISM_NO_PROGRESS"), status = EXIT_OK;
	unsigned running = 0;
	double t0 = now_s();

	while (done < w->npoints) {
		int st;
		pid_t pid;
		sigset_t held;

		while (status == EXIT_OK && next < w->npoints && running < w->jobs) {
			unsigned slot = 0;

			while (pids[slot])
				slot++;
			fflush(NULL);
			/* held over fork() and output_child_add(): a child forked just before a
			 * signal would be unknown to the handler, and outlive us */
			output_hold(&held);
			pid = fork();
			if (pid < 0) {
				output_release(&held);
				ism_err("fork: %s", strerror(errno));
				status = EXIT_FAIL;
				break;
			}
			if (pid == 0) {
				output_release(&held);
				_exit(run_point(w, next));
			}
			output_child_add(pid); /* killed first if we are interrupted */
			output_release(&held);
			pids[slot] = pid;
			which[slot] = next++;
			running++;
		}
		if (!running)
			break;
		pid = wait(&st);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			ism_err("wait: %s", strerror(errno));
			status = EXIT_FAIL;
			break;
		}
		output_child_del(pid);
		for (unsigned i = 0; i < w->jobs; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			running--;
			done++;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				int code = WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL;

				if (!WIFEXITED(st))
					ism_err("sweep point %llu: killed by signal %d",
						(unsigned long long)which[i], WTERMSIG(st));
				if (status == EXIT_OK || code == EXIT_USAGE)
					status = code == EXIT_USAGE ? EXIT_USAGE : EXIT_FAIL;
			}
		}
		if (progress)
			fprintf(stderr, "\rsweep: %llu/%llu points, %u running, %.1f s\033[K",
				(unsigned long long)done, (unsigned long long)w->npoints, running,
				now_s() - t0);
		if (status != EXIT_OK && !running)
			break;
	}
	if (progress)
		fprintf(stderr, "\r\033[K");
	*elapsed = now_s() - t0;
	free(pids);
	free(which);
	return status;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	const char *v = json_string_value(json_object_get(json_object_get(o, a), b));

	return v ? v : "";
}

/* Read the point files one by one and keep every metric of every strategy. */
static int collect(struct sw *w)
{
	static const struct metric extra[X__EXTRA] = {
		[X_POOL_SLOTS] = { .name = "pool.slots", .path = "pool.slots" },
		[X_POOL_BYTES] = { .name = "pool.bytes", .path = "pool.bytes" },
	};

	while (metric_get(w->nmt))
		w->nmt++;
	w->mi = xcalloc(w->nm, sizeof(*w->mi));
	for (unsigned m = 0; m < w->nm; m++)
		w->mi[m] = metric_index(w->metrics[m]);
	w->all = xcalloc(w->npoints * w->nspecs * X_COUNT(w), sizeof(*w->all));
	w->hash = xcalloc(w->npoints, sizeof(*w->hash));
	for (uint64_t k = 0; k < w->npoints; k++) {
		char *p = point_file(w, k);
		json_error_t e;
		json_t *j = json_load_file(p, 0, &e), *res;

		if (!j) {
			ism_err("%s: %s", p, e.text);
			free(p);
			return -1;
		}
		free(p);
		res = json_object_get(j, "result");
		snprintf(w->hash[k], sizeof(w->hash[k]), "%s",
			 str_at(json_object_get(j, "manifest"), "scenario", "effective_sha256"));
		if (k == 0) {
			w->fmt = xstrdup(str_at(res, "trace", "format"));
			w->sc_name = xstrdup(str_at(res, "scenario", "name"));
			w->sc_path = xstrdup(str_at(res, "scenario", "path"));
		}
		for (unsigned s = 0; s < w->nspecs; s++) {
			json_t *so = metric_strategy(res, w->specs[s]);
			double *v = allp(w, k, s);

			for (unsigned i = 0; i < X_COUNT(w); i++) {
				const struct metric *m =
					i < w->nmt ? metric_get(i) : &extra[i - w->nmt];

				if (!so || metric_value(m, so, &v[i]) < 0)
					v[i] = NAN;
			}
		}
		json_decref(j);
	}
	return 0;
}

/*
 * The lines along parameter @ax: for line @g (a combination of the other parameters), the
 * point indexes in ascending order of @ax's values, into @pts (n of @ax's values).
 */
static void line_points(const struct sw *w, unsigned ax, uint64_t g, const unsigned *order,
			uint64_t *pts)
{
	uint64_t stride[8], s = 1, rest = g;
	unsigned idx[8];

	for (unsigned i = w->np; i-- > 0;) {
		stride[i] = s;
		s *= w->ps[i].n;
	}
	for (unsigned i = w->np; i-- > 0;) {
		if (i == ax)
			continue;
		idx[i] = (unsigned)(rest % w->ps[i].n);
		rest /= w->ps[i].n;
	}
	for (unsigned j = 0; j < w->ps[ax].n; j++) {
		uint64_t k = 0;

		idx[ax] = order[j];
		for (unsigned i = 0; i < w->np; i++)
			k += idx[i] * stride[i];
		pts[j] = k;
	}
}

/* "path=value, ..." of the other parameters at point @k ("" with one parameter). */
static char *others_text(const struct sw *w, unsigned ax, uint64_t k)
{
	unsigned idx[8];
	char *s = xstrdup("");

	sweep_point_index(w->ps, w->np, k, idx);
	for (unsigned i = 0; i < w->np; i++) {
		char *n;

		if (i == ax)
			continue;
		n = xasprintf("%s%s%s=%s", s, *s ? ", " : "", w->ps[i].path, w->ps[i].text[idx[i]]);
		free(s);
		s = n;
	}
	return s;
}

static unsigned *sorted_order(const struct sweep_param *p)
{
	unsigned *o = xcalloc(p->n, sizeof(*o));

	for (unsigned i = 0; i < p->n; i++)
		o[i] = i;
	for (unsigned i = 1; i < p->n; i++)
		for (unsigned j = i; j > 0 && p->x[o[j - 1]] > p->x[o[j]]; j--) {
			unsigned t = o[j];

			o[j] = o[j - 1];
			o[j - 1] = t;
		}
	return o;
}

struct found_cross {
	unsigned m, a, b;         /* panel metric, strategies */
	char *at;                 /* the other parameters */
	struct sweep_cross c;
	const struct metric *lm;  /* a level crossing (--level): a's metric against @value */
	double value;
};

/* A strategy's metric at the points of a line, NaN where missing. */
static void line_values(struct sw *w, const uint64_t *pts, unsigned n, unsigned s,
			const struct metric *m, double *y)
{
	unsigned i = metric_index(m);

	for (unsigned j = 0; j < n; j++)
		y[j] = allp(w, pts[j], s)[i];
}

/* Parse --level SPEC:METRIC=VALUE against the strategies. 0, or -1 (said). */
static int parse_level(const struct sw *w, const char *arg, unsigned *spec,
		       const struct metric **m, double *value)
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
	*m = metric_find(name);
	if (!*m) {
		char *all = metric_names();

		usage_error("sweep", "--level %s: unknown metric '%s' (metrics: %s)", arg, name,
			    all);
		free(all);
		free(name);
		return -1;
	}
	free(name);
	*value = strtod(eq + 1, &end);
	if (end == eq + 1 || *end || !isfinite(*value)) {
		usage_error("sweep", "--level %s: '%s' is not a number", arg, eq + 1);
		return -1;
	}
	for (*spec = 0; *spec < w->nspecs; (*spec)++)
		if (strlen(w->specs[*spec]) == (size_t)(colon - arg) &&
		    strncmp(w->specs[*spec], arg, (size_t)(colon - arg)) == 0)
			return 0;
	usage_error("sweep", "--level %s: %.*s is not among the strategies (-S)", arg,
		    (int)(colon - arg), arg);
	return -1;
}

static unsigned find_crossovers(struct sw *w, struct found_cross *out, unsigned max)
{
	unsigned n0 = w->ps[0].n, nf = 0, *order = sorted_order(&w->ps[0]);
	uint64_t lines = w->npoints / n0, *pts = xcalloc(n0, sizeof(*pts));
	double *x = xcalloc(n0, sizeof(double)), *ya = xcalloc(n0, sizeof(double));
	double *yb = xcalloc(n0, sizeof(double));

	for (unsigned j = 0; j < n0; j++)
		x[j] = w->ps[0].x[order[j]];
	for (unsigned m = 0; m < w->nm; m++)
		for (uint64_t g = 0; g < lines; g++) {
			line_points(w, 0, g, order, pts);
			for (unsigned a = 0; a < w->nspecs; a++)
				for (unsigned b = a + 1; b < w->nspecs; b++) {
					struct sweep_cross c[8];
					unsigned nc, wanted = !w->ncross;

					for (unsigned q = 0; q < w->ncross; q++) {
						char *pair = xasprintf("%s,%s", w->specs[a],
								       w->specs[b]);
						char *rpair = xasprintf("%s,%s", w->specs[b],
									w->specs[a]);

						if (strcmp(w->cross[q], pair) == 0 ||
						    strcmp(w->cross[q], rpair) == 0)
							wanted = 1;
						free(pair);
						free(rpair);
					}
					if (!wanted)
						continue;
					for (unsigned j = 0; j < n0; j++) {
						ya[j] = *valp(w, pts[j], a, m);
						yb[j] = *valp(w, pts[j], b, m);
					}
					nc = sweep_crossings(x, ya, yb, n0, w->ps[0].log, c, 8);
					for (unsigned i = 0; i < nc && nf < max; i++) {
						memset(&out[nf], 0, sizeof(out[nf]));
						out[nf].m = m;
						out[nf].a = a;
						out[nf].b = b;
						out[nf].at = others_text(w, 0, pts[0]);
						out[nf].c = c[i];
						nf++;
					}
				}
		}
	/* levels: one strategy's metric against a value */
	for (unsigned l = 0; l < w->nlevels; l++) {
		const struct metric *lm;
		unsigned a;
		double value;

		parse_level(w, w->levels[l], &a, &lm, &value);
		for (uint64_t g = 0; g < lines; g++) {
			struct sweep_cross c[8];
			unsigned nc;

			line_points(w, 0, g, order, pts);
			line_values(w, pts, n0, a, lm, ya);
			for (unsigned j = 0; j < n0; j++)
				yb[j] = value;
			nc = sweep_crossings(x, ya, yb, n0, w->ps[0].log, c, 8);
			for (unsigned i = 0; i < nc && nf < max; i++) {
				out[nf].m = w->nm;
				for (unsigned m = 0; m < w->nm; m++)
					if (w->metrics[m] == lm)
						out[nf].m = m;
				out[nf].a = out[nf].b = a;
				out[nf].at = others_text(w, 0, pts[0]);
				out[nf].c = c[i];
				out[nf].lm = lm;
				out[nf].value = value;
				nf++;
			}
		}
	}
	free(order);
	free(pts);
	free(x);
	free(ya);
	free(yb);
	return nf;
}

struct found_size {
	unsigned s;
	char *at;
	struct sweep_sizing z;
	double slots_at, peak_at, fails_below_n, below_size, slot_bytes, pool_bytes_at;
	double lo, hi;            /* the range tried */
};

static unsigned find_sizing(struct sw *w, unsigned ax, struct found_size *out, unsigned max)
{
	unsigned n = w->ps[ax].n, nf = 0, *order = sorted_order(&w->ps[ax]);
	uint64_t lines = w->npoints / n, *pts = xcalloc(n, sizeof(*pts));
	double *x = xcalloc(n, sizeof(double)), *fail = xcalloc(n, sizeof(double));
	double *peak = xcalloc(n, sizeof(double)), *slots = xcalloc(n, sizeof(double));
	unsigned i_fail = metric_index(metric_find("map_failures"));
	unsigned i_peak = metric_index(metric_find("pool_peak_slots"));

	for (unsigned j = 0; j < n; j++)
		x[j] = w->ps[ax].x[order[j]];
	for (uint64_t g = 0; g < lines; g++) {
		line_points(w, ax, g, order, pts);
		for (unsigned s = 0; s < w->nspecs && nf < max; s++) {
			struct found_size *f = &out[nf];
			int pooled = 0;

			for (unsigned j = 0; j < n; j++) {
				const double *v = allp(w, pts[j], s);

				fail[j] = v[i_fail];
				peak[j] = v[i_peak];
				slots[j] = v[w->nmt + X_POOL_SLOTS];
				pooled |= slots[j] > 0;
			}
			if (!pooled)
				continue;
			memset(f, 0, sizeof(*f));
			f->s = s;
			f->at = others_text(w, ax, pts[0]);
			sweep_sizing(x, fail, peak, slots, n, &f->z);
			f->lo = x[0];
			f->hi = x[n - 1];
			f->slot_bytes = 0;
			if (slots[n - 1] > 0)
				f->slot_bytes = allp(w, pts[n - 1], s)[w->nmt + X_POOL_BYTES] /
						slots[n - 1];
			if (f->z.found) {
				f->slots_at = slots[f->z.at];
				f->peak_at = peak[f->z.at];
				f->pool_bytes_at = allp(w, pts[f->z.at], s)[w->nmt + X_POOL_BYTES];
				if (f->z.fails_below) {
					f->fails_below_n = fail[f->z.at - 1];
					f->below_size = x[f->z.at - 1];
				}
			}
			nf++;
		}
	}
	free(order);
	free(pts);
	free(x);
	free(fail);
	free(peak);
	free(slots);
	return nf;
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

static void print_text(FILE *f, struct sw *w, const struct found_cross *fc, unsigned nfc,
		       const struct found_size *fs, unsigned nfs, double elapsed)
{
	unsigned pw = 12;

	fprintf(f, "iommusim %s sweep: %s (%s), scenario %s (%s)\n", PACKAGE_VERSION, w->trace,
		w->fmt, w->sc_name, w->sc_path);
	for (unsigned i = 0; i < w->np; i++) {
		fprintf(f, "swept: %s = %s .. %s (%u values%s)\n", w->ps[i].path, w->ps[i].text[0],
			w->ps[i].text[w->ps[i].n - 1], w->ps[i].n, w->ps[i].log ? ", log" : "");
		if (strlen(w->ps[i].path) > pw)
			pw = (unsigned)strlen(w->ps[i].path);
	}
	fprintf(f, "%llu points x %u strategies, %u workers, %.1f s\n\n",
		(unsigned long long)w->npoints, w->nspecs, w->jobs, elapsed);
	for (unsigned i = 0; i < w->np; i++)
		fprintf(f, "%*s  ", (int)(i ? 12 : pw), i ? w->ps[i].path + strlen(w->ps[i].path) -
			(strlen(w->ps[i].path) > 12 ? 12 : strlen(w->ps[i].path)) : w->ps[i].path);
	fprintf(f, "%-28s", "strategy");
	for (unsigned m = 0; m < w->nm; m++)
		fprintf(f, " %14s", w->metrics[m]->disp);
	fputc('\n', f);
	for (uint64_t k = 0; k < w->npoints; k++) {
		unsigned idx[8];

		sweep_point_index(w->ps, w->np, k, idx);
		for (unsigned s = 0; s < w->nspecs; s++) {
			for (unsigned i = 0; i < w->np; i++) {
				/* sizes in binary units, not raw bytes */
				char *v = w->ps[i].numeric ? fmt_value(w->ps[i].path, w->ps[i].x[idx[i]]) :
							     xstrdup(w->ps[i].text[idx[i]]);

				fprintf(f, "%*s  ", (int)(i ? 12 : pw), v);
				free(v);
			}
			fprintf(f, "%-28s", w->specs[s]);
			for (unsigned m = 0; m < w->nm; m++)
				fprintf(f, " %14.6g", *valp(w, k, s, m) * w->metrics[m]->scale);
			fputc('\n', f);
		}
	}
	if (w->ps[0].numeric) {
		fprintf(f, "\ncrossovers along %s:%s\n", w->ps[0].path, nfc ? "" : " none found");
		for (unsigned i = 0; i < nfc; i++) {
			const struct found_cross *c = &fc[i];
			const struct metric *m = c->lm ? c->lm : w->metrics[c->m];
			/* which strategy is better below the crossover */
			int a_better_below = m->higher_better ? !c->c.a_below : c->c.a_below;
			char *x = fmt_value(w->ps[0].path, c->c.x), *lo, *hi;

			lo = fmt_value(w->ps[0].path, c->c.x_lo);
			hi = fmt_value(w->ps[0].path, c->c.x_hi);
			fprintf(f, "  %s: %s = %s (between %s and %s)%s%s: ", m->name,
				w->ps[0].path, x, lo, hi, *c->at ? " at " : "", c->at);
			if (c->lm)
				fprintf(f, "%s's %s crosses %g: %s below, %s above\n",
					w->specs[c->a], m->name, c->value,
					c->c.a_below ? "lower" : "higher",
					c->c.a_below ? "higher" : "lower");
			else
				fprintf(f, "below, %s is better; above, %s\n",
					w->specs[a_better_below ? c->a : c->b],
					w->specs[a_better_below ? c->b : c->a]);
			free(x);
			free(lo);
			free(hi);
		}
	}
	for (unsigned i = 0; i < nfs; i++) {
		const struct found_size *z = &fs[i];
		char b1[32], b2[32], b3[32];

		if (i == 0)
			fprintf(f, "\nswiotlb sizing (machine.swiotlb_bytes, %s .. %s tried):\n",
				ism_human_bytes((uint64_t)z->lo, b1, sizeof(b1)),
				ism_human_bytes((uint64_t)z->hi, b2, sizeof(b2)));
		if (!z->z.found) {
			fprintf(f, "  %s%s%s: maps fail at every size tried; try larger pools\n",
				w->specs[z->s], *z->at ? " at " : "", z->at);
			continue;
		}
		fprintf(f, "  %s%s%s: smallest pool with no failed map %s", w->specs[z->s],
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
	for (unsigned i = 0; i < w->np; i++) {
		fputc(',', f);
		csv_str(f, w->ps[i].path);
	}
	fprintf(f, ",strategy,metric,value,schema_version\n");
	for (uint64_t k = 0; k < w->npoints; k++) {
		unsigned idx[8];

		sweep_point_index(w->ps, w->np, k, idx);
		for (unsigned s = 0; s < w->nspecs; s++) {
			const double *v = allp(w, k, s);

			for (unsigned i = 0; i < w->nmt && (m = metric_get(i)) != NULL; i++) {
				if (isnan(v[i]))
					continue;
				fprintf(f, "%llu", (unsigned long long)k);
				for (unsigned p = 0; p < w->np; p++) {
					fputc(',', f);
					if (w->ps[p].numeric)
						csv_num(f, w->ps[p].x[idx[p]], 15);
					else
						csv_str(f, w->ps[p].text[idx[p]]);
				}
				fputc(',', f);
				csv_str(f, w->specs[s]);
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

static json_t *sweep_json(struct sw *w, const struct found_cross *fc, unsigned nfc,
			  const struct found_size *fs, unsigned nfs, json_t *figure)
{
	json_t *root = json_object(), *a, *man;
	struct manifest_in mi;
	struct scenario sc;
	char *cause = NULL;
	const struct metric *m;

	json_object_set_new(root, "schema_version", json_integer(SWEEP_VERSION));
	json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	memset(&mi, 0, sizeof(mi));
	mi.trace = w->trace;
	mi.specs = w->specs;
	mi.nspecs = w->nspecs;
	mi.sets = w->sets;
	mi.nsets = w->nsets;
	mi.argc = w->argc;
	mi.argv = w->argv;
	if (scenario_load(w->scenario, &sc, &cause) == 0) {
		for (unsigned i = 0; i < w->nsets; i++)
			scenario_set(&sc, w->sets[i], NULL, &cause);
		mi.sc = &sc;
		man = manifest_json(&mi, w->trace_hash, w->trace_bytes, &cause);
		scenario_free(&sc);
	} else {
		man = NULL;
	}
	free(cause);
	json_object_set_new(root, "manifest", man ? man : json_null());
	a = json_array();
	for (unsigned i = 0; i < w->np; i++) {
		json_t *p = json_object(), *v = json_array();

		json_object_set_new(p, "path", json_string(w->ps[i].path));
		for (unsigned j = 0; j < w->ps[i].n; j++)
			json_array_append_new(v, json_string(w->ps[i].text[j]));
		json_object_set_new(p, "values", v);
		json_object_set_new(p, "log", json_boolean(w->ps[i].log));
		json_array_append_new(a, p);
	}
	json_object_set_new(root, "params", a);
	a = json_array();
	for (unsigned i = 0; (m = metric_get(i)) != NULL; i++)
		json_array_append_new(a, json_string(m->name));
	json_object_set_new(root, "metrics", a);
	a = json_array();
	for (uint64_t k = 0; k < w->npoints; k++) {
		json_t *p = json_object(), *ss = json_array(), *pv = json_object();
		unsigned idx[8];

		json_object_set_new(p, "index", json_integer((json_int_t)k));
		sweep_point_index(w->ps, w->np, k, idx);
		for (unsigned i = 0; i < w->np; i++)
			json_object_set_new(pv, w->ps[i].path, json_string(w->ps[i].text[idx[i]]));
		json_object_set_new(p, "params", pv);
		json_object_set_new(p, "scenario_sha256", json_string(w->hash[k]));
		if (!w->tmp) {
			char n[48];

			snprintf(n, sizeof(n), "points/%04llu.json", (unsigned long long)k);
			json_object_set_new(p, "file", json_string(n));
		}
		for (unsigned s = 0; s < w->nspecs; s++) {
			const double *v = allp(w, k, s);
			json_t *o = json_object();

			json_object_set_new(o, "strategy", json_string(w->specs[s]));
			for (unsigned i = 0; i < w->nmt; i++)
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
		const struct found_cross *c = &fc[i];
		const struct metric *mm = c->lm ? c->lm : w->metrics[c->m];
		int a_better_below = mm->higher_better ? !c->c.a_below : c->c.a_below;
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(c->lm ? "level" : "pair"));
		json_object_set_new(o, "metric", json_string(mm->name));
		json_object_set_new(o, "param", json_string(w->ps[0].path));
		json_object_set_new(o, "x", json_real(c->c.x));
		json_object_set_new(o, "x_low", json_real(c->c.x_lo));
		json_object_set_new(o, "x_high", json_real(c->c.x_hi));
		if (c->lm) {
			json_object_set_new(o, "strategy", json_string(w->specs[c->a]));
			json_object_set_new(o, "value", json_real(c->value));
			json_object_set_new(o, "below",
					    json_string(c->c.a_below ? "lower" : "higher"));
		} else {
			json_object_set_new(o, "better_below",
					    json_string(w->specs[a_better_below ? c->a : c->b]));
			json_object_set_new(o, "better_above",
					    json_string(w->specs[a_better_below ? c->b : c->a]));
		}
		json_object_set_new(o, "at", json_string(c->at));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "crossovers", a);
	a = json_array();
	for (unsigned i = 0; i < nfs; i++) {
		const struct found_size *z = &fs[i];
		json_t *o = json_object();

		json_object_set_new(o, "strategy", json_string(w->specs[z->s]));
		json_object_set_new(o, "param", json_string("machine.swiotlb_bytes"));
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

	if (!p || scenario_load(w->scenario, &sc, &cause) < 0) {
		free(cause);
		return -1;
	}
	for (unsigned i = 0; i < w->nsets; i++) {
		if (scenario_set(&sc, w->sets[i], NULL, &cause) < 0) {
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

#define NBSP "\xc2\xa0"

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
static json_t *draw_figure(struct sw *w, const struct found_cross *fc, unsigned nfc,
			   const struct found_size *fs, unsigned nfs, struct plot_out *po)
{
	unsigned n0 = w->ps[0].n, *order = sorted_order(&w->ps[0]), nmarks = 0;
	uint64_t lines = w->npoints / n0, *pts = xcalloc(n0 * lines, sizeof(*pts));
	char *p = plot_path(w->outdir, "sweep-plot.csv"), *args[6], *title;
	const struct param *pp = param_find(scenario_params(), w->ps[0].path);
	json_t *fig, *ja;
	double sv;
	FILE *f;

	for (uint64_t g = 0; g < lines; g++)
		line_points(w, 0, g, order, pts + g * n0);
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
	csv_str(f, w->ps[0].path);
	for (unsigned m = 0; m < w->nm; m++)
		for (unsigned s = 0; s < w->nspecs; s++)
			for (uint64_t g = 0; g < lines; g++) {
				char *o = others_text(w, 0, pts[g * n0]);
				char *col = xasprintf("%s:%s%s%s", w->metrics[m]->disp, w->specs[s],
						      *o ? " " : "", o);

				fputc(',', f);
				csv_str(f, col);
				free(col);
				free(o);
			}
	fprintf(f, ",schema_version\n");
	for (unsigned j = 0; j < n0; j++) {
		csv_num(f, w->ps[0].x[order[j]], 15);
		for (unsigned m = 0; m < w->nm; m++)
			for (unsigned s = 0; s < w->nspecs; s++)
				for (uint64_t g = 0; g < lines; g++) {
					double v = *valp(w, pts[g * n0 + j], s, m);

					fputc(',', f);
					csv_num(f, v * w->metrics[m]->scale, 10);
				}
		fprintf(f, ",%d\n", SCHEMA_FIGURE_CSV);
	}
	if (fclose(f) != 0)
		po->failed++;
	/* gnuplot -c takes 9 arguments: lists of labels are '|'-separated */
	args[0] = xasprintf("%u|%llu|%llu|%s", w->nm, (unsigned long long)(w->nspecs * lines),
			    (unsigned long long)lines,
			    !w->ps[0].log ? "lin" : pp && pp->type == PARAM_SIZE ? "bytes" : "log");
	args[1] = pp && pp->help ? xasprintf("%s: %s%s%s%s", w->ps[0].path, pp->help,
					     *param_unit(w->ps[0].path) ? " (" : "",
					     param_unit(w->ps[0].path),
					     *param_unit(w->ps[0].path) ? ")" : "") :
			  xasprintf("%s", w->ps[0].path);
	args[2] = xstrdup("");
	for (unsigned m = 0; m < w->nm; m++) {
		char *l = metric_label(w->metrics[m]);
		char *n = xasprintf("%s%s%s", args[2], m ? "|" : "", l);

		free(l);
		free(args[2]);
		args[2] = n;
	}
	args[3] = xstrdup("");
	for (unsigned i = 0; i < nfc && nmarks < MAX_MARKS; i++) {
		char *n, *lbl;

		if (fc[i].m >= w->nm)
			continue;   /* a level of a metric that has no panel */
		lbl = fmt_value(w->ps[0].path, fc[i].c.x);
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
	for (unsigned m = 0; m < w->nm; m++) {
		if (strcmp(w->metrics[m]->name, "map_failures") != 0 ||
		    strcmp(w->ps[0].path, "machine.swiotlb_bytes") != 0)
			continue;
		for (unsigned i = 0; i < nfs && nmarks < MAX_MARKS; i++) {
			char b[32], *n;

			if (!fs[i].z.found ||
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
	if (w->ps[0].numeric && scenario_value(w, w->ps[0].path, &sv) == 0) {
		char *l = fmt_value(w->ps[0].path, sv);

		args[4] = xasprintf("%.10g|scenario: %s", sv, l);
		free(l);
	} else {
		args[4] = xstrdup("");
	}
	args[5] = xstrdup(w->specs[0]);
	title = xasprintf("sweep of %s: %s", w->ps[0].path,
			  strrchr(w->trace, '/') ? strrchr(w->trace, '/') + 1 : w->trace);
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

static int write_outputs(struct sw *w, const struct found_cross *fc, unsigned nfc,
			 const struct found_size *fs, unsigned nfs, double elapsed)
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
	if (w->ps[0].numeric)
		fig = draw_figure(w, fc, nfc, fs, nfs, &po);
	if (plot_out_finish(&po, 1) < 0)
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

static void remove_tmp(struct sw *w)
{
	if (w->tmp) {
		tmpdir_remove(w->pdir);
		w->pdir = NULL;
	}
}

/* Check every point's scenario and the trace before running anything. */
static int validate(struct sw *w)
{
	struct reader *r;
	char *cause = NULL;
	int ret;

	for (uint64_t k = 0; k < w->npoints; k++) {
		struct scenario sc;
		char **sets = NULL;
		unsigned nsets = 0;

		ret = point_scenario(w, k, &sc, &sets, &nsets, &cause);
		scenario_free(&sc);
		free_strs(sets, nsets);
		if (ret < 0) {
			char *o = others_text(w, w->np, k);

			ism_err("%s (sweep point %s)", cause ? cause : ism_strerror(ret), o);
			free(o);
			free(cause);
			return EXIT_USAGE;
		}
	}
	ret = reader_open(w->trace, w->format_in, &r, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret);
	}
	reader_close(r);
	if (sha256_file(w->trace, w->trace_hash, &w->trace_bytes) < 0) {
		ism_err("%s: %s", w->trace, strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int sweep_main(struct sw *w)
{
	struct found_cross fc[MAX_CROSS];
	struct found_size fs[64];
	unsigned nfc = 0, nfs = 0;
	double elapsed = 0;
	int status;

	w->npoints = sweep_points(w->ps, w->np);
	if (w->npoints > 100000)
		return usage_error("sweep", "%llu points: at most 100000",
				   (unsigned long long)w->npoints);
	if (w->jobs > w->npoints)
		w->jobs = (unsigned)w->npoints;
	status = validate(w);
	if (status != EXIT_OK)
		return status;
	if (w->outdir) {
		static const char *const subdirs[] = { "points", "plots", NULL };
		char *cause = NULL;
		int ret;

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
	} else {
		char *cause = NULL;

		w->pdir = tmpdir_create("iommusim-sweep", &cause);
		if (!w->pdir) {
			ism_err("%s", cause);
			free(cause);
			return EXIT_FAIL;
		}
		w->tmp = 1;
	}
	status = run_points(w, &elapsed);
	if (status == EXIT_OK && collect(w) < 0)
		status = EXIT_FAIL;
	if (status == EXIT_OK) {
		if (w->ps[0].numeric)
			nfc = find_crossovers(w, fc, MAX_CROSS);
		for (unsigned i = 0; i < w->np; i++)
			if (strcmp(w->ps[i].path, "machine.swiotlb_bytes") == 0)
				nfs = find_sizing(w, i, fs, ISM_ARRAY_SIZE(fs));
		if (write_outputs(w, fc, nfc, fs, nfs, elapsed) < 0)
			status = EXIT_FAIL;
	}
	for (unsigned i = 0; i < nfc; i++)
		free(fc[i].at);
	for (unsigned i = 0; i < nfs; i++)
		free(fs[i].at);
	remove_tmp(w);
	if (w->od) {
		char *cause = NULL;

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

int cmd_sweep(int argc, char **argv)
{
	enum { OPT_SET = 256, OPT_FORMAT };
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "param", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, OPT_SET },
		{ "strategies", required_argument, NULL, 'S' },
		{ "metric", required_argument, NULL, 'm' },
		{ "crossover", required_argument, NULL, 'x' },
		{ "level", required_argument, NULL, 'l' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "format-in", required_argument, NULL, 'f' },
		OPT_ALLOW_TRUNCATED_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *metric = "boot_ns,run_ns";
	struct sw w;
	char *cause = NULL, *end;
	long n;
	int c, status = EXIT_USAGE;

	memset(&w, 0, sizeof(w));
	w.argc = argc;
	w.argv = argv;       /* "sweep" ... for the manifest */
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:p:S:m:x:l:j:o:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			w.scenario = optarg;
			break;
		case 'p':
			if (w.np == ISM_ARRAY_SIZE(w.ps)) {
				usage_error("sweep", "at most %zu --param", ISM_ARRAY_SIZE(w.ps));
				goto out;
			}
			if (sweep_param_parse(optarg, &w.ps[w.np], &cause) < 0) {
				usage_error("sweep", "--param %s", cause);
				free(cause);
				goto out;
			}
			w.np++;
			break;
		case OPT_SET:
			add_str(&w.sets, &w.nsets, optarg);
			break;
		case 'S': {
			char *dup = xstrdup(optarg), *save = NULL;

			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
				add_str(&w.specs, &w.nspecs, t);
			free(dup);
			break;
		}
		case 'm':
			metric = optarg;
			break;
		case 'x':
			if (!strchr(optarg, ',')) {
				usage_error("sweep", "--crossover %s: expected A,B", optarg);
				goto out;
			}
			add_str(&w.cross, &w.ncross, optarg);
			break;
		case 'l':
			add_str(&w.levels, &w.nlevels, optarg);
			break;
		case 'j':
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				usage_error("sweep", "-j %s: a number of workers (1..1024)",
					    optarg);
				goto out;
			}
			w.jobs = (unsigned)n;
			break;
		case 'o':
			w.outdir = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0) {
				w.format = 0;
			} else if (strcmp(optarg, "json") == 0) {
				w.format = 1;
			} else if (strcmp(optarg, "csv") == 0) {
				w.format = 2;
			} else {
				usage_error("sweep", "--format %s: text, json or csv", optarg);
				goto out;
			}
			break;
		case 'f':
			w.format_in = optarg;
			break;
		case OPT_ALLOW_TRUNCATED:
			reader_allow_truncated(1);
			break;
		case 'h':
			help_sweep(stdout);
			status = EXIT_OK;
			goto out;
		default:
			bad_option("sweep", opts, argv);
			goto out;
		}
	}
	if (optind != argc - 1) {
		usage_error("sweep", "expected exactly one trace");
		goto out;
	}
	if (!w.np) {
		usage_error("sweep", "no --param PATH=VALUES");
		goto out;
	}
	w.trace = argv[optind];
	if (!w.nspecs)
		for (unsigned i = 0; compare_default_specs[i]; i++)
			add_str(&w.specs, &w.nspecs, compare_default_specs[i]);
	for (unsigned i = 0; i < w.ncross; i++) {
		char *dup = xstrdup(w.cross[i]), *b = strchr(dup, ',');
		int fa = 0, fb = 0;

		*b++ = 0;
		for (unsigned s = 0; s < w.nspecs; s++) {
			fa |= strcmp(w.specs[s], dup) == 0;
			fb |= strcmp(w.specs[s], b) == 0;
		}
		if (!fa || !fb) {
			usage_error("sweep", "--crossover %s: %s is not among the strategies (-S)",
				    w.cross[i], fa ? b : dup);
			free(dup);
			goto out;
		}
		free(dup);
	}
	for (unsigned i = 0; i < w.nlevels; i++) {
		const struct metric *lm;
		unsigned a;
		double v;

		if (parse_level(&w, w.levels[i], &a, &lm, &v) < 0)
			goto out;
	}
	if (plot_metrics_parse(metric, &w.metrics, &w.nm) < 0)
		goto out;
	if (!w.jobs) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		w.jobs = cpus > 0 ? (unsigned)cpus : 1;
	}
	status = sweep_main(&w);
out:
	for (unsigned i = 0; i < w.np; i++)
		sweep_param_free(&w.ps[i]);
	free_strs(w.specs, w.nspecs);
	free_strs(w.sets, w.nsets);
	free_strs(w.cross, w.ncross);
	free_strs(w.levels, w.nlevels);
	free(w.metrics);
	free(w.mi);
	free(w.all);
	free(w.hash);
	free(w.fmt);
	free(w.sc_name);
	free(w.sc_path);
	free(w.pdir);
	return status;
}
