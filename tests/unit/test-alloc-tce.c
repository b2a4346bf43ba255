/*
 * test-alloc-tce.c: the powerpc TCE allocator model against cases worked by hand from the
 * kernel's rules (arch/powerpc/kernel/iommu.c, lib/iommu-helper.c), plus a bit-by-bit
 * reference of the same rules to check the word-at-a-time scans on random workloads.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-tce.h"
#include "error.h"

#define FAIL TCE_ALLOC_FAIL
#define NOMASK UINT64_MAX
/* dma_get_seg_boundary_nr_pages() for a PCI device on 4K TCEs: (0xffffffff >> 12) + 1. */
#define B4G_4K (1ull << 20)
#define GIB (1ull << 30)

static uint64_t popcount_map(const struct tce_table *t)
{
	uint64_t c = 0;

	for (uint64_t i = 0; i < (t->size + 63) / 64; i++)
		c += (uint64_t)__builtin_popcountll(t->map[i]);
	return c;
}

/* used + reserved must always equal the bits set in the bitmap. */
static void check_counts(const struct tce_table *t)
{
	cr_assert_eq(popcount_map(t), t->used + t->reserved);
}

/* 1 GiB of 4K TCEs at bus address 0, as QEMU's default 32-bit window. */
static void init_1g(struct tce_table *t)
{
	cr_assert_eq(tce_table_init(t, GIB >> 12, 0, 12), 0);
}

/* 256 MiB of 4K TCEs: below 1 GiB, so a single small pool. */
static void init_256m(struct tce_table *t)
{
	cr_assert_eq(tce_table_init(t, (256ull << 20) >> 12, 0, 12), 0);
}

Test(alloc_tce, geometry_1g_4k)
{
	struct tce_table t;

	init_1g(&t);
	/* size = 2^30 >> 12 = 262144 entries; 262144 << 12 = 1 GiB >= 1 GiB -> 4 pools */
	cr_expect_eq(t.size, 262144);
	cr_expect_eq(t.nr_pools, 4);
	cr_expect_eq(t.blocksize, 16);
	/* poolsize = (262144 * 3 / 4) / 4 = 196608 / 4 = 49152 */
	cr_expect_eq(t.poolsize, 49152);
	cr_expect_eq(t.pools[0].start, 0);
	cr_expect_eq(t.pools[0].end, 49152);
	cr_expect_eq(t.pools[1].start, 49152);
	cr_expect_eq(t.pools[1].end, 98304);
	cr_expect_eq(t.pools[2].start, 98304);
	cr_expect_eq(t.pools[2].end, 147456);
	cr_expect_eq(t.pools[3].start, 147456);
	cr_expect_eq(t.pools[3].end, 196608);
	/* large pool = the top quarter: [4 * 49152, 262144) = [196608, 262144) */
	cr_expect_eq(t.large_pool.start, 196608);
	cr_expect_eq(t.large_pool.end, 262144);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(t.pools[i].hint, t.pools[i].start);
	cr_expect_eq(t.large_pool.hint, 196608);
	/* one bit per entry: 262144 / 64 = 4096 words = 32 KiB */
	cr_expect_eq(t.reserved, 1);
	cr_expect_eq(t.used, 0);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, geometry_256m_4k_one_pool)
{
	struct tce_table t;

	init_256m(&t);
	/* 2^28 >> 12 = 65536 entries; 256 MiB < 1 GiB -> 1 pool */
	cr_expect_eq(t.size, 65536);
	cr_expect_eq(t.nr_pools, 1);
	/* poolsize = (65536 * 3 / 4) / 1 = 49152 */
	cr_expect_eq(t.poolsize, 49152);
	cr_expect_eq(t.pools[0].start, 0);
	cr_expect_eq(t.pools[0].end, 49152);
	cr_expect_eq(t.large_pool.start, 49152);
	cr_expect_eq(t.large_pool.end, 65536);
	tce_table_free(&t);
}

Test(alloc_tce, geometry_edges)
{
	struct tce_table t;

	/* 262143 entries map 1 GiB - 4 KiB: one pool; poolsize = 262143 * 3 / 4 = 196607 */
	cr_assert_eq(tce_table_init(&t, 262143, 0, 12), 0);
	cr_expect_eq(t.nr_pools, 1);
	cr_expect_eq(t.poolsize, 196607);
	cr_expect_eq(t.large_pool.start, 196607);
	tce_table_free(&t);

	/* 64 entries of 16 MiB = 1 GiB: 4 pools of (64 * 3 / 4) / 4 = 12, large = [48, 64) */
	cr_assert_eq(tce_table_init(&t, 64, 0, 24), 0);
	cr_expect_eq(t.nr_pools, 4);
	cr_expect_eq(t.poolsize, 12);
	cr_expect_eq(t.pools[3].end, 48);
	cr_expect_eq(t.large_pool.start, 48);
	tce_table_free(&t);

	/* a DDW-like table: 2^20 entries of 64K (64 GiB) at bus 1 << 59: nothing reserved */
	cr_assert_eq(tce_table_init(&t, 1ull << 20, (1ull << 59) >> 16, 16), 0);
	cr_expect_eq(t.nr_pools, 4);
	cr_expect_eq(t.reserved, 0);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 16, 0, 0, NULL), 0);
	tce_table_free(&t);

	cr_expect_eq(tce_table_init(&t, 0, 0, 12), -ISM_ERANGE);
}

