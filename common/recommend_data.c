/*
 * recommend_data.c - interactions for cdp-recommend: every records row
 * whose event has a weight and whose item column holds a value, linked
 * to its live profile, becomes (profile, item, weight, time).  They are
 * gathered into a profile x item matrix, CSR by profile in ascending id
 * order, one cell per pair: the sum of the pair's weights, each halved
 * every half-life before the reference time.
 *
 * The item column of a segment: the one the user named (by full name or
 * by its last dotted part, so "sku" finds "properties.sku"), else the
 * first of sku, product_id, item_id present.  Attributes come from the
 * columns next to it (same prefix): name, price, category, url,
 * image_url, and the parent product (product_id when the item is a
 * sku, else parent_id or group_id); the latest event's values win.
 * Orders whose line items are a JSON array (a column "products") give
 * one interaction per item (recommend_lines.c).  Each profile's cart
 * item is the item of its latest cart event, unless bought since.
 *
 * Guarantees: the result depends only on the store's rows and the
 * configuration, never on the clock (the reference time defaults to
 * the latest event), so a rebuild over the same rows is the same.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "profiles.h"
#include "recommend.h"

static const struct {
	const char *name;
	double w;
} default_events[] = {
	{ "order_completed", 5 }, { "order", 5 }, { "purchase", 5 }, { "product_purchased", 5 },
	{ "product_added", 3 }, { "add_to_cart", 3 }, { "product_added_to_wishlist", 2 },
	{ "product_viewed", 1 }, { "product_clicked", 1 }, { "view_item", 1 },
};

void
rec_config_defaults(struct rec_config *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < sizeof default_events / sizeof default_events[0]; i++) {
		c->events[i] = xstrdup(default_events[i].name);
		c->weights[i] = default_events[i].w;
	}
	c->nevents = sizeof default_events / sizeof default_events[0];
	c->half_life = (int64_t)365 * 86400 * 1000000;
	c->model = REC_EASE;
	c->similarity = REC_LLR;
	c->neighbors = 50;
	c->max_items = 2000;
	c->lambda = 100;
}

void
rec_config_free(struct rec_config *c)
{
	for (size_t i = 0; i < c->nevents; i++)
		free(c->events[i]);
	c->nevents = 0;
}

int
rec_config_weights(struct rec_config *c, const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL;
	struct rec_config tmp = { 0 };
	struct strbuf key = STRBUF_INIT;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		double w;

		if (!eq || eq == tok || (w = strtod(eq + 1, &end), *end || end == eq + 1) || !(w > 0) ||
		    w > 1e6 || tmp.nevents == REC_MAX_EVENTS) {
			cdp_seterr("--weight wants EVENT=WEIGHT,... with weights above 0, not '%s'", tok);
			goto fail;
		}
		sb_reset(&key);
		expr_event_key(tok, (size_t)(eq - tok), &key);
		tmp.events[tmp.nevents] = xstrdup(key.buf);
		tmp.weights[tmp.nevents++] = w;
	}
	if (!tmp.nevents) {
		cdp_seterr("--weight wants at least one EVENT=WEIGHT");
		goto fail;
	}
	rec_config_free(c);
	memcpy(c->events, tmp.events, sizeof tmp.events);
	memcpy(c->weights, tmp.weights, sizeof tmp.weights);
	c->nevents = tmp.nevents;
	free(copy);
	sb_free(&key);
	return 0;
fail:
	rec_config_free(&tmp);
	free(copy);
	sb_free(&key);
	return -1;
}

void
rec_config_weights_text(const struct rec_config *c, struct strbuf *out)
{
	for (size_t i = 0; i < c->nevents; i++)
		sb_addf(out, "%s%s=%g", i ? "," : "", c->events[i], c->weights[i]);
}

/* ---- items ---------------------------------------------------------------- */

