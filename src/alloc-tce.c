/*
 * alloc-tce.c: the powerpc TCE IOVA allocator and the DMA API's per-map rules (see
 * alloc-tce.h). Written from the rules of Linux arch/powerpc/kernel/iommu.c and
 * lib/iommu-helper.c; no kernel code is copied. Bit scans go a 64-bit word at a time.
 *
 * Differences between kernel versions that change results (all read in torvalds/linux):
 *  - iommu_range_alloc(): before v5.13 a failed small allocation gave up after the small pools;
 *    since then it tries the large pool last (pass nr_pools + 1). Modelled: v5.13+.
 *  - hash_32(): GOLDEN_RATIO_32 0x61C88647 since v4.7; 0x9e370001 in 3.6..4.6. Modelled: v4.7+.
 *  - iommu_area_alloc(): older helpers restarted at index + 1 after a boundary crossing, newer
 *    ones jump to the next boundary. Both return the same index (every position between the
 *    crossing one and the boundary crosses too), which is all the model computes.
 *  - ppc_iommu_map_sg(): older kernels kept the in-page offset of sg->offset, newer ones of
 *    the virtual address; they differ only when the IOMMU page is larger than PAGE_SIZE.
 *    Modelled: the newer (vaddr) rule.
 *  - Free never moves a pool hint in any version (__iommu_free only clears bits).
 *
 * Behaviour the kernel leaves undefined or never reaches, and what the model does instead:
 *  - a search limit of 0 (pool of size 0 in a table of < 2 entries) would make the kernel's
 *    "size - 1" wrap: the model treats it as an empty search;
 *  - a DMA mask below the table offset would make the kernel's limit wrap: the model fails;
 *  - iommu_is_span_boundary() takes 32-bit index/nr; the model uses 64 bits (same result for
 *    boundaries up to 2^32 entries);
 *  - a non-power-of-two boundary is a BUG_ON in the kernel: the model fails the allocation;
 *  - a run longer than the boundary can never fit. The newer iommu_area_alloc() would spin
 *    forever once the candidate sits on a boundary (ALIGN() returns it unchanged); the older
 *    one fails after scanning. The model fails at once (same result as the older helper).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alloc-tce.h"
#include "error.h"
#include "util.h"

#define GOLDEN_RATIO_32 0x61C88647u  /* include/linux/hash.h since v4.7 */

/* ---- word-at-a-time bitmap primitives --------------------------------------------------- */

static inline uint64_t bit_word(uint64_t bit)
{
	return bit >> 6;
}

static inline uint64_t mask_from(uint64_t bit)
{
	return ~0ull << (bit & 63);
}