Test(alloc_tce, entry0_reserved_only_at_offset0)
{
	struct tce_table t;

	init_1g(&t);
	cr_expect_eq(t.map[0] & 1, 1);
	/* first 1-page alloc from CPU 0 (pool 0, hint 0): bit 0 is set, so n = 1 */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 1);
	tce_table_free(&t);

	/* offset 0x800 entries (bus 8 MiB): entry 0 is a normal entry */
	cr_assert_eq(tce_table_init(&t, GIB >> 12, 0x800, 12), 0);
	cr_expect_eq(t.reserved, 0);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 0);
	tce_table_free(&t);
}

Test(alloc_tce, small_allocs_step_16)
{
	struct tce_table t;

	init_1g(&t);
	/*
	 * CPU 0 -> pool 0. n = 1 (entry 0 reserved), end = 2, hint = (2 + 15) & ~15 = 16;
	 * then n = 16, end 17, hint 32; n = 32, hint 48; n = 48, hint 64.
	 * Bus addresses 0x1000, 0x10000, 0x20000, 0x30000: the pseries traces' 64 KiB stride.
	 */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 1);
	cr_expect_eq(t.pools[0].hint, 16);
	/* search_bits: from start 0 to the end of the run, 1 + 1 - 0 = 2 */
	cr_expect_eq(t.search_bits, 2);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 16);
	cr_expect_eq(t.pools[0].hint, 32);
	/* start 16, run [16, 17): + 1 */
	cr_expect_eq(t.search_bits, 3);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 32);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 48);
	cr_expect_eq(t.pools[0].hint, 64);
	/* a 3-page alloc at 64: end 67, hint (67 + 15) & ~15 = 80 */
	cr_expect_eq(tce_alloc(&t, 3, 0, NOMASK >> 12, B4G_4K, 0, NULL), 64);
	cr_expect_eq(t.pools[0].hint, 80);
	/* 15 pages is still small (largealloc is npages > 15): n = 80, end 95, hint 96 */
	cr_expect_eq(tce_alloc(&t, 15, 0, NOMASK >> 12, B4G_4K, 0, NULL), 80);
	cr_expect_eq(t.pools[0].hint, 96);
	cr_expect_eq(t.large_pool.hint, 196608);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, large_allocs_no_block_rounding)
{
	struct tce_table t;

	init_1g(&t);
	/* 16 > 15: large pool. n = 196608, end = 196624, hint = end (no rounding) */
	cr_expect_eq(tce_alloc(&t, 16, 0, NOMASK >> 12, B4G_4K, 0, NULL), 196608);
	cr_expect_eq(t.large_pool.hint, 196624);
	cr_expect_eq(tce_alloc(&t, 16, 0, NOMASK >> 12, B4G_4K, 3, NULL), 196624);
	/* 17 pages: n = 196640, hint = 196657, not rounded to 196672 */
	cr_expect_eq(tce_alloc(&t, 17, 0, NOMASK >> 12, B4G_4K, 5, NULL), 196640);
	cr_expect_eq(t.large_pool.hint, 196657);
	cr_expect_eq(tce_alloc(&t, 20, 0, NOMASK >> 12, B4G_4K, 0, NULL), 196657);
	/* the small pools are untouched */
	for (int i = 0; i < 4; i++)
		cr_expect_eq(t.pools[i].hint, t.pools[i].start);
	cr_expect_eq(t.used, 16 + 16 + 17 + 20);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, align_order_rule)
{
	/* 64K kernel pages over 4K TCEs, page-aligned buffer >= 64K: 16 - 12 = 4 */
	cr_expect_eq(tce_map_align_order(0x2340000, 0x10000, 12, 16), 4);
	cr_expect_eq(tce_map_align_order(0x2340000, 0x100000, 12, 16), 4);
	/* not 64K aligned (0x2341000 & 0xffff = 0x1000): no alignment */
	cr_expect_eq(tce_map_align_order(0x2341000, 0x10000, 12, 16), 0);
	/* smaller than PAGE_SIZE: none */
	cr_expect_eq(tce_map_align_order(0x2340000, 0xffff, 12, 16), 0);
	/* IOMMU page not smaller than PAGE_SIZE: none */
	cr_expect_eq(tce_map_align_order(0x2340000, 0x10000, 16, 16), 0);
	cr_expect_eq(tce_map_align_order(0x2340000, 0x1000000, 24, 16), 0);
	/* 4K kernel on 4K TCEs: none */
	cr_expect_eq(tce_map_align_order(0x2340000, 0x10000, 12, 12), 0);
}

