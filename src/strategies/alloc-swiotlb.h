/*
 * alloc-swiotlb.h: a model of the Linux swiotlb bounce-buffer slot allocator.
 *
 * Re-implements the rules of kernel/dma/swiotlb.c as of Linux 6.10 .. 6.17 (read from a
 * v6.17-rc mirror): pool sizing with areas, the per-area search with its alignment rules and
 * stride, the per-slot free-run counts ("list", kept as the free bits they are equal to),
 * the used/hiwater accounting, swiotlb_max_mapping_size(), and CONFIG_SWIOTLB_DYNAMIC
 * (transient pools and pools added by a worker). No kernel code is copied; each rule names the
 * kernel function it comes from.
 *
 * Two layers:
 *  - struct swiotlb_pool: one io_tlb_pool, searched as swiotlb_find_slots() does without
 *    CONFIG_SWIOTLB_DYNAMIC (the start area for the CPU, then the others in order).
 *  - struct swiotlb_mem: one io_tlb_mem. With @dynamic it follows the CONFIG_SWIOTLB_DYNAMIC
 *    swiotlb_find_slots(): every pool, newest first, area by area; then a transient pool; the
 *    caller runs the pool-adding worker when it sees fit (swiotlb_mem_run_worker()).
 *
 * Addresses are bus addresses and the model takes phys == dma (phys_to_dma_unencrypted() is the
 * identity). Nothing is copied and no orig_addr is kept per slot: only what decides where the
 * next mapping goes, and what a release frees, is modelled. All state is in the structs; runs
 * are deterministic.
 */
#ifndef ISM_ALLOC_SWIOTLB_H
#define ISM_ALLOC_SWIOTLB_H

#include <stdbool.h>
#include <stdint.h>

struct swiotlb_index;

#define SWIOTLB_SLOT_SHIFT 11		/* IO_TLB_SHIFT: a slot is 2 KiB */
#define SWIOTLB_SEGSIZE 128		/* IO_TLB_SEGSIZE: longest run of slots one map can use */
#define SWIOTLB_DEFAULT_NSLABS 32768	/* IO_TLB_DEFAULT_SIZE (64 MiB) >> IO_TLB_SHIFT */
#define SWIOTLB_FAIL UINT64_MAX		/* no slots: the map returns DMA_MAPPING_ERROR */

/* struct io_tlb_area without its lock. */
struct swiotlb_area {
	uint64_t index;	/* where the next search in this area starts (area-relative slot) */
	uint64_t used;	/* slots in use in this area */
};

/*
 * struct io_tlb_slot less its list: io_tlb_slot.list, the free run from a slot to the next
 * slot in use or the end of its segment, is the same at every slot as the run of free bits in
 * swiotlb_pool.freemap, which the model keeps instead (1 bit a slot, no renumbering of the free
 * slots before a claim or a release). What a release reads of a mapping is one 8-byte record.
 */
struct swiotlb_slot {
	uint32_t alloc_size;	/* as the kernel keeps for release (the first slot counts) */
	uint32_t head;		/* io_tlb_slot.pad_slots of a live mapping's bounce slot, with a
				 * live bit and the sub-slot offset so that a release of an
				 * address that is not a live mapping can be refused */
};

/* struct io_tlb_pool plus the model's counters. */
struct swiotlb_pool {
	uint64_t nslabs;	/* slots */
	unsigned nareas;	/* power of two */
	uint64_t area_nslabs;
	struct swiotlb_area *areas;
	struct swiotlb_slot *slots; /* nslabs of them */
	uint64_t *freemap;	/* bit i: slot i is free; io_tlb_slot.list of slot i is the run of
				 * set bits from i, cut at the end of its segment */
	uint64_t used, hiwater;	/* slots */
	uint64_t failures;	/* maps that found no room */
	uint64_t slots_searched; /* slots examined: allocator work for the cost model */
	uint64_t areas_searched; /* swiotlb_search_pool_area() calls: one area lock each */
	uint64_t base;		/* bus/phys address of slot 0 (for returned addresses) */
	bool transient;		/* a CONFIG_SWIOTLB_DYNAMIC transient pool (swiotlb_mem only) */
	bool reference;		/* debug: the plain slot-by-slot search (swiotlb_pool_set_reference) */
	struct swiotlb_index *index; /* per-segment bounds that let the search pass over full
				      * segments (alloc-swiotlb.c); built on the first long search */
};

/**
 * swiotlb_pool_init() - size and initialise a pool as the kernel sizes its default pool.
 * @p: the pool.
 * @nslabs: slots asked for ("swiotlb=<nslabs>"); 0 = IO_TLB_DEFAULT_SIZE (32768 slots).
 * @nareas: areas asked for ("swiotlb=,<nareas>"); 0 = the kernel default for @ncpus.
 * @ncpus: num_possible_cpus(); used only when @nareas is 0 (0 counts as 1).
 * @base: bus address of slot 0; must be 2 KiB aligned (the kernel's pool is page aligned).
 *
 * As setup_io_tlb_npages(), swiotlb_adjust_nareas() and swiotlb_init_remap() do: nslabs is
 * rounded up to a multiple of IO_TLB_SEGSIZE; nareas is rounded up to a power of two; then
 * nslabs is raised to IO_TLB_SEGSIZE * nareas if smaller, else rounded up to a power of two
 * (round_up_default_nslabs()); limit_nareas() then has nothing to cut, because the model's
 * allocation never fails and halves nslabs. Each area gets nslabs / nareas slots.
 *
 * Return: 0, or -ISM_ERANGE if an argument is out of range (nothing allocated).
 */
