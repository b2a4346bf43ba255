/*
 * test-scenario.c: scenario files. Defaults, every kind of error with its exact one-line text
 * and LINE:COL, sizes and hex strings, scenario_set(), the parameter table itself, the JSON
 * position finder, and the man page naming every parameter path.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "helpers.h"
#include "jsonpos.h"
#include "param.h"
#include "scenario.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* Load @json from a temporary file into @sc; returns the status, *cause as the loader set it. */
static int load_text(const char *json, struct scenario *sc, char **cause, char **path)
{
	*path = tmp_text(json);
	*cause = NULL;
	return scenario_load(*path, sc, cause);
}

/* @json must fail with @err and exactly "TMPFILE:" @msg, on one line. */
static void expect_error(const char *json, int err, const char *msg)
{
	struct scenario sc;
	char *path, *cause, *want;
	int r = load_text(json, &sc, &cause, &path);

	cr_assert_eq(r, err, "status %d, want %d (%s)", r, err, cause ? cause : "no message");
	cr_assert_not_null(cause);
	if (asprintf(&want, "%s:%s", path, msg) < 0)
		abort();
	cr_expect_str_eq(cause, want);
	cr_expect_null(strchr(cause, '\n'), "message spans lines: %s", cause);
	/* the structure is left empty: nothing to free, freeing again is harmless */
	cr_expect_null(sc.name);
	scenario_free(&sc);
	unlink(path);
	free(want);
	free(cause);
	free(path);
}

#define ERROR_TEST(name, err, json, msg)                   \
	Test(scenario_error, name)                         \
	{                                                  \
		expect_error(json, -ISM_E##err, msg);      \
	}

/* Load @json, which must succeed. */
static void load_ok(const char *json, struct scenario *sc)
{
	char *path, *cause;
	int r = load_text(json, sc, &cause, &path);

	cr_assert_eq(r, 0, "%s", cause ? cause : "");
	unlink(path);
	free(path);
}

static void expect_defaults(const struct scenario *sc)
{
	const struct scenario_machine *m = &sc->machine;
	const struct scenario_cost *c = &sc->cost;

	cr_expect_eq(m->cpus, 2);
	cr_expect_eq(m->ram_bytes, 2 * GiB);
	cr_expect_eq(m->max_ram_bytes, 4 * GiB);
	cr_expect_eq(m->page_bytes, 4096);
	cr_expect_eq(m->dma_mask_bits, 64);
	cr_expect_eq(m->window32_bytes, GiB);
	cr_expect_eq(m->window32_tce_bytes, 4096);
	cr_expect_eq(m->vio_table_entries, 65536);
	cr_expect_eq(m->default_windows, 1);
	cr_expect_eq(m->ddw_enabled, 1);
	cr_expect_eq(m->ddw_page_mask, 1u << 12 | 1u << 16 | 1u << 21 | 1u << 24);
	cr_expect_eq(m->ddw_windows_available, 1);
	cr_expect_eq(m->ddw_largest_block_tces, 0);
	cr_expect_eq(m->ddw_window_base, UINT64_C(0x0800000000000000));
	cr_expect_eq(m->put_tce_indirect, 1);
	cr_expect_eq(m->stuff_tce, 1);
	cr_expect_eq(m->max_tces_per_call, 512);
	cr_expect_eq(m->secure_vm, 0);
	cr_expect_eq(m->swiotlb_bytes, 64 * MiB);
	cr_expect_eq(m->swiotlb_areas, 0);
	cr_expect_eq(m->swiotlb_force, 0);
	cr_expect_eq(m->swiotlb_dynamic, 0);
	cr_expect_eq(m->min_align_mask, 0);
	cr_expect_eq(m->novmerge, 0);
	cr_expect_eq(m->max_seg_bytes, 64 * KiB);
	cr_expect_eq(c->h_put_tce.fixed_ns, 2100);
	cr_expect_eq(c->h_put_tce.per_entry_ns, 0);
	cr_expect_eq(c->h_put_tce_indirect.fixed_ns, 2100);
	cr_expect_eq(c->h_put_tce_indirect.per_entry_ns, 50);
	cr_expect_eq(c->h_stuff_tce.fixed_ns, 2100);
	cr_expect_eq(c->h_stuff_tce.per_entry_ns, 20);
	cr_expect_eq(c->h_get_tce.fixed_ns, 2100);
	cr_expect_eq(c->h_get_tce.per_entry_ns, 0);
	cr_expect_eq(c->uv_share_page.fixed_ns, 10000);
	cr_expect_eq(c->uv_share_page.per_entry_ns, 1000);
	cr_expect_eq(c->uv_unshare_page.fixed_ns, 10000);
	cr_expect_eq(c->uv_unshare_page.per_entry_ns, 1000);
	cr_expect_eq(c->rtas_query.fixed_ns, 100000);
	cr_expect_eq(c->rtas_create.fixed_ns, 1000000);
	cr_expect_eq(c->rtas_remove.fixed_ns, 100000);
	cr_expect_eq(c->copy_bytes_per_s, 7.36 * (double)GiB);
	cr_expect_eq(c->copy_fixed_ns, 50);
	cr_expect_eq(c->guest_map_ns, 300);
	cr_expect_eq(c->guest_per_page_ns, 30);
	cr_expect_eq(c->guest_alloc_per_bit_ns, 0.5);
	cr_expect_eq(c->swiotlb_per_slot_ns, 1);
	cr_expect_eq(c->lock_ns, 20);
	cr_expect_eq(c->device_xlate_per_page_ns, 0);
	cr_expect_eq(c->device_bytes_per_s, 0);
	cr_expect_eq(c->hv_tce_lock_hold_ns, 0);
	cr_expect_str_eq(sc->sim.recorded_with, "");
	cr_expect_str_eq(sc->sim.boot_start_marker, "");
	cr_expect_str_eq(sc->sim.boot_end_marker, "");
	cr_expect_eq(sc->sim.device_time_max_ns, UINT64_C(10000000000));
	cr_expect_str_eq(sc->description, "");
}

/* ---- loading ------------------------------------------------------------------------ */

Test(scenario, defaults_from_minimal_file)
{
	struct scenario sc;
	char *path, *cause, *base;
	int r = load_text("{\"schema_version\": 1}\n", &sc, &cause, &path);

	cr_assert_eq(r, 0, "%s", cause ? cause : "");
	expect_defaults(&sc);
	cr_expect_str_eq(sc.path, path);
	base = strrchr(path, '/') + 1;
	cr_expect_str_eq(sc.name, base, "the name defaults to the file name");
	scenario_free(&sc);
	unlink(path);
	free(path);
}

Test(scenario, defaults_without_file)
{
	struct scenario sc;
	char *cause = NULL;

	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	expect_defaults(&sc);
	cr_expect_str_eq(sc.path, "(defaults)");
	cr_expect_str_eq(sc.name, "defaults");
	scenario_free(&sc);
	scenario_free(&sc); /* twice is harmless */
}

Test(scenario, name_from_file_without_json_suffix)
{
	char dir[] = "/tmp/ismscen-XXXXXX", path[64];
	struct scenario sc;
	char *cause = NULL;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pseries-kvm.json", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"schema_version\": 1}", f);
	fclose(f);
	cr_assert_eq(scenario_load(path, &sc, &cause), 0);
	cr_expect_str_eq(sc.name, "pseries-kvm");
	scenario_free(&sc);
	unlink(path);
	rmdir(dir);
}

