/*
 * merge.c - identity resolution with merge protection.
 *
 * Each record is linked to a profile by its identifiers, taken in the
 * configured priority order.  An identifier seen before points at its
 * profile; the first one decides the record's profile and each further
 * one either agrees, attaches a new value, or asks to merge two
 * profiles.  A merge or an attachment that would give a profile more
 * distinct values of a type than the type's limit (or more records or
 * merges than the hard caps) is refused: that identifier, which is of
 * lower priority than the ones already used, is dropped for this record
 * and the refusal is recorded.  Identifiers never seen before are held
 * back until the record's profile is known, so a record whose only
 * known identifier is a shared device starts a new profile instead of
 * joining a stranger's.
 *
 * Incremental: the state (profiles with their aggregates, every
 * identifier and its profile, the next profile id) is read back from
 * the store, only records segments without links are processed, and
 * the state is written again.  Processing is in manifest order, so an
 * incremental run and a rebuild make the same decisions.
 *
 * Memory: per profile one struct prof; per distinct identifier one
 * struct ident; golden values and event counts in pooled nodes; no
 * allocation per record.
 *
 * The rules are read in merge_conf.c, the tables written in
 * merge_write.c, --explain lives in merge_explain.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "attrs.h"
#include "merge.h"
#include "merge_int.h"
#include "merge_match.h"
#include "normalize.h"
#include "profiles.h"
#include "lsm.h"

/* Revenue never wraps around: a sum past the range stays at its end. */
static void
cents_add(int64_t *a, int64_t b)
{
	if (__builtin_add_overflow(*a, b, a))
		*a = b < 0 ? INT64_MIN : INT64_MAX;
}

static uint32_t
prof_new(struct engine *g, int64_t id)
{
	struct prof *p;

	if (g->np == g->capp) {
		g->capp = g->capp ? g->capp * 2 : 4096;
		g->p = xreallocarray(g->p, g->capp, sizeof *g->p);
	}
	p = &g->p[g->np];
	memset(p, 0, sizeof *p);
	p->id = id;
	if (g->np == g->capparent) {
		g->capparent = g->capp;
		g->parent = xreallocarray(g->parent, g->capparent, sizeof *g->parent);
	}
	g->parent[g->np] = (uint32_t)g->np;
	p->first_seen = p->last_seen = p->first_order = p->last_order = NO_TIME;
	p->consent = -1;
	p->consent_t = NO_TIME;
	p->attrs = p->events = p->windowed = NONE;
	return (uint32_t)g->np++;
}

uint32_t
merge_find(struct engine *g, uint32_t x)
{
	uint32_t root = x;

	while (g->parent[root] != root)
		root = g->parent[root];
	while (g->parent[x] != root) {
		uint32_t next = g->parent[x];

		g->parent[x] = root;
		x = next;
	}
	return root;
}

static uint64_t
val_add(struct engine *g, const char *s, size_t len)
{
	uint64_t off = g->vals.len;

	sb_add(&g->vals, s, len);
	sb_addc(&g->vals, '\0');
	return off;
}

static uint64_t
ident_key(int type, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len) ^ ((uint64_t)(type + 1) * 0x9e3779b97f4a7c15ULL);

	return h ? h : 1;
}

static size_t
ident_slot(const struct engine *g, uint64_t key)
{
	size_t i = (size_t)(key >> 7) & (g->nidslots - 1);

	while (g->idslots[i].key && g->idslots[i].key != key)
		i = (i + 1) & (g->nidslots - 1);
	return i;
}

static uint32_t
ident_find(const struct engine *g, uint64_t key)
{
	if (!g->nidslots)
		return NONE;
	size_t i = ident_slot(g, key);

	return g->idslots[i].key ? g->idslots[i].idx : NONE;
}

static uint32_t
ident_add(struct engine *g, uint64_t key, int type, const char *s, size_t len, uint32_t prof,
    int64_t first)
{
	struct ident *d;

	if ((g->nid + 1) * 2 > g->nidslots) {
		size_t n = g->nidslots ? g->nidslots * 2 : 65536;

		free(g->idslots);
		g->idslots = xcalloc(n, sizeof *g->idslots);
		g->nidslots = n;
		for (size_t k = 0; k < g->nid; k++)
			g->idslots[ident_slot(g, g->id[k].key)] = (struct islot){ g->id[k].key, (uint32_t)k };
	}
	if (g->nid == g->capid) {
		g->capid = g->capid ? g->capid * 2 : 65536;
		g->id = xreallocarray(g->id, g->capid, sizeof *g->id);
	}
	d = &g->id[g->nid];
	d->key = key;
	d->prof = prof;
	d->type = (uint8_t)type;
	d->off = val_add(g, s, len);
	d->len = (uint32_t)len;
	d->first = first;
	d->next = NONE;
	d->seq = g->next_ident++;
	d->was = 0;
	if (g->c->types[type].window) {
		d->next = g->p[prof].windowed;
		g->p[prof].windowed = (uint32_t)g->nid;
	}
	g->idslots[ident_slot(g, key)] = (struct islot){ key, (uint32_t)g->nid };
	g->p[prof].idcount[type]++;
	return (uint32_t)g->nid++;
}

static uint32_t
dict_index(struct strmap *m, char ***names, size_t *n, const char *s, size_t len)
{
	long v = strmap_get(m, s, len);

	if (v >= 0)
		return (uint32_t)v;
	*names = xreallocarray(*names, *n + 1, sizeof **names);
	(*names)[*n] = xstrndup(s, len);
	strmap_put(m, s, len, (long)*n);
	return (uint32_t)(*n)++;
}

const struct golden_rule *
golden_rule_for(const struct merge_config *c, const char *attr)
{
	for (size_t i = 0; i < c->ngolden; i++)
		if (strcmp(c->golden[i].attr, attr) == 0)
			return &c->golden[i];
	return NULL;
}

static int32_t
source_rank(const struct golden_rule *r, const char *source)
{
	for (size_t i = 0; r && i < r->nsources; i++)
		if (strcmp(r->sources[i], source) == 0)
			return (int32_t)i;
	return r ? (int32_t)r->nsources : 0;
}

/*
 * Offer a value for a profile's attribute under the attribute's rule.
 * stored is the value's offset in g->vals when it is already there (an
 * identifier's value), else NO_OFF and the value is copied if taken.
 */
#define NO_OFF UINT64_MAX
static void
golden_offer(struct engine *g, uint32_t pi, uint32_t attr, const char *s, size_t len,
    int64_t t, const char *source, uint64_t stored)
{
	const struct golden_rule *r = golden_rule_for(g->c, g->attr_names[attr]);
	int32_t rank = r && r->how == GOLDEN_SOURCE ? source_rank(r, source) : 0;
	struct anode *a = NULL;
	uint32_t k;

	for (k = g->p[pi].attrs; k != NONE; k = g->an[k].next) {
		if (g->an[k].attr == attr) {
			a = &g->an[k];
			break;
		}
	}
	if (!a) {
		if (g->nan == g->capan) {
			g->capan = g->capan ? g->capan * 2 : 65536;
			g->an = xreallocarray(g->an, g->capan, sizeof *g->an);
		}
		a = &g->an[g->nan];
		a->next = g->p[pi].attrs;
		a->attr = attr;
		a->t = t;
		a->rank = rank;
		a->votes = 1;
		a->off = stored != NO_OFF ? stored : val_add(g, s, len);
		a->len = (uint32_t)len;
		g->p[pi].attrs = (uint32_t)g->nan++;
		return;
	}
	int same = a->len == len && memcmp(g->vals.buf + a->off, s, len) == 0;
	int take = 0;

	if (r && r->how == GOLDEN_FREQUENT) {
		/* majority vote (Boyer-Moore): finds a value held by most records */
		if (same)
			a->votes++;
		else if (a->votes == 0)
			take = 1;
		else
			a->votes--;
	} else if (r && r->how == GOLDEN_SOURCE) {
		take = rank < a->rank || (rank == a->rank && t >= a->t);
	} else {
		take = t >= a->t;
	}
	if (take) {
		if (!same) {
			a->off = stored != NO_OFF ? stored : val_add(g, s, len);
			a->len = (uint32_t)len;
		}
		a->t = t;
		a->rank = rank;
		if (r && r->how == GOLDEN_FREQUENT)
			a->votes = 1;
	}
}

