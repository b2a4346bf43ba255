/*
 * gen-tracedat.c: writes a large synthetic trace-cmd trace.dat for the trace.dat reader
 * benchmark.
 *
 *   gen-tracedat OUT NEVENTS
 *
 * The file is what `trace-cmd record` of a pseries guest would give: file version 6,
 * uncompressed, little-endian, 64-bit, 2 CPUs, 4 KiB ring-buffer pages, trace clock "global".
 * It holds dma_map_page, dma_unmap_page, dma_map_sg, hcall_entry and hcall_exit records whose
 * formats are copied byte for byte from a Debian 6.12.95 ppc64le guest's trace.dat
 * (traces/pseries-ddw.dat.xz). Records use 32-bit event headers with time deltas; a
 * TIME_EXTEND record precedes any event more than 2^27 ns after the previous one on its CPU
 * (after the 0.2 s idle gaps put in about every 20000 events). The content is deterministic
 * (fixed-seed generator): maps and unmaps of 4 devices, H_PUT_TCE / H_STUFF_TCE hcall pairs
 * (a few return H_PARAMETER) and SG maps of 1..8 segments, 70% of them on CPU 0.
 *
 * Layout (Documentation/trace-cmd/trace-cmd.dat.v6.5.txt): header, header_page,
 * header_event, no ftrace formats, the "dma" and "powerpc" systems, empty kallsyms and printk
 * formats, cmdlines, CPU count, options (TRACECLOCK, UNAME, CPUCOUNT), "flyrecord" with each
 * CPU's data offset and size, the trace clock, then each CPU's pages, page aligned. The
 * sizes of the CPU data must be known before the header is written, so the events are made
 * twice: once to count each CPU's pages, once to write them.
 *
 * Prints "NAME COUNT" lines: the events of each kind and in total, and the file size.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096u
#define PAGE_HDR 16u                 /* u64 timestamp + local_t commit */
#define PAGE_DATA (PAGE - PAGE_HDR)
#define NCPU 2
#define TS_BITS 27                   /* time_delta bits of an event header */
#define TYPE_EXTEND 30
#define MAX_SMALL 112                /* largest payload with type_len = len / 4 */

/* Event ids: the ones in the copied formats. */
enum { ID_MAP = 309, ID_UNMAP = 307, ID_MAP_SG = 298, ID_HC_ENTRY = 39, ID_HC_EXIT = 38 };

enum { E_MAP, E_UNMAP, E_MAP_SG, E_HC_ENTRY, E_HC_EXIT, E__COUNT };

static const char *const ev_names[E__COUNT] = {
	"dma_map_page", "dma_unmap_page", "dma_map_sg", "hcall_entry", "hcall_exit",
};

