/*
 * report-folder.c: `iommusim compare -o DIR`, a report folder a person can read and attach to a
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

#include "error.h"
#include "manifest.h"
#include "output.h"
#include "plot.h"
#include "report-folder.h"
#include "plotdata.h"
#include "schema.h"
#include "sha256.h"
#include "table.h"
#include "util.h"
#include "verdict.h"

/* Keep the first error in *@cause. */
static void ISM_PRINTF(2, 3) set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (!cause || *cause)
		return;
	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
}

struct figure {
	const struct plot_kind *k;
	char caption[160];
	char note[256];       /* what the figure leaves out */
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
	json_t *tr = json_object_get(man, "trace"), *sc = json_object_get(man, "scenario");
	json_t *sets = json_object_get(man, "set"), *v;
	char *s = xstrdup("");
	unsigned n = 0;
	size_t i;

	f[n].label = "trace";
	f[n++].text = xasprintf("%s (%s, %" PRIu64 " events, %u CPUs, %" PRIu64 " bytes, "
				"sha256 %s)", c->trace, c->trace_format, c->trace_events, c->cpus,
				(uint64_t)json_integer_value(json_object_get(tr, "bytes")),
				json_string_value(json_object_get(tr, "sha256")));
	for (unsigned k = 0; k < c->nrepeats && n < 6; k++) {
		f[n].label = "repeat";
		f[n++].text = xstrdup(c->repeat_paths[k]);
	}
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
	if ((s = verdict_error_source(c)) != NULL) {
		f[n].label = "model error";
		f[n++].text = s;
	}
	f[n].label = "iommusim";
	f[n++].text = xasprintf("%s; command: %s", PACKAGE_VERSION,
				json_string_value(json_object_get(man, "command")));
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

static const char *const detail_titles[RT__COUNT] = {
	NULL, "Time by category", "Hypercalls", "Window and pool", "Exposure", "Latency", "Phases",
};

static int write_md(char **cause, const char *path, const struct report_ctx *c,
		    const struct fact *facts,
		    unsigned nf, struct table *t, struct table *vt, const struct figure *fig,
		    unsigned nfig, const char *manifest, int missing)
{
	FILE *f = fopen(path, "w");
	const char *b = strrchr(c->trace, '/');
	char *rec = report_recorded_text(c);

	if (!f) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		free(rec);
		return -1;
	}
	fprintf(f, "# iommusim report: %s\n\n", b ? b + 1 : c->trace);
	fprintf(f, "Scenario %s, %u strategies. %s\n", c->sc->name ? c->sc->name : "(defaults)",
		sim_count(c->sim), rec);
	free(rec);
	table_md(f, vt, 2);
	table_md(f, &t[RT_SUMMARY], 2);
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
		if (*fig[i].note)
			fprintf(f, "%s\n\n", fig[i].note);
	}
	fprintf(f, "\n## Details\n");
	for (unsigned i = RT_TIME; i < RT__COUNT; i++)
		if (t[i].nrows)
			table_md(f, &t[i], 3);
	fprintf(f, "\nThe same as text for mail (80 columns): [results.txt](results.txt); the data: "
		   "[results.json](results.json), [results.csv](results.csv).\n");
	fprintf(f, "\n## Provenance\n\n");
	for (unsigned i = 0; i < nf; i++)
		fprintf(f, "- **%s**: %s\n", facts[i].label, facts[i].text);
	fprintf(f, "\n`manifest.json`:\n\n```json\n%s\n```\n", manifest);
	if (fclose(f) != 0) {
		set_cause(cause, "%s: write error", path);
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
	"th{background:#eef}th.l,td.l{text-align:left}\n"
	"td.s{text-align:left;font-family:monospace;white-space:nowrap}\n"
	"td:not(.l){white-space:nowrap}\n"
	"p.note{font-size:0.85em;color:#444;margin:0.2em 0}\n"
	"p.lead{font-size:1.05em}\n"
	"pre{background:#f6f6f6;padding:0.8em;overflow-x:auto;font-size:0.8em}\n"
	"dl.facts dt{font-weight:bold;float:left;clear:left;width:6em}\n"
	"dl.facts dd{margin-left:7em;word-break:break-all}\n"
	"figure{margin:1em 0}figure svg{width:100%;height:auto;max-width:960px}\n"
	"figcaption{font-weight:bold;margin-bottom:0.3em}\n";

static int write_html(char **cause, const char *dir, const char *path, const struct report_ctx *c,
		      const struct fact *facts, unsigned nf, struct table *t, struct table *vt,
		      const struct figure *fig, unsigned nfig, const char *manifest, int missing)
{
	FILE *f = fopen(path, "w");
	const char *b = strrchr(c->trace, '/');
	char *rec = report_recorded_text(c);

	if (!f) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		free(rec);
		return -1;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
	      "iommusim report: ", f);
	html_escape(f, b ? b + 1 : c->trace);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>iommusim report: ",
		html_style);
	html_escape(f, b ? b + 1 : c->trace);
	fputs("</h1>\n<p class=\"lead\">", f);
	fprintf(f, "Scenario %s, %u strategies. ", c->sc->name ? c->sc->name : "(defaults)",
		sim_count(c->sim));
	html_escape(f, rec);
	free(rec);
	fputs("</p>\n", f);
	table_html(f, vt, 2);
	table_html(f, &t[RT_SUMMARY], 2);
	fputs("<h2>Figures</h2>\n", f);
	if (missing)
		fputs("<p>gnuplot was not found: the figures' data (CSV) and scripts are in this "
		      "folder; draw them with <code>sh render.sh</code>.</p>\n", f);
	for (unsigned i = 0; i < nfig; i++) {
		char *svgp, *svg, *n;

		if (fig[i].empty) {
			fputs("<figure>\n<figcaption>", f);
			html_escape(f, fig[i].caption);
			fputs("</figcaption>\n<p>", f);
			html_escape(f, fig[i].k->empty ? fig[i].k->empty : "Nothing to draw.");
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
		html_escape(f, fig[i].caption);
		fputs("</figcaption>\n", f);
		svg_inline(f, svg, i);
		if (*fig[i].note) {
			fputs("<p class=\"note\">", f);
			html_escape(f, fig[i].note);
			fputs("</p>\n", f);
		}
		fputs("</figure>\n", f);
		free(svg);
	}
	fputs("<h2>Details</h2>\n", f);
	for (unsigned i = RT_TIME; i < RT__COUNT; i++)
		if (t[i].nrows)
			table_html(f, &t[i], 3);
	fputs("<p>The same as text for mail (80 columns): results.txt; the data: results.json, "
	      "results.csv.</p>\n<h2>Provenance</h2>\n<dl class=\"facts\">\n", f);
	for (unsigned i = 0; i < nf; i++) {
		fprintf(f, "<dt>%s</dt><dd>", facts[i].label);
		html_escape(f, facts[i].text);
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n<pre>", f);
	html_escape(f, manifest);
	fputs("</pre>\n</body>\n</html>\n", f);
	if (fclose(f) != 0) {
		set_cause(cause, "%s: write error", path);
		return -1;
	}
	return 0;
}

/* Write @c's results in the three formats. */
static int write_results(char **cause, const char *dir, const struct report_ctx *c, char **text)
{
	char *p;
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	json_t *j;
	int ret = 0;

	report_text(f, c);
	fclose(f);
	p = plot_path(dir, "results.txt");
	ret |= plot_write_file(p, *text, cause);
	free(p);
	j = report_json(c);
	p = plot_path(dir, "results.json");
	if (json_dump_file(j, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) <
	    0) {
		set_cause(cause, "%s: write error", p);
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
		set_cause(cause, "%s: write error", p);
		ret = -1;
	}
	free(p);
	return ret;
}

void report_folder_said(FILE *out, const char *dir)
{
	char *p = plot_path(dir, "report.html");

	fprintf(out, "\nReport: %s (and report.md, the figures, results.txt/json/csv, "
		"manifest.json in %s)\n", p, dir);
	free(p);
}

int report_folder(const char *final, const struct report_ctx *c, const struct manifest_in *mi,
		  char **cause)
{
	static const char *const subdirs[] = { "plots", NULL };
	struct table t[RT__COUNT], vt;
	struct verdict v;
	struct fact facts[12];
	struct figure fig[8];
	struct plot_out po;
	char *text = NULL, *mtext = NULL, *p;
	unsigned nf, nfig = 0;
	struct odir *od;
	const char *dir;
	json_t *man, *figs;
	int ret;

	/* written in a temporary folder, renamed to @final when complete (output.h) */
	ret = odir_open(final, "manifest.json", subdirs, &od, cause);
	if (ret < 0)
		return ret;
	dir = odir_path(od);
	ret = 0;
	man = manifest_json(mi, NULL, 0, cause);
	if (!man) {
		odir_abort(od);
		return -ISM_EIO;
	}
	mtext = json_dumps(man, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	p = plot_path(dir, "manifest.json");
	ret |= plot_write_file(p, mtext, cause);
	free(p);
	ret |= write_results(cause, dir, c, &text);

	if (verdict_build(c, &v, cause) < 0) {
		json_decref(man);
		free(mtext);
		free(text);
		odir_abort(od);
		return -ISM_EIO;
	}
	/* the figures */
	figs = json_object();
	plot_out_init(&po, dir, 0);
	for (const struct plot_kind *k = plot_kinds; k->name && nfig < ISM_ARRAY_SIZE(fig); k++) {
		char *csv, *png, *svg, *title;
		struct fig_args fa;
		unsigned series;
		int rp, rs;
		FILE *f;

		if (!k->report_csv)
			continue;
		csv = xasprintf("%s.csv", k->name);
		p = plot_path(dir, csv);
		f = fopen(p, "w");
		if (!f) {
			set_cause(cause, "%s: %s", p, strerror(errno));
			free(p);
			free(csv);
			ret = -1;
			continue;
		}
		memset(&fa, 0, sizeof(fa));
		series = k->report_csv(f, c, &v, &fa);
		if (fclose(f) != 0) {
			set_cause(cause, "%s: write error", p);
			ret = -1;
		}
		free(p);
		memset(&fig[nfig], 0, sizeof(fig[nfig]));
		fig[nfig].k = k;
		fig[nfig].empty = !series;
		snprintf(fig[nfig].caption, sizeof(fig[nfig].caption), "%s", k->summary);
		fig[nfig].caption[0] = (char)(fig[nfig].caption[0] - 'a' + 'A');
		if (fa.note)
			snprintf(fig[nfig].note, sizeof(fig[nfig].note), "%s", fa.note);
		if (!series) {
			nfig++;
			fig_args_free(&fa);
			free(csv);
			continue;
		}
		png = xasprintf("%s.png", k->name);
		svg = xasprintf("%s.svg", k->name);
		title = xasprintf("%s (%s)", c->sc->name ? c->sc->name : "defaults",
				  strrchr(c->trace, '/') ? strrchr(c->trace, '/') + 1 : c->trace);
		/* both, so that render.sh draws both when gnuplot is missing here */
		rp = plot_draw(&po, k->name, csv, png, title, fa.arg, fa.n);
		rs = plot_draw(&po, k->name, csv, svg, title, fa.arg, fa.n);
		fig[nfig].drawn = rp == 0 && rs == 0;
		{
			json_t *o = json_object(), *a = json_array();

			json_object_set_new(o, "data", json_string(csv));
			json_object_set_new(o, "title", json_string(title));
			for (unsigned x = 0; x < fa.n; x++)
				json_array_append_new(a, json_string(fa.arg[x]));
			json_object_set_new(o, "args", a);
			json_object_set_new(o, "note", json_string(fa.note ? fa.note : ""));
			json_object_set_new(figs, k->name, o);
		}
		nfig++;
		fig_args_free(&fa);
		free(title);
		free(png);
		free(svg);
		free(csv);
	}
	if (plot_out_finish(&po, 1) < 0) {
		if (cause && !*cause && po.cause) {
			*cause = po.cause;
			po.cause = NULL;
		}
		ret = -1;
	}
	{
		json_t *fj = json_object();

		json_object_set_new(fj, "schema_version", json_integer(SCHEMA_FIGURES));
		json_object_set_new(fj, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
		json_object_set_new(fj, "figures", figs);
		p = plot_path(dir, "figures.json");
		if (json_dump_file(fj, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
			set_cause(cause, "%s: write error", p);
			ret = -1;
		}
		free(p);
		json_decref(fj);
	}

	report_tables(c, &v, t);
	verdict_table(c, &v, &vt);
	for (unsigned i = RT_TIME; i < RT__COUNT; i++) {
		char *x = xstrdup(t[i].title);

		/* Markdown/HTML: a short heading; the title's details become a note */
		free(t[i].title);
		t[i].title = xstrdup(detail_titles[i]);
		table_note(&t[i], "%s.", x);
		free(x);
	}
	nf = build_facts(c, man, facts);
	p = plot_path(dir, "report.md");
	ret |= write_md(cause, p, c, facts, nf, t, &vt, fig, nfig, mtext, po.missing);
	free(p);
	p = plot_path(dir, "report.html");
	ret |= write_html(cause, dir, p, c, facts, nf, t, &vt, fig, nfig, mtext, po.missing);
	free(p);
	for (unsigned i = 0; i < RT__COUNT; i++)
		table_free(&t[i]);
	table_free(&vt);
	verdict_free(&v);

	for (unsigned i = 0; i < nf; i++)
		free(facts[i].text);
	plot_out_free(&po);
	free(text);
	free(mtext);
	json_decref(man);
	if (ret) {
		odir_abort(od); /* no partial report under @final */
		return -ISM_EIO;
	}
	if (odir_commit(od, cause) < 0)
		return -ISM_EIO;
	return 0;
}
