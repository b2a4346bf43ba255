/*
 * action.c: action buffers and the names of time categories (action.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "util.h"

static const char *const cat_names[] = {
#define ISM_CAT_NAME(n, s) s,
	ISM_CATEGORIES(ISM_CAT_NAME)
#undef ISM_CAT_NAME
};

const char *category_name(unsigned c)
{
	return c < CAT__COUNT ? cat_names[c] : "?";
}

void actbuf_reset(struct actbuf *b)
{
	b->n = 0;
}

void actbuf_free(struct actbuf *b)
{
	free(b->a);
	memset(b, 0, sizeof(*b));
}

/* The grow path of act_add() (action.h): room for one more action. */
void actbuf_grow(struct actbuf *b)
{
	b->cap = b->cap ? b->cap * 2 : 32;
	b->a = xreallocarray(b->a, b->cap, sizeof(*b->a));
}

/* A share or unshare: merged with the previous one only on the same side of a pool. */
static void act_exposure(struct actbuf *b, enum act_kind kind, uint32_t op, uint64_t calls,
			 uint64_t pages, int outside)
{
	struct action *a = b->n ? &b->a[b->n - 1] : NULL;

	if (!calls && !pages)
		return;
	if (a && a->kind == kind && a->op == op && !a->res && a->outside == !!outside) {
		a->calls += calls;
		a->units += pages;
		return;
	}
	if (b->n == b->cap)
		actbuf_grow(b);
	a = &b->a[b->n++];
	a->kind = (uint8_t)kind;
	a->outside = (uint8_t)!!outside;
	a->res = 0;
	a->op = op;
	a->calls = calls;
	a->units = pages;
}

void act_share(struct actbuf *b, uint32_t op, uint64_t calls, uint64_t pages, int outside)
{
	act_exposure(b, ACT_SHARE, op, calls, pages, outside);
}

void act_unshare(struct actbuf *b, uint32_t op, uint64_t calls, uint64_t pages, int outside)
{
	act_exposure(b, ACT_UNSHARE, op, calls, pages, outside);
}
