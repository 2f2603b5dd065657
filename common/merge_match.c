/*
 * merge_match.c - the probabilistic stage of cdp-merge.
 *
 * After each records segment is linked deterministically, its person
 * records are compared through the blocks (merge_block.c) with each
 * other and with the profiles that existed before it, each profile
 * represented by its golden values.  Pairs are scored (fsmatch.h) and
 * taken strongest first; a pair above the match threshold joins its two
 * clusters only if
 *   - no "no-match" decision separates the two clusters,
 *   - at least half of all pairs across the two clusters (at most 16
 *     members of each) score above the threshold too, so one good pair
 *     cannot chain two strangers together through a third record, and
 *   - merge protection allows it (limits, max-records, max-merges), the
 *     same check a deterministic merge passes.
 * A pair whose first names disagree entirely (not a nickname, not a
 * typo, not swapped) never links by weight alone: twins and family
 * members share everything else.  It goes to review instead.
 *
 * The same segments are processed in the same order by a rebuild and by
 * incremental runs, and the stage sees the same profiles either way, so
 * both give the same profiles.
 */
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "merge_block.h"
#include "merge_int.h"
#include "merge_match.h"
#include "merge_mstate.h"
#include "profiles.h"

#define CLUSTER_SAMPLE 16	/* members of each side the half rule looks at */

/* ---- the profile index of a profile id ------------------------------ */

