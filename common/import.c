/*
 * import.c - records from a reader into segments of the records table.
 *
 * Per segment, every input column is buffered as text (one blob per
 * column, a 32-bit offset per row) while its type is inferred from the
 * values seen; at flush the column becomes a typed colvec.  Role values
 * are normalized as each row arrives, into colvecs of known type.  Hot
 * path: no allocation per row once buffers have grown.
 *
 * A row is validated completely before any of it is buffered, so a
 * rejected row leaves no trace in the segment.
 */
#include <csv.h>
#include <pthread.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "csvin.h"
#include "fileio.h"
#include "import.h"
#include "infer.h"
#include "jsonin.h"
#include "lsm.h"
#include "suppress.h"

#define NULL_OFF UINT32_MAX
#define MAX_CELLS (16u << 20)		/* rows x columns buffered per segment */
#define MAX_TEXT (1024u << 20)		/* text bytes buffered per segment */
#define MAX_ATTR_COLUMNS 4096
#define FLUSH_ROWS (256u << 10)		/* rows per segment while importing */

static const char *const role_names[ROLE_COUNT] = {
	"email", "phone", "customer_id", "anonymous_id", "loyalty_id",
	"time", "event", "message_id",
};
static const char *const role_columns[ROLE_COUNT] = {
	"_email", "_phone", "_customer_id", "_anonymous_id", "_loyalty_id",
	"_time", "_event", "_message_id",
};

/*
 * Header names recognised per role, in priority order, compared after
 * lower-casing and dropping everything but letters and digits (so
 * "E-Mail", "Email Address" and "email_address" all match).
 */
static const char *const role_aliases[ROLE_COUNT][24] = {
	[ROLE_EMAIL] = { "email", "emailaddress", "mail", "emailadresse", "traitsemail",
		"contexttraitsemail", "useremail", "customeremail", "propertiesemail", NULL },
	[ROLE_PHONE] = { "phone", "phonenumber", "mobile", "mobilephone", "mobilenumber",
		"telephone", "tel", "cell", "cellphone", "telefon", "handy", "traitsphone",
		"contexttraitsphone", "defaultaddressphone", "billingphone", NULL },
	[ROLE_CUSTOMER_ID] = { "customerid", "userid", "customernumber", "customerno",
		"clientid", "contactid", "accountid", "crmid", "kundennummer", "kundennr", NULL },
	[ROLE_ANONYMOUS_ID] = { "anonymousid", "deviceid", "cookieid", "visitorid", "anonid",
		"contextdeviceid", NULL },
	[ROLE_LOYALTY_ID] = { "loyaltyid", "loyaltycard", "loyaltynumber", "memberid",
		"membershipid", "cardnumber", "kundenkarte", NULL },
	[ROLE_TIME] = { "timestamp", "ts", "time", "eventtime", "occurredat", "orderdate",
		"orderedat", "purchasedate", "transactiondate", "datetime", "date", "datum",
		"updatedat", "createdat", "created", "subscribedat", "signupdate",
		"originaltimestamp", "sentat", "receivedat", NULL },
	[ROLE_EVENT] = { "event", "eventname", "eventtype", "type", NULL },	/* type: JSON only */
	[ROLE_MESSAGE_ID] = { "messageid", "eventid", NULL },
};

int
role_from_name(const char *name)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (strcmp(name, role_names[r]) == 0)
			return r;
	return -1;
}

const char *
role_name(int role)
{
	return role_names[role];
}

const char *
role_column(int role)
{
	return role_columns[role];
}

/*
 * The role a header name suggests and its rank (lower wins), or -1.
 * "type" names the event only in JSON (Segment's track/identify/page);
 * in a CSV it is far more often a customer or product type.
 */
static int
role_guess(const char *name, int json, int *rank)
{
	char key[64];
	size_t k = 0;

	for (const char *p = name; *p && k < sizeof key - 1; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			key[k++] = c;
	}
	key[k] = '\0';
	for (int r = 0; r < ROLE_COUNT; r++) {
		for (int i = 0; role_aliases[r][i]; i++) {
			if (strcmp(key, role_aliases[r][i]) == 0) {
				if (r == ROLE_EVENT && !json && strcmp(key, "type") == 0)
					return -1;
				/* a till's or POS device id in a CSV is shared by
				 * everyone served there: not a person's id */
				if (r == ROLE_ANONYMOUS_ID && !json && strcmp(key, "deviceid") == 0)
					return -1;
				*rank = i;
				return r;
			}
		}
	}
	return -1;
}

/* A device or terminal, which many people share. */
static int
device_name(const char *name)
{
	static const char *const words[] = { "device", "terminal", "register", "kasse", "till",
		"pos", "workstation", "ger\xc3\xa4t", "geraet", NULL };
	char low[64];
	size_t k = 0;

	for (const char *p = name; *p && k + 1 < sizeof low; p++)
		low[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	low[k] = '\0';
	for (int i = 0; words[i]; i++)
		if (strncmp(low, words[i], strlen(words[i])) == 0 && strstr(low, "id"))
			return 1;
	return 0;
}

/* The leading letters and digits of an event name, lower-cased ("order"). */
static int
starts_with_event(const char *name, const char *event)
{
	size_t i = 0;

	for (; event[i] && name[i]; i++) {
		int a = (unsigned char)name[i], b = (unsigned char)event[i];

		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (b >= 'A' && b <= 'Z')
			b += 32;
		if (a != b)
			return 0;
	}
	return !event[i] && i > 0 && (name[i] == '_' || name[i] == ' ' || name[i] == '-' ||
	    (name[i] >= 'A' && name[i] <= 'Z'));
}

/* The name a mapping's rename rule gives an input column, else name. */
static const char *
renamed(const struct import_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nrenames; i++)
		if (strcmp(o->renames[i].column, name) == 0)
			return o->renames[i].value;
	return name;
}

int
import_role(const struct import_opts *o, const char *name, int json, int *rank,
    const char **why)
{
	const char *stored = renamed(o, name);
	int r;

	*rank = 0;
	*why = NULL;
	if (o->dedupe_key && strcmp(o->dedupe_key, name) == 0) {
		*rank = -1;	/* explicit beats any guess */
		*why = "--dedupe-key";
		return ROLE_MESSAGE_ID;
	}
	for (r = 0; r < ROLE_COUNT; r++) {
		if (o->map[r] && (strcmp(o->map[r], name) == 0 ||
		    strcmp(o->map[r], stored) == 0)) {
			*rank = -1;
			*why = "--map";
			return r;
		}
	}
	r = role_guess(name, json, rank);
	if (r < 0 && stored != name)
		r = role_guess(stored, json, rank);
	if (r < 0 && !o->map[ROLE_TIME] && time_column(name)) {
		/* order_ts for --event order first; modification times last */
		r = ROLE_TIME;
		*rank = o->event_name && starts_with_event(name, o->event_name) ? 0 :
		    strstr(name, "hange") || strstr(name, "pdate") || strstr(name, "odif") ||
		    strstr(name, "HANGE") || strstr(name, "PDATE") ? 40 : 30;
		*why = "name like a time";
	} else if (r >= 0) {
		*why = "name";
	}
	if (r >= 0 && o->map[r]) {
		*why = "name, but --map chose another column";
		return -1;	/* a role given with --map takes no guessed columns */
	}
	if (r < 0 && device_name(name))
		*why = "a device or terminal id, shared by many people";
	return r;
}

