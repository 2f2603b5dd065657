/*
 * rx.h - regular expressions matched in linear time.
 *
 * The dialect is POSIX extended regular expressions (ERE) over UTF-8
 * characters, without back-references; see cdp-segment(1).  Patterns
 * compile to a Thompson NFA that is simulated one character at a time
 * (a Pike VM without captures), so a match takes time proportional to
 * the length of the subject times the size of the compiled pattern,
 * which is bounded, and memory fixed at compile time.  No pattern can
 * backtrack.
 */
#ifndef CDP_RX_H
#define CDP_RX_H

#include <stddef.h>

enum {
	RX_MAX_NEST = 100,	/* parentheses */
	RX_MAX_REPEAT = 1000,	/* n in {m,n} */
	RX_MAX_PROG = 10000,	/* instructions after expanding {m,n} */
};

struct rx;

/* Compile pattern (len bytes).  NULL with a message in err (no
 * position, no period) when it is malformed, uses what this dialect
 * lacks (back-references), or would be too large. */
struct rx *rx_compile(const char *pattern, size_t len, char *err, size_t errlen);
/* 1 when the pattern matches anywhere in s[0, n), else 0.  Uses
 * scratch space inside re: one match at a time per compiled pattern. */
int rx_match(struct rx *re, const char *s, size_t n);
void rx_free(struct rx *re);

#endif