Test(alloc_tce, align_64k_kernel_pages)
{
	struct tce_table t;

	init_1g(&t);
	/* 17 unaligned pages: n = 196608, large hint = 196625 */
	cr_expect_eq(tce_alloc(&t, 17, 0, NOMASK >> 12, B4G_4K, 0, NULL), 196608);
	/* 16 pages, order 4: first zero 196625, aligned up to 196640 (= 12289 * 16) */
	cr_expect_eq(tce_alloc(&t, 16, 4, NOMASK >> 12, B4G_4K, 0, NULL), 196640);
	cr_expect_eq(t.large_pool.hint, 196656);
	/* a small alloc with order 4 in pool 0: first zero 1 -> aligned to 16 */
	cr_expect_eq(tce_alloc(&t, 1, 4, NOMASK >> 12, B4G_4K, 0, NULL), 16);
	cr_expect_eq(t.pools[0].hint, 32);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, map_page_64k_kernel)
{
	struct tce_table t;
	struct tce_dev d = {
		.dma_mask = UINT64_MAX, .coherent_mask = UINT64_MAX,
		.seg_boundary = TCE_PCI_SEG_BOUNDARY, .max_seg_size = TCE_PCI_MAX_SEG_SIZE,
		.kernel_page_shift = 16,
	};
	uint64_t e, np, dma;

	init_1g(&t);
	/* 64 KiB at 0x2340000: npages = 16 (large), align 4 -> n = 196608, bus 0x30000000 */
	dma = tce_map_page(&t, &d, 0, 0x2340000, 0x10000, &e, &np);
	cr_expect_eq(dma, 0x30000000);
	cr_expect_eq(e, 196608);
	cr_expect_eq(np, 16);
	/* 64 KiB + 512 at 0x5550000: 17 pages, aligned: first zero 196624 is 16-aligned */
	dma = tce_map_page(&t, &d, 0, 0x5550000, 0x10200, &e, &np);
	cr_expect_eq(e, 196624);
	cr_expect_eq(np, 17);
	/* 64 KiB at a 4K-but-not-64K-aligned address: no alignment, n = hint 196641 */
	dma = tce_map_page(&t, &d, 0, 0x7771000, 0x10000, &e, &np);
	cr_expect_eq(e, 196641);
	/* 64 KiB at 0x9990000, aligned: first zero 196657 -> 196672 */
	dma = tce_map_page(&t, &d, 0, 0x9990000, 0x10000, &e, NULL);
	cr_expect_eq(e, 196672);
	cr_expect_eq(dma, 196672ull << 12);
	tce_table_free(&t);
}

Test(alloc_tce, map_page_keeps_offset)
{
	struct tce_table t;
	struct tce_dev d = {
		.dma_mask = UINT64_MAX, .seg_boundary = TCE_PCI_SEG_BOUNDARY,
		.max_seg_size = TCE_PCI_MAX_SEG_SIZE, .kernel_page_shift = 12,
	};
	uint64_t e, np, dma;

	init_1g(&t);
	/* 0x12345678 + 0x100: offset 0x678, (0x678 + 0x100) / 4096 -> 1 page; n = 1 */
	dma = tce_map_page(&t, &d, 0, 0x12345678, 0x100, &e, &np);
	cr_expect_eq(dma, 0x1678);
	cr_expect_eq(np, 1);
	/* 0x1800 bytes at offset 0xc00: 0xc00 + 0x1800 = 0x2400 -> 3 pages at hint 16 */
	dma = tce_map_page(&t, &d, 0, 0xabcdec00, 0x1800, &e, &np);
	cr_expect_eq(dma, 0x10c00);
	cr_expect_eq(np, 3);
	cr_expect_eq(t.used, 4);
	tce_unmap_page(&t, 0x1678, 0x100);
	tce_unmap_page(&t, 0x10c00, 0x1800);
	cr_expect_eq(t.used, 0);
	/* below the window / beyond it: ignored (iommu_free_check) */
	tce_unmap_page(&t, GIB, 0x1000);
	cr_expect_eq(t.used, 0);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, num_pages)
{
	cr_expect_eq(tce_num_pages(0x1000, 0x1000, 12), 1);
	/* 0x800 offset + 0x1000 = 0x1800 -> 2 pages */
	cr_expect_eq(tce_num_pages(0x1800, 0x1000, 12), 2);
	/* 0xfff + 2 = 0x1001 -> 2 pages */
	cr_expect_eq(tce_num_pages(0x1fff, 2, 12), 2);
	cr_expect_eq(tce_num_pages(0, 0, 12), 0);
	cr_expect_eq(tce_num_pages(0x10, 0, 12), 1);
	/* 64K TCEs: 0x8000 + 0x10000 = 0x18000 -> 2 */
	cr_expect_eq(tce_num_pages(0x38000, 0x10000, 16), 2);
}

Test(alloc_tce, hash_32_cpus_0_to_7)
{
	/*
	 * hash_32(cpu, 2) = (cpu * 0x61C88647 mod 2^32) >> 30, i.e. the top two bits:
	 *  0: 0x00000000 -> 00 = 0
	 *  1: 0x61C88647 -> 0x6 = 0110 -> 01 = 1
	 *  2: 0xC3910C8E -> 0xC = 1100 -> 11 = 3
	 *  3: 0x1_255992D5 -> 0x255992D5 -> 0x2 = 0010 -> 00 = 0
	 *  4: 0x1_8722191C -> 0x8722191C -> 0x8 = 1000 -> 10 = 2
	 *  5: 0x1_E8EA9F63 -> 0xE8EA9F63 -> 0xE = 1110 -> 11 = 3
	 *  6: 0x2_4AB325AA -> 0x4AB325AA -> 0x4 = 0100 -> 01 = 1
	 *  7: 0x2_AC7BABF1 -> 0xAC7BABF1 -> 0xA = 1010 -> 10 = 2
	 */
	static const unsigned want[8] = {0, 1, 3, 0, 2, 3, 1, 2};

	for (unsigned c = 0; c < 8; c++)
		cr_expect_eq(tce_pool_hash(c), want[c], "cpu %u", c);
}

Test(alloc_tce, cpus_use_their_pools)
{
	struct tce_table t;

	init_1g(&t);
	/* pool = hash & 3: cpu 1 -> 1, cpu 2 -> 3, cpu 4 -> 2, cpu 3 -> 0 */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 1, NULL), 49152);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 2, NULL), 147456);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 4, NULL), 98304);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 3, NULL), 1);
	/* cpu 6 shares pool 1 with cpu 1: next block, 49152 + 16 */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 6, NULL), 49168);
	cr_expect_eq(t.pools[1].hint, 49184);
	tce_table_free(&t);

	/* a one-pool table ignores the hash: every cpu uses pool 0 */
	init_256m(&t);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 2, NULL), 1);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 5, NULL), 16);
	tce_table_free(&t);
}

