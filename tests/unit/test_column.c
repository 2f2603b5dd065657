/*
 * test_column.c - the column encodings of segment version 2 (ENC_INT,
 * ENC_HEX) round trip at their edges, refuse hostile streams, and a
 * segment written by the version 1 writer still reads.
 */
#include <stdlib.h>
#include <unistd.h>

#include "column.h"
#include "fileio.h"
#include "segment.h"
#include "t.h"
#include "vec_eq.h"

/* Encode, check the encoding, decode, compare; the raw length in *len. */
static int
roundtrip(const struct colvec *v, int want_enc, size_t *len)
{
	struct strbuf raw = STRBUF_INIT;
	struct colvec back;
	int ok, enc = col_encode(v, &raw);

	ok = enc == want_enc &&
	    col_decode((unsigned char *)raw.buf, raw.len, v->type, v->n, &back) == 0 &&
	    vec_equal(v, &back);
	if (ok)
		colvec_free(&back);
	if (enc != want_enc)
		printf("# encoding %d, want %d\n", enc, want_enc);
	if (len)
		*len = raw.len;
	sb_free(&raw);
	return ok;
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void
test_ints(void)
{
	struct colvec v;
	size_t len;
	uint64_t seed = 1;

	colvec_init(&v, CT_INT);
	for (int i = 0; i < 10; i++)
		colvec_push_null(&v);
	T_CHECK(roundtrip(&v, ENC_INT, &len) && len == 2 + 2 + 4, "int: all null round-trips");
	colvec_free(&v);
	colvec_init(&v, CT_INT);
	T_CHECK(roundtrip(&v, ENC_INT, NULL), "int: zero rows round-trip");
	colvec_push_int(&v, -42);
	T_CHECK(roundtrip(&v, ENC_INT, NULL), "int: one row round-trips");
	colvec_free(&v);
	colvec_init(&v, CT_INT);
	for (int i = 0; i < 1000; i++)
		colvec_push_int(&v, i % 3 == 0 ? INT64_MIN : i % 3 == 1 ? INT64_MAX : (int64_t)rnd(&seed));
	T_CHECK(roundtrip(&v, ENC_INT, NULL), "int: INT64_MIN, INT64_MAX and random values round-trip");
	colvec_free(&v);
	colvec_init(&v, CT_INT);
	colvec_push_int(&v, INT64_MAX);
	colvec_push_int(&v, INT64_MIN);
	colvec_push_null(&v);
	colvec_push_int(&v, INT64_MAX);
	T_CHECK(roundtrip(&v, ENC_INT, NULL), "int: a full-range jump with a null round-trips");
	colvec_free(&v);
	colvec_init(&v, CT_INT);
	for (int i = 0; i < 5000; i++)
		colvec_push_int(&v, 7);
	T_CHECK(roundtrip(&v, ENC_INT, &len) && len < 16, "int: a constant column takes no bytes per row");
	colvec_free(&v);
}

/* A million sorted timestamps in whole seconds, some null: deltas over
 * the common divisor 1000000 are one byte each. */
static void
test_times(void)
{
	struct colvec v, r;
	size_t len;
	int64_t t = 1700000000LL * 1000000;
	uint64_t seed = 2;

	colvec_init(&v, CT_TIME);
	colvec_init(&r, CT_TIME);
	for (int i = 0; i < 1000000; i++) {
		if (i % 97 == 0) {
			colvec_push_null(&v);
		} else {
			t += (int64_t)(rnd(&seed) % 100) * 1000000;
			colvec_push_int(&v, t);
		}
	}
	T_CHECK(roundtrip(&v, ENC_INT, &len), "time: a million rows round-trip");
	T_CHECK(len < 1000000 + 131072, "time: sorted seconds take a byte per row");
	/* random times over a year in milliseconds: offsets, scale 1000 */
	for (int i = 0; i < 100000; i++)
		colvec_push_int(&r, t + (int64_t)(rnd(&seed) % 31536000000ULL) * 1000);
	T_CHECK(roundtrip(&r, ENC_INT, &len) && len < 100000 * 5 + 64,
	    "time: unsorted milliseconds take five bytes per row");
	colvec_free(&v);
	colvec_free(&r);
}

static void
test_bools_decimals(void)
{
	struct colvec b, d;
	size_t len;

	colvec_init(&b, CT_BOOL);
	colvec_init(&d, CT_DEC);
	for (int i = 0; i < 4000; i++) {
		if (i % 5 == 0)
			colvec_push_null(&b);
		else
			colvec_push_int(&b, i % 3 == 0);
		colvec_push_int(&d, (int64_t)(i * 25 - 50000) * 16 + 2);	/* "-500.00" .. */
	}
	T_CHECK(roundtrip(&b, ENC_INT, &len) && len < 512 + 3200 + 16, "bool: one byte plane round-trips");
	T_CHECK(roundtrip(&d, ENC_INT, &len) && len < 4000 + 64, "decimal: cents in steps of 25 pack to a byte");
	colvec_free(&b);
	colvec_free(&d);
}

static void
uuid(uint64_t *seed, char *buf, int upper)
{
	const char *x = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	uint64_t a = rnd(seed), b = rnd(seed);
	int k = 0;

	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			buf[i] = '-';
			continue;
		}
		buf[i] = x[(k < 16 ? a >> (4 * k) : b >> (4 * (k - 16))) & 15];
		k++;
	}
	buf[36] = '\0';
}

