/*
 * util.c - messages, checked allocation, strbuf, arena, strmap.
 */
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static const char *progname = "cdp";
volatile sig_atomic_t cdp_interrupted;
static _Thread_local char errbuf[1024];
static volatile sig_atomic_t damaged;

void
cdp_setprogname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
	/*
	 * Column buffers grow by doubling to hundreds of megabytes.  Blocks
	 * of 1 MiB and more come straight from mmap, so realloc moves them
	 * with mremap instead of copying every byte.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

const char *
cdp_progname(void)
{
	return progname;
}

void
cdp_die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (code == CDP_EXIT_FAIL && damaged)
		code = CDP_EXIT_CORRUPT;
	exit(code);
}

void
cdp_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cdp_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return -1;
}

int
cdp_setdamage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	damaged = 1;
	return -1;
}

int
cdp_damaged(void)
{
	return damaged;
}

const char *
cdp_err(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

void
cdp_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno == EPIPE)
			exit(CDP_EXIT_OK);
		cdp_die(CDP_EXIT_FAIL, "write error on standard output: %s", strerror(errno));
	}
}

int
cdp_wait_seconds(const char *arg)
{
	char *end;
	long w = strtol(arg, &end, 10);

	if (end == arg || *end || w < 0 || w > 86400 * 366)
		cdp_die(CDP_EXIT_USAGE, "--wait wants a number of seconds, not '%s'", arg);
	return (int)w;
}

void
cdp_print_version(void)
{
	printf("%s (cdp) %s\n", progname, CDP_VERSION);
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

static void
oom(size_t n)
{
	cdp_die(CDP_EXIT_FAIL, "out of memory (%zu bytes)", n);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
sb_grow(struct strbuf *sb, size_t extra)
{
	size_t want;

	if (extra > SIZE_MAX - sb->len - 1)
		oom(SIZE_MAX);
	want = sb->len + extra + 1;
	if (want <= sb->cap)
		return;
	if (want < sb->cap * 2)
		want = sb->cap * 2;
	if (want < 64)
		want = 64;
	sb->buf = xrealloc(sb->buf, want);
	sb->cap = want;
}

void
sb_add(struct strbuf *sb, const void *p, size_t n)
{
	sb_grow(sb, n);
	if (n)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void
sb_addc(struct strbuf *sb, int c)
{
	if (sb->len + 1 >= sb->cap)
		sb_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void
sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char probe[1];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(probe, sizeof probe, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *
sb_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (!sb->buf)
		sb_grow(sb, 0);
	p = sb->buf;
	if (len)
		*len = sb->len;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void
sb_put_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	sb_add(sb, b, 4);
}

void
sb_put_u64(struct strbuf *sb, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	sb_add(sb, b, 8);
}

void
sb_put_varint(struct strbuf *sb, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;

	while (v >= 0x80) {
		b[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (unsigned char)v;
	sb_add(sb, b, n);
}

void
sb_put_bytes(struct strbuf *sb, const void *p, size_t n)
{
	sb_put_varint(sb, n);
	sb_add(sb, p, n);
}

uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

uint64_t
cur_varint(struct cursor *c)
{
	uint64_t v = 0;
	int shift = 0;

	while (c->p < c->end && shift < 64) {
		unsigned char b = *c->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	c->err = 1;
	return 0;
}

uint8_t
cur_u8(struct cursor *c)
{
	if (c->p >= c->end) {
		c->err = 1;
		return 0;
	}
	return *c->p++;
}

const char *
cur_bytes(struct cursor *c, size_t *len)
{
	uint64_t n = cur_varint(c);
	const char *p;

	if (c->err || n > (uint64_t)(c->end - c->p)) {
		c->err = 1;
		*len = 0;
		return "";
	}
	p = (const char *)c->p;
	c->p += n;
	*len = (size_t)n;
	return p;
}

/* Arena blocks are at least 64 KiB; big requests get a block of their own. */
struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t align = sizeof(max_align_t);

	n = (n + align - 1) & ~(align - 1);
	if (!b || b->size - b->used < n) {
		size_t size = n > 65536 ? n : 65536;

		b = xmalloc(sizeof *b + size);
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	b->used += n;
	a->used_total += n;
	return (char *)b->data + b->used - n;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used_total = 0;
}

