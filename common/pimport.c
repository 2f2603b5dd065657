/*
 * pimport.c - the records of one input, parsed on several threads and
 * handed out in input order, exactly as one reader would have.
 *
 * One thread reads (and inflates, and hashes) the input and cuts it
 * into pieces of about PIECE bytes, each ending just after a '\n' that
 * may end a record: any '\n' in JSON Lines; in CSV a '\n' outside
 * quotes, judged by a quote toggle run over the bytes from the header
 * on.  Parsing threads each take the next piece and parse it whole with
 * a reader of their own (csvin_part_new, or jsonin_new with no byte
 * order mark past the first piece), copying its records into the
 * piece.  The caller's thread takes the pieces in order and hands out
 * their records, adding the lines of the pieces before.
 *
 * Why that is exact: a piece that starts where a record starts is read
 * as the whole input would be read there, as long as its reader never
 * meets the piece's end inside a record (csvin_clean_end).  A stray
 * quote fools the toggle, so a CSV piece may end inside a record; the
 * caller sees that before it hands out any of that piece, and reads
 * from the start of that piece on with one reader on the input itself
 * (the bytes read ahead are given back with input_unread), so the
 * records are still right, only no longer parsed in parallel.  The same
 * happens when no record end turns up within MAX_PIECE bytes, or the
 * input cannot be read: the single reader then meets the same error.
 *
 * What one record does to the next in a CSV, the caller replays in
 * order (csvin_replay): whether valid non-ASCII UTF-8 came before an
 * invalid row decides between rejecting it and failing the whole input.
 *
 * Memory: at most 2 x threads + 2 pieces are read and not yet handed
 * out, each with its records.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonin.h"
#include "pimport.h"
#include "util.h"

#define PIECE (1u << 20)		/* bytes per piece, about */
#define READ_SIZE (256u << 10)
#define MAX_PIECE (32u << 20)		/* no record end by then: one reader */
#define NO_REASON SIZE_MAX

struct precord {
	unsigned long line;		/* within the piece */
	int rc, flags;
	size_t raw, rawlen, reason;	/* offsets into the piece's text */
	size_t f0, nf;			/* its fields in the piece's fields */
};

struct piece {
	struct piece *next;
	size_t seq;
	char *buf;
	size_t len, cap;
	int last;			/* the input ends with it */
	int stop;			/* nothing more is cut: read on with one reader */
	int parsed;
	/* What parsing it gave. */
	int clean;			/* it ended at a record's end */
	unsigned long lines;
	struct precord *recs;
	size_t nrecs, caprecs;
	struct field *fields;
	size_t nfields, capfields;
	struct strbuf text;
};

struct pimport {
	struct input *in;
	struct csvin *csv;		/* the header's reader, NULL for JSON Lines */
	const char *name;
	int nthreads;
	pthread_t reader, *workers;
	int started, nstarted;

	pthread_mutex_t mu;
	pthread_cond_t space, work, done;
	int stop;
	struct piece *head, *tail;	/* read, not yet handed out */
	struct piece *to_parse;		/* first piece no thread took */
	struct piece *spare;		/* handed out, kept for reuse: no page faults */
	size_t queued, maxqueued, seq;

	/* The reading thread's bytes not yet cut into a piece. */
	char *buf;
	size_t len, cap, scan, cut;
	int quote, eof;

	/* The caller's side. */
	struct piece *cur;
	size_t at;
	unsigned long lines;		/* lines in the pieces handed out */
	size_t pieces_done;
	struct csvin *one_csv;		/* read on with one reader */
	struct jsonin *one_json;
	int finished;
};

/* Advance the quote toggle over the new bytes; cut: after the last
 * '\n' outside quotes. */
static void
scan_csv(struct pimport *p)
{
	const char *b = p->buf, *s = b + p->scan, *e = b + p->len, *nl = NULL, *q;

	while (s < e) {
		if (p->quote) {
			if (!(q = memchr(s, '"', (size_t)(e - s))))
				break;
			p->quote = 0;
			s = q + 1;
			continue;
		}
		if (!nl || nl < s)
			if (!(nl = memchr(s, '\n', (size_t)(e - s))))
				nl = e;
		if ((q = memchr(s, '"', (size_t)(nl - s))) != NULL) {
			p->quote = 1;
			s = q + 1;
			continue;
		}
		if (nl == e)
			break;
		p->cut = (size_t)(nl - b) + 1;
		s = nl + 1;
	}
	p->scan = p->len;
}

