/*
 * strategy-pkvm-guest.c: DMA in a pKVM protected guest (arm64 protected KVM, DOMAIN.md 5.1).
 * The guest's memory is private to it; a device (virtio, emulated by the host) reaches only
 * memory the guest has shared with the host, one granule per hypercall:
 * ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE (KVM function 3) and MEM_UNSHARE (4), ONE HVC PER GRANULE
 * (drivers/virt/coco/pkvm-guest/arm-pkvm-guest.c: __set_memory_range -> arm_smccc_do_one_page;
 * the granule from HYP_MEMINFO, PAGE_SIZE). Streaming DMA bounces through shared memory (the
 * buffer copied in on map, back on unmap and sync for FROM_DEVICE/BIDIRECTIONAL, as swiotlb
 * does, DOMAIN.md 1.4). Variants say where shared memory comes from:
 *
 *   per-granule  (the default; a Linux guest): the swiotlb pool (machine.swiotlb_bytes) is shared
 *                at boot, one MEM_SHARE per granule of it (swiotlb_update_mem_attributes ->
 *                set_memory_decrypted); streaming maps bounce through its slots (the pool model
 *                of alloc-swiotlb.c); a coherent allocation is shared when allocated and
 *                unshared when freed, one HVC per granule each way (dma_set_decrypted /
 *                dma_set_encrypted); a pool CONFIG_SWIOTLB_DYNAMIC adds is shared when added;
 *   pooled       Android pvmfw's MemorySharer ("pvmfw: Improve memory sharing with the host"):
 *                bounce buffers and coherent allocations come from a heap of shared memory
 *                that is refilled only when it cannot hold a request: the request's size
 *                rounded up to granules is shared then (one HVC per granule) and never
 *                unshared while the guest runs; freed memory goes back to the heap. The heap
 *                is counted in bytes, without fragmentation (an assumption: it is a linked-list
 *                allocator whose layout the trace does not give).
 *
 * Exposure (ACT_SHARE/ACT_UNSHARE): the shared pool or heap and the shared allocations. The
 * calls are priced by cost.pkvm_mem_share and cost.pkvm_mem_unshare.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cc-bounce.h"
#include "error.h"
#include "livemap.h"
#include "param.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_COHERENT = 2, TAG_SG = 3 };

struct pg_opts {
	uint64_t granule_bytes;
};

static const uint64_t granules[] = { 4096, 16384, 65536, 0 };

static const struct param pg_params[] = {
	{ .path = "granule_bytes", .type = PARAM_SIZE, .offset = offsetof(struct pg_opts,
									   granule_bytes),
	  .min = 4096, .max = 65536, .allowed = granules, .def.u = 4096, .unit = "bytes",
	  .source = "DOMAIN.md 5.1: the granule of HYP_MEMINFO, PAGE_SIZE (4 KiB)",
	  .help = "bytes one MEM_SHARE or MEM_UNSHARE hypercall shares or unshares" },
	{ .path = NULL },
};

static const char *const pg_variants[] = { "per-granule", "pooled", NULL };

struct pg_priv {
	struct cc_bounce b;
	struct livemap maps;   /* (dev, key): d[0] pieces (per-granule) or 0, d[1] count or
				* bytes (pooled), d[2] bytes held in the heap (pooled) */
	int pooled;
	unsigned page_shift;
	uint64_t granule;
	uint64_t heap_bytes, heap_used, heap_used_peak; /* pooled: shared, in use */
	uint64_t refills, boot_hvcs, share_hvcs, unshare_hvcs;
	uint64_t nmaps, coherent_shared, map_failures, copied;
	uint64_t shared_now, shared_peak; /* bytes shared outside the boot pool */
};

static const struct strat_stat pg_stats[] = {
	{ "boot_share_hvcs", "calls", STAT_LOWER_BETTER,
	  "MEM_SHARE hypercalls at boot (the bounce pool, one per granule)" },
	{ "run_share_hvcs", "calls", STAT_LOWER_BETTER,
	  "MEM_SHARE hypercalls while running (allocations, pools added, heap refills)" },
	{ "unshare_hvcs", "calls", STAT_LOWER_BETTER, "MEM_UNSHARE hypercalls" },
	{ "pool_grows", "refills", STAT_LOWER_BETTER,
	  "times the shared memory grew (pooled: heap refills; per-granule: pools added)" },
	{ "bounced_maps", "maps", STAT_NEUTRAL, "streaming maps bounced through shared memory" },
	{ "copied_bytes", "bytes", STAT_LOWER_BETTER, "bounce copies, in and out" },
	{ "coherent_shared", "allocs", STAT_NEUTRAL, "coherent allocations made in shared memory" },
	{ "run_shared_bytes_peak", "bytes", STAT_LOWER_BETTER,
	  "most bytes shared at run time at once (outside the boot pool)" },
	{ "heap_used_bytes_peak", "bytes", STAT_NEUTRAL,
	  "pooled: most bytes of the shared heap in use at once" },
	{ "map_failures", "maps", STAT_LOWER_BETTER, "maps refused: no room in the pool" },
	{ NULL, NULL, 0, NULL },
};

