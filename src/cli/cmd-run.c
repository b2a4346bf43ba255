/*
 * cmd-run.c: `iommusim run` and `iommusim compare` - replay a trace against strategies.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "detect.h"
#include "error.h"
#include "output.h"
#include "plot.h"
#include "report-folder.h"
#include "reader.h"
#include "replay.h"
#include "report.h"
#include "scenario.h"
#include "sim.h"
#include "stats.h"
#include "timeseries.h"

/* What `compare` replays when -S is not given: the mission's strategies. */
const char *const compare_default_specs[] = {
	"passthrough", "window32", "direct-tce", "indirect-tce", "indirect-tce:share-per-call",
	"indirect-tce:shared-once", "indirect-tce:bounce-page", "ddw", "swiotlb",
	"swiotlb+window32", "svm", NULL,
};

enum { OPT_SET = 0x1100, OPT_CHECK_HCALLS, OPT_CHECK_IOMMU, OPT_BASELINE, OPT_MODEL_ERROR };

/* What run and compare share, after -S (which compare does not need). */
#define RUN_OPTS                                                                             \
	{ 's', 's', "scenario", "FILE",                                                      \
	  "machine and cost model (JSON, iommusim-scenario(5)); default: the built-in "      \
	  "defaults", NULL },                                                                 \
	{ OPT_SET, 0, "set", "PATH=VALUE",                                                   \
	  "override one scenario parameter (repeatable), e.g. "                              \
	  "--set cost.h_put_tce.fixed_ns=50000", NULL },                                      \
	CMD_OPTS_INPUT,                                                                      \
	{ 'f', 0, "format-in", "FORMAT", NULL, NULL },  /* the old -f */                     \
	{ CMD_OPT_FORMAT, 0, "format", "LIST",                                               \
	  "the output formats: text, json, csv (comma-separated; default text)", NULL },      \
	{ CMD_OPT_JSON, 0, "json", NULL, "the same as --format json", NULL },                \
	{ 'o', 'o', "output", "FILE",                                                        \
	  "write there instead of standard output (complete or not at all: a temporary "     \
	  "file renamed when done)", NULL },                                                  \
	CMD_OPT_REPORT_DIR("write a report folder there (report.md, report.html, the "      \
			   "figures, results.txt/.json/.csv, manifest.json; see below) and " \
			   "print the verdict"),                                             \
	CMD_OPT_JOBS("threads the replay is spread over (default: one per CPU "             \
		     "online); the results are the same for any N"),                         \
	{ OPT_CHECK_HCALLS, 0, "check-hcalls", NULL,                                         \
	  "compare each DMA event's predicted TCE hypercalls with the hcall_entry events "   \
	  "recorded before it", NULL },                                                       \
	{ OPT_CHECK_IOMMU, 0, "check-iommu", NULL,                                           \
	  "compare each DMA event's predicted IOMMU maps, unmaps and IOTLB invalidations "   \
	  "with the iommu:map / iommu:unmap and flush events recorded with it (iommu-dma)",  \
	  NULL },                                                                             \
	{ OPT_BASELINE, 0, "baseline", "NAME",                                               \
	  "the verdict's baseline (default: the strategy the trace was recorded with, else " \
	  "the recording itself)", NULL },                                                    \
	{ OPT_MODEL_ERROR, 0, "model-error", "PCT",                                          \
	  "the model's timing error you have measured (e.g. 8%): the verdict says whether a " \
	  "difference is larger", NULL },                                                     \
	{ 'w', 'w', "width", "N",                                                            \
	  "text width (default: the terminal's, 80 when the output is not a terminal: mail, " \
	  "files, pipes)", NULL }

#define RUN_AFTER                                                                            \
	"TRACE is the operand or -i TRACE. REPEAT... are other recordings of the same\n"     \
	"configuration (same machine, workload and strategy): they are replayed too, and the\n" \
	"verdict says whether a difference is larger than their run-to-run noise and whether\n" \
	"the best is best in each.\n"                                                        \
	"A strategy spec is NAME[:VARIANT] or a bounce layer over a translation layer,\n"     \
	"LAYER+LAYER (e.g. swiotlb+ddw). `iommusim list strategies` lists them.\n"            \
	"-O DIR (--report-dir) writes a report folder: report.md and a self-contained\n"     \
	"report.html (the verdict first, tables, figures, provenance last), the figures as\n" \
	"PNG and SVG with their data (CSV) and gnuplot scripts (render.sh redraws them),\n"  \
	"results.txt/.json/.csv and manifest.json (trace and scenario SHA-256); it prints\n" \
	"the verdict and where it wrote the report.\n"                                      \
	"Exit status: 0 success, 1 runtime failure, 2 usage error or bad input.\n"

