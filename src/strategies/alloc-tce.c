/*
 * alloc-tce.c: the powerpc TCE IOVA allocator and the DMA API's per-map rules (see
 * alloc-tce.h). Written from the rules of Linux arch/powerpc/kernel/iommu.c and
 * lib/iommu-helper.c; no kernel code is copied. Bit scans go a 64-bit word at a time, and
 * summaries of the bitmap ("the search index" below) find the kernel's answer without its walk.
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

static void index_set(struct tce_table *t, uint64_t w0, uint64_t w1);
static void index_cleared(struct tce_table *t, uint64_t w0, uint64_t w1);
static inline void pool_count(struct tce_table *t, uint64_t start, uint64_t end, int set);

static void set_range(struct tce_table *t, uint64_t start, uint64_t n)
{
	uint64_t end = start + n;

	if (!n)
		return;
	if (t->index)
		pool_count(t, start, end, 1);
	for (uint64_t i = bit_word(start); i <= bit_word(end - 1); i++)
		t->map[i] |= range_mask(i, start, end);
	if (t->index)
		index_set(t, bit_word(start), bit_word(end - 1));
}

static void clear_range(struct tce_table *t, uint64_t start, uint64_t n)
{
	uint64_t end = start + n;

	if (!n)
		return;
	if (t->index)
		pool_count(t, start, end, 0);
	for (uint64_t i = bit_word(start); i <= bit_word(end - 1); i++)
		t->map[i] &= ~range_mask(i, start, end);
	if (t->index)
		index_cleared(t, bit_word(start), bit_word(end - 1));
}

static uint64_t count_range(const uint64_t *map, uint64_t start, uint64_t end)
{
	uint64_t c = 0;

	if (start >= end)
		return 0;
	if (end - start == 1)
		return (map[bit_word(start)] >> (start & 63)) & 1;
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

/* ---- the search index ------------------------------------------------------------------- */

/*
 * The kernel finds a run by walking the bitmap from the hint; in a nearly full window that is a
 * walk over the whole pool for each map, and a failed map walks every pool. The model keeps the
 * kernel's rule (the smallest valid index at or after the start, see area_alloc()) and finds
 * that same index through summaries of the bitmap:
 *
 *  - free[k], k >= 1: bit i of level k is set when entry i of level k - 1 has a free entry
 *    (level 0: the bitmap's words). A search for one entry, the common map, climbs and descends
 *    them: O(levels), kept up to date at every set and clear.
 *  - a binary tree of run summaries for longer runs: a leaf summarises a group of GROUP_WORDS
 *    words, an inner node the groups below it, as the free run at its start (pre), at its end
 *    (suf) and the longest one inside (max). A walk passes over every node that cannot hold
 *    the run in one step: O(log size) at any occupancy. It is built on the first search that
 *    the plain scan of DIRECT_WORDS words does not settle and kept lazily: a set or clear
 *    marks its group, the next walk recomputes the marked groups.
 *  - per pool, an upper bound on the longest free run in it (from the tree, or 0 when a search
 *    for one entry over the whole pool failed; a clear in the pool forgets it, a set cannot
 *    raise it), so that a pool too full for the request is refused at once, as the kernel's
 *    walk would refuse it after passing over all of it.
 */
#define GROUP_SHIFT 3				/* words per leaf: 8, 512 entries */
#define GROUP_WORDS (1u << GROUP_SHIFT)
#define GROUP_BITS ((uint64_t)64 << GROUP_SHIFT)
#define DIRECT_WORDS 16				/* words scanned before the tree is asked */
#define MAX_LEVELS 6				/* free[] levels: 64^6 words is enough */
#define NO_BOUND UINT64_MAX			/* a pool's longest run is not known */

struct run_sum {
	uint32_t pre, suf, max;	/* free entries: from the start, to the end, longest run */
};

