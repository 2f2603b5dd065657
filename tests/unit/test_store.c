/*
 * test_store.c - codecs, segment files and the manifest.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "column.h"
#include "fileio.h"
#include "segment.h"
#include "store.h"
#include "t.h"
#include "vec_eq.h"

static char dir[256];

static char *
tmp_path(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "%s/%s", dir, name);
	return buf;
}

static void
test_parse(void)
{
	int64_t x;

	T_CHECK(int_parse("42", 2, &x) == 0 && x == 42, "int: plain integer parses");
	T_CHECK(int_parse("-7", 2, &x) == 0 && x == -7, "int: negative integer parses");
	T_CHECK(int_parse("007", 3, &x) < 0, "int: leading zeros stay text (postal codes)");
	T_CHECK(int_parse("-0", 2, &x) < 0, "int: -0 is not canonical");
	T_CHECK(int_parse("99999999999999999999", 20, &x) < 0, "int: overflow is not an integer");
	T_CHECK(int_parse("9223372036854775807", 19, &x) == 0 && x == INT64_MAX, "int: int64 max parses");
	T_CHECK(dec_parse("12.50", 5, &x) == 0 && dec_mantissa(x) == 1250 && dec_scale(x) == 2,
	    "dec: keeps mantissa and scale");
	T_CHECK(dec_parse("-0.5", 4, &x) == 0 && dec_to_double(x) == -0.5, "dec: negative fraction");
	T_CHECK(dec_parse("1.", 2, &x) < 0, "dec: trailing dot is text");
	T_CHECK(dec_parse(".5", 2, &x) < 0, "dec: leading dot is text");
	T_CHECK(dec_parse("01.5", 4, &x) < 0, "dec: leading zero is text");
	T_CHECK(dec_parse("1,5", 3, &x) < 0, "dec: decimal comma is text");
}

static void
test_format_roundtrip(void)
{
	const char *decs[] = { "12.50", "-0.5", "0.001", "123456.7", "-99.99" };
	struct colvec v;
	struct strbuf sb = STRBUF_INIT;

	colvec_init(&v, CT_DEC);
	for (int i = 0; i < 5; i++) {
		int64_t x;

		dec_parse(decs[i], strlen(decs[i]), &x);
		colvec_push_int(&v, x);
	}
	for (int i = 0; i < 5; i++) {
		sb_reset(&sb);
		colvec_format(&v, (size_t)i, &sb);
		T_STREQ(sb.buf, decs[i], "dec: prints back exactly as imported");
	}
	colvec_free(&v);
	sb_free(&sb);
}

static void
test_codec_roundtrip(void)
{
	struct colvec ints, strs, many, back;
	struct strbuf raw = STRBUF_INIT;
	int enc;

	colvec_init(&ints, CT_INT);
	colvec_init(&strs, CT_STR);
	colvec_init(&many, CT_STR);
	for (int i = 0; i < 5000; i++) {
		char buf[32];

		if (i % 7 == 0)
			colvec_push_null(&ints);
		else
			colvec_push_int(&ints, (int64_t)i * 1000003 - (i % 3 ? 0 : INT64_MAX / 2));
		colvec_push_str(&strs, i % 2 ? "web" : "crm", 3);
		snprintf(buf, sizeof buf, "user-%d@example.com", i);
		if (i % 11 == 0)
			colvec_push_null(&many);
		else
			colvec_push_str(&many, buf, strlen(buf));
	}
	enc = col_encode(&ints, &raw);
	T_INTEQ(enc, ENC_INT, "codec: integers use the integer encoding");
	T_CHECK(col_decode((unsigned char *)raw.buf, raw.len, CT_INT, 5000, &back) == 0 &&
	    vec_equal(&ints, &back), "codec: integers with nulls round-trip");
	colvec_free(&back);
	sb_reset(&raw);
	enc = col_encode(&strs, &raw);
	T_INTEQ(enc, ENC_DICT, "codec: low-cardinality strings use a dictionary");
	T_CHECK(raw.len < 5000 + 64, "codec: dictionary stores one byte per row");
	T_CHECK(col_decode((unsigned char *)raw.buf, raw.len, CT_STR, 5000, &back) == 0 &&
	    vec_equal(&strs, &back) && back.ndict == 2, "codec: dictionary strings round-trip");
	colvec_free(&back);
	sb_reset(&raw);
	enc = col_encode(&many, &raw);
	T_INTEQ(enc, ENC_PLAIN, "codec: distinct strings are stored plain");
	T_CHECK(col_decode((unsigned char *)raw.buf, raw.len, CT_STR, 5000, &back) == 0 &&
	    vec_equal(&many, &back), "codec: plain strings with nulls round-trip");
	colvec_free(&back);
	/* Malformed streams are refused, never read past. */
	T_CHECK(col_decode((unsigned char *)raw.buf, raw.len - 1, CT_STR, 5000, &back) < 0,
	    "codec: truncated stream is refused");
	T_CHECK(col_decode((unsigned char *)raw.buf, raw.len, CT_STR, 6000, &back) < 0,
	    "codec: row count mismatch is refused");
	T_CHECK(col_decode((unsigned char *)raw.buf, raw.len, CT_INT, 5000, &back) < 0,
	    "codec: type mismatch is refused");
	colvec_free(&ints);
	colvec_free(&strs);
	colvec_free(&many);
	sb_free(&raw);
}

