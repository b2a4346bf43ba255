/*
 * metrics.c: the metric table over result JSON strategy objects.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "ops.h"
#include "report.h"
#include "util.h"

#define NS_MS 1e-6
#define B_MIB (1.0 / 1048576.0)

static const struct metric metrics_head[] = {
	{ "boot_ns", "boot_ns", 0, 0, 0, NS_MS, "boot_ms", "simulated boot time, setup included",
	  NULL },
	{ "run_ns", "run_ns", 0, 0, 0, NS_MS, "run_ms", "simulated time after boot", NULL },
	{ "end_ns", "end_ns", 0, 0, 0, NS_MS, "end_ms", "simulated time of the last event", NULL },
	{ "setup_ns", "setup_ns", 0, 0, 0, NS_MS, "setup_ms", "boot work of the strategy", NULL },
	{ .name = "setup_share",
	  .path = "setup_ns",
	  .den = "boot_ns",
	  .scale = 100,
	  .disp = "setup_pct",
	  .help = "share of the boot time spent in the strategy's setup" },
	{ "throughput_bytes_per_s", "throughput_bytes_per_s", 0, 0, 1, 1e-6, "throughput_MBps",
	  "bytes mapped per simulated second", NULL },
	{ "hcall_ns", "time_by_category.hcall_ns", 0, 0, 0, NS_MS, "hcall_ms", "time in hypercalls",
	  NULL },
	{ "ucall_ns", "time_by_category.ucall_ns", 0, 0, 0, NS_MS, "ucall_ms", "time in ultracalls",
	  NULL },
	{ "rtas_ns", "time_by_category.rtas_ns", 0, 0, 0, NS_MS, "rtas_ms", "time in RTAS calls",
	  NULL },
	{ "copy_ns", "time_by_category.copy_ns", 0, 0, 0, NS_MS, "copy_ms", "bounce copies", NULL },
	{ "guest_sw_ns", "time_by_category.guest_sw_ns", 0, 0, 0, NS_MS, "guest_sw_ms",
	  "guest DMA API and IOMMU driver software", NULL },
	{ "lock_wait_ns", "time_by_category.lock_wait_ns", 0, 0, 0, NS_MS, "lock_wait_ms",
	  "waiting for locks held by other CPUs", NULL },
	{ "device_xlate_ns", "time_by_category.device_xlate_ns", 0, 0, 0, NS_MS, "device_xlate_ms",
	  "device-side translation", NULL },
};

/* Calls: a metric per class of operations, then one per operation with OPF_METRIC (ops.h). */
static const struct metric class_metrics[] = {
#define ISM_OPC_METRIC(id, nm, lo, hi, m, h, col) \
	{ .name = m, .opcode_lo = lo, .opcode_hi = hi, .scale = 1, .disp = m, .help = h },
	ISM_OP_CLASSES(ISM_OPC_METRIC)
#undef ISM_OPC_METRIC
};
static const struct metric op_metrics[] = {
#define ISM_OP_METRIC(id, num, nm, cls, unit, fam, cost, shrt, fl, k, desc)                   \
	{ .name = (fl) & OPF_METRIC ? k : NULL, .opcode_lo = num, .opcode_hi = num, .scale = 1, \
	  .disp = k, .help = nm " calls" },
	ISM_OPS(ISM_OP_METRIC)
#undef ISM_OP_METRIC
};

static const struct metric metrics_tail[] = {
	{ "map_failures", "map_failures", 0, 0, 0, 1, "map_failures", "maps that failed", NULL },
	{ "window_peak_entries", "window.peak_entries", 0, 0, 0, 1, "window_peak_entries",
	  "peak TCEs in use in the window", NULL },
	{ "window_failures", "window.failures", 0, 0, 0, 1, "window_failures",
	  "window allocation failures", NULL },
	{ "tces_written", "window.tces_written", 0, 0, 0, 1, "tces_written", "TCEs written", NULL },
	{ "pool_peak_slots", "pool.peak_slots", 0, 0, 0, 1, "pool_peak_slots",
	  "peak swiotlb slots in use", NULL },
	{ "pool_failures", "pool.failures", 0, 0, 0, 1, "pool_failures",
	  "swiotlb slot allocation failures", NULL },
	{ "copied_bytes", "pool.copied_bytes", 0, 0, 0, B_MIB, "copied_MiB", "bytes bounced",
	  NULL },
	{ "shared_peak_bytes", "exposure.shared_peak_bytes", 0, 0, 0, B_MIB, "shared_peak_MiB",
	  "peak bytes shared with the hypervisor", NULL },
	{ "shared_outside_pool_peak_bytes", "exposure.shared_outside_pool_peak_bytes", 0, 0, 0,
	  B_MIB, "shared_outside_pool_peak_MiB", "peak bytes shared outside the bounce pool",
	  NULL },
	{ "shared_byte_seconds", "exposure.shared_byte_seconds", 0, 0, 0, B_MIB, "shared_MiB_s",
	  "bytes shared integrated over simulated time", NULL },
	{ "map_p50_ns", "latency.map.p50_ns", 0, 0, 0, 1e-3, "map_p50_us", "map latency, median",
	  NULL },
	{ "map_p99_ns", "latency.map.p99_ns", 0, 0, 0, 1e-3, "map_p99_us", "map latency, p99",
	  NULL },
	{ "unmap_p99_ns", "latency.unmap.p99_ns", 0, 0, 0, 1e-3, "unmap_p99_us",
	  "unmap latency, p99", NULL },
};

