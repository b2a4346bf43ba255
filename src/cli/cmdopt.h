/*
 * cmdopt.h: a command's options as one table (tmux's cmd_entry .args/.usage is the model):
 * the getopt string, the long options, --help, the near-miss suggestions and the check
 * that the manual names every option (t0114) all come from it. The options every command
 * that reads a trace takes (-i, -f, --allow-truncated) are defined once, here.
 */
#ifndef ISM_CMDOPT_H
#define ISM_CMDOPT_H

#include <stdio.h>

/*
 * @id:      what cmd_next() returns for it: the short letter, or an OPT_* value (>= 0x100)
 * @letter:  the short option ('f'), 0: long only
 * @name:    the long option ("input-format"), NULL: short only
 * @arg:     the argument's name in --help ("FORMAT"), NULL: takes none
 * @help:    one paragraph, wrapped by --help; "@READERS@" becomes the reader names;
 *           NULL: an old spelling still taken, not shown (nor suggested)
 * @retired: an old spelling: not in --help, and giving it is a usage error with this text
 *           (which names the new spelling)
 */
/* a number's digits in a string literal: "schema_version " CMD_STR(SCHEMA_STATS) */
#define CMD_STR_(x) #x
#define CMD_STR(x) CMD_STR_(x)

struct cmd_opt {
	int id;
	int letter;
	const char *name;
	const char *arg;
	const char *help;
	const char *retired;
};
#define CMD_OPT_END { 0, 0, NULL, NULL, NULL, NULL }

/* Ids of long-only options, shared so that one option has one id in every command. */
enum {
	OPT_ALLOW_TRUNCATED = 0x1000,
	CMD_OPT_FORMAT,           /* --format: the output format */
	CMD_OPT_JSON,             /* --json: --format json */
	CMD_OPT_HEADER,
	CMD_OPT_RETIRED,          /* an entry with .retired */
};

/* The trace input, shared by every command that reads traces: -i, -f, --allow-truncated. */
#define CMD_OPTS_INPUT                                                                       \
	{ 'i', 'i', "input", "TRACE",                                                        \
	  "the trace to read (the same as giving it as an operand); xz, zstd or gzip "        \
	  "compressed or not; '-' is standard input", NULL },                                 \
	{ 'f', 'f', "input-format", "FORMAT",                                                \
	  "read the trace as FORMAT (@READERS@); default: recognised by its content", NULL }, \
	{ OPT_ALLOW_TRUNCATED, 0, "allow-truncated", NULL,                                   \
	  "a trace cut short (no end record, a last line without its newline) is read up to " \
	  "the cut, with a warning", NULL }

/* --format text|json with --json as its long alias. */
#define CMD_OPTS_FORMAT_TEXT_JSON                                                            \
	{ CMD_OPT_FORMAT, 0, "format", "FORMAT", "the output format: text (default) or json", NULL }, \
	{ CMD_OPT_JSON, 0, "json", NULL, "the same as --format json", NULL }

/* --format was the input format in convert and dump, which have one output format. */
#define CMD_OPT_OLD_FORMAT { CMD_OPT_FORMAT, 0, "format", "FORMAT", NULL, NULL }

/* -j/--jobs N: parallel work (cmd_jobs() parses N). */
#define CMD_OPT_JOBS(help) { 'j', 'j', "jobs", "N", help, NULL }

/* -O/--report-dir DIR: a report folder (cmd_report_dir() checks DIR). */
#define CMD_OPT_REPORT_DIR(help) { 'O', 'O', "report-dir", "DIR", help, NULL }

/* -j was --json in the commands that have no parallel work. */
#define CMD_OPT_RETIRED_J                                                                    \
	{ CMD_OPT_RETIRED, 'j', NULL, NULL, NULL,                                                \
	  "is -j/--jobs (parallel work) now; JSON output is --format json (or --json)" }

struct cmd_entry;

/* The parse of one command line, over the command's table. */
struct cmd_args {
	const struct cmd_entry *cmd;
	int argc;
	char **argv;
	const char *arg;        /* the option's argument, NULL if it takes none */
	int status;             /* when cmd_next() returned -1: the exit status */
	int failed;             /* a helper below printed a usage error: cmd_next() returns -1 */
	void *longs;            /* struct option[], built from the table */
	char *shorts;
};

void cmd_args_init(struct cmd_args *a, const struct cmd_entry *cmd, int argc, char **argv);
/*
 * The next option's id, 0 after the last (the operands start at optind), or -1: a bad
 * option (the usage error printed, with the nearest long option), a retired spelling (its
 * message printed) or -h (the help printed); return a->status then.
 */
int cmd_next(struct cmd_args *a);
void cmd_args_free(struct cmd_args *a);

/* --help of a command with a table: usage, about, the options, after. */
void cmd_help(const struct cmd_entry *c, FILE *out);
/* "stats -i --input -f --input-format ...": every option of every table, one line each. */
void cmd_list_options(FILE *out);

/* What the trace-input options gave. */
struct cmd_input {
	const char *format;     /* -f, NULL: recognised */
	const char **traces;    /* -i and the operands, in order */
	size_t n;
};
/* Take option @id of the shared input options into @in. Returns 1 if it was one, 0 if not. */
int cmd_input_opt(const struct cmd_args *a, struct cmd_input *in, int id);
/* Append the operands left after the options (once cmd_next() returned 0). */
void cmd_input_operands(const struct cmd_args *a, struct cmd_input *in);
void cmd_input_free(struct cmd_input *in);

/*
 * --format VALUE of a command whose output formats are @formats (NULL-terminated). Returns
 * the index in @formats; a reader's name (the old meaning of --format in stats, lint,
 * convert and dump) sets @in->format with a warning naming -f/--input-format and returns
 * -2 (the output format stays as it was); anything else
 * is a usage error listing @formats (-1; a->status set, cmd_next() returns -1). @formats may be empty (convert,
 * dump: one output format): then only the reader names are taken.
 */
int cmd_output_format(struct cmd_args *a, struct cmd_input *in, const char *value,
		      const char *const *formats);

/*
 * -j/--jobs @value: 1..1024 into @out. Anything else is a usage error (-1; a->status set,
 * cmd_next() returns -1), one that is not a number saying that -j is no longer --json.
 */
int cmd_jobs(struct cmd_args *a, const char *value, unsigned *out);
/*
 * -O/--report-dir @value: a path ending in .json, .csv or .txt names a file, not a folder: a
 * usage error (-1, as above). Returns 0.
 */
int cmd_report_dir(struct cmd_args *a, const char *value);
/* Whether -o @path names a folder (the old spelling of -O): an existing one, or ends in '/'. */
int cmd_names_folder(const char *path);

#endif
