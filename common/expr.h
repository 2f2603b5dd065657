/*
 * expr.h - the segment language: lexer, parser, type check and a
 * column-at-a-time evaluator over the profiles table (cdp-segment).
 *
 *   country = "DE" and sum(order.amount within 365d) > 200 and email_consent
 *   count(product_added within 7d) >= 1 and count(order_completed within 7d) = 0
 *
 * Invariants:
 *  - expr_compile() resolves every name and type before anything is
 *    read, so an evaluation never fails on the expression itself; its
 *    errors read "LINE:COL: reason" (1-based, columns in characters).
 *  - Logic is three-valued as in SQL: a comparison with a missing value
 *    is unknown, "not unknown" is unknown, and only true rows match.
 *  - "now" is fixed at compile time (--as-of), so a run is repeatable;
 *    behaviour functions ignore events after it.
 *  - The evaluator reads only the columns the expression names, skips
 *    segments whose footer min/max prove no row can match, and works a
 *    column at a time (strings once per dictionary entry).
 */
#ifndef CDP_EXPR_H
#define CDP_EXPR_H

#include <stddef.h>
#include <stdint.h>
#include "profiles.h"
#include "store.h"

/* Value types of the language. */
enum expr_type { ET_BOOL = 1, ET_NUM, ET_TIME, ET_STR };

/* The names an expression may use, and the segments it reads. */
struct expr_schema {
	char **attrs;		/* visible profile columns ("_" ones hidden) */
	int *attr_types;	/* enum expr_type */
	size_t nattrs;
	char **props;		/* records columns, for event properties */
	int *prop_types;
	size_t nprops;
	char **events;		/* event names (from the count_<event> columns) */
	size_t nevents;
	struct segment **psegs;	/* profiles segments (pt's) */
	size_t npsegs;
	struct profiles *pt;	/* the profiles table: live rows, virtual columns
				 * (owned; NULL for a schema built by hand) */
	struct segment **rsegs;	/* records segments (owned) */
	size_t nrsegs;
};

/* Open the profiles and records segments of st and collect their names.
 * -1 with cdp_err() on failure. */
int expr_schema_load(struct store *st, struct expr_schema *s);
/* Add one name by hand (tests): table 'p' profiles, 'r' records, 'e' event. */
void expr_schema_add(struct expr_schema *s, int table, const char *name, int col_type);
void expr_schema_free(struct expr_schema *s);

struct expr;

/*
 * Parse and type-check src against s with "now" = now (microseconds
 * since the epoch, UTC).  NULL with cdp_err() = "LINE:COL: reason".
 */
struct expr *expr_compile(const char *src, const struct expr_schema *s, int64_t now);
void expr_free(struct expr *e);

/* The profile columns an expression reads (for tests and -v). */
size_t expr_attrs(const struct expr *e, const char ***names);

/* One matching profile: its id and where its row is. */
struct expr_match {
	int64_t id;
	uint32_t seg, row;	/* index into schema->psegs, row in it */
};

/* What an evaluation read and skipped (for -v and the benchmark). */
struct expr_stats {
	size_t psegs_read, psegs_skipped;
	size_t rsegs_read, rsegs_skipped;
	size_t columns_read;
	uint64_t profiles;
};

/*
 * Evaluate e over the schema's segments.  cand (sorted ascending, ncand
 * ids) restricts the candidates; NULL means every profile.  *out gets
 * the matches sorted by id (malloc'd).  -1 with cdp_err() on I/O.
 */
int expr_eval(struct expr *e, struct store *st, const struct expr_schema *s,
    const int64_t *cand, size_t ncand, struct expr_match **out, size_t *n,
    struct expr_stats *stats);

/* "Product Added" -> "product_added", as cdp-import stores event names. */
void expr_event_key(const char *s, size_t len, struct strbuf *out);

/* Parse "30d", "-12h", "90m", "2w", "45s" to microseconds; -1 if not one. */
int expr_parse_duration(const char *s, int64_t *us);

/*
 * A time given as an option (--as-of, --since, --until): everything the
 * language takes for a time, relative ones counted from now:
 * 2024-03-01, 2024-03-01T10:00:00Z, now, today, yesterday, -7d, +12h.
 * A whole day (a date, today, yesterday) means, by day_end: its first
 * microsecond (EXPR_DAY_START), its last one (EXPR_DAY_LAST, for a bound
 * that includes itself) or the midnight after it (EXPR_DAY_AFTER, for
 * one that does not).  So "--as-of 2024-03-01" takes in all of that day
 * in cdp-segment and cdp-report alike.  -1 if s is not a time.
 */
enum { EXPR_DAY_START, EXPR_DAY_LAST, EXPR_DAY_AFTER };
int expr_time_arg(const char *s, int64_t now, int day_end, int64_t *us);

#endif
