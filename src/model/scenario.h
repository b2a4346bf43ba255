/*
 * scenario.h: a scenario = a machine + a cost model + strategy parameters, loaded from strict
 * JSON (scenarios/NAME.json, iommusim-scenario(5)). Every field below has one row in the
 * parameter table (scenario.c) giving its JSON path, type, range, default, unit and the
 * source of the default (a DOMAIN.md section, a trace measurement, or "assumption").
 *
 * Units are in the names: _ns nanoseconds, _bytes bytes, _bytes_per_s bandwidth.
 */
#ifndef ISM_SCENARIO_H
#define ISM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#define SCENARIO_SCHEMA_VERSION 1

/* Cost of one hypercall, ultracall or RTAS call: fixed + per entry (TCE, page). */
struct call_cost {
	double fixed_ns;
	double per_entry_ns;
};

struct scenario_machine {
	char *arch;                    /* "pseries", "x86", "arm64": what `compare` replays */
	uint64_t cpus;                 /* guest CPUs (swiotlb areas, pool hash) */
	uint64_t ram_bytes;            /* guest RAM at boot */
	uint64_t max_ram_bytes;        /* RAM incl. hotplug (maxmem): sizes the DDW; 0 = ram_bytes */
	uint64_t page_bytes;           /* kernel PAGE_SIZE */
	uint64_t dma_mask_bits;        /* devices' streaming DMA mask (64 = may use a DDW) */
	/* the default (32-bit) window */
	uint64_t window32_bytes;       /* QEMU 1 GiB; PowerVM/classic firmware-defined */
	uint64_t window32_tce_bytes;   /* TCE size of the default window: 4 KiB */
	uint64_t vio_table_entries;    /* VIO bus TCE table cleared at boot (0 = none) */
	uint64_t default_windows;      /* PEs (default windows) cleared at boot */
	/* dynamic DMA windows (RTAS ibm,query/create-pe-dma-window) */
	int ddw_enabled;               /* firmware offers DDW and the kernel uses it */
	uint64_t ddw_page_mask;        /* page sizes offered: bit n = 2^n bytes (e.g. 4K|64K|2M|16M) */
	uint64_t ddw_windows_available;
	uint64_t ddw_largest_block_tces; /* largest_available_block; 0 = unlimited */
	uint64_t ddw_window_base;      /* bus address of the DDW (QEMU 0x0800000000000000) */
	/* hypervisor features (ibm,hypertas-functions; multitce=off clears both) */
	int put_tce_indirect;          /* FW_FEATURE_PUT_TCE_IND */
	int stuff_tce;                 /* FW_FEATURE_STUFF_TCE */
	uint64_t max_tces_per_call;    /* 512 (PAPR 2.12, 4K TCE page / 8 bytes) */
	/* protected-VM state */
	int secure_vm;                 /* POWER SVM (PEF): PUT_TCE_IND cleared, swiotlb forced */
	/* swiotlb */
	uint64_t swiotlb_bytes;        /* pool size: 64 MiB default */
	uint64_t swiotlb_areas;        /* 0 = CPUs rounded up to a power of two */
	int swiotlb_force;             /* swiotlb=force (also implied by secure_vm) */
	int swiotlb_dynamic;           /* CONFIG_SWIOTLB_DYNAMIC growth */
	uint64_t min_align_mask;       /* dma_get_min_align_mask of the devices (NVMe: 4K-1) */
	int novmerge;                  /* iommu=novmerge: map_sg does not merge segments */
	uint64_t max_seg_bytes;        /* dma_get_max_seg_size(): map_sg merges up to this */
};

