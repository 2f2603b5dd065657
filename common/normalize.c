/*
 * normalize.c - canonical forms for e-mail addresses, phone numbers
 * (E.164) and timestamps (microseconds since the epoch, UTC).
 *
 * Invariants:
 *  - every function reads exactly n bytes of s (no NUL needed) and
 *    either appends one canonical value to out or leaves out untouched;
 *  - norm_time allocates nothing and calls no stdio: it runs once per
 *    value on imports of millions of rows;
 *  - for every exact enum time_format f and zone-less text read as UTC,
 *    norm_time(time_format(us, f)) gives back us (to f's precision) and
 *    f, and time_format(norm_time(s)) gives back s byte for byte;
 *  - zone-less text read in a zone other than UTC reports TF_OTHER, since
 *    printing it back (always as UTC) cannot reproduce the text.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "normalize.h"
#include "phone.h"

#pragma weak phone_lib_e164
#pragma weak phone_lib_region

#define EMAIL_MAX	254	/* RFC 5321 path limit less the brackets */
#define PHONE_MAX	15	/* E.164: at most 15 digits after the + */
#define PHONE_MIN_DIGITS 7	/* fewer dialled digits is no subscriber number */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static void
trim(const char **pp, const char **ep)
{
	while (*pp < *ep && is_space((unsigned char)**pp))
		(*pp)++;
	while (*ep > *pp && is_space((unsigned char)(*ep)[-1]))
		(*ep)--;
}

/* Case-insensitive: does [p, e) start with the lower-case word w? */
static int
starts_ci(const char *p, const char *e, const char *w)
{
	for (; *w; w++, p++)
		if (p >= e || to_lower((unsigned char)*p) != *w)
			return 0;
	return 1;
}

/* ---- e-mail ---- */

/*
 * Characters RFC 5322 reserves outside quoted strings; an unquoted
 * local part containing one is a pasting accident, not an address.
 */
static int
email_special(int c)
{
	return c <= ' ' || c == 0x7f || strchr("<>()[],;:\\\"", c) != NULL;
}

int
norm_email(const char *s, size_t n, struct strbuf *out)
{
	const char *p = s, *e = s + n, *at = NULL, *q, *label;
	size_t len, start;
	int alldigit;

	trim(&p, &e);
	/* "<bob@x.com>", "\"bob@x.com\"" and "\"<bob@x.com>\"": one wrapper each */
	if (e - p >= 2 && *p == '"' && e[-1] == '"') {
		p++, e--;
		trim(&p, &e);
	}
	if (e - p >= 2 && *p == '<' && e[-1] == '>') {
		p++, e--;
		trim(&p, &e);
	}
	len = (size_t)(e - p);
	if (len == 0 || len > EMAIL_MAX)
		return -1;
	for (q = p; q < e; q++) {
		if (*q == '@') {
			if (at)
				return -1;
			at = q;
		} else if (email_special((unsigned char)*q)) {
			return -1;
		}
	}
	if (!at || at == p || at + 1 == e)
		return -1;

	/* domain: non-empty labels of letters, digits, '-' (or UTF-8 for IDN) */
	label = at + 1;
	alldigit = 1;
	for (q = at + 1; q <= e; q++) {
		if (q == e || *q == '.') {
			if (q == label)
				return -1;	/* leading, trailing or double dot */
			if (q == e && (label == at + 1 || q - label < 2 || alldigit))
				return -1;	/* no dot, or no plausible top-level label */
			label = q + 1;
			alldigit = 1;
			continue;
		}
		if (!is_digit((unsigned char)*q))
			alldigit = 0;
		if (!(is_alpha((unsigned char)*q) || is_digit((unsigned char)*q) ||
		    *q == '-' || (unsigned char)*q >= 0x80))
			return -1;
	}

	start = out->len;
	sb_add(out, p, len);
	ascii_lower(out->buf + start, len);
	return 0;
}

/* ---- phone ---- */

