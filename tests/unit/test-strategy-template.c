/*
 * test-strategy-template.c: the example strategy alone (strategy-template.c), and through it the
 * strategy plumbing it shows: a parameter from the scenario file and from --set, a variant, a
 * resource, the share actions, the statistics registry.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "scenario.h"
#include "sim.h"
#include "strategy.h"

#define KIB 1024ull

struct fix {
	struct scenario sc;
	struct sim *sim;
	struct strat *s;
	struct actbuf ab;
};

static void fix_stack(struct fix *f, const char *spec)
{
	char *cause = NULL;
	char *specs[] = { "passthrough" };

	f->sim = sim_new(&f->sc, specs, 1, &cause);
	cr_assert_not_null(f->sim, "%s", cause ? cause : "");
	f->s = strat_new(spec, &f->sc, f->sim, 1, &cause);
	cr_assert_not_null(f->s, "%s: %s", spec, cause ? cause : "");
}

static void fix_new(struct fix *f, const char *spec)
{
	char *cause = NULL;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(scenario_load(NULL, &f->sc, &cause), 0);
	fix_stack(f, spec);
}

static void fix_free(struct fix *f)
{
	strat_free(f->s);
	sim_free(f->sim);
	actbuf_free(&f->ab);
	scenario_free(&f->sc);
}

static uint64_t sum(const struct actbuf *ab, enum act_kind kind, int units)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < ab->n; i++)
		if (ab->a[i].kind == kind)
			n += units ? ab->a[i].units : ab->a[i].calls;
	return n;
}

static void map(struct fix *f, uint64_t phys, uint64_t size)
{
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_TO_DEVICE, .key = phys, .phys = phys,
			      .size = size };

	actbuf_reset(&f->ab);
	cr_assert_eq(f->s->ops->map(f->s, &rq, &f->ab), 0);
}

static void unmap(struct fix *f, uint64_t phys)
{
	struct dma_req rq = { .dev = 1, .dir = ISM_DIR_TO_DEVICE, .key = phys };

	actbuf_reset(&f->ab);
	f->s->ops->unmap(f->s, &rq, &f->ab);
}

static double stat(struct fix *f, const char *name)
{
	double v[8];
	unsigned i;

	f->s->ops->stat_values(f->s, v);
	for (i = 0; f->s->ops->stats[i].name; i++)
		if (strcmp(f->s->ops->stats[i].name, name) == 0)
			return v[i];
	cr_assert_fail("no statistic %s", name);
	return -1;
}

/* per-map: 3 pages shared by 3 calls (batch 1), under the host share lock; unshared at unmap */
Test(template, per_map_shares_while_mapped)
{
	struct fix f;

	fix_new(&f, "template");
	cr_expect_str_eq(f.s->variant, "per-map");
	map(&f, 0x100000, 3 * 4 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0), 3);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 1), 3);
	cr_expect_eq(f.ab.a[f.ab.n - 1].outside, 1, "streaming buffers are outside any pool");
	cr_expect_eq(sum(&f.ab, ACT_LOCK, 0), 1);
	cr_expect_neq(f.ab.a[1].res, 0, "the share holds the host share lock");
	/* a second buffer on the last of those pages: two new pages, one reference */
	map(&f, 0x102800, 8 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 1), 2);
	cr_expect_eq(stat(&f, "page_refs_taken"), 1);
	cr_expect_eq(stat(&f, "shared_pages_peak"), 5);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 1), 2, "the shared page stays with its other map");
	unmap(&f, 0x102800);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 1), 3);
	unmap(&f, 0x102800);
	cr_expect_eq(f.ab.n, 0, "an unmap of nothing live does nothing");
	fix_free(&f);
}

/* keep: shared once, never unshared; mapping the page again costs no call */
Test(template, keep_never_unshares)
{
	struct fix f;

	fix_new(&f, "template:keep");
	map(&f, 0x100000, 4 * KIB);
	unmap(&f, 0x100000);
	cr_expect_eq(sum(&f.ab, ACT_UNSHARE, 0), 0);
	map(&f, 0x100000, 4 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0), 0);
	fix_free(&f);
}

