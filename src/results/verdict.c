/*
 * verdict.c: the best strategy per objective, against a baseline, with its significance.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "verdict.h"

/* ---- the objectives ---------------------------------------------------------------- */

static uint64_t mapped(const struct sim_recorded *r)
{
	uint64_t b = 0;

	for (int i = 0; i < 5; i++)
		b += r->bytes[i];
	return b;
}

static int always(const struct report_ctx *c)
{
	(void)c;
	return 1;
}

static int have_boot(const struct report_ctx *c)
{
	return sim_recorded(c->sim)->have_boot_end;
}

static int any_protected(const struct report_ctx *c)
{
	for (unsigned i = 0; i < sim_count(c->sim); i++)
		if (sim_result(c->sim, i)->flags & STRAT_PROTECTED)
			return 1;
	return 0;
}

static double v_boot(const struct report_ctx *c, const struct sim *s, const struct sim_result *r)
{
	(void)c;
	(void)s;
	return r->boot_ns;
}

static double rec_boot(const struct report_ctx *c, const struct sim *s)
{
	(void)c;
	return sim_recorded(s)->boot_ns;
}

static double v_run(const struct report_ctx *c, const struct sim *s, const struct sim_result *r)
{
	(void)c;
	(void)s;
	return r->run_ns;
}

static double rec_run(const struct report_ctx *c, const struct sim *s)
{
	(void)c;
	return sim_recorded(s)->run_ns;
}

static double v_tput(const struct report_ctx *c, const struct sim *s, const struct sim_result *r)
{
	const struct sim_recorded *rec = sim_recorded(s);
	double ns = rec->have_boot_end ? r->run_ns : r->end_ns;

	(void)c;
	return ns > 0 ? (double)mapped(rec) / (ns / 1e9) : 0;
}

static double rec_tput(const struct report_ctx *c, const struct sim *s)
{
	const struct sim_recorded *rec = sim_recorded(s);
	double ns = rec->have_boot_end ? rec->run_ns : rec->boot_ns;

	(void)c;
	return ns > 0 ? (double)mapped(rec) / (ns / 1e9) : 0;
}

/* Bytes the hypervisor can reach: the peak shared in a protected VM, all RAM otherwise. */
static double v_expo(const struct report_ctx *c, const struct sim *s, const struct sim_result *r)
{
	(void)s;
	if (!(r->flags & STRAT_PROTECTED))
		return (double)c->sc->machine.ram_bytes;
	return (double)r->pr.shared_bytes_peak;
}

static double rec_none(const struct report_ctx *c, const struct sim *s)
{
	(void)c;
	(void)s;
	return NAN;
}

static void f_s(double v, char *b, size_t l)
{
	snprintf(b, l, "%.3f s", v / 1e9);
}

static void f_mbps(double v, char *b, size_t l)
{
	snprintf(b, l, "%.2f MB/s", v / 1e6);
}

static void f_bytes(double v, char *b, size_t l)
{
	ism_human_bytes((uint64_t)llround(v), b, l);
}

static int cand_any(const struct sim_result *r)
{
	(void)r;
	return 1;
}

static int cand_protected(const struct sim_result *r)
{
	return (r->flags & STRAT_PROTECTED) != 0;
}

static const struct objective objectives[] = {
	{ "boot_time", "boot time", "ns", 0, 1, always, cand_any, v_boot, rec_boot, f_s },
	{ "after_boot_time", "after boot", "ns", 0, 1, have_boot, cand_any, v_run, rec_run, f_s },
	{ "throughput", "throughput", "bytes_per_s", 1, 1, always, cand_any, v_tput, rec_tput,
	  f_mbps },
	{ "exposure", "exposure", "bytes", 0, 0, any_protected, cand_protected, v_expo, rec_none,
	  f_bytes },
};

const struct objective *objective_get(unsigned i)
{
	return i < ISM_ARRAY_SIZE(objectives) ? &objectives[i] : NULL;
}

/* ---- building -------------------------------------------------------------------------- */

static int is_reference(const struct sim_result *r)
{
	return strcmp(r->spec, "passthrough") == 0;
}

static uint64_t hcalls(const struct sim_result *r)
{
	const struct ism_op_class_info *h = ism_op_class_get(OPC_HCALL);

	return op_calls(r->ops, r->nops, h->first, h->last);
}

