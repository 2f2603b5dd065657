/*
 * input.c - files and stdin; gzip input (recognised by its magic bytes,
 * not its name) is inflated on the fly with zlib's inflate, and plain
 * input passes through unchanged.  Every byte handed out is counted and
 * fed to SHA-256.
 *
 * Compressed input is all or nothing: a stream cut short, a corrupt
 * member, or bytes after the last member that do not start another
 * member are read errors, never a quiet end of file.  Concatenated
 * members (cat a.gz b.gz) are one valid input, as gzip(1) reads them.
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

enum { RAW_CHUNK = 256 * 1024 };

struct input {
	int fd;
	char *path;
	const char *name;
	uint64_t bytes;
	struct sha256_ctx sha;
	int peeked;		/* -2: none, -1: end */
	int gzip;		/* inflating gzip members */
	int member;		/* inside a member (inflate not at its end) */
	int raw_eof;		/* read(2) said end of file */
	z_stream z;
	unsigned char *raw;	/* RAW_CHUNK bytes read but not yet used */
	size_t raw_at, raw_len;
	/* Bytes handed out before the rest (input_unread, input_open_mem):
	 * counted and hashed once already, or never (a memory input). */
	const unsigned char *back;
	unsigned char *back_owned;
	size_t back_at, back_len;
	int no_sha;		/* a memory input: nothing to hash */
};

