/*
 * strategy-pkvm.c: the host kernel's DMA mapped through the pKVM hypervisor's SMMUv3 driver
 * (arm64 protected KVM; DOMAIN.md 5.1). The host runs dma-iommu as usual, but its IOMMU driver
 * is paravirtual: each map_pages/unmap_pages range is ONE hypercall (kvm_iommu_map_pages /
 * unmap_pages), not one per 4 KiB page. Inside it the hypervisor takes the host and hyp
 * component locks for the whole range and loops page by page over its vmemmap refcounts:
 *
 *   share-per-map (v1, J-P. Brucker 2023, __pkvm_host_share_dma / __pkvm_host_unshare_dma):
 *       a page changes state (host stage 2 PKVM_PAGE_OWNED -> PKVM_PAGE_SHARED_OWNED with the
 *       IOMMU as completer) only on its refcount's 0->1 edge, and back on 1->0; a page mapped
 *       again while shared only takes a reference. The refcount is 16 bits: a map that would
 *       overflow it fails, and the pages done so far are undone (all or nothing);
 *   use-dma (v2, M. Saleh 2024, __pkvm_host_use_dma / __pkvm_host_unuse_dma): refcount only,
 *       no state change (the refcount alone forbids donating the page while it is mapped).
 *
 * Ranges are those of dma-iommu: a single map is its page-aligned range (the hypervisor
 * refuses unaligned input, so the partial pages at both ends are whole pages); a list is one
 * range per run of physically contiguous aligned segments (iommu_map_sg()); an unmap is one
 * range for the whole mapping (one IOVA range, even for a list); a coherent allocation is one
 * range (its pages' physical addresses are not in the trace). IOTLB invalidation as in strict
 * dma-iommu: one IOTLB sync per unmap range (strategy.pkvm.inval_batch > 1 batches them, as
 * v2's command-queue batching). MMIO (IOMMU_MMIO: the MSI doorbell, dma_map_resource) is not
 * tracked by the hypervisor and is not a DMA-API map event here.
 *
 * Exposure (the engine's shared bytes, ACT_SHARE/ACT_UNSHARE): under v1 the pages whose host
 * stage-2 state is SHARED_OWNED with the IOMMU, i.e. host pages the hypervisor has made
 * reachable by devices, which it will refuse to donate to a guest or to itself. Under v2 no
 * page changes state, so nothing is booked as shared; the pages held by a refcount are the
 * statistic pinned_pages_peak. The costs: the hypercalls are priced by cost.pkvm_map_pages and
 * cost.pkvm_unmap_pages (fixed + per page walked under the lock), the v1 state changes by
 * cost.pkvm_page_share / cost.pkvm_page_unshare per page; the lock is a shared resource ("pkvm
 * host+hyp lock") held by all of them, so CPUs queue for it (lock_wait).
 *
 *   identity-s2 (v3, 2025-07-28, DOMAIN.md 6.2): DMA isolated by an identity-mapped stage 2 of
 *       the SMMU: no hypercall per map or unmap and no IOTLB invalidation (the map never
 *       changes for a mapping); the cost moves to boot, where the hypervisor maps all of the
 *       host's RAM (machine.ram_bytes) in the identity stage 2: one boot operation of
 *       ram_bytes / strategy.pkvm.idmap_block_bytes leaf entries ("pkvm identity stage-2",
 *       cost.pkvm_idmap per entry). Every host page stays reachable by the devices
 *       (statistic device_reachable_bytes_peak = RAM); pages donated to guests later leave the
 *       map, which the trace does not show.
 * Not modelled: __iommu_map()'s split of a range into several map_pages calls by page size
 * (a range crossing a 2 MiB-aligned block), the hypervisor's page-table pool top-ups, v3's
 * unmapping of pages donated to guests, and v4-v8's trapped and emulated nested SMMUv3.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "livemap.h"
#include "param.h"
#include "resource.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_COHERENT = 3, TAG_PAGE = 4 };

struct pkvm_opts {
	uint64_t inval_batch;
	uint64_t max_refcount;
	uint64_t idmap_block_bytes;
};

static const uint64_t idmap_blocks[] = { 4096, 2u << 20, 1u << 30, 0 };

static const struct param pkvm_params[] = {
	{ .path = "inval_batch", .type = PARAM_U64,
	  .offset = offsetof(struct pkvm_opts, inval_batch), .min = 1, .max = 1048576,
	  .def.u = 1, .unit = "unmaps",
	  .source = "DOMAIN.md 1.6/5.1: strict dma-iommu, one IOTLB sync per unmap",
	  .help = "unmap ranges per IOTLB invalidation (1 = strict)" },
	{ .path = "max_refcount", .type = PARAM_U64,
	  .offset = offsetof(struct pkvm_opts, max_refcount), .min = 1, .max = UINT32_MAX,
	  .def.u = 65535, .unit = "refs",
	  .source = "DOMAIN.md 5.1: the v1 hyp vmemmap refcount is 16 bits",
	  .help = "largest page refcount; a map that would exceed it fails and is undone" },
	{ .path = "idmap_block_bytes", .type = PARAM_SIZE,
	  .offset = offsetof(struct pkvm_opts, idmap_block_bytes), .min = 4096, .max = 1u << 30,
	  .allowed = idmap_blocks, .def.u = 4096, .unit = "bytes",
	  .source = "assumption: 4 KiB leaves, so that a page donated later leaves the map alone",
	  .help = "identity-s2: bytes one leaf entry of the boot-time identity stage 2 maps "
		  "(4 KiB, 2 MiB or 1 GiB)" },
	{ .path = NULL },
};

static const char *const pkvm_variants[] = { "share-per-map", "use-dma", "identity-s2", NULL };

struct pkvm_priv {
	struct livemap maps;	/* TAG_MAP/TAG_COHERENT: d[0] first page, d[1] pages;
				 * TAG_SG: d[0] the (first, pages) pairs, d[1] how many */
	struct livemap pages;	/* TAG_PAGE (0, page number): refs = the hyp refcount */
	uint16_t lock;		/* the hypervisor's host+hyp component locks */
	unsigned page_shift;
	int v1;			/* share-per-map: state changes on the refcount edges */
	int idmap;		/* identity-s2: no per-map work, all RAM mapped at boot */
	uint64_t idmap_entries, ram_bytes;
	uint64_t inval_batch, max_refcount, unmaps_pending;
	uint64_t dma_maps, map_calls, unmap_calls, map_failures;
	uint64_t held_pages, held_pages_peak;	/* pages with refcount > 0 */
	uint64_t multi_pages, multi_pages_peak;	/* pages with refcount > 1 */
	uint64_t ref_hits;			/* page refs taken on a page already held */
	uint64_t transitions, hold_pages_max;
};

