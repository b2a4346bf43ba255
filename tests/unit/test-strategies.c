/*
 * test-strategies.c: the strategy table (strategy_check() over the whole table and over
 * hand-made bad tables) and each strategy alone on hand-written DMA API sequences, with the
 * actions it must emit worked from the kernel's rules (DOMAIN.md; the comments at the top of
 * each strategy-*.c). Defaults: 4 KiB pages and TCEs, a 1 GiB default window, 2 GiB RAM
 * (4 GiB with hotplug), DDW page sizes up to 16 MiB, 64 MiB swiotlb, 512 TCEs per call.
 * The iommu-dma strategy has its own file (test-strategy-iommu-dma.c).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "sim.h"
#include "strategy.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

struct fix {
	struct scenario sc;
	struct sim *sim;
	struct strat *s;
	struct actbuf ab;
};

static void fix_scenario(struct fix *f)
{
	char *cause = NULL;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(scenario_load(NULL, &f->sc, &cause), 0);
}

static void fix_set(struct fix *f, const char *path, const char *value)
{
	char *cause = NULL;

	cr_assert_eq(scenario_set(&f->sc, path, value, &cause), 0, "%s", cause ? cause : "");
}

static void fix_stack(struct fix *f, const char *spec)
{
	char *cause = NULL;
	char *specs[] = { "passthrough" };

	f->sim = sim_new(&f->sc, specs, 1, &cause);
	cr_assert_not_null(f->sim, "%s", cause ? cause : "");
	f->s = strat_new(spec, &f->sc, f->sim, 1, &cause);
	cr_assert_not_null(f->s, "%s: %s", spec, cause ? cause : "");
}

static void fix_new(struct fix *f, const char *spec)
{
	fix_scenario(f);
	fix_stack(f, spec);
}

static void fix_free(struct fix *f)
{
	strat_free(f->s);
	sim_free(f->sim);
	actbuf_free(&f->ab);
	scenario_free(&f->sc);
}

/* Sum of the calls and units of every action of @kind (and @op, unless ~0u). */
static uint64_t calls_of(const struct actbuf *ab, enum act_kind kind, uint32_t op)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < ab->n; i++)
		if (ab->a[i].kind == kind && (op == ~0u || ab->a[i].op == op))
			n += ab->a[i].calls;
	return n;
}

static uint64_t units_of(const struct actbuf *ab, enum act_kind kind, uint32_t op)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < ab->n; i++)
		if (ab->a[i].kind == kind && (op == ~0u || ab->a[i].op == op))
			n += ab->a[i].units;
	return n;
}

#define ANY ~0u

/* Calls that share or unshare pages, or any other ultracall. */
static uint64_t shares(const struct actbuf *ab)
{
	return calls_of(ab, ACT_SHARE, ANY) + calls_of(ab, ACT_UNSHARE, ANY) +
	       calls_of(ab, ACT_UCALL, ANY);
}

static void setup_hook(struct fix *f)
{
	actbuf_reset(&f->ab);
	if (f->s->ops->setup)
		f->s->ops->setup(f->s, &f->ab);
}

static int map(struct fix *f, unsigned cpu, uint64_t phys, uint64_t size, uint8_t dir)
{
	struct dma_req rq = { .cpu = cpu, .dev = 1, .dir = dir, .key = phys, .phys = phys,
			      .size = size };

	actbuf_reset(&f->ab);
	return f->s->ops->map ? f->s->ops->map(f->s, &rq, &f->ab) : 0;
}

static void unmap(struct fix *f, unsigned cpu, uint64_t phys, uint64_t size, uint8_t dir,
		  uint32_t attrs)
{
	struct dma_req rq = { .cpu = cpu, .dev = 1, .dir = dir, .key = phys, .size = size,
			      .attrs = attrs };

	actbuf_reset(&f->ab);
	if (f->s->ops->unmap)
		f->s->ops->unmap(f->s, &rq, &f->ab);
}

static int map_sg(struct fix *f, struct dma_seg *segs, unsigned n, uint8_t dir)
{
	uint64_t size = 0;

	for (unsigned i = 0; i < n; i++)
		size += segs[i].len;
	struct dma_req rq = { .cpu = 0, .dev = 1, .dir = dir, .key = segs[0].phys,
			      .phys = segs[0].phys, .size = size, .segs = segs, .nsegs = n };

	actbuf_reset(&f->ab);
	return f->s->ops->map_sg(f->s, &rq, &f->ab);
}

