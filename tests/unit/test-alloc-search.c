/*
 * test-alloc-search.c: the allocators' fast searches against their plain reference searches.
 *
 * The TCE table and the swiotlb pool each keep a reference path (the plain scan, as long as the
 * kernel's walk) next to the indexed one. Two copies of the same allocator, one on each path,
 * get the same long random sequence of maps and unmaps; every result (the index or address
 * chosen, the failures, the hints and search counters the cost model reads, the whole bitmap
 * or slot table) must be identical after every step. The sequences fill the windows to the
 * brim and churn there, with alignment, boundaries, masks, sg handles and several CPUs.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-swiotlb.h"
#include "alloc-tce.h"

/* xorshift64*: deterministic random numbers */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* ---- TCE ------------------------------------------------------------------------------- */

struct tlive {
	uint64_t n, np;
};

static void tce_same(const struct tce_table *a, const struct tce_table *b, unsigned op)
{
	cr_assert_eq(a->used, b->used, "op %u", op);
	cr_assert_eq(a->peak, b->peak, "op %u", op);
	cr_assert_eq(a->reserved, b->reserved, "op %u", op);
	cr_assert_eq(a->failures, b->failures, "op %u", op);
	cr_assert_eq(a->search_bits, b->search_bits, "op %u", op);
	for (unsigned p = 0; p < a->nr_pools; p++)
		cr_assert_eq(a->pools[p].hint, b->pools[p].hint, "op %u pool %u", op, p);
	cr_assert_eq(a->large_pool.hint, b->large_pool.hint, "op %u", op);
}

/*
 * @size entries at @offset; @fill: percent of operations that map while the table is below
 * its target (the rest unmap); @bigmax: the longest run asked for.
 */
static void tce_diff(uint64_t size, uint64_t offset, unsigned shift, uint64_t seed, unsigned ops,
		     uint64_t bigmax, unsigned hole_pct, int phases)
{
	static const uint64_t bsz[] = { 0, 16, 64, 256, 4096, 1ull << 20 };
	struct tce_table t, r;
	struct tlive *lv;
	unsigned nlive = 0, cap = ops;
	uint64_t masks[4], h = 0, hr = 0, fails = 0, ok = 0;

	cr_assert_eq(tce_table_init(&t, size, offset, shift), 0);
	cr_assert_eq(tce_table_init(&r, size, offset, shift), 0);
	tce_table_set_reference(&r, 1);
	/* a reserved hole (MMIO32): 300 entries, or @hole_pct of the table to fill it sooner */
	if (hole_pct) {
		tce_table_reserve(&t, size / 10, size / 10 + size * hole_pct / 100);
		tce_table_reserve(&r, size / 10, size / 10 + size * hole_pct / 100);
	} else if (size > 600) {
		tce_table_reserve(&t, size / 3, size / 3 + 300);
		tce_table_reserve(&r, size / 3, size / 3 + 300);
	}
	lv = calloc(cap, sizeof(*lv));
	masks[0] = UINT64_MAX >> shift;
	masks[1] = offset + size / 2 - 1;
	masks[2] = offset + size - 1;
	masks[3] = offset + size / 5 + 3;
	for (unsigned i = 0; i < ops; i++) {
		uint64_t x = rnd(&seed);
		/* phases of filling and of churn at the brim: free 1 in 8 mostly, 1 in 2 at times */
		unsigned free_pct = (i / 4096) % 4 == 3 ? 50 : 12;

		if (nlive && (x % 100) < free_pct) {
			unsigned k = (unsigned)((x >> 8) % nlive);

			tce_free(&t, lv[k].n, lv[k].np);
			tce_free(&r, lv[k].n, lv[k].np);
			lv[k] = lv[--nlive];
		} else {
			uint64_t np = (x >> 8) % 4 ? 1 + (x >> 12) % 3 :
				      (x >> 10) % 4 ? 1 + (x >> 12) % 15 : 1 + (x >> 12) % bigmax;
			unsigned ao = (x >> 24) % 5 == 0 ? (unsigned)((x >> 28) % 6) : 0;
			uint64_t mask = (x >> 32) % 3 ? masks[0] : masks[(x >> 34) % 4];
			uint64_t bs = (x >> 36) % 3 ? 0 : bsz[(x >> 38) % 6];
			unsigned cpu = (unsigned)((x >> 42) % 8);
			int use_h = (x >> 46) % 4 == 0;
			uint64_t n, m;

			if (phases) {
				/* runs close to small boundaries, aligned beyond them or not */
				static const uint64_t pb[] = { 16, 32, 64, 128 };

				np = 1 + (x >> 12) % 64;
				ao = (unsigned)((x >> 24) % 8);
				bs = pb[(x >> 38) % 4];
				mask = masks[0];
			}

			if (!use_h)
				h = hr = 0;
			n = tce_alloc(&t, np, ao, mask, bs, cpu, use_h ? &h : NULL);
			m = tce_alloc(&r, np, ao, mask, bs, cpu, use_h ? &hr : NULL);
			cr_assert_eq(n, m, "op %u: np %lu ao %u mask %lx bs %lu cpu %u: fast %lu, "
				     "reference %lu", i, (unsigned long)np, ao, (unsigned long)mask,
				     (unsigned long)bs, cpu, (unsigned long)n, (unsigned long)m);
			cr_assert_eq(h, hr, "op %u", i);
			if (n != TCE_ALLOC_FAIL && nlive < cap) {
				lv[nlive].n = n;
				lv[nlive++].np = np;
				ok++;
			} else {
				fails++;
			}
		}
		tce_same(&t, &r, i);
	}
	cr_assert_eq(memcmp(t.map, r.map, (size + 63) / 64 * sizeof(*t.map)), 0);
	/* the sequence must have filled the table, failed often and mapped often */
	if (size >= 4096) {
		cr_expect_gt(t.peak + t.reserved, size * (phases ? 8 : 9) / 10, "peak %lu of %lu",
			     (unsigned long)t.peak, (unsigned long)size);
		cr_expect_gt(fails, ops / 50);
		cr_expect_gt(ok, phases ? ops / 10 : ops / 4, "%lu maps of %u", (unsigned long)ok,
			     ops);
	}
	free(lv);
	tce_table_free(&t);
	tce_table_free(&r);
}

