/*
 * merge_match_conf.c - the merge.conf keys of probabilistic matching
 * (match, match-threshold, review-threshold, block-on, block-cap,
 * compare) and the model they give: fsmatch's defaults, replaced by
 * STORE/match.params when it exists, then the thresholds of merge.conf.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge_match.h"
#include "util.h"

static const char *const default_rules[] = {
	"postal_code + last_name:1",
	"birth_date",
	"phone:-7",
	"email",
	"soundex(last_name) + first_name:1",
	"national_id",
	NULL
};

static const char *const field_names[MF_NFIELDS] = { "first_name", "last_name", "birth_date",
	"postal_code", "street", "house_number", "city", "phone", "email", "" };

struct match_conf *
match_conf_new(void)
{
	struct match_conf *m = xcalloc(1, sizeof *m);

	m->mode = MATCH_EXACT;		/* see cdp-merge(1), CAVEATS */
	m->block_cap = 2000;
	/* a national id (FEBRL's soc_sec_id) is compared when a record has one */
	m->compare[m->ncompare++] = xstrdup("national_id");
	m->veto[m->nveto++] = xstrdup("first_name");
	m->veto[m->nveto++] = xstrdup("birth_date");
	for (int i = 0; default_rules[i]; i++)
		match_rule_parse(&m->rule[m->nrule++], m, default_rules[i]);
	return m;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int
term_parse(struct bterm *t, const struct match_conf *m, char *s)
{
	char *colon, *end;
	size_t n;

	memset(t, 0, sizeof *t);
	s = trim(s);
	if (strncmp(s, "soundex(", 8) == 0) {
		n = strlen(s);
		if (n < 10 || s[n - 1] != ')')
			return cdp_seterr("block-on: unclosed soundex( in '%s'", s);
		s[n - 1] = '\0';
		s = trim(s + 8);
		t->soundex = 1;
	}
	if ((colon = strchr(s, ':')) != NULL) {
		*colon++ = '\0';
		long v = strtol(colon, &end, 10);

		if (end == colon || *end || v == 0 || v > 32 || v < -32 || t->soundex)
			return cdp_seterr("block-on: '%s:%s' wants FIELD:N (first N) or FIELD:-N (last N)",
			    s, colon);
		t->len = (int)v;
	}
	s = trim(s);
	for (int f = 0; f < MF_EXTRA; f++)
		if (strcmp(s, field_names[f]) == 0) {
			t->field = f;
			if (t->soundex && f != MF_FIRST && f != MF_LAST)
				return cdp_seterr("block-on: soundex() takes first_name or last_name, not '%s'", s);
			return 0;
		}
	for (int k = 0; k < m->ncompare; k++)
		if (strcmp(s, m->compare[k]) == 0 && !t->soundex) {
			t->field = MF_EXTRA;
			t->extra = k;
			return 0;
		}
	return cdp_seterr("block-on: unknown field '%s' (first_name, last_name, birth_date, postal_code, "
	    "street, house_number, city, phone, email or a compare column)", s);
}

int
match_rule_parse(struct brule *r, const struct match_conf *m, const char *src)
{
	char *copy = xstrdup(src), *p = copy, *tok;
	int rc = 0;

	memset(r, 0, sizeof *r);
	while ((tok = strsep(&p, "+")) != NULL && rc == 0) {
		if (r->nterm == MATCH_MAX_TERMS)
			rc = cdp_seterr("block-on: at most %d fields in one rule", MATCH_MAX_TERMS);
		else
			rc = term_parse(&r->t[r->nterm++], m, tok);
	}
	free(copy);
	if (rc == 0)
		r->src = xstrdup(src);
	return rc;
}

/* "12.5" (bits) or "99.9%" (a match probability) as a match weight. */
static int
threshold_parse(const char *key, const char *val, double *out)
{
	char *end;
	double v = strtod(val, &end);

	if (end != val && *end == '%' && end[1] == '\0') {
		if (!(v > 0 && v < 100))
			return cdp_seterr("%s: a probability is above 0%% and below 100%%, not '%s'", key, val);
		v /= 100;
		*out = log2(v / (1 - v));
		return 0;
	}
	if (end == val || *end || !isfinite(v))
		return cdp_seterr("%s wants a match weight in bits (12.5) or a probability (99.9%%), not '%s'",
		    key, val);
	*out = v;
	return 0;
}

static void
veto_clear(struct match_conf *m)
{
	for (int i = 0; i < m->nveto; i++)
		free(m->veto[i]);
	m->nveto = 0;
}

