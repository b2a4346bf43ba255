/*
 * reader-bpftrace.c: the text the capture scripts in traces/capture/ (*.bt) print.
 *
 * The first line (after bpftrace's own "Attaching N probes...") is the version header
 *   # iommusim-bt v1 clock=boottime sg=4 script=dma.bt fields: ts_ns cpu event args... dev
 * then one event per line:  TS_NS CPU EVENT FIELD... [DEVICE]
 * Fields are separated by single spaces; addresses, attributes, masks and gfp flags are hex
 * without 0x, everything else decimal. The device name (dev_name()) ends the line, so it
 * may itself contain spaces. bpftrace's "Lost N events" lines are kept as ISM_EV_LOST.
 * The field list of every event is in iommusim-capture(8) and in the table below; the
 * mapping to struct ism_event is the one the ftrace and trace.dat readers use.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "reader.h"

#define BT_MAGIC "# iommusim-bt v"
#define BT_VERSION 1
#define BT_SG_DEFAULT 4
#define BT_SG_MAX 64

/*
 * Field codes, in line order after "TS CPU EVENT":
 *   A addr (hex)      P paddr / virt_addr (hex)  S size (dec)     D dir (dec, or - = unknown)
 *   T attrs (hex)     G gfp flags -> arg (hex)   M dma_mask -> arg (hex)
 *   F force (0/1)     N stored input entries (dec, -1 = unknown)   E stored output entries
 *   Z total bytes of the output entries -> size (dec)
 *   R error -> arg (signed dec)                  O opcode (dec)   V retval -> arg (signed dec)
 *   p sg phys x K     q sg (phys dma len) x K    d sg (dma len) x K
 *   a hcall args[0..3] (hex), optional
 */
struct bt_spec {
	const char *name;
	uint8_t kind;
	uint8_t has_dev;
	uint16_t flags;
	const char *fields;
};

static const struct bt_spec bt_specs[] = {
	{ "map", ISM_EV_MAP, 1, 0, "APSDT" },
	{ "map_resource", ISM_EV_MAP, 1, ISM_EF_MMIO, "APSDT" },
	{ "unmap", ISM_EV_UNMAP, 1, 0, "ASDT" },
	{ "unmap_resource", ISM_EV_UNMAP, 1, ISM_EF_MMIO, "ASDT" },
	{ "map_sg", ISM_EV_MAP_SG, 1, 0, "NEDTZq" },
	{ "unmap_sg", ISM_EV_UNMAP_SG, 1, 0, "NDTp" },
	{ "map_sg_err", ISM_EV_MAP_SG_ERR, 1, 0, "NRDTp" },
	{ "alloc", ISM_EV_ALLOC, 1, 0, "APSGDT" },
	{ "alloc_pages", ISM_EV_ALLOC, 1, ISM_EF_PAGES, "APSGDT" },
	{ "alloc_sgt_err", ISM_EV_ALLOC_ERR, 1, 0, "APSGDT" },
	{ "alloc_sgt", ISM_EV_ALLOC, 1, ISM_EF_SGT, "ASGDTNp" },
	{ "free", ISM_EV_FREE, 1, 0, "APSDT" },
	{ "free_pages", ISM_EV_FREE, 1, ISM_EF_PAGES, "APSDT" },
	{ "free_sgt", ISM_EV_FREE, 1, ISM_EF_SGT, "ASDNp" },
	{ "sync_cpu", ISM_EV_SYNC_CPU, 1, 0, "ASD" },
	{ "sync_dev", ISM_EV_SYNC_DEV, 1, 0, "ASD" },
	{ "sync_sg_cpu", ISM_EV_SYNC_SG_CPU, 1, 0, "NDZd" },
	{ "sync_sg_dev", ISM_EV_SYNC_SG_DEV, 1, 0, "NDZd" },
	{ "bounce", ISM_EV_BOUNCE, 1, 0, "ASMF" },
	{ "hcall_entry", ISM_EV_HCALL_ENTRY, 0, 0, "Oa" },
	{ "hcall_exit", ISM_EV_HCALL_EXIT, 0, 0, "OV" },
};

struct bt_priv {
	unsigned sg_k;             /* sg entries printed per event (header "sg=") */
	int have_header;
	struct ism_event held;     /* an event parsed while a loss report was pending */
	int have_held;
	uint64_t lost;             /* "Lost N events" not yet reported */
	int have_lost;
	uint64_t last_ts;
	uint16_t last_cpu;
};

