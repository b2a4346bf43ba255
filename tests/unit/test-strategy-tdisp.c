/*
 * test-strategy-tdisp.c: the tdisp strategy (strategy-tdisp.c) on hand-written event sequences,
 * worked from DOMAIN.md 5.3 and seed 002: T=1 maps through the trusted IOMMU (iommu-dma:strict)
 * with no copy and nothing shared; T=0 bounces through the pool shared at boot and shares coherent
 * buffers; the T=0 -> T=1 switch at a marker counts the mappings live across it, redoes them (T=0
 * unmap with its copy back, T=1 map) or leaves them broken (their unmaps stay T=0 unmaps).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "strat-fixture.h"
#include "scenario.h"
#include "sim.h"
#include "strategy.h"

static int map_dir(struct fix *f, uint64_t phys, uint64_t size, uint8_t dir)
{
	struct dma_req rq = { .dev = 1, .dir = dir, .key = phys, .phys = phys, .size = size };

	actbuf_reset(&f->ab);
	return f->s->ops->map(f->s, &rq, &f->ab);
}

static int map(struct fix *f, uint64_t phys, uint64_t size)
{
	return map_dir(f, phys, size, ISM_DIR_FROM_DEVICE);
}

static void unmap_dir(struct fix *f, uint64_t phys, uint8_t dir)
{
	struct dma_req rq = { .dev = 1, .dir = dir, .key = phys };

	actbuf_reset(&f->ab);
	f->s->ops->unmap(f->s, &rq, &f->ab);
}

static void unmap(struct fix *f, uint64_t phys)
{
	unmap_dir(f, phys, ISM_DIR_FROM_DEVICE);
}

/* A trace_marker with @text. */
static void marker(struct fix *f, const char *text)
{
	struct dma_req rq = { .cpu = 0, .ts_ns = 1000000 };

	actbuf_reset(&f->ab);
	f->s->ops->marker(f->s, &rq, text, &f->ab);
}

static void setup(struct fix *f)
{
	actbuf_reset(&f->ab);
	f->s->ops->setup(f->s, &f->ab);
}

/* T=1: no copy, nothing shared, the guest's IOMMU map and one invalidation per unmap */
Test(tdisp, t1_no_bounce)
{
	struct fix f;

	fix_new(&f, "tdisp");
	cr_expect_str_eq(f.s->variant, "t1");
	setup(&f);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 1), 0, "no pool is shared");
	cr_assert_eq(map(&f, 0x100000, 8 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 0), 0);
	cr_expect_gt(sum(&f.ab, ACT_GUEST_PAGES, 0, 1), 0, "page-table entries written");
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_SYNC, 0), 1, "strict: one sync per unmap");
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 0), 0);
	cr_assert_eq(alloc(&f, 0x7ff00000, 16 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 1), 0, "a private coherent buffer");
	cr_expect_eq(stat(&f, "t1_maps"), 2);
	cr_expect_eq(stat(&f, "exposed_bytes"), 0);
	fix_free(&f);
}

/* T=0: the pool shared at boot, every map bounced and exposed, coherent buffers shared */
Test(tdisp, t0_bounce_exposed)
{
	struct fix f;

	fix_new(&f, "tdisp:t0");
	setup(&f);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 64 * 1024 / 4, "64 MiB pool");
	cr_assert_eq(map(&f, 0x100000, 6 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 6 * KIB, "copied in");
	cr_expect_eq(sum(&f.ab, ACT_INVAL, 0, 0), 0);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 6 * KIB, "copied back (FROM_DEVICE)");
	cr_assert_eq(alloc(&f, 0x7ff00000, 6 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 2, "two pages converted");
	cr_expect_eq(f.ab.a[f.ab.n - 1].outside, 1, "outside the pool");
	dfree(&f, 0x7ff00000, 6 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, TDX_MAP_GPA, 1), 2);
	cr_expect_eq(stat(&f, "exposed_bytes"), 6 * KIB);
	cr_expect_eq(stat(&f, "shared_coherent_bytes_peak"), 8 * KIB);
	cr_expect_eq(stat(&f, "t0_maps"), 2);
	fix_free(&f);
}

/*
 * switch, redo: A (4 KiB FROM_DEVICE) and coherent C live at the marker, B unmapped before it:
 * two mappings live across; A's T=0 unmap copies back 4 KiB, C is converted back, both are
 * mapped again through the IOMMU; afterwards maps are not bounced and A's unmap is a T=1 unmap
 */