/*
 * What norm_phone needs to know of a country: its calling code, the
 * trunk prefix dialled before national numbers (dropped in E.164), its
 * international prefix (besides the near universal 00) and the range of
 * lengths of its national significant number.  Countries sharing a
 * calling code (NANP) repeat it; the first row wins for + forms, which
 * is harmless since they share the numbering rules too.
 */
struct country {
	char iso[3];
	char cc[4];
	char trunk[3];
	char idd[5];
	unsigned char min, max;
};

static const struct country countries[] = {
	{ "US", "1",   "1",  "011",  10, 10 },
	{ "CA", "1",   "1",  "011",  10, 10 },
	{ "PR", "1",   "1",  "011",  10, 10 },
	{ "RU", "7",   "8",  "810",  10, 10 },
	{ "EG", "20",  "0",  "00",    8, 10 },
	{ "ZA", "27",  "0",  "00",    9,  9 },
	{ "GR", "30",  "",   "00",   10, 10 },
	{ "NL", "31",  "0",  "00",    9,  9 },
	{ "BE", "32",  "0",  "00",    8,  9 },
	{ "FR", "33",  "0",  "00",    9,  9 },
	{ "ES", "34",  "",   "00",    9,  9 },
	{ "HU", "36",  "06", "00",    8,  9 },
	{ "IT", "39",  "",   "00",    6, 11 },
	{ "RO", "40",  "0",  "00",    9,  9 },
	{ "CH", "41",  "0",  "00",    9,  9 },
	{ "AT", "43",  "0",  "00",    7, 13 },
	{ "GB", "44",  "0",  "00",    9, 10 },
	{ "DK", "45",  "",   "00",    8,  8 },
	{ "SE", "46",  "0",  "00",    7, 10 },
	{ "NO", "47",  "",   "00",    8,  8 },
	{ "PL", "48",  "",   "00",    9,  9 },
	{ "DE", "49",  "0",  "00",    6, 13 },
	{ "MX", "52",  "01", "00",   10, 10 },
	{ "AR", "54",  "0",  "00",   10, 11 },
	{ "BR", "55",  "0",  "00",   10, 11 },
	{ "CL", "56",  "",   "00",    9,  9 },
	{ "CO", "57",  "",   "00",    8, 10 },
	{ "MY", "60",  "0",  "00",    8, 10 },
	{ "AU", "61",  "0",  "0011",  9,  9 },
	{ "ID", "62",  "0",  "001",   8, 12 },
	{ "PH", "63",  "0",  "00",    8, 10 },
	{ "NZ", "64",  "0",  "00",    8, 10 },
	{ "SG", "65",  "",   "000",   8,  8 },
	{ "TH", "66",  "0",  "001",   8,  9 },
	{ "JP", "81",  "0",  "010",   9, 10 },
	{ "KR", "82",  "0",  "001",   8, 10 },
	{ "VN", "84",  "0",  "00",    9, 10 },
	{ "CN", "86",  "0",  "00",    9, 11 },
	{ "TR", "90",  "0",  "00",   10, 10 },
	{ "IN", "91",  "0",  "00",   10, 10 },
	{ "PK", "92",  "0",  "00",    9, 10 },
	{ "NG", "234", "0",  "009",   8, 10 },
	{ "KE", "254", "0",  "000",   9,  9 },
	{ "PT", "351", "",   "00",    9,  9 },
	{ "LU", "352", "",   "00",    4, 11 },
	{ "IE", "353", "0",  "00",    7,  9 },
	{ "IS", "354", "",   "00",    7,  9 },
	{ "FI", "358", "0",  "00",    6, 11 },
	{ "BG", "359", "0",  "00",    6,  9 },
	{ "LT", "370", "8",  "00",    8,  8 },
	{ "LV", "371", "",   "00",    8,  8 },
	{ "EE", "372", "",   "00",    7,  8 },
	{ "UA", "380", "0",  "00",    9,  9 },
	{ "HR", "385", "0",  "00",    8,  9 },
	{ "SI", "386", "0",  "00",    8,  8 },
	{ "CZ", "420", "",   "00",    9,  9 },
	{ "SK", "421", "0",  "00",    9,  9 },
	{ "HK", "852", "",   "001",   8,  8 },
	{ "TW", "886", "0",  "002",   8,  9 },
	{ "AE", "971", "0",  "00",    8,  9 },
	{ "IL", "972", "0",  "00",    8,  9 },
	{ "SA", "966", "0",  "00",    8,  9 },
};
#define NCOUNTRIES (sizeof countries / sizeof countries[0])

