/*
 * iommu-pgtable.h: the page-table work of iommu_map()/iommu_unmap() for one IOMMU domain, as
 * counts a cost model can charge.
 *
 * From drivers/iommu/iommu.c in Linux 6.12 (re-implemented, not copied):
 *  - __iommu_map() splits a range into iommu_pgsize() chunks: the largest page size of
 *    pgsize_bitmap that fits the remaining size and the alignment of iova | paddr; when a
 *    larger size exists and iova and paddr are equally offset within it, the count of smaller
 *    pages stops at the next larger-page boundary. Each chunk is one ->map_pages() call of
 *    pgcount pages of pgsize.
 *  - __iommu_unmap() splits the same way from (iova, iova) and calls ->unmap_pages() until
 *    the size is unmapped or nothing more is.
 * And from the two drivers whose radix tables this models, io-pgtable-arm (SMMUv3, 4 KiB
 * granule: pgsize_bitmap 4K|2M|1G) and intel-iommu's second/first-level tables (4K, 2M and 1G
 * when the IOMMU has the superpage capabilities, as QEMU's intel-iommu has): 8-byte entries,
 * 512 per 4 KiB table, levels = ceil((va_bits - 12) / 9) (39 bits: 3, 48 bits: 4); a map walks
 * down once per table of leaves it fills (allocating missing tables on the way, zeroed), then
 * writes its entries; an unmap clears the entries its range covers and frees a table only
 * when the range covers all of the table's span (dma_pte_clear_level(),
 * __arm_lpae_unmap()): tables emptied piecemeal stay. A partial unmap of a superpage unmaps all
 * of it (intel_iommu_unmap() rounds the size up); the model does the same.
 *
 * Deterministic; memory is the tables themselves (as much as the kernel keeps).
 */
#ifndef ISM_IOMMU_PGTABLE_H
#define ISM_IOMMU_PGTABLE_H

#include <stdint.h>

#define IOPT_MAX_LEVELS 6
#define IOPT_PGSIZE_DEFAULT ((1ull << 12) | (1ull << 21) | (1ull << 30))

struct iopt_config {
	uint64_t pgsize_bitmap;	/* 0 = 4K | 2M | 1G */
	unsigned va_bits;	/* input address bits; 0 = 48 */
};

/* Work done, summed over calls; level 1 is the leaf level of the smallest page size. */
struct iopt_work {
	uint64_t map_calls;		/* ->map_pages() calls */
	uint64_t unmap_calls;		/* ->unmap_pages() calls */
	uint64_t walks;			/* descents from the root to a table */
	uint64_t walk_steps;		/* table levels those descents passed through */
	uint64_t ptes_set[IOPT_MAX_LEVELS + 1];	/* leaf entries written, by level */
	uint64_t ptes_cleared[IOPT_MAX_LEVELS + 1]; /* entries cleared, by level (tables too) */
	uint64_t tables_alloc, tables_freed;	/* page-table pages */
	uint64_t bytes_mapped, bytes_unmapped;
	uint64_t errors;		/* maps over a present entry, unaligned calls */
};

struct iopt_table;

struct iopt {
	uint64_t pgsize_bitmap;
	unsigned levels, va_bits;
	struct iopt_table *root;
	uint64_t tables_now, tables_peak;	/* page-table pages, root included */
	struct iopt_work w;
};

/* Return: 0, or -ISM_ERANGE: a page size that is not a 4 KiB-granule level size, va_bits
 * outside 21..57. */
int iopt_init(struct iopt *pt, const struct iopt_config *cfg);
void iopt_free(struct iopt *pt);

/*
 * __iommu_map(): map [@iova, @iova + @size) to @paddr. The work is added to @pt->w and, when
 * @w is not NULL, to *@w. Return: 0; -ISM_ERANGE when the range is not aligned to the smallest
 * page or overlaps a present entry (what is mapped before the overlap stays mapped and counted;
 * the kernel would unmap it again).
 */
int iopt_map(struct iopt *pt, uint64_t iova, uint64_t paddr, uint64_t size, struct iopt_work *w);

/* __iommu_unmap(): return the bytes unmapped (stops at the first hole, as the kernel does). */
uint64_t iopt_unmap(struct iopt *pt, uint64_t iova, uint64_t size, struct iopt_work *w);

/* iommu_pgsize(): the page size and count of the next chunk. */
uint64_t iopt_pgsize(uint64_t pgsize_bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
		     uint64_t *count);

#endif
