/*
 * cdp-report - numbers and charts for analysts: overview, campaigns,
 * funnel, cohorts, rfm, segments, quality.  The reports live in
 * common/report.c, the HTML page in common/html.c; this file parses
 * options and wires them together.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "expr.h"
#include "html.h"
#include "out.h"
#include "report.h"
#include "store.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-report [-s store] report [step ...] [--format csv|tsv|jsonl] [--html file]\n"
	    "                  [--chart] [--segment name|-] [--as-of time] [--since time]\n"
	    "                  [--until time] [--window duration] [--first-touch | --last-touch]\n"
	    "                  [--groups]\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-report [-s STORE] REPORT [STEP...] [options]\n"
	    "Reports on a cdp store, as CSV on stdout, an HTML page or a text chart.\n\n"
	    "Reports:\n"
	    "  overview                 profiles, records by source, identified, opted in,\n"
	    "                           orders, revenue, active profiles (7/30/90 days)\n"
	    "  campaigns                per campaign: profiles reached, conversions, orders, revenue\n"
	    "  funnel STEP...           profiles doing each event in order within the window\n"
	    "  cohorts                  retention by month of first order\n"
	    "  rfm                      recency/frequency/monetary cells and named groups\n"
	    "  segments                 size of each saved segment over its runs\n"
	    "  quality                  valid e-mails and phones, placeholders, rejects, duplicates\n\n"
	    "Options:\n"
	    "      --format F           csv (default), tsv or jsonl\n"
	    "      --html FILE          also write a self-contained HTML page with a chart\n"
	    "      --chart              draw the chart as text instead of printing the table\n"
	    "      --segment NAME       only the profiles of saved segment NAME ('-': ids on stdin)\n"
	    "      --as-of TIME         the report's \"now\" (default: the current time); a date,\n"
	    "                           today or yesterday means the end of that day\n"
	    "      --since TIME         start of the period (inclusive)\n"
	    "      --until TIME         end of the period (a date includes that day)\n"
	    "      --window DURATION    campaigns, funnel: 7d (default), 12h, 2w, ...\n"
	    "      --first-touch        campaigns: credit the first touch of each profile\n"
	    "      --last-touch         campaigns: credit the latest touch before each order (default)\n"
	    "      --groups             rfm: one row per named group\n"
	    "  -s, --store DIR          the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 2 failed, 4 store damaged, 64 usage.\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

enum {
	OPT_FORMAT = 256, OPT_HTML, OPT_CHART, OPT_SEGMENT, OPT_ASOF, OPT_SINCE, OPT_UNTIL,
	OPT_WINDOW, OPT_FIRST, OPT_LAST, OPT_GROUPS, OPT_HELP, OPT_VERSION
};

/* A bound that excludes itself: a day given as --as-of or --until ends at the midnight after it. */
static int64_t
time_arg(const char *opt, const char *s, int end)
{
	int64_t us;

	if (expr_time_arg(s, (int64_t)time(NULL) * 1000000, end ? EXPR_DAY_AFTER : EXPR_DAY_START, &us) < 0)
		cdp_die(CDP_EXIT_USAGE, "%s wants a time such as 2025-01-31, 2025-01-31T10:00:00Z, "
		    "yesterday or -7d, not '%s'", opt, s);
	return us;
}

