/*
 * reader-ftrace.h: the ftrace payload parser for readers that rebuild a tracepoint's printk text
 * from its fields (perf data convert --to-json), so that one parser reads every text form.
 */
#ifndef ISM_READER_FTRACE_H
#define ISM_READER_FTRACE_H

#include "reader.h"

/* State for r->priv; @big_endian: raw arrays' byte order. */
void *ftrace_priv_new(int big_endian);
/* Where the borrowing reader keeps its own state. */
void **ftrace_priv_ext(void *priv);
void ftrace_priv_free(void *priv);
/*
 * Parse @payload of tracepoint @name ("dma_map_page", ...) into @ev: the printk form, or for
 * dma_map_sg/dma_unmap_sg the raw fields ("device=... phys_addrs=ARRAY[...] ..."). Returns 1,
 * 0 (an event the model does not know), or -ISM_E* after reader_fail().
 */
int ftrace_payload(struct reader *r, const char *name, const char *payload, struct ism_event *ev);

/* The two readers of ftrace text: `cat trace` / trace-cmd report, and perf script. */
extern const struct reader_ops reader_ftrace_ops;
extern const struct reader_ops reader_perf_ops;

#endif
