/*
 * test_expr.c - the segment language: lexer and parser errors, type
 * checks, every operator, null logic, behaviour functions and their
 * time windows, and segment skipping, over a small store built here.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "expr.h"
#include "normalize.h"
#include "profiles.h"

#define DAY (INT64_C(86400) * 1000000)
#define HOUR (INT64_C(3600) * 1000000)

static int64_t now;
static char dir[] = "/tmp/cdp-test-expr.XXXXXX";
static struct store *st;
static struct expr_schema schema;

static int64_t
t_of(const char *s)
{
	int64_t us;
	int fmt;

	if (norm_time(s, strlen(s), NULL, &us, &fmt) < 0)
		abort();
	return us;
}

static void
add_segment(const char *table, struct segcol_in *cols, size_t ncols, size_t nrows, uint64_t records)
{
	uint64_t id, size;
	char *name = store_segment_name(st, &id), *path = store_path(st, name);
	struct mentry *e;

	if (segment_write(path, table, 0, cols, ncols, nrows, &size) < 0)
		abort();
	e = store_add(st, "segment", id);
	mentry_set(e, "table", "%s", table);
	mentry_set(e, "rows", "%zu", nrows);
	mentry_set(e, "file", "%s", name);
	if (records)
		mentry_set(e, "records", "%llu", (unsigned long long)records);
	free(name);
	free(path);
}

static void
push_s(struct colvec *v, const char *s)
{
	if (s)
		colvec_push_str(v, s, strlen(s));
	else
		colvec_push_null(v);
}

static void
push_dec(struct colvec *v, const char *s)
{
	int64_t x;

	if (!s) {
		colvec_push_null(v);
		return;
	}
	dec_parse(s, strlen(s), &x);
	colvec_push_int(v, x);
}

/*
 * Profiles 1..5:
 *   1 DE 250.00 consent  seen now-1d
 *   2 AT 50.5   no       seen 2024-01-01
 *   3 -  -      -        -
 *   4 DE 200.00 consent  seen now-10d
 *   5 de 0      -        seen now
 * Events (records segment A, merged): see below.  Segment B holds only
 * old events (2020) so that windows can skip it.
 */
