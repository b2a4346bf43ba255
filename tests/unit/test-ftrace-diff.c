/*
 * test-ftrace-diff.c: the ftrace and perf script text reader against the parser it replaced
 * (tests/unit/ftrace-ref.c, kept unchanged). Both read every shipped text trace
 * (every traces/.../NAME.txt.xz, tests/data/perf/NAME.perf-script.txt.*,
 * tests/data/bad/NAME.txt) and
 * thousands of mutated copies of their lines; every event (all fields, device names, sg
 * entries, text), the counts of skipped events, the end (return code and error message) and
 * the probe scores must be identical. The payload parser that the perf JSON reader borrows
 * (ftrace_payload()) is compared on the same mutated payloads.
 *
 * The mutations are deterministic (a fixed xorshift seed): byte changes, deletions, inserted
 * separators, keys, huge numbers and marks, swapped and repeated words, cut lines.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdint.h>

#include "error.h"
#include "ftrace-ref.h"
#include "reader.h"
#include "reader-ftrace.h"
#include "helpers.h"

/* ---- a digest of everything a reader yields --------------------------------------------- */

static void put_event(FILE *f, const struct reader *r, const struct ism_event *ev)
{
	fprintf(f, "ts=%llu addr=%llx paddr=%llx size=%llx arg=%llx attrs=%x nents=%u ents=%u "
		"cpu=%u dev=%s kind=%u dir=%u flags=%x nsg=%u pid=%u",
		(unsigned long long)ev->ts_ns, (unsigned long long)ev->addr,
		(unsigned long long)ev->paddr, (unsigned long long)ev->size,
		(unsigned long long)ev->arg, ev->attrs, ev->nents, ev->ents, ev->cpu,
		ism_kind_has_sg(ev->kind) || ev->kind == ISM_EV_MAP || ev->kind == ISM_EV_UNMAP ||
				ev->dev ? reader_dev_name(r, ev->dev) : "-",
		ev->kind, ev->dir, ev->flags, ev->nsg, ev->pid);
	for (uint32_t i = 0; i < ev->nsg; i++)
		fprintf(f, " [%llx %llx %x %x]", (unsigned long long)ev->sg[i].phys,
			(unsigned long long)ev->sg[i].dma, ev->sg[i].len, ev->sg[i].flags);
	if (ev->kind == ISM_EV_MARKER)
		fprintf(f, " text(%u)=%.*s", ev->text_len, (int)ev->text_len, ev->text);
	fputc('\n', f);
}

/*
 * The IOTLB invalidation events the current reader yields (iotlb_inv) and the reference one
 * skipped and counted by name: digested as one count on both sides.
 */
static int inv_name(const char *n)
{
	static const char *const names[] = { "cache_tag_flush_range", "cache_tag_flush_all",
					     "cache_tag_flush_range_np", "iotlb_sync",
					     "flush_iotlb_all", NULL };

	for (unsigned i = 0; names[i]; i++) {
		size_t l = strlen(names[i]);

		if (!strncmp(n, names[i], l) && (!n[l] || !strcmp(n + l, " (FAILED TO PARSE)")))
			return 1;
	}
	return 0;
}

static char *drain(struct reader *r)
{
	struct ism_event ev;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	unsigned long long inv = 0;
	int ret;

	cr_assert(f);
	while ((ret = reader_next(r, &ev)) > 0) {
		if (ev.kind == ISM_EV_IOTLB_INV) {
			inv++;
			continue;
		}
		put_event(f, r, &ev);
	}
	for (unsigned i = 1; i <= r->unknown.n; i++)
		if (inv_name(devtab_name(&r->unknown, i)))
			inv += r->unknown_count[i];
	/* nothing modelled but invalidations: yielded by one reader, counted by the other */
	if (ret < 0 && inv && strstr(reader_error(r), "no event iommusim models"))
		ret = 0;
	fprintf(f, "end %d %s\n", ret, ret < 0 ? reader_error(r) : "");
	fprintf(f, "iotlb_inv %llu\n", inv);
	for (unsigned i = 1; i <= r->unknown.n; i++)
		if (!inv_name(devtab_name(&r->unknown, i)))
			fprintf(f, "unknown %s %llu\n", devtab_name(&r->unknown, i),
				(unsigned long long)r->unknown_count[i]);
	fclose(f);
	return out;
}

