/*
 * cdp-store - look after a cdp store: info, verify, dump, drop.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drop.h"
#include "fileio.h"
#include "lsm.h"
#include "out.h"
#include "profiles.h"
#include "store.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-store [-s store] info [--internal]\n"
	    "       cdp-store [-s store] verify [-v] [--absent value]...\n"
	    "       cdp-store [-s store] dump [--format csv|tsv|jsonl] [--batch id] [--table name]\n"
	    "                 [--internal]\n"
	    "       cdp-store [-s store] drop --batch id\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-store [-s STORE] COMMAND [options]\n"
	    "Look after a cdp store.\n\n"
	    "  info                     batches, segments, columns, sizes and compression\n"
	    "         --internal        also the profiles' internal columns (_merges, _t:...)\n"
	    "  verify [-v|--verbose]    check every manifest entry and every checksum\n"
	    "         --absent VALUE    also prove VALUE occurs in no file of the store\n"
	    "  dump                     print rows back (default: all records as CSV)\n"
	    "         --format F        csv, tsv or jsonl\n"
	    "         --batch ID        only the rows of this batch\n"
	    "         --table NAME      records (default), profiles, idmap, links, merges,\n"
	    "                           refusals, segmembers\n"
	    "         --internal        also the profiles' internal columns (_merges, _t:...)\n"
	    "  drop --batch ID          remove an imported batch and wipe its bytes;\n"
	    "                           the next cdp-merge rebuilds the profiles\n\n"
	    "  -s, --store DIR          the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 2 failed, 4 the store is damaged, 64 usage,\n"
	    "75 store locked (drop).\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

static const char *
type_name(int t)
{
	switch (t) {
	case CT_INT:
		return "integer";
	case CT_DEC:
		return "decimal";
	case CT_BOOL:
		return "boolean";
	case CT_TIME:
		return "timestamp";
	default:
		return "string";
	}
}

static void
size_str(uint64_t b, char *out, size_t n)
{
	if (b >= 10u << 20)
		snprintf(out, n, "%.1f MB", b / 1048576.0);
	else if (b >= 10u << 10)
		snprintf(out, n, "%.1f KB", b / 1024.0);
	else
		snprintf(out, n, "%llu B", (unsigned long long)b);
}

/*
 * Columns of profiles whose name starts with '_' (_merges, _t:NAME,
 * _r:NAME, _v:NAME) are cdp-merge's bookkeeping for its next run, not
 * attributes: shown only with --internal.  Records keep theirs (_email
 * and the like are the normalized identifiers).
 */
static int
is_internal(const char *table, const char *column)
{
	return column[0] == '_' && strcmp(table, "profiles") == 0;
}

/* Drop the internal columns from a column list, unless asked for them. */
static void
drop_internal(const char *table, char **names, size_t *n, int internal)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		if (!internal && is_internal(table, names[i]))
			free(names[i]);
		else
			names[k++] = names[i];
	}
	*n = k;
}

