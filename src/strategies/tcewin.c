/*
 * tcewin.c: a dynamically mapped TCE window (see tcewin.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "error.h"
#include "tcewin.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_COHERENT = 3 };

static unsigned ilog2_u64(uint64_t v)
{
	return v ? 63u - (unsigned)__builtin_clzll(v) : 0;
}

int tcewin_init(struct tcewin *w, struct strat *s, const char *name, uint64_t entries,
		uint64_t offset, unsigned page_shift, int build_indirect, int clear_stuff,
		enum tce_page_mode tp, char **cause)
{
	const struct scenario *sc = s->sc;
	uint64_t mask = sc->machine.dma_mask_bits >= 64 ? UINT64_MAX :
			(1ull << sc->machine.dma_mask_bits) - 1;

	memset(w, 0, sizeof(*w));
	if (tce_table_init(&w->t, entries, offset, page_shift) < 0) {
		*cause = xasprintf("%s: cannot model a TCE table of %llu entries", name,
				   (unsigned long long)entries);
		return -ISM_ERANGE;
	}
	w->name = name;
	w->dev.dma_mask = mask;
	w->dev.coherent_mask = mask;
	w->dev.seg_boundary = TCE_PCI_SEG_BOUNDARY;
	w->dev.max_seg_size = sc->machine.max_seg_bytes;
	w->dev.kernel_page_shift = ilog2_u64(sc->machine.page_bytes);
	w->dev.novmerge = sc->machine.novmerge;
	w->build_indirect = build_indirect;
	w->clear_stuff = clear_stuff;
	w->max_per_call = (unsigned)sc->machine.max_tces_per_call;
	w->tp = tp;
	w->ncpu = (unsigned)sc->machine.cpus;
	w->cpu_page = xcalloc(w->ncpu ? w->ncpu : 1, 1);
	for (unsigned i = 0; i <= TCE_NR_POOLS; i++) {
		char n[64];

		snprintf(n, sizeof(n), "%s pool %u lock", name, i);
		w->res_pool[i] = sim_resource(s->sim, n);
	}
	livemap_init(&w->maps);
	return 0;
}

static void free_sg_payloads(struct tcewin *w)
{
	for (uint64_t i = 0; i < w->maps.cap; i++)
		if (w->maps.slots[i].refs && w->maps.slots[i].tag == TAG_SG)
			free((void *)(uintptr_t)w->maps.slots[i].d[0]);
}

void tcewin_fini(struct tcewin *w)
{
	free_sg_payloads(w);
	livemap_free(&w->maps);
	tce_table_free(&w->t);
	free(w->cpu_page);
}

void tce_emit_build(struct actbuf *a, uint64_t n, int indirect, unsigned max_per_call)
{
	if (!n)
		return;
	if (n == 1 || !indirect)
		act_hcall(a, H_PUT_TCE, n, n, 0);
	else
		act_hcall(a, H_PUT_TCE_INDIRECT, (n + max_per_call - 1) / max_per_call, n, 0);
}

void tce_emit_clear(struct actbuf *a, uint64_t n, int stuff, unsigned max_per_call)
{
	if (!n)
		return;
	if (stuff)
		act_hcall(a, H_STUFF_TCE, (n + max_per_call - 1) / max_per_call, n, 0);
	else
		act_hcall(a, H_PUT_TCE, n, n, 0);
}

void tce_emit_boot_clear(const struct scenario *sc, struct actbuf *a)
{
	const struct scenario_machine *m = &sc->machine;
	uint64_t entries = m->window32_bytes / m->window32_tce_bytes;
	unsigned per = (unsigned)m->max_tces_per_call;

	/* iommu_init_table() -> iommu_table_clear(): every TCE of every table, at boot */
	for (uint64_t i = 0; i < m->default_windows; i++)
		tce_emit_clear(a, entries, m->stuff_tce, per);
	tce_emit_clear(a, m->vio_table_entries, m->stuff_tce, per);
}

