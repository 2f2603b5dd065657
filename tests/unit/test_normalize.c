/*
 * test_normalize.c - e-mail, phone (E.164) and time normalization.
 * Most checks are tables of input and expected canonical text; the
 * time round trips are checked against the C library's timegm() over
 * many generated instants, so they do not trust normalize.c's calendar.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "t.h"
#include "normalize.h"

static struct strbuf sb = STRBUF_INIT;

/* The normalized e-mail, or NULL when rejected (and out must stay unchanged). */
static const char *
email(const char *s)
{
	sb_reset(&sb);
	sb_adds(&sb, "keep");
	if (norm_email(s, strlen(s), &sb) < 0)
		return strcmp(sb.buf, "keep") == 0 ? NULL : "(out changed on failure)";
	return sb.buf + 4;
}

static const char *
phone(const char *s, const char *country)
{
	sb_reset(&sb);
	sb_adds(&sb, "keep");
	if (norm_phone(s, strlen(s), country, &sb) < 0)
		return strcmp(sb.buf, "keep") == 0 ? NULL : "(out changed on failure)";
	return sb.buf + 4;
}

/* The instant as time_format(TF_OTHER) text and the format, or NULL. */
static const char *
tparse(const char *s, const struct time_opts *o, int *fmt)
{
	int64_t us;

	sb_reset(&sb);
	*fmt = -1;
	if (norm_time(s, strlen(s), o, &us, fmt) < 0)
		return NULL;
	time_format(us, TF_OTHER, &sb);
	return sb.buf;
}

/* Test names are one TAP line: show control characters as '?'. */
static char *
oneline(char *name)
{
	char *p;

	for (p = name; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = '?';
	return name;
}

static const char *
tfmt(int64_t us, int fmt)
{
	sb_reset(&sb);
	time_format(us, fmt, &sb);
	return sb.buf;
}

static void
test_email(void)
{
	static const struct {
		const char *in, *want, *name;
	} cases[] = {
		{ "Bob@Example.COM", "bob@example.com", "lower-cases local part and domain" },
		{ "  alice@example.org\t\n", "alice@example.org", "trims surrounding whitespace" },
		{ "<Bob@X.com>", "bob@x.com", "drops surrounding angle brackets" },
		{ "\"<Bob@X.com>\"", "bob@x.com", "drops quotes around angle brackets" },
		{ "\"bob@x.com\"", "bob@x.com", "drops surrounding quotes" },
		{ "first.last+tag@mail.example.co.uk", "first.last+tag@mail.example.co.uk", "keeps plus tags and subdomains" },
		{ "o'brien@example.ie", "o'brien@example.ie", "keeps apostrophe in local part" },
		{ "user@xn--mnchen-3ya.de", "user@xn--mnchen-3ya.de", "keeps punycode domain" },
		{ "JÖRG@Müller.DE", "jÖrg@müller.de", "lower-cases ASCII only, keeps UTF-8" },
		{ "", NULL, "rejects empty" },
		{ "   ", NULL, "rejects blanks" },
		{ "n/a", NULL, "rejects n/a" },
		{ "bob", NULL, "rejects missing @" },
		{ "@example.com", NULL, "rejects empty local part" },
		{ "bob@", NULL, "rejects empty domain" },
		{ "bob@localhost", NULL, "rejects domain without a dot" },
		{ "bob@@example.com", NULL, "rejects two @" },
		{ "bob@ex@ample.com", NULL, "rejects @ in domain" },
		{ "bob smith@example.com", NULL, "rejects inner space" },
		{ "bob@exa mple.com", NULL, "rejects space in domain" },
		{ "bob@.example.com", NULL, "rejects leading dot in domain" },
		{ "bob@example.com.", NULL, "rejects trailing dot in domain" },
		{ "bob@example..com", NULL, "rejects empty domain label" },
		{ "bob@example.c", NULL, "rejects one-letter top-level label" },
		{ "bob@1.2.3.4", NULL, "rejects numeric top-level label" },
		{ "bob@ex_ample.com", NULL, "rejects underscore in domain" },
		{ "a@b.com,c@d.com", NULL, "rejects two addresses" },
		{ "<bob@example.com", NULL, "rejects unbalanced bracket" },
	};
	char name[160], big[300];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "email: %s (%s)", cases[i].name, cases[i].in);
		T_STREQ(email(cases[i].in), cases[i].want, oneline(name));
	}

	/* 254 is the limit: 64 + '@' + 189 */
	memset(big, 'a', sizeof big);
	big[64] = '@';
	memcpy(big + 250, ".com", 5);
	T_INTEQ(strlen(big), 254, "email: test address is 254 bytes");
	T_CHECK(email(big) != NULL, "email: accepts 254 bytes");
	memmove(big + 1, big, 255);
	T_CHECK(email(big) == NULL, "email: rejects 255 bytes");

	/* n bounds the input: bytes after n are not read */
	sb_reset(&sb);
	T_INTEQ(norm_email("bob@x.com trailing", 9, &sb), 0, "email: reads only n bytes");
	T_STREQ(sb.buf, "bob@x.com", "email: n-bounded value");
	sb_reset(&sb);
	sb_adds(&sb, "a@b.de;");
	norm_email("C@D.de", 6, &sb);
	T_STREQ(sb.buf, "a@b.de;c@d.de", "email: appends to out");
}

