/*
 * test-reports.c: what reports are built on: SHA-256, sweep values and points, crossovers,
 * sizing advice, metrics read from result JSON, regress verdicts and thresholds, the exposure
 * timeline's bounded buckets.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "metrics.h"
#include "regress.h"
#include "scenario.h"
#include "sha256.h"
#include "strategy.h"
#include "sweep.h"

static void hex_of(const char *s, size_t len, char *hex)
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, s, len);
	sha256_hex(&h, hex);
}

Test(sha256, fips_vectors)
{
	char hex[SHA256_HEX_LEN];
	struct sha256 h;
	char a[1000];

	hex_of("", 0, hex);
	cr_expect_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	cr_expect_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	cr_expect_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* a million 'a', fed in uneven pieces */
	memset(a, 'a', sizeof(a));
	sha256_init(&h);
	for (int i = 0, n = 0; n < 1000000; i++) {
		int k = 1 + (i * 37) % 999;

		if (n + k > 1000000)
			k = 1000000 - n;
		sha256_update(&h, a, (size_t)k);
		n += k;
	}
	sha256_hex(&h, hex);
	cr_expect_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(manifest, scenario_hash_follows_parameters)
{
	struct scenario a, b;
	char ha[SHA256_HEX_LEN], hb[SHA256_HEX_LEN], *cause = NULL;

	cr_assert_eq(scenario_load(NULL, &a, &cause), 0);
	cr_assert_eq(scenario_load(NULL, &b, &cause), 0);
	manifest_scenario_hash(&a, ha);
	manifest_scenario_hash(&b, hb);
	cr_expect_str_eq(ha, hb);
	cr_assert_eq(scenario_set(&b, "cost.h_put_tce.fixed_ns=1234", NULL, &cause), 0);
	manifest_scenario_hash(&b, hb);
	cr_expect_str_neq(ha, hb);
	scenario_free(&a);
	scenario_free(&b);
}

Test(manifest, command_line_is_shell_quoted)
{
	char *argv[] = { "sweep", "-p", "a=1,2", "it's", "x y" };
	char *s = manifest_command_line(5, argv);

	cr_expect_str_eq(s, "sweep -p a=1,2 'it'\\''s' 'x y'");
	free(s);
}

Test(sweep, log_range)
{
	struct sweep_param p;
	char *cause = NULL;

	cr_assert_eq(sweep_param_parse("cost.h_put_tce.fixed_ns=100:100000:log:4", &p, &cause), 0);
	cr_assert_eq(p.n, 4);
	cr_expect(p.log);
	cr_expect(p.numeric);
	cr_expect_str_eq(p.text[0], "100");
	cr_expect_str_eq(p.text[1], "1000");
	cr_expect_str_eq(p.text[3], "100000");
	cr_expect_float_eq(p.x[2], 10000, 1e-6);
	sweep_param_free(&p);
}

Test(sweep, lin_range_of_sizes_rounds_to_the_parameters_multiple)
{
	struct sweep_param p;
	char *cause = NULL;

	/* swiotlb_bytes is a multiple of 2 KiB */
	cr_assert_eq(sweep_param_parse("machine.swiotlb_bytes=1MiB:2MiB:lin:4", &p, &cause), 0);
	cr_assert_eq(p.n, 4);
	for (unsigned i = 0; i < p.n; i++)
		cr_expect_eq(fmod(p.x[i], 2048), 0, "%s", p.text[i]);
	cr_expect_str_eq(p.text[0], "1048576");
	cr_expect_str_eq(p.text[3], "2097152");
	cr_expect(!p.log);
	sweep_param_free(&p);
}

Test(sweep, integer_rounding_drops_repeats)
{
	struct sweep_param p;
	char *cause = NULL;

	cr_assert_eq(sweep_param_parse("machine.cpus=1:4:lin:16", &p, &cause), 0);
	cr_expect_eq(p.n, 4);
	sweep_param_free(&p);
}

Test(sweep, lists)
{
	struct sweep_param p;
	char *cause = NULL;

	cr_assert_eq(sweep_param_parse("machine.ram_bytes=2GiB,8GiB,512GiB", &p, &cause), 0);
	cr_assert_eq(p.n, 3);
	cr_expect_str_eq(p.text[1], "8GiB");
	cr_expect_float_eq(p.x[1], 8.0 * 1073741824, 1);
	cr_expect(p.log, "a list over two orders of magnitude is drawn on a log axis");
	sweep_param_free(&p);
	cr_assert_eq(sweep_param_parse("machine.ddw_enabled=true,false", &p, &cause), 0);
	cr_expect_eq(p.n, 2);
	cr_expect_float_eq(p.x[0], 1, 0);
	sweep_param_free(&p);
	cr_assert_eq(sweep_param_parse("sim.recorded_with=indirect-tce:share-per-call,ddw", &p,
				       &cause), 0);
	cr_expect_eq(p.n, 2);
	cr_expect(!p.numeric);
	sweep_param_free(&p);
}

