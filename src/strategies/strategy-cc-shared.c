/*
 * strategy-cc-shared.c: DMA in a confidential guest (AMD SEV-SNP, Intel TDX, Arm CCA) under the
 * DMA_ATTR_CC_SHARED model of 2026 (DOMAIN.md 6.2: dma_direct_map_phys picks the shared or the
 * private encoding per mapping and falls back to swiotlb; x86 and CCA stop relying on
 * SWIOTLB_FORCE): the device can only reach shared (decrypted) memory, so each streaming
 * mapping is either DIRECT (its buffer is shared already, or is converted now) or BOUNCED
 * through the swiotlb pool, which is shared with the hypervisor once at boot
 * (swiotlb_update_mem_attributes -> set_memory_decrypted, DOMAIN.md 1.4). The decision is per
 * mapping, by variant:
 *
 *   bounce-all  (the default; today's SWIOTLB_FORCE): every streaming map bounces: slots from
 *               the pool (alloc-swiotlb.c through cc-bounce.c), the buffer ALWAYS copied in,
 *               copied back on unmap and sync for FROM_DEVICE/BIDIRECTIONAL;
 *   pre-shared  the mappings strategy.cc-shared.pre_shared selects (devices by their name in
 *               the trace and/or kinds: coherent, tx, rx, bidi) use buffers allocated in
 *               shared memory beforehand, taken from the bounce pool itself as the 2026 "avoid
 *               double copy on tx" proposal does (sockets allocating straight from the pool:
 *               about 50 -> over 170 Gb/s in a CVM, DOMAIN.md 6.1): no copy, but the pool slots
 *               are held as long as the mapping; the rest bounce as in bounce-all; a selected
 *               coherent allocation comes from the pool (page-order aligned, as swiotlb_alloc())
 *               instead of being converted;
 *   convert     no bounce: each streaming buffer's pages are converted private->shared on map
 *               and back on unmap (set_memory_decrypted/encrypted on the buffer), pages
 *               refcounted so that two live mappings of one page convert it once; whole pages
 *               are exposed, and whether a page's contents survive its conversion (they do not
 *               in place on TDX, SNP or CCA) is not modelled: the conversions only are charged.
 *
 * Coherent allocations not taken from the pool are converted one by one in every variant:
 * dma_direct_alloc() -> dma_set_decrypted() on alloc, dma_set_encrypted() on free (outside the
 * pool; allocations from the pre-decrypted atomic pool are not told apart in the trace).
 * A conversion of a run of pages is, by strategy.cc-shared.platform (the structure of the
 * kernel's set_memory_decrypted/encrypted; the costs are assumptions, DOMAIN.md has none):
 *   tdx  to shared: one MapGPA (TDG.VP.VMCALL) for the range; to private: MapGPA, then
 *        TDG.MEM.PAGE.ACCEPT per page, 2 MiB or 1 GiB at a time where the range is aligned
 *        (tdx_enc_status_changed -> tdx_map_gpa, tdx_accept_memory / try_accept_one);
 *   snp  to shared: PVALIDATE (rescind) per page, then GHCB page-state changes of up to 64
 *        entries (VMGEXIT_PSC_MAX_ENTRY); to private: the page-state changes, then PVALIDATE
 *        (set_pages_state / __set_pages_state; 4 KiB entries here);
 *   cca  one RSI_IPA_STATE_SET for the range, either way (rsi_set_memory_range_shared/_protected).
 * The shared bytes are booked from the conversions (ACT_SHARE/ACT_UNSHARE): the pool at boot,
 * pools added by CONFIG_SWIOTLB_DYNAMIC, converted buffers and allocations while converted.
 * Pool size: strategy.cc-shared.pool_bytes, 0 = the x86 rule for tdx and snp (6% of RAM,
 * clamped to [64 MiB, 1 GiB], arch/x86/mm/mem_encrypt.c, DOMAIN.md 1.4) and
 * machine.swiotlb_bytes for cca.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cc-bounce.h"
#include "error.h"
#include "livemap.h"
#include "param.h"
#include "sim.h"
#include "strategy.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_COHERENT = 2, TAG_PAGE = 3, TAG_SG = 4 };
enum { V_BOUNCE_ALL, V_PRE_SHARED, V_CONVERT };
enum { PLAT_TDX, PLAT_SNP, PLAT_CCA };
/* how a mapping was made (live_entry d[2]) */
enum { HOW_BOUNCED = 1, HOW_POOL = 2, HOW_CONVERTED = 3 };
/* kinds pre_shared can name */
enum { K_COHERENT = 1, K_TX = 2, K_RX = 4, K_BIDI = 8 };

