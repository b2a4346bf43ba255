/*
 * test-iommu-fq.c: dma-iommu's strict and lazy invalidation and the stale window, on event
 * sequences worked by hand from Linux 6.12's queue_iova(), fq_ring_free_locked(),
 * fq_flush_timeout() and the timer wheel (kernel/time/timer.c) at HZ=250.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "iommu-fq.h"
#include "ktimer.h"

#define US 1000ull
#define MS 1000000ull

struct freelog {
	unsigned n;
	struct { unsigned cpu; uint64_t pfn, pages; } e[512];
};

static void logfree(void *ctx, unsigned cpu, uint64_t pfn, uint64_t pages)
{
	struct freelog *l = ctx;

	if (l->n < 512) {
		l->e[l->n].cpu = cpu;
		l->e[l->n].pfn = pfn;
		l->e[l->n].pages = pages;
	}
	l->n++;
}

static void fq(struct iommu_fq *q, enum iommu_fq_mode mode, unsigned ncpus, struct freelog *l)
{
	struct iommu_fq_config cfg = { .mode = mode, .ncpus = ncpus, .hz = 250 };

	memset(l, 0, sizeof(*l));
	cr_assert_eq(iommu_fq_init(q, &cfg, logfree, l), 0);
}

Test(ktimer, jiffies_and_wheel)
{
	cr_assert_eq(ktimer_msecs_to_jiffies(10, 250), 3);
	cr_assert_eq(ktimer_msecs_to_jiffies(10, 1000), 10);
	cr_assert_eq(ktimer_msecs_to_jiffies(10, 100), 1);
	cr_assert_eq(ktimer_msecs_to_jiffies(10, 300), 3);
	cr_assert_eq(ktimer_msecs_to_jiffies(1000, 250), 250);
	/* level 0 (delta < 63): runs one tick after the expiry */
	cr_assert_eq(ktimer_bucket_expiry(3, 0, 250), 4);
	/* level 1 (63 <= delta < 504): next multiple of 8 above */
	cr_assert_eq(ktimer_bucket_expiry(250, 0, 250), 256);
	cr_assert_eq(ktimer_bucket_expiry(256, 6, 250), 264);
	/* level 2 (504 <= delta < 4032): multiples of 64 */
	cr_assert_eq(ktimer_bucket_expiry(1000, 0, 250), 1024);
	cr_assert_eq(ktimer_jiffies(4 * MS - 1, 250), 0);
	cr_assert_eq(ktimer_jiffies(4 * MS, 250), 1);
	cr_assert_eq(ktimer_tick_ns(1, 300), 3333334);
	cr_assert_eq(ktimer_fire_ns(0, 10, 250), 16 * MS);
	cr_assert_eq(ktimer_fire_ns(4 * MS - 1, 10, 250), 16 * MS);
	cr_assert_eq(ktimer_fire_ns(4 * MS, 10, 250), 20 * MS);
}

Test(fq, bad_config)
{
	struct iommu_fq q;
	struct iommu_fq_config cfg = { .mode = IOMMU_FQ_LAZY, .fq_size = 100 };

	cr_assert_eq(iommu_fq_init(&q, &cfg, NULL, NULL), -ISM_ERANGE);
	cfg.fq_size = 1;
	cr_assert_eq(iommu_fq_init(&q, &cfg, NULL, NULL), -ISM_ERANGE);
}

/* Strict: one waited invalidation per unmap, the IOVA freed at once, no stale window. */
Test(fq, strict_one_sync_per_unmap)
{
	struct iommu_fq q;
	struct freelog l;

	fq(&q, IOMMU_FQ_STRICT, 2, &l);
	iommu_fq_unmap(&q, 1 * US, 1, 0x100, 1);
	iommu_fq_unmap(&q, 2 * US, 0, 0x200, 4);
	cr_assert_eq(q.s.invalidations, 2);
	cr_assert_eq(q.s.strict_syncs, 2);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.e[0].cpu, 1);
	cr_assert_eq(l.e[1].pfn, 0x200);
	cr_assert_eq(l.e[1].pages, 4);
	cr_assert_eq(q.s.windows, 2);
	cr_assert_eq(q.s.window_max_ns, 0);
	cr_assert_eq(q.s.stale_pages_max, 0);
	iommu_fq_finish(&q, 10 * MS);
	cr_assert_eq(iommu_fq_stale_mean(&q), 0.0);
	iommu_fq_free(&q);
}

