/*
 * test-strategy-iommu-dma.c: the iommu-dma strategy alone, on hand-written DMA API sequences
 * worked from Linux 6.12's dma-iommu.c (IOVAs as the kernel hands them out: top-down from
 * 4 GiB per device domain, the offset within the granule kept; rcache reuse after a strict
 * unmap; the flush-queue timer at HZ=250; one IOVA and one __iommu_map() per physically
 * contiguous run for an sg list).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"
#include "sim.h"
#include "strategy-iommu-dma.h"
#include "strategy.h"

#define MS 1000000ull

struct fix {
	struct scenario sc;
	struct sim *sim;
	struct strat *s;
	struct actbuf ab;
};

static void setup(struct fix *f, const char *spec)
{
	char *cause = NULL;
	char *specs[] = { "passthrough" };

	memset(f, 0, sizeof(*f));
	cr_assert_eq(scenario_load(NULL, &f->sc, &cause), 0);
	cr_assert_eq(scenario_set(&f->sc, "machine.cpus", "2", &cause), 0);
	f->sim = sim_new(&f->sc, specs, 1, &cause);
	cr_assert_not_null(f->sim);
	f->s = strat_new(spec, &f->sc, f->sim, 1, &cause);
	cr_assert_not_null(f->s, "%s", cause ? cause : "");
}

static void teardown(struct fix *f)
{
	strat_free(f->s);
	sim_free(f->sim);
	actbuf_free(&f->ab);
	scenario_free(&f->sc);
}

static int map(struct fix *f, unsigned cpu, uint16_t dev, uint64_t phys, uint64_t size,
	       uint64_t key, uint64_t t)
{
	struct dma_req rq = { .cpu = cpu, .dev = dev, .dir = ISM_DIR_TO_DEVICE, .key = key,
			      .phys = phys, .size = size, .ts_ns = t };

	actbuf_reset(&f->ab);
	return f->s->ops->map(f->s, &rq, &f->ab);
}

static void unmap(struct fix *f, unsigned cpu, uint16_t dev, uint64_t size, uint64_t key,
		  uint64_t t)
{
	struct dma_req rq = { .cpu = cpu, .dev = dev, .dir = ISM_DIR_TO_DEVICE, .key = key,
			      .size = size, .ts_ns = t };

	actbuf_reset(&f->ab);
	f->s->ops->unmap(f->s, &rq, &f->ab);
}

static struct iommu_dma_stats stats(struct fix *f)
{
	struct iommu_dma_stats st;

	cr_assert_not_null(iommu_dma_stats(f->s, &st));
	return st;
}

/* Invalidation calls of kind @op in the last hook's actions. */
static uint64_t invals(const struct actbuf *ab, uint32_t op)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < ab->n; i++)
		if (ab->a[i].kind == ACT_INVAL && ab->a[i].op == op)
			n += ab->a[i].calls;
	return n;
}

static int has_lock(const struct actbuf *ab, int shared)
{
	for (unsigned i = 0; i < ab->n; i++)
		if (ab->a[i].kind == ACT_LOCK && (ab->a[i].res != 0) == shared)
			return 1;
	return 0;
}

Test(iommu_dma, variants_listed)
{
	const struct strategy_ops *o = strategy_find("iommu-dma");

	cr_assert_not_null(o);
	cr_assert_str_eq(o->variants[0], "strict");
	cr_assert_str_eq(o->variants[1], "lazy");
	cr_assert_str_eq(o->variants[2], "lazy-single");
	cr_assert_null(o->variants[3]);
}

/*
 * Strict, the start of a virtio-blk request as recorded on x86 (traces/x86): a 16-byte header
 * at phys ...1f8 gets IOVA 0xfffff000 + 0x1f8, the 4 KiB data page 0xffffe000; the header's
 * unmap is invalidated at once and its IOVA goes to CPU 0's rcache, so the next header reuses
 * it (with its own offset) without the rbtree lock.
 */
