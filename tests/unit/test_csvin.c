/*
 * test_csvin.c - the CSV reader: quoting, line numbers, rejects and how
 * far a malformed record's damage reaches, limits that keep memory
 * bounded, headers, delimiters, gzip input.  Every case goes through a
 * real file and input_open, as the importer's input does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "csvin.h"
#include "util.h"
#include "t.h"

static char dir[] = "/tmp/test_csvin.XXXXXX";
static char path[256];
static int nfile;

static const char *
write_file(const void *data, size_t len)
{
	FILE *f;

	snprintf(path, sizeof path, "%s/in%d.csv", dir, nfile++);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

static void
add_escaped(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			sb_adds(sb, "\\n");
		else if (s[i] == '\r')
			sb_adds(sb, "\\r");
		else
			sb_addc(sb, s[i]);
	}
}

/*
 * Read every record of the open reader into one line of text:
 * "2:a|b;" for a record at line 2, "3!reason;" for a reject, then "EOF"
 * or "FATAL".  Values show '\n' and '\r' escaped.
 */
static char *
drain(struct csvin *r)
{
	struct strbuf sb = STRBUF_INIT;
	struct record rec;
	const char *reason;
	int rc;

	while ((rc = csvin_next(r, &rec, &reason)) != READ_EOF) {
		if (rc == READ_FATAL) {
			sb_adds(&sb, "FATAL");
			return sb_detach(&sb, NULL);
		}
		if (rc == READ_REJECT) {
			sb_addf(&sb, "%lu!%s;", rec.line, reason);
			continue;
		}
		sb_addf(&sb, "%lu:", rec.line);
		for (size_t i = 0; i < rec.nfields; i++) {
			if (i)
				sb_addc(&sb, '|');
			add_escaped(&sb, rec.fields[i].val, rec.fields[i].len);
		}
		sb_addc(&sb, ';');
	}
	/* EOF stays EOF */
	if (csvin_next(r, &rec, &reason) != READ_EOF)
		sb_adds(&sb, "NOT-EOF-AGAIN");
	sb_adds(&sb, "EOF");
	return sb_detach(&sb, NULL);
}

static struct input *cur_in;

static struct csvin *
open_csv(const void *data, size_t len, const struct csvin_opts *o)
{
	struct csvin *r;

	cur_in = input_open(write_file(data, len));
	if (!cur_in) {
		fprintf(stderr, "%s\n", cdp_err());
		exit(2);
	}
	r = csvin_new(cur_in, o);
	if (!r) {
		input_close(cur_in);
		cur_in = NULL;
	}
	return r;
}

static void
close_csv(struct csvin *r)
{
	csvin_free(r);
	input_close(cur_in);
	cur_in = NULL;
}

/* All records of a CSV with a header, as drain() shows them. */
static char *
read_all(const char *data, const struct csvin_opts *o)
{
	struct csvin_opts def = { .header = 1 };
	struct csvin *r = open_csv(data, strlen(data), o ? o : &def);
	char *s;

	if (!r)
		return xstrdup(cdp_err());
	s = drain(r);
	close_csv(r);
	return s;
}

/* The column names, comma-joined. */
static char *
columns_of(const char *data, const struct csvin_opts *o)
{
	struct csvin_opts def = { .header = 1 };
	struct csvin *r = open_csv(data, strlen(data), o ? o : &def);
	struct strbuf sb = STRBUF_INIT;
	const char *const *names;
	size_t n;

	if (!r)
		return xstrdup(cdp_err());
	names = csvin_columns(r, &n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, ',');
		sb_adds(&sb, names[i]);
	}
	close_csv(r);
	return sb_detach(&sb, NULL);
}

#define CHECK_ALL(data, opts, want, name) do { \
	char *got_ = read_all((data), (opts)); \
	T_STREQ(got_, (want), (name)); \
	free(got_); \
} while (0)

