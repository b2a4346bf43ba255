/*
 * livemap.h: a hash table of live mappings keyed by (tag, device, address), with a reference
 * count per key. Open addressing with linear probing and backward-shift deletion: no
 * tombstones, so a long trace with churn keeps the table as small as its live set.
 */
#ifndef ISM_LIVEMAP_H
#define ISM_LIVEMAP_H

#include <stdint.h>

struct live_entry {
	uint64_t addr;
	uint64_t size;
	uint64_t pos;      /* where it was created: line / record / event number */
	uint64_t ts_ns;
	uint32_t refs;     /* 0 = empty slot */
	uint16_t dev;
	uint8_t tag;
	uint8_t pad;
	uint16_t cpu;
	uint64_t d[3];     /* payload for the owner (simulator, strategies) */
};

struct livemap {
	struct live_entry *slots;
	uint64_t cap, n;
};

void livemap_init(struct livemap *m);
void livemap_free(struct livemap *m);
struct live_entry *livemap_find(struct livemap *m, uint8_t tag, uint16_t dev, uint64_t addr);
/* Find, or insert with refs = 1 and *@created = 1 (other fields zero). */
struct live_entry *livemap_get(struct livemap *m, uint8_t tag, uint16_t dev, uint64_t addr,
			       int *created);
void livemap_remove(struct livemap *m, struct live_entry *e);

#endif
