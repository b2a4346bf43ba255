/*
 * cmd-report.c: `iommusim compare -o DIR`, a report folder a person can read and attach to a
 * mailing-list thread: report.md (tables and figures), a self-contained report.html (the
 * figures' SVG inline, no external resource), the figures (PNG and SVG) with their data
 * (CSV) and gnuplot scripts, the results as text, JSON and CSV, and a provenance manifest.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "manifest.h"
#include "plot.h"
#include "plotdata.h"
#include "sha256.h"
#include "util.h"

/* ---- tables, rendered as Markdown and as HTML ------------------------------------------- */

#define TAB_MAXCOLS 12

struct tab {
	const char *title;
	const char *note;
	unsigned ncols, nrows;
	const char *head[TAB_MAXCOLS];
	char **cells;             /* nrows * ncols, malloc'd */
};

static void tab_init(struct tab *t, const char *title, const char *note, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	t->title = title;
	t->note = note;
	while (head[t->ncols] && t->ncols < TAB_MAXCOLS) {
		t->head[t->ncols] = head[t->ncols];
		t->ncols++;
	}
}

/* Append a row: @ncols cells, printf-formatted one after another from @fmt split at '|'. */
static void tab_row(struct tab *t, const char *fmt, ...) ISM_PRINTF(2, 3);
static void tab_row(struct tab *t, const char *fmt, ...)
{
	va_list ap;
	char *line, *save = NULL;
	unsigned k = 0;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	for (char *c = strtok_r(line, "|", &save); c && k < t->ncols;
	     c = strtok_r(NULL, "|", &save))
		t->cells[t->nrows * t->ncols + k++] = xstrdup(c);
	while (k < t->ncols)
		t->cells[t->nrows * t->ncols + k++] = xstrdup("");
	t->nrows++;
	free(line);
}