struct tce_index {
	uint64_t nwords;
	unsigned levels;		/* free[1 .. levels]; the top one is a single word */
	uint64_t *free[MAX_LEVELS + 1];
	uint64_t leaves;		/* a power of two >= groups */
	uint64_t groups;		/* nwords / GROUP_WORDS, rounded up */
	struct run_sum *node;		/* node[1] the root, node[i] has children 2i and 2i + 1; the
					 * leaves are node[leaves + g] (past the table: all used) */
	uint64_t *dirty;		/* a bit per group whose leaf is out of date */
	uint32_t *stack;		/* those groups */
	uint64_t ndirty;
	int built;
	uint64_t pool_max[TCE_NR_POOLS + 1]; /* longest free run in each pool, or NO_BOUND */
	unsigned bounded;		/* bit p: pool_max[p] is known */
	/* free entries in each pool below its last one (which the kernel never uses), exact:
	 * a pass over a full pool (most passes when the window is full) fails at once */
	uint64_t pool_free[TCE_NR_POOLS + 1];
	uint64_t pool_lo[TCE_NR_POOLS + 1]; /* pool p holds entry e when p = sum over i >= 1 of
					 * (e >= pool_lo[i]) (unused small pools: the large
					 * pool's start) */
	uint64_t pool_last[TCE_NR_POOLS + 1]; /* the entry pool_free[p] leaves out: end - 1 */
	uint64_t pool_low[TCE_NR_POOLS + 1]; /* every entry of pool p below pool_low[p] is in
					 * use: a search in the pool from below starts there */
	int counted;			/* pool_free[] is kept (from the end of tce_table_init()) */
	int pools_ok;			/* every pool in use has at least 2 entries */
};

static inline struct run_sum run_merge(struct run_sum a, uint64_t alen, struct run_sum b,
				       uint64_t blen)
{
	struct run_sum r;
	uint32_t mid = a.suf + b.pre;

	r.pre = a.pre == alen ? (uint32_t)alen + b.pre : a.pre;
	r.suf = b.suf == blen ? (uint32_t)blen + a.suf : b.suf;
	r.max = a.max > b.max ? a.max : b.max;
	if (mid > r.max)
		r.max = mid;
	return r;
}

/* Free entries of word @w as set bits; entries past the table count as used. */
static inline uint64_t word_free(const struct tce_table *t, uint64_t w)
{
	uint64_t f;

	if (w >= t->index->nwords)
		return 0;
	f = ~t->map[w];
	if (w == t->index->nwords - 1 && (t->size & 63))
		f &= ~0ull >> (64 - (t->size & 63));
	return f;
}

static struct run_sum word_sum(uint64_t f)
{
	struct run_sum s;

	if (f == ~0ull || !f) {
		s.pre = s.suf = s.max = f ? 64 : 0;
		return s;
	}
	s.pre = (uint32_t)__builtin_ctzll(~f);
	s.suf = (uint32_t)__builtin_clzll(~f);
	s.max = ism_longest_ones(f);
	return s;
}

static struct run_sum group_sum(const struct tce_table *t, uint64_t g)
{
	struct run_sum s = word_sum(word_free(t, g << GROUP_SHIFT));

	for (uint64_t j = 1; j < GROUP_WORDS; j++)
		s = run_merge(s, j * 64, word_sum(word_free(t, (g << GROUP_SHIFT) + j)), 64);
	return s;
}

/* The free[] summary of word @w after it changed. */
static void free_update(struct tce_index *x, int has, uint64_t w)
{
	for (unsigned k = 1; k <= x->levels; k++) {
		uint64_t *a = &x->free[k][w >> 6], b = 1ull << (w & 63), before = *a;

		if (!!(before & b) == has)
			return;
		*a = has ? before | b : before & ~b;
		/* the level above changes only when this word became empty or stopped being so */
		if (!before == !*a)
			return;
		has = *a != 0;
		w >>= 6;
	}
}

static void index_init(struct tce_table *t)
{
	struct tce_index *x;
	uint64_t n;

	if (t->size > UINT32_MAX)
		return;		/* run lengths are 32-bit: such tables use the plain scans */
	x = t->index = xcalloc(1, sizeof(*x));
	x->nwords = bit_word(t->size - 1) + 1;
	for (n = x->nwords; x->levels < MAX_LEVELS && (x->levels == 0 || n > 1);) {
		uint64_t words = (n + 63) / 64;

		x->free[++x->levels] = xcalloc(words, sizeof(uint64_t));
		for (uint64_t i = 0; i < n; i++)
			if (x->levels > 1 ? x->free[x->levels - 1][i] != 0 : word_free(t, i) != 0)
				x->free[x->levels][i >> 6] |= 1ull << (i & 63);
		n = words;
	}
	x->groups = (x->nwords + GROUP_WORDS - 1) >> GROUP_SHIFT;
	for (x->leaves = 1; x->leaves < x->groups; x->leaves *= 2)
		;
	for (unsigned p = 0; p <= TCE_NR_POOLS; p++)
		x->pool_max[p] = NO_BOUND;
}

