/*
 * strategy-tdisp.c: DMA of a device assigned to a confidential guest through TDISP (PCIe TDI,
 * DOMAIN.md 5.3 and 6.2; seed 002). The guest's memory is private; what a device may reach
 * depends on the TDI's state:
 *
 *   t1 (RUN, T=1):  the device, authenticated (SPDM) with its link encrypted (IDE), DMAs straight
 *       into private memory through the trusted IOMMU: no bounce, no page conversion, nothing
 *       exposed to the host. The guest pays the IOMMU map instead: the inner layer
 *       strategy.tdisp.t1_layer (default iommu-dma:strict: the IOVA allocator, page tables and
 *       one invalidation per unmap of Linux dma-iommu) maps every buffer. Coherent buffers are
 *       private too, mapped by that layer;
 *   t0 (T=0):  the device is untrusted: the guest bounces every streaming map through the
 *       swiotlb pool (the swiotlb strategy, its inner layer), which was converted to shared
 *       (set_memory_decrypted) once at boot; coherent buffers are converted one by one (dma-direct
 *       dma_set_decrypted), shared outside the pool. Every byte mapped passes through shared
 *       memory: the statistic exposed_bytes;
 *   switch:  the device starts in T=0 and moves to T=1 at a trace_marker that matches the POSIX
 *       ERE strategy.tdisp.switch_marker (default "": the first marker that starts a phase,
 *       sim.phase_marker; with neither, the device never switches). A mapping made before the
 *       switch and still live after it holds a bypass (shared) address that stops working in
 *       T=1 (seed 002: "dma_addr1 stops being usable"): each is counted (live_across_switch)
 *       and, by strategy.tdisp.on_switch, either torn down and redone at the switch ("redo":
 *       the T=0 unmap with its copy back, then the T=1 map, as a driver unbound and bound
 *       again does; the work is charged at the marker) or left broken ("broken": its later
 *       unmap is the T=0 one, counted in broken_unmaps: the kernel unmapping an address the
 *       device can no longer use).
 * Shared pages stay reachable by a T=1 device (J. Gunthorpe, DOMAIN.md 6.2); the pool stays
 * shared after the switch (Linux does not convert it back).
 * Exposure (the engine's shared bytes): the pool and the shared coherent buffers, converted
 * (set_memory_decrypted / set_memory_encrypted) with TDX MapGPA (cost.tdx_map_gpa), one call per
 * range; the PAGE.ACCEPT of pages made private again, and the other platforms' conversions, are
 * the cc-shared strategy's (strategy.cc-shared.platform).
 */
#include "config.h"

#include <regex.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "livemap.h"
#include "param.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_COHERENT = 3 };

struct tdisp_opts {
	char *switch_marker;
	char *on_switch;
	char *t1_layer;
};

static const struct param tdisp_params[] = {
	{ .path = "switch_marker", .type = PARAM_STRING,
	  .offset = offsetof(struct tdisp_opts, switch_marker), .def.s = "", .unit = "",
	  .source = "none (set per trace)",
	  .help = "POSIX ERE: the first trace_marker it matches moves the device from T=0 to T=1 "
		  "(variant switch); \"\" = the first phase marker (sim.phase_marker)" },
	{ .path = "on_switch", .type = PARAM_STRING,
	  .offset = offsetof(struct tdisp_opts, on_switch), .def.s = "redo", .unit = "",
	  .source = "DOMAIN.md 5.3/seed 002: bypass addresses stop working in T=1",
	  .help = "mappings live across the switch: redo (torn down and mapped again at the switch) "
		  "or broken (left, counted; their unmaps are T=0 unmaps)" },
	{ .path = "t1_layer", .type = PARAM_STRING,
	  .offset = offsetof(struct tdisp_opts, t1_layer), .def.s = "iommu-dma:strict",
	  .unit = "", .source = "DOMAIN.md 5.3 (the trusted IOMMU); strict is an assumption",
	  .help = "translation layer that maps a T=1 device's buffers (a strategy spec)" },
	{ .path = NULL },
};

static const char *const tdisp_variants[] = { "t1", "t0", "switch", NULL };

struct tdisp_priv {
	struct strat *t0;	/* swiotlb (t0, switch) */
	struct strat *t1;	/* the trusted IOMMU's layer (t1, switch) */
	int state;		/* 0: T=0, 1: T=1 */
	int sw;			/* variant switch: not switched yet */
	int redo;
	int have_re;
	regex_t re;
	unsigned page_shift;
	struct livemap maps;	/* TAG_*: d[0] state it was mapped in, d[1] phys or the copied
				 * segments, d[2] segments; size = bytes, pad = direction */
	uint64_t maps_t0, maps_t1, exposed, coherent_shared, coherent_shared_peak;
	uint64_t live_across, redone, broken, broken_unmaps, switched;
};

