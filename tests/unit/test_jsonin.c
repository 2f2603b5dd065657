/*
 * test_jsonin.c - the JSON Lines reader: flattening, JSON types,
 * arrays kept as compact JSON, line handling, and every reject reason
 * with its line number, including hostile input (deep nesting, huge
 * lines) that must cost bounded time and memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "t.h"
#include "input.h"
#include "jsonin.h"
#include "util.h"

static char tmpl[] = "/tmp/test_jsonin.XXXXXX";
static char *tmpdir;

/* A reader over a temp file holding exactly n bytes of s. */
struct rd {
	struct input *in;
	struct jsonin *j;
	struct record rec;
	const char *reason;
	int rc;
};

static void
write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void
rd_open_path(struct rd *d, const char *path, size_t max_record, int max_depth)
{
	struct jsonin_opts o = { max_record, max_depth };

	memset(d, 0, sizeof *d);
	d->in = input_open(path);
	if (!d->in) {
		fprintf(stderr, "%s\n", cdp_err());
		exit(2);
	}
	d->j = jsonin_new(d->in, max_record || max_depth ? &o : NULL);
}

static void
rd_openn(struct rd *d, const char *s, size_t n, size_t max_record,
    int max_depth)
{
	char path[256];

	snprintf(path, sizeof path, "%s/in.jsonl", tmpdir);
	write_file(path, s, n);
	rd_open_path(d, path, max_record, max_depth);
}

static void
rd_open(struct rd *d, const char *s)
{
	rd_openn(d, s, strlen(s), 0, 0);
}

static int
rd_next(struct rd *d)
{
	d->rc = jsonin_next(d->j, &d->rec, &d->reason);
	return d->rc;
}

static void
rd_close(struct rd *d)
{
	jsonin_free(d->j);
	input_close(d->in);
}

static const struct field *
fld(const struct record *rec, const char *name)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].name, name) == 0)
			return &rec->fields[i];
	return NULL;
}

static const char *
val(const struct record *rec, const char *name)
{
	const struct field *f = fld(rec, name);

	return f ? f->val : NULL;
}

static int
kind(const struct record *rec, const char *name)
{
	const struct field *f = fld(rec, name);

	return f ? f->kind : -1;
}

static void
test_segment_event(void)
{
	struct rd d;
	const struct field *f;

	rd_open(&d, "{\"type\":\"track\",\"event\":\"Order Completed\","
	    "\"userId\":\"u1\",\"anonymousId\":\"a1\",\"messageId\":\"m1\","
	    "\"timestamp\":\"2024-03-05T10:00:00Z\",\"properties\":{\"sku\":\"X1\","
	    "\"amount\":12.50,\"items\":[{\"sku\":\"X1\",\"qty\":1}]},"
	    "\"context\":{\"campaign\":{\"name\":\"spring\",\"source\":\"news\"}}}\n");
	T_INTEQ(rd_next(&d), READ_OK, "json: segment track event reads ok");
	T_INTEQ(d.rec.nfields, 11, "json: segment event flattens to 11 fields");
	T_INTEQ(d.rec.line, 1, "json: first record is line 1");
	T_STREQ(val(&d.rec, "type"), "track", "json: top-level string field");
	T_STREQ(val(&d.rec, "event"), "Order Completed", "json: string with space");
	T_STREQ(val(&d.rec, "userId"), "u1", "json: userId");
	T_STREQ(val(&d.rec, "anonymousId"), "a1", "json: anonymousId");
	T_STREQ(val(&d.rec, "messageId"), "m1", "json: messageId");
	T_STREQ(val(&d.rec, "timestamp"), "2024-03-05T10:00:00Z", "json: timestamp kept as text");
	T_INTEQ(kind(&d.rec, "timestamp"), FK_STRING, "json: timestamp is FK_STRING");
	T_STREQ(val(&d.rec, "properties.sku"), "X1", "json: nested key joined with a dot");
	T_STREQ(val(&d.rec, "properties.amount"), "12.50", "json: number keeps its text as written");
	T_INTEQ(kind(&d.rec, "properties.amount"), FK_NUMBER, "json: number is FK_NUMBER");
	T_STREQ(val(&d.rec, "properties.items"), "[{\"sku\":\"X1\",\"qty\":1}]",
	    "json: array of objects kept as compact JSON");
	T_INTEQ(kind(&d.rec, "properties.items"), FK_JSON, "json: array is FK_JSON");
	T_CHECK(fld(&d.rec, "properties.items.sku") == NULL,
	    "json: objects inside arrays are not flattened");
	T_STREQ(val(&d.rec, "context.campaign.name"), "spring", "json: two-level nesting flattens");
	T_STREQ(val(&d.rec, "context.campaign.source"), "news", "json: sibling after nested key");
	f = fld(&d.rec, "event");
	T_INTEQ(f ? f->len : 0, 15, "json: value length matches text");
	T_CHECK(d.rec.raw && d.rec.rawlen > 0 && d.rec.raw[0] == '{' &&
	    d.rec.raw[d.rec.rawlen - 1] == '}', "json: raw is the line without newline");
	T_INTEQ(rd_next(&d), READ_EOF, "json: end after the only line");
	rd_close(&d);
}

