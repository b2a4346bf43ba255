/*
 * reader.h: trace readers. One ops struct per format, one table, format chosen by magic.
 *
 * Contract: reader_next() yields normalised events (event.h) one at a time, in the order the
 * trace stores them (trace.dat: merged by timestamp; text: file order; native: file order).
 * A reader never sorts and never buffers more than one event's worth of data, so memory does
 * not grow with the trace. Events the model does not know are skipped and counted
 * (reader_unknown_*). Errors carry the file name and a position (line or record number).
 *
 * The trace.dat reader reads each CPU's ring-buffer pages itself (pread() into a small buffer,
 * records split by libtraceevent's kbuffer; libtracecmd for the headers and formats, and for
 * the pages of files whose timestamps it converts or whose data is compressed), holding one
 * record per CPU, and merges them by (timestamp, CPU): a pull-based reader like the others,
 * in memory that does not grow with the file (reader-tracedat.c).
 */
#ifndef ISM_READER_H
#define ISM_READER_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "input.h"
#include "util.h"

struct reader;

/*
 * struct reader_ops - one trace format.
 * @name:    what -f takes and stats prints ("tracedat", "ftrace", "native").
 * @summary: one line for `iommusim list readers`.
 * @probe:   given the first bytes (decompressed), return 0..100: how sure this is the format.
 * @open:    parse headers; may set provenance. Returns 0 or -ISM_E* (after reader_fail()).
 * @next:    fill @ev; return 1, 0 at the end, or -ISM_E* (after reader_fail()).
 * @close:   free private state (may be called after a failed open).
 * @pos_unit/@position: optional; where the last event came from ("line" 123, "record" 45).
 *           Without them positions are given as the event's ordinal ("event" N).
 */
struct reader_ops {
	const char *name;
	const char *summary;
	int (*probe)(const unsigned char *buf, size_t len);
	int (*open)(struct reader *r);
	int (*next)(struct reader *r, struct ism_event *ev);
	void (*close)(struct reader *r);
	const char *pos_unit;
	uint64_t (*position)(struct reader *r);
};

struct ism_prov {
	char *key;
	char *value;
};

struct reader {
	const struct reader_ops *ops;
	struct ism_in *in;
	const char *path;
	void *priv;
	struct ism_devtab devs;
	struct ism_devtab unknown;     /* names of skipped events */
	uint64_t *unknown_count;       /* indexed by id in @unknown */
	unsigned unknown_cap;
	struct ism_prov *prov;
	unsigned nprov;
	char *err;                     /* "path: position: message" after a failure */
	int errcode;
	int allow_truncated;           /* a cut trace: warn, keep what is whole, end there */
	int truncated;                 /* it happened */
	/* scratch owned by the reader framework, reused per event */
	struct ism_sge *sg;
	size_t sg_cap;
	char *text;
	size_t text_cap;
	uint64_t nevents;
};

extern const struct reader_ops *const reader_table[];

const struct reader_ops *reader_find(const char *name);
/* Open @path; @format NULL = detect by magic. On failure returns -ISM_E* and *@cause. */
int reader_open(const char *path, const char *format, struct reader **out, char **cause);
int reader_next(struct reader *r, struct ism_event *ev);
void reader_close(struct reader *r);
const char *reader_error(const struct reader *r);
const char *reader_dev_name(const struct reader *r, unsigned id);
/* Position of the last event returned; *@unit gets "line", "record" or "event". */
uint64_t reader_position(struct reader *r, const char **unit);

/*
 * Traces that end inside an event (a text trace's last line without its newline, a native
 * file without its end record): an error (-ISM_ETRUNCATED, exit 2) by default; with
 * reader_allow_truncated(1) a warning (ism_lib_warn()) and the end of the trace, the partial
 * event dropped. Applies to readers opened afterwards.
 */
void reader_allow_truncated(int allow);

/*
 * Largest values the event model takes from a trace (man/iommusim-trace.5, LIMITS): what
 * is larger is an error naming the field, never clamped. Sizes bound the work of a single
 * event, sg counts the memory of one event's segments.
 */
#define ISM_MAX_SG_ENTS (1u << 20)         /* nents, ents: entries of one sg list */
#define ISM_MAX_SIZE (UINT64_C(1) << 48)   /* bytes of one map, sync, alloc or bounce */
#define ISM_MAX_TS (UINT64_C(1) << 62)     /* ns: 146 years of trace clock */
#define ISM_MAX_OPCODE UINT64_C(0xffff)    /* hypercall numbers (PAPR, ultracalls, KVM) */

/* For reader implementations. */
int reader_fail(struct reader *r, int err, const char *fmt, ...) ISM_PRINTF(3, 4);
/* The trace ends inside an event (see reader_allow_truncated()): returns 0 or the error. */
int reader_truncated(struct reader *r, const char *fmt, ...) ISM_PRINTF(2, 3);
void reader_set_prov(struct reader *r, const char *key, const char *value);
const char *reader_get_prov(const struct reader *r, const char *key);
void reader_count_unknown(struct reader *r, const char *name, size_t len);
struct ism_sge *reader_sg_reserve(struct reader *r, size_t n);
char *reader_text_reserve(struct reader *r, size_t n);
/* Intern a device name; on overflow fails the reader and returns -1. */
int reader_dev(struct reader *r, const char *name, size_t len);

#ifdef HAVE_TRACECMD
/*
 * trace.dat readers opened from now on read the ring-buffer pages through libtracecmd (1) or
 * with their own page walk where it applies (0, the default); for tests that compare the two.
 */
void reader_tracedat_use_libtracecmd(int on);
/* Whether trace.dat reader @r reads its pages itself. */
int reader_tracedat_walks(const struct reader *r);
#endif

#endif
