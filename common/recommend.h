/*
 * recommend.h - product recommendations from the store's events
 * (cdp-recommend).
 *
 * The pieces, one file each:
 *   recommend_data.c   records + links -> interactions: a profile x item
 *                      matrix of decayed event weights (CSR by profile),
 *                      the items and their carried attributes
 *   recommend_lines.c  line items of orders kept as JSON arrays
 *   recommend_knn.c    item-to-item co-occurrence, cosine or
 *                      log-likelihood ratio, top K neighbours per item
 *   recommend_ease.c   EASE (Steck 2019) on the M most popular items,
 *                      closed form by Cholesky, top K weights per item
 *   recommend_model.c  the model in the store (tables recitems and
 *                      recneighbors, entry recmodel) and its staleness
 *   recommend_rank.c   per profile top N: scores, exclusions, deny list,
 *                      diversity, explanations, offline evaluation
 *   recommend_export.c the top N as columns of cdp-export
 *
 * Every model is, once built, the same thing: per item a short list of
 * (neighbour, weight), and a popularity per item.  A profile's score
 * for item j is the sum over its items i of x(i) * w(i, j), x(i) being
 * log(1 + its decayed weight for i); popularity fills the places the
 * model cannot (people without history, items without neighbours).
 */
#ifndef CDP_RECOMMEND_H
#define CDP_RECOMMEND_H

#include <stdint.h>
#include <stdio.h>
#include "store.h"

#define REC_MODEL_VERSION 1
#define REC_MAX_EVENTS 32

enum rec_model_kind { REC_POPULARITY, REC_ITEMKNN, REC_EASE };
enum rec_similarity { REC_COSINE, REC_LLR };

/* Which events count, how much, and what the items are. */
struct rec_config {
	char *events[REC_MAX_EVENTS];	/* stored event names: "order_completed" */
	double weights[REC_MAX_EVENTS];
	size_t nevents;
	int64_t half_life;		/* microseconds; 0: no decay */
	int64_t as_of;			/* decay reference; 0: the latest event */
	int64_t cut;			/* only events before it (evaluation); 0: all */
	int64_t horizon;		/* purchases in [cut, cut + horizon) are the test */
	const char *item_column;	/* NULL: sku, product_id, ... */
	int model;			/* enum rec_model_kind */
	int similarity;			/* enum rec_similarity (itemknn) */
	size_t neighbors;		/* K kept per item */
	size_t max_items;		/* M: items the model covers, most popular first */
	double lambda;			/* EASE regularization */
};

void rec_config_defaults(struct rec_config *c);
/* "order=5,product_added=3": replaces the event table.  -1 with cdp_err(). */
int rec_config_weights(struct rec_config *c, const char *spec);
/* The event table back as "name=w,..." (for the manifest). */
void rec_config_weights_text(const struct rec_config *c, struct strbuf *out);
void rec_config_free(struct rec_config *c);

/* One item with the attributes carried from its latest event. */
struct rec_item {
	char *key;			/* sku or product id as stored */
	char *name, *price, *category, *url, *image_url;
	char *group;			/* diversity group: parent id or name stem */
	double pop;			/* decayed interaction weight, all people */
	int64_t attr_time;		/* time of the event the attributes came from */
};
/* Free what an item owns (not the item itself). */
void rec_item_free(struct rec_item *x);

/* Interactions: profile x item, CSR by profile (ids ascending). */
struct rec_data {
	struct rec_item *items;
	size_t nitems, itemcap;
	struct strmap itemmap;		/* key -> index */
	size_t nusers;
	int64_t *users;			/* profile ids, ascending */
	uint64_t *uptr;			/* nusers + 1 */
	uint32_t *uitem;		/* items of a user, ascending */
	float *uw;			/* decayed weight */
	uint8_t *ubought;		/* 1: a purchase among them */
	uint32_t *ucart;		/* per user: item left in the cart, or UINT32_MAX */
	/* evaluation: purchases at or after the cut, same layout */
	uint64_t *tptr;
	uint32_t *titem;
	int64_t latest;			/* time of the latest event read */
	uint64_t events_read;		/* interactions before merging */
};

/* Read every linked event of the store.  -1 with cdp_err(). */
int rec_data_load(struct store *st, const struct rec_config *c, struct rec_data *d);
void rec_data_free(struct rec_data *d);
/* Index of a profile in d->users, or -1. */
long rec_data_user(const struct rec_data *d, int64_t pid);
/* The diversity group of an item from its name or key (see recommend_data.c). */
char *rec_group_of(const char *parent, const char *name, const char *key);

/* One line item of an order held as a JSON array (recommend_lines.c). */
struct rec_line {
	const char *key, *name, *price, *category, *url, *image_url, *parent;
};
/* Call fn for each product object of the array json; -1 if not an array. */
int rec_lines_parse(const char *json, const char *want,
    void (*fn)(void *ctx, const struct rec_line *l), void *ctx);

/* A built model: neighbour lists over the items of its data. */
struct rec_model {
	int kind;
	size_t nitems;
	struct rec_item *items;		/* owned copies (model loaded from store) */
	uint64_t *nptr;			/* nitems + 1 */
	uint32_t *nbr;
	float *nw;
	char *weights_text, *item_column;
	int64_t half_life, as_of, trained;
	char *fingerprint;
	size_t neighbors;
	double build_seconds;
};

