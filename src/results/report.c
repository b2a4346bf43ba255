/*
 * report.c: text, JSON and CSV renderers of a run's results.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "replay.h"
#include "report.h"
#include "stats.h"
#include "table.h"
#include "util.h"
#include "verdict.h"

/* Calls of operation @op, or of every operation of class @cls when @op is 0 (ops.h). */
static uint64_t calls_of(const struct sim_result *r, uint32_t op, unsigned cls)
{
	const struct ism_op_class_info *c = ism_op_class_get(cls);

	return op ? op_calls(r->ops, r->nops, op, op) : op_calls(r->ops, r->nops, c->first, c->last);
}

static uint64_t hcalls_total(const struct sim_result *r)
{
	return calls_of(r, 0, OPC_HCALL);
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

static unsigned width_of(const struct report_ctx *c)
{
	return c->width >= 40 ? c->width : 80;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static const char *pct_cell(double v, double base, char *buf, size_t len)
{
	if (isnan(base) || base == 0)
		return "";
	return verdict_pct((v - base) / base * 100, buf, len);
}

/*
 * The recorded strategy's replay against the recording: the time after boot (or the whole run
 * without a boot marker) and each phase (a marker to the next, the last to the end), in %.
 * Returns 0 when no strategy is as recorded.
 */
int report_self_replay(const struct report_ctx *c, double *run_pct, double *worst_pct,
		       const char **worst)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	const struct sim_result *r = NULL;

	for (unsigned i = 0; i < sim_count(c->sim) && !r; i++)
		if (report_is_recorded(c, sim_result(c->sim, i)))
			r = sim_result(c->sim, i);
	if (!r)
		return 0;
	if (rec->have_boot_end)
		*run_pct = rec->run_ns > 0 ? (r->run_ns - rec->run_ns) / rec->run_ns * 100 : 0;
	else
		*run_pct = rec->boot_ns > 0 ? (r->boot_ns - rec->boot_ns) / rec->boot_ns * 100 : 0;
	*worst_pct = 0;
	*worst = "";
	for (unsigned k = 0; k < rec->nphases; k++) {
		double rd = sim_phase_recorded_ns(rec, k), sd = sim_phase_simulated_ns(rec, r, k), e;

		if (rd <= 0)
			continue;
		e = (sd - rd) / rd * 100;
		if (fabs(e) > fabs(*worst_pct)) {
			*worst_pct = e;
			*worst = rec->phases[k].name;
		}
	}
	return 1;
}

/* Where the TCE hypercall costs came from, one sentence (or "" without a replay's say). */
static char *hcosts_text(const struct report_ctx *c)
{
	const struct replay_hcosts *h = c->hcosts;
	char *s, *x;

	if (!h)
		return xstrdup("");
	if (!h->nfitted)
		return xasprintf(" TCE hypercall costs from the scenario (%s).",
				 h->why ? h->why : "sim.hcall_costs");
	s = xstrdup(" TCE hypercall costs from the trace:");
	for (int k = 0; k < HCFIT_OPS; k++) {
		const struct hcfit_result *r = &h->op[k];

		if (r->fitted && r->per_entry_determined)
			x = xasprintf("%s%s %s %.1f us + %.2f us per entry (%" PRIu64 " events)", s,
				      k ? "," : "", r->name, r->fixed_ns / 1e3, r->per_entry_ns / 1e3,
				      r->samples);
		else if (r->fitted)
			x = xasprintf("%s%s %s %.1f us per call (%" PRIu64 " events)", s,
				      k ? "," : "", r->name, r->fixed_ns / 1e3, r->samples);
		else
			x = xasprintf("%s%s %s from the scenario (%" PRIu64 " events)", s,
				      k ? "," : "", r->name, r->samples);
		free(s);
		s = x;
	}
	x = xasprintf("%s.", s);
	free(s);
	return x;
}

char *report_recorded_text(const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	char b1[32], b2[32], b3[32];

	char times[96], rw[320], *hc = hcosts_text(c), *out;

	rw[0] = 0;
	if (c->recorded_strategy && *c->recorded_strategy)
		snprintf(rw, sizeof(rw), " Recorded with %s (%s%s%s).", c->recorded_strategy,
			 c->recorded_evidence ? "detected: " : "sim.recorded_with",
			 c->recorded_evidence ? c->recorded_evidence : "", "");
	if (rec->have_boot_end)
		snprintf(times, sizeof(times), "boot %.3f s, after boot %.3f s", rec->boot_ns / 1e9,
			 rec->run_ns / 1e9);
	else
		snprintf(times, sizeof(times), "%.3f s (no boot marker)", rec->boot_ns / 1e9);
	out = xasprintf("The recording: %s, %s mapped (%s to the device, %s "
			 "from it); %" PRIu64 " H_PUT_TCE, %" PRIu64 " H_PUT_TCE_INDIRECT, %" PRIu64
			 " H_STUFF_TCE (%.1f ms)%s.%s%s", times,
			 ism_human_bytes(all_bytes(rec), b1, sizeof(b1)),
			 ism_human_bytes(rec->bytes[ISM_DIR_TO_DEVICE], b2, sizeof(b2)),
			 ism_human_bytes(rec->bytes[ISM_DIR_FROM_DEVICE], b3, sizeof(b3)),
			 rec->tce_hcalls[0], rec->tce_hcalls[1], rec->tce_hcalls[2],
			 rec->tce_hcall_ns / 1e6,
			 rec->hcalls_traced ? "" : "; the trace has no hcall events",
			 rw, hc);
	free(hc);
	return out;
}

int report_is_recorded(const struct report_ctx *c, const struct sim_result *r)
{
	return c->recorded_strategy && *c->recorded_strategy &&
	       strcmp(c->recorded_strategy, r->spec) == 0;
}

/* Row label in the detail tables: the baseline marked. */
static void row_name(const struct report_ctx *c, const struct verdict *v, unsigned i,
		     struct table *t, unsigned row)
{
	table_setf(t, row, 0, "%s%s", sim_result(c->sim, i)->spec,
		   v->base == (int)i ? "*" : v->recorded == (int)i ? "@" : "");
}

/* Every strategy, folded classes kept together, in the summary's order. */
static unsigned detail_order(const struct verdict *v, unsigned *out)
{
	unsigned n = 0;

	for (unsigned k = 0; k < v->ncls; k++) {
		const struct verdict_class *cl = &v->cls[v->order[k]];

		for (unsigned m = 0; m < cl->n; m++)
			out[n++] = cl->members[m];
	}
	return n;
}

/* Table: the summary, a row per class of identical figures, fastest first, % against the
 * baseline. */
static void table_summary(const struct report_ctx *c, const struct verdict *v, struct table *t)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	uint64_t bytes = all_bytes(rec);
	int boot = rec->have_boot_end;
	int prot = v->any_protected;
	unsigned row;
	char b1[32], b2[32];
	double bb, br;

	/* the baseline's figures, for the deltas */
	if (v->base >= 0) {
		const struct sim_result *r = sim_result(c->sim, (unsigned)v->base);

		bb = r->boot_ns;
		br = r->run_ns;
	} else {
		bb = rec->boot_ns;
		br = rec->run_ns;
	}

	table_init(&t[RT_SUMMARY], boot ? "Summary: simulated, fastest first; % against the "
					  "baseline" :
					  "Summary (no boot marker: boot is the whole trace); % against "
					  "the baseline");
	t[RT_SUMMARY].gap = 1;
	table_col(&t[RT_SUMMARY], "strategy", NULL, 1);
	table_col(&t[RT_SUMMARY], boot ? "boot s" : "span s", boot ? "boot (s)" : "span (s)", 0);
	table_col(&t[RT_SUMMARY], "vs", boot ? "boot vs baseline" : "span vs baseline", 0);
	table_col(&t[RT_SUMMARY], "after s", "after boot (s)", 0);
	table_col(&t[RT_SUMMARY], "vs", "after boot vs baseline", 0);
	table_col(&t[RT_SUMMARY], "MB/s", "throughput (MB/s)", 0);
	table_col(&t[RT_SUMMARY], "hcalls", NULL, 0);
	table_col(&t[RT_SUMMARY], "exposed", "exposed (peak shared)", 0);
	if (!boot)
		t[RT_SUMMARY].hidden[3] = t[RT_SUMMARY].hidden[4] = 1;
	if (!prot)
		t[RT_SUMMARY].hidden[7] = 1;
	for (unsigned k = 0; k < v->ncls; k++) {
		unsigned i = v->cls[v->order[k]].members[0];
		const struct sim_result *r = sim_result(c->sim, i);
		double tp;
		char *name;

		if (v->base >= 0 && v->class_of[v->base] == v->order[k])
			r = sim_result(c->sim, (unsigned)v->base);
		tp = throughput(bytes, boot ? r->run_ns : r->end_ns);
		row = table_row(&t[RT_SUMMARY]);
		name = verdict_class_name(c, v, v->order[k]);
		table_set(&t[RT_SUMMARY], row, 0, name);
		free(name);
		table_setf(&t[RT_SUMMARY], row, 1, "%.3f", r->boot_ns / 1e9);
		table_set(&t[RT_SUMMARY], row, 2, pct_cell(r->boot_ns, bb, b1, sizeof(b1)));
		table_setf(&t[RT_SUMMARY], row, 3, "%.3f", r->run_ns / 1e9);
		table_set(&t[RT_SUMMARY], row, 4, pct_cell(r->run_ns, br, b1, sizeof(b1)));
		table_setf(&t[RT_SUMMARY], row, 5, "%.2f", tp / 1e6);
		table_setf(&t[RT_SUMMARY], row, 6, "%" PRIu64, hcalls_total(r));
		table_set(&t[RT_SUMMARY], row, 7, r->flags & STRAT_PROTECTED ?
			  ism_human_bytes(r->pr.shared_bytes_peak, b2, sizeof(b2)) : "all RAM");
		if (strcmp(r->spec, "passthrough") == 0)
			table_note(&t[RT_SUMMARY], "passthrough: the reference (no IOMMU, no cost), "
				   "never the pick.");
	}
	verdict_fold_notes(c, v, &t[RT_SUMMARY]);
}

