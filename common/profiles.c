/*
 * profiles.c - reading cdp-merge's tables: merges and links.
 */
#include <stdlib.h>
#include <string.h>

#include "profiles.h"

static size_t
slot_of(const struct mergemap *m, int64_t id)
{
	size_t i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 20) & (m->nslots - 1);

	while (m->slots[i] && m->old_ids[m->slots[i] - 1] != id)
		i = (i + 1) & (m->nslots - 1);
	return i;
}

void
mergemap_add(struct mergemap *m, int64_t old_id, int64_t new_id)
{
	size_t i;

	if ((m->n + 1) * 2 > m->nslots) {
		size_t nslots = m->nslots ? m->nslots * 2 : 1024;

		free(m->slots);
		m->slots = xcalloc(nslots, sizeof *m->slots);
		m->nslots = nslots;
		for (size_t k = 0; k < m->n; k++)
			m->slots[slot_of(m, m->old_ids[k])] = k + 1;
	}
	i = slot_of(m, old_id);
	if (m->slots[i]) {
		m->new_ids[m->slots[i] - 1] = new_id;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 1024;
		m->old_ids = xreallocarray(m->old_ids, m->cap, sizeof *m->old_ids);
		m->new_ids = xreallocarray(m->new_ids, m->cap, sizeof *m->new_ids);
	}
	m->old_ids[m->n] = old_id;
	m->new_ids[m->n] = new_id;
	m->n++;
	m->slots[i] = m->n;
}

int64_t
mergemap_resolve(const struct mergemap *m, int64_t id)
{
	/* Chains are short (an id is merged once); the bound guards loops. */
	for (size_t hops = 0; m->n && hops <= m->n; hops++) {
		size_t i = slot_of(m, id);

		if (!m->slots[i])
			break;
		id = m->new_ids[m->slots[i] - 1];
	}
	return id;
}

int
mergemap_load(struct store *st, struct mergemap *m)
{
	struct segment **segs;
	size_t n;

	memset(m, 0, sizeof *m);
	if (store_segments(st, "merges", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int a = segment_col_index(segs[i], "old_id"), b = segment_col_index(segs[i], "new_id");
		struct colvec va, vb;

		if (a < 0 || b < 0) {
			store_segments_free(segs, n);
			return cdp_seterr("%s: merges segment lacks old_id/new_id", segs[i]->path);
		}
		if (segment_read(segs[i], a, &va) < 0) {
			store_segments_free(segs, n);
			return -1;
		}
		if (segment_read(segs[i], b, &vb) < 0) {
			colvec_free(&va);
			store_segments_free(segs, n);
			return -1;
		}
		for (size_t r = 0; r < va.n; r++)
			mergemap_add(m, va.iv[r], vb.iv[r]);
		colvec_free(&va);
		colvec_free(&vb);
	}
	store_segments_free(segs, n);
	return 0;
}

void
mergemap_free(struct mergemap *m)
{
	free(m->old_ids);
	free(m->new_ids);
	free(m->slots);
	memset(m, 0, sizeof *m);
}

int
links_read(struct store *st, const struct mergemap *m, uint64_t seg_id, int64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];
		const char *t = mentry_get(e, "table");
		struct segment *s;
		struct colvec v;
		char *path;

		if (strcmp(e->kind, "segment") != 0 || !t || strcmp(t, "links") != 0 ||
		    mentry_getu(e, "records") != seg_id)
			continue;
		path = store_path(st, mentry_get(e, "file"));
		s = segment_open(path);
		free(path);
		if (!s)
			return -1;
		if (segment_col_index(s, "profile_id") != 0 || segment_read(s, 0, &v) < 0) {
			cdp_seterr("%s: unreadable links segment", s->path);
			segment_close(s);
			return -1;
		}
		segment_close(s);
		for (size_t r = 0; r < v.n; r++)
			v.iv[r] = mergemap_resolve(m, v.iv[r]);
		*ids = v.iv;
		*n = v.n;
		v.iv = NULL;
		colvec_free(&v);
		return 0;
	}
	return 0;
}

/* ---- the profiles table: live rows, walk order, virtual columns ---- */

const char *const profiles_rfm_names[PROFILES_NRFM] = { "rfm_recency", "rfm_frequency",
	"rfm_monetary", "rfm_score" };

int
profiles_is_virtual(const char *name)
{
	for (int k = 0; k < PROFILES_NRFM; k++)
		if (strcmp(name, profiles_rfm_names[k]) == 0)
			return 1;
	return 0;
}

static long
col_pos(const struct profiles *p, const char *name)
{
	for (size_t i = 0; i < p->ncols; i++)
		if (strcmp(p->cols[i], name) == 0)
			return (long)i;
	return -1;
}

