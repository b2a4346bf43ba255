/*
 * cost.h: the cost model. Pure functions from scenario parameters and actions to nanoseconds:
 * no state, no simulation. Unit tests check it alone.
 */
#ifndef ISM_COST_H
#define ISM_COST_H

#include "action.h"
#include "scenario.h"

/* Cost of one action: CPU time and device time (ns), and its category. */
struct act_cost {
	double cpu_ns;
	double dev_ns;
	unsigned category;
};

struct act_cost cost_action(const struct scenario *sc, const struct action *a);
/*
 * Cost of operation @op (ops.h) for @calls calls with @entries entries in all: its own cost
 * parameters, or a null hypercall's fixed cost when the catalogue gives it none.
 */
double cost_hcall(const struct scenario *sc, uint32_t op, uint64_t calls, uint64_t entries);

/*
 * The cost coefficients of one scenario, looked up once when a replay starts (sim_new()):
 * every catalogued operation's fixed and per-entry cost, its check slot and its category
 * when it makes a share, in a small hash by operation number. cost_plan_action() prices an
 * action exactly as cost_action() does (the same products and sums, so the same doubles)
 * without the per-action switch over the catalogue; *@slot gets ism_op_check_slot() of a
 * call (-1 otherwise).
 */
#define COST_PLAN_SLOTS 512
struct cost_op {
	uint32_t op;
	uint8_t used;
	uint8_t has_per;          /* the cost has a per-entry term (COST rows) */
	uint8_t share_cat;        /* category of an ACT_SHARE/ACT_UNSHARE by this operation */
	int8_t slot;              /* ism_op_check_slot() */
	double fixed_ns, per_entry_ns;
};
struct cost_plan {
	const struct scenario *sc;
	struct cost_op t[COST_PLAN_SLOTS];
};
void cost_plan_init(struct cost_plan *p, const struct scenario *sc);
struct act_cost cost_plan_action(const struct cost_plan *p, const struct action *a, int *slot);
/* ism_op_check_slot() of a call action, -1 for other actions. */
int cost_plan_slot(const struct cost_plan *p, const struct action *a);

#endif