static void index_free(struct tce_table *t)
{
	struct tce_index *x = t->index;

	if (!x)
		return;
	for (unsigned k = 1; k <= x->levels; k++)
		free(x->free[k]);
	free(x->node);
	free(x->dirty);
	free(x->stack);
	free(x);
}

/* Pool @p (TCE_NR_POOLS: the large pool). */
static const struct tce_pool *pool_at(const struct tce_table *t, unsigned p)
{
	return p < TCE_NR_POOLS ? &t->pools[p] : &t->large_pool;
}

/*
 * Entries [start, end) are about to be set (@set) or cleared: keep pool_free[] exact. The pools
 * tile the table ([poolsize * i, poolsize * (i + 1)), the large pool up to the end), and a
 * pool's last entry is not counted.
 */
static void pool_count_range(struct tce_table *t, uint64_t start, uint64_t end, int set);

static inline void pool_count(struct tce_table *t, uint64_t start, uint64_t end, int set)
{
	struct tce_index *x = t->index;

	if (!x->counted)
		return;
	if (end - start == 1) {
		/* one entry (most maps and unmaps): its pool without a branch per pool */
		unsigned p;
		uint64_t f, lo;

		/* TCE_NR_POOLS (4) bounds, written out */
		p = (start >= x->pool_lo[1]) + (start >= x->pool_lo[2]) + (start >= x->pool_lo[3]) +
		    (start >= x->pool_lo[4]);
		/* 1 when the entry counts in pool_free[] and the set or clear changes it */
		f = (uint64_t)(start != x->pool_last[p]) &
		    ((uint64_t)test_bit64(t->map, start) ^ (uint64_t)set);
		x->pool_free[p] += set ? -f : f;
		/* a clear lowers pool_low[p] to the entry (a select, not a branch) */
		lo = x->pool_low[p];
		x->pool_low[p] = !set && start < lo ? start : lo;
		return;
	}
	pool_count_range(t, start, end, set);
}

static void pool_count_range(struct tce_table *t, uint64_t start, uint64_t end, int set)
{
	struct tce_index *x = t->index;

	for (unsigned p = 0; p <= TCE_NR_POOLS; p++) {
		const struct tce_pool *pl;
		uint64_t a, b, ones;

		if (p < TCE_NR_POOLS && p >= t->nr_pools)
			continue;
		pl = pool_at(t, p);
		if (pl->end <= pl->start + 1 || start >= pl->end - 1 || end <= pl->start)
			continue;
		a = umax(start, pl->start);
		b = umin(end, pl->end - 1);
		ones = count_range(t->map, a, b);
		if (set) {
			x->pool_free[p] -= (b - a) - ones;
		} else {
			x->pool_free[p] += ones;
			x->pool_low[p] = umin(x->pool_low[p], a);
		}
	}
}

/* Start keeping pool_free[] (once the pools are laid out). */
static void pool_count_init(struct tce_table *t)
{
	struct tce_index *x = t->index;

	if (!x)
		return;
	for (unsigned p = 0; p <= TCE_NR_POOLS; p++) {
		const struct tce_pool *pl = pool_at(t, p);

		x->pool_free[p] = 0;
		x->pool_low[p] = pl->start;
		x->pool_lo[p] = p < TCE_NR_POOLS && p >= t->nr_pools ? t->large_pool.start : pl->start;
		x->pool_last[p] = pl->end - 1;
		if ((p < TCE_NR_POOLS && p >= t->nr_pools) || pl->end <= pl->start + 1)
			continue;
		x->pool_free[p] = (pl->end - 1 - pl->start) -
				  count_range(t->map, pl->start, pl->end - 1);
	}
	x->counted = 1;
	x->pools_ok = t->large_pool.end > t->large_pool.start + 1;
	for (unsigned p = 0; p < t->nr_pools; p++)
		x->pools_ok &= t->pools[p].end > t->pools[p].start + 1;
}

/*
 * Pool @p cannot hold @nr entries from any start in it: fewer free entries than that, or a
 * known longest free run shorter than that.
 */
static inline int pool_refuses(const struct tce_index *x, unsigned p, uint64_t nr)
{
	return x->pool_free[p] < nr || ((x->bounded & (1u << p)) && x->pool_max[p] < nr);
}

