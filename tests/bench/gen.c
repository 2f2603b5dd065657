/*
 * gen.c - deterministic generator of realistic retail data for the
 * benchmark: gen -n PEOPLE -s SEED -o DIR.
 *
 * Writes into DIR:
 *   crm.csv           CRM export (",", duplicate rows, typo'd re-entries)
 *   newsletter.csv    newsletter list (";", quoted header)
 *   shop_orders.csv   web shop orders (customer id or guest e-mail)
 *   till_orders.csv   till receipts (";", "05.03.2024 14:22" Berlin time,
 *                     loyalty card as the only identifier)
 *   web_events.jsonl  Segment-shaped events, anonymous and identified
 *   truth.csv         source,line,person for every record above
 *
 * Invariants:
 * - The output is a pure function of PEOPLE and SEED: every person has
 *   its own PRNG stream (splitmix64 seeded from SEED and the person's
 *   number), and the few global counters (order numbers, receipt
 *   numbers, extra customer ids) advance in person order.
 * - "line" in truth.csv is the physical line of the record in its file,
 *   header = line 1, as cdp-import stores it in _line; "source" is the
 *   file name without extension, as cdp-import stores it in _source.
 * - No record spans lines, and no generated value needs CSV quoting or
 *   JSON escaping, so line counting is exact.
 * - person 0 in truth.csv never occurs; every record names the person
 *   it belongs to, even where no identifier says so (a till receipt
 *   without a card, a device that never logs in): merge cannot link
 *   those, and the precision/recall step counts them apart.
 * - "now" is 2025-07-01T00:00:00Z; all times lie in 2024-01-01 .. now.
 *
 * gen -n PEOPLE -s SEED -d DAY -o DIR writes instead the batch of day
 * DAY after "now" (day 1: 2025-07-01), for the nightly benchmark: the
 * same files, about 0.1% of the history's rows, all timed within that
 * day: PEOPLE/2000 new people (numbers after everyone before them), and
 * PEOPLE/2000 existing people, drawn by seed and day, who order at the
 * shop and the till and browse.  An existing person keeps identifiers
 * and devices (so merge joins the new rows to their profile) but draws
 * this day's activity from a stream of its own.  Order, receipt and
 * message numbers of a day lie above those of the history.
 *
 * Speed matters (>= 1M rows/s): one 1 MiB buffer per file written with
 * fwrite, numbers formatted by hand, no printf in the hot path.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_START 1704067200LL	/* 2024-01-01T00:00:00Z */
#define T_NOW   1751328000LL	/* 2025-07-01T00:00:00Z */
#define OBUF    (1 << 20)

/* --- PRNG ------------------------------------------------------------ */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
mix(uint64_t a, uint64_t b)
{
	uint64_t s = a * 0x9e3779b97f4a7c15ULL ^ b;

	return splitmix(&s);
}

/* In [0, n); the modulo bias is below 2^-40 for every n used here. */
static uint64_t
rnd(uint64_t *s, uint64_t n)
{
	return splitmix(s) % n;
}

/* 1 with probability permille/1000. */
static int
chance(uint64_t *s, unsigned permille)
{
	return rnd(s, 1000) < permille;
}

/* --- buffered output ------------------------------------------------- */

struct out {
	FILE *f;
	const char *name;	/* source name as cdp-import stores it */
	char *buf;
	size_t n;
	uint64_t line;		/* physical lines written so far */
};

