/*
 * fsmatch_model.c - the Fellegi-Sunter model: comparisons and levels,
 * default parameters, match weights with term-frequency adjustment,
 * and the tf tables.  Training is in fsmatch_em.c.
 *
 * A weight is log2(m/u) in bits.  Level 0 (a value missing on either
 * side) is no evidence and weighs 0, as in Fellegi and Sunter's
 * treatment of missing fields and in Splink.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fsmatch.h"
#include "util.h"

static const char *const builtin_name[FS_NKINDS] = {
	"first_name", "last_name", "birth_date", "postal_code", "street", "city",
	"phone", "email", "column",
};

/* Level names per kind; [0] is always "missing", the last "else". */
static const char *const level_names[FS_NKINDS][FS_MAX_LEVELS] = {
	[FS_FIRST_NAME] = { "missing", "exact", "nickname", "swapped", "jaro-winkler>=0.92",
		"jaro-winkler>=0.85", "initial", "else" },
	[FS_LAST_NAME] = { "missing", "exact", "jaro-winkler>=0.92", "one-part-equal",
		"jaro-winkler>=0.85", "else" },
	[FS_BIRTH_DATE] = { "missing", "exact", "day-month-swapped", "one-digit-off",
		"one-field-off", "same-year", "else" },
	[FS_POSTCODE] = { "missing", "exact", "first-3-equal", "else" },
	[FS_STREET] = { "missing", "exact", "same-number-jaro-winkler>=0.9", "else" },
	[FS_CITY] = { "missing", "exact", "jaro-winkler>=0.9", "else" },
	[FS_PHONE] = { "missing", "exact", "last-7-equal", "else" },
	[FS_EMAIL] = { "missing", "exact", "local-equal", "local-edit<=2", "else" },
	[FS_COLUMN] = { "missing", "exact", "one-edit", "jaro-winkler>=0.9", "else" },
};

/*
 * Default m and u per level (levels 1.. in order), justified in
 * man/cdp-match.5: m from how often a true duplicate's value is kept,
 * misspelt or replaced in CRM data, u from value frequencies in a
 * national population.  Each row sums to 1.
 */
static const double default_m[FS_NKINDS][FS_MAX_LEVELS] = {
	[FS_FIRST_NAME] = { 0, 0.85, 0.04, 0.01, 0.04, 0.02, 0.01, 0.03 },
	[FS_LAST_NAME] = { 0, 0.88, 0.05, 0.01, 0.02, 0.04 },
	[FS_BIRTH_DATE] = { 0, 0.90, 0.01, 0.03, 0.02, 0.01, 0.03 },
	[FS_POSTCODE] = { 0, 0.85, 0.05, 0.10 },
	[FS_STREET] = { 0, 0.80, 0.05, 0.15 },
	[FS_CITY] = { 0, 0.88, 0.03, 0.09 },
	[FS_PHONE] = { 0, 0.80, 0.03, 0.17 },
	[FS_EMAIL] = { 0, 0.80, 0.05, 0.05, 0.10 },
	[FS_COLUMN] = { 0, 0.90, 0.04, 0.02, 0.04 },
};
static const double default_u[FS_NKINDS][FS_MAX_LEVELS] = {
	[FS_FIRST_NAME] = { 0, 0.008, 0.002, 0.0001, 0.003, 0.01, 0.0007, 0.9762 },
	[FS_LAST_NAME] = { 0, 0.002, 0.002, 0.0005, 0.01, 0.9855 },
	[FS_BIRTH_DATE] = { 0, 0.00005, 0.00004, 0.0005, 0.004, 0.016, 0.97941 },
	[FS_POSTCODE] = { 0, 0.001, 0.01, 0.989 },
	[FS_STREET] = { 0, 0.0002, 0.0003, 0.9995 },
	[FS_CITY] = { 0, 0.01, 0.002, 0.988 },
	[FS_PHONE] = { 0, 0.0001, 0.0002, 0.9997 },
	[FS_EMAIL] = { 0, 0.0001, 0.0001, 0.0005, 0.9993 },
	[FS_COLUMN] = { 0, 0.01, 0.002, 0.003, 0.985 },
};

int
fs_kind_nlevels(int kind)
{
	int n = 1;

	if (kind < 0 || kind >= FS_NKINDS)
		return 0;
	while (n < FS_MAX_LEVELS && level_names[kind][n])
		n++;
	return n;
}

const char *
fs_level_name(int kind, int level)
{
	if (kind < 0 || kind >= FS_NKINDS || level < 0 || level >= fs_kind_nlevels(kind))
		return "?";
	return level_names[kind][level];
}

/* A comparison of kind with its default parameters. */
static void
comp_init(struct fs_comp *c, int kind, const char *name, int extra)
{
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->kind = kind;
	c->extra = extra;
	c->nlevels = fs_kind_nlevels(kind);
	/* a user column may be an identifier or a category: its values'
	 * frequencies tell which, and how much an exact match is worth */
	c->tf = kind == FS_FIRST_NAME || kind == FS_LAST_NAME || kind == FS_POSTCODE ||
	    kind == FS_CITY || kind == FS_COLUMN;
	for (int l = 1; l < c->nlevels; l++) {
		c->m[l] = default_m[kind][l];
		c->u[l] = default_u[kind][l];
	}
}

