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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "attrs.h"
#include "merge.h"
#include "normalize.h"
#include "profiles.h"

#define NONE UINT32_MAX
#define NO_TIME INT64_MIN

static const char *const default_blocked[] = { "-1", "0", "null", "none", "n/a", "na",
	"anonymous", "undefined", "unknown", "test", "test@test.com", "test@example.com",
	"noreply@example.com", "a@a.com", "x@x.com", "nobody@nowhere.com", NULL };
static const char *const default_blockre[] = { "^[0-]*$", "^\\+?0+$",
	"^(no-?reply|test|none|null|unknown|dummy|fake|asdf)@", "@(example\\.invalid|test\\.test)$",
	NULL };

/* ---- configuration ---------------------------------------------------- */

static void
list_add(char ***list, size_t *n, const char *s)
{
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = xstrdup(s);
}

static void
list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void
split_list(char ***list, size_t *n, const char *v)
{
	char *copy = xstrdup(v), *p = copy, *tok;

	list_free(*list, *n);
	*list = NULL;
	*n = 0;
	while ((tok = strsep(&p, ",")) != NULL) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		char *e = tok + strlen(tok);

		while (e > tok && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*tok)
			list_add(list, n, tok);
	}
	free(copy);
}

static struct idtype *
type_find(struct merge_config *c, const char *name)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i].name, name) == 0)
			return &c->types[i];
	return NULL;
}

static int
type_add(struct merge_config *c, const char *name, const char *column, int limit)
{
	struct idtype *t;

	if (type_find(c, name))
		return 0;
	if (c->ntypes == MERGE_MAX_TYPES)
		return cdp_seterr("at most %d identifier types", MERGE_MAX_TYPES);
	t = &c->types[c->ntypes++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->column = xstrdup(column);
	t->limit = limit;
	return 0;
}

static int
block_regex(struct idtype *t, const char *re)
{
	regex_t r;
	int e = regcomp(&r, re, REG_EXTENDED | REG_NOSUB | REG_ICASE);

	if (e) {
		char msg[128];

		regerror(e, &r, msg, sizeof msg);
		return cdp_seterr("bad regular expression '%s': %s", re, msg);
	}
	t->blockre = xreallocarray(t->blockre, t->nblockre + 1, sizeof *t->blockre);
	t->blockre_src = xreallocarray(t->blockre_src, t->nblockre + 1, sizeof *t->blockre_src);
	t->blockre[t->nblockre] = r;
	t->blockre_src[t->nblockre++] = xstrdup(re);
	return 0;
}

static void
config_defaults(struct merge_config *c)
{
	static const struct { const char *name, *column; int limit; } types[] = {
		{ "customer_id", "_customer_id", 1 },
		{ "email", "_email", 5 },
		{ "phone", "_phone", 3 },
		{ "loyalty_id", "_loyalty_id", 2 },
		{ "anonymous_id", "_anonymous_id", 10 },
	};

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		type_add(c, types[i].name, types[i].column, types[i].limit);
		c->types[i].weak = strcmp(types[i].name, "anonymous_id") == 0;
		for (int k = 0; default_blocked[k]; k++)
			list_add(&c->types[i].blocked, &c->types[i].nblocked, default_blocked[k]);
		for (int k = 0; default_blockre[k]; k++)
			block_regex(&c->types[i], default_blockre[k]);
	}
	c->max_records = 100000;
	c->max_merges = 1000;
	split_list(&c->order_events, &c->norder_events, "order, order_completed, purchase, checkout_completed");
	split_list(&c->revenue_columns, &c->nrevenue_columns,
	    "amount, revenue, total, order_total, properties.revenue, properties.total, properties.amount");
	split_list(&c->consent_columns, &c->nconsent_columns,
	    "email_opt_in, email_consent, accepts_email_marketing, newsletter, opt_in, subscribed, "
	    "status, traits.email_opt_in");
}

