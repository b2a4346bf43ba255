/*
 * action.h: what a strategy does, as data. A strategy appends actions (hypercall with opcode
 * and entry count, ultracall, RTAS call, copy, guest software, lock hold, device translation)
 * to an action buffer; the cost model (cost.h) prices them and the engine (sim.c) books them.
 * Operation numbers come from the catalogue (ops.h). Includes only ops.h.
 */
#ifndef ISM_ACTION_H
#define ISM_ACTION_H

#include <stdint.h>

#include "ops.h"

enum act_kind {
	ACT_HCALL,        /* op = opcode; calls, units = TCE entries */
	ACT_UCALL,        /* op = an ultracall other than a share; calls, units = entries */
	ACT_SHARE,        /* pages shared with the hypervisor: op = the call that shares them
			   * (UV_SHARE_PAGE); calls, units = pages; outside = outside a pool */
	ACT_UNSHARE,      /* pages no longer shared: op = the call (UV_UNSHARE_PAGE); as above */
	ACT_INVAL,        /* IOTLB invalidations: op = IOTLB_SYNC / IOTLB_FLUSH_ALL; calls;
			   * counted by the engine, not priced (no cost parameter yet) */
	ACT_RTAS,         /* op = RTAS_QUERY / RTAS_CREATE / RTAS_REMOVE; calls */
	ACT_COPY,         /* calls, units = bytes copied (bounce) */
	ACT_GUEST,        /* calls = DMA API calls (software path per map/unmap) */
	ACT_GUEST_PAGES,  /* units = IOMMU pages handled by guest software */
	ACT_ALLOC_SEARCH, /* units = bitmap bits examined by the IOVA allocator */
	ACT_SLOT_SEARCH,  /* units = swiotlb slots examined */
	ACT_LOCK,         /* calls = lock acquisitions (uncontended cost; waits come from res) */
	ACT_DEV_XLATE,    /* units = IOMMU pages the device translates (device time, not CPU) */
	ACT_DEV_JOB,      /* units > 0: this map's buffers reach the device through entries the
			   * map itself wrote; priced once per action, as device time: the maps
			   * a device gets before its next completion share one device job, and
			   * the engine adds each map's device time to that job, not to a sum */
	ACT__COUNT
};

/* Time categories of the breakdown (cost.c maps actions to them). */
#define ISM_CATEGORIES(X)             \
	X(HCALL, "hcall")              \
	X(UCALL, "ucall")              \
	X(RTAS, "rtas")                \
	X(COPY, "copy")                \
	X(GUEST, "guest_sw")           \
	X(LOCK_WAIT, "lock_wait")      \
	X(DEVICE, "device_xlate")

enum ism_category {
#define ISM_CAT_ENUM(n, s) CAT_##n,
	ISM_CATEGORIES(ISM_CAT_ENUM)
#undef ISM_CAT_ENUM
	CAT__COUNT
};
const char *category_name(unsigned c);

struct action {
	uint8_t kind;     /* enum act_kind */
	uint8_t outside;  /* ACT_SHARE/ACT_UNSHARE: pages outside a designated pool */
	uint16_t res;     /* shared resource held while the action runs (0 = none) */
	uint32_t op;
	uint64_t calls;
	uint64_t units;
};

struct actbuf {
	struct action *a;
	unsigned n, cap;
};

void actbuf_reset(struct actbuf *b);
void actbuf_free(struct actbuf *b);
void actbuf_grow(struct actbuf *b);
/*
 * Append an action; consecutive identical (kind, op, res) actions are merged. Inline: every
 * strategy calls it several times per DMA event.
 */
static inline void act_add(struct actbuf *b, enum act_kind kind, uint32_t op, uint64_t calls,
			   uint64_t units, uint16_t res)
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
	if (b->n == b->cap)
		actbuf_grow(b);
	a = &b->a[b->n++];
	a->kind = (uint8_t)kind;
	a->outside = 0;
	a->res = res;
	a->op = op;
	a->calls = calls;
	a->units = units;
}
/*
 * @pages pages shared with (act_share) or unshared from (act_unshare) the hypervisor by @calls
 * calls of operation @op; @outside: pages outside a designated pool. The engine books the
 * exposure from the kind: a strategy never names the operation to the engine.
 */
void act_share(struct actbuf *b, uint32_t op, uint64_t calls, uint64_t pages, int outside);
void act_unshare(struct actbuf *b, uint32_t op, uint64_t calls, uint64_t pages, int outside);
/* @calls IOTLB invalidations of kind @op (ops.h class OPC_INVAL) covering @units pages. */
static inline void act_inval(struct actbuf *b, uint32_t op, uint64_t calls, uint64_t units)
{
	act_add(b, ACT_INVAL, op, calls, units, 0);
}
/* Whether actions of @kind are calls booked by operation (hcall, ucall, RTAS, share). */
static inline int act_is_call(unsigned kind)
{
	return kind == ACT_HCALL || kind == ACT_UCALL || kind == ACT_RTAS || kind == ACT_SHARE ||
	       kind == ACT_UNSHARE;
}
static inline void act_hcall(struct actbuf *b, uint32_t op, uint64_t calls, uint64_t entries,
			     uint16_t res)
{
	act_add(b, ACT_HCALL, op, calls, entries, res);
}

#endif