static void
test_strings(void)
{
	struct rd d;

	rd_open(&d, "{\"e\":\"caf\\u00e9\",\"s\":\"\\ud83d\\ude00\",\"raw\":\"na\xc3\xafve\","
	    "\"k\\\"ey\":\"va\\\"l\\\\ue\",\"ctl\":\"a\\nb\\tc\\/\"}\n");
	T_INTEQ(rd_next(&d), READ_OK, "json: escapes read ok");
	T_STREQ(val(&d.rec, "e"), "caf\xc3\xa9", "json: \\u00e9 decodes to UTF-8");
	T_STREQ(val(&d.rec, "s"), "\xf0\x9f\x98\x80", "json: surrogate pair decodes to one code point");
	T_STREQ(val(&d.rec, "raw"), "na\xc3\xafve", "json: raw UTF-8 passes through");
	T_STREQ(val(&d.rec, "k\"ey"), "va\"l\\ue", "json: escaped quote in key and value");
	T_STREQ(val(&d.rec, "ctl"), "a\nb\tc/", "json: control escapes decode");
	rd_close(&d);

	rd_open(&d, "{\"a\":[\"x\\\"y\",\"b\\\\s\",\"n\\nl\",\"\\u0001\",\"\\u00e9\",\"\\u0000\"]}\n");
	T_INTEQ(rd_next(&d), READ_OK, "json: array of tricky strings ok");
	T_STREQ(val(&d.rec, "a"),
	    "[\"x\\\"y\",\"b\\\\s\",\"n\\nl\",\"\\u0001\",\"\xc3\xa9\",\"\\u0000\"]",
	    "json: array strings re-escaped correctly");
	rd_close(&d);

	rd_open(&d, "{\"a\\\"b\":{\"c\":1},\"x\":[{\"k\\\"\":\"v\"}]}\n");
	T_INTEQ(rd_next(&d), READ_OK, "json: escaped keys ok");
	T_STREQ(val(&d.rec, "a\"b.c"), "1", "json: escaped quote in a parent key");
	T_STREQ(val(&d.rec, "x"), "[{\"k\\\"\":\"v\"}]", "json: key inside array re-escaped");
	rd_close(&d);
}

static void
test_scalars(void)
{
	struct rd d;

	rd_open(&d, "{\"z\":-0,\"e\":1e5,\"E\":-1.5E-3,\"big\":123456789012345678901234567890,"
	    "\"t\":true,\"f\":false,\"n\":null,\"s\":\"\"}\n");
	T_INTEQ(rd_next(&d), READ_OK, "json: scalars ok");
	T_STREQ(val(&d.rec, "z"), "-0", "json: -0 kept as written");
	T_STREQ(val(&d.rec, "e"), "1e5", "json: exponent kept as written");
	T_STREQ(val(&d.rec, "E"), "-1.5E-3", "json: negative exponent kept as written");
	T_STREQ(val(&d.rec, "big"), "123456789012345678901234567890",
	    "json: integer beyond 64 bits kept exactly");
	T_INTEQ(kind(&d.rec, "big"), FK_NUMBER, "json: big integer is FK_NUMBER");
	T_STREQ(val(&d.rec, "t"), "true", "json: true");
	T_INTEQ(kind(&d.rec, "t"), FK_BOOL, "json: true is FK_BOOL");
	T_STREQ(val(&d.rec, "f"), "false", "json: false");
	T_INTEQ(kind(&d.rec, "f"), FK_BOOL, "json: false is FK_BOOL");
	T_STREQ(val(&d.rec, "n"), "", "json: null has empty value");
	T_INTEQ(fld(&d.rec, "n") ? (long long)fld(&d.rec, "n")->len : -1, 0, "json: null has length 0");
	T_INTEQ(kind(&d.rec, "n"), FK_NULL, "json: null is FK_NULL");
	T_INTEQ(kind(&d.rec, "s"), FK_STRING, "json: empty string is FK_STRING, not null");
	rd_close(&d);
}

