/*
 * cmd-lint.c: `iommusim lint` - is this trace consistent enough to replay?
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "lint.h"
#include "reader.h"

void help_lint(FILE *out)
{
	fprintf(out,
		"usage: iommusim lint [-f FORMAT] [--json] TRACE\n\n"
		"Check a trace and report, each with a count and the first examples (line, record\n"
		"or event number): unmaps of addresses not mapped, unmap_sg of lists not mapped,\n"
		"frees never allocated, maps of an address already mapped, unmap sizes that differ\n"
		"from the map, mappings still live at the end, lost events (ring-buffer overruns),\n"
		"per-CPU timestamp inversions, sg lists truncated by the kernel, zero timestamps,\n"
		"and hcall_exit without hcall_entry. Coherent buffers still allocated at the end\n"
		"are reported as information, not findings.\n\n"
		"  -f, --format FORMAT  read as FORMAT (native, tracedat, ftrace,\n"
		"                       perf, perfjson, bpftrace)\n"
		"  -j, --json           JSON output\n"
		OPT_ALLOW_TRUNCATED_HELP
		"  -h, --help           this help\n\n"
		"Exit status: 0 clean, 1 findings, 2 unreadable trace or usage error.\n");
}

int cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		OPT_ALLOW_TRUNCATED_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *unit;
	int json = 0, c, ret, status;
	struct reader *r;
	struct ism_event ev;
	struct lint_state *l;
	struct lint_result res;
	struct progress pg;
	char *cause = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case OPT_ALLOW_TRUNCATED:
			reader_allow_truncated(1);
			break;
		case 'h':
			help_lint(stdout);
			return EXIT_OK;
		default:
			return bad_option("lint", opts, argv);
		}
	}
	if (optind != argc - 1)
		return usage_error("lint", "expected exactly one trace");
	ret = reader_open(argv[optind], format, &r, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret);
	}
	l = lint_new();
	progress_start(&pg, r->path);
	while ((ret = reader_next(r, &ev)) > 0) {
		lint_event(l, r, &ev, reader_position(r, &unit));
		progress_tick(&pg, r->nevents, in_raw_offset(r->in));
	}
	progress_end(&pg);
	lint_finish(l, r, &res);
	if (json) {
		json_t *o = lint_to_json(&res, r);

		if (ret < 0)
			json_object_set_new(o, "error", json_string(reader_error(r)));
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
	} else if (ret >= 0 || r->nevents) {
		/* nothing read at all: the error alone, never "clean" */
		lint_print_text(&res, r, stdout);
	}
	if (ret < 0) {
		ism_err("%s", reader_error(r));
		status = ism_err_exit(ret);
		finish_stdout(status);
	} else {
		status = finish_stdout(lint_findings(&res) ? EXIT_FAIL : EXIT_OK);
	}
	lint_result_free(&res);
	lint_free(l);
	reader_close(r);
	return status;
}
