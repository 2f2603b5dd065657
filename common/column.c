/*
 * column.c - column vectors and their encodings.
 *
 * Raw stream of one column (before zlib):
 *   u8 encoding, varint null count, [null bitmap, ceil(n/8) bytes],
 *   then the non-null values in the encoding's form (cdp-store(5)).
 * The writer chooses per column: integer-like columns are offsets from
 * the minimum or deltas, over their common divisor, stored in byte
 * planes (deflate then squeezes the nearly constant high bytes);
 * strings a dictionary when few are distinct, plain bytes when most
 * are, packed hex digits when all share one shape (UUIDs, "C0000001").
 * The decoder trusts nothing: every length is checked against the
 * bytes that remain and against the row count the footer promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

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

/* ---- choosing by size ------------------------------------------------ */

/* Deflated size of len bytes at libdeflate's fastest level: the cheap
 * measure by which the writer chooses between two encodings. */
static size_t
deflated_size(const void *p, size_t len)
{
	struct libdeflate_compressor *z = libdeflate_alloc_compressor(1);
	size_t bound, n;
	void *buf;

	if (!z)
		cdp_die(CDP_EXIT_FAIL, "out of memory (compressor)");
	bound = libdeflate_deflate_compress_bound(z, len);
	buf = xmalloc(bound);
	n = libdeflate_deflate_compress(z, p, len, buf, bound);
	free(buf);
	libdeflate_free_compressor(z);
	return n ? n : bound;
}

/* u8 encoding, varint null count, the null bitmap when there are nulls */
static void
put_header(const struct colvec *v, int enc, struct strbuf *out)
{
	sb_addc(out, enc);
	sb_put_varint(out, v->nnull);
	if (v->nnull)
		sb_add(out, v->nulls, (v->n + 7) / 8);
}

/* ---- ENC_DELTA (version 1 only; still read) ------------------------- */

static int
decode_delta(struct cursor *c, struct colvec *out)
{
	int64_t prev = 0;

	for (size_t i = 0; i < out->n; i++) {
		if (colvec_isnull(out, i))
			continue;
		prev = (int64_t)((uint64_t)prev + (uint64_t)zigzag_dec(cur_varint(c)));
		out->iv[i] = prev;
		/* the version 1 writer wrote only 0 and 1 here either */
		if (out->type == CT_BOOL && (uint64_t)prev > 1)
			return -1;
	}
	return c->err ? -1 : 0;
}

/* ---- ENC_INT ----------------------------------------------------------- */

enum { INT_DELTA = 0, INT_OFFSET = 1, INT_VARINT = 2 };
#define INT_SAMPLE 16384	/* values compressed to choose the mode */

static uint64_t
gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int
byte_width(uint64_t max)
{
	int w = 0;

	for (; max; max >>= 8)
		w++;
	return w;
}

/* Byte b of each of the n values, for b = 0 .. w-1: plane after plane. */
static void
put_planes(struct strbuf *out, const uint64_t *x, size_t n, int w)
{
	unsigned char *p;

	sb_grow(out, n * (size_t)w);
	p = (unsigned char *)out->buf + out->len;
	for (int b = 0; b < w; b++)
		for (size_t i = 0; i < n; i++)
			*p++ = (unsigned char)(x[i] >> (8 * b));
	out->len += n * (size_t)w;
}

static void
put_varints(struct strbuf *out, const uint64_t *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_put_varint(out, x[i]);
}

/* Offsets, deltas in planes or deltas as varints: whichever deflates
 * smallest on the first INT_SAMPLE values (the first on a tie). */
static int
int_mode(const uint64_t *q, int wq, const uint64_t *d, int wd, size_t n)
{
	struct strbuf b = STRBUF_INIT;
	size_t s = n < INT_SAMPLE ? n : INT_SAMPLE, best = SIZE_MAX;
	int mode = INT_OFFSET;

	if (s < 2 || wq == 0)
		return INT_OFFSET;
	for (int m = INT_OFFSET; m <= INT_VARINT + 1; m++) {
		int cand = m % 3;	/* offset, varint, delta */
		size_t size;

		sb_reset(&b);
		if (cand == INT_OFFSET)
			put_planes(&b, q, s, wq);
		else if (cand == INT_VARINT)
			put_varints(&b, d, s);
		else
			put_planes(&b, d, s, wd);
		size = deflated_size(b.buf, b.len);
		if (size < best) {
			best = size;
			mode = cand;
		}
	}
	sb_free(&b);
	return mode;
}