static void
write_sample_segment(const char *path, size_t rows)
{
	struct colvec a, b;
	struct segcol_in cols[2] = { { "n", &a }, { "name", &b } };
	uint64_t size;

	colvec_init(&a, CT_INT);
	colvec_init(&b, CT_STR);
	for (size_t i = 0; i < rows; i++) {
		char buf[32];

		colvec_push_int(&a, (int64_t)i + 100);
		snprintf(buf, sizeof buf, "name-%zu", i % 50);
		colvec_push_str(&b, buf, strlen(buf));
	}
	unlink(path);
	if (segment_write(path, "records", 7, cols, 2, rows, &size) < 0)
		printf("# %s\n", cdp_err());
	colvec_free(&a);
	colvec_free(&b);
}

static void
test_segment(void)
{
	char *path = xstrdup(tmp_path("seg-1.cdp"));
	struct segment *s;
	struct colvec v;
	struct stat st;

	write_sample_segment(path, 3000);
	T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "segment: file is created 0600");
	s = segment_open(path);
	T_CHECK(s != NULL, "segment: opens");
	if (!s)
		return;
	T_INTEQ(s->nrows, 3000, "segment: row count from footer");
	T_INTEQ(s->batch, 7, "segment: batch from footer");
	T_STREQ(s->table, "records", "segment: table from footer");
	T_INTEQ(segment_col_index(s, "name"), 1, "segment: finds a column by name");
	T_CHECK(s->cols[0].st.has && s->cols[0].st.imin == 100 && s->cols[0].st.imax == 3099,
	    "segment: integer min/max in footer");
	T_STREQ(s->cols[1].st.smin, "name-0", "segment: string min in footer");
	T_STREQ(s->cols[1].st.smax, "name-9", "segment: string max in footer");
	T_CHECK(segment_read(s, 0, &v) == 0 && v.n == 3000 && v.iv[2999] == 3099,
	    "segment: reads a column back");
	colvec_free(&v);
	T_CHECK(segment_verify(s) == 0, "segment: verify passes on a good file");
	segment_close(s);
	T_CHECK(segment_open(tmp_path("absent.cdp")) == NULL && strstr(cdp_err(), "absent.cdp"),
	    "segment: missing file error names the file");
	free(path);
}

/*
 * Flip every byte in turn, then cut the file at every offset: open or
 * verify must fail, never crash.
 */