static int
apply_setting(struct merge_config *c, char *key, char *val)
{
	char *arg = strchr(key, ' ');
	struct idtype *t;

	if (arg) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	}
	if (strcmp(key, "identifiers") == 0) {
		/* a new priority order: reorder the known types, keep their rules */
		struct merge_config old = *c;
		char **names = NULL;
		size_t n = 0;

		split_list(&names, &n, val);
		c->ntypes = 0;
		for (size_t i = 0; i < n; i++) {
			struct idtype *ot = NULL;

			for (size_t k = 0; k < old.ntypes; k++)
				if (old.types[k].name && strcmp(old.types[k].name, names[i]) == 0)
					ot = &old.types[k];
			if (!ot) {
				list_free(names, n);
				return cdp_seterr("unknown identifier type '%s' (add it with 'identifier NAME = COLUMN')",
				    names[i]);
			}
			c->types[c->ntypes++] = *ot;
			ot->name = NULL;	/* moved */
		}
		for (size_t k = 0; k < old.ntypes; k++) {
			if (!old.types[k].name)
				continue;
			/* a type left out of the list no longer links */
			free(old.types[k].name);
			free(old.types[k].column);
			list_free(old.types[k].blocked, old.types[k].nblocked);
			for (size_t r = 0; r < old.types[k].nblockre; r++) {
				regfree(&old.types[k].blockre[r]);
				free(old.types[k].blockre_src[r]);
			}
			free(old.types[k].blockre);
			free(old.types[k].blockre_src);
		}
		list_free(names, n);
	} else if (strcmp(key, "identifier") == 0 && arg) {
		if (type_add(c, arg, val, 0) < 0)
			return -1;
	} else if (strcmp(key, "limit") == 0 && arg) {
		char *end;
		long n = strtol(val, &end, 10);

		if (!(t = type_find(c, arg)))
			return cdp_seterr("unknown identifier type '%s'", arg);
		t->window = 0;
		if (end != val && strncmp(end, " per ", 5) == 0) {
			char *unit;
			long w = strtol(end + 5, &unit, 10);
			int64_t scale = *unit == 'h' ? 3600 : *unit == 'd' ? 86400 : *unit == 'w' ? 604800 : 0;

			if (w <= 0 || !scale || unit[1])
				return cdp_seterr("limit wants N or N per DURATION (7d, 12h, 2w), not '%s'", val);
			t->window = (int64_t)w * scale * 1000000;
			end = unit + 1;
		}
		if (end == val || *end || n < 0)
			return cdp_seterr("limit wants N or N per DURATION (7d, 12h, 2w), not '%s'", val);
		t->limit = (int)n;
	} else if ((strcmp(key, "block") == 0 || strcmp(key, "block-regex") == 0) && arg) {
		for (size_t i = 0; i < c->ntypes; i++) {
			if (strcmp(arg, "*") != 0 && strcmp(arg, c->types[i].name) != 0)
				continue;
			if (key[5] == '\0')
				list_add(&c->types[i].blocked, &c->types[i].nblocked, val);
			else if (block_regex(&c->types[i], val) < 0)
				return -1;
		}
		if (strcmp(arg, "*") != 0 && !type_find(c, arg))
			return cdp_seterr("unknown identifier type '%s'", arg);
	} else if (strcmp(key, "unblock") == 0 && arg) {
		if (!(t = type_find(c, arg)))
			return cdp_seterr("unknown identifier type '%s'", arg);
		for (size_t i = 0; i < t->nblocked; i++)
			if (strcmp(t->blocked[i], val) == 0)
				t->blocked[i][0] = '\0';
	} else if (strcmp(key, "max-records") == 0 || strcmp(key, "max-merges") == 0) {
		char *end;
		unsigned long long n = strtoull(val, &end, 10);

		if (end == val || *end || n == 0 || val[0] == '-')
			return cdp_seterr("%s wants a positive number, not '%s'", key, val);
		if (key[4] == 'r')
			c->max_records = n;
		else
			c->max_merges = n;
	} else if (strcmp(key, "weak") == 0) {
		char **names = NULL;
		size_t n = 0;

		split_list(&names, &n, val);
		for (size_t i = 0; i < c->ntypes; i++)
			c->types[i].weak = 0;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(names[i], "none") == 0)
				continue;
			if (!(t = type_find(c, names[i]))) {
				cdp_seterr("unknown identifier type '%s'", names[i]);
				list_free(names, n);
				return -1;
			}
			t->weak = 1;
		}
		list_free(names, n);
	} else if (strcmp(key, "order-events") == 0) {
		split_list(&c->order_events, &c->norder_events, val);
	} else if (strcmp(key, "revenue") == 0) {
		split_list(&c->revenue_columns, &c->nrevenue_columns, val);
	} else if (strcmp(key, "consent") == 0) {
		split_list(&c->consent_columns, &c->nconsent_columns, val);
	} else if (strcmp(key, "golden") == 0 && arg) {
		struct golden_rule *g;

		if (c->ngolden == MERGE_MAX_RULES)
			return cdp_seterr("at most %d golden rules", MERGE_MAX_RULES);
		g = &c->golden[c->ngolden];
		memset(g, 0, sizeof *g);
		if (strcmp(val, "latest") == 0) {
			g->how = GOLDEN_LATEST;
		} else if (strcmp(val, "most-frequent") == 0) {
			g->how = GOLDEN_FREQUENT;
		} else if (strncmp(val, "source-priority", 15) == 0) {
			g->how = GOLDEN_SOURCE;
			split_list(&g->sources, &g->nsources, val + 15);
		} else {
			return cdp_seterr("golden wants latest, most-frequent or source-priority A, B, not '%s'", val);
		}
		g->attr = xstrdup(arg);
		c->ngolden++;
	} else {
		return cdp_seterr("unknown setting '%s'", key);
	}
	return 0;
}

/* One alternation per type, so a new value costs one regexec, not one per rule. */
static int
combine_regexes(struct merge_config *c)
{
	for (size_t i = 0; i < c->ntypes; i++) {
		struct idtype *t = &c->types[i];
		struct strbuf sb = STRBUF_INIT;
		int e;

		if (!t->nblockre)
			continue;
		for (size_t k = 0; k < t->nblockre; k++)
			sb_addf(&sb, "%s(%s)", k ? "|" : "", t->blockre_src[k]);
		e = regcomp(&t->blockre_all, sb.buf, REG_EXTENDED | REG_NOSUB | REG_ICASE);
		sb_free(&sb);
		if (e)
			return cdp_seterr("cannot combine the block-regex rules of %s", t->name);
		t->has_all = 1;
	}
	return 0;
}

int
merge_config_load(struct merge_config *c, const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;

	config_defaults(c);
	if (!path || !(f = fopen(path, "r"))) {
		if (path && errno != ENOENT)
			return cdp_seterr("%s: %s", path, strerror(errno));
		return combine_regexes(c);
	}
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *eq, *e;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		eq = strchr(p, '=');
		if (!eq) {
			cdp_seterr("%s:%lu: expected 'setting = value'", path, lineno);
			goto fail;
		}
		*eq = '\0';
		e = eq;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		eq++;
		while (*eq == ' ' || *eq == '\t')
			eq++;
		if (apply_setting(c, p, eq) < 0) {
			char msg[512];

			snprintf(msg, sizeof msg, "%s", cdp_err());
			cdp_seterr("%s:%lu: %s", path, lineno, msg);
			goto fail;
		}
	}
	free(line);
	fclose(f);
	return combine_regexes(c);
fail:
	free(line);
	fclose(f);
	return -1;
}

static int
merge_has_weak(const struct merge_config *c)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (c->types[i].weak)
			return 1;
	return 0;
}

