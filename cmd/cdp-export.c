/*
 * cdp-export - write profiles (or their records) for the tool that acts
 * on them: a spreadsheet, an e-mail platform, an ad platform.
 *
 * The selection is every profile (--all, or stdin is a terminal) or the
 * ids read from stdin, as cdp-segment prints them; "+ID"/"-ID" lines
 * (cdp-segment --changes) are additions and removals.  Everything about
 * formats, presets and consent lives in common/export.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "fileio.h"
#include "out.h"
#include "profiles.h"
#include "recommend.h"
#include "store.h"
#include "util.h"

/* Ids that were not found are named up to this many times, then counted. */
#define MAX_NOTES 10

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-export [-q] [-s store] [--all] [--format csv|tsv|jsonl] [--excel] [--fields list]\n"
	    "                  [--preset name] [--purpose email|ads|analytics|none] [--tag name]\n"
	    "                  [--removals file] [--records] [--recommendations n]\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-export [-s STORE] [options] < ids\n"
	    "Write profiles to stdout: those whose ids arrive on stdin (first column,\n"
	    "+ID/-ID for additions/removals), or all of them.\n\n"
	    "      --all                every profile; stdin is not read\n"
	    "      --format F           csv (default), tsv or jsonl\n"
	    "      --excel              CSV for spreadsheets: BOM, CRLF, dates, no formulas\n"
	    "      --fields A,B,...     profile columns to write (default: all)\n"
	    "      --preset NAME        mailchimp, google-ads or meta: the platform's columns,\n"
	    "                           normalized and hashed as it asks\n"
	    "      --purpose P          email, ads, analytics or none: only profiles whose\n"
	    "                           consent allows it (a preset applies its own)\n"
	    "      --tag NAME           mailchimp: the segment's name, as a tag\n"
	    "      --segment NAME       the same as --tag\n"
	    "      --removals FILE      presets: write removals (-ID) to FILE\n"
	    "      --records            the records of the profiles (access requests)\n"
	    "      --recommendations N  add the item left in the cart and the top N products\n"
	    "                           (cdp-recommend): cart_item, ..., rec_1_item, ...\n"
	    "  -q, --quiet              no summary on stderr\n"
	    "  -s, --store DIR          the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 1 done but input lines were not ids, 2 failed,\n"
	    "4 store damaged, 64 usage.\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

/* Split "a,b,c" into a list (empty items dropped). */
static char **
split_list(char *s, size_t *n)
{
	char **v = NULL;

	*n = 0;
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = tok;
	}
	return v;
}

struct selection {
	struct u64set add, remove;
	int64_t *ids;		/* every id asked for, after merges, for notes */
	size_t nids, cap;
	int changes;
	uint64_t bad;
};

/* Read the id list from f, following merged-away ids to their survivor. */
static int
read_ids(FILE *f, struct store *st, struct selection *sel)
{
	struct mergemap mm;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	if (mergemap_load(st, &mm) < 0)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		int64_t id, live;
		int sign, r;

		lineno++;
		r = export_parse_line(line, (size_t)len, &id, &sign);
		if (r == 0)
			continue;
		if (r < 0) {
			line[strcspn(line, "\r\n")] = '\0';
			cdp_warn("stdin:%zu: not a profile id '%s'", lineno, line);
			sel->bad++;
			continue;
		}
		live = mergemap_resolve(&mm, id);
		if (live != id)
			cdp_warn("profile %lld was merged into %lld", (long long)id, (long long)live);
		if (sign)
			sel->changes = 1;
		u64set_add(sign == '-' ? &sel->remove : &sel->add, (uint64_t)live);
		if (sel->nids == sel->cap) {
			sel->cap = sel->cap ? sel->cap * 2 : 1024;
			sel->ids = xreallocarray(sel->ids, sel->cap, sizeof *sel->ids);
		}
		sel->ids[sel->nids++] = live;
	}
	free(line);
	mergemap_free(&mm);
	if (ferror(f))
		return cdp_seterr("stdin: read error");
	return 0;
}

