/*
 * merge_match_read.c - the person fields probabilistic matching
 * compares: from a records segment's columns (any spelling
 * attr_canonical() knows: "First Name", "fname", "PLZ") or from a
 * profile's golden values.  E-mail and phone come from the normalized
 * identifier columns when a record has them; placeholder values the
 * merge rules block (test@test.com, 000000) count as missing.
 */
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "merge_mstate.h"

static const char *const field_names[MF_EXTRA] = { "first_name", "last_name", "birth_date",
	"postal_code", "street", "house_number", "city", "phone", "email" };

/* The field an attribute (canonical name) fills: MF_*, MF_EXTRA + k, or -1. */
int
match_attr_field(const struct match_conf *m, const char *attr)
{
	for (int f = 0; f < MF_EXTRA; f++)
		if (strcmp(attr, field_names[f]) == 0)
			return f;
	for (int k = 0; k < m->ncompare; k++)
		if (strcmp(attr, m->compare[k]) == 0)
			return MF_EXTRA + k;
	return -1;
}

void
mfields_set(struct mfields *f, int field, const char *s, size_t len)
{
	char *dst = field >= MF_EXTRA ? f->extra[field - MF_EXTRA] : f->v[field];

	if (len >= MF_VALMAX)
		len = MF_VALMAX - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static int
type_index(const struct merge_config *c, const char *name)
{
	for (size_t t = 0; t < c->ntypes; t++)
		if (strcmp(c->types[t].name, name) == 0)
			return (int)t;
	return -1;
}

/* Street and house number as one value, the way fs_input wants it. */
void
mfields_street(const struct mfields *f, char *out, size_t outsz)
{
	if (f->v[MF_HOUSE][0] && f->v[MF_STREET][0])
		snprintf(out, outsz, "%s %s", f->v[MF_STREET], f->v[MF_HOUSE]);
	else
		snprintf(out, outsz, "%s", f->v[MF_STREET]);
}

void
mfields_prepare(struct engine *g, struct mfields *f, struct fs_rec *r)
{
	int te = type_index(g->c, "email"), tp = type_index(g->c, "phone");

	if (te >= 0 && f->v[MF_EMAIL][0] &&
	    merge_value_blocked(g, te, f->v[MF_EMAIL], strlen(f->v[MF_EMAIL])))
		f->v[MF_EMAIL][0] = '\0';
	if (tp >= 0 && f->v[MF_PHONE][0] &&
	    merge_value_blocked(g, tp, f->v[MF_PHONE], strlen(f->v[MF_PHONE])))
		f->v[MF_PHONE][0] = '\0';
	mfields_fsprep(&g->c->match->model, f, r);
}

void
mfields_fsprep(const struct fs_model *md, const struct mfields *f, struct fs_rec *r)
{
	struct fs_input in;
	char street[2 * MF_VALMAX + 2];

	memset(&in, 0, sizeof in);
	in.first_name = f->v[MF_FIRST];
	in.last_name = f->v[MF_LAST];
	in.birth_date = f->v[MF_BIRTH];
	in.postcode = f->v[MF_POSTCODE];
	mfields_street(f, street, sizeof street);
	in.street = street;
	in.city = f->v[MF_CITY];
	in.phone = f->v[MF_PHONE];
	in.email = f->v[MF_EMAIL];
	for (int k = 0; k < FS_MAX_EXTRA; k++)
		in.extra[k] = f->extra[k];
	fs_prepare(md, &in, r);
}

/* Lower case, runs of other characters as one '_' (merge.c's attribute key). */
static void
name_key(const char *s, char *out, size_t outsz)
{
	size_t n = 0;
	int gap = 0;

	for (; *s && n + 2 < outsz; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || (c >= 'A' && c <= 'Z')) {
			if (gap && n)
				out[n++] = '_';
			gap = 0;
			out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else {
			gap = 1;
		}
	}
	out[n] = '\0';
}

static struct colvec *
read_idx(struct segment *s, int idx, struct colvec *v, int *err)
{
	if (idx < 0)
		return NULL;
	if (segment_read(s, idx, v) < 0) {
		*err = 1;
		return NULL;
	}
	return v;
}

int
mcols_open(struct mcols *mc, const struct merge_config *c, struct segment *s, const struct mentry *batch)
{
	const char *kind = batch ? mentry_get(batch, "kind") : NULL;
	int err = 0, te, tp;
	char key[256];

	memset(mc, 0, sizeof *mc);
	mc->person_batch = kind && strcmp(kind, "person") == 0;
	mc->kind = read_idx(s, segment_col_index(s, "_kind"), &mc->vkind, &err);
	mc->bt = read_idx(s, segment_col_index(s, "_batch"), &mc->vbt, &err);
	mc->ln = read_idx(s, segment_col_index(s, "_line"), &mc->vln, &err);
	te = type_index(c, "email");
	tp = type_index(c, "phone");
	if (te >= 0 && (mc->c[MF_EMAIL] = read_idx(s, segment_col_index(s, c->types[te].column),
	    &mc->col[MF_EMAIL], &err)))
		mc->email_ident = 1;
	if (tp >= 0 && (mc->c[MF_PHONE] = read_idx(s, segment_col_index(s, c->types[tp].column),
	    &mc->col[MF_PHONE], &err)))
		mc->phone_ident = 1;
	for (size_t k = 0; k < s->ncols && !err; k++) {
		const char *name = s->cols[k].name, *canon;
		int f;

		if (name[0] == '_')
			continue;
		name_key(name, key, sizeof key);
		canon = attr_canonical(key);
		f = match_attr_field(c->match, canon ? canon : key);
		if (f < 0)
			continue;
		if (f >= MF_EXTRA) {
			if (!mc->x[f - MF_EXTRA])
				mc->x[f - MF_EXTRA] = read_idx(s, (int)k, &mc->extra[f - MF_EXTRA], &err);
		} else if (!mc->c[f]) {
			mc->c[f] = read_idx(s, (int)k, &mc->col[f], &err);
		}
	}
	if (!err && (!mc->bt || !mc->ln))
		return cdp_seterr("%s: not a records segment", s->path);
	return err ? -1 : 0;
}

int
mcols_is_person(const struct mcols *mc, size_t r)
{
	if (mc->kind && !colvec_isnull(mc->kind, r))
		return colvec_str(mc->kind, r, NULL)[0] != 'e';
	return mc->person_batch;
}

void
mcols_row(struct engine *g, struct mcols *mc, size_t r, struct mfields *f)
{
	size_t len;
	const char *v;

	memset(f, 0, sizeof *f);
	for (int k = 0; k < MF_EXTRA; k++) {
		if (!mc->c[k] || colvec_isnull(mc->c[k], r))
			continue;
		v = merge_cell_text(mc->c[k], r, &mc->tmp, &len);
		mfields_set(f, k, v, len);
	}
	for (int k = 0; k < FS_MAX_EXTRA; k++) {
		if (!mc->x[k] || colvec_isnull(mc->x[k], r))
			continue;
		v = merge_cell_text(mc->x[k], r, &mc->tmp, &len);
		mfields_set(f, MF_EXTRA + k, v, len);
	}
	(void)g;
}

void
mcols_close(struct mcols *mc)
{
	for (int k = 0; k < MF_NFIELDS; k++)
		if (mc->c[k])
			colvec_free(mc->c[k]);
	for (int k = 0; k < FS_MAX_EXTRA; k++)
		if (mc->x[k])
			colvec_free(mc->x[k]);
	if (mc->kind)
		colvec_free(mc->kind);
	if (mc->bt)
		colvec_free(mc->bt);
	if (mc->ln)
		colvec_free(mc->ln);
	sb_free(&mc->tmp);
}
