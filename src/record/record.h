/*
 * record.h: what the recorder's BPF program (record.bpf.c) and `iommusim record`
 * (recorder.c) share: the ring-buffer record and the tracepoint numbering.
 *
 * One record per event: struct ism_rec, then for scatter-gather events sg_in/sg_out-many
 * struct ism_rec_sge (max of the two). Kinds are the ISM_EV_* values of event.h.
 */
#ifndef ISM_RECORD_H
#define ISM_RECORD_H

#define ISM_REC_DEV_LEN 48
#define ISM_REC_SG_MAX 128
#define ISM_REC_ARENA 65536

/* Kind values (the same numbers as enum ism_kind in event.h; recorder.c checks). */
#define ISM_REC_MAP 1
#define ISM_REC_UNMAP 2
#define ISM_REC_MAP_SG 3
#define ISM_REC_UNMAP_SG 4
#define ISM_REC_MAP_SG_ERR 5
#define ISM_REC_ALLOC 6
#define ISM_REC_FREE 7
#define ISM_REC_ALLOC_ERR 8
#define ISM_REC_SYNC_CPU 9
#define ISM_REC_SYNC_DEV 10
#define ISM_REC_SYNC_SG_CPU 11
#define ISM_REC_SYNC_SG_DEV 12
#define ISM_REC_BOUNCE 13
#define ISM_REC_HCALL_ENTRY 14
#define ISM_REC_HCALL_EXIT 15
#define ISM_REC_IOMMU_MAP 16
#define ISM_REC_IOMMU_UNMAP 17

/* Flag values (ISM_EF_* in event.h). */
#define ISM_REC_F_TRUNCATED (1 << 0)
#define ISM_REC_F_FORCE (1 << 1)
#define ISM_REC_F_MMIO (1 << 2)
#define ISM_REC_F_PAGES (1 << 3)
#define ISM_REC_F_SGT (1 << 4)
#define ISM_REC_F_HCALL_ARGS (1 << 7)

/*
 * struct ism_rec - one event from the kernel, fields as struct ism_event (event.h).
 * @sg_in:  entries below this hold an input segment (phys, inlen).
 * @sg_out: entries below this hold an output segment (dma, len).
 * @dev:    dev_name() of the device, NUL terminated ("" = none).
 */
struct ism_rec {
	__u64 ts;
	__u64 addr;
	__u64 paddr;
	__u64 size;
	__u64 arg;
	__u32 attrs;
	__u32 nents;
	__u32 ents;
	__u16 sg_in;
	__u16 sg_out;
	__u16 cpu;
	__u16 flags;
	__u8 kind;
	__u8 dir;
	__u8 pad[2];
	char dev[ISM_REC_DEV_LEN];
};

struct ism_rec_sge {
	__u64 phys;  /* input segment: sg_phys() */
	__u64 dma;   /* output segment: sg_dma_address() */
	__u32 len;   /* output segment: sg_dma_len() */
	__u32 inlen; /* input segment: sg->length */
};

/*
 * The tracepoints, in the order of the programs' .tp argument. Each has a tp_btf program
 * (live capture) and a raw_tp one (injection with BPF_PROG_TEST_RUN); both run the same code
 * on the tracepoint's arguments (TP_PROTO order, as u64).
 */
#define ISM_REC_TPS(X)                                                      \
	X(MAP_PHYS, "dma_map_phys")       /* or dma_map_page before 6.18 */  \
	X(UNMAP_PHYS, "dma_unmap_phys")   /* or dma_unmap_page */            \
	X(MAP_RESOURCE, "dma_map_resource")                                 \
	X(UNMAP_RESOURCE, "dma_unmap_resource")                             \
	X(MAP_SG, "dma_map_sg")                                             \
	X(UNMAP_SG, "dma_unmap_sg")                                         \
	X(MAP_SG_ERR, "dma_map_sg_err")                                     \
	X(ALLOC, "dma_alloc")                                               \
	X(ALLOC_PAGES, "dma_alloc_pages")                                   \
	X(ALLOC_SGT_ERR, "dma_alloc_sgt_err")                               \
	X(ALLOC_SGT, "dma_alloc_sgt")                                       \
	X(FREE, "dma_free")                                                 \
	X(FREE_PAGES, "dma_free_pages")                                     \
	X(FREE_SGT, "dma_free_sgt")                                         \
	X(SYNC_CPU, "dma_sync_single_for_cpu")                              \
	X(SYNC_DEV, "dma_sync_single_for_device")                           \
	X(SYNC_SG_CPU, "dma_sync_sg_for_cpu")                               \
	X(SYNC_SG_DEV, "dma_sync_sg_for_device")                            \
	X(BOUNCE, "swiotlb_bounced")                                        \
	X(HCALL_ENTRY, "hcall_entry")                                       \
	X(HCALL_EXIT, "hcall_exit")                                         \
	X(IOMMU_MAP, "map")                                                 \
	X(IOMMU_UNMAP, "unmap")

enum ism_rec_tp {
#define ISM_REC_TP_ENUM(n, s) ISM_TP_##n,
	ISM_REC_TPS(ISM_REC_TP_ENUM)
#undef ISM_REC_TP_ENUM
	ISM_TP__COUNT
};

#endif
