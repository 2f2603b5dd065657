/*
 * normalize.h - the one place where identifiers and times are brought
 * to a canonical form: e-mail, phone (E.164) and timestamps (UTC).
 * Raw values are always kept beside the normalized ones by the
 * importer; these functions only decide what "the same" means.
 */
#ifndef CDP_NORMALIZE_H
#define CDP_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/*
 * E-mail: trimmed, ASCII lower-cased.  Appends to out and returns 0, or
 * returns -1 (out unchanged) when s is not a plausible address
 * (one '@', non-empty local part, a dot in the domain, no spaces).
 */
int norm_email(const char *s, size_t n, struct strbuf *out);

/*
 * Phone to E.164 ("+4930123456").  Numbers written with + or an
 * international prefix (00, 011) keep their country; national numbers
 * take default_country (ISO 3166 alpha-2, e.g. "DE", "US"; NULL: none,
 * then only international forms normalize).  Appends and returns 0, or
 * -1 when s is not a plausible phone number.
 */
int norm_phone(const char *s, size_t n, const char *default_country, struct strbuf *out);
/* 1 if cc is a country norm_phone knows. */
int norm_country_known(const char *cc);

/* Timestamp text forms; the ones marked exact print back byte for byte.
 * Frozen: segment footers store these codes (see cdp-store(5)). */
enum time_format {
	TF_NONE = 0,
	TF_DATE,	/* 2024-03-05                    exact */
	TF_ISO_Z,	/* 2024-03-05T10:00:00Z          exact */
	TF_ISO_MS_Z,	/* 2024-03-05T10:00:00.123Z      exact */
	TF_ISO_US_Z,	/* 2024-03-05T10:00:00.123456Z   exact */
	TF_ISO,		/* 2024-03-05T10:00:00           exact (zone-less) */
	TF_SPACE,	/* 2024-03-05 10:00:00           exact (zone-less) */
	TF_SPACE_MIN,	/* 2024-03-05 10:00              exact (zone-less) */
	TF_OTHER,	/* offsets, d.m.y, slashes, epoch: instant only */
};

struct time_opts {
	const char *tz;		/* zone for zone-less text: NULL = UTC */
	int day_first;		/* 03/04/2024 is 3 April (else 4 March) */
	int allow_epoch;	/* accept 10-digit seconds, 13-digit ms */
};

/*
 * Parse s as a time.  On success returns 0, *us = microseconds since
 * 1970-01-01T00:00:00Z, *fmt = the form it was written in.  -1 if s is
 * not a time.
 */
int norm_time(const char *s, size_t n, const struct time_opts *o, int64_t *us, int *fmt);
/* Append us in form fmt as UTC (TF_OTHER prints as TF_ISO_Z or finer). */
void time_format(int64_t us, int fmt, struct strbuf *out);

#endif
