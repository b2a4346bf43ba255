/*
 * manifest.h: provenance of a result, so that it can be reproduced: the trace file's SHA-256,
 * the scenario file's and the effective scenario's (every parameter after --set and sweep
 * values), the iommusim version, the strategies and the parameter values that were set.
 */
#ifndef ISM_MANIFEST_H
#define ISM_MANIFEST_H

#include <jansson.h>

#include "scenario.h"
#include "sha256.h"

#include "schema.h"
#define MANIFEST_VERSION SCHEMA_MANIFEST

/*
 * The effective scenario as canonical text, one "path=value" line per parameter in table order
 * (malloc'd). Two scenarios with the same text simulate alike.
 */
char *manifest_scenario_text(const struct scenario *sc);
/* SHA-256 (hex) of manifest_scenario_text(). */
void manifest_scenario_hash(const struct scenario *sc, char *hex);

struct manifest_in {
	const char *trace;            /* path as given */
	const struct scenario *sc;    /* effective scenario */
	char *const *specs;           /* strategy specs */
	unsigned nspecs;
	char *const *sets;            /* "path=value" applied after loading (--set, sweep point) */
	unsigned nsets;
	int argc;                     /* the command line from the subcommand's name, for a
				       * reproduce line ("iommusim ARGV..."); 0 = none */
	char *const *argv;
};

/*
 * Build the manifest object: {"schema_version", "tool", "trace": {"path", "bytes", "sha256"},
 * "scenario": {"path", "name", "file_sha256", "effective_sha256"}, "strategies", "set",
 * "command"}. Returns NULL with *@cause when the trace (or scenario file) cannot be read.
 * @trace_hash: a precomputed trace hash (hex) and size, or NULL to hash the file.
 */
json_t *manifest_json(const struct manifest_in *in, const char *trace_hash, uint64_t trace_bytes,
		      char **cause);
/* A shell-quoted command line from @argv (malloc'd). */
char *manifest_command_line(int argc, char *const *argv);

#endif
