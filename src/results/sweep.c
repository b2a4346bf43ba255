/*
 * sweep.c: swept parameter values, points of a sweep, crossovers and sizing advice.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "manifest.h"
#include "metrics.h"
#include "param.h"
#include "reader.h"
#include "replay.h"
#include "report.h"
#include "scenario.h"
#include "schema.h"
#include "sim.h"
#include "sweep.h"
#include "util.h"

#define SWEEP_MAX_VALUES 10000

static void add_value(struct sweep_param *sp, char *text, double x)
{
	sp->text = xreallocarray(sp->text, sp->n + 1, sizeof(*sp->text));
	sp->x = xreallocarray(sp->x, sp->n + 1, sizeof(*sp->x));
	sp->text[sp->n] = text;
	sp->x[sp->n] = x;
	sp->n++;
}

static int is_int_type(const struct param *p)
{
	return p->type == PARAM_U64 || p->type == PARAM_HEX || p->type == PARAM_SIZE;
}

/* A number as the parameter reads it: 0, or -1 when @s is not one. */
static int parse_number(const struct param *p, const char *s, double *out)
{
	char *end;

	if (is_int_type(p)) {
		uint64_t u;

		if (param_parse_size(s, &u) < 0)
			return -1;
		*out = (double)u;
		return 0;
	}
	*out = strtod(s, &end);
	return end == s || *end || !isfinite(*out) ? -1 : 0;
}

/* An integer parameter's nearest allowed value to @v (power of two, multiple). */
static double round_int(const struct param *p, double v)
{
	if (p->flags & PARAM_POW2)
		return v < 1 ? ((p->flags & PARAM_ZERO) && v < 0.5 ? 0 : 1) : exp2(round(log2(v)));
	if (p->multiple) {
		double m = (double)p->multiple, r = round(v / m) * m;

		return r < m && !(p->flags & PARAM_ZERO) ? m : r;
	}
	return round(v);
}

static char *suggest(const char *path)
{
	const char *best = NULL, *q;
	unsigned bd = 3;

	for (unsigned i = 0; (q = scenario_param_path(i)) != NULL; i++) {
		unsigned d = ism_edit_distance(path, q);

		if (d < bd) {
			bd = d;
			best = q;
		}
	}
	return best ? xasprintf(" (did you mean %s?)", best) : xstrdup("");
}

static int parse_range(const struct param *p, struct sweep_param *sp, char **parts,
		       char **cause)
{
	double lo, hi;
	char *end;
	long n = strtol(parts[3], &end, 10);

	if (*end || n < 2 || n > SWEEP_MAX_VALUES) {
		char *v = param_show(parts[3]);

		*cause = xasprintf("%s: '%s' is not a number of points (2..%d)", sp->path, v,
				   SWEEP_MAX_VALUES);
		free(v);
		return -ISM_EUSAGE;
	}
	if (strcmp(parts[2], "lin") == 0) {
		sp->log = 0;
	} else if (strcmp(parts[2], "log") == 0) {
		sp->log = 1;
	} else {
		char *v = param_show(parts[2]);

		*cause = xasprintf("%s: range spacing '%s': lin or log", sp->path, v);
		free(v);
		return -ISM_EUSAGE;
	}
	if (p->type != PARAM_DOUBLE && !is_int_type(p)) {
		*cause = xasprintf("%s: a %s parameter takes a list of values, not a range",
				   sp->path, param_type_name(p->type));
		return -ISM_EUSAGE;
	}
	for (int k = 0; k < 2; k++)
		if (parse_number(p, parts[k], k ? &hi : &lo) < 0) {
			char *v = param_show(parts[k]);

			*cause = xasprintf("%s: '%s' is not a %s value", sp->path, v,
					   param_type_name(p->type));
			free(v);
			return -ISM_EUSAGE;
		}
	if (sp->log && (lo <= 0 || hi <= 0)) {
		*cause = xasprintf("%s: a log range needs values above 0", sp->path);
		return -ISM_ERANGE;
	}
	for (long i = 0; i < n; i++) {
		double f = (double)i / (double)(n - 1);
		double v = sp->log ? lo * pow(hi / lo, f) : lo + (hi - lo) * f;
		char *t;

		if (i == n - 1)
			v = hi;
		if (is_int_type(p)) {
			v = round_int(p, v);
			if (sp->n && v == sp->x[sp->n - 1])
				continue;
			t = xasprintf("%.0f", v);
		} else {
			t = xasprintf("%.6g", v);
			v = strtod(t, NULL);
			if (sp->n && v == sp->x[sp->n - 1]) {
				free(t);
				continue;
			}
		}
		add_value(sp, t, v);
	}
	return 0;
}

