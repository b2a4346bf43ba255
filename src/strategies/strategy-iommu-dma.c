/*
 * strategy-iommu-dma.c: Linux dma-iommu over an IOMMU (VT-d, AMD-Vi, SMMUv3, virtio-iommu),
 * as in drivers/iommu/dma-iommu.c of Linux 6.12:
 *   map:     iommu_dma_map_page() -> __iommu_dma_map(): the IOVA from iommu_dma_alloc_iova()
 *            (alloc-iova.c: per-CPU rcaches up to 128 KiB, larger from the rbtree under its
 *            lock, a PCI device's 32-bit first try), then iommu_map() of the granule-aligned
 *            range (iommu-pgtable.c: page sizes, walks, entries, tables);
 *   map_sg:  iommu_dma_map_sg(): ONE IOVA for the whole list (segments granule-aligned, padded
 *            at the segment boundary), one __iommu_map() per run of physically contiguous
 *            segments (iommu_map_sg());
 *   unmap:   __iommu_dma_unmap(): iommu_unmap_fast() of the range (one for a whole sg list),
 *            then, by variant (iommu-fq.c):
 *              strict       iommu_iotlb_sync() (one invalidation, waited for), IOVA freed;
 *              lazy         queue_iova() on the CPU's flush queue (256 entries, 10 ms timer);
 *              lazy-single  one queue of 32768 entries, 1000 ms (s390's shadow_on_flush);
 *   alloc/free: iommu_dma_alloc() of a blocking allocation (GFP_KERNEL; the text traces do not
 *            give the flags: taken as blocking) below 2 MiB goes to iommu_dma_alloc_remap():
 *            pages one at a time (order 0: the orders of pgsize_bitmap 4K|2M|1G below the
 *            size), one IOVA, iommu_map_sg() of the page list, which merges only pages that are
 *            physically ascending and contiguous: the pages are not in the trace and are taken
 *            as separate, one iommu:map per 4 KiB page (the recorded traces agree). 2 MiB and
 *            more: one map. The free unmaps the whole range at once.
 *   devices: a device whose name is a PCI function (DDDD:BB:DD.F) is translated; another
 *            (a platform device, e.g. the SMMU's own queues "9050000.smmuv3") is not behind the
 *            IOMMU and uses dma-direct: no IOVA, no page table, no invalidation. QEMU's virt
 *            machine puts only its PCIe host bridge behind the SMMUv3; a device with no name
 *            in the trace is translated.
 * Actions: guest software per DMA API call, the IOVA allocator's work (rbtree nodes visited,
 * with the rbtree lock as a shared resource so CPUs contend as in the 3710e2b056cb collapse),
 * page-table entries written and cleared. Every unmap's stale window (how long the unmapped
 * pages stay reachable by the device until the invalidation that covers them) is measured.
 *
 * Machine: devices are PCI with a 64-bit mask (machine.dma_mask_bits) and the 32-bit first
 * try (iommu.forcedac=0); a 48-bit IOVA space (4-level tables; QEMU's intel-iommu has 39 bits
 * by default, SMMUv3 48); pgsize_bitmap 4K|2M|1G; HZ 250 (Debian's amd64 and arm64 kernels).
 * Not modelled: reserved regions (IOAPIC/MSI window, host-bridge windows) and the boot-time
 * identity maps, which move IOVAs but not counts; VT-d caching mode (a flush per map, lazy
 * refused), which the traces avoid by running with caching-mode=off.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "alloc-iova.h"
#include "error.h"
#include "iommu-fq.h"
#include "iommu-pgtable.h"
#include "livemap.h"
#include "param.h"
#include "strategy-iommu-dma.h"
#include "sim.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_COHERENT = 3 };

#define GRANULE_SHIFT 12
#define VA_BITS 48
#define HZ 250

/* One IOMMU domain (a device's default DMA domain: one IOMMU group per PCI device). */
struct idom {
	struct iova_domain iovad;	/* the cookie's iova_domain */
	struct iopt pt;			/* the domain's page tables */
	struct iommu_fq fq;		/* its flush queue(s) and timer */
	int dac;			/* the device gave up its 32-bit first try */
	uint16_t res_rbtree;		/* its iova_rbtree_lock */
};

