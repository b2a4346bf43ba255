/*
 * recorder.h: the recorder core of `iommusim record` (recorder.c): the BPF program of
 * record.bpf.c loaded with libbpf for the tracepoints the running kernel has (from its BTF),
 * its ring buffer drained into a spool file (native format), then the output written in
 * timestamp order behind its provenance. The command (cli/cmd-record.c) owns the options, the
 * signals, the child command and every message; the recorder never prints (its warnings go
 * through ism_lib_warn()) and returns -ISM_E* with a cause.
 *
 * Use: recorder_open(); recorder_attach() and recorder_poll() until the command decides to
 * stop, then recorder_detach() (or recorder_inject() instead of all three); recorder_finish();
 * recorder_stats() for the provenance; recorder_write(); recorder_close() in every case.
 */
#ifndef ISM_RECORDER_H
#define ISM_RECORDER_H

#include <stdint.h>

struct recorder;

struct recorder_opts {
	const char *output;        /* the output path: the spool file is made next to it */
	uint64_t buffer_bytes;     /* ring buffer, rounded up to a power of two */
	int inject;                /* load the raw_tp twins for recorder_inject(), attach nothing */
	int time_consumer;         /* measure the user-space time per event (--repeat) */
};

/*
 * Read the kernel's BTF, choose and load the programs, make the spool file and the ring
 * buffer. 0, or -ISM_EIO with *@cause (*@out NULL); when loading the programs failed, *@load_err
 * is its errno (EPERM, EACCES: not privileged; libbpf's messages say more), else 0.
 */
int recorder_open(const struct recorder_opts *o, struct recorder **out, int *load_err,
		  char **cause);

/* Attach to every tracepoint chosen; -ISM_EIO with *@cause when none could be. */
int recorder_attach(struct recorder *r, char **cause);
/*
 * Drain the ring buffer into the spool, waiting up to @timeout_ms: 0 go on; 1 stop, the spool
 * write failed (recorder_finish() says why); -1 the ring buffer failed (*@cause).
 */
int recorder_poll(struct recorder *r, int timeout_ms, char **cause);
/* Detach from the tracepoints and read what the kernel did not run (recursion misses). */
void recorder_detach(struct recorder *r);

/*
 * --inject: feed each event described in @spec ("-": standard input; tests/data/record/) to
 * the programs @repeat times with BPF_PROG_TEST_RUN. 0, -ISM_EUSAGE (the spec: cannot be
 * read, a bad line) or -ISM_EIO, with *@cause. *@bench: the cost per event (when @repeat > 1).
 */
struct recorder_bench {
	uint64_t events;           /* events injected (0: not measured) */
	double run_s;              /* time in BPF_PROG_TEST_RUN of the recorder's programs */
	double null_s;             /* the same number of runs of an empty program */
	double consume_s;          /* user space: ring buffer to spool file */
};
int recorder_inject(struct recorder *r, const char *spec, unsigned long repeat,
		    struct recorder_bench *bench, char **cause);

/* Take what is left in the ring buffer, read the drop counters, close the spool. */
int recorder_finish(struct recorder *r, char **cause);

struct recorder_stats {
	uint64_t events;           /* written to the spool */
	uint64_t dropped;          /* no room in the ring buffer (after recorder_finish()) */
	uint64_t missed;           /* nested in the same tracepoint (after recorder_detach()) */
	uint64_t buffer_bytes;     /* the ring buffer's size */
	unsigned nattached;        /* tracepoints attached */
	const char *attached;      /* their names, comma-separated, or how events came in */
	const char *sg_phys;       /* how sg input addresses are made physical */
};
void recorder_stats(const struct recorder *r, struct recorder_stats *s);

/*
 * Write @out: provenance (@prov: key, value pairs ended by a NULL key), then the spooled events
 * in timestamp order. 0, or -ISM_EIO with *@cause.
 */
int recorder_write(struct recorder *r, const char *out, const char *const *prov, char **cause);

/* Detach, free, remove the spool file. NULL is fine. */
void recorder_close(struct recorder *r);

#endif
