/*
 * jsonin.c - JSON Lines reader: bytes -> one flattened record per line.
 *
 * Lines are cut from 256 KiB reads of the input; each line is fed whole
 * to one long-lived yajl handle whose callbacks flatten the object as
 * it streams by, so no tree is ever built.  Nested object keys are
 * joined with '.', scalars keep their JSON type (numbers as written),
 * and an array at any depth is re-serialized as compact JSON into a
 * single FK_JSON field.
 *
 * Invariants:
 * - Memory is bounded: a line holds at most max_record plus one read
 *   chunk, its flattened names and values at most max_data, and its
 *   nesting max_depth.  A 1 GB line or 10,000 nested brackets cost
 *   neither unbounded memory nor unbounded time.
 * - In the steady state nothing is allocated per record: names and
 *   values go to one reusable byte buffer (as offsets, turned into
 *   pointers once the record is complete, since the buffer may move
 *   while it grows), and the yajl handle is kept across lines.  It is
 *   replaced only after a reject, which leaves it in an error state.
 * - Every name and value handed out is NUL-terminated and holds no NUL.
 * - One field per name: a repeated key replaces the earlier value in
 *   place, found through a small hash table stamped with a generation
 *   number so that it never needs clearing between records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "jsonin.h"
#include "util.h"

#define JSONIN_CHUNK (256u * 1024)
#define JSONIN_MAX_FIELDS 4096
/* A power of two at least twice JSONIN_MAX_FIELDS: probes stay short. */
#define JSONIN_SLOTS 8192

/* A field while its record is being built: offsets into r->data. */
struct entry {
	size_t name_off, name_len;
	size_t val_off, val_len;
	uint64_t hash;
	int kind;
};

struct slot {
	uint32_t gen;	/* the slot is in use for this record iff gen matches */
	uint32_t idx;	/* into r->ents */
};

struct jsonin {
	struct input *in;
	size_t max_record;
	int max_depth;
	size_t max_data;	/* bound on a record's names and values */

	/* Line assembly: unread bytes are buf[pos..end). */
	char *buf;
	size_t cap, pos, end;
	int eof;
	int bom_checked;
	unsigned long lineno;

	yajl_handle yh;

	/* Per-record parse state. */
	struct strbuf path;	/* dotted name of the current key */
	size_t pathlen;
	size_t *prefix;		/* prefix[d]: where keys at depth d start in path */
	int depth;		/* open objects and arrays */
	int array_depth;	/* open arrays and objects inside an array */
	size_t array_start;	/* offset in data of the array being serialized */
	int done;		/* the top-level object has closed */
	size_t done_off;	/* line offset just past its closing brace */
	const char *why;	/* reason a callback stopped the parse */

	struct strbuf data;	/* names and values of this record */
	struct entry *ents;
	size_t nents, entcap;
	struct slot *slots;
	uint32_t gen;

	struct field *fields;
	size_t fieldcap;

	char reason[160];
};

/*
 * A word at a time (names are short, and this runs once per field);
 * slot_of() mixes the result.  Not collision-proof against crafted
 * keys, but the field limit bounds any probe chain.
 */
static uint64_t
name_hash(const char *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = n, w;
	size_t i;

	if (n < 8) {
		w = 0;
		for (i = 0; i < n; i++)
			w = w << 8 | (unsigned char)p[i];
		return (h ^ w) * k;
	}
	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&w, p + i, 8);
		h = ((h << 5 | h >> 59) ^ w) * k;
	}
	/* The last word may overlap the one before: no byte-wise tail. */
	memcpy(&w, p + n - 8, 8);
	return ((h << 5 | h >> 59) ^ w) * k;
}

static size_t
slot_of(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (JSONIN_SLOTS - 1);
}

/* Append n bytes to the record's data; no NUL is added here. */
static inline void
data_add(struct jsonin *r, const void *p, size_t n)
{
	if (r->data.cap - r->data.len <= n)
		sb_grow(&r->data, n);
	memcpy(r->data.buf + r->data.len, p, n);
	r->data.len += n;
}

