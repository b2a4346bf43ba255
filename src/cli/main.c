/*
 * main.c: global options and dispatch to a subcommand. Nothing else.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"
#include "scenario-find.h"
#include "util.h"

/* list parses its own operands (help_list); every other command has an option table. */
static const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.args = "[-v] [strategies|params|readers|kinds|hcalls]",
	.summary = "strategies, scenario parameters, readers, event kinds, hcall names",
	.fn = cmd_list,
	.help = help_list,
};
const struct cmd_entry *const cmd_table[] = {
	&cmd_stats_entry, &cmd_lint_entry, &cmd_convert_entry, &cmd_dump_entry,
	&cmd_run_entry, &cmd_compare_entry, &cmd_list_entry, &cmd_calibrate_entry,
	&cmd_sweep_entry, &cmd_regress_entry, &cmd_timeline_entry, &cmd_plot_entry,
	&cmd_record_entry, NULL,
};

static void vmsg(const char *pfx, const char *fmt, va_list ap) ISM_PRINTF(2, 0);
static void vmsg(const char *pfx, const char *fmt, va_list ap)
{
	fprintf(stderr, "iommusim: %s", pfx);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ism_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void ism_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iommusim %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'iommusim %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ism_err("standard output: write error: %s", strerror(errno ? errno : EIO));
		clearerr(stdout);
		return EXIT_FAIL;
	}
	return status;
}

