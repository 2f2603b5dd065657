/*
 * lsm.c - index tables: sorted runs of (key, value) pairs in part files,
 * lookups newest run first, size-tiered compaction.  See lsm.h.
 *
 * Memory: a lookup or a merge holds one part of each run it reads at a
 * time (lsm_part_rows pairs, 16 bytes each); a merge also one output
 * part.  Nothing here loads a run whole unless the caller asked for a
 * cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsm.h"

size_t lsm_part_rows = LSM_PART_ROWS;
void (*lsm_compact_hook)(size_t parts_written);

struct part {
	uint64_t id;		/* manifest entry id */
	uint64_t num, rows, kmin, kmax;
	char *file;
	uint64_t *k;		/* loaded pairs, or NULL */
	int64_t *v;
	size_t n;
};

struct run {
	uint64_t r;
	int level;
	uint64_t rows;
	struct part *p;
	size_t np;
};

struct lsm {
	struct store *st;
	char *name;
	struct run *runs;	/* oldest first */
	size_t nr;
	int cache;
};

static void
part_unload(struct part *p)
{
	free(p->k);
	free(p->v);
	p->k = NULL;
	p->v = NULL;
	p->n = 0;
}

static void
runs_free(struct lsm *x)
{
	for (size_t i = 0; i < x->nr; i++) {
		for (size_t j = 0; j < x->runs[i].np; j++) {
			part_unload(&x->runs[i].p[j]);
			free(x->runs[i].p[j].file);
		}
		free(x->runs[i].p);
	}
	free(x->runs);
	x->runs = NULL;
	x->nr = 0;
}

int
lsm_is_index_entry(const struct mentry *e)
{
	return strcmp(e->kind, "segment") == 0 && mentry_get(e, "table") && mentry_get(e, "run") &&
	    mentry_get(e, "file");
}

static struct run *
run_get(struct lsm *x, uint64_t r)
{
	for (size_t i = 0; i < x->nr; i++)
		if (x->runs[i].r == r)
			return &x->runs[i];
	x->runs = xreallocarray(x->runs, x->nr + 1, sizeof *x->runs);
	memset(&x->runs[x->nr], 0, sizeof *x->runs);
	x->runs[x->nr].r = r;
	return &x->runs[x->nr++];
}

static int
cmp_run(const void *a, const void *b)
{
	const struct run *p = a, *q = b;

	return p->r < q->r ? -1 : p->r > q->r;
}

static int
cmp_part(const void *a, const void *b)
{
	const struct part *p = a, *q = b;

	return p->num < q->num ? -1 : p->num > q->num;
}

/* Rebuild the run list from the store's in-memory manifest. */
static void
lsm_reload(struct lsm *x)
{
	runs_free(x);
	for (size_t i = 0; i < x->st->ne; i++) {
		const struct mentry *e = x->st->e[i];
		struct run *run;
		struct part *p;

		if (!lsm_is_index_entry(e) || strcmp(mentry_get(e, "table"), x->name) != 0)
			continue;
		run = run_get(x, mentry_getu(e, "run"));
		run->level = (int)mentry_getu(e, "level");
		run->p = xreallocarray(run->p, run->np + 1, sizeof *run->p);
		p = &run->p[run->np++];
		memset(p, 0, sizeof *p);
		p->id = e->id;
		p->num = mentry_getu(e, "part");
		p->rows = mentry_getu(e, "rows");
		p->kmin = mentry_getu(e, "kmin");
		p->kmax = mentry_getu(e, "kmax");
		p->file = xstrdup(mentry_get(e, "file"));
		run->rows += p->rows;
	}
	if (x->nr > 1)
		qsort(x->runs, x->nr, sizeof *x->runs, cmp_run);
	for (size_t i = 0; i < x->nr; i++)
		qsort(x->runs[i].p, x->runs[i].np, sizeof *x->runs[i].p, cmp_part);
}

struct lsm *
lsm_open(struct store *st, const char *name)
{
	struct lsm *x = xcalloc(1, sizeof *x);

	x->st = st;
	x->name = xstrdup(name);
	lsm_reload(x);
	return x;
}

void
lsm_close(struct lsm *x)
{
	if (!x)
		return;
	runs_free(x);
	free(x->name);
	free(x);
}

size_t
lsm_nruns(const struct lsm *x)
{
	return x->nr;
}

uint64_t
lsm_npairs(const struct lsm *x)
{
	uint64_t n = 0;

	for (size_t i = 0; i < x->nr; i++)
		n += x->runs[i].rows;
	return n;
}