static void unmap_sg(struct fix *f, uint64_t key, uint64_t size, unsigned n, uint8_t dir)
{
	struct dma_req rq = { .cpu = 0, .dev = 1, .dir = dir, .key = key, .size = size,
			      .nsegs = n };

	actbuf_reset(&f->ab);
	f->s->ops->unmap_sg(f->s, &rq, &f->ab);
}

static struct strat_pressure report(struct fix *f)
{
	struct strat_pressure p;

	memset(&p, 0, sizeof(p));
	if (f->s->ops->report)
		f->s->ops->report(f->s, &p);
	return p;
}

/* ---- the table ------------------------------------------------------------------------ */

Test(table, whole_table_passes)
{
	char *cause = NULL;

	cr_assert_eq(strategy_check(&cause), 0, "%s", cause ? cause : "");
	cr_assert_eq(strategy_check_table(strategy_table, &cause), 0);
}

static int dummy_init(struct strat *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static int dummy_map(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	(void)s;
	(void)rq;
	(void)a;
	return 0;
}

static void expect_rejected(const struct strategy_ops *o, const char *why)
{
	const struct strategy_ops good = { .name = "good", .summary = "ok", .init = dummy_init };
	const struct strategy_ops *t[] = { &good, o, NULL };
	char *cause = NULL;

	cr_expect_eq(strategy_check_table(t, &cause), -1, "accepted: %s", why);
	cr_expect(cause && strstr(cause, why), "cause '%s' lacks '%s'", cause ? cause : "", why);
	free(cause);
}

Test(table, bad_tables_rejected)
{
	static const char *const empty[] = { NULL };
	static const char *const twice[] = { "a", "b", "a", NULL };
	static const char *const colon[] = { "a:b", NULL };
	const struct strategy_ops no_init = { .name = "x", .summary = "s" };
	const struct strategy_ops no_summary = { .name = "x", .init = dummy_init };
	const struct strategy_ops dup = { .name = "good", .summary = "s", .init = dummy_init };
	const struct strategy_ops plus = { .name = "a+b", .summary = "s", .init = dummy_init };
	const struct strategy_ops bounce = { .name = "b", .summary = "s", .init = dummy_init,
					     .flags = STRAT_BOUNCE, .map = dummy_map };
	const struct strategy_ops v_empty = { .name = "v", .summary = "s", .init = dummy_init,
					      .variants = empty };
	const struct strategy_ops v_twice = { .name = "v", .summary = "s", .init = dummy_init,
					      .variants = twice };
	const struct strategy_ops v_colon = { .name = "v", .summary = "s", .init = dummy_init,
					      .variants = colon };

	expect_rejected(&no_init, "missing name, summary or init");
	expect_rejected(&no_summary, "missing name, summary or init");
	expect_rejected(&dup, "defined twice");
	expect_rejected(&plus, "reserved character");
	expect_rejected(&bounce, "bounce layer needs map and unmap");
	expect_rejected(&v_empty, "empty variant list");
	expect_rejected(&v_twice, "variant 'a' twice");
	expect_rejected(&v_colon, "reserved character");
}

/* every strategy and every variant of it builds on the default machine, and frees */
Test(table, every_strategy_and_variant_builds)
{
	for (unsigned i = 0; strategy_table[i]; i++) {
		const struct strategy_ops *o = strategy_table[i];
		unsigned nv = 0;

		while (o->variants && o->variants[nv])
			nv++;
		for (unsigned v = 0; v <= nv; v++) {
			char spec[128];
			struct fix f;

			if (v == nv && nv)
				break;
			if (nv)
				snprintf(spec, sizeof(spec), "%s:%s", o->name, o->variants[v]);
			else
				snprintf(spec, sizeof(spec), "%s", o->name);
			fix_new(&f, spec);
			cr_expect_eq(f.s->ops, o);
			cr_expect_str_eq(f.s->variant ? f.s->variant : "", nv ? o->variants[v] : "");
			setup_hook(&f);
			fix_free(&f);
		}
		cr_expect_eq(strategy_find(o->name), o);
	}
}

Test(table, bad_specs)
{
	struct fix f;
	char *cause = NULL;
	char *specs[] = { "passthrough" };

	fix_scenario(&f);
	f.sim = sim_new(&f.sc, specs, 1, &cause);
	cr_assert_null(strat_new("diect-tce", &f.sc, f.sim, 1, &cause));
	cr_expect(strstr(cause, "did you mean 'direct-tce'"), "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_null(strat_new("indirect-tce:shared", &f.sc, f.sim, 1, &cause));
	cr_expect(strstr(cause, "unknown variant 'shared'"), "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_null(strat_new("ddw:x", &f.sc, f.sim, 1, &cause));
	cr_expect(strstr(cause, "has no variants"), "%s", cause);
	free(cause);
	fix_free(&f);
}

/* ---- passthrough ------------------------------------------------------------------------ */

Test(passthrough, costs_nothing)
{
	struct fix f;

	fix_new(&f, "passthrough");
	setup_hook(&f);
	cr_expect_eq(f.ab.n, 0);
	cr_expect_eq(map(&f, 0, 0x100000, 64 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(f.ab.n, 0);
	unmap(&f, 0, 0x100000, 64 * KIB, ISM_DIR_TO_DEVICE, 0);
	cr_expect_eq(f.ab.n, 0);
	fix_free(&f);
}

/* ---- the default window: direct-tce, indirect-tce, window32 ------------------------------ */

/*
 * iommu_table_clear() at boot: the 1 GiB default window (262144 TCEs) and the VIO table
 * (65536) with H_STUFF_TCE, 512 per call: 512 + 128 calls.
 */
Test(tce, boot_clears_the_default_window_and_vio)
{
	struct fix f;

	fix_new(&f, "direct-tce");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 640);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 262144 + 65536);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 0);
	fix_free(&f);
	/* without FW_FEATURE_STUFF_TCE: one H_PUT_TCE(0) per TCE */
	fix_scenario(&f);
	fix_set(&f, "machine.stuff_tce", "false");
	fix_set(&f, "machine.vio_table_entries", "0");
	fix_stack(&f, "direct-tce");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 262144);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 0);
	fix_free(&f);
}

