/*
 * merge_match_cand.c - the probabilistic stage on a partial (incremental)
 * run: which existing profiles the new records can meet.
 *
 * A partial run loads only the profiles its records name by identifier.
 * The probabilistic stage also compares each new record with every
 * existing profile in a block it shares, and weighs agreements by how
 * common a value is among all profiles.  So before loading, this reads
 * the person attribute columns of the live profiles (nothing else), and
 *   - every profile that shares a block key (any rule) with a person
 *     record of the new segments is loaded too: a block holding a new
 *     record then holds exactly the profiles a full run would put in it,
 *     so caps cut it the same way;
 *   - the profiles left unloaded are counted into a term-frequency base
 *     table: they are never touched by the run, so the counts a full run
 *     would take from them are the same in every segment.
 * A profile's golden values change only when the run merges it, and a
 * merged profile is loaded, so the pairs, weights and links are those of
 * a full run (and of --rebuild).
 */
#include <stdlib.h>
#include <string.h>

#include "merge_block.h"
#include "merge_int.h"
#include "merge_match.h"
#include "merge_mstate.h"
#include "profiles.h"

static uint64_t
rule_key(int rule, uint64_t h)
{
	return (h ^ (uint64_t)(rule + 1) * 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;
}

/* 1 if r has a block key in keys (add: put them in instead). */
static int
rec_keys(const struct match_conf *mc, const struct fs_rec *r, struct u64set *keys, int add)
{
	for (int k = 0; k < mc->nrule; k++) {
		uint64_t h = block_key(&mc->rule[k], r);

		if (!h)
			continue;
		if (add)
			u64set_add(keys, rule_key(k, h));
		else if (u64set_has(keys, rule_key(k, h)))
			return 1;
	}
	return 0;
}

/* The block keys of the person records of the records segments todo. */
static int
new_keys(struct engine *g, const uint64_t *todo, size_t ntodo, struct u64set *keys)
{
	for (size_t i = 0; i < ntodo; i++) {
		struct mentry *e = store_find(g->st, "segment", todo[i]);
		struct mentry *b = store_find(g->st, "batch", mentry_getu(e, "batch"));
		char *path = store_path(g->st, mentry_get(e, "file"));
		struct segment *s = segment_open(path);
		struct mcols mc;
		int rc;

		free(path);
		if (!s)
			return -1;
		rc = mcols_open(&mc, g->c, s, b);
		for (size_t r = 0; rc == 0 && r < s->nrows; r++) {
			struct mfields f;
			struct fs_rec rec;

			if (!mcols_is_person(&mc, r))
				continue;
			mcols_row(g, &mc, r, &f);
			if (!f.v[MF_FIRST][0] && !f.v[MF_LAST][0])
				continue;
			mfields_prepare(g, &f, &rec);
			rec_keys(g->c->match, &rec, keys, 1);
		}
		mcols_close(&mc);
		segment_close(s);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
have_id(const int64_t *v, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return 1;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

struct scan {
	struct engine *g;
	const struct u64set *keys;
	const int64_t *have;		/* loaded anyway (sorted) */
	size_t nhave;
	struct fs_tf *base;
	int64_t *cand;
	size_t ncand, capcand;
};

/*
 * The golden values of the live rows of profiles segment seg, as
 * load_cell reads them (a column NAME with its _t:NAME companion).
 */
static int
scan_segment(struct scan *sc, struct profiles *p, size_t seg)
{
	struct segment *s = p->segs[seg];
	struct colvec *v = xcalloc(s->ncols + 1, sizeof *v), vid;
	int *field = xmalloc((s->ncols + 1) * sizeof *field), err = 0;
	struct strbuf tmp = STRBUF_INIT;
	char tname[512];

	if (profiles_col(p, seg, "profile_id", &vid) != 1) {
		free(v), free(field);
		return cdp_seterr("%s: profiles segment lacks profile_id", s->path);
	}
	for (size_t k = 0; k < s->ncols; k++) {
		snprintf(tname, sizeof tname, "_t:%s", s->cols[k].name);
		field[k] = match_attr_field(sc->g->c->match, s->cols[k].name);
		if (field[k] >= 0 && segment_col_index(s, tname) < 0)
			field[k] = -1;
		if (field[k] >= 0 && segment_read(s, (int)k, &v[k]) < 0)
			field[k] = -1, err = 1;
	}
	for (size_t r = 0; !err && r < s->nrows; r++) {
		struct mfields f;
		struct fs_rec rec;
		int64_t id = vid.iv[r];

		if (!profiles_live(p, seg, r) || have_id(sc->have, sc->nhave, id))
			continue;
		memset(&f, 0, sizeof f);
		for (size_t k = 0; k < s->ncols; k++) {
			size_t len;
			const char *val;

			if (field[k] < 0 || colvec_isnull(&v[k], r))
				continue;
			val = merge_cell_text(&v[k], r, &tmp, &len);
			mfields_set(&f, field[k], val, len);
		}
		if (!f.v[MF_FIRST][0] && !f.v[MF_LAST][0])
			continue;
		mfields_prepare(sc->g, &f, &rec);
		if (!rec_keys(sc->g->c->match, &rec, (struct u64set *)sc->keys, 0)) {
			fs_tf_add(sc->base, &sc->g->c->match->model, &rec);
			continue;
		}
		if (sc->ncand == sc->capcand) {
			sc->capcand = sc->capcand ? sc->capcand * 2 : 256;
			sc->cand = xreallocarray(sc->cand, sc->capcand, sizeof *sc->cand);
		}
		sc->cand[sc->ncand++] = id;
	}
	for (size_t k = 0; k < s->ncols; k++)
		if (field[k] >= 0)
			colvec_free(&v[k]);
	colvec_free(&vid);
	free(v);
	free(field);
	sb_free(&tmp);
	return err ? -1 : 0;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * have[0..nhave) and the profiles of the records decisions name (a
 * "match" decision joins them whenever merge protection allows, so a
 * full run may join two profiles no new record touches), sorted unique.
 */
static int64_t *
with_decided(const struct mstate *ms, const int64_t *have, size_t nhave, size_t *n)
{
	int64_t *v = xmalloc((nhave + 2 * ms->ndec + 1) * sizeof *v);
	size_t k = 0;

	if (nhave)
		memcpy(v, have, nhave * sizeof *v);
	*n = nhave;
	for (size_t i = 0; i < ms->ndec; i++) {
		if (ms->dec[i].aid > 0)
			v[(*n)++] = ms->dec[i].aid;
		if (ms->dec[i].bid > 0)
			v[(*n)++] = ms->dec[i].bid;
	}
	qsort(v, *n, sizeof *v, id_cmp);
	for (size_t i = 0; i < *n; i++)
		if (k == 0 || v[i] != v[k - 1])
			v[k++] = v[i];
	*n = k;
	return v;
}

/*
 * A partial run's probabilistic candidates: the live profiles not in
 * have[0..nhave) (sorted) that share a block key with a person record of
 * the records segments todo, into *cand (unsorted, unique).  The others
 * go into the term-frequency base the stage starts each segment from.
 */
int
match_partial_candidates(struct engine *g, const uint64_t *todo, size_t ntodo,
    const int64_t *have, size_t nhave, int64_t **cand, size_t *ncand)
{
	struct u64set keys = { 0 };
	struct profiles p;
	struct scan sc = { g, &keys, have, nhave, NULL, NULL, 0, 0 };
	struct mstate *ms;
	int err = 0;

	*cand = NULL;
	*ncand = 0;
	if (g->c->match->mode != MATCH_PROBABILISTIC)
		return 0;
	ms = g->match = xcalloc(1, sizeof *ms);
	ms->tf_base = sc.base = fs_tf_new();
	if (decisions_begin(g, ms) < 0)
		return -1;
	ms->dec_ready = 1;
	sc.have = with_decided(ms, have, nhave, &sc.nhave);
	if (new_keys(g, todo, ntodo, &keys) < 0 || profiles_open(g->st, &p) < 0) {
		free((int64_t *)sc.have);
		u64set_free(&keys);
		return -1;
	}
	for (size_t i = 0; i < p.nsegs && !err; i++)
		if (profiles_live_count(&p, i) && scan_segment(&sc, &p, i) < 0)
			err = 1;
	profiles_close(&p);
	u64set_free(&keys);
	/* the decided profiles not loaded anyway are candidates too */
	for (size_t i = 0; !err && i < sc.nhave; i++)
		if (!have_id(have, nhave, sc.have[i])) {
			sc.cand = xreallocarray(sc.cand, sc.ncand + 1, sizeof *sc.cand);
			sc.cand[sc.ncand++] = sc.have[i];
		}
	free((int64_t *)sc.have);
	if (err) {
		free(sc.cand);
		return -1;
	}
	*cand = sc.cand;
	*ncand = sc.ncand;
	return 0;
}

/*
 * The profiles loaded only because they share a block (or a decision)
 * with the new records: most are left as they were, and their rows in
 * the table still stand.
 */
void
match_partial_loaded(struct engine *g, const int64_t *cand, size_t ncand)
{
	struct mstate *ms = g->match;

	if (!ms || !ncand)
		return;
	ms->keep = xreallocarray(NULL, ncand, sizeof *ms->keep);
	for (size_t i = 0; i < g->np; i++)
		if (ms->nkeep < ncand && have_id(cand, ncand, g->p[i].id))
			ms->keep[ms->nkeep++] = (struct mkeep){ (uint32_t)i, g->p[i].nrec, g->p[i].nevt };
}

/*
 * 1 if profile pi (a root) was loaded only as a candidate and nothing
 * reached it: no record, event or merge (a merge adds the other side's
 * records), so its stored row is still its row.
 */
int
match_unchanged(const struct engine *g, uint32_t pi)
{
	const struct mstate *ms = g->match;
	size_t lo = 0, hi = ms ? ms->nkeep : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ms->keep[mid].pi == pi)
			return g->p[pi].nrec == ms->keep[mid].nrec && g->p[pi].nevt == ms->keep[mid].nevt;
		if (ms->keep[mid].pi < pi)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}
