/*
 * reader-tracedat.c: trace-cmd trace.dat files (versions 6 and 7) through libtracecmd.
 *
 * Open: the file's structure is checked first (td_scan(), tracedat-scan.c), then handed to
 * libtracecmd.
 * libtracecmd 1.3.1 trusts every size and offset in the file: a truncated or corrupt file can
 * make it crash (tracecmd_close() on a half-initialised handle, unbounded recursion through
 * the options chain, strdup() of unterminated strings, a NULL hook). The scan mirrors what the
 * library reads and rejects what would hurt it, with a message that says where the file is bad.
 *
 * Read: pull-based and streaming. One record per CPU is held; next() takes the earliest (ties:
 * lowest CPU) from a small binary heap, decodes it into a struct ism_event and refills that
 * CPU. The records come from the CPU's ring-buffer pages, which this reader reads itself
 * (td_walk_*: pread() of a few pages at a time into a buffer of its own, records split by
 * libtraceevent's kbuffer, exactly as libtracecmd does it), so memory stays flat at any
 * length: libtracecmd 1.3.1 maps each CPU's data and keeps what it read resident. zstd CPU
 * data (version 7) is decompressed one chunk at a time (td_walk_chunk()). Files whose
 * timestamps libtracecmd converts (TSC2NSEC, guest TIME_SHIFT) or that use another compression
 * are read through tracecmd_read_cpu_first() / tracecmd_read_data() instead.
 * Events are decoded from fields looked up once at open (tep_find_field()); the event id
 * (common_type) indexes a table, so dispatch is one array load per record.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trace-cmd.h>
#include <traceevent/kbuffer.h>
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "error.h"
#include "reader.h"
#include "tracedat-scan.h"

/* ---- events --------------------------------------------------------------------------- */

/* Field slots of a known event. */
enum {
	TF_DEV,       /* __data_loc char[] device / dev_name */
	TF_ADDR,      /* dma_addr / addr / iova / dev_addr / opcode */
	TF_PADDR,     /* phys_addr / virt_addr / paddr */
	TF_SIZE,
	TF_DIR,
	TF_ATTRS,
	TF_ARG,       /* flags (gfp) / err / dma_mask / retval / unmapped_size */
	TF_PHYS,      /* __data_loc u64[] phys_addrs / addrs */
	TF_DMA,       /* __data_loc u64[] dma_addrs */
	TF_LEN,       /* __data_loc unsigned int[] lengths */
	TF_NENTS,     /* full_nents */
	TF_ENTS,      /* full_ents */
	TF_BOOL,      /* truncated / force */
	TF_ENUM,      /* swiotlb_force (before 5.19) */
	TF_BUF,       /* ftrace:print buf */
	TF__COUNT
};

/* How a field is stored. */
enum { FT_NUM, FT_DYN, FT_TEXT };

/* Decoders. */
enum { H_MAP, H_MAP_SG, H_UNMAP_SG, H_MAP_SG_ERR, H_ALLOC, H_SYNC, H_SYNC_SG, H_BOUNCE,
       H_HCALL, H_IOMMU, H_MARKER };

struct td_fspec {
	uint8_t slot;
	uint8_t type;
	bool required;
	const char *name;
};

struct td_spec {
	const char *system;
	const char *name;
	uint8_t kind;
	uint8_t handler;
	uint16_t flags;
	const struct td_fspec *fields;
};

#define REQ(slot, type, name) { slot, type, true, name }
#define OPT(slot, type, name) { slot, type, false, name }
#define END { TF__COUNT, 0, false, NULL }

