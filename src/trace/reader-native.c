/*
 * reader-native.c: the native binary format (man/iommusim-trace.5), streamed record by record.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "native.h"
#include "reader.h"

struct native_priv {
	uint64_t recno;   /* 64-byte blocks read after the header (for messages) */
	uint64_t nevents; /* from the header; 0 = unknown */
	uint64_t last;    /* block number of the last event returned */
	unsigned version;
	int ended;        /* the end record was read */
	struct ism_fletcher4 sum; /* of the header and the blocks read (version 2) */
	const unsigned char *base; /* the current view: [base, end), records before cur used */
	const unsigned char *cur;
	const unsigned char *end;
	const unsigned char *summed; /* the view's blocks before this are in @sum */
	uint16_t *devmap; /* file device id -> reader device id */
	uint32_t *pids;   /* per CPU: task id set by the last TASK record */
	unsigned npids;
};

static int native_probe(const unsigned char *buf, size_t len)
{
	return len >= 8 && memcmp(buf, ISM_NATIVE_MAGIC, 8) == 0 ? 100 : 0;
}

static int native_open(struct reader *r)
{
	struct native_priv *p = xcalloc(1, sizeof(*p));
	const unsigned char *h;
	size_t n;
	uint32_t ver, bom, hdrsize, provlen;
	uint16_t recsize;

	r->priv = p;
	p->devmap = xcalloc(65536, sizeof(*p->devmap));
	h = in_view(r->in, ISM_NATIVE_HDR, &n);
	if (!h || n < ISM_NATIVE_HDR)
		return reader_fail(r, in_error(r->in) ? in_error(r->in) : -ISM_ETRUNCATED,
				   "header: truncated (%zu of %d bytes)", n, ISM_NATIVE_HDR);
	if (memcmp(h, ISM_NATIVE_MAGIC, 8) != 0)
		return reader_fail(r, -ISM_EFORMAT, "header: bad magic (not an iommusim native trace)");
	bom = ism_le32(h + NH_BOM);
	if (bom == 0x04030201u)
		return reader_fail(r, -ISM_EUNSUPPORTED,
				   "header: big-endian native file; only little-endian is supported");
	if (bom != ISM_NATIVE_BOM)
		return reader_fail(r, -ISM_ECORRUPT, "header: bad byte-order mark 0x%08x", bom);
	ver = ism_le32(h + NH_VERSION);
	if (ver < ISM_NATIVE_VERSION_MIN || ver > ISM_NATIVE_VERSION)
		return reader_fail(r, -ISM_EVERSION,
				   "header: format version %u, this iommusim reads versions %d to %d",
				   ver, ISM_NATIVE_VERSION_MIN, ISM_NATIVE_VERSION);
	p->version = ver;
	recsize = ism_le16(h + NH_RECSIZE);
	if (recsize != ISM_NATIVE_REC)
		return reader_fail(r, -ISM_ECORRUPT, "header: record size %u, expected %d",
				   recsize, ISM_NATIVE_REC);
	hdrsize = ism_le32(h + NH_HDRSIZE);
	provlen = ism_le32(h + NH_PROVLEN);
	p->nevents = ism_le64(h + NH_NEVENTS);
	if (provlen > ISM_NATIVE_MAX_PROV || hdrsize % ISM_NATIVE_REC ||
	    hdrsize < ISM_NATIVE_HDR + provlen || hdrsize > ISM_NATIVE_HDR + provlen + ISM_NATIVE_REC)
		return reader_fail(r, -ISM_ECORRUPT,
				   "header: inconsistent sizes (header %u bytes, provenance %u bytes)",
				   hdrsize, provlen);
	h = in_view(r->in, hdrsize, &n);
	if (!h || n < hdrsize)
		return reader_fail(r, in_error(r->in) ? in_error(r->in) : -ISM_ETRUNCATED,
				   "header: truncated provenance (%zu of %u bytes)", n, hdrsize);
	/* provenance: key=value lines; malformed lines are an error */
	for (size_t off = ISM_NATIVE_HDR; off < ISM_NATIVE_HDR + provlen;) {
		const char *line = (const char *)h + off;
		size_t rest = ISM_NATIVE_HDR + provlen - off;
		const char *nl = memchr(line, '\n', rest);
		const char *eq;
		size_t ll = nl ? (size_t)(nl - line) : rest;
		char *key, *val;

		eq = memchr(line, '=', ll);
		if (!eq || eq == line || memchr(line, '\0', ll))
			return reader_fail(r, -ISM_ECORRUPT,
					   "header: malformed provenance line at byte %zu", off);
		key = xstrndup(line, (size_t)(eq - line));
		val = xstrndup(eq + 1, ll - (size_t)(eq - line) - 1);
		/* what the file says about its origin; our own source keys are kept apart */
		if (strcmp(key, "source") == 0 || strcmp(key, "source_format") == 0 ||
		    strcmp(key, "source_compression") == 0) {
			char *k2 = xasprintf("orig_%s", key);

			reader_set_prov(r, k2, val);
			free(k2);
		} else {
			reader_set_prov(r, key, val);
		}
		free(key);
		free(val);
		off += ll + 1;
	}
	if (p->version >= 2) {
		/* the checksum covers the header with its event count as 0 (patched at the end) */
		unsigned char first[ISM_NATIVE_HDR];

		memcpy(first, h, ISM_NATIVE_HDR);
		memset(first + NH_NEVENTS, 0, 8);
		ism_fletcher4_add(&p->sum, first, ISM_NATIVE_HDR);
		ism_fletcher4_add(&p->sum, h + ISM_NATIVE_HDR, hdrsize - ISM_NATIVE_HDR);
	}
	reader_set_prov(r, "native_version", ver == 1 ? "1" : "2");
	in_consume(r->in, hdrsize);
	in_map(r->in); /* plain files: read records in place */
	return 0;
}