static void
test_structure(void)
{
	struct rd d;

	rd_open(&d, "{\"a\":[[1,2],{\"b\":[true,null]},\"s\",-1.0e2],\"c\":[],\"d\":{},"
	    "\"e\":{\"f\":{}},\"g\":{\"h\":[{}]}}\n{}\n{\"k\":1,\"k\":\"two\"}\n"
	    "{\"o\":{\"p\":1,\"q\":2},\"o\":{\"p\":3}}\n"
	    "{\"a.b\":1,\"a\":{\"b\":2}}\n");
	T_INTEQ(rd_next(&d), READ_OK, "json: nested arrays ok");
	T_STREQ(val(&d.rec, "a"), "[[1,2],{\"b\":[true,null]},\"s\",-1.0e2]",
	    "json: arrays and objects inside arrays serialized compactly");
	T_STREQ(val(&d.rec, "c"), "[]", "json: empty array is []");
	T_STREQ(val(&d.rec, "g.h"), "[{}]", "json: array under a nested key");
	T_CHECK(fld(&d.rec, "d") == NULL && fld(&d.rec, "e") == NULL &&
	    fld(&d.rec, "e.f") == NULL, "json: empty objects yield no field");
	T_INTEQ(d.rec.nfields, 3, "json: only a, c, g.h");
	T_INTEQ(rd_next(&d), READ_OK, "json: {} reads ok");
	T_INTEQ(d.rec.nfields, 0, "json: {} has no fields");
	T_INTEQ(rd_next(&d), READ_OK, "json: duplicate key ok");
	T_INTEQ(d.rec.nfields, 1, "json: duplicate key gives one field");
	T_STREQ(val(&d.rec, "k"), "two", "json: later duplicate wins");
	T_INTEQ(kind(&d.rec, "k"), FK_STRING, "json: later duplicate's kind wins");
	T_INTEQ(rd_next(&d), READ_OK, "json: duplicate nested object ok");
	T_STREQ(val(&d.rec, "o.p"), "3", "json: later nested duplicate wins");
	T_STREQ(val(&d.rec, "o.q"), "2", "json: fields only in the earlier object stay");
	T_INTEQ(d.rec.nfields, 2, "json: one field per dotted name");
	T_INTEQ(rd_next(&d), READ_OK, "json: dotted key and nested object ok");
	T_INTEQ(d.rec.nfields, 1, "json: dotted key and nested path are one name");
	T_STREQ(val(&d.rec, "a.b"), "2", "json: later of dotted and nested wins");
	rd_close(&d);
}

static void
test_lines(void)
{
	struct rd d;

	rd_open(&d, "\xEF\xBB\xBF{\"a\":1}\r\n\n   \r\n\t\n{\"a\":2}\r\n\n{\"a\":\"x\\r\"}\r\n{\"a\":4}");
	T_INTEQ(rd_next(&d), READ_OK, "json: line after BOM ok");
	T_STREQ(val(&d.rec, "a"), "1", "json: BOM stripped from first line");
	T_INTEQ(d.rec.line, 1, "json: BOM line is line 1");
	T_INTEQ(d.rec.rawlen, 7, "json: raw excludes BOM and CR");
	T_INTEQ(rd_next(&d), READ_OK, "json: record after blank lines");
	T_STREQ(val(&d.rec, "a"), "2", "json: blank and whitespace lines skipped");
	T_INTEQ(d.rec.line, 5, "json: line number counts blank lines");
	T_INTEQ(rd_next(&d), READ_OK, "json: CRLF record");
	T_STREQ(val(&d.rec, "a"), "x\r", "json: CR inside a string is data, not line end");
	T_INTEQ(d.rec.line, 7, "json: line number after CRLF lines");
	T_INTEQ(rd_next(&d), READ_OK, "json: last line without newline read");
	T_STREQ(val(&d.rec, "a"), "4", "json: last line without newline parsed");
	T_INTEQ(d.rec.line, 8, "json: last line number");
	T_INTEQ(rd_next(&d), READ_EOF, "json: eof after last line");
	T_INTEQ(rd_next(&d), READ_EOF, "json: eof is sticky");
	rd_close(&d);

	rd_open(&d, "");
	T_INTEQ(rd_next(&d), READ_EOF, "json: empty file is eof");
	rd_close(&d);
	rd_open(&d, "\n \n\xEF\xBB\xBF\n");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: BOM only stripped at the start of the file");
	T_INTEQ(d.rec.line, 3, "json: mid-file BOM line number");
	T_INTEQ(rd_next(&d), READ_EOF, "json: blank-only file ends");
	rd_close(&d);
}