static const struct td_fspec fs_map[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_PADDR, FT_NUM, "phys_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_DIR, FT_NUM, "dir"), REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_unmap[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "addr"),
	REQ(TF_SIZE, FT_NUM, "size"), REQ(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_map_sg[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_DMA, FT_DYN, "dma_addrs"), REQ(TF_LEN, FT_DYN, "lengths"),
	REQ(TF_DIR, FT_NUM, "dir"), REQ(TF_ATTRS, FT_NUM, "attrs"),
	OPT(TF_NENTS, FT_NUM, "full_nents"), OPT(TF_ENTS, FT_NUM, "full_ents"),
	OPT(TF_BOOL, FT_NUM, "truncated"), END
};
static const struct td_fspec fs_unmap_sg[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "addrs"),
	REQ(TF_DIR, FT_NUM, "dir"), REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_map_sg_err[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_ARG, FT_NUM, "err"), REQ(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_alloc[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_PADDR, FT_NUM, "virt_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_ARG, FT_NUM, "flags"), OPT(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_alloc_sgt[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_ADDR, FT_NUM, "dma_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_ARG, FT_NUM, "flags"), OPT(TF_DIR, FT_NUM, "dir"),
	REQ(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_free[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_PADDR, FT_NUM, "virt_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	OPT(TF_DIR, FT_NUM, "dir"), OPT(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_free_sgt[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_PHYS, FT_DYN, "phys_addrs"),
	REQ(TF_ADDR, FT_NUM, "dma_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	OPT(TF_DIR, FT_NUM, "dir"), OPT(TF_ATTRS, FT_NUM, "attrs"), END
};
static const struct td_fspec fs_sync[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_ADDR, FT_NUM, "dma_addr"),
	REQ(TF_SIZE, FT_NUM, "size"), REQ(TF_DIR, FT_NUM, "dir"), END
};
static const struct td_fspec fs_sync_sg[] = {
	REQ(TF_DEV, FT_DYN, "device"), REQ(TF_DMA, FT_DYN, "dma_addrs"),
	REQ(TF_LEN, FT_DYN, "lengths"), REQ(TF_DIR, FT_NUM, "dir"), END
};
static const struct td_fspec fs_bounce[] = {
	REQ(TF_DEV, FT_DYN, "dev_name"), REQ(TF_ARG, FT_NUM, "dma_mask"),
	REQ(TF_ADDR, FT_NUM, "dev_addr"), REQ(TF_SIZE, FT_NUM, "size"),
	OPT(TF_BOOL, FT_NUM, "force"), OPT(TF_ENUM, FT_NUM, "swiotlb_force"), END
};
static const struct td_fspec fs_hcall_entry[] = {
	REQ(TF_ADDR, FT_NUM, "opcode"), END
};
static const struct td_fspec fs_hcall_exit[] = {
	REQ(TF_ADDR, FT_NUM, "opcode"), REQ(TF_ARG, FT_NUM, "retval"), END
};
static const struct td_fspec fs_iommu_map[] = {
	REQ(TF_ADDR, FT_NUM, "iova"), REQ(TF_PADDR, FT_NUM, "paddr"),
	REQ(TF_SIZE, FT_NUM, "size"), END
};
static const struct td_fspec fs_iommu_unmap[] = {
	REQ(TF_ADDR, FT_NUM, "iova"), REQ(TF_SIZE, FT_NUM, "size"),
	REQ(TF_ARG, FT_NUM, "unmapped_size"), END
};
static const struct td_fspec fs_print[] = {
	REQ(TF_BUF, FT_TEXT, "buf"), END
};

#undef REQ
#undef OPT
#undef END

static const struct td_spec td_specs[] = {
	{ "dma", "dma_map_phys", ISM_EV_MAP, H_MAP, 0, fs_map },
	{ "dma", "dma_map_page", ISM_EV_MAP, H_MAP, 0, fs_map },
	{ "dma", "dma_map_resource", ISM_EV_MAP, H_MAP, ISM_EF_MMIO, fs_map },
	{ "dma", "dma_unmap_phys", ISM_EV_UNMAP, H_MAP, 0, fs_unmap },
	{ "dma", "dma_unmap_page", ISM_EV_UNMAP, H_MAP, 0, fs_unmap },
	{ "dma", "dma_unmap_resource", ISM_EV_UNMAP, H_MAP, ISM_EF_MMIO, fs_unmap },
	{ "dma", "dma_map_sg", ISM_EV_MAP_SG, H_MAP_SG, 0, fs_map_sg },
	{ "dma", "dma_unmap_sg", ISM_EV_UNMAP_SG, H_UNMAP_SG, 0, fs_unmap_sg },
	{ "dma", "dma_map_sg_err", ISM_EV_MAP_SG_ERR, H_MAP_SG_ERR, 0, fs_map_sg_err },
	{ "dma", "dma_alloc", ISM_EV_ALLOC, H_ALLOC, 0, fs_alloc },
	{ "dma", "dma_alloc_pages", ISM_EV_ALLOC, H_ALLOC, ISM_EF_PAGES, fs_alloc },
	{ "dma", "dma_alloc_sgt", ISM_EV_ALLOC, H_ALLOC, ISM_EF_SGT, fs_alloc_sgt },
	{ "dma", "dma_alloc_sgt_err", ISM_EV_ALLOC_ERR, H_ALLOC, 0, fs_alloc },
	{ "dma", "dma_free", ISM_EV_FREE, H_ALLOC, 0, fs_free },
	{ "dma", "dma_free_pages", ISM_EV_FREE, H_ALLOC, ISM_EF_PAGES, fs_free },
	{ "dma", "dma_free_sgt", ISM_EV_FREE, H_ALLOC, ISM_EF_SGT, fs_free_sgt },
	{ "dma", "dma_sync_single_for_cpu", ISM_EV_SYNC_CPU, H_SYNC, 0, fs_sync },
	{ "dma", "dma_sync_single_for_device", ISM_EV_SYNC_DEV, H_SYNC, 0, fs_sync },
	{ "dma", "dma_sync_sg_for_cpu", ISM_EV_SYNC_SG_CPU, H_SYNC_SG, 0, fs_sync_sg },
	{ "dma", "dma_sync_sg_for_device", ISM_EV_SYNC_SG_DEV, H_SYNC_SG, 0, fs_sync_sg },
	{ "swiotlb", "swiotlb_bounced", ISM_EV_BOUNCE, H_BOUNCE, 0, fs_bounce },
	{ "powerpc", "hcall_entry", ISM_EV_HCALL_ENTRY, H_HCALL, 0, fs_hcall_entry },
	{ "powerpc", "hcall_exit", ISM_EV_HCALL_EXIT, H_HCALL, 0, fs_hcall_exit },
	{ "iommu", "map", ISM_EV_IOMMU_MAP, H_IOMMU, 0, fs_iommu_map },
	{ "iommu", "unmap", ISM_EV_IOMMU_UNMAP, H_IOMMU, 0, fs_iommu_unmap },
	{ "ftrace", "print", ISM_EV_MARKER, H_MARKER, 0, fs_print },
};

/*
 * Events reported in provenance "events_missing" when the file does not define them, with
 * the names that stand in for them (renamed or merged events).
 */
static const struct {
	const char *name;
	const char *alt;
} td_families[] = {
	{ "dma:dma_map_phys", "dma:dma_map_page" },
	{ "dma:dma_unmap_phys", "dma:dma_unmap_page" },
	{ "dma:dma_map_resource", "dma:dma_map_phys" },     /* merged in 6.18 */
	{ "dma:dma_unmap_resource", "dma:dma_unmap_phys" },
	{ "dma:dma_map_sg", NULL },
	{ "dma:dma_unmap_sg", NULL },
	{ "dma:dma_map_sg_err", NULL },
	{ "dma:dma_alloc", NULL },
	{ "dma:dma_alloc_pages", NULL },
	{ "dma:dma_alloc_sgt", NULL },
	{ "dma:dma_alloc_sgt_err", NULL },
	{ "dma:dma_free", NULL },
	{ "dma:dma_free_pages", NULL },
	{ "dma:dma_free_sgt", NULL },
	{ "dma:dma_sync_single_for_cpu", NULL },
	{ "dma:dma_sync_single_for_device", NULL },
	{ "dma:dma_sync_sg_for_cpu", NULL },
	{ "dma:dma_sync_sg_for_device", NULL },
	{ "swiotlb:swiotlb_bounced", NULL },
	{ "powerpc:hcall_entry", NULL },
	{ "powerpc:hcall_exit", NULL },
};

/* A known event present in this file. */
struct td_ev {
	const struct td_spec *spec;
	const struct tep_format_field *f[TF__COUNT];
	uint16_t off[TF__COUNT]; /* f[]'s offset and size, at hand for the per-record reads */
	uint8_t size[TF__COUNT];
	unsigned minsize;        /* bytes the fixed fields need */
	char *bad;               /* why this layout cannot be decoded (reported at first use) */
};

/* A device name seen recently (see td_device()). */
#define TD_DEVCACHE_BITS 4
#define TD_DEVCACHE (1u << TD_DEVCACHE_BITS)
#define TD_DEVNAME 40

struct td_devcache {
	uint32_t len;            /* bytes of the raw __data_loc string; 0 = empty */
	uint16_t id;
	uint64_t head, tail;     /* its first and last 8 bytes (strings of 8..16 bytes) */
	char name[TD_DEVNAME];
};

struct td_priv {
	struct td_scan scan;
	struct tracecmd_input *h;
	struct tep_handle *tep;
	int fd;                  /* ours (in_plain_fd), used by the scan and the page check */
	uint64_t fsize;          /* its size at the open: the page walk maps no page beyond it */
	bool swap;
	unsigned type_off;       /* common_type */
	unsigned type_size;
	int flags_off, pid_off;  /* common_flags (u8) and common_pid (s32); -1 = none */
	struct td_ev *evs;       /* evs[0] unused */
	unsigned nevs;
	uint16_t *idmap;         /* event id -> index in @evs, 0 = not modelled */
	char **unk;              /* event id -> "system:name" of a skipped event (lazily) */
	unsigned nids;
	unsigned ncpu;
	struct td_cpu *cpu;      /* = scan.cpu */
	unsigned *heap;          /* CPUs with a pending record, earliest first */
	unsigned nheap;
	bool lost_done;          /* LOST already emitted for the record at the heap top */
	bool walk;               /* pages read by td_walk_*, not by libtracecmd */
#ifdef HAVE_ZSTD
	ZSTD_DCtx *zctx;         /* compressed CPU data (walk) */
#endif
	struct td_devcache devcache[TD_DEVCACHE]; /* recently seen device names */
};

static int tracedat_probe(const unsigned char *buf, size_t len)
{
	return len >= 10 && memcmp(buf, TD_MAGIC, 10) == 0 ? 100 : 0;
}

/* Check that field @name of @e has the storage @type; set e->bad otherwise. */
static void td_bind(struct td_ev *e, struct tep_event *tev, const struct td_fspec *fs)
{
	struct tep_format_field *f = tep_find_field(tev, fs->name);
	bool ok;
	unsigned end;

	if (!f) {
		if (fs->required && !e->bad)
			e->bad = xasprintf("cannot decode %s:%s events: the format has no field "
					   "'%s'", tev->system, tev->name, fs->name);
		return;
	}
	switch (fs->type) {
	case FT_NUM:
		ok = !(f->flags & TEP_FIELD_IS_DYNAMIC) &&
		     (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
		break;
	case FT_DYN:
		ok = (f->flags & TEP_FIELD_IS_DYNAMIC) && f->size == 4;
		break;
	default:
		ok = ((f->flags & TEP_FIELD_IS_DYNAMIC) && f->size == 4) ||
		     (!(f->flags & TEP_FIELD_IS_DYNAMIC) && f->size >= 0);
		break;
	}
	if (!ok || f->offset < 0 || f->offset > 0xffff) {
		if (!e->bad)
			e->bad = xasprintf("cannot decode %s:%s events: field '%s' has an "
					   "unsupported layout (%s, size %d)", tev->system,
					   tev->name, fs->name, f->type, f->size);
		return;
	}
	e->f[fs->slot] = f;
	e->off[fs->slot] = (uint16_t)f->offset;
	e->size[fs->slot] = (uint8_t)f->size;
	end = (unsigned)f->offset + (unsigned)f->size;
	if (end > e->minsize)
		e->minsize = end;
}

static void td_set_prov_num(struct reader *r, const char *key, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	reader_set_prov(r, key, buf);
}

/* Look every known event up once and build the id table. */
static int td_bind_events(struct reader *r, struct td_priv *p)
{
	int n = tep_get_events_count(p->tep);
	unsigned maxid = 0;
	char *missing = NULL;
	size_t mlen = 0;

	for (int i = 0; i < n; i++) {
		struct tep_event *tev = tep_get_event(p->tep, i);

		if (tev && tev->id >= 0 && (unsigned)tev->id > maxid && tev->id <= 0xffff)
			maxid = (unsigned)tev->id;
		if (tev && !p->type_size) {
			struct tep_format_field *ct = tep_find_common_field(tev, "common_type");
			struct tep_format_field *cf = tep_find_common_field(tev, "common_flags");
			struct tep_format_field *cp = tep_find_common_field(tev, "common_pid");

			if (ct && ct->offset >= 0 && (ct->size == 1 || ct->size == 2 ||
						      ct->size == 4)) {
				p->type_off = (unsigned)ct->offset;
				p->type_size = (unsigned)ct->size;
				p->flags_off = cf && cf->size == 1 && cf->offset >= 0 ? cf->offset : -1;
				p->pid_off = cp && cp->size == 4 && cp->offset >= 0 ? cp->offset : -1;
			}
		}
	}
	if (!p->type_size) {
		p->type_off = 0;
		p->type_size = 2;
		p->flags_off = p->pid_off = -1;
	}
	p->nids = maxid + 1;
	p->idmap = xcalloc(p->nids, sizeof(*p->idmap));
	p->unk = xcalloc(p->nids, sizeof(*p->unk));
	p->evs = xcalloc(ISM_ARRAY_SIZE(td_specs) + 1, sizeof(*p->evs));
	p->nevs = 1;
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(td_specs); i++) {
		const struct td_spec *sp = &td_specs[i];
		struct tep_event *tev = tep_find_event_by_name(p->tep, sp->system, sp->name);
		struct td_ev *e;

		if (!tev || tev->id < 0 || (unsigned)tev->id >= p->nids)
			continue;
		e = &p->evs[p->nevs];
		e->spec = sp;
		for (const struct td_fspec *fs = sp->fields; fs->name; fs++)
			td_bind(e, tev, fs);
		p->idmap[tev->id] = (uint16_t)p->nevs++;
	}
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(td_families); i++) {
		const char *names[2] = { td_families[i].name, td_families[i].alt };
		bool found = false;

		for (unsigned k = 0; k < 2 && names[k] && !found; k++) {
			const char *colon = strchr(names[k], ':');
			char sys[16];

			snprintf(sys, sizeof(sys), "%.*s", (int)(colon - names[k]), names[k]);
			found = tep_find_event_by_name(p->tep, sys, colon + 1) != NULL;
		}
		if (!found) {
			size_t k = strlen(names[0]);

			missing = xrealloc(missing, mlen + k + 2);
			if (mlen)
				missing[mlen++] = ' ';
			memcpy(missing + mlen, names[0], k + 1);
			mlen += k;
		}
	}
	reader_set_prov(r, "events_missing", missing ? missing : "");
	free(missing);
	return 0;
}

/* ---- record decoding ------------------------------------------------------------------ */

static inline uint64_t td_field(const struct td_priv *p, const struct tep_format_field *f,
				const uint8_t *d)
{
	return td_num(p->swap, d + f->offset, (unsigned)f->size);
}

/* Numeric field @slot of @e (present). */
static inline uint64_t td_slot(const struct td_priv *p, const struct td_ev *e, unsigned slot,
			       const uint8_t *d)
{
	return td_num(p->swap, d + e->off[slot], e->size[slot]);
}

/* A signed field, sign-extended to 64 bits. */
static inline int64_t td_sfield(const struct td_priv *p, const struct tep_format_field *f,
				const uint8_t *d)
{
	uint64_t v = td_field(p, f, d);
	unsigned bits = (unsigned)f->size * 8;

	if ((f->flags & TEP_FIELD_IS_SIGNED) && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	return (int64_t)v;
}

static int td_bad_record(struct reader *r, const struct tep_record *rec, const char *what)
{
	return reader_fail(r, -ISM_ECORRUPT, "corrupt record on CPU %d at file offset %llu: %s",
			   rec->cpu, rec->offset, what);
}

/* A 32-bit field of the event model given a larger value by the format: an error, no cut. */
static int td_range(struct reader *r, const struct tep_record *rec, const char *field,
		    uint64_t v)
{
	return reader_fail(r, -ISM_ERANGE, "record on CPU %d at file offset %llu: %s %llu out "
			   "of range (at most %u)", rec->cpu, rec->offset, field,
			   (unsigned long long)v, UINT32_MAX);
}

/* A __data_loc / __rel_loc field: payload pointer and length, bounds-checked. */
static int td_dyn(struct reader *r, const struct td_priv *p, const struct tep_format_field *f,
		  const struct tep_record *rec, const uint8_t **ptr, uint32_t *len)
{
	const uint8_t *d = rec->data;
	uint32_t v = (uint32_t)td_field(p, f, d);
	uint32_t off = v & 0xffff;

	*len = v >> 16;
	if (f->flags & TEP_FIELD_IS_RELATIVE)
		off += (uint32_t)(f->offset + f->size);
	if (off > (uint32_t)rec->size || *len > (uint32_t)rec->size - off)
		return td_bad_record(r, rec, "dynamic field outside the record");
	*ptr = d + off;
	return 0;
}

/* Text of a string field (__data_loc char[] or char buf[] up to the record's end). */
static int td_text(struct reader *r, const struct td_priv *p, const struct tep_format_field *f,
		   const struct tep_record *rec, const char **s, size_t *len)
{
	const uint8_t *ptr = NULL;
	uint32_t n = 0;

	*s = "";
	*len = 0;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		if (td_dyn(r, p, f, rec, &ptr, &n))
			return r->errcode;
	} else {
		ptr = (const uint8_t *)rec->data + f->offset;
		n = f->size ? (uint32_t)f->size : (uint32_t)(rec->size - f->offset);
	}
	*s = (const char *)ptr;
	*len = strnlen(*s, n);
	return 0;
}

/*
 * The device of an event. Interning a name costs a hash and a lookup per event; instead the
 * raw __data_loc bytes (NUL included) are looked up in a small direct-mapped cache, and only
 * a miss measures the string and interns it. Names of 8..16 bytes (PCI names are 13 with the
 * NUL) compare as two 8-byte words.
 */
static int td_device(struct reader *r, struct td_priv *p, const struct td_ev *e,
		     const struct tep_record *rec, struct ism_event *ev)
{
	const struct tep_format_field *f = e->f[TF_DEV];
	struct td_devcache *dc;
	const uint8_t *raw;
	uint64_t head = 0, tail = 0;
	uint32_t n;
	size_t len;
	int id;

	if (!(f->flags & TEP_FIELD_IS_DYNAMIC)) {
		const char *s;

		if (td_text(r, p, f, rec, &s, &len))
			return r->errcode;
		id = reader_dev(r, s, len);
		if (id < 0)
			return r->errcode;
		ev->dev = (uint16_t)id;
		return 0;
	}
	if (td_dyn(r, p, f, rec, &raw, &n))
		return r->errcode;
	if (n >= 8 && n <= 16) {
		unsigned h;

		memcpy(&head, raw, 8);
		memcpy(&tail, raw + n - 8, 8);
		h = (unsigned)(((head ^ tail) * 0x9e3779b97f4a7c15ull) >> (64 - TD_DEVCACHE_BITS));
		/* open addressing: a few devices never evict each other */
		for (unsigned k = 0; k < TD_DEVCACHE; k++) {
			dc = &p->devcache[(h + k) % TD_DEVCACHE];
			if (dc->len == n && dc->head == head && dc->tail == tail) {
				ev->dev = dc->id;
				return 0;
			}
			if (!dc->len)
				break;
		}
		if (dc->len)
			dc = &p->devcache[h];
	} else {
		dc = &p->devcache[n % TD_DEVCACHE];
		if (dc->len == n && n <= TD_DEVNAME && memcmp(dc->name, raw, n) == 0) {
			ev->dev = dc->id;
			return 0;
		}
	}
	len = strnlen((const char *)raw, n);
	id = reader_dev(r, (const char *)raw, len);
	if (id < 0)
		return r->errcode;
	ev->dev = (uint16_t)id;
	if (n && n <= TD_DEVNAME) {
		dc->len = n;
		dc->id = (uint16_t)id;
		dc->head = head;
		dc->tail = tail;
		memcpy(dc->name, raw, n);
	}
	return 0;
}

/* The sg arrays of map_sg & co. */
static int td_sg(struct reader *r, struct td_priv *p, const struct td_ev *e,
		 const struct tep_record *rec, struct ism_event *ev, uint32_t *nphys,
		 uint32_t *ndma)
{
	const uint8_t *phys = NULL, *dma = NULL, *lens = NULL;
	uint32_t lphys = 0, ldma = 0, llen = 0, nlen, n;
	struct ism_sge *sg;

	if ((e->f[TF_PHYS] && td_dyn(r, p, e->f[TF_PHYS], rec, &phys, &lphys)) ||
	    (e->f[TF_DMA] && td_dyn(r, p, e->f[TF_DMA], rec, &dma, &ldma)) ||
	    (e->f[TF_LEN] && td_dyn(r, p, e->f[TF_LEN], rec, &lens, &llen)))
		return r->errcode;
	*nphys = lphys / 8;
	*ndma = ldma / 8;
	nlen = llen / 4;
	n = *nphys > *ndma ? *nphys : *ndma;
	if (!n)
		return 0;
	sg = reader_sg_reserve(r, n);
	for (uint32_t i = 0; i < n; i++) {
		sg[i].phys = 0;
		sg[i].dma = 0;
		sg[i].len = 0;
		sg[i].flags = 0;
		if (i < *nphys) {
			sg[i].phys = td_num(p->swap, phys + 8 * i, 8);
			sg[i].flags |= ISM_SGE_PHYS;
		}
		if (i < *ndma) {
			sg[i].dma = td_num(p->swap, dma + 8 * i, 8);
			sg[i].len = i < nlen ? (uint32_t)td_num(p->swap, lens + 4 * i, 4) : 0;
			sg[i].flags |= ISM_SGE_DMA;
			ev->size += sg[i].len;
		}
	}
	ev->sg = sg;
	ev->nsg = n;
	return 0;
}

/* Skip an event the model does not know, counting it by name. */
static void td_unknown(struct reader *r, struct td_priv *p, unsigned id)
{
	char **name;
	char tmp[32];

	if (id >= p->nids) {
		int k = snprintf(tmp, sizeof(tmp), "(event id %u)", id);

		reader_count_unknown(r, tmp, (size_t)k);
		return;
	}
	name = &p->unk[id];
	if (!*name) {
		struct tep_event *tev = tep_find_event(p->tep, (int)id);

		*name = tev ? xasprintf("%s:%s", tev->system, tev->name) :
			      xasprintf("(event id %u)", id);
	}
	reader_count_unknown(r, *name, strlen(*name));
}

/*
 * Start @ev for @rec, every other field zero. A copy of a zero event, not memset() or a
 * compound literal: gcc makes those "rep stos", slow for 88 bytes once per event.
 */
static inline void td_ev_init(struct ism_event *ev, const struct tep_record *rec, unsigned kind,
			      unsigned flags)
{
	static const struct ism_event zero;

	*ev = zero;
	ev->ts_ns = rec->ts;
	ev->cpu = (uint16_t)rec->cpu;
	ev->kind = (uint8_t)kind;
	ev->dir = ISM_DIR_UNKNOWN;
	ev->flags = (uint16_t)flags;
}

/* Decode @rec into @ev: 1 = an event, 0 = skipped, <0 = error. */
static int td_decode(struct reader *r, struct td_priv *p, const struct tep_record *rec,
		     struct ism_event *ev)
{
	const uint8_t *d = rec->data;
	const struct td_ev *e;
	unsigned id;
	uint32_t nphys = 0, ndma = 0;

	if ((unsigned)rec->size < p->type_off + p->type_size)
		return td_bad_record(r, rec, "record too short for its event id");
	id = (unsigned)td_num(p->swap, d + p->type_off, p->type_size);
	if (id >= p->nids || !p->idmap[id]) {
		td_unknown(r, p, id);
		return 0;
	}
	e = &p->evs[p->idmap[id]];
	if (e->bad)
		return reader_fail(r, -ISM_EUNSUPPORTED, "%s", e->bad);
	if ((unsigned)rec->size < e->minsize)
		return td_bad_record(r, rec, "record shorter than its event format");

	td_ev_init(ev, rec, e->spec->kind, e->spec->flags);
	/* the context: TRACE_FLAG_HARDIRQ 0x08, TRACE_FLAG_SOFTIRQ 0x10 (kernel/trace/trace.h) */
	if (p->flags_off >= 0 && (unsigned)rec->size > (unsigned)p->flags_off) {
		unsigned f = d[p->flags_off];

		ev->flags |= ISM_EF_CTX | (f & 0x08 ? ISM_EF_HARDIRQ : f & 0x10 ? ISM_EF_SOFTIRQ : 0);
	}
	if (p->pid_off >= 0 && (unsigned)rec->size >= (unsigned)p->pid_off + 4)
		ev->pid = (uint32_t)td_num(p->swap, d + p->pid_off, 4);
	if (e->f[TF_DEV] && td_device(r, p, e, rec, ev))
		return r->errcode;
	if (e->f[TF_ADDR])
		ev->addr = td_slot(p, e, TF_ADDR, d);
	if (e->f[TF_PADDR])
		ev->paddr = td_slot(p, e, TF_PADDR, d);
	if (e->f[TF_SIZE])
		ev->size = td_slot(p, e, TF_SIZE, d);
	if (e->f[TF_DIR]) {
		uint64_t dir = td_slot(p, e, TF_DIR, d);

		ev->dir = dir <= ISM_DIR_NONE ? (uint8_t)dir : ISM_DIR_UNKNOWN;
	}
	if (e->f[TF_ATTRS]) {
		uint64_t a = td_slot(p, e, TF_ATTRS, d);

		if (a > UINT32_MAX)
			return td_range(r, rec, "attrs", a);
		ev->attrs = (uint32_t)a;
	}
	if (e->f[TF_ARG])
		ev->arg = (uint64_t)td_sfield(p, e->f[TF_ARG], d);

	switch (e->spec->handler) {
	case H_MAP:
		if (ev->attrs & ISM_ATTR_MMIO)
			ev->flags |= ISM_EF_MMIO;
		break;
	case H_MAP_SG:
		if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
			return r->errcode;
		{
			uint64_t ne = e->f[TF_NENTS] ? td_slot(p, e, TF_NENTS, d) : nphys;
			uint64_t nt = e->f[TF_ENTS] ? td_slot(p, e, TF_ENTS, d) : ndma;

			if (ne > UINT32_MAX)
				return td_range(r, rec, "nents", ne);
			if (nt > UINT32_MAX)
				return td_range(r, rec, "ents", nt);
			ev->nents = (uint32_t)ne;
			ev->ents = (uint32_t)nt;
		}
		if (e->f[TF_BOOL] && td_slot(p, e, TF_BOOL, d))
			ev->flags |= ISM_EF_TRUNCATED;
		break;
	case H_UNMAP_SG:
	case H_MAP_SG_ERR:
		if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
			return r->errcode;
		ev->nents = nphys;
		break;
	case H_ALLOC:
		if (e->f[TF_PHYS]) {
			if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
				return r->errcode;
			ev->nents = nphys;
		}
		break;
	case H_SYNC_SG:
		if (td_sg(r, p, e, rec, ev, &nphys, &ndma))
			return r->errcode;
		ev->nents = ndma;
		ev->ents = ndma;
		break;
	case H_BOUNCE:
		if ((e->f[TF_BOOL] && td_slot(p, e, TF_BOOL, d)) ||
		    (e->f[TF_ENUM] && td_slot(p, e, TF_ENUM, d) == 1))
			ev->flags |= ISM_EF_FORCE;
		break;
	case H_MARKER: {
		const char *s;
		size_t len;
		char *t;

		if (td_text(r, p, e->f[TF_BUF], rec, &s, &len))
			return r->errcode;
		if (len && s[len - 1] == '\n')
			len--;
		t = reader_text_reserve(r, len);
		memcpy(t, s, len);
		t[len] = '\0';
		ev->text = t;
		ev->text_len = (uint32_t)len;
		break;
	}
	default:
		break;
	}
	return 1;
}

/* ---- the per-CPU merge ---------------------------------------------------------------- */

/*
 * The record must lie inside its ring-buffer page, and the page's size must be one the kernel
 * can write (libtracecmd only checks it against the whole page, so kbuffer could read past
 * the end of a page whose size field is corrupt). Each page header is checked once, in place.
 */
static int td_check_record(struct reader *r, struct td_priv *p, struct td_cpu *ci,
			   const struct tep_record *rec)
{
	uint32_t ps = p->scan.page_size, hstart = 8 + p->scan.commit_size;
	uint64_t poff = rec->offset & (ps - 1);
	const uint8_t *base;

	if (rec->size < 0 || rec->record_size < rec->size || poff < hstart ||
	    poff + (uint64_t)rec->record_size > ps)
		return td_bad_record(r, rec, "record overruns its ring-buffer page");
	/* the first record of a page: check the pages libtracecmd or the walk loads after it */
	if (!p->scan.cpu_compressed && rec->offset - poff != ci->apage) {
		ci->apage = rec->offset - poff;
		if (td_check_pages(&p->scan, (unsigned)rec->cpu, ci->apage + ps, ci->off + ci->size,
				   p->walk ? ci->buf : NULL, ci->boff, ci->blen, false))
			return reader_fail(r, p->scan.err, "%s", p->scan.msg);
	}
	base = (const uint8_t *)rec->data - (rec->record_size - rec->size) - poff;
	if (base != ci->page) {
		uint64_t commit = td_num(p->swap, base + 8, p->scan.commit_size) & TD_COMMIT_MASK;

		if (commit > ps - hstart)
			return td_bad_record(r, rec, "its ring-buffer page has a bad size");
		ci->page = base;
	}
	return 0;
}

static inline bool td_before(const struct td_priv *p, unsigned a, unsigned b)
{
	uint64_t ta = p->cpu[a].ts, tb = p->cpu[b].ts;

	return ta < tb || (ta == tb && a < b);
}

static void td_sift_down(struct td_priv *p, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, m = i, t;

		if (l < p->nheap && td_before(p, p->heap[l], p->heap[m]))
			m = l;
		if (l + 1 < p->nheap && td_before(p, p->heap[l + 1], p->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = p->heap[i];
		p->heap[i] = p->heap[m];
		p->heap[m] = t;
		i = m;
	}
}

/*
 * CPU @c has no more records. libtracecmd also stops a CPU silently at a page it cannot
 * load, so look at the pages after the last record: one the library would reject means the
 * data is corrupt, not finished.
 */
static void td_cpu_done(struct reader *r, struct td_priv *p, unsigned c)
{
	const struct td_cpu *ci = &p->cpu[c];
	uint32_t ps = p->scan.page_size;
	uint64_t pg, end = ci->off + ci->size;

	if (p->scan.cpu_compressed || !ci->size)
		return;
	pg = ci->seen ? (ci->lastoff & ~(uint64_t)(ps - 1)) + ps : ci->off;
	if (td_check_pages(&p->scan, c, pg, end, NULL, 0, 0, true))
		reader_fail(r, p->scan.err, "%s; the CPU's later events are lost", p->scan.msg);
}

/* ---- the page walk ---------------------------------------------------------------------- */

#define TD_WALK_PAGES 32u        /* pages read per pread() */
#define TD_MAP_BYTES (4u << 20)  /* plain data: the window of the file mapped at a time */

static bool td_force_libtracecmd;

void reader_tracedat_use_libtracecmd(int on)
{
	td_force_libtracecmd = on;
}

/* pread() exactly @n bytes at @off, or fail the reader (EIO, or truncated at end of file). */
static bool td_pread(struct reader *r, struct td_priv *p, void *buf, size_t n, uint64_t off,
		     unsigned cpu)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(p->fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			reader_fail(r, -ISM_EIO, "reading CPU %u ring-buffer data at offset %llu: %s",
				    cpu, (unsigned long long)(off + got), strerror(errno));
			return false;
		}
		if (k == 0) {
			reader_fail(r, -ISM_ETRUNCATED, "truncated trace.dat: CPU %u ring-buffer data "
				    "ends at offset %llu", cpu, (unsigned long long)(off + got));
			return false;
		}
		got += (size_t)k;
	}
	return true;
}

/*
 * Compressed CPU data (version 7): a count, then chunks of {compressed size, size, zstd
 * frame}, holding the pages one after the other. Decompress the next chunk into @ci->buf
 * (false at the end of the chunks, or on an error, r->err set). A chunk that does not
 * decompress is an error; libtracecmd would end the CPU there without a word.
 */
static bool td_walk_chunk(struct reader *r, struct td_priv *p, struct td_cpu *ci)
{
#ifdef HAVE_ZSTD
	uint32_t ps = p->scan.page_size;
	unsigned char h[8];
	uint64_t zsize, size;
	size_t got;

	if (!ci->zleft)
		return false;
	if (!td_pread(r, p, h, 8, ci->zpos, (unsigned)ci->rec.cpu))
		return false;
	zsize = td_num(p->swap, h, 4);
	size = td_num(p->swap, h + 4, 4);
	if (size > TD_MAX_RSIZE) {
		reader_fail(r, -ISM_ECORRUPT, "corrupt trace.dat: CPU %u compressed chunk at offset "
			    "%llu: bad size", ci->rec.cpu, (unsigned long long)ci->zpos);
		return false;
	}
	if (zsize > ci->zcap) {
		ci->zcap = (size_t)zsize;
		free(ci->zin);
		ci->zin = xmalloc(ci->zcap ? ci->zcap : 1);
	}
	if (size + ps > ci->bcap) {
		ci->bcap = (size_t)size + ps;
		free(ci->buf);
		ci->buf = xmalloc(ci->bcap);
	}
	if (!td_pread(r, p, ci->zin, (size_t)zsize, ci->zpos + 8, (unsigned)ci->rec.cpu))
		return false;
	got = ZSTD_decompressDCtx(p->zctx, ci->buf, (size_t)size, ci->zin, (size_t)zsize);
	if (ZSTD_isError(got) || got != size) {
		reader_fail(r, -ISM_ECORRUPT, "corrupt trace.dat: CPU %u compressed chunk at offset "
			    "%llu does not decompress", ci->rec.cpu, (unsigned long long)ci->zpos);
		return false;
	}
	memset(ci->buf + size, 0, ps);
	ci->boff += ci->blen;
	ci->blen = (size_t)size;
	ci->zpos += 8 + zsize;
	ci->zleft--;
	return true;
#else
	(void)r;
	(void)p;
	(void)ci;
	return false;
#endif
}

/* Unmap CPU @ci's file window, if it has one. */
static void td_walk_unmap(struct td_cpu *ci)
{
	if (ci->map)
		munmap(ci->map, ci->maplen);
	ci->map = NULL;
	ci->maplen = 0;
}

/*
 * Plain data: map the whole pages of the file from @off on (TD_MAP_BYTES at most) instead of
 * copying them with pread(): page-cache pages are read in place, and the window before @off is
 * unmapped, so memory stays flat at any length. Only where every page of the window lies inside
 * the file as its size was at the open; otherwise (the last partial page, a truncated file, a
 * mapping that fails) false, and the caller reads with pread(), which reports truncation.
 */
static bool td_walk_map(struct td_priv *p, struct td_cpu *ci, uint64_t off)
{
	uint32_t ps = p->scan.page_size;
	uint64_t n = ci->wend - off, aoff, sys = (uint64_t)sysconf(_SC_PAGESIZE);
	void *m;

	if (n > TD_MAP_BYTES)
		n = TD_MAP_BYTES;
	n -= n % ps;
	if (!n || off + n > p->fsize)
		return false;
	aoff = off - off % sys;
	td_walk_unmap(ci);
	m = mmap(NULL, (size_t)(off - aoff + n), PROT_READ, MAP_PRIVATE | MAP_POPULATE, p->fd,
		 (off_t)aoff);
	if (m == MAP_FAILED)
		return false;
	ci->map = m;
	ci->maplen = (size_t)(off - aoff + n);
	ci->buf = (uint8_t *)m + (off - aoff);
	ci->boff = off;
	ci->blen = (size_t)n;
	return true;
}

/*
 * Load the page at file offset @off into CPU @ci's kbuffer, reading the pages from there on
 * when it is not in the buffer. As libtracecmd's get_page(): a page whose size field exceeds
 * the page ends the CPU (false; td_cpu_done() says it is corrupt); a read error fails the
 * reader (false, r->err set).
 */
static bool td_walk_load(struct reader *r, struct td_priv *p, struct td_cpu *ci, uint64_t off)
{
	uint32_t ps = p->scan.page_size;
	const char *why;
	uint64_t size;

	ci->loaded = false;
	ci->page = NULL;
	if (p->scan.cpu_compressed) {
		while (off >= ci->boff + ci->blen)
			if (!td_walk_chunk(r, p, ci))
				return false;
	} else if ((off < ci->boff || off + ps > ci->boff + ci->blen) && !td_walk_map(p, ci, off)) {
		uint64_t n = ci->wend - off;

		if (n > (uint64_t)TD_WALK_PAGES * ps)
			n = (uint64_t)TD_WALK_PAGES * ps;
		ci->buf = ci->pbuf;
		if (!td_pread(r, p, ci->buf, (size_t)n, off, (unsigned)ci->rec.cpu))
			return false;
		/* kbuffer may read a corrupt page's header past its end: zeroes, not stale data */
		memset(ci->buf + n, 0, ps);
		ci->boff = off;
		ci->blen = (size_t)n;
	}
	ci->poff = off;
	/* checked before (td_check_pages()) unless compressed; kbuffer must never see it bad */
	why = td_page_bad(ci->buf + (off - ci->boff), p->swap, p->scan.commit_size, ps, &size);
	if (why) {
		reader_fail(r, -ISM_ECORRUPT, "CPU %u data page at offset %llu%s: commit size %llu "
			    "%s (%u bytes of data at most)", (unsigned)ci->rec.cpu,
			    (unsigned long long)off, p->scan.cpu_compressed ? " of its decompressed "
			    "data" : "", (unsigned long long)size, why, ps - 8 - p->scan.commit_size);
		return false;
	}
	kbuffer_load_subbuffer(ci->kbuf, ci->buf + (off - ci->boff));
	if ((unsigned)kbuffer_subbuffer_size(ci->kbuf) > ps)
		return false;
	ci->loaded = true;
	ci->fresh = true;
	return true;
}

/* The next record of CPU @ci, as tracecmd_read_data() would give it; NULL at its end. */
static struct tep_record *td_walk_next(struct reader *r, struct td_priv *p, struct td_cpu *ci)
{
	uint32_t ps = p->scan.page_size;

	while (ci->loaded) {
		unsigned long long ts;
		void *data = kbuffer_read_event(ci->kbuf, &ts);

		if (!data) {
			ci->loaded = false;
			if (ci->wend - ci->poff <= ps ||
			    !td_walk_load(r, p, ci, ci->poff + ps))
				return NULL;
			continue;
		}
		ci->rec.ts = ts;
		ci->rec.size = kbuffer_event_size(ci->kbuf);
		ci->rec.data = data;
		ci->rec.offset = ci->poff + (unsigned)kbuffer_curr_offset(ci->kbuf);
		/* only a page's first event can have missed events (kbuffer_missed_events()) */
		ci->rec.missed_events = ci->fresh ? kbuffer_missed_events(ci->kbuf) : 0;
		ci->fresh = false;
		ci->rec.record_size = kbuffer_curr_size(ci->kbuf);
		kbuffer_next_event(ci->kbuf, NULL);
		return &ci->rec;
	}
	return NULL;
}

#ifdef HAVE_ZSTD
/*
 * Compressed CPU data: where each CPU's chunks start, and the offsets libtracecmd gives its
 * pages (init_cpu_zpage(): the CPUs' decompressed data one after the other from one page in,
 * each rounded up to a page). The chunk tables were checked by the scan.
 */
static int td_walk_zinit(struct reader *r, struct td_priv *p)
{
	uint64_t next = p->scan.page_size;

	p->zctx = ZSTD_createDCtx();
	if (!p->zctx)
		return reader_fail(r, -ISM_ENOMEM, "out of memory");
	for (unsigned c = 0; c < p->ncpu; c++) {
		struct td_cpu *ci = &p->cpu[c];
		uint64_t pos = ci->off, count, total = 0;

		if (!ci->size)
			continue;
		if (td_rd(&p->scan, &pos, 4, "chunk count", &count))
			return reader_fail(r, p->scan.err, "%s", p->scan.msg);
		ci->zleft = count;
		ci->zpos = pos;
		for (uint64_t i = 0; i < count; i++) {
			uint64_t zsize, size;

			if (td_rd(&p->scan, &pos, 4, "chunk size", &zsize) ||
			    td_rd(&p->scan, &pos, 4, "chunk size", &size))
				return reader_fail(r, p->scan.err, "%s", p->scan.msg);
			total += size;
			pos += zsize;
		}
		ci->wbeg = next;
		ci->wend = next + total;
		next = (next + total + p->scan.page_size - 1) & ~(uint64_t)(p->scan.page_size - 1);
	}
	return 0;
}
#endif

/* Set up the walk of CPU @c and read its first record (tracecmd_read_cpu_first()). */
static struct tep_record *td_walk_first(struct reader *r, struct td_priv *p, unsigned c)
{
	struct td_cpu *ci = &p->cpu[c];
	enum kbuffer_long_size ls = tep_get_header_page_size(p->tep) == 8 ? KBUFFER_LSIZE_8 :
									     KBUFFER_LSIZE_4;
	enum kbuffer_endian en = tep_is_file_bigendian(p->tep) ? KBUFFER_ENDIAN_BIG :
								 KBUFFER_ENDIAN_LITTLE;

	ci->kbuf = kbuffer_alloc(ls, en);
	if (!ci->kbuf) {
		reader_fail(r, -ISM_ENOMEM, "out of memory");
		return NULL;
	}
	if (tep_is_old_format(p->tep))
		kbuffer_set_old_format(ci->kbuf);
	ci->rec.cpu = (int)c;
	if (!p->scan.cpu_compressed) {
		ci->pbuf = xmalloc((size_t)TD_WALK_PAGES * p->scan.page_size + p->scan.page_size);
		ci->buf = ci->pbuf;
		ci->wbeg = ci->off;
		ci->wend = ci->off + ci->size;
	} else {
		ci->boff = ci->wbeg;
		ci->blen = 0;
	}
	if (!td_walk_load(r, p, ci, ci->wbeg))
		return NULL;
	return td_walk_next(r, p, ci);
}

/* Load the next record of CPU @c (the heap top) and restore the heap. */
static void td_advance(struct reader *r, struct td_priv *p, unsigned c)
{
	struct td_cpu *ci = &p->cpu[c];

	ci->head = p->walk ? td_walk_next(r, p, ci) : tracecmd_read_data(p->h, (int)c);
	if (ci->head) {
		ci->ts = ci->head->ts;
		if (p->nheap == 2) {
			/* two CPUs, the usual case: one comparison */
			if (td_before(p, p->heap[1], p->heap[0])) {
				p->heap[0] = p->heap[1];
				p->heap[1] = c;
			}
		} else if (p->nheap > 2) {
			td_sift_down(p, 0);
		}
		return;
	}
	p->heap[0] = p->heap[--p->nheap];
	td_sift_down(p, 0);
	td_cpu_done(r, p, c);
}

static int tracedat_next(struct reader *r, struct ism_event *ev)
{
	struct td_priv *p = r->priv;

	while (p->nheap) {
		unsigned c = p->heap[0];
		struct tep_record *rec = p->cpu[c].head;
		int ret;

		if (rec->missed_events && !p->lost_done) {
			p->lost_done = true;
			td_ev_init(ev, rec, ISM_EV_LOST, 0);
			if (rec->missed_events > 0)
				ev->count = (uint64_t)rec->missed_events;
			else
				ev->flags = ISM_EF_LOST_UNKNOWN;
			return 1;
		}
		ret = td_check_record(r, p, &p->cpu[c], rec);
		if (ret < 0)
			return ret;
		p->lost_done = false;
		ret = td_decode(r, p, rec, ev);
		/* the event holds no pointer into the record: release it now */
		p->cpu[c].lastoff = rec->offset;
		p->cpu[c].seen = true;
		if (!p->walk)
			tracecmd_free_record(rec);
		p->cpu[c].head = NULL;
		if (ret < 0)
			return ret;
		td_advance(r, p, c);
		if (ret > 0)
			return 1;       /* a failure found by td_advance() shows on the next call */
		if (r->err)
			return r->errcode;
	}
	return 0;
}

/* ---- open/close ----------------------------------------------------------------------- */

static int tracedat_open(struct reader *r)
{
	struct td_priv *p = xcalloc(1, sizeof(*p));
	char *cause = NULL;
	int fd, dfd, ret;

	r->priv = p;
	p->fd = -1;
	fd = in_plain_fd(r->in, &cause);
	if (fd < 0) {
		const char *msg = cause ? cause : ism_strerror(fd);
		size_t pl = strlen(r->path);

		/* in_plain_fd() messages start with the path, as reader_fail() adds it */
		if (strncmp(msg, r->path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0)
			msg += pl + 2;
		reader_fail(r, fd, "%s", msg);
		free(cause);
		return r->errcode;
	}
	p->fd = fd;
	{
		struct stat st;

		p->fsize = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	}
	/* libtracecmd prints its complaints itself; iommusim says what went wrong once */
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	ret = td_scan(&p->scan, fd);
	if (!ret)
		ret = td_check_formats(&p->scan);
	td_scan_drop_formats(&p->scan);
	if (!ret)
		ret = td_scan_cpus(&p->scan);
	if (ret)
		return reader_fail(r, ret, "%s", p->scan.msg ? p->scan.msg : ism_strerror(ret));
	p->swap = p->scan.swap;
	if (td_check_open(fd) < 0)
		return reader_fail(r, -ISM_ECORRUPT, "corrupt trace.dat (version %u%s%s): "
				   "libtracecmd crashes opening it", p->scan.version,
				   p->scan.comp[0] ? ", compression " : "", p->scan.comp);
	/* the library owns (and closes) this descriptor once it returns a handle */
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return reader_fail(r, -ISM_EIO, "dup: %s", strerror(errno));
	if (lseek(dfd, 0, SEEK_SET) != 0) {
		close(dfd);
		return reader_fail(r, -ISM_EIO, "seek: %s", strerror(errno));
	}
	p->h = tracecmd_open_fd(dfd, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!p->h) {
		/* it closes the descriptor on some failure paths and not on others */
		if (fcntl(dfd, F_GETFD) >= 0)
			close(dfd);
		return reader_fail(r, -ISM_ECORRUPT, "libtracecmd could not read this trace.dat "
				   "(version %u%s%s): corrupt event formats or headers, or an "
				   "unsupported compression", p->scan.version,
				   p->scan.comp[0] ? ", compression " : "", p->scan.comp);
	}
	p->tep = tracecmd_get_tep(p->h);
	/* undo --date / --ts-offset: ts_ns stays in the kernel's trace clock */
	if (p->scan.ts_offset)
		tracecmd_add_ts_offset(p->h, -p->scan.ts_offset);

	reader_set_prov(r, "tracedat_version", p->scan.version == 6 ? "6" : "7");
	if (p->scan.version >= 7)
		reader_set_prov(r, "tracedat_compression", p->scan.comp);
	reader_set_prov(r, "clock", p->scan.clock ? p->scan.clock : "unknown");
	td_set_prov_num(r, "cpus", (unsigned long long)tep_get_cpus(p->tep));
	if (p->scan.uname)
		reader_set_prov(r, "kernel", p->scan.uname);
	if (p->scan.instances)
		reader_set_prov(r, "tracedat_instances", p->scan.instances);
	if (p->scan.ts_offset) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%lld", (long long)p->scan.ts_offset);
		reader_set_prov(r, "tracedat_ts_offset_ns", buf);
	}
	ret = td_bind_events(r, p);
	if (ret)
		return ret;

	/* prime the merge: the first record of every CPU */
	p->ncpu = p->scan.ncpu;
	p->cpu = p->scan.cpu;
	p->heap = xcalloc(p->ncpu ? p->ncpu : 1, sizeof(*p->heap));
	/* the page walk reproduces what libtracecmd does with plain pages and plain timestamps */
	p->walk = !td_force_libtracecmd && !p->scan.ts_convert &&
		  tep_get_header_timestamp_size(p->tep) == 8 &&
		  (unsigned)tep_get_cpus(p->tep) >= p->ncpu;
	if (p->walk && p->scan.cpu_compressed) {
#ifdef HAVE_ZSTD
		p->walk = strcmp(p->scan.comp, "zstd") == 0 && td_walk_zinit(r, p) == 0;
		if (r->err)
			return r->errcode;
#else
		p->walk = false;
#endif
	}
	for (unsigned c = 0; c < p->ncpu; c++) {
		if (!p->cpu[c].size)
			continue;
		p->cpu[c].head = p->walk ? td_walk_first(r, p, c) :
					   tracecmd_read_cpu_first(p->h, (int)c);
		if (r->err)
			return r->errcode;
		if (p->cpu[c].head) {
			p->cpu[c].ts = p->cpu[c].head->ts;
			p->heap[p->nheap++] = c;
		}
		else
			td_cpu_done(r, p, c);
		if (r->err)
			return r->errcode;
	}
	for (unsigned i = p->nheap / 2; i-- > 0;)
		td_sift_down(p, i);
	return 0;
}

static void tracedat_close(struct reader *r)
{
	struct td_priv *p = r->priv;

	if (!p)
		return;
	for (unsigned c = 0; c < p->ncpu; c++) {
		if (p->cpu[c].head && !p->walk)
			tracecmd_free_record(p->cpu[c].head);
		if (p->cpu[c].kbuf)
			kbuffer_free(p->cpu[c].kbuf);
		td_walk_unmap(&p->cpu[c]);
		if (p->cpu[c].pbuf)
			free(p->cpu[c].pbuf);
		else
			free(p->cpu[c].buf);
		free(p->cpu[c].zin);
	}
#ifdef HAVE_ZSTD
	if (p->zctx)
		ZSTD_freeDCtx(p->zctx);
#endif
	if (p->h)
		tracecmd_close(p->h);
	for (unsigned i = 1; i < p->nevs; i++)
		free(p->evs[i].bad);
	free(p->evs);
	for (unsigned i = 0; i < p->nids; i++)
		free(p->unk[i]);
	free(p->unk);
	free(p->idmap);
	free(p->heap);
	td_scan_free(&p->scan);
	free(p);
	r->priv = NULL;
}

const struct reader_ops reader_tracedat_ops = {
	.name = "tracedat",
	.summary = "trace-cmd trace.dat, versions 6 and 7 (libtracecmd)",
	.probe = tracedat_probe,
	.open = tracedat_open,
	.next = tracedat_next,
	.close = tracedat_close,
};

int reader_tracedat_walks(const struct reader *r)
{
	const struct td_priv *p = r->ops == &reader_tracedat_ops ? r->priv : NULL;

	return p && p->walk;
}