Test(alloc_tce, wrap_and_pass1_restart)
{
	struct tce_table t;
	static const uint64_t want[] = {1, 16, 32, 48, 64, 80, 96};

	init_256m(&t);
	/* pool 0 = [0, 49152); leave only 1..99 free */
	tce_table_reserve(&t, 100, 49152);
	cr_expect_eq(t.reserved, 1 + 49052);
	for (unsigned i = 0; i < 7; i++)
		cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), want[i]);
	/* hint 112: pass 0 scans 112..49150 (all reserved) and fails; hint = 0; pass 1 -> 2 */
	cr_expect_eq(t.pools[0].hint, 112);
	/* search_bits so far: 2 for the first (start 0, end 2), then 1 each: 2 + 6 = 8 */
	cr_expect_eq(t.search_bits, 8);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 2);
	/* the failed pass passed over (49152 - 1) - 112 = 49039, pass 1 over 3 - 0 = 3 */
	cr_expect_eq(t.search_bits, 8 + 49039 + 3);
	/* end 3 -> hint 16; 16 is taken so the next is 17, hint (18 + 15) & ~15 = 32 */
	cr_expect_eq(t.pools[0].hint, 16);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 17);
	cr_expect_eq(t.pools[0].hint, 32);
	cr_expect_eq(t.failures, 0);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, last_entry_of_limit_unused)
{
	struct tce_table t;

	init_256m(&t);
	/* only 49151 (the last entry of pool 0) free below the large pool */
	tce_table_reserve(&t, 1, 49151);
	/*
	 * iommu_area_alloc() searches below limit - 1 = 49151, so pool 0 fails on pass 0, 1 and
	 * 2 (nr_pools = 1: "the next pool" is pool 0 again); pass 3 = the large pool: 49152.
	 */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 49152);
	cr_expect_eq(t.map[49151 / 64] >> (49151 % 64) & 1, 0);
	/* a small alloc that lands in the large pool bumps the large hint by blocks: 49168 */
	cr_expect_eq(t.large_pool.hint, 49168);
	cr_expect_eq(t.pools[0].hint, 0);
	tce_table_free(&t);
}

Test(alloc_tce, exhaustion_all_pools_then_large_then_fail)
{
	struct tce_table t;
	uint64_t want[58], n;
	unsigned k = 0, i;

	/*
	 * 64 entries of 16 MiB (1 GiB): pools [0,12) [12,24) [24,36) [36,48), large [48,64).
	 * Searches stop one below each limit, so 11, 23, 35, 47 and 63 are never handed out;
	 * entry 0 is reserved. CPU 0: pool 0 gives 1..10 (the hint 16 >= 12 wraps to 0 each
	 * time), then pass 2 resets pool 1's hint and takes 12..22 one by one, then pool 2
	 * 24..34, pool 3 36..46, pool 0 again (pass 5), the large pool (pass 6) 48..62.
	 */
	for (i = 1; i <= 10; i++)
		want[k++] = i;
	for (i = 12; i <= 22; i++)
		want[k++] = i;
	for (i = 24; i <= 34; i++)
		want[k++] = i;
	for (i = 36; i <= 46; i++)
		want[k++] = i;
	for (i = 48; i <= 62; i++)
		want[k++] = i;
	cr_assert_eq(k, 58);

	cr_assert_eq(tce_table_init(&t, 64, 0, 24), 0);
	for (i = 0; i < 58; i++) {
		n = tce_alloc(&t, 1, 0, NOMASK >> 24, 0, 0, NULL);
		cr_assert_eq(n, want[i], "alloc %u: got %lu want %lu", i, (unsigned long)n,
			     (unsigned long)want[i]);
	}
	cr_expect_eq(t.failures, 0);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 24, 0, 0, NULL), FAIL);
	cr_expect_eq(t.failures, 1);
	cr_expect_eq(t.used, 58);
	cr_expect_eq(t.peak, 58);
	/* each pool tried was restarted from its start */
	cr_expect_eq(t.pools[0].hint, 0);
	cr_expect_eq(t.pools[1].hint, 12);
	cr_expect_eq(t.pools[3].hint, 36);
	cr_expect_eq(t.large_pool.hint, 48);
	check_counts(&t);

	/* a large request fails the same way: large, large, pools 1, 2, 3, 0, large */
	cr_expect_eq(tce_alloc(&t, 16, 0, NOMASK >> 24, 0, 0, NULL), FAIL);
	cr_expect_eq(t.failures, 2);
	/* free one in pool 2: CPU 0 finds it after pools 0 and 1 */
	tce_free(&t, 30, 1);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 24, 0, 0, NULL), 30);
	tce_table_free(&t);
}

Test(alloc_tce, mask_restricts_search)
{
	struct tce_table t;

	init_1g(&t);
	/*
	 * 512 MiB device mask: 0x1fffffff >> 12 = 0x1ffff = 131071. CPU 2 -> pool 3, end
	 * 196608 > 131071 -> limit = 131071 - 0 + 1 = 131072; start = 147456 & 0x1ffff = 16384
	 * (< limit, pass 0) -> n = 16384 in pool 0's range; pool 3's hint becomes 16400.
	 */
	cr_expect_eq(tce_alloc(&t, 1, 0, 0x1fffffffull >> 12, B4G_4K, 2, NULL), 16384);
	cr_expect_eq(t.pools[3].hint, 16400);
	cr_expect_eq(t.pools[0].hint, 0);
	/* a large alloc under the mask: large pool 196608 & 0x1ffff = 65536 */
	cr_expect_eq(tce_alloc(&t, 32, 0, 0x1fffffffull >> 12, B4G_4K, 0, NULL), 65536);
	cr_expect_eq(t.large_pool.hint, 65568);
	/* pool 0 (end 49152) is below the mask: unaffected */
	cr_expect_eq(tce_alloc(&t, 1, 0, 0x1fffffffull >> 12, B4G_4K, 0, NULL), 1);
	tce_table_free(&t);
}

