/*
 * reader-ftrace.c: ftrace text, as printed by `cat /sys/kernel/tracing/trace` (with or without
 * the irq-info columns) and by `trace-cmd report` (with or without -t, -l); and, as its own
 * reader with its own probe, `perf script` text of the same tracepoints.
 *
 * An event line is  COMM-PID [CPU] [FLAGS] SECONDS.FRACTION: EVENT: PAYLOAD
 * A perf script line is  COMM TID [CPU] SECONDS.FRACTION: SYSTEM:EVENT: PAYLOAD  (perf's default
 * fields for tracepoints; the timestamp in microseconds, or ns with --ns).
 * The payload is the tracepoint's printk text; we parse it back into the fields the binary
 * reader gets from trace.dat, so both yield the same events (timestamps have the precision of
 * the text: microseconds for `cat trace`). Values the text does not carry in numeric form
 * (dma_alloc gfp flags) are 0.
 *
 * Speed: each payload is split into its words once (ft_tokenise(): KEY=VALUE words in order,
 * and the "[TRUNCATED]" / "[FAILED TO PARSE]" marks), and every field is then looked up in that
 * table; numbers are read by hand (no locale, no errno). A payload holds a handful of keys, so
 * a line costs one pass over its bytes plus a few short compares.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "reader.h"
#include "reader-ftrace.h"

enum ft_ev {
	FT_MAP_PAGE, FT_MAP_PHYS, FT_MAP_RESOURCE,
	FT_UNMAP_PAGE, FT_UNMAP_PHYS, FT_UNMAP_RESOURCE,
	FT_MAP_SG, FT_UNMAP_SG, FT_MAP_SG_ERR,
	FT_ALLOC, FT_ALLOC_PAGES, FT_ALLOC_SGT, FT_ALLOC_SGT_ERR,
	FT_FREE, FT_FREE_PAGES, FT_FREE_SGT,
	FT_SYNC_CPU, FT_SYNC_DEV, FT_SYNC_SG_CPU, FT_SYNC_SG_DEV,
	FT_BOUNCE, FT_HCALL_ENTRY, FT_HCALL_EXIT, FT_IOMMU_MAP, FT_IOMMU_UNMAP,
	FT_MARK, FT_PRINT, FT_INV_RANGE, FT_INV_ALL, FT_INV_MAP,
};

#define FTN(s, e) { s, sizeof(s) - 1, e }

static const struct {
	const char *name;
	size_t len;
	enum ft_ev ev;
} ft_names[] = {
	FTN("dma_map_page", FT_MAP_PAGE),
	FTN("dma_map_phys", FT_MAP_PHYS),
	FTN("dma_map_resource", FT_MAP_RESOURCE),
	FTN("dma_unmap_page", FT_UNMAP_PAGE),
	FTN("dma_unmap_phys", FT_UNMAP_PHYS),
	FTN("dma_unmap_resource", FT_UNMAP_RESOURCE),
	FTN("dma_map_sg", FT_MAP_SG),
	FTN("dma_unmap_sg", FT_UNMAP_SG),
	FTN("dma_map_sg_err", FT_MAP_SG_ERR),
	FTN("dma_alloc", FT_ALLOC),
	FTN("dma_alloc_pages", FT_ALLOC_PAGES),
	FTN("dma_alloc_sgt", FT_ALLOC_SGT),
	FTN("dma_alloc_sgt_err", FT_ALLOC_SGT_ERR),
	FTN("dma_free", FT_FREE),
	FTN("dma_free_pages", FT_FREE_PAGES),
	FTN("dma_free_sgt", FT_FREE_SGT),
	FTN("dma_sync_single_for_cpu", FT_SYNC_CPU),
	FTN("dma_sync_single_for_device", FT_SYNC_DEV),
	FTN("dma_sync_sg_for_cpu", FT_SYNC_SG_CPU),
	FTN("dma_sync_sg_for_device", FT_SYNC_SG_DEV),
	FTN("swiotlb_bounced", FT_BOUNCE),
	FTN("hcall_entry", FT_HCALL_ENTRY),
	FTN("hcall_exit", FT_HCALL_EXIT),
	FTN("map", FT_IOMMU_MAP),
	FTN("unmap", FT_IOMMU_UNMAP),
	FTN("tracing_mark_write", FT_MARK),
	FTN("print", FT_PRINT),
	/* IOTLB invalidations: VT-d's tracepoints (intel_iommu:*), SMMUv3 kprobes by function */
	FTN("cache_tag_flush_range", FT_INV_RANGE),
	FTN("cache_tag_flush_all", FT_INV_ALL),
	FTN("cache_tag_flush_range_np", FT_INV_MAP),
	FTN("iotlb_sync", FT_INV_RANGE),
	FTN("flush_iotlb_all", FT_INV_ALL),
};

struct ft_priv {
	int perf;            /* perf script text */
	int big_endian;      /* raw arrays (ARRAY[...]) are big-endian */
	void *ext;           /* the state of a reader that borrows the payload parser */
	uint64_t *a, *b, *c; /* array scratch reused across lines */
	size_t ca, cb, cc;
	struct ism_event held; /* an event parsed while loss reports were pending */
	int have_held;
	/* losses reported by the text, emitted before the next event (at its timestamp) */
	struct ft_lost {
		unsigned cpu;
		uint64_t count;   /* 0 = unknown */
		unsigned flags;   /* ISM_EF_LOST_ANYCPU */
	} lost[8];
	unsigned nlost, lost_out;
};

/* ---- small parsing helpers ------------------------------------------------ */

/* The C locale's classes (iommusim never calls setlocale()), without the table lookup. */
static inline int is_dig(int c)
{
	return (unsigned)(c - '0') < 10;
}

static inline int is_xdig(int c)
{
	return is_dig(c) || (unsigned)((c | 0x20) - 'a') < 6;
}

static inline int is_word(int c)
{
	return is_dig(c) || (unsigned)((c | 0x20) - 'a') < 26 || c == '_';
}