static void
idmap_put(struct mstate *ms, int64_t id, uint32_t idx)
{
	size_t i = ((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 20) & (ms->nslot - 1);

	while (ms->slot[i] != NONE && ms->slotid[i] != id)
		i = (i + 1) & (ms->nslot - 1);
	ms->slot[i] = idx;
	ms->slotid[i] = id;
}

static void
idmap_update(struct engine *g, struct mstate *ms)
{
	if ((g->np + 1) * 2 > ms->nslot) {
		size_t n = 1024;

		while (n < (g->np + 1) * 2)
			n *= 2;
		free(ms->slot);
		free(ms->slotid);
		ms->slot = xmalloc(n * sizeof *ms->slot);
		ms->slotid = xmalloc(n * sizeof *ms->slotid);
		memset(ms->slot, 0xff, n * sizeof *ms->slot);
		ms->nslot = n;
		ms->mapped = 0;
	}
	for (; ms->mapped < g->np; ms->mapped++)
		idmap_put(ms, g->p[ms->mapped].id, (uint32_t)ms->mapped);
}

/* The current root of profile id, or NONE. */
uint32_t
match_root_of_id(struct engine *g, int64_t id)
{
	struct mstate *ms = g->match;
	size_t i;

	if (!ms->nslot || id <= 0)
		return NONE;
	i = ((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 20) & (ms->nslot - 1);
	while (ms->slot[i] != NONE) {
		if (ms->slotid[i] == id)
			return merge_find(g, ms->slot[i]);
		i = (i + 1) & (ms->nslot - 1);
	}
	return NONE;
}

/* ---- members ------------------------------------------------------------ */

static struct mmember *
member_new(struct mstate *ms)
{
	if (ms->nm == ms->capm) {
		ms->capm = ms->capm ? ms->capm * 2 : 1024;
		ms->m = xreallocarray(ms->m, ms->capm, sizeof *ms->m);
	}
	memset(&ms->m[ms->nm], 0, sizeof ms->m[ms->nm]);
	return &ms->m[ms->nm++];
}

static int
prof_id_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* One member per profile that existed before this segment: its golden values. */
static void
members_from_profiles(struct engine *g, struct mstate *ms)
{
	int64_t (*ids)[2] = xcalloc(ms->np_before + 1, sizeof *ids);
	size_t n = 0;
	int fieldof_cap = (int)g->nattr;
	int *fieldof = xmalloc((size_t)(fieldof_cap + 1) * sizeof *fieldof);

	for (int a = 0; a < fieldof_cap; a++)
		fieldof[a] = match_attr_field(g->c->match, g->attr_names[a]);
	for (size_t i = 0; i < ms->np_before; i++)
		if (merge_find(g, (uint32_t)i) == i)
			ids[n][0] = g->p[i].id, ids[n++][1] = (int64_t)i;
	qsort(ids, n, sizeof *ids, prof_id_cmp);	/* loaded or built, the same order */
	for (size_t k = 0; k < n; k++) {
		struct mfields f;
		uint32_t pi = (uint32_t)ids[k][1];

		memset(&f, 0, sizeof f);
		for (uint32_t x = g->p[pi].attrs; x != NONE; x = g->an[x].next) {
			int fi = g->an[x].attr < (uint32_t)fieldof_cap ? fieldof[g->an[x].attr] : -1;

			if (fi >= 0)
				mfields_set(&f, fi, g->vals.buf + g->an[x].off, g->an[x].len);
		}
		if (!f.v[MF_FIRST][0] && !f.v[MF_LAST][0])
			continue;
		struct mmember *m = member_new(ms);

		mfields_prepare(g, &f, &m->r);
		m->prof = pi;
		m->batch = 0;
		m->line = g->p[pi].id;
	}
	free(fieldof);
	free(ids);
}

/* One member per person record of segment s. */
static int
members_from_segment(struct engine *g, struct mstate *ms, struct segment *s,
    const struct mentry *batch, const int64_t *links)
{
	struct mcols mc;
	int rc = mcols_open(&mc, g->c, s, batch);

	for (size_t r = 0; rc == 0 && r < s->nrows; r++) {
		struct mfields f;
		uint32_t pi;

		if (!links[r] || !mcols_is_person(&mc, r))
			continue;
		pi = match_root_of_id(g, links[r]);
		if (pi == NONE)
			continue;
		mcols_row(g, &mc, r, &f);
		decisions_see(ms, mc.bt->iv[r], mc.ln->iv[r], links[r]);
		if (!f.v[MF_FIRST][0] && !f.v[MF_LAST][0])
			continue;
		struct mmember *m = member_new(ms);

		mfields_prepare(g, &f, &m->r);
		m->prof = pi;
		m->batch = mc.bt->iv[r];
		m->line = mc.ln->iv[r];
		m->isnew = 1;
	}
	mcols_close(&mc);
	return rc;
}

/* ---- clusters ----------------------------------------------------------- */

static void
clusters_build(struct engine *g, struct mstate *ms)
{
	free(ms->head);
	free(ms->next);
	ms->head = xmalloc((g->np + 1) * sizeof *ms->head);
	memset(ms->head, 0xff, (g->np + 1) * sizeof *ms->head);
	ms->next = xmalloc((ms->nm + 1) * sizeof *ms->next);
	for (size_t i = ms->nm; i-- > 0;) {
		uint32_t r = merge_find(g, ms->m[i].prof);

		ms->next[i] = ms->head[r];
		ms->head[r] = (uint32_t)i;
	}
}

/* Join b's member list to a's (a the surviving root). */
static void
clusters_join(struct mstate *ms, uint32_t a, uint32_t b)
{
	uint32_t *tail = &ms->head[a];

	while (*tail != NONE)
		tail = &ms->next[*tail];
	*tail = ms->head[b];
	ms->head[b] = NONE;
}

/*
 * Above the threshold and no veto: a comparison of the veto list
 * (default first name and birth date) at its "else" level, both values
 * present and wholly unlike, stops an automatic link: twins, siblings
 * and spouses share everything but the first name, namesakes in one
 * town everything but the birth date.
 */
static int
match_veto(const struct match_conf *mc, const struct fs_explain *ex, int n)
{
	for (int i = 0; i < mc->nveto_comp && i < n; i++) {
		int c = mc->veto_comp[i];

		if (ex->level[c] == mc->model.comp[c].nlevels - 1)
			return 1;
	}
	return 0;
}

int
match_pair_ok(const struct match_conf *mc, const struct fs_explain *ex, double w)
{
	return w >= mc->model.match_threshold && !match_veto(mc, ex, FS_MAX_COMP);
}

/*
 * At least half of the pairs across clusters a and b score above the
 * threshold, and none is vetoed: a record without a first name that
 * matches both twins does not join them.
 */
static int
clusters_agree(struct mstate *ms, const struct match_conf *mc, uint32_t a, uint32_t b)
{
	const struct fs_model *md = &mc->model;
	int ok = 0, all = 0, na = 0;

	for (uint32_t x = ms->head[a]; x != NONE && na < CLUSTER_SAMPLE; x = ms->next[x], na++) {
		int nb = 0;

		for (uint32_t y = ms->head[b]; y != NONE && nb < CLUSTER_SAMPLE; y = ms->next[y], nb++) {
			struct fs_explain ex;
			double w = fs_score(md, ms->tf, &ms->m[x].r, &ms->m[y].r, &ex);

			if (match_veto(mc, &ex, FS_MAX_COMP))
				return 0;
			all++;
			ok += w >= md->match_threshold;
		}
	}
	return all > 0 && 2 * ok >= all;
}

/* ---- the stage ---------------------------------------------------------- */

static const struct fs_rec *
member_rec(void *ctx, uint32_t i)
{
	return &((struct mstate *)ctx)->m[i].r;
}

struct cand {
	uint32_t a, b;
	double w;
	int ok;
};

static int
cand_cmp(const void *x, const void *y)
{
	const struct cand *p = x, *q = y;

	if (p->w != q->w)
		return p->w > q->w ? -1 : 1;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* Score the candidate pairs; keep those at or above the review threshold. */
static struct cand *
score_pairs(struct mstate *ms, const struct match_conf *mc, const struct bset *bs, size_t *ncand)
{
	const struct fs_model *md = &mc->model;
	struct cand *c = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < bs->npairs; i++) {
		uint32_t a = (uint32_t)(bs->pairs[i] >> 32), b = (uint32_t)bs->pairs[i];
		struct fs_explain ex;
		double w = fs_score(md, ms->tf, &ms->m[a].r, &ms->m[b].r, &ex);

		if (w < md->review_threshold)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			c = xreallocarray(c, cap, sizeof *c);
		}
		c[n++] = (struct cand){ a, b, w, match_pair_ok(mc, &ex, w) };
	}
	ms->pairs += bs->npairs;
	*ncand = n;
	return c;
}

/* Link the clusters of members a and b, if every rule allows it. */
static int
try_link(struct engine *g, struct mstate *ms, uint32_t a, uint32_t b, double w, int type)
{
	const struct fs_model *md = &g->c->match->model;
	uint32_t ra = merge_find(g, ms->m[a].prof), rb = merge_find(g, ms->m[b].prof), r;
	int64_t ida, idb;

	if (ra == rb)
		return 1;
	if (decisions_forbid(g, ms, ra, rb))
		return 0;
	if (type == MERGE_TYPE_PROB && !clusters_agree(ms, g->c->match, ra, rb))
		return 0;
	if (merge_union_refusal(g, ra, rb)) {
		ms->refused++;
		return 0;
	}
	ida = g->p[ra].id;
	idb = g->p[rb].id;
	r = merge_union(g, ra, rb, type);
	clusters_join(ms, r, r == ra ? rb : ra);
	mlog_link(ms, md, r == ra ? idb : ida, g->p[r].id, &ms->m[a], &ms->m[b], w, type);
	ms->linked++;
	return 1;
}

int
match_segment(struct engine *g, struct segment *s, const struct mentry *batch, const int64_t *links)
{
	struct mstate *ms = g->match;
	const struct match_conf *mc = g->c->match;
	struct bset bs;
	struct cand *c;
	size_t nc;
	uint32_t *cl;

	if (!ms)
		return 0;
	idmap_update(g, ms);
	ms->nm = 0;
	if (members_from_segment(g, ms, s, batch, links) < 0)
		return -1;
	if (ms->nm) {
		size_t nnew = ms->nm;
		double t = now_seconds(), t1;

		/* profiles first, then the batch: move the batch's members after them */
		struct mmember *newm = ms->m;

		ms->m = NULL;
		ms->nm = ms->capm = 0;
		members_from_profiles(g, ms);
		for (size_t i = 0; i < nnew; i++)
			*member_new(ms) = newm[i];
		free(newm);
		ms->tf = fs_tf_new();
		for (size_t i = 0; i < ms->nm; i++)
			fs_tf_add(ms->tf, &mc->model, &ms->m[i].r);
		clusters_build(g, ms);
		t1 = now_seconds();
		ms->t_prep += t1 - t;
		t = t1;
		cl = xmalloc((ms->nm + 1) * sizeof *cl);
		unsigned char *isnew = xmalloc(ms->nm + 1);

		for (size_t i = 0; i < ms->nm; i++) {
			cl[i] = merge_find(g, ms->m[i].prof);
			isnew[i] = (unsigned char)ms->m[i].isnew;
		}
		memset(&bs, 0, sizeof bs);
		bs.rec = member_rec;
		bs.ctx = ms;
		bs.cl = cl;
		bs.isnew = isnew;
		block_pairs(&bs, mc, ms->nm);
		for (int r = 0; r < mc->nrule; r++)
			ms->rule_pairs[r] += bs.rule_pairs[r];
		ms->capped += bs.capped;
		t1 = now_seconds();
		ms->t_block += t1 - t;
		t = t1;
		c = score_pairs(ms, mc, &bs, &nc);
		t1 = now_seconds();
		ms->t_score += t1 - t;
		t = t1;
		free(bs.pairs);
		free(cl);
		free(isnew);
		if (nc)
			qsort(c, nc, sizeof *c, cand_cmp);
		for (size_t i = 0; i < nc; i++)
			if (!c[i].ok || !try_link(g, ms, c[i].a, c[i].b, c[i].w, MERGE_TYPE_PROB))
				mlog_review_cand(ms, c[i].a, c[i].b, c[i].w);
		mlog_review_keep(g, ms);
		free(c);
		fs_tf_free(ms->tf);
		ms->tf = NULL;
		ms->t_link += now_seconds() - t;
	}
	ms->np_before = g->np;
	return decisions_apply(g, ms);
}

int
match_begin(struct engine *g)
{
	struct mstate *ms;

	if (g->c->match->mode != MATCH_PROBABILISTIC)
		return 0;
	ms = g->match = xcalloc(1, sizeof *ms);
	ms->np_before = g->np;
	idmap_update(g, ms);
	return decisions_begin(g, ms);
}

int
match_end(struct engine *g, struct output *out)
{
	struct mstate *ms = g->match;

	if (!ms)
		return 0;
	idmap_update(g, ms);
	if (decisions_apply(g, ms) < 0)
		return -1;
	match_stats(g, ms);
	return mlog_write(g, ms, out);
}

void
match_free(struct engine *g)
{
	struct mstate *ms = g->match;

	if (!ms)
		return;
	free(ms->m);
	free(ms->head);
	free(ms->next);
	free(ms->slot);
	free(ms->slotid);
	if (ms->tf)
		fs_tf_free(ms->tf);
	mlog_free(ms);
	decisions_free(ms);
	free(ms);
	g->match = NULL;
}
