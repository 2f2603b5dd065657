/*
 * vec_eq.h - cell-by-cell equality of two column vectors, for the unit
 * tests that round-trip columns (test_column, test_store).
 */
#ifndef CDP_TEST_VEC_EQ_H
#define CDP_TEST_VEC_EQ_H

#include <string.h>

#include "column.h"

static inline int
vec_equal(const struct colvec *a, const struct colvec *b)
{
	if (a->n != b->n || a->nnull != b->nnull || a->type != b->type)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		if (colvec_isnull(a, i) != colvec_isnull(b, i))
			return 0;
		if (colvec_isnull(a, i))
			continue;
		if (a->type == CT_STR) {
			size_t la, lb;
			const char *sa = colvec_str(a, i, &la), *sb = colvec_str(b, i, &lb);

			if (la != lb || memcmp(sa, sb, la) != 0)
				return 0;
		} else if (a->iv[i] != b->iv[i]) {
			return 0;
		}
	}
	return 1;
}

#endif
