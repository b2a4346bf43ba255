/*
 * test-alloc-iova.c: the IOVA allocator model against sequences worked by hand from Linux
 * 6.12's drivers/iommu/iova.c and dma-iommu.c (the arithmetic is in the comments), plus a
 * seeded random run that checks the red-black tree and that no two live ranges overlap.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-iova.h"
#include "error.h"

#define PFN32 0x100000ull	/* dma_32bit_pfn for 4 KiB granules */
#define LIM32 (PFN32 - 1)	/* alloc_iova()'s inclusive 32-bit limit */
#define MS 1000000ull

static void domain(struct iova_domain *d, uint64_t start_pfn, unsigned ncpus)
{
	struct iova_domain_config cfg = { .granule_shift = 12, .start_pfn = start_pfn,
					  .ncpus = ncpus, .hz = 250 };

	cr_assert_eq(iova_domain_init(d, &cfg), 0);
}

Test(iova, init_rejects_bad_config)
{
	struct iova_domain d;
	struct iova_domain_config cfg = { .granule_shift = 31 };

	cr_assert_eq(iova_domain_init(&d, &cfg), -ISM_ERANGE);
	cfg.granule_shift = 8;
	cr_assert_eq(iova_domain_init(&d, &cfg), -ISM_ERANGE);
}

/*
 * Top-down from the 32-bit limit, with size alignment: the first range sits right under the
 * anchor's limit, each next one under cached32_node.
 */
Test(iova, top_down_size_aligned)
{
	struct iova_domain d;

	domain(&d, 1, 1);
	cr_assert_eq(d.dma_32bit_pfn, PFN32);
	/* high = min(0x100000, anchor.lo) = 0x100000, new = 0xfffff */
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xfffffull);
	/* from cached32 = [0xfffff]: high = 0xfffff, new = 0xffffe */
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xffffeull);
	/* size 4: mask ~3; (0xffffe - 4) & ~3 = 0xffff8 (0xffffc..d stay free) */
	cr_assert_eq(iova_alloc(&d, 4, LIM32, true), 0xffff8ull);
	/* size 3 aligned to 4 (fls(2) = 2): (0xffff8 - 3) & ~3 = 0xffff4 */
	cr_assert_eq(iova_alloc(&d, 3, LIM32, true), 0xffff4ull);
	/* unaligned size 3: 0xffff4 - 3 = 0xffff1 */
	cr_assert_eq(iova_alloc(&d, 3, LIM32, false), 0xffff1ull);
	cr_assert_eq(iova_find(&d, 0xffff6)->pfn_lo, 0xffff4ull);
	cr_assert_eq(iova_find(&d, 0xffff6)->pfn_hi, 0xffff6ull);
	cr_assert_null(iova_find(&d, 0xffffc));
	cr_assert_eq(d.c.tree_allocs, 5);
	cr_assert_eq(iova_check(&d), 0);
	iova_domain_free(&d);
}

/*
 * A free above cached32_node moves it to the freed node's successor, so the next allocation
 * walks down from there and reuses the hole.
 */
Test(iova, free_moves_cached32_and_reuses_hole)
{
	struct iova_domain d;

	domain(&d, 1, 1);
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xfffffull);
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xffffeull);
	cr_assert_eq(iova_alloc(&d, 4, LIM32, true), 0xffff8ull);
	cr_assert_eq(iova_alloc(&d, 3, LIM32, true), 0xffff4ull);
	/* free [0xffffe]: hi < dma32 and lo >= cached32 (0xffff4) -> cached32 = rb_next = 0xfffff */
	cr_assert_eq(iova_free(&d, 0xffffe), 1);
	cr_assert_eq(d.cached32_node->pfn_lo, 0xfffffull);
	/* high = 0xfffff, new = 0xffffe, rb_prev = [0xffff8..b]: 0xffffe > 0xffffb, fits */
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xffffeull);
	/* a pfn that is not allocated frees nothing */
	cr_assert_eq(iova_free(&d, 0xffffc), 0);
	cr_assert_eq(iova_check(&d), 0);
	iova_domain_free(&d);
}