void
lsm_set_cache(struct lsm *x, int on)
{
	x->cache = on;
}

/* Read a part's pairs into p->k, p->v, checking its shape (not order). */
static int
part_load(struct lsm *x, struct part *p)
{
	char *path;
	struct segment *s;
	struct colvec kv, vv;
	int ki, vi, r = -1;

	if (p->k)
		return 0;
	path = store_path(x->st, p->file);
	s = segment_open(path);
	free(path);
	if (!s)
		return -1;
	ki = segment_col_index(s, "key");
	vi = segment_col_index(s, "value");
	if (ki < 0 || vi < 0 || s->cols[ki].type != CT_INT || s->cols[vi].type != CT_INT ||
	    s->cols[ki].nnull || s->cols[vi].nnull || s->nrows != p->rows ||
	    strcmp(s->table, x->name) != 0) {
		cdp_setdamage("%s: not a part of index %s (columns, nulls or row count)", s->path, x->name);
		segment_close(s);
		return -1;
	}
	if (segment_read(s, ki, &kv) < 0) {
		segment_close(s);
		return -1;
	}
	if (segment_read(s, vi, &vv) == 0) {
		p->k = (uint64_t *)kv.iv;	/* same bits, read as unsigned */
		p->v = vv.iv;
		p->n = kv.n;
		kv.iv = NULL;
		vv.iv = NULL;
		colvec_free(&vv);
		r = 0;
	}
	colvec_free(&kv);
	segment_close(s);
	return r;
}

/* First index in keys[lo..hi) whose key is >= k. */
static size_t
lower_bound(const uint64_t *keys, size_t lo, size_t hi, uint64_t k)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Resolve the unresolved probes keys[lo..hi) that part p holds. */
static int
probe_part(struct lsm *x, struct part *p, const uint64_t *keys, size_t lo, size_t hi,
    int64_t *vals, unsigned char *done, size_t *left)
{
	size_t at = 0, i;

	for (i = lo; i < hi && done[i]; i++)
		;
	if (i == hi)
		return 0;
	if (part_load(x, p) < 0)
		return -1;
	for (; i < hi; i++) {
		if (done[i])
			continue;
		at = lower_bound(p->k, at, p->n, keys[i]);
		if (at < p->n && p->k[at] == keys[i]) {
			vals[i] = p->v[at];
			done[i] = 1;
			(*left)--;
		}
	}
	if (!x->cache)
		part_unload(p);
	return 0;
}