static inline unsigned xval(int c)
{
	return is_dig(c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

static const char *skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parse a timestamp "SECONDS[.FRACTION]" ending at ':'; returns the char after ':' or NULL. */
static const char *parse_ts(const char *p, uint64_t *ts_ns)
{
	uint64_t sec = 0, frac = 0;
	int nd = 0, nf = 0;

	while (is_dig(*p)) {
		if (sec > UINT64_MAX / 10 - 10)
			return NULL;
		sec = sec * 10 + (uint64_t)(*p++ - '0');
		nd++;
	}
	if (!nd)
		return NULL;
	if (*p == '.') {
		p++;
		while (is_dig(*p)) {
			if (nf < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				nf++;
			}
			p++;
		}
		if (!nf)
			return NULL;
		for (int i = nf; i < 9; i++)
			frac *= 10;
		if (sec > (UINT64_MAX - frac) / 1000000000ull)
			return NULL;
		*ts_ns = sec * 1000000000ull + frac;
	} else {
		*ts_ns = sec; /* a raw counter clock: already in its own units */
	}
	if (*p != ':')
		return NULL;
	return p + 1;
}

/*
 * Split an event line. Returns 1 and fills the out-parameters, 0 if the line is not an
 * event line.
 */
/*
 * The irq-info column ("d.h..": irqs-off, need-resched, hardirq/softirq, preempt depth, ...):
 * its third character says the context (trace_print_lat_fmt(): 'h' hard irq, 's' softirq,
 * 'H' hard irq inside a softirq, 'z'/'Z' NMI, '.' task). ISM_EF_* context flags, or 0 when
 * the column is not there or not of that form.
 */
static unsigned ctx_flags(const char *f, size_t n)
{
	if (n < 4)
		return 0;
	switch (f[2]) {
	case '.':
		return ISM_EF_CTX;
	case 'h': case 'H': case 'z': case 'Z':
		return ISM_EF_CTX | ISM_EF_HARDIRQ;
	case 's':
		return ISM_EF_CTX | ISM_EF_SOFTIRQ;
	default:
		return 0;
	}
}

/* The PID of "COMM-PID" ending right before @end (at most 7 digits); 0 if there is none. */
static uint32_t line_pid(const char *line, const char *end)
{
	const char *q = end;
	uint32_t v = 0, mul = 1;
	int nd = 0;

	while (q > line && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	while (q > line && is_dig(q[-1]) && nd < 7) {
		v += (uint32_t)(q[-1] - '0') * mul;
		mul *= 10;
		q--;
		nd++;
	}
	return nd && q > line && q[-1] == '-' ? v : 0;
}

static int split_line(const char *line, unsigned *cpu, uint64_t *ts, const char **name,
		      size_t *name_len, const char **payload, uint32_t *pid, unsigned *ctx)
{
	for (const char *b = strchr(line, '['); b; b = strchr(b + 1, '[')) {
		const char *p = b + 1, *q;
		unsigned long c = 0;
		int nd = 0;

		if (b == line || (b[-1] != ' ' && b[-1] != '\t'))
			continue;
		while (is_dig(*p) && nd < 6) {
			c = c * 10 + (unsigned long)(*p++ - '0');
			nd++;
		}
		if (!nd || *p != ']' || p[1] != ' ')
			continue;
		p = skip_sp(p + 1);
		q = parse_ts(p, ts);
		*ctx = 0;
		if (!q) {
			/* a flags column (irqs-off, need-resched, ...) precedes the timestamp */
			const char *f = p;

			while (*f && *f != ' ' && f - p < 8)
				f++;
			if (*f != ' ')
				continue;
			q = parse_ts(skip_sp(f), ts);
			if (!q)
				continue;
			*ctx = ctx_flags(p, (size_t)(f - p));
		}
		*pid = line_pid(line, b);
		p = skip_sp(q);
		q = p;
		while (is_word(*q))
			q++;
		if (q == p || *q != ':')
			continue;
		if (c > 65535)
			return 0;
		*cpu = (unsigned)c;
		*name = p;
		*name_len = (size_t)(q - p);
		*payload = skip_sp(q + 1);
		return 1;
	}
	return 0;
}

/*
 * Split a `perf script` line: COMM TID [CPU] SECONDS.FRACTION: SYSTEM:EVENT: PAYLOAD. COMM may
 * hold spaces; the TID is the number right before " [". Returns 1, or 0 if not such a line.
 */
static int perf_split_line(const char *line, unsigned *cpu, uint64_t *ts, const char **name,
			   size_t *name_len, const char **payload, uint32_t *pid)
{
	for (const char *b = strchr(line, '['); b; b = strchr(b + 1, '[')) {
		const char *p = b + 1, *q, *r;
		unsigned long c = 0;
		int nd = 0;

		if (b == line || b[-1] != ' ')
			continue;
		while (is_dig(*p) && nd < 6) {
			c = c * 10 + (unsigned long)(*p++ - '0');
			nd++;
		}
		if (!nd || *p != ']' || p[1] != ' ')
			continue;
		q = parse_ts(skip_sp(p + 1), ts);
		if (!q)
			continue;
		/* SYSTEM:EVENT: */
		p = skip_sp(q);
		for (q = p; is_word(*q); q++)
			;
		if (q == p || *q != ':')
			continue;
		for (r = ++q; is_word(*r); r++)
			;
		if (r == q || *r != ':')
			continue;
		if (c > 65535)
			return 0;
		{
			/* the TID before " [" */
			const char *t = b - 1;
			uint32_t v = 0, mul = 1;
			int td = 0;

			while (t > line && *t == ' ')
				t--;
			while (t >= line && is_dig(*t) && td < 7) {
				v += (uint32_t)(*t - '0') * mul;
				mul *= 10;
				t--;
				td++;
			}
			*pid = td ? v : 0;
		}
		*cpu = (unsigned)c;
		*name = q;
		*name_len = (size_t)(r - q);
		*payload = skip_sp(r + 1);
		return 1;
	}
	return 0;
}

/*
 * The words of a payload, split once. A word starts the payload or follows a space; a
 * KEY=VALUE word is any with '=' (KEY is what precedes the first '='). A field lookup is the
 * first such word whose KEY matches: what the reader has always taken. A payload with more
 * keyed words than the table holds is looked up word by word past its end.
 */
#define FT_MAXKEYS 24

struct ft_tok {
	unsigned n;
	unsigned truncated : 1;     /* "[TRUNCATED]" somewhere in the payload */
	unsigned failed : 1;        /* "[FAILED TO PARSE]" somewhere in the payload */
	const char *resume;         /* the first keyed word not in @k (table full), or NULL */
	const char *last_sp;        /* the last space, or NULL */
	struct {
		const char *key, *val;
		size_t kl;
	} k[FT_MAXKEYS];
};

static void ft_tokenise(struct ft_tok *t, const char *s)
{
	const char *p = s;

	t->n = 0;
	t->truncated = t->failed = 0;
	t->resume = t->last_sp = NULL;
	for (;;) {
		const char *w = p, *eq = NULL;

		for (; *p && *p != ' '; p++) {
			if (*p == '=') {
				if (!eq)
					eq = p;
			} else if (*p == '[') {
				if (strncmp(p, "[TRUNCATED]", 11) == 0)
					t->truncated = 1;
				else if (strncmp(p, "[FAILED TO PARSE]", 17) == 0)
					t->failed = 1;
			}
		}
		if (eq && !t->resume) {
			if (t->n < FT_MAXKEYS) {
				t->k[t->n].key = w;
				t->k[t->n].kl = (size_t)(eq - w);
				t->k[t->n].val = eq + 1;
				t->n++;
			} else {
				t->resume = w;
			}
		}
		if (!*p)
			return;
		t->last_sp = p++;
	}
}

static const char *tok_key(const struct ft_tok *t, const char *key, size_t kl)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->k[i].kl == kl && memcmp(t->k[i].key, key, kl) == 0)
			return t->k[i].val;
	for (const char *w = t->resume; w; w = strchr(w, ' '), w = w ? w + 1 : NULL)
		if (strncmp(w, key, kl) == 0 && w[kl] == '=')
			return w + kl + 1;
	return NULL;
}

#define TK(t, lit) tok_key((t), lit, sizeof(lit) - 1)

/*
 * Numbers: -1 when malformed, -2 when they do not fit (never clamped). Hex digits may follow
 * an optional 0x; no sign, no space before the digits.
 */
enum { NUM_BAD = -1, NUM_RANGE = -2 };

/*
 * What strtoull(@v, &end, 16) and (..., 10) read, from a first character that is a digit of
 * the base: base 16 skips a "0x" or "0X" that a hex digit follows. *@ovf is set when the value
 * does not fit in 64 bits (strtoull's ERANGE). Returns the end.
 */
static const char *scan_hex(const char *v, uint64_t *out, int *ovf)
{
	uint64_t x = 0;

	*ovf = 0;
	if (v[0] == '0' && (v[1] | 0x20) == 'x' && is_xdig(v[2]))
		v += 2;
	for (; is_xdig(*v); v++) {
		if (x >> 60)
			*ovf = 1;
		x = x << 4 | xval(*v);
	}
	*out = *ovf ? UINT64_MAX : x;
	return v;
}

static const char *scan_dec(const char *v, uint64_t *out, int *ovf)
{
	uint64_t x = 0;

	*ovf = 0;
	for (; is_dig(*v); v++) {
		unsigned d = (unsigned)(*v - '0');

		if (x > (UINT64_MAX - d) / 10)
			*ovf = 1;
		x = x * 10 + d;
	}
	*out = *ovf ? UINT64_MAX : x;
	return v;
}

static int parse_u64(const char *v, int base, uint64_t *out)
{
	const char *end;
	int ovf;

	if (!v || !(is_dig(*v) || (base == 16 && is_xdig(*v))))
		return NUM_BAD;
	end = base == 16 ? scan_hex(v, out, &ovf) : scan_dec(v, out, &ovf);
	if (ovf)
		return NUM_RANGE;
	if (*end && *end != ' ' && *end != '/' && *end != '[')
		return NUM_BAD;
	return 0;
}

static int parse_u32(const char *v, int base, uint32_t *out)
{
	uint64_t x;
	int ret = parse_u64(v, base, &x);

	if (ret < 0)
		return ret;
	if (x > UINT32_MAX)
		return NUM_RANGE;
	*out = (uint32_t)x;
	return 0;
}

static int parse_s64(const char *v, int64_t *out)
{
	char *end;

	if (!v || !(*v == '-' || is_dig(*v)))
		return NUM_BAD;
	if (*v == '-' && !is_dig(v[1]))
		return NUM_BAD;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno == ERANGE)
		return NUM_RANGE;
	if (*end && *end != ' ')
		return NUM_BAD;
	return 0;
}

