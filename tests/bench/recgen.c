/*
 * recgen.c - shop events with taste structure, for cdp-recommend's
 * offline evaluation: recgen -n PEOPLE -s SEED -o FILE.jsonl
 *
 * C11 and libc only.  Every person has its own PRNG stream (splitmix64
 * of seed and person number), so the output is a pure function of the
 * arguments.  Segment-shaped track events (Product Viewed, Product
 * Added, Order Completed one line item per event), with userId and
 * properties sku, product_id, name, price, category, url, image_url.
 *
 * The structure a recommender can learn, and popularity cannot:
 *   - 24 categories; each person likes two to four of them (skewed
 *     weights) and one price level of four, give or take one;
 *   - products have a Zipf popularity inside their category and a price
 *     level; a third of them come in three variants (colour), sharing
 *     the product id and the name stem ("Trail Tee 12 - Red");
 *   - complementary products: a category has two complement categories
 *     (tent -> mat, sleeping bag) and each product two complements of
 *     its price level there; after a purchase the person often comes
 *     back within days for one of them;
 *   - seasons: summer and winter categories sell mostly in their half
 *     of the year, so recent popularity differs from all-time;
 *   - people differ in activity (log-normal), and join over two years.
 * About 10 product events and 2.5 orders a person, as the issue's
 * 1M-people benchmark (3M orders, 10M product events) asks.
 * "now" is 2025-07-01T00:00:00Z; events span the two years before.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCAT 24
#define T_NOW 1751328000LL		/* 2025-07-01T00:00:00Z */
#define SPAN (730LL * 86400)
#define DAY 86400LL

static const char *const cats[NCAT] = { "tents", "sleeping-bags", "mats", "stoves", "cookware",
	"jackets", "fleeces", "boots", "socks", "backpacks", "bottles", "lamps", "skis",
	"ski-wear", "swim", "cycling", "climbing", "fishing", "running", "yoga", "kids",
	"navigation", "first-aid", "hammocks" };
/* 1 summer, 2 winter, 0 all year */
static const int season[NCAT] = { 1, 0, 0, 0, 0, 2, 2, 0, 0, 0, 1, 0, 2, 2, 1, 1, 0, 1, 0, 0,
	0, 0, 0, 1 };
static const int comp[NCAT][2] = { { 1, 2 }, { 2, 0 }, { 1, 0 }, { 4, 10 }, { 3, 10 }, { 6, 8 },
	{ 5, 8 }, { 8, 9 }, { 7, 18 }, { 10, 21 }, { 9, 3 }, { 9, 22 }, { 13, 6 }, { 12, 8 },
	{ 10, 18 }, { 10, 11 }, { 22, 9 }, { 10, 23 }, { 8, 10 }, { 10, 18 }, { 8, 10 }, { 9, 22 },
	{ 21, 9 }, { 0, 11 } };
static const char *const colours[3] = { "Red", "Blue", "Black" };

struct product {
	int cat, level, variants, id;
	double pop;
	int compl[2];
	double price;
};

static struct product *prods;
static int nprod;
static int *bycat[NCAT], ncat[NCAT];

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
unif(uint64_t *s)
{
	return (double)(splitmix(s) >> 11) / 9007199254740992.0;
}

static int
rnd(uint64_t *s, int n)
{
	return (int)(unif(s) * n);
}

