/*
 * segment.c - writer and reader of segment files.
 *
 * The writer encodes each column to its raw stream (column.c), cuts it
 * into blocks of at most SEG_BLOCK_RAW bytes, deflates each block (zlib
 * format, written by libdeflate, which is about twice as fast as zlib
 * for the same bytes) and writes it with its CRC-32.  Columns are
 * encoded and compressed on WRITER_THREADS threads, then written in
 * order.  The footer follows; the trailer last, so a file cut short
 * anywhere lacks a valid trailer and is refused whole.
 *
 * The reader never believes a length before checking it against the
 * file size, and never inflates a block whose declared size is above
 * SEG_BLOCK_RAW or beyond what deflate could produce from its
 * compressed size (a decompression bomb).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <zlib.h>

#include "fileio.h"
#include "segment.h"

static const char seg_magic[8] = "CDPSEG1\n";
static const char end_magic[8] = "CDPEND1\n";
#define TRAILER_SIZE 24
#define HEADER_SIZE 16
#define DEFLATE_LEVEL 3
#define WRITER_THREADS 2
/* deflate cannot expand more than about 1032:1; allow a margin */
#define MAX_RATIO 1040

const char *
path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Append the blocks of one raw stream to out; returns the block count. */
static uint64_t
put_blocks(struct libdeflate_compressor *z, struct strbuf *out, const unsigned char *raw, size_t len)
{
	uint64_t nblocks = 0;
	size_t off = 0;

	do {
		size_t chunk = len - off > SEG_BLOCK_RAW ? SEG_BLOCK_RAW : len - off;
		size_t bound = libdeflate_zlib_compress_bound(z, chunk);
		size_t hdr = out->len, clen;
		unsigned char *h;
		uint32_t vals[3];

		sb_grow(out, 12 + bound);
		out->len += 12;
		clen = libdeflate_zlib_compress(z, raw + off, chunk, out->buf + out->len, bound);
		h = (unsigned char *)out->buf + hdr;
		vals[0] = (uint32_t)chunk;
		vals[1] = (uint32_t)clen;
		vals[2] = (uint32_t)crc32(0, (Bytef *)out->buf + out->len, (uInt)clen);
		for (int k = 0; k < 3; k++)
			for (int b = 0; b < 4; b++)
				h[k * 4 + b] = (unsigned char)(vals[k] >> (8 * b));
		out->len += clen;
		off += chunk;
		nblocks++;
	} while (off < len);
	return nblocks;
}

/* One column's share of the work: encoded, compressed, with its stats. */
struct coljob {
	const struct colvec *v;
	size_t nsrc;			/* ENC_REF: its source columns */
	uint32_t src[REF_MAXSRC];
	struct strbuf blocks;
	uint64_t rawlen, nblocks;
	int enc;
	struct colstats st;
};

struct jobs {
	struct coljob *job;
	const struct segcol_in *cols;
	size_t n;
	atomic_size_t next;
};

static void *
encode_columns(void *arg)
{
	struct jobs *jobs = arg;
	struct libdeflate_compressor *z = libdeflate_alloc_compressor(DEFLATE_LEVEL);
	struct strbuf raw = STRBUF_INIT;
	size_t i;

	if (!z)
		cdp_die(CDP_EXIT_FAIL, "out of memory (compressor)");
	while ((i = atomic_fetch_add(&jobs->next, 1)) < jobs->n) {
		struct coljob *j = &jobs->job[i];

		sb_reset(&raw);
		if (j->nsrc) {
			const struct colvec *src[REF_MAXSRC];

			for (size_t k = 0; k < j->nsrc; k++)
				src[k] = jobs->cols[j->src[k]].v;
			j->enc = col_encode_ref(j->v, src, j->src, j->nsrc, &raw);
		} else {
			j->enc = col_encode(j->v, &raw);
		}
		j->rawlen = raw.len;
		j->nblocks = put_blocks(z, &j->blocks, (unsigned char *)raw.buf, raw.len);
		colvec_stats(j->v, &j->st);
	}
	sb_free(&raw);
	libdeflate_free_compressor(z);
	return NULL;
}

/*
 * Which columns repeat earlier ones of their type (ENC_REF), decided before the
 * columns are encoded in parallel: a source is an earlier column that is
 * not a reference itself, so a reader follows one step at most.
 */
