/*
 * test-tracedat.c: the trace.dat reader on the shipped recordings (traces/NAME.dat.xz).
 *
 * Each recording has a .meta written by the capture script from the same ring buffer: the
 * event counts by name, by device and by hcall opcode found here must equal those. Events come
 * in timestamp order, equal what the ftrace text reader makes of the same recording, and
 * damaged copies (truncated at many points, corrupted where libtracecmd or libtraceevent
 * would crash) fail with one clear line naming the file. Deterministic: no randomness but a
 * fixed-seed generator, no recording at test time.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glob.h>
#include <stdint.h>

#include "error.h"
#include "event.h"
#include "input.h"
#include "reader.h"
#include "helpers.h"

/*
 * libtracecmd 1.3.1 leaks a few bytes on some paths (a trace clock parsed twice, an option
 * buffer on a failed open); the allocation stacks end in libc's sscanf or in the library.
 * Those are the library's; ours are still reported. Criterion's runner leaks a little too
 * when it runs tests in parallel.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libtracecmd.so\nleak:libtraceevent.so\nleak:__isoc99_vsscanf\n"
	       "leak:libcriterion.so\n";
}

/* ---- the shipped traces and their .meta ------------------------------------------------ */

#define MAX_NAMES 64
#define MAX_OPS 64

struct count {
	char name[96];            /* "dma_map_page" or "dma_map_page 0000:00:01.0" */
	uint64_t n;
};

struct meta {
	struct count ev[MAX_NAMES];
	unsigned nev;
	uint64_t op[MAX_OPS][2];  /* hcall_entry opcode, count */
	unsigned nop;
	uint64_t total;
	uint64_t dropped;
	bool have_dropped;
	uint64_t exit_nonzero[8][3]; /* opcode, retval, count */
	unsigned nexit;
	char clock[32];
	char release[128];
	int version;
};

static char *trace_path(const char *name)
{
	const char *srcdir = getenv("ISM_SRCDIR");
	char *p;

	if (asprintf(&p, "%s/traces/%s", srcdir && *srcdir ? srcdir : ".", name) < 0)
		abort();
	return p;
}

/* Sorted paths of traces/PATTERN; the shipped set must not be empty. */
static glob_t shipped(const char *pattern)
{
	char *pat = trace_path(pattern);
	glob_t g;

	cr_assert_eq(glob(pat, 0, NULL, &g), 0, "no shipped traces match %s (ISM_SRCDIR=%s)", pat,
		     getenv("ISM_SRCDIR") ? getenv("ISM_SRCDIR") : "unset");
	free(pat);
	return g;
}

/* "x/y/pseries-ddw.dat.xz" -> "x/y/pseries-ddw" + @ext */
static char *sibling(const char *dat, const char *ext)
{
	const char *end = strstr(dat, ".dat.xz");
	char *p;

	cr_assert_not_null(end, "%s", dat);
	if (asprintf(&p, "%.*s%s", (int)(end - dat), dat, ext) < 0)
		abort();
	return p;
}

static void meta_add(struct meta *m, const char *name, uint64_t n)
{
	cr_assert_lt(m->nev, MAX_NAMES, "too many counts in .meta");
	snprintf(m->ev[m->nev].name, sizeof(m->ev[0].name), "%s", name);
	m->ev[m->nev++].n = n;
}

static uint64_t meta_count(const struct meta *m, const char *name)
{
	for (unsigned i = 0; i < m->nev; i++)
		if (strcmp(m->ev[i].name, name) == 0)
			return m->ev[i].n;
	return 0;
}

static void meta_load(const char *dat, struct meta *m)
{
	char *path = sibling(dat, ".meta"), line[4096];
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "cannot open %s", path);
	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f)) {
		char name[96], *colon, *cl;
		unsigned long long a, b, c;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "events total: %llu", &a) == 1) {
			m->total = a;
		} else if (strncmp(line, "events ", 7) == 0 && (colon = strrchr(line, ':')) &&
			   sscanf(colon + 1, "%llu", &a) == 1) {
			snprintf(name, sizeof(name), "%.*s", (int)(colon - line - 7), line + 7);
			meta_add(m, name, a);
		} else if (sscanf(line, "hcall_entry opcode %llu (%*[^)]): %llu", &a, &b) == 2) {
			cr_assert_lt(m->nop, MAX_OPS);
			m->op[m->nop][0] = a;
			m->op[m->nop++][1] = b;
		} else if (sscanf(line, "hcall_exit nonzero opcode=%llu retval=%lld: %llu", &a,
				  (long long *)&b, &c) == 3) {
			cr_assert_lt(m->nexit, 8);
			m->exit_nonzero[m->nexit][0] = a;
			m->exit_nonzero[m->nexit][1] = b;
			m->exit_nonzero[m->nexit++][2] = c;
		} else if (sscanf(line, "ring dropped total: %llu", &a) == 1) {
			m->dropped = a;
			m->have_dropped = true;
		} else if (sscanf(line, "trace clock: %31s", m->clock) == 1) {
			;
		} else if (sscanf(line, "kernel release: %127s", m->release) == 1) {
			;
		} else if ((strncmp(line, "file:", 5) == 0 || strncmp(line, "trace.dat:", 10) == 0) &&
			   (cl = strstr(line, "version "))) {
			m->version = atoi(cl + 8);
		}
		if (!m->clock[0] && strncmp(line, "kernel cmdline:", 15) == 0 &&
		    (cl = strstr(line, "trace_clock=")))
			sscanf(cl + 12, "%31[a-z0-9_-]", m->clock);
	}
	fclose(f);
	free(path);
	cr_assert_gt(m->total, 0, "%s: no 'events total' line", dat);
}

