/*
 * strategy-swiotlb.c: bounce buffering through the swiotlb pool (kernel/dma/swiotlb.c,
 * DOMAIN.md 1.4), a bounce layer: the bounce slot is then mapped by the translation layer
 * below it, if any ("swiotlb+ddw", "swiotlb+window32"); alone it models dma-direct with a
 * forced swiotlb (SEV/TDX/s390 PV style).
 *   map:    slots from the area allocator (alloc-swiotlb.c), then the original buffer is
 *           ALWAYS copied to the slot (swiotlb_tbl_map_single bounces DMA_TO_DEVICE for every
 *           direction so that a partial device write cannot expose stale data);
 *   unmap:  copy back for FROM_DEVICE/BIDIRECTIONAL unless DMA_ATTR_SKIP_CPU_SYNC, release;
 *   sync:   for_cpu copies back (FROM_DEVICE/BIDI), for_device copies in (TO_DEVICE/BIDI);
 *   full:   the map fails and is counted, or with machine.swiotlb_dynamic a transient pool
 *           is used and a worker adds a pool of the default size (CONFIG_SWIOTLB_DYNAMIC).
 * In a protected VM (machine.secure_vm, or the "svm" composition) the pool is shared with
 * the hypervisor once at boot (swiotlb_update_mem_attributes -> uv_share_page), pools added
 * later are shared when added, and coherent allocations are shared and unshared one by one
 * (dma-direct set_memory_decrypted/encrypted): pages outside the pool.
 * Assumption (documented in iommusim(1)): the pool sits at the top of RAM, as memblock's
 * top-down allocation places it in a guest whose RAM is below 4 GiB.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "alloc-swiotlb.h"
#include "error.h"
#include "livemap.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_COHERENT = 3 };

struct swiotlb_priv {
	struct swiotlb_mem mem;
	int protected_vm;
	unsigned page_shift;
	uint64_t boundary;
	uint64_t min_align;
	uint16_t *res_area;
	unsigned nres;
	struct livemap maps;
	uint64_t bounces, bounced_bytes, copied_bytes, failures;
	uint64_t splits;        /* maps over swiotlb_max_mapping_size(), split */
};

static int swiotlb_init_op(struct strat *s, char **cause)
{
	const struct scenario_machine *m = &s->sc->machine;
	struct swiotlb_priv *p = s->priv;
	struct swiotlb_mem_config cfg;
	uint64_t base;

	memset(&cfg, 0, sizeof(cfg));
	p->page_shift = 63u - (unsigned)__builtin_clzll(m->page_bytes);
	base = m->ram_bytes > m->swiotlb_bytes ? (m->ram_bytes - m->swiotlb_bytes) & ~0xfffffull : 0;
	cfg.nslabs = m->swiotlb_bytes >> SWIOTLB_SLOT_SHIFT;
	cfg.nareas = (unsigned)m->swiotlb_areas;
	cfg.ncpus = (unsigned)m->cpus;
	cfg.base = base;
	cfg.dynamic = m->swiotlb_dynamic;
	cfg.can_grow = m->swiotlb_dynamic;
	cfg.page_shift = p->page_shift;
	if (swiotlb_mem_init(&p->mem, &cfg) < 0) {
		*cause = xasprintf("swiotlb: cannot model a pool of %llu bytes with %llu areas",
				   (unsigned long long)m->swiotlb_bytes,
				   (unsigned long long)m->swiotlb_areas);
		return -ISM_ERANGE;
	}
	p->protected_vm = m->secure_vm;
	p->boundary = 0xffffffffull; /* PCI default segment boundary */
	p->min_align = m->min_align_mask;
	p->nres = p->mem.defpool.nareas;
	p->res_area = xcalloc(p->nres, sizeof(*p->res_area));
	for (unsigned i = 0; i < p->nres; i++) {
		char n[48];

		snprintf(n, sizeof(n), "swiotlb area %u lock", i);
		p->res_area[i] = sim_resource(s->sim, n);
	}
	livemap_init(&p->maps);
	return 0;
}

static void swiotlb_setup(struct strat *s, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;

	if (p->protected_vm) {
		/* swiotlb_update_mem_attributes(): set_memory_decrypted over the whole pool */
		act_share(a, UV_SHARE_PAGE, 1, (p->mem.defpool.nslabs << SWIOTLB_SLOT_SHIFT) >>
			  p->page_shift, 0);
	}
	if (s->next && s->next->ops->setup)
		s->next->ops->setup(s->next, a);
}