static void
print_list(FILE *f, const char *key, char **list, size_t n)
{
	fprintf(f, "%s = ", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", list[i]);
	fputc('\n', f);
}

void
merge_config_print(const struct merge_config *c, FILE *f)
{
	fprintf(f, "# cdp-merge rules (see cdp-merge(1)); put changes in STORE/merge.conf\n");
	for (size_t i = 0; i < c->ntypes; i++)
		if (c->types[i].column[0] != '_')
			fprintf(f, "identifier %s = %s\n", c->types[i].name, c->types[i].column);
	fprintf(f, "identifiers = ");
	for (size_t i = 0; i < c->ntypes; i++)
		fprintf(f, "%s%s", i ? ", " : "", c->types[i].name);
	fputc('\n', f);
	for (size_t i = 0; i < c->ntypes; i++) {
		fprintf(f, "limit %s = %d", c->types[i].name, c->types[i].limit);
		if (c->types[i].window % (86400LL * 1000000) == 0 && c->types[i].window)
			fprintf(f, " per %lldd", (long long)(c->types[i].window / (86400LL * 1000000)));
		else if (c->types[i].window)
			fprintf(f, " per %lldh", (long long)(c->types[i].window / (3600LL * 1000000)));
		fputc('\n', f);
	}
	for (size_t i = 0; i < c->ntypes; i++) {
		for (size_t k = 0; k < c->types[i].nblocked; k++)
			if (c->types[i].blocked[k][0])
				fprintf(f, "block %s = %s\n", c->types[i].name, c->types[i].blocked[k]);
		for (size_t k = 0; k < c->types[i].nblockre; k++)
			fprintf(f, "block-regex %s = %s\n", c->types[i].name, c->types[i].blockre_src[k]);
	}
	fprintf(f, "weak = ");
	for (size_t i = 0, k = 0; i < c->ntypes; i++)
		if (c->types[i].weak)
			fprintf(f, "%s%s", k++ ? ", " : "", c->types[i].name);
	if (!merge_has_weak(c))
		fprintf(f, "none");
	fputc('\n', f);
	fprintf(f, "max-records = %llu\n", (unsigned long long)c->max_records);
	fprintf(f, "max-merges = %llu\n", (unsigned long long)c->max_merges);
	print_list(f, "order-events", c->order_events, c->norder_events);
	print_list(f, "revenue", c->revenue_columns, c->nrevenue_columns);
	print_list(f, "consent", c->consent_columns, c->nconsent_columns);
	for (size_t i = 0; i < c->ngolden; i++) {
		const struct golden_rule *g = &c->golden[i];

		if (g->how == GOLDEN_SOURCE) {
			fprintf(f, "golden %s = source-priority ", g->attr);
			for (size_t k = 0; k < g->nsources; k++)
				fprintf(f, "%s%s", k ? ", " : "", g->sources[k]);
			fputc('\n', f);
		} else {
			fprintf(f, "golden %s = %s\n", g->attr, g->how == GOLDEN_FREQUENT ? "most-frequent" : "latest");
		}
	}
}

void
merge_config_free(struct merge_config *c)
{
	for (size_t i = 0; i < c->ntypes; i++) {
		struct idtype *t = &c->types[i];

		free(t->name);
		free(t->column);
		list_free(t->blocked, t->nblocked);
		for (size_t r = 0; r < t->nblockre; r++) {
			regfree(&t->blockre[r]);
			free(t->blockre_src[r]);
		}
		free(t->blockre);
		free(t->blockre_src);
		if (t->has_all)
			regfree(&t->blockre_all);
	}
	list_free(c->order_events, c->norder_events);
	list_free(c->revenue_columns, c->nrevenue_columns);
	list_free(c->consent_columns, c->nconsent_columns);
	for (size_t i = 0; i < c->ngolden; i++) {
		free(c->golden[i].attr);
		list_free(c->golden[i].sources, c->golden[i].nsources);
	}
	memset(c, 0, sizeof *c);
}

/* ---- state ------------------------------------------------------------ */

struct prof {
	int64_t id;
	uint32_t nmerges;
	uint64_t nrec, nevt, nord;
	int64_t first_seen, last_seen, first_order, last_order;
	int64_t revenue;		/* in cents: sums exact, runs add alike */
	uint64_t sources;		/* bit per source index */
	uint16_t idcount[MERGE_MAX_TYPES];
	int8_t consent;			/* -1 unknown, 0 no, 1 yes */
	int64_t consent_t;
	uint32_t attrs, events;		/* node lists, NONE-terminated */
	uint32_t windowed;		/* its identifiers of windowed types */
};

struct anode {			/* one golden attribute value of a profile */
	uint32_t next, attr;
	int64_t t;
	int32_t rank;
	uint32_t votes;
	uint64_t off;
	uint32_t len;
};

struct enode {			/* count and last time of one event type */
	uint32_t next, ev;
	uint64_t count;
	int64_t last;
};

/* A slot holds the key itself, so a probe touches one cache line. */
struct islot {
	uint64_t key;			/* 0: empty */
	uint32_t idx;
};

struct ident {
	uint64_t key;
	uint32_t prof;
	uint8_t type;
	uint64_t off;
	uint32_t len;
	int64_t first;			/* time of the record that brought it */
	uint32_t next;			/* next windowed identifier of the profile */
};

struct refusal {
	int64_t batch, line, profile;
	uint8_t type;
	uint64_t off;
	uint32_t len;
	const char *reason;
};

struct engine {
	struct store *st;
	const struct merge_config *c;
	const struct merge_opts *o;
	struct merge_stats *stats;
	struct prof *p;
	size_t np, capp;
	struct anode *an;
	size_t nan, capan;
	struct enode *en;
	size_t nen, capen;
	struct ident *id;
	size_t nid, capid;
	struct islot *idslots;		/* open addressing over id[] */
	size_t nidslots;
	uint32_t *parent;		/* union-find over p[], apart for the cache */
	size_t capparent;
	struct strbuf vals;		/* identifier and attribute values */
	struct strmap attrs, events, sources;
	char **attr_names, **event_names, **source_names;
	size_t nattr, nevent, nsource;
	struct u64set blocked;
	int64_t next_profile;
	int64_t *merge_old, *merge_new;
	uint8_t *merge_type;
	size_t nmerge, capmerge;
	struct refusal *ref;
	size_t nref, capref;
	int64_t now;
};

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

static uint32_t
find(struct engine *g, uint32_t x)
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

static const struct golden_rule *
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

/* Can profiles a and b (roots) become one, with pending new values? */
static const char *
merge_refusal(const struct engine *g, uint32_t a, uint32_t b, const uint16_t *pending, int64_t now)
{
	static char why[160];

	for (size_t t = 0; t < g->c->ntypes; t++) {
		int lim = g->c->types[t].limit;
		int have = g->c->types[t].window ?
		    recent(g, a, t, now) + (b != NONE ? recent(g, b, t, now) : 0) + pending[t] :
		    g->p[a].idcount[t] + (b != NONE ? g->p[b].idcount[t] : 0) + pending[t];

		if (lim && have > lim) {
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
		uint32_t q = find(g, g->id[d].prof);

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

/* ---- reading records -------------------------------------------------- */

/* Text of a non-null cell; for strings a pointer into the column. */
static const char *
cell_text(const struct colvec *v, size_t r, struct strbuf *tmp, size_t *len)
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

static int
has_name(char **names, size_t n, const char *name)
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
static struct colvec *
read_col(struct segment *s, const char *name, struct colvec *v, int *err)
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
			list_add(&roles, &nroles, tok);
		free(copy);
	}
	person_batch = batch && mentry_get(batch, "kind") && strcmp(mentry_get(batch, "kind"), "person") == 0;
	src = read_col(s, "_source", &vsrc, &err);
	kind = read_col(s, "_kind", &vkind, &err);
	event = read_col(s, "_event", &vevent, &err);
	tm = read_col(s, "_time", &vtime, &err);
	bt = read_col(s, "_batch", &vbatch, &err);
	ln = read_col(s, "_line", &vline, &err);
	for (size_t t = 0; t < c->ntypes; t++)
		idp[t] = read_col(s, c->types[t].column, &idv[t], &err);
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
		if (has_name(roles, nroles, name))
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
			isorder[d] = has_name(c->order_events, c->norder_events, name);
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
			ids[nids].s = cell_text(v, r, &idtmp[k], &ids[nids].len);
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
		pi = find(g, pi);
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
			v = cell_text(&cons[k], r, &tmp, &len);
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

			if (d == NONE || find(g, g->id[d].prof) != pi)
				continue;	/* refused or blocked for this record */
			golden_offer(g, pi, typeattr[ids[k].type], g->vals.buf + g->id[d].off,
			    g->id[d].len, t, colvec_str(src, r, NULL), g->id[d].off);
		}
		for (size_t k = 0; k < nac; k++) {
			size_t len;
			const char *v;

			if (colvec_isnull(&ac[k].v, r) || (!person_batch && !is_event))
				continue;
			v = cell_text(&ac[k].v, r, &tmp, &len);
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
	list_free(roles, nroles);
	sb_free(&tmp);
	for (size_t t = 0; t < MERGE_MAX_TYPES; t++)
		sb_free(&idtmp[t]);
	return err ? -1 : 0;
}

/* ---- state in the store ----------------------------------------------- */

static const char *const fixed_columns[] = { "profile_id", "sources", "records", "events",
	"orders", "revenue", "avg_order_value", "first_seen", "last_seen", "first_order",
	"last_order", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_score",
	"email_consent", NULL };

static int64_t
cell_int(const struct colvec *v, size_t r, int64_t dflt)
{
	return v && !colvec_isnull(v, r) ? v->iv[r] : dflt;
}

/* Read back the profiles and identifiers of the previous run. */
static int
state_load(struct engine *g)
{
	struct segment **segs;
	size_t n;
	struct strmap byid = { 0 };
	struct strbuf tmp = STRBUF_INIT;
	int err = 0;

	if (store_segments(g->st, "profiles", &segs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !err; i++) {
		struct segment *s = segs[i];
		struct colvec *v = xcalloc(s->ncols, sizeof *v);
		int *got = xcalloc(s->ncols, sizeof *got);

#define COL(name) (segment_col_index(s, name) >= 0 && got[segment_col_index(s, name)] ? \
	&v[segment_col_index(s, name)] : NULL)
		for (size_t k = 0; k < s->ncols && !err; k++) {
			if (segment_read(s, (int)k, &v[k]) < 0)
				err = 1;
			else
				got[k] = 1;
		}
		struct colvec *pid = COL("profile_id"), *recs = COL("records"), *evts = COL("events"),
		    *ords = COL("orders"), *rev = COL("revenue"), *fs = COL("first_seen"),
		    *ls = COL("last_seen"), *fo = COL("first_order"), *lo = COL("last_order"),
		    *srcs = COL("sources"), *cons = COL("email_consent"), *const_t = COL("_t:email_consent");
		if (!err && !pid) {
			cdp_seterr("%s: profiles segment lacks profile_id", s->path);
			err = 1;
		}
		for (size_t r = 0; r < s->nrows && !err; r++) {
			uint32_t pi = prof_new(g, pid->iv[r]);
			struct prof *p = &g->p[pi];
			char key[32];

			snprintf(key, sizeof key, "%lld", (long long)pid->iv[r]);
			strmap_put(&byid, key, strlen(key), (long)pi);
			p->nrec = (uint64_t)cell_int(recs, r, 0);
			p->nmerges = (uint32_t)cell_int(COL("_merges"), r, 0);
			p->nevt = (uint64_t)cell_int(evts, r, 0);
			p->nord = (uint64_t)cell_int(ords, r, 0);
			if (!rev || colvec_isnull(rev, r) || colvec_cents(rev, r, &p->revenue) < 0)
				p->revenue = 0;
			p->first_seen = cell_int(fs, r, NO_TIME);
			p->last_seen = cell_int(ls, r, NO_TIME);
			p->first_order = cell_int(fo, r, NO_TIME);
			p->last_order = cell_int(lo, r, NO_TIME);
			if (cons && !colvec_isnull(cons, r)) {
				p->consent = (int8_t)cons->iv[r];
				p->consent_t = cell_int(const_t, r, NO_TIME);
			}
			if (srcs && !colvec_isnull(srcs, r)) {
				char *list = xstrdup(colvec_str(srcs, r, NULL)), *q = list, *tok;

				while ((tok = strsep(&q, ",")) != NULL) {
					uint32_t si;

					while (*tok == ' ')
						tok++;
					si = dict_index(&g->sources, &g->source_names, &g->nsource, tok, strlen(tok));
					if (si < 64)
						p->sources |= 1ULL << si;
				}
				free(list);
			}
			for (size_t k = 0; k < s->ncols; k++) {
				const char *name = s->cols[k].name;
				char tname[512];
				int ti;

				if (colvec_isnull(&v[k], r))
					continue;
				if (strncmp(name, "count_", 6) == 0) {
					snprintf(tname, sizeof tname, "last_%s", name + 6);
					ti = segment_col_index(s, tname);
					event_count(g, pi, dict_index(&g->events, &g->event_names, &g->nevent,
					    name + 6, strlen(name + 6)), (uint64_t)v[k].iv[r],
					    ti >= 0 ? cell_int(&v[ti], r, NO_TIME) : NO_TIME);
					continue;
				}
				snprintf(tname, sizeof tname, "_t:%s", name);
				ti = segment_col_index(s, tname);
				if (ti < 0)
					continue;	/* not a golden attribute */
				size_t len;
				const char *val = cell_text(&v[k], r, &tmp, &len);
				uint32_t attr = dict_index(&g->attrs, &g->attr_names, &g->nattr, name, strlen(name));

				golden_offer(g, pi, attr, val, len, cell_int(&v[ti], r, NO_TIME), "", NO_OFF);
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
		}
#undef COL
		for (size_t k = 0; k < s->ncols; k++)
			if (got[k])
				colvec_free(&v[k]);
		free(v);
		free(got);
	}
	store_segments_free(segs, n);
	if (err)
		goto out;

	if (store_segments(g->st, "idmap", &segs, &n) < 0) {
		err = 1;
		goto out;
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
			    f >= 0 ? cell_int(&vf, r, NO_TIME) : NO_TIME);
		}
		if (f >= 0)
			colvec_free(&vf);
		colvec_free(&vt);
		colvec_free(&vv);
		colvec_free(&vp);
	}
	store_segments_free(segs, n);
out:
	strmap_free(&byid);
	sb_free(&tmp);
	return err ? -1 : 0;
}

/* Files written by this run, entered into the manifest at commit. */
struct newseg {
	char *file;
	uint64_t id, rows, records;
	const char *table;
};

struct output {
	struct newseg *s;
	size_t n;
};

static int
write_seg(struct engine *g, struct output *out, const char *table, struct segcol_in *cols,
    size_t ncols, size_t nrows, uint64_t records)
{
	uint64_t id, size;
	char *name = store_segment_name(g->st, &id), *path = store_path(g->st, name);
	int r = segment_write(path, table, 0, cols, ncols, nrows, &size);

	free(path);
	if (r < 0) {
		free(name);
		return -1;
	}
	out->s = xreallocarray(out->s, out->n + 1, sizeof *out->s);
	out->s[out->n++] = (struct newseg){ name, id, nrows, records, table };
	return 0;
}

static void
push_time(struct colvec *v, int64_t t)
{
	if (t == NO_TIME)
		colvec_push_null(v);
	else
		colvec_push_int(v, t);
}

/* An amount in cents as a decimal of scale 2 (the packed form of dec_parse,
 * at most 17 digits: a larger sum is written as the largest). */
static void
push_cents(struct colvec *v, int64_t cents)
{
	const int64_t max = INT64_C(99999999999999999);

	cents = cents > max ? max : cents < -max ? -max : cents;
	colvec_push_int(v, cents * 16 + (cents < 0 ? -2 : 2));
}

static char **sort_names;

static int
name_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return strcmp(sort_names[*x], sort_names[*y]);
}