static void
die(const char *what)
{
	fprintf(stderr, "gen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
oflush(struct out *o)
{
	if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
		die(o->name);
	o->n = 0;
}

static inline void
ensure(struct out *o, size_t k)
{
	if (o->n + k > OBUF)
		oflush(o);
}

static inline void
pc(struct out *o, char c)
{
	ensure(o, 1);
	o->buf[o->n++] = c;
}

static inline void
pmem(struct out *o, const char *s, size_t k)
{
	ensure(o, k);
	memcpy(o->buf + o->n, s, k);
	o->n += k;
}

static inline void
ps(struct out *o, const char *s)
{
	pmem(o, s, strlen(s));
}

static inline void
pu(struct out *o, uint64_t v)
{
	char t[24];
	int i = 24;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	pmem(o, t + i, (size_t)(24 - i));
}

/* v zero-padded to w digits. */
static inline void
pz(struct out *o, uint64_t v, int w)
{
	char t[24];
	int i = 24;

	while (w-- > 0 || v) {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	}
	pmem(o, t + i, (size_t)(24 - i));
}

static inline void
phex(struct out *o, uint64_t v, int w)
{
	static const char hx[] = "0123456789abcdef";

	ensure(o, (size_t)w);
	for (int i = w - 1; i >= 0; i--) {
		o->buf[o->n + (size_t)i] = hx[v & 15];
		v >>= 4;
	}
	o->n += (size_t)w;
}

/* cents as "129.00" */
static inline void
pmoney(struct out *o, uint64_t cents)
{
	pu(o, cents / 100);
	pc(o, '.');
	pz(o, cents % 100, 2);
}

static struct out *truth;

/* End a record of o that belongs to person pid. */
static inline void
endrec(struct out *o, uint64_t pid)
{
	pc(o, '\n');
	o->line++;
	ps(truth, o->name);
	pc(truth, ',');
	pu(truth, o->line);
	pc(truth, ',');
	pu(truth, pid);
	pc(truth, '\n');
}

/* --- calendar -------------------------------------------------------- */

struct tm6 {
	int y, mo, d, h, mi, s;
};

/* Howard Hinnant's civil_from_days. */
static void
civil(int64_t t, struct tm6 *c)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t sec = t - days * 86400;
	int64_t z = days + 719468;
	int64_t era = z / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	c->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->mo = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->y = (int)(yoe + era * 400 + (c->mo <= 2));
	c->h = (int)(sec / 3600);
	c->mi = (int)(sec / 60 % 60);
	c->s = (int)(sec % 60);
}

static int64_t
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Seconds of the last Sunday of month m, 01:00 UTC (EU DST switch). */
static int64_t
last_sunday(int y, int m)
{
	int64_t d = days_from_civil(y, m, 31);
	int wd = (int)((d + 4) % 7);	/* 1970-01-01 was a Thursday; 0 = Sunday */

	return (d - wd) * 86400 + 3600;
}

/* Europe/Berlin offset in seconds at UTC time t. */
static int
berlin_off(int64_t t)
{
	struct tm6 c;

	civil(t, &c);
	return t >= last_sunday(c.y, 3) && t < last_sunday(c.y, 10) ? 7200 : 3600;
}

static void
p_iso_ms(struct out *o, int64_t t, int ms)	/* 2024-01-30T20:29:55.805Z */
{
	struct tm6 c;

	civil(t, &c);
	pz(o, (uint64_t)c.y, 4); pc(o, '-'); pz(o, (uint64_t)c.mo, 2); pc(o, '-');
	pz(o, (uint64_t)c.d, 2); pc(o, 'T'); pz(o, (uint64_t)c.h, 2); pc(o, ':');
	pz(o, (uint64_t)c.mi, 2); pc(o, ':'); pz(o, (uint64_t)c.s, 2);
	if (ms >= 0) {
		pc(o, '.');
		pz(o, (uint64_t)ms, 3);
	}
	pc(o, 'Z');
}

static void
p_space(struct out *o, int64_t t)	/* 2024-01-10 12:56:34 */
{
	struct tm6 c;

	civil(t, &c);
	pz(o, (uint64_t)c.y, 4); pc(o, '-'); pz(o, (uint64_t)c.mo, 2); pc(o, '-');
	pz(o, (uint64_t)c.d, 2); pc(o, ' '); pz(o, (uint64_t)c.h, 2); pc(o, ':');
	pz(o, (uint64_t)c.mi, 2); pc(o, ':'); pz(o, (uint64_t)c.s, 2);
}

static void
p_german(struct out *o, int64_t t)	/* 05.03.2024 14:22 */
{
	struct tm6 c;

	civil(t, &c);
	pz(o, (uint64_t)c.d, 2); pc(o, '.'); pz(o, (uint64_t)c.mo, 2); pc(o, '.');
	pz(o, (uint64_t)c.y, 4); pc(o, ' '); pz(o, (uint64_t)c.h, 2); pc(o, ':');
	pz(o, (uint64_t)c.mi, 2);
}

static void
p_date(struct out *o, int64_t t)
{
	struct tm6 c;

	civil(t, &c);
	pz(o, (uint64_t)c.y, 4); pc(o, '-'); pz(o, (uint64_t)c.mo, 2); pc(o, '-');
	pz(o, (uint64_t)c.d, 2);
}

/* --- the world ------------------------------------------------------- */

struct name {
	const char *show, *ascii;
};

static const struct name firsts[] = {
	{"Jürgen", "juergen"}, {"Anna", "anna"}, {"Thomas", "thomas"}, {"Zoë", "zoe"},
	{"Søren", "soren"}, {"José", "jose"}, {"Łukasz", "lukasz"}, {"Oliver", "oliver"},
	{"Emily", "emily"}, {"Camille", "camille"}, {"Lena", "lena"}, {"Maximilian", "maximilian"},
	{"Sophie", "sophie"}, {"Felix", "felix"}, {"Marie", "marie"}, {"Paul", "paul"},
	{"Hannah", "hannah"}, {"Jonas", "jonas"}, {"Laura", "laura"}, {"Lukas", "lukas"},
	{"Mia", "mia"}, {"Finn", "finn"}, {"Emma", "emma"}, {"Ben", "ben"},
	{"Clara", "clara"}, {"Noah", "noah"}, {"Lea", "lea"}, {"Elias", "elias"},
	{"Johanna", "johanna"}, {"Leon", "leon"}, {"Amelie", "amelie"}, {"Niklas", "niklas"},
	{"Charlotte", "charlotte"}, {"James", "james"}, {"Sarah", "sarah"}, {"Inès", "ines"},
	{"Katrin", "katrin"}, {"Stefan", "stefan"}, {"Matteo", "matteo"}, {"Ingrid", "ingrid"},
	{"Tim", "tim"}, {"Kai", "kai"}, {"René", "rene"}, {"Greta", "greta"},
	{"Moritz", "moritz"}, {"Frieda", "frieda"}, {"Tobias", "tobias"}, {"Nele", "nele"},
};
static const struct name lasts[] = {
	{"Müller", "mueller"}, {"Schmidt", "schmidt"}, {"Weber", "weber"}, {"Fischer", "fischer"},
	{"Ærø", "aero"}, {"García", "garcia"}, {"Nowak", "nowak"}, {"Smith", "smith"},
	{"Johnson", "johnson"}, {"Dubois", "dubois"}, {"Hoffmann", "hoffmann"}, {"Becker", "becker"},
	{"Wagner", "wagner"}, {"Schulz", "schulz"}, {"Koch", "koch"}, {"Richter", "richter"},
	{"Klein", "klein"}, {"Wolf", "wolf"}, {"Schröder", "schroeder"}, {"Neumann", "neumann"},
	{"Schwarz", "schwarz"}, {"Zimmermann", "zimmermann"}, {"Braun", "braun"}, {"Krüger", "krueger"},
	{"Hofmann", "hofmann"}, {"Hartmann", "hartmann"}, {"Lange", "lange"}, {"Schmitt", "schmitt"},
	{"Werner", "werner"}, {"Krause", "krause"}, {"Meier", "meier"}, {"Lehmann", "lehmann"},
	{"Brown", "brown"}, {"Wilson", "wilson"}, {"Miller", "miller"}, {"Martin", "martin"},
	{"Vogel", "vogel"}, {"Rossi", "rossi"}, {"Larsen", "larsen"}, {"Bauer", "bauer"},
	{"Brandt", "brandt"}, {"Lefèvre", "lefevre"}, {"Sommer", "sommer"}, {"Keller", "keller"},
	{"Busch", "busch"}, {"Engel", "engel"}, {"Kaiser", "kaiser"}, {"Jansen", "jansen"},
};
#define NFIRST (sizeof firsts / sizeof firsts[0])
#define NLAST (sizeof lasts / sizeof lasts[0])

static const char *const freemail[] = {
	"gmx.de", "web.de", "gmail.com", "t-online.de", "example.com", "yahoo.de",
	"outlook.com", "posteo.de",
};
static const char *const workmail[] = { "example.org", "example.net" };

struct city {
	const char *name;
	unsigned plz;		/* first postal code; plz + k for k < 100 */
	const char *area;	/* landline area code without trunk 0 */
};
static const struct city de_cities[] = {
	{"Berlin", 10115, "30"}, {"Hamburg", 20095, "40"}, {"München", 80331, "89"},
	{"Köln", 50667, "221"}, {"Frankfurt am Main", 60311, "69"}, {"Stuttgart", 70173, "711"},
	{"Leipzig", 4109, "341"}, {"Dresden", 1067, "351"}, {"Düsseldorf", 40210, "211"},
	{"Chemnitz", 9111, "371"},
};

struct country {
	const char *cc, *calling, *city, *mobile;
	unsigned plz, per_mille;	/* cumulative share of people */
	int plz_digits;
};
static const struct country countries[] = {
	{"DE", "49", NULL, NULL, 0, 750, 5},
	{"AT", "43", "Wien", "660", 1010, 820, 4},
	{"CH", "41", "Zürich", "79", 8001, 870, 4},
	{"NL", "31", "Amsterdam", "6", 1011, 900, 4},
	{"FR", "33", "Paris", "6", 75001, 930, 5},
	{"GB", "44", "London", "7700", 0, 960, 0},
	{"PL", "48", "Kraków", "512", 31042, 980, 5},
	{"US", "1", "New York", "212", 10001, 1000, 5},
};

static const char *const campaigns[] = {
	"spring_sale", "black_friday", "newsletter_march", "summer_outdoor", "retargeting",
};
static const char *const sources[] = { "google", "instagram", "facebook", "bing", "newsletter" };
static const char *const mediums[] = { "cpc", "social", "social", "cpc", "email" };
static const char *const stores[] = { "Berlin Mitte", "Hamburg Altona", "München Zentrum" };
static const char *const store_no[] = { "124", "224", "324" };

struct product {
	const char *sku;
	unsigned cents;
};
static const struct product products[] = {
	{"NL-TENT-2P", 24900}, {"NL-LAMP-HD", 3490}, {"NL-BOTTLE", 1250}, {"NL-JACKET-W", 18900},
	{"NL-JACKET-M", 18900}, {"NL-BOOTS-42", 15900}, {"NL-PACK-35", 12900}, {"NL-STOVE", 6990},
	{"NL-MAT-XL", 8990}, {"NL-SOCKS-3", 1990}, {"NL-BAG-SLEEP", 13900}, {"NL-POLES", 7990},
};
#define NPROD (sizeof products / sizeof products[0])

#define CALL_CENTRE "+49 30 555000100"

/* One person, drawn from its own PRNG stream. */
struct person {
	uint64_t pid;		/* 1-based; also the customer id number */
	uint64_t rs;		/* PRNG state */
	const struct name *fn, *ln;
	const struct country *co;
	const struct city *city;
	int nemail;
	char email[3][96];
	int has_phone, mobile;
	uint64_t phone_num;
	char area[8];
	int ndev;
	uint64_t dev[5];	/* anonymous ids (48 bits) */
	int dev_app[5];		/* 1: the app (RudderStack snake_case keys) */
	int dev_login[5];	/* 1: the person logs in on this device */
	int shared;		/* index of the family-shared device, or -1 */
	int in_crm, has_loyalty;
	int64_t created;
};

static uint64_t seed, npeople;
static uint64_t next_order = 1, next_receipt = 1, next_extra_cid;
static uint64_t next_msg;
/* The time span rows are drawn from: the history, or one day (-d). */
static int64_t t_lo = T_START, t_hi = T_NOW;

/* The family flag of pair (2k, 2k+1): both persons compute the same. */
static int
family_pair(uint64_t even_index)
{
	return mix(seed ^ 0xfa111e5ULL, even_index) % 1000 < 60;
}

static uint64_t
family_device(uint64_t even_index)
{
	return mix(seed ^ 0xde71ce5ULL, even_index) & 0xffffffffffffULL;
}

static void
make_person(struct person *p, uint64_t i)
{
	uint64_t *r = &p->rs;
	unsigned u;
	size_t k;

	memset(p, 0, sizeof *p);
	p->pid = i + 1;
	p->rs = mix(seed, i + 1);
	p->fn = &firsts[rnd(r, NFIRST)];
	p->ln = &lasts[rnd(r, NLAST)];
	u = (unsigned)rnd(r, 1000);
	for (k = 0; countries[k].per_mille <= u; k++)
		;
	p->co = &countries[k];
	p->city = &de_cities[rnd(r, sizeof de_cities / sizeof de_cities[0])];

	/* E-mails: unique per person through the person number. */
	p->nemail = 1 + chance(r, 350) + chance(r, 100);
	snprintf(p->email[0], sizeof p->email[0], "%s.%s%llu@%s", p->fn->ascii, p->ln->ascii,
	    (unsigned long long)p->pid, freemail[rnd(r, 8)]);
	snprintf(p->email[1], sizeof p->email[1], "%c%s%llu@%s", p->fn->ascii[0], p->ln->ascii,
	    (unsigned long long)p->pid, freemail[rnd(r, 8)]);
	snprintf(p->email[2], sizeof p->email[2], "%s.%s.%llu@%s", p->fn->ascii, p->ln->ascii,
	    (unsigned long long)p->pid, workmail[rnd(r, 2)]);

	/* Phones: a bijection of the person number, so never shared. */
	p->has_phone = chance(r, 800);
	p->mobile = p->co != &countries[0] || chance(r, 600);
	if (p->mobile) {
		p->phone_num = 10000000 + (p->pid * 104729ULL) % 90000000ULL;
		if (p->co == &countries[0])
			snprintf(p->area, sizeof p->area, "%s",
			    (const char *[]){ "151", "160", "170", "176" }[rnd(r, 4)]);
		else
			snprintf(p->area, sizeof p->area, "%s", p->co->mobile);
	} else {
		p->phone_num = 1000000 + (p->pid * 7919ULL) % 9000000ULL;
		snprintf(p->area, sizeof p->area, "%s", p->city->area);
	}

	/* Devices. */
	u = (unsigned)rnd(r, 100);
	p->ndev = u < 40 ? 1 : u < 75 ? 2 : u < 93 ? 3 : 4;
	for (int d = 0; d < p->ndev; d++) {
		p->dev[d] = mix(seed ^ 0xa11011ULL, p->pid * 8 + (uint64_t)d) & 0xffffffffffffULL;
		p->dev_app[d] = chance(r, 150);
		p->dev_login[d] = d == 0 || chance(r, 700);
	}
	p->shared = -1;
	if (i % 2 == 0 ? i + 1 < npeople && family_pair(i) : family_pair(i - 1)) {
		p->dev[p->ndev] = family_device(i - i % 2);
		p->dev_app[p->ndev] = 0;
		p->dev_login[p->ndev] = 1;
		p->shared = p->ndev++;
	}
	p->in_crm = chance(r, 920);
	p->has_loyalty = chance(r, 400);
	p->created = T_START - 86400LL * 400 + (int64_t)rnd(r, 86400ULL * 700);
}

/* Write an e-mail as people and systems do: mostly as is, sometimes in
 * another case or with blanks around (all normalize to the same). */
static void
p_email_variant(struct out *o, struct person *p, const char *e)
{
	unsigned v = (unsigned)rnd(&p->rs, 100);

	if (v < 70) {
		ps(o, e);
	} else if (v < 85) {		/* Anna.Schmidt@Gmx.de */
		int up = 1;

		for (const char *s = e; *s; s++) {
			pc(o, up && *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s);
			up = *s == '.' || *s == '@';
		}
	} else if (v < 95) {
		for (const char *s = e; *s; s++)
			pc(o, *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s);
	} else {
		pc(o, ' ');
		ps(o, e);
		pc(o, ' ');
	}
}

/* The phone in one of the ways people write it. */
static void
p_phone(struct out *o, struct person *p)
{
	unsigned v = (unsigned)rnd(&p->rs, 100);
	int de = p->co == &countries[0];

	if (!de) {
		ps(o, v < 60 ? "+" : "00");
		ps(o, p->co->calling);
		pc(o, ' ');
	} else if (v < 35) {
		pc(o, '0');
	} else if (v < 60) {
		ps(o, "+49 ");
	} else if (v < 75) {
		ps(o, "0049 ");
	} else if (v < 85) {
		ps(o, "+49 (0)");
	} else {
		pc(o, '0');
		ps(o, p->area);
		pc(o, '/');
		pu(o, p->phone_num);
		return;
	}
	ps(o, p->area);
	pc(o, ' ');
	pu(o, p->phone_num);
}

static void
p_cid(struct out *o, uint64_t n)
{
	pc(o, 'C');
	pz(o, n, 7);
}

/* First name with two adjacent ASCII letters swapped ("Tomas" style). */
static void
p_typo(struct out *o, struct person *p, const char *s)
{
	size_t n = strlen(s), k = n > 2 ? 1 + (size_t)rnd(&p->rs, n - 2) : n;

	if (k + 1 >= n || (unsigned char)s[k] >= 0x80 || (unsigned char)s[k + 1] >= 0x80) {
		ps(o, s);
		pc(o, s[n - 1] == 'e' ? 'e' : 'h');	/* doubled or added letter */
		return;
	}
	pmem(o, s, k);
	pc(o, s[k + 1]);
	pc(o, s[k]);
	ps(o, s + k + 2);
}

static struct out crm, news, shop, till, web;

static void
crm_row(struct person *p, uint64_t cid, int typo, int placeholder)
{
	uint64_t *r = &p->rs;
	struct out *o = &crm;
	int64_t upd = p->created + (int64_t)rnd(r, (uint64_t)(t_hi - p->created));

	p_cid(o, cid);
	pc(o, ',');
	if (typo)
		p_typo(o, p, p->fn->show);
	else
		ps(o, p->fn->show);
	pc(o, ',');
	ps(o, p->ln->show);
	pc(o, ',');
	if (placeholder)
		ps(o, chance(r, 500) ? "test@test.com" : "none");
	else
		p_email_variant(o, p, p->email[0]);
	pc(o, ',');
	if (p->has_phone)
		p_phone(o, p);
	pc(o, ',');
	ps(o, p->co->cc);
	pc(o, ',');
	if (p->co == &countries[0]) {
		ps(o, p->city->name);
		pc(o, ',');
		pz(o, p->city->plz + rnd(r, 100), 5);
	} else {
		ps(o, p->co->city);
		pc(o, ',');
		if (p->co->plz_digits)
			pz(o, p->co->plz + rnd(r, 20), p->co->plz_digits);
		else
			ps(o, "EC1A 1BB");
	}
	pc(o, ',');
	if (!chance(r, 50))
		p_date(o, (int64_t)(-631152000LL + (int64_t)rnd(r, 86400ULL * 365 * 55)));
	pc(o, ',');
	p_iso_ms(o, p->created, -1);
	pc(o, ',');
	p_iso_ms(o, upd, -1);
	pc(o, ',');
	unsigned v = (unsigned)rnd(r, 100);
	if (v < 60)
		ps(o, "true");
	else if (v < 97)
		ps(o, "false");
	pc(o, ',');
	if (p->has_loyalty) {
		ps(o, "93");
		pz(o, p->pid, 8);
	}
	endrec(o, p->pid);
}

static void
gen_crm(struct person *p)
{
	uint64_t *r = &p->rs;
	int placeholder = chance(r, 30);

	if (!p->in_crm)
		return;
	crm_row(p, p->pid, 0, placeholder);
	if (chance(r, 20))		/* exact re-export of the same customer */
		crm_row(p, p->pid, 0, placeholder);
	if (chance(r, 15))		/* entered again by hand, with a typo */
		crm_row(p, next_extra_cid++, 1, 0);
}

static void
gen_newsletter(struct person *p)
{
	uint64_t *r = &p->rs;
	struct out *o = &news;
	int n;

	if (!chance(r, 500))
		return;
	n = 1 + chance(r, 50);
	for (int k = 0; k < n; k++) {
		unsigned v = (unsigned)rnd(r, 100);

		p_email_variant(o, p, p->email[rnd(r, (uint64_t)p->nemail)]);
		pc(o, ';');
		if (!chance(r, 30))
			ps(o, p->fn->show);
		pc(o, ';');
		p_space(o, t_lo + (int64_t)rnd(r, (uint64_t)(t_hi - t_lo)));
		pc(o, ';');
		ps(o, v < 80 ? "subscribed" : v < 92 ? "unsubscribed" : "cleaned");
		endrec(o, p->pid);
	}
}

/* --- web events ------------------------------------------------------ */

struct ev {
	struct person *p;
	int dev;
	int64_t t;		/* seconds */
	int ms;
	int logged_in;		/* the device knows the user */
	int campaign;		/* -1 none */
};

static void
p_msgid(struct out *o)
{
	uint64_t a = mix(seed ^ 0x3e55a9eULL, next_msg), b = mix(seed ^ 0x3e55a9fULL, next_msg);

	next_msg++;
	phex(o, a >> 32, 8);
	pc(o, '-');
	phex(o, a >> 16, 4);
	pc(o, '-');
	phex(o, 0x4000 | (a & 0x0fff), 4);
	pc(o, '-');
	phex(o, 0x8000 | (b >> 48 & 0x3fff), 4);
	pc(o, '-');
	phex(o, b, 12);
}

/* Common head: type, ids, timestamp; leaves the object open. */
static void
ev_head(struct ev *e, const char *type, const char *event)
{
	struct out *o = &web;
	int app = e->p->dev_app[e->dev];

	ps(o, "{\"type\":\"");
	ps(o, type);
	pc(o, '"');
	if (event) {
		ps(o, ",\"event\":\"");
		ps(o, event);
		pc(o, '"');
	}
	ps(o, app ? ",\"message_id\":\"" : ",\"messageId\":\"");
	p_msgid(o);
	ps(o, app ? "\",\"anonymous_id\":\"anon-" : "\",\"anonymousId\":\"anon-");
	phex(o, e->p->dev[e->dev], 12);
	pc(o, '"');
	if (e->logged_in && e->p->in_crm) {
		ps(o, app ? ",\"user_id\":\"" : ",\"userId\":\"");
		p_cid(o, e->p->pid);
		pc(o, '"');
	} else if (!app && chance(&e->p->rs, 500)) {
		ps(o, ",\"userId\":null");
	}
	ps(o, ",\"timestamp\":\"");
	p_iso_ms(o, e->t, e->ms);
	pc(o, '"');
}

static void
ev_tail(struct ev *e)
{
	struct out *o = &web;

	if (e->campaign >= 0) {
		ps(o, ",\"context\":{\"campaign\":{\"name\":\"");
		ps(o, campaigns[e->campaign]);
		ps(o, "\",\"source\":\"");
		ps(o, sources[e->campaign]);
		ps(o, "\",\"medium\":\"");
		ps(o, mediums[e->campaign]);
		ps(o, "\"}}");
		e->campaign = -1;	/* only on the first event of a session */
	} else if (e->p->dev_app[e->dev]) {
		ps(o, ",\"context\":{\"library\":{\"name\":\"rudder-android\"}}");
	}
	pc(o, '}');
	endrec(o, e->p->pid);
	e->t += 20 + (int64_t)rnd(&e->p->rs, 240);
	e->ms = (int)rnd(&e->p->rs, 1000);
}

static void
ev_page(struct ev *e)
{
	ev_head(e, "page", NULL);
	ps(&web, ",\"name\":\"Home\",\"properties\":{\"path\":\"/\"}");
	ev_tail(e);
}

static void
ev_product(struct ev *e, const char *event, const struct product *pr)
{
	struct out *o = &web;

	ev_head(e, "track", event);
	ps(o, ",\"properties\":{\"sku\":\"");
	ps(o, pr->sku);
	ps(o, "\",\"price\":");
	pmoney(o, pr->cents);
	pc(o, '}');
	ev_tail(e);
}

static void
ev_identify(struct ev *e)
{
	struct out *o = &web;
	struct person *p = e->p;

	e->logged_in = 1;
	ev_head(e, "identify", NULL);
	ps(o, ",\"traits\":{\"email\":\"");
	ps(o, p->email[rnd(&p->rs, (uint64_t)p->nemail)]);
	pc(o, '"');
	if (p->has_phone && chance(&p->rs, 200)) {
		ps(o, ",\"phone\":\"");
		p_phone(o, p);
		pc(o, '"');
	}
	pc(o, '}');
	ev_tail(e);
}

static void
ev_checkout(struct ev *e, uint64_t cents)
{
	struct out *o = &web;

	ev_head(e, "track", "Checkout Started");
	ps(o, ",\"properties\":{\"revenue\":");
	pmoney(o, cents);
	ps(o, ",\"currency\":\"EUR\"}");
	ev_tail(e);
}

static void
ev_order(struct ev *e, uint64_t order, uint64_t cents, const char *cur)
{
	struct out *o = &web;

	ev_head(e, "track", "Order Completed");
	ps(o, ",\"properties\":{\"order_id\":\"NL-");
	pz(o, order, 9);
	ps(o, "\",\"revenue\":");
	pmoney(o, cents);
	ps(o, ",\"currency\":\"");
	ps(o, cur);
	ps(o, "\"}");
	ev_tail(e);
}

/* Start a session on device d at time t (seconds). */
static void
session_start(struct ev *e, struct person *p, int d, int64_t t, int *seen)
{
	e->p = p;
	e->dev = d;
	e->t = t;
	e->ms = (int)rnd(&p->rs, 1000);
	e->campaign = chance(&p->rs, 250) ? (int)rnd(&p->rs, 5) : -1;
	/* A device remembers the login of an earlier session. */
	e->logged_in = seen[d];
	if (chance(&p->rs, 500))
		ev_page(e);
	if (!e->logged_in && p->dev_login[d] && chance(&p->rs, 700)) {
		ev_identify(e);
		seen[d] = 1;
	}
}

/* A browsing session: views, maybe a cart left behind. */
static void
gen_browse(struct person *p, int *seen)
{
	uint64_t *r = &p->rs;
	struct ev e;
	const struct product *pr = &products[rnd(r, NPROD)];
	int nview = 1 + (int)rnd(r, 3);

	session_start(&e, p, (int)rnd(r, (uint64_t)p->ndev),
	    t_lo + (int64_t)rnd(r, (uint64_t)(t_hi - t_lo - 3600)), seen);
	for (int k = 0; k < nview; k++) {
		pr = &products[rnd(r, NPROD)];
		ev_product(&e, "Product Viewed", pr);
	}
	if (chance(r, 350)) {		/* cart abandonment */
		ev_product(&e, "Product Added", pr);
		if (chance(r, 300))
			ev_checkout(&e, pr->cents);
	}
}

/* --- orders ---------------------------------------------------------- */

static const int order_counts[] = { 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5 };

static void
gen_shop(struct person *p, int *seen)
{
	uint64_t *r = &p->rs;
	struct out *o = &shop;
	int n = order_counts[rnd(r, 20)];

	if (n == 5)
		n += (int)rnd(r, 6);	/* a few heavy buyers */
	for (int k = 0; k < n; k++) {
		uint64_t id = next_order++;
		int64_t t = t_lo + (int64_t)rnd(r, (uint64_t)(t_hi - t_lo - 3600));
		const struct product *pr = &products[rnd(r, NPROD)];
		int items = 1 + (int)rnd(r, 4);
		uint64_t cents = pr->cents * (uint64_t)items;
		const char *cur = p->co->cc[0] == 'G' ? "GBP" : "EUR";
		int guest = !p->in_crm || chance(r, 150);
		int phoned = chance(r, 40);
		int camp = chance(r, 250) ? (int)rnd(r, 5) : -1;

		ps(o, "NL-");
		pz(o, id, 9);
		pc(o, ',');
		if (!guest)
			p_cid(o, p->pid);
		pc(o, ',');
		p_email_variant(o, p, p->email[rnd(r, (uint64_t)p->nemail)]);
		pc(o, ',');
		if (phoned)
			ps(o, CALL_CENTRE);	/* the call centre's number, for many people */
		else if (p->has_phone && chance(r, 300))
			p_phone(o, p);
		pc(o, ',');
		p_space(o, t + berlin_off(t));
		pc(o, ',');
		pmoney(o, cents);
		pc(o, ',');
		ps(o, cur);
		pc(o, ',');
		pu(o, (uint64_t)items);
		pc(o, ',');
		if (camp >= 0)
			ps(o, campaigns[camp]);
		pc(o, ',');
		if (camp >= 0)
			ps(o, sources[camp]);
		endrec(o, p->pid);

		/* Most web orders also arrive as an Order Completed event. */
		if (!phoned && chance(r, 700)) {
			struct ev e;

			session_start(&e, p, (int)rnd(r, (uint64_t)p->ndev), t - 300, seen);
			ev_product(&e, "Product Added", pr);
			ev_checkout(&e, cents);
			e.t = t;
			ev_order(&e, id, cents, cur);
		}
	}
}

static void
gen_till(struct person *p)
{
	uint64_t *r = &p->rs;
	struct out *o = &till;
	int n;

	if (p->has_loyalty)
		n = order_counts[rnd(r, 20)] + (int)rnd(r, 2);
	else
		n = chance(r, 300);	/* paid without the card */
	for (int k = 0; k < n; k++) {
		int64_t t = t_lo + (int64_t)rnd(r, (uint64_t)(t_hi - t_lo - 3600));
		int s = (int)rnd(r, 3);
		const struct product *pr = &products[rnd(r, NPROD)];

		t -= t % 60;
		ps(o, store_no[s]);
		pc(o, '-');
		pz(o, next_receipt++, 7);
		pc(o, ';');
		p_german(o, t + berlin_off(t));
		pc(o, ';');
		if (p->has_loyalty && !chance(r, 50)) {
			ps(o, "93");
			pz(o, p->pid, 8);
		}
		pc(o, ';');
		pmoney(o, pr->cents * (1 + rnd(r, 2)));
		pc(o, ';');
		ps(o, stores[s]);
		endrec(o, p->pid);
	}
}

static void
gen_web(struct person *p, int *seen)
{
	uint64_t *r = &p->rs;
	int n = (int)rnd(r, 4);

	for (int k = 0; k < n; k++)
		gen_browse(p, seen);
}

/* --- a day's batch (-d) -------------------------------------------- */

static void
gen_day(uint64_t day)
{
	uint64_t base = npeople, n = npeople / 2000 ? npeople / 2000 : 1;

	t_lo = T_NOW + (int64_t)(day - 1) * 86400;
	t_hi = t_lo + 86400;
	next_order = 900000000ULL + day * 100000;
	next_receipt = 10000000ULL + day * 100000;
	next_extra_cid = 9500000ULL + day * 1000;
	next_msg = day << 40;
	/* existing people: their devices and ids, a new day's activity */
	for (uint64_t k = 0; k < n; k++) {
		struct person p;
		int seen[5] = { 0 };
		uint64_t i = mix(seed ^ 0xda1ULL, day << 32 | k) % base;

		make_person(&p, i);
		p.rs = mix(seed ^ 0xda2ULL ^ day << 32, i + 1);
		gen_shop(&p, seen);
		gen_till(&p);
		gen_web(&p, seen);
	}
	/* new people, numbered after all people of earlier days */
	npeople = base + day * n;
	for (uint64_t k = 0; k < n; k++) {
		struct person p;
		int seen[5] = { 0 };

		make_person(&p, base + (day - 1) * n + k);
		p.created = t_lo + (int64_t)rnd(&p.rs, 86400);
		gen_crm(&p);
		gen_newsletter(&p);
		gen_shop(&p, seen);
		gen_till(&p);
		gen_web(&p, seen);
	}
	npeople = base;
}

/* --- main ------------------------------------------------------------ */

static void
oopen(struct out *o, const char *dir, const char *file, const char *name, const char *header)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (!(o->f = fopen(path, "w")))
		die(path);
	o->name = name;
	o->buf = malloc(OBUF);
	if (!o->buf)
		die("malloc");
	o->n = 0;
	o->line = 0;
	if (header) {
		ps(o, header);
		o->line = 1;
	}
}

