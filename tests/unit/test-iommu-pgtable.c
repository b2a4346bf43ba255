/*
 * test-iommu-pgtable.c: iommu_map()/iommu_unmap() page-table work on ranges worked by hand
 * from Linux 6.12's iommu_pgsize(), __iommu_map(), __iommu_unmap() and the radix tables of
 * io-pgtable-arm / intel-iommu (4 KiB granule, 512 entries a table).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "iommu-pgtable.h"

#define K4 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull

static void pt48(struct iopt *pt)
{
	struct iopt_config cfg = { .pgsize_bitmap = 0, .va_bits = 48 };

	cr_assert_eq(iopt_init(pt, &cfg), 0);
}

Test(pgtable, levels_and_bad_config)
{
	struct iopt pt;
	struct iopt_config cfg = { .va_bits = 39 };

	cr_assert_eq(iopt_init(&pt, &cfg), 0);
	cr_assert_eq(pt.levels, 3);
	iopt_free(&pt);
	pt48(&pt);
	cr_assert_eq(pt.levels, 4);
	cr_assert_eq(pt.tables_now, 1);
	iopt_free(&pt);
	cfg.pgsize_bitmap = K4 | 0x10000;	/* 64 KiB is not a level of the 4 KiB radix */
	cr_assert_eq(iopt_init(&pt, &cfg), -ISM_ERANGE);
	cfg.pgsize_bitmap = 0;
	cfg.va_bits = 20;
	cr_assert_eq(iopt_init(&pt, &cfg), -ISM_ERANGE);
}

Test(pgtable, iommu_pgsize_rules)
{
	const uint64_t bm = K4 | M2 | G1;
	uint64_t count;

	/* 2 MiB aligned both sides: one 2 MiB page */
	cr_assert_eq(iopt_pgsize(bm, 0x200000, 0x40200000, M2, &count), M2);
	cr_assert_eq(count, 1);
	/* 4 KiB below a 2 MiB boundary with equal offsets: stop at the boundary (count 1) */
	cr_assert_eq(iopt_pgsize(bm, 0x1ff000, 0x1ff000, 0x201000, &count), K4);
	cr_assert_eq(count, 1);
	/* offsets differ within 2 MiB: 4 KiB pages all the way (crossing tables) */
	cr_assert_eq(iopt_pgsize(bm, 0x200000, 0x201000, 4 * M2, &count), K4);
	cr_assert_eq(count, 2048);
	/* not enough left for the larger page: the count runs to the end */
	cr_assert_eq(iopt_pgsize(bm, 0x1ff000, 0x1ff000, 0x3000, &count), K4);
	cr_assert_eq(count, 3);
	/* 1 GiB needs 1 GiB alignment: 0x40000000 + 1 GiB */
	cr_assert_eq(iopt_pgsize(bm, G1, 2 * G1, G1, &count), G1);
	cr_assert_eq(count, 1);
}

/*
 * 8 KiB at 0xffffe000 in an empty 4-level table: one walk down 3 levels, allocating the
 * level-3, -2 and -1 tables, two leaf entries. A neighbour in the same leaf table walks again
 * but allocates nothing; one in the next leaf table allocates that one table.
 */
Test(pgtable, map_walks_and_allocates)
{
	struct iopt pt;
	struct iopt_work w = { 0 };

	pt48(&pt);
	cr_assert_eq(iopt_map(&pt, 0xffffe000, 0x12345000, 2 * K4, &w), 0);
	cr_assert_eq(w.map_calls, 1);
	cr_assert_eq(w.walks, 1);
	cr_assert_eq(w.walk_steps, 3);
	cr_assert_eq(w.tables_alloc, 3);
	cr_assert_eq(w.ptes_set[1], 2);
	cr_assert_eq(pt.tables_now, 4);
	memset(&w, 0, sizeof(w));
	cr_assert_eq(iopt_map(&pt, 0xffffd000, 0x5000, K4, &w), 0);
	cr_assert_eq(w.tables_alloc, 0);
	cr_assert_eq(w.walks, 1);
	memset(&w, 0, sizeof(w));
	cr_assert_eq(iopt_map(&pt, 0xffdff000, 0x6000, K4, &w), 0);
	cr_assert_eq(w.tables_alloc, 1);
	/* 12 KiB across a 2 MiB boundary: one call of 3 pages, two walks (two leaf tables) */
	memset(&w, 0, sizeof(w));
	cr_assert_eq(iopt_map(&pt, 0x3ff000, 0x9000, 3 * K4, &w), 0);
	cr_assert_eq(w.map_calls, 1);
	cr_assert_eq(w.walks, 2);
	cr_assert_eq(w.ptes_set[1], 3);
	/* over a present entry: refused */
	cr_assert_eq(iopt_map(&pt, 0xffffe000, 0x1000, K4, NULL), -ISM_ERANGE);
	cr_assert_eq(iopt_map(&pt, 0x1000, 0x800, K4, NULL), -ISM_ERANGE, "unaligned");
	cr_assert_eq(pt.w.errors, 2);
	iopt_free(&pt);
}

