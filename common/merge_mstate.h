/*
 * merge_mstate.h - the probabilistic stage's state, shared by
 * merge_match.c (the stage), merge_match_read.c (person fields of
 * records and profiles), merge_match_log.c (the matches and review
 * tables) and merge_decide.c (decisions).  Not for use elsewhere.
 */
#ifndef CDP_MERGE_MSTATE_H
#define CDP_MERGE_MSTATE_H

#include "merge_int.h"
#include "merge_match.h"

#define MF_VALMAX 96

/* The raw person fields of a record or a profile, before fs_prepare. */
struct mfields {
	char v[MF_NFIELDS][MF_VALMAX];
	char extra[FS_MAX_EXTRA][MF_VALMAX];
};

struct mmember {
	struct fs_rec r;
	uint32_t prof;		/* its profile index when taken */
	int isnew;		/* a record of the segment being linked */
	int64_t batch, line;	/* the record; batch 0: a profile's golden values, line its id */
};

/* The person columns of one records segment. */
struct mcols {
	struct colvec col[MF_NFIELDS], extra[FS_MAX_EXTRA], vkind, vbt, vln;
	struct colvec *c[MF_NFIELDS], *x[FS_MAX_EXTRA], *kind, *bt, *ln;
	int email_ident, phone_ident;	/* c[] holds the normalized identifier column */
	int email_type, phone_type;	/* identifier type indices, -1 if none */
	int person_batch;
	struct strbuf tmp;
};

struct mlink {			/* one link the stage made, for --explain */
	int64_t old_id, new_id;
	int64_t ab, al, bb, bl;		/* the pair that passed: batch 0 = profile line */
	double w, threshold;
	int type;
	size_t detail;			/* offset in mstate.text */
};

struct mrev {			/* a pair left for a person to decide */
	int64_t ab, al, bb, bl;
	double w;
	uint32_t a, b;			/* members, while the segment is linked */
};

struct mdec {
	int64_t ab, al, bb, bl;
	int match;
	int64_t aid, bid;		/* the profiles the two records are in, 0 unknown */
};

struct mstate {
	struct mmember *m;
	size_t nm, capm;
	uint32_t *head, *next;		/* members of each cluster (by root) */
	size_t np_before;		/* profiles that existed before the segment */
	uint32_t *slot;			/* profile id -> index, open addressing */
	int64_t *slotid;
	size_t nslot, mapped;
	struct fs_tf *tf;
	struct mlink *ln;
	size_t nln, capln;
	struct mrev *rv;
	size_t nrv, caprv, rv_seg;	/* rv_seg: first review pair of this segment */
	struct strbuf text;
	struct mdec *dec;
	size_t ndec;
	uint64_t rule_pairs[MATCH_MAX_RULES], pairs, capped, linked, refused, decided;
	double t_prep, t_block, t_score, t_link;	/* seconds in each step */
};

/* merge_match.c */
uint32_t match_root_of_id(struct engine *g, int64_t id);
int match_pair_ok(const struct match_conf *mc, const struct fs_explain *ex, double w);

/* merge_match_read.c */
int match_attr_field(const struct match_conf *m, const char *attr);
void mfields_set(struct mfields *f, int field, const char *s, size_t len);
void mfields_prepare(struct engine *g, struct mfields *f, struct fs_rec *r);
void mfields_fsprep(const struct fs_model *md, const struct mfields *f, struct fs_rec *r);
void mfields_street(const struct mfields *f, char *out, size_t outsz);
int mcols_open(struct mcols *mc, const struct merge_config *c, struct segment *s, const struct mentry *batch);
int mcols_is_person(const struct mcols *mc, size_t r);
void mcols_row(struct engine *g, struct mcols *mc, size_t r, struct mfields *f);
void mcols_close(struct mcols *mc);

/* merge_match_log.c */
void mlog_link(struct mstate *ms, const struct fs_model *md, int64_t old_id, int64_t new_id,
    const struct mmember *a, const struct mmember *b, double w, int type);
void mlog_review_cand(struct mstate *ms, uint32_t a, uint32_t b, double w);
void mlog_review_keep(struct engine *g, struct mstate *ms);
void match_stats(struct engine *g, struct mstate *ms);
int mlog_write(struct engine *g, struct mstate *ms, struct output *out);
void mlog_free(struct mstate *ms);
void match_detail(const struct fs_model *md, const struct fs_explain *ex, struct strbuf *sb);

/* merge_decide.c */
int match_ref_parse(const char *s, int64_t *batch, int64_t *line);
char *match_decisions_path(const struct merge_config *c);
int decisions_load(const char *path, struct mdec **d, size_t *n);
int decisions_begin(struct engine *g, struct mstate *ms);
void decisions_see(struct mstate *ms, int64_t batch, int64_t line, int64_t profile);
int decisions_forbid(struct engine *g, struct mstate *ms, uint32_t ra, uint32_t rb);
int decisions_apply(struct engine *g, struct mstate *ms);
void decisions_free(struct mstate *ms);

#endif