static int
cmd_info(struct store *st, int internal)
{
	static const char *const tables[] = { "records", "profiles", "links", NULL };
	uint64_t nbatches = 0, input = 0;
	char a[32], b[32];

	printf("store %s, generation %llu\n", st->dir, (unsigned long long)st->generation);
	printf("\n%-6s %-14s %-7s %-6s %9s %8s %8s  %-20s %s\n", "batch", "source", "kind", "format",
	    "rows", "rejects", "dups", "imported", "input");
	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];

		if (strcmp(e->kind, "batch") != 0)
			continue;
		nbatches++;
		input += mentry_getu(e, "bytes");
		printf("%-6llu %-14s %-7s %-6s %9llu %8llu %8llu  %-20s %s\n", (unsigned long long)e->id,
		    mentry_get(e, "source") ? mentry_get(e, "source") : "-",
		    mentry_get(e, "kind") ? mentry_get(e, "kind") : "-",
		    mentry_get(e, "format") ? mentry_get(e, "format") : "-",
		    (unsigned long long)mentry_getu(e, "rows"), (unsigned long long)mentry_getu(e, "rejects"),
		    (unsigned long long)mentry_getu(e, "duplicates"),
		    mentry_get(e, "time") ? mentry_get(e, "time") : "-",
		    mentry_get(e, "input") ? mentry_get(e, "input") : "-");
	}
	if (!nbatches)
		printf("(none)\n");
	for (int t = 0; tables[t]; t++) {
		struct segment **segs;
		size_t n, ncols, all;
		uint64_t rows = 0, disk = 0;
		char **names;

		if (store_segments(st, tables[t], &segs, &n) < 0)
			return -1;
		if (n == 0) {
			free(segs);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			rows += segs[i]->nrows;
			disk += segs[i]->size;
		}
		size_str(disk, a, sizeof a);
		printf("\ntable %s: %llu rows in %zu segments, %s", tables[t], (unsigned long long)rows, n, a);
		if (t == 0 && input) {
			size_str(input, b, sizeof b);
			printf(" from %s of input (%.2f of input size)", b, (double)disk / (double)input);
		}
		printf("\n%-32s %-10s %10s %10s %10s %6s\n", "column", "type", "non-null", "stored", "raw", "ratio");
		names = segments_columns(segs, n, &ncols);
		all = ncols;
		drop_internal(tables[t], names, &ncols, internal);
		for (size_t c = 0; c < ncols; c++) {
			uint64_t nonnull = 0, cdisk = 0, craw = 0;
			int type = 0, mixed = 0;

			for (size_t i = 0; i < n; i++) {
				int idx = segment_col_index(segs[i], names[c]);
				const struct segcol *col;

				if (idx < 0)
					continue;
				col = &segs[i]->cols[idx];
				nonnull += segs[i]->nrows - col->nnull;
				cdisk += col->disklen;
				craw += col->rawlen;
				if (type && type != col->type)
					mixed = 1;
				type = col->type;
			}
			size_str(cdisk, a, sizeof a);
			size_str(craw, b, sizeof b);
			printf("%-32s %-10s %10llu %10s %10s %6.2f\n", names[c], mixed ? "mixed" : type_name(type),
			    (unsigned long long)nonnull, a, b, craw ? (double)cdisk / (double)craw : 1.0);
		}
		if (all > ncols)
			printf("(%zu internal columns not shown; --internal shows them)\n", all - ncols);
		columns_free(names, ncols);
		store_segments_free(segs, n);
	}
	return 0;
}

/* 1 if needle occurs in the bytes. */
static int
contains(const char *hay, size_t n, const char *needle, size_t m)
{
	return m && n && memmem(hay, n, needle, m) != NULL;
}

/* 1 if a typed column prints, in some row, text containing a value. */
static int
typed_holds(struct segment *s, int c, char **absent, size_t nabsent)
{
	struct strbuf tmp = STRBUF_INIT;
	struct colvec v;
	int found = 0;

	if (segment_read(s, c, &v) < 0)
		return 0;
	for (size_t r = 0; r < v.n && !found; r++) {
		if (colvec_isnull(&v, r))
			continue;
		sb_reset(&tmp);
		colvec_format(&v, r, &tmp);
		for (size_t k = 0; k < nabsent && !found; k++)
			found = contains(tmp.buf, tmp.len, absent[k], strlen(absent[k]));
	}
	colvec_free(&v);
	sb_free(&tmp);
	return found;
}

/* 1 if a column of the segment holds one of the values (warned). */
static int
segment_holds(struct segment *s, const char *path, char **absent, size_t nabsent)
{
	int found = 0;

	for (size_t c = 0; c < s->ncols && nabsent; c++) {
		struct strbuf raw = STRBUF_INIT;
		int here = 0;

		if (segment_read_raw(s, (int)c, &raw) == 0)
			for (size_t k = 0; k < nabsent; k++)
				here |= contains(raw.buf, raw.len, absent[k], strlen(absent[k]));
		sb_free(&raw);
		/* numbers and times are not stored as text: print them */
		if (!here && s->cols[c].type != CT_STR)
			here = typed_holds(s, (int)c, absent, nabsent);
		if (here)
			cdp_warn("%s: column '%s' holds the value", path, s->cols[c].name);
		found |= here;
	}
	return found;
}

/*
 * A segment file no manifest names: superseded, kept for a reader of an
 * older generation until the next writer wipes it.  It is not damage,
 * but until then it may hold an erased value.
 */
