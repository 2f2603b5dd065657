/*
 * merge_conf.c - the linking rules of cdp-merge: defaults, STORE/merge.conf,
 * and --print-config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "merge.h"
#include "merge_int.h"


#define NONE UINT32_MAX
#define NO_TIME INT64_MIN

static const char *const default_blocked[] = { "-1", "0", "null", "none", "n/a", "na",
	"anonymous", "undefined", "unknown", "test", "test@test.com", "test@example.com",
	"noreply@example.com", "a@a.com", "x@x.com", "nobody@nowhere.com", NULL };
static const char *const default_blockre[] = { "^[0-]*$", "^\\+?0+$",
	"^(no-?reply|test|none|null|unknown|dummy|fake|asdf)@", "@(example\\.invalid|test\\.test)$",
	NULL };


/* ---- configuration ---------------------------------------------------- */

void
merge_list_add(char ***list, size_t *n, const char *s)
{
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = xstrdup(s);
}

void
merge_list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void
split_list(char ***list, size_t *n, const char *v)
{
	char *copy = xstrdup(v), *p = copy, *tok;

	merge_list_free(*list, *n);
	*list = NULL;
	*n = 0;
	while ((tok = strsep(&p, ",")) != NULL) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		char *e = tok + strlen(tok);

		while (e > tok && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*tok)
			merge_list_add(list, n, tok);
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
			merge_list_add(&c->types[i].blocked, &c->types[i].nblocked, default_blocked[k]);
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
				merge_list_free(names, n);
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
			merge_list_free(old.types[k].blocked, old.types[k].nblocked);
			for (size_t r = 0; r < old.types[k].nblockre; r++) {
				regfree(&old.types[k].blockre[r]);
				free(old.types[k].blockre_src[r]);
			}
			free(old.types[k].blockre);
			free(old.types[k].blockre_src);
		}
		merge_list_free(names, n);
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
				merge_list_add(&c->types[i].blocked, &c->types[i].nblocked, val);
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
				merge_list_free(names, n);
				return -1;
			}
			t->weak = 1;
		}
		merge_list_free(names, n);
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
		merge_list_free(t->blocked, t->nblocked);
		for (size_t r = 0; r < t->nblockre; r++) {
			regfree(&t->blockre[r]);
			free(t->blockre_src[r]);
		}
		free(t->blockre);
		free(t->blockre_src);
		if (t->has_all)
			regfree(&t->blockre_all);
	}
	merge_list_free(c->order_events, c->norder_events);
	merge_list_free(c->revenue_columns, c->nrevenue_columns);
	merge_list_free(c->consent_columns, c->nconsent_columns);
	for (size_t i = 0; i < c->ngolden; i++) {
		free(c->golden[i].attr);
		merge_list_free(c->golden[i].sources, c->golden[i].nsources);
	}
	memset(c, 0, sizeof *c);
}