static const struct cmd_opt run_opts_table[] = {
	{ 'S', 'S', "strategies", "LIST", "comma-separated strategy specs (required)", NULL },
	RUN_OPTS,
	CMD_OPT_END,
};

static const struct cmd_opt compare_opts_table[] = {
	{ 'S', 'S', "strategies", "LIST",
	  "comma-separated strategy specs (default: those of the scenario's machine.arch)",
	  NULL },
	RUN_OPTS,
	CMD_OPT_END,
};

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.args = "-S STRATEGY,... [-s SCENARIO] [options] TRACE [REPEAT...]",
	.summary = "replay a trace against strategies: the verdict first",
	.fn = cmd_run,
	.opts = run_opts_table,
	.about = "Replay TRACE against each strategy in one pass and report, next to the recorded\n"
		 "figures: boot time and throughput with the delta, time by category, hypercalls and\n"
		 "ultracalls, TCEs written and cleared, window and pool pressure, bytes exposed to the\n"
		 "hypervisor, map/unmap latency percentiles.\n",
	.after = RUN_AFTER,
};

const struct cmd_entry cmd_compare_entry = {
	.name = "compare",
	.args = "[-S STRATEGY,...] [-s SCENARIO] [-O DIR] TRACE [REPEAT...]",
	.summary = "replay against every strategy; -O DIR: a report folder",
	.fn = cmd_compare,
	.opts = compare_opts_table,
	.about = "Like `run`, with the strategies of the scenario's machine.arch by default: on\n"
		 "pseries the mission's (passthrough, window32, direct-tce, indirect-tce and its\n"
		 "TCE-page variants, ddw, swiotlb, swiotlb+window32 and svm, a POWER Secure VM since\n"
		 "Linux 5.6); on x86 and arm64 every strategy that runs there, with each variant\n"
		 "(`iommusim list strategies`). The recorded strategy is always replayed.\n",
	.after = RUN_AFTER,
};

struct run_opts {
	const char *scenario;
	const char *format_in;
	const char *output;
	const char *report_dir; /* -O, or the old compare -o DIR: a report folder */
	unsigned formats;   /* 1 text, 2 json, 4 csv */
	int check;          /* SIM_CHECK_* */
	char **specs;
	unsigned nspecs;
	char **sets;
	unsigned nsets;
	int format_given;   /* --format or --json: compare -o names a file, not a report folder */
	const char *baseline;
	double model_error; /* NAN: not given */
	unsigned width;     /* 0: the default */
	char **repeats;     /* other recordings of the configuration */
	unsigned nrepeats;
	int arch_default;   /* compare without -S: the strategies of the scenario's machine.arch */
	int argc;           /* the command line, for the report's manifest */
	char **argv;
};

static int parse_formats(const char *cmd, const char *s, unsigned *out)
{
	char *dup = xstrdup(s), *save = NULL;

	*out = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "text") == 0)
			*out |= 1;
		else if (strcmp(t, "json") == 0)
			*out |= 2;
		else if (strcmp(t, "csv") == 0)
			*out |= 4;
		else {
			int ret = usage_error(cmd, "unknown output format '%s' (text, json, csv)", t);

			free(dup); /* t points into it */
			return ret;
		}
	}
	free(dup);
	if (!*out)
		return usage_error(cmd, "empty --format");
	return 0;
}

static void add_specs(struct run_opts *o, const char *list)
{
	char *dup = xstrdup(list), *save = NULL;

	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		o->specs = xreallocarray(o->specs, o->nspecs + 1, sizeof(*o->specs));
		o->specs[o->nspecs++] = xstrdup(t);
	}
	free(dup);
}

static void free_opts(struct run_opts *o)
{
	for (unsigned i = 0; i < o->nspecs; i++)
		free(o->specs[i]);
	free(o->specs);
	free(o->sets);
}

static void tick(void *arg, uint64_t events, uint64_t bytes)
{
	progress_tick(arg, events, bytes);
}

