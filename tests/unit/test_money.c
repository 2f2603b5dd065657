/*
 * test_money.c - amounts in cents (colvec_cents, cents_div), option
 * times (expr_time_arg) and "did you mean" (cdp_did_you_mean).
 */
#include <stdlib.h>

#include "column.h"
#include "expr.h"
#include "normalize.h"
#include "t.h"
#include "util.h"

#define DAY INT64_C(86400000000)

/* cents of one text cell; -999999 when it is not an amount */
static int64_t
text_cents(const char *s)
{
	struct colvec v;
	int64_t c;

	colvec_init(&v, CT_STR);
	colvec_push_str(&v, s, strlen(s));
	if (colvec_cents(&v, 0, &c) < 0)
		c = -999999;
	colvec_free(&v);
	return c;
}

static void
test_cents(void)
{
	struct colvec v;
	int64_t c, d;

	T_INTEQ(text_cents("10.005"), 1001, "cents: 10.005 rounds half away from zero");
	T_INTEQ(text_cents("-10.005"), -1001, "cents: -10.005 too");
	T_INTEQ(text_cents("2.675"), 268, "cents: 2.675 is 268, not the binary 267");
	T_INTEQ(text_cents("1.004999"), 100, "cents: below half rounds down");
	T_INTEQ(text_cents("562.30"), 56230, "cents: 562.30");
	T_INTEQ(text_cents("0.1"), 10, "cents: 0.1");
	T_INTEQ(text_cents("7"), 700, "cents: an integer");
	T_INTEQ(text_cents("34,90"), 3490, "cents: a decimal comma");
	T_INTEQ(text_cents("+5.5"), 550, "cents: a plus sign");
	T_INTEQ(text_cents("1e3"), 100000, "cents: exponent through strtod");
	T_INTEQ(text_cents("abc"), -999999, "cents: not a number");
	T_INTEQ(text_cents("1,234.56"), -999999, "cents: a thousands separator is not read");
	T_INTEQ(text_cents("99999999999999999999"), -999999, "cents: too large");
	T_INTEQ(text_cents("nan"), -999999, "cents: nan is no amount");
	colvec_init(&v, CT_DEC);
	dec_parse("140.575", 7, &d);
	colvec_push_int(&v, d);
	T_CHECK(colvec_cents(&v, 0, &c) == 0 && c == 14058, "cents: a decimal column of scale 3");
	colvec_free(&v);
	colvec_init(&v, CT_INT);
	colvec_push_int(&v, -12);
	T_CHECK(colvec_cents(&v, 0, &c) == 0 && c == -1200, "cents: an integer column");
	colvec_free(&v);
	T_INTEQ(cents_div(56230, 4), 14058, "cents_div: 562.30 / 4 = 140.58");
	T_INTEQ(cents_div(-56230, 4), -14058, "cents_div: negative, half away from zero");
	T_INTEQ(cents_div(100, 3), 33, "cents_div: 1.00 / 3 = 0.33");
	T_INTEQ(cents_div(200, 3), 67, "cents_div: 2.00 / 3 = 0.67");
}

static void
test_time_arg(void)
{
	int64_t now = 1719835200LL * 1000000 + 123;	/* 2024-07-01T12:00:00Z */
	int64_t midnight = 1719792000LL * 1000000, us = 0;

	T_CHECK(expr_time_arg("now", now, EXPR_DAY_LAST, &us) == 0 && us == now, "time: now");
	T_CHECK(expr_time_arg("-7d", now, EXPR_DAY_LAST, &us) == 0 && us == now - 7 * DAY,
	    "time: -7d is an instant, not a day");
	T_CHECK(expr_time_arg("+12h", now, EXPR_DAY_START, &us) == 0 && us == now + DAY / 2, "time: +12h");
	T_CHECK(expr_time_arg("today", now, EXPR_DAY_START, &us) == 0 && us == midnight,
	    "time: today starts at midnight");
	T_CHECK(expr_time_arg("yesterday", now, EXPR_DAY_LAST, &us) == 0 && us == midnight - 1,
	    "time: as of yesterday is its last microsecond");
	T_CHECK(expr_time_arg("2024-07-01", now, EXPR_DAY_AFTER, &us) == 0 && us == midnight + DAY,
	    "time: an exclusive bound on a date is the midnight after");
	T_CHECK(expr_time_arg("2024-07-01T10:00:00Z", now, EXPR_DAY_LAST, &us) == 0 &&
	    us == midnight + 10 * 3600 * INT64_C(1000000), "time: a timestamp is that instant");
	T_CHECK(expr_time_arg("next tuesday", now, EXPR_DAY_LAST, &us) < 0, "time: not a time");
	T_CHECK(expr_time_arg("-7", now, EXPR_DAY_LAST, &us) < 0, "time: -7 without a unit");
	T_CHECK(expr_time_arg("-7x", now, EXPR_DAY_LAST, &us) < 0, "time: an unknown unit");
}

static void
test_did_you_mean(void)
{
	static const char *const tables[] = { "records", "profiles", "idmap", "links" };

	T_STREQ(cdp_did_you_mean("profile", tables, 4), "profiles", "did you mean: one letter off");
	T_STREQ(cdp_did_you_mean("Records", tables, 4), "records", "did you mean: case ignored");
	T_STREQ(cdp_did_you_mean("nosuch", tables, 4), NULL, "did you mean: nothing close");
	T_STREQ(cdp_did_you_mean("x", tables, 0), NULL, "did you mean: no names");
	T_INTEQ(cdp_edit_distance("kitten", "sitting"), 3, "edit distance: kitten sitting");
}

int
main(void)
{
	test_cents();
	test_time_arg();
	test_did_you_mean();
	return t_done();
}
