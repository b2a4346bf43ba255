/*
 * test-fidelity.c: replaying each shipped pseries trace under the strategy and scenario it
 * was recorded with predicts what the recording shows: the TCE hypercalls before (or, for
 * traced-first events, after) every DMA event, the boot-time calls through the setup model,
 * and on the swiotlb=force trace the bounce count and the pool high-water mark that the
 * guest's debugfs reported. Every residual must come from an sg list whose input lengths the
 * tracepoint does not give (sim.c sg_infer()).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>

#include "replay.h"
#include "scenario.h"
#include "helpers.h"

static char *trace_path(const char *name)
{
	const char *src = getenv("ISM_SRCDIR");
	char *p;

	if (asprintf(&p, "%s/traces/%s", src && *src ? src : ".", name) < 0)
		abort();
	return p;
}

/* A "key: value" line of a trace's .meta file, as an integer. */
static long long meta_value(const char *meta, const char *key)
{
	char *path = trace_path(meta), line[1024];
	FILE *f = fopen(path, "r");
	long long v = -1;

	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
			v = atoll(line + strlen(key) + 1);
	fclose(f);
	free(path);
	cr_assert_geq(v, 0, "%s has no '%s'", meta, key);
	return v;
}

struct replayed {
	struct scenario sc;
	struct replay rp;
	const struct sim_result *res;
	const struct sim_recorded *rec;
};

static void replay_one(struct replayed *r, const char *trace, const char *spec,
		       const char *const *sets)
{
	char *path = trace_path(trace), *scen = trace_path("../scenarios/qemu-pseries.json");
	char *cause = NULL;
	char *specs[1] = { (char *)spec };

	cr_assert_eq(scenario_load(scen, &r->sc, &cause), 0, "%s", cause);
	for (unsigned i = 0; sets && sets[i]; i++)
		cr_assert_eq(scenario_set(&r->sc, sets[i], NULL, &cause), 0, "%s", cause);
	cr_assert_eq(scenario_check(&r->sc, &cause), 0, "%s", cause);
	cr_assert_eq(replay_trace(path, NULL, &r->sc, specs, 1, 1, NULL, NULL, &r->rp, &cause), 0,
		     "%s", cause);
	r->res = sim_result(r->rp.sim, 0);
	r->rec = sim_recorded(r->rp.sim);
	free(path);
	free(scen);
}

static void release(struct replayed *r)
{
	replay_free(&r->rp);
	scenario_free(&r->sc);
}

/* All TCE hypercalls of the recording are either predicted for an event or by the setup. */
static void expect_accounted(const struct replayed *r, int setup_traced)
{
	const struct fidelity *f = &r->res->fid;

	for (int k = 0; k < 3; k++) {
		uint64_t recorded = r->rec->tce_hcalls[k];
		uint64_t predicted = f->matched[k] + f->missing[k] +
				     (setup_traced ? f->setup_pred[k] : 0);

		cr_expect_eq(f->matched[k] + f->extra[k], recorded, "opcode %d: bookkeeping", k);
		if (f->events_mismatched == 0)
			cr_expect_eq(predicted, recorded, "opcode %d: predicted %llu, recorded %llu",
				     k, (unsigned long long)predicted, (unsigned long long)recorded);
	}
}

Test(fidelity, ddw_trace_under_ddw_is_exact)
{
	static const char *const sets[] = { "sim.recorded_with=ddw", NULL };
	struct replayed r;

	replay_one(&r, "pseries-ddw.txt.xz", "ddw", sets);
	cr_expect_gt(r.res->fid.events_checked, 30000);
	cr_expect_eq(r.res->fid.events_mismatched, 0);
	/* 512 + 128 H_STUFF_TCE clears of the default window and the VIO table, one
	 * H_PUT_TCE_INDIRECT of 128 16-MiB TCEs pre-mapping 2 GiB */
	cr_expect_eq(r.res->fid.setup_pred[2], 640);
	cr_expect_eq(r.res->fid.setup_pred[1], 1);
	cr_expect_eq(r.res->fid.extra[2], 640);
	cr_expect_eq(r.res->fid.extra[1], 1);
	expect_accounted(&r, 1);
	release(&r);
}