/* Pools the CONFIG_SWIOTLB_DYNAMIC worker added since the last event. */
static void run_worker(struct strat *s, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;

	if (!p->mem.grow_pending)
		return;
	if (swiotlb_mem_run_worker(&p->mem) && p->protected_vm) {
		struct swiotlb_pool *np = p->mem.pools[p->mem.npools - 1];

		act_share(a, UV_SHARE_PAGE, 1, (np->nslabs << SWIOTLB_SLOT_SHIFT) >> p->page_shift, 0);
	}
}

/* Bounce one buffer: slots, lock, search, copy in. Returns the bounce address or FAIL. */
static uint64_t bounce_one(struct strat *s, unsigned cpu, uint64_t phys, uint64_t size,
			   struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;
	uint64_t slots = p->mem.slots_searched, areas = p->mem.areas_searched, tlb;
	enum swiotlb_map_kind kind;
	uint16_t res = p->res_area[cpu & (p->nres - 1)];

	tlb = swiotlb_mem_map(&p->mem, phys, size, p->min_align, 0, p->boundary, cpu, &kind);
	act_add(a, ACT_LOCK, 0, p->mem.areas_searched - areas, 0, res);
	act_add(a, ACT_SLOT_SEARCH, 0, 0, p->mem.slots_searched - slots, res);
	if (tlb == SWIOTLB_FAIL) {
		p->failures++;
		return SWIOTLB_FAIL;
	}
	p->bounces++;
	p->bounced_bytes += size;
	act_add(a, ACT_COPY, 0, 1, size, 0);
	p->copied_bytes += size;
	return tlb;
}

static void copy_back(struct swiotlb_priv *p, uint8_t dir, uint32_t attrs, uint64_t size,
		      struct actbuf *a)
{
	if ((dir == ISM_DIR_FROM_DEVICE || dir == ISM_DIR_BIDIRECTIONAL) &&
	    !(attrs & ISM_ATTR_SKIP_CPU_SYNC)) {
		act_add(a, ACT_COPY, 0, 1, size, 0);
		p->copied_bytes += size;
	}
}

static int swiotlb_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a);

/*
 * A map larger than swiotlb_max_mapping_size() does not happen under a forced swiotlb: the
 * block drivers cap their requests at dma_max_mapping_size(). A trace recorded without the
 * bounce pool can hold such maps; they are bounced as the capped requests would have been,
 * in chunks of the maximum size (counted as splits), and mapped below as a list.
 */
static int map_split(struct strat *s, struct dma_req *rq, struct actbuf *a, uint64_t maxsz)
{
	struct swiotlb_priv *p = s->priv;
	uint64_t n64 = (rq->size + maxsz - 1) / maxsz;
	struct dma_seg *segs;
	struct dma_req r2 = *rq;
	unsigned n;
	int ret;

	/*
	 * More than every slot of the pools could hold at once: it fails however it is split
	 * (and splitting a trace's impossible size would take time and memory without bound).
	 */
	if (rq->size > p->mem.nslabs << SWIOTLB_SLOT_SHIFT) {
		p->failures++;
		return -1;
	}
	n = (unsigned)n64;
	segs = xcalloc(n, sizeof(*segs));

	for (unsigned i = 0; i < n; i++) {
		segs[i].phys = rq->phys + (uint64_t)i * maxsz;
		segs[i].len = i == n - 1 ? rq->size - (uint64_t)i * maxsz : maxsz;
	}
	p->splits++;
	r2.segs = segs;
	r2.nsegs = n;
	ret = swiotlb_map_sg(s, &r2, a);
	free(segs);
	return ret;
}

static int swiotlb_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;
	uint64_t tlb, phys = rq->phys, maxsz = swiotlb_max_mapping_size(p->min_align);
	struct live_entry *e;
	int created, ret;

	if (rq->size > maxsz)
		return map_split(s, rq, a, maxsz);
	run_worker(s, a);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	tlb = bounce_one(s, rq->cpu, rq->phys, rq->size, a);
	if (tlb == SWIOTLB_FAIL)
		return -1;
	rq->phys = tlb;
	ret = strat_map_next(s, rq, a);
	rq->phys = phys;
	if (ret < 0) {
		swiotlb_mem_unmap(&p->mem, tlb);
		return -1;
	}
	e = livemap_get(&p->maps, TAG_MAP, rq->dev, rq->key, &created);
	if (!created) {
		e->refs++;
		swiotlb_mem_unmap(&p->mem, tlb);
		return 0;
	}
	e->d[0] = tlb;
	e->d[1] = rq->size;
	return 0;
}