Test(sweep, bad_specs)
{
	static const char *const bad[] = {
		"cost.h_put_tce.fixed_ns", "=1,2", "cost.h_put_tce.fixed_ns=",
		"cost.h_put_tc.fixed_ns=1,2", "cost.h_put_tce.fixed_ns=1:2:cubic:4",
		"cost.h_put_tce.fixed_ns=1:2:lin:1", "cost.h_put_tce.fixed_ns=0:10:log:3",
		"cost.h_put_tce.fixed_ns=a:b:lin:3", "cost.h_put_tce.fixed_ns=1:2",
		"machine.ram_bytes=2GiB,lots", "machine.ddw_enabled=yes",
		"sim.recorded_with=a:b:lin:3x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sweep_param p;
		char *cause = NULL;

		if (strcmp(bad[i], "sim.recorded_with=a:b:lin:3x") == 0) {
			/* strings take a list, colons and all */
			cr_expect_eq(sweep_param_parse(bad[i], &p, &cause), 0);
			sweep_param_free(&p);
			continue;
		}
		cr_expect_lt(sweep_param_parse(bad[i], &p, &cause), 0, "%s accepted", bad[i]);
		cr_expect_not_null(cause, "%s: no cause", bad[i]);
		free(cause);
	}
}

Test(sweep, points_first_parameter_slowest)
{
	struct sweep_param p[2];
	unsigned idx[2];
	char *cause = NULL;

	cr_assert_eq(sweep_param_parse("machine.cpus=1,2,3", &p[0], &cause), 0);
	cr_assert_eq(sweep_param_parse("machine.swiotlb_bytes=1MiB,2MiB", &p[1], &cause), 0);
	cr_expect_eq(sweep_points(p, 2), 6);
	sweep_point_index(p, 2, 0, idx);
	cr_expect(idx[0] == 0 && idx[1] == 0);
	sweep_point_index(p, 2, 1, idx);
	cr_expect(idx[0] == 0 && idx[1] == 1);
	sweep_point_index(p, 2, 5, idx);
	cr_expect(idx[0] == 2 && idx[1] == 1);
	sweep_param_free(&p[0]);
	sweep_param_free(&p[1]);
}

Test(sweep, crossing_interpolated)
{
	double x[] = { 0, 1, 2, 3 }, a[] = { 1, 2, 3, 4 }, b[] = { 2.5, 2.5, 2.5, 2.5 };
	struct sweep_cross c[4];

	cr_assert_eq(sweep_crossings(x, a, b, 4, 0, c, 4), 1);
	cr_expect_float_eq(c[0].x, 1.5, 1e-12);
	cr_expect_float_eq(c[0].x_lo, 1, 0);
	cr_expect_float_eq(c[0].x_hi, 2, 0);
	cr_expect(c[0].a_below);
	/* the same on a log axis: geometric interpolation */
	{
		double lx[] = { 1, 10, 100 }, la[] = { 0, 0, 2 }, lb[] = { 1, 1, 1 };

		cr_assert_eq(sweep_crossings(lx, la, lb, 3, 1, c, 4), 1);
		cr_expect_float_eq(c[0].x, sqrt(1000), 1e-9);
	}
}

Test(sweep, crossing_skips_ties_and_gaps)
{
	double x[] = { 0, 1, 2, 3, 4, 5 };
	double a[] = { 1, 5, 5, NAN, 9, 1 }, b[] = { 3, 5, 5, 1, 3, 3 };
	struct sweep_cross c[4];

	/* below at 0, tied at 1 and 2, unknown at 3, above at 4, below again at 5 */
	cr_assert_eq(sweep_crossings(x, a, b, 6, 0, c, 4), 2);
	cr_expect_float_eq(c[0].x_lo, 0, 0);
	cr_expect_float_eq(c[0].x_hi, 4, 0);
	cr_expect(c[0].x > 0 && c[0].x < 4);
	cr_expect(c[0].a_below);
	cr_expect_float_eq(c[1].x, 4.75, 1e-12);
	cr_expect(!c[1].a_below);
	/* parallel lines never cross; equal ones neither */
	{
		double p[] = { 1, 2, 3, 4, 5, 6 }, q[] = { 2, 3, 4, 5, 6, 7 };

		cr_expect_eq(sweep_crossings(x, p, q, 6, 0, c, 4), 0);
		cr_expect_eq(sweep_crossings(x, p, p, 6, 0, c, 4), 0);
	}
}

