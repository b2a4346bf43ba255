/*
 * test-strategy-pkvm.c: the pkvm strategy (strategy-pkvm.c) on hand-written event sequences,
 * worked from DOMAIN.md 5.1: one hypercall per map/unmap range whatever its length, page-state
 * changes only on the refcount's 0->1 and 1->0 edges (share-per-map), none under use-dma,
 * page-aligned ranges, all-or-nothing on failure, the lock held by every call.
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
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_TO_DEVICE, .key = phys, .phys = phys,
			      .size = size };

	actbuf_reset(&f->ab);
	return f->s->ops->map(f->s, &rq, &f->ab);
}

static void unmap(struct fix *f, uint64_t phys)
{
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_TO_DEVICE, .key = phys };

	actbuf_reset(&f->ab);
	f->s->ops->unmap(f->s, &rq, &f->ab);
}

/* two maps of the same page: one hypercall each, the page shared once, unshared at the last unmap */
Test(pkvm, refcount_edges_share_once)
{
	struct fix f;

	fix_new(&f, "pkvm");
	cr_expect_str_eq(f.s->variant, "share-per-map");
	cr_assert_eq(map(&f, 0x100000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 1), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, PKVM_PAGE_SHARE, 1), 1, "0->1: shared");
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0, "the share is inside the one hypercall");
	/* a second buffer in the same page (another recorded address) */
	cr_assert_eq(map(&f, 0x100800, 1 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 1), 0, "1->2: no state change");
	cr_expect_eq(stat(&f, "page_ref_hits"), 1);
	cr_expect_eq(stat(&f, "multi_ref_pages_peak"), 1);
	cr_expect_eq(stat(&f, "shared_pages_peak"), 1);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_UNMAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 1), 0, "2->1: still shared");
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_SYNC, 0), 1, "strict: one sync per unmap");
	unmap(&f, 0x100800);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_UNMAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, PKVM_PAGE_UNSHARE, 1), 1, "1->0: unshared");
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_SYNC, 0), 1);
	cr_expect_eq(stat(&f, "state_transitions"), 2);
	cr_expect_eq(stat(&f, "map_hypercalls"), 2);
	cr_expect_eq(stat(&f, "unmap_hypercalls"), 2);
	unmap(&f, 0x100800);
	cr_expect_eq(f.ab.n, 0, "an unmap of nothing live does nothing");
	fix_free(&f);
}

/* one hypercall for a 64-page range; the lock held by the call and its state changes */
Test(pkvm, one_call_per_range_under_the_lock)
{
	struct fix f;

	fix_new(&f, "pkvm");
	cr_assert_eq(map(&f, 0x200000, 64 * 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 1), 64, "the loop walks 64 pages");
	cr_expect_eq(sum(&f.ab, ACT_SHARE, PKVM_PAGE_SHARE, 1), 64);
	for (unsigned i = 0; i < f.ab.n; i++)
		if (f.ab.a[i].kind == ACT_HCALL || f.ab.a[i].kind == ACT_SHARE)
			cr_expect_neq(f.ab.a[i].res, 0, "held under the host+hyp lock");
	cr_expect_eq(stat(&f, "lock_hold_pages_max"), 64);
	unmap(&f, 0x200000);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_UNMAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, PKVM_PAGE_UNSHARE, 1), 64);
	fix_free(&f);
}

/* a partial-page map is page aligned: 0x1ff0 + 0x20 bytes spans two whole pages */
Test(pkvm, partial_pages_are_aligned)
{
	struct fix f;

	fix_new(&f, "pkvm");
	cr_assert_eq(map(&f, 0x101ff0, 0x20), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 1), 2);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, PKVM_PAGE_SHARE, 1), 2);
	/* a buffer in the second page only takes a reference */
	cr_assert_eq(map(&f, 0x102100, 0x100), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 1), 0);
	unmap(&f, 0x101ff0);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 1), 1, "the first page only");
	fix_free(&f);
}

/* use-dma (v2): the same hypercalls, refcount only: no page changes state, nothing booked shared */
Test(pkvm, use_dma_refcount_only)
{
	struct fix f;

	fix_new(&f, "pkvm:use-dma");
	cr_assert_eq(map(&f, 0x100000, 2 * 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 1), 0);
	cr_assert_eq(map(&f, 0x101000, 4 * KIB), 0);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_UNMAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 1), 0);
	cr_expect_eq(stat(&f, "pinned_pages_peak"), 2);
	cr_expect_eq(stat(&f, "shared_pages_peak"), 0);
	cr_expect_eq(stat(&f, "state_transitions"), 0);
	cr_expect_eq(stat(&f, "multi_ref_pages_peak"), 1);
	fix_free(&f);
}