struct iommu_dma_priv {
	struct idom **doms;		/* by device id, made at the device's first map */
	unsigned ndoms;
	struct livemap maps;
	uint64_t dma_mask, aperture_end;
	struct iova_domain_config dc;
	struct iopt_config pc;
	struct iommu_fq_config fc;
	struct strat *s;
	unsigned sync_map;		/* strategy.iommu-dma.sync_map */
	struct iommu_dma_stats st;
};

/* iotlb_sync_map() after the map calls made since @maps0/@bytes0 (sync_map). */
static void sync_map(struct iommu_dma_priv *p, struct actbuf *a, uint64_t maps0, uint64_t bytes0)
{
	uint64_t n = p->st.iommu_maps - maps0, pages = (p->st.iommu_map_bytes - bytes0) >> GRANULE_SHIFT;

	if (!n || !p->sync_map)
		return;
	if (p->sync_map == 1)
		n = 1;
	p->st.inv_map += n;
	act_inval(a, IOTLB_SYNC_MAP, n, pages);
}

static const char *const variants[] = { "strict", "lazy", "lazy-single", NULL };

struct idma_opts {
	uint64_t sync_map;     /* 0 none, 1 per iommu_map()/iommu_map_sg() call, 2 per __iommu_map() */
	uint64_t fq_size;      /* 0 = the variant's */
	uint64_t fq_timeout_ms;
};

static const struct param idma_params[] = {
	{ .path = "sync_map", .type = PARAM_U64, .offset = offsetof(struct idma_opts, sync_map),
	  .min = 0, .max = 2, .def.u = 0, .unit = "mode",
	  .source = "traces/x86 (caching-mode=off: no flush at map; x86-strict-cm: one per call)",
	  .help = "IOTLB flush after a map (iotlb_sync_map): 0 none (VT-d without caching mode, "
		  "SMMUv3), 1 one per iommu_map()/iommu_map_sg() call (VT-d caching mode, Linux "
		  "6.12), 2 one per __iommu_map() (before d8c1df02ac7f, Linux 5.11-rc)" },
	{ .path = "fq_size", .type = PARAM_U64, .flags = PARAM_ZERO | PARAM_POW2,
	  .offset = offsetof(struct idma_opts, fq_size), .min = 2, .max = 1 << 24, .def.u = 0,
	  .unit = "entries", .source = "DOMAIN.md 1.6: IOVA_DEFAULT_FQ_SIZE 256, single 32768",
	  .help = "flush-queue ring size; 0 = the variant's (lazy 256, lazy-single 32768)" },
	{ .path = "fq_timeout_ms", .type = PARAM_U64, .flags = PARAM_ZERO,
	  .offset = offsetof(struct idma_opts, fq_timeout_ms), .min = 1, .max = 100000, .def.u = 0,
	  .unit = "ms", .source = "DOMAIN.md 1.6: IOVA_DEFAULT_FQ_TIMEOUT 10 ms, single 1000 ms",
	  .help = "flush-queue timer; 0 = the variant's (lazy 10 ms, lazy-single 1000 ms)" },
	{ .path = NULL },
};

/* The flush queue hands an IOVA back: free_iova_fast() on @cpu. */
static void fq_free_cb(void *ctx, unsigned cpu, uint64_t pfn, uint64_t pages)
{
	struct idom *d = ctx;

	iova_free_fast(&d->iovad, cpu, pfn, pages);
}

/* The domain of device @dev, set up at its first use (iommu_dma_init_domain()). */
static struct idom *dom_of(struct iommu_dma_priv *p, uint16_t dev)
{
	struct idom *d;

