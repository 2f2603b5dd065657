/*
 * forget.c - erasure: resolve requests to profiles, rewrite every
 * segment that holds their rows, wipe the old files, log it.
 *
 * The order of a forget, and why it is safe to kill it anywhere:
 *   1. resolve: requests -> identifiers -> live profiles (idmap,
 *      merges); then every identifier value those profiles have.
 *   2. write a new segment file for every segment holding a doomed
 *      row (records with their links, profiles, idmap, merges,
 *      refusals, memberships).  Nothing names these files yet: killed
 *      here, the next writer's cleanup removes them, the store is as
 *      it was.
 *   3. scrub rejects files, write the suppression list (and the
 *      removal list).  Killed here, the person is still whole in the
 *      store and a re-run finds them again; both steps are idempotent.
 *      They must come before the commit: after it the person's
 *      identifiers are gone and a re-run could not find them again.
 *   4. ONE store_commit(): the new manifest names the new files and a
 *      "forget" entry carrying the audit line.  This rename is the
 *      point where the erasure takes effect, all of it at once: no
 *      reader ever sees a half-erased person.
 *   5. wait until no reader of an older generation is left (bounded
 *      by o->wipe_wait; store_wait_readers), then overwrite each old
 *      file with zeros, fsync, unlink.  Killed here, or still read when
 *      the wait ends, the old files are unnamed; the next writer's
 *      cleanup (store.c) wipes and removes them once those readers are
 *      gone, and the next cdp-forget also wipes the ones it opened
 *      before taking the lock (forget_leftovers_open, forget_recover).
 *   6. append the audit line (O_APPEND, fsync), then a second commit
 *      drops the "forget" entry.  Killed between, forget_recover()
 *      sees the entry and appends the line unless the log has it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "fileio.h"
#include "forget.h"
#include "lsm.h"
#include "merge.h"
#include "normalize.h"
#include "profiles.h"
#include "suppress.h"

#define AUDIT_FILE "audit.log"

/* An identifier value, by type name; "type\0value" keys g->idset. */
struct ident {
	char *type;
	char *value;
	size_t len;
	int hit;		/* matched a row or a reject line */
	int known;		/* an identifier of a doomed profile */
};

/* One segment to replace: its entry id, the new one (0 = dropped). */
struct change {
	uint64_t old_id, new_id;
	char *new_file;
	uint64_t rows;
	uint64_t records;	/* links: the new records id */
	int krange;		/* an index part: its new first and last key */
	uint64_t kmin, kmax;
};

struct forget {
	struct store *st;
	const struct forget_opts *o;
	struct forget_stats *stats;
	struct mergemap mm;
	struct merge_config cfg;
	int have_cfg;
	struct u64set doomed;		/* live profile ids */
	int64_t *dids;			/* ids resolving to a doomed one, sorted */
	size_t ndids;
	struct strmap idset;		/* "type\0value" -> index into ids */
	struct ident *ids;
	size_t nids;
	struct change *ch;
	size_t nch;
	struct forget_request *rq;	/* what was asked for, as given */
	size_t nrq;
	char **pii;			/* lower-cased values to scrub from text */
	size_t npii;
	struct rewrite *rw;		/* segments to write again, see run_rewrites */
	size_t nrw;
	char **oldfiles;		/* to wipe after the commit */
	size_t nold;
	struct strbuf key;
};

/* Asked for and seen somewhere, or held by an erased profile. */
static int
id_used(const struct ident *id)
{
	return id->known || id->hit;
}

static const char *const id_types[] = { "email", "phone", "customer_id", "loyalty_id",
	"anonymous_id", NULL };

int
forget_preset_known(const char *preset)
{
	return strcmp(preset, "google-ads") == 0 || strcmp(preset, "meta") == 0;
}

/* ---- identifiers -------------------------------------------------------- */

static const char *
idkey(struct forget *g, const char *type, const char *value, size_t len)
{
	sb_reset(&g->key);
	sb_adds(&g->key, type);
	sb_addc(&g->key, '\0');
	sb_add(&g->key, value, len);
	return g->key.buf;
}

static long
ident_find(struct forget *g, const char *type, const char *value, size_t len)
{
	idkey(g, type, value, len);
	return strmap_get(&g->idset, g->key.buf, g->key.len);
}

static long
ident_add(struct forget *g, const char *type, const char *value, size_t len)
{
	long i = ident_find(g, type, value, len);

	if (i >= 0)
		return i;
	g->ids = xreallocarray(g->ids, g->nids + 1, sizeof *g->ids);
	g->ids[g->nids].type = xstrdup(type);
	g->ids[g->nids].value = xstrndup(value, len);
	g->ids[g->nids].len = len;
	g->ids[g->nids].hit = 0;
	g->ids[g->nids].known = 0;
	strmap_put(&g->idset, g->key.buf, g->key.len, (long)g->nids);
	return (long)g->nids++;
}

/* A request's readings, best first: prio 0 profile, 1 e-mail, 2 phone, 3 other ids. */
struct reading {
	int prio;
	const char *type;	/* NULL for a profile id */
	struct strbuf val;
	int64_t profile;
};

static int
all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void
trimmed(const char *s, const char **p, size_t *n)
{
	size_t len = strlen(s);

	while (len && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	*p = s;
	*n = len;
}

static size_t
readings(const struct forget_request *r, const char *cc, struct reading *out)
{
	const char *s;
	size_t len, n = 0;
	int k = r->kind;

	trimmed(r->text, &s, &len);
	for (size_t i = 0; i < 6; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].prio = 9;
	}
	if (!len)
		return 0;
	if ((k == FORGET_ANY || k == FORGET_PROFILE) && len < 19) {
		char buf[20];

		memcpy(buf, s, len);
		buf[len] = '\0';
		if (all_digits(buf)) {
			out[n].prio = 0;
			out[n].profile = strtoll(buf, NULL, 10);
			n++;
		}
	}
	if (k == FORGET_ANY || k == FORGET_EMAIL) {
		out[n].prio = 1;
		out[n].type = "email";
		if (norm_email(s, len, &out[n].val) == 0)
			n++;
	}
	if (k == FORGET_ANY || k == FORGET_PHONE) {
		out[n].prio = 2;
		out[n].type = "phone";
		sb_reset(&out[n].val);
		if (norm_phone(s, len, cc, &out[n].val) == 0)
			n++;
	}
	if (k == FORGET_ANY || k == FORGET_CUSTOMER_ID) {
		out[n].prio = 3;
		out[n].type = "customer_id";
		sb_reset(&out[n].val);
		sb_add(&out[n].val, s, len);
		n++;
	}
	if (k == FORGET_ANY) {
		for (int t = 3; t <= 4; t++) {
			out[n].prio = 3;
			out[n].type = id_types[t];
			sb_reset(&out[n].val);
			sb_add(&out[n].val, s, len);
			n++;
		}
	}
	return n;
}

static void
readings_free(struct reading *rd)
{
	for (size_t i = 0; i < 6; i++)
		sb_free(&rd[i].val);
}

/* ---- reading segments ------------------------------------------------- */

static int
read_col(struct segment *s, const char *name, struct colvec *v)
{
	int idx = segment_col_index(s, name);

	if (idx < 0)
		return 0;
	if (segment_read(s, idx, v) < 0)
		return -1;
	return 1;
}

static int
is_doomed_id(const struct forget *g, const struct colvec *v, size_t r)
{
	if (colvec_isnull(v, r) || (v->type != CT_INT))
		return 0;
	return u64set_has(&g->doomed, (uint64_t)mergemap_resolve(&g->mm, v->iv[r]));
}

/*
 * Mark in drop[] the rows whose (type, value) pair is one of the doomed
 * identifiers; types from a column or, when tcol is NULL, fixed.  The
 * set is tested once per dictionary entry, not once per row.
 */
static size_t
mark_idents(struct forget *g, const struct colvec *tcol, const char *type,
    const struct colvec *vcol, uint8_t *drop)
{
	long *hit;
	size_t n = 0;

	if (vcol->type != CT_STR || !g->nids)
		return 0;
	hit = xmalloc((vcol->ndict ? vcol->ndict : 1) * sizeof *hit);
	if (type) {
		for (size_t d = 0; d < vcol->ndict; d++) {
			size_t len = (size_t)(vcol->doff[d + 1] - vcol->doff[d] - 1);

			hit[d] = ident_find(g, type, vcol->ddata + vcol->doff[d], len);
		}
	} else {
		/* Per type the key differs: first a value-only prefilter. */
		for (size_t d = 0; d < vcol->ndict; d++)
			hit[d] = 0;
		for (size_t d = 0; d < vcol->ndict; d++) {
			size_t len = (size_t)(vcol->doff[d + 1] - vcol->doff[d] - 1);

			for (int t = 0; id_types[t] && !hit[d]; t++)
				if (ident_find(g, id_types[t], vcol->ddata + vcol->doff[d], len) >= 0)
					hit[d] = 1;
			if (!hit[d] && g->have_cfg) {
				for (size_t t = 0; t < g->cfg.ntypes && !hit[d]; t++)
					if (ident_find(g, g->cfg.types[t].name, vcol->ddata + vcol->doff[d], len) >= 0)
						hit[d] = 1;
			}
			hit[d] = hit[d] ? 0 : -1;
		}
	}
	for (size_t r = 0; r < vcol->n; r++) {
		long i;

		if (colvec_isnull(vcol, r) || hit[vcol->codes[r]] < 0)
			continue;
		if (!type) {
			size_t tl, vl;
			const char *t, *v;

			if (!tcol || tcol->type != CT_STR || colvec_isnull(tcol, r))
				continue;
			t = colvec_str(tcol, r, &tl);
			v = colvec_str(vcol, r, &vl);
			i = ident_find(g, t, v, vl);
			if (i < 0)
				continue;
		} else {
			i = hit[vcol->codes[r]];
		}
		g->ids[i].hit = 1;
		if (!drop[r]) {
			drop[r] = 1;
			n++;
		}
	}
	free(hit);
	return n;
}