static const struct country *
country_by_iso(const char *iso)
{
	size_t i;

	if (!iso || !iso[0] || !iso[1] || iso[2])
		return NULL;
	for (i = 0; i < NCOUNTRIES; i++)
		if (to_lower((unsigned char)iso[0]) == to_lower((unsigned char)countries[i].iso[0]) &&
		    to_lower((unsigned char)iso[1]) == to_lower((unsigned char)countries[i].iso[1]))
			return &countries[i];
	return NULL;
}

/* Calling codes are prefix-free, so the first match of any length is it. */
static const struct country *
country_by_code(const char *d, size_t nd)
{
	size_t i, k;

	for (i = 0; i < NCOUNTRIES; i++) {
		k = strlen(countries[i].cc);
		if (k <= nd && memcmp(d, countries[i].cc, k) == 0)
			return &countries[i];
	}
	return NULL;
}

/* An ISO alpha-2 code in capitals into up[3]; 0, or -1 if not two letters. */
static int
iso_upper(const char *cc, char up[3])
{
	if (!cc || !is_alpha((unsigned char)cc[0]) || !is_alpha((unsigned char)cc[1]) || cc[2])
		return -1;
	up[0] = (char)(to_lower((unsigned char)cc[0]) - 32);
	up[1] = (char)(to_lower((unsigned char)cc[1]) - 32);
	up[2] = '\0';
	return 0;
}

int
norm_country_known(const char *cc)
{
	char up[3];

	return country_by_iso(cc) != NULL ||
	    (phone_lib_region && iso_upper(cc, up) == 0 && phone_lib_region(up));
}

/* A national number in a country the table lacks: libphonenumber decides. */
static int
phone_national_lib(const char *d, size_t nd, const char *cc, struct strbuf *out)
{
	char up[3], e164[32];

	if (!phone_lib_e164 || iso_upper(cc, up) < 0 ||
	    phone_lib_e164(d, nd, up, e164, sizeof e164) < 0)
		return -1;
	sb_adds(out, e164);
	return 0;
}

/*
 * p is at the first character that is neither digit nor separator.
 * Accept an extension ("x12", "ext. 12", "extension 12", ";ext=12") up
 * to the end of the text; anything else makes the number implausible.
 */
static int
phone_extension(const char *p, const char *e)
{
	if (*p == ';') {
		if (!starts_ci(p + 1, e, "ext="))
			return -1;
		p += 5;
	} else if (starts_ci(p, e, "extension")) {
		p += 9;
	} else if (starts_ci(p, e, "ext")) {
		p += 3;
	} else if (to_lower((unsigned char)*p) == 'x') {
		p++;
	} else {
		return -1;
	}
	while (p < e && (is_space((unsigned char)*p) || *p == '.' || *p == ':' || *p == '=' || *p == '-'))
		p++;
	if (p == e || !is_digit((unsigned char)*p))
		return -1;
	while (p < e && is_digit((unsigned char)*p))
		p++;
	return p == e ? 0 : -1;
}

