/*
 * iommu-pgtable.c: iommu_map()/iommu_unmap() page-table work (iommu-pgtable.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "iommu-pgtable.h"
#include "util.h"

#define PT_BITS 9
#define PT_ENTRIES (1u << PT_BITS)
#define PT_GRANULE 12

struct iopt_table {
	struct iopt_table **child;	/* [512], NULL in leaf-level tables */
	uint64_t leaf[PT_ENTRIES / 64];	/* bit set: a leaf entry (page or block) */
	unsigned present;		/* entries present: leaves + tables */
};

static unsigned entry_shift(unsigned level)
{
	return PT_GRANULE + PT_BITS * (level - 1);
}

static unsigned fls64_(uint64_t x)
{
	return 63 - (unsigned)__builtin_clzll(x); /* x != 0 */
}

static unsigned ffs64_(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x); /* x != 0 */
}

static uint64_t genmask(unsigned h)
{
	return h >= 63 ? ~0ull : (2ull << h) - 1;
}

uint64_t iopt_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
		     uint64_t *count)
{
	uint64_t addr_merge = paddr | iova, pgsizes, pgsize, next, offset;
	unsigned idx;

	pgsizes = bitmap & genmask(fls64_(size));
	if (addr_merge)
		pgsizes &= genmask(ffs64_(addr_merge));
	if (!pgsizes) {
		*count = 0;
		return 0; /* BUG_ON(!pgsizes) in the kernel: the caller checked alignment */
	}
	idx = fls64_(pgsizes);
	pgsize = 1ull << idx;
	pgsizes = bitmap & ~genmask(idx);
	if (pgsizes) {
		next = 1ull << ffs64_(pgsizes);
		if (!((iova ^ paddr) & (next - 1))) {
			offset = next - (addr_merge & (next - 1));
			if (offset + next >= offset && offset + next <= size)
				size = offset;
		}
	}
	*count = size >> idx;
	return pgsize;
}

/* The level whose entries are @pgsize bytes (iopt_init() checked the bitmap). */
static unsigned pgsize_level(uint64_t pgsize)
{
	return (ffs64_(pgsize) - PT_GRANULE) / PT_BITS + 1;
}

static struct iopt_table *table_new(struct iopt *pt, unsigned level)
{
	struct iopt_table *t = xcalloc(1, sizeof(*t));

	if (level > 1)
		t->child = xcalloc(PT_ENTRIES, sizeof(*t->child));
	pt->tables_now++;
	if (pt->tables_now > pt->tables_peak)
		pt->tables_peak = pt->tables_now;
	return t;
}

/* Free @t and every table below it; returns the tables freed. */
static uint64_t table_free(struct iopt *pt, struct iopt_table *t)
{
	uint64_t n = 1;
	unsigned i;

	if (t->child)
		for (i = 0; i < PT_ENTRIES; i++)
			if (t->child[i])
				n += table_free(pt, t->child[i]);
	free(t->child);
	free(t);
	pt->tables_now--;
	return n;
}

static int subtree_has_leaf(const struct iopt_table *t)
{
	unsigned i;

	for (i = 0; i < PT_ENTRIES / 64; i++)
		if (t->leaf[i])
			return 1;
	if (t->child)
		for (i = 0; i < PT_ENTRIES; i++)
			if (t->child[i] && subtree_has_leaf(t->child[i]))
				return 1;
	return 0;
}

static int is_leaf(const struct iopt_table *t, unsigned i)
{
	return (t->leaf[i / 64] >> (i % 64)) & 1;
}

int iopt_init(struct iopt *pt, const struct iopt_config *cfg)
{
	uint64_t bm = cfg && cfg->pgsize_bitmap ? cfg->pgsize_bitmap : IOPT_PGSIZE_DEFAULT;
	unsigned va = cfg && cfg->va_bits ? cfg->va_bits : 48, b;

	memset(pt, 0, sizeof(*pt));
	if (va < 21 || va > 57 || !(bm & (1ull << PT_GRANULE)) || (bm & ((1ull << PT_GRANULE) - 1)))
		return -ISM_ERANGE;
	pt->levels = (va - PT_GRANULE + PT_BITS - 1) / PT_BITS;
	if (pt->levels > IOPT_MAX_LEVELS)
		return -ISM_ERANGE;
	for (b = PT_GRANULE; b < 64; b++) {
		if (!(bm & (1ull << b)))
			continue;
		/* a page size must be a level's entry size below the top level's table */
		if ((b - PT_GRANULE) % PT_BITS || (b - PT_GRANULE) / PT_BITS + 1 > pt->levels)
			return -ISM_ERANGE;
	}
	pt->pgsize_bitmap = bm;
	pt->va_bits = va;
	pt->root = table_new(pt, pt->levels);
	return 0;
}

void iopt_free(struct iopt *pt)
{
	if (pt->root)
		table_free(pt, pt->root);
	memset(pt, 0, sizeof(*pt));
}

static void work_add(struct iopt_work *dst, const struct iopt_work *src)
{
	unsigned i;

	dst->map_calls += src->map_calls;
	dst->unmap_calls += src->unmap_calls;
	dst->walks += src->walks;
	dst->walk_steps += src->walk_steps;
	for (i = 0; i <= IOPT_MAX_LEVELS; i++) {
		dst->ptes_set[i] += src->ptes_set[i];
		dst->ptes_cleared[i] += src->ptes_cleared[i];
	}
	dst->tables_alloc += src->tables_alloc;
	dst->tables_freed += src->tables_freed;
	dst->bytes_mapped += src->bytes_mapped;
	dst->bytes_unmapped += src->bytes_unmapped;
	dst->errors += src->errors;
}

