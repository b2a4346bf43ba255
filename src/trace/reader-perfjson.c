/*
 * reader-perfjson.c: the JSON of `perf data convert --to-json` ("linux-perf-json-version": 1).
 *
 * perf writes {"linux-perf-json-version": 1, "headers": {...}, "samples": [{...}, ...]}, a
 * sample per tracepoint hit with timestamp (ns), pid, tid, cpu, comm, callchain and, from perf
 * 6.3 on (linux-perf 6.12 in bookworm-backports; Debian 12's perf 6.1 writes no tracepoint
 * field, and such a file has no event this reader can tell), each field of the tracepoint as
 * libtraceevent prints it: strings, addresses in hex, sizes in decimal, arrays as raw bytes. The
 * tracepoint's name is not written, so the event is known by its set of fields (the fields of
 * dma, swiotlb, iommu and powerpc hcall tracepoints, Linux 6.12 to 6.18). dma_sync_single_for_cpu
 * and _for_device (and the sg pair) have the same fields: they are counted as unknown events,
 * never guessed. Samples are read one at a time (memory does not grow with the file); the
 * payload is rebuilt in the printk form the ftrace reader parses, so both read the same events.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "reader.h"
#include "reader-ftrace.h"

#define PJ_MAX_SAMPLE (64u << 20)   /* bytes of one sample's JSON: far above any tracepoint */
#define PJ_MAX_HEADER (4u << 20)

struct pj {
	char *buf;          /* the current sample's text */
	size_t len, cap;
	const char *line;   /* what is left of the current input line */
	long left;
	int done;           /* "]" of samples seen */
	uint64_t samples;
	char *payload;      /* the rebuilt payload */
	size_t pcap;
};

static int perfjson_probe(const unsigned char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && isspace(buf[i]))
		i++;
	if (i >= len || buf[i] != '{')
		return 0;
	for (size_t k = i; k + 25 <= len && k < 512; k++)
		if (memcmp(buf + k, "\"linux-perf-json-version\"", 25) == 0)
			return 90;
	return 0;
}

static struct pj *pj(struct reader *r)
{
	return *ftrace_priv_ext(r->priv);
}

static void buf_add(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 4096;
		*b = xrealloc(*b, *cap);
	}
	memcpy(*b + *len, s, n);
	*len += n;
	(*b)[*len] = 0;
}

static int perfjson_open(struct reader *r)
{
	char *head = NULL, *text;
	size_t hl = 0, hc = 0;
	const char *line, *at;
	json_t *j, *h, *v;
	json_error_t e;
	struct pj *p;
	long n;
	int be;

	/* the headers: everything before "samples" */
	for (;;) {
		n = in_getline(r->in, &line);
		if (n < 0) {
			free(head);
			if (in_error(r->in))
				return reader_fail(r, in_error(r->in), "%s", in_error_msg(r->in));
			return reader_fail(r, -ISM_ECORRUPT, "no \"samples\" array (not the JSON of "
					   "perf data convert --to-json?)");
		}
		at = strstr(line, "\"samples\"");
		if (at)
			break;
		buf_add(&head, &hl, &hc, line, (size_t)n);
		buf_add(&head, &hl, &hc, "\n", 1);
		if (hl > PJ_MAX_HEADER) {
			free(head);
			return reader_fail(r, -ISM_ECORRUPT, "line %llu: headers of more than %u MiB "
					   "before \"samples\"", (unsigned long long)in_lineno(r->in),
					   PJ_MAX_HEADER >> 20);
		}
	}
	buf_add(&head, &hl, &hc, "\"samples\": []}", 14);
	j = json_loads(head, 0, &e);
	free(head);
	if (!j)
		return reader_fail(r, -ISM_ECORRUPT, "line %d: headers: %s", e.line, e.text);
	v = json_object_get(j, "linux-perf-json-version");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		/* v belongs to j: say what it is before j is released */
		const char *what = json_is_integer(v) ? "not 1" : v ? "not an integer" : "missing";

		json_decref(j);
		return reader_fail(r, -ISM_EVERSION, "linux-perf-json-version %s (this iommusim reads "
				   "version 1)", what);
	}
	h = json_object_get(j, "headers");
	v = json_object_get(h, "arch");
	/* the byte order of raw arrays */
	be = json_is_string(v) && (strcmp(json_string_value(v), "ppc64") == 0 ||
				   strcmp(json_string_value(v), "s390x") == 0 ||
				   strcmp(json_string_value(v), "s390") == 0 ||
				   strcmp(json_string_value(v), "sparc64") == 0);
	r->priv = ftrace_priv_new(be);
	p = xcalloc(1, sizeof(*p));
	*ftrace_priv_ext(r->priv) = p;
	static const char *const keys[][2] = {
		{ "os-release", "kernel" }, { "arch", "arch" }, { "perf-version", "perf_version" },
		{ "hostname", "hostname" },
	};
	for (size_t k = 0; k < ISM_ARRAY_SIZE(keys); k++) {
		v = json_object_get(h, keys[k][0]);
		if (json_is_string(v))
			reader_set_prov(r, keys[k][1], json_string_value(v));
	}
	v = json_object_get(h, "nrcpus-online");
	if (json_is_integer(v)) {
		char b[24];

		snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
		reader_set_prov(r, "cpus", b);
	}
	reader_set_prov(r, "clock", "perf_clock (the recording's)");
	reader_set_prov(r, "timestamp_precision", "1 ns");
	json_decref(j);
	/* the rest of the "samples" line */
	text = strchr(at, '[');
	if (!text)
		return reader_fail(r, -ISM_ECORRUPT, "line %llu: \"samples\" is not an array",
				   (unsigned long long)in_lineno(r->in));
	p->line = text + 1;
	p->left = (long)strlen(p->line);
	return 0;
}

