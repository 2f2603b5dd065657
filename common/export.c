/*
 * export.c - profiles and records out of the store (cdp-export): the
 * destination presets and their normalization rules, consent and
 * suppression checks, and the streaming writers.
 *
 * Where each platform rule comes from is stated in cdp-export(1); the
 * preset tables below are the only place the column names live.
 * Memory: one segment's columns at a time, plus the id sets the caller
 * hands in.  Strings are normalized into one reused buffer per cell, so
 * the row loop allocates nothing once the buffers have grown.
 */
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "export.h"
#include "normalize.h"
#include "out.h"
#include "profiles.h"
#include "segment.h"

int
export_parse_purpose(const char *s)
{
	if (strcmp(s, "email") == 0)
		return EXPORT_EMAIL;
	if (strcmp(s, "ads") == 0)
		return EXPORT_ADS;
	if (strcmp(s, "analytics") == 0)
		return EXPORT_ANALYTICS;
	if (strcmp(s, "none") == 0)
		return EXPORT_ANY;
	return -1;
}

const char *
export_purpose_name(int purpose)
{
	static const char *const names[] = { "none", "email", "ads", "analytics" };

	return purpose >= 0 && purpose <= EXPORT_ANALYTICS ? names[purpose] : "?";
}

/*
 * email needs a given e-mail consent.  ads needs a given ads consent
 * where the store keeps one, else the e-mail (marketing) consent: a
 * Customer Match or Custom Audience upload is marketing to the person.
 * analytics is allowed unless refused outright.
 */
int
export_allowed(int purpose, const struct export_consent *c)
{
	if (c->suppressed)
		return 0;
	switch (purpose) {
	case EXPORT_EMAIL:
		return c->email == 1;
	case EXPORT_ADS:
		return c->ads == -2 ? c->email == 1 : c->ads == 1;
	case EXPORT_ANALYTICS:
		return c->analytics != 0;
	default:
		return 1;
	}
}

void
export_name_key(const char *name, char *out, size_t size)
{
	size_t k = 0;

	if (!size)
		return;
	for (; *name && k + 1 < size; name++) {
		char c = *name;

		if (c >= 'A' && c <= 'Z')
			out[k++] = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[k++] = c;
	}
	out[k] = '\0';
}

/* Aliases per attribute as name keys, best first. */
static const char *const attr_aliases[EA_COUNT][8] = {
	[EA_EMAIL] = { "email", "emailaddress", "mail", NULL },
	[EA_PHONE] = { "phone", "phonenumber", "mobile", "tel", NULL },
	[EA_FIRST] = { "firstname", "fname", "givenname", "forename", "vorname", NULL },
	[EA_LAST] = { "lastname", "surname", "familyname", "lname", "nachname", NULL },
	[EA_CITY] = { "city", "town", "ort", "stadt", NULL },
	[EA_STATE] = { "state", "region", "province", "bundesland", NULL },
	[EA_ZIP] = { "postalcode", "zip", "zipcode", "postcode", "plz", NULL },
	[EA_COUNTRY] = { "country", "countrycode", "land", NULL },
};

int
export_attr_rank(int attr, const char *column)
{
	char key[64];

	if (attr <= EA_NONE || attr >= EA_COUNT || column[0] == '_')
		return 0;
	export_name_key(column, key, sizeof key);
	for (int i = 0; attr_aliases[attr][i]; i++)
		if (strcmp(key, attr_aliases[attr][i]) == 0)
			return 8 - i;
	return 0;
}

int
export_attr_of(const char *column)
{
	for (int a = EA_EMAIL; a < EA_COUNT; a++)
		if (export_attr_rank(a, column))
			return a;
	return EA_NONE;
}