static void
rules_clear(struct match_conf *m)
{
	for (int i = 0; i < m->nrule; i++)
		free(m->rule[i].src);
	m->nrule = 0;
}

#define CUSTOMER_ID_MATCH_LIMIT 4

int
match_conf_set(struct match_conf *m, const char *key, const char *arg, const char *val)
{
	if (arg && strcmp(key, "match-limit") == 0) {
		char *end;
		long n = strtol(val, &end, 10);

		if (end == val || *end || n < 0 || n > 65535)
			return cdp_seterr("match-limit wants a number of values, not '%s'", val);
		for (int i = 0; i < m->nmlimit; i++)
			if (strcmp(m->mlimit_name[i], arg) == 0) {
				m->mlimit_val[i] = (int)n;
				return 0;
			}
		if (m->nmlimit == MERGE_MAX_TYPES)
			return cdp_seterr("at most %d match-limit lines", MERGE_MAX_TYPES);
		m->mlimit_name[m->nmlimit] = xstrdup(arg);
		m->mlimit_val[m->nmlimit++] = (int)n;
		return 0;
	}
	if (arg)
		return 1;
	if (strcmp(key, "match") == 0) {
		if (strcmp(val, "exact") == 0)
			m->mode = MATCH_EXACT;
		else if (strcmp(val, "probabilistic") == 0)
			m->mode = MATCH_PROBABILISTIC;
		else
			return cdp_seterr("match wants exact or probabilistic, not '%s'", val);
	} else if (strcmp(key, "match-threshold") == 0) {
		m->set_mt = 1;
		return threshold_parse(key, val, &m->mt);
	} else if (strcmp(key, "review-threshold") == 0) {
		m->set_rt = 1;
		return threshold_parse(key, val, &m->rt);
	} else if (strcmp(key, "block-cap") == 0) {
		char *end;
		unsigned long long n = strtoull(val, &end, 10);

		if (end == val || *end || n == 0 || val[0] == '-')
			return cdp_seterr("block-cap wants a positive number of pairs, not '%s'", val);
		m->block_cap = n;
	} else if (strcmp(key, "block-on") == 0) {
		if (!m->user_rules)
			rules_clear(m);	/* the first rule of merge.conf replaces the defaults */
		m->user_rules = 1;
		if (strcmp(val, "none") == 0)
			return 0;
		if (m->nrule == MATCH_MAX_RULES)
			return cdp_seterr("at most %d block-on rules", MATCH_MAX_RULES);
		if (match_rule_parse(&m->rule[m->nrule], m, val) < 0)
			return -1;
		m->nrule++;
	} else if (strcmp(key, "veto") == 0) {
		char *copy = xstrdup(val), *p = copy, *tok;

		veto_clear(m);
		while ((tok = strsep(&p, ", \t")) != NULL) {
			if (!*tok || strcmp(tok, "none") == 0)
				continue;
			if (m->nveto == FS_MAX_COMP) {
				free(copy);
				return cdp_seterr("veto: at most %d comparisons", FS_MAX_COMP);
			}
			m->veto[m->nveto++] = xstrdup(tok);
		}
		free(copy);
	} else if (strcmp(key, "compare") == 0) {
		char *copy = xstrdup(val), *p = copy, *tok;

		if (!m->user_compare) {
			/* the first compare line replaces the default list */
			for (int k = 0; k < m->ncompare; k++)
				free(m->compare[k]);
			m->ncompare = 0;
			m->user_compare = 1;
		}

		while ((tok = strsep(&p, ", \t")) != NULL) {
			if (!*tok || strcmp(tok, "none") == 0)
				continue;
			if (m->ncompare == FS_MAX_EXTRA) {
				free(copy);
				return cdp_seterr("compare: at most %d columns", FS_MAX_EXTRA);
			}
			m->compare[m->ncompare++] = xstrdup(tok);
		}
		free(copy);
	} else {
		return 1;
	}
	return 0;
}

/*
 * The limits probabilistic links obey: each type's own, but customer_id
 * allows CUSTOMER_ID_MATCH_LIMIT: two CRM entries of one person carry
 * two customer ids by definition, which is what the matcher is for.
 */
static int
limits_finish(struct match_conf *m, const struct merge_config *c)
{
	for (size_t t = 0; t < c->ntypes; t++) {
		m->limit[t] = c->types[t].limit;
		if (strcmp(c->types[t].name, "customer_id") == 0 && m->limit[t] &&
		    m->limit[t] < CUSTOMER_ID_MATCH_LIMIT)
			m->limit[t] = CUSTOMER_ID_MATCH_LIMIT;
	}
	for (int i = 0; i < m->nmlimit; i++) {
		size_t t;

		for (t = 0; t < c->ntypes; t++)
			if (strcmp(c->types[t].name, m->mlimit_name[i]) == 0)
				break;
		if (t == c->ntypes)
			return cdp_seterr("match-limit: unknown identifier type '%s'", m->mlimit_name[i]);
		m->limit[t] = m->mlimit_val[i];
	}
	return 0;
}

