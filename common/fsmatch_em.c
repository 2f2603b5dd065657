/*
 * fsmatch_em.c - training without labels.  Comparison vectors are
 * counted once per distinct vector (a million blocked pairs make a few
 * thousand distinct vectors), so an EM round costs the distinct count,
 * not the pair count.
 *
 * u comes from random pairs, which are almost all non-matches, so the
 * share of each level among them estimates u directly.  m and lambda
 * come from EM over blocked pairs under conditional independence of
 * the comparisons given match status (Fellegi-Sunter; Winkler 1988),
 * holding u fixed as Splink does: with u known the mixture is
 * identified and EM cannot swap the two classes.  Comparisons of one
 * group (fsmatch.h) are dependent by design; the E-step scores them as
 * fs_score does, and the M-step still estimates each one's m.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fsmatch.h"
#include "util.h"

#define M_FLOOR 1e-6	/* no m reaches 0, so every level keeps a finite weight */
#define U_FLOOR 1e-9	/* nor any u, even with pinned values summing to 1 */

void
fs_vecset_init(struct fs_vecset *vs)
{
	memset(vs, 0, sizeof *vs);
}

void
fs_vecset_free(struct fs_vecset *vs)
{
	free(vs->vec);
	free(vs->count);
	free(vs->slot);
	fs_vecset_init(vs);
}

static size_t
vec_slot(const struct fs_vecset *vs, fs_vec v)
{
	size_t i = (size_t)((v * 0x9e3779b97f4a7c15ULL) >> 20) & (vs->nslot - 1);

	while (vs->slot[i] && vs->vec[vs->slot[i] - 1] != v)
		i = (i + 1) & (vs->nslot - 1);
	return i;
}

static void
vecset_grow(struct fs_vecset *vs)
{
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 256;
		vs->vec = xreallocarray(vs->vec, vs->cap, sizeof *vs->vec);
		vs->count = xreallocarray(vs->count, vs->cap, sizeof *vs->count);
	}
	if ((vs->n + 1) * 2 > vs->nslot) {
		free(vs->slot);
		vs->nslot = vs->nslot ? vs->nslot * 2 : 512;
		vs->slot = xcalloc(vs->nslot, sizeof *vs->slot);
		for (size_t k = 0; k < vs->n; k++)
			vs->slot[vec_slot(vs, vs->vec[k])] = (uint32_t)(k + 1);
	}
}

void
fs_vecset_add(struct fs_vecset *vs, fs_vec v, uint64_t count)
{
	size_t s;

	vecset_grow(vs);
	s = vec_slot(vs, v);
	if (!vs->slot[s]) {
		vs->vec[vs->n] = v;
		vs->count[vs->n] = 0;
		vs->slot[s] = (uint32_t)++vs->n;
	}
	vs->count[vs->slot[s] - 1] += count;
	vs->total += count;
}

/*
 * Spread what the pinned values of p leave (1 - their sum) over the free
 * levels in proportion to est; est[l] is free level l's raw estimate.
 * Returns the largest change made.
 */
static double
share_free(double *p, const unsigned char *pin, const double *est, int nlevels, double floor)
{
	double pinned = 0, freesum = 0, moved = 0;

	for (int l = 1; l < nlevels; l++) {
		if (pin[l])
			pinned += p[l];
		else
			freesum += est[l];
	}
	if (freesum <= 0)
		return 0;
	for (int l = 1; l < nlevels; l++) {
		double v;

		if (pin[l])
			continue;
		v = (1 - pinned) * est[l] / freesum;
		if (v < floor)
			v = floor;
		if (fabs(v - p[l]) > moved)
			moved = fabs(v - p[l]);
		p[l] = v;
	}
	return moved;
}

int
fs_estimate_u(struct fs_model *model, const struct fs_vecset *vs)
{
	if (vs->n == 0)
		return cdp_seterr("no comparison vectors of random pairs to estimate u from");
	for (int k = 0; k < model->ncomp; k++) {
		struct fs_comp *c = &model->comp[k];
		double cnt[FS_MAX_LEVELS] = { 0 }, seen = 0;

		for (size_t i = 0; i < vs->n; i++) {
			int l = fs_vec_level(vs->vec[i], k);

			if (l > 0 && l < c->nlevels) {
				cnt[l] += (double)vs->count[i];
				seen += (double)vs->count[i];
			}
		}
		if (seen == 0)
			continue;	/* never present: keep the defaults */
		/* add-one smoothing: a level never seen among random pairs is
		 * rare, not impossible */
		for (int l = 1; l < c->nlevels; l++)
			cnt[l] += 1;
		share_free(c->u, c->pin_u, cnt, c->nlevels, U_FLOOR);
	}
	return 0;
}

/* ln(m/u) of every level, for one EM round. */
static void
em_logs(const struct fs_model *model, double lw[][FS_MAX_LEVELS])
{
	for (int k = 0; k < model->ncomp; k++) {
		lw[k][0] = 0;
		for (int l = 1; l < model->comp[k].nlevels; l++)
			lw[k][l] = log(model->comp[k].m[l] / model->comp[k].u[l]);
	}
}

/*
 * One EM round; returns the largest change of any free parameter.  The
 * posterior of a vector is the one scoring uses (groups count once), so
 * training and scoring agree on what a vector says.
 */
static double
em_round(struct fs_model *model, const struct fs_vecset *vs)
{
	double lw[FS_MAX_COMP][FS_MAX_LEVELS];
	double msum[FS_MAX_COMP][FS_MAX_LEVELS] = { { 0 } }, ptot = 0, moved = 0;
	double prior = log(model->lambda / (1 - model->lambda));

	em_logs(model, lw);
	for (size_t i = 0; i < vs->n; i++) {
		int lev[FS_MAX_COMP];
		double w[FS_MAX_COMP], p, cp;

		for (int k = 0; k < model->ncomp; k++) {
			lev[k] = fs_vec_level(vs->vec[i], k);
			if (lev[k] >= model->comp[k].nlevels)
				lev[k] = 0;	/* not a level: no evidence */
			w[k] = lw[k][lev[k]];
		}
		p = 1 / (1 + exp(-(prior + fs_combine(model, lev, w, NULL))));	/* P(match | vector) */
		cp = p * (double)vs->count[i];
		ptot += cp;
		for (int k = 0; k < model->ncomp; k++)
			msum[k][lev[k]] += cp;
	}
	for (int k = 0; k < model->ncomp; k++) {
		struct fs_comp *c = &model->comp[k];
		double d = share_free(c->m, c->pin_m, msum[k], c->nlevels, M_FLOOR);

		if (d > moved)
			moved = d;
	}
	if (!model->pin_lambda) {
		double lam = ptot / (double)vs->total;

		lam = lam < 1e-9 ? 1e-9 : lam > 1 - 1e-9 ? 1 - 1e-9 : lam;
		if (fabs(lam - model->lambda) > moved)
			moved = fabs(lam - model->lambda);
		model->lambda = lam;
	}
	return moved;
}

int
fs_em(struct fs_model *model, const struct fs_vecset *vs, int max_iter, double tol)
{
	int it;

	if (vs->n == 0 || vs->total == 0)
		return cdp_seterr("no comparison vectors of blocked pairs to train on");
	for (it = 1; it <= max_iter; it++)
		if (em_round(model, vs) < tol)
			break;
	return it > max_iter ? max_iter : it;
}
