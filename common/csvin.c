/*
 * csvin.c - CSV records from a struct input, one at a time.
 *
 * Two layers.  The scanner finds where a record ends: the first '\n'
 * that lies outside double quotes, judged by toggling a flag on every
 * '"' (an escaped "" toggles twice and so changes nothing).  It works
 * on raw bytes with memchr, so it is fast and knows each record's bytes
 * and first physical line exactly.  libcsv, in strict mode, then splits
 * and unquotes the fields of that one record and nothing else; the
 * parser is reset with csv_fini after every record and reused.
 *
 * Invariants:
 *  - buf[start, end) holds bytes read but not yet consumed; scan (>=
 *    start) is how far the current record has been searched, and
 *    in_quote the toggle state at scan.  line counts the physical lines
 *    consumed before start.
 *  - Memory is bounded by max_record: the read buffer stays below about
 *    twice (max_record + one 256 KiB chunk); a longer record keeps only
 *    its first max_record bytes and the rest is skipped as it is read.
 *  - No allocation per record once the buffers have grown to the
 *    largest record seen.
 *
 * Containing a stray quote: a lone '"' makes the scanner run on past
 * the end of its line, joining lines that are really separate records.
 * When a record that spans several physical lines then fails (parse
 * error, wrong field count, or longer than max_record), its first line
 * is taken as a record on its own (and rejected: it holds an odd number
 * of quotes), and scanning starts again fresh at the second line.  So
 * the stray quote costs its own row; the lines after it are read as
 * what they are, including any well-formed multi-line records among
 * them.  The cost is scanning those lines twice.
 *
 * libcsv's conventions stand: spaces around an unquoted field are
 * trimmed, and a line of nothing but spaces is blank and skipped, like
 * an empty one.  A lone '\r' inside a line is data, unless the file
 * ends its lines with '\r' alone (eol_judge); the '\r's before a '\n'
 * end the line with it.
 */
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvin.h"
#include "util.h"

#define CSVIN_CHUNK (256u * 1024)
#define CSVIN_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

/* What the scanner found. */
enum {
	SPAN_ERR = -1,	/* read error, cdp_err() set */
	SPAN_EOF,	/* nothing left */
	SPAN_OK,	/* a record, complete */
	SPAN_LONG,	/* no end yet and more than max_record bytes */
};

/* What one record became. */
enum {
	REC_OK = 1,
	REC_REJECT,
	REC_SKIP,	/* blank: nothing but spaces */
	REC_RETRY,	/* multi-line and failed: take its first line alone */
	REC_FATAL = READ_FATAL,	/* not UTF-8: the whole input is, most likely */
};

/* What libcsv made of one record. */
enum {
	PARSE_OK,
	PARSE_BAD,	/* strict-mode violation */
	PARSE_OPEN,	/* a quoted field never closed */
};

/* How lines end, judged by the first line end in the input. */
enum {
	EOL_UNKNOWN,	/* no line end seen yet */
	EOL_LF,		/* '\n' or "\r\n" */
	EOL_CR,		/* a lone '\r' (old Mac Excel): read as '\n' */
};

/* What csvin_next is reading. */
enum {
	PHASE_HEADER,	/* the header: any field count, no line retry */
	PHASE_PEEK,	/* counting the first record's fields */
	PHASE_DATA,
};

struct span {
	size_t beg, len;	/* the record, terminator excluded */
	size_t next;		/* where the next record starts */
	int open;		/* end of input reached inside quotes */
};

struct csvin {
	struct input *in;
	struct csv_parser parser;
	unsigned char delim;
	size_t max_field, max_record;
	int phase;

	char *buf;
	size_t cap, start, scan, end;
	int in_quote, had_quote, eof;
	unsigned long line;

	/* Fields of the record just parsed: values NUL-separated in vals. */
	struct strbuf vals;
	size_t *offs, *lens;
	size_t offcap;		/* room in offs and lens */
	size_t storemax;	/* fields past this are counted, not kept */
	size_t nfields;		/* fields seen */
	int field_too_long;
	int cr_term;		/* is_term set: this record holds a '\r' */
	int eol;		/* EOL_* */
	struct field *fields;

	struct strbuf over;	/* head of a record too long to keep */
	char reason[160];
	char field_reason[64], record_reason[64];

	char **names;
	char **names_shared;	/* names belong to the proto of a part */
	size_t ncols;
	struct arena names_arena;