/* The digest of @path read by the current reader (@ref 0) or the reference one (@ref 1). */
static char *read_with(const char *path, int ref)
{
	struct reader *r;
	char *cause = NULL, *out;
	int ret = reader_open(path, NULL, &r, &cause);

	if (ret < 0) {
		out = xasprintf("open %d %s\n", ret, cause);
		free(cause);
		return out;
	}
	if (ref && (r->ops == &reader_ftrace_ops || r->ops == &reader_perf_ops)) {
		const struct reader_ops *o = r->ops == &reader_ftrace_ops ? &ref_reader_ftrace_ops :
									    &ref_reader_perf_ops;

		r->ops->close(r);
		r->ops = o;
		cr_assert_eq(o->open(r), 0);
	}
	out = xasprintf("%s\n", r->ops->name);
	{
		char *d = drain(r), *both = xasprintf("%s%s", out, d);

		free(d);
		free(out);
		out = both;
	}
	reader_close(r);
	return out;
}

static unsigned ncompared;

/* Compare the two readers on @path; returns the current reader's digest (malloc'd). */
static char *compare_file(const char *path, const char *what)
{
	char *a = read_with(path, 0), *b = read_with(path, 1);

	if (strcmp(a, b) != 0) {
		/* the first differing line, for the log */
		size_t i = 0, ls = 0;

		while (a[i] && a[i] == b[i]) {
			if (a[i] == '\n')
				ls = i + 1;
			i++;
		}
		cr_assert_fail("%s: readers differ:\n new: %.300s\n old: %.300s", what, a + ls,
			       b + ls);
	}
	ncompared++;
	free(b);
	return a;
}

/* ---- the shipped traces ---------------------------------------------------------------- */