/*
 * Lazy, timeout: the first queue_iova() at t=0 arms the timer for jiffy 3 (10 ms at HZ=250),
 * which runs at tick 4 = 16 ms; a second CPU's unmap at 5 ms does not re-arm it. The timer
 * flushes once and frees both, into the arming CPU's cache.
 */
Test(fq, lazy_timeout_flushes_all_cpus)
{
	struct iommu_fq q;
	struct freelog l;

	fq(&q, IOMMU_FQ_LAZY, 2, &l);
	iommu_fq_unmap(&q, 0, 0, 0x100, 1);
	iommu_fq_unmap(&q, 5 * MS, 1, 0x200, 1);
	cr_assert_eq(q.s.timer_arms, 1);
	cr_assert_eq(q.timer_due_ns, 16 * MS);
	iommu_fq_advance(&q, 16 * MS - 1);
	cr_assert_eq(q.s.invalidations, 0);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(q.s.stale_pages_now, 2);
	iommu_fq_advance(&q, 16 * MS);
	cr_assert_eq(q.s.invalidations, 1);
	cr_assert_eq(q.s.flush_timeout, 1);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.e[0].cpu, 0);
	cr_assert_eq(l.e[1].cpu, 0, "freed on the CPU that runs the timer");
	/* windows 16 ms and 11 ms; integral 1 * 5 ms + 2 * 11 ms = 27 page-ms over 16 ms */
	cr_assert_eq(q.s.windows, 2);
	cr_assert_eq(q.s.window_max_ns, 16 * MS);
	cr_assert_eq(q.s.window_sum_ns, 27 * MS);
	cr_assert_eq(q.s.stale_pages_max, 2);
	cr_assert_eq(q.s.stale_pages_now, 0);
	iommu_fq_finish(&q, 16 * MS);
	cr_assert_float_eq(iommu_fq_stale_mean(&q), 27.0 / 16.0, 1e-9);
	/* the next unmap re-arms: at 17 ms (jiffy 4) -> expiry 7 -> runs at tick 8 = 32 ms */
	iommu_fq_unmap(&q, 17 * MS, 1, 0x300, 2);
	cr_assert_eq(q.timer_due_ns, 32 * MS);
	cr_assert_eq(q.s.timer_arms, 2);
	iommu_fq_free(&q);
}

/* Arming late in a tick gives the shortest window, at its start the longest: 12..16 ms. */
Test(fq, lazy_timeout_tick_edges)
{
	struct iommu_fq q;
	struct freelog l;

	fq(&q, IOMMU_FQ_LAZY, 1, &l);
	iommu_fq_unmap(&q, 4 * MS - 1, 0, 1, 1);
	iommu_fq_advance(&q, 100 * MS);
	cr_assert_eq(q.s.window_max_ns, 12 * MS + 1);
	iommu_fq_unmap(&q, 200 * MS, 0, 2, 1);
	iommu_fq_advance(&q, 300 * MS);
	cr_assert_eq(q.s.window_max_ns, 16 * MS);
	cr_assert_eq(q.s.flush_timeout, 2);
	iommu_fq_free(&q);
}

/*
 * Lazy, full: a 256-entry ring holds 255. The 256th queue_iova() flushes (flush_iotlb_all)
 * and frees the 255; the new entry carries the new start count and waits for the timer.
 */
Test(fq, lazy_full_ring_flushes_and_frees)
{
	struct iommu_fq q;
	struct freelog l;
	uint64_t i;

	fq(&q, IOMMU_FQ_LAZY, 1, &l);
	for (i = 1; i <= 255; i++)
		iommu_fq_unmap(&q, i * US, 0, i, 1);
	cr_assert_eq(q.s.ring_peak, 255);
	cr_assert_eq(q.s.invalidations, 0);
	cr_assert_eq(q.s.stale_pages_now, 255);
	iommu_fq_unmap(&q, 256 * US, 0, 256, 1);
	cr_assert_eq(q.s.flush_full, 1);
	cr_assert_eq(q.s.invalidations, 1);
	cr_assert_eq(l.n, 255);
	cr_assert_eq(l.e[0].pfn, 1);
	cr_assert_eq(l.e[254].pfn, 255);
	/* the flush came after the 256th range's page-table clear: it is covered too */
	cr_assert_eq(q.s.stale_pages_max, 256);
	cr_assert_eq(q.s.stale_pages_now, 0);
	cr_assert_eq(q.s.windows, 256);
	cr_assert_eq(q.s.window_max_ns, 255 * US);
	/* but its IOVA waits for the next flush: the timer armed at 1 us runs at 16 ms */
	iommu_fq_advance(&q, 16 * MS);
	cr_assert_eq(q.s.flush_timeout, 1);
	cr_assert_eq(l.n, 256);
	cr_assert_eq(l.e[255].pfn, 256);
	cr_assert_eq(q.s.hold_max_ns, 16 * MS - 256 * US);
	iommu_fq_free(&q);
}