#define key_u64(t, lit, base, out) parse_u64(TK(t, lit), base, out)

static int parse_dir(const struct ft_tok *t, uint8_t *dir)
{
	const char *v = TK(t, "dir");
	size_t n = 0;
	int d;

	if (!v)
		return -1;
	while (v[n] && v[n] != ' ')
		n++;
	d = ism_dir_from_name(v, n);
	if (d < 0 || d > ISM_DIR_NONE)
		return -1;
	*dir = (uint8_t)d;
	return 0;
}

#define ATTR(s, b) { s, sizeof(s) - 1, b }

static const struct {
	const char *name;
	size_t len;
	uint32_t bit;
} attr_names[] = {
	ATTR("WEAK_ORDERING", 1u << 1),   ATTR("WRITE_COMBINE", 1u << 2),
	ATTR("NO_KERNEL_MAPPING", 1u << 4), ATTR("SKIP_CPU_SYNC", 1u << 5),
	ATTR("FORCE_CONTIGUOUS", 1u << 6), ATTR("ALLOC_SINGLE_PAGES", 1u << 7),
	ATTR("NO_WARN", 1u << 8),         ATTR("PRIVILEGED", 1u << 9),
	ATTR("MMIO", 1u << 10),           ATTR("CACHE_CLEAN", 1u << 11),
};

/* attrs=NAME|NAME|0x... (possibly empty). Missing key = 0. */
static int parse_attrs(const struct ft_tok *t, uint32_t *attrs)
{
	const char *v = TK(t, "attrs");

	*attrs = 0;
	if (!v)
		return 0;
	while (*v && *v != ' ') {
		size_t n = 0;
		int found = 0;

		while (v[n] && v[n] != ' ' && v[n] != '|')
			n++;
		if (n > 2 && v[0] == '0' && v[1] == 'x') {
			uint32_t x;
			int ret = parse_u32(v + 2, 16, &x);

			if (ret == NUM_RANGE)
				return NUM_RANGE;
			if (ret < 0 || !(v[2 + strspn(v + 2, "0123456789abcdefABCDEF")] == ' ' ||
					 v[2 + strspn(v + 2, "0123456789abcdefABCDEF")] == '|' ||
					 !v[2 + strspn(v + 2, "0123456789abcdefABCDEF")]))
				return NUM_BAD;
			*attrs |= x;
			found = 1;
		}
		for (size_t i = 0; !found && i < ISM_ARRAY_SIZE(attr_names); i++)
			if (attr_names[i].len == n && memcmp(attr_names[i].name, v, n) == 0) {
				*attrs |= attr_names[i].bit;
				found = 1;
			}
		if (!found && n)
			return NUM_BAD;
		v += n;
		if (*v == '|')
			v++;
	}
	return 0;
}

/*
 * Parse "{0x1,0x2}" into @vals (count returned): NUM_BAD on a malformed array, NUM_RANGE on an
 * element above 2^64-1 or more than ISM_MAX_SG_ENTS elements.
 */
static long parse_array(const char *v, uint64_t **vals, size_t *cap)
{
	long n = 0;

	if (!v || *v != '{')
		return NUM_BAD;
	v++;
	if (*v == '}')
		return 0;
	for (;;) {
		const char *end;
		uint64_t x;
		int ovf;

		if (!(v[0] == '0' && v[1] == 'x' && is_xdig(v[2])))
			return NUM_BAD;
		if (n >= (long)ISM_MAX_SG_ENTS)
			return NUM_RANGE;
		end = scan_hex(v + 2, &x, &ovf);
		if (ovf)
			return NUM_RANGE;
		if ((size_t)n >= *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*vals = xreallocarray(*vals, *cap, sizeof(**vals));
		}
		(*vals)[n++] = x;
		if (*end == '}')
			return n;
		if (*end != ',')
			return NUM_BAD;
		v = end + 1;
	}
}

/* sg lengths are 32-bit (struct scatterlist): NUM_RANGE when one is not */
static int sizes_u32(const uint64_t *v, long n)
{
	for (long i = 0; i < n; i++)
		if (v[i] > UINT32_MAX)
			return NUM_RANGE;
	return 0;
}

/*
 * "key=ARRAY[00, a0, 2d, ...]": the raw bytes libtraceevent prints for a dynamic array it could
 * not format, read as elements of @esize bytes in the recording machine's byte order (perf
 * script text does not say it: little-endian, as x86_64 and ppc64le; perf's JSON names the
 * arch). Count, or NUM_BAD / NUM_RANGE.
 */
static long raw_array(const struct ft_tok *t, const char *key, unsigned esize, int big_endian,
		      uint64_t **vals, size_t *cap)
{
	const char *v = tok_key(t, key, strlen(key));
	uint64_t x = 0;
	unsigned nb = 0;
	long n = 0;

	if (!v || strncmp(v, "ARRAY[", 6) != 0)
		return NUM_BAD;
	v += 6;
	while (*v && *v != ']') {
		char *end;
		unsigned long byte;

		if (!is_xdig(*v))
			return NUM_BAD;
		byte = strtoul(v, &end, 16);
		if (byte > 0xff || end - v > 2)
			return NUM_BAD;
		x |= (uint64_t)byte << (8 * (big_endian ? esize - 1 - nb : nb));
		if (++nb == esize) {
			if (n >= (long)ISM_MAX_SG_ENTS)
				return NUM_RANGE;
			if ((size_t)n >= *cap) {
				*cap = *cap ? *cap * 2 : 64;
				*vals = xreallocarray(*vals, *cap, sizeof(**vals));
			}
			(*vals)[n++] = x;
			x = 0;
			nb = 0;
		}
		v = end;
		if (*v == ',')
			v = skip_sp(v + 1);
	}
	return *v == ']' && nb == 0 ? n : NUM_BAD;
}

