/*
 * param.c: the generic, table-driven parameter mechanism (see param.h): defaults, strict JSON
 * loading with positions and near-miss suggestions, "path=value" setting, and printing.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "jsonpos.h"
#include "param.h"
#include "util.h"

#define PARAM_MAX_DEPTH 16       /* components in a path */
#define PARAM_SHOW_MAX 48        /* characters of a user's value or key shown in a message */
#define PARAM_LIST_SIBLINGS 8    /* list the keys allowed at a level when there are this few */

static const char *const size_suffix[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

/* ---- small helpers ------------------------------------------------------------------ */

/* @s made safe for a one-line message: control characters escaped, long text cut. */
static char *clean(const char *s, int quote)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(PARAM_SHOW_MAX * 4 + 16);

	if (quote)
		out[o++] = '"';
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];

		/* cut between characters: a UTF-8 character has at most 3 continuation bytes, so
		 * at most 3 more bytes are copied whatever follows (the buffer is sized for it) */
		if (k >= PARAM_SHOW_MAX && ((c & 0xC0) != 0x80 || k >= PARAM_SHOW_MAX + 3)) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f)
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (quote)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}

char *param_show(const char *s)
{
	return clean(s, 0);
}

static void *field(const struct param *p, void *base)
{
	return (char *)base + p->offset;
}

static const void *cfield(const struct param *p, const void *base)
{
	return (const char *)base + p->offset;
}

static int is_int_type(enum param_type t)
{
	return t == PARAM_U64 || t == PARAM_HEX || t == PARAM_SIZE;
}

static uint64_t max_u64(const struct param *p)
{
	return p->max >= PARAM_U64_MAX ? UINT64_MAX : (uint64_t)p->max;
}

/* An integer as this parameter shows it: sizes with a binary suffix when exact, hex in hex. */
static char *fmt_u64(const struct param *p, uint64_t v)
{
	if (p->type == PARAM_SIZE && v) {
		for (int k = (int)ISM_ARRAY_SIZE(size_suffix) - 1; k >= 0; k--) {
			unsigned shift = 10u * (unsigned)(k + 1);

			if ((v & ((UINT64_C(1) << shift) - 1)) == 0)
				return xasprintf("%" PRIu64 "%s", v >> shift, size_suffix[k]);
		}
	}
	if (p->type == PARAM_HEX)
		return v > UINT32_MAX ? xasprintf("0x%016" PRIx64, v) : xasprintf("0x%" PRIx64, v);
	return xasprintf("%" PRIu64, v);
}

/* A real: short ("1e+06", "0.5") when that is exact, else with up to 15 digits. */
static char *fmt_double(double d)
{
	char *s = xasprintf("%g", d);

	if (strtod(s, NULL) == d)
		return s;
	free(s);
	return xasprintf("%.15g", d);
}

const char *param_type_name(enum param_type t)
{
	switch (t) {
	case PARAM_U64:
		return "u64";
	case PARAM_HEX:
		return "hex";
	case PARAM_SIZE:
		return "size";
	case PARAM_DOUBLE:
		return "double";
	case PARAM_BOOL:
		return "bool";
	case PARAM_STRING:
		return "string";
	}
	return "?";
}

/* What a value of this type looks like, for "expected ..., got ..." messages. */
static const char *type_expect(enum param_type t)
{
	switch (t) {
	case PARAM_U64:
		return "an integer";
	case PARAM_HEX:
		return "an integer or a hex string (\"0x...\")";
	case PARAM_SIZE:
		return "a size (an integer, \"64MiB\" or \"0x...\")";
	case PARAM_DOUBLE:
		return "a number";
	case PARAM_BOOL:
		return "true or false";
	case PARAM_STRING:
		return "a string";
	}
	return "?";
}

const char *param_json_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* The unit as appended to a range: none for sizes (their suffix is the unit) and hex. */
static const char *range_unit(const struct param *p)
{
	if (p->type == PARAM_SIZE || p->type == PARAM_HEX || !p->unit || !*p->unit)
		return NULL;
	return p->unit;
}

