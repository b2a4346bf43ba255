/*
 * test-badinput.c: every reader on damaged input (truncated at many points, bytes flipped,
 * random data, empty files, compressed wrappers of all of them): a clean error naming the
 * file, or a clean read; never a crash, a hang or a sanitizer report. Deterministic: the
 * damage comes from a fixed-seed generator.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <lzma.h>
#include <zstd.h>

#include "error.h"
#include "native.h"
#include "reader.h"
#include "helpers.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Read @path to the end; returns the final status, checks the error message. */
static int read_to_end(const char *path, const char *format)
{
	struct reader *r;
	struct ism_event ev;
	char *cause = NULL;
	uint64_t n = 0;
	int ret = reader_open(path, format, &r, &cause);

	if (ret < 0) {
		cr_assert_not_null(cause, "open failed without a message");
		cr_expect_not_null(strstr(cause, path), "message does not name the file: %s", cause);
		cr_expect_null(strchr(cause, '\n'), "message is not one line: %s", cause);
		free(cause);
		return ret;
	}
	while ((ret = reader_next(r, &ev)) > 0) {
		/* every event must be internally consistent */
		cr_assert(ev.kind > 0 && ev.kind < ISM_EV__COUNT);
		cr_assert(ev.dir <= ISM_DIR_UNKNOWN);
		cr_assert(ev.nsg == 0 || ev.sg != NULL);
		cr_assert(ev.kind != ISM_EV_MARKER || ev.text != NULL);
		/* the limits of the event model (reader.h) hold for every event returned */
		cr_assert(ev.ts_ns <= ISM_MAX_TS);
		cr_assert(!ism_kind_has_sg(ev.kind) ||
			  (ev.nents <= ISM_MAX_SG_ENTS && ev.ents <= ISM_MAX_SG_ENTS));
		cr_assert_lt(n++, 100000000ull, "reader does not terminate");
	}
	if (ret < 0) {
		const char *m = reader_error(r);

		cr_expect_not_null(strstr(m, path), "message does not name the file: %s", m);
		cr_expect_null(strchr(m, '\n'), "message is not one line: %s", m);
		cr_expect(ret == -ISM_ECORRUPT || ret == -ISM_ETRUNCATED || ret == -ISM_EFORMAT ||
			  ret == -ISM_EVERSION || ret == -ISM_EUNSUPPORTED || ret == -ISM_ETOOMANY ||
			  ret == -ISM_ERANGE,
			  "unexpected error %d: %s", ret, m);
	}
	reader_close(r);
	return ret;
}

static void try_bytes(const unsigned char *data, size_t len, const char *format)
{
	char *p = tmp_file(data, len);

	read_to_end(p, format);
	unlink(p);
	free(p);
}

static unsigned char *compress_xz(const unsigned char *s, size_t len, size_t *out)
{
	size_t cap = len + len / 2 + 65536, pos = 0;
	unsigned char *b = malloc(cap);

	cr_assert_eq(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, s, len, b, &pos, cap),
		     LZMA_OK);
	*out = pos;
	return b;
}

static unsigned char *compress_zstd(const unsigned char *s, size_t len, size_t *out)
{
	size_t cap = ZSTD_compressBound(len);
	unsigned char *b = malloc(cap);

	*out = ZSTD_compress(b, cap, s, len, 1);
	cr_assert(!ZSTD_isError(*out));
	return b;
}

/* Damage @data in many ways and read each result with @format (NULL = detect). */
static void torture(const unsigned char *data, size_t len, const char *format, int rounds)
{
	unsigned char *copy = malloc(len ? len : 1);

	/* truncations */
	for (int i = 0; i < rounds; i++)
		try_bytes(data, len ? (size_t)(rng() % len) : 0, format);
	/* flipped bytes, a few at a time */
	for (int i = 0; i < rounds; i++) {
		memcpy(copy, data, len);
		for (int k = 0; k < 1 + (int)(rng() % 8) && len; k++)
			copy[rng() % len] ^= (unsigned char)(1 + rng() % 255);
		try_bytes(copy, len, format);
	}
	/* the same inside a compressed wrapper, and a truncated wrapper */
	for (int i = 0; i < 3; i++) {
		size_t zl;
		unsigned char *z;

		memcpy(copy, data, len);
		if (i && len)
			copy[rng() % len] ^= 0xff;
		z = compress_xz(copy, len, &zl);
		try_bytes(z, zl, format);
		try_bytes(z, zl / 2, format);
		free(z);
		z = compress_zstd(copy, len, &zl);
		try_bytes(z, zl, format);
		try_bytes(z, zl / 2, format);
		free(z);
	}
	free(copy);
}