/* Kind of a kernel event name as the .meta spells it; -1 = not modelled. */
static int kind_of(const char *name)
{
	static const struct {
		const char *name;
		int kind;
	} tab[] = {
		{ "dma_map_page", ISM_EV_MAP }, { "dma_map_phys", ISM_EV_MAP },
		{ "dma_map_resource", ISM_EV_MAP }, { "dma_unmap_page", ISM_EV_UNMAP },
		{ "dma_unmap_phys", ISM_EV_UNMAP }, { "dma_unmap_resource", ISM_EV_UNMAP },
		{ "dma_map_sg", ISM_EV_MAP_SG }, { "dma_unmap_sg", ISM_EV_UNMAP_SG },
		{ "dma_map_sg_err", ISM_EV_MAP_SG_ERR }, { "dma_alloc", ISM_EV_ALLOC },
		{ "dma_alloc_pages", ISM_EV_ALLOC }, { "dma_alloc_sgt", ISM_EV_ALLOC },
		{ "dma_alloc_sgt_err", ISM_EV_ALLOC_ERR }, { "dma_free", ISM_EV_FREE },
		{ "dma_free_pages", ISM_EV_FREE }, { "dma_free_sgt", ISM_EV_FREE },
		{ "dma_sync_single_for_cpu", ISM_EV_SYNC_CPU },
		{ "dma_sync_single_for_device", ISM_EV_SYNC_DEV },
		{ "dma_sync_sg_for_cpu", ISM_EV_SYNC_SG_CPU },
		{ "dma_sync_sg_for_device", ISM_EV_SYNC_SG_DEV },
		{ "swiotlb_bounced", ISM_EV_BOUNCE }, { "hcall_entry", ISM_EV_HCALL_ENTRY },
		{ "hcall_exit", ISM_EV_HCALL_EXIT }, { "map", ISM_EV_IOMMU_MAP },
		{ "unmap", ISM_EV_IOMMU_UNMAP }, { "tracing_mark_write", ISM_EV_MARKER },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].kind;
	return -1;
}

/* "system:name" the reader counts a not-modelled event under. */
static const char *unknown_name(const char *name)
{
	if (strcmp(name, "sched_switch") == 0)
		return "sched:sched_switch";
	return NULL;
}

/* ---- reading ---------------------------------------------------------------------------- */

static struct reader *open_ok(const char *path, const char *format)
{
	struct reader *r = NULL;
	char *cause = NULL;
	int ret = reader_open(path, format, &r, &cause);

	cr_assert_eq(ret, 0, "open %s: %s", path, cause ? cause : "?");
	cr_assert_str_eq(r->ops->name, format ? format : "tracedat");
	return r;
}

static uint64_t unknown_count(const struct reader *r, const char *name)
{
	for (unsigned id = 1; id < r->unknown_cap; id++) {
		const char *n = devtab_name(&r->unknown, id);

		if (n && strcmp(n, name) == 0)
			return r->unknown_count[id];
	}
	return 0;
}

static uint64_t unknown_total(const struct reader *r)
{
	uint64_t t = 0;

	for (unsigned id = 0; id < r->unknown_cap; id++)
		t += r->unknown_count[id];
	return t;
}

struct tally {
	uint64_t kind[ISM_EV__COUNT];
	uint64_t events;
	struct count dev[MAX_NAMES];  /* "dma_map_page 0000:00:01.0"-like, by kind label */
	unsigned ndev;
	uint64_t op[MAX_OPS][2];
	unsigned nop;
	uint64_t exit_nonzero[8][3];
	unsigned nexit;
	bool ordered;
	uint64_t bad_ts_at;
};

static void tally_dev(struct tally *t, const char *label, const char *dev)
{
	char key[96];

	snprintf(key, sizeof(key), "%s %s", label, dev);
	for (unsigned i = 0; i < t->ndev; i++)
		if (strcmp(t->dev[i].name, key) == 0) {
			t->dev[i].n++;
			return;
		}
	cr_assert_lt(t->ndev, MAX_NAMES);
	snprintf(t->dev[t->ndev].name, sizeof(t->dev[0].name), "%s", key);
	t->dev[t->ndev++].n = 1;
}

static uint64_t tally_devcount(const struct tally *t, const char *key)
{
	for (unsigned i = 0; i < t->ndev; i++)
		if (strcmp(t->dev[i].name, key) == 0)
			return t->dev[i].n;
	return 0;
}

/* The .meta names devices by kernel event name; the reader by kind. */
static const char *kind_label(unsigned kind)
{
	switch (kind) {
	case ISM_EV_MAP: return "dma_map_page";
	case ISM_EV_UNMAP: return "dma_unmap_page";
	case ISM_EV_MAP_SG: return "dma_map_sg";
	case ISM_EV_UNMAP_SG: return "dma_unmap_sg";
	case ISM_EV_ALLOC: return "dma_alloc";
	case ISM_EV_FREE: return "dma_free";
	case ISM_EV_BOUNCE: return "swiotlb_bounced";
	}
	return ism_kind_name(kind);
}

static void drain(struct reader *r, struct tally *t)
{
	struct ism_event ev;
	uint64_t last = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	t->ordered = true;
	while ((ret = reader_next(r, &ev)) > 0) {
		cr_assert_lt(ev.kind, ISM_EV__COUNT);
		t->kind[ev.kind]++;
		t->events++;
		if (ev.ts_ns < last && t->ordered) {
			t->ordered = false;
			t->bad_ts_at = t->events;
		}
		last = ev.ts_ns;
		if (ev.dev)
			tally_dev(t, kind_label(ev.kind), reader_dev_name(r, ev.dev));
		if (ev.kind == ISM_EV_HCALL_ENTRY) {
			unsigned i;

			for (i = 0; i < t->nop && t->op[i][0] != ev.opcode; i++)
				;
			if (i == t->nop) {
				cr_assert_lt(t->nop, MAX_OPS);
				t->op[t->nop][0] = ev.opcode;
				t->op[t->nop++][1] = 0;
			}
			t->op[i][1]++;
		}
		if (ev.kind == ISM_EV_HCALL_EXIT && ev.retval != 0) {
			unsigned i;

			for (i = 0; i < t->nexit && (t->exit_nonzero[i][0] != ev.opcode ||
						     (int64_t)t->exit_nonzero[i][1] != ev.retval); i++)
				;
			if (i == t->nexit) {
				cr_assert_lt(t->nexit, 8);
				t->exit_nonzero[i][0] = ev.opcode;
				t->exit_nonzero[i][1] = (uint64_t)ev.retval;
				t->exit_nonzero[t->nexit++][2] = 0;
			}
			t->exit_nonzero[i][2]++;
		}
	}
	cr_assert_eq(ret, 0, "%s: %s", r->path, reader_error(r));
}

