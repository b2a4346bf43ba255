/*
 * timeseries.c: per-strategy series over simulated time.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "strategy.h"
#include "timeseries.h"
#include "util.h"

static const struct {
	const char *key, *label;
	int rate;
} series[] = {
#define TS_ROW(id, key, label, rate) { key, label, rate },
	TS_SERIES(TS_ROW)
#undef TS_ROW
};

const char *ts_key(unsigned s)
{
	return s < TS__COUNT ? series[s].key : "";
}

const char *ts_label(unsigned s)
{
	return s < TS__COUNT ? series[s].label : "";
}

int ts_is_rate(unsigned s)
{
	return s < TS__COUNT && series[s].rate;
}

/* Double the width: bucket i takes 2i and 2i+1. */
static void widen(struct timeseries *ts)
{
	for (unsigned r = 0; r < ts->nruns; r++) {
		struct ts_run *run = &ts->runs[r];

		for (unsigned s = 0; s < TS__COUNT; s++) {
			for (unsigned i = 0; i < TS_BUCKETS / 2; i++) {
				unsigned a = 2 * i, b = 2 * i + 1;

				if (series[s].rate) {
					run->v[s][i] = run->v[s][a] + run->v[s][b];
				} else {
					double pa = run->touched[s][a] ? run->v[s][a] : -1;
					double pb = run->touched[s][b] ? run->v[s][b] : -1;

					run->v[s][i] = pa > pb ? pa : pb;
					run->last[s][i] = run->touched[s][b] ? run->last[s][b] :
							  run->last[s][a];
				}
				run->touched[s][i] = run->touched[s][a] | run->touched[s][b];
			}
			memset(&run->v[s][TS_BUCKETS / 2], 0, sizeof(double) * TS_BUCKETS / 2);
			memset(&run->last[s][TS_BUCKETS / 2], 0, sizeof(double) * TS_BUCKETS / 2);
			memset(&run->touched[s][TS_BUCKETS / 2], 0, TS_BUCKETS / 2);
		}
	}
	ts->width_ns *= 2;
}

static unsigned bucket(struct timeseries *ts, double t)
{
	if (t < 0)
		t = 0;
	if (t > ts->end_ns)
		ts->end_ns = t;
	while (t >= ts->width_ns * TS_BUCKETS)
		widen(ts);
	return (unsigned)(t / ts->width_ns);
}

static void level(struct timeseries *ts, unsigned run, unsigned s, double t, double v)
{
	struct ts_run *r = &ts->runs[run];
	unsigned b = bucket(ts, t);

	if (!r->touched[s][b] || v > r->v[s][b])
		r->v[s][b] = v;
	r->touched[s][b] = 1;
	r->last[s][b] = v;
}

static void on_attach(void *arg, const struct sim *sim)
{
	((struct timeseries *)arg)->sim = sim;
}

static void on_action(void *arg, unsigned run, unsigned cpu, const struct action *a, double t,
		      double ns, int setup)
{
	struct timeseries *ts = arg;

	(void)cpu;
	(void)ns;
	(void)setup;
	if (run < ts->nruns && a->kind == ACT_HCALL)
		ts->runs[run].v[TS_HCALLS][bucket(ts, t)] += (double)a->calls;
}

static void on_op(void *arg, unsigned run, const struct ism_event *ev, double begin, double end,
		  int failed)
{
	struct timeseries *ts = arg;
	struct strat_pressure pr;

	(void)begin;
	if (run >= ts->nruns || !ts->sim)
		return;
	if (!failed && (ev->kind == ISM_EV_MAP || ev->kind == ISM_EV_MAP_SG ||
			ev->kind == ISM_EV_ALLOC))
		ts->runs[run].v[TS_MAPS][bucket(ts, end)] += 1;
	sim_pressure_now(ts->sim, run, &pr);
	level(ts, run, TS_POOL, end, (double)pr.pool_used);
	level(ts, run, TS_WINDOW, end, (double)pr.window_used);
	level(ts, run, TS_SHARED, end, (double)pr.shared_bytes_now);
}

void ts_init(struct timeseries *ts, unsigned nruns, struct sim_observer *obs)
{
	memset(ts, 0, sizeof(*ts));
	ts->nruns = nruns;
	ts->runs = xcalloc(nruns ? nruns : 1, sizeof(*ts->runs));
	ts->width_ns = 1e6;   /* 1 ms; doubles as the run goes */
	memset(obs, 0, sizeof(*obs));
	obs->arg = ts;
	obs->attach = on_attach;
	obs->action = on_action;
	obs->op = on_op;
}

void ts_free(struct timeseries *ts)
{
	free(ts->runs);
	memset(ts, 0, sizeof(*ts));
}

unsigned ts_buckets(const struct timeseries *ts)
{
	unsigned n = (unsigned)(ts->end_ns / ts->width_ns) + 1;

	return n > TS_BUCKETS ? TS_BUCKETS : n;
}

double ts_value(const struct timeseries *ts, unsigned run, unsigned s, unsigned b)
{
	const struct ts_run *r = &ts->runs[run];

	if (series[s].rate)
		return r->v[s][b] / (ts->width_ns / 1e9);
	if (r->touched[s][b])
		return r->v[s][b];
	/* no change in this bucket: the level the last change left */
	while (b-- > 0)
		if (r->touched[s][b])
			return r->last[s][b];
	return 0;
}

int ts_all_zero(const struct timeseries *ts, unsigned run, unsigned s)
{
	for (unsigned b = 0; b < TS_BUCKETS; b++)
		if (ts->runs[run].v[s][b] != 0)
			return 0;
	return 1;
}