/* A limit above 4 GiB starts from cached_node (the anchor at first), not cached32_node. */
Test(iova, limit_above_32bit_uses_cached_node)
{
	struct iova_domain d;

	domain(&d, 1, 1);
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xfffffull);
	cr_assert_eq(iova_alloc(&d, 1, 0xfffffffull, true), 0xfffffffull);
	cr_assert_eq(d.cached_node->pfn_lo, 0xfffffffull);
	cr_assert_eq(d.cached32_node->pfn_lo, 0xfffffull);
	/* from cached_node: high = 0xfffffff, new = 0xffffffe */
	cr_assert_eq(iova_alloc(&d, 1, 0xfffffffull, true), 0xffffffeull);
	iova_domain_free(&d);
}

/*
 * A full 32-bit space: the first failure walks, retries from iova_find_limit() and records
 * max32_alloc_size; the next request of that size fails at once; a free resets it.
 */
Test(iova, max32_alloc_size_fast_failure_and_retry)
{
	struct iova_domain d;
	uint64_t i, walks;

	domain(&d, 0xffff0, 1);	/* only pfns 0xffff0..0xfffff below 4 GiB */
	for (i = 0; i < 16; i++)
		cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xfffffull - i);
	/*
	 * cached32 = [0xffff0]: high = 0xffff0, new = 0xfffef < low: retry_pfn 0xffff0 < limit, so
	 * again from iova_find_limit(0x100000) = the anchor with low = 0xffff1; the walk goes
	 * down to [0xffff0] where new = 0xffff0 < low: fail, max32_alloc_size = 1.
	 */
	walks = d.c.walk_nodes;
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0);
	cr_assert_eq(d.c.retries, 1);
	cr_assert_eq(d.max32_alloc_size, 1);
	cr_assert_eq(d.c.walk_nodes - walks, 1 + 16);
	walks = d.c.walk_nodes;
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0);
	cr_assert_eq(d.c.fast_fails, 1);
	cr_assert_eq(d.c.walk_nodes, walks, "a fast failure does not walk");
	/* free [0xffff8]: lo >= cached32's lo -> cached32 = [0xffff9]; max32 reset */
	cr_assert_eq(iova_free(&d, 0xffff8), 1);
	cr_assert_eq(d.max32_alloc_size, PFN32);
	cr_assert_eq(iova_alloc(&d, 1, LIM32, true), 0xffff8ull);
	cr_assert_eq(iova_check(&d), 0);
	iova_domain_free(&d);
}

/* reserve_iova() merges an overlapping reservation; alignment can make a fit fail. */
Test(iova, reserve_merge_and_aligned_failure)
{
	struct iova_domain d;

	domain(&d, 1, 1);
	cr_assert_eq(iova_reserve(&d, 0x10, 0x20), 0);
	/* overlaps [0x10,0x20]: pfn_lo becomes 0x21, and [0x21,0x30] is inserted */
	cr_assert_eq(iova_reserve(&d, 0x18, 0x30), 0);
	cr_assert_eq(iova_find(&d, 0x25)->pfn_lo, 0x21ull);
	cr_assert_eq(iova_find(&d, 0x18)->pfn_hi, 0x20ull);
	/* wholly inside: nothing new */
	cr_assert_eq(iova_reserve(&d, 0x12, 0x14), 0);
	cr_assert_eq(d.nodes, 2);
	cr_assert_eq(iova_alloc(&d, 1, 0x35, true), 0x35ull);
	/*
	 * 16 aligned below 0x35: new = (0x35 - 16) & ~15 = 0x20 (inside [0x21..] no: below its
	 * hi 0x30 -> step), then (0x21 - 16) & ~15 = 0x10 (step), then 0 < start_pfn 1: fail, and
	 * retry_pfn 0x35 is not below the limit 0x35, so no retry.
	 */
	cr_assert_eq(iova_alloc(&d, 16, 0x34, true), 0);
	cr_assert_eq(d.c.retries, 0);
	cr_assert_eq(d.max32_alloc_size, 16);
	cr_assert_eq(iova_check(&d), 0);
	iova_domain_free(&d);
}

