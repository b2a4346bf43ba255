/*
 * alloc-swiotlb.c: model of the Linux swiotlb slot allocator (see alloc-swiotlb.h).
 *
 * Rules are re-implemented from kernel/dma/swiotlb.c (v6.17-rc mirror; the search and release
 * logic is the same since 6.10) and named after the kernel functions they come from.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alloc-swiotlb.h"
#include "error.h"
#include "util.h"

#define SLOT_SIZE ((uint64_t)1 << SWIOTLB_SLOT_SHIFT)	/* IO_TLB_SIZE */
#define SLOT_MASK (SLOT_SIZE - 1)
#define SEG_BYTES ((uint64_t)SWIOTLB_SEGSIZE * SLOT_SIZE)
#define MAX_NSLABS ((uint64_t)1 << 31)	/* slot indices are unsigned int in the kernel */
#define MAX_NAREAS (1u << 20)

/* head[] word: live bit, pad_slots (< 128) above the sub-slot offset (< 2048). */
#define HEAD_LIVE (1u << 31)
#define HEAD_PAD_SHIFT SWIOTLB_SLOT_SHIFT

static void index_free(struct swiotlb_pool *p);

/* One request, with every mask already worked out (they do not depend on the pool). */
struct swiotlb_req {
	uint64_t orig;		/* orig_addr */
	uint64_t size;		/* total bytes: mapping + offset, aligned to alloc_align_mask + 1 */
	uint64_t nslots;
	uint64_t full_offset;	/* swiotlb_align_offset(dev, alloc_align_mask, orig): may span
				 * whole pad slots */
	uint64_t sub_offset;	/* swiotlb_align_offset(dev, 0, orig): within one slot */
	uint64_t align;		/* slot address bits that must be clear */
	uint64_t iotlb;		/* slot address bits that must equal orig's */
	uint64_t stride;
	uint64_t boundary;	/* dma_get_seg_boundary() */
	uint64_t max_slots;	/* get_max_slots(boundary) */
};

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t r = 1;

	while (r < x)
		r <<= 1;
	return r;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* nr_slots(): DIV_ROUND_UP(bytes, IO_TLB_SIZE), without overflow near 2^64. */
static uint64_t nr_slots(uint64_t bytes)
{
	return (bytes >> SWIOTLB_SLOT_SHIFT) + !!(bytes & SLOT_MASK);
}

/* io_tlb_offset(): a slot's position within its IO_TLB_SEGSIZE segment. */
static uint64_t seg_offset(uint64_t slot)
{
	return slot & (SWIOTLB_SEGSIZE - 1);
}

/* limit_nareas(): no more areas than whole segments. */
static unsigned limit_nareas(unsigned nareas, uint64_t nslots)
{
	if (nslots < (uint64_t)nareas * SWIOTLB_SEGSIZE)
		return (unsigned)(nslots / SWIOTLB_SEGSIZE);
	return nareas;
}

/* wrap_area_index(): past the end of the area means back to its start, not modulo. */
static uint64_t wrap_area_index(const struct swiotlb_pool *p, uint64_t index)
{
	return index >= p->area_nslabs ? 0 : index;
}

/* iommu_is_span_boundary(): would @nr slots from @index cross a @boundary_size-slot line? */
static bool span_boundary(uint64_t index, uint64_t nr, uint64_t shift, uint64_t boundary_size)
{
	return ((shift + index) & (boundary_size - 1)) + nr > boundary_size;
}

/* swiotlb_init_io_tlb_pool(): every slot free; a run never passes its segment or the pool end. */
static void pool_setup(struct swiotlb_pool *p, uint64_t nslabs, unsigned nareas, uint64_t base)
{
	uint64_t i;

	memset(p, 0, sizeof(*p));
	p->nslabs = nslabs;
	p->nareas = nareas;
	p->area_nslabs = nslabs / nareas;
	p->base = base;
	p->areas = xcalloc(nareas, sizeof(*p->areas));
	p->slots = xcalloc(nslabs, sizeof(*p->slots));
	p->freemap = xcalloc((nslabs + 63) / 64, sizeof(*p->freemap));
	for (i = 0; i < nslabs / 64; i++)
		p->freemap[i] = ~0ull;
	if (nslabs % 64)
		p->freemap[nslabs / 64] = ~0ull >> (64 - nslabs % 64);
}

int swiotlb_pool_init(struct swiotlb_pool *p, uint64_t nslabs, unsigned nareas, unsigned ncpus,
		      uint64_t base)
{
	uint64_t na;

	memset(p, 0, sizeof(*p));
	if (nslabs > MAX_NSLABS || nareas > MAX_NAREAS || (base & SLOT_MASK))
		return -ISM_ERANGE;
	/* setup_io_tlb_npages(): "avoid tail segment of size < IO_TLB_SEGSIZE" */
	nslabs = nslabs ? align_up(nslabs, SWIOTLB_SEGSIZE) : SWIOTLB_DEFAULT_NSLABS;
	/* swiotlb_adjust_nareas(): zero counts as one, else the next power of two */
	na = nareas ? nareas : ncpus;
	if (na > MAX_NAREAS)
		return -ISM_ERANGE;
	na = roundup_pow2(na ? na : 1);
	/* round_up_default_nslabs(): at least one segment per area, and a power of two */
	if (nslabs < SWIOTLB_SEGSIZE * na)
		nslabs = SWIOTLB_SEGSIZE * na;
	nslabs = roundup_pow2(nslabs);
	if (nslabs > MAX_NSLABS || base + (nslabs << SWIOTLB_SLOT_SHIFT) < base)
		return -ISM_ERANGE;
	/* swiotlb_init_remap(): limit_nareas() cuts nothing after the rounding above */
	pool_setup(p, nslabs, limit_nareas((unsigned)na, nslabs), base);
	return 0;
}

