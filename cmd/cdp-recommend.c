/*
 * cdp-recommend - product recommendations for profiles: the top N items
 * per profile, an item's similar items, why an item was picked, and an
 * offline evaluation of the models on a time split.
 *
 * Profiles come as ids on stdin like cdp-export reads them, or every
 * profile (--all, or stdin is a terminal).  The model lives in the
 * store (cdp-recommend --train); a missing or stale one is trained on
 * the fly and stored when the store is free.  Everything about data,
 * models and ranking lives in common/recommend*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "expr.h"
#include "normalize.h"
#include "out.h"
#include "profiles.h"
#include "recommend.h"
#include "store.h"
#include "util.h"

static const char *const model_names[] = { "popularity", "itemknn", "ease" };

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cdp-recommend [-q] [-s store] [-n count] [--all] [--format csv|tsv|jsonl] [--attributes]\n"
	    "                     [--allow-repeat] [--exclude file] [--deny file] [--max-per-group n]\n"
	    "                     [--segment-popularity] [model options]\n"
	    "       cdp-recommend [-q] [-s store] [--wait seconds] [model options] --train\n"
	    "       cdp-recommend [-s store] [-n count] [--format f] [--attributes] [model options] --similar item\n"
	    "       cdp-recommend [-s store] [-n count] [model options] --explain profile\n"
	    "       cdp-recommend [-s store] [-n count] [model options] --evaluate --cut time [--horizon duration]\n"
	    "model options: [--model popularity|itemknn|ease] [--similarity cosine|llr] [--weight list]\n"
	    "               [--half-life duration] [--item column] [--as-of time] [--neighbors k]\n"
	    "               [--max-items m] [--lambda x]\n");
	exit(CDP_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: cdp-recommend [-s STORE] [options] < ids\n"
	    "Recommend products to profiles (ids on stdin, or --all) from the store's events.\n\n"
	    "  -n, --count N            items per profile (default 10)\n"
	    "      --all                every profile; stdin is not read\n"
	    "      --format F           csv (default), tsv or jsonl\n"
	    "      --attributes         add name, price, category, url, image_url\n"
	    "      --allow-repeat       recommend items the profile bought before\n"
	    "      --exclude FILE       items never to recommend (out of stock), one a line\n"
	    "      --deny FILE          profile_id,item pairs never to recommend\n"
	    "      --max-per-group N    at most N items of one product group (default 2; 0: no limit)\n"
	    "      --segment-popularity fill with what is popular among the profiles on stdin\n"
	    "      --train              build the model and store it\n"
	    "      --wait SECONDS       --train: wait for the store's lock\n"
	    "      --similar ITEM       the items most similar to ITEM\n"
	    "      --explain PROFILE    the profile's recommendations and why\n"
	    "      --evaluate           hit rate, recall and NDCG of each model on a time split\n"
	    "      --cut TIME           --evaluate: train before TIME, test the purchases after\n"
	    "      --horizon DURATION   --evaluate: purchases within this of the cut (default 28d)\n"
	    "model options:\n"
	    "      --model M            popularity, itemknn or ease (default ease)\n"
	    "      --similarity S       itemknn: llr (default) or cosine\n"
	    "      --weight LIST        event weights, e.g. order=5,product_added=3,product_viewed=1\n"
	    "      --half-life D        time decay of an event's weight (default 365d; 0: none)\n"
	    "      --item COLUMN        the column naming the product (default sku, product_id, item_id)\n"
	    "      --as-of TIME         decay reference (default the latest event)\n"
	    "      --neighbors K        neighbours kept per item (default 50)\n"
	    "      --max-items M        items the model covers, most popular first (default 2000)\n"
	    "      --lambda X           ease: regularization (default 100; 0: from the data)\n"
	    "  -q, --quiet              no summary on stderr\n"
	    "  -s, --store DIR          the store (default $CDP_STORE, else ./cdp.store)\n"
	    "      --help, --version\n\n"
	    "Exit status: 0 done, 1 done but input lines were not ids, 2 failed, 64 usage,\n"
	    "75 store locked (--train).\n");
	cdp_close_stdout();
	exit(CDP_EXIT_OK);
}

enum {
	OPT_ALL = 256, OPT_FORMAT, OPT_ATTRS, OPT_REPEAT, OPT_EXCLUDE, OPT_DENY, OPT_MAXGROUP,
	OPT_SEGPOP, OPT_TRAIN, OPT_WAIT, OPT_SIMILAR, OPT_EXPLAIN, OPT_EVALUATE, OPT_CUT,
	OPT_HORIZON, OPT_MODEL, OPT_SIMILARITY, OPT_WEIGHT, OPT_HALFLIFE, OPT_ITEM, OPT_ASOF,
	OPT_NEIGHBORS, OPT_MAXITEMS, OPT_LAMBDA, OPT_HELP, OPT_VERSION
};

struct cmd {
	struct rec_config cfg;
	struct rec_filter filt;
	const char *storedir, *similar, *explain;
	int all, quiet, attrs, train, evaluate, segpop, wait, format, model_given;
	struct store *st;
	struct rec_data data;
	struct rec_model model;
	int have_data;
	uint64_t bad, missing;
};

static size_t
parse_count(const char *opt, const char *s, size_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < 0 || (unsigned long long)v > max)
		cdp_die(CDP_EXIT_USAGE, "%s wants a number from 0 to %zu, not '%s'", opt, max, s);
	return (size_t)v;
}

static int64_t
parse_time_arg(const char *opt, const char *s)
{
	int64_t us;
	int fmt;

	if (norm_time(s, strlen(s), NULL, &us, &fmt) < 0)
		cdp_die(CDP_EXIT_USAGE, "%s wants a time such as 2025-01-31T00:00:00Z, not '%s'", opt, s);
	return us;
}

static int64_t
parse_duration_arg(const char *opt, const char *s)
{
	int64_t us;

	if (strcmp(s, "0") == 0)
		return 0;
	if (expr_parse_duration(s, &us) < 0 || us < 0)
		cdp_die(CDP_EXIT_USAGE, "%s wants a duration such as 90d, not '%s'", opt, s);
	return us;
}

static int
pick_name(const char *opt, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	cdp_die(CDP_EXIT_USAGE, "%s: unknown value '%s'", opt, s);
}

static void
read_list_file(struct cmd *c, const char *path, int deny)
{
	FILE *f = fopen(path, "r");
	int r;

	if (!f)
		cdp_die(CDP_EXIT_FAIL, "%s: %s", path, strerror(errno));
	r = deny ? rec_filter_read_deny(&c->filt, f, path) : rec_filter_read_exclude(&c->filt, f, path);
	fclose(f);
	if (r < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
}

static void
option(struct cmd *c, int ch, const char *arg)
{
	switch (ch) {
	case 's': c->storedir = arg; break;
	case 'q': c->quiet = 1; break;
	case 'n': c->filt.n = parse_count("-n", arg, 1000); break;
	case OPT_ALL: c->all = 1; break;
	case OPT_FORMAT:
		if ((c->format = out_parse_format(arg)) < 0)
			cdp_die(CDP_EXIT_USAGE, "unknown format '%s' (csv, tsv, jsonl)", arg);
		break;
	case OPT_ATTRS: c->attrs = 1; break;
	case OPT_REPEAT: c->filt.allow_repeat = 1; break;
	case OPT_EXCLUDE: read_list_file(c, arg, 0); break;
	case OPT_DENY: read_list_file(c, arg, 1); break;
	case OPT_MAXGROUP: c->filt.max_per_group = parse_count("--max-per-group", arg, 1000); break;
	case OPT_SEGPOP: c->segpop = 1; break;
	case OPT_TRAIN: c->train = 1; break;
	case OPT_WAIT: c->wait = cdp_wait_seconds(arg); break;
	case OPT_SIMILAR: c->similar = arg; break;
	case OPT_EXPLAIN: c->explain = arg; break;
	case OPT_EVALUATE: c->evaluate = 1; break;
	case OPT_CUT: c->cfg.cut = parse_time_arg("--cut", arg); break;
	case OPT_HORIZON: c->cfg.horizon = parse_duration_arg("--horizon", arg); break;
	case OPT_MODEL: c->cfg.model = pick_name("--model", arg, model_names, 3), c->model_given = 1; break;
	case OPT_SIMILARITY:
		c->cfg.similarity = pick_name("--similarity", arg, (const char *const[]){ "cosine", "llr" }, 2);
		break;
	case OPT_WEIGHT:
		if (rec_config_weights(&c->cfg, arg) < 0)
			cdp_die(CDP_EXIT_USAGE, "%s", cdp_err());
		break;
	case OPT_HALFLIFE: c->cfg.half_life = parse_duration_arg("--half-life", arg); break;
	case OPT_ITEM: c->cfg.item_column = arg; break;
	case OPT_ASOF: c->cfg.as_of = parse_time_arg("--as-of", arg); break;
	case OPT_NEIGHBORS: c->cfg.neighbors = parse_count("--neighbors", arg, 10000); break;
	case OPT_MAXITEMS: c->cfg.max_items = parse_count("--max-items", arg, 20000); break;
	case OPT_LAMBDA: {
		char *end;

		c->cfg.lambda = strtod(arg, &end);
		if (*end || end == arg || !(c->cfg.lambda >= 0) || c->cfg.lambda > 1e12)
			cdp_die(CDP_EXIT_USAGE, "--lambda wants a number of 0 or more, not '%s'", arg);
		break;
	}
	case OPT_HELP: help(); break;
	case OPT_VERSION: cdp_print_version(); break;
	default: usage();
	}
}

static void
parse_args(struct cmd *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' }, { "quiet", no_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'n' }, { "all", no_argument, NULL, OPT_ALL },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "attributes", no_argument, NULL, OPT_ATTRS },
		{ "allow-repeat", no_argument, NULL, OPT_REPEAT },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "deny", required_argument, NULL, OPT_DENY },
		{ "max-per-group", required_argument, NULL, OPT_MAXGROUP },
		{ "segment-popularity", no_argument, NULL, OPT_SEGPOP },
		{ "train", no_argument, NULL, OPT_TRAIN }, { "wait", required_argument, NULL, OPT_WAIT },
		{ "similar", required_argument, NULL, OPT_SIMILAR },
		{ "explain", required_argument, NULL, OPT_EXPLAIN },
		{ "evaluate", no_argument, NULL, OPT_EVALUATE },
		{ "cut", required_argument, NULL, OPT_CUT },
		{ "horizon", required_argument, NULL, OPT_HORIZON },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "similarity", required_argument, NULL, OPT_SIMILARITY },
		{ "weight", required_argument, NULL, OPT_WEIGHT },
		{ "half-life", required_argument, NULL, OPT_HALFLIFE },
		{ "item", required_argument, NULL, OPT_ITEM },
		{ "as-of", required_argument, NULL, OPT_ASOF },
		{ "neighbors", required_argument, NULL, OPT_NEIGHBORS },
		{ "max-items", required_argument, NULL, OPT_MAXITEMS },
		{ "lambda", required_argument, NULL, OPT_LAMBDA },
		{ "help", no_argument, NULL, OPT_HELP }, { "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	int ch, modes;

	while ((ch = getopt_long(argc, argv, "s:qn:", longopts, NULL)) != -1)
		option(c, ch, optarg);
	if (optind != argc)
		usage();
	modes = c->train + !!c->similar + !!c->explain + c->evaluate;
	if (modes > 1)
		cdp_die(CDP_EXIT_USAGE, "--train, --similar, --explain and --evaluate go alone");
	if (c->evaluate != !!c->cfg.cut)
		cdp_die(CDP_EXIT_USAGE, c->evaluate ? "--evaluate wants --cut TIME" : "--cut goes with --evaluate");
	if (c->cfg.horizon && !c->evaluate)
		cdp_die(CDP_EXIT_USAGE, "--horizon goes with --evaluate");
	if (c->evaluate && !c->cfg.horizon)
		c->cfg.horizon = (int64_t)28 * 86400 * 1000000;
	if (c->all && modes)
		cdp_die(CDP_EXIT_USAGE, "--all is for recommendations to profiles");
	if (!c->filt.n)
		cdp_die(CDP_EXIT_USAGE, "-n wants at least 1");
}

/* ---- the model ------------------------------------------------------------- */

