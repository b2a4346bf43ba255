/*
 * reader-tracedat.c: trace-cmd trace.dat files (versions 6 and 7) through libtracecmd.
 *
 * Open: the file's structure is checked first (td_scan_*), then handed to libtracecmd.
 * libtracecmd 1.3.1 trusts every size and offset in the file: a truncated or corrupt file can
 * make it crash (tracecmd_close() on a half-initialised handle, unbounded recursion through
 * the options chain, strdup() of unterminated strings, a NULL hook). The scan mirrors what the
 * library reads and rejects what would hurt it, with a message that says where the file is bad.
 *
 * Read: pull-based and streaming. One record per CPU is held; next() takes the earliest (ties:
 * lowest CPU) from a small binary heap, decodes it into a struct ism_event and refills that
 * CPU. The records come from the CPU's ring-buffer pages, which this reader reads itself
 * (td_walk_*: pread() of a few pages at a time into a buffer of its own, records split by
 * libtraceevent's kbuffer, exactly as libtracecmd does it), so memory stays flat at any
 * length: libtracecmd 1.3.1 maps each CPU's data and keeps what it read resident. zstd CPU
 * data (version 7) is decompressed one chunk at a time (td_walk_chunk()). Files whose
 * timestamps libtracecmd converts (TSC2NSEC, guest TIME_SHIFT) or that use another compression
 * are read through tracecmd_read_cpu_first() / tracecmd_read_data() instead.
 * Events are decoded from fields looked up once at open (tep_find_field()); the event id
 * (common_type) indexes a table, so dispatch is one array load per record.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trace-cmd.h>
#include <traceevent/kbuffer.h>
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "error.h"
#include "reader.h"

#define TD_MAGIC "\x17\x08\x44tracing"
#define TD_MAX_CPUS 8192u              /* CPU ids and counts above this are corruption */
#define TD_MIN_PAGE 1024u
#define TD_MAX_PAGE (1u << 20)
#define TD_COMMIT_MASK ((1u << 27) - 1) /* kbuffer: size bits of the page header's commit */
#define TD_MISSED (1u << 31)            /* commit: events were lost before this page */
#define TD_MISSED_STORED (1u << 30)     /* commit: and their count follows the data */
#define TD_MAX_OPTION (64u << 20)       /* largest option or event format this reader reads */
#define TD_MAX_RSIZE (256u << 20)       /* largest uncompressed block accepted */
#define TD_MAX_SECTIONS (1u << 20)
#define TD_MAX_OPTSECS 256u
#define TD_WIN (256u << 10)             /* scan read window */

/* trace-cmd option and section ids (lib/trace-cmd/include/trace-cmd-local.h) */
enum {
	TDO_DONE = 0,
	TDO_DATE = 1,
	TDO_CPUSTAT = 2,
	TDO_BUFFER = 3,
	TDO_TRACECLOCK = 4,
	TDO_UNAME = 5,
	TDO_HOOK = 6,
	TDO_OFFSET = 7,
	TDO_CPUCOUNT = 8,
	TDO_VERSION = 9,
	TDO_PROCMAPS = 10,
	TDO_TRACEID = 11,
	TDO_TIME_SHIFT = 12,
	TDO_GUEST = 13,
	TDO_TSC2NSEC = 14,
	TDO_STRINGS = 15,
	TDO_HEADER_INFO = 16,
	TDO_FTRACE_EVENTS = 17,
	TDO_EVENT_FORMATS = 18,
	TDO_KALLSYMS = 19,
	TDO_PRINTK = 20,
	TDO_CMDLINES = 21,
	TDO_BUFFER_TEXT = 22,
};

#define TD_SEC_COMPRESS 1

/* ---- file structure scan -------------------------------------------------------------- */

struct td_cpu {
	uint64_t off;              /* file offset of this CPU's ring-buffer pages */
	uint64_t size;             /* bytes; 0 = no data */
	uint64_t lastoff;          /* file offset of the last record read */
	struct tep_record *head;   /* next record of this CPU, NULL when done */
	uint64_t ts;               /* head->ts, kept here for the merge */
	const uint8_t *page;       /* ring-buffer page of the last record (header checked) */
	uint64_t apage;            /* file offset of that page: the pages after it are checked */
	bool seen;                 /* a record was read */
	/* the page walk (td_walk_*), when this reader reads the pages itself */
	struct kbuffer *kbuf;
	uint8_t *buf;              /* pages [boff, boff + blen) of the file, then zeroes */
	uint64_t boff;
	size_t blen;
	uint64_t poff;             /* file offset of the page loaded in @kbuf */
	bool loaded;
	bool fresh;                /* no record read from that page yet */
	uint64_t wbeg, wend;       /* the pages' offsets (compressed data: libtracecmd's virtual
				      offsets in the decompressed stream) */
	size_t bcap;               /* compressed data: @buf's size, the chunk read from @zin */
	uint64_t zpos;             /* the next chunk's header in the file */
	uint64_t zleft;            /* chunks not read yet */
	unsigned char *zin;
	size_t zcap;
	struct tep_record rec;     /* @head when walking: points into @buf */
};

struct td_fmt {
	char *text;
	size_t len;
	int sys;                   /* index in td_scan.systems, -1 = "ftrace" */
};

struct td_scan {
	int fd;
	const unsigned char *mem;  /* a decompressed section scanned in memory instead of @fd */
	struct td_scan *sink;      /* where formats go (the file's scan, for a section's) */
	uint64_t fsize;
	unsigned version;
	bool big;                  /* file is big-endian */
	bool swap;                 /* file byte order differs from ours */
	unsigned long_size;        /* header byte: user-space long */
	unsigned commit_size;      /* ring-buffer page header commit field: kernel long */
	uint32_t page_size;
	char comp[64];             /* v7 compression name */
	char *clock;
	char *uname;
	char *instances;           /* names of buffer instances other than the top one */
	bool traceclock_opt;
	bool ts_convert;           /* TSC2NSEC or TIME_SHIFT: libtracecmd converts timestamps */
	bool have_cpucount;
	uint32_t cpucount;
	int64_t ts_offset;         /* DATE + OFFSET options: what libtracecmd adds to each ts */
	bool have_top;
	bool top_latency;
	uint64_t top_off;          /* v7: offset of the top buffer's section */
	uint64_t sec_off[TDO_CMDLINES - TDO_HEADER_INFO + 1]; /* v7 metadata sections */
	bool cpu_compressed;
	bool unchecked;            /* formats in compressed sections this build cannot inflate */
	bool have_hp;
	char *hp;                  /* header_page text */
	size_t hp_len;
	struct td_fmt *fmts;       /* event format texts, in the order libtracecmd parses them */
	unsigned nfmts, fmtcap;
	char **systems;
	unsigned nsystems;
	unsigned ncpu;             /* entries in @cpu, indexed by CPU id */
	struct td_cpu *cpu;
	unsigned char *win;
	uint64_t win_off;
	size_t win_len;
	int err;
	char *msg;
};

static int td_scan_fail(struct td_scan *s, int err, const char *fmt, ...) ISM_PRINTF(3, 4);

static int td_scan_fail(struct td_scan *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (s->err)
		return s->err;
	va_start(ap, fmt);
	s->msg = xvasprintf(fmt, ap);
	va_end(ap);
	s->err = err;
	return err;
}

/* @what at @off needs @n bytes the file does not have. */
static int td_scan_trunc(struct td_scan *s, const char *what, uint64_t off, uint64_t n)
{
	return td_scan_fail(s, -ISM_ETRUNCATED,
			    "truncated trace.dat: %s at offset %llu needs %llu bytes, "
			    "the file ends at %llu", what, (unsigned long long)off,
			    (unsigned long long)n, (unsigned long long)s->fsize);
}

static bool td_fits(const struct td_scan *s, uint64_t off, uint64_t n)
{
	return off <= s->fsize && n <= s->fsize - off;
}

/* Return @n (<= TD_WIN) bytes at @off, or NULL after td_scan_fail(). */
static const unsigned char *td_get(struct td_scan *s, uint64_t off, size_t n, const char *what)
{
	size_t len, got = 0;

	if (!td_fits(s, off, n)) {
		td_scan_trunc(s, what, off, n);
		return NULL;
	}
	if (s->mem)
		return s->mem + off;
	if (off >= s->win_off && off + n <= s->win_off + s->win_len)
		return s->win + (off - s->win_off);
	len = s->fsize - off < TD_WIN ? (size_t)(s->fsize - off) : TD_WIN;
	if (!s->win)
		s->win = xmalloc(TD_WIN);
	while (got < len) {
		ssize_t k = pread(s->fd, s->win + got, len - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			s->win_len = 0;
			if (k < 0)
				td_scan_fail(s, -ISM_EIO, "reading offset %llu: %s",
					     (unsigned long long)(off + got), strerror(errno));
			else
				td_scan_trunc(s, what, off, n);
			return NULL;
		}
		got += (size_t)k;
	}
	s->win_off = off;
	s->win_len = len;
	return s->win;
}

static inline uint64_t td_num(bool swap, const void *p, unsigned size)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		memcpy(&v16, p, 2);
		return swap ? __builtin_bswap16(v16) : v16;
	case 4:
		memcpy(&v32, p, 4);
		return swap ? __builtin_bswap32(v32) : v32;
	case 8:
		memcpy(&v64, p, 8);
		return swap ? __builtin_bswap64(v64) : v64;
	}
	return 0;
}

/* Read an @size-byte number at *@pos and advance. */
static int td_rd(struct td_scan *s, uint64_t *pos, unsigned size, const char *what, uint64_t *v)
{
	const unsigned char *p = td_get(s, *pos, size, what);

	*v = 0;
	if (!p)
		return s->err;
	*v = td_num(s->swap, p, size);
	*pos += size;
	return 0;
}

/* Skip @n bytes of @what at *@pos; they must be in the file. */
static int td_skip(struct td_scan *s, uint64_t *pos, uint64_t n, const char *what)
{
	if (!td_fits(s, *pos, n))
		return td_scan_trunc(s, what, *pos, n);
	*pos += n;
	return 0;
}

/* Read a NUL-terminated string of at most @max bytes at *@pos into @out (may cut it). */
static int td_rdstr(struct td_scan *s, uint64_t *pos, size_t max, const char *what, char *out,
		    size_t cap)
{
	uint64_t avail = s->fsize > *pos ? s->fsize - *pos : 0;
	size_t n = avail < max + 1 ? (size_t)avail : max + 1;
	const unsigned char *p = n ? td_get(s, *pos, n, what) : NULL;
	const unsigned char *nul = p ? memchr(p, '\0', n) : NULL;
	size_t len;

	if (!nul) {
		if (s->err)
			return s->err;
		if (n == avail)
			return td_scan_trunc(s, what, *pos, n + 1);
		return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: %s at offset %llu is "
				    "not a string of at most %zu bytes", what,
				    (unsigned long long)*pos, max);
	}
	len = (size_t)(nul - p);
	if (out) {
		size_t k = len < cap - 1 ? len : cap - 1;

		memcpy(out, p, k);
		out[k] = '\0';
	}
	*pos += len + 1;
	return 0;
}

/* Copy @n bytes at @off into a new buffer (NUL-terminated beyond @n). */
static unsigned char *td_copy(struct td_scan *s, uint64_t off, uint64_t n, const char *what)
{
	unsigned char *buf;
	size_t got = 0;

	if (!td_fits(s, off, n)) {
		td_scan_trunc(s, what, off, n);
		return NULL;
	}
	buf = xmalloc((size_t)n + 1);
	if (s->mem) {
		memcpy(buf, s->mem + off, (size_t)n);
		got = (size_t)n;
	}
	while (got < n) {
		ssize_t k = pread(s->fd, buf + got, (size_t)n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			free(buf);
			if (k < 0)
				td_scan_fail(s, -ISM_EIO, "reading offset %llu: %s",
					     (unsigned long long)(off + got), strerror(errno));
			else
				td_scan_trunc(s, what, off, n);
			return NULL;
		}
		got += (size_t)k;
	}
	buf[n] = '\0';
	return buf;
}

static int td_corrupt(struct td_scan *s, const char *what, uint64_t off, const char *why)
{
	return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: %s at offset %llu: %s", what,
			    (unsigned long long)off, why);
}

/*
 * The first space-separated "[clock]" token of a trace_clock text, as libtracecmd's
 * tracecmd_parse_trace_clock() finds it. Returns false when that token would make the
 * library call sscanf(NULL) (a token made of brackets only).
 */
static bool td_parse_clock(const char *text, size_t len, char **clock)
{
	size_t i = 0;

	while (i < len && text[i]) {
		size_t j;

		while (i < len && text[i] == ' ')
			i++;
		j = i;
		while (j < len && text[j] && text[j] != ' ')
			j++;
		if (j > i && text[i] == '[') {
			size_t a = i, b;

			while (a < j && (text[a] == '[' || text[a] == ']'))
				a++;
			if (a == j)
				return false;
			b = a;
			while (b < j && text[b] != '[' && text[b] != ']' && text[b] != '\n' &&
			       text[b] != '\t')
				b++;
			if (clock && b > a) {
				free(*clock);
				*clock = xstrndup(text + a, b - a);
			}
			return true;
		}
		i = j;
	}
	return true;
}