static int has_spec(const struct run_opts *o, const char *spec)
{
	for (unsigned i = 0; i < o->nspecs; i++)
		if (strcmp(o->specs[i], spec) == 0)
			return 1;
	return 0;
}

/* The text width: as asked; else the terminal's (80..160); else 80, for mail and files. */
static unsigned text_width(const struct run_opts *o, FILE *out)
{
	struct winsize ws;

	if (o->width)
		return o->width;
	if (out == stdout && isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 80)
		return ws.ws_col > 160 ? 160 : ws.ws_col;
	return 80;
}

/* ISM_HCALL_CHECK_ALL: every mismatch of the hcall check on stderr (iommusim(1)). */
static void print_mismatch(void *arg, unsigned run, uint64_t pos, const char *text)
{
	(void)arg;
	(void)run;
	fprintf(stderr, "hcall check: at %llu: %s\n", (unsigned long long)pos, text);
}

/*
 * compare's default: on pseries the mission's strategies (compare_default_specs); elsewhere
 * every strategy of the table whose arches allow machine.arch, with each of its variants.
 */
static void add_arch_specs(struct run_opts *o, const char *arch)
{
	if (!strcmp(arch, "pseries")) {
		for (unsigned i = 0; compare_default_specs[i]; i++)
			add_specs(o, compare_default_specs[i]);
		return;
	}
	for (unsigned i = 0; strategy_table[i]; i++) {
		const struct strategy_ops *s = strategy_table[i];

		if (!strategy_on_arch(s, arch))
			continue;
		if (!s->variants) {
			add_specs(o, s->name);
			continue;
		}
		for (unsigned v = 0; s->variants[v]; v++) {
			char *spec = xasprintf("%s:%s", s->name, s->variants[v]);

			add_specs(o, spec);
			free(spec);
		}
	}
}

static int replay_one(const char *trace, struct run_opts *o, const struct scenario *sc,
		      const struct sim_observer *obs, struct replay *rp)
{
	struct sim_observer all;
	struct progress pg;
	const struct sim_recorded *rec;
	char *cause = NULL;
	int ret;

	if ((o->check & SIM_CHECK_HCALLS) && getenv("ISM_HCALL_CHECK_ALL")) {
		if (obs)
			all = *obs;
		else
			memset(&all, 0, sizeof(all));
		all.mismatch = print_mismatch;
		obs = &all;
	}
	progress_start(&pg, trace);
	ret = replay_trace_observed(trace, o->format_in, sc, o->specs, o->nspecs, o->check, tick,
				    &pg, obs, rp, &cause);
	progress_end(&pg);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret);
	}
	rec = sim_recorded(rp->sim);
	if (rec->ts_inversions)
		ism_warn("%s: %" PRIu64 " timestamp inversion%s (an event earlier than the previous "
			 "one on its CPU), the first at %s %" PRIu64 ": replayed in trace order", trace,
			 rec->ts_inversions, rec->ts_inversions == 1 ? "" : "s", rp->pos_unit,
			 rec->first_inversion_pos);
	if (rec->zero_timestamps)
		ism_warn("%s: %" PRIu64 " event%s at timestamp 0 (recorded before the trace clock "
			 "started), the first at %s %" PRIu64, trace, rec->zero_timestamps,
			 rec->zero_timestamps == 1 ? "" : "s", rp->pos_unit, rec->first_zero_pos);
	return 0;
}

