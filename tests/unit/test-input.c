/*
 * test-input.c: the input layer reads plain, xz and zstd data identically, and reports
 * truncated or corrupt compressed data as such.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <lzma.h>
#include <zstd.h>

#include "error.h"
#include "input.h"
#include "helpers.h"

#define NLINES 200000

static char *make_text(size_t *len)
{
	size_t cap = NLINES * 40, n = 0;
	char *s = malloc(cap);

	for (int i = 0; i < NLINES; i++)
		n += (size_t)snprintf(s + n, cap - n, "line %d value %x\n", i, i * 7919);
	*len = n;
	return s;
}

static unsigned char *xz(const char *s, size_t len, size_t *out)
{
	size_t cap = len + 65536, pos = 0;
	unsigned char *b = malloc(cap);

	cr_assert_eq(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, (const uint8_t *)s, len,
					     b, &pos, cap), LZMA_OK);
	*out = pos;
	return b;
}

static unsigned char *zst(const char *s, size_t len, size_t *out)
{
	size_t cap = ZSTD_compressBound(len);
	unsigned char *b = malloc(cap);

	*out = ZSTD_compress(b, cap, s, len, 3);
	cr_assert(!ZSTD_isError(*out));
	return b;
}

/* Read all lines of @path and check them against @text. */
static void check_lines(const char *path, const char *text, enum ism_compression want)
{
	struct ism_in *in;
	char *cause = NULL;
	const char *line;
	const char *p = text;
	long n;
	uint64_t count = 0;

	cr_assert_eq(in_open(path, &in, &cause), 0, "%s", cause);
	cr_expect_eq(in_compression(in), want);
	while ((n = in_getline(in, &line)) >= 0) {
		const char *nl = strchr(p, '\n');

		cr_assert_not_null(nl);
		cr_assert_eq((size_t)n, (size_t)(nl - p));
		cr_assert(memcmp(line, p, (size_t)n) == 0, "line %llu differs",
			  (unsigned long long)count);
		p = nl + 1;
		count++;
	}
	cr_expect_eq(in_error(in), 0, "%s", in_error_msg(in));
	cr_expect_eq(count, NLINES);
	cr_expect_eq(in_lineno(in), NLINES);
	in_close(in);
}

Test(input, plain_xz_zstd_same_lines)
{
	size_t len, zl;
	char *text = make_text(&len);
	unsigned char *z;
	char *p;

	p = tmp_file(text, len);
	check_lines(p, text, ISM_COMP_NONE);
	unlink(p);
	free(p);

	z = xz(text, len, &zl);
	p = tmp_file(z, zl);
	check_lines(p, text, ISM_COMP_XZ);
	unlink(p);
	free(p);
	free(z);

	z = zst(text, len, &zl);
	p = tmp_file(z, zl);
	check_lines(p, text, ISM_COMP_ZSTD);
	unlink(p);
	free(p);
	free(z);
	free(text);
}

/* Drain @path; return the error code the stream ends with. */
static int drain(const char *path)
{
	struct ism_in *in;
	char *cause = NULL;
	const unsigned char *b;
	size_t n;
	int ret = in_open(path, &in, &cause);

	if (ret < 0) {
		free(cause);
		return ret;
	}
	while ((b = in_view(in, 1, &n)) != NULL)
		in_consume(in, n);
	ret = in_error(in);
	in_close(in);
	return ret;
}

Test(input, truncated_compressed_streams)
{
	size_t len, zl;
	char *text = make_text(&len);
	unsigned char *z;
	char *p;

	z = xz(text, len, &zl);
	p = tmp_file(z, zl / 2);
	cr_expect_eq(drain(p), -ISM_ETRUNCATED);
	unlink(p);
	free(p);
	free(z);

	z = zst(text, len, &zl);
	p = tmp_file(z, zl / 2);
	cr_expect_eq(drain(p), -ISM_ETRUNCATED);
	unlink(p);
	free(p);
	free(z);
	free(text);
}

Test(input, corrupt_compressed_streams)
{
	size_t len, zl;
	char *text = make_text(&len);
	unsigned char *z;
	char *p;

	z = xz(text, len, &zl);
	for (size_t i = zl / 3; i < zl / 3 + 64; i++)
		z[i] ^= 0x5a;
	p = tmp_file(z, zl);
	cr_expect_eq(drain(p), -ISM_ECORRUPT);
	unlink(p);
	free(p);
	free(z);

	z = zst(text, len, &zl);
	for (size_t i = zl / 3; i < zl / 3 + 64; i++)
		z[i] ^= 0x5a;
	p = tmp_file(z, zl);
	cr_expect_eq(drain(p), -ISM_ECORRUPT);
	unlink(p);
	free(p);
	free(z);
	free(text);
}

Test(input, last_line_without_newline_is_cut_and_crlf_kept)
{
	char *p = tmp_text("a\r\nbb\nccc");
	struct ism_in *in;
	char *cause;
	const char *l;

	cr_assert_eq(in_open(p, &in, &cause), 0);
	cr_expect_eq(in_getline(in, &l), 2);
	cr_expect_str_eq(l, "a\r");
	cr_expect_eq(in_getline(in, &l), 2);
	cr_expect_str_eq(l, "bb");
	/* "ccc" has no newline: a cut line, not returned; the reader decides what that means */
	cr_expect_eq(in_getline(in, &l), -1);
	cr_expect_eq(in_error(in), 0);
	cr_expect_eq(in_partial(in), 3);
	in_close(in);
	unlink(p);
	free(p);
}

Test(input, huge_line_is_an_error)
{
	size_t n = (17u << 20);
	char *s = malloc(n);
	char *p;
	struct ism_in *in;
	char *cause;
	const char *l;

	memset(s, 'x', n);
	p = tmp_file(s, n);
	cr_assert_eq(in_open(p, &in, &cause), 0);
	cr_expect_eq(in_getline(in, &l), -1);
	cr_expect_eq(in_error(in), -ISM_ECORRUPT);
	in_close(in);
	unlink(p);
	free(p);
	free(s);
}

Test(input, missing_file_and_directory)
{
	struct ism_in *in;
	char *cause = NULL;

	cr_expect_eq(in_open("/nonexistent/x", &in, &cause), -ISM_EUSAGE);
	cr_expect_not_null(strstr(cause, "/nonexistent/x"));
	free(cause);
	cr_expect_eq(in_open("/", &in, &cause), -ISM_EUSAGE);
	free(cause);
}

Test(input, plain_fd_spools_compressed_input)
{
	size_t len, zl, got;
	char *text = make_text(&len);
	unsigned char *z = zst(text, len, &zl), *back;
	char *p = tmp_file(z, zl), *cause = NULL;
	struct ism_in *in;
	int fd;

	cr_assert_eq(in_open(p, &in, &cause), 0);
	fd = in_plain_fd(in, &cause);
	cr_assert_geq(fd, 0, "%s", cause);
	back = malloc(len + 1);
	got = (size_t)read(fd, back, len + 1);
	cr_expect_eq(got, len);
	cr_expect(memcmp(back, text, len) == 0);
	in_close(in);
	unlink(p);
	free(p);
	free(back);
	free(z);
	free(text);
}