Test(alloc_tce, mask_second_pass_starts_at_pool0)
{
	struct tce_table t;

	init_1g(&t);
	tce_table_reserve(&t, 16384, 131072);
	/*
	 * CPU 2, mask 131071: pass 0 searches [16384, 131071) -- all reserved -- and fails;
	 * pool 3's hint = 147456. Pass 1: the limit is capped again and pass > 0, so the
	 * search moves to pool 0 from its start: n = 1; pool 0's hint = 16, pool 3's stays.
	 */
	cr_expect_eq(tce_alloc(&t, 1, 0, 0x1fffffffull >> 12, B4G_4K, 2, NULL), 1);
	cr_expect_eq(t.pools[0].hint, 16);
	cr_expect_eq(t.pools[3].hint, 147456);
	tce_table_free(&t);

	/* a mask below the window cannot be served */
	cr_assert_eq(tce_table_init(&t, 4096, 0x100000, 12), 0);
	cr_expect_eq(tce_alloc(&t, 1, 0, 0xfffff, B4G_4K, 0, NULL), FAIL);
	cr_expect_eq(t.failures, 1);
	tce_table_free(&t);
}

/* 256 MiB table at entry offset 8 (bus 32 KiB) with entries [0, 241) taken. */
static void init_boundary(struct tce_table *t)
{
	cr_assert_eq(tce_table_init(t, 65536, 8, 12), 0);
	tce_table_reserve(t, 0, 241);
	cr_assert_eq(t->reserved, 241);
}

Test(alloc_tce, segment_boundary_avoided)
{
	struct tce_table t;

	init_boundary(&t);
	/*
	 * 8 pages, boundary 256 entries (1 MiB): first zero 241, bus entry 8 + 241 = 249,
	 * 249 % 256 + 8 = 257 > 256 crosses; restart at ALIGN(249, 256) - 8 = 248:
	 * (8 + 248) % 256 = 0 -> n = 248, bus address (8 + 248) << 12 = 0x100000.
	 */
	cr_expect_eq(tce_alloc(&t, 8, 0, NOMASK >> 12, 256, 0, NULL), 248);
	/* hint = (256 + 15) & ~15 = 256 */
	cr_expect_eq(t.pools[0].hint, 256);
	/* more pages than the boundary can never fit; not a power of two is refused */
	cr_expect_eq(tce_alloc(&t, 300, 0, NOMASK >> 12, 256, 0, NULL), FAIL);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, 100, 0, NULL), FAIL);
	cr_expect_eq(t.failures, 2);
	check_counts(&t);
	tce_table_free(&t);

	/* without a boundary the same request takes 241 */
	init_boundary(&t);
	cr_expect_eq(tce_alloc(&t, 8, 0, NOMASK >> 12, 0, 0, NULL), 241);
	tce_table_free(&t);

	/* the PCI default 4 GiB: (0xffffffff >> 12) + 1 = 2^20 entries: no crossing here */
	cr_expect_eq(tce_boundary_pages(TCE_PCI_SEG_BOUNDARY, 12), B4G_4K);
	cr_expect_eq(tce_boundary_pages(TCE_PCI_SEG_BOUNDARY, 16), 65536);
	cr_expect_eq(tce_boundary_pages(UINT64_MAX, 0), 0);
	init_boundary(&t);
	cr_expect_eq(tce_alloc(&t, 8, 0, NOMASK >> 12, B4G_4K, 0, NULL), 241);
	tce_table_free(&t);
}

