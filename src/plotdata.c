/*
 * plotdata.c: CSV data for the figures (the templates in plots/).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plotdata.h"
#include "util.h"

static void head(FILE *out, const char *kind)
{
	fprintf(out, "# iommusim-plot v%d %s\n", PLOTDATA_VERSION, kind);
}

/* Strategy specs go into CSV fields unquoted: they never hold commas, but be safe. */
static void field(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == ',' || *s == '"' || *s == '\n' ? ';' : *s, out);
}

static uint64_t mapped_bytes(const struct sim_recorded *r)
{
	uint64_t b = 0;

	for (int i = 0; i < 5; i++)
		b += r->bytes[i];
	return b;
}

static uint64_t op_calls(const struct sim_result *r, uint32_t lo, uint32_t hi)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].op >= lo && r->ops[i].op <= hi)
			n += r->ops[i].calls;
	return n;
}

void plotdata_boot(FILE *out, const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);

	head(out, "boot");
	fprintf(out, "strategy,boot_s,recorded_boot_s,setup_ms");
	for (unsigned k = 0; k < CAT__COUNT; k++)
		fprintf(out, ",%s_ms", category_name(k));
	fprintf(out, ",dma_ms\n");
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		double total = r->setup_ns;

		field(out, r->spec);
		fprintf(out, ",%.6f,%.6f,%.6f", r->boot_ns / 1e9, rec->boot_ns / 1e9,
			r->setup_ns / 1e6);
		for (unsigned k = 0; k < CAT__COUNT; k++) {
			/* setup work is in cat_ns too: show it once, as setup */
			double v = r->boot_cat_ns[k] - r->setup_cat_ns[k];

			if (v < 0)
				v = 0;
			total += v;
			fprintf(out, ",%.6f", v / 1e6);
		}
		fprintf(out, ",%.6f\n", total / 1e6);
	}
}

static const struct {
	uint32_t lo, hi;
	const char *name;
} hcall_cols[] = {
	{ 0x20, 0x20, "H_PUT_TCE" },
	{ 0x13c, 0x13c, "H_PUT_TCE_INDIRECT" },
	{ 0x138, 0x138, "H_STUFF_TCE" },
	{ 0xF130, 0xF130, "UV_SHARE_PAGE" },
	{ 0xF134, 0xF134, "UV_UNSHARE_PAGE" },
	{ 0x10000, 0x1FFFF, "RTAS" },
};

unsigned plotdata_hcalls(FILE *out, const struct report_ctx *c)
{
	unsigned n = sim_count(c->sim), ncols = 0;
	int used[ISM_ARRAY_SIZE(hcall_cols)] = { 0 };

	/* only opcodes some strategy calls: a log axis has no room for a column of zeros */
	for (size_t k = 0; k < ISM_ARRAY_SIZE(hcall_cols); k++) {
		for (unsigned i = 0; i < n; i++)
			if (op_calls(sim_result(c->sim, i), hcall_cols[k].lo, hcall_cols[k].hi))
				used[k] = 1;
		ncols += used[k];
	}
	head(out, "hcalls");
	fprintf(out, "strategy");
	for (size_t k = 0; k < ISM_ARRAY_SIZE(hcall_cols); k++)
		if (used[k])
			fprintf(out, ",%s", hcall_cols[k].name);
	fputc('\n', out);
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);

		field(out, r->spec);
		for (size_t k = 0; k < ISM_ARRAY_SIZE(hcall_cols); k++)
			if (used[k])
				fprintf(out, ",%" PRIu64,
					op_calls(r, hcall_cols[k].lo, hcall_cols[k].hi));
		fputc('\n', out);
	}
	return ncols;
}

static double mbps(uint64_t bytes, double ns)
{
	return ns > 0 ? (double)bytes / ns * 1e3 : 0;
}

void plotdata_throughput(FILE *out, const struct report_ctx *c)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	uint64_t bytes = mapped_bytes(rec);
	double rec_mbps = mbps(bytes, rec->have_boot_end ? rec->run_ns : rec->boot_ns);

	head(out, "throughput");
	fprintf(out, "strategy,throughput_MBps,recorded_MBps\n");
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);

		field(out, r->spec);
		fprintf(out, ",%.6f,%.6f\n",
			mbps(bytes, rec->have_boot_end ? r->run_ns : r->end_ns), rec_mbps);
	}
}

static double exposed_bytes(const struct report_ctx *c, const struct sim_result *r)
{
	double b;

	if (!(r->flags & STRAT_PROTECTED))
		return (double)c->sc->machine.ram_bytes;
	b = (double)r->pr.shared_bytes_peak;
	return b < 4096 ? 4096 : b;   /* a log axis: one page at least */
}

