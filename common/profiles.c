/*
 * profiles.c - reading cdp-merge's tables: merges and links.
 */
#include <stdlib.h>
#include <string.h>

#include "profiles.h"

static size_t
slot_of(const struct mergemap *m, int64_t id)
{
	size_t i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 20) & (m->nslots - 1);

	while (m->slots[i] && m->old_ids[m->slots[i] - 1] != id)
		i = (i + 1) & (m->nslots - 1);
	return i;
}

void
mergemap_add(struct mergemap *m, int64_t old_id, int64_t new_id)
{
	size_t i;

	if ((m->n + 1) * 2 > m->nslots) {
		size_t nslots = m->nslots ? m->nslots * 2 : 1024;

		free(m->slots);
		m->slots = xcalloc(nslots, sizeof *m->slots);
		m->nslots = nslots;
		for (size_t k = 0; k < m->n; k++)
			m->slots[slot_of(m, m->old_ids[k])] = k + 1;
	}
	i = slot_of(m, old_id);
	if (m->slots[i]) {
		m->new_ids[m->slots[i] - 1] = new_id;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 1024;
		m->old_ids = xreallocarray(m->old_ids, m->cap, sizeof *m->old_ids);
		m->new_ids = xreallocarray(m->new_ids, m->cap, sizeof *m->new_ids);
	}
	m->old_ids[m->n] = old_id;
	m->new_ids[m->n] = new_id;
	m->n++;
	m->slots[i] = m->n;
}

int64_t
mergemap_resolve(const struct mergemap *m, int64_t id)
{
	/* Chains are short (an id is merged once); the bound guards loops. */
	for (size_t hops = 0; m->n && hops <= m->n; hops++) {
		size_t i = slot_of(m, id);

		if (!m->slots[i])
			break;
		id = m->new_ids[m->slots[i] - 1];
	}
	return id;
}

int
mergemap_load(struct store *st, struct mergemap *m)
{
	struct segment **segs;
	size_t n;

	memset(m, 0, sizeof *m);
	if (store_segments(st, "merges", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int a = segment_col_index(segs[i], "old_id"), b = segment_col_index(segs[i], "new_id");
		struct colvec va, vb;

		if (a < 0 || b < 0) {
			store_segments_free(segs, n);
			return cdp_seterr("%s: merges segment lacks old_id/new_id", segs[i]->path);
		}
		if (segment_read(segs[i], a, &va) < 0) {
			store_segments_free(segs, n);
			return -1;
		}
		if (segment_read(segs[i], b, &vb) < 0) {
			colvec_free(&va);
			store_segments_free(segs, n);
			return -1;
		}
		for (size_t r = 0; r < va.n; r++)
			mergemap_add(m, va.iv[r], vb.iv[r]);
		colvec_free(&va);
		colvec_free(&vb);
	}
	store_segments_free(segs, n);
	return 0;
}

void
mergemap_free(struct mergemap *m)
{
	free(m->old_ids);
	free(m->new_ids);
	free(m->slots);
	memset(m, 0, sizeof *m);
}

int
links_read(struct store *st, const struct mergemap *m, uint64_t seg_id, int64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];
		const char *t = mentry_get(e, "table");
		struct segment *s;
		struct colvec v;
		char *path;

		if (strcmp(e->kind, "segment") != 0 || !t || strcmp(t, "links") != 0 ||
		    mentry_getu(e, "records") != seg_id)
			continue;
		path = store_path(st, mentry_get(e, "file"));
		s = segment_open(path);
		free(path);
		if (!s)
			return -1;
		if (segment_col_index(s, "profile_id") != 0 || segment_read(s, 0, &v) < 0) {
			cdp_seterr("%s: unreadable links segment", s->path);
			segment_close(s);
			return -1;
		}
		segment_close(s);
		for (size_t r = 0; r < v.n; r++)
			v.iv[r] = mergemap_resolve(m, v.iv[r]);
		*ids = v.iv;
		*n = v.n;
		v.iv = NULL;
		colvec_free(&v);
		return 0;
	}
	return 0;
}
