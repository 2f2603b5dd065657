/*
 * fsmatch_fold.c - text folding and phonetic keys for record matching.
 *
 * Folding maps the spellings one person's name takes in different
 * systems to one string: case, Latin diacritics (Latin-1 and Latin
 * Extended-A, plus the Romanian comma letters) and the German and
 * Nordic transliterations (ü = ue, ö = oe = ø, ä = ae = æ, å = aa).
 * The digraph step runs on both sides of every comparison, so a name
 * that merely contains "ue" (Samuel -> "samul") still meets itself.
 */
#include <string.h>
#include "fsmatch.h"

/* The ASCII letters of U+0100..U+017F, by ranges of one letter. */
static const struct {
	unsigned short from, to;
	const char *ascii;
} ext_a[] = {
	{ 0x100, 0x105, "a" }, { 0x106, 0x10d, "c" }, { 0x10e, 0x111, "d" },
	{ 0x112, 0x11b, "e" }, { 0x11c, 0x123, "g" }, { 0x124, 0x127, "h" },
	{ 0x128, 0x131, "i" }, { 0x132, 0x133, "ij" }, { 0x134, 0x135, "j" },
	{ 0x136, 0x138, "k" }, { 0x139, 0x142, "l" }, { 0x143, 0x14b, "n" },
	{ 0x14c, 0x151, "o" }, { 0x152, 0x153, "oe" }, { 0x154, 0x159, "r" },
	{ 0x15a, 0x161, "s" }, { 0x162, 0x167, "t" }, { 0x168, 0x173, "u" },
	{ 0x174, 0x175, "w" }, { 0x176, 0x178, "y" }, { 0x179, 0x17e, "z" },
	{ 0x17f, 0x17f, "s" }, { 0x218, 0x219, "s" }, { 0x21a, 0x21b, "t" },
};

/* U+00C0..U+00FF, upper and lower case alike (index & 0x1f). */
static const char *const latin1[32] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
};

/* The ASCII spelling of code point cp, NULL if none is known. */
static const char *
fold_cp(unsigned cp)
{
	if (cp >= 0xc0 && cp <= 0xff) {
		if (cp == 0xdf)
			return "ss";
		if (cp == 0xf7)
			return "";
		if (cp == 0xff)
			return "y";
		return latin1[cp & 0x1f];
	}
	for (size_t i = 0; i < sizeof ext_a / sizeof ext_a[0]; i++)
		if (cp >= ext_a[i].from && cp <= ext_a[i].to)
			return ext_a[i].ascii;
	return NULL;
}

/* Decode one UTF-8 sequence at s; returns its length (1 for a bad byte). */
static size_t
utf8_decode(const unsigned char *s, unsigned *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
		*cp = (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		*cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
	    (s[3] & 0xc0) == 0x80) {
		*cp = 0x10000;	/* beyond what folding knows; kept as bytes */
		return 4;
	}
	*cp = 0xfffd;
	return 1;
}

/* Append n bytes if they fit whole (else 0); a space only between words. */
static int
put(char *out, size_t outsz, size_t *len, const char *s, size_t n)
{
	if (n == 1 && s[0] == ' ' && (*len == 0 || out[*len - 1] == ' '))
		return 1;
	if (*len + n >= outsz)
		return 0;
	memcpy(out + *len, s, n);
	*len += n;
	return 1;
}

/* ae oe ue aa -> a o u a, in place. */
static size_t
fold_digraphs(char *s, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		s[j++] = s[i];
		if (i + 1 < n && ((s[i + 1] == 'e' && (s[i] == 'a' || s[i] == 'o' || s[i] == 'u')) ||
		    (s[i] == 'a' && s[i + 1] == 'a')))
			i++;
	}
	s[j] = '\0';
	return j;
}

/*
 * Folding runs in a buffer of its own and cuts only at the end, so a
 * name cut short folds the same whichever spelling it came in
 * ("Juergen" and "Jürgen" in 5 bytes are both "jurge").
 */
#define FOLD_MAX 256

/* Fold in to buf (FOLD_MAX bytes) without the digraph step; returns the length. */
static size_t
fold_chars(const unsigned char *s, char *buf)
{
	size_t len = 0;
	int room = 1;

	while (*s && room) {
		unsigned cp;
		size_t k = utf8_decode(s, &cp);
		const char *a;

		if (cp < 0x80) {
			char c = (char)cp;

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				room = put(buf, FOLD_MAX, &len, &c, 1);
			else if (c != '\'' && c != '.')
				room = put(buf, FOLD_MAX, &len, " ", 1);	/* "-", ",", "/" part words */
		} else if ((a = fold_cp(cp)) != NULL) {
			room = put(buf, FOLD_MAX, &len, a, strlen(a));
		} else if (cp != 0xfffd) {
			room = put(buf, FOLD_MAX, &len, (const char *)s, k);
		}
		s += k;
	}
	buf[len] = '\0';
	return len;
}

size_t
fs_fold(const char *in, char *out, size_t outsz)
{
	char buf[FOLD_MAX];
	size_t len;

	if (outsz == 0)
		return 0;
	len = fold_digraphs(buf, fold_chars((const unsigned char *)(in ? in : ""), buf));
	if (len > outsz - 1) {
		len = outsz - 1;
		while (len > 0 && ((unsigned char)buf[len] & 0xc0) == 0x80)
			len--;	/* not inside a character of a script kept as is */
	}
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	memcpy(out, buf, len);
	out[len] = '\0';
	return len;
}

static char
soundex_code(char c)
{
	switch (c) {
	case 'b': case 'f': case 'p': case 'v':
		return '1';
	case 'c': case 'g': case 'j': case 'k': case 'q': case 's': case 'x': case 'z':
		return '2';
	case 'd': case 't':
		return '3';
	case 'l':
		return '4';
	case 'm': case 'n':
		return '5';
	case 'r':
		return '6';
	case 'h': case 'w':
		return 'h';	/* no code, and does not part equal codes */
	default:
		return '0';	/* vowels: no code, but part equal codes */
	}
}

void
fs_soundex(const char *folded, char out[5])
{
	const char *p = folded;
	char last;
	int n = 1;

	while (*p && !(*p >= 'a' && *p <= 'z'))
		p++;
	if (!*p) {
		out[0] = '\0';
		return;
	}
	out[0] = *p;
	last = soundex_code(*p++);
	for (; *p && n < 4; p++) {
		char c;

		if (!(*p >= 'a' && *p <= 'z'))
			continue;
		c = soundex_code(*p);
		if (c == 'h')
			continue;
		if (c != '0' && c != last)
			out[n++] = c;
		last = c;
	}
	while (n < 4)
		out[n++] = '0';
	out[4] = '\0';
}