/* The first part of run whose kmax is >= k (run->np if none). */
static size_t
part_search(const struct run *run, size_t lo, uint64_t k)
{
	size_t hi = run->np;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (run->p[mid].kmax < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The probes one run answers: a walk of probes and parts together, each
 * step a binary search, so a few probes cost a few parts however many
 * the run has.
 */
static int
probe_run(struct lsm *x, struct run *run, const uint64_t *keys, size_t n, int64_t *vals,
    unsigned char *done, size_t *left)
{
	size_t lo = 0, pi = part_search(run, 0, keys[0]);

	while (pi < run->np && lo < n) {
		struct part *p = &run->p[pi];
		size_t hi;

		lo = lower_bound(keys, lo, n, p->kmin);
		if (lo == n)
			break;
		if (keys[lo] > p->kmax) {
			pi = part_search(run, pi + 1, keys[lo]);
			continue;
		}
		hi = p->kmax == UINT64_MAX ? n : lower_bound(keys, lo, n, p->kmax + 1);
		if (probe_part(x, p, keys, lo, hi, vals, done, left) < 0)
			return -1;
		lo = hi;
		pi++;
	}
	return 0;
}

int
lsm_lookup(struct lsm *x, const uint64_t *keys, size_t n, int64_t *vals)
{
	unsigned char *done;
	size_t left = n;

	for (size_t i = 0; i < n; i++)
		vals[i] = 0;
	if (!n || !x->nr)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (keys[i] < keys[i - 1])
			return cdp_seterr("index %s: lookup keys not sorted", x->name);
	done = xcalloc(n, 1);
	for (size_t ri = x->nr; ri-- > 0 && left;) {
		if (probe_run(x, &x->runs[ri], keys, n, vals, done, &left) < 0) {
			free(done);
			return -1;
		}
	}
	free(done);
	return 0;
}

static int
cmp_pair_idx(const void *a, const void *b, void *arg)
{
	const uint64_t *keys = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (keys[i] != keys[j])
		return keys[i] < keys[j] ? -1 : 1;
	return i < j ? -1 : i > j;	/* stable: later pairs sort later */
}

size_t
lsm_sort_pairs(uint64_t *keys, int64_t *vals, size_t n)
{
	size_t *idx, out = 0;
	uint64_t *k2;
	int64_t *v2;

	if (n == 0)
		return 0;
	idx = xreallocarray(NULL, n, sizeof *idx);
	k2 = xreallocarray(NULL, n, sizeof *k2);
	v2 = xreallocarray(NULL, n, sizeof *v2);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof *idx, cmp_pair_idx, keys);
	for (size_t i = 0; i < n; i++) {
		/* the last pair of a key wins: overwrite the one kept */
		if (out && k2[out - 1] == keys[idx[i]]) {
			v2[out - 1] = vals[idx[i]];
			continue;
		}
		k2[out] = keys[idx[i]];
		v2[out] = vals[idx[i]];
		out++;
	}
	memcpy(keys, k2, out * sizeof *keys);
	memcpy(vals, v2, out * sizeof *vals);
	free(idx);
	free(k2);
	free(v2);
	return out;
}

/* The level of a run of n pairs. */
static int
level_of(uint64_t n)
{
	int level = 0;

	for (uint64_t cap = LSM_LEVEL0_ROWS; n > cap && cap <= UINT64_MAX / LSM_FANOUT; cap *= LSM_FANOUT)
		level++;
	return level;
}

/* A run being written part by part. */
struct runwriter {
	struct lsm *x;
	uint64_t r;
	uint64_t *k;
	int64_t *v;
	size_t n, cap;
	uint64_t nparts, total;
	uint64_t *ids;		/* entries added */
	uint64_t last;		/* the last key taken */
	int compacting;
};

static void
rw_init(struct runwriter *w, struct lsm *x, uint64_t r, int compacting)
{
	memset(w, 0, sizeof *w);
	w->x = x;
	w->r = r;
	w->cap = lsm_part_rows ? lsm_part_rows : 1;
	w->k = xreallocarray(NULL, w->cap, sizeof *w->k);
	w->v = xreallocarray(NULL, w->cap, sizeof *w->v);
	w->compacting = compacting;
}

static int
rw_flush(struct runwriter *w)
{
	struct colvec kv, vv;
	struct segcol_in in[2] = { { "key", &kv }, { "value", &vv } };
	struct store *st = w->x->st;
	uint64_t id, size;
	char *name, *path;
	struct mentry *e;
	int r;

	if (w->n == 0)
		return 0;
	colvec_init(&kv, CT_INT);
	colvec_init(&vv, CT_INT);
	for (size_t i = 0; i < w->n; i++) {
		colvec_push_int(&kv, (int64_t)w->k[i]);
		colvec_push_int(&vv, w->v[i]);
	}
	name = store_segment_name(st, &id);
	if (!w->r)
		w->r = id;	/* a new run is named by its first part */
	path = store_path(st, name);
	r = segment_write(path, w->x->name, w->r, in, 2, w->n, &size);
	free(path);
	colvec_free(&kv);
	colvec_free(&vv);
	if (r < 0) {
		free(name);
		return -1;
	}
	e = store_add(st, "segment", id);
	mentry_set(e, "table", "%s", w->x->name);
	mentry_set(e, "run", "%llu", (unsigned long long)w->r);
	mentry_set(e, "level", "0");
	mentry_set(e, "part", "%llu", (unsigned long long)w->nparts);
	mentry_set(e, "rows", "%zu", w->n);
	mentry_set(e, "kmin", "%llu", (unsigned long long)w->k[0]);
	mentry_set(e, "kmax", "%llu", (unsigned long long)w->k[w->n - 1]);
	mentry_set(e, "file", "%s", name);
	free(name);
	w->ids = xreallocarray(w->ids, w->nparts + 1, sizeof *w->ids);
	w->ids[w->nparts++] = id;
	w->total += w->n;
	w->n = 0;
	if (w->compacting && lsm_compact_hook)
		lsm_compact_hook((size_t)w->nparts);
	return 0;
}

static int
rw_add(struct runwriter *w, uint64_t k, int64_t v)
{
	if ((w->n || w->total) && k <= w->last)
		return cdp_seterr("index %s: run keys not strictly ascending", w->x->name);
	w->last = k;
	w->k[w->n] = k;
	w->v[w->n++] = v;
	return w->n == w->cap ? rw_flush(w) : 0;
}

/* Flush the rest and give every part the run's level. */
static int
rw_finish(struct runwriter *w)
{
	int level;

	if (rw_flush(w) < 0)
		return -1;
	level = level_of(w->total);
	for (uint64_t i = 0; i < w->nparts; i++)
		mentry_set(store_find(w->x->st, "segment", w->ids[i]), "level", "%d", level);
	return 0;
}

/* Undo a run half written: its files and entries go. */
static void
rw_abort(struct runwriter *w)
{
	for (uint64_t i = 0; i < w->nparts; i++) {
		struct mentry *e = store_find(w->x->st, "segment", w->ids[i]);
		char *path;

		if (!e)
			continue;
		path = store_path(w->x->st, mentry_get(e, "file"));
		unlink(path);
		free(path);
		store_remove(w->x->st, e);
	}
	w->nparts = 0;
}

static void
rw_free(struct runwriter *w)
{
	free(w->k);
	free(w->v);
	free(w->ids);
}

int
lsm_write_run(struct lsm *x, const uint64_t *keys, const int64_t *vals, size_t n)
{
	struct runwriter w;

	if (n == 0)
		return 0;
	rw_init(&w, x, 0, 0);
	for (size_t i = 0; i < n; i++) {
		if (rw_add(&w, keys[i], vals[i]) < 0) {
			rw_abort(&w);
			rw_free(&w);
			return -1;
		}
	}
	if (rw_finish(&w) < 0) {
		rw_abort(&w);
		rw_free(&w);
		return -1;
	}
	rw_free(&w);
	lsm_reload(x);
	return 0;
}

/* A stream over one run's pairs in key order, one part loaded at a time. */
struct cursor_run {
	struct lsm *x;
	struct run *run;
	size_t pi, i;
	int eof;
};

static int
cr_fill(struct cursor_run *c)
{
	for (;;) {
		struct part *p;

		if (c->pi >= c->run->np) {
			c->eof = 1;
			return 0;
		}
		p = &c->run->p[c->pi];
		if (part_load(c->x, p) < 0)
			return -1;
		if (c->i < p->n)
			return 0;
		if (!c->x->cache)
			part_unload(p);
		c->pi++;
		c->i = 0;
	}
}

static uint64_t
cr_key(const struct cursor_run *c)
{
	return c->run->p[c->pi].k[c->i];
}

static int64_t
cr_val(const struct cursor_run *c)
{
	return c->run->p[c->pi].v[c->i];
}

static int
cr_next(struct cursor_run *c)
{
	c->i++;
	return cr_fill(c);
}

/*
 * Merge runs [lo, hi] (oldest first) in key order; for each key the
 * newest value goes to fn (tombstones too; fn decides).
 */
static int
merge_walk(struct lsm *x, size_t lo, size_t hi, int (*fn)(uint64_t, int64_t, void *), void *arg)
{
	size_t k = hi - lo + 1;
	struct cursor_run *c = xcalloc(k, sizeof *c);
	int r = 0;

	for (size_t i = 0; i < k && r == 0; i++) {
		c[i] = (struct cursor_run){ x, &x->runs[lo + i], 0, 0, 0 };
		r = cr_fill(&c[i]);
	}
	while (r == 0) {
		size_t best = k;
		uint64_t key = 0;

		for (size_t i = 0; i < k; i++)
			if (!c[i].eof && (best == k || cr_key(&c[i]) <= key)) {
				best = i;	/* ties: the newest (last) wins */
				key = cr_key(&c[i]);
			}
		if (best == k)
			break;
		r = fn(key, cr_val(&c[best]), arg);
		for (size_t i = 0; i < k && r == 0; i++)
			if (!c[i].eof && cr_key(&c[i]) == key)
				r = cr_next(&c[i]) < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < c[i].run->np && !x->cache; j++)
			part_unload(&c[i].run->p[j]);
	free(c);
	return r;
}

struct each_arg {
	int (*fn)(uint64_t, int64_t, void *);
	void *arg;
};

static int
each_live(uint64_t key, int64_t val, void *arg)
{
	struct each_arg *a = arg;

	return val == 0 ? 0 : a->fn(key, val, a->arg);
}

int
lsm_each(struct lsm *x, int (*fn)(uint64_t key, int64_t val, void *arg), void *arg)
{
	struct each_arg a = { fn, arg };

	if (!x->nr)
		return 0;
	return merge_walk(x, 0, x->nr - 1, each_live, &a);
}

struct merge_out {
	struct runwriter *w;
	int drop_tombstones;
};

static int
merge_put(uint64_t key, int64_t val, void *arg)
{
	struct merge_out *m = arg;

	if (val == 0 && m->drop_tombstones)
		return 0;
	return rw_add(m->w, key, val) < 0 ? -1 : 0;
}

/* Replace runs [lo, hi] by their merge (not yet published). */
static int
merge_runs(struct lsm *x, size_t lo, size_t hi)
{
	struct runwriter w;
	struct merge_out m = { &w, lo == 0 };

	rw_init(&w, x, x->runs[hi].r, 1);
	if (merge_walk(x, lo, hi, merge_put, &m) != 0 || rw_finish(&w) < 0) {
		rw_abort(&w);
		rw_free(&w);
		return -1;
	}
	/* The old parts leave the manifest; the new run has the same R,
	 * so tell them apart by entry id. */
	for (size_t i = lo; i <= hi; i++) {
		for (size_t j = 0; j < x->runs[i].np; j++) {
			struct mentry *e = store_find(x->st, "segment", x->runs[i].p[j].id);

			if (e)
				store_remove(x->st, e);
		}
	}
	rw_free(&w);
	lsm_reload(x);
	return 0;
}

/* The adjacent runs to merge now, newest window first; 0 if none. */
static int
pick_window(const struct lsm *x, int full, size_t *lo, size_t *hi)
{
	if (full && x->nr > 1) {
		*lo = 0;
		*hi = x->nr - 1;
		return 1;
	}
	if (x->nr > LSM_MAX_RUNS) {
		/* too many runs of mixed levels: merge the adjacent ones that
		 * hold the fewest pairs, not the whole index */
		uint64_t best = UINT64_MAX;

		for (size_t i = 0; i + LSM_FANOUT < x->nr; i++) {
			uint64_t sum = 0;

			for (size_t j = i; j <= i + LSM_FANOUT; j++)
				sum += x->runs[j].rows;
			if (sum < best) {
				best = sum;
				*lo = i;
				*hi = i + LSM_FANOUT;
			}
		}
		return 1;
	}
	for (size_t i = x->nr; i-- > 0;) {
		size_t j = i;

		while (j > 0 && x->runs[j - 1].level == x->runs[i].level)
			j--;
		if (i - j + 1 > LSM_FANOUT) {
			*lo = j;
			*hi = i;
			return 1;
		}
		i = j;
	}
	return 0;
}

int
lsm_compact(struct lsm *x, int full)
{
	size_t lo = 0, hi = 0;

	while (pick_window(x, full, &lo, &hi)) {
		if (merge_runs(x, lo, hi) < 0)
			return -1;
		full = 0;
	}
	return 0;
}

static int
verify_part(struct lsm *x, struct part *p, uint64_t *prev, int *any)
{
	int r = 0;

	if (part_load(x, p) < 0)
		return -1;
	if (p->n == 0 || p->k[0] != p->kmin || p->k[p->n - 1] != p->kmax)
		r = cdp_setdamage("%s: index %s part keys do not match the manifest's kmin/kmax",
		    p->file, x->name);
	for (size_t i = 0; i < p->n && r == 0; i++) {
		if (*any && p->k[i] <= *prev)
			r = cdp_setdamage("%s: index %s keys not sorted and unique at row %zu",
			    p->file, x->name, i);
		*prev = p->k[i];
		*any = 1;
	}
	if (!x->cache)
		part_unload(p);
	return r;
}

int
lsm_verify(struct lsm *x)
{
	for (size_t i = 0; i < x->nr; i++) {
		uint64_t prev = 0;
		int any = 0;

		for (size_t j = 0; j < x->runs[i].np; j++) {
			if (x->runs[i].p[j].num != j)
				return cdp_setdamage("%s: index %s run %llu lacks part %zu", x->runs[i].p[j].file,
				    x->name, (unsigned long long)x->runs[i].r, j);
			if (verify_part(x, &x->runs[i].p[j], &prev, &any) < 0)
				return -1;
		}
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
lsm_tables(const struct store *st, size_t *n)
{
	char **names = NULL;
	size_t count = 0;

	for (size_t i = 0; i < st->ne; i++) {
		const char *t;
		size_t k;

		if (!lsm_is_index_entry(st->e[i]))
			continue;
		t = mentry_get(st->e[i], "table");
		for (k = 0; k < count && strcmp(names[k], t) != 0; k++)
			;
		if (k < count)
			continue;
		names = xreallocarray(names, count + 1, sizeof *names);
		names[count++] = xstrdup(t);
	}
	if (count)
		qsort(names, count, sizeof *names, cmp_str);
	*n = count;
	return names;
}