void
fs_model_default(struct fs_model *model)
{
	memset(model, 0, sizeof *model);
	for (int k = 0; k < FS_COLUMN; k++) {
		comp_init(&model->comp[model->ncomp], k, builtin_name[k], 0);
		if (k == FS_POSTCODE || k == FS_STREET || k == FS_CITY || k == FS_PHONE)
			strcpy(model->comp[model->ncomp].group, "household");
		model->ncomp++;
	}
	model->lambda = 0.01;
	model->match_threshold = 10;
	model->review_threshold = 2;
	model->tf_floor = 0.0001;
}

int
fs_builtin_kind(const char *name)
{
	for (int k = 0; k < FS_COLUMN; k++)
		if (strcmp(name, builtin_name[k]) == 0)
			return k;
	return -1;
}

int
fs_model_add(struct fs_model *model, int kind, const char *name, int extra)
{
	if (kind < 0 || kind >= FS_NKINDS || (kind == FS_COLUMN && (extra < 0 || extra >= FS_MAX_EXTRA)))
		return cdp_seterr("comparison \"%s\": no such kind or column", name);
	if (model->ncomp >= FS_MAX_COMP)
		return cdp_seterr("too many comparisons (at most %d)", FS_MAX_COMP);
	if (strlen(name) >= FS_NAME_MAX)
		return cdp_seterr("comparison name too long: \"%s\"", name);
	if (fs_model_find(model, name) >= 0)
		return cdp_seterr("comparison \"%s\" given twice", name);
	comp_init(&model->comp[model->ncomp], kind, name, extra);
	return model->ncomp++;
}

int
fs_model_add_column(struct fs_model *model, const char *name, int extra)
{
	if (extra < 0 || extra >= FS_MAX_EXTRA)
		return cdp_seterr("column \"%s\": at most %d user columns", name, FS_MAX_EXTRA);
	if (fs_builtin_kind(name) >= 0)
		return cdp_seterr("column \"%s\": the name of a built-in comparison", name);
	return fs_model_add(model, FS_COLUMN, name, extra);
}

void
fs_model_remove(struct fs_model *model, int i)
{
	if (i < 0 || i >= model->ncomp)
		return;
	memmove(&model->comp[i], &model->comp[i + 1],
	    (size_t)(model->ncomp - i - 1) * sizeof model->comp[0]);
	model->ncomp--;
}

int
fs_model_find(const struct fs_model *model, const char *name)
{
	for (int i = 0; i < model->ncomp; i++)
		if (strcmp(model->comp[i].name, name) == 0)
			return i;
	return -1;
}

double
fs_level_weight(const struct fs_model *model, int comp, int level)
{
	const struct fs_comp *c = &model->comp[comp];

	if (level <= 0 || level >= c->nlevels)
		return 0;
	return log2(c->m[level] / c->u[level]);
}

double
fs_prior_weight(const struct fs_model *model)
{
	return log2(model->lambda / (1 - model->lambda));
}

double
fs_probability(double weight)
{
	double e = exp2(weight);

	return isinf(e) ? 1.0 : e / (1 + e);
}

double
fs_combine(const struct fs_model *model, const int *level, double *w, int *shadowed)
{
	double alone[FS_MAX_COMP], sum = 0;

	memcpy(alone, w, (size_t)model->ncomp * sizeof w[0]);
	for (int i = 0; i < model->ncomp; i++) {
		const char *g = model->comp[i].group;
		int best = i;

		if (shadowed)
			shadowed[i] = 0;
		if (g[0] && level[i]) {
			/* the largest present weight of the group; the first on ties */
			for (int j = 0; j < model->ncomp; j++) {
				const char *h = model->comp[j].group;

				if (level[j] && h[0] == g[0] && strcmp(h, g) == 0 &&
				    (alone[j] > alone[best] || (alone[j] == alone[best] && j < best)))
					best = j;
			}
		}
		if (best != i) {
			w[i] = 0;
			if (shadowed)
				shadowed[i] = 1;
		}
		sum += w[i];
	}
	return sum;
}

double
fs_vec_weight(const struct fs_model *model, fs_vec v)
{
	int level[FS_MAX_COMP];
	double w[FS_MAX_COMP];

	for (int i = 0; i < model->ncomp; i++) {
		level[i] = fs_vec_level(v, i);
		w[i] = fs_level_weight(model, i, level[i]);
	}
	return fs_prior_weight(model) + fs_combine(model, level, w, NULL);
}

/* ---- term frequencies ---- */

/* Open addressing, key 0 = empty (prepared hashes are odd, never 0). */
struct tf_table {
	uint32_t *key, *count;
	size_t cap, n;
};

