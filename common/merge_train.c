/*
 * merge_train.c - cdp-merge --train: the model's parameters from the
 * store's own records, without labels.
 *
 *   u: from random pairs of person records (almost all non-matches).
 *   m: by EM over the pairs of each block-on rule in turn (fs_train),
 *      as Splink does: a pair belongs to the first rule that makes it,
 *      and a rule's pairs agree on its own fields and those of the rules
 *      before it by construction, so each rule only estimates the other
 *      comparisons; a comparison's m is the mean over the rules that
 *      estimate it, weighted by their expected matches.
 *   lambda: all matches EM expects, over all pairs of records.
 * Pinned values of an existing STORE/match.params stay.  The result
 * replaces STORE/match.params atomically (mode 0600).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "merge_block.h"
#include "merge_mstate.h"

#define RANDOM_PAIRS 2000000
#define EM_ROUNDS 200

struct trecs {
	struct fs_rec *r;
	size_t n, cap;
};

static const struct fs_rec *
trec(void *ctx, uint32_t i)
{
	return &((struct trecs *)ctx)->r[i];
}

/* Every person record of the store, prepared for md. */
static int
read_all(struct store *st, const struct merge_config *c, const struct fs_model *md, struct trecs *t)
{
	struct segment **segs;
	size_t n;
	int err = 0;

	if (store_segments(st, "records", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !err; i++) {
		struct mentry *e = store_find(st, "segment", segs[i]->id);
		struct mcols mc;

		if (mcols_open(&mc, c, segs[i], e ? store_find(st, "batch", mentry_getu(e, "batch")) : NULL) < 0)
			err = 1;
		for (size_t r = 0; !err && r < segs[i]->nrows; r++) {
			struct mfields f;

			if (!mcols_is_person(&mc, r))
				continue;
			mcols_row(NULL, &mc, r, &f);
			if (!f.v[MF_FIRST][0] && !f.v[MF_LAST][0])
				continue;
			if (t->n == t->cap) {
				t->cap = t->cap ? t->cap * 2 : 4096;
				t->r = xreallocarray(t->r, t->cap, sizeof *t->r);
			}
			mfields_fsprep(md, &f, &t->r[t->n++]);
		}
		mcols_close(&mc);
	}
	store_segments_free(segs, n);
	return err ? -1 : 0;
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Does rule ru block on comparison c? */
static int
rule_uses(const struct brule *ru, const struct fs_comp *c)
{
	static const int kind_of_field[MF_EXTRA] = { FS_FIRST_NAME, FS_LAST_NAME, FS_BIRTH_DATE,
		FS_POSTCODE, FS_STREET, FS_STREET, FS_CITY, FS_PHONE, FS_EMAIL };

	for (int k = 0; k < ru->nterm; k++) {
		const struct bterm *b = &ru->t[k];

		if (b->field == MF_EXTRA ? c->kind == FS_COLUMN && c->extra == b->extra :
		    kind_of_field[b->field] == c->kind)
			return 1;
	}
	return 0;
}

/*
 * The pairs whose first matching rule is rule, as comparison vectors:
 * a pair an earlier rule also makes is that rule's.
 */
static void
rule_vectors(const struct match_conf *mc, const struct fs_model *md, struct trecs *t, int rule,
    struct fs_vecset *vs, uint64_t *npairs)
{
	struct match_conf one = *mc;
	struct bset bs;
	uint32_t *cl = xmalloc((t->n + 1) * sizeof *cl);
	unsigned char *isnew = xmalloc(t->n + 1);

	for (size_t i = 0; i < t->n; i++)
		cl[i] = (uint32_t)i, isnew[i] = 1;
	one.rule[0] = mc->rule[rule];
	one.nrule = 1;
	memset(&bs, 0, sizeof bs);
	bs.rec = trec;
	bs.ctx = t;
	bs.cl = cl;
	bs.isnew = isnew;
	block_pairs(&bs, &one, t->n);
	*npairs = 0;
	for (size_t i = 0; i < bs.npairs; i++) {
		const struct fs_rec *a = &t->r[bs.pairs[i] >> 32], *b = &t->r[(uint32_t)bs.pairs[i]];
		int earlier = 0;

		for (int k = 0; k < rule && !earlier; k++) {
			uint64_t ka = block_key(&mc->rule[k], a);

			earlier = ka && ka == block_key(&mc->rule[k], b);
		}
		if (earlier)
			continue;
		fs_vecset_add(vs, fs_compare(md, a, b), 1);
		++*npairs;
	}
	free(bs.pairs);
	free(cl);
	free(isnew);
}

/* u from random pairs, then fs_train's masked EM per rule (fsmatch.h). */
static int
train_model(const struct match_conf *mc, struct fs_model *md, struct trecs *t, FILE *report)
{
	struct fs_vecset random, rvs[MATCH_MAX_RULES];
	uint32_t ignore[MATCH_MAX_RULES], seen = 0;
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	int rc;

	fs_vecset_init(&random);
	for (size_t k = 0; k < RANDOM_PAIRS; k++) {
		size_t a = (size_t)(xorshift(&seed) % t->n), b = (size_t)(xorshift(&seed) % t->n);

		if (a != b)
			fs_vecset_add(&random, fs_compare(md, &t->r[a], &t->r[b]), 1);
	}
	for (int r = 0; r < mc->nrule; r++) {
		uint64_t np;

		fs_vecset_init(&rvs[r]);
		rule_vectors(mc, md, t, r, &rvs[r], &np);
		for (int c = 0; c < md->ncomp; c++)
			if (rule_uses(&mc->rule[r], &md->comp[c]))
				seen |= 1u << c;
		ignore[r] = seen;
		if (report)
			fprintf(report, "%s: block-on %s: %llu pairs\n", cdp_progname(), mc->rule[r].src,
			    (unsigned long long)np);
	}
	rc = fs_train(md, &random, rvs, ignore, mc->nrule, EM_ROUNDS, 1e-6);
	fs_vecset_free(&random);
	for (int r = 0; r < mc->nrule; r++)
		fs_vecset_free(&rvs[r]);
	return rc;
}

static int
params_save(struct store *st, const struct fs_model *md)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return cdp_seterr("match.params: %s", strerror(errno));
	rc = fs_params_write(md, f);
	if (fclose(f) != 0 && rc == 0)
		rc = cdp_seterr("match.params: %s", strerror(errno));
	if (rc == 0 && io_replace_file(st->dir, "match.params", buf, len) == -1)
		rc = -1;
	free(buf);
	return rc;
}

int
merge_train(struct store *st, const struct merge_config *c, FILE *report)
{
	const struct match_conf *mc = c->match;
	struct fs_model md;
	struct trecs t = { 0 };
	int rc = -1;

	/* the model as the file (or the defaults) has it, without merge.conf's thresholds */
	fs_model_default(&md);
	md.match_threshold = MATCH_DEFAULT_THRESHOLD;
	if (mc->have_params && fs_params_read(&md, mc->params_path) < 0)
		return -1;
	for (int k = 0; k < mc->ncompare; k++)
		if (fs_model_find(&md, mc->compare[k]) < 0 && fs_model_add_column(&md, mc->compare[k], k) < 0)
			return -1;
	if (read_all(st, c, &md, &t) < 0)
		goto out;
	if (t.n < 2) {
		cdp_seterr("too few person records to train on (%zu)", t.n);
		goto out;
	}
	if (train_model(mc, &md, &t, report) < 0)
		goto out;
	rc = params_save(st, &md);
	if (rc == 0 && report)
		fprintf(report, "%s: trained on %zu person records; lambda %.3g; wrote %s\n", cdp_progname(),
		    t.n, md.lambda, mc->params_path);
out:
	free(t.r);
	return rc;
}
