/*
 * merge_review.c - cdp-merge --review FILE and --decisions FILE.
 *
 * --review writes the pairs the runs left between the review and the
 * match threshold (the review table), still in two profiles and not
 * decided yet, as CSV: a pair key, an empty decision column, the match
 * weight and probability, the two records (batch:line), then per
 * comparison both values, the level and its contribution in bits.  A
 * profile side (a batch compared with an existing profile) is shown as
 * that profile's record scoring best against the other side.
 *
 * --decisions reads the same CSV back (only the pair and decision
 * columns matter) and keeps the decisions in STORE/match.decisions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "merge_mstate.h"
#include "profiles.h"

struct rside {
	int64_t b, l;		/* record batch:line; b 0: profile l */
	int64_t live;		/* its profile now */
	struct mfields f;
	struct fs_rec r;
	double best;
	int have;
};

struct rview {
	struct rside *s;	/* two per pair */
	size_t n;		/* pairs */
	struct strmap refs;	/* "b:l" -> side index, "p:id" -> side index (chained by pnext) */
	size_t *pnext;
	struct fs_tf *tf;
	const struct fs_model *md;
};

static void
ref_key(char *buf, size_t sz, int64_t b, int64_t l)
{
	snprintf(buf, sz, b ? "%lld:%lld" : "p:%lld", (long long)(b ? b : l), (long long)l);
}

static int
side_parse(const char *s, struct rside *x)
{
	memset(x, 0, sizeof *x);
	if (strncmp(s, "profile:", 8) == 0) {
		x->l = strtoll(s + 8, NULL, 10);
		return x->l > 0 ? 0 : -1;
	}
	return match_ref_parse(s, &x->b, &x->l);
}

