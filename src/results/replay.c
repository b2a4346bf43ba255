/*
 * replay.c: a trace through a simulator, start to finish.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "detect.h"
#include "error.h"
#include "hcfit.h"
#include "reader.h"
#include "replay.h"
#include "util.h"

/* Device names for the strategies (sim_set_dev_names()): the reader's. */
static const char *replay_dev_name(const void *r, unsigned id)
{
	return reader_dev_name(r, id);
}

static unsigned replay_jobs; /* 0: one thread per CPU */

void replay_set_jobs(unsigned jobs)
{
	replay_jobs = jobs;
}

int replay_trace(const char *trace, const char *format_in, const struct scenario *sc,
		 char *const *specs, unsigned nspecs, int check_hcalls, replay_tick_fn tick,
		 void *tick_arg, struct replay *out, char **cause)
{
	return replay_trace_observed(trace, format_in, sc, specs, nspecs, check_hcalls, tick,
				     tick_arg, NULL, out, cause);
}

int replay_trace_observed(const char *trace, const char *format_in, const struct scenario *sc,
			  char *const *specs, unsigned nspecs, int check_hcalls,
			  replay_tick_fn tick, void *tick_arg, const struct sim_observer *obs,
			  struct replay *out, char **cause)
{
	struct reader *r;
	struct ism_event ev;
	const char *unit;
	uint64_t cpumask[1024] = { 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	/* an observer watches one simulation in event order: not split over threads */
	out->sim = obs ? sim_new(sc, specs, nspecs, cause) :
			 sim_new_jobs(sc, specs, nspecs, replay_jobs, cause);
	if (!out->sim)
		return -ISM_EUSAGE;
	sim_check_hcalls(out->sim, check_hcalls);
	if (obs)
		sim_observe(out->sim, obs);
	ret = reader_open(trace, format_in, &r, cause);
	if (ret < 0) {
		sim_free(out->sim);
		out->sim = NULL;
		return ret;
	}
	sim_set_dev_names(out->sim, replay_dev_name, r);
	while ((ret = reader_next(r, &ev)) > 0) {
		/* the position: the hypercall check's examples, the first bad timestamps */
		sim_event(out->sim, &ev, reader_position(r, &unit));
		if (!(cpumask[ev.cpu / 64] & (1ull << (ev.cpu % 64)))) {
			cpumask[ev.cpu / 64] |= 1ull << (ev.cpu % 64);
			out->cpus++;
		}
		if (tick && (r->nevents & 0xffff) == 0)
			tick(tick_arg, r->nevents, in_raw_offset(r->in));
	}
	if (ret < 0) {
		*cause = xstrdup(reader_error(r));
		reader_close(r);
		sim_free(out->sim);
		out->sim = NULL;
		return ret;
	}
	sim_finish(out->sim);
	out->events = r->nevents;
	snprintf(out->format, sizeof(out->format), "%s", r->ops->name);
	reader_position(r, &unit);
	snprintf(out->pos_unit, sizeof(out->pos_unit), "%s", unit);
	sim_set_dev_names(out->sim, NULL, NULL);
	reader_close(r);
	return 0;
}

void replay_free(struct replay *out)
{
	sim_free(out->sim);
	memset(out, 0, sizeof(*out));
}

void replay_report_ctx(const struct replay *rp, const char *trace, const struct scenario *sc,
		       int check_hcalls, struct report_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->trace = trace;
	ctx->trace_format = rp->format;
	ctx->sc = sc;
	ctx->sim = rp->sim;
	ctx->trace_events = rp->events;
	ctx->cpus = rp->cpus;
	ctx->check = check_hcalls;
	ctx->model_error_pct = NAN;
	if (sc->sim.model_error_pct > 0) {
		ctx->model_error_pct = sc->sim.model_error_pct;
		ctx->model_error_src = sc->sim.model_error_source && *sc->sim.model_error_source ?
				       sc->sim.model_error_source : "sim.model_error_pct";
	}
	if (sc->sim.recorded_with && *sc->sim.recorded_with) {
		ctx->recorded_strategy = sc->sim.recorded_with;
		ctx->recorded_how = "as recorded: sim.recorded_with";
		ctx->recorded_src = "sim.recorded_with";
	}
}

int replay_is_stream(const char *trace)
{
	struct stat st;

	return strcmp(trace, "-") == 0 || (stat(trace, &st) == 0 && !S_ISREG(st.st_mode));
}

int replay_detect_recorded(const char *trace, const char *format_in, struct scenario *sc,
			   struct detect_result *det, char **cause)
{
	char *set;
	int ret;