/* ---- tests on the shipped recordings ---------------------------------------------------- */

Test(tracedat, shipped_open_and_provenance, .timeout = 300)
{
	glob_t g = shipped("*.dat.xz");

	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		struct reader *r = open_ok(path, NULL);
		const char *v;
		struct meta m;

		meta_load(path, &m);
		v = reader_get_prov(r, "tracedat_version");
		cr_assert_not_null(v, "%s: no tracedat_version", path);
		cr_expect_eq(atoi(v), m.version, "%s: version %s, .meta says %d", path, v, m.version);
		v = reader_get_prov(r, "clock");
		cr_assert_not_null(v);
		if (m.clock[0])
			cr_expect_str_eq(v, m.clock, "%s: clock", path);
		v = reader_get_prov(r, "kernel");
		cr_assert_not_null(v, "%s: no kernel", path);
		cr_expect_not_null(strstr(v, m.release), "%s: kernel '%s' lacks '%s'", path, v,
				   m.release);
		v = reader_get_prov(r, "cpus");
		cr_expect(v && atoi(v) >= 1, "%s: cpus %s", path, v ? v : "(none)");
		cr_expect_not_null(reader_get_prov(r, "events_missing"));
		reader_close(r);
	}
	globfree(&g);
}

Test(tracedat, counts_match_meta, .timeout = 300)
{
	glob_t g = shipped("*.dat.xz");

	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		struct reader *r = open_ok(path, NULL);
		uint64_t want[ISM_EV__COUNT] = { 0 }, unknown = 0;
		struct tally t;
		struct meta m;

		meta_load(path, &m);
		drain(r, &t);
		for (unsigned k = 0; k < m.nev; k++) {
			const char *n = m.ev[k].name;
			int kind;

			if (strchr(n, ' ')) {
				/* "dma_map_page 0000:00:01.0": by device */
				char key[96], ev[48], dev[48];
				int kk;

				cr_assert_eq(sscanf(n, "%47s %47s", ev, dev), 2);
				kk = kind_of(ev);
				cr_assert_geq(kk, 0, "%s: unknown name '%s' in .meta", path, ev);
				snprintf(key, sizeof(key), "%s %s", kind_label((unsigned)kk), dev);
				cr_expect_eq(tally_devcount(&t, key), m.ev[k].n,
					     "%s: %s: %llu events, .meta says %llu", path, n,
					     (unsigned long long)tally_devcount(&t, key),
					     (unsigned long long)m.ev[k].n);
				continue;
			}
			kind = kind_of(n);
			if (kind >= 0) {
				want[kind] += m.ev[k].n;
			} else {
				cr_assert_not_null(unknown_name(n), "%s: '%s' in .meta not handled here",
						   path, n);
				cr_expect_eq(unknown_count(r, unknown_name(n)), m.ev[k].n,
					     "%s: skipped %s: %llu, .meta says %llu", path, n,
					     (unsigned long long)unknown_count(r, unknown_name(n)),
					     (unsigned long long)m.ev[k].n);
				unknown += m.ev[k].n;
			}
		}
		for (unsigned k = 1; k < ISM_EV__COUNT; k++)
			cr_expect_eq(t.kind[k], want[k], "%s: %s: %llu events, .meta says %llu", path,
				     ism_kind_name(k), (unsigned long long)t.kind[k],
				     (unsigned long long)want[k]);
		cr_expect_eq(t.events + unknown_total(r), m.total, "%s: %llu + %llu skipped events, "
			     ".meta says %llu", path, (unsigned long long)t.events,
			     (unsigned long long)unknown_total(r), (unsigned long long)m.total);
		cr_expect_eq(unknown_total(r), unknown, "%s: skipped events", path);
		if (m.have_dropped && m.dropped == 0)
			cr_expect_eq(t.kind[ISM_EV_LOST], 0, "%s: LOST events but nothing dropped",
				     path);
		/* hcall_entry by opcode */
		cr_expect_eq(t.nop, m.nop, "%s: %u hcall opcodes, .meta lists %u", path, t.nop,
			     m.nop);
		for (unsigned k = 0; k < m.nop; k++) {
			uint64_t n = 0;

			for (unsigned j = 0; j < t.nop; j++)
				if (t.op[j][0] == m.op[k][0])
					n = t.op[j][1];
			cr_expect_eq(n, m.op[k][1], "%s: hcall_entry opcode %llu: %llu, .meta says "
				     "%llu", path, (unsigned long long)m.op[k][0],
				     (unsigned long long)n, (unsigned long long)m.op[k][1]);
		}
		/* hcall_exit with a nonzero (signed) return value */
		cr_expect_eq(t.nexit, m.nexit, "%s: nonzero hcall_exit kinds", path);
		for (unsigned k = 0; k < m.nexit; k++) {
			uint64_t n = 0;

			for (unsigned j = 0; j < t.nexit; j++)
				if (t.exit_nonzero[j][0] == m.exit_nonzero[k][0] &&
				    t.exit_nonzero[j][1] == m.exit_nonzero[k][1])
					n = t.exit_nonzero[j][2];
			cr_expect_eq(n, m.exit_nonzero[k][2], "%s: hcall_exit opcode %llu retval "
				     "%lld", path, (unsigned long long)m.exit_nonzero[k][0],
				     (long long)m.exit_nonzero[k][1]);
		}
		reader_close(r);
	}
	globfree(&g);
}