/*
 * The non-null values as q = (value - min) / scale, scale the greatest
 * common divisor of the offsets (timestamps in whole seconds have
 * 1000000), all exact in unsigned 64-bit arithmetic; d the zigzag
 * differences of consecutive q (wrapping).
 */
static void
encode_ints(const struct colvec *v, struct strbuf *out)
{
	size_t nn = v->n - v->nnull, k = 0;
	uint64_t *q = xreallocarray(NULL, nn ? nn : 1, sizeof *q);
	uint64_t *d = xreallocarray(NULL, nn ? nn : 1, sizeof *d);
	uint64_t g = 0, qor = 0, dor = 0;
	int64_t min = 0;
	int mode, w;

	for (size_t i = 0; i < v->n; i++)
		if (!colvec_isnull(v, i) && (k++ == 0 || v->iv[i] < min))
			min = v->iv[i];
	k = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (colvec_isnull(v, i))
			continue;
		q[k] = (uint64_t)v->iv[i] - (uint64_t)min;
		if (g != 1)
			g = gcd64(g, q[k]);
		k++;
	}
	if (g == 0)
		g = 1;
	for (k = 0; k < nn; k++) {
		q[k] /= g;
		d[k] = zigzag_enc((int64_t)(q[k] - (k ? q[k - 1] : 0)));
		qor |= q[k];
		dor |= d[k];
	}
	mode = int_mode(q, byte_width(qor), d, byte_width(dor), nn);
	w = mode == INT_VARINT ? 0 : byte_width(mode == INT_OFFSET ? qor : dor);
	put_header(v, ENC_INT, out);
	sb_addc(out, mode);
	sb_put_varint(out, zigzag_enc(min));
	sb_put_varint(out, g);
	sb_addc(out, w);
	if (mode == INT_VARINT)
		put_varints(out, d, nn);
	else
		put_planes(out, mode == INT_OFFSET ? q : d, nn, w);
	free(q);
	free(d);
}

static int
decode_ints(struct cursor *c, struct colvec *out)
{
	size_t nn = out->n - out->nnull, k = 0;
	int mode = cur_u8(c);
	int64_t base = zigzag_dec(cur_varint(c));
	uint64_t g = cur_varint(c), q = 0;
	int w = cur_u8(c);
	const unsigned char *p = c->p;

	if (c->err || mode > INT_VARINT || g == 0 || w > 8 || (mode == INT_VARINT && w != 0))
		return -1;
	if (w && (size_t)(c->end - c->p) / (size_t)w < nn)
		return -1;
	for (size_t i = 0; i < out->n; i++) {
		uint64_t x = 0;

		if (colvec_isnull(out, i))
			continue;
		if (mode == INT_VARINT && (x = cur_varint(c), c->err))
			return -1;
		for (int b = 0; b < w; b++)
			x |= (uint64_t)p[(size_t)b * nn + k] << (8 * b);
		q = mode == INT_OFFSET ? x : q + (uint64_t)zigzag_dec(x);
		out->iv[i] = (int64_t)((uint64_t)base + q * g);
		if (out->type == CT_BOOL && (uint64_t)out->iv[i] > 1)
			return -1;
		k++;
	}
	c->p += nn * (size_t)w;
	return 0;
}

/* ---- ENC_DICT and ENC_PLAIN ------------------------------------------ */

/*
 * Number the distinct strings in first-use order (remap: entry -> number).
 * Returns ENC_PLAIN, deciding early, when values are mostly distinct
 * (e-mails, ids) or too many; ENC_DICT otherwise.
 */
