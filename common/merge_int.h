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

struct mergemap;
struct mstate;

#define NONE UINT32_MAX
#define NO_TIME INT64_MIN

/* merge_type of links made by the probabilistic stage (merge_match.c) */
#define MERGE_TYPE_DECISION 254		/* a person's "match" decision */
#define MERGE_TYPE_PROB 255		/* a match weight above the threshold */

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
	struct mstate *match;		/* the probabilistic stage's state (merge_match.c) */
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

/* merge.c, for the probabilistic stage */
const char *merge_union_refusal(struct engine *g, uint32_t a, uint32_t b);
uint32_t merge_union(struct engine *g, uint32_t a, uint32_t b, int type);
int merge_value_blocked(struct engine *g, int type, const char *s, size_t len);
const char *merge_type_name(const struct engine *g, int type);

/* merge_match.c: after state_load, after each segment's links, before writing */
int match_begin(struct engine *g);
int match_segment(struct engine *g, struct segment *s, const struct mentry *batch, const int64_t *links);
int match_end(struct engine *g, struct output *out);
void match_free(struct engine *g);
/* merge_match_explain.c */
int match_explain(struct store *st, const struct merge_config *c, const struct mergemap *mm,
    int64_t pid, FILE *out);

/* merge_write.c */
int write_seg(struct engine *g, struct output *out, const char *table, struct segcol_in *cols,
    size_t ncols, size_t nrows, uint64_t records);
int write_profiles(struct engine *g, struct output *out);
int write_idmap(struct engine *g, struct output *out);
int write_log_tables(struct engine *g, struct output *out);

#endif
