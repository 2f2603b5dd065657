/*
 * forget.h - the right to erasure: every record, profile, identifier
 * and segment membership of a person, physically gone from the store.
 *
 * One forget is one pass over the affected segments and one manifest
 * commit, however many people it names.  Every segment file that held
 * a doomed row is rewritten without it; the old file is overwritten
 * with zeros, fsync'd and unlinked once the new manifest is durable and
 * no reader of an older generation can still read it.
 * Keyed hashes of the erased identifiers go to the suppression list
 * (suppress.h) so the next import cannot bring the person back, and a
 * line without personal data goes to the audit log STORE/audit.log.
 *
 * Crash safety, argued in forget.c: a forget killed at any point has
 * either taken effect or leaves the store as it was; in both cases
 * running cdp-forget again finishes it (forget_recover() first).
 */
#ifndef CDP_FORGET_H
#define CDP_FORGET_H

#include <stdint.h>
#include <stdio.h>
#include "store.h"

/* What a request names. */
enum forget_kind {
	FORGET_ANY,		/* a line of stdin: profile id, e-mail, phone, other id */
	FORGET_PROFILE,
	FORGET_EMAIL,
	FORGET_PHONE,
	FORGET_CUSTOMER_ID,
};

struct forget_request {
	int kind;
	char *text;		/* as given (not owned) */
	int found;		/* set by forget_run / forget_unsuppress */
	uint64_t nprofiles;	/* profiles it resolved to */
};

struct forget_opts {
	int dry_run;
	int suppress;			/* add the erased identifiers to the list */
	const char *reference;		/* audit reference; NULL: generated */
	const char *default_country;	/* for national phone numbers */
	const char *dest_preset;	/* "google-ads", "meta" or NULL */
	FILE *dest;			/* where the removal list goes */
	FILE *listing;			/* dry run: what would be erased */
	int wipe_wait;			/* seconds to wait for older readers; -1 forever */
	FILE *notice;			/* where to say that we wait (NULL: quiet) */
};

struct forget_source {
	char *name;
	uint64_t rows;
};

struct forget_stats {
	uint64_t profiles;		/* rows of the profiles table erased */
	uint64_t rows;			/* records erased */
	uint64_t other_rows;		/* rows of idmap, merges, memberships... */
	uint64_t identifiers;		/* distinct identifier values erased */
	uint64_t segments;		/* segment files rewritten or dropped */
	uint64_t reject_lines;		/* lines removed from rejects files */
	uint64_t suppressed;		/* new entries in the suppression list */
	uint64_t notfound;		/* requests that named nobody */
	uint64_t unwiped;		/* old files still read when the wait ended */
	uint64_t scrubbed;		/* manifest values and file names scrubbed */
	uint64_t segdefs_redacted;	/* saved segment expressions among them */
	struct forget_source *src;	/* records erased per source */
	size_t nsrc;
	char reference[96];
	double seconds;
};

/* 1 if preset is one forget can write removal lists for. */
int forget_preset_known(const char *preset);

/*
 * Erase everyone the requests name, in one commit (nothing changes with
 * o->dry_run).  The old files are wiped once no reader of an older
 * generation uses them, waiting up to o->wipe_wait seconds; files still
 * in use then are left to the next writer and the return is -2.  st must be open for writing, forget_recover() done.
 * Requests that name nobody are counted in stats->notfound.  -1 with
 * cdp_err() on failure; the store is then as it was, or (-2) the erasure
 * is committed but its audit line or cleanup could not be finished: run
 * again.
 */
int forget_run(struct store *st, struct forget_request *rq, size_t n, const struct forget_opts *o,
    struct forget_stats *stats);
void forget_stats_free(struct forget_stats *stats);

/* Lift the suppression of the requests' identifiers; *lifted counts entries. */
int forget_unsuppress(struct store *st, struct forget_request *rq, size_t n,
    const struct forget_opts *o, uint64_t *lifted);

/*
 * Files a killed forget may have left: segment files no manifest names,
 * opened before the writer lock is taken (whose cleanup unlinks them
 * without wiping), so forget_recover() can still zero their blocks.
 */
struct forget_leftovers {
	int *fds;
	char **names;
	size_t n;
};
int forget_leftovers_open(const char *dir, struct forget_leftovers *lo);
/*
 * With the writer lock held: zero the leftovers that are still unnamed
 * (once no reader of an older generation uses them, waiting at most
 * wait seconds), and finish the audit lines of forgets committed but
 * not logged.
 */
int forget_recover(struct store *st, struct forget_leftovers *lo, int wait);

/* Overwrite a file's bytes with zeros and fsync it (via its fd). */
int forget_wipe_fd(int fd, const char *name);
/* Zero, fsync and unlink path (no symbolic link followed); 0 also when
 * it is already gone. */
int forget_wipe_path(const char *path);

/* Print STORE/audit.log ("" if there is none). */
int forget_log_print(struct store *st, FILE *out);

#endif