static void
test_segment_corruption(void)
{
	char *path = xstrdup(tmp_path("seg-2.cdp"));
	struct strbuf orig = STRBUF_INIT;
	size_t undetected = 0, total;

	write_sample_segment(path, 200);
	io_read_file(path, &orig);
	total = orig.len;
	for (size_t i = 0; i < total; i++) {
		struct segment *s;
		int fd;

		orig.buf[i] ^= 0x5a;
		unlink(path);
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		(void)!write(fd, orig.buf, orig.len);
		close(fd);
		orig.buf[i] ^= 0x5a;
		s = segment_open(path);
		if (s && segment_verify(s) == 0)
			undetected++;
		segment_close(s);
	}
	T_CHECK(undetected == 0, "segment: any flipped byte is detected");
	undetected = 0;
	for (size_t cut = 0; cut < total; cut++) {
		int fd;
		struct segment *s;

		unlink(path);
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		(void)!write(fd, orig.buf, cut);
		close(fd);
		s = segment_open(path);
		if (s && segment_verify(s) == 0)
			undetected++;
		segment_close(s);
	}
	T_CHECK(undetected == 0, "segment: a truncation at any offset is detected");
	sb_free(&orig);
	free(path);
}

/* A block that claims to inflate to far more than its size is refused. */
static void
test_segment_bomb(void)
{
	char *path = xstrdup(tmp_path("seg-3.cdp"));
	struct strbuf f = STRBUF_INIT;
	struct segment *s;
	struct colvec v;
	int fd;

	write_sample_segment(path, 10);
	io_read_file(path, &f);
	/* first block header of column 0 is right after the 16-byte header */
	f.buf[16] = 0;
	f.buf[17] = 0;
	f.buf[18] = (char)0x80;	/* 8 MiB raw length */
	f.buf[19] = 0;
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	(void)!write(fd, f.buf, f.len);
	close(fd);
	s = segment_open(path);
	T_CHECK(s && segment_read(s, 0, &v) < 0 && strstr(cdp_err(), "implausible"),
	    "segment: decompression bomb refused before inflating");
	segment_close(s);
	sb_free(&f);
	free(path);
}

static void
test_manifest(void)
{
	struct store_opts wo = { 1, 1, 0 }, ro = { 0, 0, 0 };
	char *sdir = xstrdup(tmp_path("store"));
	struct store *st, *st2;
	struct mentry *e;
	struct stat sb;
	int locked;

	st = store_open(sdir, &wo, &locked);
	T_CHECK(st != NULL, "store: created on first open");
	T_CHECK(stat(sdir, &sb) == 0 && (sb.st_mode & 0777) == 0700, "store: directory is 0700");
	e = store_add(st, "batch", store_new_id(st));
	mentry_set(e, "source", "crm export");
	mentry_set(e, "input", "%s", "odd=name%\n.csv");
	T_CHECK(store_commit(st) == 0, "store: commit succeeds");
	st2 = store_open(sdir, &wo, &locked);
	T_CHECK(st2 == NULL && locked, "store: a second writer is refused while locked");
	st2 = store_open(sdir, &ro, NULL);
	T_CHECK(st2 && st2->ne == 1, "store: a reader opens while a writer holds the lock");
	T_STREQ(st2 ? mentry_get(st2->e[0], "input") : NULL, "odd=name%\n.csv",
	    "store: any bytes in a value survive the manifest");
	T_STREQ(st2 ? mentry_get(st2->e[0], "source") : NULL, "crm export", "store: spaces in values survive");
	store_close(st2);

	/* A failed manifest write leaves the old generation in place. */
	setenv("CDP_FAULT", "fsync:1", 1);
	io_fault_reset();
	store_add(st, "batch", store_new_id(st));
	T_CHECK(store_commit(st) < 0 && strstr(cdp_err(), "fsync"), "store: fsync failure is reported");
	unsetenv("CDP_FAULT");
	io_fault_reset();
	st2 = store_open(sdir, &ro, NULL);
	T_CHECK(st2 && st2->ne == 1, "store: failed commit leaves the previous manifest");
	store_close(st2);
	store_close(st);

	/* A damaged manifest is refused with its name. */
	char *m = xstrdup(tmp_path("store/MANIFEST"));
	struct strbuf mb = STRBUF_INIT;
	int fd;

	io_read_file(m, &mb);
	mb.buf[20] ^= 1;
	unlink(m);
	fd = open(m, O_WRONLY | O_CREAT, 0600);
	(void)!write(fd, mb.buf, mb.len);
	close(fd);
	st2 = store_open(sdir, &ro, NULL);
	T_CHECK(st2 == NULL && strstr(cdp_err(), "checksum"), "store: damaged manifest is detected");
	store_close(st2);
	sb_free(&mb);
	free(m);
	free(sdir);
}