/* The records column holding an identifier type's normalized values. */
static const char *
type_column(const struct forget *g, const char *type, char *buf, size_t size)
{
	if (g->have_cfg)
		for (size_t t = 0; t < g->cfg.ntypes; t++)
			if (strcmp(g->cfg.types[t].name, type) == 0)
				return g->cfg.types[t].column;
	snprintf(buf, size, "_%s", type);
	return buf;
}

static void filter_dict(const struct colvec *in, struct colvec *out);
static void rewrites_free(struct forget *g);

/*
 * out = in without the dropped rows.  Strings keep their codes and take
 * only the dictionary entries a kept row uses: an erased value must not
 * survive as an unused entry.  No string is hashed or copied twice.
 */
static void
filter_col(const struct colvec *in, const uint8_t *drop, size_t keep, struct colvec *out)
{
	size_t j = 0;

	colvec_init(out, in->type);
	out->tfmt = in->tfmt;
	out->n = out->cap = keep;
	if (in->nnull)
		out->nulls = xcalloc(keep / 8 + 1, 1);
	if (in->type != CT_STR)
		out->iv = xmalloc((keep ? keep : 1) * sizeof *out->iv);
	else
		out->codes = xmalloc((keep ? keep : 1) * sizeof *out->codes);
	for (size_t r = 0; r < in->n; r++) {
		if (drop[r])
			continue;
		if (colvec_isnull(in, r)) {
			out->nulls[j >> 3] |= (uint8_t)(1u << (j & 7));
			out->nnull++;
		}
		if (in->type == CT_STR)
			out->codes[j] = in->codes[r];
		else
			out->iv[j] = in->iv[r];
		j++;
	}
	if (in->type == CT_STR)
		filter_dict(in, out);
}

/* The entries of in's dictionary that out's non-null rows use, renumbered. */
static void
filter_dict(const struct colvec *in, struct colvec *out)
{
	uint32_t *map = xmalloc((in->ndict ? in->ndict : 1) * sizeof *map);
	size_t nd = 0, bytes = 0;

	for (size_t d = 0; d < in->ndict; d++)
		map[d] = UINT32_MAX;
	for (size_t r = 0; r < out->n; r++)
		if (!colvec_isnull(out, r))
			map[out->codes[r]] = 0;
	/* numbered in dictionary order, so the entries stay one blob */
	for (size_t d = 0; d < in->ndict; d++) {
		if (map[d] == UINT32_MAX)
			continue;
		map[d] = (uint32_t)nd++;
		bytes += (size_t)(in->doff[d + 1] - in->doff[d]);
	}
	if (!nd)
		bytes = 1;	/* all null: one empty entry keeps colvec_str() safe */
	out->ddata = xmalloc(bytes);
	out->doff = xmalloc((nd + 2) * sizeof *out->doff);
	out->dcap = bytes;
	out->docap = nd + 2;
	out->doff[0] = 0;
	for (size_t d = 0; d < in->ndict; d++) {
		size_t len = (size_t)(in->doff[d + 1] - in->doff[d]);

		if (map[d] == UINT32_MAX)
			continue;
		memcpy(out->ddata + out->dlen, in->ddata + in->doff[d], len);
		out->dlen += len;
		out->doff[map[d] + 1] = out->dlen;
	}
	if (!nd) {
		out->ddata[0] = '\0';
		out->dlen = 1;
		out->doff[1] = 1;
		nd = 1;
	}
	out->ndict = nd;
	for (size_t r = 0; r < out->n; r++)
		out->codes[r] = colvec_isnull(out, r) ? 0 : map[out->codes[r]];
	free(map);
}

/*
 * The columns of one segment, read and filtered on two threads.  Each
 * thread reads through a handle of its own (a handle's inflater is not
 * shared); columns are taken in turn from one counter.
 */
struct colwork {
	struct segment *s;
	const uint8_t *drop;
	size_t keep;
	struct colvec *out;
	atomic_size_t next;
	atomic_int failed;
	char err[512];		/* the first failure's message */
};

static void
filter_cols(struct colwork *w, struct segment *s)
{
	size_t k;

	while (!atomic_load(&w->failed) && (k = atomic_fetch_add(&w->next, 1)) < s->ncols) {
		struct colvec in;

		if (segment_read(s, (int)k, &in) < 0) {
			if (!atomic_exchange(&w->failed, 1))
				snprintf(w->err, sizeof w->err, "%s", cdp_err());
			return;
		}
		filter_col(&in, w->drop, w->keep, &w->out[k]);
		colvec_free(&in);
	}
}

static void *
filter_cols_thread(void *arg)
{
	struct colwork *w = arg;
	struct segment *s = segment_open(w->s->path);

	/* No second handle: the first thread does every column. */
	if (s)
		filter_cols(w, s);
	segment_close(s);
	return NULL;
}

/*
 * Write a copy of s without the dropped rows to path, as a segment of
 * the same table and batch.  The file is named by no manifest until the
 * commit; on failure nothing is left behind.  One segment at a time, so
 * memory stays that of the largest segment; both cores decode (here)
 * and encode (segment_write) its columns.
 */
static int
filter_segment(struct segment *s, const uint8_t *drop, size_t keep, const char *path)
{
	struct colvec *out = xcalloc(s->ncols ? s->ncols : 1, sizeof *out);
	struct segcol_in *cols = xcalloc(s->ncols ? s->ncols : 1, sizeof *cols);
	struct colwork w = { s, drop, keep, out, 0, 0, "" };
	pthread_t th;
	int helper, r = -1;
	uint64_t size;

	helper = s->ncols > 1 && pthread_create(&th, NULL, filter_cols_thread, &w) == 0;
	filter_cols(&w, s);
	if (helper)
		pthread_join(th, NULL);
	if (atomic_load(&w.failed)) {
		cdp_seterr("%s", w.err);
		goto out;
	}
	for (size_t k = 0; k < s->ncols; k++) {
		cols[k].name = s->cols[k].name;
		cols[k].v = &out[k];
	}
	r = segment_write(path, s->table, s->batch, cols, s->ncols, keep, &size);
out:
	for (size_t k = 0; k < s->ncols; k++)
		colvec_free(&out[k]);
	free(out);
	free(cols);
	return r;
}

static struct change *
change_add(struct forget *g, uint64_t old_id)
{
	struct change *c;

	g->ch = xreallocarray(g->ch, g->nch + 1, sizeof *g->ch);
	c = &g->ch[g->nch++];
	memset(c, 0, sizeof *c);
	c->old_id = old_id;
	return c;
}

/* One segment to write again without its dropped rows, on a worker. */
struct rewrite {
	struct segment *s;
	uint8_t *drop;
	size_t keep;
	char *path;
};

/* Queue s (taken over, with drop) to be written as change c's new file,
 * once every table has been searched (run_rewrites). */
static void
queue_rewrite(struct forget *g, struct segment *s, uint8_t *drop, size_t keep, struct change *c)
{
	struct rewrite *w;

	c->new_file = store_segment_name(g->st, &c->new_id);
	c->rows = keep;
	g->rw = xreallocarray(g->rw, g->nrw + 1, sizeof *g->rw);
	w = &g->rw[g->nrw++];
	memset(w, 0, sizeof *w);
	w->s = s;
	w->drop = drop;
	w->keep = keep;
	w->path = store_path(g->st, c->new_file);
}

/* Every queued rewrite, in the order queued. */
static int
run_rewrites(struct forget *g)
{
	int rc = 0;

	for (size_t i = 0; i < g->nrw && rc == 0; i++) {
		struct rewrite *w = &g->rw[i];

		if (cdp_interrupted)
			rc = cdp_seterr("interrupted; nothing erased");
		else
			rc = filter_segment(w->s, w->drop, w->keep, w->path);
	}
	rewrites_free(g);
	return rc;
}

static void
rewrites_free(struct forget *g)
{
	for (size_t i = 0; i < g->nrw; i++) {
		segment_close(g->rw[i].s);
		free(g->rw[i].drop);
		free(g->rw[i].path);
	}
	free(g->rw);
	g->rw = NULL;
	g->nrw = 0;
}

static void
source_count(struct forget_stats *stats, const char *name, size_t len, uint64_t n)
{
	for (size_t i = 0; i < stats->nsrc; i++) {
		if (strlen(stats->src[i].name) == len && memcmp(stats->src[i].name, name, len) == 0) {
			stats->src[i].rows += n;
			return;
		}
	}
	stats->src = xreallocarray(stats->src, stats->nsrc + 1, sizeof *stats->src);
	stats->src[stats->nsrc].name = xstrndup(name, len);
	stats->src[stats->nsrc].rows = n;
	stats->nsrc++;
}

static struct mentry *
links_entry(struct store *st, uint64_t records_id)
{
	for (size_t i = 0; i < st->ne; i++) {
		const char *t = mentry_get(st->e[i], "table");

		if (strcmp(st->e[i]->kind, "segment") == 0 && t && strcmp(t, "links") == 0 &&
		    mentry_getu(st->e[i], "records") == records_id)
			return st->e[i];
	}
	return NULL;
}