Test(tdisp, switch_redo)
{
	struct fix f;

	fix_new(&f, "tdisp:switch");
	cr_assert_eq(map(&f, 0x100000, 4 * KIB), 0);
	cr_assert_eq(map_dir(&f, 0x200000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 8 * KIB, "T=0: bounced");
	cr_assert_eq(alloc(&f, 0x7ff00000, 8 * KIB), 0);
	unmap_dir(&f, 0x200000, ISM_DIR_TO_DEVICE);
	marker(&f, "iommusim phase=boot-done");
	cr_expect_eq(stat(&f, "switched"), 1);
	cr_expect_eq(stat(&f, "live_across_switch"), 2);
	cr_expect_eq(stat(&f, "redone_at_switch"), 2);
	cr_expect_eq(stat(&f, "broken_mappings"), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "A copied back by its T=0 unmap");
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, TDX_MAP_GPA, 1), 2, "C converted back");
	cr_expect_gt(sum(&f.ab, ACT_GUEST_PAGES, 0, 1), 0, "A and C mapped through the IOMMU");
	cr_expect_eq(sum(&f.ab, ACT_INVAL, 0, 0), 0);
	cr_assert_eq(map(&f, 0x300000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 0), 0, "T=1: no bounce");
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 0), 0);
	cr_expect_eq(sum(&f.ab, ACT_INVAL, IOTLB_SYNC, 0), 1, "A is a T=1 mapping now");
	dfree(&f, 0x7ff00000, 8 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 0), 0, "C is private now");
	marker(&f, "iommusim phase=boot-done");
	cr_expect_eq(f.ab.n, 0, "one switch only");
	cr_expect_eq(stat(&f, "broken_unmaps"), 0);
	cr_expect_eq(stat(&f, "t0_maps"), 3);
	cr_expect_eq(stat(&f, "t1_maps"), 1);
	fix_free(&f);
}

/* switch, broken: nothing done at the marker; A's later unmap is still a T=0 unmap (copy back) */
Test(tdisp, switch_broken)
{
	struct fix f;

	fix_new_set2(&f, "tdisp:switch", "strategy.tdisp.on_switch", "broken", NULL, NULL);
	cr_assert_eq(map(&f, 0x100000, 4 * KIB), 0);
	cr_assert_eq(map(&f, 0x110000, 4 * KIB), 0);
	marker(&f, "iommusim phase=boot-done");
	cr_expect_eq(f.ab.n, 0);
	cr_expect_eq(stat(&f, "live_across_switch"), 2);
	cr_expect_eq(stat(&f, "broken_mappings"), 2);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "the T=0 unmap of a dead address");
	cr_expect_eq(stat(&f, "broken_unmaps"), 1);
	cr_assert_eq(map(&f, 0x100000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 0), 0, "a new map is T=1");
	fix_free(&f);
}

/* the marker: strategy.tdisp.switch_marker, else the first phase marker, else none */
Test(tdisp, switch_marker)
{
	struct fix f;

	fix_new_set2(&f, "tdisp:switch", "strategy.tdisp.switch_marker", "phase=nvme", NULL, NULL);
	cr_assert_eq(map(&f, 0x100000, 4 * KIB), 0);
	marker(&f, "iommusim phase=boot-done");
	cr_expect_eq(stat(&f, "switched"), 0);
	marker(&f, "iommusim phase=nvme-read");
	cr_expect_eq(stat(&f, "switched"), 1);
	cr_expect_eq(stat(&f, "live_across_switch"), 1);
	fix_free(&f);

	fix_new_set2(&f, "tdisp:switch", "sim.phase_marker", "", NULL, NULL);
	cr_assert_eq(map(&f, 0x100000, 4 * KIB), 0);
	marker(&f, "iommusim phase=boot-done");
	cr_expect_eq(stat(&f, "switched"), 0, "no pattern: the device stays in T=0");
	fix_free(&f);
}

/* bad parameters: one line naming the parameter */
Test(tdisp, bad_params)
{
	static const char *const bad[][2] = {
		{ "strategy.tdisp.on_switch", "maybe" },
		{ "strategy.tdisp.t1_layer", "swiotlb" },
		{ "strategy.tdisp.t1_layer", "iommu-dma:eager" },
		{ "strategy.tdisp.switch_marker", "phase=(" },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct scenario sc;
		struct sim *sim;
		struct strat *s;
		char *cause = NULL;
		char *specs[] = { "passthrough" };

		cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
		cr_assert_eq(scenario_set(&sc, bad[i][0], bad[i][1], &cause), 0);
		sim = sim_new(&sc, specs, 1, &cause);
		cr_assert_not_null(sim);
		s = strat_new("tdisp:switch", &sc, sim, 1, &cause);
		cr_expect_null(s, "%s=%s accepted", bad[i][0], bad[i][1]);
		cr_expect(cause && strstr(cause, bad[i][0]), "%s", cause ? cause : "(none)");
		free(cause);
		strat_free(s);
		sim_free(sim);
		scenario_free(&sc);
	}
}