static char **files;
static unsigned nfiles;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path);
	const char *base = path + ftw->base;

	(void)st;
	if (type != FTW_F)
		return 0;
	if ((n > 7 && strcmp(path + n - 7, ".txt.xz") == 0) ||
	    (strstr(path, "/tests/data/perf/") && strstr(base, ".perf-script.txt")) ||
	    (strstr(path, "/tests/data/bad/") && n > 4 && strcmp(path + n - 4, ".txt") == 0)) {
		files = xreallocarray(files, nfiles + 1, sizeof(*files));
		files[nfiles++] = xstrdup(path);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_files(void)
{
	const char *src = getenv("ISM_SRCDIR");
	char *p;

	if (nfiles)
		return;
	src = src && *src ? src : ".";
	p = xasprintf("%s/traces", src);
	nftw(p, collect, 16, FTW_PHYS);
	free(p);
	p = xasprintf("%s/tests/data", src);
	nftw(p, collect, 16, FTW_PHYS);
	free(p);
	qsort(files, nfiles, sizeof(*files), cmp_str);
}

Test(ftrace_diff, shipped_traces, .timeout = 300)
{
	unsigned ntxt = 0;

	find_files();
	for (unsigned i = 0; i < nfiles; i++) {
		free(compare_file(files[i], files[i]));
		ntxt += strstr(files[i], "/traces/") != NULL;
	}
	cr_assert_geq(ntxt, 40, "only %u shipped text traces found under $ISM_SRCDIR/traces", ntxt);
}

/* ---- mutated lines ---------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

struct line {
	char *s;
	int perf;
};

static struct line *lines;
static unsigned nlines;

/* Up to @per lines of each event name of @path (perf script text when @perf). */
static void sample_lines(const char *path, int perf, unsigned per)
{
	struct ism_in *in;
	char *cause = NULL;
	const char *l;
	long len;
	char names[64][40];
	unsigned counts[64], nn = 0;

	cr_assert_eq(in_open(path, &in, &cause), 0, "%s", cause ? cause : "");
	while ((len = in_getline(in, &l)) >= 0) {
		const char *c = strstr(l, "]");
		const char *nm, *e;
		unsigned i;

		if (!c || len > 4000)
			continue;
		/* the event name: the word before the second ": " after the CPU column */
		nm = strstr(c, ": ");
		if (!nm)
			continue;
		nm += 2;
		e = strstr(nm, ": ");
		if (!e || e - nm >= 40)
			continue;
		for (i = 0; i < nn; i++)
			if (strlen(names[i]) == (size_t)(e - nm) && memcmp(names[i], nm, (size_t)(e - nm)) == 0)
				break;
		if (i == nn) {
			if (nn == 64)
				continue;
			memcpy(names[nn], nm, (size_t)(e - nm));
			names[nn][e - nm] = '\0';
			counts[nn++] = 0;
		}
		if (counts[i]++ >= per)
			continue;
		lines = xreallocarray(lines, nlines + 1, sizeof(*lines));
		lines[nlines].s = xasprintf("%.*s", (int)len, l);
		lines[nlines].perf = perf;
		nlines++;
	}
	in_close(in);
}

static const char *const inserts[] = {
	" ", "=", "  ", "0x", "{", "}", ",", "|", "/", "[", "]", ":", "-", "\t", "g",
	"[TRUNCATED]", " [TRUNCATED]", "[FAILED TO PARSE]", " [FAILED TO PARSE] ", "dir=", " dir=NONE",
	" size=", "size=7 ", " attrs=", "attrs=0x", "|MMIO", "0x0x", "99999999999999999999",
	"18446744073709551615", "18446744073709551616", "ffffffffffffffff", "10000000000000000",
	" nents=", "/", " ents=1/", " phys_addrs={0x1}", "dma_addrs={", "sizes={0x100000000}",
	"ARRAY[", "ARRAY[00, 10]", " dev_name: ", "IOMMU: ", " FORCE", " retval=-", "-4",
	" opcode=", " err=-12", " virt_addr=", " dma_addr=", "=x", " unmapped_size=1",
	"[LOST 3 EVENTS]", "CPU:1 ", "#####", " dma_mask=ffffffff", " paddr=0x",
};

static char *mutate(const char *base)
{
	size_t n = strlen(base), cap = n * 2 + 256;
	char *s = xmalloc(cap);
	unsigned k = 1 + pick(3);

	memcpy(s, base, n + 1);
	for (unsigned m = 0; m < k; m++) {
		size_t at = n ? pick((unsigned)n + 1) : 0;

		switch (pick(7)) {
		case 0: /* change one byte */
			if (at < n) {
				static const char alpha[] = " =x0123456789abcdefABCDEF{},[]|/:-_.g";

				s[at] = alpha[pick(sizeof(alpha) - 1)];
			}
			break;
		case 1: { /* delete a few bytes */
			size_t d = 1 + pick(6);

			if (at + d > n)
				d = n - at;
			memmove(s + at, s + at + d, n - at - d + 1);
			n -= d;
			break;
		}
		case 2: case 3: { /* insert something */
			const char *ins = inserts[pick(ISM_ARRAY_SIZE(inserts))];
			size_t il = strlen(ins);

			if (n + il + 1 > cap)
				break;
			memmove(s + at + il, s + at, n - at + 1);
			memcpy(s + at, ins, il);
			n += il;
			break;
		}
		case 4: /* cut the line */
			s[at] = '\0';
			n = at;
			break;
		case 5: { /* repeat the word at @at (or the one before it) at the end */
			size_t b = at, e;

			while (b > 0 && s[b - 1] != ' ')
				b--;
			e = b;
			while (e < n && s[e] != ' ')
				e++;
			if (e > b && n + (e - b) + 2 < cap) {
				memmove(s + n + 1, s + b, e - b);
				s[n] = ' ';
				n += e - b + 1;
				s[n] = '\0';
			}
			break;
		}
		case 6: { /* swap the word at @at with the next one */
			size_t b = at, e, e2;
			char *tmp;

			while (b > 0 && s[b - 1] != ' ')
				b--;
			for (e = b; e < n && s[e] != ' '; e++)
				;
			if (e >= n)
				break;
			for (e2 = e + 1; e2 < n && s[e2] != ' '; e2++)
				;
			tmp = xasprintf("%.*s %.*s", (int)(e2 - e - 1), s + e + 1, (int)(e - b), s + b);
			memcpy(s + b, tmp, e2 - b);
			free(tmp);
			break;
		}
		}
	}
	return s;
}

static char *payload_path; /* the input of the payload readers (never read) */

/* A fake reader for the borrowed payload parser (what the perf JSON reader hands it). */
static struct reader *payload_reader(int ref)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	char *cause = NULL;

	if (!payload_path)
		payload_path = tmp_text("x\n");
	cr_assert_eq(in_open(payload_path, &r->in, &cause), 0, "%s", cause ? cause : "");
	r->path = "payload";
	devtab_init(&r->devs);
	devtab_init(&r->unknown);
	r->priv = ref ? ref_ftrace_priv_new(0) : ftrace_priv_new(0);
	return r;
}

