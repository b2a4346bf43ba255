/*
 * cmd-record.c: `iommusim record`: live capture of DMA-API, swiotlb, iommu and powerpc hcall
 * tracepoints into the native format. The options, the signals, the command run under the
 * capture, the provenance and the messages are here; the recorder itself (BTF probing,
 * loading and attaching the libbpf CO-RE program, the ring buffer, the spool file, the
 * output in timestamp order, --inject) is src/record/recorder.c (recorder.h).
 *
 * Built only when configure found libbpf, clang and bpftool (HAVE_RECORD); otherwise the
 * command says so and exits 1.
 *
 * Flow: open the recorder, attach, start the command if any, poll until SIGINT, SIGTERM, the
 * duration or the command's exit, detach, finish (drain, drop counters), then write the
 * output: provenance first (the drop and event counts are known only now), then the events.
 * `--inject FILE` feeds the events described in FILE through the programs with
 * BPF_PROG_TEST_RUN instead of attaching (tests, benchmarks).
 */
#include "config.h"

#include <stdio.h>

#include "cmd.h"

enum { OPT_INJECT = 0x1100, OPT_REPEAT };

static const struct cmd_opt record_opts[] = {
	{ 'o', 'o', "output", "FILE", "output file (default trace.ist; '-' = standard output)",
	  NULL },
	{ 'd', 'd', "duration", "S", "stop after S seconds", NULL },
	{ 'b', 'b', "buffer", "MB", "ring buffer size, rounded up to a power of two (default 16)",
	  NULL },
	{ 'v', 'v', "verbose", NULL, "show libbpf's messages", NULL },
	{ OPT_INJECT, 0, "inject", "SPEC",
	  "testing: feed the events described in SPEC through the programs with "
	  "BPF_PROG_TEST_RUN instead of attaching", NULL },
	{ OPT_REPEAT, 0, "repeat", "N",
	  "with --inject: inject each event N times and report the cost per event", NULL },
	CMD_OPT_RETIRED_J,
	CMD_OPT_END,
};

#ifdef HAVE_RECORD
#define RECORD_NOT_BUILT ""
#else
#define RECORD_NOT_BUILT                                                                     \
	"Not built: this iommusim was configured without libbpf, clang or bpftool.\n"        \
	"Install them (scripts/setup.sh) and run configure again.\n\n"
#endif

const struct cmd_entry cmd_record_entry = {
	.name = "record",
	.args = "[-o FILE] [--duration S] [--buffer MB] [-- COMMAND [ARG]...]",
	.summary = "capture DMA and hcall events (root, BPF)",
	.fn = cmd_record,
	.opts = record_opts,
	.options_first = 1,   /* COMMAND's own options are its */
	.about = RECORD_NOT_BUILT
		 "Record the kernel's DMA-API (dma:*), swiotlb, iommu and powerpc hypercall\n"
		 "tracepoints into a native trace (iommusim-trace(5)), with a BPF program attached\n"
		 "as tp_btf to whichever of them this kernel has (dma_map_phys on 6.18+,\n"
		 "dma_map_page before). Stops on SIGINT (Ctrl-C) or SIGTERM, after S seconds, or\n"
		 "when COMMAND exits (with --duration, COMMAND then gets SIGTERM).\n"
		 "Needs root (CAP_BPF + CAP_PERFMON) and a kernel with BTF; tracefs is not needed.\n"
		 "Timestamps are CLOCK_MONOTONIC ns. Events the ring buffer had no room for are\n"
		 "counted and reported (provenance key dropped).\n",
	.after = "Exit status: 0 recorded, 1 cannot load or attach (reason given), 2 usage.\n",
};

#ifndef HAVE_RECORD

int cmd_record(int argc, char **argv)
{
	ism_err("record: not built: needs libbpf, clang and bpftool at build time "
		"(see ./configure's summary)");
	return EXIT_FAIL;
}

#else /* HAVE_RECORD */

#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "src/record/recorder.h"

static volatile sig_atomic_t stop_sig;
static int verbose;
static char *libbpf_log;
static size_t libbpf_log_len;

static void on_signal(int sig)
{
	stop_sig = sig;
}

/* libbpf's messages: shown with -v, otherwise kept to explain a failure. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	ISM_PRINTF(2, 0);
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (verbose) {
		vfprintf(stderr, fmt, ap);
		return 0;
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (libbpf_log_len + (size_t)n + 1 > (64u << 10))
		return 0;
	libbpf_log = xrealloc(libbpf_log, libbpf_log_len + (size_t)n + 1);
	memcpy(libbpf_log + libbpf_log_len, buf, (size_t)n + 1);
	libbpf_log_len += (size_t)n;
	return 0;
}

static void show_libbpf_log(void)
{
	if (libbpf_log_len) {
		fprintf(stderr, "iommusim: record: libbpf said:\n%s", libbpf_log);
		if (libbpf_log[libbpf_log_len - 1] != '\n')
			fputc('\n', stderr);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static char *join_args(char **argv)
{
	size_t n = 0;
	char *s;

	for (int i = 0; argv[i]; i++)
		n += strlen(argv[i]) + 1;
	s = xmalloc(n + 1);
	s[0] = '\0';
	for (int i = 0; argv[i]; i++) {
		strcat(s, argv[i]);
		if (argv[i + 1])
			strcat(s, " ");
	}
	return s;
}

/* ---- the command ------------------------------------------------------------------------ */