static const char header_page[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";

static const char header_event[] =
	"# compressed entry header\n"
	"\ttype_len    :    5 bits\n"
	"\ttime_delta  :   27 bits\n"
	"\tarray       :   32 bits\n"
	"\n"
	"\tpadding     : type == 29\n"
	"\ttime_extend : type == 30\n"
	"\ttime_stamp : type == 31\n"
	"\tdata max type_len  == 28\n";

static const char fmt_dma_map_page[] =
	"name: dma_map_page\n"
	"ID: 309\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] device;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 phys_addr;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 dma_addr;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:size_t size;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:enum dma_data_direction dir;\toffset:40;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long attrs;\toffset:48;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s\", __get_str(dev"
	"ice), __print_symbolic(REC->dir, { 0, \"BIDIRECTIONAL\" }, { 1, \"TO_DEVICE\" }, { 2, "
	"\"FROM_DEVICE\" }, { 3, \"NONE\" }), REC->dma_addr, REC->size, REC->phys_addr, __print"
	"_flags(REC->attrs, \"|\", { (1UL << 1), \"WEAK_ORDERING\" }, { (1UL << 2), \"WRITE_COM"
	"BINE\" }, { (1UL << 4), \"NO_KERNEL_MAPPING\" }, { (1UL << 5), \"SKIP_CPU_SYNC\" }, { "
	"(1UL << 6), \"FORCE_CONTIGUOUS\" }, { (1UL << 7), \"ALLOC_SINGLE_PAGES\" }, { (1UL << "
	"8), \"NO_WARN\" }, { (1UL << 9), \"PRIVILEGED\" })\n";

static const char fmt_dma_unmap_page[] =
	"name: dma_unmap_page\n"
	"ID: 307\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] device;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 addr;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:size_t size;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:enum dma_data_direction dir;\toffset:32;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long attrs;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"%s dir=%s dma_addr=%llx size=%zu attrs=%s\", __get_str(device), __print_s"
	"ymbolic(REC->dir, { 0, \"BIDIRECTIONAL\" }, { 1, \"TO_DEVICE\" }, { 2, \"FROM_DEVICE\""
	" }, { 3, \"NONE\" }), REC->addr, REC->size, __print_flags(REC->attrs, \"|\", { (1UL <<"
	" 1), \"WEAK_ORDERING\" }, { (1UL << 2), \"WRITE_COMBINE\" }, { (1UL << 4), \"NO_KERNEL"
	"_MAPPING\" }, { (1UL << 5), \"SKIP_CPU_SYNC\" }, { (1UL << 6), \"FORCE_CONTIGUOUS\" },"
	" { (1UL << 7), \"ALLOC_SINGLE_PAGES\" }, { (1UL << 8), \"NO_WARN\" }, { (1UL << 9), \""
	"PRIVILEGED\" })\n";

static const char fmt_dma_map_sg[] =
	"name: dma_map_sg\n"
	"ID: 298\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] device;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:int full_nents;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:int full_ents;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:bool truncated;\toffset:20;\tsize:1;\tsigned:0;\n"
	"\tfield:__data_loc u64[] phys_addrs;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:__data_loc u64[] dma_addrs;\toffset:28;\tsize:4;\tsigned:0;\n"
	"\tfield:__data_loc unsigned int[] lengths;\toffset:32;\tsize:4;\tsigned:0;\n"
	"\tfield:enum dma_data_direction dir;\toffset:36;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long attrs;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"%s dir=%s nents=%d/%d ents=%d/%d%s dma_addrs=%s sizes=%s phys_addrs=%s at"
	"trs=%s\", __get_str(device), __print_symbolic(REC->dir, { 0, \"BIDIRECTIONAL\" }, { 1,"
	" \"TO_DEVICE\" }, { 2, \"FROM_DEVICE\" }, { 3, \"NONE\" }), ({ int __UNIQUE_ID_x_761 ="
	" (REC->full_nents); int __UNIQUE_ID_y_762 = (128); ((__UNIQUE_ID_x_761) < (__UNIQUE_ID"
	"_y_762) ? (__UNIQUE_ID_x_761) : (__UNIQUE_ID_y_762)); }), REC->full_nents, ({ int __UN"
	"IQUE_ID_x_763 = (REC->full_ents); int __UNIQUE_ID_y_764 = (128); ((__UNIQUE_ID_x_763) "
	"< (__UNIQUE_ID_y_764) ? (__UNIQUE_ID_x_763) : (__UNIQUE_ID_y_764)); }), REC->full_ents"
	", REC->truncated ? \" [TRUNCATED]\" : \"\", __print_array(__get_dynamic_array(dma_addr"
	"s), __get_dynamic_array_len(dma_addrs) / sizeof(u64), sizeof(u64)), __print_array(__ge"
	"t_dynamic_array(lengths), __get_dynamic_array_len(lengths) / sizeof(unsigned int), siz"
	"eof(unsigned int)), __print_array(__get_dynamic_array(phys_addrs), __get_dynamic_array"
	"_len(phys_addrs) / sizeof(u64), sizeof(u64)), __print_flags(REC->attrs, \"|\", { (1UL "
	"<< 1), \"WEAK_ORDERING\" }, { (1UL << 2), \"WRITE_COMBINE\" }, { (1UL << 4), \"NO_KERN"
	"EL_MAPPING\" }, { (1UL << 5), \"SKIP_CPU_SYNC\" }, { (1UL << 6), \"FORCE_CONTIGUOUS\" "
	"}, { (1UL << 7), \"ALLOC_SINGLE_PAGES\" }, { (1UL << 8), \"NO_WARN\" }, { (1UL << 9), "
	"\"PRIVILEGED\" })\n";

static const char fmt_hcall_entry[] =
	"name: hcall_entry\n"
	"ID: 39\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:unsigned long opcode;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"opcode=%lu\", REC->opcode\n";

static const char fmt_hcall_exit[] =
	"name: hcall_exit\n"
	"ID: 38\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:unsigned long opcode;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:long retval;\toffset:16;\tsize:8;\tsigned:1;\n"
	"\n"
	"print fmt: \"opcode=%lu retval=%ld\", REC->opcode, REC->retval\n";

/*
 * The TRACECLOCK option says the trace clock follows the CPU offsets ("[global]" there).
 * trace-cmd puts the whole trace_clock file in the option too, with the current clock in
 * brackets; libtracecmd 1.3.1 then parses the clock twice and leaks the first copy, which
 * sanitizer builds report. Without brackets in the option it parses it once.
 */
static const char clock_option[] = "local global counter uptime perf mono mono_raw boot\n";
static const char clock_text[] = "[global]";
static const char uname_option[] = "Linux gen 6.12.95-synthetic ppc64le";
static const char cmdlines[] = "0 <idle>\n1 init\n";
static const char *const devices[] = {
	"0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0",
};

#define NDEV 4
#define DEVLEN 13                    /* "0000:00:00.0" with its NUL */
#define MAX_PENDING 256
#define CHUNK_PAGES 64               /* pages written at once */

static const char *out_path;

static void die(const char *what)
{
	fprintf(stderr, "gen-tracedat: %s%s%s\n", what, errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(1);
}

static void le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- the file header, built in memory ---------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_n(struct buf *b, uint64_t v, int size)
{
	unsigned char t[8];

	if (size == 2)
		le16(t, (uint16_t)v);
	else if (size == 4)
		le32(t, (uint32_t)v);
	else
		le64(t, v);
	put(b, t, (size_t)size);
}

/* A string with its NUL. */
static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

/* A 64-bit size followed by the text (without a NUL). */
static void put_text8(struct buf *b, const char *s)
{
	put_n(b, strlen(s), 8);
	put(b, s, strlen(s));
}

static void put_option(struct buf *b, uint16_t id, const void *data, uint32_t size)
{
	put_n(b, id, 2);
	put_n(b, size, 4);
	put(b, data, size);
}

/*
 * The header up to and including the trace clock; @off/@size are the CPUs' data. Its length
 * does not depend on their values.
 */
static void build_header(struct buf *b, const uint64_t *off, const uint64_t *size)
{
	static const char *const dma_fmts[] = {
		fmt_dma_map_page, fmt_dma_unmap_page, fmt_dma_map_sg,
	};
	static const char *const powerpc_fmts[] = { fmt_hcall_entry, fmt_hcall_exit };
	static const struct {
		const char *system;
		const char *const *fmts;
		unsigned n;
	} systems[] = {
		{ "dma", dma_fmts, 3 },
		{ "powerpc", powerpc_fmts, 2 },
	};
	unsigned char ncpu[4];

	b->len = 0;
	put(b, "\x17\x08\x44tracing", 10);
	put_str(b, "6");
	put(b, "\0\x08", 2);                    /* little endian, 8-byte long */
	put_n(b, PAGE, 4);
	put(b, "header_page", 12);
	put_text8(b, header_page);
	put(b, "header_event", 13);
	put_text8(b, header_event);
	put_n(b, 0, 4);                         /* ftrace formats */
	put_n(b, sizeof(systems) / sizeof(systems[0]), 4);
	for (size_t i = 0; i < sizeof(systems) / sizeof(systems[0]); i++) {
		put_str(b, systems[i].system);
		put_n(b, systems[i].n, 4);
		for (unsigned k = 0; k < systems[i].n; k++)
			put_text8(b, systems[i].fmts[k]);
	}
	put_n(b, 0, 4);                         /* kallsyms */
	put_n(b, 0, 4);                         /* printk formats */
	put_text8(b, cmdlines);
	put_n(b, NCPU, 4);
	put(b, "options  ", 10);
	put_option(b, 4, clock_option, sizeof(clock_option));        /* TRACECLOCK */
	put_option(b, 5, uname_option, sizeof(uname_option));        /* UNAME */
	le32(ncpu, NCPU);
	put_option(b, 8, ncpu, 4);                                    /* CPUCOUNT */
	put_n(b, 0, 2);                                               /* end of options */
	put(b, "flyrecord", 10);
	for (int c = 0; c < NCPU; c++) {
		put_n(b, off[c], 8);
		put_n(b, size[c], 8);
	}
	put_text8(b, clock_text);
}

/* ---- ring-buffer pages ------------------------------------------------------------------- */

struct cpu {
	unsigned char page[PAGE];
	size_t used;               /* data bytes in @page */
	bool open;
	uint64_t last_ts;          /* what the next time delta is relative to */
	uint64_t npages;           /* pages finished */
	uint64_t base;             /* file offset of this CPU's data */
	unsigned char *chunk;      /* finished pages not yet written */
	unsigned nchunk;
};

static struct cpu cpus[NCPU];
static bool writing;               /* second pass: write the pages */
static int out_fd = -1;

static void flush_chunk(struct cpu *c)
{
	size_t len = (size_t)c->nchunk * PAGE, done = 0;
	uint64_t at = c->base + (c->npages - c->nchunk) * PAGE;

	while (done < len) {
		ssize_t k = pwrite(out_fd, c->chunk + done, len - done, (off_t)(at + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die(out_path);
		done += (size_t)k;
	}
	c->nchunk = 0;
}

static void close_page(struct cpu *c)
{
	le64(c->page + 8, c->used);              /* commit */
	c->open = false;
	c->npages++;
	if (!writing)
		return;
	memcpy(c->chunk + (size_t)c->nchunk * PAGE, c->page, PAGE);
	if (++c->nchunk == CHUNK_PAGES)
		flush_chunk(c);
}

/* Append one record of @len payload bytes at time @ts to CPU @cpu's pages. */
static void emit(int cpu, uint64_t ts, const unsigned char *payload, size_t len)
{
	struct cpu *c = &cpus[cpu];
	size_t plen = (len + 3) & ~(size_t)3;
	size_t rec = plen <= MAX_SMALL ? 4 + plen : 8 + plen;
	uint64_t delta = 0;
	bool extend = false;
	unsigned char *p;

	if (c->open) {
		delta = ts - c->last_ts;
		extend = delta >= (1u << TS_BITS);
		if (c->used + (extend ? 8 : 0) + rec > PAGE_DATA)
			close_page(c);
	}
	if (!c->open) {
		memset(c->page, 0, PAGE);
		le64(c->page, ts);
		c->used = 0;
		c->open = true;
		delta = 0;
		extend = false;
	}
	p = c->page + PAGE_HDR + c->used;
	if (extend) {
		le32(p, TYPE_EXTEND | (uint32_t)(delta & ((1u << TS_BITS) - 1)) << 5);
		le32(p + 4, (uint32_t)(delta >> TS_BITS));
		p += 8;
		c->used += 8;
		delta = 0;
	}
	if (plen <= MAX_SMALL) {
		le32(p, (uint32_t)(plen / 4) | (uint32_t)delta << 5);
		memcpy(p + 4, payload, len);
	} else {
		le32(p, (uint32_t)delta << 5);
		le32(p + 4, (uint32_t)plen + 4);
		memcpy(p + 8, payload, len);
	}
	c->used += rec;
	c->last_ts = ts;
}

/* ---- the events -------------------------------------------------------------------------- */

struct mapping {
	uint64_t dma;
	uint64_t size;
	unsigned dev;
	unsigned dir;
	unsigned attrs;
};

struct gen {
	uint64_t rng;
	uint64_t ts;
	uint64_t counts[E__COUNT];
	uint64_t total;
	uint64_t next_dma[NDEV];
	struct mapping pending[MAX_PENDING];
	unsigned head, npending;
};

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

/* common_type, common_flags, common_preempt_count, common_pid */
static void common(unsigned char *p, uint16_t id, int32_t pid)
{
	le16(p, id);
	p[2] = 0;
	p[3] = 0;
	le32(p + 4, (uint32_t)pid);
}

static void record(struct gen *g, int cpu, int kind, const unsigned char *p, size_t len)
{
	emit(cpu, g->ts, p, len);
	g->counts[kind]++;
	g->total++;
}

static void ev_hcall(struct gen *g, int cpu)
{
	unsigned char p[24];
	uint64_t op = rnd(g) % 3 ? 32 : 312;     /* H_PUT_TCE, H_STUFF_TCE */

	common(p, ID_HC_ENTRY, 0);
	le64(p + 8, op);
	record(g, cpu, E_HC_ENTRY, p, 16);
	g->ts += 200 + rnd(g) % 800;
	common(p, ID_HC_EXIT, 0);
	le64(p + 8, op);
	le64(p + 16, rnd(g) % 1000 ? 0 : (uint64_t)-4); /* H_PARAMETER, rarely */
	record(g, cpu, E_HC_EXIT, p, 24);
}

static void ev_map(struct gen *g, int cpu)
{
	unsigned char p[56 + DEVLEN];
	struct mapping *m = &g->pending[(g->head + g->npending) % MAX_PENDING];
	uint64_t r = rnd(g), phys;

	m->dev = (unsigned)(r % NDEV);
	m->size = r % 10 < 6 ? 4096 : r % 10 < 8 ? 1536 : 1 + (r >> 8) % 4096;
	m->dir = (unsigned)((r >> 20) % 3);
	m->attrs = (r >> 24) % 8 ? 0 : 1u << 8;  /* NO_WARN */
	phys = 0x20000000ull + (rnd(g) % (1u << 18)) * 4096 + (r >> 30) % 64 * 64;
	m->dma = 0x800000000000000ull + ((uint64_t)m->dev << 40) + g->next_dma[m->dev];
	g->next_dma[m->dev] = (g->next_dma[m->dev] + ((m->size + 4095) & ~4095ull)) &
			      ((1ull << 36) - 1);
	g->npending++;
	memset(p, 0, sizeof(p));
	common(p, ID_MAP, 100 + (int32_t)m->dev);
	le32(p + 8, (uint32_t)DEVLEN << 16 | 56);
	le64(p + 16, phys);
	le64(p + 24, m->dma);
	le64(p + 32, m->size);
	le32(p + 40, m->dir);
	le64(p + 48, m->attrs);
	memcpy(p + 56, devices[m->dev], DEVLEN);
	record(g, cpu, E_MAP, p, sizeof(p));
}

static void ev_unmap(struct gen *g, int cpu)
{
	unsigned char p[48 + DEVLEN];
	const struct mapping *m = &g->pending[g->head];

	g->head = (g->head + 1) % MAX_PENDING;
	g->npending--;
	memset(p, 0, sizeof(p));
	common(p, ID_UNMAP, 0);
	le32(p + 8, (uint32_t)DEVLEN << 16 | 48);
	le64(p + 16, m->dma);
	le64(p + 24, m->size);
	le32(p + 32, m->dir);
	le64(p + 40, m->attrs);
	memcpy(p + 48, devices[m->dev], DEVLEN);
	record(g, cpu, E_UNMAP, p, sizeof(p));
}

/* An nvme-like SG list: nents input segments merged into 1 IOVA range, or not merged. */
static void ev_map_sg(struct gen *g, int cpu)
{
	unsigned char p[48 + DEVLEN + 8 * 8 + 8 * 8 + 4 * 8];
	uint64_t r = rnd(g), phys = 0x30000000ull + (rnd(g) % (1u << 18)) * 4096;
	unsigned nents = 1 + (unsigned)(r % 8), ents = r % 4 ? 1 : nents, dev = 1, off = 48;

	memset(p, 0, sizeof(p));
	common(p, ID_MAP_SG, 200);
	le32(p + 12, nents);                     /* full_nents */
	le32(p + 16, ents);                      /* full_ents */
	p[20] = 0;                               /* truncated */
	le32(p + 8, (uint32_t)DEVLEN << 16 | off);
	memcpy(p + off, devices[dev], DEVLEN);
	off += DEVLEN;
	le32(p + 24, (uint32_t)(8 * nents) << 16 | off);
	for (unsigned i = 0; i < nents; i++, off += 8)
		le64(p + off, phys + 0x2000ull * i);
	le32(p + 28, (uint32_t)(8 * ents) << 16 | off);
	for (unsigned i = 0; i < ents; i++, off += 8)
		le64(p + off, 0x800000100000000ull + g->next_dma[dev] + 0x2000ull * i);
	le32(p + 32, (uint32_t)(4 * ents) << 16 | off);
	for (unsigned i = 0; i < ents; i++, off += 4)
		le32(p + off, ents == 1 ? 0x2000 * nents : 0x2000);
	le32(p + 36, (unsigned)(r >> 16) % 2 + 1);  /* TO_DEVICE or FROM_DEVICE */
	le64(p + 40, 1u << 8);
	g->next_dma[dev] = (g->next_dma[dev] + 0x2000ull * nents) & ((1ull << 36) - 1);
	record(g, cpu, E_MAP_SG, p, off);
}

/* Make @n events; the same every time. */
static void generate(struct gen *g, uint64_t n)
{
	memset(g, 0, sizeof(*g));
	g->rng = 0x9e3779b97f4a7c15ull;
	g->ts = 1000000000ull;
	for (int c = 0; c < NCPU; c++) {
		cpus[c].open = false;
		cpus[c].npages = 0;
		cpus[c].nchunk = 0;
	}
	while (g->total < n) {
		uint64_t r = rnd(g);
		unsigned pick = (unsigned)(r % 100);
		int cpu = (r >> 8) % 10 < 7 ? 0 : 1;

		g->ts += 40 + (r >> 16) % 1500;
		if ((r >> 32) % 20000 == 0)
			g->ts += 200000000;              /* an idle gap: TIME_EXTEND */
		if (g->npending && (pick < 42 || g->npending == MAX_PENDING))
			ev_unmap(g, cpu);
		else if (pick < 50 && n - g->total >= 2)
			ev_hcall(g, cpu);
		else if (pick < 56)
			ev_map_sg(g, cpu);
		else
			ev_map(g, cpu);
	}
	for (int c = 0; c < NCPU; c++)
		if (cpus[c].open)
			close_page(&cpus[c]);
}

int main(int argc, char **argv)
{
	uint64_t n, off[NCPU], size[NCPU], data;
	struct buf hdr = { 0 };
	struct gen *g;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: gen-tracedat OUT NEVENTS\n");
		return 2;
	}
	errno = 0;
	n = strtoull(argv[2], &end, 10);
	if (errno || *end || !n) {
		fprintf(stderr, "gen-tracedat: bad event count '%s'\n", argv[2]);
		return 2;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		die("out of memory");
	out_path = argv[1];

	/* pass 1: how many pages each CPU gets */
	writing = false;
	generate(g, n);
	memset(off, 0, sizeof(off));
	memset(size, 0, sizeof(size));
	build_header(&hdr, off, size);
	data = (hdr.len + PAGE - 1) / PAGE * PAGE;
	for (int c = 0; c < NCPU; c++) {
		size[c] = cpus[c].npages * PAGE;
		off[c] = size[c] ? data : 0;
		cpus[c].base = data;
		data += size[c];
	}
	build_header(&hdr, off, size);

	/* pass 2: write */
	out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out_fd < 0)
		die(out_path);
	if (pwrite(out_fd, hdr.p, hdr.len, 0) != (ssize_t)hdr.len)
		die(out_path);
	for (int c = 0; c < NCPU; c++) {
		cpus[c].chunk = malloc((size_t)CHUNK_PAGES * PAGE);
		if (!cpus[c].chunk)
			die("out of memory");
	}
	writing = true;
	generate(g, n);
	for (int c = 0; c < NCPU; c++) {
		if (cpus[c].nchunk)
			flush_chunk(&cpus[c]);
		if (cpus[c].npages * PAGE != size[c]) {
			errno = 0;
			die("internal error: the two passes differ");
		}
		free(cpus[c].chunk);
	}
	if (ftruncate(out_fd, (off_t)data) < 0 || close(out_fd) < 0)
		die(out_path);

	for (int k = 0; k < E__COUNT; k++)
		printf("%s %" PRIu64 "\n", ev_names[k], g->counts[k]);
	printf("events %" PRIu64 "\n", g->total);
	printf("bytes %" PRIu64 "\n", data);
	free(hdr.p);
	free(g);
	return 0;
}
