/*
 * drop.h - undo an import: a batch's records gone from the store.
 *
 * One commit removes the batch entry, its records segments and every
 * table cdp-merge derived from records (profiles, idmap, links, merges,
 * refusals and the merge state), so the next cdp-merge builds the
 * profiles afresh, exactly as a store that never had the batch would.
 * The removed files, and the batch's rejects file, are then wiped like
 * erased data (forget_wipe_fd): zeros, fsync, unlink.
 */
#ifndef CDP_DROP_H
#define CDP_DROP_H

#include <stdint.h>
#include "store.h"

struct drop_stats {
	uint64_t rows;			/* records of the batch */
	uint64_t segments;		/* records segments removed */
	uint64_t derived;		/* merge tables' segments removed */
	int rejects_wiped;		/* the batch's rejects file was wiped */
};

/*
 * Drop batch from st (open for writing).  -1 with cdp_err() when there
 * is no such batch or the commit failed (the store is as it was); -2
 * when the commit is published but not known durable, or a file could
 * not be wiped: the batch is gone, and the next writer's open wipes
 * what is left (store.c cleanup()).
 */
int store_drop_batch(struct store *st, uint64_t batch, struct drop_stats *stats);

#endif
