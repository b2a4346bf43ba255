/*
 * table.c: tables as text, Markdown and HTML.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

void table_init(struct table *t, const char *title)
{
	memset(t, 0, sizeof(*t));
	t->title = xstrdup(title ? title : "");
}

unsigned table_col(struct table *t, const char *head, const char *lhead, int left)
{
	unsigned c = t->ncols;

	if (c >= TABLE_MAXCOLS || t->nrows)
		return c ? c - 1 : 0;   /* programming error: columns come first */
	t->head[c] = xstrdup(head);
	t->lhead[c] = lhead ? xstrdup(lhead) : NULL;
	t->left[c] = left || c == 0;
	t->ncols++;
	return c;
}

unsigned table_row(struct table *t)
{
	t->cells = xreallocarray(t->cells, (size_t)(t->nrows + 1) * t->ncols, sizeof(*t->cells));
	for (unsigned c = 0; c < t->ncols; c++)
		t->cells[(size_t)t->nrows * t->ncols + c] = NULL;
	return t->nrows++;
}

void table_set(struct table *t, unsigned row, unsigned col, const char *text)
{
	char **p;

	if (row >= t->nrows || col >= t->ncols)
		return;
	p = &t->cells[(size_t)row * t->ncols + col];
	free(*p);
	*p = xstrdup(text ? text : "");
}

void table_setf(struct table *t, unsigned row, unsigned col, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	table_set(t, row, col, s);
	free(s);
}

const char *table_get(const struct table *t, unsigned row, unsigned col)
{
	const char *s = row < t->nrows && col < t->ncols ? t->cells[(size_t)row * t->ncols + col] :
							    NULL;

	return s ? s : "";
}

void table_note(struct table *t, const char *fmt, ...)
{
	va_list ap;

	t->notes = xreallocarray(t->notes, t->nnotes + 1, sizeof(*t->notes));
	va_start(ap, fmt);
	t->notes[t->nnotes++] = xvasprintf(fmt, ap);
	va_end(ap);
}

static int empty_cell(const char *s)
{
	if (!*s || strcmp(s, "-") == 0)
		return 1;
	for (; *s; s++)
		if (*s != '0' && *s != '.')
			return 0;
	return 1;
}

unsigned table_hide_empty(struct table *t)
{
	char *names = NULL;
	unsigned n = 0;

	for (unsigned c = 1; c < t->ncols; c++) {
		unsigned r;

		for (r = 0; r < t->nrows && empty_cell(table_get(t, r, c)); r++)
			;
		if (r < t->nrows || t->hidden[c])
			continue;
		t->hidden[c] = 1;
		if (names) {
			char *x = xasprintf("%s, %s", names, t->lhead[c] ? t->lhead[c] : t->head[c]);

			free(names);
			names = x;
		} else {
			names = xstrdup(t->lhead[c] ? t->lhead[c] : t->head[c]);
		}
		n++;
	}
	if (n)
		table_note(t, "Not shown, zero for every strategy: %s.", names);
	free(names);
	return n;
}

