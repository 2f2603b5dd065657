/*
 * recommend_ease.c - EASE (Steck 2019, "Embarrassingly Shallow
 * Autoencoders for Sparse Data"): the item-item weight matrix B that
 * best reconstructs X from X B with a zero diagonal, in closed form:
 *   P = (X'X + lambda I)^-1,  B(i, j) = -P(i, j) / P(j, j),  B(j, j) = 0.
 * It learns negative as well as positive weights and discounts what
 * several of a person's items already explain, which is why it beats
 * plain co-occurrence in published comparisons.
 *
 * The inverse is computed in plain C: Cholesky factor L of the
 * symmetric positive definite G + lambda I, then one column of P per
 * forward and back substitution, the columns shared by two threads.
 * About m^3 multiply-adds: m = 2000 takes a few seconds on one core.
 * Each item keeps its K largest positive weights.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "recommend.h"

#define REC_THREADS 2

/* Sum of a[i] * b[i]: four partial sums so the loop pipelines. */
static double
dot(const double *a, const double *b, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/* In place: lower triangle of a (row-major m x m) becomes L.  -1 if not SPD. */
static int
cholesky(double *a, size_t m)
{
	for (size_t j = 0; j < m; j++) {
		double *rj = a + j * m, djj = rj[j] - dot(rj, rj, j);

		if (!(djj > 0))
			return -1;
		djj = sqrt(djj);
		rj[j] = djj;
		for (size_t i = j + 1; i < m; i++) {
			double *ri = a + i * m;

			ri[j] = (ri[j] - dot(ri, rj, j)) / djj;
		}
	}
	return 0;
}

struct solve_job {
	const double *l, *u;	/* L and its transpose, row-major */
	double *p;		/* P, column j written as row j (P is symmetric) */
	size_t m, first, step;
};

/* Columns first, first + step, ...: L y = e_j, then L' p = y. */
static void *
solve_columns(void *arg)
{
	struct solve_job *jb = arg;
	size_t m = jb->m;
	double *y = xcalloc(m ? m : 1, sizeof *y);

	for (size_t j = jb->first; j < m; j += jb->step) {
		double *p = jb->p + j * m;

		memset(y, 0, m * sizeof *y);
		for (size_t i = j; i < m; i++) {
			const double *li = jb->l + i * m;

			y[i] = ((i == j ? 1.0 : 0.0) - dot(li + j, y + j, i - j)) / li[i];
		}
		for (size_t i = m; i-- > 0;) {
			const double *ui = jb->u + i * m;

			p[i] = (y[i] - dot(ui + i + 1, p + i + 1, m - i - 1)) / ui[i];
		}
	}
	free(y);
	return NULL;
}

int
rec_ease_solve(double *g, size_t m, double lambda, double *b)
{
	double *u, *p;
	pthread_t th[REC_THREADS];
	struct solve_job jobs[REC_THREADS];
	int started[REC_THREADS] = { 0 };

	for (size_t i = 0; i < m; i++)
		g[i * m + i] += lambda;
	if (cholesky(g, m) < 0)
		return cdp_seterr("EASE: the item matrix is not positive definite (raise --lambda)");
	u = xmalloc((m ? m * m : 1) * sizeof *u);
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j <= i; j++)
			u[j * m + i] = g[i * m + j];
	p = b;
	for (int t = 0; t < REC_THREADS; t++) {
		jobs[t] = (struct solve_job){ g, u, p, m, (size_t)t, REC_THREADS };
		if (t > 0 && m >= 256)
			started[t] = pthread_create(&th[t], NULL, solve_columns, &jobs[t]) == 0;
	}
	solve_columns(&jobs[0]);
	for (int t = 1; t < REC_THREADS; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			solve_columns(&jobs[t]);
	}
	free(u);
	/* B(i, j) = -P(i, j) / P(j, j), in place over P: diagonal last */
	{
		double *dg = xmalloc((m ? m : 1) * sizeof *dg);

		for (size_t j = 0; j < m; j++)
			dg[j] = p[j * m + j];
		for (size_t i = 0; i < m; i++)
			for (size_t j = 0; j < m; j++)
				b[i * m + j] = i == j ? 0.0 : -p[i * m + j] / dg[j];
		free(dg);
	}
	return 0;
}

int
rec_ease(const struct rec_config *c, const struct rec_data *d, const uint32_t *top, size_t m,
    struct rec_model *out)
{
	double *g = rec_gram(d, top, m, 0), *b, lambda = c->lambda;

	if (lambda <= 0) {
		double tr = 0;

		for (size_t i = 0; i < m; i++)
			tr += g[i * m + i];
		lambda = m ? 0.5 * tr / (double)m : 1;
		if (lambda < 1)
			lambda = 1;
	}
	b = xmalloc((m ? m * m : 1) * sizeof *b);
	if (rec_ease_solve(g, m, lambda, b) < 0) {
		free(g);
		free(b);
		return -1;
	}
	free(g);
	rec_rows_topk(out, d->nitems, top, m, b, c->neighbors);
	free(b);
	return 0;
}
