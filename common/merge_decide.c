/*
 * merge_decide.c - decisions a person made on review pairs, kept in
 * STORE/match.decisions and respected by every run:
 *   - "no-match": the clusters holding the two records are never joined
 *     by the probabilistic stage or by another decision;
 *   - "match": the two records' profiles are joined (merge protection
 *     still applies: a limit or cap refuses it as it would any merge).
 *
 * The file is plain text, one decision a line, records named by
 * batch:line (no personal data):
 *   12:4 15:9 no-match
 * The last line about a pair wins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "merge_mstate.h"
#include "profiles.h"

/* "12:4" -> batch 12, line 4; NULL-terminated.  -1 if it is not one. */
int
match_ref_parse(const char *s, int64_t *batch, int64_t *line)
{
	char *end;
	long long b, l;

	if (*s < '0' || *s > '9')
		return -1;
	b = strtoll(s, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return -1;
	l = strtoll(end + 1, &end, 10);
	if (*end || b <= 0 || l < 0)
		return -1;
	*batch = b;
	*line = l;
	return 0;
}

int
decisions_load(const char *path, struct mdec **d, size_t *n)
{
	struct strbuf sb = STRBUF_INIT;
	char *p, *line;
	unsigned long lineno = 0;

	*d = NULL;
	*n = 0;
	if (io_read_file(path, &sb) < 0) {
		sb_free(&sb);
		return errno == ENOENT ? 0 : cdp_seterr("%s: %s", path, strerror(errno));
	}
	sb_addc(&sb, '\0');
	for (p = sb.buf; (line = strsep(&p, "\n")) != NULL;) {
		char a[40], b[40], what[16];
		struct mdec x;

		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		memset(&x, 0, sizeof x);
		if (sscanf(line, "%39s %39s %15s", a, b, what) != 3 || match_ref_parse(a, &x.ab, &x.al) < 0 ||
		    match_ref_parse(b, &x.bb, &x.bl) < 0 ||
		    (strcmp(what, "match") != 0 && strcmp(what, "no-match") != 0)) {
			free(*d);
			sb_free(&sb);
			return cdp_seterr("%s:%lu: expected 'BATCH:LINE BATCH:LINE match|no-match'", path, lineno);
		}
		x.match = what[0] == 'm';
		*d = xreallocarray(*d, *n + 1, sizeof **d);
		(*d)[(*n)++] = x;
	}
	sb_free(&sb);
	return 0;
}

static char *
decisions_path(const struct merge_config *c)
{
	const char *pp = c->match->params_path, *slash = strrchr(pp, '/');
	struct strbuf sb = STRBUF_INIT;

	if (slash)
		sb_add(&sb, pp, (size_t)(slash - pp + 1));
	sb_adds(&sb, "match.decisions");
	return sb_detach(&sb, NULL);
}

char *
match_decisions_path(const struct merge_config *c)
{
	return decisions_path(c);
}

/* The profiles of decided records in segments linked by earlier runs. */
static int
resolve_old(struct engine *g, struct mstate *ms)
{
	struct mergemap mm;
	struct segment **segs;
	size_t n;
	int err = 0;

	if (mergemap_load(g->st, &mm) < 0)
		return -1;
	if (store_segments(g->st, "records", &segs, &n) < 0) {
		mergemap_free(&mm);
		return -1;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct mentry *e = store_find(g->st, "segment", segs[i]->id);
		int64_t batch = e ? (int64_t)mentry_getu(e, "batch") : 0, *ids = NULL;
		size_t nl = 0, want = 0;
		struct colvec vl;

		for (size_t k = 0; k < ms->ndec; k++)
			want += ms->dec[k].ab == batch || ms->dec[k].bb == batch;
		if (!want || links_read(g->st, &mm, segs[i]->id, &ids, &nl) < 0 || !ids)
			continue;
		if (segment_read(segs[i], segment_col_index(segs[i], "_line"), &vl) < 0) {
			err = 1;
		} else {
			for (size_t r = 0; r < nl && r < vl.n; r++)
				decisions_see(ms, batch, vl.iv[r], ids[r]);
			colvec_free(&vl);
		}
		free(ids);
	}
	store_segments_free(segs, n);
	mergemap_free(&mm);
	return err ? -1 : 0;
}

int
decisions_begin(struct engine *g, struct mstate *ms)
{
	char *path = decisions_path(g->c);
	int rc = decisions_load(path, &ms->dec, &ms->ndec);

	free(path);
	if (rc < 0 || ms->ndec == 0 || g->o->rebuild)
		return rc;
	return resolve_old(g, ms);
}

void
decisions_see(struct mstate *ms, int64_t batch, int64_t line, int64_t profile)
{
	for (size_t k = 0; k < ms->ndec; k++) {
		if (ms->dec[k].ab == batch && ms->dec[k].al == line)
			ms->dec[k].aid = profile;
		if (ms->dec[k].bb == batch && ms->dec[k].bl == line)
			ms->dec[k].bid = profile;
	}
}

int
decisions_forbid(struct engine *g, struct mstate *ms, uint32_t ra, uint32_t rb)
{
	for (size_t k = 0; k < ms->ndec; k++) {
		const struct mdec *d = &ms->dec[k];
		uint32_t x, y;

		if (d->match || !d->aid || !d->bid)
			continue;
		x = match_root_of_id(g, d->aid);
		y = match_root_of_id(g, d->bid);
		if ((x == ra && y == rb) || (x == rb && y == ra))
			return 1;
	}
	return 0;
}

/* Join the profiles of every "match" decision whose two records are known. */
int
decisions_apply(struct engine *g, struct mstate *ms)
{
	for (size_t k = 0; k < ms->ndec; k++) {
		const struct mdec *d = &ms->dec[k];
		uint32_t x, y, r;
		int64_t idx, idy;

		if (!d->match || !d->aid || !d->bid)
			continue;
		x = match_root_of_id(g, d->aid);
		y = match_root_of_id(g, d->bid);
		if (x == NONE || y == NONE || x == y || decisions_forbid(g, ms, x, y))
			continue;
		if (merge_union_refusal(g, x, y)) {
			ms->refused++;
			continue;
		}
		idx = g->p[x].id;
		idy = g->p[y].id;
		r = merge_union(g, x, y, MERGE_TYPE_DECISION);
		if (ms->nln == ms->capln) {
			ms->capln = ms->capln ? ms->capln * 2 : 256;
			ms->ln = xreallocarray(ms->ln, ms->capln, sizeof *ms->ln);
		}
		ms->ln[ms->nln++] = (struct mlink){ r == x ? idy : idx, g->p[r].id, d->ab, d->al, d->bb, d->bl,
			0, 0, MERGE_TYPE_DECISION, ms->text.len };
		sb_adds(&ms->text, "a person decided: match");
		sb_addc(&ms->text, '\0');
		ms->decided++;
	}
	return 0;
}

void
decisions_free(struct mstate *ms)
{
	free(ms->dec);
	ms->dec = NULL;
	ms->ndec = 0;
}

/* ---- cdp-merge --decisions FILE ----------------------------------------- */

/* Split one CSV line into fields (quotes as RFC 4180); -1 on a bad quote. */
static int
csv_split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *out = p;

		if (n == max)
			return n;
		f[n++] = p;
		if (*p == '"') {
			char *q = p + 1;

			for (;;) {
				if (*q == '\0')
					return -1;
				if (*q == '"' && q[1] == '"') {
					*out++ = '"';
					q += 2;
				} else if (*q == '"') {
					q++;
					break;
				} else {
					*out++ = *q++;
				}
			}
			if (*q != ',' && *q != '\0')
				return -1;
			*out = '\0';
			if (*q == '\0')
				return n;
			p = q + 1;
			continue;
		}
		while (*p && *p != ',')
			p++;
		if (*p == '\0')
			return n;
		*p++ = '\0';
	}
}

