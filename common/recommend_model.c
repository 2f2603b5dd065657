/*
 * recommend_model.c - training, and the model in the store.
 *
 * A stored model is derived data, kept in the store's own terms:
 *   recmodel ID  version=1 model=ease items=N neighbors=K trained=TIME
 *                fingerprint=HEX weights=... half-life=US item-column=C
 *   segment ... table=recitems model=ID      one row per item: item,
 *                name, price, category, url, image_url, group, popularity
 *   segment ... table=recneighbors model=ID  item, neighbor (row numbers
 *                of recitems), weight (decimal, 9 places)
 * Segment files carry their CRCs; the fingerprint is a hash of the
 * records, links and merges segments the model was trained from and of
 * the settings, so any import, merge or forget makes it stale, and a
 * stale model is never used: cdp-recommend trains a new one.  cdp-forget
 * drops the model outright (its entries and files), since it was built
 * from the erased person's events too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "normalize.h"
#include "recommend.h"

static void
item_copy(struct rec_item *to, const struct rec_item *from)
{
#define DUP(f) (from->f ? xstrdup(from->f) : NULL)
	to->key = DUP(key);
	to->name = DUP(name);
	to->price = DUP(price);
	to->category = DUP(category);
	to->url = DUP(url);
	to->image_url = DUP(image_url);
	to->group = DUP(group);
#undef DUP
	to->pop = from->pop;
	to->attr_time = from->attr_time;
}

uint32_t *
rec_popular_order(const double *pop, size_t nitems, size_t *n)
{
	uint32_t *o = xmalloc((nitems ? nitems : 1) * sizeof *o);
	size_t k = 0;

	for (size_t i = 0; i < nitems; i++)
		if (pop[i] > 0)
			o[k++] = (uint32_t)i;
	/* insertion into place by a stable sort: best first, then item order */
	for (size_t w = 1; w < k; w *= 2) {
		uint32_t *t = xmalloc(k * sizeof *t);

		for (size_t lo = 0; lo < k; lo += 2 * w) {
			size_t mid = lo + w < k ? lo + w : k, hi = lo + 2 * w < k ? lo + 2 * w : k;
			size_t a = lo, b = mid, o2 = lo;

			while (a < mid && b < hi)
				t[o2++] = pop[o[b]] > pop[o[a]] ? o[b++] : o[a++];
			while (a < mid)
				t[o2++] = o[a++];
			while (b < hi)
				t[o2++] = o[b++];
		}
		memcpy(o, t, k * sizeof *t);
		free(t);
	}
	*n = k;
	return o;
}

int
rec_train(const struct rec_config *c, const struct rec_data *d, struct rec_model *m)
{
	double t0 = now_seconds(), *pop;
	uint32_t *order;
	size_t npop, top;
	int r = 0;

	memset(m, 0, sizeof *m);
	m->kind = c->model;
	m->nitems = d->nitems;
	m->items = xcalloc(d->nitems ? d->nitems : 1, sizeof *m->items);
	pop = xmalloc((d->nitems ? d->nitems : 1) * sizeof *pop);
	for (size_t i = 0; i < d->nitems; i++) {
		item_copy(&m->items[i], &d->items[i]);
		pop[i] = d->items[i].pop;
	}
	order = rec_popular_order(pop, d->nitems, &npop);
	free(pop);
	top = npop < c->max_items ? npop : c->max_items;
	m->neighbors = c->neighbors;
	if (c->model == REC_ITEMKNN)
		r = rec_knn(c, d, order, top, m);
	else if (c->model == REC_EASE)
		r = rec_ease(c, d, order, top, m);
	else
		rec_rows_topk(m, d->nitems, order, 0, NULL, 0);
	free(order);
	m->nitems = d->nitems;
	m->build_seconds = now_seconds() - t0;
	return r;
}