static int parse_list(const struct param *p, struct sweep_param *sp, const char *spec,
		      char **cause)
{
	char *dup = xstrdup(spec), *save = NULL;
	double mn = INFINITY, mx = 0;

	sp->numeric = p->type == PARAM_DOUBLE || is_int_type(p) || p->type == PARAM_BOOL;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		double x = sp->n;

		if (p->type == PARAM_BOOL) {
			if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0) {
				char *v = param_show(t);

				*cause = xasprintf("%s: '%s' is not true or false", sp->path, v);
				free(v);
				free(dup);
				return -ISM_EUSAGE;
			}
			x = strcmp(t, "true") == 0;
		} else if (sp->numeric && parse_number(p, t, &x) < 0) {
			char *v = param_show(t);

			*cause = xasprintf("%s: '%s' is not a %s value", sp->path, v,
					   param_type_name(p->type));
			free(v);
			free(dup);
			return -ISM_EUSAGE;
		}
		if (x < mn)
			mn = x;
		if (x > mx)
			mx = x;
		add_value(sp, xstrdup(t), x);
		if (sp->n > SWEEP_MAX_VALUES) {
			*cause = xasprintf("%s: more than %d values", sp->path, SWEEP_MAX_VALUES);
			free(dup);
			return -ISM_EUSAGE;
		}
	}
	free(dup);
	if (!sp->n) {
		*cause = xasprintf("%s: no value", sp->path);
		return -ISM_EUSAGE;
	}
	/* values spread over two orders of magnitude read best on a log axis */
	sp->log = sp->numeric && p->type != PARAM_BOOL && mn > 0 && mx / mn >= 100;
	return 0;
}

int sweep_param_parse(const char *arg, struct sweep_param *out, char **cause)
{
	const char *eq = strchr(arg, '=');
	const struct param *p;
	char *parts[5], *dup, *save = NULL;
	unsigned np = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!eq || eq == arg || !eq[1]) {
		char *v = param_show(arg);

		*cause = xasprintf("%s: expected PATH=VALUES, e.g. cost.h_put_tce.fixed_ns="
				   "100:100000:log:16 or machine.ram_bytes=2GiB,8GiB", v);
		free(v);
		return -ISM_EUSAGE;
	}
	out->path = xstrndup(arg, (size_t)(eq - arg));
	p = param_find(scenario_params(), out->path);
	if (!p) {
		char *s = suggest(out->path), *v = param_show(out->path);

		*cause = xasprintf("%s: unknown scenario parameter%s; `iommusim list params` lists "
				   "them", v, s);
		free(v);
		free(s);
		sweep_param_free(out);
		return -ISM_EUSAGE;
	}
	dup = xstrdup(eq + 1);
	for (char *t = strtok_r(dup, ":", &save); t && np < 5; t = strtok_r(NULL, ":", &save))
		parts[np++] = t;
	if (p->type == PARAM_STRING || p->type == PARAM_BOOL || np == 1) {
		ret = parse_list(p, out, eq + 1, cause);
	} else if (np == 4 && !strchr(eq + 1, ',')) {
		out->numeric = 1;
		ret = parse_range(p, out, parts, cause);
	} else {
		char *v = param_show(eq + 1);

		*cause = xasprintf("%s: '%s' is neither a list (A,B,C) nor a range LO:HI:lin|log:N",
				   out->path, v);
		free(v);
		ret = -ISM_EUSAGE;
	}
	free(dup);
	if (ret < 0)
		sweep_param_free(out);
	return ret;
}

