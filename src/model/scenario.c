/*
 * scenario.c: the scenario parameter table (one row per field of struct scenario, with the
 * source of every default) and the strict JSON loader built on param.c. The file format is
 * specified in iommusim-scenario(5); keep the man page in step with the table (a unit test
 * checks that it names every path).
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonpos.h"
#include "param.h"
#include "scenario.h"
#include "scenario-find.h"
#include "util.h"

#define SCENARIO_MAX_BYTES (16u << 20) /* a scenario file larger than this is a mistake */

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

#define M(f) offsetof(struct scenario, machine.f)
#define C(f) offsetof(struct scenario, cost.f)
#define S(f) offsetof(struct scenario, sim.f)

/* Assumed figures: a generic KVM-on-POWER9 guest; scenario files override them. */
#define SRC_NULL_HCALL "DOMAIN.md 4.1: POWER9 null hcall 6319 cycles = ~2.1 us at an assumed 3 GHz"
#define SRC_ASSUMED "assumption"
#define SRC_INVAL "none: not priced unless the scenario sets it (DOMAIN.md 4.4, 6.1 give figures)"
#define SRC_PKVM "DOMAIN.md 4.3: dma_map_benchmark on Morello, pKVM minus kernel driver"
#define SRC_PKVM_HVC "DOMAIN.md 4.3: a pKVM hypercall round trip on Morello (0.3 - 0.1 us)"
#define SRC_UV "assumption (NOT FOUND in DOMAIN.md 4.1)"
#define SRC_MULTITCE "DOMAIN.md 1.1/1.2: QEMU offers hcall-multi-tce; multitce=off clears it"

static const uint64_t page_sizes[] = { 4 * KiB, 64 * KiB, 0 };

/* LoPAR DDW page-size bits (DOMAIN.md 1.0): 4K 64K 2M 16M 32M 64M 128M 256M 16G. */
#define DDW_PAGE_BITS (UINT64_C(1) << 12 | UINT64_C(1) << 16 | UINT64_C(1) << 21 | \
		       UINT64_C(1) << 24 | UINT64_C(1) << 25 | UINT64_C(1) << 26 | \
		       UINT64_C(1) << 27 | UINT64_C(1) << 28 | UINT64_C(1) << 34)

static int check_ddw_page_mask(uint64_t v, char **why)
{
	uint64_t bad = v & ~DDW_PAGE_BITS;

	if (!bad)
		return 0;
	*why = xasprintf("has bit %d set, which is no DDW page size (bits 12, 16, 21, 24-28, 34: "
			 "4K 64K 2M 16M 32M 64M 128M 256M 16G)", __builtin_ctzll(bad));
	return 1;
}

static int check_low_mask(uint64_t v, char **why)
{
	if ((v & (v + 1)) == 0)
		return 0;
	*why = xstrdup("is not a mask of low bits (2^n - 1, e.g. 4095)");
	return 1;
}

/* One hypercall/ultracall/RTAS call: fixed cost per call and cost per entry. */
#define CALL(name, what, entry, fixed, per, src_fixed, src_per)                                   \
	{ .path = "cost." #name ".fixed_ns", .type = PARAM_DOUBLE, .offset = C(name.fixed_ns),    \
	  .min = 0, .max = 1e12, .def.d = fixed, .unit = "ns", .source = src_fixed,               \
	  .help = what ": fixed cost per call" },                                                 \
	{ .path = "cost." #name ".per_entry_ns", .type = PARAM_DOUBLE,                            \
	  .offset = C(name.per_entry_ns), .min = 0, .max = 1e12, .def.d = per, .unit = "ns",      \
	  .source = src_per, .help = what ": cost per " entry }

/* A guest or device cost in ns, 0..1e12. */
#define NS(name, dflt, src, text)                                                                 \
	{ .path = "cost." #name, .type = PARAM_DOUBLE, .offset = C(name), .min = 0, .max = 1e12,  \
	  .def.d = dflt, .unit = "ns", .source = src, .help = text }