/* Mark the tree's groups over words @w0 .. @w1 out of date. */
static void index_mark(struct tce_index *x, uint64_t w0, uint64_t w1)
{
	for (uint64_t g = w0 >> GROUP_SHIFT; g <= w1 >> GROUP_SHIFT; g++) {
		uint64_t bit = 1ull << (g & 63);

		if (x->dirty[g >> 6] & bit)
			continue;
		x->dirty[g >> 6] |= bit;
		x->stack[x->ndirty++] = (uint32_t)g;
	}
}

/* Entries of words @w0 .. @w1 were set. */
static void index_set(struct tce_table *t, uint64_t w0, uint64_t w1)
{
	struct tce_index *x = t->index;

	for (uint64_t w = w0; w <= w1; w++)
		if (!word_free(t, w))
			free_update(x, 0, w);
	if (x->built)
		index_mark(x, w0, w1);
}

/* Entries of words @w0 .. @w1 (inside the table) were cleared: each has room now. */
static void index_cleared(struct tce_table *t, uint64_t w0, uint64_t w1)
{
	struct tce_index *x = t->index;

	for (uint64_t w = w0; w <= w1; w++)
		free_update(x, 1, w);
	if (x->bounded) {
		/* the pools the range touches may hold longer runs now */
		uint64_t lo = w0 << 6, hi = umin((w1 + 1) << 6, t->size);

		for (unsigned p = 0; p <= TCE_NR_POOLS; p++) {
			const struct tce_pool *pl = pool_at(t, p);

			if ((x->bounded & (1u << p)) && lo < pl->end && hi > pl->start) {
				x->pool_max[p] = NO_BOUND;
				x->bounded &= ~(1u << p);
			}
		}
	}
	if (x->built)
		index_mark(x, w0, w1);
}

/* Bring the tree up to date (build it the first time). */
static void index_flush(struct tce_table *t)
{
	struct tce_index *x = t->index;
	uint64_t len = GROUP_BITS;

	if (!x->node) {
		x->node = xcalloc(2 * x->leaves, sizeof(*x->node));
		x->dirty = xcalloc((x->groups + 63) / 64, sizeof(*x->dirty));
		x->stack = xcalloc(x->groups, sizeof(*x->stack));
	}
	if (x->built && x->ndirty <= x->leaves / 16) {
		for (uint64_t k = 0; k < x->ndirty; k++) {
			uint64_t g = x->stack[k], i = x->leaves + g;

			x->dirty[g >> 6] &= ~(1ull << (g & 63));
			x->node[i] = group_sum(t, g);
			for (i /= 2, len = GROUP_BITS; i; i /= 2, len *= 2)
				x->node[i] = run_merge(x->node[2 * i], len, x->node[2 * i + 1], len);
		}
		x->ndirty = 0;
		return;
	}
	/* all of it (groups past the table stay all used, as calloc left them) */
	for (uint64_t g = 0; g < x->groups; g++)
		x->node[x->leaves + g] = group_sum(t, g);
	for (uint64_t lo = x->leaves / 2; lo; lo /= 2, len *= 2)
		for (uint64_t i = lo; i < 2 * lo; i++)
			x->node[i] = run_merge(x->node[2 * i], len, x->node[2 * i + 1], len);
	memset(x->dirty, 0, (x->groups + 63) / 64 * sizeof(*x->dirty));
	x->ndirty = 0;
	x->built = 1;
}

/* The first free entry in [pos, size), or TCE_ALLOC_FAIL: find_next_zero_bit() on free[]. */
static uint64_t next_free(const struct tce_table *t, uint64_t pos, uint64_t size)
{
	const struct tce_index *x = t->index;
	uint64_t w = bit_word(pos), f = word_free(t, w) & mask_from(pos), i, r;
	unsigned k;

	if (!f) {
		/* climb to the first level with a set bit after ours, then take the first ones down */
		for (i = w + 1, k = 1;; i = (i >> 6) + 1, k++) {
			uint64_t m;

			if (k > x->levels || (i >> 6) >= ((x->nwords - 1) >> (6 * (k - 1) + 6)) + 1)
				return TCE_ALLOC_FAIL;
			m = x->free[k][i >> 6] & mask_from(i);
			if (m) {
				i = (i & ~63ull) + (uint64_t)__builtin_ctzll(m);
				break;
			}
		}
		while (--k)
			i = (i << 6) + (uint64_t)__builtin_ctzll(x->free[k][i]);
		w = i;
		f = word_free(t, w);
	}
	r = (w << 6) + (uint64_t)__builtin_ctzll(f);
	return r < size ? r : TCE_ALLOC_FAIL;
}