/*
 * Indexes of names[0..n) in name order.  Sources, golden attributes and
 * events are numbered in the order a run meets them, which differs
 * between a rebuild and incremental runs (these start from the columns
 * of the last run); written in name order, the two give the same bytes.
 */
static uint32_t *
name_order(char **names, size_t n)
{
	uint32_t *order = xmalloc((n ? n : 1) * sizeof *order);

	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_names = names;
	qsort(order, n, sizeof *order, name_cmp);
	sort_names = NULL;
	return order;
}

static int
write_profiles(struct engine *g, struct output *out)
{
	const struct merge_config *c = g->c;
	uint32_t *roots = NULL;
	size_t nroots = 0, nord = 0;
	double *rec = NULL, *freq = NULL, *mon = NULL;
	uint32_t **idlists, *idcount;
	uint32_t *srcorder = name_order(g->source_names, g->nsource);
	uint32_t *attrorder = name_order(g->attr_names, g->nattr);
	uint32_t *evorder = name_order(g->event_names, g->nevent);
	int rc = 0;

	for (size_t i = 0; i < g->np; i++) {
		if (g->parent[i] != i || g->p[i].nrec == 0)
			continue;
		roots = xreallocarray(roots, nroots + 1, sizeof *roots);
		roots[nroots++] = (uint32_t)i;
		if (g->p[i].nrec > g->stats->largest)
			g->stats->largest = g->p[i].nrec;
		if (g->p[i].nord)
			nord++;
	}
	g->stats->total = nroots;
	/* RFM quintiles over the profiles that ordered. */
	rec = xcalloc(nord + 1, sizeof *rec);
	freq = xcalloc(nord + 1, sizeof *freq);
	mon = xcalloc(nord + 1, sizeof *mon);
	for (size_t i = 0, k = 0; i < nroots; i++) {
		const struct prof *p = &g->p[roots[i]];

		if (!p->nord)
			continue;
		rec[k] = (double)p->last_order;
		freq[k] = (double)p->nord;
		mon[k++] = (double)p->revenue;
	}
	qsort(rec, nord, sizeof *rec, double_cmp);
	qsort(freq, nord, sizeof *freq, double_cmp);
	qsort(mon, nord, sizeof *mon, double_cmp);
	/* Identifier values per profile: counting sort of idents by root. */
	idcount = xcalloc(g->np + 1, sizeof *idcount);
	idlists = xcalloc(g->np + 1, sizeof *idlists);
	for (size_t d = 0; d < g->nid; d++) {
		uint32_t r = find(g, g->id[d].prof);

		g->id[d].prof = r;
		idcount[r]++;
	}
	for (size_t i = 0; i < g->np; i++)
		if (idcount[i])
			idlists[i] = xmalloc(idcount[i] * sizeof **idlists);
	memset(idcount, 0, (g->np + 1) * sizeof *idcount);
	for (size_t d = 0; d < g->nid; d++) {
		uint32_t r = g->id[d].prof;

		idlists[r][idcount[r]++] = (uint32_t)d;
	}

	for (size_t start = 0; start < nroots || start == 0; start += SEG_MAX_ROWS) {
		size_t end = nroots - start > SEG_MAX_ROWS ? start + SEG_MAX_ROWS : nroots;
		size_t nfix = 17, ncols = 0, k;
		size_t cap = nfix + c->ntypes + 3 * g->nattr + 2 * g->nevent + 1;
		struct colvec *v = xcalloc(cap, sizeof *v);
		struct segcol_in *in = xcalloc(cap, sizeof *in);
		char **names = xcalloc(cap, sizeof *names);
		struct strbuf sb = STRBUF_INIT;
		const char **texts = xcalloc(end - start + 1, sizeof *texts);
		uint32_t *lens = xcalloc(end - start + 1, sizeof *lens);
		int64_t *times = xcalloc(end - start + 1, sizeof *times);

		if (nroots == 0 && start > 0)
			break;
#define ADD(name, type) (names[ncols] = xstrdup(name), colvec_init(&v[ncols], type), &v[ncols++])
		struct colvec *cid = ADD("profile_id", CT_INT), *csrc = ADD("sources", CT_STR),
		    *crec = ADD("records", CT_INT), *cevt = ADD("events", CT_INT),
		    *cord = ADD("orders", CT_INT), *crev = ADD("revenue", CT_DEC),
		    *caov = ADD("avg_order_value", CT_DEC), *cfs = ADD("first_seen", CT_TIME),
		    *cls = ADD("last_seen", CT_TIME), *cfo = ADD("first_order", CT_TIME),
		    *clo = ADD("last_order", CT_TIME), *crr = ADD("rfm_recency", CT_INT),
		    *crf = ADD("rfm_frequency", CT_INT), *crm = ADD("rfm_monetary", CT_INT),
		    *crs = ADD("rfm_score", CT_STR), *ccons = ADD("email_consent", CT_BOOL);
		struct colvec *ccons_t;

		for (size_t i = start; i < end; i++) {
			const struct prof *p = &g->p[roots[i]];

			colvec_push_int(cid, p->id);
			sb_reset(&sb);
			for (size_t k = 0; k < g->nsource; k++) {
				if (srcorder[k] >= 64 || !(p->sources >> srcorder[k] & 1))
					continue;
				if (sb.len)
					sb_adds(&sb, ", ");
				sb_adds(&sb, g->source_names[srcorder[k]]);
			}
			if (sb.len)
				colvec_push_str(csrc, sb.buf, sb.len);
			else
				colvec_push_null(csrc);
			colvec_push_int(crec, (int64_t)p->nrec);
			colvec_push_int(cevt, (int64_t)p->nevt);
			colvec_push_int(cord, (int64_t)p->nord);
			push_cents(crev, p->revenue);
			if (p->nord)
				push_cents(caov, cents_div(p->revenue, (int64_t)p->nord));
			else
				colvec_push_null(caov);
			push_time(cfs, p->first_seen);
			push_time(cls, p->last_seen);
			push_time(cfo, p->first_order);
			push_time(clo, p->last_order);
			if (p->nord) {
				int r = quintile_score(rec, nord, (double)p->last_order);
				int f = quintile_score(freq, nord, (double)p->nord);
				int m = quintile_score(mon, nord, (double)p->revenue);
				char score[4] = { (char)('0' + r), (char)('0' + f), (char)('0' + m), 0 };

				colvec_push_int(crr, r);
				colvec_push_int(crf, f);
				colvec_push_int(crm, m);
				colvec_push_str(crs, score, 3);
			} else {
				colvec_push_null(crr);
				colvec_push_null(crf);
				colvec_push_null(crm);
				colvec_push_null(crs);
			}
			if (p->consent >= 0)
				colvec_push_int(ccons, p->consent);
			else
				colvec_push_null(ccons);
		}
		struct colvec *cmerges = ADD("_merges", CT_INT);

		for (size_t i = start; i < end; i++)
			colvec_push_int(cmerges, g->p[roots[i]].nmerges);
		ccons_t = ADD("_t:email_consent", CT_TIME);
		for (size_t i = start; i < end; i++) {
			const struct prof *p = &g->p[roots[i]];

			if (p->consent >= 0)
				push_time(ccons_t, p->consent_t);
			else
				colvec_push_null(ccons_t);
		}
		/* All values of each identifier type: "emails", "phones", ... */
		for (size_t t = 0; t < c->ntypes; t++) {
			char name[256];

			snprintf(name, sizeof name, "%ss", c->types[t].name);
			struct colvec *cv = ADD(name, CT_STR);

			for (size_t i = start; i < end; i++) {
				uint32_t r = roots[i];

				sb_reset(&sb);
				for (size_t j = 0; j < idcount[r]; j++) {
					const struct ident *d = &g->id[idlists[r][j]];

					if (d->type != t)
						continue;
					if (sb.len)
						sb_adds(&sb, ", ");
					sb_add(&sb, g->vals.buf + d->off, d->len);
				}
				if (sb.len)
					colvec_push_str(cv, sb.buf, sb.len);
				else
					colvec_push_null(cv);
			}
		}
		/* Golden attributes, typed from their values, and their times.
		 * One walk of each profile's list finds its node per attribute. */
		uint32_t *node = xmalloc((g->nattr ? g->nattr : 1) * (end - start + 1) * sizeof *node);

		for (size_t x = 0; x < g->nattr * (end - start); x++)
			node[x] = NONE;
		for (size_t i = start; i < end; i++)
			for (uint32_t x = g->p[roots[i]].attrs; x != NONE; x = g->an[x].next)
				node[(size_t)g->an[x].attr * (end - start) + (i - start)] = x;
		for (size_t ai = 0; ai < g->nattr; ai++) {
			size_t a = attrorder[ai];
			char tname[512];
			int any = 0;

			for (size_t i = start; i < end; i++) {
				uint32_t x = node[a * (end - start) + (i - start)];
				const struct anode *an = x == NONE ? NULL : &g->an[x];

				texts[i - start] = an ? g->vals.buf + an->off : NULL;
				lens[i - start] = an ? an->len : 0;
				times[i - start] = an ? an->t : NO_TIME;
				any |= an != NULL;
			}
			if (!any || has_name((char **)fixed_columns, 16, g->attr_names[a]))
				continue;
			names[ncols] = xstrdup(g->attr_names[a]);
			colvec_from_text(&v[ncols++], texts, lens, end - start);
			snprintf(tname, sizeof tname, "_t:%s", g->attr_names[a]);
			struct colvec *ct = ADD(tname, CT_TIME);

			for (size_t i = 0; i < end - start; i++) {
				if (texts[i])
					push_time(ct, times[i]);
				else
					colvec_push_null(ct);
			}
			/* what the next incremental run needs to decide alike */
			const struct golden_rule *gr = golden_rule_for(c, g->attr_names[a]);

			if (gr && gr->how != GOLDEN_LATEST) {
				snprintf(tname, sizeof tname, "_%c:%s", gr->how == GOLDEN_SOURCE ? 'r' : 'v',
				    g->attr_names[a]);
				struct colvec *cr = ADD(tname, CT_INT);

				for (size_t i = start; i < end; i++) {
					uint32_t x = node[a * (end - start) + (i - start)];

					if (x == NONE)
						colvec_push_null(cr);
					else
						colvec_push_int(cr, gr->how == GOLDEN_SOURCE ? g->an[x].rank :
						    (int64_t)g->an[x].votes);
				}
			}
		}
		free(node);
		for (size_t ei = 0; ei < g->nevent; ei++) {
			size_t e = evorder[ei];
			char cname[512], lname[512];

			snprintf(cname, sizeof cname, "count_%s", g->event_names[e]);
			snprintf(lname, sizeof lname, "last_%s", g->event_names[e]);
			struct colvec *cc = ADD(cname, CT_INT), *cl = ADD(lname, CT_TIME);

			for (size_t i = start; i < end; i++) {
				const struct enode *en = NULL;

				for (uint32_t x = g->p[roots[i]].events; x != NONE; x = g->en[x].next)
					if (g->en[x].ev == e)
						en = &g->en[x];
				colvec_push_int(cc, en ? (int64_t)en->count : 0);
				push_time(cl, en ? en->last : NO_TIME);
			}
		}
#undef ADD
		for (k = 0; k < ncols; k++) {
			in[k].name = names[k];
			in[k].v = &v[k];
		}
		if (write_seg(g, out, "profiles", in, ncols, end - start, 0) < 0)
			rc = -1;
		for (k = 0; k < ncols; k++) {
			colvec_free(&v[k]);
			free(names[k]);
		}
		free(v);
		free(in);
		free(names);
		free(texts);
		free(lens);
		free(times);
		sb_free(&sb);
		if (rc < 0 || end >= nroots)
			break;
	}
	for (size_t i = 0; i < g->np; i++)
		free(idlists[i]);
	free(idlists);
	free(idcount);
	free(roots);
	free(rec);
	free(freq);
	free(mon);
	free(srcorder);
	free(attrorder);
	free(evorder);
	return rc;
}