char *
rec_group_of(const char *parent, const char *name, const char *key)
{
	static const char *const cuts[] = { " - ", " (", " / ", ", ", " | ", NULL };
	size_t n;

	if (parent && *parent)
		return xstrdup(parent);
	if (!name || !*name)
		return xstrdup(key);
	n = strlen(name);
	for (int i = 0; cuts[i]; i++) {
		const char *p = strstr(name, cuts[i]);

		if (p && (size_t)(p - name) < n && p > name)
			n = (size_t)(p - name);
	}
	return xstrndup(name, n);
}

static uint32_t
item_index(struct rec_data *d, const char *key, size_t len)
{
	long idx = strmap_get(&d->itemmap, key, len);

	if (idx >= 0)
		return (uint32_t)idx;
	if (d->nitems == d->itemcap) {
		d->itemcap = d->itemcap ? d->itemcap * 2 : 256;
		d->items = xreallocarray(d->items, d->itemcap, sizeof *d->items);
	}
	memset(&d->items[d->nitems], 0, sizeof *d->items);
	d->items[d->nitems].key = xstrndup(key, len);
	strmap_put(&d->itemmap, key, len, (long)d->nitems);
	return (uint32_t)d->nitems++;
}

static void
set_attr(char **slot, const struct colvec *v, size_t r)
{
	struct strbuf sb = STRBUF_INIT;

	if (!v || colvec_isnull(v, r))
		return;
	colvec_format(v, r, &sb);
	if (!sb.len) {
		sb_free(&sb);
		return;
	}
	free(*slot);
	*slot = sb_detach(&sb, NULL);
}

/* ---- columns of one segment -------------------------------------------- */

enum { A_NAME, A_PRICE, A_CATEGORY, A_URL, A_IMAGE, A_PARENT, A_N };

struct segcols {
	struct colvec ev, tm, item, attr[A_N];
	int has_attr[A_N];
	int has_item;
	struct colvec lines;	/* orders' products as JSON arrays, if any */
	int has_lines;
	int64_t *links;
	size_t nlinks;
};

/* The column of s named prefix + one of names, or -1. */
static int
find_col(struct segment *s, const char *prefix, size_t plen, const char *const *names)
{
	for (int k = 0; names[k]; k++)
		for (size_t c = 0; c < s->ncols; c++) {
			const char *n = s->cols[c].name;

			if (strncmp(n, prefix, plen) == 0 && strcasecmp(n + plen, names[k]) == 0)
				return (int)c;
		}
	return -1;
}

/* The item column: named by the user (full or last dotted part), or found. */
static int
find_item_col(struct segment *s, const char *want, size_t *plen)
{
	static const char *const dflt[] = { "sku", "product_id", "item_id", NULL };
	const char *const *names = dflt;
	const char *one[2] = { want, NULL };

	if (want) {
		int c = segment_col_index(s, want);

		if (c >= 0) {
			*plen = strrchr(want, '.') ? (size_t)(strrchr(want, '.') - want) + 1 : 0;
			return c;
		}
		names = one;
	}
	for (int k = 0; names[k]; k++)
		for (size_t c = 0; c < s->ncols; c++) {
			const char *n = s->cols[c].name, *dot = strrchr(n, '.');
			const char *last = dot ? dot + 1 : n;

			if (n[0] != '_' && strcasecmp(last, names[k]) == 0) {
				*plen = (size_t)(last - n);
				return (int)c;
			}
		}
	return -1;
}

static void
segcols_free(struct segcols *sc)
{
	colvec_free(&sc->ev);
	colvec_free(&sc->tm);
	if (sc->has_item)
		colvec_free(&sc->item);
	if (sc->has_lines)
		colvec_free(&sc->lines);
	for (int a = 0; a < A_N; a++)
		if (sc->has_attr[a])
			colvec_free(&sc->attr[a]);
	free(sc->links);
}

