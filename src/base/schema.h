/*
 * schema.h: the version of every machine-readable output, in one place. Every JSON output
 * carries it as "schema_version"; every CSV as a "schema_version" column (the last), so that
 * `pandas.read_csv(f)` or any CSV reader takes the files as they are. schemas/ holds a JSON
 * Schema for each (a CSV's describes one row), checked by `make check`.
 *
 * Compatibility (iommusim(1), OUTPUT COMPATIBILITY): a version changes when a change could
 * break a reader that follows these rules: a key or column removed or renamed, its type, unit
 * or meaning changed. New keys and new columns do not change it: readers ignore what they do
 * not know and address CSV columns by name, never by position.
 */
#ifndef ISM_SCHEMA_H
#define ISM_SCHEMA_H

#define SCHEMA_RESULT 1        /* run/compare --format json, results.json, sweep points/ */
#define SCHEMA_RESULT_CSV 2    /* run/compare --format csv, results.csv (2: no comment line) */
#define SCHEMA_STATS 1         /* stats --json */
#define SCHEMA_LINT 1          /* lint --json (1: versioned from the start of the key) */
#define SCHEMA_DUMP 1          /* dump: header line and event lines */
#define SCHEMA_SWEEP 2         /* sweep --format json, sweep.json (2: sweep_version renamed) */
#define SCHEMA_SWEEP_CSV 2     /* sweep --format csv, sweep.csv (2: long form, one metric a row) */
#define SCHEMA_MANIFEST 2      /* manifest.json (2: manifest_version renamed) */
#define SCHEMA_REGRESS 1       /* regress --format json */
#define SCHEMA_FIGURE_CSV 2    /* the figures' data in report and sweep folders */
#define SCHEMA_FIGURES 1       /* figures.json of a report folder: each figure's data and arguments */
#define SCHEMA_TIMELINE 1      /* timeline: the "metadata" of the Chrome trace-event file */

#endif
