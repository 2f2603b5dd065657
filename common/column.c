/*
 * column.c - column vectors and their encodings.
 *
 * Raw stream of one column (before zlib):
 *   u8 encoding, varint null count, [null bitmap, ceil(n/8) bytes],
 *   then the non-null values in the encoding's form.
 * The decoder trusts nothing: every length is checked against the
 * bytes that remain and against the row count the footer promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "normalize.h"

#define DICT_MAX 65536		/* more distinct strings than this: plain */

void
colvec_init(struct colvec *v, int type)
{
	memset(v, 0, sizeof *v);
	v->type = type;
}

void
colvec_free(struct colvec *v)
{
	free(v->nulls);
	free(v->iv);
	free(v->codes);
	free(v->doff);
	free(v->ddata);
	memset(v, 0, sizeof *v);
}

static void
colvec_reserve(struct colvec *v)
{
	size_t newcap;

	if (v->n < v->cap)
		return;
	newcap = v->cap ? v->cap * 2 : 1024;
	if (v->type == CT_STR)
		v->codes = xreallocarray(v->codes, newcap, sizeof *v->codes);
	else
		v->iv = xreallocarray(v->iv, newcap, sizeof *v->iv);
	if (v->nulls) {
		v->nulls = xrealloc(v->nulls, newcap / 8 + 1);
		memset(v->nulls + v->cap / 8 + 1, 0, newcap / 8 - v->cap / 8);
	}
	v->cap = newcap;
}

void
colvec_push_null(struct colvec *v)
{
	colvec_reserve(v);
	if (!v->nulls)
		v->nulls = xcalloc(v->cap / 8 + 1, 1);
	v->nulls[v->n >> 3] |= (uint8_t)(1u << (v->n & 7));
	if (v->type == CT_STR)
		v->codes[v->n] = 0;
	else
		v->iv[v->n] = 0;
	v->nnull++;
	v->n++;
}

void
colvec_push_int(struct colvec *v, int64_t x)
{
	colvec_reserve(v);
	v->iv[v->n++] = x;
}

/* Append one entry to the dictionary blob; returns its index. */
static uint32_t
dict_add(struct colvec *v, const char *s, size_t len)
{
	if (v->dlen + len + 1 > v->dcap) {
		size_t want = v->dcap ? v->dcap * 2 : 65536;

		while (want < v->dlen + len + 1)
			want *= 2;
		v->ddata = xrealloc(v->ddata, want);
		v->dcap = want;
	}
	if (v->ndict + 2 > v->docap) {
		v->docap = v->docap ? v->docap * 2 : 1024;
		v->doff = xreallocarray(v->doff, v->docap, sizeof *v->doff);
	}
	v->doff[0] = 0;
	memcpy(v->ddata + v->dlen, s, len);
	v->ddata[v->dlen + len] = '\0';
	v->dlen += len + 1;
	v->doff[v->ndict + 1] = v->dlen;
	return (uint32_t)v->ndict++;
}

void
colvec_push_str(struct colvec *v, const char *s, size_t len)
{
	colvec_reserve(v);
	v->codes[v->n++] = dict_add(v, s, len);
}

double
dec_to_double(int64_t v)
{
	static const double pow10[16] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
		1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };

	return (double)dec_mantissa(v) / pow10[dec_scale(v)];
}