	/* --encoding: bytes read go through iconv into buf */
	iconv_t cd;
	int conv, enc_given, seen_utf8;
	const char *encoding;
	struct strbuf rawin;		/* read, not yet converted */
	uint64_t rawoff;		/* input offset of rawin's first byte */
	size_t hdr_split[4];		/* header fields with each of cand_delims */

	/* Reading one piece of an input (csvin_part_new): */
	int defer_utf8;		/* not-UTF-8 rows rejected and flagged, never fatal */
	int rec_flags;		/* CSVIN_SAW_UTF8, CSVIN_BAD_UTF8 of the last record */
	int ragged;		/* the input ended inside a record */
};

/* The delimiters sniffed, in order of preference on a tie. */
static const char cand_delims[4] = { ',', ';', '\t', '|' };

/*
 * With a tab (or space) delimiter, that byte must never be trimmed as
 * space: libcsv 3.0.3 tests for the delimiter first, older releases did not.
 */
static int
is_space_only(unsigned char c)
{
	return c == ' ';
}

static int
is_tab_only(unsigned char c)
{
	return c == '\t';
}

/*
 * libcsv sees one record at a time, without its terminator; any '\n' it
 * is given lies inside quotes.  A lone '\r' is data, not a row end, so
 * records holding one are parsed with this; the others without, since a
 * call per byte costs a third of the parse.
 */
static int
is_term(unsigned char c)
{
	return c == '\n';
}

/*
 * After a failed csv_parse or csv_fini the parser is mid-record (a
 * CSV_STRICT_FINI failure returns before resetting), so finish it
 * leniently, with no callbacks, to make it ready for the next record.
 */
static void
parser_reset(struct csvin *r)
{
	csv_set_opts(&r->parser, CSVIN_OPTS & ~CSV_STRICT_FINI);
	csv_fini(&r->parser, NULL, NULL, NULL);
	csv_set_opts(&r->parser, CSVIN_OPTS);
}

static void
field_cb(void *s, size_t len, void *data)
{
	struct csvin *r = data;

	if (len > r->max_field)
		r->field_too_long = 1;
	if (r->nfields < r->storemax && !r->field_too_long) {
		if (r->nfields == r->offcap) {
			r->offcap = r->offcap ? r->offcap * 2 : 16;
			r->offs = xreallocarray(r->offs, r->offcap, sizeof *r->offs);
			r->lens = xreallocarray(r->lens, r->offcap, sizeof *r->lens);
		}
		sb_grow(&r->vals, len + 1);
		r->offs[r->nfields] = r->vals.len;
		r->lens[r->nfields] = len;
		if (len)
			memcpy(r->vals.buf + r->vals.len, s, len);
		r->vals.len += len;
		r->vals.buf[r->vals.len++] = '\0';
	}
	r->nfields++;
}

static int
parse_fields(struct csvin *r, const char *p, size_t len)
{
	int cr = memchr(p, '\r', len) != NULL;

	if (cr != r->cr_term) {
		csv_set_term_func(&r->parser, cr ? is_term : NULL);
		r->cr_term = cr;
	}
	r->nfields = 0;
	r->field_too_long = 0;
	sb_reset(&r->vals);
	if (csv_parse(&r->parser, p, len, field_cb, NULL, r) != len) {
		parser_reset(r);
		return PARSE_BAD;
	}
	if (csv_fini(&r->parser, field_cb, NULL, r) != 0) {
		parser_reset(r);
		return PARSE_OPEN;
	}
	return PARSE_OK;
}

/* ASCII runs are checked a word at a time; the rest by utf8_valid. */
static int
utf8_ok(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	for (; i < n; i++)
		if (s[i] & 0x80)
			return utf8_valid(s + i, n - i) ? 2 : 0;
	return 1;
}

/* The first byte of p that starts no valid UTF-8 sequence. */
static unsigned char
first_bad_byte(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;

	for (size_t i = 0; i < n; i++) {
		size_t k = s[i] < 0x80 ? 1 : s[i] < 0xe0 ? 2 : s[i] < 0xf0 ? 3 : 4;

		if (s[i] < 0x80)
			continue;
		if (i + k > n || !utf8_valid(s + i, k))
			return s[i];
		i += k - 1;
	}
	return 0;
}

/*
 * Input that is not UTF-8 from its first non-ASCII byte on is another
 * encoding, not a damaged row: fail with a hint instead of rejecting
 * every row that has an accent.
 */