static void
col_insert(struct profiles *p, size_t at, const char *name, int type)
{
	p->cols = xreallocarray(p->cols, p->ncols + 1, sizeof *p->cols);
	p->types = xreallocarray(p->types, p->ncols + 1, sizeof *p->types);
	memmove(p->cols + at + 1, p->cols + at, (p->ncols - at) * sizeof *p->cols);
	memmove(p->types + at + 1, p->types + at, (p->ncols - at) * sizeof *p->types);
	p->cols[at] = xstrdup(name);
	p->types[at] = type;
	p->ncols++;
}

/*
 * The union of the segments' columns.  A column first met in a later
 * segment goes right after the column before it there, so a table
 * whose segments differ in columns lists them in the order one
 * segment holding them all would (the writer's order).
 */
static void
collect_columns(struct profiles *p)
{
	for (size_t i = 0; i < p->nsegs; i++) {
		const struct segment *s = p->segs[i];
		size_t after = 0;

		for (size_t c = 0; c < s->ncols; c++) {
			long at = col_pos(p, s->cols[c].name);

			if (at < 0) {
				at = (long)after;
				col_insert(p, (size_t)at, s->cols[c].name, s->cols[c].type);
			}
			/* never back: a name twice in a segment keeps its first place */
			if ((size_t)at + 1 > after)
				after = (size_t)at + 1;
		}
	}
	if (p->nsegs == 0)
		return;
	for (int k = 0; k < PROFILES_NRFM; k++) {
		long at = col_pos(p, profiles_rfm_names[k]), prev;
		int type = k == 3 ? CT_STR : CT_INT;

		if (at >= 0) {
			p->types[at] = type;
			continue;
		}
		prev = col_pos(p, k ? profiles_rfm_names[k - 1] : "last_order");
		col_insert(p, prev < 0 ? p->ncols : (size_t)prev + 1, profiles_rfm_names[k], type);
	}
}

int
profiles_col_type(const struct profiles *p, const char *name)
{
	long at = col_pos(p, name);

	return at < 0 ? 0 : p->types[at];
}

/* profile_id of segment i; -1 with cdp_err() if missing or unreadable. */
static int
read_ids(struct segment *s, struct colvec *v)
{
	int idx = segment_col_index(s, "profile_id");

	if (idx < 0 || s->cols[idx].type != CT_INT)
		return cdp_setdamage("%s: profiles segment lacks profile_id", s->path);
	return segment_read(s, idx, v);
}

/* Clear the live bit of rows whose _deleted is 1 (tombstones). */
static int
drop_tombstones(struct profiles *p, size_t i)
{
	struct segment *s = p->segs[i];
	int idx = segment_col_index(s, "_deleted");
	struct colvec v;

	if (idx < 0)
		return 0;
	if (segment_read(s, idx, &v) < 0)
		return -1;
	for (size_t r = 0; r < v.n; r++)
		if (!colvec_isnull(&v, r) && v.iv[r] == 1)
			p->live[i][r >> 3] &= (uint8_t)~(1u << (r & 7));
	colvec_free(&v);
	return 0;
}

/* Open addressing: id -> (seg << 32 | row) + 1 of its last row. */
struct lastrow {
	int64_t *keys;
	uint64_t *vals;
	size_t mask;
};

static uint64_t *
lastrow_slot(struct lastrow *m, int64_t id)
{
	size_t i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 17) & m->mask;

	while (m->vals[i] && m->keys[i] != id)
		i = (i + 1) & m->mask;
	m->keys[i] = id;
	return &m->vals[i];
}

