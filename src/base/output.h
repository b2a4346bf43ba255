/*
 * output.h: how every command writes its outputs, so that an output either is complete under
 * its final name or is not there at all.
 *
 * Files (ofile_*): written into a temporary file in the same folder (".NAME.XXXXXX"), then
 * flushed, fsync()ed and rename()d over the final name by ofile_commit(). A failed or
 * interrupted command leaves the final name as it was (absent, or the old file). A final name
 * that exists and is not a regular file (a device such as /dev/null, a FIFO) is written in
 * place and never removed; a symbolic link is followed (its target is replaced); "-" is
 * standard output.
 *
 * Folders (odir_*): written into a temporary folder next to the final one (".NAME.XXXXXX")
 * and renamed when complete. An existing final folder is replaced only when it is empty or is
 * an earlier output of the same kind (it holds the caller's marker file and nothing but
 * regular files and the caller's subfolders); otherwise odir_open() refuses.
 *
 * Cleanup: temporary files and folders are registered while they exist. With
 * output_signals() installed, SIGINT, SIGTERM, SIGHUP and SIGPIPE remove the ones this
 * process created (after killing and reaping the registered child processes that write into
 * them), and the process then dies of the signal (exit status 128 + signal in the shell:
 * 130 for SIGINT, 143 for SIGTERM).
 *
 * Errors are one line naming the path; codes are -ISM_EIO (cannot write: exit 1) and
 * -ISM_EUSAGE (the path cannot be an output of this kind: exit 2).
 */
#ifndef ISM_OUTPUT_H
#define ISM_OUTPUT_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

struct ofile;

/* Open @path for writing (see above). 0, or -ISM_E* with *@cause. */
int ofile_open(const char *path, struct ofile **out, char **cause);
/* The stream to write to (buffered by stdio) and its descriptor; use one or the other. */
FILE *ofile_stream(struct ofile *o);
int ofile_fd(struct ofile *o);
/* The final name ("-" for standard output), for messages. */
const char *ofile_path(const struct ofile *o);
/* 1 when written through a temporary file (a regular file that can be rewritten in place). */
int ofile_is_temp(const struct ofile *o);
/*
 * Flush, check for write errors, fsync, close and rename into place; frees @o. Returns 0,
 * or -ISM_EIO with *@cause ("PATH: write error: No space left on device"); on error the
 * temporary file is removed and the final name is left alone.
 */
int ofile_commit(struct ofile *o, char **cause);
/* Discard: remove the temporary file (nothing else); frees @o. NULL is a no-op. */
void ofile_abort(struct ofile *o);

struct odir;

/*
 * Start writing the folder @path. @marker names the file that identifies an earlier output
 * of this kind ("manifest.json"); @subdirs (NULL-terminated, may be NULL) the subfolders such
 * an output has. 0, or -ISM_E* with *@cause.
 */
int odir_open(const char *path, const char *marker, const char *const *subdirs,
	      struct odir **out, char **cause);
/* Where to write the folder's files now (the temporary folder). */
const char *odir_path(const struct odir *d);
/* Rename into place (replacing an earlier output, see above); frees @d. 0 or -ISM_EIO. */
int odir_commit(struct odir *d, char **cause);
/* Remove the temporary folder and what is in it; frees @d. NULL is a no-op. */
void odir_abort(struct odir *d);

/*
 * A temporary folder in $TMPDIR (or /tmp) for work files, removed by tmpdir_remove() or on a
 * signal. Returns the malloc'd path, or NULL with *@cause.
 */
char *tmpdir_create(const char *prefix, char **cause);
void tmpdir_remove(char *path);

/* Any other temporary file of ours, removed on a signal: returns a slot for output_temp_del(). */
int output_temp_add(const char *path);
void output_temp_del(int slot);

/* Child processes that write into a registered temporary path: killed and reaped first. */
void output_child_add(pid_t pid);
void output_child_del(pid_t pid);

/*
 * Hold the cleanup signals over a step that must not be cut: fork() and output_child_add()
 * (a child forked just before a signal would be unknown to the handler), or creating a
 * temporary and registering it. output_release() restores the mask @old (in the child too,
 * first thing): a signal that came meanwhile is then handled.
 */
void output_hold(sigset_t *old);
void output_release(const sigset_t *old);

/* Install the signal handlers described above (once, in main()). */
void output_signals(void);
/* Set by the handler just before it cleans up: for loops that poll (the recorder). */
int output_interrupted(void);

/* Write @n bytes to @fd, retrying short writes and EINTR. 0, or -1 with errno. */
int write_all(int fd, const void *buf, size_t n);

#endif