static void
load_data(struct cmd *c)
{
	if (c->have_data)
		return;
	if (rec_data_load(c->st, &c->cfg, &c->data) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	c->have_data = 1;
}

/* Store the model; a writer holding the lock is no failure unless --train. */
static void
save_model(struct cmd *c, const char *settings)
{
	struct store_opts so = { 1, 0, c->train ? c->wait : 0 };
	int locked = 0;
	struct store *w = store_open(store_default_dir(c->storedir), &so, &locked);
	char *fp;

	if (!w) {
		if (c->train)
			cdp_die(locked ? CDP_EXIT_LOCKED : CDP_EXIT_FAIL, "%s", cdp_err());
		return;
	}
	fp = rec_fingerprint(w, settings);
	if (strcmp(fp, c->model.fingerprint) != 0) {
		/* the store changed while we trained: this model is stale already */
		if (c->train)
			cdp_die(CDP_EXIT_FAIL, "the store changed during training; run --train again");
	} else if (rec_model_save(w, &c->model) < 0) {
		if (c->train)
			cdp_die(CDP_EXIT_FAIL, "cannot store the model: %s", cdp_err());
		cdp_warn("cannot store the model: %s", cdp_err());
	}
	free(fp);
	store_close(w);
}

/* A fresh stored model, else one trained now (and stored when possible). */
static void
get_model(struct cmd *c)
{
	char *settings = rec_settings_text(&c->cfg);
	int trained;

	if (rec_model_get(c->st, &c->cfg, c->train, !c->similar, &c->data, &c->model, &trained) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	c->have_data = c->have_data || trained || !c->similar;
	if (trained)
		save_model(c, settings);
	free(settings);
}

/* ---- output ------------------------------------------------------------------ */

static void
attr_cells(struct out *o, const struct rec_item *x)
{
	const char *v[] = { x->name, x->price, x->category, x->url, x->image_url };

	for (int k = 0; k < 5; k++) {
		if (!v[k])
			out_null(o);
		else
			out_cell(o, v[k], strlen(v[k]), k == 1 && o->format == OUT_JSONL &&
			    strspn(v[k], "0123456789.-") == strlen(v[k]) ? OK_NUMBER : OK_STRING);
	}
}

static void
header(struct out *o, const char *first, const char *item, int attrs)
{
	const char *names[] = { first, "rank", item, "score", "name", "price", "category", "url",
		"image_url" };

	out_header(o, names, attrs ? 9 : 4);
}

static void
num_cell(struct out *o, const char *fmt, double v)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, fmt, v);

	out_cell(o, buf, (size_t)n, OK_NUMBER);
}