static void
test_hex(void)
{
	struct colvec v;
	size_t len;
	uint64_t seed = 3;
	char buf[64];

	colvec_init(&v, CT_STR);
	for (int i = 0; i < 20000; i++) {
		uuid(&seed, buf, 0);
		if (i % 13 == 0)
			colvec_push_null(&v);
		else
			colvec_push_str(&v, buf, 36);
	}
	T_CHECK(roundtrip(&v, ENC_HEX, &len) && len < 20000 * 16 + 2600, "hex: UUIDs take 16 bytes each");
	colvec_free(&v);
	colvec_init(&v, CT_STR);
	for (int i = 0; i < 300; i++) {
		uuid(&seed, buf, 1);
		colvec_push_str(&v, buf, 36);
	}
	T_CHECK(roundtrip(&v, ENC_HEX, NULL), "hex: upper-case UUIDs round-trip as upper case");
	uuid(&seed, buf, 0);
	colvec_push_str(&v, "0a", 2);
	T_CHECK(roundtrip(&v, ENC_PLAIN, NULL), "hex: a value of another length falls back to plain");
	colvec_free(&v);
	colvec_init(&v, CT_STR);
	for (int i = 0; i < 300; i++) {
		uuid(&seed, buf, i % 2);
		colvec_push_str(&v, buf, 36);
	}
	T_CHECK(roundtrip(&v, ENC_PLAIN, NULL), "hex: mixed-case hex is stored plain, exactly");
	colvec_free(&v);
	colvec_init(&v, CT_STR);
	for (int i = 0; i < 3000; i++) {
		snprintf(buf, sizeof buf, "C%07d", i * 7);	/* seven digits: a pad nibble */
		colvec_push_str(&v, buf, 8);
	}
	T_CHECK(roundtrip(&v, ENC_HEX, &len) && len < 3000 * 4 + 32, "hex: customer ids pack to 4 bytes");
	colvec_free(&v);
	colvec_init(&v, CT_STR);
	colvec_push_str(&v, "deadbeef", 8);
	T_CHECK(roundtrip(&v, ENC_DICT, NULL), "hex: one row has no varying digit: a dictionary");
	colvec_push_str(&v, "deadbeee", 8);
	T_CHECK(roundtrip(&v, ENC_HEX, NULL), "hex: two rows differing in one digit round-trip");
	colvec_free(&v);
}

static void
test_strings_edges(void)
{
	struct colvec v;
	static const char bin[] = { 0, 1, (char)0xff, '\n', 0 };

	colvec_init(&v, CT_STR);
	for (int i = 0; i < 5; i++)
		colvec_push_null(&v);
	T_CHECK(roundtrip(&v, ENC_DICT, NULL), "str: all null round-trips");
	colvec_free(&v);
	colvec_init(&v, CT_STR);
	for (int i = 0; i < 100; i++)
		colvec_push_str(&v, "", 0);
	T_CHECK(roundtrip(&v, ENC_DICT, NULL), "str: empty strings round-trip");
	colvec_free(&v);
	colvec_init(&v, CT_STR);
	for (int i = 0; i < 100; i++) {
		char buf[16];

		memcpy(buf, bin, sizeof bin);
		buf[sizeof bin] = (char)i;
		colvec_push_str(&v, buf, sizeof bin + 1);
	}
	T_CHECK(roundtrip(&v, ENC_PLAIN, NULL), "str: binary bytes with NUL round-trip");
	colvec_free(&v);
}