/* A file a commit drops stays while a reader of the older generation runs. */
static void
test_readers(void)
{
	struct store_opts wo = { 1, 1, 0 }, ro = { 0, 0, 0 };
	char *sdir = xstrdup(tmp_path("store-readers"));
	char *seg = xstrdup(tmp_path("store-readers/seg-00000005.cdp"));
	struct store *st, *rd;
	struct mentry *e;
	struct stat sb;

	st = store_open(sdir, &wo, NULL);
	write_sample_segment(seg, 10);
	e = store_add(st, "segment", 5);
	mentry_set(e, "table", "t");
	mentry_set(e, "file", "seg-00000005.cdp");
	T_CHECK(st && store_commit(st) == 0, "readers: a segment is committed");
	rd = store_open(sdir, &ro, NULL);
	T_CHECK(rd && rd->readfd >= 0, "readers: a reader registers for its generation");
	store_remove(st, store_find(st, "segment", 5));
	T_CHECK(store_commit(st) == 0 && stat(seg, &sb) == 0,
	    "readers: a dropped file stays while a reader of the older generation runs");
	T_CHECK(store_wait_readers(st, 0) == 1, "readers: the writer sees the older reader");
	store_close(rd);
	T_CHECK(store_wait_readers(st, 0) == 0, "readers: ... and sees it gone when it ends");
	store_close(st);
	st = store_open(sdir, &wo, NULL);
	T_CHECK(st && stat(seg, &sb) < 0, "readers: the next writer removes the dropped file");
	rd = store_open(sdir, &ro, NULL);
	T_CHECK(rd && rd->ne == 0, "readers: a new reader sees the new generation");
	store_close(rd);
	store_close(st);
	free(seg);
	free(sdir);
}

static void
test_file_names(void)
{
	static const char *const good[] = { "seg-00000001.cdp", "seg-123456789012.cdp", "seg-1.cdp", NULL };
	static const char *const bad[] = { "../victim.cdp", "seg-1/../../x.cdp", "seg-.cdp",
		"seg-0001.cdpx", "/etc/passwd", "seg-00000001.cdp/", "MANIFEST", "seg-0a.cdp",
		"seg-000000000000000000000000001.cdp", "", NULL };
	int ok = 1;

	for (int i = 0; good[i]; i++)
		ok &= store_file_name_ok(good[i]);
	T_CHECK(ok, "store: its own segment file names are accepted");
	ok = 1;
	for (int i = 0; bad[i]; i++)
		ok &= !store_file_name_ok(bad[i]);
	T_CHECK(ok, "store: names outside the store or not its pattern are refused");
}

int
main(void)
{
	snprintf(dir, sizeof dir, "/tmp/cdp-test-store.%ld", (long)getpid());
	mkdir(dir, 0700);
	test_parse();
	test_format_roundtrip();
	test_codec_roundtrip();
	test_segment();
	test_segment_corruption();
	test_segment_bomb();
	test_manifest();
	test_file_names();
	test_readers();
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	(void)!system(cmd);
	return t_done();
}
