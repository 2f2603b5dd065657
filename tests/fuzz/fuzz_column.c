/*
 * fuzz_column.c - libFuzzer target for the column decoders behind the
 * segment checksums: any bytes as one column's raw stream through
 * col_decode(), every cell printed back, then encoded and decoded again.
 *
 * The first byte picks the type (1..5) and the second the row count
 * (0..255); the rest is the stream.  The segment target reaches these
 * decoders only through valid zlib data, which mutation seldom keeps;
 * here they get hostile bytes directly.  Checked beyond "no crash":
 * a decoded column has n rows, the null count the bitmap holds, codes
 * inside the dictionary, and survives an encode/decode round trip with
 * the same text in every cell.
 */
#include <string.h>

#include "column.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
cells(const struct colvec *v, struct strbuf *out)
{
	for (size_t r = 0; r < v->n; r++) {
		if (colvec_isnull(v, r)) {
			sb_adds(out, "\\N\n");
			continue;
		}
		if (v->type == CT_STR)
			FUZZ_ASSERT(v->codes[r] < v->ndict);
		colvec_format(v, r, out);
		sb_addc(out, '\n');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct colvec v, w;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, enc = STRBUF_INIT;
	int type;
	size_t n, nulls = 0;

	if (size < 2)
		return 0;
	type = CT_INT + data[0] % 5;
	n = data[1];
	memset(&v, 0, sizeof v);
	if (col_decode(data + 2, size - 2, type, n, &v) < 0) {
		colvec_free(&v);
		return 0;
	}
	FUZZ_ASSERT(v.n == n);
	for (size_t r = 0; r < n; r++)
		nulls += colvec_isnull(&v, r);
	FUZZ_ASSERT(nulls == v.nnull);
	cells(&v, &a);
	/* What decodes must encode, and decode back to the same cells. */
	col_encode(&v, &enc);
	memset(&w, 0, sizeof w);
	FUZZ_ASSERT(col_decode((const unsigned char *)enc.buf, enc.len, type, n, &w) == 0);
	cells(&w, &b);
	FUZZ_ASSERT(a.len == b.len && (a.len == 0 || memcmp(a.buf, b.buf, a.len) == 0));
	colvec_free(&v);
	colvec_free(&w);
	sb_free(&a);
	sb_free(&b);
	sb_free(&enc);
	return 0;
}
