/*
 * rx.c - POSIX extended regular expressions in linear time.
 *
 * Pipeline: a recursive-descent parser (nesting bounded by
 * RX_MAX_NEST) builds a small syntax tree; its compiled size is
 * computed before anything is emitted, so {m,n} can never expand past
 * RX_MAX_PROG instructions; the tree is emitted as a Thompson NFA.
 * rx_match() simulates the NFA over the subject's characters with two
 * sparse sets of states (Russ Cox's "Pike VM" without captures): every
 * state is visited at most once per character, so a match costs
 * O(length x instructions) and no memory beyond what rx_compile()
 * allocated.  Back-references cannot be matched this way and are
 * refused when compiling.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"
#include "util.h"

enum { I_CHAR, I_ANY, I_CLASS, I_SPLIT, I_JMP, I_BOL, I_EOL, I_WORDB, I_NWORDB, I_WBEG, I_WEND, I_MATCH };

/* A byte that is not part of valid UTF-8 reads as this plus the byte:
 * it matches only '.', and bracket expressions that negate. */
#define RX_BADBYTE 0x110000u

struct inst {
	uint8_t op;
	uint32_t x, y;		/* CHAR: code point; CLASS: index; SPLIT, JMP: targets */
};

struct range {
	uint32_t lo, hi;
};

struct cls {
	struct range *r;
	size_t n;
	int neg;
};

struct rx {
	struct inst *prog;
	size_t n;
	struct cls *cls;
	size_t ncls;
	int anchored;		/* starts with '^': only one start */
	uint32_t *dense[2], *sparse[2], *stack;
	size_t count[2];
};

enum { N_EMPTY, N_CHAR, N_ANY, N_CLASS, N_ASSERT, N_CAT, N_ALT, N_REP };

struct node {
	int kind;
	uint32_t v;		/* CHAR: code point; CLASS: index; ASSERT: I_* */
	int min, max;		/* REP; max -1: no bound */
	struct node **kid;	/* CAT, ALT: kids; REP: kid[0] */
	size_t nkid;
};

struct parser {
	const unsigned char *p, *end;
	struct rx *re;
	char *err;
	size_t errlen;
	int failed;
};

static int
fail(struct parser *ps, const char *msg)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "%s", msg);
	ps->failed = 1;
	return -1;
}

/* One character of s[0, n) (n > 0): its code point, its length in *len. */
static uint32_t
utf8_dec(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t cp;
	size_t k;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 1, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 2, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 3, cp = s[0] & 0x07;
	else
		return RX_BADBYTE + s[0];
	if (n <= k)
		return RX_BADBYTE + s[0];
	for (size_t j = 1; j <= k; j++) {
		if ((s[j] & 0xc0) != 0x80)
			return RX_BADBYTE + s[0];
		cp = cp << 6 | (s[j] & 0x3f);
	}
	if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return RX_BADBYTE + s[0];
	*len = k + 1;
	return cp;
}

static struct node *
node_new(int kind)
{
	struct node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	return n;
}

static void
node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	free(n);
}

static void
node_add(struct node *n, struct node *kid)
{
	n->kid = xrealloc(n->kid, (n->nkid + 1) * sizeof *n->kid);
	n->kid[n->nkid++] = kid;
}

/* ---- character classes ---- */

static size_t
cls_new(struct rx *re, int neg)
{
	re->cls = xrealloc(re->cls, (re->ncls + 1) * sizeof *re->cls);
	re->cls[re->ncls].r = NULL;
	re->cls[re->ncls].n = 0;
	re->cls[re->ncls].neg = neg;
	return re->ncls++;
}

static void
cls_add(struct cls *c, uint32_t lo, uint32_t hi)
{
	c->r = xrealloc(c->r, (c->n + 1) * sizeof *c->r);
	c->r[c->n].lo = lo;
	c->r[c->n].hi = hi;
	c->n++;
}

/* The ASCII ranges of a POSIX class name; -1 if unknown. */
static int
cls_named(struct cls *c, const char *name, size_t len)
{
	static const struct {
		const char *name;
		const char *ranges;	/* pairs of bounds */
	} named[] = {
		{ "alpha", "AZaz" }, { "digit", "09" }, { "alnum", "09AZaz" },
		{ "upper", "AZ" }, { "lower", "az" }, { "space", "\t\r  " },
		{ "blank", "\t\t  " }, { "punct", "!/:@[`{~" }, { "print", " ~" },
		{ "graph", "!~" }, { "cntrl", "\001\037\177\177" }, { "xdigit", "09AFaf" },
		{ "word", "09AZaz__" },
	};

	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
		const char *r = named[i].ranges;

		if (strlen(named[i].name) != len || memcmp(named[i].name, name, len) != 0)
			continue;
		if (strcmp(named[i].name, "cntrl") == 0)
			cls_add(c, 0, 0);	/* NUL: cannot sit in the string above */
		for (; *r; r += 2)
			cls_add(c, (unsigned char)r[0], (unsigned char)r[1]);
		return 0;
	}
	return -1;
}

