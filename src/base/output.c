/*
 * output.c: atomic output files and folders, and their removal on a signal (output.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "output.h"
#include "util.h"

/* ---- the registry of temporary paths and child processes --------------------------------- */

#define REG_MAX 64
#define CHILD_MAX 1024

/*
 * Read by the signal handler: a slot is live when @owner is this process's pid (so a forked
 * child never removes what its parent created). Slots are changed with the signals blocked.
 */
static struct {
	volatile pid_t owner;
	int dir;
	char *path;
} reg[REG_MAX];
static volatile pid_t children[CHILD_MAX];
static volatile pid_t children_owner[CHILD_MAX];
static volatile sig_atomic_t interrupted;

static const int cleanup_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

static void block_sigs(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(cleanup_sigs); i++)
		sigaddset(&s, cleanup_sigs[i]);
	sigprocmask(SIG_BLOCK, &s, old);
}

static void unblock_sigs(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

void output_hold(sigset_t *old)
{
	block_sigs(old);
}

void output_release(const sigset_t *old)
{
	unblock_sigs(old);
}

static int reg_add(const char *path, int dir)
{
	sigset_t old;
	int slot = -1;

	block_sigs(&old);
	for (int i = 0; i < REG_MAX; i++)
		if (reg[i].owner != getpid()) {
			free(reg[i].path); /* a forked child's copy of its parent's slot */
			reg[i].path = xstrdup(path);
			reg[i].dir = dir;
			reg[i].owner = getpid();
			slot = i;
			break;
		}
	unblock_sigs(&old);
	return slot; /* -1: more than REG_MAX at once; still written, just not cleaned */
}

static void reg_del(int slot)
{
	sigset_t old;

	if (slot < 0)
		return;
	block_sigs(&old);
	reg[slot].owner = 0;
	free(reg[slot].path);
	reg[slot].path = NULL;
	unblock_sigs(&old);
}

int output_temp_add(const char *path)
{
	return reg_add(path, 0);
}

void output_temp_del(int slot)
{
	reg_del(slot);
}

void output_child_add(pid_t pid)
{
	sigset_t old;

	block_sigs(&old);
	for (int i = 0; i < CHILD_MAX; i++)
		if (children_owner[i] != getpid()) {
			children[i] = pid;
			children_owner[i] = getpid();
			break;
		}
	unblock_sigs(&old);
}

void output_child_del(pid_t pid)
{
	sigset_t old;

	block_sigs(&old);
	for (int i = 0; i < CHILD_MAX; i++)
		if (children_owner[i] == getpid() && children[i] == pid) {
			children_owner[i] = 0;
			children[i] = 0;
		}
	unblock_sigs(&old);
}

/*
 * Remove the tree at @dfd/@name with system calls only (safe in a signal handler): entries
 * are read with getdents64, files unlinked, folders emptied then removed. @depth bounds the
 * recursion; what cannot be removed stays.
 */
struct ism_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void rm_tree_at(int dfd, const char *name, int depth)
{
	char buf[4096];
	int fd;
	long n;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return;
	if (depth > 8)
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	/* read to the end, removing; again from the start while a pass found something */
	for (int pass = 0; pass < 16; pass++) {
		int found = 0;

		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct ism_dirent64 *d = (struct ism_dirent64 *)(buf + off);

				off += d->d_reclen;
				if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
					continue;
				found = 1;
				rm_tree_at(fd, d->d_name, depth + 1);
			}
		}
		if (!found)
			break;
	}
	close(fd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static void on_signal(int sig)
{
	pid_t me = getpid();
	int e = errno;

	interrupted = 1;
	for (int i = 0; i < CHILD_MAX; i++)
		if (children_owner[i] == me && children[i] > 0)
			kill(children[i], SIGKILL);
	for (int i = 0; i < CHILD_MAX; i++)
		if (children_owner[i] == me && children[i] > 0) {
			while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
				;
			children_owner[i] = 0;
		}
	for (int i = 0; i < REG_MAX; i++) {
		if (reg[i].owner != me || !reg[i].path)
			continue;
		if (reg[i].dir)
			rm_tree_at(AT_FDCWD, reg[i].path, 0);
		else
			unlink(reg[i].path);
		reg[i].owner = 0;
	}
	errno = e;
	signal(sig, SIG_DFL);
	raise(sig);
}

void output_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(cleanup_sigs); i++)
		sigaddset(&sa.sa_mask, cleanup_sigs[i]);
	for (unsigned i = 0; i < ISM_ARRAY_SIZE(cleanup_sigs); i++) {
		struct sigaction old;

		/* a signal ignored by whoever started us (nohup, a shell's &) stays ignored */
		if (sigaction(cleanup_sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(cleanup_sigs[i], &sa, NULL);
	}
}

int output_interrupted(void)
{
	return interrupted;
}

int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- paths ------------------------------------------------------------------------------- */

/* Split @path into its folder ("." when none) and last component. */
static void split_path(const char *path, char **dir, char **base)
{
	size_t len = strlen(path);
	const char *slash;

	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	if (!slash) {
		*dir = xstrdup(".");
		*base = xstrndup(path, len);
	} else {
		*dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
		*base = xstrndup(slash + 1, len - (size_t)(slash + 1 - path));
	}
}

static mode_t umask_get(void)
{
	mode_t m = umask(022);

	umask(m);
	return m;
}

static mode_t file_mode(void)
{
	return 0666 & ~umask_get();
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd); /* some file systems refuse: the rename still happened */
		close(fd);
	}
}