const struct metric *metric_get(unsigned i)
{
	if (i < ISM_ARRAY_SIZE(metrics_head))
		return &metrics_head[i];
	i -= (unsigned)ISM_ARRAY_SIZE(metrics_head);
	for (unsigned c = 0; c < OPC__COUNT; c++) {
		if (class_metrics[c].name && !i--)
			return &class_metrics[c];
		for (unsigned k = 0; ism_op_get(k); k++)
			if (op_metrics[k].name && ism_op_get(k)->cls == c && !i--)
				return &op_metrics[k];
	}
	return i < ISM_ARRAY_SIZE(metrics_tail) ? &metrics_tail[i] : NULL;
}

const struct metric *metric_find(const char *name)
{
	const struct metric *m;

	for (unsigned i = 0; (m = metric_get(i)) != NULL; i++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

char *metric_label(const struct metric *m)
{
	const char *u = strrchr(m->disp, '_');

	if (!u || strcmp(u, "_calls") == 0 || strcmp(u, "_entries") == 0 ||
	    strcmp(u, "_slots") == 0 || strcmp(u, "_failures") == 0 || strcmp(u, "_written") == 0)
		return xstrdup(m->help);
	u++;
	return xasprintf("%s (%s)", m->help, strcmp(u, "MBps") == 0 ? "MB/s" :
			 strcmp(u, "us") == 0 ? "µs" : strcmp(u, "pct") == 0 ? "%" :
			 strcmp(u, "s") == 0 && strcmp(m->disp, "shared_MiB_s") == 0 ? "MiB·s" : u);
}

int metric_integer(const struct metric *m)
{
	return !m->den && strcmp(m->name, "shared_byte_seconds") != 0;
}

char *metric_names(void)
{
	const struct metric *m;
	char *s = xstrdup("");

	for (unsigned i = 0; (m = metric_get(i)) != NULL; i++) {
		char *n = xasprintf("%s%s%s", s, i ? ", " : "", m->name);

		free(s);
		s = n;
	}
	return s;
}

/* The number at dotted @path in @s: 0, or -1. */
static int path_value(json_t *s, const char *path, double *out)
{
	const char *p = path, *dot;
	json_t *v = s;

	while (v && (dot = strchr(p, '.')) != NULL) {
		char key[64];

		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		v = json_object_get(v, key);
		p = dot + 1;
	}
	v = v ? json_object_get(v, p) : NULL;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

int metric_value(const struct metric *m, json_t *s, double *out)
{
	json_t *calls, *c;
	double sum = 0;
	size_t i;

	if (m->den) {
		double a, b;

		if (path_value(s, m->path, &a) < 0 || path_value(s, m->den, &b) < 0)
			return -1;
		*out = b != 0 ? a / b : 0;
		return 0;
	}
	if (m->path)
		return path_value(s, m->path, out);
	/* calls by opcode range */
	calls = json_object_get(s, "calls");
	if (!json_is_array(calls))
		return -1;
	json_array_foreach(calls, i, c) {
		json_int_t op = json_integer_value(json_object_get(c, "opcode"));

		if (op >= (json_int_t)m->opcode_lo && op <= (json_int_t)m->opcode_hi)
			sum += json_number_value(json_object_get(c, "calls"));
	}
	*out = sum;
	return 0;
}

json_t *metric_strategy(json_t *res, const char *spec)
{
	json_t *a = json_object_get(res, "strategies"), *s;
	size_t i;

	json_array_foreach(a, i, s) {
		const char *n = json_string_value(json_object_get(s, "strategy"));

		if (n && strcmp(n, spec) == 0)
			return s;
	}
	return NULL;
}

int metric_check_result(json_t *res, char **cause)
{
	json_t *v;

	if (!json_is_object(res)) {
		*cause = xstrdup("not a JSON object");
		return -1;
	}
	v = json_object_get(res, "schema_version");
	if (!json_is_integer(v)) {
		*cause = xstrdup("no schema_version: not an iommusim run/compare result "
				 "(write one with --format json)");
		return -1;
	}
	if (json_integer_value(v) != REPORT_SCHEMA_VERSION) {
		*cause = xasprintf("schema_version %lld; this iommusim reads %d",
				   (long long)json_integer_value(v), REPORT_SCHEMA_VERSION);
		return -1;
	}
	if (!json_is_array(json_object_get(res, "strategies"))) {
		*cause = xstrdup("no \"strategies\" array: not a run/compare result");
		return -1;
	}
	return 0;
}
