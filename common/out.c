/*
 * out.c - CSV, TSV and JSON Lines writers.  A row is built in a buffer
 * and written with one fwrite, so a row is never half printed by us.
 */
#include <stdlib.h>
#include <string.h>

#include "out.h"

int
out_parse_format(const char *name)
{
	if (strcmp(name, "csv") == 0)
		return OUT_CSV;
	if (strcmp(name, "tsv") == 0)
		return OUT_TSV;
	if (strcmp(name, "jsonl") == 0 || strcmp(name, "json") == 0)
		return OUT_JSONL;
	return -1;
}

void
out_init(struct out *o, FILE *f, int format, int excel)
{
	memset(o, 0, sizeof *o);
	o->f = f;
	o->format = format;
	o->excel = excel && format == OUT_CSV;
}

void
json_quote(struct strbuf *sb, const char *s, size_t len)
{
	sb_addc(sb, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			sb_add(sb, "\\\"", 2);
			break;
		case '\\':
			sb_add(sb, "\\\\", 2);
			break;
		case '\n':
			sb_add(sb, "\\n", 2);
			break;
		case '\r':
			sb_add(sb, "\\r", 2);
			break;
		case '\t':
			sb_add(sb, "\\t", 2);
			break;
		default:
			if (c < 0x20)
				sb_addf(sb, "\\u%04x", c);
			else
				sb_addc(sb, c);
		}
	}
	sb_addc(sb, '"');
}

static void
csv_cell(struct out *o, const char *s, size_t len)
{
	int quote = 0, formula = 0;

	if (o->excel && len && strchr("=+-@\t\r", s[0]))
		formula = 1;
	for (size_t i = 0; i < len && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			quote = 1;
	if (len && (s[0] == ' ' || s[len - 1] == ' '))
		quote = 1;
	if (formula)
		quote = 1;
	if (!quote) {
		sb_add(&o->line, s, len);
		return;
	}
	sb_addc(&o->line, '"');
	if (formula)
		sb_addc(&o->line, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			sb_addc(&o->line, '"');
		sb_addc(&o->line, s[i]);
	}
	sb_addc(&o->line, '"');
}

void
out_header(struct out *o, const char *const *names, size_t n)
{
	o->names = xcalloc(n ? n : 1, sizeof *o->names);
	o->ncols = n;
	for (size_t i = 0; i < n; i++)
		o->names[i] = xstrdup(names[i]);
	if (o->format == OUT_JSONL)
		return;
	if (o->excel)
		fputs("\xef\xbb\xbf", o->f);
	for (size_t i = 0; i < n; i++)
		out_cell(o, names[i], strlen(names[i]), OK_STRING);
	out_row_end(o);
}

static void
sep(struct out *o)
{
	if (o->format == OUT_JSONL) {
		sb_addc(&o->line, o->nwritten++ == 0 ? '{' : ',');
		json_quote(&o->line, o->names[o->col], strlen(o->names[o->col]));
		sb_addc(&o->line, ':');
	} else if (o->col > 0) {
		sb_addc(&o->line, o->format == OUT_TSV ? '\t' : ',');
	}
}

void
out_cell(struct out *o, const char *s, size_t len, int kind)
{
	if (o->format == OUT_JSONL && o->col >= o->ncols)
		return;
	sep(o);
	switch (o->format) {
	case OUT_CSV:
		csv_cell(o, s, len);
		break;
	case OUT_TSV:
		for (size_t i = 0; i < len; i++)
			sb_addc(&o->line, s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
		break;
	case OUT_JSONL:
		if (kind == OK_NUMBER || kind == OK_BOOL || kind == OK_RAW_JSON)
			sb_add(&o->line, s, len);
		else
			json_quote(&o->line, s, len);
		break;
	}
	o->col++;
}

void
out_null(struct out *o)
{
	/* JSON Lines leaves a null out, as the input it came from did. */
	if (o->format != OUT_JSONL)
		sep(o);
	o->col++;
}

int
out_row_end(struct out *o)
{
	if (o->format == OUT_JSONL)
		sb_adds(&o->line, o->nwritten ? "}\n" : "{}\n");
	else
		sb_adds(&o->line, o->excel ? "\r\n" : "\n");
	fwrite(o->line.buf, 1, o->line.len, o->f);
	sb_reset(&o->line);
	o->col = 0;
	o->nwritten = 0;
	return ferror(o->f) ? -1 : 0;
}

void
out_free(struct out *o)
{
	for (size_t i = 0; i < o->ncols; i++)
		free(o->names[i]);
	free(o->names);
	sb_free(&o->line);
}
