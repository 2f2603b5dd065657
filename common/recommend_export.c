/*
 * recommend_export.c - recommendations as extra columns of cdp-export
 * (--recommendations N): for each exported profile the item it left in
 * its cart (its latest cart event's item, unless bought since), then
 * its top N other items, each as item, name, url, price and image columns:
 *   plain     cart_item, cart_name, cart_url, cart_price, cart_image_url,
 *             rec_1_item, rec_1_name, rec_1_url, rec_1_price,
 *             rec_1_image_url, rec_2_item, ...
 *   mailchimp CARTSKU, CARTNAME, ..., REC1SKU, REC1NAME, REC1URL,
 *             REC1PRICE, REC1IMAGE, ... (merge tags: upper case, at
 *             most ten characters)
 * The model is the store's when fresh, else trained in memory with the
 * default settings; the ranking rules are cdp-recommend's.
 */
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "recommend.h"

#define REC_COLS 5

int
rec_columns_open(struct rec_columns *rc, struct store *st, size_t n, int mailchimp)
{
	static const char *const plain[REC_COLS] = { "item", "name", "url", "price", "image_url" };
	static const char *const tags[REC_COLS] = { "SKU", "NAME", "URL", "PRICE", "IMAGE" };
	struct rec_config c;
	int trained;

	memset(rc, 0, sizeof *rc);
	if (n < 1 || n > 99)
		return cdp_seterr("--recommendations wants a number from 1 to 99");
	rec_config_defaults(&c);
	if (rec_model_get(st, &c, 0, 1, &rc->d, &rc->m, &trained) < 0) {
		rec_config_free(&c);
		return -1;
	}
	rec_config_free(&c);
	rec_filter_init(&rc->f);
	rc->f.n = n + 1;	/* one more: the cart item is not repeated */
	rc->popular = xmalloc((rc->m.nitems ? rc->m.nitems : 1) * sizeof *rc->popular);
	{
		double *pop = xmalloc((rc->m.nitems ? rc->m.nitems : 1) * sizeof *pop);

		for (size_t i = 0; i < rc->m.nitems; i++)
			pop[i] = rc->m.items[i].pop;
		free(rc->popular);
		rc->popular = rec_popular_order(pop, rc->m.nitems, &rc->npopular);
		free(pop);
	}
	rec_ranker_init(&rc->r, &rc->m, &rc->d, &rc->f, rc->popular, rc->npopular);
	rc->picks = xmalloc((n + 1) * sizeof *rc->picks);
	rc->nnames = (n + 1) * REC_COLS;
	rc->names = xmalloc(rc->nnames * sizeof *rc->names);
	for (size_t k = 0; k <= n; k++)
		for (int j = 0; j < REC_COLS; j++) {
			struct strbuf sb = STRBUF_INIT;

			if (mailchimp && k == 0)
				sb_addf(&sb, "CART%s", tags[j]);
			else if (mailchimp)
				sb_addf(&sb, "REC%zu%s", k, tags[j]);
			else if (k == 0)
				sb_addf(&sb, "cart_%s", plain[j]);
			else
				sb_addf(&sb, "rec_%zu_%s", k, plain[j]);
			rc->names[k * REC_COLS + j] = sb_detach(&sb, NULL);
		}
	return 0;
}

static void
cell(struct out *o, const char *s, int kind)
{
	if (s)
		out_cell(o, s, strlen(s), kind);
	else
		out_null(o);
}

/* One item's five cells; empty ones for no item. */
static void
item_cells(struct out *o, const struct rec_item *x)
{
	if (!x) {
		for (int j = 0; j < REC_COLS; j++)
			out_null(o);
		return;
	}
	cell(o, x->key, OK_STRING);
	cell(o, x->name, OK_STRING);
	cell(o, x->url, OK_STRING);
	cell(o, x->price, x->price && strspn(x->price, "0123456789.-") == strlen(x->price) ?
	    OK_NUMBER : OK_STRING);
	cell(o, x->image_url, OK_STRING);
}

void
rec_columns_cells(void *ctx, int64_t id, struct out *o)
{
	struct rec_columns *rc = ctx;
	long u = rec_data_user(&rc->d, id);
	size_t np = rec_rank(&rc->r, id, u, rc->picks);
	uint32_t cart = u >= 0 && rc->d.ucart ? rc->d.ucart[u] : UINT32_MAX;

	size_t written = 0;

	item_cells(o, cart != UINT32_MAX ? &rc->m.items[cart] : NULL);
	for (size_t k = 0; k < np && written + 1 < rc->f.n; k++)
		if (rc->picks[k].item != cart)
			item_cells(o, &rc->m.items[rc->picks[k].item]), written++;
	for (; written + 1 < rc->f.n; written++)
		item_cells(o, NULL);
}

void
rec_columns_close(struct rec_columns *rc)
{
	for (size_t i = 0; i < rc->nnames; i++)
		free(rc->names[i]);
	free(rc->names);
	free(rc->picks);
	free(rc->popular);
	rec_ranker_free(&rc->r);
	rec_model_free(&rc->m);
	rec_data_free(&rc->d);
	rec_filter_free(&rc->f);
}