/* Hostile version 2 streams are refused, never read past. */
static void
test_hostile(void)
{
	static const unsigned char w9[] = { ENC_INT, 0, 1, 0, 1, 9 };
	static const unsigned char g0[] = { ENC_INT, 0, 1, 0, 0, 0 };
	static const unsigned char mode3[] = { ENC_INT, 0, 3, 0, 1, 0 };
	static const unsigned char short1[] = { ENC_INT, 0, 1, 0, 1, 1, 5 };
	static const unsigned char bool2[] = { ENC_INT, 0, 1, 0, 1, 1, 1, 2 };
	static const unsigned char var[] = { ENC_INT, 0, 2, 0, 1, 0, 2, 4 };
	static const unsigned char varw[] = { ENC_INT, 0, 2, 0, 1, 1, 2, 4 };
	/* len 3, digit at 0 and 2 ("0x0"), one byte per row */
	static const unsigned char hexok[] = { ENC_HEX, 0, 0, 3, 5, 'x', 0x12, 0xab };
	static const unsigned char pad[] = { ENC_HEX, 0, 0, 3, 1, 'x', 'y', 0x11, 0x20 };
	static const unsigned char mask[] = { ENC_HEX, 0, 0, 3, 13, 'x', 0x12, 0xab };
	static const unsigned char hcase[] = { ENC_HEX, 0, 2, 3, 5, 'x', 0x12, 0xab };
	static const unsigned char hlen0[] = { ENC_HEX, 0, 0, 0, 0 };
	struct colvec v;

	T_CHECK(col_decode(w9, sizeof w9, CT_INT, 0, &v) < 0, "int: width 9 is refused");
	T_CHECK(col_decode(g0, sizeof g0, CT_INT, 0, &v) < 0, "int: scale 0 is refused");
	T_CHECK(col_decode(mode3, sizeof mode3, CT_INT, 0, &v) < 0, "int: unknown mode is refused");
	T_CHECK(col_decode(short1, sizeof short1, CT_INT, 2, &v) < 0, "int: a short plane is refused");
	T_CHECK(col_decode(short1, sizeof short1, CT_STR, 1, &v) < 0, "int: on a string column is refused");
	T_CHECK(col_decode(bool2, sizeof bool2, CT_BOOL, 2, &v) < 0, "int: a boolean of 2 is refused");
	T_CHECK(col_decode(bool2, sizeof bool2, CT_INT, 2, &v) == 0 && v.iv[1] == 2,
	    "int: the same stream is an integer column");
	colvec_free(&v);
	T_CHECK(col_decode(var, sizeof var, CT_INT, 2, &v) == 0 && v.iv[0] == 1 && v.iv[1] == 3,
	    "int: varint deltas decode");
	colvec_free(&v);
	T_CHECK(col_decode(var, sizeof var, CT_INT, 3, &v) < 0, "int: a missing varint is refused");
	T_CHECK(col_decode(varw, sizeof varw, CT_INT, 2, &v) < 0, "int: varint deltas with a width are refused");
	T_CHECK(col_decode(hexok, sizeof hexok, CT_STR, 2, &v) == 0 &&
	    strcmp(colvec_str(&v, 0, NULL), "1x2") == 0 && strcmp(colvec_str(&v, 1, NULL), "axb") == 0,
	    "hex: a hand-made stream decodes");
	colvec_free(&v);
	T_CHECK(col_decode(hexok, sizeof hexok, CT_STR, 3, &v) < 0, "hex: a missing row is refused");
	T_CHECK(col_decode(hexok, sizeof hexok, CT_INT, 2, &v) < 0, "hex: on an integer column is refused");
	T_CHECK(col_decode(pad, sizeof pad, CT_STR, 2, &v) < 0, "hex: a non-zero pad nibble is refused");
	T_CHECK(col_decode(mask, sizeof mask, CT_STR, 2, &v) < 0, "hex: mask bits past the length are refused");
	T_CHECK(col_decode(hcase, sizeof hcase, CT_STR, 2, &v) < 0, "hex: an unknown case is refused");
	T_CHECK(col_decode(hlen0, sizeof hlen0, CT_STR, 1, &v) < 0, "hex: length 0 is refused");
}

