/*
 * cdp-forget - erase people from the store (right to erasure), keep
 * them from coming back, and keep a record that it was done.
 *
 * Options and wiring only; the erasure is in common/forget.c.  Before
 * taking the writer lock the leftovers of a killed forget are opened,
 * so they can be wiped after the lock's cleanup has unlinked them
 * (see forget_recover()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "forget.h"
#include "normalize.h"
#include "store.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-forget [-nq] [-s store] [--email address] [--phone number]\n"
	    "                  [--id customer-id] [--profile id] [--default-country cc]\n"
	    "                  [--reference text] [--no-suppress]\n"
	    "                  [--destination-deletes preset [--destination-file file]]\n"
	    "                  [--wait seconds | --no-wait] [--wipe-wait seconds]\n"
	    "       cdp-forget [-s store] --unsuppress [--email address] [--phone number]\n"
	    "                  [--id customer-id] [--default-country cc] [--reference text]\n"
	    "       cdp-forget [-s store] --log\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-forget [-s STORE] [options] [--email X | --phone X | --id X | --profile N]...\n"
	    "Erase people from the store: every record, their profiles, identifiers and\n"
	    "segment memberships, physically.  Without identifier options, reads one per\n"
	    "line from standard input (profile id, e-mail, phone or customer id).\n\n"
	    "      --email ADDRESS          the person with this e-mail address\n"
	    "      --phone NUMBER           ... this phone number\n"
	    "      --id CUSTOMER_ID         ... this customer id\n"
	    "      --profile ID             this profile\n"
	    "      --default-country CC     country of national phone numbers (DE, US...)\n"
	    "  -n, --dry-run                show what would be erased; change nothing\n"
	    "      --reference TEXT         the request's reference for the audit log\n"
	    "                               (no personal data; default: generated)\n"
	    "      --no-suppress            do not keep the person from being imported again\n"
	    "      --unsuppress             lift the suppression of these identifiers\n"
	    "      --destination-deletes P  also write a removal list hashed for preset P\n"
	    "                               (google-ads, meta)\n"
	    "      --destination-file FILE  write it to FILE (default: standard output)\n"
	    "      --log                    print the audit log\n"
	    "      --wait SECONDS           wait at most this long for the store lock\n"
	    "      --no-wait                fail at once if another writer holds the lock\n"
	    "      --wipe-wait SECONDS      wait at most this long (default 600) for programs\n"
	    "                               still reading the old data before wiping it\n"
	    "  -q, --quiet                  no summary line\n"
	    "  -s, --store DIR              the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 1 done but some identifiers named nobody, 2 failed,\n"
	    "4 store damaged, 64 usage, 75 store locked.\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

enum { OPT_EMAIL = 256, OPT_PHONE, OPT_ID, OPT_PROFILE, OPT_COUNTRY, OPT_REFERENCE,
	OPT_NOSUPPRESS, OPT_UNSUPPRESS, OPT_DEST, OPT_DESTFILE, OPT_LOG, OPT_WAIT, OPT_NOWAIT,
	OPT_WIPEWAIT,
	OPT_HELP, OPT_VERSION };

static struct forget_request *reqs;
static size_t nreqs;
static size_t first_stdin = SIZE_MAX;	/* requests from here on own their text */

static void
add_request(int kind, char *text)
{
	reqs = xreallocarray(reqs, nreqs + 1, sizeof *reqs);
	memset(&reqs[nreqs], 0, sizeof reqs[nreqs]);
	reqs[nreqs].kind = kind;
	reqs[nreqs].text = text;
	nreqs++;
}

/*
 * One identifier per line.  cdp-segment prints bare ids; a CSV from
 * --fields starts with a "profile_id" header and the id first: take
 * the first field of such lines.
 */
static void
read_stdin(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int first = 1, csv = 0;

	first_stdin = nreqs;
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (first && strncmp(line, "profile_id,", 11) == 0) {
			csv = 1;
			first = 0;
			continue;
		}
		first = 0;
		if (csv && strchr(line, ','))
			*strchr(line, ',') = '\0';
		if (!*line || *line == '#')
			continue;
		add_request(csv ? FORGET_PROFILE : FORGET_ANY, xstrdup(line));
	}
	free(line);
	if (ferror(stdin))
		cdp_die(CDP_EXIT_FAIL, "standard input: read error");
}