Test(alloc_tce, free_then_realloc)
{
	struct tce_table t;

	init_256m(&t);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 1);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 16);
	/* __iommu_free only clears bits: the hint (32) does not move back */
	tce_free(&t, 1, 1);
	cr_expect_eq(t.pools[0].hint, 32);
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, NULL), 32);
	/* large: 49152 (hint 49168), freed, the next large one still goes to the hint */
	cr_expect_eq(tce_alloc(&t, 16, 0, NOMASK >> 12, B4G_4K, 0, NULL), 49152);
	tce_free(&t, 49152, 16);
	cr_expect_eq(tce_alloc(&t, 16, 0, NOMASK >> 12, B4G_4K, 0, NULL), 49168);
	/* the hint (48) is past the hole freed at 16: a new request goes to 48 */
	tce_free(&t, 16, 1);
	cr_expect_eq(tce_alloc(&t, 2, 0, NOMASK >> 12, B4G_4K, 0, NULL), 48);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, used_peak_reserved_accounting)
{
	struct tce_table t;
	uint64_t a, b, c;

	init_256m(&t);
	cr_expect_eq(t.reserved, 1);
	/* an MMIO32-like hole [100, 200): 100 more reserved */
	tce_table_reserve(&t, 100, 200);
	cr_expect_eq(t.reserved, 101);
	cr_expect_eq(t.res_start, 100);
	cr_expect_eq(t.res_end, 200);
	a = tce_alloc(&t, 4, 0, NOMASK >> 12, B4G_4K, 0, NULL);
	b = tce_alloc(&t, 20, 0, NOMASK >> 12, B4G_4K, 0, NULL);
	cr_expect_eq(t.used, 24);
	cr_expect_eq(t.peak, 24);
	tce_free(&t, a, 4);
	cr_expect_eq(t.used, 20);
	c = tce_alloc(&t, 2, 0, NOMASK >> 12, B4G_4K, 0, NULL);
	cr_expect_eq(t.used, 22);
	cr_expect_eq(t.peak, 24);
	/* double free and out-of-table free change nothing */
	tce_free(&t, a, 4);
	tce_free(&t, 65530, 10);
	tce_free(&t, UINT64_MAX - 2, 4);
	cr_expect_eq(t.used, 22);
	tce_free(&t, b, 20);
	tce_free(&t, c, 2);
	cr_expect_eq(t.used, 0);
	cr_expect_eq(t.peak, 24);
	cr_expect_eq(t.reserved, 101);
	/* a free over reserved entries clears them (as the kernel would) and counts them */
	tce_free(&t, 98, 4);
	cr_expect_eq(t.reserved, 99);
	cr_expect_eq(t.used, 0);
	tce_free(&t, 0, 1);
	cr_expect_eq(t.reserved, 98);
	check_counts(&t);
	/* the reserve is clamped to the table */
	tce_table_reserve(&t, 65500, 70000);
	cr_expect_eq(t.reserved, 98 + 1 + 36);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, sg_handle_chains)
{
	struct tce_table t;
	uint64_t h = 0;

	init_256m(&t);
	/* handle 0 is ignored: hint 0 -> n = 1, handle = end = 2 */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, &h), 1);
	cr_expect_eq(h, 2);
	/* handle 2 lies in pool 0: start there -> n = 2 (without it: hint 16) */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, &h), 2);
	cr_expect_eq(h, 3);
	/* a large element: handle 3 is not in the large pool -> its hint, 49152 */
	cr_expect_eq(tce_alloc(&t, 16, 0, NOMASK >> 12, B4G_4K, 0, &h), 49152);
	cr_expect_eq(h, 49168);
	/* small after large: handle 49168 is not in pool 0 -> pool 0's hint 16 */
	cr_expect_eq(tce_alloc(&t, 1, 0, NOMASK >> 12, B4G_4K, 0, &h), 16);
	tce_table_free(&t);
}

static const struct tce_dev dev4k = {
	.dma_mask = UINT64_MAX, .coherent_mask = UINT64_MAX,
	.seg_boundary = TCE_PCI_SEG_BOUNDARY, .max_seg_size = TCE_PCI_MAX_SEG_SIZE,
	.kernel_page_shift = 12,
};

Test(alloc_tce, map_sg_merges)
{
	struct tce_table t;
	struct tce_sg sg[4] = {
		{.vaddr = 0x10000, .len = 0x1000},
		{.vaddr = 0x55000, .len = 0x1000},
		{.vaddr = 0x77000, .len = 0x800},
		{.vaddr = 0x1000200, .len = 0x100},
	};
	struct tce_dev d = dev4k;

	init_256m(&t);
	/*
	 * n = 1 (dma 0x1000, next 0x2000, handle 2); n = 2 (dma 0x2000 == next: merge);
	 * n = 3 (dma 0x3000: merge, next 0x3800); n = 4, dma 0x4200 != 0x3800: new segment.
	 */
	cr_expect_eq(tce_map_sg(&t, &d, 0, sg, 4), 2);
	cr_expect_eq(sg[0].dma, 0x1000);
	cr_expect_eq(sg[1].dma, 0x2000);
	cr_expect_eq(sg[2].dma, 0x3000);
	cr_expect_eq(sg[3].dma, 0x4200);
	cr_expect_eq(sg[2].out, 0);
	cr_expect_eq(sg[3].out, 1);
	cr_expect_eq(t.used, 4);
	tce_unmap_sg(&t, sg, 4);
	cr_expect_eq(t.used, 0);

	/*
	 * iommu=novmerge: four segments. Pool 0's hint was left at (4 + 1 + 15) & ~15 = 16 and
	 * freeing does not move it: entries 16, 17, 18, 19 (the handle chains them).
	 */
	d.novmerge = 1;
	cr_expect_eq(tce_map_sg(&t, &d, 0, sg, 4), 4);
	cr_expect_eq(sg[0].entry, 16);
	cr_expect_eq(sg[3].entry, 19);
	cr_expect_eq(sg[1].dma, 0x11000);
	tce_unmap_sg(&t, sg, 4);

	/* max_seg_size 0x2000 (entries 32..35): the first two merge (0x2000), the third would
	 * make 0x2800, the fourth is not contiguous */
	d.novmerge = 0;
	d.max_seg_size = 0x2000;
	cr_expect_eq(tce_map_sg(&t, &d, 0, sg, 4), 3);
	cr_expect_eq(sg[0].entry, 32);
	cr_expect_eq(sg[2].out, 1);
	tce_unmap_sg(&t, sg, 4);

	/* a leading empty element: the kernel opens an empty first segment (outcount 2) */
	sg[0].len = 0;
	cr_expect_eq(tce_map_sg(&t, &d, 0, sg, 2), 2);
	cr_expect_eq(sg[0].npages, 0);
	cr_expect_eq(sg[1].out, 1);
	tce_unmap_sg(&t, sg, 2);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, map_sg_failure_backs_out)
{
	struct tce_table t;
	struct tce_sg sg[3] = {
		{.vaddr = 0x10000, .len = 0x3000},
		{.vaddr = 0x20000, .len = 0},
		{.vaddr = 0x40000000, .len = 60000ull << 12},
	};

	init_256m(&t);
	/* 60000 entries fit neither pool 0 (49151 usable) nor the large pool (16383) */
	cr_expect_eq(tce_map_sg(&t, &dev4k, 0, sg, 3), -1);
	cr_expect_eq(t.used, 0);
	cr_expect_eq(t.failures, 1);
	cr_expect_eq(tce_map_sg(&t, &dev4k, 0, sg, 0), -1);
	check_counts(&t);
	tce_table_free(&t);
}