static int replay(const char *cmd, struct run_opts *o, const char *trace)
{
	struct scenario sc;
	struct replay rp, *reps = NULL;
	const struct sim **rsims = NULL;
	struct report_ctx rc;
	char *cause = NULL;
	FILE *out = stdout;
	struct ofile *of = NULL;
	int ret, status = EXIT_OK, folder;
	unsigned nreps = 0;
	struct timeseries ts;
	struct sim_observer obs;
	struct detect_result det;
	struct replay_hcosts hcosts;
	int detected;

	ret = scenario_load(o->scenario, &sc, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < o->nsets; i++) {
		ret = scenario_set(&sc, o->sets[i], NULL, &cause);
		if (ret < 0) {
			ism_err("--set: %s", cause);
			free(cause);
			scenario_free(&sc);
			return EXIT_USAGE;
		}
	}
	if (o->nsets && scenario_check(&sc, &cause) < 0) {
		ism_err("--set: %s", cause);
		free(cause);
		scenario_free(&sc);
		return EXIT_USAGE;
	}
	if (o->arch_default)
		add_arch_specs(o, sc.machine.arch);
	/* the strategy the trace was recorded under: named (an override) or detected */
	ret = replay_detect_recorded(trace, o->format_in, &sc, &det, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		scenario_free(&sc);
		return ism_err_exit(ret);
	}
	detected = ret > 0;
	/* TCE hypercall costs from the trace when it has entry/exit pairs */
	ret = replay_hcall_costs(trace, o->format_in, &sc, &hcosts, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		scenario_free(&sc);
		return ism_err_exit(ret);
	}
	/* the verdict's baseline and the recorded strategy always have their rows */
	if (o->baseline && !has_spec(o, o->baseline))
		add_specs(o, o->baseline);
	if (strcmp(cmd, "compare") == 0 && sc.sim.recorded_with && *sc.sim.recorded_with &&
	    !has_spec(o, sc.sim.recorded_with))
		add_specs(o, sc.sim.recorded_with);
	folder = o->report_dir != NULL;
	if (folder)
		ts_init(&ts, o->nspecs, &obs);
	status = replay_one(trace, o, &sc, folder ? &obs : NULL, &rp);
	if (status) {
		if (folder)
			ts_free(&ts);
		scenario_free(&sc);
		return status;
	}
	reps = xcalloc(o->nrepeats ? o->nrepeats : 1, sizeof(*reps));
	rsims = xcalloc(o->nrepeats ? o->nrepeats : 1, sizeof(*rsims));
	for (; nreps < o->nrepeats; nreps++) {
		status = replay_one(o->repeats[nreps], o, &sc, NULL, &reps[nreps]);
		if (status)
			goto out;
		rsims[nreps] = reps[nreps].sim;
	}
	replay_report_ctx(&rp, trace, &sc, o->check, &rc);
	if (detected)
		replay_report_detected(&rc, &det);
	rc.hcosts = &hcosts;
	rc.command = cmd;
	rc.baseline = o->baseline;
	if (!isnan(o->model_error)) {
		rc.model_error_pct = o->model_error;
		rc.model_error_src = "--model-error";
	}
	rc.repeats = rsims;
	rc.repeat_paths = (const char *const *)o->repeats;
	rc.nrepeats = o->nrepeats;
	if (folder) {
		struct manifest_in mi = { .trace = trace, .sc = &sc, .specs = o->specs,
					  .nspecs = o->nspecs, .sets = o->sets, .nsets = o->nsets,
					  .argc = o->argc, .argv = o->argv };

		rc.width = 80;   /* results.txt: for mail */
		rc.ts = &ts;
		ret = report_folder(o->report_dir, &rc, &mi, &cause);
		if (ret < 0) {
			ism_err("%s", cause ? cause : ism_strerror(ret));
			free(cause);
			cause = NULL;
			status = ism_err_exit(ret);
		} else {
			/* the answer, then where the report is */
			rc.width = text_width(o, stdout);
			report_text_head(stdout, &rc);
			report_folder_said(stdout, o->report_dir);
			status = finish_stdout(status);
		}
		goto out;
	}
	if (o->output && (ret = ofile_open(o->output, &of, &cause)) < 0) {
		ism_err("%s", cause);
		free(cause);
		status = ism_err_exit(ret);
		goto out;
	}
	if (of)
		out = ofile_stream(of);
	rc.width = text_width(o, out);
	if (o->formats & 1)
		report_text(out, &rc);
	if (o->formats & 2) {
		json_t *j = report_json(&rc);

		if (o->formats & 1)
			fputc('\n', out);
		json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', out);
		json_decref(j);
	}
	if (o->formats & 4) {
		if (o->formats & 3)
			fputc('\n', out);
		report_csv(out, &rc);
	}
	if (of) {
		if (ofile_commit(of, &cause) < 0) {
			ism_err("%s", cause);
			free(cause);
			status = EXIT_FAIL;
		}
	} else {
		status = finish_stdout(status);
	}
out:
	replay_free(&rp);
	for (unsigned i = 0; i < nreps; i++)
		replay_free(&reps[i]);
	free(reps);
	free(rsims);
	if (folder)
		ts_free(&ts);
	scenario_free(&sc);
	return status;
}