/* Table: time by cost category. */
static void table_time(const struct report_ctx *c, const struct verdict *v, const unsigned *ord,
			 unsigned n, struct table *t)
{
	unsigned row;

	table_init(&t[RT_TIME], "Time by category (ms, the whole trace; setup is the strategy's "
				"boot work, also counted in its category)");
	table_col(&t[RT_TIME], "strategy", NULL, 1);
	table_col(&t[RT_TIME], "setup", NULL, 0);
	for (unsigned k = 0; k < CAT__COUNT; k++)
		table_col(&t[RT_TIME], category_name(k), NULL, 0);
	for (unsigned x = 0; x < n; x++) {
		const struct sim_result *r = sim_result(c->sim, ord[x]);

		row = table_row(&t[RT_TIME]);
		row_name(c, v, ord[x], &t[RT_TIME], row);
		table_setf(&t[RT_TIME], row, 1, "%.1f", r->setup_ns / 1e6);
		for (unsigned k = 0; k < CAT__COUNT; k++)
			table_setf(&t[RT_TIME], row, 2 + k, "%.1f", r->cat_ns[k] / 1e6);
	}
	table_hide_empty(&t[RT_TIME]);
}

/* Table: the calls per operation of the catalogue and per class. */
static void table_calls(const struct report_ctx *c, const struct verdict *v, const unsigned *ord,
			 unsigned n, struct table *t)
{
	unsigned row;

	table_init(&t[RT_CALLS], "Hypercalls, ultracalls and RTAS calls (setup included)");
	table_col(&t[RT_CALLS], "strategy", NULL, 1);
	/* a column per operation and class the catalogue shows (ops.h OPF_COLUMN) */
	for (unsigned k = 0; ism_op_get(k); k++)
		if (ism_op_get(k)->flags & OPF_COLUMN)
			table_col(&t[RT_CALLS], ism_op_get(k)->shrt, ism_op_get(k)->name, 0);
	for (unsigned k = 0; k < OPC__COUNT; k++)
		if (ism_op_class_get(k)->column)
			table_col(&t[RT_CALLS], ism_op_class_get(k)->column,
				  ism_op_class_get(k)->help, 0);
	for (unsigned x = 0; x < n; x++) {
		const struct sim_result *r = sim_result(c->sim, ord[x]);
		unsigned col = 1;

		row = table_row(&t[RT_CALLS]);
		row_name(c, v, ord[x], &t[RT_CALLS], row);
		for (unsigned k = 0; ism_op_get(k); k++)
			if (ism_op_get(k)->flags & OPF_COLUMN)
				table_setf(&t[RT_CALLS], row, col++, "%" PRIu64,
					   calls_of(r, ism_op_get(k)->number, 0));
		for (unsigned k = 0; k < OPC__COUNT; k++)
			if (ism_op_class_get(k)->column)
				table_setf(&t[RT_CALLS], row, col++, "%" PRIu64, calls_of(r, 0, k));
	}
	table_hide_empty(&t[RT_CALLS]);
}

