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

void act_add(struct actbuf *b, enum act_kind kind, uint32_t op, uint64_t calls, uint64_t units,
	     uint16_t res)
{
	struct action *a;

	if (!calls && !units)
		return;
	if (b->n) {
		a = &b->a[b->n - 1];
		if (a->kind == kind && a->op == op && a->res == res) {
			a->calls += calls;
			a->units += units;
			return;
		}
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->a = xreallocarray(b->a, b->cap, sizeof(*b->a));
	}
	a = &b->a[b->n++];
	a->kind = (uint8_t)kind;
	a->outside = 0;
	a->res = res;
	a->op = op;
	a->calls = calls;
	a->units = units;
}

void act_ucall(struct actbuf *b, uint32_t op, uint64_t calls, uint64_t pages, int outside)
{
	unsigned before = b->n;

	act_add(b, ACT_UCALL, op, calls, pages, 0);
	if (b->n > before || (b->n && b->a[b->n - 1].outside != !!outside))
		b->a[b->n - 1].outside = (uint8_t)!!outside;
}