/*
 * Walks over [lo, hi) word by word where a group is cut by an end, node by node in between.
 *  WALK_RUN:  the start of the first run of nr free entries (found), with c the free run that
 *             ends at the current position;
 *  WALK_USED: the first entry in use (found);
 *  WALK_MAX:  the longest free run (best).
 */
enum walk_mode { WALK_RUN, WALK_USED, WALK_MAX };

struct walk {
	enum walk_mode mode;
	uint64_t nr, c, best, found;
};

/* One word at @base: @f its free entries, @in the entries inside the walk. Nonzero: found. */
static int walk_word(struct walk *k, uint64_t base, uint64_t f, uint64_t in)
{
	uint64_t x, len = 1, pre;

	f &= in;
	if (k->mode == WALK_USED) {
		x = ~f & in;
		if (x)
			k->found = base + (uint64_t)__builtin_ctzll(x);
		return x != 0;
	}
	if (f == ~0ull) {
		k->c += 64;
		if (k->mode == WALK_RUN && k->c >= k->nr) {
			k->found = base + 64 - k->c;
			return 1;
		}
		return 0;
	}
	pre = (uint64_t)__builtin_ctzll(~f);
	if (k->mode == WALK_MAX) {
		k->best = umax(k->best, umax(k->c + pre, ism_longest_ones(f)));
		k->c = (uint64_t)__builtin_clzll(~f);
		return 0;
	}
	if (k->c + pre >= k->nr) {
		k->found = base - k->c;
		return 1;
	}
	if (k->nr <= 64 && f) {
		/* bit p of x: entries base + p .. base + p + nr - 1 free, inside this word */
		x = f;
		while (len * 2 <= k->nr) {
			x &= x >> len;
			len *= 2;
		}
		if (len < k->nr)
			x &= x >> (k->nr - len);
		if (x) {
			k->found = base + (uint64_t)__builtin_ctzll(x);
			return 1;
		}
	}
	k->c = (uint64_t)__builtin_clzll(~f);
	return 0;
}

/* Node @i of the tree, covering [a, a + len), wholly inside the walk. */
static int walk_node(const struct tce_table *t, struct walk *k, uint64_t i, uint64_t a,
		     uint64_t len)
{
	const struct tce_index *x = t->index;
	const struct run_sum *s = &x->node[i];

	switch (k->mode) {
	case WALK_USED:
		/* a node not wholly free has its first used entry just after its free prefix */
		if (s->pre < len)
			k->found = a + s->pre;
		return s->pre < len;
	case WALK_MAX:
		if (s->pre == len) {
			k->c += len;
		} else {
			k->best = umax(k->best, umax(k->c + s->pre, s->max));
			k->c = s->suf;
		}
		return 0;
	case WALK_RUN:
		break;
	}
	if (k->c + s->pre >= k->nr) {
		k->found = a - k->c;
		return 1;
	}
	if (s->max < k->nr) {
		k->c = s->pre == len ? k->c + len : s->suf;
		return 0;
	}
	if (len == GROUP_BITS) {
		uint64_t w = (i - x->leaves) << GROUP_SHIFT;

		for (uint64_t j = 0; j < GROUP_WORDS; j++)
			if (walk_word(k, (w + j) << 6, word_free(t, w + j), ~0ull))
				return 1;
		return 0;
	}
	return walk_node(t, k, 2 * i, a, len / 2) ||
	       walk_node(t, k, 2 * i + 1, a + len / 2, len / 2);
}

/* Bits of word @w in [lo, hi) (lo < (w + 1) * 64, hi > w * 64). */
static inline uint64_t in_range(uint64_t w, uint64_t lo, uint64_t hi)
{
	uint64_t base = w << 6, m = ~0ull;

	if (lo > base)
		m &= mask_from(lo);
	if (hi - base < 64)
		m &= ~0ull >> (64 - (hi - base));
	return m;
}