#define CHECK_COLUMNS(data, opts, want, name) do { \
	char *got_ = columns_of((data), (opts)); \
	T_STREQ(got_, (want), (name)); \
	free(got_); \
} while (0)

static void
test_quoting(void)
{
	CHECK_ALL("id,name\n1,\"a,b\"\n2,c\n", NULL,
	    "2:1|a,b;3:2|c;EOF", "csv: quoted comma stays in the field");
	CHECK_ALL("id,q\n1,\"say \"\"hi\"\"\"\n2,\"\"\"\"\n", NULL,
	    "2:1|say \"hi\";3:2|\";EOF", "csv: doubled quotes unescape to one");
	CHECK_ALL("id,note\n1,\"x\ny\n\nz\"\n2,w\n3,v\n", NULL,
	    "2:1|x\\ny\\n\\nz;6:2|w;7:3|v;EOF",
	    "csv: quoted field keeps embedded newlines and later line numbers count them");
	CHECK_ALL("id,name\r\n1,a\r\n2,\"b\r\nc\"\r\n3,d\r\n", NULL,
	    "2:1|a;3:2|b\\r\\nc;5:3|d;EOF", "csv: CRLF line ends are not part of the last field");
	CHECK_ALL("a,b,c\n,,\n1,,3\n\"\",x,\"\"\n", NULL,
	    "2:||;3:1||3;4:|x|;EOF", "csv: empty fields are empty strings");
	CHECK_ALL("a,b,c\n1,2,\n", NULL, "2:1|2|;EOF", "csv: trailing delimiter makes a final empty field");
	CHECK_ALL("a,b\n1,2", NULL, "2:1|2;EOF", "csv: last record without a newline is read");
	CHECK_ALL("a,b\n1,\"x\"", NULL, "2:1|x;EOF", "csv: quoted last field without a newline is read");
	CHECK_ALL("a\n\n1\n\r\n   \n2\n\n", NULL, "3:1;6:2;EOF",
	    "csv: blank lines are skipped but counted");
	CHECK_ALL("a,b\n1,x\ry\n2,z\n", NULL, "2:1|x\\ry;3:2|z;EOF",
	    "csv: a lone CR inside a line is data, not a record end");
	CHECK_ALL("a,b\n 1 , \" 2 \" \n", NULL, "2:1| 2 ;EOF",
	    "csv: spaces around unquoted fields trimmed, inside quotes kept");
}

static void
test_fields(void)
{
	struct csvin_opts o = { .header = 1 };
	struct csvin *r;
	struct record rec;
	const char *reason;
	const char *data = "\xEF\xBB\xBFid,name\r\n7,\"x\"\r\n";

	r = open_csv(data, strlen(data), &o);
	T_CHECK(r != NULL, "csv: file with BOM opens");
	if (!r)
		return;
	T_INTEQ(csvin_next(r, &rec, &reason), READ_OK, "csv: record after BOM header reads");
	T_INTEQ(rec.nfields, 2, "csv: record has the header's field count");
	T_STREQ(rec.fields[0].name, "id", "csv: BOM stripped from the first column name");
	T_STREQ(rec.fields[1].name, "name", "csv: CR stripped from the last column name");
	T_STREQ(rec.fields[1].val, "x", "csv: quoted value unquoted");
	T_INTEQ(rec.fields[1].len, 1, "csv: value length excludes quotes");
	T_INTEQ(rec.fields[0].kind, FK_TEXT, "csv: fields are FK_TEXT");
	T_INTEQ(rec.rawlen, 5, "csv: raw excludes the CRLF");
	T_CHECK(rec.rawlen == 5 && memcmp(rec.raw, "7,\"x\"", 5) == 0, "csv: raw is the bytes as read");
	T_INTEQ(rec.line, 2, "csv: first record after header is line 2");
	T_INTEQ(csvin_next(r, &rec, &reason), READ_EOF, "csv: then end of input");
	close_csv(r);
}