/* Table: window and pool pressure. */
static void table_pressure(const struct report_ctx *c, const struct verdict *v, const unsigned *ord,
			 unsigned n, struct table *t)
{
	unsigned row;
	char b1[32];

	table_init(&t[RT_PRESSURE], "Window and pool pressure");
	table_col(&t[RT_PRESSURE], "strategy", NULL, 1);
	table_col(&t[RT_PRESSURE], "win_peak", "window peak (entries)", 0);
	table_col(&t[RT_PRESSURE], "win_size", "window size", 0);
	table_col(&t[RT_PRESSURE], "w_fail", "window failures", 0);
	table_col(&t[RT_PRESSURE], "pool_peak", "pool peak (slots)", 0);
	table_col(&t[RT_PRESSURE], "p_fail", "pool failures", 0);
	table_col(&t[RT_PRESSURE], "bounces", NULL, 0);
	table_col(&t[RT_PRESSURE], "copy_MiB", "copied (MiB)", 0);
	table_col(&t[RT_PRESSURE], "map_fail", "failed maps", 0);
	for (unsigned x = 0; x < n; x++) {
		const struct sim_result *r = sim_result(c->sim, ord[x]);
		const struct strat_pressure *p = &r->pr;

		row = table_row(&t[RT_PRESSURE]);
		row_name(c, v, ord[x], &t[RT_PRESSURE], row);
		table_setf(&t[RT_PRESSURE], row, 1, "%" PRIu64, p->window_peak);
		table_set(&t[RT_PRESSURE], row, 2, p->window_entries ?
			  ism_human_bytes(p->window_entries * p->window_entry_bytes, b1, sizeof(b1)) :
			  "-");
		table_setf(&t[RT_PRESSURE], row, 3, "%" PRIu64, p->window_failures);
		if (p->pool_slots)
			table_setf(&t[RT_PRESSURE], row, 4, "%" PRIu64 "/%" PRIu64, p->pool_peak,
				   p->pool_slots);
		else
			table_set(&t[RT_PRESSURE], row, 4, "-");
		table_setf(&t[RT_PRESSURE], row, 5, "%" PRIu64, p->pool_failures);
		table_setf(&t[RT_PRESSURE], row, 6, "%" PRIu64, p->bounces);
		table_setf(&t[RT_PRESSURE], row, 7, "%.1f", (double)p->copied_bytes / 1048576.0);
		table_setf(&t[RT_PRESSURE], row, 8, "%" PRIu64, r->map_failures);
	}
	table_hide_empty(&t[RT_PRESSURE]);
}

/* Table: exposure to the hypervisor, protected strategies only. */
static void table_exposure(const struct report_ctx *c, const struct verdict *v, const unsigned *ord,
			 unsigned n, struct table *t)
{
	int prot = v->any_protected;
	unsigned row;
	char b1[32];

	table_init(&t[RT_EXPOSURE], "Exposure to the hypervisor (protected VMs)");
	table_col(&t[RT_EXPOSURE], "strategy", NULL, 1);
	table_col(&t[RT_EXPOSURE], "shared_peak", "shared (peak)", 0);
	table_col(&t[RT_EXPOSURE], "outside_pool", "outside the bounce pool (peak)", 0);
	table_col(&t[RT_EXPOSURE], "MiB*s", "MiB·s shared", 0);
	table_col(&t[RT_EXPOSURE], "shares", "share calls", 0);
	table_col(&t[RT_EXPOSURE], "unshares", "unshare calls", 0);
	for (unsigned x = 0; prot && x < n; x++) {
		const struct sim_result *r = sim_result(c->sim, ord[x]);
		const struct strat_pressure *p = &r->pr;

		if (!(r->flags & STRAT_PROTECTED))
			continue;
		row = table_row(&t[RT_EXPOSURE]);
		row_name(c, v, ord[x], &t[RT_EXPOSURE], row);
		table_set(&t[RT_EXPOSURE], row, 1,
			  ism_human_bytes(p->shared_bytes_peak, b1, sizeof(b1)));
		table_set(&t[RT_EXPOSURE], row, 2,
			  ism_human_bytes(p->shared_outside_pool_peak, b1, sizeof(b1)));
		table_setf(&t[RT_EXPOSURE], row, 3, "%.2f", p->shared_byte_seconds / 1048576.0);
		table_setf(&t[RT_EXPOSURE], row, 4, "%" PRIu64, p->share_calls);
		table_setf(&t[RT_EXPOSURE], row, 5, "%" PRIu64, p->unshare_calls);
	}
	if (prot)
		table_note(&t[RT_EXPOSURE], "Unprotected strategies are not listed: the hypervisor "
					    "can read all guest RAM.");
}