static void
build_store(void)
{
	struct store_opts so = { 1, 1, 0 };
	struct colvec pid, country, revenue, consent, seen, cnt_order, cnt_cart;
	struct colvec ev, tm, amount, cur, link;
	uint64_t rec_a, rec_b;
	static const char *countries[] = { "DE", "AT", NULL, "DE", "de" };
	static const char *revenues[] = { "250.00", "50.5", NULL, "200.00", "0.00" };
	static const int consents[] = { 1, 0, -1, 1, -1 };

	if (!mkdtemp(dir))
		abort();
	st = store_open(dir, &so, NULL);
	if (!st)
		abort();
	colvec_init(&pid, CT_INT);
	colvec_init(&country, CT_STR);
	colvec_init(&revenue, CT_DEC);
	colvec_init(&consent, CT_BOOL);
	colvec_init(&seen, CT_TIME);
	colvec_init(&cnt_order, CT_INT);
	colvec_init(&cnt_cart, CT_INT);
	for (int i = 0; i < 5; i++) {
		colvec_push_int(&pid, i + 1);
		push_s(&country, countries[i]);
		push_dec(&revenue, revenues[i]);
		if (consents[i] < 0)
			colvec_push_null(&consent);
		else
			colvec_push_int(&consent, consents[i]);
		colvec_push_int(&cnt_order, 0);
		colvec_push_int(&cnt_cart, 0);
	}
	colvec_push_int(&seen, now - DAY);
	colvec_push_int(&seen, t_of("2024-01-01"));
	colvec_push_null(&seen);
	colvec_push_int(&seen, now - 10 * DAY);
	colvec_push_int(&seen, now);

	/* records A: person row, then events */
	struct { const char *ev; int64_t t; const char *amount, *cur; int64_t who; } rows[] = {
		{ NULL, now - 50 * DAY, NULL, NULL, 1 },
		{ "order", now - DAY, "150.00", "EUR", 1 },
		{ "order", now - 400 * DAY, "100.00", "EUR", 1 },
		{ "order", now - 365 * DAY, "300.00", "GBP", 4 },	/* at the window's edge */
		{ "order", now - 365 * DAY - 1, "1000.00", "EUR", 4 },	/* just outside */
		{ "order", now + HOUR, "75.00", "EUR", 2 },		/* after "now" */
		{ "order", now - 3 * DAY, NULL, "EUR", 2 },		/* no amount */
		{ "add_to_cart", now - 7 * DAY, NULL, NULL, 2 },	/* at the edge */
		{ "add_to_cart", now - 7 * DAY - 1, NULL, NULL, 3 },	/* just outside */
		{ "add_to_cart", now - HOUR, NULL, NULL, 1 },
		{ "order", now - 2 * DAY, "10.00", "EUR", 0 },		/* no profile */
	};
	size_t nrows = sizeof rows / sizeof rows[0];

	colvec_init(&ev, CT_STR);
	colvec_init(&tm, CT_TIME);
	colvec_init(&amount, CT_DEC);
	colvec_init(&cur, CT_STR);
	colvec_init(&link, CT_INT);
	for (size_t i = 0; i < nrows; i++) {
		push_s(&ev, rows[i].ev);
		colvec_push_int(&tm, rows[i].t);
		push_dec(&amount, rows[i].amount);
		push_s(&cur, rows[i].cur);
		if (rows[i].who)
			colvec_push_int(&link, rows[i].who);
		else
			colvec_push_null(&link);
	}
	{
		struct segcol_in cols[] = { { "_event", &ev }, { "_time", &tm }, { "amount", &amount },
			{ "currency", &cur } };

		add_segment("records", cols, 4, nrows, 0);
		rec_a = st->e[st->ne - 1]->id;
	}
	{
		struct segcol_in cols[] = { { "profile_id", &link } };

		add_segment("links", cols, 1, nrows, rec_a);
	}
	colvec_free(&ev);
	colvec_free(&tm);
	colvec_free(&amount);
	colvec_free(&cur);
	colvec_free(&link);

	/* records B: one old order of profile 2 (in 2020) */
	colvec_init(&ev, CT_STR);
	colvec_init(&tm, CT_TIME);
	colvec_init(&amount, CT_DEC);
	colvec_init(&link, CT_INT);
	push_s(&ev, "order");
	colvec_push_int(&tm, t_of("2020-05-01T00:00:00Z"));
	push_dec(&amount, "5.00");
	colvec_push_int(&link, 2);
	{
		struct segcol_in cols[] = { { "_event", &ev }, { "_time", &tm }, { "amount", &amount } };

		add_segment("records", cols, 3, 1, 0);
		rec_b = st->e[st->ne - 1]->id;
	}
	{
		struct segcol_in cols[] = { { "profile_id", &link } };

		add_segment("links", cols, 1, 1, rec_b);
	}
	colvec_free(&ev);
	colvec_free(&tm);
	colvec_free(&amount);
	colvec_free(&link);

	{
		struct segcol_in cols[] = { { "profile_id", &pid }, { "country", &country },
			{ "revenue", &revenue }, { "email_consent", &consent }, { "last_seen", &seen },
			{ "count_order", &cnt_order }, { "count_add_to_cart", &cnt_cart },
			{ "_t:country", &seen } };

		add_segment("profiles", cols, 8, 5, 0);
	}
	colvec_free(&pid);
	colvec_free(&country);
	colvec_free(&revenue);
	colvec_free(&consent);
	colvec_free(&seen);
	colvec_free(&cnt_order);
	colvec_free(&cnt_cart);
	if (store_commit(st) < 0)
		abort();
	if (expr_schema_load(st, &schema) < 0)
		abort();
}

static struct expr_stats last_stats;

/* The matching ids as "1,4", or "error: ..." */
static char *
seg_at(const char *src, const int64_t *cand, size_t ncand)
{
	struct strbuf sb = STRBUF_INIT;
	struct expr *e = expr_compile(src, &schema, now);
	struct expr_match *m;
	size_t n;

	if (!e) {
		sb_addf(&sb, "error: %s", cdp_err());
		return sb_detach(&sb, NULL);
	}
	if (expr_eval(e, st, &schema, cand, ncand, &m, &n, &last_stats) < 0) {
		sb_addf(&sb, "eval error: %s", cdp_err());
	} else {
		for (size_t i = 0; i < n; i++)
			sb_addf(&sb, "%s%lld", i ? "," : "", (long long)m[i].id);
		free(m);
	}
	expr_free(e);
	sb_addc(&sb, 0);
	return sb_detach(&sb, NULL);
}

