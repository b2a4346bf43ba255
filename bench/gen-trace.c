/*
 * gen-trace.c: writes a large synthetic trace for the reader benchmarks.
 *
 *   gen-trace native OUT NEVENTS     native format (through the library's writer)
 *   gen-trace ftrace OUT NEVENTS     `cat trace` text
 *   gen-trace live OUT NMAPS         `cat trace` text: NMAPS maps, then their NMAPS unmaps
 *                                    (NMAPS mappings live at once: the memory soak)
 *
 * The mix imitates a pseries guest in the 32-bit window: per I/O a map (or a 16-entry map_sg),
 * the TCE hypercall entry/exit it causes, then the unmap and its H_STUFF_TCE, on 2 CPUs, with
 * 64 mappings live at a time. Deterministic.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"
#include "reader.h"

struct gen {
	FILE *txt;
	struct ism_writer *w;
	uint64_t n, max;
};

static const char *devs[] = { NULL, "0000:00:01.0", "0000:00:02.0" };

static void emit(struct gen *g, const struct ism_event *ev)
{
	if (g->n >= g->max)
		return;
	g->n++;
	if (g->w) {
		writer_write(g->w, ev, devs[ev->dev]);
		return;
	}
	fprintf(g->txt, "              dd-%-5u  [%03u] d.... %5" PRIu64 ".%06" PRIu64 ": ",
		200u + ev->cpu, ev->cpu, ev->ts_ns / 1000000000u, ev->ts_ns / 1000u % 1000000u);
	switch (ev->kind) {
	case ISM_EV_MAP:
		fprintf(g->txt, "dma_map_page: %s dir=%s dma_addr=%" PRIx64 " size=%" PRIu64
			" phys_addr=%" PRIx64 " attrs=\n", devs[ev->dev], ism_dir_name(ev->dir),
			ev->addr, ev->size, ev->paddr);
		break;
	case ISM_EV_UNMAP:
		fprintf(g->txt, "dma_unmap_page: %s dir=%s dma_addr=%" PRIx64 " size=%" PRIu64
			" attrs=\n", devs[ev->dev], ism_dir_name(ev->dir), ev->addr, ev->size);
		break;
	case ISM_EV_HCALL_ENTRY:
		fprintf(g->txt, "hcall_entry: opcode=%" PRIu64 "\n", ev->opcode);
		break;
	case ISM_EV_HCALL_EXIT:
		fprintf(g->txt, "hcall_exit: opcode=%" PRIu64 " retval=0\n", ev->opcode);
		break;
	case ISM_EV_MAP_SG:
		fprintf(g->txt, "dma_map_sg: %s dir=%s dma_addrs={", devs[ev->dev],
			ism_dir_name(ev->dir));
		for (uint32_t i = 0; i < ev->nsg; i++)
			fprintf(g->txt, "%s0x%" PRIx64, i ? "," : "", ev->sg[i].dma);
		fputs("} sizes={", g->txt);
		for (uint32_t i = 0; i < ev->nsg; i++)
			fprintf(g->txt, "%s0x%x", i ? "," : "", ev->sg[i].len);
		fputs("} phys_addrs={", g->txt);
		for (uint32_t i = 0; i < ev->nsg; i++)
			fprintf(g->txt, "%s0x%" PRIx64, i ? "," : "", ev->sg[i].phys);
		fputs("} attrs=\n", g->txt);
		break;
	case ISM_EV_UNMAP_SG:
		fprintf(g->txt, "dma_unmap_sg: %s dir=%s phys_addrs={", devs[ev->dev],
			ism_dir_name(ev->dir));
		for (uint32_t i = 0; i < ev->nsg; i++)
			fprintf(g->txt, "%s0x%" PRIx64, i ? "," : "", ev->sg[i].phys);
		fputs("} attrs=\n", g->txt);
		break;
	default:
		break;
	}
}

static void hcall(struct gen *g, uint64_t *ts, unsigned cpu, uint64_t op)
{
	struct ism_event ev = { .cpu = (uint16_t)cpu, .dir = ISM_DIR_UNKNOWN };

	ev.kind = ISM_EV_HCALL_ENTRY;
	ev.ts_ns = *ts += 700;
	ev.opcode = op;
	emit(g, &ev);
	ev.kind = ISM_EV_HCALL_EXIT;
	ev.ts_ns = *ts += 1900;
	emit(g, &ev);
}

/*
 * @n maps of 4 KiB at distinct addresses, alternately on two devices and two CPUs, then
 * their unmaps in the same order: every mapping is live at the middle of the trace.
 */
