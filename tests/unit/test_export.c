/*
 * test_export.c - the export module's pure parts: SHA-256 known
 * answers, each platform normalization rule, consent decisions, the id
 * line parser, attribute aliases and the preset tables.
 */
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "t.h"

/* The normalized text of s under rule, in a static buffer. */
static const char *
norm(int rule, const char *s, const char *country)
{
	static char buf[256];
	struct strbuf sb = STRBUF_INIT;

	export_normalize(rule, s, strlen(s), country, &sb);
	snprintf(buf, sizeof buf, "%.*s", (int)sb.len, sb.buf ? sb.buf : "");
	sb_free(&sb);
	return buf;
}

static const char *
sha(const char *s)
{
	static char hex[65];

	export_sha256_hex(s, strlen(s), hex);
	return hex;
}

static void
test_sha256(void)
{
	/* FIPS 180-2 appendix B.1 and the empty message */
	T_STREQ(sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256: FIPS 180-2 'abc' known answer");
	T_STREQ(sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256: empty message known answer");
	T_STREQ(sha(norm(ER_GOOGLE_EMAIL, " Test.User@GMAIL.com ", NULL)),
	    "dae9c7c55697ba170d6b494c458649bd469af525520280d0dcfc98d74d13b17e",
	    "google-ads: gmail address hashes as testuser@gmail.com");
	T_STREQ(sha(norm(ER_E164, "(415) 555-0123", "US")),
	    "36a2cef4ff9bf7a1abd2a93359136b870393be4106e6c5d19b72ff564f9deca4",
	    "google-ads: US national phone hashes as +14155550123");
}

static void
test_email(void)
{
	T_STREQ(norm(ER_EMAIL, "  Anna.Schmidt@Example.COM ", NULL), "anna.schmidt@example.com",
	    "email: trimmed and lower-cased");
	T_STREQ(norm(ER_EMAIL, "not an address", NULL), "", "email: implausible address gives nothing");
	T_STREQ(norm(ER_GOOGLE_EMAIL, "J.O.Doe@googlemail.com", NULL), "jodoe@googlemail.com",
	    "google-ads: dots dropped before @googlemail.com");
	T_STREQ(norm(ER_GOOGLE_EMAIL, "j.doe@example.com", NULL), "j.doe@example.com",
	    "google-ads: dots kept for other domains");
	T_STREQ(norm(ER_EMAIL, "J.Doe@gmail.com", NULL), "j.doe@gmail.com",
	    "meta: gmail dots are kept (meta asks only for trim and lower case)");
}

static void
test_phone(void)
{
	T_STREQ(norm(ER_E164, "030 1234567", "DE"), "+49301234567", "phone: national number takes profile country");
	T_STREQ(norm(ER_E164, "+49301234567", NULL), "+49301234567", "phone: E.164 kept without a country");
	T_STREQ(norm(ER_E164, "030 1234567", NULL), "", "phone: national number without country gives nothing");
	T_STREQ(norm(ER_META_PHONE, "+49 (0)30 1234567", NULL), "49301234567",
	    "meta: phone is digits with country code, no plus");
	T_STREQ(norm(ER_META_PHONE, "0049 30 1234567", "DE"), "49301234567",
	    "meta: international prefix 00 is not a leading zero kept");
}

static void
test_names_places(void)
{
	T_STREQ(norm(ER_LOWER_TRIM, "  Jürgen ", NULL), "jürgen", "google-ads: name trimmed, lower-cased, umlaut kept");
	T_STREQ(norm(ER_LOWER_TRIM, "ÉLODIE", NULL), "élodie", "lower case: Latin-1 capitals");
	T_STREQ(norm(ER_LOWER_TRIM, "ŁUKASZ", NULL), "łukasz", "lower case: Latin Extended-A capitals");
	T_STREQ(norm(ER_LOWER_TRIM, "ΑΝΝΑ", NULL), "αννα", "lower case: Greek capitals");
	T_STREQ(norm(ER_META_NAME, "O'Brien-Smith", NULL), "obriensmith", "meta: name loses punctuation");
	T_STREQ(norm(ER_META_NAME, " Mary   Ann ", NULL), "mary ann", "meta: name keeps one inner space, no outer");
	T_STREQ(norm(ER_META_PLACE, "Halle (Saale)", NULL), "hallesaale", "meta: city has no spaces or punctuation");
	T_STREQ(norm(ER_META_PLACE, "München", NULL), "münchen", "meta: city keeps UTF-8 letters");
	T_STREQ(norm(ER_META_ZIP, "94103-1234", "US"), "94103", "meta: US zip is its first 5 digits");
	T_STREQ(norm(ER_META_ZIP, "SW1A 1AA", "GB"), "sw1a1aa", "meta: other zips lower-case without spaces");
	T_STREQ(norm(ER_META_ZIP, "941", "US"), "", "meta: short US zip gives nothing");
	T_STREQ(norm(ER_UPPER_ALPHA2, " de ", NULL), "DE", "google-ads: country is upper-case alpha-2");
	T_STREQ(norm(ER_LOWER_ALPHA2, "DE", NULL), "de", "meta: country is lower-case alpha-2");
	T_STREQ(norm(ER_UPPER_ALPHA2, "Germany", NULL), "", "country: a name is not a code");
	T_STREQ(norm(ER_TRIM, " 10115 ", NULL), "10115", "google-ads: zip trimmed, not hashed");
}

static void
test_consent(void)
{
	struct export_consent yes = { 1, -2, -2, 0 }, no = { 0, -2, -2, 0 }, unknown = { -1, -2, -2, 0 };
	struct export_consent ads_no = { 1, 0, -2, 0 }, ads_yes = { 0, 1, -2, 0 };
	struct export_consent an_no = { 1, 1, 0, 0 }, supp = { 1, 1, 1, 1 };

	T_CHECK(export_allowed(EXPORT_EMAIL, &yes), "consent: email purpose needs given e-mail consent");
	T_CHECK(!export_allowed(EXPORT_EMAIL, &unknown), "consent: unknown e-mail consent is not consent");
	T_CHECK(!export_allowed(EXPORT_EMAIL, &no), "consent: refused e-mail consent excludes");
	T_CHECK(export_allowed(EXPORT_ADS, &yes), "consent: ads falls back to e-mail consent without ads column");
	T_CHECK(!export_allowed(EXPORT_ADS, &ads_no), "consent: refused ads consent wins over e-mail consent");
	T_CHECK(export_allowed(EXPORT_ADS, &ads_yes), "consent: given ads consent allows ads");
	T_CHECK(export_allowed(EXPORT_ANALYTICS, &unknown), "consent: analytics allowed unless refused");
	T_CHECK(!export_allowed(EXPORT_ANALYTICS, &an_no), "consent: refused analytics excludes");
	T_CHECK(export_allowed(EXPORT_ANY, &no), "consent: purpose none checks no consent");
	T_CHECK(!export_allowed(EXPORT_ANY, &supp), "consent: a suppressed person is never exported");
	T_INTEQ(export_parse_purpose("ads"), EXPORT_ADS, "purpose: names parse");
	T_INTEQ(export_parse_purpose("marketing"), -1, "purpose: unknown name refused");
}

static void
test_parse_line(void)
{
	int64_t id = 0;
	int sign = 0;

	T_INTEQ(export_parse_line("12\n", 3, &id, &sign), 1, "ids: plain id parses");
	T_INTEQ(id, 12, "ids: plain id value");
	T_INTEQ(export_parse_line("-7\r\n", 4, &id, &sign), 1, "ids: removal line parses");
	T_CHECK(id == 7 && sign == '-', "ids: removal has sign '-'");
	T_INTEQ(export_parse_line("+8,x,y\n", 7, &id, &sign), 1, "ids: first CSV column is the id");
	T_CHECK(id == 8 && sign == '+', "ids: addition has sign '+'");
	T_INTEQ(export_parse_line("9\tDE\n", 5, &id, &sign), 1, "ids: first TSV column is the id");
	T_INTEQ(export_parse_line("profile_id,country\n", 19, &id, &sign), 0, "ids: header skipped");
	T_INTEQ(export_parse_line("\n", 1, &id, &sign), 0, "ids: blank line skipped");
	T_INTEQ(export_parse_line("anna@example.com\n", 17, &id, &sign), -1, "ids: non-number refused");
	T_INTEQ(export_parse_line("+\n", 2, &id, &sign), -1, "ids: bare sign refused");
}

static void
test_attrs_presets(void)
{
	const struct export_preset *g = export_preset_find("google-ads"), *m = export_preset_find("meta");

	T_INTEQ(export_attr_of("First Name"), EA_FIRST, "attrs: 'First Name' is the first name");
	T_INTEQ(export_attr_of("given_name"), EA_FIRST, "attrs: 'given_name' is the first name");
	T_INTEQ(export_attr_of("PLZ"), EA_ZIP, "attrs: 'PLZ' is the postal code");
	T_INTEQ(export_attr_of("emails"), EA_NONE, "attrs: the identifier list is not the e-mail");
	T_INTEQ(export_attr_of("_t:country"), EA_NONE, "attrs: internal columns are never attributes");
	T_CHECK(export_attr_rank(EA_ZIP, "postal_code") > export_attr_rank(EA_ZIP, "zip"),
	    "attrs: the first alias ranks highest");
	T_CHECK(export_preset_find("tiktok") == NULL, "presets: unknown name not found");
	T_CHECK(g && g->nfields == 6 && strcmp(g->fields[2].header, "First Name") == 0,
	    "presets: google-ads has Google's template columns");
	T_CHECK(g && !g->fields[4].hash && !g->fields[5].hash && g->fields[0].hash,
	    "presets: google-ads hashes contact data but not country and zip");
	T_CHECK(m && m->nfields == 8 && strcmp(m->fields[7].header, "COUNTRY") == 0 && m->fields[7].hash,
	    "presets: meta hashes every column including COUNTRY");
	T_CHECK(g && g->purpose == EXPORT_ADS && export_preset_find("mailchimp")->purpose == EXPORT_EMAIL,
	    "presets: each applies its purpose");
}

int
main(void)
{
	test_sha256();
	test_email();
	test_phone();
	test_names_places();
	test_consent();
	test_parse_line();
	test_attrs_presets();
	return t_done();
}
