/*
 * cmd-lint.c: `iommusim lint` - is this trace consistent enough to replay?
 */
#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "lint.h"
#include "reader.h"

static const struct cmd_opt lint_opts[] = {
	CMD_OPTS_INPUT,
	CMD_OPTS_FORMAT_TEXT_JSON,
	CMD_OPT_RETIRED_J,
	CMD_OPT_END,
};

const struct cmd_entry cmd_lint_entry = {
	.name = "lint",
	.args = "[-f FORMAT] [--format text|json] TRACE",
	.summary = "check a trace: unmatched unmaps, leaks, lost events",
	.fn = cmd_lint,
	.opts = lint_opts,
	.about = "Check a trace and report, each with a count and the first examples (line, record\n"
		 "or event number): unmaps of addresses not mapped, unmap_sg of lists not mapped,\n"
		 "frees never allocated, maps of an address already mapped, unmap sizes that differ\n"
		 "from the map, mappings still live at the end, lost events (ring-buffer overruns),\n"
		 "per-CPU timestamp inversions, sg lists truncated by the kernel, zero timestamps,\n"
		 "and hcall_exit without hcall_entry. Coherent buffers still allocated at the end\n"
		 "are reported as information, not findings.\n",
	.after = "Exit status: 0 clean, 1 findings, 2 unreadable trace or usage error.\n",
};

int cmd_lint(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct cmd_input in = { 0 };
	struct cmd_args a;
	const char *unit;
	int json = 0, c, f, ret, status;
	struct reader *r;
	struct ism_event ev;
	struct lint_state *l;
	struct lint_result res;
	struct progress pg;
	char *cause = NULL;

	cmd_args_init(&a, &cmd_lint_entry, argc, argv);
	while ((c = cmd_next(&a)) > 0) {
		if (cmd_input_opt(&a, &in, c))
			continue;
		switch (c) {
		case CMD_OPT_FORMAT:
			if ((f = cmd_output_format(&a, &in, a.arg, formats)) >= 0)
				json = f == 1;
			break;
		case CMD_OPT_JSON:
			json = 1;
			break;
		}
	}
	cmd_args_free(&a);
	if (c < 0) {
		cmd_input_free(&in);
		return a.status;
	}
	cmd_input_operands(&a, &in);
	if (in.n != 1) {
		cmd_input_free(&in);
		return usage_error("lint", "expected exactly one trace");
	}
	ret = reader_open(in.traces[0], in.format, &r, &cause);
	cmd_input_free(&in);
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