static int
cls_match(const struct cls *c, uint32_t cp)
{
	int in = 0;

	for (size_t i = 0; i < c->n && !in; i++)
		in = cp >= c->r[i].lo && cp <= c->r[i].hi;
	return in != c->neg;
}

/* ---- parser ---- */

static struct node *parse_alt(struct parser *ps, int depth);

static uint32_t
next_char(struct parser *ps)
{
	size_t len;
	uint32_t cp = utf8_dec(ps->p, (size_t)(ps->end - ps->p), &len);

	ps->p += len;
	return cp;
}

/* After '[': a bracket expression through its ']'. */
static struct node *
parse_bracket(struct parser *ps)
{
	struct node *n = node_new(N_CLASS);
	int neg = ps->p < ps->end && *ps->p == '^';
	size_t ci;
	int first = 1;

	ps->p += neg;
	ci = cls_new(ps->re, neg);
	n->v = (uint32_t)ci;
	for (;; first = 0) {
		uint32_t lo, hi;

		if (ps->p >= ps->end) {
			fail(ps, "unterminated [");
			break;
		}
		if (*ps->p == ']' && !first) {
			ps->p++;
			return n;
		}
		if (*ps->p == '[' && ps->p + 1 < ps->end && (ps->p[1] == '=' || ps->p[1] == '.')) {
			fail(ps, "[= =] and [. .] are not supported");
			break;
		}
		if (*ps->p == '[' && ps->p + 1 < ps->end && ps->p[1] == ':') {
			const unsigned char *name = ps->p + 2, *q = name;

			while (q + 1 < ps->end && !(q[0] == ':' && q[1] == ']'))
				q++;
			if (q + 1 >= ps->end || cls_named(&ps->re->cls[ci], (const char *)name, (size_t)(q - name)) < 0) {
				fail(ps, "unknown character class [: :]");
				break;
			}
			ps->p = q + 2;
			continue;
		}
		lo = hi = next_char(ps);
		if (ps->p + 1 < ps->end && *ps->p == '-' && ps->p[1] != ']') {
			ps->p++;
			hi = next_char(ps);
			if (hi < lo) {
				fail(ps, "range out of order in [ ]");
				break;
			}
		}
		cls_add(&ps->re->cls[ci], lo, hi);
	}
	node_free(n);
	return NULL;
}

/* \d \w \s and their negations as a class node. */
static struct node *
escape_class(struct parser *ps, unsigned char c)
{
	struct node *n = node_new(N_CLASS);
	size_t ci = cls_new(ps->re, c == 'D' || c == 'W' || c == 'S');
	const char *name = c == 'd' || c == 'D' ? "digit" : c == 'w' || c == 'W' ? "word" : "space";

	cls_named(&ps->re->cls[ci], name, strlen(name));
	n->v = (uint32_t)ci;
	return n;
}

/* After '\': one escape. */
static struct node *
parse_escape(struct parser *ps)
{
	static const char ctl[] = "n\nt\tr\rf\fv\v";
	struct node *n;
	unsigned char c;
	const char *k;

	if (ps->p >= ps->end) {
		fail(ps, "trailing backslash");
		return NULL;
	}
	c = *ps->p;
	if (strchr("dDwWsS", c) && c) {
		ps->p++;
		return escape_class(ps, c);
	}
	if (strchr("bB<>", c) && c) {
		ps->p++;
		n = node_new(N_ASSERT);
		n->v = c == 'b' ? I_WORDB : c == 'B' ? I_NWORDB : c == '<' ? I_WBEG : I_WEND;
		return n;
	}
	if (c >= '1' && c <= '9') {
		fail(ps, "back-references (\\1 to \\9) are not supported");
		return NULL;
	}
	n = node_new(N_CHAR);
	if (c < 0x80 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '0')) {
		for (k = ctl; *k && *k != (char)c; k += 2)
			;
		if (!*k) {
			node_free(n);
			fail(ps, "unknown escape: a backslash makes only punctuation literal");
			return NULL;
		}
		ps->p++;
		n->v = (unsigned char)k[1];
		return n;
	}
	n->v = next_char(ps);
	return n;
}

