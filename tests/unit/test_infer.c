/*
 * test_infer.c - values as exporters write them (infer.c): the Excel
 * apostrophe, booleans, amounts, countries, header-name rules, and the
 * column type decided from values, including the ambiguous cases that
 * must stay text.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "column.h"
#include "infer.h"
#include "normalize.h"
#include "record.h"

static void
test_apostrophe(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "'+4917612345678", "+4917612345678" },
		{ "'7125301234567", "7125301234567" },
		{ "'01067", "01067" },
		{ "'(217) 555-0100", "(217) 555-0100" },
		{ "'Tis", "'Tis" },
		{ "'", "'" },
		{ "'+", "'+" },
		{ "7125", "7125" },
		{ "''12", "''12" },
	};
	char name[96], got[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *s = cases[i].in;
		size_t len = strlen(s);

		clean_apostrophe(&s, &len);
		snprintf(got, sizeof got, "%.*s", (int)len, s);
		snprintf(name, sizeof name, "apostrophe: %s", cases[i].in);
		T_STREQ(got, cases[i].want, name);
	}
}

static void
test_bool(void)
{
	static const struct {
		const char *in;
		int zero_one, want;
	} cases[] = {
		{ "true", 0, 1 }, { "FALSE", 0, 0 }, { "True", 0, 1 }, { "yes", 0, 1 },
		{ "No", 0, 0 }, { "Y", 0, 1 }, { "n", 0, 0 }, { "on", 0, 1 }, { "OFF", 0, 0 },
		{ "ja", 0, 1 }, { "Nein", 0, 0 }, { "oui", 0, 1 }, { "non", 0, 0 },
		{ "s\xc3\xad", 0, 1 }, { "S\xc3\x8d", 0, 1 }, { "si", 0, 1 }, { "wahr", 0, 1 },
		{ "falsch", 0, 0 }, { "1", 1, 1 }, { "0", 1, 0 }, { "1", 0, -1 }, { "2", 1, -1 },
		{ "yess", 0, -1 }, { "", 0, -1 }, { "maybe", 0, -1 }, { "truefalse", 0, -1 },
	};
	char name[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "bool: '%s'%s", cases[i].in, cases[i].zero_one ? " (0/1)" : "");
		T_INTEQ(parse_bool(cases[i].in, strlen(cases[i].in), cases[i].zero_one), cases[i].want, name);
	}
}

/* The amount as text ("1234.50 EUR"), or "-" when refused. */
static const char *
amount(const char *s, int style)
{
	static char buf[64];
	int64_t x;
	uint32_t cur;
	int flags;
	struct colvec v;
	struct strbuf sb = STRBUF_INIT;

	if (parse_amount(s, strlen(s), style, &x, &cur, &flags) < 0)
		return "-";
	colvec_init(&v, CT_DEC);
	colvec_push_int(&v, x);
	colvec_format(&v, 0, &sb);
	if (cur)
		snprintf(buf, sizeof buf, "%s %c%c%c", sb.buf, (char)(cur >> 16), (char)(cur >> 8), (char)cur);
	else
		snprintf(buf, sizeof buf, "%s", sb.buf);
	sb_free(&sb);
	colvec_free(&v);
	return buf;
}

static void
test_amount(void)
{
	static const struct {
		const char *in;
		int style;
		const char *want;
	} cases[] = {
		{ "1.234,50 \xe2\x82\xac", DEC_COMMA, "1234.50 EUR" },
		{ "1.234,50\xc2\xa0\xe2\x82\xac", DEC_COMMA, "1234.50 EUR" },
		{ "$1,234.50", DEC_DOT, "1234.50 USD" },
		{ "EUR 12,00", DEC_COMMA, "12.00 EUR" },
		{ "12.00 USD", DEC_DOT, "12.00 USD" },
		{ "-3,20 \xe2\x82\xac", DEC_COMMA, "-3.20 EUR" },
		{ "-\xe2\x82\xac" "5", DEC_DOT, "-5 EUR" },
		{ "\xc2\xa3" "1 234.5", DEC_DOT, "1234.5 GBP" },
		{ "CHF 1'234.50", DEC_DOT, "1234.50 CHF" },
		{ "1,234,567.89", DEC_DOT, "1234567.89" },
		{ "1.234.567,89", DEC_COMMA, "1234567.89" },
		{ "1,234", DEC_DOT, "1234" },
		{ "1,234", DEC_COMMA, "1.234" },
		{ "1.234", DEC_DOT, "1.234" },
		{ "1.234", DEC_COMMA, "1234" },
		{ "12,5", DEC_COMMA, "12.5" },
		{ "12,5", DEC_DOT, "-" },
		{ "0,50", DEC_COMMA, "0.50" },
		{ "007", DEC_DOT, "-" },
		{ "01067", DEC_COMMA, "-" },
		{ "+49 171 2345678", DEC_DOT, "-" },
		{ "10 115", DEC_DOT, "-" },
		{ "1,23,456", DEC_DOT, "-" },
		{ "12,3456", DEC_DOT, "-" },
		{ "-0", DEC_DOT, "-" },
		{ "\xe2\x82\xac", DEC_DOT, "-" },
		{ "abc", DEC_DOT, "-" },
		{ "1.", DEC_DOT, "-" },
		{ "123456789012345678", DEC_DOT, "-" },
	};
	char name[96];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "amount: '%s' with a decimal %s", cases[i].in,
		    cases[i].style == DEC_COMMA ? "comma" : "point");
		T_STREQ(amount(cases[i].in, cases[i].style), cases[i].want, name);
	}
}