static void drop(struct swiotlb_priv *p, struct live_entry *e)
{
	if (--e->refs == 0) {
		e->refs = 1;
		livemap_remove(&p->maps, e);
	}
}

static void swiotlb_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a);

static void swiotlb_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_MAP, rq->dev, rq->key);

	run_worker(s, a);
	if (!e) {
		/* a split map was kept as a list */
		if (livemap_find(&p->maps, TAG_SG, rq->dev, rq->key))
			swiotlb_unmap_sg(s, rq, a);
		return;
	}
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	copy_back(p, rq->dir, rq->attrs, e->d[1], a);
	strat_unmap_next(s, rq, a);
	if (e->refs == 1) {
		act_add(a, ACT_LOCK, 0, 1, 0, p->res_area[rq->cpu & (p->nres - 1)]);
		swiotlb_mem_unmap(&p->mem, e->d[0]);
	}
	drop(p, e);
}

static int swiotlb_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;
	uint64_t maxsz = swiotlb_max_mapping_size(p->min_align);
	struct dma_req r2 = *rq;
	struct dma_seg *segs;
	struct live_entry *e;
	unsigned n = 0;
	int created, ret;

	/* segments over the bounce limit are split, as capped requests would be (map_split) */
	{
		uint64_t total = 0, n64 = 0;

		for (unsigned i = 0; i < rq->nsegs; i++) {
			total += rq->segs[i].len;
			n64 += rq->segs[i].len > maxsz ? (rq->segs[i].len + maxsz - 1) / maxsz : 1;
		}
		/* more than the pools hold at once fails however it is split (see map_split) */
		if (total > p->mem.nslabs << SWIOTLB_SLOT_SHIFT || n64 > UINT32_MAX) {
			p->failures++;
			return -1;
		}
		n = (unsigned)n64;
	}
	segs = xcalloc(n ? n : 1, sizeof(*segs));
	n = 0;
	for (unsigned i = 0; i < rq->nsegs; i++) {
		uint64_t off = 0;

		if (rq->segs[i].len > maxsz)
			p->splits++;
		do {
			uint64_t l = rq->segs[i].len - off > maxsz ? maxsz : rq->segs[i].len - off;

			segs[n].phys = rq->segs[i].phys + off;
			segs[n++].len = l;
			off += l;
		} while (off < rq->segs[i].len);
	}
	run_worker(s, a);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	/* dma_direct_map_sg(): swiotlb_map() per element */
	for (unsigned i = 0; i < n; i++) {
		uint64_t tlb = bounce_one(s, rq->cpu, segs[i].phys, segs[i].len, a);

		if (tlb == SWIOTLB_FAIL) {
			for (unsigned j = 0; j < i; j++)
				swiotlb_mem_unmap(&p->mem, segs[j].phys);
			free(segs);
			return -1;
		}
		segs[i].phys = tlb;
	}
	r2.segs = segs;
	r2.nsegs = n;
	ret = strat_map_sg_next(s, &r2, a);
	if (ret < 0) {
		for (unsigned j = 0; j < n; j++)
			swiotlb_mem_unmap(&p->mem, segs[j].phys);
		free(segs);
		return -1;
	}
	e = livemap_get(&p->maps, TAG_SG, rq->dev, rq->key, &created);
	if (!created) {
		e->refs++;
		for (unsigned j = 0; j < n; j++)
			swiotlb_mem_unmap(&p->mem, segs[j].phys);
		free(segs);
		return 0;
	}
	/* keep the bounce addresses for the unmap */
	e->d[0] = (uint64_t)(uintptr_t)segs;
	e->d[1] = n;
	return 0;
}

static void swiotlb_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_SG, rq->dev, rq->key);
	struct dma_seg *segs;

	run_worker(s, a);
	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	strat_unmap_sg_next(s, rq, a);
	if (e->refs > 1) {
		drop(p, e);
		return;
	}
	segs = (struct dma_seg *)(uintptr_t)e->d[0];
	for (unsigned i = 0; i < e->d[1]; i++) {
		copy_back(p, rq->dir, rq->attrs, segs[i].len, a);
		act_add(a, ACT_LOCK, 0, 1, 0, p->res_area[rq->cpu & (p->nres - 1)]);
		swiotlb_mem_unmap(&p->mem, segs[i].phys);
	}
	free(segs);
	drop(p, e);
}

