/*
 * ops.h: the operation catalogue. Every operation a strategy can make or a trace can name
 * (hypercalls, ultracalls, RTAS calls, IOTLB invalidations) is one row of ISM_OPS below, and
 * everything else is generated from it: the opcode constants, the names in traces, reports and
 * timelines, the cost lookup (cost.c), the columns of the report's call table, results.csv and
 * hcalls.csv, and the per-operation metrics (metrics.c). Adding an operation is one row here
 * (plus its cost parameter in scenario.c when it has its own).
 *
 * Numbers: a hypercall keeps its PAPR opcode (arch/powerpc/include/asm/hvcall.h); ultracalls
 * keep theirs (asm/ultravisor-api.h); other operations have no opcode of their own and are
 * numbered here, once, in the range of their class (ISM_OP_CLASSES). The numbers appear in
 * result JSON as "opcode". Base layer: includes nothing of iommusim.
 */
#ifndef ISM_OPS_H
#define ISM_OPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Classes: X(ID, name, first, last, metric, help, column). @first..@last: the numbers of the
 * class in results (the trace-only hypercalls numbered 0xF000 and up never appear in results).
 * @metric: the metric summing the class's calls (metrics.c); @column: a column of the report's
 * call table and of hcalls.csv summing the class (NULL: none).
 */
#define ISM_OP_CLASSES(X)                                                                      \
	X(HCALL, "hcall", 0x0, 0xEFFF, "hcalls", "hypercalls (all opcodes)", NULL)             \
	X(UCALL, "ucall", 0xF000, 0xFFFF, "ucalls", "ultracalls (UV_SHARE/UNSHARE_PAGE)", NULL) \
	X(RTAS, "rtas", 0x10000, 0x1FFFF, "rtas_calls", "RTAS calls", "RTAS")                  \
	X(INVAL, "inval", 0x20000, 0x2FFFF, NULL, NULL, NULL)                                    \
	X(HOSTCALL, "hostcall", 0x30000, 0x3FFFF, NULL, NULL, NULL)

enum ism_op_class {
#define ISM_OPC_ENUM(id, name, lo, hi, metric, help, col) OPC_##id,
	ISM_OP_CLASSES(ISM_OPC_ENUM)
#undef ISM_OPC_ENUM
	OPC__COUNT
};

/* Flags of an operation: where it is shown by itself. */
enum {
	OPF_COLUMN = 1 << 0, /* a column of the call table, results.csv and hcalls.csv */
	OPF_METRIC = 1 << 1, /* a metric NAME_calls (metrics.c) */
	OPF_CHECK = 1 << 2,  /* compared with the trace's hcall events (--check-hcalls), in a slot
			      * of its own (ism_op_check_slot(): table order) */
	OPF_OVERHEAD = 1 << 3, /* a traced call of it is DMA work: its recorded time is overhead
				* the re-timing takes out of the think time */
};
#define ISM_OP_CHECK_SLOTS 3 /* rows with OPF_CHECK (checked by a unit test) */

/*
 * X(ID, number, name, class, unit, family, cost, short, flags, key, desc)
 *   ID      the C constant (enum ism_op);  number  see above
 *   name    in traces, JSON "name", hcalls.csv and the call table's legend
 *   class   OPC_*;  unit  what "entries" counts for it (the per-entry cost's unit)
 *   family  the strategies that make it ("trace": named in traces only, no strategy makes it)
 *   cost    COST(member of struct scenario_cost) or NOCOST (costs a null hypercall)
 *   short   the call table's column header (with OPF_COLUMN)
 *   key     the count's name: the results.csv column and the metric (with OPF_*)
 *   desc    what the timeline shows
 */