/*
 * The same on every figure the first screen shows, to the precision it shows them: boot and
 * after-boot time (1 ms), throughput (0.01 MB/s), hypercalls, failed maps, and for a
 * protected VM the bytes shared (an unprotected VM exposes all its RAM whatever it shares).
 */
static int same(const struct report_ctx *c, const struct sim_result *a,
		const struct sim_result *b)
{
	int prot = (a->flags & STRAT_PROTECTED) != 0;

	return llround(a->boot_ns / 1e6) == llround(b->boot_ns / 1e6) &&
	       llround(a->run_ns / 1e6) == llround(b->run_ns / 1e6) &&
	       llround(v_tput(c, c->sim, a) / 1e4) == llround(v_tput(c, c->sim, b) / 1e4) &&
	       hcalls(a) == hcalls(b) && a->map_failures == b->map_failures &&
	       prot == ((b->flags & STRAT_PROTECTED) != 0) &&
	       (!prot || a->pr.shared_bytes_peak == b->pr.shared_bytes_peak) &&
	       is_reference(a) == is_reference(b);
}

static int find_spec(const struct sim *s, const char *spec)
{
	for (unsigned i = 0; i < sim_count(s); i++)
		if (strcmp(sim_result(s, i)->spec, spec) == 0)
			return (int)i;
	return -1;
}

static int better(const struct objective *o, double a, double b)
{
	return o->higher_better ? a > b : a < b;
}