static int
not_utf8(struct csvin *r, unsigned long line, const char *p, size_t len)
{
	const unsigned char *b = (const unsigned char *)r->buf;

	if (r->defer_utf8)
		r->rec_flags |= CSVIN_BAD_UTF8;
	if (r->enc_given || r->seen_utf8 || r->defer_utf8)
		return 0;
	if (r->end >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)) &&
	    line == 1)
		return cdp_seterr("%s:1: not UTF-8 but UTF-16 (byte order mark); try --encoding utf-16",
		    input_name(r->in));
	return cdp_seterr("%s:%lu: not UTF-8 (byte 0x%02x); try --encoding windows-1252",
	    input_name(r->in), line, first_bad_byte(p, len));
}

static unsigned long
count_newlines(const char *p, size_t n)
{
	const char *end = p + n;
	unsigned long k = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		k++;
		p++;
	}
	return k;
}

/*
 * Advance the quote toggle over buf[from, lim); return the first '\n'
 * outside quotes, or NULL when there is none (the toggle then holds the
 * state at lim).  The '\n' found before the next quote is remembered,
 * so a row of many quoted fields is not searched to its end once per
 * field.
 */
static const char *
scan_terminator(struct csvin *r, const char *p, const char *lim)
{
	const char *nl = NULL, *q;

	while (p < lim) {
		if (r->in_quote) {
			q = memchr(p, '"', (size_t)(lim - p));
			if (!q)
				return NULL;
			r->in_quote = 0;
			p = q + 1;
			continue;
		}
		if (!nl || nl < p) {
			nl = memchr(p, '\n', (size_t)(lim - p));
			if (!nl)
				nl = lim;
		}
		q = memchr(p, '"', (size_t)(nl - p));
		if (!q)
			return nl < lim ? nl : NULL;
		r->in_quote = 1;
		r->had_quote = 1;
		p = q + 1;
	}
	return NULL;
}

/*
 * Judge the line ends once buf[from, end) has arrived: the first line
 * end decides.  A '\n' (alone or after '\r's) means '\n' ends lines and
 * a lone '\r' is data; a '\r' followed by anything else means the file
 * ends its lines with '\r', and every '\r' then reads as '\n' (also in
 * quoted fields, where it is that file's line break).  Until decided no
 * '\n' has been read, so nothing has been consumed: all of buf is
 * translated once CR is chosen.
 */
static void consume(struct csvin *r, size_t at, unsigned long lines);

static void
eol_judge(struct csvin *r, size_t from)
{
	char *p = r->buf + from, *lim = r->buf + r->end;

	if (r->eol == EOL_UNKNOWN) {
		while (p > r->buf + r->start && p[-1] == '\r')
			p--;	/* a '\r' run cut by the last read */
		for (; p < lim && *p != '\n' && *p != '\r'; p++)
			;
		if (p == lim)
			return;
		while (p < lim && *p == '\r')
			p++;
		if (p < lim && *p == '\n') {
			r->eol = EOL_LF;
			return;
		}
		if (p == lim && !r->eof)
			return;		/* the next byte decides */
		r->eol = EOL_CR;
		p = r->buf + r->start;
		consume(r, r->start, 0);	/* scan again what reads as lines now */
	}
	if (r->eol == EOL_CR)
		while (p < lim && (p = memchr(p, '\r', (size_t)(lim - p))))
			*p++ = '\n';
}

/*
 * Up to cap bytes of the input converted to UTF-8 by iconv.  A
 * character split between two reads waits in rawin for the rest.
 */
static ssize_t
read_converted(struct csvin *r, char *out, size_t cap)
{
	for (;;) {
		char *ip, *op = out;
		size_t il, ol = cap, rc;
		ssize_t n;

		sb_grow(&r->rawin, CSVIN_CHUNK / 4);
		n = input_read(r->in, r->rawin.buf + r->rawin.len, CSVIN_CHUNK / 4);
		if (n < 0)
			return -1;
		r->rawin.len += (size_t)n;
		if (n == 0 && r->rawin.len == 0)
			return 0;
		ip = r->rawin.buf;
		il = r->rawin.len;
		rc = iconv(r->cd, &ip, &il, &op, &ol);
		if (rc == (size_t)-1 && errno == EILSEQ)
			return cdp_seterr("%s: byte 0x%02x at offset %llu is not %s", input_name(r->in),
			    (unsigned char)*ip, (unsigned long long)(r->rawoff + (size_t)(ip - r->rawin.buf)),
			    r->encoding);
		r->rawoff += (size_t)(ip - r->rawin.buf);
		memmove(r->rawin.buf, ip, il);
		r->rawin.len = il;
		if (op > out)
			return op - out;
		if (n == 0)
			return cdp_seterr("%s: input ends inside a %s character", input_name(r->in),
			    r->encoding);
	}
}

