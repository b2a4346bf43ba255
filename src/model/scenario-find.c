/*
 * scenario-find.c: scenarios by name.
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario-find.h"
#include "util.h"

static int is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int ism_running_installed(void)
{
	char exe[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat a, b;

	if (n <= 0)
		return 1;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return 1;
	*slash = 0;
	/* the same folder, however it is spelt */
	return stat(exe, &a) == 0 && stat(ISM_BINDIR, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* The folders searched, in order (malloc'd, NULL-terminated). */
static char **search_dirs(void)
{
	const char *env = getenv("ISM_SCENARIO_PATH");
	char **d = NULL;
	unsigned n = 0;

	if (env && *env) {
		char *dup = xstrdup(env), *save = NULL;

		for (char *t = strtok_r(dup, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
			d = xreallocarray(d, n + 2, sizeof(*d));
			d[n++] = xstrdup(t);
		}
		free(dup);
	}
	d = xreallocarray(d, n + 3, sizeof(*d));
	/* a build that is not installed: its own source tree's first, not an older install's */
	if (!ism_running_installed())
		d[n++] = xstrdup(ISM_SRC_SCENARIODIR);
	d[n++] = xstrdup(ISM_SCENARIODIR);
	d[n] = NULL;
	return d;
}

static void free_dirs(char **d)
{
	for (unsigned i = 0; d[i]; i++)
		free(d[i]);
	free(d);
}

/* The closest scenario name in @dirs to @name (malloc'd) and its distance. */
static char *nearest(char **dirs, const char *name, unsigned *dist)
{
	char *best = NULL;

	*dist = ~0u;
	for (unsigned i = 0; dirs[i]; i++) {
		DIR *dp = opendir(dirs[i]);
		struct dirent *de;

		if (!dp)
			continue;
		while ((de = readdir(dp)) != NULL) {
			size_t l = strlen(de->d_name);
			char *n;
			unsigned dd;

			if (l <= 5 || strcmp(de->d_name + l - 5, ".json") != 0)
				continue;
			n = xstrndup(de->d_name, l - 5);
			dd = ism_edit_distance(n, name);
			if (dd < *dist) {
				*dist = dd;
				free(best);
				best = n;
			} else {
				free(n);
			}
		}
		closedir(dp);
	}
	return best;
}

char *scenario_find(const char *arg, char **cause)
{
	char **dirs, *where, *near;
	unsigned dist;

	if (strchr(arg, '/') || is_file(arg))
		return xstrdup(arg);
	dirs = search_dirs();
	for (unsigned i = 0; dirs[i]; i++) {
		for (int ext = 1; ext >= 0; ext--) {
			char *p = xasprintf("%s/%s%s", dirs[i], arg, ext ? ".json" : "");

			if (is_file(p)) {
				free_dirs(dirs);
				return p;
			}
			free(p);
		}
	}
	where = xstrdup("");
	for (unsigned i = 0; dirs[i]; i++) {
		char *w = xasprintf("%s%s%s", where, i ? ", " : "", dirs[i]);

		free(where);
		where = w;
	}
	near = nearest(dirs, arg, &dist);
	*cause = xasprintf("scenario '%s': no such file, and no %s.json in %s%s%s%s", arg, arg,
			   where, near && dist <= 3 ? "; did you mean " : "",
			   near && dist <= 3 ? near : "", near && dist <= 3 ? "?" : "");
	free(near);
	free(where);
	free_dirs(dirs);
	return NULL;
}
