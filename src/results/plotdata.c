/*
 * plotdata.c: CSV data and arguments for the figures (the templates in plots/).
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "plotdata.h"
#include "util.h"

void fig_args_free(struct fig_args *fa)
{
	for (unsigned i = 0; i < fa->n; i++)
		free(fa->arg[i]);
	free(fa->note);
	memset(fa, 0, sizeof(*fa));
}

static void arg_add(struct fig_args *fa, char *s)
{
	if (fa->n < ISM_ARRAY_SIZE(fa->arg))
		fa->arg[fa->n++] = s;
	else
		free(s);
}

/* Append " word" to *@s (malloc'd). */
static void words_add(char **s, const char *fmt, ...) ISM_PRINTF(2, 3);
static void words_add(char **s, const char *fmt, ...)
{
	va_list ap;
	char *w, *n;

	va_start(ap, fmt);
	w = xvasprintf(fmt, ap);
	va_end(ap);
	n = xasprintf("%s%s%s", *s ? *s : "", *s && **s ? " " : "", w);
	free(*s);
	free(w);
	*s = n;
}

static uint64_t mapped_bytes(const struct sim_recorded *r)
{
	uint64_t b = 0;

	for (int i = 0; i < 5; i++)
		b += r->bytes[i];
	return b;
}

/* The strategy that stands for class @k in the figures (the baseline for its class). */
static const struct sim_result *rep(const struct report_ctx *c, const struct verdict *v,
				    unsigned k)
{
	if (v->base >= 0 && v->class_of[v->base] == k)
		return sim_result(c->sim, (unsigned)v->base);
	return sim_result(c->sim, v->cls[k].members[0]);
}

static unsigned rep_index(const struct verdict *v, unsigned k)
{
	if (v->base >= 0 && v->class_of[v->base] == k)
		return (unsigned)v->base;
	return v->cls[k].members[0];
}

/* "series,strategy," of class order[@pos]. */
static void row_head(FILE *out, const struct report_ctx *c, const struct verdict *v,
		     unsigned pos)
{
	char *name = verdict_class_name(c, v, v->order[pos]);

	fprintf(out, "%u,", pos + 1);
	csv_str(out, name);
	free(name);
}

static double throughput(const struct sim_recorded *rec, const struct sim_result *r)
{
	double ns = rec->have_boot_end ? r->run_ns : r->end_ns;

	return ns > 0 ? (double)mapped_bytes(rec) / ns * 1e3 : 0;   /* MB/s */
}

static double pct(double v, double base)
{
	return isnan(base) || base == 0 ? NAN : (v - base) / base * 100;
}

/* ---- delta ------------------------------------------------------------------------------ */

unsigned plotdata_delta(FILE *out, const struct report_ctx *c, const struct verdict *v,
			struct fig_args *fa)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	double bb, br, bt;
	char *panels = NULL, *noise = NULL, *bname;
	unsigned np = 0;

	if (v->base >= 0) {
		const struct sim_result *b = sim_result(c->sim, (unsigned)v->base);

		bb = b->boot_ns;
		br = b->run_ns;
		bt = throughput(rec, b);
	} else {
		bb = rec->boot_ns;
		br = rec->run_ns;
		bt = rec->have_boot_end ? (rec->run_ns > 0 ? mapped_bytes(rec) / rec->run_ns * 1e3 : 0)
					: (rec->boot_ns > 0 ? mapped_bytes(rec) / rec->boot_ns * 1e3 : 0);
	}
	fprintf(out, "series,strategy,boot_s,boot_pct,after_s,after_pct,throughput_MBps,"
		"throughput_pct,schema_version\n");
	for (unsigned k = 0; k < v->ncls; k++) {
		const struct sim_result *r = rep(c, v, v->order[k]);

		row_head(out, c, v, k);
		fputc(',', out);
		csv_num(out, r->boot_ns / 1e9, 10);
		fputc(',', out);
		csv_num(out, pct(r->boot_ns, bb), 6);
		fputc(',', out);
		csv_num(out, r->run_ns / 1e9, 10);
		fputc(',', out);
		csv_num(out, pct(r->run_ns, br), 6);
		fputc(',', out);
		csv_num(out, throughput(rec, r), 8);
		fputc(',', out);
		csv_num(out, pct(throughput(rec, r), bt), 6);
		fprintf(out, ",%d\n", PLOTDATA_VERSION);
	}
	for (unsigned k = 0; k < v->nobj; k++) {
		const char *key = v->obj[k].o->key;
		const char *col = strcmp(key, "boot_time") == 0 ? "boot_pct" :
				  strcmp(key, "after_boot_time") == 0 ? "after_pct" :
				  strcmp(key, "throughput") == 0 ? "throughput_pct" : NULL;
		double b = strcmp(key, "boot_time") == 0 ? bb :
			   strcmp(key, "after_boot_time") == 0 ? br : bt;

		/* no panel where the baseline has no value to compare with */
		if (!col || isnan(b) || b == 0)
			continue;
		words_add(&panels, "%s", col);
		if (isnan(v->obj[k].noise_pct))
			words_add(&noise, "nan");
		else
			words_add(&noise, "%.6g", v->obj[k].noise_pct);
		np++;
	}
	bname = verdict_baseline_short(c, v);
	arg_add(fa, panels ? panels : xstrdup(""));
	arg_add(fa, bname);
	arg_add(fa, isnan(c->model_error_pct) ? xstrdup("nan") :
		    xasprintf("%.6g", c->model_error_pct));
	arg_add(fa, noise ? noise : xstrdup(""));
	if (!np)
		fa->note = xstrdup("The baseline has no time to compare with (a trace of no length?).");
	return np;
}