static void put_array(FILE *f, const char *key, const uint64_t *v, long n)
{
	fprintf(f, " %s={", key);
	for (long i = 0; i < n; i++)
		fprintf(f, "%s0x%llx", i ? "," : "", (unsigned long long)v[i]);
	fputc('}', f);
}

/*
 * dma_map_sg and dma_unmap_sg whose print format libtraceevent 1.7.1 cannot evaluate come as
 * "[FAILED TO PARSE] device=... phys_addrs=ARRAY[...] ... dir=1 attrs=0x100": their raw fields.
 * Rewrite them in the printk form parse_event() reads. Returns the text (malloc'd), or NULL
 * when the fields are not there.
 */
static char *raw_sg_printk(struct ft_priv *p, int fe, const char *raw)
{
	static const char *const dirs[] = { "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE", "NONE" };
	struct ft_tok rt, *t = &rt;
	const char *dev;
	uint64_t dir, attrs = 0, fn, fe2, trunc = 0;
	long na, nb = 0, nc = 0;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ft_tokenise(t, raw);
	dev = TK(t, "device");
	if (!dev || parse_u64(TK(t, "dir"), 10, &dir) != 0 || dir > 3)
		return NULL;
	if (TK(t, "attrs") && parse_u64(TK(t, "attrs"), 16, &attrs) != 0)
		return NULL;
	na = raw_array(t, fe == FT_MAP_SG ? "phys_addrs" : "addrs", 8, p->big_endian, &p->a,
		       &p->ca);
	if (na < 0)
		return NULL;
	if (fe == FT_MAP_SG) {
		nb = raw_array(t, "dma_addrs", 8, p->big_endian, &p->b, &p->cb);
		nc = raw_array(t, "lengths", 4, p->big_endian, &p->c, &p->cc);
		if (nb < 0 || nc < 0)
			return NULL;
	}
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fprintf(f, "%.*s dir=%s", (int)strcspn(dev, " "), dev, dirs[dir]);
	if (fe == FT_MAP_SG) {
		fprintf(f, " nents=%ld", na);
		if (key_u64(t, "full_nents", 10, &fn) == 0)
			fprintf(f, "/%llu", (unsigned long long)fn);
		fprintf(f, " ents=%ld", nb);
		if (key_u64(t, "full_ents", 10, &fe2) == 0)
			fprintf(f, "/%llu", (unsigned long long)fe2);
		put_array(f, "dma_addrs", p->b, nb);
		put_array(f, "sizes", p->c, nc);
	}
	put_array(f, "phys_addrs", p->a, na);
	fprintf(f, " attrs=0x%llx", (unsigned long long)attrs);
	if (key_u64(t, "truncated", 10, &trunc) == 0 && trunc)
		fputs(" [TRUNCATED]", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- the reader ----------------------------------------------------------- */

/*
 * Copies the first 4 KiB of @buf into @tmp (NUL-terminated) and says whether one of its
 * complete lines is an event line of perf script (@perf) or of ftrace text: 1 yes, 0 no,
 * -1 for binary data. A partial last line says nothing. The lines in @tmp are cut at '\n'.
 */
static int probe_event_line(const unsigned char *buf, size_t len, char tmp[4097], int perf)
{
	const char *line, *name, *payload;
	unsigned cpu, ctx;
	uint64_t ts;
	uint32_t pid;
	size_t nl;

	if (len > 4096)
		len = 4096;
	if (memchr(buf, '\0', len))
		return -1;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	for (line = tmp; line && *line;) {
		char *eol = strchr(line, '\n');

		if (eol)
			*eol = '\0';
		else if (line != tmp)
			break;
		if (perf ? perf_split_line(line, &cpu, &ts, &name, &nl, &payload, &pid) :
			   split_line(line, &cpu, &ts, &name, &nl, &payload, &pid, &ctx))
			return 1;
		line = eol ? eol + 1 : NULL;
	}
	return 0;
}

static int ftrace_probe(const unsigned char *buf, size_t len)
{
	char tmp[4097];
	int ev = probe_event_line(buf, len, tmp, 0);

	if (ev < 0)
		return 0;
	if (strncmp(tmp, "# tracer:", 9) == 0)
		return 90;
	if (ev)
		return 70;
	if (strncmp(tmp, "version = ", 10) == 0 || strncmp(tmp, "cpus=", 5) == 0)
		return 60;
	return 0;
}

static int ftrace_open(struct reader *r)
{
	r->priv = xcalloc(1, sizeof(struct ft_priv));
	reader_set_prov(r, "clock", "unknown (text)");
	reader_set_prov(r, "timestamp_precision", "as printed (cat trace: 1 us)");
	return 0;
}

static int perf_probe(const unsigned char *buf, size_t len)
{
	char tmp[4097];

	/* above ftrace text, which such lines also resemble */
	return probe_event_line(buf, len, tmp, 1) > 0 ? 80 : 0;
}

static int perf_open(struct reader *r)
{
	struct ft_priv *p = xcalloc(1, sizeof(struct ft_priv));

	p->perf = 1;
	r->priv = p;
	reader_set_prov(r, "clock", "perf_clock (the trace's; text)");
	reader_set_prov(r, "timestamp_precision", "as printed (perf script: 1 us, --ns: 1 ns)");
	return 0;
}

static int ft_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < ISM_ARRAY_SIZE(ft_names); i++)
		if (ft_names[i].len == len && memcmp(ft_names[i].name, name, len) == 0)
			return (int)ft_names[i].ev;
	return -1;
}

/* Device name = the first word of the payload. */
static int payload_dev(struct reader *r, const char *payload, struct ism_event *ev)
{
	size_t n = 0;
	int id;

	while (payload[n] && payload[n] != ' ')
		n++;
	if (!n || memchr(payload, '=', n))
		return -1;
	id = reader_dev(r, payload, n);
	if (id < 0)
		return -2;
	ev->dev = (uint16_t)id;
	return 0;
}

/*
 * parse_event()'s state: the event's tokens, the event being filled, and when a field is bad,
 * which one (@bad) and the check that failed (@rc; NUM_RANGE: a number that does not fit).
 * Each pe_*() parses one family of events: 1, 0 when the line is not one of ours, or -1 after
 * BAD(field).
 */
struct ft_parse {
	struct reader *r;
	struct ft_priv *arr;      /* the list buffers */
	int fe;                   /* FT_* */
	const char *payload;
	const struct ft_tok *t;
	struct ism_event *ev;
	const char *bad;
	int rc;
};

#define BAD(what) do { x->bad = what; return -1; } while (0)

/* dma_map_page, dma_map_phys, dma_map_resource and their unmaps */
static int pe_single(struct ft_parse *x)
{
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	int fe = x->fe;
	int map = fe == FT_MAP_PAGE || fe == FT_MAP_PHYS || fe == FT_MAP_RESOURCE;

	ev->kind = map ? ISM_EV_MAP : ISM_EV_UNMAP;
	if ((x->rc = payload_dev(x->r, x->payload, ev)) != 0)
		BAD("device");
	if ((x->rc = parse_dir(t, &ev->dir)) != 0)
		BAD("dir");
	if ((x->rc = key_u64(t, "dma_addr", 16, &ev->addr)) != 0)
		BAD("dma_addr");
	if ((x->rc = key_u64(t, "size", 10, &ev->size)) != 0)
		BAD("size");
	if (map && (x->rc = key_u64(t, "phys_addr", 16, &ev->paddr)) != 0)
		BAD("phys_addr");
	if ((x->rc = parse_attrs(t, &ev->attrs)) != 0)
		BAD("attrs");
	if (fe == FT_MAP_RESOURCE || fe == FT_UNMAP_RESOURCE || (ev->attrs & ISM_ATTR_MMIO))
		ev->flags |= ISM_EF_MMIO;
	return 1;
}

