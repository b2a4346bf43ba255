/*
 * cmd-record.c: `iommusim record`: live capture of DMA-API, swiotlb, iommu and powerpc hcall
 * tracepoints into the native format, through the libbpf CO-RE program in src/record/.
 *
 * Built only when configure found libbpf, clang and bpftool (HAVE_RECORD); otherwise the
 * command says so and exits 1.
 *
 * Flow: pick the tracepoints the running kernel has from its BTF (btf_trace_<name>
 * typedefs: dma_map_phys or else dma_map_page, ...), load, attach tp_btf programs, start the
 * command if any, drain the ring buffer into a spool file (native format) until SIGINT,
 * SIGTERM, the duration or the command's exit, detach, drain again, read the drop counters,
 * then write the output: provenance first (the drop and event counts are known only now),
 * then the spooled events. `--inject FILE` runs the programs' raw_tp twins with
 * BPF_PROG_TEST_RUN on events described in FILE instead of attaching (tests, benchmarks).
 */
#include "config.h"

#include <stdio.h>

#include "cmd.h"

#ifndef HAVE_RECORD

void help_record(FILE *out)
{
	fprintf(out,
		"usage: iommusim record [-o FILE] [--duration S] [--buffer MB] [-- COMMAND [ARG]...]\n\n"
		"Not built: this iommusim was configured without libbpf, clang or bpftool.\n"
		"Install them (scripts/setup.sh) and run configure again.\n");
}

int cmd_record(int argc, char **argv)
{
	ism_err("record: not built: needs libbpf, clang and bpftool at build time "
		"(see ./configure's summary)");
	return EXIT_FAIL;
}

#else /* HAVE_RECORD */

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#include "error.h"
#include "event.h"
#include "native.h"
#include "output.h"
#include "reader.h"
#include "src/record/record.h"
#include "src/record/record.skel.h"

_Static_assert(ISM_REC_MAP == ISM_EV_MAP && ISM_REC_IOMMU_UNMAP == ISM_EV_IOMMU_UNMAP &&
	       ISM_REC_BOUNCE == ISM_EV_BOUNCE && ISM_REC_HCALL_EXIT == ISM_EV_HCALL_EXIT,
	       "record.h kinds must equal enum ism_kind");
_Static_assert(ISM_REC_F_TRUNCATED == ISM_EF_TRUNCATED && ISM_REC_F_FORCE == ISM_EF_FORCE &&
	       ISM_REC_F_MMIO == ISM_EF_MMIO && ISM_REC_F_PAGES == ISM_EF_PAGES &&
	       ISM_REC_F_SGT == ISM_EF_SGT && ISM_REC_F_HCALL_ARGS == ISM_EF_HCALL_ARGS,
	       "record.h flags must equal ISM_EF_*");

#define BTF_PATH "/sys/kernel/btf/vmlinux"

static const char *const tp_names[] = {
#define ISM_REC_TP_NAME(n, s) s,
	ISM_REC_TPS(ISM_REC_TP_NAME)
#undef ISM_REC_TP_NAME
};

void help_record(FILE *out)
{
	fprintf(out,
		"usage: iommusim record [-o FILE] [--duration S] [--buffer MB] [-- COMMAND [ARG]...]\n\n"
		"Record the kernel's DMA-API (dma:*), swiotlb, iommu and powerpc hypercall\n"
		"tracepoints into a native trace (iommusim-trace(5)), with a BPF program attached\n"
		"as tp_btf to whichever of them this kernel has (dma_map_phys on 6.18+,\n"
		"dma_map_page before). Stops on SIGINT (Ctrl-C) or SIGTERM, after S seconds, or\n"
		"when COMMAND exits (with --duration, COMMAND then gets SIGTERM).\n"
		"Needs root (CAP_BPF + CAP_PERFMON) and a kernel with BTF; tracefs is not needed.\n"
		"Timestamps are CLOCK_MONOTONIC ns. Events the ring buffer had no room for are\n"
		"counted and reported (provenance key dropped).\n\n"
		"  -o, --output FILE    output file (default trace.ist; '-' = standard output)\n"
		"  -d, --duration S     stop after S seconds\n"
		"  -b, --buffer MB      ring buffer size, rounded up to a power of two (default 16)\n"
		"  -v, --verbose        show libbpf's messages\n"
		"      --inject SPEC    testing: feed the events described in SPEC through the\n"
		"                       programs with BPF_PROG_TEST_RUN instead of attaching\n"
		"      --repeat N       with --inject: inject each event N times and report the\n"
		"                       cost per event\n"
		"  -h, --help           this help\n\n"
		"Exit status: 0 recorded, 1 cannot load or attach (reason given), 2 usage.\n");
}

/* ---- state ------------------------------------------------------------------------------ */

struct rec_state {
	struct record_bpf *skel;
	struct btf *vmlinux;
	struct ism_writer *spool;
	char *spool_path;
	int spool_slot;           /* output_temp_add() */
	struct ism_sge *sg;
	uint64_t events;
	uint64_t bad;
	int werr;
	char *werrmsg;
	char attached[1024];
	unsigned nattached;
	const char *sg_phys;
	/* consumer-side time, for --repeat */
	double consume_s;
};

static volatile sig_atomic_t stop_sig;
static int verbose;
static char *libbpf_log;
static size_t libbpf_log_len;

static void on_signal(int sig)
{
	stop_sig = sig;
}

/* libbpf's messages: shown with -v, otherwise kept to explain a failure. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	ISM_PRINTF(2, 0);
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (verbose) {
		vfprintf(stderr, fmt, ap);
		return 0;
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (libbpf_log_len + (size_t)n + 1 > (64u << 10))
		return 0;
	libbpf_log = xrealloc(libbpf_log, libbpf_log_len + (size_t)n + 1);
	memcpy(libbpf_log + libbpf_log_len, buf, (size_t)n + 1);
	libbpf_log_len += (size_t)n;
	return 0;
}

static void show_libbpf_log(void)
{
	if (libbpf_log_len) {
		fprintf(stderr, "iommusim: record: libbpf said:\n%s", libbpf_log);
		if (libbpf_log[libbpf_log_len - 1] != '\n')
			fputc('\n', stderr);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- BTF: which tracepoints, and their prototypes --------------------------------------- */