struct scenario_cost {
	struct call_cost h_put_tce;
	struct call_cost h_put_tce_indirect;
	struct call_cost h_stuff_tce;
	struct call_cost h_get_tce;
	struct call_cost uv_share_page;     /* per page */
	struct call_cost uv_unshare_page;   /* per page */
	struct call_cost rtas_query;
	struct call_cost rtas_create;
	struct call_cost rtas_remove;
	struct call_cost pkvm_map_pages;    /* per call + per page walked */
	struct call_cost pkvm_unmap_pages;
	struct call_cost pkvm_page_share;   /* v1 page-state change, per page */
	struct call_cost pkvm_page_unshare;
	struct call_cost iotlb_sync;        /* range invalidation at unmap, waited for (strict) */
	struct call_cost iotlb_flush_all;   /* whole-domain flush (the flush queue) */
	struct call_cost iotlb_sync_map;    /* flush after a map (VT-d caching mode) */
	struct call_cost xen_iommu_op;      /* per hypercall entry + per op */
	struct call_cost tdx_map_gpa;       /* per range + per page (cc-shared, platform tdx) */
	struct call_cost tdx_page_accept;   /* per accept call + per 4 KiB page */
	struct call_cost snp_psc;           /* per GHCB page-state change + per entry */
	struct call_cost snp_pvalidate;     /* per page */
	struct call_cost cca_ipa_state_set; /* per range + per page */
	struct call_cost pkvm_idmap;        /* pkvm identity-s2 boot map: per leaf entry */
	struct call_cost pkvm_mem_share;    /* pKVM guest MEM_SHARE HVC (one granule) */
	struct call_cost pkvm_mem_unshare;
	double copy_bytes_per_s;        /* bounce copy bandwidth (memcpy) */
	double copy_fixed_ns;           /* per copy call */
	double guest_map_ns;            /* DMA API + IOMMU driver software per map/unmap call */
	double guest_per_page_ns;       /* per IOMMU page: bitmap, TCE list fill */
	double guest_alloc_per_bit_ns;  /* IOVA allocator: per bitmap bit searched */
	double swiotlb_per_slot_ns;     /* slot search: per slot examined */
	double lock_ns;                 /* uncontended spinlock acquire+release */
	double device_xlate_per_page_ns;/* device side: TCE fetch/IOTLB miss per IOMMU page touched */
	double device_job_tce_ns;       /* device side, once per device job on entries its maps wrote */
	double device_bytes_per_s;      /* device DMA bandwidth; 0 = not a bottleneck */
	double hv_tce_lock_hold_ns;     /* hypervisor TCE table lock hold per call (contention) */
};

struct scenario_sim {
	char *recorded_with;            /* strategy spec the trace was recorded under ("" = none) */
	char *boot_start_marker;        /* marker text that starts boot time ("" = first event) */
	char *boot_end_marker;          /* marker text that ends boot time ("" = last event) */
	uint64_t device_time_max_ns;    /* clamp for recorded map->unmap device time */
	char *boot_in_trace;            /* "auto", "yes", "no": charge the strategies' boot work */
	char *hcall_costs;              /* "trace" (when it has entry/exit pairs) or "scenario" */
	double model_error_pct;         /* the held-out check's error (%); 0 = not stated */
	char *model_error_source;       /* where it was measured */
	char *phase_marker;             /* POSIX ERE: a marker that starts a phase (group 1) */
	char *phase_end_marker;         /* POSIX ERE: a marker that ends the phase it names */
};

struct scenario {
	char *path;                     /* file it came from, or "(defaults)" */
	char *name;
	char *description;
	struct scenario_machine machine;
	struct scenario_cost cost;
	struct scenario_sim sim;
	/*
	 * The strategies' own parameters, kept as given: the file's "strategy" object and the
	 * --set strategy.NAME.KEY=VALUE strings; checked against the strategies' params[] when a
	 * run starts (strategy-params.c), which also needs the file's text for positions.
	 */
	struct json_t *strategy_json;   /* owned reference, or NULL */
	char *text;                     /* the file's text (NULL for the defaults) */
	size_t text_len;
	char **strategy_sets;
	unsigned nstrategy_sets;
};

/*
 * Load @path: strict JSON (duplicate and unknown keys are errors; near-miss keys suggested;
 * values range-checked; missing keys take their defaults). On error returns -ISM_E* and sets
 * *@cause to one line "FILE:LINE:COL: key.path: message". @path NULL = all defaults.
 */
int scenario_load(const char *path, struct scenario *sc, char **cause);
void scenario_free(struct scenario *sc);
/*
 * Set one parameter by dotted path from a string: for --set and sweeps. @value NULL: @path is
 * "path=value" ("cost.h_put_tce.fixed_ns=2000"). Validated like the file; *@cause "path: message".
 * Checks between parameters are left to scenario_check(), so that several sets can be applied.
 */
int scenario_set(struct scenario *sc, const char *path, const char *value, char **cause);
/*
 * Checks between parameters (window32_bytes a multiple of window32_tce_bytes; max_ram_bytes 0 or
 * not below ram_bytes). scenario_load() runs them; run them again after the last scenario_set().
 * Returns 0, or -ISM_ERANGE with *@cause "path: message".
 */
/* machine.arch is one of pseries, x86, arm64. */
int scenario_arch_known(const char *arch);
int scenario_check(const struct scenario *sc, char **cause);
/* The parameter table (param.h), ended by a row with a NULL path. */
struct param;
const struct param *scenario_params(void);
/* Print every parameter (path, type, range, default, unit, source, help) for `iommusim list params`. */
void scenario_print_params(FILE *out, int verbose);
/* Iterate parameter paths (for the man-page check and completion): NULL after the last. */
const char *scenario_param_path(unsigned i);

#endif