char *param_format_range(const struct param *p)
{
	char *r, *t, *lo, *hi;
	const char *u = range_unit(p);

	switch (p->type) {
	case PARAM_BOOL:
		return xstrdup("true or false");
	case PARAM_STRING:
		return xstrdup("any text");
	case PARAM_DOUBLE:
		lo = fmt_double(p->min);
		hi = fmt_double(p->max);
		r = xasprintf("%s%s..%s%s%s", p->flags & PARAM_ZERO ? "0 or " : "", lo, hi,
			      u ? " " : "", u ? u : "");
		free(lo);
		free(hi);
		return r;
	default:
		break;
	}
	if (p->allowed) {
		r = xstrdup("");
		for (unsigned k = 0; p->allowed[k]; k++) {
			char *v = fmt_u64(p, p->allowed[k]);

			t = xasprintf("%s%s%s", r, k == 0 ? "" : p->allowed[k + 1] ? ", " : " or ", v);
			free(v);
			free(r);
			r = t;
		}
	} else {
		lo = fmt_u64(p, (uint64_t)p->min);
		hi = fmt_u64(p, max_u64(p));
		r = xasprintf("%s%s..%s", p->flags & PARAM_ZERO && p->min > 0 ? "0 or " : "", lo, hi);
		free(lo);
		free(hi);
	}
	if (u) {
		t = xasprintf("%s %s", r, u);
		free(r);
		r = t;
	}
	if (p->flags & PARAM_POW2) {
		t = xasprintf("%s, a power of two", r);
		free(r);
		r = t;
	}
	if (p->multiple > 1) {
		char *m = fmt_u64(p, p->multiple);

		t = xasprintf("%s, a multiple of %s", r, m);
		free(m);
		free(r);
		r = t;
	}
	return r;
}

char *param_format_default(const struct param *p)
{
	switch (p->type) {
	case PARAM_DOUBLE:
		return fmt_double(p->def.d);
	case PARAM_BOOL:
		return xstrdup(p->def.b ? "true" : "false");
	case PARAM_STRING:
		return xasprintf("\"%s\"", p->def.s ? p->def.s : "");
	default:
		return fmt_u64(p, p->def.u);
	}
}

char *param_format_value(const struct param *p, const void *base)
{
	const void *f = cfield(p, base);

	switch (p->type) {
	case PARAM_DOUBLE:
		return fmt_double(*(const double *)f);
	case PARAM_BOOL:
		return xstrdup(*(const int *)f ? "true" : "false");
	case PARAM_STRING:
		return xstrdup(*(char *const *)f ? *(char *const *)f : "");
	default:
		return fmt_u64(p, *(const uint64_t *)f);
	}
}

/* ---- checking values ---------------------------------------------------------------- */

/* Check integer @v against @p; on failure *why = message (without the path), returns -ISM_E*. */
static int check_u64(const struct param *p, uint64_t v, const char *shown, char **why)
{
	char *range, *m;

	if (v == 0 && p->flags & PARAM_ZERO)
		return 0;
	if (p->allowed) {
		unsigned k;

		for (k = 0; p->allowed[k] && p->allowed[k] != v; k++)
			;
		if (!p->allowed[k]) {
			range = param_format_range(p);
			*why = xasprintf("%s is not allowed (%s)", shown, range);
			free(range);
			return -ISM_ERANGE;
		}
	}
	if ((double)v < p->min || v > max_u64(p)) {
		range = param_format_range(p);
		*why = xasprintf("%s out of range (%s)", shown, range);
		free(range);
		return -ISM_ERANGE;
	}
	if (p->flags & PARAM_POW2 && (v & (v - 1))) {
		*why = xasprintf("%s is not a power of two", shown);
		return -ISM_ERANGE;
	}
	if (p->multiple > 1 && v % p->multiple) {
		m = fmt_u64(p, p->multiple);
		*why = xasprintf("%s is not a multiple of %s", shown, m);
		free(m);
		return -ISM_ERANGE;
	}
	if (p->check && p->check(v, &m)) {
		*why = xasprintf("%s %s", shown, m);
		free(m);
		return -ISM_ERANGE;
	}
	return 0;
}