Test(tracedat, timestamps_nondecreasing, .timeout = 300)
{
	glob_t g = shipped("*.dat.xz");

	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct reader *r = open_ok(g.gl_pathv[i], NULL);
		struct tally t;

		drain(r, &t);
		cr_expect(t.ordered, "%s: timestamp goes backwards at event %llu", g.gl_pathv[i],
			  (unsigned long long)t.bad_ts_at);
		cr_expect_gt(t.events, 0, "%s: no events", g.gl_pathv[i]);
		reader_close(r);
	}
	globfree(&g);
}

Test(tracedat, host_trace_has_no_dma)
{
	char *path = trace_path("host-x86-6.18.dat.xz");
	struct reader *r = open_ok(path, NULL);
	struct meta m;
	struct tally t;

	meta_load(path, &m);
	drain(r, &t);
	for (unsigned k = ISM_EV_MAP; k <= ISM_EV_BOUNCE; k++)
		cr_expect_eq(t.kind[k], 0, "%s events on the host", ism_kind_name(k));
	cr_expect_eq(t.kind[ISM_EV_IOMMU_MAP] + t.kind[ISM_EV_IOMMU_UNMAP], 0);
	cr_expect_eq(t.kind[ISM_EV_HCALL_ENTRY] + t.kind[ISM_EV_HCALL_EXIT], 0);
	cr_expect_gt(meta_count(&m, "sched_switch"), 0);
	cr_expect_eq(unknown_count(r, "sched:sched_switch"), meta_count(&m, "sched_switch"));
	/* 6.18 names dma_map_phys; dma_map_page and the resource events are covered by it */
	cr_expect_str_eq(reader_get_prov(r, "events_missing"),
			 "powerpc:hcall_entry powerpc:hcall_exit");
	reader_close(r);
	free(path);
}

Test(tracedat, pseries_defines_every_event)
{
	glob_t g = shipped("pseries-*.dat.xz");

	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct reader *r = open_ok(g.gl_pathv[i], NULL);

		/* 6.12.95: dma_map_page & co, plus the backported 6.13 events */
		cr_expect_str_eq(reader_get_prov(r, "events_missing"), "", "%s", g.gl_pathv[i]);
		reader_close(r);
	}
	globfree(&g);
}

/* The kernel prints ns / 1000 rounded to the nearest microsecond. */
static uint64_t us_round(uint64_t ns)
{
	return (ns + 500) / 1000;
}

Test(tracedat, equals_ftrace_text_of_same_recording, .timeout = 300)
{
	glob_t g = shipped("pseries-*.dat.xz");

	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *txt = sibling(g.gl_pathv[i], ".txt.xz");
		struct reader *a, *b;
		struct ism_event x, y;
		uint64_t n = 0;
		int ra, rb;

		if (access(txt, R_OK) != 0) {
			free(txt);
			continue;
		}
		a = open_ok(g.gl_pathv[i], NULL);
		b = open_ok(txt, "ftrace");
		for (;;) {
			ra = reader_next(a, &x);
			rb = reader_next(b, &y);
			if (ra <= 0 || rb <= 0)
				break;
			n++;
			cr_assert_eq(x.kind, y.kind, "%s: event %llu: %s vs %s", txt,
				     (unsigned long long)n, ism_kind_name(x.kind), ism_kind_name(y.kind));
			cr_assert_eq(us_round(x.ts_ns), y.ts_ns / 1000, "%s: event %llu: ts", txt,
				     (unsigned long long)n);
			cr_assert_eq(x.cpu, y.cpu, "%s: event %llu: cpu", txt, (unsigned long long)n);
			cr_assert_eq(x.addr, y.addr, "%s: event %llu: addr", txt, (unsigned long long)n);
			cr_assert_eq(x.size, y.size, "%s: event %llu: size", txt, (unsigned long long)n);
			cr_assert_eq(x.dir, y.dir, "%s: event %llu: dir", txt, (unsigned long long)n);
			cr_assert_eq(x.attrs, y.attrs, "%s: event %llu: attrs", txt,
				     (unsigned long long)n);
			cr_assert_eq(x.flags, y.flags, "%s: event %llu: flags", txt,
				     (unsigned long long)n);
			cr_assert_eq(x.nents, y.nents, "%s: event %llu: nents", txt,
				     (unsigned long long)n);
			cr_assert_eq(x.ents, y.ents, "%s: event %llu: ents", txt, (unsigned long long)n);
			/* text shows alloc's virt_addr as a hashed %p and gfp symbolically */
			if (x.kind != ISM_EV_ALLOC && x.kind != ISM_EV_FREE &&
			    x.kind != ISM_EV_ALLOC_ERR) {
				cr_assert_eq(x.paddr, y.paddr, "%s: event %llu: paddr", txt,
					     (unsigned long long)n);
				cr_assert_eq(x.arg, y.arg, "%s: event %llu: arg", txt,
					     (unsigned long long)n);
			}
			cr_assert_str_eq(x.dev ? reader_dev_name(a, x.dev) : "",
					 y.dev ? reader_dev_name(b, y.dev) : "", "%s: event %llu: dev",
					 txt, (unsigned long long)n);
			cr_assert_eq(x.nsg, y.nsg, "%s: event %llu: nsg", txt, (unsigned long long)n);
			for (uint32_t k = 0; k < x.nsg; k++)
				cr_assert(x.sg[k].phys == y.sg[k].phys && x.sg[k].dma == y.sg[k].dma &&
					  x.sg[k].len == y.sg[k].len && x.sg[k].flags == y.sg[k].flags,
					  "%s: event %llu: sg[%u]", txt, (unsigned long long)n, k);
			cr_assert_eq(x.text_len, y.text_len, "%s: event %llu: text", txt,
				     (unsigned long long)n);
			if (x.text_len)
				cr_assert_str_eq(x.text, y.text);
		}
		cr_expect_eq(ra, 0, "%s: %s", g.gl_pathv[i], reader_error(a));
		cr_expect_eq(rb, 0, "%s: %s", txt, reader_error(b));
		cr_expect_gt(n, 0);
		reader_close(a);
		reader_close(b);
		free(txt);
	}
	globfree(&g);
}