	if (dev >= p->ndoms) {
		unsigned n = p->ndoms ? p->ndoms : 8;

		while (n <= dev)
			n *= 2;
		p->doms = xreallocarray(p->doms, n, sizeof(*p->doms));
		memset(p->doms + p->ndoms, 0, (n - p->ndoms) * sizeof(*p->doms));
		p->ndoms = n;
	}
	if ((d = p->doms[dev]))
		return d;
	d = xcalloc(1, sizeof(*d));
	/* the configurations were checked by init with a trial domain */
	(void)iova_domain_init(&d->iovad, &p->dc);
	(void)iopt_init(&d->pt, &p->pc);
	(void)iommu_fq_init(&d->fq, &p->fc, fq_free_cb, d);
	{
		char name[48];

		snprintf(name, sizeof(name), "iova rbtree lock dev %u", (unsigned)dev);
		d->res_rbtree = sim_resource(p->s->sim, name);
	}
	p->st.domains++;
	p->doms[dev] = d;
	return d;
}

static int idma_init(struct strat *s, char **cause)
{
	const struct scenario_machine *m = &s->sc->machine;
	struct iommu_dma_priv *p = s->priv;
	struct iova_domain_config dc = { .granule_shift = GRANULE_SHIFT, .start_pfn = 1,
					 .ncpus = (unsigned)m->cpus, .hz = HZ };
	struct iopt_config pc = { .pgsize_bitmap = IOPT_PGSIZE_DEFAULT, .va_bits = VA_BITS };
	struct iommu_fq_config fc = { .ncpus = (unsigned)m->cpus, .hz = HZ };
	const struct idma_opts *o = s->opts;

	fc.mode = strcmp(s->variant, "lazy") == 0 ? IOMMU_FQ_LAZY :
		  strcmp(s->variant, "lazy-single") == 0 ? IOMMU_FQ_LAZY_SINGLE : IOMMU_FQ_STRICT;
	if (o) {
		fc.fq_size = (unsigned)o->fq_size;
		fc.timeout_ms = (unsigned)o->fq_timeout_ms;
		p->sync_map = (unsigned)o->sync_map;
	}
	if (m->cpus == 0 || m->cpus > 65536) {
		*cause = xasprintf("iommu-dma: machine.cpus %llu out of range 1..65536",
				   (unsigned long long)m->cpus);
		return -ISM_ERANGE;
	}
	{
		struct idom t;
		int bad = iova_domain_init(&t.iovad, &dc) < 0;

		iova_domain_free(&t.iovad);
		bad |= iopt_init(&t.pt, &pc) < 0;
		iopt_free(&t.pt);
		bad |= iommu_fq_init(&t.fq, &fc, NULL, NULL) < 0;
		iommu_fq_free(&t.fq);
		if (bad) {
			*cause = xasprintf("iommu-dma: cannot set up an IOVA domain");
			return -ISM_ERANGE;
		}
	}
	p->dc = dc;
	p->pc = pc;
	p->fc = fc;
	p->s = s;
	p->dma_mask = m->dma_mask_bits >= 64 ? UINT64_MAX : (1ull << m->dma_mask_bits) - 1;
	p->aperture_end = (1ull << VA_BITS) - 1;
	livemap_init(&p->maps);
	return 0;
}

/* Time passes to the event: depot works and flush-queue timers run when due, domain by domain. */
static void advance(struct iommu_dma_priv *p, const struct dma_req *rq, struct actbuf *a)
{
	uint64_t timer = p->st.timer_invalidations;

	for (unsigned i = 0; i < p->ndoms; i++) {
		struct idom *d = p->doms[i];
		uint64_t inv;

		if (!d)
			continue;
		inv = d->fq.s.invalidations;
		iova_advance(&d->iovad, rq->ts_ns);
		iommu_fq_advance(&d->fq, rq->ts_ns);
		p->st.timer_invalidations += d->fq.s.invalidations - inv;
	}
	/* fq_flush_timeout(): flush_iotlb_all */
	act_inval(a, IOTLB_FLUSH_ALL, p->st.timer_invalidations - timer, 0);
}

