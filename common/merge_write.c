/*
 * merge_write.c - the tables cdp-merge writes: profiles, idmap, merges
 * and refusals (see profiles.h for their columns).
 */
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "merge_int.h"
#include "profiles.h"
#include "lsm.h"

/* Names no golden attribute takes: computed ones (rfm_* are the reader's
 * virtual columns, see profiles.h). */
static const char *const fixed_columns[] = { "profile_id", "sources", "records", "events",
	"orders", "revenue", "avg_order_value", "first_seen", "last_seen", "first_order",
	"last_order", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_score",
	"email_consent", NULL };

int
write_seg(struct engine *g, struct output *out, const char *table, struct segcol_in *cols,
    size_t ncols, size_t nrows, uint64_t records)
{
	uint64_t id, size;
	char *name = store_segment_name(g->st, &id), *path = store_path(g->st, name);
	int r = segment_write(path, table, 0, cols, ncols, nrows, &size);

	free(path);
	if (r < 0) {
		free(name);
		return -1;
	}
	out->s = xreallocarray(out->s, out->n + 1, sizeof *out->s);
	out->s[out->n++] = (struct newseg){ name, id, nrows, records, table };
	return 0;
}

static void
push_time(struct colvec *v, int64_t t)
{
	if (t == NO_TIME)
		colvec_push_null(v);
	else
		colvec_push_int(v, t);
}

/* An amount in cents as a decimal of scale 2 (the packed form of dec_parse,
 * at most 17 digits: a larger sum is written as the largest). */
static void
push_cents(struct colvec *v, int64_t cents)
{
	const int64_t max = INT64_C(99999999999999999);

	cents = cents > max ? max : cents < -max ? -max : cents;
	colvec_push_int(v, cents * 16 + (cents < 0 ? -2 : 2));
}

static char **sort_names;

static int
name_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return strcmp(sort_names[*x], sort_names[*y]);
}

/*
 * Indexes of names[0..n) in name order.  Sources, golden attributes and
 * events are numbered in the order a run meets them, which differs
 * between a rebuild and incremental runs (these start from the columns
 * of the last run); written in name order, the two give the same bytes.
 */
static uint32_t *
name_order(char **names, size_t n)
{
	uint32_t *order = xmalloc((n ? n : 1) * sizeof *order);

	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_names = names;
	qsort(order, n, sizeof *order, name_cmp);
	sort_names = NULL;
	return order;
}

static const struct ident *sort_ids;
static const struct prof *sort_prof;

