/*
 * fileio.h - the one thin layer through which the store writes files.
 *
 * Every write, fsync and rename of the store passes through here, so a
 * test can break it on purpose:
 *   CDP_FAULT=write:N    the Nth write fails with ENOSPC
 *   CDP_FAULT=fsync:N    the Nth fsync fails with EIO
 *   CDP_FAULT=rename:N   the Nth rename fails with EIO
 *   CDP_KILL_AT=N        the process kills itself (SIGKILL) just before
 *                        its Nth write, fsync or rename
 * Counting starts at 1 for the process.  Without these variables the
 * functions are plain POSIX calls with EINTR and short writes handled.
 */
#ifndef CDP_FILEIO_H
#define CDP_FILEIO_H

#include <stddef.h>
#include "util.h"

/* Forget the counters and read the variables again (for unit tests). */
void io_fault_reset(void);

/* Create path exclusively, mode 0600.  -1 with errno on failure. */
int io_create(const char *path);
/* Write all n bytes.  -1 with errno on failure. */
int io_write_all(int fd, const void *p, size_t n);
int io_fsync(int fd);
int io_rename(const char *from, const char *to);
/* fsync a directory, so a rename or unlink in it is durable. */
int io_fsync_dir(const char *dir);
/* Read a whole file into out (appending).  -1 with errno on failure. */
int io_read_file(const char *path, struct strbuf *out);
/* The same from an open descriptor, from its current offset. */
int io_read_fd(int fd, struct strbuf *out);
/*
 * Open an existing regular file (flags O_RDONLY, O_WRONLY or O_RDWR, plus
 * O_CREAT to create it 0600).  Never follows a symbolic link in the last
 * component and refuses anything but a regular file with one name (a
 * fifo, a device, a directory, a hard link to another file): -1 with
 * cdp_err() set ("PATH: is a symbolic link; not writing through it") and
 * errno (ELOOP, EINVAL, ENOENT, ...).
 */
int io_open_regular(const char *path, int flags);
/*
 * Every file the programs write outside the store (rejects files,
 * --removals, --destination-file) is opened here: io_open_regular with
 * O_CREAT, then forced to mode 0600 whatever mode it had or the umask
 * says, then emptied.  -1 with cdp_err() and errno set.
 */
int io_open_output(const char *path);
/* The same check for a file about to be replaced by rename (--html):
 * 0 when path does not exist or is a regular file, else -1 with
 * cdp_err() set. */
int io_check_output(const char *path);
/* Write a whole new file atomically: tmp, fsync, rename, fsync dir.
 * Returns -1 with cdp_err() naming the step that failed, or -2 when
 * only the final directory fsync failed: the new file is then in place
 * but its rename may not survive a power cut. */
int io_replace_file(const char *dir, const char *name, const void *p, size_t n);

#endif
