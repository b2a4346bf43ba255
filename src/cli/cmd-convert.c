/*
 * cmd-convert.c: `iommusim convert` (any format to native) and `iommusim dump` (JSON lines).
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dump.h"
#include "error.h"
#include "native.h"
#include "reader.h"

void help_convert(FILE *out)
{
	fprintf(out,
		"usage: iommusim convert [-f FORMAT] IN -o OUT\n\n"
		"Convert any trace iommusim reads (trace.dat, ftrace or perf text, perf JSON, native;\n"
		"compressed or not) to the native binary format (iommusim-trace(5)). The conversion\n"
		"is lossless for the normalised event stream: `iommusim dump` of IN and of OUT\n"
		"print the same events. Provenance (source file, format, kernel, clock) is kept\n"
		"in the header.\n\n"
		"  -o, --output OUT     output file ('-' = standard output); written as a temporary\n"
		"                       file next to it and renamed when complete, so OUT is never\n"
		"                       left partial (an existing OUT stays as it was on failure)\n"
		"  -f, --format FORMAT  read IN as FORMAT (native, tracedat, ftrace,\n"
		"                       perf, perfjson, bpftrace)\n"
		OPT_ALLOW_TRUNCATED_HELP
		"  -h, --help           this help\n");
}

void help_dump(FILE *out)
{
	fprintf(out,
		"usage: iommusim dump [-f FORMAT] [--header] TRACE\n\n"
		"Print the normalised events of TRACE as JSON lines, every field of every event in\n"
		"a fixed order (addresses as hex strings), so that dumps compare with diff.\n\n"
		"  --header             first print one line with the trace's provenance\n"
		"  -f, --format FORMAT  read as FORMAT (native, tracedat, ftrace,\n"
		"                       perf, perfjson, bpftrace)\n"
		OPT_ALLOW_TRUNCATED_HELP
		"  -h, --help           this help\n");
}

static int open_or_fail(const char *path, const char *format, struct reader **r)
{
	char *cause = NULL;
	int ret = reader_open(path, format, r, &cause);

	if (ret < 0) {
		ism_err("%s", cause ? cause : ism_strerror(ret));
		free(cause);
		return ism_err_exit(ret);
	}
	return 0;
}

int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		OPT_ALLOW_TRUNCATED_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *outpath = NULL;
	struct reader *r;
	struct ism_writer *w;
	struct ism_event ev;
	struct progress pg;
	char *cause = NULL;
	int c, ret, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			outpath = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case OPT_ALLOW_TRUNCATED:
			reader_allow_truncated(1);
			break;
		case 'h':
			help_convert(stdout);
			return EXIT_OK;
		default:
			return bad_option("convert", opts, argv);
		}
	}
	if (optind != argc - 1)
		return usage_error("convert", "expected exactly one input trace");
	if (!outpath)
		return usage_error("convert", "no output file (-o OUT)");
	if ((status = open_or_fail(argv[optind], format, &r)))
		return status;
	if ((ret = writer_open(outpath, r, &w, &cause)) < 0) {
		ism_err("%s", cause);
		free(cause);
		reader_close(r);
		return ism_err_exit(ret);
	}
	progress_start(&pg, r->path);
	while ((ret = reader_next(r, &ev)) > 0) {
		if (writer_write(w, &ev, reader_dev_name(r, ev.dev)) < 0)
			break;
		progress_tick(&pg, r->nevents, in_raw_offset(r->in));
	}
	progress_end(&pg);
	if (ret < 0) {
		/* nothing appears under OUT; an existing OUT is left as it was */
		ism_err("%s", reader_error(r));
		writer_abort(w);
		reader_close(r);
		return ism_err_exit(ret);
	}
	status = EXIT_OK;
	if (writer_close(w, &cause) < 0) {
		ism_err("%s", cause);
		free(cause);
		status = EXIT_FAIL;
	}
	reader_close(r);
	return status;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "header", no_argument, NULL, 'H' },
		OPT_ALLOW_TRUNCATED_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	int header = 0, c, ret, status;
	struct reader *r;
	struct ism_event ev;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'H':
			header = 1;
			break;
		case OPT_ALLOW_TRUNCATED:
			reader_allow_truncated(1);
			break;
		case 'h':
			help_dump(stdout);
			return EXIT_OK;
		default:
			return bad_option("dump", opts, argv);
		}
	}
	if (optind != argc - 1)
		return usage_error("dump", "expected exactly one trace");
	if ((status = open_or_fail(argv[optind], format, &r)))
		return status;
	if (header) {
		printf("{\"schema_version\":%d,\"format\":\"%s\"", DUMP_SCHEMA_VERSION, r->ops->name);
		for (unsigned i = 0; i < r->nprov; i++) {
			putchar(',');
			dump_json_string(stdout, r->prov[i].key, strlen(r->prov[i].key));
			putchar(':');
			dump_json_string(stdout, r->prov[i].value, strlen(r->prov[i].value));
		}
		printf("}\n");
	}
	while ((ret = reader_next(r, &ev)) > 0) {
		dump_event(stdout, &ev, reader_dev_name(r, ev.dev));
		if (ferror(stdout))
			break; /* a full disk or a closed pipe: no use reading on */
	}
	status = finish_stdout(EXIT_OK);
	if (ret < 0) {
		ism_err("%s", reader_error(r));
		status = ism_err_exit(ret);
	}
	reader_close(r);
	return status;
}