Test(alloc_tce, coherent_order_and_pages)
{
	/* get_iommu_order(size) = ilog2((size - 1) >> 12) + 1, ilog2(0) = -1 */
	cr_expect_eq(tce_coherent_order(4096, 12, 12), 0);     /* 4095 >> 12 = 0 -> 0 */
	cr_expect_eq(tce_coherent_order(8192, 12, 12), 1);     /* 8191 >> 12 = 1 -> 1 */
	cr_expect_eq(tce_coherent_order(12288, 12, 12), 2);    /* 12287 >> 12 = 2 -> 2 */
	cr_expect_eq(tce_coherent_order(100, 12, 12), 0);      /* PAGE_ALIGN -> 4096 */
	/* 64K kernel: 100 bytes -> 65536; 65535 >> 12 = 15 -> ilog2 3 + 1 = 4 */
	cr_expect_eq(tce_coherent_order(100, 12, 16), 4);
	cr_expect_eq(tce_coherent_order(0x10000, 16, 16), 0);
	cr_expect_eq(tce_coherent_npages(100, 12, 16), 16);
	cr_expect_eq(tce_coherent_npages(8192, 12, 12), 2);
	/* 16 MiB: get_order = fls(4095) = 12 < 13 -> 4096 pages; 32 MiB: order 13 refused */
	cr_expect_eq(tce_coherent_npages(16ull << 20, 12, 12), 4096);
	cr_expect_eq(tce_coherent_npages(32ull << 20, 12, 12), 0);
	cr_expect_eq(tce_coherent_npages(0, 12, 12), 0);
}

Test(alloc_tce, alloc_coherent)
{
	struct tce_table t;
	struct tce_dev d64 = dev4k;
	uint64_t e, np, dma;

	init_1g(&t);
	/* 8 KiB on 4K pages: 2 entries, order 1: first zero 1 -> aligned to 2 */
	dma = tce_alloc_coherent(&t, &dev4k, 0, 0x7000000, 8192, &e, &np);
	cr_expect_eq(e, 2);
	cr_expect_eq(np, 2);
	cr_expect_eq(dma, 0x2000);
	tce_free_coherent(&t, &dev4k, dma, 8192);
	cr_expect_eq(t.used, 0);
	/* 64K kernel: 100 bytes -> 16 entries, order 4: large pool 196608 -> bus 0x30000000 */
	d64.kernel_page_shift = 16;
	dma = tce_alloc_coherent(&t, &d64, 0, 0x7000000, 100, &e, &np);
	cr_expect_eq(dma, 0x30000000);
	cr_expect_eq(np, 16);
	tce_free_coherent(&t, &d64, dma, 100);
	cr_expect_eq(t.used, 0);
	/* too large: refused before the allocator, not a failure */
	cr_expect_eq(tce_alloc_coherent(&t, &dev4k, 0, 0, 32ull << 20, &e, &np), FAIL);
	cr_expect_eq(np, 0);
	cr_expect_eq(t.failures, 0);
	check_counts(&t);
	tce_table_free(&t);
}

/* ---- a bit-by-bit reference of the same kernel rules, for random cross-checks ---------- */

struct ref {
	uint64_t size, offset, poolsize;
	unsigned nr_pools;
	struct tce_pool pools[4], large;
	unsigned char *bits;
};

static void ref_init(struct ref *r, const struct tce_table *t)
{
	r->size = t->size;
	r->offset = t->offset;
	r->nr_pools = t->nr_pools;
	r->poolsize = t->size * 3 / 4 / t->nr_pools;
	for (unsigned i = 0; i < r->nr_pools; i++) {
		r->pools[i].start = r->pools[i].hint = r->poolsize * i;
		r->pools[i].end = r->poolsize * (i + 1);
	}
	r->large.start = r->large.hint = r->poolsize * r->nr_pools;
	r->large.end = t->size;
	r->bits = calloc(t->size, 1);
	for (uint64_t i = 0; i < t->size; i++)
		r->bits[i] = (t->map[i / 64] >> (i % 64)) & 1;
}

static uint64_t ref_area(struct ref *r, uint64_t limit, uint64_t start, uint64_t nr,
			 uint64_t bs, uint64_t am)
{
	uint64_t size = limit - 1, idx, i;

	for (idx = start;; idx++) {
		idx = (idx + am) & ~am;
		if (idx + nr > size)
			return FAIL;
		if (bs && ((r->offset + idx) % bs) + nr > bs)
			continue;
		for (i = 0; i < nr && !r->bits[idx + i]; i++)
			;
		if (i < nr) {
			idx += i;   /* every candidate up to the set bit contains it */
			continue;
		}
		memset(r->bits + idx, 1, nr);
		return idx;
	}
}

