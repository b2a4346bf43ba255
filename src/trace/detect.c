/*
 * detect.c: the recorded strategy, read from the trace (rules in detect.h and iommusim(1)).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "error.h"
#include "reader.h"
#include "ops.h"
#include "util.h"

#define GiB4 (UINT64_C(1) << 32)

void detect_init(struct detect *d)
{
	memset(d, 0, sizeof(*d));
}

static int tce_k(uint64_t op)
{
	return op == H_PUT_TCE ? 0 : op == H_PUT_TCE_INDIRECT ? 1 : op == H_STUFF_TCE ? 2 : -1;
}

static void translated(struct detect *d, uint64_t dma, uint64_t phys)
{
	d->page_mask |= dma ^ phys;
}

void detect_event(struct detect *d, const struct ism_event *ev)
{
	struct detect_cpu *c = &d->cpu[ev->cpu % 256];
	int k;

	if (!d->have_first) {
		d->have_first = 1;
		d->first_ts = ev->ts_ns;
	}
	switch (ev->kind) {
	case ISM_EV_HCALL_ENTRY:
		d->hcalls++;
		k = tce_k(ev->opcode);
		if (k >= 0)
			c->tce[k]++;
		if (k == 0 && (ev->flags & ISM_EF_HCALL_ARGS) && ev->arg == 0)
			c->put_zero++;
		return;
	case ISM_EV_BOUNCE:
		d->bounces++;
		return;
	case ISM_EV_IOMMU_MAP:
		d->iommu_maps++;
		return;
	case ISM_EV_IOMMU_UNMAP:
		d->iommu_unmaps++;
		return;
	case ISM_EV_IOTLB_INV:
		if (ev->arg == ISM_INV_RANGE)
			d->inval_per_unmap++;
		else if (ev->arg == ISM_INV_ALL)
			d->inval_all++;
		return;
	case ISM_EV_MAP:
	case ISM_EV_MAP_SG: {
		uint64_t dma = ev->addr, phys = ev->paddr;

		if (ev->kind == ISM_EV_MAP_SG) {
			if (!ev->nsg || !(ev->sg[0].flags & ISM_SGE_DMA) ||
			    !(ev->sg[0].flags & ISM_SGE_PHYS))
				break;
			dma = ev->sg[0].dma;
			phys = ev->sg[0].phys;
		}
		if (ev->flags & ISM_EF_MMIO)
			break;
		d->maps++;
		if (c->tce[0] || c->tce[1]) {
			d->maps_tce++;
			if (c->tce[1])
				d->maps_indirect++;
			else if (c->tce[0] > 1)
				d->maps_put_multi++;
			translated(d, dma, phys);
		} else if (dma == phys) {
			d->maps_identity++;
		} else if (dma >= GiB4) {
			d->maps_nohcall_high++;
		}
		if (!c->tce[0] && !c->tce[1] && dma != phys && dma >= GiB4 && dma > phys) {
			if (!d->have_offset) {
				d->have_offset = 1;
				d->offset = dma - phys;
			} else if (dma - phys != d->offset) {
				d->offset_conflict = 1;
			}
			if (dma - phys == d->offset)
				d->maps_nohcall_offset++;
		} else if (!d->hcalls) {
			/* hypercalls not traced: a translation below 4 GiB all the same */
			translated(d, dma, phys);
		}
		break;
	}
	case ISM_EV_UNMAP:
	case ISM_EV_UNMAP_SG:
		d->unmaps++;
		/* an unmap's hcalls precede its event (an unmap_sg's follow it: next event) */
		if (c->tce[2])
			d->unmaps_stuff++;
		else if (c->tce[0])
			d->unmaps_put++;
		break;
	default:
		return;
	}
	memset(c->tce, 0, sizeof(c->tce));
	c->put_zero = 0;
}

static uint64_t page_from_mask(uint64_t mask)
{
	uint64_t p = 4096;

	/* the largest power of two whose offset bits never disagreed, 4 KiB .. 16 MiB */
	while (p < (UINT64_C(16) << 20) && !(mask & p))
		p <<= 1;
	return p;
}

/*
 * Events a reader skips but counts by name: the IOMMU drivers' invalidations, from readers that
 * do not yield them as IOTLB_INV events (trace.dat).
 */
static void skipped_counts(struct detect *d, const struct reader *r)
{
	static const char *const per_unmap[] = { "iotlb_sync", "cache_tag_flush_range", NULL };
	static const char *const all[] = { "flush_iotlb_all", "cache_tag_flush_all", NULL };

	for (unsigned i = 1; r && i < r->unknown_cap && i <= r->unknown.n; i++) {
		const char *n = devtab_name(&r->unknown, (int)i);

		for (unsigned k = 0; per_unmap[k]; k++)
			if (!strcmp(n, per_unmap[k]))
				d->inval_per_unmap += r->unknown_count[i];
		for (unsigned k = 0; all[k]; k++)
			if (!strcmp(n, all[k]))
				d->inval_all += r->unknown_count[i];
	}
}