static int
prow_cmp(const void *a, const void *b)
{
	const struct prow *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Mark live rows and order them.  When the ids in manifest order are
 * strictly ascending no id repeats, so every row is live (one
 * generation); otherwise the last row of each id wins.
 */
static int
mark_live(struct profiles *p, struct colvec *ids, size_t total)
{
	struct lastrow m = { 0 };
	int ascending = 1, have = 0;
	int64_t prev = 0;
	size_t k = 0;

	for (size_t i = 0; i < p->nsegs && ascending; i++)
		for (size_t r = 0; r < ids[i].n && ascending; r++) {
			if (colvec_isnull(&ids[i], r))
				continue;
			ascending = !have || ids[i].iv[r] > prev;
			prev = ids[i].iv[r];
			have = 1;
		}
	if (!ascending) {
		size_t cap = 16;

		while (cap < total * 2)
			cap *= 2;
		m.keys = xcalloc(cap, sizeof *m.keys);
		m.vals = xcalloc(cap, sizeof *m.vals);
		m.mask = cap - 1;
		for (size_t i = 0; i < p->nsegs; i++)
			for (size_t r = 0; r < ids[i].n; r++)
				if (!colvec_isnull(&ids[i], r))
					*lastrow_slot(&m, ids[i].iv[r]) = ((uint64_t)i << 32 | r) + 1;
	}
	p->order = xcalloc(total + 1, sizeof *p->order);
	for (size_t i = 0; i < p->nsegs; i++) {
		p->live[i] = xcalloc(ids[i].n / 8 + 1, 1);
		for (size_t r = 0; r < ids[i].n; r++) {
			if (colvec_isnull(&ids[i], r) ||
			    (!ascending && *lastrow_slot(&m, ids[i].iv[r]) != ((uint64_t)i << 32 | r) + 1))
				continue;
			p->live[i][r >> 3] |= (uint8_t)(1u << (r & 7));
		}
		if (drop_tombstones(p, i) < 0) {
			free(m.keys);
			free(m.vals);
			return -1;
		}
		for (size_t r = 0; r < ids[i].n; r++)
			if (profiles_live(p, i, r))
				p->order[k++] = (struct prow){ ids[i].iv[r], (uint32_t)i, (uint32_t)r };
	}
	p->nlive = k;
	if (!ascending)
		qsort(p->order, k, sizeof *p->order, prow_cmp);
	free(m.keys);
	free(m.vals);
	return 0;
}

int
profiles_open(struct store *st, struct profiles *p)
{
	struct colvec *ids;
	size_t total = 0;
	int rc = 0;

	memset(p, 0, sizeof *p);
	p->st = st;
	if (store_segments(st, "profiles", &p->segs, &p->nsegs) < 0)
		return -1;
	p->live = xcalloc(p->nsegs + 1, sizeof *p->live);
	ids = xcalloc(p->nsegs + 1, sizeof *ids);
	for (size_t i = 0; i < p->nsegs && rc == 0; i++) {
		if (p->segs[i]->nrows > UINT32_MAX || read_ids(p->segs[i], &ids[i]) < 0) {
			rc = -1;
			break;
		}
		total += ids[i].n;
	}
	if (rc == 0)
		rc = mark_live(p, ids, total);
	for (size_t i = 0; i < p->nsegs; i++)
		colvec_free(&ids[i]);
	free(ids);
	if (rc == 0)
		collect_columns(p);
	else
		profiles_close(p);
	return rc;
}

void
profiles_close(struct profiles *p)
{
	for (size_t i = 0; i < p->nsegs; i++) {
		if (p->live)
			free(p->live[i]);
		if (p->rfm)
			free(p->rfm[i]);
	}
	free(p->live);
	free(p->rfm);
	store_segments_free(p->segs, p->nsegs);
	columns_free(p->cols, p->ncols);
	free(p->types);
	free(p->order);
	memset(p, 0, sizeof *p);
}

size_t
profiles_live_count(const struct profiles *p, size_t seg)
{
	size_t n = 0;

	for (size_t r = 0; r < p->segs[seg]->nrows; r++)
		n += profiles_live(p, seg, r);
	return n;
}

/* Read a stored column by name: 1, 0 when absent, -1 on failure. */
static int
stored_col(struct segment *s, const char *name, struct colvec *out)
{
	int idx = segment_col_index(s, name);

	if (idx < 0)
		return 0;
	return segment_read(s, idx, out) < 0 ? -1 : 1;
}

/* One segment's orders, last_order and revenue (cents) per row. */
struct rfm_in {
	struct colvec ord, last, rev;
	int has_ord, has_last, has_rev;
};

static int
rfm_read(struct segment *s, struct rfm_in *in)
{
	memset(in, 0, sizeof *in);
	if ((in->has_ord = stored_col(s, "orders", &in->ord)) < 0 ||
	    (in->has_last = stored_col(s, "last_order", &in->last)) < 0 ||
	    (in->has_rev = stored_col(s, "revenue", &in->rev)) < 0)
		return -1;
	return 0;
}

static void
rfm_in_free(struct rfm_in *in)
{
	if (in->has_ord > 0)
		colvec_free(&in->ord);
	if (in->has_last > 0)
		colvec_free(&in->last);
	if (in->has_rev > 0)
		colvec_free(&in->rev);
}

/* Row r's orders (0 if none), last order time and revenue, as cdp-merge counts them. */
static int64_t
rfm_row(const struct rfm_in *in, size_t r, double *rec, double *mon)
{
	int64_t ord = in->has_ord > 0 && !colvec_isnull(&in->ord, r) ? in->ord.iv[r] : 0, cents = 0;

	*rec = in->has_last > 0 && !colvec_isnull(&in->last, r) ? (double)in->last.iv[r] :
	    (double)INT64_MIN;
	if (in->has_rev > 0 && !colvec_isnull(&in->rev, r) && colvec_cents(&in->rev, r, &cents) < 0)
		cents = 0;
	*mon = (double)cents;
	return ord;
}

/* The quintile scores of every row, over the live rows that ordered. */
static int
rfm_compute(struct profiles *p)
{
	double *rec = xcalloc(p->nlive + 1, sizeof *rec), *freq = xcalloc(p->nlive + 1, sizeof *freq);
	double *mon = xcalloc(p->nlive + 1, sizeof *mon);
	size_t n = 0;
	int rc = 0;

	p->rfm = xcalloc(p->nsegs + 1, sizeof *p->rfm);
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (size_t i = 0; i < p->nsegs && rc == 0; i++) {
			struct rfm_in in;

			if (rfm_read(p->segs[i], &in) < 0) {
				rfm_in_free(&in);
				rc = -1;
				break;
			}
			if (pass == 1)
				p->rfm[i] = xcalloc(p->segs[i]->nrows * 3 + 1, 1);
			for (size_t r = 0; r < p->segs[i]->nrows; r++) {
				double rc_, mc;
				int64_t ord = rfm_row(&in, r, &rc_, &mc);

				if (ord == 0 || (pass == 1 && n == 0))
					continue;
				if (pass == 0 && profiles_live(p, i, r)) {
					rec[n] = rc_;
					freq[n] = (double)ord;
					mon[n++] = mc;
				} else if (pass == 1) {
					p->rfm[i][3 * r] = (uint8_t)quintile_score(rec, n, rc_);
					p->rfm[i][3 * r + 1] = (uint8_t)quintile_score(freq, n, (double)ord);
					p->rfm[i][3 * r + 2] = (uint8_t)quintile_score(mon, n, mc);
				}
			}
			rfm_in_free(&in);
		}
		if (pass == 0) {
			qsort(rec, n, sizeof *rec, double_cmp);
			qsort(freq, n, sizeof *freq, double_cmp);
			qsort(mon, n, sizeof *mon, double_cmp);
		}
	}
	free(rec);
	free(freq);
	free(mon);
	if (rc < 0) {
		for (size_t i = 0; i < p->nsegs; i++)
			free(p->rfm[i]);
		free(p->rfm);
		p->rfm = NULL;
	}
	return rc;
}

