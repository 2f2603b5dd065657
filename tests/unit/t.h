/*
 * t.h - the unit-test harness: each tests/unit/test_*.c is a program of
 * named checks printing TAP ("ok 3 - csv: quoted newline").  The runner
 * (tests/run) counts them.  Include once per test program.
 */
#ifndef CDP_T_H
#define CDP_T_H

#include <stdio.h>
#include <string.h>

static int t_count, t_failed;

#define T_CHECK(cond, name) do { \
	t_count++; \
	if (cond) { \
		printf("ok %d - %s\n", t_count, (name)); \
	} else { \
		t_failed++; \
		printf("not ok %d - %s\n#   %s:%d: %s\n", t_count, (name), __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define T_STREQ(got, want, name) do { \
	const char *t_g_ = (got), *t_w_ = (want); \
	int t_ok_ = t_g_ && t_w_ ? strcmp(t_g_, t_w_) == 0 : t_g_ == t_w_; \
	T_CHECK(t_ok_, name); \
	if (!t_ok_) \
		printf("#   got  \"%s\"\n#   want \"%s\"\n", t_g_ ? t_g_ : "(null)", t_w_ ? t_w_ : "(null)"); \
} while (0)

#define T_INTEQ(got, want, name) do { \
	long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
	T_CHECK(t_g_ == t_w_, name); \
	if (t_g_ != t_w_) \
		printf("#   got  %lld\n#   want %lld\n", t_g_, t_w_); \
} while (0)

static int t_done(void) {
	printf("1..%d\n", t_count);
	return t_failed != 0;
}

#endif