/* Bounded reader over an option's payload. */
struct td_buf {
	const unsigned char *p;
	size_t len;
	size_t pos;
	bool bad;
};

static uint64_t td_bnum(const struct td_scan *s, struct td_buf *b, unsigned n)
{
	uint64_t v;

	if (b->bad || b->len - b->pos < n) {
		b->bad = true;
		return 0;
	}
	v = td_num(s->swap, b->p + b->pos, n);
	b->pos += n;
	return v;
}

static void td_bskip(struct td_buf *b, size_t n)
{
	if (b->bad || b->len - b->pos < n)
		b->bad = true;
	else
		b->pos += n;
}

static const char *td_bstr(struct td_buf *b)
{
	const char *str;
	const unsigned char *nul;

	if (b->bad || b->pos >= b->len ||
	    !(nul = memchr(b->p + b->pos, '\0', b->len - b->pos))) {
		b->bad = true;
		return NULL;
	}
	str = (const char *)b->p + b->pos;
	b->pos = (size_t)(nul - b->p) + 1;
	return str;
}

static void td_add_instance(struct td_scan *s, const char *name)
{
	char *n;

	if (!s->instances) {
		s->instances = xstrdup(name);
		return;
	}
	n = xasprintf("%s %s", s->instances, name);
	free(s->instances);
	s->instances = n;
}

/* BUFFER (3) and BUFFER_TEXT (22) options. */
static int td_opt_buffer(struct td_scan *s, unsigned id, struct td_buf *b, uint64_t at)
{
	uint64_t off = td_bnum(s, b, 8);
	const char *name = td_bstr(b);
	const char *clock;
	uint32_t cpus, psize;
	struct td_cpu *cpu;
	unsigned ncpu = 0;

	if (b->bad)
		return td_corrupt(s, "buffer option", at, "malformed");
	if (s->version < 7) {
		if (*name)
			td_add_instance(s, name);
		return 0;
	}
	clock = td_bstr(b);
	if (b->bad)
		return td_corrupt(s, "buffer option", at, "malformed clock");
	if (*name) {
		td_add_instance(s, name);
		if (id == TDO_BUFFER) {
			/* libtracecmd parses it at open: its counts must be sane too */
			td_bnum(s, b, 4);
			cpus = (uint32_t)td_bnum(s, b, 4);
			if (b->bad || cpus > TD_MAX_CPUS || cpus > (b->len - b->pos) / 20)
				return td_corrupt(s, "buffer option", at, "bad CPU count");
			for (uint32_t i = 0; i < cpus; i++) {
				if (td_bnum(s, b, 4) >= TD_MAX_CPUS)
					return td_corrupt(s, "buffer option", at, "bad CPU id");
				td_bskip(b, 16);
			}
		}
		return 0;
	}
	/* the top buffer: the one tracecmd_open_fd() reads */
	s->have_top = true;
	s->top_off = off;
	s->top_latency = id == TDO_BUFFER_TEXT;
	free(s->clock);
	s->clock = *clock ? xstrdup(clock) : NULL;
	free(s->cpu);
	s->cpu = NULL;
	s->ncpu = 0;
	if (id == TDO_BUFFER_TEXT)
		return 0;
	psize = (uint32_t)td_bnum(s, b, 4);
	cpus = (uint32_t)td_bnum(s, b, 4);
	(void)psize;
	if (b->bad || cpus > TD_MAX_CPUS || cpus > (b->len - b->pos) / 20)
		return td_corrupt(s, "buffer option", at, "bad CPU count");
	cpu = xcalloc(cpus ? cpus : 1, sizeof(*cpu));
	{
		uint32_t *ids = xcalloc(cpus ? cpus : 1, sizeof(*ids));

		for (uint32_t i = 0; i < cpus; i++) {
			ids[i] = (uint32_t)td_bnum(s, b, 4);
			cpu[i].off = td_bnum(s, b, 8);
			cpu[i].size = td_bnum(s, b, 8);
			if (ids[i] >= TD_MAX_CPUS) {
				free(ids);
				free(cpu);
				return td_corrupt(s, "buffer option", at, "bad CPU id");
			}
			if (ids[i] + 1 > ncpu)
				ncpu = ids[i] + 1;
		}
		/* libtracecmd indexes its CPUs by id: do the same */
		s->cpu = xcalloc(ncpu ? ncpu : 1, sizeof(*s->cpu));
		s->ncpu = ncpu;
		for (uint32_t i = 0; i < cpus; i++) {
			if (s->cpu[ids[i]].size && cpu[i].size) {
				free(ids);
				free(cpu);
				return td_corrupt(s, "buffer option", at, "CPU listed twice");
			}
			if (cpu[i].size || !s->cpu[ids[i]].size)
				s->cpu[ids[i]] = cpu[i];
		}
		free(ids);
	}
	free(cpu);
	return 0;
}

