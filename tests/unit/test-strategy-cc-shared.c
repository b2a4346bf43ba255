/*
 * test-strategy-cc-shared.c: the cc-shared strategy (strategy-cc-shared.c) on hand-written
 * event sequences, worked from DOMAIN.md 1.4 (swiotlb always copies in, copies back for
 * FROM_DEVICE/BIDI, the pool decrypted once at boot; the x86 CoCo pool of 6% of RAM in
 * [64 MiB, 1 GiB]) and 6.1/6.2 (the per-mapping decision; pre-shared tx buffers taken from the
 * pool with no copy), and from the kernel's conversion paths (tdx_enc_status_changed: MapGPA,
 * then PAGE.ACCEPT when made private; SNP: PVALIDATE per page and page-state changes of up to
 * 64 entries, VMGEXIT_PSC_MAX_ENTRY; CCA: one RSI_IPA_STATE_SET per range).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
/* The trace's device names: 1 = nvme0, 2 = virtio0. */
static const char *names(const void *arg, unsigned id);
#define FIX_NAMES names
#include "strat-fixture.h"
#include "scenario.h"
#include "sim.h"
#include "strategy.h"

static const char *names(const void *arg, unsigned id)
{
	(void)arg;
	return id == 1 ? "nvme0" : id == 2 ? "virtio0" : NULL;
}

static int map(struct fix *f, uint8_t dir, uint64_t phys, uint64_t size)
{
	return map_dev(f, 1, dir, phys, size);
}

static void unmap(struct fix *f, uint8_t dir, uint64_t phys)
{
	unmap_dev(f, 1, dir, phys);
}

/* boot: the pool decrypted with one MapGPA; 6% of 2 GiB = 122.9 MiB, rounded up to 128 MiB */
Test(cc_shared, pool_shared_at_boot_x86_rule)
{
	struct fix f;

	fix_new(&f, "cc-shared");
	cr_expect_str_eq(f.s->variant, "bounce-all");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 128 * MIB / 4096);
	cr_expect_eq(f.ab.a[0].outside, 0, "the pool itself");
	cr_expect_eq(stat(&f, "conversions"), 0, "the pool's conversion is not a buffer's");
	fix_free(&f);
	/* 32 GiB: 6% is 1.92 GiB, clamped to 1 GiB */
	fix_new_set(&f, "cc-shared", "machine.ram_bytes", "32GiB");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 1024 * MIB / 4096);
	fix_free(&f);
	/* 512 MiB: 30.7 MiB, raised to 64 MiB */
	fix_new_set(&f, "cc-shared", "machine.ram_bytes", "512MiB");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 64 * MIB / 4096);
	fix_free(&f);
	/* cca: machine.swiotlb_bytes, one RSI_IPA_STATE_SET */
	fix_new_set(&f, "cc-shared", "strategy.cc-shared.platform", "cca");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, CCA_IPA_STATE_SET, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, CCA_IPA_STATE_SET, 1), 64 * MIB / 4096);
	fix_free(&f);
	/* convert has no pool to share */
	fix_new(&f, "cc-shared:convert");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(f.ab.n, 0);
	fix_free(&f);
}

/* bounce-all: always copied in, copied back only for FROM_DEVICE/BIDI; nothing converted */
Test(cc_shared, bounce_all_copies)
{
	struct fix f;
	struct strat_pressure pr;

	fix_new(&f, "cc-shared:bounce-all");
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x100000, 1500), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 1500, "copied in");
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0);
	unmap(&f, ISM_DIR_TO_DEVICE, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0, "TO_DEVICE: no copy back");
	cr_assert_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x200000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "FROM_DEVICE is copied in too");
	pr = pressure(&f);
	cr_expect_eq(pr.pool_used, 2, "two 2 KiB slots held");
	unmap(&f, ISM_DIR_FROM_DEVICE, 0x200000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "copied back");
	cr_expect_eq(pressure(&f).pool_used, 0);
	cr_expect_eq(stat(&f, "maps_bounced"), 2);
	cr_expect_eq(stat(&f, "maps_direct"), 0);
	cr_expect_eq(stat(&f, "copied_bytes"), 1500 + 8 * KIB);
	cr_expect_eq(stat(&f, "conversions"), 0);
	fix_free(&f);
}

/* pre-shared (default "tx"): a TO_DEVICE buffer from the pool, no copy; an RX map bounces */
Test(cc_shared, pre_shared_tx_direct)
{
	struct fix f;

	fix_new(&f, "cc-shared:pre-shared");
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x100000, 64 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0, "no double copy on tx");
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0, "pool memory: shared already");
	cr_expect_eq(pressure(&f).pool_used, 32, "but it holds 32 slots of the pool");
	cr_expect_eq(stat(&f, "pre_shared_pool_bytes_peak"), 64 * KIB);
	cr_assert_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x200000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "rx bounces");
	unmap(&f, ISM_DIR_TO_DEVICE, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0);
	cr_expect_eq(pressure(&f).pool_used, 2);
	cr_expect_eq(stat(&f, "maps_direct"), 1);
	cr_expect_eq(stat(&f, "maps_bounced"), 1);
	fix_free(&f);
}