/* Parameters of btf_trace_<tp>'s prototype (the first is the probe's void *), or -1. */
static int tp_params(const struct btf *btf, const char *tp)
{
	char name[96];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t);
}

/* Byte offset of member @m of struct @s in the kernel's BTF, or -1. */
static long btf_member_off(const struct btf *btf, const char *s, const char *m)
{
	const struct btf_type *t;
	const struct btf_member *mem;
	int id = btf__find_by_name_kind(btf, s, BTF_KIND_STRUCT);

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	mem = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, mem++) {
		const char *n = btf__name_by_offset(btf, mem->name_off);

		if (n && strcmp(n, m) == 0)
			return (long)(btf_member_bit_offset(t, i) / 8);
	}
	return -1;
}

static long btf_struct_size(const struct btf *btf, const char *s)
{
	int id = btf__find_by_name_kind(btf, s, BTF_KIND_STRUCT);

	return id < 0 ? -1 : (long)btf__resolve_size(btf, (__u32)id);
}

/* The kernel variable holding the struct page array's base, from kallsyms (0 = not found). */
static uint64_t kallsyms_addr(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], type;
	unsigned long long a;
	uint64_t found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && strcmp(name, sym) == 0 &&
		    a) {
			found = a;
			break;
		}
	}
	fclose(f);
	return found;
}

/* ---- consuming the ring buffer ---------------------------------------------------------- */