static double
gauss(uint64_t *s)
{
	double u = unif(s) + 1e-12, v = unif(s);

	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void
catalogue(int per_cat, uint64_t seed)
{
	uint64_t s = seed ^ 0xc0ffee;

	nprod = NCAT * per_cat;
	prods = calloc((size_t)nprod, sizeof *prods);
	for (int c = 0; c < NCAT; c++) {
		bycat[c] = malloc((size_t)per_cat * sizeof(int));
		for (int k = 0; k < per_cat; k++) {
			struct product *p = &prods[c * per_cat + k];

			p->id = c * per_cat + k;
			p->cat = c;
			p->level = rnd(&s, 4);
			p->pop = 1.0 / pow(k + 1, 0.9);
			p->variants = unif(&s) < 0.33 ? 3 : 1;
			p->price = floor((10 + 25 * c % 40) * pow(2.2, p->level) * (0.8 + 0.4 * unif(&s))) + 0.9;
			bycat[c][ncat[c]++] = p->id;
		}
	}
	for (int i = 0; i < nprod; i++)
		for (int j = 0; j < 2; j++) {
			int cc = comp[prods[i].cat][j], best = bycat[cc][0], tries = 0;

			/* a complement of the same price level, popular ones likelier */
			do {
				int k = (int)(per_cat * pow(unif(&s), 2.0));

				best = bycat[cc][k];
			} while (prods[best].level != prods[i].level && ++tries < 20);
			prods[i].compl[j] = best;
		}
}

struct person {
	double catw[NCAT];
	int cats[4], ncats, level;
};

static void
tastes(struct person *p, uint64_t *s)
{
	double tot = 0;

	p->ncats = 2 + rnd(s, 3);
	for (int i = 0; i < p->ncats; i++) {
		/* broad categories are liked by more people */
		p->cats[i] = (int)(NCAT * pow(unif(s), 1.3));
		p->catw[i] = pow(0.5, i) * (0.5 + unif(s));
		tot += p->catw[i];
	}
	for (int i = 0; i < p->ncats; i++)
		p->catw[i] /= tot;
	p->level = rnd(s, 4);
}

static double
season_factor(int cat, long long t)
{
	double doy = fmod((double)(t / DAY) + 0.0, 365.25) / 365.25;	/* 0 = 1 Jan */
	double summer = 0.5 + 0.5 * cos(6.283185307179586 * (doy - 0.53));

	if (season[cat] == 1)
		return 0.15 + 1.7 * summer;
	if (season[cat] == 2)
		return 0.15 + 1.7 * (1 - summer);
	return 1;
}

static int
choose_cat(const struct person *p, uint64_t *s, long long t)
{
	double w[4], tot = 0, x;

	if (unif(s) < 0.08)
		return rnd(s, NCAT);	/* browsing outside one's tastes */
	for (int i = 0; i < p->ncats; i++)
		tot += w[i] = p->catw[i] * season_factor(p->cats[i], t);
	x = unif(s) * tot;
	for (int i = 0; i < p->ncats; i++)
		if ((x -= w[i]) <= 0)
			return p->cats[i];
	return p->cats[0];
}

static int
choose_product(const struct person *p, int cat, uint64_t *s)
{
	for (int tries = 0; tries < 8; tries++) {
		int k = (int)(ncat[cat] * pow(unif(s), 2.2));
		const struct product *pr = &prods[bycat[cat][k]];
		int d = abs(pr->level - p->level);

		if (unif(s) < (d == 0 ? 1.0 : d == 1 ? 0.3 : 0.05))
			return pr->id;
	}
	return bycat[cat][rnd(s, ncat[cat] < 5 ? ncat[cat] : 5)];
}

static uint64_t msgseq;

static void
emit(FILE *f, const char *ev, long pid, const struct product *pr, int variant, long long t,
    uint64_t *s, long order)
{
	char sku[48], name[96], ts[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (pr->variants > 1) {
		snprintf(sku, sizeof sku, "P%05d-%s", pr->id, colours[variant]);
		snprintf(name, sizeof name, "%s %d - %s", cats[pr->cat], pr->id, colours[variant]);
	} else {
		snprintf(sku, sizeof sku, "P%05d", pr->id);
		snprintf(name, sizeof name, "%s %d", cats[pr->cat], pr->id);
	}
	(void)s;
	fprintf(f, "{\"type\":\"track\",\"event\":\"%s\",\"messageId\":\"m%llu\",\"userId\":\"U%07ld\","
	    "\"timestamp\":\"%s\",\"properties\":{\"sku\":\"%s\",\"product_id\":\"P%05d\","
	    "\"name\":\"%s\",\"price\":%.2f,\"category\":\"%s\",\"url\":\"https://shop.example/p/%s\","
	    "\"image_url\":\"https://shop.example/img/%s.jpg\"", ev, (unsigned long long)++msgseq, pid, ts,
	    sku, pr->id, name, pr->price, cats[pr->cat], sku, sku);
	if (order)
		fprintf(f, ",\"order_id\":\"O%ld\"", order);
	fputs("}}\n", f);
}

/* One session: views in a category, maybe a cart, maybe an order. */
static int
session(FILE *f, long pid, const struct person *p, uint64_t *s, long long t, int forced,
    long *orders)
{
	int cat = forced >= 0 ? prods[forced].cat : choose_cat(p, s, t);
	int nv = 1 + rnd(s, 2), bought = -1;

	for (int v = 0; v < nv; v++) {
		int id = v == 0 && forced >= 0 ? forced : choose_product(p, cat, s);
		const struct product *pr = &prods[id];
		int variant = rnd(s, pr->variants);

		t += 30 + rnd(s, 300);
		emit(f, "Product Viewed", pid, pr, variant, t, s, 0);
		if (unif(s) < 0.45 * (v == 0 ? 1.3 : 1.0)) {
			t += 20 + rnd(s, 120);
			emit(f, "Product Added", pid, pr, variant, t, s, 0);
			if (bought < 0 && unif(s) < 0.6) {
				t += 60 + rnd(s, 600);
				emit(f, "Order Completed", pid, pr, variant, t, s, ++*orders);
				bought = id;
			}
		}
	}
	return bought;
}

static void
person(FILE *f, long pid, uint64_t seed, long *orders)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + (uint64_t)pid;
	struct person p;
	double activity = exp(0.9 * gauss(&s)) * 3.0;	/* sessions a year */
	long long t = T_NOW - SPAN + (long long)(unif(&s) * SPAN * 0.9);
	int pending = -1, sessions = 0;

	splitmix(&s);
	tastes(&p, &s);
	for (;;) {
		int b;

		/* the next visit; after a purchase often soon, for a complement */
		if (pending >= 0 && unif(&s) < 0.6)
			t += (long long)((0.5 + 10 * unif(&s)) * DAY);
		else
			t += (long long)(-log(unif(&s) + 1e-12) * 365.0 * DAY / activity);
		if (t >= T_NOW - 3600 || ++sessions > 500)
			break;
		b = session(f, pid, &p, &s, t, pending, orders);
		pending = -1;
		if (b >= 0 && unif(&s) < 0.55)
			pending = prods[b].compl[rnd(&s, 2)];
	}
}

int
main(int argc, char *argv[])
{
	long n = 1000, orders = 0;
	uint64_t seed = 42;
	const char *out = NULL;
	FILE *f;
	int ch;

	while ((ch = getopt(argc, argv, "n:s:o:")) != -1) {
		switch (ch) {
		case 'n': n = atol(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		default:
			fprintf(stderr, "usage: recgen -n people -s seed -o file.jsonl\n");
			return 64;
		}
	}
	if (n < 1 || !out) {
		fprintf(stderr, "usage: recgen -n people -s seed -o file.jsonl\n");
		return 64;
	}
	/* catalogue grows slowly with the shop: 24 x 40 at 1,000 people, 24 x 160 at 1M */
	catalogue((int)(40 * pow((double)n / 1000, 0.2)), seed);
	if (!(f = fopen(out, "w"))) {
		perror(out);
		return 2;
	}
	for (long i = 1; i <= n; i++)
		person(f, i, seed, &orders);
	if (fclose(f) != 0) {
		perror(out);
		return 2;
	}
	return 0;
}