/*
 * VMGEXIT_PSC_MAX_ENTRY: the entries set_pages_state() puts in one page-state change (64 since
 * it sized its on-stack descriptor down; the GHCB allows 253, VMGEXIT_PSC_MAX_COUNT).
 */
#define SNP_PSC_MAX_ENTRIES 64
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

struct cc_opts {
	char *platform;
	char *pre_shared;
	uint64_t pool_bytes;
};

static const struct param cc_params[] = {
	{ .path = "platform", .type = PARAM_STRING, .offset = offsetof(struct cc_opts, platform),
	  .def.s = "tdx", .unit = "",
	  .source = "DOMAIN.md 6.2: DMA_ATTR_CC_SHARED for SEV-SNP, TDX and CCA guests",
	  .help = "how pages are converted private<->shared: tdx (MapGPA, PAGE.ACCEPT), snp "
		  "(page-state change, PVALIDATE) or cca (RSI_IPA_STATE_SET)" },
	{ .path = "pre_shared", .type = PARAM_STRING,
	  .offset = offsetof(struct cc_opts, pre_shared), .def.s = "tx", .unit = "",
	  .source = "DOMAIN.md 6.1: the 2026 avoid-double-copy-on-tx proposal (tx buffers)",
	  .help = "variant pre-shared: comma-separated device names (as in the trace) and kinds "
		  "(coherent, tx, rx, bidi) whose buffers are pre-shared; a mapping is selected "
		  "when its kind is listed (or none is) and its device is listed (or none is)" },
	{ .path = "pool_bytes", .type = PARAM_SIZE, .flags = PARAM_ZERO,
	  .offset = offsetof(struct cc_opts, pool_bytes), .min = (double)MiB,
	  .max = (double)(64 * GiB), .multiple = 2048, .def.u = 0, .unit = "bytes",
	  .source = "DOMAIN.md 1.4: x86 CoCo pool 6% of RAM clamped to [64 MiB, 1 GiB]",
	  .help = "swiotlb pool size; 0 = 6% of machine.ram_bytes clamped to [64 MiB, 1 GiB] "
		  "(tdx, snp) or machine.swiotlb_bytes (cca)" },
	{ .path = NULL },
};

static const char *const cc_variants[] = { "bounce-all", "pre-shared", "convert", NULL };

struct cc_priv {
	struct cc_bounce b;
	struct livemap maps;   /* TAG_MAP / TAG_COHERENT (dev, key): d[0] pieces, d[1] count,
				* d[2] HOW_* */
	struct livemap pages;  /* TAG_PAGE (0, page): refs = live converted mappings of it */
	int variant, platform;
	unsigned page_shift;
	unsigned kinds;        /* K_* selected (0 = any kind) */
	char **devs;           /* device names selected (NULL/ndevs 0 = any device) */
	unsigned ndevs;
	uint8_t *dev_sel;      /* per device id: 0 unknown, 1 selected, 2 not */
	uint64_t maps_direct, maps_bounced, map_failures;
	uint64_t conversions, converted_pages;
	uint64_t coherent_converted, coherent_pooled, coherent_fallbacks;
	uint64_t conv_pages_now, conv_pages_peak;  /* converted outside the pool, now and peak */
	uint64_t pool_bytes_held, pool_bytes_held_peak; /* pre-shared buffers in the pool */
};

