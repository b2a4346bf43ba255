/*
 * jsonpos.c: a small JSON tokeniser that walks a text and reports where each object member's
 * key and value start, for error messages that point into a scenario file (see jsonpos.h).
 * It accepts what jansson accepts; anything it cannot tokenise ends the walk (the caller then
 * falls back to a message without a position).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "util.h"

#define JSONPOS_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

struct walk;
/* Called for each member before its value is walked: nonzero stops the walk. */
typedef int (*visit_fn)(struct walk *w, size_t key_off, size_t key_end, size_t val_off);

struct walk {
	const char *s;
	size_t len, i;
	unsigned depth;          /* members on the path (stack entries) */
	char **stack;            /* decoded keys of the path; NULL for an array element */
	size_t *index;           /* array index where stack[] is NULL */
	unsigned nest;           /* objects and arrays open */
	visit_fn visit;
	/* jsonpos_find */
	const char *const *keys;
	unsigned nkeys;
	/* jsonpos_key_before */
	size_t end;
	char **last;             /* copy of the path of the last key seen (components) */
	unsigned char *last_arr; /* last[k] is an array index "[N]", not a key */
	unsigned nlast;
	/* result */
	size_t key_off, val_off;
	int found;
};

static void skip_ws(struct walk *w)
{
	while (w->i < w->len) {
		char c = w->s[w->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		w->i++;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_u4(struct walk *w, unsigned *u)
{
	*u = 0;
	if (w->len - w->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = hexval(w->s[w->i + k]);

		if (h < 0)
			return -1;
		*u = *u << 4 | (unsigned)h;
	}
	w->i += 4;
	return 0;
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xC0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xE0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		out[(*n)++] = (char)(0xF0 | cp >> 18);
		out[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	}
}

/*
 * Read the string at w->i (an opening quote). With @out, return its decoded text in a malloc'd
 * buffer (escapes resolved, at most as long as the raw text). Return -1 on a malformed string.
 */
static int read_string(struct walk *w, char **out)
{
	size_t start, n = 0;
	char *buf = NULL;

	if (w->i >= w->len || w->s[w->i] != '"')
		return -1;
	start = ++w->i;
	if (out) {
		size_t j = start;

		/* the decoded text is never longer than the raw text (\uXXXX: 6 bytes for <= 3) */
		while (j < w->len && w->s[j] != '"')
			j += w->s[j] == '\\' ? 2 : 1;
		buf = xmalloc((j < w->len ? j : w->len) - start + 1);
	}
	while (w->i < w->len) {
		unsigned char c = (unsigned char)w->s[w->i++];
		unsigned cp, lo;

		if (c == '"') {
			if (out) {
				buf[n] = '\0';
				*out = buf;
			}
			return 0;
		}
		if (c < 0x20)
			break;
		if (c != '\\') {
			if (buf)
				buf[n++] = (char)c;
			continue;
		}
		if (w->i >= w->len)
			break;
		c = (unsigned char)w->s[w->i++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (read_u4(w, &cp) < 0)
				goto bad;
			if (cp >= 0xD800 && cp <= 0xDBFF && w->len - w->i >= 6 && w->s[w->i] == '\\' &&
			    w->s[w->i + 1] == 'u') {
				size_t save = w->i;

				w->i += 2;
				if (read_u4(w, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				else
					w->i = save;
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD; /* a lone surrogate (jansson rejects these) */
			break;
		default:
			goto bad;
		}
		if (buf)
			put_utf8(buf, &n, cp);
	}
bad:
	free(buf);
	return -1;
}

static int skip_number(struct walk *w)
{
	size_t start = w->i;

	while (w->i < w->len && strchr("+-0123456789.eE", w->s[w->i]) && w->s[w->i] != '\0')
		w->i++;
	return w->i > start ? 0 : -1;
}

static int skip_literal(struct walk *w)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (size_t k = 0; k < ISM_ARRAY_SIZE(lits); k++) {
		size_t l = strlen(lits[k]);

		if (w->len - w->i >= l && memcmp(w->s + w->i, lits[k], l) == 0) {
			w->i += l;
			return 0;
		}
	}
	return -1;
}

static int walk_value(struct walk *w);

/* Walk an object at w->i ('{'). Return 0 at its end, 1 when stopped, -1 on bad text. */
static int walk_object(struct walk *w)
{
	w->i++;
	skip_ws(w);
	if (w->i < w->len && w->s[w->i] == '}') {
		w->i++;
		return 0;
	}
	for (;;) {
		size_t key_off, key_end, val_off;
		char *key;
		int r;

		skip_ws(w);
		key_off = w->i;
		if (read_string(w, &key) < 0)
			return -1;
		key_end = w->i;
		skip_ws(w);
		if (w->i >= w->len || w->s[w->i] != ':') {
			free(key);
			return -1;
		}
		w->i++;
		skip_ws(w);
		val_off = w->i;
		w->stack[w->depth++] = key;
		r = w->visit(w, key_off, key_end, val_off);
		if (!r)
			r = walk_value(w);
		w->depth--;
		free(key);
		if (r)
			return r;
		skip_ws(w);
		if (w->i < w->len && w->s[w->i] == ',') {
			w->i++;
			continue;
		}
		if (w->i < w->len && w->s[w->i] == '}') {
			w->i++;
			return 0;
		}
		return -1;
	}
}

/* Walk an array at w->i ('['). */
static int walk_array(struct walk *w)
{
	size_t n = 0;

	w->i++;
	skip_ws(w);
	if (w->i < w->len && w->s[w->i] == ']') {
		w->i++;
		return 0;
	}
	for (;;) {
		int r;

		w->stack[w->depth] = NULL;
		w->index[w->depth++] = n++;
		r = walk_value(w);
		w->depth--;
		if (r)
			return r;
		skip_ws(w);
		if (w->i < w->len && w->s[w->i] == ',') {
			w->i++;
			continue;
		}
		if (w->i < w->len && w->s[w->i] == ']') {
			w->i++;
			return 0;
		}
		return -1;
	}
}

static int walk_value(struct walk *w)
{
	int r;

	skip_ws(w);
	if (w->i >= w->len)
		return -1;
	switch (w->s[w->i]) {
	case '{':
	case '[':
		if (w->nest >= JSONPOS_MAX_DEPTH)
			return -1;
		w->nest++;
		r = w->s[w->i] == '{' ? walk_object(w) : walk_array(w);
		w->nest--;
		return r;
	case '"':
		return read_string(w, NULL);
	case 't':
	case 'f':
	case 'n':
		return skip_literal(w);
	default:
		return skip_number(w);
	}
}

/* Walk the whole text with @w->visit. */
static int walk(struct walk *w, const char *text, size_t len)
{
	int r;

	w->s = text;
	w->len = len;
	w->i = 0;
	w->depth = 0;
	w->nest = 0;
	w->found = 0;
	w->stack = xcalloc(JSONPOS_MAX_DEPTH + 1, sizeof(*w->stack));
	w->index = xcalloc(JSONPOS_MAX_DEPTH + 1, sizeof(*w->index));
	r = walk_value(w);
	free(w->stack);
	free(w->index);
	return r;
}

struct jsonpos jsonpos_at(const char *text, size_t len, size_t off)
{
	struct jsonpos p = { .off = off, .line = 1, .col = 1 };

	if (off > len)
		off = len;
	for (size_t k = 0; k < off; k++) {
		unsigned char c = (unsigned char)text[k];

		if (c == '\n') {
			p.line++;
			p.col = 1;
		} else if ((c & 0xC0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

static int visit_find(struct walk *w, size_t key_off, size_t key_end, size_t val_off)
{
	(void)key_end;
	if (w->depth != w->nkeys)
		return 0;
	for (unsigned k = 0; k < w->depth; k++)
		if (!w->stack[k] || strcmp(w->stack[k], w->keys[k]) != 0)
			return 0;
	w->key_off = key_off;
	w->val_off = val_off;
	w->found = 1;
	return 1;
}

int jsonpos_find(const char *text, size_t len, const char *const *keys, unsigned n,
		 struct jsonpos *key, struct jsonpos *val)
{
	struct walk w = { .visit = visit_find, .keys = keys, .nkeys = n };

	if (n == 0 || n > JSONPOS_MAX_DEPTH)
		return -1;
	walk(&w, text, len);
	if (!w.found)
		return -1;
	if (key)
		*key = jsonpos_at(text, len, w.key_off);
	if (val)
		*val = jsonpos_at(text, len, w.val_off);
	return 0;
}

static void free_last(struct walk *w)
{
	for (unsigned k = 0; k < w->nlast; k++)
		free(w->last[k]);
	free(w->last);
	free(w->last_arr);
	w->last = NULL;
	w->last_arr = NULL;
	w->nlast = 0;
}

static int visit_before(struct walk *w, size_t key_off, size_t key_end, size_t val_off)
{
	(void)val_off;
	if (key_end > w->end)
		return 1;
	free_last(w);
	w->last = xcalloc(w->depth, sizeof(*w->last));
	w->last_arr = xcalloc(w->depth, sizeof(*w->last_arr));
	w->nlast = w->depth;
	for (unsigned k = 0; k < w->depth; k++) {
		w->last_arr[k] = !w->stack[k];
		w->last[k] = w->stack[k] ? xstrdup(w->stack[k]) : xasprintf("[%zu]", w->index[k]);
	}
	w->key_off = key_off;
	w->found = 1;
	return key_end == w->end;
}

int jsonpos_key_before(const char *text, size_t len, size_t end, char **path, struct jsonpos *key,
		       struct jsonpos *first)
{
	struct walk w = { .visit = visit_before, .end = end };
	size_t plen = 0;
	char *p;

	walk(&w, text, len);
	if (!w.found) {
		free_last(&w);
		return -1;
	}
	for (unsigned k = 0; k < w.nlast; k++)
		plen += strlen(w.last[k]) + 1;
	p = xmalloc(plen + 1);
	p[0] = '\0';
	for (unsigned k = 0; k < w.nlast; k++) {
		if (k && !w.last_arr[k])
			strcat(p, ".");
		strcat(p, w.last[k]);
	}
	*path = p;
	if (key)
		*key = jsonpos_at(text, len, w.key_off);
	if (first) {
		/* array elements have no key path: the duplicate itself is then the answer */
		int arr = 0;

		for (unsigned k = 0; k < w.nlast; k++)
			arr |= w.last_arr[k];
		if (arr || jsonpos_find(text, len, (const char *const *)w.last, w.nlast, first,
					NULL) < 0)
			*first = jsonpos_at(text, len, w.key_off);
	}
	free_last(&w);
	return 0;
}
