/*
 * test_recommend.c - cdp-recommend's pieces on matrices small enough to
 * check by hand: co-occurrence similarities, the log-likelihood ratio,
 * EASE's closed form, and ranking with exclusions, deny lists and the
 * diversity rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend.h"
#include "t.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

/* A hand-made interaction matrix; weight e - 1 makes x = log(1 + w) = 1. */
static void
tiny_data(struct rec_data *d, const char *const *keys, size_t nitems, const uint64_t *ptr,
    const uint32_t *items, size_t nusers)
{
	memset(d, 0, sizeof *d);
	d->nitems = nitems;
	d->items = xcalloc(nitems, sizeof *d->items);
	for (size_t i = 0; i < nitems; i++) {
		d->items[i].key = xstrdup(keys[i]);
		d->items[i].group = xstrdup(keys[i]);
		d->items[i].pop = (double)(nitems - i);
		strmap_put(&d->itemmap, keys[i], strlen(keys[i]), (long)i);
	}
	d->nusers = nusers;
	d->users = xmalloc(nusers * sizeof *d->users);
	d->uptr = xmalloc((nusers + 1) * sizeof *d->uptr);
	memcpy(d->uptr, ptr, (nusers + 1) * sizeof *d->uptr);
	d->uitem = xmalloc(ptr[nusers] * sizeof *d->uitem);
	memcpy(d->uitem, items, ptr[nusers] * sizeof *d->uitem);
	d->uw = xmalloc(ptr[nusers] * sizeof *d->uw);
	d->ubought = xcalloc(ptr[nusers], 1);
	for (size_t u = 0; u < nusers; u++)
		d->users[u] = (int64_t)u + 1;
	for (uint64_t p = 0; p < ptr[nusers]; p++)
		d->uw[p] = (float)(M_E - 1), d->ubought[p] = 1;
}

/* w(a -> b) in a model, 0 if b is no neighbour of a. */
static double
weight(const struct rec_model *m, uint32_t a, uint32_t b)
{
	for (uint64_t q = m->nptr[a]; q < m->nptr[a + 1]; q++)
		if (m->nbr[q] == b)
			return m->nw[q];
	return 0;
}

static void
test_cosine(void)
{
	/* u1 {A,B}, u2 {A,B}, u3 {A,C}: G(A,A)=3 G(B,B)=2 G(C,C)=1 G(A,B)=2 G(A,C)=1 */
	static const char *const keys[] = { "A", "B", "C" };
	static const uint64_t ptr[] = { 0, 2, 4, 6 };
	static const uint32_t items[] = { 0, 1, 0, 1, 0, 2 };
	static const uint32_t top[] = { 0, 1, 2 };
	struct rec_config c;
	struct rec_data d;
	struct rec_model m;

	rec_config_defaults(&c);
	c.similarity = REC_COSINE;
	tiny_data(&d, keys, 3, ptr, items, 3);
	memset(&m, 0, sizeof m);
	T_CHECK(rec_knn(&c, &d, top, 3, &m) == 0, "knn: builds");
	T_CHECK(NEAR(weight(&m, 0, 1), 2 / sqrt(6)), "knn: cosine(A,B) = 2/sqrt(3*2)");
	T_CHECK(NEAR(weight(&m, 0, 2), 1 / sqrt(3)), "knn: cosine(A,C) = 1/sqrt(3*1)");
	T_CHECK(weight(&m, 1, 2) == 0, "knn: B and C never meet: no neighbours");
	T_CHECK(NEAR(weight(&m, 1, 0), weight(&m, 0, 1)), "knn: cosine is symmetric");
	T_CHECK(m.nbr[m.nptr[0]] == 1, "knn: the best neighbour comes first");
	rec_model_free(&m);
	rec_data_free(&d);
	rec_config_free(&c);
}

static void
test_llr(void)
{
	T_CHECK(NEAR(rec_llr(10, 0, 0, 10), 40 * log(2)), "llr: perfect association = 40 ln 2");
	T_CHECK(NEAR(rec_llr(1, 1, 1, 1), 0), "llr: independence scores 0");
	T_CHECK(rec_llr(100, 10, 10, 1000) > rec_llr(10, 10, 10, 1000), "llr: more evidence, more score");
}