static void
test_country(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "DE", "DE" }, { "de", "DE" }, { "DEU", "DE" }, { "Germany", "DE" },
		{ "Deutschland", "DE" }, { "Allemagne", "DE" }, { "Alemania", "DE" }, { "Germania", "DE" },
		{ "Niederlande", "NL" }, { "Nederland", "NL" }, { "Netherlands", "NL" }, { "Holland", "NL" },
		{ "UK", "GB" }, { "United Kingdom", "GB" }, { "GBR", "GB" }, { "Great Britain", "GB" },
		{ "USA", "US" }, { "us", "US" }, { "United States", "US" },
		{ "United States of America", "US" }, { "\xc3\x96sterreich", "AT" }, { "Austria", "AT" },
		{ "Schweiz", "CH" }, { "Suisse", "CH" }, { "Svizzera", "CH" }, { "Espa\xc3\xb1" "a", "ES" },
		{ "Italia", "IT" }, { "Polska", "PL" }, { "Sverige", "SE" }, { "Danmark", "DK" },
		{ "Belgique", "BE" }, { "Belgi\xc3\xab", "BE" }, { "Liechtenstein", "LI" },
		{ "Czechia", "CZ" }, { "\xc4\x8c" "esko", "CZ" }, { "South Korea", "KR" },
		{ "Atlantis", NULL }, { "", NULL }, { "XX", NULL }, { "Georgia", "GE" },
	};
	char name[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "country: '%s'", cases[i].in);
		T_STREQ(country_iso2(cases[i].in, strlen(cases[i].in)), cases[i].want, name);
	}
}

static void
test_names(void)
{
	T_CHECK(time_column("order_ts"), "names: order_ts is a time");
	T_CHECK(time_column("changed_at"), "names: changed_at is a time");
	T_CHECK(time_column("Created at"), "names: 'Created at' is a time");
	T_CHECK(time_column("OPTIN_TIME"), "names: OPTIN_TIME is a time");
	T_CHECK(time_column("LAST_CHANGED"), "names: LAST_CHANGED is a time");
	T_CHECK(time_column("signup_date"), "names: signup_date is a time");
	T_CHECK(time_column("createdAt"), "names: createdAt is a time");
	T_CHECK(!time_column("birth_date"), "names: birth_date is no time of the row");
	T_CHECK(!time_column("format"), "names: format is no time");
	T_CHECK(!time_column("cat"), "names: cat is no time");
	T_CHECK(country_column("Default Address Country Code"), "names: Shopify's country code column");
	T_CHECK(country_column("country"), "names: country");
	T_CHECK(country_column("Land"), "names: Land");
	T_CHECK(!country_column("county"), "names: county is no country");
	T_CHECK(flag_column("email_opt_in"), "names: email_opt_in is a flag");
	T_CHECK(flag_column("Accepts Email Marketing"), "names: Accepts Email Marketing is a flag");
	T_CHECK(flag_column("is_vip"), "names: is_vip is a flag");
	T_CHECK(flag_column("isActive"), "names: isActive is a flag");
	T_CHECK(!flag_column("island"), "names: island is no flag");
	T_CHECK(!flag_column("quantity"), "names: quantity is no flag");
}

/* The type of a column of text values. */
static int
type_of(const char *name, int decimal_comma, int day_first, const char *const *vals,
    char *note, size_t n)
{
	struct tinfer t;
	int tfmt;

	tinfer_init(&t, name, decimal_comma, day_first);
	t.full = 1;
	for (; *vals; vals++)
		tinfer_add(&t, *vals, strlen(*vals), FK_TEXT);
	note[0] = '\0';
	tinfer_note(&t, note, n);
	return tinfer_type(&t, &tfmt);
}