static void payload_reader_free(struct reader *r, int ref)
{
	if (ref)
		ref_ftrace_priv_free(r->priv);
	else
		ftrace_priv_free(r->priv);
	in_close(r->in);
	devtab_free(&r->devs);
	devtab_free(&r->unknown);
	free(r->unknown_count);
	free(r->sg);
	free(r->text);
	free(r->err);
	free(r);
}

static char *payload_digest(const char *name, const char *payload, int ref)
{
	struct reader *r = payload_reader(ref);
	struct ism_event ev;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int ret;

	memset(&ev, 0, sizeof(ev));
	ret = ref ? ref_ftrace_payload(r, name, payload, &ev) : ftrace_payload(r, name, payload, &ev);
	fprintf(f, "ret %d %s\n", ret, ret < 0 ? reader_error(r) : "");
	if (ret > 0)
		put_event(f, r, &ev);
	fclose(f);
	payload_reader_free(r, ref);
	return out;
}

/* "NAME: PAYLOAD" of a mutated ftrace line: compare the borrowed payload parser too. */
static void compare_payload(const char *line)
{
	const char *c = strchr(line, ']'), *nm, *e;
	char *name, *a, *b;

	if (!c || !(nm = strstr(c, ": ")) || !(e = strstr(nm + 2, ": ")))
		return;
	nm += 2;
	name = xasprintf("%.*s", (int)(e - nm), nm);
	if (inv_name(name)) {
		/* the reference parser does not know the invalidation events */
		free(name);
		return;
	}
	a = payload_digest(name, e + 2, 0);
	b = payload_digest(name, e + 2, 1);
	cr_assert_str_eq(a, b, "payload parsers differ on %s: %s", name, e + 2);
	free(a);
	free(b);
	free(name);
}

/*
 * Lines the shipped traces lack, in the forms the reader takes (loss reports; the kernel's
 * TP_printk of the capped dma_map_sg, dma_map_sg_err, the sgt and sync_sg events, a bounce;
 * trace-cmd report's raw fields when libtraceevent cannot format dma_map_sg).
 */
static const char *const extra_lines[] = {
	"CPU:1 [LOST 12 EVENTS]", "CPU:0 [EVENTS DROPPED]", "CPU:1 [12 EVENTS DROPPED]",
	"##### CPU 1 buffer started ####", "# entries-in-buffer/entries-written: 900/1000   #P:2",
	"  dd-1 [000] 1.000000: dma_map_sg: dev0 dir=FROM_DEVICE nents=2/300 ents=1/250 [TRUNCATED] "
	"dma_addrs={0x10000} sizes={0x1000} phys_addrs={0x1000,0x2000} attrs=",
	"  dd-1 [000] 1.000001: dma_map_sg_err: dev0 dir=TO_DEVICE dma_addrs={0x1000,0x2000} "
	"err=-12 attrs=SKIP_CPU_SYNC",
	"  dd-1 [001] d.h.. 1.000002: dma_alloc_sgt: dev0 dir=BIDIRECTIONAL phys_addrs={0x3000} "
	"dma_addr=80000 size=4096 flags=GFP_KERNEL attrs=",
	"  dd-1 [001] d.s.. 1.000003: dma_sync_sg_for_cpu: dev0 dir=FROM_DEVICE "
	"dma_addrs={0x80000,0x81000} sizes={0x1000,0x800}",
	"  dd-1 [001] 1.000004: swiotlb_bounced: dev_name: 0000:00:01.0 dma_mask=ffffffff "
	"dev_addr=2fb52000 size=4096 FORCE",
	"  dd-1 [000] 1.000005: dma_map_sg: [FAILED TO PARSE] device=0000:00:01.0 full_nents=1 "
	"full_ents=1 truncated=0 phys_addrs=ARRAY[00, 10, 00, 00, 00, 00, 00, 00] "
	"dma_addrs=ARRAY[00, 00, 01, 00, 00, 00, 00, 00] lengths=ARRAY[00, 10, 00, 00] dir=1 "
	"attrs=0x100",
	"  dd-1 [000] 1.000006: dma_unmap_sg: [FAILED TO PARSE] device=0000:00:01.0 "
	"addrs=ARRAY[00, 10, 00, 00, 00, 00, 00, 00] dir=1 attrs=0x0",
	"  bash-42 [001] 2.5: hcall_exit: opcode=312 retval=-4",
	"  bash-42 [001] d..2. 3.000000001: print: tracing_mark_write: iommusim phase=net",
	"  kworker-7 [000] 4.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 "
	"paddr=0x0000000002000000 size=4096",
	"  kworker-7 [000] 4.1: unmap: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 "
	"size=4096 unmapped_size=4096",
};

