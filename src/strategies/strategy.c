/*
 * strategy.c: the strategy table, spec parsing and stacking, exposure bookkeeping.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"
#include "strategy-iommu-dma.h"
#include "strategy.h"
#include "util.h"

/* The strategies: each one a file (strategy-NAME.c) that defines its ops, and a line here. */
extern const struct strategy_ops strategy_passthrough_ops;
extern const struct strategy_ops strategy_direct_tce_ops;
extern const struct strategy_ops strategy_indirect_tce_ops;
extern const struct strategy_ops strategy_window32_ops;
extern const struct strategy_ops strategy_ddw_ops;
extern const struct strategy_ops strategy_swiotlb_ops;
extern const struct strategy_ops strategy_pkvm_ops;
extern const struct strategy_ops strategy_xen_pv_iommu_ops;
extern const struct strategy_ops strategy_cc_shared_ops;
extern const struct strategy_ops strategy_pkvm_guest_ops;
extern const struct strategy_ops strategy_tdisp_ops;
extern const struct strategy_ops strategy_template_ops;

const struct strategy_ops *const strategy_table[] = {
	&strategy_passthrough_ops,
	&strategy_direct_tce_ops,
	&strategy_indirect_tce_ops,
	&strategy_window32_ops,
	&strategy_ddw_ops,
	&strategy_swiotlb_ops,
	&strategy_iommu_dma_ops,
	&strategy_pkvm_ops,
	&strategy_xen_pv_iommu_ops,
	&strategy_cc_shared_ops,
	&strategy_pkvm_guest_ops,
	&strategy_tdisp_ops,
	&strategy_template_ops,
	NULL,
};

/* Aliases: names users know for compositions the kernel makes. */
static const struct {
	const char *name, *spec, *summary;
	int secure; /* the composition runs the machine as a POWER Secure VM */
} aliases[] = {
	{ "svm", "swiotlb+ddw",
	  "POWER Secure VM since Linux 5.6: swiotlb forced and shared at boot, slots mapped "
	  "through TCEs with H_PUT_TCE per TCE (PUT_TCE_IND off), H_STUFF_TCE clears", 1 },
};