static int pg_init(struct strat *s, char **cause)
{
	struct pg_priv *p = s->priv;
	const struct pg_opts *o = s->opts;
	int ret;

	p->pooled = !strcmp(s->variant, "pooled");
	p->granule = o->granule_bytes;
	p->page_shift = 63u - (unsigned)__builtin_clzll(s->sc->machine.page_bytes);
	ret = cc_bounce_init(&p->b, s, s->sc->machine.swiotlb_bytes, cause);
	if (ret < 0)
		return ret;
	livemap_init(&p->maps);
	return 0;
}

static uint64_t round_up(uint64_t v, uint64_t g)
{
	return (v + g - 1) / g * g;
}

/* Share (or unshare) @bytes, granule by granule; @outside: not the boot pool. */
static void share(struct pg_priv *p, struct actbuf *a, uint64_t bytes, int on, int boot)
{
	uint64_t hvcs = round_up(bytes, p->granule) / p->granule;
	uint64_t pages = round_up(bytes, (uint64_t)1 << p->page_shift) >> p->page_shift;

	if (!bytes)
		return;
	if (on) {
		act_share(a, MEM_SHARE, hvcs, pages, !boot);
		if (boot) {
			p->boot_hvcs += hvcs;
			return;
		}
		p->share_hvcs += hvcs;
		p->shared_now += hvcs * p->granule;
		if (p->shared_now > p->shared_peak)
			p->shared_peak = p->shared_now;
	} else {
		act_unshare(a, MEM_UNSHARE, hvcs, pages, !boot);
		p->unshare_hvcs += hvcs;
		p->shared_now -= hvcs * p->granule;
	}
}

static void pg_setup(struct strat *s, struct actbuf *a)
{
	struct pg_priv *p = s->priv;

	if (!p->pooled)
		share(p, a, cc_bounce_pool_pages(&p->b) << p->page_shift, 1, 1);
}

static void run_worker(struct pg_priv *p, struct actbuf *a)
{
	uint64_t pages;

	if (p->pooled)
		return;
	pages = cc_bounce_worker(&p->b);
	if (pages) {
		p->refills++;
		share(p, a, pages << p->page_shift, 1, 0);
	}
}

/* pooled: @bytes from the shared heap, refilled (MemorySharer::refill) when it cannot hold them. */
static void heap_take(struct pg_priv *p, struct actbuf *a, uint64_t bytes)
{
	if (p->heap_used + bytes > p->heap_bytes) {
		uint64_t grow = round_up(bytes ? bytes : 1, p->granule);

		share(p, a, grow, 1, 0);
		p->heap_bytes += grow;
		p->refills++;
	}
	p->heap_used += bytes;
	if (p->heap_used > p->heap_used_peak)
		p->heap_used_peak = p->heap_used;
}

static int map_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag,
		      const struct dma_seg *segs, unsigned nsegs)
{
	struct pg_priv *p = s->priv;
	struct live_entry *e;
	int created;

	run_worker(p, a);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	if (e) {
		/* the trace reuses a live address (a map lost its unmap): keep the first */
		e->refs++;
		return 0;
	}
	if (p->pooled) {
		uint64_t bytes = 0;

		for (unsigned i = 0; i < nsegs; i++) {
			heap_take(p, a, segs[i].len);
			bytes += segs[i].len;
			act_add(a, ACT_COPY, 0, 1, segs[i].len, 0);
			p->copied += segs[i].len;
		}
		e = livemap_get(&p->maps, tag, rq->dev, rq->key, &created);
		e->d[0] = 0;
		e->d[1] = bytes;
	} else {
		struct cc_pieces l = { NULL, 0, 0 };

		for (unsigned i = 0; i < nsegs; i++)
			if (cc_bounce_take(&p->b, rq->cpu, segs[i].phys, segs[i].len, 0, 1, &l,
					   a) < 0) {
				for (unsigned j = 0; j < l.n; j++)
					cc_bounce_release(&p->b, rq->cpu, &l.v[j], 0, a);
				free(l.v);
				p->map_failures++;
				return -1;
			}
		e = livemap_get(&p->maps, tag, rq->dev, rq->key, &created);
		e->d[0] = (uint64_t)(uintptr_t)l.v;
		e->d[1] = l.n;
	}
	p->nmaps++;
	return 0;
}

static int pg_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct dma_seg one = { rq->phys, rq->size };

	return map_common(s, rq, a, TAG_MAP, &one, 1);
}

static int pg_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct dma_seg one = { rq->phys, rq->size };

	if (!rq->nsegs)
		return map_common(s, rq, a, TAG_SG, &one, 1);
	return map_common(s, rq, a, TAG_SG, rq->segs, rq->nsegs);
}

static void unmap_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag)
{
	struct pg_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	int back = cc_bounce_copies_back(rq->dir, rq->attrs);

	run_worker(p, a);
	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	if (p->pooled) {
		if (back) {
			act_add(a, ACT_COPY, 0, 1, e->d[1], 0);
			p->copied += e->d[1];
		}
		p->heap_used -= e->d[1];
	} else {
		struct cc_piece *v = (struct cc_piece *)(uintptr_t)e->d[0];

		for (uint64_t i = 0; i < e->d[1]; i++)
			cc_bounce_release(&p->b, rq->cpu, &v[i], back, a);
		free(v);
	}
	livemap_remove(&p->maps, e);
}

