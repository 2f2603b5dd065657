/*
 * fsmatch.h - Fellegi-Sunter probabilistic record comparison: prepared
 * person records, comparison levels, the m/u model with term-frequency
 * adjustment, unsupervised training (u from random pairs, m and lambda
 * by EM) and the plain-text parameters file (man/cdp-match.5).
 *
 * The library knows nothing of the store or of blocking: the caller
 * prepares records (fs_prepare), picks candidate pairs, and asks for a
 * weight (fs_score) or a comparison vector (fs_compare, for training).
 * Nothing here allocates per comparison; a pair costs about half a
 * microsecond of CPU, a preparation about one.  Functions taking a
 * const model (and a const tf table) may run in several threads at
 * once.  Errors are recorded with cdp_seterr() and returned as -1.
 *
 * A prepared record (its tfh) and a tf table follow the comparison
 * order of the model they were made with: prepare again after reading
 * a parameters file that orders or names comparisons otherwise.
 *
 * Files: fsmatch_fold.c (folding, phonetic keys), fsmatch_nick.c (the
 * nickname table), fsmatch_compare.c (string similarity, preparation,
 * comparison levels), fsmatch_model.c (levels, defaults, weights, tf
 * tables), fsmatch_em.c (vectors, u and EM), fsmatch_params.c (the
 * parameters file).
 */
#ifndef CDP_FSMATCH_H
#define CDP_FSMATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The built-in comparisons, in the order a default model holds them. */
enum fs_kind {
	FS_FIRST_NAME,		/* levels: exact nickname swapped jw>=0.92 jw>=0.85 initial else */
	FS_LAST_NAME,		/* exact jw>=0.92 one-part-equal jw>=0.85 else (crosswise
				 * when the first name found the names swapped) */
	FS_BIRTH_DATE,		/* exact day-month-swapped one-digit-off one-field-off same-year else */
	FS_POSTCODE,		/* exact first-3-equal else */
	FS_STREET,		/* exact same-number-jw>=0.9 else */
	FS_CITY,		/* exact jw>=0.9 else */
	FS_PHONE,		/* exact last-7-equal else */
	FS_EMAIL,		/* exact local-equal local-edit<=2 else */
	FS_COLUMN,		/* a user-named column: exact one-edit jw>=0.9 else */
	FS_NKINDS
};

#define FS_MAX_EXTRA 4		/* user-named columns per record */
#define FS_MAX_COMP 12		/* comparisons in a model (8 built-in + extras) */
#define FS_MAX_LEVELS 8		/* levels per comparison, level 0 included */
#define FS_NAME_MAX 32		/* longest comparison or column name + NUL */
#define FS_NICK_MAX 4		/* nickname groups kept per first name */

/*
 * Level 0 of every comparison means "a value is missing on either side"
 * and always weighs 0; it has no m or u.  Level 1 is always "exact", the
 * last level always "else".
 */
#define FS_MISSING 0
#define FS_EXACT 1

/*
 * The raw attribute strings of one person (NULL or "" = missing), as
 * the store holds them.  birth_date: YYYY-MM-DD (a time part is
 * ignored), YYYYMMDD or DD.MM.YYYY.  phone: any form ("+49 30 1234567",
 * "030 1234567", "0049..."); e-mail: any case.
 */
struct fs_input {
	const char *first_name, *last_name, *birth_date, *postcode;
	const char *street;	/* with house number: "Hauptstr. 12a", "12 High St" */
	const char *city, *phone, *email;
	const char *extra[FS_MAX_EXTRA];	/* user columns, by fs_model_add_column's index */
};

/*
 * A prepared record: fixed size (no pointers, no heap), so arrays of
 * them can be kept, copied or memory-mapped freely.  Strings are folded
 * (lower case, diacritics and German/Nordic transliteration removed:
 * Jürgen, Juergen and Jurgen all become "jurgen") and truncated to
 * their buffer; "" means missing.  Fields are public for blocking keys.
 */