void detect_finish(const struct detect *d0, const struct reader *r, struct detect_result *out)
{
	struct detect dd = *d0, *d = &dd;
	const char *xlate = NULL, *bounce = d->bounces ? "swiotlb+" : "";
	char why[160];

	skipped_counts(d, r);
	memset(out, 0, sizeof(*out));
	out->first_ts_ns = d->first_ts;
	why[0] = 0;
	if (d->iommu_maps) {
		const char *v = d->inval_per_unmap * 2 >= d->unmaps && d->unmaps ? "strict" :
				d->inval_all ? "lazy" : "strict";

		snprintf(out->spec, sizeof(out->spec), "iommu-dma:%s", v);
		snprintf(out->why, sizeof(out->why),
			 "%" PRIu64 " iommu:map events; %" PRIu64 " per-unmap IOTLB invalidations, %"
			 PRIu64 " whole-domain flushes for %" PRIu64 " unmaps%s", d->iommu_maps,
			 d->inval_per_unmap, d->inval_all, d->unmaps,
			 d->inval_per_unmap || d->inval_all ? "" : " (invalidations not traced)");
		out->page_bytes = 4096;
		return;
	}
	if (d->maps_tce && d->maps_tce * 2 >= d->maps) {
		if (d->maps_indirect || (!d->maps_put_multi && d->unmaps_stuff >= d->unmaps_put)) {
			xlate = "window32";
			snprintf(why, sizeof(why), "%" PRIu64 " of %" PRIu64 " maps made TCE hcalls (%"
				 PRIu64 " with H_PUT_TCE_INDIRECT), %" PRIu64 " unmaps H_STUFF_TCE",
				 d->maps_tce, d->maps, d->maps_indirect, d->unmaps_stuff);
		} else {
			xlate = "direct-tce";
			snprintf(why, sizeof(why), "%" PRIu64 " of %" PRIu64 " maps made TCE hcalls, "
				 "only H_PUT_TCE (%" PRIu64 " multi-page), %" PRIu64 " unmaps H_PUT_TCE",
				 d->maps_tce, d->maps, d->maps_put_multi, d->unmaps_put);
		}
		out->page_bytes = page_from_mask(d->page_mask);
	} else if (d->bounces && d->maps_nohcall_high * 2 >= d->maps) {
		xlate = "ddw";
		snprintf(why, sizeof(why), "%" PRIu64 " of %" PRIu64 " maps without hcalls at DMA "
			 "addresses above 4 GiB (a direct DDW)", d->maps_nohcall_high, d->maps);
	} else if (d->bounces) {
		xlate = "";
		snprintf(why, sizeof(why), "%" PRIu64 " maps, no TCE hcall, DMA addresses below "
			 "4 GiB", d->maps);
	} else if (d->maps_nohcall_offset && d->maps_nohcall_offset * 2 >= d->maps) {
		xlate = "ddw";
		snprintf(why, sizeof(why), "%" PRIu64 " of %" PRIu64 " maps without hcalls at dma = "
			 "phys + 0x%" PRIx64 " (a direct DDW)%s", d->maps_nohcall_offset, d->maps,
			 d->offset, d->offset_conflict ? ", other offsets too" : "");
	} else if (d->maps && !d->hcalls && d->maps_identity * 2 < d->maps) {
		xlate = "window32";
		snprintf(why, sizeof(why), "%" PRIu64 " maps translated below 4 GiB, hcalls not "
			 "traced", d->maps - d->maps_identity);
		out->page_bytes = page_from_mask(d->page_mask);
	} else if (d->maps) {
		xlate = d->bounces ? "" : "passthrough";
		snprintf(why, sizeof(why), "%" PRIu64 " of %" PRIu64 " maps at dma = phys, no TCE "
			 "hcall", d->maps_identity, d->maps);
	}
	if (!xlate) {
		/* nothing to tell strategies apart: they all replay the same */
		snprintf(out->spec, sizeof(out->spec), "passthrough");
		snprintf(out->why, sizeof(out->why), "no DMA map in the trace");
		return;
	}
	if (*bounce && !*xlate)
		snprintf(out->spec, sizeof(out->spec), "swiotlb");
	else
		snprintf(out->spec, sizeof(out->spec), "%s%s", bounce, xlate);
	snprintf(out->why, sizeof(out->why), "%s%s", why,
		 d->bounces ? "; swiotlb_bounced events" : "");
	if (d->bounces) {
		size_t l = strlen(out->why);

		snprintf(out->why + l, sizeof(out->why) - l, " (%" PRIu64 ")", d->bounces);
	}
}

int detect_trace(const char *trace, const char *format, struct detect_result *out, char **cause)
{
	struct reader *r;
	struct ism_event ev;
	struct detect *d;
	int ret;

	ret = reader_open(trace, format, &r, cause);
	if (ret < 0)
		return ret;
	d = xcalloc(1, sizeof(*d));
	while ((ret = reader_next(r, &ev)) > 0)
		detect_event(d, &ev);
	if (ret < 0) {
		*cause = xstrdup(reader_error(r));
		reader_close(r);
		free(d);
		return ret;
	}
	detect_finish(d, r, out);
	free(d);
	reader_close(r);
	return 0;
}
