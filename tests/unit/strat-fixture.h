/*
 * strat-fixture.h: one strategy on its own, for the unit tests that drive a strategy's hooks
 * with hand-written requests (test-strategy-*.c). A fixture holds a scenario (the defaults,
 * with --set style changes), an engine that offers resources and device names, the strategy
 * made from a spec ("pkvm:use-dma"), and the action buffer its last hook filled.
 */
#ifndef ISM_TEST_STRAT_FIXTURE_H
#define ISM_TEST_STRAT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"
#include "sim.h"
#include "strategy.h"

#define KIB 1024ull
#define MIB (1024ull * 1024)

struct fix {
	struct scenario sc;
	struct sim *sim;
	struct strat *s;
	struct actbuf ab;
};

/* The engine's device names for the fixture (NULL: none), e.g. id 1 = "nvme0". */
typedef const char *(*fix_names_fn)(const void *arg, unsigned id);

/*
 * A fixture for @spec on the default scenario changed by @sets (NULL-terminated "path",
 * "value" pairs, as --set takes them; NULL: none), the engine's devices named by @devnames.
 */
static inline void fix_new_named(struct fix *f, const char *spec, const char *const *sets,
				 fix_names_fn devnames)
{
	char *cause = NULL;
	char *specs[] = { "passthrough" };

	memset(f, 0, sizeof(*f));
	cr_assert_eq(scenario_load(NULL, &f->sc, &cause), 0);
	for (unsigned i = 0; sets && sets[i]; i += 2)
		cr_assert_eq(scenario_set(&f->sc, sets[i], sets[i + 1], &cause), 0, "%s: %s",
			     sets[i], cause ? cause : "");
	f->sim = sim_new(&f->sc, specs, 1, &cause);
	cr_assert_not_null(f->sim, "%s", cause ? cause : "");
	if (devnames)
		sim_set_dev_names(f->sim, devnames, NULL);
	f->s = strat_new(spec, &f->sc, f->sim, 1, &cause);
	cr_assert_not_null(f->s, "%s: %s", spec, cause ? cause : "");
}

/* The device names of fix_new_sets() and the ones below: a test may #define FIX_NAMES first. */
#ifndef FIX_NAMES
#define FIX_NAMES NULL
#endif

static inline void fix_new_sets(struct fix *f, const char *spec, const char *const *sets)
{
	fix_new_named(f, spec, sets, FIX_NAMES);
}

/* One change of the scenario (@key NULL: none). */
static inline void fix_new_set(struct fix *f, const char *spec, const char *key, const char *val)
{
	const char *sets[] = { key, val, NULL };

	fix_new_sets(f, spec, key ? sets : NULL);
}

/* Two changes (@key2 NULL: one). */
static inline void fix_new_set2(struct fix *f, const char *spec, const char *key,
				const char *val, const char *key2, const char *val2)
{
	const char *sets[] = { key, val, key2, val2, NULL };

	if (!key2)
		sets[2] = NULL;
	fix_new_sets(f, spec, key ? sets : NULL);
}

static inline void fix_new(struct fix *f, const char *spec)
{
	fix_new_sets(f, spec, NULL);
}

static inline void fix_free(struct fix *f)
{
	strat_free(f->s);
	sim_free(f->sim);
	actbuf_free(&f->ab);
	scenario_free(&f->sc);
}

/* Calls (@units 0) or units (1) of the actions of @kind and operation @op (0: any). */
static inline uint64_t sum(const struct actbuf *ab, enum act_kind kind, uint32_t op, int units)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < ab->n; i++)
		if (ab->a[i].kind == kind && (!op || ab->a[i].op == op))
			n += units ? ab->a[i].units : ab->a[i].calls;
	return n;
}

/* The strategy's map hook on a streaming mapping of @size bytes at @phys (the key). */
static inline int map_dev(struct fix *f, uint16_t dev, uint8_t dir, uint64_t phys,
			  uint64_t size)
{
	struct dma_req rq = { .dev = dev, .dir = dir, .key = phys, .phys = phys, .size = size };

	actbuf_reset(&f->ab);
	return f->s->ops->map(f->s, &rq, &f->ab);
}

static inline void unmap_dev(struct fix *f, uint16_t dev, uint8_t dir, uint64_t phys)
{
	struct dma_req rq = { .dev = dev, .dir = dir, .key = phys };

	actbuf_reset(&f->ab);
	f->s->ops->unmap(f->s, &rq, &f->ab);
}

/* A coherent buffer of device 1 at @dma: the alloc and free hooks. */
static inline int alloc(struct fix *f, uint64_t dma, uint64_t size)
{
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_BIDIRECTIONAL, .coherent = 1, .key = dma,
			      .size = size };

	actbuf_reset(&f->ab);
	return f->s->ops->alloc(f->s, &rq, &f->ab);
}

static inline void dfree(struct fix *f, uint64_t dma, uint64_t size)
{
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_BIDIRECTIONAL, .coherent = 1, .key = dma,
			      .size = size };

	actbuf_reset(&f->ab);
	f->s->ops->free(f->s, &rq, &f->ab);
}

/* The strategy's statistic @name (its stats[] table), failing the test if it has none. */
static inline double stat(struct fix *f, const char *name)
{
	double v[STRAT_MAX_STATS];
	unsigned i;

	f->s->ops->stat_values(f->s, v);
	for (i = 0; f->s->ops->stats[i].name; i++)
		if (strcmp(f->s->ops->stats[i].name, name) == 0)
			return v[i];
	cr_assert_fail("no statistic %s", name);
	return -1;
}

/* What the strategy reports of its window and pool. */
static inline struct strat_pressure pressure(struct fix *f)
{
	struct strat_pressure pr;

	memset(&pr, 0, sizeof(pr));
	f->s->ops->report(f->s, &pr);
	return pr;
}

#endif
