/*
 * recorder.c: the recorder core of `iommusim record` (recorder.h): pick the tracepoints the
 * running kernel has from its BTF (btf_trace_<name> typedefs: dma_map_phys or else
 * dma_map_page, ...), load the libbpf CO-RE program (record.bpf.c), attach its tp_btf
 * programs, drain the ring buffer into a spool file (native format), detach, drain again,
 * read the drop counters, then write the output: provenance first (the drop and event counts
 * are known only now), then the spooled events in timestamp order. recorder_inject() runs the
 * programs' raw_tp twins with BPF_PROG_TEST_RUN on events described in a file instead of
 * attaching (tests, benchmarks).
 *
 * Built only when configure found libbpf, clang and bpftool (HAVE_RECORD).
 */
#include "config.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#include "error.h"
#include "event.h"
#include "native.h"
#include "output.h"
#include "reader.h"
#include "record.h"
#include "recorder.h"
#include "src/record/record.skel.h"
#include "util.h"

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

/* ---- state ------------------------------------------------------------------------------ */

struct recorder {
	struct record_bpf *skel;
	struct btf *vmlinux;
	struct ring_buffer *rb;
	struct bpf_link **links;
	unsigned nlinks;
	struct ism_writer *spool;
	char *spool_path;
	int spool_slot;           /* output_temp_add() */
	struct ism_sge *sg;
	uint64_t events;
	uint64_t bad;
	uint64_t dropped, missed, ringsz;
	int werr;
	char attached[1024];
	unsigned nattached;
	const char *sg_phys;
	/* consumer-side time, for --repeat */
	double consume_s;
};

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
	struct recorder *st = ctx;
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

/* The kernel's struct layouts the injected objects need, from its BTF; 0, or -1 if unexpected. */
static int inj_layout_read(const struct btf *btf, struct inj_layout *L)
{
	L->dev_size = btf_struct_size(btf, "device");
	L->init_name = btf_member_off(btf, "device", "init_name");
	L->dma_mask = btf_member_off(btf, "device", "dma_mask");
	L->io_tlb = btf_member_off(btf, "device", "dma_io_tlb_mem");
	L->force_bounce = btf_member_off(btf, "io_tlb_mem", "force_bounce");
	L->tlb_size = btf_struct_size(btf, "io_tlb_mem");
	L->sg_size = btf_struct_size(btf, "scatterlist");
	L->sg_page_link = btf_member_off(btf, "scatterlist", "page_link");
	L->sg_offset = btf_member_off(btf, "scatterlist", "offset");
	L->sg_length = btf_member_off(btf, "scatterlist", "length");
	L->sg_dma_address = btf_member_off(btf, "scatterlist", "dma_address");
	L->sg_dma_length = btf_member_off(btf, "scatterlist", "dma_length");
	L->sgt_sgl = btf_member_off(btf, "sg_table", "sgl");
	L->sgt_nents = btf_member_off(btf, "sg_table", "nents");
	L->sgt_orig_nents = btf_member_off(btf, "sg_table", "orig_nents");
	L->page_size = btf_struct_size(btf, "page");
	if (L->dev_size <= 0 || L->dev_size > A_NAME || L->init_name < 0 || L->sg_size <= 0 ||
	    L->sg_page_link < 0 || L->sg_offset < 0 || L->sg_length < 0 ||
	    L->sg_dma_address < 0 || L->sgt_sgl < 0 || L->sgt_orig_nents < 0 ||
	    L->sgt_nents < 0 || L->page_size <= 0 ||
	    (L->tlb_size > 0 && L->tlb_size > A_HARGS - A_TLB))
		return -1;
	return 0;
}

int recorder_inject(struct recorder *st, const char *spec, unsigned long repeat,
		    struct recorder_bench *bench, char **cause)
{
	struct record_bpf *skel = st->skel;
	struct inj_layout L;
	unsigned char *a;
	uint64_t args[8], kaddr, n = 0, zero_args[8] = { 0 };
	double t_run = 0;
	unsigned lineno = 0;
	char line[65536];
	__u32 zero = 0;
	FILE *f;
	int ret = 0;

