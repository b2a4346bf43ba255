/*
 * cmd-calibrate.c: `iommusim calibrate [-s BASE.json] -o OUT.json TRACE...` - fit the cost model
 * from traces of the machine (iommusim(1), CALIBRATE).
 *
 * 1. Hypercall costs: every trace is replayed once as the strategy it was recorded under
 *    (detected, or sim.recorded_with) and each TCE opcode's samples are pooled (hcfit.h).
 * 2. Software and device costs outside the hypercalls: only a difference between
 *    configurations shows them. Each trace is replayed as every OTHER configuration among the
 *    traces, at the base value of the unknown and at base + step, and each phase's predicted
 *    duration is compared with the median recorded duration of that phase over the other
 *    configuration's traces. Least squares over (trace, configuration, phase) on the finite-
 *    difference slopes gives the unknown. One unknown can be told apart with these workloads:
 *    guest software per IOMMU page (cost.guest_per_page_ns, the TCE path's work that a direct
 *    window does not do); device translation per page is the same count as it on these
 *    serialised requests and the per-call software is the same count in every configuration,
 *    so they stay as in BASE, marked undetermined.
 * OUT.json is BASE with the fitted values and a "calibration" record: each value's source
 * (traces, samples, spread) and the residual of the phase predictions.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "detect.h"
#include "error.h"
#include "hcfit.h"
#include "output.h"
#include "reader.h"
#include "replay.h"
#include "scenario.h"
#include "sim.h"
#include "util.h"

#define CAL_MAX_TRACES 64
#define CAL_MAX_PHASES SIM_MAX_PHASES

/*
 * The unknowns outside the hypercalls, fitted together: guest software per IOMMU page (CPU
 * time at the map and unmap that writes the entries) and device time once per device job on
 * entries its maps wrote (the maps a device gets before it completes). They differ by
 * workload: 1 page per job (nvme 4 KiB), 4 (virtio-blk 4 KiB: header, data, table, status),
 * 16-19 (64 KiB requests), so phases of different shapes tell them apart.
 */
static const struct {
	const char *path;
	size_t off;
	double step;
	const char *source;
} unknowns[] = {
	{ "cost.guest_per_page_ns", offsetof(struct scenario, cost.guest_per_page_ns), 10000,
	  "each trace replayed as the other configurations against their median recorded "
	  "phase durations, least squares on finite-difference slopes" },
	{ "cost.device_job_tce_ns", offsetof(struct scenario, cost.device_job_tce_ns), 50000,
	  "each trace replayed as the other configurations against their median recorded "
	  "phase durations, least squares on finite-difference slopes" },
};
#define NUNK ((unsigned)ISM_ARRAY_SIZE(unknowns))
#define UVAL(sc, k) (*(double *)((char *)(sc) + unknowns[k].off))

/*
 * Solve the normal equations @a (NUNK x NUNK, right-hand side in column NUNK) for the step
 * from @x0 into @x, over the unknowns in @mask. An unknown whose value comes out negative is
 * held at 0 and the others solved again (the costs are not negative); one whose column is all
 * zero is left at its base value. Returns the number of unknowns fitted, each marked in @det,
 * or -1 when two of them cannot be told apart (collinear columns: the same count in every
 * phase), all left at their base values.
 */