static int
prof_cmp(const void *a, const void *b)
{
	int64_t x = sort_prof[*(const uint32_t *)a].id, y = sort_prof[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

static int
seq_cmp(const void *a, const void *b)
{
	uint64_t x = sort_ids[*(const uint32_t *)a].seq, y = sort_ids[*(const uint32_t *)b].seq;

	return x < y ? -1 : x > y;
}

/* Identifier indexes list[0..n) sorted in place by seq (first sight), returned. */
uint32_t *
merge_ident_order(struct engine *g, uint32_t *list, size_t n)
{
	sort_ids = g->id;
	qsort(list, n, sizeof *list, seq_cmp);
	sort_ids = NULL;
	return list;
}

/* _ids: what a later partial run needs to load the profile's identifiers. */
static void
push_ids(struct engine *g, struct colvec *cv, const uint32_t *list, size_t n, struct strbuf *sb)
{
	sb_reset(sb);
	for (size_t j = 0; j < n; j++) {
		const struct ident *d = &g->id[list[j]];
		char num[64];

		snprintf(num, sizeof num, "%s%llu ", j ? " " : "", (unsigned long long)d->seq);
		sb_adds(sb, num);
		sb_adds(sb, g->c->types[d->type].name);
		if (d->first == NO_TIME)
			snprintf(num, sizeof num, " - %u:", d->len);
		else
			snprintf(num, sizeof num, " %lld %u:", (long long)d->first, d->len);
		sb_adds(sb, num);
		sb_add(sb, g->vals.buf + d->off, d->len);
	}
	if (sb->len)
		colvec_push_str(cv, sb->buf, sb->len);
	else
		colvec_push_null(cv);
}

/* The first profiles segment with column name: its type, or -1. */
static int
table_type(const struct engine *g, const char *name)
{
	for (size_t i = 0; i < g->npsegs; i++) {
		int ci = segment_col_index(g->psegs[i], name);

		if (ci >= 0)
			return g->psegs[i]->cols[ci].type;
	}
	return -1;
}

/*
 * A golden attribute's column, typed from its values; in a partial run
 * text when the table already holds it as text (as a rebuild would).
 */
static void
golden_column(const struct engine *g, struct colvec *v, const char *name, const char **texts,
    const uint32_t *lens, size_t n)
{
	if (!g->partial || table_type(g, name) != CT_STR) {
		colvec_from_text(v, texts, lens, n);
		return;
	}
	colvec_init(v, CT_STR);
	for (size_t i = 0; i < n; i++) {
		if (texts[i])
			colvec_push_str(v, texts[i], lens[i]);
		else
			colvec_push_null(v);
	}
}

/*
 * A partial run's segment must not bring a column the table lacks, or
 * one typed otherwise: readers show the union of the segments' columns
 * in first-seen order, a missing event count reads as null rather than
 * 0, and a rebuild would type a golden attribute over all its values.
 * Such a run is redone whole (need_full).
 */
static int
columns_fit(struct engine *g, const struct segcol_in *in, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int found = 0;

		for (size_t i = 0; i < g->npsegs && !found; i++) {
			int ci = segment_col_index(g->psegs[i], in[k].name);

			if (ci < 0)
				continue;
			found = 1;
			if (g->psegs[i]->cols[ci].type != in[k].v->type ||
			    (in[k].v->type == CT_TIME && g->psegs[i]->cols[ci].tfmt != in[k].v->tfmt))
				found = -1;
		}
		if (found != 1) {
			g->need_full = 1;
			return 0;
		}
	}
	return 1;
}

int
write_profiles(struct engine *g, struct output *out)
{
	const struct merge_config *c = g->c;
	uint32_t *roots = NULL;
	size_t nroots = 0;
	uint32_t **idlists, *idcount;
	uint32_t *srcorder = name_order(g->source_names, g->nsource);
	uint32_t *attrorder = name_order(g->attr_names, g->nattr);
	uint32_t *evorder = name_order(g->event_names, g->nevent);
	int rc = 0;

	for (size_t i = 0; i < g->np; i++) {
		if (g->parent[i] != i || g->p[i].nrec == 0)
			continue;
		if (g->p[i].nrec > g->stats->largest)
			g->stats->largest = g->p[i].nrec;
		if (g->partial && match_unchanged(g, (uint32_t)i))
			continue;	/* its row stands */
		roots = xreallocarray(roots, nroots + 1, sizeof *roots);
		roots[nroots++] = (uint32_t)i;
	}
	g->stats->total = nroots;
	sort_prof = g->p;
	if (nroots)
		qsort(roots, nroots, sizeof *roots, prof_cmp);
	sort_prof = NULL;
	/* Identifier values per profile: counting sort of idents by root. */
	idcount = xcalloc(g->np + 1, sizeof *idcount);
	idlists = xcalloc(g->np + 1, sizeof *idlists);
	for (size_t d = 0; d < g->nid; d++) {
		uint32_t r = merge_find(g, g->id[d].prof);

		g->id[d].prof = r;
		idcount[r]++;
	}
	for (size_t i = 0; i < g->np; i++)
		if (idcount[i])
			idlists[i] = xmalloc(idcount[i] * sizeof **idlists);
	memset(idcount, 0, (g->np + 1) * sizeof *idcount);
	for (size_t d = 0; d < g->nid; d++) {
		uint32_t r = g->id[d].prof;

		idlists[r][idcount[r]++] = (uint32_t)d;
	}
	for (size_t i = 0; i < g->np; i++)
		if (idcount[i] > 1)
			merge_ident_order(g, idlists[i], idcount[i]);

	for (size_t start = 0; start < nroots || start == 0; start += SEG_MAX_ROWS) {
		size_t end = nroots - start > SEG_MAX_ROWS ? start + SEG_MAX_ROWS : nroots;
		size_t nfix = 15, ncols = 0, k;	/* 12 fixed, _merges, _t:email_consent, _ids */
		size_t cap = nfix + c->ntypes + 3 * g->nattr + 2 * g->nevent + 1;
		struct colvec *v = xcalloc(cap, sizeof *v);
		struct segcol_in *in = xcalloc(cap, sizeof *in);
		char **names = xcalloc(cap, sizeof *names);
		struct strbuf sb = STRBUF_INIT;
		const char **texts = xcalloc(end - start + 1, sizeof *texts);
		uint32_t *lens = xcalloc(end - start + 1, sizeof *lens);
		int64_t *times = xcalloc(end - start + 1, sizeof *times);

		if (nroots == 0 && start > 0)
			break;
#define ADD(name, type) (names[ncols] = xstrdup(name), colvec_init(&v[ncols], type), &v[ncols++])
		struct colvec *cid = ADD("profile_id", CT_INT), *csrc = ADD("sources", CT_STR),
		    *crec = ADD("records", CT_INT), *cevt = ADD("events", CT_INT),
		    *cord = ADD("orders", CT_INT), *crev = ADD("revenue", CT_DEC),
		    *caov = ADD("avg_order_value", CT_DEC), *cfs = ADD("first_seen", CT_TIME),
		    *cls = ADD("last_seen", CT_TIME), *cfo = ADD("first_order", CT_TIME),
		    *clo = ADD("last_order", CT_TIME), *ccons = ADD("email_consent", CT_BOOL);
		struct colvec *ccons_t;

		for (size_t i = start; i < end; i++) {
			const struct prof *p = &g->p[roots[i]];

			colvec_push_int(cid, p->id);
			sb_reset(&sb);
			for (size_t k = 0; k < g->nsource; k++) {
				if (srcorder[k] >= 64 || !(p->sources >> srcorder[k] & 1))
					continue;
				if (sb.len)
					sb_adds(&sb, ", ");
				sb_adds(&sb, g->source_names[srcorder[k]]);
			}
			if (sb.len)
				colvec_push_str(csrc, sb.buf, sb.len);
			else
				colvec_push_null(csrc);
			colvec_push_int(crec, (int64_t)p->nrec);
			colvec_push_int(cevt, (int64_t)p->nevt);
			colvec_push_int(cord, (int64_t)p->nord);
			push_cents(crev, p->revenue);
			if (p->nord)
				push_cents(caov, cents_div(p->revenue, (int64_t)p->nord));
			else
				colvec_push_null(caov);
			push_time(cfs, p->first_seen);
			push_time(cls, p->last_seen);
			push_time(cfo, p->first_order);
			push_time(clo, p->last_order);
			if (p->consent >= 0)
				colvec_push_int(ccons, p->consent);
			else
				colvec_push_null(ccons);
		}
		struct colvec *cmerges = ADD("_merges", CT_INT);

		for (size_t i = start; i < end; i++)
			colvec_push_int(cmerges, g->p[roots[i]].nmerges);
		ccons_t = ADD("_t:email_consent", CT_TIME);
		for (size_t i = start; i < end; i++) {
			const struct prof *p = &g->p[roots[i]];

			if (p->consent >= 0)
				push_time(ccons_t, p->consent_t);
			else
				colvec_push_null(ccons_t);
		}
		struct colvec *cids = ADD("_ids", CT_STR);

		for (size_t i = start; i < end; i++)
			push_ids(g, cids, idlists[roots[i]], idcount[roots[i]], &sb);
		/* All values of each identifier type: "emails", "phones", ... */
		for (size_t t = 0; t < c->ntypes; t++) {
			char name[256];

			snprintf(name, sizeof name, "%ss", c->types[t].name);
			struct colvec *cv = ADD(name, CT_STR);

			for (size_t i = start; i < end; i++) {
				uint32_t r = roots[i];

				sb_reset(&sb);
				for (size_t j = 0; j < idcount[r]; j++) {
					const struct ident *d = &g->id[idlists[r][j]];

					if (d->type != t)
						continue;
					if (sb.len)
						sb_adds(&sb, ", ");
					sb_add(&sb, g->vals.buf + d->off, d->len);
				}
				if (sb.len)
					colvec_push_str(cv, sb.buf, sb.len);
				else
					colvec_push_null(cv);
			}
		}
		/* Golden attributes, typed from their values, and their times.
		 * One walk of each profile's list finds its node per attribute. */
		uint32_t *node = xmalloc((g->nattr ? g->nattr : 1) * (end - start + 1) * sizeof *node);

		for (size_t x = 0; x < g->nattr * (end - start); x++)
			node[x] = NONE;
		for (size_t i = start; i < end; i++)
			for (uint32_t x = g->p[roots[i]].attrs; x != NONE; x = g->an[x].next)
				node[(size_t)g->an[x].attr * (end - start) + (i - start)] = x;
		for (size_t ai = 0; ai < g->nattr; ai++) {
			size_t a = attrorder[ai];
			char tname[512];
			int any = 0;

			for (size_t i = start; i < end; i++) {
				uint32_t x = node[a * (end - start) + (i - start)];
				const struct anode *an = x == NONE ? NULL : &g->an[x];

				texts[i - start] = an ? g->vals.buf + an->off : NULL;
				lens[i - start] = an ? an->len : 0;
				times[i - start] = an ? an->t : NO_TIME;
				any |= an != NULL;
			}
			if (!any || merge_has_name((char **)fixed_columns, 16, g->attr_names[a]))
				continue;
			names[ncols] = xstrdup(g->attr_names[a]);
			golden_column(g, &v[ncols++], g->attr_names[a], texts, lens, end - start);
			snprintf(tname, sizeof tname, "_t:%s", g->attr_names[a]);
			struct colvec *ct = ADD(tname, CT_TIME);

			for (size_t i = 0; i < end - start; i++) {
				if (texts[i])
					push_time(ct, times[i]);
				else
					colvec_push_null(ct);
			}
			/* what the next incremental run needs to decide alike */
			const struct golden_rule *gr = golden_rule_for(c, g->attr_names[a]);

			if (gr && gr->how != GOLDEN_LATEST) {
				snprintf(tname, sizeof tname, "_%c:%s", gr->how == GOLDEN_SOURCE ? 'r' : 'v',
				    g->attr_names[a]);
				struct colvec *cr = ADD(tname, CT_INT);

				for (size_t i = start; i < end; i++) {
					uint32_t x = node[a * (end - start) + (i - start)];

					if (x == NONE)
						colvec_push_null(cr);
					else
						colvec_push_int(cr, gr->how == GOLDEN_SOURCE ? g->an[x].rank :
						    (int64_t)g->an[x].votes);
				}
			}
		}
		free(node);
		for (size_t ei = 0; ei < g->nevent; ei++) {
			size_t e = evorder[ei];
			char cname[512], lname[512];

			snprintf(cname, sizeof cname, "count_%s", g->event_names[e]);
			snprintf(lname, sizeof lname, "last_%s", g->event_names[e]);
			struct colvec *cc = ADD(cname, CT_INT), *cl = ADD(lname, CT_TIME);

			for (size_t i = start; i < end; i++) {
				const struct enode *en = NULL;

				for (uint32_t x = g->p[roots[i]].events; x != NONE; x = g->en[x].next)
					if (g->en[x].ev == e)
						en = &g->en[x];
				colvec_push_int(cc, en ? (int64_t)en->count : 0);
				push_time(cl, en ? en->last : NO_TIME);
			}
		}
#undef ADD
		size_t nin = 0;

		for (k = 0; k < ncols; k++) {
			in[nin].name = names[k];
			in[nin++].v = &v[k];
		}
		if (g->partial && !columns_fit(g, in, nin))
			rc = -1;
		else if (write_seg(g, out, "profiles", in, nin, end - start, 0) < 0)
			rc = -1;
		for (k = 0; k < ncols; k++) {
			colvec_free(&v[k]);
			free(names[k]);
		}
		free(v);
		free(in);
		free(names);
		free(texts);
		free(lens);
		free(times);
		sb_free(&sb);
		if (rc < 0 || end >= nroots)
			break;
	}
	for (size_t i = 0; i < g->np; i++)
		free(idlists[i]);
	free(idlists);
	free(idcount);
	free(roots);
	free(srcorder);
	free(attrorder);
	free(evorder);
	return rc;
}

/*
 * The idmap table: every identifier (a partial run: the new ones), in
 * order of first sight, with its profile as of this run.  Rows written
 * earlier keep the profile they had; readers follow merges.
 */
int
write_idmap(struct engine *g, struct output *out)
{
	uint32_t *order = xmalloc((g->nid ? g->nid : 1) * sizeof *order);
	size_t n = 0;
	int rc = 0;

	for (size_t d = 0; d < g->nid; d++)
		if (!g->partial || g->id[d].was == 0)
			order[n++] = (uint32_t)d;
	merge_ident_order(g, order, n);
	for (size_t start = 0; start < n; start += SEG_MAX_ROWS) {
		size_t end = n - start > SEG_MAX_ROWS ? start + SEG_MAX_ROWS : n;
		struct colvec vt, vv, vp, vf;
		struct segcol_in in[4] = { { "type", &vt }, { "value", &vv }, { "profile", &vp },
			{ "first", &vf } };

		colvec_init(&vt, CT_STR);
		colvec_init(&vv, CT_STR);
		colvec_init(&vp, CT_INT);
		colvec_init(&vf, CT_TIME);
		for (size_t j = start; j < end; j++) {
			const struct ident *x = &g->id[order[j]];
			const char *tn = g->c->types[x->type].name;

			colvec_push_str(&vt, tn, strlen(tn));
			colvec_push_str(&vv, g->vals.buf + x->off, x->len);
			colvec_push_int(&vp, g->p[merge_find(g, x->prof)].id);
			push_time(&vf, x->first);
		}
		rc = write_seg(g, out, "idmap", in, 4, end - start, 0);
		colvec_free(&vf);
		colvec_free(&vt);
		colvec_free(&vv);
		colvec_free(&vp);
		if (rc < 0)
			break;
	}
	free(order);
	return rc;
}

/* Partial run: a tombstone (_deleted = 1) for each loaded profile merged away. */
int
write_tombstones(struct engine *g, struct output *out)
{
	struct colvec vid, vdel;
	struct segcol_in in[2] = { { "profile_id", &vid }, { "_deleted", &vdel } };
	uint32_t *gone = xmalloc((g->nloaded ? g->nloaded : 1) * sizeof *gone);
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < g->nloaded; i++)
		if (merge_find(g, (uint32_t)i) != i)
			gone[n++] = (uint32_t)i;
	if (n) {
		sort_prof = g->p;
		qsort(gone, n, sizeof *gone, prof_cmp);
		sort_prof = NULL;
		colvec_init(&vid, CT_INT);
		colvec_init(&vdel, CT_INT);
		for (size_t i = 0; i < n; i++) {
			colvec_push_int(&vid, g->p[gone[i]].id);
			colvec_push_int(&vdel, 1);
		}
		rc = write_seg(g, out, "profiles", in, 2, n, 0);
		colvec_free(&vid);
		colvec_free(&vdel);
	}
	free(gone);
	return rc;
}