/* The allocator's and the page tables' work since @c0 / @w0, as actions. */
static void emit(const struct idom *d, struct actbuf *a, const struct iova_counters *c0,
		 const struct iopt_work *w0)
{
	const struct iova_counters *c = &d->iovad.c;
	const struct iopt_work *w = &d->pt.w;
	uint64_t nodes = (c->walk_nodes - c0->walk_nodes) + (c->limit_nodes - c0->limit_nodes) +
			 (c->insert_nodes - c0->insert_nodes) + (c->find_nodes - c0->find_nodes);
	uint64_t locks = c->rbtree_locks - c0->rbtree_locks;
	uint64_t other = (c->cpu_rcache_locks - c0->cpu_rcache_locks) +
			 (c->depot_locks - c0->depot_locks);
	uint64_t ptes = 0;

	for (unsigned i = 0; i <= IOPT_MAX_LEVELS; i++)
		ptes += (w->ptes_set[i] - w0->ptes_set[i]) + (w->ptes_cleared[i] - w0->ptes_cleared[i]);
	ptes += (w->tables_alloc - w0->tables_alloc) + (w->walk_steps - w0->walk_steps);
	if (other)
		act_add(a, ACT_LOCK, 0, other, 0, 0);
	if (locks) {
		/* the rbtree walk runs under the domain's rbtree lock: CPUs queue for it */
		act_add(a, ACT_LOCK, 0, locks, 0, d->res_rbtree);
		act_add(a, ACT_ALLOC_SEARCH, 0, 0, nodes, d->res_rbtree);
	} else if (nodes) {
		act_add(a, ACT_ALLOC_SEARCH, 0, 0, nodes, 0);
	}
	if (ptes)
		act_add(a, ACT_GUEST_PAGES, 0, 0, ptes, 0);
}

/* A PCI function's name, DDDD:BB:DD.F (pci_name()). */
static int pci_name(const char *n)
{
	static const char pat[] = "xxxx:xx:xx.d";

	if (strlen(n) != sizeof(pat) - 1)
		return 0;
	for (unsigned i = 0; pat[i]; i++) {
		int c = (unsigned char)n[i];

		if (pat[i] == 'x' ? !isxdigit(c) : pat[i] == 'd' ? !(c >= '0' && c <= '7') :
		    c != pat[i])
			return 0;
	}
	return 1;
}

/* Behind the IOMMU (see the file comment)? */
static int translated(const struct strat *s, const struct dma_req *rq)
{
	const char *n = sim_dev_name(s->sim, rq->dev);

	return !n || pci_name(n);
}

static uint64_t align_up(uint64_t x)
{
	return (x + (1ull << GRANULE_SHIFT) - 1) & ~((1ull << GRANULE_SHIFT) - 1);
}

/* iommu_dma_alloc_iova() for @dev's domain. */
static uint64_t alloc_iova(struct iommu_dma_priv *p, struct idom *d, unsigned cpu, uint64_t len)
{
	struct iova_dma_dev dev = { .dma_mask = p->dma_mask, .pci_32bit_workaround = !d->dac };
	uint64_t iova = iova_dma_alloc(&d->iovad, &dev, cpu, len, p->aperture_end);

	if (!dev.pci_32bit_workaround)
		d->dac = 1;
	if (!iova)
		p->st.failures++;
	return iova;
}

/* One __iommu_map(): one iommu:map event. */
static void iommu_map_one(struct iommu_dma_priv *p, struct idom *d, uint64_t iova, uint64_t phys,
			  uint64_t len)
{
	if (iopt_map(&d->pt, iova, phys, len, NULL) < 0)
		p->st.pt_errors++;
	p->st.iommu_maps++;
	p->st.iommu_map_bytes += len;
}

/* __iommu_dma_unmap() of the IOVA range [iova, iova + len): one iommu:unmap event. */
static uint64_t dma_unmap_range(struct iommu_dma_priv *p, struct idom *d, unsigned cpu,
				uint64_t ts, uint64_t iova, uint64_t len)
{
	uint64_t inv = d->fq.s.invalidations, now = 0;

	if (iopt_unmap(&d->pt, iova, len, NULL) != len)
		p->st.pt_errors++;
	p->st.iommu_unmaps++;
	p->st.iommu_unmap_bytes += len;
	iommu_fq_unmap(&d->fq, ts, cpu, iova >> GRANULE_SHIFT, len >> GRANULE_SHIFT);
	p->st.unmap_invalidations += d->fq.s.invalidations - inv;
	for (unsigned i = 0; i < p->ndoms; i++)
		if (p->doms[i])
			now += p->doms[i]->fq.s.stale_pages_now;
	if (now > p->st.stale_pages_max)
		p->st.stale_pages_max = now;
	return d->fq.s.invalidations - inv;
}

