/*
 * test_profiles.c - the profiles table reader (profiles_open): live rows
 * of superseding segments, tombstones, missing columns, walk order and
 * the virtual rfm_* columns.
 *
 * With "--supersede STORE" it is instead a tool for tests/cli: it
 * rewrites STORE's profiles table as three superseding segments that
 * must read exactly as the table did (stale rows shadowed by newer
 * ones, ghost profiles tombstoned, columns missing from some segments),
 * so the CLI test can compare cdp-segment, cdp-export and cdp-report
 * before and after.
 */
#include <stdlib.h>
#include <unistd.h>

#include "profiles.h"
#include "store.h"
#include "t.h"

static struct store *
open_store(const char *d)
{
	struct store_opts o = { 1, 1, 0 };
	struct store *st = store_open(d, &o, NULL);

	if (!st) {
		fprintf(stderr, "test_profiles: %s\n", cdp_err());
		exit(2);
	}
	return st;
}

/* A table being built: named columns, one value pushed per row to each. */
struct tbl {
	char **names;
	struct colvec *v;
	size_t n;
	size_t rows;
};

static struct colvec *
tbl_col(struct tbl *t, const char *name, int type)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return &t->v[i];
	t->names = xreallocarray(t->names, t->n + 1, sizeof *t->names);
	t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
	t->names[t->n] = xstrdup(name);
	colvec_init(&t->v[t->n], type);
	for (size_t r = 0; r < t->rows; r++)
		colvec_push_null(&t->v[t->n]);
	return &t->v[t->n++];
}

/* Pad every column to the row count (a row's unset cells are null). */
static void
tbl_end_row(struct tbl *t)
{
	t->rows++;
	for (size_t i = 0; i < t->n; i++)
		while (t->v[i].n < t->rows)
			colvec_push_null(&t->v[i]);
}

static void
push_from(struct colvec *dst, const struct colvec *src, size_t r)
{
	size_t len;
	const char *s;

	if (!src || colvec_isnull(src, r)) {
		colvec_push_null(dst);
	} else if (src->type == CT_STR) {
		s = colvec_str(src, r, &len);
		colvec_push_str(dst, s, len);
	} else {
		colvec_push_int(dst, src->iv[r]);
		dst->tfmt = src->tfmt;
	}
}

/* A wrong value of the column's type: what a superseded row may hold. */
static void
push_stale(struct colvec *dst)
{
	if (dst->type == CT_STR)
		colvec_push_str(dst, "STALE", 5);
	else if (dst->type == CT_DEC)
		colvec_push_int(dst, 12345 * 16 + 2);
	else if (dst->type == CT_BOOL)
		colvec_push_int(dst, 1);
	else
		colvec_push_int(dst, 7);
}

/* Write t as one profiles segment and name it in the manifest. */
static int
tbl_write(struct store *st, struct tbl *t)
{
	struct segcol_in *in = xcalloc(t->n + 1, sizeof *in);
	uint64_t id, size;
	char *name = store_segment_name(st, &id), *path = store_path(st, name);
	int r;

	for (size_t i = 0; i < t->n; i++) {
		in[i].name = t->names[i];
		in[i].v = &t->v[i];
	}
	r = segment_write(path, "profiles", 0, in, t->n, t->rows, &size);
	if (r == 0) {
		struct mentry *e = store_add(st, "segment", id);

		mentry_set(e, "table", "profiles");
		mentry_set(e, "batch", "0");
		mentry_set(e, "rows", "%zu", t->rows);
		mentry_set(e, "file", "%s", name);
	}
	free(in);
	free(name);
	free(path);
	for (size_t i = 0; i < t->n; i++) {
		colvec_free(&t->v[i]);
		free(t->names[i]);
	}
	free(t->names);
	free(t->v);
	memset(t, 0, sizeof *t);
	return r;
}

/* Every stored (not virtual) column of every segment, read. */
struct loaded {
	struct colvec **v;	/* [seg][col], type 0 when the segment lacks it */
};

