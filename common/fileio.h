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
/* Write a whole new file atomically: tmp, fsync, rename, fsync dir.
 * Returns -1 with cdp_err() naming the step that failed, or -2 when
 * only the final directory fsync failed: the new file is then in place
 * but its rename may not survive a power cut. */
int io_replace_file(const char *dir, const char *name, const void *p, size_t n);

#endif
