/*
 * report.c - the reports of cdp-report, computed from the store.
 *
 * One pass over the records segments (scan()) reads only the columns
 * the report asks for, maps each row to its live profile (a dense index
 * built from the profiles table) and keeps what the report needs: the
 * orders, the campaign touches, the funnel events (each a fixed-size
 * struct), or per profile its last activity and its sources.  Each
 * report then sorts those by (profile, time) and walks them once.
 *
 * Invariants: scan() keeps no row at or after as_of and counts each
 * order id once (the first row in manifest order wins, before any other
 * filter, so the kept row does not depend on the options); the segment
 * filter (member[]) is applied by the reports, so population-wide
 * figures such as RFM quintiles never depend on the segment.
 */
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "merge.h"
#include "normalize.h"
#include "out.h"
#include "profiles.h"
#include "report.h"

static const char *const kind_names[] = { "overview", "campaigns", "funnel", "cohorts", "rfm",
	"segments", "quality", NULL };

static const char *const campaign_columns[] = { "context.campaign.name", "utm_campaign",
	"campaign", "properties.campaign", "properties.utm_campaign", NULL };

static const char *const order_id_columns[] = { "order_id", "properties.order_id", "_message_id",
	NULL };

int
report_kind_parse(const char *name)
{
	for (int i = 0; kind_names[i]; i++)
		if (strcmp(kind_names[i], name) == 0)
			return i;
	return -1;
}

const char *
report_kind_name(int kind)
{
	return kind >= 0 && kind <= REPORT_QUALITY ? kind_names[kind] : "?";
}

int
report_parse_duration(const char *s, int64_t *us)
{
	char *end;
	double x = strtod(s, &end);
	double unit = 86400.0;

	if (end == s || x < 0)
		return -1;
	if (*end == 'w' && !end[1])
		unit = 7 * 86400.0;
	else if (*end == 'd' && !end[1])
		unit = 86400.0;
	else if (*end == 'h' && !end[1])
		unit = 3600.0;
	else if (*end == 'm' && !end[1])
		unit = 60.0;
	else if (*end == 's' && !end[1])
		unit = 1.0;
	else if (*end)
		return -1;
	if (x * unit > 1e11)
		return -1;
	*us = (int64_t)llround(x * unit * 1e6);
	return 0;
}

int
report_parse_time(const char *s, int end, int64_t *us)
{
	struct time_opts to = { NULL, 0, 0 };
	int fmt;

	if (norm_time(s, strlen(s), &to, us, &fmt) < 0)
		return -1;
	if (end && fmt == TF_DATE)
		*us += REPORT_DAY;
	return 0;
}

/*
 * The common 5x5 map of recency and frequency to named groups.  The
 * ranges overlap, so the first rule that matches wins; man/cdp-report.1
 * prints the resulting grid.
 */
static const struct {
	const char *name;
	int rlo, rhi, flo, fhi;
} rfm_rules[] = {
	{ "champions", 4, 5, 4, 5 },
	{ "loyal", 3, 5, 3, 5 },
	{ "can't lose", 1, 1, 5, 5 },
	{ "at risk", 1, 2, 3, 5 },
	{ "new", 5, 5, 1, 1 },
	{ "promising", 4, 4, 1, 1 },
	{ "potential loyalists", 4, 5, 1, 3 },
	{ "need attention", 3, 3, 2, 3 },
	{ "about to sleep", 3, 3, 1, 2 },
	{ "lost", 1, 1, 1, 1 },
	{ "hibernating", 1, 2, 1, 2 },
};
#define NRULES (sizeof rfm_rules / sizeof rfm_rules[0])

const char *
rfm_group(int r, int f)
{
	for (size_t i = 0; i < NRULES; i++)
		if (r >= rfm_rules[i].rlo && r <= rfm_rules[i].rhi && f >= rfm_rules[i].flo &&
		    f <= rfm_rules[i].fhi)
			return rfm_rules[i].name;
	return "unscored";
}

/* ---- the result table -------------------------------------------------- */

static void
rep_init(struct report *r, const char *title)
{
	memset(r, 0, sizeof *r);
	r->title = xstrdup(title);
}

static void
rep_col(struct report *r, const char *name, int kind)
{
	r->names = xreallocarray(r->names, r->ncols + 1, sizeof *r->names);
	r->kinds = xreallocarray(r->kinds, r->ncols + 1, sizeof *r->kinds);
	r->names[r->ncols] = xstrdup(name);
	r->kinds[r->ncols] = kind;
	r->ncols++;
}

/* Start a row; its cells are then set with rep_set*(). */
static void
rep_row(struct report *r)
{
	if (r->nrows == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->cells = xreallocarray(r->cells, r->cap, r->ncols * sizeof *r->cells);
	}
	memset(&r->cells[r->nrows * r->ncols], 0, r->ncols * sizeof *r->cells);
	r->nrows++;
}

