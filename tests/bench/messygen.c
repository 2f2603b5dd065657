/*
 * messygen.c - deterministic generator of a messy CRM dump and an order
 * export, with the truth about every person, for the zero-configuration
 * accuracy check of issue 15:
 *
 *	messygen -n PEOPLE -s SEED -o DIR [-l en|de]
 *
 * Writes into DIR:
 *   crm.csv     one row per person, columns named as a CRM dumps them
 *               (crm_id, First Name, Last Name, E-Mail, Phone, ...,
 *               Country, email_opt_in, created_at, changed_at); booleans
 *               spelled true/false/TRUE/FALSE/1/0/yes/no/Yes/No; countries
 *               spelled DE/de/Deutschland/Germany/DEU, US/USA/us/United
 *               States/U.S., UK/GB/United Kingdom/England, CH/Schweiz/...;
 *               phones in the national form of the row's country
 *               ("030 1234567", "078 431 12 86", "(415) 555-0123") or in
 *               international forms, some with Excel's leading apostrophe,
 *               as are some crm_id values; 15% of rows without e-mail
 *               (phone and crm_id, or crm_id alone).
 *   orders.csv  order_id, crm_id, email, order_ts (ISO 8601, UTC), total,
 *               currency, status, items.  One locale per file: "en" (the
 *               default) writes "," and 1234.50; "de" writes ";" and
 *               "1.234,50 €".  An order carries the crm_id (blank for a
 *               guest checkout) and the buyer's e-mail when the CRM has
 *               one.
 *   truth.csv   person,crm_id,country,opt_in,email,phone,orders,revenue,
 *               orders_90d: per person the ISO country ("" when the CRM
 *               row has none), opt-in (1, 0 or "" when the row leaves it
 *               empty), normalized e-mail and E.164 phone ("" for none),
 *               number of orders, revenue (sum of totals, two decimals)
 *               and orders in the 90 days up to T_NOW.
 *
 * Invariants:
 * - The output is a pure function of PEOPLE, SEED and locale: every
 *   person draws from its own PRNG stream (splitmix64 of SEED and the
 *   person's number); order numbers advance in person order.
 * - Every person is one CRM row (no duplicates) and each identifier value
 *   belongs to one person only, so a correct merge gives one profile per
 *   person; crm.csv line k + 1 is person k.
 * - A national phone is written only in a row whose country is set, so
 *   every phone can be normalized from the row alone.
 * - "now" is 2025-07-01T00:00:00Z; all times lie in 2024-01-01 .. now.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define T_START 1704067200LL	/* 2024-01-01T00:00:00Z */
#define T_NOW   1751328000LL	/* 2025-07-01T00:00:00Z */
#define DAY     86400LL
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

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
rnd(uint64_t *s, uint64_t n)
{
	return splitmix(s) % n;
}

static int
chance(uint64_t *s, unsigned percent)
{
	return rnd(s, 100) < percent;
}

#define PICK(s, a) ((a)[rnd((s), NELEM(a))])

/* --- output ---------------------------------------------------------- */

static const char *outdir;