/* The review table's pairs into rv (sides unresolved). */
static int
review_read(struct store *st, struct rview *rv)
{
	struct segment **segs;
	size_t n, cap = 0;
	int err = 0;

	if (store_segments(st, "review", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !err; i++) {
		struct colvec vl, vr;

		if (!merge_read_col(segs[i], "left", &vl, &err))
			continue;
		if (!merge_read_col(segs[i], "right", &vr, &err)) {
			colvec_free(&vl);
			continue;
		}
		for (size_t r = 0; r < vl.n; r++) {
			if (rv->n == cap) {
				cap = cap ? cap * 2 : 256;
				rv->s = xreallocarray(rv->s, 2 * cap, sizeof *rv->s);
			}
			if (side_parse(colvec_str(&vl, r, NULL), &rv->s[2 * rv->n]) < 0 ||
			    side_parse(colvec_str(&vr, r, NULL), &rv->s[2 * rv->n + 1]) < 0)
				continue;
			rv->n++;
		}
		colvec_free(&vl);
		colvec_free(&vr);
	}
	store_segments_free(segs, n);
	return err ? -1 : 0;
}

static void
index_sides(struct rview *rv, const struct mergemap *mm)
{
	char key[64];

	rv->pnext = xcalloc(2 * rv->n + 1, sizeof *rv->pnext);
	for (size_t i = 2 * rv->n; i-- > 0;) {
		struct rside *x = &rv->s[i];
		long prev;

		if (!x->b)
			x->live = mergemap_resolve(mm, x->l);
		ref_key(key, sizeof key, x->b, x->b ? x->l : x->live);
		prev = strmap_get(&rv->refs, key, strlen(key));
		rv->pnext[i] = prev >= 0 ? (size_t)prev : SIZE_MAX;
		strmap_put(&rv->refs, key, strlen(key), (long)i);
	}
}

/* Pass over every person record: fill record sides, then profile sides. */
static int
scan_records(struct store *st, const struct merge_config *c, const struct mergemap *mm, struct rview *rv,
    int pass)
{
	struct segment **segs;
	size_t n;
	int err = 0;
	char key[64];

	if (store_segments(st, "records", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !err; i++) {
		struct mentry *e = store_find(st, "segment", segs[i]->id);
		struct mcols mc;
		int64_t *ids = NULL;
		size_t nl = 0;

		if (links_read(st, mm, segs[i]->id, &ids, &nl) < 0) {
			err = 1;
			break;
		}
		if (!ids)
			continue;
		if (mcols_open(&mc, c, segs[i], e ? store_find(st, "batch", mentry_getu(e, "batch")) : NULL) < 0)
			err = 1;
		for (size_t r = 0; !err && r < nl; r++) {
			struct mfields f;
			struct fs_rec rec;
			long k;

			if (!ids[r] || !mcols_is_person(&mc, r))
				continue;
			mcols_row(NULL, &mc, r, &f);
			mfields_fsprep(rv->md, &f, &rec);
			if (pass == 0) {
				fs_tf_add(rv->tf, rv->md, &rec);
				ref_key(key, sizeof key, mc.bt->iv[r], mc.ln->iv[r]);
			} else {
				ref_key(key, sizeof key, 0, ids[r]);
			}
			for (k = strmap_get(&rv->refs, key, strlen(key)); k >= 0 && (size_t)k != SIZE_MAX;
			    k = (long)rv->pnext[k]) {
				struct rside *x = &rv->s[k], *o = &rv->s[k ^ 1];
				double w;

				if (pass == 0) {
					x->live = ids[r], x->f = f, x->r = rec, x->have = 1;
					continue;
				}
				if (!o->have)
					continue;
				w = fs_score(rv->md, rv->tf, &rec, &o->r, NULL);
				if (!x->have || w > x->best) {
					x->f = f, x->r = rec, x->best = w, x->have = 1;
					x->b = mc.bt->iv[r], x->l = mc.ln->iv[r];
				}
			}
		}
		mcols_close(&mc);
		free(ids);
	}
	store_segments_free(segs, n);
	return err ? -1 : 0;
}

static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The raw value a comparison looked at. */
static void
comp_value(const struct fs_comp *cp, const struct mfields *f, char *buf, size_t sz)
{
	static const int field_of_kind[] = { MF_FIRST, MF_LAST, MF_BIRTH, MF_POSTCODE, MF_STREET,
		MF_CITY, MF_PHONE, MF_EMAIL };

	if (cp->kind == FS_COLUMN)
		snprintf(buf, sz, "%s", f->extra[cp->extra]);
	else if (cp->kind == FS_STREET)
		mfields_street(f, buf, sz);
	else
		snprintf(buf, sz, "%s", f->v[field_of_kind[cp->kind]]);
}

static void
write_header(FILE *f, const struct fs_model *md)
{
	fputs("pair,decision,weight,probability,left,right", f);
	for (int c = 0; c < md->ncomp; c++)
		fprintf(f, ",%s_left,%s_right,%s_level,%s_bits", md->comp[c].name, md->comp[c].name,
		    md->comp[c].name, md->comp[c].name);
	fputc('\n', f);
}

static int
side_cmp(const struct rside *x, const struct rside *y)
{
	return x->b != y->b ? (x->b < y->b ? -1 : 1) : (x->l < y->l ? -1 : x->l > y->l);
}

static void
write_pair(FILE *f, const struct fs_model *md, const struct fs_tf *tf, const struct rside *a,
    const struct rside *b)
{
	struct fs_explain ex;
	double w;
	char buf[2 * MF_VALMAX + 2];

	if (side_cmp(a, b) > 0) {
		const struct rside *t = a;

		a = b;
		b = t;
	}
	w = fs_score(md, tf, &a->r, &b->r, &ex);
	fprintf(f, "%lld:%lld~%lld:%lld,,%.2f,%.6f,%lld:%lld,%lld:%lld", (long long)a->b, (long long)a->l,
	    (long long)b->b, (long long)b->l, w, fs_probability(w), (long long)a->b, (long long)a->l,
	    (long long)b->b, (long long)b->l);
	for (int c = 0; c < md->ncomp; c++) {
		fputc(',', f);
		comp_value(&md->comp[c], &a->f, buf, sizeof buf);
		csv_field(f, buf);
		fputc(',', f);
		comp_value(&md->comp[c], &b->f, buf, sizeof buf);
		csv_field(f, buf);
		fprintf(f, ",%s,%.2f", fs_level_name(md->comp[c].kind, ex.level[c]), ex.weight[c]);
	}
	fputc('\n', f);
}

static int
decided(const struct mdec *d, size_t nd, const struct rside *a, const struct rside *b)
{
	for (size_t k = 0; k < nd; k++)
		if ((d[k].ab == a->b && d[k].al == a->l && d[k].bb == b->b && d[k].bl == b->l) ||
		    (d[k].ab == b->b && d[k].al == b->l && d[k].bb == a->b && d[k].bl == a->l))
			return 1;
	return 0;
}

static int
review_emit(struct rview *rv, const struct merge_config *c, const char *path, size_t *npairs)
{
	struct mdec *d = NULL;
	size_t nd = 0;
	char *dpath = match_decisions_path(c);
	struct strmap seen = { 0 };
	int fd, rc;
	FILE *f;

	rc = decisions_load(dpath, &d, &nd);
	free(dpath);
	if (rc < 0)
		return -1;
	if ((fd = io_open_output(path)) < 0 || !(f = fdopen(fd, "w"))) {
		free(d);
		return cdp_seterr("%s: %s", path, fd < 0 ? cdp_err() : strerror(errno));
	}
	write_header(f, rv->md);
	*npairs = 0;
	for (size_t i = 0; i < rv->n; i++) {
		const struct rside *a = &rv->s[2 * i], *b = &rv->s[2 * i + 1];
		char key[128];

		if (!a->have || !b->have || !a->b || !b->b || a->live == b->live || decided(d, nd, a, b))
			continue;
		snprintf(key, sizeof key, "%lld:%lld~%lld:%lld", (long long)a->b, (long long)a->l,
		    (long long)b->b, (long long)b->l);
		if (strmap_get(&seen, key, strlen(key)) >= 0)
			continue;
		strmap_put(&seen, key, strlen(key), 1);
		write_pair(f, rv->md, rv->tf, a, b);
		++*npairs;
	}
	strmap_free(&seen);
	free(d);
	if (fclose(f) != 0)
		return cdp_seterr("%s: %s", path, strerror(errno));
	return 0;
}

int
merge_review(struct store *st, const struct merge_config *c, const char *path, size_t *npairs)
{
	struct rview rv;
	struct mergemap mm;
	int rc = -1;

	memset(&rv, 0, sizeof rv);
	rv.md = &c->match->model;
	rv.tf = fs_tf_new();
	if (mergemap_load(st, &mm) < 0) {
		fs_tf_free(rv.tf);
		return -1;
	}
	if (review_read(st, &rv) == 0) {
		index_sides(&rv, &mm);
		if (scan_records(st, c, &mm, &rv, 0) == 0 && scan_records(st, c, &mm, &rv, 1) == 0)
			rc = review_emit(&rv, c, path, npairs);
	}
	mergemap_free(&mm);
	strmap_free(&rv.refs);
	free(rv.pnext);
	free(rv.s);
	fs_tf_free(rv.tf);
	return rc;
}
