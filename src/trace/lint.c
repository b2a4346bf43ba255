/*
 * lint.c: trace consistency checks (`iommusim lint`).
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "livemap.h"
#include "stats.h"
#include "reader.h"
#include "util.h"

enum { TAG_MAP = 1, TAG_SG = 2, TAG_ALLOC = 3 };

static const struct {
	const char *name;
	int finding;
	const char *desc;
} lint_info[] = {
#define LINT_INFO(id, n, f, d) { n, f, d },
	LINT_CHECKS(LINT_INFO)
#undef LINT_INFO
};

struct lint_cpu {
	uint64_t last_ts;
	int seen;
	int hcall_pending;
	uint64_t hcall_op;
};

struct lint_state {
	struct lint_result res;
	struct livemap live;
	struct lint_cpu *cpus;
	unsigned ncpus;
};

struct lint_state *lint_new(void)
{
	struct lint_state *l = xcalloc(1, sizeof(*l));

	livemap_init(&l->live);
	return l;
}

static void note(struct lint_state *l, enum lint_check c, const struct ism_event *ev,
		 uint64_t pos, uint64_t n, char *what)
{
	struct lint_result *r = &l->res;

	r->count[c] += n;
	if (r->nex[c] < LINT_EXAMPLES) {
		struct lint_example *x = &r->ex[c][r->nex[c]++];

		x->pos = pos;
		x->ts_ns = ev ? ev->ts_ns : 0;
		x->cpu = ev ? ev->cpu : 0;
		x->what = what;
	} else {
		free(what);
	}
}

static struct lint_cpu *lcpu(struct lint_state *l, unsigned cpu)
{
	if (cpu >= l->ncpus) {
		unsigned n = l->ncpus ? l->ncpus : 4;

		while (n <= cpu)
			n *= 2;
		l->cpus = xreallocarray(l->cpus, n, sizeof(*l->cpus));
		memset(l->cpus + l->ncpus, 0, (n - l->ncpus) * sizeof(*l->cpus));
		l->ncpus = n;
	}
	return &l->cpus[cpu];
}

static void take(struct lint_state *l, struct reader *r, uint8_t tag, const struct ism_event *ev,
		 uint64_t key, uint64_t pos)
{
	int created;
	struct live_entry *e = livemap_get(&l->live, tag, ev->dev, key, &created);

	if (!created) {
		e->refs++;
		if (tag != TAG_ALLOC)
			note(l, LINT_DOUBLE_MAP, ev, pos, 1,
			     xasprintf("%s %s 0x%" PRIx64 " mapped again (first at %s %" PRIu64 ")",
				       ism_kind_name(ev->kind), reader_dev_name(r, ev->dev), key,
				       l->res.pos_unit, e->pos));
		return;
	}
	e->size = ev->size;
	e->pos = pos;
	e->ts_ns = ev->ts_ns;
	e->cpu = ev->cpu;
	if (tag == TAG_SG) {
		e->d[0] = ev->nents;
		e->d[1] = ev->nsg;
		e->d[2] = ev->dir | (ev->flags & ISM_EF_TRUNCATED ? 0x100u : 0);
	}
}

/*
 * An unmap_sg must pass the nents given to dma_map_sg (not the count it returned) and the
 * same direction (Documentation/core-api/dma-api.rst; kernel/dma/debug.c check_unmap()
 * reports both). Where the kernel capped the map's input array, the unmap's is capped too:
 * the recorded entries are compared instead.
 */
static void unmap_sg_check(struct lint_state *l, struct reader *r, const struct ism_event *ev,
			   const struct live_entry *e, uint64_t pos)
{
	unsigned mdir = (unsigned)(e->d[2] & 0xff);
	int capped = (e->d[2] & 0x100) || (ev->flags & ISM_EF_TRUNCATED);
	uint64_t want = capped ? e->d[1] : e->d[0], got = capped ? ev->nsg : ev->nents;

	if (got != want)
		note(l, LINT_UNMAP_SG_MISMATCH, ev, pos, 1,
		     xasprintf("unmap_sg %s 0x%" PRIx64 " with %" PRIu64 " entries, mapped with %"
			       PRIu64 " at %s %" PRIu64, reader_dev_name(r, ev->dev), e->addr, got,
			       want, l->res.pos_unit, e->pos));
	else if (ev->dir != mdir && ev->dir != ISM_DIR_UNKNOWN && mdir != ISM_DIR_UNKNOWN)
		note(l, LINT_UNMAP_SG_MISMATCH, ev, pos, 1,
		     xasprintf("unmap_sg %s 0x%" PRIx64 " %s, mapped %s at %s %" PRIu64,
			       reader_dev_name(r, ev->dev), e->addr, ism_dir_name(ev->dir),
			       ism_dir_name(mdir), l->res.pos_unit, e->pos));
}