Test(iommu_dma, strict_top_down_and_rcache_reuse)
{
	struct fix f;
	struct iommu_dma_stats st;

	setup(&f, "iommu-dma:strict");
	cr_assert_eq(map(&f, 0, 1, 0x1abb21f8, 16, 0xfffff1f8, 0), 0);
	cr_assert(has_lock(&f.ab, 1), "a tree allocation takes the rbtree lock");
	cr_assert_eq(map(&f, 0, 1, 0xbfd3000, 4096, 0xffffe000, 1000), 0);
	unmap(&f, 0, 1, 16, 0xfffff1f8, 2000);
	cr_assert_eq(invals(&f.ab, IOTLB_SYNC), 1, "a strict unmap syncs the IOTLB: one action");
	cr_assert_eq(invals(&f.ab, IOTLB_FLUSH_ALL), 0);
	st = stats(&f);
	cr_assert_eq(st.invalidations, 1);
	cr_assert_eq(st.unmap_invalidations, 1);
	cr_assert_eq(st.stale_window_max_ns, 0);
	cr_assert_eq(map(&f, 0, 1, 0x1abb2378, 16, 0xfffff378, 3000), 0);
	cr_assert_not(has_lock(&f.ab, 1), "an rcache hit takes no rbtree lock");
	st = stats(&f);
	cr_assert_eq(st.iova_checked, 3);
	cr_assert_eq(st.iova_matched, 3);
	cr_assert_eq(st.rcache_hits, 1);
	cr_assert_eq(st.iommu_maps, 3);
	cr_assert_eq(st.iommu_unmaps, 1);
	cr_assert_eq(st.iommu_unmap_bytes, 4096);
	/* another device has its own domain: its first IOVA is 0xfffff000 too */
	cr_assert_eq(map(&f, 1, 2, 0x5000, 4096, 0xfffff000, 4000), 0);
	st = stats(&f);
	cr_assert_eq(st.iova_matched, 4);
	cr_assert_eq(st.domains, 2);
	teardown(&f);
}

/*
 * Lazy: the unmap queues the IOVA (no invalidation); the next map misses the rcache and takes
 * 0xffffd000; the timer armed at t=0 (jiffy 0 + 3) runs at tick 4 = 16 ms, flushes once and
 * frees the IOVA into CPU 0's rcache; a map at 20 ms gets 0xfffff000 back. The stale window
 * was 16 ms - 2 us.
 */
Test(iommu_dma, lazy_queue_then_timer)
{
	struct fix f;
	struct iommu_dma_stats st;

	setup(&f, "iommu-dma:lazy");
	cr_assert_eq(map(&f, 0, 1, 0x1abb21f8, 16, 0xfffff1f8, 0), 0);
	cr_assert_eq(map(&f, 0, 1, 0xbfd3000, 4096, 0xffffe000, 1000), 0);
	unmap(&f, 0, 1, 16, 0xfffff1f8, 2000);
	cr_assert_eq(invals(&f.ab, IOTLB_SYNC) + invals(&f.ab, IOTLB_FLUSH_ALL), 0, "queued");
	st = stats(&f);
	cr_assert_eq(st.invalidations, 0);
	cr_assert_eq(st.stale_pages_now, 1);
	cr_assert_eq(map(&f, 0, 1, 0x1abb2378, 16, 0xffffd378, 3000), 0);
	cr_assert_eq(stats(&f).iova_matched, 3);
	cr_assert_eq(map(&f, 0, 1, 0x7000, 4096, 0xfffff000, 20 * MS), 0);
	cr_assert_eq(invals(&f.ab, IOTLB_FLUSH_ALL), 1, "the timer's flush, before this map");
	cr_assert_eq(f.ab.a[0].kind, ACT_INVAL);
	st = stats(&f);
	cr_assert_eq(st.iova_matched, 4);
	cr_assert_eq(st.timer_invalidations, 1);
	cr_assert_eq(st.flush_timeout, 1);
	cr_assert_eq(st.stale_windows, 1);
	cr_assert_eq(st.stale_window_max_ns, 16 * MS - 2000);
	cr_assert_eq(st.stale_pages_now, 0);
	teardown(&f);
}