int swiotlb_pool_init(struct swiotlb_pool *p, uint64_t nslabs, unsigned nareas, unsigned ncpus,
		      uint64_t base);
/* swiotlb_pool_free() - free what swiotlb_pool_init() allocated and zero @p. */
void swiotlb_pool_free(struct swiotlb_pool *p);
/*
 * Debug: search slot by slot, as the kernel's loop does, instead of passing over segments
 * that cannot hold the request. Same results and counters either way; the differential test
 * runs both side by side.
 */
void swiotlb_pool_set_reference(struct swiotlb_pool *p, bool on);

/* io_tlb_slot.list of @slot (@slot < nslabs): its free run, cut at the end of its segment. */
uint64_t swiotlb_slot_list(const struct swiotlb_pool *p, uint64_t slot);

/**
 * swiotlb_alloc() - find slots for one bounce mapping, as swiotlb_tbl_map_single() does.
 * @p: the pool.
 * @orig_addr: the original buffer (its bits under @min_align_mask are preserved; 0 turns the
 *	min_align match off, as it does in the kernel).
 * @size: mapping size in bytes.
 * @min_align_mask: dma_get_min_align_mask(dev) (an unsigned int in the kernel).
 * @alloc_align_mask: start/end alignment of the allocation, 2^k - 1 (0 for dma_map_*()).
 * @boundary_mask: dma_get_seg_boundary(dev), 2^k - 1; 0 = unset = ULONG_MAX, as in the kernel.
 * @page_shift: the kernel's PAGE_SHIFT (12..30).
 * @cpu: raw_smp_processor_id(); the search starts in area cpu & (nareas - 1).
 * @tlb_addr: set to the bounce address on success.
 *
 * Return: the slot of the bounce address (the allocation starts pad_slots earlier when
 * @alloc_align_mask asks for padding), with *@tlb_addr = base + (slot << 11) + offset; or
 * SWIOTLB_FAIL, counted in @p->failures when the pool had no room. Invalid arguments (an
 * @alloc_align_mask or @boundary_mask that is not 2^k - 1, @min_align_mask over 32 bits or
 * @alloc_align_mask over 31, a bad @page_shift, a request of zero bytes in all) also give
 * SWIOTLB_FAIL but count nothing. A @size over 4 GiB is taken as 4 GiB: it fails either way.
 */
uint64_t swiotlb_alloc(struct swiotlb_pool *p, uint64_t orig_addr, uint64_t size,
		       uint64_t min_align_mask, uint64_t alloc_align_mask, uint64_t boundary_mask,
		       unsigned page_shift, unsigned cpu, uint64_t *tlb_addr);

/**
 * swiotlb_release() - release the mapping whose bounce address is @tlb_addr.
 * @p: the pool.
 * @tlb_addr: exactly what swiotlb_alloc() returned.
 *
 * As swiotlb_release_slots(): index and count come from the address, pad_slots and alloc_size;
 * the slots rejoin the free run that follows them in their segment, and the free slots before
 * them in the segment are renumbered.
 *
 * Return: slots freed, or 0 if @tlb_addr is not a live mapping's bounce address.
 */
uint64_t swiotlb_release(struct swiotlb_pool *p, uint64_t tlb_addr);

/**
 * swiotlb_max_mapping_size() - the largest mapping, in bytes, for @min_align_mask.
 *
 * 128 slots * 2 KiB = 256 KiB, less min_align_mask rounded up to a slot when it is non-zero.
 */
uint64_t swiotlb_max_mapping_size(uint64_t min_align_mask);

/* ---- io_tlb_mem: several pools, CONFIG_SWIOTLB_DYNAMIC -------------------------------- */

struct swiotlb_mem_config {
	uint64_t nslabs;	/* as swiotlb_pool_init() */
	unsigned nareas;	/* as swiotlb_pool_init() */
	unsigned ncpus;		/* as swiotlb_pool_init() */
	uint64_t base;		/* default pool */
	bool dynamic;		/* CONFIG_SWIOTLB_DYNAMIC */
	bool can_grow;		/* io_tlb_mem.can_grow: false with a remap function (Xen PV) or
				 * once default_swiotlb_base() was called; needs @dynamic */
	uint64_t dyn_base;	/* new pools are placed from here up (0 = the first 1 GiB
				 * boundary above the default pool); must not be below its end */
	unsigned page_shift;	/* PAGE_SHIFT, 12..30 (0 = 12) */
	unsigned max_page_order; /* MAX_PAGE_ORDER (0 = 10, as x86-64): a pool added by the
				  * worker has at most SLABS_PER_PAGE << max_page_order slots */
};