Test(sweep, sizing)
{
	double x[] = { 1, 2, 4, 8 }, fail[] = { 900, 26, 0, 0 }, peak[] = { 512, 1022, 1028, 1028 };
	double slots[] = { 512, 1024, 2048, 4096 };
	struct sweep_sizing z;

	sweep_sizing(x, fail, peak, slots, 4, &z);
	cr_assert(z.found);
	cr_expect_eq(z.at, 2);
	cr_expect_float_eq(z.size, 4, 0);
	cr_expect_float_eq(z.margin, 1 - 1028.0 / 2048, 1e-12);
	cr_expect(z.fails_below);
	cr_expect_float_eq(z.demand, 1028, 0);
	/* a failure above a clean size: the advice is above the last failure */
	{
		double f2[] = { 0, 5, 0, 0 };

		sweep_sizing(x, f2, peak, slots, 4, &z);
		cr_expect_eq(z.at, 2);
	}
	{
		double f3[] = { 1, 1, 1, 1 };

		sweep_sizing(x, f3, peak, slots, 4, &z);
		cr_expect(!z.found);
	}
	{
		double f4[] = { 0, 0, 0, 0 };

		sweep_sizing(x, f4, peak, slots, 4, &z);
		cr_expect_eq(z.at, 0);
		cr_expect(!z.fails_below);
	}
}

/* A result with strategies (name, boot_ns, throughput, H_PUT_TCE calls). */
static json_t *result(int n, const char *const *names, const double *boot, const double *tput,
		      const int *puts)
{
	json_t *r = json_pack("{s:i, s:[]}", "schema_version", 1, "strategies");
	json_t *a = json_object_get(r, "strategies");

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:f, s:f, s:[{s:i, s:i}, {s:i, s:i}],"
						   " s:{s:i}}", "strategy", names[i], "boot_ns",
						   boot[i], "throughput_bytes_per_s", tput[i],
						   "calls", "opcode", 0x20, "calls", puts[i],
						   "opcode", 0xF130, "calls", 3, "pool",
						   "peak_slots", 7));
	return r;
}

Test(metrics, values_from_a_strategy)
{
	static const char *const names[] = { "ddw" };
	double boot[] = { 100 }, tput[] = { 5 };
	int puts[] = { 42 };
	json_t *r = result(1, names, boot, tput, puts), *s;
	double v;
	char *cause = NULL;

	cr_assert_eq(metric_check_result(r, &cause), 0);
	s = metric_strategy(r, "ddw");
	cr_assert_not_null(s);
	cr_expect_null(metric_strategy(r, "svm"));
	cr_expect_eq(metric_value(metric_find("boot_ns"), s, &v), 0);
	cr_expect_float_eq(v, 100, 0);
	cr_expect_eq(metric_value(metric_find("h_put_tce_calls"), s, &v), 0);
	cr_expect_float_eq(v, 42, 0);
	cr_expect_eq(metric_value(metric_find("hcalls"), s, &v), 0);
	cr_expect_float_eq(v, 42, 0, "ultracalls are not hypercalls");
	cr_expect_eq(metric_value(metric_find("ucalls"), s, &v), 0);
	cr_expect_float_eq(v, 3, 0);
	cr_expect_eq(metric_value(metric_find("pool_peak_slots"), s, &v), 0);
	cr_expect_float_eq(v, 7, 0);
	cr_expect_lt(metric_value(metric_find("run_ns"), s, &v), 0);
	cr_expect(metric_find("throughput_bytes_per_s")->higher_better);
	cr_expect(!metric_find("boot_ns")->higher_better);
	cr_expect_null(metric_find("boot_s"));
	json_decref(r);
	r = json_pack("{s:i}", "schema_version", 2);
	cr_expect_lt(metric_check_result(r, &cause), 0);
	free(cause);
	json_decref(r);
}

Test(regress, thresholds)
{
	struct regress_threshold t;
	char *cause = NULL;

	cr_assert_eq(regress_parse_threshold("5%", &t, &cause), 0);
	cr_expect_null(t.m);
	cr_expect_float_eq(t.pct, 5, 0);
	cr_assert_eq(regress_parse_threshold("boot_ns=2.5", &t, &cause), 0);
	cr_expect_eq(t.m, metric_find("boot_ns"));
	cr_expect_float_eq(t.pct, 2.5, 0);
	cr_expect_lt(regress_parse_threshold("boot_s=2%", &t, &cause), 0);
	free(cause);
	cause = NULL;
	cr_expect_lt(regress_parse_threshold("5%%", &t, &cause), 0);
	free(cause);
	cause = NULL;
	cr_expect_lt(regress_parse_threshold("-1", &t, &cause), 0);
	free(cause);
}