Test(alloc_search, tce_4_pools_1m_entries)
{
	/* 4 GiB of 4K TCEs, the largest 32-bit window, with 3/4 of it reserved */
	tce_diff(1ull << 20, 0, 12, 1, 80000, 300, 75, 0);
}

Test(alloc_search, tce_4_pools_default_window)
{
	/* 1 GiB of 4K TCEs, the default 32-bit window of QEMU */
	tce_diff(1ull << 18, 0, 12, 4, 100000, 300, 0, 0);
}

Test(alloc_search, tce_4_pools_odd_offset)
{
	/* 1 GiB of 64K TCEs at an odd offset: boundaries count in bus entries */
	tce_diff(16384 + 77, 0x3f1, 16, 2, 120000, 300, 0, 0);
}

Test(alloc_search, tce_one_pool_small_tables)
{
	static const uint64_t sizes[] = { 1, 2, 3, 63, 64, 65, 511, 512, 513, 4097, 5000, 40000 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		tce_diff(sizes[i], i & 1 ? 0x100 : 0, 12, 10 + i, 20000,
			 sizes[i] < 100 ? 4 : 200, 0, 0);
}

Test(alloc_search, tce_long_runs)
{
	/* runs of hundreds of entries (coherent buffers, large pool) in a fragmented window */
	tce_diff(1ull << 18, 0, 12, 3, 100000, 2000, 0, 0);
}

Test(alloc_search, tce_boundary_phases)
{
	/* odd offsets put every aligned index off the boundary lines: crossings everywhere */
	static const uint64_t offsets[] = { 0x3f1, 0x1008, 0x11, 0x1 };

	for (unsigned i = 0; i < 4; i++)
		tce_diff(40000 + i * 999, offsets[i], 12, 20 + i, 40000, 64, 0, 1);
}

/*
 * The window at the brim, as allocbench churns it: one-entry maps from 8 CPUs fill every pool
 * (most maps then fail in their own pool and in some others, which the fast path passes over
 * at once), then each step unmaps a random mapping and maps again; now and then a run of 2..20
 * entries, an aligned one, a mask that caps the pools (which leaves hints outside their pool),
 * a map that fails in every pool, and bursts of unmaps that leave single holes.
 */
Test(alloc_search, tce_brim_churn)
{
	const uint64_t size = 1ull << 18;
	struct tce_table t, r;
	uint64_t *ln, *lnp, seed = 77, nlive = 0, fails = 0, skipped = 0;
	unsigned ops = 400000;

	cr_assert_eq(tce_table_init(&t, size, 0, 12), 0);
	cr_assert_eq(tce_table_init(&r, size, 0, 12), 0);
	tce_table_set_reference(&r, 1);
	ln = calloc(size, sizeof(*ln));
	lnp = calloc(size, sizeof(*lnp));
	for (unsigned i = 0; i < ops; i++) {
		uint64_t x = rnd(&seed), np = 1, mask = UINT64_MAX >> 12, n, m, fbefore;
		unsigned ao = 0, cpu = (unsigned)(x >> 40) % 8;
		int fill = i < size + size / 8;

		if (!fill && nlive) {
			/* unmap a random mapping (a burst of them now and then) */
			unsigned burst = (x >> 8) % 500 == 0 ? 200 : 1;

			for (unsigned b = 0; b < burst && nlive; b++) {
				uint64_t k = rnd(&seed) % nlive;

				tce_free(&t, ln[k], lnp[k]);
				tce_free(&r, ln[k], lnp[k]);
				ln[k] = ln[nlive - 1];
				lnp[k] = lnp[--nlive];
			}
		}
		if ((x >> 16) % 16 == 0)
			np = 2 + (x >> 20) % 19;
		if ((x >> 24) % 32 == 0)
			ao = 1 + (unsigned)((x >> 28) % 3);
		if ((x >> 32) % 16 == 0)
			mask = (x >> 36) % 2 ? size / 2 + (x >> 44) % (size / 2) : size * 3 / 4 - 1;
		fbefore = t.failures;
		n = tce_alloc(&t, np, ao, mask, 1ull << 20, cpu, NULL);
		m = tce_alloc(&r, np, ao, mask, 1ull << 20, cpu, NULL);
		cr_assert_eq(n, m, "op %u: np %lu ao %u mask %lx cpu %u: fast %lu, reference %lu", i,
			     (unsigned long)np, ao, (unsigned long)mask, cpu, (unsigned long)n,
			     (unsigned long)m);
		tce_same(&t, &r, i);
		if (n == TCE_ALLOC_FAIL) {
			fails++;
			skipped += t.failures - fbefore;
			continue;
		}
		ln[nlive] = n;
		lnp[nlive++] = np;
	}
	cr_assert_eq(memcmp(t.map, r.map, size / 64 * sizeof(*t.map)), 0);
	cr_expect_gt(fails, 1000, "%lu failed maps", (unsigned long)fails);
	cr_expect_eq(skipped, fails);
	cr_expect_gt(t.peak + t.reserved, size - 8);
	free(ln);
	free(lnp);
	tce_table_free(&t);
	tce_table_free(&r);
}

/* The DMA API paths on both: map_sg with its handle and merging, coherent allocations. */
Test(alloc_search, tce_dma_api_paths)
{
	struct tce_table t, r;
	struct tce_dev d = { .dma_mask = UINT64_MAX, .coherent_mask = (1ull << 32) - 1,
			     .seg_boundary = TCE_PCI_SEG_BOUNDARY,
			     .max_seg_size = TCE_PCI_MAX_SEG_SIZE, .kernel_page_shift = 16 };
	struct tce_sg sa[16], sb[16];
	struct {
		int kind;
		uint64_t dma, size;
		unsigned n;
		struct tce_sg sg[16];
	} *lv;
	unsigned nlive = 0, ops = 20000;
	uint64_t seed = 99;

	cr_assert_eq(tce_table_init(&t, 1ull << 18, 0, 12), 0);
	cr_assert_eq(tce_table_init(&r, 1ull << 18, 0, 12), 0);
	tce_table_set_reference(&r, 1);
	lv = calloc(ops, sizeof(*lv));
	for (unsigned i = 0; i < ops; i++) {
		uint64_t x = rnd(&seed);
		unsigned cpu = (unsigned)(x >> 50) % 16;

		if (nlive && x % 100 < 20) {
			unsigned k = (unsigned)((x >> 8) % nlive);

			if (lv[k].kind == 0) {
				tce_unmap_page(&t, lv[k].dma, lv[k].size);
				tce_unmap_page(&r, lv[k].dma, lv[k].size);
			} else if (lv[k].kind == 1) {
				tce_free_coherent(&t, &d, lv[k].dma, lv[k].size);
				tce_free_coherent(&r, &d, lv[k].dma, lv[k].size);
			} else {
				tce_unmap_sg(&t, lv[k].sg, lv[k].n);
				tce_unmap_sg(&r, lv[k].sg, lv[k].n);
			}
			lv[k] = lv[--nlive];
		} else if (x % 3 == 0) {
			uint64_t va = (x >> 10) & 0xffff000, size = 1 + (x >> 30) % 200000, a, b;

			a = tce_map_page(&t, &d, cpu, va, size, NULL, NULL);
			b = tce_map_page(&r, &d, cpu, va, size, NULL, NULL);
			cr_assert_eq(a, b, "op %u", i);
			if (a != TCE_ALLOC_FAIL) {
				lv[nlive].kind = 0;
				lv[nlive].dma = a;
				lv[nlive++].size = size;
			}
		} else if (x % 3 == 1) {
			uint64_t pa = (x >> 10) & 0xfff0000, size = 1 + (x >> 30) % 600000, a, b;

			a = tce_alloc_coherent(&t, &d, cpu, pa, size, NULL, NULL);
			b = tce_alloc_coherent(&r, &d, cpu, pa, size, NULL, NULL);
			cr_assert_eq(a, b, "op %u", i);
			if (a != TCE_ALLOC_FAIL) {
				lv[nlive].kind = 1;
				lv[nlive].dma = a;
				lv[nlive++].size = size;
			}
		} else {
			unsigned n = 1 + (unsigned)((x >> 20) % 16);
			int ca, cb;

			for (unsigned j = 0; j < n; j++) {
				uint64_t y = rnd(&seed);

				sa[j].vaddr = sb[j].vaddr = (y & 0xffff) << 12;
				sa[j].len = sb[j].len = y >> 60 ? 4096 * (1 + (y >> 20) % 20) : 0;
			}
			ca = tce_map_sg(&t, &d, cpu, sa, n);
			cb = tce_map_sg(&r, &d, cpu, sb, n);
			cr_assert_eq(ca, cb, "op %u", i);
			for (unsigned j = 0; j < n; j++) {
				cr_assert_eq(sa[j].dma, sb[j].dma, "op %u", i);
				cr_assert_eq(sa[j].entry, sb[j].entry, "op %u", i);
				cr_assert_eq(sa[j].npages, sb[j].npages, "op %u", i);
				cr_assert_eq(sa[j].out, sb[j].out, "op %u", i);
			}
			if (ca > 0) {
				lv[nlive].kind = 2;
				lv[nlive].n = n;
				memcpy(lv[nlive++].sg, sa, n * sizeof(*sa));
			}
		}
		tce_same(&t, &r, i);
	}
	cr_assert_eq(memcmp(t.map, r.map, (t.size + 63) / 64 * sizeof(*t.map)), 0);
	cr_expect_gt(t.failures, 100);
	free(lv);
	tce_table_free(&t);
	tce_table_free(&r);
}

/* ---- swiotlb ----------------------------------------------------------------------------- */

static void pool_same(const struct swiotlb_pool *a, const struct swiotlb_pool *b, unsigned op,
		      int full)
{
	cr_assert_eq(a->nslabs, b->nslabs, "op %u", op);
	cr_assert_eq(a->used, b->used, "op %u", op);
	cr_assert_eq(a->hiwater, b->hiwater, "op %u", op);
	cr_assert_eq(a->failures, b->failures, "op %u", op);
	cr_assert_eq(a->slots_searched, b->slots_searched, "op %u", op);
	cr_assert_eq(a->areas_searched, b->areas_searched, "op %u", op);
	for (unsigned i = 0; i < a->nareas; i++) {
		cr_assert_eq(a->areas[i].index, b->areas[i].index, "op %u area %u", op, i);
		cr_assert_eq(a->areas[i].used, b->areas[i].used, "op %u area %u", op, i);
	}
	if (full) {
		/* alloc_size and head of every slot, and the free bits (the list values) */
		cr_assert_eq(memcmp(a->slots, b->slots, a->nslabs * sizeof(*a->slots)), 0, "op %u",
			     op);
		cr_assert_eq(memcmp(a->freemap, b->freemap, (a->nslabs + 63) / 64 * 8), 0, "op %u",
			     op);

	}
}

struct slive {
	uint64_t tlb;
};

/* Device masks as drivers set them, and some that are not the usual shape. */
static const uint64_t min_aligns[] = { 0, 0, 0, 0xfff, 0x7ff, 0x1fff, 0xffff, 0x3000, 0x2800 };
static const uint64_t alloc_aligns[] = { 0, 0, 0, 0, 0x7ff, 0xfff, 0xffff, 0x3ffff };
static const uint64_t boundaries[] = { 0, 0xffffffff, 0xffffffff, 0xffff, 0xfffff, 0x3fff };

/* Draw one request: mostly small maps (full pools fail them after long walks), some large. */
static void draw(uint64_t *seed, uint64_t *orig, uint64_t *size, uint64_t *ma, uint64_t *aa,
		 uint64_t *bd, unsigned *cpu)
{
	uint64_t x = rnd(seed), y = rnd(seed);

	*orig = (x >> 4) % 4 ? (y & 0xffffffff) << (x % 3 ? 0 : 11) : 0;
	*size = x % 8 ? 1 + (y >> 40) % (x % 3 ? 2048 : 8192) :
		1 + (y >> 32) % ((x >> 8) % 8 ? 70000 : 300000);
	*ma = (x >> 12) % 3 ? 0 : min_aligns[(x >> 16) % 9];
	*aa = (x >> 20) % 4 ? 0 : alloc_aligns[(x >> 24) % 8];
	*bd = boundaries[(x >> 28) % 6];
	*cpu = (unsigned)((x >> 32) % 16);
}

static void swiotlb_diff(uint64_t nslabs, unsigned nareas, uint64_t base, unsigned ps,
			 uint64_t seed, unsigned ops)
{
	struct swiotlb_pool p, r;
	struct slive *lv;
	unsigned nlive = 0;
	uint64_t ok = 0, fails = 0;

	cr_assert_eq(swiotlb_pool_init(&p, nslabs, nareas, 8, base), 0);
	cr_assert_eq(swiotlb_pool_init(&r, nslabs, nareas, 8, base), 0);
	swiotlb_pool_set_reference(&r, true);
	lv = calloc(ops, sizeof(*lv));
	for (unsigned i = 0; i < ops; i++) {
		uint64_t x = rnd(&seed), orig, size, ma, aa, bd, a = 0, b = 0, sa, sb;
		unsigned cpu, free_pct = (i / 2048) % 4 == 3 ? 55 : 20;

		if (nlive && x % 100 < free_pct) {
			unsigned k = (unsigned)((x >> 8) % nlive);

			cr_assert_eq(swiotlb_release(&p, lv[k].tlb), swiotlb_release(&r, lv[k].tlb),
				     "op %u", i);
			lv[k] = lv[--nlive];
		} else if (x % 100 < free_pct + 2) {
			/* an address that is no live mapping's: refused alike */
			uint64_t bad = base + ((x >> 16) % (nslabs * 2048));

			cr_assert_eq(swiotlb_release(&p, bad), swiotlb_release(&r, bad), "op %u", i);
		} else {
			draw(&seed, &orig, &size, &ma, &aa, &bd, &cpu);
			sa = swiotlb_alloc(&p, orig, size, ma, aa, bd, ps, cpu, &a);
			sb = swiotlb_alloc(&r, orig, size, ma, aa, bd, ps, cpu, &b);
			cr_assert_eq(sa, sb, "op %u: size %lu min_align %lx alloc_align %lx "
				     "boundary %lx cpu %u: fast %lu, reference %lu", i,
				     (unsigned long)size, (unsigned long)ma, (unsigned long)aa,
				     (unsigned long)bd, cpu, (unsigned long)sa, (unsigned long)sb);
			if (sa != SWIOTLB_FAIL) {
				cr_assert_eq(a, b, "op %u", i);
				lv[nlive++].tlb = a;
				ok++;
			} else {
				fails++;
			}
		}
		pool_same(&p, &r, i, i % 1024 == 0);
	}
	pool_same(&p, &r, ops, 1);
	cr_expect_gt(p.hiwater, p.nslabs * 9 / 10, "hiwater %lu of %lu", (unsigned long)p.hiwater,
		     (unsigned long)p.nslabs);
	cr_expect_gt(fails, ops / 50);
	cr_expect_gt(ok, ops / 4);
	free(lv);
	swiotlb_pool_free(&p);
	swiotlb_pool_free(&r);
}

Test(alloc_search, swiotlb_default_pool)
{
	/* 64 MiB, 8 areas, 4 KiB pages, a page-aligned base */
	swiotlb_diff(32768, 8, 0x10000000ull, 12, 5, 60000);
}

Test(alloc_search, swiotlb_one_area_odd_base)
{
	/* one area, a base that is only slot aligned (alignment tests see its low bits) */
	swiotlb_diff(8192, 1, 0x12345800ull, 12, 6, 40000);
}

Test(alloc_search, swiotlb_64k_pages_many_areas)
{
	swiotlb_diff(65536, 64, 0x40000000ull, 16, 7, 60000);
}

Test(alloc_search, swiotlb_dynamic_mem)
{
	struct swiotlb_mem_config cfg = { .nslabs = 4096, .nareas = 4, .ncpus = 4,
					  .base = 0x8000000ull, .dynamic = true, .can_grow = true,
					  .page_shift = 12, .max_page_order = 6 };
	struct swiotlb_mem m, r;
	struct slive *lv;
	unsigned nlive = 0, ops = 30000;
	uint64_t seed = 8;

	cr_assert_eq(swiotlb_mem_init(&m, &cfg), 0);
	cr_assert_eq(swiotlb_mem_init(&r, &cfg), 0);
	swiotlb_mem_set_reference(&r, true);
	lv = calloc(ops, sizeof(*lv));
	for (unsigned i = 0; i < ops; i++) {
		uint64_t x = rnd(&seed), orig, size, ma, aa, bd, a, b;
		enum swiotlb_map_kind ka, kb;
		unsigned cpu;

		if (nlive && x % 100 < 30) {
			unsigned k = (unsigned)((x >> 8) % nlive);

			cr_assert_eq(swiotlb_mem_unmap(&m, lv[k].tlb), swiotlb_mem_unmap(&r, lv[k].tlb),
				     "op %u", i);
			lv[k] = lv[--nlive];
		} else if (x % 100 < 31 && m.npools < 6) {
			cr_assert_eq(swiotlb_mem_run_worker(&m), swiotlb_mem_run_worker(&r));
		} else {
			draw(&seed, &orig, &size, &ma, &aa, &bd, &cpu);
			a = swiotlb_mem_map(&m, orig, size, ma, aa, bd, cpu, &ka);
			b = swiotlb_mem_map(&r, orig, size, ma, aa, bd, cpu, &kb);
			cr_assert_eq(a, b, "op %u", i);
			cr_assert_eq(ka, kb, "op %u", i);
			if (a != SWIOTLB_FAIL)
				lv[nlive++].tlb = a;
		}
		cr_assert_eq(m.used, r.used, "op %u", i);
		cr_assert_eq(m.failures, r.failures, "op %u", i);
		cr_assert_eq(m.slots_searched, r.slots_searched, "op %u", i);
		cr_assert_eq(m.areas_searched, r.areas_searched, "op %u", i);
		cr_assert_eq(m.npools, r.npools, "op %u", i);
		for (unsigned j = 0; j < m.npools; j++)
			pool_same(m.pools[j], r.pools[j], i, i % 1024 == 0);
	}
	cr_expect_gt(m.failures, 100);
	cr_expect_gt(m.transient_maps, 100);
	cr_expect_gt(m.npools, 2);
	free(lv);
	swiotlb_mem_free(&m);
	swiotlb_mem_free(&r);
}
