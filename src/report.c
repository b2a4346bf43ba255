/*
 * report.c: text, JSON and CSV renderers of a run's results.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "csv.h"
#include "report.h"
#include "stats.h"
#include "util.h"

#define NAMEW 26

static const struct {
	uint32_t op;
	const char *name, *key;
} opcols[] = {
	{ 0x20, "H_PUT_TCE", "h_put_tce" },
	{ 0x13c, "H_PUT_TCE_INDIRECT", "h_put_tce_indirect" },
	{ 0x138, "H_STUFF_TCE", "h_stuff_tce" },
	{ 0xF130, "UV_SHARE_PAGE", "uv_share_page" },
	{ 0xF134, "UV_UNSHARE_PAGE", "uv_unshare_page" },
	{ 0x10000 + 1, "RTAS query", "rtas_query" },
	{ 0x10000 + 2, "RTAS create", "rtas_create" },
};

static const struct op_stat *find_op(const struct op_stat *ops, unsigned n, uint32_t op)
{
	for (unsigned i = 0; i < n; i++)
		if (ops[i].op == op)
			return &ops[i];
	return NULL;
}

static uint64_t op_calls(const struct sim_result *r, uint32_t op)
{
	const struct op_stat *o = find_op(r->ops, r->nops, op);

	return o ? o->calls : 0;
}

static uint64_t hcalls_total(const struct sim_result *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].op < 0xF000)
			n += r->ops[i].calls;
	return n;
}

static const char *name_col(const char *spec, char *buf, size_t len)
{
	size_t l = strlen(spec);

	if (l <= NAMEW)
		return spec;
	snprintf(buf, len, "%.*s~", NAMEW - 1, spec);
	return buf;
}

static double throughput(uint64_t bytes, double ns)
{
	return ns > 0 ? (double)bytes / (ns / 1e9) : 0;
}

static uint64_t all_bytes(const struct sim_recorded *r)
{
	uint64_t b = 0;

	for (int i = 0; i < 5; i++)
		b += r->bytes[i];
	return b;
}

void report_text(FILE *out, const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	unsigned n = sim_count(c->sim);
	char b1[32], b2[32], nb[NAMEW + 2];
	uint64_t bytes = all_bytes(rec);

	fprintf(out, "iommusim %s: %s (%s, %" PRIu64 " events, %u CPUs)\n", PACKAGE_VERSION,
		c->trace, c->trace_format, c->trace_events, c->cpus);
	fprintf(out, "scenario: %s (%s)%s%s\n", c->sc->name ? c->sc->name : "-", c->sc->path,
		c->sc->sim.recorded_with && *c->sc->sim.recorded_with ? ", recorded with " : "",
		c->sc->sim.recorded_with ? c->sc->sim.recorded_with : "");
	fprintf(out, "recorded: %s %.3f s, %s %.3f s, %s mapped (%s to dev, %s from dev)\n",
		rec->have_boot_end ? "boot" : "trace", rec->boot_ns / 1e9,
		rec->have_boot_end ? "after boot" : "span", rec->run_ns / 1e9,
		ism_human_bytes(bytes, b1, sizeof(b1)),
		ism_human_bytes(rec->bytes[ISM_DIR_TO_DEVICE], b2, sizeof(b2)),
		ism_human_bytes(rec->bytes[ISM_DIR_FROM_DEVICE], nb, sizeof(nb)));
	fprintf(out, "          TCE hcalls %" PRIu64 " H_PUT_TCE, %" PRIu64 " H_PUT_TCE_INDIRECT, %"
		PRIu64 " H_STUFF_TCE (%.1f ms)%s\n", rec->tce_hcalls[0], rec->tce_hcalls[1],
		rec->tce_hcalls[2], rec->tce_hcall_ns / 1e6,
		rec->hcalls_traced ? "" : "; the trace has no hcall events");

	fprintf(out, "\n%-*s %8s %9s %8s %9s %8s %9s %10s\n", NAMEW,
		rec->have_boot_end ? "strategy" : "strategy (no boot marker)", "boot_s", "delta_s",
		"run_s", "delta_s", "MB/s", "hcalls", "exposed");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		int prot = (r->flags & STRAT_PROTECTED) != 0;

		fprintf(out, "%-*s %8.3f %+9.3f %8.3f %+9.3f %8.1f %9" PRIu64 " %10s\n", NAMEW,
			name_col(r->spec, nb, sizeof(nb)), r->boot_ns / 1e9,
			(r->boot_ns - rec->boot_ns) / 1e9, r->run_ns / 1e9,
			(r->run_ns - rec->run_ns) / 1e9,
			throughput(bytes, rec->have_boot_end ? r->run_ns : r->end_ns) / 1e6,
			hcalls_total(r), prot ? ism_human_bytes(r->pr.shared_bytes_peak, b1, sizeof(b1))
					      : "unprot.");
	}

	fprintf(out, "\ntime by category (ms)\n%-*s %8s %8s %8s %8s %8s %8s %8s %8s\n", NAMEW,
		"strategy", "setup", "hcall", "ucall", "rtas", "copy", "guest_sw", "lockwait",
		"dev_xlt");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);

		fprintf(out, "%-*s %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n", NAMEW,
			name_col(r->spec, nb, sizeof(nb)), r->setup_ns / 1e6,
			r->cat_ns[CAT_HCALL] / 1e6, r->cat_ns[CAT_UCALL] / 1e6,
			r->cat_ns[CAT_RTAS] / 1e6, r->cat_ns[CAT_COPY] / 1e6,
			r->cat_ns[CAT_GUEST] / 1e6, r->cat_ns[CAT_LOCK_WAIT] / 1e6,
			r->cat_ns[CAT_DEVICE] / 1e6);
	}

	fprintf(out, "\nhypercalls and ultracalls (calls; setup included)\n%-*s %10s %10s %10s %10s "
		"%10s %7s\n", NAMEW, "strategy", "PUT_TCE", "PUT_INDIR", "STUFF_TCE", "UV_SHARE",
		"UV_UNSHR", "RTAS");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);

		fprintf(out, "%-*s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %7" PRIu64 "\n", NAMEW, name_col(r->spec, nb, sizeof(nb)),
			op_calls(r, 0x20), op_calls(r, 0x13c), op_calls(r, 0x138),
			op_calls(r, 0xF130), op_calls(r, 0xF134),
			op_calls(r, 0x10001) + op_calls(r, 0x10002) + op_calls(r, 0x10003));
	}

	fprintf(out, "\nwindow and pool pressure\n%-*s %12s %9s %6s %13s %6s %9s %9s\n", NAMEW,
		"strategy", "win_peak", "win_size", "w_fail", "pool_peak", "p_fail", "bounces",
		"copy_MiB");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct strat_pressure *p = &r->pr;
		char ws[32] = "-", ps[32] = "-";

		if (p->window_entries)
			snprintf(ws, sizeof(ws), "%.1f%%", 100.0 * (double)p->window_peak /
				 (double)p->window_entries);
		if (p->pool_slots)
			snprintf(ps, sizeof(ps), "%" PRIu64 "/%" PRIu64, p->pool_peak, p->pool_slots);
		fprintf(out, "%-*s %12" PRIu64 " %9s %6" PRIu64 " %13s %6" PRIu64 " %9" PRIu64
			" %9.1f\n", NAMEW, name_col(r->spec, nb, sizeof(nb)), p->window_peak,
			p->window_entries ? ism_human_bytes(p->window_entries * p->window_entry_bytes,
							    b1, sizeof(b1)) : "-",
			p->window_failures, ps, p->pool_failures, p->bounces,
			(double)p->copied_bytes / 1048576.0);
		(void)ws;
	}

	fprintf(out, "\nexposure to the hypervisor (protected VMs) and latency (us)\n"
		"%-*s %10s %10s %8s %9s %7s %7s %7s %7s\n", NAMEW, "strategy", "shared_pk",
		"outside_pk", "shares", "MiB*s", "map_p50", "map_p99", "unm_p50", "unm_p99");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct strat_pressure *p = &r->pr;
		int prot = (r->flags & STRAT_PROTECTED) != 0;

		fprintf(out, "%-*s %10s %10s %8" PRIu64 " %9.2f %7.2f %7.2f %7.2f %7.2f\n", NAMEW,
			name_col(r->spec, nb, sizeof(nb)),
			prot ? ism_human_bytes(p->shared_bytes_peak, b1, sizeof(b1)) : "-",
			prot ? ism_human_bytes(p->shared_outside_pool_peak, b2, sizeof(b2)) : "-",
			p->share_calls, p->shared_byte_seconds / 1048576.0,
			lat_percentile(&r->map_lat, 50) / 1e3, lat_percentile(&r->map_lat, 99) / 1e3,
			lat_percentile(&r->unmap_lat, 50) / 1e3,
			lat_percentile(&r->unmap_lat, 99) / 1e3);
	}

	if (rec->nphases && rec->nphases <= 7) {
		fprintf(out, "\nphase start times (s), recorded then simulated\n%-*s", NAMEW, "phase");
		for (unsigned k = 0; k < rec->nphases; k++)
			fprintf(out, " %9.9s", rec->phases[k].name);
		fprintf(out, "\n%-*s", NAMEW, "(recorded)");
		for (unsigned k = 0; k < rec->nphases; k++)
			fprintf(out, " %9.3f", rec->phases[k].rec_start_ns / 1e9);
		fputc('\n', out);
		for (unsigned i = 0; i < n; i++) {
			const struct sim_result *r = sim_result(c->sim, i);

			fprintf(out, "%-*s", NAMEW, name_col(r->spec, nb, sizeof(nb)));
			for (unsigned k = 0; k < rec->nphases; k++)
				fprintf(out, " %9.3f", r->phase_sim_ns[k] / 1e9);
			fputc('\n', out);
		}
	}

	if (c->check) {
		fprintf(out, "\nhypercall check against the recording (TCE hcalls: PUT / INDIRECT / "
			"STUFF)\n");
		for (unsigned i = 0; i < n; i++) {
			const struct sim_result *r = sim_result(c->sim, i);
			const struct fidelity *f = &r->fid;

			fprintf(out, "%s:\n    %" PRIu64 " of %" PRIu64 " DMA events as recorded (%" PRIu64
				" of the %" PRIu64 " others have inferred sg lengths)\n    matched %"
				PRIu64 "/%" PRIu64 "/%" PRIu64 ", predicted but not recorded %" PRIu64
				"/%" PRIu64 "/%" PRIu64 "\n", r->spec,
				f->events_checked - f->events_mismatched, f->events_checked,
				f->mismatched_inferred, f->events_mismatched,
				f->matched[0], f->matched[1], f->matched[2], f->missing[0],
				f->missing[1], f->missing[2]);
			fprintf(out, "    recorded outside DMA events %" PRIu64 "/%" PRIu64 "/%" PRIu64
				", boot setup model %" PRIu64 "/%" PRIu64 "/%" PRIu64 "%s\n",
				f->extra[0], f->extra[1], f->extra[2], f->setup_pred[0],
				f->setup_pred[1], f->setup_pred[2],
				(f->extra[0] == f->setup_pred[0] && f->extra[1] == f->setup_pred[1] &&
				 f->extra[2] == f->setup_pred[2]) ? " (explained)" : " (differ)");
			for (unsigned k = 0; k < f->nex; k++)
				fprintf(out, "    at %" PRIu64 ": %s\n", f->ex_pos[k], f->ex_what[k]);
		}
	}

	fprintf(out, "\nnotes: %" PRIu64 " think-time clamps (%.3f ms), %" PRIu64 " orphans skipped, %"
		PRIu64 " maps live at the end, %" PRIu64 " lost events\n",
		rec->think_clamps, rec->clamped_ns / 1e6, rec->orphans, rec->live_at_end,
		rec->lost_events);
	if (rec->sg_inferred_lists)
		fprintf(out, "       %" PRIu64 " of %" PRIu64 " sg lists merged by the kernel: "
			"%" PRIu64 " input lengths inferred;\n       single-page inputs (H_PUT_TCE "
			"under a window) between %" PRIu64 " and %" PRIu64 "\n", rec->sg_inferred_lists,
			rec->sg_lists, rec->sg_inferred_segments, rec->sg_put_tce_min,
			rec->sg_put_tce_max);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *jns(double v)
{
	return json_integer((json_int_t)llround(v));
}

static json_t *lat_json(const struct lat_hist *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "count", jint(h->count));
	json_object_set_new(o, "mean_ns", jns(h->count ? h->sum_ns / (double)h->count : 0));
	json_object_set_new(o, "p50_ns", jns(lat_percentile(h, 50)));
	json_object_set_new(o, "p90_ns", jns(lat_percentile(h, 90)));
	json_object_set_new(o, "p99_ns", jns(lat_percentile(h, 99)));
	json_object_set_new(o, "max_ns", jns(h->max_ns));
	return o;
}

static json_t *categories_json(const double *ns)
{
	json_t *x = json_object();

	for (unsigned k = 0; k < CAT__COUNT; k++) {
		char key[48];

		snprintf(key, sizeof(key), "%s_ns", category_name(k));
		json_object_set_new(x, key, jns(ns[k]));
	}
	return x;
}

static json_t *ops_json(const struct op_stat *ops, unsigned n)
{
	json_t *a = json_array();
	char lbl[48];

	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_object();
		const char *name = NULL;

		for (size_t k = 0; k < ISM_ARRAY_SIZE(opcols); k++)
			if (opcols[k].op == ops[i].op)
				name = opcols[k].name;
		if (!name && ops[i].op == 0x10003)
			name = "RTAS remove";
		json_object_set_new(o, "name", json_string(name ? name :
							   hcall_label(ops[i].op, lbl, sizeof(lbl))));
		json_object_set_new(o, "opcode", jint(ops[i].op));
		json_object_set_new(o, "calls", jint(ops[i].calls));
		json_object_set_new(o, "entries", jint(ops[i].units));
		json_object_set_new(o, "time_ns", jns(ops[i].ns));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *report_json(const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	json_t *root = json_object(), *o, *a;
	uint64_t bytes = all_bytes(rec);

	json_object_set_new(root, "schema_version", jint(REPORT_SCHEMA_VERSION));
	json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	o = json_object();
	json_object_set_new(o, "path", json_string(c->trace));
	json_object_set_new(o, "format", json_string(c->trace_format));
	json_object_set_new(o, "events", jint(c->trace_events));
	json_object_set_new(o, "cpus", jint(c->cpus));
	json_object_set_new(root, "trace", o);
	o = json_object();
	json_object_set_new(o, "path", json_string(c->sc->path));
	json_object_set_new(o, "name", json_string(c->sc->name ? c->sc->name : ""));
	json_object_set_new(o, "recorded_with",
			    json_string(c->sc->sim.recorded_with ? c->sc->sim.recorded_with : ""));
	json_object_set_new(root, "scenario", o);

	o = json_object();
	json_object_set_new(o, "boot_marker_found", json_boolean(rec->have_boot_end));
	json_object_set_new(o, "boot_ns", jns(rec->boot_ns));
	json_object_set_new(o, "run_ns", jns(rec->run_ns));
	json_object_set_new(o, "mapped_bytes", jint(bytes));
	json_object_set_new(o, "mapped_to_device_bytes", jint(rec->bytes[ISM_DIR_TO_DEVICE]));
	json_object_set_new(o, "mapped_from_device_bytes", jint(rec->bytes[ISM_DIR_FROM_DEVICE]));
	json_object_set_new(o, "mapped_bidirectional_bytes",
			    jint(rec->bytes[ISM_DIR_BIDIRECTIONAL]));
	json_object_set_new(o, "throughput_bytes_per_s",
			    jns(throughput(bytes, rec->have_boot_end ? rec->run_ns : rec->boot_ns)));
	json_object_set_new(o, "h_put_tce_calls", jint(rec->tce_hcalls[0]));
	json_object_set_new(o, "h_put_tce_indirect_calls", jint(rec->tce_hcalls[1]));
	json_object_set_new(o, "h_stuff_tce_calls", jint(rec->tce_hcalls[2]));
	json_object_set_new(o, "tce_hcall_ns", jns(rec->tce_hcall_ns));
	json_object_set_new(o, "hcalls_traced", json_boolean(rec->hcalls_traced));
	json_object_set_new(o, "dma_events", jint(rec->dma_events));
	json_object_set_new(o, "think_clamps", jint(rec->think_clamps));
	json_object_set_new(o, "clamped_ns", jns(rec->clamped_ns));
	json_object_set_new(o, "orphans", jint(rec->orphans));
	json_object_set_new(o, "live_at_end", jint(rec->live_at_end));
	json_object_set_new(o, "lost_events", jint(rec->lost_events));
	json_object_set_new(o, "swiotlb_bounced_events", jint(rec->bounces));
	json_object_set_new(o, "sg_lists", jint(rec->sg_lists));
	json_object_set_new(o, "sg_inferred_lists", jint(rec->sg_inferred_lists));
	json_object_set_new(o, "sg_inferred_segments", jint(rec->sg_inferred_segments));
	json_object_set_new(o, "sg_single_page_inputs_min", jint(rec->sg_put_tce_min));
	json_object_set_new(o, "sg_single_page_inputs_max", jint(rec->sg_put_tce_max));
	a = json_array();
	for (unsigned k = 0; k < rec->nphases; k++) {
		json_t *p = json_object();

		json_object_set_new(p, "name", json_string(rec->phases[k].name));
		json_object_set_new(p, "start_ns", jns(rec->phases[k].rec_start_ns));
		json_array_append_new(a, p);
	}
	json_object_set_new(o, "phases", a);
	json_object_set_new(root, "recorded", o);

	a = json_array();
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct strat_pressure *p = &r->pr;
		json_t *s = json_object(), *x;

		json_object_set_new(s, "strategy", json_string(r->spec));
		json_object_set_new(s, "protected", json_boolean((r->flags & STRAT_PROTECTED) != 0));
		json_object_set_new(s, "boot_ns", jns(r->boot_ns));
		json_object_set_new(s, "boot_delta_ns", jns(r->boot_ns - rec->boot_ns));
		json_object_set_new(s, "run_ns", jns(r->run_ns));
		json_object_set_new(s, "run_delta_ns", jns(r->run_ns - rec->run_ns));
		json_object_set_new(s, "end_ns", jns(r->end_ns));
		json_object_set_new(s, "throughput_bytes_per_s",
				    jns(throughput(bytes, rec->have_boot_end ? r->run_ns : r->end_ns)));
		json_object_set_new(s, "setup_ns", jns(r->setup_ns));
		json_object_set_new(s, "time_by_category", categories_json(r->cat_ns));
		json_object_set_new(s, "setup_by_category", categories_json(r->setup_cat_ns));
		json_object_set_new(s, "calls", ops_json(r->ops, r->nops));
		json_object_set_new(s, "setup_calls", ops_json(r->setup_ops, r->nsetup_ops));
		json_object_set_new(s, "maps", jint(r->maps));
		json_object_set_new(s, "unmaps", jint(r->unmaps));
		json_object_set_new(s, "map_failures", jint(r->map_failures));
		x = json_object();
		json_object_set_new(x, "name", json_string(p->window_name ? p->window_name : ""));
		json_object_set_new(x, "entries", jint(p->window_entries));
		json_object_set_new(x, "entry_bytes", jint(p->window_entry_bytes));
		json_object_set_new(x, "peak_entries", jint(p->window_peak));
		json_object_set_new(x, "reserved_entries", jint(p->window_reserved));
		json_object_set_new(x, "failures", jint(p->window_failures));
		json_object_set_new(x, "tces_written", jint(p->tces_written));
		json_object_set_new(x, "tces_cleared", jint(p->tces_cleared));
		json_object_set_new(x, "ddw_direct", json_boolean(p->ddw_direct));
		json_object_set_new(x, "ddw_indirect", json_boolean(p->ddw_indirect));
		json_object_set_new(x, "ddw_fallback", json_boolean(p->ddw_fallbacks));
		json_object_set_new(s, "window", x);
		x = json_object();
		json_object_set_new(x, "slots", jint(p->pool_slots));
		json_object_set_new(x, "bytes", jint(p->pool_bytes));
		json_object_set_new(x, "peak_slots", jint(p->pool_peak));
		json_object_set_new(x, "failures", jint(p->pool_failures));
		json_object_set_new(x, "bounces", jint(p->bounces));
		json_object_set_new(x, "bounced_bytes", jint(p->bounced_bytes));
		json_object_set_new(x, "copied_bytes", jint(p->copied_bytes));
		json_object_set_new(x, "oversize_splits", jint(p->pool_splits));
		json_object_set_new(s, "pool", x);
		x = json_object();
		json_object_set_new(x, "shared_peak_bytes", jint(p->shared_bytes_peak));
		json_object_set_new(x, "shared_outside_pool_peak_bytes",
				    jint(p->shared_outside_pool_peak));
		json_object_set_new(x, "shared_at_end_bytes", jint(p->shared_bytes_now));
		json_object_set_new(x, "shared_byte_seconds", json_real(p->shared_byte_seconds));
		json_object_set_new(x, "share_calls", jint(p->share_calls));
		json_object_set_new(x, "unshare_calls", jint(p->unshare_calls));
		json_object_set_new(s, "exposure", x);
		x = json_object();
		json_object_set_new(x, "map", lat_json(&r->map_lat));
		json_object_set_new(x, "unmap", lat_json(&r->unmap_lat));
		json_object_set_new(s, "latency", x);
		x = json_array();
		for (unsigned k = 0; k < rec->nphases; k++) {
			json_t *ph = json_object();

			json_object_set_new(ph, "name", json_string(rec->phases[k].name));
			json_object_set_new(ph, "start_ns", jns(r->phase_sim_ns[k]));
			json_array_append_new(x, ph);
		}
		json_object_set_new(s, "phases", x);
		if (c->check) {
			const struct fidelity *f = &r->fid;
			json_t *fx = json_object(), *ex = json_array();
			static const char *const nm[3] = { "h_put_tce", "h_put_tce_indirect",
							   "h_stuff_tce" };

			json_object_set_new(fx, "events_checked", jint(f->events_checked));
			json_object_set_new(fx, "events_mismatched", jint(f->events_mismatched));
			json_object_set_new(fx, "events_mismatched_inferred_sg",
					    jint(f->mismatched_inferred));
			for (int k = 0; k < 3; k++) {
				json_t *q = json_object();

				json_object_set_new(q, "matched_calls", jint(f->matched[k]));
				json_object_set_new(q, "predicted_not_recorded_calls", jint(f->missing[k]));
				json_object_set_new(q, "recorded_outside_events_calls", jint(f->extra[k]));
				json_object_set_new(q, "setup_predicted_calls", jint(f->setup_pred[k]));
				json_object_set_new(fx, nm[k], q);
			}
			for (unsigned k = 0; k < f->nex; k++) {
				json_t *q = json_object();

				json_object_set_new(q, "position", jint(f->ex_pos[k]));
				json_object_set_new(q, "what", json_string(f->ex_what[k]));
				json_array_append_new(ex, q);
			}
			json_object_set_new(fx, "examples", ex);
			json_object_set_new(s, "hcall_check", fx);
		}
		json_array_append_new(a, s);
	}
	json_object_set_new(root, "strategies", a);
	return root;
}

/* ---- CSV ----------------------------------------------------------------------------------- */

