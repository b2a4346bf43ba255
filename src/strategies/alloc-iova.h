/*
 * alloc-iova.h: a model of the Linux IOVA allocator (drivers/iommu/iova.c) and of how
 * dma-iommu asks it for addresses (iommu_dma_alloc_iova() in drivers/iommu/dma-iommu.c), as of
 * Linux 6.12 (read from Debian's linux-source-6.12, 6.12.117; these files are the same in the
 * 6.12.95 guests the project's traces come from). Re-implemented from the kernel's rules, not
 * copied: each function names the kernel function it reproduces.
 *
 * What is modelled, so that the same sequence of calls returns the same IOVAs as the kernel:
 *  - the red-black tree of allocated ranges with its anchor node at ~0, balanced as lib/rbtree.c
 *    balances it (same rotations and colours, so the same shape and the same walk lengths);
 *  - __alloc_and_insert_iova_range(): the top-down walk from cached32_node / cached_node, the
 *    size-aligned mask, the max32_alloc_size fast failure, the retry from iova_find_limit();
 *    __cached_rbnode_insert_update() / __cached_rbnode_delete_update();
 *  - reserve_iova() with its merging of overlapping reservations;
 *  - the per-CPU range caches: IOVA_RANGE_CACHE_MAX_SIZE 6 size classes (1..32 granules, i.e.
 *    up to 128 KiB with 4 KiB granules), loaded/prev magazines of IOVA_MAG_SIZE 127 pfns, the
 *    depot, and iova_depot_work_func() trimming one magazine per IOVA_DEPOT_DELAY (100 ms) while
 *    the depot holds more magazines than online CPUs;
 *  - alloc_iova_fast(): power-of-two rounding below 32 granules, rcache first, then the tree,
 *    then (flush_rcache) every CPU's and the depot's cached IOVAs returned to the tree and one
 *    retry; free_iova_fast();
 *  - iommu_dma_alloc_iova(): the dma_limit (device mask, bus limit, aperture), the 32-bit first
 *    try of PCI devices (pci_32bit_workaround = !iommu.forcedac) that is given up for good after
 *    its first failure ("Using %d-bit DMA addresses").
 * Allocations of the kernel's memory (struct iova, magazines) never fail in the model.
 *
 * Counters for a cost model: every acquisition of the rbtree lock, every node the walks visit,
 * rcache hits and misses, per-CPU and depot lock acquisitions, depot pushes, pops and trims.
 * All state is in the structs; no globals; deterministic. Time enters only through
 * iova_advance() (the depot work is a delayed work, run by the model at its tick).
 */
#ifndef ISM_ALLOC_IOVA_H
#define ISM_ALLOC_IOVA_H

#include <stdbool.h>
#include <stdint.h>

#define IOVA_RANGE_CACHE_MAX_SIZE 6	/* log2 of the largest cached range, in granules, + 1 */
#define IOVA_MAG_SIZE 127		/* pfns per magazine */
#define IOVA_DEPOT_DELAY_MS 100		/* IOVA_DEPOT_DELAY */
#define IOVA_ANCHOR_PFN UINT64_MAX	/* IOVA_ANCHOR: the node above the address space */

/* struct iova: a node of the tree (pointers, so that cached nodes survive rebalancing). */
struct iova_node {
	struct iova_node *parent, *left, *right;
	uint64_t pfn_lo, pfn_hi;
	bool red;
};

struct iova_magazine {
	unsigned size;
	uint64_t pfns[IOVA_MAG_SIZE];
	struct iova_magazine *next;	/* depot link */
};

struct iova_cpu_rcache {
	struct iova_magazine *loaded, *prev;
};

struct iova_rcache {
	unsigned depot_size;
	struct iova_magazine *depot;
	struct iova_cpu_rcache *cpu;	/* [ncpus] */
	bool work_pending;		/* the depot work is queued ... */
	uint64_t work_due_ns;		/* ... to run at this time */
};

/* What a cost model can charge; all counts since init. */
struct iova_counters {
	uint64_t rbtree_locks;		/* iova_rbtree_lock acquisitions */
	uint64_t walk_nodes;		/* nodes the top-down allocation walk stepped to (rb_prev) */
	uint64_t limit_nodes;		/* nodes iova_find_limit() visited */
	uint64_t insert_nodes;		/* nodes iova_insert_rbtree() descended through */
	uint64_t find_nodes;		/* nodes private_find_iova() visited (frees) */
	uint64_t tree_allocs;		/* ranges allocated from the tree */
	uint64_t tree_frees;		/* ranges returned to the tree */
	uint64_t tree_fails;		/* tree allocations that failed (including fast failures) */
	uint64_t fast_fails;		/* ... of which refused at once by max32_alloc_size */
	uint64_t retries;		/* second passes from iova_find_limit() */
	uint64_t rcache_hits, rcache_misses;	/* alloc_iova_fast() of cacheable sizes */
	uint64_t rcache_bypass;		/* alloc_iova_fast() of sizes over 32 granules */
	uint64_t rcache_inserts;	/* free_iova_fast() that cached the range */
	uint64_t rcache_insert_bypass;	/* free_iova_fast() of sizes too large to cache */
	uint64_t cpu_rcache_locks;	/* per-CPU rcache lock acquisitions */
	uint64_t depot_locks;		/* rcache->lock acquisitions */
	uint64_t depot_pushes, depot_pops;	/* full magazines into / out of the depot */
	uint64_t depot_trims;		/* magazines iova_depot_work_func() returned to the tree */
	uint64_t depot_work_runs;
	uint64_t rcache_flushes;	/* alloc_iova_fast() flush_rcache passes */
	uint64_t fast_fails_final;	/* alloc_iova_fast() that returned 0 */
	uint64_t dac_fallbacks;		/* iommu_dma_alloc_iova() 32-bit tries given up */
};

