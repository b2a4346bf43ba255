/*
 * event.h: the normalised event every reader yields and every consumer reads.
 *
 * One struct for all trace formats. Field meaning depends on the kind; the table in
 * man/iommusim-trace.5 is the reference. The numeric values of enum ism_kind, enum ism_dir
 * and the ISM_EF_* flags are part of the native file format: never renumber, only append.
 */
#ifndef ISM_EVENT_H
#define ISM_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* X(name, value, label): label is what dump/stats print. */
#define ISM_KINDS(X)                                                   \
	X(NONE, 0, "none")                                             \
	X(MAP, 1, "map")               /* dma_map_page/_phys/_resource */ \
	X(UNMAP, 2, "unmap")           /* dma_unmap_page/_phys/_resource */ \
	X(MAP_SG, 3, "map_sg")                                         \
	X(UNMAP_SG, 4, "unmap_sg")                                     \
	X(MAP_SG_ERR, 5, "map_sg_err")                                 \
	X(ALLOC, 6, "alloc")           /* dma_alloc, _pages, _sgt */   \
	X(FREE, 7, "free")             /* dma_free, _pages, _sgt */    \
	X(ALLOC_ERR, 8, "alloc_err")   /* dma_alloc_sgt_err */         \
	X(SYNC_CPU, 9, "sync_cpu")     /* dma_sync_single_for_cpu */   \
	X(SYNC_DEV, 10, "sync_dev")    /* dma_sync_single_for_device */ \
	X(SYNC_SG_CPU, 11, "sync_sg_cpu")                              \
	X(SYNC_SG_DEV, 12, "sync_sg_dev")                              \
	X(BOUNCE, 13, "bounce")        /* swiotlb:swiotlb_bounced */   \
	X(HCALL_ENTRY, 14, "hcall_entry")                              \
	X(HCALL_EXIT, 15, "hcall_exit")                                \
	X(IOMMU_MAP, 16, "iommu_map")                                  \
	X(IOMMU_UNMAP, 17, "iommu_unmap")                              \
	X(MARKER, 18, "marker")        /* trace_marker text */         \
	X(LOST, 19, "lost")            /* events lost by the ring buffer */ \
	X(UNKNOWN, 20, "unknown")      /* an event this reader does not model */ \
	X(IOTLB_INV, 21, "iotlb_inv")  /* an IOMMU driver's IOTLB invalidation */

enum ism_kind {
#define ISM_KIND_ENUM(n, v, l) ISM_EV_##n = v,
	ISM_KINDS(ISM_KIND_ENUM)
#undef ISM_KIND_ENUM
	ISM_EV__COUNT
};

/* enum dma_data_direction, as the kernel numbers it. */
enum ism_dir {
	ISM_DIR_BIDIRECTIONAL = 0,
	ISM_DIR_TO_DEVICE = 1,
	ISM_DIR_FROM_DEVICE = 2,
	ISM_DIR_NONE = 3,
	ISM_DIR_UNKNOWN = 4, /* the trace does not say (dma_alloc before 6.13, hcalls, ...) */
};

/* IOTLB_INV scope (in @arg; part of the native format). */
enum ism_inv_scope {
	ISM_INV_RANGE = 0,  /* a range after an unmap: VT-d cache_tag_flush_range, SMMUv3 iotlb_sync */
	ISM_INV_ALL = 1,    /* the whole domain: cache_tag_flush_all, flush_iotlb_all */
	ISM_INV_MAP = 2,    /* a range after a map (VT-d caching mode): cache_tag_flush_range_np */
};

/* Event flags (bit values are part of the native format). */
enum {
	ISM_EF_TRUNCATED = 1 << 0,  /* sg arrays shorter than nents/ents: capped by the kernel
				     * (DMA_TRACE_MAX_ENTRIES), the recorder or a .bt script */
	ISM_EF_FORCE = 1 << 1,      /* swiotlb_bounced: bounce was forced (swiotlb=force) */
	ISM_EF_MMIO = 1 << 2,       /* map of a resource / DMA_ATTR_MMIO: not RAM */
	ISM_EF_PAGES = 1 << 3,      /* alloc/free: the _pages variant */
	ISM_EF_SGT = 1 << 4,        /* alloc/free: the _sgt variant */
	ISM_EF_LOST_UNKNOWN = 1 << 5, /* LOST: the count is unknown (arg = 0) */
	ISM_EF_HCALL_ARGS = 1 << 7, /* HCALL_ENTRY: paddr, size, arg, nents = args[0..3] */
	ISM_EF_CTX = 1 << 8,        /* the reader knows the context: HARDIRQ/SOFTIRQ say which */
	ISM_EF_HARDIRQ = 1 << 9,    /* recorded in hard interrupt context */
	ISM_EF_SOFTIRQ = 1 << 10,   /* recorded in softirq context (not inside a hard irq) */
	ISM_EF_LOST_ANYCPU = 1 << 11, /* LOST: not attributed to one CPU (ftrace header count) */
};

/* The event ran in interrupt context (hard or soft), as far as the reader knows. */
static inline int ism_in_irq(unsigned flags)
{
	return (flags & ISM_EF_CTX) && (flags & (ISM_EF_HARDIRQ | ISM_EF_SOFTIRQ));
}