struct fs_rec {
	char first[24], last[32];	/* folded names, spaces removed ("evan s" is "evans") */
	char first_sx[5], last_sx[5];	/* Soundex of the folded names, "" if none */
	uint16_t nick[FS_NICK_MAX];	/* nickname groups of first (0 = none) */
	int16_t year;			/* birth date; year 0 = missing */
	int8_t month, day;
	char postcode[12];		/* folded, spaces removed */
	char street[40], house[8];	/* street name (abbreviations folded), number */
	char city[24];
	char phone[10];			/* last 9 significant digits, "" if < 7 digits */
	char email_local[32];		/* before '@', "+tag" removed */
	char email_domain[32];
	char extra[FS_MAX_EXTRA][24];	/* folded user columns */
	uint32_t first_words, last_words;	/* bit i: a word of the name starts at
						 * byte i > 0 (where a space was) */
	uint32_t tfh[FS_MAX_COMP];	/* hash of each comparison's exact value, per
					 * model comparison index; set by fs_prepare */
};

/* One comparison of a model: its kind, levels and parameters. */
struct fs_comp {
	char name[FS_NAME_MAX];	/* "first_name" ... or the user column's name */
	int kind;		/* enum fs_kind */
	int extra;		/* FS_COLUMN: index into fs_input.extra / fs_rec.extra */
	int nlevels;		/* including level 0 (missing) */
	int tf;			/* exact matches use term-frequency u */
	double m[FS_MAX_LEVELS], u[FS_MAX_LEVELS];	/* [0] unused */
	unsigned char pin_m[FS_MAX_LEVELS], pin_u[FS_MAX_LEVELS];
	/*
	 * Comparisons sharing a non-empty group are one piece of evidence
	 * told in several ways (postal code, street, city and a landline
	 * all say "same household"): the group adds only the largest
	 * weight among its present members, not their sum.  "" = on its own.
	 */
	char group[FS_NAME_MAX];
};

/*
 * The model.  Weights are in bits: a pair's match weight is
 * log2(lambda / (1 - lambda)) + sum of log2(m/u) of the level each
 * comparison took, so its match probability is 2^w / (1 + 2^w).
 * Thresholds are match weights: >= match_threshold links, >=
 * review_threshold (and below match) goes to review.
 */
struct fs_model {
	int ncomp;
	struct fs_comp comp[FS_MAX_COMP];
	double lambda;
	int pin_lambda;
	double match_threshold, review_threshold;
	double tf_floor;	/* smallest u a term frequency may give */
};

/* ---- preparation and similarity (fsmatch_fold.c, fsmatch_compare.c) ---- */

/*
 * Fold UTF-8 text for comparison: lower case, Latin diacritics removed,
 * ß -> ss, æ -> ae, ø -> o, þ -> th, then ae/oe/ue/aa -> a/o/u/a so
 * transliterated spellings meet; punctuation dropped, runs of spaces
 * become one, no leading or trailing space.  Writes at most outsz-1
 * bytes (cut on a character boundary) and returns the length.  Bytes
 * of scripts it does not know are kept as they are.
 */
size_t fs_fold(const char *in, char *out, size_t outsz);
/* American Soundex of folded text ("robert" -> "r163"); "" if no letter. */
void fs_soundex(const char *folded, char out[5]);
/*
 * The nickname groups of a folded first name (Bill and William share
 * one): writes up to FS_NICK_MAX group ids (> 0) to out and returns
 * how many.
 */
int fs_nickname_groups(const char *folded, uint16_t out[FS_NICK_MAX]);
/* Jaro-Winkler similarity in [0, 1] of two byte strings (prefix scale 0.1). */
double fs_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen);
/* Levenshtein distance, giving up (returning max + 1) once above max. */
int fs_edit_distance_max(const char *a, const char *b, int max);

/*
 * Prepare one record for model.  Never fails: a value it cannot read
 * (a malformed date, a phone of too few digits) counts as missing.
 */
void fs_prepare(const struct fs_model *model, const struct fs_input *in, struct fs_rec *out);

/* ---- the model (fsmatch_model.c) ---- */