int
int_parse(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t x = 0;

	if (n && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n || n - i > 19)
		return -1;
	if (s[i] == '0' && n - i > 1)
		return -1;	/* leading zeros: a code, not a number */
	if (neg && s[i] == '0')
		return -1;	/* "-0" would not print back */
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

int
dec_parse(const char *s, size_t n, int64_t *out)
{
	const char *dot = memchr(s, '.', n);
	size_t i = 0, digits = 0;
	int neg = 0, scale;
	int64_t m = 0;

	if (!dot)
		return -1;
	if (n && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	/* integer part: "0" or no leading zero; at least one digit */
	if (dot - (s + i) < 1 || (s[i] == '0' && dot - (s + i) > 1))
		return -1;
	scale = (int)(n - (size_t)(dot - s) - 1);
	if (scale < 1 || scale > 15)
		return -1;
	for (; i < n; i++) {
		if (s + i == dot)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (++digits > 17)
			return -1;
		m = m * 10 + (s[i] - '0');
	}
	if (neg && m == 0)
		return -1;
	*out = (neg ? -m : m) * 16 + (neg ? -scale : scale);
	return 0;
}

/* String cell i as NUL-terminated number text in buf; -1 when empty or
 * too long.  "34,90": a decimal comma when there is no point. */
static int
number_text(const struct colvec *v, size_t i, char *buf, size_t cap)
{
	size_t len;
	const char *s = colvec_str(v, i, &len);

	if (len == 0 || len >= cap)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!strchr(buf, '.')) {
		char *comma = strchr(buf, ',');

		if (comma && !strchr(comma + 1, ','))
			*comma = '.';
	}
	return 0;
}

int
colvec_number(const struct colvec *v, size_t i, double *out)
{
	char buf[64], *end;

	switch (v->type) {
	case CT_INT:
		*out = (double)v->iv[i];
		return 0;
	case CT_DEC:
		*out = dec_to_double(v->iv[i]);
		return 0;
	case CT_STR:
		if (number_text(v, i, buf, sizeof buf) < 0)
			return -1;
		*out = strtod(buf, &end);
		return *end == '\0' ? 0 : -1;
	default:
		return -1;
	}
}

#define CENTS_MAX (INT64_MAX / 100)

int64_t
cents_div(int64_t num, int64_t den)
{
	int neg = (num < 0) != (den < 0);
	uint64_t n = num < 0 ? -(uint64_t)num : (uint64_t)num;
	uint64_t d = den < 0 ? -(uint64_t)den : (uint64_t)den;
	uint64_t q = n / d + (n % d >= d - n % d);

	return neg ? -(int64_t)q : (int64_t)q;
}

/* mantissa * 10^-scale in cents, rounded half away from zero */
static int
scaled_cents(int64_t m, int scale, int64_t *out)
{
	int64_t p = 1;

	if (scale <= 2) {
		for (int k = scale; k < 2; k++)
			p *= 10;
		if (m > CENTS_MAX || m < -CENTS_MAX)
			return -1;
		*out = m * p;
		return 0;
	}
	for (int k = 2; k < scale; k++)
		p *= 10;
	*out = cents_div(m, p);
	return 0;
}

/* "[+-]digits[.digits]" exactly; -1 for anything else ("1e3", "inf") */
static int
text_cents(const char *s, int64_t *out)
{
	int64_t m = 0;
	int scale = -1, ndigits = 0, neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.' && scale < 0) {
			scale = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || m > (INT64_MAX - 9) / 10)
			return -1;
		m = m * 10 + (*s - '0');
		ndigits++;
		scale += scale >= 0;
	}
	if (!ndigits || scale > 18)
		return -1;
	return scaled_cents(neg ? -m : m, scale < 0 ? 0 : scale, out);
}

int
colvec_cents(const struct colvec *v, size_t i, int64_t *out)
{
	char buf[64];
	double x;

	switch (v->type) {
	case CT_INT:
		return scaled_cents(v->iv[i], 0, out);
	case CT_DEC:
		return scaled_cents(dec_mantissa(v->iv[i]), dec_scale(v->iv[i]), out);
	case CT_STR:
		if (number_text(v, i, buf, sizeof buf) < 0)
			return -1;
		if (text_cents(buf, out) == 0)
			return 0;
		break;
	default:
		return -1;
	}
	/* other spellings strtod() reads ("1e3", " 5"): rounded once, here */
	if (colvec_number(v, i, &x) < 0 || !(x * 100 < 9e18 && x * 100 > -9e18))
		return -1;
	*out = (int64_t)(x < 0 ? x * 100 - 0.5 : x * 100 + 0.5);
	return 0;
}

void
colvec_format(const struct colvec *v, size_t i, struct strbuf *out)
{
	int64_t x;

	switch (v->type) {
	case CT_INT:
		sb_addf(out, "%lld", (long long)v->iv[i]);
		break;
	case CT_BOOL:
		sb_adds(out, v->iv[i] ? "true" : "false");
		break;
	case CT_TIME:
		time_format(v->iv[i], v->tfmt ? v->tfmt : TF_OTHER, out);
		break;
	case CT_DEC: {
		char digits[24];
		int scale, len;
		uint64_t m;

		x = v->iv[i];
		scale = dec_scale(x);
		m = x < 0 ? (uint64_t)(-dec_mantissa(x)) : (uint64_t)dec_mantissa(x);
		if (x < 0)
			sb_addc(out, '-');
		len = snprintf(digits, sizeof digits, "%0*llu", scale + 1, (unsigned long long)m);
		sb_add(out, digits, (size_t)(len - scale));
		if (scale) {	/* an integer in a decimal column stays one */
			sb_addc(out, '.');
			sb_add(out, digits + len - scale, (size_t)scale);
		}
		break;
	}
	case CT_STR: {
		size_t len;
		const char *s = colvec_str(v, i, &len);

		sb_add(out, s, len);
		break;
	}
	}
}