struct iova_domain_config {
	unsigned granule_shift;	/* log2 of the IOVA granule: __ffs(pgsize_bitmap); 0 = 12 */
	uint64_t start_pfn;	/* first usable pfn; 0 = 1 (iommu_dma_init_domain's base_pfn) */
	unsigned ncpus;		/* possible = online CPUs; 0 = 1 */
	unsigned hz;		/* CONFIG_HZ, for the depot work's timer; 0 = 250 */
	bool no_rcaches;	/* a domain without iova_domain_init_rcaches() (not dma-iommu) */
};

struct iova_domain {
	struct iova_node anchor;
	struct iova_node *root;
	struct iova_node *cached_node, *cached32_node;
	unsigned granule_shift;
	uint64_t start_pfn, dma_32bit_pfn, max32_alloc_size;
	unsigned ncpus, hz;
	struct iova_rcache *rcaches;	/* [IOVA_RANGE_CACHE_MAX_SIZE], NULL without rcaches */
	uint64_t now_ns;		/* time of the calls (iova_advance()) */
	uint64_t nodes;			/* ranges in the tree, reservations included, anchor not */
	struct iova_node *spare;	/* freed nodes kept for reuse */
	struct iova_magazine *spare_mags;
	struct iova_counters c;
};

/**
 * iova_domain_init() - init_iova_domain() + iova_domain_init_rcaches().
 * dma_32bit_pfn = 1 << (32 - granule_shift); max32_alloc_size = dma_32bit_pfn.
 * Return: 0, or -ISM_ERANGE for a granule shift outside 9..30 or a start_pfn at or past the
 * anchor; -ISM_ENOMEM.
 */
int iova_domain_init(struct iova_domain *d, const struct iova_domain_config *cfg);
/* put_iova_domain(): free everything and zero @d. */
void iova_domain_free(struct iova_domain *d);

/*
 * iova_advance() - let time run to @now_ns: the depot works due by then run, in order of their
 * due time (each trims one magazine and re-arms itself while the depot is over ncpus
 * magazines). Time never goes back: an earlier @now_ns is taken as the current time.
 */
void iova_advance(struct iova_domain *d, uint64_t now_ns);

/* reserve_iova(): reserve [pfn_lo, pfn_hi], merged with what it overlaps. 0 or -ISM_ERANGE. */
int iova_reserve(struct iova_domain *d, uint64_t pfn_lo, uint64_t pfn_hi);

/*
 * alloc_iova(): @size granules at or below @limit_pfn (inclusive), top-down; naturally aligned
 * to roundup_pow_of_two(@size) when @size_aligned. Return: pfn_lo, or 0 on failure (pfn 0 is
 * never handed out while start_pfn >= 1).
 */
uint64_t iova_alloc(struct iova_domain *d, uint64_t size, uint64_t limit_pfn, bool size_aligned);
/* free_iova(): free the range containing @pfn. Return: its size in granules, or 0 if none. */
uint64_t iova_free(struct iova_domain *d, uint64_t pfn);
/* find_iova(): the range containing @pfn, or NULL. */
const struct iova_node *iova_find(struct iova_domain *d, uint64_t pfn);

/* alloc_iova_fast() on CPU @cpu. Return: pfn, or 0. */
uint64_t iova_alloc_fast(struct iova_domain *d, unsigned cpu, uint64_t size, uint64_t limit_pfn,
			 bool flush_rcache);
/* free_iova_fast() on CPU @cpu: @size is the size the caller mapped (not the rounded one). */
void iova_free_fast(struct iova_domain *d, unsigned cpu, uint64_t pfn, uint64_t size);

/* free_cpu_cached_iovas() / free_global_cached_iovas(): cached ranges back to the tree. */
void iova_flush_cpu_rcache(struct iova_domain *d, unsigned cpu);
void iova_flush_depot(struct iova_domain *d);

/* Cached ranges now (every CPU's magazines and the depot). */
uint64_t iova_rcache_count(const struct iova_domain *d);

/* ---- iommu_dma_alloc_iova(): what dma-iommu asks of the allocator ------------------------ */

/* A device's part of struct dev_iommu and its DMA limits. */
struct iova_dma_dev {
	uint64_t dma_mask;		/* dma_get_mask(dev): the dma_limit passed in */
	uint64_t bus_dma_limit;		/* dev->bus_dma_limit, 0 = none */
	bool pci_32bit_workaround;	/* PCI device and not iommu.forcedac=1 */
};

/*
 * iommu_dma_alloc_iova() for @size bytes (a multiple of the granule, as __iommu_dma_map()
 * aligns it): dma_limit = min_not_zero(mask, bus limit), capped by @aperture_end when the
 * domain forces its aperture (pass UINT64_MAX when it does not). A PCI device first tries
 * below 4 GiB without flushing the rcaches; the first failure clears its workaround for good
 * and counts a dac_fallback. Return: the IOVA in bytes, or 0 on failure.
 */
uint64_t iova_dma_alloc(struct iova_domain *d, struct iova_dma_dev *dev, unsigned cpu,
			uint64_t size, uint64_t aperture_end);
/* iommu_dma_free_iova() of a range not queued for a flush: free_iova_fast(). */
void iova_dma_free(struct iova_domain *d, unsigned cpu, uint64_t iova, uint64_t size);

/* Debug: check the tree (order, colours, black height, parent links). 0 or -1. */
int iova_check(const struct iova_domain *d);

#endif
