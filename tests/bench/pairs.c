/*
 * pairs.c - pairwise precision and recall of cdp-merge's links against
 * the generator's ground truth: pairs STORE TRUTH.csv.
 *
 * Every records row is keyed by (_source, _line); truth.csv (written by
 * gen.c) names the person of each such key.  The merge's answer is the
 * live profile of the row (links_read, merges followed).  Over the rows
 * that have both a profile and a truth entry:
 *   true pairs       pairs of rows of the same person
 *   predicted pairs  pairs of rows in the same profile
 *   correct pairs    pairs of rows of the same person in the same profile
 * precision = correct / predicted, recall = correct / true.  Pairs are
 * counted per group as n(n-1)/2 after one sort, so the cost is
 * O(rows log rows) and no pair is ever listed.
 *
 * Rows without a profile (no usable identifier: a placeholder e-mail, a
 * till receipt without a card) are left out and counted apart: merge
 * cannot link them, and no rule could.
 *
 * Prints one line: precision=P recall=R rows=N linked=N unlinked=N
 * untracked=N profiles=N people=N.
 *
 * pairs -s STORE TRUTH.csv adds a line per kind of pair: "within SOURCE"
 * for pairs of rows of one source (CRM-to-CRM duplicates) and "cross"
 * for pairs of rows of two sources, each with precision, recall, F1
 * and the pair counts; and "all" with F1.
 * pairs -h HARD.csv ... (dupgen.c's hard.csv: kind,person_a,person_b)
 * adds per kind of hard negative the pairs given and how many of them
 * share a profile: "hard twin pairs=N merged=N".
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "column.h"
#include "segment.h"
#include "store.h"
#include "profiles.h"

#define NSRC 8

/* Person per physical line, one dense array per source. */
struct truthsrc {
	char name[32];
	uint32_t *person;
	size_t n, cap;
};

static struct truthsrc srcs[NSRC];
static size_t nsrc;

static struct truthsrc *
src_find(const char *s, size_t len, int add)
{
	for (size_t i = 0; i < nsrc; i++)
		if (strlen(srcs[i].name) == len && memcmp(srcs[i].name, s, len) == 0)
			return &srcs[i];
	if (!add || nsrc == NSRC || len >= sizeof srcs[0].name)
		return NULL;
	memcpy(srcs[nsrc].name, s, len);
	srcs[nsrc].name[len] = '\0';
	return &srcs[nsrc++];
}

static void
truth_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f)
		cdp_die(2, "%s: %s", path, strerror(errno));
	if (!fgets(line, sizeof line, f))
		cdp_die(2, "%s: empty", path);
	while (fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ','), *c2;
		struct truthsrc *t;
		unsigned long long ln, pid;

		if (!c1 || !(c2 = strchr(c1 + 1, ',')))
			continue;
		if (!(t = src_find(line, (size_t)(c1 - line), 1)))
			cdp_die(2, "%s: too many sources", path);
		ln = strtoull(c1 + 1, NULL, 10);
		pid = strtoull(c2 + 1, NULL, 10);
		if (ln >= t->cap) {
			size_t nc = t->cap ? t->cap : 1024;

			while (nc <= ln)
				nc *= 2;
			t->person = xrealloc(t->person, nc * sizeof *t->person);
			memset(t->person + t->cap, 0, (nc - t->cap) * sizeof *t->person);
			t->cap = nc;
		}
		t->person[ln] = (uint32_t)pid;
		if (ln >= t->n)
			t->n = ln + 1;
	}
	fclose(f);
}

struct pair {
	int64_t profile;
	uint32_t person;
	uint32_t src;		/* index into srcs */
};

/* Pair counts of a set of rows. */
struct counts {
	double predicted, truepairs, correct;
	uint64_t profiles, people;
};

static int
by_profile(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->profile != y->profile)
		return x->profile < y->profile ? -1 : 1;
	return (x->person > y->person) - (x->person < y->person);
}

static int
by_person(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	return (x->person > y->person) - (x->person < y->person);
}

static double
choose2(uint64_t n)
{
	return (double)n * (double)(n - 1) / 2;
}

