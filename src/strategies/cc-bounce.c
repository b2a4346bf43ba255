/*
 * cc-bounce.c: bouncing through a swiotlb pool for the per-mapping strategies (cc-bounce.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc-bounce.h"
#include "error.h"
#include "resource.h"
#include "util.h"

void cc_pieces_add(struct cc_pieces *l, uint64_t addr, uint64_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 2;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].addr = addr;
	l->v[l->n].len = len;
	l->n++;
}

int cc_bounce_init(struct cc_bounce *b, struct strat *s, uint64_t pool_bytes, char **cause)
{
	const struct scenario_machine *m = &s->sc->machine;
	struct swiotlb_mem_config cfg;

	memset(b, 0, sizeof(*b));
	memset(&cfg, 0, sizeof(cfg));
	b->page_shift = 63u - (unsigned)__builtin_clzll(m->page_bytes);
	cfg.nslabs = pool_bytes >> SWIOTLB_SLOT_SHIFT;
	cfg.nareas = (unsigned)m->swiotlb_areas;
	cfg.ncpus = (unsigned)m->cpus;
	cfg.base = m->ram_bytes > pool_bytes ? (m->ram_bytes - pool_bytes) & ~0xfffffull : 0;
	cfg.dynamic = m->swiotlb_dynamic;
	cfg.can_grow = m->swiotlb_dynamic;
	cfg.page_shift = b->page_shift;
	if (swiotlb_mem_init(&b->mem, &cfg) < 0) {
		*cause = xasprintf("%s: cannot model a swiotlb pool of %llu bytes with %llu areas",
				   s->ops->name, (unsigned long long)pool_bytes,
				   (unsigned long long)m->swiotlb_areas);
		return -ISM_ERANGE;
	}
	b->boundary = 0xffffffffull; /* PCI default segment boundary */
	b->min_align = m->min_align_mask;
	b->nres = b->mem.defpool.nareas;
	b->res_area = xcalloc(b->nres, sizeof(*b->res_area));
	for (unsigned i = 0; i < b->nres; i++) {
		char n[48];

		snprintf(n, sizeof(n), "swiotlb area %u lock", i);
		b->res_area[i] = sim_resource(s->sim, n);
	}
	return 0;
}

void cc_bounce_free(struct cc_bounce *b)
{
	swiotlb_mem_free(&b->mem);
	free(b->res_area);
	b->res_area = NULL;
}

uint64_t cc_bounce_pool_pages(const struct cc_bounce *b)
{
	return (b->mem.defpool.nslabs << SWIOTLB_SLOT_SHIFT) >> b->page_shift;
}

int cc_bounce_take(struct cc_bounce *b, unsigned cpu, uint64_t phys, uint64_t size,
		   uint64_t align_mask, int copy, struct cc_pieces *out, struct actbuf *a)
{
	uint64_t maxsz = swiotlb_max_mapping_size(b->min_align), off = 0;
	unsigned first = out->n;
	uint16_t res = b->res_area[cpu & (b->nres - 1)];

	/* more than every slot of the pools holds at once fails however it is split */
	if (size > b->mem.nslabs << SWIOTLB_SLOT_SHIFT) {
		b->failures++;
		return -1;
	}
	if (size > maxsz)
		b->splits++;
	do {
		uint64_t len = size - off > maxsz ? maxsz : size - off;
		uint64_t slots = b->mem.slots_searched, areas = b->mem.areas_searched, tlb;
		enum swiotlb_map_kind kind;

		tlb = swiotlb_mem_map(&b->mem, phys + off, len ? len : 1, b->min_align, align_mask,
				      b->boundary, cpu, &kind);
		act_add(a, ACT_LOCK, 0, b->mem.areas_searched - areas, 0, res);
		act_add(a, ACT_SLOT_SEARCH, 0, 0, b->mem.slots_searched - slots, res);
		if (tlb == SWIOTLB_FAIL) {
			while (out->n > first)
				swiotlb_mem_unmap(&b->mem, out->v[--out->n].addr);
			b->failures++;
			return -1;
		}
		cc_pieces_add(out, tlb, len);
		if (copy) {
			act_add(a, ACT_COPY, 0, 1, len, 0);
			b->copied_bytes += len;
			b->bounces++;
			b->bounced_bytes += len;
		}
		off += len;
	} while (off < size);
	return 0;
}

void cc_bounce_release(struct cc_bounce *b, unsigned cpu, const struct cc_piece *pc,
		       int copy_back, struct actbuf *a)
{
	if (copy_back) {
		act_add(a, ACT_COPY, 0, 1, pc->len, 0);
		b->copied_bytes += pc->len;
	}
	act_add(a, ACT_LOCK, 0, 1, 0, b->res_area[cpu & (b->nres - 1)]);
	swiotlb_mem_unmap(&b->mem, pc->addr);
}

int cc_bounce_copies_back(uint8_t dir, uint32_t attrs)
{
	return (dir == ISM_DIR_FROM_DEVICE || dir == ISM_DIR_BIDIRECTIONAL) &&
	       !(attrs & ISM_ATTR_SKIP_CPU_SYNC);
}

void cc_bounce_sync(struct cc_bounce *b, uint64_t bytes, unsigned segs, struct actbuf *a)
{
	act_add(a, ACT_COPY, 0, segs ? segs : 1, bytes, 0);
	b->copied_bytes += bytes;
}

uint64_t cc_bounce_worker(struct cc_bounce *b)
{
	struct swiotlb_pool *np;

	if (!b->mem.grow_pending || !swiotlb_mem_run_worker(&b->mem))
		return 0;
	np = b->mem.pools[b->mem.npools - 1];
	return (np->nslabs << SWIOTLB_SLOT_SHIFT) >> b->page_shift;
}

void cc_bounce_report(const struct cc_bounce *b, struct strat_pressure *pr)
{
	pr->pool_slots = b->mem.nslabs;
	pr->pool_bytes = b->mem.nslabs << SWIOTLB_SLOT_SHIFT;
	pr->pool_peak = b->mem.hiwater;
	pr->pool_used = b->mem.used;
	pr->pool_failures = b->failures;
	pr->bounces = b->bounces;
	pr->bounced_bytes = b->bounced_bytes;
	pr->copied_bytes = b->copied_bytes;
	pr->pool_splits = b->splits;
}