static void
decision_put(struct mdec **d, size_t *n, const struct mdec *x)
{
	for (size_t k = 0; k < *n; k++) {
		struct mdec *y = &(*d)[k];

		if ((y->ab == x->ab && y->al == x->al && y->bb == x->bb && y->bl == x->bl) ||
		    (y->ab == x->bb && y->al == x->bl && y->bb == x->ab && y->bl == x->al)) {
			y->match = x->match;	/* the last word about a pair counts */
			return;
		}
	}
	*d = xreallocarray(*d, *n + 1, sizeof **d);
	(*d)[(*n)++] = *x;
}

/* One data line of the review CSV: 1 a decision, 0 undecided, -1 error. */
static int
decision_line(char *line, int cpair, int cdec, struct mdec *x)
{
	char *f[256], *tilde;
	int n = csv_split(line, f, 256);

	if (n < 0)
		return cdp_seterr("unterminated quoted field");
	if (cpair >= n || cdec >= n)
		return cdp_seterr("too few fields");
	memset(x, 0, sizeof *x);
	if (strcmp(f[cdec], "") == 0)
		return 0;
	if (strcmp(f[cdec], "match") == 0)
		x->match = 1;
	else if (strcmp(f[cdec], "no-match") != 0)
		return cdp_seterr("decision is match, no-match or empty, not '%s'", f[cdec]);
	tilde = strchr(f[cpair], '~');
	if (tilde)
		*tilde = '\0';
	if (!tilde || match_ref_parse(f[cpair], &x->ab, &x->al) < 0 ||
	    match_ref_parse(tilde + 1, &x->bb, &x->bl) < 0)
		return cdp_seterr("pair is BATCH:LINE~BATCH:LINE, not '%s%s%s'", f[cpair], tilde ? "~" : "",
		    tilde ? tilde + 1 : "");
	if (x->ab == x->bb && x->al == x->bl)
		return cdp_seterr("a record cannot be decided against itself");
	return 1;
}