void swiotlb_pool_set_reference(struct swiotlb_pool *p, bool on)
{
	p->reference = on;
}

void swiotlb_pool_free(struct swiotlb_pool *p)
{
	index_free(p);
	free(p->areas);
	free(p->slots);
	free(p->freemap);
	memset(p, 0, sizeof(*p));
}

/*
 * swiotlb_tbl_map_single() and the top of swiotlb_search_pool_area(): the preserved offset,
 * the padded size, and the masks and stride of the search. Returns -1 for invalid arguments.
 */
static int prepare_req(struct swiotlb_req *r, uint64_t orig, uint64_t size, uint64_t min_align,
		       uint64_t alloc_align, uint64_t boundary, unsigned page_shift)
{
	uint64_t page_size, align, iotlb;

	if (min_align > UINT32_MAX || alloc_align > INT32_MAX || !is_pow2(alloc_align + 1))
		return -1;
	if (page_shift <= SWIOTLB_SLOT_SHIFT || page_shift > 30)
		return -1;
	/* dma_get_seg_boundary(): a device that set no mask gets ULONG_MAX */
	if (!boundary)
		boundary = UINT64_MAX;
	if (boundary != UINT64_MAX && !is_pow2(boundary + 1))
		return -1;
	if (size > UINT32_MAX)
		size = UINT32_MAX;	/* more than any map can get: it fails the same way */

	/* swiotlb_align_offset(): orig's bits under min_align_mask that the slot cannot hold */
	r->orig = orig;
	r->full_offset = orig & min_align & (alloc_align | SLOT_MASK);
	r->sub_offset = orig & min_align & SLOT_MASK;
	/* swiotlb_tbl_map_single(): pad the end to the allocation alignment */
	r->size = align_up(size + r->full_offset, alloc_align + 1);
	if (!r->size)
		return -1;	/* BUG_ON(!nslots) in the kernel */
	r->nslots = nr_slots(r->size);

	/*
	 * swiotlb_search_pool_area(): a streaming map of a page or more with no other alignment
	 * asked for is page aligned; every allocation is slot aligned; min_align bits that the
	 * alignment already clears are not matched; the stride follows the larger mask.
	 */
	page_size = (uint64_t)1 << page_shift;
	align = alloc_align;
	iotlb = min_align;
	if (!align && !iotlb && r->size >= page_size)
		align = page_size - 1;
	align |= SLOT_MASK;
	iotlb &= ~align;
	r->align = align;
	r->iotlb = iotlb;
	r->stride = ((align > iotlb ? align : iotlb) >> SWIOTLB_SLOT_SHIFT) + 1;
	r->boundary = boundary;
	r->max_slots = (boundary >> SWIOTLB_SLOT_SHIFT) + 1;	/* get_max_slots() */
	return 0;
}

/* ---- the search index ------------------------------------------------------------------ */

/*
 * swiotlb_search_pool_area() looks at one slot per step (one per stride when aligned) around
 * the whole area before it gives up, so in a full or fragmented pool a map costs a walk over
 * every slot of every area. The model keeps the kernel's walk, step for step: it needs the
 * slot chosen and the number of slots looked at (the cost model's search work), but it counts
 * the steps that cannot succeed instead of taking them. A step succeeds only where list[] >= the
 * slots asked for; so a segment whose largest list[] value is smaller is passed over in one
 * step. A bound on that value per segment sits in the leaves of a max-tree, which finds the
 * next segment that may fit in O(log segments).
 *
 * The bound stays an upper bound at every change: a release raises it to the largest value it
 * writes; an allocation (which only lowers values) marks the segment, and the next query that
 * lands on it recomputes it. Built on the first search that does not end within DIRECT_STEPS
 * steps; a pool that never fills never builds it.
 *
 * The search reads no slot record: list[i] is the free run from slot i to the end of its
 * segment, so the pool's free bits (freemap, 1 bit a slot, set and cleared by every release
 * and claim) are every list[] value. The steps within a segment are taken all at once on its
 * 128 bits (seg_first_fit()), a segment's exact bound is the longest run of its bits
 * (seg_max()). With 2^20 slots the records are 8 MiB and the bits 128 KiB: a search at high
 * occupancy used to miss the cache on every segment it read (24 lines of records each), now
 * on none. The plain walk (the reference) reads each list[] value it tests (list_at()), as
 * the kernel's loop does.
 */
#define DIRECT_STEPS 16		/* steps looked at one by one before the tree is asked */
#define NO_SEG UINT64_MAX

struct swiotlb_index {
	uint64_t leaves;	/* a power of two >= segments */
	uint64_t segs;
	uint8_t *node;		/* node[1] the root; node[leaves + g]: bound on list[] in segment g;
				 * a node is the largest of its children */
	uint64_t *dirty;	/* a bit per segment whose leaf may be too high */
};

static uint64_t seg_count(const struct swiotlb_pool *p)
{
	return (p->nslabs + SWIOTLB_SEGSIZE - 1) / SWIOTLB_SEGSIZE;
}

/* Free bits of segment @g: slots g * 128 .. + 63 in @lo, the next 64 in @hi. */
static inline void seg_bits(const struct swiotlb_pool *p, uint64_t g, uint64_t *lo, uint64_t *hi)
{
	uint64_t w = g * (SWIOTLB_SEGSIZE / 64);
	uint64_t nw = (p->nslabs + 63) / 64;

	*lo = w < nw ? p->freemap[w] : 0;
	*hi = w + 1 < nw ? p->freemap[w + 1] : 0;
}

/*
 * The largest list[] value of segment @g, exactly: the longest free run in it (list[i] is the
 * run from i to its end, and no run passes a segment), from its 128 free bits.
 */