static void
test_phone(void)
{
	static const struct {
		const char *in, *cc, *want, *name;
	} cases[] = {
		/* Germany */
		{ "030 1234567", "DE", "+49301234567", "DE national with trunk 0" },
		{ "030/1234567", "DE", "+49301234567", "DE slash separator" },
		{ "0049 30 1234567", "DE", "+49301234567", "DE 00 international prefix" },
		{ "+49 (0)30 123 4567", "DE", "+49301234567", "DE (0) after country code dropped" },
		{ "+49(0)30-1234567", NULL, "+49301234567", "(0) dropped without default country" },
		{ "+49 030 1234567", "DE", "+49301234567", "DE trunk 0 written after +49 dropped" },
		{ "0151 23456789", "DE", "+4915123456789", "DE mobile" },
		{ "+49 151 2345 6789", "US", "+4915123456789", "DE + form ignores default country" },
		{ "30 1234567", "DE", "+49301234567", "DE national without trunk 0" },
		/* United States */
		{ "(415) 555-2671", "US", "+14155552671", "US parentheses and dash" },
		{ "415.555.2671", "US", "+14155552671", "US dots" },
		{ "1-415-555-2671", "US", "+14155552671", "US trunk 1" },
		{ "+1 415 555 2671", "US", "+14155552671", "US + form" },
		{ "+1 (415) 555-2671", NULL, "+14155552671", "US + form without default country" },
		{ "4155552671", "us", "+14155552671", "default country case-insensitive" },
		{ "011 49 30 1234567", "US", "+49301234567", "US 011 international prefix" },
		{ "011 44 20 7946 0958", "CA", "+442079460958", "CA 011 international prefix" },
		{ "415-555-2671 x123", "US", "+14155552671", "extension x dropped" },
		{ "415-555-2671 ext. 12", "US", "+14155552671", "extension ext. dropped" },
		{ "415-555-2671;ext=99", "US", "+14155552671", "extension ;ext= dropped" },
		{ "+1 415 555 2671 extension 7", NULL, "+14155552671", "extension word dropped" },
		{ "415-555-2671X9", "US", "+14155552671", "extension capital X dropped" },
		{ "(415) 155-2671", "US", NULL, "US exchange starting with 1 rejected" },
		{ "(115) 555-2671", "US", NULL, "US area code starting with 1 rejected" },
		{ "555-2671", "US", NULL, "US seven digits rejected" },
		{ "415 555 26710", "US", NULL, "US eleven digits without trunk rejected" },
		/* United Kingdom */
		{ "020 7946 0958", "GB", "+442079460958", "GB London" },
		{ "07700 900123", "GB", "+447700900123", "GB mobile" },
		{ "+44 (0)20 7946 0958", NULL, "+442079460958", "GB (0) after country code" },
		{ "0044 7700 900123", "DE", "+447700900123", "GB via 00 from DE" },
		/* France and others */
		{ "06 12 34 56 78", "FR", "+33612345678", "FR mobile in pairs" },
		{ "01.23.45.67.89", "FR", "+33123456789", "FR dotted" },
		{ "+33 6 12 34 56 78", NULL, "+33612345678", "FR + form" },
		{ "06 12 34 56 7", "FR", NULL, "FR too short" },
		{ "06 1234 1234", "IT", "+390612341234", "IT keeps leading 0" },
		{ "+39 06 1234 1234", NULL, "+390612341234", "IT + form keeps leading 0" },
		{ "+39 (0)6 1234 1234", NULL, "+390612341234", "IT (0) is part of the number" },
		{ "312 345 6789", "IT", "+393123456789", "IT mobile" },
		{ "0664 1234567", "AT", "+436641234567", "AT mobile" },
		{ "044 668 18 00", "CH", "+41446681800", "CH Zurich" },
		{ "020 123 4567", "NL", "+31201234567", "NL Amsterdam" },
		{ "08-123 456 78", "SE", "+46812345678", "SE Stockholm trunk 0" },
		{ "22 12 34 56", "NO", "+4722123456", "NO without trunk" },
		{ "32 12 34 56", "DK", "+4532123456", "DK without trunk" },
		{ "912 345 678", "ES", "+34912345678", "ES without trunk" },
		{ "22 123 45 67", "PL", "+48221234567", "PL without trunk" },
		{ "06 1 234 5678", "HU", "+3612345678", "HU trunk 06" },
		{ "01 234 5678", "IE", "+35312345678", "IE Dublin" },
		{ "(02) 9374 4000", "AU", "+61293744000", "AU Sydney" },
		{ "0011 49 30 1234567", "AU", "+49301234567", "AU 0011 international prefix" },
		{ "09 123 4567", "NZ", "+6491234567", "NZ Auckland" },
		{ "098765 43210", "IN", "+919876543210", "IN mobile with trunk 0" },
		{ "03-1234-5678", "JP", "+81312345678", "JP Tokyo" },
		{ "010 49 30 1234567", "JP", "+49301234567", "JP 010 international prefix" },
		{ "010 1234 5678", "CN", "+861012345678", "CN Beijing" },
		{ "(11) 91234-5678", "BR", "+5511912345678", "BR Sao Paulo mobile" },
		{ "55 1234 5678", "MX", "+525512345678", "MX Mexico City" },
		{ "8 (495) 123-45-67", "RU", "+74951234567", "RU trunk 8" },
		{ "+7 495 123 45 67", NULL, "+74951234567", "RU + form" },
		/* unknown country codes and general rules */
		{ "+880 1712 345678", NULL, "+8801712345678", "unknown code: accepted by length" },
		{ "+999 1234", NULL, NULL, "unknown code: too few digits" },
		{ "+1234567890123456", NULL, NULL, "more than 15 digits" },
		{ "+49 30 1234567 890 12", NULL, NULL, "DE longer than its plan" },
		{ "030 1234567", NULL, NULL, "national form without default country" },
		{ "030 1234567", "XX", NULL, "national form with unknown country" },
		{ "+0 123 4567890", NULL, NULL, "calling code starting with 0" },
		{ "", "DE", NULL, "empty" },
		{ "n/a", "DE", NULL, "n/a" },
		{ "12345", "DE", NULL, "fewer than 7 digits" },
		{ "1-800-FLOWERS", "US", NULL, "letters" },
		{ "030 12345a67", "DE", NULL, "letter inside the number" },
		{ "030 1234567 x", "DE", NULL, "extension marker without digits" },
		{ "030 1234567 x12 y", "DE", NULL, "garbage after extension" },
		{ "++49 30 1234567", NULL, NULL, "two plus signs" },
		{ "49 + 30 1234567", NULL, NULL, "plus inside" },
		{ "(030 1234567", "DE", NULL, "unbalanced parenthesis" },
		{ "030) 1234567", "DE", NULL, "stray closing parenthesis" },
	};
	char name[160];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "phone: %s (%s, %s)", cases[i].name, cases[i].in,
		    cases[i].cc ? cases[i].cc : "no country");
		T_STREQ(phone(cases[i].in, cases[i].cc), cases[i].want, name);
	}

	T_CHECK(norm_country_known("DE"), "phone: DE is known");
	T_CHECK(norm_country_known("gb"), "phone: country known case-insensitive");
	T_CHECK(!norm_country_known("XX"), "phone: XX is unknown");
	T_CHECK(!norm_country_known("DEU"), "phone: alpha-3 is not a country code here");
	T_CHECK(!norm_country_known(""), "phone: empty country unknown");
	T_CHECK(!norm_country_known(NULL), "phone: NULL country unknown");
	{
		static const char *const must[] = {
			"DE", "AT", "CH", "GB", "FR", "NL", "BE", "SE", "NO", "DK", "ES", "IT", "PL",
			"IE", "AU", "NZ", "IN", "JP", "CN", "BR", "MX", "US", "CA", "PT", "CZ", "FI",
			"GR", "HU", "RO", "RU", "TR", "ZA", "KR", "SG", "HK", "IL", "AE", "AR", "CL",
			"LU",
		};
		int missing = 0;

		for (i = 0; i < sizeof must / sizeof must[0]; i++)
			missing += !norm_country_known(must[i]);
		T_INTEQ(missing, 0, "phone: at least 40 countries in the table");
	}
}

