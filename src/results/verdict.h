/*
 * verdict.h: the answer first. For each objective (boot time, time after boot, throughput,
 * exposure; a table, so that new objectives plug in with one entry), the best strategy and the
 * runner-up, their difference in percent against a baseline (--baseline NAME, else the
 * strategy the trace was recorded with, else the recording itself), and whether the best's
 * difference is larger than the model's stated timing error and than the run-to-run noise of
 * the recordings when repeats are given. Strategies with identical figures are folded into
 * one class ("window32 = indirect-tce = ..."). The reference strategy (passthrough: no IOMMU,
 * no cost) is never the pick; it is shown as the floor.
 *
 * Noise: the spread (max - min) / median of the objective's recorded value over the
 * recordings (the trace and its repeats); for exposure, which a recording does not show, of
 * the best strategy's simulated value over the replays. "best in k of n": in how many
 * replays the best strategy is best (or tied) too.
 */
#ifndef ISM_VERDICT_H
#define ISM_VERDICT_H

#include <stdio.h>

#include <jansson.h>

#include "report.h"
#include "table.h"

struct objective {
	const char *key;          /* JSON: "boot_time" */
	const char *label;        /* "boot time" */
	const char *unit;         /* of the JSON values: "ns", "bytes", "bytes_per_s" */
	int higher_better;
	int timed;                /* a time: judged against the model's timing error */
	int (*applies)(const struct report_ctx *c);
	/* which strategies compete (exposure: protected VMs only) */
	int (*candidate)(const struct sim_result *r);
	double (*value)(const struct report_ctx *c, const struct sim *sim,
			const struct sim_result *r);
	/* the recording's own value (NAN: a recording does not show it) */
	double (*recorded)(const struct report_ctx *c, const struct sim *sim);
	void (*fmt)(double v, char *buf, size_t len);
};
/* The table, NULL past the end. */
const struct objective *objective_get(unsigned i);

struct verdict_class {
	unsigned *members;        /* result indexes, in run order; members[0] names the class */
	unsigned n;
};

struct verdict_obj {
	const struct objective *o;
	int best, runner;         /* classes; -1: none */
	double best_v, runner_v, base_v, ref_v;   /* ref_v: the reference's (NAN: none) */
	double best_pct, runner_pct;              /* against the baseline; NAN: unknown */
	int beyond_error;         /* 1, 0, or -1: not calibrated / not a time */
	double noise_pct;         /* NAN: one recording */
	int beyond_noise;         /* 1, 0, -1 unknown */
	unsigned best_in, replays;/* the best was best in best_in of replays replays */
	int tie;                  /* best and runner-up closer than the error or the noise */
};

struct verdict {
	struct verdict_class *cls;
	unsigned ncls;
	unsigned *class_of;       /* per result */
	unsigned *order;          /* classes, fastest first (simulated end of the run) */
	int base;                 /* result index of the baseline; -1: the recording */
	const char *base_how;     /* "--baseline", "as recorded (sim.recorded_with)", ... */
	int recorded;             /* result index of the recorded strategy; -1: unknown */
	int any_protected;
	unsigned nobj;
	struct verdict_obj obj[8];
};

/* Build the verdict of @c. Returns 0, or -1 with *@cause (a --baseline not among the runs). */
int verdict_build(const struct report_ctx *c, struct verdict *v, char **cause);
void verdict_free(struct verdict *v);
/* "window32 (+3)" for a class of 4; the baseline's class gets a "*". */
char *verdict_class_name(const struct report_ctx *c, const struct verdict *v, unsigned cls);
/* "window32 = indirect-tce = ..." lines for folded classes, as notes of @t. */
void verdict_fold_notes(const struct report_ctx *c, const struct verdict *v, struct table *t);
/* What the baseline is, one phrase: "window32 (as recorded: sim.recorded_with)". */
char *verdict_baseline_text(const struct report_ctx *c, const struct verdict *v);
/* The same, short, for figures: "window32 (as recorded)", "the recording". */
char *verdict_baseline_short(const struct report_ctx *c, const struct verdict *v);
/* The model error and the noise, one phrase each. */
char *verdict_error_text(const struct report_ctx *c);
char *verdict_noise_text(const struct report_ctx *c);
/* Where the model error comes from in full ("69.4%, calibrated by ..."), or NULL. */
char *verdict_error_source(const struct report_ctx *c);
/* One sentence on the significance of objective @k's difference. */
char *verdict_judgement(const struct report_ctx *c, const struct verdict *v, unsigned k);

/* The verdict as text (a block per objective, @width columns), as a table, as JSON. */
void verdict_text(FILE *out, const struct report_ctx *c, const struct verdict *v, unsigned width);
void verdict_table(const struct report_ctx *c, const struct verdict *v, struct table *t);
json_t *verdict_json(const struct report_ctx *c, const struct verdict *v);

/* Percent formatting: "+0.15%", "-12.3%", "n/a". */
const char *verdict_pct(double pct, char *buf, size_t len);

#endif