/* One input column being buffered for the current segment. */
struct acol {
	char *name;		/* as stored (input names starting '_' get one more) */
	char *input_name;
	int role, rank;		/* role it may fill, -1 for none */
	const char *why;	/* what gave it the role */
	int country;		/* holds country names or codes */
	char cc_text[24];	/* the last value looked up, and its code */
	const char *cc_code;
	struct strbuf text;
	uint32_t *off;		/* per row: offset into text, or NULL_OFF */
	size_t n, cap;
	struct tinfer ti;	/* type of the non-null values so far */
};

/* Reserved columns, in the order they are written. */
enum { RC_BATCH, RC_LINE, RC_SOURCE, RC_KIND, RC_EVENT, RC_TIME, RC_EMAIL, RC_PHONE,
	RC_CUSTOMER_ID, RC_ANONYMOUS_ID, RC_LOYALTY_ID, RC_MESSAGE_ID, RC_COUNT };
static const char *const rc_names[RC_COUNT] = { "_batch", "_line", "_source", "_kind",
	"_event", "_time", "_email", "_phone", "_customer_id", "_anonymous_id",
	"_loyalty_id", "_message_id" };
static const int rc_types[RC_COUNT] = { CT_INT, CT_INT, CT_STR, CT_STR, CT_STR, CT_TIME,
	CT_STR, CT_STR, CT_STR, CT_STR, CT_STR, CT_STR };

struct importer {
	struct store *st;
	const struct import_opts *o;
	struct import_stats *stats;
	uint64_t batch;
	int kind;
	struct strmap colmap;		/* input name -> index in cols */
	struct acol *cols;
	size_t ncols, capcols;
	struct colvec rc[RC_COUNT];
	size_t nrows;			/* rows in the current segment */
	size_t text_bytes;
	int *fcol;			/* per field of the current record: column */
	size_t fcap;
	struct strbuf idn[5], tmp;
	struct suppress sup;		/* erased people, by keyed hash */
	struct time_opts role_topts, attr_topts;
	struct u64set msgids;		/* hashes of this input's message ids */
	struct lsm *msgx;		/* msgindex: hash of a message id -> batch */
	char **segfiles;		/* written, not yet committed */
	uint64_t *segids, *segrows;
	size_t nsegs;
	FILE *rejects;
	char *rejects_path;
	char *rejects_err;		/* why it could not be opened */
	double last_progress, start;
	const char *input_name;
	int json;			/* the input is JSON Lines */
	int time_settled;		/* time_by_value() has looked */
	int need_time;			/* events, and no column named like a time */
	const char *const *names;	/* the CSV header, for time_column_error() */
	size_t nnames;
	struct pending *pending;	/* segment being written */
	const char **fname;		/* field names seen at each position */
	int *fidx;			/* ... and their columns */
	size_t fcache;
	struct field *xfields;		/* a record with the mapping's set columns */
	size_t xcap;
	struct strbuf group_last;	/* group value of the last row taken */
	int have_group;
};

static int message_seen(struct importer *im, const char *s, size_t len);

/*
 * A rename can give two input columns one stored name ("Vorname" renamed
 * to first_name beside a first_name column): they become one column, the
 * first of them in a row giving its value.  The index of the column
 * already stored under name's stored name, or -1.
 */
static long
same_stored_name(const struct importer *im, const char *name)
{
	const char *stored = renamed(im->o, name);
	int under = stored[0] == '_';

	for (size_t k = 0; k < im->ncols; k++) {
		const char *have = im->cols[k].name;

		if (under ? have[0] == '_' && strcmp(have + 1, stored) == 0 : strcmp(have, stored) == 0)
			return (long)k;
	}
	return -1;
}

static struct acol *
col_get(struct importer *im, const char *name)
{
	long idx = strmap_get(&im->colmap, name, strlen(name));
	const char *stored;
	struct acol *c;

	if (idx >= 0)
		return &im->cols[idx];
	if ((idx = same_stored_name(im, name)) >= 0) {
		strmap_put(&im->colmap, name, strlen(name), idx);
		return &im->cols[idx];
	}
	if (im->ncols >= MAX_ATTR_COLUMNS)
		return NULL;
	if (im->ncols == im->capcols) {
		im->capcols = im->capcols ? im->capcols * 2 : 32;
		im->cols = xreallocarray(im->cols, im->capcols, sizeof *im->cols);
	}
	c = &im->cols[im->ncols];
	memset(c, 0, sizeof *c);
	c->input_name = xstrdup(name);
	stored = renamed(im->o, name);
	if (stored[0] == '_') {
		c->name = xmalloc(strlen(stored) + 2);
		c->name[0] = '_';
		strcpy(c->name + 1, stored);
	} else {
		c->name = xstrdup(stored);
	}
	c->role = import_role(im->o, name, im->json, &c->rank, &c->why);
	c->country = country_column(name) || country_column(stored);
	tinfer_init(&c->ti, name, im->o->decimal_comma, im->o->day_first);
	strmap_put(&im->colmap, name, strlen(name), (long)im->ncols);
	im->ncols++;
	return c;
}

static void
col_push(struct acol *c, const char *s, size_t len)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		c->off = xreallocarray(c->off, c->cap, sizeof *c->off);
	}
	if (!s) {
		c->off[c->n++] = NULL_OFF;
		return;
	}
	c->off[c->n++] = (uint32_t)c->text.len;
	sb_add(&c->text, s, len);
	sb_addc(&c->text, '\0');
}

static void
col_to_vec(struct acol *c, struct colvec *v)
{
	int tfmt, type = tinfer_type(&c->ti, &tfmt);

	colvec_init(v, type);
	v->tfmt = type == CT_TIME ? tfmt : 0;
	for (size_t i = 0; i < c->n; i++) {
		const char *s;
		size_t len;
		int64_t x = 0;

		if (c->off[i] == NULL_OFF) {
			colvec_push_null(v);
			continue;
		}
		s = c->text.buf + c->off[i];
		len = strlen(s);
		if (type == CT_STR)
			colvec_push_str(v, s, len);
		else if (tinfer_value(&c->ti, type, s, len, &x) == 0)
			colvec_push_int(v, x);
		else
			colvec_push_null(v);	/* not reached: every value was tested */
	}
}

/*
 * A segment being written in the background while the next one fills:
 * parsing runs on one core while encoding and compression use the
 * other.  At most one is in flight; flush_wait() collects it.
 */
struct pending {
	pthread_t thread;
	int active, result;
	struct segcol_in *in;
	struct colvec *vecs;
	char **names;
	size_t ncols, nrows;
	char *path;
	uint64_t batch, size;
	char err[512];
};

static void *
flush_thread(void *arg)
{
	struct pending *p = arg;

	p->result = segment_write(p->path, "records", p->batch, p->in, p->ncols, p->nrows, &p->size);
	if (p->result < 0)
		snprintf(p->err, sizeof p->err, "%s", cdp_err());
	for (size_t k = 0; k < p->ncols; k++) {
		colvec_free(&p->vecs[k]);
		free(p->names[k]);
	}
	free(p->vecs);
	free(p->names);
	free(p->in);
	free(p->path);
	return NULL;
}

