/*
 * export.h - profiles and records out of the store, for the tools that
 * act on them (cdp-export): plain CSV/TSV/JSON Lines, spreadsheets, and
 * destination presets (Mailchimp, Google Ads Customer Match, Meta
 * Custom Audiences) with each platform's normalization and SHA-256.
 *
 * Invariants:
 *  - An export streams the profiles table a segment at a time and the
 *    records table a segment at a time; memory is one segment's columns
 *    plus the set of selected ids, whatever the store's size.
 *  - A suppressed profile (a true "suppressed", "erased" or
 *    "do_not_contact" attribute) is never written, not even as a
 *    removal; an erased one no longer exists in the store.
 *  - Additions are written only when the purpose's consent allows;
 *    removals are written whatever the consent, since a withdrawn
 *    consent is exactly when a platform must drop the person.
 *  - A normalized value that comes out empty is written empty, never as
 *    the hash of the empty string.
 */
#ifndef CDP_EXPORT_H
#define CDP_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include "store.h"
#include "util.h"

struct out;

/* What the exported data will be used for; consent is checked against it. */
enum export_purpose { EXPORT_ANY = 0, EXPORT_EMAIL, EXPORT_ADS, EXPORT_ANALYTICS };

/* "email", "ads", "analytics" or "none"; -1 otherwise. */
int export_parse_purpose(const char *s);
const char *export_purpose_name(int purpose);

/*
 * A profile's consent, each -1 unknown, 0 refused, 1 given.  ads and
 * analytics are -2 when the store keeps no such column at all.
 */
struct export_consent {
	int email, ads, analytics;
	int suppressed;		/* 1: never export */
};

/* 1 if a profile with consent c may be exported for purpose. */
int export_allowed(int purpose, const struct export_consent *c);

/* The person attributes presets use, found through alias lists. */
enum export_attr {
	EA_NONE = 0, EA_EMAIL, EA_PHONE, EA_FIRST, EA_LAST, EA_CITY, EA_STATE, EA_ZIP,
	EA_COUNTRY, EA_TAG, EA_STATUS, EA_COUNT
};

/*
 * Column name key: ASCII letters and digits only, lower-cased, so
 * "First Name", "first_name" and "firstname" meet.  Writes at most
 * size - 1 bytes and a NUL.
 */
void export_name_key(const char *name, char *out, size_t size);
/* The attribute a profile column stands for (EA_NONE if none). */
int export_attr_of(const char *column);
/* How well column fits attr: 0 not at all, higher is better (first alias). */
int export_attr_rank(int attr, const char *column);

/* Normalization rules, one per platform field (see cdp-export(1)). */
enum export_rule {
	ER_TEXT = 0,		/* as stored */
	ER_EMAIL,		/* trimmed, lower-case */
	ER_GOOGLE_EMAIL,	/* ER_EMAIL, and no dots before @gmail.com/@googlemail.com */
	ER_E164,		/* +4930123456 */
	ER_LOWER_TRIM,		/* trimmed, lower-case (Unicode letters too) */
	ER_UPPER_ALPHA2,	/* "DE" */
	ER_TRIM,		/* leading and trailing space removed */
	ER_META_PHONE,		/* digits only, country code, no leading zeros */
	ER_META_NAME,		/* lower-case, no punctuation, inner spaces kept */
	ER_META_PLACE,		/* lower-case, letters and digits only (city, state) */
	ER_META_ZIP,		/* lower-case, no spaces or dashes; US: first 5 digits */
	ER_LOWER_ALPHA2,	/* "de" */
};

/*
 * Append s normalized by rule.  country is the profile's country (ISO
 * alpha-2 or NULL), used for national phone numbers and US zip codes.
 * Appends nothing when nothing usable is left.
 */
void export_normalize(int rule, const char *s, size_t n, const char *country, struct strbuf *out);

/* SHA-256 of s as 64 lower-case hex digits and a NUL. */
void export_sha256_hex(const void *s, size_t n, char hex[65]);

/* One column of a destination preset. */
struct export_field {
	const char *header;	/* the platform's column name */
	int attr;		/* enum export_attr */
	int rule;		/* enum export_rule */
	int hash;		/* SHA-256 after normalizing */
};

struct export_preset {
	const char *name;
	const char *platform;	/* for messages and the manual */
	int purpose;		/* applied unless --purpose says otherwise */
	const struct export_field *fields;
	size_t nfields;
	unsigned keys;		/* bit (1 << attr): a row needs one of these */
};

/* NULL if there is no preset of that name. */
const struct export_preset *export_preset_find(const char *name);
/* "mailchimp, google-ads, meta", for messages. */
const char *export_preset_names(void);

/*
 * One line of a profile id list: "12", "+12", "-12", "12,rest",
 * "12\trest".  Returns 1 with *id and *sign ('+', '-' or 0), 0 for a
 * line to skip (blank, or the "profile_id" header), -1 if it is none
 * of these.
 */
int export_parse_line(const char *s, size_t n, int64_t *id, int *sign);

struct export_opts {
	int format;			/* enum out_format */
	int excel;			/* spreadsheet CSV */
	const struct export_preset *preset;	/* NULL: plain columns */
	char **fields;			/* plain: columns to write; NULL = all */
	size_t nfields;
	int purpose;
	const char *tag;		/* mailchimp: the segment's name */
	const struct u64set *add;	/* selected ids; NULL = every profile */
	const struct u64set *remove;	/* ids to write as removals, or NULL */
	int changes;			/* the selection came as +ID/-ID */
	FILE *out;
	FILE *removals;			/* presets: where removals go */
	/* Extra columns after the others (cdp-export --recommendations):
	 * their names, and a callback writing one cell each for a profile. */
	const char *const *extra_names;
	size_t nextra;
	void (*extra_cells)(void *ctx, int64_t id, struct out *o);
	void *extra_ctx;
};

struct export_stats {
	uint64_t written, removals;
	uint64_t no_consent, suppressed, no_key;
	struct u64set seen;		/* selected ids found in the store */
};

/*
 * Write the selected profiles.  -1 with cdp_err() on a store fault or
 * an unknown field (nothing useful written), -2 if the output failed.
 */
int export_profiles(struct store *st, const struct export_opts *o, struct export_stats *s);

/*
 * Write the records of the selected profiles that pass the same
 * consent and suppression checks: profile_id, record_source,
 * record_key (batch:line), record_time, then every imported column.
 */
int export_records(struct store *st, const struct export_opts *o, struct export_stats *s);

void export_stats_free(struct export_stats *s);

#endif
