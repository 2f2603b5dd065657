/*
 * test_mapping.c - mapping rules, the presets and the attribute aliases.
 */
#include <stdio.h>
#include <stdlib.h>

#include "attrs.h"
#include "import.h"
#include "t.h"

static const char *const preset_names[] = { "shopify-customers", "shopify-orders",
	"mailchimp-subscribed", "mailchimp-unsubscribed", "mailchimp-cleaned", "segment",
	"rudderstack", "stripe-payments", "hubspot-contacts", NULL };

static void
test_presets_parse(void)
{
	char name[96];

	for (int i = 0; preset_names[i]; i++) {
		struct import_opts o = { 0 };
		int r = import_load_preset(&o, preset_names[i]);

		snprintf(name, sizeof name, "preset %s: every line is a valid setting", preset_names[i]);
		T_CHECK(r == 0 && o.source != NULL, name);
		if (r < 0)
			printf("#   %s\n", cdp_err());
		import_opts_free(&o);
	}
	struct import_opts o = { 0 };

	T_CHECK(import_load_preset(&o, "shopify") < 0, "preset: an unknown name fails");
	import_load_preset(&o, "shopify-orders");
	T_STREQ(o.group, "Name", "preset shopify-orders: line items grouped by Name");
	T_STREQ(o.map[ROLE_ANONYMOUS_ID], "", "preset shopify-orders: no column is an anonymous id");
	T_STREQ(o.renames[0].column, "Device ID", "preset shopify-orders: the till is renamed");
	import_opts_free(&o);
	import_load_preset(&o, "mailchimp-cleaned");
	T_CHECK(o.nsets == 1, "preset mailchimp-cleaned: one constant column");
	T_STREQ(o.sets[0].value, "cleaned", "preset mailchimp-cleaned: status cleaned");
	T_STREQ(o.map[ROLE_TIME], "CLEAN_TIME", "preset mailchimp-cleaned: time of the cleaning");
	import_opts_free(&o);
}

static void
test_rules(void)
{
	struct import_opts o = { 0 };

	T_CHECK(import_load_mapping_text(&o, "t", "set status = a\nset status = b\n") == 0 &&
	    o.nsets == 1, "mapping: a second set of one column replaces the first");
	T_STREQ(o.sets[0].value, "b", "mapping: the later set wins");
	T_CHECK(import_load_mapping_text(&o, "t", "rename  First Name  = first_name\r\n") == 0,
	    "mapping: CRLF and blanks around a column with spaces");
	T_STREQ(o.renames[0].column, "First Name", "mapping: the column keeps its inner blank");
	T_CHECK(import_load_mapping_text(&o, "t", "\n# c\nskip Status = Failed, Blocked\n") == 0,
	    "mapping: comments and empty lines");
	T_CHECK(import_load_mapping_text(&o, "where", "ok = 1\n") < 0, "mapping: unknown key fails");
	T_STREQ(cdp_err(), "where:1: unknown setting 'ok'", "mapping: the error names place and line");
	T_CHECK(import_load_mapping_text(&o, "w", "kind = person\nset x =\n") < 0,
	    "mapping: an empty set value fails");
	T_STREQ(cdp_err(), "w:2: set x: the value is empty", "mapping: ... on its line");
	T_CHECK(import_load_mapping_text(&o, "w", "phone =\n") == 0 && o.map[ROLE_PHONE][0] == '\0',
	    "mapping: an empty role value switches the role off");
	import_opts_free(&o);
}

static void
test_attribute_aliases(void)
{
	static const char *const cases[][2] = {
		{ "fname", "first_name" }, { "firstname", "first_name" }, { "vorname", "first_name" },
		{ "lname", "last_name" }, { "surname", "last_name" },
		{ "default_address_country_code", "country" }, { "cc", "country" },
		{ "country_region", "country" }, { "zip", "postal_code" }, { "plz", "postal_code" },
		{ "default_address_zip", "postal_code" }, { "default_address_city", "city" },
		{ "province_code", "region" },
		/* the record-linkage benchmarks: FEBRL, Splink, NC voters */
		{ "given_name", "first_name" }, { "suburb", "city" }, { "res_city_desc", "city" },
		{ "date_of_birth", "birth_date" }, { "dob", "birth_date" }, { "birthdate", "birth_date" },
		{ "address_1", "street" }, { "res_street_address", "street" },
		{ "stra\xc3\x9f" "e", "street" }, { "street_number", "house_number" },
		{ "postcode_fake", "postal_code" }, { "soc_sec_id", "national_id" },
		{ "gender_code", "gender" },
	};
	char name[96];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "attrs: %s is %s", cases[i][0], cases[i][1]);
		T_STREQ(attr_canonical(cases[i][0]), cases[i][1], name);
	}
	T_CHECK(attr_canonical("first_name") == NULL, "attrs: a canonical name has no alias");
	T_CHECK(attr_canonical("name") == NULL && attr_canonical("state") == NULL,
	    "attrs: ambiguous names stay as they are");
	T_CHECK(attr_canonical("address") == NULL && attr_canonical("birthday") == NULL &&
	    attr_canonical("address_2") == NULL, "attrs: an address or a birthday without year stays");
}

int
main(void)
{
	test_presets_parse();
	test_rules();
	test_attribute_aliases();
	return t_done();
}