/* Verdict of @metric for strategy "a" when base -> cur. */
static enum regress_verdict verdict(const char *metric, double base_boot, double cur_boot,
				   double base_tput, double cur_tput, const char *th)
{
	static const char *const names[] = { "a" };
	int puts[] = { 1 };
	json_t *b = result(1, names, &base_boot, &base_tput, puts);
	json_t *c = result(1, names, &cur_boot, &cur_tput, puts);
	const struct metric *m = metric_find(metric);
	struct regress_threshold t;
	struct regress_opts o = { .metrics = &m, .nmetrics = 1 };
	struct regress_result r;
	enum regress_verdict v;
	char *cause = NULL;

	if (th) {
		cr_assert_eq(regress_parse_threshold(th, &t, &cause), 0);
		o.th = &t;
		o.nth = 1;
	}
	cr_assert_eq(regress_compare(b, c, &o, &r, &cause), 0);
	cr_assert_eq(r.n, 1);
	v = r.rows[0].v;
	regress_free(&r);
	json_decref(b);
	json_decref(c);
	return v;
}

Test(regress, verdicts_know_the_direction)
{
	cr_expect_eq(verdict("boot_ns", 100, 110, 1, 1, NULL), RV_REGRESSED);
	cr_expect_eq(verdict("boot_ns", 100, 102, 1, 1, NULL), RV_OK);
	cr_expect_eq(verdict("boot_ns", 100, 105, 1, 1, NULL), RV_OK, "the limit itself passes");
	cr_expect_eq(verdict("boot_ns", 100, 90, 1, 1, NULL), RV_IMPROVED);
	cr_expect_eq(verdict("boot_ns", 100, 102, 1, 1, "boot_ns=1%"), RV_REGRESSED);
	cr_expect_eq(verdict("boot_ns", 100, 110, 1, 1, "20"), RV_OK);
	cr_expect_eq(verdict("throughput_bytes_per_s", 1, 1, 100, 90, NULL), RV_REGRESSED);
	cr_expect_eq(verdict("throughput_bytes_per_s", 1, 1, 100, 110, NULL), RV_IMPROVED);
	cr_expect_eq(verdict("boot_ns", 0, 1, 1, 1, NULL), RV_REGRESSED, "from zero");
	cr_expect_eq(verdict("boot_ns", 0, 0, 1, 1, NULL), RV_OK);
}

Test(regress, missing_and_new_strategies)
{
	static const char *const ab[] = { "a", "b" }, *const ac[] = { "a", "c" };
	double boot[] = { 1, 1 }, tput[] = { 1, 1 };
	int puts[] = { 1, 1 };
	json_t *b = result(2, ab, boot, tput, puts), *c = result(2, ac, boot, tput, puts);
	json_t *none = result(1, ac + 1, boot, tput, puts), *j;
	struct regress_opts o = { 0 };
	struct regress_result r;
	char *cause = NULL;

	cr_assert_eq(regress_compare(b, c, &o, &r, &cause), 0);
	cr_expect_eq(r.missing, 1);
	cr_expect_eq(r.added, 1);
	cr_expect_eq(r.regressed, 0);
	j = regress_json(&r, "b", "c");
	cr_expect_str_eq(json_string_value(json_object_get(j, "verdict")), "fail");
	json_decref(j);
	regress_free(&r);
	cr_expect_lt(regress_compare(b, none, &o, &r, &cause), 0, "nothing in common");
	free(cause);
	json_decref(b);
	json_decref(c);
	json_decref(none);
}

Test(exposure, timeline_stays_bounded_and_keeps_the_peak)
{
	struct strat_pressure p;
	uint64_t peak = 0;

	memset(&p, 0, sizeof(p));
	/* share and unshare 4 KiB pages over a long time: buckets double as time runs on */
	for (uint64_t t = 0; t < 4000000000ull; t += 1000003) {
		strat_share(&p, 4096 * (1 + t % 7), 0, t);
		if (p.shared_bytes_now > peak)
			peak = p.shared_bytes_now;
		strat_unshare(&p, 4096 * (1 + t % 7), 0, t + 500);
	}
	cr_expect_gt(p.tl.width_ns, 1024, "the buckets never widened");
	cr_expect_lt(4000000000ull / p.tl.width_ns, EXPO_BUCKETS + 1);
	{
		uint64_t m = 0;

		for (unsigned b = 0; b < EXPO_BUCKETS; b++)
			if (expo_timeline_level(&p.tl, b) > m)
				m = expo_timeline_level(&p.tl, b);
		cr_expect_eq(m, peak);
		cr_expect_eq(m, p.shared_bytes_peak);
	}
	/* a level set once carries through empty buckets */
	memset(&p, 0, sizeof(p));
	strat_share(&p, 65536, 0, 0);
	strat_share(&p, 0, 0, 1000000);
	cr_expect_eq(expo_timeline_level(&p.tl, EXPO_BUCKETS / 2), 65536);
}
