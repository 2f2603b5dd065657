/*
 * fileio.c - checked writes with fault injection for tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

enum { OP_WRITE, OP_FSYNC, OP_RENAME };

static int fault_loaded;
static int fault_op = -1;
static long fault_at, kill_at;
static long op_count[3], all_count;

static void
fault_load(void)
{
	const char *f = getenv("CDP_FAULT"), *k = getenv("CDP_KILL_AT");

	fault_loaded = 1;
	if (f) {
		const char *colon = strchr(f, ':');

		if (colon) {
			if (strncmp(f, "write", (size_t)(colon - f)) == 0)
				fault_op = OP_WRITE;
			else if (strncmp(f, "fsync", (size_t)(colon - f)) == 0)
				fault_op = OP_FSYNC;
			else if (strncmp(f, "rename", (size_t)(colon - f)) == 0)
				fault_op = OP_RENAME;
			fault_at = atol(colon + 1);
		}
	}
	if (k)
		kill_at = atol(k);
}

void
io_fault_reset(void)
{
	fault_loaded = 0;
	fault_op = -1;
	fault_at = kill_at = all_count = 0;
	memset(op_count, 0, sizeof op_count);
}

/* Returns the errno to fail with, or 0 to go ahead. */
static int
fault_check(int op)
{
	if (!fault_loaded)
		fault_load();
	all_count++;
	if (kill_at && all_count == kill_at)
		raise(SIGKILL);
	op_count[op]++;
	if (op == fault_op && op_count[op] == fault_at)
		return op == OP_WRITE ? ENOSPC : EIO;
	return 0;
}

int
io_create(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

int
io_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	int e = fault_check(OP_WRITE);

	if (e) {
		errno = e;
		return -1;
	}
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
io_fsync(int fd)
{
	int e = fault_check(OP_FSYNC);

	if (e) {
		errno = e;
		return -1;
	}
	return fsync(fd);
}

int
io_rename(const char *from, const char *to)
{
	int e = fault_check(OP_RENAME);

	if (e) {
		errno = e;
		return -1;
	}
	return rename(from, to);
}

int
io_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r, saved;

	if (fd < 0)
		return -1;
	r = io_fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
io_read_fd(int fd, struct strbuf *out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		sb_add(out, buf, (size_t)n);
	}
	return 0;
}

int
io_read_file(const char *path, struct strbuf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r, saved;

	if (fd < 0)
		return -1;
	r = io_read_fd(fd, out);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* -1 with cdp_err() and errno set when sb is no plain regular file. */
static int
check_regular(const char *path, const struct stat *sb)
{
	if (S_ISLNK(sb->st_mode)) {
		errno = ELOOP;
		return cdp_seterr("%s: is a symbolic link; not writing through it", path);
	}
	if (!S_ISREG(sb->st_mode)) {
		errno = EINVAL;
		return cdp_seterr("%s: not a regular file; not writing to it", path);
	}
	if (sb->st_nlink > 1) {
		errno = EMLINK;
		return cdp_seterr("%s: has other hard links; not writing to it", path);
	}
	return 0;
}

int
io_open_regular(const char *path, int flags)
{
	struct stat sb;
	int fd, saved;

	/* O_NONBLOCK: opening a fifo must not wait for its other end. */
	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		/* ELOOP for a symlink, ENXIO for a fifo nobody reads: say what
		 * the file is rather than what open(2) made of it. */
		if (lstat(path, &sb) < 0 || check_regular(path, &sb) == 0)
			cdp_seterr("%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &sb) < 0 || check_regular(path, &sb) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		saved = errno;
		if (saved != ELOOP && saved != EINVAL && saved != EMLINK)
			cdp_seterr("%s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
io_open_output(const char *path)
{
	int fd = io_open_regular(path, O_WRONLY | O_CREAT), saved;

	if (fd < 0)
		return -1;
	/* An existing file keeps its mode on open: force it private, and
	 * empty it only once it is known to be ours to write. */
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, 0) < 0) {
		saved = errno;
		cdp_seterr("%s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
io_check_output(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : cdp_seterr("%s: %s", path, strerror(errno));
	return check_regular(path, &sb);
}

int
io_replace_file(const char *dir, const char *name, const void *p, size_t n)
{
	char tmp[4096], dst[4096];
	int fd;

	snprintf(tmp, sizeof tmp, "%s/tmp-%s.%ld", dir, name, (long)getpid());
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	unlink(tmp);
	fd = io_create(tmp);
	if (fd < 0)
		return cdp_seterr("%s: cannot create: %s", tmp, strerror(errno));
	if (io_write_all(fd, p, n) < 0) {
		cdp_seterr("%s: write failed: %s", tmp, strerror(errno));
		goto fail;
	}
	/* The data must be on disk before the name points at it. */
	if (io_fsync(fd) < 0) {
		cdp_seterr("%s: fsync failed: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		cdp_seterr("%s: close failed: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	/* The commit point: rename is atomic, readers see old or new. */
	if (io_rename(tmp, dst) < 0) {
		cdp_seterr("%s: rename failed: %s", dst, strerror(errno));
		goto fail;
	}
	/* And the rename itself must survive a power cut.  Past the rename
	 * the new file is in place: say so, so callers keep what it names. */
	if (io_fsync_dir(dir) < 0) {
		cdp_seterr("%s: fsync failed: %s", dir, strerror(errno));
		return -2;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