/* Table: map and unmap latency percentiles. */
static void table_latency(const struct report_ctx *c, const struct verdict *v, const unsigned *ord,
			 unsigned n, struct table *t)
{
	unsigned row;

	table_init(&t[RT_LATENCY], "Map and unmap latency (simulated, us)");
	table_col(&t[RT_LATENCY], "strategy", NULL, 1);
	table_col(&t[RT_LATENCY], "map_p50", "map p50", 0);
	table_col(&t[RT_LATENCY], "map_p99", "map p99", 0);
	table_col(&t[RT_LATENCY], "unmap_p50", "unmap p50", 0);
	table_col(&t[RT_LATENCY], "unmap_p99", "unmap p99", 0);
	for (unsigned x = 0; x < n; x++) {
		const struct sim_result *r = sim_result(c->sim, ord[x]);

		row = table_row(&t[RT_LATENCY]);
		row_name(c, v, ord[x], &t[RT_LATENCY], row);
		table_setf(&t[RT_LATENCY], row, 1, "%.2f", lat_percentile(&r->map_lat, 50) / 1e3);
		table_setf(&t[RT_LATENCY], row, 2, "%.2f", lat_percentile(&r->map_lat, 99) / 1e3);
		table_setf(&t[RT_LATENCY], row, 3, "%.2f", lat_percentile(&r->unmap_lat, 50) / 1e3);
		table_setf(&t[RT_LATENCY], row, 4, "%.2f", lat_percentile(&r->unmap_lat, 99) / 1e3);
	}
}

/* Table: phases, recorded then simulated. */
static void table_phases(const struct report_ctx *c, const struct verdict *v, const unsigned *ord,
			 unsigned n, struct table *t)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	unsigned row;

	table_init(&t[RT_PHASES], "Phases: start+duration (s), recorded then simulated; a phase "
		   "ends at its end marker, else at the next");
	table_col(&t[RT_PHASES], "phase", "strategy", 1);
	for (unsigned k = 0; k < rec->nphases && k < TABLE_MAXCOLS - 1; k++)
		table_col(&t[RT_PHASES], rec->phases[k].name, NULL, 0);
	if (rec->nphases) {
		row = table_row(&t[RT_PHASES]);
		table_set(&t[RT_PHASES], row, 0, "(recorded)");
		for (unsigned k = 0; k + 1 < t[RT_PHASES].ncols; k++)
			table_setf(&t[RT_PHASES], row, 1 + k, "%.3f+%.3f",
				   rec->phases[k].rec_start_ns / 1e9,
				   sim_phase_recorded_ns(rec, k) / 1e9);
		for (unsigned x = 0; x < n; x++) {
			const struct sim_result *r = sim_result(c->sim, ord[x]);

			row = table_row(&t[RT_PHASES]);
			row_name(c, v, ord[x], &t[RT_PHASES], row);
			for (unsigned k = 0; k + 1 < t[RT_PHASES].ncols; k++)
				table_setf(&t[RT_PHASES], row, 1 + k, "%.3f+%.3f",
					   r->phase_sim_ns[k] / 1e9,
					   sim_phase_simulated_ns(rec, r, k) / 1e9);
		}
	}
}

void report_tables(const struct report_ctx *c, const struct verdict *v, struct table *t)
{
	unsigned n = sim_count(c->sim), *ord = xcalloc(n ? n : 1, sizeof(*ord));

	detail_order(v, ord);
	table_summary(c, v, t);
	table_time(c, v, ord, n, t);
	table_calls(c, v, ord, n, t);
	table_pressure(c, v, ord, n, t);
	table_exposure(c, v, ord, n, t);
	table_latency(c, v, ord, n, t);
	table_phases(c, v, ord, n, t);
	free(ord);
}

static void text_check(FILE *out, const struct report_ctx *c, unsigned w)
{
	fprintf(out, "\nhypercall check against the recording (TCE hcalls: PUT / INDIRECT / "
		"STUFF)\n");
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct fidelity *f = &r->fid;
		char *s;

		fprintf(out, "%s:\n", r->spec);
		s = xasprintf("%" PRIu64 " of %" PRIu64 " DMA events as recorded (%" PRIu64
			      " of the %" PRIu64 " others have inferred sg lengths); matched %"
			      PRIu64 "/%" PRIu64 "/%" PRIu64 ", predicted but not recorded %" PRIu64
			      "/%" PRIu64 "/%" PRIu64 "; recorded outside DMA events %" PRIu64 "/%"
			      PRIu64 "/%" PRIu64 ", boot setup model %" PRIu64 "/%" PRIu64 "/%" PRIu64
			      "%s",
			      f->events_checked - f->events_mismatched, f->events_checked,
			      f->mismatched_inferred, f->events_mismatched, f->matched[0],
			      f->matched[1], f->matched[2], f->missing[0], f->missing[1],
			      f->missing[2], f->extra[0], f->extra[1], f->extra[2], f->setup_pred[0],
			      f->setup_pred[1], f->setup_pred[2],
			      (f->extra[0] == f->setup_pred[0] && f->extra[1] == f->setup_pred[1] &&
			       f->extra[2] == f->setup_pred[2]) ? " (explained)" : " (differ)");
		text_wrap(out, "    ", s, 4, w);
		free(s);
		for (unsigned k = 0; k < f->nex; k++) {
			char *pfx = xasprintf("    at %" PRIu64 ": ", f->ex_pos[k]);

			text_wrap(out, pfx, f->ex_what[k], 8, w);
			free(pfx);
		}
	}
}