Test(fidelity, noddw_trace_under_window32)
{
	static const char *const sets[] = { "sim.recorded_with=window32", NULL };
	struct replayed r;
	const struct fidelity *f;

	replay_one(&r, "pseries-noddw.txt.xz", "window32", sets);
	f = &r.res->fid;
	cr_expect_gt(f->events_checked, 30000);
	/* every event whose inputs the trace fully describes is exact */
	cr_expect_eq(f->events_mismatched, f->mismatched_inferred,
		     "%llu mismatches, %llu explained by inferred sg lengths",
		     (unsigned long long)f->events_mismatched,
		     (unsigned long long)f->mismatched_inferred);
	cr_expect_leq(f->events_mismatched, r.rec->sg_inferred_lists);
	/* one TCE build hypercall per input segment: the total is exact even where the
	 * single-page/multi-page split had to be inferred */
	cr_expect_eq(f->matched[0] + f->missing[0] + f->matched[1] + f->missing[1],
		     r.rec->tce_hcalls[0] + r.rec->tce_hcalls[1]);
	/* the boot clears are what the setup model says */
	cr_expect_eq(f->setup_pred[2], 640);
	cr_expect_geq(f->extra[2], 640);
	cr_expect_leq(f->extra[2] - 640, f->mismatched_inferred);
	release(&r);
}

Test(fidelity, multitce_off_trace_under_window32)
{
	static const char *const sets[] = { "sim.recorded_with=window32",
					    "machine.put_tce_indirect=false",
					    "machine.stuff_tce=false", NULL };
	struct replayed r;
	const struct fidelity *f;

	replay_one(&r, "pseries-multitce-off.txt.xz", "window32", sets);
	f = &r.res->fid;
	/* no H_PUT_TCE_INDIRECT, no H_STUFF_TCE: one H_PUT_TCE per TCE, set and clear */
	cr_expect_eq(r.rec->tce_hcalls[1], 0);
	cr_expect_eq(r.rec->tce_hcalls[2], 0);
	cr_expect_eq(f->events_mismatched, f->mismatched_inferred);
	cr_expect_eq(f->matched[0] + f->missing[0], r.rec->tce_hcalls[0]);
	/* this capture starts after boot (16.5 s): no clears recorded, and the setup model's
	 * 327680 H_PUT_TCE(0) (1 GiB window + VIO table) are not charged nor predicted */
	cr_expect_eq(r.rec->boot_in_trace, 0);
	cr_expect_eq(f->setup_pred[0], 0);
	release(&r);
}

Test(fidelity, swiotlb_trace_bounces_and_high_water)
{
	static const char *const sets[] = { "sim.recorded_with=swiotlb+ddw", NULL };
	struct replayed r;

	replay_one(&r, "pseries-swiotlb.txt.xz", "swiotlb+ddw", sets);
	/* one swiotlb_bounced per bounced map in the recording, one bounce per map here */
	cr_expect_eq(r.res->pr.bounces, r.rec->bounces);
	cr_expect_eq((long long)r.res->pr.bounces, meta_value("pseries-swiotlb.meta",
							      "events swiotlb_bounced"));
	/* /sys/kernel/debug/swiotlb/io_tlb_used_hiwater at the end of the capture */
	cr_expect_eq((long long)r.res->pr.pool_peak,
		     meta_value("pseries-swiotlb.meta", "swiotlb io_tlb_used_hiwater"));
	cr_expect_eq(r.res->pr.pool_failures, 0);
	cr_expect_eq(r.res->fid.events_mismatched, 0);
	expect_accounted(&r, 1);
	release(&r);
}

/* Replaying a trace under the strategy it was recorded with, at the costs measured from
 * it, reproduces its boot time (the only difference is the tracing overhead itself). */
Test(fidelity, self_replay_reproduces_boot_time)
{
	static const char *const sets[] = { "sim.recorded_with=ddw", NULL };
	struct replayed r;
	double d;

	replay_one(&r, "pseries-ddw.txt.xz", "ddw", sets);
	cr_assert(r.rec->have_boot_end);
	d = (r.res->boot_ns - r.rec->boot_ns) / r.rec->boot_ns;
	cr_expect(d > -0.01 && d < 0.01, "boot %.3f s simulated vs %.3f s recorded",
		  r.res->boot_ns / 1e9, r.rec->boot_ns / 1e9);
	release(&r);
}