int
norm_phone(const char *s, size_t n, const char *default_country, struct strbuf *out)
{
	const struct country *def, *c;
	const char *p = s, *e = s + n;
	char d[PHONE_MAX + 8], *nsn;
	size_t nd = 0, nn, zero_at = 0, start = 0, k;
	int plus = 0, paren = 0, intl = 0;

	trim(&p, &e);
	if (p < e && *p == '+') {
		plus = 1;
		p++;
	}
	while (p < e) {
		unsigned char ch = (unsigned char)*p;

		if (is_digit(ch)) {
			if (nd == sizeof d)
				return -1;
			d[nd++] = (char)ch;
			p++;
		} else if (ch == ' ' || ch == '\t' || ch == '-' || ch == '.' || ch == '/') {
			p++;
		} else if (ch == '(') {
			/* "+49 (0)30 ...": remember where the trunk 0 went */
			if (paren)
				return -1;
			if (nd > 0 && !zero_at && e - p >= 3 && p[1] == '0' && p[2] == ')') {
				zero_at = nd;
				d[nd++] = '0';
				p += 3;
			} else {
				paren = 1;
				p++;
			}
		} else if (ch == ')') {
			if (!paren)
				return -1;
			paren = 0;
			p++;
		} else {
			if (phone_extension(p, e) < 0)
				return -1;
			break;
		}
	}
	if (paren || nd < PHONE_MIN_DIGITS)
		return -1;

	def = country_by_iso(default_country);
	if (plus) {
		intl = 1;
	} else if (def && (k = strlen(def->idd)) < nd && memcmp(d, def->idd, k) == 0) {
		intl = 1;
		start = k;
	} else if (d[0] == '0' && d[1] == '0') {
		intl = 1;
		start = 2;
	}

	if (intl) {
		if (d[start] == '0')
			return -1;	/* no calling code starts with 0 */
		c = country_by_code(d + start, nd - start);
		/* the "(0)" is a trunk prefix only where the country has one */
		if (zero_at > start && (!c || c->trunk[0] == '0')) {
			memmove(d + zero_at, d + zero_at + 1, nd - zero_at - 1);
			nd--;
		}
		if (!c) {
			nn = nd - start;
			if (nn < 8 || nn > PHONE_MAX)
				return -1;
			sb_addc(out, '+');
			sb_add(out, d + start, nn);
			return 0;
		}
		nsn = d + start + strlen(c->cc);
		nn = nd - (size_t)(nsn - d);
		/* "+49 030 ...": a trunk 0 written after the code anyway */
		k = strlen(c->trunk);
		if (c->trunk[0] == '0' && nn > k && memcmp(nsn, c->trunk, k) == 0) {
			nsn += k;
			nn -= k;
		}
	} else {
		if (!def)
			return default_country ? phone_national_lib(d, nd, default_country, out) : -1;
		c = def;
		nsn = d;
		nn = nd;
		k = strlen(c->trunk);
		if (k && nn > k && memcmp(nsn, c->trunk, k) == 0) {
			nsn += k;
			nn -= k;
		}
	}
	if (nn < c->min || nn > c->max || strlen(c->cc) + nn > PHONE_MAX)
		return -1;
	/* NANP: area code and exchange both start with 2-9 */
	if (strcmp(c->cc, "1") == 0 && (nsn[0] < '2' || nsn[3] < '2'))
		return -1;
	sb_addc(out, '+');
	sb_adds(out, c->cc);
	sb_add(out, nsn, nn);
	return 0;
}

/* ---- time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int y, int m)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* The fields of one parsed time, before range checks. */
struct tparts {
	int y, mo, d, h, mi, sec;
	int us;
	int hour_digits;	/* 1 or 2 */
	int has_time, has_sec;
	int frac_digits;	/* 0 when no fraction */
	int odd;		/* a spelling no exact format prints (e.g. ',' fraction) */
	int zone;		/* ZONE_* */
	int zone_space;		/* blanks between clock and zone */
	long off;		/* seconds east of UTC, for ZONE_OFFSET */
};

enum { ZONE_NONE, ZONE_Z, ZONE_OTHER_UTC, ZONE_OFFSET };

/*
 * Read between min and max digits as a number; -1 if fewer than min.
 * A digit after max is left for the caller's separator check to refuse.
 */
static int
num(const char **pp, const char *e, int min, int max, int *val)
{
	const char *p = *pp;
	int v = 0, k = 0;

	while (k < max && p < e && is_digit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		p++, k++;
	}
	if (k < min)
		return -1;
	*pp = p;
	*val = v;
	return k;
}

