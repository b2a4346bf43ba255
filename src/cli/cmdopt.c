/*
 * cmdopt.c: getopt, --help and suggestions from a command's option table (cmdopt.h).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "cmdopt.h"
#include "reader.h"
#include "util.h"

enum { HELP_COL = 24, HELP_WIDTH = 79 };

static const struct cmd_opt help_opt = { 'h', 'h', "help", NULL, "this help", NULL };

void cmd_args_init(struct cmd_args *a, const struct cmd_entry *cmd, int argc, char **argv)
{
	size_t n = 0, s = 0;
	struct option *lo;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->argc = argc;
	a->argv = argv;
	for (const struct cmd_opt *o = cmd->opts; o->id; o++)
		n++;
	lo = xcalloc(n + 2, sizeof(*lo));
	a->shorts = xcalloc(2 * n + 5, 1);
	if (cmd->options_first)
		a->shorts[s++] = '+';   /* stop at the first operand */
	a->shorts[s++] = ':';   /* first: a missing argument returns ':', not '?' */
	n = 0;
	for (const struct cmd_opt *o = cmd->opts;; o++) {
		const struct cmd_opt *e = o->id ? o : &help_opt;

		if (e->name) {
			lo[n].name = e->name;
			lo[n].has_arg = e->arg ? required_argument : no_argument;
			lo[n].val = e->letter ? e->letter : e->id;
			n++;
		}
		if (e->letter) {
			a->shorts[s++] = (char)e->letter;
			if (e->arg)
				a->shorts[s++] = ':';
		}
		if (!o->id)
			break;
	}
	a->longs = lo;
	optind = 1;
	opterr = 0;
}

void cmd_args_free(struct cmd_args *a)
{
	free(a->longs);
	free(a->shorts);
	a->longs = NULL;
	a->shorts = NULL;
}

/* The table entry getopt_long() returned @val for. */
static const struct cmd_opt *entry_of(const struct cmd_entry *cmd, int val)
{
	for (const struct cmd_opt *o = cmd->opts; o->id; o++)
		if ((o->letter && o->letter == val) || (!o->letter && o->id == val))
			return o;
	return val == 'h' ? &help_opt : NULL;
}

/* How the user spelt the option that failed: "--jsno", "-x". */
static const char *spelt(const struct cmd_args *a)
{
	return optind > 0 && optind <= a->argc ? a->argv[optind - 1] : "?";
}

/* A bad option: the usage error, with the nearest long option of the table. */
static int bad(struct cmd_args *a, int missing)
{
	const char *arg = spelt(a);
	const char *best = NULL;
	unsigned bd = 3;

	if (missing) {
		if (arg[0] == '-' && arg[1] == '-')
			return usage_error(a->cmd->name, "option '%s' needs an argument", arg);
		return usage_error(a->cmd->name, "option '-%c' needs an argument", optopt);
	}
	if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
		char *name = xstrndup(arg + 2, strcspn(arg + 2, "="));

		for (const struct cmd_opt *o = a->cmd->opts;; o++) {
			const struct cmd_opt *e = o->id ? o : &help_opt;
			unsigned d = e->name && e->help ? ism_edit_distance(name, e->name) : 99;

			if (d < bd) {
				bd = d;
				best = e->name;
			}
			if (!o->id)
				break;
		}
		free(name);
		/* distance 0: the option exists and its argument is what is wrong */
		if (best && bd > 0)
			return usage_error(a->cmd->name, "unknown option '%s'; did you mean '--%s'?",
					   arg, best);
		if (best)
			return usage_error(a->cmd->name, "option '--%s' takes no argument", best);
		return usage_error(a->cmd->name, "unknown option '%s'", arg);
	}
	if (optopt)
		return usage_error(a->cmd->name, "unknown option '-%c'", optopt);
	return usage_error(a->cmd->name, "unknown option '%s'", arg);
}

int cmd_next(struct cmd_args *a)
{
	const struct cmd_opt *o;
	int c;

	if (a->failed)
		return -1;
	c = getopt_long(a->argc, a->argv, a->shorts, a->longs, NULL);
	if (c == -1)
		return 0;
	if (c == '?' || c == ':') {
		a->status = bad(a, c == ':');
		return -1;
	}
	o = entry_of(a->cmd, c);
	if (!o) {
		a->status = bad(a, 0);
		return -1;
	}
	if (o->retired) {
		a->status = usage_error(a->cmd->name, "'%s' %s", spelt(a), o->retired);
		return -1;
	}
	if (o == &help_opt) {
		cmd_print_help(a->cmd, stdout);
		a->status = finish_stdout(EXIT_OK);
		return -1;
	}
	a->arg = o->arg ? optarg : NULL;
	return o->id;
}

/* "native, tracedat, ftrace, perf, perfjson, bpftrace" */
static char *reader_names(void)
{
	char *b = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&b, &n);

	if (!f)
		return xstrdup("see 'iommusim list readers'");
	for (size_t i = 0; reader_table[i]; i++)
		fprintf(f, "%s%s", i ? ", " : "", reader_table[i]->name);
	fclose(f);
	return b;
}

/* @text with "@READERS@" replaced */
static char *expand(const char *text)
{
	const char *at = strstr(text, "@READERS@");
	char *names, *r;

	if (!at)
		return xstrdup(text);
	names = reader_names();
	r = xasprintf("%.*s%s%s", (int)(at - text), text, names, at + 9);
	free(names);
	return r;
}

/* Print @text from column @col (already at @at), wrapped at HELP_WIDTH. */
static void wrap(FILE *out, const char *text, int at, int col)
{
	const char *p = text;

	while (*p) {
		size_t w = strcspn(p, " ");
		int room = HELP_WIDTH - at;

		if (at > col && (int)w + 1 > room) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", (int)w, p);
		at += (int)w;
		p += w;
		p += strspn(p, " ");
	}
	fputc('\n', out);
}