/* Walk [lo, hi), lo < hi <= size; nonzero when found. */
static int walk(const struct tce_table *t, struct walk *k, uint64_t lo, uint64_t hi)
{
	const struct tce_index *x = t->index;
	uint64_t w = bit_word(lo), wl = bit_word(hi - 1);
	uint64_t gend = bit_word(hi) >> GROUP_SHIFT;	/* the groups wholly below hi */

	/* the words up to the first whole group, then the tree, then the words after */
	do {
		if (walk_word(k, w << 6, word_free(t, w), in_range(w, lo, hi)))
			return 1;
	} while (++w <= wl && (w & (GROUP_WORDS - 1)));
	if (w <= wl && (w >> GROUP_SHIFT) < gend) {
		for (uint64_t l = w >> GROUP_SHIFT; l < gend;) {
			/* the largest node that starts at group l and ends by gend */
			unsigned o = l ? (unsigned)__builtin_ctzll(l) : 63;

			while ((1ull << o) > gend - l)
				o--;
			if (walk_node(t, k, (x->leaves + l) >> o, l * GROUP_BITS, GROUP_BITS << o))
				return 1;
			l += 1ull << o;
		}
		w = gend << GROUP_SHIFT;
	}
	for (; w <= wl; w++)
		if (walk_word(k, w << 6, word_free(t, w), in_range(w, lo, hi)))
			return 1;
	return 0;
}

/* The smallest p >= @pos with [p, p + @nr) free and p + @nr <= @size, or TCE_ALLOC_FAIL. */
static uint64_t find_run(const struct tce_table *t, uint64_t pos, uint64_t nr, uint64_t size)
{
	struct walk k = { .mode = WALK_RUN, .nr = nr };

	if (pos >= size || nr > size - pos)
		return TCE_ALLOC_FAIL;
	return walk(t, &k, pos, size) ? k.found : TCE_ALLOC_FAIL;
}

/* The first entry in use in [lo, hi), or hi. */
static uint64_t find_used(const struct tce_table *t, uint64_t lo, uint64_t hi)
{
	struct walk k = { .mode = WALK_USED };

	if (lo >= hi)
		return hi;
	return walk(t, &k, lo, hi) ? k.found : hi;
}

/* The longest free run in [lo, hi). */
static uint64_t longest_run(const struct tce_table *t, uint64_t lo, uint64_t hi)
{
	struct walk k = { .mode = WALK_MAX };

	if (lo >= hi)
		return 0;
	walk(t, &k, lo, hi);
	return umax(k.best, k.c);
}

/* ---- table ------------------------------------------------------------------------------ */