/* The TCE build of one allocation, through the per-CPU TCE page. */
static void emit_build(struct tcewin *w, unsigned cpu, uint64_t n, struct actbuf *a)
{
	uint64_t calls, left;

	if (n == 1 || !w->build_indirect || w->tp == TP_NONE) {
		tce_emit_build(a, n, w->build_indirect, w->max_per_call);
		return;
	}
	calls = (n + w->max_per_call - 1) / w->max_per_call;
	cpu %= w->ncpu ? w->ncpu : 1;
	switch (w->tp) {
	case TP_SHARE_PER_CALL:
		/* pre/post_process_tce_page(): share before each batch, unshare after */
		left = n;
		for (uint64_t c = 0; c < calls; c++) {
			uint64_t k = left < w->max_per_call ? left : w->max_per_call;

			act_share(a, UV_SHARE_PAGE, 1, 1, 1);
			act_hcall(a, H_PUT_TCE_INDIRECT, 1, k, 0);
			act_unshare(a, UV_UNSHARE_PAGE, 1, 1, 1);
			left -= k;
		}
		break;
	case TP_SHARED_ONCE:
		/* alloc_tce_page(): uv_share_page(pfn, 1) once per CPU, never unshared */
		if (!w->cpu_page[cpu]) {
			w->cpu_page[cpu] = 1;
			w->tce_pages++;
			act_share(a, UV_SHARE_PAGE, 1, 1, 1);
		}
		act_hcall(a, H_PUT_TCE_INDIRECT, calls, n, 0);
		break;
	case TP_BOUNCE_PAGE:
		/* a page of the swiotlb pool, shared already with the pool: no ultracall */
		if (!w->cpu_page[cpu]) {
			w->cpu_page[cpu] = 1;
			w->tce_pages++;
		}
		act_hcall(a, H_PUT_TCE_INDIRECT, calls, n, 0);
		break;
	case TP_NONE:
		break;
	}
}

static unsigned pool_of_entry(const struct tce_table *t, uint64_t entry)
{
	if (entry >= t->large_pool.start)
		return TCE_NR_POOLS;
	if (t->poolsize)
		return (unsigned)(entry / t->poolsize) & (t->nr_pools - 1);
	return 0;
}

/* Common bookkeeping of one allocation: software, lock, search, device translation. */
static void emit_alloc_work(struct tcewin *w, unsigned pool, uint64_t bits, uint64_t npages,
			    struct actbuf *a)
{
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	act_add(a, ACT_LOCK, 0, 1, 0, w->res_pool[pool]);
	act_add(a, ACT_ALLOC_SEARCH, 0, 0, bits, w->res_pool[pool]);
	act_add(a, ACT_GUEST_PAGES, 0, 0, npages, 0);
	act_add(a, ACT_DEV_XLATE, 0, 0, npages, 0);
	act_add(a, ACT_DEV_JOB, 0, 0, 1, 0);
}

static unsigned alloc_pool(const struct tce_table *t, unsigned cpu, uint64_t npages)
{
	return npages > TCE_LARGE_ALLOC ? TCE_NR_POOLS : tce_pool_hash(cpu) & (t->nr_pools - 1);
}

int tcewin_map(struct tcewin *w, struct dma_req *rq, struct actbuf *a)
{
	uint64_t bits = w->t.search_bits, entry = 0, npages = 0, dma;
	struct live_entry *e;
	int created;

	dma = tce_map_page(&w->t, &w->dev, rq->cpu, rq->phys, rq->size, &entry, &npages);
	if (dma == TCE_ALLOC_FAIL) {
		w->failures++;
		emit_alloc_work(w, alloc_pool(&w->t, rq->cpu, tce_num_pages(rq->phys, rq->size,
									      w->t.page_shift)),
				w->t.search_bits - bits, 0, a);
		return -1;
	}
	emit_alloc_work(w, alloc_pool(&w->t, rq->cpu, npages), w->t.search_bits - bits, npages, a);
	emit_build(w, rq->cpu, npages, a);
	w->tces_written += npages;
	e = livemap_get(&w->maps, TAG_MAP, rq->dev, rq->key, &created);
	if (!created) {
		/* the same recorded address mapped twice while live: keep both (refcount) */
		e->refs++;
		tce_free(&w->t, entry, npages);
		return 0;
	}
	e->d[0] = entry;
	e->d[1] = npages;
	return 0;
}

static void release(struct tcewin *w, uint64_t entry, uint64_t npages, struct actbuf *a)
{
	unsigned pool = pool_of_entry(&w->t, entry);

	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	tce_emit_clear(a, npages, w->clear_stuff, w->max_per_call);
	act_add(a, ACT_LOCK, 0, 1, 0, w->res_pool[pool]);
	tce_free(&w->t, entry, npages);
	w->tces_cleared += npages;
}

static void drop(struct tcewin *w, struct live_entry *e)
{
	if (--e->refs == 0) {
		e->refs = 1;
		livemap_remove(&w->maps, e);
	}
}

void tcewin_unmap(struct tcewin *w, struct dma_req *rq, struct actbuf *a)
{
	struct live_entry *e = livemap_find(&w->maps, TAG_MAP, rq->dev, rq->key);

	if (!e)
		return;
	if (e->refs == 1)
		release(w, e->d[0], e->d[1], a);
	else
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
	drop(w, e);
}