/* Blocks taken but not yet summed: summed in steps of this, while they are still in cache. */
#define NATIVE_SUM_STEP 4096

/* Add the blocks taken since the last call to the checksum (version 2). */
static void native_sum(struct native_priv *p)
{
	if (p->version >= 2 && p->cur != p->summed)
		ism_fletcher4_add(&p->sum, p->summed, (size_t)(p->cur - p->summed));
	p->summed = p->cur;
}

/*
 * Hand back the records used so far and view the next batch: at least @want bytes when the
 * input has them, at most 1 MiB more (a memory-mapped file is consumed in steps so that its
 * pages leave the resident set).
 */
static const unsigned char *native_view(struct reader *r, struct native_priv *p, size_t want,
					size_t *n)
{
	const unsigned char *b;
	size_t cap = want > (1u << 20) ? want : (1u << 20);

	if (p->base) {
		native_sum(p);
		in_consume(r->in, (size_t)(p->cur - p->base));
	}
	b = in_view(r->in, want, n);
	if (*n > cap)
		*n = cap;
	p->base = p->cur = p->summed = b;
	p->end = b ? b + *n : NULL;
	return b;
}

/* Bytes ahead of the record being read that are asked of the memory (a page-cache read). */
#define NATIVE_PREFETCH 1024

/* Consume @blocks 64-byte blocks of the view (the checksum covers them: native_sum()). */
static void native_take(struct native_priv *p, uint64_t blocks)
{
	p->cur += (size_t)blocks * ISM_NATIVE_REC;
	p->recno += blocks;
	/* a mapped file's next 4 KiB page is not fetched by the CPU until it is touched */
	if (p->end - p->cur > NATIVE_PREFETCH)
		__builtin_prefetch(p->cur + NATIVE_PREFETCH);
	if (p->cur - p->summed >= NATIVE_SUM_STEP)
		native_sum(p);
}

/* The end record at @b: check it against what was read. 0 (the end), or <0 after failing. */
static int native_end(struct reader *r, struct native_priv *p, const unsigned char *b,
		      uint64_t blkno)
{
	uint64_t events = ism_le64(b + NE_EVENTS), blocks = ism_le64(b + NE_BLOCKS);
	struct ism_fletcher4 f = { ism_le64(b + NE_SUM), ism_le64(b + NE_SUM + 8),
				   ism_le64(b + NE_SUM + 16), ism_le64(b + NE_SUM + 24) };
	size_t n;

	if (p->version < 2)
		return reader_fail(r, -ISM_ECORRUPT, "record %llu: invalid event kind %u",
				   (unsigned long long)blkno, ISM_NATIVE_END);
	native_sum(p); /* the blocks before this one */
	if (events != r->nevents || blocks != blkno)
		return reader_fail(r, -ISM_ECORRUPT,
				   "record %llu: end record says %llu events in %llu blocks, the file "
				   "holds %llu events in %llu blocks",
				   (unsigned long long)blkno, (unsigned long long)events,
				   (unsigned long long)blocks, (unsigned long long)r->nevents,
				   (unsigned long long)blkno);
	if (f.a != p->sum.a || f.b != p->sum.b || f.c != p->sum.c || f.d != p->sum.d)
		return reader_fail(r, -ISM_ECORRUPT,
				   "record %llu: checksum mismatch: the file is damaged",
				   (unsigned long long)blkno);
	if (p->nevents && p->nevents != events)
		return reader_fail(r, -ISM_ECORRUPT,
				   "header says %llu events, the end record %llu",
				   (unsigned long long)p->nevents, (unsigned long long)events);
	p->cur += ISM_NATIVE_REC;
	p->summed = p->cur;
	p->recno++;
	p->ended = 1;
	if (p->end - p->cur > 0 || native_view(r, p, 1, &n))
		return reader_fail(r, -ISM_ECORRUPT,
				   "record %llu: data after the end record", (unsigned long long)p->recno);
	return 0;
}

