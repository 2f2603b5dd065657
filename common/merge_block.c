/*
 * merge_block.c - candidate pairs for probabilistic matching: records
 * are compared only with records that share a blocking key under at
 * least one block-on rule.  A key shared by very many records (a
 * common surname in a big city) would give a quadratic number of
 * pairs; past block-cap pairs, each new record is compared only with
 * its nearest neighbours in name order within the block, so the count
 * stays at about block-cap per key value.
 *
 * Only pairs with at least one new record and whose two sides are not
 * in one profile already are made: an incremental run costs what its
 * batch brings.
 */
#include <stdlib.h>
#include <string.h>

#include "merge_block.h"
#include "util.h"

/* The text of one field of a prepared record; "" when missing. */
static const char *
field_text(const struct fs_rec *r, const struct bterm *t, char *buf, size_t bufsz)
{
	switch (t->field) {
	case MF_FIRST:
		return t->soundex ? r->first_sx : r->first;
	case MF_LAST:
		return t->soundex ? r->last_sx : r->last;
	case MF_BIRTH:
		if (r->year == 0)
			return "";
		snprintf(buf, bufsz, "%04d%02d%02d", r->year, r->month, r->day);
		return buf;
	case MF_POSTCODE:
		return r->postcode;
	case MF_STREET:
		return r->street;
	case MF_HOUSE:
		return r->house;
	case MF_CITY:
		return r->city;
	case MF_PHONE:
		return r->phone;
	case MF_EMAIL:
		return r->email_local;
	case MF_EXTRA:
		return r->extra[t->extra];
	}
	return "";
}

/* The key of r under rule ru, or 0 when a field it needs is missing. */
uint64_t
block_key(const struct brule *ru, const struct fs_rec *r)
{
	uint64_t h = 1469598103934665603ULL;
	char buf[16];

	for (int k = 0; k < ru->nterm; k++) {
		const struct bterm *t = &ru->t[k];
		const char *s = field_text(r, t, buf, sizeof buf);
		size_t n = strlen(s), from = 0;

		if (n == 0)
			return 0;
		if (t->len > 0 && (size_t)t->len < n)
			n = (size_t)t->len;
		else if (t->len < 0 && (size_t)-t->len < n)
			from = n - (size_t)-t->len;
		for (size_t i = from; i < n; i++)
			h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
		h = (h ^ 0x1f) * 1099511628211ULL;
	}
	return h ? h : 1;
}

struct bkey {
	uint64_t h;
	uint32_t i;
};

static int
bkey_cmp(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static const struct bset *name_set;	/* for name_cmp: qsort has no context */

static int
name_cmp(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;
	const struct fs_rec *p = name_set->rec(name_set->ctx, x->i), *q = name_set->rec(name_set->ctx, y->i);
	int c = strcmp(p->last, q->last);

	if (c == 0)
		c = strcmp(p->first, q->first);
	return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

static void
emit(struct bset *bs, uint32_t a, uint32_t b)
{
	if (a == b || bs->cl[a] == bs->cl[b] || (!bs->isnew[a] && !bs->isnew[b]))
		return;
	if (a > b) {
		uint32_t t = a;

		a = b;
		b = t;
	}
	if (bs->npairs == bs->cappairs) {
		bs->cappairs = bs->cappairs ? bs->cappairs * 2 : 4096;
		bs->pairs = xreallocarray(bs->pairs, bs->cappairs, sizeof *bs->pairs);
	}
	bs->pairs[bs->npairs++] = (uint64_t)a << 32 | b;
}

/* Pairs of one block (one key value), k[0..n). */
static uint64_t
block_group(struct bset *bs, struct bkey *k, size_t n, uint64_t cap)
{
	size_t nnew = 0, before = bs->npairs;

	for (size_t i = 0; i < n; i++)
		nnew += bs->isnew[k[i].i] != 0;
	if (nnew == 0 || n < 2)
		return 0;
	if ((uint64_t)nnew * (n - nnew) + (uint64_t)nnew * (nnew - 1) / 2 <= cap) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				emit(bs, k[i].i, k[j].i);
		return bs->npairs - before;
	}
	/* Too common a value: each new record meets its neighbours by name. */
	size_t w = (size_t)(cap / nnew / 2);

	if (w < 1)
		w = 1;
	name_set = bs;
	qsort(k, n, sizeof *k, name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!bs->isnew[k[i].i])
			continue;
		for (size_t j = i > w ? i - w : 0; j < n && j <= i + w; j++)
			if (j != i && (j > i || !bs->isnew[k[j].i]))
				emit(bs, k[i].i, k[j].i);
	}
	bs->capped++;
	return bs->npairs - before;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * All candidate pairs of the n records under the rules: bs->pairs gets
 * them sorted and unique (a << 32 | b, a < b), bs->rule_pairs[r] how
 * many each rule proposed.
 */
void
block_pairs(struct bset *bs, const struct match_conf *m, size_t n)
{
	struct bkey *k = xcalloc(n ? n : 1, sizeof *k);

	bs->npairs = 0;
	for (int r = 0; r < m->nrule; r++) {
		size_t nk = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t h = block_key(&m->rule[r], bs->rec(bs->ctx, (uint32_t)i));

			if (h)
				k[nk++] = (struct bkey){ h, (uint32_t)i };
		}
		if (nk)
			qsort(k, nk, sizeof *k, bkey_cmp);
		for (size_t s = 0, e; s < nk; s = e) {
			for (e = s + 1; e < nk && k[e].h == k[s].h; e++)
				;
			bs->rule_pairs[r] += block_group(bs, k + s, e - s, m->block_cap);
		}
	}
	free(k);
	if (bs->npairs)
		qsort(bs->pairs, bs->npairs, sizeof *bs->pairs, u64_cmp);
	size_t u = 0;

	for (size_t i = 0; i < bs->npairs; i++)
		if (u == 0 || bs->pairs[u - 1] != bs->pairs[i])
			bs->pairs[u++] = bs->pairs[i];
	bs->npairs = u;
}