static const struct strat_stat cc_stats[] = {
	{ "maps_direct", "maps", STAT_NEUTRAL,
	  "streaming maps not bounced (pre-shared buffer or converted pages)" },
	{ "maps_bounced", "maps", STAT_LOWER_BETTER, "streaming maps bounced through the pool" },
	{ "conversions", "calls", STAT_LOWER_BETTER,
	  "private<->shared conversions of a page run (set_memory_decrypted/encrypted)" },
	{ "converted_pages", "pages", STAT_LOWER_BETTER, "pages converted, both ways" },
	{ "copied_bytes", "bytes", STAT_LOWER_BETTER, "bounce copies, in and out" },
	{ "coherent_converted", "allocs", STAT_NEUTRAL,
	  "coherent allocations converted one by one (dma_set_decrypted)" },
	{ "coherent_pre_shared", "allocs", STAT_NEUTRAL,
	  "coherent allocations taken from the shared pool (pre-shared)" },
	{ "converted_pages_peak", "pages", STAT_LOWER_BETTER,
	  "most pages converted to shared outside the pool at once" },
	{ "pre_shared_pool_bytes_peak", "bytes", STAT_NEUTRAL,
	  "most pool bytes held by pre-shared buffers at once" },
	{ "map_failures", "maps", STAT_LOWER_BETTER, "maps refused: no room in the pool" },
	{ NULL, NULL, 0, NULL },
};

/* Parse strategy.cc-shared.pre_shared: kinds and device names. */
static int parse_selection(struct cc_priv *p, const char *spec, char **cause)
{
	const char *q = spec;

	while (*q) {
		const char *e = strchr(q, ',');
		size_t n = e ? (size_t)(e - q) : strlen(q);

		if (n == 0) {
			*cause = xasprintf("strategy.cc-shared.pre_shared: \"%s\": an empty entry",
					   spec);
			return -ISM_EUSAGE;
		}
		if (n == 8 && !memcmp(q, "coherent", 8))
			p->kinds |= K_COHERENT;
		else if (n == 2 && !memcmp(q, "tx", 2))
			p->kinds |= K_TX;
		else if (n == 2 && !memcmp(q, "rx", 2))
			p->kinds |= K_RX;
		else if (n == 4 && !memcmp(q, "bidi", 4))
			p->kinds |= K_BIDI;
		else {
			p->devs = xrealloc(p->devs, (p->ndevs + 1) * sizeof(*p->devs));
			p->devs[p->ndevs++] = xstrndup(q, n);
		}
		q += n;
		if (*q == ',' && !*++q) {
			*cause = xasprintf("strategy.cc-shared.pre_shared: \"%s\": an empty entry",
					   spec);
			return -ISM_EUSAGE;
		}
	}
	return 0;
}

static int cc_init(struct strat *s, char **cause)
{
	struct cc_priv *p = s->priv;
	const struct cc_opts *o = s->opts;
	const struct scenario_machine *m = &s->sc->machine;
	uint64_t pool = o->pool_bytes;
	int ret;

	p->variant = !strcmp(s->variant, "pre-shared") ? V_PRE_SHARED :
		     !strcmp(s->variant, "convert") ? V_CONVERT : V_BOUNCE_ALL;
	if (!strcmp(o->platform, "tdx"))
		p->platform = PLAT_TDX;
	else if (!strcmp(o->platform, "snp"))
		p->platform = PLAT_SNP;
	else if (!strcmp(o->platform, "cca"))
		p->platform = PLAT_CCA;
	else {
		*cause = xasprintf("strategy.cc-shared.platform: \"%s\" is not tdx, snp or cca",
				   o->platform);
		return -ISM_EUSAGE;
	}
	ret = parse_selection(p, o->pre_shared, cause);
	if (ret < 0)
		return ret;
	if (!pool && p->platform == PLAT_CCA) {
		pool = m->swiotlb_bytes;
	} else if (!pool) {
		/* mem_encrypt_setup_arch(): 6% of memory, at least 64 MiB, at most 1 GiB */
		pool = m->ram_bytes / 100 * 6;
		pool = pool < 64 * MiB ? 64 * MiB : pool > GiB ? GiB : pool;
		pool &= ~(uint64_t)2047;
	}
	p->page_shift = 63u - (unsigned)__builtin_clzll(m->page_bytes);
	ret = cc_bounce_init(&p->b, s, pool, cause);
	if (ret < 0)
		return ret;
	livemap_init(&p->maps);
	livemap_init(&p->pages);
	return 0;
}

