/*
 * sweep.c: swept parameter values, points of a sweep, crossovers and sizing advice.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "param.h"
#include "scenario.h"
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
		*cause = xasprintf("%s: '%s' is not a number of points (2..%d)", sp->path, parts[3],
				   SWEEP_MAX_VALUES);
		return -ISM_EUSAGE;
	}
	if (strcmp(parts[2], "lin") == 0) {
		sp->log = 0;
	} else if (strcmp(parts[2], "log") == 0) {
		sp->log = 1;
	} else {
		*cause = xasprintf("%s: range spacing '%s': lin or log", sp->path, parts[2]);
		return -ISM_EUSAGE;
	}
	if (p->type != PARAM_DOUBLE && !is_int_type(p)) {
		*cause = xasprintf("%s: a %s parameter takes a list of values, not a range",
				   sp->path, param_type_name(p->type));
		return -ISM_EUSAGE;
	}
	for (int k = 0; k < 2; k++)
		if (parse_number(p, parts[k], k ? &hi : &lo) < 0) {
			*cause = xasprintf("%s: '%s' is not a %s value", sp->path, parts[k],
					   param_type_name(p->type));
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
				*cause = xasprintf("%s: '%s' is not true or false", sp->path, t);
				free(dup);
				return -ISM_EUSAGE;
			}
			x = strcmp(t, "true") == 0;
		} else if (sp->numeric && parse_number(p, t, &x) < 0) {
			*cause = xasprintf("%s: '%s' is not a %s value", sp->path, t,
					   param_type_name(p->type));
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
		*cause = xasprintf("%s: expected PATH=VALUES, e.g. cost.h_put_tce.fixed_ns="
				   "100:100000:log:16 or machine.ram_bytes=2GiB,8GiB", arg);
		return -ISM_EUSAGE;
	}
	out->path = xstrndup(arg, (size_t)(eq - arg));
	p = param_find(scenario_params(), out->path);
	if (!p) {
		char *s = suggest(out->path);

		*cause = xasprintf("%s: unknown scenario parameter%s; `iommusim list params` lists "
				   "them", out->path, s);
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
		*cause = xasprintf("%s: '%s' is neither a list (A,B,C) nor a range LO:HI:lin|log:N",
				   out->path, eq + 1);
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