/* strategy.template.batch_pages from --set: 1000 pages in ceil(1000/512) = 2 calls */
Test(template, parameter_from_set)
{
	struct fix f;
	char *cause = NULL;

	memset(&f, 0, sizeof(f));
	cr_assert_eq(scenario_load(NULL, &f.sc, &cause), 0);
	cr_assert_eq(scenario_set(&f.sc, "strategy.template.batch_pages", "512", &cause), 0);
	fix_stack(&f, "template");
	map(&f, 0x1000000, 1000 * 4 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0), 2);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 1), 1000);
	fix_free(&f);
}

/* from the scenario file, checked strictly when a run starts */
Test(template, parameter_from_file)
{
	struct fix f;
	char *cause = NULL;
	char *path = tmp_text("{\"schema_version\": 1,\n \"strategy\": {\"template\": "
			      "{\"batch_pages\": 4}}}\n");
	char *bad = tmp_text("{\"schema_version\": 1,\n \"strategy\": {\"template\": "
			     "{\"batch_page\": 4}}}\n");
	char *specs[] = { "template" };

	memset(&f, 0, sizeof(f));
	cr_assert_eq(scenario_load(path, &f.sc, &cause), 0, "%s", cause ? cause : "");
	fix_stack(&f, "template");
	map(&f, 0x1000000, 10 * 4 * KIB);
	cr_expect_eq(sum(&f.ab, ACT_SHARE, 0), 3);
	fix_free(&f);

	memset(&f, 0, sizeof(f));
	cr_assert_eq(scenario_load(bad, &f.sc, &cause), 0, "%s", cause ? cause : "");
	cr_expect_null(sim_new(&f.sc, specs, 1, &cause));
	cr_expect(cause && strstr(cause, "strategy.template.batch_page") &&
		  strstr(cause, "batch_pages") && strstr(cause, ":2:"), "%s", cause ? cause : "");
	free(cause);
	cause = NULL;
	cr_assert_eq(scenario_set(&f.sc, "strategy.template.batch_pages", "0", &cause), 0);
	scenario_free(&f.sc);
	unlink(path);
	unlink(bad);
	free(path);
	free(bad);
}

Test(template, bad_set_rejected_at_run_start)
{
	struct scenario sc;
	char *cause = NULL;
	char *specs[] = { "passthrough" };

	cr_assert_eq(scenario_load(NULL, &sc, &cause), 0);
	cr_assert_eq(scenario_set(&sc, "strategy.template.batch_pages", "0", &cause), 0);
	cr_expect_null(sim_new(&sc, specs, 1, &cause));
	cr_expect(cause && strstr(cause, "strategy.template.batch_pages"), "%s",
		  cause ? cause : "");
	free(cause);
	cause = NULL;
	cr_expect_neq(scenario_set(&sc, "strategy.template", "1", &cause), 0,
		      "a strategy parameter is strategy.NAME.KEY");
	free(cause);
	scenario_free(&sc);
}

/* every strategy parameter is documented in iommusim-scenario(5) */
Test(template, parameters_documented)
{
	const char *src = getenv("ISM_SRCDIR");
	char *man;
	unsigned char *text;
	size_t len = 0;
	char *path;

	if (asprintf(&man, "%s/man/iommusim-scenario.5", src ? src : "..") < 0)
		abort();
	text = slurp(man, &len);
	cr_assert_not_null(text, "%s", man);
	text = realloc(text, len + 1);
	text[len] = 0;
	for (unsigned i = 0; (path = strategy_param_path(i)) != NULL; i++) {
		const char *key = strrchr(path, '.') + 1;

		cr_expect(strstr((char *)text, path) || strstr((char *)text, key),
			  "iommusim-scenario(5) does not document %s", path);
		free(path);
	}
	free(text);
	free(man);
}
