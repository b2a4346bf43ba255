/*
 * replay.h: read a whole trace through a simulator (the job of `run`, `compare` and each
 * point of a `sweep`), without printing anything.
 */
#ifndef ISM_REPLAY_H
#define ISM_REPLAY_H

#include <stdint.h>

#include "report.h"
#include "scenario.h"
#include "sim.h"

struct replay {
	struct sim *sim;
	uint64_t events;         /* events read */
	unsigned cpus;           /* CPUs with events */
	char format[16];         /* reader that read the trace */
	char pos_unit[8];        /* its positions: line, record or event */
};

/* Optional progress callback: events, and bytes of the file (compressed or not) read so far. */
typedef void (*replay_tick_fn)(void *arg, uint64_t events, uint64_t bytes);

/*
 * Replay @trace (@format_in NULL = detect) against @specs under @sc. Returns 0 and fills
 * @out (free with replay_free()), or -ISM_E* with *@cause (one line, names the file).
 */
int replay_trace(const char *trace, const char *format_in, const struct scenario *sc,
		 char *const *specs, unsigned nspecs, int check_hcalls, replay_tick_fn tick,
		 void *tick_arg, struct replay *out, char **cause);
/* The same, with @obs (may be NULL) watching the simulated run (sim.h). */
int replay_trace_observed(const char *trace, const char *format_in, const struct scenario *sc,
			  char *const *specs, unsigned nspecs, int check_hcalls,
			  replay_tick_fn tick, void *tick_arg, const struct sim_observer *obs,
			  struct replay *out, char **cause);
/*
 * Threads for the replays that follow (sim_new_jobs()): @jobs, 0 = one per CPU (the default).
 * The results do not depend on it; a replay with an observer uses one.
 */
void replay_set_jobs(unsigned jobs);
void replay_free(struct replay *out);
/* The renderers' view of a replay. */
void replay_report_ctx(const struct replay *rp, const char *trace, const struct scenario *sc,
		       int check_hcalls, struct report_ctx *ctx);

/* @trace cannot be read twice: standard input ("-"), a pipe, a device: one pass only. */
int replay_is_stream(const char *trace);
/*
 * Unless @sc names it (sim.recorded_with, an override), detect the strategy @trace was
 * recorded under (detect.h) and set sim.recorded_with to it. Returns 1 when detected, 0 when
 * the scenario named it or nothing fits, -ISM_E* with *@cause when the trace cannot be read.
 */
struct detect_result;
int replay_detect_recorded(const char *trace, const char *format_in, struct scenario *sc,
			   struct detect_result *det, char **cause);
/* Say in @ctx that the recorded strategy was detected (@det must outlive @ctx). */
void replay_report_detected(struct report_ctx *ctx, const struct detect_result *det);

/*
 * TCE hypercall costs from the trace itself (sim.hcall_costs=trace, the default): replay the
 * recorded strategy (sim.recorded_with) once, fit each opcode with enough samples (hcfit.h)
 * and set its cost.* values in @sc; the others keep the scenario's. @hc says which.
 */
#include "hcfit.h"
struct replay_hcosts {
	const char *source;       /* "trace", "trace+scenario" (some opcodes) or "scenario" */
	const char *why;          /* scenario: why not the trace */
	unsigned nfitted;
	struct hcfit_result op[HCFIT_OPS];
};
int replay_hcall_costs(const char *trace, const char *format_in, struct scenario *sc,
		       struct replay_hcosts *hc, char **cause);
/* Replay @trace as @spec alone, its hypercall samples into @fit (free @out with replay_free). */
int replay_trace_fit(const char *trace, const char *format_in, const struct scenario *sc,
		     const char *spec, struct hcfit *fit, struct replay *out, char **cause);

#endif
