/*
 * fuzz.h: what the libFuzzer harnesses share. Readers and loaders take paths, so an input is
 * put in an anonymous memory file (memfd_create) and given as /proc/self/fd/N: nothing is
 * written to any folder, even when the harness crashes.
 */
#ifndef ISM_FUZZ_H
#define ISM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* @data as a file: its fd (close it after use) and its path in @path. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t plen)
{
	int fd = memfd_create("ismfuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

/* @data up to its first NUL as a C string (malloc'd). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

#endif