/* Read one more chunk after the unconsumed bytes: count, 0 at end, -1. */
static ssize_t
fill(struct csvin *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->scan -= r->start;
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < CSVIN_CHUNK) {
		size_t want = r->cap * 2;

		if (want < r->end + CSVIN_CHUNK)
			want = r->end + CSVIN_CHUNK;
		r->buf = xrealloc(r->buf, want);
		r->cap = want;
	}
	if (r->conv)
		n = read_converted(r, r->buf + r->end, CSVIN_CHUNK);
	else
		n = input_read(r->in, r->buf + r->end, CSVIN_CHUNK);
	if (n < 0)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	if (r->eol != EOL_LF)
		eol_judge(r, r->end - (size_t)n);
	return n;
}

/* Find the next record's extent, reading as needed. */
static int
span_find(struct csvin *r, struct span *sp)
{
	for (;;) {
		/* no buffer yet (an empty piece): nothing to scan, read first */
		const char *lim = r->buf ? r->buf + r->end : NULL;
		const char *nl = r->buf ? scan_terminator(r, r->buf + r->scan, lim) : NULL;
		ssize_t n;

		if (nl) {
			sp->beg = r->start;
			sp->len = (size_t)(nl - r->buf) - r->start;
			sp->next = sp->len + r->start + 1;
			sp->open = 0;
			return SPAN_OK;
		}
		r->scan = r->end;
		/* one more byte allowed for the '\r' of a CRLF */
		if (r->end - r->start > r->max_record + 1)
			return SPAN_LONG;
		if ((n = fill(r)) < 0)
			return SPAN_ERR;
		if (n == 0) {
			if (r->start == r->end)
				return SPAN_EOF;
			r->ragged = 1;
			sp->beg = r->start;
			sp->len = r->end - r->start;
			sp->next = r->end;
			sp->open = r->in_quote;
			return SPAN_OK;
		}
	}
}

/* Make the scanner start afresh at buf[at], lines more lines on. */
static void
consume(struct csvin *r, size_t at, unsigned long lines)
{
	r->start = r->scan = at;
	r->in_quote = r->had_quote = 0;
	r->line += lines;
}

/*
 * "expected 3 fields, found 1", and when the header splits into more
 * fields with another delimiter, which one.
 */
static void
field_count_reason(struct csvin *r)
{
	static const char *const words[4] = { "comma", "semicolon", "tab", "pipe" };
	int best = -1;

	for (int k = 0; k < 4; k++)
		if (cand_delims[k] != (char)r->delim && r->hdr_split[k] > r->ncols &&
		    (best < 0 || r->hdr_split[k] > r->hdr_split[best]))
			best = k;
	if (best < 0)
		snprintf(r->reason, sizeof r->reason, "expected %zu fields, found %zu",
		    r->ncols, r->nfields);
	else
		snprintf(r->reason, sizeof r->reason, "expected %zu fields, found %zu "
		    "(is the delimiter a %s? try --delimiter %s)", r->ncols, r->nfields,
		    words[best], words[best]);
}

/*
 * Parse buf[beg, beg+len) as one record and judge it.  multi: it spans
 * several physical lines and may be retried line by line.  open: input
 * ended inside its quotes.
 */
static int
judge(struct csvin *r, size_t beg, size_t len, int multi, int open,
    struct record *rec, const char **reason)
{
	const char *p = r->buf + beg;
	int st, badcount, utf8 = 1;

	rec->raw = p;
	rec->rawlen = len;
	rec->fields = NULL;
	rec->nfields = 0;
	switch (r->phase) {
	case PHASE_HEADER:
		r->storemax = CSVIN_MAX_COLUMNS + 1;
		break;
	case PHASE_PEEK:
		r->storemax = 0;
		break;
	default:
		r->storemax = r->ncols;
	}
	st = parse_fields(r, p, len);
	if (st == PARSE_OK && r->nfields == 0)
		return REC_SKIP;
	badcount = r->phase == PHASE_DATA && r->nfields != r->ncols;
	if ((st != PARSE_OK || badcount) && multi && r->phase != PHASE_HEADER)
		return REC_RETRY;
	if (memchr(p, '\0', len)) {
		*reason = "NUL byte in record";
	} else if ((utf8 = utf8_ok(p, len)) == 0) {
		if (not_utf8(r, rec->line, p, len) < 0)
			return REC_FATAL;
		*reason = "invalid UTF-8";
	} else if (st == PARSE_OPEN && open) {
		*reason = "unterminated quoted field";
	} else if (st != PARSE_OK) {
		*reason = "malformed quoting";
	} else if (badcount) {
		field_count_reason(r);
		*reason = r->reason;
	} else if (r->field_too_long) {
		*reason = r->field_reason;
	} else {
		if (utf8 == 2) {
			r->seen_utf8 = 1;
			r->rec_flags |= CSVIN_SAW_UTF8;
		}
		return REC_OK;
	}
	return REC_REJECT;
}