/* The header's pair and decision columns. */
static int
decision_header(char *line, int *cpair, int *cdec)
{
	char *f[256];
	int n = csv_split(line, f, 256);

	*cpair = *cdec = -1;
	for (int k = 0; k < n; k++) {
		if (strcmp(f[k], "pair") == 0)
			*cpair = k;
		else if (strcmp(f[k], "decision") == 0)
			*cdec = k;
	}
	if (*cpair < 0 || *cdec < 0)
		return cdp_seterr("the first line names no pair and decision columns (a cdp-merge --review file)");
	return 0;
}

static int
decisions_save(struct store *st, const struct mdec *d, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	sb_adds(&sb, "# cdp-merge decisions (cdp-merge --decisions): BATCH:LINE BATCH:LINE match|no-match\n");
	for (size_t k = 0; k < n; k++)
		sb_addf(&sb, "%lld:%lld %lld:%lld %s\n", (long long)d[k].ab, (long long)d[k].al,
		    (long long)d[k].bb, (long long)d[k].bl, d[k].match ? "match" : "no-match");
	rc = io_replace_file(st->dir, "match.decisions", sb.buf, sb.len);
	sb_free(&sb);
	return rc == -1 ? -1 : 0;
}

int
merge_decisions(struct store *st, const struct merge_config *c, const char *path, size_t *ndone)
{
	struct strbuf sb = STRBUF_INIT;
	struct mdec *d = NULL, x;
	size_t nd = 0;
	char *dpath = match_decisions_path(c), *p, *line;
	unsigned long lineno = 0;
	int cpair = -1, cdec = -1, rc = -1, r;

	*ndone = 0;
	if (io_read_file(path, &sb) < 0) {
		cdp_seterr("%s: %s", path, strerror(errno));
		goto out;
	}
	sb_addc(&sb, '\0');
	if (decisions_load(dpath, &d, &nd) < 0)
		goto out;
	for (p = sb.buf; (line = strsep(&p, "\n")) != NULL;) {
		size_t len = strlen(line);

		lineno++;
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (lineno == 1 ? decision_header(line, &cpair, &cdec) < 0 : 0)
			goto bad;
		if (lineno == 1 || len == 0)
			continue;
		if ((r = decision_line(line, cpair, cdec, &x)) < 0)
			goto bad;
		if (r == 1) {
			decision_put(&d, &nd, &x);
			++*ndone;
		}
	}
	rc = decisions_save(st, d, nd);
	goto out;
bad:
	{
		char msg[256];

		snprintf(msg, sizeof msg, "%s", cdp_err());
		cdp_seterr("%s:%lu: %s", path, lineno, msg);
	}
out:
	free(dpath);
	free(d);
	sb_free(&sb);
	return rc;
}