static int
leftover_holds(const char *path, char **absent, size_t nabsent)
{
	struct segment *s = segment_open(path);
	struct strbuf content = STRBUF_INIT;
	int found = 0;

	if (s) {
		found = segment_holds(s, path, absent, nabsent);
		segment_close(s);
	}
	if (!found && io_read_file(path, &content) == 0)
		for (size_t k = 0; k < nabsent; k++)
			found |= contains(content.buf, content.len, absent[k], strlen(absent[k]));
	sb_free(&content);
	if (found)
		cdp_warn("%s: superseded file not wiped yet (still read by a program that "
		    "started before a writer's commit) holds the value", path);
	return found;
}

/* The manifest's values decoded: a value with a space is stored as %20. */
static int
manifest_holds(const struct store *st, char **absent, size_t nabsent)
{
	int found = 0;

	for (size_t i = 0; i < st->ne && nabsent; i++) {
		const struct mentry *e = st->e[i];

		for (size_t k = 0; k < e->nkv; k++) {
			for (size_t a = 0; a < nabsent; a++) {
				if (contains(e->vals[k], strlen(e->vals[k]), absent[a], strlen(absent[a]))) {
					cdp_warn("%s/MANIFEST: %s %llu: %s holds the value", st->dir, e->kind,
					    (unsigned long long)e->id, e->keys[k]);
					found = 1;
				}
			}
		}
	}
	return found;
}

/* Index tables (lsm.h): every run's keys sorted and unique, as its entries say. */
static int
verify_indexes(struct store *st)
{
	size_t n;
	char **names = lsm_tables(st, &n);
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		struct lsm *x = lsm_open(st, names[i]);

		if (lsm_verify(x) < 0) {
			cdp_warn("%s", cdp_err());
			r = -1;
		}
		lsm_close(x);
	}
	columns_free(names, n);
	return r;
}

static int
cmd_verify(struct store *st, int verbose, char **absent, size_t nabsent)
{
	uint64_t rows = 0, nsegs = 0;
	int bad = 0;
	DIR *d;
	struct dirent *de;

	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];
		const char *file = mentry_get(e, "file");
		struct segment *s;
		char *path;

		if (strcmp(e->kind, "segment") != 0)
			continue;
		if (!file) {
			cdp_warn("%s: segment %llu has no file", st->dir, (unsigned long long)e->id);
			bad = 1;
			continue;
		}
		path = store_path(st, file);
		s = segment_open(path);
		if (!s) {
			cdp_warn("%s", cdp_err());
			bad = 1;
		} else if (segment_verify(s) < 0) {
			cdp_warn("%s", cdp_err());
			bad = 1;
		} else if (s->nrows != mentry_getu(e, "rows") ||
		    (mentry_get(e, "table") && strcmp(s->table, mentry_get(e, "table")) != 0)) {
			cdp_warn("%s: does not match its manifest entry", path);
			bad = 1;
		} else {
			rows += s->nrows;
			nsegs++;
			if (segment_holds(s, path, absent, nabsent))
				bad = 2;
		}
		segment_close(s);
		free(path);
	}
	if (bad != 1 && verify_indexes(st) < 0)
		bad = 1;
	/* Every other file: permissions, leftovers and (raw) absence. */
	d = opendir(st->dir);
	while (d && (de = readdir(d)) != NULL) {
		struct stat sb;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = store_path(st, de->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (sb.st_mode & 077)
				cdp_warn("%s: readable by others (mode %o)", path, (unsigned)(sb.st_mode & 0777));
			/* the HMAC secret is random bytes, not data: a short value
			 * would match it by chance */
			if (nabsent && strncmp(de->d_name, "seg-", 4) == 0 && !store_names_file(st, de->d_name) &&
			    leftover_holds(path, absent, nabsent))
				bad = 2;
			if (nabsent && strncmp(de->d_name, "seg-", 4) != 0 &&
			    strcmp(de->d_name, "secret") != 0 && strcmp(de->d_name, "LOCK") != 0) {
				struct strbuf content = STRBUF_INIT;

				if (io_read_file(path, &content) == 0) {
					for (size_t k = 0; k < nabsent; k++) {
						if (contains(content.buf, content.len, absent[k], strlen(absent[k]))) {
							cdp_warn("%s: holds the value", path);
							bad = 2;
						}
					}
				}
				sb_free(&content);
			}
		}
		free(path);
	}
	if (d)
		closedir(d);
	if (manifest_holds(st, absent, nabsent))
		bad = 2;
	/* Rejects files kept beside inputs belong to the store's data too. */
	for (size_t i = 0; i < st->ne && nabsent; i++) {
		const char *rf = mentry_get(st->e[i], "rejects-file");
		struct strbuf content = STRBUF_INIT;

		if (!rf || io_read_file(rf, &content) < 0)
			continue;
		for (size_t k = 0; k < nabsent; k++) {
			if (contains(content.buf, content.len, absent[k], strlen(absent[k]))) {
				cdp_warn("%s: holds the value", rf);
				bad = 2;
			}
		}
		sb_free(&content);
	}
	if (bad == 1)
		return CDP_EXIT_CORRUPT;
	if (bad == 2)
		return CDP_EXIT_PARTIAL;
	if (verbose)
		printf("ok: %llu segments, %llu rows%s\n", (unsigned long long)nsegs,
		    (unsigned long long)rows, nabsent ? ", values absent" : "");
	return CDP_EXIT_OK;
}