/*
 * The default model: the eight built-in comparisons with the default
 * m and u of man/cdp-match.5, lambda, thresholds, tf on first name,
 * last name, postcode and city (and on user columns added later), and
 * postcode, street, city and phone in group "household".
 */
void fs_model_default(struct fs_model *model);
/*
 * Add a comparison of a user column (kind FS_COLUMN, levels exact,
 * one-edit, jw>=0.9, else; tf on) reading fs_input.extra[extra].  Returns its
 * comparison index, or -1 (cdp_seterr) when the model is full, the
 * name is taken or too long.
 */
int fs_model_add_column(struct fs_model *model, const char *name, int extra);
/*
 * Add a built-in comparison (kind < FS_COLUMN) or a user column under
 * name, with default parameters; fs_model_add_column is the checked
 * way to add a column.  Returns the index or -1 (cdp_seterr).
 */
int fs_model_add(struct fs_model *model, int kind, const char *name, int extra);
/* The kind of a built-in comparison's name ("birth_date"), or -1. */
int fs_builtin_kind(const char *name);
/* Remove comparison i (e.g. a column the store lacks); later ones move down. */
void fs_model_remove(struct fs_model *model, int i);
/* The index of the comparison named name, or -1. */
int fs_model_find(const struct fs_model *model, const char *name);
/* The name of a level of a kind ("jaro-winkler>=0.92"; level 0 "missing"). */
const char *fs_level_name(int kind, int level);
/* The number of levels of a kind, level 0 included. */
int fs_kind_nlevels(int kind);
/* log2(m/u) of a level; 0 for level 0. */
double fs_level_weight(const struct fs_model *model, int comp, int level);
/* log2(lambda / (1 - lambda)). */
double fs_prior_weight(const struct fs_model *model);
/* The match probability of a match weight. */
double fs_probability(double weight);

/*
 * A comparison vector: the level of each model comparison, 4 bits each,
 * comparison i in bits 4i..4i+3.  A pair's whole comparison fits in it.
 */
typedef uint64_t fs_vec;
static inline int fs_vec_level(fs_vec v, int comp) { return (int)(v >> (4 * comp)) & 15; }

/* The comparison vector of a pair. */
fs_vec fs_compare(const struct fs_model *model, const struct fs_rec *a, const struct fs_rec *b);

/*
 * Term-frequency tables: per comparison with tf set, how many prepared
 * records hold each exact value (by 32-bit hash; about 8 bytes per
 * distinct value).  Build with fs_tf_add over every record the pairs
 * are drawn from.
 */
struct fs_tf;
struct fs_tf *fs_tf_new(void);
void fs_tf_free(struct fs_tf *tf);
struct fs_tf *fs_tf_copy(const struct fs_tf *tf);
void fs_tf_add(struct fs_tf *tf, const struct fs_model *model, const struct fs_rec *r);
/* How many records added had value hash h in comparison comp, and how many had any. */
uint32_t fs_tf_count(const struct fs_tf *tf, int comp, uint32_t h);
uint64_t fs_tf_total(const struct fs_tf *tf, int comp);

/* Why a pair weighs what it does: one entry per model comparison. */
struct fs_explain {
	int ncomp;
	int level[FS_MAX_COMP];
	double weight[FS_MAX_COMP];	/* contribution in bits */
	int tf_used[FS_MAX_COMP];	/* the weight came from the value's frequency */
	int shadowed[FS_MAX_COMP];	/* another of its group gave the group's weight;
					 * weight[] is then 0, alone[] what it had alone */
	double alone[FS_MAX_COMP];	/* the weight before groups were applied */
	double prior;			/* fs_prior_weight */
	double total;			/* prior + sum of weight: the match weight */
};

/*
 * The match weight of a pair (prior included).  Exact matches on a
 * comparison with tf use u = max(count/total, tf_floor) of the value
 * when tf is not NULL and knows it.  ex, if not NULL, gets the
 * breakdown.
 */
