/*
 * recommend_rank.c - from a model and a profile's history to its top N.
 *
 * Score of item j: the sum over the profile's items i of
 * log(1 + weight(i)) * w(i, j).  Candidates are the items with a
 * positive score, less what the profile bought (unless repeats are
 * allowed), the excluded items and the profile's denied ones.  Then,
 * best first, an item is taken unless its group already holds
 * max_per_group picks (the diversity rule: a group is the parent
 * product when the events name one, else the name up to a variant
 * separator " - ", " (", " / ", ", " or " | ", else the item itself).
 * Places left are filled from the popularity order under the same
 * rules, so everyone gets N picks while the catalogue allows.
 *
 * The ranker keeps one score per item and a list of touched items, so
 * a profile costs O(history x K), never O(items).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend.h"

#define REC_POOL_FACTOR 4	/* candidates kept per pick for the diversity pass */

void
rec_filter_init(struct rec_filter *f)
{
	memset(f, 0, sizeof *f);
	f->n = 10;
	f->max_per_group = 2;
}

void
rec_filter_free(struct rec_filter *f)
{
	strmap_free(&f->exclude);
	u64set_free(&f->deny);
}

uint64_t
rec_deny_key(int64_t pid, const char *item, size_t len)
{
	return hash_bytes(item, len) ^ ((uint64_t)pid * 0x9e3779b97f4a7c15ull);
}

/* The first field of a line: up to a comma or tab, blanks and quotes trimmed. */
static const char *
first_field(char *line, size_t *len, char **rest)
{
	char *p = line, *end;

	p[strcspn(p, "\r\n")] = '\0';
	while (*p == ' ')
		p++;
	end = p + strcspn(p, ",\t");
	*rest = *end ? end + 1 : end;
	while (end > p && end[-1] == ' ')
		end--;
	if (end - p >= 2 && *p == '"' && end[-1] == '"')
		p++, end--;
	*len = (size_t)(end - p);
	return p;
}

int
rec_filter_read_exclude(struct rec_filter *f, FILE *in, const char *name)
{
	char *line = NULL, *rest;
	size_t cap = 0;

	(void)name;
	while (getline(&line, &cap, in) > 0) {
		size_t len;
		const char *s = first_field(line, &len, &rest);

		if (len && *s != '#')
			strmap_put(&f->exclude, s, len, 1);
	}
	free(line);
	return ferror(in) ? cdp_seterr("%s: read error", name) : 0;
}

int
rec_filter_read_deny(struct rec_filter *f, FILE *in, const char *name)
{
	char *line = NULL, *rest, *end;
	size_t cap = 0, lineno = 0;

	while (getline(&line, &cap, in) > 0) {
		size_t len, ilen;
		const char *s = first_field(line, &len, &rest), *item;
		long long pid;

		lineno++;
		if (!len || *s == '#')
			continue;
		pid = strtoll(s, &end, 10);
		if (end != s + len || pid <= 0) {
			if (lineno == 1)
				continue;	/* a header */
			free(line);
			return cdp_seterr("%s:%zu: not a profile id", name, lineno);
		}
		item = first_field(rest, &ilen, &rest);
		if (!ilen) {
			free(line);
			return cdp_seterr("%s:%zu: no item after the profile id", name, lineno);
		}
		u64set_add(&f->deny, rec_deny_key(pid, item, ilen));
	}
	free(line);
	return ferror(in) ? cdp_seterr("%s: read error", name) : 0;
}

void
rec_ranker_init(struct rec_ranker *r, const struct rec_model *m, const struct rec_data *d,
    const struct rec_filter *f, const uint32_t *popular, size_t npopular)
{
	memset(r, 0, sizeof *r);
	r->m = m;
	r->d = d;
	r->f = f;
	r->popular = popular;
	r->npopular = npopular;
	r->acc = xcalloc(m->nitems ? m->nitems : 1, sizeof *r->acc);
	r->seen = xcalloc(m->nitems ? m->nitems : 1, 1);
	r->touched = xmalloc((m->nitems ? m->nitems : 1) * sizeof *r->touched);
	for (size_t i = 0; i < npopular; i++)
		r->poptotal += m->items[popular[i]].pop;
}

void
rec_ranker_free(struct rec_ranker *r)
{
	free(r->acc);
	free(r->seen);
	free(r->touched);
}

/* Whether j may be shown to pid at all. */
static int
allowed(const struct rec_ranker *r, int64_t pid, uint32_t j)
{
	const struct rec_item *x = &r->m->items[j];
	size_t len;

	if (r->seen[j] == 2 && !r->f->allow_repeat)
		return 0;
	if (!r->f->exclude.count && !r->f->deny.count && !r->f->deny.has_zero)
		return 1;
	len = strlen(x->key);
	if (r->f->exclude.count && strmap_get(&r->f->exclude, x->key, len) >= 0)
		return 0;
	if ((r->f->deny.count || r->f->deny.has_zero) &&
	    u64set_has(&r->f->deny, rec_deny_key(pid, x->key, len)))
		return 0;
	return 1;
}