/* ---- cost ------------------------------------------------------------------------------- */

unsigned plotdata_cost(FILE *out, const struct report_ctx *c, const struct verdict *v,
		       struct fig_args *fa)
{
	/* setup, then the categories; a column only when some strategy spends time in it */
	int used[CAT__COUNT + 1] = { 0 };
	unsigned ncat = 0;
	char *dropped = NULL, *names = NULL;

	for (unsigned k = 0; k < v->ncls; k++) {
		const struct sim_result *r = rep(c, v, k);

		used[0] |= r->setup_ns > 0;
		for (unsigned j = 0; j < CAT__COUNT; j++)
			used[1 + j] |= r->cat_ns[j] - r->setup_cat_ns[j] > 0.5;
	}
	fprintf(out, "series,strategy");
	for (int ph = 0; ph < 2; ph++)
		for (unsigned j = 0; j <= CAT__COUNT; j++)
			if (used[j])
				fprintf(out, ",%s_%s_ms", ph ? "after" : "boot",
					j ? category_name(j - 1) : "setup");
	fprintf(out, ",schema_version\n");
	for (unsigned j = 0; j <= CAT__COUNT; j++) {
		if (used[j]) {
			ncat++;
			words_add(&names, "%s", j ? category_name(j - 1) : "setup");
		} else {
			words_add(&dropped, "%s%s", dropped ? ", " : "",
				  j ? category_name(j - 1) : "setup");
		}
	}
	for (unsigned k = 0; k < v->ncls; k++) {
		const struct sim_result *r = rep(c, v, v->order[k]);

		row_head(out, c, v, k);
		for (int ph = 0; ph < 2; ph++) {
			for (unsigned j = 0; j <= CAT__COUNT; j++) {
				double x;

				if (!used[j])
					continue;
				if (j == 0) {
					x = ph ? 0 : r->setup_ns;
				} else {
					/* setup work is in cat_ns too: count it once, as setup */
					double boot = r->boot_cat_ns[j - 1] - r->setup_cat_ns[j - 1];

					x = ph ? r->cat_ns[j - 1] - r->boot_cat_ns[j - 1] : boot;
				}
				fputc(',', out);
				csv_num(out, x > 0 ? x / 1e6 : 0, 8);
			}
		}
		fprintf(out, ",%d\n", PLOTDATA_VERSION);
	}
	arg_add(fa, xasprintf("%u", ncat));
	arg_add(fa, names ? names : xstrdup(""));
	arg_add(fa, xstrdup(sim_recorded(c->sim)->have_boot_end ? "boot" : "noboot"));
	if (dropped)
		fa->note = xasprintf("Not drawn, zero for every strategy: %s.", dropped);
	free(dropped);
	return ncat;
}

/* ---- hcalls ----------------------------------------------------------------------------- */

/* The columns: each operation with OPF_COLUMN, then each class with a column (ops.h). */
struct hcall_col {
	uint32_t lo, hi;
	const char *name;
};