/* Each reject with its line and reason, and the reader going on. */
static void
test_rejects(void)
{
	static const struct {
		const char *line, *reason;
	} cases[] = {
		{ "{\"a\":1", "invalid JSON: parse error: premature EOF" },
		{ "{\"a\":1,}", "invalid JSON: " },
		{ "{a:1}", "invalid JSON: lexical error: invalid char in json text" },
		{ "[1,2]", "not a JSON object" },
		{ "\"str\"", "not a JSON object" },
		{ "42", "not a JSON object" },
		{ "null", "not a JSON object" },
		{ "{\"a\":1} {\"b\":2}", "invalid JSON: trailing garbage" },
		{ "{\"a\":1} 5", "invalid JSON: trailing garbage" },
		{ "{\"a\":1} x", "invalid JSON: " },
		{ "{\"a\":1} \"half", "invalid JSON: trailing garbage" },
		{ "{\"a\":\"\xff\"}", "invalid UTF-8" },
		{ "{\"\xc3\x28\":1}", "invalid UTF-8" },
		{ "{\"a\":\"x\\u0000y\"}", "NUL byte in record" },
		{ "{\"a\\u0000\":1}", "NUL byte in record" },
	};
	struct strbuf sb = STRBUF_INIT;
	struct rd d;
	size_t n = sizeof cases / sizeof cases[0];
	char name[200];

	for (size_t i = 0; i < n; i++) {
		sb_adds(&sb, cases[i].line);
		sb_adds(&sb, "\n{\"ok\":1}\n");
	}
	/* A raw NUL byte cannot go through a C string literal. */
	sb_add(&sb, "{\"a\":\"x\0y\"}\n{\"ok\":1}\n",
	    sizeof "{\"a\":\"x\0y\"}\n{\"ok\":1}\n" - 1);
	sb_add(&sb, "{\"a\":1}\0\n{\"ok\":1}\n",
	    sizeof "{\"a\":1}\0\n{\"ok\":1}\n" - 1);
	sb_add(&sb, "\0{\"a\":1}\n{\"ok\":1}\n",
	    sizeof "\0{\"a\":1}\n{\"ok\":1}\n" - 1);
	rd_openn(&d, sb.buf, sb.len, 0, 0);
	for (size_t i = 0; i < n; i++) {
		const char *want = cases[i].reason;

		snprintf(name, sizeof name, "json: reject %s", cases[i].line);
		T_INTEQ(rd_next(&d), READ_REJECT, name);
		snprintf(name, sizeof name, "json: reject line number for %s", cases[i].line);
		T_INTEQ(d.rec.line, 2 * i + 1, name);
		snprintf(name, sizeof name, "json: reject reason for %s", cases[i].line);
		T_CHECK(d.reason && strncmp(d.reason, want, strlen(want)) == 0 &&
		    !strchr(d.reason, '\n') && d.reason[strlen(d.reason) - 1] != '.', name);
		if (!(d.reason && strncmp(d.reason, want, strlen(want)) == 0))
			printf("#   got \"%s\"\n", d.reason ? d.reason : "(null)");
		snprintf(name, sizeof name, "json: reject keeps raw line for %s", cases[i].line);
		T_CHECK(d.rec.rawlen == strlen(cases[i].line) &&
		    memcmp(d.rec.raw, cases[i].line, d.rec.rawlen) == 0, name);
		snprintf(name, sizeof name, "json: reading goes on after %s", cases[i].line);
		T_CHECK(rd_next(&d) == READ_OK && d.rec.nfields == 1 &&
		    strcmp(d.rec.fields[0].name, "ok") == 0 && d.rec.line == 2 * i + 2, name);
	}
	T_INTEQ(rd_next(&d), READ_REJECT, "json: raw NUL byte rejected");
	T_STREQ(d.reason, "NUL byte in record", "json: raw NUL byte reason");
	T_INTEQ(d.rec.line, 2 * n + 1, "json: raw NUL line number");
	T_INTEQ(rd_next(&d), READ_OK, "json: reading goes on after NUL byte");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: NUL after the object rejected");
	T_STREQ(d.reason, "NUL byte in record", "json: NUL after the object reason");
	T_INTEQ(rd_next(&d), READ_OK, "json: reading goes on after trailing NUL");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: NUL before the object rejected");
	T_STREQ(d.reason, "NUL byte in record", "json: NUL before the object reason");
	T_INTEQ(rd_next(&d), READ_OK, "json: reading goes on after leading NUL");
	T_INTEQ(rd_next(&d), READ_EOF, "json: reject file ends");
	rd_close(&d);
	sb_free(&sb);
}

