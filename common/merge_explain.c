/*
 * merge_explain.c - cdp-merge --explain: why a profile's records are together.
 */
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "merge_int.h"
#include "normalize.h"
#include "profiles.h"

/* ---- explain ---------------------------------------------------------- */

/* Profile id holding identifier value what (any type), or 0. */
static int64_t
explain_lookup(struct store *st, const struct mergemap *mm, const char *what)
{
	struct segment **segs;
	size_t n;
	struct strbuf e = STRBUF_INIT, p = STRBUF_INIT;
	int64_t found = 0;

	norm_email(what, strlen(what), &e);
	norm_phone(what, strlen(what), NULL, &p);
	if (store_segments(st, "idmap", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !found; i++) {
		struct colvec vv, vp;

		if (segment_read(segs[i], segment_col_index(segs[i], "value"), &vv) < 0)
			break;
		if (segment_read(segs[i], segment_col_index(segs[i], "profile"), &vp) < 0) {
			colvec_free(&vv);
			break;
		}
		for (size_t r = 0; r < vv.n && !found; r++) {
			const char *v = colvec_str(&vv, r, NULL);

			if (strcmp(v, what) == 0 || (e.len && strcmp(v, e.buf) == 0) ||
			    (p.len && strcmp(v, p.buf) == 0))
				found = mergemap_resolve(mm, vp.iv[r]);
		}
		colvec_free(&vv);
		colvec_free(&vp);
	}
	store_segments_free(segs, n);
	sb_free(&e);
	sb_free(&p);
	return found;
}

static void
print_time(FILE *out, const struct colvec *v, size_t r)
{
	struct strbuf sb = STRBUF_INIT;

	if (!v || colvec_isnull(v, r)) {
		fputs("-", out);
		return;
	}
	time_format(v->iv[r], TF_ISO_Z, &sb);
	fputs(sb.buf, out);
	sb_free(&sb);
}

int
merge_explain(struct store *st, const struct merge_config *c, const char *what, FILE *out)
{
	struct mergemap mm;
	struct segment **segs;
	size_t n, shown = 0;
	int64_t pid;
	char *end;

	if (mergemap_load(st, &mm) < 0)
		return -1;
	/* An identifier first: loyalty cards and phones are digits too. */
	pid = explain_lookup(st, &mm, what);
	if (pid == 0) {
		pid = strtoll(what, &end, 10);
		pid = *end || pid <= 0 ? 0 : mergemap_resolve(&mm, pid);
	}
	if (pid <= 0) {
		mergemap_free(&mm);
		return pid < 0 ? -1 : cdp_seterr("'%s' is no profile id and no known identifier", what);
	}
	fprintf(out, "profile %lld\n", (long long)pid);

	/* Merges that made it. */
	for (size_t i = 0; i < mm.n; i++)
		if (mergemap_resolve(&mm, mm.new_ids[i]) == pid)
			fprintf(out, "  merged: profile %lld joined profile %lld\n",
			    (long long)mm.old_ids[i], (long long)mm.new_ids[i]);

	/* Its records and their identifiers: the edges that joined them. */
	fprintf(out, "records (source, batch:line, kind, time, identifiers):\n");
	if (store_segments(st, "records", &segs, &n) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		int64_t *links;
		size_t nl;
		struct colvec vs, vb, vl, vk, vt, idv[MERGE_MAX_TYPES];
		struct colvec *src, *bt, *ln, *kd, *tm, *idp[MERGE_MAX_TYPES];
		int err = 0;

		if (links_read(st, &mm, segs[i]->id, &links, &nl) < 0) {
			store_segments_free(segs, n);
			goto fail;
		}
		if (!links)
			continue;
		src = merge_read_col(segs[i], "_source", &vs, &err);
		bt = merge_read_col(segs[i], "_batch", &vb, &err);
		ln = merge_read_col(segs[i], "_line", &vl, &err);
		kd = merge_read_col(segs[i], "_kind", &vk, &err);
		tm = merge_read_col(segs[i], "_time", &vt, &err);
		for (size_t t = 0; t < c->ntypes; t++)
			idp[t] = merge_read_col(segs[i], c->types[t].column, &idv[t], &err);
		for (size_t r = 0; r < nl && !err; r++) {
			struct strbuf tmp = STRBUF_INIT;

			if (links[r] != pid)
				continue;
			if (++shown > 1000)
				continue;
			fprintf(out, "  %s, %lld:%lld, %s, ", src ? colvec_str(src, r, NULL) : "-",
			    (long long)merge_cell_int(bt, r, 0), (long long)merge_cell_int(ln, r, 0),
			    kd && !colvec_isnull(kd, r) ? colvec_str(kd, r, NULL) : "-");
			print_time(out, tm, r);
			for (size_t t = 0; t < c->ntypes; t++) {
				size_t len;

				if (!idp[t] || colvec_isnull(idp[t], r))
					continue;
				fprintf(out, ", %s=%s", c->types[t].name, merge_cell_text(idp[t], r, &tmp, &len));
			}
			fputc('\n', out);
			sb_free(&tmp);
		}
		if (shown > 1000 && i + 1 == n)
			fprintf(out, "  ... %zu records in all\n", shown);
		free(links);
		if (src)
			colvec_free(src);
		if (bt)
			colvec_free(bt);
		if (ln)
			colvec_free(ln);
		if (kd)
			colvec_free(kd);
		if (tm)
			colvec_free(tm);
		for (size_t t = 0; t < c->ntypes; t++)
			if (idp[t])
				colvec_free(idp[t]);
		if (err) {
			store_segments_free(segs, n);
			goto fail;
		}
	}
	store_segments_free(segs, n);

	/* What merge protection refused for it. */
	fprintf(out, "refused identifiers (batch:line, type, value, reason):\n");
	if (store_segments(st, "refusals", &segs, &n) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct colvec vb, vl = { 0 }, vp = { 0 }, vt = { 0 }, vv = { 0 }, vr = { 0 };
		int err = 0;

		if (!merge_read_col(segs[i], "batch", &vb, &err))
			continue;
		merge_read_col(segs[i], "line", &vl, &err);
		merge_read_col(segs[i], "profile_id", &vp, &err);
		merge_read_col(segs[i], "type", &vt, &err);
		merge_read_col(segs[i], "value", &vv, &err);
		merge_read_col(segs[i], "reason", &vr, &err);
		for (size_t r = 0; r < vb.n && !err; r++) {
			if (colvec_isnull(&vp, r) || mergemap_resolve(&mm, vp.iv[r]) != pid)
				continue;
			fprintf(out, "  %lld:%lld, %s, %s, %s\n", (long long)vb.iv[r], (long long)vl.iv[r],
			    colvec_str(&vt, r, NULL), colvec_str(&vv, r, NULL), colvec_str(&vr, r, NULL));
		}
		colvec_free(&vb);
		colvec_free(&vl);
		colvec_free(&vp);
		colvec_free(&vt);
		colvec_free(&vv);
		colvec_free(&vr);
	}
	store_segments_free(segs, n);
	mergemap_free(&mm);
	return 0;
fail:
	mergemap_free(&mm);
	return -1;
}
