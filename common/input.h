/*
 * input.h - a byte source for the importers: a file, standard input
 * ("-"), read through zlib so gzip-compressed input is decompressed
 * transparently.  It counts and hashes (SHA-256) the bytes it hands
 * out, which is how a batch remembers what it imported.
 */
#ifndef CDP_INPUT_H
#define CDP_INPUT_H

#include <stdint.h>
#include <sys/types.h>

struct input;

/* Open path ("-" for stdin).  NULL with cdp_err() set on failure. */
struct input *input_open(const char *path);
/* Up to n bytes: count read, 0 at end, -1 on error (cdp_err()). */
ssize_t input_read(struct input *in, void *buf, size_t n);
/* The first byte without consuming it: 0..255, or -1 at end or error. */
int input_peek(struct input *in);
/* "orders.csv", or "stdin" for "-". */
const char *input_name(const struct input *in);
/* The path as given (NULL for stdin). */
const char *input_path(const struct input *in);
uint64_t input_bytes(const struct input *in);
/* SHA-256 of every byte read so far (after decompression). */
void input_sha256(struct input *in, unsigned char out[32]);
struct input *input_open_mem(const char *name, const void *p, size_t n);
void input_unread(struct input *in, const void *p, size_t n);
void input_close(struct input *in);

#endif
