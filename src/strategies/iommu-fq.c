/*
 * iommu-fq.c: dma-iommu's strict and deferred (flush queue) IOTLB invalidation, and the stale
 * window it leaves (iommu-fq.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "iommu-fq.h"
#include "ktimer.h"
#include "util.h"

int iommu_fq_init(struct iommu_fq *q, const struct iommu_fq_config *cfg, iommu_fq_free_fn fn,
		  void *ctx)
{
	unsigned ncpus = cfg->ncpus ? cfg->ncpus : 1, i;

	memset(q, 0, sizeof(*q));
	q->mode = cfg->mode;
	q->hz = cfg->hz ? cfg->hz : 250;
	q->free_fn = fn;
	q->ctx = ctx;
	switch (cfg->mode) {
	case IOMMU_FQ_STRICT:
		return 0;
	case IOMMU_FQ_LAZY:
		q->nrings = ncpus;
		q->fq_size = cfg->fq_size ? cfg->fq_size : IOVA_DEFAULT_FQ_SIZE;
		q->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : IOVA_DEFAULT_FQ_TIMEOUT_MS;
		break;
	case IOMMU_FQ_LAZY_SINGLE:
		q->nrings = 1;
		q->fq_size = cfg->fq_size ? cfg->fq_size : IOVA_SINGLE_FQ_SIZE;
		q->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : IOVA_SINGLE_FQ_TIMEOUT_MS;
		break;
	default:
		return -ISM_ERANGE;
	}
	if (q->fq_size < 2 || (q->fq_size & (q->fq_size - 1)) || q->fq_size > (1u << 24)) {
		memset(q, 0, sizeof(*q));
		return -ISM_ERANGE;
	}
	q->rings = xcalloc(q->nrings, sizeof(*q->rings));
	for (i = 0; i < q->nrings; i++) {
		q->rings[i].mask = q->fq_size - 1;
		q->rings[i].e = xcalloc(q->fq_size, sizeof(*q->rings[i].e));
	}
	return 0;
}

void iommu_fq_free(struct iommu_fq *q)
{
	unsigned i;

	for (i = 0; i < q->nrings; i++)
		free(q->rings[i].e);
	free(q->rings);
	free(q->pending);
	memset(q, 0, sizeof(*q));
}

/* Move the stale-page integral to @t. */
static void stale_to(struct iommu_fq *q, uint64_t t)
{
	if (!q->s.unmaps)
		return;
	if (t > q->s.last_ns) {
		q->s.stale_page_ns += (unsigned __int128)q->s.stale_pages_now * (t - q->s.last_ns);
		q->s.last_ns = t;
	}
}

static void window_close(struct iommu_fq *q, uint64_t w, uint64_t pages)
{
	unsigned b = w ? 63 - (unsigned)__builtin_clzll(w) : 0;

	q->s.windows++;
	q->s.window_sum_ns += w;
	if (w > q->s.window_max_ns)
		q->s.window_max_ns = w;
	q->s.window_page_ns += (unsigned __int128)w * pages;
	q->s.hist[b]++;
}

static void stale_open(struct iommu_fq *q, uint64_t t, uint64_t pages)
{
	if (!q->s.unmaps++)
		q->s.first_ns = q->s.last_ns = t;
	stale_to(q, t);
	q->s.unmapped_pages += pages;
	if (q->npending == q->pending_cap) {
		q->pending_cap = q->pending_cap ? 2 * q->pending_cap : 64;
		q->pending = xrealloc(q->pending, q->pending_cap * sizeof(*q->pending));
	}
	q->pending[q->npending].unmap_ns = t;
	q->pending[q->npending].pages = pages;
	q->npending++;
	q->s.stale_pages_now += pages;
	q->s.stale_ranges_now++;
	if (q->s.stale_pages_now > q->s.stale_pages_max)
		q->s.stale_pages_max = q->s.stale_pages_now;
}

/* An invalidation at @t covers every range unmapped so far. */
static void stale_close_all(struct iommu_fq *q, uint64_t t)
{
	uint64_t i;

	stale_to(q, t);
	for (i = 0; i < q->npending; i++)
		window_close(q, t - q->pending[i].unmap_ns, q->pending[i].pages);
	q->npending = 0;
	q->s.stale_pages_now = 0;
	q->s.stale_ranges_now = 0;
}

/* fq_flush_iotlb() at @t */
static void flush_iotlb(struct iommu_fq *q, uint64_t t)
{
	q->start_cnt++;
	q->s.invalidations++;
	stale_close_all(q, t);
	q->finish_cnt++;
}