static int rec_event(void *ctx, void *data, size_t size)
{
	struct rec_state *st = ctx;
	const struct ism_rec *r = data;
	const struct ism_rec_sge *e = (const void *)(r + 1);
	struct ism_event ev;
	char dev[ISM_REC_DEV_LEN + 1];
	unsigned m, nsg;
	double t0 = st->consume_s >= 0 ? now_s() : 0;

	if (size < sizeof(*r)) {
		st->bad++;
		return 0;
	}
	m = r->sg_in > r->sg_out ? r->sg_in : r->sg_out;
	if (m > ISM_REC_SG_MAX || size < sizeof(*r) + m * sizeof(*e)) {
		st->bad++;
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = r->ts;
	ev.addr = r->addr;
	ev.paddr = r->paddr;
	ev.size = r->size;
	ev.arg = r->arg;
	ev.attrs = r->attrs;
	ev.nents = r->nents;
	ev.ents = r->ents;
	ev.cpu = r->cpu;
	ev.kind = r->kind;
	ev.dir = r->dir;
	ev.flags = r->flags;
	memcpy(dev, r->dev, ISM_REC_DEV_LEN);
	dev[ISM_REC_DEV_LEN] = '\0';
	ev.dev = dev[0] ? 1 : 0;
	/* as the tracepoint readers: entry i = input i (PHYS) and/or output i (DMA); then the
	 * input segments with their own lengths (ISM_SGE_IN), which only the recorder has */
	nsg = m + r->sg_in;
	if (nsg) {
		for (unsigned i = 0; i < m; i++) {
			struct ism_sge *s = &st->sg[i];

			s->phys = i < r->sg_in ? e[i].phys : 0;
			s->dma = i < r->sg_out ? e[i].dma : 0;
			s->len = i < r->sg_out ? e[i].len : 0;
			s->flags = (i < r->sg_in ? ISM_SGE_PHYS : 0) |
				   (i < r->sg_out ? ISM_SGE_DMA : 0);
		}
		for (unsigned i = 0; i < r->sg_in; i++) {
			struct ism_sge *s = &st->sg[m + i];

			s->phys = e[i].phys;
			s->dma = 0;
			s->len = e[i].inlen;
			s->flags = ISM_SGE_IN;
		}
		ev.sg = st->sg;
		ev.nsg = nsg;
	}
	if (!st->werr) {
		st->werr = writer_write(st->spool, &ev, ev.dev ? dev : NULL);
		if (st->werr)
			return -1; /* stop consuming; reported by the caller */
	}
	st->events++;
	if (st->consume_s >= 0)
		st->consume_s += now_s() - t0;
	return 0;
}

/* ---- injection (BPF_PROG_TEST_RUN) ------------------------------------------------------ */

/* Where injected objects sit in the arena (offsets). */
enum {
	A_DEV = 0,          /* struct device (zeroed; init_name, dma_mask, dma_io_tlb_mem) */
	A_NAME = 2048,      /* the device name */
	A_MASK = 2304,      /* u64 dma mask */
	A_TLB = 2560,       /* struct io_tlb_mem (force_bounce) */
	A_HARGS = 3072,     /* 4 u64 hcall arguments */
	A_SGT = 3200,       /* struct sg_table */
	A_SG = 4096,        /* scatterlist entries */
};

struct inj_layout {
	long dev_size, init_name, dma_mask, io_tlb, force_bounce, tlb_size;
	long sg_size, sg_page_link, sg_offset, sg_length, sg_dma_address, sg_dma_length;
	long sgt_sgl, sgt_nents, sgt_orig_nents;
	long page_size;
};

struct inj_seg {
	uint64_t pfn, off, len;  /* input */
	uint64_t dma, dlen;      /* output */
};

struct inj_ev {
	char kind[32];
	char dev[128];
	uint64_t v[16];
	int have[16];
	struct inj_seg *in, *out;
	unsigned nin, nout, chain;
	int64_t err, ret;
	uint64_t hargs[4];
	int nhargs;
};

/* key index in inj_ev.v */
enum { K_PHYS, K_DMA, K_SIZE, K_DIR, K_ATTRS, K_VIRT, K_GFP, K_ADDR, K_MASK, K_FORCE, K_OP,
       K_IOVA, K_PADDR, K_UNMAPPED, K_NENTS, K_ENTS };
static const char *const inj_keys[] = { "phys", "dma", "size", "dir", "attrs", "virt", "gfp",
					"addr", "mask", "force", "op", "iova", "paddr",
					"unmapped", "nents", "ents" };

static void inj_free(struct inj_ev *e)
{
	free(e->in);
	free(e->out);
	e->in = e->out = NULL;
}

/* "PFN+OFF:LEN,..." (input) or "DMA:LEN,..." (output) */
static int inj_segs(const char *v, int input, struct inj_seg **out, unsigned *n)
{
	const char *p = v;

	*n = 0;
	while (*p) {
		struct inj_seg s = { 0 };
		char *end;

		if (input) {
			s.pfn = strtoull(p, &end, 0);
			if (*end != '+')
				return -1;
			s.off = strtoull(end + 1, &end, 0);
			if (*end != ':')
				return -1;
			s.len = strtoull(end + 1, &end, 0);
		} else {
			s.dma = strtoull(p, &end, 0);
			if (*end != ':')
				return -1;
			s.dlen = strtoull(end + 1, &end, 0);
		}
		if (*end && *end != ',')
			return -1;
		if (*n >= 1024)
			return -1;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = s;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* One spec line: KIND key=value... Returns 1, 0 for a blank/comment line, -1 on error. */
static int inj_parse(char *line, struct inj_ev *e, char **why)
{
	char *tok, *save = NULL;

	memset(e, 0, sizeof(*e));
	tok = strtok_r(line, " \t\r\n", &save);
	if (!tok || tok[0] == '#')
		return 0;
	snprintf(e->kind, sizeof(e->kind), "%s", tok);
	while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		char *eq = strchr(tok, '='), *end;
		size_t i;

		if (!eq) {
			*why = xasprintf("'%s' is not key=value", tok);
			return -1;
		}
		*eq++ = '\0';
		if (strcmp(tok, "dev") == 0) {
			snprintf(e->dev, sizeof(e->dev), "%s", eq);
			continue;
		}
		if (strcmp(tok, "in") == 0 || strcmp(tok, "out") == 0) {
			int in = tok[0] == 'i';

			if (inj_segs(eq, in, in ? &e->in : &e->out, in ? &e->nin : &e->nout)) {
				*why = xasprintf("bad %s= list", tok);
				return -1;
			}
			continue;
		}
		if (strcmp(tok, "chain") == 0) {
			e->chain = (unsigned)strtoul(eq, NULL, 0);
			continue;
		}
		if (strcmp(tok, "err") == 0 || strcmp(tok, "ret") == 0) {
			int64_t x = strtoll(eq, &end, 0);

			if (*end) {
				*why = xasprintf("bad %s", tok);
				return -1;
			}
			*(tok[0] == 'e' ? &e->err : &e->ret) = x;
			continue;
		}
		if (strcmp(tok, "args") == 0) {
			char *p = eq;

			while (*p && e->nhargs < 4) {
				e->hargs[e->nhargs++] = strtoull(p, &end, 0);
				p = *end == ',' ? end + 1 : end;
			}
			continue;
		}
		for (i = 0; i < ISM_ARRAY_SIZE(inj_keys); i++)
			if (strcmp(tok, inj_keys[i]) == 0)
				break;
		if (i == ISM_ARRAY_SIZE(inj_keys)) {
			*why = xasprintf("unknown key '%s'", tok);
			return -1;
		}
		e->v[i] = strtoull(eq, &end, 0);
		e->have[i] = 1;
		if (*end) {
			*why = xasprintf("bad number for %s", tok);
			return -1;
		}
	}
	return 1;
}

static void put_u64(unsigned char *a, long off, uint64_t v)
{
	memcpy(a + off, &v, 8);
}

static void put_u32(unsigned char *a, long off, uint32_t v)
{
	memcpy(a + off, &v, 4);
}

/* Fill the arena's struct device; returns its kernel address (0 = no device). */
static uint64_t inj_device(unsigned char *a, uint64_t kaddr, const struct inj_layout *L,
			   const struct inj_ev *e)
{
	if (!e->dev[0])
		return 0;
	memcpy(a + A_NAME, e->dev, strlen(e->dev) + 1);
	put_u64(a, A_DEV + L->init_name, kaddr + A_NAME);
	if (L->dma_mask >= 0 && e->have[K_MASK]) {
		put_u64(a, A_MASK, e->v[K_MASK]);
		put_u64(a, A_DEV + L->dma_mask, kaddr + A_MASK);
	}
	if (L->io_tlb >= 0 && L->force_bounce >= 0 && e->have[K_FORCE]) {
		a[A_TLB + L->force_bounce] = e->v[K_FORCE] ? 1 : 0;
		put_u64(a, A_DEV + L->io_tlb, kaddr + A_TLB);
	}
	return kaddr + A_DEV;
}

/* Build the scatterlist (max(nin, nout) entries, a chain link after e->chain entries). */
static uint64_t inj_sglist(unsigned char *a, uint64_t kaddr, const struct inj_layout *L,
			   const struct inj_ev *e, unsigned *count)
{
	unsigned n = e->nin > e->nout ? e->nin : e->nout;
	long pos = A_SG;

	*count = n;
	if (!n)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		long s;
		uint64_t pl = 0;

		if (e->chain && i == e->chain) {
			/* chain entry pointing at the next slot */
			uint64_t next = kaddr + (uint64_t)pos + (uint64_t)L->sg_size;

			put_u64(a, pos + L->sg_page_link, next | 1);
			pos += L->sg_size;
		}
		s = pos;
		if (i < e->nin) {
			/* the vmemmap base is 0 when injecting */
			pl = e->in[i].pfn * (uint64_t)L->page_size;
			put_u32(a, s + L->sg_offset, (uint32_t)e->in[i].off);
			put_u32(a, s + L->sg_length, (uint32_t)e->in[i].len);
		}
		if (i < e->nout) {
			put_u64(a, s + L->sg_dma_address, e->out[i].dma);
			if (L->sg_dma_length >= 0)
				put_u32(a, s + L->sg_dma_length, (uint32_t)e->out[i].dlen);
			else if (i >= e->nin)
				put_u32(a, s + L->sg_length, (uint32_t)e->out[i].dlen);
		}
		if (i == n - 1)
			pl |= 2;
		put_u64(a, s + L->sg_page_link, pl);
		pos += L->sg_size;
	}
	return kaddr + A_SG;
}

struct inj_kind {
	const char *name;
	int tp;
};

static const struct inj_kind inj_kinds[] = {
	{ "map", ISM_TP_MAP_PHYS }, { "map_resource", ISM_TP_MAP_RESOURCE },
	{ "unmap", ISM_TP_UNMAP_PHYS }, { "unmap_resource", ISM_TP_UNMAP_RESOURCE },
	{ "map_sg", ISM_TP_MAP_SG }, { "unmap_sg", ISM_TP_UNMAP_SG },
	{ "map_sg_err", ISM_TP_MAP_SG_ERR }, { "alloc", ISM_TP_ALLOC },
	{ "alloc_pages", ISM_TP_ALLOC_PAGES }, { "alloc_sgt_err", ISM_TP_ALLOC_SGT_ERR },
	{ "alloc_sgt", ISM_TP_ALLOC_SGT }, { "free", ISM_TP_FREE },
	{ "free_pages", ISM_TP_FREE_PAGES }, { "free_sgt", ISM_TP_FREE_SGT },
	{ "sync_cpu", ISM_TP_SYNC_CPU }, { "sync_dev", ISM_TP_SYNC_DEV },
	{ "sync_sg_cpu", ISM_TP_SYNC_SG_CPU }, { "sync_sg_dev", ISM_TP_SYNC_SG_DEV },
	{ "bounce", ISM_TP_BOUNCE }, { "hcall_entry", ISM_TP_HCALL_ENTRY },
	{ "hcall_exit", ISM_TP_HCALL_EXIT }, { "iommu_map", ISM_TP_IOMMU_MAP },
	{ "iommu_unmap", ISM_TP_IOMMU_UNMAP },
};

/* The tracepoint arguments (TP_PROTO order) for @e; fills the arena. Returns the tp or -1. */
static int inj_build(const struct inj_ev *e, unsigned char *a, uint64_t kaddr,
		     const struct inj_layout *L, uint64_t args[8])
{
	const uint64_t *v = e->v;
	uint64_t dev, sgl;
	unsigned cnt;
	int tp = -1;

	for (size_t i = 0; i < ISM_ARRAY_SIZE(inj_kinds); i++)
		if (strcmp(inj_kinds[i].name, e->kind) == 0)
			tp = inj_kinds[i].tp;
	if (tp < 0)
		return -1;
	memset(a, 0, ISM_REC_ARENA);
	memset(args, 0, 8 * sizeof(uint64_t));
	dev = inj_device(a, kaddr, L, e);
	args[0] = dev;
	switch (tp) {
	case ISM_TP_MAP_PHYS:
	case ISM_TP_MAP_RESOURCE:
		args[1] = v[K_PHYS], args[2] = v[K_DMA], args[3] = v[K_SIZE];
		args[4] = v[K_DIR], args[5] = v[K_ATTRS];
		break;
	case ISM_TP_UNMAP_PHYS:
	case ISM_TP_UNMAP_RESOURCE:
		args[1] = v[K_DMA], args[2] = v[K_SIZE], args[3] = v[K_DIR], args[4] = v[K_ATTRS];
		break;
	case ISM_TP_MAP_SG:
		args[1] = inj_sglist(a, kaddr, L, e, &cnt);
		args[2] = e->have[K_NENTS] ? v[K_NENTS] : e->nin;
		args[3] = e->have[K_ENTS] ? v[K_ENTS] : e->nout;
		args[4] = v[K_DIR], args[5] = v[K_ATTRS];
		break;
	case ISM_TP_UNMAP_SG:
		args[1] = inj_sglist(a, kaddr, L, e, &cnt);
		args[2] = e->have[K_NENTS] ? v[K_NENTS] : e->nin;
		args[3] = v[K_DIR], args[4] = v[K_ATTRS];
		break;
	case ISM_TP_MAP_SG_ERR:
		args[1] = inj_sglist(a, kaddr, L, e, &cnt);
		args[2] = e->have[K_NENTS] ? v[K_NENTS] : e->nin;
		args[3] = (uint64_t)e->err;
		args[4] = v[K_DIR], args[5] = v[K_ATTRS];
		break;
	case ISM_TP_SYNC_SG_CPU:
	case ISM_TP_SYNC_SG_DEV:
		args[1] = inj_sglist(a, kaddr, L, e, &cnt);
		args[2] = e->have[K_NENTS] ? v[K_NENTS] : e->nout;
		args[3] = v[K_DIR];
		break;
	case ISM_TP_ALLOC_SGT:
	case ISM_TP_FREE_SGT:
		sgl = inj_sglist(a, kaddr, L, e, &cnt);
		put_u64(a, A_SGT + L->sgt_sgl, sgl);
		put_u32(a, A_SGT + L->sgt_orig_nents, e->nin);
		put_u32(a, A_SGT + L->sgt_nents, e->nout);
		args[1] = kaddr + A_SGT;
		args[2] = v[K_SIZE], args[3] = v[K_DIR];
		args[4] = v[K_GFP], args[5] = v[K_ATTRS];
		break;
	case ISM_TP_ALLOC:
	case ISM_TP_ALLOC_PAGES:
	case ISM_TP_ALLOC_SGT_ERR:
		/* the 6.13+ prototype; the loader tells the program which one the kernel has */
		args[1] = v[K_VIRT], args[2] = v[K_DMA], args[3] = v[K_SIZE];
		args[4] = v[K_DIR], args[5] = v[K_GFP], args[6] = v[K_ATTRS];
		break;
	case ISM_TP_FREE:
	case ISM_TP_FREE_PAGES:
		args[1] = v[K_VIRT], args[2] = v[K_DMA], args[3] = v[K_SIZE];
		args[4] = v[K_DIR], args[5] = v[K_ATTRS];
		break;
	case ISM_TP_SYNC_CPU:
	case ISM_TP_SYNC_DEV:
		args[1] = v[K_DMA], args[2] = v[K_SIZE], args[3] = v[K_DIR];
		break;
	case ISM_TP_BOUNCE:
		args[1] = v[K_ADDR], args[2] = v[K_SIZE];
		break;
	case ISM_TP_HCALL_ENTRY:
		args[0] = v[K_OP];
		if (e->nhargs) {
			for (int i = 0; i < 4; i++)
				put_u64(a, A_HARGS + 8 * i, e->hargs[i]);
			args[1] = kaddr + A_HARGS;
		}
		break;
	case ISM_TP_HCALL_EXIT:
		args[0] = v[K_OP], args[1] = (uint64_t)e->ret;
		break;
	case ISM_TP_IOMMU_MAP:
		args[0] = v[K_IOVA], args[1] = v[K_PADDR], args[2] = v[K_SIZE];
		break;
	case ISM_TP_IOMMU_UNMAP:
		args[0] = v[K_IOVA], args[1] = v[K_SIZE], args[2] = v[K_UNMAPPED];
		break;
	}
	return tp;
}

static struct bpf_program *inj_prog(struct record_bpf *skel, int tp)
{
	switch (tp) {
#define ISM_REC_TP_PROG(n, s) case ISM_TP_##n: return skel->progs.inj_##n;
	ISM_REC_TPS(ISM_REC_TP_PROG)
#undef ISM_REC_TP_PROG
	}
	return NULL;
}

static struct bpf_program *tpb_prog(struct record_bpf *skel, int tp)
{
	switch (tp) {
#define ISM_REC_TP_PROG(n, s) case ISM_TP_##n: return skel->progs.tpb_##n;
	ISM_REC_TPS(ISM_REC_TP_PROG)
#undef ISM_REC_TP_PROG
	}
	return NULL;
}

static int test_run(struct bpf_program *p, uint64_t *args)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = 8 * sizeof(uint64_t));

	return bpf_prog_test_run_opts(bpf_program__fd(p), &o);
}