/* ---- tokens ----------------------------------------------------------------------------- */

struct bt_cur {
	const char *p;
	const char *end;
};

/* Next space-separated token; returns its length (0 at the end of the line). */
static size_t bt_tok(struct bt_cur *c, const char **tok)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	*tok = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	return (size_t)(c->p - *tok);
}

/* A number: 0, -1 when malformed, BT_RANGE when it does not fit in 64 bits. */
#define BT_RANGE (-2)

static int bt_u64(const char *t, size_t n, int base, uint64_t *out)
{
	uint64_t v = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		unsigned char ch = (unsigned char)t[i];

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return BT_RANGE;
		v = v * (unsigned)base + d;
	}
	*out = v;
	return 0;
}

static int bt_s64(const char *t, size_t n, int64_t *out)
{
	uint64_t v;
	int ret;

	if (n && t[0] == '-') {
		if ((ret = bt_u64(t + 1, n - 1, 10, &v)) != 0)
			return ret;
		if (v > (uint64_t)INT64_MAX + 1)
			return BT_RANGE;
		*out = (int64_t)(0 - v);
		return 0;
	}
	if ((ret = bt_u64(t, n, 10, &v)) != 0)
		return ret;
	if (v > (uint64_t)INT64_MAX)
		return BT_RANGE;
	*out = (int64_t)v;
	return 0;
}

/* ---- the reader ------------------------------------------------------------------------- */

static int bt_is_attaching(const char *l, size_t n)
{
	return n >= 10 && strncmp(l, "Attaching ", 10) == 0;
}

static int bpftrace_probe(const unsigned char *buf, size_t len)
{
	const char *p = (const char *)buf, *end = p + len;

	/* the header, possibly after bpftrace's "Attaching N probes..." and blank lines */
	for (int i = 0; i < 4 && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n >= sizeof(BT_MAGIC) - 1 && memcmp(p, BT_MAGIC, sizeof(BT_MAGIC) - 1) == 0)
			return 100;
		if (n && !bt_is_attaching(p, n))
			return 0;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static int bpftrace_open(struct reader *r)
{
	struct bt_priv *p = xcalloc(1, sizeof(*p));

	p->sg_k = BT_SG_DEFAULT;
	r->priv = p;
	reader_set_prov(r, "clock", "boottime");
	return 0;
}

/* "# iommusim-bt vN key=value ... fields: ..." */
static int bt_header(struct reader *r, struct bt_priv *p, const char *line, size_t len)
{
	struct bt_cur c = { line + sizeof(BT_MAGIC) - 1, line + len };
	const char *t;
	size_t n;
	uint64_t v;

	n = bt_tok(&c, &t);
	if (bt_u64(t, n, 10, &v))
		return reader_fail(r, -ISM_ECORRUPT, "line %llu: bad iommusim-bt header version",
				   (unsigned long long)in_lineno(r->in));
	if (v != BT_VERSION)
		return reader_fail(r, -ISM_EVERSION,
				   "line %llu: iommusim-bt version %llu (this iommusim reads "
				   "version %d)", (unsigned long long)in_lineno(r->in),
				   (unsigned long long)v, BT_VERSION);
	while ((n = bt_tok(&c, &t)) != 0) {
		const char *eq = memchr(t, '=', n);
		char *val;

		if (n == 7 && memcmp(t, "fields:", 7) == 0)
			break;
		if (!eq)
			continue;
		val = xstrndup(eq + 1, n - (size_t)(eq + 1 - t));
		if (eq - t == 5 && memcmp(t, "clock", 5) == 0) {
			reader_set_prov(r, "clock", val);
		} else if (eq - t == 6 && memcmp(t, "script", 6) == 0) {
			reader_set_prov(r, "capture_script", val);
		} else if (eq - t == 6 && memcmp(t, "kernel", 6) == 0) {
			reader_set_prov(r, "kernel", val);
		} else if (eq - t == 2 && memcmp(t, "sg", 2) == 0) {
			if (bt_u64(val, strlen(val), 10, &v) || v > BT_SG_MAX) {
				free(val);
				return reader_fail(r, -ISM_ECORRUPT,
						   "line %llu: bad sg= in the header (0..%d)",
						   (unsigned long long)in_lineno(r->in), BT_SG_MAX);
			}
			p->sg_k = (unsigned)v;
		}
		free(val);
	}
	p->have_header = 1;
	return 0;
}

static const struct bt_spec *bt_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < ISM_ARRAY_SIZE(bt_specs); i++)
		if (strlen(bt_specs[i].name) == len && memcmp(bt_specs[i].name, name, len) == 0)
			return &bt_specs[i];
	return NULL;
}

