/*
 * cmd-plot.h: what cmd-plot.c offers the other commands that draw or read results (compare -o,
 * sweep, regress): metric lists and result files from the command line, and the end of a
 * folder's figures with its failure said on stderr.
 */
#ifndef ISM_CMD_PLOT_H
#define ISM_CMD_PLOT_H

#include <jansson.h>

#include "metrics.h"
#include "plot.h"

/* Parse a comma-separated list of metric names into a malloc'd array. 0, or -1 (said). */
int plot_metrics_parse(const char *list, const struct metric ***out, unsigned *n);
/* Load a run/compare result JSON (schema 1); NULL after saying why on stderr. */
json_t *plot_load_result(const char *path);
/* plot_out_finish(), its first failure said on stderr: EXIT_OK or EXIT_FAIL. */
int plot_finish(struct plot_out *po, int write_render);

#endif
