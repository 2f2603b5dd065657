/*
 * phone.h - libphonenumber (Google's phone number metadata, C++) for
 * the countries normalize.c's own table lacks.  normalize.c keeps its
 * strict scanner and its table for the 62 countries it knows; the
 * library is asked only about the digits of a national number in
 * another country, so its lenient parser never sees raw text.
 */
#ifndef CDP_PHONE_H
#define CDP_PHONE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Weak in normalize.c: only the programs that normalize new phone
 * numbers (cdp-import, cdp-forget, cdp-export) link phone.o and the
 * library, so the others start without loading it; without it these
 * are null and national numbers of countries outside the table fail.
 */

/*
 * The E.164 form of the national number digits[0..n) in region (ISO
 * 3166 alpha-2), written NUL-terminated to out (at least 17 bytes);
 * 0, or -1 when the library holds it no valid number there.
 */
int phone_lib_e164(const char *digits, size_t n, const char *region, char *out, size_t cap);
/* 1 when libphonenumber knows region's numbering plan. */
int phone_lib_region(const char *region);

#ifdef __cplusplus
}
#endif

#endif
