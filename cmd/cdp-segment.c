/*
 * cdp-segment - the profiles that match an expression, and named
 * segments that remember who was in them.
 *
 * The language and the evaluator are in common/expr.c; this file is
 * options, stdin candidates, output, and the named-segment entries of
 * the manifest:
 *   segdef ID  name=NAME expr=TEXT saved=TIME
 *   segrun ID  name=NAME time=TIME as-of=TIME size=N entered=N left=N members=SEGID
 *   segment SEGID table=segmembers rows=N file=... segment=NAME
 * A name has at most one segdef and one segrun per recorded run, in run
 * order.  Only the latest run has members=: a new run drops the member
 * file of the one before in the same commit (which keeps its size and
 * times for cdp-report segments), so the recorded list is always the one
 * the last printed changes were computed against.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "expr.h"
#include "normalize.h"
#include "out.h"
#include "store.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-segment [-s store] [-av] [--as-of time] [--count | --fields list] expr\n"
	    "       cdp-segment [-s store] [-av] [--as-of time] [--count | --fields list] --run name\n"
	    "       cdp-segment [-s store] [-v] [--as-of time] [--count] [--wait seconds] --run name --changes\n"
	    "       cdp-segment [-s store] [--wait seconds] --save name expr\n"
	    "       cdp-segment [-s store] [--wait seconds] --delete name\n"
	    "       cdp-segment [-s store] --list\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-segment [-s STORE] [options] EXPR\n"
	    "Print the ids of the profiles that match EXPR, one per line, sorted.\n\n"
	    "  EXPR examples:\n"
	    "    country = \"DE\" and sum(order.amount within 365d) > 200 and email_consent\n"
	    "    count(product_added within 7d) >= 1 and count(order_completed within 7d) = 0\n\n"
	    "  -c, --count            print only the number of profiles\n"
	    "  -f, --fields LIST      print CSV: profile_id and these attributes\n"
	    "  -a, --all              ignore standard input (else ids piped in restrict the candidates)\n"
	    "      --as-of TIME       evaluate as if it were TIME (2025-01-31T10:00:00Z,\n"
	    "                         yesterday, -7d; a date means the end of that day)\n"
	    "      --save NAME        store EXPR as the named segment NAME\n"
	    "      --run NAME         evaluate the named segment NAME\n"
	    "      --changes          with --run: print +ID entered, then -ID left since the last\n"
	    "                         recorded run, and record this run\n"
	    "      --list             the named segments, their size at their last run\n"
	    "      --delete NAME      forget the named segment NAME\n"
	    "      --wait SECONDS     wait at most this long for the store lock\n"
	    "  -v, --verbose          say what was read and skipped, on stderr\n"
	    "  -s, --store DIR        the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 2 failed, 4 store damaged,\n"
	    "64 usage or expression error, 75 store locked.\n"
	    "See cdp-segment(1) for the language.\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

static int64_t
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *
time_text(int64_t us)
{
	struct strbuf sb = STRBUF_INIT;

	time_format(us, TF_ISO_Z, &sb);
	return sb_detach(&sb, NULL);
}

enum { NAME_MAX_LEN = 127 };

static int
name_char(char c)
{
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '_';
}

/* Dies unless s is a segment name: 1 to 127 of letters, digits, '_',
 * '-' and '.', the first a letter, digit or '_' (so never ".", ".." or
 * an option such as "-x"). */
static void
check_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		cdp_die(CDP_EXIT_USAGE, "a segment name cannot be empty");
	if (n > NAME_MAX_LEN)
		cdp_die(CDP_EXIT_USAGE, "segment name too long: %zu characters, at most %d", n, NAME_MAX_LEN);
	if (!name_char(*s))
		cdp_die(CDP_EXIT_USAGE, "a segment name begins with a letter, digit or '_'");
	for (; *s; s++)
		if (!name_char(*s) && *s != '-' && *s != '.')
			cdp_die(CDP_EXIT_USAGE, "a segment name is letters, digits, '_', '-' and '.'");
}

/* The last entry of kind named name: for "segrun", the latest run. */
static struct mentry *
find_named(struct store *st, const char *kind, const char *name)
{
	for (size_t i = st->ne; i-- > 0;) {
		const char *n = mentry_get(st->e[i], "name");

		if (strcmp(st->e[i]->kind, kind) == 0 && n && strcmp(n, name) == 0)
			return st->e[i];
	}
	return NULL;
}