static int
skip_blanks(const char **pp, const char *e)
{
	const char *p = *pp;
	int k;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	k = (int)(p - *pp);
	*pp = p;
	return k;
}

/* Full names; the first three letters are the abbreviation. */
static const char *const month_names[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};
static const char *const day_names[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

/* Read a word of letters naming one of names (in full or its first three); index or -1. */
static int
name_index(const char **pp, const char *e, const char *const *names, int count)
{
	const char *p = *pp, *w = p;
	size_t len, i;
	int j;

	while (p < e && is_alpha((unsigned char)*p))
		p++;
	len = (size_t)(p - w);
	if (len < 3)
		return -1;
	for (j = 0; j < count; j++) {
		if (len != 3 && len != strlen(names[j]))
			continue;
		for (i = 0; i < len; i++)
			if (to_lower((unsigned char)w[i]) != names[j][i])
				break;
		if (i == len) {
			*pp = p;
			return j;
		}
	}
	return -1;
}

/* Zone after the clock: Z, z, +HH[[:]MM], -..., UTC, GMT, UT, US zones. */
static int
parse_zone(const char *p, const char *e, struct tparts *t)
{
	static const struct {
		char name[4];
		signed char hours;
	} named[] = {
		{ "utc", 0 }, { "gmt", 0 }, { "ut", 0 },
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
	};
	int hh, mm = 0, sign;
	size_t i;

	t->zone_space = skip_blanks(&p, e);
	if (p == e) {
		t->zone = ZONE_NONE;
		return 0;
	}
	if (e - p == 1 && (*p == 'Z' || *p == 'z')) {
		t->zone = *p == 'Z' ? ZONE_Z : ZONE_OTHER_UTC;
		return 0;
	}
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (num(&p, e, 2, 2, &hh) < 0)
			return -1;
		if (p < e && *p == ':' && ++p == e)
			return -1;	/* "+01:" */
		if (p < e && num(&p, e, 2, 2, &mm) < 0)
			return -1;
		if (p != e || hh > 23 || mm > 59)
			return -1;
		t->zone = ZONE_OFFSET;
		t->off = sign * (hh * 3600L + mm * 60L);
		return 0;
	}
	for (i = 0; i < sizeof named / sizeof named[0]; i++) {
		if ((size_t)(e - p) == strlen(named[i].name) && starts_ci(p, e, named[i].name)) {
			t->zone = ZONE_OFFSET;
			t->off = named[i].hours * 3600L;
			return 0;
		}
	}
	return -1;
}

/* H[H]:MM[:SS[.fraction]] [zone], to the end of the text. */
static int
parse_clock(const char *p, const char *e, struct tparts *t)
{
	const char *f;
	int scale;

	t->has_time = 1;
	if ((t->hour_digits = num(&p, e, 1, 2, &t->h)) < 0)
		return -1;
	if (p == e || *p++ != ':' || num(&p, e, 2, 2, &t->mi) < 0)
		return -1;
	if (p < e && *p == ':') {
		p++;
		if (num(&p, e, 2, 2, &t->sec) < 0)
			return -1;
		t->has_sec = 1;
		if (p < e && (*p == '.' || *p == ',')) {
			if (*p == ',')
				t->odd = 1;
			f = ++p;
			/* keep microseconds; digits past the sixth are truncated */
			for (scale = 100000; p < e && is_digit((unsigned char)*p); p++, scale /= 10)
				t->us += (*p - '0') * scale;
			t->frac_digits = (int)(p - f);
			if (t->frac_digits < 1 || t->frac_digits > 9)
				return -1;
		}
	}
	return parse_zone(p, e, t);
}

/* Date only, or blanks then a clock; the count of blanks is returned in *blanks. */
static int
parse_rest(const char *p, const char *e, struct tparts *t, int *blanks)
{
	*blanks = 0;
	if (p == e)
		return 0;
	if ((*blanks = skip_blanks(&p, e)) == 0)
		return -1;
	return parse_clock(p, e, t);
}

/* YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, then [T or blanks, clock].  Returns a TF_ code. */
static int
parse_ymd(const char *p, const char *e, struct tparts *t)
{
	int sep, km, kd, blanks = 0, lower_t = 0, canon;

	num(&p, e, 4, 4, &t->y);
	sep = *p++;
	if ((km = num(&p, e, 1, 2, &t->mo)) < 0 || p == e || *p++ != sep ||
	    (kd = num(&p, e, 1, 2, &t->d)) < 0)
		return -1;
	canon = sep == '-' && km == 2 && kd == 2;
	if (p < e && (*p == 'T' || *p == 't')) {
		lower_t = *p == 't';
		if (parse_clock(p + 1, e, t) < 0)
			return -1;
	} else if (parse_rest(p, e, t, &blanks) < 0) {
		return -1;
	}
	if (!canon || t->odd || (t->has_time && t->hour_digits != 2))
		return TF_OTHER;
	if (!t->has_time)
		return TF_DATE;
	if (blanks == 0 && !lower_t && t->has_sec && !t->zone_space) {
		if (t->zone == ZONE_Z && t->frac_digits == 0)
			return TF_ISO_Z;
		if (t->zone == ZONE_Z && t->frac_digits == 3)
			return TF_ISO_MS_Z;
		if (t->zone == ZONE_Z && t->frac_digits == 6)
			return TF_ISO_US_Z;
		if (t->zone == ZONE_NONE && t->frac_digits == 0)
			return TF_ISO;
	}
	if (blanks == 1 && t->zone == ZONE_NONE && t->frac_digits == 0)
		return t->has_sec ? TF_SPACE : TF_SPACE_MIN;
	return TF_OTHER;
}

/*
 * D.M.YYYY (always day first, as in German), A/B/YYYY (day or month
 * first: a part over 12 decides, else o->day_first), then [clock].
 */
static int
parse_dmy(const char *p, const char *e, const struct time_opts *o, struct tparts *t)
{
	int a = 0, b, sep, blanks;

	num(&p, e, 1, 2, &a);
	sep = *p++;
	if (num(&p, e, 1, 2, &b) < 0 || p == e || *p++ != sep || num(&p, e, 4, 4, &t->y) < 0)
		return -1;
	if (sep == '.' || (a > 12 && b <= 12) || (a <= 12 && b <= 12 && o && o->day_first)) {
		t->d = a;
		t->mo = b;
	} else {
		t->mo = a;
		t->d = b;
	}
	if (parse_rest(p, e, t, &blanks) < 0)
		return -1;
	return TF_OTHER;
}

/* RFC 2822-ish: [Tue[,]] 5 Mar 2024 [10:00[:00] [+0000|GMT|...]]. */
static int
parse_rfc(const char *p, const char *e, struct tparts *t)
{
	int blanks;

	if (is_alpha((unsigned char)*p)) {
		if (name_index(&p, e, day_names, 7) < 0)
			return -1;
		if (p < e && *p == ',')
			p++;
		skip_blanks(&p, e);
	}
	if (num(&p, e, 1, 2, &t->d) < 0 || skip_blanks(&p, e) == 0)
		return -1;
	if ((t->mo = name_index(&p, e, month_names, 12) + 1) == 0)
		return -1;
	if (skip_blanks(&p, e) == 0 || num(&p, e, 4, 4, &t->y) < 0)
		return -1;
	if (parse_rest(p, e, t, &blanks) < 0)
		return -1;
	return TF_OTHER;
}

static int
tz_is_utc(const char *tz)
{
	static const char *const utc[] = { "utc", "gmt", "z", "etc/utc", "etc/gmt", "utc0" };
	size_t i, n;

	if (!tz || !*tz)
		return 1;
	n = strlen(tz);
	for (i = 0; i < sizeof utc / sizeof utc[0]; i++)
		if (n == strlen(utc[i]) && starts_ci(tz, tz + n, utc[i]))
			return 1;
	return 0;
}

