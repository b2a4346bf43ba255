/*
 * input.c: buffered, optionally decompressing input stream.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_LZMA
#include <lzma.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "error.h"
#include "input.h"
#include "util.h"

#define IN_BUFSZ (1u << 20)
#define IN_RAWSZ (1u << 18)
#define IN_MAXLINE (16u << 20)

struct ism_in {
	char *path;
	int fd;
	int own_fd;
	enum ism_compression comp;
	unsigned char *buf; /* decompressed data [pos, end) */
	size_t cap, pos, end;
	unsigned char *raw; /* compressed input [rpos, rend) */
	size_t rpos, rend;
	int raw_eof;
	int eof;
	int err;
	char errmsg[256];
	uint64_t consumed;
	uint64_t raw_read;        /* bytes read from the file into the raw buffer (compressed) */
	uint64_t lineno;
	size_t partial;     /* bytes after the last newline at the end of input (not returned) */
	int spooled_fd;
	const unsigned char *map; /* in_map(): the whole file, read without copies */
	size_t map_size, map_pos, map_dropped;
#ifdef HAVE_LZMA
	lzma_stream xz;
	int xz_init;
#endif
#ifdef HAVE_ZSTD
	ZSTD_DStream *zs;
	int zs_frame_done;
#endif
#ifdef HAVE_ZLIB
	z_stream gz;
	int gz_init;
	int gz_member_done;  /* the last member ended: more input is another member or the end */
#endif
};

const char *in_compression_name(enum ism_compression c)
{
	switch (c) {
	case ISM_COMP_XZ:
		return "xz";
	case ISM_COMP_ZSTD:
		return "zstd";
	case ISM_COMP_GZIP:
		return "gzip";
	default:
		return "none";
	}
}

static void in_fail(struct ism_in *in, int err, const char *fmt, ...) ISM_PRINTF(3, 4);
static void in_fail(struct ism_in *in, int err, const char *fmt, ...)
{
	va_list ap;

	if (in->err)
		return;
	in->err = err;
	va_start(ap, fmt);
	vsnprintf(in->errmsg, sizeof(in->errmsg), fmt, ap);
	va_end(ap);
}

static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Refill the raw (compressed) buffer. */
static int raw_fill(struct ism_in *in)
{
	ssize_t r;

	if (in->rpos < in->rend || in->raw_eof)
		return 0;
	r = read_full(in->fd, in->raw, IN_RAWSZ);
	if (r < 0) {
		in_fail(in, -ISM_EIO, "read error: %s", strerror(errno));
		return -1;
	}
	in->raw_read += (uint64_t)r;
	in->rpos = 0;
	in->rend = (size_t)r;
	if (r == 0)
		in->raw_eof = 1;
	return 0;
}