static unsigned hcall_columns(struct hcall_col *cols, unsigned max)
{
	unsigned n = 0;

	for (unsigned k = 0; ism_op_get(k) && n < max; k++)
		if (ism_op_get(k)->flags & OPF_COLUMN) {
			cols[n].lo = cols[n].hi = ism_op_get(k)->number;
			cols[n++].name = ism_op_get(k)->name;
		}
	for (unsigned k = 0; k < OPC__COUNT && n < max; k++)
		if (ism_op_class_get(k)->column) {
			cols[n].lo = ism_op_class_get(k)->first;
			cols[n].hi = ism_op_class_get(k)->last;
			cols[n++].name = ism_op_class_get(k)->column;
		}
	return n;
}

static uint64_t col_calls(const struct sim_result *r, const struct hcall_col *col)
{
	return op_calls(r->ops, r->nops, col->lo, col->hi);
}

unsigned plotdata_hcalls(FILE *out, const struct report_ctx *c, const struct verdict *v,
			 struct fig_args *fa)
{
	struct hcall_col hcall_cols[32];
	unsigned nhc = hcall_columns(hcall_cols, 32);
	int used[32] = { 0 };
	unsigned ncols = 0;
	char *dropped = NULL;

	for (unsigned j = 0; j < nhc; j++) {
		for (unsigned k = 0; k < v->ncls; k++)
			if (col_calls(rep(c, v, k), &hcall_cols[j]))
				used[j] = 1;
		if (used[j])
			ncols++;
		else
			words_add(&dropped, "%s%s", dropped ? "," : "", hcall_cols[j].name);
	}
	fprintf(out, "series,strategy");
	for (unsigned j = 0; j < nhc; j++)
		if (used[j])
			fprintf(out, ",%s", hcall_cols[j].name);
	fprintf(out, ",schema_version\n");
	for (unsigned k = 0; k < v->ncls; k++) {
		const struct sim_result *r = rep(c, v, v->order[k]);

		row_head(out, c, v, k);
		for (unsigned j = 0; j < nhc; j++)
			if (used[j])
				fprintf(out, ",%" PRIu64, col_calls(r, &hcall_cols[j]));
		fprintf(out, ",%d\n", PLOTDATA_VERSION);
	}
	arg_add(fa, xasprintf("%u", ncols));
	{
		char *names = NULL;

		for (unsigned j = 0; j < nhc; j++)
			if (used[j])
				words_add(&names, "%s", hcall_cols[j].name);
		arg_add(fa, names ? names : xstrdup(""));
	}
	if (dropped)
		fa->note = xasprintf("No strategy makes %s calls.", dropped);
	free(dropped);
	return ncols;
}

/* ---- tradeoff --------------------------------------------------------------------------- */

struct tpoint {
	double x, y, ly;
	unsigned pos;
};

static int cmp_tpoint(const void *a, const void *b)
{
	const struct tpoint *p = a, *q = b;

	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return p->y < q->y ? -1 : p->y > q->y;
}

