/*
 * alloc-tce.h: a faithful model of the powerpc IOMMU (TCE) IOVA allocator and of the per-map
 * rules of the DMA API above it, as in Linux arch/powerpc/kernel/iommu.c (torvalds/linux commit
 * 0040386b, a v6.4..v6.6 tree) and lib/iommu-helper.c. The model is re-implemented from the
 * kernel's rules, not copied: each function names the kernel function it reproduces.
 *
 * Entry numbers ("n") are relative to the start of the table, exactly like the kernel's
 * iommu_range_alloc() result before it adds it_offset: bus address = (offset + n) << page_shift.
 *
 * Rules that depend on the kernel version (see alloc-tce.c for details):
 *  - v5.13+ (Leonardo Bras, "Use largepool as a last resort when !largealloc", 2021): a small
 *    allocation that fails in every small pool tries the large pool before failing. Modelled.
 *  - v4.7+: hash_32() multiplies by GOLDEN_RATIO_32 = 0x61C88647 (3.6..4.6 used 0x9e370001, so
 *    CPUs map to different pools on those kernels). Modelled: 0x61C88647.
 *  - No version moves a pool hint on free: __iommu_free() only clears bitmap bits.
 *
 * Deterministic, no globals; the memory is the bitmap (one bit per entry) and, once a search
 * needs it, a tree of run summaries (at most as large as the bitmap).
 */
#ifndef ISM_ALLOC_TCE_H
#define ISM_ALLOC_TCE_H

#include <stdint.h>

struct tce_index;

#define TCE_ALLOC_FAIL UINT64_MAX       /* DMA_MAPPING_ERROR */
#define TCE_NR_POOLS 4                  /* IOMMU_NR_POOLS = 1 << IOMMU_POOL_HASHBITS */
#define TCE_POOL_HASHBITS 2             /* IOMMU_POOL_HASHBITS */
#define TCE_BLOCKSIZE 16                /* it_blocksize set by pseries/powernv/vio */
#define TCE_LARGE_ALLOC 15              /* npages > 15 is a "largealloc" */
#define TCE_IOMAP_MAX_ORDER 13          /* IOMAP_MAX_ORDER: coherent get_order() limit */
#define TCE_PCI_SEG_BOUNDARY 0xffffffffull /* pci_device_add(): dma_set_seg_boundary(4G - 1) */
#define TCE_PCI_MAX_SEG_SIZE 65536ull   /* pci_device_add(): dma_set_max_seg_size(64K) */

struct tce_pool {
	uint64_t start, end, hint;      /* struct iommu_pool (end exclusive) */
};

struct tce_table {
	uint64_t size;          /* entries: it_size */
	uint64_t offset;        /* it_offset: entry number of the first entry */
	unsigned page_shift;    /* it_page_shift */
	unsigned nr_pools;      /* 4 if the table maps >= 1 GiB, else 1 */
	uint64_t blocksize;     /* it_blocksize = 16 */
	uint64_t poolsize;      /* (size * 3 / 4) / nr_pools */
	struct tce_pool pools[TCE_NR_POOLS], large_pool;
	uint64_t *map;          /* one bit per entry */
	uint64_t used, peak;    /* entries in use (excluding reserved), high-water */
	uint64_t reserved;      /* entries reserved at init (TCE 0, MMIO32 hole) */
	uint64_t res_start;     /* it_reserved_start/end relative to offset (equal: none); */
	uint64_t res_end;       /*   they tell reserved bits from mapped ones on a free */
	uint64_t failures;      /* allocations that returned TCE_ALLOC_FAIL */
	uint64_t search_bits;   /* entries searches passed over: (n + npages) - start per successful
				 * search, (limit - 1) - start per failed one (alloc-tce.c) */
	struct tce_index *index; /* run summaries that keep long searches logarithmic (alloc-tce.c);
				  * built on the first search the plain scan does not settle */
	int reference;          /* debug: plain scans only (tce_table_set_reference()) */
};

