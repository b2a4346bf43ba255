/*
 * util.h: allocation that aborts on out-of-memory, string helpers, growable buffers.
 */
#ifndef ISM_UTIL_H
#define ISM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ISM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ISM_PRINTF(f, a) __attribute__((format(printf, f, a)))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t sz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) ISM_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) ISM_PRINTF(1, 0);

/*
 * Warnings from the library (a cut trace read anyway, ...): passed to the handler the program
 * installs (the CLI prints them on stderr); without one they are dropped.
 */
void ism_set_warn_handler(void (*fn)(const char *msg));
void ism_lib_warn(const char *fmt, ...) ISM_PRINTF(1, 2);

/* "1.5 MiB" (binary units, one decimal) into @buf. */
const char *ism_human_bytes(uint64_t b, char *buf, size_t len);

/* Levenshtein distance, for near-miss suggestions. */
unsigned ism_edit_distance(const char *a, const char *b);

/* Device name interning: id 0 is "no device"; ids count up from 1 in first-seen order. */
struct ism_devtab {
	char **names;
	uint32_t *hash; /* open-addressing table of ids */
	unsigned n, cap, hcap;
};
void devtab_init(struct ism_devtab *t);
void devtab_free(struct ism_devtab *t);
/* Returns the id for @name (interning it), or -1 when the table is full (65535 names). */
int devtab_intern(struct ism_devtab *t, const char *name, size_t len);
const char *devtab_name(const struct ism_devtab *t, unsigned id);

/* The longest run of set bits in @x (the TCE and swiotlb searches' free-run summaries). */
static inline unsigned ism_longest_ones(uint64_t x)
{
	uint64_t p[6], y;
	unsigned k = 0, len;

	if (!x || x == ~0ull)
		return x ? 64 : 0;
	/* p[k]: bit i set when bits i .. i + 2^k - 1 are all set */
	p[0] = x;
	while (k < 5 && (p[k] & (p[k] >> (1u << k)))) {
		p[k + 1] = p[k] & (p[k] >> (1u << k));
		k++;
	}
	y = p[k];
	len = 1u << k;
	for (unsigned j = k; j-- > 0;) {
		uint64_t z = y & (p[j] >> len);

		if (z) {
			y = z;
			len += 1u << j;
		}
	}
	return len;
}

#endif