static void
scan_json(struct pimport *p)
{
	const char *b = p->buf;

	for (size_t i = p->len; i > p->scan; i--) {
		if (b[i - 1] == '\n') {
			p->cut = i;
			break;
		}
	}
	p->scan = p->len;
}

/* A spare piece, or a new one. */
static struct piece *
piece_get(struct pimport *p)
{
	struct piece *pc;

	pthread_mutex_lock(&p->mu);
	pc = p->spare;
	if (pc)
		p->spare = pc->next;
	pthread_mutex_unlock(&p->mu);
	if (!pc)
		return xcalloc(1, sizeof *pc);
	pc->next = NULL;
	return pc;
}

/*
 * The bytes before the cut (or all, at the end) as a piece; the reading
 * goes on in the piece's old buffer when it has room.
 */
static struct piece *
cut_piece(struct pimport *p, size_t n)
{
	struct piece *pc = piece_get(p);
	size_t rest = p->len - n, want = PIECE + 2 * READ_SIZE;
	char *old = pc->buf;
	size_t oldcap = pc->cap;

	pc->buf = p->buf;
	pc->cap = p->cap;
	pc->len = n;
	if (want < rest + READ_SIZE)
		want = rest + READ_SIZE;
	if (old && oldcap >= want) {
		p->buf = old;
		p->cap = oldcap;
	} else {
		free(old);
		p->buf = xmalloc(want);
		p->cap = want;
	}
	memcpy(p->buf, pc->buf + n, rest);
	p->len = p->scan = rest;
	p->cut = 0;
	return pc;
}

/* Read until a piece can be cut. */
static struct piece *
read_piece(struct pimport *p)
{
	struct piece *pc;
	ssize_t n;

	for (;;) {
		if (p->cut >= PIECE)
			return cut_piece(p, p->cut);
		if (p->eof) {
			pc = cut_piece(p, p->len);
			pc->last = 1;
			return pc;
		}
		if (p->len >= MAX_PIECE) {
			pc = p->cut ? cut_piece(p, p->cut) : piece_get(p);
			pc->stop = !pc->len;
			return pc;
		}
		if (p->cap - p->len < READ_SIZE) {
			p->cap = p->cap * 2 > p->len + READ_SIZE ? p->cap * 2 : p->len + READ_SIZE;
			p->buf = xrealloc(p->buf, p->cap);
		}
		n = input_read(p->in, p->buf + p->len, READ_SIZE);
		if (n < 0) {
			/* the one reader that reads on meets the error again */
			pc = piece_get(p);
			pc->stop = 1;
			return pc;
		}
		if (n == 0)
			p->eof = 1;
		p->len += (size_t)n;
		if (p->csv)
			scan_csv(p);
		else
			scan_json(p);
	}
}

static void *
reader_main(void *arg)
{
	struct pimport *p = arg;

	for (;;) {
		struct piece *pc;
		int end;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->queued >= p->maxqueued)
			pthread_cond_wait(&p->space, &p->mu);
		end = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (end)
			return NULL;
		pc = read_piece(p);
		pthread_mutex_lock(&p->mu);
		pc->seq = p->seq++;
		if (p->tail)
			p->tail->next = pc;
		else
			p->head = pc;
		p->tail = pc;
		if (!p->to_parse)
			p->to_parse = pc;
		p->queued++;
		end = pc->last || pc->stop;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		if (end)
			return NULL;
	}
}

static size_t
text_add(struct piece *pc, const char *s, size_t n)
{
	size_t off = pc->text.len;

	sb_grow(&pc->text, n + 1);
	memcpy(pc->text.buf + off, s, n);
	pc->text.buf[off + n] = '\0';
	pc->text.len = off + n + 1;
	return off;
}

/* Copy one record into the piece; pointers become offsets for now. */
static void
keep_record(struct pimport *p, struct piece *pc, int rc, const struct record *rec,
    const char *reason, int flags)
{
	struct precord *pr;

	if (pc->nrecs == pc->caprecs) {
		pc->caprecs = pc->caprecs ? pc->caprecs * 2 : 1024;
		pc->recs = xreallocarray(pc->recs, pc->caprecs, sizeof *pc->recs);
	}
	pr = &pc->recs[pc->nrecs++];
	pr->line = rec->line;
	pr->rc = rc;
	pr->flags = flags;
	pr->raw = text_add(pc, rec->raw ? rec->raw : "", rec->raw ? rec->rawlen : 0);
	pr->rawlen = rec->raw ? rec->rawlen : 0;
	pr->reason = reason ? text_add(pc, reason, strlen(reason)) : NO_REASON;
	pr->f0 = pc->nfields;
	pr->nf = rc == READ_OK ? rec->nfields : 0;
	if (pc->nfields + pr->nf > pc->capfields) {
		pc->capfields = pc->capfields ? pc->capfields * 2 : 8192;
		while (pc->capfields < pc->nfields + pr->nf)
			pc->capfields *= 2;
		pc->fields = xreallocarray(pc->fields, pc->capfields, sizeof *pc->fields);
	}
	for (size_t i = 0; i < pr->nf; i++) {
		const struct field *f = &rec->fields[i];
		struct field *g = &pc->fields[pc->nfields++];

		/* CSV names belong to the header's reader and stay put */
		g->name = p->csv ? f->name :
		    (const char *)(uintptr_t)text_add(pc, f->name, strlen(f->name));
		g->val = (const char *)(uintptr_t)text_add(pc, f->val, f->len);
		g->len = f->len;
		g->kind = f->kind;
	}
}

