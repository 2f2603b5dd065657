/*
 * merge_match_log.c - what the probabilistic stage leaves in the store:
 * the matches table (each link it made: the two profiles, the pair that
 * passed, its weight, the threshold and every comparison's level and
 * contribution, for --explain) and the review table (pairs between the
 * review and the match threshold, for --review).  Records are named by
 * batch:line and profiles by id: no personal data.
 */
#include <stdlib.h>
#include <string.h>

#include "merge_mstate.h"

/* "prior -13.29;first_name exact +4.21;..." */
void
match_detail(const struct fs_model *md, const struct fs_explain *ex, struct strbuf *sb)
{
	sb_addf(sb, "prior %+.2f", ex->prior);
	for (int c = 0; c < ex->ncomp && c < md->ncomp; c++)
		sb_addf(sb, ";%s %s%s %+.2f", md->comp[c].name, fs_level_name(md->comp[c].kind, ex->level[c]),
		    ex->tf_used[c] ? " (tf)" : "", ex->weight[c]);
}

void
mlog_link(struct mstate *ms, const struct fs_model *md, int64_t old_id, int64_t new_id,
    const struct mmember *a, const struct mmember *b, double w, int type)
{
	struct mlink *l;
	struct fs_explain ex;

	if (ms->nln == ms->capln) {
		ms->capln = ms->capln ? ms->capln * 2 : 256;
		ms->ln = xreallocarray(ms->ln, ms->capln, sizeof *ms->ln);
	}
	l = &ms->ln[ms->nln++];
	*l = (struct mlink){ old_id, new_id, a->batch, a->line, b->batch, b->line, w,
		md->match_threshold, type, ms->text.len };
	fs_score(md, ms->tf, &a->r, &b->r, &ex);
	match_detail(md, &ex, &ms->text);
	sb_addc(&ms->text, '\0');
}

void
mlog_review_cand(struct mstate *ms, uint32_t a, uint32_t b, double w)
{
	if (ms->nrv == ms->caprv) {
		ms->caprv = ms->caprv ? ms->caprv * 2 : 256;
		ms->rv = xreallocarray(ms->rv, ms->caprv, sizeof *ms->rv);
	}
	ms->rv[ms->nrv++] = (struct mrev){ ms->m[a].batch, ms->m[a].line, ms->m[b].batch, ms->m[b].line,
		w, a, b };
}

/* Of this segment's review pairs keep those still in two profiles. */
void
mlog_review_keep(struct engine *g, struct mstate *ms)
{
	size_t k = ms->rv_seg;

	for (size_t i = ms->rv_seg; i < ms->nrv; i++)
		if (merge_find(g, ms->m[ms->rv[i].a].prof) != merge_find(g, ms->m[ms->rv[i].b].prof))
			ms->rv[k++] = ms->rv[i];
	ms->nrv = ms->rv_seg = k;
}

void
match_stats(struct engine *g, struct mstate *ms)
{
	struct merge_stats *st = g->stats;
	const struct match_conf *mc = g->c->match;
	struct strbuf sb = STRBUF_INIT;

	st->match_pairs = ms->pairs;
	st->match_linked = ms->linked;
	st->match_refused = ms->refused;
	st->match_review = ms->nrv;
	st->match_decided = ms->decided;
	for (int r = 0; r < mc->nrule; r++)
		sb_addf(&sb, "%s%s: %llu", r ? ", " : "", mc->rule[r].src, (unsigned long long)ms->rule_pairs[r]);
	if (ms->capped)
		sb_addf(&sb, "; %llu blocks capped at %llu pairs", (unsigned long long)ms->capped,
		    (unsigned long long)mc->block_cap);
	sb_addf(&sb, "; %.2f s preparing, %.2f s blocking, %.2f s scoring (%.0f pairs/s), %.2f s linking",
	    ms->t_prep, ms->t_block, ms->t_score, ms->t_score > 0 ? (double)ms->pairs / ms->t_score : 0,
	    ms->t_link);
	snprintf(st->match_rules, sizeof st->match_rules, "%s", sb.len ? sb.buf : "no rules");
	sb_free(&sb);
}

static void
push_ref(struct colvec *v, int64_t batch, int64_t line)
{
	char buf[48];
	int n = batch ? snprintf(buf, sizeof buf, "%lld:%lld", (long long)batch, (long long)line) :
	    snprintf(buf, sizeof buf, "profile:%lld", (long long)line);

	colvec_push_str(v, buf, (size_t)n);
}

static void
push_num(struct colvec *v, double w)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%.2f", w);

	colvec_push_str(v, buf, (size_t)n);
}

static int
write_matches(struct engine *g, struct mstate *ms, struct output *out)
{
	struct colvec v[8];
	struct segcol_in in[8] = { { "profile_id", &v[0] }, { "merged_id", &v[1] }, { "left", &v[2] },
		{ "right", &v[3] }, { "weight", &v[4] }, { "threshold", &v[5] }, { "type", &v[6] },
		{ "detail", &v[7] } };
	int r;

	colvec_init(&v[0], CT_INT);
	colvec_init(&v[1], CT_INT);
	for (int k = 2; k < 8; k++)
		colvec_init(&v[k], CT_STR);
	for (size_t i = 0; i < ms->nln; i++) {
		const struct mlink *l = &ms->ln[i];
		const char *tn = merge_type_name(g, l->type), *d = ms->text.buf + l->detail;

		colvec_push_int(&v[0], l->new_id);
		colvec_push_int(&v[1], l->old_id);
		push_ref(&v[2], l->ab, l->al);
		push_ref(&v[3], l->bb, l->bl);
		push_num(&v[4], l->w);
		push_num(&v[5], l->threshold);
		colvec_push_str(&v[6], tn, strlen(tn));
		colvec_push_str(&v[7], d, strlen(d));
	}
	r = write_seg(g, out, "matches", in, 8, ms->nln, 0);
	for (int k = 0; k < 8; k++)
		colvec_free(&v[k]);
	return r;
}

static int
write_review(struct engine *g, struct mstate *ms, struct output *out)
{
	struct colvec v[3];
	struct segcol_in in[3] = { { "left", &v[0] }, { "right", &v[1] }, { "weight", &v[2] } };
	int r;

	for (int k = 0; k < 3; k++)
		colvec_init(&v[k], CT_STR);
	for (size_t i = 0; i < ms->nrv; i++) {
		push_ref(&v[0], ms->rv[i].ab, ms->rv[i].al);
		push_ref(&v[1], ms->rv[i].bb, ms->rv[i].bl);
		push_num(&v[2], ms->rv[i].w);
	}
	r = write_seg(g, out, "review", in, 3, ms->nrv, 0);
	for (int k = 0; k < 3; k++)
		colvec_free(&v[k]);
	return r;
}

int
mlog_write(struct engine *g, struct mstate *ms, struct output *out)
{
	if (ms->nln && write_matches(g, ms, out) < 0)
		return -1;
	if (ms->nrv && write_review(g, ms, out) < 0)
		return -1;
	return 0;
}

void
mlog_free(struct mstate *ms)
{
	free(ms->ln);
	free(ms->rv);
	sb_free(&ms->text);
}