/* Inject every event of @spec (@repeat times each); returns 0 or EXIT_* after a message. */
static int inject(struct rec_state *st, struct ring_buffer *rb, const char *spec,
		  unsigned long repeat)
{
	struct record_bpf *skel = st->skel;
	struct inj_layout L;
	unsigned char *a = xcalloc(1, ISM_REC_ARENA);
	uint64_t args[8], kaddr, n = 0, zero_args[8] = { 0 };
	double t_run = 0, t_null = 0;
	unsigned lineno = 0;
	char line[65536];
	__u32 zero = 0;
	FILE *f;
	int ret = 0;

	L.dev_size = btf_struct_size(st->vmlinux, "device");
	L.init_name = btf_member_off(st->vmlinux, "device", "init_name");
	L.dma_mask = btf_member_off(st->vmlinux, "device", "dma_mask");
	L.io_tlb = btf_member_off(st->vmlinux, "device", "dma_io_tlb_mem");
	L.force_bounce = btf_member_off(st->vmlinux, "io_tlb_mem", "force_bounce");
	L.tlb_size = btf_struct_size(st->vmlinux, "io_tlb_mem");
	L.sg_size = btf_struct_size(st->vmlinux, "scatterlist");
	L.sg_page_link = btf_member_off(st->vmlinux, "scatterlist", "page_link");
	L.sg_offset = btf_member_off(st->vmlinux, "scatterlist", "offset");
	L.sg_length = btf_member_off(st->vmlinux, "scatterlist", "length");
	L.sg_dma_address = btf_member_off(st->vmlinux, "scatterlist", "dma_address");
	L.sg_dma_length = btf_member_off(st->vmlinux, "scatterlist", "dma_length");
	L.sgt_sgl = btf_member_off(st->vmlinux, "sg_table", "sgl");
	L.sgt_nents = btf_member_off(st->vmlinux, "sg_table", "nents");
	L.sgt_orig_nents = btf_member_off(st->vmlinux, "sg_table", "orig_nents");
	L.page_size = btf_struct_size(st->vmlinux, "page");
	if (L.dev_size <= 0 || L.dev_size > A_NAME || L.init_name < 0 || L.sg_size <= 0 ||
	    L.sg_page_link < 0 || L.sg_offset < 0 || L.sg_length < 0 || L.sg_dma_address < 0 ||
	    L.sgt_sgl < 0 || L.sgt_orig_nents < 0 || L.sgt_nents < 0 || L.page_size <= 0 ||
	    (L.tlb_size > 0 && L.tlb_size > A_HARGS - A_TLB)) {
		ism_err("record: --inject: unexpected struct layouts in this kernel's BTF");
		free(a);
		return EXIT_FAIL;
	}
	if (test_run(skel->progs.inj_setup, zero_args) < 0) {
		ism_err("record: --inject: BPF_PROG_TEST_RUN: %s", strerror(errno));
		free(a);
		return EXIT_FAIL;
	}
	kaddr = skel->bss->arena_kaddr;
	f = strcmp(spec, "-") == 0 ? stdin : fopen(spec, "r");
	if (!f) {
		ism_err("record: %s: %s", spec, strerror(errno));
		free(a);
		return EXIT_USAGE;
	}
	while (fgets(line, sizeof(line), f)) {
		struct inj_ev e;
		char *why = NULL;
		int r = inj_parse(line, &e, &why), tp;
		double t0;

		lineno++;
		if (r == 0)
			continue;
		if (r < 0 || (tp = inj_build(&e, a, kaddr, &L, args)) < 0) {
			ism_err("record: %s:%u: %s", spec, lineno,
				why ? why : "unknown event kind");
			free(why);
			inj_free(&e);
			ret = EXIT_USAGE;
			break;
		}
		inj_free(&e);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.arena), &zero, a, BPF_ANY)) {
			ism_err("record: --inject: arena update: %s", strerror(errno));
			ret = EXIT_FAIL;
			break;
		}
		t0 = now_s();
		for (unsigned long k = 0; k < repeat; k++) {
			if (test_run(inj_prog(skel, tp), args) < 0) {
				ism_err("record: %s:%u: BPF_PROG_TEST_RUN: %s", spec, lineno,
					strerror(errno));
				ret = EXIT_FAIL;
				break;
			}
			if ((k & 1023) == 1023)
				ring_buffer__consume(rb);
		}
		t_run += now_s() - t0;
		n += repeat;
		ring_buffer__consume(rb);
		if (ret)
			break;
	}
	if (f != stdin)
		fclose(f);
	if (!ret && repeat > 1 && n) {
		double t0 = now_s();

		for (uint64_t k = 0; k < n; k++)
			test_run(skel->progs.inj_null, zero_args);
		t_null = now_s() - t0;
		fprintf(stderr,
			"iommusim: record: injected %" PRIu64 " events: %.0f ns/event through "
			"BPF_PROG_TEST_RUN, %.0f ns/event for an empty program: the recorder's BPF "
			"handler costs %.0f ns/event; user space %.0f ns/event (ring buffer to "
			"spool file)\n",
			n, t_run * 1e9 / (double)n, t_null * 1e9 / (double)n,
			(t_run - t_null) * 1e9 / (double)n, st->consume_s * 1e9 / (double)n);
	}
	free(a);
	return ret;
}

