/*
 * sim.c: the replay engine (see sim.h for the re-timing rules).
 */
#include "config.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "evblock.h"
#include "hcfit.h"
#include "error.h"
#include "livemap.h"
#include "resource.h"
#include "sim.h"
#include "util.h"

/* ---- latency histograms --------------------------------------------------------------- */

static unsigned lat_bucket(double ns)
{
	uint64_t v = ns < 1 ? 0 : (uint64_t)ns;
	unsigned e, sub;

	if (v < 8)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	sub = (unsigned)((v >> (e - 3)) & 7);
	return e * 8 + sub;
}

static double lat_bucket_hi(unsigned b)
{
	unsigned e = b / 8, sub = b % 8;

	if (b < 8)
		return b;
	return (double)((8ull + sub + 1) << (e - 3));
}

void lat_add(struct lat_hist *h, double ns)
{
	unsigned b = lat_bucket(ns);

	if (b >= ISM_ARRAY_SIZE(h->b))
		b = ISM_ARRAY_SIZE(h->b) - 1;
	h->b[b]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

double lat_percentile(const struct lat_hist *h, double p)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	want = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (want < 1)
		want = 1;
	for (unsigned b = 0; b < ISM_ARRAY_SIZE(h->b); b++) {
		seen += h->b[b];
		if (seen >= want) {
			double hi = lat_bucket_hi(b);

			return hi < h->max_ns ? hi : h->max_ns;
		}
	}
	return h->max_ns;
}

/* ---- resources: calendars of busy intervals -------------------------------------------- */

#define CAL_MAX 256

struct interval {
	double start, end;
};

struct calendar {
	struct interval iv[CAL_MAX]; /* sorted by start, non-overlapping */
	unsigned n;
};

/*
 * Earliest start >= @t of a @dur-long hold that overlaps no busy interval; book it. The
 * intervals are sorted and disjoint, so their ends are sorted too: a binary search finds the
 * first one that can matter. When the calendar is full its older half is forgotten at once.
 */
static double cal_reserve(struct calendar *c, double t, double dur)
{
	unsigned lo = 0, hi = c->n, i, pos;
	double s = t;

	/* the common case: the hold starts after everything booked (the search's answer too) */
	if (c->n && c->iv[c->n - 1].end <= s)
		lo = hi;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (c->iv[mid].end <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < c->n && c->iv[i].start < s + dur; i++)
		if (c->iv[i].end > s)
			s = c->iv[i].end;
	pos = i;
	if (dur <= 0)
		return s;
	/* merge with the interval that ends where this hold starts */
	if (pos > 0 && c->iv[pos - 1].end >= s) {
		c->iv[pos - 1].end = s + dur;
		return s;
	}
	if (c->n == CAL_MAX) {
		unsigned drop = CAL_MAX / 2 < pos ? CAL_MAX / 2 : pos;

		if (!drop)
			return s; /* before everything remembered: too old to book */
		memmove(&c->iv[0], &c->iv[drop], (c->n - drop) * sizeof(c->iv[0]));
		c->n -= drop;
		pos -= drop;
	}
	memmove(&c->iv[pos + 1], &c->iv[pos], (c->n - pos) * sizeof(c->iv[0]));
	c->iv[pos].start = s;
	c->iv[pos].end = s + dur;
	c->n++;
	return s;
}

/* ---- engine state ---------------------------------------------------------------------- */

/* Devices whose latest map per CPU is kept (the device dependency); others use their own map. */
#define SIM_DEVS 64

enum { DEP_MAP = 1, DEP_SG = 2, DEP_ALLOC = 3 };
#define DEP_NONE UINT32_MAX       /* no mapping of the recording's (an orphan) */

/* What kind of request an event is. */
enum req_op { OP_NONE, OP_MAP, OP_MAP_SG, OP_ALLOC, OP_UNMAP, OP_UNMAP_SG, OP_FREE,
	      OP_SYNC_CPU, OP_SYNC_DEV, OP_MARK };

/* The request makes a mapping (streaming or coherent). */
static inline int op_maps(enum req_op op)
{
	return op == OP_MAP || op == OP_MAP_SG || op == OP_ALLOC;
}

/* The request removes a mapping. */
static inline int op_unmaps(enum req_op op)
{
	return op == OP_UNMAP || op == OP_UNMAP_SG || op == OP_FREE;
}

static inline int op_is_sync(enum req_op op)
{
	return op == OP_SYNC_CPU || op == OP_SYNC_DEV;
}

/* The request starts after the device is done with a mapping (run_after_device()). */
static inline int op_after_device(enum req_op op)
{
	return op_unmaps(op) || op_is_sync(op);
}

/* From what an unmap's device time counts (run_after_device()). */
enum { ANCHOR_OWN, ANCHOR_DEV, ANCHOR_MARK };

/*
 * One DMA event or marker being replayed: what every run's replay of it shares, prepared once
 * (prepare()). A run reads nothing of the recording's side but this: the fields after @rc are
 * copies of the recorded state as it was at the event.
 */
struct evctx {
	const struct ism_event *ev;
	uint64_t pos;             /* its reader position */
	struct rcpu *rc;          /* its CPU, as recorded (the shared side only: it may move) */
	enum req_op op;
	uint8_t tag;
	uint64_t key;
	struct dma_req rq;        /* the request (a run replays a copy) */
	const struct dma_seg *segs; /* its input segments (map_sg) */
	int inferred;             /* a map_sg whose input lengths were inferred */
	double t;                 /* recorded time */
	double think;             /* think time before it (recorded gap less recorded work) */
	double rec_model, rec_dev;/* the recorded strategy's modelled work: CPU, device */
	double debt;              /* an earlier gap's recorded work taken from this one */
	/* dependencies across CPUs (iommusim(1), RE-TIMING) */
	int follow_last, first_dma, boot_end, follow_mark, follow_done;
	double mark_think, done_think;
	double last_t;            /* the latest DMA event or marker before it, as recorded */
	double ovh_ns;            /* TCE hypercall time on its CPU since the CPU's previous one */
	uint64_t seen[3];         /* ... those hypercalls by opcode (PUT, INDIRECT, STUFF) */
	double dur[3];
	const void *chkrec;       /* the hcall check's recorded state of its CPU (sim->chk) */
	const uint64_t *iseen;    /* IOMMU events on its CPU since then (the IOMMU check) */
	/* an unmap, free or sync: its map as recorded, and the device's recorded time */
	int orphan;               /* no map of it in the trace */
	uint32_t dep_id;          /* a map, unmap, free or sync: its mapping's id (DEP_NONE) */
	uint8_t anchor;           /* ANCHOR_*: the device time counts from the map, from a later
				   * map of the device on the map's CPU (anchor_cpu), or a marker */
	uint16_t anchor_cpu;
	double dev_time;
	/* a marker: the boot end, the start or end of phase k (-1: neither) */
	int mk_boot, mk_start, mk_end;
};

/* A block of prepared events (the pipeline, struct sim). */
struct sim_block {
	char pad[64];             /* SIM_LINE: the other block is another thread's */
	struct ev_block evs;      /* the events, copied */
	struct evctx *x;          /* evs.n of them */
	size_t *seg_off;          /* x[i]'s input segments in segs (SIZE_MAX: none) */
	struct dma_seg *segs;
	size_t nsegs, segcap;
	unsigned char *chk;       /* x[i]'s check state: chk->rec_size bytes each */
};

static void block_free(struct sim_block *b)
{
	if (!b->x)
		return;
	evblock_free(&b->evs);
	free(b->x);
	free(b->seg_off);
	free(b->segs);
	free(b->chk);
	memset(b, 0, sizeof(*b));
}

/*
 * A run's state of one of the recording's live mappings, found by the id prepare() gives it
 * (evctx.dep_id), not by a lookup of its own: a run maps what the recording maps, in its
 * order, and removes a mapping no later than the recording does (a failed map at its first
 * unmap), so its refs never exceed the recording's and an id is never reused while the run
 * still holds it.
 */
struct run_dep {
	double end;               /* simulated end of the map */
	double extra;             /* the run's device time beyond the recorded strategy's */
	uint32_t refs;            /* 0: the run holds no such mapping */
	uint8_t flags;            /* 1: the map failed; 2: its sg lengths were inferred */
};

struct run {
	struct strat *stack;
	struct sim_result res;
	unsigned ncpus;           /* CPUs its per-CPU arrays hold (run_grow()) */
	double *T;                /* per-CPU simulated clock (ns) */
	struct run_dep *dep;      /* by the recording's mapping id (evctx.dep_id) */
	uint32_t ndep;
	struct calendar **cal;    /* per resource */
	unsigned ncal;
	struct actbuf ab;
	double boot_T;
	int hidden;               /* the recorded-with instance: no result */
	/* the check against the recording (sim->chk): its per-CPU state, its view of the run */
	unsigned char *chk_cpu;   /* ncpus blocks of chk->cpu_size bytes */
	struct check_run chk;
	double last_T;            /* simulated end of the latest DMA event or marker (sim->last) */
	double mark_T;            /* simulated time of the latest marker */
	double *dev_T;            /* [cpu * SIM_DEVS + dev]: simulated end of the latest map */
	double setup_left;        /* boot work not charged yet (see start()) */
	double done_T[SIM_DEVS];  /* simulated end of the device's latest unmap (completion) */
	int as_recorded;          /* the strategy the trace was recorded under (sim.recorded_with) */
	/* as_recorded: a traced-first event's modelled hypercalls, by CPU and opcode, settled
	 * with their recorded time when they show (after the event, before the CPU's next) */
	double *owed_ns;
	uint64_t *owed_calls;
	/* the IOMMU check (--check-iommu): the layer that counts, its counts before the event */
	struct strat *ilayer;
	struct strat_iommu_counts ibefore;
	uint64_t ipred[IFID_SLOTS];   /* the current event's prediction */
	uint64_t ipred_timer;
	struct ick *ick;              /* per CPU */
	unsigned nick;
	struct dma_seg *segs;         /* its copy of the request's segments (layers rewrite them) */
	unsigned segcap;
};

/* The IOMMU check's state of one run on one CPU. */
struct ick {
	uint64_t carry[IFID_SLOTS];   /* recorded before the previous DMA event, not explained */
	uint64_t owe[IFID_SLOTS];     /* a traced-first event's prediction, due after it */
	int owing;
	uint64_t owe_pos;
	char owe_what[48];
};


struct rcpu {
	double t_prev;            /* recorded time of this CPU's previous DMA event */
	int have_prev;
	double ovh_ns;            /* TCE hypercall time seen since then */
	int hc_pending;
	uint32_t hc_op;
	double hc_ts;
	uint64_t seen[3];         /* TCE hcalls seen since then: PUT, INDIRECT, STUFF */
	double pending_rec;       /* modelled recording cost of a traced-first event, due next */
	uint64_t last_ts;         /* latest timestamp of any event replayed on this CPU */
	int have_ts;
	double dur[3];            /* their entry-to-exit time, by opcode */
	double t_last;            /* recorded time of this CPU's last event of any kind */
	double *dev_t;            /* [dev]: recorded time of this CPU's latest map of the device */
	int dma_seen;             /* this CPU had a DMA event */
	double debt;              /* modelled recording cost not yet taken from a gap */
	uint64_t iseen[IFID_SLOTS]; /* IOMMU events since this CPU's previous DMA event */
	int after_unmap;          /* its latest IOMMU event was an iommu:unmap */
	unsigned unmap_ctx;       /* ... in this context (ISM_EF_CTX, _HARDIRQ, _SOFTIRQ) */
	uint32_t unmap_pid;       /* ... of this task */
};

