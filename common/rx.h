/*
 * rx.h - regular expressions matched in linear time (RE2 behind a C
 * interface; rx.cc).
 *
 * The dialect is RE2's (see cdp-segment(1)): POSIX extended regular
 * expressions plus Perl's \d \s \w \b and (?:...), (?i) flags, over
 * UTF-8 characters, without back-references.  A match takes time
 * proportional to the subject's length, never backtracks, and uses
 * memory bounded at compile time.
 */
#ifndef CDP_RX_H
#define CDP_RX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	RX_MAX_NEST = 100,		/* parentheses */
	RX_MAX_REPEAT = 1000,		/* n in {m,n}, and products of nested counts (RE2's) */
	RX_MAX_MEM = 8 << 20,		/* bytes for one compiled pattern and its DFA cache */
};

struct rx;

/* Compile pattern (len bytes).  NULL with a message in err (no
 * position, no period) when it is malformed, uses what this dialect
 * lacks (back-references), or would be too large. */
struct rx *rx_compile(const char *pattern, size_t len, char *err, size_t errlen);
/* 1 when the pattern matches anywhere in s[0, n), else 0. */
int rx_match(struct rx *re, const char *s, size_t n);
void rx_free(struct rx *re);

#ifdef __cplusplus
}
#endif

#endif
