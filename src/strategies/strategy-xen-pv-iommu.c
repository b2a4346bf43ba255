/*
 * strategy-xen-pv-iommu.c: a Xen PV domain's DMA with the PV-IOMMU interface (DOMAIN.md 5.2:
 * the "Xen PV IOMMU interface" design of Malcolm Crossley and Paul Durrant, 2014-2015, as the
 * XenServer tree implements it in xen/common/pv_iommu.c). The domain programs its own BFN (bus
 * frame) -> GFN mappings into the IOMMU with one hypercall, do_iommu_op(ops, count), that
 * processes an ARRAY of struct pv_iommu_op, each a map_page {bfn, gfn} or unmap_page {bfn} of
 * ONE 4 KiB frame (page order 0 only):
 *
 *   batch (default):  a DMA-API map makes one map_page op per 4 KiB frame of its buffer (every
 *       frame of every segment of a list), an unmap one unmap_page op per frame it mapped; the
 *       ops go in arrays of at most strategy.xen-pv-iommu.batch_ops, one hypercall each. With
 *       count > 1 Xen suppresses the per-op IOTLB flush (iommu_dont_flush_iotlb) and runs ONE
 *       iommu_iotlb_flush_all() at the end of the call; with count 1 the op's own map or unmap
 *       flushes (one IOTLB invalidation of that frame). Between ops Xen runs
 *       hypercall_preempt_check(); when it preempts, it flushes what was done and continues
 *       through hypercall_create_continuation() with the remaining count: the guest enters the
 *       hypercall again. Whether a softirq is pending is not in a trace:
 *       strategy.xen-pv-iommu.continuation_ops models a preemption after every N ops of a call
 *       (0, the default: never preempted). Map takes a reference on the page (put on unmap):
 *       the pages with a BFN mapping are the memory the device can reach;
 *   xen-swiotlb:      no PV-IOMMU: Xen keeps the domain's identity MFN (host) map and Linux
 *       bounces through the xen swiotlb, i.e. the swiotlb strategy's pool, slots and copies
 *       (strategy-swiotlb.c, run as this strategy's inner layer); every guest page is reachable
 *       by the device;
 *   identity:         the identity GFN map Xen programs at domain creation ("guest map", seed
 *       004): dma-direct hands out BFN == GFN, no per-map call and no flush; every guest page
 *       is reachable by the device.
 *
 * Exposure here is of another kind than the bytes shared with a hypervisor (which sees all of a
 * PV domain's memory anyway): the guest memory a device can reach by DMA, the statistic
 * reachable_bytes_peak (machine.ram_bytes under xen-swiotlb and identity).
 * Costs: cost.xen_iommu_op per hypercall entry (a continuation is one more entry) and per op;
 * the IOTLB flushes are counted as invalidations (IOTLB_SYNC for a one-op call,
 * IOTLB_FLUSH_ALL for a batch) and, as everywhere in the model, not priced by themselves.
 * Assumptions (iommusim(1)): one op array per DMA-API call (a list's frames in one array), BFNs
 * never collide (the guest's allocator hands out free ones: the -EPERM refusal of a mapped BFN
 * does not arise). Not modelled: xen-swiotlb's choice to map directly a buffer whose frames are
 * machine-contiguous (every streaming map is bounced, as with swiotlb=force), and
 * xen_create_contiguous_region()'s XENMEM_exchange for coherent buffers.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "livemap.h"
#include "param.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_COHERENT = 3, TAG_PAGE = 4 };

#define XEN_PAGE_SHIFT 12 /* pv_iommu_op: page order 0 only */

struct xen_opts {
	uint64_t batch_ops;
	uint64_t continuation_ops;
};

static const struct param xen_params[] = {
	{ .path = "batch_ops", .type = PARAM_U64,
	  .offset = offsetof(struct xen_opts, batch_ops), .min = 1, .max = 1048576,
	  .def.u = 256, .unit = "ops",
	  .source = "assumption (the 2024 Vates interface caps one map_pages op at "
		    "PVIOMMU_MAX_PAGES = 256 pages; the XenServer array has no documented cap)",
	  .help = "map_page or unmap_page ops per iommu_op hypercall (the array's length)" },
	{ .path = "continuation_ops", .type = PARAM_U64, .flags = PARAM_ZERO,
	  .offset = offsetof(struct xen_opts, continuation_ops), .min = 1, .max = 1048576,
	  .def.u = 0, .unit = "ops",
	  .source = "assumption: hypercall_preempt_check() seldom fires (DOMAIN.md 5.2)",
	  .help = "a preemption and continuation after every N ops of a call (a flush and a "
		  "new hypercall entry each); 0 = never preempted" },
	{ .path = NULL },
};