void
colvec_stats(const struct colvec *v, struct colstats *st)
{
	memset(st, 0, sizeof *st);
	if (v->type != CT_STR) {
		/* decimals compare by value: packed forms of other scales do not */
		int dec = v->type == CT_DEC;

		for (size_t i = 0; i < v->n; i++) {
			int64_t x = v->iv[i];

			if (colvec_isnull(v, i))
				continue;
			if (!st->has || (dec ? dec_to_double(x) < dec_to_double(st->imin) : x < st->imin))
				st->imin = x;
			if (!st->has || (dec ? dec_to_double(x) > dec_to_double(st->imax) : x > st->imax))
				st->imax = x;
			st->has = 1;
		}
		return;
	}
	/* Strings: compare dictionary entries in use, not every row. */
	uint8_t *used = xcalloc(v->ndict ? v->ndict : 1, 1);
	size_t lo = 0, hi = 0;

	for (size_t i = 0; i < v->n; i++)
		if (!colvec_isnull(v, i))
			used[v->codes[i]] = 1;
	for (size_t c = 0; c < v->ndict; c++) {
		if (!used[c])
			continue;
		if (!st->has) {
			lo = hi = c;
			st->has = 1;
			continue;
		}
		if (strcmp(v->ddata + v->doff[c], v->ddata + v->doff[lo]) < 0)
			lo = c;
		if (strcmp(v->ddata + v->doff[c], v->ddata + v->doff[hi]) > 0)
			hi = c;
	}
	free(used);
	if (!st->has)
		return;
	if (v->doff[lo + 1] - v->doff[lo] - 1 <= COL_STAT_MAXLEN)
		st->smin = xstrdup(v->ddata + v->doff[lo]);
	if (v->doff[hi + 1] - v->doff[hi] - 1 <= COL_STAT_MAXLEN)
		st->smax = xstrdup(v->ddata + v->doff[hi]);
}

void
colstats_free(struct colstats *st)
{
	free(st->smin);
	free(st->smax);
	st->smin = st->smax = NULL;
}

int
col_encode(const struct colvec *v, struct strbuf *out)
{
	int enc;

	if (v->type != CT_STR)
		enc = ENC_DELTA;
	else
		enc = ENC_DICT;
	/* Dictionary first; fall back to plain when it grows too big. */
	struct strmap map = { 0 };
	uint32_t *remap = NULL;
	size_t ndistinct = 0;

	if (enc == ENC_DICT) {
		remap = xreallocarray(NULL, v->ndict ? v->ndict : 1, sizeof *remap);
		for (size_t c = 0; c < v->ndict; c++)
			remap[c] = UINT32_MAX;
		for (size_t i = 0; i < v->n && enc == ENC_DICT; i++) {
			uint32_t c;
			long id;

			if (colvec_isnull(v, i))
				continue;
			c = v->codes[i];
			if (remap[c] != UINT32_MAX)
				continue;
			id = strmap_put(&map, v->ddata + v->doff[c],
			    (size_t)(v->doff[c + 1] - v->doff[c] - 1), (long)ndistinct);
			if ((size_t)id == ndistinct)
				ndistinct++;
			remap[c] = (uint32_t)id;
			/* mostly distinct values (e-mails, ids): plain, decided early */
			if (ndistinct > DICT_MAX || ndistinct * 2 > v->n + 16 ||
			    (i >= 8192 && ndistinct * 2 > i))
				enc = ENC_PLAIN;
		}
	}
	sb_addc(out, enc);
	sb_put_varint(out, v->nnull);
	if (v->nnull)
		sb_add(out, v->nulls, (v->n + 7) / 8);
	if (enc == ENC_DELTA) {
		int64_t prev = 0;

		sb_grow(out, v->n * 2);
		for (size_t i = 0; i < v->n; i++) {
			if (colvec_isnull(v, i))
				continue;
			sb_put_varint(out, zigzag_enc((int64_t)((uint64_t)v->iv[i] - (uint64_t)prev)));
			prev = v->iv[i];
		}
	} else if (enc == ENC_DICT) {
		/* entries in first-use order, which is the order ids were given */
		char **entry = xreallocarray(NULL, ndistinct ? ndistinct : 1, sizeof *entry);
		size_t *elen = xreallocarray(NULL, ndistinct ? ndistinct : 1, sizeof *elen);

		for (size_t c = 0; c < v->ndict; c++) {
			if (remap[c] == UINT32_MAX)
				continue;
			entry[remap[c]] = v->ddata + v->doff[c];
			elen[remap[c]] = (size_t)(v->doff[c + 1] - v->doff[c] - 1);
		}
		sb_put_varint(out, ndistinct);
		for (size_t d = 0; d < ndistinct; d++)
			sb_put_bytes(out, entry[d], elen[d]);
		for (size_t i = 0; i < v->n; i++)
			if (!colvec_isnull(v, i))
				sb_put_varint(out, remap[v->codes[i]]);
		free(entry);
		free(elen);
	} else {
		for (size_t i = 0; i < v->n; i++) {
			size_t len;
			const char *s;

			if (colvec_isnull(v, i))
				continue;
			s = colvec_str(v, i, &len);
			sb_put_bytes(out, s, len);
		}
	}
	free(remap);
	strmap_free(&map);
	return enc;
}