/* No saved segment of that name: a usage error that names the closest one. */
static void
die_no_segment(struct store *st, const char *name)
{
	const char **names = xcalloc(st->ne + 1, sizeof *names), *m;
	size_t n = 0;

	for (size_t i = 0; i < st->ne; i++)
		if (strcmp(st->e[i]->kind, "segdef") == 0 && mentry_get(st->e[i], "name"))
			names[n++] = mentry_get(st->e[i], "name");
	m = cdp_did_you_mean(name, names, n);
	if (m)
		cdp_die(CDP_EXIT_USAGE, "no segment named '%s' (did you mean '%s'?)", name, m);
	cdp_die(CDP_EXIT_USAGE, "no segment named '%s' (see --list)", name);
}

/* An earlier run keeps its size and times; its member list goes. */
static void
retire_run(struct store *st, struct mentry *old)
{
	struct mentry *seg = store_find(st, "segment", mentry_getu(old, "members")), *e;

	if (seg)
		store_remove(st, seg);
	e = store_add(st, "segrun", old->id);
	for (size_t k = 0; k < old->nkv; k++)
		if (strcmp(old->keys[k], "members") != 0)
			mentry_set(e, old->keys[k], "%s", old->vals[k]);
	store_remove(st, old);
}

static int
has_attr(const struct expr_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nattrs; i++)
		if (strcmp(s->attrs[i], name) == 0)
			return 1;
	return 0;
}

static int
id_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/*
 * Profile ids from stdin: one per line; a CSV line counts by its first
 * field and a "profile_id" header line is skipped, so the output of
 * --fields pipes back in.  Sorted, duplicates removed.
 */
static int64_t *
read_candidates(size_t *n)
{
	int64_t *ids = NULL;
	size_t cap = 0, k = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	unsigned long lineno = 0;

	while ((len = getline(&line, &lcap, stdin)) >= 0) {
		char *p = line, *end;
		long long v;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || (lineno == 1 && strncmp(p, "profile_id", 10) == 0))
			continue;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (end == p || errno || (*end && *end != ',' && *end != '\t'))
			cdp_die(CDP_EXIT_USAGE, "stdin:%lu: not a profile id: '%.40s' (use -a to ignore stdin)",
			    lineno, p);
		if (k == cap) {
			cap = cap ? cap * 2 : 1024;
			ids = xreallocarray(ids, cap, sizeof *ids);
		}
		ids[k++] = v;
	}
	if (ferror(stdin))
		cdp_die(CDP_EXIT_FAIL, "stdin: %s", strerror(errno));
	free(line);
	if (k > 1)
		qsort(ids, k, sizeof *ids, id_cmp);
	{
		size_t u = 0;

		for (size_t i = 0; i < k; i++)
			if (u == 0 || ids[u - 1] != ids[i])
				ids[u++] = ids[i];
		k = u;
	}
	*n = k;
	return ids ? ids : xmalloc(1);
}

/* Candidates come from stdin only when it is a pipe or a file. */
static int
stdin_has_ids(void)
{
	struct stat sb;

	if (isatty(0) || fstat(0, &sb) < 0)
		return 0;
	return S_ISFIFO(sb.st_mode) || S_ISREG(sb.st_mode) || S_ISSOCK(sb.st_mode);
}