static void lib_warning(const char *msg)
{
	fprintf(stderr, "iommusim: warning: %s\n", msg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(struct progress *p, const char *label)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->on = isatty(2) && !getenv("ISM_NO_PROGRESS");
	p->label = label;
	p->start = p->last = now_s();
	p->next_check = 1u << 16;
	if (label && strcmp(label, "-") != 0 && stat(label, &st) == 0 && S_ISREG(st.st_mode))
		p->total = (uint64_t)st.st_size;
}

/* "1:05", "12:07:33" */
static void fmt_eta(double s, char *b, size_t n)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(b, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(b, n, "%lu:%02lu", t / 60, t % 60);
}

void progress_tick(struct progress *p, uint64_t events, uint64_t bytes)
{
	double t;

	if (!p->on || events < p->next_check)
		return;
	p->next_check = events + (1u << 16);
	t = now_s();
	if (t - p->last < 0.25)
		return;
	p->last = t;
	if (p->total && bytes <= p->total && bytes > 0) {
		double frac = (double)bytes / (double)p->total;
		char eta[32];

		fmt_eta((t - p->start) * (1 - frac) / frac, eta, sizeof(eta));
		fprintf(stderr, "\r%s: %.1f%% (%.1f of %.1f MB), %llu events, %s left\033[K",
			p->label, 100 * frac, (double)bytes / 1e6, (double)p->total / 1e6,
			(unsigned long long)events, eta);
	} else {
		fprintf(stderr, "\r%s: %llu events, %.1f MB read\033[K", p->label,
			(unsigned long long)events, (double)bytes / 1e6);
	}
}

void progress_end(struct progress *p)
{
	if (p->on && p->next_check > (1u << 16))
		fprintf(stderr, "\r\033[K");
}

static void usage(FILE *out)
{
	fprintf(out, "usage: iommusim [--version] [--help] COMMAND [ARGS]\n\n"
		     "Replay and inspect DMA map/unmap and hypercall traces.\n\ncommands:\n");
	for (size_t i = 0; cmd_table[i]; i++)
		fprintf(out, "  %-8s %s\n  %-8s %s\n", cmd_table[i]->name, cmd_table[i]->args, "",
			cmd_table[i]->summary);
	fprintf(out, "\nA command may be abbreviated to a unique prefix. 'iommusim COMMAND --help'\n"
		     "gives its options, 'iommusim help COMMAND' its part of iommusim(1).\n"
		     "Exit status: 0 success, 1 runtime failure (lint: findings), 2 usage or bad\n"
		     "input.\n");
}

/* "iommusim: unknown command 'rnu'; did you mean 'run'?" */
static void unknown_cmd(const char *name)
{
	const char *best = NULL;
	unsigned bd = 3;

	for (size_t i = 0; cmd_table[i]; i++) {
		unsigned d = ism_edit_distance(name, cmd_table[i]->name);

		if (d < bd) {
			bd = d;
			best = cmd_table[i]->name;
		}
	}
	if (best)
		fprintf(stderr, "iommusim: unknown command '%s'; did you mean '%s'?\n", name, best);
	else
		fprintf(stderr, "iommusim: unknown command '%s'\n", name);
}

static const struct cmd_entry *find_cmd(const char *name)
{
	const struct cmd_entry *found = NULL;
	size_t len = strlen(name);
	int n = 0;

	for (size_t i = 0; cmd_table[i]; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
		if (strncmp(cmd_table[i]->name, name, len) == 0) {
			found = cmd_table[i];
			n++;
		}
	}
	if (n > 1) {
		fprintf(stderr, "iommusim: ambiguous command '%s':", name);
		for (size_t i = 0; cmd_table[i]; i++)
			if (strncmp(cmd_table[i]->name, name, len) == 0)
				fprintf(stderr, " %s", cmd_table[i]->name);
		fputc('\n', stderr);
		exit(EXIT_USAGE);
	}
	return n == 1 ? found : NULL;
}

/* iommusim(1): a build that is not installed reads its source tree's, else the installed. */
static char *man_page(void)
{
	const char *const inst = ISM_MANDIR "/man1/iommusim.1", *src = ISM_SRC_MANDIR "/iommusim.1";
	const char *where[2] = { src, inst };
	struct stat st;

	if (ism_running_installed()) {
		where[0] = inst;
		where[1] = src;
	}
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (stat(where[i], &st) == 0 && S_ISREG(st.st_mode))
			return xstrdup(where[i]);
	return NULL;
}

/* ".SS compare \-o dir" is about compare: the title starts with the name, then a word break. */
static int title_is(const char *line, const char *macro, const char *cmd)
{
	size_t ml = strlen(macro), cl = strlen(cmd);
	const char *t;

	if (strncmp(line, macro, ml) != 0 || (line[ml] != ' ' && line[ml] != '\n'))
		return 0;
	t = line + ml + strspn(line + ml, " \"");
	return strncmp(t, cmd, cl) == 0 &&
	       (t[cl] == ' ' || t[cl] == '\\' || t[cl] == '\n' || t[cl] == '"');
}

/* The title of a ".SH TITLE" line, without quotes and newline, in @b. */
static void sh_title(const char *line, char *b, size_t n)
{
	const char *t = line + 3 + strspn(line + 3, " \"");
	size_t l = strcspn(t, "\"\n");

	snprintf(b, n, "%.*s", (int)l, t);
}

/* Whether @text says "see TITLE" (not the start of a longer title: OUTPUT is not OUTPUTS). */
static int refers_to(const char *text, const char *title)
{
	size_t tl = strlen(title);

	for (const char *p = strstr(text, "see "); p; p = strstr(p + 1, "see ")) {
		const char *e = p + 4 + tl;

		if (strncmp(p + 4, title, tl) == 0 && !isupper((unsigned char)e[0]) &&
		    !(e[0] == ' ' && isupper((unsigned char)e[1])))
			return 1;
	}
	return 0;
}

/*
 * Copy to @out the part of iommusim(1) about @cmd: its COMMANDS entry (".TP", ".B cmd", up to
 * the next ".TP" or section), the sections the entry refers to ("see VERDICT"; their text up
 * to their first subsection), and the subsections whose title starts with the command's
 * name. Returns the number of lines copied.
 */
static unsigned man_extract(FILE *in, FILE *out, const char *cmd)
{
	char line[4096], prev[4096] = "", title[256], *entry = NULL;
	size_t elen = 0;
	FILE *ef = open_memstream(&entry, &elen);
	int in_commands = 0, copy = 0;
	unsigned n = 0;

	if (!ef)
		return 0;
	/* the entry first: it says which sections to add */
	while (fgets(line, sizeof(line), in)) {
		if (strncmp(line, ".SH", 3) == 0) {
			in_commands = strstr(line, "COMMANDS") != NULL;
			copy = 0;
		} else if (in_commands && strncmp(line, ".TP", 3) == 0) {
			copy = 0;
		} else if (in_commands && strncmp(prev, ".TP", 3) == 0 &&
			   title_is(line, ".B", cmd) && line[3 + strlen(cmd)] == '\n') {
			copy = 1;
			snprintf(prev, sizeof(prev), "%s", line);
			continue; /* the name is in NAME already */
		}
		if (copy) {
			fputs(line, ef);
			n++;
		}
		snprintf(prev, sizeof(prev), "%s", line);
	}
	if (fclose(ef) != 0 || !n) {
		free(entry);
		return 0;
	}
	fputs(entry, out);
	rewind(in);
	copy = 0;
	while (fgets(line, sizeof(line), in)) {
		if (strncmp(line, ".SH", 3) == 0) {
			sh_title(line, title, sizeof(title));
			copy = strcmp(title, "COMMANDS") != 0 && refers_to(entry, title);
		} else if (strncmp(line, ".SS", 3) == 0) {
			copy = title_is(line, ".SS", cmd);
			if (copy) {
				fputs(".SH ", out);
				fputs(line + 4, out);
				n++;
				continue;
			}
		}
		if (copy) {
			fputs(line, out);
			n++;
		}
	}
	free(entry);
	return n;
}

/* `iommusim help COMMAND`: the command's part of the manual, through man(1) when there is one. */
static int man_section(const struct cmd_entry *c)
{
	char *page = man_page(), tmpl[] = "/tmp/iommusim-help.XXXXXX", *cmd;
	FILE *in, *out;
	unsigned n;
	int fd, rc;

	if (!page || !(in = fopen(page, "r"))) {
		fprintf(stderr, "iommusim: iommusim(1) is not installed here; 'iommusim %s "
			"--help':\n\n", c->name);
		free(page);
		cmd_print_help(c, stdout);
		return EXIT_OK;
	}
	fd = mkstemp(tmpl);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		fclose(in);
		free(page);
		cmd_print_help(c, stdout);
		return EXIT_OK;
	}
	fprintf(out, ".TH IOMMUSIM 1 \"\" \"iommusim %s\" \"iommusim %s\"\n"
		".SH NAME\niommusim %s \\- %s\n.SH SYNOPSIS\n.B iommusim %s\n%s\n"
		".SH DESCRIPTION\n", PACKAGE_VERSION, c->name, c->name, c->summary, c->name,
		c->args);
	n = man_extract(in, out, c->name);
	fprintf(out, ".SH SEE ALSO\n.BR iommusim (1)\n(%s); 'iommusim %s \\-\\-help' for the "
		"options.\n", page, c->name);
	fclose(in);
	if (fclose(out) != 0 || !n) {
		unlink(tmpl);
		free(page);
		cmd_print_help(c, stdout);
		return EXIT_OK;
	}
	fflush(stdout);
	/* man pages on a terminal; plain text at 80 columns otherwise */
	cmd = xasprintf("%sman -l %s", isatty(1) ? "" : "MANWIDTH=80 MANPAGER=cat ", tmpl);
	rc = system(cmd);
	free(cmd);
	if (rc != 0) {
		/* no man(1): the roff source would not help; the built-in help does */
		fprintf(stderr, "iommusim: man(1) failed or is missing; 'iommusim %s --help':\n\n",
			c->name);
		cmd_print_help(c, stdout);
	}
	unlink(tmpl);
	free(page);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cmd_entry *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("iommusim %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	/* for t0114: the options of every command with an option table */
	if (strcmp(argv[1], "--list-options") == 0) {
		cmd_list_options(stdout);
		return finish_stdout(EXIT_OK);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (c = find_cmd(argv[2])) != NULL) {
			if (strcmp(argv[1], "help") == 0)
				return man_section(c);
			cmd_print_help(c, stdout);
			return EXIT_OK;
		}
		if (argc > 2) {
			unknown_cmd(argv[2]);
			usage(stderr);
			return EXIT_USAGE;
		}
		usage(stdout);
		return EXIT_OK;
	}
	/* interrupted: no temporary file or folder is left, no partial output under its name */
	output_signals();
	ism_set_warn_handler(lib_warning);
	c = find_cmd(argv[1]);
	if (!c) {
		unknown_cmd(argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_print_help(c, stdout);
			return EXIT_OK;
		}
	}
	return c->fn(argc - 1, argv + 1);
}