static void remember(struct iommu_dma_priv *p, const struct dma_req *rq, uint8_t tag,
		     uint64_t iova, uint64_t len)
{
	struct live_entry *e;
	int created;

	p->st.maps++;
	e = livemap_get(&p->maps, tag, rq->dev, rq->key, &created);
	if (!created) {
		/* the trace reuses a live address (a map lost its unmap): keep the first */
		e->refs++;
		return;
	}
	e->d[0] = iova;
	e->d[1] = len;
}

/* __iommu_dma_map() of one buffer (map_page, and the coherent allocations). */
static int map_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag,
		      uint64_t phys)
{
	struct iommu_dma_priv *p = s->priv;
	struct idom *d;
	struct iova_counters c0;
	struct iopt_work w0;
	uint64_t off = phys & ((1ull << GRANULE_SHIFT) - 1), len, iova, maps0, bytes0;

	advance(p, rq, a);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (!translated(s, rq)) {
		/* dma-direct: nothing to map, nothing to remember */
		p->st.direct++;
		return 0;
	}
	d = dom_of(p, rq->dev);
	c0 = d->iovad.c;
	w0 = d->pt.w;
	maps0 = p->st.iommu_maps;
	bytes0 = p->st.iommu_map_bytes;
	len = align_up(rq->size + off);
	iova = alloc_iova(p, d, rq->cpu, len);
	if (iova && tag == TAG_COHERENT && len < (2ull << 20)) {
		/* iommu_dma_alloc_remap(): order-0 pages, one __iommu_map() each */
		for (uint64_t o = 0; o < len; o += 1ull << GRANULE_SHIFT)
			iommu_map_one(p, d, iova + o, phys + o, 1ull << GRANULE_SHIFT);
	} else if (iova) {
		iommu_map_one(p, d, iova, phys - off, len);
	}
	sync_map(p, a, maps0, bytes0);
	emit(d, a, &c0, &w0);
	if (!iova)
		return -1;
	/* the recorded DMA address says what the kernel's allocator returned */
	p->st.iova_checked++;
	if (iova + off == rq->key)
		p->st.iova_matched++;
	remember(p, rq, tag, iova, len);
	return 0;
}

static int idma_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return map_common(s, rq, a, TAG_MAP, rq->phys);
}

static int idma_alloc(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	/* the pages' physical address is not recorded: taken equal to the IOVA (one run) */
	return map_common(s, rq, a, TAG_COHERENT, rq->key & ~((1ull << GRANULE_SHIFT) - 1));
}

static void unmap_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag)
{
	struct iommu_dma_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	struct idom *d;
	struct iova_counters c0;
	struct iopt_work w0;
	uint64_t inv = 0;

	advance(p, rq, a);
	if (!e) {
		if (!translated(s, rq))
			act_add(a, ACT_GUEST, 0, 1, 0, 0);   /* dma-direct */
		return;
	}
	d = dom_of(p, rq->dev);
	c0 = d->iovad.c;
	w0 = d->pt.w;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs == 0) {
		e->refs = 1;
		inv = dma_unmap_range(p, d, rq->cpu, rq->ts_ns, e->d[0], e->d[1]);
		livemap_remove(&p->maps, e);
		p->st.unmaps++;
	}
	emit(d, a, &c0, &w0);
	/* strict: iommu_iotlb_sync() of the range; lazy: a full ring's fq_flush_iotlb() */
	act_inval(a, p->fc.mode == IOMMU_FQ_STRICT ? IOTLB_SYNC : IOTLB_FLUSH_ALL, inv, 0);
}

static void idma_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_MAP);
}

static void idma_free(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_COHERENT);
}

/*
 * iommu_dma_map_sg(): lengths aligned to the granule (the segment's offset within its granule
 * kept in front), padding so that no segment crosses the segment boundary (PCI default 4 GiB),
 * one IOVA for it all, then one __iommu_map() per run of physically contiguous aligned
 * segments (iommu_map_sg()).
 */
