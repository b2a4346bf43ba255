/*
 * test-cost.c: the cost model alone (cost.c). Every cost parameter is set to a value of its
 * own, so that an action priced with another action's parameter gives a different figure.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "cost.h"
#include "ops.h"
#include "scenario.h"

static struct scenario sc;

static void set(const char *path, const char *value)
{
	char *cause = NULL;

	cr_assert_eq(scenario_set(&sc, path, value, &cause), 0, "%s: %s", path,
		     cause ? cause : "");
}

static void load(void)
{
	char *cause = NULL;

	memset(&sc, 0, sizeof(sc));
	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	set("cost.h_put_tce.fixed_ns", "1000");
	set("cost.h_put_tce.per_entry_ns", "1");
	set("cost.h_put_tce_indirect.fixed_ns", "2000");
	set("cost.h_put_tce_indirect.per_entry_ns", "2");
	set("cost.h_stuff_tce.fixed_ns", "3000");
	set("cost.h_stuff_tce.per_entry_ns", "3");
	set("cost.h_get_tce.fixed_ns", "4000");
	set("cost.h_get_tce.per_entry_ns", "4");
	set("cost.uv_share_page.fixed_ns", "5000");
	set("cost.uv_share_page.per_entry_ns", "5");
	set("cost.uv_unshare_page.fixed_ns", "6000");
	set("cost.uv_unshare_page.per_entry_ns", "6");
	set("cost.rtas_query.fixed_ns", "7000");
	set("cost.rtas_create.fixed_ns", "8000");
	set("cost.rtas_remove.fixed_ns", "9000");
	set("cost.rtas_create.per_entry_ns", "7");
	set("cost.copy_bytes_per_s", "1000000000"); /* 1 byte per ns */
	set("cost.copy_fixed_ns", "11");
	set("cost.guest_map_ns", "13");
	set("cost.guest_per_page_ns", "17");
	set("cost.guest_alloc_per_bit_ns", "0.5");
	set("cost.swiotlb_per_slot_ns", "0.25");
	set("cost.lock_ns", "19");
	set("cost.hv_tce_lock_hold_ns", "23");
	set("cost.device_xlate_per_page_ns", "29");
}

static void unload(void)
{
	scenario_free(&sc);
}

static struct act_cost price(enum act_kind kind, uint32_t op, uint64_t calls, uint64_t units)
{
	struct action a = { .kind = (uint8_t)kind, .op = op, .calls = calls, .units = units };

	return cost_action(&sc, &a);
}

#define expect(c, cpu, dev, cat)                                                       \
	do {                                                                           \
		struct act_cost c_ = (c);                                              \
		cr_expect_float_eq(c_.cpu_ns, (double)(cpu), 1e-9, "cpu %f", c_.cpu_ns); \
		cr_expect_float_eq(c_.dev_ns, (double)(dev), 1e-9, "dev %f", c_.dev_ns); \
		cr_expect_eq(c_.category, (unsigned)(cat), "category %s",              \
			     category_name(c_.category));                               \
	} while (0)

TestSuite(cost, .init = load, .fini = unload);

/* fixed per call + per entry, by opcode */
Test(cost, hcalls_by_opcode)
{
	expect(price(ACT_HCALL, H_PUT_TCE, 3, 3), 3 * 1000 + 3 * 1, 0, CAT_HCALL);
	expect(price(ACT_HCALL, H_PUT_TCE_INDIRECT, 2, 1000), 2 * 2000 + 1000 * 2, 0, CAT_HCALL);
	expect(price(ACT_HCALL, H_STUFF_TCE, 1, 512), 3000 + 512 * 3, 0, CAT_HCALL);
	expect(price(ACT_HCALL, H_GET_TCE, 5, 5), 5 * 4000 + 5 * 4, 0, CAT_HCALL);
	cr_expect_float_eq(cost_hcall(&sc, H_PUT_TCE_INDIRECT, 2, 1000), 6000.0, 1e-9);
}