/* DMA attribute bits (include/linux/dma-mapping.h). */
#define ISM_ATTR_WEAK_ORDERING (1u << 1)
#define ISM_ATTR_WRITE_COMBINE (1u << 2)
#define ISM_ATTR_NO_KERNEL_MAPPING (1u << 4)
#define ISM_ATTR_SKIP_CPU_SYNC (1u << 5)
#define ISM_ATTR_FORCE_CONTIGUOUS (1u << 6)
#define ISM_ATTR_ALLOC_SINGLE_PAGES (1u << 7)
#define ISM_ATTR_NO_WARN (1u << 8)
#define ISM_ATTR_PRIVILEGED (1u << 9)
#define ISM_ATTR_MMIO (1u << 10)

/* Scatter-gather entry flags. */
enum {
	ISM_SGE_PHYS = 1 << 0, /* phys is valid (an input segment) */
	ISM_SGE_DMA = 1 << 1,  /* dma and len are valid (an output segment) */
	ISM_SGE_IN = 1 << 2,   /* recorder: input segment i as read from the scatterlist: phys
				* and len (its own length) valid; follows the PHYS/DMA entries */
};

/* One scatter-gather element: input side (phys) and/or output side (dma, len). */
struct ism_sge {
	uint64_t phys;
	uint64_t dma;
	uint32_t len;
	uint32_t flags;
};

/*
 * struct ism_event - one normalised trace event.
 * @ts_ns:  timestamp in ns, in the trace's clock (see provenance "clock").
 * @addr:   DMA address / IOVA (map, unmap, sync, alloc, free, iommu); for BOUNCE the
 *          dev_addr (phys_to_dma of the original buffer); for HCALL_* the opcode.
 * @paddr:  physical address (map, iommu map); alloc/free: the kernel virtual address.
 * @size:   bytes (map, unmap, sync, alloc, bounce, iommu).
 * @arg:    kind-specific: HCALL_EXIT retval; BOUNCE dma_mask; LOST count; ALLOC gfp flags;
 *          MAP_SG_ERR/ALLOC_ERR error; IOMMU_UNMAP unmapped size; IOTLB_INV scope
 *          (enum ism_inv_scope; addr and size give the range when the event does).
 * @attrs:  DMA_ATTR_* bits.
 * @nents:  sg: number of input entries (full count, even when the arrays were truncated).
 * @ents:   sg: number of output (mapped) entries, full count.
 * @cpu:    CPU that recorded the event.
 * @pid:    task (thread) id that was running, 0 when unknown or the idle task (the native
 *          format does not store it; the context flags ISM_EF_CTX.. it does).
 * @dev:    interned device id (reader_dev_name()); 0 = no device.
 * @kind:   enum ism_kind.
 * @dir:    enum ism_dir.
 * @flags:  ISM_EF_*.
 * @nsg:    entries in @sg (0 when none).
 * @sg:     sg elements, valid until the next reader_next().
 * @text:   MARKER text / UNKNOWN event name, NUL terminated, valid until the next reader_next().
 * @text_len: strlen(@text).
 */
struct ism_event {
	uint64_t ts_ns;
	union {
		uint64_t addr;
		uint64_t opcode;
	};
	uint64_t paddr;
	uint64_t size;
	union {
		uint64_t arg;
		int64_t retval;
		int64_t err;
		uint64_t count;
		uint64_t dma_mask;
		uint64_t gfp;
	};
	uint32_t attrs;
	uint32_t nents;
	uint32_t ents;
	uint16_t cpu;
	uint16_t dev;
	uint8_t kind;
	uint8_t dir;
	uint16_t flags;
	uint32_t nsg;
	uint32_t text_len;
	uint32_t pid;
	const struct ism_sge *sg;
	const char *text;
};

const char *ism_kind_name(unsigned kind);
int ism_kind_from_name(const char *name);
const char *ism_dir_name(unsigned dir);
int ism_dir_from_name(const char *s, size_t len);
const char *ism_hcall_name(uint64_t opcode);
int ism_hcall_from_name(const char *name, uint64_t *opcode);

/* Kinds that carry an sg array. */
static inline int ism_kind_has_sg(unsigned k)
{
	return k == ISM_EV_MAP_SG || k == ISM_EV_UNMAP_SG || k == ISM_EV_MAP_SG_ERR ||
	       k == ISM_EV_SYNC_SG_CPU || k == ISM_EV_SYNC_SG_DEV || k == ISM_EV_ALLOC ||
	       k == ISM_EV_FREE || k == ISM_EV_ALLOC_ERR;
}

/*
 * Where the kernel fires the tracepoint relative to the work (kernel/dma/mapping.c):
 * dma_unmap_sg_attrs() and dma_free_attrs() (and the _pages/_sgt frees) trace BEFORE they do
 * the work, every other DMA API call traces after it. So the hypercalls of an unmap_sg or a
 * free follow its event; those of a map, unmap, alloc or sync precede it.
 */
static inline int ism_kind_traced_first(unsigned k)
{
	return k == ISM_EV_UNMAP_SG || k == ISM_EV_FREE;
}

#endif