/* ---- damaged copies --------------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The decompressed bytes of a shipped trace. */
static unsigned char *load_trace(const char *name, size_t *len)
{
	char *path = trace_path(name), *cause = NULL;
	struct ism_in *in;
	const unsigned char *b;
	unsigned char *data = NULL;
	size_t n, have = 0;

	cr_assert_eq(in_open(path, &in, &cause), 0, "%s", cause ? cause : path);
	while ((b = in_view(in, 1 << 20, &n)) != NULL) {
		data = realloc(data, have + n);
		cr_assert_not_null(data);
		memcpy(data + have, b, n);
		have += n;
		in_consume(in, n);
	}
	cr_assert_eq(in_error(in), 0);
	in_close(in);
	free(path);
	*len = have;
	return data;
}

/* Open @data as a file and read it to the end; returns 0 or the error, checks the message. */
static int try_trace(const unsigned char *data, size_t len, char **msg)
{
	char *path = tmp_file(data, len), *cause = NULL;
	struct reader *r;
	struct ism_event ev;
	int ret = reader_open(path, NULL, &r, &cause);

	*msg = NULL;
	if (ret == 0) {
		while ((ret = reader_next(r, &ev)) > 0) {
			cr_assert(ev.kind > 0 && ev.kind < ISM_EV__COUNT);
			cr_assert(ev.dir <= ISM_DIR_UNKNOWN);
		}
		if (ret < 0)
			cause = strdup(reader_error(r));
		reader_close(r);
	}
	if (ret < 0) {
		cr_assert_not_null(cause, "error %d without a message", ret);
		cr_expect_not_null(strstr(cause, path), "message does not name the file: %s", cause);
		cr_expect_null(strchr(cause, '\n'), "message is not one line: %s", cause);
		cr_expect(ret == -ISM_ECORRUPT || ret == -ISM_ETRUNCATED || ret == -ISM_EFORMAT ||
			  ret == -ISM_EVERSION || ret == -ISM_EUNSUPPORTED,
			  "unexpected error %d: %s", ret, cause);
		*msg = cause;
	}
	unlink(path);
	free(path);
	return ret;
}

Test(tracedat, truncated_copies_fail_cleanly, .timeout = 600)
{
	static const char *const names[] = { "host-x86-6.18.dat.xz", "pseries-ddw.dat.xz" };

	rng_state = 0x5eed;
	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		size_t len, cuts[48], ncut = 0;
		unsigned char *data = load_trace(names[f], &len);

		cr_assert_gt(len, 1 << 20);
		/* the header, the formats, the middle, the CPU data and the trailing sections */
		for (size_t c = 10; c <= 40; c += 5)
			cuts[ncut++] = c;
		cuts[ncut++] = 200;
		cuts[ncut++] = 4000;
		cuts[ncut++] = 40000;
		for (int k = 1; k < 8; k++)
			cuts[ncut++] = len / 8 * (size_t)k;
		cuts[ncut++] = len - 20000;
		cuts[ncut++] = len - 5000;
		cuts[ncut++] = len - 300;
		cuts[ncut++] = len - 20;
		cuts[ncut++] = len - 1;
		while (ncut < sizeof(cuts) / sizeof(cuts[0]))
			cuts[ncut++] = 10 + rng() % (len - 10);
		for (size_t k = 0; k < ncut; k++) {
			char *msg;
			int ret = try_trace(data, cuts[k], &msg);

			cr_expect_eq(ret, -ISM_ETRUNCATED, "%s cut at %zu of %zu: %d %s", names[f],
				     cuts[k], len, ret, msg ? msg : "(read fine)");
			if (msg)
				cr_expect_not_null(strstr(msg, "truncated"), "%s", msg);
			free(msg);
		}
		/* shorter than the magic: not recognised, which is also a clean error */
		for (size_t c = 0; c < 10; c++) {
			char *msg;

			cr_expect_lt(try_trace(data, c, &msg), 0);
			free(msg);
		}
		free(data);
	}
}

/* The top buffer's first CPU data offset and the first options section of a v7 file. */
struct v7 {
	size_t opt;        /* first options section */
	size_t done_next;  /* offset of the DONE option's "next" field in it */
	size_t printk;     /* printk section */
	size_t cpu0;       /* CPU 0 ring-buffer data */
	size_t cpu0_size;
	size_t cpu1;       /* CPU 1 ring-buffer data (0 if none) */
};

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void find_v7(const unsigned char *d, size_t len, struct v7 *v)
{
	size_t p = 10;

	memset(v, 0, sizeof(*v));
	cr_assert_str_eq((const char *)d + p, "7");
	p += 2 + 6;
	p += strlen((const char *)d + p) + 1;      /* compression name */
	p += strlen((const char *)d + p) + 1;      /* and version */
	v->opt = le(d + p, 8);
	for (size_t sec = v->opt; sec;) {
		size_t q = sec + 16, next = 0;

		cr_assert_lt(sec + 16, len);
		cr_assert_eq(le(d + sec, 2), 0, "options section expected at %zu", sec);
		for (;;) {
			unsigned id = (unsigned)le(d + q, 2);
			size_t sz = le(d + q + 2, 4);

			q += 6;
			if (id == 0) {
				if (!v->done_next)
					v->done_next = q;
				next = le(d + q, 8);
				break;
			}
			if (id == 20)
				v->printk = le(d + q, 8);
			if (id == 3 && d[q + 8] == '\0') {
				/* top buffer: offset, "", clock, page size, cpus, {id, off, size} */
				size_t c = q + 9;

				c += strlen((const char *)d + c) + 1 + 4;
				cr_assert_geq(le(d + c, 4), 1);
				if (le(d + c, 4) > 1)
					v->cpu1 = le(d + c + 4 + 20 + 4, 8);
				c += 4;
				v->cpu0 = le(d + c + 4, 8);
				v->cpu0_size = le(d + c + 12, 8);
			}
			q += sz;
		}
		sec = next;
	}
	cr_assert(v->printk && v->cpu0 && v->cpu0_size, "layout of the shipped trace not found");
}