Test(ftrace_diff, mutated_lines, .timeout = 300)
{
	unsigned nmut = 0, nev = 0, nerr = 0;

	find_files();
	for (unsigned i = 0; i < nfiles; i++)
		if (strstr(files[i], "/traces/") || strstr(files[i], "perf-script"))
			sample_lines(files[i], strstr(files[i], "perf-script") != NULL, 6);
	cr_assert_geq(nlines, 50, "only %u sample lines", nlines);
	/* the extra lines weigh as much as a file's sample each */
	for (unsigned k = 0; k < 20; k++)
		for (unsigned i = 0; i < ISM_ARRAY_SIZE(extra_lines); i++) {
			lines = xreallocarray(lines, nlines + 1, sizeof(*lines));
			lines[nlines].s = xstrdup(extra_lines[i]);
			lines[nlines++].perf = 0;
		}
	for (unsigned m = 0; m < 6000; m++) {
		const struct line *bl = &lines[pick(nlines)];
		const struct line *next = &lines[pick(nlines)];
		char *mut = mutate(bl->s), *text, *path, *what, *d;
		size_t len;

		/* the mutated line between a valid one before and after it, in a file of its kind */
		if (bl->perf)
			text = xasprintf("%s\n%s\n%s\n", lines[pick(nlines)].s, mut,
					 next->perf ? next->s : bl->s);
		else
			text = xasprintf("# tracer: nop\n%s\n%s\n", mut, next->perf ? bl->s : next->s);
		len = strlen(text);
		cr_assert_eq(reader_ftrace_ops.probe((const unsigned char *)text, len),
			     ref_reader_ftrace_ops.probe((const unsigned char *)text, len), "probe: %s", mut);
		cr_assert_eq(reader_perf_ops.probe((const unsigned char *)text, len),
			     ref_reader_perf_ops.probe((const unsigned char *)text, len), "probe: %s", mut);
		path = tmp_file(text, len);
		what = xasprintf("mutation %u of \"%.200s\": \"%.200s\"", m, bl->s, mut);
		d = compare_file(path, what);
		nev += strstr(d, "\nts=") != NULL;
		nerr += strstr(d, "\nend -") != NULL;
		free(d);
		if (!bl->perf)
			compare_payload(mut);
		unlink(path);
		free(path);
		free(what);
		free(text);
		free(mut);
		nmut++;
	}
	if (payload_path) {
		unlink(payload_path);
		free(payload_path);
		payload_path = NULL;
	}
	/* the mutations exercise both sides: many still read, many are errors */
	cr_assert_eq(nmut, 6000);
	cr_assert_gt(nev, 1000, "only %u mutated files gave events", nev);
	cr_assert_gt(nerr, 1000, "only %u mutated files were errors", nerr);
	cr_log_info("%u mutated files: %u with events, %u errors", nmut, nev, nerr);
}
