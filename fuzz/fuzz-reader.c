/*
 * fuzz-reader.c: libFuzzer harness for one reader, chosen at build time with
 * -DISM_FUZZ_FORMAT="native" (or "ftrace", "tracedat"). The input is written to a temporary
 * file (readers take paths) and read to the end; any crash, hang or sanitizer report is a bug.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "reader.h"

#ifndef ISM_FUZZ_FORMAT
#define ISM_FUZZ_FORMAT NULL
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/ismfuzz-XXXXXX";
	int fd = mkstemp(path);
	struct reader *r;
	struct ism_event ev;
	char *cause = NULL;

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (reader_open(path, ISM_FUZZ_FORMAT, &r, &cause) == 0) {
		while (reader_next(r, &ev) > 0)
			;
		reader_close(r);
	}
	free(cause);
	unlink(path);
	return 0;
}