/* Expected instants come from the C library, not from normalize.c. */
static int64_t
utc_us(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * 1000000;
}

static void
test_time_parse(void)
{
	static const struct time_opts dayfirst = { NULL, 1, 0 };
	static const struct time_opts epoch = { "UTC", 0, 1 };
	static const struct {
		const char *in;
		const struct time_opts *o;
		const char *want;	/* as TF_OTHER prints, NULL = rejected */
		int fmt;
		const char *name;
	} cases[] = {
		{ "2024-03-05", NULL, "2024-03-05T00:00:00Z", TF_DATE, "ISO date" },
		{ "2024-03-05T10:00:00Z", NULL, "2024-03-05T10:00:00Z", TF_ISO_Z, "ISO Z" },
		{ "2024-03-05T10:00:00.123Z", NULL, "2024-03-05T10:00:00.123Z", TF_ISO_MS_Z, "ISO ms Z" },
		{ "2024-03-05T10:00:00.123456Z", NULL, "2024-03-05T10:00:00.123456Z", TF_ISO_US_Z, "ISO us Z" },
		{ "2024-03-05T10:00:00", NULL, "2024-03-05T10:00:00Z", TF_ISO, "ISO zone-less" },
		{ "2024-03-05 10:00:00", NULL, "2024-03-05T10:00:00Z", TF_SPACE, "space zone-less" },
		{ "2024-03-05 10:00", NULL, "2024-03-05T10:00:00Z", TF_SPACE_MIN, "space minutes" },
		{ "  2024-03-05T10:00:00Z \n", NULL, "2024-03-05T10:00:00Z", TF_ISO_Z, "surrounding whitespace trimmed" },
		{ "2024-03-05T10:00:00z", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "lower-case z is not exact" },
		{ "2024-03-05t10:00:00Z", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "lower-case t is not exact" },
		{ "2024-03-05T10:00Z", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "ISO minutes with Z" },
		{ "2024-03-05T10:00", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "ISO minutes zone-less" },
		{ "2024-03-05T10:00:00.1Z", NULL, "2024-03-05T10:00:00.100Z", TF_OTHER, "one fraction digit" },
		{ "2024-03-05T10:00:00.12Z", NULL, "2024-03-05T10:00:00.120Z", TF_OTHER, "two fraction digits" },
		{ "2024-03-05T10:00:00.123456789Z", NULL, "2024-03-05T10:00:00.123456Z", TF_OTHER, "nine fraction digits truncated to us" },
		{ "2024-03-05T10:00:00.1234567890Z", NULL, NULL, 0, "ten fraction digits rejected" },
		{ "2024-03-05T10:00:00.Z", NULL, NULL, 0, "empty fraction rejected" },
		{ "2024-03-05T10:00:00,5Z", NULL, "2024-03-05T10:00:00.500Z", TF_OTHER, "comma fraction" },
		{ "2024-03-05T10:00:00.123", NULL, "2024-03-05T10:00:00.123Z", TF_OTHER, "zone-less fraction is not exact" },
		{ "2024-03-05 10:00:00Z", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "space with Z" },
		{ "2024-03-05T10:00:00+01:00", NULL, "2024-03-05T09:00:00Z", TF_OTHER, "+HH:MM offset" },
		{ "2024-03-05T10:00:00+0530", NULL, "2024-03-05T04:30:00Z", TF_OTHER, "+HHMM offset" },
		{ "2024-03-05T10:00:00-08", NULL, "2024-03-05T18:00:00Z", TF_OTHER, "-HH offset" },
		{ "2024-03-05T23:30:00-01:00", NULL, "2024-03-06T00:30:00Z", TF_OTHER, "offset crosses midnight" },
		{ "2024-03-05T10:00:00+00:00", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "+00:00 is not exact" },
		{ "2024-03-05T10:00:00.250+01:00", NULL, "2024-03-05T09:00:00.250Z", TF_OTHER, "fraction and offset" },
		{ "2024-03-05T10:00:00+1:00", NULL, NULL, 0, "one-digit offset hour rejected" },
		{ "2024-03-05T10:00:00+01:", NULL, NULL, 0, "offset with dangling colon rejected" },
		{ "2024-03-05T10:00:00+25:00", NULL, NULL, 0, "offset hour 25 rejected" },
		{ "2024/03/05", NULL, "2024-03-05T00:00:00Z", TF_OTHER, "slashed Y/M/D" },
		{ "2024/03/05 10:00", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "slashed Y/M/D with minutes" },
		{ "2024/3/5 9:07:08", NULL, "2024-03-05T09:07:08Z", TF_OTHER, "slashed short fields" },
		{ "2024-3-5", NULL, "2024-03-05T00:00:00Z", TF_OTHER, "short month and day not exact" },
		{ "2024-03/05", NULL, NULL, 0, "mixed separators rejected" },
		{ "05.03.2024", NULL, "2024-03-05T00:00:00Z", TF_OTHER, "German D.M.Y" },
		{ "5.3.2024 14:30", NULL, "2024-03-05T14:30:00Z", TF_OTHER, "German short with minutes" },
		{ "05.03.2024 14:30:15", NULL, "2024-03-05T14:30:15Z", TF_OTHER, "German with seconds" },
		{ "03/04/2024", NULL, "2024-03-04T00:00:00Z", TF_OTHER, "slashes month first by default" },
		{ "03/04/2024", &dayfirst, "2024-04-03T00:00:00Z", TF_OTHER, "slashes day first by option" },
		{ "13/04/2024", NULL, "2024-04-13T00:00:00Z", TF_OTHER, "day over 12 decides day first" },
		{ "04/13/2024", &dayfirst, "2024-04-13T00:00:00Z", TF_OTHER, "day over 12 decides month first" },
		{ "13/13/2024", NULL, NULL, 0, "both parts over 12 rejected" },
		{ "12/31/2024 23:59:59", NULL, "2024-12-31T23:59:59Z", TF_OTHER, "US date with time" },
		{ "Tue, 05 Mar 2024 10:00:00 +0000", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "RFC 2822" },
		{ "Tue, 5 Mar 2024 10:00:00 -0500", NULL, "2024-03-05T15:00:00Z", TF_OTHER, "RFC 2822 negative offset" },
		{ "Tue, 05 Mar 2024 10:00:00 GMT", NULL, "2024-03-05T10:00:00Z", TF_OTHER, "RFC 2822 GMT" },
		{ "Tuesday, 05 March 2024 10:00 EST", NULL, "2024-03-05T15:00:00Z", TF_OTHER, "RFC 2822 full names, EST" },
		{ "05 Mar 2024", NULL, "2024-03-05T00:00:00Z", TF_OTHER, "RFC 2822 date only" },
		{ "Tue, 05 Foo 2024", NULL, NULL, 0, "unknown month name rejected" },
		{ "Xyz, 05 Mar 2024", NULL, NULL, 0, "unknown day name rejected" },
		{ "2024-02-29", NULL, "2024-02-29T00:00:00Z", TF_DATE, "leap day 2024" },
		{ "2000-02-29", NULL, "2000-02-29T00:00:00Z", TF_DATE, "leap day 2000 (div by 400)" },
		{ "1900-02-29", NULL, NULL, 0, "1900 is no leap year" },
		{ "2023-02-29", NULL, NULL, 0, "2023 is no leap year" },
		{ "2024-02-30", NULL, NULL, 0, "February 30 rejected" },
		{ "2024-04-31", NULL, NULL, 0, "April 31 rejected" },
		{ "2024-13-01", NULL, NULL, 0, "month 13 rejected" },
		{ "2024-00-10", NULL, NULL, 0, "month 0 rejected" },
		{ "2024-01-00", NULL, NULL, 0, "day 0 rejected" },
		{ "2024-03-05 25:00", NULL, NULL, 0, "hour 25 rejected" },
		{ "2024-03-05 24:00", NULL, NULL, 0, "hour 24 rejected" },
		{ "2024-03-05 10:60", NULL, NULL, 0, "minute 60 rejected" },
		{ "2024-03-05 10:00:61", NULL, NULL, 0, "second 61 rejected" },
		{ "2016-12-31T23:59:60Z", NULL, "2017-01-01T00:00:00Z", TF_OTHER, "leap second accepted, not exact" },
		{ "25:00", NULL, NULL, 0, "bare clock rejected" },
		{ "0999-12-31", NULL, NULL, 0, "year before 1000 rejected" },
		{ "1000-01-01", NULL, "1000-01-01T00:00:00Z", TF_DATE, "year 1000 accepted" },
		{ "9999-12-31T23:59:59Z", NULL, "9999-12-31T23:59:59Z", TF_ISO_Z, "year 9999 accepted" },
		{ "10000-01-01", NULL, NULL, 0, "five-digit year rejected" },
		{ "", NULL, NULL, 0, "empty rejected" },
		{ "   ", NULL, NULL, 0, "blanks rejected" },
		{ "n/a", NULL, NULL, 0, "n/a rejected" },
		{ "2024-03-05x", NULL, NULL, 0, "trailing garbage rejected" },
		{ "2024-03-05T10:00:00Zulu", NULL, NULL, 0, "garbage zone rejected" },
		{ "2024-03-05T", NULL, NULL, 0, "T without clock rejected" },
		{ "2024-03-05T1000", NULL, NULL, 0, "clock without colon rejected" },
		{ "2024-03-051", NULL, NULL, 0, "three-digit day rejected" },
		{ "1709632800", NULL, NULL, 0, "epoch rejected by default" },
		{ "1709632800", &epoch, "2024-03-05T10:00:00Z", TF_OTHER, "epoch seconds" },
		{ "1709632800123", &epoch, "2024-03-05T10:00:00.123Z", TF_OTHER, "epoch milliseconds" },
		{ "-1000000000", &epoch, "1938-04-24T22:13:20Z", TF_OTHER, "negative epoch seconds" },
		{ "17096328", &epoch, NULL, 0, "8-digit number is no epoch" },
		{ "170963280012", &epoch, NULL, 0, "12-digit number is no epoch" },
	};
	char name[200];
	const char *got;
	size_t i;
	int fmt;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "time: %s (%s)", cases[i].name, cases[i].in);
		got = tparse(cases[i].in, cases[i].o, &fmt);
		T_STREQ(got, cases[i].want, oneline(name));
		if (got && cases[i].want) {
			snprintf(name, sizeof name, "time: %s (%s) format", cases[i].name, cases[i].in);
			T_INTEQ(fmt, cases[i].fmt, oneline(name));
		}
	}

	/* values against timegm, not only against our own printer */
	{
		int64_t us;

		T_INTEQ(norm_time("2024-02-29T12:34:56Z", 20, NULL, &us, &fmt), 0, "time: leap day parses");
		T_INTEQ(us, utc_us(2024, 2, 29, 12, 34, 56), "time: leap day equals timegm");
		norm_time("1969-07-20T20:17:40.5Z", 22, NULL, &us, &fmt);
		T_INTEQ(us, utc_us(1969, 7, 20, 20, 17, 40) + 500000, "time: pre-1970 instant equals timegm");
		norm_time("1000-01-01", 10, NULL, &us, &fmt);
		T_INTEQ(us, utc_us(1000, 1, 1, 0, 0, 0), "time: year 1000 equals timegm");
		T_INTEQ(norm_time("2024-03-05Z!", 10, NULL, &us, &fmt), 0, "time: reads only n bytes");
		T_INTEQ(fmt, TF_DATE, "time: n-bounded date is exact");
	}
}