#define BAD(what) do { bad = what; goto malformed; } while (0)
/* a number that does not fit its field: named as out of range, never cut */
#define RANGE(what) do { bad = what; range = 1; goto malformed; } while (0)
#define NUM(call, what) do { int rc_ = (call); if (rc_ == BT_RANGE) RANGE(what); \
			      if (rc_) BAD(what); } while (0)

/* Parse the fields of @s from @c into @ev. Returns 1, or <0 after reader_fail(). */
static int bt_fields(struct reader *r, struct bt_priv *p, const struct bt_spec *s,
		     struct bt_cur *c, struct ism_event *ev)
{
	uint64_t phys[BT_SG_MAX], dma[BT_SG_MAX], len[BT_SG_MAX];
	unsigned nphys = 0, ndma = 0, k = p->sg_k;
	int64_t nin = -1, nout = -1;
	const char *bad = NULL, *t;
	int range = 0;
	size_t n;
	uint64_t v;
	int64_t sv;

	for (const char *f = s->fields; *f; f++) {
		if (*f == 'a') {
			/* optional hypercall arguments */
			const char *save = c->p;
			uint64_t a[4];
			unsigned i;

			for (i = 0; i < 4; i++) {
				int rc;

				n = bt_tok(c, &t);
				if (!n)
					break;
				rc = bt_u64(t, n, 16, &a[i]);
				if (rc == BT_RANGE)
					RANGE("hcall args");
				if (rc)
					break;
			}
			if (i == 0) {
				c->p = save;
				continue;
			}
			if (i < 4)
				BAD("hcall args");
			if (a[3] > UINT32_MAX)
				RANGE("hcall args[3]"); /* a count of TCEs: 32 bits in the event */
			ev->paddr = a[0];
			ev->size = a[1];
			ev->arg = a[2];
			ev->nents = (uint32_t)a[3];
			ev->flags |= ISM_EF_HCALL_ARGS;
			continue;
		}
		if (*f == 'p' || *f == 'q' || *f == 'd') {
			for (unsigned i = 0; i < k; i++) {
				if (*f != 'd') {
					n = bt_tok(c, &t);
					NUM(bt_u64(t, n, 16, &phys[i]), "sg phys");
				}
				if (*f != 'p') {
					n = bt_tok(c, &t);
					NUM(bt_u64(t, n, 16, &dma[i]), "sg dma");
					n = bt_tok(c, &t);
					NUM(bt_u64(t, n, 10, &len[i]), "sg len");
					if (len[i] > UINT32_MAX)
						RANGE("sg len");
				}
			}
			continue;
		}
		n = bt_tok(c, &t);
		switch (*f) {
		case 'A':
			NUM(bt_u64(t, n, 16, &ev->addr), "addr");
			break;
		case 'P':
			NUM(bt_u64(t, n, 16, &ev->paddr), "paddr");
			break;
		case 'S':
		case 'Z':
			NUM(bt_u64(t, n, 10, &ev->size), "size");
			break;
		case 'D':
			if (n == 1 && t[0] == '-') {
				ev->dir = ISM_DIR_UNKNOWN;
				break;
			}
			NUM(bt_u64(t, n, 10, &v), "dir");
			ev->dir = v <= ISM_DIR_NONE ? (uint8_t)v : ISM_DIR_UNKNOWN;
			break;
		case 'T':
			NUM(bt_u64(t, n, 16, &v), "attrs");
			if (v > UINT32_MAX)
				RANGE("attrs");
			ev->attrs = (uint32_t)v;
			break;
		case 'G':
		case 'M':
			NUM(bt_u64(t, n, 16, &ev->arg), *f == 'G' ? "gfp" : "dma_mask");
			break;
		case 'F':
			if (n != 1 || (t[0] != '0' && t[0] != '1'))
				BAD("force");
			if (t[0] == '1')
				ev->flags |= ISM_EF_FORCE;
			break;
		case 'N':
		case 'E':
			NUM(bt_s64(t, n, &sv), *f == 'N' ? "nents" : "ents");
			if (sv < -1)
				BAD(*f == 'N' ? "nents" : "ents");
			if (sv > UINT32_MAX)
				RANGE(*f == 'N' ? "nents" : "ents");
			if (*f == 'N')
				nin = sv;
			else
				nout = sv;
			break;
		case 'R':
		case 'V':
			NUM(bt_s64(t, n, &ev->retval), *f == 'R' ? "err" : "retval");
			break;
		case 'O':
			NUM(bt_u64(t, n, 10, &ev->opcode), "opcode");
			break;
		}
	}
	if (s->has_dev) {
		const char *d = c->p, *e = c->end;
		int id;

		while (d < e && (*d == ' ' || *d == '\t'))
			d++;
		while (e > d && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > d) {
			id = reader_dev(r, d, (size_t)(e - d));
			if (id < 0)
				return r->errcode;
			ev->dev = (uint16_t)id;
		}
	} else if (bt_tok(c, &t)) {
		BAD("end of line");
	}