static int solve_unknowns(double a[NUNK][NUNK + 1], const double *x0, double *x, int *det,
			  unsigned mask)
{
	int free_[NUNK], nf = 0;

	for (unsigned u = 0; u < NUNK; u++) {
		free_[u] = a[u][u] > 0 && (mask >> u & 1);
		x[u] = x0[u];
		det[u] = 0;
	}
	for (unsigned round_ = 0; round_ < NUNK; round_++) {
		double m[NUNK][NUNK + 1];
		unsigned idx[NUNK], n = 0;
		int neg = 0, sing = 0;

		for (unsigned u = 0; u < NUNK; u++)
			if (free_[u])
				idx[n++] = u;
		if (!n)
			return 0;
		for (unsigned r = 0; r < n; r++) {
			for (unsigned c = 0; c < n; c++)
				m[r][c] = a[idx[r]][idx[c]];
			m[r][n] = a[idx[r]][NUNK];
			/* the held unknowns moved from x0 to 0: their share leaves the residual */
			for (unsigned u = 0; u < NUNK; u++)
				if (!free_[u] && a[u][u] > 0)
					m[r][n] -= a[idx[r]][u] * (0 - x0[u]);
		}
		for (unsigned c = 0; c < n && !sing; c++) {
			unsigned piv = c;

			for (unsigned r = c + 1; r < n; r++)
				if (fabs(m[r][c]) > fabs(m[piv][c]))
					piv = r;
			/* 1 - r^2 below 1e-3: the columns are the same count (collinear) */
			if (fabs(m[piv][c]) <= 1e-3 * fabs(a[idx[piv]][idx[piv]])) {
				sing = 1;
				break;
			}
			if (piv != c)
				for (unsigned k = 0; k <= n; k++) {
					double t = m[c][k];

					m[c][k] = m[piv][k];
					m[piv][k] = t;
				}
			for (unsigned r = 0; r < n; r++) {
				double f;

				if (r == c)
					continue;
				f = m[r][c] / m[c][c];
				for (unsigned k = c; k <= n; k++)
					m[r][k] -= f * m[c][k];
			}
		}
		if (sing) {
			for (unsigned u = 0; u < NUNK; u++)
				x[u] = x0[u];
			return -1;
		}
		for (unsigned r = 0; r < n; r++) {
			double v = x0[idx[r]] + m[r][n] / m[r][r];

			if (v < 0) {
				free_[idx[r]] = 0;
				x[idx[r]] = 0;
				neg = 1;
			} else {
				x[idx[r]] = v;
			}
		}
		if (!neg) {
			for (unsigned r = 0; r < n; r++)
				det[idx[r]] = 1;
			nf = (int)n;
			break;
		}
	}
	return nf;
}

enum { OPT_SET = 0x1100, OPT_PHASE, OPT_NO_FIT };

static const struct cmd_opt calibrate_opts[] = {
	{ 's', 's', "scenario", "FILE", "the base scenario (default: the built-in defaults)", NULL },
	{ 'o', 'o', "output", "FILE", "the calibrated scenario (required)", NULL },
	{ OPT_SET, 0, "set", "PATH=VALUE", "override one base parameter (repeatable)", NULL },
	{ OPT_PHASE, 0, "phase", "NAME",
	  "fit on this phase only (repeatable; default: every phase with an end marker, else "
	  "every phase)", NULL },
	{ 'H', 'H', "hold-out", "TRACE",
	  "after the fit, predict each of these traces as the other configurations "
	  "(repeatable): their RMS error becomes sim.model_error_pct, which verdicts compare "
	  "against", NULL },
	{ OPT_NO_FIT, 0, "no-fit", NULL, "fit nothing: only the held-out check, on the TRACEs given",
	  NULL },
	CMD_OPTS_INPUT,
	{ 'f', 0, "format-in", "FORMAT", NULL, NULL },  /* the old -f */
	CMD_OPT_RETIRED_J,
	CMD_OPT_END,
};

const struct cmd_entry cmd_calibrate_entry = {
	.name = "calibrate",
	.args = "[-s BASE.json] -o OUT.json [options] TRACE...",
	.summary = "fit the cost model from traces of the machine",
	.fn = cmd_calibrate,
	.opts = calibrate_opts,
	.about = "Fit the cost model from traces of one machine: TCE hypercall costs per opcode\n"
		 "(fixed + per entry) from hcall_entry/exit pairs, and, from traces of two or more\n"
		 "configurations (e.g. DDW on and off), guest software per IOMMU page from each\n"
		 "trace replayed as the other configuration against that configuration's recorded\n"
		 "phase durations. OUT.json is BASE with the fitted values and a \"calibration\"\n"
		 "record of each value's source, samples, spread and the residual; values the traces\n"
		 "cannot determine stay as in BASE and are marked so.\n",
	.after = "TRACE... are the operands and -i TRACE, in order.\n"
		 "Exit status: 0 success, 1 runtime failure, 2 usage error or bad input.\n",
};

struct cal_trace {
	const char *path;
	char spec[48];
	unsigned nph;
	char name[CAL_MAX_PHASES][48];
	double rec[CAL_MAX_PHASES];  /* recorded phase durations (ns) */
	int has_end[CAL_MAX_PHASES];
};

