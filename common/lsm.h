/*
 * lsm.h - index tables: sorted, immutable runs of (key, value) pairs in
 * the store, looked up without loading them whole (an LSM tree).
 *
 * An index is a named table of the store ("msgindex", "idindex", ...)
 * made of runs.  A run is a sorted set of pairs, keys unique within it,
 * cut into parts of at most lsm_part_rows pairs; each part is an
 * ordinary segment file (so checksums, the manifest and verify apply)
 * with two integer columns:
 *   key    a 64-bit hash, stored bit for bit as a signed integer and
 *          ordered as an UNSIGNED number, strictly ascending in a part;
 *          the parts of a run hold ascending, disjoint key ranges
 *   value  what the key maps to (a batch id, a profile id); 0 is a
 *          tombstone: the key is deleted
 * Each part has a manifest entry
 *   segment ID table=NAME run=R level=L part=P rows=N kmin=K kmax=K file=F
 * (kmin and kmax unsigned decimal, the part's first and last key), so a
 * lookup opens only the parts whose range holds a probe key.
 *
 * Runs are ordered by R: a larger R is newer, and for a key present in
 * several runs the newest one's value counts (a tombstone in a newer run
 * hides older values).  Lookups read the runs newest first, one part at
 * a time: memory is the probe set plus one part, never a whole run.
 *
 * Compaction (size-tiered): a run's level grows with its size (level 0
 * up to LSM_LEVEL0_ROWS pairs, one more per LSM_FANOUT times as many).
 * When more than LSM_FANOUT adjacent runs share a level they are merged;
 * when the index has more than LSM_MAX_RUNS runs, the LSM_FANOUT + 1
 * adjacent runs holding the fewest pairs are (a k-way merge, one
 * part of each in memory at a time) into one run that takes their place
 * in age (R = the newest R among them); shadowed pairs are dropped, and
 * tombstones too when the merge includes the oldest run.  A compaction
 * only writes new files and edits the writer's in-memory manifest: the
 * caller's store_commit() publishes the new run and drops the old ones
 * atomically, so a kill at any point leaves the old runs (and orphan
 * files the next writer removes) or the new run, with the same answers.
 *
 * All functions return -1 with cdp_err() set on failure (damage through
 * cdp_setdamage, as for any segment).
 */
#ifndef CDP_LSM_H
#define CDP_LSM_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

#define LSM_FANOUT 4		/* runs of one level merged when more are adjacent */
#define LSM_MAX_RUNS 16		/* runs of one index before a full merge */
#define LSM_LEVEL0_ROWS 4096	/* pairs a level-0 run holds at most */
#define LSM_PART_ROWS 32768	/* pairs per part file, by default */

/* Pairs per part for runs written from now on (tests lower it). */
extern size_t lsm_part_rows;

/*
 * Test hook: when set, called after each part file a compaction writes,
 * with the number written so far (a test kills the process there).
 */
extern void (*lsm_compact_hook)(size_t parts_written);

struct lsm;

/*
 * The index called name in st, as st's in-memory manifest names it (no
 * file is read yet).  An index nobody wrote yet has no runs: lookups
 * find nothing.  Never NULL.  The struct lsm reads st->e when opened and
 * after its own changes; a caller that edits the same index's entries
 * otherwise must open it again.
 */
struct lsm *lsm_open(struct store *st, const char *name);
void lsm_close(struct lsm *x);

/* Number of runs, and of pairs in all runs (shadowed ones included). */
size_t lsm_nruns(const struct lsm *x);
uint64_t lsm_npairs(const struct lsm *x);

/*
 * Keep every part a lookup reads in memory until lsm_close() (for many
 * small lookups, like cdp-import's one per row: each part is then read
 * once).  Off by default.
 */
void lsm_set_cache(struct lsm *x, int on);

/*
 * Look up keys[0..n), sorted ascending (unsigned; repeats allowed):
 * vals[i] is the value of keys[i] in the newest run holding it, or 0
 * when no run does or the newest holding it has a tombstone.
 */
int lsm_lookup(struct lsm *x, const uint64_t *keys, size_t n, int64_t *vals);

/*
 * Write a new run, newest of all, from keys[0..n) strictly ascending
 * (unsigned) and their values (0 writes a tombstone).  Its part files
 * are written and fsync'd and their entries added to st's in-memory
 * manifest; nothing is published until the caller's store_commit().
 * n == 0 writes nothing.  On failure the files written are removed and
 * the manifest is as before.
 */
int lsm_write_run(struct lsm *x, const uint64_t *keys, const int64_t *vals, size_t n);

/*
 * Sort keys ascending (unsigned) carrying vals along, and keep one pair
 * per key: the LAST one given.  Returns the new count.  A helper for
 * building a run's input from pairs gathered in any order.
 */
size_t lsm_sort_pairs(uint64_t *keys, int64_t *vals, size_t n);

/*
 * Merge runs as the compaction policy above asks (all of them into one
 * when full is set), repeating until the policy is met.  Call before the
 * commit that publishes a write.  0 when nothing needed doing or done.
 */
int lsm_compact(struct lsm *x, int full);

/*
 * Every live pair (newest value per key, tombstones left out) in key
 * order, streamed: fn returns nonzero to stop (lsm_each then returns
 * that value).
 */
int lsm_each(struct lsm *x, int (*fn)(uint64_t key, int64_t val, void *arg), void *arg);

/*
 * Check every run of the index: each part readable, two integer columns
 * without nulls, keys strictly ascending within the part and within the
 * run, inside the entry's kmin..kmax, row count as the entry says.  -1
 * with cdp_setdamage() naming the first fault.
 */
int lsm_verify(struct lsm *x);

/* The names of the index tables st's manifest holds (malloc'd, sorted). */
char **lsm_tables(const struct store *st, size_t *n);

/* 1 if a manifest entry belongs to an index table (has run=). */
int lsm_is_index_entry(const struct mentry *e);

#endif