/* Fill in->raw when empty.  1 with bytes, 0 at end, -1 on error. */
static int
raw_fill(struct input *in)
{
	ssize_t n;

	if (in->raw_at < in->raw_len)
		return 1;
	if (in->raw_eof)
		return 0;
	do
		n = read(in->fd, in->raw, RAW_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cdp_seterr("%s: read error: %s", in->name, strerror(errno));
	in->raw_at = 0;
	in->raw_len = (size_t)n;
	if (n == 0)
		in->raw_eof = 1;
	return n > 0;
}

/* Whether the input starts with the gzip magic 1f 8b.  A one-byte file
 * that starts with 1f is plain data. */
static int
sniff_gzip(struct input *in)
{
	while (in->raw_len < 2 && !in->raw_eof) {
		ssize_t n = read(in->fd, in->raw + in->raw_len, RAW_CHUNK - in->raw_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cdp_seterr("%s: read error: %s", in->name, strerror(errno));
		if (n == 0)
			in->raw_eof = 1;
		in->raw_len += (size_t)n;
	}
	return in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b;
}

struct input *
input_open(const char *path)
{
	struct input *in;
	int fd, gz;

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
	in->fd = fd;
	in->raw = xmalloc(RAW_CHUNK);
	if (strcmp(path, "-") == 0) {
		in->name = "stdin";
	} else {
		in->path = xstrdup(path);
		in->name = in->path;
	}
	in->peeked = -2;
	sha256_init(&in->sha);
	gz = sniff_gzip(in);
	/* 16 + 15: gzip wrapper only, the largest window. */
	if (gz < 0 || (gz && inflateInit2(&in->z, 16 + 15) != Z_OK)) {
		if (gz > 0)
			cdp_seterr("%s: cannot open: out of memory", in->name);
		input_close(in);
		return NULL;
	}
	in->gzip = gz;
	in->member = gz;
	return in;
}

/* At the end of a member: more bytes must be another member.  1 when a
 * new member starts, 0 at a clean end, -1 on trailing garbage. */
static int
next_member(struct input *in)
{
	int r = raw_fill(in);

	if (r <= 0)
		return r;
	if (in->raw_len - in->raw_at < 2 && !in->raw_eof) {
		/* The magic may straddle two reads. */
		memmove(in->raw, in->raw + in->raw_at, in->raw_len - in->raw_at);
		in->raw_len -= in->raw_at;
		in->raw_at = 0;
		if (sniff_gzip(in) < 0)
			return -1;
	}
	if (in->raw_len - in->raw_at < 2 || in->raw[in->raw_at] != 0x1f ||
	    in->raw[in->raw_at + 1] != 0x8b)
		return cdp_seterr("%s: read error: trailing garbage after compressed data", in->name);
	inflateReset(&in->z);
	in->member = 1;
	return 1;
}

/* Inflate up to n bytes.  Count, 0 at a clean end, -1 on a read error,
 * a truncated or corrupt stream, or bytes after it that are no gzip
 * member. */
static ssize_t
inflate_some(struct input *in, unsigned char *buf, size_t n)
{
	in->z.next_out = buf;
	in->z.avail_out = (uInt)n;
	while (in->z.avail_out == n) {
		int r, zr;

		if (!in->member) {
			r = next_member(in);
			if (r <= 0)
				return r;
		}
		r = raw_fill(in);
		if (r < 0)
			return -1;
		if (r == 0)
			return cdp_seterr("%s: read error: compressed data truncated (unexpected end of file)", in->name);
		in->z.next_in = in->raw + in->raw_at;
		in->z.avail_in = (uInt)(in->raw_len - in->raw_at);
		zr = inflate(&in->z, Z_NO_FLUSH);
		in->raw_at = in->raw_len - in->z.avail_in;
		if (zr == Z_STREAM_END)
			in->member = 0;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return cdp_seterr("%s: read error: corrupt compressed data: %s", in->name,
			    in->z.msg ? in->z.msg : zError(zr));
	}
	return (ssize_t)(n - in->z.avail_out);
}

/* Up to n bytes of the data itself, inflated if need be. */
static ssize_t
data_read(struct input *in, unsigned char *buf, size_t n)
{
	size_t k;
	int r;

	if (in->gzip)
		return inflate_some(in, buf, n);
	r = raw_fill(in);
	if (r <= 0)
		return r;
	k = in->raw_len - in->raw_at;
	if (k > n)
		k = n;
	memcpy(buf, in->raw + in->raw_at, k);
	in->raw_at += k;
	return (ssize_t)k;
}

/* Up to n bytes of in->back; 0 when it is used up. */
static size_t
back_read(struct input *in, void *buf, size_t n)
{
	size_t k = in->back_len - in->back_at;

	if (k > n)
		k = n;
	memcpy(buf, in->back + in->back_at, k);
	in->back_at += k;
	if (in->back_at == in->back_len) {
		free(in->back_owned);
		in->back_owned = NULL;
		in->back = NULL;
		in->back_at = in->back_len = 0;
	}
	return k;
}

ssize_t
input_read(struct input *in, void *buf, size_t n)
{
	size_t off = 0;
	ssize_t got;

	if (n == 0)
		return 0;
	if (in->back)
		return (ssize_t)back_read(in, buf, n);
	if (in->peeked >= 0) {
		((unsigned char *)buf)[0] = (unsigned char)in->peeked;
		in->peeked = -2;
		off = 1;
		if (!in->no_sha)
			sha256_update(&in->sha, 1, buf);
		in->bytes++;
		if (n == 1)
			return 1;
	} else if (in->peeked == -1) {
		return 0;
	}
	if (n - off > 1u << 30)
		n = off + (1u << 30);
	got = data_read(in, (unsigned char *)buf + off, n - off);
	if (got < 0)
		return -1;
	if (got > 0 && !in->no_sha) {
		sha256_update(&in->sha, (size_t)got, (uint8_t *)buf + off);
		in->bytes += (uint64_t)got;
	}
	return (ssize_t)(off + (size_t)got);
}

int
input_peek(struct input *in)
{
	unsigned char c;
	ssize_t got;

	if (in->peeked != -2)
		return in->peeked;
	got = data_read(in, &c, 1);
	/* An error here shows again on the next input_read: peek says end,
	 * the read that follows fails. */
	if (got < 0)
		return -1;
	in->peeked = got == 1 ? c : -1;
	return in->peeked;
}

/*
 * A reader of the n bytes at p, named name, neither hashed nor counted;
 * p must outlive it.  For parsing one piece of a larger input.
 */
struct input *
input_open_mem(const char *name, const void *p, size_t n)
{
	struct input *in = xcalloc(1, sizeof *in);

	in->fd = -1;
	in->name = name;
	in->peeked = -2;
	in->raw_eof = 1;
	in->no_sha = 1;
	if (n) {
		in->back = p;
		in->back_len = n;
	}
	return in;
}

/*
 * Give back n bytes already read (counted and hashed): the next reads
 * return them, then what follows in the input.  Only with nothing given
 * back still unread.
 */
void
input_unread(struct input *in, const void *p, size_t n)
{
	if (!n)
		return;
	in->back_owned = xmalloc(n);
	memcpy(in->back_owned, p, n);
	in->back = in->back_owned;
	in->back_at = 0;
	in->back_len = n;
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
	if (in->gzip)
		inflateEnd(&in->z);
	if (in->fd >= 0)
		close(in->fd);
	free(in->back_owned);
	free(in->raw);
	free(in->path);
	free(in);
}