static const struct strat_stat pkvm_stats[] = {
	{ "map_hypercalls", "calls", STAT_LOWER_BETTER, "map_pages hypercalls (one per range)" },
	{ "unmap_hypercalls", "calls", STAT_LOWER_BETTER,
	  "unmap_pages hypercalls (one per range)" },
	{ "hypercalls_per_map", "calls", STAT_LOWER_BETTER,
	  "map_pages hypercalls per DMA-API map" },
	{ "shared_pages_peak", "pages", STAT_LOWER_BETTER,
	  "most pages shared with the IOMMU at once (v1 state SHARED_OWNED; 0 under use-dma)" },
	{ "pinned_pages_peak", "pages", STAT_NEUTRAL,
	  "most pages with a hyp refcount > 0 at once (not donatable)" },
	{ "multi_ref_pages_peak", "pages", STAT_NEUTRAL, "most pages with a refcount > 1 at once" },
	{ "page_ref_hits", "pages", STAT_NEUTRAL,
	  "page references taken on a page already held (no state change)" },
	{ "state_transitions", "pages", STAT_LOWER_BETTER,
	  "page-state changes (v1 share on 0->1, unshare on 1->0)" },
	{ "lock_hold_pages_max", "pages", STAT_LOWER_BETTER,
	  "most pages walked in one hold of the host+hyp lock" },
	{ "map_failures", "maps", STAT_LOWER_BETTER, "maps refused and undone (refcount limit)" },
	{ "boot_idmap_entries", "entries", STAT_LOWER_BETTER,
	  "identity-s2: leaf entries of the identity stage 2 written at boot" },
	{ "device_reachable_bytes_peak", "bytes", STAT_LOWER_BETTER,
	  "most host bytes the devices could reach at once (pages held; all RAM under identity-s2)" },
	{ NULL, NULL, 0, NULL },
};

