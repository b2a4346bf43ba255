/*
 * helpers.h: small helpers shared by the Criterion unit tests.
 */
#ifndef ISM_TEST_HELPERS_H
#define ISM_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write @len bytes to a new temporary file; returns its path (malloc'd). */
static inline char *tmp_file(const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (asprintf(&path, "%s/ismtest-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		abort();
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	if (len && write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static inline char *tmp_text(const char *s)
{
	return tmp_file(s, strlen(s));
}

/* Read a whole file (for comparisons); *len gets its size. */
static inline unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

#endif