static const char *const ifid_names[IFID_SLOTS] = {
	"iommu_map", "iommu_map_bytes", "iommu_unmap", "iommu_unmap_bytes", "inval_at_unmap",
	"inval_full_queue", "inval_at_map",
};

static void text_iommu_check(FILE *out, const struct report_ctx *c, unsigned w)
{
	static const char *const lbl[IFID_SLOTS] = {
		"iommu:map", "mapped bytes", "iommu:unmap", "unmapped bytes",
		"invalidations at unmap", "full-queue flushes", "invalidations at map",
	};
	const struct sim_recorded *rec = sim_recorded(c->sim);
	unsigned shown = 0;

	fprintf(out, "\nIOMMU check against the recording (iommu:map / iommu:unmap events and "
		"IOTLB invalidations: recorded / predicted, matched)\n");
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct iommu_fidelity *f = &r->ifid;
		char *s, *t;

		if (!f->active)
			continue;
		shown++;
		fprintf(out, "%s:\n", r->spec);
		s = xasprintf("%" PRIu64 " of %" PRIu64 " DMA events as recorded", f->events_checked -
			      f->events_mismatched, f->events_checked);
		for (int k = 0; k < IFID_SLOTS; k++) {
			if (k >= IFID_INV_RANGE && !rec->inv_traced)
				break;
			t = xasprintf("%s; %s %" PRIu64 " / %" PRIu64 ", %" PRIu64 "%s", s, lbl[k],
				      f->matched[k] + f->extra[k], f->pred[k], f->matched[k],
				      f->missing[k] || f->extra[k] ? "" : " (equal)");
			free(s);
			s = t;
			if (f->extra[k]) {
				t = xasprintf("%s (%" PRIu64 " recorded outside DMA events)", s,
					      f->extra[k]);
				free(s);
				s = t;
			}
		}
		if (rec->inv_traced)
			t = xasprintf("%s; flush-queue timer flushes %" PRIu64 " / %" PRIu64 "; other "
				      "whole-domain flushes %" PRIu64 " (domain setup); %" PRIu64
				      " predicted invalidations before the trace records them", s,
				      rec->inv_timer, f->pred_timer, rec->inv_other, f->inv_untraced);
		else
			t = xasprintf("%s; the trace records no IOTLB invalidation", s);
		free(s);
		text_wrap(out, "    ", t, 4, w);
		free(t);
		for (unsigned k = 0; k < f->nex; k++) {
			char *pfx = xasprintf("    at %" PRIu64 ": ", f->ex_pos[k]);

			text_wrap(out, pfx, f->ex_what[k], 8, w);
			free(pfx);
		}
	}
	if (!shown)
		fprintf(out, "    no strategy here models an IOMMU (iommu-dma does)\n");
}

static void text_head(FILE *out, const struct report_ctx *c, const struct verdict *v,
		      struct table *t)
{
	unsigned w = width_of(c);
	char *s, *x;

	x = xasprintf("%s, scenario %s: %u strategies, %u with distinct figures.",
		      base_name(c->trace),
		      c->sc->name && strcmp(c->sc->name, "defaults") ? c->sc->name :
		      "(built-in defaults)",
		      sim_count(c->sim), v->ncls);
	s = xasprintf("iommusim %s: ", c->command ? c->command : "run");
	text_wrap(out, s, x, 2, w);
	free(s);
	free(x);
	/* the answer first: the verdict fits a 24-line screen; then what was recorded */
	fputc('\n', out);
	verdict_text(out, c, v, w);
	fputc('\n', out);
	s = report_recorded_text(c);
	text_wrap(out, NULL, s, 2, w);
	free(s);
	fputc('\n', out);
	table_text(out, &t[RT_SUMMARY], w);
}

static int build(const struct report_ctx *c, struct verdict *v, struct table *t)
{
	char *cause = NULL;

	if (verdict_build(c, v, &cause) < 0) {
		/* the caller checks --baseline first: this cannot happen */
		free(cause);
		return -1;
	}
	report_tables(c, v, t);
	return 0;
}

void report_text_head(FILE *out, const struct report_ctx *c)
{
	struct verdict v;
	struct table t[RT__COUNT];

	if (build(c, &v, t) < 0)
		return;
	text_head(out, c, &v, t);
	for (unsigned i = 0; i < RT__COUNT; i++)
		table_free(&t[i]);
	verdict_free(&v);
}

