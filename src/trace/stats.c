/*
 * stats.c: per-trace statistics (`iommusim stats`): events by kind, device and CPU, map sizes,
 * bytes by direction, hypercalls by opcode with entry/exit timing, swiotlb bounces, phases.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "detect.h"
#include "ops.h"
#include "stats.h"
#include "util.h"

const char *hcall_label(uint64_t opcode, char *buf, size_t len)
{
	const char *n = ism_hcall_name(opcode);

	if (n)
		return n;
	snprintf(buf, len, "hcall_%" PRIu64, opcode);
	return buf;
}

static unsigned op_hash(uint64_t op, unsigned cap)
{
	return (unsigned)((op * 0x9E3779B97F4A7C15ull) >> 40) & (cap - 1);
}

struct op_count *op_table_get(struct op_table *t, uint64_t opcode)
{
	unsigned h;

	if (t->n * 2 >= t->cap) {
		struct op_count *old = t->slots;
		unsigned ocap = t->cap;

		t->cap = t->cap ? t->cap * 2 : 32;
		t->slots = xcalloc(t->cap, sizeof(*t->slots));
		t->n = 0;
		for (unsigned i = 0; i < ocap; i++)
			if (old[i].used) {
				struct op_count *c = op_table_get(t, old[i].opcode);

				*c = old[i];
			}
		free(old);
	}
	h = op_hash(opcode, t->cap);
	while (t->slots[h].used) {
		if (t->slots[h].opcode == opcode)
			return &t->slots[h];
		h = (h + 1) & (t->cap - 1);
	}
	t->slots[h].used = 1;
	t->slots[h].opcode = opcode;
	t->n++;
	return &t->slots[h];
}

void op_table_free(struct op_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static int op_cmp(const void *a, const void *b)
{
	const struct op_count *x = *(const struct op_count *const *)a;
	const struct op_count *y = *(const struct op_count *const *)b;

	return x->opcode < y->opcode ? -1 : x->opcode > y->opcode;
}

struct op_count **op_table_sorted(const struct op_table *t, unsigned *n)
{
	struct op_count **v = xcalloc(t->n ? t->n : 1, sizeof(*v));
	unsigned k = 0;

	for (unsigned i = 0; i < t->cap; i++)
		if (t->slots[i].used)
			v[k++] = &t->slots[i];
	qsort(v, k, sizeof(*v), op_cmp);
	*n = k;
	return v;
}

void stats_init(struct ism_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->det = xcalloc(1, sizeof(*s->det));
	detect_init(s->det);
}

void stats_free(struct ism_stats *s)
{
	free(s->det);
	free(s->devs);
	free(s->cpus);
	op_table_free(&s->ops);
	for (unsigned i = 0; i < s->nmarker; i++)
		free(s->marker[i].text);
	for (unsigned i = 0; i < s->nphases; i++) {
		free(s->phases[i].name);
		op_table_free(&s->phases[i].ops);
	}
	free(s->phases);
	memset(s, 0, sizeof(*s));
}

static struct stats_dev *dev_slot(struct ism_stats *s, unsigned dev)
{
	if (dev >= s->ndevs) {
		unsigned n = s->ndevs ? s->ndevs : 8;

		while (n <= dev)
			n *= 2;
		s->devs = xreallocarray(s->devs, n, sizeof(*s->devs));
		memset(s->devs + s->ndevs, 0, (n - s->ndevs) * sizeof(*s->devs));
		s->ndevs = n;
	}
	return &s->devs[dev];
}

static struct stats_cpu *cpu_slot(struct ism_stats *s, unsigned cpu)
{
	if (cpu >= s->ncpus) {
		unsigned n = s->ncpus ? s->ncpus : 4;

		while (n <= cpu)
			n *= 2;
		s->cpus = xreallocarray(s->cpus, n, sizeof(*s->cpus));
		memset(s->cpus + s->ncpus, 0, (n - s->ncpus) * sizeof(*s->cpus));
		s->ncpus = n;
	}
	return &s->cpus[cpu];
}

static struct stats_phase *new_phase(struct ism_stats *s, const char *name, size_t len,
				     uint64_t ts)
{
	struct stats_phase *p;

	if (s->nphases)
		s->phases[s->nphases - 1].end_ns = ts;
	s->phases = xreallocarray(s->phases, s->nphases + 1, sizeof(*s->phases));
	p = &s->phases[s->nphases++];
	memset(p, 0, sizeof(*p));
	p->name = xstrndup(name, len);
	p->start_ns = p->end_ns = ts;
	return p;
}

static unsigned size_bucket(uint64_t size)
{
	return size ? 64 - (unsigned)__builtin_clzll(size) : 0;
}

void stats_add(struct ism_stats *s, const struct ism_event *ev)
{
	detect_event(s->det, ev);
	struct stats_cpu *c = cpu_slot(s, ev->cpu);
	struct stats_dev *d = ev->dev ? dev_slot(s, ev->dev) : NULL;
	struct stats_phase *ph;

	s->events++;
	if (!s->have_ts) {
		s->first_ts = ev->ts_ns;
		s->have_ts = 1;
	}
	if (ev->ts_ns < s->first_ts)
		s->first_ts = ev->ts_ns;
	if (ev->ts_ns > s->last_ts)
		s->last_ts = ev->ts_ns;
	s->kind[ev->kind]++;
	c->events++;
	c->last_ts = ev->ts_ns;
	if (d)
		d->kind[ev->kind]++;

	if (ev->kind == ISM_EV_MARKER) {
		const char *ph_at = strstr(ev->text, "phase=");

		s->markers++;
		if (s->nmarker < STATS_MAX_MARKERS) {
			s->marker[s->nmarker].ts_ns = ev->ts_ns;
			s->marker[s->nmarker].text = xstrdup(ev->text);
			s->nmarker++;
		}
		if (ph_at && (ph_at == ev->text || ph_at[-1] == ' ')) {
			const char *n = ph_at + 6;
			size_t l = strcspn(n, " \t");

			if (l)
				new_phase(s, n, l, ev->ts_ns);
		}
	}
	if (!s->nphases)
		new_phase(s, "(start)", 7, ev->ts_ns);
	ph = &s->phases[s->nphases - 1];
	ph->events++;
	ph->kind[ev->kind]++;
	ph->end_ns = ev->ts_ns;

	switch (ev->kind) {
	case ISM_EV_MAP:
	case ISM_EV_MAP_SG:
		s->size_hist[size_bucket(ev->size)]++;
		s->map_bytes[ev->dir <= ISM_DIR_UNKNOWN ? ev->dir : ISM_DIR_UNKNOWN] += ev->size;
		ph->map_bytes += ev->size;
		if (d)
			d->map_bytes[ev->dir <= ISM_DIR_UNKNOWN ? ev->dir : ISM_DIR_UNKNOWN] += ev->size;
		if (ev->kind == ISM_EV_MAP_SG) {
			s->sg_entries_in += ev->nents;
			s->sg_entries_out += ev->ents;
			if (ev->flags & ISM_EF_TRUNCATED)
				s->sg_truncated++;
		}
		break;
	case ISM_EV_BOUNCE:
		s->bounces++;
		s->bounce_bytes += ev->size;
		if (ev->flags & ISM_EF_FORCE)
			s->bounces_forced++;
		if (d)
			d->bounce_bytes += ev->size;
		break;
	case ISM_EV_HCALL_ENTRY: {
		struct op_count *o = op_table_get(&s->ops, ev->opcode);

		o->entries++;
		op_table_get(&ph->ops, ev->opcode)->entries++;
		c->hcall_pending = 1;
		c->hcall_op = ev->opcode;
		c->hcall_ts = ev->ts_ns;
		break;
	}
	case ISM_EV_HCALL_EXIT: {
		struct op_count *o = op_table_get(&s->ops, ev->opcode);

		o->exits++;
		if (ev->retval != 0)
			o->failed++;
		if (c->hcall_pending && c->hcall_op == ev->opcode && ev->ts_ns >= c->hcall_ts) {
			uint64_t dt = ev->ts_ns - c->hcall_ts;

			o->paired++;
			o->total_ns += dt;
			if (dt > o->max_ns)
				o->max_ns = dt;
		}
		c->hcall_pending = 0;
		break;
	}
	case ISM_EV_LOST:
		s->lost_reports++;
		s->lost_events += ev->count;
		if (ev->flags & ISM_EF_LOST_UNKNOWN)
			s->lost_unknown++;
		/* a loss breaks any pending entry/exit pair on this CPU */
		c->hcall_pending = 0;
		break;
	default:
		break;
	}
}

