/*
 * fsmatch_compare.c - string similarity (Jaro-Winkler, bounded edit
 * distance), record preparation, and the level each comparison takes
 * for a pair.  The levels and their order are documented in
 * man/cdp-match.5; a pair's comparison allocates nothing.
 */
#include <stdlib.h>
#include <string.h>
#include "fsmatch.h"
#include "util.h"

#define JW_MAX 64	/* longer strings are compared on their first 64 bytes */

double
fs_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen)
{
	uint64_t amatch = 0, bmatch = 0;
	size_t window, matches = 0, half_t = 0, prefix = 0, k = 0;
	double jaro;

	if (alen > JW_MAX)
		alen = JW_MAX;
	if (blen > JW_MAX)
		blen = JW_MAX;
	if (alen == 0 || blen == 0)
		return alen == blen ? 1.0 : 0.0;
	window = (alen > blen ? alen : blen) / 2;
	window = window > 0 ? window - 1 : 0;
	for (size_t i = 0; i < alen; i++) {
		size_t lo = i > window ? i - window : 0;
		size_t hi = i + window + 1 < blen ? i + window + 1 : blen;

		for (size_t j = lo; j < hi; j++)
			if (!(bmatch >> j & 1) && a[i] == b[j]) {
				amatch |= (uint64_t)1 << i;
				bmatch |= (uint64_t)1 << j;
				matches++;
				break;
			}
	}
	if (matches == 0)
		return 0.0;
	for (size_t i = 0; i < alen; i++) {
		if (!(amatch >> i & 1))
			continue;
		while (!(bmatch >> k & 1))
			k++;
		half_t += a[i] != b[k];
		k++;
	}
	jaro = ((double)matches / alen + (double)matches / blen +
	    (matches - half_t / 2.0) / matches) / 3.0;
	while (prefix < 4 && prefix < alen && prefix < blen && a[prefix] == b[prefix])
		prefix++;
	/* Winkler's boost only for strings already alike, as he defined it. */
	return jaro > 0.7 ? jaro + prefix * 0.1 * (1.0 - jaro) : jaro;
}

int
fs_edit_distance_max(const char *a, const char *b, int max)
{
	int row[2][JW_MAX + 1];
	size_t n = strlen(a), m = strlen(b);
	int *prev = row[0], *cur = row[1];

	if (n > JW_MAX)
		n = JW_MAX;
	if (m > JW_MAX)
		m = JW_MAX;
	if ((n > m ? n - m : m - n) > (size_t)max)
		return max + 1;
	for (size_t j = 0; j <= m; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		int best;

		cur[0] = (int)i;
		best = cur[0];
		for (size_t j = 1; j <= m; j++) {
			int d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
			if (d < best)
				best = d;
		}
		if (best > max)
			return max + 1;
		int *t = prev;
		prev = cur;
		cur = t;
	}
	return prev[m] > max ? max + 1 : prev[m];
}

static double
jw(const char *a, const char *b)
{
	return fs_jaro_winkler(a, strlen(a), b, strlen(b));
}

/* ---- preparation ---- */

/* Append n bytes of s to the string out (size outsz), cutting what does not fit. */
static void
append(char *out, size_t outsz, const char *s, size_t n)
{
	size_t len = strlen(out);

	if (len + n >= outsz)
		n = outsz - len - 1;
	memcpy(out + len, s, n);
	out[len + n] = '\0';
}