void report_text(FILE *out, const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	unsigned w = width_of(c);
	struct verdict v;
	struct table t[RT__COUNT];
	char *s;

	if (build(c, &v, t) < 0)
		return;
	text_head(out, c, &v, t);
	for (unsigned i = RT_TIME; i < RT__COUNT; i++) {
		if (!t[i].nrows)
			continue;
		fputc('\n', out);
		table_text(out, &t[i], w);
	}
	if (c->check & SIM_CHECK_HCALLS)
		text_check(out, c, w);
	if (c->check & SIM_CHECK_IOMMU)
		text_iommu_check(out, c, w);

	s = xasprintf("%" PRIu64 " think-time clamps (%.3f ms), %" PRIu64 " orphans skipped, %"
		      PRIu64 " maps live at the end, %" PRIu64 " lost events.", rec->think_clamps,
		      rec->clamped_ns / 1e6, rec->orphans, rec->live_at_end, rec->lost_events);
	fputc('\n', out);
	text_wrap(out, "Notes: ", s, 7, w);
	free(s);
	s = xasprintf("Re-timing: %" PRIu64 " markers after work on another CPU, %" PRIu64
		      " DMA events after another CPU's marker, %" PRIu64 " unmaps after a later map "
		      "of their device on the map's CPU (%" PRIu64 " after their own map; %" PRIu64
		      " with the device time from a later marker), %" PRIu64 " maps after their "
		      "device's completion on another CPU; boot "
		      "work %s.", rec->deps_marker, rec->deps_after_marker, rec->deps_device_later,
		      rec->deps_device_own, rec->deps_device_marker, rec->deps_completion,
		      rec->boot_in_trace ? "charged" :
		      "not charged (the trace starts after boot)");
	text_wrap(out, "       ", s, 7, w);
	free(s);
	{
		double rp, wp;
		const char *wn;

		if (report_self_replay(c, &rp, &wp, &wn)) {
			s = xasprintf("Self-replay of %s (as recorded): %+.3f%% %s%s%s%s%+.3f%%.",
				      c->recorded_strategy, rp,
				      rec->have_boot_end ? "after boot" : "over the run",
				      *wn ? ", worst phase " : "", wn, *wn ? " " : "",
				      *wn ? wp : rp);
			text_wrap(out, "       ", s, 7, w);
			free(s);
		}
	}
	if (rec->sg_inferred_lists) {
		s = xasprintf("%" PRIu64 " of %" PRIu64 " sg lists merged by the kernel: %" PRIu64
			      " input lengths inferred; single-page inputs (H_PUT_TCE under a "
			      "window) between %" PRIu64 " and %" PRIu64 ".", rec->sg_inferred_lists,
			      rec->sg_lists, rec->sg_inferred_segments, rec->sg_put_tce_min,
			      rec->sg_put_tce_max);
		text_wrap(out, "       ", s, 7, w);
		free(s);
	}
	fputc('\n', out);
	s = xasprintf("%s (%s, %" PRIu64 " events, %u CPUs)", c->trace, c->trace_format,
		      c->trace_events, c->cpus);
	text_wrap(out, "Trace: ", s, 4, w);
	free(s);
	for (unsigned k = 0; k < c->nrepeats; k++)
		text_wrap(out, "Repeat: ", c->repeat_paths[k], 4, w);
	s = xasprintf("%s (%s)%s%s", c->sc->name ? c->sc->name : "-", c->sc->path,
		      c->sc->sim.recorded_with && *c->sc->sim.recorded_with ?
		      "; sim.recorded_with " : "",
		      c->sc->sim.recorded_with ? c->sc->sim.recorded_with : "");
	text_wrap(out, "Scenario: ", s, 4, w);
	free(s);
	if ((s = verdict_error_source(c)) != NULL) {
		text_wrap(out, "Model error: ", s, 4, w);
		free(s);
	}
	fprintf(out, "iommusim %s\n", PACKAGE_VERSION);
	for (unsigned i = 0; i < RT__COUNT; i++)
		table_free(&t[i]);
	verdict_free(&v);
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

/* The strategies' registered statistics: {LAYER: {NAME: {value, unit, better, help}}}. */
static json_t *stats_json(const struct sim_result *r)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < r->nstats; i++) {
		const struct sim_stat *st = &r->stats[i];
		json_t *layer = json_object_get(o, st->layer), *x = json_object();
		double v = st->value;

		if (!layer) {
			layer = json_object();
			json_object_set_new(o, st->layer, layer);
		}
		json_object_set_new(x, "value", v == floor(v) && fabs(v) < 9e15 ?
					   json_integer((json_int_t)v) : json_real(v));
		json_object_set_new(x, "unit", json_string(st->def->unit));
		json_object_set_new(x, "better", json_string(st->def->better > 0 ? "higher" :
							    st->def->better < 0 ? "lower" : "none"));
		json_object_set_new(x, "help", json_string(st->def->help));
		json_object_set_new(layer, st->def->name, x);
	}
	return o;
}

