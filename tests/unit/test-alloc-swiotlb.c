/*
 * test-alloc-swiotlb.c: the swiotlb slot allocator model, checked against cases worked by hand
 * from the rules of kernel/dma/swiotlb.c (the arithmetic is in the comments), plus seeded
 * random runs that check the free-run counts against a recount.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc-swiotlb.h"
#include "error.h"
#include "util.h"

#define BASE 0x10000000ull	/* 256 MiB: page and 64 KiB aligned */
#define PS 12			/* 4 KiB pages */
#define SLOT 2048ull

/* A streaming map with no device constraints: min_align 0, alloc_align 0, no boundary. */
static uint64_t map(struct swiotlb_pool *p, uint64_t orig, uint64_t size, unsigned cpu,
		    uint64_t *tlb)
{
	return swiotlb_alloc(p, orig, size, 0, 0, 0, PS, cpu, tlb);
}

static void pool(struct swiotlb_pool *p, uint64_t nslabs, unsigned ncpus)
{
	cr_assert_eq(swiotlb_pool_init(p, nslabs, 0, ncpus, BASE), 0);
}

/*
 * Recount: a used slot has list 0; a free slot's list is 1 + the next slot's when that one is
 * free and in the same 128-slot segment, else 1. The used counts must match the zeros.
 */
static void check_pool(const struct swiotlb_pool *p)
{
	uint64_t i, zeros = 0, want, area_zeros;
	unsigned a;

	for (i = p->nslabs; i-- > 0;) {
		if (!swiotlb_slot_list(p, i)) {
			zeros++;
			continue;
		}
		want = 1;
		if (i + 1 < p->nslabs && (i + 1) % SWIOTLB_SEGSIZE && swiotlb_slot_list(p, i + 1))
			want += swiotlb_slot_list(p, i + 1);
		cr_assert_eq(swiotlb_slot_list(p, i), want, "slot %lu: list %lu, want %lu",
			     (unsigned long)i, (unsigned long)swiotlb_slot_list(p, i),
			     (unsigned long)want);
	}
	cr_assert_eq(zeros, p->used);
	for (a = 0; a < p->nareas; a++) {
		area_zeros = 0;
		for (i = a * p->area_nslabs; i < (a + 1) * p->area_nslabs; i++)
			area_zeros += !swiotlb_slot_list(p, i);
		cr_assert_eq(area_zeros, p->areas[a].used);
	}
	cr_assert_geq(p->hiwater, p->used);
}

/* ---- sizing: setup_io_tlb_npages / swiotlb_adjust_nareas / round_up_default_nslabs ---- */

Test(swiotlb, init_default_pool_on_2_cpus)
{
	struct swiotlb_pool p;

	/* 32768 slots, nareas from 2 CPUs: 2 is a power of two; 32768 >= 128*2 and is a power
	 * of two, so unchanged: 2 areas of 32768/2 = 16384 slots. */
	pool(&p, 32768, 2);
	cr_expect_eq(p.nslabs, 32768);
	cr_expect_eq(p.nareas, 2);
	cr_expect_eq(p.area_nslabs, 16384);
	/* swiotlb_init_io_tlb_pool(): list = 128 - (i mod 128): 128 at a segment start, 1 at
	 * its last slot */
	cr_expect_eq(swiotlb_slot_list(&p, 0), 128);
	cr_expect_eq(swiotlb_slot_list(&p, 127), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 128), 128);
	cr_expect_eq(swiotlb_slot_list(&p, 200), 128 - 72);
	cr_expect_eq(swiotlb_slot_list(&p, 32767), 1);
	cr_expect_eq(p.used, 0);
	swiotlb_pool_free(&p);
}

Test(swiotlb, init_tiny_pool_with_many_cpus_rounds_nslabs_up)
{
	struct swiotlb_pool p;

	/* 256 slots, 8 CPUs: nareas 8; 256 < 128*8 = 1024, so nslabs becomes 1024 (the kernel
	 * grows the pool rather than cutting areas): 8 areas of 128. */
	pool(&p, 256, 8);
	cr_expect_eq(p.nslabs, 1024);
	cr_expect_eq(p.nareas, 8);
	cr_expect_eq(p.area_nslabs, 128);
	swiotlb_pool_free(&p);

	/* 1 slot, 1 CPU: ALIGN(1, 128) = 128 (setup_io_tlb_npages), a power of two. */
	pool(&p, 1, 1);
	cr_expect_eq(p.nslabs, 128);
	cr_expect_eq(p.nareas, 1);
	swiotlb_pool_free(&p);

	/* 6 CPUs: nareas roundup_pow_of_two(6) = 8; 100 slots -> 128 -> below 128*8 -> 1024. */
	pool(&p, 100, 6);
	cr_expect_eq(p.nareas, 8);
	cr_expect_eq(p.nslabs, 1024);
	swiotlb_pool_free(&p);
}

Test(swiotlb, init_rounds_to_power_of_two_and_defaults)
{
	struct swiotlb_pool p;

	/* 100000 -> ALIGN(100000, 128) = 100096 -> not a power of two -> 131072. */
	pool(&p, 100000, 1);
	cr_expect_eq(p.nslabs, 131072);
	cr_expect_eq(p.area_nslabs, 131072);
	swiotlb_pool_free(&p);

	/* 3 CPUs -> 4 areas; 131072 / 4 = 32768 each. */
	pool(&p, 100000, 3);
	cr_expect_eq(p.nareas, 4);
	cr_expect_eq(p.area_nslabs, 32768);
	swiotlb_pool_free(&p);

	/* "swiotlb=,3" wins over 64 CPUs: 3 -> 4 areas. nslabs 0 = IO_TLB_DEFAULT_SIZE:
	 * 64 MiB >> 11 = 32768. */
	cr_assert_eq(swiotlb_pool_init(&p, 0, 3, 64, BASE), 0);
	cr_expect_eq(p.nareas, 4);
	cr_expect_eq(p.nslabs, 32768);
	swiotlb_pool_free(&p);

	/* 0 CPUs: swiotlb_adjust_nareas() treats zero as one. */
	pool(&p, 0, 0);
	cr_expect_eq(p.nareas, 1);
	swiotlb_pool_free(&p);
}