/*
 * A flush from one CPU's full ring ends the other CPU's stale window at once, but that CPU's
 * entry is freed only by its own next queue_iova() (counter < finish count) or the timer.
 */
Test(fq, lazy_flush_counter_frees_other_cpu_later)
{
	struct iommu_fq q;
	struct freelog l;
	uint64_t i;

	fq(&q, IOMMU_FQ_LAZY, 2, &l);
	iommu_fq_unmap(&q, 0, 1, 0x1000, 2);
	for (i = 1; i <= 256; i++)
		iommu_fq_unmap(&q, i * US, 0, i, 1);
	cr_assert_eq(q.s.flush_full, 1);
	cr_assert_eq(q.s.stale_pages_now, 0);
	cr_assert_eq(q.s.window_max_ns, 256 * US, "CPU 1's range covered by CPU 0's flush");
	cr_assert_eq(l.n, 255, "CPU 1's IOVA not freed yet");
	iommu_fq_unmap(&q, 1 * MS, 1, 0x2000, 1);
	cr_assert_eq(l.n, 256);
	cr_assert_eq(l.e[255].pfn, 0x1000);
	cr_assert_eq(l.e[255].cpu, 1);
	cr_assert_eq(q.s.invalidations, 1);
	iommu_fq_free(&q);
}

/*
 * Lazy single queue: 32768 entries (32767 usable) shared by all CPUs, 1000 ms = 250 jiffies
 * on wheel level 1: armed at jiffy 0 it runs at 256 (1024 ms).
 */
Test(fq, lazy_single_queue)
{
	struct iommu_fq q;
	struct freelog l;
	uint64_t i;

	fq(&q, IOMMU_FQ_LAZY_SINGLE, 4, &l);
	cr_assert_eq(q.nrings, 1);
	cr_assert_eq(q.fq_size, 32768);
	for (i = 0; i < 32767; i++)
		iommu_fq_unmap(&q, i, (unsigned)i & 3, i + 1, 1);
	cr_assert_eq(q.s.invalidations, 0);
	cr_assert_eq(q.timer_due_ns, 1024 * MS);
	cr_assert_eq(q.s.ring_peak, 32767);
	iommu_fq_unmap(&q, 40000, 2, 40000, 1);
	cr_assert_eq(q.s.flush_full, 1);
	cr_assert_eq(l.n, 32767);
	iommu_fq_advance(&q, 1024 * MS);
	cr_assert_eq(q.s.flush_timeout, 1);
	cr_assert_eq(l.n, 32768);
	/* re-armed at 1048 ms = jiffy 262: expiry 512, level 1 bucket 520 -> 2080 ms */
	iommu_fq_unmap(&q, 1024 * MS + 24 * MS, 0, 7, 1);
	cr_assert_eq(q.timer_due_ns, 1056 * MS + 1024 * MS);
	iommu_fq_free(&q);
}

/* Histogram quantiles come from power-of-two buckets (upper edge). */
Test(fq, window_quantiles)
{
	struct iommu_fq q;
	struct freelog l;

	fq(&q, IOMMU_FQ_LAZY, 1, &l);
	iommu_fq_unmap(&q, 0, 0, 1, 1);
	iommu_fq_advance(&q, 20 * MS);
	cr_assert_eq(q.s.windows, 1);
	/* 16 ms = 16000000 ns lies in [2^23, 2^24) */
	cr_assert_eq(iommu_fq_window_quantile(&q, 0.5), (1ull << 24) - 1);
	iommu_fq_free(&q);
}
