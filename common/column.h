/*
 * column.h - one column of values in memory (struct colvec) and its
 * encoding to and from bytes.
 *
 * In memory every column is a vector of n values plus a null bitmap.
 * Integer-like types (int, decimal, bool, time) hold int64 values;
 * strings hold a dictionary (entries in one blob with offsets) and a
 * code per row.  A column built row by row gets a new dictionary entry
 * per value; the encoder de-duplicates, and a decoded dictionary column
 * shares its entries, so evaluators can test each distinct value once.
 *
 * Decimals keep their exact text: the value is mantissa * 16 + scale
 * (scale = digits after the point, 0..15), so "12.50" is 1250*16+2.
 *
 * On-disk encodings (the "raw stream" that segment.c cuts into zlib
 * blocks) are documented in man/cdp-store.5; the constants here are
 * part of that format and frozen.
 */
#ifndef CDP_COLUMN_H
#define CDP_COLUMN_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/* Column types: frozen on-disk values. */
enum col_type {
	CT_INT = 1,
	CT_DEC = 2,
	CT_BOOL = 3,
	CT_TIME = 4,	/* microseconds since the epoch, UTC */
	CT_STR = 5,
};

/* Encodings: frozen on-disk values. */
enum col_enc {
	ENC_DELTA = 1,	/* zigzag varint of the difference to the previous value */
	ENC_DICT = 2,	/* dictionary of distinct strings, then a varint code per row */
	ENC_PLAIN = 3,	/* varint length and bytes per row */
	ENC_INT = 4,	/* scaled delta or offset, fixed width, one plane per byte */
	ENC_HEX = 5,	/* one shape of hex digits and literals, digits packed */
	ENC_REF = 6,	/* other columns of the segment, then what differs */
};

/* An ENC_REF column names at most this many source columns. */
#define REF_MAXSRC 4

/* A hex-encoded value is at most this long (the shape's length). */
#define HEX_MAXLEN 255

struct colvec {
	int type;		/* enum col_type */
	size_t n;		/* rows */
	size_t nnull;
	uint8_t *nulls;		/* bit i set: row i is null; NULL when nnull == 0 */
	int64_t *iv;		/* int-like types: one per row (0 where null) */
	uint32_t *codes;	/* CT_STR: dictionary entry per row (0 where null) */
	size_t ndict;
	uint64_t *doff;		/* CT_STR: ndict + 1 offsets into ddata */
	char *ddata;		/* CT_STR: entries, each NUL-terminated */
	size_t cap, dcap, dlen, docap;
	int tfmt;		/* CT_TIME: enum time_format all values share, else 0 */
};

void colvec_init(struct colvec *v, int type);
void colvec_free(struct colvec *v);
void colvec_push_null(struct colvec *v);
void colvec_push_int(struct colvec *v, int64_t x);
void colvec_push_str(struct colvec *v, const char *s, size_t len);

static inline int
colvec_isnull(const struct colvec *v, size_t i)
{
	return v->nulls && (v->nulls[i >> 3] >> (i & 7) & 1);
}

static inline const char *
colvec_str(const struct colvec *v, size_t i, size_t *len)
{
	uint32_t c = v->codes[i];

	if (len)
		*len = (size_t)(v->doff[c + 1] - v->doff[c] - 1);
	return v->ddata + v->doff[c];
}

/* Decimal helpers. */
static inline int64_t dec_mantissa(int64_t v) { return v / 16; }
static inline int dec_scale(int64_t v) { return (int)(v < 0 ? -(v % 16) : v % 16); }
double dec_to_double(int64_t v);
/* Parse "-12.50" style text into the packed form; -1 if not a decimal. */
int dec_parse(const char *s, size_t n, int64_t *out);
/* Parse a canonical integer ("0", "-7", no leading zeros); -1 otherwise. */
int int_parse(const char *s, size_t n, int64_t *out);

/*
 * Row i as a number: integers and decimals as they are, strings when
 * they hold a number ("34,90" with a decimal comma too).  -1 otherwise.
 * cdp-merge's revenue and cdp-report's use this one reading.
 */
int colvec_number(const struct colvec *v, size_t i, double *out);

/*
 * Row i as an amount of money in minor units (cents), read exactly from
 * its decimal digits: "10.005" is 1001 (half away from zero), never a
 * binary fraction.  Accepts what colvec_number() accepts; -1 otherwise
 * or when the amount does not fit.  Sums of these are exact, so a total
 * does not depend on the order or the runs it was added up in.
 */
int colvec_cents(const struct colvec *v, size_t i, int64_t *out);
/* Half away from zero: the quotient of two amounts, or an average. */
int64_t cents_div(int64_t num, int64_t den);

/* Append the text of row i (which must not be null). */
void colvec_format(const struct colvec *v, size_t i, struct strbuf *out);

/* Min and max of the non-null values (ints by value, strings by bytes). */
struct colstats {
	int has;		/* 0 when every value is null */
	int64_t imin, imax;
	char *smin, *smax;	/* malloc'd; NULL if longer than COL_STAT_MAXLEN */
};
#define COL_STAT_MAXLEN 64
void colvec_stats(const struct colvec *v, struct colstats *st);
void colstats_free(struct colstats *st);

/*
 * Build a column from text values (NULL = null), with the type the texts
 * allow: integer, decimal, boolean, timestamp (one exact form, UTC) or
 * string, so every value prints back as the same text.
 */
void colvec_from_text(struct colvec *v, const char *const *vals, const uint32_t *lens, size_t n);

/*
 * Encode v into raw stream bytes (appended to out); returns the encoding.
 * The encoding is chosen per column from the values (ENC_INT for
 * integer-like types; ENC_DICT, ENC_PLAIN or ENC_HEX for strings) and
 * depends on nothing else: the same column gives the same bytes.
 */
int col_encode(const struct colvec *v, struct strbuf *out);
/* Decode n rows of the given type from a raw stream; -1 on malformed bytes.
 * An ENC_REF stream needs its sources: col_decode_ref(). */
int col_decode(const unsigned char *p, size_t len, int type, size_t n, struct colvec *out);

/*
 * Cross-column references (ENC_REF), for a column whose values mostly
 * repeat those of other columns of its type in the same rows (a
 * normalized copy of an identifier, the one of two spellings a row
 * has, an event time kept as typed and as _time): each row is its first
 * non-null source's value unless stored.
 *
 * col_ref_plan() picks, from ncand candidate columns of v's row count,
 * up to REF_MAXSRC sources (indices into cand, in order, into pick)
 * that cover at least half the non-null rows; 0 when none are worth it.
 * col_encode_ref() writes the stream, naming the sources by idx (their
 * column numbers in the segment), and returns ENC_REF; or, when the
 * column's own encoding deflates smaller, writes and returns that.  col_ref_sources() reads those
 * numbers back (at most REF_MAXSRC, distinct); col_decode_ref() decodes
 * with the source columns in that order.  Both -1 on malformed bytes.
 */
size_t col_ref_plan(const struct colvec *v, const struct colvec *const *cand, size_t ncand, size_t *pick);
int col_encode_ref(const struct colvec *v, const struct colvec *const *src, const uint32_t *idx,
    size_t k, struct strbuf *out);
int col_ref_sources(const unsigned char *p, size_t len, size_t n, uint32_t *idx, size_t *k);
int col_decode_ref(const unsigned char *p, size_t len, int type, size_t n,
    const struct colvec *const *src, size_t k, struct colvec *out);

#endif