static uint8_t seg_max(const struct swiotlb_pool *p, uint64_t g)
{
	uint64_t lo, hi;
	unsigned m, a, b, mid;

	seg_bits(p, g, &lo, &hi);
	a = ism_longest_ones(lo);
	b = ism_longest_ones(hi);
	m = a > b ? a : b;
	/* the run across the middle: the top ones of lo and the bottom ones of hi */
	mid = (lo == ~0ull ? 64 : (unsigned)__builtin_clzll(~lo)) +
	      (hi == ~0ull ? 64 : (unsigned)__builtin_ctzll(~hi));
	return (uint8_t)(mid > m ? mid : m);
}

/* Set leaf @g to @v and the nodes above it to the largest of their children. */
static void seg_set(struct swiotlb_index *x, uint64_t g, uint8_t v)
{
	uint64_t i = x->leaves + g;

	x->node[i] = v;
	for (i /= 2; i; i /= 2) {
		uint8_t m = x->node[2 * i] > x->node[2 * i + 1] ? x->node[2 * i] : x->node[2 * i + 1];

		if (x->node[i] == m)
			break;
		x->node[i] = m;
	}
}

static void index_build(struct swiotlb_pool *p)
{
	struct swiotlb_index *x = xcalloc(1, sizeof(*x));

	x->segs = seg_count(p);
	for (x->leaves = 1; x->leaves < x->segs; x->leaves *= 2)
		;
	x->node = xcalloc(2 * x->leaves, 1);
	x->dirty = xcalloc((x->segs + 63) / 64, sizeof(*x->dirty));
	for (uint64_t g = 0; g < x->segs; g++)
		x->node[x->leaves + g] = seg_max(p, g);
	for (uint64_t i = x->leaves; i-- > 1;)
		x->node[i] = x->node[2 * i] > x->node[2 * i + 1] ? x->node[2 * i] : x->node[2 * i + 1];
	p->index = x;
}

static void index_free(struct swiotlb_pool *p)
{
	if (!p->index)
		return;
	free(p->index->node);
	free(p->index->dirty);
	free(p->index);
	p->index = NULL;
}

/*
 * list[] changed in the segment of @slot; @top: the largest value written. An allocation
 * (@shortened) may have lowered the segment's longest run: its bound is recomputed when a
 * query next lands on it.
 */
static void index_update(struct swiotlb_pool *p, uint64_t slot, uint32_t top, bool shortened)
{
	struct swiotlb_index *x = p->index;
	uint64_t g = slot / SWIOTLB_SEGSIZE;

	if (!x)
		return;
	if (top > x->node[x->leaves + g])
		seg_set(x, g, (uint8_t)top);
	if (shortened)
		x->dirty[g / 64] |= 1ull << (g % 64);
}

/* The first segment in [@from, @to] whose longest free run may reach @nr, or NO_SEG. */
static uint64_t next_seg(struct swiotlb_pool *p, uint64_t from, uint64_t to, uint64_t nr)
{
	struct swiotlb_index *x;
	uint64_t i, g;

	if (!p->index)
		index_build(p);
	x = p->index;
	for (;;) {
		if (from > to)
			return NO_SEG;
		i = x->leaves + from;
		if (x->node[i] < nr) {
			/* up to the first right sibling that may fit, then down its leftmost path */
			for (;;) {
				while (i & 1) {
					if (i == 1)
						return NO_SEG;
					i /= 2;
				}
				i++;
				if (x->node[i] >= nr)
					break;
			}
			while (i < x->leaves)
				i = x->node[2 * i] >= nr ? 2 * i : 2 * i + 1;
		}
		g = i - x->leaves;
		if (g > to)
			return NO_SEG;
		if (!(x->dirty[g / 64] & (1ull << (g % 64))))
			return g;
		/* a stale bound: make it exact and ask again from there */
		x->dirty[g / 64] &= ~(1ull << (g % 64));
		seg_set(x, g, seg_max(p, g));
		from = g;
	}
}

/*
 * io_tlb_slot.list of @slot: the free slots from it up to the first one in use, the end of its
 * segment or the end of the pool (what the kernel's init, claim and release keep there).
 */
static uint64_t list_at(const struct swiotlb_pool *p, uint64_t slot)
{
	uint64_t end = align_up(slot + 1, SWIOTLB_SEGSIZE), i = slot;

	if (end > p->nslabs)
		end = p->nslabs;
	while (i < end) {
		/* the slots in use from i on, in its word */
		uint64_t x = ~(p->freemap[i / 64] >> (i % 64)) & (~0ull >> (i % 64));

		if (x) {
			i += (uint64_t)__builtin_ctzll(x);
			break;
		}
		i += 64 - i % 64;
	}
	return (i < end ? i : end) - slot;
}

uint64_t swiotlb_slot_list(const struct swiotlb_pool *p, uint64_t slot)
{
	return list_at(p, slot);
}

/* Can a run of @r->nslots start at @slot (the kernel's test at an aligned step)? */
static inline bool slot_fits(const struct swiotlb_pool *p, uint64_t slot,
			     const struct swiotlb_req *r, uint64_t shift)
{
	return !span_boundary(slot, r->nslots, shift, r->max_slots) && list_at(p, slot) >= r->nslots;
}

/*
 * The same test from the free bits: list[slot] >= nslots when the nslots slots from @slot are
 * free and end inside its segment (1 <= nslots <= IO_TLB_SEGSIZE).
 */
static inline bool slot_fits_bits(const struct swiotlb_pool *p, uint64_t slot,
				  const struct swiotlb_req *r, uint64_t shift)
{
	uint64_t n = r->nslots, w = slot / 64, b = slot % 64, lo, hi;

	if (seg_offset(slot) + n > SWIOTLB_SEGSIZE || n > p->nslabs - slot)
		return false;
	if (span_boundary(slot, n, shift, r->max_slots))
		return false;
	/* the bits from slot, in the word of slot and the next one (a segment is 2 words) */
	lo = p->freemap[w] >> b;
	if (b + n <= 64)
		return ((~lo) & (~0ull >> (64 - n))) == 0;
	if ((~lo) & (~0ull >> b))
		return false;
	hi = p->freemap[w + 1];
	n -= 64 - b;
	return n >= 64 ? hi == ~0ull : ((~hi) & (~0ull >> (64 - n))) == 0;
}