Test(scenario, every_section)
{
	struct scenario sc;

	load_ok("{\n"
		"  \"schema_version\": 1,\n"
		"  \"name\": \"svm\",\n"
		"  \"description\": \"POWER secure VM, caf\\u00e9 \\\"quoted\\\"\",\n"
		"  \"machine\": {\n"
		"    \"cpus\": 16, \"ram_bytes\": \"32GiB\", \"max_ram_bytes\": 0,\n"
		"    \"page_bytes\": \"64KiB\", \"dma_mask_bits\": 32,\n"
		"    \"window32_bytes\": \"2GiB\", \"window32_tce_bytes\": 65536,\n"
		"    \"vio_table_entries\": 0, \"default_windows\": 4, \"ddw_enabled\": false,\n"
		"    \"ddw_page_mask\": \"0x1010000\", \"ddw_windows_available\": 2,\n"
		"    \"ddw_largest_block_tces\": 524288, \"ddw_window_base\": \"0x8000000000000000\",\n"
		"    \"put_tce_indirect\": false, \"stuff_tce\": false, \"max_tces_per_call\": 1,\n"
		"    \"secure_vm\": true, \"swiotlb_bytes\": \"512MiB\", \"swiotlb_areas\": 16,\n"
		"    \"swiotlb_force\": true, \"swiotlb_dynamic\": true, \"min_align_mask\": 4095,\n"
		"    \"novmerge\": true, \"max_seg_bytes\": 4294967295\n"
		"  },\n"
		"  \"cost\": {\n"
		"    \"h_put_tce\": {\"fixed_ns\": 50000, \"per_entry_ns\": 1.5},\n"
		"    \"uv_share_page\": {\"per_entry_ns\": 0},\n"
		"    \"copy_bytes_per_s\": 2e9, \"device_bytes_per_s\": 1e9, \"lock_ns\": 0\n"
		"  },\n"
		"  \"sim\": {\"recorded_with\": \"window32\", \"boot_end_marker\": \"boot done\",\n"
		"          \"device_time_max_ns\": 1e9}\n"
		"}\n", &sc);
	cr_expect_str_eq(sc.name, "svm");
	cr_expect_str_eq(sc.description, "POWER secure VM, caf\xc3\xa9 \"quoted\"");
	cr_expect_eq(sc.machine.cpus, 16);
	cr_expect_eq(sc.machine.ram_bytes, 32 * GiB);
	cr_expect_eq(sc.machine.max_ram_bytes, 0);
	cr_expect_eq(sc.machine.page_bytes, 64 * KiB);
	cr_expect_eq(sc.machine.dma_mask_bits, 32);
	cr_expect_eq(sc.machine.window32_bytes, 2 * GiB);
	cr_expect_eq(sc.machine.window32_tce_bytes, 64 * KiB);
	cr_expect_eq(sc.machine.vio_table_entries, 0);
	cr_expect_eq(sc.machine.default_windows, 4);
	cr_expect_eq(sc.machine.ddw_enabled, 0);
	cr_expect_eq(sc.machine.ddw_page_mask, 0x1010000);
	cr_expect_eq(sc.machine.ddw_windows_available, 2);
	cr_expect_eq(sc.machine.ddw_largest_block_tces, 524288);
	cr_expect_eq(sc.machine.ddw_window_base, UINT64_C(0x8000000000000000));
	cr_expect_eq(sc.machine.put_tce_indirect, 0);
	cr_expect_eq(sc.machine.stuff_tce, 0);
	cr_expect_eq(sc.machine.max_tces_per_call, 1);
	cr_expect_eq(sc.machine.secure_vm, 1);
	cr_expect_eq(sc.machine.swiotlb_bytes, 512 * MiB);
	cr_expect_eq(sc.machine.swiotlb_areas, 16);
	cr_expect_eq(sc.machine.swiotlb_force, 1);
	cr_expect_eq(sc.machine.swiotlb_dynamic, 1);
	cr_expect_eq(sc.machine.min_align_mask, 4095);
	cr_expect_eq(sc.machine.novmerge, 1);
	cr_expect_eq(sc.machine.max_seg_bytes, UINT64_C(4294967295));
	cr_expect_eq(sc.cost.h_put_tce.fixed_ns, 50000);
	cr_expect_eq(sc.cost.h_put_tce.per_entry_ns, 1.5);
	cr_expect_eq(sc.cost.uv_share_page.fixed_ns, 10000, "an omitted key keeps its default");
	cr_expect_eq(sc.cost.uv_share_page.per_entry_ns, 0);
	cr_expect_eq(sc.cost.copy_bytes_per_s, 2e9);
	cr_expect_eq(sc.cost.device_bytes_per_s, 1e9);
	cr_expect_eq(sc.cost.lock_ns, 0);
	cr_expect_str_eq(sc.sim.recorded_with, "window32");
	cr_expect_str_eq(sc.sim.boot_start_marker, "");
	cr_expect_str_eq(sc.sim.boot_end_marker, "boot done");
	cr_expect_eq(sc.sim.device_time_max_ns, 1000000000);
	scenario_free(&sc);
}