static void swiotlb_sync(struct strat *s, struct dma_req *rq, struct actbuf *a, int for_cpu)
{
	struct swiotlb_priv *p = s->priv;
	int copy = for_cpu ? (rq->dir == ISM_DIR_FROM_DEVICE || rq->dir == ISM_DIR_BIDIRECTIONAL) :
			     (rq->dir == ISM_DIR_TO_DEVICE || rq->dir == ISM_DIR_BIDIRECTIONAL);

	/* only buffers this layer bounced have a bounce copy to sync */
	if (!livemap_find(&p->maps, TAG_MAP, rq->dev, rq->key) &&
	    !livemap_find(&p->maps, TAG_SG, rq->dev, rq->key))
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (copy) {
		act_add(a, ACT_COPY, 0, rq->nsegs ? rq->nsegs : 1, rq->size, 0);
		p->copied_bytes += rq->size;
	}
}

static void swiotlb_sync_cpu(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	swiotlb_sync(s, rq, a, 1);
}

static void swiotlb_sync_dev(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	swiotlb_sync(s, rq, a, 0);
}

static int swiotlb_alloc_op(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;
	uint64_t pages = (rq->size + (1ull << p->page_shift) - 1) >> p->page_shift;
	int ret;

	ret = s->next && s->next->ops->alloc ? s->next->ops->alloc(s->next, rq, a) : 0;
	if (ret == 0 && p->protected_vm) {
		/* dma_direct_alloc() -> dma_set_decrypted(): shared, outside the pool */
		act_share(a, UV_SHARE_PAGE, 1, pages, 1);
	}
	return ret;
}

static void swiotlb_free_op(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct swiotlb_priv *p = s->priv;
	uint64_t pages = (rq->size + (1ull << p->page_shift) - 1) >> p->page_shift;

	if (s->next && s->next->ops->free)
		s->next->ops->free(s->next, rq, a);
	if (p->protected_vm)
		act_unshare(a, UV_UNSHARE_PAGE, 1, pages, 1);
}

static void swiotlb_report(struct strat *s, struct strat_pressure *pr)
{
	struct swiotlb_priv *p = s->priv;

	if (s->next && s->next->ops->report)
		s->next->ops->report(s->next, pr);
	pr->pool_slots = p->mem.nslabs;
	pr->pool_bytes = p->mem.nslabs << SWIOTLB_SLOT_SHIFT;
	pr->pool_peak = p->mem.hiwater;
	pr->pool_used = p->mem.used;
	pr->pool_failures = p->failures;
	pr->bounces = p->bounces;
	pr->bounced_bytes = p->bounced_bytes;
	pr->copied_bytes = p->copied_bytes;
	pr->pool_splits = p->splits;
}

static void swiotlb_fini(struct strat *s)
{
	struct swiotlb_priv *p = s->priv;

	for (uint64_t i = 0; i < p->maps.cap; i++)
		if (p->maps.slots[i].refs && p->maps.slots[i].tag == TAG_SG)
			free((void *)(uintptr_t)p->maps.slots[i].d[0]);
	livemap_free(&p->maps);
	swiotlb_mem_free(&p->mem);
	free(p->res_area);
}

const struct strategy_ops strategy_swiotlb_ops = {
	.name = "swiotlb",
	.summary = "bounce every streaming map through the swiotlb pool (2 KiB slots, areas), "
		   "copy in on map, out on unmap/sync; stack a translation layer below with '+'",
	.flags = STRAT_BOUNCE | STRAT_PROTECTED,
	.priv_size = sizeof(struct swiotlb_priv),
	.init = swiotlb_init_op,
	.setup = swiotlb_setup,
	.map = swiotlb_map,
	.map_sg = swiotlb_map_sg,
	.alloc = swiotlb_alloc_op,
	.unmap = swiotlb_unmap,
	.unmap_sg = swiotlb_unmap_sg,
	.free = swiotlb_free_op,
	.sync_cpu = swiotlb_sync_cpu,
	.sync_dev = swiotlb_sync_dev,
	.report = swiotlb_report,
	.fini = swiotlb_fini,
};