static int gen_live(const char *out, uint64_t n)
{
	struct gen g = { .max = 2 * n };
	uint64_t ts = 1000000000ull;

	g.txt = fopen(out, "w");
	if (!g.txt) {
		perror(out);
		return 1;
	}
	fputs("# tracer: nop\n#\n", g.txt);
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = 0; i < n; i++) {
			struct ism_event ev = { .cpu = (uint16_t)(i & 1), .dev = (uint16_t)(1 + (i & 1)),
						.dir = ISM_DIR_TO_DEVICE, .size = 4096 };

			ev.kind = pass ? ISM_EV_UNMAP : ISM_EV_MAP;
			ev.addr = 0x10000ull + i * 4096;
			ev.paddr = pass ? 0 : 0x100000000ull + i * 4096;
			ev.ts_ns = ts += 1000;
			emit(&g, &ev);
		}
	if (fclose(g.txt) != 0) {
		perror(out);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct gen g = { 0 };
	uint64_t ts = 1000000000ull;
	struct ism_sge sg[16];
	char *cause = NULL;

	if (argc != 4 || (strcmp(argv[1], "native") && strcmp(argv[1], "ftrace") &&
			  strcmp(argv[1], "live"))) {
		fprintf(stderr, "usage: gen-trace native|ftrace|live OUT NEVENTS\n");
		return 2;
	}
	g.max = strtoull(argv[3], NULL, 10);
	if (strcmp(argv[1], "live") == 0)
		return gen_live(argv[2], g.max);
	if (strcmp(argv[1], "native") == 0) {
		if (writer_open(argv[2], NULL, &g.w, &cause) < 0) {
			fprintf(stderr, "gen-trace: %s\n", cause);
			return 1;
		}
		writer_add_prov(g.w, "generator", "bench/gen-trace");
	} else {
		g.txt = fopen(argv[2], "w");
		if (!g.txt) {
			perror(argv[2]);
			return 1;
		}
		fputs("# tracer: nop\n#\n", g.txt);
	}
	for (uint64_t io = 0; g.n < g.max; io++) {
		unsigned cpu = (unsigned)(io & 1);
		uint64_t slot = io % 4096;
		uint64_t dma = 0x10000ull + slot * 0x10000ull, phys = 0x2000000ull + (io % 65536) * 4096;
		struct ism_event ev = { .cpu = (uint16_t)cpu, .dev = (uint16_t)(1 + (io % 3 == 0)) };

		ev.dir = (uint8_t)(io & 2 ? ISM_DIR_TO_DEVICE : ISM_DIR_FROM_DEVICE);
		if (io % 8 == 7) {
			ev.kind = ISM_EV_MAP_SG;
			for (int i = 0; i < 16; i++) {
				sg[i].phys = phys + (uint64_t)i * 8192;
				sg[i].dma = dma + (uint64_t)i * 4096;
				sg[i].len = 4096;
				sg[i].flags = ISM_SGE_PHYS | ISM_SGE_DMA;
			}
			ev.sg = sg;
			ev.nsg = ev.nents = ev.ents = 16;
			ev.size = 65536;
			hcall(&g, &ts, cpu, 0x13c);
			ev.ts_ns = ts += 300;
			emit(&g, &ev);
			ev.kind = ISM_EV_UNMAP_SG;
			for (int i = 0; i < 16; i++)
				sg[i].flags = ISM_SGE_PHYS;
			ev.ents = 0;
			ev.size = 0;
			hcall(&g, &ts, cpu, 0x138);
			ev.ts_ns = ts += 5000;
			emit(&g, &ev);
			continue;
		}
		ev.kind = ISM_EV_MAP;
		ev.addr = dma;
		ev.paddr = phys;
		ev.size = 4096;
		hcall(&g, &ts, cpu, 0x20);
		ev.ts_ns = ts += 300;
		emit(&g, &ev);
		ev.kind = ISM_EV_UNMAP;
		ev.paddr = 0;
		hcall(&g, &ts, cpu, 0x138);
		ev.ts_ns = ts += 4000;
		emit(&g, &ev);
	}
	if (g.w && writer_close(g.w, &cause) < 0) {
		fprintf(stderr, "gen-trace: %s\n", cause);
		return 1;
	}
	if (g.txt && fclose(g.txt) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