static void release(struct iommu_fq *q, unsigned cpu, const struct iommu_fq_entry *e, uint64_t t)
{
	uint64_t hold = t - e->unmap_ns;

	q->s.freed++;
	q->s.hold_sum_ns += hold;
	if (hold > q->s.hold_max_ns)
		q->s.hold_max_ns = hold;
	if (q->free_fn)
		q->free_fn(q->ctx, cpu, e->pfn, e->pages);
}

/* fq_ring_free_locked(): free from the head while the entries were flushed; @cpu runs it. */
static void ring_free(struct iommu_fq *q, struct iommu_fq_ring *r, unsigned cpu, uint64_t t)
{
	while (r->head != r->tail) {
		const struct iommu_fq_entry *e = &r->e[r->head];

		if (e->counter >= q->finish_cnt)
			break;
		release(q, cpu, e, t);
		r->head = (r->head + 1) & r->mask;
	}
}

static unsigned ring_used(const struct iommu_fq_ring *r)
{
	return (r->tail - r->head) & r->mask;
}

/* fq_flush_timeout() at @t */
static void timer_fire(struct iommu_fq *q, uint64_t t)
{
	unsigned i;

	q->timer_on = 0;
	flush_iotlb(q, t);
	q->s.flush_timeout++;
	for (i = 0; i < q->nrings; i++) {
		q->s.ring_locks++;
		ring_free(q, &q->rings[i], q->timer_cpu, t);
	}
}

void iommu_fq_advance(struct iommu_fq *q, uint64_t now_ns)
{
	if (q->timer_on && q->timer_due_ns <= now_ns) {
		if (q->timer_due_ns > q->now_ns)
			q->now_ns = q->timer_due_ns;
		timer_fire(q, q->timer_due_ns);
	}
	if (now_ns > q->now_ns)
		q->now_ns = now_ns;
}

void iommu_fq_unmap(struct iommu_fq *q, uint64_t now_ns, unsigned cpu, uint64_t pfn,
		    uint64_t pages)
{
	struct iommu_fq_ring *r;
	struct iommu_fq_entry *e;
	unsigned used;

	iommu_fq_advance(q, now_ns);
	now_ns = q->now_ns;
	if (q->mode == IOMMU_FQ_STRICT) {
		/* iommu_iotlb_sync() before the IOVA is freed: a window of 0 */
		struct iommu_fq_entry tmp = { pfn, pages, 0, now_ns };

		if (!q->s.unmaps++)
			q->s.first_ns = q->s.last_ns = now_ns;
		stale_to(q, now_ns);
		q->s.unmapped_pages += pages;
		q->s.strict_syncs++;
		q->s.invalidations++;
		q->start_cnt++;
		q->finish_cnt++;
		window_close(q, 0, pages);
		release(q, cpu, &tmp, now_ns);
		return;
	}
	stale_open(q, now_ns, pages);
	/* queue_iova() */
	q->s.queued++;
	r = &q->rings[q->nrings == 1 ? 0 : cpu % q->nrings];
	q->s.ring_locks++;
	ring_free(q, r, cpu, now_ns);
	if (((r->tail + 1) & r->mask) == r->head) {
		flush_iotlb(q, now_ns);
		q->s.flush_full++;
		ring_free(q, r, cpu, now_ns);
	}
	e = &r->e[r->tail];
	r->tail = (r->tail + 1) & r->mask;
	e->pfn = pfn;
	e->pages = pages;
	e->counter = q->start_cnt;
	e->unmap_ns = now_ns;
	used = ring_used(r);
	if (used > q->s.ring_peak)
		q->s.ring_peak = used;
	if (!q->timer_on) {
		q->timer_on = 1;
		q->timer_cpu = cpu;
		q->timer_due_ns = ktimer_fire_ns(now_ns, q->timeout_ms, q->hz);
		q->s.timer_arms++;
	}
}

void iommu_fq_finish(struct iommu_fq *q, uint64_t now_ns)
{
	iommu_fq_advance(q, now_ns);
	stale_to(q, q->now_ns);
}

double iommu_fq_stale_mean(const struct iommu_fq *q)
{
	uint64_t span = q->s.last_ns - q->s.first_ns;

	return span ? (double)q->s.stale_page_ns / (double)span : 0.0;
}

uint64_t iommu_fq_window_quantile(const struct iommu_fq *q, double p)
{
	uint64_t want, seen = 0;
	unsigned b;

	if (!q->s.windows)
		return 0;
	want = (uint64_t)(p * (double)q->s.windows + 0.5);
	if (want < 1)
		want = 1;
	for (b = 0; b < IOMMU_FQ_HIST; b++) {
		seen += q->s.hist[b];
		if (seen >= want)
			return b == 63 ? UINT64_MAX : (2ull << b) - 1;
	}
	return q->s.window_max_ns;
}