static int pkvm_init(struct strat *s, char **cause)
{
	struct pkvm_priv *p = s->priv;
	const struct pkvm_opts *o = s->opts;

	(void)cause;
	p->page_shift = 63u - (unsigned)__builtin_clzll(s->sc->machine.page_bytes);
	p->v1 = strcmp(s->variant, "share-per-map") == 0;
	p->idmap = strcmp(s->variant, "identity-s2") == 0;
	p->ram_bytes = s->sc->machine.ram_bytes;
	p->idmap_entries = (p->ram_bytes + o->idmap_block_bytes - 1) / o->idmap_block_bytes;
	p->inval_batch = o->inval_batch;
	p->max_refcount = o->max_refcount;
	p->lock = sim_resource(s->sim, "pkvm host+hyp lock");
	livemap_init(&p->maps);
	livemap_init(&p->pages);
	return 0;
}

/* identity-s2: the hypervisor maps all host RAM in the SMMU's identity stage 2 at boot. */
static void pkvm_setup(struct strat *s, struct actbuf *a)
{
	struct pkvm_priv *p = s->priv;

	if (p->idmap)
		act_hcall(a, PKVM_IDMAP, 1, p->idmap_entries, 0);
}

static void hold(struct pkvm_priv *p, uint64_t pages)
{
	if (pages > p->hold_pages_max)
		p->hold_pages_max = pages;
}

/* One page reference dropped; returns 1 on its 1->0 edge (the page is released). */
static int page_put(struct pkvm_priv *p, uint64_t pg)
{
	struct live_entry *e = livemap_find(&p->pages, TAG_PAGE, 0, pg);

	if (!e)
		return 0;
	if (e->refs > 1) {
		if (--e->refs == 1)
			p->multi_pages--;
		return 0;
	}
	livemap_remove(&p->pages, e);
	p->held_pages--;
	return 1;
}

/* Add @n new pages of state change to @a under the lock (v1 only). */
static void book(struct pkvm_priv *p, struct actbuf *a, enum act_kind kind, uint64_t n)
{
	if (!p->v1 || !n)
		return;
	/* the state change is work inside the hypercall: no call of its own */
	act_add(a, kind, kind == ACT_SHARE ? PKVM_PAGE_SHARE : PKVM_PAGE_UNSHARE, 0, n, p->lock);
	a->a[a->n - 1].outside = 1; /* streaming buffers: outside any pool */
	p->transitions += n;
}

/*
 * The map_pages hypercall of [first, first + n): every page's refcount raised, state changed on
 * 0->1 (v1). Returns 0, or -1 when a refcount would pass the limit: the pages done so far are
 * put back in reverse order (nothing changes, no page is left shared).
 */
static int map_range(struct pkvm_priv *p, uint64_t first, uint64_t n, struct actbuf *a)
{
	uint64_t fresh = 0;

	act_hcall(a, PKVM_MAP_PAGES, 1, n, p->lock);
	p->map_calls++;
	hold(p, n);
	for (uint64_t pg = first; pg < first + n; pg++) {
		int created;
		struct live_entry *e = livemap_find(&p->pages, TAG_PAGE, 0, pg);

		if (e && e->refs >= p->max_refcount) {
			uint64_t undone = 0;

			while (pg-- > first)
				undone += (uint64_t)page_put(p, pg);
			/* the shares made so far are made and unmade inside the one call */
			book(p, a, ACT_SHARE, fresh);
			book(p, a, ACT_UNSHARE, undone);
			p->map_failures++;
			return -1;
		}
		e = livemap_get(&p->pages, TAG_PAGE, 0, pg, &created);
		if (!created) {
			if (++e->refs == 2 && ++p->multi_pages > p->multi_pages_peak)
				p->multi_pages_peak = p->multi_pages;
			p->ref_hits++;
			continue;
		}
		fresh++;
		if (++p->held_pages > p->held_pages_peak)
			p->held_pages_peak = p->held_pages;
	}
	book(p, a, ACT_SHARE, fresh);
	return 0;
}

