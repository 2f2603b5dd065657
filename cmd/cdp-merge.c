/*
 * cdp-merge - link every record to one profile per person.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "merge.h"
#include "normalize.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-merge [-q] [-s store] [--rebuild | --compact] [--as-of time]\n"
	    "                 [--wait seconds | --no-wait]\n"
	    "       cdp-merge [-s store] --explain id-or-identifier\n"
	    "       cdp-merge [-s store] --print-config\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-merge [options]\n"
	    "Link every record in the store to a profile, one profile per person.\n\n"
	    "  -s, --store DIR          the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --rebuild            recompute all profiles from all records\n"
	    "      --compact            rewrite the profiles table whole now\n"
	    "      --as-of TIME         \"now\" for the merge log (default: the clock)\n"
	    "      --explain X          why profile X (or the holder of identifier X) is one\n"
	    "      --print-config       print the effective linking rules (STORE/merge.conf)\n"
	    "      --wait SECONDS       wait at most this long for the store lock\n"
	    "      --no-wait            fail at once if another writer holds the lock\n"
	    "  -q, --quiet              no summary line\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 2 failed (nothing changed),\n"
	    "4 store damaged, 64 usage, 75 store locked.\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

enum { OPT_REBUILD = 256, OPT_COMPACT, OPT_ASOF, OPT_EXPLAIN, OPT_CONFIG, OPT_WAIT, OPT_NOWAIT, OPT_HELP,
	OPT_VERSION };

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "rebuild", no_argument, NULL, OPT_REBUILD },
		{ "compact", no_argument, NULL, OPT_COMPACT },
		{ "as-of", required_argument, NULL, OPT_ASOF },
		{ "explain", required_argument, NULL, OPT_EXPLAIN },
		{ "print-config", no_argument, NULL, OPT_CONFIG },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "no-wait", no_argument, NULL, OPT_NOWAIT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct store_opts so = { 1, 0, -1 };
	struct merge_opts mo = { 0 };
	struct merge_config cfg;
	struct merge_stats stats;
	const char *storedir = NULL, *explain = NULL;
	int ch, quiet = 0, print_config = 0, locked, fmt;
	struct store *st;
	char *confpath;

	cdp_setprogname(argv[0]);
	mo.as_of = (int64_t)time(NULL) * 1000000;
	while ((ch = getopt_long(argc, argv, "qs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case OPT_REBUILD:
			mo.rebuild = 1;
			break;
		case OPT_COMPACT:
			mo.compact = 1;
			break;
		case OPT_ASOF:
			if (norm_time(optarg, strlen(optarg), NULL, &mo.as_of, &fmt) < 0)
				cdp_die(CDP_EXIT_USAGE, "--as-of wants a time such as 2025-01-31T00:00:00Z, not '%s'",
				    optarg);
			break;
		case OPT_EXPLAIN:
			explain = optarg;
			break;
		case OPT_CONFIG:
			print_config = 1;
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
	if (optind != argc)
		usage();
	if (explain || print_config)
		so.write = 0;
	cdp_catch_signals();
	st = store_open(store_default_dir(storedir), &so, &locked);
	if (!st)
		cdp_die(locked ? CDP_EXIT_LOCKED : CDP_EXIT_FAIL, "%s", cdp_err());
	confpath = store_path(st, "merge.conf");
	if (merge_config_load(&cfg, confpath) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	free(confpath);
	if (print_config) {
		merge_config_print(&cfg, stdout);
	} else if (explain) {
		if (merge_explain(st, &cfg, explain, stdout) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	} else {
		mo.progress = !quiet && isatty(STDERR_FILENO);
		if (merge_run(st, &cfg, &mo, &stats) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		if (!quiet && stats.unchanged)
			fprintf(stderr, "%s: nothing to merge: no new records, %llu profiles unchanged\n",
			    cdp_progname(), (unsigned long long)stats.total);
		else if (!quiet)
			fprintf(stderr, "%s: %llu records read, %llu profiles created, %llu merged, "
			    "%llu total, largest %llu records, %llu identifiers refused, "
			    "%llu placeholders blocked, %.2f s\n", cdp_progname(),
			    (unsigned long long)stats.records, (unsigned long long)stats.created,
			    (unsigned long long)stats.merged, (unsigned long long)stats.total,
			    (unsigned long long)stats.largest, (unsigned long long)stats.refused,
			    (unsigned long long)stats.blocked, stats.seconds);
	}
	merge_config_free(&cfg);
	store_close(st);
	cdp_close_stdout();
	return CDP_EXIT_OK;
}