/* alloc_iova_fast() rounds small sizes up, and a CPU's cache serves only that CPU. */
Test(iova, rcache_per_cpu_hit_and_miss)
{
	struct iova_domain d;

	domain(&d, 1, 2);
	/* 3 -> 4 granules; every cache empty: miss, tree: (0x100000 - 4) & ~3 = 0xffffc */
	cr_assert_eq(iova_alloc_fast(&d, 0, 3, LIM32, true), 0xffffcull);
	cr_assert_eq(d.c.rcache_misses, 1);
	cr_assert_eq(iova_find(&d, 0xffffc)->pfn_hi, 0xfffffull);
	/* free with the unrounded size: order_base_2(3) = 2, the same class as 4 */
	iova_free_fast(&d, 0, 0xffffc, 3);
	cr_assert_eq(d.c.rcache_inserts, 1);
	cr_assert_eq(iova_rcache_count(&d), 1);
	cr_assert_not_null(iova_find(&d, 0xffffc), "a cached range stays in the tree");
	/* CPU 1 misses and allocates below it */
	cr_assert_eq(iova_alloc_fast(&d, 1, 4, LIM32, true), 0xffff8ull);
	cr_assert_eq(d.c.rcache_misses, 2);
	/* CPU 0 hits */
	cr_assert_eq(iova_alloc_fast(&d, 0, 4, LIM32, true), 0xffffcull);
	cr_assert_eq(d.c.rcache_hits, 1);
	cr_assert_eq(iova_rcache_count(&d), 0);
	/* a cached range that would end above the limit is not handed out: */
	iova_free_fast(&d, 0, 0xffffc, 4);
	/* the rcache's limit is (limit + 1) - size = 0xffffc - 4 = 0xffff8 < 0xffffc: a miss */
	cr_assert_eq(iova_alloc_fast(&d, 0, 4, 0xffffb, true), 0xffff4ull);
	cr_assert_eq(d.c.rcache_misses, 3);
	iova_domain_free(&d);
}

/*
 * 32 granules (128 KiB) is the largest cached size; 33 goes to the tree every time, under
 * the rbtree lock (the 3710e2b056cb collapse).
 */
Test(iova, over_128k_bypasses_rcache)
{
	struct iova_domain d;
	uint64_t locks;

	domain(&d, 1, 1);
	/* 32 is not rounded, class 5; tree: (0x100000 - 32) & ~31 = 0xfffe0 */
	cr_assert_eq(iova_alloc_fast(&d, 0, 32, LIM32, true), 0xfffe0ull);
	iova_free_fast(&d, 0, 0xfffe0, 32);
	locks = d.c.rbtree_locks;
	cr_assert_eq(iova_alloc_fast(&d, 0, 32, LIM32, true), 0xfffe0ull);
	cr_assert_eq(d.c.rbtree_locks, locks, "a hit takes no rbtree lock");
	iova_free_fast(&d, 0, 0xfffe0, 32);
	/* 33: class 6 is not cached; aligned to 64: (0xfffe0 - 33) & ~63 = 0xfff80 */
	cr_assert_eq(iova_alloc_fast(&d, 0, 33, LIM32, true), 0xfff80ull);
	cr_assert_eq(d.c.rcache_bypass, 1);
	cr_assert_eq(d.c.rbtree_locks, locks + 1);
	iova_free_fast(&d, 0, 0xfff80, 33);
	cr_assert_eq(d.c.rcache_insert_bypass, 1);
	cr_assert_eq(d.c.rbtree_locks, locks + 2, "a free of 33 granules locks the tree");
	cr_assert_null(iova_find(&d, 0xfff80));
	iova_domain_free(&d);
}

/*
 * Magazines: 127 frees fill loaded, the 128th swaps in prev, the 255th pushes loaded to the
 * depot; another CPU with empty magazines takes the depot's magazine and pops its last pfn.
 */