/* an hcall the model does not know costs a null hcall (H_GET_TCE's fixed cost), no entries */
Test(cost, unknown_hcall_is_a_null_hcall)
{
	expect(price(ACT_HCALL, 0x4, 2, 100), 2 * 4000, 0, CAT_HCALL);
	cr_expect_float_eq(cost_hcall(&sc, 0xf000, 1, 9), 4000.0, 1e-9);
}

Test(cost, ultracalls_share_and_unshare)
{
	expect(price(ACT_SHARE, UV_SHARE_PAGE, 1, 16384), 5000 + 16384 * 5, 0, CAT_UCALL);
	expect(price(ACT_UNSHARE, UV_UNSHARE_PAGE, 2, 2), 2 * 6000 + 2 * 6, 0, CAT_UCALL);
	/* a share is priced and categorised as the call that makes it */
	expect(price(ACT_SHARE, H_PUT_TCE, 1, 1), 1000 + 1, 0, CAT_HCALL);
	expect(price(ACT_UCALL, UV_SHARE_PAGE, 1, 1), 5000 + 5, 0, CAT_UCALL);
}

/* invalidations are counted, not priced (no cost parameter yet) */
Test(cost, invalidations_are_not_priced)
{
	expect(price(ACT_INVAL, IOTLB_SYNC, 10, 0), 0, 0, CAT_GUEST);
	expect(price(ACT_INVAL, IOTLB_FLUSH_ALL, 1, 0), 0, 0, CAT_GUEST);
}

Test(cost, rtas_by_call)
{
	expect(price(ACT_RTAS, RTAS_QUERY, 1, 0), 7000, 0, CAT_RTAS);
	expect(price(ACT_RTAS, RTAS_CREATE, 1, 2), 8000 + 2 * 7, 0, CAT_RTAS);
	expect(price(ACT_RTAS, RTAS_REMOVE, 1, 0), 9000, 0, CAT_RTAS);
}

Test(cost, copy_is_fixed_plus_bandwidth)
{
	expect(price(ACT_COPY, 0, 2, 8192), 2 * 11 + 8192, 0, CAT_COPY);
	set("cost.copy_bytes_per_s", "4000000000");
	expect(price(ACT_COPY, 0, 1, 4096), 11 + 1024, 0, CAT_COPY);
}

Test(cost, guest_software)
{
	expect(price(ACT_GUEST, 0, 3, 0), 3 * 13, 0, CAT_GUEST);
	expect(price(ACT_GUEST_PAGES, 0, 0, 10), 10 * 17, 0, CAT_GUEST);
	expect(price(ACT_ALLOC_SEARCH, 0, 0, 64), 32, 0, CAT_GUEST);
	expect(price(ACT_SLOT_SEARCH, 0, 0, 128), 32, 0, CAT_GUEST);
}

/* a guest spinlock, or (op 1) the hypervisor's TCE table lock held for the call */
Test(cost, locks)
{
	expect(price(ACT_LOCK, 0, 4, 0), 4 * 19, 0, CAT_GUEST);
	expect(price(ACT_LOCK, 1, 4, 0), 4 * 23, 0, CAT_GUEST);
}

/* device translation is device time, never CPU time */
Test(cost, device_translation_is_device_time)
{
	expect(price(ACT_DEV_XLATE, 0, 0, 16), 0, 16 * 29, CAT_DEVICE);
}

/* a device job on entries its maps wrote: device time, once per action whatever its units
 * (merged maps of one job are one job), nothing when no entry was written */
Test(cost, device_job_once)
{
	set("cost.device_job_tce_ns", "31000");
	expect(price(ACT_DEV_JOB, 0, 0, 1), 0, 31000, CAT_DEVICE);
	expect(price(ACT_DEV_JOB, 0, 0, 3), 0, 31000, CAT_DEVICE);
	expect(price(ACT_DEV_JOB, 0, 0, 0), 0, 0, CAT_DEVICE);
}

