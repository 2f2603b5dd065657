/*
 * merge_block.h - blocking: candidate pairs for probabilistic matching.
 */
#ifndef CDP_MERGE_BLOCK_H
#define CDP_MERGE_BLOCK_H

#include <stdint.h>
#include <stdio.h>

#include "merge_match.h"

struct bset {
	/* in: */
	const struct fs_rec *(*rec)(void *ctx, uint32_t i);
	void *ctx;
	const uint32_t *cl;		/* per record: its profile; equal = never paired */
	const unsigned char *isnew;	/* per record: from this run's batch */
	/* out: */
	uint64_t *pairs;		/* a << 32 | b, a < b, sorted, unique */
	size_t npairs, cappairs;
	uint64_t rule_pairs[MATCH_MAX_RULES];
	uint64_t capped;		/* blocks cut down to block-cap */
};

uint64_t block_key(const struct brule *ru, const struct fs_rec *r);
void block_pairs(struct bset *bs, const struct match_conf *m, size_t n);

#endif
