/*
 * rx.cc - regular expressions in linear time, through RE2.
 *
 * RE2 compiles a pattern to an automaton and never backtracks: a match
 * takes time proportional to the subject's length (times the pattern's
 * size, when its lazy DFA falls back to the NFA), and memory bounded by
 * the max_mem given at compile time.  Patterns that would need
 * backtracking (back-references) are refused when compiled.  This file
 * only adapts RE2 to rx.h's C interface and words its errors.
 */
#include <re2/re2.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "rx.h"

struct rx {
	RE2 *re;
};

/* The message for a pattern RE2 refused, in cdp's words. */
static void
rx_error(const RE2 &re, char *err, size_t errlen)
{
	const std::string &arg = re.error_arg();

	switch (re.error_code()) {
	case RE2::ErrorBadEscape:
		if (arg.size() == 2 && arg[1] >= '1' && arg[1] <= '9')
			snprintf(err, errlen, "back-references (%s) are not supported", arg.c_str());
		else
			snprintf(err, errlen, "unknown escape %s", arg.c_str());
		return;
	case RE2::ErrorRepeatSize:
		snprintf(err, errlen, "bad repetition count %s (a minimum above its maximum, "
		    "or over %d in all)", arg.c_str(), RX_MAX_REPEAT);
		return;
	case RE2::ErrorPatternTooLarge:
		snprintf(err, errlen, "pattern too large");
		return;
	case RE2::ErrorMissingParen:
		snprintf(err, errlen, "missing ) in %s", arg.c_str());
		return;
	case RE2::ErrorUnexpectedParen:
		snprintf(err, errlen, "unmatched ) in %s", arg.c_str());
		return;
	case RE2::ErrorMissingBracket:
		snprintf(err, errlen, "unterminated [ in %s", arg.c_str());
		return;
	case RE2::ErrorBadCharRange:
		if (arg.compare(0, 2, "[:") == 0)
			snprintf(err, errlen, "unknown character class %s", arg.c_str());
		else
			snprintf(err, errlen, "range out of order: %s", arg.c_str());
		return;
	case RE2::ErrorBadCharClass:
		snprintf(err, errlen, "unknown character class %s", arg.c_str());
		return;
	case RE2::ErrorRepeatArgument:
		snprintf(err, errlen, "nothing to repeat before %s", arg.c_str());
		return;
	case RE2::ErrorRepeatOp:
		snprintf(err, errlen, "bad repetition %s", arg.c_str());
		return;
	case RE2::ErrorTrailingBackslash:
		snprintf(err, errlen, "trailing backslash");
		return;
	default:
		snprintf(err, errlen, "%s", re.error().c_str());
		return;
	}
}

/* RE2's parser nests without bound on the stack of its walkers: refuse
 * deep patterns before RE2 sees them. */
static int
rx_too_deep(const char *p, size_t len)
{
	int depth = 0, in_class = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\') {
			i++;
		} else if (in_class) {
			in_class = p[i] != ']';
		} else if (p[i] == '[') {
			in_class = 1;
			if (i + 1 < len && p[i + 1] == '^')
				i++;
			if (i + 1 < len && p[i + 1] == ']')
				i++;	/* a leading ']' is literal */
		} else if (p[i] == '(' && ++depth > RX_MAX_NEST) {
			return 1;
		} else if (p[i] == ')' && depth > 0) {
			depth--;
		}
	}
	return 0;
}

extern "C" struct rx *
rx_compile(const char *pattern, size_t len, char *err, size_t errlen)
{
	RE2::Options opt;
	struct rx *r;

	if (rx_too_deep(pattern, len)) {
		snprintf(err, errlen, "parentheses nested deeper than %d", RX_MAX_NEST);
		return NULL;
	}
	opt.set_log_errors(false);
	opt.set_dot_nl(true);		/* as POSIX: '.' matches a newline too */
	opt.set_never_capture(true);	/* only whether it matches */
	opt.set_max_mem(RX_MAX_MEM);
	try {
		r = new rx;
		r->re = new RE2(re2::StringPiece(pattern, len), opt);
	} catch (const std::bad_alloc &) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!r->re->ok()) {
		rx_error(*r->re, err, errlen);
		rx_free(r);
		return NULL;
	}
	return r;
}

extern "C" int
rx_match(struct rx *r, const char *s, size_t n)
{
	return RE2::PartialMatch(re2::StringPiece(s, n), *r->re) ? 1 : 0;
}

extern "C" void
rx_free(struct rx *r)
{
	if (r) {
		delete r->re;
		delete r;
	}
}