/* ---- files ------------------------------------------------------------------------------- */

struct ofile {
	char *path;   /* the final name (a symlink's target) */
	char *dir;    /* its folder */
	char *tmp;    /* the temporary file; NULL when written in place or to stdout */
	FILE *f;
	int fd;
	int own_fd;   /* close it */
	int slot;
};

int ofile_open(const char *path, struct ofile **out, char **cause)
{
	struct ofile *o;
	struct stat st;
	sigset_t held;
	char *base;
	mode_t mode;

	*out = NULL;
	if (!*path) {
		*cause = xstrdup("empty output file name");
		return -ISM_EUSAGE;
	}
	o = xcalloc(1, sizeof(*o));
	o->slot = -1;
	if (strcmp(path, "-") == 0) {
		o->path = xstrdup("-");
		o->fd = 1;
		o->f = stdout;
		*out = o;
		return 0;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *real = realpath(path, NULL);

		if (!real) {
			*cause = xasprintf("%s: a symbolic link to nowhere: %s", path,
					   strerror(errno));
			free(o);
			return -ISM_EUSAGE;
		}
		o->path = xstrdup(real);
		free(real);
	} else {
		o->path = xstrdup(path);
	}
	split_path(o->path, &o->dir, &base);
	mode = file_mode();
	if (stat(o->path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			*cause = xasprintf("%s: is a folder", path);
			goto usage;
		}
		if (!S_ISREG(st.st_mode)) {
			/* a device or a FIFO: written in place, never replaced or removed */
			o->fd = open(o->path, O_WRONLY | O_CLOEXEC);
			if (o->fd < 0) {
				*cause = xasprintf("%s: %s", path, strerror(errno));
				goto io;
			}
			o->own_fd = 1;
			goto stream;
		}
		mode = st.st_mode & 07777; /* a rewritten file keeps its permissions */
	}
	o->tmp = xasprintf("%s/.%s.XXXXXX", o->dir, base);
	/* created and registered with the signals held: a signal in between would leave it */
	block_sigs(&held);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		unblock_sigs(&held);
		*cause = xasprintf("%s: cannot create a file in %s: %s", path, o->dir,
				   strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		goto io;
	}
	o->own_fd = 1;
	o->slot = reg_add(o->tmp, 0);
	unblock_sigs(&held);
	fchmod(o->fd, mode);
stream:
	o->f = fdopen(o->fd, "w");
	if (!o->f) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		ofile_abort(o);
		free(base);
		return -ISM_EIO;
	}
	free(base);
	*out = o;
	return 0;
usage:
	free(base);
	free(o->dir);
	free(o->path);
	free(o);
	return -ISM_EUSAGE;
io:
	free(base);
	free(o->dir);
	free(o->path);
	free(o);
	return -ISM_EIO;
}

FILE *ofile_stream(struct ofile *o)
{
	return o->f;
}

int ofile_fd(struct ofile *o)
{
	return o->fd;
}

const char *ofile_path(const struct ofile *o)
{
	return o->path;
}

int ofile_is_temp(const struct ofile *o)
{
	return o->tmp != NULL;
}

static void ofile_free(struct ofile *o)
{
	reg_del(o->slot);
	free(o->tmp);
	free(o->dir);
	free(o->path);
	free(o);
}

void ofile_abort(struct ofile *o)
{
	if (!o)
		return;
	if (o->f && o->f != stdout)
		fclose(o->f);
	else if (o->own_fd)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	ofile_free(o);
}

