/*
 * check.h: an optional check of a run against the recording, per DMA event, that a strategy
 * offers through strategy_ops.check (run --check-hcalls; the TCE strategies' hcall check is
 * strategies/tce-check.c). The engine knows neither which calls it compares nor how: it hands
 * the check every recorded call, every DMA event with the actions the run's stack made for
 * it, the boot work, and the end of the trace; the check writes the run's struct fidelity.
 *
 * State: @rec_size bytes per CPU shared by the runs (what the recording shows on the CPU: the
 * engine zeroes it after each DMA event or marker of the CPU), and @cpu_size bytes per CPU per
 * run (what the run still owes); both zeroed when a CPU first shows.
 */
#ifndef ISM_CHECK_H
#define ISM_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "event.h"
#include "ops.h"

struct fidelity;

/* One run under the check. */
struct check_run {
	struct fidelity *f;           /* the run's result (sim_result.fid) */
	/* every mismatch as one line (the observer's, ISM_HCALL_CHECK_ALL), or NULL */
	void (*mismatch)(void *arg, uint64_t pos, const char *text);
	void *arg;
};

/*
 * struct strat_check - a check of the recording's calls.
 * @name: what it checks, for messages.
 * @rec_size/@cpu_size: per-CPU state (above).
 * @recorded: a call @op of the recording, entry to exit, on the CPU of @rec.
 * @setup: the run's boot work, as calls by operation (@ops[0..n)).
 * @event: DMA event @ev (reader position @pos; @inferred: a list with inferred lengths) on
 *         the CPU of @rec and @cpu, and the actions @ab the run's stack made for it.
 * @finish: the end of the trace, once per CPU: what @rec shows after the CPU's last event.
 */
struct strat_check {
	const char *name;
	size_t rec_size, cpu_size;
	void (*recorded)(void *rec, uint32_t op);
	void (*setup)(struct check_run *cr, const struct op_stat *ops, unsigned n);
	void (*event)(struct check_run *cr, void *cpu, const void *rec, const struct ism_event *ev,
		      uint64_t pos, int inferred, const struct actbuf *ab);
	void (*finish)(struct check_run *cr, void *cpu, const void *rec);
};

#endif