/* Sizes as integers, binary suffixes and hex, and integral reals for integers. */
Test(scenario, size_forms)
{
	static const struct {
		const char *json;
		uint64_t want;
	} cases[] = {
		{ "1073741824", GiB },
		{ "\"1073741824\"", GiB },
		{ "\"1GiB\"", GiB },
		{ "\"1024MiB\"", GiB },
		{ "\"1048576KiB\"", GiB },
		{ "\"0x40000000\"", GiB },
		{ "\"0X40000000\"", GiB },
		{ "\"0x0000000040000000\"", GiB },
		{ "1.073741824e9", GiB },
		{ "\"64TiB\"", UINT64_C(64) << 40 },
		{ "\"16MiB\"", 16 * MiB },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scenario sc;
		char json[256];

		snprintf(json, sizeof(json),
			 "{\"schema_version\": 1, \"machine\": {\"ram_bytes\": %s,"
			 " \"max_ram_bytes\": \"64TiB\"}}", cases[i].json);
		load_ok(json, &sc);
		cr_expect_eq(sc.machine.ram_bytes, cases[i].want, "%s", cases[i].json);
		scenario_free(&sc);
	}
}

Test(scenario, hex_strings)
{
	struct scenario sc;

	load_ok("{\"schema_version\": 1, \"machine\": {\"ddw_window_base\": \"0x0800000000000000\","
		" \"ddw_page_mask\": \"0x400001000\"}}", &sc);
	cr_expect_eq(sc.machine.ddw_window_base, UINT64_C(1) << 59);
	cr_expect_eq(sc.machine.ddw_page_mask, UINT64_C(1) << 34 | UINT64_C(1) << 12);
	scenario_free(&sc);
	load_ok("{\"schema_version\": 1, \"machine\": {\"ddw_window_base\": 576460752303423488,"
		" \"ddw_page_mask\": 4096}}", &sc);
	cr_expect_eq(sc.machine.ddw_window_base, UINT64_C(1) << 59);
	cr_expect_eq(sc.machine.ddw_page_mask, 4096);
	scenario_free(&sc);
	load_ok("{\"schema_version\": 1, \"machine\": {\"ddw_window_base\": \"0xffffffffffffffff\"}}",
		&sc);
	cr_expect_eq(sc.machine.ddw_window_base, UINT64_MAX);
	scenario_free(&sc);
}

Test(scenario, param_parse_size)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "4KiB", 0, 4096 },
		{ "2GiB", 0, 2 * GiB },
		{ "1TiB", 0, UINT64_C(1) << 40 },
		{ "1PiB", 0, UINT64_C(1) << 50 },
		{ "15EiB", 0, UINT64_C(15) << 60 },
		{ "16EiB", -ISM_ERANGE, 0 },
		{ "0x10", 0, 16 },
		{ "0xFFFFFFFFFFFFFFFF", 0, UINT64_MAX },
		{ "0x10000000000000000", -ISM_ERANGE, 0 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ISM_ERANGE, 0 },
		{ "", -ISM_ECORRUPT, 0 },
		{ "4K", -ISM_ECORRUPT, 0 },
		{ "4kib", -ISM_ECORRUPT, 0 },
		{ "4 KiB", -ISM_ECORRUPT, 0 },
		{ "-4KiB", -ISM_ECORRUPT, 0 },
		{ "0x", -ISM_ECORRUPT, 0 },
		{ "0x10KiB", -ISM_ECORRUPT, 0 },
		{ "1.5GiB", -ISM_ECORRUPT, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		int r = param_parse_size(cases[i].s, &v);

		cr_expect_eq(r, cases[i].r, "'%s': %d", cases[i].s, r);
		if (!r)
			cr_expect_eq(v, cases[i].v, "'%s'", cases[i].s);
	}
}

/* ---- errors: FILE:LINE:COL: path: message ------------------------------------------- */

ERROR_TEST(unknown_key_suggestion, CORRUPT,
	   "{\n  \"schema_version\": 1,\n  \"machine\": {\n    \"cpu\": 4\n  }\n}\n",
	   "4:5: machine.cpu: unknown key; did you mean 'cpus'?")
ERROR_TEST(unknown_key_no_suggestion, CORRUPT,
	   "{\n  \"schema_version\": 1,\n  \"machine\": {\"foo\": 4}}",
	   "3:15: machine.foo: unknown key")
ERROR_TEST(unknown_key_lists_the_few_allowed, CORRUPT,
	   "{\"schema_version\": 1, \"bogus\": 1}",
	   "1:23: bogus: unknown key; expected one of: schema_version, strategy, calibration, name, "
	   "description, machine, cost, sim")
ERROR_TEST(unknown_key_in_call_cost, CORRUPT,
	   "{\"schema_version\": 1, \"cost\": {\"h_put_tce\": {\"fixed\": 1}}}",
	   "1:46: cost.h_put_tce.fixed: unknown key; expected one of: fixed_ns, per_entry_ns")