void plotdata_tradeoff(FILE *out, const struct report_ctx *c)
{
	unsigned n = sim_count(c->sim);
	char *done = xcalloc(n ? n : 1, 1);

	head(out, "tradeoff");
	fprintf(out, "label,exposed_bytes,total_s,protected\n");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		double x = exposed_bytes(c, r), y = r->end_ns;
		unsigned on_line = 0;

		if (done[i])
			continue;
		/* strategies whose points coincide (to 0.1%) share one label */
		for (unsigned j = i; j < n; j++) {
			const struct sim_result *q = sim_result(c->sim, j);

			if (done[j] || fabs(exposed_bytes(c, q) - x) > 1e-3 * x ||
			    fabs(q->end_ns - y) > 1e-3 * (y > 0 ? y : 1) * 1e-1)
				continue;
			done[j] = 1;
			if (on_line)
				fputs(on_line % 2 ? " / " : " /\\n", out);
			else
				fputc('"', out);
			field(out, q->spec);
			on_line++;
		}
		fprintf(out, "\",%.0f,%.6f,%d\n", x, y / 1e9,
			(r->flags & STRAT_PROTECTED) != 0);
	}
	free(done);
}

unsigned plotdata_exposure(FILE *out, const struct report_ctx *c)
{
	unsigned n = sim_count(c->sim), ns = 0, *cols = xcalloc(n ? n : 1, sizeof(*cols));
	uint64_t grid = 0;
	double end = 0;

	head(out, "exposure");
	fprintf(out, "t_s");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = sim_result(c->sim, i);

		if (r->end_ns > end)
			end = r->end_ns;
		if (!r->pr.shared_bytes_peak || !r->pr.tl.width_ns)
			continue;
		cols[ns++] = i;
		if (r->pr.tl.width_ns > grid)
			grid = r->pr.tl.width_ns;
		fputc(',', out);
		field(out, r->spec);
	}
	fputc('\n', out);
	if (!ns) {
		free(cols);
		return 0;
	}
	/* a common grid: the coarsest strategy's buckets; each cell shows its peak */
	for (uint64_t k = 0; k <= (uint64_t)(end / (double)grid) && k < 2 * EXPO_BUCKETS; k++) {
		fprintf(out, "%.9f", (double)(k * grid) / 1e9);
		for (unsigned s = 0; s < ns; s++) {
			const struct expo_timeline *tl = &sim_result(c->sim, cols[s])->pr.tl;
			uint64_t b0 = k * grid / tl->width_ns, b1 = (k + 1) * grid / tl->width_ns;
			uint64_t v = 0;

			for (uint64_t b = b0; b < b1 && b < EXPO_BUCKETS; b++) {
				uint64_t l = expo_timeline_level(tl, (unsigned)b);

				if (l > v)
					v = l;
			}
			if (b0 >= EXPO_BUCKETS)
				v = expo_timeline_level(tl, EXPO_BUCKETS - 1);
			fprintf(out, ",%.6f", (double)v / 1048576.0);
		}
		fputc('\n', out);
	}
	/* the level at the end, so the last step reaches it */
	fprintf(out, "%.9f", end / 1e9);
	for (unsigned s = 0; s < ns; s++)
		fprintf(out, ",%.6f",
			(double)sim_result(c->sim, cols[s])->pr.shared_bytes_now / 1048576.0);
	fputc('\n', out);
	free(cols);
	return ns;
}

unsigned plotdata_history(FILE *out, json_t *const *results, const char *const *labels,
			  unsigned nres, const struct metric *const *metrics, unsigned nmetrics,
			  char *const *only, unsigned nonly, char **names_out, char **cause)
{
	const char **names = NULL;
	unsigned nn = 0;

	/* the strategies: as asked, or every one in order of first appearance */
	if (nonly) {
		names = xreallocarray(NULL, nonly, sizeof(*names));
		for (unsigned i = 0; i < nonly; i++)
			names[nn++] = only[i];
	} else {
		for (unsigned r = 0; r < nres; r++) {
			json_t *a = json_object_get(results[r], "strategies"), *s;
			size_t i;

			json_array_foreach(a, i, s) {
				const char *n = json_string_value(json_object_get(s, "strategy"));
				unsigned k;

				if (!n)
					continue;
				for (k = 0; k < nn && strcmp(names[k], n) != 0; k++)
					;
				if (k == nn) {
					names = xreallocarray(names, nn + 1, sizeof(*names));
					names[nn++] = n;
				}
			}
		}
	}
	if (!nn) {
		*cause = xstrdup("no strategy in the results");
		free(names);
		return 0;
	}
	head(out, "history");
	fprintf(out, "run,label");
	for (unsigned m = 0; m < nmetrics; m++)
		for (unsigned k = 0; k < nn; k++) {
			fprintf(out, ",%s:", metrics[m]->disp);
			field(out, names[k]);
		}
	fputc('\n', out);
	for (unsigned r = 0; r < nres; r++) {
		fprintf(out, "%u,", r + 1);
		field(out, labels[r]);
		for (unsigned m = 0; m < nmetrics; m++)
			for (unsigned k = 0; k < nn; k++) {
				json_t *s = metric_strategy(results[r], names[k]);
				double v;

				if (s && metric_value(metrics[m], s, &v) == 0)
					fprintf(out, ",%.9g", v * metrics[m]->scale);
				else
					fputc(',', out);
			}
		fputc('\n', out);
	}
	*names_out = xstrdup("");
	for (unsigned k = 0; k < nn; k++) {
		char *n = xasprintf("%s%s%s", *names_out, k ? " " : "", names[k]);

		free(*names_out);
		*names_out = n;
	}
	free(names);
	return nn;
}