static int
write_idmap(struct engine *g, struct output *out)
{
	for (size_t start = 0; start < g->nid || start == 0; start += SEG_MAX_ROWS) {
		size_t end = g->nid - start > SEG_MAX_ROWS ? start + SEG_MAX_ROWS : g->nid;
		struct colvec vt, vv, vp, vf;
		struct segcol_in in[4] = { { "type", &vt }, { "value", &vv }, { "profile", &vp },
			{ "first", &vf } };
		int r;

		colvec_init(&vt, CT_STR);
		colvec_init(&vv, CT_STR);
		colvec_init(&vp, CT_INT);
		colvec_init(&vf, CT_TIME);
		for (size_t d = start; d < end; d++) {
			const struct ident *x = &g->id[d];
			const char *tn = g->c->types[x->type].name;

			colvec_push_str(&vt, tn, strlen(tn));
			colvec_push_str(&vv, g->vals.buf + x->off, x->len);
			colvec_push_int(&vp, g->p[find(g, x->prof)].id);
			push_time(&vf, x->first);
		}
		r = end > start ? write_seg(g, out, "idmap", in, 4, end - start, 0) : 0;
		colvec_free(&vf);
		colvec_free(&vt);
		colvec_free(&vv);
		colvec_free(&vp);
		if (r < 0)
			return -1;
		if (end >= g->nid)
			break;
	}
	return 0;
}

