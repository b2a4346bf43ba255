/*
 * param.h: parameters declared once, as data. A table of struct param rows (one per parameter:
 * dotted JSON path, type, offset of the field, range, default, unit, source of the default,
 * help) drives everything: filling defaults, loading a JSON object strictly, setting one value
 * from "path=value" (--set, sweeps), printing `iommusim list params`, and the test that the man
 * page mentions every path. Used for the scenario (scenario.c) and for strategy params[].
 *
 * Field types: PARAM_U64, PARAM_HEX and PARAM_SIZE store a uint64_t, PARAM_DOUBLE a double,
 * PARAM_BOOL an int (0 or 1), PARAM_STRING a malloc'd char * (param_free() releases it).
 *
 * Errors are one line. From a file: "FILE:LINE:COL: path: message", where LINE:COL is where the
 * offending key (unknown or duplicate key) or value (wrong type, out of range) starts. From
 * param_set(): "path: message".
 */
#ifndef ISM_PARAM_H
#define ISM_PARAM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum param_type {
	PARAM_U64,    /* unsigned integer */
	PARAM_HEX,    /* unsigned integer; JSON may also give a string "0x0800000000000000" */
	PARAM_SIZE,   /* bytes: an integer, "0x...", or "<n>KiB" (KiB MiB GiB TiB PiB EiB) */
	PARAM_DOUBLE, /* finite real number */
	PARAM_BOOL,   /* true or false */
	PARAM_STRING, /* UTF-8 text */
};

/* Flags (bit indexes, then masks). */
enum {
	PARAM_BIT_ZERO, /* 0 is allowed besides min..max and has a meaning (said in help) */
	PARAM_BIT_POW2, /* integer types: a power of two (0 too with PARAM_ZERO) */
	PARAM_BIT_POOL, /* sizes a strategy's pool: a sweep along it gives sizing advice */
};
#define PARAM_ZERO (1u << PARAM_BIT_ZERO)
#define PARAM_POW2 (1u << PARAM_BIT_POW2)
#define PARAM_POOL (1u << PARAM_BIT_POOL)

/* Integers up to 2^64-1: use as max for "no upper limit". */
#define PARAM_U64_MAX 18446744073709551616.0

struct param {
	const char *path;        /* dotted JSON path, "cost.h_put_tce.fixed_ns"; NULL ends a table */
	enum param_type type;
	unsigned flags;          /* PARAM_ZERO, PARAM_POW2, PARAM_POOL */
	size_t offset;           /* of the field in the structure the table describes */
	double min, max;         /* allowed range, inclusive (integers: exact below 2^53) */
	union {
		uint64_t u;      /* U64, HEX, SIZE */
		double d;        /* DOUBLE */
		int b;           /* BOOL */
		const char *s;   /* STRING */
	} def;
	const uint64_t *allowed; /* integer types: the only values allowed, 0-terminated; or NULL */
	uint64_t multiple;       /* integer types: must be a multiple of this (0 = any) */
	/* integer types: further check; nonzero = invalid, with a malloc'd reason in *why */
	int (*check)(uint64_t v, char **why);
	const char *unit;        /* "ns", "bytes", "CPUs", ...; "" when none */
	const char *source;      /* where the default comes from (a DOMAIN.md section, "assumption") */
	const char *help;        /* one line */
};

/* Where a JSON object came from, for error positions. */
struct param_src {
	const char *file;               /* name shown in messages */
	const char *text;               /* the file's text (NULL: messages carry no line and column) */
	size_t len;
	const char *const *extra_keys;  /* top-level keys the caller handles itself: skipped, but
					 * offered as near-miss suggestions; NULL-terminated */
};

/**
 * param_table_check() - check a table itself (like fio's option_init())
 *
 * Paths well formed and unique, no path both a parameter and a group, defaults inside their
 * ranges, min <= max, help/unit/source present. Return: 0, or -ISM_EUSAGE with *@cause.
 */
int param_table_check(const struct param *tab, char **cause);

/* Store every default of @tab into @base (strings are duplicated). */
void param_defaults(const struct param *tab, void *base);

/* Free the PARAM_STRING fields of @base and set them to NULL. */
void param_free(const struct param *tab, void *base);

/* The row for @path, or NULL. */
const struct param *param_find(const struct param *tab, const char *path);

/**
 * param_load_json() - load a JSON object against a table, strictly
 * @tab: the table; its paths are relative to @obj
 * @base: the structure the table's offsets point into (holds defaults beforehand)
 * @obj: the parsed object (parse with JSON_REJECT_DUPLICATES)
 * @src: file name and text, for positions
 * @cause: on error, one line "FILE:LINE:COL: path: message"
 *
 * Unknown keys (with a near-miss suggestion among the keys allowed at that level), wrong types,
 * values out of range, non-integers where integers are required, and strings that are not
 * sizes are errors. Members are checked in document order; the first error is reported.
 * Keys not in the JSON keep their values. Return: 0, -ISM_ECORRUPT (unknown key, wrong type,
 * bad syntax in a string value) or -ISM_ERANGE (a value outside what is allowed).
 */
int param_load_json(const struct param *tab, void *base, json_t *obj, const struct param_src *src,
		    char **cause);

/**
 * param_set() - set one parameter from text (--set, sweeps)
 * @path: dotted path; when @value is NULL, @path is "path=value"
 * @value: the value as text: integers in decimal (sizes and hex parameters also "64MiB",
 *         "0x..."), numbers as strtod() reads them, true/false, or any text for strings
 * @cause: on error "path: message"
 *
 * Validated like param_load_json(). Return: 0, -ISM_EUSAGE (unknown path, no '=') or
 * -ISM_ECORRUPT / -ISM_ERANGE as for param_load_json().
 */
int param_set(const struct param *tab, void *base, const char *path, const char *value,
	      char **cause);

/*
 * Parse a size: "4096", "0x1000", "4KiB" (suffixes KiB MiB GiB TiB PiB EiB, no space). Return 0,
 * -ISM_ECORRUPT when @s is not a size, -ISM_ERANGE when it is above 2^64-1.
 */
int param_parse_size(const char *s, uint64_t *out);

/**
 * param_src_error() - a one-line error message about a member of a loaded file
 * @src: the file
 * @path: dotted path of the member (the path printed, and where to look)
 * @at_value: point at the member's value (1) or at its key (0)
 *
 * Return: malloc'd "FILE:LINE:COL: path: message", or "FILE: path: message" when the member is
 * not in the text (a default, or no text).
 */
char *param_src_error(const struct param_src *src, const char *path, int at_value,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Text forms (malloc'd): the field's current value in @base, the default, the allowed range. */
char *param_format_value(const struct param *p, const void *base);
char *param_format_default(const struct param *p);
char *param_format_range(const struct param *p);
/* "u64", "hex", "size", "double", "bool", "string" */
const char *param_type_name(enum param_type t);
/* What a JSON value is, for messages: "an object", "a number", "null", ... */
const char *param_json_type(const json_t *v);

/* Print the table: path, type, default and unit; @verbose adds range, source and help. */
void param_print(FILE *out, const struct param *tab, int verbose);

/* @s for a one-line message: control characters escaped, cut after PARAM_SHOW_MAX bytes
 * (48) with "..." (user text such as a strategy spec or a sweep value; free() it). */
char *param_show(const char *s);

#endif
