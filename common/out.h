/*
 * out.h - table writers: CSV (RFC 4180), TSV and JSON Lines.
 *
 * A writer is given the column names once, then rows a cell at a time.
 * CSV quotes a cell only when it must; TSV replaces tabs and newlines
 * in a cell with spaces (TSV has no quoting); JSON Lines writes one
 * object per row with typed values.  With excel set, CSV starts with a
 * byte-order mark, ends lines with CRLF, and neutralizes cells that a
 * spreadsheet would run as a formula (OWASP: prefix a single quote).
 */
#ifndef CDP_OUT_H
#define CDP_OUT_H

#include <stdio.h>
#include "util.h"

enum out_format { OUT_CSV, OUT_TSV, OUT_JSONL };

/* How a JSON Lines cell is written. */
enum out_kind { OK_STRING, OK_NUMBER, OK_BOOL, OK_RAW_JSON };

struct out {
	FILE *f;
	int format;
	int excel;
	char **names;
	size_t ncols, col, nwritten;
	struct strbuf line;
};

/* -1 if name is not csv, tsv or jsonl. */
int out_parse_format(const char *name);
void out_init(struct out *o, FILE *f, int format, int excel);
/* Declare the columns; CSV and TSV print the header row. */
void out_header(struct out *o, const char *const *names, size_t n);
void out_cell(struct out *o, const char *s, size_t len, int kind);
void out_null(struct out *o);
/* End the row.  -1 if the stream reported an error. */
int out_row_end(struct out *o);
void out_free(struct out *o);

/* Append s as a JSON string literal (with quotes). */
void json_quote(struct strbuf *sb, const char *s, size_t len);

#endif