static inline uint64_t umin(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* First clear bit in [start, size), or size (find_next_zero_bit()). */
static uint64_t scan_zero(const uint64_t *map, uint64_t size, uint64_t start)
{
	uint64_t i, w, last;

	if (start >= size)
		return size;
	i = bit_word(start);
	last = bit_word(size - 1);
	w = ~map[i] & mask_from(start);
	while (!w) {
		if (++i > last)
			return size;
		w = ~map[i];
	}
	return umin((i << 6) + (uint64_t)__builtin_ctzll(w), size);
}

/* First set bit in [start, end), or end (find_next_bit()). */
static uint64_t scan_one(const uint64_t *map, uint64_t end, uint64_t start)
{
	uint64_t i, w, last;

	if (start >= end)
		return end;
	i = bit_word(start);
	last = bit_word(end - 1);
	w = map[i] & mask_from(start);
	while (!w) {
		if (++i > last)
			return end;
		w = map[i];
	}
	return umin((i << 6) + (uint64_t)__builtin_ctzll(w), end);
}

/* Mask of the bits of word @i that lie in [start, end). */
static inline uint64_t range_mask(uint64_t i, uint64_t start, uint64_t end)
{
	uint64_t m = ~0ull;

	if (bit_word(start) == i)
		m &= mask_from(start);
	if (bit_word(end - 1) == i)
		m &= ~0ull >> (63 - ((end - 1) & 63));
	return m;
}

static void set_range(uint64_t *map, uint64_t start, uint64_t n)
{
	uint64_t end = start + n;

	for (uint64_t i = bit_word(start); n && i <= bit_word(end - 1); i++)
		map[i] |= range_mask(i, start, end);
}

static void clear_range(uint64_t *map, uint64_t start, uint64_t n)
{
	uint64_t end = start + n;

	for (uint64_t i = bit_word(start); n && i <= bit_word(end - 1); i++)
		map[i] &= ~range_mask(i, start, end);
}

static uint64_t count_range(const uint64_t *map, uint64_t start, uint64_t end)
{
	uint64_t c = 0;

	if (start >= end)
		return 0;
	for (uint64_t i = bit_word(start); i <= bit_word(end - 1); i++)
		c += (uint64_t)__builtin_popcountll(map[i] & range_mask(i, start, end));
	return c;
}

static inline int test_bit64(const uint64_t *map, uint64_t bit)
{
	return (map[bit_word(bit)] >> (bit & 63)) & 1;
}

/* fls64(): 1-based index of the highest set bit, 0 for 0. */
static inline unsigned fls64(uint64_t x)
{
	return x ? 64 - (unsigned)__builtin_clzll(x) : 0;
}

/* ---- table ------------------------------------------------------------------------------ */

/* Mark entry 0 if the window starts at bus address 0 (iommu_table_reserve_pages()). */
static void reserve_page0(struct tce_table *t)
{
	if (t->offset == 0 && !test_bit64(t->map, 0)) {
		t->map[0] |= 1;
		t->reserved++;
	}
}

int tce_table_init(struct tce_table *t, uint64_t size, uint64_t offset, unsigned page_shift)
{
	int maps_1g;

	memset(t, 0, sizeof(*t));
	if (!size || size >= (1ull << 60) || page_shift >= 64)
		return -ISM_ERANGE;
	t->size = size;
	t->offset = offset;
	t->page_shift = page_shift;
	t->blocksize = TCE_BLOCKSIZE;
	t->map = xcalloc(bit_word(size - 1) + 1, sizeof(*t->map));

	/* iommu_init_table() -> iommu_table_reserve_pages(tbl, 0, 0): only entry 0. */
	reserve_page0(t);

	/* iommu_init_table(): split into pools only when the table maps 1 GiB or more. */
	maps_1g = page_shift >= 30 || size >= (1ull << (30 - page_shift));
	t->nr_pools = maps_1g ? TCE_NR_POOLS : 1;

	/* The top quarter is the large pool; the small pools share the rest equally. */
	t->poolsize = (size * 3 / 4) / t->nr_pools;
	for (unsigned i = 0; i < t->nr_pools; i++) {
		t->pools[i].start = t->poolsize * i;
		t->pools[i].end = t->pools[i].start + t->poolsize;
		t->pools[i].hint = t->pools[i].start;
	}
	t->large_pool.start = t->poolsize * t->nr_pools;
	t->large_pool.end = size;
	t->large_pool.hint = t->large_pool.start;
	return 0;
}

void tce_table_reserve(struct tce_table *t, uint64_t start, uint64_t end)
{
	/* iommu_table_reserve_pages(): entry 0 again, then the range clamped to the table. */
	reserve_page0(t);
	if (end > t->size)
		end = t->size;
	if (start >= end) {
		t->res_start = t->res_end = 0;
		return;
	}
	t->res_start = start;
	t->res_end = end;
	t->reserved += (end - start) - count_range(t->map, start, end);
	set_range(t->map, start, end - start);
}

void tce_table_free(struct tce_table *t)
{
	free(t->map);
	memset(t, 0, sizeof(*t));
}

/* ---- allocation ------------------------------------------------------------------------- */

unsigned tce_pool_hash(unsigned cpu)
{
	/* hash_32(val, bits) = (val * GOLDEN_RATIO_32) >> (32 - bits), 32-bit arithmetic. */
	return (uint32_t)((uint32_t)cpu * GOLDEN_RATIO_32) >> (32 - TCE_POOL_HASHBITS);
}

/* iommu_is_span_boundary(): does [index, index + nr) cross a multiple of @bs (bus entries)? */
static inline int spans_boundary(uint64_t index, uint64_t nr, uint64_t shift, uint64_t bs)
{
	return ((shift + index) & (bs - 1)) + nr > bs;
}

/*
 * The rule of iommu_area_alloc() + bitmap_find_next_zero_area(): the kernel takes the first
 * zero at or after @start, aligns it up, and restarts past any set bit in the run, or at the
 * next boundary when the run would cross one. Every position it skips is provably invalid
 * (it holds a set bit, is unaligned, or crosses the same boundary), so the result is the
 * SMALLEST aligned index >= @start whose @nr entries are free, end at or before @size, and do
 * not cross a boundary. The two finders below compute exactly that.
 */

/* Run-by-run, as the kernel does: for runs longer than 64 entries. */
static uint64_t find_area_long(const struct tce_table *t, uint64_t size, uint64_t start,
			       uint64_t nr, uint64_t boundary, uint64_t align_mask)
{
	uint64_t index, end, hit;

	for (;;) {
		index = scan_zero(t->map, size, start);
		index = (index + align_mask) & ~align_mask;
		if (index >= size || nr > size - index)
			return TCE_ALLOC_FAIL;
		end = index + nr;
		hit = scan_one(t->map, end, index);
		if (hit < end) {
			start = hit + 1;
			continue;
		}
		if (boundary && spans_boundary(index, nr, t->offset, boundary)) {
			/* Restart at the next boundary (in bus entry numbers). */
			start = ((t->offset + index + boundary - 1) & ~(boundary - 1)) - t->offset;
			continue;
		}
		return index;
	}
}

/* x &= x >> s over the 128-bit value hi:lo, 0 < s < 64. */
static inline void and_shr128(uint64_t *lo, uint64_t *hi, unsigned s)
{
	uint64_t l = (*lo >> s) | (*hi << (64 - s));

	*lo &= l;
	*hi &= *hi >> s;
}

/*
 * Word-parallel, for runs of 1..64 entries: for each 64-entry word, the positions where @nr
 * free entries start (looking into the next word) are computed with shifts and ANDs, then
 * masked by start, end, alignment and boundary. One word per step however fragmented the
 * bitmap is, where the run-by-run loop would take a step per free run.
 */
static uint64_t find_area_short(const struct tce_table *t, uint64_t size, uint64_t start,
				uint64_t nr, uint64_t boundary, uint64_t align_mask)
{
	uint64_t nwords = bit_word(t->size - 1) + 1, align_pat = 1, last;

	if (nr > size)
		return TCE_ALLOC_FAIL;
	last = size - nr;       /* highest index a run may start at */
	/* one bit every align_mask + 1 positions: (2^64 - 1) / (2^k - 1) for a step of k < 64 */
	if (align_mask < 63)
		align_pat = ~0ull / ((1ull << (align_mask + 1)) - 1);
	for (uint64_t i = bit_word(start); (i << 6) <= last; i++) {
		uint64_t base = i << 6, lo, hi, cand, len = 1;

		if (t->map[i] == ~0ull)
			continue;
		lo = ~t->map[i];
		hi = i + 1 < nwords ? ~t->map[i + 1] : 0;
		/* lo bit p: entries base + p .. base + p + len - 1 are all free */
		while (len * 2 <= nr) {
			and_shr128(&lo, &hi, (unsigned)len);
			len *= 2;
		}
		if (len < nr)
			and_shr128(&lo, &hi, (unsigned)(nr - len));
		cand = lo;
		if (base < start)
			cand &= mask_from(start);
		if (last - base < 63)
			cand &= ~0ull >> (63 - (last - base));
		if (align_mask < 64)
			cand &= align_pat;
		else if (base & align_mask)
			cand = 0;
		else
			cand &= 1;
		for (; cand; cand &= cand - 1) {
			uint64_t index = base + (uint64_t)__builtin_ctzll(cand);

			if (!boundary || !spans_boundary(index, nr, t->offset, boundary))
				return index;
		}
	}
	return TCE_ALLOC_FAIL;
}

/*
 * iommu_area_alloc(): find the run below limit - 1 (the kernel never uses the last entry
 * before the limit: "size -= 1"), set its bits, return its index or TCE_ALLOC_FAIL.
 *
 * search_bits: a successful search passes over (index + nr) - start entries, a failed one
 * over (limit - 1) - start. Defined by the result alone, so both finders count the same; it
 * matches the kernel's find_next_zero_bit()/find_next_bit() bit counts except for the
 * positions alignment and boundary jumps skip.
 */
static uint64_t area_alloc(struct tce_table *t, uint64_t limit, uint64_t start, uint64_t nr,
			   uint64_t boundary, uint64_t align_mask)
{
	uint64_t size, index;

	if (limit == 0)
		return TCE_ALLOC_FAIL;
	size = limit - 1;
	/* A run longer than the boundary never fits (see the top comment). */
	if (boundary && nr > boundary)
		index = TCE_ALLOC_FAIL;
	else if (nr <= 64)
		index = find_area_short(t, size, start, nr, boundary, align_mask);
	else
		index = find_area_long(t, size, start, nr, boundary, align_mask);
	if (index == TCE_ALLOC_FAIL) {
		if (start < size)
			t->search_bits += size - start;
		return TCE_ALLOC_FAIL;
	}
	t->search_bits += index + nr - start;
	set_range(t->map, index, nr);
	return index;
}

static uint64_t alloc_fail(struct tce_table *t)
{
	t->failures++;
	return TCE_ALLOC_FAIL;
}

uint64_t tce_alloc(struct tce_table *t, uint64_t npages, unsigned align_order, uint64_t mask,
		   uint64_t boundary_pages, unsigned cpu, uint64_t *handle)
{
	int largealloc = npages > TCE_LARGE_ALLOC;
	unsigned pool_nr, pass = 0;
	uint64_t align_mask, start, limit, n, end;
	struct tce_pool *pool;

	/* npages == 0 is a WARN + DMA_MAPPING_ERROR in the kernel. */
	if (!npages || align_order >= 64 || (boundary_pages & (boundary_pages - 1)))
		return alloc_fail(t);
	align_mask = (1ull << align_order) - 1;

	/* The CPU's precomputed hash picks a small pool; big requests go to the large pool. */
	pool_nr = tce_pool_hash(cpu) & (t->nr_pools - 1);
	pool = largealloc ? &t->large_pool : &t->pools[pool_nr];

	for (;;) {
		/* Pass 0 continues an sg list at its handle if that lies in this pool. */
		if (pass == 0 && handle && *handle && *handle >= pool->start &&
		    *handle < pool->end)
			start = *handle;
		else
			start = pool->hint;
		limit = pool->end;
		/* A hint at or past the end (last block used, small after large): wrap. */
		if (start >= limit)
			start = pool->start;

		/*
		 * The device cannot reach the pool's end: cap the limit at the mask. The first pass
		 * tries the masked hint; a later pass, or a masked hint above the cap, restarts at
		 * the start of pool 0 (which becomes the pool whose hint is updated).
		 */
		if (limit + t->offset > mask) {
			if (mask < t->offset)
				return alloc_fail(t);
			limit = mask - t->offset + 1;
			if ((start & mask) >= limit || pass > 0) {
				pool = &t->pools[0];
				start = pool->start;
			} else {
				start &= mask;
			}
		}

		n = area_alloc(t, limit, start, npages, boundary_pages, align_mask);
		if (n != TCE_ALLOC_FAIL)
			break;

		if (pass == 0) {
			/* Retry this pool from its start. */
			pool->hint = pool->start;
		} else if (pass <= t->nr_pools) {
			/* Then each small pool in turn, from its start (ending at our own). */
			pool_nr = (pool_nr + 1) & (t->nr_pools - 1);
			pool = &t->pools[pool_nr];
			pool->hint = pool->start;
		} else if (pass == t->nr_pools + 1) {
			/* Last resort: the large pool (v5.13+). */
			pool = &t->large_pool;
			pool->hint = pool->start;
		} else {
			return alloc_fail(t);
		}
		pass++;
	}

	end = n + npages;
	/* Small allocations bump the hint to the next block; large ones do not (fragmentation). */
	if (largealloc)
		pool->hint = end;
	else
		pool->hint = (end + t->blocksize - 1) & ~(t->blocksize - 1);
	if (handle)
		*handle = end;

	t->used += npages;
	t->peak = umax(t->peak, t->used);
	return n;
}

void tce_free(struct tce_table *t, uint64_t entry, uint64_t npages)
{
	uint64_t end, set, res = 0;

	/* iommu_free_check(): silently (WARN) ignore ranges outside the table. */
	if (!npages || npages > t->size || entry > t->size - npages)
		return;
	end = entry + npages;

	/* Tell reserved bits (a bad free) from mapped ones, for the counters only. */
	set = count_range(t->map, entry, end);
	if (t->res_start < t->res_end)
		res = count_range(t->map, umax(entry, t->res_start), umin(end, t->res_end));
	if (t->offset == 0 && entry == 0 && test_bit64(t->map, 0) &&
	    !(t->res_start == 0 && t->res_end > 0))
		res++;
	res = umin(res, t->reserved);
	t->reserved -= res;
	t->used -= umin(set - res, t->used);

	/* __iommu_free(): clear the bits. The pool (get_pool()) only selects a lock. */
	clear_range(t->map, entry, npages);
}

/* ---- per-map rules ---------------------------------------------------------------------- */

uint64_t tce_num_pages(uint64_t addr, uint64_t size, unsigned page_shift)
{
	uint64_t psize = 1ull << page_shift;
	uint64_t span = (addr & (psize - 1)) + size;

	return (span >> page_shift) + ((span & (psize - 1)) != 0);
}

unsigned tce_map_align_order(uint64_t vaddr, uint64_t size, unsigned page_shift,
			     unsigned kernel_page_shift)
{
	uint64_t kpage = 1ull << kernel_page_shift;

	if (page_shift < kernel_page_shift && size >= kpage && !(vaddr & (kpage - 1)))
		return kernel_page_shift - page_shift;
	return 0;
}

static inline uint64_t align_up(uint64_t x, unsigned shift)
{
	uint64_t m = (1ull << shift) - 1;

	return (x + m) & ~m;
}

unsigned tce_coherent_order(uint64_t size, unsigned page_shift, unsigned kernel_page_shift)
{
	/* get_iommu_order(): __ilog2((size - 1) >> it_page_shift) + 1, with __ilog2(0) = -1. */
	size = align_up(size, kernel_page_shift);
	return fls64((size - 1) >> page_shift);
}

uint64_t tce_coherent_npages(uint64_t size, unsigned page_shift, unsigned kernel_page_shift)
{
	size = align_up(size, kernel_page_shift);
	/* get_order(size) >= IOMAP_MAX_ORDER: "iommu_alloc_consistent size too large". */
	if (!size || fls64((size - 1) >> kernel_page_shift) >= TCE_IOMAP_MAX_ORDER)
		return 0;
	return align_up(size, page_shift) >> page_shift;
}

uint64_t tce_boundary_pages(uint64_t seg_boundary, unsigned page_shift)
{
	return (seg_boundary >> page_shift) + 1;
}

static inline uint64_t bus_addr(const struct tce_table *t, uint64_t n, uint64_t addr)
{
	return ((t->offset + n) << t->page_shift) | (addr & ((1ull << t->page_shift) - 1));
}

uint64_t tce_map_page(struct tce_table *t, const struct tce_dev *d, unsigned cpu, uint64_t vaddr,
		      uint64_t size, uint64_t *entry, uint64_t *npages)
{
	uint64_t np = tce_num_pages(vaddr, size, t->page_shift);
	unsigned align = tce_map_align_order(vaddr, size, t->page_shift, d->kernel_page_shift);
	uint64_t n;

	n = tce_alloc(t, np, align, d->dma_mask >> t->page_shift,
		      tce_boundary_pages(d->seg_boundary, t->page_shift), cpu, NULL);
	if (entry)
		*entry = n;
	if (npages)
		*npages = n == TCE_ALLOC_FAIL ? 0 : np;
	return n == TCE_ALLOC_FAIL ? TCE_ALLOC_FAIL : bus_addr(t, n, vaddr);
}

/* iommu_free(): bus entry -> table entry, ignoring addresses below the window. */
static void free_bus(struct tce_table *t, uint64_t dma, uint64_t npages)
{
	uint64_t entry = dma >> t->page_shift;

	if (entry < t->offset)
		return;
	tce_free(t, entry - t->offset, npages);
}

void tce_unmap_page(struct tce_table *t, uint64_t dma, uint64_t size)
{
	free_bus(t, dma, tce_num_pages(dma, size, t->page_shift));
}

int tce_map_sg(struct tce_table *t, const struct tce_dev *d, unsigned cpu, struct tce_sg *sg,
	       unsigned nelems)
{
	uint64_t handle = 0, dma_next = 0, seglen = 0;
	uint64_t mask = d->dma_mask >> t->page_shift;
	uint64_t boundary = tce_boundary_pages(d->seg_boundary, t->page_shift);
	unsigned i, segstart = 0, outcount = 1;

	if (!nelems)
		return -1;
	for (i = 0; i < nelems; i++) {
		sg[i].dma = 0;
		sg[i].entry = TCE_ALLOC_FAIL;
		sg[i].npages = 0;
		sg[i].out = 0;
	}
	for (i = 0; i < nelems; i++) {
		struct tce_sg *s = &sg[i];
		uint64_t np, n;
		unsigned align;

		/* Empty elements are skipped and break contiguity. */
		if (!s->len) {
			dma_next = 0;
			continue;
		}
		np = tce_num_pages(s->vaddr, s->len, t->page_shift);
		align = tce_map_align_order(s->vaddr, s->len, t->page_shift, d->kernel_page_shift);
		n = tce_alloc(t, np, align, mask, boundary, cpu, &handle);
		if (n == TCE_ALLOC_FAIL) {
			/* Backout: free everything mapped so far. */
			tce_unmap_sg(t, sg, i);
			return -1;
		}
		s->entry = n;
		s->npages = np;
		s->dma = bus_addr(t, n, s->vaddr);

		/* Merge into the open DMA segment when the bus addresses continue it. */
		if (segstart != i) {
			if (d->novmerge || s->dma != dma_next ||
			    seglen + s->len > d->max_seg_size) {
				segstart = i;
				outcount++;
			} else {
				seglen += s->len;
			}
		}
		if (segstart == i)
			seglen = s->len;
		s->out = outcount - 1;
		dma_next = s->dma + s->len;
	}
	return (int)outcount;
}

void tce_unmap_sg(struct tce_table *t, struct tce_sg *sg, unsigned nelems)
{
	for (unsigned i = 0; i < nelems; i++) {
		if (sg[i].npages && sg[i].entry != TCE_ALLOC_FAIL)
			tce_free(t, sg[i].entry, sg[i].npages);
	}
}

uint64_t tce_alloc_coherent(struct tce_table *t, const struct tce_dev *d, unsigned cpu,
			    uint64_t paddr, uint64_t size, uint64_t *entry, uint64_t *npages)
{
	uint64_t np = tce_coherent_npages(size, t->page_shift, d->kernel_page_shift);
	unsigned order = tce_coherent_order(size, t->page_shift, d->kernel_page_shift);
	uint64_t n = TCE_ALLOC_FAIL;

	if (np)
		n = tce_alloc(t, np, order, d->coherent_mask >> t->page_shift,
			      tce_boundary_pages(d->seg_boundary, t->page_shift), cpu, NULL);
	if (entry)
		*entry = n;
	if (npages)
		*npages = n == TCE_ALLOC_FAIL ? 0 : np;
	return n == TCE_ALLOC_FAIL ? TCE_ALLOC_FAIL : bus_addr(t, n, paddr);
}

void tce_free_coherent(struct tce_table *t, const struct tce_dev *d, uint64_t dma, uint64_t size)
{
	uint64_t psize = align_up(size, d->kernel_page_shift);

	free_bus(t, dma, align_up(psize, t->page_shift) >> t->page_shift);
}