	/* scatter-gather: the printed entries, as the trace.dat reader builds them */
	if (strpbrk(s->fields, "pqd")) {
		int has_phys = strpbrk(s->fields, "pq") != NULL;
		int has_dma = strpbrk(s->fields, "qd") != NULL;
		uint32_t full_in, full_out, nsg;
		struct ism_sge *sg;

		if (has_phys && nin < 0)
			nin = 1; /* count unknown (see the script): entry 0 is always valid */
		full_in = has_phys ? (uint32_t)nin : 0;
		full_out = s->kind == ISM_EV_MAP_SG ? (nout < 0 ? 0 : (uint32_t)nout) :
			   has_dma ? (uint32_t)(nin < 0 ? 0 : nin) : 0;
		nphys = full_in < k ? full_in : k;
		ndma = has_dma ? (full_out < k ? full_out : k) : 0;
		nsg = nphys > ndma ? nphys : ndma;
		sg = reader_sg_reserve(r, nsg);
		for (uint32_t i = 0; i < nsg; i++) {
			sg[i].phys = 0;
			sg[i].dma = 0;
			sg[i].len = 0;
			sg[i].flags = 0;
			if (i < nphys) {
				sg[i].phys = phys[i];
				sg[i].flags |= ISM_SGE_PHYS;
			}
			if (i < ndma) {
				sg[i].dma = dma[i];
				sg[i].len = (uint32_t)len[i];
				sg[i].flags |= ISM_SGE_DMA;
			}
		}
		ev->sg = nsg ? sg : NULL;
		ev->nsg = nsg;
		if (nphys < full_in || ndma < full_out)
			ev->flags |= ISM_EF_TRUNCATED;
		if (s->kind == ISM_EV_MAP_SG) {
			ev->nents = full_in;
			ev->ents = full_out;
		} else if (s->kind == ISM_EV_SYNC_SG_CPU || s->kind == ISM_EV_SYNC_SG_DEV) {
			ev->nents = ev->ents = full_out;
		} else {
			ev->nents = full_in;
		}
	}
	return 1;
malformed:
	if (r->err)
		return r->errcode;
	if (range)
		return reader_fail(r, -ISM_ERANGE, "line %llu: %s: %s out of range (does not fit "
				   "the event's field)", (unsigned long long)in_lineno(r->in), s->name,
				   bad);
	return reader_fail(r, -ISM_ECORRUPT, "line %llu: malformed %s event: bad or missing '%s'",
			   (unsigned long long)in_lineno(r->in), s->name, bad);
}

static void bt_lost_event(struct bt_priv *p, struct ism_event *ev, uint64_t ts, uint16_t cpu)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = ISM_EV_LOST;
	ev->ts_ns = ts;
	ev->cpu = cpu;
	ev->dir = ISM_DIR_UNKNOWN;
	ev->count = p->lost;
	if (!p->lost)
		ev->flags |= ISM_EF_LOST_UNKNOWN;
	p->lost = 0;
	p->have_lost = 0;
}