ERROR_TEST(unknown_key_near_miss_in_call_cost, CORRUPT,
	   "{\"schema_version\": 1, \"cost\": {\"h_put_tce\": {\"fixd_ns\": 1}}}",
	   "1:46: cost.h_put_tce.fixd_ns: unknown key; did you mean 'fixed_ns'?")
ERROR_TEST(unknown_key_near_schema_version, CORRUPT, "{\n\"schema_verison\": 1\n}",
	   "2:1: schema_verison: unknown key; did you mean 'schema_version'?")
ERROR_TEST(unknown_call, CORRUPT, "{\"schema_version\": 1, \"cost\": {\"h_put_tces\": {}}}",
	   "1:32: cost.h_put_tces: unknown key; did you mean 'h_put_tce'?")
ERROR_TEST(dotted_key, CORRUPT, "{\"schema_version\": 1, \"machine.cpus\": 4}",
	   "1:23: machine.cpus: unknown key; nest objects instead of dotted keys")
ERROR_TEST(unknown_key_escaped_control_char, CORRUPT,
	   "{\"schema_version\": 1, \"machine\": {\"cp\\nus\": 4}}",
	   "1:35: machine.cp\\x0aus: unknown key; did you mean 'cpus'?")
ERROR_TEST(duplicate_key, CORRUPT,
	   "{\n  \"schema_version\": 1,\n  \"machine\": {\n    \"cpus\": 2,\n    \"cpus\": 4\n  }\n}",
	   "5:5: machine.cpus: duplicate key (first at 4:5)")
ERROR_TEST(duplicate_key_top, CORRUPT, "{\"schema_version\": 1,\n \"schema_version\": 1}",
	   "2:2: schema_version: duplicate key (first at 1:2)")
ERROR_TEST(duplicate_key_escaped, CORRUPT,
	   "{\"schema_version\": 1, \"cost\": {\"lock_ns\": 1, \"lock_\\u006es\": 2}}",
	   "1:46: cost.lock_ns: duplicate key (first at 1:32)")
/* columns count characters: "é" is two bytes, one column */
ERROR_TEST(column_counts_characters, RANGE,
	   "{\"schema_version\": 1, \"name\": \"\xc3\xa9t\xc3\xa9\", \"machine\": {\"cpus\": 0}}",
	   "1:58: machine.cpus: 0 out of range (1..4096 CPUs)")
ERROR_TEST(wrong_type_string, CORRUPT, "{\"schema_version\": 1,\n \"machine\": {\"cpus\": \"4\"}}",
	   "2:22: machine.cpus: expected an integer, got the string \"4\"")
ERROR_TEST(wrong_type_bool, CORRUPT, "{\"schema_version\": 1,\n \"machine\": {\"secure_vm\": 1}}",
	   "2:27: machine.secure_vm: expected true or false, got a number")
ERROR_TEST(wrong_type_double, CORRUPT,
	   "{\"schema_version\": 1,\n \"cost\": {\"lock_ns\": \"20ns\"}}",
	   "2:22: cost.lock_ns: expected a number, got the string \"20ns\"")
ERROR_TEST(wrong_type_string_param, CORRUPT,
	   "{\"schema_version\": 1,\n \"sim\": {\"recorded_with\": [\"window32\"]}}",
	   "2:27: sim.recorded_with: expected a string, got an array")
ERROR_TEST(wrong_type_size, CORRUPT,
	   "{\"schema_version\": 1,\n \"machine\": {\"ram_bytes\": true}}",
	   "2:27: machine.ram_bytes: expected a size (an integer, \"64MiB\" or \"0x...\"), got a "
	   "boolean")
ERROR_TEST(wrong_type_group, CORRUPT, "{\"schema_version\": 1,\n \"cost\": {\"h_put_tce\": 2100}}",
	   "2:24: cost.h_put_tce: expected an object, got a number")
ERROR_TEST(wrong_type_null_section, CORRUPT, "{\"schema_version\": 1,\n \"machine\": null}",
	   "2:13: machine: expected an object, got null")
ERROR_TEST(out_of_range, RANGE, "{\"schema_version\": 1,\n \"machine\": {\"cpus\": 5000}}",
	   "2:22: machine.cpus: 5000 out of range (1..4096 CPUs)")
ERROR_TEST(out_of_range_negative, RANGE, "{\"schema_version\": 1,\n \"machine\": {\"cpus\": -1}}",
	   "2:22: machine.cpus: -1 out of range (1..4096 CPUs)")
ERROR_TEST(out_of_range_negative_ns, RANGE,
	   "{\"schema_version\": 1,\n \"cost\": {\"h_stuff_tce\": {\"per_entry_ns\": -0.5}}}",
	   "2:43: cost.h_stuff_tce.per_entry_ns: -0.5 out of range (0..1e+12 ns)")
ERROR_TEST(out_of_range_bandwidth, RANGE,
	   "{\"schema_version\": 1,\n \"cost\": {\"copy_bytes_per_s\": 1e13}}",
	   "2:31: cost.copy_bytes_per_s: 1e+13 out of range (1e+06..1e+12 bytes/s)")
ERROR_TEST(out_of_range_zero_or_range, RANGE,
	   "{\"schema_version\": 1,\n \"cost\": {\"device_bytes_per_s\": 1000}}",
	   "2:33: cost.device_bytes_per_s: 1000 out of range (0 or 1e+06..1e+13 bytes/s)")
ERROR_TEST(out_of_range_size, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"ram_bytes\": \"8MiB\"}}",
	   "2:27: machine.ram_bytes: \"8MiB\" out of range (16MiB..64TiB)")