/* a 3-page buffer not page aligned spans 4 TCEs: 4 H_PUT_TCE, then one H_STUFF_TCE of 4 */
Test(tce, direct_one_put_per_page)
{
	struct fix f;
	struct strat_pressure p;

	fix_new(&f, "direct-tce");
	cr_assert_eq(map(&f, 0, 0x10000800, 3 * 4 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 4);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_PUT_TCE), 4);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_GUEST, ANY), 1);
	cr_expect_eq(units_of(&f.ab, ACT_GUEST_PAGES, ANY), 4);
	cr_expect_eq(units_of(&f.ab, ACT_DEV_XLATE, ANY), 4);
	cr_expect_eq(units_of(&f.ab, ACT_DEV_JOB, ANY), 1, "entries written by the map: a device job");
	cr_expect_eq(calls_of(&f.ab, ACT_LOCK, ANY), 1);
	unmap(&f, 0, 0x10000800, 3 * 4 * KIB, ISM_DIR_TO_DEVICE, 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 1);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 4);
	p = report(&f);
	cr_expect_eq(p.tces_written, 4);
	cr_expect_eq(p.tces_cleared, 4);
	cr_expect_eq(p.window_entries, 262144);
	/* an unmap of an address never mapped does nothing */
	unmap(&f, 0, 0x20000000, 4 * KIB, ISM_DIR_TO_DEVICE, 0);
	cr_expect_eq(f.ab.n, 0);
	fix_free(&f);
}

/* 1 page -> H_PUT_TCE; more -> H_PUT_TCE_INDIRECT, <= 512 TCEs per call */
Test(tce, indirect_batches_of_512)
{
	struct fix f;

	fix_new(&f, "indirect-tce");
	cr_assert_eq(map(&f, 0, 0x1000000, 4 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 1);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 0);
	cr_assert_eq(map(&f, 0, 0x2000000, 8 * KIB, ISM_DIR_FROM_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 1);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 2);
	cr_assert_eq(map(&f, 1, 0x4000000, 1000 * 4 * KIB, ISM_DIR_FROM_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 2);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 1000);
	cr_expect_eq(shares(&f.ab), 0, "a normal VM shares nothing");
	unmap(&f, 1, 0x4000000, 1000 * 4 * KIB, ISM_DIR_FROM_DEVICE, 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 2);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 1000);
	fix_free(&f);
}