static int
dict_plan(const struct colvec *v, uint32_t *remap, struct strmap *map, size_t *ndistinct)
{
	for (size_t c = 0; c < v->ndict; c++)
		remap[c] = UINT32_MAX;
	*ndistinct = 0;
	for (size_t i = 0; i < v->n; i++) {
		uint32_t c;
		long id;

		if (colvec_isnull(v, i))
			continue;
		c = v->codes[i];
		if (remap[c] != UINT32_MAX)
			continue;
		id = strmap_put(map, v->ddata + v->doff[c],
		    (size_t)(v->doff[c + 1] - v->doff[c] - 1), (long)*ndistinct);
		if ((size_t)id == *ndistinct)
			(*ndistinct)++;
		remap[c] = (uint32_t)id;
		if (*ndistinct > DICT_MAX || *ndistinct * 2 > v->n + 16 ||
		    (i >= 8192 && *ndistinct * 2 > i))
			return ENC_PLAIN;
	}
	return ENC_DICT;
}

static void
encode_dict(const struct colvec *v, const uint32_t *remap, size_t ndistinct, struct strbuf *out)
{
	/* entries in first-use order, which is the order ids were given */
	char **entry = xreallocarray(NULL, ndistinct ? ndistinct : 1, sizeof *entry);
	size_t *elen = xreallocarray(NULL, ndistinct ? ndistinct : 1, sizeof *elen);

	for (size_t c = 0; c < v->ndict; c++) {
		if (remap[c] == UINT32_MAX)
			continue;
		entry[remap[c]] = v->ddata + v->doff[c];
		elen[remap[c]] = (size_t)(v->doff[c + 1] - v->doff[c] - 1);
	}
	put_header(v, ENC_DICT, out);
	sb_put_varint(out, ndistinct);
	for (size_t d = 0; d < ndistinct; d++)
		sb_put_bytes(out, entry[d], elen[d]);
	for (size_t i = 0; i < v->n; i++)
		if (!colvec_isnull(v, i))
			sb_put_varint(out, remap[v->codes[i]]);
	free(entry);
	free(elen);
}

static void
encode_plain(const struct colvec *v, struct strbuf *out)
{
	put_header(v, ENC_PLAIN, out);
	for (size_t i = 0; i < v->n; i++) {
		size_t len;
		const char *s;

		if (colvec_isnull(v, i))
			continue;
		s = colvec_str(v, i, &len);
		sb_put_bytes(out, s, len);
	}
}

static int
decode_strings(struct cursor *c, struct colvec *out, int enc)
{
	uint64_t nd = out->n - out->nnull;

	if (enc == ENC_DICT) {
		nd = cur_varint(c);
		if (c->err || nd > out->n || nd > DICT_MAX)
			return -1;
	}
	for (uint64_t d = 0; enc == ENC_DICT && d < nd; d++) {
		size_t l;
		const char *s = cur_bytes(c, &l);

		if (c->err)
			return -1;
		dict_add(out, s, l);
	}
	for (size_t i = 0; i < out->n; i++) {
		if (colvec_isnull(out, i))
			continue;
		if (enc == ENC_DICT) {
			uint64_t code = cur_varint(c);

			if (c->err || code >= nd)
				return -1;
			out->codes[i] = (uint32_t)code;
		} else {
			size_t l;
			const char *s = cur_bytes(c, &l);

			if (c->err)
				return -1;
			out->codes[i] = dict_add(out, s, l);
		}
	}
	return 0;
}

/* ---- ENC_HEX ----------------------------------------------------------- */

/* The shape every non-null value of a column shares. */
struct hexshape {
	size_t len, nhex;
	int upper;			/* letters A-F, not a-f */
	uint8_t ishex[HEX_MAXLEN];	/* 1: a hex digit varies here */
	char lit[HEX_MAXLEN];		/* else the character all values have */
};

static int
hex_value(int ch, int upper)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= (upper ? 'A' : 'a') && ch <= (upper ? 'F' : 'f'))
		return ch - (upper ? 'A' : 'a') + 10;
	return -1;
}

/* 1: a-f, 2: A-F, 0: a decimal digit, -1: no hex digit */
static int
hex_class(int ch)
{
	return hex_value(ch, 0) >= 10 ? 1 : hex_value(ch, 1) >= 10 ? 2 : hex_value(ch, 0) >= 0 ? 0 : -1;
}