static void rep_setf(struct report *r, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Cells are numbers and short labels: 256 bytes is room enough. */
static void
rep_setf(struct report *r, size_t col, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	r->cells[(r->nrows - 1) * r->ncols + col] = xstrdup(buf);
}

static void
rep_setu(struct report *r, size_t col, uint64_t v)
{
	rep_setf(r, col, "%llu", (unsigned long long)v);
}

static void
rep_setmoney(struct report *r, size_t col, double v)
{
	rep_setf(r, col, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
}

/*
 * An amount of money per order or per profile: totals are sums of whole
 * cents, so round them to cents and divide as cdp-merge does (half away
 * from zero), not in binary floating point (562.30 / 4 is 140.58).
 */
static double
money_per(double total, uint64_t n)
{
	if (!n)
		return NAN;
	if (!(fabs(total) < 9e16))
		return total / (double)n;	/* beyond whole cents in a double anyway */
	return (double)cents_div(llround(total * 100), (int64_t)n) / 100;
}

/* A share; null when the whole is zero, so no one reads 0/0 as 0 %. */
static void
rep_setshare(struct report *r, size_t col, double part, double whole)
{
	if (whole > 0)
		rep_setf(r, col, "%.4f", part / whole);
}

void
report_free(struct report *r)
{
	struct chart *c = &r->chart;

	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	for (size_t i = 0; i < r->ncols; i++)
		free(r->names[i]);
	free(r->cells);
	free(r->names);
	free(r->kinds);
	free(r->title);
	free(r->subtitle);
	for (size_t i = 0; i < c->nx; i++)
		free(c->xlabels[i]);
	for (size_t i = 0; i < c->ny; i++)
		free(c->ylabels[i]);
	free(c->xlabels);
	free(c->ylabels);
	free(c->v);
	free(c->title);
	memset(r, 0, sizeof *r);
}

/* A chart of nx by ny values, all NAN, labels to be set by the caller. */
static void
chart_init(struct chart *c, int type, const char *title, size_t nx, size_t ny)
{
	c->type = type;
	c->title = xstrdup(title);
	c->nx = nx;
	c->ny = ny;
	c->xlabels = xcalloc(nx ? nx : 1, sizeof *c->xlabels);
	c->ylabels = xcalloc(ny ? ny : 1, sizeof *c->ylabels);
	c->v = xcalloc(nx * ny + 1, sizeof *c->v);
	for (size_t i = 0; i < nx * ny; i++)
		c->v[i] = NAN;
}

/* ---- reading the store -------------------------------------------------- */

struct ctx {
	struct store *st;
	const struct report_opts *o;
	struct merge_config mc;
	struct mergemap mm;
	struct segment **segs;	/* records */
	size_t nsegs;
	int32_t *dense;		/* profile id -> index, -1 */
	int64_t maxid;
	int64_t *pid;		/* index -> profile id */
	size_t np;
	uint8_t *member;	/* per index: in the segment filter; NULL = all */
	size_t nmember;
	struct profiles pt;	/* the profiles table (live rows: profiles.h) */
	int have_pt;
};

/* 1 if read, 0 if the segment lacks the column, -1 on error. */
static int
col_get(struct segment *s, const char *name, struct colvec *v)
{
	int idx = segment_col_index(s, name);

	memset(v, 0, sizeof *v);
	if (idx < 0)
		return 0;
	return segment_read(s, idx, v) < 0 ? -1 : 1;
}

static void
col_put(struct colvec *v)
{
	if (v->n || v->iv || v->codes || v->ddata)
		colvec_free(v);
	memset(v, 0, sizeof *v);
}

static int
in_list(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void
ctx_free(struct ctx *c)
{
	merge_config_free(&c->mc);
	mergemap_free(&c->mm);
	store_segments_free(c->segs, c->nsegs);
	if (c->have_pt)
		profiles_close(&c->pt);
	free(c->dense);
	free(c->pid);
	free(c->member);
}

static int
ctx_open(struct ctx *c, struct store *st, const struct report_opts *o)
{
	char *conf;
	int rc;

	memset(c, 0, sizeof *c);
	c->st = st;
	c->o = o;
	conf = store_path(st, "merge.conf");
	rc = merge_config_load(&c->mc, conf);
	free(conf);
	if (rc < 0)
		return -1;
	if (mergemap_load(st, &c->mm) < 0 || profiles_open(st, &c->pt) < 0) {
		ctx_free(c);
		return -1;
	}
	c->have_pt = 1;
	/* Live profiles in ascending id: the index is their rank. */
	for (size_t k = 0; k < c->pt.nlive; k++)
		if (c->pt.order[k].id > c->maxid)
			c->maxid = c->pt.order[k].id;
	if (c->maxid > INT32_MAX - 1 || c->pt.nlive > INT32_MAX) {
		ctx_free(c);
		return cdp_seterr("too many profiles for a report");
	}
	c->dense = xmalloc(((size_t)c->maxid + 1) * sizeof *c->dense);
	memset(c->dense, 0xff, ((size_t)c->maxid + 1) * sizeof *c->dense);
	c->pid = xcalloc(c->pt.nlive + 1, sizeof *c->pid);
	for (size_t k = 0; k < c->pt.nlive; k++) {
		int64_t id = c->pt.order[k].id;

		if (id < 0 || c->dense[id] >= 0)
			continue;
		c->dense[id] = (int32_t)c->np;
		c->pid[c->np++] = id;
	}
	if (c->np == 0) {
		ctx_free(c);
		return cdp_seterr("%s: no profiles yet (run cdp-merge first)", st->dir);
	}
	c->nmember = c->np;
	if (o->filtered) {
		c->member = xcalloc(c->np, 1);
		c->nmember = 0;
		for (size_t i = 0; i < o->nids; i++) {
			int64_t id = mergemap_resolve(&c->mm, o->ids[i]);

			if (id >= 0 && id <= c->maxid && c->dense[id] >= 0 && !c->member[c->dense[id]]) {
				c->member[c->dense[id]] = 1;
				c->nmember++;
			}
		}
	}
	if (store_segments(st, "records", &c->segs, &c->nsegs) < 0) {
		ctx_free(c);
		return -1;
	}
	return 0;
}

static inline int
in_scope(const struct ctx *c, int32_t p)
{
	return p >= 0 && (!c->member || c->member[p]);
}

/* A row counts for the period when its time is known and inside it. */
static inline int
in_period(const struct report_opts *o, int64_t t)
{
	return (o->since == REPORT_NO_TIME || t >= o->since) &&
	    (o->until == REPORT_NO_TIME || t < o->until);
}

static int
has_period(const struct report_opts *o)
{
	return o->since != REPORT_NO_TIME || o->until != REPORT_NO_TIME;
}

/* The live profile index of every row: -1 when the row has none. */
static int
seg_profiles(struct ctx *c, struct segment *s, int32_t **out)
{
	int64_t *ids;
	size_t n;
	int32_t *p = xmalloc((s->nrows ? s->nrows : 1) * sizeof *p);

	if (links_read(c->st, &c->mm, s->id, &ids, &n) < 0) {
		free(p);
		return -1;
	}
	for (size_t r = 0; r < s->nrows; r++) {
		int64_t id = ids && r < n ? ids[r] : -1;

		p[r] = id >= 0 && id <= c->maxid ? c->dense[id] : -1;
	}
	free(ids);
	*out = p;
	return 0;
}

/* Lower-case snake_case form of an event name, as cdp-import keys them. */
static void
event_key(const char *s, struct strbuf *out)
{
	int gap = 0;

	sb_reset(out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch >= 0x80) {
			if (gap && out->len)
				sb_addc(out, '_');
			sb_addc(out, (char)ch);
			gap = 0;
		} else if (ch >= 'A' && ch <= 'Z') {
			if (gap && out->len)
				sb_addc(out, '_');
			sb_addc(out, (char)(ch - 'A' + 'a'));
			gap = 0;
		} else {
			gap = 1;
		}
	}
	if (!out->buf)
		sb_addc(out, '\0'), out->len = 0;
}

/* ---- the scan ------------------------------------------------------------ */

enum {
	SCAN_ORDERS = 1,	/* orders[] */
	SCAN_TOUCHES = 2,	/* touches[], campaigns */
	SCAN_FUNNEL = 4,	/* fev[] */
	SCAN_ACTIVITY = 8,	/* last[], srcmask[], per source counts */
	SCAN_QUALITY = 16,	/* per source identifier checks */
};

struct order {
	int64_t t;
	double amount;
	int32_t p;		/* -1: the order's record has no profile */
	int32_t noid;		/* the order carries no order id */
};

struct touch {
	int64_t t;
	int32_t p;
	int32_t camp;
};

struct fev {
	int64_t t;
	int32_t p;
	uint32_t mask;
};

#define MAX_SOURCES 64

struct srcstat {
	uint64_t records, period_records, email, phone, blocked, unlinked, dupperson;
	uint64_t profiles, inactive;
};

struct scan {
	int what;
	struct order *ord;
	size_t nord, capord;
	struct touch *tch;
	size_t ntch, captch;
	struct strmap camps;
	char **campnames;
	size_t ncamps;
	struct fev *fev;
	size_t nfev, capfev;
	uint32_t *stepmask;	/* per funnel step alternative: unused here */
	int64_t *last;		/* per profile: last record time, or REPORT_NO_TIME */
	uint64_t *srcmask;	/* per profile: sources with a record */
	char *srcname[MAX_SOURCES];
	size_t nsrc;
	struct srcstat src[MAX_SOURCES + 1];	/* [MAX_SOURCES]: rows of no known source */
	struct u64set orderids;
	struct u64set personseen;
};

static void
scan_free(struct scan *sc)
{
	free(sc->ord);
	free(sc->tch);
	free(sc->fev);
	strmap_free(&sc->camps);
	for (size_t i = 0; i < sc->ncamps; i++)
		free(sc->campnames[i]);
	free(sc->campnames);
	free(sc->last);
	free(sc->srcmask);
	for (size_t i = 0; i < sc->nsrc; i++)
		free(sc->srcname[i]);
	u64set_free(&sc->orderids);
	u64set_free(&sc->personseen);
}

static size_t
source_index(struct scan *sc, const char *name)
{
	for (size_t i = 0; i < sc->nsrc; i++)
		if (strcmp(sc->srcname[i], name) == 0)
			return i;
	if (sc->nsrc == MAX_SOURCES)
		return MAX_SOURCES;
	sc->srcname[sc->nsrc] = xstrdup(name);
	return sc->nsrc++;
}

/* 1 if identifier value s of type t is a placeholder merge never links. */
static int
id_blocked(const struct idtype *t, const char *s)
{
	for (size_t i = 0; i < t->nblocked; i++)
		if (t->blocked[i][0] && strcasecmp(t->blocked[i], s) == 0)
			return 1;
	return t->nblockre && t->has_all && regexec(&t->blockre_all, s, 0, NULL, 0) == 0;
}

/*
 * Funnel step masks: bit k set when event name (snake_case) is one of
 * step k's alternatives.
 */
static uint32_t
step_mask(const struct report_opts *o, const char *event)
{
	struct strbuf key = STRBUF_INIT;
	uint32_t mask = 0;

	for (size_t k = 0; k < o->nsteps && k < 32; k++) {
		char *copy = xstrdup(o->steps[k]), *p = copy, *alt;

		while ((alt = strsep(&p, "|")) != NULL) {
			event_key(alt, &key);
			if (key.len && strcmp(key.buf, event) == 0)
				mask |= 1u << k;
		}
		free(copy);
	}
	sb_free(&key);
	return mask;
}

#define GROW(arr, n, cap)                                                       \
	do {                                                                    \
		if ((n) == (cap)) {                                             \
			(cap) = (cap) ? (cap) * 2 : 1024;                       \
			(arr) = xreallocarray((arr), (cap), sizeof *(arr));     \
		}                                                               \
	} while (0)

static int
scan_segment(struct ctx *c, struct scan *sc, struct segment *s)
{
	const struct report_opts *o = c->o;
	const struct merge_config *mc = &c->mc;
	struct colvec vt, vev, vsrc, vkind, vcamp[8], vrev[16], vordid[4], vid[MERGE_MAX_TYPES];
	int ht = 0, hev = 0, hsrc = 0, hkind = 0;
	int hid[MERGE_MAX_TYPES] = { 0 };
	size_t ncamp = 0, nrev = 0, noid = 0;
	int32_t *prof = NULL, *campmap[8] = { NULL };
	uint8_t *isorder = NULL, *srcof = NULL, *blocked[MERGE_MAX_TYPES] = { NULL };
	uint32_t *fmask = NULL;
	const char *oidname[4] = { NULL };
	int emailtype = -1, phonetype = -1, rc = -1;
	struct strbuf tmp = STRBUF_INIT;

	memset(&vt, 0, sizeof vt);
	memset(&vev, 0, sizeof vev);
	memset(&vsrc, 0, sizeof vsrc);
	memset(&vkind, 0, sizeof vkind);
	memset(vcamp, 0, sizeof vcamp);
	memset(vrev, 0, sizeof vrev);
	memset(vordid, 0, sizeof vordid);
	memset(vid, 0, sizeof vid);
	if (seg_profiles(c, s, &prof) < 0)
		return -1;
	if ((ht = col_get(s, "_time", &vt)) < 0)
		goto out;
	if ((sc->what & (SCAN_ORDERS | SCAN_FUNNEL)) && (hev = col_get(s, "_event", &vev)) < 0)
		goto out;
	if ((sc->what & (SCAN_ACTIVITY | SCAN_QUALITY)) && ((hsrc = col_get(s, "_source", &vsrc)) < 0 ||
	    (hkind = col_get(s, "_kind", &vkind)) < 0))
		goto out;
	if (sc->what & SCAN_TOUCHES) {
		for (size_t k = 0; campaign_columns[k] && ncamp < 8; k++) {
			int h = col_get(s, campaign_columns[k], &vcamp[ncamp]);

			if (h < 0)
				goto out;
			if (h && vcamp[ncamp].type == CT_STR)
				ncamp++;
			else if (h)
				col_put(&vcamp[ncamp]);
		}
	}
	if ((sc->what & SCAN_ORDERS) && hev) {
		isorder = xcalloc(vev.ndict + 1, 1);
		for (size_t d = 0; d < vev.ndict; d++)
			isorder[d] = (uint8_t)in_list(mc->order_events, mc->norder_events,
			    vev.ddata + vev.doff[d]);
		for (size_t k = 0; k < mc->nrevenue_columns && nrev < 16; k++) {
			int h = col_get(s, mc->revenue_columns[k], &vrev[nrev]);

			if (h < 0)
				goto out;
			if (h)
				nrev++;
		}
		for (size_t k = 0; order_id_columns[k] && noid < 4; k++) {
			int h = col_get(s, order_id_columns[k], &vordid[noid]);

			if (h < 0)
				goto out;
			if (h)
				oidname[noid++] = order_id_columns[k];
		}
	}
	if ((sc->what & SCAN_FUNNEL) && hev) {
		fmask = xcalloc(vev.ndict + 1, sizeof *fmask);
		for (size_t d = 0; d < vev.ndict; d++)
			fmask[d] = step_mask(o, vev.ddata + vev.doff[d]);
	}
	if (hsrc) {
		srcof = xcalloc(vsrc.ndict + 1, 1);
		for (size_t d = 0; d < vsrc.ndict; d++)
			srcof[d] = (uint8_t)source_index(sc, vsrc.ddata + vsrc.doff[d]);
	}
	if (sc->what & SCAN_QUALITY) {
		for (size_t k = 0; k < mc->ntypes; k++) {
			const struct idtype *t = &mc->types[k];
			int h = col_get(s, t->column, &vid[k]);

			if (h < 0)
				goto out;
			hid[k] = h;
			if (strcmp(t->column, "_email") == 0)
				emailtype = (int)k;
			if (strcmp(t->column, "_phone") == 0)
				phonetype = (int)k;
			if (!h)
				continue;
			/* Once per distinct value: the slow regex never runs per row. */
			if (vid[k].type == CT_STR) {
				blocked[k] = xcalloc(vid[k].ndict + 1, 1);
				for (size_t d = 0; d < vid[k].ndict; d++)
					blocked[k][d] = (uint8_t)id_blocked(t, vid[k].ddata + vid[k].doff[d]);
			}
		}
	}
	for (size_t k = 0; k < ncamp; k++) {
		campmap[k] = xmalloc((vcamp[k].ndict + 1) * sizeof *campmap[k]);
		for (size_t d = 0; d < vcamp[k].ndict; d++) {
			const char *name = vcamp[k].ddata + vcamp[k].doff[d];
			size_t len = (size_t)(vcamp[k].doff[d + 1] - vcamp[k].doff[d] - 1);

			while (len && (*name == ' ' || *name == '\t'))
				name++, len--;
			while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
				len--;
			if (!len) {
				campmap[k][d] = -1;
				continue;
			}
			campmap[k][d] = (int32_t)strmap_put(&sc->camps, name, len, (long)sc->ncamps);
			if ((size_t)campmap[k][d] == sc->ncamps) {
				sc->campnames = xreallocarray(sc->campnames, sc->ncamps + 1, sizeof *sc->campnames);
				sc->campnames[sc->ncamps++] = xstrndup(name, len);
			}
		}
	}

	for (size_t r = 0; r < s->nrows; r++) {
		int32_t p = prof[r];
		int has_t = ht && !colvec_isnull(&vt, r);
		int64_t t = has_t ? vt.iv[r] : REPORT_NO_TIME;
		uint32_t ecode = hev && !colvec_isnull(&vev, r) ? vev.codes[r] : UINT32_MAX;

		if (has_t && t >= o->as_of)
			continue;
		/* Orders: deduplicated before anything else looks at them. */
		if (isorder && ecode != UINT32_MAX && isorder[ecode]) {
			int dup = 0, hasid = 0;

			for (size_t k = 0; k < noid; k++) {
				if (colvec_isnull(&vordid[k], r))
					continue;
				sb_reset(&tmp);
				colvec_format(&vordid[k], r, &tmp);
				if (!tmp.len)
					continue;
				/* The message id only names the row, not the order. */
				hasid = strcmp(oidname[k], "_message_id") != 0;
				dup = u64set_add(&sc->orderids, hash_bytes(tmp.buf, tmp.len) | 1);
				break;
			}
			if (!dup && has_t) {
				double amount = 0;
				int64_t cents;

				/* in cents first, rounded as cdp-merge rounds them */
				for (size_t k = 0; k < nrev; k++) {
					if (!colvec_isnull(&vrev[k], r) && colvec_cents(&vrev[k], r, &cents) == 0) {
						amount = (double)cents / 100;
						break;
					}
				}
				GROW(sc->ord, sc->nord, sc->capord);
				sc->ord[sc->nord].t = t;
				sc->ord[sc->nord].amount = amount;
				sc->ord[sc->nord].p = p;
				sc->ord[sc->nord].noid = !hasid;
				sc->nord++;
			}
		}
		if (ncamp && p >= 0 && has_t) {
			for (size_t k = 0; k < ncamp; k++) {
				int32_t cm;

				if (colvec_isnull(&vcamp[k], r) || (cm = campmap[k][vcamp[k].codes[r]]) < 0)
					continue;
				GROW(sc->tch, sc->ntch, sc->captch);
				sc->tch[sc->ntch].t = t;
				sc->tch[sc->ntch].p = p;
				sc->tch[sc->ntch].camp = cm;
				sc->ntch++;
				break;
			}
		}
		if (fmask && ecode != UINT32_MAX && fmask[ecode] && p >= 0 && has_t) {
			GROW(sc->fev, sc->nfev, sc->capfev);
			sc->fev[sc->nfev].t = t;
			sc->fev[sc->nfev].p = p;
			sc->fev[sc->nfev].mask = fmask[ecode];
			sc->nfev++;
		}
		if (sc->what & (SCAN_ACTIVITY | SCAN_QUALITY)) {
			size_t si = hsrc && !colvec_isnull(&vsrc, r) ? srcof[vsrc.codes[r]] : MAX_SOURCES;
			struct srcstat *ss;

			ss = &sc->src[si];
			if (p >= 0) {
				if (has_t && (sc->last[p] == REPORT_NO_TIME || t > sc->last[p]))
					sc->last[p] = t;
				if (si < MAX_SOURCES)
					sc->srcmask[p] |= 1ULL << si;
			}
			if (!in_scope(c, p) && (c->member || p != -1))
				continue;
			ss->records++;
			if (!has_period(o) || (has_t && in_period(o, t)))
				ss->period_records++;
			if (!(sc->what & SCAN_QUALITY))
				continue;
			if (p < 0)
				ss->unlinked++;
			for (size_t k = 0; k < mc->ntypes; k++) {
				int bad;

				if (!hid[k] || colvec_isnull(&vid[k], r))
					continue;
				if (blocked[k]) {
					bad = blocked[k][vid[k].codes[r]];
				} else {
					sb_reset(&tmp);
					colvec_format(&vid[k], r, &tmp);
					bad = id_blocked(&mc->types[k], tmp.buf);
				}
				if (bad) {
					ss->blocked++;
					break;
				}
			}
			if (emailtype >= 0 && hid[emailtype] && !colvec_isnull(&vid[emailtype], r) &&
			    !(blocked[emailtype] && blocked[emailtype][vid[emailtype].codes[r]]))
				ss->email++;
			if (phonetype >= 0 && hid[phonetype] && !colvec_isnull(&vid[phonetype], r) &&
			    !(blocked[phonetype] && blocked[phonetype][vid[phonetype].codes[r]]))
				ss->phone++;
			/* A second person record of one source in one profile: a duplicate. */
			if (p >= 0 && hkind && !colvec_isnull(&vkind, r) &&
			    colvec_str(&vkind, r, NULL)[0] == 'p' &&
			    u64set_add(&sc->personseen, ((uint64_t)p << 7 | si) + 1))
				ss->dupperson++;
		}
	}
	rc = 0;
out:
	if (rc < 0 && !cdp_err()[0])
		cdp_seterr("%s: cannot read", s->path);
	free(prof);
	free(isorder);
	free(fmask);
	free(srcof);
	for (size_t k = 0; k < 8; k++)
		free(campmap[k]);
	for (size_t k = 0; k < MERGE_MAX_TYPES; k++) {
		free(blocked[k]);
		col_put(&vid[k]);
	}
	col_put(&vt);
	col_put(&vev);
	col_put(&vsrc);
	col_put(&vkind);
	for (size_t k = 0; k < 8; k++)
		col_put(&vcamp[k]);
	for (size_t k = 0; k < 16; k++)
		col_put(&vrev[k]);
	for (size_t k = 0; k < 4; k++)
		col_put(&vordid[k]);
	sb_free(&tmp);
	return rc;
}

static int
scan(struct ctx *c, struct scan *sc, int what)
{
	memset(sc, 0, sizeof *sc);
	sc->what = what;
	if (what & (SCAN_ACTIVITY | SCAN_QUALITY)) {
		sc->last = xmalloc(c->np * sizeof *sc->last);
		for (size_t i = 0; i < c->np; i++)
			sc->last[i] = REPORT_NO_TIME;
		sc->srcmask = xcalloc(c->np, sizeof *sc->srcmask);
	}
	for (size_t i = 0; i < c->nsegs; i++) {
		if (cdp_interrupted)
			return cdp_seterr("interrupted");
		if (scan_segment(c, sc, c->segs[i]) < 0)
			return -1;
	}
	return 0;
}

/* qsort() wants a valid pointer even for no elements. */
static void
sort_any(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int
cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

/*
 * Sort the orders by profile and time and drop the copies that carry no
 * order id: a web "Order Completed" without properties.order_id that the
 * shop export also has shows up as the same amount for the same profile
 * within ORDER_ECHO of it.
 */
#define ORDER_ECHO ((int64_t)120 * 1000000)

static void
orders_prepare(struct scan *sc)
{
	size_t k = 0;

	sort_any(sc->ord, sc->nord, sizeof *sc->ord, cmp_order);
	for (size_t i = 0; i < sc->nord; i++) {
		const struct order *d = &sc->ord[i];
		int echo = 0;

		for (size_t j = k; d->p >= 0 && j-- > 0;) {
			const struct order *e = &sc->ord[j];

			if (e->p != d->p || d->t - e->t > ORDER_ECHO)
				break;
			if (fabs(e->amount - d->amount) < 0.005 && (d->noid || e->noid)) {
				echo = 1;
				break;
			}
		}
		if (!echo)
			sc->ord[k++] = *d;
	}
	sc->nord = k;
}

static int
cmp_touch(const void *a, const void *b)
{
	const struct touch *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->camp > y->camp) - (x->camp < y->camp);
}

static int
cmp_fev(const void *a, const void *b)
{
	const struct fev *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

static void
time_text(int64_t us, struct strbuf *sb)
{
	sb_reset(sb);
	time_format(us, TF_ISO_Z, sb);
}

/* "as of ..., since ..., segment ..." */
static void
subtitle(struct report *r, const struct report_opts *o, const struct ctx *c, const char *extra)
{
	struct strbuf sb = STRBUF_INIT, t = STRBUF_INIT;

	time_text(o->as_of, &t);
	sb_addf(&sb, "data before %s", t.buf);
	if (o->since != REPORT_NO_TIME) {
		time_text(o->since, &t);
		sb_addf(&sb, ", since %s", t.buf);
	}
	if (o->until != REPORT_NO_TIME) {
		time_text(o->until, &t);
		sb_addf(&sb, ", until %s", t.buf);
	}
	if (o->filtered)
		sb_addf(&sb, ", segment %s (%zu profiles)", o->segment ? o->segment : "from input",
		    c->nmember);
	else
		sb_addf(&sb, ", %zu profiles", c->np);
	if (extra)
		sb_addf(&sb, ", %s", extra);
	r->subtitle = sb_detach(&sb, NULL);
	sb_free(&t);
}

/* ---- overview ------------------------------------------------------------ */

static void
metric(struct report *r, const char *name, const char *fmt, double v)
{
	rep_row(r);
	r->cells[(r->nrows - 1) * r->ncols] = xstrdup(name);
	if (!isnan(v))
		rep_setf(r, 1, fmt, v);
}

static int
report_overview(struct ctx *c, struct report *r)
{
	const struct report_opts *o = c->o;
	static const char *const idcols[] = { "customer_ids", "emails", "phones", "loyalty_ids" };
	struct segment **ps;
	size_t nps;
	uint64_t identified = 0, optin = 0, consent_known = 0, customers = 0, nord = 0;
	uint64_t active[3] = { 0 }, records = 0;
	static const int days[3] = { 7, 30, 90 };
	double revenue = 0;
	struct scan sc;
	char name[128];
	int32_t lastp = -1;

	if (scan(c, &sc, SCAN_ORDERS | SCAN_ACTIVITY) < 0) {
		scan_free(&sc);
		return -1;
	}
	/* Identified and opted-in come from the live profiles as cdp-merge left them. */
	ps = c->pt.segs;
	nps = c->pt.nsegs;
	for (size_t i = 0; i < nps; i++) {
		struct colvec id, v;
		uint8_t *ident = xcalloc(ps[i]->nrows + 1, 1);
		int err = 0;

		if (col_get(ps[i], "profile_id", &id) <= 0)
			err = 1;
		for (size_t k = 0; k < 4 && !err; k++) {
			int h = col_get(ps[i], idcols[k], &v);

			if (h < 0)
				err = 1;
			for (size_t rr = 0; h > 0 && rr < v.n; rr++)
				if (!colvec_isnull(&v, rr))
					ident[rr] = 1;
			col_put(&v);
		}
		if (!err) {
			int h = col_get(ps[i], "email_consent", &v);

			if (h < 0)
				err = 1;
			for (size_t rr = 0; !err && rr < id.n; rr++) {
				int64_t pid = id.iv[rr];
				int32_t p = pid >= 0 && pid <= c->maxid ? c->dense[pid] : -1;

				if (!profiles_live(&c->pt, i, rr) || !in_scope(c, p))
					continue;
				identified += ident[rr];
				if (h > 0 && !colvec_isnull(&v, rr)) {
					consent_known++;
					optin += v.type == CT_BOOL && v.iv[rr] != 0;
				}
			}
			col_put(&v);
		}
		col_put(&id);
		free(ident);
		if (err) {
			cdp_seterr("%s: unreadable profiles segment", ps[i]->path);
			scan_free(&sc);
			return -1;
		}
	}

	orders_prepare(&sc);
	for (size_t i = 0; i < sc.nord; i++) {
		const struct order *d = &sc.ord[i];

		if ((c->member || d->p >= 0) && !in_scope(c, d->p))
			continue;
		if (!in_period(o, d->t))
			continue;
		nord++;
		revenue += d->amount;
		if (d->p >= 0 && d->p != lastp)
			customers++;
		lastp = d->p;
	}
	for (size_t p = 0; p < c->np; p++) {
		if (!in_scope(c, (int32_t)p) || sc.last[p] == REPORT_NO_TIME)
			continue;
		for (int k = 0; k < 3; k++)
			if (sc.last[p] >= o->as_of - days[k] * REPORT_DAY)
				active[k]++;
	}
	for (size_t s = 0; s < sc.nsrc; s++)
		records += sc.src[s].period_records;
	records += sc.src[MAX_SOURCES].period_records;

	rep_init(r, "overview");
	subtitle(r, o, c, NULL);
	rep_col(r, "metric", OK_STRING);
	rep_col(r, "value", OK_NUMBER);
	metric(r, "profiles", "%.0f", (double)c->nmember);
	metric(r, "identified profiles", "%.0f", (double)identified);
	metric(r, "identified share", "%.4f", c->nmember ? (double)identified / c->nmember : NAN);
	metric(r, "anonymous profiles", "%.0f", (double)(c->nmember - identified));
	metric(r, "anonymous share", "%.4f",
	    c->nmember ? (double)(c->nmember - identified) / c->nmember : NAN);
	metric(r, "opted-in profiles", "%.0f", (double)optin);
	metric(r, "opted-in share", "%.4f", c->nmember ? (double)optin / c->nmember : NAN);
	metric(r, "consent unknown", "%.0f", (double)(c->nmember - consent_known));
	metric(r, "records", "%.0f", (double)records);
	for (size_t s = 0; s < sc.nsrc; s++) {
		snprintf(name, sizeof name, "records %s", sc.srcname[s]);
		metric(r, name, "%.0f", (double)sc.src[s].period_records);
	}
	if (sc.src[MAX_SOURCES].period_records)
		metric(r, "records (no source)", "%.0f", (double)sc.src[MAX_SOURCES].period_records);
	metric(r, "orders", "%.0f", (double)nord);
	metric(r, "revenue", "%.2f", revenue);
	metric(r, "average order value", "%.2f", money_per(revenue, nord));
	metric(r, "customers", "%.0f", (double)customers);
	for (int k = 0; k < 3; k++) {
		snprintf(name, sizeof name, "active %dd", days[k]);
		metric(r, name, "%.0f", (double)active[k]);
	}
	chart_init(&r->chart, CHART_BAR, "records by source", sc.nsrc, 1);
	r->chart.ylabels[0] = xstrdup("records");
	for (size_t s = 0; s < sc.nsrc; s++) {
		r->chart.xlabels[s] = xstrdup(sc.srcname[s]);
		r->chart.v[s] = (double)sc.src[s].period_records;
	}
	scan_free(&sc);
	return 0;
}

/* ---- campaigns ----------------------------------------------------------- */

struct campstat {
	uint64_t reached, converted, orders;
	double revenue;
	int32_t seen, conv;	/* the last profile counted, so each counts once */
	size_t idx;
};

static int
cmp_camp(const void *a, const void *b, void *arg)
{
	const struct campstat *x = a, *y = b;
	char **names = arg;

	if (x->revenue != y->revenue)
		return x->revenue > y->revenue ? -1 : 1;
	if (x->reached != y->reached)
		return x->reached > y->reached ? -1 : 1;
	return strcmp(names[x->idx], names[y->idx]);
}

static int
report_campaigns(struct ctx *c, struct report *r)
{
	const struct report_opts *o = c->o;
	struct scan sc;
	struct campstat *cs;
	size_t ti = 0, oi = 0;
	char extra[96];

	if (scan(c, &sc, SCAN_ORDERS | SCAN_TOUCHES) < 0) {
		scan_free(&sc);
		return -1;
	}
	orders_prepare(&sc);
	sort_any(sc.tch, sc.ntch, sizeof *sc.tch, cmp_touch);
	cs = xcalloc(sc.ncamps + 1, sizeof *cs);
	for (size_t k = 0; k < sc.ncamps; k++) {
		cs[k].seen = cs[k].conv = -1;
		cs[k].idx = k;
	}
	/* Walk profiles in order: touches [t0, t1), orders [o0, o1). */
	while (ti < sc.ntch) {
		int32_t p = sc.tch[ti].p;
		size_t t0 = ti, t1 = ti, o1;
		int64_t first = REPORT_NO_TIME;
		int32_t firstcamp = -1;

		while (t1 < sc.ntch && sc.tch[t1].p == p)
			t1++;
		ti = t1;
		while (oi < sc.nord && sc.ord[oi].p < p)
			oi++;
		o1 = oi;
		while (o1 < sc.nord && sc.ord[o1].p == p)
			o1++;
		if (!in_scope(c, p))
			continue;
		/* Only touches inside the period count. */
		for (size_t k = t0; k < t1; k++) {
			struct campstat *s = &cs[sc.tch[k].camp];

			if (!in_period(o, sc.tch[k].t))
				continue;
			if (firstcamp < 0) {
				firstcamp = sc.tch[k].camp;
				first = sc.tch[k].t;
			}
			if (s->seen != p) {
				s->seen = p;
				s->reached++;
			}
		}
		if (firstcamp < 0)
			continue;
		for (size_t k = oi, last = t0; k < o1; k++) {
			const struct order *d = &sc.ord[k];
			int32_t camp = -1;

			if (o->attribution == ATTRIBUTION_FIRST_TOUCH) {
				if (d->t >= first && d->t - first <= o->window)
					camp = firstcamp;
			} else {
				/* The latest touch in the period at or before the order. */
				int64_t best = REPORT_NO_TIME;

				while (last < t1 && sc.tch[last].t <= d->t)
					last++;
				for (size_t j = last; j-- > t0;) {
					if (!in_period(o, sc.tch[j].t))
						continue;
					best = sc.tch[j].t;
					camp = sc.tch[j].camp;
					break;
				}
				if (camp >= 0 && d->t - best > o->window)
					camp = -1;
			}
			if (camp < 0)
				continue;
			cs[camp].orders++;
			cs[camp].revenue += d->amount;
			if (cs[camp].conv != p) {
				cs[camp].conv = p;
				cs[camp].converted++;
			}
		}
		oi = o1;
	}
	if (sc.ncamps)
		qsort_r(cs, sc.ncamps, sizeof *cs, cmp_camp, sc.campnames);

	rep_init(r, "campaigns");
	snprintf(extra, sizeof extra, "%s, window %.4gd",
	    o->attribution == ATTRIBUTION_FIRST_TOUCH ? "first touch" : "last touch",
	    (double)o->window / (double)REPORT_DAY);
	subtitle(r, o, c, extra);
	rep_col(r, "campaign", OK_STRING);
	rep_col(r, "profiles", OK_NUMBER);
	rep_col(r, "conversions", OK_NUMBER);
	rep_col(r, "conversion_rate", OK_NUMBER);
	rep_col(r, "orders", OK_NUMBER);
	rep_col(r, "revenue", OK_NUMBER);
	rep_col(r, "revenue_per_profile", OK_NUMBER);
	chart_init(&r->chart, CHART_BAR, "profiles reached and converted", 0, 2);
	r->chart.ylabels[0] = xstrdup("reached");
	r->chart.ylabels[1] = xstrdup("converted");
	{
		size_t n = 0;

		for (size_t k = 0; k < sc.ncamps; k++)
			n += cs[k].reached > 0;
		free(r->chart.v);
		free(r->chart.xlabels);
		r->chart.nx = n;
		r->chart.xlabels = xcalloc(n + 1, sizeof *r->chart.xlabels);
		r->chart.v = xcalloc(2 * n + 1, sizeof *r->chart.v);
	}
	for (size_t k = 0, x = 0; k < sc.ncamps; k++) {
		const struct campstat *s = &cs[k];

		if (!s->reached)
			continue;
		rep_row(r);
		r->cells[(r->nrows - 1) * r->ncols] = xstrdup(sc.campnames[s->idx]);
		rep_setu(r, 1, s->reached);
		rep_setu(r, 2, s->converted);
		rep_setshare(r, 3, (double)s->converted, (double)s->reached);
		rep_setu(r, 4, s->orders);
		rep_setmoney(r, 5, s->revenue);
		rep_setmoney(r, 6, money_per(s->revenue, s->reached));
		r->chart.xlabels[x] = xstrdup(sc.campnames[s->idx]);
		r->chart.v[x] = (double)s->reached;
		r->chart.v[r->chart.nx + x] = (double)s->converted;
		x++;
	}
	free(cs);
	scan_free(&sc);
	return 0;
}

/* ---- funnel -------------------------------------------------------------- */

static int
report_funnel(struct ctx *c, struct report *r)
{
	const struct report_opts *o = c->o;
	struct scan sc;
	uint64_t *done;
	size_t ns = o->nsteps, i = 0;
	uint32_t full;
	char extra[64];

	if (ns == 0)
		return cdp_seterr("funnel wants at least one step");
	if (ns > 32)
		return cdp_seterr("funnel takes at most 32 steps");
	full = (uint32_t)ns;
	if (scan(c, &sc, SCAN_FUNNEL) < 0) {
		scan_free(&sc);
		return -1;
	}
	sort_any(sc.fev, sc.nfev, sizeof *sc.fev, cmp_fev);
	done = xcalloc(ns + 1, sizeof *done);
	while (i < sc.nfev) {
		int32_t p = sc.fev[i].p;
		size_t e0 = i, e1 = i;
		uint32_t best = 0;

		while (e1 < sc.nfev && sc.fev[e1].p == p)
			e1++;
		i = e1;
		if (!in_scope(c, p))
			continue;
		/*
		 * From each start of step 1 in the period, take each later step
		 * at its earliest chance within the window; the deepest wins.
		 */
		for (size_t s = e0; s < e1 && best < full; s++) {
			const struct fev *st = &sc.fev[s];
			uint32_t depth = 1;

			if (!(st->mask & 1) || !in_period(o, st->t))
				continue;
			for (size_t j = s + 1; j < e1 && depth < full; j++) {
				if (sc.fev[j].t - st->t > o->window)
					break;
				if (sc.fev[j].mask >> depth & 1)
					depth++;
			}
			if (depth > best)
				best = depth;
		}
		for (uint32_t k = 0; k < best; k++)
			done[k]++;
	}

	rep_init(r, "funnel");
	snprintf(extra, sizeof extra, "window %.4gd", (double)o->window / (double)REPORT_DAY);
	subtitle(r, o, c, extra);
	rep_col(r, "step", OK_NUMBER);
	rep_col(r, "event", OK_STRING);
	rep_col(r, "profiles", OK_NUMBER);
	rep_col(r, "share_of_start", OK_NUMBER);
	rep_col(r, "step_conversion", OK_NUMBER);
	rep_col(r, "dropped", OK_NUMBER);
	rep_col(r, "drop_off", OK_NUMBER);
	chart_init(&r->chart, CHART_BAR, "profiles at each step", ns, 1);
	r->chart.ylabels[0] = xstrdup("profiles");
	for (size_t k = 0; k < ns; k++) {
		rep_row(r);
		rep_setu(r, 0, k + 1);
		r->cells[(r->nrows - 1) * r->ncols + 1] = xstrdup(o->steps[k]);
		rep_setu(r, 2, done[k]);
		rep_setshare(r, 3, (double)done[k], (double)done[0]);
		if (k > 0) {
			rep_setshare(r, 4, (double)done[k], (double)done[k - 1]);
			rep_setu(r, 5, done[k - 1] - done[k]);
			rep_setshare(r, 6, (double)(done[k - 1] - done[k]), (double)done[k - 1]);
		}
		r->chart.xlabels[k] = xstrdup(o->steps[k]);
		r->chart.v[k] = (double)done[k];
	}
	free(done);
	scan_free(&sc);
	return 0;
}

/* ---- cohorts ------------------------------------------------------------- */

static int
month_of(int64_t us)
{
	time_t secs = (time_t)(us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000));
	struct tm tm;

	gmtime_r(&secs, &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static int
report_cohorts(struct ctx *c, struct report *r)
{
	const struct report_opts *o = c->o;
	struct scan sc;
	int lo = INT32_MAX, hi = month_of(o->as_of - 1), nm, span;
	uint64_t *size, *ret;
	size_t i = 0;

	if (scan(c, &sc, SCAN_ORDERS) < 0) {
		scan_free(&sc);
		return -1;
	}
	orders_prepare(&sc);
	for (size_t k = 0; k < sc.nord; k++) {
		int m = month_of(sc.ord[k].t);

		if (in_scope(c, sc.ord[k].p) && m < lo)
			lo = m;
	}
	if (lo > hi)
		lo = hi;
	nm = hi - lo + 1;
	span = nm;	/* months after the first: 1 .. nm-1 */
	size = xcalloc((size_t)nm, sizeof *size);
	ret = xcalloc((size_t)nm * (size_t)span, sizeof *ret);
	while (i < sc.nord) {
		int32_t p = sc.ord[i].p;
		size_t e = i;
		int m0, lastk = 0;

		while (e < sc.nord && sc.ord[e].p == p)
			e++;
		m0 = month_of(sc.ord[i].t);
		if (in_scope(c, p) && in_period(o, sc.ord[i].t)) {
			size[m0 - lo]++;
			for (size_t k = i + 1; k < e; k++) {
				int d = month_of(sc.ord[k].t) - m0;

				if (d > lastk && d < span) {
					ret[(size_t)(m0 - lo) * (size_t)span + (size_t)d]++;
					lastk = d;
				}
			}
		}
		i = e;
	}

	rep_init(r, "cohorts");
	subtitle(r, o, c, "share of each cohort ordering again k months after the first order");
	rep_col(r, "cohort", OK_STRING);
	rep_col(r, "profiles", OK_NUMBER);
	for (int k = 1; k < span; k++) {
		char name[32];

		snprintf(name, sizeof name, "month_%d", k);
		rep_col(r, name, OK_NUMBER);
	}
	{
		size_t ncoh = 0, y = 0;

		for (int m = 0; m < nm; m++)
			ncoh += size[m] > 0;
		chart_init(&r->chart, CHART_HEAT, "retention by month of first order",
		    (size_t)(span > 1 ? span - 1 : 0), ncoh);
		r->chart.percent = 1;
		for (int k = 1; k < span; k++) {
			char name[16];

			snprintf(name, sizeof name, "%d", k);
			r->chart.xlabels[k - 1] = xstrdup(name);
		}
		for (int m = 0; m < nm; m++) {
			int month = lo + m;

			if (!size[m])
				continue;
			rep_row(r);
			rep_setf(r, 0, "%04d-%02d", month / 12, month % 12 + 1);
			rep_setu(r, 1, size[m]);
			r->chart.ylabels[y] = xstrdup(r->cells[(r->nrows - 1) * r->ncols]);
			for (int k = 1; k < span; k++) {
				double share;

				if (month + k > hi)
					break;
				share = (double)ret[(size_t)m * (size_t)span + (size_t)k] / (double)size[m];
				rep_setf(r, 1 + (size_t)k, "%.4f", share);
				r->chart.v[y * r->chart.nx + (size_t)(k - 1)] = share;
			}
			y++;
		}
	}
	free(size);
	free(ret);
	scan_free(&sc);
	return 0;
}

/* ---- rfm ----------------------------------------------------------------- */

static int
report_rfm(struct ctx *c, struct report *r)
{
	const struct report_opts *o = c->o;
	struct scan sc;
	size_t np = 0, i = 0;
	int64_t *last;
	uint64_t *cnt, cellp[125] = { 0 }, groupp[NRULES + 1] = { 0 }, scored = 0;
	double *rev, *srec, *sfreq, *smon, cellrev[125] = { 0 }, grouprev[NRULES + 1] = { 0 };
	double total = 0;
	int32_t *who;

	if (scan(c, &sc, SCAN_ORDERS) < 0) {
		scan_free(&sc);
		return -1;
	}
	orders_prepare(&sc);
	last = xcalloc(sc.nord + 1, sizeof *last);
	cnt = xcalloc(sc.nord + 1, sizeof *cnt);
	rev = xcalloc(sc.nord + 1, sizeof *rev);
	who = xcalloc(sc.nord + 1, sizeof *who);
	/* Per ordering profile (every profile: quintiles are population-wide). */
	while (i < sc.nord) {
		int32_t p = sc.ord[i].p;
		int any = 0;

		for (; i < sc.nord && sc.ord[i].p == p; i++) {
			if (p < 0 || !in_period(o, sc.ord[i].t))
				continue;
			any = 1;
			cnt[np]++;
			rev[np] += sc.ord[i].amount;
			last[np] = sc.ord[i].t;
		}
		if (any)
			who[np++] = p;
	}
	srec = xcalloc(np + 1, sizeof *srec);
	sfreq = xcalloc(np + 1, sizeof *sfreq);
	smon = xcalloc(np + 1, sizeof *smon);
	for (size_t k = 0; k < np; k++) {
		srec[k] = (double)last[k];
		sfreq[k] = (double)cnt[k];
		smon[k] = rev[k];
	}
	sort_any(srec, np, sizeof *srec, double_cmp);
	sort_any(sfreq, np, sizeof *sfreq, double_cmp);
	sort_any(smon, np, sizeof *smon, double_cmp);
	for (size_t k = 0; k < np; k++) {
		int rr, ff, mm, cell;
		size_t g;

		if (!in_scope(c, who[k]))
			continue;
		rr = quintile_score(srec, np, (double)last[k]);
		ff = quintile_score(sfreq, np, (double)cnt[k]);
		mm = quintile_score(smon, np, rev[k]);
		cell = (rr - 1) * 25 + (ff - 1) * 5 + (mm - 1);
		cellp[cell]++;
		cellrev[cell] += rev[k];
		for (g = 0; g < NRULES; g++)
			if (strcmp(rfm_rules[g].name, rfm_group(rr, ff)) == 0)
				break;
		groupp[g]++;
		grouprev[g] += rev[k];
		scored++;
		total += rev[k];
	}

	rep_init(r, "rfm");
	subtitle(r, o, c, "quintiles over all profiles with orders");
	if (o->groups) {
		rep_col(r, "group", OK_STRING);
		rep_col(r, "profiles", OK_NUMBER);
		rep_col(r, "share", OK_NUMBER);
		rep_col(r, "revenue", OK_NUMBER);
		rep_col(r, "revenue_share", OK_NUMBER);
		rep_col(r, "revenue_per_profile", OK_NUMBER);
		for (size_t g = 0; g < NRULES; g++) {
			rep_row(r);
			r->cells[(r->nrows - 1) * r->ncols] = xstrdup(rfm_rules[g].name);
			rep_setu(r, 1, groupp[g]);
			rep_setshare(r, 2, (double)groupp[g], (double)scored);
			rep_setmoney(r, 3, grouprev[g]);
			rep_setshare(r, 4, grouprev[g], total);
			if (groupp[g])
				rep_setmoney(r, 5, money_per(grouprev[g], groupp[g]));
		}
		rep_row(r);
		r->cells[(r->nrows - 1) * r->ncols] = xstrdup("no orders");
		rep_setu(r, 1, c->nmember - scored);
	} else {
		rep_col(r, "recency", OK_NUMBER);
		rep_col(r, "frequency", OK_NUMBER);
		rep_col(r, "monetary", OK_NUMBER);
		rep_col(r, "score", OK_STRING);
		rep_col(r, "group", OK_STRING);
		rep_col(r, "profiles", OK_NUMBER);
		rep_col(r, "revenue", OK_NUMBER);
		for (int cell = 124; cell >= 0; cell--) {
			int rr = cell / 25 + 1, ff = cell / 5 % 5 + 1, mm = cell % 5 + 1;

			if (!cellp[cell])
				continue;
			rep_row(r);
			rep_setf(r, 0, "%d", rr);
			rep_setf(r, 1, "%d", ff);
			rep_setf(r, 2, "%d", mm);
			rep_setf(r, 3, "%d%d%d", rr, ff, mm);
			r->cells[(r->nrows - 1) * r->ncols + 4] = xstrdup(rfm_group(rr, ff));
			rep_setu(r, 5, cellp[cell]);
			rep_setmoney(r, 6, cellrev[cell]);
		}
	}
	/* Heat map: recency 5..1 down, frequency 1..5 across, profiles. */
	chart_init(&r->chart, CHART_HEAT, "profiles by recency (rows) and frequency (columns)", 5, 5);
	for (int k = 0; k < 5; k++) {
		char name[16];

		snprintf(name, sizeof name, "F%d", k + 1);
		r->chart.xlabels[k] = xstrdup(name);
		snprintf(name, sizeof name, "R%d", 5 - k);
		r->chart.ylabels[k] = xstrdup(name);
	}
	for (int rr = 1; rr <= 5; rr++) {
		for (int ff = 1; ff <= 5; ff++) {
			uint64_t n = 0;

			for (int mm = 0; mm < 5; mm++)
				n += cellp[(rr - 1) * 25 + (ff - 1) * 5 + mm];
			r->chart.v[(size_t)(5 - rr) * 5 + (size_t)(ff - 1)] = (double)n;
		}
	}
	free(last);
	free(cnt);
	free(rev);
	free(who);
	free(srec);
	free(sfreq);
	free(smon);
	scan_free(&sc);
	return 0;
}

/* ---- quality ------------------------------------------------------------- */

/* Source of each batch id, from the manifest. */
static const char *
batch_source(const struct store *st, uint64_t batch)
{
	const struct mentry *e = store_find(st, "batch", batch);

	return e ? mentry_get(e, "source") : NULL;
}

static int
report_quality(struct ctx *c, struct report *r)
{
	const struct report_opts *o = c->o;
	struct scan sc;
	uint64_t rejects[MAX_SOURCES + 1] = { 0 }, dups[MAX_SOURCES + 1] = { 0 };
	uint64_t refused[MAX_SOURCES + 1] = { 0 };
	struct segment **rs;
	size_t nrs, ns;
	int64_t cutoff = o->as_of - 365 * REPORT_DAY;
	uint64_t allprofiles = 0, allinactive = 0;

	if (scan(c, &sc, SCAN_QUALITY) < 0) {
		scan_free(&sc);
		return -1;
	}
	/* Rejected rows and replays: counted by cdp-import in the manifest. */
	for (size_t i = 0; i < c->st->ne; i++) {
		const struct mentry *e = c->st->e[i];
		const char *src;
		size_t si;

		if (strcmp(e->kind, "batch") != 0 || !(src = mentry_get(e, "source")))
			continue;
		si = source_index(&sc, src);
		rejects[si] += mentry_getu(e, "rejects");
		dups[si] += mentry_getu(e, "duplicates");
	}
	/* Identifiers merge protection refused, by the source of their record. */
	if (store_segments(c->st, "refusals", &rs, &nrs) < 0) {
		scan_free(&sc);
		return -1;
	}
	for (size_t i = 0; i < nrs; i++) {
		struct colvec vb, vp;
		int hb = col_get(rs[i], "batch", &vb), hp = col_get(rs[i], "profile_id", &vp);

		if (hb < 0 || hp < 0) {
			col_put(&vb);
			col_put(&vp);
			store_segments_free(rs, nrs);
			scan_free(&sc);
			return -1;
		}
		for (size_t k = 0; hb > 0 && k < vb.n; k++) {
			const char *src = batch_source(c->st, (uint64_t)vb.iv[k]);
			size_t si = src ? source_index(&sc, src) : MAX_SOURCES;

			if (c->member) {
				int64_t id = hp > 0 && !colvec_isnull(&vp, k) ?
				    mergemap_resolve(&c->mm, vp.iv[k]) : -1;

				if (id < 0 || id > c->maxid || !in_scope(c, c->dense[id]))
					continue;
			}
			refused[si]++;
		}
		col_put(&vb);
		col_put(&vp);
	}
	store_segments_free(rs, nrs);
	for (size_t p = 0; p < c->np; p++) {
		int stale;

		if (!in_scope(c, (int32_t)p))
			continue;
		stale = sc.last[p] == REPORT_NO_TIME || sc.last[p] < cutoff;
		for (size_t s = 0; s < sc.nsrc; s++) {
			if (!(sc.srcmask[p] >> s & 1))
				continue;
			sc.src[s].profiles++;
			sc.src[s].inactive += stale;
		}
		allprofiles++;
		allinactive += stale;
	}

	rep_init(r, "quality");
	subtitle(r, o, c, "inactive = no record in the 365 days before as-of");
	static const char *const cols[] = { "source", "records", "valid_email", "valid_email_share",
		"valid_phone", "valid_phone_share", "placeholders", "rejected", "replays_skipped",
		"refused", "duplicate_records", "unlinked", "profiles", "inactive_1y",
		"inactive_share", NULL };
	for (int k = 0; cols[k]; k++)
		rep_col(r, cols[k], k ? OK_NUMBER : OK_STRING);
	ns = sc.nsrc;
	chart_init(&r->chart, CHART_BAR, "share of records with a valid e-mail and phone", ns, 2);
	r->chart.percent = 1;
	r->chart.ylabels[0] = xstrdup("valid e-mail");
	r->chart.ylabels[1] = xstrdup("valid phone");
	{
		struct srcstat all;
		uint64_t arej = 0, adup = 0, aref = 0;

		memset(&all, 0, sizeof all);
		for (size_t s = 0; s <= ns + 1; s++) {
			const struct srcstat *ss;
			uint64_t rj, dp, rf;

			if (s < ns) {
				ss = &sc.src[s];
				rj = rejects[s];
				dp = dups[s];
				rf = refused[s];
				all.records += ss->records;
				all.email += ss->email;
				all.phone += ss->phone;
				all.blocked += ss->blocked;
				all.unlinked += ss->unlinked;
				all.dupperson += ss->dupperson;
				arej += rj;
				adup += dp;
				aref += rf;
			} else if (s == ns) {
				/* Rows without a source: only shown when there are any. */
				ss = &sc.src[MAX_SOURCES];
				if (!ss->records && !rejects[MAX_SOURCES] && !refused[MAX_SOURCES])
					continue;
				rj = rejects[MAX_SOURCES];
				dp = dups[MAX_SOURCES];
				rf = refused[MAX_SOURCES];
				all.records += ss->records;
				all.email += ss->email;
				all.phone += ss->phone;
				all.blocked += ss->blocked;
				all.unlinked += ss->unlinked;
				all.dupperson += ss->dupperson;
				arej += rj;
				adup += dp;
				aref += rf;
			} else {
				all.profiles = allprofiles;
				all.inactive = allinactive;
				ss = &all;
				rj = arej;
				dp = adup;
				rf = aref;
			}
			rep_row(r);
			r->cells[(r->nrows - 1) * r->ncols] =
			    xstrdup(s < ns ? sc.srcname[s] : s == ns ? "(none)" : "all");
			rep_setu(r, 1, ss->records);
			rep_setu(r, 2, ss->email);
			rep_setshare(r, 3, (double)ss->email, (double)ss->records);
			rep_setu(r, 4, ss->phone);
			rep_setshare(r, 5, (double)ss->phone, (double)ss->records);
			rep_setu(r, 6, ss->blocked);
			/* Import counts cannot be split by profile: none for a segment. */
			if (!c->member) {
				rep_setu(r, 7, rj);
				rep_setu(r, 8, dp);
			}
			rep_setu(r, 9, rf);
			rep_setu(r, 10, ss->dupperson);
			rep_setu(r, 11, ss->unlinked);
			if (s != ns) {
				rep_setu(r, 12, ss->profiles);
				rep_setu(r, 13, ss->inactive);
				rep_setshare(r, 14, (double)ss->inactive, (double)ss->profiles);
			}
			if (s < ns) {
				r->chart.xlabels[s] = xstrdup(sc.srcname[s]);
				r->chart.v[s] = ss->records ? (double)ss->email / (double)ss->records : NAN;
				r->chart.v[ns + s] = ss->records ? (double)ss->phone / (double)ss->records : NAN;
			}
		}
	}
	scan_free(&sc);
	return 0;
}

/* ---- segments ------------------------------------------------------------ */

/*
 * cdp-segment keeps its named segments in the manifest (see
 * cmd/cdp-segment.c): "segdef" entries (name, expr) and "segrun"
 * entries (name, time, as-of, size, entered, left, members = the
 * segment entry of a segmembers file holding the profile ids).
 */

struct runref {
	const struct mentry *e;
	const char *name, *time;
};

static int
cmp_run(const void *a, const void *b)
{
	const struct runref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	c = strcmp(x->time, y->time);
	if (c)
		return c;
	return (x->e->id > y->e->id) - (x->e->id < y->e->id);
}

static int
report_segments(struct ctx *c, struct report *r)
{
	const struct report_opts *o = c->o;
	const struct store *st = c->st;
	struct runref *runs = NULL;
	size_t nruns = 0, ncap = 0, nnames = 0, ntimes = 0;
	char **times = NULL;

	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];
		const char *name = mentry_get(e, "name"), *t = mentry_get(e, "time");
		int64_t us;

		if (strcmp(e->kind, "segrun") != 0 || !name || !t)
			continue;
		if (report_parse_time(t, 0, &us) < 0 || us >= o->as_of || !in_period(o, us))
			continue;
		GROW(runs, nruns, ncap);
		runs[nruns].e = e;
		runs[nruns].name = name;
		runs[nruns].time = t;
		nruns++;
	}
	sort_any(runs, nruns, sizeof *runs, cmp_run);
	rep_init(r, "segments");
	subtitle(r, o, c, "size of each saved segment at each recorded run");
	rep_col(r, "segment", OK_STRING);
	rep_col(r, "run", OK_STRING);
	rep_col(r, "as_of", OK_STRING);
	rep_col(r, "profiles", OK_NUMBER);
	rep_col(r, "entered", OK_NUMBER);
	rep_col(r, "left", OK_NUMBER);
	/* Saved but never run: a row without a run, so the name is not lost. */
	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];
		const char *name = mentry_get(e, "name");
		int ran = 0;

		if (strcmp(e->kind, "segdef") != 0 || !name)
			continue;
		for (size_t k = 0; k < nruns && !ran; k++)
			ran = strcmp(runs[k].name, name) == 0;
		if (ran)
			continue;
		rep_row(r);
		r->cells[(r->nrows - 1) * r->ncols] = xstrdup(name);
	}
	for (size_t k = 0; k < nruns; k++) {
		const struct mentry *e = runs[k].e;
		const char *asof = mentry_get(e, "as-of");
		int newtime = 1;

		rep_row(r);
		r->cells[(r->nrows - 1) * r->ncols] = xstrdup(runs[k].name);
		r->cells[(r->nrows - 1) * r->ncols + 1] = xstrdup(runs[k].time);
		if (asof)
			r->cells[(r->nrows - 1) * r->ncols + 2] = xstrdup(asof);
		rep_setu(r, 3, mentry_getu(e, "size"));
		if (mentry_get(e, "entered"))
			rep_setu(r, 4, mentry_getu(e, "entered"));
		if (mentry_get(e, "left"))
			rep_setu(r, 5, mentry_getu(e, "left"));
		if (k == 0 || strcmp(runs[k - 1].name, runs[k].name) != 0)
			nnames++;
		for (size_t j = 0; j < ntimes && newtime; j++)
			newtime = strcmp(times[j], runs[k].time) != 0;
		if (newtime) {
			times = xreallocarray(times, ntimes + 1, sizeof *times);
			times[ntimes++] = (char *)runs[k].time;
		}
	}
	/* Line chart: one series per segment over the sorted run times. */
	for (size_t i = 1; i < ntimes; i++)
		for (size_t j = i; j > 0 && strcmp(times[j - 1], times[j]) > 0; j--) {
			char *t = times[j];

			times[j] = times[j - 1];
			times[j - 1] = t;
		}
	chart_init(&r->chart, CHART_LINE, "profiles in each segment over its runs", ntimes, nnames);
	for (size_t x = 0; x < ntimes; x++)
		r->chart.xlabels[x] = xstrndup(times[x], strlen(times[x]) >= 16 ? 16 : strlen(times[x]));
	for (size_t k = 0, y = 0; k < nruns; k++) {
		if (k > 0 && strcmp(runs[k - 1].name, runs[k].name) != 0)
			y++;
		if (!r->chart.ylabels[y])
			r->chart.ylabels[y] = xstrdup(runs[k].name);
		for (size_t x = 0; x < ntimes; x++)
			if (strcmp(times[x], runs[k].time) == 0)
				r->chart.v[y * ntimes + x] = (double)mentry_getu(runs[k].e, "size");
	}
	free(times);
	free(runs);
	return 0;
}