static int idma_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct iommu_dma_priv *p = s->priv;
	const uint64_t mask = 0xffffffffull, gmask = (1ull << GRANULE_SHIFT) - 1;
	uint64_t iova_len = 0, iova, at, run_phys = 0, run_len = 0, maps0, bytes0;
	struct iova_counters c0;
	struct iopt_work w0;
	struct idom *d;

	if (!rq->nsegs || !translated(s, rq))
		return map_common(s, rq, a, TAG_SG, rq->phys);
	d = dom_of(p, rq->dev);
	c0 = d->iovad.c;
	w0 = d->pt.w;
	advance(p, rq, a);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	for (unsigned i = 0; i < rq->nsegs; i++) {
		uint64_t off = rq->segs[i].phys & gmask, slen = align_up(rq->segs[i].len + off);
		uint64_t pad = (mask - iova_len + 1) & mask;

		if (pad && slen > 1 && pad < slen - 1)
			iova_len += pad;
		iova_len += slen;
	}
	iova = alloc_iova(p, d, rq->cpu, iova_len);
	if (!iova) {
		emit(d, a, &c0, &w0);
		return -1;
	}
	maps0 = p->st.iommu_maps;
	bytes0 = p->st.iommu_map_bytes;
	at = iova;
	for (unsigned i = 0; i <= rq->nsegs; i++) {
		uint64_t sphys = 0, slen = 0;

		if (i < rq->nsegs) {
			sphys = rq->segs[i].phys & ~gmask;
			slen = align_up(rq->segs[i].len + (rq->segs[i].phys & gmask));
		}
		if (run_len && (i == rq->nsegs || sphys != run_phys + run_len)) {
			iommu_map_one(p, d, at, run_phys, run_len);
			at += run_len;
			run_len = 0;
		}
		if (i < rq->nsegs) {
			if (!run_len)
				run_phys = sphys;
			run_len += slen;
		}
	}
	sync_map(p, a, maps0, bytes0);
	emit(d, a, &c0, &w0);
	remember(p, rq, TAG_SG, iova, iova_len);
	return 0;
}

static void idma_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct iommu_dma_priv *p = s->priv;

	unmap_common(s, rq, a, livemap_find(&p->maps, TAG_SG, rq->dev, rq->key) ? TAG_SG : TAG_MAP);
}

static void idma_report(struct strat *s, struct strat_pressure *pr)
{
	struct iommu_dma_priv *p = s->priv;

	pr->window_name = "iommu-dma IOVA space (4 KiB granules)";
	pr->window_entries = p->aperture_end >> GRANULE_SHIFT;
	pr->window_failures = p->st.failures;
	pr->window_entry_bytes = 1ull << GRANULE_SHIFT;
	/* page-table entries written and cleared: the IOMMU's counterpart of TCEs */
	pr->tces_written = 0;
	pr->tces_cleared = 0;
	for (unsigned i = 0; i < p->ndoms; i++) {
		const struct idom *d = p->doms[i];

		if (!d)
			continue;
		for (unsigned l = 0; l <= IOPT_MAX_LEVELS; l++) {
			pr->tces_written += d->pt.w.ptes_set[l];
			pr->tces_cleared += d->pt.w.ptes_cleared[l];
		}
	}
}

const struct iommu_dma_stats *iommu_dma_stats(const struct strat *s, struct iommu_dma_stats *out)
{
	const struct iommu_dma_priv *p;

	if (!s || strcmp(s->ops->name, "iommu-dma") != 0)
		return NULL;
	p = s->priv;
	*out = p->st;
	for (unsigned i = 0; i < p->ndoms; i++) {
		const struct idom *d = p->doms[i];

		if (!d)
			continue;
		out->invalidations += d->fq.s.invalidations;
		out->flush_full += d->fq.s.flush_full;
		out->flush_timeout += d->fq.s.flush_timeout;
		out->stale_windows += d->fq.s.windows;
		if (d->fq.s.window_max_ns > out->stale_window_max_ns)
			out->stale_window_max_ns = d->fq.s.window_max_ns;
		out->stale_window_sum_ns += d->fq.s.window_sum_ns;
		out->stale_page_window_ns += (double)d->fq.s.window_page_ns;
		if (d->fq.s.stale_pages_max > out->stale_pages_max)
			out->stale_pages_max = d->fq.s.stale_pages_max;
		out->stale_pages_now += d->fq.s.stale_pages_now;
		out->stale_page_ns += (double)d->fq.s.stale_page_ns;
		out->rcache_hits += d->iovad.c.rcache_hits;
		out->rcache_misses += d->iovad.c.rcache_misses;
		out->rbtree_locks += d->iovad.c.rbtree_locks;
		out->dac_fallbacks += d->iovad.c.dac_fallbacks;
		out->pt_tables_peak += d->pt.tables_peak;
	}
	return out;
}

