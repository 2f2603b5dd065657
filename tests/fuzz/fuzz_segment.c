/*
 * fuzz_segment.c - libFuzzer target for the segment-file reader: any
 * bytes as a segment file through segment_open(), segment_verify(),
 * then segment_read() and segment_read_raw() of every column, whether
 * verify passed or not, and every cell printed back.
 *
 * A reader handed a damaged store must say so, never crash or read
 * outside its buffers.  Checked beyond that: a column that decodes has
 * the segment's row count, its null count matches the bitmap, and every
 * string code points into the dictionary.
 *
 * Random bytes rarely carry valid CRC-32s, which would keep the fuzzer
 * in front of the checksums.  So each input is read twice: as it is,
 * and with the footer's and every block's checksum recomputed, which
 * reaches the footer parser, the inflater and the column decoders with
 * hostile contents (a writer bug, or a file made to look valid).
 */
#include <string.h>
#include <zlib.h>

#include "column.h"
#include "fuzz.h"
#include "segment.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_column(const struct segment *s, const struct colvec *v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t nulls = 0;

	FUZZ_ASSERT(v->n == s->nrows);
	for (size_t r = 0; r < v->n; r++) {
		if (colvec_isnull(v, r)) {
			nulls++;
			continue;
		}
		if (v->type == CT_STR)
			FUZZ_ASSERT(v->codes[r] < v->ndict);
		sb_reset(&sb);
		colvec_format(v, r, &sb);
	}
	FUZZ_ASSERT(nulls == v->nnull);
	sb_free(&sb);
}

/* Open path and read everything it claims to hold. */
static void
read_all(const char *path)
{
	struct segment *s = segment_open(path);

	if (!s)
		return;
	FUZZ_ASSERT(s->nrows <= SEG_MAX_ROWS);
	(void)segment_verify(s);
	for (size_t c = 0; c < s->ncols; c++) {
		struct colvec v;
		struct strbuf raw = STRBUF_INIT;

		FUZZ_ASSERT(s->cols[c].name != NULL);
		FUZZ_ASSERT(segment_col_index(s, s->cols[c].name) >= 0);
		memset(&v, 0, sizeof v);
		if (segment_read(s, (int)c, &v) == 0) {
			check_column(s, &v);
			colvec_free(&v);
		}
		(void)segment_read_raw(s, (int)c, &raw);
		sb_free(&raw);
	}
	segment_close(s);
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
	p[2] = v >> 16 & 0xff;
	p[3] = v >> 24 & 0xff;
}

/* Recompute the footer checksum in place; 0 if the trailer allows it. */
static int
fix_footer(uint8_t *b, size_t size)
{
	uint64_t off;
	uint32_t len;

	if (size < 16 + 24)
		return -1;
	off = get_u64(b + size - 24);
	len = get_u32(b + size - 16);
	if (off > size - 24 || len != size - 24 - off)
		return -1;
	put_u32(b + size - 12, (uint32_t)crc32(0, b + off, len));
	return 0;
}

/* Recompute every block checksum of every column the footer names. */
static void
fix_blocks(uint8_t *b, size_t size, const struct segment *s)
{
	for (size_t c = 0; c < s->ncols; c++) {
		const struct segcol *col = &s->cols[c];
		uint64_t pos = col->off, end = col->off + col->disklen;

		if (end > size)
			continue;
		for (uint64_t k = 0; k < col->nblocks && end - pos >= 12; k++) {
			uint32_t clen = get_u32(b + pos + 4);

			if (clen > end - pos - 12)
				break;
			put_u32(b + pos + 8, (uint32_t)crc32(0, b + pos + 12, clen));
			pos += 12 + clen;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	uint8_t *copy;
	struct segment *s;
	int fd;

	fd = fuzz_memfile(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	read_all(path);
	close(fd);

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (fix_footer(copy, size) == 0 &&
	    (fd = fuzz_memfile(copy, size, path, sizeof path)) >= 0) {
		s = segment_open(path);
		close(fd);
		if (s) {
			fix_blocks(copy, size, s);
			segment_close(s);
			if ((fd = fuzz_memfile(copy, size, path, sizeof path)) >= 0) {
				read_all(path);
				close(fd);
			}
		}
	}
	free(copy);
	return 0;
}
