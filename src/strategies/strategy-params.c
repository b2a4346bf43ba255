/*
 * strategy-params.c: strategies' own parameters (strategy_ops.params, fio's .options with
 * .option_struct_size as the model). In a scenario they are "strategy": {"NAME": {"KEY": ...}}
 * and with --set strategy.NAME.KEY=VALUE; the scenario keeps them as given (scenario.h) and
 * this file checks them against every strategy's table when a run starts, then fills each
 * instance's option structure (struct strat.opts): the table's defaults, the file, the sets.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "param.h"
#include "strategy.h"
#include "util.h"

#define OPT_ALIGN 16

/* Every strategy's rows as "strategy.NAME.KEY", offsets into one blob; *size: its bytes. */
static struct param *combined(size_t *size)
{
	unsigned n = 0, k = 0;
	size_t off = 0;
	struct param *tab;

	for (unsigned i = 0; strategy_table[i]; i++)
		for (const struct param *p = strategy_table[i]->params; p && p->path; p++)
			n++;
	tab = xcalloc(n + 1, sizeof(*tab));
	for (unsigned i = 0; strategy_table[i]; i++) {
		const struct strategy_ops *o = strategy_table[i];

		if (!o->params)
			continue;
		for (const struct param *p = o->params; p->path; p++) {
			tab[k] = *p;
			tab[k].path = xasprintf("strategy.%s.%s", o->name, p->path);
			tab[k++].offset = off + p->offset;
		}
		off += (o->params_size + OPT_ALIGN - 1) & ~(size_t)(OPT_ALIGN - 1);
	}
	*size = off;
	return tab;
}

static void combined_free(struct param *tab)
{
	for (struct param *p = tab; p->path; p++)
		free((char *)(uintptr_t)p->path);
	free(tab);
}

static struct param_src scenario_src(const struct scenario *sc)
{
	struct param_src src = { .file = sc->path, .text = sc->text, .len = sc->text_len };

	return src;
}

int strategy_params_check(const struct scenario *sc, char **cause)
{
	size_t size;
	struct param *tab = combined(&size);
	void *blob = xcalloc(1, size ? size : 1);
	int r = 0;

	param_defaults(tab, blob);
	if (sc->strategy_json) {
		json_t *root = json_pack("{sO}", "strategy", (json_t *)sc->strategy_json);
		struct param_src src = scenario_src(sc);

		r = param_load_json(tab, blob, root, &src, cause);
		json_decref(root);
	}
	for (unsigned i = 0; !r && i < sc->nstrategy_sets; i++)
		r = param_set(tab, blob, sc->strategy_sets[i], NULL, cause);
	param_free(tab, blob);
	free(blob);
	combined_free(tab);
	return r;
}

int strat_options(struct strat *s, char **cause)
{
	const struct strategy_ops *o = s->ops;
	size_t nlen = strlen(o->name);
	json_t *obj;
	int r = 0;

	if (!o->params)
		return 0;
	s->opts = xcalloc(1, o->params_size ? o->params_size : 1);
	param_defaults(o->params, s->opts);
	obj = s->sc->strategy_json ? json_object_get((json_t *)s->sc->strategy_json, o->name) : NULL;
	if (obj) {
		struct param_src src = scenario_src(s->sc);

		r = param_load_json(o->params, s->opts, obj, &src, cause);
	}
	for (unsigned i = 0; !r && i < s->sc->nstrategy_sets; i++) {
		const char *set = s->sc->strategy_sets[i] + strlen("strategy.");

		if (strncmp(set, o->name, nlen) == 0 && set[nlen] == '.')
			r = param_set(o->params, s->opts, set + nlen + 1, NULL, cause);
	}
	return r;
}

void strat_options_free(struct strat *s)
{
	if (s->opts)
		param_free(s->ops->params, s->opts);
	free(s->opts);
	s->opts = NULL;
}

void strategy_print_params(FILE *out, int verbose)
{
	size_t size;
	struct param *tab = combined(&size);

	if (tab[0].path)
		param_print(out, tab, verbose);
	combined_free(tab);
}

char *strategy_param_path(unsigned i)
{
	size_t size;
	struct param *tab = combined(&size);
	char *path = NULL;

	for (unsigned k = 0; tab[k].path; k++)
		if (k == i)
			path = xstrdup(tab[k].path);
	combined_free(tab);
	return path;
}