static const char *const xen_variants[] = { "batch", "xen-swiotlb", "identity", NULL };

enum xen_mode { XEN_BATCH, XEN_SWIOTLB, XEN_IDENTITY };

struct xen_priv {
	enum xen_mode mode;
	struct strat *bounce;	/* xen-swiotlb: the swiotlb layer */
	struct livemap maps;	/* TAG_MAP/TAG_COHERENT: d[0] first frame, d[1] frames;
				 * TAG_SG: d[0] the (first, frames) pairs, d[1] how many */
	struct livemap pages;	/* TAG_PAGE (0, frame): refs = BFN mappings of the frame */
	uint64_t batch, cont;
	uint64_t dma_maps, dma_unmaps;
	uint64_t map_calls, unmap_calls, continuations, ops, flushes;
	uint64_t reach_pages, reach_pages_peak;
	uint64_t ram_bytes;
	double reach_byte_s;	/* integral of reachable bytes over simulated time */
	uint64_t reach_last_ns;
};

static const struct strat_stat xen_stats[] = {
	{ "map_hypercalls", "calls", STAT_LOWER_BETTER,
	  "iommu_op hypercalls issued by maps (one per array of map_page ops)" },
	{ "unmap_hypercalls", "calls", STAT_LOWER_BETTER,
	  "iommu_op hypercalls issued by unmaps (one per array of unmap_page ops)" },
	{ "continuations", "calls", STAT_LOWER_BETTER,
	  "preempted calls continued (hypercall_create_continuation: one more entry each)" },
	{ "iommu_ops", "ops", STAT_NEUTRAL, "map_page and unmap_page ops (one per 4 KiB frame)" },
	{ "ops_per_hypercall", "ops", STAT_HIGHER_BETTER,
	  "ops per guest-issued iommu_op hypercall" },
	{ "iotlb_flushes", "flushes", STAT_LOWER_BETTER,
	  "IOTLB flushes: one per call and per continuation" },
	{ "reachable_bytes_peak", "bytes", STAT_LOWER_BETTER,
	  "most guest memory the devices could reach by DMA at once (all RAM without PV-IOMMU)" },
	{ "reachable_byte_seconds", "byte-s", STAT_LOWER_BETTER,
	  "reachable bytes integrated over simulated time" },
	{ NULL, NULL, 0, NULL },
};

static void reach_advance(struct xen_priv *p, uint64_t ts_ns)
{
	if (ts_ns > p->reach_last_ns) {
		double bytes = p->mode == XEN_BATCH ?
			       (double)(p->reach_pages << XEN_PAGE_SHIFT) : (double)p->ram_bytes;

		p->reach_byte_s += bytes * (double)(ts_ns - p->reach_last_ns) / 1e9;
		p->reach_last_ns = ts_ns;
	}
}

static int xen_init(struct strat *s, char **cause)
{
	struct xen_priv *p = s->priv;
	const struct xen_opts *o = s->opts;

	p->mode = strcmp(s->variant, "xen-swiotlb") == 0 ? XEN_SWIOTLB :
		  strcmp(s->variant, "identity") == 0 ? XEN_IDENTITY : XEN_BATCH;
	p->batch = o->batch_ops;
	p->cont = o->continuation_ops;
	p->ram_bytes = s->sc->machine.ram_bytes;
	livemap_init(&p->maps);
	livemap_init(&p->pages);
	if (p->mode == XEN_SWIOTLB) {
		p->bounce = strat_new("swiotlb", s->sc, s->sim, s->index, cause);
		if (!p->bounce)
			return -1;
	}
	return 0;
}

static void xen_setup(struct strat *s, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	if (p->bounce && p->bounce->ops->setup)
		p->bounce->ops->setup(p->bounce, a);
}

/*
 * @n ops in arrays of p->batch: one hypercall each, a continuation (flush + entry) after every
 * p->cont ops of a call, one flush at each call's end (a one-op call: the op's own flush).
 */
static void issue(struct xen_priv *p, uint64_t n, struct actbuf *a, uint64_t *calls)
{
	while (n) {
		uint64_t c = n < p->batch ? n : p->batch, cont = 0;

		if (p->cont && c > p->cont)
			cont = (c - 1) / p->cont;
		act_hcall(a, XEN_IOMMU_OP, 1 + cont, c, 0);
		if (c == 1)
			act_inval(a, IOTLB_SYNC, 1, 1);
		else
			act_inval(a, IOTLB_FLUSH_ALL, 1 + cont, 0);
		(*calls)++;
		p->continuations += cont;
		p->flushes += 1 + cont;
		p->ops += c;
		n -= c;
	}
}