/* The fields of event record @b, its device mapped to @dev; no sg list, no text. */
static inline void native_fields(const struct native_priv *p, const unsigned char *b,
				 struct ism_event *ev, uint16_t dev)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the record's first 52 bytes (ts .. ents) and its last 8 (cpu, dev, kind, dir, flags)
	 * are laid out as struct ism_event's: two copies instead of thirteen fields */
	_Static_assert(offsetof(struct ism_event, ts_ns) == NR_TS &&
		       offsetof(struct ism_event, addr) == NR_ADDR &&
		       offsetof(struct ism_event, paddr) == NR_PADDR &&
		       offsetof(struct ism_event, size) == NR_SIZE &&
		       offsetof(struct ism_event, arg) == NR_ARG &&
		       offsetof(struct ism_event, attrs) == NR_ATTRS &&
		       offsetof(struct ism_event, nents) == NR_NENTS &&
		       offsetof(struct ism_event, ents) == NR_ENTS &&
		       offsetof(struct ism_event, dev) - offsetof(struct ism_event, cpu) ==
			       NR_DEV - NR_CPU &&
		       offsetof(struct ism_event, kind) - offsetof(struct ism_event, cpu) ==
			       NR_KIND - NR_CPU &&
		       offsetof(struct ism_event, dir) - offsetof(struct ism_event, cpu) ==
			       NR_DIR - NR_CPU &&
		       offsetof(struct ism_event, flags) - offsetof(struct ism_event, cpu) ==
			       NR_FLAGS - NR_CPU &&
		       offsetof(struct ism_event, flags) + 2 - offsetof(struct ism_event, cpu) ==
			       ISM_NATIVE_REC - NR_CPU,
		       "struct ism_event no longer mirrors the native record");
	memcpy(ev, b, NR_ENTS + 4);
	memcpy(&ev->cpu, b + NR_CPU, ISM_NATIVE_REC - NR_CPU);
#else
	ev->ts_ns = ism_le64(b + NR_TS);
	ev->addr = ism_le64(b + NR_ADDR);
	ev->paddr = ism_le64(b + NR_PADDR);
	ev->size = ism_le64(b + NR_SIZE);
	ev->arg = ism_le64(b + NR_ARG);
	ev->attrs = ism_le32(b + NR_ATTRS);
	ev->nents = ism_le32(b + NR_NENTS);
	ev->ents = ism_le32(b + NR_ENTS);
	ev->cpu = ism_le16(b + NR_CPU);
	ev->kind = b[NR_KIND];
	ev->dir = b[NR_DIR];
	ev->flags = ism_le16(b + NR_FLAGS);
#endif
	ev->dev = dev;
	ev->pid = ev->cpu < p->npids ? p->pids[ev->cpu] : 0;
	ev->nsg = 0;
	ev->sg = NULL;
	ev->text = NULL;
	ev->text_len = 0;
}

static int native_next_record(struct reader *r, struct ism_event *ev);

/*
 * Most records are an event with no continuation blocks, whole in the view, that passes every
 * check of native_next_record(): taken here. Anything else (the end of the view, TASK, DEVICE,
 * END, sg lists, markers, anything invalid) goes the full way, which checks it from the start.
 */
