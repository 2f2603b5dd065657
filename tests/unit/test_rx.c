/*
 * test_rx.c - the linear-time regular expressions (common/rx.cc, RE2):
 * agreement with POSIX regexec(3) on the dialect both speak, what only
 * rx speaks, what it refuses, and time on hostile patterns.
 */
#include <regex.h>
#include <stdlib.h>
#include <time.h>

#include "rx.h"
#include "t.h"

static int
rx_says(const char *pat, const char *s)
{
	char err[200];
	struct rx *re = rx_compile(pat, strlen(pat), err, sizeof err);
	int m;

	if (!re)
		return -1;
	m = rx_match(re, s, strlen(s));
	rx_free(re);
	return m;
}

static int
posix_says(const char *pat, const char *s)
{
	regex_t re;
	int m;

	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
		return -1;
	m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static const char *const pats[] = {
	"", "a", "abc", "^abc$", "^a", "c$", "a|b", "^(a|bc)+$", "a*", "^a*$", "a+b", "a?b",
	"x{2}", "^x{2,3}$", "^x{2,}$", "^x{0,1}y$", ".", "^.$", "^...$", "a.c", "[abc]",
	"^[a-c]+$", "[^a-c]", "^[^a-c]*$", "[]x]", "[^]x]", "[a-]", "[[:digit:]]+",
	"^[[:alpha:]_][[:alnum:]_]*$", "[[:space:]]", "[[:upper:]][[:lower:]]",
	"[[:punct:]]", "[[:xdigit:]]{2}", "(ab|a)(bc|c)", "^(a*)*$", "^(a|ab)(c|bcd)$",
	"((a))", "(a|)", "\\.", "\\$", "a\\+", "^\\(x\\)$", "@(gmx|web)\\.de$", "^5",
	"(foo|bar|baz)+qux", "a{1}b{0,2}c", "^(ab)*$", "b*$",
	NULL
};

static const char *const subjects[] = {
	"", "a", "b", "ab", "abc", "abcd", "aaa", "xx", "xxx", "xxxx", "y", "xy", "a.c", "axc",
	"]", "x", "-", "123", "_id9", "9id", " ", "Ab", "AB", "!", "ff", "abcbc", "abcd",
	"a+", "(x)", "anna@gmx.de", "bob@web.de", "c@gmx.dex", "5", "15", "foobarqux", "qux",
	"abbc", "ac", "{", "a{", "a{x}", "ababab", "aba", "bbb", NULL
};

static void
test_agrees_with_posix(void)
{
	int bad = 0, n = 0;

	for (int i = 0; pats[i]; i++) {
		for (int j = 0; subjects[j]; j++) {
			int want = posix_says(pats[i], subjects[j]), got = rx_says(pats[i], subjects[j]);

			n++;
			if (want != got) {
				bad++;
				printf("#   /%s/ on \"%s\": posix %d, rx %d\n", pats[i], subjects[j], want, got);
			}
		}
	}
	T_CHECK(n > 2000 && bad == 0, "rx: agrees with POSIX regexec on the shared dialect");
}

static void
test_utf8_and_extensions(void)
{
	T_INTEQ(rx_says("^.{3}$", "Zoë"), 1, "rx: '.' is one UTF-8 character");
	T_INTEQ(rx_says("^Zo[à-ÿ]$", "Zoë"), 1, "rx: ranges by code point");
	T_INTEQ(rx_says("^[^a]$", "ë"), 1, "rx: negated class takes a whole character");
	/* the store holds only valid UTF-8; an invalid byte is no error,
	 * but no character for '.' either */
	T_INTEQ(rx_says("^a", "a\xff") + rx_says("^a.$", "a\xff"), 1, "rx: invalid UTF-8 in a subject: no error, no character");
	T_INTEQ(rx_says("^\\d+$", "0123"), 1, "rx: \\d");
	T_INTEQ(rx_says("\\D", "0123"), 0, "rx: \\D");
	T_INTEQ(rx_says("^\\w+\\s\\w+$", "Ann Lee"), 1, "rx: \\w \\s");
	T_INTEQ(rx_says("\\bcat\\b", "a cat sat"), 1, "rx: \\b matches at word edges");
	T_INTEQ(rx_says("\\bcat\\b", "concatenate"), 0, "rx: \\b not inside a word");
	T_INTEQ(rx_says("\\Bcat\\B", "concatenate"), 1, "rx: \\B");
	T_INTEQ(rx_says("\\<ca", "a <cat"), 1, "rx: \\< is a literal '<' (no GNU word start)");
	T_INTEQ(rx_says("(?i)^anna@", "ANNA@example.com"), 1, "rx: (?i) ignores case");
	T_INTEQ(rx_says("a\\nb", "a\nb"), 1, "rx: \\n is a newline");
	T_INTEQ(rx_says("a\\tb", "a\tb"), 1, "rx: \\t is a tab");
	T_INTEQ(rx_says("^a.b$", "a\nb"), 1, "rx: '.' matches a newline");
	T_INTEQ(rx_says("(?:ab)+$", "abab"), 1, "rx: (?: ) groups");
	T_INTEQ(rx_says("^a+?$", "aaa"), 1, "rx: a lazy ? changes nothing about whether");
	T_INTEQ(rx_says("a{x}", "a{x}") + rx_says("^{$", "{"), 2, "rx: '{' that starts no bound is literal");
	{
		char s[] = "a\0b", err[200];
		struct rx *re = rx_compile("a.b", 3, err, sizeof err);

		T_INTEQ(re && rx_match(re, s, 3), 1, "rx: subject with a NUL byte by length");
		rx_free(re);
	}
}

static int
rx_err(const char *pat, const char *want)
{
	char err[200];
	struct rx *re = rx_compile(pat, strlen(pat), err, sizeof err);

	if (re) {
		rx_free(re);
		printf("#   /%s/ compiled\n", pat);
		return 0;
	}
	if (!strstr(err, want)) {
		printf("#   /%s/: %s\n", pat, err);
		return 0;
	}
	return 1;
}

static void
test_refused(void)
{
	T_CHECK(rx_err("^(a*)*\\1$", "back-references"), "rx: back-references refused");
	T_CHECK(rx_err("(a{1,32767}){1,32767}", "over 1000"), "rx: huge repetition counts refused");
	T_CHECK(rx_err("(a{1,1000}){1,1000}", "over 1000 in all"), "rx: huge expansions refused");
	T_CHECK(rx_err("(", "missing )"), "rx: missing )");
	T_CHECK(rx_err("a)", "unmatched )"), "rx: unmatched )");
	T_CHECK(rx_err("[a", "unterminated ["), "rx: unterminated [");
	T_CHECK(rx_err("[z-a]", "out of order"), "rx: reversed range");
	T_CHECK(rx_err("[[:nope:]]", "unknown character class"), "rx: unknown class");
	T_CHECK(rx_err("*a", "nothing to repeat"), "rx: leading *");
	T_CHECK(rx_err("a**", "bad repetition **"), "rx: stacked repetition");
	T_CHECK(rx_err("a{3,2}", "minimum above its maximum"), "rx: bad bound");
	T_CHECK(rx_err("a\\", "trailing backslash"), "rx: trailing backslash");
	T_CHECK(rx_err("\\q", "unknown escape"), "rx: unknown letter escape");
	{
		char *deep = malloc(100001 * 2 + 1);

		for (int i = 0; i < 100001; i++) {
			deep[i] = '(';
			deep[100001 + i] = ')';
		}
		deep[200002] = '\0';
		T_CHECK(rx_err(deep, "nested deeper than 100"), "rx: 100,001 nested parentheses refused");
		free(deep);
	}
}

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Each hostile pattern on 1 MiB of 'a' and a '!': its answer, and in
 * under a second of CPU (about 0.1 s here; backtracking engines take
 * hours or exhaust memory). */
static void
test_hostile_patterns_linear(void)
{
	static const struct {
		const char *pat;
		int want;
	} hostile[] = {
		{ "(a+)+$", 0 }, { "^(a|aa)*b", 0 }, { "(x+x+)+y|(a*)*!$", 1 },
		{ "(.*a){20}", 1 }, { "^(a?){25}a{25}$", 0 },
	};
	size_t n = 1 << 20;
	char *s = malloc(n + 2), name[120];

	memset(s, 'a', n);
	s[n] = '!';
	s[n + 1] = '\0';
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		double t0 = secs(), t;
		int m = rx_says(hostile[i].pat, s);

		t = secs() - t0;
		snprintf(name, sizeof name, "rx: /%s/ on 1 MiB: right answer in under a second", hostile[i].pat);
		T_CHECK(m == hostile[i].want && t < 1.0, name);
		printf("#   %.3f s of CPU\n", t);
	}
	free(s);
}

int
main(void)
{
	test_agrees_with_posix();
	test_utf8_and_extensions();
	test_refused();
	test_hostile_patterns_linear();
	return t_done();
}