/* The column of orders' line items (properties.products), or -1. */
static int
find_lines_col(struct segment *s)
{
	for (size_t c = 0; c < s->ncols; c++) {
		const char *n = s->cols[c].name, *dot = strrchr(n, '.');

		if (n[0] != '_' && strcasecmp(dot ? dot + 1 : n, "products") == 0)
			return (int)c;
	}
	return -1;
}

static int
read_attrs(struct segment *s, int ii, size_t plen, struct segcols *sc)
{
	static const char *const an[A_N][4] = {
		{ "name", "product_name", "title", NULL }, { "price", "unit_price", NULL },
		{ "category", "product_category", NULL }, { "url", "product_url", NULL },
		{ "image_url", "image", NULL }, { "parent_id", "group_id", NULL },
	};
	static const char *const parent_of_sku[] = { "product_id", "parent_id", "group_id", NULL };

	for (int a = 0; a < A_N; a++) {
		const char *name = s->cols[ii].name + plen;
		const char *const *names = a == A_PARENT && strcasecmp(name, "sku") == 0 ?
		    parent_of_sku : an[a];
		int c = find_col(s, s->cols[ii].name, plen, names);

		if (c >= 0 && c != ii) {
			if (segment_read(s, c, &sc->attr[a]) < 0)
				return -1;
			sc->has_attr[a] = 1;
		}
	}
	return 0;
}

/* Read what one segment needs.  0 read, 1 nothing to use, -1 error. */
static int
segcols_read(struct store *st, const struct mergemap *mm, struct segment *s, const char *want,
    struct segcols *sc)
{
	int ie, it, ii, il;
	size_t plen = 0;

	memset(sc, 0, sizeof *sc);
	ie = segment_col_index(s, "_event");
	it = segment_col_index(s, "_time");
	ii = find_item_col(s, want, &plen);
	il = find_lines_col(s);
	if (ie < 0 || it < 0 || (ii < 0 && il < 0))
		return 1;
	if (links_read(st, mm, s->id, &sc->links, &sc->nlinks) < 0)
		return -1;
	if (!sc->links)
		return 1;	/* not merged yet: no profile to give it to */
	if (segment_read(s, ie, &sc->ev) < 0 || segment_read(s, it, &sc->tm) < 0)
		goto fail;
	if (ii >= 0 && segment_read(s, ii, &sc->item) < 0)
		goto fail;
	sc->has_item = ii >= 0;
	if (il >= 0 && segment_read(s, il, &sc->lines) < 0)
		goto fail;
	sc->has_lines = il >= 0 && sc->lines.type == CT_STR;
	if (il >= 0 && !sc->has_lines)
		colvec_free(&sc->lines);
	if (sc->ev.type != CT_STR || sc->nlinks != s->nrows) {
		cdp_seterr("%s: unexpected _event column or links", path_base(s->path));
		goto fail;
	}
	if (ii >= 0 && read_attrs(s, ii, plen, sc) < 0)
		goto fail;
	return 0;
fail:
	segcols_free(sc);
	return -1;
}

/* ---- raw interactions ------------------------------------------------------ */

struct raw {
	int64_t *pid, *t;
	uint32_t *item;
	float *w;
	uint8_t *flag;		/* 1 purchase, 2 after the cut, 4 added to a cart */
	size_t n, cap;
};

static void
raw_push(struct raw *r, int64_t pid, uint32_t item, float w, int64_t t, uint8_t flag)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 65536;
		r->pid = xreallocarray(r->pid, r->cap, sizeof *r->pid);
		r->t = xreallocarray(r->t, r->cap, sizeof *r->t);
		r->item = xreallocarray(r->item, r->cap, sizeof *r->item);
		r->w = xreallocarray(r->w, r->cap, sizeof *r->w);
		r->flag = xreallocarray(r->flag, r->cap, sizeof *r->flag);
	}
	r->pid[r->n] = pid;
	r->t[r->n] = t;
	r->item[r->n] = item;
	r->w[r->n] = w;
	r->flag[r->n++] = flag;
}

static void
raw_free(struct raw *r)
{
	free(r->pid);
	free(r->t);
	free(r->item);
	free(r->w);
	free(r->flag);
}