static const char *const csv_cols[] = {
	"strategy", "protected", "boot_ns", "boot_delta_ns", "run_ns", "run_delta_ns",
	"throughput_bytes_per_s", "setup_ns", "hcall_ns", "ucall_ns", "rtas_ns", "copy_ns",
	"guest_sw_ns", "lock_wait_ns", "device_xlate_ns", "h_put_tce_calls",
	"h_put_tce_indirect_calls", "h_stuff_tce_calls", "uv_share_page_calls",
	"uv_unshare_page_calls", "tces_written", "tces_cleared", "window_peak_entries",
	"window_entries", "window_failures", "pool_peak_slots", "pool_slots", "pool_failures",
	"bounces", "copied_bytes", "shared_peak_bytes", "shared_outside_pool_peak_bytes",
	"shared_byte_seconds", "map_p50_ns", "map_p99_ns", "unmap_p50_ns", "unmap_p99_ns",
	"maps", "map_failures", "recorded_boot_ns", "recorded_run_ns", "schema_version", NULL,
};

const char *report_csv_column(unsigned i)
{
	return i < ISM_ARRAY_SIZE(csv_cols) ? csv_cols[i] : NULL;
}

void report_csv(FILE *out, const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	uint64_t bytes = all_bytes(rec);

	for (unsigned i = 0; csv_cols[i]; i++)
		fprintf(out, "%s%s", i ? "," : "", csv_cols[i]);
	fputc('\n', out);
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct strat_pressure *p = &r->pr;
		const double ns[] = { r->boot_ns, r->boot_ns - rec->boot_ns, r->run_ns,
				      r->run_ns - rec->run_ns,
				      throughput(bytes, rec->have_boot_end ? r->run_ns : r->end_ns),
				      r->setup_ns };
		const uint64_t u[] = { op_calls(r, 0x20), op_calls(r, 0x13c), op_calls(r, 0x138),
				       op_calls(r, 0xF130), op_calls(r, 0xF134), p->tces_written,
				       p->tces_cleared, p->window_peak, p->window_entries,
				       p->window_failures, p->pool_peak, p->pool_slots,
				       p->pool_failures, p->bounces, p->copied_bytes,
				       p->shared_bytes_peak, p->shared_outside_pool_peak };
		const double lat[] = { lat_percentile(&r->map_lat, 50),
				       lat_percentile(&r->map_lat, 99),
				       lat_percentile(&r->unmap_lat, 50),
				       lat_percentile(&r->unmap_lat, 99) };

		csv_str(out, r->spec);
		fprintf(out, ",%d", (r->flags & STRAT_PROTECTED) != 0);
		for (size_t k = 0; k < ISM_ARRAY_SIZE(ns); k++) {
			fputc(',', out);
			csv_int(out, ns[k]);
		}
		for (unsigned k = 0; k < CAT__COUNT; k++) {
			fputc(',', out);
			csv_int(out, r->cat_ns[k]);
		}
		for (size_t k = 0; k < ISM_ARRAY_SIZE(u); k++) {
			fputc(',', out);
			csv_u64(out, u[k]);
		}
		fputc(',', out);
		csv_num(out, p->shared_byte_seconds, 10);
		for (size_t k = 0; k < ISM_ARRAY_SIZE(lat); k++) {
			fputc(',', out);
			csv_int(out, lat[k]);
		}
		fprintf(out, ",%" PRIu64 ",%" PRIu64 ",", r->maps, r->map_failures);
		csv_int(out, rec->boot_ns);
		fputc(',', out);
		csv_int(out, rec->run_ns);
		fprintf(out, ",%d\n", SCHEMA_RESULT_CSV);
	}
}