static double pct(double v, double base)
{
	if (isnan(base) || isnan(v) || base == 0)
		return NAN;
	return (v - base) / base * 100;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* (max - min) / median of @n values, in percent. */
static double spread(double *v, unsigned n)
{
	double med;

	if (n < 2)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return med != 0 ? (v[n - 1] - v[0]) / fabs(med) * 100 : NAN;
}

/* The best non-reference value of @o in replay @s; NAN when none. */
static double best_value(const struct report_ctx *c, const struct objective *o,
			 const struct sim *s)
{
	double b = NAN;

	for (unsigned i = 0; i < sim_count(s); i++) {
		const struct sim_result *r = sim_result(s, i);
		double x = o->value(c, s, r);

		if (!is_reference(r) && o->candidate(r) && (isnan(b) || better(o, x, b)))
			b = x;
	}
	return b;
}

static void judge(const struct report_ctx *c, struct verdict *v, struct verdict_obj *vo)
{
	const struct objective *o = vo->o;
	unsigned n = c->nrepeats + 1;
	double *vals = xcalloc(n, sizeof(*vals)), margin;
	const char *best_spec = vo->best >= 0 ? sim_result(c->sim, v->cls[vo->best].members[0])->spec
					      : NULL;

	vo->beyond_error = -1;
	if (o->timed && !isnan(c->model_error_pct) && !isnan(vo->best_pct))
		vo->beyond_error = fabs(vo->best_pct) > c->model_error_pct;
	/* noise over the recordings */
	for (unsigned k = 0; k < n; k++) {
		const struct sim *s = k ? c->repeats[k - 1] : c->sim;

		vals[k] = o->recorded(c, s);
		if (isnan(vals[k]) && best_spec) {
			int i = find_spec(s, best_spec);

			vals[k] = i >= 0 ? o->value(c, s, sim_result(s, (unsigned)i)) : NAN;
		}
		if (isnan(vals[k]))
			break;
	}
	vo->noise_pct = n > 1 && !isnan(vals[n - 1]) ? spread(vals, n) : NAN;
	vo->beyond_noise = -1;
	if (!isnan(vo->noise_pct) && !isnan(vo->best_pct))
		vo->beyond_noise = fabs(vo->best_pct) > vo->noise_pct;
	/* is the best the best in every replay? */
	vo->replays = n;
	vo->best_in = 0;
	for (unsigned k = 0; k < n && best_spec; k++) {
		const struct sim *s = k ? c->repeats[k - 1] : c->sim;
		int i = find_spec(s, best_spec);
		double b = best_value(c, o, s);

		if (i >= 0 && !better(o, b, o->value(c, s, sim_result(s, (unsigned)i))))
			vo->best_in++;
	}
	/* a tie: best and runner-up nearer than the error or the noise */
	margin = vo->runner >= 0 ? fabs(pct(vo->runner_v, vo->best_v)) : NAN;
	vo->tie = !isnan(margin) &&
		  ((o->timed && !isnan(c->model_error_pct) && margin <= c->model_error_pct) ||
		   (!isnan(vo->noise_pct) && margin <= vo->noise_pct));
	free(vals);
}

int verdict_build(const struct report_ctx *c, struct verdict *v, char **cause)
{
	unsigned n = sim_count(c->sim);
	double *end;

	memset(v, 0, sizeof(*v));
	v->class_of = xcalloc(n ? n : 1, sizeof(*v->class_of));
	v->cls = xcalloc(n ? n : 1, sizeof(*v->cls));
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		unsigned k;

		if (r->flags & STRAT_PROTECTED)
			v->any_protected = 1;
		for (k = 0; k < v->ncls; k++)
			if (same(c, sim_result(c->sim, v->cls[k].members[0]), r))
				break;
		if (k == v->ncls)
			v->ncls++;
		v->cls[k].members = xreallocarray(v->cls[k].members, v->cls[k].n + 1,
						  sizeof(unsigned));
		v->cls[k].members[v->cls[k].n++] = i;
		v->class_of[i] = k;
	}
	/* the summary's order: the whole simulated run, fastest first */
	v->order = xcalloc(v->ncls ? v->ncls : 1, sizeof(*v->order));
	end = xcalloc(v->ncls ? v->ncls : 1, sizeof(*end));
	for (unsigned k = 0; k < v->ncls; k++) {
		unsigned j = k;

		end[k] = sim_result(c->sim, v->cls[k].members[0])->end_ns;
		while (j > 0 && end[v->order[j - 1]] > end[k]) {
			v->order[j] = v->order[j - 1];
			j--;
		}
		v->order[j] = k;
	}
	free(end);

	v->recorded = c->recorded_strategy && *c->recorded_strategy ?
			      find_spec(c->sim, c->recorded_strategy) : -1;
	v->base = -1;
	if (c->baseline && *c->baseline) {
		v->base = find_spec(c->sim, c->baseline);
		if (v->base < 0) {
			*cause = xasprintf("--baseline %s: not one of the strategies replayed",
					   c->baseline);
			verdict_free(v);
			return -1;
		}
		v->base_how = "--baseline";
	} else if (v->recorded >= 0) {
		v->base = v->recorded;
		v->base_how = c->recorded_how ? c->recorded_how : "as recorded";
	}

	for (unsigned i = 0; objective_get(i) && v->nobj < ISM_ARRAY_SIZE(v->obj); i++) {
		const struct objective *o = objective_get(i);
		struct verdict_obj *vo = &v->obj[v->nobj];

		if (!o->applies(c))
			continue;
		memset(vo, 0, sizeof(*vo));
		vo->o = o;
		vo->best = vo->runner = -1;
		vo->ref_v = NAN;
		for (unsigned k = 0; k < v->ncls; k++) {
			const struct sim_result *r = sim_result(c->sim, v->cls[k].members[0]);
			double x = o->value(c, c->sim, r);

			if (is_reference(r)) {
				vo->ref_v = x;
				continue;
			}
			if (!o->candidate(r))
				continue;
			if (vo->best < 0 || better(o, x, vo->best_v)) {
				vo->runner = vo->best;
				vo->runner_v = vo->best_v;
				vo->best = (int)k;
				vo->best_v = x;
			} else if (vo->runner < 0 || better(o, x, vo->runner_v)) {
				vo->runner = (int)k;
				vo->runner_v = x;
			}
		}
		vo->base_v = v->base >= 0 ? o->value(c, c->sim, sim_result(c->sim, (unsigned)v->base))
					  : o->recorded(c, c->sim);
		vo->best_pct = vo->best >= 0 ? pct(vo->best_v, vo->base_v) : NAN;
		vo->runner_pct = vo->runner >= 0 ? pct(vo->runner_v, vo->base_v) : NAN;
		judge(c, v, vo);
		v->nobj++;
	}
	return 0;
}

void verdict_free(struct verdict *v)
{
	for (unsigned k = 0; k < v->ncls; k++)
		free(v->cls[k].members);
	free(v->cls);
	free(v->class_of);
	free(v->order);
	memset(v, 0, sizeof(*v));
}

/* ---- words ----------------------------------------------------------------------------- */

const char *verdict_pct(double p, char *buf, size_t len)
{
	if (isnan(p))
		snprintf(buf, len, "n/a");
	else if (fabs(p) < 0.005)
		snprintf(buf, len, "0.00%%");
	else
		snprintf(buf, len, fabs(p) >= 10 ? "%+.1f%%" : "%+.2f%%", p);
	return buf;
}