/* Mark slots [@slot, @slot + @n) used (@used) or free in the free bits. */
static void freemap_set(struct swiotlb_pool *p, uint64_t slot, uint64_t n, bool used)
{
	if (slot % 64 + n <= 64) {
		/* within one word: most maps */
		uint64_t m = (n == 64 ? ~0ull : (1ull << n) - 1) << (slot % 64);

		p->freemap[slot / 64] = used ? p->freemap[slot / 64] & ~m : p->freemap[slot / 64] | m;
		return;
	}
	for (uint64_t i = slot; i < slot + n;) {
		uint64_t w = i / 64, b = i % 64, k = 64 - b < slot + n - i ? 64 - b : slot + n - i;
		uint64_t m = (k == 64 ? ~0ull : ((1ull << k) - 1)) << b;

		p->freemap[w] = used ? p->freemap[w] & ~m : p->freemap[w] | m;
		i += k;
	}
}

/*
 * Among the @cnt aligned steps slot0, slot0 + stride, ..., the first that fits, or @cnt; one
 * step at a time (for a stride that is not a power of two up to a segment, which the DMA
 * layer's masks never give). The first DIRECT_STEPS one by one; then segment by segment,
 * passing over those the tree rules out.
 */
static uint64_t first_fit_steps(struct swiotlb_pool *p, uint64_t slot0, uint64_t stride,
				uint64_t cnt, const struct swiotlb_req *r, uint64_t shift)
{
	uint64_t k = 0, lastseg, seg, g, kend;

	for (; k < cnt && k < DIRECT_STEPS; k++)
		if (slot_fits_bits(p, slot0 + k * stride, r, shift))
			return k;
	if (k >= cnt || r->nslots > SWIOTLB_SEGSIZE)
		return cnt;	/* no run is longer than a segment */
	lastseg = (slot0 + (cnt - 1) * stride) / SWIOTLB_SEGSIZE;
	while (k < cnt) {
		seg = (slot0 + k * stride) / SWIOTLB_SEGSIZE;
		g = next_seg(p, seg, lastseg, r->nslots);
		if (g == NO_SEG)
			return cnt;
		if (g > seg) {
			/* the first step at or after segment g */
			k = (g * SWIOTLB_SEGSIZE - slot0 + stride - 1) / stride;
			continue;
		}
		/* the steps in this segment */
		kend = k + ((seg + 1) * SWIOTLB_SEGSIZE - (slot0 + k * stride) + stride - 1) / stride;
		for (; k < kend && k < cnt; k++)
			if (slot_fits_bits(p, slot0 + k * stride, r, shift))
				return k;
	}
	return cnt;
}

/* x &= x >> s over the 128-bit value hi:lo, 0 < s <= 64. */
static inline void and_shr128(uint64_t *lo, uint64_t *hi, unsigned s)
{
	uint64_t l = s == 64 ? *hi : (*lo >> s) | (*hi << (64 - s));

	*lo &= l;
	*hi &= s == 64 ? 0 : *hi >> s;
}

/* Bits @a .. @b (0 <= a <= b <= 63) of a word. */
static inline uint64_t bits_between(unsigned a, unsigned b)
{
	return (~0ull << a) & (~0ull >> (63 - b));
}

/*
 * The steps from step @k that lie in segment @seg, all at once: the positions where nslots
 * free slots start (the free bits ANDed with themselves shifted, zeros past the segment: a
 * run never passes it), those on the stride (a power of two, so the same bit pattern in every
 * word), those from step k to the last one; the first of them that does not cross the
 * boundary. Returns its step, or @cnt.
 */
static uint64_t seg_first_fit(const struct swiotlb_pool *p, uint64_t seg, uint64_t slot0,
			      uint64_t stride, uint64_t k, uint64_t cnt, const struct swiotlb_req *r,
			      uint64_t shift)
{
	uint64_t base = seg * SWIOTLB_SEGSIZE, first = slot0 + k * stride;
	uint64_t last = slot0 + (cnt - 1) * stride, lo, hi, pat_lo, pat_hi, n = r->nslots, len = 1;
	unsigned a, b;

	seg_bits(p, seg, &lo, &hi);
	while (len * 2 <= n) {
		and_shr128(&lo, &hi, (unsigned)len);
		len *= 2;
	}
	if (len < n)
		and_shr128(&lo, &hi, (unsigned)(n - len));
	/* the stride's positions: i = first (mod stride) */
	if (stride < 64) {
		pat_lo = pat_hi = (~0ull / ((1ull << stride) - 1)) << (first % stride);
	} else if (stride == 64) {
		pat_lo = pat_hi = 1ull << (first % 64);
	} else {
		pat_lo = first % 128 < 64 ? 1ull << (first % 64) : 0;
		pat_hi = first % 128 < 64 ? 0 : 1ull << (first % 64);
	}
	/* steps first .. last, within this segment */
	a = (unsigned)(first - base);
	b = last - base < SWIOTLB_SEGSIZE ? (unsigned)(last - base) : SWIOTLB_SEGSIZE - 1;
	lo &= pat_lo & (a < 64 ? bits_between(a, b < 64 ? b : 63) : 0);
	hi &= pat_hi & (b >= 64 ? bits_between(a > 64 ? a - 64 : 0, b - 64) : 0);
	for (int w = 0; w < 2; w++) {
		for (uint64_t c = w ? hi : lo; c; c &= c - 1) {
			uint64_t slot = base + 64 * (uint64_t)w + (uint64_t)__builtin_ctzll(c);

			if (!span_boundary(slot, n, shift, r->max_slots))
				return (slot - slot0) / stride;
		}
	}
	return cnt;
}