/* No saved segment of that name: a usage error that names the closest one. */
static void
check_segment_name(const struct store *st, const char *name)
{
	const char **names = xcalloc(st->ne + 1, sizeof *names), *m;
	size_t n = 0;

	for (size_t i = 0; i < st->ne; i++) {
		const char *s = mentry_get(st->e[i], "name");

		if (strcmp(st->e[i]->kind, "segdef") != 0 || !s)
			continue;
		if (strcmp(s, name) == 0) {
			free(names);
			return;
		}
		names[n++] = s;
	}
	m = cdp_did_you_mean(name, names, n);
	if (m)
		cdp_die(CDP_EXIT_USAGE, "no saved segment '%s' (did you mean '%s'?)", name, m);
	cdp_die(CDP_EXIT_USAGE, "no saved segment '%s' (cdp-segment --list)", name);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "chart", no_argument, NULL, OPT_CHART },
		{ "segment", required_argument, NULL, OPT_SEGMENT },
		{ "as-of", required_argument, NULL, OPT_ASOF },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "first-touch", no_argument, NULL, OPT_FIRST },
		{ "last-touch", no_argument, NULL, OPT_LAST },
		{ "groups", no_argument, NULL, OPT_GROUPS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct store_opts so = { 0, 0, 0 };
	struct report_opts ro;
	struct report rep;
	const char *storedir = NULL, *html = NULL, *segment = NULL;
	int ch, format = OUT_CSV, chart = 0, kind, rc = CDP_EXIT_OK;
	int64_t *ids = NULL;
	size_t nids = 0;
	struct store *st;

	cdp_setprogname(argv[0]);
	memset(&ro, 0, sizeof ro);
	/* The next whole second: what was written this second is in. */
	ro.as_of = ((int64_t)time(NULL) + 1) * 1000000;
	ro.since = ro.until = REPORT_NO_TIME;
	ro.window = 7 * REPORT_DAY;
	ro.attribution = ATTRIBUTION_LAST_TOUCH;
	/* "+": options and steps may mix, but a step never looks like one. */
	while ((ch = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case OPT_FORMAT:
			format = out_parse_format(optarg);
			if (format < 0)
				cdp_die(CDP_EXIT_USAGE, "unknown format '%s' (csv, tsv, jsonl)", optarg);
			break;
		case OPT_HTML:
			html = optarg;
			break;
		case OPT_CHART:
			chart = 1;
			break;
		case OPT_SEGMENT:
			segment = optarg;
			break;
		case OPT_ASOF:
			ro.as_of = time_arg("--as-of", optarg, 1);
			break;
		case OPT_SINCE:
			ro.since = time_arg("--since", optarg, 0);
			break;
		case OPT_UNTIL:
			ro.until = time_arg("--until", optarg, 1);
			break;
		case OPT_WINDOW:
			if (report_parse_duration(optarg, &ro.window) < 0)
				cdp_die(CDP_EXIT_USAGE, "--window wants a duration such as 7d or 12h, not '%s'",
				    optarg);
			break;
		case OPT_FIRST:
			ro.attribution = ATTRIBUTION_FIRST_TOUCH;
			break;
		case OPT_LAST:
			ro.attribution = ATTRIBUTION_LAST_TOUCH;
			break;
		case OPT_GROUPS:
			ro.groups = 1;
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
	if (argc < 1)
		usage();
	kind = report_kind_parse(argv[0]);
	if (kind < 0) {
		const char *kinds[REPORT_QUALITY + 1], *m;

		for (int i = 0; i <= REPORT_QUALITY; i++)
			kinds[i] = report_kind_name(i);
		m = cdp_did_you_mean(argv[0], kinds, REPORT_QUALITY + 1);

		if (m)
			cdp_warn("unknown report '%s' (did you mean '%s'?)", argv[0], m);
		else
			cdp_warn("unknown report '%s'", argv[0]);
		usage();
	}
	if (kind == REPORT_FUNNEL) {
		if (argc < 2)
			cdp_die(CDP_EXIT_USAGE, "funnel wants the events of its steps, e.g. "
			    "product_viewed add_to_cart checkout_started order_completed");
		if (argc - 1 > 32)
			cdp_die(CDP_EXIT_USAGE, "funnel takes at most 32 steps");
		ro.steps = argv + 1;
		ro.nsteps = (size_t)argc - 1;
	} else if (argc != 1) {
		usage();
	}
	if (ro.since != REPORT_NO_TIME && ro.until != REPORT_NO_TIME && ro.until <= ro.since)
		cdp_die(CDP_EXIT_USAGE, "--until must be later than --since");

	/* Before any output: a symlink or fifo there is refused anyway. */
	if (html && io_check_output(html) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	st = store_open(store_default_dir(storedir), &so, NULL);
	if (!st)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	if (segment) {
		if (strcmp(segment, "-") == 0) {
			if (report_read_ids(stdin, &ids, &nids) < 0)
				cdp_die(CDP_EXIT_FAIL, "stdin: %s", cdp_err());
			ro.segment = "from stdin";
		} else {
			check_segment_name(st, segment);
			if (report_segment_ids(st, segment, &ids, &nids) < 0)
				cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
			ro.segment = segment;
		}
		ro.filtered = 1;
		ro.ids = ids;
		ro.nids = nids;
	}
	if (report_run(st, kind, &ro, &rep) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	if (html && html_write_file(html, &rep) < 0) {
		cdp_warn("%s", cdp_err());
		rc = CDP_EXIT_FAIL;
	}
	if (chart)
		report_text_chart(&rep, stdout, isatty(STDOUT_FILENO) ? 80 : 72);
	else if (report_write(&rep, stdout, format) < 0)
		cdp_die(CDP_EXIT_FAIL, "stdout: write error");
	report_free(&rep);
	free(ids);
	store_close(st);
	cdp_close_stdout();
	return rc;
}
