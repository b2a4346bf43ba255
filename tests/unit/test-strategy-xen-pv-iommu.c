/*
 * test-strategy-xen-pv-iommu.c: the xen-pv-iommu strategy (strategy-xen-pv-iommu.c) on
 * hand-written event sequences, worked from DOMAIN.md 5.2 (XenServer pv_iommu.c): one op per
 * 4 KiB frame, arrays of batch_ops ops per hypercall, one IOTLB flush_all per batched call (a
 * one-op call flushes its own frame), a continuation (flush + new entry) after every
 * continuation_ops ops; xen-swiotlb bounces as swiotlb does; identity makes no call.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "strat-fixture.h"
#include "scenario.h"
#include "sim.h"
#include "strategy.h"

static int map(struct fix *f, uint64_t phys, uint64_t size)
{
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_FROM_DEVICE, .key = phys, .phys = phys,
			      .size = size };

	actbuf_reset(&f->ab);
	return f->s->ops->map(f->s, &rq, &f->ab);
}

static void unmap(struct fix *f, uint64_t phys)
{
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_FROM_DEVICE, .key = phys };

	actbuf_reset(&f->ab);
	f->s->ops->unmap(f->s, &rq, &f->ab);
}

/* one frame: one call of one op, flushed by the op itself (count 1: no batch flush) */
Test(xen, one_frame_one_op)
{
	struct fix f;

	fix_new(&f, "xen-pv-iommu");
	cr_expect_str_eq(f.s->variant, "batch");
	cr_assert_eq(map(&f, 0x100200, 0x100), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 1), 1);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_SYNC, 0), 1, "the op's own flush");
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_FLUSH_ALL, 0), 0);
	unmap(&f, 0x100200);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, 0, 0), 1);
	cr_expect_eq(stat(&f, "map_hypercalls"), 1);
	cr_expect_eq(stat(&f, "unmap_hypercalls"), 1);
	cr_expect_eq(stat(&f, "iommu_ops"), 2);
	cr_expect_eq(stat(&f, "iotlb_flushes"), 2);
	unmap(&f, 0x100200);
	cr_expect_eq(f.ab.n, 0, "an unmap of nothing live does nothing");
	fix_free(&f);
}

/*
 * 1 MiB + 2 bytes from a frame's last byte: 258 frames; batch 256: a call of 256 ops (one
 * flush_all) and a call of 2 (one flush_all); the unmap makes the same two calls
 */
Test(xen, batches_of_256_one_flush_each)
{
	struct fix f;

	fix_new(&f, "xen-pv-iommu:batch");
	cr_assert_eq(map(&f, 0x200fff, 1024 * KIB + 2), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 0), 2);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 1), 258);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_FLUSH_ALL, 0), 2);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_SYNC, 0), 0);
	cr_expect_eq(stat(&f, "reachable_bytes_peak"), 258 * 4 * KIB);
	unmap(&f, 0x200fff);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 1), 258);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_FLUSH_ALL, 0), 2);
	cr_expect_eq(stat(&f, "ops_per_hypercall"), 129);
	cr_expect_eq(stat(&f, "continuations"), 0);
	fix_free(&f);
}

/* batch_ops 16, continuation_ops 5: 40 frames = calls of 16, 16, 8 ops; 3 + 3 + 1 continuations */
Test(xen, continuations)
{
	struct fix f;

	fix_new_set2(&f, "xen-pv-iommu", "strategy.xen-pv-iommu.batch_ops", "16",
		    "strategy.xen-pv-iommu.continuation_ops", "5");
	cr_assert_eq(map(&f, 0x400000, 40 * 4 * KIB), 0);
	/* entries: 3 calls + 7 continuations; ops: 40 */
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 0), 10);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 1), 40);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_FLUSH_ALL, 0), 10, "a flush at each preemption");
	cr_expect_eq(stat(&f, "map_hypercalls"), 3);
	cr_expect_eq(stat(&f, "continuations"), 7);
	/* exactly 5 ops: no preemption is left to make after the last op */
	cr_assert_eq(map(&f, 0x800000, 5 * 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 0), 1);
	fix_free(&f);
}

