/*
 * inspect.c - cdp-import --inspect: what an import would make of an
 * input, column by column, without a store.
 *
 * It reads the input with the same reader, role rules (import_role),
 * cleaning and type inference (infer.c) as import_run, so what it
 * prints is what an import does; the counts it adds (values that
 * normalize, distinct values, identifier values shared by several
 * e-mail addresses) are for the user to judge.  Sample values are the
 * user's own data printed on their own terminal, cut short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "csvin.h"
#include "import.h"
#include "infer.h"
#include "jsonin.h"

#define NSAMPLES 3
#define SAMPLE_MAX 20		/* bytes of a sample value shown */
#define SHARED_MIN 3		/* e-mails on one id value that make it shared */

struct icol {
	char *name;
	int role, rank, country, first_time;
	const char *why;
	struct tinfer ti;
	uint64_t napos, nrole, normal, nbadcc;
	char bad[SAMPLE_MAX + 1], badcc[SAMPLE_MAX + 1];
	struct u64set distinct;
	char samples[NSAMPLES][SAMPLE_MAX + 4];
	int nsamples;
	uint64_t (*pairs)[2];	/* (value, e-mail) hashes, for shared ids */
	size_t npairs, cappairs;
	uint64_t shared, maxshare;	/* values with >= SHARED_MIN e-mails; most */
};

struct inspector {
	const struct import_opts *o;
	struct strmap names;
	struct icol *cols;
	size_t ncols;
	int json, kind;
	uint64_t rows, rejects;
	unsigned long first_reject;
	char reject_reason[160];
	struct time_opts topts;
};

static struct icol *
icol_get(struct inspector *x, const char *name)
{
	long idx = strmap_get(&x->names, name, strlen(name));
	struct icol *c;

	if (idx >= 0)
		return &x->cols[idx];
	if (x->ncols >= 4096)
		return NULL;
	x->cols = xreallocarray(x->cols, x->ncols + 1, sizeof *x->cols);
	c = &x->cols[x->ncols];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->role = import_role(x->o, name, x->json, &c->rank, &c->why);
	c->country = country_column(name);
	tinfer_init(&c->ti, name, x->o->decimal_comma, x->o->day_first);
	c->ti.full = 1;
	strmap_put(&x->names, name, strlen(name), (long)x->ncols);
	x->ncols++;
	return c;
}

/* Cut at a UTF-8 character boundary. */
static void
sample_copy(char *dst, size_t cap, const char *s, size_t len)
{
	size_t n = len < cap - 4 ? len : cap - 4;

	while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(dst, s, n);
	strcpy(dst + n, n < len ? "..." : "");
}

static void
add_sample(struct icol *c, const char *s, size_t len, int is_new)
{
	if (is_new && c->nsamples < NSAMPLES)
		sample_copy(c->samples[c->nsamples++], sizeof c->samples[0], s, len);
}

/* Does the value normalize for the column's role? */
static int
role_ok(struct inspector *x, struct icol *c, const char *s, size_t len, const char *cc,
    struct strbuf *tmp)
{
	int64_t us;
	int fmt;

	sb_reset(tmp);
	switch (c->role) {
	case ROLE_EMAIL:
		return norm_email(s, len, tmp) == 0;
	case ROLE_PHONE:
		return norm_phone(s, len, cc ? cc : x->o->default_country, tmp) == 0;
	case ROLE_TIME:
		return norm_time(s, len, &x->topts, &us, &fmt) == 0;
	default:
		return len > 0;
	}
}

static void
add_pair(struct icol *c, uint64_t v, uint64_t email)
{
	if (c->npairs == c->cappairs) {
		c->cappairs = c->cappairs ? c->cappairs * 2 : 256;
		c->pairs = xreallocarray(c->pairs, c->cappairs, sizeof *c->pairs);
	}
	c->pairs[c->npairs][0] = v;
	c->pairs[c->npairs][1] = email;
	c->npairs++;
}

/* The row's normalized e-mail (hashed) and country, for the checks. */
static void
row_context(struct inspector *x, const struct record *rec, uint64_t *email, const char **cc,
    struct strbuf *tmp)
{
	int best = 1 << 20;