static inline void
data_addc(struct jsonin *r, char c)
{
	if (r->data.cap - r->data.len <= 1)
		sb_grow(&r->data, 1);
	r->data.buf[r->data.len++] = c;
}

static int
stop(struct jsonin *r, const char *why)
{
	r->why = why;
	return 0;
}

/*
 * The value for the current path is data[off..off+len) (NUL already
 * written after it).  Adds a field, or replaces the value of an
 * earlier field of the same name.
 */
static int
put_field(struct jsonin *r, size_t off, size_t len, int kind)
{
	const char *name = r->path.buf;
	size_t nlen = r->pathlen;
	uint64_t h;
	size_t s;
	struct entry *e;

	h = name_hash(name, nlen);
	for (s = slot_of(h); r->slots[s].gen == r->gen;
	    s = (s + 1) & (JSONIN_SLOTS - 1)) {
		e = &r->ents[r->slots[s].idx];
		if (e->hash == h && e->name_len == nlen &&
		    memcmp(r->data.buf + e->name_off, name, nlen) == 0) {
			e->val_off = off;
			e->val_len = len;
			e->kind = kind;
			return 1;
		}
	}
	if (r->nents == JSONIN_MAX_FIELDS)
		return stop(r, "more than 4096 fields");
	/*
	 * Each field repeats its parents' keys, so a long key over many
	 * fields could multiply a short line into gigabytes of names.
	 */
	if (r->data.len > r->max_data || nlen > r->max_data - r->data.len)
		return stop(r, "flattened names too long");
	if (r->nents == r->entcap) {
		r->entcap = r->entcap ? r->entcap * 2 : 64;
		r->ents = xreallocarray(r->ents, r->entcap, sizeof *r->ents);
	}
	e = &r->ents[r->nents];
	e->name_off = r->data.len;
	e->name_len = nlen;
	e->val_off = off;
	e->val_len = len;
	e->hash = h;
	e->kind = kind;
	data_add(r, name, nlen);
	data_addc(r, '\0');
	r->slots[s].gen = r->gen;
	r->slots[s].idx = (uint32_t)r->nents;
	r->nents++;
	return 1;
}

/* A scalar outside any array: its bytes become the field's value. */
static int
put_scalar(struct jsonin *r, const char *p, size_t len, int kind)
{
	size_t off;

	if (r->depth == 0)
		return stop(r, r->done ? "invalid JSON: trailing garbage" :
		    "not a JSON object");
	off = r->data.len;
	data_add(r, p, len);
	data_addc(r, '\0');
	return put_field(r, off, len, kind);
}

/* Inside an array: a comma unless this is the first item or a value. */
static inline void
json_sep(struct jsonin *r)
{
	char last = r->data.buf[r->data.len - 1];

	if (last != '[' && last != '{' && last != ':')
		data_addc(r, ',');
}

