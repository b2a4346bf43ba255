/*
 * input.h: a buffered input stream over a file, stdin, or xz/zstd-compressed data.
 *
 * Readers see decompressed bytes only. Compression is detected by magic, never by name.
 * Memory use is one buffer (grown only for a longer line or record), whatever the file size.
 */
#ifndef ISM_INPUT_H
#define ISM_INPUT_H

#include <stddef.h>
#include <stdint.h>

enum ism_compression { ISM_COMP_NONE, ISM_COMP_XZ, ISM_COMP_ZSTD, ISM_COMP_GZIP };

struct ism_in;

/* Open @path ("-" = stdin). On error returns -ISM_E* and sets *@cause (malloc'd) when it can. */
int in_open(const char *path, struct ism_in **out, char **cause);
void in_close(struct ism_in *in);

const char *in_path(const struct ism_in *in);
enum ism_compression in_compression(const struct ism_in *in);
const char *in_compression_name(enum ism_compression c);

/*
 * Make at least @want bytes available (fewer at end of input) and return a pointer to them.
 * *@avail gets the number available (may exceed @want). Returns NULL with *@avail = 0 at EOF;
 * on a decompression or read error returns NULL and in_error() is non-zero.
 */
const unsigned char *in_view(struct ism_in *in, size_t want, size_t *avail);
void in_consume(struct ism_in *in, size_t n);
/* Decompressed bytes consumed so far. */
uint64_t in_offset(const struct ism_in *in);
/* Bytes of the file itself (compressed or not) consumed so far: against its size, progress. */
uint64_t in_raw_offset(const struct ism_in *in);
/* 0, or -ISM_E* of the first read/decompression error; in_error_msg() says what. */
int in_error(const struct ism_in *in);
const char *in_error_msg(const struct ism_in *in);

/*
 * Read one line (without the newline; a trailing '\r' is kept). Returns the length and sets
 * *@line, valid until the next call; -1 at EOF or on error (check in_error()).
 * Lines longer than 16 MiB are an error (ISM_ECORRUPT): binary junk is not a text trace.
 * Bytes after the last newline are a line that was cut: they are not returned, and
 * in_partial() says how many there were (the reader decides: reader_truncated()).
 */
long in_getline(struct ism_in *in, const char **line);
size_t in_partial(const struct ism_in *in);
/* Lines returned so far (the current line's number, 1-based). */
uint64_t in_lineno(const struct ism_in *in);

/*
 * Switch an uncompressed regular file to memory-mapped reading (no copy per byte; pages are
 * dropped from the resident set as they are consumed). Only for readers that never call
 * in_getline(). Returns 0, or -1 when the input cannot be mapped (then nothing changes).
 */
int in_map(struct ism_in *in);

/*
 * For readers that need a real file (libtracecmd): returns an fd of a plain file holding the
 * decompressed content, spooling compressed input to an unlinked temporary file in $TMPDIR.
 * Only valid before any in_view()/in_getline() beyond the probe window.
 */
int in_plain_fd(struct ism_in *in, char **cause);

#endif