/* Train from d (items shared: the model copies what it keeps). */
int rec_train(const struct rec_config *c, const struct rec_data *d, struct rec_model *m);
void rec_model_free(struct rec_model *m);

/* Building blocks, exposed for tests. */
int rec_knn(const struct rec_config *c, const struct rec_data *d, const uint32_t *top,
    size_t m, struct rec_model *out);
int rec_ease(const struct rec_config *c, const struct rec_data *d, const uint32_t *top,
    size_t m, struct rec_model *out);
/* Solve B = I - P diag(1/diag(P)), P = (G + lambda I)^-1, G m x m
 * (overwritten); B into b (m x m, row i: weights from item i). */
int rec_ease_solve(double *g, size_t m, double lambda, double *b);
/* Gram matrix of the top m items (x = log(1 + weight); binary: x = 1). */
double *rec_gram(const struct rec_data *d, const uint32_t *top, size_t m, int binary);
/* Row a of s (m x m) -> the K largest positive entries as a's neighbours. */
void rec_rows_topk(struct rec_model *out, size_t nitems, const uint32_t *top, size_t m,
    const double *s, size_t k);
/* Log-likelihood ratio of a 2x2 table (Dunning 1993). */
double rec_llr(double k11, double k12, double k21, double k22);

/* The store: save (takes a writer store), load, freshness. */
/* Hash of the source segments and the settings text. */
char *rec_fingerprint(const struct store *st, const char *settings);
int rec_model_save(struct store *st, const struct rec_model *m);
/* 0 loaded, 1 no model stored, -1 error (damaged: cdp_err()). */
int rec_model_load(struct store *st, struct rec_model *m);
/* The settings a model depends on, as text (part of its fingerprint). */
char *rec_settings_text(const struct rec_config *c);
/*
 * The stored model when it is fresh for c (and not train), else one
 * trained now (*trained = 1; d then holds the data it came from).  With
 * need_data, d is loaded and numbered like the model's items.
 */
int rec_model_get(struct store *st, const struct rec_config *c, int train, int need_data,
    struct rec_data *d, struct rec_model *m, int *trained);
/* Drop the stored model's entries and segments (caller commits). */
int rec_model_drop(struct store *st);

/* Ranking. */
struct rec_filter {
	struct strmap exclude;		/* items never recommended */
	struct u64set deny;		/* hash of profile id and item */
	int allow_repeat;
	size_t max_per_group;		/* 0: no limit */
	size_t n;
};

struct rec_pick {
	uint32_t item;
	double score;
	int fallback;			/* from popularity */
};

struct rec_ranker {
	const struct rec_model *m;
	const struct rec_data *d;	/* the profiles' histories */
	const struct rec_filter *f;
	const uint32_t *popular;	/* items by popularity, best first */
	size_t npopular;
	double poptotal;		/* sum of their popularity */
	double *acc;			/* scratch: one per item */
	uint8_t *seen;
	uint32_t *touched;
	size_t ntouched;
};

void rec_filter_init(struct rec_filter *f);
void rec_filter_free(struct rec_filter *f);
uint64_t rec_deny_key(int64_t pid, const char *item, size_t len);
/* Excluded items: first field of each line.  Deny: "profile_id,item". */
int rec_filter_read_exclude(struct rec_filter *f, FILE *in, const char *name);
int rec_filter_read_deny(struct rec_filter *f, FILE *in, const char *name);

/* Items by popularity from pop[] (nitems values), best first (malloc'd). */
uint32_t *rec_popular_order(const double *pop, size_t nitems, size_t *n);
void rec_ranker_init(struct rec_ranker *r, const struct rec_model *m, const struct rec_data *d,
    const struct rec_filter *f, const uint32_t *popular, size_t npopular);
void rec_ranker_free(struct rec_ranker *r);
/*
 * Top f->n picks for profile pid (user index u in d, -1: no history).
 * Returns the number of picks written to out (at most f->n).
 */
size_t rec_rank(struct rec_ranker *r, int64_t pid, long u, struct rec_pick *out);
/* Why: for pick item j, the profile's items that led to it, strongest first. */
void rec_explain(const struct rec_ranker *r, long u, uint32_t j, FILE *out);

/* Offline evaluation on d's test purchases (rec_config.cut set). */
struct rec_metrics {
	size_t users;			/* with history and a new purchase after the cut */
	double hit, recall, ndcg;	/* at k, averaged */
	double seconds;
};
int rec_evaluate(struct rec_ranker *r, size_t k, struct rec_metrics *out);

/* Recommendations as extra export columns (recommend_export.c). */
struct out;
struct rec_columns {
	struct rec_data d;
	struct rec_model m;
	struct rec_filter f;
	struct rec_ranker r;
	uint32_t *popular;
	size_t npopular;
	struct rec_pick *picks;
	char **names;			/* rec_1_item, ... or REC1SKU, ... */
	size_t nnames;
};
int rec_columns_open(struct rec_columns *rc, struct store *st, size_t n, int mailchimp);
/* The export's extra_cells callback: ctx is the struct rec_columns. */
void rec_columns_cells(void *ctx, int64_t id, struct out *o);
void rec_columns_close(struct rec_columns *rc);

/* Renumber d's items to m's by key, dropping items m does not know. */
int rec_data_remap(struct rec_data *d, const struct rec_model *m);

#endif
