/*
 * fuzz_expr.c - libFuzzer target for the segment expression language:
 * any bytes as the source of expr_compile() against a fixed schema of
 * profile attributes, event properties and event names, then freed.
 *
 * Compiling must either succeed or fail with a message of the form
 * "LINE:COL: reason"; it must never crash, hang or leak.  The helpers
 * the parser leans on (durations, edit distance) get the same bytes.
 */
#include <string.h>

#include "expr.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct expr_schema schema;

static void
setup(void)
{
	static const struct { int table; const char *name; int type; } names[] = {
		{ 'p', "country", CT_STR },
		{ 'p', "city", CT_STR },
		{ 'p', "email", CT_STR },
		{ 'p', "email_consent", CT_BOOL },
		{ 'p', "revenue", CT_DEC },
		{ 'p', "orders", CT_INT },
		{ 'p', "first_seen", CT_TIME },
		{ 'p', "last_order", CT_TIME },
		{ 'p', "rfm_score", CT_STR },
		{ 'p', "count_order", CT_INT },
		{ 'r', "amount", CT_DEC },
		{ 'r', "properties.price", CT_DEC },
		{ 'r', "properties.sku", CT_STR },
		{ 'r', "utm_campaign", CT_STR },
		{ 'e', "order", 0 },
		{ 'e', "order_completed", 0 },
		{ 'e', "product_added", 0 },
	};

	memset(&schema, 0, sizeof schema);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		expr_schema_add(&schema, names[i].table, names[i].name, names[i].type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2024-06-01T00:00:00Z, so "within 30d" means something fixed. */
	const int64_t now = INT64_C(1717200000) * 1000000;
	char *src = xmalloc(size + 1);
	struct expr *e;
	int64_t us;

	if (!schema.nattrs && !schema.nevents)
		setup();
	memcpy(src, data, size);
	src[size] = '\0';
	e = expr_compile(src, &schema, now);
	if (e) {
		const char **attrs;
		size_t n = expr_attrs(e, &attrs);

		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(attrs[i] != NULL);
		expr_free(e);
	} else {
		const char *msg = cdp_err();

		FUZZ_ASSERT(msg[0] >= '1' && msg[0] <= '9' && strchr(msg, ':') != NULL);
	}
	(void)expr_parse_duration(src, &us);
	if (size >= 2) {
		char *half = xstrndup(src, size / 2);

		(void)cdp_edit_distance(half, src + size / 2);
		free(half);
	}
	free(src);
	return 0;
}