static void
cell(struct out *o, const struct colvec *v, size_t r, struct strbuf *tmp)
{
	int kind = OK_STRING;

	if (colvec_isnull(v, r)) {
		out_null(o);
		return;
	}
	sb_reset(tmp);
	colvec_format(v, r, tmp);
	if (v->type == CT_INT || v->type == CT_DEC)
		kind = OK_NUMBER;
	else if (v->type == CT_BOOL)
		kind = OK_BOOL;
	out_cell(o, tmp->buf, tmp->len, kind);
}

/* Hidden columns are still read, so a dump finds damage wherever it is. */
static int
check_hidden(struct segment *s, const char *table)
{
	for (size_t c = 0; c < s->ncols; c++) {
		struct colvec v;

		if (!is_internal(table, s->cols[c].name))
			continue;
		if (segment_read(s, (int)c, &v) < 0)
			return -1;
		colvec_free(&v);
	}
	return 0;
}

/*
 * The profiles table as its readers see it: the live rows, ascending
 * profile_id, rfm_* computed; not the superseded rows and tombstones
 * of its segments (see cdp-store(5)).
 */
static int
dump_profiles(struct store *st, int format, int internal)
{
	struct profiles p;
	struct strbuf tmp = STRBUF_INIT;
	struct colvec **v;
	int **present;
	char **names;
	size_t ncols = 0;
	struct out o;
	int rc = 0;

	if (profiles_open(st, &p) < 0)
		return -1;
	names = xcalloc(p.ncols + 1, sizeof *names);
	for (size_t c = 0; c < p.ncols; c++)
		if (strcmp(p.cols[c], "_deleted") != 0 && (internal || !is_internal("profiles", p.cols[c])))
			names[ncols++] = p.cols[c];
	v = xcalloc(p.nsegs + 1, sizeof *v);
	present = xcalloc(p.nsegs + 1, sizeof *present);
	for (size_t i = 0; i < p.nsegs && rc == 0; i++) {
		v[i] = xcalloc(ncols + 1, sizeof **v);
		present[i] = xcalloc(ncols + 1, sizeof **present);
		for (size_t c = 0; c < ncols && rc == 0; c++) {
			int r = profiles_col(&p, i, names[c], &v[i][c]);

			if (r < 0)
				rc = -1;
			present[i][c] = r > 0;
		}
		if (rc == 0 && !internal && check_hidden(p.segs[i], "profiles") < 0)
			rc = -1;
	}
	out_init(&o, stdout, format, 0);
	if (rc == 0)
		out_header(&o, (const char *const *)names, ncols);
	for (size_t j = 0; j < p.nlive && rc == 0; j++) {
		const struct prow *w = &p.order[j];

		for (size_t c = 0; c < ncols; c++) {
			if (present[w->seg][c])
				cell(&o, &v[w->seg][c], w->row, &tmp);
			else
				out_null(&o);
		}
		if (out_row_end(&o) < 0)
			break;
	}
	out_free(&o);
	for (size_t i = 0; i < p.nsegs; i++) {
		for (size_t c = 0; v[i] && c < ncols; c++)
			if (present[i][c])
				colvec_free(&v[i][c]);
		free(v[i]);
		free(present[i]);
	}
	free(v);
	free(present);
	free(names);
	sb_free(&tmp);
	profiles_close(&p);
	return rc;
}

