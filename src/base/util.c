/*
 * util.c: abort-on-OOM allocation, edit distance and the device-name table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

static const struct {
	int exit;
	const char *msg;
} ism_errtab[] = {
#define ISM_ERR_TAB(n, s, m) {s, m},
	ISM_ERRORS(ISM_ERR_TAB)
#undef ISM_ERR_TAB
};

const char *ism_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= ISM_E__COUNT)
		return "unknown error";
	return ism_errtab[err].msg;
}

int ism_err_exit(int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		return 0;
	if (err >= ISM_E__COUNT)
		return 1;
	return ism_errtab[err].exit;
}

static void (*warn_handler)(const char *msg);

void ism_set_warn_handler(void (*fn)(const char *msg))
{
	warn_handler = fn;
}

void ism_lib_warn(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!warn_handler)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	warn_handler(msg);
	free(msg);
}

static void oom(size_t n)
{
	fprintf(stderr, "iommusim: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom(n * sz);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		oom(SIZE_MAX);
	return xrealloc(p, n * sz);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		oom(0);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

const char *ism_human_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	unsigned i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, len, "%.1f %s", v, u[i]);
	return buf;
}

unsigned ism_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned *row, r;

	if (la > 64 || lb > 64)
		return 64;
	row = xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned up = row[j], best;

			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

/* FNV-1a */
static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

void devtab_init(struct ism_devtab *t)
{
	memset(t, 0, sizeof(*t));
}

void devtab_free(struct ism_devtab *t)
{
	for (unsigned i = 1; i <= t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

static void devtab_rehash(struct ism_devtab *t)
{
	unsigned cap = t->hcap ? t->hcap * 2 : 64;

	free(t->hash);
	t->hash = xcalloc(cap, sizeof(*t->hash));
	t->hcap = cap;
	for (unsigned id = 1; id <= t->n; id++) {
		uint32_t h = name_hash(t->names[id], strlen(t->names[id])) & (cap - 1);

		while (t->hash[h])
			h = (h + 1) & (cap - 1);
		t->hash[h] = id;
	}
}

int devtab_intern(struct ism_devtab *t, const char *name, size_t len)
{
	uint32_t h;

	if (!t->hcap)
		devtab_rehash(t);
	h = name_hash(name, len) & (t->hcap - 1);
	while (t->hash[h]) {
		const char *s = t->names[t->hash[h]];

		if (strlen(s) == len && memcmp(s, name, len) == 0)
			return (int)t->hash[h];
		h = (h + 1) & (t->hcap - 1);
	}
	if (t->n >= 65535)
		return -1;
	if (t->n + 1 >= t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->names = xreallocarray(t->names, t->cap, sizeof(*t->names));
		t->names[0] = NULL;
	}
	t->names[++t->n] = xstrndup(name, len);
	t->hash[h] = t->n;
	if (t->n * 2 >= t->hcap)
		devtab_rehash(t);
	return (int)t->n;
}

const char *devtab_name(const struct ism_devtab *t, unsigned id)
{
	if (id == 0 || id > t->n)
		return "-";
	return t->names[id];
}