void table_free(struct table *t)
{
	for (unsigned i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	for (unsigned c = 0; c < t->ncols; c++) {
		free(t->head[c]);
		free(t->lhead[c]);
	}
	for (unsigned i = 0; i < t->nnotes; i++)
		free(t->notes[i]);
	free(t->notes);
	free(t->title);
	memset(t, 0, sizeof(*t));
}

/* Display width of UTF-8 text: code points (every character iommusim prints is one column). */
static unsigned dwidth(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static void pad(FILE *out, unsigned n)
{
	while (n--)
		fputc(' ', out);
}

void text_wrap(FILE *out, const char *first, const char *text, unsigned indent, unsigned width)
{
	unsigned col = first ? dwidth(first) : 0;
	const char *p = text;
	int line_empty = 1;

	if (first)
		fputs(first, out);
	while (*p) {
		size_t wl = strcspn(p, " ");
		unsigned w;
		char word[4096];

		if (wl >= sizeof(word))
			wl = sizeof(word) - 1;
		memcpy(word, p, wl);
		word[wl] = 0;
		p += wl;
		while (*p == ' ')
			p++;
		w = dwidth(word);
		if (!line_empty && col + 1 + w > width) {
			fputc('\n', out);
			pad(out, indent);
			col = indent;
			line_empty = 1;
		}
		/* a word longer than the line: break it after '/' or ',' where it can */
		while (col + (line_empty ? 0 : 1) + w > width && w > width - indent) {
			unsigned room = width - col - (line_empty ? 0 : 1), brk = 0;

			for (unsigned i = 0; i < wl && i < room; i++)
				if (word[i] == '/' || word[i] == ',')
					brk = i + 1;
			if (!brk)
				break;
			if (!line_empty)
				fputc(' ', out);
			fwrite(word, 1, brk, out);
			memmove(word, word + brk, wl - brk + 1);
			wl -= brk;
			w = dwidth(word);
			fputc('\n', out);
			pad(out, indent);
			col = indent;
			line_empty = 1;
		}
		if (!line_empty) {
			fputc(' ', out);
			col++;
		}
		fputs(word, out);
		col += w;
		line_empty = 0;
	}
	fputc('\n', out);
}

void table_text(FILE *out, const struct table *t, unsigned width)
{
	unsigned w[TABLE_MAXCOLS] = { 0 }, c = 1, gap = t->gap ? t->gap : 2;

	for (unsigned k = 0; k < t->ncols; k++) {
		w[k] = dwidth(t->head[k]);
		for (unsigned r = 0; r < t->nrows; r++) {
			unsigned x = dwidth(table_get(t, r, k));

			if (x > w[k])
				w[k] = x;
		}
	}
	if (*t->title)
		text_wrap(out, NULL, t->title, 2, width);
	/* blocks of columns that fit, each after the first column */
	do {
		unsigned end = c, used = w[0], shown = 0;

		while (end < t->ncols && (t->hidden[end] || used + (shown ? gap : 2) + w[end] <=
					  width || !shown)) {
			if (!t->hidden[end]) {
				used += (shown ? gap : 2) + w[end];
				shown++;
			}
			end++;
		}
		if (!shown && c > 1)
			break;
		if (c > 1)
			fputc('\n', out);
		for (int row = -1; row < (int)t->nrows; row++) {
			const char *s = row < 0 ? t->head[0] : table_get(t, (unsigned)row, 0);

			fputs(s, out);
			pad(out, w[0] - dwidth(s));
			for (unsigned k = c, first = 1; k < end; k++) {
				if (t->hidden[k])
					continue;
				s = row < 0 ? t->head[k] : table_get(t, (unsigned)row, k);
				pad(out, first ? 2 : gap);
				first = 0;
				if (t->left[k]) {
					fputs(s, out);
					if (k + 1 < end)
						pad(out, w[k] - dwidth(s));
				} else {
					pad(out, w[k] - dwidth(s));
					fputs(s, out);
				}
			}
			fputc('\n', out);
		}
		c = end;
	} while (c < t->ncols);
	for (unsigned i = 0; i < t->nnotes; i++)
		text_wrap(out, NULL, t->notes[i], 2, width);
}

static void md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
}

void table_md(FILE *out, const struct table *t, int level)
{
	if (level > 0 && *t->title)
		fprintf(out, "\n%.*s %s\n\n", level, "######", t->title);
	for (unsigned c = 0; c < t->ncols; c++) {
		if (t->hidden[c])
			continue;
		fputs("| ", out);
		md_cell(out, t->lhead[c] ? t->lhead[c] : t->head[c]);
		fputc(' ', out);
	}
	fputs("|\n", out);
	for (unsigned c = 0; c < t->ncols; c++)
		if (!t->hidden[c])
			fputs(t->left[c] ? "|:---" : "|---:", out);
	fputs("|\n", out);
	for (unsigned r = 0; r < t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++) {
			if (t->hidden[c])
				continue;
			fputs("| ", out);
			md_cell(out, table_get(t, r, c));
			fputc(' ', out);
		}
		fputs("|\n", out);
	}
	for (unsigned i = 0; i < t->nnotes; i++) {
		fputc('\n', out);
		md_cell(out, t->notes[i]);
		fputc('\n', out);
	}
}

void html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void table_html(FILE *out, const struct table *t, int level)
{
	if (level > 0 && *t->title) {
		fprintf(out, "<h%d>", level);
		html_escape(out, t->title);
		fprintf(out, "</h%d>\n", level);
	}
	fputs("<table>\n<tr>", out);
	for (unsigned c = 0; c < t->ncols; c++) {
		if (t->hidden[c])
			continue;
		fputs(t->left[c] ? "<th class=\"l\">" : "<th>", out);
		html_escape(out, t->lhead[c] ? t->lhead[c] : t->head[c]);
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
	for (unsigned r = 0; r < t->nrows; r++) {
		fputs("<tr>", out);
		for (unsigned c = 0; c < t->ncols; c++) {
			if (t->hidden[c])
				continue;
			fputs(c == 0 ? "<td class=\"s\">" : t->left[c] ? "<td class=\"l\">" : "<td>",
			      out);
			html_escape(out, table_get(t, r, c));
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
	for (unsigned i = 0; i < t->nnotes; i++) {
		fputs("<p class=\"note\">", out);
		html_escape(out, t->notes[i]);
		fputs("</p>\n", out);
	}
}