/*
 * The next sample's text into p->buf: 1, 0 at the end of the array, <0 on error. Strings and
 * escapes are followed so that braces inside them do not count.
 */
static int next_sample(struct reader *r, struct pj *p)
{
	int depth = 0, in_str = 0, esc = 0;

	p->len = 0;
	for (;;) {
		while (p->left > 0) {
			char c = *p->line;
			size_t k = 0;

			if (depth == 0) {
				p->line++;
				p->left--;
				if (c == ']') {
					p->done = 1;
					return 0;
				}
				if (c == '{') {
					depth = 1;
					buf_add(&p->buf, &p->len, &p->cap, "{", 1);
				} else if (!isspace((unsigned char)c) && c != ',') {
					return reader_fail(r, -ISM_ECORRUPT, "line %llu: '%c' between "
							   "samples", (unsigned long long)in_lineno(r->in),
							   c);
				}
				continue;
			}
			/* inside a sample: copy through the end of this object or the line */
			while (k < (size_t)p->left && depth > 0) {
				c = p->line[k++];
				if (in_str) {
					if (esc)
						esc = 0;
					else if (c == '\\')
						esc = 1;
					else if (c == '"')
						in_str = 0;
				} else if (c == '"') {
					in_str = 1;
				} else if (c == '{' || c == '[') {
					depth++;
				} else if (c == '}' || c == ']') {
					depth--;
				}
			}
			buf_add(&p->buf, &p->len, &p->cap, p->line, k);
			p->line += k;
			p->left -= (long)k;
			if (depth == 0)
				return 1;
			if (p->len > PJ_MAX_SAMPLE)
				return reader_fail(r, -ISM_ECORRUPT, "line %llu: a sample of more than "
						   "%u MiB", (unsigned long long)in_lineno(r->in),
						   PJ_MAX_SAMPLE >> 20);
		}
		p->left = in_getline(r->in, &p->line);
		if (p->left < 0) {
			if (in_error(r->in))
				return reader_fail(r, in_error(r->in), "line %llu: %s",
						   (unsigned long long)in_lineno(r->in) + 1,
						   in_error_msg(r->in));
			return reader_truncated(r, "the file ends inside the samples array (%llu "
						"samples read)", (unsigned long long)p->samples) < 0 ?
				       r->errcode : 0;
		}
		if (depth)
			buf_add(&p->buf, &p->len, &p->cap, "\n", 1);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *sfield(json_t *s, const char *key)
{
	json_t *v = json_object_get(s, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int has(json_t *s, const char *key)
{
	return json_object_get(s, key) != NULL;
}

static const char *dir_name(const char *d)
{
	static const char *const names[] = { "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE", "NONE" };

	return d && d[0] >= '0' && d[0] <= '3' && !d[1] ? names[d[0] - '0'] : "BAD";
}

/* Append printf-formatted text to the payload. */
static void put(struct pj *p, size_t *len, const char *fmt, ...) ISM_PRINTF(3, 4);
static void put(struct pj *p, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	t = xvasprintf(fmt, ap);
	va_end(ap);
	buf_add(&p->payload, len, &p->pcap, t, strlen(t));
	free(t);
}

/* A sample's string field, "" when absent (never NULL into a format). */
#define S(s, key) (sfield((s), (key)) ? sfield((s), (key)) : "")

/*
 * Which tracepoint a sample is, from its fields, and its payload in printk form. Returns the
 * tracepoint's name, or NULL with *@what naming the field set (for the unknown-event count).
 */
static const char *classify(struct pj *p, json_t *s, char *what, size_t wlen)
{
	size_t len = 0;
	const char *dev = sfield(s, "device"), *name = NULL;

	if (has(s, "opcode")) {
		name = has(s, "retval") ? "hcall_exit" : "hcall_entry";
		put(p, &len, "opcode=%s%s", S(s, "opcode"), "");
		if (has(s, "retval"))
			put(p, &len, " retval=%s%s", S(s, "retval"), "");
	} else if (has(s, "dev_name") && has(s, "dev_addr")) {
		name = "swiotlb_bounced";
		put(p, &len, "dev_name: %s dma_mask=%s", S(s, "dev_name"), S(s, "dma_mask"));
		put(p, &len, " dev_addr=%s size=%s", S(s, "dev_addr"), S(s, "size"));
		put(p, &len, " %s%s", sfield(s, "force") && strcmp(S(s, "force"), "0") ?
		    "FORCE" : "NORMAL", "");
	} else if (has(s, "iova")) {
		name = has(s, "paddr") ? "map" : "unmap";
		put(p, &len, "IOMMU: iova=%s - %s", S(s, "iova"), S(s, "iova"));
		if (has(s, "paddr"))
			put(p, &len, " paddr=%s size=%s", S(s, "paddr"), S(s, "size"));
		else
			put(p, &len, " size=%s unmapped_size=%s", S(s, "size"),
			    S(s, "unmapped_size"));
	} else if (dev && has(s, "phys_addrs") && has(s, "dma_addrs")) {
		/* dma_map_sg: raw fields, rebuilt by the ftrace parser */
		static const char *const f[] = { "full_nents", "full_ents", "truncated", "nents",
						 "ents", "phys_addrs", "dma_addrs", "lengths", "dir",
						 "attrs" };

		name = "dma_map_sg";
		put(p, &len, "device=%s%s", dev, "");
		for (size_t k = 0; k < ISM_ARRAY_SIZE(f); k++)
			if (sfield(s, f[k]))
				put(p, &len, " %s=%s", f[k], S(s, f[k]));
	} else if (dev && has(s, "addrs") && !has(s, "dma_addrs")) {
		name = "dma_unmap_sg";
		put(p, &len, "device=%s addrs=%s", dev, S(s, "addrs"));
		put(p, &len, " dir=%s attrs=%s", S(s, "dir"), S(s, "attrs"));
	} else if (dev && has(s, "phys_addr") && has(s, "dma_addr")) {
		name = "dma_map_page";
		put(p, &len, "%s dir=%s", dev, dir_name(S(s, "dir")));
		put(p, &len, " dma_addr=%s size=%s", S(s, "dma_addr"), S(s, "size"));
		put(p, &len, " phys_addr=%s attrs=%s", S(s, "phys_addr"), S(s, "attrs"));
	} else if (dev && has(s, "addr") && has(s, "size")) {
		name = "dma_unmap_page";
		put(p, &len, "%s dir=%s", dev, dir_name(S(s, "dir")));
		put(p, &len, " dma_addr=%s size=%s", S(s, "addr"), S(s, "size"));
		put(p, &len, " attrs=%s%s", S(s, "attrs"), "");
	} else if (dev && has(s, "virt_addr") && has(s, "dma_addr")) {
		/* dma_alloc has the gfp flags, dma_free not */
		name = has(s, "flags") ? "dma_alloc" : "dma_free";
		put(p, &len, "%s dir=%s", dev, dir_name(S(s, "dir")));
		put(p, &len, " dma_addr=%s size=%s", S(s, "dma_addr"), S(s, "size"));
		put(p, &len, " virt_addr=%s attrs=%s", S(s, "virt_addr"), S(s, "attrs"));
	} else if (has(s, "buf")) {
		name = "print";
		put(p, &len, "%s%s", S(s, "buf"), "");
	}
	if (name)
		return name;
	if (dev && has(s, "dma_addr") && has(s, "size") && has(s, "dir") && !has(s, "attrs")) {
		snprintf(what, wlen, "dma_sync_single_for_cpu or _for_device (perf's JSON does not "
			 "name the event)");
		return NULL;
	}
	if (dev && has(s, "dma_addrs") && !has(s, "phys_addrs")) {
		snprintf(what, wlen, "dma_sync_sg_for_cpu or _for_device, or dma_map_sg_err (perf's "
			 "JSON does not name the event)");
		return NULL;
	}
	{
		/* name the unknown event by its fields, sorted (jansson's order is a hash's) */
		size_t n = (size_t)snprintf(what, wlen, "sample with fields"), nk = 0;
		const char *ks[64];
		void *it = json_object_iter(s);

		for (; it && nk < ISM_ARRAY_SIZE(ks); it = json_object_iter_next(s, it)) {
			const char *k = json_object_iter_key(it);

			if (strcmp(k, "timestamp") && strcmp(k, "pid") && strcmp(k, "tid") &&
			    strcmp(k, "cpu") && strcmp(k, "comm") && strcmp(k, "callchain"))
				ks[nk++] = k;
		}
		qsort(ks, nk, sizeof(*ks), cmp_str);
		for (size_t k = 0; k < nk && n < wlen; k++)
			n += (size_t)snprintf(what + n, wlen - n, " %s", ks[k]);
		if (!strcmp(what, "sample with fields"))
			snprintf(what, wlen, "sample without tracepoint fields (perf before 6.3 "
				 "writes none: convert with a newer perf)");
	}
	return NULL;
}

static int perfjson_next(struct reader *r, struct ism_event *ev)
{
	struct pj *p = pj(r);

	while (!p->done) {
		json_t *s, *v;
		json_error_t e;
		const char *name;
		char what[256];
		int ret = next_sample(r, p);

		if (ret <= 0)
			return ret;
		p->samples++;
		s = json_loadb(p->buf, p->len, 0, &e);
		if (!s || !json_is_object(s)) {
			json_decref(s);
			return reader_fail(r, -ISM_ECORRUPT, "sample %llu (line %llu): %s",
					   (unsigned long long)p->samples,
					   (unsigned long long)in_lineno(r->in), s ? "not an object" :
					   e.text);
		}
		name = classify(p, s, what, sizeof(what));
		if (!name) {
			reader_count_unknown(r, what, strlen(what));
			json_decref(s);
			continue;
		}
		memset(ev, 0, sizeof(*ev));
		v = json_object_get(s, "timestamp");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			json_decref(s);
			return reader_fail(r, -ISM_ECORRUPT, "sample %llu: no timestamp",
					   (unsigned long long)p->samples);
		}
		ev->ts_ns = (uint64_t)json_integer_value(v);
		v = json_object_get(s, "cpu");
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 65535) {
			json_decref(s);
			return reader_fail(r, -ISM_ERANGE, "sample %llu: cpu missing or out of range",
					   (unsigned long long)p->samples);
		}
		ev->cpu = (uint16_t)json_integer_value(v);
		v = json_object_get(s, "tid");
		if (json_is_integer(v) && json_integer_value(v) > 0 &&
		    json_integer_value(v) <= UINT32_MAX)
			ev->pid = (uint32_t)json_integer_value(v);
		ret = ftrace_payload(r, name, p->payload ? p->payload : "", ev);
		json_decref(s);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			reader_count_unknown(r, name, strlen(name));
			continue;
		}
		return 1;
	}
	return 0;
}

static void perfjson_close(struct reader *r)
{
	struct pj *p;

	if (!r->priv)
		return;
	p = pj(r);
	if (p) {
		free(p->buf);
		free(p->payload);
		free(p);
	}
	ftrace_priv_free(r->priv);
	r->priv = NULL;
}

static uint64_t perfjson_position(struct reader *r)
{
	struct pj *p = r->priv ? pj(r) : NULL;

	return p ? p->samples : 0;
}

const struct reader_ops reader_perfjson_ops = {
	.name = "perfjson",
	.summary = "the JSON of `perf data convert --to-json` (perf 6.3+: tracepoint fields)",
	.probe = perfjson_probe,
	.open = perfjson_open,
	.next = perfjson_next,
	.close = perfjson_close,
	.pos_unit = "sample",
	.position = perfjson_position,
};
