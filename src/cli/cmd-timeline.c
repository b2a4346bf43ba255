/*
 * cmd-timeline.c: `iommusim timeline` - the recorded and the simulated run as a trace that
 * Perfetto (ui.perfetto.dev) and chrome://tracing open: the Chrome trace-event format (JSON),
 * written as the replay goes, so that memory does not grow with the trace.
 *
 * Layout: a process per source (pid 1: the recording; pid 2, 3, ...: each strategy), a thread
 * per CPU. The recording has an instant per DMA event at its tracepoint's time and a slice per
 * hypercall (hcall_entry to hcall_exit); each strategy a slice per DMA operation (map, unmap,
 * sync, ...) over its simulated [start, end), and within it a slice per hypercall, ultracall and
 * RTAS call (calls merged into one action are split evenly), its boot work as a "setup" slice,
 * and counter tracks: swiotlb slots in use, TCEs in use, bytes shared with the hypervisor.
 * Phase markers are instants on every process, at the recorded and at each simulated time.
 * Times are microseconds from the trace's first event (ts, dur; fractional, ns precision).
 * The last key, "metadata", carries schema_version, the inputs and the counts of what was
 * written, which a reader can check against `iommusim run`.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "event.h"
#include "output.h"
#include "reader.h"
#include "scenario.h"
#include "schema.h"
#include "sim.h"
#include "strategy.h"
#include "util.h"

enum { OPT_SET = 0x1100, OPT_NOREC };

static const struct cmd_opt timeline_opts[] = {
	{ 'S', 'S', "strategies", "LIST", "comma-separated strategy specs (required)", NULL },
	{ 's', 's', "scenario", "FILE", "machine and cost model (default: the built-in defaults)",
	  NULL },
	{ OPT_SET, 0, "set", "PATH=VALUE", "override one scenario parameter (repeatable)", NULL },
	{ 'o', 'o', "output", "FILE", "the timeline (required; - for standard output)", NULL },
	{ OPT_NOREC, 0, "no-recorded", NULL, "leave the recording out", NULL },
	CMD_OPTS_INPUT,
	{ 'f', 0, "format-in", "FORMAT", NULL, NULL },  /* the old -f */
	CMD_OPT_RETIRED_J,
	CMD_OPT_END,
};

const struct cmd_entry cmd_timeline_entry = {
	.name = "timeline",
	.args = "-S STRATEGY,... -o FILE TRACE",
	.summary = "recorded and simulated run for Perfetto / chrome://tracing",
	.fn = cmd_timeline,
	.opts = timeline_opts,
	.about = "Write the recorded run and the simulated run of each strategy as a Chrome\n"
		 "trace-event file (JSON) that Perfetto (ui.perfetto.dev) and chrome://tracing open:\n"
		 "a process per source (the recording, each strategy), a thread per CPU, a slice per\n"
		 "DMA operation with a slice per hypercall inside it, counter tracks for swiotlb slots\n"
		 "and TCEs in use and bytes shared with the hypervisor, phase markers as instants.\n"
		 "Written as the replay goes: memory does not grow with the trace; the file grows with\n"
		 "the events (about 100 bytes each).\n",
	.after = "TRACE is the operand or -i TRACE.\n"
		 "Exit status: 0 written, 1 runtime failure, 2 usage error or bad input.\n",
};

#define TL_MAXRUNS 64
#define TL_MAXACT 4096

/* An action of the operation being costed, kept until the operation ends. */
struct tl_act {
	uint8_t kind;
	uint32_t op;
	uint64_t calls;
	double t, ns;
	unsigned cpu;
	int setup;
};

struct tl_run {
	struct tl_act *acts;
	unsigned nacts;
	uint64_t ops, slices_by_kind[ISM_EV__COUNT], calls, ucalls, rtas;
	double last_pool, last_window, last_shared;
	double setup_end;
	unsigned setup_cpu;
	int setup_done;
};

struct tl {
	FILE *out;
	const struct sim *sim;
	double start_ns;
	unsigned nruns;
	struct tl_run runs[TL_MAXRUNS];
	int recorded;
	uint64_t events;        /* trace-event objects written */
	uint64_t rec_dma, rec_hcalls, markers;
	/* the recording's open hypercall per CPU */
	double *hc_ts;
	uint32_t *hc_op;
	unsigned ncpu;
	int failed;
};

static void sep(struct tl *t)
{
	fputs(t->events++ ? ",\n" : "\n", t->out);
}