struct rec_args {
	const char *out, *spec;
	double duration;
	unsigned long buffer_mb, repeat;
	char *cmdline;            /* the command run under the capture, or NULL */
	char **argv;              /* ... as given */
};

/* The options; returns -1 to go on, else the exit status (--help, a usage error). */
static int rec_options(int argc, char **argv, struct rec_args *a)
{
	struct cmd_args ca;
	char *end;
	int c, bad = 0;

	memset(a, 0, sizeof(*a));
	a->out = "trace.ist";
	a->buffer_mb = 16;
	a->repeat = 1;
	cmd_args_init(&ca, &cmd_record_entry, argc, argv);
	while ((c = cmd_next(&ca)) > 0) {
		const char *arg = ca.arg;

		switch (c) {
		case 'o':
			a->out = arg;
			break;
		case 'd':
			a->duration = strtod(arg, &end);
			if (*end || !(a->duration > 0) || a->duration > 1e9)
				bad = usage_error("record", "--duration: '%s' is not a number of "
						  "seconds > 0", arg);
			break;
		case 'b':
			a->buffer_mb = strtoul(arg, &end, 10);
			if (*end || a->buffer_mb < 1 || a->buffer_mb > 4096)
				bad = usage_error("record", "--buffer: '%s' is not 1..4096 (MB)", arg);
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_INJECT:
			a->spec = arg;
			break;
		case OPT_REPEAT:
			a->repeat = strtoul(arg, &end, 10);
			if (*end || a->repeat < 1 || a->repeat > 100000000)
				bad = usage_error("record", "--repeat: '%s' is not 1..100000000", arg);
			break;
		}
		if (bad)
			break;
	}
	cmd_args_free(&ca);
	if (c < 0)
		return ca.status;
	if (bad)
		return bad;
	if (a->spec && optind < argc)
		return usage_error("record", "--inject takes no command");
	if (optind < argc) {
		a->cmdline = join_args(argv + optind);
		a->argv = argv + optind;
	}
	return -1;
}

/*
 * A failure of the recorder: "record: CAUSE", and when loading the programs failed (@load_err,
 * an errno) what to do or libbpf's messages; EXIT_FAIL.
 */
static int rec_fail(char *cause, int load_err)
{
	int perm = load_err == EPERM || load_err == EACCES, load = load_err != 0;

	if (load && perm)
		ism_err("record: %s (run as root: needs CAP_BPF and CAP_PERFMON, or "
			"CAP_SYS_ADMIN)", cause);
	else
		ism_err("record: %s%s", cause,
			load && !verbose ? " (-v shows libbpf's messages)" : "");
	if (load && !verbose && !perm)
		show_libbpf_log();
	free(cause);
	return EXIT_FAIL;
}

/*
 * The live capture: attach, run the command, poll until a signal, the duration or the
 * command's exit, detach. *@child_status: the command's wait status, or -1. 0 or EXIT_FAIL.
 */
static int rec_live(struct recorder *rec, const struct rec_args *a, double t_start,
		    const struct sigaction *old, int *child_status)
{
	struct recorder_stats s;
	char *cause = NULL;
	pid_t child = -1;

	if (recorder_attach(rec, &cause) < 0)
		return rec_fail(cause, 0);
	if (a->cmdline) {
		child = fork();
		if (child < 0) {
			ism_err("record: fork: %s", strerror(errno));
			return EXIT_FAIL;
		}
		if (child == 0) {
			sigaction(SIGINT, &old[0], NULL);
			sigaction(SIGTERM, &old[1], NULL);
			sigaction(SIGHUP, &old[2], NULL);
			execvp(a->argv[0], a->argv);
			fprintf(stderr, "iommusim: record: cannot run %s: %s\n", a->argv[0],
				strerror(errno));
			_exit(127);
		}
	}
	recorder_stats(rec, &s);
	fprintf(stderr, "iommusim: record: attached %u tracepoints (%s)%s\n", s.nattached,
		s.attached, child > 0 || a->duration > 0 ? "" : "; Ctrl-C to stop");
	while (!stop_sig) {
		int n = recorder_poll(rec, 100, &cause);

		if (n < 0) {
			ism_err("record: %s", cause);
			free(cause);
			cause = NULL;
			break;
		}
		if (n > 0)
			break;
		if (child > 0 && waitpid(child, child_status, WNOHANG) == child) {
			child = -1;
			break;
		}
		if (a->duration > 0 && now_s() - t_start >= a->duration)
			break;
	}
	/* stop: detach, then take what is left in the ring buffer (recorder_finish) */
	recorder_detach(rec);
	if (child > 0) {
		if (!stop_sig)
			kill(child, SIGTERM);
		while (waitpid(child, child_status, 0) < 0 && errno == EINTR)
			;
	}
	return 0;
}