static void
nest(struct strbuf *sb, int depth)
{
	sb_adds(sb, "{");
	for (int i = 1; i < depth; i++)
		sb_adds(sb, "\"a\":{");
	sb_adds(sb, "\"x\":1");
	for (int i = 1; i < depth; i++)
		sb_adds(sb, "}");
	sb_adds(sb, "}\n");
}

static void
test_depth(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct rd d;
	double t0;
	int i;

	nest(&sb, 64);
	nest(&sb, 65);
	/* arrays count as levels too: 1 object + 64 arrays = 65 */
	sb_adds(&sb, "{\"a\":");
	for (i = 0; i < 64; i++)
		sb_addc(&sb, '[');
	for (i = 0; i < 64; i++)
		sb_addc(&sb, ']');
	sb_adds(&sb, "}\n{\"ok\":1}\n");
	rd_openn(&d, sb.buf, sb.len, 0, 0);
	T_INTEQ(rd_next(&d), READ_OK, "json: 64 levels accepted");
	T_CHECK(d.rec.nfields == 1 && strlen(d.rec.fields[0].name) == 63 * 2 + 1,
	    "json: 64-level name has 63 dotted parents");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: 65 levels rejected");
	T_STREQ(d.reason, "nested deeper than 64 levels", "json: depth reason");
	T_INTEQ(d.rec.line, 2, "json: depth reject line");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: arrays count toward depth");
	T_STREQ(d.reason, "nested deeper than 64 levels", "json: array depth reason");
	T_INTEQ(rd_next(&d), READ_OK, "json: reading goes on after depth reject");
	rd_close(&d);

	/* max_depth option */
	sb_reset(&sb);
	sb_adds(&sb, "{\"a\":{\"b\":1}}\n{\"a\":{\"b\":{\"c\":1}}}\n");
	rd_openn(&d, sb.buf, sb.len, 0, 2);
	T_INTEQ(rd_next(&d), READ_OK, "json: max_depth 2 accepts 2 levels");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: max_depth 2 rejects 3 levels");
	T_STREQ(d.reason, "nested deeper than 2 levels", "json: reason names the option's depth");
	rd_close(&d);

	/* 10,000 levels, objects and arrays: refused quickly */
	sb_reset(&sb);
	sb_adds(&sb, "{");
	for (i = 0; i < 10000; i++)
		sb_adds(&sb, "\"a\":{");
	for (i = 0; i < 10001; i++)
		sb_addc(&sb, '}');
	sb_adds(&sb, "\n{\"a\":");
	for (i = 0; i < 10000; i++)
		sb_addc(&sb, '[');
	sb_adds(&sb, "\n{\"ok\":1}\n");
	rd_openn(&d, sb.buf, sb.len, 0, 0);
	t0 = now_seconds();
	T_INTEQ(rd_next(&d), READ_REJECT, "json: 10000 nested objects rejected");
	T_STREQ(d.reason, "nested deeper than 64 levels", "json: 10000-deep reason");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: 10000 nested arrays rejected");
	T_STREQ(d.reason, "nested deeper than 64 levels", "json: 10000-deep array reason");
	T_INTEQ(rd_next(&d), READ_OK, "json: reading goes on after deep nesting");
	T_INTEQ(d.rec.line, 3, "json: line number after deep nesting");
	T_CHECK(now_seconds() - t0 < 1.0, "json: deep nesting refused quickly");
	rd_close(&d);
	sb_free(&sb);
}