static void
test_types(void)
{
	static const char *const ints[] = { "1", "-7", "42", NULL };
	static const char *const zips[] = { "10115", "01067", NULL };
	static const char *const bools[] = { "true", "FALSE", "1", "0", "Yes", NULL };
	static const char *const zero_one[] = { "0", "1", "1", NULL };
	static const char *const euros[] = { "1.234,50 \xe2\x82\xac", "5,50 \xe2\x82\xac", "12 \xe2\x82\xac", NULL };
	static const char *const ambiguous[] = { "1,234", "2,500", NULL };
	static const char *const dots[] = { "1.234", "2.5", NULL };
	static const char *const currencies[] = { "$5.00", "\xe2\x82\xac" "5.00", NULL };
	static const char *const dmy[] = { "31.12.2024", "05.03.2024", NULL };
	static const char *const slash_df[] = { "31/12/2024", "05/03/2024", NULL };
	static const char *const slash_amb[] = { "03/04/2024", "05/06/2024", NULL };
	static const char *const slash_mixed[] = { "31/12/2024", "12/31/2024", NULL };
	static const char *const iso_off[] = { "2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00Z", NULL };
	static const char *const mostly_num[] = { "1", "2", "3", "n/a", NULL };
	char note[256];
	int tf;

	T_INTEQ(type_of("n", 0, 0, ints, note, sizeof note), CT_INT, "type: integers");
	T_INTEQ(type_of("zip", 0, 0, zips, note, sizeof note), CT_STR, "type: zips with a leading 0 stay text");
	T_INTEQ(type_of("opt_in", 0, 0, bools, note, sizeof note), CT_BOOL, "type: mixed boolean spellings");
	T_INTEQ(type_of("quantity", 0, 0, zero_one, note, sizeof note), CT_INT, "type: 0/1 stays integer");
	T_INTEQ(type_of("is_vip", 0, 0, zero_one, note, sizeof note), CT_BOOL, "type: 0/1 in a flag column is boolean");
	T_INTEQ(type_of("Umsatz", 0, 0, euros, note, sizeof note), CT_DEC, "type: euro amounts");
	T_INTEQ(type_of("amount", 0, 0, ambiguous, note, sizeof note), CT_STR, "type: 1,234 alone is undecided");
	T_CHECK(strstr(note, "undecided: amounts such as 1,234") != NULL, "type: the note says why");
	T_INTEQ(type_of("amount", 1, 0, ambiguous, note, sizeof note), CT_DEC, "type: --decimal-comma decides");
	T_INTEQ(type_of("amount", 2, 0, ambiguous, note, sizeof note), CT_DEC, "type: decimal-comma = no decides");
	T_INTEQ(type_of("amount", 0, 0, dots, note, sizeof note), CT_DEC, "type: 1.234 is a decimal point by default");
	T_INTEQ(type_of("amount", 0, 0, currencies, note, sizeof note), CT_STR, "type: two currencies stay text");
	T_INTEQ(type_of("d", 0, 0, dmy, note, sizeof note), CT_TIME, "type: D.M.YYYY dates");
	T_INTEQ(type_of("d", 0, 0, slash_df, note, sizeof note), CT_TIME, "type: 31/12/2024 makes a column day first");
	T_INTEQ(type_of("d", 0, 0, slash_amb, note, sizeof note), CT_STR, "type: 03/04/2024 alone is undecided");
	T_CHECK(strstr(note, "day or month first") != NULL, "type: the date note says why");
	T_INTEQ(type_of("d", 1, 1, slash_amb, note, sizeof note), CT_TIME, "type: --day-first decides");
	T_INTEQ(type_of("d", 0, 0, slash_mixed, note, sizeof note), CT_STR, "type: day and month first mixed stay text");
	T_INTEQ(type_of("d", 0, 0, iso_off, note, sizeof note), CT_TIME, "type: RFC 3339 with offsets is a timestamp");
	T_INTEQ(type_of("x", 0, 0, mostly_num, note, sizeof note), CT_STR, "type: mostly numbers stays text");
	T_CHECK(strstr(note, "mixed formats: 3 of 4 values are numbers, but not 'n/a'") != NULL,
	    "type: mixed formats are reported");

	{
		struct tinfer t;
		int64_t x;

		tinfer_init(&t, "d", 0, 0);
		for (int i = 0; slash_df[i]; i++)
			tinfer_add(&t, slash_df[i], strlen(slash_df[i]), FK_TEXT);
		T_INTEQ(tinfer_type(&t, &tf), CT_TIME, "value: day-first column typed");
		T_INTEQ(tf, TF_DATE, "value: a date-only column prints as a date");
		T_CHECK(tinfer_value(&t, CT_TIME, "05/03/2024", 10, &x) == 0 &&
		    x == INT64_C(1709596800000000), "value: 05/03/2024 read day first is 5 March");
		tinfer_init(&t, "Umsatz", 0, 0);
		for (int i = 0; euros[i]; i++)
			tinfer_add(&t, euros[i], strlen(euros[i]), FK_TEXT);
		T_CHECK(tinfer_value(&t, CT_DEC, euros[0], strlen(euros[0]), &x) == 0 &&
		    x == 123450 * 16 + 2, "value: 1.234,50 EUR is 1234.50");
	}
}

int
main(void)
{
	test_apostrophe();
	test_bool();
	test_amount();
	test_country();
	test_names();
	test_types();
	return t_done();
}