static const struct strat_stat tdisp_stats[] = {
	{ "t0_maps", "maps", STAT_NEUTRAL, "maps made with the device in T=0 (bounced)" },
	{ "t1_maps", "maps", STAT_NEUTRAL, "maps made with the device in T=1 (trusted IOMMU)" },
	{ "exposed_bytes", "bytes", STAT_LOWER_BETTER,
	  "bytes of streaming buffers passed through shared memory (the T=0 bounces)" },
	{ "shared_coherent_bytes_peak", "bytes", STAT_LOWER_BETTER,
	  "most bytes of coherent buffers shared at once (T=0)" },
	{ "switched", "switches", STAT_NEUTRAL, "1 when the device moved to T=1 (variant switch)" },
	{ "live_across_switch", "maps", STAT_LOWER_BETTER,
	  "mappings made in T=0 still live at the switch" },
	{ "redone_at_switch", "maps", STAT_NEUTRAL,
	  "of these, torn down and mapped again in T=1 (on_switch redo)" },
	{ "broken_mappings", "maps", STAT_LOWER_BETTER,
	  "of these, left with an address the device can no longer use (on_switch broken)" },
	{ "broken_unmaps", "unmaps", STAT_LOWER_BETTER,
	  "unmaps after the switch of mappings left broken" },
	{ NULL, NULL, 0, NULL },
};

static int tdisp_init(struct strat *s, char **cause)
{
	struct tdisp_priv *p = s->priv;
	const struct tdisp_opts *o = s->opts;
	const char *pat = o->switch_marker && *o->switch_marker ? o->switch_marker :
			  s->sc->sim.phase_marker;
	int sw = strcmp(s->variant, "switch") == 0;

	p->page_shift = 63u - (unsigned)__builtin_clzll(s->sc->machine.page_bytes);
	livemap_init(&p->maps);
	if (strcmp(o->on_switch, "redo") && strcmp(o->on_switch, "broken")) {
		*cause = xasprintf("strategy.tdisp.on_switch: \"%s\" is neither \"redo\" nor "
				   "\"broken\"", o->on_switch);
		return -ISM_ERANGE;
	}
	p->redo = strcmp(o->on_switch, "redo") == 0;
	if (sw && pat && *pat) {
		int rc = regcomp(&p->re, pat, REG_EXTENDED | REG_NOSUB);

		if (rc) {
			char msg[128];

			regerror(rc, &p->re, msg, sizeof(msg));
			*cause = xasprintf("strategy.tdisp.switch_marker: \"%s\": %s", pat, msg);
			return -ISM_ERANGE;
		}
		p->have_re = 1;
	}
	p->sw = sw;
	p->state = strcmp(s->variant, "t1") == 0;
	if (strcmp(s->variant, "t1")) {
		p->t0 = strat_new("swiotlb", s->sc, s->sim, s->index, cause);
		if (!p->t0)
			return -ISM_ERANGE;
	}
	if (strcmp(s->variant, "t0")) {
		char *why = NULL;

		p->t1 = strat_new(o->t1_layer, s->sc, s->sim, s->index, &why);
		if (p->t1 && (p->t1->next || (p->t1->ops->flags & STRAT_BOUNCE))) {
			strat_free(p->t1);
			p->t1 = NULL;
			why = xstrdup("a bounce layer (a T=1 device needs no bounce)");
		}
		if (!p->t1) {
			*cause = xasprintf("strategy.tdisp.t1_layer: \"%s\": %s", o->t1_layer, why);
			free(why);
			return -ISM_ERANGE;
		}
	}
	return 0;
}

static struct strat *layer(struct tdisp_priv *p, int state)
{
	return state ? p->t1 : p->t0;
}

static uint64_t pages_of(const struct tdisp_priv *p, uint64_t bytes)
{
	return (bytes + (1ull << p->page_shift) - 1) >> p->page_shift;
}

static void tdisp_setup(struct strat *s, struct actbuf *a)
{
	struct tdisp_priv *p = s->priv;

	if (p->t0) {
		/* the pool converted to shared at boot (swiotlb_update_mem_attributes) */
		act_share(a, TDX_MAP_GPA, 1, pages_of(p, s->sc->machine.swiotlb_bytes), 0);
		if (p->t0->ops->setup)
			p->t0->ops->setup(p->t0, a);
	}
	if (p->t1 && p->t1->ops->setup)
		p->t1->ops->setup(p->t1, a);
}

/* The map of @rq in @state: 0 or -1. */
static int map_in(struct tdisp_priv *p, int state, uint8_t tag, struct dma_req *rq,
		  struct actbuf *a)
{
	struct strat *l = layer(p, state);
	int ret;