static void drop(struct lint_state *l, struct reader *r, uint8_t tag, const struct ism_event *ev,
		 uint64_t key, uint64_t pos, enum lint_check unmatched)
{
	struct live_entry *e = livemap_find(&l->live, tag, ev->dev, key);

	if (!e) {
		note(l, unmatched, ev, pos, 1,
		     xasprintf("%s %s 0x%" PRIx64 " size %" PRIu64, ism_kind_name(ev->kind),
			       reader_dev_name(r, ev->dev), key, ev->size));
		return;
	}
	if (tag == TAG_MAP && ev->size != e->size)
		note(l, LINT_SIZE_MISMATCH, ev, pos, 1,
		     xasprintf("unmap %s 0x%" PRIx64 " size %" PRIu64 ", mapped with size %" PRIu64
			       " at %s %" PRIu64, reader_dev_name(r, ev->dev), key, ev->size, e->size,
			       l->res.pos_unit, e->pos));
	if (tag == TAG_ALLOC && ev->size != e->size)
		note(l, LINT_FREE_MISMATCH, ev, pos, 1,
		     xasprintf("free %s 0x%" PRIx64 " size %" PRIu64 ", allocated with size %" PRIu64
			       " at %s %" PRIu64, reader_dev_name(r, ev->dev), key, ev->size, e->size,
			       l->res.pos_unit, e->pos));
	if (tag == TAG_SG)
		unmap_sg_check(l, r, ev, e, pos);
	if (--e->refs == 0) {
		e->refs = 1; /* livemap_remove expects an occupied slot */
		livemap_remove(&l->live, e);
	}
}

void lint_event(struct lint_state *l, struct reader *r, const struct ism_event *ev, uint64_t pos)
{
	struct lint_cpu *c = lcpu(l, ev->cpu);

	if (!l->res.pos_unit)
		reader_position(r, &l->res.pos_unit);
	l->res.events++;
	if (ev->ts_ns == 0 && ev->kind != ISM_EV_LOST)
		note(l, LINT_ZERO_TS, ev, pos, 1, xasprintf("%s at time 0", ism_kind_name(ev->kind)));
	if (c->seen && ev->ts_ns < c->last_ts)
		note(l, LINT_TS_INVERSION, ev, pos, 1,
		     xasprintf("%s at %" PRIu64 " ns after %" PRIu64 " ns on cpu %u",
			       ism_kind_name(ev->kind), ev->ts_ns, c->last_ts, ev->cpu));
	if (ev->ts_ns > c->last_ts || !c->seen)
		c->last_ts = ev->ts_ns;
	c->seen = 1;

	switch (ev->kind) {
	case ISM_EV_MAP:
		take(l, r, TAG_MAP, ev, ev->addr, pos);
		break;
	case ISM_EV_UNMAP:
		drop(l, r, TAG_MAP, ev, ev->addr, pos, LINT_UNMATCHED_UNMAP);
		break;
	case ISM_EV_MAP_SG:
		if (ev->flags & ISM_EF_TRUNCATED || ev->nsg < ev->nents)
			note(l, LINT_TRUNCATED_SG, ev, pos, 1,
			     xasprintf("map_sg %s: %u of %u input entries recorded",
				       reader_dev_name(r, ev->dev), ev->nsg, ev->nents));
		/* dma_unmap_sg names the list by its input (physical) addresses */
		if (ev->nsg && (ev->sg[0].flags & ISM_SGE_PHYS))
			take(l, r, TAG_SG, ev, ev->sg[0].phys, pos);
		break;
	case ISM_EV_UNMAP_SG:
		if (ev->nsg)
			drop(l, r, TAG_SG, ev, ev->sg[0].phys, pos, LINT_UNMATCHED_UNMAP_SG);
		break;
	case ISM_EV_ALLOC:
		take(l, r, TAG_ALLOC, ev, ev->addr, pos);
		break;
	case ISM_EV_FREE:
		drop(l, r, TAG_ALLOC, ev, ev->addr, pos, LINT_UNMATCHED_FREE);
		break;
	case ISM_EV_LOST:
		if (ev->flags & ISM_EF_LOST_ANYCPU)
			note(l, LINT_LOST_EVENTS, ev, pos, ev->count ? ev->count : 1,
			     xasprintf("%" PRIu64 " events written but no longer in the ring buffer "
				       "(overwritten; the trace does not say on which CPUs)",
				       ev->count));
		else
			note(l, LINT_LOST_EVENTS, ev, pos, ev->count ? ev->count : 1,
			     ev->count ? xasprintf("%" PRIu64 " events lost on cpu %u", ev->count,
						   ev->cpu)
				       : xasprintf("an unknown number of events lost on cpu %u",
						   ev->cpu));
		c->hcall_pending = 0;
		break;
	case ISM_EV_HCALL_ENTRY:
		c->hcall_pending = 1;
		c->hcall_op = ev->opcode;
		break;
	case ISM_EV_HCALL_EXIT:
		if (!c->hcall_pending || c->hcall_op != ev->opcode) {
			char lbl[32];

			note(l, LINT_HCALL_UNPAIRED, ev, pos, 1,
			     xasprintf("hcall_exit %s on cpu %u", hcall_label(ev->opcode, lbl,
										sizeof(lbl)),
				       ev->cpu));
		}
		c->hcall_pending = 0;
		break;
	default:
		break;
	}
}