static const char *
kind_word(int kind)
{
	switch (kind) {
	case FORGET_PROFILE:
		return "profile";
	case FORGET_EMAIL:
		return "e-mail";
	case FORGET_PHONE:
		return "phone";
	case FORGET_CUSTOMER_ID:
		return "customer id";
	default:
		return "identifier";
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "email", required_argument, NULL, OPT_EMAIL },
		{ "phone", required_argument, NULL, OPT_PHONE },
		{ "id", required_argument, NULL, OPT_ID },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "default-country", required_argument, NULL, OPT_COUNTRY },
		{ "reference", required_argument, NULL, OPT_REFERENCE },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-suppress", no_argument, NULL, OPT_NOSUPPRESS },
		{ "unsuppress", no_argument, NULL, OPT_UNSUPPRESS },
		{ "destination-deletes", required_argument, NULL, OPT_DEST },
		{ "destination-file", required_argument, NULL, OPT_DESTFILE },
		{ "log", no_argument, NULL, OPT_LOG },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "no-wait", no_argument, NULL, OPT_NOWAIT },
		{ "wipe-wait", required_argument, NULL, OPT_WIPEWAIT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct store_opts so = { 1, 0, -1 };
	struct forget_opts fo = { 0 };
	struct forget_stats stats;
	struct forget_leftovers lo;
	const char *storedir = NULL, *destfile = NULL;
	int ch, quiet = 0, unsuppress = 0, log = 0, locked, r, status = CDP_EXIT_OK;
	struct strbuf tmp = STRBUF_INIT;
	FILE *dest = NULL;
	struct store *st;

	cdp_setprogname(argv[0]);
	fo.suppress = 1;
	fo.wipe_wait = 600;
	while ((ch = getopt_long(argc, argv, "nqs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case OPT_EMAIL:
			sb_reset(&tmp);
			if (norm_email(optarg, strlen(optarg), &tmp) < 0)
				cdp_die(CDP_EXIT_USAGE, "--email wants an e-mail address, not '%s'", optarg);
			add_request(FORGET_EMAIL, optarg);
			break;
		case OPT_PHONE:
			add_request(FORGET_PHONE, optarg);
			break;
		case OPT_ID:
			if (!*optarg)
				cdp_die(CDP_EXIT_USAGE, "--id wants a customer id");
			add_request(FORGET_CUSTOMER_ID, optarg);
			break;
		case OPT_PROFILE: {
			const char *p = optarg;

			while (*p >= '0' && *p <= '9')
				p++;
			if (!*optarg || *p || p - optarg > 18)
				cdp_die(CDP_EXIT_USAGE, "--profile wants a profile id, not '%s'", optarg);
			add_request(FORGET_PROFILE, optarg);
			break;
		}
		case OPT_COUNTRY:
			if (!norm_country_known(optarg))
				cdp_die(CDP_EXIT_USAGE, "unknown country '%s' (ISO 3166 code such as DE, US)",
				    optarg);
			fo.default_country = optarg;
			break;
		case OPT_REFERENCE:
			fo.reference = optarg;
			break;
		case 'n':
			fo.dry_run = 1;
			break;
		case OPT_NOSUPPRESS:
			fo.suppress = 0;
			break;
		case OPT_UNSUPPRESS:
			unsuppress = 1;
			break;
		case OPT_DEST:
			if (!forget_preset_known(optarg))
				cdp_die(CDP_EXIT_USAGE, "unknown preset '%s' (google-ads, meta)", optarg);
			fo.dest_preset = optarg;
			break;
		case OPT_DESTFILE:
			destfile = optarg;
			break;
		case OPT_LOG:
			log = 1;
			break;
		case OPT_WAIT:
			so.wait = cdp_wait_seconds(optarg);
			break;
		case OPT_NOWAIT:
			so.wait = 0;
			break;
		case OPT_WIPEWAIT: {
			char *end;
			long w = strtol(optarg, &end, 10);

			if (end == optarg || *end || w < 0 || w > 86400)
				cdp_die(CDP_EXIT_USAGE, "--wipe-wait wants a number of seconds, not '%s'", optarg);
			fo.wipe_wait = (int)w;
			break;
		}
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
	sb_free(&tmp);
	if (destfile && !fo.dest_preset)
		cdp_die(CDP_EXIT_USAGE, "--destination-file needs --destination-deletes");
	if (log && (nreqs || unsuppress || fo.dry_run))
		usage();
	if (unsuppress && (fo.dry_run || fo.dest_preset || !fo.suppress))
		usage();

	if (log) {
		so.write = 0;
		st = store_open(store_default_dir(storedir), &so, NULL);
		if (!st)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		if (forget_log_print(st, stdout) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		store_close(st);
		cdp_close_stdout();
		return CDP_EXIT_OK;
	}
	if (!nreqs) {
		if (isatty(STDIN_FILENO))
			cdp_die(CDP_EXIT_USAGE, "no identifiers given (options or standard input)");
		read_stdin();
		/* an empty segment piped in on a cron night is no error */
		if (!nreqs) {
			if (!quiet)
				cdp_warn("standard input names nobody; nothing erased");
			cdp_close_stdout();
			return CDP_EXIT_OK;
		}
	}

	cdp_catch_signals();
	/* Before the lock: its cleanup would unlink a killed forget's old
	 * files without wiping them. */
	if (!fo.dry_run && forget_leftovers_open(store_default_dir(storedir), &lo) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	if (fo.dry_run) {
		memset(&lo, 0, sizeof lo);
		so.write = 0;
	}
	st = store_open(store_default_dir(storedir), &so, &locked);
	if (!st)
		cdp_die(locked ? CDP_EXIT_LOCKED : CDP_EXIT_FAIL, "%s", cdp_err());
	if (!fo.dry_run && forget_recover(st, &lo, fo.wipe_wait) < 0)
		cdp_die(CDP_EXIT_FAIL, "finishing an earlier forget: %s", cdp_err());

	if (unsuppress) {
		uint64_t lifted;

		if (forget_unsuppress(st, reqs, nreqs, &fo, &lifted) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		for (size_t i = 0; i < nreqs; i++) {
			if (!reqs[i].found) {
				cdp_warn("%s '%s': not suppressed", kind_word(reqs[i].kind), reqs[i].text);
				status = CDP_EXIT_PARTIAL;
			}
		}
		if (!quiet)
			fprintf(stderr, "%s: %llu suppressions lifted\n", cdp_progname(),
			    (unsigned long long)lifted);
		store_close(st);
		cdp_close_stdout();
		return status;
	}

	if (fo.dest_preset) {
		dest = stdout;
		if (destfile) {
			/* 0600, no symlinks: it lists the people erased */
			int fd = io_open_output(destfile);

			if (fd < 0)
				cdp_die(CDP_EXIT_FAIL, "cannot create: %s", cdp_err());
			if (!(dest = fdopen(fd, "w")))
				cdp_die(CDP_EXIT_FAIL, "%s: cannot create: %s", destfile, strerror(errno));
		}
		fo.dest = dest;
	}
	if (fo.dry_run)
		fo.listing = stdout;
	if (!quiet)
		fo.notice = stderr;
	r = forget_run(st, reqs, nreqs, &fo, &stats);
	if (r == -2)
		cdp_die(CDP_EXIT_FAIL, "%s (the erasure is committed; run cdp-forget again to finish)",
		    cdp_err());
	if (r < 0)
		cdp_die(CDP_EXIT_FAIL, "%s; nothing erased", cdp_err());
	if (dest && dest != stdout && fclose(dest) != 0)
		cdp_die(CDP_EXIT_FAIL, "%s: write failed", destfile);
	for (size_t i = 0; i < nreqs; i++) {
		if (!reqs[i].found) {
			cdp_warn("%s '%s': not found", kind_word(reqs[i].kind), reqs[i].text);
			status = CDP_EXIT_PARTIAL;
		}
	}
	if (!quiet && !fo.dry_run && (stats.rows || stats.identifiers || stats.reject_lines)) {
		fprintf(stderr, "%s: %s: %llu profiles, %llu records erased (", cdp_progname(),
		    stats.reference, (unsigned long long)stats.profiles, (unsigned long long)stats.rows);
		for (size_t i = 0; i < stats.nsrc; i++)
			fprintf(stderr, "%s%s %llu", i ? ", " : "", stats.src[i].name,
			    (unsigned long long)stats.src[i].rows);
		fprintf(stderr, "%s), %llu segments rewritten, %llu reject lines removed, "
		    "%llu identifiers suppressed, %.2f s\n", stats.nsrc ? "" : "none",
		    (unsigned long long)stats.segments, (unsigned long long)stats.reject_lines,
		    (unsigned long long)stats.suppressed, stats.seconds);
	}
	if (stats.segdefs_redacted && !fo.dry_run)
		cdp_warn("%llu saved segment expressions named an erased value: it is replaced by "
		    "_erased_ and the segment marked redacted=1 (review them: cdp-segment --list)",
		    (unsigned long long)stats.segdefs_redacted);
	forget_stats_free(&stats);
	store_close(st);
	for (size_t i = first_stdin; i < nreqs; i++)
		free(reqs[i].text);
	free(reqs);
	cdp_close_stdout();
	return status;
}
