/*
 * tracedat-scan.h: the structure of a trace-cmd trace.dat file (versions 6 and 7), checked
 * before libtracecmd sees it (tracedat-scan.c), and the per-CPU state the reader keeps
 * (reader-tracedat.c). libtracecmd 1.3.1 trusts every size and offset in the file; the scan
 * mirrors what it reads and rejects what would hurt it, saying where the file is bad.
 */
#ifndef ISM_TRACEDAT_SCAN_H
#define ISM_TRACEDAT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <trace-cmd.h>
#include <traceevent/kbuffer.h>

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
	uint8_t *pbuf;             /* plain data: the buffer pread() fills (the file's last pages) */
	void *map;                 /* plain data: the file window mapped (@buf points into it) */
	size_t maplen;
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

/* The @size-byte number (1, 2, 4 or 8) at @p, in the file's byte order (@swap: not ours). */
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

/* Check the whole file structure of @fd. On failure returns -ISM_E* with s->msg set. */
int td_scan(struct td_scan *s, int fd);
/* Parse header_page and every event format in a child; learn the page header layout. */
int td_check_formats(struct td_scan *s);
/* The format texts are needed only until td_check_formats() has run. */
void td_scan_drop_formats(struct td_scan *s);
/* Every CPU's ring-buffer data (after td_check_formats(), which tells the page layout). */
int td_scan_cpus(struct td_scan *s);
void td_scan_free(struct td_scan *s);
/*
 * libtracecmd 1.3 crashes opening some corrupt files (a NULL dereference in tracecmd_close() on
 * an error path of tracecmd_open_fd()), so a child opens @fd first. Returns 0 when the child
 * opened it or failed cleanly (the real open then says why), -ISM_ECORRUPT when it died.
 */
int td_check_open(int fd);
/* Read an @size-byte number at *@pos and advance. 0, or the scan's error (s->err, s->msg). */
int td_rd(struct td_scan *s, uint64_t *pos, unsigned size, const char *what, uint64_t *v);
/* What is wrong with the ring-buffer page header @hdr (its data size in *@size), or NULL. */
const char *td_page_bad(const unsigned char *hdr, bool swap, unsigned commit_size,
			uint32_t page_size, uint64_t *size);
/*
 * Check CPU @cpu's pages from file offset @pg on, up to and including the first that holds
 * data (every page up to @end if @all), or up to @end. Page headers come from @buf (file
 * bytes [@boff, @boff + @blen)) when it holds them, else from the file. 0, or the scan's
 * error (CPU, offset and commit size named).
 */
int td_check_pages(struct td_scan *s, unsigned cpu, uint64_t pg, uint64_t end,
		   const unsigned char *buf, uint64_t boff, size_t blen, bool all);

#endif
