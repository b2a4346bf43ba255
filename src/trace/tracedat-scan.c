/*
 * tracedat-scan.c: the structure of a trace.dat file checked before libtracecmd reads it
 * (tracedat-scan.h), and the event formats and the library's open tried in child processes,
 * where a crash of the library is a message instead of the end of the program.
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
#include "tracedat-scan.h"

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

/* Read an @size-byte number at *@pos and advance. */
int td_rd(struct td_scan *s, uint64_t *pos, unsigned size, const char *what, uint64_t *v)
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
const char *td_page_bad(const unsigned char *hdr, bool swap, unsigned commit_size,
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
int td_check_pages(struct td_scan *s, unsigned cpu, uint64_t pg, uint64_t end,
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
int td_scan_cpus(struct td_scan *s)
{
	for (unsigned i = 0; i < s->ncpu; i++)
		if (td_cpu_data(s, i))
			return s->err;
	return 0;
}

/* The format texts are needed only until td_check_formats() has run. */
void td_scan_drop_formats(struct td_scan *s)
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

void td_scan_free(struct td_scan *s)
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
int td_scan(struct td_scan *s, int fd)
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
int td_check_open(int fd)
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
int td_check_formats(struct td_scan *s)
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