unsigned plotdata_tradeoff(FILE *out, const struct report_ctx *c, const struct verdict *v,
			   struct fig_args *fa)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	struct tpoint *pt = xcalloc(v->ncls ? v->ncls : 1, sizeof(*pt));
	double base, lo = 0, hi = 0, span, gap;
	unsigned n = v->ncls;

	if (!v->any_protected) {
		fprintf(out, "series,strategy,exposed_bytes,time_pct,protected,label_y,"
			"schema_version\n");
		free(pt);
		return 0;
	}
	if (v->base >= 0) {
		const struct sim_result *b = sim_result(c->sim, (unsigned)v->base);

		base = rec->have_boot_end ? b->run_ns : b->end_ns;
	} else {
		base = rec->have_boot_end ? rec->run_ns : rec->boot_ns;
	}
	for (unsigned k = 0; k < n; k++) {
		const struct sim_result *r = rep(c, v, v->order[k]);

		pt[k].pos = k;
		pt[k].x = r->flags & STRAT_PROTECTED ?
				  (r->pr.shared_bytes_peak < 4096 ? 4096.0 :
				   (double)r->pr.shared_bytes_peak) :
				  (double)c->sc->machine.ram_bytes;
		pt[k].y = pct(rec->have_boot_end ? r->run_ns : r->end_ns, base);
		if (isnan(pt[k].y))
			pt[k].y = 0;
		if (pt[k].y < lo)
			lo = pt[k].y;
		if (pt[k].y > hi)
			hi = pt[k].y;
	}
	/* the y range the template uses: at least +-1%, so that noise does not look dramatic */
	span = fmax(fmax(fabs(lo), fabs(hi)) * 1.3, 1.0);
	if (!isnan(c->model_error_pct))
		span = fmax(span, c->model_error_pct * 1.3);
	/* labels: at the points' x, spread apart in y where they would overprint */
	qsort(pt, n, sizeof(*pt), cmp_tpoint);
	gap = span * 2 / 22;     /* about a line of text in a 540 px figure */
	for (unsigned i = 0; i < n; i++) {
		pt[i].ly = pt[i].y;
		if (i && pt[i - 1].x > pt[i].x * 0.7 && pt[i].ly < pt[i - 1].ly + gap)
			pt[i].ly = pt[i - 1].ly + gap;
	}
	fprintf(out, "series,strategy,exposed_bytes,time_pct,protected,label_y,schema_version\n");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = rep(c, v, v->order[pt[i].pos]);

		row_head(out, c, v, pt[i].pos);
		fputc(',', out);
		csv_int(out, pt[i].x);
		fputc(',', out);
		csv_num(out, pt[i].y, 6);
		fprintf(out, ",%d,", (r->flags & STRAT_PROTECTED) != 0);
		csv_num(out, pt[i].ly, 6);
		fprintf(out, ",%d\n", PLOTDATA_VERSION);
	}
	arg_add(fa, xasprintf("%.6g", span));
	arg_add(fa, verdict_baseline_short(c, v));
	arg_add(fa, xstrdup(rec->have_boot_end ? "after boot" : "whole trace"));
	arg_add(fa, isnan(c->model_error_pct) ? xstrdup("nan") :
		    xasprintf("%.6g", c->model_error_pct));
	arg_add(fa, xasprintf("%.0f", (double)c->sc->machine.ram_bytes));
	free(pt);
	return n;
}

/* ---- activity --------------------------------------------------------------------------- */

unsigned plotdata_activity(FILE *out, const struct report_ctx *c, const struct verdict *v,
			   struct fig_args *fa)
{
	const struct timeseries *ts = c->ts;
	const struct sim_recorded *rec = sim_recorded(c->sim);
	unsigned pick[16], np = 0, nb, nser = 0, ser[TS__COUNT];
	char *strats = NULL, *colors = NULL, *panels = NULL, *phases = NULL, *key = NULL;
	char *dropped = NULL;
	const struct sim_result *shade;