static void expect_error(const unsigned char *d, size_t len, int want, const char *text)
{
	char *msg;
	int ret = try_trace(d, len, &msg);

	cr_expect_eq(ret, want, "got %d (%s), wanted %d with '%s'", ret, msg ? msg : "no error",
		     want, text);
	if (msg)
		cr_expect_not_null(strstr(msg, text), "'%s' not in: %s", text, msg);
	free(msg);
}

Test(tracedat, corrupt_copies_fail_cleanly, .timeout = 600)
{
	size_t len;
	unsigned char *orig = load_trace("pseries-ddw.dat.xz", &len);
	unsigned char *d = malloc(len);
	unsigned char *hit;
	struct v7 v;
	uint32_t ps = 4096;

	find_v7(orig, len, &v);

	/* an unknown file version */
	memcpy(d, orig, len);
	d[10] = '9';
	expect_error(d, len, -ISM_EVERSION, "version 9");

	/* one byte in a print fmt that makes libtraceevent 1.7.1 crash */
	memcpy(d, orig, len);
	hit = memmem(d, len, "__get_dynamic_array_len(addrs) / sizeof(u64)", 44);
	cr_assert_not_null(hit);
	hit[40] = 0xc2;
	expect_error(d, len, -ISM_ECORRUPT, "dma:dma_unmap_sg");

	/* an options chain that loops (libtracecmd would recurse until the stack overflows) */
	memcpy(d, orig, len);
	for (int i = 0; i < 8; i++)
		d[v.done_next + (size_t)i] = (unsigned char)(v.opt >> (8 * i));
	expect_error(d, len, -ISM_ECORRUPT, "loops");

	/* a printk format line without "ADDR:" (tep_parse_printk_formats reads past it) */
	memcpy(d, orig, len);
	hit = d + v.printk + 16 + 4;
	cr_assert_not_null(memchr(hit, ':', 64));
	for (; *hit != '\n'; hit++)
		if (*hit == ':')
			*hit = ' ';
	expect_error(d, len, -ISM_ECORRUPT, "printk");

	/* the first page of CPU 0 claims more data than a page holds */
	memcpy(d, orig, len);
	d[v.cpu0 + 8] = 0xff;
	d[v.cpu0 + 9] = 0x7f;
	expect_error(d, len, -ISM_ECORRUPT, "CPU 0");

	/* a later page: libtracecmd would stop there silently; the reader says so */
	cr_assert_gt(v.cpu0_size, 8 * ps);
	memcpy(d, orig, len);
	d[v.cpu0 + 5 * ps + 8] = 0xff;
	d[v.cpu0 + 5 * ps + 9] = 0x7f;
	expect_error(d, len, -ISM_ECORRUPT, "page at offset");

	/* the pages below, through the page walk and through libtracecmd */
	for (int lib = 0; lib < 2; lib++) {
		reader_tracedat_use_libtracecmd(lib);
		/* a page size just beyond what the kernel writes: kbuffer would read past the page */
		memcpy(d, orig, len);
		d[v.cpu0 + 5 * ps + 8] = (unsigned char)((ps - 8) & 0xff);
		d[v.cpu0 + 5 * ps + 9] = (unsigned char)((ps - 8) >> 8);
		expect_error(d, len, -ISM_ECORRUPT, "commit size 4088 exceeds the page");

		/* lost events whose count is stored after data that leaves no room for it */
		memcpy(d, orig, len);
		d[v.cpu0 + 5 * ps + 8] = (unsigned char)((ps - 16) & 0xff);
		d[v.cpu0 + 5 * ps + 9] = (unsigned char)((ps - 16) >> 8);
		d[v.cpu0 + 5 * ps + 11] = 0xc0;
		expect_error(d, len, -ISM_ECORRUPT, "with the lost-events count stored after the data");

		/* a count stored 128 MiB past the data: kbuffer_load_subbuffer() read it there */
		memcpy(d, orig, len);
		d[v.cpu0 + 5 * ps + 8] = 0xff;
		d[v.cpu0 + 5 * ps + 9] = 0xff;
		d[v.cpu0 + 5 * ps + 10] = 0xff;
		d[v.cpu0 + 5 * ps + 11] = 0xc7;
		expect_error(d, len, -ISM_ECORRUPT, "commit size 134217727 exceeds the page");
	}
	reader_tracedat_use_libtracecmd(0);

	free(d);
	free(orig);
}

/* The first event of @cpu in @path, and the @nth event of @cpu. */
static void cpu_events(const char *path, unsigned cpu, uint64_t nth, uint64_t *first,
		       uint64_t *at_nth)
{
	struct reader *r = open_ok(path, NULL);
	struct ism_event ev;
	uint64_t k = 0;

	*first = *at_nth = UINT64_MAX;
	while (reader_next(r, &ev) > 0) {
		if (ev.cpu != cpu)
			continue;
		if (k == 0)
			*first = ev.ts_ns;
		if (k++ == nth) {
			*at_nth = ev.ts_ns;
			break;
		}
	}
	reader_close(r);
	cr_assert_neq(*at_nth, UINT64_MAX, "%s: CPU %u has too few events", path, cpu);
}

/*
 * Events with the same timestamp on two CPUs come lowest CPU first, as in the kernel's own
 * text output. The recordings have no such ties after boot, so one is made: CPU 1's first
 * page is moved in time so that its first event lands exactly on CPU 0's 20000th.
 */
