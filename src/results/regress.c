/*
 * regress.c: per-metric verdicts between a baseline result and a current one.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "util.h"

const char *regress_verdict_name(enum regress_verdict v)
{
	static const char *const names[] = { "ok", "improved", "regressed", "missing", "new" };

	return (unsigned)v < ISM_ARRAY_SIZE(names) ? names[v] : "?";
}

int regress_parse_threshold(const char *s, struct regress_threshold *out, char **cause)
{
	const char *eq = strchr(s, '='), *num = s;
	char *end;

	out->m = NULL;
	if (eq) {
		char *name = xstrndup(s, (size_t)(eq - s));

		out->m = metric_find(name);
		if (!out->m) {
			char *all = metric_names();

			*cause = xasprintf("--threshold %s: unknown metric '%s' (metrics: %s)", s,
					   name, all);
			free(all);
			free(name);
			return -1;
		}
		free(name);
		num = eq + 1;
	}
	out->pct = strtod(num, &end);
	if (end == num || (*end && strcmp(end, "%") != 0) || !isfinite(out->pct) ||
	    out->pct < 0) {
		*cause = xasprintf("--threshold %s: '%s' is not a percentage (e.g. 5%% or 2.5)", s,
				   num);
		return -1;
	}
	return 0;
}

static double threshold_for(const struct regress_opts *o, const struct metric *m)
{
	double pct = REGRESS_DEFAULT_THRESHOLD_PCT;

	for (unsigned i = 0; i < o->nth; i++)
		if (!o->th[i].m)
			pct = o->th[i].pct;
	for (unsigned i = 0; i < o->nth; i++)
		if (o->th[i].m == m)
			pct = o->th[i].pct;
	return pct;
}

static struct regress_row *add_row(struct regress_result *r)
{
	r->rows = xreallocarray(r->rows, r->n + 1, sizeof(*r->rows));
	memset(&r->rows[r->n], 0, sizeof(r->rows[0]));
	return &r->rows[r->n++];
}

static void compare_metric(struct regress_result *r, const char *spec, const struct metric *m,
			   double th, json_t *sb, json_t *sc)
{
	struct regress_row *row;
	double b, c, worse;

	if (metric_value(m, sb, &b) < 0 || metric_value(m, sc, &c) < 0) {
		r->skipped++;
		return;
	}
	row = add_row(r);
	row->strategy = spec;
	row->m = m;
	row->base = b;
	row->cur = c;
	row->threshold_pct = th;
	if (b == c)
		row->change = 0;
	else if (b == 0)
		row->change = c > 0 ? INFINITY : -INFINITY;
	else
		row->change = (c - b) / fabs(b);
	/* the change in the direction that is worse, in percent */
	worse = (m->higher_better ? -row->change : row->change) * 100;
	if (worse > th)
		row->v = RV_REGRESSED;
	else if (-worse > th)
		row->v = RV_IMPROVED;
	else
		row->v = RV_OK;
	r->compared++;
	r->regressed += row->v == RV_REGRESSED;
	r->improved += row->v == RV_IMPROVED;
}

/*
 * The strategies' registered statistics (result JSON "statistics") that say which way is
 * better: a metric "LAYER.NAME" each, made here and owned by the result.
 */
static void compare_stats(struct regress_result *r, const struct regress_opts *o,
			  const char *spec, json_t *sb, json_t *sc)
{
	json_t *layers = json_object_get(sb, "statistics"), *stats, *st;
	const char *layer, *name;

	json_object_foreach(layers, layer, stats) {
		json_object_foreach(stats, name, st) {
			const char *better = json_string_value(json_object_get(st, "better"));
			struct metric *m;

			if (!better || strcmp(better, "none") == 0)
				continue;
			m = xcalloc(1, sizeof(*m));
			m->name = xasprintf("%s.%s", layer, name);
			m->path = xasprintf("statistics.%s.%s.value", layer, name);
			m->higher_better = strcmp(better, "higher") == 0;
			m->scale = 1;
			m->disp = m->name;
			m->help = m->name;
			r->owned = xreallocarray(r->owned, r->nowned + 1, sizeof(*r->owned));
			r->owned[r->nowned++] = m;
			compare_metric(r, spec, m, threshold_for(o, m), sb, sc);
		}
	}
}