/*
 * Among the @cnt aligned steps slot0, slot0 + stride, ..., the first that fits, or @cnt: the
 * segment of the first step from its free bits, then the next segment the tree does not rule
 * out, and so on.
 */
static uint64_t first_fit(struct swiotlb_pool *p, uint64_t slot0, uint64_t stride, uint64_t cnt,
			  const struct swiotlb_req *r, uint64_t shift)
{
	uint64_t k = 0, lastseg, seg, g, c;

	if (!cnt || r->nslots > SWIOTLB_SEGSIZE)
		return cnt;	/* no run is longer than a segment */
	if ((stride & (stride - 1)) || stride > SWIOTLB_SEGSIZE)
		return first_fit_steps(p, slot0, stride, cnt, r, shift);
	/* with room in the pool the first step mostly fits */
	if (slot_fits_bits(p, slot0, r, shift))
		return 0;
	lastseg = (slot0 + (cnt - 1) * stride) / SWIOTLB_SEGSIZE;
	seg = slot0 / SWIOTLB_SEGSIZE;
	for (;;) {
		c = seg_first_fit(p, seg, slot0, stride, k, cnt, r, shift);
		if (c < cnt || seg >= lastseg)
			return c;
		g = next_seg(p, seg + 1, lastseg, r->nslots);
		if (g == NO_SEG)
			return cnt;
		/* the first step at or after segment g (it lies in g: stride <= a segment) */
		k = (g * SWIOTLB_SEGSIZE - slot0 + stride - 1) / stride;
		if (k >= cnt)
			return cnt;
		seg = g;
	}
}

/*
 * The steps of swiotlb_search_pool_area() from @*index, as the kernel takes them, with
 * @*n counting the slots looked at; true with *@slot when a fit is found. The plain walk, one
 * step at a time.
 */
static bool walk_plain(const struct swiotlb_pool *p, uint64_t slot_base, const struct swiotlb_req *r,
		       uint64_t tbl, uint64_t shift, uint64_t *index, uint64_t *n, uint64_t *slot)
{
	uint64_t checked, addr;

	for (checked = 0; checked < p->area_nslabs;) {
		*slot = slot_base + *index;
		addr = tbl + (*slot << SWIOTLB_SLOT_SHIFT);
		++*n;
		/* Misaligned slots are stepped over one at a time. */
		if ((addr & r->align) || (r->orig && (addr & r->iotlb) != (r->orig & r->iotlb))) {
			*index = wrap_area_index(p, *index + 1);
			checked++;
			continue;
		}
		if (slot_fits(p, *slot, r, shift))
			return true;
		*index = wrap_area_index(p, *index + r->stride);
		checked += r->stride;
	}
	return false;
}

/*
 * The same steps, counted arithmetically. The slots whose address passes the alignment test
 * are those congruent to s0 modulo a power of two when the tested bits are the low ones (the
 * masks the DMA layer builds); a misaligned run of steps is then a subtraction, and the
 * aligned ones from a slot are slot + k * stride up to the area's end (the stride keeps the
 * congruence) or up to the step budget. Returns -1 when the masks are not of that shape: the
 * caller then walks.
 */
static int walk_fast(struct swiotlb_pool *p, uint64_t slot_base, const struct swiotlb_req *r,
		     uint64_t tbl, uint64_t shift, uint64_t *index, uint64_t *n, uint64_t *slot)
{
	/*
	 * No run of the slots asked for is free anywhere in the pool (the tree's root bounds
	 * every list[] value, and no list[] value exceeds a segment): every step fails, so the
	 * steps are only counted. A failed map then costs a few operations per area.
	 */
	bool none = r->nslots > SWIOTLB_SEGSIZE || (p->index && p->index->node[1] < r->nslots);
	uint64_t mask = r->align | (r->orig ? r->iotlb : 0), want = r->orig ? r->orig & r->iotlb : 0;
	uint64_t area = p->area_nslabs, checked = 0, per, s0, d, k, cnt, stride = r->stride;

	if (!is_pow2(mask + 1))
		return -1;
	per = (mask + 1) >> SWIOTLB_SLOT_SHIFT;
	if (stride % per)
		return -1;
	s0 = ((want - tbl) >> SWIOTLB_SLOT_SHIFT) & (per - 1);
	while (checked < area) {
		*slot = slot_base + *index;
		d = (s0 - *slot) & (per - 1);
		if (d) {
			/* misaligned: single steps up to the next aligned slot, the end or the budget */
			k = d;
			if (k > area - *index)
				k = area - *index;
			if (k > area - checked)
				k = area - checked;
			*n += k;
			checked += k;
			*index += k;
			if (*index >= area)
				*index = 0;
			continue;
		}
		cnt = (area - *index + stride - 1) / stride;
		if (cnt > (area - checked + stride - 1) / stride)
			cnt = (area - checked + stride - 1) / stride;
		k = none ? cnt : first_fit(p, *slot, stride, cnt, r, shift);
		if (k < cnt) {
			*n += k + 1;
			*index += k * stride;
			*slot = slot_base + *index;
			return 1;
		}
		*n += cnt;
		checked += cnt * stride;
		*index += cnt * stride;
		if (*index >= area)
			*index = 0;
	}
	return 0;
}

/*
 * swiotlb_search_pool_area(): search area @a of @p from its saved index, claim the slots if a
 * fit is found. Counts into @m too when the pool belongs to an io_tlb_mem. Returns the first
 * slot of the allocation (pad slots included) or SWIOTLB_FAIL.
 */
