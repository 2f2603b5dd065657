/*
 * fsmatch_params.c - the parameters file of a match model, plain text,
 * one setting per line (format in man/cdp-match.5):
 *
 *	version 1
 *	lambda 0.0123
 *	match-threshold 10
 *	review-threshold 2
 *	tf-floor 0.0001
 *	comparison first_name tf
 *	level exact m 0.85 u 0.008 weight 6.731
 *	level nickname m 0.04 pin u 0.002 weight 4.322
 *	comparison street group address
 *	...
 *	column loyalty_id
 *	level exact m 0.9 u 0.01 weight 6.492
 *
 * A value followed by "pin" is the user's and training leaves it.
 * Numbers are written in the fewest digits that read back to the same
 * double, so write -> read -> write is exact.  "weight" is written for
 * the reader and recomputed from m and u, never read.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fsmatch.h"
#include "util.h"

#define MAXTOK 16

/* The shortest %g text that strtod reads back as v. */
static void
fmt_num(char *buf, size_t n, double v)
{
	if (v == floor(v) && fabs(v) < 1e15) {	/* 10, not 1e+01 */
		snprintf(buf, n, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void
put_num(FILE *f, const char *key, double v, int pin)
{
	char buf[40];

	fmt_num(buf, sizeof buf, v);
	fprintf(f, " %s %s%s", key, buf, pin ? " pin" : "");
}

static void
write_comp(const struct fs_model *model, int i, FILE *f)
{
	const struct fs_comp *c = &model->comp[i];

	fprintf(f, "\n%s %s%s%s%s\n", c->kind == FS_COLUMN ? "column" : "comparison", c->name,
	    c->tf ? " tf" : "", c->group[0] ? " group " : "", c->group);
	for (int l = 1; l < c->nlevels; l++) {
		fprintf(f, "level %s", fs_level_name(c->kind, l));
		put_num(f, "m", c->m[l], c->pin_m[l]);
		put_num(f, "u", c->u[l], c->pin_u[l]);
		fprintf(f, " weight %.3f\n", fs_level_weight(model, i, l));
	}
}

int
fs_params_write(const struct fs_model *model, FILE *f)
{
	char buf[40];

	fputs("# cdp match parameters: see cdp-match(5); weight = log2(m/u), not read\n"
	    "version 1\n", f);
	fmt_num(buf, sizeof buf, model->lambda);
	fprintf(f, "lambda %s%s\n", buf, model->pin_lambda ? " pin" : "");
	fmt_num(buf, sizeof buf, model->match_threshold);
	fprintf(f, "match-threshold %s\n", buf);
	fmt_num(buf, sizeof buf, model->review_threshold);
	fprintf(f, "review-threshold %s\n", buf);
	fmt_num(buf, sizeof buf, model->tf_floor);
	fprintf(f, "tf-floor %s\n", buf);
	for (int i = 0; i < model->ncomp; i++)
		write_comp(model, i, f);
	if (fflush(f) == EOF || ferror(f))
		return cdp_seterr("cannot write parameters: %s", strerror(errno));
	return 0;
}

/* ---- reading ---- */

struct parse {
	const char *name;
	int line;
	struct fs_model *model;
	struct fs_comp *cur;		/* the comparison level lines belong to */
	unsigned char seen[FS_MAX_COMP][FS_MAX_LEVELS];
	int nextra;
};

static int
perr(const struct parse *ps, const char *what, const char *arg)
{
	if (arg)
		return cdp_seterr("%s:%d: %s \"%s\"", ps->name, ps->line, what, arg);
	return cdp_seterr("%s:%d: %s", ps->name, ps->line, what);
}

/* A finite number in [lo, hi] (open at lo when open_lo). */
static int
get_num(const struct parse *ps, const char *tok, double lo, double hi, int open_lo, double *v)
{
	char *end;

	if (!tok)
		return perr(ps, "missing number", NULL);
	errno = 0;
	*v = strtod(tok, &end);
	if (*end || end == tok || errno || !isfinite(*v))
		return perr(ps, "not a number:", tok);
	if (*v < lo || *v > hi || (open_lo && *v == lo))
		return perr(ps, "number out of range:", tok);
	return 0;
}

/* The words after a comparison's name: "tf", "group NAME". */
static int
parse_comp_opts(struct parse *ps, struct fs_comp *c, char **tok, int ntok)
{
	for (int k = 2; k < ntok; k++) {
		if (strcmp(tok[k], "tf") == 0) {
			c->tf = 1;
		} else if (strcmp(tok[k], "group") == 0 && k + 1 < ntok) {
			if (strlen(tok[++k]) >= sizeof c->group)
				return perr(ps, "group name too long:", tok[k]);
			strcpy(c->group, tok[k]);
		} else {
			return perr(ps, "unexpected word", tok[k]);
		}
	}
	return 0;
}

/* "comparison NAME [tf] [group GROUP]" or "column NAME [tf] [group GROUP]". */
static int
parse_comp(struct parse *ps, char **tok, int ntok, int column)
{
	int kind = column ? FS_COLUMN : ntok > 1 ? fs_builtin_kind(tok[1]) : -1;
	int i;

	if (ntok < 2)
		return perr(ps, column ? "column without a name" : "comparison without a name", NULL);
	if (kind < 0)
		return perr(ps, "unknown comparison", tok[1]);
	if (column && fs_builtin_kind(tok[1]) >= 0)
		return perr(ps, "column with the name of a built-in comparison:", tok[1]);
	if (column && ps->nextra >= FS_MAX_EXTRA)
		return perr(ps, "too many columns", NULL);
	if ((i = fs_model_add(ps->model, kind, tok[1], column ? ps->nextra : 0)) < 0) {
		char why[256];

		snprintf(why, sizeof why, "%s", cdp_err());
		return cdp_seterr("%s:%d: %s", ps->name, ps->line, why);
	}
	ps->nextra += column;
	ps->cur = &ps->model->comp[i];
	ps->cur->tf = 0;
	return parse_comp_opts(ps, ps->cur, tok, ntok);
}

/* "m X [pin]" or "u X [pin]" at tok[*k]; advances *k. */
static int
parse_mu(struct parse *ps, char **tok, int ntok, int *k, int level)
{
	struct fs_comp *c = ps->cur;
	int is_m = strcmp(tok[*k], "m") == 0;
	double v;

	if (get_num(ps, *k + 1 < ntok ? tok[*k + 1] : NULL, 0, 1, 1, &v) < 0)
		return -1;
	(is_m ? c->m : c->u)[level] = v;
	*k += 2;
	if (*k < ntok && strcmp(tok[*k], "pin") == 0) {
		(is_m ? c->pin_m : c->pin_u)[level] = 1;
		++*k;
	}
	return 0;
}

/* "level NAME m X [pin] u Y [pin] [weight W]". */
static int
parse_level(struct parse *ps, char **tok, int ntok)
{
	struct fs_comp *c = ps->cur;
	int level = 1, k = 2;
	double w;

	if (!c)
		return perr(ps, "level before any comparison", NULL);
	if (ntok < 2)
		return perr(ps, "level without a name", NULL);
	while (level < c->nlevels && strcmp(fs_level_name(c->kind, level), tok[1]) != 0)
		level++;
	if (level == c->nlevels)
		return cdp_seterr("%s:%d: unknown level \"%s\" of %s", ps->name, ps->line,
		    tok[1], c->name);
	if (ps->seen[c - ps->model->comp][level]++)
		return perr(ps, "level given twice:", tok[1]);
	c->pin_m[level] = c->pin_u[level] = 0;
	while (k < ntok) {
		if (strcmp(tok[k], "m") == 0 || strcmp(tok[k], "u") == 0) {
			if (parse_mu(ps, tok, ntok, &k, level) < 0)
				return -1;
		} else if (strcmp(tok[k], "weight") == 0) {
			if (get_num(ps, k + 1 < ntok ? tok[k + 1] : NULL, -HUGE_VAL, HUGE_VAL, 0, &w) < 0)
				return -1;
			k += 2;
		} else {
			return perr(ps, "unexpected word", tok[k]);
		}
	}
	return 0;
}

/* lambda, thresholds, tf-floor, version. */
static int
parse_setting(struct parse *ps, char **tok, int ntok)
{
	struct fs_model *m = ps->model;
	const char *key = tok[0], *arg = ntok > 1 ? tok[1] : NULL;
	int maxtok = 2;
	double v;

	if (strcmp(key, "version") == 0) {
		if (!arg || strcmp(arg, "1") != 0)
			return perr(ps, "unsupported version", arg ? arg : "");
	} else if (strcmp(key, "lambda") == 0) {
		if (get_num(ps, arg, 0, 1, 1, &v) < 0)
			return -1;
		if (v >= 1)
			return perr(ps, "number out of range:", arg);
		m->lambda = v;
		m->pin_lambda = ntok > 2 && strcmp(tok[2], "pin") == 0;
		maxtok += m->pin_lambda;
	} else if (strcmp(key, "match-threshold") == 0 || strcmp(key, "review-threshold") == 0) {
		if (get_num(ps, arg, -HUGE_VAL, HUGE_VAL, 0, &v) < 0)
			return -1;
		*(key[0] == 'm' ? &m->match_threshold : &m->review_threshold) = v;
	} else if (strcmp(key, "tf-floor") == 0) {
		if (get_num(ps, arg, 0, 1, 1, &m->tf_floor) < 0)
			return -1;
	} else {
		return perr(ps, "unknown setting", key);
	}
	if (ntok > maxtok)
		return perr(ps, "unexpected word", tok[maxtok]);
	return 0;
}

/* Split line (modified in place) into words; a word starting "#" ends it. */
static int
split(char *line, char **tok)
{
	int n = 0;

	for (char *p = strtok(line, " \t\r"); p && n < MAXTOK; p = strtok(NULL, " \t\r")) {
		if (*p == '#')
			break;
		tok[n++] = p;
	}
	return n;
}

static int
parse_line(struct parse *ps, char *line)
{
	char *tok[MAXTOK];
	int ntok = split(line, tok);

	if (ntok == 0)
		return 0;
	if (ntok == MAXTOK)
		return perr(ps, "line too long", NULL);
	if (strcmp(tok[0], "comparison") == 0 || strcmp(tok[0], "column") == 0)
		return parse_comp(ps, tok, ntok, tok[0][1] == 'o' && tok[0][2] == 'l');
	if (strcmp(tok[0], "level") == 0)
		return parse_level(ps, tok, ntok);
	return parse_setting(ps, tok, ntok);
}

int
fs_params_parse(struct fs_model *model, const char *name, const char *text, size_t len)
{
	struct fs_model tmp;
	struct parse ps = { .name = name, .model = &tmp };
	const char *p = text, *end = text + len;

	fs_model_default(&tmp);
	tmp.ncomp = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line;
		int rc;

		ps.line++;
		if (memchr(p, '\0', n))
			return perr(&ps, "NUL byte in line", NULL);
		line = xstrndup(p, n);
		rc = parse_line(&ps, line);
		free(line);
		if (rc < 0)
			return -1;
		p += n + (nl != NULL);
	}
	if (tmp.ncomp == 0)
		return cdp_seterr("%s: no comparisons", name);
	if (tmp.review_threshold > tmp.match_threshold)
		return cdp_seterr("%s: review-threshold above match-threshold", name);
	*model = tmp;
	return 0;
}

int
fs_params_read(struct fs_model *model, const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n;
	int rc;

	if (!f)
		return cdp_seterr("%s: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	if (ferror(f)) {
		fclose(f);
		sb_free(&sb);
		return cdp_seterr("%s: %s", path, strerror(errno));
	}
	fclose(f);
	rc = fs_params_parse(model, path, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
	return rc;
}