static int check_double(const struct param *p, double d, const char *shown, char **why)
{
	char *range;

	if (!isfinite(d)) {
		*why = xasprintf("%s is not a finite number", shown);
		return -ISM_ERANGE;
	}
	if (d == 0 && p->flags & PARAM_ZERO)
		return 0;
	if (d < p->min || d > p->max) {
		range = param_format_range(p);
		*why = xasprintf("%s out of range (%s)", shown, range);
		free(range);
		return -ISM_ERANGE;
	}
	return 0;
}

/* A real number where an integer is wanted: integral, finite, 0..2^64-1. */
static int real_to_u64(const struct param *p, double d, const char *shown, uint64_t *out,
		       char **why)
{
	char *range;

	if (!isfinite(d)) {
		*why = xasprintf("%s is not a finite number", shown);
		return -ISM_ERANGE;
	}
	if (d != floor(d)) {
		*why = xasprintf("%s is not an integer", shown);
		return -ISM_ERANGE;
	}
	if (d < 0 || d >= PARAM_U64_MAX) {
		range = param_format_range(p);
		*why = xasprintf("%s out of range (%s)", shown, range);
		free(range);
		return -ISM_ERANGE;
	}
	*out = (uint64_t)d;
	return 0;
}

static int parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *q;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !isxdigit((unsigned char)s[2]))
		return -ISM_ECORRUPT;
	for (q = s + 2; isxdigit((unsigned char)*q); q++) {
		unsigned h = isdigit((unsigned char)*q) ? (unsigned)(*q - '0')
							: (unsigned)(tolower((unsigned char)*q) - 'a' + 10);

		if (v >> 60)
			return -ISM_ERANGE;
		v = v << 4 | h;
	}
	if (*q)
		return -ISM_ECORRUPT;
	*out = v;
	return 0;
}

/* Decimal digits only: 0, -ISM_ECORRUPT (not digits), -ISM_ERANGE (overflow). */
static int parse_dec(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *q;

	if (!isdigit((unsigned char)*s))
		return -ISM_ECORRUPT;
	for (q = s; isdigit((unsigned char)*q); q++) {
		unsigned d = (unsigned)(*q - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ISM_ERANGE;
		v = v * 10 + d;
	}
	*end = q;
	*out = v;
	return 0;
}

int param_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int r;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_hex(s, out);
	r = parse_dec(s, &end, &v);
	if (r)
		return r;
	if (*end) {
		size_t k;

		for (k = 0; k < ISM_ARRAY_SIZE(size_suffix); k++)
			if (strcmp(end, size_suffix[k]) == 0)
				break;
		if (k == ISM_ARRAY_SIZE(size_suffix))
			return -ISM_ECORRUPT;
		if (v > UINT64_MAX >> (10 * (k + 1)))
			return -ISM_ERANGE;
		v <<= 10 * (k + 1);
	}
	*out = v;
	return 0;
}

/* "64MB", "64m", "64 MiB" -> a malloc'd "64MiB", or NULL when @s does not look like that. */
static char *size_hint(const char *s)
{
	const char *q = s, *u;
	size_t n;

	while (isdigit((unsigned char)*q))
		q++;
	if (q == s)
		return NULL;
	n = (size_t)(q - s);
	while (*q == ' ')
		q++;
	u = strchr("KMGTPE", toupper((unsigned char)*q));
	if (!*q || !u)
		return NULL;
	q++;
	if (strcasecmp(q, "") && strcasecmp(q, "b") && strcasecmp(q, "ib"))
		return NULL;
	return xasprintf("%.*s%ciB", (int)n, s, *u);
}