/* s as a JSON string literal; s is valid UTF-8 (yajl checked it). */
static void
json_str(struct jsonin *r, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	char esc[6];

	data_addc(r, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		data_add(r, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		data_add(r, esc, elen);
	}
	data_add(r, s + run, n - run);
	data_addc(r, '"');
}

static int
on_null(void *ctx)
{
	struct jsonin *r = ctx;

	if (r->array_depth) {
		json_sep(r);
		data_add(r, "null", 4);
		return 1;
	}
	return put_scalar(r, "", 0, FK_NULL);
}

static int
on_boolean(void *ctx, int b)
{
	struct jsonin *r = ctx;
	const char *s = b ? "true" : "false";
	size_t n = b ? 4 : 5;

	if (r->array_depth) {
		json_sep(r);
		data_add(r, s, n);
		return 1;
	}
	return put_scalar(r, s, n, FK_BOOL);
}

static int
on_number(void *ctx, const char *s, size_t n)
{
	struct jsonin *r = ctx;

	if (r->array_depth) {
		json_sep(r);
		data_add(r, s, n);
		return 1;
	}
	return put_scalar(r, s, n, FK_NUMBER);
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jsonin *r = ctx;

	if (r->array_depth) {
		/* A \u0000 here is escaped again, so it may stay. */
		json_sep(r);
		json_str(r, s, n);
		return 1;
	}
	/* Raw NULs were refused with the line; only \u0000 gets here. */
	if (r->depth > 0 && memchr(s, '\0', n))
		return stop(r, "NUL byte in record");
	return put_scalar(r, (const char *)s, n, FK_STRING);
}

static int
on_map_key(void *ctx, const unsigned char *s, size_t n)
{
	struct jsonin *r = ctx;
	size_t at;

	if (r->array_depth) {
		json_sep(r);
		json_str(r, s, n);
		data_addc(r, ':');
		return 1;
	}
	if (memchr(s, '\0', n))
		return stop(r, "NUL byte in record");
	at = r->prefix[r->depth];
	r->path.len = at;
	sb_add(&r->path, s, n);
	r->pathlen = at + n;
	return 1;
}

/* Depth check shared by objects and arrays; false when too deep. */
static int
descend(struct jsonin *r)
{
	if (r->depth >= r->max_depth) {
		snprintf(r->reason, sizeof r->reason,
		    "nested deeper than %d levels", r->max_depth);
		r->why = r->reason;
		return 0;
	}
	r->depth++;
	return 1;
}

static int
on_start_map(void *ctx)
{
	struct jsonin *r = ctx;
	int d;

	if (r->depth == 0 && r->done)
		return stop(r, "invalid JSON: trailing garbage");
	if (!descend(r))
		return 0;
	if (r->array_depth) {
		json_sep(r);
		data_addc(r, '{');
		r->array_depth++;
		return 1;
	}
	d = r->depth;
	if (d == 1) {
		r->prefix[1] = 0;
		r->path.len = 0;
		r->pathlen = 0;
		return 1;
	}
	/* Keys of this object follow "parentkey." in the path. */
	r->path.len = r->pathlen;
	sb_addc(&r->path, '.');
	r->prefix[d] = r->pathlen + 1;
	return 1;
}

static int
on_end_map(void *ctx)
{
	struct jsonin *r = ctx;

	r->depth--;
	if (r->array_depth) {
		data_addc(r, '}');
		r->array_depth--;
		return 1;
	}
	if (r->depth == 0) {
		r->done = 1;
		r->done_off = yajl_get_bytes_consumed(r->yh);
	}
	return 1;
}

static int
on_start_array(void *ctx)
{
	struct jsonin *r = ctx;

	if (r->depth == 0)
		return stop(r, r->done ? "invalid JSON: trailing garbage" :
		    "not a JSON object");
	if (!descend(r))
		return 0;
	if (r->array_depth) {
		json_sep(r);
		data_addc(r, '[');
	} else {
		r->array_start = r->data.len;
		data_addc(r, '[');
	}
	r->array_depth++;
	return 1;
}

static int
on_end_array(void *ctx)
{
	struct jsonin *r = ctx;
	size_t off, len;

	r->depth--;
	data_addc(r, ']');
	if (--r->array_depth > 0)
		return 1;
	/* The outermost array closed: its text is the field's value. */
	off = r->array_start;
	len = r->data.len - off;
	data_addc(r, '\0');
	return put_field(r, off, len, FK_JSON);
}

static const yajl_callbacks jsonin_callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

static void
handle_new(struct jsonin *r)
{
	r->yh = yajl_alloc(&jsonin_callbacks, NULL, r);
	/* yajl fails only when out of memory: die the way xmalloc does. */
	if (!r->yh)
		xmalloc(SIZE_MAX);
	/*
	 * Lets one handle take line after line.  Two values on one line
	 * are caught by the callbacks and by the done_off check.
	 */
	yajl_config(r->yh, yajl_allow_multiple_values, 1);
}

struct jsonin *
jsonin_new(struct input *in, const struct jsonin_opts *opts)
{
	struct jsonin *r = xcalloc(1, sizeof *r);

	r->in = in;
	r->max_record = opts && opts->max_record ? opts->max_record :
	    JSONIN_MAX_RECORD;
	r->max_depth = opts && opts->max_depth > 0 ? opts->max_depth :
	    JSONIN_MAX_DEPTH;
	if (r->max_depth > (1 << 20))
		r->max_depth = 1 << 20;
	if (r->max_record > SIZE_MAX / 8)
		r->max_record = SIZE_MAX / 8;
	/* Ample for real data: values fit the line, names repeat prefixes. */
	r->max_data = 4 * r->max_record + (1u << 20);
	r->cap = 2 * JSONIN_CHUNK;
	r->buf = xmalloc(r->cap);
	r->prefix = xcalloc((size_t)r->max_depth + 2, sizeof *r->prefix);
	r->slots = xcalloc(JSONIN_SLOTS, sizeof *r->slots);
	sb_grow(&r->path, 256);
	sb_grow(&r->data, 4096);
	handle_new(r);
	return r;
}

void
jsonin_start_at(struct jsonin *r, unsigned long line, int no_bom)
{
	r->lineno = line;
	r->bom_checked = no_bom;
}

unsigned long
jsonin_line(const struct jsonin *r)
{
	return r->lineno;
}

void
jsonin_free(struct jsonin *r)
{
	if (!r)
		return;
	if (r->yh)
		yajl_free(r->yh);
	free(r->buf);
	free(r->prefix);
	free(r->slots);
	free(r->ents);
	free(r->fields);
	sb_free(&r->path);
	sb_free(&r->data);
	free(r);
}

/* At least `need` free bytes after end, keeping buf[pos..end). */
static void
make_room(struct jsonin *r, size_t need)
{
	size_t want;

	if (r->cap - r->end >= need)
		return;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
		if (r->cap - r->end >= need)
			return;
	}
	/* Only a line still within max_record gets here: cap stays bounded. */
	want = r->cap * 2;
	if (want < r->end + need)
		want = r->end + need;
	r->buf = xrealloc(r->buf, want);
	r->cap = want;
}