static json_t *ops_json(const struct op_stat *ops, unsigned n)
{
	json_t *a = json_array();
	char lbl[48];

	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_object();
		const char *name = ism_op_name(ops[i].op);

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

static json_t *iommu_check_json(const struct sim_recorded *rec, const struct iommu_fidelity *f)
{
	json_t *fx = json_object(), *ex = json_array(), *q;

	json_object_set_new(fx, "events_checked", jint(f->events_checked));
	json_object_set_new(fx, "events_mismatched", jint(f->events_mismatched));
	json_object_set_new(fx, "invalidations_traced", json_boolean(rec->inv_traced));
	for (int k = 0; k < IFID_SLOTS; k++) {
		q = json_object();
		json_object_set_new(q, "recorded", jint(f->matched[k] + f->extra[k]));
		json_object_set_new(q, "predicted", jint(f->pred[k]));
		json_object_set_new(q, "matched", jint(f->matched[k]));
		json_object_set_new(q, "predicted_not_recorded", jint(f->missing[k]));
		json_object_set_new(q, "recorded_outside_events", jint(f->extra[k]));
		json_object_set_new(fx, ifid_names[k], q);
	}
	q = json_object();
	json_object_set_new(q, "recorded", jint(rec->inv_timer));
	json_object_set_new(q, "predicted", jint(f->pred_timer));
	json_object_set_new(fx, "timer_flushes", q);
	json_object_set_new(fx, "other_flushes_recorded", jint(rec->inv_other));
	json_object_set_new(fx, "invalidations_before_traced", jint(f->inv_untraced));
	for (unsigned k = 0; k < f->nex; k++) {
		q = json_object();
		json_object_set_new(q, "position", jint(f->ex_pos[k]));
		json_object_set_new(q, "what", json_string(f->ex_what[k]));
		json_array_append_new(ex, q);
	}
	json_object_set_new(fx, "examples", ex);
	return fx;
}

/* "scenario": which scenario, the recorded strategy and where it came from, hcall costs */
static json_t *scenario_json(const struct report_ctx *c)
{
	json_t *o = json_object(), *h = json_object(), *ops = json_array();

	json_object_set_new(o, "path", json_string(c->sc->path));
	json_object_set_new(o, "name", json_string(c->sc->name ? c->sc->name : ""));
	json_object_set_new(o, "recorded_with",
			    json_string(c->sc->sim.recorded_with ? c->sc->sim.recorded_with : ""));
	json_object_set_new(o, "recorded_with_source",
			    json_string(c->recorded_src ? c->recorded_src : ""));
	json_object_set_new(o, "recorded_evidence",
			    json_string(c->recorded_evidence ? c->recorded_evidence : ""));
	json_object_set_new(h, "source", json_string(c->hcosts ? c->hcosts->source : "scenario"));
	for (int k = 0; c->hcosts && k < HCFIT_OPS; k++) {
		const struct hcfit_result *r = &c->hcosts->op[k];
		json_t *q = json_object();

		json_object_set_new(q, "hcall", json_string(r->name));
		json_object_set_new(q, "source", json_string(r->fitted ? "trace" : "scenario"));
		json_object_set_new(q, "events", jint(r->samples));
		json_object_set_new(q, "calls", jint(r->calls));
		json_object_set_new(q, "fixed_ns", json_real(r->fitted ? r->fixed_ns : 0));
		json_object_set_new(q, "per_entry_ns", json_real(r->fitted ? r->per_entry_ns : 0));
		json_object_set_new(q, "per_entry_determined", json_boolean(r->per_entry_determined));
		json_object_set_new(q, "median_call_ns", json_real(r->median_ns));
		json_object_set_new(q, "p10_call_ns", json_real(r->p10_ns));
		json_object_set_new(q, "p90_call_ns", json_real(r->p90_ns));
		json_object_set_new(q, "residual_pct", json_real(r->residual_pct));
		json_array_append_new(ops, q);
	}
	json_object_set_new(h, "hcalls", ops);
	json_object_set_new(o, "hcall_costs", h);
	return o;
}

/* "recorded": the recording itself: times, bytes, hcalls, trace health, phases, self-replay */
static json_t *recorded_json(const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	json_t *o = json_object(), *d = json_object(), *a, *x;
	uint64_t bytes = all_bytes(rec);
	double rp, wp;
	const char *wn;

	json_object_set_new(o, "boot_marker_found", json_boolean(rec->have_boot_end));
	json_object_set_new(o, "boot_in_trace", json_boolean(rec->boot_in_trace));
	json_object_set_new(d, "marker_after_other_cpu", jint(rec->deps_marker));
	json_object_set_new(d, "dma_after_other_cpu_marker", jint(rec->deps_after_marker));
	json_object_set_new(d, "unmap_after_later_map", jint(rec->deps_device_later));
	json_object_set_new(d, "unmap_after_own_map", jint(rec->deps_device_own));
	json_object_set_new(d, "unmap_device_time_from_marker", jint(rec->deps_device_marker));
	json_object_set_new(d, "map_after_completion", jint(rec->deps_completion));
	json_object_set_new(o, "dependencies", d);
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
	json_object_set_new(o, "ts_inversions", jint(rec->ts_inversions));
	json_object_set_new(o, "zero_timestamps", jint(rec->zero_timestamps));
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
		json_object_set_new(p, "end_marker", json_boolean(rec->phases[k].has_end));
		json_object_set_new(p, "duration_ns", jns(sim_phase_recorded_ns(rec, k)));
		json_array_append_new(a, p);
	}
	json_object_set_new(o, "phases", a);
	x = json_object();
	if (report_self_replay(c, &rp, &wp, &wn)) {
		json_object_set_new(x, "strategy", json_string(c->recorded_strategy));
		json_object_set_new(x, "run_error_pct", json_real(rp));
		json_object_set_new(x, "worst_phase", json_string(wn));
		json_object_set_new(x, "worst_phase_error_pct", json_real(wp));
	}
	json_object_set_new(o, "self_replay", x);
	return o;
}

/* A strategy's window, pool and exposure to the hypervisor ("window", "pool", "exposure"). */
static void pressure_json(json_t *s, const struct strat_pressure *p)
{
	json_t *x = json_object();

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
}

/* "hcall_check": the strategy's TCE hypercalls against those the recording shows */
static json_t *hcall_check_json(const struct fidelity *f)
{
	static const char *const nm[3] = { "h_put_tce", "h_put_tce_indirect", "h_stuff_tce" };
	json_t *fx = json_object(), *ex = json_array();

	json_object_set_new(fx, "events_checked", jint(f->events_checked));
	json_object_set_new(fx, "events_mismatched", jint(f->events_mismatched));
	json_object_set_new(fx, "events_mismatched_inferred_sg", jint(f->mismatched_inferred));
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
	return fx;
}