/* powerpc hcall_entry / hcall_exit (the exit's retval signed or, on old kernels, not) */
static int pe_hcall(struct ft_parse *x)
{
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	const char *rv;
	uint64_t v;

	ev->kind = x->fe == FT_HCALL_ENTRY ? ISM_EV_HCALL_ENTRY : ISM_EV_HCALL_EXIT;
	ev->dir = ISM_DIR_UNKNOWN;
	if ((x->rc = key_u64(t, "opcode", 10, &ev->opcode)) != 0)
		BAD("opcode");
	if (x->fe == FT_HCALL_ENTRY)
		return 1;
	rv = TK(t, "retval");
	if (rv && *rv != '-') {
		/* old kernels print it unsigned: 18446744073709551612 is H_PARAMETER */
		if ((x->rc = parse_u64(rv, 10, &v)) != 0)
			BAD("retval");
		ev->retval = (int64_t)v;
	} else if (parse_s64(rv, &ev->retval)) {
		BAD("retval");
	}
	return 1;
}

/* dma_map_sg: the input (phys_addrs) and output (dma_addrs, sizes) lists, a capped kernel's full counts */
static int pe_map_sg(struct ft_parse *x)
{
	struct reader *r = x->r;
	struct ft_priv *arr = x->arr;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	long na, nb, nc;
	struct ism_sge *sg;
	const char *nv;
	long n;

	ev->kind = ISM_EV_MAP_SG;
	if ((x->rc = (payload_dev(r, payload, ev))) != 0)
		BAD("device");
	if ((x->rc = (parse_dir(t, &ev->dir))) != 0)
		BAD("dir");
	na = parse_array(TK(t, "phys_addrs"), &arr->a, &arr->ca);
	nb = parse_array(TK(t, "dma_addrs"), &arr->b, &arr->cb);
	nc = parse_array(TK(t, "sizes"), &arr->c, &arr->cc);
	if (na < 0) {
		x->rc = (int)na;
		BAD("phys_addrs");
	}
	if (nb < 0) {
		x->rc = (int)nb;
		BAD("dma_addrs");
	}
	if ((x->rc = (nc < 0 ? (int)nc : nc != nb ? NUM_BAD : sizes_u32(arr->c, nc))) != 0)
		BAD("sizes");
	if ((x->rc = (parse_attrs(t, &ev->attrs))) != 0)
		BAD("attrs");
	ev->nents = (uint32_t)na;
	ev->ents = (uint32_t)nb;
	/* capped kernels: nents=STORED/FULL ents=STORED/FULL [TRUNCATED] */
	if ((nv = TK(t, "nents")) != NULL) {
		const char *s = strchr(nv, '/');

		if ((x->rc = (!s ? NUM_BAD : parse_u32(s + 1, 10, &ev->nents))) != 0)
			BAD("nents");
	}
	if ((nv = TK(t, "ents")) != NULL) {
		const char *s = strchr(nv, '/');

		if ((x->rc = (!s ? NUM_BAD : parse_u32(s + 1, 10, &ev->ents))) != 0)
			BAD("ents");
	}
	if (t->truncated)
		ev->flags |= ISM_EF_TRUNCATED;
	n = na > nb ? na : nb;
	sg = reader_sg_reserve(r, (size_t)n);
	for (long i = 0; i < n; i++) {
		sg[i].flags = 0;
		sg[i].phys = sg[i].dma = 0;
		sg[i].len = 0;
		if (i < na) {
			sg[i].phys = arr->a[i];
			sg[i].flags |= ISM_SGE_PHYS;
		}
		if (i < nb) {
			sg[i].dma = arr->b[i];
			sg[i].len = (uint32_t)arr->c[i];
			sg[i].flags |= ISM_SGE_DMA;
			ev->size += (uint32_t)arr->c[i];
		}
	}
	ev->sg = sg;
	ev->nsg = (uint32_t)n;
	return 1;
}

/* dma_unmap_sg, dma_map_sg_err, dma_alloc_sgt, dma_free_sgt: a list of input addresses */
static int pe_sg_list(struct ft_parse *x)
{
	struct reader *r = x->r;
	struct ft_priv *arr = x->arr;
	int fe = x->fe;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	long na;
	struct ism_sge *sg;

	ev->kind = fe == FT_UNMAP_SG ? ISM_EV_UNMAP_SG :
		   fe == FT_MAP_SG_ERR ? ISM_EV_MAP_SG_ERR :
		   fe == FT_ALLOC_SGT ? ISM_EV_ALLOC : ISM_EV_FREE;
	if ((x->rc = (payload_dev(r, payload, ev))) != 0)
		BAD("device");
	if (fe == FT_UNMAP_SG || fe == FT_MAP_SG_ERR) {
		if ((x->rc = (parse_dir(t, &ev->dir))) != 0)
			BAD("dir");
	} else if (parse_dir(t, &ev->dir)) {
		ev->dir = ISM_DIR_UNKNOWN;
	}
	/* dma_map_sg_err prints its phys_addrs under the label dma_addrs (sic) */
	na = parse_array((fe == FT_MAP_SG_ERR ? TK(t, "dma_addrs") : TK(t, "phys_addrs")),
			 &arr->a, &arr->ca);
	if (na < 0) {
		x->rc = (int)na;
		BAD("phys_addrs");
	}
	if ((x->rc = (parse_attrs(t, &ev->attrs))) != 0)
		BAD("attrs");
	if (fe == FT_MAP_SG_ERR) {
		if ((x->rc = (parse_s64(TK(t, "err"), &ev->err))) != 0)
			BAD("err");
	}
	if (fe == FT_ALLOC_SGT || fe == FT_FREE_SGT) {
		ev->flags |= ISM_EF_SGT;
		if ((x->rc = (key_u64(t, "dma_addr", 16, &ev->addr))) != 0)
			BAD("dma_addr");
		if ((x->rc = (key_u64(t, "size", 10, &ev->size))) != 0)
			BAD("size");
	}
	ev->nents = (uint32_t)na;
	sg = reader_sg_reserve(r, (size_t)na);
	for (long i = 0; i < na; i++) {
		sg[i].phys = arr->a[i];
		sg[i].dma = 0;
		sg[i].len = 0;
		sg[i].flags = ISM_SGE_PHYS;
	}
	ev->sg = sg;
	ev->nsg = (uint32_t)na;
	return 1;
}

