/*
 * cdp-import - append CSV or JSON Lines files to a cdp store.
 *
 * Each input file becomes one batch, committed on its own: a later
 * file's failure leaves earlier ones imported.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-import [-fqSv] [-s store] [--source name] [--kind person|event]\n"
	    "                  [--event name] [--format csv|jsonl] [--delimiter c]\n"
	    "                  [--encoding name] [--no-header] [--columns list]\n"
	    "                  [--map role=column]... [--mapping file]\n"
	    "                  [--preset name | list] [--set column=value]...\n"
	    "                  [--default-country cc] [--timezone tz]\n"
	    "                  [--day-first | --month-first] [--decimal-comma]\n"
	    "                  [--dedupe-key column] [--rejects file] [--threads n]\n"
	    "                  [--wait seconds | --no-wait] [file ...]\n"
	    "       cdp-import --inspect [options] file ...\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-import [options] [file ...]\n"
	    "Append CSV or JSON Lines files (or stdin) to a cdp store, one batch per file.\n\n"
	    "  -s, --store DIR          the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --source NAME        the system the data comes from (default: file name)\n"
	    "      --kind person|event  what a row describes (detected when obvious)\n"
	    "      --event NAME         every row is an event of this name\n"
	    "      --format csv|jsonl   input format (detected from name or first byte)\n"
	    "      --delimiter C        CSV field delimiter: a character, tab, semicolon,\n"
	    "                           comma or pipe (default: , ; tab or | as sniffed)\n"
	    "      --encoding NAME      the input's encoding: windows-1252, latin1, utf-8...\n"
	    "      --no-header          the CSV has no header row; name columns with --columns\n"
	    "      --columns LIST       comma-separated column names for --no-header\n"
	    "      --map ROLE=COLUMN    use COLUMN for ROLE: email, phone, customer_id,\n"
	    "                           anonymous_id, loyalty_id, time, event, message_id\n"
	    "      --mapping FILE       read settings from a mapping file (see cdp-import(1))\n"
	    "      --preset NAME        settings for a known export (shopify-orders...);\n"
	    "                           --preset list names them (see cdp-presets(7))\n"
	    "      --set COLUMN=VALUE   give every row COLUMN holding VALUE\n"
	    "      --default-country CC country of national phone numbers (e.g. DE)\n"
	    "      --timezone TZ        zone of times written without one (default UTC)\n"
	    "      --day-first          03/04/2024 is 3 April\n"
	    "      --month-first        03/04/2024 is 4 March\n"
	    "      --decimal-comma      1,234 is one and a bit, not a thousand and more\n"
	    "      --inspect            show what an import would do with each column;\n"
	    "                           import nothing (no store needed)\n"
	    "      --dedupe-key COLUMN  skip events whose COLUMN value is already stored\n"
	    "      --rejects FILE       write rejected rows here (default FILE.rejects.csv)\n"
	    "  -S, --strict             any rejected row fails the whole batch\n"
	    "  -f, --force              import a file even if it was imported before\n"
	    "      --threads N          parse on N threads (default $CDP_THREADS, else one\n"
	    "                           per processor); the result is the same for any N\n"
	    "      --wait SECONDS       wait at most this long for the store lock\n"
	    "      --no-wait            fail at once if another writer holds the lock\n"
	    "  -q, --quiet              no summary line\n"
	    "  -v, --verbose            also list which column plays which role\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 1 done with rejected rows, 2 failed (nothing changed),\n"
	    "3 already imported, 4 store damaged, 64 usage, 75 store locked.\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

enum { OPT_SOURCE = 256, OPT_KIND, OPT_EVENT, OPT_FORMAT, OPT_DELIM, OPT_NOHEADER,
	OPT_COLUMNS, OPT_MAP, OPT_MAPPING, OPT_COUNTRY, OPT_TZ, OPT_DAYFIRST, OPT_DEDUPE,
	OPT_REJECTS, OPT_WAIT, OPT_NOWAIT, OPT_PRESET, OPT_SET, OPT_HELP, OPT_VERSION, OPT_ENCODING,
	OPT_MONTHFIRST, OPT_DECCOMMA, OPT_INSPECT, OPT_THREADS };

static const struct option longopts[] = {
	{ "store", required_argument, NULL, 's' },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "event", required_argument, NULL, OPT_EVENT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "delimiter", required_argument, NULL, OPT_DELIM },
	{ "no-header", no_argument, NULL, OPT_NOHEADER },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "mapping", required_argument, NULL, OPT_MAPPING },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "set", required_argument, NULL, OPT_SET },
	{ "default-country", required_argument, NULL, OPT_COUNTRY },
	{ "timezone", required_argument, NULL, OPT_TZ },
	{ "day-first", no_argument, NULL, OPT_DAYFIRST },
	{ "month-first", no_argument, NULL, OPT_MONTHFIRST },
	{ "decimal-comma", no_argument, NULL, OPT_DECCOMMA },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "inspect", no_argument, NULL, OPT_INSPECT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "dedupe-key", required_argument, NULL, OPT_DEDUPE },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "strict", no_argument, NULL, 'S' },
	{ "force", no_argument, NULL, 'f' },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "no-wait", no_argument, NULL, OPT_NOWAIT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
set_or_die(struct import_opts *o, const char *key, const char *val)
{
	if (import_set_option(o, key, val) < 0)
		cdp_die(CDP_EXIT_USAGE, "%s", cdp_err());
}

static void
split_columns(struct import_opts *o, const char *list)
{
	char *copy = xstrdup(list), *p = copy, *tok;

	while ((tok = strsep(&p, ",")) != NULL) {
		o->columns = xreallocarray(o->columns, o->ncolumns + 1, sizeof *o->columns);
		o->columns[o->ncolumns++] = xstrdup(tok);
	}
	free(copy);
}

/* "orders.csv.gz" -> "orders" */
static char *
source_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *s = xstrdup(base ? base + 1 : path), *dot = strchr(s, '.');

	if (dot && dot != s)
		*dot = '\0';
	return s;
}