/* Drop every '\r' before the line end: "\r\r\n" leaves none behind. */
static size_t
strip_cr(const char *p, size_t len)
{
	while (len && p[len - 1] == '\r')
		len--;
	return len;
}

/*
 * The first physical line of the record at start, which ends at nl, as
 * a record of its own; scanning resumes on the line after it.
 */
static int
take_first_line(struct csvin *r, const char *nl, int open, struct record *rec,
    const char **reason)
{
	size_t beg = r->start, len = (size_t)(nl - r->buf) - beg;
	int rc;

	rec->line = r->line + 1;
	rc = judge(r, beg, strip_cr(r->buf + beg, len), 0, open, rec, reason);
	consume(r, beg + len + 1, 1);
	return rc;
}

/*
 * A record with no end in the first max_record + 1 bytes.  If its first
 * line ends within them, that line goes alone (see the top of the file);
 * otherwise keep its head for the reject and skip the rest unread.
 */
static int
too_long(struct csvin *r, struct record *rec, const char **reason)
{
	const char *head = r->buf + r->start, *nl;
	unsigned long lines;

	nl = memchr(head, '\n', r->max_record + 1);
	if (nl && r->phase != PHASE_HEADER)
		return take_first_line(r, nl, 0, rec, reason);
	sb_reset(&r->over);
	sb_add(&r->over, head, r->max_record);
	rec->line = r->line + 1;
	lines = count_newlines(head, r->end - r->start);
	r->start = r->scan = r->end = 0;
	for (;;) {
		const char *lim = r->buf + r->end, *p = r->buf + r->scan;
		ssize_t n;

		nl = scan_terminator(r, p, lim);
		if (nl) {
			lines += count_newlines(p, (size_t)(nl - p)) + 1;
			consume(r, (size_t)(nl + 1 - r->buf), lines);
			break;
		}
		lines += count_newlines(p, (size_t)(lim - p));
		r->start = r->scan = r->end = 0;
		if ((n = fill(r)) < 0)
			return -1;
		if (n == 0) {
			r->ragged = 1;
			consume(r, 0, lines);
			break;
		}
	}
	rec->raw = r->over.buf;
	rec->rawlen = r->over.len;
	rec->fields = NULL;
	rec->nfields = 0;
	*reason = r->record_reason;
	return REC_REJECT;
}

/* The next record, judged; READ_FATAL, READ_EOF, REC_OK or REC_REJECT. */
static int
next_record(struct csvin *r, struct record *rec, const char **reason)
{
	for (;;) {
		struct span sp;
		const char *p;
		unsigned long nls;
		size_t len;
		int rc;

		switch (span_find(r, &sp)) {
		case SPAN_ERR:
			return READ_FATAL;
		case SPAN_EOF:
			return READ_EOF;
		case SPAN_LONG:
			rc = too_long(r, rec, reason);
			if (rc < 0)
				return READ_FATAL;
			if (rc == REC_SKIP)
				continue;
			return rc;
		}
		p = r->buf + sp.beg;
		nls = r->had_quote ? count_newlines(p, sp.len) : 0;
		len = strip_cr(p, sp.len);
		rec->line = r->line + 1;
		if (len == 0) {
			consume(r, sp.next, 1);
			continue;
		}
		if (len > r->max_record) {
			const char *nl = nls ? memchr(p, '\n', r->max_record + 1) : NULL;

			if (nl && r->phase != PHASE_HEADER) {
				rc = take_first_line(r, nl, sp.open, rec, reason);
				if (rc == REC_SKIP)
					continue;
				return rc;
			}
			consume(r, sp.next, nls + 1);
			rec->raw = p;
			rec->rawlen = r->max_record;
			rec->fields = NULL;
			rec->nfields = 0;
			*reason = r->record_reason;
			return REC_REJECT;
		}
		rc = judge(r, sp.beg, len, nls > 0, sp.open, rec, reason);
		if (rc == REC_RETRY) {
			rc = take_first_line(r, memchr(p, '\n', sp.len), sp.open, rec, reason);
		} else {
			consume(r, sp.next, nls + 1);
		}
		if (rc == REC_SKIP)
			continue;
		return rc;
	}
}

