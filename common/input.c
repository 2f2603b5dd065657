/*
 * input.c - files and stdin through zlib's gz layer, so ".gz" input
 * (recognised by its magic bytes, not its name) is inflated on the fly
 * and plain input passes through unchanged.  Every byte handed out is
 * counted and fed to SHA-256.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <nettle/sha2.h>

#include "input.h"
#include "util.h"

struct input {
	gzFile gz;
	char *path;
	const char *name;
	uint64_t bytes;
	struct sha256_ctx sha;
	int peeked;	/* -2: none */
};

struct input *
input_open(const char *path)
{
	struct input *in;
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		cdp_seterr("%s: %s", strcmp(path, "-") ? path : "stdin", strerror(errno));
		return NULL;
	}
	in = xcalloc(1, sizeof *in);
	in->gz = gzdopen(fd, "rb");
	if (!in->gz) {
		close(fd);
		free(in);
		cdp_seterr("%s: cannot open", path);
		return NULL;
	}
	gzbuffer(in->gz, 256 * 1024);
	if (strcmp(path, "-") == 0) {
		in->name = "stdin";
	} else {
		in->path = xstrdup(path);
		in->name = in->path;
	}
	in->peeked = -2;
	sha256_init(&in->sha);
	return in;
}

ssize_t
input_read(struct input *in, void *buf, size_t n)
{
	size_t off = 0;
	int got;

	if (n == 0)
		return 0;
	if (in->peeked >= 0) {
		((unsigned char *)buf)[0] = (unsigned char)in->peeked;
		in->peeked = -2;
		off = 1;
		sha256_update(&in->sha, 1, buf);
		in->bytes++;
		if (n == 1)
			return 1;
	} else if (in->peeked == -1) {
		return 0;
	}
	if (n - off > 1u << 30)
		n = off + (1u << 30);
	got = gzread(in->gz, (char *)buf + off, (unsigned)(n - off));
	if (got < 0) {
		int zerr;
		const char *msg = gzerror(in->gz, &zerr);

		if (zerr == Z_ERRNO)
			msg = strerror(errno);
		cdp_seterr("%s: read error: %s", in->name, msg);
		return -1;
	}
	if (got == 0 && !gzeof(in->gz) ) {
		int zerr;
		const char *msg = gzerror(in->gz, &zerr);

		if (zerr != Z_OK) {
			cdp_seterr("%s: read error: %s", in->name, msg);
			return -1;
		}
	}
	if (got > 0) {
		sha256_update(&in->sha, (size_t)got, (uint8_t *)buf + off);
		in->bytes += (uint64_t)got;
	}
	return (ssize_t)(off + (size_t)got);
}

int
input_peek(struct input *in)
{
	unsigned char c;
	int got;

	if (in->peeked != -2)
		return in->peeked;
	got = gzread(in->gz, &c, 1);
	in->peeked = got == 1 ? c : -1;
	if (in->peeked >= 0) {
		/* input_read counts and hashes it when it is handed out */
	}
	return in->peeked;
}

const char *
input_name(const struct input *in)
{
	return in->name;
}

const char *
input_path(const struct input *in)
{
	return in->path;
}

uint64_t
input_bytes(const struct input *in)
{
	return in->bytes;
}

void
input_sha256(struct input *in, unsigned char out[32])
{
	struct sha256_ctx copy = in->sha;

	sha256_digest(&copy, SHA256_DIGEST_SIZE, out);
}

void
input_close(struct input *in)
{
	if (!in)
		return;
	gzclose(in->gz);
	free(in->path);
	free(in);
}