Test(swiotlb, init_rejects_bad_arguments)
{
	struct swiotlb_pool p;

	/* a pool that does not start on a 2 KiB slot */
	cr_expect_eq(swiotlb_pool_init(&p, 128, 0, 1, BASE + 0x400), -ISM_ERANGE);
	cr_expect_eq(swiotlb_pool_init(&p, (1ull << 31) + 1, 0, 1, BASE), -ISM_ERANGE);
	/* a pool that would run past the top of the address space */
	cr_expect_eq(swiotlb_pool_init(&p, 128, 0, 1, UINT64_MAX - 0x7ff), -ISM_ERANGE);
}

/* ---- nslots, preserved offset, alignment ------------------------------------------------ */

Test(swiotlb, min_align_offset_sets_nslots_and_slot_parity)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	/*
	 * NVMe-like device: min_align_mask 0xfff. orig 0x12b45, 4000 bytes.
	 * offset = orig & 0xfff & 0x7ff = 0xb45 & 0x7ff = 0x345 (837)
	 * size = 4000 + 837 = 4837 -> nslots = ceil(4837 / 2048) = 3
	 * min_align also wants bit 11: 0x12b45 & 0x800 = 0x800, so the slot's address must have
	 * bit 11 set: an odd slot (BASE has bit 11 clear). No page alignment (min_align is set).
	 * stride = (0x800 >> 11) + 1 = 2. From index 0: slot 0 wrong parity (1 examined),
	 * slot 1 fits (2 examined).
	 */
	cr_assert_eq(swiotlb_alloc(&p, 0x12b45, 4000, 0xfff, 0, 0, PS, 0, &tlb), 1);
	cr_expect_eq(tlb, BASE + 1 * SLOT + 0x345);
	cr_expect_eq(tlb & 0xfff, 0x12b45 & 0xfff);
	cr_expect_eq(p.used, 3);
	cr_expect_eq(p.slots_searched, 2);
	cr_expect_eq(p.slots[1].alloc_size, 4837 - 837);
	/* slot 0 is free but now runs only to slot 1: list 1; after 1..3 comes 124 free */
	cr_expect_eq(swiotlb_slot_list(&p, 0), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 4), 124);
	/* next search in the area starts at 1 + 3 = 4 */
	cr_expect_eq(p.areas[0].index, 4);
	check_pool(&p);
	/* release: nslots = nr_slots(alloc_size 4000 + offset 0x345) = 3 */
	cr_expect_eq(swiotlb_release(&p, tlb), 3);
	cr_expect_eq(swiotlb_slot_list(&p, 0), 128);
	check_pool(&p);

	/* min_align 0x7ff keeps only sub-slot bits: offset 0x345, no slot constraint
	 * (0x7ff & ~0x7ff = 0), stride 1: slot 4 (the saved index), 3 slots again. */
	cr_assert_eq(swiotlb_alloc(&p, 0x12b45, 4000, 0x7ff, 0, 0, PS, 0, &tlb), 4);
	cr_expect_eq(tlb, BASE + 4 * SLOT + 0x345);
	cr_expect_eq(p.used, 3);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, page_sized_map_is_page_aligned)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	/* 100 bytes: 1 slot, no alignment beyond the slot: slot 0; index -> 1 */
	cr_assert_eq(map(&p, 0x5000, 100, 0, &tlb), 0);
	cr_expect_eq(tlb, BASE);
	/*
	 * 4096 bytes, no min_align, no alloc_align: size >= PAGE_SIZE so alloc_align_mask
	 * becomes 0xfff; stride (0xfff >> 11) + 1 = 2. Index 1 is BASE + 0x800: misaligned, step
	 * 1 -> slot 2 fits. 2 slots, page aligned address.
	 */
	cr_assert_eq(map(&p, 0x7000, 4096, 0, &tlb), 2);
	cr_expect_eq(tlb, BASE + 0x1000);
	cr_expect_eq(tlb & 0xfff, 0);
	cr_expect_eq(p.areas[0].index, 4);
	cr_expect_eq(p.slots_searched, 1 + 2);
	/* 100 bytes -> slot 4, index 5 */
	cr_assert_eq(map(&p, 0x5000, 100, 0, &tlb), 4);
	/* 4095 bytes is under a page: no page alignment, lands on odd slot 5 (2 slots) */
	cr_assert_eq(map(&p, 0x7000, 4095, 0, &tlb), 5);
	cr_expect_eq(tlb, BASE + 5 * SLOT);
	cr_expect_eq(p.used, 1 + 2 + 1 + 2);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, alloc_align_mask_pads_whole_slots)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0, tlb2 = 0;

	pool(&p, 256, 1);
	/*
	 * dma-iommu bouncing with a 4 KiB granule: alloc_align 0xfff, min_align 0xfff.
	 * orig 0x1800, 4096 bytes: offset = 0x1800 & 0xfff & (0xfff | 0x7ff) = 0x800
	 * size = ALIGN(4096 + 0x800, 0x1000) = 0x2000 -> 4 slots from a 4 KiB aligned slot
	 * (slot 0). pad_slots = 0x800 >> 11 = 1, sub-slot offset 0: bounce slot 1, BASE + 0x800.
	 */
	cr_assert_eq(swiotlb_alloc(&p, 0x1800, 4096, 0xfff, 0xfff, 0, PS, 0, &tlb), 1);
	cr_expect_eq(tlb, BASE + 0x800);
	cr_expect_eq(p.used, 4);
	cr_expect_eq(p.slots[0].alloc_size, 0x2000);	/* size - sub-slot offset 0 */
	/*
	 * orig 0x1a00: offset 0xa00, size ALIGN(0x1a00, 0x1000) = 0x2000 -> 4 slots at 4
	 * (index 4, 4 KiB aligned); pad 1, sub-slot 0x200: BASE + 5 * 2048 + 0x200.
	 */
	cr_assert_eq(swiotlb_alloc(&p, 0x1a00, 4096, 0xfff, 0xfff, 0, PS, 0, &tlb2), 5);
	cr_expect_eq(tlb2, BASE + 5 * SLOT + 0x200);
	cr_expect_eq(tlb2 & 0xfff, 0xa00);
	cr_expect_eq(p.slots[4].alloc_size, 0x2000 - 0x200);
	/* release: back by pad 1 to slot 4; nr_slots(0x1e00 + 0x200) = 4 */
	cr_expect_eq(swiotlb_release(&p, tlb2), 4);
	cr_expect_eq(swiotlb_release(&p, tlb), 4);
	cr_expect_eq(swiotlb_release(&p, tlb), 0);
	cr_expect_eq(p.used, 0);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, stride_follows_the_larger_mask_even_when_odd)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	/*
	 * min_align 0xffff, alloc_align 0xfff, orig 0x5000, 4096 bytes:
	 * offset = 0x5000 & 0xffff & 0xfff = 0; size ALIGN(4096, 4096) = 4096: 2 slots.
	 * align mask 0xfff; match mask 0xffff & ~0xfff = 0xf000 (want 0x5000);
	 * stride = (max(0xfff, 0xf000) >> 11) + 1 = 30 + 1 = 31.
	 * Slots 0..9 fail alignment one by one (slot k is at k * 0x800); slot 10 = 0x5000 fits:
	 * 11 examined.
	 */
	cr_assert_eq(swiotlb_alloc(&p, 0x5000, 4096, 0xffff, 0xfff, 0, PS, 0, &tlb), 10);
	cr_expect_eq(tlb, BASE + 0x5000);
	cr_expect_eq(p.slots_searched, 11);
	/*
	 * Same again from index 0: 0..9 misaligned (10), slot 10 aligned but taken (11), jump
	 * by 31 to 41 = 0x14800: misaligned (12), 42 = 0x15000 fits (13).
	 */
	p.areas[0].index = 0;
	cr_assert_eq(swiotlb_alloc(&p, 0x5000, 4096, 0xffff, 0xfff, 0, PS, 0, &tlb), 42);
	cr_expect_eq(tlb, BASE + 0x15000);
	cr_expect_eq(tlb & 0xffff, 0x5000);
	cr_expect_eq(p.slots_searched, 11 + 13);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, orig_addr_zero_turns_min_align_off)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	cr_assert_eq(map(&p, 0x5000, 100, 0, &tlb), 0);	/* index -> 1 */
	/* orig 0: the min_align match is skipped (as for swiotlb_alloc()): odd slot 1 is fine */
	cr_assert_eq(swiotlb_alloc(&p, 0, 100, 0xfff, 0, 0, PS, 0, &tlb), 1);
	/* orig 0x10000 (bit 11 clear) needs an even slot: 2 is next */
	cr_assert_eq(swiotlb_alloc(&p, 0x10000, 100, 0xfff, 0, 0, PS, 0, &tlb), 2);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

