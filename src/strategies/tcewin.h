/*
 * tcewin.h: a dynamically mapped TCE window as the pseries kernel drives it (the 32-bit
 * default window, or an indirect DDW): the IOVA allocator (alloc-tce.c) plus the hypercalls
 * that write and clear TCEs (arch/powerpc/platforms/pseries/iommu.c):
 *   tce_buildmulti_pSeriesLP: 1 page, or no FW_FEATURE_PUT_TCE_IND -> H_PUT_TCE per TCE;
 *     else H_PUT_TCE_INDIRECT with up to 512 TCEs per call through the per-CPU TCE page;
 *   tce_freemulti_pSeriesLP: FW_FEATURE_STUFF_TCE -> H_STUFF_TCE, up to 512 per call;
 *     else H_PUT_TCE(0) per TCE.
 * The per-CPU TCE page can be shared with the hypervisor per call, once, or taken from the
 * bounce pool (the 2019 Secure VM debate, seeds/000).
 * Mappings are keyed by (device, recorded DMA address).
 */
#ifndef ISM_TCEWIN_H
#define ISM_TCEWIN_H

#include "alloc-tce.h"
#include "livemap.h"
#include "strategy.h"

/* The hcall check of the strategies that drive a TCE window (tce-check.c; run --check-hcalls). */
extern const struct strat_check tce_hcall_check;

enum tce_page_mode {
	TP_NONE,            /* a normal VM: the page is private guest memory the HV may read */
	TP_SHARE_PER_CALL,  /* UV_SHARE_PAGE before and UV_UNSHARE_PAGE after each call (RFC v5) */
	TP_SHARED_ONCE,     /* shared on first use, for the kernel's lifetime (RFC v1-v4) */
	TP_BOUNCE_PAGE,     /* the page comes from the (already shared) swiotlb pool */
};

struct tcewin {
	struct tce_table t;
	struct tce_dev dev;
	const char *name;
	int build_indirect;   /* H_PUT_TCE_INDIRECT for multi-TCE maps */
	int clear_stuff;      /* H_STUFF_TCE for clears */
	unsigned max_per_call;/* TCEs per INDIRECT/STUFF call */
	enum tce_page_mode tp;
	uint8_t *cpu_page;    /* shared-once / bounce-page: CPU already has its page */
	unsigned ncpu;
	uint16_t res_pool[TCE_NR_POOLS + 1]; /* the pools' spinlocks */
	struct livemap maps;
	uint64_t tces_written, tces_cleared, failures;
	uint64_t tce_pages;   /* pages used as TCE lists (shared-once / bounce-page) */
};

/* A window of @entries TCEs of 2^@page_shift bytes at bus entry @offset. */
int tcewin_init(struct tcewin *w, struct strat *s, const char *name, uint64_t entries,
		uint64_t offset, unsigned page_shift, int build_indirect, int clear_stuff,
		enum tce_page_mode tp, char **cause);
void tcewin_fini(struct tcewin *w);

int tcewin_map(struct tcewin *w, struct dma_req *rq, struct actbuf *a);
int tcewin_map_sg(struct tcewin *w, struct dma_req *rq, struct actbuf *a);
int tcewin_alloc(struct tcewin *w, struct dma_req *rq, struct actbuf *a);
void tcewin_unmap(struct tcewin *w, struct dma_req *rq, struct actbuf *a);
void tcewin_unmap_sg(struct tcewin *w, struct dma_req *rq, struct actbuf *a);
void tcewin_free(struct tcewin *w, struct dma_req *rq, struct actbuf *a);
void tcewin_report(struct tcewin *w, struct strat_pressure *p);

/* Writing @n TCEs (prepopulation, builds) and clearing them, as the kernel issues the calls. */
void tce_emit_build(struct actbuf *a, uint64_t n, int indirect, unsigned max_per_call);
void tce_emit_clear(struct actbuf *a, uint64_t n, int stuff, unsigned max_per_call);
/* Boot: iommu_table_clear() of every default window and VIO table the machine has. */
void tce_emit_boot_clear(const struct scenario *sc, struct actbuf *a);

#endif
