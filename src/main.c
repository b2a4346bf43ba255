/*
 * main.c: global options and dispatch to a subcommand. Nothing else.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"

const struct cmd_entry cmd_table[] = {
	{ "stats", "[-f FORMAT] [--json] TRACE...", "events, devices, sizes, hcalls, phases",
	  cmd_stats, help_stats },
	{ "lint", "[-f FORMAT] [--json] TRACE", "check a trace: unmatched unmaps, leaks, lost events",
	  cmd_lint, help_lint },
	{ "convert", "[-f FORMAT] IN -o OUT", "convert any readable trace to the native format",
	  cmd_convert, help_convert },
	{ "dump", "[-f FORMAT] [--header] TRACE", "print events as JSON lines", cmd_dump, help_dump },
	{ "run", "-S STRATEGY,... [-s SCENARIO] TRACE", "replay a trace against strategies",
	  cmd_run, help_run },
	{ "compare", "[-S STRATEGY,...] [-s SCENARIO] TRACE", "replay against every strategy",
	  cmd_compare, help_compare },
	{ "list", "[readers|kinds|hcalls]", "list readers, event kinds, hypercall names",
	  cmd_list, help_list },
	{ "sweep", "-p PATH=VALUES [-o DIR] TRACE",
	  "parameter sweeps: curves, crossovers, sizing", cmd_sweep, help_sweep },
	{ "regress", "--baseline BASE.json CURRENT.json", "per-metric verdict; exit 1 on regression",
	  cmd_regress, help_regress },
	{ "timeline", "-S STRATEGY,... -o FILE TRACE",
	  "recorded and simulated run for Perfetto / chrome://tracing", cmd_timeline,
	  help_timeline },
	{ "plot", "KIND INPUT... -o FIGURE",
	  "figures: history, sweep, or a report's (delta, cost, ...)", cmd_plot, help_plot },
	{ "record", "[-o FILE] [--duration S] [-- CMD]", "capture DMA and hcall events (root, BPF)",
	  cmd_record, help_record },
	{ NULL, NULL, NULL, NULL, NULL },
};

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
	for (const struct cmd_entry *c = cmd_table; c->name; c++)
		fprintf(out, "  %-8s %-36s %s\n", c->name, c->args, c->summary);
	fprintf(out, "\nA command may be abbreviated to a unique prefix. "
		     "'iommusim COMMAND --help' and iommusim(1) say more.\n"
		     "Exit status: 0 success, 1 runtime failure (lint: findings), 2 usage or bad input.\n");
}

static const struct cmd_entry *find_cmd(const char *name)
{
	const struct cmd_entry *found = NULL;
	size_t len = strlen(name);
	int n = 0;

	for (const struct cmd_entry *c = cmd_table; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
		if (strncmp(c->name, name, len) == 0) {
			found = c;
			n++;
		}
	}
	if (n > 1) {
		fprintf(stderr, "iommusim: ambiguous command '%s':", name);
		for (const struct cmd_entry *c = cmd_table; c->name; c++)
			if (strncmp(c->name, name, len) == 0)
				fprintf(stderr, " %s", c->name);
		fputc('\n', stderr);
		exit(EXIT_USAGE);
	}
	return n == 1 ? found : NULL;
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
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (c = find_cmd(argv[2])) != NULL) {
			c->help(stdout);
			return EXIT_OK;
		}
		usage(stdout);
		return EXIT_OK;
	}
	/* interrupted: no temporary file or folder is left, no partial output under its name */
	output_signals();
	ism_set_warn_handler(lib_warning);
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "iommusim: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			c->help(stdout);
			return EXIT_OK;
		}
	}
	return c->fn(argc - 1, argv + 1);
}