/* One option's payload; @at is its offset in the file (for messages). */
static int td_opt(struct td_scan *s, unsigned id, const unsigned char *data, uint32_t size,
		  uint64_t at)
{
	struct td_buf b = { data, size, 0, false };
	int64_t v;

	switch (id) {
	case TDO_DATE:
	case TDO_OFFSET:
	case TDO_TRACECLOCK:
	case TDO_UNAME:
	case TDO_VERSION:
	case TDO_CPUSTAT:
	case TDO_PROCMAPS:
		/* libtracecmd treats these as C strings */
		if (!size || !memchr(data, '\0', size))
			return td_corrupt(s, "string option", at, "not NUL-terminated");
		break;
	}
	switch (id) {
	case TDO_DATE:
		v = strtoll((const char *)data, NULL, 0);
		s->ts_offset += v * 1000;
		break;
	case TDO_OFFSET:
		s->ts_offset += strtoll((const char *)data, NULL, 0);
		break;
	case TDO_TRACECLOCK:
		s->traceclock_opt = true;
		if (!td_parse_clock((const char *)data, size, s->clock ? NULL : &s->clock))
			return td_corrupt(s, "trace clock option", at, "malformed");
		break;
	case TDO_UNAME:
		free(s->uname);
		s->uname = xstrdup((const char *)data);
		break;
	case TDO_HOOK:
		return td_scan_fail(s, -ISM_EUNSUPPORTED, "trace.dat has an event hook option "
				    "(trace-cmd record -H), which libtracecmd 1.3.1 cannot read "
				    "safely");
	case TDO_CPUCOUNT:
		if (size < 4)
			return td_corrupt(s, "CPU count option", at, "too short");
		s->cpucount = (uint32_t)td_num(s->swap, data, 4);
		s->have_cpucount = true;
		if (s->cpucount > TD_MAX_CPUS)
			return td_corrupt(s, "CPU count option", at, "implausible CPU count");
		break;
	case TDO_PROCMAPS: {
		unsigned pid, nmaps;
		size_t nl = 0;

		if (data[size - 1] != '\0')
			break;         /* libtracecmd ignores it */
		if (sscanf((const char *)data, "%x %x", &pid, &nmaps) == 2) {
			for (uint32_t i = 0; i < size; i++)
				nl += data[i] == '\n';
			if (nmaps > nl)
				return td_corrupt(s, "process map option", at, "bad count");
		}
		break;
	}
	case TDO_TSC2NSEC:
		s->ts_convert = true;
		break;
	case TDO_TIME_SHIFT: {
		uint32_t ncpu;

		s->ts_convert = true;
		if (size < 16)
			break;         /* libtracecmd ignores it */
		td_bskip(&b, 12);
		ncpu = (uint32_t)td_bnum(s, &b, 4);
		if (ncpu > TD_MAX_CPUS)
			return td_corrupt(s, "time shift option", at, "bad CPU count");
		for (uint32_t i = 0; i < ncpu && !b.bad; i++) {
			uint64_t n = td_bnum(s, &b, 4);

			if (b.bad || n > (b.len - b.pos) / 24)
				return td_corrupt(s, "time shift option", at, "bad sample count");
			b.pos += (size_t)n * 24;
		}
		break;
	}
	case TDO_GUEST: {
		uint32_t nvcpu;

		if (!td_bstr(&b))
			return td_corrupt(s, "guest option", at, "malformed name");
		td_bnum(s, &b, 8);
		nvcpu = (uint32_t)td_bnum(s, &b, 4);
		if (b.bad || nvcpu > TD_MAX_CPUS)
			return td_corrupt(s, "guest option", at, "bad CPU count");
		for (uint32_t i = 0; i < nvcpu && b.len - b.pos >= 8; i++) {
			if (td_bnum(s, &b, 4) >= nvcpu)
				return td_corrupt(s, "guest option", at, "bad CPU id");
			td_bnum(s, &b, 4);
		}
		break;
	}
	case TDO_BUFFER:
	case TDO_BUFFER_TEXT:
		return td_opt_buffer(s, id, &b, at);
	case TDO_HEADER_INFO:
	case TDO_FTRACE_EVENTS:
	case TDO_EVENT_FORMATS:
	case TDO_KALLSYMS:
	case TDO_PRINTK:
	case TDO_CMDLINES:
		if (size >= 8)
			s->sec_off[id - TDO_HEADER_INFO] = td_num(s->swap, data, 8);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Options from *@pos up to DONE. Version 6: DONE is a bare id 0. Version 7: DONE carries the
 * offset of the next options section (*@next, 0 = none).
 */
static int td_options(struct td_scan *s, uint64_t *pos, uint64_t *next)
{
	for (;;) {
		uint64_t id, size, at = *pos;
		unsigned char *data;
		int ret;

		if (td_rd(s, pos, 2, "option id", &id))
			return s->err;
		if (s->version < 7 && id == TDO_DONE)
			return 0;
		if (td_rd(s, pos, 4, "option size", &size))
			return s->err;
		if (!td_fits(s, *pos, size))
			return td_scan_trunc(s, "option", *pos, size);
		if (id == TDO_DONE) {
			if (size < 8)
				return td_corrupt(s, "end of options", at, "too short");
			if (td_rd(s, pos, 8, "next options offset", next))
				return s->err;
			*pos += size - 8;
			return 0;
		}
		if (size > TD_MAX_OPTION)
			return td_corrupt(s, "option", at, "implausibly large");
		data = td_copy(s, *pos, size, "option");
		if (!data)
			return s->err;
		ret = td_opt(s, (unsigned)id, data, (uint32_t)size, at);
		free(data);
		if (ret)
			return ret;
		*pos += size;
	}
}

/* header_page text: parsed later, in td_check_formats(). */
static int td_header_page(struct td_scan *s, uint64_t off, uint64_t size)
{
	struct td_scan *k = s->sink ? s->sink : s;
	unsigned char *text;

	if (size > (1u << 20))
		return td_corrupt(s, "header_page", off, "implausibly large");
	text = td_copy(s, off, size, "header_page");
	if (!text)
		return s->err;
	free(k->hp);
	k->hp = (char *)text;
	k->hp_len = (size_t)size;
	k->have_hp = true;
	return 0;
}

/* Header info: header_page + header_event (v6 header, v7 section 16). */
static int td_header_info(struct td_scan *s, uint64_t *pos)
{
	const unsigned char *p;
	uint64_t size;

	p = td_get(s, *pos, 12, "header_page tag");
	if (!p)
		return s->err;
	if (memcmp(p, "header_page", 12) != 0)
		return td_corrupt(s, "header_page tag", *pos, "missing");
	*pos += 12;
	if (td_rd(s, pos, 8, "header_page size", &size))
		return s->err;
	if (td_header_page(s, *pos, size))
		return s->err;
	*pos += size;
	p = td_get(s, *pos, 13, "header_event tag");
	if (!p)
		return s->err;
	if (memcmp(p, "header_event", 13) != 0)
		return td_corrupt(s, "header_event tag", *pos, "missing");
	*pos += 13;
	if (td_rd(s, pos, 8, "header_event size", &size))
		return s->err;
	return td_skip(s, pos, size, "header_event");
}

/* One event format text: kept for td_check_formats(). */
static int td_format(struct td_scan *s, uint64_t *pos, int sys, const char *what)
{
	struct td_scan *k = s->sink ? s->sink : s;
	unsigned char *text;
	uint64_t size;

	if (td_rd(s, pos, 8, what, &size))
		return s->err;
	if (size > TD_MAX_OPTION)
		return td_corrupt(s, what, *pos, "implausibly large");
	text = td_copy(s, *pos, size, what);
	if (!text)
		return s->err;
	if (k->nfmts == k->fmtcap) {
		k->fmtcap = k->fmtcap ? 2 * k->fmtcap : 64;
		k->fmts = xreallocarray(k->fmts, k->fmtcap, sizeof(*k->fmts));
	}
	k->fmts[k->nfmts].text = (char *)text;
	k->fmts[k->nfmts].len = (size_t)size;
	k->fmts[k->nfmts].sys = sys;
	k->nfmts++;
	*pos += size;
	return 0;
}

static int td_ftrace_formats(struct td_scan *s, uint64_t *pos)
{
	uint64_t count;

	if (td_rd(s, pos, 4, "ftrace format count", &count))
		return s->err;
	for (uint64_t i = 0; i < count; i++)
		if (td_format(s, pos, -1, "ftrace event format"))
			return s->err;
	return 0;
}

static int td_event_formats(struct td_scan *s, uint64_t *pos)
{
	struct td_scan *k = s->sink ? s->sink : s;
	uint64_t nsys, count;
	char name[4097];

	if (td_rd(s, pos, 4, "event system count", &nsys))
		return s->err;
	for (uint64_t i = 0; i < nsys; i++) {
		if (td_rdstr(s, pos, 4096, "event system name", name, sizeof(name)) ||
		    td_rd(s, pos, 4, "event count", &count))
			return s->err;
		k->systems = xreallocarray(k->systems, k->nsystems + 1, sizeof(*k->systems));
		k->systems[k->nsystems++] = xstrdup(name);
		for (uint64_t j = 0; j < count; j++)
			if (td_format(s, pos, (int)k->nsystems - 1, "event format"))
				return s->err;
	}
	return 0;
}

/*
 * printk formats, "ADDR : "FORMAT"" lines. libtraceevent's tep_parse_printk_formats() reads
 * past its buffer on a line without ':' (it strdup()s the text after a ':' it did not find)
 * and tep_register_print_string() on a format shorter than 3 bytes. Same line splitting as
 * the library: strtok() on '\n', the text cut at the first NUL, stop at a line of ':' only.
 */
static int td_printk(struct td_scan *s, uint64_t *pos)
{
	uint64_t size, at;
	unsigned char *text;
	size_t len, i = 0;

	if (td_rd(s, pos, 4, "printk formats size", &size))
		return s->err;
	at = *pos;
	if (!size)
		return 0;
	text = td_copy(s, at, size, "printk formats");
	if (!text)
		return s->err;
	len = strlen((char *)text);
	while (i < len) {
		size_t e = i, k, c, f;

		while (e < len && text[e] != '\n')
			e++;
		k = i;
		while (k < e && text[k] == ':')
			k++;
		if (e > i && k == e)
			break;          /* the library stops here */
		c = k;
		while (c < e && text[c] != ':')
			c++;
		f = c + 2;              /* the library skips one character after ':' */
		if (f < e && text[f] == '"')
			f++;
		if (e > i && (c == e || f > e || e - f < 3)) {
			free(text);
			return td_corrupt(s, "printk formats", at + i, "malformed line");
		}
		i = e + 1;
	}
	free(text);
	*pos += size;
	return 0;
}

/* kallsyms: 4-byte size + data. */
static int td_sized4(struct td_scan *s, uint64_t *pos, const char *what)
{
	uint64_t size;

	if (td_rd(s, pos, 4, what, &size))
		return s->err;
	return td_skip(s, pos, size, what);
}

static int td_sized8(struct td_scan *s, uint64_t *pos, const char *what)
{
	uint64_t size;

	if (td_rd(s, pos, 8, what, &size))
		return s->err;
	return td_skip(s, pos, size, what);
}

/* A v7 section header at @off; returns its data offset in *@data. */
static int td_section(struct td_scan *s, uint64_t off, unsigned want, const char *what,
		      uint64_t *flags, uint64_t *size, uint64_t *data)
{
	uint64_t pos = off, id;

	if (td_rd(s, &pos, 2, what, &id) || td_rd(s, &pos, 2, what, flags) ||
	    td_skip(s, &pos, 4, what) || td_rd(s, &pos, 8, what, size))
		return s->err;
	if (id != want)
		return td_corrupt(s, what, off, "wrong section id");
	if (!td_fits(s, pos, *size))
		return td_scan_trunc(s, what, pos, *size);
	*data = pos;
	return 0;
}

/* A compressed section's block header: sizes must be sane for libtracecmd's malloc(). */
static int td_zblock(struct td_scan *s, uint64_t data, uint64_t size, const char *what)
{
	uint64_t pos = data, csize, rsize;

	if (size < 8)
		return td_corrupt(s, what, data, "compressed block too short");
	if (td_rd(s, &pos, 4, what, &csize) || td_rd(s, &pos, 4, what, &rsize))
		return s->err;
	if (csize > size - 8 || rsize > TD_MAX_RSIZE)
		return td_corrupt(s, what, data, "bad compressed block sizes");
	return 0;
}

/* Walk the content of metadata section @id at *@pos. */
static int td_meta(struct td_scan *s, unsigned id, uint64_t *pos)
{
	switch (id) {
	case TDO_HEADER_INFO:
		return td_header_info(s, pos);
	case TDO_FTRACE_EVENTS:
		return td_ftrace_formats(s, pos);
	case TDO_EVENT_FORMATS:
		return td_event_formats(s, pos);
	case TDO_KALLSYMS:
		return td_sized4(s, pos, "kallsyms");
	case TDO_PRINTK:
		return td_printk(s, pos);
	case TDO_CMDLINES:
		return td_sized8(s, pos, "saved cmdlines");
	}
	return 0;
}

/*
 * A compressed metadata section: inflate it (zstd) and walk it like an uncompressed one, so
 * its formats get the same checks. kallsyms and cmdlines need none.
 */
static int td_zsection(struct td_scan *s, unsigned id, uint64_t data, const char *what)
{
#ifdef HAVE_ZSTD
	struct td_scan sub;
	uint64_t pos = data, csize, rsize;
	unsigned char *in, *out;
	size_t got;
	int ret = 0;

	if (id == TDO_KALLSYMS || id == TDO_CMDLINES)
		return 0;
	if (strcmp(s->comp, "zstd") != 0) {
		s->unchecked = true;
		return 0;
	}
	td_rd(s, &pos, 4, what, &csize);
	td_rd(s, &pos, 4, what, &rsize);
	in = td_copy(s, pos, csize, what);
	if (!in)
		return s->err;
	out = xmalloc(rsize ? (size_t)rsize : 1);
	got = ZSTD_decompress(out, (size_t)rsize, in, (size_t)csize);
	free(in);
	if (ZSTD_isError(got) || got != rsize) {
		free(out);
		return td_corrupt(s, what, data, "does not decompress");
	}
	memset(&sub, 0, sizeof(sub));
	sub.fd = -1;
	sub.mem = out;
	sub.sink = s;
	sub.fsize = rsize;
	sub.version = s->version;
	sub.big = s->big;
	sub.swap = s->swap;
	sub.long_size = s->long_size;
	pos = 0;
	if (td_meta(&sub, id, &pos)) {
		const char *m = sub.msg;

		/* inside a section, running out of bytes is corruption, not truncation */
		if (strncmp(m, "truncated trace.dat: ", 21) == 0)
			m += 21;
		else if (strncmp(m, "corrupt trace.dat: ", 19) == 0)
			m += 19;
		ret = td_scan_fail(s, sub.err == -ISM_ETRUNCATED ? -ISM_ECORRUPT : sub.err,
				   "corrupt trace.dat: the compressed %s at offset %llu: %s (offsets "
				   "in the decompressed section)", what, (unsigned long long)data, m);
	}
	free(sub.msg);
	free(out);
	return ret;
#else
	if (id != TDO_KALLSYMS && id != TDO_CMDLINES)
		s->unchecked = true;
	return 0;
#endif
}

/*
 * A ring-buffer page header as kbuffer_load_subbuffer() reads it: an 8-byte timestamp, then
 * the commit word (a kernel long, @commit_size bytes) with the size of the page's data in its
 * low 27 bits, bit 31 set when events were lost before the page and bit 30 when their count is
 * stored right after the data. kbuffer trusts the size: it reads the count at data + size and
 * records up to data + size, so a size the kernel cannot write makes it read past the page
 * (libtracecmd checks the size only against the whole page, after loading it). The kernel's
 * rule (ring_buffer_read_page()): at most page size - header bytes of data, and the count is
 * stored only when a long still fits after the data.
 * Returns NULL when kbuffer may load the page, else what is wrong; *size = the data size.
 * Needs only the page's first 16 bytes.
 */
static const char *td_page_bad(const unsigned char *hdr, bool swap, unsigned commit_size,
			       uint32_t page_size, uint64_t *size)
{
	uint64_t w = td_num(swap, hdr + 8, commit_size), room = page_size - 8 - commit_size;

	*size = w & TD_COMMIT_MASK;
	if (*size > room)
		return "exceeds the page";
	if ((w & TD_MISSED) && (w & TD_MISSED_STORED) && *size + commit_size > room)
		return "exceeds the page with the lost-events count stored after the data";
	return NULL;
}

/*
 * Check CPU @cpu's pages from file offset @pg on, up to and including the first that holds
 * data (every page up to @end if @all), or up to @end: the pages libtracecmd (or the page
 * walk) loads before it returns the next record. Page headers come from @buf (file bytes
 * [@boff, @boff + @blen)) when it holds them, else from the file. 0, or the scan's error
 * (CPU, offset and commit size named).
 */
static int td_check_pages(struct td_scan *s, unsigned cpu, uint64_t pg, uint64_t end,
			  const unsigned char *buf, uint64_t boff, size_t blen, bool all)
{
	uint32_t hlen = 8 + s->commit_size;

	for (; pg + s->page_size <= end; pg += s->page_size) {
		const unsigned char *h;
		const char *why;
		uint64_t size;

		if (buf && pg >= boff && pg + hlen <= boff + blen)
			h = buf + (pg - boff);
		else if (!(h = td_get(s, pg, hlen, "ring-buffer page header")))
			return s->err;
		why = td_page_bad(h, s->swap, s->commit_size, s->page_size, &size);
		if (why)
			return td_scan_fail(s, -ISM_ECORRUPT, "CPU %u data page at offset %llu: "
					    "commit size %llu %s (%u bytes of data at most)", cpu,
					    (unsigned long long)pg, (unsigned long long)size, why,
					    s->page_size - hlen);
		if (size && !all)
			break;
	}
	return 0;
}

/* Check one CPU's ring-buffer data. */
static int td_cpu_data(struct td_scan *s, unsigned cpu)
{
	struct td_cpu *c = &s->cpu[cpu];
	char what[48];

	if (!c->size)
		return 0;
	snprintf(what, sizeof(what), "CPU %u ring-buffer data", cpu);
	if (!td_fits(s, c->off, c->size))
		return td_scan_trunc(s, what, c->off, c->size);
	if (s->cpu_compressed) {
		/* trace-cmd 3.1 records the size without the 4-byte chunk count */
		uint64_t pos = c->off, end = c->off + c->size + 4, count;

		if (end > s->fsize)
			end = s->fsize;

		if (td_rd(s, &pos, 4, what, &count))
			return s->err;
		if (count > c->size / 8)
			return td_corrupt(s, what, c->off, "bad chunk count");
		for (uint64_t i = 0; i < count; i++) {
			uint64_t zsize, size;

			if (pos + 8 > end)
				return td_corrupt(s, what, pos, "chunk table overruns the data");
			td_rd(s, &pos, 4, what, &zsize);
			td_rd(s, &pos, 4, what, &size);
			if (zsize > end - pos || size > TD_MAX_RSIZE)
				return td_corrupt(s, what, pos, "bad chunk sizes");
			pos += zsize;
		}
		return 0;
	}
	if (c->off % s->page_size)
		return td_corrupt(s, what, c->off, "not page aligned");
	if (c->size % s->page_size)
		return td_corrupt(s, what, c->off, "not a whole number of pages");
	/* libtracecmd loads the first page holding data at open */
	return td_check_pages(s, cpu, c->off, c->off + c->size, NULL, 0, 0, false);
}

static int td_scan_v6(struct td_scan *s, uint64_t pos)
{
	uint64_t cpus, off, size, next;
	const unsigned char *p;
	unsigned n;

	if (td_header_info(s, &pos) || td_ftrace_formats(s, &pos) || td_event_formats(s, &pos) ||
	    td_sized4(s, &pos, "kallsyms") || td_printk(s, &pos) ||
	    td_sized8(s, &pos, "saved cmdlines") || td_rd(s, &pos, 4, "CPU count", &cpus))
		return s->err;
	if (cpus > TD_MAX_CPUS)
		return td_corrupt(s, "CPU count", pos - 4, "implausible");
	p = td_get(s, pos, 10, "options/flyrecord tag");
	if (!p)
		return s->err;
	if (strncmp((const char *)p, "options", 7) == 0) {
		pos += 10;
		if (td_options(s, &pos, &next))
			return s->err;
		p = td_get(s, pos, 10, "flyrecord tag");
		if (!p)
			return s->err;
	}
	if (strncmp((const char *)p, "latency", 7) == 0)
		return td_scan_fail(s, -ISM_EUNSUPPORTED, "trace.dat holds a latency trace (text), "
				    "not ring-buffer events");
	if (strncmp((const char *)p, "flyrecord", 9) != 0)
		return td_corrupt(s, "flyrecord tag", pos, "missing");
	pos += 10;
	/* a CPUCOUNT option replaces the header's count (libtracecmd read_cpu_data()) */
	n = s->have_cpucount ? s->cpucount : (unsigned)cpus;
	s->cpu = xcalloc(n ? n : 1, sizeof(*s->cpu));
	s->ncpu = n;
	for (unsigned i = 0; i < n; i++) {
		if (td_rd(s, &pos, 8, "CPU data offset", &off) ||
		    td_rd(s, &pos, 8, "CPU data size", &size))
			return s->err;
		s->cpu[i].off = off;
		s->cpu[i].size = size;
	}
	if (s->traceclock_opt) {
		unsigned char *text;

		if (td_rd(s, &pos, 8, "trace clock size", &size))
			return s->err;
		if (size > (1u << 20))
			return td_corrupt(s, "trace clock", pos, "implausibly large");
		text = td_copy(s, pos, size, "trace clock");
		if (!text)
			return s->err;
		if (!td_parse_clock((const char *)text, (size_t)size, &s->clock)) {
			free(text);
			return td_corrupt(s, "trace clock", pos, "malformed");
		}
		free(text);
	}
	s->have_top = true;
	return 0;
}

/* libtracecmd walks all sections from the header on, looking for string tables. */
static int td_walk_strings(struct td_scan *s, uint64_t pos)
{
	for (unsigned k = 0; pos <= s->fsize && s->fsize - pos >= 16; k++) {
		uint64_t p = pos, id, flags, size;

		if (k >= TD_MAX_SECTIONS)
			return td_corrupt(s, "section list", pos, "too many sections");
		td_rd(s, &p, 2, "section", &id);
		td_rd(s, &p, 2, "section", &flags);
		p += 4;
		td_rd(s, &p, 8, "section", &size);
		if (s->err)
			return s->err;
		if (id != TDO_STRINGS) {
			if (size > s->fsize - p)
				return 0;      /* libtracecmd stops here too */
			pos = p + size;
			continue;
		}
		if (!td_fits(s, p, size))
			return td_scan_trunc(s, "string table", p, size);
		if (flags & TD_SEC_COMPRESS) {
			uint64_t q = p, csize, rsize;

			if (size < 8)
				return td_corrupt(s, "string table", p, "too short");
			td_rd(s, &q, 4, "string table", &csize);
			td_rd(s, &q, 4, "string table", &rsize);
			if (csize > size - 8 || rsize > TD_MAX_RSIZE)
				return td_corrupt(s, "string table", p, "bad compressed sizes");
			pos = q + csize;
		} else {
			if (size > TD_MAX_RSIZE)
				return td_corrupt(s, "string table", p, "implausibly large");
			pos = p + size;
		}
	}
	return 0;
}

static int td_scan_v7(struct td_scan *s, uint64_t pos)
{
	static const char *const secname[] = {
		"header info section", "ftrace formats section", "event formats section",
		"kallsyms section", "printk section", "cmdlines section",
	};
	uint64_t optoff, next, visited[TD_MAX_OPTSECS];
	unsigned nvisited = 0;

	if (td_rdstr(s, &pos, 63, "compression name", s->comp, sizeof(s->comp)) ||
	    td_rdstr(s, &pos, 63, "compression version", NULL, 0) ||
	    td_rd(s, &pos, 8, "options offset", &optoff))
		return s->err;
	if (td_walk_strings(s, pos))
		return s->err;
	/* the options chain; libtracecmd follows it recursively, so a loop would kill it */
	for (next = optoff; next;) {
		uint64_t flags, size, data;

		for (unsigned i = 0; i < nvisited; i++)
			if (visited[i] == next)
				return td_corrupt(s, "options section", next, "options chain loops");
		if (nvisited == TD_MAX_OPTSECS)
			return td_corrupt(s, "options section", next, "too many options sections");
		visited[nvisited++] = next;
		if (td_section(s, next, TDO_DONE, "options section", &flags, &size, &data))
			return s->err;
		if (flags & TD_SEC_COMPRESS)
			return td_scan_fail(s, -ISM_EUNSUPPORTED, "trace.dat has a compressed "
					    "options section (offset %llu), which this reader "
					    "cannot check", (unsigned long long)next);
		next = 0;
		if (td_options(s, &data, &next))
			return s->err;
	}
	if (!s->sec_off[0])
		return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: no header info section");
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(s->sec_off); i++) {
		uint64_t flags, size, data, end;

		if (!s->sec_off[i])
			continue;
		if (td_section(s, s->sec_off[i], TDO_HEADER_INFO + i, secname[i], &flags, &size,
			       &data))
			return s->err;
		if (flags & TD_SEC_COMPRESS) {
			if (td_zblock(s, data, size, secname[i]) ||
			    td_zsection(s, TDO_HEADER_INFO + i, data, secname[i]))
				return s->err;
			continue;
		}
		end = data;
		if (td_meta(s, TDO_HEADER_INFO + i, &end))
			return s->err;
	}
	if (!s->have_top)
		return 0;
	if (s->top_latency)
		return td_scan_fail(s, -ISM_EUNSUPPORTED, "trace.dat holds a latency trace (text), "
				    "not ring-buffer events");
	{
		uint64_t pos2 = s->top_off, id, flags, size;

		/* libtracecmd only looks at the flags of this section header */
		if (td_rd(s, &pos2, 2, "buffer section", &id) ||
		    td_rd(s, &pos2, 2, "buffer section", &flags) ||
		    td_skip(s, &pos2, 4, "buffer section") ||
		    td_rd(s, &pos2, 8, "buffer section", &size))
			return s->err;
		s->cpu_compressed = flags & TD_SEC_COMPRESS;
	}
	return 0;
}

/* Every CPU's ring-buffer data (after td_check_formats(), which tells the page layout). */
static int td_scan_cpus(struct td_scan *s)
{
	for (unsigned i = 0; i < s->ncpu; i++)
		if (td_cpu_data(s, i))
			return s->err;
	return 0;
}

/* The format texts are needed only until td_check_formats() has run. */
static void td_scan_drop_formats(struct td_scan *s)
{
	for (unsigned i = 0; i < s->nsystems; i++)
		free(s->systems[i]);
	free(s->systems);
	s->systems = NULL;
	s->nsystems = 0;
	for (unsigned i = 0; i < s->nfmts; i++)
		free(s->fmts[i].text);
	free(s->fmts);
	s->fmts = NULL;
	s->nfmts = s->fmtcap = 0;
	free(s->hp);
	s->hp = NULL;
}

static void td_scan_free(struct td_scan *s)
{
	td_scan_drop_formats(s);
	free(s->win);
	free(s->clock);
	free(s->uname);
	free(s->instances);
	free(s->cpu);
	free(s->msg);
	memset(s, 0, sizeof(*s));
}

/* Check the whole file structure of @fd. On failure returns -ISM_E* with s->msg set. */
static int td_scan(struct td_scan *s, int fd)
{
	struct stat st;
	const unsigned char *p;
	char ver[16], *end;
	uint64_t pos = 10, v;

	s->fd = fd;
	if (fstat(fd, &st) < 0)
		return td_scan_fail(s, -ISM_EIO, "cannot stat: %s", strerror(errno));
	s->fsize = (uint64_t)st.st_size;
	p = td_get(s, 0, 10, "magic");
	if (!p)
		return s->err;
	if (memcmp(p, TD_MAGIC, 10) != 0)
		return td_scan_fail(s, -ISM_EFORMAT, "not a trace-cmd trace.dat (bad magic)");
	if (td_rdstr(s, &pos, 15, "version", ver, sizeof(ver)))
		return s->err;
	errno = 0;
	v = strtoull(ver, &end, 10);
	if (!*ver || *end || errno)
		return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: bad version string");
	if (v != 6 && v != 7)
		return td_scan_fail(s, -ISM_EVERSION, "trace.dat file version %llu; versions 6 "
				    "and 7 are supported", (unsigned long long)v);
	s->version = (unsigned)v;
	p = td_get(s, pos, 6, "file header");
	if (!p)
		return s->err;
	if (p[0] > 1)
		return td_corrupt(s, "endianness flag", pos, "not 0 or 1");
	s->big = p[0] == 1;
	s->swap = s->big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	s->long_size = p[1];
	if (s->long_size != 4 && s->long_size != 8)
		return td_corrupt(s, "long size", pos + 1, "not 4 or 8");
	s->commit_size = s->long_size;
	s->page_size = (uint32_t)td_num(s->swap, p + 2, 4);
	if (s->page_size < TD_MIN_PAGE || s->page_size > TD_MAX_PAGE ||
	    (s->page_size & (s->page_size - 1)))
		return td_corrupt(s, "page size", pos + 2, "not a power of two in 1 KiB..1 MiB");
	pos += 6;
	return s->version == 6 ? td_scan_v6(s, pos) : td_scan_v7(s, pos);
}

/* ---- event formats, parsed in a child process ------------------------------------------ */

/*
 * libtraceevent's format parser is not safe against corrupt text: one flipped byte in a
 * print fmt (say "sizeof(u64)") can crash it. libtracecmd parses every format at open, so
 * they are parsed first in a child process, as libtracecmd will (same calls, same order), and
 * a crash there becomes an error message here. Only the formats are parsed, not kallsyms
 * (the large part), so this costs a few milliseconds.
 */
enum { TDC_HEADER = 1, TDC_FORMAT, TDC_DONE };

static void td_send(int fd, uint32_t tag, uint32_t a, uint32_t b)
{
	uint32_t m[3] = { tag, a, b };
	ssize_t k;

	do
		k = write(fd, m, sizeof(m));
	while (k < 0 && errno == EINTR);
}

/*
 * A child that runs the libraries on untrusted input: quiet (the library prints its own
 * complaints), bounded (60 s), and with the fatal signals at their defaults. The parent's
 * handlers are not the child's: a crash of the library there is the answer the parent waits
 * for (a death by signal), not something to clean up after or report (the CLI's temporary-file
 * cleanup, a sanitizer's or fuzzer's crash handler).
 */
static void td_child_setup(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM };
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], SIG_DFL);
	alarm(60);
}

