/*
 * cmd-list.c: `iommusim list` - what this build knows.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "cmd.h"
#include "event.h"
#include "reader.h"

void help_list(FILE *out)
{
	fprintf(out,
		"usage: iommusim list [readers|kinds|hcalls]\n\n"
		"  readers  trace formats built into this iommusim\n"
		"  kinds    normalised event kinds\n"
		"  hcalls   powerpc hypercall opcodes iommusim names\n"
		"Without an argument, all three.\n");
}

int cmd_list(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : NULL;
	int any = 0;

	if (argc > 2)
		return usage_error("list", "too many arguments");
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