static const struct mentry *
find_named(const struct store *st, const char *kind, const char *name)
{
	const struct mentry *found = NULL;

	for (size_t i = 0; i < st->ne; i++) {
		const char *n = mentry_get(st->e[i], "name");

		if (strcmp(st->e[i]->kind, kind) == 0 && n && strcmp(n, name) == 0)
			found = st->e[i];	/* the last one is the latest */
	}
	return found;
}

int
report_segment_ids(struct store *st, const char *name, int64_t **ids, size_t *n)
{
	const struct mentry *run = find_named(st, "segrun", name), *seg;
	struct segment *s;
	struct colvec v;
	char *path;

	*ids = NULL;
	*n = 0;
	if (!run) {
		if (find_named(st, "segdef", name))
			return cdp_seterr("segment '%s' has no recorded run (cdp-segment --run %s --changes)", name,
			    name);
		return cdp_seterr("no saved segment '%s' (cdp-segment --list)", name);
	}
	seg = store_find(st, "segment", mentry_getu(run, "members"));
	if (!seg || !mentry_get(seg, "file"))
		return cdp_seterr("segment '%s': its last run's member list is missing", name);
	path = store_path(st, mentry_get(seg, "file"));
	s = segment_open(path);
	free(path);
	if (!s)
		return -1;
	if (segment_col_index(s, "profile_id") != 0 || segment_read(s, 0, &v) < 0) {
		cdp_seterr("%s: unreadable member list", s->path);
		segment_close(s);
		return -1;
	}
	segment_close(s);
	*ids = v.iv;
	*n = v.n;
	v.iv = NULL;
	colvec_free(&v);
	return 0;
}