/*
 * rfm_score from the three scores per row: a dictionary of the 125
 * possible scores, so an evaluator tests each score once, not each row.
 */
static void
rfm_score_col(const uint8_t *s, size_t n, struct colvec *out)
{
	colvec_init(out, CT_STR);
	for (int k = 0; k < 125; k++) {
		char score[4] = { (char)('1' + k / 25), (char)('1' + k / 5 % 5), (char)('1' + k % 5), 0 };

		colvec_push_str(out, score, 3);
	}
	out->n = 0;
	if (out->cap < n) {
		out->codes = xreallocarray(out->codes, n, sizeof *out->codes);
		out->cap = n;
	}
	out->nulls = xcalloc(out->cap / 8 + 1, 1);
	for (size_t r = 0; r < n; r++) {
		const uint8_t *x = s + 3 * r;

		if (!x[0]) {
			out->nulls[r >> 3] |= (uint8_t)(1u << (r & 7));
			out->codes[r] = 0;
			out->nnull++;
		} else {
			out->codes[r] = (uint32_t)((x[0] - 1) * 25 + (x[1] - 1) * 5 + (x[2] - 1));
		}
	}
	out->n = n;
	if (!out->nnull) {
		free(out->nulls);
		out->nulls = NULL;
	}
}

/* Virtual column k of segment seg. */
static int
rfm_col(struct profiles *p, size_t seg, int k, struct colvec *out)
{
	const uint8_t *s;

	if (!p->rfm && rfm_compute(p) < 0)
		return -1;
	s = p->rfm[seg];
	if (k == 3) {
		rfm_score_col(s, (size_t)p->segs[seg]->nrows, out);
		return 1;
	}
	colvec_init(out, CT_INT);
	for (size_t r = 0; r < p->segs[seg]->nrows; r++) {
		const uint8_t *x = s + 3 * r;

		if (!x[0])
			colvec_push_null(out);
		else
			colvec_push_int(out, x[k]);
	}
	return 1;
}

int
profiles_col(struct profiles *p, size_t seg, const char *name, struct colvec *out)
{
	for (int k = 0; k < PROFILES_NRFM; k++)
		if (strcmp(name, profiles_rfm_names[k]) == 0)
			return rfm_col(p, seg, k, out);
	return stored_col(p->segs[seg], name, out);
}