ERROR_TEST(out_of_range_u64_real, RANGE,
	   "{\"schema_version\": 1,\n \"sim\": {\"device_time_max_ns\": 1e16}}",
	   "2:32: sim.device_time_max_ns: 1e+16 out of range (0..1000000000000000 ns)")
ERROR_TEST(not_an_integer, RANGE, "{\"schema_version\": 1,\n \"machine\": {\"cpus\": 2.5}}",
	   "2:22: machine.cpus: 2.5 is not an integer")
ERROR_TEST(not_allowed, RANGE, "{\"schema_version\": 1,\n \"machine\": {\"page_bytes\": 16384}}",
	   "2:28: machine.page_bytes: 16384 is not allowed (4KiB or 64KiB)")
ERROR_TEST(not_a_power_of_two, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"window32_tce_bytes\": 12288}}",
	   "2:36: machine.window32_tce_bytes: 12288 is not a power of two")
ERROR_TEST(areas_not_a_power_of_two, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"swiotlb_areas\": 3}}",
	   "2:31: machine.swiotlb_areas: 3 is not a power of two")
ERROR_TEST(not_a_multiple, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"swiotlb_bytes\": 1048577}}",
	   "2:31: machine.swiotlb_bytes: 1048577 is not a multiple of 2KiB")
ERROR_TEST(ddw_page_mask_bits, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"ddw_page_mask\": \"0x1001\"}}",
	   "2:31: machine.ddw_page_mask: \"0x1001\" has bit 0 set, which is no DDW page size "
	   "(bits 12, 16, 21, 24-28, 34: 4K 64K 2M 16M 32M 64M 128M 256M 16G)")
ERROR_TEST(min_align_mask_form, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"min_align_mask\": 4096}}",
	   "2:32: machine.min_align_mask: 4096 is not a mask of low bits (2^n - 1, e.g. 4095)")
ERROR_TEST(size_decimal_suffix, CORRUPT,
	   "{\"schema_version\": 1,\n \"machine\": {\"ram_bytes\": \"64MB\"}}",
	   "2:27: machine.ram_bytes: \"64MB\" is not a size; did you mean \"64MiB\"?")
ERROR_TEST(size_garbage, CORRUPT,
	   "{\"schema_version\": 1,\n \"machine\": {\"ram_bytes\": \"lots\"}}",
	   "2:27: machine.ram_bytes: \"lots\" is not a size (use an integer, <n>KiB, MiB, GiB, TiB, "
	   "PiB, EiB or 0x<hex>)")
ERROR_TEST(size_too_large, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"ram_bytes\": \"20EiB\"}}",
	   "2:27: machine.ram_bytes: \"20EiB\" is too large (more than 2^64-1)")
ERROR_TEST(hex_garbage, CORRUPT,
	   "{\"schema_version\": 1,\n \"machine\": {\"ddw_window_base\": \"0x08zz\"}}",
	   "2:33: machine.ddw_window_base: \"0x08zz\" is not an integer (use decimal digits or "
	   "0x<hex>)")
ERROR_TEST(u64_no_strings, CORRUPT,
	   "{\"schema_version\": 1,\n \"machine\": {\"max_tces_per_call\": \"0x10\"}}",
	   "2:35: machine.max_tces_per_call: expected an integer, got the string \"0x10\"")
ERROR_TEST(window_not_a_multiple_of_tce, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"window32_bytes\": \"1MiB\","
	   " \"window32_tce_bytes\": \"16MiB\"}}",
	   "2:32: machine.window32_bytes: 1MiB is not a multiple of machine.window32_tce_bytes "
	   "(16MiB)")
ERROR_TEST(window_not_a_multiple_of_tce_given_first, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"window32_tce_bytes\": \"64KiB\",\n"
	   "   \"window32_bytes\": \"1040KiB\"}}",
	   "3:22: machine.window32_bytes: 1040KiB is not a multiple of machine.window32_tce_bytes "
	   "(64KiB)")
ERROR_TEST(max_ram_below_ram, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"max_ram_bytes\": \"1GiB\"}}",
	   "2:31: machine.max_ram_bytes: 1GiB is below machine.ram_bytes (2GiB); 0 means the same "
	   "as ram_bytes")
ERROR_TEST(ram_above_max_ram, RANGE,
	   "{\"schema_version\": 1,\n \"machine\": {\"ram_bytes\": \"8GiB\"}}",
	   "2:27: machine.ram_bytes: 8GiB is above machine.max_ram_bytes (4GiB); raise it, or set "
	   "it to 0 (= ram_bytes)")
ERROR_TEST(parse_error_missing_comma, CORRUPT,
	   "{\n  \"schema_version\": 1\n  \"name\": \"x\"\n}\n",
	   "3:8: invalid JSON: '}' expected near '\"name\"'")
ERROR_TEST(parse_error_trailing_comma, CORRUPT, "{\"schema_version\": 1,\n}",
	   "2:1: invalid JSON: string or '}' expected near '}'")
ERROR_TEST(parse_error_too_big_integer, CORRUPT,
	   "{\"schema_version\": 1, \"machine\": {\"ddw_window_base\": 99999999999999999999}}",
	   "1:73: invalid JSON: too big integer near '99999999999999999999'")
ERROR_TEST(parse_error_empty_file, CORRUPT, "",
	   "1:0: invalid JSON: '[' or '{' expected near end of file")
ERROR_TEST(top_level_array, CORRUPT, "\n [{\"schema_version\": 1}]",
	   "2:2: expected an object at the top level, got an array")
ERROR_TEST(schema_version_unsupported, VERSION, "{\"name\": \"x\",\n \"schema_version\": 2}",
	   "2:20: schema_version: 2 is not supported; this iommusim reads schema_version 1")
/* the version is checked before anything else, which may mean something else in it */
ERROR_TEST(schema_version_before_keys, VERSION, "{\"bogus\": 1, \"schema_version\": 0}",
	   "1:32: schema_version: 0 is not supported; this iommusim reads schema_version 1")