/* Bytes between what the runs' threads read and what the caller's thread writes. */
#define SIM_LINE 64

struct sim {
	/* what a run reads (set before the first event, then read only) */
	const struct scenario *sc;
	struct cost_plan cost;    /* sc's cost coefficients, by operation */
	struct run *runs;
	unsigned nruns;
	int check;
	/* the check of the recording's calls (--check-hcalls; a strategy's, check.h), or NULL,
	 * and its per-CPU view of the recording: ncpus blocks of chk->rec_size bytes */
	const struct strat_check *chk;
	sim_dev_name_fn dev_name;  /* the trace's device names (sim_set_dev_names), or NULL */
	const void *dev_name_arg;
	struct sim_observer obs;  /* optional (timeline, time-series figures) */
	int observed;
	struct hcfit *fit;        /* hypercall samples of run fit_run, or NULL */
	unsigned fit_run;
	int untimed;              /* sim_fit_hcalls(): the runs' actions, not their time */
	/*
	 * The pipeline (sim_new_jobs()): each event's shared side (the recorded figures, the
	 * request, its think time, dependencies and device anchor) is prepared once, into a
	 * block, with copies of what the runs read of it; a full block is replayed through
	 * every run, each run over the whole block at a time so that its state stays in cache.
	 * The pool's threads claim the runs one by one while the caller's thread prepares the
	 * next block, then helps. A run reads only its own state and the block, so the results
	 * are the same for any number of threads. Without it (sim_new(), one thread; an
	 * observer and the IOMMU check watch one event at a time), each event goes through
	 * every run before the next.
	 */
	unsigned jobs;            /* sim_new_jobs(): threads (0: sim_new()) */
	int blocked, decided;     /* the pipeline is on (decided at the first event) */
	unsigned posted_blk;      /* the block being replayed, when posted */
	struct evpool pool;
	char pad0[SIM_LINE];
	unsigned next_run;        /* the posted block's next run to claim (atomic) */
	char pad1[SIM_LINE];
	/* the recording's side (the caller's thread) */
	struct run *rec;          /* sim.recorded_with instance, or NULL */
	struct rcpu *cpus;
	unsigned ncpus;
	struct sim_recorded r;
	pthread_mutex_t res_lock; /* sim_resource() may be called by the runs' threads */
	char **resnames;
	unsigned nres;
	int started, boot_done, finished;
	unsigned char *chk_rec;
	unsigned boot_cpu;
	struct dma_seg *segs;
	unsigned segcap;
	double kbytes_page;
	/* the latest DMA event or marker, and the latest marker, as recorded */
	unsigned last_cpu, mark_cpu;
	double last_t, mark_t;
	int have_last, have_mark;
	int from_boot;            /* the trace covers boot: the strategies' boot work is charged */
	regex_t phase_re, end_re; /* sim.phase_marker, sim.phase_end_marker */
	double done_t[SIM_DEVS];  /* recorded time of the device's latest unmap, 0 = none */
	uint16_t done_cpu[SIM_DEVS];
	int have_phase_re, have_end_re;
	struct livemap sdeps;     /* the recording's live mappings: CPU and time of the map, and
				   * in d[0] its id (a run's index into run->dep) */
	uint32_t *dep_free;       /* ids free for reuse, and the next never used */
	uint32_t ndep_free, dep_free_cap, dep_next;
	unsigned cur;             /* the block being prepared */
	int posted;
	struct sim_block blk[2];  /* apart by SIM_LINE bytes (struct sim_block) */
};

double sim_phase_recorded_ns(const struct sim_recorded *r, unsigned k)
{
	const struct phase_time *p = &r->phases[k];

	if (p->has_end)
		return p->rec_end_ns - p->rec_start_ns;
	return (k + 1 < r->nphases ? r->phases[k + 1].rec_start_ns : r->end_ns - r->start_ns) -
	       p->rec_start_ns;
}

double sim_phase_simulated_ns(const struct sim_recorded *r, const struct sim_result *res,
			      unsigned k)
{
	if (r->phases[k].has_end)
		return res->phase_sim_end_ns[k] - res->phase_sim_ns[k];
	return (k + 1 < r->nphases ? res->phase_sim_ns[k + 1] : res->end_ns) -
	       res->phase_sim_ns[k];
}

/* Compile a marker pattern (POSIX ERE; its first group names the phase). */
static int sim_compile_marker(const char *what, const char *pat, regex_t *re, char **cause)
{
	int rc = regcomp(re, pat, REG_EXTENDED);
	char buf[160];

	if (rc) {
		regerror(rc, re, buf, sizeof(buf));
		*cause = xasprintf("%s: \"%s\" is not a POSIX extended regular expression: %s",
				   what, pat, buf);
		return -1;
	}
	if (re->re_nsub < 1) {
		regfree(re);
		*cause = xasprintf("%s: \"%s\" has no group: its first group names the phase",
				   what, pat);
		return -1;
	}
	return 0;
}

uint16_t sim_resource(struct sim *sim, const char *name)
{
	uint16_t id = 0;

	/* strategies make resources as they go (a domain per device): from the runs' threads */
	pthread_mutex_lock(&sim->res_lock);
	if (sim->nres < 65534) {
		sim->resnames = xreallocarray(sim->resnames, sim->nres + 1, sizeof(*sim->resnames));
		sim->resnames[sim->nres++] = xstrdup(name);
		id = (uint16_t)sim->nres;
	}
	pthread_mutex_unlock(&sim->res_lock);
	return id;
}

/* The check's recorded state for CPUs @from..@n-1 (zeroed; n > from: the array grows). */
static void chk_grow(struct sim *sim, unsigned from, unsigned n)
{
	size_t rs = sim->chk->rec_size;

	sim->chk_rec = xreallocarray(sim->chk_rec, n, rs ? rs : 1);
	memset(sim->chk_rec + from * rs, 0, (n - from) * rs);
}

/* A run's check state for its CPUs @from..@n-1 (zeroed). */
static void chk_grow_run(const struct sim *sim, struct run *run, unsigned from, unsigned n)
{
	size_t cs = sim->chk->cpu_size;

	run->chk_cpu = xreallocarray(run->chk_cpu, n, cs ? cs : 1);
	memset(run->chk_cpu + from * cs, 0, (n - from) * cs);
}

static void *chk_rec(const struct sim *sim, unsigned cpu)
{
	return sim->chk_rec + (size_t)cpu * sim->chk->rec_size;
}

static void *chk_cpu(const struct sim *sim, struct run *run, unsigned cpu)
{
	return run->chk_cpu + (size_t)cpu * sim->chk->cpu_size;
}

static struct rcpu *rcpu(struct sim *sim, unsigned cpu)
{
	if (cpu >= sim->ncpus) {
		unsigned n = sim->ncpus ? sim->ncpus : 4;

		while (n <= cpu)
			n *= 2;
		sim->cpus = xreallocarray(sim->cpus, n, sizeof(*sim->cpus));
		memset(sim->cpus + sim->ncpus, 0, (n - sim->ncpus) * sizeof(*sim->cpus));
		if (sim->rec) {
			sim->rec->T = xreallocarray(sim->rec->T, n, sizeof(double));
			for (unsigned c = sim->ncpus; c < n; c++)
				sim->rec->T[c] = 0;
		}
		if (sim->chk)
			chk_grow(sim, sim->ncpus, n);
		sim->ncpus = n;
	}
	return &sim->cpus[cpu];
}

/* A run's per-CPU arrays for CPUs 0..@n-1 (the new ones zeroed): a run grows its own, as its
 * replay reaches a CPU (the recording's side may be a block ahead). */
static void run_grow(const struct sim *sim, struct run *run, unsigned n)
{
	unsigned from = run->ncpus;

	if (n <= from)
		return;
	run->T = xreallocarray(run->T, n, sizeof(double));
	run->dev_T = xreallocarray(run->dev_T, (size_t)n * SIM_DEVS, sizeof(double));
	run->owed_ns = xreallocarray(run->owed_ns, (size_t)n * 3, sizeof(double));
	run->owed_calls = xreallocarray(run->owed_calls, (size_t)n * 3, sizeof(uint64_t));
	memset(run->T + from, 0, (n - from) * sizeof(double));
	memset(run->dev_T + (size_t)from * SIM_DEVS, 0, (size_t)(n - from) * SIM_DEVS * sizeof(double));
	memset(run->owed_ns + (size_t)from * 3, 0, (size_t)(n - from) * 3 * sizeof(double));
	memset(run->owed_calls + (size_t)from * 3, 0, (size_t)(n - from) * 3 * sizeof(uint64_t));
	if (sim->chk)
		chk_grow_run(sim, run, from, n);
	run->ncpus = n;
}

static int init_run(struct sim *sim, struct run *run, const char *spec, unsigned index,
		    char **cause)
{
	memset(run, 0, sizeof(*run));
	run->stack = strat_new(spec, sim->sc, sim, index, cause);
	if (!run->stack)
		return -1;
	snprintf(run->res.spec, sizeof(run->res.spec), "%s", spec);
	run->res.top = run->stack->ops;
	for (struct strat *s = run->stack; s; s = s->next)
		run->res.flags |= s->ops->flags;
	if (run->stack->sc->machine.secure_vm)
		run->res.flags |= STRAT_PROTECTED;
	else if (!(run->stack->sc->machine.secure_vm))
		run->res.flags &= ~(unsigned)STRAT_PROTECTED;
	run->as_recorded = sim->sc->sim.recorded_with && !strcmp(sim->sc->sim.recorded_with, spec);
	for (struct strat *s = run->stack; s && !run->ilayer; s = s->next)
		if (s->ops->iommu_counts)
			run->ilayer = s;
	run->res.ifid.active = run->ilayer != NULL;
	return 0;
}

struct sim *sim_new(const struct scenario *sc, char *const *specs, unsigned nspecs, char **cause)
{
	struct sim *sim = xcalloc(1, sizeof(*sim));

