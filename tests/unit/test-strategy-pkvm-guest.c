/*
 * test-strategy-pkvm-guest.c: the pkvm-guest strategy (strategy-pkvm-guest.c) on hand-written
 * event sequences, worked from DOMAIN.md 5.1: a protected guest shares memory with MEM_SHARE,
 * ONE HVC PER 4 KiB GRANULE (arm-pkvm-guest.c), the bounce pool at boot and coherent buffers at
 * run time; pvmfw's MemorySharer makes hypercalls only when its shared heap grows.
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

static int map(struct fix *f, uint8_t dir, uint64_t phys, uint64_t size)
{
	struct dma_req rq = { .dev = 1, .dir = dir, .key = phys, .phys = phys, .size = size };

	actbuf_reset(&f->ab);
	return f->s->ops->map(f->s, &rq, &f->ab);
}

static void unmap(struct fix *f, uint8_t dir, uint64_t phys)
{
	struct dma_req rq = { .dev = 1, .dir = dir, .key = phys };

	actbuf_reset(&f->ab);
	f->s->ops->unmap(f->s, &rq, &f->ab);
}

/* per-granule: the 64 MiB pool shared at boot, one MEM_SHARE per 4 KiB granule */
Test(pkvm_guest, pool_shared_per_granule_at_boot)
{
	struct fix f;

	fix_new(&f, "pkvm-guest");
	cr_expect_str_eq(f.s->variant, "per-granule");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 0), 64 * MIB / (4 * KIB), "16384 HVCs");
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 1), 64 * MIB / (4 * KIB));
	cr_expect_eq(f.ab.a[0].outside, 0, "the pool");
	cr_expect_eq(stat(&f, "boot_share_hvcs"), 16384);
	cr_expect_eq(stat(&f, "run_share_hvcs"), 0);
	fix_free(&f);
	/* 16 KiB granules: a quarter of the calls */
	fix_new_set(&f, "pkvm-guest", "strategy.pkvm-guest.granule_bytes", "16KiB");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 0), 4096);
	fix_free(&f);
	/* pooled: nothing shared up front */
	fix_new(&f, "pkvm-guest:pooled");
	f.s->ops->setup(f.s, &f.ab);
	cr_expect_eq(f.ab.n, 0);
	fix_free(&f);
}

/* per-granule: streaming maps bounce through the shared pool with no hypercall */
Test(pkvm_guest, streaming_bounces_without_hvc)
{
	struct fix f;

	fix_new(&f, "pkvm-guest");
	cr_assert_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x100000, 1536), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 1536, "copied in");
	cr_expect_eq(pressure(&f).pool_used, 1);
	unmap(&f, ISM_DIR_FROM_DEVICE, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 0), 0);
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 1536, "copied back");
	cr_expect_eq(stat(&f, "bounced_maps"), 1);
	fix_free(&f);
}

/* per-granule: a coherent buffer shared at alloc and unshared at free, one HVC per granule */
Test(pkvm_guest, coherent_per_granule)
{
	struct fix f;

	fix_new(&f, "pkvm-guest");
	cr_assert_eq(alloc(&f, 0x400000, 12 * KIB + 1), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 0), 4, "12 KiB + 1 byte: 4 granules");
	cr_expect_eq(f.ab.a[f.ab.n - 1].outside, 1);
	dfree(&f, 0x400000, 12 * KIB + 1);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, MEM_UNSHARE, 0), 4);
	cr_expect_eq(stat(&f, "run_share_hvcs"), 4);
	cr_expect_eq(stat(&f, "unshare_hvcs"), 4);
	cr_expect_eq(stat(&f, "run_shared_bytes_peak"), 16 * KIB);
	/* again: shared again, the hypercalls are made again */
	cr_assert_eq(alloc(&f, 0x400000, 4 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 0), 1);
	fix_free(&f);
}

/* pooled: hypercalls only when the shared heap grows; freed memory is reused, never unshared */
Test(pkvm_guest, pooled_grows_only_when_needed)
{
	struct fix f;

	fix_new(&f, "pkvm-guest:pooled");
	cr_assert_eq(alloc(&f, 0x400000, 6 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 0), 2, "refill: 6 KiB is 2 granules");
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x100000, 2 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0, "8 KiB shared, 8 KiB in use: no call");
	cr_expect_eq(sum(&f.ab, ACT_COPY, 0, 1), 2 * KIB, "the bounce still copies");
	cr_assert_eq(map(&f, ISM_DIR_FROM_DEVICE, 0x200000, 1 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 0), 1, "full: one more granule");
	unmap(&f, ISM_DIR_TO_DEVICE, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 0), 0, "back to the heap, not unshared");
	dfree(&f, 0x400000, 6 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0, 0), 0);
	/* 11 KiB free in the 12 KiB heap: these fit without a call */
	for (unsigned i = 0; i < 5; i++) {
		cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x300000 + i * 4 * KIB, 2 * KIB), 0);
		cr_expect_eq(sum(&f.ab, ACT_SHARE, 0, 0), 0, "map %u", i);
	}
	cr_assert_eq(map(&f, ISM_DIR_TO_DEVICE, 0x380000, 2 * KIB), 0);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, MEM_SHARE, 0), 1, "the sixth does not fit");
	cr_expect_eq(stat(&f, "pool_grows"), 3);
	cr_expect_eq(stat(&f, "run_share_hvcs"), 4);
	cr_expect_eq(stat(&f, "unshare_hvcs"), 0);
	cr_expect_eq(stat(&f, "heap_used_bytes_peak"), 13 * KIB);
	fix_free(&f);
}