/* Fold another profile's golden value into profile pi. */
static void
golden_merge(struct engine *g, uint32_t pi, const struct anode *b)
{
	const struct golden_rule *r = golden_rule_for(g->c, g->attr_names[b->attr]);
	uint32_t k;

	for (k = g->p[pi].attrs; k != NONE; k = g->an[k].next) {
		struct anode *a = &g->an[k];

		if (a->attr != b->attr)
			continue;
		if (r && r->how == GOLDEN_FREQUENT) {
			if (b->votes > a->votes)
				*a = (struct anode){ a->next, a->attr, b->t, b->rank, b->votes - a->votes, b->off, b->len };
			else
				a->votes -= b->votes;
		} else if (r && r->how == GOLDEN_SOURCE ? b->rank < a->rank || (b->rank == a->rank && b->t > a->t)
		    : b->t > a->t) {
			uint32_t next = a->next;

			*a = *b;
			a->next = next;
		}
		return;
	}
	if (g->nan == g->capan) {
		g->capan = g->capan ? g->capan * 2 : 65536;
		g->an = xreallocarray(g->an, g->capan, sizeof *g->an);
	}
	g->an[g->nan] = *b;
	g->an[g->nan].next = g->p[pi].attrs;
	g->p[pi].attrs = (uint32_t)g->nan++;
}

static void
event_count(struct engine *g, uint32_t pi, uint32_t ev, uint64_t count, int64_t last)
{
	uint32_t k;

	for (k = g->p[pi].events; k != NONE; k = g->en[k].next) {
		if (g->en[k].ev == ev) {
			g->en[k].count += count;
			if (last > g->en[k].last)
				g->en[k].last = last;
			return;
		}
	}
	if (g->nen == g->capen) {
		g->capen = g->capen ? g->capen * 2 : 65536;
		g->en = xreallocarray(g->en, g->capen, sizeof *g->en);
	}
	g->en[g->nen] = (struct enode){ g->p[pi].events, ev, count, last };
	g->p[pi].events = (uint32_t)g->nen++;
}

static void
tmin(int64_t *a, int64_t b)
{
	if (b != NO_TIME && (*a == NO_TIME || b < *a))
		*a = b;
}

static void
tmax(int64_t *a, int64_t b)
{
	if (b != NO_TIME && (*a == NO_TIME || b > *a))
		*a = b;
}

/* Identifiers of type t that profile p got within the window before now. */
static int
recent(const struct engine *g, uint32_t p, size_t t, int64_t now)
{
	int64_t since = now == NO_TIME ? NO_TIME : now - g->c->types[t].window;
	int n = 0;

	for (uint32_t d = g->p[p].windowed; d != NONE; d = g->id[d].next)
		if (g->id[d].type == t && (g->id[d].first == NO_TIME || since == NO_TIME ||
		    g->id[d].first >= since))
			n++;
	return n;
}

/*
 * Can profiles a and b (roots) become one, with pending new values?
 * limits: per type, NULL for the types' own (the probabilistic stage
 * passes its match-limit values).  A step that adds no value to a
 * profile already past a limit (joined by a probabilistic link or a
 * decision, or under a lowered limit) is not refused for it.
 */
static const char *
merge_refusal_lim(const struct engine *g, uint32_t a, uint32_t b, const uint16_t *pending, int64_t now,
    const int *limits)
{
	static char why[160];

	for (size_t t = 0; t < g->c->ntypes; t++) {
		int lim = limits ? limits[t] : g->c->types[t].limit;
		int ha = g->c->types[t].window ? recent(g, a, t, now) : g->p[a].idcount[t];
		int hb = b == NONE ? 0 : g->c->types[t].window ? recent(g, b, t, now) : g->p[b].idcount[t];
		int have = ha + hb + pending[t];

		if (lim && have > lim && have > (ha > hb ? ha : hb)) {
			snprintf(why, sizeof why, "would give a profile %d %s values%s (limit %d)", have,
			    g->c->types[t].name, g->c->types[t].window ? " within the window" : "", lim);
			return why;
		}
	}
	if (b != NONE && g->p[a].nrec + g->p[b].nrec + 1 > g->c->max_records) {
		snprintf(why, sizeof why, "would give a profile more than %llu records",
		    (unsigned long long)g->c->max_records);
		return why;
	}
	if (b != NONE && g->p[a].nmerges + g->p[b].nmerges + 1 > g->c->max_merges) {
		snprintf(why, sizeof why, "would merge more than %llu profiles into one",
		    (unsigned long long)g->c->max_merges);
		return why;
	}
	return NULL;
}

static const char *
merge_refusal(const struct engine *g, uint32_t a, uint32_t b, const uint16_t *pending, int64_t now)
{
	return merge_refusal_lim(g, a, b, pending, now, NULL);
}

/*
 * A weak identifier (a shared device, a till) may link a record to a
 * profile, but never brings a value of a stronger type into a profile
 * that already has one: five strangers paying at one terminal stay
 * five profiles.  a is the record's profile so far (pending holds its
 * new values), b the one the weak value points at; with b NONE, a is
 * that profile and pending the record's own values.
 */
static const char *
weak_refusal(const struct engine *g, int via, uint32_t a, uint32_t b, const uint16_t *pending)
{
	static char why[160];

	if (!g->c->types[via].weak)
		return NULL;
	for (int k = 0; k < via; k++) {
		uint32_t left = g->p[a].idcount[k] + (b != NONE ? pending[k] : 0);
		uint32_t right = b != NONE ? g->p[b].idcount[k] : pending[k];

		if (left && right) {
			snprintf(why, sizeof why, "%s is weak: it does not join a second %s to a profile",
			    g->c->types[via].name, g->c->types[k].name);
			return why;
		}
	}
	return NULL;
}

/* Merge root b into root a (or a into b: the older id survives). */
static uint32_t
prof_union(struct engine *g, uint32_t a, uint32_t b, int type)
{
	struct prof *x, *y;
	uint32_t k, last;

	if (g->p[b].id < g->p[a].id) {
		uint32_t t = a;

		a = b;
		b = t;
	}
	x = &g->p[a];
	y = &g->p[b];
	g->parent[b] = a;
	x->nmerges += y->nmerges + 1;
	x->nrec += y->nrec;
	x->nevt += y->nevt;
	x->nord += y->nord;
	tmin(&x->first_seen, y->first_seen);
	tmax(&x->last_seen, y->last_seen);
	tmin(&x->first_order, y->first_order);
	tmax(&x->last_order, y->last_order);
	cents_add(&x->revenue, y->revenue);
	x->sources |= y->sources;
	for (size_t t = 0; t < MERGE_MAX_TYPES; t++)
		x->idcount[t] += y->idcount[t];
	if (y->windowed != NONE) {
		uint32_t d = y->windowed;

		while (g->id[d].next != NONE)
			d = g->id[d].next;
		g->id[d].next = x->windowed;
		x->windowed = y->windowed;
		y->windowed = NONE;
	}
	if (y->consent >= 0 && (x->consent < 0 || y->consent_t > x->consent_t)) {
		x->consent = y->consent;
		x->consent_t = y->consent_t;
	}
	/* Golden values: offer each of b's to a under the attribute's rule. */
	for (k = y->attrs; k != NONE; k = g->an[k].next) {
		struct anode an = g->an[k];

		golden_merge(g, a, &an);
		x = &g->p[a];
	}
	for (k = y->events; k != NONE; k = last) {
		last = g->en[k].next;
		event_count(g, a, g->en[k].ev, g->en[k].count, g->en[k].last);
	}
	if (g->nmerge == g->capmerge) {
		g->capmerge = g->capmerge ? g->capmerge * 2 : 1024;
		g->merge_old = xreallocarray(g->merge_old, g->capmerge, sizeof *g->merge_old);
		g->merge_new = xreallocarray(g->merge_new, g->capmerge, sizeof *g->merge_new);
		g->merge_type = xreallocarray(g->merge_type, g->capmerge, sizeof *g->merge_type);
	}
	g->merge_old[g->nmerge] = g->p[b].id;
	g->merge_new[g->nmerge] = g->p[a].id;
	g->merge_type[g->nmerge++] = (uint8_t)type;
	g->stats->merged++;
	return a;
}