static int
fill(struct jsonin *r, size_t at)
{
	ssize_t n = input_read(r->in, r->buf + at, JSONIN_CHUNK);

	if (n < 0)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end = at + (size_t)n;
	return 0;
}

/*
 * The line began at pos and has passed max_record bytes without a
 * newline: keep its first max_record bytes at the start of buf as the
 * raw text of the reject and read the rest through a scratch area
 * behind them, keeping none of it.
 */
static int
skip_long_line(struct jsonin *r, char **line)
{
	size_t keep = r->max_record;

	memmove(r->buf, r->buf + r->pos, keep);
	r->pos = 0;
	r->end = keep;
	if (r->cap < keep + JSONIN_CHUNK) {
		r->buf = xrealloc(r->buf, keep + JSONIN_CHUNK);
		r->cap = keep + JSONIN_CHUNK;
	}
	*line = r->buf;
	while (!r->eof) {
		char *nl;

		if (fill(r, keep) < 0)
			return -1;
		nl = memchr(r->buf + keep, '\n', r->end - keep);
		if (nl) {
			r->pos = (size_t)(nl - r->buf) + 1;
			return 1;
		}
	}
	r->pos = r->end = keep;
	return 1;
}

/* Past max_record, not counting a final CR; cuts *len to the limit. */
static int
too_long(const struct jsonin *r, const char *line, size_t *len)
{
	if (*len <= r->max_record ||
	    (*len == r->max_record + 1 && line[*len - 1] == '\r'))
		return 0;
	*len = r->max_record;
	return 1;
}

