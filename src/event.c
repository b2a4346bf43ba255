/*
 * event.c: names of event kinds, DMA directions and powerpc hypercall opcodes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "event.h"

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

/* arch/powerpc/include/asm/hvcall.h (and ultravisor/SVM numbers from DOMAIN.md 3.2) */
static const struct {
	uint64_t op;
	const char *name;
} hcalls[] = {
	{ 0x04, "H_REMOVE" },
	{ 0x08, "H_ENTER" },
	{ 0x0c, "H_READ" },
	{ 0x10, "H_CLEAR_MOD" },
	{ 0x14, "H_CLEAR_REF" },
	{ 0x18, "H_PROTECT" },
	{ 0x1c, "H_GET_TCE" },
	{ 0x20, "H_PUT_TCE" },
	{ 0x24, "H_SET_SPRG0" },
	{ 0x28, "H_SET_DABR" },
	{ 0x2c, "H_PAGE_INIT" },
	{ 0x30, "H_SET_ASR" },
	{ 0x34, "H_ASR_ON" },
	{ 0x38, "H_ASR_OFF" },
	{ 0x3c, "H_LOGICAL_CI_LOAD" },
	{ 0x40, "H_LOGICAL_CI_STORE" },
	{ 0x44, "H_LOGICAL_CACHE_LOAD" },
	{ 0x48, "H_LOGICAL_CACHE_STORE" },
	{ 0x4c, "H_LOGICAL_ICBI" },
	{ 0x50, "H_LOGICAL_DCBF" },
	{ 0x54, "H_GET_TERM_CHAR" },
	{ 0x58, "H_PUT_TERM_CHAR" },
	{ 0x5c, "H_REAL_TO_LOGICAL" },
	{ 0x60, "H_HYPERVISOR_DATA" },
	{ 0x64, "H_EOI" },
	{ 0x68, "H_CPPR" },
	{ 0x6c, "H_IPI" },
	{ 0x70, "H_IPOLL" },
	{ 0x74, "H_XIRR" },
	{ 0x78, "H_MIGRATE_DMA" },
	{ 0x7c, "H_PERFMON" },
	{ 0xdc, "H_REGISTER_VPA" },
	{ 0xe0, "H_CEDE" },
	{ 0xe4, "H_CONFER" },
	{ 0xe8, "H_PROD" },
	{ 0xec, "H_GET_PPP" },
	{ 0xf0, "H_SET_PPP" },
	{ 0xf4, "H_PURR" },
	{ 0xf8, "H_PIC" },
	{ 0xfc, "H_REG_CRQ" },
	{ 0x100, "H_FREE_CRQ" },
	{ 0x104, "H_VIO_SIGNAL" },
	{ 0x108, "H_SEND_CRQ" },
	{ 0x110, "H_COPY_RDMA" },
	{ 0x114, "H_REGISTER_LOGICAL_LAN" },
	{ 0x118, "H_FREE_LOGICAL_LAN" },
	{ 0x11c, "H_ADD_LOGICAL_LAN_BUFFER" },
	{ 0x120, "H_SEND_LOGICAL_LAN" },
	{ 0x124, "H_BULK_REMOVE" },
	{ 0x130, "H_MULTICAST_CTRL" },
	{ 0x134, "H_SET_XDABR" },
	{ 0x138, "H_STUFF_TCE" },
	{ 0x13c, "H_PUT_TCE_INDIRECT" },
	{ 0x1c8, "H_GET_CPU_CHARACTERISTICS" },
	{ 0x2ec, "H_HOME_NODE_ASSOCIATIVITY" },
	{ 0x2fc, "H_XIRR_X" },
	{ 0x300, "H_RANDOM" },
	{ 0x31c, "H_SET_MODE" },
	{ 0x328, "H_BLOCK_REMOVE" },
	{ 0x358, "H_CLEAR_HPT" },
	{ 0x37c, "H_REGISTER_PROC_TBL" },
	{ 0x380, "H_SIGNAL_SYS_RESET" },
	{ 0x3a8, "H_INT_GET_SOURCE_INFO" },
	{ 0x3ac, "H_INT_SET_SOURCE_CONFIG" },
	{ 0x3b0, "H_INT_GET_SOURCE_CONFIG" },
	{ 0x3b4, "H_INT_GET_QUEUE_INFO" },
	{ 0x3b8, "H_INT_SET_QUEUE_CONFIG" },
	{ 0x3bc, "H_INT_GET_QUEUE_CONFIG" },
	{ 0x3c0, "H_INT_SET_OS_REPORTING_LINE" },
	{ 0x3c4, "H_INT_GET_OS_REPORTING_LINE" },
	{ 0x3c8, "H_INT_ESB" },
	{ 0x3cc, "H_INT_SYNC" },
	{ 0x3d0, "H_INT_RESET" },
	{ 0x448, "H_RPT_INVALIDATE" },
	{ 0x450, "H_GET_ENERGY_SCALE_INFO" },
	{ 0x45c, "H_WATCHDOG" },
	{ 0xef00, "H_SVM_PAGE_IN" },
	{ 0xef04, "H_SVM_PAGE_OUT" },
	{ 0xef08, "H_SVM_INIT_START" },
	{ 0xef0c, "H_SVM_INIT_DONE" },
	{ 0xef14, "H_SVM_INIT_ABORT" },
	{ 0xf000, "H_RTAS" },
	{ 0xf078, "H_GET_24X7_CATALOG_PAGE" },
	{ 0xf07c, "H_GET_24X7_DATA" },
	{ 0xf080, "H_GET_PERF_COUNTER_INFO" },
};

const char *ism_hcall_name(uint64_t opcode)
{
	for (size_t i = 0; i < sizeof(hcalls) / sizeof(hcalls[0]); i++)
		if (hcalls[i].op == opcode)
			return hcalls[i].name;
	return NULL;
}

int ism_hcall_from_name(const char *name, uint64_t *opcode)
{
	for (size_t i = 0; i < sizeof(hcalls) / sizeof(hcalls[0]); i++)
		if (strcmp(hcalls[i].name, name) == 0) {
			*opcode = hcalls[i].op;
			return 0;
		}
	return -1;
}