Test(iova, magazines_swap_depot_push_and_pop)
{
	struct iova_domain d;
	uint64_t k;

	domain(&d, 1, 2);
	for (k = 1; k <= 300; k++)
		cr_assert_eq(iova_alloc_fast(&d, 0, 1, LIM32, true), PFN32 - k);
	for (k = 1; k <= 300; k++)
		iova_free_fast(&d, 0, PFN32 - k, 1);
	cr_assert_eq(d.rcaches[0].depot_size, 1);
	cr_assert_eq(d.c.depot_pushes, 1);
	cr_assert_eq(d.rcaches[0].cpu[0].loaded->size, 300 - 254);
	cr_assert_eq(d.rcaches[0].cpu[0].prev->size, 127);
	cr_assert_eq(iova_rcache_count(&d), 300);
	/* CPU 1: loaded and prev empty -> the depot magazine (frees 128..254), its last pfn */
	cr_assert_eq(iova_alloc_fast(&d, 1, 1, LIM32, true), PFN32 - 254);
	cr_assert_eq(d.c.depot_pops, 1);
	cr_assert_eq(d.rcaches[0].depot_size, 0);
	/* CPU 0 pops its loaded magazine's last pfn: the 300th free */
	cr_assert_eq(iova_alloc_fast(&d, 0, 1, LIM32, true), PFN32 - 300);
	iova_domain_free(&d);
}

/*
 * The depot work: scheduled at the first push for jiffies + 25 (100 ms at HZ=250), run at
 * tick 26 = 104 ms; it trims one magazine while depot_size > online CPUs and re-arms.
 */
Test(iova, depot_trim_after_delay)
{
	struct iova_domain d;
	uint64_t k, frees;

	domain(&d, 1, 1);
	iova_advance(&d, 0);
	for (k = 1; k <= 382; k++)
		cr_assert_eq(iova_alloc_fast(&d, 0, 1, LIM32, true), PFN32 - k);
	for (k = 1; k <= 382; k++)
		iova_free_fast(&d, 0, PFN32 - k, 1);
	cr_assert_eq(d.rcaches[0].depot_size, 2);
	cr_assert(d.rcaches[0].work_pending);
	cr_assert_eq(d.rcaches[0].work_due_ns, 104 * MS);
	frees = d.c.tree_frees;
	iova_advance(&d, 104 * MS - 1);
	cr_assert_eq(d.c.depot_trims, 0);
	iova_advance(&d, 104 * MS);
	cr_assert_eq(d.c.depot_trims, 1);
	cr_assert_eq(d.c.tree_frees - frees, 127);
	cr_assert_eq(d.rcaches[0].depot_size, 1);
	/* the trimmed magazine was the last pushed (frees 255..381) */
	cr_assert_null(iova_find(&d, PFN32 - 300));
	cr_assert_not_null(iova_find(&d, PFN32 - 200));
	/* re-armed at tick 26 + 25 -> runs at tick 52 (208 ms); depot_size 1 is not > 1 */
	cr_assert_eq(d.rcaches[0].work_due_ns, 208 * MS);
	iova_advance(&d, 500 * MS);
	cr_assert_eq(d.c.depot_work_runs, 2);
	cr_assert_eq(d.c.depot_trims, 1);
	cr_assert_not(d.rcaches[0].work_pending);
	cr_assert_eq(iova_check(&d), 0);
	iova_domain_free(&d);
}

/* alloc_iova_fast(): a tree failure flushes every CPU's cache and the depot, then retries. */
Test(iova, flush_rcaches_and_retry)
{
	struct iova_domain d;
	uint64_t i;

	domain(&d, 0xffff0, 2);
	for (i = 0; i < 16; i++)
		cr_assert_eq(iova_alloc_fast(&d, 0, 1, LIM32, true), 0xfffffull - i);
	for (i = 0; i < 16; i++)
		iova_free_fast(&d, 1, 0xfffffull - i, 1);
	/* without flush_rcache (dma-iommu's 32-bit try): CPU 0 misses, the tree is full */
	cr_assert_eq(iova_alloc_fast(&d, 0, 1, LIM32, false), 0);
	cr_assert_eq(d.c.rcache_flushes, 0);
	/*
	 * With it: the 16 cached ranges go back to the tree (the first free moves cached32 to the
	 * anchor), max32 is reset, and the retry starts under the anchor: 0xfffff.
	 */
	cr_assert_eq(iova_alloc_fast(&d, 0, 1, LIM32, true), 0xfffffull);
	cr_assert_eq(d.c.rcache_flushes, 1);
	cr_assert_eq(iova_rcache_count(&d), 0);
	cr_assert_eq(d.nodes, 1);
	iova_domain_free(&d);
}