int
col_decode(const unsigned char *p, size_t len, int type, size_t n, struct colvec *out)
{
	struct cursor c = { p, p + len, 0 };
	int enc;
	uint64_t nnull;

	colvec_init(out, type);
	enc = cur_u8(&c);
	nnull = cur_varint(&c);
	if (c.err || nnull > n)
		goto bad;
	if ((type == CT_STR) != (enc != ENC_DELTA))
		goto bad;
	out->cap = n;
	out->n = n;
	out->nnull = (size_t)nnull;
	if (nnull) {
		size_t bytes = (n + 7) / 8;
		size_t count = 0;

		if ((size_t)(c.end - c.p) < bytes)
			goto bad;
		out->nulls = xmalloc(bytes + 1);
		memcpy(out->nulls, c.p, bytes);
		c.p += bytes;
		for (size_t i = 0; i < n; i++)
			count += colvec_isnull(out, i);
		if (count != nnull)
			goto bad;
	}
	if (enc == ENC_DELTA) {
		int64_t prev = 0;

		out->iv = xcalloc(n ? n : 1, sizeof *out->iv);
		for (size_t i = 0; i < n; i++) {
			if (colvec_isnull(out, i))
				continue;
			prev = (int64_t)((uint64_t)prev + (uint64_t)zigzag_dec(cur_varint(&c)));
			out->iv[i] = prev;
		}
		if (c.err)
			goto bad;
	} else if (enc == ENC_DICT || enc == ENC_PLAIN) {
		uint64_t nd;

		out->codes = xcalloc(n ? n : 1, sizeof *out->codes);
		if (enc == ENC_DICT) {
			nd = cur_varint(&c);
			if (c.err || nd > n || nd > DICT_MAX)
				goto bad;
		} else {
			nd = n - nnull;
		}
		for (uint64_t d = 0; enc == ENC_DICT && d < nd; d++) {
			size_t l;
			const char *s = cur_bytes(&c, &l);

			if (c.err)
				goto bad;
			dict_add(out, s, l);
		}
		for (size_t i = 0; i < n; i++) {
			if (colvec_isnull(out, i))
				continue;
			if (enc == ENC_DICT) {
				uint64_t code = cur_varint(&c);

				if (c.err || code >= nd)
					goto bad;
				out->codes[i] = (uint32_t)code;
			} else {
				size_t l;
				const char *s = cur_bytes(&c, &l);

				if (c.err)
					goto bad;
				out->codes[i] = dict_add(out, s, l);
			}
		}
		if (!out->ddata)
			dict_add(out, "", 0);	/* all null: keep colvec_str() safe */
	} else {
		goto bad;
	}
	if (c.p != c.end)
		goto bad;
	return 0;
bad:
	colvec_free(out);
	return cdp_seterr("malformed column data");
}

void
colvec_from_text(struct colvec *v, const char *const *vals, const uint32_t *lens, size_t n)
{
	int can_int = 1, can_dec = 1, can_bool = 1, can_time = 1, tfmt = 0, seen = 0, type;
	int64_t x;

	for (size_t i = 0; i < n; i++) {
		const char *s = vals[i];
		size_t len = lens[i];
		int fmt;

		if (!s)
			continue;
		seen = 1;
		if (can_int && int_parse(s, len, &x) < 0)
			can_int = 0;
		if (can_dec && int_parse(s, len, &x) < 0 && dec_parse(s, len, &x) < 0)
			can_dec = 0;
		if (can_bool && strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			can_bool = 0;
		if (can_time && (len < 10 || norm_time(s, len, NULL, &x, &fmt) < 0 || fmt == TF_OTHER ||
		    (tfmt && fmt != tfmt)))
			can_time = 0;
		else if (can_time)
			tfmt = fmt;
		if (!can_int && !can_dec && !can_bool && !can_time)
			break;
	}
	type = !seen ? CT_STR : can_int ? CT_INT : can_dec ? CT_DEC : can_bool ? CT_BOOL :
	    can_time ? CT_TIME : CT_STR;
	colvec_init(v, type);
	v->tfmt = type == CT_TIME ? tfmt : 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = vals[i];
		size_t len = lens[i];
		int fmt;

		if (!s) {
			colvec_push_null(v);
			continue;
		}
		x = 0;
		switch (type) {
		case CT_INT:
			int_parse(s, len, &x);
			break;
		case CT_DEC:
			if (int_parse(s, len, &x) == 0)
				x *= 16;
			else
				dec_parse(s, len, &x);
			break;
		case CT_BOOL:
			x = s[0] == 't';
			break;
		case CT_TIME:
			norm_time(s, len, NULL, &x, &fmt);
			break;
		default:
			colvec_push_str(v, s, len);
			continue;
		}
		colvec_push_int(v, x);
	}
}
