/* ftrace-ref.h: the reference ftrace reader of ftrace-ref.c (names prefixed ref_). */
#ifndef ISM_FTRACE_REF_H
#define ISM_FTRACE_REF_H

#include "reader.h"

extern const struct reader_ops ref_reader_ftrace_ops;
extern const struct reader_ops ref_reader_perf_ops;
void *ref_ftrace_priv_new(int big_endian);
void **ref_ftrace_priv_ext(void *priv);
void ref_ftrace_priv_free(void *priv);
int ref_ftrace_payload(struct reader *r, const char *name, const char *payload,
		       struct ism_event *ev);

#endif