static void
test_ease(void)
{
	/* G = [[2,1],[1,2]], lambda 1: P = 1/8 [[3,-1],[-1,3]], B(0,1) = (1/8)/(3/8) */
	double g[4] = { 2, 1, 1, 2 }, b[4];
	/* 3 x 3: checked against a Gauss-Jordan inverse done here */
	double g3[9] = { 4, 2, 0, 2, 3, 1, 0, 1, 2 }, a[9], inv[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, b3[9];
	int ok = 1;

	T_CHECK(rec_ease_solve(g, 2, 1.0, b) == 0, "ease: 2x2 solves");
	T_CHECK(NEAR(b[1], 1.0 / 3) && NEAR(b[2], 1.0 / 3), "ease: 2x2 B off the diagonal = 1/3");
	T_CHECK(b[0] == 0 && b[3] == 0, "ease: zero diagonal");
	memcpy(a, g3, sizeof a);
	for (int i = 0; i < 3; i++)
		a[i * 3 + i] += 0.5;
	for (int c = 0; c < 3; c++) {
		double piv = a[c * 3 + c];

		for (int k = 0; k < 3; k++)
			a[c * 3 + k] /= piv, inv[c * 3 + k] /= piv;
		for (int r = 0; r < 3; r++) {
			double f = a[r * 3 + c];

			if (r == c)
				continue;
			for (int k = 0; k < 3; k++)
				a[r * 3 + k] -= f * a[c * 3 + k], inv[r * 3 + k] -= f * inv[c * 3 + k];
		}
	}
	T_CHECK(rec_ease_solve(g3, 3, 0.5, b3) == 0, "ease: 3x3 solves");
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (!NEAR(b3[i * 3 + j], i == j ? 0 : -inv[i * 3 + j] / inv[j * 3 + j]))
				ok = 0;
	T_CHECK(ok, "ease: 3x3 B = -P(i,j)/P(j,j) of the inverse");
	{
		double bad[4] = { -5, 0, 0, -5 }, out[4];

		T_CHECK(rec_ease_solve(bad, 2, 1.0, out) < 0, "ease: not positive definite is an error");
	}
}

static void
test_groups(void)
{
	char *g;

	T_STREQ(g = rec_group_of(NULL, "Trail Tee - Red", "T1"), "Trail Tee", "group: name stem");
	free(g);
	T_STREQ(g = rec_group_of(NULL, "Down Jacket (M)", "J1"), "Down Jacket", "group: before a bracket");
	free(g);
	T_STREQ(g = rec_group_of("P9", "Trail Tee - Red", "T1"), "P9", "group: parent product wins");
	free(g);
	T_STREQ(g = rec_group_of(NULL, NULL, "T1"), "T1", "group: no name, the item itself");
	free(g);
}

static void
test_weights(void)
{
	struct rec_config c;
	struct strbuf sb = STRBUF_INIT;

	rec_config_defaults(&c);
	T_CHECK(rec_config_weights(&c, "Order Completed=5,product_viewed=1") == 0, "weights: parse");
	rec_config_weights_text(&c, &sb);
	T_STREQ(sb.buf, "order_completed=5,product_viewed=1", "weights: event names as stored");
	T_CHECK(rec_config_weights(&c, "order") < 0, "weights: a name without weight is refused");
	T_CHECK(rec_config_weights(&c, "order=0") < 0, "weights: zero is refused");
	T_CHECK(c.nevents == 2, "weights: a refused list leaves the table alone");
	sb_free(&sb);
	rec_config_free(&c);
}

/* A model by hand: item 0 leads to 1..4 with falling weights. */
static void
tiny_model(struct rec_model *m, const char *const *keys, const char *const *groups, size_t n)
{
	memset(m, 0, sizeof *m);
	m->nitems = n;
	m->items = xcalloc(n, sizeof *m->items);
	for (size_t i = 0; i < n; i++) {
		m->items[i].key = xstrdup(keys[i]);
		m->items[i].group = xstrdup(groups[i]);
		m->items[i].pop = (double)(n - i);
	}
	m->nptr = xcalloc(n + 1, sizeof *m->nptr);
	m->nbr = xmalloc(4 * sizeof *m->nbr);
	m->nw = xmalloc(4 * sizeof *m->nw);
	for (uint32_t k = 0; k < 4; k++)
		m->nbr[k] = k + 1, m->nw[k] = (float)(1.0 - 0.1 * k);
	for (size_t i = 1; i <= n; i++)
		m->nptr[i] = 4;
}

static void
test_rank(void)
{
	static const char *const keys[] = { "HAT", "TEE-R", "TEE-B", "TEE-K", "SOCK", "MUG" };
	static const char *const groups[] = { "HAT", "TEE", "TEE", "TEE", "SOCK", "MUG" };
	static const uint64_t ptr[] = { 0, 1 };
	static const uint32_t items[] = { 0 };
	struct rec_model m;
	struct rec_data d;
	struct rec_filter f;
	struct rec_ranker r;
	struct rec_pick p[5];
	uint32_t popular[] = { 0, 1, 2, 3, 4, 5 };
	size_t n;

	tiny_model(&m, keys, groups, 6);
	tiny_data(&d, keys, 6, ptr, items, 1);
	rec_filter_init(&f);
	f.n = 4;
	rec_ranker_init(&r, &m, &d, &f, popular, 6);
	n = rec_rank(&r, 1, 0, p);
	T_CHECK(n == 4, "rank: four picks");
	T_CHECK(p[0].item == 1 && p[1].item == 2, "rank: best scores first");
	T_CHECK(p[2].item == 4, "rank: a third tee is skipped (two per group)");
	T_CHECK(p[3].item == 5 && p[3].fallback, "rank: popularity fills the rest");
	T_CHECK(p[3].score <= p[2].score, "rank: a fill never scores above the pick before it");
	for (size_t i = 0; i < n; i++)
		T_CHECK(p[i].item != 0, "rank: the bought item is left out");
	strmap_put(&f.exclude, "TEE-R", 5, 1);
	u64set_add(&f.deny, rec_deny_key(1, "SOCK", 4));
	n = rec_rank(&r, 1, 0, p);
	T_CHECK(n == 3 && p[0].item == 2 && p[1].item == 3, "rank: excluded item out, next variant in");
	T_CHECK(p[2].item == 5, "rank: the denied item is out for this profile");
	n = rec_rank(&r, 2, 0, p);
	T_CHECK(p[2].item == 4, "rank: ... and in for another");
	f.allow_repeat = 1;
	f.n = 5;
	rec_filter_free(&f);
	memset(&f.exclude, 0, sizeof f.exclude);
	memset(&f.deny, 0, sizeof f.deny);
	n = rec_rank(&r, 1, 0, p);
	T_CHECK(n == 5 && p[3].item == 0, "rank: --allow-repeat brings bought items back");
	rec_ranker_free(&r);
	rec_model_free(&m);
	rec_data_free(&d);
}

int
main(void)
{
	test_cosine();
	test_llr();
	test_ease();
	test_groups();
	test_weights();
	test_rank();
	return t_done();
}
