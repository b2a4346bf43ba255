/*
 * strategy-ddw.c: the 64-bit dynamic DMA window, as enable_ddw() builds it
 * (arch/powerpc/platforms/pseries/iommu.c; DOMAIN.md 1.5):
 *   - only devices with a 64-bit DMA mask ask for one; DDW off or no window available ->
 *     the default window, driven as window32 does (a fallback, counted);
 *   - RTAS ibm,query-pe-dma-window then ibm,create-pe-dma-window;
 *   - page size: the largest the firmware offers; window: 2^order_base_2(max RAM incl.
 *     hotplug) bytes;
 *   - direct window when the largest available block covers it: every TCE of system RAM is
 *     written at boot (tce_setrange_multi_pSeriesLP: H_PUT_TCE_INDIRECT, 512 per call, or
 *     the H_PUT_TCE loop without PUT_TCE_IND, as in a Secure VM); afterwards maps are
 *     dma-direct with an offset: no hypercall at all;
 *   - otherwise an indirect window of 2^order_base_2(largest block << page shift) bytes,
 *     mapped dynamically like the default window but with large TCEs.
 * Boot also clears the default windows and the VIO table (iommu_table_clear), as always.
 */
#include "config.h"

#include <string.h>

#include "tcewin.h"
#include "util.h"

enum ddw_mode { DDW_DIRECT, DDW_INDIRECT, DDW_FALLBACK };

struct ddw_priv {
	enum ddw_mode mode;
	unsigned shift;          /* TCE page shift of the window */
	uint64_t window_bytes;
	uint64_t prepop_tces;
	struct tcewin w;         /* indirect or fallback */
	int have_w;
	char name[64];
};

static unsigned order_base_2(uint64_t v)
{
	return v <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(v - 1);
}

static int ddw_init(struct strat *s, char **cause)
{
	const struct scenario_machine *m = &s->sc->machine;
	struct ddw_priv *p = s->priv;
	uint64_t max_ram = m->max_ram_bytes ? m->max_ram_bytes : m->ram_bytes;
	unsigned len;
	uint64_t need;

	if (!m->ddw_enabled || m->dma_mask_bits < 64 || !m->ddw_windows_available ||
	    !m->ddw_page_mask) {
		uint64_t entries = m->window32_bytes / m->window32_tce_bytes;

		p->mode = DDW_FALLBACK;
		snprintf(p->name, sizeof(p->name), "default window (no DDW)");
		p->have_w = 1;
		return tcewin_init(&p->w, s, p->name, entries, 0,
				   63u - (unsigned)__builtin_clzll(m->window32_tce_bytes),
				   machine_put_tce_indirect(s->sc), m->stuff_tce, TP_NONE, cause);
	}
	/* iommu_get_page_shift(): the largest page size offered */
	p->shift = 63u - (unsigned)__builtin_clzll(m->ddw_page_mask);
	len = order_base_2(max_ram);
	if (len < p->shift)
		len = p->shift;
	need = 1ull << (len - p->shift);
	if (m->ddw_largest_block_tces && m->ddw_largest_block_tces < need) {
		/* "linux,dma64-ddr-window-info": an indirect window over what is available */
		unsigned wshift = order_base_2(m->ddw_largest_block_tces) + p->shift;

		p->mode = DDW_INDIRECT;
		p->window_bytes = 1ull << wshift;
		snprintf(p->name, sizeof(p->name), "indirect DDW (%llu KiB TCEs)",
			 (unsigned long long)(1ull << p->shift) / 1024);
		p->have_w = 1;
		return tcewin_init(&p->w, s, p->name, p->window_bytes >> p->shift,
				   m->ddw_window_base >> p->shift, p->shift,
				   machine_put_tce_indirect(s->sc), m->stuff_tce, TP_NONE, cause);
	}
	p->mode = DDW_DIRECT;
	p->window_bytes = 1ull << len;
	/* walk_system_ram_range(): TCEs covering the RAM present at boot */
	p->prepop_tces = (m->ram_bytes + (1ull << p->shift) - 1) >> p->shift;
	snprintf(p->name, sizeof(p->name), "direct DDW (%llu KiB TCEs)",
		 (unsigned long long)(1ull << p->shift) / 1024);
	return 0;
}