struct fs_tf {
	struct tf_table t[FS_MAX_COMP];
	uint64_t total[FS_MAX_COMP];
};

struct fs_tf *
fs_tf_new(void)
{
	return xcalloc(1, sizeof(struct fs_tf));
}

void
fs_tf_free(struct fs_tf *tf)
{
	if (!tf)
		return;
	for (int i = 0; i < FS_MAX_COMP; i++) {
		free(tf->t[i].key);
		free(tf->t[i].count);
	}
	free(tf);
}

struct fs_tf *
fs_tf_copy(const struct fs_tf *tf)
{
	struct fs_tf *c = fs_tf_new();

	for (int i = 0; i < FS_MAX_COMP; i++) {
		const struct tf_table *t = &tf->t[i];

		c->total[i] = tf->total[i];
		if (!t->cap)
			continue;
		c->t[i] = *t;
		c->t[i].key = xmalloc(t->cap * sizeof *t->key);
		c->t[i].count = xmalloc(t->cap * sizeof *t->count);
		memcpy(c->t[i].key, t->key, t->cap * sizeof *t->key);
		memcpy(c->t[i].count, t->count, t->cap * sizeof *t->count);
	}
	return c;
}

static size_t
tf_slot(const struct tf_table *t, uint32_t h)
{
	size_t i = (h * 2654435761u) & (t->cap - 1);

	while (t->key[i] && t->key[i] != h)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static void
tf_grow(struct tf_table *t)
{
	struct tf_table old = *t;

	t->cap = old.cap ? old.cap * 2 : 1024;
	t->key = xcalloc(t->cap, sizeof *t->key);
	t->count = xcalloc(t->cap, sizeof *t->count);
	for (size_t i = 0; i < old.cap; i++)
		if (old.key[i]) {
			size_t s = tf_slot(t, old.key[i]);

			t->key[s] = old.key[i];
			t->count[s] = old.count[i];
		}
	free(old.key);
	free(old.count);
}

void
fs_tf_add(struct fs_tf *tf, const struct fs_model *model, const struct fs_rec *r)
{
	for (int i = 0; i < model->ncomp; i++) {
		struct tf_table *t = &tf->t[i];
		size_t s;

		if (!model->comp[i].tf || !r->tfh[i])
			continue;
		if ((t->n + 1) * 4 > t->cap * 3)
			tf_grow(t);
		s = tf_slot(t, r->tfh[i]);
		if (!t->key[s]) {
			t->key[s] = r->tfh[i];
			t->n++;
		}
		if (t->count[s] < UINT32_MAX)
			t->count[s]++;
		tf->total[i]++;
	}
}

uint32_t
fs_tf_count(const struct fs_tf *tf, int comp, uint32_t h)
{
	const struct tf_table *t;

	if (!tf || comp < 0 || comp >= FS_MAX_COMP || !h)
		return 0;
	t = &tf->t[comp];
	return t->cap ? t->count[tf_slot(t, h)] : 0;
}

uint64_t
fs_tf_total(const struct fs_tf *tf, int comp)
{
	return tf && comp >= 0 && comp < FS_MAX_COMP ? tf->total[comp] : 0;
}

/* The weight of an exact match on the value with hash h, from its frequency. */
static int
tf_weight(const struct fs_model *model, const struct fs_tf *tf, int i, uint32_t h, double *w)
{
	uint32_t n = fs_tf_count(tf, i, h);
	uint64_t total = fs_tf_total(tf, i);
	double u;

	if (!n || !total)
		return 0;
	u = (double)n / (double)total;
	if (u < model->tf_floor)
		u = model->tf_floor;
	*w = log2(model->comp[i].m[FS_EXACT] / u);
	return 1;
}

double
fs_score(const struct fs_model *model, const struct fs_tf *tf,
    const struct fs_rec *a, const struct fs_rec *b, struct fs_explain *ex)
{
	fs_vec v = fs_compare(model, a, b);
	int level[FS_MAX_COMP], used[FS_MAX_COMP];
	double w[FS_MAX_COMP], total;

	for (int i = 0; i < model->ncomp; i++) {
		level[i] = fs_vec_level(v, i);
		used[i] = 0;
		if (level[i] == FS_EXACT && model->comp[i].tf && tf)
			used[i] = tf_weight(model, tf, i, a->tfh[i], &w[i]);
		if (!used[i])
			w[i] = fs_level_weight(model, i, level[i]);
	}
	if (ex)
		memcpy(ex->alone, w, (size_t)model->ncomp * sizeof w[0]);
	total = fs_prior_weight(model) + fs_combine(model, level, w, ex ? ex->shadowed : NULL);
	if (ex) {
		ex->ncomp = model->ncomp;
		ex->prior = fs_prior_weight(model);
		ex->total = total;
		memcpy(ex->level, level, (size_t)model->ncomp * sizeof level[0]);
		memcpy(ex->weight, w, (size_t)model->ncomp * sizeof w[0]);
		memcpy(ex->tf_used, used, (size_t)model->ncomp * sizeof used[0]);
	}
	return total;
}