/* FNV-1a, 64-bit, with a final avalanche: fast and good enough for tables. */
uint64_t
hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct strmap_slot {
	const char *key;
	size_t len;
	uint64_t hash;
	long value;
};

static struct strmap_slot *
strmap_find(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t i = h & (m->cap - 1);

	for (;;) {
		struct strmap_slot *s = &m->slots[i];

		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

long
strmap_get(const struct strmap *m, const char *key, size_t len)
{
	struct strmap_slot *s;

	if (!m->cap)
		return -1;
	s = strmap_find(m, key, len, hash_bytes(key, len));
	return s->key ? s->value : -1;
}

long
strmap_put(struct strmap *m, const char *key, size_t len, long value)
{
	uint64_t h = hash_bytes(key, len);
	struct strmap_slot *s;

	if ((m->count + 1) * 4 >= m->cap * 3) {
		size_t oldcap = m->cap, newcap = oldcap ? oldcap * 2 : 16;
		struct strmap_slot *old = m->slots;

		m->slots = xcalloc(newcap, sizeof *m->slots);
		m->cap = newcap;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].key)
				*strmap_find(m, old[i].key, old[i].len, old[i].hash) = old[i];
		free(old);
	}
	s = strmap_find(m, key, len, h);
	if (s->key)
		return s->value;
	s->key = arena_strndup(&m->keys, key, len);
	s->len = len;
	s->hash = h;
	s->value = value;
	m->count++;
	return value;
}

void
strmap_free(struct strmap *m)
{
	free(m->slots);
	arena_free(&m->keys);
	m->slots = NULL;
	m->cap = m->count = 0;
}

int
double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
quintile_score(const double *sorted, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sorted[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1 + (int)(lo * 5 / n);
}

int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k + 1;
	}
	return 1;
}

void
ascii_lower(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] + 32);
}

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
u64set_slot(const struct u64set *s, uint64_t key)
{
	size_t i = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 17) & (s->cap - 1);

	while (s->slots[i] && s->slots[i] != key)
		i = (i + 1) & (s->cap - 1);
	return i;
}

int
u64set_add(struct u64set *s, uint64_t key)
{
	size_t i;

	if (key == 0) {
		int had = s->has_zero;

		s->has_zero = 1;
		return had;
	}
	if ((s->count + 1) * 2 > s->cap) {
		uint64_t *old = s->slots;
		size_t oldcap = s->cap;

		s->cap = oldcap ? oldcap * 2 : 1024;
		s->slots = xcalloc(s->cap, sizeof *s->slots);
		for (size_t k = 0; k < oldcap; k++)
			if (old[k])
				s->slots[u64set_slot(s, old[k])] = old[k];
		free(old);
	}
	i = u64set_slot(s, key);
	if (s->slots[i])
		return 1;
	s->slots[i] = key;
	s->count++;
	return 0;
}

int
u64set_has(const struct u64set *s, uint64_t key)
{
	if (key == 0)
		return s->has_zero;
	return s->cap && s->slots[u64set_slot(s, key)] == key;
}

void
u64set_free(struct u64set *s)
{
	free(s->slots);
	memset(s, 0, sizeof *s);
}

static void
on_signal(int sig)
{
	(void)sig;
	cdp_interrupted = 1;
}

void
cdp_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

size_t
cdp_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row, r;

	row = xcalloc(lb + 1, sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

const char *
cdp_did_you_mean(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, len = strlen(word), limit = len <= 4 ? 1 : len / 3 + 1;

	for (size_t i = 0; i < n; i++) {
		size_t d = cdp_edit_distance(word, names[i]);

		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return bestd <= limit ? best : NULL;
}