/*
 * The next physical line without its '\n': 1, or 0 at the end, or -1
 * on a read error.  *toolong says it passed max_record bytes, in which
 * case only its first max_record bytes are returned.
 */
static int
next_line(struct jsonin *r, char **line, size_t *len, int *toolong)
{
	size_t scan = r->pos;

	*toolong = 0;
	for (;;) {
		char *nl = memchr(r->buf + scan, '\n', r->end - scan);

		if (nl) {
			*line = r->buf + r->pos;
			*len = (size_t)(nl - *line);
			r->pos += *len + 1;
			*toolong = too_long(r, *line, len);
			return 1;
		}
		/* + 1: a CR before the newline does not count */
		if (r->end - r->pos > r->max_record + 1) {
			*toolong = 1;
			*len = r->max_record;
			return skip_long_line(r, line);
		}
		if (r->eof) {
			if (r->pos == r->end)
				return 0;
			*line = r->buf + r->pos;
			*len = r->end - r->pos;
			r->pos = r->end;
			*toolong = too_long(r, *line, len);
			return 1;
		}
		scan = r->end - r->pos;
		make_room(r, JSONIN_CHUNK);
		scan += r->pos;
		if (fill(r, r->end) < 0)
			return -1;
	}
}

static int
blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* yajl's one-line message, or the callback's reason, as *reason. */
static void
set_parse_error(struct jsonin *r, yajl_status st, const char *line,
    size_t len)
{
	unsigned char *msg;
	size_t n;

	if (st == yajl_status_client_canceled && r->why) {
		if (r->why != r->reason)
			snprintf(r->reason, sizeof r->reason, "%s", r->why);
		return;
	}
	msg = yajl_get_error(r->yh, 0, (const unsigned char *)line, len);
	if (!msg) {
		snprintf(r->reason, sizeof r->reason, "invalid JSON");
		return;
	}
	if (strstr((char *)msg, "UTF8")) {
		snprintf(r->reason, sizeof r->reason, "invalid UTF-8");
	} else {
		n = strlen((char *)msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' ||
		    msg[n - 1] == ' ' || msg[n - 1] == '.'))
			n--;
		for (size_t i = 0; i < n; i++)
			if (msg[i] == '\n' || msg[i] == '\r')
				msg[i] = ' ';
		snprintf(r->reason, sizeof r->reason, "invalid JSON: %.*s",
		    (int)n, (char *)msg);
	}
	yajl_free_error(r->yh, msg);
}

static int
hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/*
 * Whether a string escape \uD800-\uDFFF stands alone.  yajl turns a lone
 * high surrogate into '?' and a lone low one into the bytes of a
 * surrogate code point, which is not UTF-8: such a line is rejected as
 * raw invalid bytes are.  A malformed escape is left for yajl to report.
 */