static uint64_t search_area(struct swiotlb_pool *p, unsigned a, const struct swiotlb_req *r,
			    struct swiotlb_mem *m)
{
	struct swiotlb_area *area = &p->areas[a];
	uint64_t tbl = p->base & r->boundary;	/* tbl_dma_addr */
	uint64_t shift = nr_slots(tbl);
	uint64_t slot_base = (uint64_t)a * p->area_nslabs;
	uint64_t index = area->index, slot = 0, i, n = 0;
	bool found = false;
	int fast = -1;

	/* A quick refusal when the area has fewer free slots than asked for, in any order. */
	if (r->nslots <= p->area_nslabs - area->used) {
		if (!p->reference)
			fast = walk_fast(p, slot_base, r, tbl, shift, &index, &n, &slot);
		if (fast < 0)
			found = walk_plain(p, slot_base, r, tbl, shift, &index, &n, &slot);
		else
			found = fast;
	}
	p->areas_searched++;
	p->slots_searched += n;
	if (m) {
		m->areas_searched++;
		m->slots_searched += n;
	}
	if (!found)
		return SWIOTLB_FAIL;

	/*
	 * Claim the run; alloc_size counts down from the first slot, as the kernel keeps it. Its
	 * list values become 0 and those of the free slots before it in the segment count up to
	 * it: clearing its free bits is both.
	 */
	freemap_set(p, slot, r->nslots, true);
	for (i = slot; i < slot + r->nslots; i++)
		p->slots[i].alloc_size = (uint32_t)(r->size - (r->sub_offset +
							 ((i - slot) << SWIOTLB_SLOT_SHIFT)));
	index_update(p, slot, 0, true);

	/* The next search in this area starts after this allocation. */
	area->index = wrap_area_index(p, index + r->nslots);
	area->used += r->nslots;
	p->used += r->nslots;
	if (p->used > p->hiwater)
		p->hiwater = p->used;
	if (m) {
		/* inc_used_and_hiwater() */
		m->used += r->nslots;
		if (m->used > m->hiwater)
			m->hiwater = m->used;
	}
	return slot;
}

/* The !CONFIG_SWIOTLB_DYNAMIC swiotlb_find_slots(): the CPU's area, then the others in order. */
static uint64_t pool_find_slots(struct swiotlb_pool *p, const struct swiotlb_req *r, unsigned cpu,
				struct swiotlb_mem *m)
{
	unsigned start = cpu & (p->nareas - 1), i = start;
	uint64_t slot;

	if (!p->reference && r->nslots > p->nslabs - p->used) {
		/* fewer free slots in the pool than asked for: every area refuses at once */
		p->areas_searched += p->nareas;
		if (m)
			m->areas_searched += p->nareas;
		return SWIOTLB_FAIL;
	}
	do {
		slot = search_area(p, i, r, m);
		if (slot != SWIOTLB_FAIL)
			return slot;
		if (++i >= p->nareas)
			i = 0;
	} while (i != start);
	return SWIOTLB_FAIL;
}

/*
 * The end of swiotlb_tbl_map_single(): skip the pad slots, remember them in the bounce slot
 * (io_tlb_slot.pad_slots) and return that slot; the address keeps the sub-slot offset.
 */
static uint64_t finish_map(struct swiotlb_pool *p, uint64_t first, const struct swiotlb_req *r,
			   uint64_t *tlb_addr)
{
	uint64_t pad = r->full_offset >> SWIOTLB_SLOT_SHIFT;
	uint64_t off = r->full_offset & SLOT_MASK;
	uint64_t slot = first + pad;

	p->slots[slot].head = HEAD_LIVE | (uint32_t)(pad << HEAD_PAD_SHIFT) | (uint32_t)off;
	*tlb_addr = p->base + (slot << SWIOTLB_SLOT_SHIFT) + off;
	return slot;
}

uint64_t swiotlb_alloc(struct swiotlb_pool *p, uint64_t orig_addr, uint64_t size,
		       uint64_t min_align_mask, uint64_t alloc_align_mask, uint64_t boundary_mask,
		       unsigned page_shift, unsigned cpu, uint64_t *tlb_addr)
{
	struct swiotlb_req r;
	uint64_t first;

	if (prepare_req(&r, orig_addr, size, min_align_mask, alloc_align_mask, boundary_mask,
			page_shift) < 0)
		return SWIOTLB_FAIL;
	first = pool_find_slots(p, &r, cpu, NULL);
	if (first == SWIOTLB_FAIL) {
		p->failures++;
		return SWIOTLB_FAIL;
	}
	return finish_map(p, first, &r, tlb_addr);
}

/*
 * Find the live mapping whose bounce address is @tlb_addr: its bounce slot, or SWIOTLB_FAIL.
 * The kernel trusts the caller; the model checks, so that a bad unmap in a trace is seen.
 */
static uint64_t live_slot(const struct swiotlb_pool *p, uint64_t tlb_addr)
{
	uint64_t slot;
	uint32_t h;

	if (tlb_addr < p->base || tlb_addr - p->base >= (p->nslabs << SWIOTLB_SLOT_SHIFT))
		return SWIOTLB_FAIL;
	slot = (tlb_addr - p->base) >> SWIOTLB_SLOT_SHIFT;
	h = p->slots[slot].head;
	if (!(h & HEAD_LIVE) || (h & SLOT_MASK) != (tlb_addr & SLOT_MASK))
		return SWIOTLB_FAIL;
	return slot;
}