static void td_child(struct td_scan *s, int wfd) __attribute__((noreturn));

static void td_child(struct td_scan *s, int wfd)
{
	static char empty[1];
	struct tep_handle *tep;
	int ts, commit;

	td_child_setup();
	tep = tep_alloc();
	if (!tep)
		_exit(3);
	tep_set_file_bigendian(tep, s->big ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? TEP_BIG_ENDIAN :
				TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, (int)s->long_size);
	td_send(wfd, TDC_HEADER, 0, 0);
	if (s->have_hp)
		tep_parse_header_page(tep, s->hp ? s->hp : empty, (unsigned long)s->hp_len,
				      (int)s->long_size);
	ts = tep_get_header_timestamp_size(tep);
	commit = tep_get_header_page_size(tep);
	for (unsigned i = 0; i < s->nfmts; i++) {
		const struct td_fmt *f = &s->fmts[i];

		td_send(wfd, TDC_FORMAT, i, 0);
		tep_parse_event(tep, f->text, (unsigned long)f->len,
				f->sys < 0 ? "ftrace" : s->systems[f->sys]);
	}
	td_send(wfd, TDC_DONE, (uint32_t)ts, (uint32_t)commit);
	_exit(0);
}

/*
 * libtracecmd 1.3 crashes opening some corrupt files (a NULL dereference in tracecmd_close() on
 * an error path of tracecmd_open_fd(), found by fuzzing), so a child opens @fd first. Returns 0
 * when the child opened it or failed cleanly (the real open then says why), -ISM_ECORRUPT
 * when it died.
 */
static int td_check_open(int fd)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return 0; /* no child to be had: the library's risk, as before */
	if (pid == 0) {
		struct tracecmd_input *h;
		int dfd;

		td_child_setup();
		dfd = dup(fd);
		if (dfd < 0 || lseek(dfd, 0, SEEK_SET) != 0)
			_exit(4);
		h = tracecmd_open_fd(dfd, TRACECMD_FL_LOAD_NO_PLUGINS);
		if (h)
			tracecmd_close(h);
		_exit(h ? 0 : 4);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 0;
	}
	return WIFSIGNALED(status) ? -ISM_ECORRUPT : 0;
}

/* "system:name" of a format text, for messages. */
static void td_fmt_name(const struct td_scan *s, const struct td_fmt *f, char *buf, size_t cap)
{
	const char *t = f->text;
	size_t i = 0, n = 0;
	char name[64];

	if (f->len > 6 && memcmp(t, "name: ", 6) == 0)
		for (i = 6; i < f->len && n < sizeof(name) - 1 &&
			    (t[i] == '_' || (t[i] >= 'a' && t[i] <= 'z') ||
			     (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9')); i++)
			name[n++] = t[i];
	name[n] = '\0';
	snprintf(buf, cap, "%s:%s", f->sys < 0 ? "ftrace" : s->systems[f->sys],
		 n ? name : "?");
}

/* The header page's layout when no child can be had: parsed here (the risk is the library's). */
static void td_header_inproc(struct td_scan *s, int *ts, int *commit)
{
	static char empty[1];
	struct tep_handle *tep = tep_alloc();

	*ts = 8;
	*commit = (int)s->long_size;
	if (!tep || !s->have_hp) {
		if (tep)
			tep_free(tep);
		return;
	}
	tep_set_file_bigendian(tep, s->big ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, (int)s->long_size);
	tep_parse_header_page(tep, s->hp ? s->hp : empty, (unsigned long)s->hp_len,
			      (int)s->long_size);
	*ts = tep_get_header_timestamp_size(tep);
	*commit = tep_get_header_page_size(tep);
	tep_free(tep);
}

/* Parse header_page and every event format in a child; learn the page header layout. */
static int td_check_formats(struct td_scan *s)
{
	uint32_t m[3], last[3] = { 0, 0, 0 };
	int pfd[2], status = 0, ts, commit;
	size_t have = 0;
	pid_t pid;
	bool waited;

	if (pipe(pfd) < 0)
		goto inproc;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		goto inproc;
	}
	if (pid == 0) {
		close(pfd[0]);
		td_child(s, pfd[1]);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t k = read(pfd[0], (char *)m + have, sizeof(m) - have);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		have += (size_t)k;
		if (have == sizeof(m)) {
			memcpy(last, m, sizeof(m));
			have = 0;
		}
	}
	close(pfd[0]);
	while (!(waited = waitpid(pid, &status, 0) == pid) && errno == EINTR)
		;
	/* (without a status, e.g. SIGCHLD ignored, the pipe alone tells) */
	if (last[0] != TDC_DONE || (waited && !(WIFEXITED(status) && !WEXITSTATUS(status)))) {
		char name[160];

		if (waited && WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: parsing its "
					    "event formats does not finish");
		if (last[0] == TDC_FORMAT && last[1] < s->nfmts) {
			td_fmt_name(s, &s->fmts[last[1]], name, sizeof(name));
			return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: the format of "
					    "event %s cannot be parsed (libtraceevent crashes on "
					    "it)", name);
		}
		if (last[0] == TDC_HEADER)
			return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: header_page "
					    "cannot be parsed (libtraceevent crashes on it)");
		return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: checking its event "
				    "formats failed");
	}
	ts = (int)last[1];
	commit = (int)last[2];
	goto check;
