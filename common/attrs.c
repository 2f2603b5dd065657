/*
 * attrs.c - the alias table of profile attribute names (see attrs.h).
 *
 * Keys are folded names: lower case, runs of anything but letters and
 * digits as one '_' (so "Default Address Zip" is default_address_zip
 * and "firstName" is firstname).  An alias is listed only when it
 * cannot mean anything else in the sources cdp knows: "name" is left
 * alone (full name or company?), "state" too (account state in
 * Shopify, region elsewhere), "address" (postal or e-mail?) and
 * "birthday" (Mailchimp's holds month and day only, no year).
 *
 * The person attributes probabilistic matching compares have one name
 * each here, so that the record-linkage benchmark files load as they
 * are: FEBRL (given_name, surname, street_number, address_1, suburb,
 * postcode, date_of_birth, soc_sec_id), Splink's fake_1000 and
 * historical_50k (first_name, surname, dob, city, postcode_fake) and
 * the North Carolina voter file (res_street_address, res_city_desc,
 * zip_code, gender_code).  A social security or national insurance
 * number becomes national_id, an attribute to compare, never an
 * identifier that links by itself: benchmark and CRM files carry them
 * with typos and shared placeholders.
 */
#include <stddef.h>
#include <string.h>

#include "attrs.h"

static const struct {
	const char *canonical;
	const char *const aliases[20];
} table[] = {
	{ "first_name", { "firstname", "fname", "given_name", "givenname", "forename",
		"vorname", "prenom", "default_address_first_name", NULL } },
	{ "last_name", { "lastname", "lname", "surname", "family_name", "familyname",
		"nachname", "default_address_last_name", NULL } },
	{ "country", { "country_code", "countrycode", "cc", "country_region",
		"default_address_country_code", "default_address_country", "land", "pays",
		"address_country", "addr_country", NULL } },
	{ "postal_code", { "postalcode", "zip", "zip_code", "zipcode", "postcode",
		"post_code", "plz", "postleitzahl", "code_postal", "default_address_zip",
		"address_zip", "address_postal_code", "postcode_fake", NULL } },
	{ "city", { "town", "ort", "stadt", "ville", "default_address_city", "address_city",
		"suburb", "locality", "address_locality", "wohnort", "res_city_desc", NULL } },
	{ "region", { "state_region", "province", "province_code", "bundesland",
		"default_address_province_code", "default_address_province", NULL } },
	{ "birth_date", { "date_of_birth", "dateofbirth", "birthdate", "dob", "birth_dt",
		"geburtsdatum", "date_de_naissance", NULL } },
	{ "street", { "street_address", "streetaddress", "street_name", "streetname",
		"address_1", "address1", "address_line_1", "address_line1", "addressline1", "addr1",
		"strasse", "stra\xc3\x9f" "e", "res_street_address", "default_address_address1",
		"address_street", NULL } },
	{ "house_number", { "housenumber", "house_no", "houseno", "house_nr", "street_number",
		"streetnumber", "street_no", "hausnummer", "hausnr", "address_number", NULL } },
	{ "gender", { "gender_code", "sex", "geschlecht", NULL } },
	{ "national_id", { "ssn", "soc_sec_id", "social_security_number",
		"national_insurance_number", "ni_number", "sozialversicherungsnummer", NULL } },
};

const char *
attr_canonical(const char *key)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		for (size_t k = 0; table[i].aliases[k]; k++)
			if (strcmp(key, table[i].aliases[k]) == 0)
				return table[i].canonical;
	return NULL;
}