/* the 2019 debate's TCE-page options: share around each call, once per CPU, or a pool page */
Test(tce, indirect_tce_page_variants)
{
	struct fix f;

	fix_new(&f, "indirect-tce:share-per-call");
	cr_assert_eq(map(&f, 0, 0x1000000, 1000 * 4 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_SHARE, UV_SHARE_PAGE), 2);
	cr_expect_eq(calls_of(&f.ab, ACT_UNSHARE, UV_UNSHARE_PAGE), 2);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 2);
	/* order: share, put, unshare */
	cr_assert_geq(f.ab.n, 3);
	{
		unsigned i = 0;

		while (f.ab.a[i].kind != ACT_SHARE)
			i++;
		cr_expect_eq(f.ab.a[i].op, UV_SHARE_PAGE);
		cr_expect_eq(f.ab.a[i + 1].kind, ACT_HCALL);
		cr_expect_eq(f.ab.a[i + 2].kind, ACT_UNSHARE);
		cr_expect_eq(f.ab.a[i + 2].op, UV_UNSHARE_PAGE);
	}
	/* one page: H_PUT_TCE, no TCE page, no ultracall */
	cr_assert_eq(map(&f, 0, 0x8000000, 4 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(shares(&f.ab), 0);
	fix_free(&f);

	fix_new(&f, "indirect-tce:shared-once");
	cr_assert_eq(map(&f, 0, 0x1000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_SHARE, UV_SHARE_PAGE), 1);
	cr_assert_eq(map(&f, 0, 0x2000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(shares(&f.ab), 0, "CPU 0's page is shared already");
	cr_assert_eq(map(&f, 1, 0x3000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_SHARE, UV_SHARE_PAGE), 1, "CPU 1 shares its own page");
	fix_free(&f);

	fix_new(&f, "indirect-tce:bounce-page");
	cr_assert_eq(map(&f, 0, 0x1000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(shares(&f.ab), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 1);
	fix_free(&f);
}

/* window32: indirect on a normal VM; a Secure VM has PUT_TCE_IND cleared -> direct */
Test(tce, window32_follows_the_machine)
{
	struct fix f;

	fix_new(&f, "window32");
	cr_assert_eq(map(&f, 0, 0x1000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 1);
	fix_free(&f);
	fix_scenario(&f);
	fix_set(&f, "machine.secure_vm", "true");
	fix_stack(&f, "window32");
	cr_assert_eq(map(&f, 0, 0x1000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 2);
	fix_free(&f);
}

/* a full window: the map fails, is counted, and costs its search but no hcall */
Test(tce, window_full_fails)
{
	struct fix f;
	struct strat_pressure p;

	fix_scenario(&f);
	fix_set(&f, "machine.window32_bytes", "1MiB");
	fix_stack(&f, "direct-tce");
	cr_assert_eq(map(&f, 0, 0x1000000, 1 * MIB, ISM_DIR_TO_DEVICE), -1);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, ANY), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_GUEST, ANY), 1);
	p = report(&f);
	cr_expect_eq(p.window_failures, 1);
	fix_free(&f);
}

/* map_sg: each input segment is its own TCE build; unmap_sg clears the whole list */
Test(tce, map_sg_per_segment)
{
	struct fix f;
	struct dma_seg segs[] = { { 0x1000000, 4 * KIB }, { 0x3000000, 8 * KIB },
				  { 0x5000000, 4 * KIB } };

	fix_new(&f, "indirect-tce");
	cr_assert_eq(map_sg(&f, segs, 3, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_PUT_TCE) +
			     units_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 4);
	unmap_sg(&f, 0x1000000, 16 * KIB, 3, ISM_DIR_TO_DEVICE);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 4);
	fix_free(&f);
}

/* ---- ddw ------------------------------------------------------------------------------- */

/*
 * enable_ddw(): RTAS query + create, 16 MiB TCEs (the largest offered), a window of
 * 2^order_base_2(4 GiB) = 4 GiB, and 2 GiB of RAM pre-mapped at boot: 128 TCEs in one
 * H_PUT_TCE_INDIRECT; then a map is dma-direct: software only, no hypercall.
 */
Test(ddw, direct_window)
{
	struct fix f;
	struct strat_pressure p;

	fix_new(&f, "ddw");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_RTAS, RTAS_QUERY), 1);
	cr_expect_eq(calls_of(&f.ab, ACT_RTAS, RTAS_CREATE), 1);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 1);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 128);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_STUFF_TCE), 640, "default window still cleared");
	cr_assert_eq(map(&f, 0, 0x10000000, 64 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, ANY), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_GUEST, ANY), 1);
	cr_expect_eq(units_of(&f.ab, ACT_DEV_XLATE, ANY), 1);
	cr_expect_eq(units_of(&f.ab, ACT_DEV_JOB, ANY), 0, "pre-mapped at boot: no entry written");
	unmap(&f, 0, 0x10000000, 64 * KIB, ISM_DIR_TO_DEVICE, 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, ANY), 0);
	p = report(&f);
	cr_expect_eq(p.ddw_direct, 1);
	cr_expect_eq(p.window_entries, 256);
	cr_expect_eq(p.tces_written, 128);
	fix_free(&f);
}