static int ex_cmp(const void *a, const void *b)
{
	const struct live_entry *x = *(const struct live_entry *const *)a;
	const struct live_entry *y = *(const struct live_entry *const *)b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void lint_finish(struct lint_state *l, struct reader *r, struct lint_result *res)
{
	struct live_entry **v = xcalloc(l->live.n ? l->live.n : 1, sizeof(*v));
	uint64_t k = 0;

	if (!l->res.pos_unit)
		reader_position(r, &l->res.pos_unit);
	for (uint64_t i = 0; i < l->live.cap; i++)
		if (l->live.slots[i].refs)
			v[k++] = &l->live.slots[i];
	qsort(v, k, sizeof(*v), ex_cmp);
	for (uint64_t i = 0; i < k; i++) {
		struct live_entry *e = v[i];
		struct ism_event fake = { .ts_ns = e->ts_ns, .cpu = e->cpu };
		enum lint_check c = e->tag == TAG_ALLOC ? LINT_ALLOC_LIVE_AT_END : LINT_LIVE_AT_END;

		note(l, c, &fake, e->pos, e->refs,
		     xasprintf("%s %s 0x%" PRIx64 " size %" PRIu64,
			       e->tag == TAG_ALLOC ? "alloc" : e->tag == TAG_SG ? "map_sg" : "map",
			       reader_dev_name(r, e->dev), e->addr, e->size));
	}
	free(v);
	*res = l->res;
	memset(&l->res, 0, sizeof(l->res));
}

void lint_free(struct lint_state *l)
{
	if (!l)
		return;
	lint_result_free(&l->res);
	livemap_free(&l->live);
	free(l->cpus);
	free(l);
}

void lint_result_free(struct lint_result *res)
{
	for (unsigned c = 0; c < LINT__COUNT; c++)
		for (unsigned i = 0; i < res->nex[c]; i++)
			free(res->ex[c][i].what);
	memset(res, 0, sizeof(*res));
}

uint64_t lint_findings(const struct lint_result *res)
{
	uint64_t n = 0;

	for (unsigned c = 0; c < LINT__COUNT; c++)
		if (lint_info[c].finding)
			n += res->count[c];
	return n;
}

void lint_print_text(const struct lint_result *res, const struct reader *r, FILE *out)
{
	uint64_t n = lint_findings(res);

	fprintf(out, "%s: %" PRIu64 " events, %s\n", r->path, res->events,
		n ? "findings:" : "clean");
	for (unsigned c = 0; c < LINT__COUNT; c++) {
		if (!res->count[c])
			continue;
		fprintf(out, "  %-18s %10" PRIu64 "  %s%s\n", lint_info[c].name, res->count[c],
			lint_info[c].desc, lint_info[c].finding ? "" : " (information)");
		for (unsigned i = 0; i < res->nex[c]; i++) {
			const struct lint_example *x = &res->ex[c][i];

			fprintf(out, "      %s %" PRIu64 " (%.6f s, cpu %u): %s\n", res->pos_unit,
				x->pos, (double)x->ts_ns / 1e9, x->cpu, x->what);
		}
	}
}

json_t *lint_to_json(const struct lint_result *res, const struct reader *r)
{
	json_t *o = json_object(), *checks = json_object();

	json_object_set_new(o, "schema_version", json_integer(SCHEMA_LINT));
	json_object_set_new(o, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	json_object_set_new(o, "trace", json_string(r->path));
	json_object_set_new(o, "events", json_integer((json_int_t)res->events));
	json_object_set_new(o, "findings", json_integer((json_int_t)lint_findings(res)));
	json_object_set_new(o, "position_unit", json_string(res->pos_unit ? res->pos_unit : "event"));
	for (unsigned c = 0; c < LINT__COUNT; c++) {
		json_t *x = json_object(), *a = json_array();

		json_object_set_new(x, "count", json_integer((json_int_t)res->count[c]));
		json_object_set_new(x, "finding", json_boolean(lint_info[c].finding));
		for (unsigned i = 0; i < res->nex[c]; i++) {
			json_t *e = json_object();

			json_object_set_new(e, "position", json_integer((json_int_t)res->ex[c][i].pos));
			json_object_set_new(e, "ts_ns", json_integer((json_int_t)res->ex[c][i].ts_ns));
			json_object_set_new(e, "cpu", json_integer(res->ex[c][i].cpu));
			json_object_set_new(e, "what", json_string(res->ex[c][i].what));
			json_array_append_new(a, e);
		}
		json_object_set_new(x, "examples", a);
		json_object_set_new(checks, lint_info[c].name, x);
	}
	json_object_set_new(o, "checks", checks);
	return o;
}
