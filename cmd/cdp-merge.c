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
#include "merge_match.h"
#include "normalize.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-merge [-qv] [-s store] [--rebuild] [--as-of time]\n"
	    "                 [--wait seconds | --no-wait]\n"
	    "       cdp-merge [-s store] --train\n"
	    "       cdp-merge [-s store] --review file\n"
	    "       cdp-merge [-s store] --decisions file\n"
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
	    "      --as-of TIME         \"now\" for the merge log (default: the clock)\n"
	    "      --explain X          why profile X (or the holder of identifier X) is one\n"
	    "      --print-config       print the effective linking rules (STORE/merge.conf)\n"
	    "                           and the matching model's parameters\n"
	    "      --train              estimate the matching model from the records\n"
	    "                           (STORE/match.params)\n"
	    "      --review FILE        write the pairs left for a person to decide as CSV\n"
	    "      --decisions FILE     keep the decisions of a filled-in review CSV, then link\n"
	    "      --wait SECONDS       wait at most this long for the store lock\n"
	    "      --no-wait            fail at once if another writer holds the lock\n"
	    "  -q, --quiet              no summary line\n"
	    "  -v, --verbose            candidate pairs per blocking rule\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 2 failed (nothing changed),\n"
	    "4 store damaged, 64 usage, 75 store locked.\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

enum { OPT_REBUILD = 256, OPT_ASOF, OPT_EXPLAIN, OPT_CONFIG, OPT_WAIT, OPT_NOWAIT, OPT_HELP,
	OPT_VERSION, OPT_TRAIN, OPT_REVIEW, OPT_DECISIONS };

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "rebuild", no_argument, NULL, OPT_REBUILD },
		{ "as-of", required_argument, NULL, OPT_ASOF },
		{ "explain", required_argument, NULL, OPT_EXPLAIN },
		{ "print-config", no_argument, NULL, OPT_CONFIG },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "no-wait", no_argument, NULL, OPT_NOWAIT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "train", no_argument, NULL, OPT_TRAIN },
		{ "review", required_argument, NULL, OPT_REVIEW },
		{ "decisions", required_argument, NULL, OPT_DECISIONS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct store_opts so = { 1, 0, -1 };
	struct merge_opts mo = { 0 };
	struct merge_config cfg;
	struct merge_stats stats;
	const char *storedir = NULL, *explain = NULL, *review = NULL, *decisions = NULL;
	int ch, quiet = 0, print_config = 0, locked, fmt, train = 0;
	struct store *st;
	char *confpath;

	cdp_setprogname(argv[0]);
	mo.as_of = (int64_t)time(NULL) * 1000000;
	while ((ch = getopt_long(argc, argv, "qvs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case OPT_REBUILD:
			mo.rebuild = 1;
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
		case 'v':
			mo.verbose = 1;
			break;
		case OPT_TRAIN:
			train = 1;
			break;
		case OPT_REVIEW:
			review = optarg;
			break;
		case OPT_DECISIONS:
			decisions = optarg;
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
	if (optind != argc || (!!explain + print_config + train + !!review + !!decisions) > 1)
		usage();
	if (explain || print_config || review)
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
	} else if (train) {
		if (merge_train(st, &cfg, quiet ? NULL : stderr) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	} else if (review) {
		size_t n;

		if (merge_review(st, &cfg, review, &n) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		if (!quiet)
			fprintf(stderr, "%s: %zu pairs to review in %s\n", cdp_progname(), n, review);
	} else {
		if (decisions) {
			size_t n;

			if (merge_decisions(st, &cfg, decisions, &n) < 0)
				cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
			if (!quiet)
				fprintf(stderr, "%s: %zu decisions kept\n", cdp_progname(), n);
			mo.decisions_changed = 1;
		}
		mo.progress = !quiet && isatty(STDERR_FILENO);
		if (merge_run(st, &cfg, &mo, &stats) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		if (!quiet && mo.verbose && !stats.unchanged)
			fprintf(stderr, "%s: probabilistic: %llu candidate pairs (%s), %llu linked, "
			    "%llu refused, %llu decided, %llu to review\n", cdp_progname(),
			    (unsigned long long)stats.match_pairs, stats.match_rules,
			    (unsigned long long)stats.match_linked, (unsigned long long)stats.match_refused,
			    (unsigned long long)stats.match_decided, (unsigned long long)stats.match_review);
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