	memset(det, 0, sizeof(*det));
	if (sc->sim.recorded_with && *sc->sim.recorded_with)
		return 0;
	if (replay_is_stream(trace)) {
		ism_lib_warn("%s: a stream is read once: the strategy it was recorded under is not "
			     "detected (--set sim.recorded_with=NAME names it)", trace);
		return 0;
	}
	ret = detect_trace(trace, format_in, det, cause);
	if (ret < 0)
		return ret;
	if (!*det->spec)
		return 0;
	set = xasprintf("sim.recorded_with=%s", det->spec);
	ret = scenario_set(sc, set, NULL, cause);
	free(set);
	if (ret < 0)
		return ret;
	return 1;
}

void replay_report_detected(struct report_ctx *ctx, const struct detect_result *det)
{
	ctx->recorded_how = "as recorded, detected from the trace";
	ctx->recorded_src = "detected";
	ctx->recorded_evidence = det->why;
}

int replay_trace_fit(const char *trace, const char *format_in, const struct scenario *sc,
		     const char *spec, struct hcfit *fit, struct replay *out, char **cause)
{
	struct reader *r;
	struct ism_event ev;
	char *specs[1] = { (char *)spec };
	int ret;

	memset(out, 0, sizeof(*out));
	out->sim = sim_new_jobs(sc, specs, 1, replay_jobs, cause);
	if (!out->sim)
		return -ISM_EUSAGE;
	sim_fit_hcalls(out->sim, 0, fit);
	ret = reader_open(trace, format_in, &r, cause);
	if (ret < 0) {
		replay_free(out);
		return ret;
	}
	sim_set_dev_names(out->sim, replay_dev_name, r);
	while ((ret = reader_next(r, &ev)) > 0)
		sim_event(out->sim, &ev, 0);
	if (ret < 0) {
		*cause = xstrdup(reader_error(r));
		reader_close(r);
		replay_free(out);
		return ret;
	}
	sim_finish(out->sim);
	out->events = r->nevents;
	snprintf(out->format, sizeof(out->format), "%s", r->ops->name);
	sim_set_dev_names(out->sim, NULL, NULL);
	reader_close(r);
	return 0;
}

static const char *const hc_param[HCFIT_OPS] = { "h_put_tce", "h_put_tce_indirect", "h_stuff_tce" };

int replay_hcall_costs(const char *trace, const char *format_in, struct scenario *sc,
		       struct replay_hcosts *hc, char **cause)
{
	char *spec = sc->sim.recorded_with;
	struct hcfit *fit;
	struct replay rp;
	struct sim *sim;
	int ret;

	memset(hc, 0, sizeof(*hc));
	hc->source = "scenario";
	if (sc->sim.hcall_costs && !strcmp(sc->sim.hcall_costs, "scenario")) {
		hc->why = "sim.hcall_costs=scenario";
		return 0;
	}
	if (sc->sim.hcall_costs && strcmp(sc->sim.hcall_costs, "trace")) {
		*cause = xasprintf("sim.hcall_costs: \"%s\" is not trace or scenario",
				   sc->sim.hcall_costs);
		return -ISM_EUSAGE;
	}
	if (!spec || !*spec) {
		hc->why = "no recorded strategy to attribute the hypercalls";
		return 0;
	}
	if (replay_is_stream(trace)) {
		hc->why = "the trace is a stream, read once";
		return 0;
	}
	fit = xcalloc(1, sizeof(*fit));
	ret = replay_trace_fit(trace, format_in, sc, spec, fit, &rp, cause);
	if (ret < 0) {
		free(fit);
		return ret;
	}
	sim = rp.sim;
	if (!sim_recorded(sim)->hcalls_traced)
		hc->why = "the trace has no hcall_entry/exit pairs";
	for (int k = 0; k < HCFIT_OPS; k++) {
		struct hcfit_result *h = &hc->op[k];
		char path[64], val[64];

		hcfit_solve(fit, k, h);
		if (!h->fitted)
			continue;
		snprintf(path, sizeof(path), "cost.%s.fixed_ns", hc_param[k]);
		snprintf(val, sizeof(val), "%.3f", h->fixed_ns);
		if (scenario_set(sc, path, val, cause) < 0)
			goto bad;
		snprintf(path, sizeof(path), "cost.%s.per_entry_ns", hc_param[k]);
		snprintf(val, sizeof(val), "%.3f", h->per_entry_ns);
		if (scenario_set(sc, path, val, cause) < 0)
			goto bad;
		hc->nfitted++;
	}
	if (hc->nfitted)
		hc->source = hc->nfitted == HCFIT_OPS ? "trace" : "trace+scenario";
	else if (!hc->why)
		hc->why = "fewer than 20 samples of every TCE hypercall";
	replay_free(&rp);
	free(fit);
	return 0;
bad:
	replay_free(&rp);
	free(fit);
	return -ISM_ERANGE;
}
