/*
 * fuzz.h - what the libFuzzer targets share: the fuzzer's bytes as a
 * file the library can open by path, and a check that fails loudly.
 *
 * The bytes go into a memfd, opened again through /proc/self/fd, so a
 * run touches no disk and input_open() sees an ordinary file (gzip
 * detection included).  Each target includes this once.
 */
#ifndef CDP_FUZZ_H
#define CDP_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A broken invariant is a finding: abort so libFuzzer saves the input. */
#define FUZZ_ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #c); \
		abort(); \
	} \
} while (0)

/*
 * Write the bytes into a new memfd; its path goes into path.  Returns
 * the descriptor (close it when done), or -1.
 */
static inline int
fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
