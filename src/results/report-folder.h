/*
 * report-folder.h: the report folder of `iommusim compare -o DIR` (report-folder.c): report.md,
 * a self-contained report.html, the figures with their data and scripts, the results as text,
 * JSON and CSV, and the provenance manifest, written into a temporary folder and renamed to
 * DIR when complete.
 */
#ifndef ISM_REPORT_FOLDER_H
#define ISM_REPORT_FOLDER_H

#include <stdio.h>

#include "manifest.h"
#include "report.h"

/*
 * Write the report folder @dir for the replay @c. Returns 0, or -ISM_E* with *@cause (the
 * first thing that failed, naming its path); nothing is left under @dir then.
 */
int report_folder(const char *dir, const struct report_ctx *c, const struct manifest_in *mi,
		  char **cause);
/* Say on @out where the report folder @dir is and what it holds (after report_folder()). */
void report_folder_said(FILE *out, const char *dir);

#endif