static int phase_index(const struct cal_trace *t, const char *name)
{
	for (unsigned k = 0; k < t->nph; k++)
		if (!strcmp(t->name[k], name))
			return (int)k;
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median recorded duration of @phase over the traces of @spec; NAN when none has it. */
static double target_of(const struct cal_trace *tr, unsigned n, const char *spec,
			const char *phase, double *lo, double *hi)
{
	double v[CAL_MAX_TRACES];
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		int k;

		if (strcmp(tr[i].spec, spec) || (k = phase_index(&tr[i], phase)) < 0)
			continue;
		v[m++] = tr[i].rec[k];
	}
	if (!m)
		return NAN;
	qsort(v, m, sizeof(v[0]), cmp_double);
	*lo = v[0];
	*hi = v[m - 1];
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

static int wanted(const char *name, char **phases, unsigned nphases, const struct cal_trace *t,
		  int k, int any_end)
{
	if (nphases) {
		for (unsigned i = 0; i < nphases; i++)
			if (!strcmp(phases[i], name))
				return 1;
		return 0;
	}
	return !any_end || t->has_end[k];
}

/* Replay @t as @spec under @sc; fill @pred per phase of @t (NAN when missing). */
static int predict(const char *format, const struct scenario *sc, const struct cal_trace *t,
		   const char *spec, double *pred)
{
	struct replay rp;
	char *cause = NULL, *specs[1] = { (char *)spec };
	int ret = replay_trace(t->path, format, sc, specs, 1, 0, NULL, NULL, &rp, &cause);
	const struct sim_recorded *rec;

	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret);
	}
	rec = sim_recorded(rp.sim);
	for (unsigned k = 0; k < t->nph; k++) {
		pred[k] = NAN;
		for (unsigned j = 0; j < rec->nphases; j++)
			if (!strcmp(rec->phases[j].name, t->name[k])) {
				pred[k] = sim_phase_simulated_ns(rec, sim_result(rp.sim, 0), j);
				break;
			}
	}
	replay_free(&rp);
	return 0;
}

/* Set @path to @v in the JSON object @root, making the objects on the way. */
static void json_set_path(json_t *root, const char *path, json_t *v)
{
	char *p = xstrdup(path), *save = NULL, *tok, *next;
	json_t *o = root;

	tok = strtok_r(p, ".", &save);
	while (tok && (next = strtok_r(NULL, ".", &save))) {
		json_t *c = json_object_get(o, tok);

		if (!json_is_object(c)) {
			c = json_object();
			json_object_set_new(o, tok, c);
		}
		o = c;
		tok = next;
	}
	if (tok)
		json_object_set_new(o, tok, v);
	else
		json_decref(v);
	free(p);
}