int
csvin_next(struct csvin *r, struct record *rec, const char **reason)
{
	int rc;

	*reason = NULL;
	r->rec_flags = 0;
	rc = next_record(r, rec, reason);
	if (rc == READ_FATAL || rc == READ_EOF)
		return rc;
	if (rc == REC_REJECT)
		return READ_REJECT;
	for (size_t i = 0; i < r->ncols; i++) {
		r->fields[i].name = r->names[i];
		r->fields[i].val = r->vals.buf + r->offs[i];
		r->fields[i].len = r->lens[i];
		r->fields[i].kind = FK_TEXT;
	}
	rec->fields = r->fields;
	rec->nfields = r->ncols;
	return READ_OK;
}

/* Header names: trimmed, empty ones numbered, repeats suffixed. */
static void
set_names(struct csvin *r, size_t n, const char *const *given)
{
	struct strmap seen = { 0 };
	size_t *next_suffix = xcalloc(n ? n : 1, sizeof *next_suffix);
	struct strbuf name = STRBUF_INIT;

	r->names = xcalloc(n ? n : 1, sizeof *r->names);
	r->ncols = n;
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t len;
		long first;

		if (given) {
			s = given[i];
			len = strlen(s);
		} else {
			s = r->vals.buf + r->offs[i];
			len = r->lens[i];
			while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
				s++;
				len--;
			}
			while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
			    s[len - 1] == '\r' || s[len - 1] == '\n'))
				len--;
		}
		sb_reset(&name);
		if (len == 0)
			sb_addf(&name, "column_%zu", i + 1);
		else
			sb_add(&name, s, len);
		first = strmap_put(&seen, name.buf, name.len, (long)i);
		if (first != (long)i) {
			/* a repeat: the first free "_K", counting on from the last */
			size_t base = name.len;
			size_t k = next_suffix[first] ? next_suffix[first] : 2;

			for (;; k++) {
				name.len = base;
				sb_addf(&name, "_%zu", k);
				if (strmap_put(&seen, name.buf, name.len, (long)i) == (long)i)
					break;
			}
			next_suffix[first] = k + 1;
		}
		r->names[i] = arena_strndup(&r->names_arena, name.buf, name.len);
	}
	sb_free(&name);
	free(next_suffix);
	strmap_free(&seen);
}

/* How often c occurs in p outside double quotes. */
static size_t
count_outside_quotes(const char *p, size_t n, char c)
{
	size_t k = 0;
	int q = 0;

	for (size_t i = 0; i < n && p[i] != '\n'; i++) {
		if (p[i] == '"')
			q = !q;
		else if (p[i] == c && !q)
			k++;
	}
	return k;
}

/*
 * The delimiter of the first lines: among , ; tab and |, the one that
 * splits the header into the most fields and the following lines into
 * as many; a comma when none occurs.
 */
static unsigned char
sniff_delimiter(struct csvin *r)
{
	const char *p = r->buf + r->start, *e = r->buf + r->end;
	size_t head[4] = { 0 }, agree[4] = { 0 };
	int best = 0;

	for (int line = 0; line < 6 && p < e; line++) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);

		for (int k = 0; k < 4; k++) {
			size_t c = count_outside_quotes(p, len, cand_delims[k]);

			if (line == 0)
				head[k] = c;
			else if (c == head[k])
				agree[k]++;
		}
		p += len + 1;
	}
	for (int k = 1; k < 4; k++)
		if (head[k] && (agree[k] > agree[best] || (agree[k] == agree[best] &&
		    head[k] > head[best])))
			best = k;
	return head[best] ? (unsigned char)cand_delims[best] : ',';
}

/* Read until the first lines (or 64 KiB) are in the buffer. */
static int
fill_lines(struct csvin *r, int lines)
{
	while (!r->eof && r->end - r->start < 65536) {
		const char *p = r->buf + r->start;
		size_t n = r->end - r->start;
		int k = 0;

		for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
			if (++k > lines)
				return 0;
		if (fill(r) < 0)
			return -1;
	}
	return 0;
}

static int
read_header(struct csvin *r)
{
	struct record rec;
	const char *reason = NULL;
	const char *name = input_name(r->in);
	int rc;

	r->phase = PHASE_HEADER;
	rc = next_record(r, &rec, &reason);
	if (rc == READ_FATAL)
		return -1;
	if (rc == READ_EOF)
		return cdp_seterr("%s: empty input", name);
	if (rc == REC_REJECT)
		return cdp_seterr("%s:%lu: header: %s", name, rec.line, reason);
	if (r->nfields > CSVIN_MAX_COLUMNS)
		return cdp_seterr("%s: header has %zu columns; at most %d are supported",
		    name, r->nfields, CSVIN_MAX_COLUMNS);
	for (int k = 0; k < 4; k++)
		r->hdr_split[k] = count_outside_quotes(rec.raw, rec.rawlen, cand_delims[k]) + 1;
	set_names(r, r->nfields, NULL);
	return 0;
}