Test(tracedat, equal_timestamps_lowest_cpu_first)
{
	size_t len;
	unsigned char *d = load_trace("pseries-ddw.dat.xz", &len);
	char *path, *cause = NULL;
	uint64_t first0, tie, first1, dummy, page_ts;
	struct reader *r;
	struct ism_event ev;
	struct v7 v;
	bool saw0 = false, saw1 = false;

	find_v7(d, len, &v);
	cr_assert_neq(v.cpu1, 0);
	path = tmp_file(d, len);
	cpu_events(path, 0, 20000, &first0, &tie);
	cpu_events(path, 1, 0, &first1, &dummy);
	unlink(path);
	free(path);
	page_ts = le(d + v.cpu1, 8);
	cr_assert_geq(first1, page_ts);
	/* the first event is page_ts + its delta: keep the delta, move the page */
	for (int i = 0; i < 8; i++)
		d[v.cpu1 + (size_t)i] = (unsigned char)((tie - (first1 - page_ts)) >> (8 * i));
	path = tmp_file(d, len);
	cr_assert_eq(reader_open(path, NULL, &r, &cause), 0, "%s", cause ? cause : "");
	cr_assert_gt(tie, first1, "CPU 0's event is not after CPU 1's start");
	while (reader_next(r, &ev) > 0) {
		if (ev.ts_ns != tie)
			continue;
		if (ev.cpu == 1)
			saw1 = true;
		else
			cr_expect(!saw1, "tie at %llu: CPU 0 after CPU 1", (unsigned long long)tie);
		saw0 |= ev.cpu == 0;
	}
	cr_expect(saw0 && saw1, "no tie made at %llu", (unsigned long long)tie);
	reader_close(r);
	unlink(path);
	free(path);
	free(d);
}

/* Read @d and return the LOST events; check each is followed by an event of its CPU and ts. */
static unsigned lost_events(const unsigned char *d, size_t len, struct ism_event *lost,
			    unsigned max)
{
	char *path = tmp_file(d, len), *cause = NULL;
	struct reader *r;
	struct ism_event ev;
	unsigned n = 0;
	bool after = false;
	int ret;

	cr_assert_eq(reader_open(path, NULL, &r, &cause), 0, "%s", cause ? cause : "");
	while ((ret = reader_next(r, &ev)) > 0) {
		if (after) {
			cr_expect(ev.kind != ISM_EV_LOST && ev.cpu == lost[n - 1].cpu &&
				  ev.ts_ns == lost[n - 1].ts_ns,
				  "LOST is not followed by the record it precedes");
			after = false;
		}
		if (ev.kind == ISM_EV_LOST) {
			cr_assert_lt(n, max);
			lost[n++] = ev;
			after = true;
		}
	}
	cr_expect_eq(ret, 0, "%s", reader_error(r));
	reader_close(r);
	unlink(path);
	free(path);
	return n;
}

/*
 * A ring-buffer page whose header says events were lost before it: one LOST event, then the
 * page's first record. The count is unknown unless the kernel stored it after the data.
 */
Test(tracedat, lost_events_from_page_header)
{
	size_t len, pg, commit = 0;
	unsigned char *d = load_trace("pseries-ddw.dat.xz", &len);
	struct ism_event lost[4];
	struct v7 v;
	uint32_t ps = 4096;

	find_v7(d, len, &v);
	cr_assert_eq(lost_events(d, len, lost, 4), 0, "the recording has no lost events");

	/* missed events, count not stored (commit bit 31) */
	pg = v.cpu0 + 5 * ps;
	d[pg + 8 + 3] |= 0x80;
	cr_assert_eq(lost_events(d, len, lost, 4), 1);
	cr_expect_eq(lost[0].cpu, 0);
	cr_expect_eq(lost[0].flags, ISM_EF_LOST_UNKNOWN);
	cr_expect_eq(lost[0].count, 0);
	d[pg + 8 + 3] &= 0x7f;

	/* count stored after the data (bits 31 and 30), on a page with room for it */
	for (pg = v.cpu0; pg < v.cpu0 + v.cpu0_size; pg += ps) {
		commit = le(d + pg + 8, 4) & ((1u << 27) - 1);
		if (commit && 16 + commit + 8 <= ps)
			break;
	}
	cr_assert_lt(pg, v.cpu0 + v.cpu0_size, "no page with room for a lost count");
	d[pg + 8 + 3] |= 0xc0;
	for (int i = 0; i < 8; i++)
		d[pg + 16 + commit + (size_t)i] = (unsigned char)((uint64_t)1234 >> (8 * i));
	cr_assert_eq(lost_events(d, len, lost, 4), 1);
	cr_expect_eq(lost[0].cpu, 0);
	cr_expect_eq(lost[0].flags, 0);
	cr_expect_eq(lost[0].count, 1234);
	free(d);
}

Test(tracedat, flipped_bytes_never_crash, .timeout = 900)
{
	size_t len;
	unsigned char *orig = load_trace("host-x86-6.18.dat.xz", &len);
	unsigned char *d = malloc(len);
	struct v7 v;
	int fails = 0, oks = 0;

	find_v7(orig, len, &v);
	rng_state = 0xf11b;
	for (int i = 0; i < 40; i++) {
		char *msg;
		size_t lo, span;

		/* alternate: header + formats, options + CPU data + trailer */
		if (i % 2) {
			lo = 0;
			span = 60000;
		} else {
			lo = v.opt;
			span = len - v.opt;
		}
		memcpy(d, orig, len);
		for (int k = 0; k < 1 + (int)(rng() % 4); k++)
			d[lo + rng() % span] ^= (unsigned char)(1 + rng() % 255);
		if (try_trace(d, len, &msg) < 0)
			fails++;
		else
			oks++;
		free(msg);
	}
	cr_log_info("flipped copies: %d read, %d rejected", oks, fails);
	free(d);
	free(orig);
}

/* ---- the page walk against libtracecmd's record reading --------------------------------- */

