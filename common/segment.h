/*
 * segment.h - one immutable segment file: a table's rows for one batch
 * (or part of one), stored column by column.
 *
 * Layout (all integers little-endian; details in man/cdp-store.5):
 *   header   "CDPSEG1\n", u32 version (1 or 2), u32 zero
 *   columns  each a run of blocks: u32 raw length, u32 compressed
 *            length, u32 CRC-32 of the compressed bytes, zlib bytes
 *   footer   schema, row count, per column offsets, sizes, min/max
 *   trailer  u64 footer offset, u32 footer length, u32 footer CRC-32,
 *            "CDPEND1\n"
 * A reader checks magic, then version, then every CRC it touches, each
 * failure with its own message naming the file.  It reads the trailer
 * and footer first and then only the columns asked for.
 */
#ifndef CDP_SEGMENT_H
#define CDP_SEGMENT_H

#include <stdint.h>
#include "column.h"

#define SEG_VERSION 2		/* written; 1 (ENC_DELTA, DICT, PLAIN only) still read */
#define SEG_BLOCK_RAW (1u << 20)	/* raw bytes per zlib block, at most */
#define SEG_MAX_ROWS (1u << 20)		/* rows per segment, at most */

struct segcol_in {
	const char *name;
	const struct colvec *v;
};

struct segcol {
	char *name;
	int type, enc, tfmt;
	uint64_t nnull, off, disklen, rawlen, nblocks;
	struct colstats st;
};

struct segment {
	uint64_t id;		/* its manifest entry's id (set by store_segments) */
	int fd;
	char *path;
	char *table;
	uint64_t batch, nrows, size;
	uint32_t version;	/* the header's: 1 or SEG_VERSION */
	size_t ncols;
	struct segcol *cols;
	struct libdeflate_decompressor *inflater;	/* made on first read */
};

/*
 * Write a complete segment to path (created exclusively, mode 0600) and
 * fsync it.  On success *size is the file's size.  On failure the
 * partial file is removed and cdp_err() says which step failed.
 */
int segment_write(const char *path, const char *table, uint64_t batch,
    const struct segcol_in *cols, size_t ncols, size_t nrows, uint64_t *size);

/* Open and check trailer and footer.  NULL with cdp_err() on failure. */
struct segment *segment_open(const char *path);
int segment_col_index(const struct segment *s, const char *name);
/* Read, check and decode column idx.  -1 with cdp_err() on failure. */
int segment_read(struct segment *s, int idx, struct colvec *out);
/* Read and inflate column idx's raw stream (for verify --absent). */
int segment_read_raw(struct segment *s, int idx, struct strbuf *out);
/* Check every block of every column.  -1 with cdp_err() on the first fault. */
int segment_verify(struct segment *s);
void segment_close(struct segment *s);

/* The file-name part of a path, for messages. */
const char *path_base(const char *path);

#endif