/* ---- entry points ---------------------------------------------------------- */

int
report_run(struct store *st, int kind, const struct report_opts *o, struct report *r)
{
	struct ctx c;
	int rc;

	memset(r, 0, sizeof *r);
	if (ctx_open(&c, st, o) < 0)
		return -1;
	switch (kind) {
	case REPORT_OVERVIEW:
		rc = report_overview(&c, r);
		break;
	case REPORT_CAMPAIGNS:
		rc = report_campaigns(&c, r);
		break;
	case REPORT_FUNNEL:
		rc = report_funnel(&c, r);
		break;
	case REPORT_COHORTS:
		rc = report_cohorts(&c, r);
		break;
	case REPORT_RFM:
		rc = report_rfm(&c, r);
		break;
	case REPORT_SEGMENTS:
		rc = report_segments(&c, r);
		break;
	case REPORT_QUALITY:
		rc = report_quality(&c, r);
		break;
	default:
		rc = cdp_seterr("unknown report");
	}
	ctx_free(&c);
	if (rc < 0)
		report_free(r);
	return rc;
}

int
report_write(const struct report *r, FILE *f, int format)
{
	struct out o;
	int rc = 0;

	out_init(&o, f, format, 0);
	out_header(&o, (const char *const *)r->names, r->ncols);
	for (size_t i = 0; i < r->nrows && rc == 0; i++) {
		for (size_t k = 0; k < r->ncols; k++) {
			const char *s = r->cells[i * r->ncols + k];

			if (s)
				out_cell(&o, s, strlen(s), r->kinds[k]);
			else
				out_null(&o);
		}
		rc = out_row_end(&o);
	}
	out_free(&o);
	return rc;
}