void
rec_model_free(struct rec_model *m)
{
	for (size_t i = 0; m->items && i < m->nitems; i++)
		rec_item_free(&m->items[i]);
	free(m->items);
	free(m->nptr);
	free(m->nbr);
	free(m->nw);
	free(m->weights_text);
	free(m->item_column);
	free(m->fingerprint);
	memset(m, 0, sizeof *m);
}

/* ---- freshness ------------------------------------------------------------ */

static int
is_source(const struct mentry *e)
{
	const char *t = mentry_get(e, "table");

	return strcmp(e->kind, "segment") == 0 && t &&
	    (strcmp(t, "records") == 0 || strcmp(t, "links") == 0 || strcmp(t, "merges") == 0);
}

char *
rec_fingerprint(const struct store *st, const char *settings)
{
	struct strbuf sb = STRBUF_INIT, hex = STRBUF_INIT;

	sb_addf(&sb, "v%d;%s;", REC_MODEL_VERSION, settings);
	for (size_t i = 0; i < st->ne; i++)
		if (is_source(st->e[i]))
			sb_addf(&sb, "%s:%llu:%s;", mentry_get(st->e[i], "table"),
			    (unsigned long long)st->e[i]->id, mentry_get(st->e[i], "rows") ?
			    mentry_get(st->e[i], "rows") : "");
	sb_addf(&hex, "%016llx", (unsigned long long)hash_bytes(sb.buf ? sb.buf : "", sb.len));
	sb_free(&sb);
	return sb_detach(&hex, NULL);
}

/* ---- save ----------------------------------------------------------------- */

static void
push_opt(struct colvec *v, const char *s)
{
	if (s)
		colvec_push_str(v, s, strlen(s));
	else
		colvec_push_null(v);
}

static int64_t
to_dec9(double x)
{
	double r = round(x * 1e9);

	if (r > 1e17)
		r = 1e17;
	if (r < -1e17)
		r = -1e17;
	return (int64_t)r * 16 + 9;
}

struct newfiles {
	char **names;
	uint64_t *ids, *rows;
	const char **tables;
	size_t n;
};

static int
write_part(struct store *st, struct newfiles *nf, const char *table, struct segcol_in *cols,
    size_t ncols, size_t nrows)
{
	uint64_t id, size;
	char *name = store_segment_name(st, &id), *path = store_path(st, name);
	int r = segment_write(path, table, 0, cols, ncols, nrows, &size);

	free(path);
	if (r < 0) {
		free(name);
		return -1;
	}
	nf->names = xreallocarray(nf->names, nf->n + 1, sizeof *nf->names);
	nf->ids = xreallocarray(nf->ids, nf->n + 1, sizeof *nf->ids);
	nf->rows = xreallocarray(nf->rows, nf->n + 1, sizeof *nf->rows);
	nf->tables = xreallocarray(nf->tables, nf->n + 1, sizeof *nf->tables);
	nf->names[nf->n] = name;
	nf->ids[nf->n] = id;
	nf->rows[nf->n] = nrows;
	nf->tables[nf->n++] = table;
	return 0;
}

static int
write_items(struct store *st, const struct rec_model *m, struct newfiles *nf)
{
	enum { C_ITEM, C_NAME, C_PRICE, C_CAT, C_URL, C_IMG, C_GROUP, C_POP, C_N };
	static const char *const names[C_N] = { "item", "name", "price", "category", "url",
		"image_url", "group", "popularity" };
	struct colvec v[C_N];
	struct segcol_in in[C_N];

	for (size_t lo = 0; lo < m->nitems || lo == 0; lo += SEG_MAX_ROWS) {
		size_t hi = m->nitems - lo > SEG_MAX_ROWS ? lo + SEG_MAX_ROWS : m->nitems;
		int r;

		for (int k = 0; k < C_N; k++) {
			colvec_init(&v[k], k == C_POP ? CT_DEC : CT_STR);
			in[k] = (struct segcol_in){ names[k], &v[k] };
		}
		for (size_t i = lo; i < hi; i++) {
			const struct rec_item *x = &m->items[i];

			push_opt(&v[C_ITEM], x->key);
			push_opt(&v[C_NAME], x->name);
			push_opt(&v[C_PRICE], x->price);
			push_opt(&v[C_CAT], x->category);
			push_opt(&v[C_URL], x->url);
			push_opt(&v[C_IMG], x->image_url);
			push_opt(&v[C_GROUP], x->group);
			colvec_push_int(&v[C_POP], to_dec9(x->pop));
		}
		r = write_part(st, nf, "recitems", in, C_N, hi - lo);
		for (int k = 0; k < C_N; k++)
			colvec_free(&v[k]);
		if (r < 0)
			return -1;
		if (hi >= m->nitems)
			break;
	}
	return 0;
}