uint64_t swiotlb_release(struct swiotlb_pool *p, uint64_t tlb_addr)
{
	uint64_t slot = live_slot(p, tlb_addr), first, nslots, end, off, i;

	if (slot == SWIOTLB_FAIL)
		return 0;
	/*
	 * swiotlb_release_slots(): the kernel's offset is tlb_addr & min_align_mask &
	 * (IO_TLB_SIZE - 1); for a live mapping's own address that equals tlb_addr's sub-slot
	 * bits, because the bounce slot is slot aligned and holds orig's bits under min_align_mask.
	 */
	off = tlb_addr & SLOT_MASK;
	first = slot - ((p->slots[slot].head & ~HEAD_LIVE) >> HEAD_PAD_SHIFT);
	nslots = nr_slots(p->slots[first].alloc_size + off);
	end = first + nslots;
	p->slots[slot].head = 0;

	/*
	 * The slots rejoin the free run after them in their segment, and the free slots before
	 * them run through them (the kernel's two loops over list): setting their free bits.
	 */
	for (i = first; i < end; i++)
		p->slots[i].alloc_size = 0;
	freemap_set(p, first, nslots, false);
	if (p->index)
		index_update(p, first, seg_max(p, first / SWIOTLB_SEGSIZE), false);

	p->areas[first / p->area_nslabs].used -= nslots;
	p->used -= nslots;
	return nslots;
}

uint64_t swiotlb_max_mapping_size(uint64_t min_align_mask)
{
	uint64_t min_align = 0;

	/* swiotlb_max_mapping_size(): roundup(min_align_mask, IO_TLB_SIZE) when set */
	if (min_align_mask)
		min_align = align_up(min_align_mask, SLOT_SIZE);
	if (min_align >= SEG_BYTES)
		return 0;
	return SEG_BYTES - min_align;
}

/* ---- io_tlb_mem ------------------------------------------------------------------------ */

/* get_order(): the buddy order of @bytes in pages of 2^@page_shift. */
static unsigned get_order(uint64_t bytes, unsigned page_shift)
{
	uint64_t pages = (bytes + ((uint64_t)1 << page_shift) - 1) >> page_shift;
	unsigned order = 0;

	while (((uint64_t)1 << order) < pages)
		order++;
	return order;
}

/*
 * Where a new pool's pages go. The model cannot know the kernel's page allocator; it hands
 * out rising addresses with the natural alignment of a buddy block of the pool's order.
 */
static uint64_t place_pool(struct swiotlb_mem *m, uint64_t nslabs)
{
	uint64_t block = (uint64_t)1 << (m->page_shift + get_order(nslabs << SWIOTLB_SLOT_SHIFT,
								 m->page_shift));
	uint64_t addr = align_up(m->next_addr, block);

	m->next_addr = addr + block;
	return addr;
}