static void
test_time_zone(void)
{
	static const struct {
		const char *in, *tz, *want, *name;
	} cases[] = {
		{ "2024-07-01 12:00:00", "Europe/Berlin", "2024-07-01T10:00:00Z", "Berlin summer is +2" },
		{ "2024-01-15 12:00:00", "Europe/Berlin", "2024-01-15T11:00:00Z", "Berlin winter is +1" },
		{ "2024-03-31 01:59:59", "Europe/Berlin", "2024-03-31T00:59:59Z", "Berlin before spring change" },
		{ "2024-03-31 03:00:00", "Europe/Berlin", "2024-03-31T01:00:00Z", "Berlin after spring change" },
		{ "2024-10-27 04:00:00", "Europe/Berlin", "2024-10-27T03:00:00Z", "Berlin after autumn change" },
		{ "05.03.2024 10:00", "Europe/Berlin", "2024-03-05T09:00:00Z", "German date in Berlin" },
		{ "2024-03-05", "Europe/Berlin", "2024-03-04T23:00:00Z", "date is local midnight" },
		{ "2024-07-04 09:00", "America/New_York", "2024-07-04T13:00:00Z", "New York summer is -4" },
		{ "2024-12-24 09:00", "America/New_York", "2024-12-24T14:00:00Z", "New York winter is -5" },
		{ "2024-07-01 12:00:00", "Europe/Berlin", "2024-07-01T10:00:00Z", "switching zone back to Berlin" },
		{ "1969-12-31 23:30", "Europe/Berlin", "1969-12-31T22:30:00Z", "Berlin before 1970" },
		{ "2024-07-01 12:00:00+05:00", "Europe/Berlin", "2024-07-01T07:00:00Z", "explicit offset beats zone" },
		{ "2024-07-01T12:00:00Z", "Europe/Berlin", "2024-07-01T12:00:00Z", "explicit Z beats zone" },
		{ "2024-07-01 12:00:00", "UTC", "2024-07-01T12:00:00Z", "UTC by name" },
		{ "2024-07-01 12:00:00", "Europe/Berlni", NULL, "misspelt zone rejects, never reads as UTC" },
		{ "2024-07-01 12:00:00", "CET-1CEST,M3.5.0,M10.5.0/3", "2024-07-01T10:00:00Z", "POSIX rule string" },
		{ "2024-07-01 12:00:00", "../../etc/passwd", NULL, "path outside the zone directory rejected" },
	};
	struct time_opts o = { NULL, 0, 0 };
	char name[200];
	const char *got;
	size_t i;
	int fmt, round, bad = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		o.tz = cases[i].tz;
		snprintf(name, sizeof name, "time zone: %s (%s in %s)", cases[i].name, cases[i].in, cases[i].tz);
		T_STREQ(tparse(cases[i].in, &o, &fmt), cases[i].want, name);
	}
	o.tz = "Europe/Berlin";
	tparse("2024-07-01 12:00:00", &o, &fmt);
	T_INTEQ(fmt, TF_OTHER, "time zone: zone-less text in Berlin is not exact");
	o.tz = "UTC";
	tparse("2024-07-01 12:00:00", &o, &fmt);
	T_INTEQ(fmt, TF_SPACE, "time zone: zone-less text in UTC is exact");

	/* the hour cache must not mix up days or zones */
	for (round = 0; round < 3; round++) {
		o.tz = "Europe/Berlin";
		got = tparse("2024-01-15 12:00:00", &o, &fmt);
		bad += !got || strcmp(got, "2024-01-15T11:00:00Z") != 0;
		got = tparse("2024-07-15 12:00:00", &o, &fmt);
		bad += !got || strcmp(got, "2024-07-15T10:00:00Z") != 0;
		o.tz = "America/New_York";
		got = tparse("2024-07-15 12:00:00", &o, &fmt);
		bad += !got || strcmp(got, "2024-07-15T16:00:00Z") != 0;
	}
	T_INTEQ(bad, 0, "time zone: cached offsets stay right across zone switches");
}