static int
write_log_tables(struct engine *g, struct output *out)
{
	int r = 0;

	if (g->nmerge) {
		struct colvec vo, vn, vt, vy;
		struct segcol_in in[4] = { { "old_id", &vo }, { "new_id", &vn }, { "time", &vt },
			{ "type", &vy } };

		colvec_init(&vo, CT_INT);
		colvec_init(&vn, CT_INT);
		colvec_init(&vt, CT_TIME);
		colvec_init(&vy, CT_STR);
		for (size_t i = 0; i < g->nmerge; i++) {
			const char *tn = g->c->types[g->merge_type[i]].name;

			colvec_push_int(&vo, g->merge_old[i]);
			/* the survivor may itself have merged later in this run */
			colvec_push_int(&vn, g->merge_new[i]);
			colvec_push_int(&vt, g->now);
			colvec_push_str(&vy, tn, strlen(tn));
		}
		r = write_seg(g, out, "merges", in, 4, g->nmerge, 0);
		colvec_free(&vo);
		colvec_free(&vn);
		colvec_free(&vt);
		colvec_free(&vy);
	}
	if (r == 0 && g->nref) {
		struct colvec vb, vl, vp, vt, vv, vr;
		struct segcol_in in[6] = { { "batch", &vb }, { "line", &vl }, { "profile_id", &vp },
			{ "type", &vt }, { "value", &vv }, { "reason", &vr } };

		colvec_init(&vb, CT_INT);
		colvec_init(&vl, CT_INT);
		colvec_init(&vp, CT_INT);
		colvec_init(&vt, CT_STR);
		colvec_init(&vv, CT_STR);
		colvec_init(&vr, CT_STR);
		for (size_t i = 0; i < g->nref; i++) {
			const struct refusal *f = &g->ref[i];
			const char *tn = g->c->types[f->type].name;

			colvec_push_int(&vb, f->batch);
			colvec_push_int(&vl, f->line);
			if (f->profile)
				colvec_push_int(&vp, f->profile);
			else
				colvec_push_null(&vp);
			colvec_push_str(&vt, tn, strlen(tn));
			colvec_push_str(&vv, g->vals.buf + f->off, f->len);
			colvec_push_str(&vr, f->reason, strlen(f->reason));
		}
		r = write_seg(g, out, "refusals", in, 6, g->nref, 0);
		colvec_free(&vb);
		colvec_free(&vl);
		colvec_free(&vp);
		colvec_free(&vt);
		colvec_free(&vv);
		colvec_free(&vr);
	}
	return r;
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
	list_free(g->attr_names, g->nattr);
	list_free(g->event_names, g->nevent);
	list_free(g->source_names, g->nsource);
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
	    is_table(e, "merges") || is_table(e, "refusals");
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

int
merge_run(struct store *st, const struct merge_config *c, const struct merge_opts *o,
    struct merge_stats *stats)
{
	struct engine g;
	struct output out = { 0 };
	struct mentry *state = store_find(st, "merge", 1);
	uint64_t *todo = NULL;
	size_t ntodo = 0;
	double start = now_seconds();
	int rc = -1;

	memset(&g, 0, sizeof g);
	memset(stats, 0, sizeof *stats);
	g.st = st;
	g.c = c;
	g.o = o;
	g.stats = stats;
	g.now = o->as_of;
	g.next_profile = 1;
	if (state && !o->rebuild)
		g.next_profile = (int64_t)mentry_getu(state, "next-profile");
	if (g.next_profile < 1)
		g.next_profile = 1;
	ntodo = unlinked_records(st, o->rebuild, &todo);
	if (state && !o->rebuild && ntodo == 0) {
		/* nothing new: the profiles stand as they are, nothing is written */
		stats->total = mentry_getu(state, "profiles");
		stats->unchanged = 1;
		rc = 0;
		goto out;
	}
	if (!o->rebuild && state_load(&g) < 0)
		goto out;
	for (size_t i = 0; i < ntodo; i++) {
		struct mentry *e = store_find(st, "segment", todo[i]);
		struct mentry *b = store_find(st, "batch", mentry_getu(e, "batch"));
		char *path = store_path(st, mentry_get(e, "file"));
		struct segment *s = segment_open(path);
		int64_t *links = NULL;
		int r;

		free(path);
		if (!s)
			goto out;
		r = process_segment(&g, s, b, &links);
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
			r = write_seg(&g, &out, "links", &in, 1, s->nrows, todo[i]);
			colvec_free(&v);
		}
		free(links);
		segment_close(s);
		if (r < 0)
			goto out;
		if (cdp_interrupted) {
			cdp_seterr("interrupted; nothing merged");
			goto out;
		}
	}
	if (o->progress && stats->records >= 0x100000)
		fprintf(stderr, "\r\033[K");
	if (write_profiles(&g, &out) < 0 || write_idmap(&g, &out) < 0 || write_log_tables(&g, &out) < 0)
		goto out;

	/* One commit: old state out, new state in. */
	for (size_t i = st->ne; i-- > 0;) {
		struct mentry *e = st->e[i];

		if (is_table(e, "profiles") || is_table(e, "idmap") || (o->rebuild && is_merge_table(e)))
			store_remove(st, e);
	}
	for (size_t i = 0; i < out.n; i++) {
		struct mentry *e = store_add(st, "segment", out.s[i].id);

		mentry_set(e, "table", "%s", out.s[i].table);
		mentry_set(e, "rows", "%llu", (unsigned long long)out.s[i].rows);
		mentry_set(e, "file", "%s", out.s[i].file);
		if (out.s[i].records)
			mentry_set(e, "records", "%llu", (unsigned long long)out.s[i].records);
	}
	if (!state)
		state = store_add(st, "merge", 1);
	mentry_set(state, "next-profile", "%lld", (long long)g.next_profile);
	mentry_set(state, "profiles", "%llu", (unsigned long long)stats->total);
	if ((rc = store_commit(st)) == -2)
		out.n = 0;	/* named by the new manifest: keep them */
	if (rc < 0)
		goto out;
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
	engine_free(&g);
	stats->seconds = now_seconds() - start;
	return rc;
}

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
		src = read_col(segs[i], "_source", &vs, &err);
		bt = read_col(segs[i], "_batch", &vb, &err);
		ln = read_col(segs[i], "_line", &vl, &err);
		kd = read_col(segs[i], "_kind", &vk, &err);
		tm = read_col(segs[i], "_time", &vt, &err);
		for (size_t t = 0; t < c->ntypes; t++)
			idp[t] = read_col(segs[i], c->types[t].column, &idv[t], &err);
		for (size_t r = 0; r < nl && !err; r++) {
			struct strbuf tmp = STRBUF_INIT;

			if (links[r] != pid)
				continue;
			if (++shown > 1000)
				continue;
			fprintf(out, "  %s, %lld:%lld, %s, ", src ? colvec_str(src, r, NULL) : "-",
			    (long long)cell_int(bt, r, 0), (long long)cell_int(ln, r, 0),
			    kd && !colvec_isnull(kd, r) ? colvec_str(kd, r, NULL) : "-");
			print_time(out, tm, r);
			for (size_t t = 0; t < c->ntypes; t++) {
				size_t len;

				if (!idp[t] || colvec_isnull(idp[t], r))
					continue;
				fprintf(out, ", %s=%s", c->types[t].name, cell_text(idp[t], r, &tmp, &len));
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

		if (!read_col(segs[i], "batch", &vb, &err))
			continue;
		read_col(segs[i], "line", &vl, &err);
		read_col(segs[i], "profile_id", &vp, &err);
		read_col(segs[i], "type", &vt, &err);
		read_col(segs[i], "value", &vv, &err);
		read_col(segs[i], "reason", &vr, &err);
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