	*email = 0;
	*cc = NULL;
	for (size_t i = 0; i < rec->nfields; i++) {
		const struct field *f = &rec->fields[i];
		struct icol *c = icol_get(x, f->name);

		if (!c || !f->len)
			continue;
		if (c->country && !*cc)
			*cc = country_iso2(f->val, f->len);
		sb_reset(tmp);
		if (c->role == ROLE_EMAIL && c->rank < best && norm_email(f->val, f->len, tmp) == 0) {
			best = c->rank;
			*email = hash_bytes(tmp->buf, tmp->len) | 1;
		}
	}
}

static void
take_value(struct inspector *x, struct icol *c, const struct field *f, uint64_t email,
    const char *cc, struct strbuf *tmp)
{
	const char *s = f->val;
	size_t len = f->len;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!len || f->kind == FK_NULL)
		return;
	if (clean_apostrophe(&s, &len))
		c->napos++;
	add_sample(c, s, len, !u64set_add(&c->distinct, hash_bytes(s, len)));
	if (c->country) {
		const char *iso = country_iso2(s, len);

		if (iso) {
			s = iso;
			len = 2;
		} else if (c->nbadcc++ == 0) {
			sample_copy(c->badcc, sizeof c->badcc, s, len);
		}
	}
	tinfer_add(&c->ti, s, len, f->kind);
	if (x->rows == 1 && c->role < 0 && f->kind != FK_NUMBER)
		c->first_time = import_time_value(s, len);
	if (c->role >= 0) {
		c->nrole++;
		if (role_ok(x, c, s, len, cc, tmp))
			c->normal++;
		else if (!c->bad[0])
			sample_copy(c->bad, sizeof c->bad, s, len);
	}
	if (email && ((c->role >= ROLE_PHONE && c->role <= ROLE_LOYALTY_ID) ||
	    (c->role < 0 && c->why)))
		add_pair(c, hash_bytes(s, len), email);
}

static void
take_record(struct inspector *x, const struct record *rec, struct strbuf *tmp)
{
	uint64_t email;
	const char *cc;

	x->rows++;
	row_context(x, rec, &email, &cc, tmp);
	for (size_t i = 0; i < rec->nfields; i++) {
		struct icol *c = icol_get(x, rec->fields[i].name);

		if (c)
			take_value(x, c, &rec->fields[i], email, cc, tmp);
	}
}

static int
pair_cmp(const void *a, const void *b)
{
	const uint64_t *p = a, *q = b;

	if (p[0] != q[0])
		return p[0] < q[0] ? -1 : 1;
	return p[1] < q[1] ? -1 : p[1] > q[1];
}

/* How many values of c go with SHARED_MIN or more distinct e-mails. */
static void
count_shared(struct icol *c)
{
	size_t i = 0;

	if (c->npairs)
		qsort(c->pairs, c->npairs, sizeof *c->pairs, pair_cmp);
	while (i < c->npairs) {
		size_t j = i;
		uint64_t emails = 0;

		for (; j < c->npairs && c->pairs[j][0] == c->pairs[i][0]; j++)
			if (j == i || c->pairs[j][1] != c->pairs[j - 1][1])
				emails++;
		if (emails >= SHARED_MIN)
			c->shared++;
		if (emails > c->maxshare)
			c->maxshare = emails;
		i = j;
	}
}

/* As import does: an event file without a time column takes one by its values. */
static void
settle_time(struct inspector *x)
{
	if (x->kind != KIND_EVENT || x->o->map[ROLE_TIME])
		return;
	for (size_t k = 0; k < x->ncols; k++)
		if (x->cols[k].role == ROLE_TIME)
			return;
	for (size_t k = 0; k < x->ncols; k++) {
		if (x->cols[k].role < 0 && x->cols[k].first_time) {
			x->cols[k].role = ROLE_TIME;
			x->cols[k].why = "values are times";
			x->cols[k].rank = 90;
			return;
		}
	}
}

static const char *
type_name(int t)
{
	switch (t) {
	case CT_INT: return "integer";
	case CT_DEC: return "decimal";
	case CT_BOOL: return "boolean";
	case CT_TIME: return "timestamp";
	default: return "string";
	}
}