int strategy_on_arch(const struct strategy_ops *o, const char *arch)
{
	size_t n = strlen(arch);

	if (!o->arches)
		return 1;
	for (const char *p = o->arches; (p = strstr(p, arch)); p += n)
		if ((p == o->arches || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

const struct strategy_ops *strategy_find(const char *name)
{
	for (unsigned i = 0; strategy_table[i]; i++)
		if (strcmp(strategy_table[i]->name, name) == 0)
			return strategy_table[i];
	return NULL;
}

/* Bytes a field of @t takes (the option structure must hold it). */
static size_t field_size(enum param_type t)
{
	switch (t) {
	case PARAM_BOOL:
		return sizeof(int);
	case PARAM_STRING:
		return sizeof(char *);
	case PARAM_DOUBLE:
		return sizeof(double);
	default:
		return sizeof(uint64_t);
	}
}

static int check_params_stats(const struct strategy_ops *o, char **cause)
{
	unsigned n = 0;

	if (o->params) {
		char *why = NULL;

		if (!o->params_size) {
			*cause = xasprintf("strategy '%s': params[] without params_size", o->name);
			return -1;
		}
		if (param_table_check(o->params, &why) < 0) {
			*cause = xasprintf("strategy '%s': params[]: %s", o->name, why);
			free(why);
			return -1;
		}
		for (const struct param *p = o->params; p->path; p++)
			if (p->offset + field_size(p->type) > o->params_size || strchr(p->path, '.')) {
				*cause = xasprintf("strategy '%s': parameter '%s' outside params_size or "
						   "dotted", o->name, p->path);
				return -1;
			}
	}
	if (o->stats && !o->stat_values) {
		*cause = xasprintf("strategy '%s': stats[] without stat_values", o->name);
		return -1;
	}
	for (n = 0; o->stats && o->stats[n].name; n++) {
		const struct strat_stat *st = &o->stats[n];

		if (n >= STRAT_MAX_STATS || !st->unit || !st->help || st->better < -1 ||
		    st->better > 1 || strchr(st->name, '.')) {
			*cause = xasprintf("strategy '%s': statistic '%s': more than %d, a dotted name, "
					   "or no unit, help or direction", o->name, st->name,
					   STRAT_MAX_STATS);
			return -1;
		}
		for (unsigned j = 0; j < n; j++)
			if (strcmp(o->stats[j].name, st->name) == 0) {
				*cause = xasprintf("strategy '%s': statistic '%s' twice", o->name,
						   st->name);
				return -1;
			}
	}
	return 0;
}

int strategy_check_table(const struct strategy_ops *const *table, char **cause)
{
	for (unsigned i = 0; table[i]; i++) {
		const struct strategy_ops *o = table[i];

		if (!o->name || !*o->name || !o->summary || !o->init) {
			*cause = xasprintf("strategy %u: missing name, summary or init", i);
			return -1;
		}
		for (unsigned j = 0; j < i; j++)
			if (strcmp(table[j]->name, o->name) == 0) {
				*cause = xasprintf("strategy '%s' defined twice", o->name);
				return -1;
			}
		if (strchr(o->name, ':') || strchr(o->name, '+') || strchr(o->name, ',')) {
			*cause = xasprintf("strategy '%s': name has a reserved character", o->name);
			return -1;
		}
		if ((o->flags & STRAT_BOUNCE) && (!o->map || !o->unmap)) {
			*cause = xasprintf("strategy '%s': a bounce layer needs map and unmap", o->name);
			return -1;
		}
		if (o->check && (!o->check->name || !o->check->event)) {
			*cause = xasprintf("strategy '%s': its check needs a name and an event hook",
					   o->name);
			return -1;
		}
		if (o->variants && !o->variants[0]) {
			*cause = xasprintf("strategy '%s': empty variant list (NULL for none)", o->name);
			return -1;
		}
		if (check_params_stats(o, cause) < 0)
			return -1;
		for (unsigned v = 0; o->variants && o->variants[v]; v++) {
			if (!*o->variants[v] || strpbrk(o->variants[v], ":+,")) {
				*cause = xasprintf("strategy '%s': variant '%s' is empty or has a "
						   "reserved character", o->name, o->variants[v]);
				return -1;
			}
			for (unsigned w = 0; w < v; w++)
				if (strcmp(o->variants[w], o->variants[v]) == 0) {
					*cause = xasprintf("strategy '%s': variant '%s' twice", o->name,
							   o->variants[v]);
					return -1;
				}
		}
	}
	return 0;
}

int strategy_check(char **cause)
{
	return strategy_check_table(strategy_table, cause);
}

const char *strategy_alias(unsigned i, const char **spec, const char **summary)
{
	if (i >= ISM_ARRAY_SIZE(aliases))
		return NULL;
	*spec = aliases[i].spec;
	*summary = aliases[i].summary;
	return aliases[i].name;
}

static void exposure_advance(struct strat_pressure *p, uint64_t ts_ns)
{
	if (ts_ns > p->shared_last_ns) {
		p->shared_byte_seconds += (double)p->shared_bytes_now *
					  (double)(ts_ns - p->shared_last_ns) / 1e9;
		p->shared_last_ns = ts_ns;
	}
}

static int expo_used(const struct expo_timeline *tl, unsigned b)
{
	return (tl->used[b / 64] >> (b % 64)) & 1;
}

/* Double the bucket width: bucket i takes over buckets 2i and 2i+1. */
static void expo_merge(struct expo_timeline *tl)
{
	for (unsigned i = 0; i < EXPO_BUCKETS / 2; i++) {
		int u0 = expo_used(tl, 2 * i), u1 = expo_used(tl, 2 * i + 1);
		uint64_t pk = 0;

		if (u0)
			pk = tl->peak[2 * i];
		if (u1 && tl->peak[2 * i + 1] > pk)
			pk = tl->peak[2 * i + 1];
		tl->peak[i] = pk;
		tl->last[i] = u1 ? tl->last[2 * i + 1] : tl->last[2 * i];
		tl->used[i / 64] &= ~(1ull << (i % 64));
		tl->used[i / 64] |= (uint64_t)(u0 | u1) << (i % 64);
	}
	memset(tl->peak + EXPO_BUCKETS / 2, 0, sizeof(tl->peak) / 2);
	memset(tl->last + EXPO_BUCKETS / 2, 0, sizeof(tl->last) / 2);
	memset(tl->used + EXPO_BUCKETS / 128, 0, sizeof(tl->used) / 2);
	tl->width_ns *= 2;
}

/* The level went from @before to @after at @ts_ns. */
static void expo_note(struct expo_timeline *tl, uint64_t ts_ns, uint64_t before, uint64_t after)
{
	uint64_t hi = before > after ? before : after, b;

	if (!tl->width_ns)
		tl->width_ns = 1024;
	while (ts_ns / tl->width_ns >= EXPO_BUCKETS)
		expo_merge(tl);
	b = ts_ns / tl->width_ns;
	if (!expo_used(tl, (unsigned)b) || hi > tl->peak[b])
		tl->peak[b] = hi;
	tl->last[b] = after;
	tl->used[b / 64] |= 1ull << (b % 64);
}

uint64_t expo_timeline_level(const struct expo_timeline *tl, unsigned b)
{
	if (b >= EXPO_BUCKETS)
		return 0;
	if (expo_used(tl, b))
		return tl->peak[b];
	while (b-- > 0)
		if (expo_used(tl, b))
			return tl->last[b];
	return 0;
}

void strat_share(struct strat_pressure *p, uint64_t bytes, int outside_pool, uint64_t ts_ns)
{
	uint64_t before = p->shared_bytes_now;

	exposure_advance(p, ts_ns);
	p->shared_bytes_now += bytes;
	expo_note(&p->tl, ts_ns, before, p->shared_bytes_now);
	if (p->shared_bytes_now > p->shared_bytes_peak)
		p->shared_bytes_peak = p->shared_bytes_now;
	if (outside_pool) {
		p->shared_outside_now += bytes;
		if (p->shared_outside_now > p->shared_outside_pool_peak)
			p->shared_outside_pool_peak = p->shared_outside_now;
	}
}

void strat_unshare(struct strat_pressure *p, uint64_t bytes, int outside_pool, uint64_t ts_ns)
{
	uint64_t before = p->shared_bytes_now;

	exposure_advance(p, ts_ns);
	p->shared_bytes_now -= bytes > p->shared_bytes_now ? p->shared_bytes_now : bytes;
	expo_note(&p->tl, ts_ns, before, p->shared_bytes_now);
	if (outside_pool)
		p->shared_outside_now -= bytes > p->shared_outside_now ? p->shared_outside_now :
									  bytes;
}

int machine_put_tce_indirect(const struct scenario *sc)
{
	/* fw_hypertas_feature_init(): a secure guest clears FW_FEATURE_PUT_TCE_IND (5.6) */
	return sc->machine.put_tce_indirect && !sc->machine.secure_vm;
}

int machine_force_bounce(const struct scenario *sc)
{
	/* init_svm() forces swiotlb (5.4); swiotlb=force on the command line */
	return sc->machine.swiotlb_force || sc->machine.secure_vm;
}

/* ---- stacks ------------------------------------------------------------------------- */

static struct strat *strat_one(const char *name, size_t nlen, const char *variant, size_t vlen,
			       const struct scenario *sc, struct sim *sim, unsigned index,
			       char **cause)
{
	char *n = xstrndup(name, nlen), *shown;
	const struct strategy_ops *o = strategy_find(n);
	struct strat *s;

	if (!o) {
		const char *best = NULL;
		unsigned bd = 3;

		for (unsigned i = 0; strategy_table[i]; i++) {
			unsigned d = ism_edit_distance(n, strategy_table[i]->name);

			if (d < bd) {
				bd = d;
				best = strategy_table[i]->name;
			}
		}
		shown = param_show(n);
		*cause = best ? xasprintf("unknown strategy '%s'; did you mean '%s'?", shown, best) :
				xasprintf("unknown strategy '%s' (see `iommusim list strategies`)",
					  shown);
		free(shown);
		free(n);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->ops = o;
	s->sc = sc;
	s->sim = sim;
	s->index = index;
	if (o->variants) {
		s->variant = o->variants[0];
		if (variant) {
			int ok = 0;

			for (unsigned i = 0; o->variants[i]; i++)
				if (strlen(o->variants[i]) == vlen &&
				    memcmp(o->variants[i], variant, vlen) == 0) {
					s->variant = o->variants[i];
					ok = 1;
				}
			if (!ok) {
				char list[256] = "";

				for (unsigned i = 0; o->variants[i]; i++) {
					strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
					strncat(list, o->variants[i], sizeof(list) - strlen(list) - 1);
				}
				char *v = xstrndup(variant, vlen);

				shown = param_show(v);
				*cause = xasprintf("strategy '%s': unknown variant '%s' (one of: %s)",
						   n, shown, list);
				free(shown);
				free(v);
				free(s);
				free(n);
				return NULL;
			}
		}
	} else if (variant) {
		char *v = xstrndup(variant, vlen);

		shown = param_show(v);
		*cause = xasprintf("strategy '%s' has no variants (got ':%s')", n, shown);
		free(shown);
		free(v);
		free(s);
		free(n);
		return NULL;
	}
	free(n);
	if (o->priv_size)
		s->priv = xcalloc(1, o->priv_size);
	if (strat_options(s, cause) < 0) {
		strat_options_free(s);
		free(s->priv);
		free(s);
		return NULL;
	}
	return s;
}

/* "strategy spec 'SPEC': " and the rest, the spec shown cut (param_show()) */
static char *spec_cause(const char *spec, const char *fmt, ...) ISM_PRINTF(2, 3);
static char *spec_cause(const char *spec, const char *fmt, ...)
{
	char *shown = param_show(spec), *rest, *all;
	va_list ap;

	va_start(ap, fmt);
	rest = xvasprintf(fmt, ap);
	va_end(ap);
	all = xasprintf("strategy spec '%s': %s", shown, rest);
	free(rest);
	free(shown);
	return all;
}

struct strat *strat_new(const char *spec, const struct scenario *sc, struct sim *sim,
			unsigned index, char **cause)
{
	struct strat *top = NULL, **tail = &top;
	const char *p = spec;
	struct scenario *own = NULL;

	for (unsigned i = 0; i < ISM_ARRAY_SIZE(aliases); i++)
		if (strcmp(spec, aliases[i].name) == 0) {
			p = aliases[i].spec;
			if (aliases[i].secure) {
				/* init_svm(): swiotlb forced; fw_hypertas_feature_init(): no
				 * PUT_TCE_IND. The copy shares the strings of @sc. */
				own = xmalloc(sizeof(*own));
				*own = *sc;
				own->machine.secure_vm = 1;
				own->machine.swiotlb_force = 1;
				sc = own;
			}
		}
	if (!*p) {
		*cause = xstrdup("empty strategy spec");
		free(own);
		return NULL;
	}
	while (*p) {
		const char *plus = strchr(p, '+');
		size_t len = plus ? (size_t)(plus - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		struct strat *s;

		if (!len) {
			*cause = spec_cause(spec, "empty layer");
			strat_free(top);
			if (!top)
				free(own);
			return NULL;
		}
		s = strat_one(p, colon ? (size_t)(colon - p) : len, colon ? colon + 1 : NULL,
			      colon ? len - (size_t)(colon - p) - 1 : 0, sc, sim, index, cause);
		if (!s) {
			strat_free(top);
			if (!top)
				free(own);
			return NULL;
		}
		if (!top)
			s->own_sc = own;
		*tail = s;
		tail = &s->next;
		p += len;
		if (*p == '+' && !*++p) {
			*cause = spec_cause(spec, "empty layer after '+'");
			strat_free(top);
			return NULL;
		}
	}
	/*
	 * At most one bounce layer over at most one translation layer, as the kernel stacks them
	 * (swiotlb maps its slots through the IOMMU's dma_map_ops, not through another swiotlb);
	 * only a bounce layer may have a layer below; a bounce layer alone bounces to dma-direct.
	 */
	for (struct strat *s = top; s; s = s->next)
		if (s->next && (s->ops->flags & STRAT_BOUNCE) &&
		    (s->next->ops->flags & STRAT_BOUNCE)) {
			*cause = spec_cause(spec, "two bounce layers ('%s+%s'); a spec is one bounce "
					    "layer over one translation layer (e.g. swiotlb+ddw)",
					    s->ops->name, s->next->ops->name);
			strat_free(top);
			return NULL;
		}
	for (struct strat *s = top; s; s = s->next)
		if (s->next && !(s->ops->flags & STRAT_BOUNCE)) {
			*cause = spec_cause(spec, "'%s' is a translation layer and must be last "
					    "(e.g. swiotlb+ddw)", s->ops->name);
			strat_free(top);
			return NULL;
		}
	for (struct strat *s = top; s; s = s->next) {
		if (s->ops->init(s, cause) < 0) {
			strat_free(top);
			return NULL;
		}
	}
	return top;
}

void strat_free(struct strat *s)
{
	while (s) {
		struct strat *n = s->next;

		if (s->ops->fini)
			s->ops->fini(s);
		free(s->priv);
		strat_options_free(s);
		free(s->own_sc);
		free(s);
		s = n;
	}
}

const char *strat_spec(const struct strat *s, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; s; s = s->next) {
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s%s%s", n ? "+" : "",
				      s->ops->name, s->variant && s->ops->variants &&
				      s->variant != s->ops->variants[0] ? ":" : "",
				      s->variant && s->ops->variants &&
				      s->variant != s->ops->variants[0] ? s->variant : "");
	}
	return buf;
}

int strat_map_next(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return s->next && s->next->ops->map ? s->next->ops->map(s->next, rq, a) : 0;
}

int strat_map_sg_next(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	return s->next && s->next->ops->map_sg ? s->next->ops->map_sg(s->next, rq, a) : 0;
}

void strat_unmap_next(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	if (s->next && s->next->ops->unmap)
		s->next->ops->unmap(s->next, rq, a);
}

void strat_unmap_sg_next(struct strat *s, struct dma_req *rq, struct actbuf *a)
{
	if (s->next && s->next->ops->unmap_sg)
		s->next->ops->unmap_sg(s->next, rq, a);
}