	pthread_mutex_init(&sim->res_lock, NULL);
	sim->sc = sc;
	cost_plan_init(&sim->cost, sc);
	if (strategy_check(cause) < 0 || strategy_params_check(sc, cause) < 0) {
		free(sim);
		return NULL;
	}
	sim->runs = xcalloc(nspecs ? nspecs : 1, sizeof(*sim->runs));
	for (unsigned i = 0; i < nspecs; i++) {
		if (init_run(sim, &sim->runs[i], specs[i], i, cause) < 0) {
			sim->nruns = i;
			sim_free(sim);
			return NULL;
		}
		sim->nruns = i + 1;
	}
	if (sc->sim.recorded_with && *sc->sim.recorded_with) {
		char *c2 = NULL;

		sim->rec = xcalloc(1, sizeof(*sim->rec));
		if (init_run(sim, sim->rec, sc->sim.recorded_with, nspecs, &c2) < 0) {
			*cause = xasprintf("sim.recorded_with: %s", c2);
			free(c2);
			free(sim->rec);
			sim->rec = NULL;
			sim_free(sim);
			return NULL;
		}
		sim->rec->hidden = 1;
	}
	if (sc->sim.boot_in_trace && *sc->sim.boot_in_trace &&
	    strcmp(sc->sim.boot_in_trace, "auto") && strcmp(sc->sim.boot_in_trace, "yes") &&
	    strcmp(sc->sim.boot_in_trace, "no")) {
		*cause = xasprintf("sim.boot_in_trace: \"%s\" is not auto, yes or no",
				   sc->sim.boot_in_trace);
		sim_free(sim);
		return NULL;
	}
	if (sc->sim.phase_marker && *sc->sim.phase_marker) {
		if (sim_compile_marker("sim.phase_marker", sc->sim.phase_marker, &sim->phase_re,
				       cause) < 0) {
			sim_free(sim);
			return NULL;
		}
		sim->have_phase_re = 1;
	}
	if (sc->sim.phase_end_marker && *sc->sim.phase_end_marker) {
		if (sim_compile_marker("sim.phase_end_marker", sc->sim.phase_end_marker,
				       &sim->end_re, cause) < 0) {
			sim_free(sim);
			return NULL;
		}
		sim->have_end_re = 1;
	}
	livemap_init(&sim->sdeps);
	rcpu(sim, 0);
	return sim;
}

/* Events prepared before the runs replay them: large enough to keep each run's state in
 * cache for long, small enough that the block itself stays in the last-level cache. */
#define SIM_BLOCK_EVENTS 4096

struct sim *sim_new_jobs(const struct scenario *sc, char *const *specs, unsigned nspecs,
			 unsigned jobs, char **cause)
{
	struct sim *sim = sim_new(sc, specs, nspecs, cause);

	if (sim)
		sim->jobs = jobs ? jobs : evpool_cpus();
	return sim;
}

static void run_free(struct run *run)
{
	strat_free(run->stack);
	free(run->T);
	free(run->dev_T);
	free(run->owed_ns);
	free(run->owed_calls);
	free(run->chk_cpu);
	free(run->ick);
	free(run->segs);
	free(run->dep);
	for (unsigned i = 0; i < run->ncal; i++)
		free(run->cal[i]);
	free(run->cal);
	actbuf_free(&run->ab);
}

void sim_free(struct sim *sim)
{
	if (!sim)
		return;
	if (sim->pool.fn)
		evpool_stop(&sim->pool);
	for (int b = 0; b < 2; b++)
		block_free(&sim->blk[b]);
	livemap_free(&sim->sdeps);
	free(sim->dep_free);
	for (unsigned i = 0; i < sim->nruns; i++)
		run_free(&sim->runs[i]);
	free(sim->runs);
	if (sim->rec) {
		run_free(sim->rec);
		free(sim->rec);
	}
	for (unsigned i = 0; i < sim->nres; i++)
		free(sim->resnames[i]);
	free(sim->resnames);
	pthread_mutex_destroy(&sim->res_lock);
	for (unsigned c = 0; c < sim->ncpus; c++)
		free(sim->cpus[c].dev_t);
	free(sim->cpus);
	free(sim->chk_rec);
	free(sim->segs);
	if (sim->have_phase_re)
		regfree(&sim->phase_re);
	if (sim->have_end_re)
		regfree(&sim->end_re);
	free(sim);
}

void sim_set_dev_names(struct sim *sim, sim_dev_name_fn fn, const void *arg)
{
	sim->dev_name = fn;
	sim->dev_name_arg = arg;
}

const char *sim_dev_name(const struct sim *sim, unsigned id)
{
	return sim && sim->dev_name && id ? sim->dev_name(sim->dev_name_arg, id) : NULL;
}

unsigned sim_count(const struct sim *sim)
{
	return sim->nruns;
}

const struct sim_result *sim_result(const struct sim *sim, unsigned i)
{
	return i < sim->nruns ? &sim->runs[i].res : NULL;
}

const struct sim_recorded *sim_recorded(const struct sim *sim)
{
	return &sim->r;
}

/* The check a stack offers: its first layer's that has one. */
static const struct strat_check *stack_check(const struct strat *s)
{
	for (; s; s = s->next)
		if (s->ops->check)
			return s->ops->check;
	return NULL;
}

/*
 * The hcall check of @sim's runs: the first a stack has, else the first of the strategy
 * table (runs without one are checked all the same: they predict none of its calls).
 */
static const struct strat_check *find_check(const struct sim *sim)
{
	const struct strat_check *c = NULL;

	for (unsigned i = 0; i < sim->nruns && !c; i++)
		c = stack_check(sim->runs[i].stack);
	for (unsigned i = 0; strategy_table[i] && !c; i++)
		c = strategy_table[i]->check;
	return c;
}

static void set_check(struct sim *sim, int on, const struct strat_check *chk)
{
	sim->check = on;
	if (chk == sim->chk)
		return;
	free(sim->chk_rec);
	sim->chk_rec = NULL;
	for (unsigned i = 0; i < sim->nruns; i++) {
		free(sim->runs[i].chk_cpu);
		sim->runs[i].chk_cpu = NULL;
	}
	sim->chk = chk;
	if (chk && sim->ncpus)
		chk_grow(sim, 0, sim->ncpus);
	for (unsigned i = 0; i < sim->nruns && chk; i++)
		if (sim->runs[i].ncpus)
			chk_grow_run(sim, &sim->runs[i], 0, sim->runs[i].ncpus);
}

void sim_check_hcalls(struct sim *sim, int on)
{
	set_check(sim, on, on & SIM_CHECK_HCALLS ? find_check(sim) : NULL);
}

void sim_fit_hcalls(struct sim *sim, unsigned run, struct hcfit *fit)
{
	sim->fit = fit;
	sim->fit_run = run;
	sim->untimed = 1;
	if (sim->rec) {
		/* it only takes the recorded strategy's work out of the think times */
		run_free(sim->rec);
		free(sim->rec);
		sim->rec = NULL;
	}
}

void sim_observe(struct sim *sim, const struct sim_observer *obs)
{
	sim->observed = obs != NULL;
	if (obs) {
		sim->obs = *obs;
		if (obs->attach)
			obs->attach(obs->arg, sim);
	}
}

void sim_pressure_now(const struct sim *sim, unsigned i, struct strat_pressure *out)
{
	const struct run *run = &sim->runs[i];

	memset(out, 0, sizeof(*out));
	if (run->stack->ops->report)
		run->stack->ops->report(run->stack, out);
	out->shared_bytes_now = run->res.pr.shared_bytes_now;
	out->shared_outside_now = run->res.pr.shared_outside_now;
}

/* The statistics every layer registered, with their values now. */
static void collect_stats(struct run *run)
{
	struct sim_result *res = &run->res;

	res->nstats = 0;
	for (struct strat *s = run->stack; s; s = s->next) {
		double v[STRAT_MAX_STATS];

		if (!s->ops->stats)
			continue;
		memset(v, 0, sizeof(v));
		s->ops->stat_values(s, v);
		for (unsigned i = 0; s->ops->stats[i].name && res->nstats < SIM_MAX_STATS; i++) {
			res->stats[res->nstats].def = &s->ops->stats[i];
			res->stats[res->nstats].layer = s->ops->name;
			res->stats[res->nstats++].value = v[i];
		}
	}
}

static struct calendar *calendar(struct run *run, uint16_t res)
{
	if (res >= run->ncal) {
		unsigned n = run->ncal ? run->ncal : 8;

		while (n <= res)
			n *= 2;
		run->cal = xreallocarray(run->cal, n, sizeof(*run->cal));
		memset(run->cal + run->ncal, 0, (n - run->ncal) * sizeof(*run->cal));
		run->ncal = n;
	}
	if (!run->cal[res])
		run->cal[res] = xcalloc(1, sizeof(struct calendar));
	return run->cal[res];
}

static void op_account(struct op_stat *ops, unsigned *nops, uint32_t op, uint64_t calls,
		       uint64_t units, double ns)
{
	unsigned i;

	for (i = 0; i < *nops; i++)
		if (ops[i].op == op)
			break;
	if (i == *nops) {
		if (*nops == SIM_MAX_OPS)
			return;
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].op = op;
		(*nops)++;
	}
	ops[i].calls += calls;
	ops[i].units += units;
	ops[i].ns += ns;
}

/*
 * Cost the actions in @run->ab starting at simulated time @t on the run's timeline; returns
 * the end time. *@dev_ns gets device time. Exposure changes are booked at their times.
 */
/*
 * The recorded hypercalls' own time, by opcode, for a run of the recorded strategy: where the
 * event's predicted calls of an opcode are the calls recorded before it, each call costs its
 * share of their recorded time (the replay of what was recorded charges what it took); else
 * the model. @rec NULL: the model for all.
 */
struct rec_hc {
	const uint64_t *seen;
	const double *dur;
};

static double execute_rec(struct sim *sim, struct run *run, unsigned cpu, double t,
			  double *dev_ns, int setup, const struct rec_hc *rec)
{
	struct sim_result *res = &run->res;
	double dev = 0;
	uint64_t pred[3] = { 0, 0, 0 };

	if (rec)
		for (unsigned i = 0; i < run->ab.n; i++) {
			int k = cost_plan_slot(&sim->cost, &run->ab.a[i]);

			if (k >= 0)
				pred[k] += run->ab.a[i].calls;
		}
	for (unsigned i = 0; i < run->ab.n; i++) {
		const struct action *a = &run->ab.a[i];
		int k;
		struct act_cost c = cost_plan_action(&sim->cost, a, &k);

		if (rec && k >= 0 && pred[k] && pred[k] == rec->seen[k])
			c.cpu_ns = rec->dur[k] * (double)a->calls / (double)pred[k];

		if (a->res) {
			double s = cal_reserve(calendar(run, a->res), t, c.cpu_ns);

			res->cat_ns[CAT_LOCK_WAIT] += s - t;
			t = s;
		}
		if ((a->kind == ACT_SHARE || a->kind == ACT_UNSHARE) && !run->hidden) {
			uint64_t bytes = a->units * run->stack->sc->machine.page_bytes;

			if (a->kind == ACT_SHARE) {
				strat_share(&res->pr, bytes, a->outside, (uint64_t)t);
				res->pr.share_calls += a->calls;
			} else {
				strat_unshare(&res->pr, bytes, a->outside, (uint64_t)(t + c.cpu_ns));
				res->pr.unshare_calls += a->calls;
			}
		}
		if (sim->observed && sim->obs.action && !run->hidden)
			sim->obs.action(sim->obs.arg, (unsigned)(run - sim->runs), cpu, a, t,
					c.cpu_ns, setup);
		t += c.cpu_ns;
		dev += c.dev_ns;
		res->cat_ns[c.category] += c.cpu_ns + c.dev_ns;
		if (setup)
			res->setup_cat_ns[c.category] += c.cpu_ns;
		if (a->kind == ACT_INVAL)
			res->invalidations += a->calls;
		if (act_is_call(a->kind)) {
			op_account(res->ops, &res->nops, a->op, a->calls, a->units, c.cpu_ns);
			if (setup)
				op_account(res->setup_ops, &res->nsetup_ops, a->op, a->calls, a->units,
					   c.cpu_ns);
		}
	}
	if (dev_ns)
		*dev_ns = dev;
	return t;
}

static double execute(struct sim *sim, struct run *run, unsigned cpu, double t, double *dev_ns,
		      int setup)
{
	return execute_rec(sim, run, cpu, t, dev_ns, setup, NULL);
}