/* pre_shared names devices (trace names) and kinds; both must match when both are given */
Test(cc_shared, pre_shared_devices_and_kinds)
{
	struct fix f;

	fix_new_set(&f, "cc-shared:pre-shared", "strategy.cc-shared.pre_shared", "nvme0");
	cr_assert_eq(map_dev(&f, 1, ISM_DIR_FROM_DEVICE, 0x100000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0, "every kind of nvme0");
	cr_assert_eq(map_dev(&f, 2, ISM_DIR_TO_DEVICE, 0x200000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "virtio0 is not selected");
	cr_expect_eq(stat(&f, "maps_direct"), 1);
	fix_free(&f);
	fix_new_set(&f, "cc-shared:pre-shared", "strategy.cc-shared.pre_shared", "rx,virtio0");
	cr_assert_eq(map_dev(&f, 1, ISM_DIR_FROM_DEVICE, 0x100000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "nvme0 is not selected");
	cr_assert_eq(map_dev(&f, 2, ISM_DIR_TO_DEVICE, 0x200000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB, "virtio0 tx is not rx");
	cr_assert_eq(map_dev(&f, 2, ISM_DIR_FROM_DEVICE, 0x300000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0, "virtio0 rx is selected");
	unmap_dev(&f, 2, ISM_DIR_FROM_DEVICE, 0x300000);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0, "and is not copied back");
	cr_expect_eq(stat(&f, "maps_direct"), 1);
	cr_expect_eq(stat(&f, "maps_bounced"), 2);
	fix_free(&f);
}

/* coherent allocations: converted one by one (TDX: MapGPA, then PAGE.ACCEPT per page back) */
Test(cc_shared, coherent_converted_tdx)
{
	struct fix f;

	fix_new(&f, "cc-shared");
	cr_assert_eq(alloc(&f, 0x400000, 8 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 2);
	cr_expect_eq(f.ab.a[f.ab.n - 1].outside, 1, "outside the pool");
	cr_expect_eq(sum(&f.ab, ACT_HCALL, TDX_PAGE_ACCEPT, 0), 0, "no accept to shared");
	dfree(&f, 0x400000, 8 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, TDX_MAP_GPA, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, TDX_PAGE_ACCEPT, 0), 2, "each page accepted again");
	cr_expect_eq(stat(&f, "coherent_converted"), 1);
	cr_expect_eq(stat(&f, "conversions"), 2);
	cr_expect_eq(stat(&f, "converted_pages"), 4);
	fix_free(&f);
}

/* pre-shared "coherent": the allocation comes from the pool, page-order aligned, no conversion */
Test(cc_shared, coherent_from_pool)
{
	struct fix f;

	fix_new_set(&f, "cc-shared:pre-shared", "strategy.cc-shared.pre_shared", "coherent");
	cr_assert_eq(alloc(&f, 0x400000, 12 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0);
	cr_expect_eq(pressure(&f).pool_used, 8, "16 KiB (order 2) of 2 KiB slots");
	cr_expect_eq(stat(&f, "coherent_pre_shared"), 1);
	dfree(&f, 0x400000, 12 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 0), 0);
	cr_expect_eq(pressure(&f).pool_used, 0);
	/* tx maps are not selected by "coherent" */
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x100000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 4 * KIB);
	fix_free(&f);
}

/* convert: pages refcounted; conversions by runs of pages not converted yet, back at 0 */
Test(cc_shared, convert_refcount_runs)
{
	struct fix f;

	fix_new(&f, "cc-shared:convert");
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x100000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 1);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0, "no bounce");
	/* another buffer in the same page: converted already */
	cr_assert_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x100800, 0x100), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0);
	/* pages 0x101..0x102 around page 0x100: one run of two */
	cr_assert_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x100f00, 0x1200), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 0), 1);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, TDX_MAP_GPA, 1), 2);
	cr_expect_eq(stat(&f, "converted_pages_peak"), 3);
	unmap(&f, ISM_DIR_TO_DEVICE, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 0), 0, "page 0x100 still mapped twice");
	unmap(&f, ISM_DIR_FROM_DEVICE, 0x100f00);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, TDX_MAP_GPA, 1), 2, "pages 0x101, 0x102 back");
	cr_expect_eq(sum(&f.ab, ACT_HCALL, TDX_PAGE_ACCEPT, 0), 2);
	unmap(&f, ISM_DIR_FROM_DEVICE, 0x100800);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, TDX_MAP_GPA, 1), 1, "page 0x100 back");
	cr_expect_eq(stat(&f, "conversions"), 4);
	cr_expect_eq(stat(&f, "converted_pages"), 6);
	cr_expect_eq(stat(&f, "maps_direct"), 3);
	cr_expect_eq(stat(&f, "copied_bytes"), 0);
	fix_free(&f);
}