	memset(bench, 0, sizeof(*bench));
	snprintf(st->attached, sizeof(st->attached), "injected (BPF_PROG_TEST_RUN)");
	if (inj_layout_read(st->vmlinux, &L) < 0) {
		*cause = xasprintf("--inject: unexpected struct layouts in this kernel's BTF");
		return -ISM_EIO;
	}
	if (test_run(skel->progs.inj_setup, zero_args) < 0) {
		*cause = xasprintf("--inject: BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -ISM_EIO;
	}
	kaddr = skel->bss->arena_kaddr;
	f = strcmp(spec, "-") == 0 ? stdin : fopen(spec, "r");
	if (!f) {
		*cause = xasprintf("%s: %s", spec, strerror(errno));
		return -ISM_EUSAGE;
	}
	a = xcalloc(1, ISM_REC_ARENA);
	while (fgets(line, sizeof(line), f)) {
		struct inj_ev e;
		char *why = NULL;
		int r = inj_parse(line, &e, &why), tp;
		double t0;

		lineno++;
		if (r == 0)
			continue;
		if (r < 0 || (tp = inj_build(&e, a, kaddr, &L, args)) < 0) {
			*cause = xasprintf("%s:%u: %s", spec, lineno,
					   why ? why : "unknown event kind");
			free(why);
			inj_free(&e);
			ret = -ISM_EUSAGE;
			break;
		}
		inj_free(&e);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.arena), &zero, a, BPF_ANY)) {
			*cause = xasprintf("--inject: arena update: %s", strerror(errno));
			ret = -ISM_EIO;
			break;
		}
		t0 = now_s();
		for (unsigned long k = 0; k < repeat; k++) {
			if (test_run(inj_prog(skel, tp), args) < 0) {
				*cause = xasprintf("%s:%u: BPF_PROG_TEST_RUN: %s", spec, lineno,
						   strerror(errno));
				ret = -ISM_EIO;
				break;
			}
			if ((k & 1023) == 1023)
				ring_buffer__consume(st->rb);
		}
		t_run += now_s() - t0;
		n += repeat;
		ring_buffer__consume(st->rb);
		if (ret)
			break;
	}
	if (f != stdin)
		fclose(f);
	free(a);
	if (!ret && repeat > 1 && n) {
		double t0 = now_s();

		for (uint64_t k = 0; k < n; k++)
			test_run(skel->progs.inj_null, zero_args);
		bench->null_s = now_s() - t0;
		bench->events = n;
		bench->run_s = t_run;
		bench->consume_s = st->consume_s;
	}
	return ret;
}

/* ---- attach ----------------------------------------------------------------------------- */

static void add_attached(struct recorder *st, const char *name)
{
	size_t l = strlen(st->attached);

	snprintf(st->attached + l, sizeof(st->attached) - l, "%s%s", l ? "," : "", name);
	st->nattached++;
}

/*
 * Choose the programs: the tp_btf ones for the tracepoints this kernel has (live), or the
 * raw_tp twins (inject). Sets the prototype switches of the BPF program.
 */
static int choose_progs(struct recorder *st, int injecting)
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

int recorder_attach(struct recorder *st, char **cause)
{
	struct record_bpf *skel = st->skel;

	st->links = xcalloc(ISM_TP__COUNT, sizeof(*st->links));
	st->nlinks = 0;
	for (int tp = 0; tp < ISM_TP__COUNT; tp++) {
		struct bpf_program *p = tpb_prog(skel, tp);
		struct bpf_link *l;
		int pn;

		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l) {
			ism_lib_warn("record: cannot attach to %s: %s", tp_names[tp], strerror(errno));
			continue;
		}
		st->links[st->nlinks++] = l;
		pn = tp_params(st->vmlinux, tp_names[tp]);
		if (tp == ISM_TP_MAP_PHYS && pn < 0)
			add_attached(st, "dma_map_page");
		else if (tp == ISM_TP_UNMAP_PHYS && pn < 0)
			add_attached(st, "dma_unmap_page");
		else
			add_attached(st, tp_names[tp]);
	}
	if (st->nlinks)
		return 0;
	*cause = xasprintf("nothing attached: this kernel has none of the dma:*, swiotlb, iommu "
			   "or powerpc hcall tracepoints (Linux 6.12 or later has dma:*)");
	return -ISM_EIO;
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