/* Wait for the segment in flight; -1 with cdp_err() if it failed. */
static int
flush_wait(struct importer *im)
{
	struct pending *p = im->pending;

	if (!p || !p->active)
		return 0;
	pthread_join(p->thread, NULL);
	p->active = 0;
	if (p->result < 0)
		return cdp_seterr("%s", p->err);
	return 0;
}

static int
flush_segment(struct importer *im)
{
	struct pending *p;
	size_t n = 0;
	uint64_t id;
	char *name;

	if (im->nrows == 0)
		return 0;
	if (flush_wait(im) < 0)
		return -1;
	if (!im->pending)
		im->pending = xcalloc(1, sizeof *im->pending);
	p = im->pending;
	p->ncols = RC_COUNT + im->ncols;
	p->in = xcalloc(p->ncols, sizeof *p->in);
	p->vecs = xcalloc(p->ncols, sizeof *p->vecs);
	p->names = xcalloc(p->ncols, sizeof *p->names);
	/* The thread owns these from here: reserved columns move over. */
	for (int k = 0; k < RC_COUNT; k++, n++) {
		p->vecs[n] = im->rc[k];
		colvec_init(&im->rc[k], rc_types[k]);
		p->names[n] = xstrdup(rc_names[k]);
	}
	for (size_t k = 0; k < im->ncols; k++, n++) {
		/* a column seen only in rejected rows holds no value yet */
		while (im->cols[k].n < im->nrows)
			col_push(&im->cols[k], NULL, 0);
		col_to_vec(&im->cols[k], &p->vecs[n]);
		p->names[n] = xstrdup(im->cols[k].name);
	}
	for (size_t k = 0; k < n; k++) {
		p->in[k].name = p->names[k];
		p->in[k].v = &p->vecs[k];
	}
	name = store_segment_name(im->st, &id);
	p->path = store_path(im->st, name);
	p->batch = im->batch;
	p->nrows = im->nrows;
	/* Recorded now so a failure later still removes the file. */
	im->segfiles = xreallocarray(im->segfiles, im->nsegs + 1, sizeof *im->segfiles);
	im->segids = xreallocarray(im->segids, im->nsegs + 1, sizeof *im->segids);
	im->segrows = xreallocarray(im->segrows, im->nsegs + 1, sizeof *im->segrows);
	im->segfiles[im->nsegs] = name;
	im->segids[im->nsegs] = id;
	im->segrows[im->nsegs] = im->nrows;
	im->nsegs++;
	if (pthread_create(&p->thread, NULL, flush_thread, p) != 0) {
		flush_thread(p);	/* no thread to be had: write it here */
		if (p->result < 0)
			return cdp_seterr("%s", p->err);
	} else {
		p->active = 1;
	}
	/* Start the next segment afresh: columns may differ in type there. */
	for (size_t k = 0; k < im->ncols; k++) {
		struct acol *c = &im->cols[k];

		sb_reset(&c->text);
		c->n = 0;
		tinfer_init(&c->ti, c->input_name, im->o->decimal_comma, im->o->day_first);
	}
	im->nrows = 0;
	im->text_bytes = 0;
	return 0;
}

static void
write_reject(struct importer *im, unsigned long line, const char *reason,
    const char *raw, size_t rawlen)
{
	im->stats->rejects++;
	if (!im->rejects) {
		/* Never through a symlink, never a foreign mode: rows hold
		 * personal data. */
		int fd = im->rejects_err ? -1 : io_open_output(im->rejects_path);

		if (fd >= 0 && !(im->rejects = fdopen(fd, "w"))) {
			cdp_seterr("%s: %s", im->rejects_path, strerror(errno));
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			if (!im->rejects_err)
				im->rejects_err = xstrdup(cdp_err());
			return;	/* reported at the end: the path is unwritable */
		}
		fputs("line,reason,record\n", im->rejects);
	}
	fprintf(im->rejects, "%lu,", line);
	csv_fwrite(im->rejects, reason, strlen(reason));
	fputc(',', im->rejects);
	csv_fwrite(im->rejects, raw, rawlen);
	fputc('\n', im->rejects);
}

/* An event name as a stable identifier: "Order Completed" -> "order_completed". */
static void
event_key(const char *s, size_t len, struct strbuf *out)
{
	int gap = 0;

	sb_reset(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
			if (gap && out->len)
				sb_addc(out, '_');
			gap = 0;
			sb_addc(out, c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else {
			gap = 1;
		}
	}
}

static void
trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t'))
		(*s)++, (*len)--;
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static void
push_str_or_null(struct colvec *v, const char *s, size_t len)
{
	if (s && len)
		colvec_push_str(v, s, len);
	else
		colvec_push_null(v);
}

static void
progress(struct importer *im)
{
	double t = now_seconds();

	if (t - im->last_progress < 0.5)
		return;
	im->last_progress = t;
	fprintf(stderr, "\r%s: %s: %llu rows, %llu rejects, %.1f s ", cdp_progname(), im->input_name,
	    (unsigned long long)im->stats->rows, (unsigned long long)im->stats->rejects, t - im->start);
}

int
import_time_value(const char *s, size_t len)
{
	int64_t us;
	int fmt;

	trim(&s, &len);
	return len >= 10 && s[0] >= '0' && s[0] <= '9' && s[4] == '-' &&
	    norm_time(s, len, NULL, &us, &fmt) == 0;
}

/*
 * An event file with no column named like a time: the first column
 * whose value in the first row is an ISO 8601 time becomes the time.
 */
static void
time_by_value(struct importer *im, const struct record *rec, const struct field **best)
{
	im->time_settled = 1;
	if (im->kind != KIND_EVENT || best[ROLE_TIME] || im->o->map[ROLE_TIME])
		return;
	for (size_t k = 0; k < im->ncols; k++)
		if (im->cols[k].role == ROLE_TIME)
			return;
	for (size_t i = 0; i < rec->nfields; i++) {
		struct acol *c = &im->cols[im->fcol[i]];
		const struct field *f = &rec->fields[i];

		if (c->role < 0 && f->kind != FK_NUMBER && import_time_value(f->val, f->len)) {
			c->role = ROLE_TIME;
			c->rank = 90;
			c->why = "values are times";
			best[ROLE_TIME] = f;
			return;
		}
	}
}

/* A country column's value as its ISO code, or NULL; rows repeat values. */
static const char *
col_country(struct acol *c, const char *s, size_t len)
{
	if (len < sizeof c->cc_text && memcmp(c->cc_text, s, len) == 0 && !c->cc_text[len])
		return c->cc_code;
	c->cc_code = country_iso2(s, len);
	if (len < sizeof c->cc_text) {
		memcpy(c->cc_text, s, len);
		c->cc_text[len] = '\0';
	} else {
		c->cc_text[0] = '\0';
	}
	return c->cc_code;
}

/* The ISO code in the row's first country column that has one, or NULL. */
static const char *
row_country(struct importer *im, const struct record *rec)
{
	for (size_t i = 0; i < rec->nfields; i++) {
		const char *cc;

		struct acol *c = &im->cols[im->fcol[i]];

		if (c->country && rec->fields[i].len &&
		    (cc = col_country(c, rec->fields[i].val, rec->fields[i].len)) != NULL)
			return cc;
	}
	return NULL;
}

/*
 * Buffer one value as exporters should have written it: without the
 * Excel apostrophe, a country as its ISO code.
 */
static void
buffer_value(struct importer *im, struct acol *c, const struct field *f)
{
	const char *s = f->val, *cc;
	size_t len = f->len;

	if (f->kind == FK_TEXT || f->kind == FK_STRING) {
		const char *t = s;
		size_t tl = len;

		trim(&t, &tl);
		if (clean_apostrophe(&t, &tl)) {
			s = t;
			len = tl;
		}
		if (c->country && (cc = col_country(c, t, tl)) != NULL) {
			s = cc;
			len = 2;
		}
	}
	if (!len) {
		col_push(c, NULL, 0);
		return;
	}
	col_push(c, s, len);
	tinfer_add(&c->ti, s, len, f->kind);
	im->text_bytes += len + 1;
}

/* 1 if a column of the header would take the time role by its name. */
static int
has_time_column(const struct import_opts *o, const char *const *names, size_t n)
{
	const char *why;
	int rank;

	for (size_t i = 0; i < n; i++)
		if (import_role(o, names[i], 0, &rank, &why) == ROLE_TIME)
			return 1;
	return 0;
}

/*
 * Events need a time: a file with no time column would have every row
 * rejected.  The error for it, naming the columns that might be meant.
 */
static int
time_column_error(const struct import_opts *o, const char *const *names, size_t n,
    const char *input)
{
	/* taken for events only because a column looked like an event name */
	int guessed = o->kind == KIND_AUTO && !o->event_name &&
	    !(o->map[ROLE_EVENT] && *o->map[ROLE_EVENT]);
	struct strbuf cand = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (!time_column(names[i]))
			continue;
		sb_adds(&cand, cand.len ? ", " : "");
		sb_adds(&cand, names[i]);
	}
	if (o->map[ROLE_TIME] && *o->map[ROLE_TIME])
		cdp_seterr("%s: events need a time, and there is no column '%s'%s%s%s", input,
		    o->map[ROLE_TIME], cand.len ? " (candidates: " : "", cand.len ? cand.buf : "",
		    cand.len ? ")" : "");
	else if (cand.len)
		cdp_seterr("%s: events need a time, and no column is known to hold it "
		    "(candidates: %s); name it with --map time=COLUMN%s", input, cand.buf,
		    guessed ? ", or give --kind person" : "");
	else
		cdp_seterr("%s: events need a time, and no column looks like one; "
		    "name it with --map time=COLUMN%s", input,
		    guessed ? ", or give --kind person" : "");
	sb_free(&cand);
	return -1;
}

