/*
 * cost.c: actions to nanoseconds.
 */
#include "config.h"

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
	const struct scenario_cost *c = &sc->cost;
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
	case ACT_COPY:
		r.cpu_ns = c->copy_fixed_ns * (double)a->calls +
			   (double)a->units * 1e9 / c->copy_bytes_per_s;
		r.category = CAT_COPY;
		break;
	case ACT_GUEST:
		r.cpu_ns = c->guest_map_ns * (double)a->calls;
		break;
	case ACT_GUEST_PAGES:
		r.cpu_ns = c->guest_per_page_ns * (double)a->units;
		break;
	case ACT_ALLOC_SEARCH:
		r.cpu_ns = c->guest_alloc_per_bit_ns * (double)a->units;
		break;
	case ACT_SLOT_SEARCH:
		r.cpu_ns = c->swiotlb_per_slot_ns * (double)a->units;
		break;
	case ACT_LOCK:
		/* op 1: the hypervisor's TCE table lock held for the call; else a guest spinlock */
		r.cpu_ns = (a->op == 1 ? c->hv_tce_lock_hold_ns : c->lock_ns) * (double)a->calls;
		break;
	case ACT_DEV_XLATE:
		r.dev_ns = c->device_xlate_per_page_ns * (double)a->units;
		r.category = CAT_DEVICE;
		break;
	case ACT_DEV_JOB:
		r.dev_ns = a->units ? c->device_job_tce_ns : 0;
		r.category = CAT_DEVICE;
		break;
	case ACT__COUNT:
		break;
	}
	return r;
}
