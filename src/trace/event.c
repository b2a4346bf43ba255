/*
 * event.c: names of event kinds, DMA directions and powerpc hypercall opcodes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "ops.h"

static const char *const kind_names[] = {
#define ISM_KIND_NAME(n, v, l) [v] = l,
	ISM_KINDS(ISM_KIND_NAME)
#undef ISM_KIND_NAME
};

const char *ism_kind_name(unsigned kind)
{
	if (kind >= ISM_EV__COUNT || !kind_names[kind])
		return "invalid";
	return kind_names[kind];
}

int ism_kind_from_name(const char *name)
{
	for (unsigned k = 0; k < ISM_EV__COUNT; k++)
		if (kind_names[k] && strcmp(kind_names[k], name) == 0)
			return (int)k;
	return -1;
}

static const char *const dir_names[] = {
	"BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE", "NONE", "UNKNOWN",
};

const char *ism_dir_name(unsigned dir)
{
	return dir < 5 ? dir_names[dir] : "INVALID";
}

int ism_dir_from_name(const char *s, size_t len)
{
	for (unsigned d = 0; d < 5; d++)
		if (strlen(dir_names[d]) == len && memcmp(dir_names[d], s, len) == 0)
			return (int)d;
	return -1;
}

/* hypercall names come from the operation catalogue (ops.h: hvcall.h's numbers) */
const char *ism_hcall_name(uint64_t opcode)
{
	const struct ism_op_info *o = opcode <= UINT32_MAX ? ism_op_find((uint32_t)opcode) : NULL;

	return o && o->cls == OPC_HCALL ? o->name : NULL;
}

int ism_hcall_from_name(const char *name, uint64_t *opcode)
{
	const struct ism_op_info *o;

	for (unsigned i = 0; (o = ism_op_get(i)) != NULL; i++)
		if (o->cls == OPC_HCALL && strcmp(o->name, name) == 0) {
			*opcode = o->number;
			return 0;
		}
	return -1;
}