static void jstr(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* ns -> the format's microseconds, to the ns */
static void us(FILE *out, double ns)
{
	fprintf(out, "%.3f", ns > 0 ? ns / 1000.0 : 0.0);
}

static const char *call_name(uint8_t kind, uint32_t op, char *buf, size_t len)
{
	const struct ism_op_info *o = ism_op_find(op);

	if (o)
		return o->desc ? o->desc : o->name;
	if (kind == ACT_RTAS)
		return "RTAS";
	snprintf(buf, len, "hcall 0x%x", op);
	return buf;
}

static void slice(struct tl *t, unsigned pid, unsigned cpu, const char *cat, const char *name,
		  double ts, double dur)
{
	sep(t);
	fprintf(t->out, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"cat\":\"%s\",\"name\":", pid, cpu,
		cat);
	jstr(t->out, name);
	fputs(",\"ts\":", t->out);
	us(t->out, ts);
	fputs(",\"dur\":", t->out);
	us(t->out, dur);
	fputc('}', t->out);
}

static void counter(struct tl *t, unsigned pid, const char *name, double ts, double v)
{
	sep(t);
	fprintf(t->out, "{\"ph\":\"C\",\"pid\":%u,\"name\":", pid);
	jstr(t->out, name);
	fputs(",\"ts\":", t->out);
	us(t->out, ts);
	fprintf(t->out, ",\"args\":{\"value\":%.0f}}", v);
}

static void instant(struct tl *t, unsigned pid, unsigned cpu, const char *scope, const char *cat,
		    const char *name, double ts)
{
	sep(t);
	fprintf(t->out, "{\"ph\":\"i\",\"s\":\"%s\",\"pid\":%u,\"tid\":%u,\"cat\":\"%s\",\"name\":",
		scope, pid, cpu, cat);
	jstr(t->out, name);
	fputs(",\"ts\":", t->out);
	us(t->out, ts);
	fputc('}', t->out);
}

static void meta(struct tl *t, unsigned pid, int thread, unsigned tid, const char *name)
{
	sep(t);
	fprintf(t->out, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\",\"args\":{\"name\":",
		pid, tid, thread ? "thread_name" : "process_name");
	jstr(t->out, name);
	fputs("}}", t->out);
}

/* The calls of one action as slices, evenly split. */
static void call_slices(struct tl *t, unsigned run, const struct tl_act *a)
{
	char buf[32];
	const char *name = call_name(a->kind, a->op, buf, sizeof(buf));
	unsigned cls = a->kind == ACT_RTAS ? OPC_RTAS : ism_op_class(a->op);
	uint64_t n = a->calls ? a->calls : 1;
	double d = a->ns / (double)n;
	struct tl_run *r = &t->runs[run];

	for (uint64_t k = 0; k < n; k++)
		slice(t, run + 2, a->cpu, ism_op_class_get(cls)->name, name, a->t + d * (double)k, d);
	if (cls == OPC_HCALL)
		r->calls += n;
	else if (cls == OPC_UCALL)
		r->ucalls += n;
	else if (cls == OPC_RTAS)
		r->rtas += n;
	else
		r->calls += n;
}

static void on_action(void *arg, unsigned run, unsigned cpu, const struct action *a, double at,
		      double ns, int setup)
{
	struct tl *t = arg;
	struct tl_run *r;
	struct tl_act x;

	if (run >= t->nruns)
		return;
	r = &t->runs[run];
	if (!act_is_call(a->kind)) {
		if (setup && at + ns > r->setup_end)
			r->setup_end = at + ns;
		return;
	}
	x.kind = a->kind;
	x.op = a->op;
	x.calls = a->calls;
	x.t = at;
	x.ns = ns;
	x.cpu = cpu;
	x.setup = setup;
	if (setup) {
		/* boot work: written at once, under the setup slice written at the first op */
		r->setup_cpu = cpu;
		call_slices(t, run, &x);
		if (at + ns > r->setup_end)
			r->setup_end = at + ns;
		return;
	}
	if (r->nacts == TL_MAXACT) {
		call_slices(t, run, &x);   /* more than the buffer: no nesting check needed */
		return;
	}
	r->acts[r->nacts++] = x;
}

static void on_op(void *arg, unsigned run, const struct ism_event *ev, double begin, double end,
		  int failed)
{
	struct tl *t = arg;
	struct tl_run *r;
	struct strat_pressure pr;

	if (run >= t->nruns)
		return;
	r = &t->runs[run];
	if (!r->setup_done) {
		r->setup_done = 1;
		if (r->setup_end > 0)
			slice(t, run + 2, r->setup_cpu, "setup", "setup", 0, r->setup_end);
	}
	slice(t, run + 2, ev->cpu, "dma", failed ? "map (failed)" : ism_kind_name(ev->kind),
	      begin, end - begin);
	r->ops++;
	if (!failed && ev->kind < ISM_EV__COUNT)
		r->slices_by_kind[ev->kind]++;
	for (unsigned i = 0; i < r->nacts; i++)
		call_slices(t, run, &r->acts[i]);
	r->nacts = 0;
	sim_pressure_now(t->sim, run, &pr);
	if ((double)pr.pool_used != r->last_pool) {
		r->last_pool = (double)pr.pool_used;
		counter(t, run + 2, "swiotlb slots in use", end, r->last_pool);
	}
	if ((double)pr.window_used != r->last_window) {
		r->last_window = (double)pr.window_used;
		counter(t, run + 2, "TCEs in use", end, r->last_window);
	}
	if ((double)pr.shared_bytes_now != r->last_shared) {
		r->last_shared = (double)pr.shared_bytes_now;
		counter(t, run + 2, "bytes shared with the hypervisor", end, r->last_shared);
	}
}

static void on_marker(void *arg, const char *name, int boot, double rec_t)
{
	struct tl *t = arg;
	char *n = xasprintf("%s%s", boot ? "boot end: " : "phase ", name);

	if (t->recorded)
		instant(t, 1, 0, "p", "phase", n, rec_t);
	for (unsigned i = 0; i < t->nruns; i++)
		instant(t, i + 2, 0, "p", "phase", n, sim_clock(t->sim, i));
	t->markers++;
	free(n);
}

/* Device names for the strategies (sim_set_dev_names()): the reader's. */
static const char *timeline_dev_name(const void *r, unsigned id)
{
	return reader_dev_name(r, id);
}

static void on_attach(void *arg, const struct sim *sim)
{
	((struct tl *)arg)->sim = sim;
}

/* The recording's own events: DMA instants and hcall slices. */
static void recorded_event(struct tl *t, const struct ism_event *ev)
{
	double ts = (double)ev->ts_ns - t->start_ns;

	if (ev->cpu >= t->ncpu) {
		unsigned n = ev->cpu + 1;

		t->hc_ts = xreallocarray(t->hc_ts, n, sizeof(*t->hc_ts));
		t->hc_op = xreallocarray(t->hc_op, n, sizeof(*t->hc_op));
		for (unsigned c = t->ncpu; c < n; c++) {
			t->hc_ts[c] = -1;
			t->hc_op[c] = 0;
		}
		/* name the threads once they exist */
		for (unsigned c = t->ncpu; c < n; c++) {
			char nm[32];

			snprintf(nm, sizeof(nm), "CPU %u", c);
			meta(t, 1, 1, c, nm);
			for (unsigned i = 0; i < t->nruns; i++)
				meta(t, i + 2, 1, c, nm);
		}
		t->ncpu = n;
	}
	switch (ev->kind) {
	case ISM_EV_HCALL_ENTRY:
		t->hc_ts[ev->cpu] = ts;
		t->hc_op[ev->cpu] = (uint32_t)ev->opcode;
		return;
	case ISM_EV_HCALL_EXIT:
		if (t->hc_ts[ev->cpu] >= 0 && t->hc_op[ev->cpu] == ev->opcode) {
			char buf[32];

			slice(t, 1, ev->cpu, "hcall", call_name(ACT_HCALL, (uint32_t)ev->opcode, buf,
								 sizeof(buf)),
			      t->hc_ts[ev->cpu], ts - t->hc_ts[ev->cpu]);
			t->rec_hcalls++;
		}
		t->hc_ts[ev->cpu] = -1;
		return;
	case ISM_EV_MARKER:
	case ISM_EV_LOST:
	case ISM_EV_UNKNOWN:
	case ISM_EV_NONE:
		return;
	default:
		instant(t, 1, ev->cpu, "t", "dma", ism_kind_name(ev->kind), ts);
		t->rec_dma++;
	}
}

struct tl_opts {
	const char *scenario, *output, *format_in;
	char **specs, **sets;
	unsigned nspecs, nsets;
	int no_recorded;
};

static void add_list(char ***v, unsigned *n, const char *list)
{
	char *dup = xstrdup(list), *save = NULL;

	for (char *s = strtok_r(dup, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = xstrdup(s);
	}
	free(dup);
}

static void write_metadata(struct tl *t, const char *trace, const struct scenario *sc,
			   const struct tl_opts *o)
{
	json_t *m = json_object(), *a = json_array();

	json_object_set_new(m, "schema_version", json_integer(SCHEMA_TIMELINE));
	json_object_set_new(m, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	json_object_set_new(m, "trace", json_string(trace));
	json_object_set_new(m, "scenario", json_string(sc->path ? sc->path : ""));
	json_object_set_new(m, "recorded_dma_events", json_integer((json_int_t)t->rec_dma));
	json_object_set_new(m, "recorded_hcalls", json_integer((json_int_t)t->rec_hcalls));
	json_object_set_new(m, "markers", json_integer((json_int_t)t->markers));
	for (unsigned i = 0; i < t->nruns; i++) {
		const struct sim_result *r = sim_result(t->sim, i);
		json_t *s = json_object(), *k = json_object();

		json_object_set_new(s, "pid", json_integer(i + 2));
		json_object_set_new(s, "strategy", json_string(o->specs[i]));
		json_object_set_new(s, "dma_slices", json_integer((json_int_t)t->runs[i].ops));
		for (unsigned e = 1; e < ISM_EV__COUNT; e++)
			if (t->runs[i].slices_by_kind[e])
				json_object_set_new(k, ism_kind_name(e),
						    json_integer((json_int_t)t->runs[i].slices_by_kind[e]));
		json_object_set_new(s, "dma_slices_by_kind", k);
		json_object_set_new(s, "hcall_slices", json_integer((json_int_t)t->runs[i].calls));
		json_object_set_new(s, "ucall_slices", json_integer((json_int_t)t->runs[i].ucalls));
		json_object_set_new(s, "rtas_slices", json_integer((json_int_t)t->runs[i].rtas));
		json_object_set_new(s, "end_us", json_real(r->end_ns / 1000.0));
		json_array_append_new(a, s);
	}
	json_object_set_new(m, "strategies", a);
	json_object_set_new(m, "events", json_integer((json_int_t)t->events));
	fputs("\n],\n\"displayTimeUnit\": \"ns\",\n\"metadata\": ", t->out);
	json_dumpf(m, t->out, JSON_PRESERVE_ORDER | JSON_COMPACT);
	fputs("\n}\n", t->out);
	json_decref(m);
}

static int timeline(const struct tl_opts *o, const char *trace)
{
	struct scenario sc;
	struct sim *sim;
	struct reader *r = NULL;
	struct ism_event ev;
	struct sim_observer obs;
	struct progress pg;
	struct ofile *of = NULL;
	struct tl *t = xcalloc(1, sizeof(*t));
	char *cause = NULL;
	int ret, status = EXIT_OK, started = 0;

	if (o->nspecs > TL_MAXRUNS) {
		free(t);
		return usage_error("timeline", "at most %d strategies", TL_MAXRUNS);
	}
	if (scenario_load(o->scenario, &sc, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		free(t);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < o->nsets; i++)
		if (scenario_set(&sc, o->sets[i], NULL, &cause) < 0 ||
		    (i + 1 == o->nsets && scenario_check(&sc, &cause) < 0)) {
			ism_err("--set: %s", cause);
			free(cause);
			scenario_free(&sc);
			free(t);
			return EXIT_USAGE;
		}
	sim = sim_new(&sc, o->specs, o->nspecs, &cause);
	if (!sim) {
		ism_err("%s", cause);
		free(cause);
		scenario_free(&sc);
		free(t);
		return EXIT_USAGE;
	}
	ret = reader_open(trace, o->format_in, &r, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		sim_free(sim);
		scenario_free(&sc);
		free(t);
		return ism_err_exit(ret);
	}
	/* written as every output is (output.h): a temporary file renamed into place when
	 * complete, so an interrupted or failed timeline never stands under the final name */
	ret = ofile_open(o->output, &of, &cause);
	if (ret < 0) {
		ism_err("%s", cause);
		free(cause);
		reader_close(r);
		sim_free(sim);
		scenario_free(&sc);
		free(t);
		return ism_err_exit(ret);
	}
	t->out = ofile_stream(of);
	t->nruns = o->nspecs;
	t->recorded = !o->no_recorded;
	for (unsigned i = 0; i < t->nruns; i++)
		t->runs[i].acts = xcalloc(TL_MAXACT, sizeof(struct tl_act));
	memset(&obs, 0, sizeof(obs));
	obs.arg = t;
	obs.attach = on_attach;
	obs.action = on_action;
	obs.op = on_op;
	obs.marker = on_marker;
	sim_observe(sim, &obs);
	sim_set_dev_names(sim, timeline_dev_name, r);

	fputs("{\"traceEvents\": [", t->out);
	if (t->recorded)
		meta(t, 1, 0, 0, "recorded");
	for (unsigned i = 0; i < t->nruns; i++) {
		char *n = xasprintf("simulated: %s", o->specs[i]);

		meta(t, i + 2, 0, 0, n);
		free(n);
	}
	progress_start(&pg, trace);
	while ((ret = reader_next(r, &ev)) > 0) {
		if (!started) {
			t->start_ns = (double)ev.ts_ns;
			started = 1;
		}
		if (t->recorded)
			recorded_event(t, &ev);
		else if (ev.cpu >= t->ncpu) {
			/* thread names for the strategies' CPUs */
			unsigned old = t->ncpu;

			t->ncpu = ev.cpu + 1;
			for (unsigned c = old; c < t->ncpu; c++) {
				char nm[32];

				snprintf(nm, sizeof(nm), "CPU %u", c);
				for (unsigned i = 0; i < t->nruns; i++)
					meta(t, i + 2, 1, c, nm);
			}
		}
		sim_event(sim, &ev, 0);
		if ((r->nevents & 0xffff) == 0)
			progress_tick(&pg, r->nevents, in_raw_offset(r->in));
	}
	progress_end(&pg);
	if (ret < 0) {
		ism_err("%s", reader_error(r));
		status = ism_err_exit(ret);
	} else {
		sim_finish(sim);
		write_metadata(t, trace, &sc, o);
	}
	if (status != EXIT_OK) {
		ofile_abort(of);
	} else if (ofile_commit(of, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		status = EXIT_FAIL;
	} else if (strcmp(o->output, "-") != 0) {
		fprintf(stderr, "iommusim: timeline: %s (%" PRIu64 " trace events; open it in "
			"ui.perfetto.dev or chrome://tracing)\n", o->output, t->events);
	}
	reader_close(r);
	for (unsigned i = 0; i < t->nruns; i++)
		free(t->runs[i].acts);
	free(t->hc_ts);
	free(t->hc_op);
	free(t);
	sim_free(sim);
	scenario_free(&sc);
	return status;
}

int cmd_timeline(int argc, char **argv)
{
	struct cmd_input in = { 0 };
	struct cmd_args a;
	struct tl_opts o;
	int c, status = EXIT_OK;

	memset(&o, 0, sizeof(o));
	cmd_args_init(&a, &cmd_timeline_entry, argc, argv);
	while ((c = cmd_next(&a)) > 0) {
		if (cmd_input_opt(&a, &in, c))
			continue;
		switch (c) {
		case 'S':
			add_list(&o.specs, &o.nspecs, a.arg);
			break;
		case 's':
			o.scenario = a.arg;
			break;
		case OPT_SET:
			o.sets = xreallocarray(o.sets, o.nsets + 1, sizeof(*o.sets));
			o.sets[o.nsets++] = xstrdup(a.arg);
			break;
		case 'o':
			o.output = a.arg;
			break;
		case OPT_NOREC:
			o.no_recorded = 1;
			break;
		}
	}
	cmd_args_free(&a);
	if (c < 0) {
		status = a.status;
		goto out;
	}
	cmd_input_operands(&a, &in);
	o.format_in = in.format;
	if (!o.nspecs)
		status = usage_error("timeline", "no strategy (-S); `iommusim list strategies` "
				     "lists them");
	else if (!o.output)
		status = usage_error("timeline", "no -o FILE");
	else if (in.n != 1)
		status = usage_error("timeline", "expected exactly one trace");
	else
		status = timeline(&o, in.traces[0]);
out:
	for (unsigned i = 0; i < o.nspecs; i++)
		free(o.specs[i]);
	for (unsigned i = 0; i < o.nsets; i++)
		free(o.sets[i]);
	free(o.specs);
	free(o.sets);
	cmd_input_free(&in);
	return status;
}