static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/* YYYY-MM-DD[...], YYYYMMDD or DD.MM.YYYY; anything else is missing. */
static void
prepare_date(const char *s, struct fs_rec *r)
{
	int y = 0, m = 0, d = 0, ok = 0;
	size_t n = s ? strlen(s) : 0;

	if (n >= 10 && s[4] == '-' && s[7] == '-')
		ok = digits(s, 4, &y) && digits(s + 5, 2, &m) && digits(s + 8, 2, &d);
	else if (n == 8)
		ok = digits(s, 4, &y) && digits(s + 4, 2, &m) && digits(s + 6, 2, &d);
	else if (n == 10 && s[2] == '.' && s[5] == '.')
		ok = digits(s, 2, &d) && digits(s + 3, 2, &m) && digits(s + 6, 4, &y);
	if (!ok || y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		y = m = d = 0;
	r->year = (int16_t)y;
	r->month = (int8_t)m;
	r->day = (int8_t)d;
}

/*
 * Street types to one spelling, long form to short ("strasse" -> "str",
 * "street" -> "st"); the long forms also as the end of a compound word
 * ("hauptstrasse").  Folded spellings: "avenue" is "avenu".
 */
static const char *const street_abbrev[][2] = {
	{ "strasse", "str" }, { "strat", "str" }, { "platz", "pl" },
	{ "street", "st" }, { "road", "rd" }, { "avenu", "ave" }, { "av", "ave" },
	{ "lane", "ln" }, { "drive", "dr" }, { "place", "pl" }, { "court", "ct" },
	{ "boulevard", "blvd" }, { "square", "sq" },
};

/*
 * Append a street word without a space (so "haupt str" and "hauptstr"
 * meet), its street type abbreviated.
 */
static void
street_word(char *out, size_t outsz, const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof street_abbrev / sizeof street_abbrev[0]; i++) {
		size_t k = strlen(street_abbrev[i][0]);

		if (n >= k && memcmp(w + n - k, street_abbrev[i][0], k) == 0 &&
		    (n == k || i < 3)) {
			append(out, outsz, w, n - k);
			append(out, outsz, street_abbrev[i][1], strlen(street_abbrev[i][1]));
			return;
		}
	}
	append(out, outsz, w, n);
}

/* "Hauptstraße 12 a" -> street "hauptstr", house "12a"; "12 High St" alike. */
static void
prepare_street(const char *s, struct fs_rec *r)
{
	char buf[96];
	const char *p = buf;
	int have_house = 0;

	fs_fold(s, buf, sizeof buf);
	r->street[0] = r->house[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, " ");

		if (!have_house && *p >= '0' && *p <= '9') {
			/* a lone letter after the number belongs to it: "12 a" */
			int letter = p[n] == ' ' && p[n + 1] >= 'a' && p[n + 1] <= 'z' &&
			    (p[n + 2] == ' ' || p[n + 2] == '\0');

			append(r->house, sizeof r->house, p, n);
			if (letter)
				append(r->house, sizeof r->house, p + n + 1, 1);
			n += letter ? 2 : 0;
			have_house = 1;
		} else {
			street_word(r->street, sizeof r->street, p, n);
		}
		p += n;
		p += *p == ' ';
	}
}

/* The last 9 digits (national and international forms meet there). */
static void
prepare_phone(const char *s, struct fs_rec *r)
{
	char d[32];
	size_t n = 0;

	for (; s && *s && n < sizeof d; s++)
		if (*s >= '0' && *s <= '9')
			d[n++] = *s;
	if (n < 7) {
		r->phone[0] = '\0';
		return;
	}
	size_t from = n > 9 ? n - 9 : 0;
	memcpy(r->phone, d + from, n - from);
	r->phone[n - from] = '\0';
}

/* Local part (lower case, "+tag" dropped) and domain; missing without "@". */
static void
prepare_email(const char *s, struct fs_rec *r)
{
	const char *at = s ? strrchr(s, '@') : NULL;
	size_t n;

	r->email_local[0] = r->email_domain[0] = '\0';
	if (!at || at == s || !at[1])
		return;
	n = strcspn(s, "+@");
	if (n == 0)
		n = (size_t)(at - s);
	if (n >= sizeof r->email_local)
		n = sizeof r->email_local - 1;
	memcpy(r->email_local, s, n);
	r->email_local[n] = '\0';
	ascii_lower(r->email_local, n);
	append(r->email_domain, sizeof r->email_domain, at + 1, strlen(at + 1));
	ascii_lower(r->email_domain, strlen(r->email_domain));
}

/*
 * A name folded and without spaces, so a space typed into it ("evan s",
 * "jon es") or left out of a double name changes nothing; where the
 * words started is kept in *words for the one-part-equal level.
 */