static void
print_matches(const struct expr_schema *s, const struct expr_match *m, size_t n, int count,
    char **fields, size_t nfields)
{
	if (count) {
		printf("%zu\n", n);
		return;
	}
	if (!nfields) {
		for (size_t i = 0; i < n; i++)
			if (printf("%lld\n", (long long)m[i].id) < 0)
				break;
		return;
	}
	/* --fields: read each named column of each segment once */
	{
		struct colvec **cols = xcalloc(s->npsegs ? s->npsegs : 1, sizeof *cols);
		const char **names = xcalloc(nfields + 1, sizeof *names);
		struct strbuf tmp = STRBUF_INIT;
		struct out o;

		names[0] = "profile_id";
		for (size_t f = 0; f < nfields; f++)
			names[f + 1] = fields[f];
		for (size_t i = 0; i < s->npsegs; i++) {
			cols[i] = xcalloc(nfields + 1, sizeof **cols);
			for (size_t f = 0; f <= nfields; f++) {
				/* stored or virtual (rfm_*, see profiles.h) */
				int r = profiles_col(s->pt, i, names[f], &cols[i][f]);

				if (r < 0)
					cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
				if (r == 0)
					cols[i][f].n = 0;
			}
		}
		out_init(&o, stdout, OUT_CSV, 0);
		out_header(&o, names, nfields + 1);
		for (size_t k = 0; k < n; k++) {
			for (size_t f = 0; f <= nfields; f++) {
				const struct colvec *v = &cols[m[k].seg][f];

				if (v->n == 0 || colvec_isnull(v, m[k].row)) {
					out_null(&o);
					continue;
				}
				sb_reset(&tmp);
				colvec_format(v, m[k].row, &tmp);
				out_cell(&o, tmp.buf, tmp.len, OK_STRING);
			}
			if (out_row_end(&o) < 0)
				break;
		}
		out_free(&o);
		sb_free(&tmp);
		for (size_t i = 0; i < s->npsegs; i++) {
			for (size_t f = 0; f <= nfields; f++)
				if (cols[i][f].n)
					colvec_free(&cols[i][f]);
			free(cols[i]);
		}
		free(cols);
		free(names);
	}
}

/* The member ids of a named segment's last recorded run (sorted). */
static int
last_members(struct store *st, const char *name, int64_t **ids, size_t *n, int *had_run)
{
	struct mentry *run = find_named(st, "segrun", name), *seg;
	struct segment *s;
	struct colvec v;
	char *path;

	*ids = NULL;
	*n = 0;
	*had_run = run != NULL;
	if (!run)
		return 0;
	seg = store_find(st, "segment", mentry_getu(run, "members"));
	if (!seg || !mentry_get(seg, "file"))
		return cdp_seterr("%s: segment '%s': its last run's member list is missing", st->dir, name);
	path = store_path(st, mentry_get(seg, "file"));
	s = segment_open(path);
	free(path);
	if (!s)
		return -1;
	if (segment_col_index(s, "profile_id") != 0 || segment_read(s, 0, &v) < 0) {
		cdp_seterr("%s: unreadable member list", s->path);
		segment_close(s);
		return -1;
	}
	segment_close(s);
	*ids = v.iv;
	*n = v.n;
	v.iv = NULL;
	colvec_free(&v);
	if (*n > 1)
		qsort(*ids, *n, sizeof **ids, id_cmp);
	return 0;
}

/* Write the member list and replace the name's run entry; then commit. */
static int
record_run(struct store *st, const char *name, const struct expr_match *m, size_t n, int64_t as_of,
    size_t entered, size_t left)
{
	struct mentry *old = find_named(st, "segrun", name), *e;
	struct colvec v;
	struct segcol_in col;
	uint64_t segid, size;
	char *file, *path, *t1, *t2;
	int r;

	colvec_init(&v, CT_INT);
	for (size_t i = 0; i < n; i++)
		colvec_push_int(&v, m[i].id);
	col.name = "profile_id";
	col.v = &v;
	file = store_segment_name(st, &segid);
	path = store_path(st, file);
	r = segment_write(path, "segmembers", 0, &col, 1, n, &size);
	colvec_free(&v);
	free(path);
	if (r < 0) {
		free(file);
		return -1;
	}
	if (old)
		retire_run(st, old);
	e = store_add(st, "segment", segid);
	mentry_set(e, "table", "segmembers");
	mentry_set(e, "rows", "%zu", n);
	mentry_set(e, "file", "%s", file);
	mentry_set(e, "segment", "%s", name);
	e = store_add(st, "segrun", store_new_id(st));
	t1 = time_text(wall_now());
	t2 = time_text(as_of);
	mentry_set(e, "name", "%s", name);
	mentry_set(e, "time", "%s", t1);
	mentry_set(e, "as-of", "%s", t2);
	mentry_set(e, "size", "%zu", n);
	mentry_set(e, "entered", "%zu", entered);
	mentry_set(e, "left", "%zu", left);
	mentry_set(e, "members", "%llu", (unsigned long long)segid);
	free(t1);
	free(t2);
	free(file);
	return store_commit(st) == -1 ? -1 : 0;
}