/* 4 KiB units in [addr, addr + bytes) the TDX module accepts: 1 GiB, 2 MiB or 4 KiB at a time. */
static uint64_t tdx_accepts(uint64_t addr, uint64_t bytes)
{
	uint64_t end = addr + bytes, n = 0;

	while (addr < end) {
		uint64_t step = 4096;

		if (!(addr & (GiB - 1)) && end - addr >= GiB)
			step = GiB;
		else if (!(addr & (2 * MiB - 1)) && end - addr >= 2 * MiB)
			step = 2 * MiB;
		addr += step;
		n++;
	}
	return n;
}

/*
 * Convert @n pages from page @first private->shared (@to_shared) or back, the platform's way;
 * @outside: outside the pool (the exposure figures tell them apart).
 */
static void convert(struct cc_priv *p, struct actbuf *a, int to_shared, uint64_t first,
		    uint64_t n, int outside)
{
	uint64_t bytes = n << p->page_shift;

	if (!n)
		return;
	if (outside) {
		/* the pool's own conversions (boot, growth) are not counted here */
		p->conversions++;
		p->converted_pages += n;
	}
	switch (p->platform) {
	case PLAT_TDX:
		if (to_shared) {
			act_share(a, TDX_MAP_GPA, 1, n, outside);
		} else {
			act_unshare(a, TDX_MAP_GPA, 1, n, outside);
			act_hcall(a, TDX_PAGE_ACCEPT, tdx_accepts(first << p->page_shift, bytes),
				  n, 0);
		}
		break;
	case PLAT_SNP: {
		uint64_t entries = (bytes + 4095) / 4096;
		uint64_t calls = (entries + SNP_PSC_MAX_ENTRIES - 1) / SNP_PSC_MAX_ENTRIES;

		if (to_shared) {
			act_hcall(a, SNP_PVALIDATE, entries, n, 0);
			act_share(a, SNP_PSC, calls, n, outside);
		} else {
			act_unshare(a, SNP_PSC, calls, n, outside);
			act_hcall(a, SNP_PVALIDATE, entries, n, 0);
		}
		break;
	}
	default:
		if (to_shared)
			act_share(a, CCA_IPA_STATE_SET, 1, n, outside);
		else
			act_unshare(a, CCA_IPA_STATE_SET, 1, n, outside);
		break;
	}
	if (outside && to_shared) {
		p->conv_pages_now += n;
		if (p->conv_pages_now > p->conv_pages_peak)
			p->conv_pages_peak = p->conv_pages_now;
	} else if (outside) {
		p->conv_pages_now -= n;
	}
}

static void cc_setup(struct strat *s, struct actbuf *a)
{
	struct cc_priv *p = s->priv;

	/* swiotlb_update_mem_attributes(): the pool made shared once (not used by convert) */
	if (p->variant != V_CONVERT)
		convert(p, a, 1, p->b.mem.defpool.base >> p->page_shift,
			cc_bounce_pool_pages(&p->b), 0);
}

/* A pool the CONFIG_SWIOTLB_DYNAMIC worker added is decrypted when added. */
static void run_worker(struct cc_priv *p, struct actbuf *a)
{
	uint64_t pages = cc_bounce_worker(&p->b);

	if (pages)
		convert(p, a, 1, p->b.mem.pools[p->b.mem.npools - 1]->base >> p->page_shift,
			pages, 0);
}

/* Is device @dev selected by pre_shared's device names (or are none named)? */
static int dev_selected(struct strat *s, struct cc_priv *p, uint16_t dev)
{
	const char *name;
	uint8_t sel = 2;

	if (!p->ndevs)
		return 1;
	if (!p->dev_sel)
		p->dev_sel = xcalloc(65536, 1);
	if (p->dev_sel[dev])
		return p->dev_sel[dev] == 1;
	name = sim_dev_name(s->sim, dev);
	for (unsigned i = 0; name && i < p->ndevs; i++)
		if (!strcmp(name, p->devs[i]))
			sel = 1;
	if (name) /* a name seen: the answer stands for the rest of the trace */
		p->dev_sel[dev] = sel;
	return sel == 1;
}