/*
 * iommu_dma_alloc_iova(): a PCI device tries below 4 GiB first; the first failure gives it up
 * for good and allocates under min(mask, aperture).
 */
Test(iova, dma_32bit_first_then_dac)
{
	struct iova_domain d;
	struct iova_dma_dev dev = { .dma_mask = (1ull << 40) - 1, .pci_32bit_workaround = true };
	const uint64_t aperture = (1ull << 39) - 1;	/* VT-d with 39-bit AGAW */
	uint64_t i;

	domain(&d, 0xffff0, 2);
	for (i = 0; i < 16; i++)
		cr_assert_eq(iova_dma_alloc(&d, &dev, 0, 4096, aperture), (0xfffffull - i) << 12);
	cr_assert(dev.pci_32bit_workaround);
	/* 32-bit try fails -> "Using 40-bit DMA addresses"; limit = 2^39 - 1: pfn 0x7ffffff */
	cr_assert_eq(iova_dma_alloc(&d, &dev, 0, 4096, aperture), 0x7ffffffull << 12);
	cr_assert_not(dev.pci_32bit_workaround);
	cr_assert_eq(d.c.dac_fallbacks, 1);
	/* freed on CPU 1 (not CPU 0's cache): the next one stays above 4 GiB */
	iova_dma_free(&d, 1, 0xfffffull << 12, 4096);
	cr_assert_eq(iova_dma_alloc(&d, &dev, 0, 4096, aperture), 0x7fffffeull << 12);
	/* but a 32-bit pfn in CPU 0's cache is handed out to a 64-bit request */
	iova_dma_free(&d, 0, 0xffffeull << 12, 4096);
	cr_assert_eq(iova_dma_alloc(&d, &dev, 0, 4096, aperture), 0xffffeull << 12);
	/* a device without the workaround asks under its own limit: CPU 1's cached 0xfffff */
	{
		struct iova_dma_dev plat = { .dma_mask = (1ull << 32) - 1 };

		cr_assert_eq(iova_dma_alloc(&d, &plat, 1, 4096, UINT64_MAX), 0xfffffull << 12);
	}
	cr_assert_eq(d.c.dac_fallbacks, 1);
	iova_domain_free(&d);
}

/* Seeded random work: the tree stays a valid red-black tree and live ranges never overlap. */
Test(iova, random_tree_invariants)
{
	struct iova_domain d;
	struct { uint64_t pfn, size; unsigned cpu; } live[2048];
	unsigned nlive = 0, i, j;
	uint64_t x = 0x9e3779b97f4a7c15ull, t = 0;

	domain(&d, 1, 4);
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t += 50000;
		iova_advance(&d, t);
		/* phases of 1000 steps: mostly allocations, then mostly frees */
		if (nlive < 2048 && ((i / 1000) % 2 ? (x & 7) == 0 : (x & 7) != 0)) {
			uint64_t size = 1 + ((x >> 8) % ((x >> 40) & 1 ? 64 : 8));
			unsigned cpu = (unsigned)(x >> 20) & 3;
			uint64_t limit = (x >> 30) & 1 ? LIM32 : 0xffffffffull;
			uint64_t pfn = iova_alloc_fast(&d, cpu, size, limit, true);

			cr_assert_neq(pfn, 0);
			cr_assert_leq(pfn + size - 1, limit);
			live[nlive].pfn = pfn;
			live[nlive].size = size;
			live[nlive].cpu = cpu;
			nlive++;
		} else if (nlive) {
			j = (unsigned)((x >> 12) % nlive);
			iova_free_fast(&d, (unsigned)(x >> 50) & 1, live[j].pfn, live[j].size);
			live[j] = live[--nlive];
		}
		if (i % 97 == 0) {
			cr_assert_eq(iova_check(&d), 0, "step %u", i);
			for (j = 0; j < nlive; j++) {
				const struct iova_node *n = iova_find(&d, live[j].pfn);

				cr_assert_not_null(n);
				cr_assert_eq(n->pfn_lo, live[j].pfn);
			}
		}
	}
	cr_assert_eq(iova_check(&d), 0);
	cr_assert_gt(d.c.rcache_hits, 0);
	cr_assert_gt(d.c.depot_pushes, 0);
	iova_domain_free(&d);
}