static void
test_fields_limit(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct rd d;
	int i;

	for (int n = 4096; n <= 4097; n++) {
		sb_addc(&sb, '{');
		for (i = 0; i < n; i++)
			sb_addf(&sb, "%s\"f%d\":%d", i ? "," : "", i, i);
		sb_adds(&sb, "}\n");
	}
	/* duplicates do not count twice */
	sb_addc(&sb, '{');
	for (i = 0; i < 5000; i++)
		sb_addf(&sb, "%s\"f%d\":%d", i ? "," : "", i % 10, i);
	sb_adds(&sb, "}\n");
	rd_openn(&d, sb.buf, sb.len, 0, 0);
	T_INTEQ(rd_next(&d), READ_OK, "json: 4096 fields accepted");
	T_INTEQ(d.rec.nfields, 4096, "json: 4096 fields all there");
	T_STREQ(val(&d.rec, "f4095"), "4095", "json: last of 4096 fields");
	T_STREQ(d.rec.fields[100].name, "f100", "json: fields keep input order");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: 4097 fields rejected");
	T_STREQ(d.reason, "more than 4096 fields", "json: field limit reason");
	T_INTEQ(rd_next(&d), READ_OK, "json: 5000 keys over 10 names accepted");
	T_INTEQ(d.rec.nfields, 10, "json: repeated keys counted once");
	T_STREQ(val(&d.rec, "f3"), "4993", "json: last of many duplicates wins");
	rd_close(&d);
	sb_free(&sb);
}

static void
test_long_lines(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct rd d;
	size_t big = 20u << 20, mb = 1u << 20;
	char *s;

	/* a 20 MB line with max_record 1 MB */
	sb_adds(&sb, "{\"a\":1}\n{\"big\":\"");
	sb_grow(&sb, big);
	memset(sb.buf + sb.len, 'x', big);
	sb.len += big;
	sb_adds(&sb, "\"}\n{\"after\":2}\n");
	rd_openn(&d, sb.buf, sb.len, mb, 0);
	T_INTEQ(rd_next(&d), READ_OK, "json: line before the long one");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: 20 MB line rejected");
	T_STREQ(d.reason, "line longer than 1048576 bytes", "json: long line reason");
	T_INTEQ(d.rec.line, 2, "json: long line number");
	T_INTEQ(d.rec.rawlen, mb, "json: raw keeps max_record bytes");
	T_CHECK(memcmp(d.rec.raw, "{\"big\":\"xxx", 11) == 0, "json: raw is the line's start");
	T_INTEQ(rd_next(&d), READ_OK, "json: line after the long one read");
	T_STREQ(val(&d.rec, "after"), "2", "json: line after the long one parsed");
	T_INTEQ(d.rec.line, 3, "json: line number after the long one");
	T_INTEQ(rd_next(&d), READ_EOF, "json: eof after long line file");
	rd_close(&d);

	/* exact limit, one over, and one over at end of file (no newline) */
	sb_reset(&sb);
	s = xmalloc(200);
	memset(s, 'y', 200);
	sb_adds(&sb, "{\"v\":\"");
	sb_add(&sb, s, 100 - 8);
	sb_adds(&sb, "\"}\n");		/* 100 bytes */
	sb_adds(&sb, "{\"v\":\"");
	sb_add(&sb, s, 100 - 8);
	sb_adds(&sb, "\"}\r\n");	/* 100 bytes and a CR */
	sb_adds(&sb, "{\"v\":\"");
	sb_add(&sb, s, 100 - 7);
	sb_adds(&sb, "\"}\n");		/* 101 bytes */
	sb_adds(&sb, "{\"v\":\"");
	sb_add(&sb, s, 150);
	rd_openn(&d, sb.buf, sb.len, 100, 0);
	T_INTEQ(rd_next(&d), READ_OK, "json: line of exactly max_record accepted");
	T_INTEQ(d.rec.rawlen, 100, "json: exact-limit raw length");
	T_INTEQ(rd_next(&d), READ_OK, "json: CR does not count toward max_record");
	T_INTEQ(d.rec.rawlen, 100, "json: exact-limit CRLF raw length");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: line one over max_record rejected");
	T_STREQ(d.reason, "line longer than 100 bytes", "json: over-limit reason");
	T_INTEQ(rd_next(&d), READ_REJECT, "json: long last line without newline rejected");
	T_INTEQ(d.rec.line, 4, "json: long last line number");
	T_INTEQ(d.rec.rawlen, 100, "json: long last line raw bounded");
	T_INTEQ(rd_next(&d), READ_EOF, "json: eof after long last line");
	rd_close(&d);
	free(s);

	/* a 3 MB key repeated in front of 8 nested names: 24 MB of names */
	sb_reset(&sb);
	sb_adds(&sb, "{\"");
	sb_grow(&sb, 3u << 20);
	memset(sb.buf + sb.len, 'k', 3u << 20);
	sb.len += 3u << 20;
	sb_adds(&sb, "\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8}}\n"
	    "{\"ok\":1}\n");
	rd_openn(&d, sb.buf, sb.len, 0, 0);
	T_INTEQ(rd_next(&d), READ_REJECT, "json: names multiplied past the bound rejected");
	T_STREQ(d.reason, "flattened names too long", "json: flattened names reason");
	T_INTEQ(rd_next(&d), READ_OK, "json: reading goes on after flattened names reject");
	rd_close(&d);
	sb_free(&sb);
}