/* Characters, not bytes, so UTF-8 names line up. */
static int
text_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
print_column(FILE *out, const struct icol *c, int namew)
{
	char role[64], ok[16];
	int tfmt, type = tinfer_type(&c->ti, &tfmt);

	if (c->role >= 0)
		snprintf(role, sizeof role, "%s (%s)", role_name(c->role), c->why ? c->why : "name");
	else
		snprintf(role, sizeof role, "-");
	if (!c->ti.n)
		snprintf(ok, sizeof ok, "-");
	else if (c->role >= 0 && !c->nrole)	/* a time taken by its values */
		snprintf(ok, sizeof ok, "%.0f%%", 100.0 * (double)c->ti.ntime / (double)c->ti.n);
	else if (c->role >= 0)
		snprintf(ok, sizeof ok, "%.0f%%", 100.0 * (double)c->normal / (double)c->nrole);
	else if (c->country)
		snprintf(ok, sizeof ok, "%.0f%%", 100.0 * (double)(c->ti.n - c->nbadcc) / (double)c->ti.n);
	else
		snprintf(ok, sizeof ok, type == CT_STR ? "-" : "100%%");
	fprintf(out, "%s%*s  %-28s  %-9s  %7llu  %4s  ", c->name, namew - text_width(c->name), "",
	    role, type_name(type), (unsigned long long)c->ti.n, ok);
	for (int i = 0; i < c->nsamples; i++)
		fprintf(out, "%s%s", i ? " | " : "", c->samples[i]);
	fputc('\n', out);
}

static void
column_warnings(FILE *out, const struct inspector *x, const struct icol *c)
{
	char note[256];

	if (c->napos)
		fprintf(out, "warning: %s: %llu %s with ' (a spreadsheet's text mark); "
		    "removed on import\n", c->name, (unsigned long long)c->napos,
		    c->napos == 1 ? "value starts" : "values start");
	if (c->role >= 0 && c->normal < c->nrole)
		fprintf(out, "warning: %s: %llu of %llu values are not a usable %s (e.g. '%s')%s\n",
		    c->name, (unsigned long long)(c->nrole - c->normal), (unsigned long long)c->nrole,
		    role_name(c->role), c->bad, c->role == ROLE_PHONE && !x->o->default_country ?
		    "; national numbers need --default-country or a country column" : "");
	if (c->country && c->nbadcc)
		fprintf(out, "warning: %s: %llu %s no country known (e.g. '%s'); kept as written\n",
		    c->name, (unsigned long long)c->nbadcc, c->nbadcc == 1 ? "value is" : "values are",
		    c->badcc);
	if (tinfer_note(&c->ti, note, sizeof note))
		fprintf(out, "warning: %s: kept as text: %s\n", c->name, note);
	if (c->shared)
		fprintf(out, "warning: %s: %llu %s shared by %d or more different e-mail "
		    "addresses (up to %llu): a device or terminal, not a person%s\n", c->name,
		    (unsigned long long)c->shared, c->shared == 1 ? "value is" : "values are each",
		    SHARED_MIN, (unsigned long long)c->maxshare,
		    c->role >= 0 ? "; as an identifier it would join those people into one profile" : "");
	if (c->role < 0 && c->why)
		fprintf(out, "note: %s: no role: %s (give --map anonymous_id='%s' if it names one person)\n",
		    c->name, c->why, c->name);
	if (c->role == ROLE_EVENT && c->distinct.count > 50 && c->distinct.count * 2 > c->ti.n)
		fprintf(out, "warning: %s: %zu different event names in %llu rows: is it the event name?\n",
		    c->name, c->distinct.count, (unsigned long long)c->ti.n);
}

static void
time_warning(FILE *out, const struct inspector *x)
{
	int tfmt, any = 0;

	if (x->kind != KIND_EVENT)
		return;
	for (size_t k = 0; k < x->ncols; k++)
		if (x->cols[k].role == ROLE_TIME)
			return;
	fprintf(out, "warning: no time column: every row of an event import would be rejected");
	for (size_t k = 0; k < x->ncols; k++) {
		const struct icol *c = &x->cols[k];

		if (tinfer_type(&c->ti, &tfmt) == CT_TIME || c->ti.ntime * 2 > c->ti.n) {
			fprintf(out, "%s'%s'", any++ ? ", " : "; candidates (give --map time=COLUMN): ",
			    c->name);
		}
	}
	fputc('\n', out);
}