/*
 * Headerless with no names given: count the first record's fields, then
 * rewind so that csvin_next reads that record again.
 */
static int
count_columns(struct csvin *r)
{
	struct record rec;
	const char *reason = NULL;
	const char *name = input_name(r->in);
	int rc;

	r->phase = PHASE_PEEK;
	rc = next_record(r, &rec, &reason);
	if (rc == READ_FATAL)
		return -1;
	if (rc == READ_EOF)
		return cdp_seterr("%s: empty input", name);
	if (rc == REC_REJECT && rec.raw == r->over.buf)
		return cdp_seterr("%s:%lu: %s", name, rec.line, reason);
	if (r->nfields > CSVIN_MAX_COLUMNS)
		return cdp_seterr("%s: first record has %zu fields; at most %d are supported",
		    name, r->nfields, CSVIN_MAX_COLUMNS);
	/* the record is still in the buffer: read it again from its start */
	r->start = r->scan = (size_t)(rec.raw - r->buf);
	r->in_quote = r->had_quote = 0;
	r->line = rec.line - 1;
	r->ncols = r->nfields ? r->nfields : 1;
	r->names = xcalloc(r->ncols, sizeof *r->names);
	for (size_t i = 0; i < r->ncols; i++) {
		char tmp[32];

		snprintf(tmp, sizeof tmp, "column_%zu", i + 1);
		r->names[i] = arena_strndup(&r->names_arena, tmp, strlen(tmp));
	}
	return 0;
}

static void
set_delimiter(struct csvin *r, unsigned char d)
{
	r->delim = d;
	csv_set_delim(&r->parser, d);
	if (d == '\t')
		csv_set_space_func(&r->parser, is_space_only);
	else if (d == ' ')
		csv_set_space_func(&r->parser, is_tab_only);
	else
		csv_set_space_func(&r->parser, NULL);
}

/* Set up iconv for an input that is not UTF-8; -1 with cdp_err(). */
static int
open_encoding(struct csvin *r, const char *enc)
{
	if (!enc)
		return 0;
	r->enc_given = 1;
	if (strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0)
		return 0;
	r->cd = iconv_open("UTF-8", enc);
	if (r->cd == (iconv_t)-1)
		return cdp_seterr("%s: unknown encoding '%s'", input_name(r->in), enc);
	r->conv = 1;
	r->encoding = enc;
	return 0;
}

unsigned char
csvin_delimiter(const struct csvin *r)
{
	return r->delim;
}

struct csvin *
csvin_new(struct input *in, const struct csvin_opts *opts)
{
	static const struct csvin_opts defaults = { 0 };
	struct csvin *r;
	int rc;

	if (!opts)
		opts = &defaults;
	r = xcalloc(1, sizeof *r);
	r->in = in;
	r->delim = opts->delim ? opts->delim : ',';
	if (open_encoding(r, opts->encoding) < 0) {
		free(r);
		return NULL;
	}
	r->max_field = opts->max_field ? opts->max_field : CSVIN_MAX_FIELD;
	r->max_record = opts->max_record ? opts->max_record : CSVIN_MAX_RECORD;
	if (r->max_record > SIZE_MAX / 4)
		r->max_record = SIZE_MAX / 4;
	if (r->delim == '"' || r->delim == '\n' || r->delim == '\r') {
		cdp_seterr("%s: delimiter cannot be a quote or a line end", input_name(in));
		free(r);
		return NULL;
	}
	snprintf(r->field_reason, sizeof r->field_reason,
	    "field longer than %zu bytes", r->max_field);
	snprintf(r->record_reason, sizeof r->record_reason,
	    "record longer than %zu bytes", r->max_record);
	csv_init(&r->parser, CSVIN_OPTS);
	set_delimiter(r, r->delim);
	csv_set_realloc_func(&r->parser, xrealloc);
	/* libcsv grows its field buffer by this much at a time, linearly */
	csv_set_blk_size(&r->parser, 64 * 1024);

	/* A UTF-8 byte order mark at the very start is not data. */
	while (r->end < 3 && !r->eof)
		if (fill(r) < 0)
			goto fail;
	if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
		r->start = r->scan = 3;
	if (!opts->delim && opts->sniff) {
		if (fill_lines(r, 6) < 0)
			goto fail;
		set_delimiter(r, sniff_delimiter(r));
	}

	if (opts->header)
		rc = read_header(r);
	else if (opts->columns && opts->ncolumns) {
		if (opts->ncolumns > CSVIN_MAX_COLUMNS) {
			cdp_seterr("%s: %zu columns given; at most %d are supported",
			    input_name(in), opts->ncolumns, CSVIN_MAX_COLUMNS);
			goto fail;
		}
		set_names(r, opts->ncolumns, opts->columns);
		rc = 0;
	} else
		rc = count_columns(r);
	if (rc < 0)
		goto fail;
	r->phase = PHASE_DATA;
	r->fields = xcalloc(r->ncols ? r->ncols : 1, sizeof *r->fields);
	return r;
fail:
	csvin_free(r);
	return NULL;
}