/* a list: every segment's frames in one array; the unmap releases the same frames */
Test(xen, map_sg_one_array)
{
	struct fix f;
	struct dma_seg segs[] = { { 0x300000, 4 * KIB }, { 0x301000, 4 * KIB },
				  { 0x500800, 8 * KIB } };
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_TO_DEVICE, .key = 0x300000,
			      .segs = segs, .nsegs = 3 };

	fix_new(&f, "xen-pv-iommu");
	cr_assert_eq(f.s->ops->map_sg(f.s, &rq, &f.ab), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 1), 5, "1 + 1 + 3 frames");
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_FLUSH_ALL, 0), 1);
	cr_expect_eq(stat(&f, "reachable_bytes_peak"), 5 * 4 * KIB);
	rq.nsegs = 0;
	actbuf_reset(&f.ab);
	f.s->ops->unmap_sg(f.s, &rq, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 1), 5);
	/* a second list over the same frames after the unmap: reachable again, peak unchanged */
	rq.nsegs = 3;
	actbuf_reset(&f.ab);
	cr_assert_eq(f.s->ops->map_sg(f.s, &rq, &f.ab), 0);
	cr_expect_eq(stat(&f, "reachable_bytes_peak"), 5 * 4 * KIB);
	fix_free(&f);
}

/* two mappings of one frame: the frame is reachable once (one page reference each) */
Test(xen, reachable_frames_counted_once)
{
	struct fix f;

	fix_new(&f, "xen-pv-iommu");
	cr_assert_eq(map(&f, 0x100000, 2 * KIB), 0);
	cr_assert_eq(map(&f, 0x100800, 2 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 0), 1, "a BFN per mapping: one op each");
	cr_expect_eq(stat(&f, "reachable_bytes_peak"), 4 * KIB);
	fix_free(&f);
}

/* identity GFN map: no call, no flush, the whole RAM reachable */
Test(xen, identity_no_call)
{
	struct fix f;

	fix_new(&f, "xen-pv-iommu:identity");
	cr_assert_eq(map(&f, 0x100000, 64 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, 0, 0), 0);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, 0, 0), 0);
	cr_expect_eq(sum(&f.ab, ACT_GUEST, 0, 0), 1);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, 0, 0), 0);
	cr_expect_eq(stat(&f, "reachable_bytes_peak"), (double)f.sc.machine.ram_bytes);
	cr_expect_eq(stat(&f, "map_hypercalls"), 0);
	fix_free(&f);
}

/* xen-swiotlb: the swiotlb layer's copies (in on map, out on unmap for FROM_DEVICE), no call */
Test(xen, xen_swiotlb_bounces)
{
	struct fix f;
	struct strat_pressure pr;

	fix_new(&f, "xen-pv-iommu:xen-swiotlb");
	cr_assert_eq(map(&f, 0x100000, 6 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 6 * KIB, "always copied in");
	cr_expect_eq(sum(&f.ab, ACT_HCALL, 0, 0), 0);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 6 * KIB, "copied back (FROM_DEVICE)");
	memset(&pr, 0, sizeof(pr));
	f.s->ops->report(f.s, &pr);
	cr_expect_eq(pr.bounces, 1);
	cr_expect_eq(pr.pool_peak, 3, "three 2 KiB slots");
	cr_expect_eq(stat(&f, "reachable_bytes_peak"), (double)f.sc.machine.ram_bytes);
	fix_free(&f);
}

/* under a bounce layer: swiotlb's slot is what the PV-IOMMU maps */
Test(xen, stacked_under_swiotlb)
{
	struct fix f;

	fix_new(&f, "swiotlb+xen-pv-iommu");
	cr_assert_eq(map(&f, 0x100000, 8 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 8 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, XEN_IOMMU_OP, 1), 2);
	fix_free(&f);
}