/* Truncate us to what fmt can show (floor, also before 1970). */
static int64_t
trunc_to(int64_t us, int fmt)
{
	int64_t unit = 1;

	switch (fmt) {
	case TF_DATE: unit = 86400000000LL; break;
	case TF_SPACE_MIN: unit = 60000000LL; break;
	case TF_ISO_Z: case TF_ISO: case TF_SPACE: unit = 1000000; break;
	case TF_ISO_MS_Z: unit = 1000; break;
	}
	return us - ((us % unit) + unit) % unit;
}

static void
test_time_format(void)
{
	static const char *const exact[] = {
		"2024-03-05", "2024-03-05T10:00:00Z", "2024-03-05T10:00:00.123Z",
		"2024-03-05T10:00:00.123456Z", "2024-03-05T10:00:00", "2024-03-05 10:00:00",
		"2024-03-05 10:00", "1969-12-31T23:59:59.999Z", "1000-01-01T00:00:00.000001Z",
		"9999-12-31 23:59", "2024-02-29", "1970-01-01T00:00:00Z", "2000-01-01T00:00:00.000Z",
	};
	char name[200], first[200] = "";
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int64_t lo, hi, us, got;
	size_t i;
	int f, fmt, bad;

	T_STREQ(tfmt(0, TF_ISO_Z), "1970-01-01T00:00:00Z", "format: epoch zero");
	T_STREQ(tfmt(-1, TF_OTHER), "1969-12-31T23:59:59.999999Z", "format: one us before epoch floors");
	T_STREQ(tfmt(-1000, TF_OTHER), "1969-12-31T23:59:59.999Z", "format: one ms before epoch floors");
	T_STREQ(tfmt(-1000000, TF_OTHER), "1969-12-31T23:59:59Z", "format: one s before epoch");
	T_STREQ(tfmt(-1, TF_DATE), "1969-12-31", "format: date before epoch floors");
	T_STREQ(tfmt(-86400000000LL, TF_SPACE), "1969-12-31 00:00:00", "format: exactly one day before");
	T_STREQ(tfmt(utc_us(1900, 3, 1, 6, 7, 8) + 90, TF_ISO_US_Z), "1900-03-01T06:07:08.000090Z",
	    "format: 1900 with microseconds");
	T_STREQ(tfmt(1709632800123456LL, TF_ISO_MS_Z), "2024-03-05T10:00:00.123Z", "format: ms truncates us");
	T_STREQ(tfmt(1709632800123456LL, TF_SPACE_MIN), "2024-03-05 10:00", "format: minutes drop seconds");
	T_STREQ(tfmt(1709632800000000LL, TF_OTHER), "2024-03-05T10:00:00Z", "format: TF_OTHER whole seconds");
	T_STREQ(tfmt(1709632800120000LL, TF_OTHER), "2024-03-05T10:00:00.120Z", "format: TF_OTHER ms");
	T_STREQ(tfmt(1709632800000001LL, TF_OTHER), "2024-03-05T10:00:00.000001Z", "format: TF_OTHER us");
	T_STREQ(tfmt(1709632800000000LL, TF_NONE), "2024-03-05T10:00:00Z", "format: TF_NONE prints as instant");
	sb_reset(&sb);
	sb_adds(&sb, "x=");
	time_format(0, TF_DATE, &sb);
	T_STREQ(sb.buf, "x=1970-01-01", "format: appends to out");

	for (i = 0; i < sizeof exact / sizeof exact[0]; i++) {
		const char *s = exact[i];
		int64_t v;

		snprintf(name, sizeof name, "format: %s prints back byte for byte", s);
		if (norm_time(s, strlen(s), NULL, &v, &fmt) < 0) {
			T_CHECK(0, name);
			continue;
		}
		T_STREQ(tfmt(v, fmt), s, name);
	}

	/* norm_time(time_format(us, f)) == (us, f) over years 1000..9999 */
	lo = utc_us(1000, 1, 1, 0, 0, 0);
	hi = utc_us(9999, 12, 31, 23, 59, 59);
	for (f = TF_DATE; f < TF_OTHER; f++) {
		bad = 0;
		for (i = 0; i < 20000; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			us = lo + (int64_t)((seed >> 1) % (uint64_t)(hi - lo));
			if (i < 4)	/* always include the edges and the epoch */
				us = i == 0 ? lo : i == 1 ? hi : i == 2 ? 0 : -1;
			us = trunc_to(us, f);
			tfmt(us, f);
			if (norm_time(sb.buf, sb.len, NULL, &got, &fmt) < 0 || got != us || fmt != f) {
				if (!bad++)
					snprintf(first, sizeof first, "%s -> %lld fmt %d", sb.buf, (long long)got, fmt);
			}
		}
		snprintf(name, sizeof name, "format: round trip of format %d over 20000 instants", f);
		T_INTEQ(bad, 0, name);
		if (bad)
			printf("#   first: %s\n", first);
	}
}

int
main(void)
{
	test_email();
	test_phone();
	test_time_parse();
	test_time_zone();
	test_time_format();
	sb_free(&sb);
	return t_done();
}
