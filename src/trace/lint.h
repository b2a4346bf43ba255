/*
 * lint.h: consistency checks over one trace (`iommusim lint`). Memory grows with the mappings
 * live at a time, never with trace length.
 */
#ifndef ISM_LINT_H
#define ISM_LINT_H

#include <stdio.h>
#include <stdint.h>

#include <jansson.h>

#include "event.h"

struct reader;

#define LINT_EXAMPLES 5

/* X(id, name, is_finding, description) */
#define LINT_CHECKS(X)                                                                   \
	X(UNMATCHED_UNMAP, "unmatched_unmap", 1, "unmap of an address that is not mapped")    \
	X(UNMATCHED_UNMAP_SG, "unmatched_unmap_sg", 1, "unmap_sg of a list that is not mapped") \
	X(UNMATCHED_FREE, "unmatched_free", 1, "free of a coherent buffer never allocated")    \
	X(DOUBLE_MAP, "double_map", 1, "map of an address that is already mapped")             \
	X(LIVE_AT_END, "live_at_end", 1, "streaming mapping never unmapped")                   \
	X(SIZE_MISMATCH, "size_mismatch", 1, "unmap size differs from the map's size")         \
	X(FREE_MISMATCH, "free_mismatch", 1, "free size differs from the allocation's size")   \
	X(UNMAP_SG_MISMATCH, "unmap_sg_mismatch", 1,                                            \
	  "unmap_sg entry count or direction differs from the map_sg's")                        \
	X(LOST_EVENTS, "lost_events", 1, "ring buffer overrun: events lost")                   \
	X(TS_INVERSION, "ts_inversion", 1, "timestamp earlier than the previous on that CPU")  \
	X(TRUNCATED_SG, "truncated_sg", 1, "sg list arrays truncated by the kernel")           \
	X(ZERO_TS, "zero_timestamp", 1, "timestamp 0: recorded before the clock started")      \
	X(HCALL_UNPAIRED, "hcall_unpaired", 1, "hcall_exit without its hcall_entry on that CPU") \
	X(ALLOC_LIVE_AT_END, "alloc_live_at_end", 0, "coherent buffer still allocated at the end")

enum lint_check {
#define LINT_ENUM(id, n, f, d) LINT_##id,
	LINT_CHECKS(LINT_ENUM)
#undef LINT_ENUM
	LINT__COUNT
};

struct lint_example {
	uint64_t pos;     /* line / record / event number */
	uint64_t ts_ns;
	unsigned cpu;
	char *what;
};

struct lint_result {
	uint64_t count[LINT__COUNT];
	struct lint_example ex[LINT__COUNT][LINT_EXAMPLES];
	unsigned nex[LINT__COUNT];
	const char *pos_unit;
	uint64_t events;
};

struct lint_state;

struct lint_state *lint_new(void);
/* Check one event; @pos is the reader position of @ev. */
void lint_event(struct lint_state *l, struct reader *r, const struct ism_event *ev, uint64_t pos);
/* End of trace: live-at-end checks; fills @res (caller calls lint_result_free). */
void lint_finish(struct lint_state *l, struct reader *r, struct lint_result *res);
void lint_free(struct lint_state *l);
void lint_result_free(struct lint_result *res);
uint64_t lint_findings(const struct lint_result *res);
void lint_print_text(const struct lint_result *res, const struct reader *r, FILE *out);
json_t *lint_to_json(const struct lint_result *res, const struct reader *r);

#endif