/* dma_alloc, dma_alloc_pages, dma_alloc_sgt_err, dma_free, dma_free_pages */
static int pe_alloc(struct ft_parse *x)
{
	struct reader *r = x->r;
	int fe = x->fe;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;

	ev->kind = (fe == FT_FREE || fe == FT_FREE_PAGES) ? ISM_EV_FREE :
		   fe == FT_ALLOC_SGT_ERR ? ISM_EV_ALLOC_ERR : ISM_EV_ALLOC;
	if (fe == FT_ALLOC_PAGES || fe == FT_FREE_PAGES)
		ev->flags |= ISM_EF_PAGES;
	if ((x->rc = (payload_dev(r, payload, ev))) != 0)
		BAD("device");
	if (parse_dir(t, &ev->dir))
		ev->dir = ISM_DIR_UNKNOWN; /* no dir before 6.13 / 6.12.48 */
	if ((x->rc = (key_u64(t, "dma_addr", 16, &ev->addr))) != 0)
		BAD("dma_addr");
	if ((x->rc = (key_u64(t, "size", 10, &ev->size))) != 0)
		BAD("size");
	/* virt_addr is %p: hashed unless no_hash_pointers; keep what is printed */
	if (TK(t, "virt_addr") &&
	    key_u64(t, "virt_addr", 16, &ev->paddr))
		ev->paddr = 0;
	if ((x->rc = (parse_attrs(t, &ev->attrs))) != 0)
		BAD("attrs");
	return 1;
}

/* dma_sync_single_for_cpu / _for_device */
static int pe_sync(struct ft_parse *x)
{
	struct reader *r = x->r;
	int fe = x->fe;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;

	ev->kind = fe == FT_SYNC_CPU ? ISM_EV_SYNC_CPU : ISM_EV_SYNC_DEV;
	if ((x->rc = (payload_dev(r, payload, ev))) != 0)
		BAD("device");
	if ((x->rc = (parse_dir(t, &ev->dir))) != 0)
		BAD("dir");
	if ((x->rc = (key_u64(t, "dma_addr", 16, &ev->addr))) != 0)
		BAD("dma_addr");
	if ((x->rc = (key_u64(t, "size", 10, &ev->size))) != 0)
		BAD("size");
	return 1;
}

/* dma_sync_sg_for_cpu / _for_device: the output list */
static int pe_sync_sg(struct ft_parse *x)
{
	struct reader *r = x->r;
	struct ft_priv *arr = x->arr;
	int fe = x->fe;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	long nb, nc;
	struct ism_sge *sg;

	ev->kind = fe == FT_SYNC_SG_CPU ? ISM_EV_SYNC_SG_CPU : ISM_EV_SYNC_SG_DEV;
	if ((x->rc = (payload_dev(r, payload, ev))) != 0)
		BAD("device");
	if ((x->rc = (parse_dir(t, &ev->dir))) != 0)
		BAD("dir");
	nb = parse_array(TK(t, "dma_addrs"), &arr->b, &arr->cb);
	nc = parse_array(TK(t, "sizes"), &arr->c, &arr->cc);
	if (nb < 0) {
		x->rc = (int)nb;
		BAD("dma_addrs");
	}
	if ((x->rc = (nc < 0 ? (int)nc : nc != nb ? NUM_BAD : sizes_u32(arr->c, nc))) != 0)
		BAD("sizes");
	sg = reader_sg_reserve(r, (size_t)nb);
	for (long i = 0; i < nb; i++) {
		sg[i].phys = 0;
		sg[i].dma = arr->b[i];
		sg[i].len = (uint32_t)arr->c[i];
		sg[i].flags = ISM_SGE_DMA;
		ev->size += (uint32_t)arr->c[i];
	}
	ev->nents = ev->ents = (uint32_t)nb;
	ev->sg = sg;
	ev->nsg = (uint32_t)nb;
	return 1;
}

/* swiotlb_bounced */
static int pe_bounce(struct ft_parse *x)
{
	struct reader *r = x->r;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	const char *p = payload;
	const char *last;

	ev->kind = ISM_EV_BOUNCE;
	ev->dir = ISM_DIR_UNKNOWN;
	if (strncmp(p, "dev_name: ", 10) == 0)
		p += 10;
	if ((x->rc = (payload_dev(r, p, ev))) != 0)
		BAD("dev_name");
	if ((x->rc = (key_u64(t, "dma_mask", 16, &ev->dma_mask))) != 0)
		BAD("dma_mask");
	if ((x->rc = (key_u64(t, "dev_addr", 16, &ev->addr))) != 0)
		BAD("dev_addr");
	if ((x->rc = (key_u64(t, "size", 10, &ev->size))) != 0)
		BAD("size");
	/* the last word of the payload (of @p: dev_name: has no space after it) */
	last = t->last_sp && t->last_sp >= p ? t->last_sp : NULL;
	if (last && strcmp(last + 1, "FORCE") == 0)
		ev->flags |= ISM_EF_FORCE;
	return 1;
}

/* iommu map / unmap (0: another event of that name) */
static int pe_iommu(struct ft_parse *x)
{
	int fe = x->fe;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	const char *p = payload;

	if (strncmp(p, "IOMMU: ", 7) != 0)
		return 0; /* some other event called map/unmap */
	ev->kind = fe == FT_IOMMU_MAP ? ISM_EV_IOMMU_MAP : ISM_EV_IOMMU_UNMAP;
	ev->dir = ISM_DIR_UNKNOWN;
	p += 7;
	if ((x->rc = (strncmp(p, "iova=0x", 7) || parse_u64(p + 7, 16, &ev->addr))) != 0)
		BAD("iova");
	if ((x->rc = (key_u64(t, "size", 10, &ev->size))) != 0)
		BAD("size");
	if (fe == FT_IOMMU_MAP) {
		const char *pa = TK(t, "paddr");

		if ((x->rc = (!pa || strncmp(pa, "0x", 2) || parse_u64(pa + 2, 16, &ev->paddr))) != 0)
			BAD("paddr");
	} else if (key_u64(t, "unmapped_size", 10, &ev->arg)) {
		BAD("unmapped_size");
	}
	return 1;
}

/* an IOTLB invalidation (VT-d, SMMUv3 kprobe), with its range when it has one */
static int pe_inval(struct ft_parse *x)
{
	int fe = x->fe;
	const char *payload = x->payload;
	const struct ft_tok *t = x->t;
	struct ism_event *ev = x->ev;
	/*
	 * The range when the event gives one: VT-d "[0xSTART-0xLAST]", the SMMUv3 kprobe
	 * "start=0x.. end=0x.." (the gather, end inclusive); else 0 (not given).
	 */
	const char *b = strstr(payload, "[0x"), *st = TK(t, "start"), *en = TK(t, "end");
	uint64_t lo = 0, hi = 0;
	int have = 0;

	ev->kind = ISM_EV_IOTLB_INV;
	ev->dir = ISM_DIR_UNKNOWN;
	ev->arg = fe == FT_INV_ALL ? ISM_INV_ALL : fe == FT_INV_MAP ? ISM_INV_MAP : ISM_INV_RANGE;
	if (b) {
		int o1, o2;
		const char *e1 = scan_hex(b + 1, &lo, &o1), *e2;

		if (!o1 && *e1 == '-' && is_xdig(e1[1])) {
			e2 = scan_hex(e1 + 1, &hi, &o2);
			have = !o2 && *e2 == ']';
		}
	} else if (st && en && !strncmp(st, "0x", 2) && !strncmp(en, "0x", 2)) {
		have = !parse_u64(st + 2, 16, &lo) && !parse_u64(en + 2, 16, &hi);
	}
	if (have && hi >= lo && hi - lo < UINT64_MAX) {
		ev->addr = lo;
		ev->size = hi - lo + 1;
	}
	return 1;
}