static void
plan_refs(const struct segcol_in *cols, size_t ncols, struct coljob *job)
{
	const struct colvec **cand = xreallocarray(NULL, ncols ? ncols : 1, sizeof *cand);
	uint32_t *num = xreallocarray(NULL, ncols ? ncols : 1, sizeof *num);
	size_t pick[REF_MAXSRC];

	for (size_t j = 0; j < ncols; j++) {
		size_t nc = 0;

		for (size_t i = 0; i < j; i++)
			if (cols[i].v->type == cols[j].v->type && job[i].nsrc == 0) {
				cand[nc] = cols[i].v;
				num[nc++] = (uint32_t)i;
			}
		job[j].nsrc = col_ref_plan(cols[j].v, cand, nc, pick);
		for (size_t k = 0; k < job[j].nsrc; k++)
			job[j].src[k] = num[pick[k]];
	}
	free(cand);
	free(num);
}

static void
put_stats(struct strbuf *f, int type, const struct colstats *st)
{
	sb_addc(f, st->has);
	if (!st->has)
		return;
	if (type != CT_STR) {
		sb_put_varint(f, zigzag_enc(st->imin));
		sb_put_varint(f, zigzag_enc(st->imax));
		return;
	}
	sb_addc(f, (st->smin ? 1 : 0) | (st->smax ? 2 : 0));
	if (st->smin)
		sb_put_bytes(f, st->smin, strlen(st->smin));
	if (st->smax)
		sb_put_bytes(f, st->smax, strlen(st->smax));
}