/* Profile ids of links: scattered small steps, where varints win. */
static void
test_int_modes(void)
{
	struct colvec v;
	struct strbuf raw = STRBUF_INIT;
	uint64_t seed = 5;
	int64_t x = 1000;

	colvec_init(&v, CT_INT);
	for (int i = 0; i < 50000; i++) {
		uint64_t r = rnd(&seed);

		x += r % 4 == 0 ? (int64_t)(r >> 8) % 100000 - 50000 : (int64_t)(r >> 8) % 3;
		colvec_push_int(&v, x);
	}
	T_CHECK(roundtrip(&v, ENC_INT, NULL), "int: clustered values with jumps round-trip");
	col_encode(&v, &raw);
	/* header 2 bytes, then the mode byte */
	T_INTEQ((unsigned char)raw.buf[2], 2, "int: small steps with rare jumps are varint deltas");
	colvec_free(&v);
	sb_free(&raw);
}

/* A normalized copy of two spellings: a reference to both, and what differs. */
static void
test_refs(void)
{
	struct colvec a, b, norm, back;
	const struct colvec *cand[3] = { &a, &b, &norm }, *src[2];
	struct strbuf raw = STRBUF_INIT;
	size_t pick[REF_MAXSRC], k;
	uint32_t idx[2], num[REF_MAXSRC];
	char buf[32];

	colvec_init(&a, CT_STR);
	colvec_init(&b, CT_STR);
	colvec_init(&norm, CT_STR);
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof buf, "id-%d", i);
		if (i % 2) {
			colvec_push_str(&a, buf, strlen(buf));
			colvec_push_null(&b);
		} else {
			colvec_push_null(&a);
			colvec_push_str(&b, buf, strlen(buf));
		}
		if (i % 10 == 0)
			colvec_push_null(&norm);
		else if (i % 10 == 1)
			colvec_push_str(&norm, "other", 5);	/* differs: stored */
		else
			colvec_push_str(&norm, buf, strlen(buf));
	}
	k = col_ref_plan(&norm, cand, 3, pick);
	T_CHECK(k == 2 && pick[0] != 2 && pick[1] != 2, "ref: a copy of two columns picks both, not itself");
	src[0] = cand[pick[0]];
	src[1] = cand[pick[1]];
	idx[0] = (uint32_t)pick[0];
	idx[1] = (uint32_t)pick[1];
	T_INTEQ(col_encode_ref(&norm, src, idx, 2, &raw), ENC_REF, "ref: encodes as a reference");
	T_CHECK(raw.len < 200 + 400, "ref: stores only the differing rows");
	T_CHECK(col_ref_sources((unsigned char *)raw.buf, raw.len, 1000, num, &k) == 0 && k == 2 &&
	    num[0] == idx[0] && num[1] == idx[1], "ref: names its sources");
	T_CHECK(col_decode_ref((unsigned char *)raw.buf, raw.len, CT_STR, 1000, src, 2, &back) == 0 &&
	    vec_equal(&norm, &back), "ref: round-trips with its sources");
	colvec_free(&back);
	T_CHECK(col_decode((unsigned char *)raw.buf, raw.len, CT_STR, 1000, &back) < 0,
	    "ref: without its sources is refused");
	src[1] = src[0];	/* rows only the other source had: nowhere now */
	T_CHECK(col_decode_ref((unsigned char *)raw.buf, raw.len, CT_STR, 1000, src, 2, &back) < 0,
	    "ref: a row neither stored nor in a source is refused");
	T_CHECK(col_decode_ref((unsigned char *)raw.buf, raw.len, CT_STR, 1000, src, 1, &back) < 0,
	    "ref: a source count other than the stream's is refused");
	k = col_ref_plan(&a, cand + 1, 1, pick);
	T_INTEQ(k, 0, "ref: a column sharing no value is no reference");
	colvec_free(&a);
	colvec_free(&b);
	colvec_free(&norm);
	sb_free(&raw);
}