static void pg_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_MAP);
}

static void pg_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct pg_priv *p = s->priv;

	unmap_common(s, rq, a, livemap_find(&p->maps, TAG_SG, rq->dev, rq->key) ? TAG_SG : TAG_MAP);
}

static void pg_sync(struct strat *s, struct dma_req *rq, struct actbuf *a, int for_cpu)
{
	struct pg_priv *p = s->priv;
	int copy = for_cpu ? (rq->dir == ISM_DIR_FROM_DEVICE || rq->dir == ISM_DIR_BIDIRECTIONAL) :
			     (rq->dir == ISM_DIR_TO_DEVICE || rq->dir == ISM_DIR_BIDIRECTIONAL);

	if (!livemap_find(&p->maps, TAG_MAP, rq->dev, rq->key) &&
	    !livemap_find(&p->maps, TAG_SG, rq->dev, rq->key))
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (!copy)
		return;
	if (p->pooled) {
		act_add(a, ACT_COPY, 0, rq->nsegs ? rq->nsegs : 1, rq->size, 0);
		p->copied += rq->size;
	} else {
		cc_bounce_sync(&p->b, rq->size, rq->nsegs, a);
	}
}

static void pg_sync_cpu(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	pg_sync(s, rq, a, 1);
}

static void pg_sync_dev(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	pg_sync(s, rq, a, 0);
}

static int pg_alloc(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct pg_priv *p = s->priv;
	struct live_entry *e;
	int created;

	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	e = livemap_get(&p->maps, TAG_COHERENT, rq->dev, rq->key, &created);
	if (!created) {
		e->refs++;
		return 0;
	}
	if (p->pooled) {
		heap_take(p, a, rq->size);
	} else {
		/* dma_direct_alloc() -> dma_set_decrypted(): whole pages, one HVC per granule */
		share(p, a, round_up(rq->size ? rq->size : 1, (uint64_t)1 << p->page_shift), 1, 0);
	}
	e->d[1] = rq->size;
	p->coherent_shared++;
	return 0;
}

static void pg_free(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct pg_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_COHERENT, rq->dev, rq->key);

	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	if (p->pooled)
		p->heap_used -= e->d[1];
	else
		share(p, a, round_up(e->d[1] ? e->d[1] : 1, (uint64_t)1 << p->page_shift), 0, 0);
	livemap_remove(&p->maps, e);
}

static void pg_report(struct strat *s, struct strat_pressure *pr)
{
	struct pg_priv *p = s->priv;

	if (!p->pooled) {
		cc_bounce_report(&p->b, pr);
		return;
	}
	pr->pool_bytes = p->heap_bytes;
	pr->bounces = p->nmaps;
	pr->copied_bytes = p->copied;
}

static void pg_stat_values(struct strat *s, double *v)
{
	const struct pg_priv *p = s->priv;

	v[0] = (double)p->boot_hvcs;
	v[1] = (double)p->share_hvcs;
	v[2] = (double)p->unshare_hvcs;
	v[3] = (double)p->refills;
	v[4] = (double)p->nmaps;
	v[5] = (double)(p->pooled ? p->copied : p->b.copied_bytes);
	v[6] = (double)p->coherent_shared;
	v[7] = (double)p->shared_peak;
	v[8] = (double)p->heap_used_peak;
	v[9] = (double)p->map_failures;
}

static void pg_fini(struct strat *s)
{
	struct pg_priv *p = s->priv;

	for (uint64_t i = 0; i < p->maps.cap; i++)
		if (p->maps.slots[i].refs && p->maps.slots[i].tag != TAG_COHERENT && !p->pooled)
			free((void *)(uintptr_t)p->maps.slots[i].d[0]);
	livemap_free(&p->maps);
	cc_bounce_free(&p->b);
}

const struct strategy_ops strategy_pkvm_guest_ops = {
	.name = "pkvm-guest",
	.summary = "a pKVM protected guest: memory shared with the host one MEM_SHARE hypercall per "
		   "4 KiB granule; per-granule (the bounce pool at boot, coherent buffers at alloc, "
		   "unshared at free) or pooled (pvmfw's MemorySharer: hypercalls only when the "
		   "shared heap grows)",
	.variants = pg_variants,
	.flags = STRAT_PROTECTED,
	.arches = "arm64", /* pKVM is arm64's */
	.priv_size = sizeof(struct pg_priv),
	.params = pg_params,
	.params_size = sizeof(struct pg_opts),
	.stats = pg_stats,
	.stat_values = pg_stat_values,
	.init = pg_init,
	.setup = pg_setup,
	.map = pg_map,
	.map_sg = pg_map_sg,
	.alloc = pg_alloc,
	.unmap = pg_unmap,
	.unmap_sg = pg_unmap_sg,
	.free = pg_free,
	.sync_cpu = pg_sync_cpu,
	.sync_dev = pg_sync_dev,
	.report = pg_report,
	.fini = pg_fini,
};