/* cost is linear in calls and units: merged actions cost what their parts cost */
Test(cost, merging_keeps_the_cost)
{
	struct actbuf b = { 0 };
	double sum;

	act_hcall(&b, H_PUT_TCE, 1, 1, 0);
	act_hcall(&b, H_PUT_TCE, 2, 2, 0);
	cr_assert_eq(b.n, 1);
	act_share(&b, UV_SHARE_PAGE, 1, 1, 1);
	act_share(&b, UV_SHARE_PAGE, 1, 1, 0);
	cr_assert_eq(b.n, 3, "a share outside a pool does not merge with one inside");
	sum = cost_action(&sc, &b.a[0]).cpu_ns;
	cr_expect_float_eq(sum, price(ACT_HCALL, H_PUT_TCE, 1, 1).cpu_ns +
				     price(ACT_HCALL, H_PUT_TCE, 2, 2).cpu_ns, 1e-9);
	actbuf_free(&b);
}

Test(cost, category_names)
{
	cr_expect_str_eq(category_name(CAT_HCALL), "hcall");
	cr_expect_str_eq(category_name(CAT_DEVICE), "device_xlate");
	cr_expect_str_eq(category_name(CAT__COUNT), "?");
}

/* ---- the operation catalogue (ops.h) ---------------------------------------------------- */

Test(catalogue, numbers_unique_and_in_their_class)
{
	const struct ism_op_info *o, *p;
	unsigned checks = 0;

	for (unsigned i = 0; (o = ism_op_get(i)) != NULL; i++) {
		const struct ism_op_class_info *c = ism_op_class_get(o->cls);

		cr_assert_not_null(c);
		cr_expect_not_null(o->name);
		for (unsigned j = 0; j < i; j++) {
			p = ism_op_get(j);
			cr_expect_neq(p->number, o->number, "%s and %s share 0x%x", p->name, o->name,
				      o->number);
		}
		cr_expect_eq(ism_op_find(o->number), o, "%s", o->name);
		/* the hypercalls numbered 0xF000 and up are named in traces only */
		if (strcmp(o->family, "trace") != 0)
			cr_expect(o->number >= c->first && o->number <= c->last, "%s", o->name);
		if (o->flags & (OPF_COLUMN | OPF_METRIC))
			cr_expect(o->key && o->shrt, "%s: a column or metric needs key and header",
				  o->name);
		/* the slot the switch returns is the row's place among the checked rows */
		cr_expect_eq(ism_op_check_slot(o->number), (o->flags & OPF_CHECK) ? (int)checks : -1,
			     "%s", o->name);
		if (o->flags & OPF_CHECK)
			checks++;
		cr_expect_eq(ism_op_class(o->number), o->cls);
	}
	cr_expect_eq(checks, ISM_OP_CHECK_SLOTS);
	cr_expect_null(ism_op_find(0x12345));
	cr_expect_eq(ism_op_class(0xF1FC), OPC_UCALL, "unknown numbers: by range");
}

/* the hcall check's slots: the order of its messages, PUT/INDIRECT/STUFF */
Test(catalogue, check_slots)
{
	cr_expect_eq(ism_op_check_slot(H_PUT_TCE), 0);
	cr_expect_eq(ism_op_check_slot(H_PUT_TCE_INDIRECT), 1);
	cr_expect_eq(ism_op_check_slot(H_STUFF_TCE), 2);
	cr_expect_eq(ism_op_check_slot(H_GET_TCE), -1);
	cr_expect(ism_op_overhead(H_GET_TCE));
	cr_expect_not(ism_op_overhead(H_CEDE));
	cr_expect_str_eq(ism_op_name(RTAS_REMOVE), "RTAS remove");
	cr_expect_eq(RTAS_QUERY, 0x10001, "RTAS numbered once, in its class");
}

/* the per-operation metrics and columns keep the report's order */
Test(catalogue, columns_in_report_order)
{
	const char *want[] = { "H_PUT_TCE", "H_PUT_TCE_INDIRECT", "H_STUFF_TCE", "UV_SHARE_PAGE",
			       "UV_UNSHARE_PAGE" };
	unsigned n = 0;

	for (unsigned i = 0; ism_op_get(i); i++)
		if (ism_op_get(i)->flags & OPF_COLUMN) {
			cr_assert_lt(n, 5);
			cr_expect_str_eq(ism_op_get(i)->name, want[n]);
			n++;
		}
	cr_expect_eq(n, 5);
}