/* Fold one value into the shape; -1 when it does not fit. */
static int
hex_fold(struct hexshape *h, uint8_t *cases, const char *s)
{
	for (size_t j = 0; j < h->len; j++) {
		if (!h->ishex[j]) {
			if (s[j] == h->lit[j])
				continue;
			if (hex_class(h->lit[j]) < 0)
				return -1;
			h->ishex[j] = 1;
			*cases |= (uint8_t)(hex_class(h->lit[j]) & 3);
		}
		if (hex_class(s[j]) < 0)
			return -1;
		*cases |= (uint8_t)(hex_class(s[j]) & 3);
	}
	return *cases == 3 ? -1 : 0;
}

/* 0 when all non-null values (at least one) have one length and differ
 * only in hex digits of one case; -1 otherwise. */
static int
hex_shape(const struct colvec *v, struct hexshape *h)
{
	uint8_t cases = 0;
	int first = 1;

	memset(h, 0, sizeof *h);
	for (size_t i = 0; i < v->n; i++) {
		size_t len;
		const char *s;

		if (colvec_isnull(v, i))
			continue;
		s = colvec_str(v, i, &len);
		if (first) {
			if (len == 0 || len > HEX_MAXLEN)
				return -1;
			h->len = len;
			memcpy(h->lit, s, len);
			first = 0;
		} else if (len != h->len || hex_fold(h, &cases, s) < 0) {
			return -1;
		}
	}
	for (size_t j = 0; j < h->len; j++)
		h->nhex += h->ishex[j];
	h->upper = cases == 2;
	return first || h->nhex == 0 ? -1 : 0;
}

static void
encode_hex(const struct colvec *v, const struct hexshape *h, struct strbuf *out)
{
	size_t nn = v->n - v->nnull, nb = (h->nhex + 1) / 2, k = 0;
	unsigned char *plane;

	put_header(v, ENC_HEX, out);
	sb_addc(out, h->upper);
	sb_put_varint(out, h->len);
	for (size_t j = 0; j < h->len; j += 8) {
		int m = 0;

		for (size_t b = 0; b < 8 && j + b < h->len; b++)
			m |= h->ishex[j + b] << b;
		sb_addc(out, m);
	}
	for (size_t j = 0; j < h->len; j++)
		if (!h->ishex[j])
			sb_addc(out, h->lit[j]);
	sb_grow(out, nb * nn);
	plane = (unsigned char *)out->buf + out->len;
	memset(plane, 0, nb * nn);
	for (size_t i = 0; i < v->n; i++) {
		const char *s;

		if (colvec_isnull(v, i))
			continue;
		s = colvec_str(v, i, NULL);
		for (size_t j = 0, t = 0; j < h->len; j++)
			if (h->ishex[j]) {
				plane[(t / 2) * nn + k] |= (unsigned char)(hex_value(s[j], h->upper) << (t % 2 ? 0 : 4));
				t++;
			}
		k++;
	}
	out->len += nb * nn;
}

/* The shape: case, length, digit mask (unused bits zero), literals. */
static int
decode_hex_shape(struct cursor *c, struct hexshape *h)
{
	uint64_t len;

	memset(h, 0, sizeof *h);
	h->upper = cur_u8(c);
	len = cur_varint(c);
	if (c->err || h->upper > 1 || len == 0 || len > HEX_MAXLEN)
		return -1;
	h->len = (size_t)len;
	for (size_t j = 0; j < h->len; j += 8) {
		int m = cur_u8(c);

		for (size_t b = 0; b < 8; b++) {
			if (j + b < h->len)
				h->ishex[j + b] = m >> b & 1;
			else if (m >> b & 1)
				return -1;
		}
	}
	for (size_t j = 0; j < h->len; j++) {
		if (h->ishex[j])
			h->nhex++;
		else
			h->lit[j] = (char)cur_u8(c);
	}
	return c->err || h->nhex == 0 ? -1 : 0;
}

