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

#endif
