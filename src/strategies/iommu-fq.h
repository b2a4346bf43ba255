/*
 * iommu-fq.h: when dma-iommu invalidates the IOTLB after an unmap, and how long the unmapped
 * pages stay reachable by the device meanwhile (the "stale window").
 *
 * The rules of drivers/iommu/dma-iommu.c in Linux 6.12 (re-implemented, not copied):
 *  - strict (IOMMU_DOMAIN_DMA, iommu.strict=1): __iommu_dma_unmap() runs iommu_iotlb_sync()
 *    before it frees the IOVA: one invalidation per unmap, waited for; no stale window.
 *  - lazy (IOMMU_DOMAIN_DMA_FQ): iommu_dma_free_iova() calls queue_iova() instead. A per-CPU
 *    ring of IOVA_DEFAULT_FQ_SIZE 256 entries (a ring: at most 255 queued, fq_full() is
 *    tail + 1 == head); each entry records fq_flush_start_cnt. queue_iova() first frees the
 *    entries whose counter is below fq_flush_finish_cnt (flushed by an earlier flush, from any
 *    CPU); if the ring is still full it runs fq_flush_iotlb() (flush_iotlb_all: the whole
 *    domain's IOTLB, which ends every CPU's stale entries) and frees again; then adds the entry
 *    and, if fq_timer_on was 0, arms fq_timer for IOVA_DEFAULT_FQ_TIMEOUT 10 ms. The timer
 *    (fq_flush_timeout()) clears fq_timer_on, flushes once and frees every CPU's flushed
 *    entries. The timer is one-shot: the next queue_iova() after it re-arms it.
 *  - lazy-single (dev->iommu->shadow_on_flush, set by s390 in 6.12; the virtio-iommu RFC
 *    asked for it too): one ring of IOVA_SINGLE_FQ_SIZE 32768 entries, IOVA_SINGLE_FQ_TIMEOUT
 *    1000 ms, otherwise the same rules.
 * The timer's real expiry follows the timer wheel (ktimer.h): 10 ms at HZ=250 is 3 jiffies,
 * run at the 4th tick after the arming tick, so 12..16 ms after arming; 1000 ms is 250
 * jiffies on wheel level 1 (8-jiffy granularity): 1004..1036 ms. The timer runs on the CPU
 * that armed it (the model does not migrate timers); the IOVAs it frees go to that CPU's
 * rcache, as free_iova_fast() uses the running CPU's.
 *
 * Stale window: an unmapped range is taken as reachable by the device from its unmap until the
 * IOTLB invalidation that covers it (the worst case: the IOTLB may have dropped the entry
 * earlier). Reported per range (count, sum, max, page-weighted sum, log2 histogram) and as
 * stale pages over time (now, maximum, time integral). IOVAs freed after the flush may be reused
 * only then: the hold time (unmap to IOVA free) is reported too.
 *
 * Time is the caller's (ns, the trace clock); calls must come in time order.
 */
#ifndef ISM_IOMMU_FQ_H
#define ISM_IOMMU_FQ_H

#include <stdint.h>

#define IOVA_DEFAULT_FQ_SIZE 256
#define IOVA_SINGLE_FQ_SIZE 32768
#define IOVA_DEFAULT_FQ_TIMEOUT_MS 10
#define IOVA_SINGLE_FQ_TIMEOUT_MS 1000

enum iommu_fq_mode {
	IOMMU_FQ_STRICT,
	IOMMU_FQ_LAZY,		/* per-CPU queues */
	IOMMU_FQ_LAZY_SINGLE,	/* one queue */
};

struct iommu_fq_config {
	enum iommu_fq_mode mode;
	unsigned fq_size;	/* entries per ring, a power of two >= 2; 0 = the mode's default */
	unsigned timeout_ms;	/* 0 = the mode's default */
	unsigned ncpus;		/* possible CPUs; 0 = 1 */
	unsigned hz;		/* CONFIG_HZ; 0 = 250 */
};

struct iommu_fq_entry {
	uint64_t pfn, pages;
	uint64_t counter;	/* fq_flush_start_cnt when queued */
	uint64_t unmap_ns;
};