static int
write_neighbors(struct store *st, const struct rec_model *m, struct newfiles *nf)
{
	uint64_t total = m->nptr[m->nitems];
	size_t item = 0;

	for (uint64_t lo = 0; lo < total || lo == 0; lo += SEG_MAX_ROWS) {
		uint64_t hi = total - lo > SEG_MAX_ROWS ? lo + SEG_MAX_ROWS : total;
		struct colvec a, b, w;
		struct segcol_in in[3] = { { "item", &a }, { "neighbor", &b }, { "weight", &w } };
		int r;

		colvec_init(&a, CT_INT);
		colvec_init(&b, CT_INT);
		colvec_init(&w, CT_DEC);
		for (uint64_t p = lo; p < hi; p++) {
			while (m->nptr[item + 1] <= p)
				item++;
			colvec_push_int(&a, (int64_t)item);
			colvec_push_int(&b, m->nbr[p]);
			colvec_push_int(&w, to_dec9(m->nw[p]));
		}
		r = write_part(st, nf, "recneighbors", in, 3, (size_t)(hi - lo));
		colvec_free(&a);
		colvec_free(&b);
		colvec_free(&w);
		if (r < 0)
			return -1;
		if (hi >= total)
			break;
	}
	return 0;
}

static const char *const kind_names[] = { "popularity", "itemknn", "ease" };

static void
set_model_entry(struct store *st, const struct rec_model *m, uint64_t id)
{
	struct mentry *e = store_add(st, "recmodel", id);
	struct strbuf t = STRBUF_INIT;

	time_format(m->trained, TF_ISO_Z, &t);
	mentry_set(e, "version", "%d", REC_MODEL_VERSION);
	mentry_set(e, "model", "%s", kind_names[m->kind]);
	mentry_set(e, "items", "%zu", m->nitems);
	mentry_set(e, "neighbors", "%zu", m->neighbors);
	mentry_set(e, "trained", "%s", t.buf);
	mentry_set(e, "fingerprint", "%s", m->fingerprint ? m->fingerprint : "");
	sb_free(&t);
}

int
rec_model_drop(struct store *st)
{
	int dropped = 0;

	for (size_t i = st->ne; i-- > 0;) {
		struct mentry *e = st->e[i];
		const char *t = mentry_get(e, "table");

		if (strcmp(e->kind, "recmodel") == 0 || (strcmp(e->kind, "segment") == 0 && t &&
		    (strcmp(t, "recitems") == 0 || strcmp(t, "recneighbors") == 0))) {
			store_remove(st, e);
			dropped = 1;
		}
	}
	return dropped;
}

int
rec_model_save(struct store *st, const struct rec_model *m)
{
	struct newfiles nf = { 0 };
	uint64_t mid;
	int rc = -1;

	if (write_items(st, m, &nf) < 0 || write_neighbors(st, m, &nf) < 0)
		goto out;
	rec_model_drop(st);
	mid = store_new_id(st);
	set_model_entry(st, m, mid);
	for (size_t i = 0; i < nf.n; i++) {
		struct mentry *e = store_add(st, "segment", nf.ids[i]);

		mentry_set(e, "table", "%s", nf.tables[i]);
		mentry_set(e, "rows", "%llu", (unsigned long long)nf.rows[i]);
		mentry_set(e, "file", "%s", nf.names[i]);
		mentry_set(e, "model", "%llu", (unsigned long long)mid);
	}
	rc = store_commit(st);
out:
	for (size_t i = 0; i < nf.n; i++) {
		/* -2: the new manifest names them, so they stay */
		if (rc == -1) {
			char *p = store_path(st, nf.names[i]);

			unlink(p);
			free(p);
		}
		free(nf.names[i]);
	}
	free(nf.names);
	free(nf.ids);
	free(nf.rows);
	free(nf.tables);
	return rc < 0 ? -1 : 0;
}