static void
oclose(struct out *o)
{
	oflush(o);
	if (fclose(o->f) != 0)
		die(o->name);
	free(o->buf);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen -n PEOPLE [-s SEED] [-d DAY] -o DIR\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	struct out tr;
	uint64_t day = 0;
	int c;

	seed = 1;
	while ((c = getopt(argc, argv, "n:s:d:o:")) != -1) {
		switch (c) {
		case 'd':
			day = strtoull(optarg, NULL, 10);
			if (day == 0 || day > 10000)
				usage();
			break;
		case 'n':
			npeople = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (!dir || npeople == 0 || npeople > 9000000)
		usage();
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		die(dir);
	next_extra_cid = 9000001;	/* re-entered customers: above every person */

	truth = &tr;
	oopen(&tr, dir, "truth.csv", "truth", "source,line,person\n");
	oopen(&crm, dir, "crm.csv", "crm",
	    "customer_id,first_name,last_name,email,phone,country,city,postal_code,"
	    "birth_date,created_at,updated_at,email_opt_in,loyalty_id\n");
	oopen(&news, dir, "newsletter.csv", "newsletter",
	    "\"Email Address\";\"First Name\";\"Subscribed At\";\"Status\"\n");
	oopen(&shop, dir, "shop_orders.csv", "shop_orders",
	    "order_id,customer_id,email,phone,order_date,amount,currency,items,"
	    "utm_campaign,utm_source\n");
	oopen(&till, dir, "till_orders.csv", "till_orders",
	    "receipt_no;date;loyalty_id;amount;store\n");
	oopen(&web, dir, "web_events.jsonl", "web_events", NULL);

	for (uint64_t i = 0; i < npeople && !day; i++) {
		struct person p;
		int seen[5] = { 0 };

		make_person(&p, i);
		gen_crm(&p);
		gen_newsletter(&p);
		gen_shop(&p, seen);
		gen_till(&p);
		gen_web(&p, seen);
	}
	if (day)
		gen_day(day);
	oclose(&crm);
	oclose(&news);
	oclose(&shop);
	oclose(&till);
	oclose(&web);
	oclose(&tr);
	fprintf(stderr, "gen: %llu people: crm %llu, newsletter %llu, shop %llu, till %llu, "
	    "web %llu rows\n", (unsigned long long)npeople,
	    (unsigned long long)crm.line - 1, (unsigned long long)news.line - 1,
	    (unsigned long long)shop.line - 1, (unsigned long long)till.line - 1,
	    (unsigned long long)web.line);
	return 0;
}
