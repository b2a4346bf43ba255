/*
 * strategy-tce.c: dynamic mapping in the 32-bit default window, three ways:
 *   direct-tce    one H_PUT_TCE per IOMMU page on map (tce_build_pSeriesLP, as with
 *                 FW_FEATURE_PUT_TCE_IND off: a Secure VM since 5.6, or multitce=off);
 *   indirect-tce  1 page -> H_PUT_TCE, more -> H_PUT_TCE_INDIRECT <= 512 per call through
 *                 the per-CPU TCE page, whose variants are the 2019 debate's options:
 *                 none (a normal VM), share-per-call (RFC v5, option iii), shared-once
 *                 (RFC v1-v4), bounce-page (the page from the swiotlb pool, option i);
 *   window32      what the kernel does in the default window on this machine: indirect
 *                 when the hypervisor offers PUT_TCE_IND and the guest is not secure,
 *                 direct otherwise.
 * All three clear with H_STUFF_TCE <= 512 per call when the hypervisor offers it, else one
 * H_PUT_TCE(0) per page, and clear every default window and VIO table at boot.
 */
#include "config.h"

#include <string.h>

#include "tcewin.h"
#include "util.h"

static int tce_init_mode(struct strat *s, int indirect, enum tce_page_mode tp, char **cause)
{
	const struct scenario_machine *m = &s->sc->machine;
	struct tcewin *w = s->priv;
	uint64_t entries = m->window32_bytes / m->window32_tce_bytes;

	return tcewin_init(w, s, "default window", entries, 0,
			   63u - (unsigned)__builtin_clzll(m->window32_tce_bytes), indirect,
			   m->stuff_tce, tp, cause);
}

static int direct_init(struct strat *s, char **cause)
{
	return tce_init_mode(s, 0, TP_NONE, cause);
}

static const char *const tp_variants[] = {
	"none", "share-per-call", "shared-once", "bounce-page", NULL,
};

static int indirect_init(struct strat *s, char **cause)
{
	enum tce_page_mode tp = TP_NONE;

	for (unsigned i = 0; tp_variants[i]; i++)
		if (strcmp(s->variant, tp_variants[i]) == 0)
			tp = (enum tce_page_mode)i;
	return tce_init_mode(s, 1, tp, cause);
}

static int window32_init(struct strat *s, char **cause)
{
	return tce_init_mode(s, machine_put_tce_indirect(s->sc), TP_NONE, cause);
}

static void tce_setup(struct strat *s, struct actbuf *a)
{
	tce_emit_boot_clear(s->sc, a);
}

static int tce_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return tcewin_map(s->priv, rq, a);
}

static int tce_map_sg_op(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return tcewin_map_sg(s->priv, rq, a);
}

static int tce_alloc_op(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return tcewin_alloc(s->priv, rq, a);
}

static void tce_unmap(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	tcewin_unmap(s->priv, rq, a);
}

static void tce_unmap_sg_op(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	tcewin_unmap_sg(s->priv, rq, a);
}

static void tce_free_op(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	tcewin_free(s->priv, rq, a);
}

static void tce_report(struct strat *s, struct strat_pressure *p)
{
	struct tcewin *w = s->priv;

	tcewin_report(w, p);
}

static void tce_fini(struct strat *s)
{
	tcewin_fini(s->priv);
}

#define TCE_OPS(NAME, SUMMARY, VARIANTS, INIT)        \
	{                                             \
		.name = NAME,                         \
		.summary = SUMMARY,                   \
		.variants = VARIANTS,                 \
		.arches = "pseries",                  \
		.priv_size = sizeof(struct tcewin),   \
		.init = INIT,                         \
		.setup = tce_setup,                   \
		.map = tce_map,                       \
		.map_sg = tce_map_sg_op,              \
		.alloc = tce_alloc_op,                \
		.unmap = tce_unmap,                   \
		.unmap_sg = tce_unmap_sg_op,          \
		.free = tce_free_op,                  \
		.report = tce_report,                 \
		.fini = tce_fini,                     \
		.check = &tce_hcall_check,            \
	}

const struct strategy_ops strategy_direct_tce_ops =
	TCE_OPS("direct-tce", "default window; one H_PUT_TCE per IOMMU page on map", NULL,
		direct_init);
const struct strategy_ops strategy_indirect_tce_ops =
	TCE_OPS("indirect-tce", "default window; H_PUT_TCE_INDIRECT <= 512 TCEs per call via the "
		"per-CPU TCE page (variants: how that page is shared)", tp_variants, indirect_init);
const struct strategy_ops strategy_window32_ops =
	TCE_OPS("window32", "default window as the kernel drives it on this machine (indirect "
		"if PUT_TCE_IND and not a secure VM)", NULL, window32_init);