/*
 * Offsets of local hours from UTC.  mktime() is slow (it consults the
 * zone each call), so each thread keeps the offsets of the (date, hour)
 * slots it has seen.  TZ and mktime() are process-wide, hence the lock
 * around the slow path; the rest of the process works in UTC and never
 * reads TZ, so it is set and not restored.
 */
#define TZCACHE 512
#define TZNAME_MAX 128
#define TZ_EMPTY INT64_MIN

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static char tz_current[TZNAME_MAX];	/* the TZ the C library holds */

static _Thread_local struct {
	char name[TZNAME_MAX];
	int unknown;			/* name is no zone this system has */
	int64_t key[TZCACHE];		/* days * 24 + hour; TZ_EMPTY = unused */
	long off[TZCACHE];
} tzc;

/*
 * The C library reads an unknown zone name as UTC without a word; a
 * misspelt --tz must reject values instead of shifting them silently.
 * Names are files under TZDIR; POSIX rule strings ("CET-1CEST,M3.5.0,
 * M10.5.0/3") are left to the library.
 */
static int
tz_exists(const char *tz)
{
	char path[TZNAME_MAX + 256];
	const char *dir = getenv("TZDIR");
	int n;

	if (*tz == ':')
		tz++;
	if (*tz == '/')
		return access(tz, R_OK) == 0;
	if (strstr(tz, ".."))
		return 0;
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	n = snprintf(path, sizeof path, "%s/%s", dir, tz);
	if (n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0)
		return 1;
	/* POSIX "std offset[dst[offset][,rule]]": three letters, then the offset */
	n = (int)strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	return n >= 3 && (is_digit((unsigned char)tz[n]) || tz[n] == '+' || tz[n] == '-');
}

static int
tz_offset(const char *tz, const struct tparts *t, int64_t days, long *off)
{
	struct tm tm;
	time_t when;
	int64_t key = days * 24 + t->h;
	size_t i, slot = (size_t)((uint64_t)key % TZCACHE);

	if (strcmp(tzc.name, tz) != 0) {
		if (strlen(tz) >= TZNAME_MAX)
			return -1;
		strcpy(tzc.name, tz);
		tzc.unknown = !tz_exists(tz);
		for (i = 0; i < TZCACHE; i++)
			tzc.key[i] = TZ_EMPTY;
	}
	if (tzc.unknown)
		return -1;
	if (tzc.key[slot] == key) {
		*off = tzc.off[slot];
		return 0;
	}

	memset(&tm, 0, sizeof tm);
	tm.tm_year = t->y - 1900;
	tm.tm_mon = t->mo - 1;
	tm.tm_mday = t->d;
	tm.tm_hour = t->h;
	tm.tm_isdst = -1;	/* let the zone say whether summer time applies */
	tm.tm_wday = -1;	/* mktime sets it on success; -1 also is a valid time_t */
	pthread_mutex_lock(&tz_lock);
	if (strcmp(tz_current, tz) != 0) {
		if (setenv("TZ", tz, 1) != 0) {
			pthread_mutex_unlock(&tz_lock);
			return -1;
		}
		tzset();
		strcpy(tz_current, tz);
	}
	when = mktime(&tm);
	pthread_mutex_unlock(&tz_lock);
	if (when == (time_t)-1 && tm.tm_wday == -1)
		return -1;
	*off = (long)(days * 86400 + t->h * 3600L - (int64_t)when);
	tzc.key[slot] = key;
	tzc.off[slot] = *off;
	return 0;
}