inproc:
	td_header_inproc(s, &ts, &commit);
check:
	if (s->have_hp && ts != 8)
		return td_scan_fail(s, -ISM_ECORRUPT, "corrupt trace.dat: header_page: the "
				    "timestamp is not 8 bytes");
	/* libtracecmd reads the commit field as 8 bytes only when it is 8 bytes */
	s->commit_size = s->have_hp ? (commit == 8 ? 8 : 4) : (s->long_size == 8 ? 8 : 4);
	return 0;
}

/* ---- events --------------------------------------------------------------------------- */

/* Field slots of a known event. */
enum {
	TF_DEV,       /* __data_loc char[] device / dev_name */
	TF_ADDR,      /* dma_addr / addr / iova / dev_addr / opcode */
	TF_PADDR,     /* phys_addr / virt_addr / paddr */
	TF_SIZE,
	TF_DIR,
	TF_ATTRS,
	TF_ARG,       /* flags (gfp) / err / dma_mask / retval / unmapped_size */
	TF_PHYS,      /* __data_loc u64[] phys_addrs / addrs */
	TF_DMA,       /* __data_loc u64[] dma_addrs */
	TF_LEN,       /* __data_loc unsigned int[] lengths */
	TF_NENTS,     /* full_nents */
	TF_ENTS,      /* full_ents */
	TF_BOOL,      /* truncated / force */
	TF_ENUM,      /* swiotlb_force (before 5.19) */
	TF_BUF,       /* ftrace:print buf */
	TF__COUNT
};

/* How a field is stored. */
enum { FT_NUM, FT_DYN, FT_TEXT };

/* Decoders. */
enum { H_MAP, H_MAP_SG, H_UNMAP_SG, H_MAP_SG_ERR, H_ALLOC, H_SYNC, H_SYNC_SG, H_BOUNCE,
       H_HCALL, H_IOMMU, H_MARKER };

struct td_fspec {
	uint8_t slot;
	uint8_t type;
	bool required;
	const char *name;
};

struct td_spec {
	const char *system;
	const char *name;
	uint8_t kind;
	uint8_t handler;
	uint16_t flags;
	const struct td_fspec *fields;
};

#define REQ(slot, type, name) { slot, type, true, name }
#define OPT(slot, type, name) { slot, type, false, name }
#define END { TF__COUNT, 0, false, NULL }

