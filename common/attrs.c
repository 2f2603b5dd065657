/*
 * attrs.c - the alias table of profile attribute names (see attrs.h).
 *
 * Keys are folded names: lower case, runs of anything but letters and
 * digits as one '_' (so "Default Address Zip" is default_address_zip
 * and "firstName" is firstname).  An alias is listed only when it
 * cannot mean anything else in the sources cdp knows: "name" is left
 * alone (full name or company?), "state" too (account state in
 * Shopify, region elsewhere).
 */
#include <stddef.h>
#include <string.h>

#include "attrs.h"

static const struct {
	const char *canonical;
	const char *const aliases[16];
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
		"address_zip", "address_postal_code", NULL } },
	{ "city", { "town", "ort", "stadt", "ville", "default_address_city", "address_city",
		NULL } },
	{ "region", { "state_region", "province", "province_code", "bundesland",
		"default_address_province_code", "default_address_province", NULL } },
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