/* ---- segments and boundaries ------------------------------------------------------------ */

Test(swiotlb, map_never_crosses_a_segment)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	/* 100 slots (204800 bytes; page aligned, stride 2): slot 0; index -> 100 */
	cr_assert_eq(map(&p, 0, 100 * SLOT, 0, &tlb), 0);
	/*
	 * 40 slots from index 100: slots 100, 102, ..., 126 have list 28, 26, ..., 2 (< 40):
	 * 14 examined; slot 128 starts a fresh segment with list 128: found (15 examined).
	 * Slots 100..139 would have crossed the segment line at 128.
	 */
	cr_assert_eq(map(&p, 0, 40 * SLOT, 0, &tlb), 128);
	cr_expect_eq(p.slots_searched, 1 + 15);
	cr_expect_eq(swiotlb_slot_list(&p, 100), 28);
	cr_expect_eq(swiotlb_slot_list(&p, 127), 1);		/* the segment's tail is untouched */
	cr_expect_eq(swiotlb_slot_list(&p, 168), 128 - 40);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, segment_boundary_mask)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	/*
	 * boundary_mask 0xffff: max_slots = (0xffff >> 11) + 1 = 32. BASE & 0xffff = 0, so
	 * shift 0. 20 slots (page aligned, stride 2) at slot 0: 0 + 20 <= 32. Index -> 20.
	 */
	pool(&p, 256, 1);
	cr_assert_eq(swiotlb_alloc(&p, 0, 20 * SLOT, 0, 0, 0xffff, PS, 0, &tlb), 0);
	/* next 20: 20, 22, ..., 30 cross (e.g. 30 + 20 > 32); slot 32: (32 & 31) + 20 <= 32. */
	cr_assert_eq(swiotlb_alloc(&p, 0, 20 * SLOT, 0, 0, 0xffff, PS, 0, &tlb), 32);
	cr_expect_eq(tlb, BASE + 0x10000);
	cr_expect_eq(p.slots_searched, 1 + 7);
	swiotlb_pool_free(&p);

	/*
	 * Pool at 0x10038000: tbl_dma_addr = base & 0xffff = 0x8000, shift = 16 slots.
	 * Slot k is at (16 + k) mod 32 within its line: k = 0, 2, ..., 14 cross, k = 16 starts a
	 * line: 9 examined, bounce address 0x10040000, on the 64 KiB line.
	 */
	cr_assert_eq(swiotlb_pool_init(&p, 256, 0, 1, 0x10038000), 0);
	cr_assert_eq(swiotlb_alloc(&p, 0, 20 * SLOT, 0, 0, 0xffff, PS, 0, &tlb), 16);
	cr_expect_eq(tlb, 0x10040000);
	cr_expect_eq(p.slots_searched, 9);
	/* a mask that is not 2^k - 1 is refused and counts nothing */
	cr_expect_eq(swiotlb_alloc(&p, 0, 100, 0, 0, 0x1234, PS, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(p.failures, 0);
	swiotlb_pool_free(&p);
}

/* ---- areas -------------------------------------------------------------------------------- */

Test(swiotlb, area_index_advances_and_wraps)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0, first = 0;

	/* 256 slots on 2 CPUs: 2 areas of 128. CPU 0 searches area 0 first. */
	pool(&p, 256, 2);
	cr_assert_eq(map(&p, 0, SLOT, 0, &first), 0);
	cr_expect_eq(p.areas[0].index, 1);
	cr_assert_eq(map(&p, 0, SLOT, 0, &tlb), 1);
	cr_expect_eq(p.areas[0].index, 2);
	/* 126 slots at slot 2 (even: page aligned; list[2] = 126): index 2 + 126 = 128 is the
	 * area's end, so wrap_area_index() makes it 0. */
	cr_assert_eq(map(&p, 0, 126 * SLOT, 0, &tlb), 2);
	cr_expect_eq(p.areas[0].index, 0);
	cr_expect_eq(p.areas[0].used, 128);
	/* Area 0 full: 1 > 128 - 128, refused without a slot examined; area 1 gives slot 128. */
	cr_assert_eq(map(&p, 0, SLOT, 0, &tlb), 128);
	cr_expect_eq(tlb, BASE + 128 * SLOT);
	cr_expect_eq(p.slots_searched, 1 + 1 + 1 + 0 + 1);
	cr_expect_eq(p.areas_searched, 5);
	/* CPU 3 starts in area 3 & 1 = 1 */
	cr_assert_eq(map(&p, 0, SLOT, 3, &tlb), 129);
	/* Free slot 0; area 0's search starts at the wrapped index 0 again */
	cr_expect_eq(swiotlb_release(&p, first), 1);
	cr_assert_eq(map(&p, 0, SLOT, 0, &tlb), 0);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, misaligned_step_wraps_to_area_start)
{
	struct swiotlb_pool p;
	uint64_t big = 0, tlb = 0;

	pool(&p, 128, 1);
	cr_assert_eq(map(&p, 0, 126 * SLOT, 0, &big), 0);	/* index -> 126 */
	cr_assert_eq(map(&p, 0, SLOT, 0, &tlb), 126);		/* index -> 127 */
	cr_expect_eq(swiotlb_release(&p, big), 126);
	/* 4 KiB page aligned from index 127 (odd, misaligned): 127 + 1 = 128 wraps to 0,
	 * which fits: 2 examined. */
	p.slots_searched = 0;
	cr_assert_eq(map(&p, 0, 4096, 0, &tlb), 0);
	cr_expect_eq(p.slots_searched, 2);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, full_area_falls_over_to_the_next_in_order)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	/* 512 slots on 4 CPUs: 4 areas of 128 (slots 0, 128, 256, 384). */
	pool(&p, 512, 4);
	cr_assert_eq(map(&p, 0, 128 * SLOT, 2, &tlb), 256);	/* CPU 2 fills area 2 */
	cr_assert_eq(map(&p, 0, SLOT, 2, &tlb), 384);		/* area 2 full -> area 3 */
	/* 127 slots from index 1 of area 3: a page-aligned map could not start at odd slot 385,
	 * but with min_align 0x7ff (orig 0) there is no page alignment and the stride is 1 */
	cr_assert_eq(swiotlb_alloc(&p, 0, 127 * SLOT, 0x7ff, 0, 0, PS, 3, &tlb), 385);
	cr_expect_eq(p.areas[3].used, 128);
	cr_assert_eq(map(&p, 0, SLOT, 2, &tlb), 0);		/* 2 -> 3 -> wraps to area 0 */
	cr_expect_eq(tlb, BASE);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

