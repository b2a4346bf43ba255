/*
 * cmd-stats.c: `iommusim stats` - what is in a trace.
 */
#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "reader.h"
#include "stats.h"

static const struct cmd_opt stats_opts[] = {
	CMD_OPTS_INPUT,
	CMD_OPTS_FORMAT_TEXT_JSON,
	CMD_OPT_RETIRED_J,
	CMD_OPT_END,
};

const struct cmd_entry cmd_stats_entry = {
	.name = "stats",
	.args = "[-f FORMAT] [--format text|json] TRACE...",
	.summary = "events, devices, sizes, hcalls, phases",
	.fn = cmd_stats,
	.opts = stats_opts,
	.about = "Summarise each trace: duration, events by kind, device and CPU, map-size\n"
		 "histogram, bytes mapped by direction, hypercalls by opcode name with total and\n"
		 "mean time from hcall_entry/hcall_exit pairs, swiotlb bounces, trace_marker\n"
		 "markers, and phases (a marker containing 'phase=NAME' starts phase NAME).\n"
		 "JSON: schema_version " CMD_STR(STATS_SCHEMA_VERSION) ".\n",
	.after = "TRACE (operands and -i, in order) may be xz-, zstd- or gzip-compressed; '-'\n"
		 "reads standard input.\n",
};

/* Read a whole trace into @s. Returns 0, or an exit status after printing the error. */
static int stats_one(const char *path, const char *format, struct ism_stats *s,
		     struct reader **rp)
{
	struct reader *r;
	struct ism_event ev;
	struct progress pg;
	char *cause = NULL;
	int ret;

	ret = reader_open(path, format, &r, &cause);
	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret);
	}
	stats_init(s);
	progress_start(&pg, path);
	while ((ret = reader_next(r, &ev)) > 0) {
		stats_add(s, &ev);
		progress_tick(&pg, r->nevents, in_raw_offset(r->in));
	}
	progress_end(&pg);
	if (ret < 0) {
		ism_err("%s", reader_error(r));
		stats_free(s);
		reader_close(r);
		return ism_err_exit(ret);
	}
	*rp = r;
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct cmd_input in = { 0 };
	struct cmd_args a;
	int json = 0, c, f, status = EXIT_OK;
	json_t *root = NULL, *arr = NULL;

	cmd_args_init(&a, &cmd_stats_entry, argc, argv);
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
	if (!in.n)
		return usage_error("stats", "no trace given");
	if (json) {
		root = json_object();
		json_object_set_new(root, "schema_version", json_integer(STATS_SCHEMA_VERSION));
		json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
		arr = json_array();
	}
	for (size_t i = 0; i < in.n; i++) {
		struct ism_stats s;
		struct reader *r = NULL;
		int ret = stats_one(in.traces[i], in.format, &s, &r);

		if (ret) {
			status = ret;
			continue;
		}
		if (json) {
			json_array_append_new(arr, stats_to_json(&s, r));
		} else {
			if (i > 0)
				fputc('\n', stdout);
			stats_print_text(&s, r, stdout);
		}
		stats_free(&s);
		reader_close(r);
	}
	if (json) {
		json_object_set_new(root, "traces", arr);
		if (status == EXIT_OK)
			json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (status == EXIT_OK)
			fputc('\n', stdout);
		json_decref(root);
	}
	cmd_input_free(&in);
	{
		int w = finish_stdout(EXIT_OK);

		return status != EXIT_OK ? status : w;
	}
}