static void
report(FILE *out, struct inspector *x, struct input *in, int format, int delim)
{
	int namew = 6;
	static const char *const delims[] = { [','] = "','", [';'] = "';'", ['\t'] = "tab",
		['|'] = "'|'" };

	for (size_t k = 0; k < x->ncols; k++) {
		int w = text_width(x->cols[k].name);

		if (w > namew)
			namew = w > 30 ? 30 : w;
		count_shared(&x->cols[k]);
	}
	fprintf(out, "%s: %s", input_name(in), format == FORMAT_CSV ? "csv" : "jsonl");
	if (format == FORMAT_CSV) {
		if (delim < 128 && delims[delim])
			fprintf(out, ", delimiter %s", delims[delim]);
		else
			fprintf(out, ", delimiter '%c'", delim);
		fprintf(out, ", encoding %s", x->o->encoding ? x->o->encoding : "utf-8");
	}
	fprintf(out, ", %llu rows, %zu columns, kind %s\n", (unsigned long long)x->rows, x->ncols,
	    x->kind == KIND_EVENT ? "event" : "person");
	if (x->rejects)
		fprintf(out, "warning: %llu rows would be rejected (first: line %lu: %s)\n",
		    (unsigned long long)x->rejects, x->first_reject, x->reject_reason);
	fprintf(out, "\n%-*s  %-28s  %-9s  %7s  %4s  %s\n", namew, "COLUMN", "ROLE (WHY)", "TYPE",
	    "VALUES", "OK", "SAMPLES");
	for (size_t k = 0; k < x->ncols; k++)
		print_column(out, &x->cols[k], namew);
	fputc('\n', out);
	time_warning(out, x);
	for (size_t k = 0; k < x->ncols; k++)
		column_warnings(out, x, &x->cols[k]);
}

static void
inspector_free(struct inspector *x)
{
	for (size_t k = 0; k < x->ncols; k++) {
		free(x->cols[k].name);
		free(x->cols[k].pairs);
		u64set_free(&x->cols[k].distinct);
	}
	free(x->cols);
	strmap_free(&x->names);
}

int
import_inspect(struct input *in, const struct import_opts *o, FILE *out)
{
	struct inspector x = { 0 };
	struct csvin *csv = NULL;
	struct jsonin *json = NULL;
	struct strbuf tmp = STRBUF_INIT;
	int format = import_format(o, in), rc = -1;
	size_t n = 0;
	const char *const *names = NULL;

	x.o = o;
	x.json = format == FORMAT_JSONL;
	x.topts.tz = o->timezone;
	x.topts.day_first = o->day_first > 0;
	x.topts.allow_epoch = 1;
	if (format == FORMAT_CSV) {
		struct csvin_opts co;

		import_csv_opts(o, &co);
		if (!(csv = csvin_new(in, &co)))
			goto out;
		names = csvin_columns(csv, &n);
		for (size_t i = 0; i < n; i++)
			icol_get(&x, names[i]);
	} else if (!(json = jsonin_new(in, NULL))) {
		goto out;
	}
	x.kind = import_kind(o, format, names, n);
	for (;;) {
		struct record rec;
		const char *reason = NULL;
		int r = csv ? csvin_next(csv, &rec, &reason) : jsonin_next(json, &rec, &reason);

		if (r == READ_EOF)
			break;
		if (r == READ_FATAL || cdp_interrupted)
			goto out;
		if (r == READ_REJECT) {
			if (x.rejects++ == 0) {
				x.first_reject = rec.line;
				snprintf(x.reject_reason, sizeof x.reject_reason, "%s",
				    reason ? reason : "malformed record");
			}
			continue;
		}
		take_record(&x, &rec, &tmp);
	}
	settle_time(&x);
	report(out, &x, in, format, csv ? csvin_delimiter(csv) : 0);
	rc = 0;
out:
	if (cdp_interrupted && rc < 0)
		cdp_seterr("%s: interrupted", input_name(in));
	csvin_free(csv);
	jsonin_free(json);
	sb_free(&tmp);
	inspector_free(&x);
	return rc;
}
