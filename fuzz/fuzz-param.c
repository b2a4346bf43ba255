/*
 * fuzz-param.c: libFuzzer harness for the command-line parameter parsers. The first byte picks
 * the parser, the rest (up to a NUL) is the argument:
 *   0  --set PATH=VALUE (scenario_set(), then scenario_check())
 *   1  a strategy spec (-S), built into a simulation on the default scenario
 *   2  a sweep range or list (sweep -p PATH=VALUES)
 *   3  a regress threshold (regress -t)
 *   4  several --set arguments separated by newlines, then the checks between parameters
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "regress.h"
#include "scenario.h"
#include "sim.h"
#include "sweep.h"

static void set_lines(struct scenario *sc, char *arg)
{
	char *save = NULL, *cause = NULL;

	for (char *t = strtok_r(arg, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		if (scenario_set(sc, t, NULL, &cause) < 0) {
			free(cause);
			return;
		}
	}
	if (scenario_check(sc, &cause) < 0)
		free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario sc;
	struct sweep_param sp;
	struct regress_threshold th;
	struct sim *sim;
	char *arg, *cause = NULL;

	if (size < 1)
		return 0;
	arg = fuzz_string(data + 1, size - 1);
	if (scenario_load(NULL, &sc, &cause) < 0)
		abort();
	switch (data[0] % 5) {
	case 0:
		if (scenario_set(&sc, arg, NULL, &cause) == 0)
			(void)scenario_check(&sc, &cause);
		break;
	case 1:
		sim = sim_new(&sc, &arg, 1, &cause);
		if (sim)
			sim_free(sim);
		break;
	case 2:
		if (sweep_param_parse(arg, &sp, &cause) == 0) {
			(void)sweep_points(&sp, 1);
			sweep_param_free(&sp);
		}
		break;
	case 3:
		(void)regress_parse_threshold(arg, &th, &cause);
		break;
	case 4:
		set_lines(&sc, arg);
		break;
	}
	free(cause);
	scenario_free(&sc);
	free(arg);
	return 0;
}