/*
 * The idindex (identifier key -> profile id): a partial run adds one run
 * with the identifiers it added or whose profile merged away; a full
 * run replaces the index with one run of all.  The commit publishes it.
 */
int
write_idindex(struct engine *g)
{
	uint64_t *keys = xmalloc((g->nid ? g->nid : 1) * sizeof *keys);
	int64_t *vals = xmalloc((g->nid ? g->nid : 1) * sizeof *vals);
	size_t n = 0;
	struct lsm *x;
	int rc;

	if (!g->partial)
		for (size_t i = g->st->ne; i-- > 0;)
			if (lsm_is_index_entry(g->st->e[i]) && strcmp(mentry_get(g->st->e[i], "table"), "idindex") == 0)
				store_remove(g->st, g->st->e[i]);
	for (size_t d = 0; d < g->nid; d++) {
		int64_t id = g->p[merge_find(g, g->id[d].prof)].id;

		if (g->partial && id == g->id[d].was)
			continue;
		keys[n] = g->id[d].key;
		vals[n++] = id;
	}
	n = lsm_sort_pairs(keys, vals, n);
	x = lsm_open(g->st, "idindex");
	rc = lsm_write_run(x, keys, vals, n);
	if (rc == 0)
		rc = lsm_compact(x, 0);
	lsm_close(x);
	free(keys);
	free(vals);
	return rc;
}