/* ---- free runs ---------------------------------------------------------------------------- */

Test(swiotlb, release_coalesces_with_following_and_preceding)
{
	struct swiotlb_pool p;
	uint64_t a = 0, b = 0, c = 0;

	pool(&p, 256, 1);
	cr_assert_eq(map(&p, 0, SLOT, 0, &a), 0);
	cr_assert_eq(map(&p, 0, SLOT, 0, &b), 1);
	cr_assert_eq(map(&p, 0, SLOT, 0, &c), 2);
	cr_expect_eq(swiotlb_slot_list(&p, 3), 125);
	/* free B (slot 1): the next slot (C) is used, count starts at 0 -> list[1] = 1; slot 0
	 * is used, nothing before to renumber */
	cr_expect_eq(swiotlb_release(&p, b), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 1), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 0), 0);
	/* free C (slot 2): follows list[3] = 125 -> list[2] = 126; slot 1 free -> 127; slot 0
	 * used -> stop */
	cr_expect_eq(swiotlb_release(&p, c), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 2), 126);
	cr_expect_eq(swiotlb_slot_list(&p, 1), 127);
	/* free A: list[0] = list[1] + 1 = 128, a whole free segment again */
	cr_expect_eq(swiotlb_release(&p, a), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 0), 128);
	cr_expect_eq(p.used, 0);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, release_does_not_merge_across_a_segment)
{
	struct swiotlb_pool p;
	uint64_t tail = 0, tlb = 0;

	pool(&p, 256, 1);
	cr_assert_eq(map(&p, 0, 126 * SLOT, 0, &tlb), 0);	/* index -> 126 */
	/* 4 KiB: slot 126 is 4 KiB aligned (126 * 2048 = 0x3f000), list[126] = 2 */
	cr_assert_eq(map(&p, 0, 4096, 0, &tail), 126);
	/* free 126..127: 126 + 2 = 128 is not < ALIGN(127, 128) = 128, so count starts at 0:
	 * list[127] = 1, list[126] = 2, although slot 128 (list 128) is free */
	cr_expect_eq(swiotlb_release(&p, tail), 2);
	cr_expect_eq(swiotlb_slot_list(&p, 127), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 126), 2);
	cr_expect_eq(swiotlb_slot_list(&p, 128), 128);
	cr_expect_eq(swiotlb_slot_list(&p, 125), 0);
	/* free the run at 128 (the next map goes to 128 since index is 128): nothing before
	 * it is renumbered, slot 127 is the previous segment's last (io_tlb_offset 127) */
	cr_assert_eq(map(&p, 0, SLOT, 0, &tlb), 128);
	cr_expect_eq(swiotlb_slot_list(&p, 127), 1);
	cr_expect_eq(swiotlb_release(&p, tlb), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 127), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 128), 128);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, allocation_renumbers_the_free_slots_before_it)
{
	struct swiotlb_pool p;
	uint64_t x = 0, tlb = 0;

	pool(&p, 256, 1);
	cr_assert_eq(map(&p, 0, 10 * SLOT, 0, &x), 0);	/* 0..9, index 10 */
	cr_assert_eq(map(&p, 0, 5 * SLOT, 0, &tlb), 10);	/* 10..14, index 15 */
	cr_expect_eq(swiotlb_slot_list(&p, 15), 113);
	/* free X: slot 10 is used, so 9..0 get 1..10 */
	cr_expect_eq(swiotlb_release(&p, x), 10);
	cr_expect_eq(swiotlb_slot_list(&p, 9), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 0), 10);
	/* 3 slots, page aligned: 15 is odd (misaligned), 16 fits. Slot 15 before it is free and
	 * now runs only to 16: list 1; slot 14 is used: stop. */
	cr_assert_eq(map(&p, 0, 3 * SLOT, 0, &tlb), 16);
	cr_expect_eq(swiotlb_slot_list(&p, 15), 1);
	cr_expect_eq(swiotlb_slot_list(&p, 0), 10);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

