/*
 * livemap.c: live-mapping hash table (see livemap.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "livemap.h"
#include "util.h"

/*
 * The first table: 128 slots (9 KiB). A replay holds one table per run and several per
 * strategy, most with a few dozen live mappings; starting at 1024 slots put 1.5 MiB of
 * mostly empty slots in the way of the cache. Tables double at 3/4 full, as before.
 */
#define LIVEMAP_MIN_SLOTS 128

static uint64_t lm_hash(uint8_t tag, uint16_t dev, uint64_t addr)
{
	uint64_t h = addr ^ ((uint64_t)dev << 48) ^ ((uint64_t)tag << 62);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

void livemap_init(struct livemap *m)
{
	memset(m, 0, sizeof(*m));
}

void livemap_free(struct livemap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

struct live_entry *livemap_find(struct livemap *m, uint8_t tag, uint16_t dev, uint64_t addr)
{
	uint64_t i;

	if (!m->cap)
		return NULL;
	i = lm_hash(tag, dev, addr) & (m->cap - 1);
	while (m->slots[i].refs) {
		struct live_entry *e = &m->slots[i];

		if (e->addr == addr && e->dev == dev && e->tag == tag)
			return e;
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

static void lm_grow(struct livemap *m)
{
	struct live_entry *old = m->slots;
	uint64_t ocap = m->cap;

	m->cap = m->cap ? m->cap * 2 : LIVEMAP_MIN_SLOTS;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (uint64_t j = 0; j < ocap; j++) {
		if (old[j].refs) {
			uint64_t i = lm_hash(old[j].tag, old[j].dev, old[j].addr) & (m->cap - 1);

			while (m->slots[i].refs)
				i = (i + 1) & (m->cap - 1);
			m->slots[i] = old[j];
		}
	}
	free(old);
}

struct live_entry *livemap_get(struct livemap *m, uint8_t tag, uint16_t dev, uint64_t addr,
			       int *created)
{
	struct live_entry *e = livemap_find(m, tag, dev, addr);
	uint64_t i;

	*created = 0;
	if (e)
		return e;
	*created = 1;
	if ((m->n + 1) * 4 >= m->cap * 3)
		lm_grow(m);
	i = lm_hash(tag, dev, addr) & (m->cap - 1);
	while (m->slots[i].refs)
		i = (i + 1) & (m->cap - 1);
	e = &m->slots[i];
	memset(e, 0, sizeof(*e));
	e->tag = tag;
	e->dev = dev;
	e->addr = addr;
	e->refs = 1;
	m->n++;
	return e;
}

void livemap_remove(struct livemap *m, struct live_entry *e)
{
	uint64_t i = (uint64_t)(e - m->slots), j = i;

	e->refs = 0;
	m->n--;
	/* backward-shift: move later entries of the probe run into the hole */
	for (;;) {
		uint64_t k;

		j = (j + 1) & (m->cap - 1);
		if (!m->slots[j].refs)
			break;
		k = lm_hash(m->slots[j].tag, m->slots[j].dev, m->slots[j].addr) & (m->cap - 1);
		/* can slot j's entry live at i? only if i is cyclically in [k, j) */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].refs = 0;
			i = j;
		}
	}
}