/* ---- attach ----------------------------------------------------------------------------- */

static void add_attached(struct rec_state *st, const char *name)
{
	size_t l = strlen(st->attached);

	snprintf(st->attached + l, sizeof(st->attached) - l, "%s%s", l ? "," : "", name);
	st->nattached++;
}

/*
 * Choose the programs: the tp_btf ones for the tracepoints this kernel has (live), or the
 * raw_tp twins (inject). Sets the prototype switches of the BPF program.
 */
static int choose_progs(struct rec_state *st, int injecting)
{
	struct record_bpf *skel = st->skel;
	int n;

	for (int tp = 0; tp < ISM_TP__COUNT; tp++) {
		struct bpf_program *live = tpb_prog(skel, tp), *inj = inj_prog(skel, tp);
		const char *name = tp_names[tp];

		bpf_program__set_autoload(inj, injecting);
		if (injecting) {
			bpf_program__set_autoload(live, false);
			continue;
		}
		if (tp == ISM_TP_MAP_PHYS && tp_params(st->vmlinux, name) < 0)
			name = "dma_map_page";
		if (tp == ISM_TP_UNMAP_PHYS && tp_params(st->vmlinux, name) < 0)
			name = "dma_unmap_page";
		if (tp_params(st->vmlinux, name) < 0) {
			bpf_program__set_autoload(live, false);
			continue;
		}
		if (bpf_program__set_attach_target(live, 0, name)) {
			bpf_program__set_autoload(live, false);
			continue;
		}
	}
	bpf_program__set_autoload(skel->progs.inj_setup, injecting);
	bpf_program__set_autoload(skel->progs.inj_null, injecting);
	/* dma_alloc/dma_free gained dir in 6.13 (and 6.12.48) */
	n = tp_params(st->vmlinux, "dma_alloc");
	skel->rodata->alloc_has_dir = injecting || n < 0 || n >= 8;
	n = tp_params(st->vmlinux, "dma_free");
	skel->rodata->free_has_dir = injecting || n < 0 || n >= 7;
	return 0;
}