/* Frames spanned by [phys, phys + len) (a zero length still touches its frame). */
static uint64_t frames(uint64_t phys, uint64_t len)
{
	return ((phys + (len ? len : 1) - 1) >> XEN_PAGE_SHIFT) - (phys >> XEN_PAGE_SHIFT) + 1;
}

static void pages_get(struct xen_priv *p, uint64_t first, uint64_t n)
{
	for (uint64_t f = first; f < first + n; f++) {
		int created;
		struct live_entry *e = livemap_get(&p->pages, TAG_PAGE, 0, f, &created);

		if (!created)
			e->refs++;
		else if (++p->reach_pages > p->reach_pages_peak)
			p->reach_pages_peak = p->reach_pages;
	}
}

static void pages_put(struct xen_priv *p, uint64_t first, uint64_t n)
{
	for (uint64_t f = first; f < first + n; f++) {
		struct live_entry *e = livemap_find(&p->pages, TAG_PAGE, 0, f);

		if (!e)
			continue;
		if (e->refs > 1) {
			e->refs--;
			continue;
		}
		livemap_remove(&p->pages, e);
		p->reach_pages--;
	}
}

/* A map of one range (a single map or a coherent buffer). */
static int map_one(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag,
		   uint64_t phys)
{
	struct xen_priv *p = s->priv;
	uint64_t first = phys >> XEN_PAGE_SHIFT, n = frames(phys, rq->size);
	struct live_entry *e;
	int created;

	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	e = livemap_get(&p->maps, tag, rq->dev, rq->key, &created);
	if (!created) {
		/* the trace reuses a live address (a map lost its unmap): keep the first */
		e->refs++;
		return 0;
	}
	reach_advance(p, rq->ts_ns);
	act_add(a, ACT_GUEST_PAGES, 0, 0, n, 0);
	issue(p, n, a, &p->map_calls);
	pages_get(p, first, n);
	p->dma_maps++;
	e->d[0] = first;
	e->d[1] = n;
	return 0;
}

static int xen_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	reach_advance(p, rq->ts_ns);
	if (p->mode == XEN_SWIOTLB)
		return p->bounce->ops->map(p->bounce, rq, a);
	if (p->mode == XEN_IDENTITY) {
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
		return 0;
	}
	return map_one(s, rq, a, TAG_MAP, rq->phys);
}

static int xen_alloc(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	reach_advance(p, rq->ts_ns);
	if (p->mode == XEN_SWIOTLB)
		return p->bounce->ops->alloc ? p->bounce->ops->alloc(p->bounce, rq, a) : 0;
	if (p->mode == XEN_IDENTITY) {
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
		return 0;
	}
	/* the buffer's physical address is not recorded: taken equal to the DMA address */
	return map_one(s, rq, a, TAG_COHERENT, rq->key);
}

/* A list: the frames of every segment in one op array. */
static int xen_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;
	uint64_t *runs, total = 0;
	struct live_entry *e;
	unsigned nsegs;
	int created;

	reach_advance(p, rq->ts_ns);
	if (p->mode == XEN_SWIOTLB)
		return p->bounce->ops->map_sg(p->bounce, rq, a);
	if (p->mode == XEN_IDENTITY) {
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
		return 0;
	}
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	e = livemap_get(&p->maps, TAG_SG, rq->dev, rq->key, &created);
	if (!created) {
		e->refs++;
		return 0;
	}
	reach_advance(p, rq->ts_ns);
	/* a list without its segments is one range */
	nsegs = rq->nsegs ? rq->nsegs : 1;
	runs = xcalloc(2 * (size_t)nsegs, sizeof(*runs));
	for (unsigned i = 0; i < nsegs; i++) {
		uint64_t ph = rq->nsegs ? rq->segs[i].phys : rq->phys;
		uint64_t len = rq->nsegs ? rq->segs[i].len : rq->size;

		runs[2 * i] = ph >> XEN_PAGE_SHIFT;
		runs[2 * i + 1] = frames(ph, len);
		total += runs[2 * i + 1];
		pages_get(p, runs[2 * i], runs[2 * i + 1]);
	}
	act_add(a, ACT_GUEST_PAGES, 0, 0, total, 0);
	issue(p, total, a, &p->map_calls);
	p->dma_maps++;
	e->d[0] = (uint64_t)(uintptr_t)runs;
	e->d[1] = nsegs;
	return 0;
}