/*
 * Print +ID for each profile in m (this run) but not in old (the last
 * recorded run), then -ID for each in old but not in m: entered first,
 * then left, each in id order.  Both lists are sorted.
 */
static void
print_changes(const struct expr_match *m, size_t nm, const int64_t *old, size_t nold, int count,
    size_t *entered, size_t *left)
{
	size_t i, j;

	*entered = *left = 0;
	for (i = 0, j = 0; i < nm; i++) {
		while (j < nold && old[j] < m[i].id)
			j++;
		if (j < nold && old[j] == m[i].id)
			continue;
		if (!count)
			printf("+%lld\n", (long long)m[i].id);
		++*entered;
	}
	for (i = 0, j = 0; j < nold; j++) {
		while (i < nm && m[i].id < old[j])
			i++;
		if (i < nm && m[i].id == old[j])
			continue;
		if (!count)
			printf("-%lld\n", (long long)old[j]);
		++*left;
	}
	if (count)
		printf("+%zu -%zu\n", *entered, *left);
}

static int
cmd_list(struct store *st)
{
	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *d = st->e[i], *run;
		const char *name = mentry_get(d, "name");

		if (strcmp(d->kind, "segdef") != 0 || !name)
			continue;
		run = find_named(st, "segrun", name);
		printf("%s\t%s\t%s\t%s\n", name, run ? mentry_get(run, "size") : "-",
		    run && mentry_get(run, "time") ? mentry_get(run, "time") : "never",
		    mentry_get(d, "expr") ? mentry_get(d, "expr") : "");
	}
	return 0;
}