/* ---- accounting and failure ---------------------------------------------------------------- */

Test(swiotlb, used_and_hiwater)
{
	struct swiotlb_pool p;
	uint64_t a = 0, tlb = 0;

	pool(&p, 256, 1);
	cr_assert_neq(map(&p, 0, 3 * SLOT, 0, &a), SWIOTLB_FAIL);
	cr_assert_neq(map(&p, 0, 5 * SLOT, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(p.used, 8);
	cr_expect_eq(p.hiwater, 8);
	cr_expect_eq(swiotlb_release(&p, a), 3);
	cr_expect_eq(p.used, 5);
	cr_expect_eq(p.hiwater, 8);
	cr_assert_neq(map(&p, 0, SLOT, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(p.used, 6);
	cr_expect_eq(p.hiwater, 8);
	cr_expect_eq(p.areas[0].used, 6);
	swiotlb_pool_free(&p);
}

Test(swiotlb, full_pool_fails_and_counts)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 128, 1);
	/* 256 KiB = 128 slots: the whole pool */
	cr_assert_eq(map(&p, 0, 128 * SLOT, 0, &tlb), 0);
	cr_expect_eq(p.used, 128);
	/* 1 byte: nslots 1 > 128 - 128: refused before any slot is examined */
	tlb = 42;
	cr_expect_eq(map(&p, 0, 1, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(tlb, 42);
	cr_expect_eq(p.failures, 1);
	cr_expect_eq(p.slots_searched, 1);
	cr_expect_eq(p.areas_searched, 2);
	swiotlb_pool_free(&p);
}

Test(swiotlb, fragmented_pool_walks_the_area_then_fails)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	cr_assert_eq(map(&p, 0, 100 * SLOT, 0, &tlb), 0);
	cr_assert_eq(map(&p, 0, 100 * SLOT, 0, &tlb), 128);	/* index -> 228 */
	/* 50 slots: 50 <= 256 - 200 free, so the area is walked: stride 2 from 228, every slot
	 * even and aligned, until 256 slots are counted: 128 examined. No run of 50 (28 + 28). */
	p.slots_searched = 0;
	cr_expect_eq(map(&p, 0, 50 * SLOT, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(p.slots_searched, 128);
	cr_expect_eq(p.failures, 1);
	cr_expect_eq(p.areas[0].index, 228);	/* unchanged by a failed search */
	swiotlb_pool_free(&p);
}

Test(swiotlb, oversized_map_fails_after_a_walk_without_dynamic)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	/* 300 KiB = 150 slots: no list exceeds 128, but 150 <= 256 free, so the whole area is
	 * walked (page aligned: 128 examined) before the map fails */
	cr_expect_eq(map(&p, 0, 300 * 1024, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(p.slots_searched, 128);
	cr_expect_eq(p.failures, 1);
	swiotlb_pool_free(&p);
}

Test(swiotlb, max_mapping_size)
{
	/* 128 slots * 2048 = 262144, less roundup(min_align_mask, 2048) when set */
	cr_expect_eq(swiotlb_max_mapping_size(0), 262144);
	cr_expect_eq(swiotlb_max_mapping_size(0xfff), 262144 - 4096);	/* 258048 */
	cr_expect_eq(swiotlb_max_mapping_size(0x7ff), 262144 - 2048);	/* 260096 */
	cr_expect_eq(swiotlb_max_mapping_size(0x3), 262144 - 2048);
	cr_expect_eq(swiotlb_max_mapping_size(0x1fff), 262144 - 8192);	/* 253952 */
}

Test(swiotlb, release_of_an_unmapped_address_returns_0)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 256, 1);
	cr_expect_eq(swiotlb_release(&p, BASE), 0);
	cr_assert_eq(map(&p, 0, SLOT, 0, &tlb), 0);
	cr_expect_eq(swiotlb_release(&p, BASE + 1), 0);		/* not its start */
	cr_expect_eq(swiotlb_release(&p, BASE + SLOT), 0);		/* a free slot */
	cr_expect_eq(swiotlb_release(&p, BASE - SLOT), 0);		/* below the pool */
	cr_expect_eq(swiotlb_release(&p, BASE + 256 * SLOT), 0);	/* past its end */
	cr_expect_eq(p.used, 1);
	cr_expect_eq(swiotlb_release(&p, tlb), 1);
	cr_expect_eq(swiotlb_release(&p, tlb), 0);			/* double unmap */
	/* a map with a sub-slot offset is known by its exact address only */
	cr_assert_eq(swiotlb_alloc(&p, 0x345, 100, 0x7ff, 0, 0, PS, 0, &tlb), 1);
	cr_expect_eq(tlb, BASE + SLOT + 0x345);
	cr_expect_eq(swiotlb_release(&p, BASE + SLOT), 0);
	cr_expect_eq(swiotlb_release(&p, tlb), 1);
	check_pool(&p);
	swiotlb_pool_free(&p);
}

Test(swiotlb, invalid_requests_count_nothing)
{
	struct swiotlb_pool p;
	uint64_t tlb = 0;

	pool(&p, 128, 1);
	cr_expect_eq(map(&p, 0, 0, 0, &tlb), SWIOTLB_FAIL);	/* 0 slots: BUG_ON in kernel */
	cr_expect_eq(swiotlb_alloc(&p, 0, 100, 0, 0x1000, 0, PS, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(swiotlb_alloc(&p, 0, 100, 1ull << 32, 0, 0, PS, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(swiotlb_alloc(&p, 0, 100, 0, 0, 0, 11, 0, &tlb), SWIOTLB_FAIL);
	cr_expect_eq(p.failures, 0);
	cr_expect_eq(p.areas_searched, 0);
	/* a zero-byte map with a preserved offset still needs a slot (size = offset) */
	cr_expect_eq(swiotlb_alloc(&p, 0x10, 0, 0x7ff, 0, 0, PS, 0, &tlb), 0);
	cr_expect_eq(tlb, BASE + 0x10);
	swiotlb_pool_free(&p);
}

/* ---- io_tlb_mem with CONFIG_SWIOTLB_DYNAMIC ------------------------------------------------ */

static void mem(struct swiotlb_mem *m, uint64_t nslabs, unsigned ncpus, bool dynamic,
		bool can_grow)
{
	struct swiotlb_mem_config cfg = {
		.nslabs = nslabs, .ncpus = ncpus, .base = BASE, .dynamic = dynamic,
		.can_grow = can_grow, .dyn_base = 0x40000000, .page_shift = PS,
	};

	cr_assert_eq(swiotlb_mem_init(m, &cfg), 0);
}

Test(swiotlb, mem_without_dynamic_is_the_pool)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;

	mem(&m, 128, 1, false, true);
	cr_expect_eq(m.can_grow, false);	/* can_grow needs CONFIG_SWIOTLB_DYNAMIC */
	cr_expect_eq(swiotlb_mem_map(&m, 0, 128 * SLOT, 0, 0, 0, 0, &k), BASE);
	cr_expect_eq(k, SWIOTLB_MAP_POOL);
	cr_expect_eq(swiotlb_mem_map(&m, 0, 1, 0, 0, 0, 0, &k), SWIOTLB_FAIL);
	cr_expect_eq(k, SWIOTLB_MAP_FAILED);
	cr_expect_eq(m.failures, 1);
	cr_expect_eq(m.defpool.failures, 1);
	cr_expect_eq(m.grow_pending, false);
	cr_expect_eq(swiotlb_mem_unmap(&m, BASE), 128);
	cr_expect_eq(m.used, 0);
	cr_expect_eq(m.hiwater, 128);
	swiotlb_mem_free(&m);
}

Test(swiotlb, mem_full_uses_transient_pools_and_schedules_one_worker)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;
	uint64_t big;

	mem(&m, 128, 1, true, true);
	big = swiotlb_mem_map(&m, 0, 128 * SLOT, 0, 0, 0, 0, &k);
	cr_expect_eq(big, BASE);
	/*
	 * 1 slot: the only pool is full. schedule_work(), then a transient pool of
	 * nr_slots(2048) = 1 slot: 2048 bytes is an order-0 page, placed at dyn_base.
	 */
	cr_expect_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 0, &k), 0x40000000);
	cr_expect_eq(k, SWIOTLB_MAP_TRANSIENT);
	cr_expect_eq(m.grow_pending, true);
	cr_expect_eq(m.grow_scheduled, 1);
	cr_expect_eq(m.used, 129);
	cr_expect_eq(m.hiwater, 129);
	cr_expect_eq(m.transient_nslabs, 1);
	/* again: the next page; the worker is already queued */
	cr_expect_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 0, &k), 0x40001000);
	cr_expect_eq(m.grow_scheduled, 1);
	/* 5000 bytes: 3 slots = 6144 bytes = 2 pages, order 1, 8 KiB aligned: 0x40002000 */
	cr_expect_eq(swiotlb_mem_map(&m, 0, 5000, 0, 0, 0, 0, &k), 0x40002000);
	cr_expect_eq(m.transient_nslabs, 1 + 1 + 3);
	cr_expect_eq(m.used, 128 + 5);
	cr_expect_eq(m.transient_maps, 3);
	cr_expect_eq(m.nslabs, 128);		/* transient pools are not in io_tlb_mem.nslabs */
	/* swiotlb_del_transient(): the whole pool goes */
	cr_expect_eq(swiotlb_mem_unmap(&m, 0x40001001), 0);
	cr_expect_eq(swiotlb_mem_unmap(&m, 0x40001000), 1);
	cr_expect_eq(swiotlb_mem_unmap(&m, 0x40001000), 0);
	cr_expect_eq(m.transient_nslabs, 4);
	cr_expect_eq(m.used, 132);
	/*
	 * The worker adds default_nslabs = 128 slots (under the 2 << 10 = 2048 cap): 256 KiB =
	 * 64 pages, order 6, 256 KiB aligned above 0x40004000: 0x40040000. It is searched first.
	 */
	cr_expect_eq(swiotlb_mem_run_worker(&m), 1);
	cr_expect_eq(m.grow_pending, false);
	cr_expect_eq(m.pools_added, 1);
	cr_expect_eq(m.nslabs, 256);
	cr_expect_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 0, &k), 0x40040000);
	cr_expect_eq(k, SWIOTLB_MAP_POOL);
	cr_expect_eq(swiotlb_mem_run_worker(&m), 0);	/* not pending */
	cr_expect_eq(swiotlb_mem_unmap(&m, 0x40040000), 1);
	cr_expect_eq(swiotlb_mem_unmap(&m, big), 128);
	cr_expect_eq(swiotlb_mem_unmap(&m, 0x40000000), 1);
	cr_expect_eq(swiotlb_mem_unmap(&m, 0x40002000), 3);
	cr_expect_eq(m.used, 0);
	cr_expect_eq(m.transient_nslabs, 0);
	swiotlb_mem_free(&m);
}