/* The unmap of a mapping: one unmap_page op per frame it mapped. */
static void unmap_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag)
{
	struct xen_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	uint64_t n = 0;

	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	reach_advance(p, rq->ts_ns);
	if (tag == TAG_SG) {
		uint64_t *runs = (uint64_t *)(uintptr_t)e->d[0];

		for (uint64_t r = 0; r < e->d[1]; r++) {
			pages_put(p, runs[2 * r], runs[2 * r + 1]);
			n += runs[2 * r + 1];
		}
		free(runs);
	} else {
		pages_put(p, e->d[0], e->d[1]);
		n = e->d[1];
	}
	livemap_remove(&p->maps, e);
	act_add(a, ACT_GUEST_PAGES, 0, 0, n, 0);
	issue(p, n, a, &p->unmap_calls);
	p->dma_unmaps++;
}

static void xen_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	reach_advance(p, rq->ts_ns);
	if (p->mode == XEN_SWIOTLB) {
		p->bounce->ops->unmap(p->bounce, rq, a);
		return;
	}
	if (p->mode == XEN_IDENTITY) {
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
		return;
	}
	unmap_common(s, rq, a, TAG_MAP);
}

static void xen_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	reach_advance(p, rq->ts_ns);
	if (p->mode == XEN_SWIOTLB) {
		p->bounce->ops->unmap_sg(p->bounce, rq, a);
		return;
	}
	if (p->mode == XEN_IDENTITY) {
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
		return;
	}
	unmap_common(s, rq, a, TAG_SG);
}

static void xen_free(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	reach_advance(p, rq->ts_ns);
	if (p->mode == XEN_SWIOTLB) {
		if (p->bounce->ops->free)
			p->bounce->ops->free(p->bounce, rq, a);
		return;
	}
	if (p->mode == XEN_IDENTITY) {
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
		return;
	}
	unmap_common(s, rq, a, TAG_COHERENT);
}

static void xen_sync_cpu(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	if (p->bounce)
		p->bounce->ops->sync_cpu(p->bounce, rq, a);
}

static void xen_sync_dev(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct xen_priv *p = s->priv;

	if (p->bounce)
		p->bounce->ops->sync_dev(p->bounce, rq, a);
}

static void xen_report(struct strat *s, struct strat_pressure *pr)
{
	struct xen_priv *p = s->priv;

	if (p->bounce && p->bounce->ops->report)
		p->bounce->ops->report(p->bounce, pr);
	if (s->next && s->next->ops->report)
		s->next->ops->report(s->next, pr);
}

static void xen_stat_values(struct strat *s, double *v)
{
	struct xen_priv *p = s->priv;
	uint64_t calls = p->map_calls + p->unmap_calls;

	v[0] = (double)p->map_calls;
	v[1] = (double)p->unmap_calls;
	v[2] = (double)p->continuations;
	v[3] = (double)p->ops;
	v[4] = calls ? (double)p->ops / (double)calls : 0;
	v[5] = (double)p->flushes;
	v[6] = p->mode == XEN_BATCH ? (double)(p->reach_pages_peak << XEN_PAGE_SHIFT) :
				      (double)p->ram_bytes;
	v[7] = p->reach_byte_s;
}

static void xen_fini(struct strat *s)
{
	struct xen_priv *p = s->priv;

	for (uint64_t i = 0; i < p->maps.cap; i++)
		if (p->maps.slots[i].refs && p->maps.slots[i].tag == TAG_SG)
			free((void *)(uintptr_t)p->maps.slots[i].d[0]);
	livemap_free(&p->maps);
	livemap_free(&p->pages);
	strat_free(p->bounce);
}

const struct strategy_ops strategy_xen_pv_iommu_ops = {
	.name = "xen-pv-iommu",
	.summary = "a Xen PV domain's DMA: batch (PV-IOMMU iommu_op arrays of one op per 4 KiB "
		   "frame, one IOTLB flush per call, preemption continuations), xen-swiotlb "
		   "(bounce, identity MFN map) or identity (the GFN map: no call, all RAM "
		   "reachable)",
	.variants = xen_variants,
	.priv_size = sizeof(struct xen_priv),
	.params = xen_params,
	.params_size = sizeof(struct xen_opts),
	.stats = xen_stats,
	.stat_values = xen_stat_values,
	.init = xen_init,
	.setup = xen_setup,
	.map = xen_map,
	.map_sg = xen_map_sg,
	.alloc = xen_alloc,
	.unmap = xen_unmap,
	.unmap_sg = xen_unmap_sg,
	.free = xen_free,
	.sync_cpu = xen_sync_cpu,
	.sync_dev = xen_sync_dev,
	.report = xen_report,
	.fini = xen_fini,
};