/* Sum of the CPU cost of the actions in @run->ab, without hypercalls when they are traced. */
static double model_cost(struct sim *sim, struct run *run, double *dev_ns)
{
	double t = 0, dev = 0;

	for (unsigned i = 0; i < run->ab.n; i++) {
		int k;
		struct act_cost c = cost_plan_action(&sim->cost, &run->ab.a[i], &k);

		if (run->ab.a[i].kind == ACT_HCALL && sim->r.hcalls_traced)
			continue;
		t += c.cpu_ns;
		dev += c.dev_ns;
	}
	*dev_ns = dev;
	return t;
}

/* The check's mismatch lines go to the observer (@arg: the run). */
static void run_mismatch(void *arg, uint64_t pos, const char *text)
{
	struct run *run = arg;
	struct sim *sim = run->stack->sim;

	sim->obs.mismatch(sim->obs.arg, (unsigned)(run - sim->runs), pos, text);
}

/* ---- sg input lengths ------------------------------------------------------------------ */

/*
 * The dma_map_sg tracepoint gives every input segment's physical address but the lengths of
 * the output (merged) segments only. When nothing was merged (ents == nents) input i is
 * output i. Otherwise the inputs are spread over the outputs in order, each output taking at
 * least one input and at most one per IOMMU page it spans, and each input spans one page
 * except the last input of an output, which takes the rest. That is what the block layer
 * hands down for I/O to scattered page-cache or user pages (physically contiguous pages are
 * already one segment), and it reproduced the recorded H_PUT_TCE/H_PUT_TCE_INDIRECT split of
 * the shipped pseries-noddw trace exactly. The possible range of the single-page count is
 * reported. Traces from `iommusim record` carry each input's own length (ISM_SGE_IN
 * entries), which are used as they are.
 */
static unsigned sg_infer(struct sim *sim, const struct ism_event *ev)
{
	unsigned nin = ev->nents, nout = ev->ents, nphys = 0, ndma = 0, k = 0, nrec = 0, rec0 = 0;
	uint64_t page = sim->sc->machine.window32_tce_bytes;
	uint64_t surplus;

	for (unsigned i = 0; i < ev->nsg; i++) {
		if (ev->sg[i].flags & ISM_SGE_PHYS)
			nphys = i + 1;
		if (ev->sg[i].flags & ISM_SGE_DMA)
			ndma = i + 1;
		if ((ev->sg[i].flags & ISM_SGE_IN) && !nrec++)
			rec0 = i;
	}
	if (!nin)
		nin = nphys;
	if (!nout)
		nout = ndma;
	if (nin > sim->segcap) {
		sim->segcap = nin;
		sim->segs = xreallocarray(sim->segs, nin, sizeof(*sim->segs));
	}
	sim->r.sg_lists++;
	if (nin && nrec >= nin) {
		/* iommusim record read every input segment's own length: nothing to infer */
		for (unsigned i = 0; i < nin; i++) {
			sim->segs[i].phys = ev->sg[rec0 + i].phys;
			sim->segs[i].len = ev->sg[rec0 + i].len;
		}
		return nin;
	}
	if (nin == nout && nphys >= nin && ndma >= nout) {
		for (unsigned i = 0; i < nin; i++) {
			sim->segs[i].phys = ev->sg[i].phys;
			sim->segs[i].len = ev->sg[i].len;
		}
		return nin;
	}
	/* inferred */
	sim->r.sg_inferred_lists++;
	sim->r.sg_inferred_segments += nin;
	surplus = nin > nout ? nin - nout : 0;
	for (unsigned j = 0; j < nout; j++) {
		uint64_t len = j < ndma ? ev->sg[j].len : page;
		uint64_t off = j < ndma ? ev->sg[j].dma & (page - 1) : 0;
		uint64_t pages = (len + off + page - 1) / page;
		uint64_t take = 1, extra, left;
		uint64_t smin, smax;

		if (!pages)
			pages = 1;
		/* inputs this output absorbs: one, plus surplus as pages allow */
		extra = pages - 1 < surplus ? pages - 1 : surplus;
		if (j == nout - 1)
			extra = surplus; /* all remaining inputs belong to the last output */
		take += extra;
		surplus -= extra;
		/* range of one-page inputs among @take inputs over @pages pages */
		smax = pages <= take ? take : take - 1;
		smin = 2 * take > pages ? 2 * take - pages : 0;
		if (smin > take)
			smin = take;
		sim->r.sg_put_tce_min += smin;
		sim->r.sg_put_tce_max += smax;
		left = len;
		for (uint64_t i = 0; i < take && k < nin; i++, k++) {
			uint64_t p = i < take - 1 ? 1 : pages - (take - 1), l;
			uint64_t phys = k < nphys ? ev->sg[k].phys : 0;

			if (!p)
				p = 1;
			l = p * page - (phys & (page - 1));
			if (i == take - 1 || l > left)
				l = left;
			if (!l)
				l = 1;
			sim->segs[k].phys = phys;
			sim->segs[k].len = l;
			left -= l < left ? l : left;
		}
	}
	return k;
}

/* ---- event handling ---------------------------------------------------------------------- */