/*
 * iommu_init_table(): bitmap, pool geometry, and iommu_table_reserve_pages()'s rule that entry
 * 0 is reserved when offset == 0. Returns 0, or -ISM_ERANGE for a size of 0, a size too large
 * to model (>= 2^60 entries) or a page shift >= 64.
 */
int tce_table_init(struct tce_table *t, uint64_t size, uint64_t offset, unsigned page_shift);
/* iommu_table_reserve_pages(): reserve entries [start, end) relative to offset, clamped. */
void tce_table_reserve(struct tce_table *t, uint64_t start, uint64_t end);
void tce_table_free(struct tce_table *t);
/*
 * Debug: search with the plain word-at-a-time scans only, as the model did before the index
 * (a walk as long as the kernel's). The results are the same either way; the differential
 * test runs both side by side.
 */
void tce_table_set_reference(struct tce_table *t, int on);

/*
 * iommu_range_alloc() + iommu_area_alloc(): @npages entries aligned to 2^@align_order (relative
 * to the table start, as the kernel aligns the bitmap index), below @mask = dma_mask >>
 * page_shift, not crossing a multiple of @boundary_pages in bus entry numbers (a power of two;
 * 0 = no boundary). @cpu picks the pool via hash_32(cpu, 2). @handle (may be NULL): the sg
 * path's running hint, read if non-zero and inside the pool, then set to the end.
 * Returns n (relative entry) or TCE_ALLOC_FAIL (and counts a failure).
 */
uint64_t tce_alloc(struct tce_table *t, uint64_t npages, unsigned align_order, uint64_t mask,
		   uint64_t boundary_pages, unsigned cpu, uint64_t *handle);
/* __iommu_free(): clear [entry, entry + npages); out-of-table ranges are ignored (WARN). */
void tce_free(struct tce_table *t, uint64_t entry, uint64_t npages);

/* ---- helpers for strategies ------------------------------------------------------------ */

/* hash_32(cpu, IOMMU_POOL_HASHBITS): the per-CPU iommu_pool_hash (before & (nr_pools - 1)). */
unsigned tce_pool_hash(unsigned cpu);
/* iommu_num_pages(): IOMMU pages spanned by [addr, addr + size), counting the in-page offset. */
uint64_t tce_num_pages(uint64_t addr, uint64_t size, unsigned page_shift);
/* iommu_map_page()/ppc_iommu_map_sg(): align order for a buffer (0 unless IOMMU page <
 * PAGE_SIZE, size >= PAGE_SIZE and vaddr page aligned: then PAGE_SHIFT - page_shift). */
unsigned tce_map_align_order(uint64_t vaddr, uint64_t size, unsigned page_shift,
			     unsigned kernel_page_shift);
/*
 * get_iommu_order(PAGE_ALIGN(size)) as iommu_alloc_coherent() uses it. Takes the kernel page
 * shift, unlike the draft API, because the kernel page-aligns the size to PAGE_SIZE first: a
 * 4 KiB coherent buffer on a 64K-page kernel becomes 64 KiB, order 4 on 4K TCEs.
 */
unsigned tce_coherent_order(uint64_t size, unsigned page_shift, unsigned kernel_page_shift);
/* iommu_alloc_coherent(): nio_pages = IOMMU_PAGE_ALIGN(PAGE_ALIGN(size)) >> page_shift; 0 when
 * get_order(size) >= IOMAP_MAX_ORDER (the kernel refuses before touching the table). */
uint64_t tce_coherent_npages(uint64_t size, unsigned page_shift, unsigned kernel_page_shift);
/* dma_get_seg_boundary_nr_pages(): (seg_boundary >> page_shift) + 1 (0 on wrap = no limit). */
uint64_t tce_boundary_pages(uint64_t seg_boundary, unsigned page_shift);