int
segment_write(const char *path, const char *table, uint64_t batch,
    const struct segcol_in *cols, size_t ncols, size_t nrows, uint64_t *size)
{
	struct strbuf data = STRBUF_INIT, raw = STRBUF_INIT, foot = STRBUF_INIT;
	int fd = -1;

	/* header */
	sb_add(&data, seg_magic, 8);
	sb_put_u32(&data, SEG_VERSION);
	sb_put_u32(&data, 0);

	sb_put_varint(&foot, SEG_VERSION);
	sb_put_bytes(&foot, table, strlen(table));
	sb_put_varint(&foot, batch);
	sb_put_varint(&foot, nrows);
	sb_put_varint(&foot, ncols);

	struct jobs jobs = { xcalloc(ncols ? ncols : 1, sizeof *jobs.job), cols, ncols, 0 };
	pthread_t th[WRITER_THREADS];
	int started = 0;

	for (size_t i = 0; i < ncols; i++)
		jobs.job[i].v = cols[i].v;
	plan_refs(cols, ncols, jobs.job);
	for (int t = 1; t < WRITER_THREADS && ncols > 1; t++)
		if (pthread_create(&th[t], NULL, encode_columns, &jobs) == 0)
			started++;
	encode_columns(&jobs);
	for (int t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	for (size_t i = 0; i < ncols; i++) {
		struct coljob *j = &jobs.job[i];
		const struct colvec *v = cols[i].v;
		uint64_t off = data.len;

		sb_add(&data, j->blocks.buf, j->blocks.len);
		sb_free(&j->blocks);
		sb_put_bytes(&foot, cols[i].name, strlen(cols[i].name));
		sb_addc(&foot, v->type);
		sb_addc(&foot, j->enc);
		sb_addc(&foot, v->type == CT_TIME ? v->tfmt : 0);
		sb_put_varint(&foot, v->nnull);
		sb_put_varint(&foot, off);
		sb_put_varint(&foot, data.len - off);
		sb_put_varint(&foot, j->rawlen);
		sb_put_varint(&foot, j->nblocks);
		put_stats(&foot, v->type, &j->st);
		colstats_free(&j->st);
	}
	free(jobs.job);
	/* trailer */
	uint64_t foot_off = data.len;
	uint32_t foot_crc = (uint32_t)crc32(0, (Bytef *)foot.buf, (uInt)foot.len);

	sb_add(&data, foot.buf, foot.len);
	sb_put_u64(&data, foot_off);
	sb_put_u32(&data, (uint32_t)foot.len);
	sb_put_u32(&data, foot_crc);
	sb_add(&data, end_magic, 8);

	fd = io_create(path);
	if (fd < 0) {
		cdp_seterr("%s: cannot create: %s", path, strerror(errno));
		goto fail;
	}
	if (io_write_all(fd, data.buf, data.len) < 0) {
		cdp_seterr("%s: write failed: %s", path, strerror(errno));
		goto fail_unlink;
	}
	/* The segment must be durable before a manifest may name it. */
	if (io_fsync(fd) < 0) {
		cdp_seterr("%s: fsync failed: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		cdp_seterr("%s: close failed: %s", path, strerror(errno));
		goto fail_unlink;
	}
	*size = data.len;
	sb_free(&data);
	sb_free(&raw);
	sb_free(&foot);
	return 0;
fail_unlink:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(path);
fail:
	sb_free(&data);
	sb_free(&raw);
	sb_free(&foot);
	return -1;
}

static int
pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int
get_stats(struct cursor *c, int type, struct colstats *st)
{
	memset(st, 0, sizeof *st);
	st->has = cur_u8(c);
	if (!st->has)
		return c->err ? -1 : 0;
	if (type != CT_STR) {
		st->imin = zigzag_dec(cur_varint(c));
		st->imax = zigzag_dec(cur_varint(c));
		return c->err ? -1 : 0;
	}
	int flags = cur_u8(c);
	size_t len;
	const char *p;

	if (flags & 1) {
		p = cur_bytes(c, &len);
		if (!c->err)
			st->smin = xstrndup(p, len);
	}
	if (flags & 2) {
		p = cur_bytes(c, &len);
		if (!c->err)
			st->smax = xstrndup(p, len);
	}
	return c->err ? -1 : 0;
}

/* Encodings a column of this type may have in a file of this version. */
static int
enc_allowed(uint32_t version, int type, int enc)
{
	if (version >= 2 && enc == ENC_REF)
		return 1;
	if (type == CT_STR)
		return enc == ENC_DICT || enc == ENC_PLAIN || (version >= 2 && enc == ENC_HEX);
	return enc == ENC_DELTA || (version >= 2 && enc == ENC_INT);
}

struct segment *
segment_open(const char *path)
{
	struct segment *s = xcalloc(1, sizeof *s);
	unsigned char head[HEADER_SIZE], tr[TRAILER_SIZE];
	unsigned char *foot = NULL;
	struct stat stt;
	uint64_t foot_off, ncols;
	uint32_t foot_len;
	struct cursor c;
	size_t len;
	const char *p;

	s->fd = -1;
	s->path = xstrdup(path);
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		int e = errno;

		/* Every segment opened is one a manifest names: missing is damage. */
		if (e == ENOENT)
			cdp_setdamage("%s: %s (named by the manifest)", path, strerror(e));
		else
			cdp_seterr("%s: %s", path, strerror(e));
		errno = e;
		goto fail;
	}
	if (fstat(s->fd, &stt) < 0) {
		cdp_seterr("%s: %s", path, strerror(errno));
		goto fail;
	}
	s->size = (uint64_t)stt.st_size;
	if (s->size < HEADER_SIZE + TRAILER_SIZE) {
		cdp_setdamage("%s: truncated segment file (%llu bytes)", path, (unsigned long long)s->size);
		goto fail;
	}
	if (pread_all(s->fd, head, HEADER_SIZE, 0) < 0 ||
	    pread_all(s->fd, tr, TRAILER_SIZE, s->size - TRAILER_SIZE) < 0) {
		cdp_seterr("%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (memcmp(head, seg_magic, 8) != 0) {
		cdp_setdamage("%s: not a cdp segment file (bad magic)", path);
		goto fail;
	}
	s->version = get_u32(head + 8);
	if (s->version != 1 && s->version != SEG_VERSION) {
		cdp_setdamage("%s: unsupported segment version %u", path, s->version);
		goto fail;
	}
	if (get_u32(head + 12) != 0) {
		cdp_setdamage("%s: damaged segment header", path);
		goto fail;
	}
	if (memcmp(tr + 16, end_magic, 8) != 0) {
		cdp_setdamage("%s: truncated or damaged segment file (no trailer)", path);
		goto fail;
	}
	foot_off = get_u64(tr);
	foot_len = get_u32(tr + 8);
	if (foot_off < HEADER_SIZE || foot_off > s->size - TRAILER_SIZE ||
	    foot_len != s->size - TRAILER_SIZE - foot_off) {
		cdp_setdamage("%s: damaged segment trailer", path);
		goto fail;
	}
	foot = xmalloc(foot_len ? foot_len : 1);
	if (pread_all(s->fd, foot, foot_len, foot_off) < 0) {
		cdp_seterr("%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if ((uint32_t)crc32(0, foot, foot_len) != get_u32(tr + 12)) {
		cdp_setdamage("%s: footer checksum mismatch", path);
		goto fail;
	}
	c = (struct cursor){ foot, foot + foot_len, 0 };
	if (cur_varint(&c) != s->version)
		goto bad_footer;
	p = cur_bytes(&c, &len);
	s->table = xstrndup(p, len);
	s->batch = cur_varint(&c);
	s->nrows = cur_varint(&c);
	ncols = cur_varint(&c);
	if (c.err || s->nrows > SEG_MAX_ROWS || ncols > foot_len)
		goto bad_footer;
	s->cols = xcalloc(ncols ? ncols : 1, sizeof *s->cols);
	for (uint64_t i = 0; i < ncols; i++) {
		struct segcol *col = &s->cols[i];

		p = cur_bytes(&c, &len);
		col->name = xstrndup(p, len);
		s->ncols++;
		col->type = cur_u8(&c);
		col->enc = cur_u8(&c);
		col->tfmt = cur_u8(&c);
		col->nnull = cur_varint(&c);
		col->off = cur_varint(&c);
		col->disklen = cur_varint(&c);
		col->rawlen = cur_varint(&c);
		col->nblocks = cur_varint(&c);
		if (get_stats(&c, col->type, &col->st) < 0 || c.err ||
		    !enc_allowed(s->version, col->type, col->enc))
			goto bad_footer;
		if (col->type < CT_INT || col->type > CT_STR || col->nnull > s->nrows ||
		    col->off < HEADER_SIZE || col->off > foot_off ||
		    col->disklen > foot_off - col->off ||
		    col->nblocks == 0 || col->nblocks > col->disklen / 12 ||
		    col->rawlen > col->nblocks * (uint64_t)SEG_BLOCK_RAW ||
		    col->rawlen > col->disklen * MAX_RATIO)
			goto bad_footer;
	}
	if (c.p != c.end)
		goto bad_footer;
	free(foot);
	return s;
bad_footer:
	cdp_setdamage("%s: malformed segment footer", path);
fail:
	free(foot);
	segment_close(s);
	return NULL;
}

int
segment_col_index(const struct segment *s, const char *name)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (strcmp(s->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

static struct libdeflate_decompressor *
segment_inflater(struct segment *s)
{
	if (!s->inflater && !(s->inflater = libdeflate_alloc_decompressor()))
		cdp_die(CDP_EXIT_FAIL, "out of memory (decompressor)");
	return s->inflater;
}

int
segment_read_raw(struct segment *s, int idx, struct strbuf *out)
{
	const struct segcol *col = &s->cols[idx];
	unsigned char *disk;
	uint64_t pos = 0, start = out->len;

	if (col->disklen > SIZE_MAX)
		return cdp_setdamage("%s: column '%s' too large", s->path, col->name);
	disk = xmalloc((size_t)col->disklen ? (size_t)col->disklen : 1);
	if (pread_all(s->fd, disk, (size_t)col->disklen, col->off) < 0) {
		free(disk);
		return cdp_seterr("%s: read error: %s", s->path, strerror(errno));
	}
	sb_grow(out, (size_t)col->rawlen);
	for (uint64_t b = 0; b < col->nblocks; b++) {
		uint32_t rawlen, clen, crc;
		size_t got;

		if (col->disklen - pos < 12)
			goto bad;
		rawlen = get_u32(disk + pos);
		clen = get_u32(disk + pos + 4);
		crc = get_u32(disk + pos + 8);
		pos += 12;
		if (clen > col->disklen - pos)
			goto bad;
		if ((uint32_t)crc32(0, disk + pos, clen) != crc) {
			free(disk);
			return cdp_setdamage("%s: checksum mismatch in column '%s' block %llu",
			    s->path, col->name, (unsigned long long)b);
		}
		/* Refuse bombs before inflating anything. */
		if (rawlen > SEG_BLOCK_RAW || (uint64_t)rawlen > (uint64_t)clen * MAX_RATIO + 64 ||
		    out->len - start + rawlen > col->rawlen) {
			free(disk);
			return cdp_setdamage("%s: column '%s' block %llu declares an implausible size",
			    s->path, col->name, (unsigned long long)b);
		}
		if (libdeflate_zlib_decompress(segment_inflater(s), disk + pos, clen, out->buf + out->len,
		    rawlen, &got) != LIBDEFLATE_SUCCESS || got != rawlen)
			goto bad;
		out->len += rawlen;
		pos += clen;
	}
	if (pos != col->disklen || out->len - start != col->rawlen)
		goto bad;
	free(disk);
	return 0;
bad:
	free(disk);
	out->len = start;
	return cdp_setdamage("%s: damaged data in column '%s'", s->path, col->name);
}

/* An ENC_REF column: its sources (earlier columns, not references
 * themselves) read first. */
static int
read_ref(struct segment *s, int idx, const struct strbuf *raw, struct colvec *out)
{
	uint32_t num[REF_MAXSRC];
	struct colvec src[REF_MAXSRC];
	const struct colvec *sp[REF_MAXSRC];
	size_t k, got = 0;
	int rc = -1;

	if (col_ref_sources((unsigned char *)raw->buf, raw->len, (size_t)s->nrows, num, &k) < 0)
		return cdp_setdamage("%s: malformed data in column '%s'", s->path, s->cols[idx].name);
	for (; got < k; got++) {
		const struct segcol *sc = &s->cols[num[got]];

		if (num[got] >= (uint32_t)idx || sc->type != s->cols[idx].type || sc->enc == ENC_REF) {
			cdp_setdamage("%s: malformed data in column '%s'", s->path, s->cols[idx].name);
			goto out;
		}
		if (segment_read(s, (int)num[got], &src[got]) < 0)
			goto out;
		sp[got] = &src[got];
	}
	rc = col_decode_ref((unsigned char *)raw->buf, raw->len, s->cols[idx].type, (size_t)s->nrows, sp, k, out);
	if (rc < 0)
		cdp_setdamage("%s: malformed data in column '%s'", s->path, s->cols[idx].name);
out:
	while (got > 0)
		colvec_free(&src[--got]);
	return rc;
}

int
segment_read(struct segment *s, int idx, struct colvec *out)
{
	struct strbuf raw = STRBUF_INIT;
	const struct segcol *col = &s->cols[idx];

	colvec_init(out, col->type);
	if (segment_read_raw(s, idx, &raw) < 0) {
		sb_free(&raw);
		return -1;
	}
	/* the stream's own encoding byte is the footer's */
	if (raw.len == 0 || (unsigned char)raw.buf[0] != col->enc) {
		sb_free(&raw);
		return cdp_setdamage("%s: malformed data in column '%s'", s->path, col->name);
	}
	if (col->enc == ENC_REF) {
		int rc = read_ref(s, idx, &raw, out);

		sb_free(&raw);
		if (rc < 0)
			return -1;
	} else if (col_decode((unsigned char *)raw.buf, raw.len, col->type, (size_t)s->nrows, out) < 0) {
		sb_free(&raw);
		return cdp_setdamage("%s: malformed data in column '%s'", s->path, col->name);
	}
	if (out->nnull != col->nnull) {
		colvec_free(out);
		sb_free(&raw);
		return cdp_setdamage("%s: malformed data in column '%s'", s->path, col->name);
	}
	out->tfmt = col->tfmt;
	sb_free(&raw);
	return 0;
}

int
segment_verify(struct segment *s)
{
	for (size_t i = 0; i < s->ncols; i++) {
		struct colvec v;

		if (segment_read(s, (int)i, &v) < 0)
			return -1;
		colvec_free(&v);
	}
	return 0;
}

void
segment_close(struct segment *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	libdeflate_free_decompressor(s->inflater);
	for (size_t i = 0; i < s->ncols; i++) {
		free(s->cols[i].name);
		colstats_free(&s->cols[i].st);
	}
	free(s->cols);
	free(s->table);
	free(s->path);
	free(s);
}