/* Many records across 256 KiB read boundaries, each checked. */
static void
test_many(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct rd d;
	int i, bad = 0, n = 60000;
	char want[32];

	for (i = 0; i < n; i++)
		sb_addf(&sb, "{\"i\":%d,\"p\":{\"s\":\"v%d\",\"pad\":\"%.*s\"},\"l\":[%d,\"x\"]}%s\n",
		    i, i, i % 37, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
		    i, i % 3 ? "" : "\r");
	rd_openn(&d, sb.buf, sb.len, 0, 0);
	for (i = 0; i < n; i++) {
		if (rd_next(&d) != READ_OK || d.rec.nfields != 4 || d.rec.line != (unsigned long)i + 1) {
			bad++;
			continue;
		}
		snprintf(want, sizeof want, "%d", i);
		if (strcmp(val(&d.rec, "i"), want) != 0)
			bad++;
		snprintf(want, sizeof want, "v%d", i);
		if (strcmp(val(&d.rec, "p.s"), want) != 0)
			bad++;
		snprintf(want, sizeof want, "[%d,\"x\"]", i);
		if (strcmp(val(&d.rec, "l"), want) != 0)
			bad++;
	}
	T_INTEQ(bad, 0, "json: 60000 records across read chunks all correct");
	T_INTEQ(rd_next(&d), READ_EOF, "json: many-record file ends");
	rd_close(&d);
	sb_free(&sb);
}

static void
test_gzip(void)
{
	char path[256];
	const char *text = "{\"a\":\"gz\"}\n\n{\"b\":[1]}\n";
	gzFile gz;
	struct rd d;
	FILE *f;

	snprintf(path, sizeof path, "%s/in.jsonl.gz", tmpdir);
	gz = gzopen(path, "wb");
	gzwrite(gz, text, (unsigned)strlen(text));
	gzclose(gz);
	rd_open_path(&d, path, 0, 0);
	T_INTEQ(rd_next(&d), READ_OK, "json: gzip input read");
	T_STREQ(val(&d.rec, "a"), "gz", "json: gzip input decompressed");
	T_INTEQ(rd_next(&d), READ_OK, "json: gzip second record");
	T_STREQ(val(&d.rec, "b"), "[1]", "json: gzip second record value");
	T_INTEQ(d.rec.line, 3, "json: gzip line numbers");
	T_INTEQ(rd_next(&d), READ_EOF, "json: gzip eof");
	rd_close(&d);

	/* A damaged gzip stream is a read error, not a reject. */
	f = fopen(path, "wb");
	fwrite("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage-garbage", 1, 33, f);
	fclose(f);
	rd_open_path(&d, path, 0, 0);
	cdp_seterr("none");
	T_INTEQ(rd_next(&d), READ_FATAL, "json: corrupt gzip is READ_FATAL");
	T_CHECK(strcmp(cdp_err(), "none") != 0, "json: READ_FATAL sets cdp_err");
	rd_close(&d);
}

int
main(void)
{
	char cmd[300];

	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		perror("mkdtemp");
		return 2;
	}
	test_segment_event();
	test_strings();
	test_scalars();
	test_structure();
	test_lines();
	test_rejects();
	test_depth();
	test_fields_limit();
	test_long_lines();
	test_many();
	test_gzip();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return t_done();
}
