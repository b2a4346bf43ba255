// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record.bpf.c: the BPF side of `iommusim record` (libbpf CO-RE).
 *
 * One tp_btf program per DMA-API, swiotlb, iommu and powerpc hcall tracepoint (the loader
 * attaches those the running kernel has, choosing dma_map_phys or dma_map_page from its
 * BTF), and a raw_tp twin of each that is never attached: `iommusim record --inject` runs
 * the twins with BPF_PROG_TEST_RUN to feed synthetic events through the same code.
 * Both read the tracepoint's arguments (TP_PROTO order) and write one struct ism_rec
 * (record.h) per event into a ring buffer; a failed reservation is counted in drops.
 *
 * Beyond what the dma_map_sg tracepoint records, scatter-gather events carry every input
 * segment's length (sg->length) read from the scatterlist, up to ISM_REC_SG_MAX entries.
 * Input physical addresses are computed from the struct page pointer: exact when user space
 * found the vmemmap base (kallsyms, or a fixed layout), otherwise a stand-in that keeps the
 * offset in the page and is the same for the same page (record.c says which in provenance).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "record.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load. */
const volatile __u64 vmemmap_base = 0;   /* struct page array base, when known */
const volatile __u64 vmemmap_sym = 0;    /* address of the kernel variable holding it */
const volatile __u32 page_shift = 12;
const volatile __u32 alloc_has_dir = 1;  /* dma_alloc class has dir (6.13+, 6.12.48+) */
const volatile __u32 free_has_dir = 1;
const volatile __u64 wakeup_bytes = 4 << 20; /* wake user space once this much is waiting */

/* Written by inj_setup, read by user space (injection only). */
__u64 arena_kaddr = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* user space resizes it before load */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct scratch {
	struct ism_rec r;
	struct ism_rec_sge sg[ISM_REC_SG_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Kernel memory that injected events' pointers (device, scatterlist, ...) point into. */
struct arena {
	char b[ISM_REC_ARENA];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct arena);
} arena SEC(".maps");

enum { SG_CHAIN = 1, SG_END = 2 };

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *d = bpf_map_lookup_elem(&drops, &zero);

	if (d)
		(*d)++;
}

/*
 * Waking the reader for every record would cost more than the record (an irq_work each);
 * it polls every 100 ms anyway, so wake it only when the buffer is filling up.
 */
static __always_inline __u64 wake_flags(void)
{
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
									   BPF_RB_NO_WAKEUP;
}

static __always_inline __u8 dir_of(__u64 d)
{
	return d <= 3 ? (__u8)d : 4;
}

/* dev_name(): init_name until the kobject is named, then the kobject's name. */
static __always_inline void dev_name(char *dst, __u64 devp)
{
	struct device *dev = (struct device *)devp;
	const char *n;

	dst[0] = '\0';
	if (!dev)
		return;
	n = BPF_CORE_READ(dev, init_name);
	if (!n)
		n = BPF_CORE_READ(dev, kobj.name);
	if (!n || bpf_probe_read_kernel_str(dst, ISM_REC_DEV_LEN, n) < 0)
		dst[0] = '\0';
}

static __always_inline void rec_init(struct ism_rec *r, __u8 kind, __u64 devp)
{
	r->ts = bpf_ktime_get_ns();
	r->addr = 0;
	r->paddr = 0;
	r->size = 0;
	r->arg = 0;
	r->attrs = 0;
	r->nents = 0;
	r->ents = 0;
	r->sg_in = 0;
	r->sg_out = 0;
	r->cpu = (__u16)bpf_get_smp_processor_id();
	r->flags = 0;
	r->kind = kind;
	r->dir = 4;
	r->pad[0] = 0;
	r->pad[1] = 0;
	dev_name(r->dev, devp);
}

/* sg_phys() of a struct page pointer plus offset (see the file comment). */
static __always_inline __u64 page_phys(__u64 page, __u64 base, __u32 off)
{
	__u64 psz = bpf_core_type_size(struct page);

	if (!psz)
		psz = 64;
	return (((page - base) / psz) << page_shift) + off;
}

static __always_inline __u64 vmemmap(void)
{
	__u64 b = vmemmap_base;

	if (vmemmap_sym)
		bpf_probe_read_kernel(&b, sizeof(b), (const void *)vmemmap_sym);
	return b;
}