/* Count the pairs of pr[0..np) (sorted in place, by profile then by person). */
static void
count_pairs(struct pair *pr, size_t np, struct counts *c)
{
	memset(c, 0, sizeof *c);
	if (np > 0)
		qsort(pr, np, sizeof *pr, by_profile);
	for (size_t i = 0, j; i < np; i = j) {
		for (j = i; j < np && pr[j].profile == pr[i].profile; j++)
			;
		c->predicted += choose2(j - i);
		c->profiles++;
		for (size_t a = i, b; a < j; a = b) {
			for (b = a; b < j && pr[b].person == pr[a].person; b++)
				;
			c->correct += choose2(b - a);
		}
	}
	if (np > 0)
		qsort(pr, np, sizeof *pr, by_person);
	for (size_t i = 0, j; i < np; i = j) {
		for (j = i; j < np && pr[j].person == pr[i].person; j++)
			;
		c->truepairs += choose2(j - i);
		c->people++;
	}
}

static void
print_prf(const char *label, double correct, double predicted, double truepairs)
{
	double p = predicted > 0 ? correct / predicted : 1.0;
	double r = truepairs > 0 ? correct / truepairs : 1.0;

	printf("%s precision=%.4f recall=%.4f f1=%.4f correct=%.0f predicted=%.0f true=%.0f\n",
	    label, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0.0, correct, predicted, truepairs);
}

/* Per source the pairs within it; the rest of all pairs are across sources. */
static void
by_source(const struct pair *pr, size_t np, const struct counts *all)
{
	struct pair *sub = xcalloc(np + 1, sizeof *sub);
	double wc = 0, wp = 0, wt = 0;
	char label[48];

	for (size_t s = 0; s < nsrc; s++) {
		struct counts c;
		size_t n = 0;

		for (size_t i = 0; i < np; i++)
			if (pr[i].src == s)
				sub[n++] = pr[i];
		count_pairs(sub, n, &c);
		snprintf(label, sizeof label, "within %.31s", srcs[s].name);
		if (n > 0)
			print_prf(label, c.correct, c.predicted, c.truepairs);
		wc += c.correct, wp += c.predicted, wt += c.truepairs;
	}
	if (nsrc > 1)
		print_prf("cross", all->correct - wc, all->predicted - wp, all->truepairs - wt);
	print_prf("all", all->correct, all->predicted, all->truepairs);
	free(sub);
}

/* The first index of person p in pr sorted by person (np if none). */
static size_t
first_of(const struct pair *pr, size_t np, uint32_t p)
{
	size_t lo = 0, hi = np;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pr[mid].person < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Hard negatives: for each pair of people in path, whether one profile
 * holds rows of both.  pr is sorted by person (count_pairs leaves it so).
 */
static void
hard_negatives(const char *path, const struct pair *pr, size_t np)
{
	FILE *f = fopen(path, "r");
	char line[256], kinds[4][16];
	unsigned long given[4] = { 0 }, merged[4] = { 0 };
	size_t nk = 0;

	if (!f)
		cdp_die(2, "%s: %s", path, strerror(errno));
	if (!fgets(line, sizeof line, f))
		cdp_die(2, "%s: empty", path);
	while (fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ','), *c2;
		size_t k, ia, ib;
		uint32_t a, b;
		int hit = 0;

		if (!c1 || !(c2 = strchr(c1 + 1, ',')) || c1 - line >= 16)
			continue;
		*c1 = '\0';
		for (k = 0; k < nk && strcmp(kinds[k], line) != 0; k++)
			;
		if (k == nk && nk < 4)
			snprintf(kinds[nk++], sizeof kinds[0], "%.15s", line);
		if (k == 4)
			continue;
		a = (uint32_t)strtoul(c1 + 1, NULL, 10);
		b = (uint32_t)strtoul(c2 + 1, NULL, 10);
		given[k]++;
		/* the profiles of a and b: two runs of the person-sorted array */
		ia = first_of(pr, np, a);
		ib = first_of(pr, np, b);
		for (size_t i = ia; i < np && pr[i].person == a && !hit; i++)
			for (size_t j = ib; j < np && pr[j].person == b && !hit; j++)
				hit = pr[i].profile == pr[j].profile;
		merged[k] += (unsigned long)hit;
	}
	fclose(f);
	for (size_t k = 0; k < nk; k++)
		printf("hard %s pairs=%lu merged=%lu\n", kinds[k], given[k], merged[k]);
}

