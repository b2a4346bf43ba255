/*
 * cmd.h: the subcommand table and what subcommands share (messages, progress, exit codes).
 * Only cmd-*.c and main.c print or exit; the library returns error codes.
 */
#ifndef ISM_CMD_H
#define ISM_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "cmdopt.h"
#include "util.h"

/* Exit statuses: 0 ok, 1 runtime failure or findings, 2 usage or bad input. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/*
 * Flush standard output and report a write error on it ("standard output: write error: No
 * space left on device"). Returns @status, or EXIT_FAIL after the message.
 */
int finish_stdout(int status);

/*
 * A command. With @opts, its options, --help and the manual check come from the table
 * (cmdopt.h) and @help is NULL; without, the command parses its own and @help prints them.
 */
struct cmd_entry {
	const char *name;
	const char *args;     /* synopsis after the name */
	const char *summary;
	int (*fn)(int argc, char **argv);
	void (*help)(FILE *out);
	const struct cmd_opt *opts;   /* ends with CMD_OPT_END */
	const char *about;    /* --help before the options (lines of at most 80 columns) */
	const char *after;    /* --help after the options */
	void (*more)(FILE *out);  /* --help between about and the options (a table's rows) */
	int options_first;    /* the options end at the first operand (record -- CMD ARGS) */
};

/* NULL-terminated */
extern const struct cmd_entry *const cmd_table[];
/* --help of @c, from its table or its own function */
void cmd_print_help(const struct cmd_entry *c, FILE *out);
extern const struct cmd_entry cmd_stats_entry, cmd_lint_entry, cmd_convert_entry,
	cmd_dump_entry, cmd_run_entry, cmd_compare_entry, cmd_sweep_entry,
	cmd_regress_entry, cmd_timeline_entry, cmd_plot_entry,
	cmd_calibrate_entry, cmd_record_entry;

void ism_err(const char *fmt, ...) ISM_PRINTF(1, 2);
void ism_warn(const char *fmt, ...) ISM_PRINTF(1, 2);
/* Print "iommusim CMD: ..." usage error with a hint, return EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) ISM_PRINTF(2, 3);

/*
 * Progress on stderr, only when stderr is a terminal; at most 4 updates a second. When the
 * input's size is known (a regular file), the percentage read and the time left.
 */
struct progress {
	int on;
	const char *label;
	uint64_t next_check;
	double last, start;
	uint64_t total;           /* the file's size; 0: unknown (a pipe) */
};
void progress_start(struct progress *p, const char *label);
/* @bytes: of the file read so far (in_raw_offset()). */
void progress_tick(struct progress *p, uint64_t events, uint64_t bytes);
void progress_end(struct progress *p);

int cmd_stats(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
void help_list(FILE *out);
/* Reports: sweeps, the CI gate, figures (cmd-sweep.c, cmd-regress.c, cmd-plot.c). */
int cmd_sweep(int argc, char **argv);
int cmd_regress(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
/* Live capture (cmd-record.c); without libbpf it says it is not built. */
int cmd_record(int argc, char **argv);
/* What `compare` and `sweep` replay when -S is not given (cmd-run.c); NULL-terminated. */
extern const char *const compare_default_specs[];

#endif