/* State of one scatterlist walk (bpf_loop() callback context). */
struct sg_walk_ctx {
	struct scratch *s;
	__u64 sgp;        /* the entry to read next */
	__u64 base;       /* vmemmap base */
	__u64 total;      /* bytes of the output segments */
	__u32 nin, nout;  /* entries wanted on each side */
	__u32 walked;
	__u32 sz, o_pl, o_off, o_len, o_dma, o_dlen;
};

/* One entry of for_each_sg(), following a chain entry; returns 1 to stop. */
static long sg_step(__u32 i, void *data)
{
	struct sg_walk_ctx *w = data;
	struct ism_rec_sge *e;
	__u64 buf[8];
	__u64 pl;
	__u32 sz = w->sz, idx;

	if (i >= ISM_REC_SG_MAX || (i >= w->nin && i >= w->nout) || !w->sgp)
		return 1;
	if (sz > sizeof(buf))
		return 1;
	if (bpf_probe_read_kernel(buf, sz, (const void *)w->sgp))
		return 1;
	pl = *(__u64 *)((char *)buf + (w->o_pl & 56));
	if (pl & SG_CHAIN) {
		w->sgp = pl & ~3ULL;
		if (!w->sgp || bpf_probe_read_kernel(buf, sz, (const void *)w->sgp))
			return 1;
		pl = *(__u64 *)((char *)buf + (w->o_pl & 56));
	}
	idx = i;
	asm volatile("" : "+r"(idx)); /* keep the mask: the verifier wants the bound here */
	e = &w->s->sg[idx & (ISM_REC_SG_MAX - 1)];
	e->phys = 0;
	e->inlen = 0;
	e->dma = 0;
	e->len = 0;
	if (i < w->nin) {
		e->phys = page_phys(pl & ~3ULL, w->base, *(__u32 *)((char *)buf + (w->o_off & 60)));
		e->inlen = *(__u32 *)((char *)buf + (w->o_len & 60));
	}
	if (i < w->nout) {
		e->dma = *(__u64 *)((char *)buf + (w->o_dma & 56));
		e->len = *(__u32 *)((char *)buf + (w->o_dlen & 60));
		w->total += e->len;
	}
	w->walked = i + 1;
	if (pl & SG_END)
		return 1;
	w->sgp += sz;
	return 0;
}

/*
 * Walk a scatterlist as for_each_sg() does (following chain entries) and send the record:
 * entry i holds input segment i for i < @nin and output segment i for i < @nout, up to
 * ISM_REC_SG_MAX entries.
 */