#define ISM_OPS(X)                                                                             \
	X(H_REMOVE, 0x04, "H_REMOVE", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)        \
	X(H_ENTER, 0x08, "H_ENTER", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)          \
	X(H_READ, 0x0c, "H_READ", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)            \
	X(H_CLEAR_MOD, 0x10, "H_CLEAR_MOD", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)  \
	X(H_CLEAR_REF, 0x14, "H_CLEAR_REF", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)  \
	X(H_PROTECT, 0x18, "H_PROTECT", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)      \
	X(H_GET_TCE, 0x1c, "H_GET_TCE", HCALL, "TCE", "tce", COST(h_get_tce), NULL,            \
	  OPF_OVERHEAD,                                                                        \
	  "h_get_tce_calls", NULL)                                                             \
	X(H_PUT_TCE, 0x20, "H_PUT_TCE", HCALL, "TCE", "tce", COST(h_put_tce), "PUT_TCE",       \
	  OPF_COLUMN | OPF_METRIC | OPF_CHECK | OPF_OVERHEAD, "h_put_tce_calls", NULL)         \
	X(H_SET_SPRG0, 0x24, "H_SET_SPRG0", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)  \
	X(H_SET_DABR, 0x28, "H_SET_DABR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)    \
	X(H_PAGE_INIT, 0x2c, "H_PAGE_INIT", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)  \
	X(H_SET_ASR, 0x30, "H_SET_ASR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)      \
	X(H_ASR_ON, 0x34, "H_ASR_ON", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)        \
	X(H_ASR_OFF, 0x38, "H_ASR_OFF", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)      \
	X(H_LOGICAL_CI_LOAD, 0x3c, "H_LOGICAL_CI_LOAD", HCALL, "-", "trace", NOCOST, NULL, 0,  \
	  NULL, NULL)                                                                          \
	X(H_LOGICAL_CI_STORE, 0x40, "H_LOGICAL_CI_STORE", HCALL, "-", "trace", NOCOST, NULL, 0, \
	  NULL, NULL)                                                                          \
	X(H_LOGICAL_CACHE_LOAD, 0x44, "H_LOGICAL_CACHE_LOAD", HCALL, "-", "trace", NOCOST, NULL, \
	  0, NULL, NULL)                                                                       \
	X(H_LOGICAL_CACHE_STORE, 0x48, "H_LOGICAL_CACHE_STORE", HCALL, "-", "trace", NOCOST,   \
	  NULL, 0, NULL, NULL)                                                                 \
	X(H_LOGICAL_ICBI, 0x4c, "H_LOGICAL_ICBI", HCALL, "-", "trace", NOCOST, NULL, 0, NULL,  \
	  NULL)                                                                                \
	X(H_LOGICAL_DCBF, 0x50, "H_LOGICAL_DCBF", HCALL, "-", "trace", NOCOST, NULL, 0, NULL,  \
	  NULL)                                                                                \
	X(H_GET_TERM_CHAR, 0x54, "H_GET_TERM_CHAR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, \
	  NULL)                                                                                \
	X(H_PUT_TERM_CHAR, 0x58, "H_PUT_TERM_CHAR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, \
	  NULL)                                                                                \
	X(H_REAL_TO_LOGICAL, 0x5c, "H_REAL_TO_LOGICAL", HCALL, "-", "trace", NOCOST, NULL, 0,  \
	  NULL, NULL)                                                                          \
	X(H_HYPERVISOR_DATA, 0x60, "H_HYPERVISOR_DATA", HCALL, "-", "trace", NOCOST, NULL, 0,  \
	  NULL, NULL)                                                                          \
	X(H_EOI, 0x64, "H_EOI", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)              \
	X(H_CPPR, 0x68, "H_CPPR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)            \
	X(H_IPI, 0x6c, "H_IPI", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)              \
	X(H_IPOLL, 0x70, "H_IPOLL", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)          \
	X(H_XIRR, 0x74, "H_XIRR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)            \
	X(H_MIGRATE_DMA, 0x78, "H_MIGRATE_DMA", HCALL, "-", "trace", NOCOST, NULL, 0, NULL,    \
	  NULL)                                                                                \
	X(H_PERFMON, 0x7c, "H_PERFMON", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)      \
	X(H_REGISTER_VPA, 0xdc, "H_REGISTER_VPA", HCALL, "-", "trace", NOCOST, NULL, 0, NULL,  \
	  NULL)                                                                                \
	X(H_CEDE, 0xe0, "H_CEDE", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)            \
	X(H_CONFER, 0xe4, "H_CONFER", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)        \
	X(H_PROD, 0xe8, "H_PROD", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)            \
	X(H_GET_PPP, 0xec, "H_GET_PPP", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)      \
	X(H_SET_PPP, 0xf0, "H_SET_PPP", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)      \
	X(H_PURR, 0xf4, "H_PURR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)            \
	X(H_PIC, 0xf8, "H_PIC", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)              \
	X(H_REG_CRQ, 0xfc, "H_REG_CRQ", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)      \
	X(H_FREE_CRQ, 0x100, "H_FREE_CRQ", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)   \
	X(H_VIO_SIGNAL, 0x104, "H_VIO_SIGNAL", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL) \
	X(H_SEND_CRQ, 0x108, "H_SEND_CRQ", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)   \
	X(H_COPY_RDMA, 0x110, "H_COPY_RDMA", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL) \
	X(H_REGISTER_LOGICAL_LAN, 0x114, "H_REGISTER_LOGICAL_LAN", HCALL, "-", "trace", NOCOST, \
	  NULL, 0, NULL, NULL)                                                                 \
	X(H_FREE_LOGICAL_LAN, 0x118, "H_FREE_LOGICAL_LAN", HCALL, "-", "trace", NOCOST, NULL, 0, \
	  NULL, NULL)                                                                          \
	X(H_ADD_LOGICAL_LAN_BUFFER, 0x11c, "H_ADD_LOGICAL_LAN_BUFFER", HCALL, "-", "trace",    \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(H_SEND_LOGICAL_LAN, 0x120, "H_SEND_LOGICAL_LAN", HCALL, "-", "trace", NOCOST, NULL, 0, \
	  NULL, NULL)                                                                          \
	X(H_BULK_REMOVE, 0x124, "H_BULK_REMOVE", HCALL, "-", "trace", NOCOST, NULL, 0, NULL,   \
	  NULL)                                                                                \
	X(H_MULTICAST_CTRL, 0x130, "H_MULTICAST_CTRL", HCALL, "-", "trace", NOCOST, NULL, 0,   \
	  NULL, NULL)                                                                          \
	X(H_SET_XDABR, 0x134, "H_SET_XDABR", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL) \
	X(H_PUT_TCE_INDIRECT, 0x13c, "H_PUT_TCE_INDIRECT", HCALL, "TCE", "tce",                \
	  COST(h_put_tce_indirect), "PUT_INDIR",                                               \
	  OPF_COLUMN | OPF_METRIC | OPF_CHECK | OPF_OVERHEAD,                                  \
	  "h_put_tce_indirect_calls", NULL)                                                    \
	X(H_STUFF_TCE, 0x138, "H_STUFF_TCE", HCALL, "TCE", "tce", COST(h_stuff_tce),           \
	  "STUFF_TCE",                                                                         \
	  OPF_COLUMN | OPF_METRIC | OPF_CHECK | OPF_OVERHEAD, "h_stuff_tce_calls", NULL)       \
	X(H_GET_CPU_CHARACTERISTICS, 0x1c8, "H_GET_CPU_CHARACTERISTICS", HCALL, "-", "trace",  \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(H_HOME_NODE_ASSOCIATIVITY, 0x2ec, "H_HOME_NODE_ASSOCIATIVITY", HCALL, "-", "trace",  \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(H_XIRR_X, 0x2fc, "H_XIRR_X", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)       \
	X(H_RANDOM, 0x300, "H_RANDOM", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)       \
	X(H_SET_MODE, 0x31c, "H_SET_MODE", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)   \
	X(H_BLOCK_REMOVE, 0x328, "H_BLOCK_REMOVE", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, \
	  NULL)                                                                                \
	X(H_CLEAR_HPT, 0x358, "H_CLEAR_HPT", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL) \
	X(H_REGISTER_PROC_TBL, 0x37c, "H_REGISTER_PROC_TBL", HCALL, "-", "trace", NOCOST, NULL, \
	  0, NULL, NULL)                                                                       \
	X(H_SIGNAL_SYS_RESET, 0x380, "H_SIGNAL_SYS_RESET", HCALL, "-", "trace", NOCOST, NULL, 0, \
	  NULL, NULL)                                                                          \
	X(H_INT_GET_SOURCE_INFO, 0x3a8, "H_INT_GET_SOURCE_INFO", HCALL, "-", "trace", NOCOST,  \
	  NULL, 0, NULL, NULL)                                                                 \
	X(H_INT_SET_SOURCE_CONFIG, 0x3ac, "H_INT_SET_SOURCE_CONFIG", HCALL, "-", "trace",      \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(H_INT_GET_SOURCE_CONFIG, 0x3b0, "H_INT_GET_SOURCE_CONFIG", HCALL, "-", "trace",      \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(H_INT_GET_QUEUE_INFO, 0x3b4, "H_INT_GET_QUEUE_INFO", HCALL, "-", "trace", NOCOST,    \
	  NULL, 0, NULL, NULL)                                                                 \
	X(H_INT_SET_QUEUE_CONFIG, 0x3b8, "H_INT_SET_QUEUE_CONFIG", HCALL, "-", "trace", NOCOST, \
	  NULL, 0, NULL, NULL)                                                                 \
	X(H_INT_GET_QUEUE_CONFIG, 0x3bc, "H_INT_GET_QUEUE_CONFIG", HCALL, "-", "trace", NOCOST, \
	  NULL, 0, NULL, NULL)                                                                 \
	X(H_INT_SET_OS_REPORTING_LINE, 0x3c0, "H_INT_SET_OS_REPORTING_LINE", HCALL, "-",       \
	  "trace", NOCOST, NULL, 0, NULL, NULL)                                                \
	X(H_INT_GET_OS_REPORTING_LINE, 0x3c4, "H_INT_GET_OS_REPORTING_LINE", HCALL, "-",       \
	  "trace", NOCOST, NULL, 0, NULL, NULL)                                                \
	X(H_INT_ESB, 0x3c8, "H_INT_ESB", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)     \
	X(H_INT_SYNC, 0x3cc, "H_INT_SYNC", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)   \
	X(H_INT_RESET, 0x3d0, "H_INT_RESET", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL) \
	X(H_RPT_INVALIDATE, 0x448, "H_RPT_INVALIDATE", HCALL, "-", "trace", NOCOST, NULL, 0,   \
	  NULL, NULL)                                                                          \
	X(H_GET_ENERGY_SCALE_INFO, 0x450, "H_GET_ENERGY_SCALE_INFO", HCALL, "-", "trace",      \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(H_WATCHDOG, 0x45c, "H_WATCHDOG", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)   \
	X(H_SVM_PAGE_IN, 0xef00, "H_SVM_PAGE_IN", HCALL, "-", "trace", NOCOST, NULL, 0, NULL,  \
	  NULL)                                                                                \
	X(H_SVM_PAGE_OUT, 0xef04, "H_SVM_PAGE_OUT", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, \
	  NULL)                                                                                \
	X(H_SVM_INIT_START, 0xef08, "H_SVM_INIT_START", HCALL, "-", "trace", NOCOST, NULL, 0,  \
	  NULL, NULL)                                                                          \
	X(H_SVM_INIT_DONE, 0xef0c, "H_SVM_INIT_DONE", HCALL, "-", "trace", NOCOST, NULL, 0,    \
	  NULL, NULL)                                                                          \
	X(H_SVM_INIT_ABORT, 0xef14, "H_SVM_INIT_ABORT", HCALL, "-", "trace", NOCOST, NULL, 0,  \
	  NULL, NULL)                                                                          \
	X(H_RTAS, 0xf000, "H_RTAS", HCALL, "-", "trace", NOCOST, NULL, 0, NULL, NULL)          \
	X(H_GET_24X7_CATALOG_PAGE, 0xf078, "H_GET_24X7_CATALOG_PAGE", HCALL, "-", "trace",     \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(H_GET_24X7_DATA, 0xf07c, "H_GET_24X7_DATA", HCALL, "-", "trace", NOCOST, NULL, 0,    \
	  NULL, NULL)                                                                          \
	X(H_GET_PERF_COUNTER_INFO, 0xf080, "H_GET_PERF_COUNTER_INFO", HCALL, "-", "trace",     \
	  NOCOST, NULL, 0, NULL, NULL)                                                         \
	X(UV_SHARE_PAGE, 0xF130, "UV_SHARE_PAGE", UCALL, "page", "svm", COST(uv_share_page),   \
	  "UV_SHARE", OPF_COLUMN, "uv_share_page_calls", NULL)                                 \
	X(UV_UNSHARE_PAGE, 0xF134, "UV_UNSHARE_PAGE", UCALL, "page", "svm",                    \
	  COST(uv_unshare_page), "UV_UNSHARE", OPF_COLUMN, "uv_unshare_page_calls", NULL)      \
	X(RTAS_QUERY, 0x10001, "RTAS query", RTAS, "call", "ddw", COST(rtas_query), NULL, 0,   \
	  "rtas_query_calls", "RTAS ibm,query-pe-dma-window")                                  \
	X(RTAS_CREATE, 0x10002, "RTAS create", RTAS, "call", "ddw", COST(rtas_create), NULL, 0, \
	  "rtas_create_calls", "RTAS ibm,create-pe-dma-window")                                \
	X(RTAS_REMOVE, 0x10003, "RTAS remove", RTAS, "call", "ddw", COST(rtas_remove), NULL, 0, \
	  "rtas_remove_calls", "RTAS ibm,remove-pe-dma-window")                                \
	X(IOTLB_SYNC, 0x20001, "IOTLB sync", INVAL, "page", "iommu-dma", COST(iotlb_sync), NULL, \
	  0, NULL, "iommu_iotlb_sync (range, waited for)")                                     \
	X(IOTLB_FLUSH_ALL, 0x20002, "IOTLB flush-all", INVAL, "-", "iommu-dma",                 \
	  COST(iotlb_flush_all), NULL, 0, NULL, "flush_iotlb_all (flush queue)")                 \
	X(IOTLB_SYNC_MAP, 0x20003, "IOTLB sync at map", INVAL, "page", "iommu-dma",             \
	  COST(iotlb_sync_map), NULL, 0, NULL, "iotlb_sync_map (VT-d caching mode)")             \
	X(MEM_SHARE, 0x30001, "MEM_SHARE", HOSTCALL, "page", "pkvm-guest, template",             \
	  COST(pkvm_mem_share), NULL, 0, NULL, "MEM_SHARE (share a granule with the host)")        \
	X(MEM_UNSHARE, 0x30002, "MEM_UNSHARE", HOSTCALL, "page", "pkvm-guest, template",         \
	  COST(pkvm_mem_unshare), NULL, 0, NULL, "MEM_UNSHARE")                                    \
	X(PKVM_MAP_PAGES, 0x30003, "pkvm map_pages", HOSTCALL, "page", "pkvm",                    \
	  COST(pkvm_map_pages), NULL, 0, NULL, "pKVM IOMMU map_pages hypercall (one range)")       \
	X(PKVM_UNMAP_PAGES, 0x30004, "pkvm unmap_pages", HOSTCALL, "page", "pkvm",                \
	  COST(pkvm_unmap_pages), NULL, 0, NULL, "pKVM IOMMU unmap_pages hypercall (one range)")   \
	X(PKVM_PAGE_SHARE, 0x30005, "pkvm host_share_dma", HOSTCALL, "page", "pkvm",              \
	  COST(pkvm_page_share), NULL, 0, NULL, "__pkvm_host_share_dma page-state change")         \
	X(PKVM_PAGE_UNSHARE, 0x30006, "pkvm host_unshare_dma", HOSTCALL, "page", "pkvm",          \
	  COST(pkvm_page_unshare), NULL, 0, NULL, "__pkvm_host_unshare_dma page-state change") \
	X(XEN_IOMMU_OP, 0x30101, "xen iommu_op", HOSTCALL, "op", "xen-pv-iommu",                  \
	  COST(xen_iommu_op), NULL, 0, NULL, "Xen PV-IOMMU iommu_op hypercall (an array of ops)") \
	X(TDX_MAP_GPA, 0x30201, "TDX MapGPA", HOSTCALL, "page", "cc-shared", COST(tdx_map_gpa),   \
	  NULL, 0, NULL, "TDG.VP.VMCALL<MapGPA>: a range converted private<->shared")             \
	X(TDX_PAGE_ACCEPT, 0x30202, "TDG.MEM.PAGE.ACCEPT", HOSTCALL, "page", "cc-shared",        \
	  COST(tdx_page_accept), NULL, 0, NULL, "TDG.MEM.PAGE.ACCEPT: a page made private again")  \
	X(SNP_PSC, 0x30203, "SNP page-state change", HOSTCALL, "page", "cc-shared",              \
	  COST(snp_psc), NULL, 0, NULL, "SEV-SNP GHCB page-state change (up to 64 entries)")     \
	X(SNP_PVALIDATE, 0x30204, "SNP PVALIDATE", HOSTCALL, "page", "cc-shared",                \
	  COST(snp_pvalidate), NULL, 0, NULL, "PVALIDATE of a page (validate or rescind)")       \
	X(CCA_IPA_STATE_SET, 0x30205, "RSI_IPA_STATE_SET", HOSTCALL, "page", "cc-shared",        \
	  COST(cca_ipa_state_set), NULL, 0, NULL, "Arm CCA RSI_IPA_STATE_SET: a range's RIPAS") \
	X(PKVM_IDMAP, 0x30206, "pkvm identity stage-2", HOSTCALL, "entry", "pkvm",               \
	  COST(pkvm_idmap), NULL, 0, NULL, "pKVM v3: all host RAM mapped in the SMMU stage 2 at boot")

enum ism_op {
#define ISM_OP_ENUM(id, num, name, cls, unit, fam, cost, shrt, flags, key, desc) id = num,
	ISM_OPS(ISM_OP_ENUM)
#undef ISM_OP_ENUM
};

/* One row of the catalogue, as data. */
struct ism_op_info {
	uint32_t number;
	unsigned cls;         /* enum ism_op_class */
	unsigned flags;       /* OPF_* */
	int priced;           /* it has cost parameters of its own (COST) */
	const char *name, *unit, *family, *shrt, *key, *desc;
};

/* The catalogue in table order; NULL past the end. */
const struct ism_op_info *ism_op_get(unsigned i);
/* The row of operation @number, or NULL. */
const struct ism_op_info *ism_op_find(uint32_t number);
/* The name of operation @number, or NULL when the catalogue lacks it. */
const char *ism_op_name(uint32_t number);
/* The class an operation number belongs to (by its row, else by the classes' ranges). */
unsigned ism_op_class(uint32_t number);
/* Class @c: name, numbers, metric, help, column header (NULLs as in ISM_OP_CLASSES). */
struct ism_op_class_info {
	const char *name;
	uint32_t first, last;
	const char *metric, *help, *column;
};
const struct ism_op_class_info *ism_op_class_get(unsigned c);

/* The slot of @op among the OPF_CHECK rows (0..ISM_OP_CHECK_SLOTS-1), or -1. */
int ism_op_check_slot(uint32_t op);
/* Whether @op has OPF_OVERHEAD. */
int ism_op_overhead(uint32_t op);

/* Tallies of operations by number (a run's results). */
struct op_stat {
	uint32_t op;
	uint64_t calls, units;
	double ns;
};
/* Calls of the operations numbered @lo..@hi in @ops[0..n). */
uint64_t op_calls(const struct op_stat *ops, unsigned n, uint32_t lo, uint32_t hi);

#endif