/* Write the output behind its provenance and say what was recorded. */
static int rec_write(struct recorder *rec, const struct rec_args *a, double t_start,
		     int child_status)
{
	struct recorder_stats s;
	struct utsname un;
	char s_dropped[32], s_missed[32], s_events[32], s_buffer[32], s_dur[64], s_cpus[16];
	char s_status[32];
	char *cause = NULL;
	int ret = EXIT_OK;

	recorder_stats(rec, &s);
	snprintf(s_cpus, sizeof(s_cpus), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	uname(&un);
	snprintf(s_dropped, sizeof(s_dropped), "%" PRIu64, s.dropped);
	snprintf(s_missed, sizeof(s_missed), "%" PRIu64, s.missed);
	snprintf(s_events, sizeof(s_events), "%" PRIu64, s.events);
	snprintf(s_buffer, sizeof(s_buffer), "%" PRIu64, s.buffer_bytes >> 20);
	snprintf(s_dur, sizeof(s_dur), "%.3f", now_s() - t_start);
	if (child_status >= 0)
		snprintf(s_status, sizeof(s_status), "%d",
			 WIFEXITED(child_status) ? WEXITSTATUS(child_status) :
			 128 + WTERMSIG(child_status));
	else
		snprintf(s_status, sizeof(s_status), "-");
	{
		const char *prov[] = {
			"kernel", un.release,
			"machine", un.machine,
			"clock", "monotonic",
			"recorder", "iommusim record (libbpf CO-RE, tp_btf, ring buffer)",
			"attached", s.attached,
			"events", s_events,
			"dropped", s_dropped,
			"missed", s_missed,
			"command", a->cmdline ? a->cmdline : "-",
			"command_status", s_status,
			"duration_s", s_dur,
			"buffer_mb", s_buffer,
			"cpus", s_cpus,
			"sg_phys", s.sg_phys,
			NULL, NULL,
		};

		if (recorder_write(rec, a->out, prov, &cause) < 0) {
			ism_err("record: %s", cause);
			free(cause);
			ret = EXIT_FAIL;
		}
	}
	if (ret == EXIT_OK)
		fprintf(stderr, "iommusim: record: %" PRIu64 " events, %" PRIu64 " dropped (ring "
			"buffer full), %" PRIu64 " missed (nested in the same tracepoint), %s "
			"written%s\n", s.events, s.dropped, s.missed, a->out,
			s.dropped ? "; raise --buffer to lose fewer" : "");
	if (child_status >= 0 && a->cmdline && s_status[0] != '0')
		ism_warn("record: the command exited with status %s", s_status);
	return ret;
}

int cmd_record(int argc, char **argv)
{
	struct rec_args a;
	struct recorder_opts o;
	struct recorder *rec = NULL;
	struct sigaction sa, old[3];
	int child_status = -1, ret, load_err;
	char *cause = NULL;
	double t_start;

	ret = rec_options(argc, argv, &a);
	if (ret >= 0)
		return ret;
	memset(&o, 0, sizeof(o));
	o.output = a.out;
	o.buffer_bytes = (uint64_t)a.buffer_mb << 20;
	o.inject = a.spec != NULL;
	o.time_consumer = a.repeat > 1;
	libbpf_set_print(libbpf_print);
	if (recorder_open(&o, &rec, &load_err, &cause) < 0) {
		ret = rec_fail(cause, load_err);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
	sigaction(SIGHUP, &sa, &old[2]);

	t_start = now_s();
	if (a.spec) {
		struct recorder_bench b;
		int err = recorder_inject(rec, a.spec, a.repeat, &b, &cause);

		if (err < 0) {
			ism_err("record: %s", cause);
			free(cause);
			ret = ism_err_exit(err);
			goto out;
		}
		if (b.events)
			fprintf(stderr,
				"iommusim: record: injected %" PRIu64 " events: %.0f ns/event through "
				"BPF_PROG_TEST_RUN, %.0f ns/event for an empty program: the recorder's "
				"BPF handler costs %.0f ns/event; user space %.0f ns/event (ring buffer "
				"to spool file)\n",
				b.events, b.run_s * 1e9 / (double)b.events,
				b.null_s * 1e9 / (double)b.events,
				(b.run_s - b.null_s) * 1e9 / (double)b.events,
				b.consume_s * 1e9 / (double)b.events);
	} else if ((ret = rec_live(rec, &a, t_start, old, &child_status)) != 0) {
		goto out;
	}
	/*
	 * Captured. From here a signal no longer means "stop": it aborts, and the handlers of
	 * output.h remove the spool and the unfinished output (nothing appears under -o).
	 */
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
	sigaction(SIGHUP, &old[2], NULL);
	if (recorder_finish(rec, &cause) < 0) {
		ism_err("record: %s", cause);
		free(cause);
		ret = EXIT_FAIL;
		goto out;
	}
	ret = rec_write(rec, &a, t_start, child_status);

out:
	recorder_close(rec);
	free(a.cmdline);
	free(libbpf_log);
	libbpf_log = NULL;
	libbpf_log_len = 0;
	return ret;
}

#endif /* HAVE_RECORD */
