/*
 * csv.c: CSV fields.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "csv.h"

void csv_str(FILE *out, const char *s)
{
	if (!s)
		return;
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void csv_int(FILE *out, double v)
{
	if (isnan(v))
		return;
	v = round(v);
	fprintf(out, "%.0f", v == 0 ? 0.0 : v);   /* no "-0" */
}

void csv_u64(FILE *out, uint64_t v)
{
	fprintf(out, "%" PRIu64, v);
}

void csv_num(FILE *out, double v, int digits)
{
	char buf[64];
	int dec;

	if (isnan(v))
		return;
	if (v == 0 || isinf(v)) {
		fputs(v == 0 ? "0" : v > 0 ? "inf" : "-inf", out);
		return;
	}
	/* decimals for @digits significant digits, then trailing zeros dropped */
	dec = digits - 1 - (int)floor(log10(fabs(v)));
	if (dec < 0)
		dec = 0;
	if (dec > 30)
		dec = 30;
	snprintf(buf, sizeof(buf), "%.*f", dec, v);
	if (strchr(buf, '.')) {
		char *e = buf + strlen(buf) - 1;

		while (*e == '0')
			*e-- = 0;
		if (*e == '.')
			*e = 0;
	}
	fputs(strcmp(buf, "-0") == 0 ? "0" : buf, out);
}
