/*
 * merge_match_explain.c - the probabilistic part of cdp-merge --explain:
 * each link the probabilistic stage (or a person's decision) made into
 * the profile, with its match weight, the threshold it passed and every
 * comparison's contribution as a running total (a plain-text waterfall).
 */
#include <stdlib.h>
#include <string.h>

#include "merge_int.h"
#include "merge_match.h"
#include "profiles.h"

/* One "name level +w" step of a detail string, with the running total. */
static void
waterfall(const char *detail, FILE *out)
{
	char *copy = xstrdup(detail), *p = copy, *step;
	double total = 0;

	if (strncmp(detail, "prior ", 6) != 0) {
		fprintf(out, "      %s\n", detail);
		free(copy);
		return;
	}
	while ((step = strsep(&p, ";")) != NULL) {
		char *sp = strrchr(step, ' ');
		double w;

		if (!sp)
			continue;
		w = strtod(sp + 1, NULL);
		total += w;
		*sp = '\0';
		fprintf(out, "      %-40s %+7.2f  = %7.2f\n", step, w, total);
	}
	free(copy);
}

static void
explain_row(const struct colvec *v, size_t r, FILE *out)
{
	const char *type = colvec_str(&v[6], r, NULL);

	fprintf(out, "  %s: profile %lld joined profile %lld: %s ~ %s", type, (long long)v[1].iv[r],
	    (long long)v[0].iv[r], colvec_str(&v[2], r, NULL), colvec_str(&v[3], r, NULL));
	if (strcmp(type, "probabilistic") == 0) {
		double w = strtod(colvec_str(&v[4], r, NULL), NULL);

		fprintf(out, ", weight %s bits (probability %.6f) >= match-threshold %s\n",
		    colvec_str(&v[4], r, NULL), fs_probability(w), colvec_str(&v[5], r, NULL));
	} else {
		fputc('\n', out);
	}
	waterfall(colvec_str(&v[7], r, NULL), out);
}

int
match_explain(struct store *st, const struct merge_config *c, const struct mergemap *mm, int64_t pid,
    FILE *out)
{
	static const char *const names[8] = { "profile_id", "merged_id", "left", "right", "weight",
		"threshold", "type", "detail" };
	struct segment **segs;
	size_t n, shown = 0;
	int err = 0;

	(void)c;
	if (store_segments(st, "matches", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !err; i++) {
		struct colvec v[8];
		int got = 0;

		for (; got < 8; got++)
			if (!merge_read_col(segs[i], names[got], &v[got], &err))
				break;
		for (size_t r = 0; got == 8 && r < v[0].n; r++) {
			if (mergemap_resolve(mm, v[0].iv[r]) != pid)
				continue;
			if (shown++ == 0)
				fprintf(out, "probabilistic links (the pair that passed; contributions in bits, "
				    "running total):\n");
			explain_row(v, r, out);
		}
		if (got < 8 && !err)
			err = cdp_seterr("%s: matches segment lacks %s", segs[i]->path, names[got]);
		while (got-- > 0)
			colvec_free(&v[got]);
	}
	store_segments_free(segs, n);
	return err ? -1 : 0;
}