/* a list: one map_pages per physically contiguous run, one unmap_pages for the whole list */
Test(pkvm, map_sg_runs)
{
	struct fix f;
	struct dma_seg segs[] = { { 0x300000, 4 * KIB }, { 0x301000, 4 * KIB },
				  { 0x400000, 4 * KIB }, { 0x500000, 8 * KIB } };
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_FROM_DEVICE, .key = 0x300000,
			      .segs = segs, .nsegs = 4 };

	fix_new(&f, "pkvm");
	cr_assert_eq(f.s->ops->map_sg(f.s, &rq, &f.ab), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 0), 3);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 1), 5);
	actbuf_reset(&f.ab);
	f.s->ops->unmap_sg(f.s, &rq, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_UNMAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_UNMAP_PAGES, 1), 5);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 1), 5);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, 0, 0), 1);
	fix_free(&f);
}

/* segments are page aligned before they are compared: an offset in the next page still merges */
Test(pkvm, map_sg_aligned_runs)
{
	struct fix f;
	struct dma_seg segs[] = { { 0x300200, 0xe00 }, { 0x301100, 0x100 } };
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_FROM_DEVICE, .key = 0x300200,
			      .segs = segs, .nsegs = 2 };

	fix_new(&f, "pkvm");
	cr_assert_eq(f.s->ops->map_sg(f.s, &rq, &f.ab), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_MAP_PAGES, 1), 2);
	fix_free(&f);
}

/* all or nothing: a map that would pass the refcount limit fails and leaves nothing changed */
Test(pkvm, failure_undoes_everything)
{
	struct fix f;

	fix_new_set(&f, "pkvm", "strategy.pkvm.max_refcount", "1");
	cr_assert_eq(map(&f, 0x102000, 4 * KIB), 0);
	/* pages 0x100..0x102: the third is at its limit */
	cr_expect_eq(map(&f, 0x100000, 3 * 4 * KIB), -1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 1), 2);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 1), 2, "the two shared pages unshared again");
	cr_expect_eq(stat(&f, "map_failures"), 1);
	/* the pages are free again: a map of them shares them anew */
	cr_assert_eq(map(&f, 0x100000, 2 * 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 1), 2);
	fix_free(&f);
}

/* strategy.pkvm.inval_batch: one IOTLB sync per 3 unmaps */
Test(pkvm, inval_batch)
{
	struct fix f;
	uint64_t inv = 0;

	fix_new_set(&f, "pkvm", "strategy.pkvm.inval_batch", "3");
	for (unsigned i = 0; i < 6; i++)
		cr_assert_eq(map(&f, 0x100000 + i * 4 * KIB, 4 * KIB), 0);
	for (unsigned i = 0; i < 6; i++) {
		unmap(&f, 0x100000 + i * 4 * KIB);
		inv += sum(&f.ab, ACT_INVAL, IOTLB_SYNC, 0);
	}
	cr_expect_eq(inv, 2);
	fix_free(&f);
}

/* identity-s2 (v3): no hypercall per map or unmap, no invalidation; all RAM mapped at boot */
Test(pkvm, identity_s2_boot_cost)
{
	struct fix f;
	struct dma_seg segs[] = { { 0x300000, 4 * KIB }, { 0x500000, 8 * KIB } };
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_FROM_DEVICE, .key = 0x300000,
			      .segs = segs, .nsegs = 2 };

	fix_new(&f, "pkvm:identity-s2");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_IDMAP, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_IDMAP, 1), 2048ull * 1024 * KIB / (4 * KIB),
		     "2 GiB of 4 KiB leaves");
	cr_assert_eq(map(&f, 0x100000, 64 * 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, 0, 0), 0, "no hypercall per map");
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0);
	cr_expect_eq(sum(&f.ab, ACT_GUEST, 0, 0), 1, "dma-direct's software only");
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, 0, 0), 0);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, 0, 0), 0, "the map never changes: no invalidation");
	actbuf_reset(&f.ab);
	cr_assert_eq(f.s->ops->map_sg(f.s, &rq, &f.ab), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, 0, 0), 0);
	actbuf_reset(&f.ab);
	f.s->ops->unmap_sg(f.s, &rq, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_GUEST, 0, 0), 1);
	cr_expect_eq(stat(&f, "map_hypercalls"), 0);
	cr_expect_eq(stat(&f, "unmap_hypercalls"), 0);
	cr_expect_eq(stat(&f, "boot_idmap_entries"), 524288);
	cr_expect_eq(stat(&f, "device_reachable_bytes_peak"), 2048.0 * 1024 * 1024);
	fix_free(&f);
	/* 2 MiB leaves: 1024 entries; 8 GiB of RAM with 1 GiB leaves: 8 */
	fix_new_set(&f, "pkvm:identity-s2", "strategy.pkvm.idmap_block_bytes", "2MiB");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, PKVM_IDMAP, 1), 1024);
	fix_free(&f);
	/* the other variants have no boot work */
	fix_new(&f, "pkvm");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(f.ab.n, 0);
	cr_expect_eq(stat(&f, "boot_idmap_entries"), 0);
	fix_free(&f);
}