/* a trace_marker write (tracing_mark_write, or print: in trace-cmd report) */
static int pe_marker(struct ft_parse *x)
{
	struct reader *r = x->r;
	int fe = x->fe;
	const char *payload = x->payload;
	struct ism_event *ev = x->ev;
	const char *m = payload;
	size_t n;
	char *txt;

	if (fe == FT_PRINT) {
		/* trace-cmd report: "print: tracing_mark_write: TEXT" or "ADDR: TEXT" */
		const char *c = strstr(m, ": ");

		if (c && (strncmp(m, "tracing_mark_write", 18) == 0 ||
			  strncmp(m, "0x", 2) == 0))
			m = c + 2;
	}
	n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
		n--;
	ev->kind = ISM_EV_MARKER;
	ev->dir = ISM_DIR_UNKNOWN;
	txt = reader_text_reserve(r, n);
	memcpy(txt, m, n);
	txt[n] = '\0';
	ev->text = txt;
	ev->text_len = (uint32_t)n;
	return 1;
}

/* One event of the tracepoints we know (@fe): 1, 0 when it is not one, or -ISM_E* (reported). */
static int parse_event(struct reader *r, int fe, const char *payload, const struct ft_tok *t,
		       struct ism_event *ev)
{
	struct ft_parse x = { r, r->priv, fe, payload, t, ev, NULL, 0 };
	int ret;

	switch (fe) {
	case FT_MAP_PAGE: case FT_MAP_PHYS: case FT_MAP_RESOURCE:
	case FT_UNMAP_PAGE: case FT_UNMAP_PHYS: case FT_UNMAP_RESOURCE:
		ret = pe_single(&x);
		break;
	case FT_MAP_SG:
		ret = pe_map_sg(&x);
		break;
	case FT_UNMAP_SG: case FT_MAP_SG_ERR: case FT_ALLOC_SGT: case FT_FREE_SGT:
		ret = pe_sg_list(&x);
		break;
	case FT_ALLOC: case FT_ALLOC_PAGES: case FT_ALLOC_SGT_ERR:
	case FT_FREE: case FT_FREE_PAGES:
		ret = pe_alloc(&x);
		break;
	case FT_SYNC_CPU: case FT_SYNC_DEV:
		ret = pe_sync(&x);
		break;
	case FT_SYNC_SG_CPU: case FT_SYNC_SG_DEV:
		ret = pe_sync_sg(&x);
		break;
	case FT_BOUNCE:
		ret = pe_bounce(&x);
		break;
	case FT_HCALL_ENTRY: case FT_HCALL_EXIT:
		ret = pe_hcall(&x);
		break;
	case FT_IOMMU_MAP: case FT_IOMMU_UNMAP:
		ret = pe_iommu(&x);
		break;
	case FT_INV_RANGE: case FT_INV_ALL: case FT_INV_MAP:
		ret = pe_inval(&x);
		break;
	case FT_MARK: case FT_PRINT:
		ret = pe_marker(&x);
		break;
	default:
		return 0;
	}
	if (ret >= 0)
		return ret;
	if (r->err)
		return r->errcode;
	if (x.rc == NUM_RANGE) {
		const char *val = tok_key(t, x.bad, strlen(x.bad));
		size_t n = val ? strcspn(val, " ") : 0;

		return reader_fail(r, -ISM_ERANGE, "line %llu: %s: %s=%.*s%s out of range (does not "
				   "fit the event's field)", (unsigned long long)in_lineno(r->in),
				   ism_kind_name(ev->kind), x.bad, n > 40 ? 40 : (int)n, val ? val : "",
				   n > 40 ? "..." : "");
	}
	return reader_fail(r, -ISM_ECORRUPT, "line %llu: malformed %s event: bad or missing '%s'",
			   (unsigned long long)in_lineno(r->in), ism_kind_name(ev->kind), x.bad);
}
#undef BAD

/*
 * Queue a loss; losses of the same CPU and kind merge, and a full queue merges into its last.
 * Returns 1, or NUM_RANGE when the merged count would not fit in 64 bits (never clamped).
 */
static int queue_lost(struct ft_priv *p, unsigned cpu, uint64_t count, unsigned flags)
{
	struct ft_lost *l = NULL;

	for (unsigned i = p->lost_out; i < p->nlost && !l; i++)
		if (p->lost[i].cpu == cpu && p->lost[i].flags == flags)
			l = &p->lost[i];
	if (!l && p->nlost == ISM_ARRAY_SIZE(p->lost))
		l = &p->lost[p->nlost - 1];
	if (l) {
		if (count > UINT64_MAX - l->count)
			return NUM_RANGE;
		l->count += count;
		return 1;
	}
	p->lost[p->nlost].cpu = cpu;
	p->lost[p->nlost].count = count;
	p->lost[p->nlost].flags = flags;
	p->nlost++;
	return 1;
}

/* A lost-events count in a loss line: NUM_RANGE when it does not fit in 64 bits. */
static int lost_count(const char *s, uint64_t *n)
{
	errno = 0;
	*n = strtoull(s, NULL, 10);
	return errno == ERANGE ? NUM_RANGE : 0;
}

/*
 * Lines that report lost events:
 *   "CPU:1 [LOST 12 EVENTS]" (kernel), "CPU:1 [12 EVENTS DROPPED]" / "[EVENTS DROPPED]"
 *   (trace-cmd);
 *   "##### CPU 1 buffer started ####" (`cat trace`: the ring buffer of CPU 1 overwrote its
 *   oldest events, so its events start later than the others': a loss of unknown size);
 *   "# entries-in-buffer/entries-written: 900/1000" (the header: 100 events were written but
 *   are no longer in the buffer, on CPUs the header does not say).
 * Returns 1, 0 when the line is not a loss report, NUM_RANGE when a count does not fit.
 */
static int parse_lost(const char *line, struct ft_priv *p)
{
	char *end;
	unsigned long cpu;
	const char *b;
	uint64_t n;

	if (line[0] != '#' && line[0] != 'C')
		return 0;
	if (strncmp(line, "#####", 5) == 0) {
		b = skip_sp(line + 5);
		if (strncmp(b, "CPU ", 4) != 0)
			return 0;
		cpu = strtoul(b + 4, &end, 10);
		if (end == b + 4 || cpu > 65535 || strncmp(skip_sp(end), "buffer started", 14))
			return 0;
		return queue_lost(p, (unsigned)cpu, 0, 0);
	}
	if (strncmp(line, "# entries-in-buffer/entries-written:", 36) == 0) {
		unsigned long long in, written;

		if (sscanf(line + 36, " %llu/%llu", &in, &written) == 2 && written > in)
			return queue_lost(p, 0, written - in, ISM_EF_LOST_ANYCPU);
		return 1;
	}
	if (strncmp(line, "CPU:", 4) != 0)
		return 0;
	cpu = strtoul(line + 4, &end, 10);
	if (end == line + 4 || cpu > 65535)
		return 0;
	b = skip_sp(end);
	if (strncmp(b, "[LOST ", 6) == 0) {
		if (lost_count(b + 6, &n) < 0)
			return NUM_RANGE;
		return queue_lost(p, (unsigned)cpu, n, 0);
	} else if (strncmp(b, "[EVENTS DROPPED]", 16) == 0) {
		/* no count: reported as a loss of unknown size */
		return queue_lost(p, (unsigned)cpu, 0, 0);
	} else if (*b == '[' && is_dig(b[1]) && strstr(b, "EVENTS DROPPED]")) {
		if (lost_count(b + 1, &n) < 0)
			return NUM_RANGE;
		return queue_lost(p, (unsigned)cpu, n, 0);
	}
	return 0;
}

