/*
 * infer.c - values as exporters write them, and column types decided
 * from values (see infer.h).
 *
 * Guarantees: a type is only chosen when every value of the column
 * reads as that type under one reading; where two readings give
 * different values (1,234 as 1234 or 1.234; 03/04/2024 as March or
 * April) and nothing in the column or the options settles it, the
 * column stays text and tinfer_note() says why.  Nothing is guessed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "infer.h"
#include "normalize.h"
#include "record.h"

struct country_name;
#include "countries.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Fold a name as tools/gen-countries.py does: letters only, lower case,
 * accented Latin letters (U+00C0 to U+017F) to their base letter.
 */
static size_t
fold_key(const char *s, size_t len, char *out, size_t cap)
{
	static const char latin1[] = "aaaaaa ceeeeiiii nooooo  uuuuy  aaaaaa ceeeeiiii nooooo  uuuuy y";
	static const char ext_a[] = "aaaaaaccccccccdd  eeeeeeeeeegggggggghh  iiiiiiiii   jjkk llllllll  "
	    "nnnnnnn  oooooo  rrrrrrsssssssstttt  uuuuuuuuuuuuwwyyyzzzzzzs";
	size_t k = 0;

	_Static_assert(sizeof latin1 == 65 && sizeof ext_a == 129, "one letter per code point");
	for (size_t i = 0; i < len && k + 2 < cap; i++) {
		unsigned char c = (unsigned char)s[i], d;
		char f = ' ';

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			out[k++] = (char)lower(c);
			continue;
		}
		if (c < 0xc3 || c > 0xc5 || i + 1 >= len)
			continue;
		d = (unsigned char)s[i + 1];
		if (d < 0x80 || d >= 0xc0)
			continue;
		i++;
		if (c == 0xc3 && d == 0x9f) {	/* sharp s */
			out[k++] = 's';
			out[k++] = 's';
			continue;
		}
		f = c == 0xc3 ? latin1[d - 0x80] : ext_a[(c - 0xc4) * 64 + (d - 0x80)];
		if (f != ' ')
			out[k++] = f;
	}
	out[k] = '\0';
	return k;
}

static int
country_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct country_name *)elem)->key);
}

const char *
country_iso2(const char *s, size_t len)
{
	char key[96];
	const struct country_name *c;

	if (len == 0 || len >= 80 || fold_key(s, len, key, sizeof key) == 0)
		return NULL;
	c = bsearch(key, country_names, sizeof country_names / sizeof country_names[0],
	    sizeof country_names[0], country_cmp);
	return c ? c->iso : NULL;
}

/* Letters and digits of a header name, lower-cased. */
static size_t
name_key(const char *name, char *out, size_t cap)
{
	size_t k = 0;

	for (const char *p = name; *p && k + 1 < cap; p++) {
		int c = lower((unsigned char)*p);

		if ((c >= 'a' && c <= 'z') || digit(c))
			out[k++] = (char)c;
	}
	out[k] = '\0';
	return k;
}

static int
ends(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int
in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(key, *list) == 0)
			return 1;
	return 0;
}

int
country_column(const char *name)
{
	static const char *const names[] = { "land", "pays", "pais", "paese", "countryiso",
		"iso2", "nation", "staat", NULL };
	char key[64];
	size_t n = name_key(name, key, sizeof key);

	return in_list(key, names) || ends(key, n, "country") || ends(key, n, "countrycode");
}