/* What --check-iommu compares with the trace's iommu and IOTLB events. */
static void idma_iommu_counts(struct strat *s, struct strat_iommu_counts *c)
{
	struct iommu_dma_priv *p = s->priv;

	c->maps = p->st.iommu_maps;
	c->map_bytes = p->st.iommu_map_bytes;
	c->unmaps = p->st.iommu_unmaps;
	c->unmap_bytes = p->st.iommu_unmap_bytes;
	c->inv_map = p->st.inv_map;
	for (unsigned i = 0; i < p->ndoms; i++) {
		const struct idom *d = p->doms[i];

		if (!d)
			continue;
		c->inv_range += d->fq.s.strict_syncs;
		c->inv_full += d->fq.s.flush_full;
		c->inv_timer += d->fq.s.flush_timeout;
	}
}

static void idma_fini(struct strat *s)
{
	struct iommu_dma_priv *p = s->priv;

	livemap_free(&p->maps);
	for (unsigned i = 0; i < p->ndoms; i++) {
		struct idom *d = p->doms[i];

		if (!d)
			continue;
		iommu_fq_free(&d->fq);
		iopt_free(&d->pt);
		iova_domain_free(&d->iovad);
		free(d);
	}
	free(p->doms);
}

/* The registry: the figures reports show (strategy.h). */
static const struct strat_stat idma_stats[] = {
	{ "invalidations", "calls", STAT_LOWER_BETTER, "IOTLB invalidations (syncs and flush-alls)" },
	{ "stale_window_max_ns", "ns", STAT_LOWER_BETTER,
	  "longest time an unmapped page stayed reachable by the device" },
	{ "stale_pages_max", "pages", STAT_LOWER_BETTER,
	  "most unmapped pages reachable by the device at once" },
	{ "iova_predicted", "maps", STAT_NEUTRAL,
	  "maps whose recorded IOVA the allocator model predicted" },
	{ "iova_checked", "maps", STAT_NEUTRAL, "maps whose recorded IOVA was compared" },
	{ NULL, NULL, 0, NULL },
};

static void idma_stat_values(struct strat *s, double *v)
{
	struct iommu_dma_stats st;

	iommu_dma_stats(s, &st);
	v[0] = (double)st.invalidations;
	v[1] = (double)st.stale_window_max_ns;
	v[2] = (double)st.stale_pages_max;
	v[3] = (double)st.iova_matched;
	v[4] = (double)st.iova_checked;
}

const struct strategy_ops strategy_iommu_dma_ops = {
	.stats = idma_stats,
	.stat_values = idma_stat_values,
	.name = "iommu-dma",
	.summary = "Linux dma-iommu over an IOMMU (VT-d, SMMUv3): IOVA rbtree + per-CPU rcaches, "
		   "iommu_map page tables, invalidation strict / lazy (per-CPU flush queues) / "
		   "lazy-single; measures the stale window",
	.variants = variants,
	.priv_size = sizeof(struct iommu_dma_priv),
	.params = idma_params,
	.params_size = sizeof(struct idma_opts),
	.init = idma_init,
	.map = idma_map,
	.map_sg = idma_map_sg,
	.alloc = idma_alloc,
	.unmap = idma_unmap,
	.unmap_sg = idma_unmap_sg,
	.free = idma_free,
	.report = idma_report,
	.fini = idma_fini,
	.iommu_counts = idma_iommu_counts,
	.arches = "x86 arm64",
};