static int
load_all(struct profiles *p, struct loaded *l)
{
	l->v = xcalloc(p->nsegs + 1, sizeof *l->v);
	for (size_t i = 0; i < p->nsegs; i++) {
		l->v[i] = xcalloc(p->ncols + 1, sizeof **l->v);
		for (size_t c = 0; c < p->ncols; c++) {
			if (profiles_is_virtual(p->cols[c]))
				continue;
			if (profiles_col(p, i, p->cols[c], &l->v[i][c]) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * The live rows of st's profiles table rewritten as three segments:
 *   A  every row and G ghosts; rows B or C restate hold stale values
 *   B  rows k % 2 == 0 (stale where C restates them); no _deleted
 *   C  rows k % 3 == 0, and a tombstone (_deleted 1) per ghost
 * Each sorted by profile_id; B and C only have columns that hold a value.
 */
static int
supersede(const char *dir)
{
	struct store *st = open_store(dir);
	struct profiles p;
	struct loaded l;
	struct tbl t[3] = { { 0 } };
	int64_t maxid = 0;
	const size_t G = 3;

	if (profiles_open(st, &p) < 0 || load_all(&p, &l) < 0 || p.nlive == 0) {
		fprintf(stderr, "test_profiles: %s\n", p.nlive ? cdp_err() : "no profiles");
		return 2;
	}
	for (size_t k = 0; k < p.nlive; k++)
		maxid = p.order[k].id > maxid ? p.order[k].id : maxid;
	for (int s = 0; s < 3; s++) {
		for (size_t k = 0; k < p.nlive + G; k++) {
			int ghost = k >= p.nlive;
			const struct prow *pr = &p.order[ghost ? 0 : k];
			int restated_later = !ghost && ((s == 0 && (k % 2 == 0 || k % 3 == 0)) ||
			    (s == 1 && k % 3 == 0));
			int here = s == 0 || (s == 1 && !ghost && k % 2 == 0) ||
			    (s == 2 && (ghost || k % 3 == 0));

			if (!here)
				continue;
			colvec_push_int(tbl_col(&t[s], "profile_id", CT_INT),
			    ghost ? maxid + 1 + (int64_t)(k - p.nlive) : pr->id);
			if (s == 2 && ghost) {
				colvec_push_int(tbl_col(&t[s], "_deleted", CT_INT), 1);
				tbl_end_row(&t[s]);
				continue;
			}
			for (size_t c = 0; c < p.ncols; c++) {
				const struct colvec *src = &l.v[pr->seg][c];

				if (profiles_is_virtual(p.cols[c]) || strcmp(p.cols[c], "profile_id") == 0 ||
				    !src->type || (s > 0 && colvec_isnull(src, pr->row)))
					continue;
				if (restated_later)
					push_stale(tbl_col(&t[s], p.cols[c], src->type));
				else
					push_from(tbl_col(&t[s], p.cols[c], src->type), src, pr->row);
			}
			tbl_end_row(&t[s]);
		}
	}
	for (size_t i = 0; i < p.nsegs; i++) {
		for (size_t c = 0; c < p.ncols; c++)
			if (l.v[i][c].type)
				colvec_free(&l.v[i][c]);
		free(l.v[i]);
		store_remove(st, store_find(st, "segment", p.segs[i]->id));
	}
	free(l.v);
	profiles_close(&p);
	for (int s = 0; s < 3; s++)
		if (tbl_write(st, &t[s]) < 0) {
			fprintf(stderr, "test_profiles: %s\n", cdp_err());
			return 2;
		}
	if (store_commit(st) < 0) {
		fprintf(stderr, "test_profiles: %s\n", cdp_err());
		return 2;
	}
	store_close(st);
	return 0;
}

/* A hand-made table: ids, an attribute, orders/revenue/last_order. */
static void
test_reader(const char *dir)
{
	struct store *st = open_store(dir);
	struct tbl t = { 0 };
	struct profiles p;
	struct colvec v;
	static const int64_t ids_a[] = { 1, 2, 3, 5 }, ids_b[] = { 2, 4, 5 };

	for (size_t k = 0; k < 4; k++) {
		colvec_push_int(tbl_col(&t, "profile_id", CT_INT), ids_a[k]);
		colvec_push_str(tbl_col(&t, "city", CT_STR), "old", 3);
		colvec_push_int(tbl_col(&t, "orders", CT_INT), (int64_t)k + 1);
		colvec_push_int(tbl_col(&t, "last_order", CT_TIME), 1000 * ((int64_t)k + 1));
		colvec_push_int(tbl_col(&t, "revenue", CT_DEC), (100 * ((int64_t)k + 1)) * 16 + 2);
		tbl_end_row(&t);
	}
	T_CHECK(tbl_write(st, &t) == 0, "reader: first segment written");
	/* 2 restated without city, 4 new, 5 merged away */
	for (size_t k = 0; k < 3; k++) {
		colvec_push_int(tbl_col(&t, "profile_id", CT_INT), ids_b[k]);
		if (k == 2)
			colvec_push_int(tbl_col(&t, "_deleted", CT_INT), 1);
		else
			colvec_push_int(tbl_col(&t, "orders", CT_INT), 9);
		tbl_end_row(&t);
	}
	T_CHECK(tbl_write(st, &t) == 0 && store_commit(st) == 0, "reader: superseding segment written");
	T_CHECK(profiles_open(st, &p) == 0, "reader: opens");
	T_INTEQ(p.nlive, 4, "reader: four live profiles (1 2 3 4)");
	T_CHECK(p.nlive == 4 && p.order[0].id == 1 && p.order[1].id == 2 && p.order[1].seg == 1 &&
	    p.order[2].id == 3 && p.order[3].id == 4, "reader: ascending ids, the newest row of each");
	T_CHECK(!profiles_live(&p, 0, 1) && !profiles_live(&p, 0, 3) && !profiles_live(&p, 1, 2),
	    "reader: superseded rows and tombstones are not live");
	T_CHECK(profiles_col(&p, 1, "city", &v) == 0, "reader: a column the segment lacks reads as absent");
	T_CHECK(profiles_col_type(&p, "rfm_score") == CT_STR && profiles_col_type(&p, "rfm_recency") == CT_INT,
	    "reader: rfm columns are virtual columns of the table");
	/* live ordering profiles: 1 (1 order, t 1000, 1.00), 2 (9, null, 0), 3 (3, 3000, 3.00), 4 (9, null, 0) */
	if (profiles_col(&p, 0, "rfm_frequency", &v) == 1) {
		T_CHECK(v.n == 4 && !colvec_isnull(&v, 0) && v.iv[0] == 1 && v.iv[2] == 2,
		    "reader: rfm_frequency is the quintile among the live profiles");
		colvec_free(&v);
	} else {
		T_CHECK(0, "reader: rfm_frequency is the quintile among the live profiles");
	}
	if (profiles_col(&p, 1, "rfm_score", &v) == 1) {
		size_t len;

		T_CHECK(v.n == 3 && !colvec_isnull(&v, 0) && strcmp(colvec_str(&v, 0, &len), "131") == 0,
		    "reader: rfm_score of a restated profile from its newest row");
		colvec_free(&v);
	} else {
		T_CHECK(0, "reader: rfm_score of a restated profile from its newest row");
	}
	profiles_close(&p);
	store_close(st);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test_profiles.XXXXXX", dir[300], cmd[600];

	if (argc == 3 && strcmp(argv[1], "--supersede") == 0)
		return supersede(argv[2]);
	if (!mkdtemp(tmpl))
		return 2;
	snprintf(dir, sizeof dir, "%s/store", tmpl);
	test_reader(dir);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpl);
	return t_done();
}