int
flag_column(const char *name)
{
	static const char *const prefixes[] = { "accepts", "optin", "optout", "consent",
		"subscribed", "unsubscribed", "newsletter", "taxexempt", "verified", "marketing", NULL };
	static const char *const suffixes[] = { "optin", "optout", "consent", "flag",
		"subscribed", "marketing", "exempt", "verified", "active", "enabled", "deleted",
		"newsletter", NULL };
	char key[64];
	size_t n = name_key(name, key, sizeof key);

	if ((strncmp(name, "is", 2) == 0 || strncmp(name, "Is", 2) == 0) &&
	    (name[2] == '_' || name[2] == ' ' || (name[2] >= 'A' && name[2] <= 'Z')))
		return 1;
	if ((strncmp(name, "has", 3) == 0 || strncmp(name, "Has", 3) == 0) &&
	    (name[3] == '_' || name[3] == ' ' || (name[3] >= 'A' && name[3] <= 'Z')))
		return 1;
	for (int i = 0; prefixes[i]; i++)
		if (strncmp(key, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	for (int i = 0; suffixes[i]; i++)
		if (ends(key, n, suffixes[i]))
			return 1;
	return 0;
}

int
time_column(const char *name)
{
	static const char *const suffixes[] = { "_at", " at", "-at", "_ts", " ts", "_time",
		" time", "-time", "_date", " date", "-date", "_on", "timestamp", "datum", NULL };
	static const char *const words[] = { "lastchanged", "lastmodified", "lastupdated",
		"changed", "modified", "updated", "created", NULL };
	char low[128], key[64];
	size_t n = 0;
	const char *p;

	for (p = name; *p && n + 1 < sizeof low; p++)
		low[n++] = (char)lower((unsigned char)*p);
	low[n] = '\0';
	/* a birthday is no time the row happened */
	if (strstr(low, "birth") || strstr(low, "geburt") || strstr(low, "dob"))
		return 0;
	name_key(name, key, sizeof key);
	if (in_list(key, words))
		return 1;
	for (int i = 0; suffixes[i]; i++)
		if (ends(low, n, suffixes[i]))
			return 1;
	/* camelCase: createdAt, orderTs, signupTime, orderDate */
	n = strlen(name);
	if (n > 2 && name[n - 3] >= 'a' && name[n - 3] <= 'z' &&
	    (ends(name, n, "At") || ends(name, n, "Ts")))
		return 1;
	if (n > 4 && name[n - 5] >= 'a' && name[n - 5] <= 'z' &&
	    (ends(name, n, "Time") || ends(name, n, "Date")))
		return 1;
	return 0;
}

/* ---- apostrophe, booleans ---- */

int
clean_apostrophe(const char **s, size_t *len)
{
	const char *p = *s;
	size_t n = *len, digits = 0;

	if (n < 2 || p[0] != '\'')
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (digit((unsigned char)p[i]))
			digits++;
		else if (!strchr("+-()./ ", p[i]))
			return 0;
	}
	if (!digits)
		return 0;
	*s = p + 1;
	*len = n - 1;
	return 1;
}

int
parse_bool(const char *s, size_t len, int zero_one)
{
	static const char *const yes[] = { "true", "yes", "y", "t", "on", "ja", "j", "oui",
		"si", "s\xc3\xad", "s\xc3\x8d", "wahr", "vrai", "vero", "waar", "sim", NULL };
	static const char *const no[] = { "false", "no", "n", "f", "off", "nein", "non",
		"falsch", "faux", "falso", "onwaar", "nee", "n\xc3\xa3o", "n\xc3\x83o", NULL };
	char w[8];

	if (len == 1 && zero_one && (s[0] == '0' || s[0] == '1'))
		return s[0] == '1';
	if (len == 0 || len >= sizeof w)
		return -1;
	for (size_t i = 0; i < len; i++)
		w[i] = (char)lower((unsigned char)s[i]);
	w[len] = '\0';
	if (in_list(w, yes))
		return 1;
	if (in_list(w, no))
		return 0;
	return -1;
}

/* ---- amounts ---- */

static const struct {
	const char *text;
	char code[4];
} currencies[] = {
	{ "\xe2\x82\xac", "EUR" }, { "US$", "USD" }, { "$", "USD" }, { "\xc2\xa3", "GBP" },
	{ "\xc2\xa5", "JPY" }, { "\xe2\x82\xb9", "INR" }, { "z\xc5\x82", "PLN" },
	{ "Fr.", "CHF" }, { "kr", "KR" }, { "EUR", "EUR" }, { "USD", "USD" }, { "GBP", "GBP" },
	{ "CHF", "CHF" }, { "JPY", "JPY" }, { "SEK", "SEK" }, { "NOK", "NOK" }, { "DKK", "DKK" },
	{ "PLN", "PLN" }, { "CZK", "CZK" }, { "HUF", "HUF" }, { "CAD", "CAD" }, { "AUD", "AUD" },
	{ "NZD", "NZD" }, { "CNY", "CNY" }, { "INR", "INR" }, { "BRL", "BRL" }, { "MXN", "MXN" },
	{ "ZAR", "ZAR" }, { "RON", "RON" }, { "BGN", "BGN" }, { "TRY", "TRY" }, { "HKD", "HKD" },
	{ "SGD", "SGD" }, { "ISK", "ISK" },
};

static uint32_t
pack_code(const char *c)
{
	return (uint32_t)(unsigned char)c[0] << 16 | (uint32_t)(unsigned char)c[1] << 8 |
	    (uint32_t)(unsigned char)c[2];
}

/* Blanks: space, no-break space, narrow no-break and thin space. */
static size_t
blank_at(const char *p, const char *e)
{
	if (p < e && (*p == ' ' || *p == '\t'))
		return 1;
	if (e - p >= 2 && (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;
	if (e - p >= 3 && (unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0xaf || (unsigned char)p[2] == 0x89))
		return 3;
	return 0;
}

static void
skip_blanks(const char **p, const char *e)
{
	size_t k;

	while ((k = blank_at(*p, e)) > 0)
		*p += k;
}

/* Drop the blanks (as blank_at knows them) that end [p, *e). */
static void
trim_blanks_end(const char *p, const char **e)
{
	for (;;) {
		const unsigned char *q = (const unsigned char *)*e;

		if (*e > p && (q[-1] == ' ' || q[-1] == '\t'))
			*e -= 1;
		else if (*e - p >= 2 && q[-2] == 0xc2 && q[-1] == 0xa0)
			*e -= 2;
		else if (*e - p >= 3 && q[-3] == 0xe2 && q[-2] == 0x80 && (q[-1] == 0xaf || q[-1] == 0x89))
			*e -= 3;
		else
			return;
	}
}

/* A currency at *p (prefix) or ending at *e (suffix); its code or 0. */
static uint32_t
currency_prefix(const char **p, const char *e)
{
	if (*p == e || digit((unsigned char)**p))
		return 0;	/* the common case, before 34 compares */
	for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++) {
		size_t k = strlen(currencies[i].text);

		if ((size_t)(e - *p) >= k && memcmp(*p, currencies[i].text, k) == 0) {
			*p += k;
			return pack_code(currencies[i].code);
		}
	}
	return 0;
}

static uint32_t
currency_suffix(const char *p, const char **e)
{
	if (*e == p || digit((unsigned char)(*e)[-1]))
		return 0;
	for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++) {
		size_t k = strlen(currencies[i].text);

		if ((size_t)(*e - p) > k && memcmp(*e - k, currencies[i].text, k) == 0) {
			*e -= k;
			return pack_code(currencies[i].code);
		}
	}
	return 0;
}

#define AMOUNT_DIGITS 17

/* Digits of a number with grouping and fraction, as the whole of [p, e). */
static int
amount_digits(const char *p, const char *e, int style, int blank_groups, int64_t *m,
    int *scale, int *flags)
{
	char dec = style == DEC_COMMA ? ',' : '.', grp = style == DEC_COMMA ? '.' : ',';
	const char *first = p;
	int ndig = 0, k1;

	*m = 0;
	*scale = 0;
	/* at most AMOUNT_DIGITS digits in all: *m * 16 stays in an int64 */
	while (p < e && digit((unsigned char)*p)) {
		if (++ndig > AMOUNT_DIGITS)
			return -1;
		*m = *m * 10 + (*p++ - '0');
	}
	k1 = ndig;
	if (k1 == 0)
		return -1;
	for (;;) {
		size_t g = 0;

		if (p < e && (*p == grp || *p == '\''))
			g = 1;
		else if (blank_groups)
			g = blank_at(p, e);
		if (!g || e - p < (ptrdiff_t)g + 3 || !digit((unsigned char)p[g]) ||
		    !digit((unsigned char)p[g + 1]) || !digit((unsigned char)p[g + 2]) ||
		    (p + g + 3 < e && digit((unsigned char)p[g + 3])))
			break;
		if (k1 > 3 || *first == '0' || (ndig += 3) > AMOUNT_DIGITS)
			return -1;
		for (int i = 0; i < 3; i++)
			*m = *m * 10 + (p[g + i] - '0');
		p += g + 3;
		*flags |= AMT_GROUPED;
	}
	if (!(*flags & AMT_GROUPED) && k1 > 1 && *first == '0')
		return -1;	/* a code such as 007 or a zip, not an amount */
	if (p < e && *p == dec) {
		p++;
		while (p < e && digit((unsigned char)*p)) {
			if (++ndig > AMOUNT_DIGITS)
				return -1;
			*m = *m * 10 + (*p++ - '0');
			(*scale)++;
		}
		if (*scale == 0 || *scale > 15)
			return -1;
		*flags |= AMT_FRACTION;
	}
	return p == e ? 0 : -1;
}

int
parse_amount(const char *s, size_t len, int style, int64_t *out, uint32_t *cur, int *flags)
{
	const char *p = s, *e = s + len;
	int neg = 0, scale;
	int64_t m;

	*cur = 0;
	*flags = 0;
	skip_blanks(&p, e);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	if ((*cur = currency_prefix(&p, e)) != 0)
		skip_blanks(&p, e);
	if (!neg && p < e && *p == '-') {
		neg = 1;
		p++;
	}
	if (!*cur && (*cur = currency_suffix(p, &e)) != 0)
		trim_blanks_end(p, &e);
	if (*cur)
		*flags |= AMT_CURRENCY;
	if (amount_digits(p, e, style, *cur != 0, &m, &scale, flags) < 0)
		return -1;
	if (neg && m == 0)
		return -1;
	*out = (neg ? -m : m) * 16 + (neg ? -scale : scale);
	return 0;
}

/* ---- time ---- */

/*
 * The exact form a date-like value prints back in when it has no zone:
 * date only, or date, blank and H:MM[:SS].  0 when there is no such form.
 */
static int
plain_form(const char *s, size_t len)
{
	size_t i = 0, colons = 0;

	while (i < len && (digit((unsigned char)s[i]) || s[i] == '.' || s[i] == '/' || s[i] == '-'))
		i++;
	if (i == len)
		return TF_DATE;
	if (s[i] != ' ')
		return 0;
	for (i++; i < len; i++) {
		if (s[i] == ':')
			colons++;
		else if (!digit((unsigned char)s[i]))
			return 0;
	}
	return colons == 1 ? TF_SPACE_MIN : colons == 2 ? TF_SPACE : 0;
}

/* Is s a time; sets *fmt (0 for no exact form) and the A/B evidence. */
static int
value_time(struct tinfer *t, const char *s, size_t len, int *fmt)
{
	struct time_opts o = { NULL, 0, 0 };
	size_t k = 0;
	int64_t us;

	while (k < len && digit((unsigned char)s[k]))
		k++;
	if (len < 8 || k == len)
		return 0;
	if ((k == 1 || k == 2) && s[k] == '/') {
		int a = s[0] - '0', b = 0;

		if (k == 2)
			a = a * 10 + s[1] - '0';
		for (size_t i = k + 1; i < len && i < k + 3 && digit((unsigned char)s[i]); i++)
			b = b * 10 + s[i] - '0';

		if (a > 12)
			t->day_ev = 1;
		else if (b > 12)
			t->month_ev = 1;
		else if (a != b)
			t->slash_amb = 1;
	}
	if (norm_time(s, len, &o, &us, fmt) < 0)
		return 0;
	if (*fmt == TF_OTHER)
		*fmt = plain_form(s, len);
	return 1;
}

/* ---- type inference ---- */

void
tinfer_init(struct tinfer *t, const char *name, int decimal_comma, int day_first)
{
	memset(t, 0, sizeof *t);
	t->can_int = t->can_dot = t->can_comma = t->can_bool = t->can_time = t->all01 = 1;
	t->tfmt = -2;	/* none yet */
	t->flag_name = name && flag_column(name);
	t->decimal_comma = decimal_comma;
	t->day_first = day_first;
}

static void
note_sample(char *buf, size_t cap, const char *s, size_t len)
{
	if (buf[0])
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

static void
add_number(struct tinfer *t, const char *s, size_t len)
{
	int64_t x;
	uint32_t c1 = 0, c2 = 0;
	int f, od = 0, oc = 0;

	if (int_parse(s, len, &x) == 0) {
		t->nint++;
		t->nnum++;
		return;	/* an integer reads the same in both styles */
	}
	t->can_int = 0;
	if (t->can_dot || t->can_comma || t->full) {
		od = parse_amount(s, len, DEC_DOT, &x, &c1, &f) == 0;
		oc = parse_amount(s, len, DEC_COMMA, &x, &c2, &f) == 0;
	}
	t->can_dot &= od;
	t->can_comma &= oc;
	if (od || oc) {
		uint32_t c = od ? c1 : c2;

		t->nnum++;
		if (memchr(s, ',', len))
			t->saw_comma = 1;
		if (c && t->cur == 0)
			t->cur = c;
		else if (c && t->cur != c)
			t->cur = UINT32_MAX;
	} else {
		note_sample(t->not_num, sizeof t->not_num, s, len);
	}
}

static void
add_time(struct tinfer *t, const char *s, size_t len)
{
	int fmt;

	if (!t->can_time && !t->full)
		return;
	if (!value_time(t, s, len, &fmt)) {
		t->can_time = 0;
		note_sample(t->not_time, sizeof t->not_time, s, len);
		return;
	}
	t->ntime++;
	if (t->tfmt == -2)
		t->tfmt = fmt;
	else if (t->tfmt != fmt)
		t->tfmt = -1;
}

void
tinfer_add(struct tinfer *t, const char *s, size_t len, int kind)
{
	int b;

	t->n++;
	switch (kind) {
	case FK_JSON:
		t->can_int = t->can_dot = t->can_comma = t->can_bool = t->can_time = t->all01 = 0;
		return;
	case FK_BOOL:
		t->can_int = t->can_dot = t->can_comma = t->can_time = t->all01 = 0;
		t->nbool++;
		t->saw_word = 1;
		return;
	case FK_NUMBER:
		t->json = 1;
		t->can_bool = t->can_time = t->all01 = t->can_comma = 0;
		add_number(t, s, len);
		return;
	case FK_STRING:
		t->json = 1;
		t->can_int = t->can_dot = t->can_comma = t->can_bool = t->all01 = 0;
		note_sample(t->not_num, sizeof t->not_num, s, len);
		note_sample(t->not_bool, sizeof t->not_bool, s, len);
		add_time(t, s, len);
		return;
	}
	add_number(t, s, len);
	if (!(len == 1 && (s[0] == '0' || s[0] == '1')))
		t->all01 = 0;
	if (t->can_bool || t->full) {
		if ((b = parse_bool(s, len, 1)) < 0) {
			t->can_bool = 0;
			note_sample(t->not_bool, sizeof t->not_bool, s, len);
		} else {
			t->nbool++;
			if (!(len == 1 && digit((unsigned char)s[0])))
				t->saw_word = 1;
		}
	}
	add_time(t, s, len);
}

/* The decimal style of an amount column, or -1 when none or ambiguous. */
static int
num_style(const struct tinfer *t)
{
	if (t->cur == UINT32_MAX)
		return -1;
	if (t->can_dot && t->can_comma) {
		if (t->decimal_comma == 1)
			return DEC_COMMA;
		if (t->decimal_comma == 2 || !t->saw_comma)
			return DEC_DOT;
		return -1;	/* 1,234 alone: 1234 or 1.234 */
	}
	return t->can_dot ? DEC_DOT : t->can_comma ? DEC_COMMA : -1;
}

/* Day first (1), month first (0), or -1 when the column cannot say. */
static int
date_order(const struct tinfer *t)
{
	if (t->day_ev && t->month_ev)
		return -1;
	if (t->day_ev)
		return 1;
	if (t->month_ev)
		return 0;
	if (!t->slash_amb)
		return 0;	/* no A/B/YYYY value is ambiguous */
	return t->day_first > 0 ? 1 : t->day_first < 0 ? 0 : -1;
}

int
tinfer_type(const struct tinfer *t, int *tfmt)
{
	*tfmt = 0;
	if (!t->n)
		return CT_STR;
	if (t->all01 && t->flag_name)
		return CT_BOOL;
	if (t->can_int)
		return CT_INT;
	if (t->can_bool && t->saw_word)
		return CT_BOOL;
	if ((t->can_dot || t->can_comma) && num_style(t) >= 0)
		return CT_DEC;
	if (t->can_time && date_order(t) >= 0) {
		*tfmt = t->tfmt > 0 ? t->tfmt : 0;
		return CT_TIME;
	}
	return CT_STR;
}

/* The kind of value most of the column holds, when not all do. */
static const char *
majority(const struct tinfer *t, uint64_t *k, const char **sample)
{
	*k = 0;
	*sample = NULL;
	if (t->nnum > *k && t->nnum < t->n) {
		*k = t->nnum;
		*sample = t->not_num;
	}
	if (t->ntime > *k && t->ntime < t->n) {
		*k = t->ntime;
		*sample = t->not_time;
	}
	if (t->nbool > *k && t->nbool < t->n && t->nbool > t->nint) {
		*k = t->nbool;
		*sample = t->not_bool;
	}
	if (*k * 2 < t->n || !*sample || !**sample)
		return NULL;
	return *sample == t->not_num ? "numbers" : *sample == t->not_time ? "times" : "yes/no values";
}

const char *
tinfer_note(const struct tinfer *t, char *buf, size_t n)
{
	uint64_t k;
	const char *what, *sample;
	int tf;

	if (tinfer_type(t, &tf) != CT_STR || !t->n)
		return NULL;
	if (t->can_dot && t->can_comma && t->cur != UINT32_MAX && num_style(t) < 0)
		snprintf(buf, n, "undecided: amounts such as 1,234 may be 1234 or 1.234 "
		    "(give --decimal-comma, or decimal-comma = no in a mapping file)");
	else if ((t->can_dot || t->can_comma) && t->cur == UINT32_MAX)
		snprintf(buf, n, "undecided: amounts in more than one currency");
	else if (t->can_time && t->day_ev && t->month_ev)
		snprintf(buf, n, "undecided: dates both day first (31/12/2024) and month first (12/31/2024)");
	else if (t->can_time && date_order(t) < 0)
		snprintf(buf, n, "undecided: dates such as 03/04/2024 may be day or month first "
		    "(give --day-first or --month-first)");
	else if ((what = majority(t, &k, &sample)) != NULL)
		snprintf(buf, n, "mixed formats: %llu of %llu values are %s, but not '%s'",
		    (unsigned long long)k, (unsigned long long)t->n, what, sample);
	else
		return NULL;
	return buf;
}

int
tinfer_value(const struct tinfer *t, int type, const char *s, size_t len, int64_t *x)
{
	struct time_opts o = { NULL, 0, 0 };
	uint32_t cur;
	int flags, fmt, b;

	switch (type) {
	case CT_INT:
		return int_parse(s, len, x);
	case CT_DEC:
		return parse_amount(s, len, num_style(t), x, &cur, &flags);
	case CT_BOOL:
		if ((b = parse_bool(s, len, 1)) < 0)
			return -1;
		*x = b;
		return 0;
	case CT_TIME:
		o.day_first = date_order(t) == 1;
		return norm_time(s, len, &o, x, &fmt);
	}
	return -1;
}