/* ---- the DMA API paths (arch/powerpc/kernel/iommu.c, dma-iommu.c) ------------------------- */

/* What the DMA layer passes down for one device. */
struct tce_dev {
	uint64_t dma_mask;          /* dma_get_mask(): map_page, map_sg */
	uint64_t coherent_mask;     /* dev->coherent_dma_mask: alloc_coherent */
	uint64_t seg_boundary;      /* dma_get_seg_boundary(): TCE_PCI_SEG_BOUNDARY for PCI */
	uint64_t max_seg_size;      /* dma_get_max_seg_size(): TCE_PCI_MAX_SEG_SIZE for PCI */
	unsigned kernel_page_shift; /* PAGE_SHIFT (16 on ppc64 distribution kernels) */
	int novmerge;               /* iommu=novmerge: map_sg never merges */
};

/*
 * iommu_map_page(): returns the bus address (entry << shift | in-page offset of @vaddr) or
 * TCE_ALLOC_FAIL; *@entry and *@npages (either may be NULL) get the allocation.
 * @vaddr: only its low bits matter (linear map), so a physical address works.
 */
uint64_t tce_map_page(struct tce_table *t, const struct tce_dev *d, unsigned cpu, uint64_t vaddr,
		      uint64_t size, uint64_t *entry, uint64_t *npages);
/* iommu_unmap_page(): frees iommu_num_pages(dma, size) entries at dma >> page_shift. */
void tce_unmap_page(struct tce_table *t, uint64_t dma, uint64_t size);

/* One scatterlist element for tce_map_sg(). */
struct tce_sg {
	uint64_t vaddr;     /* in: buffer address (low bits matter) */
	uint64_t len;       /* in: bytes; 0 = skipped, as the kernel does */
	uint64_t dma;       /* out: bus address of this element (0 if skipped) */
	uint64_t entry;     /* out: first entry n (TCE_ALLOC_FAIL if skipped or not mapped) */
	uint64_t npages;    /* out: entries allocated for it (one it_ops->set() call each) */
	unsigned out;       /* out: index of the merged DMA segment it belongs to */
};

/*
 * ppc_iommu_map_sg(): one allocation per element, chained through the handle; an element
 * merges into the previous DMA segment when its bus address continues it, the merged length
 * stays <= max_seg_size, and iommu=novmerge is off. Returns the number of DMA segments, or -1
 * when an allocation fails (everything mapped so far is freed, as the kernel's backout does)
 * or @nelems == 0.
 */
int tce_map_sg(struct tce_table *t, const struct tce_dev *d, unsigned cpu, struct tce_sg *sg,
	       unsigned nelems);
/*
 * ppc_iommu_unmap_sg(): frees every element's allocation (the same entries as freeing each
 * merged segment by iommu_num_pages(dma_address, dma_length): merges are page-exact).
 * Not modelled: when the FIRST element is empty, the kernel's map_sg leaves an empty first DMA
 * segment (tce_map_sg() counts it too) and its unmap_sg stops there, leaking the entries.
 */
void tce_unmap_sg(struct tce_table *t, struct tce_sg *sg, unsigned nelems);

/*
 * iommu_alloc_coherent(): @paddr is the (PAGE_SIZE-aligned) buffer the page allocator gave.
 * Returns the bus address (| paddr's offset within the IOMMU page) or TCE_ALLOC_FAIL; a size
 * with get_order() >= IOMAP_MAX_ORDER fails without searching or counting a failure (the
 * kernel refuses it before the allocator). *@entry and *@npages as for tce_map_page().
 */
uint64_t tce_alloc_coherent(struct tce_table *t, const struct tce_dev *d, unsigned cpu,
			    uint64_t paddr, uint64_t size, uint64_t *entry, uint64_t *npages);
/* iommu_free_coherent(). */
void tce_free_coherent(struct tce_table *t, const struct tce_dev *d, uint64_t dma, uint64_t size);

#endif