Test(swiotlb, mem_oversize_fails_at_once)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;

	mem(&m, 256, 1, true, true);
	/* 300 KiB > 128 * 2048: -1 before any search, no worker, no transient pool */
	cr_expect_eq(swiotlb_mem_map(&m, 0, 300 * 1024, 0, 0, 0, 0, &k), SWIOTLB_FAIL);
	/* 256 KiB + a 1-byte preserved offset is 262145 bytes: over as well */
	cr_expect_eq(swiotlb_mem_map(&m, 1, 128 * SLOT, 0x7ff, 0, 0, 0, &k), SWIOTLB_FAIL);
	cr_expect_eq(k, SWIOTLB_MAP_FAILED);
	cr_expect_eq(m.failures, 2);
	cr_expect_eq(m.slots_searched, 0);
	cr_expect_eq(m.areas_searched, 0);
	cr_expect_eq(m.grow_pending, false);
	swiotlb_mem_free(&m);
}

Test(swiotlb, mem_transient_pool_cannot_give_an_odd_first_slot)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;

	mem(&m, 128, 1, true, true);
	cr_assert_eq(swiotlb_mem_map(&m, 0, 128 * SLOT, 0, 0, 0, 0, &k), BASE);
	/*
	 * min_align 0xfff, orig 0x800, 4096 bytes: offset 0x800 & 0x7ff = 0, 2 slots, and the
	 * slot must have bit 11 set. The transient pool is exactly 2 slots on a page: slot 0 has
	 * bit 11 clear (1 examined), slot 1 matches but runs 1 < 2 (2 examined), then the walk
	 * is done: the map fails although the worker was scheduled.
	 */
	cr_expect_eq(swiotlb_mem_map(&m, 0x800, 4096, 0xfff, 0, 0, 0, &k), SWIOTLB_FAIL);
	cr_expect_eq(k, SWIOTLB_MAP_FAILED);
	cr_expect_eq(m.transient_failures, 1);
	cr_expect_eq(m.failures, 1);
	cr_expect_eq(m.grow_pending, true);
	cr_expect_eq(m.transient_nslabs, 0);
	cr_expect_eq(m.used, 128);
	cr_expect_eq(m.slots_searched, 1 + 2);
	/* bit 11 clear: slot 0 of the next transient pool fits (the failed one had the page at
	 * 0x40000000; the model never hands an address out twice) */
	cr_expect_eq(swiotlb_mem_map(&m, 0x1000, 4096, 0xfff, 0, 0, 0, &k), 0x40001000);
	cr_expect_eq(k, SWIOTLB_MAP_TRANSIENT);
	swiotlb_mem_free(&m);
}