/* One ->map_pages(): @count entries of level @level from @iova. */
static int map_pages(struct iopt *pt, uint64_t iova, unsigned level, uint64_t count,
		     struct iopt_work *w)
{
	const unsigned sh = entry_shift(level);

	w->map_calls++;
	while (count) {
		struct iopt_table *t = pt->root;
		unsigned lvl, idx, i, m;

		w->walks++;
		for (lvl = pt->levels; lvl > level; lvl--) {
			idx = (unsigned)(iova >> entry_shift(lvl)) & (PT_ENTRIES - 1);
			if (is_leaf(t, idx))
				return -ISM_ERANGE; /* a block is already there */
			if (!t->child[idx]) {
				t->child[idx] = table_new(pt, lvl - 1);
				t->present++;
				w->tables_alloc++;
			}
			t = t->child[idx];
			w->walk_steps++;
		}
		idx = (unsigned)(iova >> sh) & (PT_ENTRIES - 1);
		m = PT_ENTRIES - idx;
		if (m > count)
			m = (unsigned)count;
		for (i = idx; i < idx + m; i++) {
			if (is_leaf(t, i))
				return -ISM_ERANGE;
			if (t->child && t->child[i]) {
				/* an old table where a block goes: freed if empty, else refused */
				if (subtree_has_leaf(t->child[i]))
					return -ISM_ERANGE;
				w->tables_freed += table_free(pt, t->child[i]);
				t->child[i] = NULL;
				t->present--;
			}
			t->leaf[i / 64] |= 1ull << (i % 64);
			t->present++;
			w->ptes_set[level]++;
			w->bytes_mapped += 1ull << sh;
		}
		iova += (uint64_t)m << sh;
		count -= m;
	}
	return 0;
}

int iopt_map(struct iopt *pt, uint64_t iova, uint64_t paddr, uint64_t size, struct iopt_work *w)
{
	const uint64_t min = 1ull << ffs64_(pt->pgsize_bitmap);
	struct iopt_work local = { 0 };
	int ret = 0;

	if (!size || ((iova | paddr | size) & (min - 1)) || iova + size < iova ||
	    (pt->va_bits < 64 && iova + size > (1ull << pt->va_bits))) {
		local.errors++;
		ret = -ISM_ERANGE;
		goto out;
	}
	while (size) {
		uint64_t count, pgsize = iopt_pgsize(pt->pgsize_bitmap, iova, paddr, size, &count);

		ret = map_pages(pt, iova, pgsize_level(pgsize), count, &local);
		if (ret) {
			local.errors++;
			break;
		}
		iova += pgsize * count;
		paddr += pgsize * count;
		size -= pgsize * count;
	}
out:
	work_add(&pt->w, &local);
	if (w)
		work_add(w, &local);
	return ret;
}

/*
 * Clear [lo, hi) within table @t of level @level whose span starts at @base. Returns the bytes
 * unmapped; sets *@hole when it met an entry that is not present.
 */
static uint64_t unmap_range(struct iopt *pt, struct iopt_table *t, unsigned level, uint64_t base,
			    uint64_t lo, uint64_t hi, struct iopt_work *w, int *hole)
{
	const unsigned sh = entry_shift(level);
	const uint64_t esz = 1ull << sh;
	uint64_t done = 0, a = lo;

	while (a < hi && !*hole) {
		unsigned i = (unsigned)((a - base) >> sh);
		uint64_t e_lo = base + ((uint64_t)i << sh), e_hi = e_lo + esz;

		if (is_leaf(t, i)) {
			/* a leaf is unmapped whole, even when the range covers part of it */
			t->leaf[i / 64] &= ~(1ull << (i % 64));
			t->present--;
			w->ptes_cleared[level]++;
			done += esz;
		} else if (t->child && t->child[i]) {
			if (lo <= e_lo && e_hi <= hi) {
				w->tables_freed += table_free(pt, t->child[i]);
				t->child[i] = NULL;
				t->present--;
				w->ptes_cleared[level]++;
				done += esz;
			} else {
				w->walk_steps++;
				done += unmap_range(pt, t->child[i], level - 1, e_lo,
						    a, hi < e_hi ? hi : e_hi, w, hole);
			}
		} else {
			*hole = 1;
			break;
		}
		a = e_hi;
	}
	return done;
}

uint64_t iopt_unmap(struct iopt *pt, uint64_t iova, uint64_t size, struct iopt_work *w)
{
	const uint64_t min = 1ull << ffs64_(pt->pgsize_bitmap);
	struct iopt_work local = { 0 };
	uint64_t unmapped = 0;
	int hole = 0;

	if (!size || ((iova | size) & (min - 1)) || iova + size < iova ||
	    (pt->va_bits < 64 && iova + size > (1ull << pt->va_bits))) {
		local.errors++;
		goto out;
	}
	while (unmapped < size && !hole) {
		uint64_t count, pgsize, got;

		pgsize = iopt_pgsize(pt->pgsize_bitmap, iova, iova, size - unmapped, &count);
		local.unmap_calls++;
		local.walks++;
		/* one descent per ->unmap_pages(); it goes down as far as the range needs */
		got = unmap_range(pt, pt->root, pt->levels, 0, iova, iova + pgsize * count, &local,
				  &hole);
		if (!got)
			break;
		iova += got;
		unmapped += got;
	}
out:
	local.bytes_unmapped = unmapped;
	work_add(&pt->w, &local);
	if (w)
		work_add(w, &local);
	return unmapped;
}