static __always_inline int sg_walk_emit(struct scratch *s, __u64 sgp, __u32 nin, __u32 nout)
{
	struct sg_walk_ctx w = {
		.s = s,
		.sgp = sgp,
		.base = vmemmap(),
		.nin = nin,
		.nout = nout,
		.sz = bpf_core_type_size(struct scatterlist),
		.o_pl = bpf_core_field_offset(struct scatterlist, page_link),
		.o_off = bpf_core_field_offset(struct scatterlist, offset),
		.o_len = bpf_core_field_offset(struct scatterlist, length),
		.o_dma = bpf_core_field_offset(struct scatterlist, dma_address),
	};
	__u32 walked, in, out;

	w.o_dlen = w.o_len;
	if (bpf_core_field_exists(struct scatterlist, dma_length))
		w.o_dlen = bpf_core_field_offset(struct scatterlist, dma_length);
	if (w.sz <= 64 && w.o_pl <= 56 && w.o_off <= 60 && w.o_len <= 60 && w.o_dma <= 56 &&
	    w.o_dlen <= 60)
		bpf_loop(ISM_REC_SG_MAX, sg_step, &w, 0);
	walked = w.walked;
	if (walked > ISM_REC_SG_MAX)
		walked = ISM_REC_SG_MAX;
	in = walked < nin ? walked : nin;
	out = walked < nout ? walked : nout;
	s->r.sg_in = (__u16)in;
	s->r.sg_out = (__u16)out;
	if (in < nin || out < nout)
		s->r.flags |= ISM_REC_F_TRUNCATED;
	if (s->r.kind == ISM_REC_MAP_SG || s->r.kind == ISM_REC_SYNC_SG_CPU ||
	    s->r.kind == ISM_REC_SYNC_SG_DEV)
		s->r.size = w.total;
	if (bpf_ringbuf_output(&rb, s, sizeof(struct ism_rec) +
			       (__u64)walked * sizeof(struct ism_rec_sge), wake_flags()))
		count_drop();
	return 0;
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Tracepoints with a scatterlist: map_sg, unmap_sg, map_sg_err, sync_sg, alloc/free_sgt. */
static __always_inline int emit_sg(const __u64 *a, int tp)
{
	struct scratch *s = scratch_get();
	__u32 nin = 0, nout = 0;
	__u64 sgl = a[1];

	if (!s)
		return 0;
	switch (tp) {
	case ISM_TP_MAP_SG:
		/* (dev, sgl, nents, ents, dir, attrs) */
		rec_init(&s->r, ISM_REC_MAP_SG, a[0]);
		nin = (__u32)a[2];
		nout = (int)a[3] > 0 ? (__u32)a[3] : 0;
		s->r.nents = nin;
		s->r.ents = nout;
		s->r.dir = dir_of(a[4]);
		s->r.attrs = (__u32)a[5];
		break;
	case ISM_TP_UNMAP_SG:
		/* (dev, sgl, nents, dir, attrs) */
		rec_init(&s->r, ISM_REC_UNMAP_SG, a[0]);
		nin = (__u32)a[2];
		s->r.nents = nin;
		s->r.dir = dir_of(a[3]);
		s->r.attrs = (__u32)a[4];
		break;
	case ISM_TP_MAP_SG_ERR:
		/* (dev, sgl, nents, err, dir, attrs) */
		rec_init(&s->r, ISM_REC_MAP_SG_ERR, a[0]);
		nin = (__u32)a[2];
		s->r.nents = nin;
		s->r.arg = (__u64)(__s64)(int)a[3];
		s->r.dir = dir_of(a[4]);
		s->r.attrs = (__u32)a[5];
		break;
	case ISM_TP_SYNC_SG_CPU:
	case ISM_TP_SYNC_SG_DEV:
		/* (dev, sgl, nents, dir) */
		rec_init(&s->r, ISM_REC_SYNC_SG_CPU + (tp == ISM_TP_SYNC_SG_DEV), a[0]);
		nout = (__u32)a[2];
		s->r.nents = nout;
		s->r.ents = nout;
		s->r.dir = dir_of(a[3]);
		break;
	case ISM_TP_ALLOC_SGT:
	case ISM_TP_FREE_SGT: {
		/* alloc: (dev, sgt, size, dir, gfp, attrs); free: (dev, sgt, size, dir) */
		struct sg_table *sgt = (struct sg_table *)a[1];

		rec_init(&s->r, tp == ISM_TP_ALLOC_SGT ? ISM_REC_ALLOC : ISM_REC_FREE, a[0]);
		s->r.flags = ISM_REC_F_SGT;
		sgl = 0;
		if (sgt) {
			struct scatterlist *first;

			sgl = (__u64)BPF_CORE_READ(sgt, sgl);
			nin = BPF_CORE_READ(sgt, orig_nents);
			first = (struct scatterlist *)sgl;
			if (first)
				s->r.addr = BPF_CORE_READ(first, dma_address);
		}
		s->r.nents = nin;
		s->r.size = a[2];
		s->r.dir = dir_of(a[3]);
		if (tp == ISM_TP_ALLOC_SGT) {
			s->r.arg = a[4];
			s->r.attrs = (__u32)a[5];
		}
		break;
	}
	default:
		return 0;
	}
	return sg_walk_emit(s, sgl, nin, nout);
}

/* Every other tracepoint: a fixed-size record straight into the ring buffer. */
static __always_inline int emit(const __u64 *a, int tp)
{
	struct ism_rec *r;

	if (tp == ISM_TP_MAP_SG || tp == ISM_TP_UNMAP_SG || tp == ISM_TP_MAP_SG_ERR ||
	    tp == ISM_TP_SYNC_SG_CPU || tp == ISM_TP_SYNC_SG_DEV || tp == ISM_TP_ALLOC_SGT ||
	    tp == ISM_TP_FREE_SGT)
		return emit_sg(a, tp);
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	switch (tp) {
	case ISM_TP_MAP_PHYS:
	case ISM_TP_MAP_RESOURCE:
		/* (dev, phys, dma, size, dir, attrs) */
		rec_init(r, ISM_REC_MAP, a[0]);
		r->paddr = a[1];
		r->addr = a[2];
		r->size = a[3];
		r->dir = dir_of(a[4]);
		r->attrs = (__u32)a[5];
		if (tp == ISM_TP_MAP_RESOURCE || (r->attrs & (1u << 10)))
			r->flags = ISM_REC_F_MMIO;
		break;
	case ISM_TP_UNMAP_PHYS:
	case ISM_TP_UNMAP_RESOURCE:
		/* (dev, dma, size, dir, attrs) */
		rec_init(r, ISM_REC_UNMAP, a[0]);
		r->addr = a[1];
		r->size = a[2];
		r->dir = dir_of(a[3]);
		r->attrs = (__u32)a[4];
		if (tp == ISM_TP_UNMAP_RESOURCE || (r->attrs & (1u << 10)))
			r->flags = ISM_REC_F_MMIO;
		break;
	case ISM_TP_ALLOC:
	case ISM_TP_ALLOC_PAGES:
	case ISM_TP_ALLOC_SGT_ERR:
		/* (dev, virt, dma, size, [dir,] gfp, attrs) */
		rec_init(r, tp == ISM_TP_ALLOC_SGT_ERR ? ISM_REC_ALLOC_ERR : ISM_REC_ALLOC, a[0]);
		r->paddr = a[1];
		r->addr = a[2];
		r->size = a[3];
		if (alloc_has_dir) {
			r->dir = dir_of(a[4]);
			r->arg = (__u32)a[5];
			r->attrs = (__u32)a[6];
		} else {
			r->arg = (__u32)a[4];
			r->attrs = (__u32)a[5];
		}
		if (tp == ISM_TP_ALLOC_PAGES)
			r->flags = ISM_REC_F_PAGES;
		break;
	case ISM_TP_FREE:
	case ISM_TP_FREE_PAGES:
		/* (dev, virt, dma, size, [dir,] attrs) */
		rec_init(r, ISM_REC_FREE, a[0]);
		r->paddr = a[1];
		r->addr = a[2];
		r->size = a[3];
		if (free_has_dir) {
			r->dir = dir_of(a[4]);
			r->attrs = (__u32)a[5];
		} else {
			r->attrs = (__u32)a[4];
		}
		if (tp == ISM_TP_FREE_PAGES)
			r->flags = ISM_REC_F_PAGES;
		break;
	case ISM_TP_SYNC_CPU:
	case ISM_TP_SYNC_DEV:
		/* (dev, dma, size, dir) */
		rec_init(r, tp == ISM_TP_SYNC_CPU ? ISM_REC_SYNC_CPU : ISM_REC_SYNC_DEV, a[0]);
		r->addr = a[1];
		r->size = a[2];
		r->dir = dir_of(a[3]);
		break;
	case ISM_TP_BOUNCE: {
		/* (dev, dev_addr, size) */
		struct device *dev = (struct device *)a[0];
		__u64 *mask;

		rec_init(r, ISM_REC_BOUNCE, a[0]);
		r->addr = a[1];
		r->size = a[2];
		if (dev) {
			mask = BPF_CORE_READ(dev, dma_mask);
			if (mask)
				bpf_probe_read_kernel(&r->arg, sizeof(r->arg), mask);
			if (bpf_core_field_exists(dev->dma_io_tlb_mem) &&
			    bpf_core_field_exists(struct io_tlb_mem, force_bounce)) {
				struct io_tlb_mem *m = BPF_CORE_READ(dev, dma_io_tlb_mem);

				if (m && BPF_CORE_READ(m, force_bounce))
					r->flags = ISM_REC_F_FORCE;
			}
		}
		break;
	}
	case ISM_TP_HCALL_ENTRY: {
		/* (opcode, unsigned long *args) */
		__u64 h[4] = {};

		rec_init(r, ISM_REC_HCALL_ENTRY, 0);
		r->addr = a[0];
		if (a[1] && !bpf_probe_read_kernel(h, sizeof(h), (const void *)a[1])) {
			r->paddr = h[0];
			r->size = h[1];
			r->arg = h[2];
			r->nents = (__u32)h[3];
			r->flags = ISM_REC_F_HCALL_ARGS;
		}
		break;
	}
	case ISM_TP_HCALL_EXIT:
		/* (opcode, long retval, unsigned long *retbuf) */
		rec_init(r, ISM_REC_HCALL_EXIT, 0);
		r->addr = a[0];
		r->arg = a[1];
		break;
	case ISM_TP_IOMMU_MAP:
		/* (iova, paddr, size) */
		rec_init(r, ISM_REC_IOMMU_MAP, 0);
		r->addr = a[0];
		r->paddr = a[1];
		r->size = a[2];
		break;
	case ISM_TP_IOMMU_UNMAP:
		/* (iova, size, unmapped_size) */
		rec_init(r, ISM_REC_IOMMU_UNMAP, 0);
		r->addr = a[0];
		r->size = a[1];
		r->arg = a[2];
		break;
	default:
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	bpf_ringbuf_submit(r, wake_flags());
	return 0;
}

/*
 * The arguments are copied with bpf_probe_read_kernel() so that pointer arguments become
 * plain numbers in both program types (tp_btf types them as kernel pointers).
 */
#define ISM_PROG(tp, name, nargs)                                               \
	SEC("tp_btf/" name)                                                     \
	int tpb_##tp(__u64 *ctx)                                                \
	{                                                                       \
		__u64 a[8] = {};                                                \
		bpf_probe_read_kernel(a, (nargs) * sizeof(__u64), ctx);         \
		return emit(a, ISM_TP_##tp);                                    \
	}                                                                       \
	SEC("raw_tp/" name)                                                     \
	int inj_##tp(__u64 *ctx)                                                \
	{                                                                       \
		__u64 a[8] = {};                                                \
		bpf_probe_read_kernel(a, (nargs) * sizeof(__u64), ctx);         \
		return emit(a, ISM_TP_##tp);                                    \
	}

ISM_PROG(MAP_PHYS, "dma_map_phys", 6)
ISM_PROG(UNMAP_PHYS, "dma_unmap_phys", 5)
ISM_PROG(MAP_RESOURCE, "dma_map_resource", 6)
ISM_PROG(UNMAP_RESOURCE, "dma_unmap_resource", 5)
ISM_PROG(MAP_SG, "dma_map_sg", 6)
ISM_PROG(UNMAP_SG, "dma_unmap_sg", 5)
ISM_PROG(MAP_SG_ERR, "dma_map_sg_err", 6)
ISM_PROG(ALLOC, "dma_alloc", 7)
ISM_PROG(ALLOC_PAGES, "dma_alloc_pages", 7)
ISM_PROG(ALLOC_SGT_ERR, "dma_alloc_sgt_err", 7)
ISM_PROG(ALLOC_SGT, "dma_alloc_sgt", 6)
ISM_PROG(FREE, "dma_free", 6)
ISM_PROG(FREE_PAGES, "dma_free_pages", 6)
ISM_PROG(FREE_SGT, "dma_free_sgt", 4)
ISM_PROG(SYNC_CPU, "dma_sync_single_for_cpu", 4)
ISM_PROG(SYNC_DEV, "dma_sync_single_for_device", 4)
ISM_PROG(SYNC_SG_CPU, "dma_sync_sg_for_cpu", 4)
ISM_PROG(SYNC_SG_DEV, "dma_sync_sg_for_device", 4)
ISM_PROG(BOUNCE, "swiotlb_bounced", 3)
ISM_PROG(HCALL_ENTRY, "hcall_entry", 2)
ISM_PROG(HCALL_EXIT, "hcall_exit", 3)
ISM_PROG(IOMMU_MAP, "map", 3)
ISM_PROG(IOMMU_UNMAP, "unmap", 3)

/* Injection: tell user space where the arena is (its pointers must be kernel addresses). */
SEC("raw_tp")
int inj_setup(void *ctx)
{
	__u32 zero = 0;
	void *p = bpf_map_lookup_elem(&arena, &zero);

	arena_kaddr = (__u64)p;
	return 0;
}

/* Injection baseline: the cost of BPF_PROG_TEST_RUN itself, for the benchmark. */
SEC("raw_tp")
int inj_null(void *ctx)
{
	return 0;
}
