/*
 * evblock.c: event blocks and the worker pool that replays them (evblock.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evblock.h"
#include "util.h"

void evblock_init(struct ev_block *b, unsigned cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap ? cap : 1;
	b->ev = xcalloc(b->cap, sizeof(*b->ev));
	b->pos = xcalloc(b->cap, sizeof(*b->pos));
	b->sg_off = xcalloc(b->cap, sizeof(*b->sg_off));
	b->text_off = xcalloc(b->cap, sizeof(*b->text_off));
}

void evblock_free(struct ev_block *b)
{
	free(b->ev);
	free(b->pos);
	free(b->sg_off);
	free(b->text_off);
	free(b->arena);
	memset(b, 0, sizeof(*b));
}

void evblock_reset(struct ev_block *b)
{
	b->n = 0;
	b->used = 0;
}

static size_t arena_put(struct ev_block *b, const void *src, size_t len)
{
	size_t at = (b->used + 15) & ~(size_t)15;

	if (at + len > b->size) {
		b->size = (at + len) * 2 + 4096;
		b->arena = xrealloc(b->arena, b->size);
	}
	memcpy(b->arena + at, src, len);
	b->used = at + len;
	return at;
}

void evblock_add(struct ev_block *b, const struct ism_event *ev, uint64_t pos)
{
	struct ism_event *d = &b->ev[b->n];

	*d = *ev;
	b->sg_off[b->n] = SIZE_MAX;
	b->text_off[b->n] = SIZE_MAX;
	if (ev->sg && ev->nsg)
		b->sg_off[b->n] = arena_put(b, ev->sg, (size_t)ev->nsg * sizeof(*ev->sg));
	if (ev->text)
		b->text_off[b->n] = arena_put(b, ev->text, (size_t)ev->text_len + 1);
	b->pos[b->n++] = pos;
}

void evblock_fix(struct ev_block *b)
{
	for (unsigned e = 0; e < b->n; e++) {
		if (b->sg_off[e] != SIZE_MAX)
			b->ev[e].sg = (const struct ism_sge *)(void *)(b->arena + b->sg_off[e]);
		if (b->text_off[e] != SIZE_MAX)
			b->ev[e].text = b->arena + b->text_off[e];
	}
}

struct evpool_worker {
	struct evpool *p;
	unsigned t;
};

static void *worker_main(void *arg)
{
	struct evpool_worker *w = arg;
	struct evpool *p = w->p;

	pthread_mutex_lock(&p->gate);
	pthread_mutex_unlock(&p->gate);
	for (;;) {
		pthread_barrier_wait(&p->start);
		if (p->done)
			break;
		p->fn(p->arg, w->t, p->nthreads);
		pthread_barrier_wait(&p->end);
	}
	return NULL;
}

void evpool_start(struct evpool *p, unsigned nthreads, evpool_fn fn, void *arg)
{
	unsigned nth;

	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->arg = arg;
	p->nthreads = nthreads ? nthreads : 1;
	if (p->nthreads == 1)
		return;
	p->th = xcalloc(p->nthreads, sizeof(*p->th));
	p->wk = xcalloc(p->nthreads, sizeof(*p->wk));
	pthread_mutex_init(&p->gate, NULL);
	pthread_mutex_lock(&p->gate);
	for (nth = 1; nth < p->nthreads; nth++) {
		p->wk[nth].p = p;
		p->wk[nth].t = nth;
		if (pthread_create(&p->th[nth], NULL, worker_main, &p->wk[nth]) != 0)
			break;
	}
	p->nthreads = nth;
	if (nth > 1) {
		pthread_barrier_init(&p->start, NULL, p->nthreads);
		pthread_barrier_init(&p->end, NULL, p->nthreads);
	}
	pthread_mutex_unlock(&p->gate);
}

void evpool_post(struct evpool *p)
{
	if (p->nthreads > 1)
		pthread_barrier_wait(&p->start);
}

void evpool_wait(struct evpool *p)
{
	p->fn(p->arg, 0, p->nthreads);
	if (p->nthreads > 1)
		pthread_barrier_wait(&p->end);
}

void evpool_run(struct evpool *p)
{
	evpool_post(p);
	evpool_wait(p);
}

void evpool_stop(struct evpool *p)
{
	if (p->th) {
		if (p->nthreads > 1) {
			p->done = 1;
			pthread_barrier_wait(&p->start);
			for (unsigned t = 1; t < p->nthreads; t++)
				pthread_join(p->th[t], NULL);
			pthread_barrier_destroy(&p->start);
			pthread_barrier_destroy(&p->end);
		}
		pthread_mutex_destroy(&p->gate);
	}
	free(p->th);
	free(p->wk);
	memset(p, 0, sizeof(*p));
}

unsigned evpool_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}