static void
write_row(struct cmd *c, struct out *o, const char *who, size_t rank, const struct rec_pick *p)
{
	const struct rec_item *x = &c->model.items[p->item];

	out_cell(o, who, strlen(who), c->similar ? OK_STRING : OK_NUMBER);
	num_cell(o, "%.0f", (double)rank);
	out_cell(o, x->key, strlen(x->key), OK_STRING);
	num_cell(o, "%.6g", p->score);
	if (c->attrs)
		attr_cells(o, x);
	if (out_row_end(o) < 0)
		cdp_die(CDP_EXIT_FAIL, "stdout: write error: %s", strerror(errno));
}

/* ---- the profiles --------------------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Every live profile id, ascending. */
static int64_t *
all_profiles(struct store *st, size_t *n)
{
	struct profiles pt;
	int64_t *ids;

	if (profiles_open(st, &pt) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	ids = xcalloc(pt.nlive + 1, sizeof *ids);
	for (size_t k = 0; k < pt.nlive; k++)
		ids[k] = pt.order[k].id;
	*n = pt.nlive;
	profiles_close(&pt);
	return ids;
}

/* Ids from stdin, merged-away ones followed to their survivor, in input order. */
static int64_t *
stdin_profiles(struct cmd *c, size_t *n)
{
	struct mergemap mm;
	struct u64set seen = { 0 };
	char *line = NULL;
	size_t cap = 0, lineno = 0, ncap = 0;
	ssize_t len;
	int64_t *ids = NULL;

	*n = 0;
	if (mergemap_load(c->st, &mm) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	while ((len = getline(&line, &cap, stdin)) > 0) {
		int64_t id;
		int sign, r;

		lineno++;
		r = export_parse_line(line, (size_t)len, &id, &sign);
		if (r == 0 || (r > 0 && sign == '-'))
			continue;
		if (r < 0) {
			line[strcspn(line, "\r\n")] = '\0';
			cdp_warn("stdin:%zu: not a profile id '%s'", lineno, line);
			c->bad++;
			continue;
		}
		id = mergemap_resolve(&mm, id);
		if (u64set_add(&seen, (uint64_t)id))
			continue;
		if (*n == ncap) {
			ncap = ncap ? ncap * 2 : 1024;
			ids = xreallocarray(ids, ncap, sizeof *ids);
		}
		ids[(*n)++] = id;
	}
	free(line);
	mergemap_free(&mm);
	u64set_free(&seen);
	if (ferror(stdin))
		cdp_die(CDP_EXIT_FAIL, "stdin: read error");
	return ids;
}

/* Popularity among the given profiles only (--segment-popularity). */
static uint32_t *
segment_popular(struct cmd *c, const int64_t *ids, size_t n, size_t *np)
{
	double *pop = xcalloc(c->model.nitems ? c->model.nitems : 1, sizeof *pop);
	uint32_t *o;

	for (size_t i = 0; i < n; i++) {
		long u = rec_data_user(&c->data, ids[i]);

		for (uint64_t p = u >= 0 ? c->data.uptr[u] : 0; u >= 0 && p < c->data.uptr[u + 1]; p++)
			pop[c->data.uitem[p]] += log1p(c->data.uw[p]);
	}
	o = rec_popular_order(pop, c->model.nitems, np);
	free(pop);
	return o;
}

static uint32_t *
overall_popular(const struct rec_model *m, size_t *np)
{
	double *pop = xmalloc((m->nitems ? m->nitems : 1) * sizeof *pop);
	uint32_t *o;

	for (size_t i = 0; i < m->nitems; i++)
		pop[i] = m->items[i].pop;
	o = rec_popular_order(pop, m->nitems, np);
	free(pop);
	return o;
}

/*
 * Ranking runs in two threads over alternate chunks of profiles, each
 * formatting its chunk's rows into memory; the main thread writes the
 * chunks in input order, so the output is the same as one thread's.
 */
#define CHUNK 4096

struct rank_job {
	struct cmd *c;
	struct rec_ranker r;
	const int64_t *known;
	size_t nknown, first, count;
	const int64_t *ids;
	struct rec_pick *picks;	/* n of them */
	uint8_t *missing;	/* per profile of the chunk: not in the store */
	size_t written, fallback;
	char *buf;		/* the chunk's rows, formatted */
	size_t len, hdrlen;
	int failed;
};

static void *
rank_chunk(void *arg)
{
	struct rank_job *jb = arg;
	struct cmd *c = jb->c;
	FILE *mem = open_memstream(&jb->buf, &jb->len);
	struct out o;
	char who[32];

	if (!mem) {
		jb->failed = 1;
		return NULL;
	}
	out_init(&o, mem, c->format, 0);
	header(&o, "profile_id", "item", c->attrs);
	fflush(mem);
	jb->hdrlen = jb->len;	/* the header is the main stream's business */
	for (size_t i = 0; i < jb->count; i++) {
		int64_t id = jb->ids[jb->first + i];
		size_t np;

		jb->missing[i] = jb->known &&
		    !bsearch(&id, jb->known, jb->nknown, sizeof *jb->known, cmp_i64);
		if (jb->missing[i])
			continue;
		np = rec_rank(&jb->r, id, rec_data_user(&c->data, id), jb->picks);
		snprintf(who, sizeof who, "%lld", (long long)id);
		for (size_t k = 0; k < np; k++) {
			write_row(c, &o, who, k + 1, &jb->picks[k]);
			jb->fallback += jb->picks[k].fallback;
		}
		jb->written += np;
	}
	out_free(&o);
	if (fclose(mem) != 0)
		jb->failed = 1;
	return NULL;
}

/* The chunk's notes and rows, in order. */
static void
write_chunk(struct cmd *c, struct rank_job *jb)
{
	if (jb->failed)
		cdp_die(CDP_EXIT_FAIL, "out of memory for the output");
	for (size_t i = 0; i < jb->count; i++)
		if (jb->missing[i] && ++c->missing <= 10)
			cdp_warn("profile %lld does not exist", (long long)jb->ids[jb->first + i]);
	if (jb->len > jb->hdrlen &&
	    fwrite(jb->buf + jb->hdrlen, 1, jb->len - jb->hdrlen, stdout) != jb->len - jb->hdrlen)
		cdp_die(CDP_EXIT_FAIL, "stdout: write error: %s", strerror(errno));
	free(jb->buf);
	jb->buf = NULL;
	jb->len = 0;
}

static void
rank_all(struct cmd *c, const int64_t *ids, size_t n, const int64_t *known, size_t nknown,
    const uint32_t *popular, size_t npop, size_t *written, size_t *fallback)
{
	struct rank_job jobs[2];

	for (int t = 0; t < 2; t++) {
		memset(&jobs[t], 0, sizeof jobs[t]);
		jobs[t].c = c;
		rec_ranker_init(&jobs[t].r, &c->model, &c->data, &c->filt, popular, npop);
		jobs[t].known = known;
		jobs[t].nknown = nknown;
		jobs[t].ids = ids;
		jobs[t].picks = xmalloc(c->filt.n * sizeof *jobs[t].picks);
		jobs[t].missing = xmalloc(CHUNK);
	}
	for (size_t at = 0; at < n && !cdp_interrupted; at += 2 * CHUNK) {
		pthread_t th;
		int threaded;

		for (int t = 0; t < 2; t++) {
			jobs[t].first = at + (size_t)t * CHUNK < n ? at + (size_t)t * CHUNK : n;
			jobs[t].count = n - jobs[t].first < CHUNK ? n - jobs[t].first : CHUNK;
		}
		threaded = jobs[1].count && pthread_create(&th, NULL, rank_chunk, &jobs[1]) == 0;
		rank_chunk(&jobs[0]);
		if (threaded)
			pthread_join(th, NULL);
		else
			rank_chunk(&jobs[1]);
		write_chunk(c, &jobs[0]);
		write_chunk(c, &jobs[1]);
	}
	for (int t = 0; t < 2; t++) {
		*written += jobs[t].written;
		*fallback += jobs[t].fallback;
		rec_ranker_free(&jobs[t].r);
		free(jobs[t].picks);
		free(jobs[t].missing);
	}
}

static void
recommend(struct cmd *c)
{
	size_t n, npop, nknown = 0, written = 0, fallback = 0;
	int64_t *ids, *known = NULL;
	uint32_t *popular;
	struct out o;
	double t0;

	ids = c->all || isatty(STDIN_FILENO) ? all_profiles(c->st, &n) : stdin_profiles(c, &n);
	if (!c->all && !isatty(STDIN_FILENO))
		known = all_profiles(c->st, &nknown);
	get_model(c);
	popular = c->segpop ? segment_popular(c, ids, n, &npop) : overall_popular(&c->model, &npop);
	out_init(&o, stdout, c->format, 0);
	header(&o, "profile_id", "item", c->attrs);
	if (fflush(stdout) != 0)
		cdp_die(CDP_EXIT_FAIL, "stdout: write error: %s", strerror(errno));
	t0 = now_seconds();
	rank_all(c, ids, n, known, nknown, popular, npop, &written, &fallback);
	if (c->missing > 10)
		cdp_warn("%llu more profiles do not exist", (unsigned long long)c->missing - 10);
	if (cdp_interrupted)
		cdp_die(CDP_EXIT_FAIL, "interrupted");
	if (!c->quiet)
		cdp_warn("%zu profiles, %zu recommendations (%zu from popularity), model %s, %.0f profiles/s",
		    n - (size_t)c->missing, written, fallback, model_names[c->model.kind],
		    (double)n / (now_seconds() - t0 + 1e-9));
	out_free(&o);
	free(popular);
	free(ids);
	free(known);
}

static void
similar(struct cmd *c)
{
	struct out o;
	long i;
	size_t rank = 0;

	get_model(c);
	for (i = 0; (size_t)i < c->model.nitems; i++)
		if (strcmp(c->model.items[i].key, c->similar) == 0)
			break;
	if ((size_t)i == c->model.nitems)
		cdp_die(CDP_EXIT_FAIL, "no item '%s' in the events", c->similar);
	if (c->model.kind == REC_POPULARITY)
		cdp_die(CDP_EXIT_USAGE, "--similar wants --model itemknn or ease");
	out_init(&o, stdout, c->format, 0);
	header(&o, "item", "similar", c->attrs);
	for (uint64_t q = c->model.nptr[i]; q < c->model.nptr[i + 1] && rank < c->filt.n; q++) {
		struct rec_pick p = { c->model.nbr[q], c->model.nw[q], 0 };
		const char *key = c->model.items[p.item].key;

		if (c->filt.exclude.count && strmap_get(&c->filt.exclude, key, strlen(key)) >= 0)
			continue;
		write_row(c, &o, c->similar, ++rank, &p);
	}
	out_free(&o);
}

static void
explain(struct cmd *c)
{
	struct mergemap mm;
	char *end;
	long long pid = strtoll(c->explain, &end, 10);
	long u;
	size_t npop, np;
	uint32_t *popular;
	struct rec_ranker r;
	struct rec_pick *picks = xmalloc(c->filt.n * sizeof *picks);

	if (*end || end == c->explain || pid <= 0)
		cdp_die(CDP_EXIT_USAGE, "--explain wants a profile id, not '%s'", c->explain);
	if (mergemap_load(c->st, &mm) < 0)
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	pid = mergemap_resolve(&mm, pid);
	mergemap_free(&mm);
	{
		size_t nknown;
		int64_t *known = all_profiles(c->st, &nknown), id = pid;
		int found = bsearch(&id, known, nknown, sizeof *known, cmp_i64) != NULL;

		free(known);
		if (!found)
			cdp_die(CDP_EXIT_FAIL, "profile %lld does not exist", pid);
	}
	get_model(c);
	popular = overall_popular(&c->model, &npop);
	rec_ranker_init(&r, &c->model, &c->data, &c->filt, popular, npop);
	u = rec_data_user(&c->data, pid);
	printf("profile %lld: model %s, %llu items in its history\n", pid, model_names[c->model.kind],
	    u < 0 ? 0ULL : (unsigned long long)(c->data.uptr[u + 1] - c->data.uptr[u]));
	for (uint64_t p = u >= 0 ? c->data.uptr[u] : 0; u >= 0 && p < c->data.uptr[u + 1]; p++)
		printf("  has %s%s, interest %.3f\n", c->model.items[c->data.uitem[p]].key,
		    c->data.ubought[p] ? " (bought)" : "", log1p(c->data.uw[p]));
	np = rec_rank(&r, pid, u, picks);
	for (size_t k = 0; k < np; k++) {
		const struct rec_item *x = &c->model.items[picks[k].item];

		printf("  %zu. %s%s%s%s score %.6g%s\n", k + 1, x->key, x->name ? " (" : "",
		    x->name ? x->name : "", x->name ? ")" : "", picks[k].score,
		    picks[k].fallback ? ": popular (share of all interest); nothing in the history leads to it" : "");
		if (!picks[k].fallback)
			rec_explain(&r, u, picks[k].item, stdout);
	}
	rec_ranker_free(&r);
	free(popular);
	free(picks);
}

static void
evaluate(struct cmd *c)
{
	const int kinds[] = { REC_POPULARITY, REC_ITEMKNN, REC_EASE };
	int one = c->model_given ? c->cfg.model : -1;

	load_data(c);
	printf("model\tusers\thit@%zu\trecall@%zu\tndcg@%zu\tbuild_s\tprofiles_per_s\n", c->filt.n,
	    c->filt.n, c->filt.n);
	for (int k = 0; k < 3; k++) {
		struct rec_config cfg = c->cfg;
		struct rec_model m;
		struct rec_ranker r;
		struct rec_metrics mt;
		uint32_t *popular;
		size_t npop;

		if (one >= 0 && kinds[k] != one)
			continue;
		cfg.model = kinds[k];
		if (rec_train(&cfg, &c->data, &m) < 0)
			cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
		popular = overall_popular(&m, &npop);
		rec_ranker_init(&r, &m, &c->data, &c->filt, popular, npop);
		rec_evaluate(&r, c->filt.n, &mt);
		printf("%s\t%zu\t%.4f\t%.4f\t%.4f\t%.2f\t%.0f\n", model_names[kinds[k]], mt.users, mt.hit,
		    mt.recall, mt.ndcg, m.build_seconds, (double)mt.users / (mt.seconds + 1e-9));
		rec_ranker_free(&r);
		free(popular);
		rec_model_free(&m);
	}
}

int
main(int argc, char *argv[])
{
	struct cmd c;
	struct store_opts so = { 0, 0, 0 };

	cdp_setprogname(argv[0]);
	memset(&c, 0, sizeof c);
	rec_config_defaults(&c.cfg);
	rec_filter_init(&c.filt);
	c.format = OUT_CSV;
	parse_args(&c, argc, argv);
	if (!(c.st = store_open(store_default_dir(c.storedir), &so, NULL)))
		cdp_die(CDP_EXIT_FAIL, "%s", cdp_err());
	cdp_catch_signals();
	if (c.train) {
		get_model(&c);
		if (!c.quiet)
			cdp_warn("model %s: %zu items, %llu neighbour weights, %zu profiles, built in %.2f s",
			    model_names[c.model.kind], c.model.nitems,
			    (unsigned long long)c.model.nptr[c.model.nitems], c.data.nusers,
			    c.model.build_seconds);
	} else if (c.similar) {
		similar(&c);
	} else if (c.explain) {
		explain(&c);
	} else if (c.evaluate) {
		evaluate(&c);
	} else {
		recommend(&c);
	}
	rec_model_free(&c.model);
	if (c.have_data)
		rec_data_free(&c.data);
	rec_filter_free(&c.filt);
	rec_config_free(&c.cfg);
	store_close(c.st);
	cdp_close_stdout();
	return c.bad ? CDP_EXIT_PARTIAL : CDP_EXIT_OK;
}