static const struct td_fspec fs_map[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_PADDR, FT_NUM, "phys_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_DIR, FT_NUM, "dir"), REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_unmap[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "addr"),
	REQ(TF_SIZE, FT_NUM, "size"), REQ(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_map_sg[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_DMA, FT_DYN, "dma_addrs"), REQ(TF_LEN, FT_DYN, "lengths"),
	REQ(TF_DIR, FT_NUM, "dir"), REQ(TF_ATTRS, FT_NUM, "attrs"),
	OPT(TF_NENTS, FT_NUM, "full_nents"), OPT(TF_ENTS, FT_NUM, "full_ents"),
	OPT(TF_BOOL, FT_NUM, "truncated"), END
};
static const struct td_fspec fs_unmap_sg[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "addrs"),
	REQ(TF_DIR, FT_NUM, "dir"), REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_map_sg_err[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_ARG, FT_NUM, "err"), REQ(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_alloc[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_PADDR, FT_NUM, "virt_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_ARG, FT_NUM, "flags"), OPT(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_alloc_sgt[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_ADDR, FT_NUM, "dma_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_ARG, FT_NUM, "flags"), OPT(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_free[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_PADDR, FT_NUM, "virt_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	OPT(TF_DIR, FT_NUM, "dir"), OPT(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_free_sgt[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_ADDR, FT_NUM, "dma_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	OPT(TF_DIR, FT_NUM, "dir"), OPT(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_sync[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_SIZE, FT_NUM, "size"), REQ(TF_DIR, FT_NUM, "dir"), END
};
static const struct td_fspec fs_sync_sg[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_DMA, FT_DYN, "dma_addrs"),
	REQ(TF_LEN, FT_DYN, "lengths"), REQ(TF_DIR, FT_NUM, "dir"), END
};
static const struct td_fspec fs_bounce[] = {
	REQ(TF_DEV, FT_DYN, "dev_name"), REQ(TF_ARG, FT_NUM, "dma_mask"),
	REQ(TF_ADDR, FT_NUM, "dev_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	OPT(TF_BOOL, FT_NUM, "force"), OPT(TF_ENUM, FT_NUM, "swiotlb_force"), END
};
static const struct td_fspec fs_hcall_entry[] = {
	REQ(TF_ADDR, FT_NUM, "opcode"), END
};
static const struct td_fspec fs_hcall_exit[] = {
	REQ(TF_ADDR, FT_NUM, "opcode"), REQ(TF_ARG, FT_NUM, "retval"), END
};
static const struct td_fspec fs_iommu_map[] = {
	REQ(TF_ADDR, FT_NUM, "iova"), REQ(TF_PADDR, FT_NUM, "paddr"),
	REQ(TF_SIZE, FT_NUM, "size"), END
};
static const struct td_fspec fs_iommu_unmap[] = {
	REQ(TF_ADDR, FT_NUM, "iova"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_ARG, FT_NUM, "unmapped_size"), END
};
static const struct td_fspec fs_print[] = {
	REQ(TF_BUF, FT_TEXT, "buf"), END
};

#undef REQ
#undef OPT
#undef END

static const struct td_spec td_specs[] = {
	{ "dma", "dma_map_phys", ISM_EV_MAP, H_MAP, 0, fs_map },
	{ "dma", "dma_map_page", ISM_EV_MAP, H_MAP, 0, fs_map },
	{ "dma", "dma_map_resource", ISM_EV_MAP, H_MAP, ISM_EF_MMIO, fs_map },
	{ "dma", "dma_unmap_phys", ISM_EV_UNMAP, H_MAP, 0, fs_unmap },
	{ "dma", "dma_unmap_page", ISM_EV_UNMAP, H_MAP, 0, fs_unmap },
	{ "dma", "dma_unmap_resource", ISM_EV_UNMAP, H_MAP, ISM_EF_MMIO, fs_unmap },
	{ "dma", "dma_map_sg", ISM_EV_MAP_SG, H_MAP_SG, 0, fs_map_sg },
	{ "dma", "dma_unmap_sg", ISM_EV_UNMAP_SG, H_UNMAP_SG, 0, fs_unmap_sg },
	{ "dma", "dma_map_sg_err", ISM_EV_MAP_SG_ERR, H_MAP_SG_ERR, 0, fs_map_sg_err },
	{ "dma", "dma_alloc", ISM_EV_ALLOC, H_ALLOC, 0, fs_alloc },
	{ "dma", "dma_alloc_pages", ISM_EV_ALLOC, H_ALLOC, ISM_EF_PAGES, fs_alloc },
	{ "dma", "dma_alloc_sgt", ISM_EV_ALLOC, H_ALLOC, ISM_EF_SGT, fs_alloc_sgt },
	{ "dma", "dma_alloc_sgt_err", ISM_EV_ALLOC_ERR, H_ALLOC, 0, fs_alloc },
	{ "dma", "dma_free", ISM_EV_FREE, H_ALLOC, 0, fs_free },
	{ "dma", "dma_free_pages", ISM_EV_FREE, H_ALLOC, ISM_EF_PAGES, fs_free },
	{ "dma", "dma_free_sgt", ISM_EV_FREE, H_ALLOC, ISM_EF_SGT, fs_free_sgt },
	{ "dma", "dma_sync_single_for_cpu", ISM_EV_SYNC_CPU, H_SYNC, 0, fs_sync },
	{ "dma", "dma_sync_single_for_device", ISM_EV_SYNC_DEV, H_SYNC, 0, fs_sync },
	{ "dma", "dma_sync_sg_for_cpu", ISM_EV_SYNC_SG_CPU, H_SYNC_SG, 0, fs_sync_sg },
	{ "dma", "dma_sync_sg_for_device", ISM_EV_SYNC_SG_DEV, H_SYNC_SG, 0, fs_sync_sg },
	{ "swiotlb", "swiotlb_bounced", ISM_EV_BOUNCE, H_BOUNCE, 0, fs_bounce },
	{ "powerpc", "hcall_entry", ISM_EV_HCALL_ENTRY, H_HCALL, 0, fs_hcall_entry },
	{ "powerpc", "hcall_exit", ISM_EV_HCALL_EXIT, H_HCALL, 0, fs_hcall_exit },
	{ "iommu", "map", ISM_EV_IOMMU_MAP, H_IOMMU, 0, fs_iommu_map },
	{ "iommu", "unmap", ISM_EV_IOMMU_UNMAP, H_IOMMU, 0, fs_iommu_unmap },
	{ "ftrace", "print", ISM_EV_MARKER, H_MARKER, 0, fs_print },
};

/*
 * Events reported in provenance "events_missing" when the file does not define them, with
 * the names that stand in for them (renamed or merged events).
 */
static const struct {
	const char *name;
	const char *alt;
} td_families[] = {
	{ "dma:dma_map_phys", "dma:dma_map_page" },
	{ "dma:dma_unmap_phys", "dma:dma_unmap_page" },
	{ "dma:dma_map_resource", "dma:dma_map_phys" },     /* merged in 6.18 */
	{ "dma:dma_unmap_resource", "dma:dma_unmap_phys" },
	{ "dma:dma_map_sg", NULL },
	{ "dma:dma_unmap_sg", NULL },
	{ "dma:dma_map_sg_err", NULL },
	{ "dma:dma_alloc", NULL },
	{ "dma:dma_alloc_pages", NULL },
	{ "dma:dma_alloc_sgt", NULL },
	{ "dma:dma_alloc_sgt_err", NULL },
	{ "dma:dma_free", NULL },
	{ "dma:dma_free_pages", NULL },
	{ "dma:dma_free_sgt", NULL },
	{ "dma:dma_sync_single_for_cpu", NULL },
	{ "dma:dma_sync_single_for_device", NULL },
	{ "dma:dma_sync_sg_for_cpu", NULL },
	{ "dma:dma_sync_sg_for_device", NULL },
	{ "swiotlb:swiotlb_bounced", NULL },
	{ "powerpc:hcall_entry", NULL },
	{ "powerpc:hcall_exit", NULL },
};

/* A known event present in this file. */
struct td_ev {
	const struct td_spec *spec;
	const struct tep_format_field *f[TF__COUNT];
	uint16_t off[TF__COUNT]; /* f[]'s offset and size, at hand for the per-record reads */
	uint8_t size[TF__COUNT];
	unsigned minsize;        /* bytes the fixed fields need */
	char *bad;               /* why this layout cannot be decoded (reported at first use) */
};

/* A device name seen recently (see td_device()). */
#define TD_DEVCACHE_BITS 4
#define TD_DEVCACHE (1u << TD_DEVCACHE_BITS)
#define TD_DEVNAME 40

struct td_devcache {
	uint32_t len;            /* bytes of the raw __data_loc string; 0 = empty */
	uint16_t id;
	uint64_t head, tail;     /* its first and last 8 bytes (strings of 8..16 bytes) */
	char name[TD_DEVNAME];
};

struct td_priv {
	struct td_scan scan;
	struct tracecmd_input *h;
	struct tep_handle *tep;
	int fd;                  /* ours (in_plain_fd), used by the scan and the page check */
	bool swap;
	unsigned type_off;       /* common_type */
	unsigned type_size;
	int flags_off, pid_off;  /* common_flags (u8) and common_pid (s32); -1 = none */
	struct td_ev *evs;       /* evs[0] unused */
	unsigned nevs;
	uint16_t *idmap;         /* event id -> index in @evs, 0 = not modelled */
	char **unk;              /* event id -> "system:name" of a skipped event (lazily) */
	unsigned nids;
	unsigned ncpu;
	struct td_cpu *cpu;      /* = scan.cpu */
	unsigned *heap;          /* CPUs with a pending record, earliest first */
	unsigned nheap;
	bool lost_done;          /* LOST already emitted for the record at the heap top */
	bool walk;               /* pages read by td_walk_*, not by libtracecmd */
#ifdef HAVE_ZSTD
	ZSTD_DCtx *zctx;         /* compressed CPU data (walk) */
#endif
	struct td_devcache devcache[TD_DEVCACHE]; /* recently seen device names */
};

static int tracedat_probe(const unsigned char *buf, size_t len)
{
	return len >= 10 && memcmp(buf, TD_MAGIC, 10) == 0 ? 100 : 0;
}

/* Check that field @name of @e has the storage @type; set e->bad otherwise. */
static void td_bind(struct td_ev *e, struct tep_event *tev, const struct td_fspec *fs)
{
	struct tep_format_field *f = tep_find_field(tev, fs->name);
	bool ok;
	unsigned end;

	if (!f) {
		if (fs->required && !e->bad)
			e->bad = xasprintf("cannot decode %s:%s events: the format has no field "
					   "'%s'", tev->system, tev->name, fs->name);
		return;
	}
	switch (fs->type) {
	case FT_NUM:
		ok = !(f->flags & TEP_FIELD_IS_DYNAMIC) &&
		     (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
		break;
	case FT_DYN:
		ok = (f->flags & TEP_FIELD_IS_DYNAMIC) && f->size == 4;
		break;
	default:
		ok = ((f->flags & TEP_FIELD_IS_DYNAMIC) && f->size == 4) ||
		     (!(f->flags & TEP_FIELD_IS_DYNAMIC) && f->size >= 0);
		break;
	}
	if (!ok || f->offset < 0 || f->offset > 0xffff) {
		if (!e->bad)
			e->bad = xasprintf("cannot decode %s:%s events: field '%s' has an "
					   "unsupported layout (%s, size %d)", tev->system,
					   tev->name, fs->name, f->type, f->size);
		return;
	}
	e->f[fs->slot] = f;
	e->off[fs->slot] = (uint16_t)f->offset;
	e->size[fs->slot] = (uint8_t)f->size;
	end = (unsigned)f->offset + (unsigned)f->size;
	if (end > e->minsize)
		e->minsize = end;
}

static void td_set_prov_num(struct reader *r, const char *key, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	reader_set_prov(r, key, buf);
}

/* Look every known event up once and build the id table. */
static int td_bind_events(struct reader *r, struct td_priv *p)
{
	int n = tep_get_events_count(p->tep);
	unsigned maxid = 0;
	char *missing = NULL;
	size_t mlen = 0;

	for (int i = 0; i < n; i++) {
		struct tep_event *tev = tep_get_event(p->tep, i);

		if (tev && tev->id >= 0 && (unsigned)tev->id > maxid && tev->id <= 0xffff)
			maxid = (unsigned)tev->id;
		if (tev && !p->type_size) {
			struct tep_format_field *ct = tep_find_common_field(tev, "common_type");
			struct tep_format_field *cf = tep_find_common_field(tev, "common_flags");
			struct tep_format_field *cp = tep_find_common_field(tev, "common_pid");

			if (ct && ct->offset >= 0 && (ct->size == 1 || ct->size == 2 ||
						      ct->size == 4)) {
				p->type_off = (unsigned)ct->offset;
				p->type_size = (unsigned)ct->size;
				p->flags_off = cf && cf->size == 1 && cf->offset >= 0 ? cf->offset : -1;
				p->pid_off = cp && cp->size == 4 && cp->offset >= 0 ? cp->offset : -1;
			}
		}
	}
	if (!p->type_size) {
		p->type_off = 0;
		p->type_size = 2;
		p->flags_off = p->pid_off = -1;
	}
	p->nids = maxid + 1;
	p->idmap = xcalloc(p->nids, sizeof(*p->idmap));
	p->unk = xcalloc(p->nids, sizeof(*p->unk));
	p->evs = xcalloc(ISM_ARRAY_SIZE(td_specs) + 1, sizeof(*p->evs));
	p->nevs = 1;
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(td_specs); i++) {
		const struct td_spec *sp = &td_specs[i];
		struct tep_event *tev = tep_find_event_by_name(p->tep, sp->system, sp->name);
		struct td_ev *e;

		if (!tev || tev->id < 0 || (unsigned)tev->id >= p->nids)
			continue;
		e = &p->evs[p->nevs];
		e->spec = sp;
		for (const struct td_fspec *fs = sp->fields; fs->name; fs++)
			td_bind(e, tev, fs);
		p->idmap[tev->id] = (uint16_t)p->nevs++;
	}
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(td_families); i++) {
		const char *names[2] = { td_families[i].name, td_families[i].alt };
		bool found = false;

		for (unsigned k = 0; k < 2 && names[k] && !found; k++) {
			const char *colon = strchr(names[k], ':');
			char sys[16];

			snprintf(sys, sizeof(sys), "%.*s", (int)(colon - names[k]), names[k]);
			found = tep_find_event_by_name(p->tep, sys, colon + 1) != NULL;
		}
		if (!found) {
			size_t k = strlen(names[0]);

			missing = xrealloc(missing, mlen + k + 2);
			if (mlen)
				missing[mlen++] = ' ';
			memcpy(missing + mlen, names[0], k + 1);
			mlen += k;
		}
	}
	reader_set_prov(r, "events_missing", missing ? missing : "");
	free(missing);
	return 0;
}

/* ---- record decoding ------------------------------------------------------------------ */

static inline uint64_t td_field(const struct td_priv *p, const struct tep_format_field *f,
				const uint8_t *d)
{
	return td_num(p->swap, d + f->offset, (unsigned)f->size);
}

/* Numeric field @slot of @e (present). */
static inline uint64_t td_slot(const struct td_priv *p, const struct td_ev *e, unsigned slot,
			       const uint8_t *d)
{
	return td_num(p->swap, d + e->off[slot], e->size[slot]);
}

/* A signed field, sign-extended to 64 bits. */
static inline int64_t td_sfield(const struct td_priv *p, const struct tep_format_field *f,
				const uint8_t *d)
{
	uint64_t v = td_field(p, f, d);
	unsigned bits = (unsigned)f->size * 8;

	if ((f->flags & TEP_FIELD_IS_SIGNED) && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	return (int64_t)v;
}

static int td_bad_record(struct reader *r, const struct tep_record *rec, const char *what)
{
	return reader_fail(r, -ISM_ECORRUPT, "corrupt record on CPU %d at file offset %llu: %s",
			   rec->cpu, rec->offset, what);
}

/* A 32-bit field of the event model given a larger value by the format: an error, no cut. */
static int td_range(struct reader *r, const struct tep_record *rec, const char *field,
		    uint64_t v)
{
	return reader_fail(r, -ISM_ERANGE, "record on CPU %d at file offset %llu: %s %llu out "
			   "of range (at most %u)", rec->cpu, rec->offset, field,
			   (unsigned long long)v, UINT32_MAX);
}

/* A __data_loc / __rel_loc field: payload pointer and length, bounds-checked. */
static int td_dyn(struct reader *r, const struct td_priv *p, const struct tep_format_field *f,
		  const struct tep_record *rec, const uint8_t **ptr, uint32_t *len)
{
	const uint8_t *d = rec->data;
	uint32_t v = (uint32_t)td_field(p, f, d);
	uint32_t off = v & 0xffff;

	*len = v >> 16;
	if (f->flags & TEP_FIELD_IS_RELATIVE)
		off += (uint32_t)(f->offset + f->size);
	if (off > (uint32_t)rec->size || *len > (uint32_t)rec->size - off)
		return td_bad_record(r, rec, "dynamic field outside the record");
	*ptr = d + off;
	return 0;
}

/* Text of a string field (__data_loc char[] or char buf[] up to the record's end). */
static int td_text(struct reader *r, const struct td_priv *p, const struct tep_format_field *f,
		   const struct tep_record *rec, const char **s, size_t *len)
{
	const uint8_t *ptr = NULL;
	uint32_t n = 0;

	*s = "";
	*len = 0;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		if (td_dyn(r, p, f, rec, &ptr, &n))
			return r->errcode;
	} else {
		ptr = (const uint8_t *)rec->data + f->offset;
		n = f->size ? (uint32_t)f->size : (uint32_t)(rec->size - f->offset);
	}
	*s = (const char *)ptr;
	*len = strnlen(*s, n);
	return 0;
}

/*
 * The device of an event. Interning a name costs a hash and a lookup per event; instead the
 * raw __data_loc bytes (NUL included) are looked up in a small direct-mapped cache, and only
 * a miss measures the string and interns it. Names of 8..16 bytes (PCI names are 13 with the
 * NUL) compare as two 8-byte words.
 */
static int td_device(struct reader *r, struct td_priv *p, const struct td_ev *e,
		     const struct tep_record *rec, struct ism_event *ev)
{
	const struct tep_format_field *f = e->f[TF_DEV];
	struct td_devcache *dc;
	const uint8_t *raw;
	uint64_t head = 0, tail = 0;
	uint32_t n;
	size_t len;
	int id;

	if (!(f->flags & TEP_FIELD_IS_DYNAMIC)) {
		const char *s;

		if (td_text(r, p, f, rec, &s, &len))
			return r->errcode;
		id = reader_dev(r, s, len);
		if (id < 0)
			return r->errcode;
		ev->dev = (uint16_t)id;
		return 0;
	}
	if (td_dyn(r, p, f, rec, &raw, &n))
		return r->errcode;
	if (n >= 8 && n <= 16) {
		unsigned h;

		memcpy(&head, raw, 8);
		memcpy(&tail, raw + n - 8, 8);
		h = (unsigned)(((head ^ tail) * 0x9e3779b97f4a7c15ull) >> (64 - TD_DEVCACHE_BITS));
		/* open addressing: a few devices never evict each other */
		for (unsigned k = 0; k < TD_DEVCACHE; k++) {
			dc = &p->devcache[(h + k) % TD_DEVCACHE];
			if (dc->len == n && dc->head == head && dc->tail == tail) {
				ev->dev = dc->id;
				return 0;
			}
			if (!dc->len)
				break;
		}
		if (dc->len)
			dc = &p->devcache[h];
	} else {
		dc = &p->devcache[n % TD_DEVCACHE];
		if (dc->len == n && n <= TD_DEVNAME && memcmp(dc->name, raw, n) == 0) {
			ev->dev = dc->id;
			return 0;
		}
	}
	len = strnlen((const char *)raw, n);
	id = reader_dev(r, (const char *)raw, len);
	if (id < 0)
		return r->errcode;
	ev->dev = (uint16_t)id;
	if (n && n <= TD_DEVNAME) {
		dc->len = n;
		dc->id = (uint16_t)id;
		dc->head = head;
		dc->tail = tail;
		memcpy(dc->name, raw, n);
	}
	return 0;
}

/* The sg arrays of map_sg & co. */
static int td_sg(struct reader *r, struct td_priv *p, const struct td_ev *e,
		 const struct tep_record *rec, struct ism_event *ev, uint32_t *nphys,
		 uint32_t *ndma)
{
	const uint8_t *phys = NULL, *dma = NULL, *lens = NULL;
	uint32_t lphys = 0, ldma = 0, llen = 0, nlen, n;
	struct ism_sge *sg;

	if ((e->f[TF_PHYS] && td_dyn(r, p, e->f[TF_PHYS], rec, &phys, &lphys)) ||
	    (e->f[TF_DMA] && td_dyn(r, p, e->f[TF_DMA], rec, &dma, &ldma)) ||
	    (e->f[TF_LEN] && td_dyn(r, p, e->f[TF_LEN], rec, &lens, &llen)))
		return r->errcode;
	*nphys = lphys / 8;
	*ndma = ldma / 8;
	nlen = llen / 4;
	n = *nphys > *ndma ? *nphys : *ndma;
	if (!n)
		return 0;
	sg = reader_sg_reserve(r, n);
	for (uint32_t i = 0; i < n; i++) {
		sg[i].phys = 0;
		sg[i].dma = 0;
		sg[i].len = 0;
		sg[i].flags = 0;
		if (i < *nphys) {
			sg[i].phys = td_num(p->swap, phys + 8 * i, 8);
			sg[i].flags |= ISM_SGE_PHYS;
		}
		if (i < *ndma) {
			sg[i].dma = td_num(p->swap, dma + 8 * i, 8);
			sg[i].len = i < nlen ? (uint32_t)td_num(p->swap, lens + 4 * i, 4) : 0;
			sg[i].flags |= ISM_SGE_DMA;
			ev->size += sg[i].len;
		}
	}
	ev->sg = sg;
	ev->nsg = n;
	return 0;
}

/* Skip an event the model does not know, counting it by name. */
static void td_unknown(struct reader *r, struct td_priv *p, unsigned id)
{
	char **name;
	char tmp[32];

	if (id >= p->nids) {
		int k = snprintf(tmp, sizeof(tmp), "(event id %u)", id);

		reader_count_unknown(r, tmp, (size_t)k);
		return;
	}
	name = &p->unk[id];
	if (!*name) {
		struct tep_event *tev = tep_find_event(p->tep, (int)id);

		*name = tev ? xasprintf("%s:%s", tev->system, tev->name) :
			      xasprintf("(event id %u)", id);
	}
	reader_count_unknown(r, *name, strlen(*name));
}

/*
 * Start @ev for @rec, every other field zero. A copy of a zero event, not memset() or a
 * compound literal: gcc makes those "rep stos", slow for 88 bytes once per event.
 */
static inline void td_ev_init(struct ism_event *ev, const struct tep_record *rec, unsigned kind,
			      unsigned flags)
{
	static const struct ism_event zero;

	*ev = zero;
	ev->ts_ns = rec->ts;
	ev->cpu = (uint16_t)rec->cpu;
	ev->kind = (uint8_t)kind;
	ev->dir = ISM_DIR_UNKNOWN;
	ev->flags = (uint16_t)flags;
}

/* Decode @rec into @ev: 1 = an event, 0 = skipped, <0 = error. */
static int td_decode(struct reader *r, struct td_priv *p, const struct tep_record *rec,
		     struct ism_event *ev)
{
	const uint8_t *d = rec->data;
	const struct td_ev *e;
	unsigned id;
	uint32_t nphys = 0, ndma = 0;

	if ((unsigned)rec->size < p->type_off + p->type_size)
		return td_bad_record(r, rec, "record too short for its event id");
	id = (unsigned)td_num(p->swap, d + p->type_off, p->type_size);
	if (id >= p->nids || !p->idmap[id]) {
		td_unknown(r, p, id);
		return 0;
	}
	e = &p->evs[p->idmap[id]];
	if (e->bad)
		return reader_fail(r, -ISM_EUNSUPPORTED, "%s", e->bad);
	if ((unsigned)rec->size < e->minsize)
		return td_bad_record(r, rec, "record shorter than its event format");

	td_ev_init(ev, rec, e->spec->kind, e->spec->flags);
	/* the context: TRACE_FLAG_HARDIRQ 0x08, TRACE_FLAG_SOFTIRQ 0x10 (kernel/trace/trace.h) */
	if (p->flags_off >= 0 && (unsigned)rec->size > (unsigned)p->flags_off) {
		unsigned f = d[p->flags_off];

		ev->flags |= ISM_EF_CTX | (f & 0x08 ? ISM_EF_HARDIRQ : f & 0x10 ? ISM_EF_SOFTIRQ : 0);
	}
	if (p->pid_off >= 0 && (unsigned)rec->size >= (unsigned)p->pid_off + 4)
		ev->pid = (uint32_t)td_num(p->swap, d + p->pid_off, 4);
	if (e->f[TF_DEV] && td_device(r, p, e, rec, ev))
		return r->errcode;
	if (e->f[TF_ADDR])
		ev->addr = td_slot(p, e, TF_ADDR, d);
	if (e->f[TF_PADDR])
		ev->paddr = td_slot(p, e, TF_PADDR, d);
	if (e->f[TF_SIZE])
		ev->size = td_slot(p, e, TF_SIZE, d);
	if (e->f[TF_DIR]) {
		uint64_t dir = td_slot(p, e, TF_DIR, d);

		ev->dir = dir <= ISM_DIR_NONE ? (uint8_t)dir : ISM_DIR_UNKNOWN;
	}
	if (e->f[TF_ATTRS]) {
		uint64_t a = td_slot(p, e, TF_ATTRS, d);

		if (a > UINT32_MAX)
			return td_range(r, rec, "attrs", a);
		ev->attrs = (uint32_t)a;
	}
	if (e->f[TF_ARG])
		ev->arg = (uint64_t)td_sfield(p, e->f[TF_ARG], d);

	switch (e->spec->handler) {
	case H_MAP:
		if (ev->attrs & ISM_ATTR_MMIO)
			ev->flags |= ISM_EF_MMIO;
		break;
	case H_MAP_SG:
		if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
			return r->errcode;
		{
			uint64_t ne = e->f[TF_NENTS] ? td_slot(p, e, TF_NENTS, d) : nphys;
			uint64_t nt = e->f[TF_ENTS] ? td_slot(p, e, TF_ENTS, d) : ndma;

			if (ne > UINT32_MAX)
				return td_range(r, rec, "nents", ne);
			if (nt > UINT32_MAX)
				return td_range(r, rec, "ents", nt);
			ev->nents = (uint32_t)ne;
			ev->ents = (uint32_t)nt;
		}
		if (e->f[TF_BOOL] && td_slot(p, e, TF_BOOL, d))
			ev->flags |= ISM_EF_TRUNCATED;
		break;
	case H_UNMAP_SG:
	case H_MAP_SG_ERR:
		if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
			return r->errcode;
		ev->nents = nphys;
		break;
	case H_ALLOC:
		if (e->f[TF_PHYS]) {
			if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
				return r->errcode;
			ev->nents = nphys;
		}
		break;
	case H_SYNC_SG:
		if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
			return r->errcode;
		ev->nents = ndma;
		ev->ents = ndma;
		break;
	case H_BOUNCE:
		if ((e->f[TF_BOOL] && td_slot(p, e, TF_BOOL, d)) ||
		    (e->f[TF_ENUM] && td_slot(p, e, TF_ENUM, d) == 1))
			ev->flags |= ISM_EF_FORCE;
		break;
	case H_MARKER: {
		const char *s;
		size_t len;
		char *t;

		if (td_text(r, p, e->f[TF_BUF], rec, &s, &len))
			return r->errcode;
		if (len && s[len - 1] == '\n')
			len--;
		t = reader_text_reserve(r, len);
		memcpy(t, s, len);
		t[len] = '\0';
		ev->text = t;
		ev->text_len = (uint32_t)len;
		break;
	}
	default:
		break;
	}
	return 1;
}

/* ---- the per-CPU merge ---------------------------------------------------------------- */

/*
 * The record must lie inside its ring-buffer page, and the page's size must be one the kernel
 * can write (libtracecmd only checks it against the whole page, so kbuffer could read past
 * the end of a page whose size field is corrupt). Each page header is checked once, in place.
 */
static int td_check_record(struct reader *r, struct td_priv *p, struct td_cpu *ci,
			   const struct tep_record *rec)
{
	uint32_t ps = p->scan.page_size, hstart = 8 + p->scan.commit_size;
	uint64_t poff = rec->offset & (ps - 1);
	const uint8_t *base;

	if (rec->size < 0 || rec->record_size < rec->size || poff < hstart ||
	    poff + (uint64_t)rec->record_size > ps)
		return td_bad_record(r, rec, "record overruns its ring-buffer page");
	/* the first record of a page: check the pages libtracecmd or the walk loads after it */
	if (!p->scan.cpu_compressed && rec->offset - poff != ci->apage) {
		ci->apage = rec->offset - poff;
		if (td_check_pages(&p->scan, (unsigned)rec->cpu, ci->apage + ps, ci->off + ci->size,
				   p->walk ? ci->buf : NULL, ci->boff, ci->blen, false))
			return reader_fail(r, p->scan.err, "%s", p->scan.msg);
	}
	base = (const uint8_t *)rec->data - (rec->record_size - rec->size) - poff;
	if (base != ci->page) {
		uint64_t commit = td_num(p->swap, base + 8, p->scan.commit_size) & TD_COMMIT_MASK;

		if (commit > ps - hstart)
			return td_bad_record(r, rec, "its ring-buffer page has a bad size");
		ci->page = base;
	}
	return 0;
}

static inline bool td_before(const struct td_priv *p, unsigned a, unsigned b)
{
	uint64_t ta = p->cpu[a].ts, tb = p->cpu[b].ts;

	return ta < tb || (ta == tb && a < b);
}

static void td_sift_down(struct td_priv *p, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, m = i, t;

		if (l < p->nheap && td_before(p, p->heap[l], p->heap[m]))
			m = l;
		if (l + 1 < p->nheap && td_before(p, p->heap[l + 1], p->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = p->heap[i];
		p->heap[i] = p->heap[m];
		p->heap[m] = t;
		i = m;
	}
}

/*
 * CPU @c has no more records. libtracecmd also stops a CPU silently at a page it cannot
 * load, so look at the pages after the last record: one the library would reject means the
 * data is corrupt, not finished.
 */
static void td_cpu_done(struct reader *r, struct td_priv *p, unsigned c)
{
	const struct td_cpu *ci = &p->cpu[c];
	uint32_t ps = p->scan.page_size;
	uint64_t pg, end = ci->off + ci->size;

	if (p->scan.cpu_compressed || !ci->size)
		return;
	pg = ci->seen ? (ci->lastoff & ~(uint64_t)(ps - 1)) + ps : ci->off;
	if (td_check_pages(&p->scan, c, pg, end, NULL, 0, 0, true))
		reader_fail(r, p->scan.err, "%s; the CPU's later events are lost", p->scan.msg);
}

/* ---- the page walk ---------------------------------------------------------------------- */

#define TD_WALK_PAGES 32u        /* pages read per pread() */

static bool td_force_libtracecmd;

void reader_tracedat_use_libtracecmd(int on)
{
	td_force_libtracecmd = on;
}

/* pread() exactly @n bytes at @off, or fail the reader (EIO, or truncated at end of file). */
static bool td_pread(struct reader *r, struct td_priv *p, void *buf, size_t n, uint64_t off,
		     unsigned cpu)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(p->fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			reader_fail(r, -ISM_EIO, "reading CPU %u ring-buffer data at offset %llu: %s",
				    cpu, (unsigned long long)(off + got), strerror(errno));
			return false;
		}
		if (k == 0) {
			reader_fail(r, -ISM_ETRUNCATED, "truncated trace.dat: CPU %u ring-buffer data "
				    "ends at offset %llu", cpu, (unsigned long long)(off + got));
			return false;
		}
		got += (size_t)k;
	}
	return true;
}

/*
 * Compressed CPU data (version 7): a count, then chunks of {compressed size, size, zstd
 * frame}, holding the pages one after the other. Decompress the next chunk into @ci->buf
 * (false at the end of the chunks, or on an error, r->err set). A chunk that does not
 * decompress is an error; libtracecmd would end the CPU there without a word.
 */
static bool td_walk_chunk(struct reader *r, struct td_priv *p, struct td_cpu *ci)
{
#ifdef HAVE_ZSTD
	uint32_t ps = p->scan.page_size;
	unsigned char h[8];
	uint64_t zsize, size;
	size_t got;

	if (!ci->zleft)
		return false;
	if (!td_pread(r, p, h, 8, ci->zpos, (unsigned)ci->rec.cpu))
		return false;
	zsize = td_num(p->swap, h, 4);
	size = td_num(p->swap, h + 4, 4);
	if (size > TD_MAX_RSIZE) {
		reader_fail(r, -ISM_ECORRUPT, "corrupt trace.dat: CPU %u compressed chunk at offset "
			    "%llu: bad size", ci->rec.cpu, (unsigned long long)ci->zpos);
		return false;
	}
	if (zsize > ci->zcap) {
		ci->zcap = (size_t)zsize;
		free(ci->zin);
		ci->zin = xmalloc(ci->zcap ? ci->zcap : 1);
	}
	if (size + ps > ci->bcap) {
		ci->bcap = (size_t)size + ps;
		free(ci->buf);
		ci->buf = xmalloc(ci->bcap);
	}
	if (!td_pread(r, p, ci->zin, (size_t)zsize, ci->zpos + 8, (unsigned)ci->rec.cpu))
		return false;
	got = ZSTD_decompressDCtx(p->zctx, ci->buf, (size_t)size, ci->zin, (size_t)zsize);
	if (ZSTD_isError(got) || got != size) {
		reader_fail(r, -ISM_ECORRUPT, "corrupt trace.dat: CPU %u compressed chunk at offset "
			    "%llu does not decompress", ci->rec.cpu, (unsigned long long)ci->zpos);
		return false;
	}
	memset(ci->buf + size, 0, ps);
	ci->boff += ci->blen;
	ci->blen = (size_t)size;
	ci->zpos += 8 + zsize;
	ci->zleft--;
	return true;
#else
	(void)r;
	(void)p;
	(void)ci;
	return false;
#endif
}

/*
 * Load the page at file offset @off into CPU @ci's kbuffer, reading the pages from there on
 * when it is not in the buffer. As libtracecmd's get_page(): a page whose size field exceeds
 * the page ends the CPU (false; td_cpu_done() says it is corrupt); a read error fails the
 * reader (false, r->err set).
 */
static bool td_walk_load(struct reader *r, struct td_priv *p, struct td_cpu *ci, uint64_t off)
{
	uint32_t ps = p->scan.page_size;
	const char *why;
	uint64_t size;

	ci->loaded = false;
	ci->page = NULL;
	if (p->scan.cpu_compressed) {
		while (off >= ci->boff + ci->blen)
			if (!td_walk_chunk(r, p, ci))
				return false;
	} else if (off < ci->boff || off + ps > ci->boff + ci->blen) {
		uint64_t n = ci->wend - off;

		if (n > (uint64_t)TD_WALK_PAGES * ps)
			n = (uint64_t)TD_WALK_PAGES * ps;
		if (!td_pread(r, p, ci->buf, (size_t)n, off, (unsigned)ci->rec.cpu))
			return false;
		/* kbuffer may read a corrupt page's header past its end: zeroes, not stale data */
		memset(ci->buf + n, 0, ps);
		ci->boff = off;
		ci->blen = (size_t)n;
	}
	ci->poff = off;
	/* checked before (td_check_pages()) unless compressed; kbuffer must never see it bad */
	why = td_page_bad(ci->buf + (off - ci->boff), p->swap, p->scan.commit_size, ps, &size);
	if (why) {
		reader_fail(r, -ISM_ECORRUPT, "CPU %u data page at offset %llu%s: commit size %llu "
			    "%s (%u bytes of data at most)", (unsigned)ci->rec.cpu,
			    (unsigned long long)off, p->scan.cpu_compressed ? " of its decompressed "
			    "data" : "", (unsigned long long)size, why, ps - 8 - p->scan.commit_size);
		return false;
	}
	kbuffer_load_subbuffer(ci->kbuf, ci->buf + (off - ci->boff));
	if ((unsigned)kbuffer_subbuffer_size(ci->kbuf) > ps)
		return false;
	ci->loaded = true;
	ci->fresh = true;
	return true;
}

/* The next record of CPU @ci, as tracecmd_read_data() would give it; NULL at its end. */
static struct tep_record *td_walk_next(struct reader *r, struct td_priv *p, struct td_cpu *ci)
{
	uint32_t ps = p->scan.page_size;

	while (ci->loaded) {
		unsigned long long ts;
		void *data = kbuffer_read_event(ci->kbuf, &ts);

		if (!data) {
			ci->loaded = false;
			if (ci->wend - ci->poff <= ps ||
			    !td_walk_load(r, p, ci, ci->poff + ps))
				return NULL;
			continue;
		}
		ci->rec.ts = ts;
		ci->rec.size = kbuffer_event_size(ci->kbuf);
		ci->rec.data = data;
		ci->rec.offset = ci->poff + (unsigned)kbuffer_curr_offset(ci->kbuf);
		/* only a page's first event can have missed events (kbuffer_missed_events()) */
		ci->rec.missed_events = ci->fresh ? kbuffer_missed_events(ci->kbuf) : 0;
		ci->fresh = false;
		ci->rec.record_size = kbuffer_curr_size(ci->kbuf);
		kbuffer_next_event(ci->kbuf, NULL);
		return &ci->rec;
	}
	return NULL;
}

#ifdef HAVE_ZSTD
/*
 * Compressed CPU data: where each CPU's chunks start, and the offsets libtracecmd gives its
 * pages (init_cpu_zpage(): the CPUs' decompressed data one after the other from one page in,
 * each rounded up to a page). The chunk tables were checked by the scan.
 */
static int td_walk_zinit(struct reader *r, struct td_priv *p)
{
	uint64_t next = p->scan.page_size;

	p->zctx = ZSTD_createDCtx();
	if (!p->zctx)
		return reader_fail(r, -ISM_ENOMEM, "out of memory");
	for (unsigned c = 0; c < p->ncpu; c++) {
		struct td_cpu *ci = &p->cpu[c];
		uint64_t pos = ci->off, count, total = 0;

		if (!ci->size)
			continue;
		if (td_rd(&p->scan, &pos, 4, "chunk count", &count))
			return reader_fail(r, p->scan.err, "%s", p->scan.msg);
		ci->zleft = count;
		ci->zpos = pos;
		for (uint64_t i = 0; i < count; i++) {
			uint64_t zsize, size;

			if (td_rd(&p->scan, &pos, 4, "chunk size", &zsize) ||
			    td_rd(&p->scan, &pos, 4, "chunk size", &size))
				return reader_fail(r, p->scan.err, "%s", p->scan.msg);
			total += size;
			pos += zsize;
		}
		ci->wbeg = next;
		ci->wend = next + total;
		next = (next + total + p->scan.page_size - 1) & ~(uint64_t)(p->scan.page_size - 1);
	}
	return 0;
}
#endif

/* Set up the walk of CPU @c and read its first record (tracecmd_read_cpu_first()). */
static struct tep_record *td_walk_first(struct reader *r, struct td_priv *p, unsigned c)
{
	struct td_cpu *ci = &p->cpu[c];
	enum kbuffer_long_size ls = tep_get_header_page_size(p->tep) == 8 ? KBUFFER_LSIZE_8 :
									     KBUFFER_LSIZE_4;
	enum kbuffer_endian en = tep_is_file_bigendian(p->tep) ? KBUFFER_ENDIAN_BIG :
								 KBUFFER_ENDIAN_LITTLE;

	ci->kbuf = kbuffer_alloc(ls, en);
	if (!ci->kbuf) {
		reader_fail(r, -ISM_ENOMEM, "out of memory");
		return NULL;
	}
	if (tep_is_old_format(p->tep))
		kbuffer_set_old_format(ci->kbuf);
	ci->rec.cpu = (int)c;
	if (!p->scan.cpu_compressed) {
		ci->buf = xmalloc((size_t)TD_WALK_PAGES * p->scan.page_size + p->scan.page_size);
		ci->wbeg = ci->off;
		ci->wend = ci->off + ci->size;
	} else {
		ci->boff = ci->wbeg;
		ci->blen = 0;
	}
	if (!td_walk_load(r, p, ci, ci->wbeg))
		return NULL;
	return td_walk_next(r, p, ci);
}

/* Load the next record of CPU @c (the heap top) and restore the heap. */
static void td_advance(struct reader *r, struct td_priv *p, unsigned c)
{
	struct td_cpu *ci = &p->cpu[c];

	ci->head = p->walk ? td_walk_next(r, p, ci) : tracecmd_read_data(p->h, (int)c);
	if (ci->head) {
		ci->ts = ci->head->ts;
		if (p->nheap == 2) {
			/* two CPUs, the usual case: one comparison */
			if (td_before(p, p->heap[1], p->heap[0])) {
				p->heap[0] = p->heap[1];
				p->heap[1] = c;
			}
		} else if (p->nheap > 2) {
			td_sift_down(p, 0);
		}
		return;
	}
	p->heap[0] = p->heap[--p->nheap];
	td_sift_down(p, 0);
	td_cpu_done(r, p, c);
}

static int tracedat_next(struct reader *r, struct ism_event *ev)
{
	struct td_priv *p = r->priv;

	while (p->nheap) {
		unsigned c = p->heap[0];
		struct tep_record *rec = p->cpu[c].head;
		int ret;

		if (rec->missed_events && !p->lost_done) {
			p->lost_done = true;
			td_ev_init(ev, rec, ISM_EV_LOST, 0);
			if (rec->missed_events > 0)
				ev->count = (uint64_t)rec->missed_events;
			else
				ev->flags = ISM_EF_LOST_UNKNOWN;
			return 1;
		}
		ret = td_check_record(r, p, &p->cpu[c], rec);
		if (ret < 0)
			return ret;
		p->lost_done = false;
		ret = td_decode(r, p, rec, ev);
		/* the event holds no pointer into the record: release it now */
		p->cpu[c].lastoff = rec->offset;
		p->cpu[c].seen = true;
		if (!p->walk)
			tracecmd_free_record(rec);
		p->cpu[c].head = NULL;
		if (ret < 0)
			return ret;
		td_advance(r, p, c);
		if (ret > 0)
			return 1;       /* a failure found by td_advance() shows on the next call */
		if (r->err)
			return r->errcode;
	}
	return 0;
}

/* ---- open/close ----------------------------------------------------------------------- */

static int tracedat_open(struct reader *r)
{
	struct td_priv *p = xcalloc(1, sizeof(*p));
	char *cause = NULL;
	int fd, dfd, ret;

	r->priv = p;
	p->fd = -1;
	fd = in_plain_fd(r->in, &cause);
	if (fd < 0) {
		const char *msg = cause ? cause : ism_strerror(fd);
		size_t pl = strlen(r->path);

		/* in_plain_fd() messages start with the path, as reader_fail() adds it */
		if (strncmp(msg, r->path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0)
			msg += pl + 2;
		reader_fail(r, fd, "%s", msg);
		free(cause);
		return r->errcode;
	}
	p->fd = fd;
	/* libtracecmd prints its complaints itself; iommusim says what went wrong once */
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	ret = td_scan(&p->scan, fd);
	if (!ret)
		ret = td_check_formats(&p->scan);
	td_scan_drop_formats(&p->scan);
	if (!ret)
		ret = td_scan_cpus(&p->scan);
	if (ret)
		return reader_fail(r, ret, "%s", p->scan.msg ? p->scan.msg : ism_strerror(ret));
	p->swap = p->scan.swap;
	if (td_check_open(fd) < 0)
		return reader_fail(r, -ISM_ECORRUPT, "corrupt trace.dat (version %u%s%s): "
				   "libtracecmd crashes opening it", p->scan.version,
				   p->scan.comp[0] ? ", compression " : "", p->scan.comp);
	/* the library owns (and closes) this descriptor once it returns a handle */
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return reader_fail(r, -ISM_EIO, "dup: %s", strerror(errno));
	if (lseek(dfd, 0, SEEK_SET) != 0) {
		close(dfd);
		return reader_fail(r, -ISM_EIO, "seek: %s", strerror(errno));
	}
	p->h = tracecmd_open_fd(dfd, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!p->h) {
		/* it closes the descriptor on some failure paths and not on others */
		if (fcntl(dfd, F_GETFD) >= 0)
			close(dfd);
		return reader_fail(r, -ISM_ECORRUPT, "libtracecmd could not read this trace.dat "
				   "(version %u%s%s): corrupt event formats or headers, or an "
				   "unsupported compression", p->scan.version,
				   p->scan.comp[0] ? ", compression " : "", p->scan.comp);
	}
	p->tep = tracecmd_get_tep(p->h);
	/* undo --date / --ts-offset: ts_ns stays in the kernel's trace clock */
	if (p->scan.ts_offset)
		tracecmd_add_ts_offset(p->h, -p->scan.ts_offset);

	reader_set_prov(r, "tracedat_version", p->scan.version == 6 ? "6" : "7");
	if (p->scan.version >= 7)
		reader_set_prov(r, "tracedat_compression", p->scan.comp);
	reader_set_prov(r, "clock", p->scan.clock ? p->scan.clock : "unknown");
	td_set_prov_num(r, "cpus", (unsigned long long)tep_get_cpus(p->tep));
	if (p->scan.uname)
		reader_set_prov(r, "kernel", p->scan.uname);
	if (p->scan.instances)
		reader_set_prov(r, "tracedat_instances", p->scan.instances);
	if (p->scan.ts_offset) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%lld", (long long)p->scan.ts_offset);
		reader_set_prov(r, "tracedat_ts_offset_ns", buf);
	}
	ret = td_bind_events(r, p);
	if (ret)
		return ret;

	/* prime the merge: the first record of every CPU */
	p->ncpu = p->scan.ncpu;
	p->cpu = p->scan.cpu;
	p->heap = xcalloc(p->ncpu ? p->ncpu : 1, sizeof(*p->heap));
	/* the page walk reproduces what libtracecmd does with plain pages and plain timestamps */
	p->walk = !td_force_libtracecmd && !p->scan.ts_convert &&
		  tep_get_header_timestamp_size(p->tep) == 8 &&
		  (unsigned)tep_get_cpus(p->tep) >= p->ncpu;
	if (p->walk && p->scan.cpu_compressed) {
#ifdef HAVE_ZSTD
		p->walk = strcmp(p->scan.comp, "zstd") == 0 && td_walk_zinit(r, p) == 0;
		if (r->err)
			return r->errcode;
#else
		p->walk = false;
#endif
	}
	for (unsigned c = 0; c < p->ncpu; c++) {
		if (!p->cpu[c].size)
			continue;
		p->cpu[c].head = p->walk ? td_walk_first(r, p, c) :
					   tracecmd_read_cpu_first(p->h, (int)c);
		if (r->err)
			return r->errcode;
		if (p->cpu[c].head) {
			p->cpu[c].ts = p->cpu[c].head->ts;
			p->heap[p->nheap++] = c;
		}
		else
			td_cpu_done(r, p, c);
		if (r->err)
			return r->errcode;
	}
	for (unsigned i = p->nheap / 2; i-- > 0;)
		td_sift_down(p, i);
	return 0;
}

static void tracedat_close(struct reader *r)
{
	struct td_priv *p = r->priv;

	if (!p)
		return;
	for (unsigned c = 0; c < p->ncpu; c++) {
		if (p->cpu[c].head && !p->walk)
			tracecmd_free_record(p->cpu[c].head);
		if (p->cpu[c].kbuf)
			kbuffer_free(p->cpu[c].kbuf);
		free(p->cpu[c].buf);
		free(p->cpu[c].zin);
	}
#ifdef HAVE_ZSTD
	if (p->zctx)
		ZSTD_freeDCtx(p->zctx);
#endif
	if (p->h)
		tracecmd_close(p->h);
	for (unsigned i = 1; i < p->nevs; i++)
		free(p->evs[i].bad);
	free(p->evs);
	for (unsigned i = 0; i < p->nids; i++)
		free(p->unk[i]);
	free(p->unk);
	free(p->idmap);
	free(p->heap);
	td_scan_free(&p->scan);
	free(p);
	r->priv = NULL;
}

const struct reader_ops reader_tracedat_ops = {
	.name = "tracedat",
	.summary = "trace-cmd trace.dat, versions 6 and 7 (libtracecmd)",
	.probe = tracedat_probe,
	.open = tracedat_open,
	.next = tracedat_next,
	.close = tracedat_close,
};

int reader_tracedat_walks(const struct reader *r)
{
	const struct td_priv *p = r->ops == &reader_tracedat_ops ? r->priv : NULL;

	return p && p->walk;
}