static void
test_rejects(void)
{
	struct csvin_opts o = { .header = 1 };
	struct csvin *r;
	struct record rec;
	const char *reason;
	const char *data = "a,b\n1,2\n1,2,3\n";
	char *got;

	CHECK_ALL("a,b\n1,2\n3,4,5\n6\n7,8\n", NULL,
	    "2:1|2;3!expected 2 fields, found 3;4!expected 2 fields, found 1;5:7|8;EOF",
	    "csv: ragged rows rejected with reason and line, reading goes on");
	CHECK_ALL("a,b\n1,x\"y\n2,\"p\"q\n3,z\n", NULL,
	    "2!malformed quoting;3!malformed quoting;4:3|z;EOF",
	    "csv: bad quoting in a line rejects only that line");

	r = open_csv(data, strlen(data), &o);
	if (r) {
		csvin_next(r, &rec, &reason);
		T_INTEQ(csvin_next(r, &rec, &reason), READ_REJECT, "csv: ragged row is READ_REJECT");
		T_CHECK(rec.rawlen == 5 && memcmp(rec.raw, "1,2,3", 5) == 0, "csv: reject carries its raw bytes");
		T_INTEQ(rec.line, 3, "csv: reject carries its line");
		close_csv(r);
	}

	/* one stray quote must cost one row, not the rest of the file */
	CHECK_ALL("id,name,age\n1,ann,30\n2,b\"ob,40\n3,cat,50\n4,\"dan\",60\n5,eve,70\n", NULL,
	    "2:1|ann|30;3!malformed quoting;4:3|cat|50;5:4|dan|60;6:5|eve|70;EOF",
	    "csv: stray quote mid-file rejects its row and recovers the following rows");
	CHECK_ALL("id,name\n1,\"ann\n2,bob\n3,\"multi\nline\"\n4,dan\n", NULL,
	    "2!malformed quoting;3:2|bob;4:3|multi\\nline;6:4|dan;EOF",
	    "csv: stray opening quote does not swallow a later multi-line record");
	CHECK_ALL("id,name\n1,\"x\ny\",extra\n2,ok\n", NULL,
	    "2!malformed quoting;3!malformed quoting;4:2|ok;EOF",
	    "csv: multi-line record with wrong field count is rejected line by line");
	CHECK_ALL("id,name\n1,a\n2,\"b\n3,c\n", NULL,
	    "2:1|a;3!unterminated quoted field;4:3|c;EOF",
	    "csv: unterminated quote at end of input costs only its line");
	CHECK_ALL("id,name\n1,a\n2,\"b", NULL,
	    "2:1|a;3!unterminated quoted field;EOF",
	    "csv: unterminated quote on the last line without newline");

	CHECK_ALL("a,b\n2,caf\xc3\xa9\n1,\xff\xfe\n3,\xc3\n", NULL,
	    "2:2|caf\xc3\xa9;3!invalid UTF-8;4!invalid UTF-8;EOF",
	    "csv: invalid UTF-8 after valid multibyte rejected, valid multibyte accepted");
	{
		char *got = read_all("a,b\n1,x\n2,M\xfcller\n3,caf\xc3\xa9\n", NULL);

		T_CHECK(strcmp(got, "2:1|x;FATAL") == 0 &&
		    strstr(cdp_err(), ":3: not UTF-8 (byte 0xfc); try --encoding windows-1252") != NULL,
		    "csv: invalid UTF-8 before any valid multibyte fails with an encoding hint");
		free(got);
	}

	{
		static const char nul[] = "a,b\n1,x\0y\n2,z\n";

		r = open_csv(nul, sizeof nul - 1, &o);
		got = r ? drain(r) : xstrdup(cdp_err());
		T_STREQ(got, "2!NUL byte in record;3:2|z;EOF", "csv: NUL byte rejected, next row read");
		free(got);
		if (r)
			close_csv(r);
	}

	{
		struct csvin_opts lim = { .header = 1, .max_field = 10 };

		CHECK_ALL("a,b\n1,1234567890\n2,12345678901\n3,\"12345678901\"\n4,x\n", &lim,
		    "2:1|1234567890;3!field longer than 10 bytes;4!field longer than 10 bytes;5:4|x;EOF",
		    "csv: field over max_field rejected, field at the limit accepted");
	}
	{
		struct csvin_opts lim = { .header = 1, .max_record = 8 };

		CHECK_ALL("a,b\n1,123456\n2,1234567\n3,x\r\n4,\"a\nb\"\n5,y\n", &lim,
		    "2:1|123456;3!record longer than 8 bytes;4:3|x;5:4|a\\nb;7:5|y;EOF",
		    "csv: record over max_record rejected, record at the limit accepted");
	}
}

