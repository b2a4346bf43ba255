/*
 * strategy-template.c: the documented example strategy, to copy when adding one (HACKING,
 * "Adding a strategy"). It models a protected guest that shares each streaming DMA buffer with
 * the host for as long as it is mapped, with no bounce buffer and no IOMMU: the page-sharing
 * pattern of a pKVM protected guest (drivers/virt/coco/pkvm-guest/arm-pkvm-guest.c shares
 * memory one granule per MEM_SHARE hypercall, under the hypervisor's host+hyp lock).
 *
 *   map:    every page of the buffer not shared yet is shared: ceil(pages / batch_pages)
 *           MEM_SHARE calls holding the "host share lock"; pages already shared (another live
 *           mapping of the same page) only take a reference;
 *   unmap:  references dropped; pages whose last reference goes are unshared (MEM_UNSHARE),
 *           unless the variant is "keep" (shared once, never unshared: less work, more exposure).
 *
 * What a strategy uses, each in one place below:
 *   - a parameter: strategy.template.batch_pages (params[], an option struct per instance);
 *   - a variant: "per-map" (the default) or "keep" (variants[], s->variant);
 *   - a resource: the host share lock, asked for at init (resource.h), held by the share calls;
 *   - the action buffer: act_share()/act_unshare() and act_add(ACT_GUEST ...), never a time;
 *   - the live map: mappings by (device, recorded address), pages by page number (livemap.h);
 *   - statistics: the registry stats[] filled by ->stat_values (reports, JSON, regress).
 * The engine books the exposure (bytes shared) from the ACT_SHARE/ACT_UNSHARE kinds and prices
 * the calls from the operation catalogue (ops.h MEM_SHARE, MEM_UNSHARE).
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "livemap.h"
#include "param.h"
#include "resource.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_PAGE = 3 };

/* The option structure params[] describes (one per instance, s->opts). */
struct template_opts {
	uint64_t batch_pages;
};

static const struct param template_params[] = {
	{ .path = "batch_pages", .type = PARAM_U64,
	  .offset = offsetof(struct template_opts, batch_pages), .min = 1, .max = 1048576,
	  .def.u = 1, .unit = "pages",
	  .source = "arm-pkvm-guest.c: one granule per MEM_SHARE call",
	  .help = "pages one MEM_SHARE or MEM_UNSHARE call covers" },
	{ .path = NULL },
};

static const char *const template_variants[] = { "per-map", "keep", NULL };

struct template_priv {
	struct livemap maps;     /* TAG_MAP (dev, key): d[0] first page, d[1] pages; TAG_SG: the
				  * segments' (first page, pages) pairs, d[1] segments */
	struct livemap pages;    /* TAG_PAGE: (0, page number), refs = live mappings of it */
	uint16_t lock;           /* the host share lock */
	unsigned page_shift;
	int keep;                /* variant "keep" */
	uint64_t batch;
	uint64_t shared_pages, shared_pages_peak, refs_taken;
};

/* The statistics registry: name (with its unit), unit, which way is better, help. */
static const struct strat_stat template_stats[] = {
	{ "shared_pages_peak", "pages", STAT_LOWER_BETTER, "most pages shared at once" },
	{ "page_refs_taken", "pages", STAT_NEUTRAL,
	  "pages of a map that were shared already (no call)" },
	{ NULL, NULL, 0, NULL },
};

static int template_init(struct strat *s, char **cause)
{
	struct template_priv *p = s->priv;
	const struct template_opts *o = s->opts;

	(void)cause;
	p->page_shift = 63u - (unsigned)__builtin_clzll(s->sc->machine.page_bytes);
	p->keep = s->variant[0] == 'k';
	p->batch = o->batch_pages;
	p->lock = sim_resource(s->sim, "host share lock");
	livemap_init(&p->maps);
	livemap_init(&p->pages);
	return 0;
}

/* Share the pages of [first, first + n) not shared yet: one call per run of batch pages. */
static void share_range(struct template_priv *p, uint64_t first, uint64_t n, struct actbuf *a)
{
	uint64_t fresh = 0;

	for (uint64_t pg = first; pg < first + n; pg++) {
		int created;
		struct live_entry *e = livemap_get(&p->pages, TAG_PAGE, 0, pg, &created);

		if (!created) {
			e->refs++;
			p->refs_taken++;
			continue;
		}
		fresh++;
	}
	if (!fresh)
		return;
	act_add(a, ACT_LOCK, 0, 1, 0, p->lock);
	act_share(a, MEM_SHARE, (fresh + p->batch - 1) / p->batch, fresh, 1);
	p->shared_pages += fresh;
	if (p->shared_pages > p->shared_pages_peak)
		p->shared_pages_peak = p->shared_pages;
}