static int
decode_hex(struct cursor *c, struct colvec *out)
{
	const char *digits;
	struct hexshape h;
	size_t nn = out->n - out->nnull, nb, k = 0;
	char buf[HEX_MAXLEN];

	if (nn == 0 || decode_hex_shape(c, &h) < 0)
		return -1;
	digits = h.upper ? "0123456789ABCDEF" : "0123456789abcdef";
	nb = (h.nhex + 1) / 2;
	if ((size_t)(c->end - c->p) / nb < nn)
		return -1;
	memcpy(buf, h.lit, h.len);
	for (size_t i = 0; i < out->n; i++) {
		if (colvec_isnull(out, i))
			continue;
		for (size_t j = 0, t = 0; j < h.len; j++)
			if (h.ishex[j]) {
				buf[j] = digits[c->p[(t / 2) * nn + k] >> (t % 2 ? 0 : 4) & 15];
				t++;
			}
		/* an odd digit count pads with a zero nibble, nothing else */
		if (h.nhex % 2 && (c->p[(nb - 1) * nn + k] & 15))
			return -1;
		out->codes[i] = dict_add(out, buf, h.len);
		k++;
	}
	c->p += nb * nn;
	return 0;
}

/* ---- the column ------------------------------------------------------- */

/* Strings: dictionary or plain as before; packed hex digits where every
 * value fits one shape and that deflates smaller. */
static int
encode_strings(const struct colvec *v, struct strbuf *out)
{
	struct strmap map = { 0 };
	uint32_t *remap = xreallocarray(NULL, v->ndict ? v->ndict : 1, sizeof *remap);
	struct hexshape *h = xmalloc(sizeof *h);
	size_t ndistinct;
	int enc = dict_plan(v, remap, &map, &ndistinct);

	if (hex_shape(v, h) == 0) {
		struct strbuf dict = STRBUF_INIT, hex = STRBUF_INIT;

		encode_hex(v, h, &hex);
		if (enc == ENC_DICT)
			encode_dict(v, remap, ndistinct, &dict);
		if (enc == ENC_PLAIN || deflated_size(hex.buf, hex.len) <= deflated_size(dict.buf, dict.len)) {
			enc = ENC_HEX;
			sb_add(out, hex.buf, hex.len);
		} else {
			sb_add(out, dict.buf, dict.len);
		}
		sb_free(&dict);
		sb_free(&hex);
	} else if (enc == ENC_DICT) {
		encode_dict(v, remap, ndistinct, out);
	} else {
		encode_plain(v, out);
	}
	free(h);
	free(remap);
	strmap_free(&map);
	return enc;
}

int
col_encode(const struct colvec *v, struct strbuf *out)
{
	if (v->type == CT_STR)
		return encode_strings(v, out);
	encode_ints(v, out);
	return ENC_INT;
}

/* The null bitmap, checked against the null count it must hold. */
static int
decode_nulls(struct cursor *c, struct colvec *out)
{
	size_t bytes = (out->n + 7) / 8, count = 0;

	if (!out->nnull)
		return 0;
	if ((size_t)(c->end - c->p) < bytes)
		return -1;
	out->nulls = xmalloc(bytes + 1);
	memcpy(out->nulls, c->p, bytes);
	c->p += bytes;
	for (size_t i = 0; i < out->n; i++)
		count += colvec_isnull(out, i);
	return count == out->nnull ? 0 : -1;
}

int
col_decode(const unsigned char *p, size_t len, int type, size_t n, struct colvec *out)
{
	struct cursor c = { p, p + len, 0 };
	int enc, ints, rc;
	uint64_t nnull;

	colvec_init(out, type);
	enc = cur_u8(&c);
	nnull = cur_varint(&c);
	ints = enc == ENC_DELTA || enc == ENC_INT;
	if (c.err || nnull > n || (type == CT_STR) == ints ||
	    (!ints && enc != ENC_DICT && enc != ENC_PLAIN && enc != ENC_HEX))
		goto bad;
	out->cap = n;
	out->n = n;
	out->nnull = (size_t)nnull;
	if (decode_nulls(&c, out) < 0)
		goto bad;
	if (ints) {
		out->iv = xcalloc(n ? n : 1, sizeof *out->iv);
		rc = enc == ENC_DELTA ? decode_delta(&c, out) : decode_ints(&c, out);
	} else {
		out->codes = xcalloc(n ? n : 1, sizeof *out->codes);
		rc = enc == ENC_HEX ? decode_hex(&c, out) : decode_strings(&c, out, enc);
		if (!out->ddata)
			dict_add(out, "", 0);	/* all null: keep colvec_str() safe */
	}
	if (rc < 0 || c.p != c.end)
		goto bad;
	return 0;
bad:
	colvec_free(out);
	return cdp_seterr("malformed column data");
}