char *verdict_class_name(const struct report_ctx *c, const struct verdict *v, unsigned k)
{
	const struct verdict_class *cl = &v->cls[k];
	const char *name = sim_result(c->sim, cl->members[0])->spec;
	int base = v->base >= 0 && v->class_of[v->base] == k;
	int rec = v->recorded >= 0 && v->class_of[v->recorded] == k;

	/* the baseline names its class */
	if (base)
		name = sim_result(c->sim, (unsigned)v->base)->spec;
	const char *mark = base ? "*" : rec ? "@" : "";

	if (cl->n > 1)
		return xasprintf("%s%s (+%u)", name, mark, cl->n - 1);
	return xasprintf("%s%s", name, mark);
}

void verdict_fold_notes(const struct report_ctx *c, const struct verdict *v, struct table *t)
{
	for (unsigned k = 0; k < v->ncls; k++) {
		const struct verdict_class *cl = &v->cls[k];
		char *s, *name;

		if (cl->n < 2)
			continue;
		name = verdict_class_name(c, v, k);
		s = xstrdup("");
		for (unsigned i = 0; i < cl->n; i++) {
			char *x = xasprintf("%s%s%s", s, i ? " = " : "",
					    sim_result(c->sim, cl->members[i])->spec);

			free(s);
			s = x;
		}
		table_note(t, "%s: %s (the same figures to the precision shown).", name, s);
		free(name);
		free(s);
	}
	if (v->base >= 0)
		table_note(t, "* the baseline: %s, %s.", sim_result(c->sim, (unsigned)v->base)->spec,
			   v->base_how);
	if (v->recorded >= 0 && v->recorded != v->base)
		table_note(t, "@ as recorded: %s (%s).", sim_result(c->sim, (unsigned)v->recorded)->spec,
			   c->recorded_src ? c->recorded_src : "sim.recorded_with");
}

char *verdict_baseline_text(const struct report_ctx *c, const struct verdict *v)
{
	if (v->base >= 0)
		return xasprintf("%s (%s)", sim_result(c->sim, (unsigned)v->base)->spec,
				 v->base_how);
	return xstrdup("the recording (its strategy is not known: --baseline NAME or --set "
		       "sim.recorded_with=NAME names it)");
}

char *verdict_baseline_short(const struct report_ctx *c, const struct verdict *v)
{
	if (v->base >= 0)
		return xasprintf("%s (%s)", sim_result(c->sim, (unsigned)v->base)->spec,
				 strcmp(v->base_how, "--baseline") == 0 ? "--baseline" : "as recorded");
	return xstrdup("the recording");
}

/* A source longer than this is named in the provenance, not in the verdict's head. */
#define SRC_INLINE_MAX 40

char *verdict_error_text(const struct report_ctx *c)
{
	if (isnan(c->model_error_pct))
		return xstrdup("Model error: not calibrated.");
	if (c->model_error_src && strlen(c->model_error_src) > SRC_INLINE_MAX)
		return xasprintf("Model error: %.1f%% (the scenario's held-out check; its source "
				 "at the end).", c->model_error_pct);
	return xasprintf("Model error: %.1f%% (%s).", c->model_error_pct,
			 c->model_error_src ? c->model_error_src : "stated");
}

char *verdict_error_source(const struct report_ctx *c)
{
	if (isnan(c->model_error_pct))
		return NULL;
	return xasprintf("%.1f%%, %s", c->model_error_pct,
			 c->model_error_src ? c->model_error_src : "stated");
}

char *verdict_noise_text(const struct report_ctx *c)
{
	if (!c->nrepeats)
		return xstrdup("Noise: unknown (one recording; give repeats after the trace).");
	return xasprintf("Noise: from %u recordings.", c->nrepeats + 1);
}