/* An event time kept typed and as _time: a reference of integers. */
static void
test_int_refs(void)
{
	struct colvec t, typed, back;
	const struct colvec *cand[1] = { &t }, *src[1] = { &t };
	struct strbuf raw = STRBUF_INIT;
	size_t pick[REF_MAXSRC];
	uint32_t idx[1] = { 0 };

	colvec_init(&t, CT_TIME);
	colvec_init(&typed, CT_TIME);
	for (int i = 0; i < 3000; i++) {
		colvec_push_int(&t, INT64_MAX - i * 1000);
		if (i % 4 == 0)
			colvec_push_null(&typed);
		else
			colvec_push_int(&typed, i % 100 == 1 ? INT64_MIN : INT64_MAX - i * 1000);
	}
	T_CHECK(col_ref_plan(&typed, cand, 1, pick) == 1 && pick[0] == 0, "ref: a typed copy of a time refers to it");
	col_encode_ref(&typed, src, idx, 1, &raw);
	T_CHECK(raw.len < 2 * 3000 / 8 + 64, "ref: a time reference stores two bitmaps and the rows that differ");
	T_CHECK(col_decode_ref((unsigned char *)raw.buf, raw.len, CT_TIME, 3000, src, 1, &back) == 0 &&
	    vec_equal(&typed, &back), "ref: a time reference round-trips, INT64_MIN among its rows");
	colvec_free(&back);
	T_CHECK(col_decode_ref((unsigned char *)raw.buf, raw.len, CT_STR, 3000, src, 1, &back) < 0,
	    "ref: a source of another type is refused");
	/* zeros that coincide with a source's: the column's own encoding wins */
	colvec_free(&t);
	colvec_free(&typed);
	colvec_init(&t, CT_INT);
	colvec_init(&typed, CT_INT);
	for (int i = 0; i < 3000; i++) {
		colvec_push_int(&t, i % 2 ? 0 : i);
		colvec_push_int(&typed, 0);
	}
	sb_reset(&raw);
	T_CHECK(col_ref_plan(&typed, cand, 1, pick) == 1 && col_encode_ref(&typed, src, idx, 1, &raw) == ENC_INT &&
	    col_decode((unsigned char *)raw.buf, raw.len, CT_INT, 3000, &back) == 0 && vec_equal(&typed, &back),
	    "ref: a reference larger than the column's own encoding is not written");
	colvec_free(&back);
	colvec_free(&t);
	colvec_free(&typed);
	sb_free(&raw);
}

static void
test_ref_hostile(void)
{
	/* one row, source 0 twice; one row, no source; a value at a null row */
	static const unsigned char dup[] = { ENC_REF, 0, 2, 0, 0, ENC_DICT, 0, 0 };
	static const unsigned char none[] = { ENC_REF, 0, 0, ENC_DICT, 0, 0 };
	static const unsigned char atnull[] = { ENC_REF, 1, 1, 1, 0, ENC_PLAIN, 0, 1, 'x' };
	struct colvec s, v;
	const struct colvec *src[1] = { &s };
	uint32_t num[REF_MAXSRC];
	size_t k;

	colvec_init(&s, CT_STR);
	colvec_push_str(&s, "a", 1);
	T_CHECK(col_ref_sources(dup, sizeof dup, 1, num, &k) < 0, "ref: a source named twice is refused");
	T_CHECK(col_ref_sources(none, sizeof none, 1, num, &k) < 0, "ref: no source is refused");
	T_CHECK(col_ref_sources(atnull, sizeof atnull, 1, num, &k) == 0 &&
	    col_decode_ref(atnull, sizeof atnull, CT_STR, 1, src, 1, &v) < 0, "ref: a value stored for a null row is refused");
	colvec_free(&s);
}

/* One CSV line of the fixture's source, split at commas (no quoting). */
static size_t
split(char *line, char **cell, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\n")] = '\0';
	cell[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ',') {
			*p = '\0';
			cell[n++] = p + 1;
		}
	return n;
}

/* Compare every cell of the fixture's columns with the CSV it was
 * imported from (an empty cell is null). */