/* One entry of "strategies": strategy @i's figures against the recording. */
static json_t *strategy_json(const struct report_ctx *c, const struct verdict *v, unsigned i)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	const struct sim_result *r = sim_result(c->sim, i);
	uint64_t bytes = all_bytes(rec);
	json_t *s = json_object(), *x;

	json_object_set_new(s, "strategy", json_string(r->spec));
	json_object_set_new(s, "as_recorded", json_boolean(v->recorded == (int)i));
	json_object_set_new(s, "same_figures_as",
			    json_string(v->ncls && v->cls[v->class_of[i]].members[0] != i ?
					sim_result(c->sim, v->cls[v->class_of[i]].members[0])->spec :
					""));
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
	pressure_json(s, &r->pr);
	x = json_object();
	json_object_set_new(x, "map", lat_json(&r->map_lat));
	json_object_set_new(x, "unmap", lat_json(&r->unmap_lat));
	json_object_set_new(s, "latency", x);
	x = json_array();
	for (unsigned k = 0; k < rec->nphases; k++) {
		json_t *ph = json_object();

		json_object_set_new(ph, "name", json_string(rec->phases[k].name));
		json_object_set_new(ph, "start_ns", jns(r->phase_sim_ns[k]));
		json_object_set_new(ph, "duration_ns",
				    jns(sim_phase_simulated_ns(rec, r, k)));
		json_array_append_new(x, ph);
	}
	json_object_set_new(s, "phases", x);
	if ((c->check & SIM_CHECK_IOMMU) && r->ifid.active)
		json_object_set_new(s, "iommu_check", iommu_check_json(rec, &r->ifid));
	if (c->check & SIM_CHECK_HCALLS)
		json_object_set_new(s, "hcall_check", hcall_check_json(&r->fid));
	if (r->nstats)
		json_object_set_new(s, "statistics", stats_json(r));
	return s;
}

json_t *report_json(const struct report_ctx *c)
{
	json_t *root = json_object(), *o, *a;
	struct verdict v;
	char *cause = NULL;

	json_object_set_new(root, "schema_version", jint(REPORT_SCHEMA_VERSION));
	json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	o = json_object();
	json_object_set_new(o, "path", json_string(c->trace));
	json_object_set_new(o, "format", json_string(c->trace_format));
	json_object_set_new(o, "events", jint(c->trace_events));
	json_object_set_new(o, "cpus", jint(c->cpus));
	json_object_set_new(root, "trace", o);
	json_object_set_new(root, "scenario", scenario_json(c));
	json_object_set_new(root, "recorded", recorded_json(c));
	if (verdict_build(c, &v, &cause) < 0) {
		free(cause);
		memset(&v, 0, sizeof(v));
		v.base = v.recorded = -1;
	} else {
		json_object_set_new(root, "verdict", verdict_json(c, &v));
	}
	a = json_array();
	for (unsigned i = 0; i < sim_count(c->sim); i++)
		json_array_append_new(a, strategy_json(c, &v, i));
	json_object_set_new(root, "strategies", a);
	verdict_free(&v);
	return root;
}

/* ---- CSV ----------------------------------------------------------------------------------- */

/* results.csv: these columns, a column KEY per operation with OPF_COLUMN (ops.h), then the rest */
static const char *const csv_head[] = {
	"strategy", "protected", "boot_ns", "boot_delta_ns", "run_ns", "run_delta_ns",
	"throughput_bytes_per_s", "setup_ns", "hcall_ns", "ucall_ns", "rtas_ns", "copy_ns",
	"guest_sw_ns", "lock_wait_ns", "device_xlate_ns",
};
static const char *const csv_tail[] = {
	"tces_written", "tces_cleared", "window_peak_entries",
	"window_entries", "window_failures", "pool_peak_slots", "pool_slots", "pool_failures",
	"bounces", "copied_bytes", "shared_peak_bytes", "shared_outside_pool_peak_bytes",
	"shared_byte_seconds", "map_p50_ns", "map_p99_ns", "unmap_p50_ns", "unmap_p99_ns",
	"maps", "map_failures", "recorded_boot_ns", "recorded_run_ns", "as_recorded",
	"hcall_costs", "schema_version",
};

const char *report_csv_column(unsigned i)
{
	if (i < ISM_ARRAY_SIZE(csv_head))
		return csv_head[i];
	i -= (unsigned)ISM_ARRAY_SIZE(csv_head);
	for (unsigned k = 0; ism_op_get(k); k++)
		if (ism_op_get(k)->flags & OPF_COLUMN) {
			if (!i)
				return ism_op_get(k)->key;
			i--;
		}
	return i < ISM_ARRAY_SIZE(csv_tail) ? csv_tail[i] : NULL;
}

void report_csv(FILE *out, const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	uint64_t bytes = all_bytes(rec);

	for (unsigned i = 0; report_csv_column(i); i++)
		fprintf(out, "%s%s", i ? "," : "", report_csv_column(i));
	fputc('\n', out);
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct strat_pressure *p = &r->pr;
		const double ns[] = { r->boot_ns, r->boot_ns - rec->boot_ns, r->run_ns,
				      r->run_ns - rec->run_ns,
				      throughput(bytes, rec->have_boot_end ? r->run_ns : r->end_ns),
				      r->setup_ns };
		const uint64_t u[] = { p->tces_written,
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
		for (unsigned k = 0; ism_op_get(k); k++)
			if (ism_op_get(k)->flags & OPF_COLUMN) {
				fputc(',', out);
				csv_u64(out, calls_of(r, ism_op_get(k)->number, 0));
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
		fprintf(out, ",%d,%s,%d\n", report_is_recorded(c, r),
			c->hcosts ? c->hcosts->source : "scenario", SCHEMA_RESULT_CSV);
	}
}