/* A string where an integer of a HEX or SIZE parameter is wanted. */
static int string_to_u64(const struct param *p, const char *s, const char *shown, uint64_t *out,
			 char **why)
{
	const char *end;
	char *hint;
	int r;

	if (p->type == PARAM_SIZE) {
		r = param_parse_size(s, out);
	} else {
		r = parse_hex(s, out);
		if (r == -ISM_ECORRUPT) {
			r = parse_dec(s, &end, out);
			if (!r && *end)
				r = -ISM_ECORRUPT;
		}
	}
	if (r == -ISM_ERANGE) {
		*why = xasprintf("%s is too large (more than 2^64-1)", shown);
		return r;
	}
	if (r == 0)
		return 0;
	if (p->type == PARAM_HEX) {
		*why = xasprintf("%s is not an integer (use decimal digits or 0x<hex>)", shown);
		return -ISM_ECORRUPT;
	}
	hint = size_hint(s);
	if (hint)
		*why = xasprintf("%s is not a size; did you mean \"%s\"?", shown, hint);
	else
		*why = xasprintf("%s is not a size (use an integer, <n>KiB, MiB, GiB, TiB, PiB, "
				 "EiB or 0x<hex>)", shown);
	free(hint);
	return -ISM_ECORRUPT;
}

/* "expected an integer, got the string "4"" */
static char *type_error(const struct param *p, const json_t *v)
{
	char *shown, *why;

	if (!json_is_string(v))
		return xasprintf("expected %s, got %s", type_expect(p->type), param_json_type(v));
	shown = clean(json_string_value(v), 1);
	why = xasprintf("expected %s, got the string %s", type_expect(p->type), shown);
	free(shown);
	return why;
}

/* Store a validated value. */
static void store_u64(const struct param *p, void *base, uint64_t v)
{
	*(uint64_t *)field(p, base) = v;
}

static void store_string(const struct param *p, void *base, const char *s)
{
	char **f = field(p, base);

	free(*f);
	*f = xstrdup(s);
}

/* Validate and store the JSON value @v for @p. On error *why and -ISM_E*. */
static int set_from_json(const struct param *p, void *base, json_t *v, char **why)
{
	uint64_t u = 0;
	char *shown;
	double d;
	int r;

	switch (p->type) {
	case PARAM_U64:
	case PARAM_HEX:
	case PARAM_SIZE:
		if (json_is_integer(v)) {
			json_int_t i = json_integer_value(v);

			shown = xasprintf("%" JSON_INTEGER_FORMAT, i);
			if (i < 0) {
				char *range = param_format_range(p);

				*why = xasprintf("%s out of range (%s)", shown, range);
				free(range);
				free(shown);
				return -ISM_ERANGE;
			}
			u = (uint64_t)i;
			r = 0;
		} else if (json_is_real(v)) {
			shown = fmt_double(json_real_value(v));
			r = real_to_u64(p, json_real_value(v), shown, &u, why);
		} else if (json_is_string(v) && p->type != PARAM_U64) {
			shown = clean(json_string_value(v), 1);
			r = string_to_u64(p, json_string_value(v), shown, &u, why);
		} else {
			*why = type_error(p, v);
			return -ISM_ECORRUPT;
		}
		if (!r)
			r = check_u64(p, u, shown, why);
		free(shown);
		if (!r)
			store_u64(p, base, u);
		return r;
	case PARAM_DOUBLE:
		if (!json_is_number(v)) {
			*why = type_error(p, v);
			return -ISM_ECORRUPT;
		}
		d = json_number_value(v);
		shown = json_is_integer(v) ? xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v))
					   : fmt_double(d);
		r = check_double(p, d, shown, why);
		free(shown);
		if (!r)
			*(double *)field(p, base) = d;
		return r;
	case PARAM_BOOL:
		if (!json_is_boolean(v)) {
			*why = type_error(p, v);
			return -ISM_ECORRUPT;
		}
		*(int *)field(p, base) = json_is_true(v);
		return 0;
	case PARAM_STRING:
		if (!json_is_string(v)) {
			*why = type_error(p, v);
			return -ISM_ECORRUPT;
		}
		store_string(p, base, json_string_value(v));
		return 0;
	}
	return -ISM_ECORRUPT;
}

