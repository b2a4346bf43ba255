/*
 * reader.c: the reader table, format detection and the helpers readers share.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "reader.h"

/* The readers: each one a file (reader-NAME.c) that defines its ops, and a line here. */
extern const struct reader_ops reader_native_ops;
extern const struct reader_ops reader_ftrace_ops;
extern const struct reader_ops reader_perf_ops;
extern const struct reader_ops reader_perfjson_ops;
extern const struct reader_ops reader_bpftrace_ops;
extern const struct reader_ops reader_tracedat_ops;

const struct reader_ops *const reader_table[] = {
	&reader_native_ops,
#ifdef HAVE_TRACECMD
	&reader_tracedat_ops,
#endif
	&reader_ftrace_ops,
	&reader_perf_ops,
	&reader_perfjson_ops,
	&reader_bpftrace_ops,
	NULL,
};

/* Formats this program knows of, built in or not, for a clear message. */
static const char *const known_formats[] = { "native", "tracedat", "ftrace", "perf", "perfjson",
					      "bpftrace", NULL };

const struct reader_ops *reader_find(const char *name)
{
	for (unsigned i = 0; reader_table[i]; i++)
		if (strcmp(reader_table[i]->name, name) == 0)
			return reader_table[i];
	return NULL;
}

static int allow_truncated_default;

void reader_allow_truncated(int allow)
{
	allow_truncated_default = allow;
}

int reader_truncated(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r->err)
		return r->errcode;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (r->allow_truncated) {
		if (!r->truncated)
			ism_lib_warn("%s: truncated: %s; read up to there (--allow-truncated)",
				     r->path, msg);
		r->truncated = 1;
		free(msg);
		return 0;
	}
	reader_fail(r, -ISM_ETRUNCATED, "truncated: %s (--allow-truncated reads what is there)",
		    msg);
	free(msg);
	return r->errcode;
}

int reader_fail(struct reader *r, int err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r->err)
		return r->errcode;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	r->err = xasprintf("%s: %s", r->path, msg);
	free(msg);
	r->errcode = err;
	return err;
}

const char *reader_error(const struct reader *r)
{
	return r->err ? r->err : "no error";
}

void reader_set_prov(struct reader *r, const char *key, const char *value)
{
	for (unsigned i = 0; i < r->nprov; i++) {
		if (strcmp(r->prov[i].key, key) == 0) {
			free(r->prov[i].value);
			r->prov[i].value = xstrdup(value);
			return;
		}
	}
	r->prov = xreallocarray(r->prov, r->nprov + 1, sizeof(*r->prov));
	r->prov[r->nprov].key = xstrdup(key);
	r->prov[r->nprov].value = xstrdup(value);
	r->nprov++;
}

const char *reader_get_prov(const struct reader *r, const char *key)
{
	for (unsigned i = 0; i < r->nprov; i++)
		if (strcmp(r->prov[i].key, key) == 0)
			return r->prov[i].value;
	return NULL;
}

void reader_count_unknown(struct reader *r, const char *name, size_t len)
{
	int id = devtab_intern(&r->unknown, name, len);

	if (id < 0)
		id = devtab_intern(&r->unknown, "(other)", 7);
	if (id < 0)
		return;
	if ((unsigned)id >= r->unknown_cap) {
		unsigned ncap = r->unknown_cap ? r->unknown_cap * 2 : 16;

		while (ncap <= (unsigned)id)
			ncap *= 2;
		r->unknown_count = xreallocarray(r->unknown_count, ncap, sizeof(uint64_t));
		memset(r->unknown_count + r->unknown_cap, 0,
		       (ncap - r->unknown_cap) * sizeof(uint64_t));
		r->unknown_cap = ncap;
	}
	r->unknown_count[id]++;
}

struct ism_sge *reader_sg_reserve(struct reader *r, size_t n)
{
	if (n > r->sg_cap) {
		size_t ncap = r->sg_cap ? r->sg_cap : 64;

		while (ncap < n)
			ncap *= 2;
		r->sg = xreallocarray(r->sg, ncap, sizeof(*r->sg));
		r->sg_cap = ncap;
	}
	return r->sg;
}