int ofile_commit(struct ofile *o, char **cause)
{
	const char *name = strcmp(o->path, "-") == 0 ? "standard output" : o->path;
	int err = 0;

	if (fflush(o->f) != 0 || ferror(o->f))
		err = errno ? errno : EIO;
	if (o->f == stdout) {
		ofile_free(o);
		if (err) {
			*cause = xasprintf("%s: write error: %s", name, strerror(err));
			return -ISM_EIO;
		}
		return 0;
	}
	/* a device may not sync (EINVAL): only files must reach the disk */
	if (!err && o->tmp && fsync(o->fd) < 0)
		err = errno;
	if (fclose(o->f) != 0 && !err)
		err = errno;
	o->f = NULL;
	o->own_fd = 0;
	if (!err && o->tmp) {
		if (rename(o->tmp, o->path) < 0)
			err = errno;
		else {
			free(o->tmp);
			o->tmp = NULL;
			fsync_dir(o->dir);
		}
	}
	if (err) {
		*cause = xasprintf("%s: write error: %s", name, strerror(err));
		if (o->tmp)
			unlink(o->tmp);
		ofile_free(o);
		return -ISM_EIO;
	}
	ofile_free(o);
	return 0;
}

/* ---- folders ----------------------------------------------------------------------------- */

struct odir {
	char *path;    /* final */
	char *parent;
	char *tmp;
	char *marker;
	char **subdirs;
	int slot;
};

static int is_subdir(const struct odir *d, const char *name)
{
	for (unsigned i = 0; d->subdirs && d->subdirs[i]; i++)
		if (strcmp(d->subdirs[i], name) == 0)
			return 1;
	return 0;
}

/*
 * May the existing folder @path be replaced? Empty, or the marker plus regular files and the
 * known subfolders holding regular files. Returns 0, 1 (empty), or -1 with *@why set to the
 * entry that is in the way.
 */
static int replaceable(const struct odir *d, const char *path, int top, char **why)
{
	DIR *dh = opendir(path);
	struct dirent *e;
	int n = 0, marker = 0, ret = 0;

	if (!dh) {
		*why = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(dh)) != NULL) {
		struct stat st;
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		p = xasprintf("%s/%s", path, e->d_name);
		if (lstat(p, &st) < 0) {
			free(p);
			continue;
		}
		if (top && strcmp(e->d_name, d->marker) == 0 && S_ISREG(st.st_mode))
			marker = 1;
		if (S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (top && S_ISDIR(st.st_mode) && is_subdir(d, e->d_name) &&
		    replaceable(d, p, 0, why) >= 0) {
			free(p);
			continue;
		}
		if (!*why)
			*why = xasprintf("%s", p);
		free(p);
		ret = -1;
		break;
	}
	closedir(dh);
	if (ret < 0 || !top)
		return ret;
	if (n == 0)
		return 1;
	if (!marker) {
		*why = xasprintf("%s holds no %s", path, d->marker);
		return -1;
	}
	return 0;
}

/* Remove the files of an earlier output at @path: what replaceable() allows, nothing else. */
static void remove_old(const struct odir *d, const char *path, int top)
{
	DIR *dh = opendir(path);
	struct dirent *e;

	if (!dh)
		return;
	while ((e = readdir(dh)) != NULL) {
		struct stat st;
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, e->d_name);
		if (lstat(p, &st) == 0) {
			if (S_ISREG(st.st_mode))
				unlink(p);
			else if (top && S_ISDIR(st.st_mode) && is_subdir(d, e->d_name))
				remove_old(d, p, 0);
		}
		free(p);
	}
	closedir(dh);
	rmdir(path);
}

int odir_open(const char *path, const char *marker, const char *const *subdirs,
	      struct odir **out, char **cause)
{
	struct odir *d;
	struct stat st;
	sigset_t held;
	char *base;
	unsigned n = 0;