/* Parse @s as a decimal real number (digits, sign, point, exponent) or nan/inf. 0, or -1. */
static int parse_real(const char *s, double *d)
{
	const char *t = s + (*s == '+' || *s == '-');
	char *end;

	if (!*s)
		return -1;
	if (strspn(s, "+-0123456789.eE") != strlen(s) && strcasecmp(t, "nan") &&
	    strcasecmp(t, "inf") && strcasecmp(t, "infinity"))
		return -1;
	*d = strtod(s, &end);
	return end != s && !*end ? 0 : -1;
}

/* Validate and store the text value @s for @p (param_set). */
static int set_from_text(const struct param *p, void *base, const char *s, char **why)
{
	char *shown = *s ? clean(s, 0) : xstrdup("\"\"");
	const char *dend;
	uint64_t u = 0;
	double d;
	int r;

	switch (p->type) {
	case PARAM_U64:
	case PARAM_HEX:
	case PARAM_SIZE:
		r = parse_dec(s, &dend, &u);
		if (r == 0 && *dend)
			r = -ISM_ECORRUPT;
		if (r == -ISM_ERANGE) {
			*why = xasprintf("%s is too large (more than 2^64-1)", shown);
			break;
		}
		if (r && p->type != PARAM_U64) {
			r = string_to_u64(p, s, shown, &u, why);
			if (r == -ISM_ECORRUPT && parse_real(s, &d) == 0) {
				free(*why);
				*why = NULL;
				r = real_to_u64(p, d, shown, &u, why);
			}
		} else if (r) {
			if (parse_real(s, &d) == 0) {
				r = real_to_u64(p, d, shown, &u, why);
			} else {
				*why = xasprintf("%s is not an integer", shown);
				r = -ISM_ECORRUPT;
			}
		}
		if (!r)
			r = check_u64(p, u, shown, why);
		if (!r)
			store_u64(p, base, u);
		break;
	case PARAM_DOUBLE:
		if (parse_real(s, &d) < 0) {
			*why = xasprintf("%s is not a number", shown);
			r = -ISM_ECORRUPT;
			break;
		}
		r = check_double(p, d, shown, why);
		if (!r)
			*(double *)field(p, base) = d;
		break;
	case PARAM_BOOL:
		if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
			*(int *)field(p, base) = s[0] == 't';
			r = 0;
		} else {
			*why = xasprintf("%s is not true or false", shown);
			r = -ISM_ECORRUPT;
		}
		break;
	case PARAM_STRING:
		store_string(p, base, s);
		r = 0;
		break;
	default:
		*why = xstrdup("bad parameter type");
		r = -ISM_ECORRUPT;
	}
	free(shown);
	return r;
}

/* ---- tables ------------------------------------------------------------------------- */

/* @path is below group @prefix ("" = the top, which holds everything). */
static int below(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!n)
		return 1;
	return strncmp(path, prefix, n) == 0 && path[n] == '.';
}

/* The component of @path right below @prefix, copied into @buf. */
static const char *child(const char *path, const char *prefix, char *buf, size_t len)
{
	const char *rest = path + (*prefix ? strlen(prefix) + 1 : 0);
	size_t n = strcspn(rest, ".");

	if (n >= len)
		n = len - 1;
	memcpy(buf, rest, n);
	buf[n] = '\0';
	return buf;
}

const struct param *param_find(const struct param *tab, const char *path)
{
	for (const struct param *p = tab; p->path; p++)
		if (strcmp(p->path, path) == 0)
			return p;
	return NULL;
}

/* The first parameter below group @path, or NULL when @path is no group. */
static const struct param *group_first(const struct param *tab, const char *path)
{
	for (const struct param *p = tab; p->path; p++)
		if (*path && below(p->path, path))
			return p;
	return NULL;
}