/* A 20 MB line under a 1 MB max_record: one reject, bounded memory. */
static void
test_long_record(void)
{
	struct csvin_opts o = { .header = 1, .max_record = 1u << 20 };
	size_t chunk = 1u << 20, total = 20 * chunk;
	char *block = xmalloc(chunk);
	struct csvin *r;
	struct record rec;
	const char *reason;
	struct rusage ru0, ru1;
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/long%d.csv", dir, nfile++);
	f = fopen(path, "wb");
	fputs("id,blob\n1,first\n", f);
	memset(block, 'x', chunk);
	block[0] = '2';
	block[1] = ',';
	for (size_t n = 0; n < total; n += chunk) {
		fwrite(block, 1, chunk, f);
		block[0] = block[1] = 'x';
		/* a quoted newline deep inside is skipped, but counted */
		if (n == total / 2)
			fputs("\"q\nq\"", f);
	}
	fputs("\n3,last\n", f);
	fclose(f);
	free(block);

	getrusage(RUSAGE_SELF, &ru0);
	cur_in = input_open(path);
	r = cur_in ? csvin_new(cur_in, &o) : NULL;
	T_CHECK(r != NULL, "csv: long-record file opens");
	if (!r)
		return;
	T_INTEQ(csvin_next(r, &rec, &reason), READ_OK, "csv: row before the long line reads");
	rc = csvin_next(r, &rec, &reason);
	T_INTEQ(rc, READ_REJECT, "csv: 20 MB line is one reject");
	T_STREQ(rc == READ_REJECT ? reason : "", "record longer than 1048576 bytes",
	    "csv: long line reject says the limit");
	T_INTEQ(rec.line, 3, "csv: long line reject has its line");
	T_INTEQ(rec.rawlen, 1u << 20, "csv: long line raw kept to max_record bytes");
	T_CHECK(rec.rawlen >= 2 && memcmp(rec.raw, "2,xx", 4) == 0, "csv: long line raw is its head");
	rc = csvin_next(r, &rec, &reason);
	T_INTEQ(rc, READ_OK, "csv: row after the long line parses");
	T_STREQ(rc == READ_OK ? rec.fields[1].val : "", "last", "csv: row after the long line has its value");
	T_INTEQ(rec.line, 5, "csv: row after the long line has the right line number");
	T_INTEQ(csvin_next(r, &rec, &reason), READ_EOF, "csv: long-record file ends");
	close_csv(r);
	getrusage(RUSAGE_SELF, &ru1);
#ifndef __SANITIZE_ADDRESS__
	/* ru_maxrss is in KiB; holding the line would add 20 MB */
	T_CHECK(ru1.ru_maxrss - ru0.ru_maxrss < 12 * 1024,
	    "csv: long line read in bounded memory");
#endif
}