static void
value_text(double v, int percent, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (percent)
		snprintf(buf, n, "%.1f%%", v * 100);
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

/* Display width of a UTF-8 string: code points, good enough for labels. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

void
report_text_chart(const struct report *r, FILE *f, int width)
{
	const struct chart *c = &r->chart;
	static const char shades[] = " .:-=+*#%@";
	size_t lw = 0, vw = 0;
	double max = 0;
	char buf[64];

	fprintf(f, "%s: %s\n", r->title, c->title ? c->title : "");
	if (r->subtitle)
		fprintf(f, "(%s)\n", r->subtitle);
	if (c->type == CHART_NONE || c->nx == 0 || c->ny == 0) {
		fprintf(f, "(nothing to draw)\n");
		return;
	}
	for (size_t i = 0; i < c->nx * c->ny; i++)
		if (!isnan(c->v[i]) && c->v[i] > max)
			max = c->v[i];
	if (c->type == CHART_HEAT) {
		size_t cw = 5;

		for (size_t y = 0; y < c->ny; y++)
			if (c->ylabels[y] && text_width(c->ylabels[y]) > lw)
				lw = text_width(c->ylabels[y]);
		for (size_t x = 0; x < c->nx; x++) {
			for (size_t y = 0; y < c->ny; y++) {
				value_text(c->v[y * c->nx + x], c->percent, buf, sizeof buf);
				if (strlen(buf) + 2 > cw)
					cw = strlen(buf) + 2;
			}
		}
		fprintf(f, "%*s", (int)lw, "");
		for (size_t x = 0; x < c->nx; x++)
			fprintf(f, " %*s", (int)cw, c->xlabels[x] ? c->xlabels[x] : "");
		fputc('\n', f);
		for (size_t y = 0; y < c->ny; y++) {
			const char *l = c->ylabels[y] ? c->ylabels[y] : "";

			fprintf(f, "%s%*s", l, (int)(lw - text_width(l)), "");
			for (size_t x = 0; x < c->nx; x++) {
				double v = c->v[y * c->nx + x];
				int shade = isnan(v) || max <= 0 ? 0 : (int)(v / max * 9 + 0.5);

				value_text(v, c->percent, buf, sizeof buf);
				fprintf(f, " %c%*s", isnan(v) ? ' ' : shades[shade], (int)cw - 1, buf);
			}
			fputc('\n', f);
		}
		return;
	}
	/* Bars (a line chart draws as bars per point too): label, bar, value. */
	for (size_t y = 0; y < c->ny; y++)
		for (size_t x = 0; x < c->nx; x++) {
			size_t w = text_width(c->xlabels[x] ? c->xlabels[x] : "") +
			    (c->ny > 1 ? text_width(c->ylabels[y] ? c->ylabels[y] : "") + 3 : 0);

			if (w > lw)
				lw = w;
			value_text(c->v[y * c->nx + x], c->percent, buf, sizeof buf);
			if (strlen(buf) > vw)
				vw = strlen(buf);
		}
	if (lw > 40)
		lw = 40;
	{
		int bw = width - (int)lw - (int)vw - 3;

		if (bw < 10)
			bw = 10;
		for (size_t x = 0; x < c->nx; x++) {
			for (size_t y = 0; y < c->ny; y++) {
				double v = c->v[y * c->nx + x];
				int n = isnan(v) || max <= 0 ? 0 : (int)(v / max * bw + 0.5);
				struct strbuf label = STRBUF_INIT;

				sb_adds(&label, c->xlabels[x] ? c->xlabels[x] : "");
				if (c->ny > 1)
					sb_addf(&label, " (%s)", c->ylabels[y] ? c->ylabels[y] : "");
				fprintf(f, "%s%*s |", label.buf,
				    (int)(lw > text_width(label.buf) ? lw - text_width(label.buf) : 0), "");
				for (int k = 0; k < n; k++)
					fputs(y % 2 ? "=" : "#", f);
				value_text(v, c->percent, buf, sizeof buf);
				fprintf(f, " %s\n", buf);
				sb_free(&label);
			}
		}
	}
}

int
report_read_ids(FILE *f, int64_t **ids, size_t *n)
{
	char *line = NULL;
	size_t cap = 0, ncap = 0;
	ssize_t len;
	uint64_t lineno = 0;

	*ids = NULL;
	*n = 0;
	while ((len = getline(&line, &cap, f)) != -1) {
		char *end;
		long long v;
		size_t k = 0;

		lineno++;
		while (k < (size_t)len && (line[k] == ' ' || line[k] == '"'))
			k++;
		if (k == (size_t)len || line[k] == '\n' || line[k] == '\r')
			continue;
		v = strtoll(line + k, &end, 10);
		if (end == line + k || v < 0 || !strchr("\",\t\r\n ", *end)) {
			if (lineno == 1)
				continue;	/* a header such as "profile_id" */
			free(line);
			free(*ids);
			*ids = NULL;
			*n = 0;
			return cdp_seterr("line %llu: not a profile id", (unsigned long long)lineno);
		}
		GROW(*ids, *n, ncap);
		(*ids)[(*n)++] = v;
	}
	free(line);
	if (ferror(f)) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return cdp_seterr("cannot read profile ids");
	}
	return 0;
}
