/*
 * recommend_knn.c - item-to-item collaborative filtering (Linden, Smith
 * and York 2003): how often two items meet in one person's history,
 * corrected for popularity, so a best-seller is not everyone's nearest
 * neighbour.
 *
 * Over the M most popular items, the Gram matrix G = X'X of the
 * profile x item matrix (x = log(1 + decayed weight)) is accumulated
 * densely; then
 *   cosine  s(a, b) = G(a, b) / sqrt(G(a, a) G(b, b))
 *   llr     Dunning's log-likelihood ratio of the 2x2 table of people
 *           with a, b, both or neither (binary x), signed so items that
 *           meet less often than chance score 0
 * and each item keeps its K best neighbours.  A person's history is
 * capped at REC_MAX_HISTORY items (the heaviest) so one crawler cannot
 * cost M^2 work on its own.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend.h"

#define REC_MAX_HISTORY 300

struct hx {
	uint32_t a;
	double x;
};

static int
cmp_hx_x(const void *p, const void *q)
{
	const struct hx *a = p, *b = q;

	return (a->x < b->x) - (a->x > b->x);
}

double *
rec_gram(const struct rec_data *d, const uint32_t *top, size_t m, int binary)
{
	uint32_t *pos = xmalloc((d->nitems ? d->nitems : 1) * sizeof *pos);
	double *g = xcalloc(m ? m * m : 1, sizeof *g);
	struct hx *h = xmalloc(REC_MAX_HISTORY * 4 * sizeof *h);

	for (size_t i = 0; i < d->nitems; i++)
		pos[i] = UINT32_MAX;
	for (size_t k = 0; k < m; k++)
		pos[top[k]] = (uint32_t)k;
	for (size_t u = 0; u < d->nusers; u++) {
		size_t n = 0;

		for (uint64_t p = d->uptr[u]; p < d->uptr[u + 1]; p++) {
			uint32_t a = pos[d->uitem[p]];

			if (a == UINT32_MAX)
				continue;
			if (n == REC_MAX_HISTORY * 4) {
				qsort(h, n, sizeof *h, cmp_hx_x);
				n = REC_MAX_HISTORY;
			}
			h[n++] = (struct hx){ a, binary ? 1.0 : log1p(d->uw[p]) };
		}
		if (n > REC_MAX_HISTORY) {
			qsort(h, n, sizeof *h, cmp_hx_x);
			n = REC_MAX_HISTORY;
		}
		for (size_t i = 0; i < n; i++) {
			double *row = g + (size_t)h[i].a * m, xi = h[i].x;

			for (size_t j = 0; j < n; j++)
				row[h[j].a] += xi * h[j].x;
		}
	}
	free(h);
	free(pos);
	return g;
}

double
rec_llr(double k11, double k12, double k21, double k22)
{
#define XLX(x) ((x) > 0 ? (x) * log(x) : 0.0)
	double n = k11 + k12 + k21 + k22;
	double rows = XLX(k11 + k12) + XLX(k21 + k22) - XLX(n);
	double cols = XLX(k11 + k21) + XLX(k12 + k22) - XLX(n);
	double mat = XLX(k11) + XLX(k12) + XLX(k21) + XLX(k22) - XLX(n);
#undef XLX
	double llr = 2.0 * (mat - rows - cols);

	return llr < 0 ? 0 : llr;
}

struct cand {
	uint32_t b;
	double s;
};

static int
cmp_cand(const void *p, const void *q)
{
	const struct cand *a = p, *b = q;

	if (a->s != b->s)
		return (a->s < b->s) - (a->s > b->s);
	return (a->b > b->b) - (a->b < b->b);
}

void
rec_rows_topk(struct rec_model *out, size_t nitems, const uint32_t *top, size_t m,
    const double *s, size_t k)
{
	struct cand *c = xmalloc((m ? m : 1) * sizeof *c);
	uint64_t total = 0;

	out->nitems = nitems;
	out->nptr = xcalloc(nitems + 1, sizeof *out->nptr);
	out->nbr = xmalloc((m && k ? m * k : 1) * sizeof *out->nbr);
	out->nw = xmalloc((m && k ? m * k : 1) * sizeof *out->nw);
	/* counts first, by data item index; rows in top order */
	for (size_t a = 0; a < m; a++) {
		size_t nc = 0;

		for (size_t b = 0; b < m; b++)
			if (b != a && s[a * m + b] > 0)
				c[nc++] = (struct cand){ (uint32_t)b, s[a * m + b] };
		qsort(c, nc, sizeof *c, cmp_cand);
		if (nc > k)
			nc = k;
		out->nptr[top[a] + 1] = nc;
		for (size_t i = 0; i < nc; i++) {
			out->nbr[total + i] = top[c[i].b];
			out->nw[total + i] = (float)c[i].s;
		}
		total += nc;
	}
	/* rows were written in top order: move them into item order */
	{
		uint64_t *start = xmalloc((nitems + 1) * sizeof *start), at = 0;
		uint32_t *nb = xmalloc((total ? total : 1) * sizeof *nb);
		float *nw = xmalloc((total ? total : 1) * sizeof *nw);

		for (size_t a = 0; a < m; a++) {
			start[top[a]] = at;
			at += out->nptr[top[a] + 1];
		}
		for (size_t i = 0; i < nitems; i++)
			out->nptr[i + 1] += out->nptr[i];
		for (size_t i = 0; i < nitems; i++) {
			size_t len = out->nptr[i + 1] - out->nptr[i];

			if (!len)
				continue;
			memcpy(nb + out->nptr[i], out->nbr + start[i], len * sizeof *nb);
			memcpy(nw + out->nptr[i], out->nw + start[i], len * sizeof *nw);
		}
		free(out->nbr);
		free(out->nw);
		out->nbr = nb;
		out->nw = nw;
		free(start);
	}
	free(c);
}

int
rec_knn(const struct rec_config *cfg, const struct rec_data *d, const uint32_t *top, size_t m,
    struct rec_model *out)
{
	int llr = cfg->similarity == REC_LLR;
	double *g = rec_gram(d, top, m, llr), *s = xmalloc((m ? m * m : 1) * sizeof *s);
	double n = (double)d->nusers;

	for (size_t a = 0; a < m; a++)
		for (size_t b = 0; b < m; b++) {
			double gab = g[a * m + b], ga = g[a * m + a], gb = g[b * m + b];

			if (gab <= 0 || a == b) {
				s[a * m + b] = 0;
			} else if (!llr) {
				s[a * m + b] = gab / sqrt(ga * gb);
			} else {
				double k11 = gab, k12 = ga - gab, k21 = gb - gab;
				double k22 = n - k11 - k12 - k21;

				/* only pairs that meet more often than chance */
				s[a * m + b] = k11 * n > ga * gb ? rec_llr(k11, k12, k21, k22 > 0 ? k22 : 0) : 0;
			}
		}
	free(g);
	rec_rows_topk(out, d->nitems, top, m, s, cfg->neighbors);
	free(s);
	return 0;
}