static int
lone_surrogate(const char *p, size_t len)
{
	const char *end = p + len;
	int in_str = 0;
	unsigned u, lo;

	if (!memmem(p, len, "\\u", 2))
		return 0;
	for (; p < end; p++) {
		if (*p == '"') {
			in_str = !in_str;
		} else if (in_str && *p == '\\' && p + 1 < end) {
			if (p[1] != 'u' || hex4(p + 2, end, &u) < 0) {
				p++;	/* \" and \\ are not quotes or escapes */
				continue;
			}
			p += 5;
			if (u >= 0xdc00 && u <= 0xdfff)
				return 1;
			if (u < 0xd800 || u > 0xdbff)
				continue;
			if (end - p < 7 || p[1] != '\\' || p[2] != 'u' ||
			    hex4(p + 3, end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
				return 1;
			p += 6;
		}
	}
	return 0;
}

/* Parse one non-blank line into r->ents; READ_OK or READ_REJECT. */
static int
parse_line(struct jsonin *r, const char *line, size_t len)
{
	yajl_status st;

	r->data.len = 0;
	r->nents = 0;
	r->depth = 0;
	r->array_depth = 0;
	r->done = 0;
	r->why = NULL;
	if (++r->gen == 0) {
		memset(r->slots, 0, JSONIN_SLOTS * sizeof *r->slots);
		r->gen = 1;
	}
	/* yajl's own check lets encoded surrogates and overlong forms by. */
	if (!utf8_valid((const unsigned char *)line, len)) {
		snprintf(r->reason, sizeof r->reason, "invalid UTF-8");
		return READ_REJECT;
	}
	if (lone_surrogate(line, len)) {
		snprintf(r->reason, sizeof r->reason, "invalid UTF-8: \\u escape of a lone surrogate");
		return READ_REJECT;
	}
	if (!r->yh)
		handle_new(r);
	st = yajl_parse(r->yh, (const unsigned char *)line, len);
	if (st == yajl_status_ok && r->done) {
		/*
		 * Whitespace after the object leaves nothing in yajl's
		 * lexer; anything else (even a half string, which yajl
		 * would hold over to the next line) is refused here.
		 */
		if (blank(line + r->done_off, len - r->done_off))
			return READ_OK;
		snprintf(r->reason, sizeof r->reason,
		    "invalid JSON: trailing garbage");
	} else {
		if (st == yajl_status_ok)
			st = yajl_complete_parse(r->yh);
		if (st == yajl_status_ok)
			snprintf(r->reason, sizeof r->reason, "not a JSON object");
		else
			set_parse_error(r, st, line, len);
	}
	/* The handle is in an error state or mid-value: start afresh. */
	yajl_free(r->yh);
	r->yh = NULL;
	return READ_REJECT;
}

/* Turn the offsets of r->ents into the record's fields. */
static void
publish(struct jsonin *r, struct record *rec)
{
	if (r->nents > r->fieldcap) {
		r->fieldcap = r->fieldcap ? r->fieldcap : 64;
		while (r->fieldcap < r->nents)
			r->fieldcap *= 2;
		r->fields = xreallocarray(r->fields, r->fieldcap,
		    sizeof *r->fields);
	}
	for (size_t i = 0; i < r->nents; i++) {
		const struct entry *e = &r->ents[i];
		struct field *f = &r->fields[i];

		f->name = r->data.buf + e->name_off;
		f->val = r->data.buf + e->val_off;
		f->len = e->val_len;
		f->kind = e->kind;
	}
	rec->fields = r->fields;
	rec->nfields = r->nents;
}

int
jsonin_next(struct jsonin *r, struct record *rec, const char **reason)
{
	char *line;
	size_t len;
	int toolong, rc;

	*reason = NULL;
	rec->fields = NULL;
	rec->nfields = 0;
	for (;;) {
		rc = next_line(r, &line, &len, &toolong);
		if (rc < 0)
			return READ_FATAL;
		if (rc == 0)
			return READ_EOF;
		r->lineno++;
		if (!r->bom_checked) {
			r->bom_checked = 1;
			if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
				line += 3;
				len -= 3;
			}
		}
		if (!toolong && len > 0 && line[len - 1] == '\r')
			len--;
		rec->line = r->lineno;
		rec->raw = line;
		rec->rawlen = len;
		if (toolong) {
			snprintf(r->reason, sizeof r->reason,
			    "line longer than %zu bytes", r->max_record);
			*reason = r->reason;
			return READ_REJECT;
		}
		if (!blank(line, len))
			break;
	}
	if (parse_line(r, line, len) == READ_REJECT) {
		/*
		 * yajl refuses a raw NUL anywhere in a line, so looking
		 * for one only here spares good lines a pass over them.
		 */
		*reason = memchr(line, '\0', len) ? "NUL byte in record" :
		    r->reason;
		return READ_REJECT;
	}
	publish(r, rec);
	return READ_OK;
}