/* "product_added", "add_to_cart": an item put in the cart. */
static int
is_cart_event(const char *s)
{
	return (strstr(s, "added") || strstr(s, "cart")) && !strstr(s, "wishlist");
}

/* The weight of each dictionary entry of the _event column (0: ignored);
 * *buy gets 1 for a purchase and 4 for a cart event. */
static double *
event_weights(const struct rec_config *c, const struct colvec *ev, double wmax, uint8_t **buy)
{
	double *w = xcalloc(ev->ndict ? ev->ndict : 1, sizeof *w);

	*buy = xcalloc(ev->ndict ? ev->ndict : 1, 1);
	for (size_t k = 0; k < ev->ndict; k++) {
		const char *s = ev->ddata + ev->doff[k];

		for (size_t e = 0; e < c->nevents; e++)
			if (strcmp(s, c->events[e]) == 0) {
				w[k] = c->weights[e];
				(*buy)[k] = (c->weights[e] >= wmax) | (is_cart_event(s) ? 4 : 0);
			}
	}
	return w;
}

/* The latest event's attributes win; an event without them keeps the old. */
static void
take_attrs(struct rec_data *d, const struct segcols *sc, uint32_t it, size_t r, int64_t t)
{
	struct rec_item *x = &d->items[it];

	if (x->attr_time > t)
		return;
	x->attr_time = t;
	set_attr(&x->name, sc->has_attr[A_NAME] ? &sc->attr[A_NAME] : NULL, r);
	set_attr(&x->price, sc->has_attr[A_PRICE] ? &sc->attr[A_PRICE] : NULL, r);
	set_attr(&x->category, sc->has_attr[A_CATEGORY] ? &sc->attr[A_CATEGORY] : NULL, r);
	set_attr(&x->url, sc->has_attr[A_URL] ? &sc->attr[A_URL] : NULL, r);
	set_attr(&x->image_url, sc->has_attr[A_IMAGE] ? &sc->attr[A_IMAGE] : NULL, r);
	set_attr(&x->group, sc->has_attr[A_PARENT] ? &sc->attr[A_PARENT] : NULL, r);
}

static void
set_text(char **slot, const char *v)
{
	if (!v)
		return;
	free(*slot);
	*slot = xstrdup(v);
}

struct line_ctx {
	struct rec_data *d;
	struct raw *raw;
	int64_t pid, t;
	float w;
	uint8_t flag;
	int test;
};

/* One line item of an order: an interaction, and the item's attributes. */
static void
take_line(void *ctx, const struct rec_line *l)
{
	struct line_ctx *lc = ctx;
	uint32_t it = item_index(lc->d, l->key, strlen(l->key));
	struct rec_item *x = &lc->d->items[it];

	raw_push(lc->raw, lc->pid, it, lc->w, lc->t, lc->test ? 2 : lc->flag);
	if (lc->test || x->attr_time > lc->t)
		return;
	x->attr_time = lc->t;
	set_text(&x->name, l->name);
	set_text(&x->price, l->price);
	set_text(&x->category, l->category);
	set_text(&x->url, l->url);
	set_text(&x->image_url, l->image_url);
	set_text(&x->group, l->parent);
}

/* Row r's products array: one interaction per line item. */
static void
line_row(const struct rec_config *c, struct rec_data *d, struct raw *raw,
    const struct segcols *sc, size_t r, float w, uint8_t flag)
{
	struct line_ctx lc = { d, raw, sc->links[r], sc->tm.iv[r], w, flag, 0 };

	if (c->cut && lc.t >= c->cut) {
		if (!(flag & 1) || (c->horizon && lc.t - c->cut >= c->horizon))
			return;
		lc.test = 1;
	}
	rec_lines_parse(colvec_str(&sc->lines, r, NULL), c->item_column, take_line, &lc);
}