char *verdict_judgement(const struct report_ctx *c, const struct verdict *v, unsigned k)
{
	const struct verdict_obj *vo = &v->obj[k];
	char e[96], nz[128];

	(void)v;
	if (vo->best < 0)
		return xstrdup("No strategy but the reference.");
	if (!vo->o->timed)
		snprintf(e, sizeof(e), "A count, not a time: no timing error");
	else if (isnan(vo->best_pct))
		snprintf(e, sizeof(e), "No baseline value to compare with");
	else if (vo->beyond_error < 0)
		snprintf(e, sizeof(e), "Model error not calibrated");
	else if (vo->beyond_error)
		snprintf(e, sizeof(e), "Beats the model's error (%.1f%%)", c->model_error_pct);
	else
		snprintf(e, sizeof(e), "Within the model's error (%.1f%%): not shown better than "
			 "the baseline", c->model_error_pct);
	/* one recording: the head says the noise is unknown, once */
	if (isnan(vo->noise_pct))
		nz[0] = 0;
	else
		snprintf(nz, sizeof(nz), "; %s the noise (%.2f%% over %u recordings); best in %u "
			 "of %u",
			 vo->beyond_noise < 0 ? "noise" : vo->beyond_noise ? "beyond" : "within",
			 vo->noise_pct, vo->replays, vo->best_in, vo->replays);
	/* within the error, the runner-up's being as good goes without saying */
	return xasprintf("%s%s%s.", e, nz,
			 vo->tie && vo->beyond_error != 0 ? "; the runner-up is as good within " 			 "them" : "");
}

/* ---- renderers ------------------------------------------------------------------------- */

void verdict_text(FILE *out, const struct report_ctx *c, const struct verdict *v, unsigned width)
{
	unsigned nw = 9;
	char *s, *t;

	/* the names' column: as wide as the longest pick */
	for (unsigned k = 0; k < v->nobj; k++) {
		const struct verdict_obj *vo = &v->obj[k];
		int who[2] = { vo->best, vo->runner };

		for (int j = 0; j < 2; j++) {
			if (who[j] < 0)
				continue;
			s = verdict_class_name(c, v, (unsigned)who[j]);
			if (strlen(s) > nw)
				nw = (unsigned)strlen(s);
			free(s);
		}
	}
	s = v->base >= 0 ? verdict_baseline_short(c, v) : verdict_baseline_text(c, v);
	{
		char *e = verdict_error_text(c), *n = verdict_noise_text(c);

		t = xasprintf("Verdict against %s. %s %s", s, e, n);
		free(e);
		free(n);
	}
	text_wrap(out, NULL, t, 2, width);
	free(s);
	free(t);
	for (unsigned k = 0; k < v->nobj; k++) {
		const struct verdict_obj *vo = &v->obj[k];
		char val[32], p[32];

		fputc('\n', out);
		for (int j = 0; j < 2; j++) {
			int who = j ? vo->runner : vo->best;
			double x = j ? vo->runner_v : vo->best_v, q = j ? vo->runner_pct : vo->best_pct;

			if (who < 0) {
				if (j == 0)
					fprintf(out, "%-12s no strategy but the reference\n", vo->o->label);
				else if (vo->best >= 0)
					fprintf(out, "%-12s %-10s %s\n", "", "runner-up",
						vo->o->candidate == cand_protected ?
						"none: no other protected strategy" :
						"none: every other is the reference");
				continue;
			}
			s = verdict_class_name(c, v, (unsigned)who);
			vo->o->fmt(x, val, sizeof(val));
			fprintf(out, "%-12s %-10s %-*s %11s  %7s\n", j ? "" : vo->o->label,
				j ? "runner-up" : "best", (int)nw, s, val,
				verdict_pct(q, p, sizeof(p)));
			free(s);
		}
		s = verdict_judgement(c, v, k);
		text_wrap(out, "             ", s, 13, width);
		free(s);
	}
}

void verdict_table(const struct report_ctx *c, const struct verdict *v, struct table *t)
{
	char *bt = v->base >= 0 ? verdict_baseline_short(c, v) : verdict_baseline_text(c, v);
	char *title = xasprintf("Verdict against %s", bt);
	char *e = verdict_error_text(c), *n = verdict_noise_text(c);

	table_init(t, title);
	table_col(t, "objective", NULL, 1);
	table_col(t, "best", NULL, 1);
	table_col(t, "value", NULL, 0);
	table_col(t, "vs baseline", NULL, 0);
	table_col(t, "runner-up", NULL, 1);
	table_col(t, "value", "runner-up value", 0);
	table_col(t, "vs baseline", "runner-up vs baseline", 0);
	table_col(t, "judged", NULL, 1);
	for (unsigned k = 0; k < v->nobj; k++) {
		const struct verdict_obj *vo = &v->obj[k];
		unsigned r = table_row(t);
		char b[32], *s;

		table_set(t, r, 0, vo->o->label);
		if (vo->best >= 0) {
			s = verdict_class_name(c, v, (unsigned)vo->best);
			table_set(t, r, 1, s);
			free(s);
			vo->o->fmt(vo->best_v, b, sizeof(b));
			table_set(t, r, 2, b);
			table_set(t, r, 3, verdict_pct(vo->best_pct, b, sizeof(b)));
		}
		if (vo->runner >= 0) {
			s = verdict_class_name(c, v, (unsigned)vo->runner);
			table_set(t, r, 4, s);
			free(s);
			vo->o->fmt(vo->runner_v, b, sizeof(b));
			table_set(t, r, 5, b);
			table_set(t, r, 6, verdict_pct(vo->runner_pct, b, sizeof(b)));
		} else {
			table_set(t, r, 4, "-");
		}
		s = verdict_judgement(c, v, k);
		table_set(t, r, 7, s);
		free(s);
	}
	table_note(t, "%s %s", e, n);
	verdict_fold_notes(c, v, t);
	free(bt);
	free(title);
	free(e);
	free(n);
}