static const char sample_text[] =
	"# tracer: nop\n#\n"
	"          <idle>-0       [000] d....     0.000001: hcall_entry: opcode=32\n"
	"          <idle>-0       [000] d....     0.000002: hcall_exit: opcode=32 retval=0\n"
	"          insmod-174     [000] d....     4.490727: dma_map_page: 0000:00:00.0 dir=TO_DEVICE "
	"dma_addr=80000001eeac0f8 size=16 phys_addr=1eeac0f8 attrs=\n"
	"              dd-234     [000] .....     8.447315: dma_map_sg: 0000:00:01.0 dir=TO_DEVICE "
	"nents=2/2 ents=1/1 dma_addrs={0x80000002fb52000} sizes={0x2000} "
	"phys_addrs={0x2fb52000,0x2fb53000} attrs=NO_WARN\n"
	"CPU:1 [LOST 3 EVENTS]\n"
	"            init-1       [001] .....     6.959043: tracing_mark_write: iommusim phase=x\n"
	"          insmod-174     [001] d.h..     9.493343: dma_unmap_page: 0000:00:00.0 dir=TO_DEVICE "
	"dma_addr=80000001eeac0f8 size=16 attrs=SKIP_CPU_SYNC\n";

/* A native file converted from the sample text. */
static unsigned char *sample_native(size_t *len)
{
	char *src = tmp_text(sample_text), *dst = tmp_file("", 0), *cause = NULL;
	struct reader *r;
	struct ism_writer *w;
	struct ism_event ev;
	unsigned char *data;

	cr_assert_eq(reader_open(src, NULL, &r, &cause), 0);
	cr_assert_eq(writer_open(dst, r, &w, &cause), 0);
	while (reader_next(r, &ev) > 0)
		writer_write(w, &ev, reader_dev_name(r, ev.dev));
	cr_assert_eq(writer_close(w, &cause), 0);
	reader_close(r);
	data = slurp(dst, len);
	unlink(src);
	unlink(dst);
	free(src);
	free(dst);
	return data;
}

Test(badinput, empty_and_random_files)
{
	unsigned char buf[8192] = { 0 };

	rng_state = 0x9e3779b97f4a7c15ull;
	try_bytes(buf, 0, NULL);
	for (const struct reader_ops *const *o = reader_table; *o; o++)
		try_bytes(buf, 0, (*o)->name);
	for (int i = 0; i < 50; i++) {
		size_t n = 1 + rng() % sizeof(buf);

		for (size_t k = 0; k < n; k++)
			buf[k] = (unsigned char)rng();
		try_bytes(buf, n, NULL);
		for (const struct reader_ops *const *o = reader_table; *o; o++)
			try_bytes(buf, n, (*o)->name);
	}
}

Test(badinput, empty_file_message)
{
	char *p = tmp_file("", 0), *cause = NULL;
	struct reader *r;

	cr_expect_eq(reader_open(p, NULL, &r, &cause), -ISM_EFORMAT);
	cr_expect_not_null(strstr(cause, "empty file"), "%s", cause);
	free(cause);
	unlink(p);
	free(p);
}

Test(badinput, ftrace_text_damaged)
{
	rng_state = 12345;
	torture((const unsigned char *)sample_text, sizeof(sample_text) - 1, NULL, 200);
	torture((const unsigned char *)sample_text, sizeof(sample_text) - 1, "ftrace", 100);
}

Test(badinput, native_damaged)
{
	size_t len = 0;
	unsigned char *data = sample_native(&len);

	rng_state = 777;
	torture(data, len, NULL, 300);
	free(data);
}

/* Real shipped traces, when present: the first 256 KiB of each, damaged. */
Test(badinput, shipped_traces_damaged, .timeout = 600)
{
	static const char *const names[] = {
		"pseries-noddw.txt.xz", "pseries-ddw.txt.xz", "pseries-swiotlb.txt.xz",
		"pseries-noddw.dat.xz", "host-x86-6.18.dat.xz",
	};
	const char *srcdir = getenv("ISM_SRCDIR");
	int found = 0;

	rng_state = 4242;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *path, *cause = NULL;
		struct ism_in *in;
		const unsigned char *b;
		size_t n;

		if (asprintf(&path, "%s/traces/%s", srcdir ? srcdir : ".", names[i]) < 0)
			abort();
		if (access(path, R_OK) != 0) {
			free(path);
			continue;
		}
		cr_assert_eq(in_open(path, &in, &cause), 0, "%s", cause);
		b = in_view(in, 256 * 1024, &n);
		cr_assert_not_null(b);
		torture(b, n, NULL, 12);
		in_close(in);
		free(path);
		found++;
	}
	if (!found)
		cr_log_warn("no shipped traces found under %s/traces", srcdir ? srcdir : ".");
}