enum { OPT_ASOF = 256, OPT_SAVE, OPT_RUN, OPT_CHANGES, OPT_LIST, OPT_DELETE, OPT_WAIT, OPT_HELP,
	OPT_VERSION };

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "count", no_argument, NULL, 'c' },
		{ "fields", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "as-of", required_argument, NULL, OPT_ASOF },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ "run", required_argument, NULL, OPT_RUN },
		{ "changes", no_argument, NULL, OPT_CHANGES },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "delete", required_argument, NULL, OPT_DELETE },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct store_opts so = { 0, 0, -1 };
	const char *storedir = NULL, *save = NULL, *run = NULL, *del = NULL, *src = NULL;
	char *fieldlist = NULL, **fields = NULL;
	size_t nfields = 0, nmatch = 0, ncand = 0;
	int ch, all = 0, count = 0, verbose = 0, changes = 0, list = 0, locked = 0, rc = CDP_EXIT_OK;
	int64_t as_of = wall_now(), *cand = NULL;
	struct expr_schema schema;
	struct expr_match *m = NULL;
	struct expr_stats stats;
	struct store *st;
	struct expr *e;
	double t0 = now_seconds();

	cdp_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "acf:s:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'c':
			count = 1;
			break;
		case 'f':
			fieldlist = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_ASOF:
			/* events at as_of count: a day means its last microsecond */
			if (expr_time_arg(optarg, wall_now(), EXPR_DAY_LAST, &as_of) < 0)
				cdp_die(CDP_EXIT_USAGE, "--as-of wants a time such as 2025-01-31, "
				    "2025-01-31T10:00:00Z, yesterday or -7d, not '%s'", optarg);
			break;
		case OPT_SAVE:
			save = optarg;
			break;
		case OPT_RUN:
			run = optarg;
			break;
		case OPT_CHANGES:
			changes = 1;
			break;
		case OPT_LIST:
			list = 1;
			break;
		case OPT_DELETE:
			del = optarg;
			break;
		case OPT_WAIT:
			so.wait = cdp_wait_seconds(optarg);
			break;
		case OPT_HELP:
			help();
			break;
		case OPT_VERSION:
			cdp_print_version();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((save != NULL) + (run != NULL) + (del != NULL) + list > 1)
		usage();
	if (list || del || run) {
		if (argc != 0)
			usage();
	} else if (argc != 1) {
		usage();
	} else {
		src = argv[0];
	}
	if ((changes && !run) || (count && fieldlist) || (changes && fieldlist))
		usage();
	if (save)
		check_name(save);
	if (run)
		check_name(run);
	if (del)
		check_name(del);

	so.write = save || del || changes;
	st = store_open(store_default_dir(storedir), &so, &locked);
	if (!st)
		cdp_die(locked ? CDP_EXIT_LOCKED : CDP_EXIT_FAIL, "%s", cdp_err());
	if (list) {
		cmd_list(st);
		store_close(st);
		cdp_close_stdout();
		return 0;
	}
	if (del) {
		struct mentry *d = find_named(st, "segdef", del), *r;

		if (!d)
			die_no_segment(st, del);
		/* every run of it, and the member list of the latest */
		while ((r = find_named(st, "segrun", del)) != NULL) {
			struct mentry *ms = store_find(st, "segment", mentry_getu(r, "members"));

			if (ms && mentry_get(r, "members"))
				store_remove(st, ms);
			store_remove(st, r);
		}
		store_remove(st, d);
		if (store_commit(st) == -1)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		store_close(st);
		cdp_close_stdout();
		return 0;
	}
	if (run) {
		struct mentry *d = find_named(st, "segdef", run);

		if (!d || !mentry_get(d, "expr"))
			die_no_segment(st, run);
		src = mentry_get(d, "expr");
	}
	if (expr_schema_load(st, &schema) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	e = expr_compile(src, &schema, as_of);
	if (!e) {
		if (run)
			cdp_die(CDP_EXIT_USAGE, "segment '%s': %s", run, cdp_err());
		cdp_die(CDP_EXIT_USAGE, "%s", cdp_err());
	}
	if (fieldlist) {
		char *p = fieldlist, *tok;

		while ((tok = strsep(&p, ",")) != NULL) {
			while (*tok == ' ')
				tok++;
			if (!*tok || strcmp(tok, "profile_id") == 0)
				continue;
			if (tok[0] == '_' || !has_attr(&schema, tok)) {
				const char *best = NULL;
				size_t bd = 3;

				for (size_t i = 0; i < schema.nattrs; i++) {
					size_t dd = cdp_edit_distance(tok, schema.attrs[i]);

					if (dd < bd) {
						bd = dd;
						best = schema.attrs[i];
					}
				}
				if (best)
					cdp_die(CDP_EXIT_USAGE, "--fields: unknown attribute '%s' (did you mean '%s'?)",
					    tok, best);
				cdp_die(CDP_EXIT_USAGE, "--fields: unknown attribute '%s'", tok);
			}
			fields = xreallocarray(fields, nfields + 1, sizeof *fields);
			fields[nfields++] = tok;
		}
	}
	if (save) {
		struct mentry *d = find_named(st, "segdef", save);
		char *t = time_text(wall_now());

		if (!d) {
			d = store_add(st, "segdef", store_new_id(st));
			mentry_set(d, "name", "%s", save);
		}
		mentry_set(d, "expr", "%s", src);
		mentry_set(d, "saved", "%s", t);
		free(t);
		if (store_commit(st) == -1)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		goto done;
	}
	/* A recorded run must hold the whole segment: it ignores stdin. */
	if (!all && !changes && stdin_has_ids())
		cand = read_candidates(&ncand);
	if (expr_eval(e, st, &schema, cand, ncand, &m, &nmatch, &stats) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	if (verbose)
		cdp_warn("%zu of %llu profiles in %.3f s; profiles segments %zu read, %zu skipped; "
		    "records segments %zu read, %zu skipped; %zu columns read", nmatch,
		    (unsigned long long)stats.profiles, now_seconds() - t0, stats.psegs_read, stats.psegs_skipped,
		    stats.rsegs_read, stats.rsegs_skipped, stats.columns_read);
	if (changes) {
		int64_t *old;
		size_t nold, entered, left;
		int had;

		if (last_members(st, run, &old, &nold, &had) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		print_changes(m, nmatch, old, nold, count, &entered, &left);
		free(old);
		/* Print first, record after: if the output is lost, the next run repeats it. */
		if (fflush(stdout) != 0 || ferror(stdout))
			cdp_die(CDP_EXIT_FAIL, "stdout: %s; run not recorded", strerror(errno));
		if (record_run(st, run, m, nmatch, as_of, entered, left) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s (run not recorded)", cdp_err());
	} else {
		print_matches(&schema, m, nmatch, count, fields, nfields);
	}
done:
	free(m);
	free(cand);
	free(fields);
	expr_free(e);
	expr_schema_free(&schema);
	store_close(st);
	cdp_close_stdout();
	return rc;
}