ERROR_TEST(schema_version_string, CORRUPT, "{\"schema_version\": \"1\"}",
	   "1:20: schema_version: expected an integer, got a string")
ERROR_TEST(schema_version_real, CORRUPT, "{\"schema_version\": 1.5}",
	   "1:20: schema_version: expected an integer, got 1.5")
ERROR_TEST(schema_version_missing, VERSION, "\n\n  {\"name\": \"x\"}",
	   "3:3: schema_version: missing; this iommusim reads schema_version 1")

Test(scenario_error, missing_file)
{
	struct scenario sc;
	char *cause = NULL;

	cr_assert_eq(scenario_load("/nonexistent/x.json", &sc, &cause), -ISM_EIO);
	cr_expect_str_eq(cause, "/nonexistent/x.json: No such file or directory");
	free(cause);
}

/* ---- scenario_set ------------------------------------------------------------------- */

Test(scenario_set, values_of_every_type)
{
	struct scenario sc;
	char *cause = NULL;

	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	cr_expect_eq(scenario_set(&sc, "machine.cpus=8", NULL, &cause), 0);
	cr_expect_eq(sc.machine.cpus, 8);
	cr_expect_eq(scenario_set(&sc, "machine.cpus", "16", &cause), 0);
	cr_expect_eq(sc.machine.cpus, 16);
	cr_expect_eq(scenario_set(&sc, "machine.ram_bytes=8GiB", NULL, &cause), 0);
	cr_expect_eq(sc.machine.ram_bytes, 8 * GiB);
	cr_expect_eq(scenario_set(&sc, "machine.ram_bytes=0x80000000", NULL, &cause), 0);
	cr_expect_eq(sc.machine.ram_bytes, 2 * GiB);
	cr_expect_eq(scenario_set(&sc, "machine.ram_bytes=1e9", NULL, &cause), 0);
	cr_expect_eq(sc.machine.ram_bytes, 1000000000);
	cr_expect_eq(scenario_set(&sc, "machine.ddw_window_base=0x8000000000000000", NULL, &cause),
		     0);
	cr_expect_eq(sc.machine.ddw_window_base, UINT64_C(1) << 63);
	cr_expect_eq(scenario_set(&sc, "machine.secure_vm=true", NULL, &cause), 0);
	cr_expect_eq(sc.machine.secure_vm, 1);
	cr_expect_eq(scenario_set(&sc, "machine.ddw_enabled=false", NULL, &cause), 0);
	cr_expect_eq(sc.machine.ddw_enabled, 0);
	cr_expect_eq(scenario_set(&sc, "cost.h_put_tce.fixed_ns=2000", NULL, &cause), 0);
	cr_expect_eq(sc.cost.h_put_tce.fixed_ns, 2000);
	cr_expect_eq(scenario_set(&sc, "cost.copy_bytes_per_s=7.36e9", NULL, &cause), 0);
	cr_expect_eq(sc.cost.copy_bytes_per_s, 7.36e9);
	cr_expect_eq(scenario_set(&sc, "sim.recorded_with=window32", NULL, &cause), 0);
	cr_expect_eq(scenario_set(&sc, "sim.recorded_with=ddw", NULL, &cause), 0);
	cr_expect_str_eq(sc.sim.recorded_with, "ddw");
	cr_expect_eq(scenario_set(&sc, "sim.boot_end_marker=a=b", NULL, &cause), 0);
	cr_expect_str_eq(sc.sim.boot_end_marker, "a=b", "the value is after the first '='");
	cr_expect_eq(scenario_set(&sc, "name=", NULL, &cause), 0);
	cr_expect_str_eq(sc.name, "");
	cr_expect_null(cause);
	scenario_free(&sc);
}

static void expect_set_error(const char *arg, int err, const char *msg)
{
	struct scenario sc;
	char *cause = NULL;
	uint64_t cpus;

	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	cpus = sc.machine.cpus;
	cr_expect_eq(scenario_set(&sc, arg, NULL, &cause), err, "%s", arg);
	cr_expect_str_eq(cause, msg);
	cr_expect_eq(sc.machine.cpus, cpus, "a failed set changes nothing");
	free(cause);
	scenario_free(&sc);
}