static void
test_delimiters(void)
{
	struct csvin_opts semi = { .header = 1, .delim = ';' };
	struct csvin_opts tab = { .header = 1, .delim = '\t' };

	CHECK_ALL("a;b\n\"x;y\";2\n1,5;3\n", &semi, "2:x;y|2;3:1,5|3;EOF",
	    "csv: semicolon delimiter splits on ';' only");
	CHECK_ALL("a\tb\tc\n1\t\t3\n\t\t\nx y\t\"q\tr\"\tz\n", &tab,
	    "2:1||3;3:||;4:x y|q\tr|z;EOF",
	    "csv: tab delimiter keeps empty fields between tabs");
	CHECK_COLUMNS("a\tb c\t d \n", &tab, "a,b c,d", "csv: tab header names trimmed of spaces");
}

static void
test_sniff_and_encoding(void)
{
	struct csvin_opts sniff = { .header = 1, .sniff = 1 };
	struct csvin_opts comma = { .header = 1, .delim = ',' };
	struct csvin_opts cp1252 = { .header = 1, .sniff = 1, .encoding = "windows-1252" };
	struct csvin_opts latin1 = { .header = 1, .sniff = 1, .encoding = "latin1" };
	struct csvin_opts bad = { .header = 1, .encoding = "no-such-encoding" };
	char *got;

	CHECK_ALL("a;b;c\n1,5;x;\"p;q\"\n2;y;z\n", &sniff, "2:1,5|x|p;q;3:2|y|z;EOF",
	    "csv: semicolon sniffed from the first lines although commas occur in data");
	CHECK_ALL("a\tb\n1\t2\n", &sniff, "2:1|2;EOF", "csv: tab sniffed");
	CHECK_ALL("a|b|c\n1|2|3\n", &sniff, "2:1|2|3;EOF", "csv: pipe sniffed");
	CHECK_ALL("a,b\n1,2\n", &sniff, "2:1|2;EOF", "csv: comma sniffed");
	CHECK_ALL("name\nx;y\n", &sniff, "2:x;y;EOF", "csv: a single column stays one column");
	CHECK_ALL("a;b;c\n1,5;2\n", &comma,
	    "2!expected 1 fields, found 2 (is the delimiter a semicolon? try --delimiter semicolon);EOF",
	    "csv: a wrong field count names the delimiter the header splits on");
	CHECK_ALL("Name;Stra\xdf" "e\r\nM\xfcller;K\xf6nigsallee \x80 5\r\n", &cp1252,
	    "2:M\xc3\xbcller|K\xc3\xb6nigsallee \xe2\x82\xac 5;EOF",
	    "csv: windows-1252 converted to UTF-8 (umlauts, euro sign)");
	CHECK_COLUMNS("Name;Stra\xdf" "e\n", &latin1, "Name,Stra\xc3\x9f" "e", "csv: latin1 header converted");
	got = read_all("a\n1\n", &bad);
	T_CHECK(strstr(got, "unknown encoding 'no-such-encoding'") != NULL, "csv: unknown encoding fails");
	free(got);
}