static int
cmd_dump(struct store *st, const char *table, int format, uint64_t batch, int internal)
{
	struct segment **segs;
	struct strbuf tmp = STRBUF_INIT;
	struct out o;
	struct mergemap mm;
	size_t n, ncols;
	char **names;

	if (strcmp(table, "profiles") == 0 && !batch)
		return dump_profiles(st, format, internal);
	if (store_segments(st, table, &segs, &n) < 0)
		return -1;
	if (batch) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			if (segs[i]->batch == batch)
				segs[k++] = segs[i];
			else
				segment_close(segs[i]);
		}
		n = k;
	}
	/* idmap rows keep the profile they had when written: show the live one */
	if (strcmp(table, "idmap") == 0 && mergemap_load(st, &mm) < 0) {
		store_segments_free(segs, n);
		return -1;
	}
	names = segments_columns(segs, n, &ncols);
	drop_internal(table, names, &ncols, internal);
	out_init(&o, stdout, format, 0);
	out_header(&o, (const char *const *)names, ncols);
	for (size_t i = 0; i < n; i++) {
		struct colvec *v = xcalloc(ncols ? ncols : 1, sizeof *v);
		int *present = xcalloc(ncols ? ncols : 1, sizeof *present);

		for (size_t c = 0; c < ncols; c++) {
			int idx = segment_col_index(segs[i], names[c]);

			if (idx < 0)
				continue;
			if (segment_read(segs[i], idx, &v[c]) < 0) {
				store_segments_free(segs, n);
				return -1;
			}
			present[c] = 1;
			if (strcmp(table, "idmap") == 0 && strcmp(names[c], "profile") == 0)
				for (size_t r = 0; r < v[c].n; r++)
					if (!colvec_isnull(&v[c], r))
						v[c].iv[r] = mergemap_resolve(&mm, v[c].iv[r]);
		}
		if (!internal && check_hidden(segs[i], table) < 0) {
			store_segments_free(segs, n);
			return -1;
		}
		for (size_t r = 0; r < segs[i]->nrows; r++) {
			for (size_t c = 0; c < ncols; c++) {
				if (present[c])
					cell(&o, &v[c], r, &tmp);
				else
					out_null(&o);
			}
			if (out_row_end(&o) < 0)
				break;
		}
		for (size_t c = 0; c < ncols; c++)
			if (present[c])
				colvec_free(&v[c]);
		free(v);
		free(present);
	}
	out_free(&o);
	sb_free(&tmp);
	columns_free(names, ncols);
	store_segments_free(segs, n);
	if (strcmp(table, "idmap") == 0)
		mergemap_free(&mm);
	return 0;
}

/* Tables the programs write, whether or not this store has rows in them yet. */
static const char *const known_tables[] = { "records", "profiles", "idmap", "links", "merges",
	"refusals", "segmembers", NULL };

/* An unknown table or batch is a usage error, not an empty dump. */
static void
check_dump_args(const struct store *st, const char *table, uint64_t batch)
{
	const char **names = NULL;
	size_t n = 0;
	int found = 0;
	uint64_t first = 0, last = 0;

	for (size_t i = 0; known_tables[i]; i++) {
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = known_tables[i];
	}
	for (size_t i = 0; i < st->ne; i++) {
		const char *t = mentry_get(st->e[i], "table");
		int dup = 0;

		if (strcmp(st->e[i]->kind, "batch") == 0) {
			first = first ? first : st->e[i]->id;
			last = st->e[i]->id;
		}
		if (strcmp(st->e[i]->kind, "segment") != 0 || !t)
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = strcmp(names[k], t) == 0;
		if (!dup) {
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = t;
		}
	}
	for (size_t i = 0; i < n; i++)
		found |= strcmp(names[i], table) == 0;
	if (!found) {
		const char *m = cdp_did_you_mean(table, names, n);

		if (m)
			cdp_die(CDP_EXIT_USAGE, "unknown table '%s' (did you mean '%s'?)", table, m);
		cdp_die(CDP_EXIT_USAGE, "unknown table '%s' (records, profiles, idmap, links, merges, "
		    "refusals, segmembers)", table);
	}
	free(names);
	if (batch && !store_find(st, "batch", batch)) {
		if (!last)
			cdp_die(CDP_EXIT_USAGE, "no batch %llu: the store has no batches",
			    (unsigned long long)batch);
		cdp_die(CDP_EXIT_USAGE, "no batch %llu (the batches are numbered %llu to %llu; "
		    "cdp-store info lists them)", (unsigned long long)batch, (unsigned long long)first,
		    (unsigned long long)last);
	}
}

