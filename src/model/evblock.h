/*
 * evblock.h: decode once, replay many. A block of events copied out of the reader (their sg
 * arrays and texts in an arena of the block), and a pool of worker threads that replays each
 * block through several independent simulations: simulation i belongs to thread
 * i % nthreads for every block, and a thread replays the whole block through one simulation
 * before the next, so that each simulation's state stays in cache. Used by sweep (one
 * simulation per point) and by a replay whose strategies are spread over threads (sim.c).
 */
#ifndef ISM_EVBLOCK_H
#define ISM_EVBLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct ev_block {
	struct ism_event *ev;
	uint64_t *pos;
	size_t *sg_off, *text_off; /* arena offsets until evblock_fix() (SIZE_MAX: none) */
	unsigned n, cap;
	char *arena;
	size_t used, size;
};

/* A block of room for @cap events. */
void evblock_init(struct ev_block *b, unsigned cap);
void evblock_free(struct ev_block *b);
void evblock_reset(struct ev_block *b);
/* Copy @ev (at reader position @pos) into the block; its sg array and text into the arena. */
void evblock_add(struct ev_block *b, const struct ism_event *ev, uint64_t pos);
/* Point the events' sg arrays and texts into the arena: call once the block is full. */
void evblock_fix(struct ev_block *b);
static inline int evblock_full(const struct ev_block *b)
{
	return b->n == b->cap;
}

/*
 * The workers: @fn(@arg, t, nthreads) replays the current block through thread t's share.
 * evpool_start() makes up to @nthreads - 1 threads (fewer when the system gives fewer: the
 * shares are made for those there are); the caller's thread is thread 0.
 */
typedef void (*evpool_fn)(void *arg, unsigned t, unsigned nthreads);
struct evpool {
	evpool_fn fn;
	void *arg;
	unsigned nthreads;
	int done;
	pthread_t *th;
	struct evpool_worker *wk;
	pthread_barrier_t start, end;
	pthread_mutex_t gate;     /* held while the threads are made and the barriers set */
};
void evpool_start(struct evpool *p, unsigned nthreads, evpool_fn fn, void *arg);
/* Every thread runs its share of the current block; returns when all are done. */
void evpool_run(struct evpool *p);
/*
 * evpool_run() in two halves: evpool_post() sets threads 1.. going and returns at once (the
 * caller may prepare the next block meanwhile, touching nothing the threads read);
 * evpool_wait() runs thread 0's share on the caller's thread and returns when all are done.
 */
void evpool_post(struct evpool *p);
void evpool_wait(struct evpool *p);
void evpool_stop(struct evpool *p);

/* The number of CPUs online (at least 1). */
unsigned evpool_cpus(void);

#endif
