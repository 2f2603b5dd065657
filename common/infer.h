/*
 * infer.h - reading values the way exporters write them: the Excel
 * apostrophe, booleans in several languages, amounts with currencies
 * and thousands separators, day- or month-first dates, country names;
 * and the type of a column decided from its values (struct tinfer).
 *
 * cdp-import uses these for every column and --inspect to explain its
 * decisions; mapping presets rely on the same rules.  Every function
 * reads exactly len bytes of s (no NUL needed) and allocates nothing.
 */
#ifndef CDP_INFER_H
#define CDP_INFER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Excel and Shopify write "'+4917..." or "'0123" so a spreadsheet keeps
 * the text.  When s is an apostrophe followed by a number-like text
 * (digits, at least one, and + - ( ) . / blanks), move past it and
 * return 1; else 0 with s unchanged.
 */
int clean_apostrophe(const char **s, size_t *len);

/*
 * A boolean word in any case: true/false, yes/no, y/n, t/f, on/off,
 * ja/nein, oui/non, si/sí/no, wahr/falsch, vrai/faux, vero/falso,
 * waar/onwaar, sim/não; with zero_one also 1/0.  1 true, 0 false, -1
 * neither.
 */
int parse_bool(const char *s, size_t len, int zero_one);

/* Decimal separator of an amount. */
enum { DEC_DOT, DEC_COMMA };
/* What parse_amount saw besides digits. */
enum { AMT_CURRENCY = 1, AMT_GROUPED = 2, AMT_FRACTION = 4 };

/*
 * An amount: an optional currency symbol or code before or after
 * ("1.234,50 €", "$1,234.50", "EUR 12,00", "12.00 USD"), an optional
 * '-', digits with thousands separators (the other mark, an apostrophe,
 * or with a currency a blank) in groups of three, and a fraction after
 * the decimal separator of style.  A leading zero (other than "0,5")
 * or a '+' makes no amount, so zip codes and phone numbers stay text.
 * *out is the packed decimal of column.h, *cur the currency (0 none,
 * else three letters packed), *flags AMT_*.  0, or -1.
 */
int parse_amount(const char *s, size_t len, int style, int64_t *out, uint32_t *cur, int *flags);

/*
 * ISO 3166-1 alpha-2 code of a country written as a code (alpha-2 or
 * alpha-3, any case), an English name, or its name in a main European
 * language ("Deutschland", "Allemagne", "Niederlande", "USA", "UK");
 * NULL if unknown.
 */
const char *country_iso2(const char *s, size_t len);
/* 1 when a header name is that of a country column ("Country Code"). */
int country_column(const char *name);
/* 1 when a header name suggests a yes/no flag ("accepts_marketing"). */
int flag_column(const char *name);
/* 1 when a header name suggests a time ("order_ts", "Created at"). */
int time_column(const char *name);

/* The type of a column, narrowed value by value. */
struct tinfer {
	uint64_t n;			/* values seen (not null) */
	uint64_t nint, nnum, nbool, ntime, napos;
	int can_int, can_dot, can_comma, can_bool, can_time, all01;
	int saw_comma, saw_word, json;
	int day_ev, month_ev, slash_amb;	/* A/B/YYYY evidence */
	int tfmt;			/* shared time format, or -1 when mixed */
	uint32_t cur;			/* currency of the amounts, or UINT32_MAX: mixed */
	int flag_name;			/* the column name suggests a flag */
	int full;			/* count every class (--inspect), not only until ruled out */
	int decimal_comma;		/* 1 comma, 2 point, 0 undecided */
	int day_first;			/* 1 day first, -1 month first, 0 undecided */
	char not_num[24], not_time[24], not_bool[24];	/* first value that is not */
};

void tinfer_init(struct tinfer *t, const char *name, int decimal_comma, int day_first);
/* One non-null value (kind: enum field_kind of record.h). */
void tinfer_add(struct tinfer *t, const char *s, size_t len, int kind);
/* The column type (CT_* of column.h) and, for CT_TIME, its format. */
int tinfer_type(const struct tinfer *t, int *tfmt);
/*
 * Why a column that looks typed was kept as strings (ambiguous dates or
 * amounts, mixed formats), or NULL.  Written into buf.
 */
const char *tinfer_note(const struct tinfer *t, char *buf, size_t n);
/* Value s of a column of type (from tinfer_type) as its int64 form. */
int tinfer_value(const struct tinfer *t, int type, const char *s, size_t len, int64_t *x);

#endif