static int bpftrace_next(struct reader *r, struct ism_event *ev)
{
	struct bt_priv *p = r->priv;

	if (p->have_held) {
		*ev = p->held;
		p->have_held = 0;
		return 1;
	}
	for (;;) {
		struct bt_cur c;
		const struct bt_spec *s;
		const char *line, *t;
		uint64_t ts, cpu;
		size_t n;
		long len;
		int ret;

		len = in_getline(r->in, &line);
		if (len < 0) {
			if (in_error(r->in))
				return reader_fail(r, in_error(r->in), "line %llu: %s",
						   (unsigned long long)in_lineno(r->in) + 1,
						   in_error_msg(r->in));
			if (in_partial(r->in) &&
			    reader_truncated(r, "line %llu ends without a newline (%zu bytes "
					     "dropped)",
					     (unsigned long long)in_lineno(r->in) + 1,
					     in_partial(r->in)) < 0)
				return r->errcode;
			if (!p->have_header)
				return reader_fail(r, -ISM_ECORRUPT, "no \"%s%d\" header line",
						   BT_MAGIC, BT_VERSION);
			if (p->have_lost) {
				/* loss reported after the last event */
				bt_lost_event(p, ev, p->last_ts, p->last_cpu);
				return 1;
			}
			return 0;
		}
		if (memchr(line, '\0', (size_t)len))
			return reader_fail(r, -ISM_ECORRUPT,
					   "line %llu: binary data (NUL byte) in a text trace",
					   (unsigned long long)in_lineno(r->in));
		c.p = line;
		c.end = line + len;
		if (len && line[len - 1] == '\r')
			c.end--;
		if (c.end - c.p >= (long)sizeof(BT_MAGIC) - 1 &&
		    memcmp(line, BT_MAGIC, sizeof(BT_MAGIC) - 1) == 0) {
			if (p->have_header)
				continue; /* two captures concatenated: the same format again */
			if (bt_header(r, p, line, (size_t)(c.end - c.p)))
				return r->errcode;
			continue;
		}
		n = bt_tok(&c, &t);
		if (!n || t[0] == '#' || bt_is_attaching(line, (size_t)len))
			continue;
		if (n == 4 && memcmp(t, "Lost", 4) == 0) {
			uint64_t lost;

			n = bt_tok(&c, &t);
			if (bt_u64(t, n, 10, &lost))
				return reader_fail(r, -ISM_ECORRUPT,
						   "line %llu: bad \"Lost N events\" line",
						   (unsigned long long)in_lineno(r->in));
			p->lost += lost;
			p->have_lost = 1;
			continue;
		}
		if (!p->have_header)
			return reader_fail(r, -ISM_ECORRUPT,
					   "line %llu: an event before the \"%s%d\" header line",
					   (unsigned long long)in_lineno(r->in), BT_MAGIC,
					   BT_VERSION);
		if (bt_u64(t, n, 10, &ts))
			return reader_fail(r, -ISM_ECORRUPT,
					   "line %llu: not an iommusim-bt event line: \"%.60s%s\"",
					   (unsigned long long)in_lineno(r->in), line,
					   len > 60 ? "..." : "");
		n = bt_tok(&c, &t);
		if (bt_u64(t, n, 10, &cpu) || cpu > 65535)
			return reader_fail(r, -ISM_ECORRUPT, "line %llu: bad cpu",
					   (unsigned long long)in_lineno(r->in));
		n = bt_tok(&c, &t);
		s = bt_lookup(t, n);
		if (!s) {
			if (!n)
				return reader_fail(r, -ISM_ECORRUPT, "line %llu: no event name",
						   (unsigned long long)in_lineno(r->in));
			reader_count_unknown(r, t, n);
			continue;
		}
		memset(ev, 0, sizeof(*ev));
		ev->ts_ns = ts;
		ev->cpu = (uint16_t)cpu;
		ev->kind = s->kind;
		ev->dir = ISM_DIR_UNKNOWN;
		ev->flags = s->flags;
		ret = bt_fields(r, p, s, &c, ev);
		if (ret < 0)
			return ret;
		if ((s->kind == ISM_EV_MAP || s->kind == ISM_EV_UNMAP) &&
		    (ev->attrs & ISM_ATTR_MMIO))
			ev->flags |= ISM_EF_MMIO;
		p->last_ts = ts;
		p->last_cpu = (uint16_t)cpu;
		if (p->have_lost) {
			/* report the loss with the timestamp and CPU of the next event */
			p->held = *ev;
			p->have_held = 1;
			bt_lost_event(p, ev, ts, (uint16_t)cpu);
		}
		return 1;
	}
}

static void bpftrace_close(struct reader *r)
{
	free(r->priv);
	r->priv = NULL;
}

static uint64_t bpftrace_position(struct reader *r)
{
	return in_lineno(r->in);
}

const struct reader_ops reader_bpftrace_ops = {
	.name = "bpftrace",
	.summary = "output of the traces/capture/*.bt bpftrace scripts (\"# iommusim-bt v1\")",
	.probe = bpftrace_probe,
	.open = bpftrace_open,
	.next = bpftrace_next,
	.close = bpftrace_close,
	.pos_unit = "line",
	.position = bpftrace_position,
};