/* Everything @path yields (events, skipped events, the end), read one way or the other. */
static char *digest(const char *path, int libtracecmd, int *walked)
{
	struct reader *r;
	struct ism_event ev;
	char *cause = NULL, *out = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	reader_tracedat_use_libtracecmd(libtracecmd);
	ret = reader_open(path, NULL, &r, &cause);
	reader_tracedat_use_libtracecmd(0);
	f = open_memstream(&out, &len);
	cr_assert(f);
	if (ret < 0) {
		fprintf(f, "open %d %s\n", ret, cause);
		free(cause);
		fclose(f);
		*walked = 0;
		return out;
	}
	*walked = reader_tracedat_walks(r);
	while ((ret = reader_next(r, &ev)) > 0) {
		fprintf(f, "%llu %u %u %u %llx %llx %llx %llx %x %u %u %x %u %u %s",
			(unsigned long long)ev.ts_ns, ev.cpu, ev.kind, ev.dir,
			(unsigned long long)ev.addr, (unsigned long long)ev.paddr,
			(unsigned long long)ev.size, (unsigned long long)ev.arg, ev.attrs, ev.nents,
			ev.ents, ev.flags, ev.nsg, ev.pid, reader_dev_name(r, ev.dev));
		for (uint32_t i = 0; i < ev.nsg; i++)
			fprintf(f, " [%llx %llx %x %x]", (unsigned long long)ev.sg[i].phys,
				(unsigned long long)ev.sg[i].dma, ev.sg[i].len, ev.sg[i].flags);
		if (ev.kind == ISM_EV_MARKER)
			fprintf(f, " %.*s", (int)ev.text_len, ev.text);
		fputc('\n', f);
	}
	fprintf(f, "end %d %s\n", ret, ret < 0 ? reader_error(r) : "");
	for (unsigned i = 0; i < r->unknown.n; i++)
		fprintf(f, "unknown %s %llu\n", devtab_name(&r->unknown, i),
			(unsigned long long)r->unknown_count[i]);
	for (unsigned i = 0; i < r->nprov; i++)
		fprintf(f, "prov %s=%s\n", r->prov[i].key, r->prov[i].value);
	fclose(f);
	reader_close(r);
	return out;
}

/* The two digests of @path must be equal; returns the page walk's. */
static char *expect_same(const char *path, const char *what, int *walked)
{
	int w0;
	char *a = digest(path, 0, walked), *b = digest(path, 1, &w0);

	cr_assert_eq(w0, 0, "%s: libtracecmd forced but the page walk ran", what);
	if (strcmp(a, b) != 0) {
		size_t i = 0, ls = 0;

		while (a[i] && a[i] == b[i]) {
			if (a[i] == '\n')
				ls = i + 1;
			i++;
		}
		cr_assert_fail("%s: the page walk and libtracecmd differ:\n walk: %.300s\n "
			       "libtracecmd: %.300s", what, a + ls, b + ls);
	}
	free(b);
	return a;
}

/* Every shipped recording reads the same through the page walk as through libtracecmd. */
Test(tracedat, page_walk_equals_libtracecmd, .timeout = 300)
{
	glob_t g = shipped("*.dat.xz");

	for (size_t i = 0; i < g.gl_pathc; i++) {
		int walked;

		free(expect_same(g.gl_pathv[i], g.gl_pathv[i], &walked));
		cr_expect(walked, "%s: not read by the page walk", g.gl_pathv[i]);
	}
	globfree(&g);
}

/*
 * Damaged ring-buffer pages: bytes changed in page headers (timestamp, size, the lost-events
 * bits) and inside records, pages cut: the same events and the same error, never a crash.
 */
Test(tracedat, page_walk_equals_libtracecmd_on_damaged_pages, .timeout = 600)
{
	size_t len;
	unsigned char *orig = load_trace("pseries-ddw.dat.xz", &len);
	unsigned char *d = malloc(len);
	struct v7 v;
	const uint32_t ps = 4096;
	int errors = 0;

	find_v7(orig, len, &v);
	rng_state = 0xda7a;
	for (int i = 0; i < 48; i++) {
		size_t npages = v.cpu0_size / ps, at;
		char *path, *dg, what[96];
		int walked;

		memcpy(d, orig, len);
		for (int k = 0; k < 1 + (int)(rng() % 3); k++) {
			size_t pg = v.cpu0 + (rng() % npages) * ps;

			switch (rng() % 4) {
			case 0: /* the page header: timestamp, commit (size and flag bits) */
				at = pg + rng() % 16;
				break;
			case 1: /* the first records */
				at = pg + 16 + rng() % 64;
				break;
			default: /* anywhere in the page */
				at = pg + rng() % ps;
				break;
			}
			d[at] ^= (unsigned char)(1 + rng() % 255);
		}
		path = tmp_file(d, len);
		snprintf(what, sizeof(what), "damaged copy %d", i);
		dg = expect_same(path, what, &walked);
		cr_expect(walked, "%s: not read by the page walk", what);
		errors += strstr(dg, "\nend -") != NULL;
		free(dg);
		unlink(path);
		free(path);
	}
	cr_log_info("damaged pages: %d of 48 copies are errors", errors);
	cr_expect_gt(errors, 10);
	free(d);
	free(orig);
}

/*
 * Compressed CPU data (version 7, zstd): a copy of a shipped recording made by `trace-cmd
 * convert --compression zstd` reads the same through the page walk as through libtracecmd,
 * record offsets (in the decompressed stream) included. Skipped without trace-cmd.
 */
Test(tracedat, page_walk_equals_libtracecmd_zstd, .timeout = 300)
{
#ifdef HAVE_ZSTD
	size_t len;
	unsigned char *orig = load_trace("pseries-ddw.dat.xz", &len);
	char *in = tmp_file(orig, len), *out = tmp_file("", 0), *cmd, *dg;
	int walked, rc;

	if (asprintf(&cmd, "trace-cmd convert -i %s -o %s --compression zstd >/dev/null 2>&1",
		     in, out) < 0)
		abort();
	rc = system(cmd);
	if (rc != 0) {
		cr_log_warn("trace-cmd convert not available (%d): zstd page walk not compared", rc);
	} else {
		dg = expect_same(out, "zstd copy of pseries-ddw", &walked);
		cr_expect(walked, "the zstd copy was not read by the page walk");
		cr_expect_not_null(strstr(dg, "\nend 0 "), "zstd copy: %.200s", strstr(dg, "\nend"));
		free(dg);
	}
	unlink(in);
	unlink(out);
	free(cmd);
	free(in);
	free(out);
	free(orig);
#endif
}
