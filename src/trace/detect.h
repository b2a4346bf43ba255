/*
 * detect.h: which DMA-mapping strategy a trace was recorded under, read from the trace itself.
 *
 * Evidence, in the order it is weighed (the rules are in iommusim(1), RECORDED STRATEGY):
 *   - iommu:map / iommu:unmap events next to the DMA events: Linux dma-iommu (iommu-dma); an
 *     IOTLB invalidation per unmap (iotlb_sync, cache_tag_flush_range, qi_submit iotlb_inv)
 *     makes it strict, whole-domain flushes (flush_iotlb_all, cache_tag_flush_all) lazy;
 *   - TCE hypercalls on the CPU of a map, between its previous DMA event and it: the 32-bit
 *     window (H_PUT_TCE_INDIRECT for multi-page maps: window32 = indirect-tce) or H_PUT_TCE
 *     only, with H_PUT_TCE(0) unmaps (multitce=off: direct-tce);
 *   - maps with no hypercall whose DMA address is the physical address plus one constant
 *     offset at or above 4 GiB: a direct DDW (ddw; the offset is the window base);
 *   - swiotlb_bounced events: a bounce layer over the translation seen (swiotlb+...);
 *   - none of these, DMA address = physical address: passthrough (dma-direct).
 * The IOMMU page size shows as the largest power of two (4 KiB .. 16 MiB) whose offset bits
 * agree between the DMA and the physical address in every translated map.
 * Memory is constant: counters only.
 */
#ifndef ISM_DETECT_H
#define ISM_DETECT_H

#include <stdint.h>

#include "event.h"

struct detect_cpu {
	uint64_t tce[3];          /* TCE hcalls (PUT, INDIRECT, STUFF) since the CPU's last DMA event */
	uint64_t put_zero;        /* of the H_PUT_TCE: with a zero TCE (a clear), when args are known */
};

struct detect {
	struct detect_cpu cpu[256];
	uint64_t maps, maps_tce, maps_indirect, maps_put_multi; /* maps; with TCE hcalls; ... */
	uint64_t unmaps, unmaps_stuff, unmaps_put;
	uint64_t maps_nohcall_offset;  /* maps without hcalls whose dma - phys is the offset */
	uint64_t maps_identity;        /* dma == phys */
	uint64_t maps_nohcall_high;    /* maps without hcalls at a DMA address >= 4 GiB */
	uint64_t iommu_maps, iommu_unmaps;
	uint64_t inval_per_unmap;      /* iotlb_sync, cache_tag_flush_range, qi_submit iotlb_inv */
	uint64_t inval_all;            /* flush_iotlb_all, cache_tag_flush_all */
	uint64_t bounces, hcalls;
	uint64_t offset;               /* first dma - phys seen at or above 4 GiB */
	int have_offset, offset_conflict;
	uint64_t page_mask;            /* bits where dma and phys disagreed in translated maps */
	uint64_t first_ts;
	int have_first;
};

struct detect_result {
	char spec[48];                 /* a strategy spec; "" when nothing fits */
	char why[200];                 /* the evidence, one line */
	uint64_t page_bytes;           /* IOMMU page size seen, 0 = not visible */
	uint64_t first_ts_ns;          /* timestamp of the trace's first event */
};

void detect_init(struct detect *d);
void detect_event(struct detect *d, const struct ism_event *ev);
struct reader;
/* @r (may be NULL): the reader, for the events it skipped and counted by name. */
void detect_finish(const struct detect *d, const struct reader *r, struct detect_result *out);
/* Read @trace once (@format NULL = detect the format). Returns 0 or -ISM_E* with *@cause. */
int detect_trace(const char *trace, const char *format, struct detect_result *out, char **cause);

#endif