/* a Secure VM has no PUT_TCE_IND: the pre-population is one H_PUT_TCE per TCE */
Test(ddw, secure_vm_prepopulates_with_put_tce)
{
	struct fix f;

	fix_scenario(&f);
	fix_set(&f, "machine.secure_vm", "true");
	fix_stack(&f, "ddw");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 128);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 0);
	fix_free(&f);
}

/* a 32-bit DMA mask gets no DDW: the default window, driven as window32 (a fallback) */
Test(ddw, fallback_to_the_default_window)
{
	struct fix f;

	fix_scenario(&f);
	fix_set(&f, "machine.dma_mask_bits", "32");
	fix_stack(&f, "ddw");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_RTAS, ANY), 0);
	cr_assert_eq(map(&f, 0, 0x1000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 1);
	cr_expect_eq(report(&f).ddw_fallbacks, 1);
	fix_free(&f);
}

/* the largest block does not cover RAM: an indirect window, mapped per map with 16 MiB TCEs */
Test(ddw, indirect_window)
{
	struct fix f;

	fix_scenario(&f);
	fix_set(&f, "machine.ddw_largest_block_tces", "64");
	fix_stack(&f, "ddw");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_RTAS, RTAS_CREATE), 1);
	cr_expect_eq(units_of(&f.ab, ACT_HCALL, H_PUT_TCE_INDIRECT), 0, "nothing pre-mapped");
	cr_assert_eq(map(&f, 0, 0x1000000, 8 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 1, "one 16 MiB TCE");
	cr_expect_eq(report(&f).ddw_indirect, 1);
	fix_free(&f);
}

/* ---- swiotlb ---------------------------------------------------------------------------- */

/* map copies in for every direction; unmap copies back only FROM_DEVICE/BIDI, unless skipped */
Test(swiotlb, copies_by_direction)
{
	struct fix f;
	struct strat_pressure p;

	fix_new(&f, "swiotlb");
	setup_hook(&f);
	cr_expect_eq(shares(&f.ab), 0, "not a protected VM: nothing shared");
	cr_assert_eq(map(&f, 0, 0x1000000, 4 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 4 * KIB);
	cr_expect_eq(units_of(&f.ab, ACT_SLOT_SEARCH, ANY), 1, "the first candidate fits");
	cr_expect_eq(report(&f).pool_used, 2, "two 2 KiB slots");
	unmap(&f, 0, 0x1000000, 4 * KIB, ISM_DIR_TO_DEVICE, 0);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 0);
	cr_assert_eq(map(&f, 0, 0x2000000, 4 * KIB, ISM_DIR_FROM_DEVICE), 0);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 4 * KIB, "bounced to the device anyway");
	unmap(&f, 0, 0x2000000, 4 * KIB, ISM_DIR_FROM_DEVICE, 0);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 4 * KIB);
	cr_assert_eq(map(&f, 0, 0x3000000, 4 * KIB, ISM_DIR_BIDIRECTIONAL), 0);
	unmap(&f, 0, 0x3000000, 4 * KIB, ISM_DIR_BIDIRECTIONAL, ISM_ATTR_SKIP_CPU_SYNC);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 0);
	p = report(&f);
	cr_expect_eq(p.bounces, 3);
	cr_expect_eq(p.bounced_bytes, 12 * KIB);
	cr_expect_eq(p.copied_bytes, 16 * KIB);
	cr_expect_eq(p.pool_slots, 64 * MIB / (2 * KIB));
	cr_expect_eq(p.pool_used, 0);
	fix_free(&f);
}