static void ddw_setup(struct strat *s, struct actbuf *a)
{
	const struct scenario_machine *m = &s->sc->machine;
	struct ddw_priv *p = s->priv;

	tce_emit_boot_clear(s->sc, a);
	if (p->mode == DDW_FALLBACK)
		return;
	act_add(a, ACT_RTAS, RTAS_QUERY, 1, 0, 0);
	act_add(a, ACT_RTAS, RTAS_CREATE, 1, 0, 0);
	if (p->mode == DDW_DIRECT)
		tce_emit_build(a, p->prepop_tces, machine_put_tce_indirect(s->sc),
			       (unsigned)m->max_tces_per_call);
}

static int ddw_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct ddw_priv *p = s->priv;

	if (p->have_w)
		return tcewin_map(&p->w, rq, a);
	/* dma-direct with the window's offset: software only; the device walks big TCEs */
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	act_add(a, ACT_DEV_XLATE, 0, 0, tce_num_pages(rq->phys, rq->size, p->shift), 0);
	return 0;
}

static int ddw_map_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct ddw_priv *p = s->priv;
	uint64_t pages = 0;

	if (p->have_w)
		return tcewin_map_sg(&p->w, rq, a);
	for (unsigned i = 0; i < rq->nsegs; i++)
		pages += tce_num_pages(rq->segs[i].phys, rq->segs[i].len, p->shift);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	act_add(a, ACT_DEV_XLATE, 0, 0, pages, 0);
	return 0;
}

static int ddw_alloc(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct ddw_priv *p = s->priv;

	if (p->have_w)
		return tcewin_alloc(&p->w, rq, a);
	act_add(a, ACT_GUEST, 0, 1, 0, 0);
	return 0;
}

static void ddw_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct ddw_priv *p = s->priv;

	if (p->have_w)
		tcewin_unmap(&p->w, rq, a);
	else
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
}

static void ddw_unmap_sg(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct ddw_priv *p = s->priv;

	if (p->have_w)
		tcewin_unmap_sg(&p->w, rq, a);
	else
		act_add(a, ACT_GUEST, 0, 1, 0, 0);
}

static void ddw_free(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	struct ddw_priv *p = s->priv;

	if (p->have_w)
		tcewin_free(&p->w, rq, a);
}

static void ddw_report(struct strat *s, struct strat_pressure *pr)
{
	struct ddw_priv *p = s->priv;

	if (p->have_w) {
		tcewin_report(&p->w, pr);
	} else {
		pr->window_name = p->name;
		pr->window_entries = p->window_bytes >> p->shift;
		pr->window_entry_bytes = 1ull << p->shift;
		pr->window_peak = p->prepop_tces;
		pr->tces_written += p->prepop_tces;
	}
	pr->ddw_direct = p->mode == DDW_DIRECT;
	pr->ddw_indirect = p->mode == DDW_INDIRECT;
	pr->ddw_fallbacks = p->mode == DDW_FALLBACK;
}

static void ddw_fini(struct strat *s)
{
	struct ddw_priv *p = s->priv;

	if (p->have_w)
		tcewin_fini(&p->w);
}

const struct strategy_ops strategy_ddw_ops = {
	.name = "ddw",
	.summary = "64-bit dynamic DMA window: RTAS create + all RAM pre-mapped at boot, then no "
		   "hypercall per map (falls back as the kernel does)",
	.priv_size = sizeof(struct ddw_priv),
	.init = ddw_init,
	.setup = ddw_setup,
	.map = ddw_map,
	.map_sg = ddw_map_sg,
	.alloc = ddw_alloc,
	.unmap = ddw_unmap,
	.unmap_sg = ddw_unmap_sg,
	.free = ddw_free,
	.report = ddw_report,
	.fini = ddw_fini,
	.check = &tce_hcall_check,
	.arches = "pseries",
};
