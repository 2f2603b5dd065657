/*
 * merge_int.h - the engine of cdp-merge, shared by merge.c (linking),
 * merge_write.c (the tables it writes) and merge_explain.c.
 * Not for use outside cdp-merge's files.
 */
#ifndef CDP_MERGE_INT_H
#define CDP_MERGE_INT_H

#include <stdint.h>

#include "merge.h"
#include "column.h"
#include "segment.h"
#include "util.h"

#define NONE UINT32_MAX
#define NO_TIME INT64_MIN

struct prof {
	int64_t id;
	uint32_t nmerges;
	uint64_t nrec, nevt, nord;
	int64_t first_seen, last_seen, first_order, last_order;
	int64_t revenue;		/* in cents: sums exact, runs add alike */
	uint64_t sources;		/* bit per source index */
	uint16_t idcount[MERGE_MAX_TYPES];
	int8_t consent;			/* -1 unknown, 0 no, 1 yes */
	int64_t consent_t;
	uint32_t attrs, events;		/* node lists, NONE-terminated */
	uint32_t windowed;		/* its identifiers of windowed types */
};

struct anode {			/* one golden attribute value of a profile */
	uint32_t next, attr;
	int64_t t;
	int32_t rank;
	uint32_t votes;
	uint64_t off;
	uint32_t len;
};

struct enode {			/* count and last time of one event type */
	uint32_t next, ev;
	uint64_t count;
	int64_t last;
};

/* A slot holds the key itself, so a probe touches one cache line. */
struct islot {
	uint64_t key;			/* 0: empty */
	uint32_t idx;
};

struct ident {
	uint64_t key;
	uint32_t prof;
	uint8_t type;
	uint64_t off;
	uint32_t len;
	int64_t first;			/* time of the record that brought it */
	uint32_t next;			/* next windowed identifier of the profile */
	uint64_t seq;			/* order of first sight, store-wide */
	int64_t was;			/* its profile when loaded; 0: new this run */
};

struct refusal {
	int64_t batch, line, profile;
	uint8_t type;
	uint64_t off;
	uint32_t len;
	const char *reason;
};

struct engine {
	struct store *st;
	const struct merge_config *c;
	const struct merge_opts *o;
	struct merge_stats *stats;
	struct prof *p;
	size_t np, capp;
	struct anode *an;
	size_t nan, capan;
	struct enode *en;
	size_t nen, capen;
	struct ident *id;
	size_t nid, capid;
	struct islot *idslots;		/* open addressing over id[] */
	size_t nidslots;
	uint32_t *parent;		/* union-find over p[], apart for the cache */
	size_t capparent;
	struct strbuf vals;		/* identifier and attribute values */
	struct strmap attrs, events, sources;
	char **attr_names, **event_names, **source_names;
	size_t nattr, nevent, nsource;
	struct u64set blocked;
	int64_t next_profile;
	int64_t *merge_old, *merge_new;
	uint8_t *merge_type;
	size_t nmerge, capmerge;
	struct refusal *ref;
	size_t nref, capref;
	int64_t now;
	uint64_t next_ident;		/* seq of the next new identifier */
	int partial;			/* only the touched profiles are loaded */
	int need_full;			/* partial run met a column the table lacks */
	size_t nloaded;			/* p[0..nloaded) came from the store */
	struct segment **psegs;		/* partial: the profiles table, for its columns */
	size_t npsegs;
};

/* Files written by this run, entered into the manifest at commit. */
struct newseg {
	char *file;
	uint64_t id, rows, records;
	const char *table;
};

struct output {
	struct newseg *s;
	size_t n;
};

/* merge_conf.c */
void merge_list_add(char ***list, size_t *n, const char *s);
void merge_list_free(char **list, size_t n);

/* merge.c */
uint32_t merge_find(struct engine *g, uint32_t x);
struct colvec *merge_read_col(struct segment *s, const char *name, struct colvec *v, int *err);
int64_t merge_cell_int(const struct colvec *v, size_t r, int64_t dflt);
const struct golden_rule *golden_rule_for(const struct merge_config *c, const char *attr);
int merge_has_name(char **names, size_t n, const char *name);
const char *merge_cell_text(const struct colvec *v, size_t r, struct strbuf *tmp, size_t *len);

/* merge_write.c */
int write_seg(struct engine *g, struct output *out, const char *table, struct segcol_in *cols,
    size_t ncols, size_t nrows, uint64_t records);
int write_profiles(struct engine *g, struct output *out);
int write_idmap(struct engine *g, struct output *out);
int write_log_tables(struct engine *g, struct output *out);
int write_tombstones(struct engine *g, struct output *out);
int write_idindex(struct engine *g);
uint32_t *merge_ident_order(struct engine *g, uint32_t *list, size_t n);

#endif