static int parse_pct(const char *cmd, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && *end == '%')
		end++;
	if (end == s || *end || errno || !(v >= 0) || v > 1000)
		return usage_error(cmd, "--model-error %s: a percentage, e.g. 8%% or 8", s);
	*out = v;
	return 0;
}

static int run_main(const struct cmd_entry *e, int argc, char **argv, int is_compare)
{
	const char *cmd = e->name;
	struct cmd_input in = { 0 };
	struct cmd_args a;
	struct run_opts o;
	int c, status;
	char *end;
	unsigned long w;
	unsigned jobs;

	memset(&o, 0, sizeof(o));
	o.formats = 1;
	o.model_error = NAN;
	o.argc = argc;
	o.argv = argv;      /* "compare" ... */
	cmd_args_init(&a, e, argc, argv);
	while ((c = cmd_next(&a)) > 0) {
		if (cmd_input_opt(&a, &in, c))
			continue;
		status = 0;
		switch (c) {
		case 's':
			o.scenario = a.arg;
			break;
		case OPT_SET:
			o.sets = xreallocarray(o.sets, o.nsets + 1, sizeof(*o.sets));
			o.sets[o.nsets++] = (char *)a.arg;
			break;
		case 'S':
			add_specs(&o, a.arg);
			break;
		case CMD_OPT_FORMAT:
			o.format_given = 1;
			status = parse_formats(cmd, a.arg, &o.formats);
			break;
		case CMD_OPT_JSON:
			o.formats = 2;
			o.format_given = 1;
			break;
		case 'o':
			o.output = a.arg;
			break;
		case 'O':
			if (cmd_report_dir(&a, a.arg) == 0)
				o.report_dir = a.arg;
			break;
		case OPT_CHECK_HCALLS:
			o.check |= SIM_CHECK_HCALLS;
			break;
		case OPT_CHECK_IOMMU:
			o.check |= SIM_CHECK_IOMMU;
			break;
		case OPT_BASELINE:
			o.baseline = a.arg;
			break;
		case OPT_MODEL_ERROR:
			status = parse_pct(cmd, a.arg, &o.model_error);
			break;
		case 'w':
			errno = 0;
			w = strtoul(a.arg, &end, 10);
			if (end == a.arg || *end || errno || w < 40 || w > 1000)
				status = usage_error(cmd, "--width %s: a number of columns, 40..1000",
						     a.arg);
			o.width = (unsigned)w;
			break;
		case 'j':
			if (cmd_jobs(&a, a.arg, &jobs) == 0)
				replay_set_jobs(jobs);
			break;
		}
		if (status)
			break;
	}
	cmd_args_free(&a);
	if (c < 0 || status) {
		cmd_input_free(&in);
		free_opts(&o);
		return c < 0 ? a.status : status;
	}
	cmd_input_operands(&a, &in);
	o.format_in = in.format;
	if (!in.n) {
		cmd_input_free(&in);
		free_opts(&o);
		return usage_error(cmd, "no trace");
	}
	o.repeats = (char **)in.traces + 1;
	o.nrepeats = (unsigned)(in.n - 1);
	if (o.report_dir && o.output) {
		status = usage_error(cmd, "-O DIR writes a report folder, -o FILE one file: give one");
		goto out;
	}
	if (o.report_dir && o.format_given) {
		status = usage_error(cmd, "--format is for standard output and -o FILE; a report "
				     "folder (-O) has text, JSON and CSV");
		goto out;
	}
	/* the old spelling: compare -o DIR (an existing folder, or ending in '/') */
	if (is_compare && o.output && !o.format_given && cmd_names_folder(o.output)) {
		ism_warn("'-o %s' as a report folder is deprecated: -o is a file; use -O %s "
			 "(--report-dir)", o.output, o.output);
		o.report_dir = o.output;
		o.output = NULL;
	}
	if (!o.nspecs) {
		if (!is_compare) {
			status = usage_error(cmd, "no strategy (-S); `iommusim list strategies` "
					     "lists them");
			goto out;
		}
		o.arch_default = 1;
	}
	status = replay(cmd, &o, in.traces[0]);
out:
	cmd_input_free(&in);
	free_opts(&o);
	return status;
}

int cmd_run(int argc, char **argv)
{
	return run_main(&cmd_run_entry, argc, argv, 0);
}

int cmd_compare(int argc, char **argv)
{
	return run_main(&cmd_compare_entry, argc, argv, 1);
}