/* Position of the first pool in bybase[] whose base is above @addr. */
static uint64_t bybase_upper(const struct swiotlb_mem *m, uint64_t addr)
{
	uint64_t lo = 0, hi = m->nbybase, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->bybase[mid]->base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void bybase_insert(struct swiotlb_mem *m, struct swiotlb_pool *p)
{
	uint64_t pos = bybase_upper(m, p->base);

	if (m->nbybase == m->bybase_cap) {
		m->bybase_cap = m->bybase_cap ? 2 * m->bybase_cap : 16;
		m->bybase = xreallocarray(m->bybase, m->bybase_cap, sizeof(*m->bybase));
	}
	memmove(&m->bybase[pos + 1], &m->bybase[pos], (m->nbybase - pos) * sizeof(*m->bybase));
	m->bybase[pos] = p;
	m->nbybase++;
}

/* swiotlb_find_pool(): the pool holding @addr, and its place in bybase[]. */
static struct swiotlb_pool *find_pool(const struct swiotlb_mem *m, uint64_t addr, uint64_t *pos)
{
	uint64_t i = bybase_upper(m, addr);
	struct swiotlb_pool *p;

	if (!i)
		return NULL;
	p = m->bybase[i - 1];
	if (addr - p->base >= (p->nslabs << SWIOTLB_SLOT_SHIFT))
		return NULL;
	*pos = i - 1;
	return p;
}

int swiotlb_mem_init(struct swiotlb_mem *m, const struct swiotlb_mem_config *cfg)
{
	uint64_t end;
	int err;

	memset(m, 0, sizeof(*m));
	m->page_shift = cfg->page_shift ? cfg->page_shift : 12;
	m->max_page_order = cfg->max_page_order ? cfg->max_page_order : 10;
	if (m->page_shift <= SWIOTLB_SLOT_SHIFT || m->page_shift > 30 || m->max_page_order > 30 ||
	    ((uint64_t)1 << (m->page_shift - SWIOTLB_SLOT_SHIFT + m->max_page_order)) <
		    SWIOTLB_SEGSIZE)
		return -ISM_ERANGE;
	err = swiotlb_pool_init(&m->defpool, cfg->nslabs, cfg->nareas, cfg->ncpus, cfg->base);
	if (err)
		return err;
	end = m->defpool.base + (m->defpool.nslabs << SWIOTLB_SLOT_SHIFT);
	m->next_addr = cfg->dyn_base ? cfg->dyn_base : align_up(end, (uint64_t)1 << 30);
	if (m->next_addr < end) {
		swiotlb_pool_free(&m->defpool);
		return -ISM_ERANGE;
	}
	m->default_nslabs = m->defpool.nslabs;
	m->default_nareas = m->defpool.nareas;
	m->dynamic = cfg->dynamic;
	m->can_grow = cfg->dynamic && cfg->can_grow;
	m->nslabs = m->defpool.nslabs;
	m->pools = xmalloc(sizeof(*m->pools));
	m->pools[0] = &m->defpool;
	m->npools = 1;
	bybase_insert(m, &m->defpool);
	return 0;
}

void swiotlb_mem_free(struct swiotlb_mem *m)
{
	uint64_t i;

	for (i = 0; i < m->nbybase; i++) {
		swiotlb_pool_free(m->bybase[i]);
		if (m->bybase[i] != &m->defpool)
			free(m->bybase[i]);
	}
	free(m->bybase);
	free(m->pools);
	memset(m, 0, sizeof(*m));
}

void swiotlb_mem_set_reference(struct swiotlb_mem *m, bool on)
{
	m->reference = on;
	for (uint64_t i = 0; i < m->nbybase; i++)
		m->bybase[i]->reference = on;
}

/* The CONFIG_SWIOTLB_DYNAMIC swiotlb_find_slots() up to the transient pool. */
static uint64_t mem_find_slots(struct swiotlb_mem *m, const struct swiotlb_req *r, unsigned cpu,
			       struct swiotlb_pool **poolp)
{
	struct swiotlb_pool *p;
	uint64_t slot;
	unsigned i, j;

	/* swiotlb_search_area(): one cpu offset at a time, across every pool, newest first */
	for (i = 0; i < m->default_nareas; i++) {
		for (j = m->npools; j-- > 0;) {
			p = m->pools[j];
			if (i >= p->nareas)
				continue;
			slot = search_area(p, (cpu + i) & (p->nareas - 1), r, m);
			if (slot != SWIOTLB_FAIL) {
				*poolp = p;
				return slot;
			}
		}
	}
	return SWIOTLB_FAIL;
}

uint64_t swiotlb_mem_map(struct swiotlb_mem *m, uint64_t orig_addr, uint64_t size,
			 uint64_t min_align_mask, uint64_t alloc_align_mask, uint64_t boundary_mask,
			 unsigned cpu, enum swiotlb_map_kind *kind)
{
	struct swiotlb_pool *p = &m->defpool;
	struct swiotlb_req r;
	uint64_t first, tlb_addr;

	*kind = SWIOTLB_MAP_FAILED;
	if (prepare_req(&r, orig_addr, size, min_align_mask, alloc_align_mask, boundary_mask,
			m->page_shift) < 0)
		return SWIOTLB_FAIL;
	if (!m->dynamic) {
		first = pool_find_slots(p, &r, cpu, m);
		if (first == SWIOTLB_FAIL) {
			p->failures++;
			m->failures++;
			return SWIOTLB_FAIL;
		}
		finish_map(p, first, &r, &tlb_addr);
		*kind = SWIOTLB_MAP_POOL;
		return tlb_addr;
	}

	/* No pool has a run this long: fail before searching, and do not grow. */
	if (r.size > SEG_BYTES)
		goto fail;
	first = mem_find_slots(m, &r, cpu, &p);
	if (first != SWIOTLB_FAIL) {
		finish_map(p, first, &r, &tlb_addr);
		*kind = SWIOTLB_MAP_POOL;
		return tlb_addr;
	}
	if (!m->can_grow)
		goto fail;
	/* schedule_work(&mem->dyn_alloc): queued once until the worker runs */
	if (!m->grow_pending) {
		m->grow_pending = true;
		m->grow_scheduled++;
	}
	/* swiotlb_alloc_pool(dev, nslots, nslots, 1, ...): one area, exactly the slots needed */
	p = xmalloc(sizeof(*p));
	pool_setup(p, r.nslots, 1, place_pool(m, r.nslots));
	p->reference = m->reference;
	first = search_area(p, 0, &r, m);
	if (first == SWIOTLB_FAIL) {
		/* swiotlb_dyn_free(); the map fails */
		swiotlb_pool_free(p);
		free(p);
		m->transient_failures++;
		goto fail;
	}
	p->transient = true;
	bybase_insert(m, p);
	m->transient_nslabs += p->nslabs;	/* inc_transient_used() */
	m->transient_maps++;
	finish_map(p, first, &r, &tlb_addr);
	*kind = SWIOTLB_MAP_TRANSIENT;
	return tlb_addr;
fail:
	m->failures++;
	return SWIOTLB_FAIL;
}

uint64_t swiotlb_mem_unmap(struct swiotlb_mem *m, uint64_t tlb_addr)
{
	struct swiotlb_pool *p;
	uint64_t pos = 0, n;

	p = find_pool(m, tlb_addr, &pos);
	if (!p)
		return 0;
	if (!p->transient) {
		n = swiotlb_release(p, tlb_addr);
		m->used -= n;	/* dec_used() */
		return n;
	}
	if (live_slot(p, tlb_addr) == SWIOTLB_FAIL)
		return 0;
	/* swiotlb_del_transient(): the whole pool goes, whatever the search claimed in it */
	n = p->nslabs;
	m->used -= n;
	m->transient_nslabs -= n;
	memmove(&m->bybase[pos], &m->bybase[pos + 1], (m->nbybase - pos - 1) * sizeof(*m->bybase));
	m->nbybase--;
	swiotlb_pool_free(p);
	free(p);
	return n;
}

int swiotlb_mem_run_worker(struct swiotlb_mem *m)
{
	uint64_t nslabs = m->default_nslabs;
	uint64_t cap = (uint64_t)1 << (m->page_shift - SWIOTLB_SLOT_SHIFT + m->max_page_order);
	unsigned nareas = m->default_nareas;
	struct swiotlb_pool *p;

	if (!m->grow_pending)
		return 0;
	m->grow_pending = false;
	/* swiotlb_dyn_alloc() -> swiotlb_alloc_pool(): at most one MAX_PAGE_ORDER block */
	if (nslabs > cap) {
		nslabs = cap;
		nareas = limit_nareas(nareas, nslabs);
	}
	p = xmalloc(sizeof(*p));
	pool_setup(p, nslabs, nareas, place_pool(m, nslabs));
	p->reference = m->reference;
	/* add_mem_pool(): list_add_rcu() puts it at the head, so it is searched first */
	m->pools = xreallocarray(m->pools, m->npools + 1, sizeof(*m->pools));
	m->pools[m->npools++] = p;
	bybase_insert(m, p);
	m->nslabs += nslabs;
	m->pools_added++;
	return 1;
}