static const struct param scenario_tab[] = {
	{ .path = "name", .type = PARAM_STRING, .offset = offsetof(struct scenario, name),
	  .def.s = "", .unit = "", .source = "none (set per file)",
	  .help = "short name shown in reports; empty = the file name without .json" },
	{ .path = "description", .type = PARAM_STRING,
	  .offset = offsetof(struct scenario, description), .def.s = "", .unit = "",
	  .source = "none (set per file)",
	  .help = "free text: what machine this is and where its numbers come from" },

	/* ---- machine ---- */
	{ .path = "machine.arch", .type = PARAM_STRING, .offset = M(arch), .def.s = "pseries",
	  .unit = "", .source = "the project's first machine (CAPTURE.md: QEMU pseries)",
	  .help = "the guest's architecture: pseries, x86, arm64; compare replays by default the "
		  "strategies it allows" },
	{ .path = "machine.cpus", .type = PARAM_U64, .offset = M(cpus), .min = 1, .max = 4096,
	  .def.u = 2, .unit = "CPUs", .source = "CAPTURE.md: QEMU -smp 2",
	  .help = "guest CPUs (swiotlb areas, IOMMU pool hash, per-CPU TCE pages)" },
	{ .path = "machine.ram_bytes", .type = PARAM_SIZE, .offset = M(ram_bytes),
	  .min = (double)(16 * MiB), .max = (double)(64 * TiB), .def.u = 2 * GiB, .unit = "bytes",
	  .source = "CAPTURE.md: QEMU -m 2G", .help = "guest RAM at boot" },
	{ .path = "machine.max_ram_bytes", .type = PARAM_SIZE, .flags = PARAM_ZERO,
	  .offset = M(max_ram_bytes), .min = (double)(16 * MiB), .max = (double)(64 * TiB),
	  .def.u = 4 * GiB, .unit = "bytes",
	  .source = "CAPTURE.md: QEMU maxmem=4G (sizes the DDW, DOMAIN.md 1.5 step 5)",
	  .help = "RAM including hotplug (maxmem), which sizes the DDW; 0 = ram_bytes; "
		  "must not be below ram_bytes" },
	{ .path = "machine.page_bytes", .type = PARAM_SIZE, .offset = M(page_bytes),
	  .min = (double)(4 * KiB), .max = (double)(64 * KiB), .def.u = 4 * KiB, .unit = "bytes",
	  .allowed = page_sizes,
	  .source = "CAPTURE.md: Debian ppc64el default kernel flavour (a -64k flavour exists)",
	  .help = "kernel PAGE_SIZE: 4KiB or 64KiB" },
	{ .path = "machine.dma_mask_bits", .type = PARAM_U64, .offset = M(dma_mask_bits),
	  .min = 24, .max = 64, .def.u = 64, .unit = "bits",
	  .source = "CAPTURE.md: the traced devices got a DDW, which needs a 64-bit mask "
		    "(DOMAIN.md 1.5)",
	  .help = "the devices' streaming DMA mask; only 64 may use a DDW" },
	{ .path = "machine.window32_bytes", .type = PARAM_SIZE, .offset = M(window32_bytes),
	  .min = (double)MiB, .max = (double)(4 * GiB), .def.u = GiB, .unit = "bytes",
	  .source = "DOMAIN.md 1.5: QEMU SPAPR_PCI_DMA32_SIZE (PowerVM: firmware-defined; "
		    "2 GiB classic)",
	  .help = "size of the default 32-bit DMA window; a multiple of window32_tce_bytes" },
	{ .path = "machine.window32_tce_bytes", .type = PARAM_SIZE, .flags = PARAM_POW2,
	  .offset = M(window32_tce_bytes), .min = (double)(4 * KiB), .max = (double)(16 * MiB),
	  .def.u = 4 * KiB, .unit = "bytes", .source = "DOMAIN.md 1.0: IOMMU_PAGE_SHIFT_4K",
	  .help = "TCE (IOMMU page) size of the default window" },
	{ .path = "machine.vio_table_entries", .type = PARAM_U64, .offset = M(vio_table_entries),
	  .min = 0, .max = 4294967296.0, .def.u = 65536, .unit = "TCEs",
	  .source = "CAPTURE.md: VIO bus TCE table, cleared at boot",
	  .help = "entries of the VIO bus TCE table cleared at boot; 0 = none" },
	{ .path = "machine.default_windows", .type = PARAM_U64, .offset = M(default_windows),
	  .min = 0, .max = 1024, .def.u = 1, .unit = "windows",
	  .source = "CAPTURE.md: all PCI devices on one PHB = one PE",
	  .help = "PEs, each with a default window cleared at boot" },
	{ .path = "machine.ddw_enabled", .type = PARAM_BOOL, .offset = M(ddw_enabled), .def.b = 1,
	  .unit = "", .source = "CAPTURE.md: QEMU 7.2 pseries offers DDW and Linux 6.12 uses it",
	  .help = "firmware offers dynamic DMA windows and the kernel uses them (not disable_ddw)" },
	{ .path = "machine.ddw_page_mask", .type = PARAM_HEX, .offset = M(ddw_page_mask),
	  .min = 0, .max = PARAM_U64_MAX,
	  .def.u = UINT64_C(1) << 12 | UINT64_C(1) << 16 | UINT64_C(1) << 21 | UINT64_C(1) << 24,
	  .check = check_ddw_page_mask, .unit = "mask",
	  .source = "CAPTURE.md: QEMU offers 4K|64K|2M|16M",
	  .help = "DDW page sizes the firmware offers: bit n = 2^n bytes; the largest is used" },
	{ .path = "machine.ddw_windows_available", .type = PARAM_U64,
	  .offset = M(ddw_windows_available), .min = 0, .max = 64, .def.u = 1, .unit = "windows",
	  .source = "DOMAIN.md 1.5: QEMU answers 2 - active windows (the default one is active)",
	  .help = "windows_available answered by ibm,query-pe-dma-window" },
	{ .path = "machine.ddw_largest_block_tces", .type = PARAM_U64,
	  .offset = M(ddw_largest_block_tces), .min = 0, .max = PARAM_U64_MAX, .def.u = 0,
	  .unit = "TCEs",
	  .source = "assumption: unlimited (QEMU answers 0x80000000, DOMAIN.md 1.5)",
	  .help = "largest_available_block of the query; 0 = unlimited; too small a block gives "
		  "an indirect DDW" },
	{ .path = "machine.ddw_window_base", .type = PARAM_HEX, .offset = M(ddw_window_base),
	  .min = 0, .max = PARAM_U64_MAX, .def.u = UINT64_C(0x0800000000000000),
	  .unit = "bus address", .source = "CAPTURE.md: DDW created at 0x0800000000000000",
	  .help = "bus address where the DDW starts" },
	{ .path = "machine.put_tce_indirect", .type = PARAM_BOOL, .offset = M(put_tce_indirect),
	  .def.b = 1, .unit = "", .source = SRC_MULTITCE,
	  .help = "FW_FEATURE_PUT_TCE_IND: H_PUT_TCE_INDIRECT is available (a secure VM clears it)" },
	{ .path = "machine.stuff_tce", .type = PARAM_BOOL, .offset = M(stuff_tce), .def.b = 1,
	  .unit = "", .source = SRC_MULTITCE,
	  .help = "FW_FEATURE_STUFF_TCE: H_STUFF_TCE is available" },
	{ .path = "machine.max_tces_per_call", .type = PARAM_U64, .offset = M(max_tces_per_call),
	  .min = 1, .max = 512, .def.u = 512, .unit = "TCEs",
	  .source = "DOMAIN.md 1.2: PAPR 2.12 (4 KiB TCE page / 8 bytes)",
	  .help = "TCEs per H_PUT_TCE_INDIRECT or H_STUFF_TCE call" },
	{ .path = "machine.secure_vm", .type = PARAM_BOOL, .offset = M(secure_vm), .def.b = 0,
	  .unit = "", .source = "DOMAIN.md 2 (off: a normal guest)",
	  .help = "POWER secure VM (PEF): PUT_TCE_IND cleared, swiotlb forced and shared" },
	{ .path = "machine.swiotlb_bytes", .type = PARAM_SIZE, .flags = PARAM_POOL,
	  .offset = M(swiotlb_bytes),
	  .min = (double)MiB, .max = (double)(64 * GiB), .multiple = 2 * KiB, .def.u = 64 * MiB,
	  .unit = "bytes", .source = "DOMAIN.md 1.4: IO_TLB_DEFAULT_SIZE",
	  .help = "swiotlb pool size, in 2 KiB slots (IO_TLB_SIZE)" },
	{ .path = "machine.swiotlb_areas", .type = PARAM_U64, .flags = PARAM_ZERO | PARAM_POW2,
	  .offset = M(swiotlb_areas), .min = 1, .max = 4096, .def.u = 0, .unit = "areas",
	  .source = "DOMAIN.md 1.4: num_possible_cpus() rounded up to a power of two",
	  .help = "swiotlb areas (one lock each); 0 = CPUs rounded up to a power of two" },
	{ .path = "machine.swiotlb_force", .type = PARAM_BOOL, .offset = M(swiotlb_force),
	  .def.b = 0, .unit = "", .source = "DOMAIN.md 1.4 (off unless swiotlb=force)",
	  .help = "swiotlb=force: bounce every streaming map (secure_vm implies it)" },
	{ .path = "machine.swiotlb_dynamic", .type = PARAM_BOOL, .offset = M(swiotlb_dynamic),
	  .def.b = 0, .unit = "", .source = "assumption: CONFIG_SWIOTLB_DYNAMIC off",
	  .help = "CONFIG_SWIOTLB_DYNAMIC: grow the pool when it is full (DOMAIN.md 1.4)" },
	{ .path = "machine.min_align_mask", .type = PARAM_U64, .offset = M(min_align_mask),
	  .min = 0, .max = 65535, .def.u = 0, .check = check_low_mask, .unit = "mask",
	  .source = "assumption (NVMe uses 4095)",
	  .help = "dma_get_min_align_mask() of the devices: swiotlb keeps these offset bits" },
	{ .path = "machine.novmerge", .type = PARAM_BOOL, .offset = M(novmerge), .def.b = 0,
	  .unit = "", .source = "DOMAIN.md 1.0: map_sg merges unless iommu=novmerge",
	  .help = "iommu=novmerge: map_sg does not merge segments" },
	{ .path = "machine.max_seg_bytes", .type = PARAM_SIZE, .offset = M(max_seg_bytes),
	  .min = (double)(4 * KiB), .max = 4294967295.0, .def.u = 64 * KiB, .unit = "bytes",
	  .source = "Linux pci_device_add(): dma_set_max_seg_size(64K)",
	  .help = "dma_get_max_seg_size() of the devices: map_sg merges segments up to this" },

	/* ---- cost ---- */
	CALL(h_put_tce, "H_PUT_TCE", "TCE", 2100, 0, SRC_NULL_HCALL, SRC_ASSUMED),
	CALL(h_put_tce_indirect, "H_PUT_TCE_INDIRECT", "TCE", 2100, 50, SRC_NULL_HCALL,
	     SRC_ASSUMED),
	CALL(h_stuff_tce, "H_STUFF_TCE", "TCE", 2100, 20, SRC_NULL_HCALL, SRC_ASSUMED),
	CALL(h_get_tce, "H_GET_TCE (and other hcalls)", "TCE", 2100, 0, SRC_NULL_HCALL,
	     SRC_ASSUMED),
	CALL(uv_share_page, "UV_SHARE_PAGE ultracall", "page", 10000, 1000, SRC_UV, SRC_UV),
	CALL(uv_unshare_page, "UV_UNSHARE_PAGE ultracall", "page", 10000, 1000, SRC_UV, SRC_UV),
	CALL(rtas_query, "RTAS ibm,query-pe-dma-window", "entry", 100000, 0, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(rtas_create, "RTAS ibm,create-pe-dma-window", "entry", 1000000, 0, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(rtas_remove, "RTAS ibm,remove-pe-dma-window", "entry", 100000, 0, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(pkvm_map_pages, "pKVM map_pages hypercall", "page", 200, 6, SRC_PKVM, SRC_PKVM),
	CALL(pkvm_unmap_pages, "pKVM unmap_pages hypercall", "page", 600, 20, SRC_PKVM, SRC_PKVM),
	CALL(pkvm_page_share, "pKVM v1 page share (state change)", "page", 0, 100, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(pkvm_page_unshare, "pKVM v1 page unshare (state change)", "page", 0, 100, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(iotlb_sync, "IOTLB invalidation of a range after an unmap, waited for (strict)",
	     "page", 0, 0, SRC_INVAL, SRC_INVAL),
	CALL(iotlb_flush_all, "IOTLB flush of a whole domain (the flush queue's flush_iotlb_all)",
	     "-", 0, 0, SRC_INVAL, SRC_INVAL),
	CALL(iotlb_sync_map, "IOTLB flush after a map (iotlb_sync_map: VT-d caching mode)", "page",
	     0, 0, SRC_INVAL, SRC_INVAL),
	CALL(xen_iommu_op, "Xen PV-IOMMU iommu_op hypercall (entry, incl. its IOTLB flush)", "op",
	     1500, 100, SRC_ASSUMED, SRC_ASSUMED),
	CALL(tdx_map_gpa, "TDX MapGPA (TDG.VP.VMCALL, a range)", "page", 5000, 20, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(tdx_page_accept, "TDG.MEM.PAGE.ACCEPT (TDCALL)", "page", 1000, 0, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(snp_psc, "SEV-SNP page-state change (GHCB VMGEXIT)", "page", 5000, 100, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(snp_pvalidate, "SEV-SNP PVALIDATE instruction", "page", 0, 300, SRC_ASSUMED,
	     SRC_ASSUMED),
	CALL(cca_ipa_state_set, "Arm CCA RSI_IPA_STATE_SET (RSI call, a range)", "page", 5000, 100,
	     SRC_ASSUMED, SRC_ASSUMED),
	CALL(pkvm_idmap, "pKVM v3 identity stage 2 at boot", "entry", 0, 6, SRC_ASSUMED,
	     "DOMAIN.md 4.3: the per-page cost of map_pages on Morello (6 ns), taken per entry"),
	CALL(pkvm_mem_share, "pKVM guest MEM_SHARE hypercall", "page", 200, 100, SRC_PKVM_HVC,
	     SRC_ASSUMED),
	CALL(pkvm_mem_unshare, "pKVM guest MEM_UNSHARE hypercall", "page", 200, 100, SRC_PKVM_HVC,
	     SRC_ASSUMED),
	{ .path = "cost.copy_bytes_per_s", .type = PARAM_DOUBLE, .offset = C(copy_bytes_per_s),
	  .min = 1e6, .max = 1e12, .def.d = 7.36 * (double)GiB, .unit = "bytes/s",
	  .source = "TRACES.md 4: memcpy 7.36 GiB/s on the x86 host (assumption for POWER)",
	  .help = "bounce copy bandwidth (memcpy)" },
	NS(copy_fixed_ns, 50, SRC_ASSUMED, "fixed cost per bounce copy"),
	NS(guest_map_ns, 300, SRC_ASSUMED,
	   "DMA API and IOMMU driver software per map or unmap call"),
	NS(guest_per_page_ns, 30, SRC_ASSUMED, "guest software per IOMMU page (bitmap, TCE list)"),
	NS(guest_alloc_per_bit_ns, 0.5, SRC_ASSUMED, "IOVA allocator: per bitmap bit searched"),
	NS(swiotlb_per_slot_ns, 1, SRC_ASSUMED, "swiotlb slot search: per slot examined"),
	NS(lock_ns, 20, SRC_ASSUMED, "uncontended spinlock acquire and release"),
	NS(device_xlate_per_page_ns, 0, SRC_ASSUMED,
	   "device side: TCE fetch or IOTLB miss per IOMMU page touched"),
	NS(device_job_tce_ns, 0, SRC_ASSUMED,
	   "device side, once per device job whose buffers use TCEs written by its own maps"),
	{ .path = "cost.device_bytes_per_s", .type = PARAM_DOUBLE, .flags = PARAM_ZERO,
	  .offset = C(device_bytes_per_s), .min = 1e6, .max = 1e13, .def.d = 0,
	  .unit = "bytes/s", .source = SRC_ASSUMED,
	  .help = "device DMA bandwidth; 0 = unlimited (the device is never the bottleneck)" },
	NS(hv_tce_lock_hold_ns, 0, SRC_ASSUMED,
	   "hypervisor TCE table lock held per TCE hcall (contention between CPUs)"),

	/* ---- sim ---- */
	{ .path = "sim.recorded_with", .type = PARAM_STRING, .offset = S(recorded_with),
	  .def.s = "", .unit = "", .source = "none (set per trace)",
	  .help = "strategy spec the trace was recorded under, e.g. \"window32\"; \"\" = none" },
	{ .path = "sim.boot_start_marker", .type = PARAM_STRING, .offset = S(boot_start_marker),
	  .def.s = "", .unit = "", .source = "none (set per trace)",
	  .help = "trace_marker text that starts boot time; \"\" = the first event" },
	{ .path = "sim.boot_end_marker", .type = PARAM_STRING, .offset = S(boot_end_marker),
	  .def.s = "", .unit = "", .source = "none (set per trace)",
	  .help = "trace_marker text that ends boot time; \"\" = the last event" },
	{ .path = "sim.device_time_max_ns", .type = PARAM_U64, .offset = S(device_time_max_ns),
	  .min = 0, .max = 1e15, .def.u = UINT64_C(10000000000), .unit = "ns", .source = SRC_ASSUMED,
	  .help = "clamp for the recorded device time between a map and its unmap" },
	{ .path = "sim.boot_in_trace", .type = PARAM_STRING, .offset = S(boot_in_trace),
	  .def.s = "auto", .unit = "", .source = "iommusim(1) RE-TIMING",
	  .help = "the trace covers boot, so the strategies' boot work is charged: auto (its "
		  "first event within 2 s of the clock's zero, or a boot start marker), yes, no" },
	{ .path = "sim.hcall_costs", .type = PARAM_STRING, .offset = S(hcall_costs),
	  .def.s = "trace", .unit = "", .source = "iommusim(1) HYPERCALL COSTS",
	  .help = "TCE hypercall costs: trace (fitted from the replayed trace's entry/exit pairs "
		  "where it has enough, else the scenario's) or scenario" },
	{ .path = "sim.model_error_pct", .type = PARAM_DOUBLE, .offset = S(model_error_pct),
	  .min = 0, .max = 1000, .def.d = 0, .unit = "%", .source = "iommusim calibrate --hold-out",
	  .help = "the model's error on times of a configuration it did not see (held-out check); "
		  "verdicts say whether a difference beats it; 0 = not stated" },
	{ .path = "sim.model_error_source", .type = PARAM_STRING, .offset = S(model_error_source),
	  .def.s = "", .unit = "", .source = "iommusim calibrate --hold-out",
	  .help = "where sim.model_error_pct was measured (said beside it in the verdict)" },
	{ .path = "sim.phase_marker", .type = PARAM_STRING, .offset = S(phase_marker),
	  .def.s = "phase=([^[:space:]]+)", .unit = "", .source = "iommusim(1) SIMULATION",
	  .help = "POSIX extended regular expression: a trace_marker it matches starts a phase "
		  "named by its first group; \"\" = no phases" },
	{ .path = "sim.phase_end_marker", .type = PARAM_STRING, .offset = S(phase_end_marker),
	  .def.s = "phase-end=([^[:space:]]+)", .unit = "", .source = "iommusim(1) SIMULATION",
	  .help = "POSIX extended regular expression: a trace_marker it matches ends the open "
		  "phase its first group names; \"\" = phases end at the next one" },
	{ .path = NULL },
};

const struct param *scenario_params(void)
{
	return scenario_tab;
}

const char *scenario_param_path(unsigned i)
{
	return i < ISM_ARRAY_SIZE(scenario_tab) ? scenario_tab[i].path : NULL;
}

void scenario_print_params(FILE *out, int verbose)
{
	param_print(out, scenario_tab, verbose);
}

void scenario_free(struct scenario *sc)
{
	json_decref(sc->strategy_json);
	sc->strategy_json = NULL;
	free(sc->text);
	sc->text = NULL;
	for (unsigned i = 0; i < sc->nstrategy_sets; i++)
		free(sc->strategy_sets[i]);
	free(sc->strategy_sets);
	sc->strategy_sets = NULL;
	sc->nstrategy_sets = 0;
	param_free(scenario_tab, sc);
	free(sc->path);
	memset(sc, 0, sizeof(*sc));
}

int scenario_set(struct scenario *sc, const char *path, const char *value, char **cause)
{
	if (strncmp(path, "strategy.", 9) == 0) {
		/* strategy.NAME.KEY: kept, checked against the strategy's params[] at run start */
		const char *eq = value ? NULL : strchr(path, '=');
		size_t plen = eq ? (size_t)(eq - path) : strlen(path);
		const char *dot = memchr(path + 9, '.', plen - 9);

		if (!dot || dot == path + 9 || dot + 1 == path + plen || (!value && !eq)) {
			*cause = xasprintf("%.*s: a strategy parameter is strategy.NAME.KEY=VALUE",
					   (int)plen, path);
			return -ISM_EUSAGE;
		}
		sc->strategy_sets = xreallocarray(sc->strategy_sets, sc->nstrategy_sets + 1,
						  sizeof(*sc->strategy_sets));
		sc->strategy_sets[sc->nstrategy_sets++] = value ? xasprintf("%s=%s", path, value) :
								  xstrdup(path);
		return 0;
	}
	return param_set(scenario_tab, sc, path, value, cause);
}

/*
 * Checks between parameters. The message names the member the file gives (@root), the first
 * of the pair when it gives both or none; without @src it is "path: message".
 */
static int cross_check(const struct scenario *sc, const struct param_src *src, json_t *root,
		       char **cause)
{
	const struct scenario_machine *m = &sc->machine;
	const struct param *pa, *pb;
	json_t *jm = json_object_get(root, "machine");
	char *a, *b, *why;
	int use_b;

	if (!scenario_arch_known(m->arch)) {
		why = xasprintf("\"%s\" is not an architecture iommusim knows (pseries, x86, arm64)",
				m->arch ? m->arch : "");
		if (src)
			*cause = param_src_error(src, "machine.arch", 1, "%s", why);
		else
			*cause = xasprintf("machine.arch: %s", why);
		free(why);
		return -ISM_ERANGE;
	}
	if (m->window32_bytes % m->window32_tce_bytes) {
		pa = param_find(scenario_tab, "machine.window32_bytes");
		pb = param_find(scenario_tab, "machine.window32_tce_bytes");
	} else if (m->max_ram_bytes && m->max_ram_bytes < m->ram_bytes) {
		pa = param_find(scenario_tab, "machine.max_ram_bytes");
		pb = param_find(scenario_tab, "machine.ram_bytes");
	} else {
		return 0;
	}
	use_b = jm && !json_object_get(jm, strchr(pa->path, '.') + 1) &&
		json_object_get(jm, strchr(pb->path, '.') + 1);
	a = param_format_value(pa, sc);
	b = param_format_value(pb, sc);
	if (pa->offset == M(window32_bytes) && !use_b)
		why = xasprintf("%s is not a multiple of %s (%s)", a, pb->path, b);
	else if (pa->offset == M(window32_bytes))
		why = xasprintf("%s does not divide %s (%s)", b, pa->path, a);
	else if (!use_b)
		why = xasprintf("%s is below %s (%s); 0 means the same as ram_bytes", a, pb->path, b);
	else
		why = xasprintf("%s is above %s (%s); raise it, or set it to 0 (= ram_bytes)", b,
				pa->path, a);
	if (src)
		*cause = param_src_error(src, use_b ? pb->path : pa->path, 1, "%s", why);
	else
		*cause = xasprintf("%s: %s", pa->path, why);
	free(why);
	free(a);
	free(b);
	return -ISM_ERANGE;
}

int scenario_arch_known(const char *arch)
{
	return arch && (!strcmp(arch, "pseries") || !strcmp(arch, "x86") || !strcmp(arch, "arm64"));
}

int scenario_check(const struct scenario *sc, char **cause)
{
	return cross_check(sc, NULL, NULL, cause);
}

/* Read all of @path (NUL-terminated); 0, or -ISM_EIO with *@cause. */
static int read_text(const char *path, char **text, size_t *len, char **cause)
{
	size_t cap = 4096, n = 0, r;
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -ISM_EIO;
	}
	buf = xmalloc(cap);
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n > SCENARIO_MAX_BYTES) {
			*cause = xasprintf("%s: larger than %u MiB: not a scenario", path,
					   SCENARIO_MAX_BYTES >> 20);
			fclose(f);
			free(buf);
			return -ISM_ECORRUPT;
		}
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(f)) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -ISM_EIO;
	}
	fclose(f);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* jansson's error as one line, or a duplicate key placed and named by jsonpos. */
static char *parse_error(const char *path, const char *text, size_t len, const json_error_t *e)
{
	struct jsonpos key, first;
	char *dup, *out, msg[sizeof(e->text)];
	size_t k;

	if (json_error_code(e) == json_error_duplicate_key &&
	    jsonpos_key_before(text, len, (size_t)e->position, &dup, &key, &first) == 0) {
		out = xasprintf("%s:%u:%u: %s: duplicate key (first at %u:%u)", path, key.line,
				key.col, dup, first.line, first.col);
		free(dup);
		return out;
	}
	for (k = 0; e->text[k] && k < sizeof(msg) - 1; k++)
		msg[k] = (unsigned char)e->text[k] < 0x20 ? '?' : e->text[k];
	msg[k] = '\0';
	if (e->line < 1)
		return xasprintf("%s: invalid JSON: %s", path, msg);
	return xasprintf("%s:%d:%d: invalid JSON: %s", path, e->line, e->column, msg);
}

/* The file name without directories and ".json": the default scenario name. */
static char *name_from_path(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 5 && strcmp(b + n - 5, ".json") == 0)
		n -= 5;
	return xstrndup(b, n);
}

int scenario_load(const char *path, struct scenario *sc, char **cause)
{
	/* "calibration": what `iommusim calibrate` fitted, for the reader (not loaded) */
	static const char *const extra[] = { "schema_version", "strategy", "calibration", NULL };
	struct param_src src = { .file = path, .extra_keys = extra };
	json_t *root = NULL, *sv;
	json_error_t e;
	char *text = NULL, *found = NULL;
	size_t len = 0;
	int r;

	memset(sc, 0, sizeof(*sc));
	param_defaults(scenario_tab, sc);
	if (!path) {
		sc->path = xstrdup("(defaults)");
		free(sc->name);
		sc->name = xstrdup("defaults");
		return 0;
	}
	/* a name (-s qemu-pseries) or a path */
	found = scenario_find(path, cause);
	if (!found) {
		r = -ISM_EUSAGE;
		goto fail;
	}
	path = found;
	src.file = path;
	r = read_text(path, &text, &len, cause);
	if (r)
		goto fail;
	src.text = text;
	src.len = len;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (!root) {
		*cause = parse_error(path, text, len, &e);
		r = -ISM_ECORRUPT;
		goto fail;
	}
	if (!json_is_object(root)) {
		struct jsonpos at = jsonpos_at(text, len, strspn(text, " \t\r\n"));

		*cause = xasprintf("%s:%u:%u: expected an object at the top level, got an array", path,
				   at.line, at.col);
		r = -ISM_ECORRUPT;
		goto fail;
	}
	/* the version first: the rest of a file of another version means something else */
	sv = json_object_get(root, "schema_version");
	if (sv && !json_is_integer(sv)) {
		if (json_is_real(sv))
			*cause = param_src_error(&src, "schema_version", 1,
						 "expected an integer, got %g", json_real_value(sv));
		else
			*cause = param_src_error(&src, "schema_version", 1,
						 "expected an integer, got %s", param_json_type(sv));
		r = -ISM_ECORRUPT;
		goto fail;
	}
	if (sv && json_integer_value(sv) != SCENARIO_SCHEMA_VERSION) {
		*cause = param_src_error(&src, "schema_version", 1,
					 "%" JSON_INTEGER_FORMAT " is not supported; this iommusim "
					 "reads schema_version %d", json_integer_value(sv),
					 SCENARIO_SCHEMA_VERSION);
		r = -ISM_EVERSION;
		goto fail;
	}
	r = param_load_json(scenario_tab, sc, root, &src, cause);
	if (r)
		goto fail;
	if (!sv) {
		struct jsonpos at = jsonpos_at(text, len, strspn(text, " \t\r\n"));

		*cause = xasprintf("%s:%u:%u: schema_version: missing; this iommusim reads "
				   "schema_version %d", path, at.line, at.col, SCENARIO_SCHEMA_VERSION);
		r = -ISM_EVERSION;
		goto fail;
	}
	r = cross_check(sc, &src, root, cause);
	if (r)
		goto fail;
	sv = json_object_get(root, "strategy");
	if (sv && !json_is_object(sv)) {
		*cause = param_src_error(&src, "strategy", 1, "expected an object (strategy.NAME.KEY), "
					 "got %s", param_json_type(sv));
		r = -ISM_ECORRUPT;
		goto fail;
	}
	sc->strategy_json = json_incref(sv);
	if (!*sc->name) {
		free(sc->name);
		sc->name = name_from_path(path);
	}
	sc->path = xstrdup(path);
	sc->text = text;
	sc->text_len = len;
	json_decref(root);
	free(found);
	return 0;
fail:
	json_decref(root);
	free(text);
	free(found);
	scenario_free(sc);
	return r;
}