static struct segment *
open_entry(struct store *st, const struct mentry *e)
{
	char *p = store_path(st, mentry_get(e, "file"));
	struct segment *s = segment_open(p);

	free(p);
	if (s)
		s->id = e->id;
	return s;
}

/*
 * Replace records segment *sp and its links *lsp by copies without the
 * dropped rows, or by nothing when no row is left.  What is queued is
 * taken over (set to NULL).
 */
static void
queue_records(struct forget *g, struct segment **sp, struct segment **lsp, uint8_t **dropp,
    size_t ndrop)
{
	struct segment *s = *sp;
	size_t keep = (size_t)s->nrows - ndrop, ci = g->nch;
	uint8_t *ldrop = NULL;

	change_add(g, s->id);
	if (keep && *lsp) {
		ldrop = xmalloc(s->nrows ? s->nrows : 1);
		memcpy(ldrop, *dropp, s->nrows ? s->nrows : 1);
	}
	if (keep) {
		queue_rewrite(g, s, *dropp, keep, &g->ch[ci]);
		*sp = NULL;
		*dropp = NULL;
	}
	if (*lsp) {
		uint64_t rec = g->ch[ci].new_id;
		struct change *lc = change_add(g, (*lsp)->id);

		lc->records = rec;
		if (keep) {
			queue_rewrite(g, *lsp, ldrop, keep, lc);
			*lsp = NULL;
		}
	}
}

/* ---- skipping by column statistics --------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Every profile id a row may carry that resolves to a doomed profile:
 * the live ids and every id merged into one, sorted for may_hold_profile.
 */
static void
doomed_ids_make(struct forget *g)
{
	const struct u64set *d = &g->doomed;

	for (size_t k = 0; k < d->cap; k++) {
		if (!d->slots[k])
			continue;
		g->dids = xreallocarray(g->dids, g->ndids + 1, sizeof *g->dids);
		g->dids[g->ndids++] = (int64_t)d->slots[k];
	}
	if (d->has_zero) {
		g->dids = xreallocarray(g->dids, g->ndids + 1, sizeof *g->dids);
		g->dids[g->ndids++] = 0;
	}
	for (size_t i = 0; i < g->mm.n; i++) {
		if (!u64set_has(d, (uint64_t)mergemap_resolve(&g->mm, g->mm.old_ids[i])))
			continue;
		g->dids = xreallocarray(g->dids, g->ndids + 1, sizeof *g->dids);
		g->dids[g->ndids++] = g->mm.old_ids[i];
	}
	if (g->ndids)
		qsort(g->dids, g->ndids, sizeof *g->dids, cmp_i64);
}

/*
 * 0 when the column's minimum and maximum (segment footer) show that no
 * row of it names a doomed profile, so it need not be read; else 1.
 */