/* ---- rendering ------------------------------------------------------------- */

static const char *bucket_label(unsigned b, char *buf, size_t len)
{
	char lo[32];

	if (b == 0)
		return "0";
	ism_human_bytes(1ull << (b - 1), lo, sizeof(lo));
	snprintf(buf, len, ">= %s", lo);
	return buf;
}

static unsigned ncpus_seen(const struct ism_stats *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->ncpus; i++)
		if (s->cpus[i].events)
			n++;
	return n;
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void print_unknown(const struct reader *r, FILE *out)
{
	uint64_t total = 0;

	for (unsigned i = 1; i <= r->unknown.n; i++)
		total += r->unknown_count[i];
	if (!total)
		return;
	fprintf(out, "\nskipped events (not modelled): %" PRIu64 "\n", total);
	for (unsigned i = 1; i <= r->unknown.n; i++)
		fprintf(out, "  %-40s %12" PRIu64 "\n", r->unknown.names[i], r->unknown_count[i]);
}

void stats_print_text(const struct ism_stats *s, const struct reader *r, FILE *out)
{
	char b1[32], b2[32], b3[32], lbl[48];
	const char *v;
	uint64_t dur = s->have_ts ? s->last_ts - s->first_ts : 0;
	unsigned nops;
	struct op_count **ops;

	fprintf(out, "trace: %s (%s", r->path, r->ops->name);
	v = reader_get_prov(r, "source_compression");
	if (v && strcmp(v, "none"))
		fprintf(out, ", %s", v);
	fprintf(out, ")\n");
	if ((v = reader_get_prov(r, "kernel")))
		fprintf(out, "kernel: %s\n", v);
	if ((v = reader_get_prov(r, "clock")))
		fprintf(out, "clock: %s\n", v);
	if ((v = reader_get_prov(r, "events_missing")) && *v)
		fprintf(out, "events not defined in this trace: %s\n", v);
	fprintf(out, "duration: %.6f s (%.6f .. %.6f), %" PRIu64 " events, %u CPUs with events\n",
		secs(dur), secs(s->first_ts), secs(s->last_ts), s->events, ncpus_seen(s));
	if (s->lost_reports)
		fprintf(out, "LOST EVENTS: %" PRIu64 " in %" PRIu64 " reports%s\n", s->lost_events,
			s->lost_reports, s->lost_unknown ? " (some of unknown size)" : "");
	{
		struct detect_result d;

		detect_finish(s->det, r, &d);
		fprintf(out, "recorded strategy: %s (%s)", *d.spec ? d.spec : "unknown", d.why);
		if (d.page_bytes)
			fprintf(out, ", IOMMU page %" PRIu64 " KiB", d.page_bytes >> 10);
		fputc('\n', out);
	}

	fprintf(out, "\nevents by kind:\n");
	for (unsigned k = 1; k < ISM_EV__COUNT; k++)
		if (s->kind[k])
			fprintf(out, "  %-14s %12" PRIu64 "\n", ism_kind_name(k), s->kind[k]);

	fprintf(out, "\nevents by CPU:\n");
	for (unsigned i = 0; i < s->ncpus; i++)
		if (s->cpus[i].events)
			fprintf(out, "  cpu%-4u %12" PRIu64 "\n", i, s->cpus[i].events);

	if (r->devs.n) {
		fprintf(out, "\ndevices:\n  %-22s %9s %9s %8s %8s %7s %7s %8s %8s %12s\n", "device",
			"map", "unmap", "map_sg", "unmap_sg", "alloc", "free", "sync", "bounce",
			"mapped");
		for (unsigned i = 1; i <= r->devs.n && i < s->ndevs; i++) {
			const struct stats_dev *d = &s->devs[i];
			uint64_t mb = 0;

			for (int k = 0; k < 5; k++)
				mb += d->map_bytes[k];
			fprintf(out, "  %-22s %9" PRIu64 " %9" PRIu64 " %8" PRIu64 " %8" PRIu64
				" %7" PRIu64 " %7" PRIu64 " %8" PRIu64 " %8" PRIu64 " %12s\n",
				reader_dev_name(r, i), d->kind[ISM_EV_MAP], d->kind[ISM_EV_UNMAP],
				d->kind[ISM_EV_MAP_SG], d->kind[ISM_EV_UNMAP_SG],
				d->kind[ISM_EV_ALLOC], d->kind[ISM_EV_FREE],
				d->kind[ISM_EV_SYNC_CPU] + d->kind[ISM_EV_SYNC_DEV] +
					d->kind[ISM_EV_SYNC_SG_CPU] + d->kind[ISM_EV_SYNC_SG_DEV],
				d->kind[ISM_EV_BOUNCE], ism_human_bytes(mb, b1, sizeof(b1)));
		}
	}

	if (s->kind[ISM_EV_MAP] + s->kind[ISM_EV_MAP_SG]) {
		uint64_t max = 0;

		fprintf(out, "\nmapped bytes by direction: to_device %s, from_device %s, "
			"bidirectional %s\n", ism_human_bytes(s->map_bytes[ISM_DIR_TO_DEVICE], b1, sizeof(b1)),
			ism_human_bytes(s->map_bytes[ISM_DIR_FROM_DEVICE], b2, sizeof(b2)),
			ism_human_bytes(s->map_bytes[ISM_DIR_BIDIRECTIONAL], b3, sizeof(b3)));
		if (s->kind[ISM_EV_MAP_SG])
			fprintf(out, "sg entries: %" PRIu64 " in, %" PRIu64 " mapped%s\n",
				s->sg_entries_in, s->sg_entries_out,
				s->sg_truncated ? " (some lists truncated)" : "");
		fprintf(out, "\nmap sizes (map + map_sg):\n");
		for (unsigned b = 0; b < 65; b++)
			if (s->size_hist[b] > max)
				max = s->size_hist[b];
		for (unsigned b = 0; b < 65; b++) {
			int bar;

			if (!s->size_hist[b])
				continue;
			bar = (int)((s->size_hist[b] * 50 + max - 1) / max);
			fprintf(out, "  %-12s %10" PRIu64 " %.*s\n", bucket_label(b, lbl, sizeof(lbl)),
				s->size_hist[b], bar, "##################################################");
		}
	}

	ops = op_table_sorted(&s->ops, &nops);
	if (nops) {
		fprintf(out, "\nhypercalls:\n  %-26s %7s %10s %10s %9s %12s %10s %10s\n", "opcode",
			"number", "entries", "exits", "failed", "total_us", "mean_ns", "max_ns");
		for (unsigned i = 0; i < nops; i++) {
			const struct op_count *o = ops[i];

			fprintf(out, "  %-26s %7" PRIu64 " %10" PRIu64 " %10" PRIu64 " %9" PRIu64
				" %12.1f %10.0f %10" PRIu64 "\n",
				hcall_label(o->opcode, lbl, sizeof(lbl)), o->opcode, o->entries, o->exits,
				o->failed, (double)o->total_ns / 1e3,
				o->paired ? (double)o->total_ns / (double)o->paired : 0.0, o->max_ns);
		}
	}
	free(ops);

	if (s->bounces)
		fprintf(out, "\nswiotlb: %" PRIu64 " bounces (%" PRIu64 " forced), %s bounced\n",
			s->bounces, s->bounces_forced, ism_human_bytes(s->bounce_bytes, b1, sizeof(b1)));

	if (s->markers) {
		fprintf(out, "\nmarkers: %" PRIu64 "\n", s->markers);
		for (unsigned i = 0; i < s->nmarker; i++)
			fprintf(out, "  %.6f  %s\n", secs(s->marker[i].ts_ns), s->marker[i].text);
		if (s->markers > s->nmarker)
			fprintf(out, "  ... %" PRIu64 " more\n", s->markers - s->nmarker);
	}
	if (s->nphases > 1 || (s->nphases == 1 && strcmp(s->phases[0].name, "(start)"))) {
		fprintf(out, "\nphases:\n  %-14s %11s %10s %9s %8s %8s %8s %11s %9s %8s\n", "phase",
			"start_s", "length_s", "events", "maps", "unmaps", "bounces", "mapped",
			"hcalls", "tce_hc");
		for (unsigned i = 0; i < s->nphases; i++) {
			const struct stats_phase *p = &s->phases[i];
			uint64_t hc = 0, tce = 0;
			struct op_count **po;
			unsigned np;

			po = op_table_sorted(&p->ops, &np);
			for (unsigned j = 0; j < np; j++) {
				hc += po[j]->entries;
				if (po[j]->opcode == H_PUT_TCE || po[j]->opcode == H_STUFF_TCE ||
				    po[j]->opcode == H_PUT_TCE_INDIRECT)
					tce += po[j]->entries;
			}
			free(po);
			fprintf(out, "  %-14s %11.6f %10.6f %9" PRIu64 " %8" PRIu64 " %8" PRIu64
				" %8" PRIu64 " %11s %9" PRIu64 " %8" PRIu64 "\n",
				p->name, secs(p->start_ns), secs(p->end_ns - p->start_ns), p->events,
				p->kind[ISM_EV_MAP] + p->kind[ISM_EV_MAP_SG],
				p->kind[ISM_EV_UNMAP] + p->kind[ISM_EV_UNMAP_SG], p->kind[ISM_EV_BOUNCE],
				ism_human_bytes(p->map_bytes, b1, sizeof(b1)), hc, tce);
		}
	}
	print_unknown(r, out);
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *kinds_json(const uint64_t *kind)
{
	json_t *o = json_object();

	for (unsigned k = 1; k < ISM_EV__COUNT; k++)
		json_object_set_new(o, ism_kind_name(k), json_integer((json_int_t)kind[k]));
	return o;
}

static json_t *ops_json(const struct op_table *t, int timing)
{
	json_t *a = json_array();
	unsigned n;
	struct op_count **v = op_table_sorted(t, &n);
	char lbl[32];

	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "opcode", json_integer((json_int_t)v[i]->opcode));
		json_object_set_new(o, "name", json_string(hcall_label(v[i]->opcode, lbl, sizeof(lbl))));
		json_object_set_new(o, "entries", json_integer((json_int_t)v[i]->entries));
		if (timing) {
			json_object_set_new(o, "exits", json_integer((json_int_t)v[i]->exits));
			json_object_set_new(o, "failed", json_integer((json_int_t)v[i]->failed));
			json_object_set_new(o, "paired", json_integer((json_int_t)v[i]->paired));
			json_object_set_new(o, "total_ns", json_integer((json_int_t)v[i]->total_ns));
			json_object_set_new(o, "mean_ns", json_integer(v[i]->paired ?
				(json_int_t)(v[i]->total_ns / v[i]->paired) : 0));
			json_object_set_new(o, "max_ns", json_integer((json_int_t)v[i]->max_ns));
		}
		json_array_append_new(a, o);
	}
	free(v);
	return a;
}