/* A bound {m}, {m,}, {,n}, {m,n} at ps->p; 0 when there is none there
 * (the '{' is then a literal), 1 when read, -1 on error. */
static int
parse_bound(struct parser *ps, int *min, int *max)
{
	const unsigned char *q = ps->p + 1;
	long m = -1, x;

	if (q < ps->end && *q >= '0' && *q <= '9')
		for (m = 0; q < ps->end && *q >= '0' && *q <= '9'; q++)
			m = m > RX_MAX_REPEAT ? m : m * 10 + (*q - '0');
	x = m;
	if (q < ps->end && *q == ',') {
		q++;
		x = -1;
		if (q < ps->end && *q >= '0' && *q <= '9')
			for (x = 0; q < ps->end && *q >= '0' && *q <= '9'; q++)
				x = x > RX_MAX_REPEAT ? x : x * 10 + (*q - '0');
		if (m < 0)
			m = 0;
	}
	if (m < 0 || q >= ps->end || *q != '}')
		return 0;
	ps->p = q + 1;
	if (m > RX_MAX_REPEAT || x > RX_MAX_REPEAT)
		return fail(ps, "repetition count over 1000 in { }");
	if (x >= 0 && x < m)
		return fail(ps, "bad repetition { }: the maximum is below the minimum");
	*min = (int)m;
	*max = (int)x;
	return 1;
}

/* A quantifier after an atom, if any: the atom wrapped in N_REP. */
static struct node *
parse_quant(struct parser *ps, struct node *atom)
{
	int min, max, r;
	struct node *n;

	if (ps->p >= ps->end)
		return atom;
	switch (*ps->p) {
	case '*': min = 0, max = -1, ps->p++; break;
	case '+': min = 1, max = -1, ps->p++; break;
	case '?': min = 0, max = 1, ps->p++; break;
	case '{':
		if ((r = parse_bound(ps, &min, &max)) <= 0) {
			if (r < 0) {
				node_free(atom);
				return NULL;
			}
			return atom;
		}
		break;
	default:
		return atom;
	}
	if (atom->kind == N_ASSERT) {
		node_free(atom);
		fail(ps, "nothing to repeat before * + ? or { }");
		return NULL;
	}
	/* A lazy '?' changes which match is found, never whether one is. */
	if (ps->p < ps->end && *ps->p == '?')
		ps->p++;
	if (ps->p < ps->end && (*ps->p == '*' || *ps->p == '+' || *ps->p == '?' ||
	    (*ps->p == '{' && parse_bound(&(struct parser){ ps->p, ps->end, NULL, NULL, 0, 1 }, &r, &r) == 1))) {
		node_free(atom);
		fail(ps, "a repetition cannot follow a repetition: use parentheses");
		return NULL;
	}
	n = node_new(N_REP);
	n->min = min;
	n->max = max;
	node_add(n, atom);
	return n;
}

static struct node *
parse_atom(struct parser *ps, int depth)
{
	struct node *n;
	unsigned char c = *ps->p;

	switch (c) {
	case '(':
		if (depth >= RX_MAX_NEST) {
			fail(ps, "parentheses nested deeper than 100 levels");
			return NULL;
		}
		ps->p++;
		if (ps->end - ps->p >= 2 && ps->p[0] == '?' && ps->p[1] == ':')
			ps->p += 2;
		if (!(n = parse_alt(ps, depth + 1)))
			return NULL;
		if (ps->p >= ps->end || *ps->p != ')') {
			node_free(n);
			fail(ps, "missing )");
			return NULL;
		}
		ps->p++;
		return n;
	case '*': case '+': case '?':
		fail(ps, "nothing to repeat before * + ? or { }");
		return NULL;
	case '[':
		ps->p++;
		return parse_bracket(ps);
	case '\\':
		ps->p++;
		return parse_escape(ps);
	case '.':
		ps->p++;
		return node_new(N_ANY);
	case '^':
	case '$':
		ps->p++;
		n = node_new(N_ASSERT);
		n->v = c == '^' ? I_BOL : I_EOL;
		return n;
	default:
		n = node_new(N_CHAR);
		n->v = next_char(ps);
		return n;
	}
}

static struct node *
parse_cat(struct parser *ps, int depth)
{
	struct node *cat = node_new(N_CAT), *n;

	while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
		if (!(n = parse_atom(ps, depth)) || !(n = parse_quant(ps, n))) {
			node_free(cat);
			return NULL;
		}
		node_add(cat, n);
	}
	return cat;
}