/* lazy-single: one queue, 1000 ms timer (250 jiffies, wheel level 1: runs at tick 256). */
Test(iommu_dma, lazy_single_long_window)
{
	struct fix f;
	struct iommu_dma_stats st;

	setup(&f, "iommu-dma:lazy-single");
	cr_assert_eq(map(&f, 0, 1, 0x1000, 4096, 0xfffff000, 0), 0);
	unmap(&f, 1, 1, 4096, 0xfffff000, 0);
	cr_assert_eq(map(&f, 0, 1, 0x2000, 4096, 0xffffe000, 1000 * MS), 0);
	cr_assert_eq(stats(&f).invalidations, 0);
	/* the timer ran on CPU 1 (which armed it): the IOVA is in CPU 1's rcache */
	cr_assert_eq(map(&f, 1, 1, 0x3000, 4096, 0xfffff000, 1100 * MS), 0);
	st = stats(&f);
	cr_assert_eq(st.invalidations, 1);
	cr_assert_eq(st.stale_window_max_ns, 1024 * MS);
	cr_assert_eq(st.iova_matched, 3);
	teardown(&f);
}

/*
 * map_sg: one IOVA for the list; physically contiguous segments make one __iommu_map(),
 * separate ones one each; the unmap is one __iommu_unmap() of the whole range.
 */
Test(iommu_dma, map_sg_runs)
{
	struct fix f;
	struct iommu_dma_stats st;
	struct dma_seg segs[3] = { { 0x10000, 4096 }, { 0x11000, 4096 }, { 0x40000, 4096 } };
	struct dma_req rq = { .cpu = 0, .dev = 3, .dir = ISM_DIR_FROM_DEVICE, .key = 0x10000,
			      .size = 3 * 4096, .segs = segs, .nsegs = 3, .ts_ns = 0 };

	setup(&f, "iommu-dma:strict");
	cr_assert_eq(f.s->ops->map_sg(f.s, &rq, &f.ab), 0);
	st = stats(&f);
	cr_assert_eq(st.iommu_maps, 2);
	cr_assert_eq(st.iommu_map_bytes, 3 * 4096);
	/* 3 granules -> 4 (alloc_iova_fast rounding), aligned: 0xffffc000 */
	rq.ts_ns = 1000;
	f.s->ops->unmap_sg(f.s, &rq, &f.ab);
	st = stats(&f);
	cr_assert_eq(st.iommu_unmaps, 1);
	cr_assert_eq(st.iommu_unmap_bytes, 3 * 4096);
	cr_assert_eq(st.invalidations, 1);
	/*
	 * the list's 4-granule IOVA went to CPU 0's class-2 cache and stays in the tree, so a
	 * single page (class 0: a miss) comes from the tree below it: 0xffffb000
	 */
	cr_assert_eq(map(&f, 0, 3, 0x9000, 4096, 0xffffb000, 2000), 0);
	cr_assert_eq(stats(&f).iova_matched, 1);
	teardown(&f);
}

/* Over 128 KiB the IOVA comes from the tree on every map (no rcache), under the lock. */
Test(iommu_dma, over_128k_always_tree)
{
	struct fix f;
	struct iommu_dma_stats st;

	setup(&f, "iommu-dma:strict");
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(map(&f, 0, 1, 0x100000, 33 * 4096, 0, i * 2000), 0);
		cr_assert(has_lock(&f.ab, 1));
		unmap(&f, 0, 1, 33 * 4096, 0, i * 2000 + 1000);
		cr_assert(has_lock(&f.ab, 1), "the free locks the tree too");
	}
	st = stats(&f);
	cr_assert_eq(st.rcache_hits, 0);
	cr_assert_eq(st.rbtree_locks, 8);
	teardown(&f);
}