Test(scenario_set, errors)
{
	expect_set_error("machine.cpu=4", -ISM_EUSAGE,
			 "machine.cpu: unknown parameter; did you mean 'machine.cpus'?");
	expect_set_error("cpus=4", -ISM_EUSAGE, "cpus: unknown parameter; did you mean 'machine.cpus'?");
	expect_set_error("warp.drive=4", -ISM_EUSAGE, "warp.drive: unknown parameter");
	expect_set_error("cost.h_put_tce=4", -ISM_EUSAGE,
			 "cost.h_put_tce: a group of parameters, not a parameter "
			 "(e.g. cost.h_put_tce.fixed_ns)");
	expect_set_error("machine.cpus", -ISM_EUSAGE, "machine.cpus: expected PATH=VALUE");
	expect_set_error("machine.cpus=5000", -ISM_ERANGE,
			 "machine.cpus: 5000 out of range (1..4096 CPUs)");
	expect_set_error("machine.cpus=-1", -ISM_ERANGE,
			 "machine.cpus: -1 out of range (1..4096 CPUs)");
	expect_set_error("machine.cpus=2.5", -ISM_ERANGE, "machine.cpus: 2.5 is not an integer");
	expect_set_error("machine.cpus=four", -ISM_ECORRUPT, "machine.cpus: four is not an integer");
	expect_set_error("machine.cpus=", -ISM_ECORRUPT, "machine.cpus: \"\" is not an integer");
	expect_set_error("machine.cpus=nan", -ISM_ERANGE, "machine.cpus: nan is not a finite number");
	expect_set_error("cost.lock_ns=inf", -ISM_ERANGE, "cost.lock_ns: inf is not a finite number");
	expect_set_error("cost.lock_ns=-NaN", -ISM_ERANGE,
			 "cost.lock_ns: -NaN is not a finite number");
	expect_set_error("cost.lock_ns=1e13", -ISM_ERANGE,
			 "cost.lock_ns: 1e13 out of range (0..1e+12 ns)");
	expect_set_error("cost.lock_ns=0x10", -ISM_ECORRUPT, "cost.lock_ns: 0x10 is not a number");
	expect_set_error("cost.lock_ns=20ns", -ISM_ECORRUPT, "cost.lock_ns: 20ns is not a number");
	expect_set_error("machine.ram_bytes=8GB", -ISM_ECORRUPT,
			 "machine.ram_bytes: 8GB is not a size; did you mean \"8GiB\"?");
	expect_set_error("machine.ram_bytes=8MiB", -ISM_ERANGE,
			 "machine.ram_bytes: 8MiB out of range (16MiB..64TiB)");
	expect_set_error("machine.ram_bytes=99999999999999999999", -ISM_ERANGE,
			 "machine.ram_bytes: 99999999999999999999 is too large (more than 2^64-1)");
	expect_set_error("machine.page_bytes=8KiB", -ISM_ERANGE,
			 "machine.page_bytes: 8KiB is not allowed (4KiB or 64KiB)");
	expect_set_error("machine.secure_vm=yes", -ISM_ECORRUPT,
			 "machine.secure_vm: yes is not true or false");
	expect_set_error("machine.secure_vm=1", -ISM_ECORRUPT,
			 "machine.secure_vm: 1 is not true or false");
}

/* Checks between parameters are left to scenario_check(), so sets can come in any order. */
Test(scenario_set, cross_checks_after_the_last_set)
{
	struct scenario sc;
	char *cause = NULL;

	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	cr_expect_eq(scenario_set(&sc, "machine.window32_tce_bytes=16MiB", NULL, &cause), 0);
	cr_expect_eq(scenario_set(&sc, "machine.window32_bytes=1MiB", NULL, &cause), 0);
	cr_expect_eq(scenario_check(&sc, &cause), -ISM_ERANGE);
	cr_expect_str_eq(cause, "machine.window32_bytes: 1MiB is not a multiple of "
				"machine.window32_tce_bytes (16MiB)");
	free(cause);
	cause = NULL;
	cr_expect_eq(scenario_set(&sc, "machine.window32_bytes=32MiB", NULL, &cause), 0);
	cr_expect_eq(scenario_check(&sc, &cause), 0);
	cr_expect_eq(scenario_set(&sc, "machine.ram_bytes=8GiB", NULL, &cause), 0);
	cr_expect_eq(scenario_check(&sc, &cause), -ISM_ERANGE);
	cr_expect_str_eq(cause, "machine.max_ram_bytes: 4GiB is below machine.ram_bytes (8GiB); "
				"0 means the same as ram_bytes");
	free(cause);
	cause = NULL;
	cr_expect_eq(scenario_set(&sc, "machine.max_ram_bytes=0", NULL, &cause), 0);
	cr_expect_eq(scenario_check(&sc, &cause), 0);
	scenario_free(&sc);
}

/* ---- the table, the listing, the man page ------------------------------------------ */

Test(params, scenario_table_is_consistent)
{
	char *cause = NULL;

	cr_expect_eq(param_table_check(scenario_params(), &cause), 0, "%s", cause ? cause : "");
	free(cause);
}

Test(params, table_check_catches_mistakes)
{
	struct t {
		uint64_t a, b;
	};
	static const struct param dup[] = {
		{ .path = "x.a", .type = PARAM_U64, .offset = offsetof(struct t, a), .max = 9,
		  .unit = "", .source = "s", .help = "h" },
		{ .path = "x.a", .type = PARAM_U64, .offset = offsetof(struct t, b), .max = 9,
		  .unit = "", .source = "s", .help = "h" },
		{ .path = NULL },
	};
	static const struct param group[] = {
		{ .path = "x", .type = PARAM_U64, .offset = offsetof(struct t, a), .max = 9,
		  .unit = "", .source = "s", .help = "h" },
		{ .path = "x.b", .type = PARAM_U64, .offset = offsetof(struct t, b), .max = 9,
		  .unit = "", .source = "s", .help = "h" },
		{ .path = NULL },
	};
	static const struct param baddef[] = {
		{ .path = "x.a", .type = PARAM_U64, .offset = offsetof(struct t, a), .min = 1,
		  .max = 9, .def.u = 10, .unit = "CPUs", .source = "s", .help = "h" },
		{ .path = NULL },
	};
	static const struct param badpath[] = {
		{ .path = "x..a", .type = PARAM_U64, .offset = offsetof(struct t, a), .max = 9,
		  .unit = "", .source = "s", .help = "h" },
		{ .path = NULL },
	};
	static const struct param nosource[] = {
		{ .path = "x.a", .type = PARAM_U64, .offset = offsetof(struct t, a), .max = 9,
		  .unit = "", .help = "h" },
		{ .path = NULL },
	};
	char *cause = NULL;

	cr_expect_eq(param_table_check(dup, &cause), -ISM_EUSAGE);
	cr_expect_str_eq(cause, "x.a: duplicate path");
	free(cause);
	cr_expect_eq(param_table_check(group, &cause), -ISM_EUSAGE);
	cr_expect_str_eq(cause, "x: both a parameter and a group");
	free(cause);
	cr_expect_eq(param_table_check(baddef, &cause), -ISM_EUSAGE);
	cr_expect_str_eq(cause, "x.a: default: 10 out of range (1..9 CPUs)");
	free(cause);
	cr_expect_eq(param_table_check(badpath, &cause), -ISM_EUSAGE);
	cr_expect_str_eq(cause, "x..a: malformed path");
	free(cause);
	cr_expect_eq(param_table_check(nosource, &cause), -ISM_EUSAGE);
	cr_expect_str_eq(cause, "x.a: help, source or unit missing");
	free(cause);
}