#define SEG(src, want, name) do { \
	char *got_ = seg_at((src), NULL, 0); \
	T_STREQ(got_, (want), name); \
	free(got_); \
} while (0)

int
main(void)
{
	int64_t us;
	struct strbuf sb = STRBUF_INIT;

	now = t_of("2025-06-15T12:00:00Z");
	build_store();

	/* helpers */
	expr_event_key("Product Added", 13, &sb);
	sb_addc(&sb, 0);
	T_STREQ(sb.buf, "product_added", "event key: spaces and case normalize to snake_case");
	expr_event_key("--Order  Completed!", 19, &sb);
	sb_addc(&sb, 0);
	T_STREQ(sb.buf, "order_completed", "event key: runs of punctuation become one underscore");
	sb_free(&sb);
	T_CHECK(expr_parse_duration("30d", &us) == 0 && us == 30 * DAY, "duration: 30d is thirty days");
	T_CHECK(expr_parse_duration("-12h", &us) == 0 && us == -12 * HOUR, "duration: -12h is negative");
	T_CHECK(expr_parse_duration("12x", &us) < 0, "duration: unknown unit is refused");
	T_INTEQ(cdp_edit_distance("contry", "country"), 1, "edit distance: one missing letter");
	T_INTEQ(cdp_edit_distance("", "abc"), 3, "edit distance: from empty");

	/* comparisons */
	SEG("country = \"DE\"", "1,4", "=: strings compare exactly (case matters)");
	SEG("country != \"DE\"", "2,5", "!=: null rows are not different, they are unknown");
	SEG("revenue > 200", "1", ">: decimal against integer literal");
	SEG("revenue >= 200", "1,4", ">=: boundary included");
	SEG("revenue < 200", "2,5", "<: boundary excluded, null excluded");
	SEG("revenue <= 50.5", "2,5", "<=: decimal literal");
	SEG("200 <= revenue", "1,4", "literal on the left is mirrored");
	SEG("country in (\"DE\", \"AT\")", "1,2,4", "in: any of the list");
	SEG("country not in (\"DE\", \"AT\")", "5", "not in: null is unknown, not a match");
	SEG("country ~ \"^[Dd]\"", "1,4,5", "~: POSIX extended regular expression");
	SEG("country !~ \"^D\"", "2,5", "!~: negated match skips nulls");
	SEG("country is null", "3", "is null");
	SEG("country is not null", "1,2,4,5", "is not null");
	SEG("email_consent", "1,4", "a boolean attribute is a condition");
	SEG("email_consent = false", "2", "boolean compared with false");
	SEG("not email_consent", "2", "not of unknown stays unknown");
	SEG("not (country = \"DE\")", "2,5", "not: three-valued, nulls stay out");
	SEG("country = \"DE\" or country is null", "1,3,4", "or with is null brings nulls in");
	SEG("country = \"DE\" and (revenue > 220 or email_consent = false)", "1", "and, or, parentheses");
	SEG("COUNTRY = \"AT\"", "error: 1:1: unknown attribute 'COUNTRY' (did you mean 'country'?)",
	    "attribute names are exact; the suggestion shows the right one");
	SEG("last_seen >= 2025-06-05", "1,4,5", "date literal against a time column");
	SEG("last_seen >= -10d", "1,4,5", "relative time: 10 days before now, inclusive");
	SEG("last_seen > -10d", "1,5", "relative time: strict");
	SEG("last_seen >= today", "5", "today is midnight UTC of now");
	SEG("last_seen < 2024-06-01T00:00:00Z", "2", "timestamp literal");

	/* behaviour over events */
	SEG("count(order) >= 1", "1,2,4", "count: any order, past only (2 has old and null-amount orders)");
	SEG("count(order) = 0", "3,5", "count is 0, not null, without events");
	SEG("count(order within 365d) = 1 and count(order) = 2", "1,2,4",
	    "within 365d includes an event exactly 365 days ago, not one microsecond earlier");
	SEG("count(add_to_cart within 7d) >= 1", "1,2", "within 7d: the edge is inclusive");
	SEG("count(\"Add To Cart\" within 7d) >= 1 and count(order within 2d) = 0", "2",
	    "cart abandonment; event written in any spelling");
	SEG("sum(order.amount within 365d) > 200", "4", "sum within a window");
	SEG("sum(order.amount) = 250", "1", "sum over all time ignores future events");
	SEG("sum(order.amount) = 0", "3,5", "sum of nothing is 0");
	SEG("avg(order.amount) = 125", "1", "avg");
	SEG("min(order.amount) = 100 and max(order.amount) = 150", "1", "min and max");
	SEG("avg(order.amount) is null", "3,5", "avg of nothing is null");
	SEG("min(order.amount) = 5", "2", "a property null on some events is skipped");
	SEG("count(order where currency = \"GBP\") = 1", "4", "where filters on a property");
	SEG("count(order where amount >= 150 within 400d) >= 1", "1,4", "where and within together");
	SEG("last(order) >= -2d", "1", "last: time of the latest event");
	SEG("first(order) < 2021-01-01", "2", "first: time of the earliest event");
	SEG("first(add_to_cart) is null", "4,5", "first of no events is null");

	/* skipping by footer min/max */
	{
		char *got = seg_at("count(order within 30d) > 0", NULL, 0);

		T_STREQ(got, "1,2", "a recent window");
		T_INTEQ(last_stats.rsegs_skipped, 1, "records segment older than the window is skipped");
		free(got);
		got = seg_at("revenue > 1000", NULL, 0);
		T_INTEQ(last_stats.psegs_skipped, 1, "profiles segment whose max is below the value is skipped");
		T_INTEQ(last_stats.columns_read, 0, "a skipped segment reads no column");
		free(got);
		got = seg_at("country = \"DE\"", NULL, 0);
		T_INTEQ(last_stats.columns_read, 2, "only the named column and profile_id are read");
		free(got);
	}

	/* candidates */
	{
		int64_t cand[] = { 2, 4, 99 };
		char *got = seg_at("revenue > 10", cand, 3);

		T_STREQ(got, "2,4", "candidates restrict the result");
		free(got);
	}

	/* errors */
	SEG("contry = \"DE\"", "error: 1:1: unknown attribute 'contry' (did you mean 'country'?)",
	    "unknown attribute names the place and suggests");
	SEG("country = \"DE\" and contry = 1",
	    "error: 1:20: unknown attribute 'contry' (did you mean 'country'?)", "error column counts characters");
	SEG("country = \"DE\"\n and xyzzy = 1", "error: 2:6: unknown attribute 'xyzzy'",
	    "errors on a second line say line 2");
	SEG("last_seen > \"2024-01-01\"", "error: 1:13: cannot compare 'last_seen' (a time) with a string: "
	    "write a time without quotes (2024-05-01, -30d, today)", "time vs string is a type error");
	SEG("revenue = \"10\"", "error: 1:11: cannot compare 'revenue' (a number) with a string: write the "
	    "number without quotes", "number vs string is a type error");
	SEG("email_consent > true", "error: 1:17: booleans compare only with = and !=", "booleans are not ordered");
	SEG("country in (\"DE\", 3)", "error: 1:19: cannot compare 'country' (a string) with a number",
	    "in list members are type checked");
	SEG("revenue ~ \"1\"", "error: 1:9: ~ matches strings; 'revenue' (a number) is not one", "~ wants a string");
	{
		char *got = seg_at("country ~ \"(\"", NULL, 0);

		T_CHECK(strncmp(got, "error: 1:11: bad regular expression: ", 37) == 0, "bad regex reported");
		free(got);
	}
	SEG("country ~ \"^(a*)*\\\\1$\"", "error: 1:11: bad regular expression: back-references (\\1) are not supported",
	    "back-references refused: matching is linear");
	SEG("country ~ \"(a{1,32767}){1,32767}\"", "error: 1:11: bad regular expression: bad repetition count {1,32767} (a minimum above its maximum, or over 1000 in all)",
	    "huge repetition refused");
	{
		/* 100,000 levels: refused at the 200th, no stack overflow. */
		size_t n = 100000, k = strlen("country = \"DE\"");
		char *deep = malloc(2 * n + k + 1), *nots = malloc(4 * n + k + 1), *got;

		memset(deep, '(', n);
		memcpy(deep + n, "country = \"DE\"", k);
		memset(deep + n + k, ')', n);
		deep[2 * n + k] = '\0';
		got = seg_at(deep, NULL, 0);
		T_STREQ(got, "error: 1:201: expression nested deeper than 200 levels (parentheses, not)",
		    "100,000 nested parentheses: a positioned error");
		free(got);
		for (size_t i = 0; i < n; i++)
			memcpy(nots + 4 * i, "not ", 4);
		memcpy(nots + 4 * n, "country = \"DE\"", k + 1);
		got = seg_at(nots, NULL, 0);
		T_STREQ(got, "error: 1:797: expression nested deeper than 200 levels (parentheses, not)",
		    "100,000 nots: a positioned error");
		free(got);
		free(deep);
		free(nots);
	}
	{
		/* A chain of 100,000 ands is a balanced tree, not 100,000 levels. */
		struct strbuf ch = STRBUF_INIT;
		char *got;

		for (int i = 0; i < 100000; i++)
			sb_adds(&ch, i ? " and country = \"DE\"" : "country = \"DE\"");
		got = seg_at(ch.buf, NULL, 0);
		T_STREQ(got, "1,4", "100,000 conditions joined by and");
		free(got);
		sb_free(&ch);
	}
	SEG("country = \"DE", "error: 1:11: unterminated string", "unterminated string");
	SEG("country = null", "error: 1:11: null is not a value: write 'is null' or 'is not null'", "= null");
	SEG("", "error: 1:1: empty expression", "empty expression");
	SEG("country", "error: 1:1: 'country' (a string) is not a condition: compare it (=, <, in, ~, is null)",
	    "a bare string attribute is not a condition");
	SEG("(country = \"DE\"", "error: 1:16: expected ')', found the end of the expression", "missing paren");
	SEG("country = \"DE\" revenue > 1", "error: 1:16: unexpected 'revenue' (join conditions with and, or)",
	    "two conditions without and");
	SEG("count(ordr) > 1", "error: 1:7: unknown event 'ordr' (did you mean 'order'?)", "unknown event");
	SEG("sum(order.amout) > 1", "error: 1:5: unknown property 'amout' (did you mean 'amount'?)",
	    "unknown property");
	SEG("sum(order) > 1", "error: 1:5: sum() wants EVENT.PROPERTY, e.g. sum(order.amount)", "sum needs a property");
	SEG("sum(order.currency) > 1", "error: 1:5: sum() wants a numeric property; 'currency' is a string",
	    "sum of a string property");
	SEG("total(order) > 1", "error: 1:1: unknown function 'total' (count, sum, min, max, avg, first, last)",
	    "unknown function");
	SEG("count(order within 7) > 1", "error: 1:20: expected a duration after within (7d, 12h, 30m, 2w)",
	    "within wants a duration");
	SEG("last_seen > 30d", "error: 1:13: a duration is not a time: write -30d for 30d ago", "duration as a time");
	SEG("`_t:country` is null", "error: 1:1: unknown attribute '_t:country' (did you mean 'country'?)",
	    "internal columns are hidden, even quoted");
	SEG("`count_order` = 0 and `country` = \"AT\"", "2", "a name in backquotes");
	SEG("last_seen > 2024-13-45", "error: 1:13: '2024-13-45' is not a date or time (write 2024-05-01 or "
	    "2024-05-01T10:00:00Z)", "bad date literal");
	SEG("country = \"DE\" & revenue > 1", "error: 1:16: unexpected character '&'", "stray character");

	expr_schema_free(&schema);
	{
		/* remove the store */
		struct strbuf cmd = STRBUF_INIT;

		sb_addf(&cmd, "rm -rf '%s'", dir);
		if (system(cmd.buf) != 0)
			T_CHECK(0, "cleanup");
		sb_free(&cmd);
	}
	store_close(st);
	return t_done();
}