static uint64_t ref_alloc(struct ref *r, uint64_t np, unsigned ao, uint64_t mask, uint64_t bs,
			  unsigned cpu, uint64_t *h)
{
	unsigned pn = (unsigned)(((uint32_t)cpu * 0x61C88647u) >> 30) & (r->nr_pools - 1);
	struct tce_pool *p = np > 15 ? &r->large : &r->pools[pn];
	uint64_t start, limit, n, end;
	unsigned pass = 0;

	for (;;) {
		start = (pass == 0 && h && *h && *h >= p->start && *h < p->end) ? *h : p->hint;
		limit = p->end;
		if (start >= limit)
			start = p->start;
		if (limit + r->offset > mask) {
			limit = mask - r->offset + 1;
			if ((start & mask) >= limit || pass > 0) {
				p = &r->pools[0];
				start = p->start;
			} else {
				start &= mask;
			}
		}
		n = ref_area(r, limit, start, np, bs, (1ull << ao) - 1);
		if (n != FAIL)
			break;
		if (pass == 0) {
			p->hint = p->start;
		} else if (pass <= r->nr_pools) {
			pn = (pn + 1) & (r->nr_pools - 1);
			p = &r->pools[pn];
			p->hint = p->start;
		} else if (pass == r->nr_pools + 1) {
			p = &r->large;
			p->hint = p->start;
		} else {
			return FAIL;
		}
		pass++;
	}
	end = n + np;
	p->hint = np > 15 ? end : (end + 15) & ~15ull;
	if (h)
		*h = end;
	return n;
}

struct live {
	uint64_t n, np;
};

/* xorshift64*: deterministic random numbers */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void cross_check(uint64_t size, uint64_t offset, unsigned shift, uint64_t seed,
			unsigned ops)
{
	static const uint64_t bsz[] = {0, 64, 256, 1ull << 20};
	struct tce_table t;
	struct ref r;
	struct live *lv;
	unsigned nlive = 0;
	uint64_t masks[4], h = 0;

	cr_assert_eq(tce_table_init(&t, size, offset, shift), 0);
	tce_table_reserve(&t, size / 3, size / 3 + 37);
	ref_init(&r, &t);
	lv = calloc(ops, sizeof(*lv));
	masks[0] = UINT64_MAX >> shift;
	masks[1] = offset + size / 2 - 1;
	masks[2] = offset + size - 1;         /* exactly the table end */
	masks[3] = offset + size / 5 + 3;
	for (unsigned i = 0; i < ops; i++) {
		uint64_t x = rnd(&seed);

		if (nlive && (x % 100) < 45) {
			unsigned k = (unsigned)((x >> 8) % nlive);

			tce_free(&t, lv[k].n, lv[k].np);
			memset(r.bits + lv[k].n, 0, lv[k].np);
			lv[k] = lv[--nlive];
		} else {
			uint64_t np = (x >> 8) % 8 == 0 ? 1 + (x >> 12) % 300 : 1 + (x >> 12) % 15;
			unsigned ao = (x >> 24) % 6 == 0 ? (unsigned)((x >> 28) % 5) : 0;
			uint64_t mask = masks[(x >> 32) % 4];
			uint64_t bs = bsz[(x >> 36) % 4];
			unsigned cpu = (unsigned)((x >> 40) % 8);
			int use_h = (x >> 44) % 3 == 0;
			uint64_t h2 = h, n, m;

			if (!use_h)
				h = h2 = 0;
			n = tce_alloc(&t, np, ao, mask, bs, cpu, use_h ? &h : NULL);
			m = ref_alloc(&r, np, ao, mask, bs, cpu, use_h ? &h2 : NULL);
			cr_assert_eq(n, m, "op %u: np %lu ao %u cpu %u: model %lu ref %lu", i,
				     (unsigned long)np, ao, cpu, (unsigned long)n,
				     (unsigned long)m);
			cr_assert_eq(h, h2);
			if (n != FAIL) {
				lv[nlive].n = n;
				lv[nlive++].np = np;
			}
		}
		for (unsigned p = 0; p < t.nr_pools; p++)
			cr_assert_eq(t.pools[p].hint, r.pools[p].hint);
		cr_assert_eq(t.large_pool.hint, r.large.hint);
	}
	for (uint64_t b = 0; b < size; b++)
		cr_assert_eq((t.map[b / 64] >> (b % 64)) & 1, r.bits[b]);
	/* the workload must have filled the table and hit every failure path */
	cr_expect_gt(t.failures, 0);
	cr_expect_gt(t.peak, size / 2);
	check_counts(&t);
	free(lv);
	free(r.bits);
	tce_table_free(&t);
}

Test(alloc_tce, cross_check_reference_4_pools)
{
	/* 16384 entries of 64K = 1 GiB (4 pools of 3072), offset 0 */
	cross_check(16384, 0, 16, 0x9e3779b97f4a7c15ull, 60000);
}

Test(alloc_tce, cross_check_reference_offset)
{
	/* an odd-sized one-pool table at a non-zero offset (boundary checks use bus entries) */
	cross_check(5000, 0x3f1, 12, 0x1234567ull, 40000);
}

Test(alloc_tce, steady_state_churn_is_fast)
{
	struct tce_table t;
	struct live ring[4096];
	uint64_t seed = 42;

	/* 1 GiB of 4K TCEs, 4096 live mappings, 1M map/unmap pairs from 16 CPUs */
	init_1g(&t);
	memset(ring, 0, sizeof(ring));
	for (unsigned i = 0; i < 1000000; i++) {
		uint64_t x = rnd(&seed);
		struct live *l = &ring[i % 4096];

		if (l->np)
			tce_free(&t, l->n, l->np);
		l->np = (x & 7) == 0 ? 16 + (x >> 8) % 32 : 1 + (x >> 8) % 4;
		l->n = tce_alloc(&t, l->np, 0, NOMASK >> 12, B4G_4K, (unsigned)(x >> 20) % 16,
				 NULL);
		cr_assert_neq(l->n, FAIL);
	}
	cr_expect_eq(t.failures, 0);
	check_counts(&t);
	tce_table_free(&t);
}