Test(params, path_iteration)
{
	unsigned n = 0;

	while (scenario_param_path(n))
		n++;
	cr_expect_gt(n, 50);
	cr_expect_str_eq(scenario_param_path(0), "name");
	cr_expect_null(scenario_param_path(n + 1));
	for (unsigned i = 0; i < n; i++)
		cr_expect_not_null(param_find(scenario_params(), scenario_param_path(i)));
}

static char *print_to_string(int verbose)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	scenario_print_params(f, verbose);
	fclose(f);
	return buf;
}

Test(params, listing)
{
	char *brief = print_to_string(0), *full = print_to_string(1);

	for (unsigned i = 0; scenario_param_path(i); i++) {
		cr_expect_not_null(strstr(brief, scenario_param_path(i)), "%s", scenario_param_path(i));
		cr_expect_not_null(strstr(full, scenario_param_path(i)), "%s", scenario_param_path(i));
	}
	cr_expect_not_null(strstr(brief, "\nmachine.cpus  "));
	cr_expect_not_null(strstr(brief, "  2GiB "));
	cr_expect_not_null(strstr(full, "machine.cpus (u64, CPUs)\n    default: 2\n"
					"    range:   1..4096 CPUs\n    source:  CAPTURE.md: QEMU -smp 2\n"));
	cr_expect_not_null(strstr(full, "    range:   0 or 1..4096 areas, a power of two\n"));
	cr_expect_not_null(strstr(full, "    default: 0x0800000000000000\n"));
	cr_expect_null(strstr(brief, " \n"), "no trailing blanks");
	free(brief);
	free(full);
}

/* The man page documents every parameter path (STYLE.md 8.5). */
Test(params, man_page_names_every_path)
{
	const char *srcdir = getenv("ISM_SRCDIR");
	char *path, *dir = NULL, *text;
	size_t len = 0;

	if (!srcdir || !*srcdir) {
		/* run by hand: the source tree is where this file was compiled from */
		const char *me = __FILE__, *t = strstr(me, "tests/unit/test-scenario.c");

		dir = t ? strndup(me, (size_t)(t - me)) : strdup("./");
		srcdir = *dir ? dir : ".";
	}
	if (asprintf(&path, "%s/man/iommusim-scenario.5", srcdir) < 0)
		abort();
	text = (char *)slurp(path, &len);
	cr_assert_not_null(text, "cannot read %s", path);
	text = realloc(text, len + 1);
	text[len] = '\0';
	for (unsigned i = 0; scenario_param_path(i); i++)
		cr_expect_not_null(strstr(text, scenario_param_path(i)), "%s does not document %s", path,
				   scenario_param_path(i));
	cr_expect_not_null(strstr(text, "schema_version"));
	free(text);
	free(path);
	free(dir);
}

/* ---- jsonpos ------------------------------------------------------------------------ */

Test(jsonpos, finds_keys_and_values)
{
	static const char text[] = "{\n"
				   "  \"a\": [1, {\"b\": 2}, \"}\\\"\"],\n"
				   "  \"b\": {\"c\\u0041\": true, \"d\": null},\n"
				   "  \"\xc3\xa9\": {\"x\": -1.5e3}\n"
				   "}";
	const char *ca[] = { "b", "cA" }, *cb[] = { "b" }, *cc[] = { "\xc3\xa9", "x" };
	const char *nb[] = { "a", "b" }, *nd[] = { "b", "e" };
	struct jsonpos k, v;

	cr_assert_eq(jsonpos_find(text, strlen(text), ca, 2, &k, &v), 0);
	cr_expect_eq(k.line, 3);
	cr_expect_eq(k.col, 9);
	cr_expect_eq(v.line, 3);
	cr_expect_eq(v.col, 20);
	cr_assert_eq(jsonpos_find(text, strlen(text), cb, 1, &k, &v), 0);
	cr_expect_eq(k.line, 3);
	cr_expect_eq(k.col, 3);
	cr_expect_eq(v.col, 8);
	cr_assert_eq(jsonpos_find(text, strlen(text), cc, 2, &k, &v), 0);
	cr_expect_eq(k.line, 4);
	cr_expect_eq(k.col, 9);
	cr_expect_eq(v.col, 14);
	/* a key inside an array element is not a member of the enclosing object */
	cr_expect_eq(jsonpos_find(text, strlen(text), nb, 2, &k, &v), -1);
	cr_expect_eq(jsonpos_find(text, strlen(text), nd, 2, &k, &v), -1);
	cr_expect_eq(jsonpos_find("{\"a\": ", 6, cb, 1, &k, &v), -1);
}

Test(jsonpos, key_before_a_duplicate)
{
	static const char text[] = "{\"m\": {\"x\": 1, \"y\": [{\"z\": 1}], \"x\": 2 garbage";
	struct jsonpos k, first;
	size_t end = (size_t)(strstr(text, "\"x\": 2") - text) + 3;
	char *path = NULL;

	cr_assert_eq(jsonpos_key_before(text, strlen(text), end, &path, &k, &first), 0);
	cr_expect_str_eq(path, "m.x");
	cr_expect_eq(k.col, 33);
	cr_expect_eq(first.col, 8);
	free(path);
	end = (size_t)(strstr(text, "\"z\"") - text) + 3;
	cr_assert_eq(jsonpos_key_before(text, strlen(text), end, &path, &k, &first), 0);
	cr_expect_str_eq(path, "m.y[0].z");
	free(path);
	cr_expect_eq(jsonpos_key_before("[1, 2]", 6, 5, &path, &k, &first), -1);
}
