/*
 * allocbench.c: the cost of one map in the TCE and swiotlb allocator models as the window fills.
 *
 *   allocbench tce|swiotlb LIVE [MAPS]    steady churn with LIVE mappings live: MAPS times,
 *                                         unmap a random live mapping and map a new one
 *   allocbench tce|swiotlb full [MAPS]    the window full: MAPS maps that fail
 *   allocbench tce|swiotlb holes [MAPS]   the window full but every 20th entry/slot free
 *                                         (single holes): MAPS two-entry maps that fail
 *
 * tce: a 4 GiB 32-bit window of 4 KiB TCEs at bus address 0 (2^20 entries, 4 pools and the
 * large pool), one-TCE maps from 8 CPUs through the DMA API path (64-bit mask, 4 GiB segment
 * boundary, 4 KiB kernel pages). swiotlb: a 2 GiB pool (2^20 slots of 2 KiB, 8 areas), 2 KiB
 * maps from 8 CPUs (4 KiB ones, page aligned, for "holes"), the PCI segment boundary.
 *
 * Prints one line: what, live mappings, maps timed, CPU ns per map (the fill is not timed), and
 * a checksum of every address returned, so that two builds can be checked to agree.
 * Not a test: `make bench` runs it. Deterministic.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc-swiotlb.h"
#include "alloc-tce.h"

#define ENTRIES (1ull << 20)
#define NCPU 8
#define AHEAD 8

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One allocator behind a map/unmap pair that returns an address or UINT64_MAX. */
struct alloc {
	struct tce_table t;
	struct tce_dev dev;
	struct swiotlb_mem m;
	int swiotlb;
};

static void alloc_init(struct alloc *a, int swiotlb)
{
	memset(a, 0, sizeof(*a));
	a->swiotlb = swiotlb;
	if (swiotlb) {
		struct swiotlb_mem_config cfg = { .nslabs = ENTRIES, .nareas = NCPU, .ncpus = NCPU,
						  .base = 4ull << 30, .page_shift = 12 };

		if (swiotlb_mem_init(&a->m, &cfg) < 0)
			abort();
		return;
	}
	if (tce_table_init(&a->t, ENTRIES, 0, 12) < 0)
		abort();
	a->dev.dma_mask = UINT64_MAX;
	a->dev.coherent_mask = UINT64_MAX;
	a->dev.seg_boundary = TCE_PCI_SEG_BOUNDARY;
	a->dev.max_seg_size = TCE_PCI_MAX_SEG_SIZE;
	a->dev.kernel_page_shift = 12;
}

static uint64_t amap(struct alloc *a, uint64_t *seed, uint64_t size)
{
	uint64_t x = rnd(seed), phys = (x & 0xfffffff) << 12;
	unsigned cpu = (unsigned)(x >> 40) % NCPU;
	enum swiotlb_map_kind kind;
	uint64_t r;

	if (a->swiotlb) {
		r = swiotlb_mem_map(&a->m, phys, size, 0, 0, 0xffffffffull, cpu, &kind);
		return r == SWIOTLB_FAIL ? UINT64_MAX : r;
	}
	r = tce_map_page(&a->t, &a->dev, cpu, phys, size, NULL, NULL);
	return r == TCE_ALLOC_FAIL ? UINT64_MAX : r;
}

static void aunmap(struct alloc *a, uint64_t addr, uint64_t size)
{
	if (a->swiotlb)
		swiotlb_mem_unmap(&a->m, addr);
	else
		tce_unmap_page(&a->t, addr, size);
}

/* Index of an address in the window (TCE entry or swiotlb slot). */
static uint64_t aindex(const struct alloc *a, uint64_t addr)
{
	return a->swiotlb ? (addr - a->m.defpool.base) >> SWIOTLB_SLOT_SHIFT : addr >> 12;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "", *mode = argc > 2 ? argv[2] : "";
	uint64_t maps = argc > 3 ? strtoull(argv[3], NULL, 0) : 1000000, live = 0, nlive = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull, sum = 0, fails = 0, small, *addr;
	struct alloc a;
	double t0, t1;
	int sw;

	if (argc < 3 || argc > 4 || (strcmp(what, "tce") && strcmp(what, "swiotlb"))) {
		fprintf(stderr, "usage: allocbench tce|swiotlb LIVE|full|holes [MAPS]\n");
		return 2;
	}
	sw = !strcmp(what, "swiotlb");
	small = sw ? 2048 : 4096;
	if (strcmp(mode, "full") && strcmp(mode, "holes")) {
		live = strtoull(mode, NULL, 0);
		if (!live || live >= ENTRIES) {
			fprintf(stderr, "allocbench: LIVE must be 1..%llu\n",
				(unsigned long long)ENTRIES - 1);
			return 2;
		}
	}
	alloc_init(&a, sw);
	addr = calloc(ENTRIES, sizeof(*addr));
	if (!addr)
		return 1;

	if (live) {
		/* fill to LIVE, then churn: each map replaces a random live mapping */
		for (; nlive < live; nlive++)
			if ((addr[nlive] = amap(&a, &seed, small)) == UINT64_MAX)
				return fprintf(stderr, "allocbench: window full at %llu\n",
					       (unsigned long long)nlive), 1;
		/* the live mappings to replace are drawn AHEAD maps ahead and prefetched, so that
		 * the figure is the allocator's and not this loop's cache misses */
		uint64_t ahead[AHEAD];

		for (unsigned j = 0; j < AHEAD; j++)
			ahead[j] = rnd(&seed) % nlive;
		t0 = cpu_now();
		for (uint64_t i = 0; i < maps; i++) {
			uint64_t k = ahead[i % AHEAD];

			ahead[i % AHEAD] = rnd(&seed) % nlive;
			__builtin_prefetch(&addr[ahead[i % AHEAD]], 1);
			aunmap(&a, addr[k], small);
			addr[k] = amap(&a, &seed, small);
			if (addr[k] == UINT64_MAX)
				return fprintf(stderr, "allocbench: map failed at %llu live\n",
					       (unsigned long long)nlive), 1;
			sum = sum * 31 + addr[k];
		}
		t1 = cpu_now();
	} else {
		/* fill to the brim (every entry/slot of the window) */
		while (nlive < ENTRIES && (addr[nlive] = amap(&a, &seed, small)) != UINT64_MAX)
			nlive++;
		if (!strcmp(mode, "holes")) {
			uint64_t j = 0;

			for (uint64_t i = 0; i < nlive; i++) {
				if (aindex(&a, addr[i]) % 20 == 0)
					aunmap(&a, addr[i], small);
				else
					addr[j++] = addr[i];
			}
			nlive = j;
		}
		t0 = cpu_now();
		for (uint64_t i = 0; i < maps; i++) {
			uint64_t r = amap(&a, &seed, mode[0] == 'h' ? 2 * small : small);

			if (r == UINT64_MAX)
				fails++;
			else
				aunmap(&a, r, mode[0] == 'h' ? 2 * small : small);
			sum = sum * 31 + r;
		}
		t1 = cpu_now();
	}
	printf("%-8s %-6s live=%-8" PRIu64 " maps=%-8" PRIu64 " failed=%-8" PRIu64
	       " ns_per_map=%.1f check=%016" PRIx64 "\n", what, live ? "churn" : mode, nlive, maps,
	       fails, (t1 - t0) * 1e9 / (double)maps, sum);
	free(addr);
	return 0;
}