static int
may_hold_profile(const struct forget *g, const struct segment *s, const char *name)
{
	int idx = segment_col_index(s, name);
	const struct segcol *c;
	size_t lo = 0, hi = g->ndids;

	if (idx < 0)
		return 0;
	c = &s->cols[idx];
	if (c->type != CT_INT)
		return 1;
	if (!c->st.has)
		return 0;
	while (lo < hi) {	/* the first doomed id >= the minimum */
		size_t mid = lo + (hi - lo) / 2;

		if (g->dids[mid] < c->st.imin)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->ndids && g->dids[lo] <= c->st.imax;
}

/*
 * 0 when the column's minimum and maximum show that it holds none of the
 * doomed identifier values (of type, or of any type when type is NULL).
 */
static int
may_hold_ident(const struct forget *g, const struct segment *s, const char *name, const char *type)
{
	int idx = segment_col_index(s, name);
	const struct colstats *st;

	if (idx < 0)
		return 0;
	if (s->cols[idx].type != CT_STR)
		return 1;
	st = &s->cols[idx].st;
	if (!st->has)
		return 0;
	for (size_t i = 0; i < g->nids; i++) {
		const char *v = g->ids[i].value;

		if (type && strcmp(g->ids[i].type, type) != 0)
			continue;
		if ((!st->smin || strcmp(v, st->smin) >= 0) && (!st->smax || strcmp(v, st->smax) <= 0))
			return 1;
	}
	return 0;
}

/* Records (and their links): one pass, each segment read once. */
static int
forget_records(struct forget *g)
{
	struct segment **segs;
	size_t n;
	int rc = -1;

	if (store_segments(g->st, "records", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct segment *s = segs[i], *ls = NULL;
		struct mentry *le = links_entry(g->st, s->id);
		uint8_t *drop = xcalloc(s->nrows ? s->nrows : 1, 1);
		size_t ndrop = 0;
		struct colvec v;
		int r = 0;

		if (cdp_interrupted) {
			free(drop);
			cdp_seterr("interrupted; nothing erased");
			goto out;
		}
		if (le) {
			r = 0;
			ls = open_entry(g->st, le);
			if (!ls || (may_hold_profile(g, ls, "profile_id") &&
			    (r = read_col(ls, "profile_id", &v)) < 0)) {
				free(drop);
				segment_close(ls);
				goto out;
			}
			if (r > 0) {
				for (size_t row = 0; row < v.n && row < s->nrows; row++)
					if (is_doomed_id(g, &v, row))
						drop[row] = 1, ndrop++;
				colvec_free(&v);
			}
		}
		/* Rows with the person's identifiers, linked or not: records
		 * not merged yet, and rows merge protection gave to someone else. */
		for (int t = 0; id_types[t]; t++) {
			char buf[64];
			const char *col = type_column(g, id_types[t], buf, sizeof buf);

			if (!may_hold_ident(g, s, col, id_types[t]))
				continue;
			if ((r = read_col(s, col, &v)) < 0) {
				free(drop);
				segment_close(ls);
				goto out;
			}
			if (r > 0) {
				ndrop += mark_idents(g, NULL, id_types[t], &v, drop);
				colvec_free(&v);
			}
		}
		if (ndrop) {
			if ((r = read_col(s, "_source", &v)) < 0) {
				free(drop);
				segment_close(ls);
				goto out;
			}
			for (size_t row = 0; row < s->nrows; row++) {
				size_t len = 1;
				const char *name = "-";

				if (!drop[row])
					continue;
				if (r > 0 && v.type == CT_STR && !colvec_isnull(&v, row))
					name = colvec_str(&v, row, &len);
				source_count(g->stats, name, len, 1);
			}
			if (r > 0)
				colvec_free(&v);
			g->stats->rows += ndrop;
			g->stats->segments += 1 + (ls != NULL);
			if (!g->o->dry_run)
				queue_records(g, &segs[i], &ls, &drop, ndrop);
		}
		free(drop);
		segment_close(ls);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	store_segments_free(segs, n);
	return rc;
}

/* Mark the rows whose column name holds a doomed profile id. */
static int
mark_profiles(struct forget *g, struct segment *s, const char *name, uint8_t *drop, size_t *ndrop)
{
	struct colvec v;
	int r;

	if (!may_hold_profile(g, s, name) || (r = read_col(s, name, &v)) == 0)
		return 0;
	if (r < 0)
		return -1;
	for (size_t row = 0; row < v.n; row++)
		if (!drop[row] && is_doomed_id(g, &v, row))
			drop[row] = 1, ++*ndrop;
	colvec_free(&v);
	return 0;
}

/*
 * An index part (lsm.h) without the dropped pairs: its manifest entry
 * must name its new first and last key, and a part left empty goes
 * (an index part is never empty).  s and drop are taken over.
 */
static int
queue_index_part(struct forget *g, struct segment *s, uint8_t *drop, size_t ndrop)
{
	struct change *c = change_add(g, s->id);
	size_t keep = (size_t)s->nrows - ndrop;
	struct colvec k;
	int r = 0;

	if (keep && (r = read_col(s, "key", &k)) > 0) {
		size_t first = 0, last = k.n;

		while (first < k.n && drop[first])
			first++;
		while (last > first && drop[last - 1])
			last--;
		if (k.type == CT_INT && first < last) {
			c->krange = 1;
			c->kmin = (uint64_t)k.iv[first];
			c->kmax = (uint64_t)k.iv[last - 1];
		}
		colvec_free(&k);
	}
	if (r >= 0 && keep) {
		queue_rewrite(g, s, drop, keep, c);
		return 0;
	}
	segment_close(s);
	free(drop);
	return r < 0 ? -1 : 0;
}

/*
 * Every other table: rows that name a doomed profile (profile_id,
 * profile, old_id, new_id) or hold a doomed identifier (type, value).
 */
static int
forget_tables(struct forget *g)
{
	static const char *const idcols[] = { "profile_id", "profile", "old_id", "new_id", NULL };
	size_t ne = g->st->ne;
	struct mentry **ents = xmalloc((ne ? ne : 1) * sizeof *ents);
	int rc = -1;

	memcpy(ents, g->st->e, ne * sizeof *ents);
	for (size_t i = 0; i < ne; i++) {
		const char *t = mentry_get(ents[i], "table");
		struct segment *s;
		uint8_t *drop;
		size_t ndrop = 0;
		int r = 0;

		if (strcmp(ents[i]->kind, "segment") != 0 || !t || !mentry_get(ents[i], "file") ||
		    strcmp(t, "records") == 0 || strcmp(t, "links") == 0)
			continue;
		/* cdp-recommend's model is derived from everyone's events,
		 * the erased person's too: drop it (wiped like the rest);
		 * the next cdp-recommend trains a new one without them. */
		if (strcmp(t, "recitems") == 0 || strcmp(t, "recneighbors") == 0) {
			if (!g->o->dry_run && (g->doomed.count || g->doomed.has_zero))
				change_add(g, ents[i]->id);
			continue;
		}
		if (!(s = open_entry(g->st, ents[i])))
			goto out;
		drop = xcalloc(s->nrows ? s->nrows : 1, 1);
		for (int k = 0; idcols[k] && r >= 0; k++) {
			struct colvec v;

			if (!may_hold_profile(g, s, idcols[k]) || (r = read_col(s, idcols[k], &v)) <= 0)
				continue;
			for (size_t row = 0; row < v.n; row++)
				if (!drop[row] && is_doomed_id(g, &v, row))
					drop[row] = 1, ndrop++;
			colvec_free(&v);
		}
		/* The identifier index (lsm.h) maps identifier keys to profiles:
		 * a doomed profile's pairs go, so no key of theirs is left. */
		if (r >= 0 && lsm_is_index_entry(ents[i]) && strcmp(t, "idindex") == 0)
			r = mark_profiles(g, s, "value", drop, &ndrop);
		if (r >= 0 && segment_col_index(s, "type") >= 0 && may_hold_ident(g, s, "value", NULL)) {
			struct colvec tv, vv;

			if (read_col(s, "type", &tv) < 0) {
				r = -1;
			} else if (read_col(s, "value", &vv) < 0) {
				colvec_free(&tv);
				r = -1;
			} else {
				ndrop += mark_idents(g, &tv, NULL, &vv, drop);
				colvec_free(&tv);
				colvec_free(&vv);
			}
		}
		if (r >= 0 && ndrop) {
			if (strcmp(t, "profiles") == 0)
				g->stats->profiles += ndrop;
			else
				g->stats->other_rows += ndrop;
			g->stats->segments++;
			/* Written even when empty: entries such as a segment run's
			 * members=ID keep naming a segment. */
			if (!g->o->dry_run && lsm_is_index_entry(ents[i])) {
				r = queue_index_part(g, s, drop, ndrop);
				s = NULL;
				drop = NULL;
			} else if (!g->o->dry_run) {
				queue_rewrite(g, s, drop, s->nrows - ndrop, change_add(g, s->id));
				s = NULL;
				drop = NULL;
			}
		}
		free(drop);
		segment_close(s);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	free(ents);
	return rc;
}

/* ---- resolution ---------------------------------------------------------- */

struct want {
	size_t req;
	int prio;
};

/* Which profiles exist: the profiles table's live rows (profiles.h); read
 * only when a request may be a profile id. */
static int
load_profset(struct forget *g, struct u64set *profset)
{
	struct profiles pt;

	/* the profiles table's live rows (profiles.h): superseded ones are gone */
	if (profiles_open(g->st, &pt) < 0)
		return -1;
	for (size_t k = 0; k < pt.nlive; k++)
		u64set_add(profset, (uint64_t)pt.order[k].id);
	profiles_close(&pt);
	return 0;
}

/*
 * Requests -> live profiles -> all their identifiers.  A request's
 * readings are looked up together; the best reading that names anyone
 * wins (a line "12" is profile 12 if there is one, else customer 12).
 */
static int
resolve(struct forget *g, struct forget_request *rq, size_t nrq)
{
	struct strmap wantmap = { 0 };
	struct want *wants = NULL;
	size_t nwants = 0;
	int *best = xmalloc((nrq ? nrq : 1) * sizeof *best);
	struct u64set *hits = xcalloc(nrq ? nrq : 1, sizeof *hits);
	struct u64set profset = { 0 };
	struct segment **segs = NULL;
	size_t n = 0;
	int rc = -1, have_profset = 0;

	for (size_t q = 0; q < nrq; q++) {
		struct reading rd[6];
		size_t nr = readings(&rq[q], g->o->default_country, rd);

		best[q] = 9;
		for (size_t k = 0; k < nr; k++) {
			if (!rd[k].type) {
				int64_t live = mergemap_resolve(&g->mm, rd[k].profile);

				if (!have_profset && load_profset(g, &profset) < 0) {
					readings_free(rd);
					goto out;
				}
				have_profset = 1;
				if (u64set_has(&profset, (uint64_t)live)) {
					best[q] = 0;
					u64set_add(&hits[q], (uint64_t)live);
				}
				continue;
			}
			/* Explicit requests also match unmerged rows and rejects. */
			if (rq[q].kind != FORGET_ANY)
				ident_add(g, rd[k].type, rd[k].val.buf, rd[k].val.len);
			idkey(g, rd[k].type, rd[k].val.buf, rd[k].val.len);
			wants = xreallocarray(wants, nwants + 1, sizeof *wants);
			wants[nwants].req = q;
			wants[nwants].prio = rd[k].prio;
			/* one key may be wanted by several requests: chain by index */
			if (strmap_put(&wantmap, g->key.buf, g->key.len, (long)nwants) != (long)nwants) {
				long first = strmap_get(&wantmap, g->key.buf, g->key.len);

				/* rare: a repeated identifier; the later request shares the first's fate */
				wants[nwants].req = q;
				wants[nwants].prio = -1 - (int)first;
			}
			nwants++;
		}
		readings_free(rd);
	}

	/* One pass over idmap: which requested values are known, to whom. */
	if (store_segments(g->st, "idmap", &segs, &n) < 0)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			struct colvec tv, vv, pv;
			int a, b, c;

			/* the second pass wants the doomed profiles' rows only */
			if (pass == 1 && !may_hold_profile(g, segs[i], "profile"))
				continue;
			a = read_col(segs[i], "type", &tv);
			b = a > 0 ? read_col(segs[i], "value", &vv) : 0;
			c = b > 0 ? read_col(segs[i], "profile", &pv) : 0;
			if (a < 0 || b < 0 || c < 0) {
				if (a > 0)
					colvec_free(&tv);
				if (b > 0)
					colvec_free(&vv);
				goto out;
			}
			if (c == 0 || tv.type != CT_STR || vv.type != CT_STR || pv.type != CT_INT) {
				if (a > 0)
					colvec_free(&tv);
				if (b > 0)
					colvec_free(&vv);
				if (c > 0)
					colvec_free(&pv);
				continue;
			}
			for (size_t row = 0; row < vv.n; row++) {
				size_t tl, vl;
				const char *t, *v;
				int64_t live;

				if (colvec_isnull(&tv, row) || colvec_isnull(&vv, row) || colvec_isnull(&pv, row))
					continue;
				live = mergemap_resolve(&g->mm, pv.iv[row]);
				t = colvec_str(&tv, row, &tl);
				v = colvec_str(&vv, row, &vl);
				if (pass == 1) {
					/* every identifier of a doomed profile is doomed */
					if (u64set_has(&g->doomed, (uint64_t)live)) {
						long k = ident_add(g, t, v, vl);	/* may move g->ids */

						g->ids[k].known = 1;
					}
					continue;
				}
				idkey(g, t, v, vl);
				long w = strmap_get(&wantmap, g->key.buf, g->key.len);

				if (w < 0)
					continue;
				/* the first request with this key, then any repeats */
				for (size_t k = (size_t)w; k < nwants; k++) {
					size_t q = wants[k].req;
					int prio;

					if (k != (size_t)w && wants[k].prio != -1 - w)
						continue;
					prio = k == (size_t)w ? wants[k].prio : wants[w].prio;
					if (prio < best[q]) {
						best[q] = prio;
						u64set_free(&hits[q]);
					}
					if (prio == best[q])
						u64set_add(&hits[q], (uint64_t)live);
				}
			}
			colvec_free(&tv);
			colvec_free(&vv);
			colvec_free(&pv);
		}
		if (pass == 0) {
			for (size_t q = 0; q < nrq; q++) {
				struct u64set *h = &hits[q];

				rq[q].nprofiles = h->count + (h->has_zero ? 1 : 0);
				rq[q].found = rq[q].nprofiles > 0;
				for (size_t k = 0; k < h->cap; k++)
					if (h->slots[k])
						u64set_add(&g->doomed, h->slots[k]);
			}
			doomed_ids_make(g);
		}
	}
	rc = 0;
out:
	store_segments_free(segs, n);
	strmap_free(&wantmap);
	free(wants);
	free(best);
	for (size_t q = 0; q < nrq; q++)
		u64set_free(&hits[q]);
	free(hits);
	u64set_free(&profset);
	return rc;
}

/* ---- rejects files ------------------------------------------------------- */

static int
is_word(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || c == '.' || c == '@' || c == '+' || c == '-' || (unsigned char)c >= 0x80;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * What a rejects line is tested against: doomed values lower-cased, as
 * whole tokens; phones by number.  A rejected line holds a number as
 * typed ("030 1234567", "+49 (0)30 1234567"), so each field of the line
 * that normalizes as a phone is compared by its E.164 form; a field that
 * does not normalize is compared with what the person supplied, as
 * written.  Never by a part of the number: two people's numbers may end
 * alike.
 */
struct needles {
	struct strmap words;	/* lower-cased value -> ident index */
	struct strmap phones;	/* E.164 -> ident index */
	struct strmap typed;	/* a phone request as given, lower-cased -> ident index + 1, or 0 */
	const char *cc;		/* country of national numbers */
};

static void
needles_typed(struct forget *g, struct needles *nd)
{
	for (size_t q = 0; q < g->nrq; q++) {
		const struct forget_request *r = &g->rq[q];
		struct strbuf e164 = STRBUF_INIT;
		const char *t;
		size_t len;
		long k = -1;
		char *lv;

		if (r->kind != FORGET_PHONE && r->kind != FORGET_ANY)
			continue;
		trimmed(r->text, &t, &len);
		if (!len)
			continue;
		if (norm_phone(t, len, nd->cc, &e164) == 0)
			k = ident_find(g, "phone", e164.buf, e164.len);
		else if (r->kind != FORGET_PHONE)
			continue;	/* not a phone: words match it */
		sb_free(&e164);
		lv = xstrndup(t, len);
		ascii_lower(lv, len);
		strmap_put(&nd->typed, lv, len, k + 1);
		explicit_bzero(lv, len);
		free(lv);
	}
}

static void
needles_make(struct forget *g, struct needles *nd)
{
	memset(nd, 0, sizeof *nd);
	nd->cc = g->o->default_country;
	for (size_t i = 0; i < g->nids; i++) {
		const struct ident *id = &g->ids[i];

		if (strcmp(id->type, "phone") == 0) {
			strmap_put(&nd->phones, id->value, id->len, (long)i);
		} else if (id->len) {
			char *lv = xstrndup(id->value, id->len);

			ascii_lower(lv, id->len);
			strmap_put(&nd->words, lv, id->len, (long)i);
			explicit_bzero(lv, id->len);
			free(lv);
		}
	}
	needles_typed(g, nd);
}

static void
needles_free(struct needles *nd)
{
	strmap_free(&nd->words);
	strmap_free(&nd->phones);
	strmap_free(&nd->typed);
}

/* 1 if one field holds a doomed phone: by E.164, else as typed. */
static int
phone_field_doomed(struct forget *g, const struct needles *nd, const char *f, size_t n)
{
	struct strbuf e164 = STRBUF_INIT;
	long k = -1;
	int hit = 0;
	size_t i;

	while (n && (*f == ' ' || *f == '\r'))
		f++, n--;
	while (n && (f[n - 1] == ' ' || f[n - 1] == '\r'))
		n--;
	for (i = 0; i < n && !is_digit(f[i]); i++)
		;
	if (i == n || n > 64)
		return 0;
	if (norm_phone(f, n, nd->cc, &e164) == 0) {
		if ((k = strmap_get(&nd->phones, e164.buf, e164.len)) >= 0)
			hit = 1;
	} else if ((k = strmap_get(&nd->typed, f, n)) >= 0) {
		hit = 1;
		k--;	/* stored as index + 1; 0: a number that names no ident */
	}
	sb_free(&e164);
	if (hit && k >= 0)
		g->ids[k].hit = 1;
	return hit;
}

/* Every field of the line, split at CSV punctuation, quotes dropped. */
static int
phone_doomed(struct forget *g, const struct needles *nd, const char *p, size_t n)
{
	if (!nd->phones.count && !nd->typed.count)
		return 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && !strchr(",;\t|\"\n", p[j]))
			j++;
		if (phone_field_doomed(g, nd, p + i, j - i))
			return 1;
		i = j + 1;
	}
	return 0;
}

/* 1 if the lower-cased record holds a needle; marks the ident hit. */
static int
record_doomed(struct forget *g, const struct needles *nd, const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		long k;

		if (!is_word(p[i])) {
			i++;
			continue;
		}
		while (j < n && is_word(p[j]))
			j++;
		/* the token, and again without sentence punctuation around it */
		for (size_t a = i, b = j; a < b; a++) {
			if ((k = strmap_get(&nd->words, p + a, b - a)) >= 0 ||
			    (b - a > 1 && (p[b - 1] == '.' || p[b - 1] == '-') &&
			    (k = strmap_get(&nd->words, p + a, b - a - 1)) >= 0)) {
				g->ids[k].hit = 1;
				return 1;
			}
			if (p[a] != '.' && p[a] != '-' && p[a] != '+')
				break;
		}
		i = j;
	}
	return phone_doomed(g, nd, p, n);
}