/* Is a mapping of this kind and device pre-shared (variant pre-shared)? */
static int pre_shared(struct strat *s, struct cc_priv *p, uint16_t dev, unsigned kind)
{
	if (p->variant != V_PRE_SHARED)
		return 0;
	if (p->kinds && !(p->kinds & kind))
		return 0;
	return dev_selected(s, p, dev);
}

static unsigned dir_kind(uint8_t dir)
{
	return dir == ISM_DIR_TO_DEVICE ? K_TX : dir == ISM_DIR_FROM_DEVICE ? K_RX : K_BIDI;
}

/* Pages spanned by [phys, phys + len) (a zero length still touches its page). */
static uint64_t page_count(uint64_t phys, uint64_t len, unsigned shift)
{
	return ((phys + (len ? len : 1) - 1) >> shift) - (phys >> shift) + 1;
}

/* convert: pages of [first, first + n) not converted yet are converted, by runs. */
static void convert_range(struct cc_priv *p, uint64_t first, uint64_t n, struct actbuf *a)
{
	uint64_t run = 0, start = 0;

	for (uint64_t pg = first; pg < first + n; pg++) {
		int created;
		struct live_entry *e = livemap_get(&p->pages, TAG_PAGE, 0, pg, &created);

		if (created) {
			if (!run)
				start = pg;
			run++;
			continue;
		}
		e->refs++;
		convert(p, a, 1, start, run, 1);
		run = 0;
	}
	convert(p, a, 1, start, run, 1);
}

/* convert: references of [first, first + n) dropped, pages at 0 converted back, by runs. */
static void unconvert_range(struct cc_priv *p, uint64_t first, uint64_t n, struct actbuf *a)
{
	uint64_t run = 0, start = 0;

	for (uint64_t pg = first; pg < first + n; pg++) {
		struct live_entry *e = livemap_find(&p->pages, TAG_PAGE, 0, pg);

		if (e && e->refs == 1) {
			livemap_remove(&p->pages, e);
			if (!run)
				start = pg;
			run++;
			continue;
		}
		if (e)
			e->refs--;
		convert(p, a, 0, start, run, 1);
		run = 0;
	}
	convert(p, a, 0, start, run, 1);
}

/* Map the segments of @rq (one for a single map) by the per-mapping decision. */
static int map_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag,
		      const struct dma_seg *segs, unsigned nsegs)
{
	struct cc_priv *p = s->priv;
	struct cc_pieces l = { NULL, 0, 0 };
	struct live_entry *e;
	int created, how;

	run_worker(p, a);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	e = livemap_find(&p->maps, tag, rq->dev, rq->key);
	if (e) {
		/* the trace reuses a live address (a map lost its unmap): keep the first */
		e->refs++;
		return 0;
	}
	how = p->variant == V_CONVERT ? HOW_CONVERTED :
	      pre_shared(s, p, rq->dev, dir_kind(rq->dir)) ? HOW_POOL : HOW_BOUNCED;
	for (unsigned i = 0; i < nsegs; i++) {
		if (how == HOW_CONVERTED) {
			uint64_t first = segs[i].phys >> p->page_shift;
			uint64_t n = page_count(segs[i].phys, segs[i].len, p->page_shift);

			convert_range(p, first, n, a);
			cc_pieces_add(&l, first, n);
			continue;
		}
		if (cc_bounce_take(&p->b, rq->cpu, segs[i].phys, segs[i].len, 0,
				   how == HOW_BOUNCED, &l, a) < 0) {
			/* dma_direct_map_sg(): the elements done are unmapped */
			for (unsigned j = 0; j < l.n; j++)
				cc_bounce_release(&p->b, rq->cpu, &l.v[j], 0, a);
			free(l.v);
			p->map_failures++;
			return -1;
		}
	}
	if (how == HOW_BOUNCED) {
		p->maps_bounced++;
	} else {
		p->maps_direct++;
		if (how == HOW_POOL) {
			for (unsigned j = 0; j < l.n; j++)
				p->pool_bytes_held += l.v[j].len;
			if (p->pool_bytes_held > p->pool_bytes_held_peak)
				p->pool_bytes_held_peak = p->pool_bytes_held;
		}
	}
	e = livemap_get(&p->maps, tag, rq->dev, rq->key, &created);
	e->d[0] = (uint64_t)(uintptr_t)l.v;
	e->d[1] = l.n;
	e->d[2] = (uint64_t)how;
	return 0;
}