static void
segment_rows(const struct rec_config *c, struct rec_data *d, struct raw *raw,
    const struct segcols *sc, double wmax)
{
	uint8_t *buy;
	double *w = event_weights(c, &sc->ev, wmax, &buy);
	uint32_t *map = NULL;
	size_t nmap = sc->item.type == CT_STR ? sc->item.ndict : 0;
	struct strbuf sb = STRBUF_INIT;

	map = xmalloc((nmap ? nmap : 1) * sizeof *map);
	for (size_t k = 0; k < nmap; k++)
		map[k] = UINT32_MAX;
	for (size_t r = 0; r < sc->nlinks; r++) {
		uint32_t code = sc->ev.codes[r], it;
		int64_t t;
		uint8_t flag;

		if (colvec_isnull(&sc->ev, r) || !w[code] || sc->links[r] <= 0 ||
		    colvec_isnull(&sc->tm, r))
			continue;
		if (!sc->has_item || colvec_isnull(&sc->item, r)) {
			if (sc->has_lines && !colvec_isnull(&sc->lines, r))
				line_row(c, d, raw, sc, r, (float)w[code], buy[code]);
			continue;
		}
		if (sc->item.type == CT_STR) {
			size_t len;
			const char *s = colvec_str(&sc->item, r, &len);

			if (!len)
				continue;
			if ((it = map[sc->item.codes[r]]) == UINT32_MAX)
				it = map[sc->item.codes[r]] = item_index(d, s, len);
		} else {
			sb_reset(&sb);
			colvec_format(&sc->item, r, &sb);
			it = item_index(d, sb.buf, sb.len);
		}
		t = sc->tm.iv[r];
		flag = buy[code];
		if (c->cut && t >= c->cut) {
			if ((flag & 1) && (!c->horizon || t - c->cut < c->horizon))
				raw_push(raw, sc->links[r], it, (float)w[code], t, 2);
			continue;
		}
		raw_push(raw, sc->links[r], it, (float)w[code], t, flag);
		take_attrs(d, sc, it, r, t);
	}
	sb_free(&sb);
	free(map);
	free(w);
	free(buy);
}

/* ---- CSR ------------------------------------------------------------------ */

/* int64 -> index map, open addressing (ids are positive). */
struct idmap {
	int64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

static void
idmap_grow(struct idmap *m)
{
	struct idmap old = *m;

	m->cap = m->cap ? m->cap * 2 : 4096;
	m->keys = xcalloc(m->cap, sizeof *m->keys);
	m->vals = xcalloc(m->cap, sizeof *m->vals);
	for (size_t j = 0; j < old.cap; j++) {
		size_t s;

		if (!old.keys[j])
			continue;
		s = (size_t)hash_bytes(&old.keys[j], 8) & (m->cap - 1);
		while (m->keys[s])
			s = (s + 1) & (m->cap - 1);
		m->keys[s] = old.keys[j];
		m->vals[s] = old.vals[j];
	}
	free(old.keys);
	free(old.vals);
}

static uint32_t
idmap_put(struct idmap *m, int64_t k)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap)
		idmap_grow(m);
	i = (size_t)hash_bytes(&k, 8) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != k)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		m->keys[i] = k;
		m->vals[i] = (uint32_t)m->n++;
	}
	return m->vals[i];
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct cell {
	uint32_t item;
	float w;
	uint8_t flag;
};

static int
cmp_cell(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;

	return (x->item > y->item) - (x->item < y->item);
}