/* ---- linking ---------------------------------------------------------- */

static int
is_blocked(struct engine *g, int type, uint64_t key, const char *s)
{
	const struct idtype *t = &g->c->types[type];

	if (u64set_has(&g->blocked, key))
		return 1;
	for (size_t i = 0; i < t->nblocked; i++) {
		if (t->blocked[i][0] && strcasecmp(t->blocked[i], s) == 0) {
			u64set_add(&g->blocked, key);
			return 1;
		}
	}
	if (t->nblockre && regexec(&t->blockre_all, s, 0, NULL, 0) == 0) {
		u64set_add(&g->blocked, key);
		return 1;
	}
	return 0;
}

static void
refuse(struct engine *g, int64_t batch, int64_t line, int type, const char *s, size_t len,
    const char *reason, uint32_t prof)
{
	struct refusal *r;

	if (g->nref == g->capref) {
		g->capref = g->capref ? g->capref * 2 : 1024;
		g->ref = xreallocarray(g->ref, g->capref, sizeof *g->ref);
	}
	r = &g->ref[g->nref++];
	r->batch = batch;
	r->line = line;
	r->type = (uint8_t)type;
	r->off = val_add(g, s, len);
	r->len = (uint32_t)len;
	r->reason = xstrdup(reason);
	r->profile = prof == NONE ? 0 : g->p[prof].id;
	g->stats->refused++;
}

struct idval {
	int type;
	const char *s;
	size_t len;
	uint64_t key;
};

/*
 * The profile for a record with identifiers ids (priority order), or
 * NONE when it has none that may link.  See the comment at the top.
 */
static uint32_t
link_record(struct engine *g, struct idval *ids, size_t n, int64_t batch, int64_t line, int64_t t)
{
	uint32_t target = NONE;
	uint16_t pending[MERGE_MAX_TYPES] = { 0 };
	int accepted_new[MERGE_MAX_TYPES * 4];
	size_t nnew = 0;
	const char *why;

	for (size_t j = 0; j < n; j++) {
		uint32_t d = ident_find(g, ids[j].key);

		if (d == NONE) {
			if (is_blocked(g, ids[j].type, ids[j].key, ids[j].s)) {
				g->stats->blocked++;
				continue;
			}
			pending[ids[j].type]++;
			if (target == NONE) {
				int lim = g->c->types[ids[j].type].limit;

				if (lim && pending[ids[j].type] > lim) {
					pending[ids[j].type]--;
					refuse(g, batch, line, ids[j].type, ids[j].s, ids[j].len,
					    "more values of this type in one record than the limit", NONE);
					continue;
				}
			} else if ((why = merge_refusal(g, target, NONE, pending, t)) != NULL) {
				pending[ids[j].type]--;
				refuse(g, batch, line, ids[j].type, ids[j].s, ids[j].len, why, target);
				continue;
			}
			if (nnew < sizeof accepted_new / sizeof accepted_new[0])
				accepted_new[nnew++] = (int)j;
			else
				pending[ids[j].type]--;
			continue;
		}
		uint32_t q = merge_find(g, g->id[d].prof);

		if (q == target)
			continue;
		if (target == NONE) {
			if ((why = merge_refusal(g, q, NONE, pending, t)) != NULL ||
			    (why = weak_refusal(g, ids[j].type, q, NONE, pending)) != NULL) {
				refuse(g, batch, line, ids[j].type, ids[j].s, ids[j].len, why, q);
				continue;
			}
			target = q;
			continue;
		}
		if ((why = merge_refusal(g, target, q, pending, t)) != NULL ||
		    (why = weak_refusal(g, ids[j].type, target, q, pending)) != NULL) {
			refuse(g, batch, line, ids[j].type, ids[j].s, ids[j].len, why, target);
			continue;
		}
		target = prof_union(g, target, q, ids[j].type);
	}
	if (target == NONE) {
		if (nnew == 0)
			return NONE;
		target = prof_new(g, g->next_profile++);
		g->stats->created++;
	}
	for (size_t k = 0; k < nnew; k++) {
		struct idval *v = &ids[accepted_new[k]];

		/* the same new value twice in one record counts once */
		if (ident_find(g, v->key) == NONE)
			ident_add(g, v->key, v->type, v->s, v->len, target, t);
	}
	return target;
}

/* ---- for the probabilistic stage (merge_match.c) ----------------------- */

/* Why roots a and b may not become one (limits, caps), or NULL. */
const char *
merge_union_refusal(struct engine *g, uint32_t a, uint32_t b)
{
	uint16_t none[MERGE_MAX_TYPES] = { 0 };

	return merge_refusal_lim(g, a, b, none, g->now, g->c->match->limit);
}

uint32_t
merge_union(struct engine *g, uint32_t a, uint32_t b, int type)
{
	return prof_union(g, a, b, type);
}

/* A placeholder value (block, block-regex) of identifier type type. */
int
merge_value_blocked(struct engine *g, int type, const char *s, size_t len)
{
	uint64_t key = ident_key(type, s, len);

	/* a value in the identifier map passed the check when it came */
	return ident_find(g, key) == NONE && is_blocked(g, type, key, s);
}

const char *
merge_type_name(const struct engine *g, int type)
{
	if (type == MERGE_TYPE_PROB)
		return "probabilistic";
	if (type == MERGE_TYPE_DECISION)
		return "decision";
	return g->c->types[type].name;
}

/* ---- reading records -------------------------------------------------- */

/* Text of a non-null cell; for strings a pointer into the column. */
const char *
merge_cell_text(const struct colvec *v, size_t r, struct strbuf *tmp, size_t *len)
{
	if (v->type == CT_STR)
		return colvec_str(v, r, len);
	sb_reset(tmp);
	colvec_format(v, r, tmp);
	*len = tmp->len;
	return tmp->buf;
}

