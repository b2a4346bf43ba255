/*
 * cmd-convert.c: `iommusim convert` (any format to native) and `iommusim dump` (JSON lines).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dump.h"
#include "error.h"
#include "native.h"
#include "reader.h"

static const struct cmd_opt convert_opts[] = {
	{ 'o', 'o', "output", "OUT",
	  "the output file ('-' = standard output); written as a temporary file next to it "
	  "and renamed when complete, so OUT is never left partial (an existing OUT stays as "
	  "it was on failure)", NULL },
	CMD_OPTS_INPUT,
	CMD_OPT_OLD_FORMAT,
	CMD_OPT_END,
};

const struct cmd_entry cmd_convert_entry = {
	.name = "convert",
	.args = "[-f FORMAT] IN -o OUT",
	.summary = "convert any readable trace to the native format",
	.fn = cmd_convert,
	.opts = convert_opts,
	.about = "Convert any trace iommusim reads (trace.dat, ftrace or perf text, perf JSON, native;\n"
		 "compressed or not) to the native binary format (iommusim-trace(5)). The conversion\n"
		 "is lossless for the normalised event stream: `iommusim dump` of IN and of OUT\n"
		 "print the same events. Provenance (source file, format, kernel, clock) is kept\n"
		 "in the header. IN is the operand or -i IN.\n",
};

static const struct cmd_opt dump_opts[] = {
	{ CMD_OPT_HEADER, 0, "header", NULL, "first print one line with the trace's provenance", NULL },
	CMD_OPTS_INPUT,
	CMD_OPT_OLD_FORMAT,
	CMD_OPT_END,
};

const struct cmd_entry cmd_dump_entry = {
	.name = "dump",
	.args = "[-f FORMAT] [--header] TRACE",
	.summary = "print events as JSON lines",
	.fn = cmd_dump,
	.opts = dump_opts,
	.about = "Print the normalised events of TRACE as JSON lines, every field of every event in\n"
		 "a fixed order (addresses as hex strings), so that dumps compare with diff.\n",
};

/*
 * The options of convert and dump: @out gets -o (NULL: dump, which has none). Returns 0 and
 * the one trace in @path, or an exit status after the usage error.
 */
static int parse(const struct cmd_entry *e, int argc, char **argv, const char **format,
		 const char **path, const char **out, int *header)
{
	static const char *const one[] = { NULL };
	struct cmd_input in = { 0 };
	struct cmd_args a;
	int c;

	cmd_args_init(&a, e, argc, argv);
	while ((c = cmd_next(&a)) > 0) {
		if (cmd_input_opt(&a, &in, c))
			continue;
		switch (c) {
		case 'o':
			*out = a.arg;
			break;
		case CMD_OPT_HEADER:
			*header = 1;
			break;
		case CMD_OPT_FORMAT:
			cmd_output_format(&a, &in, a.arg, one);
			break;
		}
	}
	cmd_args_free(&a);
	if (c < 0) {
		cmd_input_free(&in);
		return a.status;
	}
	cmd_input_operands(&a, &in);
	*format = in.format;
	*path = in.n == 1 ? in.traces[0] : NULL;
	cmd_input_free(&in);
	if (!*path)
		return usage_error(e->name, e == &cmd_convert_entry ?
				   "expected exactly one input trace" : "expected exactly one trace");
	return 0;
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
	const char *format = NULL, *inpath = NULL, *outpath = NULL;
	struct reader *r;
	struct ism_writer *w;
	struct ism_event ev;
	struct progress pg;
	char *cause = NULL;
	int header = 0, ret, status;

	if ((status = parse(&cmd_convert_entry, argc, argv, &format, &inpath, &outpath, &header)))
		return status;
	if (!outpath)
		return usage_error("convert", "no output file (-o OUT)");
	if ((status = open_or_fail(inpath, format, &r)))
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
	const char *format = NULL, *path = NULL, *none = NULL;
	int header = 0, ret, status;
	struct reader *r;
	struct ism_event ev;

	if ((status = parse(&cmd_dump_entry, argc, argv, &format, &path, &none, &header)))
		return status;
	if ((status = open_or_fail(path, format, &r)))
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