/* The refcounts of [first, first + n) dropped, state changed back on 1->0 (v1). */
static uint64_t unmap_pages(struct pkvm_priv *p, uint64_t first, uint64_t n)
{
	uint64_t gone = 0;

	for (uint64_t pg = first; pg < first + n; pg++)
		gone += (uint64_t)page_put(p, pg);
	return gone;
}

/* Pages spanned by [phys, phys + len) (a zero length still touches its page). */
static uint64_t page_count(uint64_t phys, uint64_t len, unsigned shift)
{
	return ((phys + (len ? len : 1) - 1) >> shift) - (phys >> shift) + 1;
}

static int map_one(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag,
		   uint64_t phys)
{
	struct pkvm_priv *p = s->priv;
	uint64_t first = phys >> p->page_shift, n = page_count(phys, rq->size, p->page_shift);
	struct live_entry *e;
	int created;

	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (livemap_find(&p->maps, tag, rq->dev, rq->key)) {
		/* the trace reuses a live address (a map lost its unmap): keep the first */
		livemap_get(&p->maps, tag, rq->dev, rq->key, &created)->refs++;
		return 0;
	}
	if (p->idmap)
		n = 0; /* mapped already: the identity stage 2 */
	else if (map_range(p, first, n, a) < 0)
		return -1;
	p->dma_maps++;
	e = livemap_get(&p->maps, tag, rq->dev, rq->key, &created);
	e->d[0] = first;
	e->d[1] = n;
	return 0;
}

static int pkvm_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return map_one(s, rq, a, TAG_MAP, rq->phys);
}

static int pkvm_alloc(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	/* the pages' physical address is not recorded: taken equal to the DMA address */
	return map_one(s, rq, a, TAG_COHERENT, rq->key);
}

/* iommu_map_sg(): one map_pages call per run of physically contiguous aligned segments. */
static int pkvm_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct pkvm_priv *p = s->priv;
	uint64_t *runs, nruns = 0;
	struct live_entry *e;
	int created;

	if (!rq->nsegs || p->idmap)
		return map_one(s, rq, a, TAG_SG, rq->phys);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (livemap_find(&p->maps, TAG_SG, rq->dev, rq->key)) {
		livemap_get(&p->maps, TAG_SG, rq->dev, rq->key, &created)->refs++;
		return 0;
	}
	runs = xcalloc(2 * (size_t)rq->nsegs, sizeof(*runs));
	for (unsigned i = 0; i < rq->nsegs; i++) {
		uint64_t first = rq->segs[i].phys >> p->page_shift;
		uint64_t n = page_count(rq->segs[i].phys, rq->segs[i].len, p->page_shift);

		/* iommu_dma_map_sg() aligned the segments: contiguity is of whole pages */
		if (nruns && runs[2 * nruns - 2] + runs[2 * nruns - 1] == first) {
			runs[2 * nruns - 1] += n;
			continue;
		}
		runs[2 * nruns] = first;
		runs[2 * nruns + 1] = n;
		nruns++;
	}
	for (uint64_t r = 0; r < nruns; r++) {
		if (map_range(p, runs[2 * r], runs[2 * r + 1], a) == 0)
			continue;
		/* iommu_map_sg() failed: the runs mapped already are unmapped in one range */
		if (r) {
			uint64_t gone = 0, pages = 0;

			for (uint64_t q = 0; q < r; q++) {
				gone += unmap_pages(p, runs[2 * q], runs[2 * q + 1]);
				pages += runs[2 * q + 1];
			}
			act_hcall(a, PKVM_UNMAP_PAGES, 1, pages, p->lock);
			p->unmap_calls++;
			book(p, a, ACT_UNSHARE, gone);
		}
		free(runs);
		return -1;
	}
	p->dma_maps++;
	e = livemap_get(&p->maps, TAG_SG, rq->dev, rq->key, &created);
	e->d[0] = (uint64_t)(uintptr_t)runs;
	e->d[1] = nruns;
	return 0;
}