/* The next queued loss as an event at @ts; 0 when the queue is empty (then reset). */
static int next_lost(struct ft_priv *p, uint64_t ts, struct ism_event *ev)
{
	const struct ft_lost *l;

	if (p->lost_out >= p->nlost) {
		p->nlost = p->lost_out = 0;
		return 0;
	}
	l = &p->lost[p->lost_out++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = ISM_EV_LOST;
	ev->ts_ns = ts;
	ev->cpu = (uint16_t)l->cpu;
	ev->dir = ISM_DIR_UNKNOWN;
	ev->count = l->count;
	ev->flags = (uint16_t)l->flags;
	if (!l->count)
		ev->flags |= ISM_EF_LOST_UNKNOWN;
	return 1;
}

/* Lines that are part of ftrace/trace-cmd output but carry no event. */
static int is_noise(const char *line)
{
	return line[0] == '#' || line[0] == '\0' || strncmp(line, "version = ", 10) == 0 ||
	       strncmp(line, "cpus=", 5) == 0 || strncmp(line, "CPU ", 4) == 0 ||
	       strncmp(line, "trace-cmd: ", 11) == 0;
}

static int ftrace_next(struct reader *r, struct ism_event *ev)
{
	struct ft_priv *p = r->priv;
	const char *line;
	long len;

	if (p->have_held) {
		/* losses queued before the held event come first, at its timestamp */
		if (next_lost(p, p->held.ts_ns, ev))
			return 1;
		*ev = p->held;
		p->have_held = 0;
		return 1;
	}
	for (;;) {
		unsigned cpu, ctx;
		uint64_t ts;
		uint32_t pid;
		const char *name, *payload;
		struct ft_tok tok;
		size_t nl;
		int fe, ret;

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
			/* losses reported after the last event: emitted at the end */
			return next_lost(p, 0, ev);
		}
		if (memchr(line, '\0', (size_t)len))
			return reader_fail(r, -ISM_ECORRUPT, "line %llu: binary data (NUL byte) in a text trace",
					   (unsigned long long)in_lineno(r->in));
		{
			const char *l = skip_sp(line);
			int nl_lost = parse_lost(l, p);

			if (nl_lost < 0)
				return reader_fail(r, -ISM_ERANGE,
						   "line %llu: lost-events count out of range",
						   (unsigned long long)in_lineno(r->in));
			if (nl_lost)
				continue;
			ctx = 0;
			if (p->perf ? !perf_split_line(line, &cpu, &ts, &name, &nl, &payload, &pid) :
				      !split_line(line, &cpu, &ts, &name, &nl, &payload, &pid, &ctx)) {
				if (is_noise(l))
					continue;
				return reader_fail(r, -ISM_ECORRUPT,
						   "line %llu: not %s event line: \"%.60s%s\"",
						   (unsigned long long)in_lineno(r->in),
						   p->perf ? "a perf script" : "an ftrace", l,
						   strlen(l) > 60 ? "..." : "");
			}
		}
		fe = ft_lookup(name, nl);
		if (fe >= 0)
			ft_tokenise(&tok, payload);
		if ((fe == FT_MAP_SG || fe == FT_UNMAP_SG) &&
		    strncmp(payload, "[FAILED TO PARSE]", 17) == 0) {
			/* the raw fields are there: read them */
			char *pk = raw_sg_printk(p, fe, payload + 17);

			if (pk) {
				struct ft_tok pt;

				ft_tokenise(&pt, pk);
				memset(ev, 0, sizeof(*ev));
				ev->ts_ns = ts;
				ev->cpu = (uint16_t)cpu;
				ev->pid = pid;
				ev->flags = (uint16_t)ctx;
				ret = parse_event(r, fe, pk, &pt, ev);
				free(pk);
				if (ret < 0)
					return ret;
				if (ret > 0 && p->nlost == p->lost_out)
					return 1;
				if (ret > 0) {
					p->held = *ev;
					p->have_held = 1;
					return next_lost(p, ts, ev);
				}
			}
		}
		if (fe < 0 || tok.failed) {
			if (fe >= 0) {
				char *n2 = xasprintf("%.*s (FAILED TO PARSE)", (int)nl, name);

				reader_count_unknown(r, n2, strlen(n2));
				free(n2);
			} else {
				reader_count_unknown(r, name, nl);
			}
			if (next_lost(p, ts, ev))
				return 1; /* the rest of the queue goes with the next event */
			continue;
		}
		memset(ev, 0, sizeof(*ev));
		ev->ts_ns = ts;
		ev->cpu = (uint16_t)cpu;
		ev->pid = pid;
		ev->flags = (uint16_t)ctx;
		ret = parse_event(r, fe, payload, &tok, ev);
		if (ret < 0)
			return ret;
		if (ret == 0)
			reader_count_unknown(r, name, nl);
		if (p->nlost > p->lost_out) {
			/* report the losses with the timestamp of the next event, as trace.dat does */
			if (ret > 0) {
				p->held = *ev;
				p->have_held = 1;
			}
			return next_lost(p, ts, ev);
		}
		if (ret == 0)
			continue;
		return 1;
	}
}

static void ftrace_close(struct reader *r)
{
	struct ft_priv *p = r->priv;

	if (p) {
		free(p->a);
		free(p->b);
		free(p->c);
	}
	free(p);
	r->priv = NULL;
}

static uint64_t ftrace_position(struct reader *r)
{
	return in_lineno(r->in);
}

const struct reader_ops reader_perf_ops = {
	.name = "perf",
	.summary = "`perf script` text of the dma, swiotlb, iommu and powerpc tracepoints",
	.probe = perf_probe,
	.open = perf_open,
	.next = ftrace_next,
	.close = ftrace_close,
	.pos_unit = "line",
	.position = ftrace_position,
};

const struct reader_ops reader_ftrace_ops = {
	.name = "ftrace",
	.summary = "ftrace text: `cat trace` (with or without irq-info) and `trace-cmd report`",
	.probe = ftrace_probe,
	.open = ftrace_open,
	.next = ftrace_next,
	.close = ftrace_close,
	.pos_unit = "line",
	.position = ftrace_position,
};

/* ---- the payload parser, for readers that rebuild payloads (reader-ftrace.h) ------- */

void *ftrace_priv_new(int big_endian)
{
	struct ft_priv *p = xcalloc(1, sizeof(*p));

	p->big_endian = big_endian;
	return p;
}

void **ftrace_priv_ext(void *priv)
{
	return &((struct ft_priv *)priv)->ext;
}

void ftrace_priv_free(void *priv)
{
	struct ft_priv *p = priv;

	if (!p)
		return;
	free(p->a);
	free(p->b);
	free(p->c);
	free(p);
}

int ftrace_payload(struct reader *r, const char *name, const char *payload, struct ism_event *ev)
{
	struct ft_priv *p = r->priv;
	int fe = ft_lookup(name, strlen(name)), ret;
	struct ft_tok tok;
	char *pk = NULL;

	if (fe < 0)
		return 0;
	if ((fe == FT_MAP_SG || fe == FT_UNMAP_SG) && strncmp(payload, "device=", 7) == 0) {
		pk = raw_sg_printk(p, fe, payload);
		if (!pk)
			return reader_fail(r, -ISM_ECORRUPT, "%s: malformed raw fields", name);
		payload = pk;
	}
	ft_tokenise(&tok, payload);
	ret = parse_event(r, fe, payload, &tok, ev);
	free(pk);
	return ret;
}