/*
 * A reader of the records in a piece of the input that proto reads,
 * which starts at a record boundary after proto's header: proto's
 * delimiter, columns and line ends, line numbers going on from line.
 * Proto must outlive it.  defer_utf8: see csvin_replay().
 */
struct csvin *
csvin_part_new(const struct csvin *proto, struct input *in, unsigned long line, int defer_utf8)
{
	struct csvin *r = xcalloc(1, sizeof *r);

	r->in = in;
	r->max_field = proto->max_field;
	r->max_record = proto->max_record;
	r->enc_given = proto->enc_given;
	/* a deferring part must not read it: the caller's replay writes it */
	r->seen_utf8 = defer_utf8 ? 0 : proto->seen_utf8;
	r->defer_utf8 = defer_utf8;
	r->eol = proto->eol;
	r->line = line;
	r->phase = PHASE_DATA;
	r->ncols = proto->ncols;
	memcpy(r->hdr_split, proto->hdr_split, sizeof r->hdr_split);
	memcpy(r->field_reason, proto->field_reason, sizeof r->field_reason);
	memcpy(r->record_reason, proto->record_reason, sizeof r->record_reason);
	csv_init(&r->parser, CSVIN_OPTS);
	set_delimiter(r, proto->delim);
	csv_set_realloc_func(&r->parser, xrealloc);
	csv_set_blk_size(&r->parser, 64 * 1024);
	r->names_shared = proto->names;
	r->names = proto->names;
	r->fields = xcalloc(r->ncols ? r->ncols : 1, sizeof *r->fields);
	return r;
}

/*
 * Whether the rest of proto's input can be cut into pieces at line ends
 * outside quotes: no conversion, and '\n' known to end lines.  Then
 * *p, *n: the bytes read past the header and not yet used.
 */
int
csvin_rest(const struct csvin *r, const char **p, size_t *n)
{
	if (r->conv || r->eol != EOL_LF || r->phase != PHASE_DATA || r->in_quote ||
	    r->scan != r->start)
		return 0;
	*p = r->buf + r->start;
	*n = r->end - r->start;
	return 1;
}

unsigned long
csvin_line(const struct csvin *r)
{
	return r->line;
}

/* Whether the input ended exactly at a record's end (not inside one). */
int
csvin_clean_end(const struct csvin *r)
{
	return !r->ragged;
}

int
csvin_flags(const struct csvin *r)
{
	return r->rec_flags;
}

/*
 * What a piece's record with these flags does to proto, in input order:
 * -1 (cdp_err() set) where reading the input whole would have stopped
 * at its invalid UTF-8 as another encoding.
 */
int
csvin_replay(struct csvin *proto, int flags, unsigned long line, const char *raw, size_t len)
{
	if ((flags & CSVIN_BAD_UTF8) && not_utf8(proto, line, raw, len) < 0)
		return -1;
	if (flags & CSVIN_SAW_UTF8)
		proto->seen_utf8 = 1;
	return 0;
}

const char *const *
csvin_columns(const struct csvin *r, size_t *n)
{
	*n = r->ncols;
	return (const char *const *)r->names;
}

/* The input stays open: it belongs to the caller. */
void
csvin_free(struct csvin *r)
{
	if (!r)
		return;
	csv_free(&r->parser);
	if (r->conv)
		iconv_close(r->cd);
	sb_free(&r->rawin);
	free(r->buf);
	sb_free(&r->vals);
	sb_free(&r->over);
	free(r->offs);
	free(r->lens);
	free(r->fields);
	if (r->names != r->names_shared)
		free(r->names);
	arena_free(&r->names_arena);
	free(r);
}
