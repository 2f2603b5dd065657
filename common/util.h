/*
 * util.h - the small things every cdp program and module leans on:
 * the program name in messages, allocation that cannot return NULL,
 * a growable byte buffer, an arena for batch-lifetime memory, and a
 * string-keyed hash map.
 *
 * Errors: library code (common/) never exits on bad input or I/O.  It
 * records a one-line message with cdp_seterr() and returns -1; the
 * command in cmd/ decides whether to stop, usually with
 * cdp_die(code, "%s", cdp_err()).  Only allocation failure exits from
 * here, since nothing sensible can follow it.
 */
#ifndef CDP_UTIL_H
#define CDP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Exit status, shared by every program and repeated in each man page. */
enum {
	CDP_EXIT_OK = 0,	/* done */
	CDP_EXIT_PARTIAL = 1,	/* done, but rows were rejected */
	CDP_EXIT_FAIL = 2,	/* failed; the store is as it was */
	CDP_EXIT_DUPLICATE = 3,	/* input already imported; nothing done */
	CDP_EXIT_CORRUPT = 4,	/* the store is damaged (verify) */
	CDP_EXIT_USAGE = 64,	/* bad command line */
	CDP_EXIT_LOCKED = 75,	/* store busy: try again later */
};

#define CDP_VERSION "0.1.0"

void cdp_setprogname(const char *argv0);
const char *cdp_progname(void);

/* Messages go to stderr as "prog: message". */
void cdp_die(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void cdp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last error recorded by library code in this thread. */
int cdp_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *cdp_err(void);
/*
 * Record an error that means the store is damaged (a bad checksum, a
 * cut file, a manifest naming what it must not).  The mark stays for
 * the process: once a program has met damage, cdp_die(CDP_EXIT_FAIL)
 * exits CDP_EXIT_CORRUPT (4) instead, since the damage is what the user
 * must act on.  cdp_damaged() says whether it happened.
 */
int cdp_setdamage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cdp_damaged(void);

/* Close stdout and die if anything written to it was lost. */
void cdp_close_stdout(void);

/* The seconds of a writer's --wait option; dies with a usage error otherwise. */
int cdp_wait_seconds(const char *arg);

/* Print "prog version" and exit 0: every program's --version. */
void cdp_print_version(void) __attribute__((noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable byte buffer; buf is always NUL-terminated when cap > 0. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
#define STRBUF_INIT { NULL, 0, 0 }
void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *p, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, int c);
void sb_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* Take ownership of the buffer; sb is left empty. */
char *sb_detach(struct strbuf *sb, size_t *len);

/* Little-endian fixed-width and LEB128 varint helpers. */
void sb_put_u32(struct strbuf *sb, uint32_t v);
void sb_put_u64(struct strbuf *sb, uint64_t v);
void sb_put_varint(struct strbuf *sb, uint64_t v);
void sb_put_bytes(struct strbuf *sb, const void *p, size_t n); /* varint len + bytes */
uint32_t get_u32(const unsigned char *p);
uint64_t get_u64(const unsigned char *p);

/*
 * A cursor over a byte range; every get checks bounds and sets err on
 * overrun, so decoding hostile bytes never reads outside the range.
 */
struct cursor {
	const unsigned char *p, *end;
	int err;
};
uint64_t cur_varint(struct cursor *c);
uint8_t cur_u8(struct cursor *c);
/* A varint length then that many bytes; returns a pointer into the range. */
const char *cur_bytes(struct cursor *c, size_t *len);

static inline uint64_t zigzag_enc(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t zigzag_dec(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Arena: many small allocations freed at once. */
struct arena {
	struct arena_block *head;
	size_t used_total;
};
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

/*
 * strmap: open-addressing map from byte strings to an int value.  Keys
 * are copied into the map's own arena.  Used for column names,
 * dictionaries and identifier tables.
 */
struct strmap {
	struct strmap_slot *slots;
	size_t cap, count;
	struct arena keys;
};
uint64_t hash_bytes(const void *p, size_t n);
/* Returns the value for key or -1. */
long strmap_get(const struct strmap *m, const char *key, size_t len);
/* Inserts key with value if absent; returns the value now stored. */
long strmap_put(struct strmap *m, const char *key, size_t len, long value);
void strmap_free(struct strmap *m);

/* qsort comparison of doubles. */
int double_cmp(const void *a, const void *b);
/*
 * Quintile score 1..5 of x among n sorted values; equal values score
 * alike.  The RFM scores of cdp-merge and cdp-report both come from it.
 */
int quintile_score(const double *sorted, size_t n, double x);

int utf8_valid(const unsigned char *s, size_t n);
/* Lower-case ASCII letters in place. */
void ascii_lower(char *s, size_t n);

/*
 * SIGINT, SIGTERM and SIGHUP set cdp_interrupted instead of killing the
 * program, so long work stops at a clean point and undoes what it had
 * not committed.
 */
#include <signal.h>
extern volatile sig_atomic_t cdp_interrupted;
void cdp_catch_signals(void);

/* Monotonic seconds, for timing summaries. */
double now_seconds(void);

/* A set of 64-bit keys (0 is stored out of band); for hashed ids. */
struct u64set {
	uint64_t *slots;
	size_t cap, count;
	int has_zero;
};
/* Returns 1 if key was already present, 0 if it was added. */
int u64set_add(struct u64set *s, uint64_t key);
int u64set_has(const struct u64set *s, uint64_t key);
void u64set_free(struct u64set *s);

/*
 * For "did you mean": the edit distance of a and b (ASCII case ignored),
 * and the name of names[0..n) closest to word if it is within a typo's
 * reach (1 edit for words of up to 4 bytes, else a third of the word
 * plus 1), else NULL.
 */
size_t cdp_edit_distance(const char *a, const char *b);
const char *cdp_did_you_mean(const char *word, const char *const *names, size_t n);

#endif