int regress_compare(json_t *base, json_t *cur, const struct regress_opts *o,
		    struct regress_result *out, char **cause)
{
	json_t *ab = json_object_get(base, "strategies"), *ac = json_object_get(cur, "strategies");
	json_t *sb, *sc;
	unsigned common = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach(ab, i, sb) {
		const char *spec = json_string_value(json_object_get(sb, "strategy"));

		if (!spec)
			continue;
		sc = metric_strategy(cur, spec);
		if (!sc) {
			struct regress_row *row = add_row(out);

			row->strategy = spec;
			row->v = RV_MISSING;
			out->missing++;
			continue;
		}
		common++;
		if (o->metrics) {
			for (unsigned k = 0; k < o->nmetrics; k++)
				compare_metric(out, spec, o->metrics[k],
					       threshold_for(o, o->metrics[k]), sb, sc);
		} else {
			const struct metric *m;

			/* ratios (setup_share) only when asked: their parts are compared anyway */
			for (unsigned k = 0; (m = metric_get(k)) != NULL; k++)
				if (!m->den)
					compare_metric(out, spec, m, threshold_for(o, m), sb, sc);
			compare_stats(out, o, spec, sb, sc);
		}
	}
	json_array_foreach(ac, i, sc) {
		const char *spec = json_string_value(json_object_get(sc, "strategy"));

		if (spec && !metric_strategy(base, spec)) {
			struct regress_row *row = add_row(out);

			row->strategy = spec;
			row->v = RV_NEW;
			out->added++;
		}
	}
	if (!common) {
		*cause = xstrdup("the two results have no strategy in common");
		regress_free(out);
		return -1;
	}
	return 0;
}

void regress_free(struct regress_result *r)
{
	for (unsigned i = 0; i < r->nowned; i++) {
		free((char *)(uintptr_t)r->owned[i]->name);
		free((char *)(uintptr_t)r->owned[i]->path);
		free(r->owned[i]);
	}
	free(r->owned);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static json_t *jnum(double v)
{
	if (isinf(v))
		return json_string(v > 0 ? "+inf" : "-inf");
	if (v == floor(v) && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *regress_json(const struct regress_result *r, const char *base_path, const char *cur_path)
{
	json_t *root = json_object(), *a = json_array();

	json_object_set_new(root, "schema_version", json_integer(REGRESS_SCHEMA_VERSION));
	json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	json_object_set_new(root, "baseline", json_string(base_path));
	json_object_set_new(root, "current", json_string(cur_path));
	json_object_set_new(root, "verdict",
			    json_string(r->regressed || r->missing ? "fail" : "pass"));
	json_object_set_new(root, "compared", json_integer(r->compared));
	json_object_set_new(root, "regressed", json_integer(r->regressed));
	json_object_set_new(root, "improved", json_integer(r->improved));
	json_object_set_new(root, "missing_strategies", json_integer(r->missing));
	json_object_set_new(root, "new_strategies", json_integer(r->added));
	json_object_set_new(root, "skipped", json_integer(r->skipped));
	for (unsigned i = 0; i < r->n; i++) {
		const struct regress_row *w = &r->rows[i];
		json_t *o = json_object();

		json_object_set_new(o, "strategy", json_string(w->strategy));
		json_object_set_new(o, "metric", w->m ? json_string(w->m->name) : json_null());
		if (w->m) {
			json_object_set_new(o, "baseline", jnum(w->base));
			json_object_set_new(o, "current", jnum(w->cur));
			json_object_set_new(o, "change_pct", jnum(w->change * 100));
			json_object_set_new(o, "threshold_pct", jnum(w->threshold_pct));
			json_object_set_new(o, "worse_when",
					    json_string(w->m->higher_better ? "lower" : "higher"));
		}
		json_object_set_new(o, "verdict", json_string(regress_verdict_name(w->v)));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "results", a);
	return root;
}