static void
human_bytes(uint64_t b, char *out, size_t n)
{
	if (b >= 10u << 20)
		snprintf(out, n, "%.1f MB", b / 1048576.0);
	else if (b >= 10u << 10)
		snprintf(out, n, "%.1f KB", b / 1024.0);
	else
		snprintf(out, n, "%llu bytes", (unsigned long long)b);
}

/* Severity order for several files: failure > duplicate > partial > ok. */
/* What opening the store for writing is about to create. */
struct fresh {
	int dir, manifest, lock;
};

static int
missing(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof path, "%s%s%s", dir, name ? "/" : "", name ? name : "");
	return lstat(path, &sb) < 0 && errno == ENOENT;
}

static void
fresh_probe(const char *dir, struct fresh *f)
{
	f->dir = missing(dir, NULL);
	f->manifest = missing(dir, "MANIFEST");
	f->lock = missing(dir, "LOCK");
}

/* Whether dir holds nothing but LOCK. */
static int
only_lock(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int only = d != NULL;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "LOCK"))
			only = 0;
	if (d)
		closedir(d);
	return only;
}

/*
 * An import that committed nothing leaves no store behind it: remove
 * what opening a new store created, still under the writer lock.  The
 * LOCK goes only with the directory it made: a writer waiting on it
 * then finds no directory and fails, while a LOCK unlinked from a
 * directory that stays could let two writers lock two different files.
 * A store holding anything else (a rejects file of stdin input) stays.
 */
static void
fresh_remove(const char *dir, const struct fresh *f)
{
	char path[4096];

	if (!f->manifest)
		return;
	snprintf(path, sizeof path, "%s/MANIFEST", dir);
	unlink(path);
	if (f->dir && f->lock && only_lock(dir)) {
		snprintf(path, sizeof path, "%s/LOCK", dir);
		unlink(path);
		rmdir(dir);
	}
}

static int
worse(int a, int b)
{
	static const int rank[] = { [CDP_EXIT_OK] = 0, [CDP_EXIT_PARTIAL] = 1,
		[CDP_EXIT_DUPLICATE] = 2, [CDP_EXIT_FAIL] = 3 };

	return rank[b] > rank[a] ? b : a;
}

/* -v: "cdp-import: crm.csv: email <- Email (name)", one line per role column. */
static void
print_roles(const char *name, const char *roles)
{
	const char *p = roles;

	if (!roles) {
		fprintf(stderr, "%s: %s: no column plays a role\n", cdp_progname(), name);
		return;
	}
	while (*p) {
		const char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		const char *nl = t2 ? strchr(t2 + 1, '\n') : NULL;

		if (!nl)
			break;
		fprintf(stderr, "%s: %s: %.*s <- %.*s (%.*s)\n", cdp_progname(), name,
		    (int)(t1 - p), p, (int)(t2 - t1 - 1), t1 + 1, (int)(nl - t2 - 1), t2 + 1);
		p = nl + 1;
	}
}