/* Append a copy of @s to the set @set of @n strings unless it is there; return the new count. */
static unsigned add_unique(char ***set, unsigned n, const char *s)
{
	for (unsigned k = 0; k < n; k++)
		if (strcmp((*set)[k], s) == 0)
			return n;
	*set = xreallocarray(*set, n + 1, sizeof(**set));
	(*set)[n] = xstrdup(s);
	return n + 1;
}

/*
 * Near-miss among the keys allowed below @prefix (@extra first at the top): the closest one at
 * edit distance < 3 (the first in table order on a tie), malloc'd; or NULL. With @list, also a
 * malloc'd ", "-separated list of those keys when there are at most PARAM_LIST_SIBLINGS.
 */
static char *suggest_sibling(const struct param *tab, const char *prefix, const char *key,
			     const char *const *extra, char **list)
{
	char buf[256], *best = NULL, *l = NULL;
	unsigned best_d = 3, n = 0;
	char **seen = NULL;

	/* the distinct keys at this level: the caller's extra keys, then the table's in order */
	for (; !*prefix && extra && *extra; extra++)
		n = add_unique(&seen, n, *extra);
	for (const struct param *p = tab; p->path; p++)
		if (below(p->path, prefix))
			n = add_unique(&seen, n, child(p->path, prefix, buf, sizeof(buf)));
	for (unsigned k = 0; k < n; k++) {
		unsigned d = ism_edit_distance(key, seen[k]);

		if (d < best_d) {
			best_d = d;
			best = seen[k];
		}
	}
	best = best ? xstrdup(best) : NULL;
	if (list && n && n <= PARAM_LIST_SIBLINGS) {
		l = xstrdup(seen[0]);
		for (unsigned k = 1; k < n; k++) {
			char *t = xasprintf("%s, %s", l, seen[k]);

			free(l);
			l = t;
		}
	}
	if (list)
		*list = l;
	for (unsigned k = 0; k < n; k++)
		free(seen[k]);
	free(seen);
	return best;
}

void param_defaults(const struct param *tab, void *base)
{
	for (const struct param *p = tab; p->path; p++) {
		switch (p->type) {
		case PARAM_DOUBLE:
			*(double *)field(p, base) = p->def.d;
			break;
		case PARAM_BOOL:
			*(int *)field(p, base) = !!p->def.b;
			break;
		case PARAM_STRING:
			*(char **)field(p, base) = xstrdup(p->def.s ? p->def.s : "");
			break;
		default:
			store_u64(p, base, p->def.u);
		}
	}
}

void param_free(const struct param *tab, void *base)
{
	for (const struct param *p = tab; p->path; p++) {
		if (p->type == PARAM_STRING) {
			char **f = field(p, base);

			free(*f);
			*f = NULL;
		}
	}
}

int param_table_check(const struct param *tab, char **cause)
{
	for (const struct param *p = tab; p->path; p++) {
		const char *s = p->path;
		char *why = NULL, *shown;
		int r = 0;

		if (!*s || *s == '.' || s[strlen(s) - 1] == '.' || strstr(s, "..") ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(s)) {
			*cause = xasprintf("%s: malformed path", s);
			return -ISM_EUSAGE;
		}
		if (param_find(tab, s) != p) {
			*cause = xasprintf("%s: duplicate path", s);
			return -ISM_EUSAGE;
		}
		if (group_first(tab, s)) {
			*cause = xasprintf("%s: both a parameter and a group", s);
			return -ISM_EUSAGE;
		}
		if (!p->help || !*p->help || !p->source || !*p->source || !p->unit) {
			*cause = xasprintf("%s: help, source or unit missing", s);
			return -ISM_EUSAGE;
		}
		if (p->min > p->max || ((p->allowed || p->multiple || p->check || p->flags & PARAM_POW2) &&
					 !is_int_type(p->type))) {
			*cause = xasprintf("%s: bad range or integer-only checks on a %s", s,
					   param_type_name(p->type));
			return -ISM_EUSAGE;
		}
		shown = param_format_default(p);
		if (is_int_type(p->type))
			r = check_u64(p, p->def.u, shown, &why);
		else if (p->type == PARAM_DOUBLE)
			r = check_double(p, p->def.d, shown, &why);
		free(shown);
		if (r) {
			*cause = xasprintf("%s: default: %s", s, why);
			free(why);
			return -ISM_EUSAGE;
		}
	}
	return 0;
}

