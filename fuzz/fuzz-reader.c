/*
 * fuzz-reader.c: libFuzzer harness for one reader, chosen at build time with
 * -DISM_FUZZ_FORMAT="native" (or "ftrace", "perf", "perfjson", "bpftrace", "tracedat"; none:
 * the format is detected as the CLI does). The input is read to the end, as a trace and then
 * as a trace allowed to be truncated; any crash, hang, leak or sanitizer report is a bug.
 */
#include "config.h"

#include "fuzz.h"
#include "reader.h"

#ifndef ISM_FUZZ_FORMAT
#define ISM_FUZZ_FORMAT NULL
#endif

static void read_all(const char *path, int allow_truncated)
{
	struct reader *r;
	struct ism_event ev;
	char *cause = NULL;

	reader_allow_truncated(allow_truncated);
	if (reader_open(path, ISM_FUZZ_FORMAT, &r, &cause) == 0) {
		while (reader_next(r, &ev) > 0)
			;
		(void)reader_error(r);
		reader_close(r);
	}
	free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	read_all(path, 0);
	read_all(path, 1);
	close(fd);
	return 0;
}