static void
test_header(void)
{
	struct csvin_opts o = { .header = 1 };
	struct strbuf sb = STRBUF_INIT;
	char want[128];
	char *got;

	CHECK_COLUMNS("id, id ,,name,id,\n1,2,3,4,5,6\n", NULL,
	    "id,id_2,column_3,name,id_3,column_6",
	    "csv: header names trimmed, empty ones numbered, repeats suffixed");
	CHECK_COLUMNS("a,a,a_2\n", NULL, "a,a_2,a_2_2",
	    "csv: suffixed name does not collide with a real column");
	CHECK_COLUMNS("\n\n\"x, y\",\" z \"\n", NULL, "x, y,z",
	    "csv: header is the first non-empty record, quoted names trimmed");
	CHECK_ALL("\n\nid\n1\n", NULL, "4:1;EOF", "csv: header after blank lines, line numbers still right");

	got = read_all("", NULL);
	snprintf(want, sizeof want, "%s/in%d.csv: empty input", dir, nfile - 1);
	T_STREQ(got, want, "csv: empty file fails with empty input");
	free(got);
	got = read_all("\n\r\n\n", NULL);
	snprintf(want, sizeof want, "%s/in%d.csv: empty input", dir, nfile - 1);
	T_STREQ(got, want, "csv: file of blank lines fails with empty input");
	free(got);

	got = read_all("id,n\xff\n1,2\n", NULL);
	T_CHECK(strstr(got, ":1: not UTF-8 (byte 0xff); try --encoding") != NULL,
	    "csv: invalid UTF-8 in header fails with an encoding hint");
	free(got);
	{
		static const char nul[] = "id,n\0x\n1,2\n";
		struct csvin *r = open_csv(nul, sizeof nul - 1, &o);

		T_CHECK(r == NULL && strstr(cdp_err(), "header: NUL byte") != NULL,
		    "csv: NUL in header fails");
		if (r)
			close_csv(r);
	}

	for (int i = 0; i < 4096; i++)
		sb_addf(&sb, "%sc%d", i ? "," : "", i);
	sb_adds(&sb, "\n");
	{
		struct csvin *r = open_csv(sb.buf, sb.len, &o);
		size_t n = 0;

		T_CHECK(r != NULL, "csv: header of 4096 columns accepted");
		if (r) {
			csvin_columns(r, &n);
			close_csv(r);
		}
		T_INTEQ(n, 4096, "csv: all 4096 columns named");
	}
	sb_reset(&sb);
	for (int i = 0; i < 4097; i++)
		sb_adds(&sb, i ? ",x" : "x");
	sb_adds(&sb, "\n");
	{
		struct csvin *r = open_csv(sb.buf, sb.len, &o);

		T_CHECK(r == NULL && strstr(cdp_err(), ": header has 4097 columns; at most 4096 are supported"),
		    "csv: header of 4097 columns refused");
		if (r)
			close_csv(r);
	}
	sb_reset(&sb);
	for (int i = 0; i < 1000000; i++)
		sb_adds(&sb, i ? ",x" : "x");
	sb_adds(&sb, "\n1\n");
	{
		double t0 = now_seconds();
		struct csvin *r = open_csv(sb.buf, sb.len, &o);

		T_CHECK(r == NULL && strstr(cdp_err(), "at most 4096 are supported"),
		    "csv: header of a million repeated columns refused");
		T_CHECK(now_seconds() - t0 < 5.0, "csv: million-column header refused quickly");
		if (r)
			close_csv(r);
	}
	sb_free(&sb);
}

static void
test_headerless(void)
{
	static const char *const cols[] = { "email", "name" };
	struct csvin_opts given = { .columns = cols, .ncolumns = 2 };
	struct csvin_opts none = { 0 };
	struct csvin *r;
	struct record rec;
	const char *reason;
	const char *data = "a@x,Ann\nb@x,Bob,extra\n";

	CHECK_COLUMNS(data, &given, "email,name", "csv: headerless uses the given column names");
	CHECK_ALL(data, &given, "1:a@x|Ann;2!expected 2 fields, found 3;EOF",
	    "csv: headerless first line is a record at line 1");
	r = open_csv(data, strlen(data), &given);
	if (r) {
		csvin_next(r, &rec, &reason);
		T_STREQ(rec.fields[0].name, "email", "csv: headerless field carries the given name");
		close_csv(r);
	}
	CHECK_COLUMNS("\n1,2,3\n4,5,6\n", &none, "column_1,column_2,column_3",
	    "csv: headerless without names counts the first record's fields");
	CHECK_ALL("\n1,2,3\n4,5,6\n", &none, "2:1|2|3;3:4|5|6;EOF",
	    "csv: headerless without names still returns the first record");
	CHECK_ALL("\"a\nb\",2\n3,4\n", &none, "1:a\\nb|2;3:3|4;EOF",
	    "csv: headerless first record may span lines");
	CHECK_ALL("", &given, "EOF", "csv: headerless with names on empty file is no records");
}