static void unshare_range(struct template_priv *p, uint64_t first, uint64_t n, struct actbuf *a)
{
	uint64_t gone = 0;

	for (uint64_t pg = first; pg < first + n; pg++) {
		struct live_entry *e = livemap_find(&p->pages, TAG_PAGE, 0, pg);

		if (!e)
			continue;
		if (e->refs > 1 || p->keep) {
			/* "keep": the page stays shared, with its last reference */
			if (e->refs > 1)
				e->refs--;
			continue;
		}
		livemap_remove(&p->pages, e);
		gone++;
	}
	if (!gone)
		return;
	act_add(a, ACT_LOCK, 0, 1, 0, p->lock);
	act_unshare(a, MEM_UNSHARE, (gone + p->batch - 1) / p->batch, gone, 1);
	p->shared_pages -= gone;
}

/* Pages spanned by [phys, phys + len) (a zero length still touches its page). */
static uint64_t page_count(uint64_t phys, uint64_t len, unsigned shift)
{
	return ((phys + (len ? len : 1) - 1) >> shift) - (phys >> shift) + 1;
}

static int template_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct template_priv *p = s->priv;
	uint64_t first = rq->phys >> p->page_shift;
	uint64_t n = page_count(rq->phys, rq->size, p->page_shift);
	struct live_entry *e;
	int created;

	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	e = livemap_get(&p->maps, TAG_MAP, rq->dev, rq->key, &created);
	if (!created) {
		/* the same recorded address mapped twice while live: one more reference */
		e->refs++;
		return 0;
	}
	e->d[0] = first;
	e->d[1] = n;
	share_range(p, first, n, a);
	return 0;
}

/* A list: each segment's pages shared; the segments' page ranges kept for the unmap. */
static int template_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct template_priv *p = s->priv;
	uint64_t *ranges;
	struct live_entry *e;
	int created;

	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	e = livemap_get(&p->maps, TAG_SG, rq->dev, rq->key, &created);
	if (!created) {
		e->refs++;
		return 0;
	}
	ranges = xcalloc(rq->nsegs ? 2 * (size_t)rq->nsegs : 1, sizeof(*ranges));
	for (unsigned i = 0; i < rq->nsegs; i++) {
		ranges[2 * i] = rq->segs[i].phys >> p->page_shift;
		ranges[2 * i + 1] = page_count(rq->segs[i].phys, rq->segs[i].len, p->page_shift);
		share_range(p, ranges[2 * i], ranges[2 * i + 1], a);
	}
	e->d[0] = (uint64_t)(uintptr_t)ranges;
	e->d[1] = rq->nsegs;
	return 0;
}

static void template_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct template_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_MAP, rq->dev, rq->key);

	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	unshare_range(p, e->d[0], e->d[1], a);
	livemap_remove(&p->maps, e);
}

static void template_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct template_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_SG, rq->dev, rq->key);
	uint64_t *ranges;

	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	ranges = (uint64_t *)(uintptr_t)e->d[0];
	for (uint64_t i = 0; i < e->d[1]; i++)
		unshare_range(p, ranges[2 * i], ranges[2 * i + 1], a);
	free(ranges);
	livemap_remove(&p->maps, e);
}

static void template_stat_values(struct strat *s, double *v)
{
	const struct template_priv *p = s->priv;

	v[0] = (double)p->shared_pages_peak;
	v[1] = (double)p->refs_taken;
}

static void template_fini(struct strat *s)
{
	struct template_priv *p = s->priv;

	for (uint64_t i = 0; i < p->maps.cap; i++)
		if (p->maps.slots[i].refs && p->maps.slots[i].tag == TAG_SG)
			free((void *)(uintptr_t)p->maps.slots[i].d[0]);
	livemap_free(&p->maps);
	livemap_free(&p->pages);
}

const struct strategy_ops strategy_template_ops = {
	.name = "template",
	.summary = "the documented example (HACKING): each mapped buffer's pages shared with the "
		   "host while mapped, page-refcounted, batch_pages per MEM_SHARE call",
	.variants = template_variants,
	.flags = STRAT_PROTECTED,
	.priv_size = sizeof(struct template_priv),
	.params = template_params,
	.params_size = sizeof(struct template_opts),
	.stats = template_stats,
	.stat_values = template_stat_values,
	.init = template_init,
	.map = template_map,
	.map_sg = template_map_sg,
	.unmap = template_unmap,
	.unmap_sg = template_unmap_sg,
	.fini = template_fini,
	.arches = "",  /* an example: on no machine by default; a real strategy names its arches */
};