double fs_score(const struct fs_model *model, const struct fs_tf *tf,
    const struct fs_rec *a, const struct fs_rec *b, struct fs_explain *ex);
/* The match weight of a vector without tf (prior included). */
double fs_vec_weight(const struct fs_model *model, fs_vec v);
/*
 * Apply the groups to per-comparison weights w (level[i] 0 = missing):
 * in each group all but its largest present weight become 0 (and
 * shadowed[i] 1, if shadowed is not NULL).  Returns the sum of w after.
 */
double fs_combine(const struct fs_model *model, const int *level, double *w, int *shadowed);

/* ---- training (fsmatch_em.c) ---- */

/* Comparison vectors with counts, identical vectors stored once. */
struct fs_vecset {
	fs_vec *vec;
	uint64_t *count;
	size_t n, cap;		/* n distinct vectors; hash slots index them */
	uint32_t *slot;
	size_t nslot;
	uint64_t total;		/* sum of counts */
};
void fs_vecset_init(struct fs_vecset *vs);
void fs_vecset_add(struct fs_vecset *vs, fs_vec v, uint64_t count);
void fs_vecset_free(struct fs_vecset *vs);

/*
 * Set u of every comparison from vectors of random pairs (almost all
 * non-matches): the share of each level among pairs where the value is
 * present, smoothed so no u is 0.  Pinned u stay.  Returns -1
 * (cdp_seterr) if vs is empty.
 */
int fs_estimate_u(struct fs_model *model, const struct fs_vecset *vs);
/*
 * Estimate m and lambda by expectation-maximisation over vectors of
 * blocked pairs, u held fixed, pinned values held fixed (free levels
 * share what pinned ones leave).  Stops when no parameter moves more
 * than tol, or after max_iter rounds; returns the rounds run, or -1
 * (cdp_seterr) if vs is empty.
 */
int fs_em(struct fs_model *model, const struct fs_vecset *vs, int max_iter, double tol);
/*
 * fs_em over the pairs of one blocking rule, with the comparisons the
 * rule blocks on (bit i of ignore = comparison i, widened to their
 * groups) left out: their agreement among the rule's pairs is forced
 * by the rule, not evidence, and would make EM call every blocked pair
 * a match.  Their m stay; lambda becomes the rule's share of matches.
 */
int fs_em_masked(struct fs_model *model, const struct fs_vecset *vs, uint32_t ignore,
    int max_iter, double tol);
/* Estimate lambda alone over blocked pairs, m and u held. */
int fs_em_lambda(struct fs_model *model, const struct fs_vecset *vs, int max_iter, double tol);
/*
 * The whole training, as cdp-merge does it.  u from random (if not
 * NULL).  Then one masked EM per blocking rule r over rule_vs[r], the
 * pairs whose FIRST matching rule is r, ignoring rule_ignore[r]: the
 * comparisons of rule r and of every rule before it (a pair of rule r
 * was made by r's keys and failed the earlier rules' keys, so neither
 * is evidence).  Each comparison's m is the mean of its estimates from
 * the rules that left it free, weighted by their expected matches;
 * lambda is all expected matches over all pairs (of the rules that
 * leave some comparison free).  Pinned values stay.
 * On error (-1, cdp_seterr) model is unchanged but for u.
 */
int fs_train(struct fs_model *model, const struct fs_vecset *random,
    const struct fs_vecset *rule_vs, const uint32_t *rule_ignore, int nrules,
    int max_iter, double tol);

/* ---- the parameters file (fsmatch_params.c, man/cdp-match.5) ---- */

/* Write model as a parameters file; -1 (cdp_seterr) on an I/O error. */
int fs_params_write(const struct fs_model *model, FILE *f);
/*
 * Read a parameters file into model (which it replaces entirely).
 * Errors are one line, "name:7: unknown comparison \"frist_name\"";
 * on error model is left as it was.
 */
int fs_params_read(struct fs_model *model, const char *path);
/* The same over text in memory; name is used in messages. */
int fs_params_parse(struct fs_model *model, const char *name, const char *text, size_t len);

#endif
