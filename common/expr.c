/*
 * expr.c - the segment language (see expr.h and cdp-segment(1)).
 *
 * Pipeline: lexer -> recursive-descent parser building an AST whose
 * names and types are resolved as it goes -> evaluator.
 *
 * Evaluation works on "frames": the rows of one segment.  A condition
 * yields one tri-state byte per row (F, U, T); a value yields a vector
 * (doubles for numbers, times and booleans; dictionary codes for
 * strings).  Behaviour functions (count, sum, ... over events) are
 * computed first, in one pass over the records segments, into arrays
 * indexed by the profile's global row; the profile frames then read
 * them like columns.  Property conditions inside a function ("where")
 * are evaluated by the same code over a records frame.
 *
 * Times are microseconds since the epoch, held in doubles: exact up to
 * 2^53 us, which is the year 2255.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "normalize.h"
#include "profiles.h"
#include "rx.h"

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (86400 * US_PER_SEC)

enum { F = 0, U = 1, T = 2 };	/* tri-state: and = min, or = max, not = 2 - x */
/* Nesting of parentheses, not and where (each a recursion). */
#define EXPR_MAX_DEPTH 200

/* ---- names ---------------------------------------------------------- */

void
expr_event_key(const char *s, size_t len, struct strbuf *out)
{
	int gap = 0;

	sb_reset(out);
	sb_grow(out, len + 1);
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

/* The closest name within a typo's reach, or NULL. */
static const char *
closest(const char *name, char *const *names, size_t n)
{
	return cdp_did_you_mean(name, (const char *const *)names, n);
}

static int
type_of_col(int ct)
{
	switch (ct) {
	case CT_INT:
	case CT_DEC:
		return ET_NUM;
	case CT_BOOL:
		return ET_BOOL;
	case CT_TIME:
		return ET_TIME;
	default:
		return ET_STR;
	}
}

static const char *
type_name(int t)
{
	switch (t) {
	case ET_BOOL:
		return "a boolean";
	case ET_NUM:
		return "a number";
	case ET_TIME:
		return "a time";
	default:
		return "a string";
	}
}

static long
find_name(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (long)i;
	return -1;
}

static void
add_name(char ***names, int **types, size_t *n, const char *name, int type)
{
	if (find_name(*names, *n, name) >= 0)
		return;
	*names = xreallocarray(*names, *n + 1, sizeof **names);
	if (types) {
		*types = xreallocarray(*types, *n + 1, sizeof **types);
		(*types)[*n] = type;
	}
	(*names)[(*n)++] = xstrdup(name);
}

void
expr_schema_add(struct expr_schema *s, int table, const char *name, int col_type)
{
	if (table == 'p') {
		add_name(&s->attrs, &s->attr_types, &s->nattrs, name, type_of_col(col_type));
		if (strncmp(name, "count_", 6) == 0 && name[6])
			add_name(&s->events, NULL, &s->nevents, name + 6, 0);
	} else if (table == 'r') {
		add_name(&s->props, &s->prop_types, &s->nprops, name, type_of_col(col_type));
	} else {
		add_name(&s->events, NULL, &s->nevents, name, 0);
	}
}

int
expr_schema_load(struct store *st, struct expr_schema *s)
{
	memset(s, 0, sizeof *s);
	s->pt = xcalloc(1, sizeof *s->pt);
	if (profiles_open(st, s->pt) < 0) {
		free(s->pt);
		s->pt = NULL;
		return -1;
	}
	s->psegs = s->pt->segs;
	s->npsegs = s->pt->nsegs;
	if (store_segments(st, "records", &s->rsegs, &s->nrsegs) < 0) {
		expr_schema_free(s);
		return -1;
	}
	/* A column's type is its type in the first segment that has it
	 * (virtual columns included: see profiles.h). */
	for (size_t c = 0; c < s->pt->ncols; c++)
		if (s->pt->cols[c][0] != '_')
			expr_schema_add(s, 'p', s->pt->cols[c], s->pt->types[c]);
	for (size_t i = 0; i < s->nrsegs; i++)
		for (size_t c = 0; c < s->rsegs[i]->ncols; c++)
			if (s->rsegs[i]->cols[c].name[0] != '_')
				expr_schema_add(s, 'r', s->rsegs[i]->cols[c].name, s->rsegs[i]->cols[c].type);
	return 0;
}

static void
names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
expr_schema_free(struct expr_schema *s)
{
	names_free(s->attrs, s->nattrs);
	names_free(s->props, s->nprops);
	names_free(s->events, s->nevents);
	free(s->attr_types);
	free(s->prop_types);
	if (s->pt) {
		profiles_close(s->pt);
		free(s->pt);
	}
	if (s->rsegs)
		store_segments_free(s->rsegs, s->nrsegs);
	memset(s, 0, sizeof *s);
}

int
expr_parse_duration(const char *s, int64_t *us)
{
	char *end;
	int neg = 0;
	long long n;
	int64_t unit;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!isdigit((unsigned char)*s))
		return -1;
	n = strtoll(s, &end, 10);
	if (strcmp(end, "s") == 0)
		unit = US_PER_SEC;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		unit = 60 * US_PER_SEC;
	else if (strcmp(end, "h") == 0)
		unit = 3600 * US_PER_SEC;
	else if (strcmp(end, "d") == 0)
		unit = US_PER_DAY;
	else if (strcmp(end, "w") == 0)
		unit = 7 * US_PER_DAY;
	else
		return -1;
	if (n < 0 || n > INT64_MAX / unit / 2)
		return -1;
	*us = (neg ? -1 : 1) * n * unit;
	return 0;
}

/* Midnight UTC that starts the day holding t. */
static int64_t
day_start(int64_t t)
{
	return t - ((t % US_PER_DAY) + US_PER_DAY) % US_PER_DAY;
}

int
expr_time_arg(const char *s, int64_t now, int day_end, int64_t *us)
{
	struct time_opts to = { NULL, 0, 0 };
	int fmt, day = 1;
	size_t n = strlen(s);

	if (strcasecmp(s, "now") == 0) {
		*us = now;
		day = 0;
	} else if (strcasecmp(s, "today") == 0 || strcasecmp(s, "yesterday") == 0) {
		*us = day_start(now) - (tolower((unsigned char)s[0]) == 'y' ? US_PER_DAY : 0);
	} else if ((s[0] == '-' || s[0] == '+') && n > 1 && isalpha((unsigned char)s[n - 1])) {
		if (expr_parse_duration(s, us) < 0 || (*us > 0 && now > INT64_MAX - *us) ||
		    (*us < 0 && now < INT64_MIN - *us))
			return -1;
		*us += now;
		day = 0;
	} else if (norm_time(s, n, &to, us, &fmt) == 0) {
		day = fmt == TF_DATE;
	} else {
		return -1;
	}
	if (day && day_end == EXPR_DAY_LAST)
		*us += US_PER_DAY - 1;
	else if (day && day_end == EXPR_DAY_AFTER)
		*us += US_PER_DAY;
	return 0;
}

/* ---- lexer ---------------------------------------------------------- */

enum tok {
	TK_EOF, TK_IDENT, TK_STR, TK_NUM, TK_DATE, TK_REL, TK_DUR,
	TK_LP, TK_RP, TK_COMMA, TK_DOT, TK_OP, TK_MATCH, TK_NMATCH,
};

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct token {
	int kind;
	int op;
	int quoted;		/* TK_IDENT written `like this` */
	const char *p;		/* where it starts in the source */
	size_t len;
	char *text;		/* TK_IDENT, TK_STR: the value (malloc'd) */
	double num;
	int64_t us;		/* TK_DATE, TK_REL, TK_DUR */
	int line, col;
};