int tcewin_map_sg(struct tcewin *w, struct dma_req *rq, struct actbuf *a)
{
	struct tce_sg *sg = xcalloc(rq->nsegs ? rq->nsegs : 1, sizeof(*sg));
	uint64_t bits = w->t.search_bits, total = 0;
	struct live_entry *e;
	int nout, created;

	for (unsigned i = 0; i < rq->nsegs; i++) {
		sg[i].vaddr = rq->segs[i].phys;
		sg[i].len = rq->segs[i].len;
	}
	nout = tce_map_sg(&w->t, &w->dev, rq->cpu, sg, rq->nsegs);
	if (nout < 0) {
		w->failures++;
		emit_alloc_work(w, alloc_pool(&w->t, rq->cpu, 1), w->t.search_bits - bits, 0, a);
		free(sg);
		return -1;
	}
	/* one it_ops->set() per element: an hcall (or INDIRECT batch) per input segment */
	for (unsigned i = 0; i < rq->nsegs; i++) {
		if (sg[i].entry == TCE_ALLOC_FAIL)
			continue;
		emit_build(w, rq->cpu, sg[i].npages, a);
		total += sg[i].npages;
	}
	emit_alloc_work(w, alloc_pool(&w->t, rq->cpu, rq->nsegs ? sg[0].npages : 1),
			w->t.search_bits - bits, total, a);
	w->tces_written += total;
	e = livemap_get(&w->maps, TAG_SG, rq->dev, rq->key, &created);
	if (!created) {
		e->refs++;
		tce_unmap_sg(&w->t, sg, rq->nsegs);
		free(sg);
		return 0;
	}
	e->d[0] = (uint64_t)(uintptr_t)sg;
	e->d[1] = rq->nsegs;
	e->d[2] = (uint64_t)nout;
	return 0;
}

void tcewin_unmap_sg(struct tcewin *w, struct dma_req *rq, struct actbuf *a)
{
	struct live_entry *e = livemap_find(&w->maps, TAG_SG, rq->dev, rq->key);
	struct tce_sg *sg;
	unsigned n;

	if (!e)
		return;
	if (e->refs > 1) {
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
		drop(w, e);
		return;
	}
	sg = (struct tce_sg *)(uintptr_t)e->d[0];
	n = (unsigned)e->d[1];
	/* ppc_iommu_unmap_sg(): one __iommu_free() per merged DMA segment */
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	for (unsigned i = 0; i < n;) {
		uint64_t pages = 0;
		unsigned out = sg[i].out, j = i;

		if (sg[i].entry == TCE_ALLOC_FAIL) {
			i++;
			continue;
		}
		while (j < n && sg[j].out == out && sg[j].entry != TCE_ALLOC_FAIL)
			pages += sg[j++].npages;
		tce_emit_clear(a, pages, w->clear_stuff, w->max_per_call);
		act_add(a, ACT_LOCK, 0, 1, 0, w->res_pool[pool_of_entry(&w->t, sg[i].entry)]);
		w->tces_cleared += pages;
		i = j;
	}
	tce_unmap_sg(&w->t, sg, n);
	free(sg);
	drop(w, e);
}

int tcewin_alloc(struct tcewin *w, struct dma_req *rq, struct actbuf *a)
{
	uint64_t bits = w->t.search_bits, entry = 0, npages = 0, dma;
	struct live_entry *e;
	int created;

	dma = tce_alloc_coherent(&w->t, &w->dev, rq->cpu, 0, rq->size, &entry, &npages);
	if (dma == TCE_ALLOC_FAIL) {
		w->failures++;
		emit_alloc_work(w, 0, w->t.search_bits - bits, 0, a);
		return -1;
	}
	emit_alloc_work(w, alloc_pool(&w->t, rq->cpu, npages), w->t.search_bits - bits, npages, a);
	emit_build(w, rq->cpu, npages, a);
	w->tces_written += npages;
	e = livemap_get(&w->maps, TAG_COHERENT, rq->dev, rq->key, &created);
	if (!created) {
		e->refs++;
		tce_free(&w->t, entry, npages);
		return 0;
	}
	e->d[0] = entry;
	e->d[1] = npages;
	return 0;
}

void tcewin_free(struct tcewin *w, struct dma_req *rq, struct actbuf *a)
{
	struct live_entry *e = livemap_find(&w->maps, TAG_COHERENT, rq->dev, rq->key);

	if (!e)
		return;
	if (e->refs == 1)
		release(w, e->d[0], e->d[1], a);
	drop(w, e);
}

void tcewin_report(struct tcewin *w, struct strat_pressure *p)
{
	p->window_name = w->name;
	p->window_entries = w->t.size;
	p->window_entry_bytes = 1ull << w->t.page_shift;
	p->window_peak = w->t.peak;
	p->window_used = w->t.used;
	p->window_failures = w->failures;
	p->window_reserved = w->t.reserved;
	p->tces_written += w->tces_written;
	p->tces_cleared += w->tces_cleared;
}