static int attach_all(struct rec_state *st, struct bpf_link ***links, unsigned *nlinks)
{
	struct record_bpf *skel = st->skel;

	*links = xcalloc(ISM_TP__COUNT, sizeof(**links));
	*nlinks = 0;
	for (int tp = 0; tp < ISM_TP__COUNT; tp++) {
		struct bpf_program *p = tpb_prog(skel, tp);
		struct bpf_link *l;
		int pn;

		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l) {
			ism_warn("record: cannot attach to %s: %s", tp_names[tp], strerror(errno));
			continue;
		}
		(*links)[(*nlinks)++] = l;
		pn = tp_params(st->vmlinux, tp_names[tp]);
		if (tp == ISM_TP_MAP_PHYS && pn < 0)
			add_attached(st, "dma_map_page");
		else if (tp == ISM_TP_UNMAP_PHYS && pn < 0)
			add_attached(st, "dma_unmap_page");
		else
			add_attached(st, tp_names[tp]);
	}
	return *nlinks ? 0 : -1;
}

/*
 * Events a program skipped because it was already running on that CPU (a tracepoint firing
 * in an interrupt that arrived while the same program ran): the kernel counts them per
 * program (recursion_misses, Linux 5.12+).
 */
static uint64_t recursion_misses(struct record_bpf *skel)
{
	uint64_t n = 0;

	for (int tp = 0; tp < ISM_TP__COUNT; tp++) {
		struct bpf_program *p = tpb_prog(skel, tp);
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(p) || bpf_program__fd(p) < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
			n += info.recursion_misses;
	}
	return n;
}

/* ---- output ----------------------------------------------------------------------------- */

/*
 * Output order. The ring buffer holds events in the order they were reserved, which can
 * differ from timestamp order by the time a program takes between reading the clock and
 * reserving (an sg walk, an interrupt). Events are released in timestamp order once they are
 * REORDER_NS older than the newest one seen; later stragglers keep their place.
 */
#define REORDER_NS 10000000ull

struct held {
	struct ism_event ev;
	uint64_t seq;
};

static int held_less(const struct held *a, const struct held *b)
{
	return a->ev.ts_ns < b->ev.ts_ns || (a->ev.ts_ns == b->ev.ts_ns && a->seq < b->seq);
}

struct heap {
	struct held *h;
	size_t n, cap;
};