Test(swiotlb, sync_copies_by_direction)
{
	struct fix f;
	struct dma_req rq = { .cpu = 0, .dev = 1, .dir = ISM_DIR_FROM_DEVICE, .key = 0x1000000,
			      .size = 4 * KIB };

	fix_new(&f, "swiotlb");
	cr_assert_eq(map(&f, 0, 0x1000000, 4 * KIB, ISM_DIR_FROM_DEVICE), 0);
	actbuf_reset(&f.ab);
	f.s->ops->sync_cpu(f.s, &rq, &f.ab);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 4 * KIB);
	actbuf_reset(&f.ab);
	f.s->ops->sync_dev(f.s, &rq, &f.ab);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 0);
	/* a buffer this layer never bounced has nothing to sync */
	rq.key = 0x9000000;
	actbuf_reset(&f.ab);
	f.s->ops->sync_cpu(f.s, &rq, &f.ab);
	cr_expect_eq(f.ab.n, 0);
	fix_free(&f);
}

/* a Secure VM shares the whole pool once at boot (16384 4 KiB pages), coherent buffers alone */
Test(swiotlb, secure_vm_shares_the_pool)
{
	struct fix f;
	struct dma_req rq = { .cpu = 0, .dev = 1, .coherent = 1, .key = 0x7000000,
			      .phys = 0x7000000, .size = 8 * KIB };

	fix_scenario(&f);
	fix_set(&f, "machine.secure_vm", "true");
	fix_stack(&f, "swiotlb");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_SHARE, UV_SHARE_PAGE), 1);
	cr_expect_eq(units_of(&f.ab, ACT_SHARE, UV_SHARE_PAGE), 16384);
	cr_expect_eq(f.ab.a[0].outside, 0, "the pool is the designated pool");
	actbuf_reset(&f.ab);
	cr_assert_eq(f.s->ops->alloc(f.s, &rq, &f.ab), 0);
	cr_expect_eq(units_of(&f.ab, ACT_SHARE, UV_SHARE_PAGE), 2);
	cr_expect_eq(f.ab.a[f.ab.n - 1].outside, 1, "a coherent buffer is outside the pool");
	actbuf_reset(&f.ab);
	f.s->ops->free(f.s, &rq, &f.ab);
	cr_expect_eq(units_of(&f.ab, ACT_UNSHARE, UV_UNSHARE_PAGE), 2);
	fix_free(&f);
}

/* a pool of 1 MiB (512 slots, 2 areas) holds four 256 KiB maps; the fifth fails */
Test(swiotlb, pool_full_fails)
{
	struct fix f;

	fix_scenario(&f);
	fix_set(&f, "machine.swiotlb_bytes", "1MiB");
	fix_stack(&f, "swiotlb");
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(map(&f, i & 1, 0x1000000 + i * MIB, 256 * KIB, ISM_DIR_TO_DEVICE), 0,
			     "map %u", i);
	cr_expect_eq(map(&f, 0, 0x9000000, 256 * KIB, ISM_DIR_TO_DEVICE), -1);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 0);
	cr_expect_eq(report(&f).pool_failures, 1);
	fix_free(&f);
}

/* swiotlb+ddw: the copy, then the slot mapped by the layer below (dma-direct in a DDW) */
Test(swiotlb, stacked_on_ddw)
{
	struct fix f;

	fix_new(&f, "swiotlb+ddw");
	cr_assert_not_null(f.s->next);
	cr_expect_str_eq(f.s->next->ops->name, "ddw");
	setup_hook(&f);
	cr_expect_eq(calls_of(&f.ab, ACT_RTAS, RTAS_CREATE), 1, "the layer below sets up too");
	cr_assert_eq(map(&f, 0, 0x1000000, 4 * KIB, ISM_DIR_TO_DEVICE), 0);
	cr_expect_eq(units_of(&f.ab, ACT_COPY, ANY), 4 * KIB);
	cr_expect_eq(calls_of(&f.ab, ACT_GUEST, ANY), 2, "one software path per layer");
	cr_expect_eq(units_of(&f.ab, ACT_DEV_XLATE, ANY), 1);
	fix_free(&f);
}

/* svm = swiotlb+ddw on a Secure VM: pool shared, DDW pre-mapped with H_PUT_TCE */
Test(swiotlb, svm_alias)
{
	struct fix f;

	fix_new(&f, "svm");
	setup_hook(&f);
	cr_expect_eq(units_of(&f.ab, ACT_SHARE, UV_SHARE_PAGE), 16384);
	cr_expect_eq(calls_of(&f.ab, ACT_HCALL, H_PUT_TCE), 128);
	fix_free(&f);
}
