/*
 * profiles.h - what cdp-merge leaves in the store, and how readers use it.
 *
 * Tables written by cdp-merge (each a set of ordinary segments):
 *   profiles  one row per live profile: profile_id, golden attributes,
 *             computed traits (see cdp-merge(1)); rewritten each run
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

#endif