/* --inspect: a report per file on stdout; the store is not touched. */
static int
inspect_files(struct import_opts *o, char **files)
{
	int status = CDP_EXIT_OK;

	for (int i = 0; files[i] && !cdp_interrupted; i++) {
		struct input *in = input_open(files[i]);

		if (i > 0)
			putchar('\n');
		if (!in || import_inspect(in, o, stdout) < 0) {
			cdp_warn("%s", cdp_err());
			status = CDP_EXIT_FAIL;
		}
		input_close(in);
	}
	import_opts_free(o);
	cdp_close_stdout();
	return cdp_interrupted ? CDP_EXIT_FAIL : status;
}

int
main(int argc, char *argv[])
{
	struct import_opts o = { 0 };
	struct store_opts so = { 1, 1, -1 };
	const char *storedir = NULL;
	int quiet = 0, verbose = 0, inspect = 0, ch, status = CDP_EXIT_OK, locked, committed = 0;
	struct fresh fresh;
	struct store *st;
	char *stdin_only[] = { "-", NULL };
	char **files;

	cdp_setprogname(argv[0]);
	/* Presets and mapping files first, in order, so options on the
	 * command line override them. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "fqSs:v", longopts, NULL)) != -1) {
		if (ch == OPT_PRESET && strcmp(optarg, "list") == 0) {
			import_list_presets(stdout);
			cdp_close_stdout();
			exit(CDP_EXIT_OK);
		}
		if ((ch == OPT_MAPPING && import_load_mapping(&o, optarg) < 0) ||
		    (ch == OPT_PRESET && import_load_preset(&o, optarg) < 0))
			cdp_die(CDP_EXIT_USAGE, "%s", cdp_err());
	}
	opterr = 1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "fqSs:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case OPT_SOURCE:
			set_or_die(&o, "source", optarg);
			break;
		case OPT_KIND:
			set_or_die(&o, "kind", optarg);
			break;
		case OPT_EVENT:
			set_or_die(&o, "event", optarg);
			break;
		case OPT_FORMAT:
			set_or_die(&o, "format", optarg);
			break;
		case OPT_DELIM:
			set_or_die(&o, "delimiter", optarg);
			break;
		case OPT_NOHEADER:
			o.no_header = 1;
			break;
		case OPT_COLUMNS:
			split_columns(&o, optarg);
			break;
		case OPT_MAP: {
			char *eq = strchr(optarg, '=');
			int role;

			if (!eq)
				cdp_die(CDP_EXIT_USAGE, "--map wants ROLE=COLUMN, not '%s'", optarg);
			*eq = '\0';
			role = role_from_name(optarg);
			if (role < 0)
				cdp_die(CDP_EXIT_USAGE, "unknown role '%s' (email, phone, customer_id, "
				    "anonymous_id, loyalty_id, time, event, message_id)", optarg);
			free(o.map[role]);
			o.map[role] = xstrdup(eq + 1);
			break;
		}
		case OPT_MAPPING:
		case OPT_PRESET:
			break;
		case OPT_SET: {
			char *eq = strchr(optarg, '=');
			struct strbuf key = STRBUF_INIT;

			if (!eq || eq == optarg)
				cdp_die(CDP_EXIT_USAGE, "--set wants COLUMN=VALUE, not '%s'", optarg);
			sb_adds(&key, "set ");
			sb_add(&key, optarg, (size_t)(eq - optarg));
			set_or_die(&o, key.buf, eq + 1);
			sb_free(&key);
			break;
		}
		case OPT_COUNTRY:
			set_or_die(&o, "default-country", optarg);
			break;
		case OPT_TZ:
			set_or_die(&o, "timezone", optarg);
			break;
		case OPT_DAYFIRST:
			o.day_first = 1;
			break;
		case OPT_MONTHFIRST:
			o.day_first = -1;
			break;
		case OPT_DECCOMMA:
			o.decimal_comma = 1;
			break;
		case OPT_ENCODING:
			set_or_die(&o, "encoding", optarg);
			break;
		case OPT_INSPECT:
			inspect = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_DEDUPE:
			set_or_die(&o, "dedupe-key", optarg);
			break;
		case OPT_REJECTS:
			free(o.rejects_path);
			o.rejects_path = xstrdup(optarg);
			break;
		case OPT_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end || n < 1 || n > 256)
				cdp_die(CDP_EXIT_USAGE, "--threads wants a number from 1 to 256, not '%s'",
				    optarg);
			o.threads = (int)n;
			break;
		}
		case 'S':
			o.strict = 1;
			break;
		case 'f':
			o.force = 1;
			break;
		case OPT_WAIT:
			so.wait = cdp_wait_seconds(optarg);
			break;
		case OPT_NOWAIT:
			so.wait = 0;
			break;
		case 'q':
			quiet = 1;
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
	files = argc > 0 ? argv : stdin_only;
	if (o.no_header && o.ncolumns == 0)
		cdp_die(CDP_EXIT_USAGE, "--no-header needs --columns to name the columns");
	for (int i = 0; files[i]; i++)
		if (strcmp(files[i], "-") == 0 && !o.source && !inspect)
			cdp_die(CDP_EXIT_USAGE, "reading stdin needs --source to name the data");
	if (o.rejects_path && argc > 1)
		cdp_die(CDP_EXIT_USAGE, "--rejects takes one input file at a time");

	cdp_catch_signals();
	if (inspect)
		return inspect_files(&o, files);
	o.progress = !quiet && isatty(STDERR_FILENO);
	fresh_probe(store_default_dir(storedir), &fresh);
	st = store_open(store_default_dir(storedir), &so, &locked);
	if (!st)
		cdp_die(locked ? CDP_EXIT_LOCKED : CDP_EXIT_FAIL, "%s", cdp_err());
	int i;

	for (i = 0; files[i] && !cdp_interrupted; i++) {
		struct import_opts fo = o;
		struct import_stats stats;
		struct input *in = input_open(files[i]);
		char *source = NULL;
		int r;

		if (!in) {
			cdp_warn("%s", cdp_err());
			status = worse(status, CDP_EXIT_FAIL);
			continue;
		}
		if (!fo.source)
			fo.source = source = source_from_path(files[i]);
		r = import_run(st, in, &fo, &stats);
		if (r == IMPORT_OK)
			committed++;
		if (r == IMPORT_OK && stats.unsynced)
			cdp_warn("%s: imported as batch %llu, but %s: the batch may not survive a power cut",
			    input_name(in), (unsigned long long)stats.batch, stats.unsynced);
		if (r == IMPORT_OK) {
			if (!quiet) {
				char size[32];

				human_bytes(stats.bytes, size, sizeof size);
				fprintf(stderr, "%s: %s: %llu rows", cdp_progname(), input_name(in),
				    (unsigned long long)stats.rows);
				if (stats.rejects)
					fprintf(stderr, ", %llu rejected (see %s)",
					    (unsigned long long)stats.rejects, stats.rejects_file);
				if (stats.suppressed)
					fprintf(stderr, ", %llu rows suppressed",
					    (unsigned long long)stats.suppressed);
				if (stats.duplicates)
					fprintf(stderr, ", %llu duplicates skipped",
					    (unsigned long long)stats.duplicates);
				if (stats.grouped)
					fprintf(stderr, ", %llu rows grouped into earlier ones",
					    (unsigned long long)stats.grouped);
				if (stats.skipped)
					fprintf(stderr, ", %llu rows skipped by the mapping",
					    (unsigned long long)stats.skipped);
				fprintf(stderr, ", %s in %.2f s, %.0f rows/s\n", size, stats.seconds,
				    stats.seconds > 0 ? stats.rows / stats.seconds : 0.0);
			}
			if (verbose)
				print_roles(input_name(in), stats.roles);
			status = worse(status, stats.rejects ? CDP_EXIT_PARTIAL : CDP_EXIT_OK);
		} else if (r == IMPORT_DUPLICATE) {
			cdp_warn("%s", cdp_err());
			status = worse(status, CDP_EXIT_DUPLICATE);
		} else if (r == IMPORT_STRICT) {
			cdp_warn("%s: %llu rows rejected (see %s); --strict: nothing imported",
			    input_name(in), (unsigned long long)stats.rejects,
			    stats.rejects_file ? stats.rejects_file : "rejects");
			status = worse(status, CDP_EXIT_FAIL);
		} else if (r == IMPORT_REJECTED) {
			cdp_warn("%s: every row rejected (%llu, see %s); nothing imported",
			    input_name(in), (unsigned long long)stats.rejects,
			    stats.rejects_file ? stats.rejects_file : "rejects");
			status = worse(status, CDP_EXIT_FAIL);
		} else {
			cdp_warn("%s", cdp_err());
			status = worse(status, CDP_EXIT_FAIL);
		}
		free(stats.rejects_file);
		free(stats.unsynced);
		free(stats.roles);
		free(source);
		input_close(in);
	}
	if (!committed)
		fresh_remove(store_default_dir(storedir), &fresh);
	store_close(st);
	import_opts_free(&o);
	if (files[i]) {
		cdp_warn("interrupted: %s and the files after it were not imported", files[i]);
		status = worse(status, CDP_EXIT_FAIL);
	}
	cdp_close_stdout();
	/* a failure the store's damage caused is reported as damage */
	return status == CDP_EXIT_FAIL && cdp_damaged() ? CDP_EXIT_CORRUPT : status;
}