/* Append decompressed bytes at buf[end..cap). Returns bytes produced, 0 at EOF, -1 on error. */
static ssize_t produce(struct ism_in *in)
{
	size_t room = in->cap - in->end;
	ssize_t r;

	if (in->eof || in->err)
		return in->err ? -1 : 0;
	switch (in->comp) {
	case ISM_COMP_NONE:
		r = read(in->fd, in->buf + in->end, room);
		while (r < 0 && errno == EINTR)
			r = read(in->fd, in->buf + in->end, room);
		if (r < 0) {
			in_fail(in, -ISM_EIO, "read error: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			in->eof = 1;
		in->end += (size_t)r;
		return r;
#ifdef HAVE_LZMA
	case ISM_COMP_XZ: {
		size_t before = in->end;

		while (in->end == before) {
			lzma_ret lr;

			if (raw_fill(in) < 0)
				return -1;
			in->xz.next_in = in->raw + in->rpos;
			in->xz.avail_in = in->rend - in->rpos;
			in->xz.next_out = in->buf + in->end;
			in->xz.avail_out = room;
			lr = lzma_code(&in->xz, in->raw_eof ? LZMA_FINISH : LZMA_RUN);
			in->rpos = in->rend - in->xz.avail_in;
			in->end = (size_t)(in->xz.next_out - in->buf);
			if (lr == LZMA_STREAM_END) {
				in->eof = 1;
				break;
			}
			if (lr == LZMA_BUF_ERROR && in->raw_eof) {
				in_fail(in, -ISM_ETRUNCATED, "%s", "xz stream is truncated");
				return -1;
			}
			if (lr != LZMA_OK && lr != LZMA_BUF_ERROR) {
				in_fail(in, -ISM_ECORRUPT, "xz data is corrupt (%s)",
					lr == LZMA_DATA_ERROR ? "data error" :
					lr == LZMA_FORMAT_ERROR ? "format error" :
					lr == LZMA_MEM_ERROR ? "out of memory" : "decoder error");
				return -1;
			}
		}
		return (ssize_t)(in->end - before);
	}
#endif
#ifdef HAVE_ZSTD
	case ISM_COMP_ZSTD: {
		size_t before = in->end;

		while (in->end == before) {
			ZSTD_inBuffer ib;
			ZSTD_outBuffer ob;
			size_t zr;

			if (raw_fill(in) < 0)
				return -1;
			if (in->rpos == in->rend && in->raw_eof) {
				if (!in->zs_frame_done) {
					in_fail(in, -ISM_ETRUNCATED, "%s", "zstd stream is truncated");
					return -1;
				}
				in->eof = 1;
				break;
			}
			ib.src = in->raw;
			ib.size = in->rend;
			ib.pos = in->rpos;
			ob.dst = in->buf;
			ob.size = in->cap;
			ob.pos = in->end;
			zr = ZSTD_decompressStream(in->zs, &ob, &ib);
			if (ZSTD_isError(zr)) {
				in_fail(in, -ISM_ECORRUPT, "zstd data is corrupt (%s)",
					ZSTD_getErrorName(zr));
				return -1;
			}
			in->zs_frame_done = (zr == 0);
			in->rpos = ib.pos;
			in->end = ob.pos;
		}
		return (ssize_t)(in->end - before);
	}
#endif
#ifdef HAVE_ZLIB
	case ISM_COMP_GZIP: {
		size_t before = in->end;

		while (in->end == before) {
			int zr;

			if (raw_fill(in) < 0)
				return -1;
			if (in->rpos == in->rend && in->raw_eof) {
				if (!in->gz_member_done) {
					in_fail(in, -ISM_ETRUNCATED, "%s", "gzip stream is truncated");
					return -1;
				}
				in->eof = 1;
				break;
			}
			if (in->gz_member_done) {
				/* concatenated members (cat a.gz b.gz) read as one stream */
				if (inflateReset(&in->gz) != Z_OK) {
					in_fail(in, -ISM_ECORRUPT, "%s", "gzip: cannot restart the decoder");
					return -1;
				}
				in->gz_member_done = 0;
			}
			in->gz.next_in = in->raw + in->rpos;
			in->gz.avail_in = (uInt)(in->rend - in->rpos);
			in->gz.next_out = in->buf + in->end;
			in->gz.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
			zr = inflate(&in->gz, Z_NO_FLUSH);
			in->rpos = in->rend - in->gz.avail_in;
			in->end = (size_t)(in->gz.next_out - in->buf);
			if (zr == Z_STREAM_END) {
				in->gz_member_done = 1;
				continue;
			}
			if (zr == Z_BUF_ERROR && in->raw_eof && in->rpos == in->rend) {
				in_fail(in, -ISM_ETRUNCATED, "%s", "gzip stream is truncated");
				return -1;
			}
			if (zr != Z_OK && zr != Z_BUF_ERROR) {
				in_fail(in, -ISM_ECORRUPT, "gzip data is corrupt (%s)",
					in->gz.msg ? in->gz.msg : "decoder error");
				return -1;
			}
		}
		return (ssize_t)(in->end - before);
	}
#endif
	default:
		in_fail(in, -ISM_EUNSUPPORTED, "%s", "compression not supported by this build");
		return -1;
	}
}

const unsigned char *in_view(struct ism_in *in, size_t want, size_t *avail)
{
	if (in->map) {
		*avail = in->map_size - in->map_pos;
		return *avail ? in->map + in->map_pos : NULL;
	}
	while (in->end - in->pos < want) {
		if (in->pos > 0 && (in->cap - in->end < want || in->pos > in->cap / 2)) {
			memmove(in->buf, in->buf + in->pos, in->end - in->pos);
			in->end -= in->pos;
			in->pos = 0;
		}
		if (in->cap - in->pos < want) {
			size_t ncap = in->cap;

			while (ncap - in->pos < want)
				ncap *= 2;
			in->buf = xrealloc(in->buf, ncap);
			in->cap = ncap;
		}
		if (in->eof || in->err)
			break;
		if (produce(in) < 0)
			break;
	}
	*avail = in->end - in->pos;
	if (*avail == 0)
		return NULL;
	return in->buf + in->pos;
}

/* Bytes of a mapping consumed between two drops of its pages from our resident set. */
#define IN_MAP_DROP (16u << 20)

void in_consume(struct ism_in *in, size_t n)
{
	if (in->map) {
		if (n > in->map_size - in->map_pos)
			n = in->map_size - in->map_pos;
		in->map_pos += n;
		in->consumed += n;
		if (in->map_pos - in->map_dropped >= IN_MAP_DROP) {
			/* keep RSS flat: read pages stay in the page cache, not in our process */
			size_t upto = in->map_pos & ~((size_t)IN_MAP_DROP - 1);

			madvise((void *)(in->map + in->map_dropped), upto - in->map_dropped,
				MADV_DONTNEED);
			in->map_dropped = upto;
		}
		return;
	}
	if (n > in->end - in->pos)
		n = in->end - in->pos;
	in->pos += n;
	in->consumed += n;
}

uint64_t in_offset(const struct ism_in *in)
{
	return in->consumed;
}

uint64_t in_raw_offset(const struct ism_in *in)
{
	if (in->comp == ISM_COMP_NONE)
		return in->consumed;
	return in->raw_read - (in->rend - in->rpos);
}

int in_error(const struct ism_in *in)
{
	return in->err;
}

const char *in_error_msg(const struct ism_in *in)
{
	return in->errmsg;
}

const char *in_path(const struct ism_in *in)
{
	return in->path;
}

enum ism_compression in_compression(const struct ism_in *in)
{
	return in->comp;
}

uint64_t in_lineno(const struct ism_in *in)
{
	return in->lineno;
}

size_t in_partial(const struct ism_in *in)
{
	return in->partial;
}

long in_getline(struct ism_in *in, const char **line)
{
	size_t scanned = 0;

	for (;;) {
		size_t avail = in->end - in->pos;
		unsigned char *nl = avail > scanned ?
			memchr(in->buf + in->pos + scanned, '\n', avail - scanned) : NULL;

		if (nl) {
			size_t len = (size_t)(nl - (in->buf + in->pos));

			*nl = '\0';
			*line = (const char *)in->buf + in->pos;
			in->pos += len + 1;
			in->consumed += len + 1;
			in->lineno++;
			return (long)len;
		}
		scanned = avail;
		if (avail >= IN_MAXLINE) {
			in_fail(in, -ISM_ECORRUPT, "%s", "line longer than 16 MiB: not a text trace");
			return -1;
		}
		if (in->eof || in->err) {
			/* a last line without its newline was cut: never returned as a line */
			if (!in->err)
				in->partial = avail;
			return -1;
		}
		in_view(in, avail + 1, &avail);
		if (in->err)
			return -1;
	}
}

int in_open(const char *path, struct ism_in **out, char **cause)
{
	struct ism_in *in = xcalloc(1, sizeof(*in));
	const unsigned char *p;
	size_t n;
	struct stat st;

	in->path = xstrdup(path);
	in->spooled_fd = -1;
	if (strcmp(path, "-") == 0) {
		in->fd = 0;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			int e = errno;

			*cause = xasprintf("%s: %s", path, strerror(e));
			free(in->path);
			free(in);
			return e == ENOENT || e == EACCES || e == EISDIR ? -ISM_EUSAGE : -ISM_EIO;
		}
		in->own_fd = 1;
		if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			*cause = xasprintf("%s: is a directory", path);
			in_close(in);
			return -ISM_EUSAGE;
		}
	}
	in->cap = IN_BUFSZ;
	in->buf = xmalloc(in->cap);
	in->comp = ISM_COMP_NONE;

	/* Sniff the first bytes in raw form (uncompressed read into buf). */
	p = in_view(in, 6, &n);
	if (in->err) {
		*cause = xasprintf("%s: %s", path, in->errmsg);
		in_close(in);
		return -ISM_EIO;
	}
	if (p && n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		in->comp = ISM_COMP_XZ;
	else if (p && n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		in->comp = ISM_COMP_ZSTD;
	else if (p && n >= 3 && memcmp(p, "\x1f\x8b\x08", 3) == 0)
		in->comp = ISM_COMP_GZIP;
	if (in->comp != ISM_COMP_NONE) {
		/* Move what was read into the raw buffer and restart decompression. */
		in->raw = xmalloc(IN_RAWSZ > in->end ? IN_RAWSZ : in->end);
		memcpy(in->raw, in->buf, in->end);
		in->rpos = 0;
		in->rend = in->end;
		in->raw_read = in->end;
		in->raw_eof = in->eof;
		in->eof = 0;
		in->pos = in->end = 0;
#ifdef HAVE_LZMA
		if (in->comp == ISM_COMP_XZ) {
			lzma_stream init = LZMA_STREAM_INIT;

			in->xz = init;
			if (lzma_stream_decoder(&in->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
				*cause = xasprintf("%s: cannot start the xz decoder", path);
				in_close(in);
				return -ISM_ENOMEM;
			}
			in->xz_init = 1;
		}
#endif
#ifdef HAVE_ZSTD
		if (in->comp == ISM_COMP_ZSTD) {
			in->zs = ZSTD_createDStream();
			if (!in->zs) {
				*cause = xasprintf("%s: cannot start the zstd decoder", path);
				in_close(in);
				return -ISM_ENOMEM;
			}
			ZSTD_initDStream(in->zs);
		}
#endif
#ifdef HAVE_ZLIB
		if (in->comp == ISM_COMP_GZIP) {
			/* 16 + MAX_WBITS: the gzip wrapper, not zlib's */
			if (inflateInit2(&in->gz, 16 + MAX_WBITS) != Z_OK) {
				*cause = xasprintf("%s: cannot start the gzip decoder", path);
				in_close(in);
				return -ISM_ENOMEM;
			}
			in->gz_init = 1;
		}
#endif
#if !defined(HAVE_LZMA) || !defined(HAVE_ZSTD) || !defined(HAVE_ZLIB)
		if (
#ifndef HAVE_LZMA
		    in->comp == ISM_COMP_XZ ||
#endif
#ifndef HAVE_ZLIB
		    in->comp == ISM_COMP_GZIP ||
#endif
#ifndef HAVE_ZSTD
		    in->comp == ISM_COMP_ZSTD ||
#endif
		    0) {
			*cause = xasprintf("%s: %s-compressed, but this build has no %s support",
					   path, in_compression_name(in->comp),
					   in_compression_name(in->comp));
			in_close(in);
			return -ISM_EUNSUPPORTED;
		}
#endif
	}
	*out = in;
	return 0;
}

int in_map(struct ism_in *in)
{
	struct stat st;
	void *m;

	if (in->map)
		return 0;
	if (in->comp != ISM_COMP_NONE || in->fd == 0 || fstat(in->fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX ||
	    in->consumed > (uint64_t)st.st_size)
		return -1;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in->fd, 0);
	if (m == MAP_FAILED)
		return -1;
	madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	in->map = m;
	in->map_size = (size_t)st.st_size;
	in->map_pos = (size_t)in->consumed;
	in->map_dropped = 0;
	return 0;
}

int in_plain_fd(struct ism_in *in, char **cause)
{
	const char *tmpdir;
	char *tmpl;
	const unsigned char *p;
	size_t n;
	int fd;

	if (in->comp == ISM_COMP_NONE && in->fd != 0 && in->consumed == 0 &&
	    lseek(in->fd, 0, SEEK_SET) == 0) {
		in->pos = in->end = 0;
		in->eof = 0;
		return in->fd;
	}
	if (in->spooled_fd >= 0)
		return in->spooled_fd;
	tmpdir = getenv("TMPDIR");
	tmpl = xasprintf("%s/iommusim-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(tmpl);
	if (fd < 0) {
		*cause = xasprintf("%s: cannot create a temporary file in %s: %s", in->path,
				   tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
		free(tmpl);
		return -ISM_EIO;
	}
	unlink(tmpl);
	free(tmpl);
	while ((p = in_view(in, 1, &n)) != NULL) {
		size_t off = 0;

		while (off < n) {
			ssize_t w = write(fd, p + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				*cause = xasprintf("%s: writing the decompressed copy: %s", in->path,
						   strerror(errno));
				close(fd);
				return -ISM_EIO;
			}
			off += (size_t)w;
		}
		in_consume(in, n);
	}
	if (in->err) {
		*cause = xasprintf("%s: %s", in->path, in->errmsg);
		close(fd);
		return in->err;
	}
	lseek(fd, 0, SEEK_SET);
	in->spooled_fd = fd;
	return fd;
}

void in_close(struct ism_in *in)
{
	if (!in)
		return;
#ifdef HAVE_LZMA
	if (in->xz_init)
		lzma_end(&in->xz);
#endif
#ifdef HAVE_ZSTD
	if (in->zs)
		ZSTD_freeDStream(in->zs);
#endif
#ifdef HAVE_ZLIB
	if (in->gz_init)
		inflateEnd(&in->gz);
#endif
	if (in->map)
		munmap((void *)in->map, in->map_size);
	if (in->own_fd)
		close(in->fd);
	if (in->spooled_fd >= 0)
		close(in->spooled_fd);
	free(in->buf);
	free(in->raw);
	free(in->path);
	free(in);
}