int recorder_write(struct recorder *st, const char *out, const char *const *prov, char **cause)
{
	struct ism_writer *w;
	struct reader *r;
	struct ism_event ev;
	struct heap q = { 0 };
	uint64_t seq = 0, newest = 0;
	char *why = NULL;
	int ret, werr = 0;

	if (writer_open(out, NULL, &w, cause) < 0)
		return -ISM_EIO;
	for (unsigned i = 0; prov[i]; i += 2)
		writer_add_prov(w, prov[i], prov[i + 1]);
	ret = reader_open(st->spool_path, "native", &r, &why);
	if (ret < 0) {
		*cause = xasprintf("spool %s: %s", st->spool_path, why ? why : ism_strerror(ret));
		free(why);
		writer_close(w, NULL);
		return -ISM_EIO;
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
		*cause = xasprintf("spool: %s", reader_error(r));
	reader_close(r);
	if (writer_close(w, ret < 0 ? NULL : cause) < 0 || ret < 0)
		return -ISM_EIO;
	return 0;
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

/* ---- the recorder ----------------------------------------------------------------------- */

/* The BPF program's settings: ring buffer, page size, how sg inputs become physical. */
static void set_rodata(struct recorder *st, const struct recorder_opts *o)
{
	/* ring buffer: a power of two of pages */
	st->ringsz = 1;
	while (st->ringsz < o->buffer_bytes)
		st->ringsz <<= 1;
	bpf_map__set_max_entries(st->skel->maps.rb, (__u32)st->ringsz);
	st->skel->rodata->wakeup_bytes = st->ringsz / 4;
	st->skel->rodata->page_shift = (__u32)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
	if (o->inject) {
		st->sg_phys = "exact (injected)";
	} else {
		uint64_t sym = kallsyms_addr("vmemmap_base");

		if (!sym)
			sym = kallsyms_addr("vmemmap");
		if (sym) {
			st->skel->rodata->vmemmap_sym = sym;
			st->sg_phys = "exact (vmemmap base from /proc/kallsyms)";
		} else {
#if defined(__powerpc64__)
			st->skel->rodata->vmemmap_base = 0xc00c000000000000ull;
			st->sg_phys = "exact (powerpc64 fixed vmemmap base)";
#else
			st->sg_phys = "pseudo (vmemmap base unknown: page frame x page size + "
				      "offset relative to an unknown base; consistent, not physical)";
#endif
		}
	}
}

int recorder_open(const struct recorder_opts *o, struct recorder **out, int *load_err,
		  char **cause)
{
	struct recorder *st = xcalloc(1, sizeof(*st));
	int err, fd;
	sigset_t held;

	*out = NULL;
	*load_err = 0;
	st->spool_slot = -1;
	st->consume_s = o->time_consumer ? 0 : -1;
	if (access(BTF_PATH, R_OK) != 0) {
		*cause = xasprintf("this kernel has no BTF (%s: %s); it needs "
				   "CONFIG_DEBUG_INFO_BTF=y", BTF_PATH, strerror(errno));
		goto fail;
	}
	st->vmlinux = btf__load_vmlinux_btf();
	if (!st->vmlinux) {
		*cause = xasprintf("cannot read the kernel's BTF (%s): %s", BTF_PATH,
				   strerror(errno));
		goto fail;
	}
	st->skel = record_bpf__open();
	if (!st->skel) {
		*cause = xasprintf("cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	set_rodata(st, o);
	choose_progs(st, o->inject);
	err = record_bpf__load(st->skel);
	if (err) {
		*load_err = -err;
		*cause = xasprintf("cannot load the BPF programs: %s", strerror(-err));
		goto fail;
	}
	/* created and registered with the cleanup signals held, so that a SIGINT or SIGTERM in
	 * between cannot leave it behind; removed on a signal after the capture; kept if we crash
	 * (read it with --allow-truncated: a native trace without its end record) */
	output_hold(&held);
	st->spool_path = spool_name(o->output, &fd);
	if (!st->spool_path) {
		int e = errno;

		output_release(&held);
		*cause = xasprintf("cannot create a spool file next to %s: %s", o->output,
				   strerror(e));
		goto fail;
	}
	st->spool_slot = output_temp_add(st->spool_path);
	output_release(&held);
	writer_open_fd(fd, st->spool_path, NULL, &st->spool);
	st->sg = xcalloc(2 * ISM_REC_SG_MAX, sizeof(*st->sg));
	st->rb = ring_buffer__new(bpf_map__fd(st->skel->maps.rb), rec_event, st, NULL);
	if (!st->rb) {
		*cause = xasprintf("ring buffer: %s", strerror(errno));
		goto fail;
	}
	*out = st;
	return 0;
fail:
	recorder_close(st);
	return -ISM_EIO;
}

int recorder_poll(struct recorder *st, int timeout_ms, char **cause)
{
	int n = ring_buffer__poll(st->rb, timeout_ms);

	if (n < 0 && n != -EINTR) {
		*cause = xasprintf("ring buffer: %s", strerror(-n));
		return -1;
	}
	return st->werr ? 1 : 0;
}

void recorder_detach(struct recorder *st)
{
	for (unsigned i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	st->nlinks = 0;
	st->missed = recursion_misses(st->skel);
}

int recorder_finish(struct recorder *st, char **cause)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;

	ring_buffer__consume(st->rb);
	if (ncpu > 0) {
		__u64 *v = xcalloc((size_t)ncpu, sizeof(*v));

		if (bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.drops), &zero, v) == 0)
			for (int i = 0; i < ncpu; i++)
				st->dropped += v[i];
		free(v);
	}
	if (st->werr) {
		*cause = xasprintf("spool write failed: %s", ism_strerror(st->werr));
		return -ISM_EIO;
	}
	if (writer_close(st->spool, cause) < 0) {
		st->spool = NULL;
		return -ISM_EIO;
	}
	st->spool = NULL;
	if (st->bad)
		ism_lib_warn("record: %" PRIu64 " malformed ring-buffer records skipped", st->bad);
	return 0;
}

void recorder_stats(const struct recorder *st, struct recorder_stats *s)
{
	s->events = st->events;
	s->dropped = st->dropped;
	s->missed = st->missed;
	s->buffer_bytes = st->ringsz;
	s->nattached = st->nattached;
	s->attached = st->attached;
	s->sg_phys = st->sg_phys;
}

void recorder_close(struct recorder *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	free(st->links);
	ring_buffer__free(st->rb);
	if (st->spool)
		writer_abort(st->spool);
	if (st->spool_path) {
		unlink(st->spool_path);
		output_temp_del(st->spool_slot);
		free(st->spool_path);
	}
	record_bpf__destroy(st->skel);
	btf__free(st->vmlinux);
	free(st->sg);
	free(st);
}