/* Diversity: j's group holds fewer than max_per_group of the picks. */
static int
diverse(const struct rec_ranker *r, const struct rec_pick *out, size_t n, uint32_t j)
{
	size_t same = 0;

	for (size_t i = 0; i < n; i++) {
		if (out[i].item == j)
			return 0;
		if (r->f->max_per_group &&
		    strcmp(r->m->items[out[i].item].group, r->m->items[j].group) == 0)
			same++;
	}
	return !r->f->max_per_group || same < r->f->max_per_group;
}

static void
accumulate(struct rec_ranker *r, long u)
{
	const struct rec_data *d = r->d;
	const struct rec_model *m = r->m;

	for (uint64_t p = d->uptr[u]; p < d->uptr[u + 1]; p++) {
		uint32_t i = d->uitem[p];
		double x = log1p(d->uw[p]);

		r->seen[i] = d->ubought[p] ? 2 : r->seen[i] ? r->seen[i] : 1;
		for (uint64_t q = m->nptr[i]; q < m->nptr[i + 1]; q++) {
			uint32_t j = m->nbr[q];

			if (r->acc[j] == 0)
				r->touched[r->ntouched++] = j;
			r->acc[j] += x * m->nw[q];
			if (r->acc[j] == 0)
				r->acc[j] = 1e-300;	/* stays "touched" */
		}
	}
}

static int
cmp_pick(const void *p, const void *q)
{
	const struct rec_pick *a = p, *b = q;

	if (a->score != b->score)
		return (a->score < b->score) - (a->score > b->score);
	return (a->item > b->item) - (a->item < b->item);
}

/* The best `want` allowed candidates, sorted: a bounded min-heap by score. */
static size_t
best_candidates(struct rec_ranker *r, int64_t pid, struct rec_pick *pool, size_t want)
{
	size_t n = 0;

	for (size_t t = 0; t < r->ntouched; t++) {
		uint32_t j = r->touched[t];
		struct rec_pick c = { j, r->acc[j], 0 };

		if (!(c.score > 1e-12) || !allowed(r, pid, j))
			continue;
		if (n < want) {
			size_t i = n++;

			while (i && cmp_pick(&pool[(i - 1) / 2], &c) < 0) {
				pool[i] = pool[(i - 1) / 2];
				i = (i - 1) / 2;
			}
			pool[i] = c;
		} else if (cmp_pick(&c, &pool[0]) < 0) {
			size_t i = 0;

			for (;;) {
				size_t l = 2 * i + 1, w = l;

				if (l >= n)
					break;
				if (l + 1 < n && cmp_pick(&pool[l + 1], &pool[l]) > 0)
					w = l + 1;
				if (cmp_pick(&pool[w], &c) <= 0)
					break;
				pool[i] = pool[w];
				i = w;
			}
			pool[i] = c;
		}
	}
	qsort(pool, n, sizeof *pool, cmp_pick);
	return n;
}

static void
reset(struct rec_ranker *r, long u)
{
	for (size_t t = 0; t < r->ntouched; t++)
		r->acc[r->touched[t]] = 0;
	r->ntouched = 0;
	if (u >= 0)
		for (uint64_t p = r->d->uptr[u]; p < r->d->uptr[u + 1]; p++)
			r->seen[r->d->uitem[p]] = 0;
}

size_t
rec_rank(struct rec_ranker *r, int64_t pid, long u, struct rec_pick *out)
{
	size_t want = r->f->n, got = 0, npool;
	size_t poolcap = want * REC_POOL_FACTOR + 8;
	struct rec_pick stackpool[128], *pool = poolcap <= 128 ? stackpool : xmalloc(poolcap * sizeof *pool);
	double total = r->poptotal;

	if (u >= 0)
		accumulate(r, u);
	npool = best_candidates(r, pid, pool, poolcap);
	for (size_t i = 0; i < npool && got < want; i++)
		if (diverse(r, out, got, pool[i].item))
			out[got++] = pool[i];
	for (size_t i = 0; i < r->npopular && got < want; i++) {
		uint32_t j = r->popular[i];

		if (allowed(r, pid, j) && diverse(r, out, got, j)) {
			double s = total > 0 ? r->m->items[j].pop / total : 0;

			/* never above the pick before it: ranks and scores agree */
			if (got && out[got - 1].score < s)
				s = out[got - 1].score;
			out[got++] = (struct rec_pick){ j, s, 1 };
		}
	}
	if (pool != stackpool)
		free(pool);
	reset(r, u);
	return got;
}

struct because {
	uint32_t i;
	double w, x;
};

static int
cmp_because(const void *p, const void *q)
{
	const struct because *a = p, *b = q;
	double x = a->w * a->x, y = b->w * b->x;

	return (x < y) - (x > y);
}