/* After the first row: did the header or its values give a time column? */
static int
time_found(const struct importer *im)
{
	for (size_t k = 0; k < im->ncols; k++)
		if (im->cols[k].role == ROLE_TIME)
			return 1;
	return 0;
}

/* Take one record: validate, then buffer.  -1 only on a fatal error. */
static const int idrc[] = { RC_EMAIL, RC_PHONE, RC_CUSTOMER_ID, RC_ANONYMOUS_ID,
	RC_LOYALTY_ID };
static const int idrole[] = { ROLE_EMAIL, ROLE_PHONE, ROLE_CUSTOMER_ID,
	ROLE_ANONYMOUS_ID, ROLE_LOYALTY_ID };

static int
take_record(struct importer *im, const struct record *rec)
{
	int idok[5];
	const struct field *best[ROLE_COUNT] = { 0 };
	int bestrank[ROLE_COUNT];
	int64_t t = 0;
	int tfmt, have_time = 0;
	const char *rowcc;

	if (rec->nfields > im->fcap) {
		im->fcap = rec->nfields * 2;
		im->fcol = xreallocarray(im->fcol, im->fcap, sizeof *im->fcol);
	}
	if (rec->nfields > im->fcache) {
		im->fname = xreallocarray(im->fname, rec->nfields, sizeof *im->fname);
		im->fidx = xreallocarray(im->fidx, rec->nfields, sizeof *im->fidx);
		for (size_t i = im->fcache; i < rec->nfields; i++)
			im->fname[i] = NULL;
		im->fcache = rec->nfields;
	}
	for (size_t i = 0; i < rec->nfields; i++) {
		const struct field *f = &rec->fields[i];
		struct acol *c;

		/* Rows of one file repeat their names position by position:
		 * a compare beats hashing every name.  CSV names are stable
		 * pointers; JSON names live in a buffer reused per line. */
		if (im->fname[i] && ((!im->json && im->fname[i] == f->name) ||
		    strcmp(im->cols[im->fidx[i]].input_name, f->name) == 0)) {
			c = &im->cols[im->fidx[i]];
		} else {
			c = col_get(im, f->name);
			if (c) {
				im->fname[i] = f->name;
				im->fidx[i] = (int)(c - im->cols);
			}
		}

		if (!c) {
			write_reject(im, rec->line, "more than 4096 distinct columns in one batch",
			    rec->raw, rec->rawlen);
			return 0;
		}
		im->fcol[i] = (int)(c - im->cols);
		if (c->role >= 0 && f->len && f->kind != FK_NULL &&
		    (!best[c->role] || c->rank < bestrank[c->role])) {
			const char *s = f->val;
			size_t len = f->len;

			trim(&s, &len);
			if (len) {
				best[c->role] = f;
				bestrank[c->role] = c->rank;
			}
		}
	}
	if (!im->time_settled) {
		time_by_value(im, rec, best);
		if (im->need_time && !time_found(im))
			return time_column_error(im->o, im->names, im->nnames, im->input_name);
	}
	if (best[ROLE_TIME]) {
		const char *s = best[ROLE_TIME]->val;
		size_t len = best[ROLE_TIME]->len;

		trim(&s, &len);
		have_time = norm_time(s, len, &im->role_topts, &t, &tfmt) == 0;
		if (!have_time && im->kind == KIND_EVENT) {
			write_reject(im, rec->line, "unparseable time", rec->raw, rec->rawlen);
			return 0;
		}
	}
	if (im->kind == KIND_EVENT && !have_time) {
		write_reject(im, rec->line, "missing time", rec->raw, rec->rawlen);
		return 0;
	}
	/* Identifiers, normalized; a person erased with suppression stays out. */
	rowcc = row_country(im, rec);
	for (int k = 0; k < 5; k++) {
		const struct field *f = best[idrole[k]];
		const char *s = f ? f->val : NULL;
		size_t len = f ? f->len : 0;

		if (f) {
			trim(&s, &len);
			clean_apostrophe(&s, &len);
		}
		sb_reset(&im->idn[k]);
		idok[k] = 0;
		if (f && idrole[k] == ROLE_EMAIL)
			idok[k] = norm_email(s, len, &im->idn[k]) == 0;
		else if (f && idrole[k] == ROLE_PHONE)
			idok[k] = norm_phone(s, len, rowcc ? rowcc : im->o->default_country,
			    &im->idn[k]) == 0;
		else if (f) {
			sb_add(&im->idn[k], s, len);
			idok[k] = len > 0;
		}
		if (idok[k] && im->sup.live &&
		    suppress_has(&im->sup, role_name(idrole[k]), im->idn[k].buf, im->idn[k].len)) {
			im->stats->suppressed++;
			return 0;
		}
	}
	if (best[ROLE_MESSAGE_ID]) {
		const char *s = best[ROLE_MESSAGE_ID]->val;
		size_t len = best[ROLE_MESSAGE_ID]->len;

		trim(&s, &len);
		int seen = message_seen(im, s, len);

		if (seen < 0)
			return -1;
		if (seen) {
			im->stats->duplicates++;
			return 0;
		}
	}

	/* The row is accepted: buffer it. */
	for (size_t i = 0; i < rec->nfields; i++) {
		const struct field *f = &rec->fields[i];
		struct acol *c = &im->cols[im->fcol[i]];

		/* a column first seen now was absent (null) in earlier rows */
		while (c->n < im->nrows)
			col_push(c, NULL, 0);
		/* a name repeated in one record, or two columns renamed to one:
		 * the first value wins, an empty one yields to a later value */
		if (c->n > im->nrows && (c->off[c->n - 1] != NULL_OFF || !f->len || f->kind == FK_NULL))
			continue;
		if (c->n > im->nrows)
			c->n--;
		if (!f->len || f->kind == FK_NULL) {
			col_push(c, NULL, 0);
			continue;
		}
		buffer_value(im, c, f);
	}
	for (size_t k = 0; k < im->ncols; k++) {
		struct acol *c = &im->cols[k];

		while (c->n <= im->nrows)
			col_push(c, NULL, 0);
	}

	colvec_push_int(&im->rc[RC_BATCH], (int64_t)im->batch);
	colvec_push_int(&im->rc[RC_LINE], (int64_t)rec->line);
	colvec_push_str(&im->rc[RC_SOURCE], im->o->source, strlen(im->o->source));
	colvec_push_str(&im->rc[RC_KIND], im->kind == KIND_EVENT ? "event" : "person",
	    im->kind == KIND_EVENT ? 5 : 6);
	if (im->kind == KIND_EVENT) {
		if (im->o->event_name) {
			event_key(im->o->event_name, strlen(im->o->event_name), &im->tmp);
		} else if (best[ROLE_EVENT]) {
			event_key(best[ROLE_EVENT]->val, best[ROLE_EVENT]->len, &im->tmp);
		} else {
			sb_reset(&im->tmp);
		}
		push_str_or_null(&im->rc[RC_EVENT], im->tmp.buf, im->tmp.len);
	} else {
		colvec_push_null(&im->rc[RC_EVENT]);
	}
	if (have_time)
		colvec_push_int(&im->rc[RC_TIME], t);
	else
		colvec_push_null(&im->rc[RC_TIME]);

	for (int k = 0; k < 5; k++)
		push_str_or_null(&im->rc[idrc[k]], idok[k] ? im->idn[k].buf : NULL, im->idn[k].len);
	if (best[ROLE_MESSAGE_ID]) {
		const char *s = best[ROLE_MESSAGE_ID]->val;
		size_t len = best[ROLE_MESSAGE_ID]->len;

		trim(&s, &len);
		push_str_or_null(&im->rc[RC_MESSAGE_ID], s, len);
	} else {
		colvec_push_null(&im->rc[RC_MESSAGE_ID]);
	}

	im->nrows++;
	im->stats->rows++;
	if (im->nrows >= FLUSH_ROWS || im->nrows * (im->ncols + RC_COUNT) >= MAX_CELLS ||
	    im->text_bytes >= MAX_TEXT)
		return flush_segment(im);
	return 0;
}