/* 10 digits of seconds or 13 of milliseconds, optionally negative. */
static int
parse_epoch(const char *p, const char *e, int64_t *us)
{
	int neg = 0;
	int64_t v = 0;
	size_t k;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	k = (size_t)(e - p);
	if (k != 10 && k != 13)
		return -1;
	for (; p < e; p++) {
		if (!is_digit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	v *= k == 10 ? 1000000 : 1000;
	*us = neg ? -v : v;
	return 0;
}

int
norm_time(const char *s, size_t n, const struct time_opts *o, int64_t *us, int *fmt)
{
	struct tparts t;
	const char *p = s, *e = s + n, *q;
	const char *tz = o ? o->tz : NULL;
	int64_t days, secs;
	long off = 0;
	int f;
	size_t k;

	memset(&t, 0, sizeof t);
	trim(&p, &e);
	if (p == e)
		return -1;
	for (q = p; q < e && is_digit((unsigned char)*q); q++)
		;
	k = (size_t)(q - p);
	if (q == e || *p == '-') {
		if (!o || !o->allow_epoch || parse_epoch(p, e, us) < 0)
			return -1;
		*fmt = TF_OTHER;
		return 0;
	}
	if (k == 4 && (*q == '-' || *q == '/' || *q == '.'))
		f = parse_ymd(p, e, &t);
	else if ((k == 1 || k == 2) && (*q == '.' || *q == '/'))
		f = parse_dmy(p, e, o, &t);
	else if ((k == 0 && is_alpha((unsigned char)*p)) ||
	    ((k == 1 || k == 2) && (*q == ' ' || *q == '\t')))
		f = parse_rfc(p, e, &t);
	else
		return -1;
	if (f < 0)
		return -1;

	if (t.y < 1000 || t.y > 9999 || t.mo < 1 || t.mo > 12 || t.d < 1 ||
	    t.d > days_in_month(t.y, t.mo) || t.h > 23 || t.mi > 59 || t.sec > 60)
		return -1;
	if (t.sec == 60)
		f = TF_OTHER;	/* a leap second prints back as the next minute */
	days = days_from_civil(t.y, t.mo, t.d);
	if (t.zone == ZONE_OFFSET) {
		off = t.off;
	} else if (t.zone == ZONE_NONE && !tz_is_utc(tz)) {
		if (tz_offset(tz, &t, days, &off) < 0)
			return -1;
		f = TF_OTHER;	/* printing back in UTC would not give the text */
	}
	secs = days * 86400 + t.h * 3600L + t.mi * 60L + t.sec - off;
	*us = secs * 1000000 + t.us;
	*fmt = f;
	return 0;
}

static char *
put_digits(char *q, int64_t v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		q[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return q + width;
}

void
time_format(int64_t us, int fmt, struct strbuf *out)
{
	char buf[48], *q = buf;
	int64_t secs, sub, days, sod, y;
	int m, d;

	/* floor division, so times before 1970 keep a positive fraction */
	secs = us / 1000000;
	sub = us % 1000000;
	if (sub < 0) {
		sub += 1000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (fmt <= TF_NONE || fmt >= TF_OTHER)
		fmt = sub == 0 ? TF_ISO_Z : sub % 1000 == 0 ? TF_ISO_MS_Z : TF_ISO_US_Z;

	if (y >= 0 && y <= 9999) {
		q = put_digits(q, y, 4);
	} else {
		/* outside what norm_time reads; still print an honest year */
		sb_addf(out, "%lld", (long long)y);
	}
	*q++ = '-';
	q = put_digits(q, m, 2);
	*q++ = '-';
	q = put_digits(q, d, 2);
	if (fmt != TF_DATE) {
		*q++ = fmt == TF_SPACE || fmt == TF_SPACE_MIN ? ' ' : 'T';
		q = put_digits(q, sod / 3600, 2);
		*q++ = ':';
		q = put_digits(q, sod / 60 % 60, 2);
		if (fmt != TF_SPACE_MIN) {
			*q++ = ':';
			q = put_digits(q, sod % 60, 2);
		}
		if (fmt == TF_ISO_MS_Z) {
			*q++ = '.';
			q = put_digits(q, sub / 1000, 3);
		} else if (fmt == TF_ISO_US_Z) {
			*q++ = '.';
			q = put_digits(q, sub, 6);
		}
		if (fmt == TF_ISO_Z || fmt == TF_ISO_MS_Z || fmt == TF_ISO_US_Z)
			*q++ = 'Z';
	}
	sb_add(out, buf, (size_t)(q - buf));
}