/* Profile ids -> dense user numbers in ascending id order. */
static uint32_t *
number_users(struct rec_data *d, const struct raw *raw)
{
	struct idmap m = { 0 };
	uint32_t *u = xmalloc((raw->n ? raw->n : 1) * sizeof *u), *rank;
	size_t nu;

	for (size_t i = 0; i < raw->n; i++)
		u[i] = idmap_put(&m, raw->pid[i]);
	nu = m.n;
	d->users = xmalloc((nu ? nu : 1) * sizeof *d->users);
	for (size_t j = 0; j < m.cap; j++)
		if (m.keys[j])
			d->users[m.vals[j]] = m.keys[j];
	rank = xmalloc((nu ? nu : 1) * sizeof *rank);
	{
		int64_t *sorted = xmalloc((nu ? nu : 1) * sizeof *sorted);

		memcpy(sorted, d->users, nu * sizeof *sorted);
		qsort(sorted, nu, sizeof *sorted, cmp_i64);
		for (size_t k = 0; k < nu; k++) {
			int64_t *p = bsearch(&d->users[k], sorted, nu, sizeof *sorted, cmp_i64);

			rank[k] = (uint32_t)(p - sorted);
		}
		free(d->users);
		d->users = sorted;
	}
	for (size_t i = 0; i < raw->n; i++)
		u[i] = rank[u[i]];
	free(rank);
	free(m.keys);
	free(m.vals);
	d->nusers = nu;
	return u;
}

/* Counting sort by user, then merge each user's cells by item. */
static void
build_csr(struct rec_data *d, const struct raw *raw, const uint32_t *u, int test,
    const struct rec_config *c, uint64_t **ptr_out, uint32_t **item_out)
{
	uint64_t *ptr = xcalloc(d->nusers + 1, sizeof *ptr), *fill;
	struct cell *cells;
	size_t n = 0, out = 0;

	for (size_t i = 0; i < raw->n; i++)
		if ((raw->flag[i] == 2) == test)
			ptr[u[i] + 1]++, n++;
	for (size_t k = 0; k < d->nusers; k++)
		ptr[k + 1] += ptr[k];
	fill = xmalloc((d->nusers + 1) * sizeof *fill);
	memcpy(fill, ptr, (d->nusers + 1) * sizeof *fill);
	cells = xmalloc((n ? n : 1) * sizeof *cells);
	for (size_t i = 0; i < raw->n; i++) {
		double w = raw->w[i];

		if ((raw->flag[i] == 2) != test)
			continue;
		if (!test && c->half_life > 0)
			w *= exp2(-(double)(c->as_of - raw->t[i]) / (double)c->half_life);
		cells[fill[u[i]]++] = (struct cell){ raw->item[i], (float)w, raw->flag[i] & 1 };
	}
	free(fill);
	*item_out = xmalloc((n ? n : 1) * sizeof **item_out);
	if (!test) {
		d->uw = xmalloc((n ? n : 1) * sizeof *d->uw);
		d->ubought = xmalloc(n ? n : 1);
	}
	for (size_t k = 0; k < d->nusers; k++) {
		size_t a = ptr[k], b = ptr[k + 1];

		qsort(cells + a, b - a, sizeof *cells, cmp_cell);
		ptr[k] = out;
		for (size_t i = a; i < b; i++) {
			if (i > a && cells[i].item == cells[i - 1].item) {
				if (!test) {
					d->uw[out - 1] += cells[i].w;
					d->ubought[out - 1] |= cells[i].flag;
				}
				continue;
			}
			(*item_out)[out] = cells[i].item;
			if (!test) {
				d->uw[out] = cells[i].w;
				d->ubought[out] = cells[i].flag;
			}
			out++;
		}
	}
	ptr[d->nusers] = out;
	free(cells);
	*ptr_out = ptr;
}

/*
 * Each profile's cart item: the item of its latest cart event, unless
 * it bought that item at or after that time (what an abandoner left).
 */
static void
cart_items(struct rec_data *d, const struct raw *raw, const uint32_t *u)
{
	int64_t *when = xcalloc(d->nusers ? d->nusers : 1, sizeof *when);

	d->ucart = xmalloc((d->nusers ? d->nusers : 1) * sizeof *d->ucart);
	for (size_t k = 0; k < d->nusers; k++)
		d->ucart[k] = UINT32_MAX;
	for (size_t i = 0; i < raw->n; i++)
		if ((raw->flag[i] & 4) && raw->flag[i] != 2 && raw->t[i] >= when[u[i]])
			when[u[i]] = raw->t[i], d->ucart[u[i]] = raw->item[i];
	for (size_t i = 0; i < raw->n; i++)
		if ((raw->flag[i] & 1) && raw->flag[i] != 2 && raw->item[i] == d->ucart[u[i]] &&
		    raw->t[i] >= when[u[i]])
			d->ucart[u[i]] = UINT32_MAX;
	free(when);
}