/* ---- load ----------------------------------------------------------------- */

static char *
opt_str(const struct colvec *v, size_t r)
{
	size_t len;
	const char *s;

	if (v->type != CT_STR || colvec_isnull(v, r))
		return NULL;
	s = colvec_str(v, r, &len);
	return xstrndup(s, len);
}

static int
read_cols(struct segment *s, const char *const *names, size_t n, struct colvec *v)
{
	for (size_t k = 0; k < n; k++) {
		int c = segment_col_index(s, names[k]);

		if (c < 0 || segment_read(s, c, &v[k]) < 0) {
			for (size_t j = 0; j < k; j++)
				colvec_free(&v[j]);
			return cdp_seterr("%s: recommendation model: column %s %s", path_base(s->path),
			    names[k], c < 0 ? "missing" : "unreadable");
		}
	}
	return 0;
}

static int
load_items(struct store *st, struct rec_model *m)
{
	static const char *const names[] = { "item", "name", "price", "category", "url",
		"image_url", "group", "popularity" };
	struct segment **segs;
	size_t n;

	if (store_segments(st, "recitems", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct colvec v[8];

		if (read_cols(segs[i], names, 8, v) < 0) {
			store_segments_free(segs, n);
			return -1;
		}
		m->items = xreallocarray(m->items, m->nitems + v[0].n + 1, sizeof *m->items);
		for (size_t r = 0; r < v[0].n; r++) {
			struct rec_item *x = &m->items[m->nitems++];
			double pop = 0;

			memset(x, 0, sizeof *x);
			x->key = opt_str(&v[0], r);
			x->name = opt_str(&v[1], r);
			x->price = opt_str(&v[2], r);
			x->category = opt_str(&v[3], r);
			x->url = opt_str(&v[4], r);
			x->image_url = opt_str(&v[5], r);
			x->group = opt_str(&v[6], r);
			colvec_number(&v[7], r, &pop);
			x->pop = pop;
			if (!x->key)
				x->key = xstrdup("");
			if (!x->group)
				x->group = xstrdup(x->key);
		}
		for (int k = 0; k < 8; k++)
			colvec_free(&v[k]);
	}
	store_segments_free(segs, n);
	return 0;
}

static int
load_neighbors(struct store *st, struct rec_model *m)
{
	static const char *const names[] = { "item", "neighbor", "weight" };
	struct segment **segs;
	size_t n;
	uint64_t total = 0;
	int64_t last = -1;

	m->nptr = xcalloc(m->nitems + 1, sizeof *m->nptr);
	if (store_segments(st, "recneighbors", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct colvec v[3];

		if (read_cols(segs[i], names, 3, v) < 0) {
			store_segments_free(segs, n);
			return -1;
		}
		m->nbr = xreallocarray(m->nbr, total + v[0].n + 1, sizeof *m->nbr);
		m->nw = xreallocarray(m->nw, total + v[0].n + 1, sizeof *m->nw);
		for (size_t r = 0; r < v[0].n; r++) {
			int64_t a = v[0].iv[r], b = v[1].iv[r];
			double w = 0;

			if (a < last || a < 0 || (uint64_t)a >= m->nitems || b < 0 ||
			    (uint64_t)b >= m->nitems || colvec_number(&v[2], r, &w) < 0) {
				for (int k = 0; k < 3; k++)
					colvec_free(&v[k]);
				store_segments_free(segs, n);
				return cdp_seterr("%s: recommendation model: bad neighbour row %zu",
				    path_base(segs[i]->path), r + 1);
			}
			last = a;
			m->nptr[a + 1]++;
			m->nbr[total] = (uint32_t)b;
			m->nw[total++] = (float)w;
		}
		for (int k = 0; k < 3; k++)
			colvec_free(&v[k]);
	}
	store_segments_free(segs, n);
	for (size_t i = 0; i < m->nitems; i++)
		m->nptr[i + 1] += m->nptr[i];
	return 0;
}

static int
has_table(const struct store *st, const char *table)
{
	for (size_t i = 0; i < st->ne; i++) {
		const char *t = mentry_get(st->e[i], "table");

		if (strcmp(st->e[i]->kind, "segment") == 0 && t && strcmp(t, table) == 0)
			return 1;
	}
	return 0;
}

int
rec_model_load(struct store *st, struct rec_model *m)
{
	struct mentry *e = NULL;
	const char *kind;

	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < st->ne; i++)
		if (strcmp(st->e[i]->kind, "recmodel") == 0)
			e = st->e[i];
	if (!e || !has_table(st, "recitems"))
		return 1;	/* none, or dropped by cdp-forget */
	if (mentry_getu(e, "version") != REC_MODEL_VERSION)
		return cdp_seterr("recommendation model %llu: unsupported version %s",
		    (unsigned long long)e->id, mentry_get(e, "version") ? mentry_get(e, "version") : "-");
	kind = mentry_get(e, "model");
	for (int k = 0; k < 3; k++)
		if (kind && strcmp(kind, kind_names[k]) == 0)
			m->kind = k;
	m->neighbors = (size_t)mentry_getu(e, "neighbors");
	m->fingerprint = xstrdup(mentry_get(e, "fingerprint") ? mentry_get(e, "fingerprint") : "");
	if (load_items(st, m) < 0 || load_neighbors(st, m) < 0) {
		rec_model_free(m);
		return -1;
	}
	if (m->nitems != mentry_getu(e, "items")) {
		rec_model_free(m);
		return cdp_seterr("recommendation model %llu: %s items, the entry says %s",
		    (unsigned long long)e->id, "other", mentry_get(e, "items"));
	}
	return 0;
}

/* ---- a model for use ---------------------------------------------------- */

static const char *const sim_names[] = { "cosine", "llr" };

char *
rec_settings_text(const struct rec_config *cfg)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "model=%s sim=%s k=%zu m=%zu lambda=%g half-life=%lld as-of=%lld item=%s w=",
	    kind_names[cfg->model], sim_names[cfg->similarity], cfg->neighbors, cfg->max_items,
	    cfg->lambda, (long long)cfg->half_life, (long long)cfg->as_of,
	    cfg->item_column ? cfg->item_column : "");
	rec_config_weights_text(cfg, &sb);
	return sb_detach(&sb, NULL);
}

int
rec_model_get(struct store *st, const struct rec_config *c, int train, int need_data,
    struct rec_data *d, struct rec_model *m, int *trained)
{
	char *settings = rec_settings_text(c), *fp = rec_fingerprint(st, settings);
	int r = train ? 1 : rec_model_load(st, m);

	free(settings);
	*trained = 0;
	if (r < 0)
		cdp_warn("%s; training a new one", cdp_err());
	if (r == 0 && strcmp(m->fingerprint, fp) == 0) {
		free(fp);
		if (!need_data)
			return 0;
		if (rec_data_load(st, c, d) < 0)
			return -1;
		return rec_data_remap(d, m);
	}
	if (r == 0)
		rec_model_free(m);
	if (rec_data_load(st, c, d) < 0 || rec_train(c, d, m) < 0) {
		free(fp);
		return -1;
	}
	m->fingerprint = fp;
	m->trained = (int64_t)time(NULL) * 1000000;
	*trained = 1;
	return 0;
}