/* ---- loading JSON ------------------------------------------------------------------- */

struct loader {
	const struct param *tab;
	void *base;
	const struct param_src *src;
	const char *keys[PARAM_MAX_DEPTH];
	unsigned depth;
};

/* "FILE:LINE:COL: path: why" for the member keys[0..n) (its key, or its value). */
static char *error_at(const struct param_src *src, const char *const *keys, unsigned n,
		      int at_value, const char *why)
{
	struct jsonpos k, v;
	char *path = xstrdup(""), *out;

	for (unsigned i = 0; i < n; i++) {
		char *c = clean(keys[i], 0), *t = xasprintf("%s%s%s", path, i ? "." : "", c);

		free(c);
		free(path);
		path = t;
	}
	if (src->text && jsonpos_find(src->text, src->len, keys, n, &k, &v) == 0) {
		out = xasprintf("%s:%u:%u: %s: %s", src->file, at_value ? v.line : k.line,
				at_value ? v.col : k.col, path, why);
	} else {
		out = xasprintf("%s: %s: %s", src->file, path, why);
	}
	free(path);
	return out;
}

char *param_src_error(const struct param_src *src, const char *path, int at_value,
		      const char *fmt, ...)
{
	const char *keys[PARAM_MAX_DEPTH];
	char *copy = xstrdup(path), *why, *out, *save = NULL;
	unsigned n = 0;
	va_list ap;

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	for (char *c = strtok_r(copy, ".", &save); c && n < PARAM_MAX_DEPTH;
	     c = strtok_r(NULL, ".", &save))
		keys[n++] = c;
	out = error_at(src, keys, n, at_value, why);
	free(why);
	free(copy);
	return out;
}

static int load_object(struct loader *L, json_t *obj, const char *prefix, char **cause)
{
	const char *key;
	json_t *val;

	json_object_foreach(obj, key, val) {
		const struct param *p = NULL;
		char *full, *why = NULL, *hint, *list = NULL;
		int r = 0, group = 0, extra = 0;

		if (L->depth >= PARAM_MAX_DEPTH) {
			*cause = error_at(L->src, L->keys, L->depth, 1, "nested too deeply");
			return -ISM_ECORRUPT;
		}
		L->keys[L->depth++] = key;
		full = *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
		if (*key && !strchr(key, '.')) {
			p = param_find(L->tab, full);
			group = !p && group_first(L->tab, full);
		}
		if (!p && !group && L->depth == 1 && L->src->extra_keys)
			for (const char *const *e = L->src->extra_keys; *e; e++)
				extra |= strcmp(*e, key) == 0;
		if (p) {
			r = set_from_json(p, L->base, val, &why);
			if (r)
				*cause = error_at(L->src, L->keys, L->depth, 1, why);
		} else if (group) {
			if (json_is_object(val)) {
				r = load_object(L, val, full, cause);
			} else {
				why = xasprintf("expected an object, got %s", param_json_type(val));
				*cause = error_at(L->src, L->keys, L->depth, 1, why);
				r = -ISM_ECORRUPT;
			}
		} else if (!extra) {
			hint = suggest_sibling(L->tab, prefix, key, L->src->extra_keys, &list);
			if (strchr(key, '.'))
				why = xstrdup("unknown key; nest objects instead of dotted keys");
			else if (hint)
				why = xasprintf("unknown key; did you mean '%s'?", hint);
			else if (list)
				why = xasprintf("unknown key; expected one of: %s", list);
			else
				why = xstrdup("unknown key");
			*cause = error_at(L->src, L->keys, L->depth, 0, why);
			free(hint);
			free(list);
			r = -ISM_ECORRUPT;
		}
		free(why);
		free(full);
		L->depth--;
		if (r)
			return r;
	}
	return 0;
}

