/*
 * recommend_lines.c - the line items of one order event, when the event
 * carries them as a JSON array of product objects (Segment's "Order
 * Completed" with properties.products, which cdp-import keeps as compact
 * JSON text).  Each object with an item key becomes one interaction.
 *
 * The key of an object: the field the user named with --item (its last
 * dotted part), else sku, product_id or item_id; numbers are taken as
 * written.  Bad JSON is no interaction, never an error: one broken
 * event must not stop a model.
 */
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#include "recommend.h"

/* The text of a string or number field of object o (NULL if none). */
static const char *
field(yajl_val o, const char *const *names)
{
	for (int k = 0; names[k]; k++)
		for (size_t i = 0; i < o->u.object.len; i++) {
			yajl_val v = o->u.object.values[i];

			if (strcasecmp(o->u.object.keys[i], names[k]) != 0)
				continue;
			if (YAJL_IS_STRING(v) && *YAJL_GET_STRING(v))
				return YAJL_GET_STRING(v);
			if (YAJL_IS_NUMBER(v))
				return v->u.number.r;
		}
	return NULL;
}

int
rec_lines_parse(const char *json, const char *want,
    void (*fn)(void *ctx, const struct rec_line *l), void *ctx)
{
	static const char *const dflt[] = { "sku", "product_id", "item_id", NULL };
	static const char *const names[] = { "name", "product_name", "title", NULL };
	static const char *const prices[] = { "price", "unit_price", NULL };
	static const char *const cats[] = { "category", "product_category", NULL };
	static const char *const urls[] = { "url", "product_url", NULL };
	static const char *const imgs[] = { "image_url", "image", NULL };
	static const char *const parents[] = { "product_id", "parent_id", "group_id", NULL };
	const char *one[2] = { NULL, NULL };
	yajl_val root;
	int n = 0;

	if (want) {
		one[0] = strrchr(want, '.') ? strrchr(want, '.') + 1 : want;
	}
	if (!json || json[0] != '[' || !(root = yajl_tree_parse(json, NULL, 0)))
		return -1;
	if (!YAJL_IS_ARRAY(root)) {
		yajl_tree_free(root);
		return -1;
	}
	for (size_t i = 0; i < root->u.array.len; i++) {
		yajl_val o = root->u.array.values[i];
		struct rec_line l;

		if (!YAJL_IS_OBJECT(o))
			continue;
		memset(&l, 0, sizeof l);
		if (!(l.key = field(o, want ? one : dflt)))
			continue;
		l.name = field(o, names);
		l.price = field(o, prices);
		l.category = field(o, cats);
		l.url = field(o, urls);
		l.image_url = field(o, imgs);
		l.parent = field(o, parents);
		if (l.parent && strcmp(l.parent, l.key) == 0)
			l.parent = NULL;
		fn(ctx, &l);
		n++;
	}
	yajl_tree_free(root);
	return n;
}