static void
test_gzip(void)
{
	struct csvin_opts o = { .header = 1 };
	struct csvin *r;
	gzFile gz;
	char *got;
	int corrupt;

	snprintf(path, sizeof path, "%s/in%d.csv.gz", dir, nfile++);
	gz = gzopen(path, "wb");
	gzputs(gz, "id,name\n1,\"a\nb\"\n2,c\n");
	gzclose(gz);
	cur_in = input_open(path);
	r = csvin_new(cur_in, &o);
	got = r ? drain(r) : xstrdup(cdp_err());
	T_STREQ(got, "2:1|a\\nb;4:2|c;EOF", "csv: gzip input decompressed transparently");
	free(got);
	if (r)
		csvin_free(r);
	input_close(cur_in);

	/* a damaged stream after the header is a fatal read error */
	snprintf(path, sizeof path, "%s/in%d.csv.gz", dir, nfile++);
	gz = gzopen(path, "wb");
	gzputs(gz, "id,name\n");
	for (int i = 0; i < 200000; i++)
		gzprintf(gz, "%d,name%d\n", i, i * 7919 % 100003);
	gzclose(gz);
	{
		FILE *f = fopen(path, "r+b");
		long size;

		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fseek(f, size / 2, SEEK_SET);
		for (int i = 0; i < 64; i++)
			fputc(0xff, f);
		fclose(f);
	}
	cur_in = input_open(path);
	r = csvin_new(cur_in, &o);
	got = r ? drain(r) : xstrdup("no reader");
	corrupt = strlen(got) >= 5 && strcmp(got + strlen(got) - 5, "FATAL") == 0;
	T_CHECK(corrupt, "csv: corrupt gzip is READ_FATAL");
	T_CHECK(strstr(cdp_err(), "read error") != NULL, "csv: read error sets cdp_err");
	free(got);
	if (r)
		csvin_free(r);
	input_close(cur_in);
	cur_in = NULL;
}

/* Many rows, so records straddle the 256 KiB read chunks. */
static void
test_many_rows(void)
{
	struct csvin_opts o = { .header = 1 };
	struct strbuf sb = STRBUF_INIT;
	struct csvin *r;
	struct record rec;
	const char *reason;
	unsigned long rows = 0, bad = 0, lastline = 0, lines;
	int rc;

	sb_adds(&sb, "id,text,n\n");
	lines = 1;
	for (int i = 0; i < 100000; i++) {
		if (i % 1000 == 7) {
			sb_addf(&sb, "%d,\"multi\nline, \"\"%d\"\"\",%d\n", i, i, i);
			lines += 2;
		} else {
			sb_addf(&sb, "%d,\"plain %d\",%d\r\n", i, i, i);
			lines++;
		}
	}
	r = open_csv(sb.buf, sb.len, &o);
	if (!r) {
		T_CHECK(0, "csv: large file opens");
		return;
	}
	while ((rc = csvin_next(r, &rec, &reason)) == READ_OK || rc == READ_REJECT) {
		char want[64];

		if (rc == READ_REJECT) {
			bad++;
			continue;
		}
		snprintf(want, sizeof want, "%lu", rows);
		if (strcmp(rec.fields[0].val, want) != 0 || strcmp(rec.fields[2].val, want) != 0)
			bad++;
		rows++;
		lastline = rec.line;
	}
	T_INTEQ(rc, READ_EOF, "csv: large file read to the end");
	T_INTEQ(rows, 100000, "csv: every row of a large file read");
	T_INTEQ(bad, 0, "csv: no row of a large file damaged across read chunks");
	T_INTEQ(lastline, lines, "csv: line numbers right at the end of a large file");
	close_csv(r);
	sb_free(&sb);
}

int
main(void)
{
	char cmd[300];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_quoting();
	test_fields();
	test_rejects();
	test_long_record();
	test_delimiters();
	test_sniff_and_encoding();
	test_header();
	test_headerless();
	test_gzip();
	test_many_rows();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return t_done();
}
