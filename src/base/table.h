/*
 * table.h: a table built once and rendered three ways: text for a terminal or a mail (never
 * wider than asked: a table too wide is split into blocks of columns, each repeating the
 * first, so no name is cut and no column dropped), Markdown and HTML (every column).
 */
#ifndef ISM_TABLE_H
#define ISM_TABLE_H

#include <stdio.h>

#include "util.h"

#define TABLE_MAXCOLS 24

struct table {
	char *title;               /* text: "title", Markdown/HTML: a heading */
	unsigned ncols, nrows;
	unsigned gap;              /* text: spaces between columns after the first (0: 2) */
	char *head[TABLE_MAXCOLS];  /* text header (short) */
	char *lhead[TABLE_MAXCOLS]; /* Markdown/HTML header (long); NULL = head */
	int left[TABLE_MAXCOLS];    /* left-aligned (the first column always is) */
	int hidden[TABLE_MAXCOLS];
	char **cells;              /* nrows * ncols */
	char **notes;              /* lines after the table */
	unsigned nnotes;
};

void table_init(struct table *t, const char *title);
/* Add a column: @head for text, @lhead (or NULL) for Markdown and HTML. Returns its index. */
unsigned table_col(struct table *t, const char *head, const char *lhead, int left);
/* Start a row; then set its cells with table_set() / table_setf(). Returns its index. */
unsigned table_row(struct table *t);
void table_set(struct table *t, unsigned row, unsigned col, const char *text);
void table_setf(struct table *t, unsigned row, unsigned col, const char *fmt, ...)
	ISM_PRINTF(4, 5);
const char *table_get(const struct table *t, unsigned row, unsigned col);
void table_note(struct table *t, const char *fmt, ...) ISM_PRINTF(2, 3);
/*
 * Hide every column (but the first) whose cells are all "0", "0.0", "0.00", "-" or empty,
 * and say which in a note ("not shown, zero for every strategy: ..."). Returns how many.
 */
unsigned table_hide_empty(struct table *t);
void table_free(struct table *t);

/* Text, at most @width columns wide (a cell wider than @width is printed whole). */
void table_text(FILE *out, const struct table *t, unsigned width);
/* Markdown (@level: heading level, 0 = no heading) and HTML. */
void table_md(FILE *out, const struct table *t, int level);
void table_html(FILE *out, const struct table *t, int level);
void html_escape(FILE *out, const char *s);

/*
 * Print @text wrapped to @width: words break at spaces, long words after a '/' or ',';
 * continuation lines are indented by @indent spaces. @first is printed before the first line
 * (and counts towards its width).
 */
void text_wrap(FILE *out, const char *first, const char *text, unsigned indent, unsigned width);

#endif