int
match_conf_finish(struct match_conf *m, const struct merge_config *c, const char *confpath)
{
	const char *slash = confpath ? strrchr(confpath, '/') : NULL;
	struct strbuf sb = STRBUF_INIT;

	if (slash)
		sb_add(&sb, confpath, (size_t)(slash - confpath + 1));
	sb_adds(&sb, "match.params");
	free(m->params_path);
	m->params_path = sb_detach(&sb, NULL);
	if (limits_finish(m, c) < 0)
		return -1;
	fs_model_default(&m->model);
	m->have_params = 0;
	m->model.match_threshold = MATCH_DEFAULT_THRESHOLD;
	if (access(m->params_path, F_OK) == 0) {
		if (fs_params_read(&m->model, m->params_path) < 0)
			return -1;
		m->have_params = 1;
	}
	for (int k = 0; k < m->ncompare; k++)
		if (fs_model_find(&m->model, m->compare[k]) < 0 &&
		    fs_model_add_column(&m->model, m->compare[k], k) < 0)
			return -1;
	m->nveto_comp = 0;
	for (int i = 0; i < m->nveto; i++) {
		int c = fs_model_find(&m->model, m->veto[i]);

		if (c < 0)
			return cdp_seterr("veto: no comparison '%s' in the model", m->veto[i]);
		m->veto_comp[m->nveto_comp++] = c;
	}
	if (m->set_mt)
		m->model.match_threshold = m->mt;
	if (m->set_rt)
		m->model.review_threshold = m->rt;
	if (m->model.review_threshold > m->model.match_threshold)
		return cdp_seterr("review-threshold %.2f is above match-threshold %.2f",
		    m->model.review_threshold, m->model.match_threshold);
	return 0;
}

void
match_conf_print(const struct match_conf *m, const struct merge_config *c, FILE *f)
{
	const struct fs_model *md = &m->model;

	fprintf(f, "match = %s\n", m->mode == MATCH_EXACT ? "exact" : "probabilistic");
	fprintf(f, "match-threshold = %.2f\n", md->match_threshold);
	fprintf(f, "review-threshold = %.2f\n", md->review_threshold);
	fprintf(f, "block-cap = %llu\n", (unsigned long long)m->block_cap);
	/* before block-on: a rule may name a compare column */
	fprintf(f, "compare =");
	for (int k = 0; k < m->ncompare; k++)
		fprintf(f, " %s", m->compare[k]);
	fprintf(f, "%s\n", m->ncompare ? "" : " none");
	for (int i = 0; i < m->nrule; i++)
		fprintf(f, "block-on = %s\n", m->rule[i].src);
	if (m->nrule == 0)
		fprintf(f, "block-on = none\n");
	for (size_t t = 0; t < c->ntypes; t++)
		fprintf(f, "match-limit %s = %d\n", c->types[t].name, m->limit[t]);
	fprintf(f, "veto =");
	for (int i = 0; i < m->nveto; i++)
		fprintf(f, "%s %s", i ? "," : "", m->veto[i]);
	fprintf(f, "%s\n", m->nveto ? "" : " none");
	fprintf(f, "# the model (%s; see cdp-match(5)):\n",
	    m->have_params ? m->params_path : "built-in defaults, no match.params yet");
	for (int c = 0; c < md->ncomp; c++) {
		const struct fs_comp *cp = &md->comp[c];

		fprintf(f, "#   %s:", cp->name);
		for (int l = 1; l < cp->nlevels; l++)
			fprintf(f, " %s m=%.4g u=%.4g%s", fs_level_name(cp->kind, l), cp->m[l], cp->u[l],
			    l + 1 < cp->nlevels ? "," : "");
		fputc('\n', f);
	}
	fprintf(f, "#   lambda = %.6g (prior %.2f bits)\n", md->lambda, fs_prior_weight(md));
}

void
match_conf_free(struct match_conf *m)
{
	if (!m)
		return;
	rules_clear(m);
	veto_clear(m);
	for (int i = 0; i < m->nmlimit; i++)
		free(m->mlimit_name[i]);
	for (int k = 0; k < m->ncompare; k++)
		free(m->compare[k]);
	free(m->params_path);
	free(m);
}
