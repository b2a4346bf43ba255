/*
 * dump.c: events as JSON lines.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "dump.h"

void dump_json_string(FILE *out, const char *s, size_t len)
{
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			putc('\\', out);
			putc(c, out);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else {
			putc(c, out);
		}
	}
	putc('"', out);
}

void dump_event(FILE *out, const struct ism_event *ev, const char *devname)
{
	int signed_arg = ev->kind == ISM_EV_HCALL_EXIT || ev->kind == ISM_EV_MAP_SG_ERR ||
			 ev->kind == ISM_EV_ALLOC_ERR;

	fprintf(out, "{\"ts_ns\":%" PRIu64 ",\"cpu\":%u,", ev->ts_ns, ev->cpu);
	if (ev->pid)
		fprintf(out, "\"pid\":%u,", ev->pid); /* the task, where the trace says */
	fprintf(out, "\"kind\":\"%s\",\"dev\":", ism_kind_name(ev->kind));
	if (ev->dev && devname)
		dump_json_string(out, devname, strlen(devname));
	else
		fputs("null", out);
	fprintf(out, ",\"dir\":\"%s\",\"addr\":\"0x%" PRIx64 "\",\"paddr\":\"0x%" PRIx64
		"\",\"size\":%" PRIu64 ",", ism_dir_name(ev->dir), ev->addr, ev->paddr, ev->size);
	if (signed_arg)
		fprintf(out, "\"arg\":%" PRId64, ev->retval);
	else
		fprintf(out, "\"arg\":%" PRIu64, ev->arg);
	fprintf(out, ",\"attrs\":%u,\"nents\":%u,\"ents\":%u,\"flags\":%u", ev->attrs, ev->nents,
		ev->ents, ev->flags);
	if (ev->kind == ISM_EV_HCALL_ENTRY || ev->kind == ISM_EV_HCALL_EXIT) {
		const char *n = ism_hcall_name(ev->opcode);

		fprintf(out, ",\"hcall\":\"%s\"", n ? n : "unknown");
	}
	if (ev->nsg) {
		fputs(",\"sg\":[", out);
		for (uint32_t i = 0; i < ev->nsg; i++)
			fprintf(out, "%s[\"0x%" PRIx64 "\",\"0x%" PRIx64 "\",%u,%u]", i ? "," : "",
				ev->sg[i].phys, ev->sg[i].dma, ev->sg[i].len, ev->sg[i].flags);
		putc(']', out);
	}
	if (ev->text) {
		fputs(",\"text\":", out);
		dump_json_string(out, ev->text, ev->text_len);
	}
	fputs("}\n", out);
}
