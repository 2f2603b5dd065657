/*
 * test_merge_block.c - blocking rules of cdp-merge's probabilistic
 * matching: parsing, keys, pairs only with a new record and across
 * profiles, and the cap on a common key value.
 */
#include <stdlib.h>

#include "merge_block.h"
#include "t.h"

static struct fs_model md;
static struct fs_rec recs[64];

static const struct fs_rec *
rec(void *ctx, uint32_t i)
{
	(void)ctx;
	return &recs[i];
}

static void
prep(int i, const char *first, const char *last, const char *dob, const char *pc)
{
	struct fs_input in = { 0 };

	in.first_name = first;
	in.last_name = last;
	in.birth_date = dob;
	in.postcode = pc;
	fs_prepare(&md, &in, &recs[i]);
}

static void
test_rules(struct match_conf *m)
{
	struct brule r;

	T_CHECK(match_rule_parse(&r, m, "postal_code + last_name:1") == 0, "rule: two fields");
	T_INTEQ(r.nterm, 2, "rule: two terms");
	T_INTEQ(r.t[1].len, 1, "rule: first letter");
	free(r.src);
	T_CHECK(match_rule_parse(&r, m, "soundex(last_name) + phone:-7") == 0, "rule: soundex and suffix");
	T_INTEQ(r.t[0].soundex, 1, "rule: soundex term");
	T_INTEQ(r.t[1].len, -7, "rule: last 7");
	free(r.src);
	T_CHECK(match_rule_parse(&r, m, "frist_name") < 0, "rule: unknown field refused");
	T_CHECK(match_rule_parse(&r, m, "soundex(city)") < 0, "rule: soundex of a city refused");
	T_CHECK(match_rule_parse(&r, m, "city:0") < 0, "rule: zero length refused");
}

static void
test_keys(struct match_conf *m)
{
	struct brule r;

	match_rule_parse(&r, m, "postal_code + last_name:1");
	prep(0, "Jürgen", "Müller", "1970-03-12", "10115");
	prep(1, "Juergen", "Mueller", "12.03.1970", "10 115");
	prep(2, "Jürgen", "Meier", "1970-03-12", "10115");
	prep(3, "Jürgen", "Müller", "1970-03-12", "");
	T_CHECK(block_key(&r, &recs[0]) == block_key(&r, &recs[1]), "key: folded values meet");
	T_CHECK(block_key(&r, &recs[0]) == block_key(&r, &recs[2]), "key: only the first letter counts");
	T_INTEQ(block_key(&r, &recs[3]), 0, "key: a missing field gives no key");
	free(r.src);
	match_rule_parse(&r, m, "birth_date");
	T_CHECK(block_key(&r, &recs[0]) == block_key(&r, &recs[1]), "key: dates in two forms meet");
	free(r.src);
}

static void
test_pairs(struct match_conf *m)
{
	uint32_t cl[64];
	unsigned char isnew[64];
	struct bset bs = { 0 };

	for (int r = 0; r < m->nrule; r++)
		free(m->rule[r].src);
	m->nrule = 1;
	match_rule_parse(&m->rule[0], m, "postal_code");
	/* 0, 1 old in one profile; 2 old; 3, 4 new */
	for (int i = 0; i < 5; i++)
		prep(i, "Anna", "Weber", "", "80331");
	cl[0] = cl[1] = 0, cl[2] = 2, cl[3] = 3, cl[4] = 4;
	isnew[0] = isnew[1] = isnew[2] = 0, isnew[3] = isnew[4] = 1;
	bs.rec = rec;
	bs.cl = cl;
	bs.isnew = isnew;
	block_pairs(&bs, m, 5);
	/* 3 and 4 each meet 0, 1, 2 and each other: 7; never 0-1, 0-2, 1-2 */
	T_INTEQ(bs.npairs, 7, "pairs: only with a new record");
	free(bs.pairs);

	/* 60 records, all new, one key: capped */
	for (int i = 0; i < 60; i++) {
		char first[16];

		snprintf(first, sizeof first, "N%02d", i);
		prep(i, first, "Weber", "", "80331");
		cl[i] = (uint32_t)i;
		isnew[i] = 1;
	}
	memset(&bs, 0, sizeof bs);
	bs.rec = rec;
	bs.cl = cl;
	bs.isnew = isnew;
	m->block_cap = 100;
	block_pairs(&bs, m, 60);
	T_CHECK(bs.npairs <= 100 && bs.npairs >= 59, "pairs: a common value stays near the cap");
	T_INTEQ(bs.capped, 1, "pairs: the block is counted as capped");
	free(bs.pairs);
	free(m->rule[0].src);
	m->nrule = 0;
}

int
main(void)
{
	struct match_conf *m = match_conf_new();

	fs_model_default(&md);
	test_rules(m);
	test_keys(m);
	test_pairs(m);
	match_conf_free(m);
	return t_done();
}
