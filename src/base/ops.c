/*
 * ops.c: the operation catalogue as data (ops.h).
 */
#include "config.h"

#include <stddef.h>

#include "ops.h"

/* a row with COST(member) is priced by cost.c from that member of struct scenario_cost */
#define COST(member) 1
#define NOCOST 0

static const struct ism_op_info ops[] = {
#define ISM_OP_ROW(id, num, nm, c, u, fam, cost, sh, fl, k, d)                               \
	{ .number = num, .cls = OPC_##c, .flags = fl, .priced = cost, .name = nm,          \
	  .unit = u, .family = fam, .shrt = sh, .key = k, .desc = d },
	ISM_OPS(ISM_OP_ROW)
#undef ISM_OP_ROW
};

static const struct ism_op_class_info classes[] = {
#define ISM_OPC_ROW(id, nm, lo, hi, m, h, col)                                                 \
	{ .name = nm, .first = lo, .last = hi, .metric = m, .help = h, .column = col },
	ISM_OP_CLASSES(ISM_OPC_ROW)
#undef ISM_OPC_ROW
};

const struct ism_op_info *ism_op_get(unsigned i)
{
	return i < sizeof(ops) / sizeof(ops[0]) ? &ops[i] : NULL;
}

/* Row indexes, for a lookup by number that the compiler turns into a jump table or search. */
enum {
#define ISM_OP_IDX(id, num, nm, c, u, fam, cost, sh, fl, k, d) IDX_##id,
	ISM_OPS(ISM_OP_IDX)
#undef ISM_OP_IDX
};

const struct ism_op_info *ism_op_find(uint32_t number)
{
	switch (number) {
#define ISM_OP_CASE(id, num, nm, c, u, fam, cost, sh, fl, k, d) \
	case id:                                                \
		return &ops[IDX_##id];
		ISM_OPS(ISM_OP_CASE)
#undef ISM_OP_CASE
	default:
		return NULL;
	}
}

const char *ism_op_name(uint32_t number)
{
	const struct ism_op_info *o = ism_op_find(number);

	return o ? o->name : NULL;
}

unsigned ism_op_class(uint32_t number)
{
	const struct ism_op_info *o = ism_op_find(number);

	if (o)
		return o->cls;
	for (unsigned c = 0; c < OPC__COUNT; c++)
		if (number >= classes[c].first && number <= classes[c].last)
			return c;
	return OPC_HCALL;
}

const struct ism_op_class_info *ism_op_class_get(unsigned c)
{
	return c < OPC__COUNT ? &classes[c] : NULL;
}

/*
 * Each row's slot among the OPF_CHECK rows, counted by the compiler: CS_<id> is -1 plus the
 * number of OPF_CHECK rows up to and including <id>, so for a checked row it is the count of
 * those before it (its slot, in table order).
 */
enum {
	CS__START = -1,
#define ISM_OP_CS(id, num, nm, c, u, fam, cost, sh, fl, k, d) \
	CS_PRE_##id, CS_##id = CS_PRE_##id - 1 + !!((fl) & OPF_CHECK),
	ISM_OPS(ISM_OP_CS)
#undef ISM_OP_CS
	CS__COUNT
};
_Static_assert(CS__COUNT == ISM_OP_CHECK_SLOTS, "ISM_OP_CHECK_SLOTS is the number of OPF_CHECK rows");

int ism_op_check_slot(uint32_t op)
{
	switch (op) {
#define ISM_OP_CS(id, num, nm, c, u, fam, cost, sh, fl, k, d) \
	case id:                                              \
		return ((fl) & OPF_CHECK) ? CS_##id : -1;
		ISM_OPS(ISM_OP_CS)
#undef ISM_OP_CS
	default:
		return -1;
	}
}

int ism_op_overhead(uint32_t op)
{
	const struct ism_op_info *o = ism_op_find(op);

	return o && (o->flags & OPF_OVERHEAD);
}

uint64_t op_calls(const struct op_stat *ops_, unsigned n, uint32_t lo, uint32_t hi)
{
	uint64_t calls = 0;

	for (unsigned i = 0; i < n; i++)
		if (ops_[i].op >= lo && ops_[i].op <= hi)
			calls += ops_[i].calls;
	return calls;
}