static const struct field *
field_named(const struct record *rec, const char *name)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].name, name) == 0)
			return &rec->fields[i];
	return NULL;
}

/* Does the comma-separated list hold s (any case, spaces trimmed)? */
static int
list_has(const char *list, const char *s, size_t len)
{
	trim(&s, &len);
	while (*list) {
		size_t n = strcspn(list, ",");
		const char *w = list;
		size_t wl = n;

		trim(&w, &wl);
		if (wl == len && strncasecmp(w, s, len) == 0)
			return 1;
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

/*
 * The mapping's row rules, then take_record(): a row a skip rule names
 * is left out; a row continuing the previous row's group (a further
 * line item of one Shopify order) is folded into it, so the order and
 * its amount count once; set columns come first so they win over an
 * input column of the same name.
 */
static int
take_mapped(struct importer *im, const struct record *rec)
{
	const struct import_opts *o = im->o;
	const struct field *g = NULL;
	struct record x = *rec;
	int r;

	for (size_t i = 0; i < o->nskips; i++) {
		const struct field *f = field_named(rec, o->skips[i].column);

		if (f && f->kind != FK_NULL && list_has(o->skips[i].value, f->val, f->len)) {
			im->stats->skipped++;
			return 0;
		}
	}
	if (o->group && (g = field_named(rec, o->group)) != NULL && g->len) {
		if (im->have_group && g->len == im->group_last.len &&
		    memcmp(g->val, im->group_last.buf, g->len) == 0) {
			im->stats->grouped++;
			return 0;
		}
	}
	if (o->nsets) {
		if (rec->nfields + o->nsets > im->xcap) {
			im->xcap = (rec->nfields + o->nsets) * 2;
			im->xfields = xreallocarray(im->xfields, im->xcap, sizeof *im->xfields);
		}
		for (size_t i = 0; i < o->nsets; i++) {
			im->xfields[i].name = o->sets[i].column;
			im->xfields[i].val = o->sets[i].value;
			im->xfields[i].len = strlen(o->sets[i].value);
			im->xfields[i].kind = FK_TEXT;
		}
		memcpy(im->xfields + o->nsets, rec->fields, rec->nfields * sizeof *rec->fields);
		x.fields = im->xfields;
		x.nfields = rec->nfields + o->nsets;
	}
	r = take_record(im, &x);
	/* The group's first row decides for all of it: imported, or
	 * rejected, suppressed or a duplicate with its line items. */
	if (r == 0 && o->group) {
		sb_reset(&im->group_last);
		if (g && g->len)
			sb_add(&im->group_last, g->val, g->len);
		im->have_group = g && g->len;
	}
	return r;
}

int
import_kind(const struct import_opts *o, int format, const char *const *names, size_t n)
{
	int rank;

	if (o->kind != KIND_AUTO)
		return o->kind;
	if (o->event_name || o->map[ROLE_EVENT] || format == FORMAT_JSONL)
		return KIND_EVENT;
	for (size_t i = 0; i < n; i++)
		if (role_guess(names[i], 0, &rank) == ROLE_EVENT)
			return KIND_EVENT;
	return KIND_PERSON;
}

/* "role\tcolumn\twhy\n" for each column that fills a role, by role and rank. */
static char *
describe_roles(const struct importer *im)
{
	struct strbuf sb = STRBUF_INIT;

	for (int r = 0; r < ROLE_COUNT; r++) {
		for (int rank = -1; rank <= 99; rank++) {
			for (size_t k = 0; k < im->ncols; k++) {
				const struct acol *c = &im->cols[k];

				if (c->role == r && c->rank == rank)
					sb_addf(&sb, "%s\t%s\t%s\n", role_name(r), c->input_name,
					    c->why ? c->why : "name");
			}
		}
	}
	return sb.len ? sb_detach(&sb, NULL) : NULL;
}

/*
 * Message ids already in the store, hashed, so replays are skipped: the
 * msgindex table (lsm.h) maps each hash to its batch.  A store from
 * before the index gets it built here once, from its records segments
 * (one run per segment, so memory stays one segment's ids), and is
 * never scanned again.
 */
static int
load_message_ids(struct importer *im)
{
	struct segment **segs;
	size_t n;
	int rc = 0;

	im->msgx = lsm_open(im->st, "msgindex");
	/* one lookup per row: each part is read once */
	lsm_set_cache(im->msgx, 1);
	if (lsm_nruns(im->msgx) > 0)
		return 0;
	if (store_segments(im->st, "records", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int idx = segment_col_index(segs[i], "_message_id");
		struct colvec v;
		uint64_t *keys;
		int64_t *vals;
		size_t k = 0;

		if (idx < 0 || segs[i]->cols[idx].nnull == segs[i]->nrows)
			continue;
		if (segment_read(segs[i], idx, &v) < 0) {
			rc = -1;
			break;
		}
		keys = xcalloc(v.n + 1, sizeof *keys);
		vals = xcalloc(v.n + 1, sizeof *vals);
		for (size_t r = 0; r < v.n; r++) {
			size_t len;
			const char *s;

			if (colvec_isnull(&v, r))
				continue;
			s = colvec_str(&v, r, &len);
			keys[k] = hash_bytes(s, len);
			vals[k++] = (int64_t)segs[i]->batch;
		}
		colvec_free(&v);
		k = lsm_sort_pairs(keys, vals, k);
		rc = lsm_write_run(im->msgx, keys, vals, k);
		free(keys);
		free(vals);
	}
	store_segments_free(segs, n);
	/* the runs are committed with this import's batch */
	return rc < 0 ? -1 : lsm_compact(im->msgx, 0);
}

/*
 * 1 if the message id was seen: earlier in this input, or in a batch of
 * the store that is still there (a dropped batch's ids may come again).
 * -1 with cdp_err() when the index cannot be read.
 */
static int
message_seen(struct importer *im, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len);
	int64_t batch;

	if (u64set_has(&im->msgids, h))
		return 1;
	if (lsm_lookup(im->msgx, &h, 1, &batch) < 0)
		return -1;
	if (batch > 0 && store_find(im->st, "batch", (uint64_t)batch))
		return 1;
	u64set_add(&im->msgids, h);
	return 0;
}

/* This batch's message ids go into msgindex with the batch's commit. */
static int
record_message_ids(struct importer *im)
{
	const struct u64set *m = &im->msgids;
	size_t n = 0;
	uint64_t *keys = xcalloc(m->count + 2, sizeof *keys);
	int64_t *vals;
	int rc;

	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i])
			keys[n++] = m->slots[i];
	if (m->has_zero)
		keys[n++] = 0;
	vals = xcalloc(n + 1, sizeof *vals);
	for (size_t i = 0; i < n; i++)
		vals[i] = (int64_t)im->batch;
	n = lsm_sort_pairs(keys, vals, n);
	rc = lsm_write_run(im->msgx, keys, vals, n);
	free(keys);
	free(vals);
	return rc < 0 ? -1 : lsm_compact(im->msgx, 0);
}