enum {
	OPT_ALL = 256, OPT_FORMAT, OPT_EXCEL, OPT_FIELDS, OPT_PRESET, OPT_PURPOSE, OPT_TAG,
	OPT_REMOVALS, OPT_RECORDS, OPT_RECS, OPT_HELP, OPT_VERSION
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "excel", no_argument, NULL, OPT_EXCEL },
		{ "fields", required_argument, NULL, OPT_FIELDS },
		{ "preset", required_argument, NULL, OPT_PRESET },
		{ "purpose", required_argument, NULL, OPT_PURPOSE },
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "segment", required_argument, NULL, OPT_TAG },
		{ "removals", required_argument, NULL, OPT_REMOVALS },
		{ "records", no_argument, NULL, OPT_RECORDS },
		{ "recommendations", required_argument, NULL, OPT_RECS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct store_opts so = { 0, 0, 0 };
	struct export_opts o;
	struct export_stats stats;
	struct selection sel;
	const char *storedir = NULL, *removals = NULL;
	char **fields = NULL;
	size_t nfields = 0, missing = 0;
	int ch, all = 0, quiet = 0, records = 0, purpose = -1, rc, nrecs = 0;
	struct store *st;
	struct rec_columns recs;

	cdp_setprogname(argv[0]);
	memset(&o, 0, sizeof o);
	memset(&stats, 0, sizeof stats);
	memset(&sel, 0, sizeof sel);
	o.format = OUT_CSV;
	while ((ch = getopt_long(argc, argv, "s:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_ALL:
			all = 1;
			break;
		case OPT_FORMAT:
			o.format = out_parse_format(optarg);
			if (o.format < 0)
				cdp_die(CDP_EXIT_USAGE, "unknown format '%s' (csv, tsv, jsonl)", optarg);
			break;
		case OPT_EXCEL:
			o.excel = 1;
			break;
		case OPT_FIELDS:
			free(fields);
			fields = split_list(optarg, &nfields);
			if (!nfields)
				cdp_die(CDP_EXIT_USAGE, "--fields wants column names");
			break;
		case OPT_PRESET:
			o.preset = export_preset_find(optarg);
			if (!o.preset)
				cdp_die(CDP_EXIT_USAGE, "unknown preset '%s' (%s)", optarg, export_preset_names());
			break;
		case OPT_PURPOSE:
			purpose = export_parse_purpose(optarg);
			if (purpose < 0)
				cdp_die(CDP_EXIT_USAGE, "unknown purpose '%s' (email, ads, analytics, none)", optarg);
			break;
		case OPT_TAG:
			o.tag = optarg;
			break;
		case OPT_REMOVALS:
			removals = optarg;
			break;
		case OPT_RECORDS:
			records = 1;
			break;
		case OPT_RECS:
			nrecs = atoi(optarg);
			if (nrecs < 1 || nrecs > 99 || strspn(optarg, "0123456789") != strlen(optarg))
				cdp_die(CDP_EXIT_USAGE, "--recommendations wants a number from 1 to 99");
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
	if (o.excel && o.format != OUT_CSV)
		cdp_die(CDP_EXIT_USAGE, "--excel writes CSV; it does not go with --format %s",
		    o.format == OUT_TSV ? "tsv" : "jsonl");
	if (o.preset && fields)
		cdp_die(CDP_EXIT_USAGE, "--fields does not go with --preset: the platform decides the columns");
	if (nrecs && records)
		cdp_die(CDP_EXIT_USAGE, "--recommendations goes with profiles, not --records");
	if (records && (o.preset || fields))
		cdp_die(CDP_EXIT_USAGE, "--records writes every column of the records; no --preset or --fields");
	if (o.tag && (!o.preset || strcmp(o.preset->name, "mailchimp") != 0))
		cdp_die(CDP_EXIT_USAGE, "--tag goes with --preset mailchimp");
	if (removals && !o.preset)
		cdp_die(CDP_EXIT_USAGE, "--removals goes with --preset; plain exports have an action column");
	o.purpose = purpose >= 0 ? purpose : o.preset ? o.preset->purpose : EXPORT_ANY;
	o.fields = fields;
	o.nfields = nfields;
	o.out = stdout;

	st = store_open(store_default_dir(storedir), &so, NULL);
	if (!st)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	if (!all && !isatty(STDIN_FILENO)) {
		if (read_ids(stdin, st, &sel) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		o.add = &sel.add;
		o.remove = &sel.remove;
		o.changes = sel.changes;
	}
	if (records && sel.remove.count + sel.remove.has_zero)
		cdp_die(CDP_EXIT_USAGE, "--records takes profile ids, not removals");
	if (o.preset && !removals && sel.remove.count + sel.remove.has_zero)
		cdp_die(CDP_EXIT_USAGE, "the input has removals (-ID): name a file for them with --removals");
	if (removals) {
		/* 0600 and no symlinks: a removals file holds personal data
		 * like stdout does */
		int fd = io_open_output(removals);

		if (fd < 0)
			cdp_die(CDP_EXIT_FAIL, "cannot create: %s", cdp_err());
		if (!(o.removals = fdopen(fd, "w")))
			cdp_die(CDP_EXIT_FAIL, "%s: cannot create: %s", removals, strerror(errno));
	}

	cdp_catch_signals();
	if (nrecs) {
		int mailchimp = o.preset && strcmp(o.preset->name, "mailchimp") == 0;

		if (rec_columns_open(&recs, st, (size_t)nrecs, mailchimp) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		o.extra_names = (const char *const *)recs.names;
		o.nextra = recs.nnames;
		o.extra_cells = rec_columns_cells;
		o.extra_ctx = &recs;
	}
	rc = records ? export_records(st, &o, &stats) : export_profiles(st, &o, &stats);
	if (nrecs)
		rec_columns_close(&recs);
	if (rc < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	if (o.removals && fclose(o.removals) != 0)
		cdp_die(CDP_EXIT_FAIL, "%s: write error: %s", removals, strerror(errno));

	/* Ids asked for that the store does not hold: erased, or never there. */
	for (size_t i = 0; i < sel.nids; i++) {
		if (u64set_add(&stats.seen, (uint64_t)sel.ids[i]))
			continue;
		if (++missing <= MAX_NOTES)
			cdp_warn("profile %lld does not exist", (long long)sel.ids[i]);
	}
	if (missing > MAX_NOTES)
		cdp_warn("%zu more profiles do not exist", missing - MAX_NOTES);
	if (!quiet) {
		struct strbuf sum = STRBUF_INIT;

		sb_addf(&sum, "%llu %s written", (unsigned long long)stats.written,
		    records ? "records" : "profiles");
		if (o.changes)
			sb_addf(&sum, ", %llu removals", (unsigned long long)stats.removals);
		if (o.purpose != EXPORT_ANY)
			sb_addf(&sum, ", %llu without %s consent", (unsigned long long)stats.no_consent,
			    export_purpose_name(o.purpose));
		if (stats.suppressed)
			sb_addf(&sum, ", %llu suppressed", (unsigned long long)stats.suppressed);
		if (o.preset)
			sb_addf(&sum, ", %llu without an identifier %s matches on",
			    (unsigned long long)stats.no_key, o.preset->platform);
		cdp_warn("%s", sum.buf);
		sb_free(&sum);
	}
	export_stats_free(&stats);
	u64set_free(&sel.add);
	u64set_free(&sel.remove);
	free(sel.ids);
	free(fields);
	store_close(st);
	cdp_close_stdout();
	return sel.bad ? CDP_EXIT_PARTIAL : CDP_EXIT_OK;
}
