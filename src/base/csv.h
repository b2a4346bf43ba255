/*
 * csv.h: writing CSV that any reader takes without options (RFC 4180): a header row of
 * unique names, no comment lines, fields quoted only where they must be, integers for counts,
 * nanoseconds and bytes, and never an exponent.
 */
#ifndef ISM_CSV_H
#define ISM_CSV_H

#include <stdint.h>
#include <stdio.h>

/* A text field, quoted when it holds a comma, a quote or a line break. */
void csv_str(FILE *out, const char *s);
/* A number rounded to an integer ("%.0f"; NaN: an empty field). */
void csv_int(FILE *out, double v);
void csv_u64(FILE *out, uint64_t v);
/* A number with up to @digits significant digits, no exponent (NaN: an empty field). */
void csv_num(FILE *out, double v, int digits);
/* The separator before every field but a row's first: call with the field's index. */
static inline void csv_sep(FILE *out, unsigned i)
{
	if (i)
		fputc(',', out);
}

#endif
