/*
 * scenario-find.h: a scenario given by name (-s qemu-pseries) or by path.
 */
#ifndef ISM_SCENARIO_FIND_H
#define ISM_SCENARIO_FIND_H

/*
 * @arg as a path when it names a file or holds a '/'; else NAME.json (or NAME) searched in
 * $ISM_SCENARIO_PATH (colon-separated folders), then, for a build that is not installed, the
 * source tree's scenarios/, then the installed scenarios ($(pkgdatadir)/scenarios). Returns the path (malloc'd), or NULL with *@cause (naming where it looked and
 * the nearest name).
 */
char *scenario_find(const char *arg, char **cause);

/* Whether this program is the installed one (it runs from $(bindir)), not a build tree's. */
int ism_running_installed(void);

#endif