static void tab_free(struct tab *t)
{
	for (unsigned i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static void tab_md(FILE *f, const struct tab *t)
{
	fprintf(f, "\n## %s\n\n", t->title);
	if (t->note)
		fprintf(f, "%s\n\n", t->note);
	for (unsigned c = 0; c < t->ncols; c++)
		fprintf(f, "| %s ", t->head[c]);
	fprintf(f, "|\n");
	for (unsigned c = 0; c < t->ncols; c++)
		fprintf(f, "|%s", c ? "---:" : ":---");
	fprintf(f, "|\n");
	for (unsigned r = 0; r < t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++)
			fprintf(f, "| %s ", t->cells[r * t->ncols + c]);
		fprintf(f, "|\n");
	}
}

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void tab_html(FILE *f, const struct tab *t)
{
	fputs("<h2>", f);
	html_esc(f, t->title);
	fputs("</h2>\n", f);
	if (t->note) {
		fputs("<p>", f);
		html_esc(f, t->note);
		fputs("</p>\n", f);
	}
	fputs("<table>\n<tr>", f);
	for (unsigned c = 0; c < t->ncols; c++) {
		fputs("<th>", f);
		html_esc(f, t->head[c]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (unsigned r = 0; r < t->nrows; r++) {
		fputs("<tr>", f);
		for (unsigned c = 0; c < t->ncols; c++) {
			fputs(c ? "<td>" : "<td class=\"s\">", f);
			html_esc(f, t->cells[r * t->ncols + c]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* ---- what the report says ------------------------------------------------------------------ */

static uint64_t op_calls(const struct sim_result *r, uint32_t lo, uint32_t hi)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].op >= lo && r->ops[i].op <= hi)
			n += r->ops[i].calls;
	return n;
}

static uint64_t mapped_bytes(const struct sim_recorded *r)
{
	uint64_t b = 0;

	for (int i = 0; i < 5; i++)
		b += r->bytes[i];
	return b;
}

#define NTABS 5

static void build_tables(const struct report_ctx *c, struct tab *t)
{
	static const char *const h0[] = { "strategy", "boot (s)", "Δ boot (ms)", "after boot (s)",
					  "Δ (ms)", "MB/s", "hcalls", "exposed (peak)", NULL };
	static const char *const h1[] = { "strategy", "setup", "hcall", "ucall", "rtas", "copy",
					  "guest_sw", "lock_wait", "device_xlate", NULL };
	static const char *const h2[] = { "strategy", "H_PUT_TCE", "H_PUT_TCE_INDIRECT",
					  "H_STUFF_TCE", "UV_SHARE_PAGE", "UV_UNSHARE_PAGE", "RTAS",
					  NULL };
	static const char *const h3[] = { "strategy", "window peak", "window size", "window fail",
					  "pool peak", "pool slots", "pool fail", "bounces",
					  "copied MiB", "map fail", NULL };
	static const char *const h4[] = { "strategy", "shared peak", "outside pool", "MiB·s",
					  "shares", "map p50", "map p99", "unmap p50", "unmap p99",
					  NULL };
	const struct sim_recorded *rec = sim_recorded(c->sim);
	uint64_t bytes = mapped_bytes(rec);

	tab_init(&t[0], "Summary", rec->have_boot_end ?
		 "Simulated boot time (setup included) and time after boot, with the delta from "
		 "the recording; throughput is bytes mapped per simulated second after boot." :
		 "The trace has no boot marker: boot is the whole trace.", h0);
	tab_init(&t[1], "Time by category (ms)",
		 "Whole trace; setup is the strategy's boot work (also counted in its category).",
		 h1);
	tab_init(&t[2], "Hypercalls, ultracalls and RTAS calls", "Calls, setup included.", h2);
	tab_init(&t[3], "Window and pool pressure", NULL, h3);
	tab_init(&t[4], "Exposure to the hypervisor and latency",
		 "Exposure is meaningful for protected VMs; latency in microseconds.", h4);
	for (unsigned i = 0; i < sim_count(c->sim); i++) {
		const struct sim_result *r = sim_result(c->sim, i);
		const struct strat_pressure *p = &r->pr;
		int prot = (r->flags & STRAT_PROTECTED) != 0;
		double span = rec->have_boot_end ? r->run_ns : r->end_ns;
		char b1[32], b2[32], b3[32];

		tab_row(&t[0], "%s|%.3f|%+.1f|%.3f|%+.1f|%.2f|%" PRIu64 "|%s", r->spec,
			r->boot_ns / 1e9, (r->boot_ns - rec->boot_ns) / 1e6, r->run_ns / 1e9,
			(r->run_ns - rec->run_ns) / 1e6, span > 0 ? (double)bytes / span * 1e3 : 0,
			op_calls(r, 0, 0xEFFF),
			prot ? ism_human_bytes(p->shared_bytes_peak, b1, sizeof(b1))
			     : "unprotected");
		tab_row(&t[1], "%s|%.1f|%.1f|%.1f|%.1f|%.1f|%.1f|%.1f|%.1f", r->spec,
			r->setup_ns / 1e6, r->cat_ns[CAT_HCALL] / 1e6, r->cat_ns[CAT_UCALL] / 1e6,
			r->cat_ns[CAT_RTAS] / 1e6, r->cat_ns[CAT_COPY] / 1e6,
			r->cat_ns[CAT_GUEST] / 1e6, r->cat_ns[CAT_LOCK_WAIT] / 1e6,
			r->cat_ns[CAT_DEVICE] / 1e6);
		tab_row(&t[2], "%s|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%"
			PRIu64, r->spec, op_calls(r, 0x20, 0x20), op_calls(r, 0x13c, 0x13c),
			op_calls(r, 0x138, 0x138), op_calls(r, 0xF130, 0xF130),
			op_calls(r, 0xF134, 0xF134), op_calls(r, 0x10000, 0x1FFFF));
		tab_row(&t[3],
			"%s|%" PRIu64 "|%s|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64
			"|%.1f|%" PRIu64,
			r->spec, p->window_peak,
			p->window_entries
				? ism_human_bytes(p->window_entries * p->window_entry_bytes, b1,
						  sizeof(b1))
				: "-",
			p->window_failures, p->pool_peak, p->pool_slots, p->pool_failures,
			p->bounces, (double)p->copied_bytes / 1048576.0, r->map_failures);
		tab_row(&t[4], "%s|%s|%s|%.2f|%" PRIu64 "|%.2f|%.2f|%.2f|%.2f", r->spec,
			prot ? ism_human_bytes(p->shared_bytes_peak, b2, sizeof(b2)) : "-",
			prot ? ism_human_bytes(p->shared_outside_pool_peak, b3, sizeof(b3)) : "-",
			p->shared_byte_seconds / 1048576.0, p->share_calls,
			lat_percentile(&r->map_lat, 50) / 1e3,
			lat_percentile(&r->map_lat, 99) / 1e3,
			lat_percentile(&r->unmap_lat, 50) / 1e3,
			lat_percentile(&r->unmap_lat, 99) / 1e3);
	}
}

struct figure {
	const struct plot_kind *k;
	char caption[160];
	int drawn;            /* PNG and SVG exist */
	int empty;            /* nothing to draw (e.g. no strategy shares memory) */
};

/* The facts at the top of both documents, as (label, text) pairs. */
struct fact {
	const char *label;
	char *text;
};

static unsigned build_facts(const struct report_ctx *c, json_t *man, struct fact *f)
{
	const struct sim_recorded *rec = sim_recorded(c->sim);
	json_t *tr = json_object_get(man, "trace"), *sc = json_object_get(man, "scenario");
	json_t *sets = json_object_get(man, "set"), *v;
	char b1[32], *s = xstrdup("");
	unsigned n = 0;
	size_t i;

	f[n].label = "trace";
	f[n++].text = xasprintf("%s (%s, %" PRIu64 " events, %u CPUs, %" PRIu64 " bytes, "
				"sha256 %s)", c->trace, c->trace_format, c->trace_events, c->cpus,
				(uint64_t)json_integer_value(json_object_get(tr, "bytes")),
				json_string_value(json_object_get(tr, "sha256")));
	json_array_foreach(sets, i, v) {
		char *t = xasprintf("%s --set %s", s, json_string_value(v));

		free(s);
		s = t;
	}
	f[n].label = "scenario";
	f[n++].text = xasprintf("%s (%s%s%s)%s; effective parameters sha256 %s",
				c->sc->name ? c->sc->name : "-", c->sc->path,
				*json_string_value(json_object_get(sc, "file_sha256")) ?
				", file sha256 " : "",
				json_string_value(json_object_get(sc, "file_sha256")), s,
				json_string_value(json_object_get(sc, "effective_sha256")));
	free(s);
	f[n].label = "iommusim";
	f[n++].text = xasprintf("%s; command: %s", PACKAGE_VERSION,
				json_string_value(json_object_get(man, "command")));
	f[n].label = "recorded";
	f[n++].text =
		xasprintf("%s %.3f s, %s %.3f s, %s mapped; TCE hcalls %" PRIu64
			  " H_PUT_TCE, %" PRIu64 " H_PUT_TCE_INDIRECT, %" PRIu64 " H_STUFF_TCE%s",
			  rec->have_boot_end ? "boot" : "span", rec->boot_ns / 1e9,
			  rec->have_boot_end ? "after boot" : "run", rec->run_ns / 1e9,
			  ism_human_bytes(mapped_bytes(rec), b1, sizeof(b1)), rec->tce_hcalls[0],
			  rec->tce_hcalls[1], rec->tce_hcalls[2],
			  rec->hcalls_traced ? "" : " (the trace has no hcall events)");
	return n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 8192) {
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = 0;
	return buf;
}

/* An SVG file inline: no XML prolog, and ids made unique to figure @k. */
static void svg_inline(FILE *out, const char *svg, unsigned k)
{
	const char *p = strstr(svg, "<svg");
	static const char *const pats[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };

	if (!p)
		return;
	while (*p) {
		size_t best = 0;
		unsigned which = 0;

		for (unsigned i = 0; i < ISM_ARRAY_SIZE(pats); i++) {
			size_t l = strlen(pats[i]);

			if (strncmp(p, pats[i], l) == 0) {
				best = l;
				which = i;
				break;
			}
		}
		if (best) {
			fprintf(out, "%sf%u-", pats[which], k);
			p += best;
		} else {
			fputc(*p++, out);
		}
	}
}

static int write_md(const char *path, const struct report_ctx *c, const struct fact *facts,
		    unsigned nf, const struct tab *t, const struct figure *fig, unsigned nfig,
		    const char *text, const char *manifest, int missing)
{
	FILE *f = fopen(path, "w");
	const char *b = strrchr(c->trace, '/');

	if (!f) {
		ism_err("%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# iommusim report: %s\n\n", b ? b + 1 : c->trace);
	for (unsigned i = 0; i < nf; i++)
		fprintf(f, "- **%s**: %s\n", facts[i].label, facts[i].text);
	tab_md(f, &t[0]);
	fprintf(f, "\n## Figures\n\n");
	if (missing)
		fprintf(f, "gnuplot was not found: the figures' data (CSV) and scripts are in this "
			   "folder; draw them with `sh render.sh`.\n\n");
	for (unsigned i = 0; i < nfig; i++) {
		if (!fig[i].drawn && !missing && !fig[i].empty)
			continue;
		fprintf(f, "### %s\n\n", fig[i].caption);
		if (fig[i].empty)
			fprintf(f, "%s\n\n",
				fig[i].k->empty ? fig[i].k->empty : "Nothing to draw.");
		else if (fig[i].drawn)
			fprintf(f, "![%s](%s.png)\n\n[SVG](%s.svg), data: [%s.csv](%s.csv)\n\n",
				fig[i].caption, fig[i].k->name, fig[i].k->name, fig[i].k->name,
				fig[i].k->name);
		else
			fprintf(f, "data: [%s.csv](%s.csv)\n\n", fig[i].k->name, fig[i].k->name);
	}
	for (unsigned i = 1; i < NTABS; i++)
		tab_md(f, &t[i]);
	fprintf(f, "\n## Text report\n\nAs `iommusim compare` prints it (fits 100 columns, for "
		   "mail):\n\n```\n%s```\n", text);
	fprintf(f, "\n## Provenance\n\n`manifest.json`; results in `results.json` (schema 1), "
		   "`results.csv`, `results.txt`.\n\n```json\n%s\n```\n", manifest);
	if (fclose(f) != 0) {
		ism_err("%s: write error", path);
		return -1;
	}
	return 0;
}

static const char html_style[] =
	"body{font-family:sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;"
	"background:#fff}\n"
	"h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}\n"
	"table{border-collapse:collapse;font-size:0.9em;margin:0.5em 0}\n"
	"th,td{border:1px solid #bbb;padding:0.2em 0.5em;text-align:right}\n"
	"th{background:#eef}th:first-child{text-align:left}\n"
	"td.s{text-align:left;font-family:monospace}\n"
	"pre{background:#f6f6f6;padding:0.8em;overflow-x:auto;font-size:0.8em}\n"
	"dl.facts dt{font-weight:bold;float:left;clear:left;width:6em}\n"
	"dl.facts dd{margin-left:7em;word-break:break-all}\n"
	"figure{margin:1em 0}figure svg{width:100%;height:auto;max-width:960px}\n"
	"figcaption{font-weight:bold;margin-bottom:0.3em}\n";

static int write_html(const char *dir, const char *path, const struct report_ctx *c,
		      const struct fact *facts, unsigned nf, const struct tab *t,
		      const struct figure *fig, unsigned nfig, const char *text,
		      const char *manifest, int missing)
{
	FILE *f = fopen(path, "w");
	const char *b = strrchr(c->trace, '/');

	if (!f) {
		ism_err("%s: %s", path, strerror(errno));
		return -1;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
	      "iommusim report: ", f);
	html_esc(f, b ? b + 1 : c->trace);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>iommusim report: ",
		html_style);
	html_esc(f, b ? b + 1 : c->trace);
	fputs("</h1>\n<dl class=\"facts\">\n", f);
	for (unsigned i = 0; i < nf; i++) {
		fprintf(f, "<dt>%s</dt><dd>", facts[i].label);
		html_esc(f, facts[i].text);
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n", f);
	tab_html(f, &t[0]);
	fputs("<h2>Figures</h2>\n", f);
	if (missing)
		fputs("<p>gnuplot was not found: the figures' data (CSV) and scripts are in this "
		      "folder; draw them with <code>sh render.sh</code>.</p>\n", f);
	for (unsigned i = 0; i < nfig; i++) {
		char *svgp, *svg, *n;

		if (fig[i].empty) {
			fputs("<figure>\n<figcaption>", f);
			html_esc(f, fig[i].caption);
			fputs("</figcaption>\n<p>", f);
			html_esc(f, fig[i].k->empty ? fig[i].k->empty : "Nothing to draw.");
			fputs("</p>\n</figure>\n", f);
			continue;
		}
		if (!fig[i].drawn)
			continue;
		n = xasprintf("%s.svg", fig[i].k->name);
		svgp = plot_path(dir, n);
		free(n);
		svg = read_file(svgp);
		free(svgp);
		if (!svg)
			continue;
		fputs("<figure>\n<figcaption>", f);
		html_esc(f, fig[i].caption);
		fputs("</figcaption>\n", f);
		svg_inline(f, svg, i);
		fputs("</figure>\n", f);
		free(svg);
	}
	for (unsigned i = 1; i < NTABS; i++)
		tab_html(f, &t[i]);
	fputs("<h2>Text report</h2>\n<pre>", f);
	html_esc(f, text);
	fputs("</pre>\n<h2>Provenance</h2>\n<pre>", f);
	html_esc(f, manifest);
	fputs("</pre>\n</body>\n</html>\n", f);
	if (fclose(f) != 0) {
		ism_err("%s: write error", path);
		return -1;
	}
	return 0;
}

/* Write @c's results in the three formats. */
static int write_results(const char *dir, const struct report_ctx *c, char **text)
{
	char *p;
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	json_t *j;
	int ret = 0;

	report_text(f, c);
	fclose(f);
	p = plot_path(dir, "results.txt");
	ret |= plot_write_file(p, *text);
	free(p);
	j = report_json(c);
	p = plot_path(dir, "results.json");
	if (json_dump_file(j, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) <
	    0) {
		ism_err("%s: write error", p);
		ret = -1;
	}
	json_decref(j);
	free(p);
	p = plot_path(dir, "results.csv");
	f = fopen(p, "w");
	if (f) {
		report_csv(f, c);
		if (fclose(f) != 0)
			f = NULL;
	}
	if (!f) {
		ism_err("%s: write error", p);
		ret = -1;
	}
	free(p);
	return ret;
}

int report_folder(const char *dir, const struct report_ctx *c, const struct manifest_in *mi)
{
	struct tab t[NTABS];
	struct fact facts[8];
	struct figure fig[8];
	struct plot_out po;
	char *text = NULL, *mtext = NULL, *p, *cause = NULL;
	unsigned nf, nfig = 0;
	json_t *man;
	int ret = 0;

	if (plot_mkdirs(dir) < 0) {
		ism_err("%s: %s", dir, strerror(errno));
		return EXIT_FAIL;
	}
	man = manifest_json(mi, NULL, 0, &cause);
	if (!man) {
		ism_err("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	mtext = json_dumps(man, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	p = plot_path(dir, "manifest.json");
	ret |= plot_write_file(p, mtext);
	free(p);
	ret |= write_results(dir, c, &text);

	/* the figures */
	plot_out_init(&po, dir, 0);
	for (const struct plot_kind *k = plot_kinds; k->name && nfig < ISM_ARRAY_SIZE(fig); k++) {
		char *csv, *png, *svg, *title;
		unsigned series;
		int rp, rs;
		FILE *f;

		if (!k->report_csv)
			continue;
		/* no stale figure of an earlier report in the same folder */
		for (int e = 0; e < 2; e++) {
			char *n = xasprintf("%s.%s", k->name, e ? "svg" : "png");

			p = plot_path(dir, n);
			unlink(p);
			free(p);
			free(n);
		}
		csv = xasprintf("%s.csv", k->name);
		p = plot_path(dir, csv);
		f = fopen(p, "w");
		if (!f) {
			ism_err("%s: %s", p, strerror(errno));
			free(p);
			free(csv);
			ret = -1;
			continue;
		}
		series = k->report_csv(f, c);
		if (fclose(f) != 0) {
			ism_err("%s: write error", p);
			ret = -1;
		}
		free(p);
		fig[nfig].k = k;
		fig[nfig].drawn = 0;
		fig[nfig].empty = !series;
		snprintf(fig[nfig].caption, sizeof(fig[nfig].caption), "%s", k->summary);
		fig[nfig].caption[0] = (char)(fig[nfig].caption[0] - 'a' + 'A');
		if (!series) {
			nfig++;
			free(csv);
			continue;
		}
		png = xasprintf("%s.png", k->name);
		svg = xasprintf("%s.svg", k->name);
		title = xasprintf("%s (%s)", c->sc->name ? c->sc->name : "defaults",
				  strrchr(c->trace, '/') ? strrchr(c->trace, '/') + 1 : c->trace);
		/* both, so that render.sh draws both when gnuplot is missing here */
		rp = plot_draw(&po, k->name, csv, png, title, NULL, 0);
		rs = plot_draw(&po, k->name, csv, svg, title, NULL, 0);
		fig[nfig].drawn = rp == 0 && rs == 0;
		nfig++;
		free(title);
		free(png);
		free(svg);
		free(csv);
	}
	if (plot_out_finish(&po, 1) < 0)
		ret = -1;

	build_tables(c, t);
	nf = build_facts(c, man, facts);
	p = plot_path(dir, "report.md");
	ret |= write_md(p, c, facts, nf, t, fig, nfig, text, mtext, po.missing);
	free(p);
	p = plot_path(dir, "report.html");
	ret |= write_html(dir, p, c, facts, nf, t, fig, nfig, text, mtext, po.missing);
	free(p);
	for (unsigned i = 0; i < NTABS; i++)
		tab_free(&t[i]);
	for (unsigned i = 0; i < nf; i++)
		free(facts[i].text);
	plot_out_free(&po);
	free(text);
	free(mtext);
	json_decref(man);
	return ret ? EXIT_FAIL : EXIT_OK;
}
