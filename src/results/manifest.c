/*
 * manifest.c: provenance manifests (what a result was computed from).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "manifest.h"
#include "param.h"
#include "util.h"

char *manifest_scenario_text(const struct scenario *sc)
{
	const struct param *tab = scenario_params();
	char *out = xstrdup("");
	size_t len = 0;

	for (const struct param *p = tab; p->path; p++) {
		char *v = param_format_value(p, sc);
		size_t l = strlen(p->path) + strlen(v) + 2;

		out = xrealloc(out, len + l + 1);
		snprintf(out + len, l + 1, "%s=%s\n", p->path, v);
		len += l;
		free(v);
	}
	return out;
}

void manifest_scenario_hash(const struct scenario *sc, char *hex)
{
	char *t = manifest_scenario_text(sc);
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, t, strlen(t));
	sha256_hex(&s, hex);
	free(t);
}

/* Characters that need no quoting in a POSIX shell word. */
static int shell_safe(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "@%+=:,./-_", *s))
			return 0;
	return 1;
}

char *manifest_command_line(int argc, char *const *argv)
{
	char *out = xstrdup("");

	for (int i = 0; i < argc; i++) {
		char *q, *n;

		if (shell_safe(argv[i])) {
			q = xstrdup(argv[i]);
		} else {
			size_t l = 3;

			for (const char *s = argv[i]; *s; s++)
				l += *s == '\'' ? 4 : 1;
			q = xmalloc(l);
			l = 0;
			q[l++] = '\'';
			for (const char *s = argv[i]; *s; s++) {
				if (*s == '\'') {
					memcpy(q + l, "'\\''", 4);
					l += 4;
				} else {
					q[l++] = *s;
				}
			}
			q[l++] = '\'';
			q[l] = 0;
		}
		n = xasprintf("%s%s%s", out, i ? " " : "", q);
		free(out);
		free(q);
		out = n;
	}
	return out;
}

json_t *manifest_json(const struct manifest_in *in, const char *trace_hash, uint64_t trace_bytes,
		      char **cause)
{
	char hex[SHA256_HEX_LEN], eff[SHA256_HEX_LEN], fhex[SHA256_HEX_LEN] = "";
	json_t *root, *o, *a;

	if (!trace_hash) {
		if (sha256_file(in->trace, hex, &trace_bytes) < 0) {
			*cause = xasprintf("%s: %s", in->trace, strerror(errno));
			return NULL;
		}
		trace_hash = hex;
	}
	if (in->sc->path && strcmp(in->sc->path, "(defaults)") != 0 &&
	    sha256_file(in->sc->path, fhex, NULL) < 0) {
		*cause = xasprintf("%s: %s", in->sc->path, strerror(errno));
		return NULL;
	}
	manifest_scenario_hash(in->sc, eff);

	root = json_object();
	json_object_set_new(root, "schema_version", json_integer(MANIFEST_VERSION));
	json_object_set_new(root, "tool", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
	o = json_object();
	json_object_set_new(o, "path", json_string(in->trace));
	json_object_set_new(o, "bytes", json_integer((json_int_t)trace_bytes));
	json_object_set_new(o, "sha256", json_string(trace_hash));
	json_object_set_new(root, "trace", o);
	o = json_object();
	json_object_set_new(o, "path", json_string(in->sc->path ? in->sc->path : "(defaults)"));
	json_object_set_new(o, "name", json_string(in->sc->name ? in->sc->name : ""));
	json_object_set_new(o, "file_sha256", json_string(fhex));
	json_object_set_new(o, "effective_sha256", json_string(eff));
	json_object_set_new(root, "scenario", o);
	a = json_array();
	for (unsigned i = 0; i < in->nspecs; i++)
		json_array_append_new(a, json_string(in->specs[i]));
	json_object_set_new(root, "strategies", a);
	a = json_array();
	for (unsigned i = 0; i < in->nsets; i++)
		json_array_append_new(a, json_string(in->sets[i]));
	json_object_set_new(root, "set", a);
	if (in->argc > 0) {
		char *cl = manifest_command_line(in->argc, in->argv);
		char *full = xasprintf("iommusim %s", cl);

		json_object_set_new(root, "command", json_string(full));
		free(full);
		free(cl);
	}
	return root;
}