void
import_csv_opts(const struct import_opts *o, struct csvin_opts *co)
{
	memset(co, 0, sizeof *co);
	co->delim = o->delimiter;
	co->sniff = 1;
	co->encoding = o->encoding;
	co->header = !o->no_header;
	co->columns = (const char *const *)o->columns;
	co->ncolumns = o->ncolumns;
}

int
import_format(const struct import_opts *o, struct input *in)
{
	const char *name = input_name(in);
	size_t len = strlen(name);
	int c;

	if (o->format != FORMAT_AUTO)
		return o->format;
	if (len > 3 && strcmp(name + len - 3, ".gz") == 0)
		len -= 3;
	if ((len > 6 && strncmp(name + len - 6, ".jsonl", 6) == 0) ||
	    (len > 7 && strncmp(name + len - 7, ".ndjson", 7) == 0) ||
	    (len > 5 && strncmp(name + len - 5, ".json", 5) == 0))
		return FORMAT_JSONL;
	if (len > 4 && (strncmp(name + len - 4, ".csv", 4) == 0 || strncmp(name + len - 4, ".tsv", 4) == 0 ||
	    strncmp(name + len - 4, ".txt", 4) == 0))
		return FORMAT_CSV;
	c = input_peek(in);
	return c == '{' ? FORMAT_JSONL : FORMAT_CSV;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
discard_segments(struct importer *im)
{
	for (size_t i = 0; i < im->nsegs; i++) {
		char *p = store_path(im->st, im->segfiles[i]);

		unlink(p);
		free(p);
	}
}

static void
importer_free(struct importer *im)
{
	for (size_t k = 0; k < im->ncols; k++) {
		free(im->cols[k].name);
		free(im->cols[k].input_name);
		free(im->cols[k].off);
		sb_free(&im->cols[k].text);
	}
	free(im->cols);
	for (int k = 0; k < RC_COUNT; k++)
		colvec_free(&im->rc[k]);
	strmap_free(&im->colmap);
	free(im->fcol);
	for (int k = 0; k < 5; k++)
		sb_free(&im->idn[k]);
	suppress_free(&im->sup);
	sb_free(&im->tmp);
	u64set_free(&im->msgids);
	lsm_close(im->msgx);
	for (size_t i = 0; i < im->nsegs; i++)
		free(im->segfiles[i]);
	free(im->segfiles);
	free(im->segids);
	free(im->segrows);
	free(im->rejects_path);
	free(im->rejects_err);
	free(im->pending);
	free(im->fname);
	free(im->fidx);
	free(im->xfields);
	sb_free(&im->group_last);
}

/* Where rejected rows go: --rejects, beside the input, or in the store. */
static char *
rejects_path_for(const struct import_opts *o, struct store *st, struct input *in, uint64_t batch)
{
	struct strbuf sb = STRBUF_INIT;

	if (o->rejects_path)
		sb_adds(&sb, o->rejects_path);
	else if (input_path(in))
		sb_addf(&sb, "%s.rejects.csv", input_path(in));
	else
		sb_addf(&sb, "%s/rejects-%08llu.csv", st->dir, (unsigned long long)batch);
	return sb_detach(&sb, NULL);
}

int
import_run(struct store *st, struct input *in, const struct import_opts *o,
    struct import_stats *stats)
{
	struct importer im = { 0 };
	struct csvin *csv = NULL;
	struct jsonin *json = NULL;
	int format, rc = IMPORT_FAILED;
	unsigned char sha[32];
	char shahex[65];

	memset(stats, 0, sizeof *stats);
	im.st = st;
	im.o = o;
	im.stats = stats;
	im.start = im.last_progress = now_seconds();
	im.input_name = input_name(in);
	im.batch = store_new_id(st);
	stats->batch = im.batch;
	im.role_topts.tz = o->timezone;
	im.role_topts.day_first = o->day_first > 0;
	im.role_topts.allow_epoch = 1;
	im.attr_topts.day_first = o->day_first > 0;
	for (int k = 0; k < RC_COUNT; k++)
		colvec_init(&im.rc[k], rc_types[k]);
	im.rejects_path = rejects_path_for(o, st, in, im.batch);

	format = import_format(o, in);
	im.json = format == FORMAT_JSONL;
	if (format == FORMAT_CSV) {
		struct csvin_opts co;

		import_csv_opts(o, &co);
		csv = csvin_new(in, &co);
		if (!csv)
			goto out;
	} else {
		json = jsonin_new(in, NULL);
		if (!json)
			goto out;
	}
	if (csv) {
		size_t n;
		const char *const *names = csvin_columns(csv, &n);

		im.kind = import_kind(o, format, names, n);
	} else {
		im.kind = import_kind(o, format, NULL, 0);
	}
	/* an event file's time comes from a column's name or, failing
	 * that, from the first row's values (time_by_value) */
	if (csv && im.kind == KIND_EVENT) {
		im.names = csvin_columns(csv, &im.nnames);
		if (!has_time_column(o, im.names, im.nnames)) {
			if (o->map[ROLE_TIME] && *o->map[ROLE_TIME]) {
				time_column_error(o, im.names, im.nnames, im.input_name);
				goto out;
			}
			im.need_time = 1;
		}
	}
	if (load_message_ids(&im) < 0 || suppress_load(st, &im.sup) < 0)
		goto out;

	for (;;) {
		struct record rec;
		const char *reason = NULL;
		int r = csv ? csvin_next(csv, &rec, &reason) : jsonin_next(json, &rec, &reason);

		if (r == READ_EOF)
			break;
		if (cdp_interrupted) {
			cdp_seterr("%s: interrupted; nothing imported", im.input_name);
			goto out;
		}
		if (r == READ_FATAL)
			goto out;
		if (r == READ_REJECT) {
			write_reject(&im, rec.line, reason ? reason : "malformed record", rec.raw, rec.rawlen);
		} else if (take_mapped(&im, &rec) < 0) {
			goto out;
		}
		if (o->progress && ((stats->rows + stats->rejects) & 0x3fff) == 0)
			progress(&im);
	}
	if (o->progress && now_seconds() - im.start >= 0.5)
		fprintf(stderr, "\r\033[K");
	if (im.rejects) {
		if (fclose(im.rejects) != 0) {
			im.rejects = NULL;
			cdp_seterr("%s: cannot write rejects: %s", im.rejects_path, strerror(errno));
			goto out;
		}
		im.rejects = NULL;
		char *abs = realpath(im.rejects_path, NULL);

		/* absolute, so verify --absent and cdp-forget find it from anywhere */
		stats->rejects_file = abs ? abs : xstrdup(im.rejects_path);
	} else if (stats->rejects) {
		cdp_seterr("cannot write rejects: %s", im.rejects_err ? im.rejects_err : im.rejects_path);
		goto out;
	}
	if (o->strict && stats->rejects) {
		rc = IMPORT_STRICT;
		goto out;
	}
	/* Nothing but rejects is a failed import, not an empty batch: the
	 * file is fixed and imported again, with no --force needed. */
	if (stats->rejects && !stats->rows && !stats->duplicates && !stats->suppressed) {
		rc = IMPORT_REJECTED;
		goto out;
	}
	input_sha256(in, sha);
	hex(sha, 32, shahex);
	if (!o->force) {
		for (size_t i = 0; i < st->ne; i++) {
			const char *h = mentry_get(st->e[i], "sha256");

			if (strcmp(st->e[i]->kind, "batch") == 0 && h && strcmp(h, shahex) == 0) {
				cdp_seterr("%s: already imported as batch %llu (use --force to import again)",
				    im.input_name, (unsigned long long)st->e[i]->id);
				rc = IMPORT_DUPLICATE;
				goto out;
			}
		}
	}
	if (flush_segment(&im) < 0 || flush_wait(&im) < 0)
		goto out;

	struct mentry *b = store_add(st, "batch", im.batch);
	time_t now = time(NULL);
	struct tm tm;
	char when[32];

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	mentry_set(b, "source", "%s", o->source);
	mentry_set(b, "kind", "%s", im.kind == KIND_EVENT ? "event" : "person");
	mentry_set(b, "format", "%s", format == FORMAT_CSV ? "csv" : "jsonl");
	mentry_set(b, "input", "%s", im.input_name);
	mentry_set(b, "time", "%s", when);
	mentry_set(b, "rows", "%llu", (unsigned long long)stats->rows);
	mentry_set(b, "rejects", "%llu", (unsigned long long)stats->rejects);
	mentry_set(b, "duplicates", "%llu", (unsigned long long)stats->duplicates);
	mentry_set(b, "suppressed", "%llu", (unsigned long long)stats->suppressed);
	if (stats->skipped)
		mentry_set(b, "skipped", "%llu", (unsigned long long)stats->skipped);
	if (stats->grouped)
		mentry_set(b, "grouped", "%llu", (unsigned long long)stats->grouped);
	mentry_set(b, "bytes", "%llu", (unsigned long long)input_bytes(in));
	/* Every batch, even of no rows (a header alone, all replays): the
	 * same bytes again are "already imported". */
	mentry_set(b, "sha256", "%s", shahex);
	if (stats->rejects_file)
		mentry_set(b, "rejects-file", "%s", stats->rejects_file);
	/* Which input columns fed a role: cdp-merge keeps them out of the
	 * golden record, which has the normalized values instead. */
	struct strbuf roles = STRBUF_INIT;

	for (size_t k = 0; k < im.ncols; k++) {
		if (im.cols[k].role < 0)
			continue;
		if (roles.len)
			sb_addc(&roles, '\t');
		sb_adds(&roles, im.cols[k].name);
	}
	if (roles.len)
		mentry_set(b, "role-columns", "%s", roles.buf);
	sb_free(&roles);
	if (record_message_ids(&im) < 0)
		goto out;
	for (size_t i = 0; i < im.nsegs; i++) {
		struct mentry *s = store_add(st, "segment", im.segids[i]);

		mentry_set(s, "table", "records");
		mentry_set(s, "batch", "%llu", (unsigned long long)im.batch);
		mentry_set(s, "rows", "%llu", (unsigned long long)im.segrows[i]);
		mentry_set(s, "file", "%s", im.segfiles[i]);
	}
	switch (store_commit(st)) {
	case 0:
		break;
	case -2:
		/* Committed and visible; only its durability is in doubt.
		 * Failing now would tell the user nothing changed. */
		stats->unsynced = xstrdup(cdp_err());
		break;
	default:
		goto out;
	}
	stats->segments = im.nsegs;
	stats->roles = describe_roles(&im);
	rc = IMPORT_OK;
	for (size_t i = 0; i < im.nsegs; i++)
		free(im.segfiles[i]);
	im.nsegs = 0;
out:
	if (flush_wait(&im) < 0 && rc == IMPORT_OK)
		rc = IMPORT_FAILED;
	if (rc != IMPORT_OK)
		discard_segments(&im);
	if (im.rejects)
		fclose(im.rejects);
	stats->bytes = input_bytes(in);
	stats->seconds = now_seconds() - im.start;
	csvin_free(csv);
	jsonin_free(json);
	importer_free(&im);
	return rc;
}

static char *
strip(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* A delimiter as written in a mapping file or on the command line. */
int
import_parse_delimiter(const char *v, unsigned char *out)
{
	if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
		*out = '\t';
	else if (strcmp(v, "semicolon") == 0)
		*out = ';';
	else if (strcmp(v, "comma") == 0)
		*out = ',';
	else if (strcmp(v, "pipe") == 0)
		*out = '|';
	else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n' && v[0] != '\r')
		*out = (unsigned char)v[0];
	else
		return -1;
	return 0;
}

static void
rule_add(struct colrule **rules, size_t *n, const char *column, const char *value)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*rules)[i].column, column) == 0) {
			set_str(&(*rules)[i].value, value);
			return;
		}
	}
	*rules = xreallocarray(*rules, *n + 1, sizeof **rules);
	(*rules)[*n].column = xstrdup(column);
	(*rules)[*n].value = xstrdup(value);
	(*n)++;
}