enum { OPT_ABSENT = 256, OPT_FORMAT, OPT_BATCH, OPT_TABLE, OPT_INTERNAL, OPT_HELP, OPT_VERSION };

static int
cmd_drop(const char *dir, uint64_t batch)
{
	struct store_opts so = { 1, 0, -1 };
	struct drop_stats ds;
	struct store *st;
	int locked, r;

	if (!batch)
		cdp_die(CDP_EXIT_USAGE, "drop wants --batch ID (see cdp-store info)");
	st = store_open(dir, &so, &locked);
	if (!st)
		cdp_die(locked ? CDP_EXIT_LOCKED : CDP_EXIT_FAIL, "%s", cdp_err());
	r = store_drop_batch(st, batch, &ds);
	if (r == -1) {
		cdp_warn("%s", cdp_err());
	} else {
		if (r == -2)
			cdp_warn("%s; the batch is dropped, run cdp-store verify", cdp_err());
		fprintf(stderr, "%s: dropped batch %llu: %llu rows, %llu segments%s; "
		    "run cdp-merge to rebuild the profiles\n", cdp_progname(),
		    (unsigned long long)batch, (unsigned long long)ds.rows,
		    (unsigned long long)ds.segments, ds.rejects_wiped ? ", rejects file wiped" : "");
	}
	store_close(st);
	return r == 0 ? CDP_EXIT_OK : CDP_EXIT_FAIL;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "absent", required_argument, NULL, OPT_ABSENT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "internal", no_argument, NULL, OPT_INTERNAL },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct store_opts so = { 0, 0, 0 };
	const char *storedir = NULL, *table = "records", *cmd;
	char **absent = NULL;
	size_t nabsent = 0;
	int ch, verbose = 0, internal = 0, format = OUT_CSV, r;
	uint64_t batch = 0;
	struct store *st;

	cdp_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "s:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_ABSENT:
			absent = xreallocarray(absent, nabsent + 1, sizeof *absent);
			absent[nabsent++] = optarg;
			break;
		case OPT_FORMAT:
			format = out_parse_format(optarg);
			if (format < 0)
				cdp_die(CDP_EXIT_USAGE, "unknown format '%s' (csv, tsv, jsonl)", optarg);
			break;
		case OPT_BATCH: {
			char *end;

			batch = strtoull(optarg, &end, 10);
			if (!batch || *end || optarg[0] == '-')
				cdp_die(CDP_EXIT_USAGE, "--batch wants a batch id, not '%s'", optarg);
			break;
		}
		case OPT_TABLE:
			table = optarg;
			break;
		case OPT_INTERNAL:
			internal = 1;
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
	if (argc != 1)
		usage();
	cmd = argv[0];
	if (strcmp(cmd, "drop") == 0) {
		r = cmd_drop(store_default_dir(storedir), batch);
		free(absent);
		cdp_close_stdout();
		return r;
	}
	if (strcmp(cmd, "info") != 0 && strcmp(cmd, "verify") != 0 && strcmp(cmd, "dump") != 0) {
		static const char *const cmds[] = { "info", "verify", "dump", "drop" };
		const char *m = cdp_did_you_mean(cmd, cmds, 4);

		if (m)
			cdp_warn("unknown command '%s' (did you mean '%s'?)", cmd, m);
		else
			cdp_warn("unknown command '%s'", cmd);
		usage();
	}
	st = store_open(store_default_dir(storedir), &so, NULL);
	if (!st)
		cdp_die(strcmp(cmd, "verify") == 0 ? CDP_EXIT_CORRUPT : CDP_EXIT_FAIL, "%s", cdp_err());
	if (strcmp(cmd, "info") == 0) {
		r = cmd_info(st, internal) < 0 ? CDP_EXIT_FAIL : CDP_EXIT_OK;
	} else if (strcmp(cmd, "verify") == 0) {
		r = cmd_verify(st, verbose, absent, nabsent);
	} else {
		check_dump_args(st, table, batch);
		r = cmd_dump(st, table, format, batch, internal) < 0 ? CDP_EXIT_FAIL : CDP_EXIT_OK;
	}
	if (r == CDP_EXIT_FAIL) {
		cdp_warn("%s", cdp_err());
		if (cdp_damaged())
			r = CDP_EXIT_CORRUPT;
	}
	store_close(st);
	free(absent);
	cdp_close_stdout();
	return r;
}