static int
consent_value(const char *s)
{
	static const char *const yes[] = { "true", "yes", "y", "1", "subscribed", "opted_in",
		"opt-in", "optin", "granted", NULL };
	static const char *const no[] = { "false", "no", "n", "0", "unsubscribed", "opted_out",
		"opt-out", "optout", "cleaned", "bounced", "denied", "revoked", NULL };

	for (int i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

int
merge_has_name(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * A profile attribute's name: lower case, runs of anything but letters
 * and digits as one '_', so a CRM's "first_name" and a newsletter's
 * "First Name" fill the same attribute.
 */
static void
attr_key(const char *s, struct strbuf *out)
{
	int gap = 0;

	sb_reset(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || (c >= 'A' && c <= 'Z')) {
			if (gap && out->len)
				sb_addc(out, '_');
			gap = 0;
			sb_addc(out, c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else {
			gap = 1;
		}
	}
	if (!out->len)
		sb_adds(out, "_");
}

/* A column of s read whole, or NULL (vec not touched) when s lacks it. */
struct colvec *
merge_read_col(struct segment *s, const char *name, struct colvec *v, int *err)
{
	int idx = segment_col_index(s, name);

	if (idx < 0)
		return NULL;
	if (segment_read(s, idx, v) < 0) {
		*err = 1;
		return NULL;
	}
	return v;
}

/*
 * Like read_col, but a configured name matches a column written in any
 * case and spacing ("Total" for total, "Accepts Email Marketing" for
 * accepts_email_marketing); an exact match wins.
 */
static struct colvec *
read_col_folded(struct segment *s, const char *name, struct colvec *v, int *err)
{
	struct strbuf want = STRBUF_INIT, have = STRBUF_INIT;
	int idx = segment_col_index(s, name);

	attr_key(name, &want);
	for (size_t k = 0; idx < 0 && k < s->ncols; k++) {
		attr_key(s->cols[k].name, &have);
		if (s->cols[k].name[0] != '_' && strcmp(have.buf, want.buf) == 0)
			idx = (int)k;
	}
	sb_free(&want);
	sb_free(&have);
	if (idx < 0)
		return NULL;
	if (segment_read(s, idx, v) < 0) {
		*err = 1;
		return NULL;
	}
	return v;
}

struct attrcol {
	uint32_t attr;
	struct colvec v;
};

/*
 * Link every row of one records segment and fold it into its profile.
 * *links gets the profile id per row (0: no usable identifier).
 */
static int
process_segment(struct engine *g, struct segment *s, const struct mentry *batch, int64_t **links)
{
	const struct merge_config *c = g->c;
	struct colvec vsrc, vkind, vevent, vtime, vbatch, vline;
	struct colvec *src, *kind, *event, *tm, *bt, *ln;
	struct colvec idv[MERGE_MAX_TYPES], *idp[MERGE_MAX_TYPES];
	struct colvec *rev = NULL, *cons = NULL;
	struct attrcol *ac = NULL;
	size_t nac = 0, nrev = 0, ncons = 0;
	char **roles = NULL;
	size_t nroles = 0;
	struct strbuf tmp = STRBUF_INIT, idtmp[MERGE_MAX_TYPES];
	uint32_t *srcidx = NULL, *evidx = NULL, typeattr[MERGE_MAX_TYPES];
	uint8_t *isorder = NULL;
	int err = 0, person_batch;
	const char *rc = batch ? mentry_get(batch, "role-columns") : NULL;

	memset(idtmp, 0, sizeof idtmp);
	if (rc) {
		char *copy = xstrdup(rc), *p = copy, *tok;

		while ((tok = strsep(&p, "\t")) != NULL)
			merge_list_add(&roles, &nroles, tok);
		free(copy);
	}
	person_batch = batch && mentry_get(batch, "kind") && strcmp(mentry_get(batch, "kind"), "person") == 0;
	src = merge_read_col(s, "_source", &vsrc, &err);
	kind = merge_read_col(s, "_kind", &vkind, &err);
	event = merge_read_col(s, "_event", &vevent, &err);
	tm = merge_read_col(s, "_time", &vtime, &err);
	bt = merge_read_col(s, "_batch", &vbatch, &err);
	ln = merge_read_col(s, "_line", &vline, &err);
	for (size_t t = 0; t < c->ntypes; t++)
		idp[t] = merge_read_col(s, c->types[t].column, &idv[t], &err);
	rev = xcalloc(c->nrevenue_columns + 1, sizeof *rev);
	for (size_t k = 0; k < c->nrevenue_columns; k++)
		if (read_col_folded(s, c->revenue_columns[k], &rev[nrev], &err))
			nrev++;
	cons = xcalloc(c->nconsent_columns + 1, sizeof *cons);
	for (size_t k = 0; k < c->nconsent_columns; k++)
		if (read_col_folded(s, c->consent_columns[k], &cons[ncons], &err))
			ncons++;
	/* Golden attributes: a person's columns, or an event's traits.* */
	ac = xcalloc(s->ncols + 1, sizeof *ac);
	for (size_t k = 0; k < s->ncols && !err; k++) {
		const char *name = s->cols[k].name, *canon;

		if (name[0] == '_' && name[1] != '_')
			continue;
		if (merge_has_name(roles, nroles, name))
			continue;
		if (!person_batch) {
			if (strncmp(name, "traits.", 7) != 0)
				continue;
			name += 7;
		}
		if (segment_read(s, (int)k, &ac[nac].v) < 0) {
			err = 1;
			break;
		}
		attr_key(name, &tmp);
		if ((canon = attr_canonical(tmp.buf)) != NULL) {
			sb_reset(&tmp);
			sb_adds(&tmp, canon);
		}
		ac[nac].attr = dict_index(&g->attrs, &g->attr_names, &g->nattr, tmp.buf, tmp.len);
		nac++;
	}
	if (err || !src || !bt || !ln) {
		if (!err)
			cdp_seterr("%s: not a records segment", s->path);
		goto out;
	}
	/* Per dictionary entry once, not per row. */
	for (size_t k = 0; k < c->ntypes; k++)
		typeattr[k] = dict_index(&g->attrs, &g->attr_names, &g->nattr, c->types[k].name,
		    strlen(c->types[k].name));
	srcidx = xcalloc(src->ndict + 1, sizeof *srcidx);
	for (size_t d = 0; d < src->ndict; d++)
		srcidx[d] = dict_index(&g->sources, &g->source_names, &g->nsource,
		    src->ddata + src->doff[d], (size_t)(src->doff[d + 1] - src->doff[d] - 1));
	if (event) {
		evidx = xcalloc(event->ndict + 1, sizeof *evidx);
		isorder = xcalloc(event->ndict + 1, 1);
		for (size_t d = 0; d < event->ndict; d++) {
			const char *name = event->ddata + event->doff[d];

			evidx[d] = NONE;	/* entered when a row uses it */
			isorder[d] = merge_has_name(c->order_events, c->norder_events, name);
		}
	}

	*links = xcalloc(s->nrows ? s->nrows : 1, sizeof **links);
	for (size_t r = 0; r < s->nrows; r++) {
		struct idval ids[MERGE_MAX_TYPES];
		size_t nids = 0;
		int64_t t = tm && !colvec_isnull(tm, r) ? tm->iv[r] : NO_TIME;
		int is_event = kind && !colvec_isnull(kind, r) && colvec_str(kind, r, NULL)[0] == 'e';
		uint32_t pi;
		struct prof *p;

		for (size_t k = 0; k < c->ntypes; k++) {
			struct colvec *v = idp[k];

			if (!v || colvec_isnull(v, r))
				continue;
			ids[nids].type = (int)k;
			ids[nids].s = merge_cell_text(v, r, &idtmp[k], &ids[nids].len);
			ids[nids].key = ident_key((int)k, ids[nids].s, ids[nids].len);
			nids++;
		}
		pi = link_record(g, ids, nids, bt->iv[r], ln->iv[r], t);
		g->stats->records++;
		if (pi == NONE && kind && !is_event) {
			/* A person is someone even when no identifier of theirs
			 * links (a national phone that did not normalize, an id
			 * column not recognised): a profile of their own. */
			pi = prof_new(g, g->next_profile++);
			g->stats->created++;
		}
		if (pi == NONE) {
			g->stats->unlinked++;
			continue;
		}
		pi = merge_find(g, pi);
		p = &g->p[pi];
		(*links)[r] = p->id;
		p->nrec++;
		tmin(&p->first_seen, t);
		tmax(&p->last_seen, t);
		if (!colvec_isnull(src, r) && srcidx[src->codes[r]] < 64)
			p->sources |= 1ULL << srcidx[src->codes[r]];
		if (is_event) {
			p->nevt++;
			if (event && !colvec_isnull(event, r)) {
				uint32_t code = event->codes[r];
				const char *name = event->ddata + event->doff[code];

				if (evidx[code] == NONE)
					evidx[code] = dict_index(&g->events, &g->event_names, &g->nevent,
					    name, strlen(name));
				event_count(g, pi, evidx[code], 1, t);
				p = &g->p[pi];
				if (isorder[code]) {
					int64_t amount;

					p->nord++;
					tmin(&p->first_order, t);
					tmax(&p->last_order, t);
					for (size_t k = 0; k < nrev; k++) {
						if (!colvec_isnull(&rev[k], r) && colvec_cents(&rev[k], r, &amount) == 0) {
							cents_add(&p->revenue, amount);
							break;
						}
					}
				}
			}
		}
		for (size_t k = 0; k < ncons; k++) {
			size_t len;
			const char *v;
			int yes;

			if (colvec_isnull(&cons[k], r))
				continue;
			v = merge_cell_text(&cons[k], r, &tmp, &len);
			yes = consent_value(v);
			/* the latest word counts; untimed rows yield to timed ones */
			if (yes < 0)
				continue;	/* not a word about consent: ask the next column */
			if (p->consent < 0 || t >= p->consent_t) {
				p->consent = (int8_t)yes;
				p->consent_t = t;
			}
			break;
		}
		/* The profile's latest identifiers are golden values too. */
		for (size_t k = 0; k < nids; k++) {
			uint32_t d = ident_find(g, ids[k].key);

			if (d == NONE || merge_find(g, g->id[d].prof) != pi)
				continue;	/* refused or blocked for this record */
			golden_offer(g, pi, typeattr[ids[k].type], g->vals.buf + g->id[d].off,
			    g->id[d].len, t, colvec_str(src, r, NULL), g->id[d].off);
		}
		for (size_t k = 0; k < nac; k++) {
			size_t len;
			const char *v;

			if (colvec_isnull(&ac[k].v, r) || (!person_batch && !is_event))
				continue;
			v = merge_cell_text(&ac[k].v, r, &tmp, &len);
			golden_offer(g, pi, ac[k].attr, v, len, t, colvec_str(src, r, NULL), NO_OFF);
		}
		if (g->o->progress && (g->stats->records & 0xfffff) == 0)
			fprintf(stderr, "\r%s: %llu records, %llu profiles ", cdp_progname(),
			    (unsigned long long)g->stats->records, (unsigned long long)g->stats->created);
	}
out:
	free(srcidx);
	free(evidx);
	free(isorder);
	if (src)
		colvec_free(src);
	if (kind)
		colvec_free(kind);
	if (event)
		colvec_free(event);
	if (tm)
		colvec_free(tm);
	if (bt)
		colvec_free(bt);
	if (ln)
		colvec_free(ln);
	for (size_t t = 0; t < c->ntypes; t++)
		if (idp[t])
			colvec_free(idp[t]);
	for (size_t k = 0; k < nrev; k++)
		colvec_free(&rev[k]);
	for (size_t k = 0; k < ncons; k++)
		colvec_free(&cons[k]);
	for (size_t k = 0; k < nac; k++)
		colvec_free(&ac[k].v);
	free(rev);
	free(cons);
	free(ac);
	merge_list_free(roles, nroles);
	sb_free(&tmp);
	for (size_t t = 0; t < MERGE_MAX_TYPES; t++)
		sb_free(&idtmp[t]);
	return err ? -1 : 0;
}

/* ---- state in the store ----------------------------------------------- */

int64_t
merge_cell_int(const struct colvec *v, size_t r, int64_t dflt)
{
	return v && !colvec_isnull(v, r) ? v->iv[r] : dflt;
}

static void load_cell(struct engine *g, struct segment *s, struct colvec *v, size_t k, size_t r,
    uint32_t pi, struct strbuf *tmp);

/*
 * One profile row of segment s (its columns read whole into v, got[k]
 * set for those read) into the engine.  Returns the profile's index.
 */
static uint32_t
load_row(struct engine *g, struct segment *s, struct colvec *v, const int *got, size_t r,
    struct strbuf *tmp)
{
#define COL(name) (segment_col_index(s, name) >= 0 && got[segment_col_index(s, name)] ? \
	&v[segment_col_index(s, name)] : NULL)
	struct colvec *pid = COL("profile_id"), *rev = COL("revenue"), *srcs = COL("sources"),
	    *cons = COL("email_consent");
	uint32_t pi = prof_new(g, pid->iv[r]);
	struct prof *p = &g->p[pi];

	p->nrec = (uint64_t)merge_cell_int(COL("records"), r, 0);
	p->nmerges = (uint32_t)merge_cell_int(COL("_merges"), r, 0);
	p->nevt = (uint64_t)merge_cell_int(COL("events"), r, 0);
	p->nord = (uint64_t)merge_cell_int(COL("orders"), r, 0);
	if (!rev || colvec_isnull(rev, r) || colvec_cents(rev, r, &p->revenue) < 0)
		p->revenue = 0;
	p->first_seen = merge_cell_int(COL("first_seen"), r, NO_TIME);
	p->last_seen = merge_cell_int(COL("last_seen"), r, NO_TIME);
	p->first_order = merge_cell_int(COL("first_order"), r, NO_TIME);
	p->last_order = merge_cell_int(COL("last_order"), r, NO_TIME);
	if (cons && !colvec_isnull(cons, r)) {
		p->consent = (int8_t)cons->iv[r];
		p->consent_t = merge_cell_int(COL("_t:email_consent"), r, NO_TIME);
	}
#undef COL
	if (srcs && !colvec_isnull(srcs, r)) {
		char *list = xstrdup(colvec_str(srcs, r, NULL)), *q = list, *tok;

		while ((tok = strsep(&q, ",")) != NULL) {
			uint32_t si;

			while (*tok == ' ')
				tok++;
			si = dict_index(&g->sources, &g->source_names, &g->nsource, tok, strlen(tok));
			if (si < 64)
				g->p[pi].sources |= 1ULL << si;
		}
		free(list);
	}
	for (size_t k = 0; k < s->ncols; k++)
		if (got[k] && !colvec_isnull(&v[k], r))
			load_cell(g, s, v, k, r, pi, tmp);
	return pi;
}

/* A golden attribute or an event count of profile pi, from column k. */
static void
load_cell(struct engine *g, struct segment *s, struct colvec *v, size_t k, size_t r, uint32_t pi,
    struct strbuf *tmp)
{
	const char *name = s->cols[k].name;
	char tname[512];
	int ti;

	if (strncmp(name, "count_", 6) == 0) {
		snprintf(tname, sizeof tname, "last_%s", name + 6);
		ti = segment_col_index(s, tname);
		event_count(g, pi, dict_index(&g->events, &g->event_names, &g->nevent,
		    name + 6, strlen(name + 6)), (uint64_t)v[k].iv[r],
		    ti >= 0 ? merge_cell_int(&v[ti], r, NO_TIME) : NO_TIME);
		return;
	}
	snprintf(tname, sizeof tname, "_t:%s", name);
	ti = segment_col_index(s, tname);
	if (ti < 0)
		return;		/* not a golden attribute */
	size_t len;
	const char *val = merge_cell_text(&v[k], r, tmp, &len);
	uint32_t attr = dict_index(&g->attrs, &g->attr_names, &g->nattr, name, strlen(name));

	golden_offer(g, pi, attr, val, len, merge_cell_int(&v[ti], r, NO_TIME), "", NO_OFF);
	/* a loaded value keeps the rank or votes it had won with */
	snprintf(tname, sizeof tname, "_r:%s", name);
	int ri = segment_col_index(s, tname);

	for (uint32_t x = g->p[pi].attrs; x != NONE; x = g->an[x].next) {
		if (g->an[x].attr != attr)
			continue;
		if (ri >= 0 && !colvec_isnull(&v[ri], r))
			g->an[x].rank = (int32_t)v[ri].iv[r];
		snprintf(tname, sizeof tname, "_v:%s", name);
		ri = segment_col_index(s, tname);
		if (ri >= 0 && !colvec_isnull(&v[ri], r))
			g->an[x].votes = (uint32_t)v[ri].iv[r];
	}
}

/*
 * The identifiers of profile pi from its _ids cell: per identifier
 * "SEQ TYPE FIRST LEN:VALUE " (FIRST "-" when untimed), in seq order.
 * Identifiers of a type no longer configured are dropped.
 */
static int
load_ids(struct engine *g, uint32_t pi, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		char *e, tname[256];
		uint64_t seq = strtoull(s, &e, 10), len;
		int64_t first = NO_TIME;
		const char *t = e + 1, *sp;
		int type = -1;

		if (*e != ' ' || !(sp = memchr(t, ' ', (size_t)(end - t))) || (size_t)(sp - t) >= sizeof tname)
			return -1;
		memcpy(tname, t, (size_t)(sp - t));
		tname[sp - t] = '\0';
		if (sp[1] == '-')
			e = (char *)sp + 2;
		else
			first = strtoll(sp + 1, &e, 10);
		if (*e != ' ')
			return -1;
		len = strtoull(e + 1, &e, 10);
		if (*e != ':' || len > (uint64_t)(end - e - 1))
			return -1;
		for (size_t k = 0; k < g->c->ntypes; k++)
			if (strcmp(g->c->types[k].name, tname) == 0)
				type = (int)k;
		s = e + 1 + len;
		if (s < end && *s == ' ')
			s++;
		if (type < 0)
			continue;
		uint64_t key = ident_key(type, e + 1, len);

		if (ident_find(g, key) != NONE)
			continue;
		uint32_t d = ident_add(g, key, type, e + 1, len, pi, first);

		g->id[d].seq = seq;
		g->id[d].was = g->p[pi].id;
		g->next_ident--;	/* ident_add counted it as new */
	}
	return 0;
}

/* 1 if x is in the sorted want[0..n). */
static int
wanted(const int64_t *want, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (want[mid] == x)
			return 1;
		if (want[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Which rows of the profiles table are live: a profile's row in the
 * last segment holding its id, unless that row is a tombstone
 * (_deleted = 1).  With want, only those profiles.  live[i] gets the
 * rows of segment i (ascending, UINT32_MAX-terminated) or NULL.
 */
static int
live_rows(struct segment **segs, size_t n, const int64_t *want, size_t nwant, uint32_t **live)
{
	struct u64set seen = { 0 };
	int err = 0;

	for (size_t i = n; i-- > 0 && !err;) {
		struct segment *s = segs[i];
		int ci = segment_col_index(s, "profile_id"), di = segment_col_index(s, "_deleted");
		struct colvec vid, vdel;
		size_t nl = 0;

		live[i] = NULL;
		if (ci < 0) {
			cdp_seterr("%s: profiles segment lacks profile_id", s->path);
			err = 1;
			break;
		}
		if (want && (!nwant || !s->cols[ci].st.has || s->cols[ci].st.imax < want[0] ||
		    s->cols[ci].st.imin > want[nwant - 1]))
			continue;
		if (segment_read(s, ci, &vid) < 0) {
			err = 1;
			break;
		}
		if (di >= 0 && segment_read(s, di, &vdel) < 0) {
			colvec_free(&vid);
			err = 1;
			break;
		}
		live[i] = xmalloc((s->nrows + 1) * sizeof **live);
		for (size_t r = 0; r < s->nrows; r++) {
			int64_t id = vid.iv[r];

			if (colvec_isnull(&vid, r) || (want && !wanted(want, nwant, id)) ||
			    u64set_add(&seen, (uint64_t)id))
				continue;
			if (di >= 0 && !colvec_isnull(&vdel, r) && vdel.iv[r] == 1)
				continue;
			live[i][nl++] = (uint32_t)r;
		}
		live[i][nl] = UINT32_MAX;
		colvec_free(&vid);
		if (di >= 0)
			colvec_free(&vdel);
	}
	u64set_free(&seen);
	return err ? -1 : 0;
}

/* The cells of rows[0..n) of v, in that order, into out. */
static void
pick_rows(const struct colvec *v, const uint32_t *rows, size_t n, struct colvec *out)
{
	colvec_init(out, v->type);
	out->tfmt = v->tfmt;
	for (size_t j = 0; j < n; j++) {
		size_t len;
		const char *str;

		if (colvec_isnull(v, rows[j])) {
			colvec_push_null(out);
		} else if (v->type == CT_STR) {
			str = colvec_str(v, rows[j], &len);
			colvec_push_str(out, str, len);
		} else {
			colvec_push_int(out, v->iv[rows[j]]);
		}
	}
}

/*
 * The live rows of one segment (rows ascending, UINT32_MAX-terminated)
 * into the engine.  Column by column, keeping only those rows: memory
 * is one column of the segment plus the rows taken.
 */
static int
load_segment(struct engine *g, struct segment *s, const uint32_t *rows, int with_ids)
{
	struct colvec *v = xcalloc(s->ncols, sizeof *v);
	int *got = xcalloc(s->ncols, sizeof *got);
	int ii = segment_col_index(s, "_ids"), err = 0;
	struct strbuf tmp = STRBUF_INIT;
	size_t n = 0;

	while (rows[n] != UINT32_MAX)
		n++;
	for (size_t k = 0; k < s->ncols && !err; k++) {
		struct colvec whole;

		if (segment_read(s, (int)k, &whole) < 0) {
			err = 1;
			break;
		}
		if (n == s->nrows) {
			v[k] = whole;
		} else {
			pick_rows(&whole, rows, n, &v[k]);
			colvec_free(&whole);
		}
		got[k] = 1;
	}
	for (size_t j = 0; !err && j < n; j++) {
		uint32_t pi = load_row(g, s, v, got, j, &tmp);
		size_t len;
		const char *ids;

		if (!with_ids || ii < 0 || colvec_isnull(&v[ii], j))
			continue;
		ids = colvec_str(&v[ii], j, &len);
		if (load_ids(g, pi, ids, len) < 0) {
			cdp_setdamage("%s: row %u: bad _ids cell", s->path, rows[j]);
			err = 1;
		}
	}
	for (size_t k = 0; k < s->ncols; k++)
		if (got[k])
			colvec_free(&v[k]);
	free(v);
	free(got);
	sb_free(&tmp);
	return err ? -1 : 0;
}

/*
 * The live profiles (all, or those in the sorted want[0..nwant)) with,
 * when with_ids, their identifiers from the _ids column.  Reads only
 * the segments whose profile_id range meets want.
 */
static int
load_profiles(struct engine *g, const int64_t *want, size_t nwant, int with_ids)
{
	struct segment **segs;
	size_t n;
	uint32_t **live;
	int err = 0;

	if (store_segments(g->st, "profiles", &segs, &n) < 0)
		return -1;
	live = xcalloc(n + 1, sizeof *live);
	if (live_rows(segs, n, want, nwant, live) < 0)
		err = 1;
	for (size_t i = 0; i < n && !err; i++)
		if (live[i] && live[i][0] != UINT32_MAX && load_segment(g, segs[i], live[i], with_ids) < 0)
			err = 1;
	for (size_t i = 0; i < n; i++)
		free(live[i]);
	free(live);
	store_segments_free(segs, n);
	return err ? -1 : 0;
}

/* 1 if every profiles segment has the _ids column (written by this version). */
static int
profiles_have_ids(struct store *st)
{
	struct segment **segs;
	size_t n;
	int all = 1;

	if (store_segments(st, "profiles", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (segment_col_index(segs[i], "_ids") < 0 && segment_col_index(segs[i], "_deleted") < 0)
			all = 0;
	store_segments_free(segs, n);
	return all;
}

/* Identifiers from the idmap table (stores written before _ids), in row order. */
static int
idmap_load(struct engine *g)
{
	struct segment **segs;
	size_t n;
	struct strmap byid = { 0 };
	int err = 0;

	for (size_t pi = 0; pi < g->np; pi++) {
		char key[32];

		snprintf(key, sizeof key, "%lld", (long long)g->p[pi].id);
		strmap_put(&byid, key, strlen(key), (long)pi);
	}
	if (store_segments(g->st, "idmap", &segs, &n) < 0) {
		strmap_free(&byid);
		return -1;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct segment *s = segs[i];
		struct colvec vt, vv, vp, vf = { 0 };
		int a = segment_col_index(s, "type"), b = segment_col_index(s, "value"),
		    c = segment_col_index(s, "profile"), f = segment_col_index(s, "first");

		if (a < 0 || b < 0 || c < 0) {
			cdp_seterr("%s: idmap segment lacks type/value/profile", s->path);
			err = 1;
			break;
		}
		if (segment_read(s, a, &vt) < 0)
			err = 1;
		else if (segment_read(s, b, &vv) < 0)
			err = 1, colvec_free(&vt);
		else if (segment_read(s, c, &vp) < 0)
			err = 1, colvec_free(&vt), colvec_free(&vv);
		else if (f >= 0 && segment_read(s, f, &vf) < 0)
			err = 1, colvec_free(&vt), colvec_free(&vv), colvec_free(&vp);
		if (err)
			break;
		for (size_t r = 0; r < s->nrows; r++) {
			const char *tn = colvec_str(&vt, r, NULL);
			size_t len;
			const char *val = colvec_str(&vv, r, &len);
			char key[32];
			long pi;
			int type = -1;

			for (size_t t = 0; t < g->c->ntypes; t++)
				if (strcmp(g->c->types[t].name, tn) == 0)
					type = (int)t;
			snprintf(key, sizeof key, "%lld", (long long)vp.iv[r]);
			pi = strmap_get(&byid, key, strlen(key));
			if (type < 0 || pi < 0)
				continue;	/* a type no longer configured */
			ident_add(g, ident_key(type, val, len), type, val, len, (uint32_t)pi,
			    f >= 0 ? merge_cell_int(&vf, r, NO_TIME) : NO_TIME);
		}
		if (f >= 0)
			colvec_free(&vf);
		colvec_free(&vt);
		colvec_free(&vv);
		colvec_free(&vp);
	}
	store_segments_free(segs, n);
	strmap_free(&byid);
	return err ? -1 : 0;
}

/* Read back all live profiles and identifiers of the previous runs. */
static int
state_load(struct engine *g)
{
	int with_ids = profiles_have_ids(g->st);

	if (with_ids < 0 || load_profiles(g, NULL, 0, with_ids) < 0)
		return -1;
	if (!with_ids && idmap_load(g) < 0)
		return -1;
	g->nloaded = g->np;
	for (size_t d = 0; d < g->nid; d++) {
		if (g->id[d].seq >= g->next_ident)
			g->next_ident = g->id[d].seq + 1;
		g->id[d].was = g->p[g->id[d].prof].id;
	}
	return 0;
}

static void
engine_free(struct engine *g)
{
	free(g->p);
	free(g->an);
	free(g->en);
	free(g->id);
	free(g->idslots);
	free(g->parent);
	sb_free(&g->vals);
	strmap_free(&g->attrs);
	strmap_free(&g->events);
	strmap_free(&g->sources);
	merge_list_free(g->attr_names, g->nattr);
	merge_list_free(g->event_names, g->nevent);
	merge_list_free(g->source_names, g->nsource);
	u64set_free(&g->blocked);
	free(g->merge_old);
	free(g->merge_new);
	free(g->merge_type);
	for (size_t i = 0; i < g->nref; i++)
		free((char *)g->ref[i].reason);
	free(g->ref);
}

static int
is_table(const struct mentry *e, const char *table)
{
	const char *t = mentry_get(e, "table");

	return strcmp(e->kind, "segment") == 0 && t && strcmp(t, table) == 0;
}

static int
is_merge_table(const struct mentry *e)
{
	return is_table(e, "profiles") || is_table(e, "idmap") || is_table(e, "links") ||
	    is_table(e, "merges") || is_table(e, "refusals") || is_table(e, "matches") ||
	    is_table(e, "review");
}

/* Records segments not linked yet (all on a rebuild), in manifest (import) order. */
static size_t
unlinked_records(struct store *st, int rebuild, uint64_t **todo)
{
	size_t ntodo = 0;

	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];
		int linked = 0;

		if (!is_table(e, "records"))
			continue;
		for (size_t k = 0; k < st->ne && !rebuild; k++)
			if (is_table(st->e[k], "links") && mentry_getu(st->e[k], "records") == e->id)
				linked = 1;
		if (!linked) {
			*todo = xreallocarray(*todo, ntodo + 1, sizeof **todo);
			(*todo)[ntodo++] = e->id;
		}
	}
	return ntodo;
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t
sort_unique(int64_t *v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof *v, i64_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[i] != v[k - 1])
			v[k++] = v[i];
	return k;
}

/*
 * Load the sorted profile ids pids and the probabilistic stage's
 * candidates (told which ones they are: unchanged, they are not written).
 */
static int
load_with_candidates(struct engine *g, const uint64_t *todo, size_t ntodo, int64_t **pids,
    size_t npids)
{
	int64_t *cand;
	size_t ncand;
	int rc;

	if (match_partial_candidates(g, todo, ntodo, *pids, npids, &cand, &ncand) < 0)
		return -1;
	if (ncand) {
		*pids = xreallocarray(*pids, npids + ncand, sizeof **pids);
		memcpy(*pids + npids, cand, ncand * sizeof *cand);
		npids = sort_unique(*pids, npids + ncand);
	}
	rc = load_profiles(g, *pids, npids, 1);
	if (rc == 0)
		match_partial_loaded(g, cand, ncand);
	free(cand);
	return rc;
}

/*
 * Partial load: the identifier keys of the records segments todo, looked
 * up in idindex; the profiles they name, with their identifiers.
 */
static int
state_load_partial(struct engine *g, const uint64_t *todo, size_t ntodo)
{
	uint64_t *keys = NULL;
	int64_t *pids = NULL;
	size_t nkeys = 0, cap = 0, npids = 0;
	struct strbuf tmp = STRBUF_INIT;
	struct lsm *x;
	int err = 0;

	for (size_t i = 0; i < ntodo && !err; i++) {
		struct mentry *e = store_find(g->st, "segment", todo[i]);
		char *path = store_path(g->st, mentry_get(e, "file"));
		struct segment *s = segment_open(path);

		free(path);
		if (!s) {
			err = 1;
			break;
		}
		for (size_t t = 0; t < g->c->ntypes && !err; t++) {
			struct colvec v;

			if (!merge_read_col(s, g->c->types[t].column, &v, &err))
				continue;
			for (size_t r = 0; r < v.n; r++) {
				size_t len;
				const char *val;

				if (colvec_isnull(&v, r))
					continue;
				val = merge_cell_text(&v, r, &tmp, &len);
				if (nkeys == cap) {
					cap = cap ? cap * 2 : 4096;
					keys = xreallocarray(keys, cap, sizeof *keys);
				}
				keys[nkeys++] = ident_key((int)t, val, len);
			}
			colvec_free(&v);
		}
		segment_close(s);
	}
	pids = xmalloc((nkeys ? nkeys : 1) * sizeof *pids);
	x = lsm_open(g->st, "idindex");
	if (!err) {
		nkeys = lsm_sort_pairs(keys, pids, nkeys);
		if (lsm_lookup(x, keys, nkeys, pids) < 0)
			err = 1;
	}
	lsm_close(x);
	if (!err) {
		for (size_t i = 0; i < nkeys; i++)
			if (pids[i])
				pids[npids++] = pids[i];
		npids = sort_unique(pids, npids);
		if (load_with_candidates(g, todo, ntodo, &pids, npids) < 0)
			err = 1;
	}
	g->nloaded = g->np;
	free(keys);
	free(pids);
	sb_free(&tmp);
	return err ? -1 : 0;
}

/*
 * A partial run needs a store this version wrote (identifiers in the
 * profiles' _ids, an idindex) and a table with few superseded rows:
 * when superseded rows and tombstones pass a quarter of all rows, the
 * run loads everything and rewrites the table whole.
 */
static int
want_partial(const struct store *st, const struct mentry *state, const struct merge_opts *o)
{
	uint64_t rows = 0, live;

	if (o->rebuild || o->compact || !state || !mentry_get(state, "next-ident"))
		return 0;
	live = mentry_getu(state, "profiles");
	for (size_t i = 0; i < st->ne; i++)
		if (is_table(st->e[i], "profiles"))
			rows += mentry_getu(st->e[i], "rows");
	return rows <= live || (rows - live) * 4 <= rows;
}

/* Link the records segments todo, writing their links. */
static int
link_all(struct engine *g, struct output *out, const uint64_t *todo, size_t ntodo)
{
	for (size_t i = 0; i < ntodo; i++) {
		struct mentry *e = store_find(g->st, "segment", todo[i]);
		struct mentry *b = store_find(g->st, "batch", mentry_getu(e, "batch"));
		char *path = store_path(g->st, mentry_get(e, "file"));
		struct segment *s = segment_open(path);
		int64_t *links = NULL;
		int r;

		free(path);
		if (!s)
			return -1;
		r = process_segment(g, s, b, &links);
		if (r == 0) {
			struct colvec v;
			struct segcol_in in = { "profile_id", &v };

			colvec_init(&v, CT_INT);
			for (size_t k = 0; k < s->nrows; k++) {
				if (links[k])
					colvec_push_int(&v, links[k]);
				else
					colvec_push_null(&v);
			}
			r = write_seg(g, out, "links", &in, 1, s->nrows, todo[i]);
			colvec_free(&v);
		}
		if (r == 0)
			r = match_segment(g, s, b, links);
		free(links);
		segment_close(s);
		if (r < 0)
			return -1;
		if (cdp_interrupted)
			return cdp_seterr("interrupted; nothing merged");
	}
	return 0;
}

/* The new state's tables; a partial run's profiles and idmap only add. */
static int
write_state(struct engine *g, struct output *out, const struct mentry *state)
{
	uint64_t prev = state ? mentry_getu(state, "profiles") : 0;
	uint64_t largest = state && !g->o->rebuild ? mentry_getu(state, "largest") : 0;

	if (g->partial && store_segments(g->st, "profiles", &g->psegs, &g->npsegs) < 0)
		return -1;
	/* every event count the table has: a profile without one reads 0, not null */
	for (size_t i = 0; i < g->npsegs; i++)
		for (size_t k = 0; k < g->psegs[i]->ncols; k++)
			if (strncmp(g->psegs[i]->cols[k].name, "count_", 6) == 0)
				dict_index(&g->events, &g->event_names, &g->nevent, g->psegs[i]->cols[k].name + 6,
				    strlen(g->psegs[i]->cols[k].name + 6));
	if (write_profiles(g, out) < 0)
		return -1;
	if (g->partial) {
		g->stats->total = prev + g->stats->created - g->stats->merged;
		if (largest > g->stats->largest)
			g->stats->largest = largest;
		if (write_tombstones(g, out) < 0)
			return -1;
	}
	if (write_idmap(g, out) < 0 || write_log_tables(g, out) < 0)
		return -1;
	/* last: it edits the manifest in memory */
	return write_idindex(g);
}

/* One commit: old state out (a full run), new state in. */
static int
commit(struct engine *g, struct output *out, struct mentry *state)
{
	struct store *st = g->st;
	int rc;

	for (size_t i = st->ne; i-- > 0;) {
		struct mentry *e = st->e[i];

		if ((!g->partial && (is_table(e, "profiles") || is_table(e, "idmap"))) ||
		    (g->o->rebuild && is_merge_table(e)))
			store_remove(st, e);
	}
	for (size_t i = 0; i < out->n; i++) {
		struct mentry *e = store_add(st, "segment", out->s[i].id);

		mentry_set(e, "table", "%s", out->s[i].table);
		mentry_set(e, "rows", "%llu", (unsigned long long)out->s[i].rows);
		mentry_set(e, "file", "%s", out->s[i].file);
		if (out->s[i].records)
			mentry_set(e, "records", "%llu", (unsigned long long)out->s[i].records);
	}
	if (!state)
		state = store_add(st, "merge", 1);
	mentry_set(state, "next-profile", "%lld", (long long)g->next_profile);
	mentry_set(state, "next-ident", "%llu", (unsigned long long)g->next_ident);
	mentry_set(state, "profiles", "%llu", (unsigned long long)g->stats->total);
	mentry_set(state, "largest", "%llu", (unsigned long long)g->stats->largest);
	if ((rc = store_commit(st)) == -2)
		out->n = 0;	/* named by the new manifest: keep them */
	return rc;
}

/* One attempt, partial or full.  need_full set: redo it full. */
static int
merge_once(struct store *st, const struct merge_config *c, const struct merge_opts *o,
    struct merge_stats *stats, int partial, int *need_full)
{
	struct engine g;
	struct output out = { 0 };
	struct mentry *state = store_find(st, "merge", 1);
	uint64_t *todo = NULL;
	size_t ntodo = 0;
	int rc = -1;

	memset(&g, 0, sizeof g);
	memset(stats, 0, sizeof *stats);
	g.st = st;
	g.c = c;
	g.o = o;
	g.stats = stats;
	g.now = o->as_of;
	g.next_profile = 1;
	g.partial = partial;
	if (state && !o->rebuild)
		g.next_profile = (int64_t)mentry_getu(state, "next-profile");
	if (g.next_profile < 1)
		g.next_profile = 1;
	ntodo = unlinked_records(st, o->rebuild, &todo);
	if (state && !o->rebuild && !o->compact && ntodo == 0 && !o->decisions_changed) {
		/* nothing new: the profiles stand as they are, nothing is written */
		stats->total = mentry_getu(state, "profiles");
		stats->unchanged = 1;
		rc = 0;
		goto out;
	}
	if (partial) {
		if (state_load_partial(&g, todo, ntodo) < 0)
			goto out;
		g.next_ident = mentry_getu(state, "next-ident");
	} else if (!o->rebuild) {
		if (state_load(&g) < 0)
			goto out;
		/* after a forget the largest seq may be gone: never hand one out twice */
		if (state && mentry_getu(state, "next-ident") > g.next_ident)
			g.next_ident = mentry_getu(state, "next-ident");
	}
	if (match_begin(&g) < 0 || link_all(&g, &out, todo, ntodo) < 0)
		goto out;
	if (o->progress && stats->records >= 0x100000)
		fprintf(stderr, "\r\033[K");
	if (match_end(&g, &out) < 0)
		goto out;
	if (write_state(&g, &out, state) < 0) {
		*need_full = g.need_full;
		goto out;
	}
	rc = commit(&g, &out, state);
out:
	if (rc < 0) {
		for (size_t i = 0; i < out.n; i++) {
			char *p = store_path(st, out.s[i].file);

			unlink(p);
			free(p);
		}
	}
	for (size_t i = 0; i < out.n; i++)
		free(out.s[i].file);
	free(out.s);
	free(todo);
	match_free(&g);
	if (g.psegs)
		store_segments_free(g.psegs, g.npsegs);
	engine_free(&g);
	return rc;
}

int
merge_run(struct store *st, const struct merge_config *c, const struct merge_opts *o,
    struct merge_stats *stats)
{
	double start = now_seconds();
	int need_full = 0, rc;

	int partial = want_partial(st, store_find(st, "merge", 1), o);

	rc = merge_once(st, c, o, stats, partial, &need_full);
	if (rc < 0 && need_full)
		rc = merge_once(st, c, o, stats, 0, &need_full);
	stats->seconds = now_seconds() - start;
	return rc;
}