static void heap_push(struct heap *q, const struct ism_event *ev, uint64_t seq)
{
	size_t i;

	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 1024;
		q->h = xreallocarray(q->h, q->cap, sizeof(*q->h));
	}
	i = q->n++;
	q->h[i].ev = *ev;
	q->h[i].seq = seq;
	if (ev->nsg) {
		struct ism_sge *sg = xreallocarray(NULL, ev->nsg, sizeof(*sg));

		memcpy(sg, ev->sg, ev->nsg * sizeof(*sg));
		q->h[i].ev.sg = sg;
	}
	while (i && held_less(&q->h[i], &q->h[(i - 1) / 2])) {
		struct held t = q->h[i];

		q->h[i] = q->h[(i - 1) / 2];
		q->h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct held heap_pop(struct heap *q)
{
	struct held top = q->h[0];
	size_t i = 0;

	q->h[0] = q->h[--q->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct held t;

		if (l < q->n && held_less(&q->h[l], &q->h[m]))
			m = l;
		if (r < q->n && held_less(&q->h[r], &q->h[m]))
			m = r;
		if (m == i)
			break;
		t = q->h[i];
		q->h[i] = q->h[m];
		q->h[m] = t;
		i = m;
	}
	return top;
}

/* Write @out: provenance, then the spooled events in timestamp order (see above). */
static int write_output(struct rec_state *st, const char *out, const char *const *prov)
{
	struct ism_writer *w;
	struct reader *r;
	struct ism_event ev;
	struct heap q = { 0 };
	uint64_t seq = 0, newest = 0;
	char *cause = NULL;
	int ret, werr = 0;

	if (writer_open(out, NULL, &w, &cause) < 0) {
		ism_err("record: %s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	for (unsigned i = 0; prov[i]; i += 2)
		writer_add_prov(w, prov[i], prov[i + 1]);
	ret = reader_open(st->spool_path, "native", &r, &cause);
	if (ret < 0) {
		ism_err("record: spool %s: %s", st->spool_path, cause ? cause : ism_strerror(ret));
		free(cause);
		writer_close(w, NULL);
		return EXIT_FAIL;
	}
	for (;;) {
		ret = reader_next(r, &ev);
		if (ret > 0) {
			heap_push(&q, &ev, seq++);
			if (ev.ts_ns > newest)
				newest = ev.ts_ns;
		}
		while (q.n && (ret <= 0 || q.h[0].ev.ts_ns + REORDER_NS < newest)) {
			struct held h = heap_pop(&q);

			if (!werr)
				werr = writer_write(w, &h.ev,
						    h.ev.dev ? reader_dev_name(r, h.ev.dev) : NULL);
			free((void *)h.ev.sg);
		}
		if (ret <= 0)
			break;
	}
	free(q.h);
	if (ret < 0)
		ism_err("record: spool: %s", reader_error(r));
	reader_close(r);
	if (writer_close(w, &cause) < 0) {
		ism_err("record: %s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}

/* The spool file next to @out (or in $TMPDIR for a pipe or device); its fd in *@fd. */
static char *spool_name(const char *out, int *fd)
{
	const char *tmp = getenv("TMPDIR");
	char *p;

	if (strcmp(out, "-") == 0 || strncmp(out, "/dev/", 5) == 0)
		p = xasprintf("%s/iommusim-record.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	else
		p = xasprintf("%s.spool.XXXXXX", out);
	*fd = mkostemp(p, O_CLOEXEC);
	if (*fd < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static char *join_args(char **argv)
{
	size_t n = 0;
	char *s;

	for (int i = 0; argv[i]; i++)
		n += strlen(argv[i]) + 1;
	s = xmalloc(n + 1);
	s[0] = '\0';
	for (int i = 0; argv[i]; i++) {
		strcat(s, argv[i]);
		if (argv[i + 1])
			strcat(s, " ");
	}
	return s;
}

/* ---- the command ------------------------------------------------------------------------ */

static int load_error(int err)
{
	if (err == -EPERM || err == -EACCES)
		ism_err("record: cannot load the BPF programs: %s (run as root: needs CAP_BPF and "
			"CAP_PERFMON, or CAP_SYS_ADMIN)", strerror(-err));
	else
		ism_err("record: cannot load the BPF programs: %s%s", strerror(-err),
			verbose ? "" : " (-v shows libbpf's messages)");
	if (!verbose && err != -EPERM && err != -EACCES)
		show_libbpf_log();
	return EXIT_FAIL;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "inject", required_argument, NULL, 'I' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "trace.ist", *spec = NULL;
	double duration = 0, t_start;
	unsigned long buffer_mb = 16, repeat = 1;
	struct rec_state st;
	struct ring_buffer *rb = NULL;
	struct bpf_link **links = NULL;
	unsigned nlinks = 0;
	struct sigaction sa, old_int, old_term, old_hup;
	struct utsname un;
	pid_t child = -1;
	int child_status = -1, c, err, ret = EXIT_FAIL;
	uint64_t dropped = 0, missed = 0, ringsz;
	char *cmdline = NULL, *end;
	char s_dropped[32], s_missed[32], s_events[32], s_buffer[32], s_dur[64], s_cpus[16];
	char s_status[32];

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:d:b:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || !(duration > 0) || duration > 1e9)
				return usage_error("record", "--duration: '%s' is not a number of "
						   "seconds > 0", optarg);
			break;
		case 'b':
			buffer_mb = strtoul(optarg, &end, 10);
			if (*end || buffer_mb < 1 || buffer_mb > 4096)
				return usage_error("record", "--buffer: '%s' is not 1..4096 (MB)",
						   optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'I':
			spec = optarg;
			break;
		case 'R':
			repeat = strtoul(optarg, &end, 10);
			if (*end || repeat < 1 || repeat > 100000000)
				return usage_error("record", "--repeat: '%s' is not 1..100000000",
						   optarg);
			break;
		case 'h':
			help_record(stdout);
			return EXIT_OK;
		default:
			return bad_option("record", opts, argv);
		}
	}
	if (spec && optind < argc)
		return usage_error("record", "--inject takes no command");
	if (optind < argc)
		cmdline = join_args(argv + optind);

	memset(&st, 0, sizeof(st));
	st.spool_slot = -1;
	st.consume_s = repeat > 1 ? 0 : -1;
	libbpf_set_print(libbpf_print);
	if (access(BTF_PATH, R_OK) != 0) {
		ism_err("record: this kernel has no BTF (%s: %s); it needs CONFIG_DEBUG_INFO_BTF=y",
			BTF_PATH, strerror(errno));
		free(cmdline);
		return EXIT_FAIL;
	}
	st.vmlinux = btf__load_vmlinux_btf();
	if (!st.vmlinux) {
		ism_err("record: cannot read the kernel's BTF (%s): %s", BTF_PATH, strerror(errno));
		free(cmdline);
		return EXIT_FAIL;
	}
	st.skel = record_bpf__open();
	if (!st.skel) {
		ism_err("record: cannot open the BPF object: %s", strerror(errno));
		goto out;
	}
	/* ring buffer: a power of two of pages */
	ringsz = 1;
	while (ringsz < (uint64_t)buffer_mb << 20)
		ringsz <<= 1;
	bpf_map__set_max_entries(st.skel->maps.rb, (__u32)ringsz);
	st.skel->rodata->wakeup_bytes = ringsz / 4;
	st.skel->rodata->page_shift = (__u32)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
	if (spec) {
		st.sg_phys = "exact (injected)";
	} else {
		uint64_t sym = kallsyms_addr("vmemmap_base");

		if (!sym)
			sym = kallsyms_addr("vmemmap");
		if (sym) {
			st.skel->rodata->vmemmap_sym = sym;
			st.sg_phys = "exact (vmemmap base from /proc/kallsyms)";
		} else {
#if defined(__powerpc64__)
			st.skel->rodata->vmemmap_base = 0xc00c000000000000ull;
			st.sg_phys = "exact (powerpc64 fixed vmemmap base)";
#else
			st.sg_phys = "pseudo (vmemmap base unknown: page frame x page size + "
				     "offset relative to an unknown base; consistent, not physical)";
#endif
		}
	}
	choose_progs(&st, spec != NULL);
	err = record_bpf__load(st.skel);
	if (err) {
		ret = load_error(err);
		goto out;
	}

	{
		int fd;

		st.spool_path = spool_name(out, &fd);
		if (!st.spool_path) {
			ism_err("record: cannot create a spool file next to %s: %s", out,
				strerror(errno));
			goto out;
		}
		/* removed on a signal after the capture; kept if we crash (read it with
		 * --allow-truncated: it is a native trace without its end record) */
		st.spool_slot = output_temp_add(st.spool_path);
		writer_open_fd(fd, st.spool_path, NULL, &st.spool);
	}
	st.sg = xcalloc(2 * ISM_REC_SG_MAX, sizeof(*st.sg));
	rb = ring_buffer__new(bpf_map__fd(st.skel->maps.rb), rec_event, &st, NULL);
	if (!rb) {
		ism_err("record: ring buffer: %s", strerror(errno));
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	t_start = now_s();
	if (spec) {
		ret = inject(&st, rb, spec, repeat);
		snprintf(st.attached, sizeof(st.attached), "injected (BPF_PROG_TEST_RUN)");
		if (ret)
			goto out;
	} else {
		if (attach_all(&st, &links, &nlinks) < 0) {
			ism_err("record: nothing attached: this kernel has none of the dma:*, "
				"swiotlb, iommu or powerpc hcall tracepoints (Linux 6.12 or later "
				"has dma:*)");
			goto out;
		}
		if (cmdline) {
			child = fork();
			if (child < 0) {
				ism_err("record: fork: %s", strerror(errno));
				goto out;
			}
			if (child == 0) {
				sigaction(SIGINT, &old_int, NULL);
				sigaction(SIGTERM, &old_term, NULL);
				sigaction(SIGHUP, &old_hup, NULL);
				execvp(argv[optind], argv + optind);
				fprintf(stderr, "iommusim: record: cannot run %s: %s\n",
					argv[optind], strerror(errno));
				_exit(127);
			}
		}
		fprintf(stderr, "iommusim: record: attached %u tracepoints (%s)%s\n", st.nattached,
			st.attached, child > 0 || duration > 0 ? "" : "; Ctrl-C to stop");
		while (!stop_sig) {
			int n = ring_buffer__poll(rb, 100);

			if (n < 0 && n != -EINTR) {
				ism_err("record: ring buffer: %s", strerror(-n));
				break;
			}
			if (st.werr)
				break;
			if (child > 0 && waitpid(child, &child_status, WNOHANG) == child) {
				child = -1;
				break;
			}
			if (duration > 0 && now_s() - t_start >= duration)
				break;
		}
		/* stop: detach, then take what is left in the ring buffer */
		for (unsigned i = 0; i < nlinks; i++)
			bpf_link__destroy(links[i]);
		nlinks = 0;
		missed = recursion_misses(st.skel);
		if (child > 0) {
			if (!stop_sig)
				kill(child, SIGTERM);
			while (waitpid(child, &child_status, 0) < 0 && errno == EINTR)
				;
			child = -1;
		}
	}
	/*
	 * Captured. From here a signal no longer means "stop": it aborts, and the handlers of
	 * output.h remove the spool and the unfinished output (nothing appears under -o).
	 */
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	ring_buffer__consume(rb);
	{
		int ncpu = libbpf_num_possible_cpus();
		__u32 zero = 0;

		if (ncpu > 0) {
			__u64 *v = xcalloc((size_t)ncpu, sizeof(*v));

			if (bpf_map_lookup_elem(bpf_map__fd(st.skel->maps.drops), &zero, v) == 0)
				for (int i = 0; i < ncpu; i++)
					dropped += v[i];
			free(v);
		}
		snprintf(s_cpus, sizeof(s_cpus), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	}
	if (st.werr) {
		ism_err("record: spool write failed: %s", ism_strerror(st.werr));
		goto out;
	}
	{
		char *cause = NULL;

		if (writer_close(st.spool, &cause) < 0) {
			st.spool = NULL;
			ism_err("record: %s", cause);
			free(cause);
			goto out;
		}
		st.spool = NULL;
	}
	if (st.bad)
		ism_warn("record: %" PRIu64 " malformed ring-buffer records skipped", st.bad);

	uname(&un);
	snprintf(s_dropped, sizeof(s_dropped), "%" PRIu64, dropped);
	snprintf(s_missed, sizeof(s_missed), "%" PRIu64, missed);
	snprintf(s_events, sizeof(s_events), "%" PRIu64, st.events);
	snprintf(s_buffer, sizeof(s_buffer), "%" PRIu64, ringsz >> 20);
	snprintf(s_dur, sizeof(s_dur), "%.3f", now_s() - t_start);
	if (child_status >= 0)
		snprintf(s_status, sizeof(s_status), "%d",
			 WIFEXITED(child_status) ? WEXITSTATUS(child_status) :
			 128 + WTERMSIG(child_status));
	else
		snprintf(s_status, sizeof(s_status), "-");
	{
		const char *prov[] = {
			"kernel", un.release,
			"machine", un.machine,
			"clock", "monotonic",
			"recorder", "iommusim record (libbpf CO-RE, tp_btf, ring buffer)",
			"attached", st.attached,
			"events", s_events,
			"dropped", s_dropped,
			"missed", s_missed,
			"command", cmdline ? cmdline : "-",
			"command_status", s_status,
			"duration_s", s_dur,
			"buffer_mb", s_buffer,
			"cpus", s_cpus,
			"sg_phys", st.sg_phys,
			NULL, NULL,
		};

		ret = write_output(&st, out, prov);
	}
	if (ret == EXIT_OK)
		fprintf(stderr, "iommusim: record: %" PRIu64 " events, %" PRIu64 " dropped (ring "
			"buffer full), %" PRIu64 " missed (nested in the same tracepoint), %s "
			"written%s\n", st.events, dropped, missed, out,
			dropped ? "; raise --buffer to lose fewer" : "");
	if (child_status >= 0 && cmdline && s_status[0] != '0')
		ism_warn("record: the command exited with status %s", s_status);

out:
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	for (unsigned i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	free(links);
	ring_buffer__free(rb);
	if (st.spool)
		writer_abort(st.spool);
	if (st.spool_path) {
		unlink(st.spool_path);
		output_temp_del(st.spool_slot);
		free(st.spool_path);
	}
	record_bpf__destroy(st.skel);
	btf__free(st.vmlinux);
	free(st.sg);
	free(cmdline);
	free(libbpf_log);
	libbpf_log = NULL;
	libbpf_log_len = 0;
	return ret;
}

#endif /* HAVE_RECORD */