static int cc_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct dma_seg one = { rq->phys, rq->size };

	return map_common(s, rq, a, TAG_MAP, &one, 1);
}

static int cc_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct dma_seg one = { rq->phys, rq->size };

	if (!rq->nsegs)
		return map_common(s, rq, a, TAG_SG, &one, 1);
	return map_common(s, rq, a, TAG_SG, rq->segs, rq->nsegs);
}

/* Undo a mapping's pieces (unmap, or free of a pool allocation). */
static void release(struct cc_priv *p, struct dma_req *rq, struct live_entry *e,
		    struct actbuf *a)
{
	struct cc_piece *v = (struct cc_piece *)(uintptr_t)e->d[0];
	int how = (int)e->d[2];

	for (uint64_t i = 0; i < e->d[1]; i++) {
		if (how == HOW_CONVERTED) {
			unconvert_range(p, v[i].addr, v[i].len, a);
			continue;
		}
		cc_bounce_release(&p->b, rq->cpu, &v[i],
				  how == HOW_BOUNCED && cc_bounce_copies_back(rq->dir, rq->attrs),
				  a);
		if (how == HOW_POOL)
			p->pool_bytes_held -= v[i].len;
	}
	free(v);
	livemap_remove(&p->maps, e);
}

static void unmap_common(struct strat *s, struct dma_req *rq, struct actbuf *a, uint8_t tag)
{
	struct cc_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, tag, rq->dev, rq->key);

	run_worker(p, a);
	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	release(p, rq, e, a);
}

static void cc_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	unmap_common(s, rq, a, TAG_MAP);
}

static void cc_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct cc_priv *p = s->priv;

	unmap_common(s, rq, a, livemap_find(&p->maps, TAG_SG, rq->dev, rq->key) ? TAG_SG : TAG_MAP);
}

static void cc_sync(struct strat *s, struct dma_req *rq, struct actbuf *a, int for_cpu)
{
	struct cc_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_MAP, rq->dev, rq->key);
	int copy = for_cpu ? (rq->dir == ISM_DIR_FROM_DEVICE || rq->dir == ISM_DIR_BIDIRECTIONAL) :
			     (rq->dir == ISM_DIR_TO_DEVICE || rq->dir == ISM_DIR_BIDIRECTIONAL);

	if (!e)
		e = livemap_find(&p->maps, TAG_SG, rq->dev, rq->key);
	/* only a bounced buffer has a copy to keep in step */
	if (!e || e->d[2] != HOW_BOUNCED)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (copy)
		cc_bounce_sync(&p->b, rq->size, rq->nsegs, a);
}

static void cc_sync_cpu(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	cc_sync(s, rq, a, 1);
}

static void cc_sync_dev(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	cc_sync(s, rq, a, 0);
}

static int cc_alloc(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct cc_priv *p = s->priv;
	uint64_t n = page_count(0, rq->size, p->page_shift);
	struct live_entry *e;
	int created;

	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (livemap_find(&p->maps, TAG_COHERENT, rq->dev, rq->key)) {
		livemap_get(&p->maps, TAG_COHERENT, rq->dev, rq->key, &created)->refs++;
		return 0;
	}
	e = NULL;
	if (pre_shared(s, p, rq->dev, K_COHERENT) &&
	    rq->size <= swiotlb_max_mapping_size(p->b.min_align)) {
		/* swiotlb_alloc(): slots aligned to the allocation's page order */
		struct cc_pieces l = { NULL, 0, 0 };
		uint64_t order_bytes = (uint64_t)1 << p->page_shift;

		while (order_bytes < rq->size)
			order_bytes <<= 1;
		if (cc_bounce_take(&p->b, rq->cpu, 0, rq->size, order_bytes - 1, 0, &l, a) == 0) {
			e = livemap_get(&p->maps, TAG_COHERENT, rq->dev, rq->key, &created);
			e->d[0] = (uint64_t)(uintptr_t)l.v;
			e->d[1] = l.n;
			e->d[2] = HOW_POOL;
			p->coherent_pooled++;
			p->pool_bytes_held += rq->size;
			if (p->pool_bytes_held > p->pool_bytes_held_peak)
				p->pool_bytes_held_peak = p->pool_bytes_held;
			return 0;
		}
		/* no room: the pool's failure is counted; the buffer is converted instead */
		p->coherent_fallbacks++;
	}
	/* dma_direct_alloc() -> dma_set_decrypted(): the buffer's pages, outside the pool */
	convert(p, a, 1, rq->key >> p->page_shift, n, 1);
	p->coherent_converted++;
	e = livemap_get(&p->maps, TAG_COHERENT, rq->dev, rq->key, &created);
	e->d[0] = 0;
	e->d[1] = n;
	e->d[2] = HOW_CONVERTED;
	return 0;
}

