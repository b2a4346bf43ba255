/*
 * plot.c: figures. The table of figure kinds (one gnuplot template each, plots/NAME.gp) and
 * drawing them with gnuplot into a folder, with the render.sh that redraws it (plot.h).
 * Errors go into the folder's first cause (plot_out.cause), warnings through ism_lib_warn().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifest.h"
#include "output.h"
#include "plot.h"
#include "plotdata.h"
#include "plottpl.h"
#include "util.h"

/* Keep the first error of a folder in *@cause (NULL: not kept). */
static void ISM_PRINTF(2, 3) set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (!cause || *cause)
		return;
	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
}

const struct plot_kind plot_kinds[] = {
	{ "delta", "each strategy against the baseline, in percent, an objective a panel",
	  "DIR of compare -O", plotdata_delta, NULL },
	{ "cost", "the DMA-path cost by category, during boot and after it",
	  "DIR of compare -O", plotdata_cost, "No strategy spends time on the DMA path." },
	{ "hcalls", "hypercalls, ultracalls and RTAS calls, an opcode a panel",
	  "DIR of compare -O", plotdata_hcalls,
	  "No strategy of this run makes hypercalls, ultracalls or RTAS calls." },
	{ "activity", "over the simulated run: maps and hypercalls per second, pool and window "
	  "in use, bytes shared; phases shaded", "DIR of compare -O", plotdata_activity, NULL },
	{ "tradeoff", "exposure to the hypervisor against time, a point per strategy",
	  "DIR of compare -O", plotdata_tradeoff,
	  "No strategy models a protected VM: every one exposes all guest RAM." },
	{ "sweep", "a sweep: a panel per metric, a curve per strategy, crossovers marked",
	  "DIR of sweep -O", NULL, NULL },
	{ "history", "a trend across results (runs or commits), a panel per metric",
	  "RESULT.json... of run/compare --format json", NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct plot_kind *plot_kind_find(const char *name)
{
	for (const struct plot_kind *k = plot_kinds; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

int plot_mkdirs(const char *dir)
{
	char *d = xstrdup(dir);

	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(d, 0777) < 0 && errno != EEXIST) {
			free(d);
			return -1;
		}
		*p = '/';
	}
	if (*d && mkdir(d, 0777) < 0 && errno != EEXIST) {
		free(d);
		return -1;
	}
	free(d);
	return 0;
}

char *plot_path(const char *dir, const char *name)
{
	if (!dir || !*dir)
		return xstrdup(name);
	return xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

int plot_write_file(const char *path, const char *text, char **cause)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	fputs(text, f);
	if (fclose(f) != 0) {
		set_cause(cause, "%s: write error", path);
		return -1;
	}
	return 0;
}

void plot_out_init(struct plot_out *po, const char *dir, int flat)
{
	memset(po, 0, sizeof(*po));
	po->dir = xstrdup(dir ? dir : "");
	po->flat = flat;
	po->render = xstrdup("#!/bin/sh\n# render.sh: draw this folder's figures with gnuplot "
			     "(written by iommusim " PACKAGE_VERSION ").\nset -e\n"
			     "cd \"$(dirname \"$0\")\"\n");
}

void plot_out_free(struct plot_out *po)
{
	free(po->dir);
	free(po->render);
	free(po->last);
	free(po->cause);
	memset(po, 0, sizeof(*po));
}

static const char *gnuplot_bin(void)
{
	const char *g = getenv("ISM_GNUPLOT");

	return g && *g ? g : "gnuplot";
}

/* Seconds one gnuplot run may take before it is killed (ISM_GNUPLOT_TIMEOUT, default 120). */
static int gnuplot_timeout_s(void)
{
	const char *t = getenv("ISM_GNUPLOT_TIMEOUT");
	char *end;
	long v;

	if (!t || !*t)
		return 120;
	v = strtol(t, &end, 10);
	return *end || v < 1 || v > 86400 ? 120 : (int)v;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define GNUPLOT_TIMED_OUT 1000

/*
 * Run gnuplot in @dir with @argv; 0 ok, 127 not found, GNUPLOT_TIMED_OUT when it ran past
 * gnuplot_timeout_s() (then it is killed), else its status; stderr into @err.
 */
static int run_gnuplot(const char *dir, char **argv, char *err, size_t errlen)
{
	int fd[2], status, timed_out = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	sigset_t held;
	double deadline = mono_s() + gnuplot_timeout_s();

	if (pipe(fd) < 0)
		return -1;
	fflush(NULL);
	output_hold(&held); /* fork() and output_child_add() as one step (output.h) */
	pid = fork();
	if (pid < 0) {
		output_release(&held);
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		int null;

		output_release(&held); /* gnuplot gets the mask we had */
		null = open("/dev/null", O_RDWR);

		close(fd[0]);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(fd[1], 2);
		if (*dir && chdir(dir) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	output_child_add(pid); /* it writes into our folder: killed first on a signal */
	output_release(&held);
	close(fd[1]);
	/* read its stderr until it closes it, never past the deadline */
	for (;;) {
		struct pollfd pfd = { .fd = fd[0], .events = POLLIN };
		double left = deadline - mono_s();
		char sink[512];
		int pr;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			timed_out = pr == 0;
			break;
		}
		if (n < errlen - 1)
			r = read(fd[0], err + n, errlen - 1 - n);
		else
			r = read(fd[0], sink, sizeof(sink));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n < errlen - 1)
			n += (size_t)r;
	}
	err[n] = 0;
	close(fd[0]);
	/* it closed stderr: reap it, still within the deadline */
	while (!timed_out) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			output_child_del(pid);
			return -1;
		}
		if (mono_s() >= deadline)
			timed_out = 1;
		else
			nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
	if (timed_out) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	output_child_del(pid);
	if (timed_out)
		return GNUPLOT_TIMED_OUT;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int plot_draw(struct plot_out *po, const char *kind, const char *csv, const char *figure,
	      const char *title, char *const *args, unsigned nargs)
{
	const char *tpl = plot_template(kind);
	char *script, *path, *argv[24], *line, *n, err[4096];
	struct stat st;
	unsigned ac = 0;
	int rc;

	if (!tpl) {
		set_cause(&po->cause, "no plot template '%s'", kind);
		po->failed++;
		return -1;
	}
	if (po->flat) {
		const char *dot = strrchr(figure, '.');

		script = xasprintf("%.*s.gp", (int)(dot ? dot - figure : (long)strlen(figure)),
				   figure);
	} else {
		char *pd = plot_path(po->dir, "plots");

		if (plot_mkdirs(pd) < 0) {
			set_cause(&po->cause, "%s: %s", pd, strerror(errno));
			free(pd);
			po->failed++;
			return -1;
		}
		free(pd);
		script = xasprintf("plots/%s.gp", kind);
	}
	path = plot_path(po->dir, script);
	if (plot_write_file(path, tpl, &po->cause) < 0) {
		free(path);
		free(script);
		po->failed++;
		return -1;
	}
	free(path);

	argv[ac++] = (char *)gnuplot_bin();
	argv[ac++] = "-c";
	argv[ac++] = script;
	argv[ac++] = (char *)csv;
	argv[ac++] = (char *)figure;
	argv[ac++] = (char *)(title ? title : "");
	for (unsigned i = 0; i < nargs && ac < ISM_ARRAY_SIZE(argv) - 1; i++)
		argv[ac++] = args[i];
	argv[ac] = NULL;
	argv[0] = "gnuplot";
	line = manifest_command_line((int)ac, argv);
	argv[0] = (char *)gnuplot_bin();
	n = xasprintf("%s%s\n", po->render, line);
	free(po->render);
	po->render = n;
	free(po->last);
	po->last = line;

	if (po->missing) {
		free(script);
		return 1;
	}
	rc = run_gnuplot(po->dir, argv, err, sizeof(err));
	free(script);
	if (rc == 127) {
		po->missing = 1;
		return 1;
	}
	path = plot_path(po->dir, figure);
	if (rc == GNUPLOT_TIMED_OUT) {
		set_cause(&po->cause, "gnuplot did not finish %s within %d s (ISM_GNUPLOT_TIMEOUT): "
			  "killed", path, gnuplot_timeout_s());
		free(path);
		po->failed++;
		return -1;
	}
	if (rc != 0 || stat(path, &st) < 0 || st.st_size == 0) {
		char *e = err + strspn(err, "\n ");

		set_cause(&po->cause, "gnuplot failed on %s (%s%d)%s%s", path,
			  rc > 128 ? "signal " : "exit ", rc > 128 ? rc - 128 : rc, *e ? ": " : "", e);
		free(path);
		po->failed++;
		return -1;
	}
	free(path);
	po->drawn++;
	return 0;
}

int plot_out_finish(struct plot_out *po, int write_render)
{
	int ret = po->failed ? -1 : 0;
	char *p = plot_path(po->dir, "render.sh");

	if (write_render) {
		if (plot_write_file(p, po->render, &po->cause) < 0)
			ret = -1;
		else
			chmod(p, 0755);
	}
	if (po->missing && write_render)
		ism_lib_warn("gnuplot not found (install it, e.g. apt-get install gnuplot-nox): the "
			 "figures' data and scripts are written; draw them with: sh %s", p);
	else if (po->missing)
		ism_lib_warn("gnuplot not found (install it, e.g. apt-get install gnuplot-nox): the "
			 "data and the script are written; draw with: %s",
			 po->last ? po->last : "");
	free(p);
	return ret;
}
