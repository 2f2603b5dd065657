/*
 * store.h - the store directory: manifest, lock, atomic commit.
 *
 * A store is a directory holding immutable segment files and one
 * MANIFEST naming the live ones.  The manifest is a text file of
 * entries, one per line: a kind, a numeric id, then key=value pairs
 * (values percent-encoded), closed by a CRC-32 line.  Kinds in use:
 *   batch    one import (source, input hash, row and reject counts)
 *   segment  one segment file (table, batch, rows, file)
 * and others added by later programs; unknown kinds are kept as they
 * are.  See man/cdp-store.5.
 *
 * Writers hold an exclusive flock on LOCK for their whole run, change
 * their in-memory copy of the entries and publish it with
 * store_commit(): write a temporary manifest, fsync, rename it over
 * MANIFEST, fsync the directory.
 *
 * Readers read MANIFEST once and register for its generation G: a
 * shared flock on the file reader-G, held until store_close().  A file
 * that a commit drops from the manifest is removed (or, after a forget,
 * wiped) only once no reader of an older generation holds its lock, so
 * a reader sees one consistent generation from start to end however
 * many writers commit meanwhile.  Until then it stays, unnamed; the
 * next writer's store_open() (or the writer itself, waiting with
 * store_wait_readers()) removes it.
 */
#ifndef CDP_STORE_H
#define CDP_STORE_H

#include <stdint.h>
#include "segment.h"

#define STORE_FORMAT 1

struct mentry {
	char *kind;
	uint64_t id;
	size_t nkv;
	char **keys, **vals;
};

struct store {
	char *dir;
	int lockfd;		/* >= 0 while this process is the writer */
	int readfd;		/* >= 0: our shared lock on reader-GENERATION */
	uint64_t generation, next_id;
	struct mentry **e;
	size_t ne, cap;
	char **doomed;		/* files to delete once the commit is durable */
	size_t ndoomed;
};

struct store_opts {
	int write;		/* take the writer lock */
	int create;		/* create the store if missing (needs write) */
	int wait;		/* seconds to wait for the lock; -1 forever */
};

/* The store directory the user meant: dir, else $CDP_STORE, else ./cdp.store. */
const char *store_default_dir(const char *dir);

/*
 * Open the store.  Returns NULL with cdp_err() set; *locked is set to 1
 * when the failure was a lock held by another writer.  A writer's open
 * also removes what a killed writer left behind (temporary files,
 * segment files no manifest names).
 */
struct store *store_open(const char *dir, const struct store_opts *o, int *locked);
void store_close(struct store *st);

/* dir/name, malloc'd. */
char *store_path(const struct store *st, const char *name);
uint64_t store_new_id(struct store *st);

struct mentry *store_add(struct store *st, const char *kind, uint64_t id);
void mentry_set(struct mentry *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *mentry_get(const struct mentry *e, const char *key);
uint64_t mentry_getu(const struct mentry *e, const char *key);
struct mentry *store_find(const struct store *st, const char *kind, uint64_t id);
/* Remove an entry; a segment's file is deleted after the next commit. */
void store_remove(struct store *st, struct mentry *e);

/* Publish the entries atomically.  -1 with cdp_err() on failure: the
 * store then still shows the previous generation.  -2: the new manifest
 * is in place but the directory fsync failed; the command must fail
 * yet keep every file the new manifest names. */
int store_commit(struct store *st);

/*
 * The live segments of a table, opened (trailer and footer checked), in
 * manifest order, all of the generation st read (a registered reader's
 * files stay; a reader that could not register retries when a writer
 * replaced the manifest between reading it and opening a file).  A
 * named file that is missing or damaged is damage (cdp_setdamage).
 */
int store_segments(struct store *st, const char *table, struct segment ***segs, size_t *n);
void store_segments_free(struct segment **segs, size_t n);

/* The union of the segments' column names, in first-seen order (malloc'd). */
char **segments_columns(struct segment **segs, size_t n, size_t *ncols);
void columns_free(char **names, size_t n);

/* 1 if a manifest entry of st names the file name. */
int store_names_file(const struct store *st, const char *name);

/* 1 if name is one a store gives its segment files ("seg-NNNNNNNN.cdp"). */
int store_file_name_ok(const char *name);

/*
 * Writers: wait at most seconds (-1: forever) until no reader of a
 * generation older than st's holds its lock.  0 when none does (files
 * the manifest no longer names may then go), 1 when some still did at
 * the deadline, -1 with cdp_err() when interrupted.
 */
int store_wait_readers(struct store *st, int seconds);

/* Name for a new segment file of this store. */
char *store_segment_name(struct store *st, uint64_t *id);

#endif