Test(swiotlb, mem_cannot_grow)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;

	mem(&m, 128, 1, true, false);
	cr_assert_eq(swiotlb_mem_map(&m, 0, 128 * SLOT, 0, 0, 0, 0, &k), BASE);
	cr_expect_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 0, &k), SWIOTLB_FAIL);
	cr_expect_eq(m.grow_pending, false);
	cr_expect_eq(m.transient_maps, 0);
	cr_expect_eq(m.failures, 1);
	swiotlb_mem_free(&m);
}

Test(swiotlb, mem_newest_pool_is_searched_first)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;
	unsigned cpu;

	/* 512 slots on 4 CPUs: 4 areas of 128; fill each from its own CPU */
	mem(&m, 512, 4, true, true);
	for (cpu = 0; cpu < 4; cpu++)
		cr_assert_eq(swiotlb_mem_map(&m, 0, 128 * SLOT, 0, 0, 0, cpu, &k),
			     BASE + cpu * 128 * SLOT);
	cr_assert_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 0, &k), 0x40000000);
	cr_assert_eq(k, SWIOTLB_MAP_TRANSIENT);
	/* worker: 512 slots, 4 areas; 1 MiB = order 8, 1 MiB aligned above 0x40001000 */
	cr_assert_eq(swiotlb_mem_run_worker(&m), 1);
	cr_expect_eq(m.pools[1]->base, 0x40100000);
	cr_expect_eq(m.pools[1]->nareas, 4);
	/* free the default pool's area 2; CPU 2 still lands in the new pool's area 2 */
	cr_expect_eq(swiotlb_mem_unmap(&m, BASE + 256 * SLOT), 128);
	cr_expect_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 2, &k), 0x40100000 + 256 * SLOT);
	cr_expect_eq(k, SWIOTLB_MAP_POOL);
	swiotlb_mem_free(&m);
}

Test(swiotlb, mem_worker_pool_is_capped_and_limits_areas)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;
	unsigned cpu, i;
	struct swiotlb_pool *np;

	/* default: 32768 slots on 64 CPUs = 64 areas of 512; fill each with 4 maps of 128 */
	mem(&m, 32768, 64, true, true);
	cr_assert_eq(m.defpool.nareas, 64);
	for (cpu = 0; cpu < 64; cpu++)
		for (i = 0; i < 4; i++)
			cr_assert_neq(swiotlb_mem_map(&m, 0, 128 * SLOT, 0, 0, 0, cpu, &k),
				      SWIOTLB_FAIL);
	cr_assert_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 0, &k), 0x40000000);
	/*
	 * swiotlb_alloc_pool(): 32768 > SLABS_PER_PAGE (2) << MAX_PAGE_ORDER (10) = 2048, so
	 * 2048 slots; limit_nareas(64, 2048): 2048 < 64 * 128, so 2048 / 128 = 16 areas of 128.
	 * 4 MiB = order 10, 4 MiB aligned above 0x40001000: 0x40400000.
	 */
	cr_assert_eq(swiotlb_mem_run_worker(&m), 1);
	np = m.pools[1];
	cr_expect_eq(np->nslabs, 2048);
	cr_expect_eq(np->nareas, 16);
	cr_expect_eq(np->area_nslabs, 128);
	cr_expect_eq(np->base, 0x40400000);
	cr_expect_eq(m.nslabs, 32768 + 2048);
	/* CPU 20, offset 0: the new pool (16 areas > 0) area (20 + 0) & 15 = 4 */
	cr_expect_eq(swiotlb_mem_map(&m, 0, SLOT, 0, 0, 0, 20, &k), 0x40400000 + 4 * 128 * SLOT);
	swiotlb_mem_free(&m);
}