static int native_next(struct reader *r, struct ism_event *ev)
{
	struct native_priv *p = r->priv;
	const unsigned char *b = p->cur;

	if (__builtin_expect(b != NULL && p->end - b >= ISM_NATIVE_REC, 1)) {
		unsigned kind = b[NR_KIND], dir = b[NR_DIR], fid = ism_le16(b + NR_DEV);

		if (kind - 1u < ISM_EV__COUNT - 1u && kind != ISM_EV_MARKER &&
		    ism_le32(b + NR_NSG) == 0 && dir <= ISM_DIR_UNKNOWN &&
		    (fid == 0 || p->devmap[fid])) {
			native_fields(p, b, ev, p->devmap[fid]);
			p->last = p->recno;
			native_take(p, 1);
			return 1;
		}
	}
	return native_next_record(r, ev);
}

static int native_next_record(struct reader *r, struct ism_event *ev)
{
	struct native_priv *p = r->priv;
	const unsigned char *b;
	size_t n;

	if (p->ended)
		return 0;
	for (;;) {
		uint64_t ncont, blkno = p->recno;
		unsigned kind;
		uint32_t nsg;
		uint64_t size;

		if (!p->cur || p->end - p->cur < ISM_NATIVE_REC) {
			/* refill: hand back what was used, view a large batch of records */
			b = native_view(r, p, 1u << 16, &n);
		}
		b = p->cur;
		n = b ? (size_t)(p->end - b) : 0;
		if (!b) {
			if (in_error(r->in))
				return reader_fail(r, in_error(r->in), "record %llu: %s",
						   (unsigned long long)blkno, in_error_msg(r->in));
			if (p->version >= 2)
				return reader_truncated(r, "record %llu: no end record: the file "
							"was cut after %llu events",
							(unsigned long long)blkno,
							(unsigned long long)r->nevents);
			if (p->nevents && r->nevents != p->nevents)
				return reader_truncated(r, "%llu of %llu events present",
							(unsigned long long)r->nevents,
							(unsigned long long)p->nevents);
			return 0;
		}
		if (n < ISM_NATIVE_REC)
			return reader_truncated(r, "record %llu: cut inside the record (%zu of %d "
						"bytes), after %llu events",
						(unsigned long long)blkno, n, ISM_NATIVE_REC,
						(unsigned long long)r->nevents);
		kind = b[NR_KIND];
		if (kind == ISM_NATIVE_END)
			return native_end(r, p, b, blkno);
		nsg = ism_le32(b + NR_NSG);
		size = ism_le64(b + NR_SIZE);
		if (kind != ISM_NATIVE_DEVICE && kind != ISM_NATIVE_TASK &&
		    (kind == 0 || kind >= ISM_EV__COUNT))
			return reader_fail(r, -ISM_ECORRUPT, "record %llu: invalid event kind %u",
					   (unsigned long long)blkno, kind);
		if (nsg > ISM_NATIVE_MAX_SG || (nsg && (kind == ISM_NATIVE_TASK ||
							!ism_kind_has_sg(kind))))
			return reader_fail(r, -ISM_ECORRUPT, "record %llu: invalid sg count %u",
					   (unsigned long long)blkno, nsg);
		if ((kind == ISM_EV_MARKER || kind == ISM_NATIVE_DEVICE) &&
		    size > ISM_NATIVE_MAX_TEXT)
			return reader_fail(r, -ISM_ECORRUPT, "record %llu: text length %llu too large",
					   (unsigned long long)blkno, (unsigned long long)size);
		ncont = ism_native_ncont(kind, nsg, size);
		if (ncont && (uint64_t)(p->end - p->cur) < (ncont + 1) * ISM_NATIVE_REC) {
			size_t need = (size_t)(ncont + 1) * ISM_NATIVE_REC;

			b = native_view(r, p, need, &n);
			if (in_error(r->in))
				return reader_fail(r, in_error(r->in), "record %llu: %s",
						   (unsigned long long)blkno, in_error_msg(r->in));
			if (!b || n < need)
				return reader_truncated(r, "record %llu: cut inside the record's "
							"continuation (%zu of %zu bytes), after %llu "
							"events", (unsigned long long)blkno, n, need,
							(unsigned long long)r->nevents);
		}
		p->last = blkno;
		if (kind == ISM_NATIVE_TASK) {
			unsigned c = ism_le16(b + NR_CPU);
			uint64_t pid = ism_le64(b + NR_ARG);

			if (pid > UINT32_MAX)
				return reader_fail(r, -ISM_ECORRUPT, "record %llu: bad task id %llu",
						   (unsigned long long)blkno, (unsigned long long)pid);
			if (c >= p->npids) {
				unsigned nn = p->npids ? p->npids : 8;

				while (nn <= c)
					nn *= 2;
				p->pids = xreallocarray(p->pids, nn, sizeof(*p->pids));
				memset(p->pids + p->npids, 0, (nn - p->npids) * sizeof(*p->pids));
				p->npids = nn;
			}
			p->pids[c] = (uint32_t)pid;
			native_take(p, 1);
			continue;
		}
		if (kind == ISM_NATIVE_DEVICE) {
			unsigned fid = ism_le16(b + NR_DEV);
			int id;

			if (fid == 0 || size == 0 ||
			    memchr(b + ISM_NATIVE_REC, '\0', (size_t)size))
				return reader_fail(r, -ISM_ECORRUPT, "record %llu: bad device definition",
						   (unsigned long long)blkno);
			id = reader_dev(r, (const char *)b + ISM_NATIVE_REC, (size_t)size);
			if (id < 0)
				return r->errcode;
			p->devmap[fid] = (uint16_t)id;
			native_take(p, ncont + 1);
			continue;
		}
		ev->ts_ns = ism_le64(b + NR_TS);
		ev->addr = ism_le64(b + NR_ADDR);
		ev->paddr = ism_le64(b + NR_PADDR);
		ev->size = size;
		ev->arg = ism_le64(b + NR_ARG);
		ev->attrs = ism_le32(b + NR_ATTRS);
		ev->nents = ism_le32(b + NR_NENTS);
		ev->ents = ism_le32(b + NR_ENTS);
		ev->cpu = ism_le16(b + NR_CPU);
		ev->pid = ev->cpu < p->npids ? p->pids[ev->cpu] : 0;
		ev->kind = (uint8_t)kind;
		ev->dir = b[NR_DIR];
		ev->flags = ism_le16(b + NR_FLAGS);
		ev->nsg = 0;
		ev->sg = NULL;
		ev->text = NULL;
		ev->text_len = 0;
		if (ev->dir > ISM_DIR_UNKNOWN)
			return reader_fail(r, -ISM_ECORRUPT, "record %llu: invalid direction %u",
					   (unsigned long long)blkno, ev->dir);
		{
			unsigned fid = ism_le16(b + NR_DEV);

			if (fid && !p->devmap[fid])
				return reader_fail(r, -ISM_ECORRUPT,
						   "record %llu: device id %u used before its definition",
						   (unsigned long long)blkno, fid);
			ev->dev = p->devmap[fid];
		}
		if (nsg) {
			struct ism_sge *sg = reader_sg_reserve(r, nsg);
			const unsigned char *s = b + ISM_NATIVE_REC;

			for (uint32_t i = 0; i < nsg; i++, s += ISM_NATIVE_SGE) {
				sg[i].phys = ism_le64(s);
				sg[i].dma = ism_le64(s + 8);
				sg[i].len = ism_le32(s + 16);
				sg[i].flags = ism_le32(s + 20);
			}
			ev->sg = sg;
			ev->nsg = nsg;
		}
		if (kind == ISM_EV_MARKER) {
			const unsigned char *t = b + ISM_NATIVE_REC + (size_t)nsg * ISM_NATIVE_SGE;
			char *txt = reader_text_reserve(r, (size_t)size);

			if (memchr(t, '\0', (size_t)size))
				return reader_fail(r, -ISM_ECORRUPT, "record %llu: NUL in marker text",
						   (unsigned long long)blkno);
			memcpy(txt, t, (size_t)size);
			txt[size] = '\0';
			ev->text = txt;
			ev->text_len = (uint32_t)size;
			ev->size = 0;
		}
		native_take(p, ncont + 1);
		return 1;
	}
}

static void native_close(struct reader *r)
{
	struct native_priv *p = r->priv;

	if (p) {
		free(p->devmap);
		free(p->pids);
	}
	free(p);
	r->priv = NULL;
}

static uint64_t native_position(struct reader *r)
{
	return ((struct native_priv *)r->priv)->last;
}

const struct reader_ops reader_native_ops = {
	.name = "native",
	.summary = "iommusim native binary trace (.ist), see iommusim-trace(5)",
	.probe = native_probe,
	.open = native_open,
	.next = native_next,
	.close = native_close,
	.pos_unit = "record",
	.position = native_position,
};