static void help_line(FILE *out, const struct cmd_opt *o)
{
	char left[128];
	char *text;
	int n;

	if (o->letter && o->name)
		n = snprintf(left, sizeof(left), "  -%c, --%s", o->letter, o->name);
	else if (o->letter)
		n = snprintf(left, sizeof(left), "  -%c", o->letter);
	else
		n = snprintf(left, sizeof(left), "      --%s", o->name);
	if (o->arg)
		n += snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
	fputs(left, out);
	if (n + 2 > HELP_COL) {
		fprintf(out, "\n%*s", HELP_COL, "");
	} else {
		fprintf(out, "%*s", HELP_COL - n, "");
	}
	text = expand(o->help);
	wrap(out, text, HELP_COL, HELP_COL);
	free(text);
}

void cmd_help(const struct cmd_entry *c, FILE *out)
{
	fprintf(out, "usage: iommusim %s %s\n\n", c->name, c->args);
	if (c->about)
		fprintf(out, "%s\n", c->about);
	if (c->more)
		c->more(out);
	fprintf(out, "options:\n");
	for (const struct cmd_opt *o = c->opts; o->id; o++)
		if (o->help)
			help_line(out, o);
	help_line(out, &help_opt);
	if (c->after)
		fprintf(out, "\n%s", c->after);
}

void cmd_print_help(const struct cmd_entry *c, FILE *out)
{
	if (c->opts)
		cmd_help(c, out);
	else
		c->help(out);
}

void cmd_list_options(FILE *out)
{
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *c = cmd_table[i];

		if (!c->opts)
			continue;
		fprintf(out, "%s", c->name);
		for (const struct cmd_opt *o = c->opts; o->id; o++) {
			if (!o->help)
				continue;
			if (o->letter)
				fprintf(out, " -%c", o->letter);
			if (o->name)
				fprintf(out, " --%s", o->name);
		}
		fputc('\n', out);
	}
}

int cmd_input_opt(const struct cmd_args *a, struct cmd_input *in, int id)
{
	switch (id) {
	case 'i':
		in->traces = xrealloc(in->traces, (in->n + 1) * sizeof(*in->traces));
		in->traces[in->n++] = a->arg;
		return 1;
	case 'f':
		/* reader_open() tells an unknown format from one not built in */
		in->format = a->arg;
		return 1;
	case OPT_ALLOW_TRUNCATED:
		reader_allow_truncated(1);
		return 1;
	default:
		return 0;
	}
}

void cmd_input_operands(const struct cmd_args *a, struct cmd_input *in)
{
	for (int i = optind; i < a->argc; i++) {
		in->traces = xrealloc(in->traces, (in->n + 1) * sizeof(*in->traces));
		in->traces[in->n++] = a->argv[i];
	}
}

void cmd_input_free(struct cmd_input *in)
{
	free(in->traces);
	in->traces = NULL;
	in->n = 0;
}

int cmd_output_format(struct cmd_args *a, struct cmd_input *in, const char *value,
		      const char *const *formats)
{
	char *list = NULL;
	size_t n = 0;
	FILE *f;

	for (int i = 0; formats[i]; i++)
		if (strcmp(value, formats[i]) == 0)
			return i;
	if (reader_find(value)) {
		/* the output formats and the reader names do not meet: no ambiguity */
		ism_warn("'--format %s' reads the trace as %s; the input format is "
			 "-f/--input-format now, --format the output format", value, value);
		in->format = value;
		return -2;
	}
	f = open_memstream(&list, &n);
	if (f) {
		for (int i = 0; formats[i]; i++)
			fprintf(f, "%s%s", i ? ", " : "", formats[i]);
		fclose(f);
	}
	if (formats[0])
		a->status = usage_error(a->cmd->name, "unknown output format '%s' (%s); the input "
					"format is -f/--input-format", value, list ? list : "");
	else
		a->status = usage_error(a->cmd->name, "%s has one output format; the input format "
					"is -f/--input-format", a->cmd->name);
	a->failed = 1;
	free(list);
	return -1;
}

int cmd_jobs(struct cmd_args *a, const char *value, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (end != value && !*end && !errno && n >= 1 && n <= 1024 && value[0] != '-') {
		*out = (unsigned)n;
		return 0;
	}
	if (end == value)
		a->status = usage_error(a->cmd->name, "--jobs %s: a number of threads, 1..1024 "
					"(-j is -j/--jobs; JSON output is --format json or --json)",
					value);
	else
		a->status = usage_error(a->cmd->name, "--jobs %s: a number of threads, 1..1024",
					value);
	a->failed = 1;
	return -1;
}

int cmd_report_dir(struct cmd_args *a, const char *value)
{
	static const char *const files[] = { ".json", ".csv", ".txt" };
	size_t n = strlen(value);

	for (size_t i = 0; i < ISM_ARRAY_SIZE(files); i++) {
		size_t l = strlen(files[i]);

		if (n >= l && strcmp(value + n - l, files[i]) == 0) {
			a->status = usage_error(a->cmd->name, "--report-dir %s: a report folder, "
						"not a %s file (-o FILE writes one file)", value,
						files[i] + 1);
			a->failed = 1;
			return -1;
		}
	}
	if (!n) {
		a->status = usage_error(a->cmd->name, "--report-dir: an empty folder name");
		a->failed = 1;
		return -1;
	}
	return 0;
}

int cmd_names_folder(const char *path)
{
	struct stat st;
	size_t n = strlen(path);

	return (n && path[n - 1] == '/') || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}
