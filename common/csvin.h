/*
 * csvin.h - RFC 4180 CSV reader built on libcsv.
 *
 * It finds record boundaries itself (a newline outside quotes), so each
 * record's raw bytes and first line number are known exactly, then lets
 * libcsv (strict mode) split and unquote the fields of that one record.
 * A malformed record is returned as READ_REJECT and reading goes on
 * with the next one; see csvin.c for how a stray quote is contained.
 */
#ifndef CDP_CSVIN_H
#define CDP_CSVIN_H

#include "input.h"
#include "record.h"

struct csvin_opts {
	unsigned char delim;		/* ',' by default */
	int header;			/* first record names the columns */
	const char *const *columns;	/* names to use when !header */
	size_t ncolumns;
	size_t max_field;		/* longest field accepted (bytes) */
	size_t max_record;		/* longest record accepted (bytes) */
	int sniff;			/* delim 0: pick , ; tab or | from the first lines */
	const char *encoding;		/* iconv name of the input's encoding; NULL: UTF-8 */
};

#define CSVIN_MAX_FIELD (1u << 20)
#define CSVIN_MAX_RECORD (4u << 20)
#define CSVIN_MAX_COLUMNS 4096

struct csvin;

/*
 * Reads the header (when opts->header) at once; NULL with cdp_err() set
 * when the input cannot be used (unreadable, empty, bad header).
 */
struct csvin *csvin_new(struct input *in, const struct csvin_opts *opts);
/*
 * READ_OK, READ_EOF, READ_REJECT (with *reason) or READ_FATAL.  Input
 * that is not UTF-8 and no encoding given is fatal (with a hint) unless
 * valid non-ASCII UTF-8 came before it; then the record is rejected.
 */
int csvin_next(struct csvin *r, struct record *rec, const char **reason);
/* The delimiter in use (as given or sniffed). */
unsigned char csvin_delimiter(const struct csvin *r);
/* Column names in order (after de-duplication of repeated names). */
const char *const *csvin_columns(const struct csvin *r, size_t *n);
void csvin_free(struct csvin *r);

/* Reading an input in pieces, in parallel (see pimport.c). */
enum { CSVIN_SAW_UTF8 = 1, CSVIN_BAD_UTF8 = 2 };
struct csvin *csvin_part_new(const struct csvin *proto, struct input *in, unsigned long line,
    int defer_utf8);
int csvin_rest(const struct csvin *r, const char **p, size_t *n);
unsigned long csvin_line(const struct csvin *r);
int csvin_clean_end(const struct csvin *r);
int csvin_flags(const struct csvin *r);
int csvin_replay(struct csvin *proto, int flags, unsigned long line, const char *raw, size_t len);

#endif