static struct node *
parse_alt(struct parser *ps, int depth)
{
	struct node *alt = node_new(N_ALT), *n;

	for (;;) {
		if (!(n = parse_cat(ps, depth))) {
			node_free(alt);
			return NULL;
		}
		node_add(alt, n);
		if (ps->p >= ps->end || *ps->p != '|')
			return alt;
		ps->p++;
	}
}

/* ---- code ---- */

/* Instructions n compiles to, or more than RX_MAX_PROG. */
static size_t
prog_size(const struct node *n)
{
	size_t s = 0, k;

	switch (n->kind) {
	case N_EMPTY:
		return 0;
	case N_CAT:
	case N_ALT:
		for (size_t i = 0; i < n->nkid && s <= RX_MAX_PROG; i++)
			s += prog_size(n->kid[i]);
		if (n->kind == N_ALT && n->nkid > 1)
			s += 2 * (n->nkid - 1);
		return s;
	case N_REP:
		k = prog_size(n->kid[0]);
		if (k > RX_MAX_PROG)
			return k;
		if (n->max < 0)
			return n->min == 0 ? k + 2 : (size_t)(n->min - 1) * k + k + 1;
		return (size_t)n->min * k + (size_t)(n->max - n->min) * (k + 1);
	default:
		return 1;
	}
}

static uint32_t
emit1(struct rx *re, uint8_t op, uint32_t x, uint32_t y)
{
	re->prog[re->n].op = op;
	re->prog[re->n].x = x;
	re->prog[re->n].y = y;
	return (uint32_t)re->n++;
}

static void emit(struct rx *re, const struct node *n);

static void
emit_rep(struct rx *re, const struct node *n)
{
	const struct node *x = n->kid[0];
	uint32_t l;
	int copies = n->max < 0 && n->min > 0 ? n->min - 1 : n->min;

	for (int i = 0; i < copies; i++)
		emit(re, x);
	if (n->max < 0 && n->min == 0) {
		/* L: split body, out; body; jmp L; out: */
		l = emit1(re, I_SPLIT, 0, 0);
		re->prog[l].x = l + 1;
		emit(re, x);
		emit1(re, I_JMP, l, 0);
		re->prog[l].y = (uint32_t)re->n;
	} else if (n->max < 0) {
		/* L: body; split L, out */
		l = (uint32_t)re->n;
		emit(re, x);
		emit1(re, I_SPLIT, l, (uint32_t)re->n + 1);
	} else {
		for (int i = n->min; i < n->max; i++) {
			l = emit1(re, I_SPLIT, 0, 0);
			re->prog[l].x = l + 1;
			emit(re, x);
			re->prog[l].y = (uint32_t)re->n;
		}
	}
}

static void
emit(struct rx *re, const struct node *n)
{
	uint32_t *jmp, split;

	switch (n->kind) {
	case N_CHAR: emit1(re, I_CHAR, n->v, 0); break;
	case N_ANY: emit1(re, I_ANY, 0, 0); break;
	case N_CLASS: emit1(re, I_CLASS, n->v, 0); break;
	case N_ASSERT: emit1(re, (uint8_t)n->v, 0, 0); break;
	case N_REP: emit_rep(re, n); break;
	case N_CAT:
		for (size_t i = 0; i < n->nkid; i++)
			emit(re, n->kid[i]);
		break;
	case N_ALT:
		jmp = xcalloc(n->nkid, sizeof *jmp);
		for (size_t i = 0; i + 1 < n->nkid; i++) {
			split = emit1(re, I_SPLIT, 0, 0);
			re->prog[split].x = split + 1;
			emit(re, n->kid[i]);
			jmp[i] = emit1(re, I_JMP, 0, 0);
			re->prog[split].y = (uint32_t)re->n;
		}
		if (n->nkid)
			emit(re, n->kid[n->nkid - 1]);
		for (size_t i = 0; i + 1 < n->nkid; i++)
			re->prog[jmp[i]].x = (uint32_t)re->n;
		free(jmp);
		break;
	}
}

