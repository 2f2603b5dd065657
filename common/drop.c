/*
 * drop.c - cdp-store drop --batch N (see drop.h).
 *
 * Crash safety follows cdp-forget: the manifest without the batch is
 * published first; only then are the old files zeroed and unlinked.  A
 * crash before the rename leaves the store as it was; after it, the
 * files no manifest names are wiped by the next writer's store_open().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drop.h"
#include "fileio.h"
#include "forget.h"

/* Seconds drop waits for readers of the old generation before wiping. */
enum { DROP_WIPE_WAIT = 600 };

static int
is_table(const struct mentry *e, const char *table)
{
	const char *t = mentry_get(e, "table");

	return strcmp(e->kind, "segment") == 0 && t && strcmp(t, table) == 0;
}

/* Tables cdp-merge computes from all records: stale once records go. */
static int
is_derived(const struct mentry *e)
{
	return is_table(e, "profiles") || is_table(e, "idmap") || is_table(e, "idindex") ||
	    is_table(e, "links") || is_table(e, "merges") || is_table(e, "refusals");
}

/* Take the batch's entries out of st; their files go to *files. */
static void
remove_entries(struct store *st, uint64_t batch, struct drop_stats *stats,
    char ***files, size_t *nfiles)
{
	struct mentry *state = store_find(st, "merge", 1);

	for (size_t i = st->ne; i-- > 0;) {
		struct mentry *e = st->e[i];

		if (is_table(e, "records") && mentry_getu(e, "batch") == batch)
			stats->segments++;
		else if (is_derived(e))
			stats->derived++;
		else
			continue;
		store_remove(st, e);
	}
	/* next-profile back to 1: the next merge is a rebuild */
	if (state)
		store_remove(st, state);
	/* store_commit() would unlink these without wiping: take them */
	*files = st->doomed;
	*nfiles = st->ndoomed;
	st->doomed = NULL;
	st->ndoomed = 0;
}

int
store_drop_batch(struct store *st, uint64_t batch, struct drop_stats *stats)
{
	struct mentry *b = store_find(st, "batch", batch), *d;
	char **files = NULL, *rejects = NULL, when[32];
	size_t nfiles = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0, r, w;

	memset(stats, 0, sizeof *stats);
	if (!b)
		return cdp_seterr("%s: no batch %llu (see cdp-store info)", st->dir,
		    (unsigned long long)batch);
	stats->rows = mentry_getu(b, "rows");
	if (mentry_get(b, "rejects-file"))
		rejects = xstrdup(mentry_get(b, "rejects-file"));
	store_remove(st, b);
	remove_entries(st, batch, stats, &files, &nfiles);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	d = store_add(st, "drop", store_new_id(st));
	mentry_set(d, "batch", "%llu", (unsigned long long)batch);
	mentry_set(d, "rows", "%llu", (unsigned long long)stats->rows);
	mentry_set(d, "time", "%s", when);
	r = store_commit(st);
	if (r == -1) {
		rc = -1;
	} else if (r == -2) {
		rc = -2;	/* the old manifest may yet be the durable one: keep files */
	} else if (nfiles && (w = store_wait_readers(st, DROP_WIPE_WAIT)) != 0) {
		/* readers of the old generation still hold the files: the next
		 * writer's cleanup wipes them once they are gone */
		if (w > 0)
			cdp_seterr("%s: programs still read the old data; the next writer wipes it",
			    st->dir);
		rc = -2;
	} else {
		for (size_t i = 0; i < nfiles; i++) {
			char *p = store_path(st, files[i]);

			if (forget_wipe_path(p) < 0)
				rc = -2;
			free(p);
		}
		if (rejects && access(rejects, F_OK) == 0) {
			if (forget_wipe_path(rejects) < 0)
				rc = -2;
			else
				stats->rejects_wiped = 1;
		}
		io_fsync_dir(st->dir);
	}
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	free(rejects);
	return rc;
}
