/*
 * record.h - what a reader (csvin, jsonin) hands the importer: one
 * input record as a list of named fields, with where it came from.
 *
 * Everything a record points to belongs to the reader and stays valid
 * only until the reader's next call.
 */
#ifndef CDP_RECORD_H
#define CDP_RECORD_H

#include <stddef.h>

/* What the reader knows of a value's type. */
enum field_kind {
	FK_TEXT,	/* CSV text: any type may be inferred from it */
	FK_STRING,	/* a JSON string: string or timestamp */
	FK_NUMBER,	/* a JSON number, as its text */
	FK_BOOL,	/* "true" or "false" */
	FK_NULL,	/* JSON null (val is "", len 0) */
	FK_JSON,	/* an array kept as compact JSON text */
};

struct field {
	const char *name;	/* NUL-terminated */
	const char *val;	/* NUL-terminated, len bytes (may hold no NUL) */
	size_t len;
	int kind;		/* enum field_kind */
};

struct record {
	struct field *fields;
	size_t nfields;
	unsigned long line;	/* first physical line of the record, 1-based */
	const char *raw;	/* the record's bytes as read (for rejects) */
	size_t rawlen;
};

/* What a reader's next() returns. */
enum {
	READ_FATAL = -2,	/* I/O error or unusable input; cdp_err() says */
	READ_REJECT = -1,	/* a malformed record: line/raw set, reason given */
	READ_EOF = 0,
	READ_OK = 1,
};

#endif