/* How swiotlb_mem_map() placed a mapping. */
enum swiotlb_map_kind {
	SWIOTLB_MAP_FAILED,	/* DMA_MAPPING_ERROR: "swiotlb buffer is full" */
	SWIOTLB_MAP_POOL,	/* slots in the default pool or in a pool the worker added */
	SWIOTLB_MAP_TRANSIENT,	/* a transient pool of exactly the slots needed */
};

/* struct io_tlb_mem plus the model's counters. Do not copy it once initialised. */
struct swiotlb_mem {
	struct swiotlb_pool defpool;
	struct swiotlb_pool **pools;	/* io_tlb_mem.pools, oldest first (searched newest first) */
	unsigned npools;
	struct swiotlb_pool **bybase;	/* every pool, transient ones too, sorted by base */
	uint64_t nbybase, bybase_cap;
	uint64_t default_nslabs;	/* default_nslabs: what the worker asks for */
	unsigned default_nareas;	/* default_nareas after swiotlb_adjust_nareas() */
	unsigned page_shift, max_page_order;
	bool dynamic, can_grow;
	bool grow_pending;		/* schedule_work(&dyn_alloc) done, worker not yet run */
	uint64_t next_addr;		/* where the next new pool may go */
	uint64_t nslabs;		/* io_tlb_mem.nslabs: default + added pools */
	uint64_t used, hiwater;		/* total_used, used_hiwater (transient pools included) */
	uint64_t transient_nslabs;	/* io_tlb_transient_nslabs: slots in live transient pools */
	uint64_t failures;		/* maps that returned DMA_MAPPING_ERROR */
	uint64_t transient_maps;	/* maps placed in a transient pool */
	uint64_t transient_failures;	/* transient pools made that could not hold the map */
	uint64_t grow_scheduled;	/* schedule_work() calls that queued the worker */
	uint64_t pools_added;		/* pools the worker added */
	uint64_t slots_searched, areas_searched; /* summed over every pool, transient too */
	bool reference;			/* every pool searches slot by slot (debug) */
};

/**
 * swiotlb_mem_init() - set up an io_tlb_mem with its default pool.
 *
 * Return: 0, or -ISM_ERANGE if the configuration is out of range (nothing allocated).
 */
int swiotlb_mem_init(struct swiotlb_mem *m, const struct swiotlb_mem_config *cfg);
/* swiotlb_mem_free() - free every pool, transient ones included, and zero @m. */
void swiotlb_mem_free(struct swiotlb_mem *m);
/* Debug: swiotlb_pool_set_reference() on every pool, those made later too. */
void swiotlb_mem_set_reference(struct swiotlb_mem *m, bool on);

/**
 * swiotlb_mem_map() - swiotlb_tbl_map_single() on a whole io_tlb_mem.
 * @kind: set to how the mapping was placed (SWIOTLB_MAP_FAILED on failure).
 *
 * The arguments are those of swiotlb_alloc(), less page_shift (from the config). Without
 * @dynamic this is swiotlb_alloc() on the default pool. With it, as the CONFIG_SWIOTLB_DYNAMIC
 * swiotlb_find_slots(): a request over 256 KiB fails at once; otherwise, for each cpu offset
 * i < default_nareas, each pool with more than i areas, newest first, is searched in area
 * (cpu + i) & (nareas - 1). If all fail and the mem can grow, the worker is scheduled (see
 * swiotlb_mem_run_worker()) and a transient pool of exactly the needed slots is made and
 * searched; it can still fail, e.g. when min_align_mask wants an odd slot first.
 *
 * Return: the bounce address, or SWIOTLB_FAIL.
 */
uint64_t swiotlb_mem_map(struct swiotlb_mem *m, uint64_t orig_addr, uint64_t size,
			 uint64_t min_align_mask, uint64_t alloc_align_mask, uint64_t boundary_mask,
			 unsigned cpu, enum swiotlb_map_kind *kind);

/**
 * swiotlb_mem_unmap() - release a mapping made by swiotlb_mem_map().
 *
 * swiotlb_find_pool() by address; a transient pool is deleted whole (swiotlb_del_transient()),
 * otherwise swiotlb_release_slots().
 *
 * Return: slots freed, or 0 if @tlb_addr is not a live mapping's bounce address.
 */
uint64_t swiotlb_mem_unmap(struct swiotlb_mem *m, uint64_t tlb_addr);

/**
 * swiotlb_mem_run_worker() - run swiotlb_dyn_alloc() if it was scheduled.
 *
 * Adds a pool of default_nslabs slots, capped at SLABS_PER_PAGE << MAX_PAGE_ORDER (then
 * limit_nareas() cuts the areas to fit), at the head of the pool list. The caller decides when
 * the worker runs; until then further failures do not queue it again. The model's page
 * allocation never fails.
 *
 * Return: 1 if a pool was added, 0 if the worker was not pending.
 */
int swiotlb_mem_run_worker(struct swiotlb_mem *m);

#endif