/* ---- ENC_REF ------------------------------------------------------------ */

#define REF_SAMPLE 256		/* rows that find the candidates worth counting */

/* Row i holds one value in both columns (of one type). */
static int
same_val(const struct colvec *a, const struct colvec *b, size_t i)
{
	size_t la, lb;
	const char *sa, *sb;

	if (colvec_isnull(a, i) || colvec_isnull(b, i))
		return 0;
	if (a->type != CT_STR)
		return a->iv[i] == b->iv[i];
	sa = colvec_str(a, i, &la);
	sb = colvec_str(b, i, &lb);
	return la == lb && memcmp(sa, sb, la) == 0;
}

/* Rows not yet taken by a source where cand has v's value. */
static size_t
ref_gain(const struct colvec *v, const struct colvec *cand, const uint8_t *taken)
{
	size_t gain = 0;

	for (size_t i = 0; i < v->n; i++)
		gain += !taken[i] && same_val(v, cand, i);
	return gain;
}

/* Candidates of the right shape that match v in one of its first
 * REF_SAMPLE non-null rows. */
static size_t
ref_candidates(const struct colvec *v, const struct colvec *const *cand, size_t ncand, size_t *live)
{
	size_t rows[REF_SAMPLE], nrows = 0, nlive = 0;

	for (size_t i = 0; i < v->n && nrows < REF_SAMPLE; i++)
		if (!colvec_isnull(v, i))
			rows[nrows++] = i;
	for (size_t c = 0; c < ncand; c++) {
		int hit = 0;

		if (cand[c] == v || cand[c]->type != v->type || cand[c]->n != v->n)
			continue;
		for (size_t r = 0; r < nrows && !hit; r++)
			hit = same_val(v, cand[c], rows[r]);
		if (hit)
			live[nlive++] = c;
	}
	return nlive;
}

size_t
col_ref_plan(const struct colvec *v, const struct colvec *const *cand, size_t ncand, size_t *pick)
{
	size_t nn = v->n - v->nnull, k = 0, covered = 0, nlive;
	size_t *live = xreallocarray(NULL, ncand ? ncand : 1, sizeof *live);
	uint8_t *taken;

	if (nn < 16 || (nlive = ref_candidates(v, cand, ncand, live)) == 0) {
		free(live);
		return 0;
	}
	/* a row is taken by the first source not null in it, equal or not */
	taken = xcalloc(v->n ? v->n : 1, 1);
	while (k < REF_MAXSRC && nlive) {
		size_t best = 0, gain = 0;

		for (size_t c = 0; c < nlive; c++) {
			size_t g = ref_gain(v, cand[live[c]], taken);

			if (g > gain) {
				gain = g;
				best = c;
			}
		}
		if (gain == 0 || gain < nn / 16)
			break;
		pick[k++] = live[best];
		covered += gain;
		for (size_t i = 0; i < v->n; i++)
			taken[i] |= !colvec_isnull(cand[live[best]], i);
		live[best] = live[--nlive];
	}
	free(taken);
	free(live);
	return covered * 2 >= nn ? k : 0;
}

/* The first source not null in row i, or NULL. */
static const struct colvec *
ref_source(const struct colvec *const *src, size_t k, size_t i)
{
	for (size_t s = 0; s < k; s++)
		if (!colvec_isnull(src[s], i))
			return src[s];
	return NULL;
}