/* Length of the CSV record at p (through its newline), quotes respected. */
static size_t
csv_record_len(const char *p, size_t n)
{
	int q = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			q = !q;
		else if (p[i] == '\n' && !q)
			return i + 1;
	}
	return n;
}

/*
 * Rewrite one rejects file without the records that hold a doomed
 * identifier (case-insensitive).  The old file's blocks are zeroed
 * through a descriptor opened before the rename replaced it.
 */
static int
scrub_rejects(struct forget *g, const struct needles *nd, const char *path)
{
	struct strbuf in = STRBUF_INIT, low = STRBUF_INIT, out = STRBUF_INIT;
	char *dir = NULL, *slash;
	size_t removed = 0;
	int fd = -1, rc = -1;

	/* Never through a symlink: its target is not ours to rewrite. */
	fd = io_open_regular(path, g->o->dry_run ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;	/* deleted by its owner */
	if (io_read_fd(fd, &in) < 0) {
		cdp_seterr("%s: %s", path, strerror(errno));
		goto out;
	}
	sb_add(&low, in.buf ? in.buf : "", in.len);
	ascii_lower(low.buf, low.len);
	for (size_t off = 0, first = 1; off < in.len; first = 0) {
		size_t len = csv_record_len(in.buf + off, in.len - off);
		int doomed = 0;

		if (!first)
			doomed = record_doomed(g, nd, low.buf + off, len);
		if (doomed)
			removed++;
		else
			sb_add(&out, in.buf + off, len);
		off += len;
	}
	if (!removed) {
		rc = 0;
		goto out;
	}
	g->stats->reject_lines += removed;
	if (g->o->dry_run) {
		rc = 0;
		goto out;
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (io_replace_file(dir, path_base(path), out.buf ? out.buf : "", out.len) == -1)
		goto out;
	/* The old inode now has no name; its bytes must not survive it. */
	if (forget_wipe_fd(fd, path) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	sb_free(&in);
	sb_free(&low);
	sb_free(&out);
	return rc;
}

static int rename_rejects(struct forget *g, const char *path);

static int
forget_rejects(struct forget *g)
{
	struct strmap seen = { 0 };
	struct needles nd;
	int rc = 0;

	needles_make(g, &nd);
	for (size_t i = 0; i < g->st->ne && rc == 0; i++) {
		const char *rf = mentry_get(g->st->e[i], "rejects-file");

		if (!rf || strmap_get(&seen, rf, strlen(rf)) >= 0)
			continue;
		strmap_put(&seen, rf, strlen(rf), 1);
		rc = scrub_rejects(g, &nd, rf);
		if (rc == 0)
			rc = rename_rejects(g, rf);
	}
	needles_free(&nd);
	strmap_free(&seen);
	return rc;
}

/* ---- values in the manifest, file names and the audit log ----------------- */

#define ERASED_MARK "_erased_"
#define PII_MIN 3	/* shorter values would match by chance */

static void
pii_add(struct forget *g, const char *v, size_t len)
{
	char *lv;

	if (len < PII_MIN)
		return;
	lv = xstrndup(v, len);
	ascii_lower(lv, len);
	for (size_t i = 0; i < g->npii; i++) {
		if (strcmp(g->pii[i], lv) == 0) {
			explicit_bzero(lv, len);
			free(lv);
			return;
		}
	}
	g->pii = xreallocarray(g->pii, g->npii + 1, sizeof *g->pii);
	g->pii[g->npii++] = lv;
}

/* Every erased identifier value, and every request as it was given. */
static void
pii_make(struct forget *g)
{
	for (size_t i = 0; i < g->nids; i++)
		if (id_used(&g->ids[i]))
			pii_add(g, g->ids[i].value, g->ids[i].len);
	for (size_t q = 0; q < g->nrq; q++) {
		const char *t;
		size_t len;

		if (g->rq[q].kind == FORGET_PROFILE)
			continue;
		trimmed(g->rq[q].text, &t, &len);
		if (g->rq[q].kind == FORGET_ANY && !g->rq[q].found)
			continue;	/* named nobody: may be anything */
		pii_add(g, t, len);
	}
}

static void
pii_free(struct forget *g)
{
	for (size_t i = 0; i < g->npii; i++) {
		explicit_bzero(g->pii[i], strlen(g->pii[i]));
		free(g->pii[i]);
	}
	free(g->pii);
}

/*
 * s[0..n) with every case-insensitive occurrence of an erased value
 * replaced by ERASED_MARK, appended to out; the number replaced.
 */
static size_t
pii_scrub(const struct forget *g, const char *s, size_t n, struct strbuf *out)
{
	char *low = xstrndup(s, n);
	size_t pos = 0, hits = 0;

	ascii_lower(low, n);
	while (pos < n) {
		const char *best = NULL;
		size_t blen = 0;

		for (size_t i = 0; i < g->npii; i++) {
			size_t l = strlen(g->pii[i]);
			const char *h = memmem(low + pos, n - pos, g->pii[i], l);

			if (h && (!best || h < best || (h == best && l > blen)))
				best = h, blen = l;
		}
		if (!best)
			break;
		sb_add(out, s + pos, (size_t)(best - low) - pos);
		sb_adds(out, ERASED_MARK);
		pos = (size_t)(best - low) + blen;
		hits++;
	}
	sb_add(out, s + pos, n - pos);
	explicit_bzero(low, n);
	free(low);
	return hits;
}

/* A rejects file's path with its file name scrubbed (NULL: unchanged). */
static char *
scrubbed_path(const struct forget *g, const char *path)
{
	const char *base = path_base(path);
	struct strbuf sb = STRBUF_INIT;

	sb_add(&sb, path, (size_t)(base - path));
	if (!pii_scrub(g, base, strlen(base), &sb)) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb, NULL);
}

static int
all_digits_n(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* Keys whose values the programs make (names, times, hashes, counts). */
static int
structural_key(const char *key)
{
	static const char *const keys[] = { "file", "sha256", "time", "saved", "as-of", "table",
		"kind", "format", "role-columns", "records", "members", "redacted", NULL };

	for (int i = 0; keys[i]; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* 1 for a reference make_reference() made: forget-YYYYMMDDTHHMMSSZ-xxxxxxxx */
static int
generated_ref(const char *p, size_t n)
{
	static const char pat[] = "forget-DDDDDDDDTDDDDDDZ-XXXXXXXX";

	if (n != sizeof pat - 1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (pat[i] == 'D' ? !is_digit(p[i]) :
		    pat[i] == 'X' ? !strchr("0123456789abcdef", p[i]) || !p[i] : p[i] != pat[i])
			return 0;
	}
	return 1;
}

/*
 * An audit line with its free-text fields (ref=, sources=) scrubbed;
 * times and keyed hashes are left alone: a short value would match
 * inside them by chance.  The number of values replaced.
 */
static size_t
scrub_audit_text(const struct forget *g, const char *p, size_t n, struct strbuf *out)
{
	size_t hits = 0, i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != ' ' && p[j] != '\n')
			j++;
		if ((j - i > 4 && memcmp(p + i, "ref=", 4) == 0 && !generated_ref(p + i + 4, j - i - 4)) ||
		    (j - i > 8 && memcmp(p + i, "sources=", 8) == 0))
			hits += pii_scrub(g, p + i, j - i, out);
		else
			sb_add(out, p + i, j - i);
		if (j < n)
			sb_addc(out, p[j]);
		i = j + 1;
	}
	return hits;
}

/*
 * Scrub the manifest in memory: an input path, a saved segment's
 * expression (marked redacted=1: it no longer selects what it did),
 * any other value naming an erased value.  Checksums, file names and
 * numbers cannot hold one and are left alone.
 */
static void
scrub_manifest(struct forget *g)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < g->st->ne; i++) {
		struct mentry *e = g->st->e[i];

		for (size_t k = 0; k < e->nkv; k++) {
			const char *key = e->keys[k], *v = e->vals[k];
			char *np;

			if (structural_key(key) || all_digits_n(v))
				continue;
			if (strcmp(key, "rejects-file") == 0) {
				if ((np = scrubbed_path(g, v)) != NULL) {
					if (!g->o->dry_run)
						mentry_set(e, key, "%s", np);
					g->stats->scrubbed++;
					free(np);
				}
				continue;
			}
			sb_reset(&sb);
			if (!pii_scrub(g, v, strlen(v), &sb))
				continue;
			g->stats->scrubbed++;
			if (!g->o->dry_run)
				mentry_set(e, key, "%s", sb.buf);
			if (strcmp(e->kind, "segdef") == 0 && strcmp(key, "expr") == 0) {
				g->stats->segdefs_redacted++;
				if (!g->o->dry_run)
					mentry_set(e, "redacted", "1");
			}
		}
	}
	sb_free(&sb);
}

/*
 * Give a rejects file whose name holds an erased value the scrubbed
 * name (the manifest is scrubbed alike).  Idempotent: a re-run finds
 * the file renamed already.
 */
static int
rename_rejects(struct forget *g, const char *path)
{
	char *np = scrubbed_path(g, path);
	int rc = 0;

	if (!np)
		return 0;
	if (!g->o->dry_run && access(np, F_OK) < 0 && rename(path, np) < 0 && errno != ENOENT)
		rc = cdp_seterr("%s: cannot rename: %s", path, strerror(errno));
	free(np);
	return rc;
}

/* Rewrite the audit log without erased values (a reference may hold one). */
static int
scrub_audit_log(struct forget *g)
{
	char *path = store_path(g->st, AUDIT_FILE);
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	int fd = -1, rc = 0;

	if (io_read_file(path, &in) < 0) {
		if (errno != ENOENT)
			rc = cdp_seterr("%s: %s", path, strerror(errno));
	} else if (scrub_audit_text(g, in.buf ? in.buf : "", in.len, &out) && !g->o->dry_run) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || io_replace_file(g->st->dir, AUDIT_FILE, out.buf, out.len) == -1 ||
		    forget_wipe_fd(fd, path) < 0)
			rc = fd < 0 ? cdp_seterr("%s: %s", path, strerror(errno)) : -1;
	}
	if (fd >= 0)
		close(fd);
	sb_free(&in);
	sb_free(&out);
	free(path);
	return rc;
}