static void
finish_items(struct rec_data *d)
{
	for (size_t i = 0; i < d->nitems; i++) {
		struct rec_item *x = &d->items[i];
		char *g = rec_group_of(x->group, x->name, x->key);

		free(x->group);
		x->group = g;
		x->pop = 0;
	}
	for (size_t k = 0; k < d->nusers; k++)
		for (uint64_t p = d->uptr[k]; p < d->uptr[k + 1]; p++)
			d->items[d->uitem[p]].pop += log1p(d->uw[p]);
}

static int
read_segments(struct store *st, const struct rec_config *c, struct rec_data *d, struct raw *raw)
{
	struct mergemap mm;
	struct segment **segs;
	size_t n;
	double wmax = 0;
	int rc = -1;

	for (size_t e = 0; e < c->nevents; e++)
		if (c->weights[e] > wmax)
			wmax = c->weights[e];
	if (mergemap_load(st, &mm) < 0)
		return -1;
	if (store_segments(st, "records", &segs, &n) < 0)
		goto out_mm;
	for (size_t i = 0; i < n; i++) {
		struct segcols sc;
		int r = segcols_read(st, &mm, segs[i], c->item_column, &sc);

		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		segment_rows(c, d, raw, &sc, wmax);
		segcols_free(&sc);
		if (cdp_interrupted) {
			cdp_seterr("interrupted");
			goto out;
		}
	}
	rc = 0;
out:
	store_segments_free(segs, n);
out_mm:
	mergemap_free(&mm);
	return rc;
}

int
rec_data_load(struct store *st, const struct rec_config *c, struct rec_data *d)
{
	struct raw raw = { 0 };
	struct rec_config cc = *c;
	uint32_t *u;

	memset(d, 0, sizeof *d);
	if (read_segments(st, c, d, &raw) < 0) {
		raw_free(&raw);
		rec_data_free(d);
		return -1;
	}
	for (size_t i = 0; i < raw.n; i++)
		if (raw.flag[i] != 2 && raw.t[i] > d->latest)
			d->latest = raw.t[i];
	if (!cc.as_of)
		cc.as_of = c->cut ? c->cut : d->latest;
	d->events_read = raw.n;
	u = number_users(d, &raw);
	build_csr(d, &raw, u, 0, &cc, &d->uptr, &d->uitem);
	if (c->cut)
		build_csr(d, &raw, u, 1, &cc, &d->tptr, &d->titem);
	cart_items(d, &raw, u);
	free(u);
	raw_free(&raw);
	finish_items(d);
	return 0;
}

void
rec_item_free(struct rec_item *x)
{
	free(x->key);
	free(x->name);
	free(x->price);
	free(x->category);
	free(x->url);
	free(x->image_url);
	free(x->group);
}

void
rec_data_free(struct rec_data *d)
{
	for (size_t i = 0; i < d->nitems; i++)
		rec_item_free(&d->items[i]);
	free(d->items);
	strmap_free(&d->itemmap);
	free(d->users);
	free(d->uptr);
	free(d->uitem);
	free(d->uw);
	free(d->ubought);
	free(d->tptr);
	free(d->titem);
	free(d->ucart);
	memset(d, 0, sizeof *d);
}

long
rec_data_user(const struct rec_data *d, int64_t pid)
{
	const int64_t *p = bsearch(&pid, d->users, d->nusers, sizeof *d->users, cmp_i64);

	return p ? (long)(p - d->users) : -1;
}