static json_t *jnum(double x, int integer)
{
	if (isnan(x))
		return json_null();
	return integer ? json_integer((json_int_t)llround(x)) : json_real(x);
}

static json_t *jtri(int x)
{
	return x < 0 ? json_null() : json_boolean(x);
}

json_t *verdict_json(const struct report_ctx *c, const struct verdict *v)
{
	json_t *root = json_object(), *a = json_array(), *b = json_object();

	json_object_set_new(b, "strategy", json_string(v->base >= 0 ?
						sim_result(c->sim, (unsigned)v->base)->spec : ""));
	json_object_set_new(b, "source", json_string(v->base >= 0 ? v->base_how : "the recording"));
	json_object_set_new(root, "baseline", b);
	json_object_set_new(root, "recorded_strategy",
			    json_string(v->recorded >= 0 ?
					sim_result(c->sim, (unsigned)v->recorded)->spec : ""));
	json_object_set_new(root, "model_error_pct", jnum(c->model_error_pct, 0));
	json_object_set_new(root, "model_error_source",
			    json_string(isnan(c->model_error_pct) ? "not calibrated" :
					c->model_error_src ? c->model_error_src : ""));
	json_object_set_new(root, "recordings", json_integer(c->nrepeats + 1));
	for (unsigned k = 0; k < v->nobj; k++) {
		const struct verdict_obj *vo = &v->obj[k];
		int integer = 1;   /* ns, bytes and bytes per second: whole numbers */
		json_t *o = json_object();

		json_object_set_new(o, "objective", json_string(vo->o->key));
		json_object_set_new(o, "unit", json_string(vo->o->unit));
		json_object_set_new(o, "higher_is_better", json_boolean(vo->o->higher_better));
		json_object_set_new(o, "best", json_string(vo->best >= 0 ?
				sim_result(c->sim, v->cls[vo->best].members[0])->spec : ""));
		json_object_set_new(o, "best_value", jnum(vo->best >= 0 ? vo->best_v : NAN, integer));
		json_object_set_new(o, "best_vs_baseline_pct", jnum(vo->best_pct, 0));
		json_object_set_new(o, "runner_up", json_string(vo->runner >= 0 ?
				sim_result(c->sim, v->cls[vo->runner].members[0])->spec : ""));
		json_object_set_new(o, "runner_up_value",
				    jnum(vo->runner >= 0 ? vo->runner_v : NAN, integer));
		json_object_set_new(o, "runner_up_vs_baseline_pct", jnum(vo->runner_pct, 0));
		json_object_set_new(o, "baseline_value", jnum(vo->base_v, integer));
		json_object_set_new(o, "reference_value", jnum(vo->ref_v, integer));
		json_object_set_new(o, "beyond_model_error", jtri(vo->beyond_error));
		json_object_set_new(o, "noise_pct", jnum(vo->noise_pct, 0));
		json_object_set_new(o, "beyond_noise", jtri(vo->beyond_noise));
		json_object_set_new(o, "best_in_replays", json_integer(vo->best_in));
		json_object_set_new(o, "replays", json_integer(vo->replays));
		json_object_set_new(o, "tie", json_boolean(vo->tie));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "objectives", a);
	a = json_array();
	for (unsigned k = 0; k < v->ncls; k++) {
		json_t *m;

		if (v->cls[k].n < 2)
			continue;
		m = json_array();
		for (unsigned i = 0; i < v->cls[k].n; i++)
			json_array_append_new(m, json_string(sim_result(c->sim,
								  v->cls[k].members[i])->spec));
		json_array_append_new(a, m);
	}
	json_object_set_new(root, "same_figures", a);
	return root;
}