void
rec_explain(const struct rec_ranker *r, long u, uint32_t j, FILE *out)
{
	const struct rec_data *d = r->d;
	const struct rec_model *m = r->m;
	struct because *b;
	size_t n = 0;

	if (u < 0)
		return;
	b = xmalloc((d->uptr[u + 1] - d->uptr[u] + 1) * sizeof *b);
	for (uint64_t p = d->uptr[u]; p < d->uptr[u + 1]; p++) {
		uint32_t i = d->uitem[p];

		for (uint64_t q = m->nptr[i]; q < m->nptr[i + 1]; q++)
			if (m->nbr[q] == j)
				b[n++] = (struct because){ i, m->nw[q], log1p(d->uw[p]) };
	}
	qsort(b, n, sizeof *b, cmp_because);
	for (size_t k = 0; k < n && k < 5; k++) {
		const struct rec_item *x = &m->items[b[k].i];

		fprintf(out, "     because of %s%s%s%s: weight %.4f x interest %.3f = %.4f\n", x->key,
		    x->name ? " (" : "", x->name ? x->name : "", x->name ? ")" : "", b[k].w, b[k].x,
		    b[k].w * b[k].x);
	}
	if (n > 5)
		fprintf(out, "     and %zu more of the profile's items\n", n - 5);
	free(b);
}

/* ---- evaluation ------------------------------------------------------------ */

int
rec_evaluate(struct rec_ranker *r, size_t k, struct rec_metrics *out)
{
	const struct rec_data *d = r->d;
	struct rec_pick *picks = xmalloc((k ? k : 1) * sizeof *picks);
	double t0 = now_seconds(), idcg[64] = { 0 };

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < 64; i++)
		idcg[i] = (i ? idcg[i - 1] : 0) + 1.0 / log2((double)i + 2);
	for (size_t u = 0; d->tptr && u < d->nusers; u++) {
		size_t ntest = 0, hits = 0, np;
		double dcg = 0;

		if (d->uptr[u] == d->uptr[u + 1] || d->tptr[u] == d->tptr[u + 1])
			continue;
		/* what is new to the person: bought before the cut does not count */
		for (uint64_t p = d->tptr[u]; p < d->tptr[u + 1]; p++) {
			int old = 0;

			for (uint64_t q = d->uptr[u]; q < d->uptr[u + 1] && !r->f->allow_repeat; q++)
				if (d->uitem[q] == d->titem[p] && d->ubought[q])
					old = 1;
			ntest += !old;
		}
		if (!ntest)
			continue;
		np = rec_rank(r, d->users[u], (long)u, picks);
		for (size_t i = 0; i < np; i++)
			for (uint64_t p = d->tptr[u]; p < d->tptr[u + 1]; p++)
				if (d->titem[p] == picks[i].item) {
					hits++;
					dcg += 1.0 / log2((double)i + 2);
					break;
				}
		out->users++;
		out->hit += hits > 0;
		out->recall += (double)hits / (double)(ntest < k ? ntest : k);
		out->ndcg += dcg / idcg[(ntest < k ? ntest : k) - 1 < 63 ? (ntest < k ? ntest : k) - 1 : 63];
	}
	if (out->users) {
		out->hit /= (double)out->users;
		out->recall /= (double)out->users;
		out->ndcg /= (double)out->users;
	}
	out->seconds = now_seconds() - t0;
	free(picks);
	return 0;
}

/* ---- a stored model over fresh data --------------------------------------- */

int
rec_data_remap(struct rec_data *d, const struct rec_model *m)
{
	struct strmap keys = { 0 };
	uint32_t *map = xmalloc((d->nitems ? d->nitems : 1) * sizeof *map);
	uint64_t out = 0;

	for (size_t i = 0; i < m->nitems; i++)
		strmap_put(&keys, m->items[i].key, strlen(m->items[i].key), (long)i);
	for (size_t i = 0; i < d->nitems; i++) {
		long k = strmap_get(&keys, d->items[i].key, strlen(d->items[i].key));

		map[i] = k < 0 ? UINT32_MAX : (uint32_t)k;
	}
	for (size_t u = 0; u < d->nusers; u++) {
		uint64_t a = d->uptr[u], b = d->uptr[u + 1];

		d->uptr[u] = out;
		for (uint64_t p = a; p < b; p++) {
			if (map[d->uitem[p]] == UINT32_MAX)
				continue;
			d->uitem[out] = map[d->uitem[p]];
			d->uw[out] = d->uw[p];
			d->ubought[out++] = d->ubought[p];
		}
	}
	d->uptr[d->nusers] = out;
	for (size_t u = 0; d->ucart && u < d->nusers; u++)
		if (d->ucart[u] != UINT32_MAX)
			d->ucart[u] = map[d->ucart[u]];
	free(map);
	strmap_free(&keys);
	return 0;
}