static int set_value(struct scenario *sc, const char *path, double v)
{
	char val[64], *cause = NULL;

	snprintf(val, sizeof(val), "%.3f", v);
	if (scenario_set(sc, path, val, &cause) < 0) {
		ism_err("calibrate: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/*
 * Load @t from @path: the strategy it was recorded under (sim.recorded_with, else detected),
 * its phases and their recorded durations; its hypercall samples are merged into @fit unless
 * NULL. Returns 0 or an exit status (the error said).
 */
static int load_trace(struct cal_trace *t, const char *path, const char *format,
		      const struct scenario *sc, struct hcfit *fit, int *any_end)
{
	struct scenario one = *sc;
	struct detect_result det;
	struct replay rp;
	struct hcfit *f1 = xcalloc(1, sizeof(*f1));
	const struct sim_recorded *rec;
	char *cause = NULL;
	int ret;

	t->path = path;
	if (sc->sim.recorded_with && *sc->sim.recorded_with) {
		snprintf(t->spec, sizeof(t->spec), "%s", sc->sim.recorded_with);
	} else {
		ret = detect_trace(path, format, &det, &cause);
		if (ret < 0) {
			ism_err("%s", cause);
			free(cause);
			free(f1);
			return ism_err_exit(ret);
		}
		snprintf(t->spec, sizeof(t->spec), "%s", det.spec);
	}
	one.sim.recorded_with = t->spec;
	ret = replay_trace_fit(path, format, &one, t->spec, f1, &rp, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		free(f1);
		return ism_err_exit(ret);
	}
	if (fit)
		hcfit_merge(fit, f1);
	free(f1);
	rec = sim_recorded(rp.sim);
	for (unsigned k = 0; k < rec->nphases && t->nph < CAL_MAX_PHASES; k++) {
		snprintf(t->name[t->nph], sizeof(t->name[0]), "%s", rec->phases[k].name);
		t->rec[t->nph] = sim_phase_recorded_ns(rec, k);
		t->has_end[t->nph] = rec->phases[k].has_end;
		*any_end |= t->has_end[t->nph];
		t->nph++;
	}
	replay_free(&rp);
	return 0;
}

/* The number of configurations (recorded strategies) among @tr. */
static unsigned configurations(const struct cal_trace *tr, unsigned ntr)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ntr; i++) {
		int seen = 0;

		for (unsigned j = 0; j < i; j++)
			seen |= !strcmp(tr[i].spec, tr[j].spec);
		n += !seen;
	}
	return n;
}

/* The @j-th trace's spec if it is the first trace of its configuration and not @tr[i]'s. */
static const char *other_config(const struct cal_trace *tr, unsigned i, unsigned j)
{
	if (!strcmp(tr[j].spec, tr[i].spec))
		return NULL;
	for (unsigned q = 0; q < j; q++)
		if (!strcmp(tr[q].spec, tr[j].spec))
			return NULL;
	return tr[j].spec;
}

/*
 * The cross-configuration check: each trace of @tr replayed under @sc as every other
 * configuration among @tr, each wanted phase against the median recorded for it over that
 * configuration's traces in @tr. Each prediction is appended to @preds; @n, @rms and @worst
 * get their count, RMS and worst error (%). Returns 0 or an exit status.
 */
static int cross_check(const char *format, const struct scenario *sc, const struct cal_trace *tr,
		       unsigned ntr, char **phases, unsigned nphases, int any_end, json_t *preds,
		       unsigned *n, double *rms, double *worst)
{
	double *p0 = xcalloc(CAL_MAX_PHASES, sizeof(double)), sq = 0;
	struct scenario at = *sc;
	int st;

	*n = 0;
	*worst = 0;
	for (unsigned i = 0; i < ntr; i++)
		for (unsigned j = 0; j < ntr; j++) {
			const char *other = other_config(tr, i, j);

			if (!other)
				continue;
			at.sim.recorded_with = (char *)tr[i].spec;
			if ((st = predict(format, &at, &tr[i], other, p0))) {
				free(p0);
				return st;
			}
			for (unsigned k = 0; k < tr[i].nph; k++) {
				double lo, hv, tg = target_of(tr, ntr, other, tr[i].name[k], &lo, &hv), e;
				json_t *v;

				if (isnan(tg) || isnan(p0[k]) ||
				    !wanted(tr[i].name[k], phases, nphases, &tr[i], (int)k, any_end))
					continue;
				e = (p0[k] - tg) / tg * 100;
				sq += e * e;
				if (fabs(e) > fabs(*worst))
					*worst = e;
				(*n)++;
				v = json_object();
				json_object_set_new(v, "trace", json_string(tr[i].path));
				json_object_set_new(v, "as", json_string(other));
				json_object_set_new(v, "phase", json_string(tr[i].name[k]));
				json_object_set_new(v, "predicted_ns", json_real(p0[k]));
				json_object_set_new(v, "recorded_median_ns", json_real(tg));
				json_object_set_new(v, "recorded_min_ns", json_real(lo));
				json_object_set_new(v, "recorded_max_ns", json_real(hv));
				json_object_set_new(v, "error_pct", json_real(e));
				json_array_append_new(preds, v);
			}
		}
	*rms = *n ? sqrt(sq / *n) : 0;
	free(p0);
	return 0;
}

/* What one calibration works on and builds: the scenario and the output document. */
struct cal {
	struct scenario sc;
	const char *format;          /* -f: the traces' format (NULL: probed) */
	char **phases;               /* --phase names (none: every phase with an end marker) */
	unsigned nphases;
	struct cal_trace *tr, *ho;   /* the traces fitted on, the held-out ones */
	unsigned ntr, nho;
	int any_end, ho_any_end;     /* some trace has a phase with an end marker */
	struct hcfit *fit;           /* the pooled hypercall samples */
	json_t *root;                /* OUT.json: the base scenario with the fitted values */
	json_t *cal;                 /* its "calibration" record */
	json_t *vals, *und, *preds;  /* fitted values, undetermined ones, the training predictions */
	unsigned nfit;               /* values fitted */
	int nconf;                   /* configurations among the traces fitted on */
	double x0[NUNK], x[NUNK];    /* the unknowns outside the hypercalls: base and fitted */
	double ata[NUNK][NUNK + 1];  /* their normal equations */
	int determined[NUNK], nfree, collinear;
	double model_error;          /* the held-out RMS error, as written (0: no check) */
};

/* 1b. The TCE hypercall costs, fixed and per entry, pooled over the traces (hcfit). */
static int cal_fit_hcalls(struct cal *k)
{
	static const char *const pp[HCFIT_OPS] = { "h_put_tce", "h_put_tce_indirect",
						   "h_stuff_tce" };

	for (int op = 0; op < HCFIT_OPS; op++) {
		struct hcfit_result h;
		char path[64];
		json_t *v;

		hcfit_solve(k->fit, op, &h);
		for (int part = 0; part < 2; part++) {
			snprintf(path, sizeof(path), "cost.%s.%s", pp[op],
				 part ? "per_entry_ns" : "fixed_ns");
			if (!h.fitted || (part && !h.per_entry_determined)) {
				v = json_object();
				json_object_set_new(v, "path", json_string(path));
				json_object_set_new(v, "why", json_string(
					!h.fitted ? "fewer than 20 events with this hypercall as "
						    "predicted" :
						    "entries per call never varied: not told "
						    "from the fixed part"));
				json_array_append_new(k->und, v);
				if (!h.fitted || !part)
					continue;
				/* the mean per call holds it all */
				if (set_value(&k->sc, path, 0) < 0)
					return EXIT_FAIL;
				json_set_path(k->root, path, json_real(0));
				continue;
			}
			if (set_value(&k->sc, path, part ? h.per_entry_ns : h.fixed_ns) < 0)
				return EXIT_FAIL;
			json_set_path(k->root, path, json_real(round((part ? h.per_entry_ns :
									   h.fixed_ns) * 1000) / 1000));
			v = json_object();
			json_object_set_new(v, "path", json_string(path));
			json_object_set_new(v, "value", json_real(part ? h.per_entry_ns : h.fixed_ns));
			json_object_set_new(v, "source", json_string(
				"hcall_entry/exit pairs of the traces' DMA events, least squares "
				"(hcfit)"));
			json_object_set_new(v, "events", json_integer((json_int_t)h.samples));
			json_object_set_new(v, "calls", json_integer((json_int_t)h.calls));
			json_object_set_new(v, "single_call_p10_ns", json_real(h.p10_ns));
			json_object_set_new(v, "single_call_median_ns", json_real(h.median_ns));
			json_object_set_new(v, "single_call_p90_ns", json_real(h.p90_ns));
			json_object_set_new(v, "residual_pct", json_real(h.residual_pct));
			json_array_append_new(k->vals, v);
			k->nfit++;
		}
	}
	return EXIT_OK;
}

/*
 * 2a. The normal equations of the unknowns: each trace replayed as every other configuration
 * at the base values and one step up each unknown; a phase's slopes weigh its miss against
 * the median recorded in that configuration.
 */
static int cal_slopes(struct cal *k)
{
	double *p0 = xcalloc(CAL_MAX_PHASES, sizeof(double));
	double *p1 = xcalloc((size_t)NUNK * CAL_MAX_PHASES, sizeof(double));
	int st = 0;

	for (unsigned i = 0; i < k->ntr && !st; i++)
		for (unsigned j = 0; j < k->ntr && !st; j++) {
			const char *other = other_config(k->tr, i, j);
			struct scenario at = k->sc;

			if (!other)
				continue;
			at.sim.recorded_with = k->tr[i].spec;
			if ((st = predict(k->format, &at, &k->tr[i], other, p0)))
				break;
			for (unsigned u = 0; u < NUNK && !st; u++) {
				struct scenario hi = at;

				UVAL(&hi, u) = k->x[u] + unknowns[u].step;
				st = predict(k->format, &hi, &k->tr[i], other,
					     p1 + (size_t)u * CAL_MAX_PHASES);
			}
			for (unsigned ph = 0; ph < k->tr[i].nph && !st; ph++) {
				double lo, hv, g[NUNK];
				double tg = target_of(k->tr, k->ntr, other, k->tr[i].name[ph], &lo, &hv);

				if (isnan(tg) || isnan(p0[ph]) ||
				    !wanted(k->tr[i].name[ph], k->phases, k->nphases, &k->tr[i],
					    (int)ph, k->any_end))
					continue;
				for (unsigned u = 0; u < NUNK; u++)
					g[u] = (p1[(size_t)u * CAL_MAX_PHASES + ph] - p0[ph]) /
					       unknowns[u].step;
				for (unsigned u = 0; u < NUNK; u++) {
					k->ata[u][NUNK] += g[u] * (tg - p0[ph]);
					for (unsigned v = 0; v < NUNK; v++)
						k->ata[u][v] += g[u] * g[v];
				}
			}
		}
	free(p0);
	free(p1);
	return st;
}

/* 2. The costs outside the hypercalls, from each trace as the other configurations. */
static int cal_fit_unknowns(struct cal *k)
{
	double rms = 0, worst = 0;
	unsigned nsamp = 0;
	json_t *fv[NUNK] = { NULL };
	int st;

	k->nconf = (int)configurations(k->tr, k->ntr);
	for (unsigned u = 0; u < NUNK; u++)
		k->x0[u] = k->x[u] = UVAL(&k->sc, u);
	if (k->nconf < 2)
		return EXIT_OK;
	if ((st = cal_slopes(k)))
		return st;
	k->nfree = solve_unknowns(k->ata, k->x0, k->x, k->determined, ~0u);
	if (k->nfree < 0) {
		/* the first unknown alone holds what they share */
		k->collinear = 1;
		k->nfree = solve_unknowns(k->ata, k->x0, k->x, k->determined, 1u);
	}
	for (unsigned u = 0; u < NUNK; u++) {
		json_t *v;

		if (!k->determined[u])
			continue;
		if (set_value(&k->sc, unknowns[u].path, k->x[u]) < 0)
			return EXIT_FAIL;
		json_set_path(k->root, unknowns[u].path, json_real(round(k->x[u])));
		v = json_object();
		json_object_set_new(v, "path", json_string(unknowns[u].path));
		json_object_set_new(v, "value", json_real(k->x[u]));
		json_object_set_new(v, "source", json_string(unknowns[u].source));
		if (k->nfree > 1) {
			json_t *w = json_array();

			for (unsigned o = 0; o < NUNK; o++)
				if (o != u && k->determined[o])
					json_array_append_new(w, json_string(unknowns[o].path));
			json_object_set_new(v, "fitted_with", w);
		}
		json_array_append_new(k->vals, v);
		fv[u] = v;
		k->nfit++;
	}
	/* the residual: a last replay at the fitted values */
	if ((st = cross_check(k->format, &k->sc, k->tr, k->ntr, k->phases, k->nphases, k->any_end,
			      k->preds, &nsamp, &rms, &worst)))
		return st;
	for (unsigned u = 0; u < NUNK; u++)
		if (fv[u])
			json_object_set_new(fv[u], "phase_predictions",
					    json_integer((json_int_t)nsamp));
	if (k->nfree) {
		json_t *r = json_object();

		json_object_set_new(r, "phase_predictions", json_integer((json_int_t)nsamp));
		json_object_set_new(r, "rms_error_pct", json_real(rms));
		json_object_set_new(r, "worst_error_pct", json_real(worst));
		json_object_set_new(k->cal, "residual", r);
	}
	return EXIT_OK;
}

/* 2b. What the traces could not determine, and why: kept from the base (or held at 0). */
static int cal_undetermined(struct cal *k)
{
	static const char *const never[][2] = {
		{ "cost.device_xlate_per_page_ns",
		  "paid per page by every configuration alike (a direct window's device "
		  "translates too): no difference between configurations shows it" },
		{ "cost.guest_map_ns",
		  "the same count (DMA API calls) in every configuration" },
		{ "cost.guest_alloc_per_bit_ns",
		  "follows the IOMMU pages mapped: not told from the per-page cost" },
	};

	for (unsigned u = 0; u < NUNK; u++) {
		json_t *v;

		if (k->nconf >= 2 && k->determined[u])
			continue;
		if (k->nconf >= 2 && k->x[u] != k->x0[u]) {
			/* held at 0: the scenario says so */
			if (set_value(&k->sc, unknowns[u].path, k->x[u]) < 0)
				return EXIT_FAIL;
			json_set_path(k->root, unknowns[u].path, json_real(k->x[u]));
		}
		v = json_object();
		json_object_set_new(v, "path", json_string(unknowns[u].path));
		json_object_set_new(v, "why", json_string(
			k->nconf < 2 ? "one configuration only: costs outside the hypercalls show "
				       "only as a difference between configurations" :
			k->collinear && u > 0 ? "not told apart from cost.guest_per_page_ns: the same "
						"count in every phase fitted (as many pages in each "
						"device job); give phases of other shapes" :
			k->x[u] == 0 && k->ata[u][u] > 0 ? "the least-squares value was negative: "
							   "kept at 0 (no cost of this kind in "
							   "these traces)" :
				       "no phase whose prediction depends on it, or not told apart "
				       "from the other unknowns in these workloads"));
		json_array_append_new(k->und, v);
	}
	for (size_t n = 0; n < ISM_ARRAY_SIZE(never); n++) {
		json_t *v = json_object();

		json_object_set_new(v, "path", json_string(never[n][0]));
		json_object_set_new(v, "why", json_string(never[n][1]));
		json_array_append_new(k->und, v);
	}
	return EXIT_OK;
}

/* 3. The held-out check: the model's stated error (sim.model_error_pct). */
static int cal_hold_out(struct cal *k)
{
	json_t *hj = json_object(), *ht = json_array(), *hp = json_array();
	unsigned n = 0, hconf = configurations(k->ho, k->nho);
	double rms = 0, worst = 0;
	char *msrc;
	int st;

	json_object_set_new(k->cal, "held_out", hj);
	json_object_set_new(hj, "traces", ht);
	for (unsigned h = 0; h < k->nho; h++) {
		json_t *jt = json_object();

		json_object_set_new(jt, "path", json_string(k->ho[h].path));
		json_object_set_new(jt, "recorded_with", json_string(k->ho[h].spec));
		json_array_append_new(ht, jt);
	}
	json_object_set_new(hj, "predictions", hp);
	if (hconf < 2) {
		ism_err("calibrate: the held-out traces are of %u configuration%s: a check needs two "
			"or more (each trace is predicted as the others)", hconf,
			hconf == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	if ((st = cross_check(k->format, &k->sc, k->ho, k->nho, k->phases, k->nphases,
			      k->ho_any_end, hp, &n, &rms, &worst)))
		return st;
	if (!n) {
		ism_err("calibrate: no phase of the held-out traces to check (phases with an end "
			"marker, or those --phase names, in two configurations)");
		return EXIT_USAGE;
	}
	json_object_set_new(hj, "phase_predictions", json_integer((json_int_t)n));
	json_object_set_new(hj, "rms_error_pct", json_real(rms));
	json_object_set_new(hj, "worst_error_pct", json_real(worst));
	k->model_error = round(rms * 10) / 10;
	if (k->model_error < 0.1)
		k->model_error = 0.1;
	json_set_path(k->root, "sim.model_error_pct", json_real(k->model_error));
	msrc = xasprintf("held-out check, iommusim calibrate: RMS error of %u phase predictions, "
			 "%u traces replayed as the other configuration", n, k->nho);
	json_set_path(k->root, "sim.model_error_source", json_string(msrc));
	free(msrc);
	return EXIT_OK;
}

/*
 * The output document: the base scenario as JSON (its old calibration record dropped when
 * fitting; kept and checked with --no-fit), the new record, and where the fit goes (@scratch:
 * a record thrown away with --no-fit).
 */
static int cal_document(struct cal *k, const char *base, int no_fit, json_t **scratch)
{
	json_t *fitrec, *arr;

	if (base) {
		json_error_t je;

		k->root = json_load_file(base, JSON_REJECT_DUPLICATES, &je);
		if (!k->root) {
			ism_err("%s:%d:%d: %s", base, je.line, je.column, je.text);
			return EXIT_USAGE;
		}
		if (!no_fit)
			json_object_del(k->root, "calibration");
	} else {
		k->root = json_object();
		json_object_set_new(k->root, "schema_version",
				    json_integer(SCENARIO_SCHEMA_VERSION));
		json_object_set_new(k->root, "name", json_string("calibrated"));
	}
	/* --no-fit: the base's own calibration record, if any, stays and gets the check */
	k->cal = no_fit ? json_object_get(k->root, "calibration") : NULL;
	if (!json_is_object(k->cal)) {
		k->cal = json_object();
		json_object_set_new(k->root, "calibration", k->cal);
		json_object_set_new(k->cal, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
		json_object_set_new(k->cal, "base", json_string(base ? base : "(defaults)"));
	}
	fitrec = no_fit ? *scratch = json_object() : k->cal;
	arr = json_array();
	json_object_set_new(fitrec, "traces", arr);
	k->vals = json_array();
	json_object_set_new(fitrec, "fitted", k->vals);
	k->und = json_array();
	json_object_set_new(fitrec, "undetermined_kept_from_base", k->und);
	k->preds = json_array();
	json_object_set_new(fitrec, "predictions", k->preds);
	return EXIT_OK;
}

/* Write OUT.json and say what was fitted. */
static int cal_write(struct cal *k, const char *outpath, const char *base, int no_fit)
{
	struct ofile *of = NULL;
	char *cause = NULL;

	if (ofile_open(outpath, &of, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	json_dumpf(k->root, ofile_stream(of), JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		   JSON_REAL_PRECISION(10));
	fputc('\n', ofile_stream(of));
	if (ofile_commit(of, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (!no_fit)
		printf("calibrate: %u traces, %d configurations: %u values fitted, the rest kept "
		       "from %s (%s)\n", k->ntr, k->nconf, k->nfit, base ? base : "the defaults",
		       outpath);
	for (unsigned u = 0; k->nconf >= 2 && u < NUNK; u++)
		if (k->determined[u])
			printf("calibrate: %s = %.0f ns (base %.0f)\n", unknowns[u].path, k->x[u],
			       k->x0[u]);
	if (k->nho)
		printf("calibrate: held out: %u traces, model error %.1f%% (%s)\n", k->nho,
		       k->model_error, outpath);
	return finish_stdout(EXIT_OK);
}

int cmd_calibrate(int argc, char **argv)
{
	const char *base = NULL, *outpath = NULL, *format = NULL;
	char *sets[64], *phases[64], *holds[CAL_MAX_TRACES], *cause = NULL;
	unsigned nsets = 0, nphases = 0, nholds = 0;
	struct cmd_input in = { 0 };
	struct cmd_args ca;
	struct cal *k;
	int no_fit = 0;
	json_t *scratch = NULL;
	int c, status = EXIT_FAIL;

	status = 0;
	cmd_args_init(&ca, &cmd_calibrate_entry, argc, argv);
	while ((c = cmd_next(&ca)) > 0) {
		if (cmd_input_opt(&ca, &in, c))
			continue;
		status = 0;
		switch (c) {
		case 's':
			base = ca.arg;
			break;
		case 'o':
			outpath = ca.arg;
			break;
		case OPT_SET:
			if (nsets == ISM_ARRAY_SIZE(sets))
				status = usage_error("calibrate", "too many --set");
			else
				sets[nsets++] = (char *)ca.arg;
			break;
		case OPT_PHASE:
			if (nphases == ISM_ARRAY_SIZE(phases))
				status = usage_error("calibrate", "too many --phase");
			else
				phases[nphases++] = (char *)ca.arg;
			break;
		case 'H':
			if (nholds == ISM_ARRAY_SIZE(holds))
				status = usage_error("calibrate", "more than 64 --hold-out traces");
			else
				holds[nholds++] = (char *)ca.arg;
			break;
		case OPT_NO_FIT:
			no_fit = 1;
			break;
		}
		if (status)
			break;
	}
	cmd_args_free(&ca);
	if (c < 0 || status) {
		cmd_input_free(&in);
		return c < 0 ? ca.status : status;
	}
	cmd_input_operands(&ca, &in);
	format = in.format;
	status = EXIT_USAGE;
	if (!outpath)
		usage_error("calibrate", "no -o OUT.json given");
	else if (no_fit && nholds)
		usage_error("calibrate", "--no-fit checks the traces given: no --hold-out too");
	else if (!in.n)
		usage_error("calibrate", "no trace given");
	else if (in.n > CAL_MAX_TRACES)
		usage_error("calibrate", "more than 64 traces");
	else
		status = EXIT_OK;
	if (status) {
		cmd_input_free(&in);
		return status;
	}
	k = xcalloc(1, sizeof(*k));
	k->format = format;
	k->phases = phases;
	k->nphases = nphases;
	if (scenario_load(base, &k->sc, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		free(k);
		cmd_input_free(&in);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < nsets; i++)
		if (scenario_set(&k->sc, sets[i], NULL, &cause) < 0 ||
		    (i + 1 == nsets && scenario_check(&k->sc, &cause) < 0)) {
			ism_err("--set: %s", cause);
			free(cause);
			status = EXIT_USAGE;
			goto out;
		}
	if ((status = cal_document(k, base, no_fit, &scratch)))
		goto out;
	k->tr = xcalloc(in.n, sizeof(*k->tr));
	k->ho = xcalloc(in.n + nholds, sizeof(*k->ho));
	k->fit = xcalloc(1, sizeof(*k->fit));

	/* 1. each trace as recorded: its strategy, its phases, its hypercall samples */
	for (size_t a = 0; a < in.n; a++) {
		struct cal_trace *t = no_fit ? &k->ho[k->nho++] : &k->tr[k->ntr++];
		json_t *jt;

		if ((status = load_trace(t, in.traces[a], format, &k->sc, no_fit ? NULL : k->fit,
					 no_fit ? &k->ho_any_end : &k->any_end)))
			goto out;
		if (no_fit)
			continue;
		jt = json_object();
		json_object_set_new(jt, "path", json_string(t->path));
		json_object_set_new(jt, "recorded_with", json_string(t->spec));
		json_array_append_new(json_object_get(k->cal, "traces"), jt);
	}
	if (!no_fit && ((status = cal_fit_hcalls(k)) || (status = cal_fit_unknowns(k)) ||
			(status = cal_undetermined(k))))
		goto out;
	for (unsigned h = 0; h < nholds; h++)
		if ((status = load_trace(&k->ho[k->nho++], holds[h], format, &k->sc, NULL,
					 &k->ho_any_end)))
			goto out;
	if (k->nho && (status = cal_hold_out(k)))
		goto out;
	status = cal_write(k, outpath, base, no_fit);
out:
	json_decref(k->root);
	json_decref(scratch);
	free(k->tr);
	free(k->ho);
	free(k->fit);
	scenario_free(&k->sc);
	free(k);
	cmd_input_free(&in);
	return status;
}