struct rx *
rx_compile(const char *pattern, size_t len, char *err, size_t errlen)
{
	struct rx *re = xcalloc(1, sizeof *re);
	struct parser ps = { (const unsigned char *)pattern, (const unsigned char *)pattern + len,
		re, err, errlen, 0 };
	struct node *root = parse_alt(&ps, 0);
	size_t size;

	if (root && ps.p < ps.end)
		fail(&ps, "unmatched )");
	if (ps.failed) {
		node_free(root);
		rx_free(re);
		return NULL;
	}
	size = prog_size(root) + 1;
	if (size > RX_MAX_PROG) {
		node_free(root);
		rx_free(re);
		snprintf(err, errlen, "regular expression too large (over %d states once { } is expanded)",
		    RX_MAX_PROG);
		return NULL;
	}
	re->prog = xcalloc(size, sizeof *re->prog);
	emit(re, root);
	emit1(re, I_MATCH, 0, 0);
	node_free(root);
	re->anchored = re->prog[0].op == I_BOL;
	for (int i = 0; i < 2; i++) {
		re->dense[i] = xcalloc(re->n, sizeof *re->dense[i]);
		re->sparse[i] = xcalloc(re->n, sizeof *re->sparse[i]);
	}
	re->stack = xcalloc(2 * re->n + 2, sizeof *re->stack);
	return re;
}

void
rx_free(struct rx *re)
{
	if (!re)
		return;
	for (size_t i = 0; i < re->ncls; i++)
		free(re->cls[i].r);
	free(re->cls);
	free(re->prog);
	for (int i = 0; i < 2; i++) {
		free(re->dense[i]);
		free(re->sparse[i]);
	}
	free(re->stack);
	free(re);
}

/* ---- matching ---- */

/* Where a state is added: what the zero-width assertions look at. */
struct at {
	int start, end, prev_word, next_word;
};

static int
is_word(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
assert_holds(uint8_t op, const struct at *a)
{
	switch (op) {
	case I_BOL: return a->start;
	case I_EOL: return a->end;
	case I_WORDB: return a->prev_word != a->next_word;
	case I_NWORDB: return a->prev_word == a->next_word;
	case I_WBEG: return !a->prev_word && a->next_word;
	default: return a->prev_word && !a->next_word;	/* I_WEND */
	}
}

/* Add state pc and all it reaches without a character to list l. */
static void
add_state(struct rx *re, int l, uint32_t pc, const struct at *a)
{
	uint32_t *dense = re->dense[l], *sparse = re->sparse[l];
	size_t sp = 0;

	re->stack[sp++] = pc;
	while (sp > 0) {
		const struct inst *in;

		pc = re->stack[--sp];
		if (sparse[pc] < re->count[l] && dense[sparse[pc]] == pc)
			continue;	/* already there */
		sparse[pc] = (uint32_t)re->count[l];
		dense[re->count[l]++] = pc;
		in = &re->prog[pc];
		switch (in->op) {
		case I_JMP:
			re->stack[sp++] = in->x;
			break;
		case I_SPLIT:
			re->stack[sp++] = in->y;
			re->stack[sp++] = in->x;
			break;
		case I_BOL: case I_EOL: case I_WORDB: case I_NWORDB: case I_WBEG: case I_WEND:
			if (assert_holds(in->op, a))
				re->stack[sp++] = pc + 1;
			break;
		}
	}
}

static int
step_ok(const struct rx *re, const struct inst *in, uint32_t c)
{
	switch (in->op) {
	case I_CHAR: return in->x == c;
	case I_ANY: return 1;
	case I_CLASS: return cls_match(&re->cls[in->x], c);
	default: return 0;
	}
}

int
rx_match(struct rx *re, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len = 0, nlen;
	uint32_t c = 0, next;
	int cur = 0;
	struct at a = { 1, n == 0, 0, 0 };

	re->count[0] = re->count[1] = 0;
	if (n > 0)
		c = utf8_dec(s, n, &len);
	a.next_word = n > 0 && is_word(c);
	for (;;) {
		if (!re->anchored || i == 0)
			add_state(re, cur, 0, &a);
		for (size_t k = 0; k < re->count[cur]; k++)
			if (re->prog[re->dense[cur][k]].op == I_MATCH)
				return 1;
		if (i >= n || (re->anchored && re->count[cur] == 0))
			return 0;
		/* The position after c, seen by the states c leads to. */
		next = 0;
		nlen = 0;
		if (i + len < n)
			next = utf8_dec(s + i + len, n - i - len, &nlen);
		a.start = 0;
		a.end = i + len >= n;
		a.prev_word = is_word(c);
		a.next_word = i + len < n && is_word(next);
		re->count[!cur] = 0;
		for (size_t k = 0; k < re->count[cur]; k++) {
			uint32_t pc = re->dense[cur][k];

			if (step_ok(re, &re->prog[pc], c))
				add_state(re, !cur, pc + 1, &a);
		}
		cur = !cur;
		i += len;
		c = next;
		len = nlen;
	}
}