char *reader_text_reserve(struct reader *r, size_t n)
{
	if (n + 1 > r->text_cap) {
		size_t ncap = r->text_cap ? r->text_cap : 256;

		while (ncap < n + 1)
			ncap *= 2;
		r->text = xrealloc(r->text, ncap);
		r->text_cap = ncap;
	}
	return r->text;
}

int reader_dev(struct reader *r, const char *name, size_t len)
{
	int id = devtab_intern(&r->devs, name, len);

	if (id < 0)
		reader_fail(r, -ISM_ETOOMANY, "more than 65535 distinct device names");
	return id;
}

const char *reader_dev_name(const struct reader *r, unsigned id)
{
	return devtab_name(&r->devs, id);
}

static void reader_free(struct reader *r)
{
	if (r->ops && r->ops->close)
		r->ops->close(r);
	in_close(r->in);
	devtab_free(&r->devs);
	devtab_free(&r->unknown);
	free(r->unknown_count);
	for (unsigned i = 0; i < r->nprov; i++) {
		free(r->prov[i].key);
		free(r->prov[i].value);
	}
	free(r->prov);
	free(r->sg);
	free(r->text);
	free(r->err);
	free(r);
}

int reader_open(const char *path, const char *format, struct reader **out, char **cause)
{
	struct reader *r;
	const struct reader_ops *ops = NULL;
	const unsigned char *head;
	size_t n;
	int ret;

	*cause = NULL;
	if (format) {
		ops = reader_find(format);
		if (!ops) {
			for (unsigned i = 0; known_formats[i]; i++)
				if (strcmp(known_formats[i], format) == 0) {
					*cause = xasprintf("format '%s' is not built into this iommusim "
							   "(see `iommusim list readers`)", format);
					return -ISM_EUNSUPPORTED;
				}
			*cause = xasprintf(
				"unknown format '%s' (known: native, tracedat, ftrace, perf, perfjson, "
				"bpftrace)",
				format);
			return -ISM_EUSAGE;
		}
	}
	r = xcalloc(1, sizeof(*r));
	r->allow_truncated = allow_truncated_default;
	devtab_init(&r->devs);
	devtab_init(&r->unknown);
	ret = in_open(path, &r->in, cause);
	if (ret < 0) {
		free(r);
		return ret;
	}
	r->path = in_path(r->in);
	head = in_view(r->in, 4096, &n);
	if (in_error(r->in)) {
		*cause = xasprintf("%s: %s", path, in_error_msg(r->in));
		ret = in_error(r->in);
		reader_free(r);
		return ret;
	}
	if (!head) {
		*cause = xasprintf("%s: empty file%s", path,
				   in_compression(r->in) != ISM_COMP_NONE ? " (after decompression)" : "");
		reader_free(r);
		return -ISM_EFORMAT;
	}
	if (!ops) {
		int best = 0;

		for (unsigned i = 0; reader_table[i]; i++) {
			int s = reader_table[i]->probe(head, n);

			if (s > best) {
				best = s;
				ops = reader_table[i];
			}
		}
		if (!ops) {
#ifndef HAVE_TRACECMD
			if (n >= 10 && memcmp(head, "\x17\x08\x44tracing", 10) == 0) {
				*cause = xasprintf("%s: a trace-cmd trace.dat, but this iommusim was "
						   "built without libtracecmd", path);
				reader_free(r);
				return -ISM_EUNSUPPORTED;
			}
#endif
			*cause = xasprintf("%s: not a trace iommusim can read (not trace.dat, "
					   "ftrace text, perf script text or JSON, a bpftrace capture "
					   "or the native format); use -f to force one",
					   path);
			reader_free(r);
			return -ISM_EFORMAT;
		}
	}
	r->ops = ops;
	reader_set_prov(r, "source", path);
	reader_set_prov(r, "source_format", ops->name);
	reader_set_prov(r, "source_compression", in_compression_name(in_compression(r->in)));
	ret = ops->open(r);
	if (ret < 0) {
		*cause = xstrdup(r->err ? r->err : ism_strerror(ret));
		reader_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

/*
 * The limits every event keeps, whatever its reader (ISM_MAX_*): 0, or the error after
 * naming the field and the position.
 */
static int check_event(struct reader *r, const struct ism_event *ev)
{
	const char *field = NULL;
	uint64_t v = 0, max = 0;

	/* the common case, in one test: every limit below holds (hypercalls: see the opcode) */
	if (ev->ts_ns <= ISM_MAX_TS && ev->size <= ISM_MAX_SIZE && ev->nents <= ISM_MAX_SG_ENTS &&
	    ev->ents <= ISM_MAX_SG_ENTS && ev->nsg <= ISM_MAX_SG_ENTS &&
	    ev->kind != ISM_EV_HCALL_ENTRY && ev->kind != ISM_EV_HCALL_EXIT)
		return 0;
	if (ev->ts_ns > ISM_MAX_TS)
		field = "timestamp", v = ev->ts_ns, max = ISM_MAX_TS;
	else if (ism_kind_has_sg(ev->kind) && ev->nents > ISM_MAX_SG_ENTS)
		field = "nents", v = ev->nents, max = ISM_MAX_SG_ENTS;
	else if (ism_kind_has_sg(ev->kind) && ev->ents > ISM_MAX_SG_ENTS)
		field = "ents", v = ev->ents, max = ISM_MAX_SG_ENTS;
	else if (ev->nsg > ISM_MAX_SG_ENTS)
		field = "sg entries", v = ev->nsg, max = ISM_MAX_SG_ENTS;
	else if ((ev->kind == ISM_EV_HCALL_ENTRY || ev->kind == ISM_EV_HCALL_EXIT) &&
		 ev->opcode > ISM_MAX_OPCODE)
		field = "opcode", v = ev->opcode, max = ISM_MAX_OPCODE;
	else if (ev->kind != ISM_EV_HCALL_ENTRY && ev->kind != ISM_EV_MARKER &&
		 ev->kind != ISM_EV_LOST && ev->size > ISM_MAX_SIZE)
		field = "size", v = ev->size, max = ISM_MAX_SIZE;
	if (!field)
		return 0;
	{
		const char *unit = "event";
		uint64_t pos = r->nevents + 1; /* not returned yet: it is the next one */

		if (r->ops->position) {
			unit = r->ops->pos_unit;
			pos = r->ops->position(r);
		}
		return reader_fail(r, -ISM_ERANGE, "%s %llu: %s: %s %llu out of range (at most %llu)",
				   unit, (unsigned long long)pos,
				   ism_kind_name(ev->kind), field, (unsigned long long)v,
				   (unsigned long long)max);
	}
}

/*
 * The end of a trace that had event lines but none the model knows: not a clean zero but bad
 * input, named by its most common unknown event (the wrong tracepoints recorded, or a format
 * read as another).
 */
static int no_modelled_events(struct reader *r)
{
	uint64_t total = 0, most = 0;
	unsigned best = 0;

	for (unsigned i = 1; i < r->unknown_cap && i <= r->unknown.n; i++) {
		total += r->unknown_count[i];
		if (r->unknown_count[i] > most) {
			most = r->unknown_count[i];
			best = i;
		}
	}
	if (!total)
		return 0;
	return reader_fail(r, -ISM_EFORMAT,
			   "no event iommusim models in %llu event lines (as %s); the most common "
			   "is \"%s\" (%llu); record the dma, swiotlb and powerpc:hcall_* "
			   "tracepoints, or read it with -f FORMAT",
			   (unsigned long long)total, r->ops->name, devtab_name(&r->unknown, best),
			   (unsigned long long)most);
}

int reader_next(struct reader *r, struct ism_event *ev)
{
	int ret;

	if (r->err)
		return r->errcode;
	ret = r->ops->next(r, ev);
	if (ret == 0 && r->nevents == 0 && no_modelled_events(r) < 0)
		return r->errcode;
	if (ret > 0 && check_event(r, ev) < 0)
		return r->errcode;
	if (ret > 0)
		r->nevents++;
	else if (ret < 0 && !r->err)
		reader_fail(r, ret, "%s", ism_strerror(ret));
	return ret;
}

uint64_t reader_position(struct reader *r, const char **unit)
{
	if (r->ops->position) {
		*unit = r->ops->pos_unit;
		return r->ops->position(r);
	}
	*unit = "event";
	return r->nevents;
}

void reader_close(struct reader *r)
{
	if (r)
		reader_free(r);
}