/* Offsets to pointers, once the text no longer moves. */
static void
fix_pointers(const struct pimport *p, struct piece *pc)
{
	for (size_t i = 0; i < pc->nfields; i++) {
		struct field *g = &pc->fields[i];

		if (!p->csv)
			g->name = pc->text.buf + (uintptr_t)g->name;
		g->val = pc->text.buf + (uintptr_t)g->val;
	}
}

static void
parse_piece(struct pimport *p, struct piece *pc)
{
	struct input *in = input_open_mem(p->name, pc->buf, pc->len);
	struct csvin *c = p->csv ? csvin_part_new(p->csv, in, 0, 1) : NULL;
	struct jsonin *j = p->csv ? NULL : jsonin_new(in, NULL);
	struct record rec;
	const char *reason;
	int rc;

	if (j)
		jsonin_start_at(j, 0, pc->seq > 0);
	pc->clean = 1;
	for (;;) {
		rc = c ? csvin_next(c, &rec, &reason) : jsonin_next(j, &rec, &reason);
		if (rc == READ_EOF)
			break;
		if (rc == READ_FATAL) {
			pc->clean = 0;	/* not from memory; read it with one reader */
			break;
		}
		keep_record(p, pc, rc, &rec, reason, c ? csvin_flags(c) : 0);
	}
	if (c) {
		pc->lines = csvin_line(c);
		pc->clean = pc->clean && csvin_clean_end(c);
	} else {
		pc->lines = jsonin_line(j);
	}
	fix_pointers(p, pc);
	csvin_free(c);
	jsonin_free(j);
	input_close(in);
}

static void *
worker_main(void *arg)
{
	struct pimport *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct piece *pc;

		while (!p->stop && !p->to_parse)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		pc = p->to_parse;
		p->to_parse = pc->next;
		pthread_mutex_unlock(&p->mu);
		if (!pc->stop)
			parse_piece(p, pc);
		pthread_mutex_lock(&p->mu);
		pc->parsed = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Keep a handed-out piece's buffers for the next (a huge one goes). */
static void
piece_recycle(struct pimport *p, struct piece *pc)
{
	if (pc->cap > 4 * PIECE) {
		free(pc->buf);
		pc->buf = NULL;
		pc->cap = 0;
	}
	pc->len = pc->nrecs = pc->nfields = pc->text.len = 0;
	pc->last = pc->stop = pc->parsed = pc->clean = 0;
	pc->lines = 0;
	pthread_mutex_lock(&p->mu);
	pc->next = p->spare;
	p->spare = pc;
	pthread_mutex_unlock(&p->mu);
}

static void
piece_free(struct piece *pc)
{
	free(pc->buf);
	free(pc->recs);
	free(pc->fields);
	sb_free(&pc->text);
	free(pc);
}

/* Stop and join every thread; the pieces stay. */
static void
stop_threads(struct pimport *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->space);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	if (p->started)
		pthread_join(p->reader, NULL);
	for (int i = 0; i < p->nstarted; i++)
		pthread_join(p->workers[i], NULL);
	p->started = 0;
	p->nstarted = 0;
}

/*
 * Read on from the start of the piece at the head with one reader on
 * the input: give back every byte read past that point.
 */
static void
read_on_alone(struct pimport *p)
{
	struct strbuf back = STRBUF_INIT;

	stop_threads(p);
	for (struct piece *pc = p->head; pc; pc = pc->next)
		sb_add(&back, pc->buf, pc->len);
	sb_add(&back, p->buf, p->len);
	input_unread(p->in, back.buf, back.len);
	sb_free(&back);
	while (p->head) {
		struct piece *pc = p->head;

		p->head = pc->next;
		piece_free(pc);
	}
	p->tail = p->to_parse = NULL;
	if (p->csv) {
		p->one_csv = csvin_part_new(p->csv, p->in, p->lines, 0);
	} else {
		p->one_json = jsonin_new(p->in, NULL);
		jsonin_start_at(p->one_json, p->lines, p->pieces_done > 0);
	}
}