static int
fixture_matches(struct segment *s, FILE *f)
{
	char line[512], *head[8], *cell[8];
	struct colvec v[7];
	size_t nh, row = 0;
	int ok = 1, idx;
	struct strbuf sb = STRBUF_INIT;

	if (!fgets(line, sizeof line, f) || (nh = split(line, head, 8)) != 7)
		return 0;
	for (size_t k = 0; k < nh; k++)
		if ((idx = segment_col_index(s, head[k])) < 0 || segment_read(s, idx, &v[k]) < 0)
			return 0;
	for (; fgets(line, sizeof line, f); row++) {
		if (split(line, cell, 8) != nh || row >= v[0].n)
			ok = 0;
		for (size_t k = 0; ok && k < nh; k++) {
			sb_reset(&sb);
			if (!colvec_isnull(&v[k], row))
				colvec_format(&v[k], row, &sb);
			ok = strcmp(sb.buf ? sb.buf : "", cell[k]) == 0 && (*cell[k] != '\0') == !colvec_isnull(&v[k], row);
		}
	}
	for (size_t k = 0; k < nh; k++)
		colvec_free(&v[k]);
	sb_free(&sb);
	return ok && row == s->nrows;
}

/* tests/unit/data/seg-v1.cdp: cdp-import of seg-v1.csv by the version 1
 * writer (before ENC_INT and ENC_HEX). */
static void
test_version1_fixture(void)
{
	struct segment *s = segment_open("tests/unit/data/seg-v1.cdp");
	FILE *f = fopen("tests/unit/data/seg-v1.csv", "r");
	int idx;

	T_CHECK(s && s->version == 1, "v1: a version 1 segment opens");
	if (!s || !f) {
		segment_close(s);
		if (f)
			fclose(f);
		return;
	}
	idx = segment_col_index(s, "score");
	T_CHECK(idx >= 0 && s->cols[idx].enc == ENC_DELTA, "v1: integers are delta-encoded there");
	idx = segment_col_index(s, "country");
	T_CHECK(idx >= 0 && s->cols[idx].enc == ENC_DICT, "v1: a dictionary column is there");
	idx = segment_col_index(s, "email");
	T_CHECK(idx >= 0 && s->cols[idx].enc == ENC_PLAIN, "v1: a plain column is there");
	T_CHECK(fixture_matches(s, f), "v1: every cell reads back as imported");
	T_CHECK(segment_verify(s) == 0, "v1: the segment verifies");
	segment_close(s);
	fclose(f);
}

/* A version 2 segment: header and footer say 2; encodings are the new. */
static void
test_version2_segment(void)
{
	char path[64];
	struct colvec a, b, c;
	struct segcol_in cols[3] = { { "t", &a }, { "id", &b }, { "copy", &c } };
	struct segment *s;
	struct colvec v = { 0 };
	uint64_t size, seed = 9;
	char buf[40];

	snprintf(path, sizeof path, "/tmp/cdp-test-column.%ld.cdp", (long)getpid());
	colvec_init(&a, CT_TIME);
	colvec_init(&b, CT_STR);
	colvec_init(&c, CT_STR);
	for (int i = 0; i < 2000; i++) {
		colvec_push_int(&a, 1700000000000000LL + i * 1000000LL);
		uuid(&seed, buf, 0);
		colvec_push_str(&b, buf, 36);
		if (i % 3)
			colvec_push_str(&c, buf, 36);
		else
			colvec_push_null(&c);
	}
	unlink(path);
	T_CHECK(segment_write(path, "records", 1, cols, 3, 2000, &size) == 0, "v2: segment written");
	s = segment_open(path);
	T_CHECK(s && s->version == SEG_VERSION && s->cols[0].enc == ENC_INT && s->cols[1].enc == ENC_HEX &&
	    s->cols[2].enc == ENC_REF, "v2: version 2 with integer, hex and reference encodings");
	T_CHECK(s && segment_verify(s) == 0, "v2: the segment verifies");
	T_CHECK(s && segment_read(s, 2, &v) == 0 && vec_equal(&v, &c), "v2: the reference reads back");
	if (s && v.n)
		colvec_free(&v);
	segment_close(s);
	unlink(path);
	colvec_free(&a);
	colvec_free(&b);
	colvec_free(&c);
}

int
main(void)
{
	test_ints();
	test_times();
	test_bools_decimals();
	test_hex();
	test_strings_edges();
	test_hostile();
	test_int_modes();
	test_refs();
	test_int_refs();
	test_ref_hostile();
	test_version1_fixture();
	test_version2_segment();
	return t_done();
}