Test(swiotlb, mem_init_rejects_bad_config)
{
	struct swiotlb_mem m;
	struct swiotlb_mem_config cfg = { .nslabs = 128, .ncpus = 1, .base = BASE, .dynamic = true,
					  .can_grow = true };

	cfg.dyn_base = BASE + SLOT;		/* inside the default pool */
	cr_expect_eq(swiotlb_mem_init(&m, &cfg), -ISM_ERANGE);
	cfg.dyn_base = 0;
	cfg.max_page_order = 5;			/* 2 << 5 = 64 slots < one segment */
	cr_expect_eq(swiotlb_mem_init(&m, &cfg), -ISM_ERANGE);
	cfg.max_page_order = 0;
	cr_assert_eq(swiotlb_mem_init(&m, &cfg), 0);
	/* dyn_base 0: the next 1 GiB line above the pool's end (BASE + 256 KiB) */
	cr_expect_eq(m.next_addr, 0x40000000);
	swiotlb_mem_free(&m);
}

/* ---- seeded random runs ------------------------------------------------------------------- */

static uint64_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

Test(swiotlb, random_maps_keep_the_free_runs_exact)
{
	static const uint64_t min_aligns[] = { 0, 0, 0x7ff, 0xfff, 0xffff };
	static const uint64_t alloc_aligns[] = { 0, 0, 0, 0xfff };
	static const uint64_t bounds[] = { 0, 0, 0xffff };
	struct swiotlb_pool p;
	uint64_t live[512], s = 12345, tlb, slot, size, orig, ma, aa, bm, used, n, first;
	unsigned nlive = 0, i, op;

	pool(&p, 2048, 4);
	for (op = 0; op < 40000; op++) {
		if (nlive && (nlive == ISM_ARRAY_SIZE(live) || rng(&s) % 3 == 0)) {
			i = (unsigned)(rng(&s) % nlive);
			used = p.used;
			n = swiotlb_release(&p, live[i]);
			cr_assert_gt(n, 0);
			cr_assert_eq(p.used, used - n);
			live[i] = live[--nlive];
		} else {
			ma = min_aligns[rng(&s) % 5];
			aa = alloc_aligns[rng(&s) % 4];
			bm = bounds[rng(&s) % 3];
			size = 1 + rng(&s) % (rng(&s) % 4 ? 9000 : 200000);
			orig = rng(&s) << 4 | (rng(&s) & 0xf);
			slot = swiotlb_alloc(&p, orig, size, ma, aa, bm, PS,
					     (unsigned)(rng(&s) % 8), &tlb);
			if (slot == SWIOTLB_FAIL)
				continue;
			if (orig)
				cr_assert_eq(tlb & ma, orig & ma);
			cr_assert_eq(tlb >> 11, (BASE >> 11) + slot);
			first = slot - (orig & ma & (aa | 0x7ff)) / SLOT;
			cr_assert_eq((BASE + first * SLOT) & aa, 0);
			n = (size + (orig & ma & (aa | 0x7ff)) + aa) & ~aa;
			n = (n + SLOT - 1) / SLOT;
			/* one segment, one boundary window */
			cr_assert_eq(first / 128, (first + n - 1) / 128);
			if (bm)
				cr_assert_eq((first * SLOT) / (bm + 1),
					     ((first + n) * SLOT - 1) / (bm + 1));
			live[nlive++] = tlb;
		}
		if (op % 97 == 0)
			check_pool(&p);
	}
	while (nlive)
		cr_assert_gt(swiotlb_release(&p, live[--nlive]), 0);
	check_pool(&p);
	cr_expect_eq(p.used, 0);
	for (i = 0; i < p.nslabs; i++)
		cr_assert_eq(swiotlb_slot_list(&p, i), 128 - i % 128);
	swiotlb_pool_free(&p);
}

Test(swiotlb, random_mem_run_balances)
{
	struct swiotlb_mem m;
	enum swiotlb_map_kind k;
	uint64_t live[4096], s = 777, tlb, total = 0;
	unsigned nlive = 0, i, op, j;

	mem(&m, 512, 4, true, true);
	for (op = 0; op < 30000; op++) {
		if (nlive && (nlive == ISM_ARRAY_SIZE(live) || rng(&s) % 2 == 0)) {
			i = (unsigned)(rng(&s) % nlive);
			cr_assert_gt(swiotlb_mem_unmap(&m, live[i]), 0);
			live[i] = live[--nlive];
		} else {
			tlb = swiotlb_mem_map(&m, rng(&s) << 3, 1 + rng(&s) % 70000,
					      rng(&s) % 2 ? 0xfff : 0, 0, 0,
					      (unsigned)(rng(&s) % 4), &k);
			if (tlb != SWIOTLB_FAIL)
				live[nlive++] = tlb;
		}
		if (op % 1000 == 999)
			swiotlb_mem_run_worker(&m);
		if (op % 211 == 0) {
			total = 0;
			for (j = 0; j < m.npools; j++) {
				check_pool(m.pools[j]);
				total += m.pools[j]->used;
			}
			cr_assert_eq(m.used, total + m.transient_nslabs);
		}
	}
	while (nlive)
		cr_assert_gt(swiotlb_mem_unmap(&m, live[--nlive]), 0);
	cr_expect_eq(m.used, 0);
	cr_expect_eq(m.transient_nslabs, 0);
	cr_expect_eq(m.nbybase, m.npools);
	swiotlb_mem_free(&m);
}