static void
die(const char *what)
{
	fprintf(stderr, "messygen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static FILE *
create(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", outdir, name);
	if ((f = fopen(path, "w")) == NULL)
		die(path);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static void
finish(FILE *f, const char *name)
{
	if (ferror(f) || fclose(f) != 0)
		die(name);
}

/* t as "2024-03-05T10:00:00Z" (iso) or "2024-03-05 10:00:00". */
static void
fmt_time(char *buf, size_t n, int64_t t, int iso)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
}

/* --- the world ------------------------------------------------------- */

struct name {
	const char *show, *ascii;
};

static const struct name firsts[] = {
	{"Jürgen", "juergen"}, {"Anna", "anna"}, {"Thomas", "thomas"}, {"Zoë", "zoe"},
	{"Søren", "soren"}, {"José", "jose"}, {"Łukasz", "lukasz"}, {"Oliver", "oliver"},
	{"Emily", "emily"}, {"Camille", "camille"}, {"Lena", "lena"}, {"Felix", "felix"},
	{"Marie", "marie"}, {"Paul", "paul"}, {"Hannah", "hannah"}, {"Jonas", "jonas"},
	{"Mia", "mia"}, {"Finn", "finn"}, {"Clara", "clara"}, {"Noah", "noah"},
	{"Charlotte", "charlotte"}, {"James", "james"}, {"Inès", "ines"}, {"René", "rene"},
};
static const struct name lasts[] = {
	{"Müller", "mueller"}, {"Schmidt", "schmidt"}, {"Weber", "weber"},
	{"Fischer", "fischer"}, {"García", "garcia"}, {"Nowak", "nowak"},
	{"Smith", "smith"}, {"Johnson", "johnson"}, {"Dubois", "dubois"},
	{"Schröder", "schroeder"}, {"Keller", "keller"}, {"Brunner", "brunner"},
	{"O'Brien", "obrien"}, {"Huber", "huber"}, {"Martin", "martin"},
	{"van Dijk", "vandijk"},
};
static const char *const domains[] = {
	"gmx.de", "web.de", "gmail.com", "outlook.com", "bluewin.ch", "yahoo.co.uk",
	"orange.fr", "icloud.com", "t-online.de", "hotmail.com",
};
static const char *const sources[] = {
	"website", "store", "fair", "referral", "newsletter", "phone",
};

/*
 * A country: its ISO code, the spellings a CRM holds for it (the first
 * the most common), its share of people in percent, and how its phones
 * are made (see phone_national).
 */
struct country {
	const char *iso;
	const char *spell[6];
	unsigned share;
};

static const struct country countries[] = {
	{"DE", {"DE", "de", "Deutschland", "Germany", "DEU", "germany"}, 45},
	{"CH", {"CH", "Schweiz", "Switzerland", "ch", "Suisse", "CHE"}, 12},
	{"AT", {"AT", "Österreich", "Austria", "at", "AUT", "AT"}, 8},
	{"US", {"US", "USA", "us", "United States", "U.S.", "United States of America"}, 12},
	{"GB", {"UK", "GB", "United Kingdom", "Great Britain", "gb", "England"}, 10},
	{"FR", {"FR", "France", "Frankreich", "fr", "FRA", "France"}, 8},
	{"NL", {"NL", "Netherlands", "Nederland", "Holland", "Niederlande", "nl"}, 3},
	{"", {""}, 2},	/* country left empty */
};

static const struct country *
pick_country(uint64_t *s)
{
	unsigned r = (unsigned)rnd(s, 100), acc = 0;

	for (size_t i = 0; i < NELEM(countries); i++) {
		acc += countries[i].share;
		if (r < acc)
			return &countries[i];
	}
	return &countries[0];
}

/* The first spelling for half the rows, the others for the rest. */
static const char *
spell_country(uint64_t *s, const struct country *c)
{
	if (c->iso[0] == '\0' || chance(s, 50))
		return c->spell[0];
	return c->spell[1 + rnd(s, 5)];
}

/* n random digits into d, the first from first..9. */
static void
digits(uint64_t *s, char *d, int n, int first)
{
	for (int i = 0; i < n; i++)
		d[i] = (char)('0' + (i == 0 ? first + (int)rnd(s, (uint64_t)(10 - first))
		    : (int)rnd(s, 10)));
	d[n] = '\0';
}

/* --- phones ---------------------------------------------------------- */

/*
 * How a country writes its numbers.  An area is the start of the
 * national significant number; sub digits follow it.  style picks the
 * grouping of national and international forms.
 */
enum style { WHOLE, CH3, PAIRS, NANP, GB4 };

struct area {
	const char *area;
	int sub, first;		/* subscriber digits, lowest first digit */
};

struct phoneplan {
	const char *iso, *cc;
	enum style style;
	struct area areas[6];
	int nareas;
};

static const struct phoneplan plans[] = {
	{"DE", "49", WHOLE, {{"30", 7, 2}, {"40", 7, 2}, {"89", 7, 2}, {"221", 7, 2},
	    {"151", 8, 1}, {"176", 8, 1}}, 6},
	{"CH", "41", CH3, {{"78", 7, 2}, {"79", 7, 2}, {"76", 7, 2}, {"44", 7, 2},
	    {"31", 7, 2}}, 5},
	{"AT", "43", WHOLE, {{"664", 7, 1}, {"676", 7, 1}, {"1", 7, 2}}, 3},
	{"US", "1", NANP, {{"212", 7, 2}, {"312", 7, 2}, {"415", 7, 2}, {"617", 7, 2},
	    {"646", 7, 2}, {"206", 7, 2}}, 6},
	{"GB", "44", GB4, {{"20", 8, 7}, {"7911", 6, 1}, {"7400", 6, 1}, {"7823", 6, 1},
	    {"161", 7, 2}}, 5},
	{"FR", "33", PAIRS, {{"6", 8, 1}, {"7", 8, 1}, {"1", 8, 1}}, 3},
	{"NL", "31", WHOLE, {{"6", 8, 1}, {"20", 7, 2}}, 2},
};

static const struct phoneplan *
plan_of(const char *iso)
{
	for (size_t i = 0; i < NELEM(plans); i++)
		if (strcmp(plans[i].iso, iso) == 0)
			return &plans[i];
	return &plans[0];
}

/* d (n digits) grouped as "AA BB CC" from the end in pairs, sep between. */
static void
pairs_of(char *out, size_t n, const char *d, char sep)
{
	size_t k = strlen(d), o = 0;

	for (size_t i = 0; i < k && o + 3 < n; i++) {
		if (i > 0 && (k - i) % 2 == 0)
			out[o++] = sep;
		out[o++] = d[i];
	}
	out[o] = '\0';
}

/* National form, as the country's own people write it. */
static void
national(uint64_t *s, const struct phoneplan *p, const char *a, const char *sub,
    char *out, size_t n)
{
	static const char seps[] = " /-";
	char g[32];

	switch (p->style) {
	case WHOLE:
		snprintf(out, n, "0%s%c%s", a, seps[rnd(s, 3)], sub);
		break;
	case CH3:	/* 078 431 12 86 */
		snprintf(out, n, "0%s %.3s %.2s %.2s", a, sub, sub + 3, sub + 5);
		break;
	case PAIRS: {	/* 06 12 34 56 78 */
		char d[16];

		snprintf(d, sizeof d, "%s%s", a, sub);
		pairs_of(g, sizeof g, d, chance(s, 70) ? ' ' : '.');
		snprintf(out, n, "0%s", g);
		break;
	}
	case NANP:	/* (415) 555-0123 */
		switch (rnd(s, 4)) {
		case 0: snprintf(out, n, "%s-%.3s-%s", a, sub, sub + 3); break;
		case 1: snprintf(out, n, "%s.%.3s.%s", a, sub, sub + 3); break;
		default: snprintf(out, n, "(%s) %.3s-%s", a, sub, sub + 3); break;
		}
		break;
	case GB4:	/* 020 7946 0123, 07911 123456 */
		if (strlen(sub) == 8)
			snprintf(out, n, "0%s %.4s %s", a, sub, sub + 4);
		else
			snprintf(out, n, "0%s %s", a, sub);
		break;
	}
}

/* International form: +CC, 00CC, +CC (0), or all digits after +. */
static void
international(uint64_t *s, const struct phoneplan *p, const char *a, const char *sub,
    char *out, size_t n)
{
	switch (rnd(s, 5)) {
	case 0:
		snprintf(out, n, "+%s%s%s", p->cc, a, sub);
		break;
	case 1:
		if (p->style != NANP) {
			snprintf(out, n, "00%s %s %s", p->cc, a, sub);
			break;
		}
		/* FALLTHROUGH */
	case 2:
		if (p->style != NANP) {
			snprintf(out, n, "+%s (0)%s %s", p->cc, a, sub);
			break;
		}
		/* FALLTHROUGH */
	default:
		if (p->style == NANP)
			snprintf(out, n, "+1 %s-%.3s-%s", a, sub, sub + 3);
		else if (p->style == CH3)
			snprintf(out, n, "+41 %s %.3s %.2s %.2s", a, sub, sub + 3, sub + 5);
		else
			snprintf(out, n, "+%s %s %s", p->cc, a, sub);
		break;
	}
}

/*
 * Phone numbers handed out so far (their digits), so that no two people
 * share one: an open-addressing set, sized in main.
 */
static uint64_t *taken;
static uint64_t taken_mask;

/* 1 if the digits of e164 were free (and are now taken). */
static int
take(const char *e164)
{
	uint64_t v = strtoull(e164 + 1, NULL, 10), st = v, i;

	for (i = splitmix(&st) & taken_mask; taken[i] != 0; i = (i + 1) & taken_mask)
		if (taken[i] == v)
			return 0;
	taken[i] = v;
	return 1;
}

/*
 * A phone of country iso, not given to anyone before: its E.164 form into e164, and as the CRM
 * holds it into raw (national only when the row names its country;
 * some with Excel's apostrophe).
 */
static void
make_phone(uint64_t *s, const char *iso, int row_has_country, char *e164,
    char *raw, size_t n)
{
	const struct phoneplan *p = plan_of(iso[0] ? iso : "DE");
	const struct area *ar = &p->areas[rnd(s, (uint64_t)p->nareas)];
	char sub[16], w[48];

	do {
		digits(s, sub, ar->sub, ar->first);
		snprintf(e164, n, "+%s%s%s", p->cc, ar->area, sub);
	} while ((p->style == NANP && sub[1] == '1' && sub[2] == '1') ||	/* N11 */
	    !take(e164));
	if (row_has_country && chance(s, 60))
		national(s, p, ar->area, sub, w, sizeof w);
	else
		international(s, p, ar->area, sub, w, sizeof w);
	if ((w[0] == '+' || w[0] == '0') && chance(s, 10))
		snprintf(raw, n, "'%s", w);
	else
		snprintf(raw, n, "%s", w);
}

/* --- people and orders ----------------------------------------------- */

struct person {
	uint64_t id, crm_id;
	const struct country *c;
	int opt_in;		/* 1, 0, -1 for none */
	char email[96];		/* normalized, "" for none */
	char e164[24];		/* "" for none */
};

static const char *const bools[][2] = {
	{"true", "false"}, {"TRUE", "FALSE"}, {"1", "0"}, {"yes", "no"},
	{"Yes", "No"}, {"True", "False"},
};

/* The e-mail address as someone typed it: some in capitals. */
static void
typed_email(uint64_t *s, const char *e, char *out, size_t n)
{
	snprintf(out, n, "%s", e);
	if (chance(s, 20)) {
		out[0] = (char)(out[0] - 'a' + 'A');
		for (char *p = strchr(out, '@') + 1; *p && *p != '.'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	}
}

/* One CRM row for person p, drawing its values from s. */
static void
crm_row(FILE *f, uint64_t *s, struct person *p)
{
	const struct name *fn = &PICK(s, firsts), *ln = &PICK(s, lasts);
	const char *country = spell_country(s, p->c);
	char email[96] = "", phone[64] = "", cr[32], ch[32];
	unsigned r = (unsigned)rnd(s, 100);
	int has_email = r < 85, has_phone = r < 85 ? chance(s, 75) : r < 93;
	int64_t created = T_START + (int64_t)rnd(s, (uint64_t)(T_NOW - T_START - 30 * DAY));
	int64_t changed = created + (int64_t)rnd(s, (uint64_t)(T_NOW - created));

	if (has_email) {
		snprintf(p->email, sizeof p->email, "%s.%s%llu@%s", fn->ascii, ln->ascii,
		    (unsigned long long)p->id, PICK(s, domains));
		typed_email(s, p->email, email, sizeof email);
	}
	if (has_phone)
		make_phone(s, p->c->iso, country[0] != '\0', p->e164, phone, sizeof phone);
	p->opt_in = chance(s, 4) ? -1 : chance(s, 45);
	fmt_time(cr, sizeof cr, created, 0);
	fmt_time(ch, sizeof ch, changed, 0);
	fprintf(f, "%s%llu,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
	    chance(s, 5) ? "'" : "", (unsigned long long)p->crm_id, fn->show, ln->show,
	    email, phone, country,
	    p->opt_in < 0 ? "" : bools[rnd(s, NELEM(bools))][p->opt_in ? 0 : 1],
	    PICK(s, sources), cr, ch);
}

/* cents as 1234.50, or as 1.234,50 € (de). */
static void
fmt_total(char *out, size_t n, uint64_t cents, int de)
{
	uint64_t e = cents / 100, c = cents % 100;

	if (!de)
		snprintf(out, n, "%llu.%02llu", (unsigned long long)e, (unsigned long long)c);
	else if (e >= 1000)
		snprintf(out, n, "%llu.%03llu,%02llu €", (unsigned long long)(e / 1000),
		    (unsigned long long)(e % 1000), (unsigned long long)c);
	else
		snprintf(out, n, "%llu,%02llu €", (unsigned long long)e, (unsigned long long)c);
}

static int
norders(uint64_t *s)
{
	static const unsigned cum[] = {35, 55, 70, 80, 88, 94};
	unsigned r = (unsigned)rnd(s, 100);

	for (int i = 0; i < (int)NELEM(cum); i++)
		if (r < cum[i])
			return i;
	return 6 + (int)rnd(s, 5);
}

static uint64_t order_no = 100000;

/* The orders of person p; returns their count, adds revenue and recent ones. */
static int
orders_of(FILE *f, uint64_t *s, const struct person *p, int de, uint64_t *cents,
    int *recent)
{
	static const char *const status[] = {"paid", "shipped", "delivered"};
	char d = de ? ';' : ',', ts[32], total[32], email[96];
	int n = norders(s);

	for (int i = 0; i < n; i++) {
		int64_t t = T_START + (int64_t)rnd(s, (uint64_t)(T_NOW - T_START));
		uint64_t c = chance(s, 8) ? 20000 + rnd(s, 230000) : 990 + rnd(s, 15000);
		int guest = p->email[0] && chance(s, 10);
		int with_email = p->email[0] && (guest || chance(s, 70));

		*cents += c;
		*recent += t >= T_NOW - 90 * DAY;
		fmt_time(ts, sizeof ts, t, 1);
		fmt_total(total, sizeof total, c, de);
		email[0] = '\0';
		if (with_email)
			typed_email(s, p->email, email, sizeof email);
		fprintf(f, "SO-%llu%c", (unsigned long long)order_no++, d);
		if (!guest)
			fprintf(f, "%llu", (unsigned long long)p->crm_id);
		fprintf(f, "%c%s%c%s%c%s%cEUR%c%s%c%d\n", d, email, d, ts, d, total, d, d,
		    PICK(s, status), d, 1 + (int)rnd(s, 4));
	}
	return n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: messygen -n PEOPLE -s SEED -o DIR [-l en|de]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	unsigned long long people = 0, seed = 42;
	int ch, de = 0;
	FILE *crm, *ord, *truth;

	while ((ch = getopt(argc, argv, "n:s:o:l:")) != -1) {
		switch (ch) {
		case 'n': people = strtoull(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'o': outdir = optarg; break;
		case 'l':
			if (strcmp(optarg, "de") != 0 && strcmp(optarg, "en") != 0)
				usage();
			de = strcmp(optarg, "de") == 0;
			break;
		default: usage();
		}
	}
	if (people == 0 || outdir == NULL || optind != argc)
		usage();
	for (taken_mask = 1; taken_mask < 2 * people; taken_mask <<= 1)
		;
	if ((taken = calloc(taken_mask--, sizeof *taken)) == NULL)
		die("calloc");
	if (mkdir(outdir, 0700) != 0 && errno != EEXIST)
		die(outdir);
	crm = create("crm.csv");
	ord = create("orders.csv");
	truth = create("truth.csv");
	fputs("crm_id,First Name,Last Name,E-Mail,Phone,Country,email_opt_in,"
	    "lead_source,created_at,changed_at\n", crm);
	fprintf(ord, de ? "order_id;crm_id;email;order_ts;total;currency;status;items\n"
	    : "order_id,crm_id,email,order_ts,total,currency,status,items\n");
	fputs("person,crm_id,country,opt_in,email,phone,orders,revenue,orders_90d\n", truth);
	for (uint64_t i = 1; i <= people; i++) {
		uint64_t st = seed * 0x9e3779b97f4a7c15ULL ^ i, *s = &st;
		struct person p = {.id = i, .crm_id = 1000000 + i};
		uint64_t cents = 0;
		int recent = 0, n;

		splitmix(s);
		p.c = pick_country(s);
		crm_row(crm, s, &p);
		n = orders_of(ord, s, &p, de, &cents, &recent);
		fprintf(truth, "%llu,%llu,%s,%s,%s,%s,%d,%llu.%02llu,%d\n",
		    (unsigned long long)i, (unsigned long long)p.crm_id, p.c->iso,
		    p.opt_in < 0 ? "" : p.opt_in ? "1" : "0", p.email, p.e164, n,
		    (unsigned long long)(cents / 100), (unsigned long long)(cents % 100), recent);
	}
	finish(crm, "crm.csv");
	finish(ord, "orders.csv");
	finish(truth, "truth.csv");
	return 0;
}