	if (!ts) {
		fprintf(out, "t_s,schema_version\n");
		return 0;
	}
	/* the baseline, then the strategies the verdict names, in the summary's order */
	for (unsigned pos = 0; pos < v->ncls && np < ISM_ARRAY_SIZE(pick); pos++) {
		unsigned k = v->order[pos];
		int named = v->base >= 0 && v->class_of[v->base] == k;

		for (unsigned o = 0; o < v->nobj && !named; o++)
			named = v->obj[o].best == (int)k || v->obj[o].runner == (int)k;
		if (named)
			pick[np++] = pos;
	}
	/* the series some picked strategy has */
	for (unsigned s = 0; s < TS__COUNT; s++) {
		int any = 0;

		for (unsigned i = 0; i < np; i++) {
			any |= !ts_all_zero(ts, rep_index(v, v->order[pick[i]]), s);
		}
		if (s == TS_SHARED && !v->any_protected)
			continue;   /* exposure means nothing when nothing is protected */
		if (any) {
			ser[nser++] = s;
			words_add(&panels, "%s", s == TS_SHARED ? "shared_MiB" : ts_key(s));
		} else {
			words_add(&dropped, "%s%s", dropped ? "; " : "", ts_label(s));
		}
	}
	fprintf(out, "t_s");
	for (unsigned j = 0; j < nser; j++)
		for (unsigned i = 0; i < np; i++) {
			const struct sim_result *r = rep(c, v, v->order[pick[i]]);

			fprintf(out, ",%s:", ser[j] == TS_SHARED ? "shared_MiB" : ts_key(ser[j]));
			csv_str(out, r->spec);
		}
	fprintf(out, ",schema_version\n");
	nb = ts_buckets(ts);
	for (unsigned b = 0; b < nb; b++) {
		csv_num(out, (b + 0.5) * ts->width_ns / 1e9, 9);
		for (unsigned j = 0; j < nser; j++)
			for (unsigned i = 0; i < np; i++) {
				double x = ts_value(ts, rep_index(v, v->order[pick[i]]), ser[j], b);

				fputc(',', out);
				if (ser[j] == TS_SHARED)
					csv_num(out, x / 1048576.0, 8);
				else
					csv_num(out, x, 8);
			}
		fprintf(out, ",%d\n", PLOTDATA_VERSION);
	}
	for (unsigned i = 0; i < np; i++) {
		words_add(&strats, "%s", rep(c, v, v->order[pick[i]])->spec);
		words_add(&colors, "%u", pick[i] + 1);
	}
	/* phases: shaded from the baseline's (else the first strategy's) simulated times */
	shade = v->base >= 0 ? sim_result(c->sim, (unsigned)v->base) : rep(c, v, v->order[pick[0]]);
	for (unsigned k = 0; k < rec->nphases; k++) {
		double a = shade->phase_sim_ns[k] / 1e9;
		double e = k + 1 < rec->nphases ? shade->phase_sim_ns[k + 1] / 1e9 : shade->end_ns / 1e9;

		words_add(&phases, "%.6g:%.6g:%u", a, e, k + 1);
		words_add(&key, "%u=%s", k + 1, rec->phases[k].name);
	}
	arg_add(fa, panels ? panels : xstrdup(""));
	arg_add(fa, strats ? strats : xstrdup(""));
	arg_add(fa, colors ? colors : xstrdup(""));
	arg_add(fa, phases ? phases : xstrdup(""));
	arg_add(fa, key ? key : xstrdup(""));
	arg_add(fa, xstrdup(shade->spec));
	if (dropped)
		fa->note = xasprintf("Not drawn, zero throughout for every strategy shown: %s.",
				     dropped);
	free(dropped);
	return nser;
}

/* ---- history ---------------------------------------------------------------------------- */

unsigned plotdata_history(FILE *out, json_t *const *results, const char *const *labels,
			  unsigned nres, const struct metric *const *metrics, unsigned nmetrics,
			  char *const *only, unsigned nonly, char **names_out, char **cause)
{
	const char **names = NULL;
	unsigned nn = 0;

	/* the strategies: as asked, or every one in order of first appearance */
	if (nonly) {
		names = xreallocarray(NULL, nonly, sizeof(*names));
		for (unsigned i = 0; i < nonly; i++)
			names[nn++] = only[i];
	} else {
		for (unsigned r = 0; r < nres; r++) {
			json_t *a = json_object_get(results[r], "strategies"), *s;
			size_t i;

			json_array_foreach(a, i, s) {
				const char *n = json_string_value(json_object_get(s, "strategy"));
				unsigned k;

				if (!n)
					continue;
				for (k = 0; k < nn && strcmp(names[k], n) != 0; k++)
					;
				if (k == nn) {
					names = xreallocarray(names, nn + 1, sizeof(*names));
					names[nn++] = n;
				}
			}
		}
	}
	if (!nn) {
		*cause = xstrdup("no strategy in the results");
		free(names);
		return 0;
	}
	fprintf(out, "run,label");
	for (unsigned m = 0; m < nmetrics; m++)
		for (unsigned k = 0; k < nn; k++) {
			char *col = xasprintf("%s:%s", metrics[m]->disp, names[k]);

			fputc(',', out);
			csv_str(out, col);
			free(col);
		}
	fprintf(out, ",schema_version\n");
	for (unsigned r = 0; r < nres; r++) {
		fprintf(out, "%u,", r + 1);
		csv_str(out, labels[r]);
		for (unsigned m = 0; m < nmetrics; m++)
			for (unsigned k = 0; k < nn; k++) {
				json_t *s = metric_strategy(results[r], names[k]);
				double v;

				fputc(',', out);
				if (s && metric_value(metrics[m], s, &v) == 0)
					csv_num(out, v * metrics[m]->scale, 10);
			}
		fprintf(out, ",%d\n", PLOTDATA_VERSION);
	}
	*names_out = xstrdup("");
	for (unsigned k = 0; k < nn; k++) {
		char *n = xasprintf("%s%s%s", *names_out, k ? " " : "", names[k]);

		free(*names_out);
		*names_out = n;
	}
	free(names);
	return nn;
}