/* "rename COLUMN", "set COLUMN", "skip COLUMN": rules about one column. */
static int
set_rule(struct import_opts *o, const char *key, const char *val)
{
	const char *col = strchr(key, ' ');

	while (col && *col == ' ')
		col++;
	if (!col || !*col)
		return cdp_seterr("'%s' wants a column: '%s COLUMN = VALUE'", key, key);
	if (strncmp(key, "rename ", 7) == 0) {
		if (!*val)
			return cdp_seterr("rename %s: the new name is empty", col);
		rule_add(&o->renames, &o->nrenames, col, val);
	} else if (strncmp(key, "set ", 4) == 0) {
		if (!*val)
			return cdp_seterr("set %s: the value is empty", col);
		rule_add(&o->sets, &o->nsets, col, val);
	} else {
		if (!*val)
			return cdp_seterr("skip %s: no values to skip", col);
		rule_add(&o->skips, &o->nskips, col, val);
	}
	return 0;
}

int
import_set_option(struct import_opts *o, const char *key, const char *val)
{
	int role;

	if (strncmp(key, "rename ", 7) == 0 || strncmp(key, "set ", 4) == 0 ||
	    strncmp(key, "skip ", 5) == 0) {
		return set_rule(o, key, val);
	} else if (strcmp(key, "group") == 0) {
		set_str(&o->group, val);
	} else if (strcmp(key, "source") == 0) {
		set_str(&o->source, val);
	} else if (strcmp(key, "kind") == 0) {
		if (strcmp(val, "person") == 0)
			o->kind = KIND_PERSON;
		else if (strcmp(val, "event") == 0)
			o->kind = KIND_EVENT;
		else
			return cdp_seterr("kind must be person or event, not '%s'", val);
	} else if (strcmp(key, "event") == 0) {
		set_str(&o->event_name, val);
	} else if (strcmp(key, "event_column") == 0 || strcmp(key, "event-column") == 0) {
		set_str(&o->map[ROLE_EVENT], val);
	} else if (strcmp(key, "format") == 0) {
		if (strcmp(val, "csv") == 0)
			o->format = FORMAT_CSV;
		else if (strcmp(val, "jsonl") == 0)
			o->format = FORMAT_JSONL;
		else
			return cdp_seterr("format must be csv or jsonl, not '%s'", val);
	} else if (strcmp(key, "delimiter") == 0) {
		if (import_parse_delimiter(val, &o->delimiter) < 0)
			return cdp_seterr("delimiter must be one character, 'tab' or 'semicolon', not '%s'", val);
	} else if (strcmp(key, "default-country") == 0 || strcmp(key, "default_country") == 0) {
		if (!norm_country_known(val))
			return cdp_seterr("unknown country code '%s'", val);
		set_str(&o->default_country, val);
	} else if (strcmp(key, "timezone") == 0) {
		int64_t us;
		int fmt;
		struct time_opts to = { val, 0, 0 };

		/* normalize.c refuses every time in a zone it cannot load */
		if (norm_time("2024-01-01 00:00:00", 19, &to, &us, &fmt) < 0)
			return cdp_seterr("unknown time zone '%s'", val);
		set_str(&o->timezone, val);
	} else if (strcmp(key, "day-first") == 0 || strcmp(key, "day_first") == 0) {
		if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0)
			o->day_first = 1;
		else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0)
			o->day_first = -1;	/* month first */
		else
			return cdp_seterr("day-first must be yes or no, not '%s'", val);
	} else if (strcmp(key, "decimal-comma") == 0 || strcmp(key, "decimal_comma") == 0) {
		if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0)
			o->decimal_comma = 1;
		else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0)
			o->decimal_comma = 2;	/* decimal point */
		else
			return cdp_seterr("decimal-comma must be yes or no, not '%s'", val);
	} else if (strcmp(key, "encoding") == 0) {
		iconv_t cd;

		if (strcasecmp(val, "utf-8") != 0 && strcasecmp(val, "utf8") != 0) {
			if ((cd = iconv_open("UTF-8", val)) == (iconv_t)-1)
				return cdp_seterr("unknown encoding '%s' (try windows-1252, latin1 or utf-8)", val);
			iconv_close(cd);
		}
		set_str(&o->encoding, val);
	} else if (strcmp(key, "dedupe-key") == 0 || strcmp(key, "dedupe_key") == 0) {
		set_str(&o->dedupe_key, val);
	} else if (strcmp(key, "header") == 0) {
		o->no_header = strcmp(val, "no") == 0 || strcmp(val, "false") == 0;
	} else if ((role = role_from_name(key)) >= 0 && role != ROLE_EVENT) {
		set_str(&o->map[role], val);
	} else {
		return cdp_seterr("unknown setting '%s'", key);
	}
	return 0;
}

