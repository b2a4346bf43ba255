/*
 * cost.c: actions to nanoseconds.
 */
#include "config.h"

#include <string.h>

#include "cost.h"
#include "ops.h"

static double call(const struct call_cost *c, uint64_t calls, uint64_t units)
{
	return c->fixed_ns * (double)calls + c->per_entry_ns * (double)units;
}

double cost_hcall(const struct scenario *sc, uint32_t op, uint64_t calls, uint64_t entries)
{
	/* a switch over the catalogue: each row with COST(member) is priced by that member */
#define COST(member) return call(&sc->cost.member, calls, entries);
#define NOCOST break;
#define ISM_OP_CASE(id, num, nm, cls, unit, fam, cost, shrt, flags, key, desc) \
	case id:                                                               \
		cost
	switch (op) {
		ISM_OPS(ISM_OP_CASE)
	default:
		break;
	}
#undef ISM_OP_CASE
#undef NOCOST
#undef COST
	/* an operation without cost parameters costs what a null hcall (H_GET_TCE) costs */
	return sc->cost.h_get_tce.fixed_ns * (double)calls;
}

struct act_cost cost_action(const struct scenario *sc, const struct action *a)
{
	struct act_cost r = { 0, 0, CAT_GUEST };

	switch ((enum act_kind)a->kind) {
	case ACT_HCALL:
		r.cpu_ns = cost_hcall(sc, a->op, a->calls, a->units);
		r.category = CAT_HCALL;
		break;
	case ACT_UCALL:
		r.cpu_ns = cost_hcall(sc, a->op, a->calls, a->units);
		r.category = CAT_UCALL;
		break;
	case ACT_SHARE:
	case ACT_UNSHARE:
		/* priced and categorised as the call that makes the share */
		r.cpu_ns = cost_hcall(sc, a->op, a->calls, a->units);
		r.category = ism_op_class(a->op) == OPC_UCALL ? CAT_UCALL :
			     ism_op_class(a->op) == OPC_RTAS ? CAT_RTAS : CAT_HCALL;
		break;
	case ACT_INVAL:
		/* cost.iotlb_sync, iotlb_flush_all, iotlb_sync_map: the CPU waits for it */
		r.cpu_ns = cost_hcall(sc, a->op, a->calls, a->units);
		break;
	case ACT_RTAS:
		r.cpu_ns = cost_hcall(sc, a->op, a->calls, a->units);
		r.category = CAT_RTAS;
		break;
	default:
		cost_price_plain(&sc->cost, a, &r);
		break;
	}
	return r;
}

void cost_plan_init(struct cost_plan *p, const struct scenario *sc)
{
	const struct ism_op_info *info;
	unsigned n = 0;

	memset(p, 0, sizeof(*p));
	p->sc = sc;
	for (unsigned k = 0; (info = ism_op_get(k)) && n < COST_PLAN_SLOTS / 2; k++) {
		const struct call_cost *c = NULL;
		struct cost_op *o;
		unsigned i;

		if (cost_plan_find(p, info->number))
			continue;
		for (i = cost_plan_hash(info->number); p->t[i].used; i = (i + 1) & (COST_PLAN_SLOTS - 1))
			;
		o = &p->t[i];
		o->used = 1;
		o->op = info->number;
		/* the member cost_hcall() prices the row by, else the null hcall's fixed cost */
#define COST(member) c = &sc->cost.member;
#define NOCOST
#define ISM_OP_CASE(id, num, nm, cls, unit, fam, cost, shrt, flags, key, desc) \
	case id:                                                               \
		cost break;
		switch (info->number) {
			ISM_OPS(ISM_OP_CASE)
		default:
			break;
		}
#undef ISM_OP_CASE
#undef NOCOST
#undef COST
		if (c) {
			o->fixed_ns = c->fixed_ns;
			o->per_entry_ns = c->per_entry_ns;
			o->has_per = 1;
		} else {
			o->fixed_ns = sc->cost.h_get_tce.fixed_ns;
		}
		o->slot = (int8_t)ism_op_check_slot(info->number);
		o->share_cat = ism_op_class(info->number) == OPC_UCALL ? CAT_UCALL :
			       ism_op_class(info->number) == OPC_RTAS ? CAT_RTAS : CAT_HCALL;
		n++;
	}
}

struct act_cost cost_plan_uncatalogued(const struct cost_plan *p, const struct action *a,
				      int *slot)
{
	/* not in the catalogue: as cost_action() prices it */
	*slot = act_is_call(a->kind) ? ism_op_check_slot(a->op) : -1;
	return cost_action(p->sc, a);
}

int cost_plan_slot_uncatalogued(const struct action *a)
{
	return ism_op_check_slot(a->op);
}