static json_t *dirs_json(const uint64_t *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "bidirectional_bytes", json_integer((json_int_t)b[0]));
	json_object_set_new(o, "to_device_bytes", json_integer((json_int_t)b[1]));
	json_object_set_new(o, "from_device_bytes", json_integer((json_int_t)b[2]));
	json_object_set_new(o, "none_bytes", json_integer((json_int_t)b[3]));
	json_object_set_new(o, "unknown_bytes", json_integer((json_int_t)b[4]));
	return o;
}

json_t *stats_to_json(const struct ism_stats *s, const struct reader *r)
{
	json_t *o = json_object(), *a, *x;

	json_object_set_new(o, "trace", json_string(r->path));
	json_object_set_new(o, "format", json_string(r->ops->name));
	x = json_object();
	for (unsigned i = 0; i < r->nprov; i++)
		if (strcmp(r->prov[i].key, "source"))
			json_object_set_new(x, r->prov[i].key, json_string(r->prov[i].value));
	json_object_set_new(o, "provenance", x);
	json_object_set_new(o, "events", json_integer((json_int_t)s->events));
	json_object_set_new(o, "first_ts_ns", json_integer((json_int_t)s->first_ts));
	json_object_set_new(o, "last_ts_ns", json_integer((json_int_t)s->last_ts));
	json_object_set_new(o, "duration_ns",
			    json_integer((json_int_t)(s->have_ts ? s->last_ts - s->first_ts : 0)));
	json_object_set_new(o, "lost_events", json_integer((json_int_t)s->lost_events));
	json_object_set_new(o, "lost_reports", json_integer((json_int_t)s->lost_reports));
	{
		struct detect_result d;

		detect_finish(s->det, r, &d);
		x = json_object();
		json_object_set_new(x, "spec", json_string(d.spec));
		json_object_set_new(x, "evidence", json_string(d.why));
		json_object_set_new(x, "iommu_page_bytes", json_integer((json_int_t)d.page_bytes));
		json_object_set_new(o, "recorded_strategy", x);
	}
	json_object_set_new(o, "events_by_kind", kinds_json(s->kind));

	a = json_array();
	for (unsigned i = 0; i < s->ncpus; i++)
		if (s->cpus[i].events) {
			x = json_object();
			json_object_set_new(x, "cpu", json_integer(i));
			json_object_set_new(x, "events", json_integer((json_int_t)s->cpus[i].events));
			json_array_append_new(a, x);
		}
	json_object_set_new(o, "cpus", a);

	a = json_array();
	for (unsigned i = 1; i <= r->devs.n && i < s->ndevs; i++) {
		x = json_object();
		json_object_set_new(x, "device", json_string(reader_dev_name(r, i)));
		json_object_set_new(x, "events_by_kind", kinds_json(s->devs[i].kind));
		json_object_set_new(x, "mapped", dirs_json(s->devs[i].map_bytes));
		json_object_set_new(x, "bounced_bytes", json_integer((json_int_t)s->devs[i].bounce_bytes));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "devices", a);

	json_object_set_new(o, "mapped", dirs_json(s->map_bytes));
	a = json_array();
	for (unsigned b = 0; b < 65; b++)
		if (s->size_hist[b]) {
			x = json_object();
			json_object_set_new(x, "min_bytes", json_integer(b ? (json_int_t)(1ull << (b - 1)) : 0));
			json_object_set_new(x, "max_bytes", json_integer(b ? (json_int_t)((b < 64 ? (1ull << b) : 0) - 1) : 0));
			json_object_set_new(x, "count", json_integer((json_int_t)s->size_hist[b]));
			json_array_append_new(a, x);
		}
	json_object_set_new(o, "map_size_histogram", a);
	x = json_object();
	json_object_set_new(x, "entries_in", json_integer((json_int_t)s->sg_entries_in));
	json_object_set_new(x, "entries_mapped", json_integer((json_int_t)s->sg_entries_out));
	json_object_set_new(x, "truncated_lists", json_integer((json_int_t)s->sg_truncated));
	json_object_set_new(o, "sg", x);
	json_object_set_new(o, "hcalls", ops_json(&s->ops, 1));
	x = json_object();
	json_object_set_new(x, "bounces", json_integer((json_int_t)s->bounces));
	json_object_set_new(x, "forced", json_integer((json_int_t)s->bounces_forced));
	json_object_set_new(x, "bounced_bytes", json_integer((json_int_t)s->bounce_bytes));
	json_object_set_new(o, "swiotlb", x);

	a = json_array();
	for (unsigned i = 0; i < s->nmarker; i++) {
		x = json_object();
		json_object_set_new(x, "ts_ns", json_integer((json_int_t)s->marker[i].ts_ns));
		json_object_set_new(x, "text", json_string(s->marker[i].text));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "markers_total", json_integer((json_int_t)s->markers));
	json_object_set_new(o, "markers", a);

	a = json_array();
	for (unsigned i = 0; i < s->nphases; i++) {
		const struct stats_phase *p = &s->phases[i];

		x = json_object();
		json_object_set_new(x, "name", json_string(p->name));
		json_object_set_new(x, "start_ns", json_integer((json_int_t)p->start_ns));
		json_object_set_new(x, "duration_ns", json_integer((json_int_t)(p->end_ns - p->start_ns)));
		json_object_set_new(x, "events", json_integer((json_int_t)p->events));
		json_object_set_new(x, "events_by_kind", kinds_json(p->kind));
		json_object_set_new(x, "mapped_bytes", json_integer((json_int_t)p->map_bytes));
		json_object_set_new(x, "hcalls", ops_json(&p->ops, 0));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "phases", a);

	x = json_object();
	for (unsigned i = 1; i <= r->unknown.n; i++)
		json_object_set_new(x, r->unknown.names[i], json_integer((json_int_t)r->unknown_count[i]));
	json_object_set_new(o, "skipped_events", x);
	return o;
}