/* TDX accepts 2 MiB at a time where the range is aligned: 2 MiB + 4 KiB = 2 accepts */
Test(cc_shared, tdx_accept_sizes)
{
	struct fix f;

	fix_new(&f, "cc-shared:convert");
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x40000000, 2 * MIB + 4 * KIB), 0);
	unmap(&f, ISM_DIR_TO_DEVICE, 0x40000000);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, TDX_PAGE_ACCEPT, 0), 2);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, TDX_PAGE_ACCEPT, 1), 513);
	/* unaligned: 4 KiB accepts */
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x40001000, 2 * MIB), 0);
	unmap(&f, ISM_DIR_TO_DEVICE, 0x40001000);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, TDX_PAGE_ACCEPT, 0), 512);
	fix_free(&f);
}

/* SNP: PVALIDATE per page, page-state changes of up to 64 entries, in both directions */
Test(cc_shared, snp_psc_batches)
{
	struct fix f;

	fix_new_set(&f, "cc-shared:convert", "strategy.cc-shared.platform", "snp");
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x100000, 300 * 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, SNP_PVALIDATE, 0), 300);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, SNP_PSC, 0), 5, "300 entries, 64 per change");
	cr_expect_eq(sum(&f.ab, ACT_SHARE, SNP_PSC, 1), 300);
	/* rescinded before the state change to shared */
	cr_expect_eq(f.ab.a[f.ab.n - 2].op, SNP_PVALIDATE);
	unmap(&f, ISM_DIR_TO_DEVICE, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, SNP_PSC, 0), 5);
	cr_expect_eq(sum(&f.ab, ACT_HCALL, SNP_PVALIDATE, 0), 300);
	cr_expect_eq(f.ab.a[f.ab.n - 1].op, SNP_PVALIDATE, "validated after the change to private");
	fix_free(&f);
	fix_new_set(&f, "cc-shared:convert", "strategy.cc-shared.platform", "cca");
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x100000, 300 * 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, CCA_IPA_STATE_SET, 0), 1);
	unmap(&f, ISM_DIR_TO_DEVICE, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, CCA_IPA_STATE_SET, 0), 1);
	fix_free(&f);
}

/* a full pool fails the map, counted; nothing is kept */
Test(cc_shared, pool_full_fails)
{
	struct fix f;

	fix_new_set(&f, "cc-shared", "strategy.cc-shared.pool_bytes", "1MiB");
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x100000 + i * 256 * KIB, 256 * KIB), 0);
	cr_expect_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x800000, 4 * KIB), -1);
	cr_expect_eq(stat(&f, "map_failures"), 1);
	cr_expect_eq(pressure(&f).pool_failures, 1);
	unmap(&f, ISM_DIR_FROM_DEVICE, 0x800000);
	cr_expect_eq(f.ab.n, 0, "the failed map left nothing to unmap");
	unmap(&f, ISM_DIR_FROM_DEVICE, 0x100000);
	cr_expect_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x800000, 4 * KIB), 0, "room again");
	fix_free(&f);
}

/* a list: one decision for the whole mapping; each segment bounced */
Test(cc_shared, map_sg_one_decision)
{
	struct fix f;
	struct dma_seg segs[] = { { 0x300000, 4 * KIB }, { 0x500000, 8 * KIB } };
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_TO_DEVICE, .key = 0x300000,
			      .segs = segs, .nsegs = 2 };

	fix_new(&f, "cc-shared:pre-shared");
	cr_assert_eq(f.s->ops->map_sg(f.s, &rq, &f.ab), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 0);
	cr_expect_eq(pressure(&f).pool_used, 6);
	actbuf_reset(&f.ab);
	rq.dir = ISM_DIR_TO_DEVICE;
	f.s->ops->unmap_sg(f.s, &rq, &f.ab);
	cr_expect_eq(pressure(&f).pool_used, 0);
	cr_expect_eq(stat(&f, "maps_direct"), 1);
	fix_free(&f);
}

/* bad parameters are refused with a message naming them */
Test(cc_shared, bad_parameters)
{
	struct scenario sc;
	struct sim *sim;
	char *cause = NULL;
	char *specs[] = { "passthrough" };
	struct strat *s;

	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	cr_assert_eq(scenario_set(&sc, "strategy.cc-shared.platform", "sev", &cause), 0);
	sim = sim_new(&sc, specs, 1, &cause);
	cr_assert_not_null(sim);
	s = strat_new("cc-shared", &sc, sim, 1, &cause);
	cr_expect_null(s);
	cr_expect(cause && strstr(cause, "strategy.cc-shared.platform"), "%s", cause);
	free(cause);
	cause = NULL;
	sim_free(sim);
	scenario_free(&sc);
	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	cr_assert_eq(scenario_set(&sc, "strategy.cc-shared.pre_shared", "tx,,rx", &cause), 0);
	sim = sim_new(&sc, specs, 1, &cause);
	cr_assert_not_null(sim);
	s = strat_new("cc-shared:pre-shared", &sc, sim, 1, &cause);
	cr_expect_null(s);
	cr_expect(cause && strstr(cause, "empty entry"), "%s", cause);
	free(cause);
	sim_free(sim);
	scenario_free(&sc);
}