	*out = NULL;
	if (!*path) {
		*cause = xstrdup("empty output folder name");
		return -ISM_EUSAGE;
	}
	d = xcalloc(1, sizeof(*d));
	d->slot = -1;
	d->path = xstrdup(path);
	d->marker = xstrdup(marker);
	while (subdirs && subdirs[n])
		n++;
	d->subdirs = xcalloc(n + 1, sizeof(*d->subdirs));
	for (unsigned i = 0; i < n; i++)
		d->subdirs[i] = xstrdup(subdirs[i]);
	split_path(path, &d->parent, &base);
	if (stat(path, &st) == 0) {
		char *why = NULL;

		if (!S_ISDIR(st.st_mode)) {
			*cause = xasprintf("%s: exists and is not a folder", path);
			goto usage;
		}
		if (replaceable(d, path, 1, &why) < 0) {
			*cause = xasprintf("%s: not an earlier iommusim output (%s); give a new or "
					   "empty folder", path, why);
			free(why);
			goto usage;
		}
		free(why);
	} else if (errno != ENOENT) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto io;
	} else if (stat(d->parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*cause = xasprintf("%s: the folder %s does not exist", path, d->parent);
		goto io;
	}
	d->tmp = xasprintf("%s/.%s.XXXXXX", d->parent, base);
	block_sigs(&held); /* created and registered as one step (see ofile_open()) */
	if (!mkdtemp(d->tmp)) {
		unblock_sigs(&held);
		*cause = xasprintf("%s: cannot create a folder in %s: %s", path, d->parent,
				   strerror(errno));
		goto io;
	}
	d->slot = reg_add(d->tmp, 1);
	unblock_sigs(&held);
	chmod(d->tmp, 0777 & ~umask_get());
	free(base);
	*out = d;
	return 0;
usage:
	free(base);
	free(d->tmp);
	d->tmp = NULL;
	odir_abort(d);
	return -ISM_EUSAGE;
io:
	free(base);
	free(d->tmp);
	d->tmp = NULL;
	odir_abort(d);
	return -ISM_EIO;
}

const char *odir_path(const struct odir *d)
{
	return d->tmp;
}

static void odir_free(struct odir *d)
{
	reg_del(d->slot);
	for (unsigned i = 0; d->subdirs && d->subdirs[i]; i++)
		free(d->subdirs[i]);
	free(d->subdirs);
	free(d->marker);
	free(d->parent);
	free(d->tmp);
	free(d->path);
	free(d);
}

void odir_abort(struct odir *d)
{
	if (!d)
		return;
	if (d->tmp)
		rm_tree_at(AT_FDCWD, d->tmp, 0);
	odir_free(d);
}

int odir_commit(struct odir *d, char **cause)
{
	int err = 0;

	fsync_dir(d->tmp);
	if (rename(d->tmp, d->path) == 0)
		goto done; /* no folder there, or an empty one */
	if (errno != ENOTEMPTY && errno != EEXIST) {
		err = errno;
		goto fail;
	}
	/* an earlier output: swap the two, then remove the old one's files */
	if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->path, RENAME_EXCHANGE) < 0) {
		char *old = xasprintf("%s/.%s.old.XXXXXX", d->parent, "iommusim");

		/* no RENAME_EXCHANGE here: move the old one aside first */
		if (!mkdtemp(old) || rename(d->path, old) < 0 || rename(d->tmp, d->path) < 0) {
			err = errno;
			rmdir(old);
			free(old);
			goto fail;
		}
		remove_old(d, old, 1);
		free(old);
		goto done;
	}
	/* the old output is now at the temporary name: its files go, anything else stays */
	remove_old(d, d->tmp, 1);
done:
	fsync_dir(d->parent);
	free(d->tmp);
	d->tmp = NULL;
	odir_free(d);
	return 0;
fail:
	*cause = xasprintf("%s: cannot put the folder in place: %s", d->path, strerror(err));
	odir_abort(d);
	return -ISM_EIO;
}

char *tmpdir_create(const char *prefix, char **cause)
{
	const char *t = getenv("TMPDIR");
	char *p = xasprintf("%s/%s.XXXXXX", t && *t ? t : "/tmp", prefix);
	sigset_t held;

	block_sigs(&held); /* created and registered as one step (see ofile_open()) */
	if (!mkdtemp(p)) {
		unblock_sigs(&held);
		*cause = xasprintf("%s: %s", p, strerror(errno));
		free(p);
		return NULL;
	}
	if (reg_add(p, 1) < 0) {
		/* not registered: still usable, only not removed on a signal */
	}
	unblock_sigs(&held);
	return p;
}

void tmpdir_remove(char *path)
{
	if (!path)
		return;
	for (int i = 0; i < REG_MAX; i++)
		if (reg[i].owner == getpid() && reg[i].path && strcmp(reg[i].path, path) == 0) {
			reg_del(i);
			break;
		}
	rm_tree_at(AT_FDCWD, path, 0);
	free(path);
}
