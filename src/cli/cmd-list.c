/*
 * cmd-list.c: `iommusim list` - what this build knows.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "cmd.h"
#include "event.h"
#include "reader.h"
#include "scenario.h"
#include "strategy.h"

void help_list(FILE *out)
{
	fprintf(out,
		"usage: iommusim list [-v] [strategies|params|readers|kinds|hcalls]\n\n"
		"  strategies  DMA-mapping strategies, their variants and named compositions\n"
		"  params      scenario parameters with defaults and sources (-v: ranges, help)\n"
		"  readers     trace formats built into this iommusim\n"
		"  kinds       normalised event kinds\n"
		"  hcalls      powerpc hypercall opcodes iommusim names\n"
		"Without an argument, all of them.\n");
}

int cmd_list(int argc, char **argv)
{
	int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	const char *what = argc > 1 + verbose ? argv[1 + verbose] : NULL;
	int any = 0;

	if (argc > 2 + verbose)
		return usage_error("list", "too many arguments");
	if (!what || strcmp(what, "strategies") == 0) {
		const char *spec, *summary, *name;

		printf("strategies:\n");
		for (unsigned i = 0; strategy_table[i]; i++) {
			const struct strategy_ops *o = strategy_table[i];

			printf("  %-14s %s%s\n", o->name,
			       o->flags & STRAT_BOUNCE ? "[bounce layer] " : "", o->summary);
			if (o->variants) {
				printf("  %-14s variants:", "");
				for (unsigned k = 0; o->variants[k]; k++)
					printf(" %s%s", o->variants[k], k ? "" : " (default)");
				printf("\n");
			}
		}
		for (unsigned i = 0; (name = strategy_alias(i, &spec, &summary)) != NULL; i++)
			printf("  %-14s = %s: %s\n", name, spec, summary);
		any = 1;
	}
	if (!what || strcmp(what, "params") == 0) {
		printf("params:\n");
		scenario_print_params(stdout, verbose);
		strategy_print_params(stdout, verbose);
		any = 1;
	}
	if (!what || strcmp(what, "readers") == 0) {
		printf("readers:\n");
		for (unsigned i = 0; reader_table[i]; i++)
			printf("  %-10s %s\n", reader_table[i]->name, reader_table[i]->summary);
#ifndef HAVE_TRACECMD
		printf("  (tracedat: not built; install libtracecmd-dev and reconfigure)\n");
#endif
		any = 1;
	}
	if (!what || strcmp(what, "kinds") == 0) {
		printf("kinds:\n");
		for (unsigned k = 1; k < ISM_EV__COUNT; k++)
			printf("  %2u %s\n", k, ism_kind_name(k));
		any = 1;
	}
	if (!what || strcmp(what, "hcalls") == 0) {
		printf("hcalls:\n");
		for (uint64_t op = 0; op <= 0xffff; op++) {
			const char *n = ism_hcall_name(op);

			if (n)
				printf("  %6" PRIu64 " 0x%04" PRIx64 " %s\n", op, op, n);
		}
		any = 1;
	}
	if (!any)
		return usage_error("list", "unknown list '%s'", what);
	return EXIT_OK;
}