static void cc_free(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct cc_priv *p = s->priv;
	struct live_entry *e = livemap_find(&p->maps, TAG_COHERENT, rq->dev, rq->key);
	struct cc_piece *v;

	if (!e)
		return;
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	if (--e->refs > 0)
		return;
	e->refs = 1;
	if (e->d[2] == HOW_CONVERTED) {
		/* dma_direct_free() -> dma_set_encrypted() */
		convert(p, a, 0, rq->key >> p->page_shift, e->d[1], 1);
		livemap_remove(&p->maps, e);
		return;
	}
	v = (struct cc_piece *)(uintptr_t)e->d[0];
	for (uint64_t i = 0; i < e->d[1]; i++) {
		cc_bounce_release(&p->b, rq->cpu, &v[i], 0, a);
		p->pool_bytes_held -= v[i].len;
	}
	free(v);
	livemap_remove(&p->maps, e);
}

static void cc_report(struct strat *s, struct strat_pressure *pr)
{
	struct cc_priv *p = s->priv;

	if (p->variant != V_CONVERT)
		cc_bounce_report(&p->b, pr);
	else
		pr->copied_bytes = p->b.copied_bytes;
}

static void cc_stat_values(struct strat *s, double *v)
{
	const struct cc_priv *p = s->priv;

	v[0] = (double)p->maps_direct;
	v[1] = (double)p->maps_bounced;
	v[2] = (double)p->conversions;
	v[3] = (double)p->converted_pages;
	v[4] = (double)p->b.copied_bytes;
	v[5] = (double)p->coherent_converted;
	v[6] = (double)p->coherent_pooled;
	v[7] = (double)p->conv_pages_peak;
	v[8] = (double)p->pool_bytes_held_peak;
	v[9] = (double)p->map_failures;
}

static void cc_fini(struct strat *s)
{
	struct cc_priv *p = s->priv;

	for (uint64_t i = 0; i < p->maps.cap; i++)
		if (p->maps.slots[i].refs)
			free((void *)(uintptr_t)p->maps.slots[i].d[0]);
	livemap_free(&p->maps);
	livemap_free(&p->pages);
	cc_bounce_free(&p->b);
	for (unsigned i = 0; i < p->ndevs; i++)
		free(p->devs[i]);
	free(p->devs);
	free(p->dev_sel);
}

const struct strategy_ops strategy_cc_shared_ops = {
	.name = "cc-shared",
	.summary = "a confidential guest (TDX, SEV-SNP, CCA) under DMA_ATTR_CC_SHARED: each map "
		   "direct or bounced, decided per mapping; bounce-all (SWIOTLB_FORCE), "
		   "pre-shared (selected devices/kinds use pool buffers, no copy) or convert "
		   "(pages converted private->shared per map, back per unmap)",
	.variants = cc_variants,
	.flags = STRAT_PROTECTED,
	.priv_size = sizeof(struct cc_priv),
	.params = cc_params,
	.params_size = sizeof(struct cc_opts),
	.stats = cc_stats,
	.stat_values = cc_stat_values,
	.init = cc_init,
	.setup = cc_setup,
	.map = cc_map,
	.map_sg = cc_map_sg,
	.alloc = cc_alloc,
	.unmap = cc_unmap,
	.unmap_sg = cc_unmap_sg,
	.free = cc_free,
	.sync_cpu = cc_sync_cpu,
	.sync_dev = cc_sync_dev,
	.report = cc_report,
	.fini = cc_fini,
};