int param_load_json(const struct param *tab, void *base, json_t *obj, const struct param_src *src,
		    char **cause)
{
	struct loader L = { .tab = tab, .base = base, .src = src };

	if (!json_is_object(obj)) {
		*cause = xasprintf("%s: expected an object, got %s", src->file, param_json_type(obj));
		return -ISM_ECORRUPT;
	}
	return load_object(&L, obj, "", cause);
}

/* ---- setting from text -------------------------------------------------------------- */

/* For an unknown @path: the closest full path (distance < 3), else one ending in .@path. */
static const char *suggest_path(const struct param *tab, const char *path)
{
	const struct param *best = NULL;
	unsigned best_d = 3;
	size_t n = strlen(path);

	for (const struct param *p = tab; p->path; p++) {
		unsigned d = ism_edit_distance(path, p->path);

		if (d < best_d) {
			best_d = d;
			best = p;
		}
	}
	if (best)
		return best->path;
	for (const struct param *p = tab; p->path; p++) {
		size_t l = strlen(p->path);

		if (l > n && p->path[l - n - 1] == '.' && strcmp(p->path + l - n, path) == 0)
			return p->path;
	}
	return NULL;
}

int param_set(const struct param *tab, void *base, const char *path, const char *value,
	      char **cause)
{
	const struct param *p;
	char *owned = NULL, *shown, *why = NULL;
	const char *hint;
	int r;

	if (!value) {
		const char *eq = strchr(path, '=');

		if (!eq) {
			shown = clean(path, 0);
			*cause = xasprintf("%s: expected PATH=VALUE", shown);
			free(shown);
			return -ISM_EUSAGE;
		}
		owned = xstrndup(path, (size_t)(eq - path));
		path = owned;
		value = eq + 1;
	}
	shown = clean(path, 0);
	p = param_find(tab, path);
	if (!p) {
		const struct param *g = group_first(tab, path);

		if (g)
			*cause = xasprintf("%s: a group of parameters, not a parameter (e.g. %s)", shown,
					   g->path);
		else if ((hint = suggest_path(tab, path)))
			*cause = xasprintf("%s: unknown parameter; did you mean '%s'?", shown, hint);
		else
			*cause = xasprintf("%s: unknown parameter", shown);
		r = -ISM_EUSAGE;
	} else {
		r = set_from_text(p, base, value, &why);
		if (r)
			*cause = xasprintf("%s: %s", shown, why);
	}
	free(why);
	free(shown);
	free(owned);
	return r;
}

/* ---- printing ----------------------------------------------------------------------- */

void param_print(FILE *out, const struct param *tab, int verbose)
{
	int w = 4;

	for (const struct param *p = tab; p->path; p++)
		if ((int)strlen(p->path) > w)
			w = (int)strlen(p->path);
	if (!verbose)
		fprintf(out, "%-*s  %-6s  %-20s  %s\n", w, "PATH", "TYPE", "DEFAULT", "UNIT");
	for (const struct param *p = tab; p->path; p++) {
		char *def = param_format_default(p), *range;

		if (!verbose) {
			char *line = xasprintf("%-*s  %-6s  %-20s  %s", w, p->path,
					       param_type_name(p->type), def, p->unit);
			size_t n = strlen(line);

			while (n && line[n - 1] == ' ')
				line[--n] = '\0';
			fprintf(out, "%s\n", line);
			free(line);
			free(def);
			continue;
		}
		range = param_format_range(p);
		fprintf(out, "%s (%s%s%s)\n", p->path, param_type_name(p->type), *p->unit ? ", " : "",
			p->unit);
		fprintf(out, "    default: %s\n", def);
		fprintf(out, "    range:   %s\n", range);
		fprintf(out, "    source:  %s\n", p->source);
		fprintf(out, "    %s\n", p->help);
		free(range);
		free(def);
	}
}