int
write_log_tables(struct engine *g, struct output *out)
{
	int r = 0;

	if (g->nmerge) {
		struct colvec vo, vn, vt, vy;
		struct segcol_in in[4] = { { "old_id", &vo }, { "new_id", &vn }, { "time", &vt },
			{ "type", &vy } };

		colvec_init(&vo, CT_INT);
		colvec_init(&vn, CT_INT);
		colvec_init(&vt, CT_TIME);
		colvec_init(&vy, CT_STR);
		for (size_t i = 0; i < g->nmerge; i++) {
			const char *tn = merge_type_name(g, g->merge_type[i]);

			colvec_push_int(&vo, g->merge_old[i]);
			/* the survivor may itself have merged later in this run */
			colvec_push_int(&vn, g->merge_new[i]);
			colvec_push_int(&vt, g->now);
			colvec_push_str(&vy, tn, strlen(tn));
		}
		r = write_seg(g, out, "merges", in, 4, g->nmerge, 0);
		colvec_free(&vo);
		colvec_free(&vn);
		colvec_free(&vt);
		colvec_free(&vy);
	}
	if (r == 0 && g->nref) {
		struct colvec vb, vl, vp, vt, vv, vr;
		struct segcol_in in[6] = { { "batch", &vb }, { "line", &vl }, { "profile_id", &vp },
			{ "type", &vt }, { "value", &vv }, { "reason", &vr } };

		colvec_init(&vb, CT_INT);
		colvec_init(&vl, CT_INT);
		colvec_init(&vp, CT_INT);
		colvec_init(&vt, CT_STR);
		colvec_init(&vv, CT_STR);
		colvec_init(&vr, CT_STR);
		for (size_t i = 0; i < g->nref; i++) {
			const struct refusal *f = &g->ref[i];
			const char *tn = g->c->types[f->type].name;

			colvec_push_int(&vb, f->batch);
			colvec_push_int(&vl, f->line);
			if (f->profile)
				colvec_push_int(&vp, f->profile);
			else
				colvec_push_null(&vp);
			colvec_push_str(&vt, tn, strlen(tn));
			colvec_push_str(&vv, g->vals.buf + f->off, f->len);
			colvec_push_str(&vr, f->reason, strlen(f->reason));
		}
		r = write_seg(g, out, "refusals", in, 6, g->nref, 0);
		colvec_free(&vb);
		colvec_free(&vl);
		colvec_free(&vp);
		colvec_free(&vt);
		colvec_free(&vv);
		colvec_free(&vr);
	}
	return r;
}

