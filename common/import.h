/*
 * import.h - turning reader records into rows of the records table.
 *
 * The importer knows the roles a column can play (identifiers, time,
 * event name, message id), recognises them from common header names or
 * takes them from --map, normalizes them into reserved columns (names
 * starting with '_'), keeps every input column as an attribute with a
 * type inferred per segment, and writes segments of at most
 * SEG_MAX_ROWS rows as it goes.  The batch becomes visible only with
 * the store commit at the end of import_run().
 */
#ifndef CDP_IMPORT_H
#define CDP_IMPORT_H

#include <stdint.h>
#include <stdio.h>
#include "input.h"
#include "normalize.h"
#include "store.h"

enum role {
	ROLE_EMAIL,
	ROLE_PHONE,
	ROLE_CUSTOMER_ID,
	ROLE_ANONYMOUS_ID,
	ROLE_LOYALTY_ID,
	ROLE_TIME,
	ROLE_EVENT,		/* the column that names the event */
	ROLE_MESSAGE_ID,
	ROLE_COUNT
};

/* "email", "phone", ... as used by --map and mapping files; -1 if unknown. */
int role_from_name(const char *name);
const char *role_name(int role);
/* The reserved column a role's normalized value goes to ("_email"). */
const char *role_column(int role);

enum { KIND_AUTO, KIND_PERSON, KIND_EVENT };

/* A mapping rule about one input column (rename, set, skip). */
struct colrule {
	char *column;
	char *value;
};
enum { FORMAT_AUTO, FORMAT_CSV, FORMAT_JSONL };

struct import_opts {
	char *source;
	int kind;
	char *event_name;		/* every row is this event (--event) */
	int format;
	unsigned char delimiter;
	int no_header;
	char **columns;			/* --columns for headerless input */
	size_t ncolumns;
	char *map[ROLE_COUNT];		/* explicit column for a role */
	char *default_country;
	char *timezone;
	int day_first;			/* 1 day first, -1 month first, 0 unset */
	int decimal_comma;		/* 1 comma, 2 point, 0 decided per column */
	char *encoding;			/* --encoding; NULL: UTF-8 */
	char *dedupe_key;		/* column holding the message id */
	char *rejects_path;		/* --rejects FILE */
	int strict;
	int force;
	int progress;			/* draw a progress line on stderr */
	struct colrule *renames;	/* stored under another name */
	struct colrule *sets;		/* a constant column on every row */
	struct colrule *skips;		/* rows whose column holds one of the values */
	size_t nrenames, nsets, nskips;
	char *group;			/* consecutive rows sharing this column: one */
	int threads;			/* parsing threads (--threads); 0: the default */
};

/* Set one option by its mapping-file key ("source", "delimiter", a role
 * name...); -1 with cdp_err() when the key or value is not valid. */
int import_set_option(struct import_opts *o, const char *key, const char *val);
int import_parse_delimiter(const char *v, unsigned char *out);
/* Fill o from a mapping file; -1 with cdp_err() "file:line: reason". */
int import_load_mapping(struct import_opts *o, const char *path);
/* The same from text; where names it in errors ("preset shopify-orders"). */
int import_load_mapping_text(struct import_opts *o, const char *where, const char *text);
/* A preset mapping shipped with cdp (preset.c); -1 with cdp_err() if unknown. */
int import_load_preset(struct import_opts *o, const char *name);
/* Print the presets, one "name  description" a line. */
void import_list_presets(FILE *f);
/* The text of a preset, or NULL. */
const char *import_preset_text(const char *name);
void import_opts_free(struct import_opts *o);

struct import_stats {
	uint64_t rows, rejects, duplicates, suppressed, bytes, segments;
	uint64_t skipped;		/* rows a mapping's skip rule left out */
	uint64_t grouped;		/* further rows of a group (line items) */
	double seconds;
	char *rejects_file;		/* where rejected rows went, if any */
	uint64_t batch;
	char *unsynced;			/* committed, but the store directory's
					 * fsync failed: why (malloc'd) */
	char *roles;			/* "role\tcolumn\twhy\n" per role column; caller frees */
};

enum {
	IMPORT_OK = 0,
	IMPORT_FAILED = -1,		/* cdp_err() says why; nothing committed */
	IMPORT_DUPLICATE = -2,		/* same bytes imported before */
	IMPORT_STRICT = -3,		/* rows rejected under --strict */
	IMPORT_REJECTED = -4,		/* every row rejected: nothing committed */
};

/*
 * The role the column called name plays unless its values decide
 * otherwise, or -1; *rank orders columns of one role (lower wins) and
 * *why says what decided ("--map", "name", ...) or, with -1, why a
 * likely-looking column was not taken (else NULL).
 */
int import_role(const struct import_opts *o, const char *name, int json, int *rank,
    const char **why);
/* FORMAT_CSV or FORMAT_JSONL: as given, by file name, or by first byte. */
int import_format(const struct import_opts *o, struct input *in);
/* The CSV reader options o asks for. */
struct csvin_opts;
void import_csv_opts(const struct import_opts *o, struct csvin_opts *co);
/* KIND_PERSON or KIND_EVENT for input with these column names. */
int import_kind(const struct import_opts *o, int format, const char *const *names, size_t n);
/* Does a role-less value look like the time of an event (ISO 8601)? */
int import_time_value(const char *s, size_t len);

/*
 * --inspect: print to out, per column, the role an import would give
 * it and why, its type, the share of values that normalize, samples
 * and warnings.  No store is involved.  -1 with cdp_err() if the input
 * cannot be read.
 */
int import_inspect(struct input *in, const struct import_opts *o, FILE *out);

/* Import one input as one batch of st (opened for writing). */
int import_run(struct store *st, struct input *in, const struct import_opts *o,
    struct import_stats *stats);

#endif