struct iommu_fq_ring {
	unsigned head, tail, mask;
	struct iommu_fq_entry *e;
};

#define IOMMU_FQ_HIST 64	/* stale-window histogram: bucket k holds windows in [2^k, 2^(k+1)) ns,
				 * bucket 0 also 0 ns */

struct iommu_fq_stats {
	uint64_t unmaps;		/* ranges unmapped */
	uint64_t unmapped_pages;
	uint64_t invalidations;		/* IOTLB invalidations: strict syncs + lazy flush-alls */
	uint64_t strict_syncs;		/* iommu_iotlb_sync() per unmap (strict) */
	uint64_t flush_full;		/* fq_flush_iotlb() because a ring was full */
	uint64_t flush_timeout;		/* fq_flush_iotlb() from the timer */
	uint64_t timer_arms;		/* mod_timer() calls */
	uint64_t queued;		/* queue_iova() calls */
	uint64_t freed;			/* IOVAs handed back for freeing */
	uint64_t ring_locks;		/* fq->lock acquisitions */
	uint64_t ring_peak;		/* most entries one ring held */
	/* stale window per range (closed windows only) */
	uint64_t windows;
	uint64_t window_sum_ns, window_max_ns;
	unsigned __int128 window_page_ns; /* sum of pages * window */
	uint64_t hist[IOMMU_FQ_HIST];
	/* stale pages over time */
	uint64_t stale_pages_now, stale_pages_max, stale_ranges_now;
	unsigned __int128 stale_page_ns;  /* integral of stale pages over time */
	uint64_t first_ns, last_ns;	/* span the integral covers (first unmap .. last update) */
	/* unmap -> IOVA free */
	uint64_t hold_sum_ns, hold_max_ns;
};

/* Called for each IOVA range the queue releases: free_iova_fast() on CPU @cpu. */
typedef void (*iommu_fq_free_fn)(void *ctx, unsigned cpu, uint64_t pfn, uint64_t pages);

struct iommu_fq {
	enum iommu_fq_mode mode;
	unsigned nrings, fq_size, timeout_ms, hz;
	struct iommu_fq_ring *rings;	/* [ncpus] (lazy), [1] (lazy-single), none (strict) */
	uint64_t start_cnt, finish_cnt;	/* fq_flush_start_cnt / fq_flush_finish_cnt */
	int timer_on;
	uint64_t timer_due_ns;
	unsigned timer_cpu;
	uint64_t now_ns;
	/* ranges not yet covered by an invalidation, in unmap order */
	struct { uint64_t unmap_ns, pages; } *pending;
	uint64_t npending, pending_cap;
	iommu_fq_free_fn free_fn;
	void *ctx;
	struct iommu_fq_stats s;
};

/* Return: 0, or -ISM_ERANGE (fq_size not a power of two >= 2, bad mode). */
int iommu_fq_init(struct iommu_fq *q, const struct iommu_fq_config *cfg, iommu_fq_free_fn fn,
		  void *ctx);
void iommu_fq_free(struct iommu_fq *q);

/* Let time run to @now_ns: the flush timer fires if it is due by then. */
void iommu_fq_advance(struct iommu_fq *q, uint64_t now_ns);

/*
 * The IOVA part of __iommu_dma_unmap() on CPU @cpu at @now_ns, after the page tables were
 * cleared: strict syncs and frees at once; lazy queues (queue_iova()).
 */
void iommu_fq_unmap(struct iommu_fq *q, uint64_t now_ns, unsigned cpu, uint64_t pfn,
		    uint64_t pages);

/* Bring the stale-page integral up to @now_ns (end of run); open windows stay open. */
void iommu_fq_finish(struct iommu_fq *q, uint64_t now_ns);

/* Mean stale pages over [first unmap, last update], 0 if no time passed. */
double iommu_fq_stale_mean(const struct iommu_fq *q);
/* The @p-quantile (0..1) of closed windows from the histogram (upper bucket edge), ns. */
uint64_t iommu_fq_window_quantile(const struct iommu_fq *q, double p);

#endif
