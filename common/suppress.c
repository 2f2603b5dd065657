/*
 * suppress.c - the store's secret and its suppression list.
 *
 * Invariants: the secret file is written once, durably, before any
 * hash made with it is written anywhere, so every hash on disk can be
 * recomputed; the list file is only ever replaced whole, so a reader
 * sees the old list or the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <nettle/hmac.h>

#include "fileio.h"
#include "suppress.h"

#define SECRET_FILE "secret"
#define SUPPRESS_FILE "suppress"

void
suppress_hmac(const uint8_t key[SUPPRESS_KEYLEN], const char *value, size_t len,
    char hex[SUPPRESS_HEXLEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	struct hmac_sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&ctx, SUPPRESS_KEYLEN, key);
	hmac_sha256_update(&ctx, len, (const uint8_t *)value);
	hmac_sha256_digest(&ctx, sizeof d, d);
	for (size_t i = 0; i < sizeof d; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[SUPPRESS_HEXLEN] = '\0';
}

int
suppress_secret(struct store *st, uint8_t key[SUPPRESS_KEYLEN], int create)
{
	char *path = store_path(st, SECRET_FILE);
	struct strbuf sb = STRBUF_INIT;
	int r = -1;

	if (io_read_file(path, &sb) == 0) {
		if (sb.len != SUPPRESS_KEYLEN) {
			cdp_seterr("%s: damaged secret (%zu bytes, want %d)", path, sb.len,
			    SUPPRESS_KEYLEN);
			goto out;
		}
		memcpy(key, sb.buf, SUPPRESS_KEYLEN);
		r = 1;
		goto out;
	}
	if (errno != ENOENT) {
		cdp_seterr("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!create) {
		r = 0;
		goto out;
	}
	/* getrandom without GRND_NONBLOCK waits for the pool once at boot,
	 * then never blocks; a short read only happens when interrupted. */
	for (size_t got = 0; got < SUPPRESS_KEYLEN;) {
		ssize_t k = getrandom(key + got, SUPPRESS_KEYLEN - got, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			cdp_seterr("%s: cannot make a secret: %s", path, strerror(errno));
			goto out;
		}
		got += (size_t)k;
	}
	/* Written with mode 0600 and fsync'd before any hash made with it. */
	if (io_replace_file(st->dir, SECRET_FILE, key, SUPPRESS_KEYLEN) < 0)
		goto out;
	r = 1;
out:
	sb_free(&sb);
	free(path);
	return r;
}

static void
line_key(struct strbuf *sb, const char *type, const char *hex)
{
	sb_reset(sb);
	sb_adds(sb, type);
	sb_addc(sb, ' ');
	sb_adds(sb, hex);
}

/* Add "TYPE HEX" (already formatted); 1 if it was not there. */
static int
add_line(struct suppress *s, const char *line, size_t len)
{
	long idx = strmap_get(&s->set, line, len);

	if (idx >= 0) {
		if (!s->removed[idx])
			return 0;
		s->removed[idx] = 0;
		s->live++;
		return 1;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->lines = xreallocarray(s->lines, s->cap, sizeof *s->lines);
		s->removed = xreallocarray(s->removed, s->cap, 1);
	}
	s->lines[s->n] = xstrndup(line, len);
	s->removed[s->n] = 0;
	strmap_put(&s->set, line, len, (long)s->n);
	s->n++;
	s->live++;
	return 1;
}

int
suppress_load(struct store *st, struct suppress *s)
{
	char *path;
	struct strbuf sb = STRBUF_INIT;
	int r;

	memset(s, 0, sizeof *s);
	r = suppress_secret(st, s->key, 0);
	if (r < 0)
		return -1;
	s->has_key = r;
	path = store_path(st, SUPPRESS_FILE);
	if (io_read_file(path, &sb) < 0) {
		r = errno == ENOENT ? 0 : cdp_seterr("%s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
	for (char *p = sb.buf, *end = sb.buf + sb.len; p && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *sp = memchr(p, ' ', len);

		if (len && *p != '#') {
			/* "TYPE HEX": a hex digest of exactly 64 digits */
			if (!sp || (size_t)(p + len - sp - 1) != SUPPRESS_HEXLEN) {
				r = cdp_seterr("%s: malformed line '%.*s'", path, (int)(len > 80 ? 80 : len), p);
				break;
			}
			add_line(s, p, len);
		}
		p = nl ? nl + 1 : NULL;
	}
	if (r == 0 && s->live && !s->has_key)
		r = cdp_seterr("%s: suppression list without the store's secret", path);
out:
	sb_free(&sb);
	free(path);
	if (r < 0)
		suppress_free(s);
	return r;
}

int
suppress_has(const struct suppress *s, const char *type, const char *value, size_t len)
{
	char hex[SUPPRESS_HEXLEN + 1];
	char key[64 + SUPPRESS_HEXLEN + 2];
	size_t tlen = strlen(type);
	long idx;

	/* The common case, no suppressions, costs no hashing at all. */
	if (!s->live || !s->has_key || tlen > 64)
		return 0;
	suppress_hmac(s->key, value, len, hex);
	memcpy(key, type, tlen);
	key[tlen] = ' ';
	memcpy(key + tlen + 1, hex, SUPPRESS_HEXLEN);
	idx = strmap_get(&s->set, key, tlen + 1 + SUPPRESS_HEXLEN);
	return idx >= 0 && !s->removed[idx];
}

int
suppress_add(struct suppress *s, const char *type, const char *value, size_t len)
{
	char hex[SUPPRESS_HEXLEN + 1];
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (!s->has_key)
		return cdp_seterr("suppression list: no secret");
	suppress_hmac(s->key, value, len, hex);
	line_key(&sb, type, hex);
	r = add_line(s, sb.buf, sb.len);
	sb_free(&sb);
	return r;
}

int
suppress_remove(struct suppress *s, const char *type, const char *value, size_t len)
{
	char hex[SUPPRESS_HEXLEN + 1];
	struct strbuf sb = STRBUF_INIT;
	long idx;

	if (!s->has_key)
		return 0;
	suppress_hmac(s->key, value, len, hex);
	line_key(&sb, type, hex);
	idx = strmap_get(&s->set, sb.buf, sb.len);
	sb_free(&sb);
	if (idx < 0 || s->removed[idx])
		return 0;
	s->removed[idx] = 1;
	s->live--;
	return 1;
}

int
suppress_save(struct store *st, const struct suppress *s)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	sb_adds(&sb, "# cdp suppression list: TYPE HMAC-SHA256(store secret, normalized value)\n");
	for (size_t i = 0; i < s->n; i++) {
		if (s->removed[i])
			continue;
		sb_adds(&sb, s->lines[i]);
		sb_addc(&sb, '\n');
	}
	r = io_replace_file(st->dir, SUPPRESS_FILE, sb.buf, sb.len);
	sb_free(&sb);
	return r;
}

void
suppress_free(struct suppress *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->lines);
	free(s->removed);
	strmap_free(&s->set);
	/* the secret must not linger in freed memory */
	explicit_bzero(s->key, sizeof s->key);
	memset(s, 0, sizeof *s);
}
