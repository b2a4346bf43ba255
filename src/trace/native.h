/*
 * native.h: the native binary trace format (specified in man/iommusim-trace.5).
 *
 * File  = header (ISM_NATIVE_HDR bytes + provenance, padded to 64) + records + end record.
 * Record = 64 bytes, little-endian, followed by ncont 64-byte continuation blocks holding
 *          nsg 24-byte sg entries then, for MARKER and DEVICE records, `size` bytes of text.
 * End record (version 2) = 64 bytes of kind ISM_NATIVE_END: the number of event records, of
 *          64-byte blocks before it (after the header) and a Fletcher-4 checksum of the
 *          header (event count field as 0) and those blocks. A file without it was cut.
 */
#ifndef ISM_NATIVE_H
#define ISM_NATIVE_H

#include <stdint.h>

#include "event.h"

#define ISM_NATIVE_MAGIC "ISMTRACE"
#define ISM_NATIVE_VERSION 2
#define ISM_NATIVE_VERSION_MIN 1 /* version 1: no end record (a cut is seen only by the count) */
#define ISM_NATIVE_BOM 0x01020304u
#define ISM_NATIVE_REC 64
#define ISM_NATIVE_HDR 64
#define ISM_NATIVE_SGE 24
/* A record kind that defines a device name: dev = id, size = name length. */
#define ISM_NATIVE_DEVICE 0xff
/* A record kind that sets the task of the CPU's following events: cpu, arg = task id. */
#define ISM_NATIVE_TASK 0xfe
/* The end record's kind (version 2); its fields are at NE_* offsets. */
#define ISM_NATIVE_END 0xfd
#define ISM_NATIVE_MAX_SG (1u << 20)
#define ISM_NATIVE_MAX_TEXT (1u << 16)
#define ISM_NATIVE_MAX_PROV (1u << 20)

/* Header field offsets. */
enum {
	NH_MAGIC = 0,    /* char[8] "ISMTRACE" */
	NH_VERSION = 8,  /* u32 */
	NH_BOM = 12,     /* u32 0x01020304 in file byte order */
	NH_RECSIZE = 16, /* u16 = 64 */
	NH_FLAGS = 18,   /* u16, 0 */
	NH_HDRSIZE = 20, /* u32: bytes before the first record, a multiple of 64 */
	NH_PROVLEN = 24, /* u32: bytes of provenance text at offset 64 */
	NH_NEVENTS = 32, /* u64: event records (not continuation blocks), 0 = unknown */
};

/* End record field offsets (the kind byte is at NR_KIND as in every record). */
enum {
	NE_EVENTS = 0,  /* u64: event records in the file (device records not counted) */
	NE_BLOCKS = 8,  /* u64: 64-byte blocks between the header and the end record */
	NE_SUM = 16,    /* u64[4]: Fletcher-4 sums A, B, C, D (see ism_fletcher4) */
};

/* Record field offsets. */
enum {
	NR_TS = 0,
	NR_ADDR = 8,
	NR_PADDR = 16,
	NR_SIZE = 24,
	NR_ARG = 32,
	NR_ATTRS = 40,
	NR_NENTS = 44,
	NR_ENTS = 48,
	NR_NSG = 52,
	NR_CPU = 56,
	NR_DEV = 58,
	NR_KIND = 60,
	NR_DIR = 61,
	NR_FLAGS = 62,
};

static inline uint64_t ism_le64(const unsigned char *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t ism_le32(const unsigned char *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline uint16_t ism_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline void ism_put64(unsigned char *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	__builtin_memcpy(p, &v, 8);
}

static inline void ism_put32(unsigned char *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	__builtin_memcpy(p, &v, 4);
}

static inline void ism_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

/*
 * Fletcher-4 as ZFS computes it: over little-endian 32-bit words, a += w; b += a; c += b;
 * d += c, all modulo 2^64. @n must be a multiple of 4 (trailing bytes are ignored).
 */
struct ism_fletcher4 {
	uint64_t a, b, c, d;
};

/* The definition, one word at a time (the reference ism_fletcher4_add() is tested against). */
static inline void ism_fletcher4_ref(struct ism_fletcher4 *f, const unsigned char *p, size_t n)
{
	uint64_t a = f->a, b = f->b, c = f->c, d = f->d;

	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t w;

		__builtin_memcpy(&w, p + i, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap32(w);
#endif
		a += w;
		b += a;
		c += b;
		d += c;
	}
	f->a = a;
	f->b = b;
	f->c = c;
	f->d = d;
}

/*
 * The same sums, bit for bit, over four interleaved lanes (SIMD where the CPU has it),
 * combined exactly (fletcher4.c): continues the running sums @f over @n bytes at @p.
 */
void ism_fletcher4_add(struct ism_fletcher4 *f, const unsigned char *p, size_t n);
/* The same without the CPU's wider vectors (AVX2): what other CPUs run, for the tests. */
void ism_fletcher4_add_portable(struct ism_fletcher4 *f, const unsigned char *p, size_t n);

/* Continuation blocks that follow a record. */
static inline uint64_t ism_native_ncont(unsigned kind, uint32_t nsg, uint64_t size)
{
	uint64_t bytes = (uint64_t)nsg * ISM_NATIVE_SGE;

	if (kind == ISM_EV_MARKER || kind == ISM_NATIVE_DEVICE)
		bytes += size;
	return (bytes + ISM_NATIVE_REC - 1) / ISM_NATIVE_REC;
}

struct ism_writer;
struct reader;

/*
 * Open @path for writing ("-" = stdout), copying provenance from @src (may be NULL). The file
 * is written atomically (output.h): it appears under @path, complete, at writer_close().
 */
int writer_open(const char *path, const struct reader *src, struct ism_writer **out,
		char **cause);
/* Write to the open descriptor @fd in place (a spool file); @name is for messages. */
int writer_open_fd(int fd, const char *name, const struct reader *src, struct ism_writer **out);
void writer_add_prov(struct ism_writer *w, const char *key, const char *value);
/* Write @ev; @devname is its device's name (NULL when dev == 0). */
int writer_write(struct ism_writer *w, const struct ism_event *ev, const char *devname);
/*
 * Write the end record, flush, patch the event count when the output is seekable, close (and
 * put the file in place). Returns 0 or -ISM_EIO with *@cause naming the path.
 */
int writer_close(struct ism_writer *w, char **cause);
/* Give up: nothing appears under the path (a device or pipe keeps what was written). */
void writer_abort(struct ism_writer *w);

#endif
