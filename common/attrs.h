/*
 * attrs.h - one name per profile attribute, whatever the source calls it.
 *
 * Sources name the same fact differently ("First Name", "FNAME",
 * "firstName", "Vorname"); the golden record must hold it once, so that
 * first_name = "Ann" or country = "DE" finds people from every source.
 * The table is in attrs.c and in cdp-import(1), ATTRIBUTE NAMES.
 */
#ifndef CDP_ATTRS_H
#define CDP_ATTRS_H

/*
 * The canonical attribute for key, a name already folded to lower case
 * with runs of other characters as one '_' ("first_name", "fname",
 * "default_address_country_code"), or NULL when key has no alias.
 */
const char *attr_canonical(const char *key);

#endif
