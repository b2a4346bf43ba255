/*
 * cmd-stats.c: `iommusim stats` - what is in a trace.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "reader.h"
#include "stats.h"

void help_stats(FILE *out)
{
	fprintf(out,
		"usage: iommusim stats [-f FORMAT] [--json] TRACE...\n\n"
		"Summarise each trace: duration, events by kind, device and CPU, map-size\n"
		"histogram, bytes mapped by direction, hypercalls by opcode name with total and\n"
		"mean time from hcall_entry/hcall_exit pairs, swiotlb bounces, trace_marker\n"
		"markers, and phases (a marker containing 'phase=NAME' starts phase NAME).\n\n"
		"  -f, --format FORMAT  read as FORMAT (native, tracedat, ftrace,\n"
		"                       perf, perfjson, bpftrace);\n"
		"                       default: by magic\n"
		"  -j, --json           JSON instead of text (schema_version %d)\n"
		OPT_ALLOW_TRUNCATED_HELP
		"  -h, --help           this help\n\n"
		"TRACE may be xz-, zstd- or gzip-compressed; '-' reads standard input.\n",
		STATS_SCHEMA_VERSION);
}

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
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		OPT_ALLOW_TRUNCATED_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	int json = 0, c, status = EXIT_OK;
	json_t *root = NULL, *arr = NULL;

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
			help_stats(stdout);
			return EXIT_OK;
		default:
			return bad_option("stats", opts, argv);
		}
	}
	if (optind >= argc)
		return usage_error("stats", "no trace given");
	if (json) {
		root = json_object();
		json_object_set_new(root, "schema_version", json_integer(STATS_SCHEMA_VERSION));
		json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
		arr = json_array();
	}
	for (int i = optind; i < argc; i++) {
		struct ism_stats s;
		struct reader *r = NULL;
		int ret = stats_one(argv[i], format, &s, &r);

		if (ret) {
			status = ret;
			continue;
		}
		if (json) {
			json_array_append_new(arr, stats_to_json(&s, r));
		} else {
			if (i > optind)
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
	{
		int w = finish_stdout(EXIT_OK);

		return status != EXIT_OK ? status : w;
	}
}