/* Mark entry 0 if the window starts at bus address 0 (iommu_table_reserve_pages()). */
static void reserve_page0(struct tce_table *t)
{
	if (t->offset == 0 && !test_bit64(t->map, 0)) {
		set_range(t, 0, 1);
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
	index_init(t);

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
	pool_count_init(t);
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
	set_range(t, start, end - start);
}

void tce_table_free(struct tce_table *t)
{
	index_free(t);
	free(t->map);
	memset(t, 0, sizeof(*t));
}

void tce_table_set_reference(struct tce_table *t, int on)
{
	t->reference = on;
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
 * The same answer as the finders above, through the index (find_run(), find_used()). Every
 * valid index starts a free run of @nr entries, so the search goes from one such run to the
 * next. In a run starting at p the first candidate is p aligned up; if that crosses a
 * boundary, the first aligned index after the next boundary line. Alignment and boundary are
 * periodic: when that second candidate crosses too, every later aligned index does (with
 * 2^align <= boundary each one after a line has the same offset from it; with 2^align >
 * boundary all aligned indices have the same offset), so the search fails. Otherwise the
 * candidate fits unless an entry in use ends the run first, and then no index before that
 * entry can be valid: the search goes on after it.
 */
static uint64_t find_area_index(const struct tce_table *t, uint64_t size, uint64_t start,
				uint64_t nr, uint64_t boundary, uint64_t align_mask)
{
	uint64_t pos = start, p, c, h;

	for (;;) {
		p = find_run(t, pos, nr, size);
		if (p == TCE_ALLOC_FAIL)
			return TCE_ALLOC_FAIL;
		c = (p + align_mask) & ~align_mask;
		if (c >= size || nr > size - c)
			return TCE_ALLOC_FAIL;
		if (boundary && spans_boundary(c, nr, t->offset, boundary)) {
			c = ((t->offset + c + boundary - 1) & ~(boundary - 1)) - t->offset;
			c = (c + align_mask) & ~align_mask;
			if (c >= size || nr > size - c || spans_boundary(c, nr, t->offset, boundary))
				return TCE_ALLOC_FAIL;
		}
		/* [p, p + nr) is free: is [c, c + nr)? */
		h = find_used(t, p + nr, c + nr);
		if (h == c + nr)
			return c;
		pos = h + 1;
	}
}

/* The plain scans: the run-by-run one for runs over 64 entries, the word-parallel one else. */
static uint64_t find_area_scan(const struct tce_table *t, uint64_t size, uint64_t start,
			       uint64_t nr, uint64_t boundary, uint64_t align_mask)
{
	if (nr <= 64)
		return find_area_short(t, size, start, nr, boundary, align_mask);
	return find_area_long(t, size, start, nr, boundary, align_mask);
}

/*
 * The smallest valid index at or after @start, in pool @pool, @pl (-1 and NULL: the search is
 * not inside one pool). None if the pool is known to have no free run of @nr entries. One
 * entry: the free[] levels. Longer runs: the plain scan over the first DIRECT_WORDS words
 * (where a map in a window with room ends), then the tree from there on.
 */
static uint64_t find_area(struct tce_table *t, uint64_t size, uint64_t start, uint64_t nr,
			  uint64_t boundary, uint64_t align_mask, int pool,
			  const struct tce_pool *pl)
{
	struct tce_index *x = t->index;
	uint64_t direct, index;

	if (pl && pl->end <= pl->start + 1)
		pl = NULL;

	if (t->reference || !x || start >= size)
		return find_area_scan(t, size, start, nr, boundary, align_mask);
	if (pl && pool_refuses(x, (unsigned)pool, nr))
		return TCE_ALLOC_FAIL;
	if (pl && x->counted && start < x->pool_low[pool]) {
		/* no run starts on an entry in use: pass over the pool's used low part */
		if (x->pool_low[pool] >= size)
			return TCE_ALLOC_FAIL;
		start = x->pool_low[pool];
	}
	if (nr == 1 && !align_mask) {
		/* a single entry never crosses a boundary */
		index = next_free(t, start, size);
		/* [start, index) is in use (all of [start, size) when none is free) */
		if (pl && x->counted && start <= x->pool_low[pool])
			x->pool_low[pool] = index == TCE_ALLOC_FAIL ? size : index;
		if (index == TCE_ALLOC_FAIL && pl && start == pl->start && size == pl->end - 1) {
			x->pool_max[pool] = 0;
			x->bounded |= 1u << pool;
		}
		return index;
	}
	/* starts below direct are settled by the scan (it checks every start with n + nr <= dl) */
	direct = (bit_word(start) + DIRECT_WORDS) << 6;
	if (direct >= size || nr > size - direct)
		return find_area_scan(t, size, start, nr, boundary, align_mask);
	index = find_area_scan(t, direct + nr - 1, start, nr, boundary, align_mask);
	if (index != TCE_ALLOC_FAIL)
		return index;
	index_flush(t);
	if (pl && !(x->bounded & (1u << pool))) {
		/* the kernel never uses a pool's last entry */
		x->pool_max[pool] = longest_run(t, pl->start, pl->end - 1);
		x->bounded |= 1u << pool;
		if (x->pool_max[pool] < nr)
			return TCE_ALLOC_FAIL;
	}
	return find_area_index(t, size, direct, nr, boundary, align_mask);
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
			   uint64_t boundary, uint64_t align_mask, int pool,
			   const struct tce_pool *pl)
{
	uint64_t size, index;

	if (limit == 0)
		return TCE_ALLOC_FAIL;
	size = limit - 1;
	/* A run longer than the boundary never fits (see the top comment). */
	if (boundary && nr > boundary)
		index = TCE_ALLOC_FAIL;
	else
		index = find_area(t, size, start, nr, boundary, align_mask, pool, pl);
	if (index == TCE_ALLOC_FAIL) {
		if (start < size)
			t->search_bits += size - start;
		return TCE_ALLOC_FAIL;
	}
	t->search_bits += index + nr - start;
	set_range(t, index, nr);
	return index;
}

static uint64_t alloc_fail(struct tce_table *t)
{
	t->failures++;
	return TCE_ALLOC_FAIL;
}

/*
 * The passes of tce_alloc() below over full pools, all at once: when the window is full most
 * maps fail in their own pool, then in some of the others, and each failed pass is only its
 * side effects (the pool's hint back to its start, search_bits). A pool with fewer free
 * entries than @npages (pool_free[], exact), or a longest free run known to be shorter, fails
 * whatever the start, alignment or boundary (pool_refuses()). Only for a small allocation
 * whose own pool is full, with no sg handle, a mask that caps no pool and the pool's hint
 * inside it; else nothing is done. Sets the pass and pool the loop goes on with; -1 when
 * every pool, the large one too, is full (the allocation fails).
 */
static int skip_full_pools(struct tce_table *t, uint64_t npages, uint64_t mask,
			   const uint64_t *handle, unsigned *pool_nr, struct tce_pool **pool,
			   unsigned *pass)
{
	struct tce_index *x = t->index;
	unsigned nr = t->nr_pools, p = *pool_nr, j, nf = 0, rot;
	uint64_t start, sb;

	/* the CPU's pool has room (most maps while the window has room): nothing to skip */
	if (!x || !pool_refuses(x, p, npages))
		return 0;
	if (!x->counted || !x->pools_ok || t->reference || (handle && *handle) ||
	    mask < t->offset || mask - t->offset < t->size)
		return 0;
	/* passes 0 (from the hint) and 1 (from the start) fail in the CPU's pool; not when the
	 * hint lies below the pool (a capped mask put it there): pass 0 searches from there */
	start = t->pools[p].hint;
	if (start >= t->pools[p].end)
		start = t->pools[p].start;
	if (start < t->pools[p].start)
		return 0;
	sb = (t->pools[p].end - 1 - start) + (t->poolsize - 1);
	t->pools[p].hint = t->pools[p].start;
	/* then the other small pools in turn: the first one with room (j of them tried) */
	for (unsigned i = 0; i < nr; i++)
		nf |= (unsigned)!pool_refuses(x, i, npages) << i;
	rot = nr > 1 ? ((nf >> ((p + 1) & (nr - 1))) | (nf << (nr - ((p + 1) & (nr - 1))))) &
		       ((1u << nr) - 1) : 0;
	j = rot ? (unsigned)__builtin_ctz(rot) + 1 : nr;
	/* pools p + 1 .. p + j back to their start: a fixed count of selects, not j branches */
	for (unsigned i = 1; i < nr; i++) {
		struct tce_pool *q = &t->pools[(p + i) & (nr - 1)];

		uint64_t m = -(uint64_t)(i <= j);

		q->hint = (q->start & m) | (q->hint & ~m);
	}
	if (rot) {
		/* pass j + 1 searches pool p + j, from its start */
		t->search_bits += sb + (uint64_t)(j - 1) * (t->poolsize - 1);
		*pool_nr = (p + j) & (nr - 1);
		*pool = &t->pools[*pool_nr];
		*pass = j + 1;
		return 0;
	}
	/* passes 2 .. nr + 1 failed too (the last one in the CPU's pool again): the large pool */
	sb += (uint64_t)nr * (t->poolsize - 1);
	t->large_pool.hint = t->large_pool.start;
	*pool = &t->large_pool;
	*pass = nr + 2;
	if (!pool_refuses(x, TCE_NR_POOLS, npages)) {
		t->search_bits += sb;
		return 0;
	}
	t->search_bits += sb + (t->large_pool.end - 1 - t->large_pool.start);
	return -1;
}

uint64_t tce_alloc(struct tce_table *t, uint64_t npages, unsigned align_order, uint64_t mask,
		   uint64_t boundary_pages, unsigned cpu, uint64_t *handle)
{
	int largealloc = npages > TCE_LARGE_ALLOC;
	unsigned pool_nr, pass = 0;
	uint64_t align_mask, start, limit, n, end;
	int pool_id;
	struct tce_pool *pool;

	/* npages == 0 is a WARN + DMA_MAPPING_ERROR in the kernel. */
	if (!npages || align_order >= 64 || (boundary_pages & (boundary_pages - 1)))
		return alloc_fail(t);
	align_mask = (1ull << align_order) - 1;

	/* The CPU's precomputed hash picks a small pool; big requests go to the large pool. */
	pool_nr = tce_pool_hash(cpu) & (t->nr_pools - 1);
	pool = largealloc ? &t->large_pool : &t->pools[pool_nr];
	if (!largealloc && skip_full_pools(t, npages, mask, handle, &pool_nr, &pool, &pass) < 0)
		return alloc_fail(t);

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

		/* the pool the search stays in, for the index's per-pool bounds */
		pool_id = pool == &t->large_pool ? TCE_NR_POOLS : (int)(pool - t->pools);
		if (start < pool->start || limit > pool->end)
			pool_id = -1;
		n = area_alloc(t, limit, start, npages, boundary_pages, align_mask, pool_id,
			       pool_id >= 0 ? pool : NULL);
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
	clear_range(t, entry, npages);
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
