/*
 * merge.h - identity resolution: records -> profiles (cdp-merge).
 *
 * The rules live in a plain-text file, STORE/merge.conf (defaults when
 * it is missing; merge_config_print() writes the effective rules).  The
 * algorithm and the tables it writes are described in merge.c and
 * profiles.h.
 */
#ifndef CDP_MERGE_H
#define CDP_MERGE_H

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include "store.h"

#define MERGE_MAX_TYPES 16
#define MERGE_MAX_RULES 64

struct idtype {
	char *name;		/* "email", or a column named with "identifier" */
	char *column;		/* records column holding it ("_email") */
	int limit;		/* distinct values per profile; 0 = no limit */
	int weak;		/* links, but never vouches for a second value of a
				 * stronger type (a shared device or till) */
	int64_t window;		/* ... first seen within this many microseconds; 0 = ever */
	char **blocked;		/* exact values that never link */
	size_t nblocked;
	regex_t *blockre;	/* regular expressions that never link */
	char **blockre_src;
	size_t nblockre;
	regex_t blockre_all;	/* all of blockre as one alternation */
	int has_all;
};

enum { GOLDEN_LATEST, GOLDEN_SOURCE, GOLDEN_FREQUENT };

struct golden_rule {
	char *attr;
	int how;
	char **sources;		/* GOLDEN_SOURCE: best first */
	size_t nsources;
};

struct merge_config {
	struct idtype types[MERGE_MAX_TYPES];	/* in priority order */
	size_t ntypes;
	uint64_t max_records;	/* records per profile */
	uint64_t max_merges;	/* profiles merged into one, per run */
	char **order_events;
	size_t norder_events;
	char **revenue_columns;
	size_t nrevenue_columns;
	char **consent_columns;
	size_t nconsent_columns;
	struct golden_rule golden[MERGE_MAX_RULES];
	size_t ngolden;
};

/* Defaults, then STORE/merge.conf if it exists.  -1 with cdp_err(). */
int merge_config_load(struct merge_config *c, const char *path);
void merge_config_print(const struct merge_config *c, FILE *f);
void merge_config_free(struct merge_config *c);

struct merge_stats {
	uint64_t records;		/* records read this run */
	uint64_t unlinked;		/* records with no usable identifier */
	uint64_t created, merged, total;
	uint64_t largest;		/* records in the largest profile */
	uint64_t refused, blocked;
	int unchanged;			/* no new records: nothing written */
	double seconds;
};

struct merge_opts {
	int rebuild;
	int compact;			/* load every profile, rewrite the table whole */
	int64_t as_of;			/* "now" for recency, microseconds */
	int progress;
};

int merge_run(struct store *st, const struct merge_config *c, const struct merge_opts *o,
    struct merge_stats *stats);

/* Why a profile's records are together: id or an identifier value. */
int merge_explain(struct store *st, const struct merge_config *c, const char *what, FILE *out);

#endif