int
col_encode_ref(const struct colvec *v, const struct colvec *const *src, const uint32_t *idx,
    size_t k, struct strbuf *out)
{
	struct strbuf ref = STRBUF_INIT, own = STRBUF_INIT;
	struct colvec rest;
	int enc;

	/* what the sources do not give: null where they do, and where v is */
	colvec_init(&rest, v->type);
	for (size_t i = 0; i < v->n; i++) {
		const struct colvec *s = colvec_isnull(v, i) ? NULL : ref_source(src, k, i);
		size_t len;
		const char *p;

		if (colvec_isnull(v, i) || (s && same_val(v, s, i))) {
			colvec_push_null(&rest);
		} else if (v->type != CT_STR) {
			colvec_push_int(&rest, v->iv[i]);
		} else {
			p = colvec_str(v, i, &len);
			colvec_push_str(&rest, p, len);
		}
	}
	put_header(v, ENC_REF, &ref);
	sb_put_varint(&ref, k);
	for (size_t s = 0; s < k; s++)
		sb_put_varint(&ref, idx[s]);
	col_encode(&rest, &ref);
	/* values that merely coincide (zeros) can cost more than they save;
	 * with nothing left to store, the reference is two bitmaps at most */
	enc = rest.nnull == rest.n ? ENC_REF : col_encode(v, &own);
	colvec_free(&rest);
	if (enc == ENC_REF || deflated_size(ref.buf, ref.len) <= deflated_size(own.buf, own.len)) {
		enc = ENC_REF;
		sb_add(out, ref.buf, ref.len);
	} else {
		sb_add(out, own.buf, own.len);
	}
	sb_free(&ref);
	sb_free(&own);
	return enc;
}

/* Past the header to the source list: its count and numbers. */
static int
ref_head(struct cursor *c, size_t n, struct colvec *out, uint32_t *idx, size_t *k)
{
	uint64_t nnull, nsrc;

	if (cur_u8(c) != ENC_REF)
		return -1;
	nnull = cur_varint(c);
	if (c->err || nnull > n)
		return -1;
	out->n = n;
	out->nnull = (size_t)nnull;
	if (decode_nulls(c, out) < 0)
		return -1;
	nsrc = cur_varint(c);
	if (c->err || nsrc == 0 || nsrc > REF_MAXSRC)
		return -1;
	for (size_t s = 0; s < nsrc; s++) {
		uint64_t x = cur_varint(c);

		if (c->err || x > UINT32_MAX)
			return -1;
		idx[s] = (uint32_t)x;
		for (size_t t = 0; t < s; t++)
			if (idx[t] == idx[s])
				return -1;
	}
	*k = (size_t)nsrc;
	return 0;
}

int
col_ref_sources(const unsigned char *p, size_t len, size_t n, uint32_t *idx, size_t *k)
{
	struct cursor c = { p, p + len, 0 };
	struct colvec tmp;
	int rc;

	colvec_init(&tmp, CT_STR);
	rc = ref_head(&c, n, &tmp, idx, k);
	colvec_free(&tmp);
	return rc;
}

/* Row i of out from from (the rest or a source). */
static void
ref_take(struct colvec *out, const struct colvec *from, size_t i)
{
	size_t l;
	const char *s;

	if (out->type != CT_STR) {
		out->iv[i] = from->iv[i];
		return;
	}
	s = colvec_str(from, i, &l);
	out->codes[i] = dict_add(out, s, l);
}

int
col_decode_ref(const unsigned char *p, size_t len, int type, size_t n, const struct colvec *const *src,
    size_t k, struct colvec *out)
{
	struct cursor c = { p, p + len, 0 };
	struct colvec rest;
	uint32_t idx[REF_MAXSRC];
	size_t nsrc;

	colvec_init(out, type);
	colvec_init(&rest, type);
	if (ref_head(&c, n, out, idx, &nsrc) < 0 || nsrc != k)
		goto bad;
	for (size_t s = 0; s < k; s++)
		if (src[s]->type != type || src[s]->n != n)
			goto bad;
	if (col_decode(c.p, (size_t)(c.end - c.p), type, n, &rest) < 0)
		goto bad;
	out->cap = n;
	if (type == CT_STR)
		out->codes = xcalloc(n ? n : 1, sizeof *out->codes);
	else
		out->iv = xcalloc(n ? n : 1, sizeof *out->iv);
	for (size_t i = 0; i < n; i++) {
		const struct colvec *from = colvec_isnull(&rest, i) ? ref_source(src, k, i) : &rest;

		if (colvec_isnull(out, i)) {
			if (!colvec_isnull(&rest, i))
				goto bad;	/* a value stored for a null row */
			continue;
		}
		if (!from)
			goto bad;	/* neither stored nor in a source */
		ref_take(out, from, i);
	}
	if (type == CT_STR && !out->ddata)
		dict_add(out, "", 0);
	colvec_free(&rest);
	return 0;
bad:
	colvec_free(&rest);
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