	switch (tag) {
	case TAG_MAP:
		ret = l->ops->map ? l->ops->map(l, rq, a) : 0;
		break;
	case TAG_SG:
		ret = l->ops->map_sg ? l->ops->map_sg(l, rq, a) : 0;
		break;
	default:
		ret = l->ops->alloc ? l->ops->alloc(l, rq, a) : 0;
		if (ret == 0 && !state) {
			/* dma-direct in a confidential guest: the buffer converted to shared */
			uint64_t pg = pages_of(p, rq->size);

			act_share(a, TDX_MAP_GPA, 1, pg, 1);
			p->coherent_shared += pg << p->page_shift;
			if (p->coherent_shared > p->coherent_shared_peak)
				p->coherent_shared_peak = p->coherent_shared;
		}
		break;
	}
	return ret;
}

static void unmap_in(struct tdisp_priv *p, int state, uint8_t tag, struct dma_req *rq,
		     struct actbuf *a)
{
	struct strat *l = layer(p, state);

	switch (tag) {
	case TAG_MAP:
		if (l->ops->unmap)
			l->ops->unmap(l, rq, a);
		break;
	case TAG_SG:
		if (l->ops->unmap_sg)
			l->ops->unmap_sg(l, rq, a);
		break;
	default:
		if (l->ops->free)
			l->ops->free(l, rq, a);
		if (!state) {
			uint64_t pg = pages_of(p, rq->size);

			act_unshare(a, TDX_MAP_GPA, 1, pg, 1);
			p->coherent_shared -= pg << p->page_shift;
		}
		break;
	}
}

static uint64_t req_bytes(const struct dma_req *rq, uint8_t tag)
{
	uint64_t n = 0;

	if (tag != TAG_SG || !rq->nsegs)
		return rq->size;
	for (unsigned i = 0; i < rq->nsegs; i++)
		n += rq->segs[i].len;
	return n;
}

static int map_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag)
{
	struct tdisp_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	int created;

	if (e) {
		/* the trace reuses a live address: the layer it lives in takes the reference */
		int ret = map_in(p, (int)e->d[0], tag, rq, a);

		if (ret == 0)
			e->refs++;
		return ret;
	}
	if (map_in(p, p->state, tag, rq, a) < 0)
		return -1;
	e = livemap_get(&p->maps, tag, rq->dev, rq->key, &created);
	e->d[0] = (uint64_t)p->state;
	e->size = tag == TAG_COHERENT ? rq->size : req_bytes(rq, tag);
	e->pad = rq->dir;
	if (tag == TAG_SG && rq->nsegs) {
		struct dma_seg *segs = xcalloc(rq->nsegs, sizeof(*segs));

		memcpy(segs, rq->segs, rq->nsegs * sizeof(*segs));
		e->d[1] = (uint64_t)(uintptr_t)segs;
		e->d[2] = rq->nsegs;
	} else {
		e->d[1] = tag == TAG_COHERENT ? rq->key : rq->phys;
	}
	if (p->state) {
		p->maps_t1++;
	} else {
		p->maps_t0++;
		if (tag != TAG_COHERENT)
			p->exposed += e->size;
	}
	return 0;
}

static void drop(struct tdisp_priv *p, struct live_entry *e)
{
	if (--e->refs > 0)
		return;
	if (e->tag == TAG_SG)
		free((void *)(uintptr_t)e->d[1]);
	e->refs = 1;
	livemap_remove(&p->maps, e);
}

static void unmap_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag)
{
	struct tdisp_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	struct dma_req r2 = *rq;

	if (!e)
		return;
	if (tag == TAG_COHERENT)
		r2.size = e->size;
	unmap_in(p, (int)e->d[0], tag, &r2, a);
	if (p->state && !e->d[0])
		p->broken_unmaps++;
	drop(p, e);
}

static int tdisp_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return map_common(s, rq, a, TAG_MAP);
}

static int tdisp_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return map_common(s, rq, a, TAG_SG);
}

static int tdisp_alloc(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return map_common(s, rq, a, TAG_COHERENT);
}

static void tdisp_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_MAP);
}

static void tdisp_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_SG);
}

static void tdisp_free(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_COHERENT);
}

static void sync(struct strat *s, struct dma_req *rq, struct actbuf *a, int for_cpu)
{
	struct tdisp_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_MAP, rq->dev, rq->key);
	struct strat *l;

	if (!e)
		e = livemap_find(&p->maps, TAG_SG, rq->dev, rq->key);
	l = layer(p, e ? (int)e->d[0] : p->state);
	if (for_cpu && l->ops->sync_cpu)
		l->ops->sync_cpu(l, rq, a);
	else if (!for_cpu && l->ops->sync_dev)
		l->ops->sync_dev(l, rq, a);
}