struct parser {
	const char *src, *p;
	const struct expr_schema *s;
	struct token t;
	int64_t now;
	int in_where;		/* identifiers name event properties */
	int depth;		/* parentheses, not, where: below EXPR_MAX_DEPTH */
	const char *pos_p;	/* the last token's start and its position, */
	int pos_line, pos_col;	/* so lexing stays linear in the source */
	int err;
	struct expr *e;
};

/* Position of p in the source as line and column (characters),
 * counting on from q at line, col (pass src, 1, 1 to start over). */
static void
position_from(const char *q, const char *p, int *line, int *col)
{
	for (; q < p; q++) {
		if (*q == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)*q & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* Record the first error at token t; returns -1. */
static int
perr_at(struct parser *ps, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
perr_at(struct parser *ps, int line, int col, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	char *msg;

	if (ps->err)
		return -1;
	ps->err = 1;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		cdp_die(CDP_EXIT_FAIL, "out of memory");
	va_end(ap);
	sb_addf(&sb, "%d:%d: %s", line, col, msg);
	cdp_seterr("%s", sb.buf);
	free(msg);
	sb_free(&sb);
	return -1;
}

#define perr(ps, ...) perr_at((ps), (ps)->t.line, (ps)->t.col, __VA_ARGS__)

static int
is_ident_start(int c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static void
tok_describe(const struct token *t, struct strbuf *sb)
{
	if (t->kind == TK_EOF)
		sb_adds(sb, "the end of the expression");
	else
		sb_addf(sb, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->p);
}

static int
lex(struct parser *ps)
{
	struct token *t = &ps->t;
	const char *p = ps->p, *start;

	free(t->text);
	memset(t, 0, sizeof *t);
	while (isspace((unsigned char)*p))
		p++;
	start = p;
	t->p = p;
	if (!ps->pos_p || p < ps->pos_p) {
		ps->pos_p = ps->src;
		ps->pos_line = ps->pos_col = 1;
	}
	position_from(ps->pos_p, p, &ps->pos_line, &ps->pos_col);
	ps->pos_p = p;
	t->line = ps->pos_line;
	t->col = ps->pos_col;
	if (!*p) {
		t->kind = TK_EOF;
		ps->p = p;
		return 0;
	}
	if (*p == '"' || *p == '\'' || *p == '`') {
		char q = *p++;
		struct strbuf sb = STRBUF_INIT;

		while (*p && *p != q) {
			if (*p == '\\' && (p[1] == q || p[1] == '\\'))
				p++;
			sb_addc(&sb, *p++);
		}
		if (!*p) {
			sb_free(&sb);
			return perr(ps, "unterminated %s", q == '`' ? "quoted name" : "string");
		}
		p++;
		sb_addc(&sb, 0);
		sb.len--;
		t->kind = q == '`' ? TK_IDENT : TK_STR;
		t->quoted = q == '`';
		t->text = sb_detach(&sb, NULL);
	} else if (isdigit((unsigned char)*p) || ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
		const char *q = p + (*p == '-' || *p == '+');
		char buf[64];
		size_t n;

		while (isdigit((unsigned char)*q))
			q++;
		if (q - p == 4 && *q == '-' && isdigit((unsigned char)q[1])) {
			/* a date or timestamp: 2024-05-01, 2024-05-01T10:00:00Z */
			struct time_opts to = { NULL, 0, 0 };
			int fmt;

			while (isalnum((unsigned char)*q) || *q == '-' || *q == ':' || *q == '.' || *q == '+')
				q++;
			if (norm_time(p, (size_t)(q - p), &to, &t->us, &fmt) < 0) {
				t->len = (size_t)(q - p);
				return perr(ps, "'%.*s' is not a date or time (write 2024-05-01 or "
				    "2024-05-01T10:00:00Z)", (int)(q - p), p);
			}
			t->kind = TK_DATE;
		} else {
			if (*q == '.' && isdigit((unsigned char)q[1]))
				for (q++; isdigit((unsigned char)*q); q++)
					;
			while (isalpha((unsigned char)*q))
				q++;
			n = (size_t)(q - p);
			if (n >= sizeof buf)
				return perr(ps, "number too long");
			memcpy(buf, p, n);
			buf[n] = 0;
			if (isalpha((unsigned char)q[-1])) {
				if (expr_parse_duration(buf, &t->us) < 0)
					return perr(ps, "'%s' is not a number or a duration (units s, m, h, d, w)", buf);
				t->kind = *p == '-' || *p == '+' ? TK_REL : TK_DUR;
			} else {
				t->kind = TK_NUM;
				t->num = strtod(buf, NULL);
			}
		}
		p = q;
	} else if (is_ident_start((unsigned char)*p)) {
		const char *q = p;

		while (is_ident_char((unsigned char)*q) || (*q == '.' && is_ident_start((unsigned char)q[1])))
			q++;
		t->kind = TK_IDENT;
		t->text = xstrndup(p, (size_t)(q - p));
		p = q;
	} else {
		t->kind = TK_OP;
		switch (*p) {
		case '(':
			t->kind = TK_LP;
			p++;
			break;
		case ')':
			t->kind = TK_RP;
			p++;
			break;
		case ',':
			t->kind = TK_COMMA;
			p++;
			break;
		case '.':
			t->kind = TK_DOT;
			p++;
			break;
		case '~':
			t->kind = TK_MATCH;
			p++;
			break;
		case '=':
			t->op = OP_EQ;
			p += p[1] == '=' ? 2 : 1;
			break;
		case '!':
			if (p[1] == '=') {
				t->op = OP_NE;
				p += 2;
			} else if (p[1] == '~') {
				t->kind = TK_NMATCH;
				p += 2;
			} else {
				t->len = 1;
				return perr(ps, "unexpected '!' (write != or !~, or use not)");
			}
			break;
		case '<':
			if (p[1] == '>') {
				t->op = OP_NE;
				p += 2;
			} else {
				t->op = p[1] == '=' ? OP_LE : OP_LT;
				p += p[1] == '=' ? 2 : 1;
			}
			break;
		case '>':
			t->op = p[1] == '=' ? OP_GE : OP_GT;
			p += p[1] == '=' ? 2 : 1;
			break;
		default:
			t->len = 1;
			return perr(ps, "unexpected character '%c'", *p);
		}
	}
	t->len = (size_t)(p - start);
	ps->p = p;
	return 0;
}

static int
is_kw(const struct token *t, const char *kw)
{
	return t->kind == TK_IDENT && !t->quoted && strcasecmp(t->text, kw) == 0;
}

/* ---- the tree -------------------------------------------------------- */

enum node_kind {
	N_AND, N_OR, N_NOT, N_CMP, N_IN, N_MATCH, N_ISNULL, N_TRUTH,
	N_ATTR, N_PROP, N_LIT, N_FUNC,
};

enum fn { FN_COUNT, FN_SUM, FN_MIN, FN_MAX, FN_AVG, FN_FIRST, FN_LAST };
static const char *const fn_names[] = { "count", "sum", "min", "max", "avg", "first", "last", NULL };

struct node {
	int kind, type, op, negate;
	int line, col;
	struct node *a, *b;
	struct node **list;	/* N_IN: literals */
	size_t nlist;
	char *name;		/* N_ATTR, N_PROP (the property as written) */
	double num;		/* N_LIT non-string */
	char *str;		/* N_LIT string */
	struct rx *re;		/* N_MATCH */
	/* N_FUNC */
	int fn;
	char *event;		/* normalized */
	struct node *prop;	/* N_PROP for sum/min/max/avg */
	struct node *where;
	int64_t within;		/* the window, when has_within */
	int has_within;
	double *fval;		/* per global profile row */
	uint8_t *fnull;
	uint64_t *fcnt;
	struct node *next_fn;	/* list of every function node */
};

struct expr {
	struct node *root;
	struct node *fns;
	int64_t now;
	char **attrs;		/* profile columns read */
	size_t nattrs;
};

static struct node *
node_new(struct parser *ps, int kind, const struct token *at)
{
	struct node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = at ? at->line : ps->t.line;
	n->col = at ? at->col : ps->t.col;
	return n;
}

static void
node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	for (size_t i = 0; i < n->nlist; i++)
		node_free(n->list[i]);
	free(n->list);
	free(n->name);
	free(n->str);
	rx_free(n->re);
	free(n->event);
	node_free(n->prop);
	node_free(n->where);
	free(n->fval);
	free(n->fnull);
	free(n->fcnt);
	free(n);
}

void
expr_free(struct expr *e)
{
	if (!e)
		return;
	node_free(e->root);
	names_free(e->attrs, e->nattrs);
	free(e);
}

size_t
expr_attrs(const struct expr *e, const char ***names)
{
	*names = (const char **)e->attrs;
	return e->nattrs;
}

/* ---- parser ---------------------------------------------------------- */

static struct node *parse_or(struct parser *ps);
static int next_is_lp(const char *p);

static int
expect(struct parser *ps, int kind, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	if (ps->t.kind == kind)
		return lex(ps);
	tok_describe(&ps->t, &sb);
	perr(ps, "expected %s, found %s", what, sb.buf);
	sb_free(&sb);
	return -1;
}

/* A profile attribute or (inside where) an event property. */
static struct node *
resolve_name(struct parser *ps, const struct token *at, const char *name)
{
	const struct expr_schema *s = ps->s;
	struct node *n;
	long i;

	if (ps->in_where) {
		struct strbuf alt = STRBUF_INIT;

		i = find_name(s->props, s->nprops, name);
		if (i < 0) {
			sb_addf(&alt, "properties.%s", name);
			i = find_name(s->props, s->nprops, alt.buf);
		}
		sb_free(&alt);
		if (i < 0) {
			const char *m = closest(name, s->props, s->nprops);

			if (m)
				perr_at(ps, at->line, at->col, "unknown property '%s' (did you mean '%s'?)", name, m);
			else
				perr_at(ps, at->line, at->col, "unknown property '%s'", name);
			return NULL;
		}
		n = node_new(ps, N_PROP, at);
		n->name = xstrdup(s->props[i]);
		n->type = s->prop_types[i];
		return n;
	}
	i = name[0] == '_' ? -1 : find_name(s->attrs, s->nattrs, name);
	if (i < 0) {
		const char *m = closest(name, s->attrs, s->nattrs);

		if (m)
			perr_at(ps, at->line, at->col, "unknown attribute '%s' (did you mean '%s'?)", name, m);
		else
			perr_at(ps, at->line, at->col, "unknown attribute '%s'", name);
		return NULL;
	}
	n = node_new(ps, N_ATTR, at);
	n->name = xstrdup(s->attrs[i]);
	n->type = s->attr_types[i];
	if (find_name(ps->e->attrs, ps->e->nattrs, n->name) < 0)
		add_name(&ps->e->attrs, NULL, &ps->e->nattrs, n->name, 0);
	return n;
}

static int
resolve_event(struct parser *ps, const struct token *at, const char *written, char **out)
{
	struct strbuf key = STRBUF_INIT;
	const char *m;

	expr_event_key(written, strlen(written), &key);
	sb_addc(&key, 0);
	if (find_name(ps->s->events, ps->s->nevents, key.buf) >= 0) {
		*out = sb_detach(&key, NULL);
		return 0;
	}
	m = closest(key.buf, ps->s->events, ps->s->nevents);
	if (m)
		perr_at(ps, at->line, at->col, "unknown event '%s' (did you mean '%s'?)", written, m);
	else
		perr_at(ps, at->line, at->col, "unknown event '%s'", written);
	sb_free(&key);
	return -1;
}

/* count(EVENT [where COND] [within DUR]), sum(EVENT.PROP ...), first(EVENT ...) */
static struct node *
parse_func(struct parser *ps, int fn, const struct token *at)
{
	struct node *n = node_new(ps, N_FUNC, at);
	struct token evt;
	char *prop = NULL;

	n->fn = fn;
	if (lex(ps) < 0 || expect(ps, TK_LP, "'('") < 0)
		goto fail;
	evt = ps->t;
	evt.text = NULL;
	if (ps->t.kind != TK_IDENT && ps->t.kind != TK_STR) {
		perr(ps, "expected an event name in %s()", fn_names[fn]);
		goto fail;
	}
	{
		char *written = xstrdup(ps->t.text);
		int quoted = ps->t.kind == TK_STR;
		char *dot = quoted ? NULL : strchr(written, '.');

		if (dot) {
			*dot = 0;
			prop = xstrdup(dot + 1);
		}
		if (lex(ps) < 0 || resolve_event(ps, &evt, written, &n->event) < 0) {
			free(written);
			goto fail;
		}
		free(written);
		if (quoted && ps->t.kind == TK_DOT) {
			if (lex(ps) < 0)
				goto fail;
			if (ps->t.kind != TK_IDENT) {
				perr(ps, "expected a property name after '.'");
				goto fail;
			}
			prop = xstrdup(ps->t.text);
			if (lex(ps) < 0)
				goto fail;
		}
	}
	if (fn == FN_COUNT || fn == FN_FIRST || fn == FN_LAST) {
		if (prop) {
			perr_at(ps, evt.line, evt.col, "%s() takes an event, not a property (%s(%s))",
			    fn_names[fn], fn_names[fn], n->event);
			goto fail;
		}
		n->type = fn == FN_COUNT ? ET_NUM : ET_TIME;
	} else {
		if (!prop) {
			perr_at(ps, evt.line, evt.col, "%s() wants EVENT.PROPERTY, e.g. %s(%s.amount)",
			    fn_names[fn], fn_names[fn], n->event);
			goto fail;
		}
		ps->in_where = 1;
		n->prop = resolve_name(ps, &evt, prop);
		ps->in_where = 0;
		if (!n->prop)
			goto fail;
		if (n->prop->type != ET_NUM && !(n->prop->type == ET_TIME && (fn == FN_MIN || fn == FN_MAX))) {
			perr_at(ps, evt.line, evt.col, "%s() wants a numeric property; '%s' is %s",
			    fn_names[fn], prop, type_name(n->prop->type));
			goto fail;
		}
		n->type = n->prop->type;
	}
	if (is_kw(&ps->t, "where")) {
		if (lex(ps) < 0)
			goto fail;
		ps->in_where = 1;
		n->where = parse_or(ps);
		ps->in_where = 0;
		if (!n->where)
			goto fail;
	}
	if (is_kw(&ps->t, "within")) {
		if (lex(ps) < 0)
			goto fail;
		if (ps->t.kind != TK_DUR && ps->t.kind != TK_REL) {
			perr(ps, "expected a duration after within (7d, 12h, 30m, 2w)");
			goto fail;
		}
		n->within = ps->t.us < 0 ? -ps->t.us : ps->t.us;
		n->has_within = 1;
		if (lex(ps) < 0)
			goto fail;
	}
	if (expect(ps, TK_RP, is_kw(&ps->t, "where") ? "')' (write where before within)" :
	    "')' or within or where") < 0)
		goto fail;
	free(prop);
	n->next_fn = ps->e->fns;
	ps->e->fns = n;
	return n;
fail:
	free(prop);
	node_free(n);
	return NULL;
}

/* A literal, an attribute or a function; NULL after an error. */
static struct node *
parse_value(struct parser *ps)
{
	struct token at = ps->t;
	struct node *n;

	at.text = NULL;
	switch (ps->t.kind) {
	case TK_NUM:
		n = node_new(ps, N_LIT, &at);
		n->type = ET_NUM;
		n->num = ps->t.num;
		break;
	case TK_STR:
		n = node_new(ps, N_LIT, &at);
		n->type = ET_STR;
		n->str = xstrdup(ps->t.text);
		break;
	case TK_DATE:
	case TK_REL:
		n = node_new(ps, N_LIT, &at);
		n->type = ET_TIME;
		n->num = (double)(ps->t.kind == TK_DATE ? ps->t.us : ps->now + ps->t.us);
		break;
	case TK_DUR:
		perr(ps, "a duration is not a time: write -%.*s for %.*s ago", (int)ps->t.len, ps->t.p,
		    (int)ps->t.len, ps->t.p);
		return NULL;
	case TK_IDENT:
		if (is_kw(&ps->t, "true") || is_kw(&ps->t, "false")) {
			n = node_new(ps, N_LIT, &at);
			n->type = ET_BOOL;
			n->num = is_kw(&ps->t, "true");
		} else if (is_kw(&ps->t, "now") || is_kw(&ps->t, "today") || is_kw(&ps->t, "yesterday")) {
			int64_t day = day_start(ps->now);

			n = node_new(ps, N_LIT, &at);
			n->type = ET_TIME;
			n->num = (double)(is_kw(&ps->t, "now") ? ps->now :
			    is_kw(&ps->t, "today") ? day : day - US_PER_DAY);
		} else if (is_kw(&ps->t, "null")) {
			perr(ps, "null is not a value: write 'is null' or 'is not null'");
			return NULL;
		} else if (!ps->t.quoted && next_is_lp(ps->p)) {
			/* only a name directly followed by '(' is a call */
			for (int f = 0; fn_names[f]; f++)
				if (strcasecmp(ps->t.text, fn_names[f]) == 0)
					return parse_func(ps, f, &at);
			perr(ps, "unknown function '%s' (count, sum, min, max, avg, first, last)", ps->t.text);
			return NULL;
		} else {
			n = resolve_name(ps, &at, ps->t.text);
			if (!n)
				return NULL;
		}
		break;
	default: {
		struct strbuf sb = STRBUF_INIT;

		tok_describe(&ps->t, &sb);
		perr(ps, "expected a value, found %s", sb.buf);
		sb_free(&sb);
		return NULL;
	}
	}
	if (lex(ps) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

static const char *
describe_operand(const struct node *n, struct strbuf *sb)
{
	sb_reset(sb);
	if (n->kind == N_ATTR || n->kind == N_PROP)
		sb_addf(sb, "'%s' (%s)", n->name, type_name(n->type));
	else if (n->kind == N_FUNC)
		sb_addf(sb, "%s(%s) (%s)", fn_names[n->fn], n->event, type_name(n->type));
	else
		sb_adds(sb, type_name(n->type));
	return sb->buf;
}

static int
check_types(struct parser *ps, const struct node *a, const struct node *b, int op)
{
	struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT;
	int r = 0;

	if (a->type != b->type) {
		describe_operand(a, &sa);
		describe_operand(b, &sb);
		if (a->type == ET_TIME && b->type == ET_STR && b->kind == N_LIT)
			r = perr_at(ps, b->line, b->col, "cannot compare %s with a string: write a time "
			    "without quotes (2024-05-01, -30d, today)", sa.buf);
		else if (a->type == ET_NUM && b->type == ET_STR && b->kind == N_LIT)
			r = perr_at(ps, b->line, b->col, "cannot compare %s with a string: write the "
			    "number without quotes", sa.buf);
		else
			r = perr_at(ps, b->line, b->col, "cannot compare %s with %s", sa.buf, sb.buf);
	} else if (a->type == ET_BOOL && op != OP_EQ && op != OP_NE) {
		r = perr_at(ps, b->line, b->col, "booleans compare only with = and !=");
	}
	sb_free(&sa);
	sb_free(&sb);
	return r;
}

/* Is the next word "in"?  (to tell "x not in (...)" from "x not ...") */
static int
next_is_in(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return strncasecmp(p, "in", 2) == 0 && !is_ident_char((unsigned char)p[2]);
}

/* Does a '(' follow (a call, not an attribute)? */
static int
next_is_lp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '(';
}

static struct node *
parse_pred(struct parser *ps)
{
	struct node *a, *n;
	struct token at;

	if (ps->t.kind == TK_LP) {
		if (lex(ps) < 0)
			return NULL;
		n = parse_or(ps);
		if (!n)
			return NULL;
		if (expect(ps, TK_RP, "')'") < 0) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	a = parse_value(ps);
	if (!a)
		return NULL;
	at = ps->t;
	at.text = NULL;
	if (ps->t.kind == TK_OP) {
		n = node_new(ps, N_CMP, &at);
		n->op = ps->t.op;
		n->a = a;
		if (lex(ps) < 0 || !(n->b = parse_value(ps)) || check_types(ps, a, n->b, n->op) < 0)
			goto fail;
		return n;
	}
	if (ps->t.kind == TK_MATCH || ps->t.kind == TK_NMATCH) {
		char buf[200];

		n = node_new(ps, N_MATCH, &at);
		n->negate = ps->t.kind == TK_NMATCH;
		n->a = a;
		if (lex(ps) < 0)
			goto fail;
		if (a->type != ET_STR) {
			struct strbuf sb = STRBUF_INIT;

			perr_at(ps, at.line, at.col, "~ matches strings; %s is not one", describe_operand(a, &sb));
			sb_free(&sb);
			goto fail;
		}
		if (ps->t.kind != TK_STR) {
			perr(ps, "expected a regular expression in quotes after ~");
			goto fail;
		}
		n->re = rx_compile(ps->t.text, strlen(ps->t.text), buf, sizeof buf);
		if (!n->re) {
			perr(ps, "bad regular expression: %s", buf);
			goto fail;
		}
		if (lex(ps) < 0)
			goto fail;
		return n;
	}
	if (is_kw(&ps->t, "is")) {
		n = node_new(ps, N_ISNULL, &at);
		n->a = a;
		if (lex(ps) < 0)
			goto fail;
		if (is_kw(&ps->t, "not")) {
			n->negate = 1;
			if (lex(ps) < 0)
				goto fail;
		}
		if (!is_kw(&ps->t, "null")) {
			perr(ps, "expected null after 'is%s'", n->negate ? " not" : "");
			goto fail;
		}
		if (lex(ps) < 0)
			goto fail;
		return n;
	}
	if (is_kw(&ps->t, "in") || (is_kw(&ps->t, "not") && next_is_in(ps->p))) {
		n = node_new(ps, N_IN, &at);
		n->a = a;
		if (is_kw(&ps->t, "not")) {
			n->negate = 1;
			if (lex(ps) < 0)
				goto fail;
		}
		if (lex(ps) < 0 || expect(ps, TK_LP, "'(' after in") < 0)
			goto fail;
		for (;;) {
			struct node *v = parse_value(ps);

			if (!v)
				goto fail;
			n->list = xreallocarray(n->list, n->nlist + 1, sizeof *n->list);
			n->list[n->nlist++] = v;
			if (v->kind != N_LIT) {
				perr_at(ps, v->line, v->col, "in (...) takes literal values");
				goto fail;
			}
			if (check_types(ps, a, v, OP_EQ) < 0)
				goto fail;
			if (ps->t.kind == TK_RP)
				break;
			if (expect(ps, TK_COMMA, "',' or ')'") < 0)
				goto fail;
		}
		if (lex(ps) < 0)
			goto fail;
		return n;
	}
	if (a->type == ET_BOOL) {
		n = node_new(ps, N_TRUTH, NULL);
		n->line = a->line;
		n->col = a->col;
		n->a = a;
		return n;
	}
	{
		struct strbuf sb = STRBUF_INIT;

		if (ps->t.kind == TK_EOF || ps->t.kind == TK_RP || is_kw(&ps->t, "and") || is_kw(&ps->t, "or") ||
		    is_kw(&ps->t, "within"))
			perr_at(ps, a->line, a->col, "%s is not a condition: compare it (=, <, in, ~, is null)",
			    describe_operand(a, &sb));
		else {
			tok_describe(&ps->t, &sb);
			perr(ps, "expected an operator (= != < <= > >= in ~ is), found %s", sb.buf);
		}
		sb_free(&sb);
	}
	node_free(a);
	return NULL;
fail:
	node_free(n);
	return NULL;
}

/*
 * The parser recurses once per '(', 'not' and where-clause, and so do
 * evaluation and freeing: bound the depth so no input can exhaust the
 * stack.  Returns -1 with a positioned error past the bound.
 */
static int
enter(struct parser *ps)
{
	if (ps->depth >= EXPR_MAX_DEPTH)
		return perr(ps, "expression nested deeper than %d levels (parentheses, not)", EXPR_MAX_DEPTH);
	ps->depth++;
	return 0;
}

static struct node *
parse_not(struct parser *ps)
{
	if (is_kw(&ps->t, "not")) {
		struct node *n;

		if (enter(ps) < 0)
			return NULL;
		n = node_new(ps, N_NOT, NULL);
		if (lex(ps) < 0 || !(n->a = parse_not(ps))) {
			node_free(n);
			n = NULL;
		}
		ps->depth--;
		return n;
	}
	return parse_pred(ps);
}

/* v[0] kind v[1] kind ... as a balanced tree: and and or are
 * associative, and a chain of any length then costs evaluation and
 * freeing only log2(n) levels of recursion. */
static struct node *
balance(struct parser *ps, int kind, struct node **v, size_t n)
{
	struct node *nd;

	if (n == 1)
		return v[0];
	nd = node_new(ps, kind, NULL);
	nd->a = balance(ps, kind, v, n / 2);
	nd->b = balance(ps, kind, v + n / 2, n - n / 2);
	return nd;
}

/* sub (kw sub)... */
static struct node *
parse_chain(struct parser *ps, int kind, const char *kw, struct node *(*sub)(struct parser *))
{
	struct node **v = NULL, *n;
	size_t nv = 0, cap = 0;

	for (;;) {
		if (!(n = sub(ps)))
			goto fail;
		if (nv == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
		v[nv++] = n;
		if (!is_kw(&ps->t, kw))
			break;
		if (lex(ps) < 0)
			goto fail;
	}
	n = balance(ps, kind, v, nv);
	free(v);
	return n;
fail:
	for (size_t i = 0; i < nv; i++)
		node_free(v[i]);
	free(v);
	return NULL;
}

static struct node *
parse_and(struct parser *ps)
{
	return parse_chain(ps, N_AND, "and", parse_not);
}

static struct node *
parse_or(struct parser *ps)
{
	struct node *l;

	if (enter(ps) < 0)
		return NULL;
	l = parse_chain(ps, N_OR, "or", parse_and);
	ps->depth--;
	return l;
}

struct expr *
expr_compile(const char *src, const struct expr_schema *s, int64_t now)
{
	struct parser ps;
	struct expr *e = xcalloc(1, sizeof *e);

	memset(&ps, 0, sizeof ps);
	ps.src = ps.p = src;
	ps.s = s;
	ps.now = now;
	ps.e = e;
	e->now = now;
	if (lex(&ps) < 0)
		goto fail;
	if (ps.t.kind == TK_EOF) {
		perr(&ps, "empty expression");
		goto fail;
	}
	e->root = parse_or(&ps);
	if (!e->root)
		goto fail;
	if (ps.t.kind != TK_EOF) {
		struct strbuf sb = STRBUF_INIT;

		tok_describe(&ps.t, &sb);
		perr(&ps, "unexpected %s (join conditions with and, or)", sb.buf);
		sb_free(&sb);
		goto fail;
	}
	free(ps.t.text);
	return e;
fail:
	free(ps.t.text);
	/* function nodes are owned by the tree, which the parser freed */
	e->fns = NULL;
	expr_free(e);
	return NULL;
}

/* ---- evaluation: frames and vectors ---------------------------------- */

/* The rows of one segment, with its columns read on demand. */
struct frame {
	struct segment *seg;
	size_t n;
	size_t base;		/* global row of row 0 (profiles) */
	struct colvec *cols;
	uint8_t *loaded;
	struct expr_stats *stats;
	struct profiles *pt;	/* profiles: the table's virtual columns */
	size_t segno;
	struct colvec vcols[PROFILES_NRFM];
	uint8_t vloaded[PROFILES_NRFM];
};

static void
frame_init(struct frame *f, struct segment *seg, size_t base, struct expr_stats *stats)
{
	f->seg = seg;
	f->n = seg->nrows;
	f->base = base;
	f->cols = xcalloc(seg->ncols ? seg->ncols : 1, sizeof *f->cols);
	f->loaded = xcalloc(seg->ncols ? seg->ncols : 1, 1);
	f->stats = stats;
	f->pt = NULL;
	f->segno = 0;
	memset(f->vloaded, 0, sizeof f->vloaded);
}

static void
frame_free(struct frame *f)
{
	for (size_t i = 0; i < f->seg->ncols; i++)
		if (f->loaded[i])
			colvec_free(&f->cols[i]);
	for (int k = 0; k < PROFILES_NRFM; k++)
		if (f->vloaded[k])
			colvec_free(&f->vcols[k]);
	free(f->cols);
	free(f->loaded);
}

/* A virtual column of a profiles frame (see profiles.h). */
static int
frame_virtual(struct frame *f, int k, const struct colvec **out)
{
	if (!f->vloaded[k]) {
		if (profiles_col(f->pt, f->segno, profiles_rfm_names[k], &f->vcols[k]) < 0)
			return -1;
		f->vloaded[k] = 1;
		if (f->stats)
			f->stats->columns_read++;
	}
	*out = &f->vcols[k];
	return 0;
}

/* Column name of this frame, or NULL (all null) if the segment lacks it.
 * -1 on a read error. */
static int
frame_col(struct frame *f, const char *name, const struct colvec **out)
{
	int idx;

	*out = NULL;
	for (int k = 0; f->pt && k < PROFILES_NRFM; k++)
		if (strcmp(name, profiles_rfm_names[k]) == 0)
			return frame_virtual(f, k, out);
	idx = segment_col_index(f->seg, name);
	if (idx < 0)
		return 0;
	if (!f->loaded[idx]) {
		if (segment_read(f->seg, idx, &f->cols[idx]) < 0)
			return -1;
		f->loaded[idx] = 1;
		if (f->stats)
			f->stats->columns_read++;
	}
	*out = &f->cols[idx];
	return 0;
}

/* A value per row, or one constant. */
struct vec {
	int type;
	size_t n;
	int cst;		/* constant: cd / cs, cnull */
	double cd;
	const char *cs;
	int cnull;
	const double *d;	/* non-string rows */
	const uint8_t *nul;	/* 1 = null; NULL: none */
	const struct colvec *cv;	/* ET_STR rows (codes, dictionary) */
	double *own_d;
	uint8_t *own_nul;
	struct colvec *own_cv;
};

static void
vec_free(struct vec *v)
{
	free(v->own_d);
	free(v->own_nul);
	if (v->own_cv) {
		colvec_free(v->own_cv);
		free(v->own_cv);
	}
	memset(v, 0, sizeof *v);
}

static inline int
vec_isnull(const struct vec *v, size_t i)
{
	if (v->cst)
		return v->cnull;
	if (v->nul)
		return v->nul[i];
	return v->cv && colvec_isnull(v->cv, i);
}

static inline double
vec_d(const struct vec *v, size_t i)
{
	return v->cst ? v->cd : v->d[i];
}

static inline const char *
vec_s(const struct vec *v, size_t i)
{
	return v->cst ? v->cs : colvec_str(v->cv, i, NULL);
}

/* Parse dictionary text as a value of type want; -1 if it is not one. */
static int
text_value(const char *s, int want, double *out)
{
	char *end;

	if (want == ET_NUM) {
		if (!*s)
			return -1;
		*out = strtod(s, &end);
		return *end ? -1 : 0;
	}
	if (want == ET_BOOL) {
		if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
			*out = 1;
		else if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
			*out = 0;
		else
			return -1;
		return 0;
	}
	{
		struct time_opts to = { NULL, 0, 0 };
		int64_t us;
		int fmt;

		if (norm_time(s, strlen(s), &to, &us, &fmt) < 0)
			return -1;
		*out = (double)us;
		return 0;
	}
}

/* A vector of type want from a column (any stored type), or all null. */
static void
vec_from_col(struct vec *v, const struct colvec *cv, size_t n, int want)
{
	memset(v, 0, sizeof *v);
	v->type = want;
	v->n = n;
	if (!cv) {
		v->cst = 1;
		v->cnull = 1;
		return;
	}
	if (want == ET_STR) {
		if (cv->type == CT_STR) {
			v->cv = cv;
		} else {
			struct strbuf sb = STRBUF_INIT;

			v->own_cv = xcalloc(1, sizeof *v->own_cv);
			colvec_init(v->own_cv, CT_STR);
			for (size_t i = 0; i < n; i++) {
				if (colvec_isnull(cv, i)) {
					colvec_push_null(v->own_cv);
					continue;
				}
				sb_reset(&sb);
				colvec_format(cv, i, &sb);
				colvec_push_str(v->own_cv, sb.buf, sb.len);
			}
			sb_free(&sb);
			v->cv = v->own_cv;
		}
	} else {
		double *d = xmalloc((n ? n : 1) * sizeof *d);

		v->own_d = d;
		v->d = d;
		if (cv->type == CT_STR) {
			double *dv = xmalloc((cv->ndict ? cv->ndict : 1) * sizeof *dv);
			uint8_t *bad = xcalloc(cv->ndict ? cv->ndict : 1, 1);

			for (size_t k = 0; k < cv->ndict; k++)
				bad[k] = text_value(cv->ddata + cv->doff[k], want, &dv[k]) < 0;
			v->own_nul = xcalloc(n ? n : 1, 1);
			for (size_t i = 0; i < n; i++) {
				if (colvec_isnull(cv, i) || bad[cv->codes[i]]) {
					v->own_nul[i] = 1;
					d[i] = 0;
				} else {
					d[i] = dv[cv->codes[i]];
				}
			}
			free(dv);
			free(bad);
		} else if (cv->type == CT_DEC) {
			for (size_t i = 0; i < n; i++)
				d[i] = dec_to_double(cv->iv[i]);
		} else {
			for (size_t i = 0; i < n; i++)
				d[i] = (double)cv->iv[i];
		}
		if (cv->nnull && !v->own_nul) {
			v->own_nul = xmalloc(n ? n : 1);
			for (size_t i = 0; i < n; i++)
				v->own_nul[i] = colvec_isnull(cv, i);
		}
		v->nul = v->own_nul;
	}
}

static int eval_cond(struct node *nd, struct frame *f, uint8_t *out);

static int
eval_value(struct node *nd, struct frame *f, struct vec *v)
{
	const struct colvec *cv;

	memset(v, 0, sizeof *v);
	v->n = f->n;
	v->type = nd->type;
	switch (nd->kind) {
	case N_LIT:
		v->cst = 1;
		v->cd = nd->num;
		v->cs = nd->str;
		return 0;
	case N_ATTR:
	case N_PROP:
		if (frame_col(f, nd->name, &cv) < 0)
			return -1;
		vec_from_col(v, cv, f->n, nd->type);
		return 0;
	case N_FUNC:
		v->d = nd->fval + f->base;
		v->nul = nd->fnull + f->base;
		return 0;
	}
	return cdp_seterr("internal error: not a value");
}

static inline uint8_t
cmp_d(double a, double b, int op)
{
	switch (op) {
	case OP_EQ:
		return a == b ? T : F;
	case OP_NE:
		return a != b ? T : F;
	case OP_LT:
		return a < b ? T : F;
	case OP_LE:
		return a <= b ? T : F;
	case OP_GT:
		return a > b ? T : F;
	default:
		return a >= b ? T : F;
	}
}

static inline uint8_t
cmp_s(const char *a, const char *b, int op)
{
	int c = strcmp(a, b);

	return cmp_d(c, 0, op);
}

/* a op b  ==  b mirror(op) a */
static int
mirror(int op)
{
	switch (op) {
	case OP_LT:
		return OP_GT;
	case OP_LE:
		return OP_GE;
	case OP_GT:
		return OP_LT;
	case OP_GE:
		return OP_LE;
	default:
		return op;
	}
}

/*
 * For each row with a string value, look the verdict up per dictionary
 * entry: the predicate runs once per distinct value, not once per row.
 */
static void
str_rows(const struct vec *a, const uint8_t *dict_res, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = vec_isnull(a, i) ? U : dict_res[a->cv->codes[i]];
}

static void
eval_cmp(int op, struct vec *a, struct vec *b, size_t n, uint8_t *out)
{
	if (a->cst && !b->cst) {
		struct vec *t = a;

		a = b;
		b = t;
		op = mirror(op);
	}
	if (a->type == ET_STR) {
		if (b->cst && !a->cst) {
			uint8_t *res = xmalloc(a->cv->ndict ? a->cv->ndict : 1);

			for (size_t k = 0; k < a->cv->ndict; k++)
				res[k] = b->cnull ? U : cmp_s(a->cv->ddata + a->cv->doff[k], b->cs, op);
			str_rows(a, res, n, out);
			free(res);
			return;
		}
		for (size_t i = 0; i < n; i++)
			out[i] = vec_isnull(a, i) || vec_isnull(b, i) ? U : cmp_s(vec_s(a, i), vec_s(b, i), op);
		return;
	}
	if (b->cst && !a->cst) {
		double c = b->cd;

		if (b->cnull) {
			memset(out, U, n);
			return;
		}
		/* the hot loop: one column against a constant */
		for (size_t i = 0; i < n; i++)
			out[i] = cmp_d(a->d[i], c, op);
		if (a->nul)
			for (size_t i = 0; i < n; i++)
				if (a->nul[i])
					out[i] = U;
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = vec_isnull(a, i) || vec_isnull(b, i) ? U : cmp_d(vec_d(a, i), vec_d(b, i), op);
}

static uint8_t
in_list_s(const struct node *nd, const char *s)
{
	for (size_t k = 0; k < nd->nlist; k++)
		if (strcmp(s, nd->list[k]->str) == 0)
			return nd->negate ? F : T;
	return nd->negate ? T : F;
}

static uint8_t
in_list_d(const struct node *nd, double d)
{
	for (size_t k = 0; k < nd->nlist; k++)
		if (d == nd->list[k]->num)
			return nd->negate ? F : T;
	return nd->negate ? T : F;
}

static uint8_t
match_s(const struct node *nd, const char *s)
{
	int m = rx_match(nd->re, s, strlen(s));

	return m != nd->negate ? T : F;
}

static int
eval_leaf(struct node *nd, struct frame *f, uint8_t *out)
{
	struct vec a, b;
	size_t n = f->n;

	if (eval_value(nd->a, f, &a) < 0)
		return -1;
	switch (nd->kind) {
	case N_CMP:
		if (eval_value(nd->b, f, &b) < 0) {
			vec_free(&a);
			return -1;
		}
		eval_cmp(nd->op, &a, &b, n, out);
		vec_free(&b);
		break;
	case N_ISNULL:
		for (size_t i = 0; i < n; i++)
			out[i] = vec_isnull(&a, i) != nd->negate ? T : F;
		break;
	case N_TRUTH:
		for (size_t i = 0; i < n; i++)
			out[i] = vec_isnull(&a, i) ? U : vec_d(&a, i) != 0 ? T : F;
		break;
	case N_IN:
	case N_MATCH:
		if (a.type == ET_STR && !a.cst) {
			uint8_t *res = xmalloc(a.cv->ndict ? a.cv->ndict : 1);

			for (size_t k = 0; k < a.cv->ndict; k++) {
				const char *s = a.cv->ddata + a.cv->doff[k];

				res[k] = nd->kind == N_IN ? in_list_s(nd, s) : match_s(nd, s);
			}
			str_rows(&a, res, n, out);
			free(res);
		} else {
			for (size_t i = 0; i < n; i++) {
				if (vec_isnull(&a, i))
					out[i] = U;
				else if (a.type == ET_STR)
					out[i] = nd->kind == N_IN ? in_list_s(nd, vec_s(&a, i)) : match_s(nd, vec_s(&a, i));
				else
					out[i] = in_list_d(nd, vec_d(&a, i));
			}
		}
		break;
	}
	vec_free(&a);
	return 0;
}

static int
eval_cond(struct node *nd, struct frame *f, uint8_t *out)
{
	size_t n = f->n;
	uint8_t *tmp;
	int r = 0, any = 0;

	switch (nd->kind) {
	case N_NOT:
		if (eval_cond(nd->a, f, out) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)(2 - out[i]);
		return 0;
	case N_AND:
	case N_OR:
		if (eval_cond(nd->a, f, out) < 0)
			return -1;
		/* the right side is not read when the left side decides every row */
		for (size_t i = 0; i < n && !any; i++)
			any = nd->kind == N_AND ? out[i] != F : out[i] != T;
		if (!any)
			return 0;
		tmp = xmalloc(n ? n : 1);
		r = eval_cond(nd->b, f, tmp);
		if (r == 0 && nd->kind == N_AND) {
			for (size_t i = 0; i < n; i++)
				out[i] = out[i] < tmp[i] ? out[i] : tmp[i];
		} else if (r == 0) {
			for (size_t i = 0; i < n; i++)
				out[i] = out[i] > tmp[i] ? out[i] : tmp[i];
		}
		free(tmp);
		return r;
	default:
		return eval_leaf(nd, f, out);
	}
}

/* ---- segment skipping ----------------------------------------------- */

/* 1 when the footer's min/max prove no row of seg can make nd true. */
static int
cannot_match(const struct node *nd, const struct segment *seg)
{
	const struct node *a, *b;
	const struct segcol *c;
	int idx, op;

	switch (nd->kind) {
	case N_AND:
		return cannot_match(nd->a, seg) || cannot_match(nd->b, seg);
	case N_OR:
		return cannot_match(nd->a, seg) && cannot_match(nd->b, seg);
	case N_ISNULL:
	case N_CMP:
	case N_IN:
	case N_TRUTH:
		break;
	default:
		return 0;
	}
	a = nd->a;
	if (a->kind != N_ATTR || profiles_is_virtual(a->name))
		return 0;	/* a virtual column has no footer statistics */
	idx = segment_col_index(seg, a->name);
	if (idx < 0)	/* all null: only "is null" can be true */
		return !(nd->kind == N_ISNULL && !nd->negate);
	c = &seg->cols[idx];
	if (nd->kind == N_ISNULL)
		return nd->negate ? c->nnull == seg->nrows : c->nnull == 0;
	if (!c->st.has)
		return 1;	/* every value null: comparisons are unknown */
	if (nd->kind != N_CMP || (b = nd->b)->kind != N_LIT)
		return 0;
	op = nd->op;
	if (a->type == ET_STR) {
		int lo, hi;

		if (c->type != CT_STR || !c->st.smin || !c->st.smax || op == OP_NE)
			return 0;
		lo = strcmp(b->str, c->st.smin);
		hi = strcmp(b->str, c->st.smax);
		return (op == OP_EQ && (lo < 0 || hi > 0)) || ((op == OP_LT) && lo <= 0) ||
		    (op == OP_LE && lo < 0) || (op == OP_GT && hi >= 0) || (op == OP_GE && hi > 0);
	}
	if (c->type == CT_STR)
		return 0;
	{
		double lo = c->type == CT_DEC ? dec_to_double(c->st.imin) : (double)c->st.imin;
		double hi = c->type == CT_DEC ? dec_to_double(c->st.imax) : (double)c->st.imax;
		double x = b->num;

		switch (op) {
		case OP_EQ:
			return x < lo || x > hi;
		case OP_LT:
			return lo >= x;
		case OP_LE:
			return lo > x;
		case OP_GT:
			return hi <= x;
		case OP_GE:
			return hi < x;
		default:
			return lo == hi && lo == x;
		}
	}
}

/* ---- behaviour functions --------------------------------------------- */

/* Profile id -> global row: open addressing, ids are never INT64_MIN. */
struct idmap {
	int64_t *keys;
	uint32_t *rows;
	size_t cap;
};

#define ID_EMPTY INT64_MIN

static size_t
id_slot(const struct idmap *m, int64_t id)
{
	size_t i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 17) & (m->cap - 1);

	while (m->keys[i] != ID_EMPTY && m->keys[i] != id)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void
idmap_init(struct idmap *m, size_t n)
{
	m->cap = 64;
	while (m->cap < n * 2)
		m->cap *= 2;
	m->keys = xmalloc(m->cap * sizeof *m->keys);
	m->rows = xmalloc(m->cap * sizeof *m->rows);
	for (size_t i = 0; i < m->cap; i++)
		m->keys[i] = ID_EMPTY;
}

static long
idmap_get(const struct idmap *m, int64_t id)
{
	size_t i;

	if (id == ID_EMPTY)
		return -1;
	i = id_slot(m, id);
	return m->keys[i] == id ? (long)m->rows[i] : -1;
}

static void
idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->rows);
}

/* The dictionary code of the event in this _event column, or -1. */
static long
event_code(const struct colvec *ev, const char *name)
{
	for (size_t k = 0; k < ev->ndict; k++)
		if (strcmp(ev->ddata + ev->doff[k], name) == 0)
			return (long)k;
	return -1;
}

/* Could this records segment hold an event of fn in its window? */
static int
rseg_may_hold(const struct segment *seg, const struct node *fn, int64_t lo, int64_t hi)
{
	int ie = segment_col_index(seg, "_event"), it = segment_col_index(seg, "_time");
	const struct segcol *c;

	if (ie < 0 || it < 0)
		return 0;
	c = &seg->cols[ie];
	if (!c->st.has)
		return 0;
	if (c->st.smin && strcmp(fn->event, c->st.smin) < 0)
		return 0;
	if (c->st.smax && strcmp(fn->event, c->st.smax) > 0)
		return 0;
	c = &seg->cols[it];
	if (!c->st.has || c->st.imax < lo || c->st.imin > hi)
		return 0;
	return 1;
}

static void
accumulate(struct node *fn, size_t g, double x)
{
	uint64_t c = fn->fcnt[g]++;

	switch (fn->fn) {
	case FN_COUNT:
		fn->fval[g] += 1;
		break;
	case FN_SUM:
	case FN_AVG:
		fn->fval[g] += x;
		break;
	case FN_MIN:
	case FN_FIRST:
		if (!c || x < fn->fval[g])
			fn->fval[g] = x;
		break;
	case FN_MAX:
	case FN_LAST:
		if (!c || x > fn->fval[g])
			fn->fval[g] = x;
		break;
	}
}

/*
 * One pass over the records segments fills every function's per-profile
 * array.  Per segment: footer checks first (event name and time range),
 * then _event, _time and the links; then per function its property and
 * where-columns only.
 */
static int
eval_functions(struct expr *e, struct store *st, const struct expr_schema *s, const struct idmap *ids,
    size_t nprof, struct expr_stats *stats)
{
	struct mergemap mm;
	int r = -1;

	for (struct node *fn = e->fns; fn; fn = fn->next_fn) {
		fn->fval = xcalloc(nprof ? nprof : 1, sizeof *fn->fval);
		fn->fnull = xcalloc(nprof ? nprof : 1, 1);
		fn->fcnt = xcalloc(nprof ? nprof : 1, sizeof *fn->fcnt);
	}
	if (mergemap_load(st, &mm) < 0)
		return -1;
	for (size_t si = 0; si < s->nrsegs; si++) {
		struct segment *seg = s->rsegs[si];
		struct frame f;
		const struct colvec *ev, *tm;
		int64_t *links = NULL;
		long *grow = NULL;
		size_t nlinks;
		int want = 0;

		for (struct node *fn = e->fns; fn && !want; fn = fn->next_fn)
			want = rseg_may_hold(seg, fn, fn->has_within ? e->now - fn->within : INT64_MIN, e->now);
		if (!want) {
			stats->rsegs_skipped++;
			continue;
		}
		stats->rsegs_read++;
		frame_init(&f, seg, 0, stats);
		if (frame_col(&f, "_event", &ev) < 0 || frame_col(&f, "_time", &tm) < 0)
			goto seg_fail;
		if (links_read(st, &mm, seg->id, &links, &nlinks) < 0)
			goto seg_fail;
		if (!links || nlinks != seg->nrows) {
			/* not merged yet: its events belong to no profile */
			free(links);
			frame_free(&f);
			continue;
		}
		grow = xmalloc((nlinks ? nlinks : 1) * sizeof *grow);
		for (size_t i = 0; i < nlinks; i++)
			grow[i] = idmap_get(ids, links[i]);
		for (struct node *fn = e->fns; fn; fn = fn->next_fn) {
			int64_t lo = fn->has_within ? e->now - fn->within : INT64_MIN, hi = e->now;
			long code;
			uint8_t *pass = NULL;
			struct vec pv;

			if (!rseg_may_hold(seg, fn, lo, hi) || (code = event_code(ev, fn->event)) < 0)
				continue;
			memset(&pv, 0, sizeof pv);
			if (fn->where) {
				pass = xmalloc(f.n ? f.n : 1);
				if (eval_cond(fn->where, &f, pass) < 0) {
					free(pass);
					goto seg_fail;
				}
			}
			if (fn->prop && eval_value(fn->prop, &f, &pv) < 0) {
				free(pass);
				goto seg_fail;
			}
			for (size_t i = 0; i < f.n; i++) {
				int64_t t;

				if (ev->codes[i] != (uint32_t)code || colvec_isnull(ev, i) || grow[i] < 0)
					continue;
				if (colvec_isnull(tm, i) || (t = tm->iv[i]) < lo || t > hi)
					continue;
				if (pass && pass[i] != T)
					continue;
				if (fn->fn == FN_FIRST || fn->fn == FN_LAST) {
					accumulate(fn, (size_t)grow[i], (double)t);
				} else if (fn->prop) {
					if (vec_isnull(&pv, i))
						continue;
					accumulate(fn, (size_t)grow[i], vec_d(&pv, i));
				} else {
					accumulate(fn, (size_t)grow[i], 1);
				}
			}
			vec_free(&pv);
			free(pass);
		}
		free(grow);
		free(links);
		frame_free(&f);
		continue;
seg_fail:
		free(grow);
		free(links);
		frame_free(&f);
		goto out;
	}
	/* no events: count and sum are 0, the others unknown */
	for (struct node *fn = e->fns; fn; fn = fn->next_fn) {
		for (size_t g = 0; g < nprof; g++) {
			if (fn->fn == FN_AVG && fn->fcnt[g])
				fn->fval[g] /= (double)fn->fcnt[g];
			fn->fnull[g] = !fn->fcnt[g] && fn->fn != FN_COUNT && fn->fn != FN_SUM;
		}
	}
	r = 0;
out:
	mergemap_free(&mm);
	return r;
}

/* ---- the whole evaluation --------------------------------------------- */

static int
match_cmp(const void *x, const void *y)
{
	const struct expr_match *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

static int
in_cand(const int64_t *cand, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cand[mid] < id)
			lo = mid + 1;
		else if (cand[mid] > id)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

int
expr_eval(struct expr *e, struct store *st, const struct expr_schema *s,
    const int64_t *cand, size_t ncand, struct expr_match **out, size_t *nout,
    struct expr_stats *stats)
{
	struct expr_stats dummy;
	struct expr_match *m = NULL;
	size_t nm = 0, cap = 0, nprof = 0;
	struct idmap ids = { 0 };
	size_t *base;
	int r = -1;

	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	*out = NULL;
	*nout = 0;
	base = xcalloc(s->npsegs + 1, sizeof *base);
	for (size_t i = 0; i < s->npsegs; i++) {
		base[i] = nprof;
		nprof += s->psegs[i]->nrows;
	}
	stats->profiles = s->pt ? s->pt->nlive : nprof;
	if (nprof > UINT32_MAX) {
		free(base);
		return cdp_seterr("too many profiles");
	}
	if (e->fns) {
		idmap_init(&ids, nprof);
		for (size_t i = 0; i < s->npsegs; i++) {
			int idx = segment_col_index(s->psegs[i], "profile_id");
			struct colvec v;

			if (idx < 0 || segment_read(s->psegs[i], idx, &v) < 0) {
				cdp_seterr("%s: unreadable profile_id", s->psegs[i]->path);
				goto out;
			}
			for (size_t k = 0; k < v.n; k++) {
				size_t slot;

				if (!profiles_live(s->pt, i, k))
					continue;	/* superseded or merged away */
				slot = id_slot(&ids, v.iv[k]);

				ids.keys[slot] = v.iv[k];
				ids.rows[slot] = (uint32_t)(base[i] + k);
			}
			colvec_free(&v);
		}
		if (eval_functions(e, st, s, &ids, nprof, stats) < 0)
			goto out;
	}
	for (size_t i = 0; i < s->npsegs; i++) {
		struct segment *seg = s->psegs[i];
		const struct colvec *pid = NULL;
		struct frame f;
		uint8_t *res;

		if (cannot_match(e->root, seg)) {
			stats->psegs_skipped++;
			continue;
		}
		stats->psegs_read++;
		frame_init(&f, seg, base[i], stats);
		f.pt = s->pt;
		f.segno = i;
		res = xmalloc(f.n ? f.n : 1);
		if (eval_cond(e->root, &f, res) < 0 || frame_col(&f, "profile_id", &pid) < 0 || !pid) {
			if (!pid)
				cdp_seterr("%s: no profile_id column", seg->path);
			free(res);
			frame_free(&f);
			goto out;
		}
		for (size_t k = 0; k < f.n; k++) {
			if (res[k] != T || !profiles_live(s->pt, i, k) ||
			    (cand && !in_cand(cand, ncand, pid->iv[k])))
				continue;
			if (nm == cap) {
				cap = cap ? cap * 2 : 1024;
				m = xreallocarray(m, cap, sizeof *m);
			}
			m[nm].id = pid->iv[k];
			m[nm].seg = (uint32_t)i;
			m[nm].row = (uint32_t)k;
			nm++;
		}
		free(res);
		frame_free(&f);
	}
	if (nm > 1)
		qsort(m, nm, sizeof *m, match_cmp);
	*out = m;
	*nout = nm;
	m = NULL;
	r = 0;
out:
	free(m);
	free(base);
	if (e->fns)
		idmap_free(&ids);
	for (struct node *fn = e->fns; fn; fn = fn->next_fn) {
		free(fn->fval);
		free(fn->fnull);
		free(fn->fcnt);
		fn->fval = NULL;
		fn->fnull = NULL;
		fn->fcnt = NULL;
	}
	return r;
}
