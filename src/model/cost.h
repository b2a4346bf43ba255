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

/* The actions priced by a scenario_cost member of their own kind (no operation). */
static inline void cost_price_plain(const struct scenario_cost *c, const struct action *a,
				    struct act_cost *r)
{
	switch ((enum act_kind)a->kind) {
	case ACT_COPY:
		r->cpu_ns = c->copy_fixed_ns * (double)a->calls +
			    (double)a->units * 1e9 / c->copy_bytes_per_s;
		r->category = CAT_COPY;
		break;
	case ACT_GUEST:
		r->cpu_ns = c->guest_map_ns * (double)a->calls;
		break;
	case ACT_GUEST_PAGES:
		r->cpu_ns = c->guest_per_page_ns * (double)a->units;
		break;
	case ACT_ALLOC_SEARCH:
		r->cpu_ns = c->guest_alloc_per_bit_ns * (double)a->units;
		break;
	case ACT_SLOT_SEARCH:
		r->cpu_ns = c->swiotlb_per_slot_ns * (double)a->units;
		break;
	case ACT_LOCK:
		/* op 1: the hypervisor's TCE table lock held for the call; else a guest spinlock */
		r->cpu_ns = (a->op == 1 ? c->hv_tce_lock_hold_ns : c->lock_ns) * (double)a->calls;
		break;
	case ACT_DEV_XLATE:
		r->dev_ns = c->device_xlate_per_page_ns * (double)a->units;
		r->category = CAT_DEVICE;
		break;
	case ACT_DEV_JOB:
		r->dev_ns = a->units ? c->device_job_tce_ns : 0;
		r->category = CAT_DEVICE;
		break;
	default:
		break;
	}
}

static inline unsigned cost_plan_hash(uint32_t op)
{
	return (unsigned)((op * 0x9e3779b1u) >> 23) & (COST_PLAN_SLOTS - 1);
}

static inline const struct cost_op *cost_plan_find(const struct cost_plan *p, uint32_t op)
{
	for (unsigned i = cost_plan_hash(op);; i = (i + 1) & (COST_PLAN_SLOTS - 1)) {
		const struct cost_op *o = &p->t[i];

		if (!o->used)
			return NULL;
		if (o->op == op)
			return o;
	}
}

/* cost_plan_action() and cost_plan_slot() of an operation the catalogue does not have. */
struct act_cost cost_plan_uncatalogued(const struct cost_plan *p, const struct action *a,
				      int *slot);
int cost_plan_slot_uncatalogued(const struct action *a);

/* Inline: the engine prices every action of every event of every replay. */
static inline __attribute__((always_inline)) struct act_cost
cost_plan_action(const struct cost_plan *p, const struct action *a, int *slot)
{
	const struct cost_op *o;
	struct act_cost r = { 0, 0, CAT_GUEST };

	*slot = -1;
	switch ((enum act_kind)a->kind) {
	case ACT_HCALL:
	case ACT_UCALL:
	case ACT_SHARE:
	case ACT_UNSHARE:
	case ACT_INVAL:
	case ACT_RTAS:
		o = cost_plan_find(p, a->op);
		if (!o)
			return cost_plan_uncatalogued(p, a, slot);
		r.cpu_ns = o->has_per ? o->fixed_ns * (double)a->calls +
						o->per_entry_ns * (double)a->units :
					o->fixed_ns * (double)a->calls;
		if (act_is_call(a->kind))
			*slot = o->slot;
		switch ((enum act_kind)a->kind) {
		case ACT_HCALL:
			r.category = CAT_HCALL;
			break;
		case ACT_UCALL:
			r.category = CAT_UCALL;
			break;
		case ACT_SHARE:
		case ACT_UNSHARE:
			r.category = o->share_cat;
			break;
		case ACT_RTAS:
			r.category = CAT_RTAS;
			break;
		default:
			break;
		}
		return r;
	default:
		cost_price_plain(&p->sc->cost, a, &r);
		return r;
	}
}

/* ism_op_check_slot() of a call action, -1 for other actions. */
static inline int cost_plan_slot(const struct cost_plan *p, const struct action *a)
{
	const struct cost_op *o;

	if (!act_is_call(a->kind))
		return -1;
	o = cost_plan_find(p, a->op);
	return o ? o->slot : cost_plan_slot_uncatalogued(a);
}

#endif
