/*
 * merge_match.h - probabilistic matching inside cdp-merge (issue 17):
 * the merge.conf keys (merge_match_conf.c), blocking (merge_block.c),
 * the linking stage that runs after each records segment's
 * deterministic linking (merge_match.c), review and decisions
 * (merge_review.c), training (merge_train.c) and its part of --explain.
 * The comparisons, weights and EM are fsmatch.h's.
 */
#ifndef CDP_MERGE_MATCH_H
#define CDP_MERGE_MATCH_H

#include <stdint.h>
#include <stdio.h>

#include "fsmatch.h"
#include "merge.h"

enum { MATCH_EXACT, MATCH_PROBABILISTIC };

/*
 * The match threshold without a match.params (bits; probability
 * 0.99988), chosen on dupgen's people (tests/bench/match.sh): at 100k
 * (seed 42) 10 bits gave pairwise precision 0.917 and F1 0.927, 13 bits
 * 0.958 and 0.943, 16 bits 0.981 and 0.947; on held-out people (seed
 * 7, 10k) 13 bits gave the best F1 (0.956, precision 0.987), and on
 * the FEBRL- and Splink-shaped files 16 bits lost a tenth of the
 * recall.  --train writes it too.
 */
#define MATCH_DEFAULT_THRESHOLD 13.0

/* Fields a blocking key or a record is built from. */
enum mfield { MF_FIRST, MF_LAST, MF_BIRTH, MF_POSTCODE, MF_STREET, MF_HOUSE, MF_CITY, MF_PHONE,
	MF_EMAIL, MF_EXTRA, MF_NFIELDS };

#define MATCH_MAX_RULES 16
#define MATCH_MAX_TERMS 4

struct bterm {
	int field;		/* enum mfield */
	int extra;		/* MF_EXTRA: index of the compare column */
	int soundex;		/* soundex(FIELD) */
	int len;		/* > 0: first len bytes; < 0: last -len bytes; 0: whole */
};

struct brule {
	char *src;		/* as written, for --print-config and the summary */
	struct bterm t[MATCH_MAX_TERMS];
	int nterm;
};

struct match_conf {
	int mode;			/* MATCH_EXACT or MATCH_PROBABILISTIC */
	int set_mt, set_rt;		/* thresholds given in merge.conf */
	double mt, rt;			/* ... as match weights (bits) */
	struct brule rule[MATCH_MAX_RULES];
	int nrule, user_rules;
	uint64_t block_cap;		/* pairs per block value */
	char *compare[FS_MAX_EXTRA];	/* extra compared columns */
	int ncompare, user_compare;
	char *veto[FS_MAX_COMP];	/* comparisons whose "else" stops a link */
	int nveto;
	int veto_comp[FS_MAX_COMP];	/* ... as model comparison indices */
	int nveto_comp;
	char *mlimit_name[MERGE_MAX_TYPES];	/* match-limit TYPE = N, as written */
	int mlimit_val[MERGE_MAX_TYPES], nmlimit;
	int limit[MERGE_MAX_TYPES];	/* per identifier type: what probabilistic links obey */
	char *params_path;		/* STORE/match.params */
	int have_params;		/* it existed and was read */
	struct fs_model model;		/* the effective model */
};

/* merge_match_conf.c */
struct match_conf *match_conf_new(void);
/* 1: not a matching key; 0: applied; -1: error (cdp_seterr). */
int match_conf_set(struct match_conf *m, const char *key, const char *arg, const char *val);
/* After merge.conf: read STORE/match.params next to it, apply overrides. */
int match_conf_finish(struct match_conf *m, const struct merge_config *c, const char *confpath);
void match_conf_print(const struct match_conf *m, const struct merge_config *c, FILE *f);
void match_conf_free(struct match_conf *m);
int match_rule_parse(struct brule *r, const struct match_conf *m, const char *src);

/* merge_train.c: estimate u and m/lambda from the store's records. */
int merge_train(struct store *st, const struct merge_config *c, FILE *report);
/* merge_review.c */
int merge_review(struct store *st, const struct merge_config *c, const char *path, size_t *npairs);
int merge_decisions(struct store *st, const struct merge_config *c, const char *path, size_t *n);

#endif