/* One line of a mapping: "key = value"; the value may be empty. */
static int
mapping_line(struct import_opts *o, const char *where, unsigned long lineno, char *line)
{
	char *p = strip(line), *eq;

	if (*p == '#' || *p == '\0')
		return 0;
	eq = strchr(p, '=');
	if (!eq)
		return cdp_seterr("%s:%lu: expected 'key = value'", where, lineno);
	*eq = '\0';
	if (import_set_option(o, strip(p), strip(eq + 1)) < 0) {
		struct strbuf sb = STRBUF_INIT;

		sb_adds(&sb, cdp_err());
		cdp_seterr("%s:%lu: %s", where, lineno, sb.buf);
		sb_free(&sb);
		return -1;
	}
	return 0;
}

int
import_load_mapping_text(struct import_opts *o, const char *where, const char *text)
{
	char *copy = xstrdup(text), *p = copy, *line;
	unsigned long lineno = 0;
	int rc = 0;

	while (rc == 0 && (line = strsep(&p, "\n")) != NULL)
		rc = mapping_line(o, where, ++lineno, line);
	free(copy);
	return rc;
}

int
import_load_mapping(struct import_opts *o, const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!f)
		return cdp_seterr("%s: %s", path, strerror(errno));
	while (rc == 0 && getline(&line, &cap, f) > 0)
		rc = mapping_line(o, path, ++lineno, line);
	free(line);
	fclose(f);
	return rc;
}

static void
rules_free(struct colrule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].column);
		free(r[i].value);
	}
	free(r);
}

void
import_opts_free(struct import_opts *o)
{
	free(o->source);
	free(o->event_name);
	for (size_t i = 0; i < o->ncolumns; i++)
		free(o->columns[i]);
	free(o->columns);
	for (int r = 0; r < ROLE_COUNT; r++)
		free(o->map[r]);
	free(o->default_country);
	free(o->timezone);
	free(o->dedupe_key);
	free(o->encoding);
	free(o->rejects_path);
	rules_free(o->renames, o->nrenames);
	rules_free(o->sets, o->nsets);
	rules_free(o->skips, o->nskips);
	free(o->group);
	memset(o, 0, sizeof *o);
}