static void tdisp_sync_cpu(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	sync(s, rq, a, 1);
}

static void tdisp_sync_dev(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	sync(s, rq, a, 0);
}

/*
 * T=0 -> T=1: every mapping made in T=0 and still live is counted; "redo" unmaps it in T=0
 * and maps it again in T=1 (as many references as it holds), "broken" leaves it.
 */
static void do_switch(struct tdisp_priv *p, struct dma_req *mk, struct actbuf *a)
{
	p->state = 1;
	p->switched = 1;
	for (uint64_t i = 0; i < p->maps.cap; i++) {
		struct live_entry *e = &p->maps.slots[i];
		struct dma_req rq;

		if (!e->refs || e->d[0])
			continue;
		p->live_across++;
		if (!p->redo) {
			p->broken++;
			continue;
		}
		memset(&rq, 0, sizeof(rq));
		rq.cpu = mk->cpu;
		rq.ts_ns = mk->ts_ns;
		rq.dev = e->dev;
		rq.dir = e->pad;
		rq.key = e->addr;
		rq.size = e->size;
		rq.coherent = e->tag == TAG_COHERENT;
		for (uint32_t r = 0; r < e->refs; r++)
			unmap_in(p, 0, e->tag, &rq, a);
		if (e->tag == TAG_SG && e->d[2]) {
			rq.segs = (struct dma_seg *)(uintptr_t)e->d[1];
			rq.nsegs = (unsigned)e->d[2];
			rq.phys = rq.segs[0].phys;
		} else {
			rq.phys = e->d[1];
		}
		for (uint32_t r = 0; r < e->refs; r++)
			if (map_in(p, 1, e->tag, &rq, a) < 0) {
				/* no IOVA in T=1: the mapping is lost, as a failed map would be */
				p->broken++;
				break;
			}
		e->d[0] = 1;
		p->redone++;
	}
}

static void tdisp_marker(struct strat *s, struct dma_req *rq, const char *text, struct actbuf *a)
{
	struct tdisp_priv *p = s->priv;

	if (!p->sw || p->switched || !p->have_re || !text || regexec(&p->re, text, 0, NULL, 0))
		return;
	do_switch(p, rq, a);
}

static void tdisp_report(struct strat *s, struct strat_pressure *pr)
{
	struct tdisp_priv *p = s->priv;

	if (p->t1 && p->t1->ops->report)
		p->t1->ops->report(p->t1, pr);
	if (p->t0 && p->t0->ops->report)
		p->t0->ops->report(p->t0, pr);
}

static void tdisp_stat_values(struct strat *s, double *v)
{
	const struct tdisp_priv *p = s->priv;

	v[0] = (double)p->maps_t0;
	v[1] = (double)p->maps_t1;
	v[2] = (double)p->exposed;
	v[3] = (double)p->coherent_shared_peak;
	v[4] = (double)p->switched;
	v[5] = (double)p->live_across;
	v[6] = (double)p->redone;
	v[7] = (double)p->broken;
	v[8] = (double)p->broken_unmaps;
}

static void tdisp_fini(struct strat *s)
{
	struct tdisp_priv *p = s->priv;

	for (uint64_t i = 0; i < p->maps.cap; i++)
		if (p->maps.slots[i].refs && p->maps.slots[i].tag == TAG_SG)
			free((void *)(uintptr_t)p->maps.slots[i].d[1]);
	livemap_free(&p->maps);
	if (p->have_re)
		regfree(&p->re);
	strat_free(p->t0);
	strat_free(p->t1);
}

const struct strategy_ops strategy_tdisp_ops = {
	.name = "tdisp",
	.summary = "a TDISP device in a confidential guest: t1 (T=1: DMA into private memory "
		   "through the trusted IOMMU, mapped by iommu-dma, nothing exposed), t0 (T=0: "
		   "bounced through the shared swiotlb), switch (T=0 then T=1 at a marker; the "
		   "mappings live across it redone or broken)",
	.variants = tdisp_variants,
	.flags = STRAT_PROTECTED,
	.priv_size = sizeof(struct tdisp_priv),
	.params = tdisp_params,
	.params_size = sizeof(struct tdisp_opts),
	.stats = tdisp_stats,
	.stat_values = tdisp_stat_values,
	.init = tdisp_init,
	.setup = tdisp_setup,
	.map = tdisp_map,
	.map_sg = tdisp_map_sg,
	.alloc = tdisp_alloc,
	.unmap = tdisp_unmap,
	.unmap_sg = tdisp_unmap_sg,
	.free = tdisp_free,
	.sync_cpu = tdisp_sync_cpu,
	.sync_dev = tdisp_sync_dev,
	.marker = tdisp_marker,
	.report = tdisp_report,
	.fini = tdisp_fini,
};