int
main(int argc, char **argv)
{
	struct store_opts so = { 0, 0, 0 };
	struct store *st;
	struct segment **segs;
	struct mergemap mm;
	struct pair *pr = NULL;
	struct counts all;
	size_t nseg, np = 0, cap = 0;
	uint64_t rows = 0, unlinked = 0, untracked = 0;
	const char *hard = NULL;
	int locked = 0, split = 0, ch;

	cdp_setprogname(argv[0]);
	while ((ch = getopt(argc, argv, "sh:")) != -1) {
		if (ch == 's')
			split = 1;
		else if (ch == 'h')
			hard = optarg;
		else
			optind = argc + 1;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: pairs [-s] [-h HARD.csv] STORE TRUTH.csv\n");
		return 64;
	}
	truth_load(argv[optind + 1]);
	if (!(st = store_open(argv[optind], &so, &locked)))
		cdp_die(2, "%s", cdp_err());
	if (mergemap_load(st, &mm) < 0 || store_segments(st, "records", &segs, &nseg) < 0)
		cdp_die(2, "%s", cdp_err());
	for (size_t s = 0; s < nseg; s++) {
		struct colvec src, line;
		int64_t *ids;
		size_t n;
		int is = segment_col_index(segs[s], "_source"), il = segment_col_index(segs[s], "_line");

		if (is < 0 || il < 0)
			cdp_die(2, "%s: no _source or _line", segs[s]->path);
		if (segment_read(segs[s], is, &src) < 0 || segment_read(segs[s], il, &line) < 0 ||
		    links_read(st, &mm, segs[s]->id, &ids, &n) < 0)
			cdp_die(2, "%s", cdp_err());
		rows += line.n;
		if (!ids) {
			unlinked += line.n;
			colvec_free(&src);
			colvec_free(&line);
			continue;
		}
		if (cap < np + n) {
			cap = (np + n) * 2;
			pr = xrealloc(pr, cap * sizeof *pr);
		}
		for (size_t i = 0; i < n && i < line.n; i++) {
			size_t len = 0;
			const char *sv;
			struct truthsrc *t;
			int64_t ln;

			if (ids[i] <= 0) {
				unlinked++;
				continue;
			}
			sv = colvec_isnull(&src, i) ? "" : colvec_str(&src, i, &len);
			ln = colvec_isnull(&line, i) ? -1 : line.iv[i];
			t = src_find(sv, colvec_isnull(&src, i) ? 0 : len, 0);
			if (!t || ln < 0 || (uint64_t)ln >= t->n || t->person[ln] == 0) {
				untracked++;
				continue;
			}
			pr[np].profile = ids[i];
			pr[np].person = t->person[ln];
			pr[np].src = (uint32_t)(t - srcs);
			np++;
		}
		free(ids);
		colvec_free(&src);
		colvec_free(&line);
	}
	store_segments_free(segs, nseg);

	count_pairs(pr, np, &all);
	printf("precision=%.4f recall=%.4f rows=%llu linked=%zu unlinked=%llu untracked=%llu "
	    "profiles=%llu people=%llu\n",
	    all.predicted > 0 ? all.correct / all.predicted : 1.0,
	    all.truepairs > 0 ? all.correct / all.truepairs : 1.0,
	    (unsigned long long)rows, np, (unsigned long long)unlinked,
	    (unsigned long long)untracked, (unsigned long long)all.profiles,
	    (unsigned long long)all.people);
	if (hard)
		hard_negatives(hard, pr, np);	/* pr is sorted by person */
	if (split)
		by_source(pr, np, &all);
	free(pr);
	mergemap_free(&mm);
	store_close(st);
	return 0;
}