/* Unmapping part of a leaf table clears entries and keeps the tables. */
Test(pgtable, unmap_keeps_tables_unless_covered)
{
	struct iopt pt;
	struct iopt_work w = { 0 };

	pt48(&pt);
	cr_assert_eq(iopt_map(&pt, 0xffffe000, 0x12345000, 2 * K4, NULL), 0);
	cr_assert_eq(iopt_unmap(&pt, 0xffffe000, 2 * K4, &w), 2 * K4);
	cr_assert_eq(w.ptes_cleared[1], 2);
	cr_assert_eq(w.tables_freed, 0);
	cr_assert_eq(pt.tables_now, 4);
	/*
	 * 2 MiB of 4 KiB pages (phys offset by 4 KiB, so no block): unmap picks 2 MiB from the
	 * IOVA alone, and the level-2 entry covers its whole leaf table: the table is freed.
	 */
	memset(&w, 0, sizeof(w));
	cr_assert_eq(iopt_map(&pt, 0x80000000, 0x10001000, M2, &w), 0);
	cr_assert_eq(w.ptes_set[1], 512);
	cr_assert_eq(w.tables_alloc, 2);	/* level-2 and leaf tables under the new 1G */
	memset(&w, 0, sizeof(w));
	cr_assert_eq(iopt_unmap(&pt, 0x80000000, M2, &w), M2);
	cr_assert_eq(w.unmap_calls, 1);
	cr_assert_eq(w.tables_freed, 1);
	cr_assert_eq(w.ptes_cleared[2], 1);
	cr_assert_eq(w.ptes_cleared[1], 0);
	/* a hole stops the unmap */
	cr_assert_eq(iopt_unmap(&pt, 0x80000000, K4, NULL), 0);
	iopt_free(&pt);
}

/* Superpages: a 2 MiB block where both addresses allow it; a partial unmap takes all of it. */
Test(pgtable, superpage_block)
{
	struct iopt pt;
	struct iopt_work w = { 0 };

	pt48(&pt);
	cr_assert_eq(iopt_map(&pt, G1, 2 * G1, M2, &w), 0);
	cr_assert_eq(w.ptes_set[2], 1);
	cr_assert_eq(w.ptes_set[1], 0);
	cr_assert_eq(w.walk_steps, 2);
	cr_assert_eq(iopt_unmap(&pt, G1, K4, NULL), M2, "intel_iommu_unmap() rounds up");
	/* 1 GiB + 4 KiB: one 1 GiB block, then a 4 KiB page */
	memset(&w, 0, sizeof(w));
	cr_assert_eq(iopt_map(&pt, 4 * G1, 8 * G1, G1 + K4, &w), 0);
	cr_assert_eq(w.map_calls, 2);
	cr_assert_eq(w.ptes_set[3], 1);
	cr_assert_eq(w.ptes_set[1], 1);
	/* 4 KiB only (bitmap without superpages): 512 entries */
	iopt_free(&pt);
	{
		struct iopt_config cfg = { .pgsize_bitmap = K4, .va_bits = 48 };

		cr_assert_eq(iopt_init(&pt, &cfg), 0);
		memset(&w, 0, sizeof(w));
		cr_assert_eq(iopt_map(&pt, G1, 2 * G1, M2, &w), 0);
		cr_assert_eq(w.ptes_set[1], 512);
		cr_assert_eq(w.map_calls, 1);
		iopt_free(&pt);
	}
}

/* An empty leaf table left by earlier unmaps is replaced by a block (and freed). */
Test(pgtable, block_replaces_empty_table)
{
	struct iopt pt;
	struct iopt_work w = { 0 };

	pt48(&pt);
	cr_assert_eq(iopt_map(&pt, G1, 0x1000, K4, NULL), 0);
	cr_assert_eq(iopt_unmap(&pt, G1, K4, NULL), K4);
	cr_assert_eq(iopt_map(&pt, G1, 2 * G1, M2, &w), 0);
	cr_assert_eq(w.tables_freed, 1);
	cr_assert_eq(w.ptes_set[2], 1);
	iopt_free(&pt);
}