static void
prepare_name(const char *in, char *out, size_t outsz, uint32_t *words)
{
	char buf[96];
	size_t n = 0;

	fs_fold(in, buf, sizeof buf);
	*words = 0;
	for (const char *p = buf; *p && n + 1 < outsz; p++) {
		if (*p == ' ') {
			if (n > 0 && n < 32)
				*words |= (uint32_t)1 << n;
			continue;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
}

static void
strip_spaces(char *s)
{
	char *o = s;

	for (; *s; s++)
		if (*s != ' ')
			*o++ = *s;
	*o = '\0';
}

static uint32_t
hash_str(const char *s)
{
	return (uint32_t)hash_bytes(s, strlen(s));
}

/*
 * The hash of what a comparison's exact level compares, for term
 * frequencies; odd, so 0 can mean missing.
 */
static uint32_t
exact_hash(const struct fs_comp *c, const struct fs_rec *r)
{
	uint32_t h;

	switch (c->kind) {
	case FS_FIRST_NAME: h = r->first[0] ? hash_str(r->first) : 0; break;
	case FS_LAST_NAME: h = r->last[0] ? hash_str(r->last) : 0; break;
	case FS_POSTCODE: h = r->postcode[0] ? hash_str(r->postcode) : 0; break;
	case FS_CITY: h = r->city[0] ? hash_str(r->city) : 0; break;
	case FS_PHONE: h = r->phone[0] ? hash_str(r->phone) : 0; break;
	case FS_COLUMN: h = r->extra[c->extra][0] ? hash_str(r->extra[c->extra]) : 0; break;
	case FS_STREET:
		h = r->street[0] ? hash_str(r->street) * 31 + hash_str(r->house) : 0;
		break;
	case FS_EMAIL:
		h = r->email_local[0] ? hash_str(r->email_local) * 31 + hash_str(r->email_domain) : 0;
		break;
	case FS_BIRTH_DATE:
		h = r->year ? (uint32_t)hash_bytes(&r->year, sizeof r->year) * 31 +
		    (uint32_t)(r->month * 32 + r->day) : 0;
		break;
	default:
		h = 0;
	}
	return h ? h | 1 : 0;
}

void
fs_prepare(const struct fs_model *model, const struct fs_input *in, struct fs_rec *r)
{
	memset(r, 0, sizeof *r);
	prepare_name(in->first_name, r->first, sizeof r->first, &r->first_words);
	prepare_name(in->last_name, r->last, sizeof r->last, &r->last_words);
	fs_soundex(r->first, r->first_sx);
	fs_soundex(r->last, r->last_sx);
	if (r->first[0])
		fs_nickname_groups(r->first, r->nick);
	prepare_date(in->birth_date, r);
	fs_fold(in->postcode, r->postcode, sizeof r->postcode);
	strip_spaces(r->postcode);
	prepare_street(in->street, r);
	fs_fold(in->city, r->city, sizeof r->city);
	prepare_phone(in->phone, r);
	prepare_email(in->email, r);
	for (int i = 0; i < FS_MAX_EXTRA; i++)
		fs_fold(in->extra[i], r->extra[i], sizeof r->extra[i]);
	for (int i = 0; i < model->ncomp && i < FS_MAX_COMP; i++)
		r->tfh[i] = exact_hash(&model->comp[i], r);
}

/* ---- levels ---- */

enum { FN_EXACT = 1, FN_NICK, FN_SWAP, FN_JW92, FN_JW85, FN_INITIAL, FN_ELSE };
enum { LN_EXACT = 1, LN_JW92, LN_PART, LN_JW85, LN_ELSE };
enum { BD_EXACT = 1, BD_SWAP, BD_DIGIT, BD_FIELD, BD_YEAR, BD_ELSE };

static int
nick_shared(const struct fs_rec *a, const struct fs_rec *b)
{
	for (int i = 0; i < FS_NICK_MAX && a->nick[i]; i++)
		for (int j = 0; j < FS_NICK_MAX && b->nick[j]; j++)
			if (a->nick[i] == b->nick[j])
				return 1;
	return 0;
}

/*
 * First and last name entered the other way round, each equal crosswise
 * or nearly (a typo on either side).  The first letters must agree
 * crosswise, which keeps the Jaro-Winkler off the common path.
 */
static int
names_swapped(const struct fs_rec *a, const struct fs_rec *b)
{
	if (!a->last[0] || !b->last[0] || strcmp(a->last, b->last) == 0)
		return 0;
	if (a->first[0] != b->last[0] || a->last[0] != b->first[0])
		return 0;
	return (strcmp(a->first, b->last) == 0 || jw(a->first, b->last) >= 0.9) &&
	    (strcmp(a->last, b->first) == 0 || jw(a->last, b->first) >= 0.9);
}

static int
first_level(const struct fs_rec *a, const struct fs_rec *b)
{
	double s;

	if (!a->first[0] || !b->first[0])
		return FS_MISSING;
	if (strcmp(a->first, b->first) == 0)
		return FN_EXACT;
	if (nick_shared(a, b))
		return FN_NICK;
	if (names_swapped(a, b))
		return FN_SWAP;
	s = jw(a->first, b->first);
	if (s >= 0.92)
		return FN_JW92;
	if (s >= 0.85)
		return FN_JW85;
	if ((a->first[1] == '\0' || b->first[1] == '\0') && a->first[0] == b->first[0])
		return FN_INITIAL;
	return FN_ELSE;
}

/* The end of the word of s (word starts in words) that starts at i. */
static size_t
word_end(const char *s, uint32_t words, size_t i)
{
	size_t n = strlen(s);

	for (size_t k = i + 1; k < n && k < 32; k++)
		if (words >> k & 1)
			return k;
	return n;
}

/* Some word of x (two letters or more) is a word of y: double names. */
static int
part_equal(const char *x, uint32_t xw, const char *y, uint32_t yw)
{
	if (!xw && !yw)
		return 0;	/* one word each, and not equal */
	for (size_t i = 0; x[i];) {
		size_t ie = word_end(x, xw, i);

		for (size_t j = 0; ie - i >= 2 && y[j];) {
			size_t je = word_end(y, yw, j);

			if (je - j == ie - i && memcmp(x + i, y + j, ie - i) == 0)
				return 1;
			j = je;
		}
		i = ie;
	}
	return 0;
}

/* bl is b's last name, or its first name when the names were swapped. */
static int
last_level(const char *al, uint32_t aw, const char *bl, uint32_t bw)
{
	double s;

	if (!al[0] || !bl[0])
		return FS_MISSING;
	if (strcmp(al, bl) == 0)
		return LN_EXACT;
	s = jw(al, bl);
	if (s >= 0.92)
		return LN_JW92;
	if (part_equal(al, aw, bl, bw))
		return LN_PART;
	return s >= 0.85 ? LN_JW85 : LN_ELSE;
}

/* YYYYMMDD as 8 digits, without printf in the pair loop. */
static void
date_digits(const struct fs_rec *r, char x[8])
{
	int v[3] = { r->year, r->month, r->day }, w[3] = { 4, 2, 2 }, k = 8;

	for (int f = 2; f >= 0; f--)
		for (int i = 0; i < w[f]; i++, v[f] /= 10)
			x[--k] = (char)('0' + v[f] % 10);
}

static int
date_level(const struct fs_rec *a, const struct fs_rec *b)
{
	char x[8], y[8];
	int diff = 0, same;

	if (!a->year || !b->year)
		return FS_MISSING;
	same = (a->year == b->year) + (a->month == b->month) + (a->day == b->day);
	if (same == 3)
		return BD_EXACT;
	if (a->year == b->year && a->month == b->day && a->day == b->month)
		return BD_SWAP;
	if (same == 2) {	/* one digit off needs the other two fields equal */
		date_digits(a, x);
		date_digits(b, y);
		for (int i = 0; i < 8; i++)
			diff += x[i] != y[i];
		return diff == 1 ? BD_DIGIT : BD_FIELD;
	}
	return a->year == b->year ? BD_YEAR : BD_ELSE;
}

/* x and y (not equal) are one insertion, deletion or substitution apart. */
static int
one_edit(const char *x, const char *y)
{
	size_t n = strlen(x), m = strlen(y), i = 0;

	if (n < m) {
		const char *t = x;

		x = y, y = t;
		n = m, m = strlen(y);
	}
	if (n - m > 1)
		return 0;
	while (i < m && x[i] == y[i])
		i++;
	/* skip the differing byte of x (and of y too when the lengths agree) */
	return strcmp(x + i + 1, y + i + (n == m)) == 0;
}

/* A user column: exact, one edit (four characters or more), jw >= 0.9, else. */
static int
column_level(const char *x, const char *y)
{
	if (!x[0] || !y[0])
		return FS_MISSING;
	if (strcmp(x, y) == 0)
		return 1;
	if ((strlen(x) >= 4 || strlen(y) >= 4) && one_edit(x, y))
		return 2;
	return jw(x, y) >= 0.9 ? 3 : 4;
}

/* exact, then jw >= t, then else: the city. */
static int
jw_level(const char *x, const char *y, double t)
{
	if (!x[0] || !y[0])
		return FS_MISSING;
	if (strcmp(x, y) == 0)
		return 1;
	return jw(x, y) >= t ? 2 : 3;
}

static int
postcode_level(const char *x, const char *y)
{
	if (!x[0] || !y[0])
		return FS_MISSING;
	if (strcmp(x, y) == 0)
		return 1;
	return strlen(x) >= 3 && strlen(y) >= 3 && memcmp(x, y, 3) == 0 ? 2 : 3;
}

static int
street_level(const struct fs_rec *a, const struct fs_rec *b)
{
	if (!a->street[0] || !b->street[0])
		return FS_MISSING;
	if (strcmp(a->house, b->house) == 0) {
		if (strcmp(a->street, b->street) == 0)
			return 1;
		if (a->house[0] && jw(a->street, b->street) >= 0.9)
			return 2;
	}
	return 3;
}

static int
phone_level(const char *x, const char *y)
{
	size_t n, m;

	if (!x[0] || !y[0])
		return FS_MISSING;
	if (strcmp(x, y) == 0)
		return 1;
	n = strlen(x);
	m = strlen(y);
	return n >= 7 && m >= 7 && memcmp(x + n - 7, y + m - 7, 7) == 0 ? 2 : 3;
}

/* The digits of two strings, in order, are the same. */
static int
same_digits(const char *x, const char *y)
{
	for (;;) {
		while (*x && (*x < '0' || *x > '9'))
			x++;
		while (*y && (*y < '0' || *y > '9'))
			y++;
		if (*x != *y)
			return 0;
		if (!*x)
			return 1;
		x++;
		y++;
	}
}

static int
email_level(const struct fs_rec *a, const struct fs_rec *b)
{
	size_t n;

	if (!a->email_local[0] || !b->email_local[0])
		return FS_MISSING;
	if (strcmp(a->email_local, b->email_local) == 0)
		return strcmp(a->email_domain, b->email_domain) == 0 ? 1 : 2;
	/*
	 * A typo, not another account: two edits in a short local part
	 * ("jo", "al") say nothing, and "anna.meier7" and "anna.meier61"
	 * are the usual two people of one name, so the digits must agree.
	 */
	n = strlen(a->email_local);
	if (n < strlen(b->email_local))
		n = strlen(b->email_local);
	if (n >= 5 && same_digits(a->email_local, b->email_local) &&
	    fs_edit_distance_max(a->email_local, b->email_local, 2) <= 2)
		return 3;
	return 4;
}

/* The level comparison c takes for a pair; swapped says the names are crossed. */
static int
comp_level(const struct fs_comp *c, const struct fs_rec *a, const struct fs_rec *b, int swapped)
{
	switch (c->kind) {
	case FS_LAST_NAME:
		return swapped ? last_level(a->last, a->last_words, b->first, b->first_words) :
		    last_level(a->last, a->last_words, b->last, b->last_words);
	case FS_BIRTH_DATE: return date_level(a, b);
	case FS_POSTCODE: return postcode_level(a->postcode, b->postcode);
	case FS_STREET: return street_level(a, b);
	case FS_CITY: return jw_level(a->city, b->city, 0.9);
	case FS_PHONE: return phone_level(a->phone, b->phone);
	case FS_EMAIL: return email_level(a, b);
	case FS_COLUMN: return column_level(a->extra[c->extra], b->extra[c->extra]);
	}
	return FS_MISSING;
}

fs_vec
fs_compare(const struct fs_model *model, const struct fs_rec *a, const struct fs_rec *b)
{
	fs_vec v = 0;
	int first = -1, swapped = 0;

	/* the first name decides whether last names are compared crosswise */
	for (int i = 0; i < model->ncomp; i++)
		if (model->comp[i].kind == FS_FIRST_NAME) {
			first = first_level(a, b);
			swapped = first == FN_SWAP;
			break;
		}
	for (int i = 0; i < model->ncomp; i++) {
		const struct fs_comp *c = &model->comp[i];
		int level = c->kind == FS_FIRST_NAME ? first : comp_level(c, a, b, swapped);

		v |= (fs_vec)level << (4 * i);
	}
	return v;
}
