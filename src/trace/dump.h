/*
 * dump.h: one event as a JSON line (`iommusim dump`). Every field is printed for every event,
 * in a fixed order, so two dumps compare with diff/cmp. Addresses are hex strings.
 */
#ifndef ISM_DUMP_H
#define ISM_DUMP_H

#include <stdio.h>

#include "event.h"

struct reader;

#include "schema.h"
#define DUMP_SCHEMA_VERSION SCHEMA_DUMP

void dump_event(FILE *out, const struct ism_event *ev, const char *devname);
/* Write @s as a JSON string literal (with quotes). */
void dump_json_string(FILE *out, const char *s, size_t len);

#endif