/* Decode one UTF-8 sequence at s (n > 0 bytes); *len gets its length. */
static uint32_t
utf8_get(const unsigned char *s, size_t n, size_t *len)
{
	if (s[0] < 0x80 || n < 2) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*len = 2;
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if ((s[0] & 0xf0) == 0xe0 && n >= 3) {
		*len = 3;
		return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	*len = 1;
	return 0xfffd0000u | s[0];	/* pass through byte by byte */
}

static void
utf8_put(struct strbuf *out, uint32_t c)
{
	if (c < 0x80) {
		sb_addc(out, (int)c);
	} else if (c < 0x800) {
		sb_addc(out, (int)(0xc0 | c >> 6));
		sb_addc(out, (int)(0x80 | (c & 0x3f)));
	} else {
		sb_addc(out, (int)(0xe0 | c >> 12));
		sb_addc(out, (int)(0x80 | (c >> 6 & 0x3f)));
		sb_addc(out, (int)(0x80 | (c & 0x3f)));
	}
}

/*
 * Lower case for the scripts customer names here are written in: ASCII,
 * Latin-1, Latin Extended-A, Greek and Cyrillic capitals.  A table, not
 * the C locale, so the hash of a name never depends on the environment.
 */
static uint32_t
lower_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c % 2 == 0 ? c + 1 : c;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return c % 2 == 1 ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

/* Trim ASCII white space: *s and *n are moved in. */
static void
trim(const char **s, size_t *n)
{
	while (*n && strchr(" \t\r\n", (*s)[0]))
		(*s)++, (*n)--;
	while (*n && strchr(" \t\r\n", (*s)[*n - 1]))
		(*n)--;
}

/*
 * Lower-case s into out.  keep: 'a' every character, 'n' letters,
 * digits and single inner spaces (names), 'p' letters and digits only
 * (places).  Bytes of other scripts are letters here.
 */
static void
lower_filtered(const char *s, size_t n, int keep, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len, start = out->len;
	int space = 0;

	while (i < n) {
		uint32_t c = utf8_get(p + i, n - i, &len);

		i += len;
		if (c >= 0xfffd0000u) {
			sb_addc(out, (int)(c & 0xff));
			continue;
		}
		c = lower_cp(c);
		if (keep != 'a' && c < 0x80 && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')) {
			if (keep == 'n' && (c == ' ' || c == '\t'))
				space = 1;
			continue;
		}
		if (space && out->len > start)
			sb_addc(out, ' ');
		space = 0;
		utf8_put(out, c);
	}
}

/* An ISO 3166 alpha-2 code in the case asked for, or nothing. */
static void
alpha2(const char *s, size_t n, int upper, struct strbuf *out)
{
	trim(&s, &n);
	if (n != 2)
		return;
	for (size_t i = 0; i < 2; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return;
		sb_addc(out, upper ? c : c - 'A' + 'a');
	}
}

static void
e164(const char *s, size_t n, const char *country, struct strbuf *out)
{
	char cc[3] = "";
	struct strbuf tmp = STRBUF_INIT;

	if (country) {
		alpha2(country, strlen(country), 1, &tmp);
		if (tmp.len == 2)
			memcpy(cc, tmp.buf, 3);
		sb_free(&tmp);
	}
	norm_phone(s, n, cc[0] && norm_country_known(cc) ? cc : NULL, out);
}

void
export_normalize(int rule, const char *s, size_t n, const char *country, struct strbuf *out)
{
	size_t start = out->len;

	switch (rule) {
	case ER_EMAIL:
	case ER_GOOGLE_EMAIL:
		if (norm_email(s, n, out) < 0)
			return;
		if (rule == ER_GOOGLE_EMAIL) {
			/* Google ignores dots in Gmail local parts; so must the hash. */
			char *at = strchr(out->buf + start, '@');

			if (at && (strcmp(at, "@gmail.com") == 0 || strcmp(at, "@googlemail.com") == 0)) {
				char *w = out->buf + start;

				for (char *r = out->buf + start; *r; r++)
					if (r >= at || *r != '.')
						*w++ = *r;
				*w = '\0';
				out->len = (size_t)(w - out->buf);
			}
		}
		return;
	case ER_E164:
		e164(s, n, country, out);
		return;
	case ER_META_PHONE:
		e164(s, n, country, out);
		if (out->len > start && out->buf[start] == '+') {
			memmove(out->buf + start, out->buf + start + 1, out->len - start);
			out->len--;
		}
		return;
	case ER_LOWER_TRIM:
		trim(&s, &n);
		lower_filtered(s, n, 'a', out);
		return;
	case ER_META_NAME:
		lower_filtered(s, n, 'n', out);
		return;
	case ER_META_PLACE:
		lower_filtered(s, n, 'p', out);
		return;
	case ER_META_ZIP: {
		char cc[3] = "";

		if (country && strlen(country) == 2) {
			cc[0] = (char)(country[0] | 0x20);
			cc[1] = (char)(country[1] | 0x20);
		}
		trim(&s, &n);
		if (strcmp(cc, "us") == 0) {
			/* "94103-1234" and "94103" are the same person to Meta */
			for (size_t i = 0; i < n && i < 5 && s[i] >= '0' && s[i] <= '9'; i++)
				sb_addc(out, s[i]);
			if (out->len - start != 5)
				out->len = start;
			if (out->buf)
				out->buf[out->len] = '\0';
			return;
		}
		for (size_t i = 0; i < n; i++) {
			char c = s[i];

			if (c == ' ' || c == '-')
				continue;
			sb_addc(out, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		}
		return;
	}
	case ER_UPPER_ALPHA2:
	case ER_LOWER_ALPHA2:
		alpha2(s, n, rule == ER_UPPER_ALPHA2, out);
		return;
	case ER_TRIM:
		trim(&s, &n);
		sb_add(out, s, n);
		return;
	default:
		sb_add(out, s, n);
	}
}

void
export_sha256_hex(const void *s, size_t n, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, n, s);
	sha256_digest(&ctx, sizeof d, d);
	for (size_t i = 0; i < sizeof d; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}

/*
 * The presets.  Column names and rules as the platforms document them
 * (sources in cdp-export(1)): Mailchimp's import-file format, Google
 * Ads' Customer Match upload template, Meta's Custom Audience customer
 * file.  Tags appear only when a segment name is given.
 */
static const struct export_field mailchimp_fields[] = {
	{ "Email Address", EA_EMAIL, ER_EMAIL, 0 },
	{ "First Name", EA_FIRST, ER_TRIM, 0 },
	{ "Last Name", EA_LAST, ER_TRIM, 0 },
	{ "Phone Number", EA_PHONE, ER_E164, 0 },
	{ "Tags", EA_TAG, ER_TEXT, 0 },
	{ "Status", EA_STATUS, ER_TEXT, 0 },
};

static const struct export_field google_fields[] = {
	{ "Email", EA_EMAIL, ER_GOOGLE_EMAIL, 1 },
	{ "Phone", EA_PHONE, ER_E164, 1 },
	{ "First Name", EA_FIRST, ER_LOWER_TRIM, 1 },
	{ "Last Name", EA_LAST, ER_LOWER_TRIM, 1 },
	{ "Country", EA_COUNTRY, ER_UPPER_ALPHA2, 0 },
	{ "Zip", EA_ZIP, ER_TRIM, 0 },
};

static const struct export_field meta_fields[] = {
	{ "EMAIL", EA_EMAIL, ER_EMAIL, 1 },
	{ "PHONE", EA_PHONE, ER_META_PHONE, 1 },
	{ "FN", EA_FIRST, ER_META_NAME, 1 },
	{ "LN", EA_LAST, ER_META_NAME, 1 },
	{ "CT", EA_CITY, ER_META_PLACE, 1 },
	{ "ST", EA_STATE, ER_META_PLACE, 1 },
	{ "ZIP", EA_ZIP, ER_META_ZIP, 1 },
	{ "COUNTRY", EA_COUNTRY, ER_LOWER_ALPHA2, 1 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define KEY(a) (1u << (a))

static const struct export_preset presets[] = {
	{ "mailchimp", "Mailchimp", EXPORT_EMAIL, mailchimp_fields, NELEM(mailchimp_fields),
	    KEY(EA_EMAIL) },
	{ "google-ads", "Google Ads Customer Match", EXPORT_ADS, google_fields, NELEM(google_fields),
	    KEY(EA_EMAIL) | KEY(EA_PHONE) | KEY(EA_LAST) },
	{ "meta", "Meta Custom Audiences", EXPORT_ADS, meta_fields, NELEM(meta_fields),
	    KEY(EA_EMAIL) | KEY(EA_PHONE) | KEY(EA_LAST) },
};

const struct export_preset *
export_preset_find(const char *name)
{
	for (size_t i = 0; i < NELEM(presets); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

const char *
export_preset_names(void)
{
	return "mailchimp, google-ads, meta";
}

int
export_parse_line(const char *s, size_t n, int64_t *id, int *sign)
{
	size_t end = 0;
	uint64_t v = 0;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	while (end < n && s[end] != ',' && s[end] != '\t')
		end++;
	trim(&s, &end);
	if (end == 0)
		return 0;
	if (end == 10 && memcmp(s, "profile_id", 10) == 0)
		return 0;
	*sign = 0;
	if (s[0] == '+' || s[0] == '-') {
		*sign = s[0];
		s++, end--;
	}
	if (end == 0 || end > 18)
		return -1;
	for (size_t i = 0; i < end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*id = (int64_t)v;
	return 1;
}

/* ---- streaming over the profiles table ---- */

/* The columns of one segment, decoded on first use. */
struct segcache {
	struct segment *seg;
	struct profiles *pt;	/* profiles: where virtual columns come from */
	size_t segno;		/* ... and which of its segments this is */
	struct colvec *v;	/* seg->ncols stored, then PROFILES_NRFM virtual */
	char *loaded;
	int err;		/* a column failed to read: cdp_err() says why */
};

static void
cache_init(struct segcache *c, struct segment *seg, struct profiles *pt, size_t segno)
{
	c->seg = seg;
	c->pt = pt;
	c->segno = segno;
	c->v = xcalloc(seg->ncols + PROFILES_NRFM, sizeof *c->v);
	c->loaded = xcalloc(seg->ncols + PROFILES_NRFM, 1);
	c->err = 0;
}

/* A profiles column's index for cache_get(): virtual ones after the stored. */
static int
pcol_index(const struct segment *seg, const char *name)
{
	for (int k = 0; k < PROFILES_NRFM; k++)
		if (strcmp(name, profiles_rfm_names[k]) == 0)
			return (int)seg->ncols + k;
	return segment_col_index(seg, name);
}

static const struct colvec *
cache_get(struct segcache *c, int idx)
{
	if (idx < 0)
		return NULL;
	if (!c->loaded[idx]) {
		int r = (size_t)idx < c->seg->ncols ? segment_read(c->seg, idx, &c->v[idx]) :
		    c->pt ? profiles_col(c->pt, c->segno, profiles_rfm_names[idx - c->seg->ncols],
		    &c->v[idx]) - 1 : -1;

		if (r < 0) {
			c->err = 1;
			return NULL;
		}
		c->loaded[idx] = 1;
	}
	return &c->v[idx];
}

static void
cache_free(struct segcache *c)
{
	for (size_t i = 0; i < c->seg->ncols + PROFILES_NRFM; i++)
		if (c->loaded[i])
			colvec_free(&c->v[i]);
	free(c->v);
	free(c->loaded);
}

/* Index of the visible column whose name key is one of keys, or -1. */
static int
find_key(const struct segment *seg, const char *const *keys)
{
	char key[64];

	for (int k = 0; keys[k]; k++) {
		for (size_t i = 0; i < seg->ncols; i++) {
			if (seg->cols[i].name[0] == '_')
				continue;
			export_name_key(seg->cols[i].name, key, sizeof key);
			if (strcmp(key, keys[k]) == 0)
				return (int)i;
		}
	}
	return -1;
}

static int
find_attr(const struct segment *seg, int attr)
{
	int best = -1, rank = 0;

	for (size_t i = 0; i < seg->ncols; i++) {
		int r = export_attr_rank(attr, seg->cols[i].name);

		if (r > rank) {
			rank = r;
			best = (int)i;
		}
	}
	return best;
}

/* -1 null or missing, 0 false, 1 true; ints count as booleans. */
static int
truth(const struct colvec *v, size_t r)
{
	if (!v || colvec_isnull(v, r))
		return -1;
	if (v->type == CT_BOOL || v->type == CT_INT)
		return v->iv[r] != 0;
	if (v->type == CT_STR) {
		size_t n;
		const char *s = colvec_str(v, r, &n);

		if ((n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 3 && strncasecmp(s, "yes", 3) == 0))
			return 1;
		if ((n == 5 && strncasecmp(s, "false", 5) == 0) || (n == 2 && strncasecmp(s, "no", 2) == 0))
			return 0;
	}
	return -1;
}

struct pcols {
	int id, email, ads, analytics;
	int supp[3];
	int attr[EA_COUNT];
	int *field;		/* plain export: segment column per output column */
};

static const char *const ads_keys[] = { "adsconsent", "adconsent", "adsoptin", NULL };
static const char *const analytics_keys[] = { "analyticsconsent", "analyticsoptin", NULL };
static const char *const supp_keys[3][2] = { { "suppressed", NULL }, { "erased", NULL },
	{ "donotcontact", NULL } };
static const char *const email_keys[] = { "emailconsent", NULL };

static void
pcols_find(struct pcols *p, const struct segment *seg, char **fields, size_t nfields)
{
	p->id = segment_col_index(seg, "profile_id");
	p->email = find_key(seg, email_keys);
	p->ads = find_key(seg, ads_keys);
	p->analytics = find_key(seg, analytics_keys);
	for (int i = 0; i < 3; i++)
		p->supp[i] = find_key(seg, supp_keys[i]);
	for (int a = 0; a < EA_COUNT; a++)
		p->attr[a] = a == EA_NONE ? -1 : find_attr(seg, a);
	for (size_t f = 0; f < nfields; f++)
		p->field[f] = pcol_index(seg, fields[f]);
}

/* Text of a cell for a writer: times in the spreadsheet's form with excel. */
static int
cell_text(const struct colvec *v, size_t r, int excel, struct strbuf *out)
{
	sb_reset(out);
	if (excel && v->type == CT_TIME) {
		/* "2024-03-05 10:00:00" is what spreadsheets read as a date-time */
		time_format(v->iv[r], v->tfmt == TF_DATE ? TF_DATE : TF_SPACE, out);
		return OK_STRING;
	}
	colvec_format(v, r, out);
	if (v->type == CT_INT || v->type == CT_DEC)
		return OK_NUMBER;
	if (v->type == CT_BOOL)
		return OK_BOOL;
	return OK_STRING;
}

struct writer {
	const struct export_opts *o;
	struct out main, rem;
	int has_rem;
	char **names;		/* plain: output columns */
	size_t nnames;
	const struct export_field **pf;	/* preset: fields in output order */
	size_t npf;
	size_t *lens;		/* preset: each field's length in val */
	struct strbuf tmp, val, country;
};

static void
writer_open(struct writer *w, const struct export_opts *o, char **names, size_t nnames)
{
	const char **hdr;
	size_t n = 0;

	memset(w, 0, sizeof *w);
	w->o = o;
	w->names = names;
	w->nnames = nnames;
	if (o->preset) {
		w->pf = xcalloc(o->preset->nfields, sizeof *w->pf);
		w->lens = xcalloc(o->preset->nfields, sizeof *w->lens);
		for (size_t i = 0; i < o->preset->nfields; i++)
			if (o->preset->fields[i].attr != EA_TAG || o->tag)
				w->pf[w->npf++] = &o->preset->fields[i];
	}
	hdr = xcalloc(nnames + w->npf + o->nextra + 1, sizeof *hdr);
	if (o->changes && !o->preset)
		hdr[n++] = "action";
	for (size_t i = 0; i < w->npf; i++)
		hdr[n++] = w->pf[i]->header;
	for (size_t i = 0; i < nnames; i++)
		hdr[n++] = names[i];
	for (size_t i = 0; i < o->nextra; i++)
		hdr[n++] = o->extra_names[i];
	out_init(&w->main, o->out, o->format, o->excel);
	out_header(&w->main, hdr, n);
	if (o->preset && o->removals) {
		out_init(&w->rem, o->removals, o->format, o->excel);
		out_header(&w->rem, hdr, n);
		w->has_rem = 1;
	}
	free(hdr);
}

static int
writer_close(struct writer *w)
{
	int bad = ferror(w->o->out) || (w->has_rem && ferror(w->o->removals));

	out_free(&w->main);
	if (w->has_rem)
		out_free(&w->rem);
	free(w->pf);
	free(w->lens);
	sb_free(&w->tmp);
	sb_free(&w->val);
	sb_free(&w->country);
	return bad ? -1 : 0;
}

/* One plain row.  Returns -1 if the stream failed. */
static int
write_plain(struct writer *w, struct segcache *c, const struct pcols *p, size_t r, int removal)
{
	struct out *o = &w->main;

	if (w->o->changes)
		out_cell(o, removal ? "remove" : "add", removal ? 6 : 3, OK_STRING);
	for (size_t f = 0; f < w->nnames; f++) {
		const struct colvec *v = cache_get(c, p->field[f]);
		int kind;

		if (!v || colvec_isnull(v, r)) {
			out_null(o);
			continue;
		}
		kind = cell_text(v, r, w->o->excel, &w->tmp);
		out_cell(o, w->tmp.buf, w->tmp.len, kind);
	}
	if (w->o->extra_cells)
		w->o->extra_cells(w->o->extra_ctx, cache_get(c, p->id)->iv[r], o);
	return out_row_end(o);
}

/*
 * One preset row: each field normalized (and hashed) from the profile's
 * attribute.  Returns 0 if written, 1 if the row has no key the
 * platform can match on, -1 if the stream failed.
 */
static int
write_preset(struct writer *w, struct segcache *c, const struct pcols *p, size_t r, int removal,
    int email_consent)
{
	const struct export_preset *ps = w->o->preset;
	struct out *o = removal ? &w->rem : &w->main;
	size_t *lens = w->lens, off = 0;
	unsigned have = 0;
	const struct colvec *cv = cache_get(c, p->attr[EA_COUNTRY]);

	sb_reset(&w->country);
	if (cv && !colvec_isnull(cv, r)) {
		cell_text(cv, r, 0, &w->tmp);
		export_normalize(ER_UPPER_ALPHA2, w->tmp.buf, w->tmp.len, NULL, &w->country);
	}
	/* Values go into one buffer first: a row without a key is not written. */
	sb_reset(&w->val);
	for (size_t i = 0; i < w->npf; i++) {
		const struct export_field *f = w->pf[i];
		size_t start = w->val.len;

		if (f->attr == EA_TAG) {
			sb_adds(&w->val, w->o->tag);
		} else if (f->attr == EA_STATUS) {
			sb_adds(&w->val, email_consent == 1 ? "subscribed" : email_consent == 0 ? "unsubscribed" : "");
		} else {
			const struct colvec *v = cache_get(c, p->attr[f->attr]);

			if (v && !colvec_isnull(v, r)) {
				cell_text(v, r, 0, &w->tmp);
				export_normalize(f->rule, w->tmp.buf, w->tmp.len,
				    w->country.len ? w->country.buf : NULL, &w->val);
			}
			if (f->hash && w->val.len > start) {
				char hex[65];

				export_sha256_hex(w->val.buf + start, w->val.len - start, hex);
				w->val.len = start;
				sb_add(&w->val, hex, 64);
			}
		}
		lens[i] = w->val.len - start;
		if (lens[i])
			have |= 1u << f->attr;
	}
	if (!(have & ps->keys))
		return 1;
	for (size_t i = 0; i < w->npf; i++) {
		if (lens[i])
			out_cell(o, w->val.buf + off, lens[i], OK_STRING);
		else
			out_null(o);
		off += lens[i];
	}
	if (w->o->extra_cells)
		w->o->extra_cells(w->o->extra_ctx, cache_get(c, p->id)->iv[r], o);
	return out_row_end(o);
}

/*
 * One live profile row: the checks, then the row written (or its id
 * collected).  0, or -2 when the stream failed.
 */
static int
walk_row(const struct export_opts *o, struct export_stats *s, struct writer *w,
    struct u64set *collect, struct segcache *c, const struct pcols *p, int64_t id, size_t r)
{
	int removal = 0, res;
	struct export_consent cons;

	if (o->add || o->remove) {
		int in_add = o->add && u64set_has(o->add, (uint64_t)id);

		removal = !in_add && o->remove && u64set_has(o->remove, (uint64_t)id);
		if (!in_add && !removal)
			return 0;
		u64set_add(&s->seen, (uint64_t)id);
	}
	cons.email = truth(cache_get(c, p->email), r);
	cons.ads = p->ads < 0 ? -2 : truth(cache_get(c, p->ads), r);
	cons.analytics = p->analytics < 0 ? -2 : truth(cache_get(c, p->analytics), r);
	cons.suppressed = 0;
	for (int k = 0; k < 3; k++)
		if (truth(cache_get(c, p->supp[k]), r) == 1)
			cons.suppressed = 1;
	if (cons.suppressed) {
		s->suppressed++;
		return 0;
	}
	if (!removal && !export_allowed(o->purpose, &cons)) {
		s->no_consent++;
		return 0;
	}
	if (collect) {
		u64set_add(collect, (uint64_t)id);
		return 0;
	}
	if (o->preset) {
		if (removal && !w->has_rem)
			return 0;
		res = write_preset(w, c, p, r, removal, cons.email);
	} else {
		res = write_plain(w, c, p, r, removal);
	}
	if (res < 0)
		return -2;
	if (res == 1)
		s->no_key++;
	else if (removal)
		s->removals++;
	else
		s->written++;
	return 0;
}

/*
 * The one walk over the profiles table: its live rows in ascending
 * profile_id (see profiles.h), so the output is the same whatever the
 * table's segments.  With collect set, the ids that pass the checks are
 * added to it and nothing is written.
 */
static int
walk_profiles(struct store *st, const struct export_opts *o, struct export_stats *s,
    struct writer *w, struct u64set *collect)
{
	struct profiles pt;
	struct segcache *c;
	struct pcols *p;
	int rc = 0;

	if (profiles_open(st, &pt) < 0)
		return -1;
	c = xcalloc(pt.nsegs + 1, sizeof *c);
	p = xcalloc(pt.nsegs + 1, sizeof *p);
	for (size_t i = 0; i < pt.nsegs; i++) {
		p[i].field = xcalloc(o->nfields + 1, sizeof *p[i].field);
		pcols_find(&p[i], pt.segs[i], o->fields, o->nfields);
		cache_init(&c[i], pt.segs[i], &pt, i);
	}
	for (size_t k = 0; k < pt.nlive && rc == 0; k++) {
		const struct prow *pr = &pt.order[k];

		if ((k & 0xfff) == 0 && cdp_interrupted) {
			rc = cdp_seterr("interrupted");
			break;
		}
		rc = walk_row(o, s, w, collect, &c[pr->seg], &p[pr->seg], pr->id, pr->row);
		if (rc == 0 && c[pr->seg].err)
			rc = -1;
	}
	for (size_t i = 0; i < pt.nsegs; i++) {
		cache_free(&c[i]);
		free(p[i].field);
	}
	free(c);
	free(p);
	profiles_close(&pt);
	if (rc == -2)
		cdp_seterr("write error");
	return rc;
}

/* Every visible column of the profiles table, virtual ones included, in its order. */
static char **
profile_columns(struct store *st, size_t *n)
{
	struct profiles pt;
	char **all;
	size_t k = 0;

	if (profiles_open(st, &pt) < 0)
		return NULL;
	all = xcalloc(pt.ncols + 1, sizeof *all);
	for (size_t i = 0; i < pt.ncols; i++)
		if (pt.cols[i][0] != '_')
			all[k++] = xstrdup(pt.cols[i]);
	profiles_close(&pt);
	*n = k;
	return all;
}

/* Every visible column of a table, in first-seen order. */
static char **
visible_columns(struct store *st, const char *table, size_t *n)
{
	struct segment **segs;
	size_t nsegs, nall, k = 0;
	char **all;

	if (store_segments(st, table, &segs, &nsegs) < 0)
		return NULL;
	all = segments_columns(segs, nsegs, &nall);
	store_segments_free(segs, nsegs);
	for (size_t i = 0; i < nall; i++) {
		if (all[i][0] == '_')
			free(all[i]);
		else
			all[k++] = all[i];
	}
	*n = k;
	if (!all)
		all = xcalloc(1, sizeof *all);
	return all;
}

int
export_profiles(struct store *st, const struct export_opts *o, struct export_stats *s)
{
	struct export_opts oo = *o;
	struct writer w;
	char **names = NULL;
	size_t nnames = 0;
	int rc;

	if (!o->preset) {
		if (o->fields) {
			size_t nvis;
			char **vis = profile_columns(st, &nvis);

			if (!vis)
				return -1;
			for (size_t f = 0; f < o->nfields; f++) {
				size_t i;

				for (i = 0; i < nvis && strcmp(vis[i], o->fields[f]) != 0; i++)
					;
				if (i == nvis) {
					columns_free(vis, nvis);
					return cdp_seterr("no profile column '%s'", o->fields[f]);
				}
			}
			columns_free(vis, nvis);
			names = o->fields;
			nnames = o->nfields;
		} else {
			names = profile_columns(st, &nnames);
			if (!names)
				return -1;
			oo.fields = names;
			oo.nfields = nnames;
		}
	}
	writer_open(&w, &oo, names, nnames);
	rc = walk_profiles(st, &oo, s, &w, NULL);
	if (writer_close(&w) < 0 && rc == 0)
		rc = -2, cdp_seterr("write error");
	if (!o->preset && !o->fields)
		columns_free(names, nnames);
	return rc;
}

int
export_records(struct store *st, const struct export_opts *o, struct export_stats *s)
{
	struct export_opts oo = *o;
	struct u64set allowed = { 0 };
	struct mergemap mm;
	struct segment **segs;
	struct strbuf tmp = STRBUF_INIT;
	struct out out;
	const char **hdr;
	char **names;
	size_t nsegs, nnames;
	int rc = 0;

	oo.preset = NULL;
	oo.fields = NULL;
	oo.nfields = 0;
	if (walk_profiles(st, &oo, s, NULL, &allowed) < 0) {
		u64set_free(&allowed);
		return -1;
	}
	if (mergemap_load(st, &mm) < 0) {
		u64set_free(&allowed);
		return -1;
	}
	names = visible_columns(st, "records", &nnames);
	if (!names || store_segments(st, "records", &segs, &nsegs) < 0) {
		if (names)
			columns_free(names, nnames);
		mergemap_free(&mm);
		u64set_free(&allowed);
		return -1;
	}
	hdr = xcalloc(nnames + 4, sizeof *hdr);
	hdr[0] = "profile_id";
	hdr[1] = "record_source";
	hdr[2] = "record_key";
	hdr[3] = "record_time";
	for (size_t i = 0; i < nnames; i++)
		hdr[4 + i] = names[i];
	out_init(&out, o->out, o->format, o->excel);
	out_header(&out, hdr, nnames + 4);
	free(hdr);
	for (size_t i = 0; i < nsegs && rc == 0; i++) {
		struct segment *seg = segs[i];
		struct segcache c;
		int64_t *ids;
		size_t nids, any = 0;
		int *idx;
		const struct colvec *src, *batch, *line, *time;

		if (cdp_interrupted) {
			rc = cdp_seterr("interrupted");
			break;
		}
		if (links_read(st, &mm, seg->id, &ids, &nids) < 0) {
			rc = -1;
			break;
		}
		for (size_t r = 0; ids && r < nids && !any; r++)
			any = u64set_has(&allowed, (uint64_t)ids[r]);
		if (!any || nids != seg->nrows) {
			free(ids);
			continue;
		}
		cache_init(&c, seg, NULL, 0);
		idx = xcalloc(nnames + 1, sizeof *idx);
		for (size_t k = 0; k < nnames; k++)
			idx[k] = segment_col_index(seg, names[k]);
		src = cache_get(&c, segment_col_index(seg, "_source"));
		batch = cache_get(&c, segment_col_index(seg, "_batch"));
		line = cache_get(&c, segment_col_index(seg, "_line"));
		time = cache_get(&c, segment_col_index(seg, "_time"));
		for (size_t r = 0; r < nids && rc == 0; r++) {
			int kind;

			if (!u64set_has(&allowed, (uint64_t)ids[r]))
				continue;
			sb_reset(&tmp);
			sb_addf(&tmp, "%lld", (long long)ids[r]);
			out_cell(&out, tmp.buf, tmp.len, OK_NUMBER);
			if (src && !colvec_isnull(src, r)) {
				kind = cell_text(src, r, 0, &tmp);
				out_cell(&out, tmp.buf, tmp.len, OK_STRING);
			} else {
				out_null(&out);
			}
			sb_reset(&tmp);
			sb_addf(&tmp, "%lld:%lld", batch && !colvec_isnull(batch, r) ? (long long)batch->iv[r] : 0LL,
			    line && !colvec_isnull(line, r) ? (long long)line->iv[r] : 0LL);
			out_cell(&out, tmp.buf, tmp.len, OK_STRING);
			if (time && !colvec_isnull(time, r)) {
				kind = cell_text(time, r, o->excel, &tmp);
				out_cell(&out, tmp.buf, tmp.len, kind);
			} else {
				out_null(&out);
			}
			for (size_t k = 0; k < nnames; k++) {
				const struct colvec *v = cache_get(&c, idx[k]);

				if (!v || colvec_isnull(v, r)) {
					out_null(&out);
					continue;
				}
				kind = cell_text(v, r, o->excel, &tmp);
				out_cell(&out, tmp.buf, tmp.len, kind);
			}
			if (out_row_end(&out) < 0) {
				cdp_seterr("write error");
				rc = -2;
			} else
				s->written++;
		}
		if (c.err && rc == 0)
			rc = -1;
		free(idx);
		cache_free(&c);
		free(ids);
	}
	out_free(&out);
	sb_free(&tmp);
	store_segments_free(segs, nsegs);
	columns_free(names, nnames);
	mergemap_free(&mm);
	u64set_free(&allowed);
	return rc;
}

void
export_stats_free(struct export_stats *s)
{
	u64set_free(&s->seen);
}