static double d2u(uint64_t v)
{
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

static uint64_t u2d(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

/* What kind of request an event is, and how it is keyed. */
static enum req_op classify(const struct ism_event *ev, uint8_t *tag, uint64_t *key)
{
	switch (ev->kind) {
	case ISM_EV_MAP:
		*tag = DEP_MAP;
		*key = ev->addr;
		return OP_MAP;
	case ISM_EV_UNMAP:
		*tag = DEP_MAP;
		*key = ev->addr;
		return OP_UNMAP;
	case ISM_EV_MAP_SG:
		*tag = DEP_SG;
		*key = ev->nsg ? ev->sg[0].phys : 0;
		return ev->nsg ? OP_MAP_SG : OP_NONE;
	case ISM_EV_UNMAP_SG:
		*tag = DEP_SG;
		*key = ev->nsg ? ev->sg[0].phys : 0;
		return ev->nsg ? OP_UNMAP_SG : OP_NONE;
	case ISM_EV_ALLOC:
		*tag = DEP_ALLOC;
		*key = ev->addr;
		return OP_ALLOC;
	case ISM_EV_FREE:
		*tag = DEP_ALLOC;
		*key = ev->addr;
		return OP_FREE;
	case ISM_EV_SYNC_CPU:
	case ISM_EV_SYNC_DEV:
		*tag = DEP_MAP;
		*key = ev->addr;
		return ev->kind == ISM_EV_SYNC_CPU ? OP_SYNC_CPU : OP_SYNC_DEV;
	case ISM_EV_MARKER:
		return OP_MARK;
	default:
		return OP_NONE;
	}
}

/* Run the stack's hook for @op into run->ab. Returns <0 when a map failed. */
static int call_stack(struct run *run, enum req_op op, struct dma_req *rq)
{
	struct strat *s = run->stack;

	actbuf_reset(&run->ab);
	switch (op) {
	case OP_MAP:
		return s->ops->map ? s->ops->map(s, rq, &run->ab) : 0;
	case OP_MAP_SG:
		return s->ops->map_sg ? s->ops->map_sg(s, rq, &run->ab) : 0;
	case OP_ALLOC:
		return s->ops->alloc ? s->ops->alloc(s, rq, &run->ab) : 0;
	case OP_UNMAP:
		if (s->ops->unmap)
			s->ops->unmap(s, rq, &run->ab);
		return 0;
	case OP_UNMAP_SG:
		if (s->ops->unmap_sg)
			s->ops->unmap_sg(s, rq, &run->ab);
		return 0;
	case OP_FREE:
		if (s->ops->free)
			s->ops->free(s, rq, &run->ab);
		return 0;
	case OP_SYNC_CPU:
		if (s->ops->sync_cpu)
			s->ops->sync_cpu(s, rq, &run->ab);
		return 0;
	case OP_SYNC_DEV:
		if (s->ops->sync_dev)
			s->ops->sync_dev(s, rq, &run->ab);
		return 0;
	default:
		return 0;
	}
}

/*
 * Does the trace cover boot? "auto": when its first event comes in the first
 * SIM_BOOT_WINDOW_NS of the trace clock (ftrace's and perf's clocks count from boot; a
 * recording started later begins later), or at a boot start marker.
 */
#define SIM_BOOT_WINDOW_NS 2e9
static int covers_boot(const struct sim *sim, const struct ism_event *ev)
{
	const char *b = sim->sc->sim.boot_in_trace;

	if (b && !strcmp(b, "yes"))
		return 1;
	if (b && !strcmp(b, "no"))
		return 0;
	if (sim->sc->sim.boot_start_marker && *sim->sc->sim.boot_start_marker)
		return 1;
	return (double)ev->ts_ns < SIM_BOOT_WINDOW_NS;
}

static void start(struct sim *sim, const struct ism_event *ev)
{
	sim->started = 1;
	sim->r.start_ns = (double)ev->ts_ns;
	sim->boot_cpu = ev->cpu;
	sim->from_boot = covers_boot(sim, ev);
	sim->r.boot_in_trace = sim->from_boot;
	rcpu(sim, ev->cpu);
	for (unsigned i = 0; i < sim->nruns; i++) {
		struct run *run = &sim->runs[i];
		struct strat *s = run->stack;
		double end;

		actbuf_reset(&run->ab);
		if (s->ops->setup)
			s->ops->setup(s, &run->ab);
		if (!sim->from_boot)
			actbuf_reset(&run->ab); /* done before the trace began: state, no time */
		end = execute(sim, run, sim->boot_cpu, 0, NULL, 1);
		run->res.setup_ns = end;
		/*
		 * Boot work is charged where the recording did its own: the TCE hypercalls a CPU
		 * made before its first DMA event are boot work (they come off its think time), so
		 * that CPU takes as much of the modelled boot work; what is left is charged at the
		 * boot end marker, else at the end.
		 */
		run->setup_left = end;
	}
	/* the check: each run's view, and the setup calls that explain what the recording
	 * shows outside DMA events */
	for (unsigned i = 0; i < sim->nruns && sim->chk; i++) {
		struct run *run = &sim->runs[i];

		run->chk.f = &run->res.fid;
		run->chk.mismatch = sim->observed && sim->obs.mismatch ? run_mismatch : NULL;
		run->chk.arg = run;
		if (sim->chk->setup)
			sim->chk->setup(&run->chk, run->res.setup_ops, run->res.nsetup_ops);
	}
	if (sim->rec) {
		/* the recorded instance's boot state (tables, pools) but no timeline */
		actbuf_reset(&sim->rec->ab);
		if (sim->rec->stack->ops->setup)
			sim->rec->stack->ops->setup(sim->rec->stack, &sim->rec->ab);
	}
}

static void hcall_event(struct sim *sim, struct rcpu *rc, const struct ism_event *ev)
{
	sim->r.hcalls_traced = 1;
	if (ev->kind == ISM_EV_HCALL_ENTRY) {
		rc->hc_pending = 1;
		rc->hc_op = (uint32_t)ev->opcode;
		rc->hc_ts = (double)ev->ts_ns;
		return;
	}
	if (rc->hc_pending && rc->hc_op == ev->opcode) {
		int k = ism_op_check_slot((uint32_t)ev->opcode);

		if (sim->chk && sim->chk->recorded)
			sim->chk->recorded(chk_rec(sim, ev->cpu), (uint32_t)ev->opcode);

		if (ism_op_overhead((uint32_t)ev->opcode)) {
			double d = (double)ev->ts_ns - rc->hc_ts;

			rc->ovh_ns += d > 0 ? d : 0;
			sim->r.tce_hcall_ns += d > 0 ? d : 0;
		}
		if (k >= 0) {
			double d = (double)ev->ts_ns - rc->hc_ts;

			rc->seen[k]++;
			rc->dur[k] += d > 0 ? d : 0;
			sim->r.tce_hcalls[k]++;
			if (sim->fit)
				hcfit_single(sim->fit, k, d > 0 ? d : 0);
		}
	}
	rc->hc_pending = 0;
}

/* The latest simulated clock of a run: where every CPU's work so far is done. */
static double run_clock(const struct sim *sim, const struct run *run)
{
	double m = 0;

	for (unsigned c = 0; c < run->ncpus; c++)
		if (run->T[c] > m)
			m = run->T[c];
	return m;
}

double sim_clock(const struct sim *sim, unsigned i)
{
	return run_clock(sim, &sim->runs[i]);
}

/* The phase @re names in @text (its first group) into @name; 0 when it does not match. */
static int marker_name(const regex_t *re, const char *text, char *name, size_t len)
{
	regmatch_t m[2];

	if (!text || regexec(re, text, 2, m, 0) || m[1].rm_so < 0)
		return 0;
	snprintf(name, len, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), text + m[1].rm_so);
	return 1;
}

/*
 * Marker @x on the recording's side: the boot end, a phase's start or end, in @x for the runs
 * (each takes its clock there: run_phase()).
 */
static void phase_decide(struct sim *sim, struct evctx *x)
{
	const struct ism_event *ev = x->ev;
	char name[48];
	const char *bm = sim->sc->sim.boot_end_marker;
	struct sim_recorded *r = &sim->r;
	double rec_t = x->t;

	x->mk_boot = 0;
	x->mk_start = x->mk_end = -1;
	if (bm && *bm && !sim->boot_done && ev->text && strstr(ev->text, bm)) {
		sim->boot_done = 1;
		r->have_boot_end = 1;
		r->boot_end_ns = rec_t;
		x->mk_boot = 1;
	}
	if (sim->have_end_re && marker_name(&sim->end_re, ev->text, name, sizeof(name))) {
		/* the latest phase of that name still open */
		for (unsigned k = r->nphases; k-- > 0;) {
			struct phase_time *p = &r->phases[k];

			if (strcmp(p->name, name))
				continue;
			if (p->has_end)
				break;
			p->has_end = 1;
			p->rec_end_ns = rec_t - r->start_ns;
			x->mk_end = (int)k;
			break;
		}
	} else if (sim->have_phase_re && r->nphases < SIM_MAX_PHASES &&
		   marker_name(&sim->phase_re, ev->text, name, sizeof(name))) {
		struct phase_time *p = &r->phases[r->nphases];

		snprintf(p->name, sizeof(p->name), "%s", name);
		p->rec_start_ns = rec_t - r->start_ns;
		x->mk_start = (int)r->nphases++;
	}
}

/* Run @run at marker @x (after its own work at it): its clock at the boot end or phase. */
static void run_phase(struct run *run, const struct evctx *x)
{
	double T = run->T[x->ev->cpu];

	if (x->mk_boot) {
		run->boot_T = T;
		memcpy(run->res.boot_cat_ns, run->res.cat_ns, sizeof(run->res.cat_ns));
	}
	if (x->mk_end >= 0)
		run->res.phase_sim_end_ns[x->mk_end] = T;
	else if (x->mk_start >= 0)
		run->res.phase_sim_ns[x->mk_start] = T;
}

/* The observer hears of the boot end and of each phase, after the runs replayed the marker. */
static void phase_announce(struct sim *sim, const struct evctx *x)
{
	struct sim_recorded *r = &sim->r;

	if (!sim->observed || !sim->obs.marker)
		return;
	if (x->mk_boot)
		sim->obs.marker(sim->obs.arg, sim->sc->sim.boot_end_marker, 1, x->t - r->start_ns);
	if (x->mk_start >= 0)
		sim->obs.marker(sim->obs.arg, r->phases[x->mk_start].name, 0,
				r->phases[x->mk_start].rec_start_ns);
}

/* One hypercall sample per opcode whose predicted calls are the calls recorded (hcfit.h). */
static void fit_sample(struct sim *sim, struct run *run, const struct evctx *x, int first)
{
	uint64_t calls[3] = { 0, 0, 0 }, units[3] = { 0, 0, 0 };

	/*
	 * Boot clears: a CPU's TCE hypercalls before its first DMA event are boot work; with
	 * the trace covering boot, the H_STUFF_TCE among them clear as many entries per call
	 * as the recorded strategy's setup does (whole tables, <= 512 per call).
	 */
	if (first && sim->from_boot && x->seen[2]) {
		uint64_t sc = 0, su = 0;

		for (unsigned k = 0; k < run->res.nsetup_ops; k++)
			if (ism_op_check_slot(run->res.setup_ops[k].op) == 2) {
				sc += run->res.setup_ops[k].calls;
				su += run->res.setup_ops[k].units;
			}
		if (sc)
			hcfit_add(sim->fit, 2, x->seen[2], x->seen[2] * su / sc, x->dur[2]);
		return;
	}

	for (unsigned i = 0; i < run->ab.n; i++) {
		int k = cost_plan_slot(&sim->cost, &run->ab.a[i]);

		if (k >= 0) {
			calls[k] += run->ab.a[i].calls;
			units[k] += run->ab.a[i].units;
		}
	}
	for (int k = 0; k < 3; k++)
		if (calls[k] && calls[k] == x->seen[k])
			hcfit_add(sim->fit, k, calls[k], units[k], x->dur[k]);
}

/* ---- the IOMMU check (--check-iommu) ---------------------------------------------------- */

static struct ick *ick_of(struct run *run, unsigned cpu)
{
	if (cpu >= run->nick) {
		unsigned n = run->nick ? run->nick : 4;

		while (n <= cpu)
			n *= 2;
		run->ick = xreallocarray(run->ick, n, sizeof(*run->ick));
		memset(run->ick + run->nick, 0, (n - run->nick) * sizeof(*run->ick));
		run->nick = n;
	}
	return &run->ick[cpu];
}

/* A recorded IOMMU event: counted, and kept on its CPU for the next DMA event. */
static void iommu_recorded(struct sim *sim, struct rcpu *rc, const struct ism_event *ev)
{
	struct sim_recorded *r = &sim->r;
	int k = -1;

	switch (ev->kind) {
	case ISM_EV_IOMMU_MAP:
		r->iommu[IFID_MAP]++;
		r->iommu[IFID_MAP_BYTES] += ev->size;
		rc->iseen[IFID_MAP]++;
		rc->iseen[IFID_MAP_BYTES] += ev->size;
		rc->after_unmap = 0;
		return;
	case ISM_EV_IOMMU_UNMAP:
		r->iommu[IFID_UNMAP]++;
		r->iommu[IFID_UNMAP_BYTES] += ev->size;
		rc->iseen[IFID_UNMAP]++;
		rc->iseen[IFID_UNMAP_BYTES] += ev->size;
		rc->after_unmap = 1;
		rc->unmap_ctx = ev->flags & (ISM_EF_CTX | ISM_EF_HARDIRQ | ISM_EF_SOFTIRQ);
		rc->unmap_pid = ev->pid;
		return;
	default:
		break;
	}
	if (!r->inv_traced) {
		r->inv_traced = 1;
		r->inv_from_ns = (double)ev->ts_ns;
	}
	if (ev->arg == ISM_INV_RANGE)
		k = IFID_INV_RANGE;
	else if (ev->arg == ISM_INV_MAP)
		k = IFID_INV_MAP;
	else if (rc->after_unmap && rc->unmap_pid == ev->pid &&
		 rc->unmap_ctx == (ev->flags & (ISM_EF_CTX | ISM_EF_HARDIRQ | ISM_EF_SOFTIRQ)))
		k = IFID_INV_FULL;  /* queue_iova() of that unmap, in its context, found its ring full */
	else if ((ev->flags & ISM_EF_CTX) && (ev->flags & ISM_EF_SOFTIRQ))
		r->inv_timer++;     /* fq_flush_timeout() */
	else
		r->inv_other++;     /* outside an unmap and the timer: a domain being set up */
	rc->after_unmap = 0;
	if (k >= 0) {
		r->iommu[k]++;
		rc->iseen[k]++;
	}
}

/* A marker "... note=late-events-on A,B" naming IOTLB events: they are recorded from here. */
static void iommu_note(struct sim *sim, const struct ism_event *ev)
{
	const char *n = ev->text ? strstr(ev->text, "note=late-events-on") : NULL;

	if (n && !sim->r.inv_traced && (strstr(n, "iotlb") || strstr(n, "flush"))) {
		sim->r.inv_traced = 1;
		sim->r.inv_from_ns = (double)ev->ts_ns;
	}
}

static void ick_counts(struct run *run, struct strat_iommu_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (run->ilayer)
		run->ilayer->ops->iommu_counts(run->ilayer, c);
}

/* The stack's counts now against run->ibefore: this event's prediction. */
static void ick_predict(struct sim *sim, struct run *run)
{
	struct strat_iommu_counts c;
	struct iommu_fidelity *f = &run->res.ifid;
	uint64_t *p = run->ipred;

	ick_counts(run, &c);
	p[IFID_MAP] = c.maps - run->ibefore.maps;
	p[IFID_MAP_BYTES] = c.map_bytes - run->ibefore.map_bytes;
	p[IFID_UNMAP] = c.unmaps - run->ibefore.unmaps;
	p[IFID_UNMAP_BYTES] = c.unmap_bytes - run->ibefore.unmap_bytes;
	p[IFID_INV_RANGE] = c.inv_range - run->ibefore.inv_range;
	p[IFID_INV_FULL] = c.inv_full - run->ibefore.inv_full;
	p[IFID_INV_MAP] = c.inv_map - run->ibefore.inv_map;
	run->ipred_timer = c.inv_timer - run->ibefore.inv_timer;
	if (!sim->r.inv_traced) {
		/* not comparable: the trace does not record invalidations yet */
		f->inv_untraced += p[IFID_INV_RANGE] + p[IFID_INV_FULL] + p[IFID_INV_MAP] +
				   run->ipred_timer;
		p[IFID_INV_RANGE] = p[IFID_INV_FULL] = p[IFID_INV_MAP] = 0;
	} else {
		f->pred_timer += run->ipred_timer;
	}
	run->ibefore = c;
}

static int ick_match(struct iommu_fidelity *f, const uint64_t *pred, uint64_t *old, uint64_t *now)
{
	int bad = 0;

	for (int k = 0; k < IFID_SLOTS; k++) {
		uint64_t want = pred[k], m;

		f->pred[k] += want;
		m = want < old[k] ? want : old[k];
		old[k] -= m;
		want -= m;
		f->matched[k] += m;
		m = want < now[k] ? want : now[k];
		now[k] -= m;
		want -= m;
		f->matched[k] += m;
		f->missing[k] += want;
		bad |= want != 0;
	}
	return bad;
}

static void ick_example(struct iommu_fidelity *f, uint64_t pos, const char *what,
			const uint64_t *pred, const uint64_t *seen)
{
	f->events_mismatched++;
	if (f->nex >= 5)
		return;
	snprintf(f->ex_what[f->nex], sizeof(f->ex_what[0]),
		 "%s: predicted %llu/%llu/%llu/%llu/%llu, recorded %llu/%llu/%llu/%llu/%llu "
		 "(map/unmap/inv at unmap/full-queue flush/inv at map)", what,
		 (unsigned long long)pred[IFID_MAP], (unsigned long long)pred[IFID_UNMAP],
		 (unsigned long long)pred[IFID_INV_RANGE], (unsigned long long)pred[IFID_INV_FULL],
		 (unsigned long long)pred[IFID_INV_MAP], (unsigned long long)seen[IFID_MAP],
		 (unsigned long long)seen[IFID_UNMAP], (unsigned long long)seen[IFID_INV_RANGE],
		 (unsigned long long)seen[IFID_INV_FULL], (unsigned long long)seen[IFID_INV_MAP]);
	f->ex_pos[f->nex++] = pos;
}

/*
 * Settle one DMA event of @run on @cpu against what its CPU recorded since its previous one
 * (@seen): first a traced-first previous event's prediction, then this event's (due after it
 * when it is traced first). Recorded events left over are carried to the CPU's next DMA event
 * once (an interrupt's DMA call can come between a call's IOMMU events and its own DMA event),
 * then counted as recorded outside any DMA event (extra).
 */
static void ick_event(struct run *run, unsigned cpu, const struct ism_event *ev, uint64_t pos,
		      const uint64_t *seen)
{
	struct iommu_fidelity *f = &run->res.ifid;
	struct ick *c = ick_of(run, cpu);
	uint64_t now[IFID_SLOTS], seen0[IFID_SLOTS];

	memcpy(now, seen, sizeof(now));
	for (int k = 0; k < IFID_SLOTS; k++)
		seen0[k] = seen[k] + c->carry[k];
	if (c->owing) {
		f->events_checked++;
		if (ick_match(f, c->owe, c->carry, now))
			ick_example(f, c->owe_pos, c->owe_what, c->owe, seen0);
		c->owing = 0;
	}
	if (ev && ism_kind_traced_first(ev->kind)) {
		memcpy(c->owe, run->ipred, sizeof(c->owe));
		c->owing = 1;
		c->owe_pos = pos;
		snprintf(c->owe_what, sizeof(c->owe_what), "%s size %llu", ism_kind_name(ev->kind),
			 (unsigned long long)ev->size);
	} else if (ev) {
		char what[48];

		f->events_checked++;
		snprintf(what, sizeof(what), "%s size %llu", ism_kind_name(ev->kind),
			 (unsigned long long)ev->size);
		if (ick_match(f, run->ipred, c->carry, now))
			ick_example(f, pos, what, run->ipred, seen0);
	}
	for (int k = 0; k < IFID_SLOTS; k++) {
		f->extra[k] += c->carry[k];
		c->carry[k] = now[k];
	}
	if (!ev)
		for (int k = 0; k < IFID_SLOTS; k++) {
			f->extra[k] += c->carry[k];
			c->carry[k] = 0;
		}
}

/*
 * The recorded figures every event adds to (counts, end time, timestamps), and the events
 * that only feed the recording's side (hypercalls, lost events, bounces, IOMMU events):
 * returns 1 when @ev is done with, 0 when it is a DMA event or a marker to replay.
 */
static int recorded_side(struct sim *sim, struct rcpu *rc, const struct ism_event *ev,
			 uint64_t pos)
{
	struct sim_recorded *r = &sim->r;

	if (ev->kind != ISM_EV_LOST) {
		if (ev->ts_ns == 0 && !r->zero_timestamps++)
			r->first_zero_pos = pos;
		if (rc->have_ts && ev->ts_ns < rc->last_ts && !r->ts_inversions++)
			r->first_inversion_pos = pos;
		if (!rc->have_ts || ev->ts_ns > rc->last_ts)
			rc->last_ts = ev->ts_ns;
		rc->have_ts = 1;
	}
	if ((double)ev->ts_ns > rc->t_last)
		rc->t_last = (double)ev->ts_ns;
	switch (ev->kind) {
	case ISM_EV_HCALL_ENTRY:
	case ISM_EV_HCALL_EXIT:
		hcall_event(sim, rc, ev);
		return 1;
	case ISM_EV_LOST:
		r->lost_events += ev->count ? ev->count : 1;
		rc->hc_pending = 0;
		return 1;
	case ISM_EV_BOUNCE:
		r->bounces++;
		return 1;
	case ISM_EV_IOMMU_MAP:
	case ISM_EV_IOMMU_UNMAP:
	case ISM_EV_IOTLB_INV:
		iommu_recorded(sim, rc, ev);
		return 1;
	case ISM_EV_MARKER:
		iommu_note(sim, ev);
		return 0;
	default:
		return 0;
	}
}

/* The request the strategies get for @x's event (map_sg: its input segments, inferred). */
static void make_request(struct sim *sim, struct evctx *x)
{
	struct sim_recorded *r = &sim->r;
	const struct ism_event *ev = x->ev;
	struct dma_req *rq = &x->rq;

	memset(rq, 0, sizeof(*rq));
	rq->cpu = ev->cpu;
	rq->dev = ev->dev;
	rq->dir = ev->dir;
	rq->attrs = ev->attrs;
	rq->key = x->key;
	rq->phys = ev->paddr;
	rq->size = ev->size;
	rq->coherent = x->op == OP_ALLOC || x->op == OP_FREE;
	if (x->op == OP_MAP || x->op == OP_MAP_SG)
		r->bytes[ev->dir <= ISM_DIR_UNKNOWN ? ev->dir : ISM_DIR_UNKNOWN] += ev->size;
	if (x->op == OP_MAP_SG) {
		uint64_t before = r->sg_inferred_lists;

		rq->nsegs = sg_infer(sim, ev);
		rq->segs = sim->segs;
		x->inferred = r->sg_inferred_lists != before;
	} else if (x->op == OP_UNMAP_SG) {
		rq->nsegs = 0;
	}
}

/*
 * The think time before @x's event: the recorded gap on its CPU less the recording's own work
 * in it (its traced hypercalls, the recorded strategy's modelled cost) and what an earlier gap
 * could not hold.
 */
static void think_time(struct sim *sim, struct evctx *x)
{
	struct sim_recorded *r = &sim->r;
	struct rcpu *rc = x->rc;
	double gap;

	/* the recording's own cost inside the gap */
	if (sim->rec && x->op != OP_MARK) {
		/* layers that rewrite segment addresses restore them before returning */
		call_stack(sim->rec, x->op, &x->rq);
		x->rec_model = model_cost(sim, sim->rec, &x->rec_dev);
	}
	gap = rc->have_prev ? x->t - rc->t_prev : x->t - r->start_ns;
	/* the recording's work for this event sits before its tracepoint, except for
	 * traced-first events (unmap_sg, free) whose work follows it: due in the next gap */
	x->think = gap - rc->ovh_ns - rc->pending_rec;
	if (!ism_kind_traced_first(x->ev->kind))
		x->think -= x->rec_model;
	/*
	 * The recording's modelled cost that did not fit in an earlier gap of this CPU is
	 * taken from this one: the model puts it in the wrong gap, the time was spent all
	 * the same (never lost, never counted twice). What is still left is carried on.
	 */
	/* an unmap, free or sync starts after the device: its gap is not think time */
	x->debt = op_maps(x->op) ? rc->debt : 0;
	x->think -= x->debt;
	rc->debt -= x->debt;
	if (x->think < 0) {
		r->think_clamps++;
		r->clamped_ns += -x->think;
		if (x->op != OP_MARK)
			rc->debt += -x->think;
		x->think = 0;
	}
}

/*
 * Dependencies across CPUs (iommusim(1), RE-TIMING): a marker follows the latest DMA event
 * or marker recorded before it on another CPU; the first DMA event of a CPU after a marker
 * recorded on another CPU follows that marker. The gap the CPU spent waiting is not think
 * time then: the dependency carries the time.
 */
static void dependencies(struct sim *sim, struct evctx *x)
{
	struct sim_recorded *r = &sim->r;
	const struct ism_event *ev = x->ev;
	struct rcpu *rc = x->rc;
	enum req_op op = x->op;
	const char *bm = sim->sc->sim.boot_end_marker;

	x->follow_last = op == OP_MARK && sim->have_last && sim->last_cpu != ev->cpu;
	x->first_dma = op != OP_MARK && !rc->dma_seen;
	x->boot_end = op == OP_MARK && bm && *bm && !sim->boot_done && ev->text &&
		      strstr(ev->text, bm);
	x->follow_mark = op != OP_MARK && sim->have_mark && sim->mark_cpu != ev->cpu &&
			 (!rc->have_prev || rc->t_prev < sim->mark_t);
	/*
	 * A map after a completion of its device recorded on another CPU since this CPU's
	 * previous DMA event (the issuing task woken by the interrupt that unmapped the
	 * previous request) follows that completion.
	 */
	x->follow_done = (op == OP_MAP || op == OP_MAP_SG) && ev->dev < SIM_DEVS &&
			 sim->done_t[ev->dev] > 0 && sim->done_cpu[ev->dev] != ev->cpu &&
			 (!rc->have_prev || rc->t_prev < sim->done_t[ev->dev]);
	x->mark_think = x->done_think = 0;

	if (x->follow_last)
		r->deps_marker++;
	if (x->follow_done) {
		r->deps_completion++;
		x->done_think = x->t - sim->done_t[ev->dev] - rc->ovh_ns - rc->pending_rec -
				x->rec_model - x->debt;
		if (x->done_think < 0)
			x->done_think = 0;
	}
	if (x->follow_mark) {
		r->deps_after_marker++;
		x->mark_think = x->t - sim->mark_t - rc->ovh_ns - rc->pending_rec - x->debt;
		if (!ism_kind_traced_first(ev->kind))
			x->mark_think -= x->rec_model;
		if (x->mark_think < 0)
			x->mark_think = 0;
	}
}

/*
 * The recording's side of an unmap, free or sync @x: its map as recorded (an orphan without
 * one) and the device's recorded time before it: from the latest map of the same device on
 * the map's CPU (the request's later maps come before the device starts: their costs are on
 * that CPU's clock, not in the device time), else from the map itself; a marker since then is
 * a synchronisation point and the anchor. The recorded gap on this CPU before the unmap is
 * that wait, not think time: it counts once, as device time, and the CPU's own clock only
 * orders the events.
 */
static void device_anchor(struct sim *sim, struct evctx *x)
{
	struct sim_recorded *r = &sim->r;
	const struct ism_event *ev = x->ev;
	struct live_entry *dep = livemap_find(&sim->sdeps, x->tag, ev->dev, x->key);
	double rec_start, a_t, dmax = (double)sim->sc->sim.device_time_max_ns;
	struct rcpu *mc;

	if (!dep) {
		x->orphan = 1;
		x->dep_id = DEP_NONE;
		r->orphans++;
		return;
	}
	x->dep_id = (uint32_t)dep->d[0];
	rec_start = ism_kind_traced_first(ev->kind) ? x->t : x->t - x->rc->ovh_ns - x->rec_model;
	a_t = d2u(dep->d[1]);
	x->anchor = ANCHOR_OWN;
	mc = dep->cpu < sim->ncpus ? &sim->cpus[dep->cpu] : NULL;
	if (mc && mc->dev_t && ev->dev < SIM_DEVS && mc->dev_t[ev->dev] > a_t &&
	    mc->dev_t[ev->dev] <= rec_start) {
		a_t = mc->dev_t[ev->dev];
		x->anchor = ANCHOR_DEV;
		x->anchor_cpu = dep->cpu;
		r->deps_device_later++;
	} else {
		r->deps_device_own++;
	}
	if (sim->have_mark && sim->mark_t > a_t && sim->mark_t <= rec_start) {
		a_t = sim->mark_t;
		x->anchor = ANCHOR_MARK;
		r->deps_device_marker++;
	}
	x->dev_time = rec_start - a_t;
	if (x->dev_time < 0)
		x->dev_time = 0;
	if (x->dev_time > dmax)
		x->dev_time = dmax;
	if (!op_is_sync(x->op) && --dep->refs == 0) {
		if (sim->ndep_free == sim->dep_free_cap) {
			sim->dep_free_cap = sim->dep_free_cap ? sim->dep_free_cap * 2 : 64;
			sim->dep_free = xreallocarray(sim->dep_free, sim->dep_free_cap,
						      sizeof(*sim->dep_free));
		}
		sim->dep_free[sim->ndep_free++] = x->dep_id;
		dep->refs = 1;
		livemap_remove(&sim->sdeps, dep);
	}
}

/* A map, as recorded: what its unmap's device time counts from, and its id. */
static void recorded_map(struct sim *sim, struct evctx *x)
{
	int created;
	struct live_entry *dep = livemap_get(&sim->sdeps, x->tag, x->ev->dev, x->key, &created);

	if (!created)
		dep->refs++;
	else if (sim->ndep_free)
		dep->d[0] = sim->dep_free[--sim->ndep_free];
	else if (sim->dep_next == DEP_NONE)
		abort(); /* 2^32 live mappings: sdeps alone would hold 300 GB (xmalloc stops first) */
	else
		dep->d[0] = sim->dep_next++;
	x->dep_id = (uint32_t)dep->d[0];
	dep->d[1] = u2d(x->t);
	dep->cpu = x->ev->cpu;
}

/* When @run's CPU starts @x's event: after its think time, or after what it depends on. */
static double run_begin(struct run *run, const struct evctx *x)
{
	unsigned cpu = x->ev->cpu;
	double begin = run->T[cpu] + x->think;

	if (x->follow_last) {
		double b = run->last_T + (x->t - x->last_t);

		begin = b > run->T[cpu] ? b : run->T[cpu];
	} else if (x->follow_mark) {
		double b = run->mark_T + x->mark_think;

		begin = b > run->T[cpu] ? b : run->T[cpu];
	}
	if (x->follow_done) {
		double b = run->done_T[x->ev->dev] + x->done_think;

		begin = b > run->T[cpu] ? b : run->T[cpu];
	}
	if (x->first_dma && run->setup_left > 0) {
		double v = run->setup_left < x->ovh_ns ? run->setup_left : x->ovh_ns;

		begin += v;
		run->setup_left -= v;
	}
	if (x->boot_end) {
		begin += run->setup_left;
		run->setup_left = 0;
	}
	return begin;
}

/* A marker on @run: the work the strategy makes at it, charged there. */
static void run_marker(struct sim *sim, struct run *run, const struct evctx *x,
		       struct dma_req *rq, double begin)
{
	unsigned cpu = x->ev->cpu;
	double dev = 0;

	if (run->stack->ops->marker) {
		actbuf_reset(&run->ab);
		rq->ts_ns = (uint64_t)begin;
		run->stack->ops->marker(run->stack, rq, x->ev->text, &run->ab);
		if (run->ab.n)
			begin = execute(sim, run, cpu, begin, &dev, 0);
	}
	run->T[cpu] = begin;
	run->last_T = begin;
	run->mark_T = begin;
}

/*
 * An unmap, free or sync of @run: its map in *@depp, and its start in *@begin: after the
 * device's time as recorded (device_anchor()) from the run's own time of the anchor, plus
 * this run's extra device time. Returns 1 when the run is done with the event: no map (an
 * orphan) or the map failed (nothing to undo).
 */
static int run_after_device(struct run *run, const struct evctx *x, double *begin,
			    struct run_dep **depp)
{
	const struct ism_event *ev = x->ev;
	struct run_dep *dep = x->dep_id < run->ndep && run->dep[x->dep_id].refs ?
				      &run->dep[x->dep_id] : NULL;

	*depp = dep;
	if (!dep) {
		run->T[ev->cpu] = *begin;
		return 1;
	}
	*begin = run->T[ev->cpu];
	if (!x->orphan) {
		double a_T = x->anchor == ANCHOR_DEV ?
				     run->dev_T[(size_t)x->anchor_cpu * SIM_DEVS + ev->dev] :
			     x->anchor == ANCHOR_MARK ? run->mark_T : dep->end;

		if (a_T + x->dev_time + dep->extra > *begin)
			*begin = a_T + x->dev_time + dep->extra;
	}
	if (dep->flags & 1) {
		/* the map failed: nothing to undo */
		if (!op_is_sync(x->op))
			dep->refs = 0;
		run->T[ev->cpu] = *begin;
		return 1;
	}
	return 0;
}

/*
 * The strategy the trace was recorded under: its hypercalls cost what the recording shows
 * (execute_rec()), and a traced-first event's calls, recorded after it, are settled at the
 * CPU's next event with their recorded time. Returns the end; *@begin may move.
 */
static double execute_as_recorded(struct sim *sim, struct run *run, const struct evctx *x,
				  double *begin, double *dev)
{
	const struct ism_event *ev = x->ev;
	uint64_t seen[3];
	double dur[3], *on = &run->owed_ns[(size_t)ev->cpu * 3], end;
	uint64_t *oc = &run->owed_calls[(size_t)ev->cpu * 3];
	struct rec_hc rh = { seen, dur };
	int tf = ism_kind_traced_first(ev->kind);

	/* the previous traced-first event's calls: their recorded time, not the model's */
	for (int k = 0; k < 3; k++) {
		seen[k] = x->seen[k];
		dur[k] = x->dur[k];
		if (oc[k] && oc[k] <= seen[k]) {
			double share = dur[k] * (double)oc[k] / (double)seen[k];

			*begin += share - on[k];
			if (*begin < run->T[ev->cpu])
				*begin = run->T[ev->cpu];
			seen[k] -= oc[k];
			dur[k] -= share;
		}
		oc[k] = 0;
		on[k] = 0;
	}
	end = execute_rec(sim, run, ev->cpu, *begin, dev, 0, tf ? NULL : &rh);
	if (tf)
		for (unsigned a = 0; a < run->ab.n; a++) {
			int k;
			double ns = cost_plan_action(&sim->cost, &run->ab.a[a], &k).cpu_ns;

			if (k >= 0) {
				oc[k] += run->ab.a[a].calls;
				on[k] += ns;
			}
		}
	return end;
}

/*
 * @run's stack does @x's operation (request @rq) from *@begin (which may move): its actions,
 * costed. Returns the end; *@dev: device time; *@failed: the map failed (window or pool full).
 */
static double run_execute(struct sim *sim, struct run *run, const struct evctx *x,
			  struct dma_req *rq, double *begin, double *dev, int *failed)
{
	rq->ts_ns = (uint64_t)*begin;
	if (run->ilayer)
		ick_counts(run, &run->ibefore);
	*failed = call_stack(run, x->op, rq) < 0;
	if (sim->untimed)
		return *begin;
	if (run->ilayer)
		ick_predict(sim, run);
	if (run->as_recorded)
		return execute_as_recorded(sim, run, x, begin, dev);
	return execute(sim, run, x->ev->cpu, *begin, dev, 0);
}

/*
 * Run @i did @x's operation in [@begin, @end) (@dev: device time; @dep: an unmap's map): its
 * clocks, the observer and the check, the counts, latencies and the map's entry.
 */
static void run_done(struct sim *sim, unsigned i, const struct evctx *x, struct run_dep *dep,
		     double begin, double end, double dev, int failed)
{
	struct run *run = &sim->runs[i];
	const struct ism_event *ev = x->ev;

	run->T[ev->cpu] = end;
	run->last_T = end;
	if (sim->fit && i == sim->fit_run && !ism_kind_traced_first(ev->kind))
		fit_sample(sim, run, x, x->first_dma);
	if (sim->observed && sim->obs.op)
		sim->obs.op(sim->obs.arg, i, ev, begin, end, failed);
	if (sim->chk && sim->chk->event && !op_is_sync(x->op))
		sim->chk->event(&run->chk, chk_cpu(sim, run, ev->cpu), x->chkrec, ev, x->pos,
				x->inferred || (dep && (dep->flags & 2)), &run->ab);
	switch (x->op) {
	case OP_MAP:
	case OP_MAP_SG:
	case OP_ALLOC:
		run->res.maps++;
		lat_add(&run->res.map_lat, end - begin);
		if (failed)
			run->res.map_failures++;
		if (x->dep_id >= run->ndep) {
			uint32_t n = run->ndep ? run->ndep : 64;

			while (n <= x->dep_id)
				n = n > UINT32_MAX / 2 ? UINT32_MAX : n * 2;
			run->dep = xreallocarray(run->dep, n, sizeof(*run->dep));
			memset(run->dep + run->ndep, 0, (n - run->ndep) * sizeof(*run->dep));
			run->ndep = n;
		}
		dep = &run->dep[x->dep_id];
		dep->refs++;
		dep->end = end;
		dep->extra = dev - x->rec_dev;
		dep->flags = (uint8_t)(failed | (x->inferred ? 2 : 0));
		if (ev->dev < SIM_DEVS)
			run->dev_T[(size_t)ev->cpu * SIM_DEVS + ev->dev] = end;
		run->res.dev_ns += dev;
		break;
	case OP_UNMAP:
	case OP_UNMAP_SG:
	case OP_FREE:
		if (ev->dev < SIM_DEVS)
			run->done_T[ev->dev] = end;
		run->res.unmaps++;
		lat_add(&run->res.unmap_lat, end - begin);
		dep->refs--;
		break;
	default:
		break;
	}
}

/* Run @i replays the prepared event @x: from what @x holds and its own state only. */
static void run_event(struct sim *sim, unsigned i, const struct evctx *x)
{
	struct run *run = &sim->runs[i];
	const struct ism_event *ev = x->ev;
	struct run_dep *dep = NULL;
	struct dma_req rq = x->rq;
	double begin, end, dev = 0;
	int failed;

	if (ev->cpu >= run->ncpus)
		run_grow(sim, run, ev->cpu + 1u);
	if (rq.nsegs) {
		/* layers that rewrite segment addresses restore them: each run its own copy */
		if (rq.nsegs > run->segcap) {
			run->segcap = rq.nsegs;
			run->segs = xreallocarray(run->segs, rq.nsegs, sizeof(*run->segs));
		}
		memcpy(run->segs, x->segs, rq.nsegs * sizeof(*run->segs));
		rq.segs = run->segs;
	}
	memset(run->ipred, 0, sizeof(run->ipred));
	begin = run_begin(run, x);
	if (x->op == OP_MARK) {
		run_marker(sim, run, x, &rq, begin);
		run_phase(run, x);
		return;
	}
	if (!(op_after_device(x->op) && run_after_device(run, x, &begin, &dep))) {
		end = run_execute(sim, run, x, &rq, &begin, &dev, &failed);
		run_done(sim, i, x, dep, begin, end, dev, failed);
	}
	/* the IOMMU events since this CPU's previous DMA event belong to this one */
	if ((sim->check & SIM_CHECK_IOMMU) && run->ilayer && !op_is_sync(x->op))
		ick_event(run, ev->cpu, ev, x->pos, x->iseen);
}

/* After @x's event was prepared (and replayed, one event at a time): the recorded state the
 * next events depend on. */
static void event_done(struct sim *sim, const struct evctx *x)
{
	const struct ism_event *ev = x->ev;
	struct rcpu *rc = x->rc;
	enum req_op op = x->op;
	double t = x->t;

	if (op != OP_MARK && !op_is_sync(op)) {
		memset(rc->iseen, 0, sizeof(rc->iseen));
		rc->after_unmap = 0;
	}
	if (x->first_dma)
		rc->dma_seen = 1;
	if (op_unmaps(op) && ev->dev < SIM_DEVS) {
		sim->done_t[ev->dev] = t;
		sim->done_cpu[ev->dev] = ev->cpu;
	}
	if (op == OP_MARK) {
		sim->have_mark = 1;
		sim->mark_cpu = ev->cpu;
		sim->mark_t = t;
	}
	if (op_maps(op) && ev->dev < SIM_DEVS) {
		if (!rc->dev_t)
			rc->dev_t = xcalloc(SIM_DEVS, sizeof(double));
		rc->dev_t[ev->dev] = t;
	}
	sim->have_last = 1;
	sim->last_cpu = ev->cpu;
	sim->last_t = t;
	rc->t_prev = t;
	rc->have_prev = 1;
	rc->ovh_ns = 0;
	memset(rc->dur, 0, sizeof(rc->dur));
	if (op != OP_MARK)
		rc->pending_rec = ism_kind_traced_first(ev->kind) ? x->rec_model : 0;
	memset(rc->seen, 0, sizeof(rc->seen));
	if (sim->chk)
		memset(chk_rec(sim, ev->cpu), 0, sim->chk->rec_size);
}

/*
 * The shared side of @ev (at reader position @pos), into *@x: 1 when it is a DMA event or
 * a marker the runs replay, 0 when the recording's side is all it feeds.
 */
static int prepare(struct sim *sim, const struct ism_event *ev, uint64_t pos, struct evctx *x)
{
	struct sim_recorded *r = &sim->r;
	struct rcpu *rc;
	enum req_op op;
	uint8_t tag = 0;
	uint64_t key = 0;

	if (!sim->started) {
		const char *bs = sim->sc->sim.boot_start_marker;

		if (bs && *bs && !(ev->kind == ISM_EV_MARKER && strstr(ev->text, bs)))
			return 0;
		start(sim, ev);
	}
	r->events++;
	if ((double)ev->ts_ns > r->end_ns)
		r->end_ns = (double)ev->ts_ns;
	rc = rcpu(sim, ev->cpu);
	if (recorded_side(sim, rc, ev, pos))
		return 0;
	op = classify(ev, &tag, &key);
	if (op == OP_NONE) {
		r->unknown_kinds++;
		return 0;
	}
	/* only what the runs replay is prepared: most events of a trace are hypercalls */
	memset(x, 0, sizeof(*x));
	x->ev = ev;
	x->pos = pos;
	x->t = (double)ev->ts_ns;
	x->rc = rc;
	x->op = op;
	x->tag = tag;
	x->key = key;
	if (x->op != OP_MARK)
		r->dma_events++;
	make_request(sim, x);
	x->segs = x->rq.segs;
	think_time(sim, x);
	dependencies(sim, x);
	x->last_t = sim->last_t;
	x->ovh_ns = x->rc->ovh_ns;
	memcpy(x->seen, x->rc->seen, sizeof(x->seen));
	memcpy(x->dur, x->rc->dur, sizeof(x->dur));
	x->chkrec = sim->chk ? chk_rec(sim, ev->cpu) : NULL;
	x->iseen = x->rc->iseen;
	if (op_after_device(x->op))
		device_anchor(sim, x);
	else if (op_maps(x->op))
		recorded_map(sim, x);
	else if (x->op == OP_MARK)
		phase_decide(sim, x);
	return 1;
}

/* ---- the pipeline ----------------------------------------------------------------------- */

/* The pool's work: the posted block through every run, claimed one run at a time. */
static void block_runs(void *arg, unsigned t, unsigned nthreads)
{
	struct sim *sim = arg;
	const struct sim_block *b = &sim->blk[sim->posted_blk];
	const struct evctx *x = b->x;
	unsigned i, n = b->evs.n;

	(void)t;
	(void)nthreads;
	while ((i = __atomic_fetch_add(&sim->next_run, 1u, __ATOMIC_RELAXED)) < sim->nruns)
		for (unsigned e = 0; e < n; e++)
			run_event(sim, i, &x[e]);
}

static void block_wait(struct sim *sim)
{
	if (!sim->posted)
		return;
	evpool_wait(&sim->pool);
	sim->posted = 0;
}

/* The block being prepared goes to the runs (after the one before it is done). */
static void block_post(struct sim *sim)
{
	struct sim_block *b = &sim->blk[sim->cur];

	block_wait(sim);
	if (!b->evs.n)
		return;
	evblock_fix(&b->evs);
	for (unsigned e = 0; e < b->evs.n; e++) {
		b->x[e].ev = &b->evs.ev[e];
		b->x[e].segs = b->seg_off[e] == SIZE_MAX ? NULL : b->segs + b->seg_off[e];
		b->x[e].chkrec = sim->chk ? b->chk + e * sim->chk->rec_size : NULL;
	}
	if (!sim->pool.fn)
		evpool_start(&sim->pool, sim->jobs < sim->nruns + 1 ? sim->jobs : sim->nruns + 1,
			     block_runs, sim);
	sim->posted_blk = sim->cur;
	sim->next_run = 0;
	evpool_post(&sim->pool);
	sim->posted = 1;
	sim->cur ^= 1;
	b = &sim->blk[sim->cur];
	evblock_reset(&b->evs);
	b->nsegs = 0;
}

/* Where the next event of the block being prepared is prepared. */
static struct evctx *block_slot(struct sim *sim)
{
	struct sim_block *b = &sim->blk[sim->cur];

	if (!b->x) {
		evblock_init(&b->evs, SIM_BLOCK_EVENTS);
		b->x = xcalloc(SIM_BLOCK_EVENTS, sizeof(*b->x));
		b->seg_off = xcalloc(SIM_BLOCK_EVENTS, sizeof(*b->seg_off));
	}
	return &b->x[b->evs.n];
}

/* The event prepared in block_slot() (still pointing at the caller's event) joins the block,
 * with copies of what the runs read of the recording's side now. */
static void block_add(struct sim *sim, struct evctx *x)
{
	struct sim_block *b = &sim->blk[sim->cur];
	unsigned e = b->evs.n;

	evblock_add(&b->evs, x->ev, x->pos);
	x->iseen = NULL;
	b->seg_off[e] = SIZE_MAX;
	if (x->rq.nsegs) {
		if (b->nsegs + x->rq.nsegs > b->segcap) {
			b->segcap = (b->nsegs + x->rq.nsegs) * 2;
			b->segs = xreallocarray(b->segs, b->segcap, sizeof(*b->segs));
		}
		memcpy(b->segs + b->nsegs, x->segs, x->rq.nsegs * sizeof(*b->segs));
		b->seg_off[e] = b->nsegs;
		b->nsegs += x->rq.nsegs;
	}
	if (sim->chk && sim->chk->rec_size) {
		if (!b->chk)
			b->chk = xcalloc(SIM_BLOCK_EVENTS, sim->chk->rec_size);
		memcpy(b->chk + (size_t)e * sim->chk->rec_size, x->chkrec, sim->chk->rec_size);
	}
}

void sim_event(struct sim *sim, const struct ism_event *ev, uint64_t pos)
{
	struct evctx one, *x;

	if (!sim->decided) {
		/* observers and the IOMMU check (set before the first event) watch each event;
		 * on one thread the blocks would only add copies */
		sim->decided = 1;
		sim->blocked = sim->jobs > 1 && sim->nruns && !sim->observed &&
			       !(sim->check & SIM_CHECK_IOMMU);
	}
	x = sim->blocked ? block_slot(sim) : &one;
	if (!prepare(sim, ev, pos, x))
		return;
	if (!sim->blocked) {
		for (unsigned i = 0; i < sim->nruns; i++)
			run_event(sim, i, x);
		if (x->op == OP_MARK)
			phase_announce(sim, x);
	}
	if (sim->blocked)
		block_add(sim, x);
	event_done(sim, x);
	if (sim->blocked && evblock_full(&sim->blk[sim->cur].evs))
		block_post(sim);
}

void sim_finish(struct sim *sim)
{
	struct sim_recorded *r = &sim->r;

	if (sim->finished)
		return;
	sim->finished = 1;
	if (sim->blocked) {
		block_post(sim);
		block_wait(sim);
	}
	if (!sim->started)
		return;
	r->boot_ns = (r->have_boot_end ? r->boot_end_ns : r->end_ns) - r->start_ns;
	r->run_ns = r->have_boot_end ? r->end_ns - r->boot_end_ns : r->end_ns - r->start_ns;
	for (unsigned i = 0; i < sim->nruns; i++) {
		struct run *run = &sim->runs[i];
		struct sim_result *res = &run->res;
		double m = 0;

		run_grow(sim, run, sim->ncpus);
		run->T[sim->boot_cpu] += run->setup_left;
		run->setup_left = 0;
		if ((sim->check & SIM_CHECK_IOMMU) && run->ilayer)
			for (unsigned c = 0; c < sim->ncpus; c++)
				ick_event(run, c, NULL, 0, sim->cpus[c].iseen);
		for (unsigned c = 0; c < sim->ncpus; c++) {
			if (run->T[c] > m)
				m = run->T[c];
			/* what the recording shows after each CPU's last DMA event */
			if (sim->chk && sim->chk->finish)
				sim->chk->finish(&run->chk, chk_cpu(sim, run, c), chk_rec(sim, c));
		}
		/* the events after the latest DMA event or marker follow it, as recorded */
		if (sim->have_last && run->last_T + (r->end_ns - sim->last_t) > m)
			m = run->last_T + (r->end_ns - sim->last_t);
		res->end_ns = m;
		res->boot_ns = r->have_boot_end ? run->boot_T : m;
		res->run_ns = r->have_boot_end ? m - run->boot_T : m;
		if (!r->have_boot_end)
			memcpy(res->boot_cat_ns, res->cat_ns, sizeof(res->cat_ns));
		if (i == 0)
			r->live_at_end = sim->sdeps.n;
		if (run->stack->ops->report)
			run->stack->ops->report(run->stack, &res->pr);
		strat_share(&res->pr, 0, 0, (uint64_t)m); /* close the exposure integral */
		collect_stats(run);
	}
}