/* The next piece, parsed, at p->cur; 0 at the end of the input. */
static int
next_piece(struct pimport *p)
{
	struct piece *pc;

	if (p->cur) {
		int last = p->cur->last;

		p->lines += p->cur->lines;
		p->pieces_done++;
		pthread_mutex_lock(&p->mu);
		p->head = p->cur->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		pthread_cond_signal(&p->space);
		pthread_mutex_unlock(&p->mu);
		piece_recycle(p, p->cur);
		p->cur = NULL;
		if (last) {
			stop_threads(p);
			return 0;
		}
	}
	pthread_mutex_lock(&p->mu);
	while (!p->head || !p->head->parsed)
		pthread_cond_wait(&p->done, &p->mu);
	pc = p->head;
	pthread_mutex_unlock(&p->mu);
	if (pc->stop || (!pc->clean && !pc->last)) {
		read_on_alone(p);
		return 1;
	}
	p->cur = pc;
	p->at = 0;
	return 1;
}

int
pimport_next(struct pimport *p, struct record *rec, const char **reason)
{
	struct precord *pr;

	*reason = NULL;
	for (;;) {
		if (p->one_csv)
			return csvin_next(p->one_csv, rec, reason);
		if (p->one_json)
			return jsonin_next(p->one_json, rec, reason);
		if (p->finished)
			return READ_EOF;
		if (p->cur && p->at < p->cur->nrecs)
			break;
		if (!next_piece(p)) {
			p->finished = 1;
			return READ_EOF;
		}
	}
	pr = &p->cur->recs[p->at++];
	rec->line = pr->line + p->lines;
	rec->raw = p->cur->text.buf + pr->raw;
	rec->rawlen = pr->rawlen;
	rec->fields = pr->nf ? p->cur->fields + pr->f0 : NULL;
	rec->nfields = pr->nf;
	if (pr->reason != NO_REASON)
		*reason = p->cur->text.buf + pr->reason;
	if (pr->flags && csvin_replay(p->csv, pr->flags, rec->line, rec->raw, rec->rawlen) < 0)
		return READ_FATAL;
	return pr->rc;
}

static int
start_threads(struct pimport *p)
{
	if (pthread_create(&p->reader, NULL, reader_main, p) != 0)
		return -1;
	p->started = 1;
	p->workers = xcalloc((size_t)p->nthreads, sizeof *p->workers);
	for (int i = 0; i < p->nthreads; i++) {
		if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0)
			break;
		p->nstarted++;
	}
	return p->nstarted > 0 ? 0 : -1;
}

struct pimport *
pimport_new(struct input *in, struct csvin *csv, int threads)
{
	struct pimport *p;
	const char *rest = NULL;
	size_t nrest = 0;

	if (csv && !csvin_rest(csv, &rest, &nrest))
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->in = in;
	p->csv = csv;
	p->name = input_name(in);
	p->nthreads = threads > 0 ? threads : 1;
	p->maxqueued = 2 * (size_t)p->nthreads + 2;
	p->lines = csv ? csvin_line(csv) : 0;
	p->cap = PIECE + 2 * READ_SIZE;
	if (p->cap < nrest + READ_SIZE)
		p->cap = nrest + READ_SIZE;
	p->buf = xmalloc(p->cap);
	if (nrest)
		memcpy(p->buf, rest, nrest);
	p->len = nrest;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->space, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (start_threads(p) < 0) {
		/* no threads to be had: one reader, from where the header ended */
		stop_threads(p);
		read_on_alone(p);
	}
	return p;
}

void
pimport_free(struct pimport *p)
{
	if (!p)
		return;
	stop_threads(p);
	if (p->cur && p->cur != p->head)
		piece_free(p->cur);
	while (p->head) {
		struct piece *pc = p->head;

		p->head = pc->next;
		piece_free(pc);
	}
	while (p->spare) {
		struct piece *pc = p->spare;

		p->spare = pc->next;
		piece_free(pc);
	}
	csvin_free(p->one_csv);
	jsonin_free(p->one_json);
	free(p->workers);
	free(p->buf);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->space);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}

int
pimport_default_threads(void)
{
	const char *s = getenv("CDP_THREADS");
	long n;

	if (s && *s) {
		char *end;

		n = strtol(s, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 256)
			return (int)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n >= 1 ? (n > 256 ? 256 : (int)n) : 1;
}
