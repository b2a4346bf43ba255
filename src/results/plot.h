/*
 * plot.h: figures, for what draws them (the report folder, sweep -o, plot): the table of
 * figure kinds, drawing a template with gnuplot, and the render.sh that redraws a folder.
 * gnuplot is a runtime dependency: where it is missing, the data and the scripts are still
 * written and the user is told how to render them.
 */
#ifndef ISM_PLOT_H
#define ISM_PLOT_H

#include <stdio.h>

#include "report.h"

struct verdict;
struct fig_args;

struct plot_kind {
	const char *name;     /* the template: plots/NAME.gp */
	const char *summary;
	const char *input;    /* what `iommusim plot NAME` reads */
	/* The figure's data for one replay (compare -o) and the template's arguments; NULL for
	 * sweep and history. Returns the number of panels or series (0: nothing to draw). */
	unsigned (*report_csv)(FILE *out, const struct report_ctx *c, const struct verdict *v,
			       struct fig_args *fa);
	const char *empty;    /* what the report says when there is nothing to draw */
};
/* Ended by a NULL name. */
extern const struct plot_kind plot_kinds[];
/* The kind called @name, or NULL. */
const struct plot_kind *plot_kind_find(const char *name);

/* The figures of one folder. */
struct plot_out {
	char *dir;            /* the folder, "" = current */
	int flat;             /* 1: the script goes next to the figure as BASE.gp, not plots/ */
	int missing;          /* gnuplot was not found */
	unsigned drawn;       /* figure files written */
	unsigned failed;
	char *render;         /* render.sh text */
	char *last;           /* the last gnuplot command line */
	char *cause;          /* the first failure, naming its path (NULL: none) */
};
void plot_out_init(struct plot_out *po, const char *dir, int flat);
/*
 * Write the template of @kind into the folder and draw DIR/CSV into DIR/FIGURE (the format
 * from its extension, .png or .svg) with `gnuplot -c SCRIPT CSV FIGURE TITLE ARGS...` run in
 * DIR. Returns 0 drawn, 1 gnuplot missing (nothing drawn), -1 failure (po->cause).
 */
int plot_draw(struct plot_out *po, const char *kind, const char *csv, const char *figure,
	      const char *title, char *const *args, unsigned nargs);
/*
 * Write DIR/render.sh (with @write_render) and, when gnuplot was missing, warn how to render
 * (ism_lib_warn()). Returns -1 when a figure failed or render.sh could not be written (the
 * first failure in po->cause).
 */
int plot_out_finish(struct plot_out *po, int write_render);
void plot_out_free(struct plot_out *po);

/* mkdir -p. 0, or -1 with errno. */
int plot_mkdirs(const char *dir);
/* DIR/NAME, malloc'd ("" dir: NAME). */
char *plot_path(const char *dir, const char *name);
/* Write @text to @path. 0, or -1 with *@cause (kept if already set). */
int plot_write_file(const char *path, const char *text, char **cause);

#endif
