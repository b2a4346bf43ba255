/*
 * cc-bounce.h: bouncing through a swiotlb pool as dma-direct does in a confidential or
 * protected guest (swiotlb_tbl_map_single / swiotlb_tbl_unmap_single, DOMAIN.md 1.4), for the
 * strategies that decide per mapping whether to bounce (cc-shared, pkvm-guest). The pool is
 * alloc-swiotlb.c's model; this file adds what a strategy does around it: the area locks as
 * shared resources, the copies, the chunking of maps over swiotlb_max_mapping_size() (as the
 * swiotlb strategy does: a forced swiotlb caps the block drivers' requests at that size), the
 * CONFIG_SWIOTLB_DYNAMIC worker, and the pool figures of the report.
 */
#ifndef ISM_CC_BOUNCE_H
#define ISM_CC_BOUNCE_H

#include <stdint.h>

#include "alloc-swiotlb.h"
#include "strategy.h"

/* One piece of a mapping: a slot run in the pool, or a page range converted / shared. */
struct cc_piece {
	uint64_t addr;   /* bounce address (pool), or first page number (conversion) */
	uint64_t len;    /* bytes (pool), or pages (conversion) */
};

/* A growing list of pieces (one mapping's). */
struct cc_pieces {
	struct cc_piece *v;
	unsigned n, cap;
};
void cc_pieces_add(struct cc_pieces *l, uint64_t addr, uint64_t len);

struct cc_bounce {
	struct swiotlb_mem mem;
	unsigned page_shift;
	uint64_t min_align, boundary;
	uint16_t *res_area;
	unsigned nres;
	uint64_t bounces, bounced_bytes, copied_bytes, failures, splits;
};

/*
 * Set up a pool of @pool_bytes at the top of RAM (as the swiotlb strategy places it), with the
 * scenario's areas, CPUs, min_align_mask and CONFIG_SWIOTLB_DYNAMIC; the area locks are
 * resources of @s's simulator. Returns 0 or -ISM_ERANGE with *@cause.
 */
int cc_bounce_init(struct cc_bounce *b, struct strat *s, uint64_t pool_bytes, char **cause);
void cc_bounce_free(struct cc_bounce *b);
/* Pages of the default pool (what is shared with the hypervisor at boot). */
uint64_t cc_bounce_pool_pages(const struct cc_bounce *b);

/*
 * Take slots for [phys, phys + size) in chunks of at most swiotlb_max_mapping_size(), appended
 * to @out; @align_mask is swiotlb's alloc_align_mask (0 for streaming maps); @copy: the buffer
 * is copied in (swiotlb_tbl_map_single() always bounces to the device). Returns 0, or -1 when
 * the pool has no room (the chunks taken are released; counted in failures).
 */
int cc_bounce_take(struct cc_bounce *b, unsigned cpu, uint64_t phys, uint64_t size,
		   uint64_t align_mask, int copy, struct cc_pieces *out, struct actbuf *a);
/* Release one piece; @copy_back: the slot is copied back to the buffer first. */
void cc_bounce_release(struct cc_bounce *b, unsigned cpu, const struct cc_piece *pc,
		       int copy_back, struct actbuf *a);
/* Whether an unmap or sync_for_cpu of direction @dir copies back (FROM_DEVICE/BIDI). */
int cc_bounce_copies_back(uint8_t dir, uint32_t attrs);
/* A sync of @bytes: a copy of them (the caller decides the direction). */
void cc_bounce_sync(struct cc_bounce *b, uint64_t bytes, unsigned segs, struct actbuf *a);
/*
 * Run the CONFIG_SWIOTLB_DYNAMIC worker if a pool was asked for: returns the pages of the pool
 * it added (to be shared by the caller), else 0.
 */
uint64_t cc_bounce_worker(struct cc_bounce *b);
/* The pool figures (slots, peak, failures, bounces, copies) into @pr. */
void cc_bounce_report(const struct cc_bounce *b, struct strat_pressure *pr);

#endif
