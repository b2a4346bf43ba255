/*
 * strategy-iommu-dma.h: the iommu-dma strategy's figures (strategy-iommu-dma.c), for tests and
 * reports until strategies register their own statistics.
 */
#ifndef ISM_STRATEGY_IOMMU_DMA_H
#define ISM_STRATEGY_IOMMU_DMA_H

#include <stdint.h>

#include "strategy.h"

struct iommu_dma_stats {
	uint64_t maps, unmaps;			/* DMA API maps (incl. map_sg, alloc) and unmaps */
	uint64_t failures;			/* maps with no IOVA */
	uint64_t direct;			/* maps of devices not behind the IOMMU */
	uint64_t inv_map;			/* iotlb_sync_map flushes (sync_map) */
	uint64_t iommu_maps, iommu_map_bytes;	/* __iommu_map() calls: iommu:map events */
	uint64_t iommu_unmaps, iommu_unmap_bytes; /* __iommu_unmap() calls: iommu:unmap events */
	uint64_t pt_errors;			/* page-table model refusals (overlaps) */
	uint64_t invalidations;			/* IOTLB invalidations in all */
	uint64_t unmap_invalidations;		/* ... made by unmaps (strict sync, full queue) */
	uint64_t timer_invalidations;		/* ... made by the flush-queue timer */
	uint64_t flush_full, flush_timeout;
	uint64_t stale_windows, stale_window_max_ns, stale_window_sum_ns;
	double stale_page_window_ns;		/* sum over ranges of pages * window */
	uint64_t stale_pages_max;		/* most pages stale at once, all domains */
	uint64_t stale_pages_now;
	double stale_page_ns;			/* integral of stale pages over time */
	uint64_t iova_checked, iova_matched;	/* maps whose recorded DMA address the model
						 * predicted (single maps and allocations) */
	uint64_t domains;			/* IOMMU domains (one per device) */
	uint64_t rcache_hits, rcache_misses, rbtree_locks, dac_fallbacks;
	uint64_t pt_tables_peak;
};

extern const struct strategy_ops strategy_iommu_dma_ops;

/* The figures of @s if it is an iommu-dma layer (into @out), else NULL. */
const struct iommu_dma_stats *iommu_dma_stats(const struct strat *s, struct iommu_dma_stats *out);

#endif