void sweep_param_free(struct sweep_param *p)
{
	for (unsigned i = 0; i < p->n; i++)
		free(p->text[i]);
	free(p->text);
	free(p->x);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

uint64_t sweep_points(const struct sweep_param *ps, unsigned np)
{
	uint64_t n = 1;

	for (unsigned i = 0; i < np; i++)
		n *= ps[i].n;
	return n;
}

void sweep_point_index(const struct sweep_param *ps, unsigned np, uint64_t k, unsigned *idx)
{
	for (unsigned i = np; i-- > 0;) {
		idx[i] = (unsigned)(k % ps[i].n);
		k /= ps[i].n;
	}
}

static int sign_of(double a, double b)
{
	double d = a - b, m = fmax(fabs(a), fabs(b));

	if (fabs(d) <= 1e-9 * m)
		return 0;
	return d < 0 ? -1 : 1;
}

unsigned sweep_crossings(const double *x, const double *ya, const double *yb, unsigned n,
			 int logx, struct sweep_cross *out, unsigned max)
{
	unsigned found = 0;
	int prev = -1;   /* index of the last point with a sign */

	for (unsigned i = 0; i < n; i++) {
		int s;

		if (isnan(ya[i]) || isnan(yb[i]))
			continue;
		s = sign_of(ya[i], yb[i]);
		if (!s)
			continue;
		if (prev >= 0 && s != sign_of(ya[prev], yb[prev]) && found < max) {
			double d0 = ya[prev] - yb[prev], d1 = ya[i] - yb[i];
			double f = d0 / (d0 - d1), x0 = x[prev], x1 = x[i];
			struct sweep_cross *c = &out[found++];

			c->x = logx && x0 > 0 && x1 > 0 ? x0 * pow(x1 / x0, f) : x0 + (x1 - x0) * f;
			c->x_lo = x0;
			c->x_hi = x1;
			c->a_below = d0 < 0;
		}
		prev = (int)i;
	}
	return found;
}

void sweep_sizing(const double *x, const double *failures, const double *peak,
		  const double *slots, unsigned n, struct sweep_sizing *out)
{
	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	out->demand = peak[n - 1];
	for (unsigned i = n; i-- > 0;) {
		if (failures[i] > 0)
			break;
		out->found = 1;
		out->at = i;
	}
	if (!out->found)
		return;
	out->size = x[out->at];
	out->margin = slots[out->at] > 0 ? 1 - peak[out->at] / slots[out->at] : 0;
	out->fails_below = out->at > 0;
}

int sweep_param_sizes_pool(const char *path)
{
	const struct param *p = param_find(scenario_params(), path);

	return p && (p->flags & PARAM_POOL);
}

/* ------------------------------------------------------------------------------------------
 * The job: each point's scenario.
 */

static void add_str(char ***v, unsigned *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

void sweep_free_strs(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sweep_point_scenario(const struct sweep *sw, uint64_t k, struct scenario *sc,
			 char ***sets, unsigned *nsets, char **cause)
{
	unsigned idx[SWEEP_MAX_PARAMS];
	int ret;

	*sets = NULL;
	*nsets = 0;
	ret = scenario_load(sw->scenario, sc, cause);
	if (ret < 0)
		return ret;
	for (unsigned i = 0; i < sw->nsets; i++)
		add_str(sets, nsets, sw->sets[i]);
	sweep_point_index(sw->ps, sw->np, k, idx);
	for (unsigned i = 0; i < sw->np; i++) {
		char *s = xasprintf("%s=%s", sw->ps[i].path, sw->ps[i].text[idx[i]]);

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

char *sweep_others_text(const struct sweep *sw, unsigned ax, uint64_t k)
{
	unsigned idx[SWEEP_MAX_PARAMS];
	char *s = xstrdup("");

	sweep_point_index(sw->ps, sw->np, k, idx);
	for (unsigned i = 0; i < sw->np; i++) {
		char *n;

		if (i == ax)
			continue;
		n = xasprintf("%s%s%s=%s", s, *s ? ", " : "", sw->ps[i].path,
			      sw->ps[i].text[idx[i]]);
		free(s);
		s = n;
	}
	return s;
}

int sweep_check(struct sweep *sw, uint64_t *bad_point, char **cause)
{
	struct reader *r;
	int ret;

	sw->npoints = sweep_points(sw->ps, sw->np);
	for (uint64_t k = 0; k < sw->npoints; k++) {
		struct scenario sc;
		char **sets = NULL;
		unsigned nsets = 0;

		ret = sweep_point_scenario(sw, k, &sc, &sets, &nsets, cause);
		scenario_free(&sc);
		sweep_free_strs(sets, nsets);
		if (ret < 0) {
			*bad_point = k;
			return ret;
		}
	}
	*bad_point = UINT64_MAX;
	ret = reader_open(sw->trace, sw->format_in, &r, cause);
	if (ret < 0)
		return ret;
	reader_close(r);
	if (sha256_file(sw->trace, sw->trace_hash, &sw->trace_bytes) < 0) {
		*cause = xasprintf("%s: %s", sw->trace, strerror(errno));
		return -ISM_EUSAGE;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * The result table.
 */

#define NV(sw) ((sw)->nmt + SWEEP_X__EXTRA)

void sweep_table_init(struct sweep *sw)
{
	if (sw->all)
		return;
	sw->nmt = 0;
	while (metric_get(sw->nmt))
		sw->nmt++;
	sw->npoints = sweep_points(sw->ps, sw->np);
	sw->all = xcalloc(sw->npoints * sw->nspecs * NV(sw), sizeof(*sw->all));
	for (uint64_t i = 0; i < sw->npoints * sw->nspecs * NV(sw); i++)
		sw->all[i] = NAN;
	sw->hash = xcalloc(sw->npoints, sizeof(*sw->hash));
	sw->have = xcalloc(sw->npoints, 1);
}

double *sweep_values(const struct sweep *sw, uint64_t k, unsigned s)
{
	return &sw->all[(k * sw->nspecs + s) * NV(sw)];
}

static unsigned metric_index(const struct metric *m)
{
	for (unsigned i = 0; metric_get(i); i++)
		if (metric_get(i) == m)
			return i;
	return 0;
}

double sweep_metric(const struct sweep *sw, uint64_t k, unsigned s, unsigned m)
{
	return sweep_values(sw, k, s)[metric_index(sw->metrics[m])];
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	const char *v = json_string_value(json_object_get(json_object_get(o, a), b));

	return v ? v : "";
}

int sweep_add_point(struct sweep *sw, uint64_t k, json_t *point, char **cause)
{
	static const struct metric extra[SWEEP_X__EXTRA] = {
		[SWEEP_X_POOL_SLOTS] = { .name = "pool.slots", .path = "pool.slots" },
		[SWEEP_X_POOL_BYTES] = { .name = "pool.bytes", .path = "pool.bytes" },
	};
	json_t *res = json_object_get(point, "result");

	sweep_table_init(sw);
	if (k >= sw->npoints || !json_is_object(res)) {
		*cause = xasprintf("sweep point %llu: no result", (unsigned long long)k);
		return -1;
	}
	snprintf(sw->hash[k], sizeof(sw->hash[k]), "%s",
		 str_at(json_object_get(point, "manifest"), "scenario", "effective_sha256"));
	if (k == 0) {
		free(sw->fmt);
		free(sw->sc_name);
		free(sw->sc_path);
		sw->fmt = xstrdup(str_at(res, "trace", "format"));
		sw->sc_name = xstrdup(str_at(res, "scenario", "name"));
		sw->sc_path = xstrdup(str_at(res, "scenario", "path"));
	}
	for (unsigned s = 0; s < sw->nspecs; s++) {
		json_t *so = metric_strategy(res, sw->specs[s]);
		double *v = sweep_values(sw, k, s);

		for (unsigned i = 0; i < NV(sw); i++) {
			const struct metric *m = i < sw->nmt ? metric_get(i) : &extra[i - sw->nmt];

			if (!so || metric_value(m, so, &v[i]) < 0)
				v[i] = NAN;
		}
	}
	sw->have[k] = 1;
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * The runner: a pass decodes the trace once, in blocks of events; worker threads replay every
 * block through their share of the pass's simulations (one per point).
 */

/*
 * Events per block: every simulation of the pass replays a block before the next is decoded.
 * Large blocks keep each simulation's state in cache for longer (16 points of 11 strategies
 * over 1e6 events, -j 1: 17.6 s user at 4096 events, 13.3 s at 65536; 6.5 MiB of events).
 */
#define BLOCK_EVENTS 65536
/* results are kept with the precision they are written with (points/NNNN.json) */
#define REAL_DIGITS 10

struct block {
	struct ism_event ev[BLOCK_EVENTS];
	uint64_t pos[BLOCK_EVENTS];
	unsigned n;
	char *arena;             /* sg arrays and texts of the events, copied */
	size_t used, size;
};

struct pass {
	struct sim **sims;
	unsigned nsims, nthreads;
	struct block *blk;
	int done;                /* no more blocks */
	pthread_barrier_t start, end;
	pthread_mutex_t gate;    /* held while the threads are made and the barriers set */
};

struct worker {
	struct pass *p;
	unsigned t;
};

static void block_sims(struct pass *p, unsigned t)
{
	const struct block *b = p->blk;

	/* simulation i belongs to thread i % nthreads: the same for every block */
	for (unsigned i = t; i < p->nsims; i += p->nthreads)
		for (unsigned e = 0; e < b->n; e++)
			sim_event(p->sims[i], &b->ev[e], b->pos[e]);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->p->gate);
	pthread_mutex_unlock(&w->p->gate);
	for (;;) {
		pthread_barrier_wait(&w->p->start);
		if (w->p->done)
			break;
		block_sims(w->p, w->t);
		pthread_barrier_wait(&w->p->end);
	}
	return NULL;
}

static size_t arena_put(struct block *b, const void *src, size_t len)
{
	size_t at = (b->used + 15) & ~(size_t)15;

	if (at + len > b->size) {
		b->size = (at + len) * 2 + 4096;
		b->arena = xrealloc(b->arena, b->size);
	}
	memcpy(b->arena + at, src, len);
	b->used = at + len;
	return at;
}

/* Copy @ev into the block, its sg array and text into the arena (offsets until fixed). */
static void block_add(struct block *b, const struct ism_event *ev, uint64_t pos,
		      size_t *sg_off, size_t *text_off)
{
	struct ism_event *d = &b->ev[b->n];

	*d = *ev;
	sg_off[b->n] = SIZE_MAX;
	text_off[b->n] = SIZE_MAX;
	if (ev->sg && ev->nsg)
		sg_off[b->n] = arena_put(b, ev->sg, (size_t)ev->nsg * sizeof(*ev->sg));
	if (ev->text)
		text_off[b->n] = arena_put(b, ev->text, (size_t)ev->text_len + 1);
	b->pos[b->n++] = pos;
}

static void block_fix(struct block *b, const size_t *sg_off, const size_t *text_off)
{
	for (unsigned e = 0; e < b->n; e++) {
		if (sg_off[e] != SIZE_MAX)
			b->ev[e].sg = (const struct ism_sge *)(void *)(b->arena + sg_off[e]);
		if (text_off[e] != SIZE_MAX)
			b->ev[e].text = b->arena + text_off[e];
	}
}

/* Every real of @j as written with REAL_DIGITS significant digits and read back. */
static void round_reals(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_real(j)) {
		char b[48];

		snprintf(b, sizeof(b), "%.*g", REAL_DIGITS, json_real_value(j));
		json_real_set(j, strtod(b, NULL));
	} else if (json_is_object(j)) {
		json_object_foreach(j, key, v)
			round_reals(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			round_reals(v);
	}
}

json_t *sweep_point_json(const struct sweep *sw, uint64_t k, char *const *sets, unsigned nsets,
			 const struct report_ctx *rc, char **cause)
{
	struct manifest_in mi;
	unsigned idx[SWEEP_MAX_PARAMS];
	json_t *root, *params, *man;

	memset(&mi, 0, sizeof(mi));
	mi.trace = sw->trace;
	mi.sc = rc->sc;
	mi.specs = sw->specs;
	mi.nspecs = sw->nspecs;
	mi.sets = sets;
	mi.nsets = nsets;
	man = manifest_json(&mi, sw->trace_hash, sw->trace_bytes, cause);
	if (!man)
		return NULL;
	root = json_object();
	json_object_set_new(root, "schema_version", json_integer(SCHEMA_SWEEP));
	json_object_set_new(root, "sweep_point", json_integer((json_int_t)k));
	params = json_object();
	sweep_point_index(sw->ps, sw->np, k, idx);
	for (unsigned i = 0; i < sw->np; i++)
		json_object_set_new(params, sw->ps[i].path, json_string(sw->ps[i].text[idx[i]]));
	json_object_set_new(root, "params", params);
	json_object_set_new(root, "manifest", man);
	json_object_set_new(root, "result", report_json(rc));
	round_reals(root);
	return root;
}

static int write_point(const char *dir, uint64_t k, json_t *root, char **cause)
{
	char *path = xasprintf("%s/%04llu.json", dir, (unsigned long long)k);
	char *tmp = xasprintf("%s.tmp", path);
	int ret = json_dump_file(root, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
				 JSON_REAL_PRECISION(REAL_DIGITS));

	if (ret == 0 && rename(tmp, path) < 0)
		ret = -1;
	if (ret < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(path);
	return ret < 0 ? -ISM_EIO : 0;
}

/* One decode of the trace for points @first .. @first + @n - 1. */
static int run_pass(struct sweep *sw, const struct sweep_run_opts *o, uint64_t first,
		    unsigned n, char **cause)
{
	struct scenario *sc = xcalloc(n, sizeof(*sc));
	char ***sets = xcalloc(n, sizeof(*sets));
	unsigned *nsets = xcalloc(n, sizeof(*nsets)), nloaded = 0;
	struct pass p;
	struct block *b = xcalloc(1, sizeof(*b));
	size_t *sg_off = xcalloc(BLOCK_EVENTS, sizeof(*sg_off));
	size_t *text_off = xcalloc(BLOCK_EVENTS, sizeof(*text_off));
	pthread_t *th = NULL;
	struct worker *wk = NULL;
	unsigned nth = 0;
	struct reader *r = NULL;
	struct ism_event ev;
	struct replay rp;
	const char *unit = "";
	uint64_t cpumask[1024] = { 0 };
	unsigned cpus = 0;
	int ret = 0;

	memset(&p, 0, sizeof(p));
	p.sims = xcalloc(n, sizeof(*p.sims));
	p.nsims = n;
	p.blk = b;
	for (unsigned i = 0; i < n; i++) {
		char *c = NULL;

		ret = sweep_point_scenario(sw, first + i, &sc[i], &sets[i], &nsets[i], &c);
		nloaded = i + 1;
		if (ret == 0) {
			p.sims[i] = sim_new(&sc[i], sw->specs, sw->nspecs, &c);
			if (!p.sims[i])
				ret = -ISM_EUSAGE;
		}
		if (ret < 0) {
			*cause = xasprintf("sweep point %llu: %s", (unsigned long long)(first + i),
					   c ? c : ism_strerror(ret));
			free(c);
			goto out;
		}
	}
	ret = reader_open(sw->trace, sw->format_in, &r, cause);
	if (ret < 0)
		goto out;
	p.nthreads = o->jobs > 1 ? (o->jobs < n ? o->jobs : n) : 1;
	if (p.nthreads > 1) {
		th = xcalloc(p.nthreads, sizeof(*th));
		wk = xcalloc(p.nthreads, sizeof(*wk));
		pthread_mutex_init(&p.gate, NULL);
		pthread_mutex_lock(&p.gate);
		for (nth = 1; nth < p.nthreads; nth++) {
			wk[nth].p = &p;
			wk[nth].t = nth;
			if (pthread_create(&th[nth], NULL, worker_main, &wk[nth]) != 0)
				break;   /* fewer threads: the shares are made for those there are */
		}
		p.nthreads = nth;
		if (nth > 1) {
			pthread_barrier_init(&p.start, NULL, p.nthreads);
			pthread_barrier_init(&p.end, NULL, p.nthreads);
		}
		pthread_mutex_unlock(&p.gate);
	}
	for (;;) {
		b->n = 0;
		b->used = 0;
		while (b->n < BLOCK_EVENTS && (ret = reader_next(r, &ev)) > 0) {
			block_add(b, &ev, reader_position(r, &unit), sg_off, text_off);
			if (!(cpumask[ev.cpu / 64] & (1ull << (ev.cpu % 64)))) {
				cpumask[ev.cpu / 64] |= 1ull << (ev.cpu % 64);
				cpus++;
			}
		}
		if (ret < 0)
			break;
		block_fix(b, sg_off, text_off);
		if (p.nthreads > 1) {
			pthread_barrier_wait(&p.start);
			block_sims(&p, 0);
			pthread_barrier_wait(&p.end);
		} else {
			block_sims(&p, 0);
		}
		if (b->n < BLOCK_EVENTS)
			break;
	}
	if (p.nthreads > 1) {
		p.done = 1;
		pthread_barrier_wait(&p.start);
		for (unsigned t = 1; t < nth; t++)
			pthread_join(th[t], NULL);
		pthread_barrier_destroy(&p.start);
		pthread_barrier_destroy(&p.end);
	}
	if (th)
		pthread_mutex_destroy(&p.gate);
	if (ret < 0) {
		*cause = xstrdup(reader_error(r));
		goto out;
	}
	sw->passes++;
	sw->events_decoded += r->nevents;
	memset(&rp, 0, sizeof(rp));
	rp.events = r->nevents;
	rp.cpus = cpus;
	snprintf(rp.format, sizeof(rp.format), "%s", r->ops->name);
	reader_position(r, &unit);
	snprintf(rp.pos_unit, sizeof(rp.pos_unit), "%s", unit);
	for (unsigned i = 0; i < n; i++) {
		struct report_ctx rc;
		uint64_t k = first + i;
		json_t *root;

		sim_finish(p.sims[i]);
		rp.sim = p.sims[i];
		replay_report_ctx(&rp, sw->trace, &sc[i], 0, &rc);
		root = sweep_point_json(sw, k, sets[i], nsets[i], &rc, cause);
		if (!root) {
			ret = -ISM_EIO;
			goto out;
		}
		ret = o->point_dir ? write_point(o->point_dir, k, root, cause) : 0;
		if (ret == 0 && sweep_add_point(sw, k, root, cause) < 0)
			ret = -ISM_EIO;
		json_decref(root);
		/* the simulation's memory back before the next point's report */
		sim_free(p.sims[i]);
		p.sims[i] = NULL;
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	if (r)
		reader_close(r);
	for (unsigned i = 0; i < n; i++)
		sim_free(p.sims[i]);
	for (unsigned i = 0; i < nloaded; i++) {
		scenario_free(&sc[i]);
		sweep_free_strs(sets[i], nsets[i]);
	}
	free(p.sims);
	free(sc);
	free(sets);
	free(nsets);
	free(b->arena);
	free(b);
	free(sg_off);
	free(text_off);
	free(th);
	free(wk);
	return ret;
}

int sweep_run(struct sweep *sw, const struct sweep_run_opts *o, char **cause)
{
	uint64_t end, done = 0;

	sweep_table_init(sw);
	end = o->count ? o->first + o->count : sw->npoints;
	if (end > sw->npoints || o->first >= end) {
		*cause = xasprintf("points %llu..%llu: the sweep has %llu",
				   (unsigned long long)o->first, (unsigned long long)end - 1,
				   (unsigned long long)sw->npoints);
		return -ISM_ERANGE;
	}
	for (uint64_t k = o->first; k < end; k += SWEEP_PASS_POINTS) {
		unsigned n = end - k < SWEEP_PASS_POINTS ? (unsigned)(end - k) : SWEEP_PASS_POINTS;
		int ret = run_pass(sw, o, k, n, cause);

		if (ret < 0)
			return ret;
		done += n;
		if (o->tick)
			o->tick(o->tick_arg, done, end - o->first);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * The analysis: crossovers and sizing along the lines of a parameter.
 */

/*
 * The lines along parameter @ax: for line @g (a combination of the other parameters), the
 * point indexes in ascending order of @ax's values, into @pts (n of @ax's values).
 */
static void line_points(const struct sweep *sw, unsigned ax, uint64_t g, const unsigned *order,
			uint64_t *pts)
{
	uint64_t stride[SWEEP_MAX_PARAMS], s = 1, rest = g;
	unsigned idx[SWEEP_MAX_PARAMS];

	for (unsigned i = sw->np; i-- > 0;) {
		stride[i] = s;
		s *= sw->ps[i].n;
	}
	for (unsigned i = sw->np; i-- > 0;) {
		if (i == ax)
			continue;
		idx[i] = (unsigned)(rest % sw->ps[i].n);
		rest /= sw->ps[i].n;
	}
	for (unsigned j = 0; j < sw->ps[ax].n; j++) {
		uint64_t k = 0;

		idx[ax] = order[j];
		for (unsigned i = 0; i < sw->np; i++)
			k += idx[i] * stride[i];
		pts[j] = k;
	}
}

unsigned *sweep_sorted_order(const struct sweep_param *p)
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

uint64_t *sweep_lines(const struct sweep *sw, unsigned ax, uint64_t *nlines)
{
	unsigned n = sw->ps[ax].n, *order = sweep_sorted_order(&sw->ps[ax]);
	uint64_t lines = sw->npoints / n, *pts = xcalloc(n * lines, sizeof(*pts));

	for (uint64_t g = 0; g < lines; g++)
		line_points(sw, ax, g, order, pts + g * n);
	free(order);
	*nlines = lines;
	return pts;
}

static int pair_wanted(const struct sweep *sw, unsigned a, unsigned b)
{
	int wanted = !sw->ncross;

	for (unsigned q = 0; q < sw->ncross; q++) {
		char *pair = xasprintf("%s,%s", sw->specs[a], sw->specs[b]);
		char *rpair = xasprintf("%s,%s", sw->specs[b], sw->specs[a]);

		if (strcmp(sw->cross[q], pair) == 0 || strcmp(sw->cross[q], rpair) == 0)
			wanted = 1;
		free(pair);
		free(rpair);
	}
	return wanted;
}

unsigned sweep_find_crossovers(const struct sweep *sw, struct sweep_found_cross *out,
			       unsigned max)
{
	unsigned n0 = sw->ps[0].n, nf = 0, *order = sweep_sorted_order(&sw->ps[0]);
	uint64_t lines, *all = sweep_lines(sw, 0, &lines);
	double *x = xcalloc(n0, sizeof(double)), *ya = xcalloc(n0, sizeof(double));
	double *yb = xcalloc(n0, sizeof(double));

	for (unsigned j = 0; j < n0; j++)
		x[j] = sw->ps[0].x[order[j]];
	for (unsigned m = 0; m < sw->nm; m++)
		for (uint64_t g = 0; g < lines; g++) {
			const uint64_t *pts = all + g * n0;

			for (unsigned a = 0; a < sw->nspecs; a++)
				for (unsigned b = a + 1; b < sw->nspecs; b++) {
					struct sweep_cross c[8];
					unsigned nc;

					if (!pair_wanted(sw, a, b))
						continue;
					for (unsigned j = 0; j < n0; j++) {
						ya[j] = sweep_metric(sw, pts[j], a, m);
						yb[j] = sweep_metric(sw, pts[j], b, m);
					}
					nc = sweep_crossings(x, ya, yb, n0, sw->ps[0].log, c, 8);
					for (unsigned i = 0; i < nc && nf < max; i++) {
						memset(&out[nf], 0, sizeof(out[nf]));
						out[nf].m = m;
						out[nf].a = a;
						out[nf].b = b;
						out[nf].at = sweep_others_text(sw, 0, pts[0]);
						out[nf].c = c[i];
						nf++;
					}
				}
		}
	/* levels: one strategy's metric against a value */
	for (unsigned l = 0; l < sw->nlevels; l++) {
		const struct sweep_level *lv = &sw->levels[l];
		unsigned mi = metric_index(lv->metric);

		for (uint64_t g = 0; g < lines; g++) {
			const uint64_t *pts = all + g * n0;
			struct sweep_cross c[8];
			unsigned nc;

			for (unsigned j = 0; j < n0; j++) {
				ya[j] = sweep_values(sw, pts[j], lv->spec)[mi];
				yb[j] = lv->value;
			}
			nc = sweep_crossings(x, ya, yb, n0, sw->ps[0].log, c, 8);
			for (unsigned i = 0; i < nc && nf < max; i++) {
				memset(&out[nf], 0, sizeof(out[nf]));
				out[nf].m = sw->nm;
				for (unsigned m = 0; m < sw->nm; m++)
					if (sw->metrics[m] == lv->metric)
						out[nf].m = m;
				out[nf].a = out[nf].b = lv->spec;
				out[nf].at = sweep_others_text(sw, 0, pts[0]);
				out[nf].c = c[i];
				out[nf].lm = lv->metric;
				out[nf].value = lv->value;
				nf++;
			}
		}
	}
	free(order);
	free(all);
	free(x);
	free(ya);
	free(yb);
	return nf;
}

static unsigned sizing_along(const struct sweep *sw, unsigned ax, struct sweep_found_size *out,
			     unsigned max)
{
	unsigned n = sw->ps[ax].n, nf = 0, *order = sweep_sorted_order(&sw->ps[ax]);
	uint64_t lines, *all = sweep_lines(sw, ax, &lines);
	double *x = xcalloc(n, sizeof(double)), *fail = xcalloc(n, sizeof(double));
	double *peak = xcalloc(n, sizeof(double)), *slots = xcalloc(n, sizeof(double));
	unsigned i_fail = metric_index(metric_find("map_failures"));
	unsigned i_peak = metric_index(metric_find("pool_peak_slots"));
	unsigned i_slots = sw->nmt + SWEEP_X_POOL_SLOTS, i_bytes = sw->nmt + SWEEP_X_POOL_BYTES;

	for (unsigned j = 0; j < n; j++)
		x[j] = sw->ps[ax].x[order[j]];
	for (uint64_t g = 0; g < lines; g++) {
		const uint64_t *pts = all + g * n;

		for (unsigned s = 0; s < sw->nspecs && nf < max; s++) {
			struct sweep_found_size *f = &out[nf];
			int pooled = 0;

			for (unsigned j = 0; j < n; j++) {
				const double *v = sweep_values(sw, pts[j], s);

				fail[j] = v[i_fail];
				peak[j] = v[i_peak];
				slots[j] = v[i_slots];
				pooled |= slots[j] > 0;
			}
			if (!pooled)
				continue;
			memset(f, 0, sizeof(*f));
			f->s = s;
			f->ax = ax;
			f->at = sweep_others_text(sw, ax, pts[0]);
			sweep_sizing(x, fail, peak, slots, n, &f->z);
			f->lo = x[0];
			f->hi = x[n - 1];
			if (slots[n - 1] > 0)
				f->slot_bytes = sweep_values(sw, pts[n - 1], s)[i_bytes] / slots[n - 1];
			if (f->z.found) {
				f->slots_at = slots[f->z.at];
				f->peak_at = peak[f->z.at];
				f->pool_bytes_at = sweep_values(sw, pts[f->z.at], s)[i_bytes];
				if (f->z.fails_below) {
					f->fails_below_n = fail[f->z.at - 1];
					f->below_size = x[f->z.at - 1];
				}
			}
			nf++;
		}
	}
	free(order);
	free(all);
	free(x);
	free(fail);
	free(peak);
	free(slots);
	return nf;
}

unsigned sweep_find_sizing(const struct sweep *sw, struct sweep_found_size *out, unsigned max)
{
	unsigned nf = 0;

	for (unsigned i = 0; i < sw->np; i++)
		if (sweep_param_sizes_pool(sw->ps[i].path) && nf < max)
			nf += sizing_along(sw, i, out + nf, max - nf);
	return nf;
}

void sweep_free(struct sweep *sw)
{
	for (unsigned i = 0; i < sw->np; i++)
		sweep_param_free(&sw->ps[i]);
	sweep_free_strs(sw->specs, sw->nspecs);
	sweep_free_strs(sw->sets, sw->nsets);
	sweep_free_strs(sw->cross, sw->ncross);
	free(sw->levels);
	free(sw->metrics);
	free(sw->all);
	free(sw->hash);
	free(sw->have);
	free(sw->fmt);
	free(sw->sc_name);
	free(sw->sc_path);
	memset(sw, 0, sizeof(*sw));
}
