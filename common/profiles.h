/*
 * profiles.h - what cdp-merge leaves in the store, and how readers use it.
 *
 * Tables written by cdp-merge (each a set of ordinary segments):
 *   profiles  profile_id, golden attributes, computed traits (see
 *             cdp-merge(1)): an ordered list of segments (manifest
 *             order), each sorted by profile_id ascending; a profile's
 *             live row is its row in the LAST segment holding its id, and
 *             that row is a tombstone (the profile was merged away) when
 *             its _deleted column is 1.  Read it only through
 *             profiles_open() below.
 *   links     one segment per records segment, entry key records=ID,
 *             column profile_id aligned row for row with it; written
 *             once when that records segment is first merged
 *   idmap     every identifier seen: type, value, profile; rewritten
 *   merges    one row per profile merge: old_id, new_id, time, type
 *   refusals  identifiers merge protection refused, per record
 * A profile id in links may have been merged away since; readers map
 * it through the merges table to the surviving profile.
 */
#ifndef CDP_PROFILES_H
#define CDP_PROFILES_H

#include <stdint.h>
#include "store.h"

/* Old profile id -> surviving id, from the merges table. */
struct mergemap {
	int64_t *old_ids, *new_ids;
	size_t n, cap;
	uint64_t *slots;	/* open addressing over old_ids: index + 1 */
	size_t nslots;
};

int mergemap_load(struct store *st, struct mergemap *m);
void mergemap_add(struct mergemap *m, int64_t old_id, int64_t new_id);
/* Follow merges to the live profile (id itself if never merged). */
int64_t mergemap_resolve(const struct mergemap *m, int64_t id);
void mergemap_free(struct mergemap *m);

/*
 * The live profile of every row of records segment seg_id: *ids gets n
 * values (malloc'd), or *ids = NULL when that segment is not merged yet.
 */
int links_read(struct store *st, const struct mergemap *m, uint64_t seg_id,
    int64_t **ids, size_t *n);

/*
 * The profiles table as readers see it.  profiles_open() reads every
 * segment's profile_id (and _deleted) once, marks the live row of each
 * profile, and orders the live rows by ascending profile_id, so every
 * reader gives the same answers -- and cdp-export the same bytes --
 * whether the table is one compacted generation or many superseding
 * segments.  A table of one generation without _deleted (every store
 * written before superseding segments) has every row live, in the
 * order it always had.
 *
 * Segments may have different column sets: a column a segment lacks
 * reads as all null.  The columns rfm_recency, rfm_frequency,
 * rfm_monetary (1..5, null for profiles without orders) and rfm_score
 * (their three digits as text) are virtual: computed at read time over
 * the live profiles from orders, last_order and revenue, with the
 * formulas cdp-merge used to store (quintile among the live profiles
 * that ordered), so a nightly merge need not revisit every profile.
 * Stored rfm_* columns of older stores are ignored (they hold the same
 * values).
 */
struct prow {
	int64_t id;
	uint32_t seg, row;
};

struct profiles {
	struct store *st;
	struct segment **segs;	/* manifest order (owned) */
	size_t nsegs;
	uint8_t **live;		/* per segment: bit r set = row r is its profile's live row */
	struct prow *order;	/* the live rows, ascending profile_id */
	size_t nlive;
	char **cols;		/* every column name, virtual ones included */
	int *types;		/* their enum col_type */
	size_t ncols;
	uint8_t **rfm;		/* per segment, 3 bytes per row: r, f, m (0: null); on demand */
};

#define PROFILES_NRFM 4
extern const char *const profiles_rfm_names[PROFILES_NRFM];

/* Open the profiles table of st.  -1 with cdp_err() (damage if a segment is). */
int profiles_open(struct store *st, struct profiles *p);
void profiles_close(struct profiles *p);

static inline int
profiles_live(const struct profiles *p, size_t seg, size_t row)
{
	return p->live[seg][row >> 3] >> (row & 7) & 1;
}

/* Live rows of segment seg. */
size_t profiles_live_count(const struct profiles *p, size_t seg);

/* 1 if name is one of the virtual rfm_* columns. */
int profiles_is_virtual(const char *name);

/*
 * Column name of segment seg, stored or virtual, into out (one value
 * per row of the segment; the caller frees it with colvec_free).
 * 1 when read, 0 when the segment has no such column (out untouched:
 * every row is null), -1 with cdp_err() on failure.
 */
int profiles_col(struct profiles *p, size_t seg, const char *name, struct colvec *out);

/* The type of column name (enum col_type), or 0 if the table lacks it. */
int profiles_col_type(const struct profiles *p, const char *name);

#endif