/* The new audit line holds no erased value either (say, in a reference). */
static void
scrub_line(struct forget *g, struct strbuf *line)
{
	struct strbuf out = STRBUF_INIT;

	if (scrub_audit_text(g, line->buf, line->len, &out)) {
		sb_reset(line);
		sb_add(line, out.buf, out.len);
	}
	sb_free(&out);
}

/* ---- removal list for destinations ------------------------------------- */

static void
sha256_hex(const char *s, size_t n, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, n, (const uint8_t *)s);
	sha256_digest(&ctx, sizeof d, d);
	for (size_t i = 0; i < sizeof d; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}

/*
 * The erased e-mails and phones hashed as the export presets hash them
 * (cdp-export(1)), one value per row: google-ads SHA-256 of the
 * normalized e-mail (Gmail dots dropped) and of the E.164 phone; meta
 * the same without Google's Gmail rule and with the phone's digits only.
 */
static int
write_removals(struct forget *g)
{
	int google = strcmp(g->o->dest_preset, "google-ads") == 0;
	FILE *f = g->o->dest;
	struct strbuf v = STRBUF_INIT;
	char hex[65];

	fputs(google ? "Email,Phone\n" : "EMAIL,PHONE\n", f);
	for (size_t i = 0; i < g->nids; i++) {
		const struct ident *id = &g->ids[i];
		int email = strcmp(id->type, "email") == 0;

		if (!id_used(id) || (!email && strcmp(id->type, "phone") != 0))
			continue;
		sb_reset(&v);
		sb_add(&v, id->value, id->len);
		if (email && google) {
			char *at = strchr(v.buf, '@');

			if (at && (strcmp(at, "@gmail.com") == 0 || strcmp(at, "@googlemail.com") == 0)) {
				char *w = v.buf;

				for (char *r = v.buf; *r; r++)
					if (r >= at || *r != '.')
						*w++ = *r;
				*w = '\0';
				v.len = (size_t)(w - v.buf);
			}
		}
		if (!email && !google && v.len && v.buf[0] == '+') {
			memmove(v.buf, v.buf + 1, v.len);
			v.len--;
		}
		if (!v.len)
			continue;
		sha256_hex(v.buf, v.len, hex);
		fprintf(f, email ? "%s,\n" : ",%s\n", hex);
	}
	sb_free(&v);
	if (fflush(f) != 0 || ferror(f))
		return cdp_seterr("removal list: write failed: %s", strerror(errno));
	return 0;
}

/* ---- the audit log ---------------------------------------------------------- */

static void
make_reference(const char *given, char *out, size_t size)
{
	uint8_t rnd[4] = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	size_t k = 0;

	if (given && *given) {
		/* one token: no spaces, no control bytes, bounded */
		for (const char *p = given; *p && k + 1 < size; p++)
			out[k++] = (unsigned char)*p <= ' ' || *p == 0x7f ? '_' : *p;
		out[k] = '\0';
		return;
	}
	if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) < 0)
		rnd[0] = (uint8_t)getpid();
	gmtime_r(&now, &tm);
	k = strftime(out, size, "forget-%Y%m%dT%H%M%SZ-", &tm);
	snprintf(out + k, size - k, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
}

/* time ref=R requested=type:hmac,... profiles=N rows=N sources=a:1,b:2 ... */
static void
audit_line(struct forget *g, struct forget_request *rq, size_t nrq, const uint8_t *key,
    struct strbuf *sb)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[32], hex[SUPPRESS_HEXLEN + 1];
	const struct forget_stats *s = g->stats;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sb_addf(sb, "%s forget ref=%s requested=", when, s->reference);
	for (size_t q = 0; q < nrq; q++) {
		static const char *const kinds[] = { "any", "profile", "email", "phone", "customer_id" };
		struct reading rd[6];
		size_t nr = readings(&rq[q], g->o->default_country, rd);
		const char *val = rq[q].text;
		size_t len = strlen(val);

		/* the normalized form, so the same person always hashes alike */
		if (rq[q].kind != FORGET_ANY && rq[q].kind != FORGET_PROFILE && nr && rd[0].val.len) {
			val = rd[0].val.buf;
			len = rd[0].val.len;
		}
		suppress_hmac(key, val, len, hex);
		sb_addf(sb, "%s%s:%s%s", q ? "," : "", kinds[rq[q].kind], hex,
		    rq[q].found ? "" : "(not-found)");
		readings_free(rd);
	}
	sb_addf(sb, " profiles=%llu identifiers=%llu rows=%llu", (unsigned long long)s->profiles,
	    (unsigned long long)s->identifiers, (unsigned long long)s->rows);
	sb_adds(sb, " sources=");
	for (size_t i = 0; i < s->nsrc; i++) {
		sb_addf(sb, "%s", i ? "," : "");
		for (const char *p = s->src[i].name; *p; p++)
			sb_addc(sb, (unsigned char)*p <= ' ' || *p == ',' || *p == ':' ? '_' : *p);
		sb_addf(sb, ":%llu", (unsigned long long)s->src[i].rows);
	}
	if (!s->nsrc)
		sb_adds(sb, "-");
	sb_addf(sb, " other-rows=%llu segments=%llu reject-lines=%llu suppressed=%llu",
	    (unsigned long long)s->other_rows, (unsigned long long)s->segments,
	    (unsigned long long)s->reject_lines, (unsigned long long)s->suppressed);
}