/* __iommu_dma_unmap(): one unmap_pages call for the mapping, then the IOTLB sync. */
static void unmap_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag)
{
	struct pkvm_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	uint64_t pages = 0, gone = 0;

	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	if (p->idmap) {
		/* the identity stage 2 stays: no hypercall, nothing to invalidate */
		livemap_remove(&p->maps, e);
		return;
	}
	if (tag == TAG_SG) {
		uint64_t *runs = (uint64_t *)(uintptr_t)e->d[0];

		for (uint64_t r = 0; r < e->d[1]; r++) {
			gone += unmap_pages(p, runs[2 * r], runs[2 * r + 1]);
			pages += runs[2 * r + 1];
		}
		free(runs);
	} else {
		gone = unmap_pages(p, e->d[0], e->d[1]);
		pages = e->d[1];
	}
	livemap_remove(&p->maps, e);
	act_hcall(a, PKVM_UNMAP_PAGES, 1, pages, p->lock);
	p->unmap_calls++;
	hold(p, pages);
	book(p, a, ACT_UNSHARE, gone);
	if (++p->unmaps_pending >= p->inval_batch) {
		act_inval(a, IOTLB_SYNC, 1, pages);
		p->unmaps_pending = 0;
	}
}

static void pkvm_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_MAP);
}

static void pkvm_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct pkvm_priv *p = s->priv;

	unmap_common(s, rq, a, livemap_find(&p->maps, TAG_SG, rq->dev, rq->key) ? TAG_SG : TAG_MAP);
}

static void pkvm_free(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_COHERENT);
}

static void pkvm_stat_values(struct strat *s, double *v)
{
	const struct pkvm_priv *p = s->priv;

	v[0] = (double)p->map_calls;
	v[1] = (double)p->unmap_calls;
	v[2] = p->dma_maps ? (double)p->map_calls / (double)p->dma_maps : 0;
	v[3] = p->v1 ? (double)p->held_pages_peak : 0;
	v[4] = (double)p->held_pages_peak;
	v[5] = (double)p->multi_pages_peak;
	v[6] = (double)p->ref_hits;
	v[7] = (double)p->transitions;
	v[8] = (double)p->hold_pages_max;
	v[9] = (double)p->map_failures;
	v[10] = p->idmap ? (double)p->idmap_entries : 0;
	v[11] = p->idmap ? (double)p->ram_bytes :
			   (double)(p->held_pages_peak << p->page_shift);
}

static void pkvm_fini(struct strat *s)
{
	struct pkvm_priv *p = s->priv;

	for (uint64_t i = 0; i < p->maps.cap; i++)
		if (p->maps.slots[i].refs && p->maps.slots[i].tag == TAG_SG)
			free((void *)(uintptr_t)p->maps.slots[i].d[0]);
	livemap_free(&p->maps);
	livemap_free(&p->pages);
}

const struct strategy_ops strategy_pkvm_ops = {
	.name = "pkvm",
	.summary = "host DMA through pKVM's SMMUv3 driver: one hypercall per map/unmap range "
		   "under the host+hyp lock, per-page refcount; share-per-map (v1: page shared "
		   "with the IOMMU on 0->1, unshared on 1->0), use-dma (v2: refcount only) or "
		   "identity-s2 (v3: all RAM mapped at boot, no per-map hypercall)",
	.variants = pkvm_variants,
	.priv_size = sizeof(struct pkvm_priv),
	.params = pkvm_params,
	.params_size = sizeof(struct pkvm_opts),
	.stats = pkvm_stats,
	.stat_values = pkvm_stat_values,
	.init = pkvm_init,
	.setup = pkvm_setup,
	.map = pkvm_map,
	.map_sg = pkvm_map_sg,
	.alloc = pkvm_alloc,
	.unmap = pkvm_unmap,
	.unmap_sg = pkvm_unmap_sg,
	.free = pkvm_free,
	.fini = pkvm_fini,
	.arches = "arm64",
};