/* Append one line unless the log already holds it (a finished re-run). */
static int
audit_append(struct store *st, const char *line)
{
	char *path = store_path(st, AUDIT_FILE);
	struct strbuf sb = STRBUF_INIT;
	int fd, rc = -1;
	size_t len = strlen(line);

	if (io_read_file(path, &sb) == 0) {
		for (const char *p = sb.buf; p && p < sb.buf + sb.len;) {
			const char *nl = memchr(p, '\n', (size_t)(sb.buf + sb.len - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(sb.buf + sb.len - p);

			if (l == len && memcmp(p, line, len) == 0) {
				rc = 0;
				goto out;
			}
			p = nl ? nl + 1 : NULL;
		}
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		cdp_seterr("%s: %s", path, strerror(errno));
		goto out;
	}
	sb_reset(&sb);
	sb_add(&sb, line, len);
	sb_addc(&sb, '\n');
	/* one write of the whole line: O_APPEND keeps lines whole */
	if (io_write_all(fd, sb.buf, sb.len) < 0 || io_fsync(fd) < 0) {
		cdp_seterr("%s: write failed: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	sb_free(&sb);
	free(path);
	return rc;
}

int
forget_log_print(struct store *st, FILE *out)
{
	char *path = store_path(st, AUDIT_FILE);
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	if (io_read_file(path, &sb) < 0) {
		if (errno != ENOENT)
			rc = cdp_seterr("%s: %s", path, strerror(errno));
	} else if (sb.len) {
		fwrite(sb.buf, 1, sb.len, out);
	}
	sb_free(&sb);
	free(path);
	return rc;
}

/* ---- wiping ------------------------------------------------------------- */

int
forget_wipe_fd(int fd, const char *name)
{
	static const char zeros[65536];
	struct stat sb;
	off_t left;

	if (fstat(fd, &sb) < 0)
		return cdp_seterr("%s: %s", name, strerror(errno));
	if (lseek(fd, 0, SEEK_SET) < 0)
		return cdp_seterr("%s: %s", name, strerror(errno));
	/* In place, same length: on an overwrite-in-place file system
	 * (ext4, xfs) these are the very blocks that held the data. */
	for (left = sb.st_size; left > 0;) {
		size_t k = left > (off_t)sizeof zeros ? sizeof zeros : (size_t)left;

		if (io_write_all(fd, zeros, k) < 0)
			return cdp_seterr("%s: cannot wipe: %s", name, strerror(errno));
		left -= (off_t)k;
	}
	if (io_fsync(fd) < 0)
		return cdp_seterr("%s: cannot wipe: fsync: %s", name, strerror(errno));
	return 0;
}

int
forget_wipe_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW), rc;

	if (fd < 0)
		return errno == ENOENT ? 0 : cdp_seterr("%s: %s", path, strerror(errno));
	rc = forget_wipe_fd(fd, path);
	close(fd);
	if (rc == 0 && unlink(path) < 0 && errno != ENOENT)
		rc = cdp_seterr("%s: cannot remove: %s", path, strerror(errno));
	return rc;
}

/* Zero, fsync and unlink a file of the store that no manifest names. */
static int
wipe_unlink(struct store *st, const char *name)
{
	char *path = store_path(st, name);
	int rc = forget_wipe_path(path);

	free(path);
	return rc;
}

int
forget_leftovers_open(const char *dir, struct forget_leftovers *lo)
{
	struct store_opts so = { 0, 0, 0 };
	struct store *st;
	DIR *d;
	struct dirent *de;

	memset(lo, 0, sizeof *lo);
	/* A reader's look: no lock yet.  A file unnamed now may be a live
	 * writer's work in progress; forget_recover() checks again under
	 * the lock before wiping anything. */
	st = store_open(dir, &so, NULL);
	if (!st)
		return 0;	/* no store: store_open for writing will say so */
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		char *p;
		int fd;

		if (strncmp(de->d_name, "seg-", 4) != 0 || store_names_file(st, de->d_name))
			continue;
		p = store_path(st, de->d_name);
		fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		free(p);
		if (fd < 0)
			continue;
		lo->fds = xreallocarray(lo->fds, lo->n + 1, sizeof *lo->fds);
		lo->names = xreallocarray(lo->names, lo->n + 1, sizeof *lo->names);
		lo->fds[lo->n] = fd;
		lo->names[lo->n] = xstrdup(de->d_name);
		lo->n++;
	}
	if (d)
		closedir(d);
	store_close(st);
	return 0;
}

int
forget_recover(struct store *st, struct forget_leftovers *lo, int wait)
{
	int rc = 0, dirty = 0;

	/* Readers of an older generation may still read a leftover. */
	if (lo->n && store_wait_readers(st, wait) != 0)
		rc = 1;

	/*
	 * Why this suffices: a forget killed after its commit leaves its
	 * old segment files unnamed.  store_open() for writing has just
	 * unlinked them (cleanup) -- but we opened them before, so their
	 * inodes live on through our descriptors and can still be zeroed.
	 * A file that the manifest names now (a concurrent writer committed
	 * it meanwhile) is live data and is left alone.
	 */
	for (size_t i = 0; i < lo->n; i++) {
		if (rc == 0 && !store_names_file(st, lo->names[i])) {
			char *p = store_path(st, lo->names[i]);

			rc = forget_wipe_fd(lo->fds[i], p);
			unlink(p);
			free(p);
		}
		close(lo->fds[i]);
		free(lo->names[i]);
	}
	free(lo->fds);
	free(lo->names);
	memset(lo, 0, sizeof *lo);
	rc = rc > 0 ? 0 : rc;	/* still read: the next writer wipes them */
	/* Those unlinks (ours or cleanup's) must be durable too. */
	if (io_fsync_dir(st->dir) < 0 && rc == 0)
		rc = cdp_seterr("%s: fsync failed: %s", st->dir, strerror(errno));
	if (rc < 0)
		return rc;
	/* Committed forgets whose audit line may be missing. */
	for (size_t i = st->ne; i-- > 0;) {
		struct mentry *e = st->e[i];
		const char *line = mentry_get(e, "audit");

		if (strcmp(e->kind, "forget") != 0)
			continue;
		if (line && audit_append(st, line) < 0)
			return -1;
		store_remove(st, e);
		dirty = 1;
	}
	if (dirty && store_commit(st) < 0)
		return -1;
	return 0;
}

/*
 * After the commit: zero and unlink the old files once no reader of an
 * older generation can still read them.  Files still in use when the
 * wait ends stay, unnamed, for the next writer's cleanup to wipe.
 */
static int
wipe_old(struct forget *g)
{
	int w = g->nold ? store_wait_readers(g->st, 0) : 0;

	if (w > 0 && g->o->wipe_wait > 0) {
		if (g->o->notice)
			fprintf(g->o->notice, "%s: erased; waiting (at most %d s, see --wipe-wait) for "
			    "programs still reading the old data before wiping it\n", cdp_progname(),
			    g->o->wipe_wait);
		w = store_wait_readers(g->st, g->o->wipe_wait);
	}
	if (w < 0)
		return -1;
	if (w > 0) {
		g->stats->unwiped = g->nold;
		return 0;
	}
	for (size_t i = 0; i < g->nold; i++)
		if (wipe_unlink(g->st, g->oldfiles[i]) < 0)
			return -1;
	return 0;
}

/* ---- the whole forget ------------------------------------------------------ */

/* Apply the changes to the manifest in memory: each new entry takes its
 * old entry's place (merge reads records in manifest order). */
static void
apply_changes(struct forget *g)
{
	struct store *st = g->st;
	uint64_t profiles_gone = g->stats->profiles;
	struct mentry *state;

	for (size_t k = 0; k < g->nch; k++) {
		struct change *c = &g->ch[k];
		struct mentry *old = store_find(st, "segment", c->old_id);
		size_t pos;

		if (!old)
			continue;
		for (pos = 0; st->e[pos] != old; pos++)
			;
		if (c->new_id) {
			struct mentry *e = store_add(st, "segment", c->new_id);

			old = st->e[pos];
			for (size_t i = 0; i < old->nkv; i++)
				mentry_set(e, old->keys[i], "%s", old->vals[i]);
			mentry_set(e, "rows", "%llu", (unsigned long long)c->rows);
			mentry_set(e, "file", "%s", c->new_file);
			if (mentry_get(old, "records"))
				mentry_set(e, "records", "%llu", (unsigned long long)c->records);
			if (c->krange) {
				mentry_set(e, "kmin", "%llu", (unsigned long long)c->kmin);
				mentry_set(e, "kmax", "%llu", (unsigned long long)c->kmax);
			}
			st->e[st->ne - 1] = old;
			st->e[pos] = e;
			/* entries that point at the old segment: a run's members */
			for (size_t i = 0; i < st->ne; i++) {
				struct mentry *r = st->e[i];

				if (strcmp(r->kind, "segment") != 0 && mentry_get(r, "members") &&
				    mentry_getu(r, "members") == c->old_id) {
					mentry_set(r, "members", "%llu", (unsigned long long)c->new_id);
					if (mentry_get(r, "size"))
						mentry_set(r, "size", "%llu", (unsigned long long)c->rows);
				}
			}
		}
		g->oldfiles = xreallocarray(g->oldfiles, g->nold + 1, sizeof *g->oldfiles);
		g->oldfiles[g->nold++] = xstrdup(mentry_get(old, "file"));
		store_remove(st, old);
	}
	/*
	 * store_commit() would unlink removed files right after the rename;
	 * we take them over to zero them first (step 5 above).
	 */
	for (size_t i = 0; i < st->ndoomed; i++)
		free(st->doomed[i]);
	st->ndoomed = 0;
	state = store_find(st, "merge", 1);
	if (state && mentry_get(state, "profiles")) {
		uint64_t p = mentry_getu(state, "profiles");

		mentry_set(state, "profiles", "%llu",
		    (unsigned long long)(p > profiles_gone ? p - profiles_gone : 0));
	}
}

static void
forget_free(struct forget *g, int unlink_new)
{
	for (size_t k = 0; k < g->nch; k++) {
		if (unlink_new && g->ch[k].new_file) {
			char *p = store_path(g->st, g->ch[k].new_file);

			unlink(p);
			free(p);
		}
		free(g->ch[k].new_file);
	}
	free(g->ch);
	rewrites_free(g);
	for (size_t i = 0; i < g->nold; i++)
		free(g->oldfiles[i]);
	free(g->oldfiles);
	for (size_t i = 0; i < g->nids; i++) {
		/* identifier values are personal data: do not leave them in freed memory */
		explicit_bzero(g->ids[i].value, g->ids[i].len);
		free(g->ids[i].type);
		free(g->ids[i].value);
	}
	free(g->ids);
	pii_free(g);
	strmap_free(&g->idset);
	u64set_free(&g->doomed);
	free(g->dids);
	mergemap_free(&g->mm);
	if (g->have_cfg)
		merge_config_free(&g->cfg);
	sb_free(&g->key);
}

static void
listing(struct forget *g, struct forget_request *rq, size_t nrq)
{
	FILE *f = g->o->listing;
	const struct forget_stats *s = g->stats;

	if (!f)
		return;
	for (size_t q = 0; q < nrq; q++)
		fprintf(f, "%s\t%s\n", rq[q].text,
		    rq[q].nprofiles ? "found" : rq[q].found ? "found (not merged)" : "not found");
	fprintf(f, "would erase %llu profiles, %llu records (", (unsigned long long)s->profiles,
	    (unsigned long long)s->rows);
	for (size_t i = 0; i < s->nsrc; i++)
		fprintf(f, "%s%s %llu", i ? ", " : "", s->src[i].name, (unsigned long long)s->src[i].rows);
	fprintf(f, "%s), %llu other rows, %llu identifiers, %llu reject lines; %llu segments to rewrite\n",
	    s->nsrc ? "" : "none", (unsigned long long)s->other_rows,
	    (unsigned long long)s->identifiers, (unsigned long long)s->reject_lines,
	    (unsigned long long)s->segments);
}

int
forget_run(struct store *st, struct forget_request *rq, size_t nrq, const struct forget_opts *o,
    struct forget_stats *stats)
{
	struct forget g;
	struct suppress sup = { 0 };
	uint8_t key[SUPPRESS_KEYLEN];
	struct strbuf line = STRBUF_INIT;
	struct mentry *fe;
	char *confpath;
	double start = now_seconds();
	int rc = -1, committed = 0;

	memset(&g, 0, sizeof g);
	memset(stats, 0, sizeof *stats);
	g.st = st;
	g.o = o;
	g.stats = stats;
	g.rq = rq;
	g.nrq = nrq;
	make_reference(o->reference, stats->reference, sizeof stats->reference);
	confpath = store_path(st, "merge.conf");
	g.have_cfg = merge_config_load(&g.cfg, confpath) == 0;
	free(confpath);
	if (mergemap_load(st, &g.mm) < 0)
		goto out;
	if (resolve(&g, rq, nrq) < 0)
		goto out;
	if (forget_records(&g) < 0 || forget_tables(&g) < 0 || run_rewrites(&g) < 0)
		goto out;
	pii_make(&g);
	if (forget_rejects(&g) < 0)
		goto out;
	for (size_t i = 0; i < g.nids; i++)
		stats->identifiers += id_used(&g.ids[i]);
	/* Found: named a profile, or its identifier was in some row. */
	for (size_t q = 0; q < nrq; q++) {
		struct reading rd[6];
		size_t nr = readings(&rq[q], o->default_country, rd);

		for (size_t k = 0; k < nr && !rq[q].found; k++) {
			long i = rd[k].type ? ident_find(&g, rd[k].type, rd[k].val.buf, rd[k].val.len) : -1;

			if (i >= 0 && g.ids[i].hit)
				rq[q].found = 1;
		}
		readings_free(rd);
		stats->notfound += !rq[q].found;
	}
	pii_make(&g);
	scrub_manifest(&g);
	if (o->dry_run) {
		listing(&g, rq, nrq);
		rc = 0;
		goto out;
	}
	/* Nothing to do is done: no commit, no audit line. */
	if (!g.nch && !stats->reject_lines && !stats->identifiers && !stats->scrubbed) {
		rc = 0;
		goto out;
	}
	if (o->dest_preset && o->dest && write_removals(&g) < 0)
		goto out;
	/* The secret exists before any hash made with it is kept. */
	if (suppress_secret(st, key, 1) < 0)
		goto out;
	if (o->suppress) {
		if (suppress_load(st, &sup) < 0)
			goto out;
		for (size_t i = 0; i < g.nids; i++) {
			if (!id_used(&g.ids[i]))
				continue;
			int r = suppress_add(&sup, g.ids[i].type, g.ids[i].value, g.ids[i].len);

			if (r < 0)
				goto out;
			stats->suppressed += (uint64_t)r;
		}
		/* Before the commit: once the person is gone from the store a
		 * re-run could no longer find the values to hash. */
		if (stats->suppressed && suppress_save(st, &sup) == -1)
			goto out;
	}
	if (scrub_audit_log(&g) < 0)
		goto out;
	audit_line(&g, rq, nrq, key, &line);
	explicit_bzero(key, sizeof key);
	scrub_line(&g, &line);
	apply_changes(&g);
	fe = store_add(st, "forget", store_new_id(st));
	mentry_set(fe, "audit", "%s", line.buf);
	/* The commit point: the erasure takes effect here, all at once. */
	switch (store_commit(st)) {
	case 0:
		break;
	case -2:
		/* Published, durability unknown: keep every file both
		 * manifests may name; a re-run wipes what is left. */
		committed = 1;
		for (size_t k = 0; k < g.nch; k++) {
			free(g.ch[k].new_file);
			g.ch[k].new_file = NULL;
		}
		rc = -2;
		goto out;
	default:
		goto out;
	}
	committed = 1;
	for (size_t k = 0; k < g.nch; k++) {
		free(g.ch[k].new_file);
		g.ch[k].new_file = NULL;
	}
	stats->seconds = now_seconds() - start;
	if (wipe_old(&g) < 0) {
		rc = -2;
		goto out;
	}
	if (io_fsync_dir(st->dir) < 0) {
		cdp_seterr("%s: fsync failed: %s", st->dir, strerror(errno));
		rc = -2;
		goto out;
	}
	if (audit_append(st, line.buf) < 0) {
		rc = -2;
		goto out;
	}
	store_remove(st, fe);
	if (store_commit(st) < 0) {
		rc = -2;
		goto out;
	}
	rc = 0;
	if (stats->unwiped) {
		cdp_seterr("%llu old segment files are still open in programs that read the store "
		    "before the erasure; they are wiped by the next writer once those end",
		    (unsigned long long)stats->unwiped);
		rc = -2;
	}
out:
	stats->seconds = now_seconds() - start;
	forget_free(&g, !committed);
	suppress_free(&sup);
	sb_free(&line);
	return rc;
}

void
forget_stats_free(struct forget_stats *stats)
{
	for (size_t i = 0; i < stats->nsrc; i++)
		free(stats->src[i].name);
	free(stats->src);
	stats->src = NULL;
	stats->nsrc = 0;
}

int
forget_unsuppress(struct store *st, struct forget_request *rq, size_t nrq,
    const struct forget_opts *o, uint64_t *lifted)
{
	struct suppress sup;
	struct strbuf line = STRBUF_INIT;
	char ref[96], hex[SUPPRESS_HEXLEN + 1], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc = -1;

	*lifted = 0;
	if (suppress_load(st, &sup) < 0)
		return -1;
	make_reference(o->reference, ref, sizeof ref);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sb_addf(&line, "%s unsuppress ref=%s requested=", when, ref);
	for (size_t q = 0; q < nrq; q++) {
		struct reading rd[6];
		size_t nr = readings(&rq[q], o->default_country, rd);

		for (size_t k = 0; k < nr; k++) {
			if (!rd[k].type)
				continue;
			if (suppress_remove(&sup, rd[k].type, rd[k].val.buf, rd[k].val.len)) {
				rq[q].found = 1;
				(*lifted)++;
			}
		}
		if (sup.has_key) {
			size_t k = 0;

			while (k < nr && !rd[k].type)
				k++;
			if (k < nr)
				suppress_hmac(sup.key, rd[k].val.buf, rd[k].val.len, hex);
			else
				suppress_hmac(sup.key, rq[q].text, strlen(rq[q].text), hex);
			sb_addf(&line, "%s%s%s", q ? "," : "", hex, rq[q].found ? "" : "(not-found)");
		}
		readings_free(rd);
	}
	sb_addf(&line, " lifted=%llu", (unsigned long long)*lifted);
	if (*lifted) {
		if (suppress_save(st, &sup) == -1)
			goto out;
		if (audit_append(st, line.buf) < 0)
			goto out;
	}
	rc = 0;
out:
	suppress_free(&sup);
	sb_free(&line);
	return rc;
}
