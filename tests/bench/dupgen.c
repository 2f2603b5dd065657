/*
 * dupgen.c - people entered more than once, with the truth, for measuring
 * identity resolution (issue 17):
 *
 *	dupgen -n PEOPLE -s SEED -o DIR [-f crm|febrl|splink] [-b PERCENT]
 *
 * People live in households in Germany (70%) or Britain (30%), with
 * German and English names mixed (a German household has an English
 * name one time in ten).  Households: 90% one person, 8% a family of
 * 2-4 sharing surname, address and landline, 2% with twins (same
 * surname, birth date and address, different first names).  1% of
 * single people bear one of a few very common names (John Smith,
 * Thomas Müller, ...) at their own address.  Half the surnames are
 * common ones (about 1% of people each), half a long tail (prefix +
 * suffix, about 0.1% each); given names, streets and house numbers
 * lean towards the head of their lists.
 *
 * Every person is entered once (60%), twice (25%), three (10%) or four
 * times (5%).  The first entry is the person as they are (fields still
 * missing now and then); every later one is a re-entry with 1-3 of:
 * a typo (one edit) in a name, a nickname (William/Bill, Johannes/Hans),
 * a diacritic spelled another way (Jürgen/Juergen/Jurgen), first and
 * last name swapped, fields missing, the birth date with day and month
 * transposed or one digit off, the phone in the other form (national
 * "0171 1234567" against "+49 171 1234567"), a new e-mail address or
 * the same local part at another domain, a move (new street, postcode,
 * city and landline), names in capitals, a street abbreviated.
 * Identifiers: 45% of re-entries keep the e-mail (some in other case)
 * and a shop entry of a person known to the CRM carries the CRM's
 * customer id 35% of the time, so deterministic rules find part of the
 * links.  E-mail addresses and customer ids belong to one person only;
 * a family's landline is the phone of the members without a mobile.
 *
 * Files written into DIR (-f crm, the default):
 *   crm.csv    Customer ID, First Name, Last Name, E-Mail, Phone,
 *              Birth Date (YYYY-MM-DD), Street, House No, Postcode,
 *              City, Country: entries typed into a CRM; a re-entry by
 *              hand gets a new customer id
 *   shop.csv   crm_id (blank for a guest), email, first_name,
 *              last_name, phone, date_of_birth (DD.MM.YYYY for German
 *              customers, else YYYY-MM-DD), address1 (street and
 *              number in one), zip, city, country
 *   batch.csv  with -b PERCENT: that share of all entries, in crm.csv's
 *              shape, to be merged after the rest (incremental linking)
 * The benchmark shapes have no households (FEBRL's and Splink's people
 * are on their own, so hard.csv is empty) and 1-4 slips per duplicate,
 * spaces typed into words among them, as FEBRL's duplicates have.
 * -f febrl: febrl.csv in the shape of the FEBRL benchmark files
 *   (rec_id, given_name, surname, street_number, address_1, address_2,
 *   suburb, postcode, state, date_of_birth as YYYYMMDD, soc_sec_id;
 *   ", " between fields, lower-case ASCII, rec-N-org / rec-N-dup-K ids,
 *   rows shuffled); no identifier column.
 * -f splink: splink.csv in the shape of Splink's fake_1000 (unique_id,
 *   first_name, surname, dob as YYYY-MM-DD, city, email; rows shuffled;
 *   the cluster column is left out: it is truth.csv).
 * Always:
 *   truth.csv  source,line,person: the true person (1..PEOPLE) of every
 *              entry, by file name without extension and physical line
 *              (header = line 1), as tests/bench/pairs.c reads it
 *   hard.csv   kind,person_a,person_b: the hard negatives, "twin" and
 *              "family" pairs (same surname and address), which a right
 *              merge never joins
 *
 * The output is a pure function of the options: households are made in
 * order, each from its own PRNG stream (splitmix64 of SEED and the
 * household number); e-mail addresses are made unique in that order.
 * C11 and libc only.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(s, a) ((a)[rnd((s), NELEM(a))])

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
	return n ? splitmix(s) % n : 0;
}

static int
chance(uint64_t *s, unsigned permille)
{
	return rnd(s, 1000) < permille;
}

/*
 * An index leaning towards the head of a list of n (common values
 * first): the smaller of two uniform draws, so the first is about twice
 * as likely as the average and the last almost never drawn.
 */
static size_t
skewed(uint64_t *s, size_t n)
{
	size_t a = (size_t)rnd(s, n), b = (size_t)rnd(s, n);

	return a < b ? a : b;
}

/* --- names and places ------------------------------------------------ */

struct given {
	const char *name;
	const char *nick[3];	/* NULL-terminated */
};

static const struct given de_male[] = {
	{ "Thomas", { "Tom", "Tommi" } }, { "Michael", { "Michi" } }, { "Andreas", { "Andi" } },
	{ "Stefan", { "Steffen" } }, { "Christian", { "Chris" } }, { "Markus", { "Mark" } },
	{ "Frank", { NULL } }, { "J\xc3\xbcrgen", { "J\xc3\xbcrgi" } },
	{ "Johannes", { "Hans", "Jo" } }, { "Wolfgang", { "Wolf" } }, { "Klaus", { NULL } },
	{ "Peter", { "Pit" } }, { "Uwe", { NULL } }, { "Matthias", { "Matze", "Mats" } },
	{ "Sebastian", { "Basti" } }, { "Tobias", { "Tobi" } }, { "Lukas", { "Luke" } },
	{ "J\xc3\xb6rg", { NULL } }, { "G\xc3\xbcnter", { NULL } }, { "Josef", { "Sepp", "Joe" } },
	{ "Friedrich", { "Fritz" } }, { "Heinrich", { "Heinz", "Heini" } }, { "Karl", { "Kalle" } },
	{ "Maximilian", { "Max" } }, { "Alexander", { "Alex" } }, { "Florian", { "Flo" } },
	{ "Dieter", { NULL } }, { "Bernd", { NULL } }, { "R\xc3\xbc" "diger", { "R\xc3\xbc" "di" } },
	{ "Bj\xc3\xb6rn", { NULL } }, { "Wilhelm", { "Willi", "Wim" } }, { "Ren\xc3\xa9", { NULL } },
};

static const struct given de_female[] = {
	{ "Anna", { "Anni" } }, { "Maria", { "Mia" } }, { "Ursula", { "Uschi", "Ulla" } },
	{ "Monika", { "Moni" } }, { "Petra", { NULL } }, { "Sabine", { "Bine" } },
	{ "Andrea", { NULL } }, { "Claudia", { NULL } }, { "Katharina", { "Kathi", "Katja" } },
	{ "Susanne", { "Susi" } }, { "Julia", { "Jule" } }, { "Margarete", { "Grete", "Gretel" } },
	{ "Elisabeth", { "Lisa", "Liesel" } }, { "Christina", { "Tina", "Christa" } },
	{ "Gabriele", { "Gabi" } }, { "Barbara", { "Babsi" } }, { "Sophie", { NULL } },
	{ "Lena", { NULL } }, { "Renate", { NULL } }, { "Brigitte", { "Gitte" } },
	{ "Hannelore", { "Hanne" } }, { "D\xc3\xb6rte", { NULL } }, { "B\xc3\xa4rbel", { NULL } },
	{ "K\xc3\xa4the", { NULL } }, { "Franziska", { "Franzi" } }, { "Johanna", { "Hanna" } },
	{ "Theresa", { "Resi" } }, { "Magdalena", { "Lena" } },
};

static const struct given en_male[] = {
	{ "William", { "Bill", "Will", "Billy" } }, { "Robert", { "Bob", "Rob" } },
	{ "James", { "Jim", "Jimmy" } }, { "John", { "Jack", "Johnny" } },
	{ "Richard", { "Dick", "Rick" } }, { "Michael", { "Mike" } }, { "Thomas", { "Tom" } },
	{ "Edward", { "Ed", "Ted" } }, { "Charles", { "Charlie" } }, { "Anthony", { "Tony" } },
	{ "Daniel", { "Dan", "Danny" } }, { "David", { "Dave" } }, { "Joseph", { "Joe" } },
	{ "Christopher", { "Chris" } }, { "Andrew", { "Andy" } }, { "Matthew", { "Matt" } },
	{ "Steven", { "Steve" } }, { "Peter", { "Pete" } }, { "George", { NULL } },
	{ "Henry", { "Harry", "Hal" } }, { "Samuel", { "Sam" } }, { "Benjamin", { "Ben" } },
	{ "Nicholas", { "Nick" } }, { "Patrick", { "Pat" } }, { "Timothy", { "Tim" } },
	{ "Jonathan", { "Jon" } }, { "Oliver", { "Ollie" } }, { "Gareth", { NULL } },
};

static const struct given en_female[] = {
	{ "Margaret", { "Peggy", "Maggie" } }, { "Elizabeth", { "Liz", "Beth", "Betty" } },
	{ "Catherine", { "Kate", "Cathy" } }, { "Jennifer", { "Jenny" } }, { "Susan", { "Sue" } },
	{ "Patricia", { "Pat", "Trish" } }, { "Deborah", { "Debbie" } },
	{ "Rebecca", { "Becky" } }, { "Victoria", { "Vicky" } }, { "Alexandra", { "Alex" } },
	{ "Samantha", { "Sam" } }, { "Jessica", { "Jess" } }, { "Sarah", { NULL } },
	{ "Emma", { NULL } }, { "Olivia", { "Liv" } }, { "Charlotte", { "Lottie" } },
	{ "Dorothy", { "Dot" } }, { "Helen", { NULL } }, { "Abigail", { "Abby" } },
	{ "Kimberly", { "Kim" } }, { "Christine", { "Chris" } }, { "Amanda", { "Mandy" } },
	{ "Zo\xc3\xab", { NULL } }, { "Eleanor", { "Ellie", "Nell" } },
};

static const char *const de_surnames[] = {
	"M\xc3\xbcller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
	"Becker", "Schulz", "Hoffmann", "Sch\xc3\xa4" "fer", "Koch", "Bauer", "Richter",
	"Klein", "Wolf", "Schr\xc3\xb6" "der", "Neumann", "Schwarz", "Zimmermann", "Braun",
	"Kr\xc3\xbcger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz",
	"Krause", "Meier", "Lehmann", "K\xc3\xb6hler", "Maier", "J\xc3\xa4ger", "Gro\xc3\x9f",
	"Wei\xc3\x9f", "B\xc3\xb6hm", "G\xc3\xbcnther", "Vogel", "Pfeiffer", "D\xc3\xb6rfler",
	"Fuchs", "K\xc3\xbchn", "M\xc3\xb6\xc3\x9fner", "Zybkowski", "Kowalczyk",
	"\xc3\x96zt\xc3\xbcrk",
};

static const char *const en_surnames[] = {
	"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
	"Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White",
	"Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson",
	"Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark",
	"Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "O'Brien", "McDonald",
	"Fitzgerald",
};

/* The long tail: prefix + suffix. */
static const char *const de_pre[] = {
	"Hoch", "Linden", "Stein", "Berg", "Wald", "Rosen", "Eich", "Birn", "Feld", "Kirch",
	"Brunn", "Hagen", "Alten", "Neu", "Sonnen", "Wei\xc3\x9f", "Gr\xc3\xbcn", "Schwarz",
	"Mittel", "Ober", "Unter", "Tann", "Buch", "Hasel", "Fl\xc3\xbcgel", "Sch\xc3\xb6n",
};
static const char *const de_suf[] = {
	"berger", "mann", "stetter", "hauser", "meier", "huber", "bach", "feld", "m\xc3\xbcller",
	"reiter", "maier", "wieser", "brunner", "gruber", "k\xc3\xb6tter", "schmid", "ler",
};
static const char *const en_pre[] = {
	"Ash", "Black", "Brad", "Chad", "Cole", "Crom", "Dun", "Fair", "Green", "Hart",
	"Hay", "Kings", "Lang", "Mar", "Mid", "North", "Oak", "Pem", "Red", "Rad", "Stan",
	"Wes", "Whit", "Wind",
};
static const char *const en_suf[] = {
	"worth", "ley", "ford", "ton", "wood", "field", "well", "more", "by", "bury",
	"ham", "wick", "stone", "bridge", "dale",
};

/* Very common full names: the "John Smith" hard negatives. */
static const char *const common_names[][4] = {
	{ "John", "Smith", "en", "m" }, { "David", "Jones", "en", "m" },
	{ "Sarah", "Smith", "en", "f" }, { "Thomas", "M\xc3\xbcller", "de", "m" },
	{ "Michael", "Schmidt", "de", "m" }, { "Anna", "Schmidt", "de", "f" },
	{ "Maria", "M\xc3\xbcller", "de", "f" },
};

struct city {
	const char *name;	/* as a local writes it */
	int de;
	const char *area;	/* landline area code without the trunk 0 */
	int pc_lo, pc_hi;	/* DE: postcode range; GB: district number range */
	const char *pc_area;	/* GB: postcode area letters */
	const char *region;	/* FEBRL's state column: a region code */
};

static const struct city cities[] = {
	{ "Berlin", 1, "30", 10115, 14199, NULL, "be" },
	{ "Hamburg", 1, "40", 20095, 22769, NULL, "hh" },
	{ "M\xc3\xbcnchen", 1, "89", 80331, 81929, NULL, "by" },
	{ "K\xc3\xb6ln", 1, "221", 50667, 51149, NULL, "nw" },
	{ "Frankfurt am Main", 1, "69", 60306, 60599, NULL, "he" },
	{ "Stuttgart", 1, "711", 70173, 70629, NULL, "bw" },
	{ "D\xc3\xbcsseldorf", 1, "211", 40210, 40629, NULL, "nw" },
	{ "N\xc3\xbcrnberg", 1, "911", 90402, 90491, NULL, "by" },
	{ "L\xc3\xbc" "beck", 1, "451", 23552, 23570, NULL, "sh" },
	{ "G\xc3\xb6ttingen", 1, "551", 37073, 37085, NULL, "ni" },
	{ "W\xc3\xbcrzburg", 1, "931", 97070, 97084, NULL, "by" },
	{ "M\xc3\xb6nchengladbach", 1, "2161", 41061, 41239, NULL, "nw" },
	{ "Leipzig", 1, "341", 4103, 4357, NULL, "sn" },
	{ "Bremen", 1, "421", 28195, 28779, NULL, "hb" },
	{ "London", 0, "20", 1, 20, "SW", "eng" },
	{ "London", 0, "20", 1, 20, "N", "eng" },
	{ "Manchester", 0, "161", 1, 40, "M", "eng" },
	{ "Birmingham", 0, "121", 1, 45, "B", "eng" },
	{ "Leeds", 0, "113", 1, 27, "LS", "eng" },
	{ "Glasgow", 0, "141", 1, 78, "G", "sct" },
	{ "Bristol", 0, "117", 1, 16, "BS", "eng" },
	{ "Liverpool", 0, "151", 1, 38, "L", "eng" },
	{ "Edinburgh", 0, "131", 1, 17, "EH", "sct" },
};

static const char *const de_street_base[] = {
	"Haupt", "Bahnhof", "Schul", "Garten", "Kirch", "Linden", "Berg", "Wald", "Ring",
	"Birken", "Eichen", "Goethe", "Schiller", "Mozart", "Feld", "M\xc3\xbchlen",
	"Am Bach", "Rosen", "Buchen", "Friedhof", "Markt", "Kastanien", "Tannen", "Ahorn",
	"Wiesen", "S\xc3\xbc" "d", "Post", "Kant", "Beethoven", "Bismarck",
};
static const char *const de_street_type[] = { "stra\xc3\x9f" "e", "weg", "allee", "platz", "gasse" };
static const char *const en_street_base[] = {
	"High", "Station", "Main", "Park", "Church", "London", "Victoria", "Green", "Manor",
	"Kings", "Queens", "Grange", "New", "School", "Mill", "North", "Albert", "Windsor",
	"Chapel", "Springfield", "Highfield", "Alexandra", "Broadway", "York", "Orchard",
};
static const char *const en_street_type[] = { "Street", "Road", "Lane", "Avenue", "Close", "Drive" };

static const char *const de_domains[] = {
	"web.de", "gmx.de", "t-online.de", "gmail.com", "posteo.de", "outlook.de", "gmx.net",
};
static const char *const en_domains[] = {
	"gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.co.uk", "btinternet.com",
	"icloud.com",
};
static const char *const de_mobile[] = {
	"151", "152", "160", "170", "171", "172", "175", "176", "177", "178", "179",
};

/* FEBRL's address_2: a building or locality name, often empty. */
static const char *const febrl_addr2[] = {
	"rosedale", "miami", "kela", "bega flats", "sunnyside", "glenview", "hilltop",
	"riverside", "brookfield", "oakleigh", "lakeside", "the grange", "ivy cottage",
};

/* --- UTF-8 text helpers ---------------------------------------------- */

/*
 * Spell German and French letters the other ways people type them:
 * mode 0 transliterated (ü -> ue, ß -> ss), mode 1 stripped (ü -> u).
 */
static void
fold_variant(const char *in, int mode, char *out, size_t outsz)
{
	static const struct { unsigned char b; const char *tr, *st; } map[] = {
		{ 0xa4, "ae", "a" }, { 0xb6, "oe", "o" }, { 0xbc, "ue", "u" },
		{ 0x84, "Ae", "A" }, { 0x96, "Oe", "O" }, { 0x9c, "Ue", "U" },
		{ 0x9f, "ss", "ss" }, { 0xa9, "e", "e" }, { 0xa8, "e", "e" }, { 0xab, "e", "e" },
	};
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 3 < outsz; p++) {
		const char *rep = NULL;

		if (*p == 0xc3 && p[1]) {
			for (size_t i = 0; i < NELEM(map); i++)
				if (map[i].b == p[1])
					rep = mode ? map[i].st : map[i].tr;
			if (rep) {
				p++;
				for (; *rep && o + 1 < outsz; rep++)
					out[o++] = *rep;
				continue;
			}
		}
		out[o++] = (char)*p;
	}
	out[o] = '\0';
}

static int
has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* ASCII letters upper-cased; other bytes as they are. */
static void
upper_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

static void
lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* Keyboard neighbours, for substitutions. */
static char
neighbour(uint64_t *s, char c)
{
	static const char *const rows[] = { "qwertzuiop", "asdfghjkl", "yxcvbnm" };

	for (size_t r = 0; r < NELEM(rows); r++) {
		const char *p = strchr(rows[r], c);

		if (p) {
			size_t i = (size_t)(p - rows[r]), n = strlen(rows[r]);

			if (i == 0)
				return rows[r][1];
			if (i == n - 1)
				return rows[r][n - 2];
			return rows[r][chance(s, 500) ? i - 1 : i + 1];
		}
	}
	return 'e';
}

/*
 * FEBRL and Splink's data are people on their own (no households), with
 * more slips per duplicate, among them a space typed into a word.
 */
static int benchmark_shape;

/*
 * One edit, as a hand slips: a substitution by a neighbouring key, a
 * deletion, a doubled letter or two letters swapped (or, in the
 * benchmark shapes, a space typed in), at a lower-case ASCII letter
 * after the first character (people rarely mistype the first).  A
 * string without such a letter is left as it is.
 */
static void
typo(uint64_t *s, char *str, size_t cap)
{
	size_t n = strlen(str), pos[64], np = 0;

	for (size_t i = 1; i < n && np < NELEM(pos); i++)
		if (str[i] >= 'a' && str[i] <= 'z')
			pos[np++] = i;
	if (np == 0)
		return;
	size_t i = pos[rnd(s, np)];

	switch (rnd(s, benchmark_shape ? 5 : 4)) {
	case 0:
		str[i] = neighbour(s, str[i]);
		break;
	case 4:
		if (n + 1 < cap) {
			memmove(str + i + 1, str + i, n - i + 1);
			str[i] = ' ';
		}
		break;
	case 1:
		memmove(str + i, str + i + 1, n - i);
		break;
	case 2:
		if (n + 1 < cap) {
			memmove(str + i + 1, str + i, n - i + 1);
		}
		break;
	default:
		if (i + 1 < n && str[i + 1] >= 'a' && str[i + 1] <= 'z' && str[i] != str[i + 1]) {
			char t = str[i];

			str[i] = str[i + 1];
			str[i + 1] = t;
		} else {
			str[i] = neighbour(s, str[i]);
		}
	}
}

/* --- people ---------------------------------------------------------- */

struct phone {
	int cc;			/* 49 or 44; 0 = none */
	char area[6];		/* without the trunk 0 */
	char sub[12];		/* subscriber digits */
};

struct person {
	uint32_t id;		/* 1.. */
	int de, female;
	const struct given *given;
	char last[48];
	int y, m, d;
	int city;
	char street[64];
	int house;
	char postcode[12];
	struct phone land, mob;
	char email[96];		/* "" = none */
	uint32_t ssn;
};

static const struct given *
pick_given(uint64_t *s, int de, int female)
{
	if (de)
		return female ? &de_female[skewed(s, NELEM(de_female))]
			      : &de_male[skewed(s, NELEM(de_male))];
	return female ? &en_female[skewed(s, NELEM(en_female))] : &en_male[skewed(s, NELEM(en_male))];
}

static void
pick_surname(uint64_t *s, int de, char *out, size_t outsz)
{
	if (chance(s, 500))
		snprintf(out, outsz, "%s", de ? PICK(s, de_surnames) : PICK(s, en_surnames));
	else if (de)
		snprintf(out, outsz, "%s%s", PICK(s, de_pre), PICK(s, de_suf));
	else
		snprintf(out, outsz, "%s%s", PICK(s, en_pre), PICK(s, en_suf));
}

static int
days_in(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static void
pick_birth(uint64_t *s, int lo, int hi, struct person *p)
{
	p->y = lo + (int)rnd(s, (uint64_t)(hi - lo + 1));
	p->m = 1 + (int)rnd(s, 12);
	p->d = 1 + (int)rnd(s, (uint64_t)days_in(p->y, p->m));
}

static int
pick_city(uint64_t *s, int de)
{
	for (;;) {
		int c = (int)rnd(s, NELEM(cities));

		if (cities[c].de == de)
			return c;
	}
}

static void
digits(uint64_t *s, char *out, int n)
{
	out[0] = (char)('2' + rnd(s, 8));
	for (int i = 1; i < n; i++)
		out[i] = (char)('0' + rnd(s, 10));
	out[n] = '\0';
}

static void
landline(uint64_t *s, int city, struct phone *ph)
{
	const struct city *c = &cities[city];

	ph->cc = c->de ? 49 : 44;
	snprintf(ph->area, sizeof ph->area, "%s", c->area);
	digits(s, ph->sub, c->de ? 7 : strcmp(c->area, "20") == 0 ? 8 : 7);
	if (!c->de && strcmp(c->area, "20") == 0)
		ph->sub[0] = chance(s, 500) ? '7' : '8';
}

static void
mobile(uint64_t *s, int de, struct phone *ph)
{
	ph->cc = de ? 49 : 44;
	if (de) {
		snprintf(ph->area, sizeof ph->area, "%s", PICK(s, de_mobile));
		digits(s, ph->sub, 7);
	} else {
		snprintf(ph->area, sizeof ph->area, "7%u", (unsigned)(700 + rnd(s, 300)));
		digits(s, ph->sub, 6);
	}
}

/* A new address in a city of the same country. */
static void
pick_address(uint64_t *s, struct person *p)
{
	static const char letters[] = "ABDEFGHJLNPQRSTUWXYZ";
	const struct city *c;

	p->city = pick_city(s, p->de);
	c = &cities[p->city];
	if (p->de) {
		const char *base = de_street_base[skewed(s, NELEM(de_street_base))];

		if (strchr(base, ' '))
			snprintf(p->street, sizeof p->street, "%s", base);
		else
			snprintf(p->street, sizeof p->street, "%s%s", base, PICK(s, de_street_type));
		snprintf(p->postcode, sizeof p->postcode, "%05d",
		    c->pc_lo + (int)rnd(s, (uint64_t)(c->pc_hi - c->pc_lo + 1)));
	} else {
		snprintf(p->street, sizeof p->street, "%s %s",
		    en_street_base[skewed(s, NELEM(en_street_base))], PICK(s, en_street_type));
		snprintf(p->postcode, sizeof p->postcode, "%s%d %d%c%c", c->pc_area,
		    c->pc_lo + (int)rnd(s, (uint64_t)(c->pc_hi - c->pc_lo + 1)), (int)rnd(s, 10),
		    letters[rnd(s, sizeof letters - 1)], letters[rnd(s, sizeof letters - 1)]);
	}
	p->house = 1 + (int)skewed(s, 180);
}

/* --- unique e-mail addresses ----------------------------------------- */

static uint64_t *emailset;
static size_t emailcap;

static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h | 1;
}

/* Take address s if no one has it yet: 1, else 0. */
static int
email_take(const char *s)
{
	uint64_t h = fnv(s);
	size_t i = (size_t)h & (emailcap - 1);

	while (emailset[i]) {
		if (emailset[i] == h)
			return 0;
		i = (i + 1) & (emailcap - 1);
	}
	emailset[i] = h;
	return 1;
}

/* Lower-case ASCII of a name for an address: Müller -> mueller, O'Brien -> obrien. */
static void
mail_part(const char *name, char *out, size_t outsz)
{
	char tmp[96];
	size_t o = 0;

	fold_variant(name, 0, tmp, sizeof tmp);
	lower_ascii(tmp);
	for (const char *p = tmp; *p && o + 1 < outsz; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			out[o++] = *p;
	out[o] = '\0';
}

/* A local part someone would choose, at domain, not yet anyone's. */
static void
make_email(uint64_t *s, const char *first, const char *last, int year, const char *domain,
    char *out, size_t outsz)
{
	char f[28], l[28], local[64];

	mail_part(first, f, sizeof f);
	mail_part(last, l, sizeof l);
	switch (rnd(s, 6)) {
	case 0: snprintf(local, sizeof local, "%s.%s", f, l); break;
	case 1: snprintf(local, sizeof local, "%s%s", f, l); break;
	case 2: snprintf(local, sizeof local, "%c.%s", f[0] ? f[0] : 'x', l); break;
	case 3: snprintf(local, sizeof local, "%s_%s", f, l); break;
	case 4: snprintf(local, sizeof local, "%s.%s%02d", f, l, year % 100); break;
	default: snprintf(local, sizeof local, "%s%u", f, (unsigned)rnd(s, 1000)); break;
	}
	snprintf(out, outsz, "%s@%s", local, domain);
	/* taken: a number after it, as the provider suggests; wider each try */
	for (uint64_t width = 100; !email_take(out); width = width < 100000000 ? width * 4 : width)
		snprintf(out, outsz, "%s%u@%s", local, (unsigned)rnd(s, width), domain);
}

/* --- households ------------------------------------------------------ */

enum { HH_MAX = 4 };

struct household {
	int n;
	struct person p[HH_MAX];
	int twin[HH_MAX];	/* the twins of the household */
};

static void
person_contacts(uint64_t *s, struct person *p, int has_mobile, int has_email)
{
	memset(&p->mob, 0, sizeof p->mob);
	if (has_mobile)
		mobile(s, p->de, &p->mob);
	p->email[0] = '\0';
	if (has_email)
		make_email(s, p->given->name, p->last, p->y,
		    p->de ? PICK(s, de_domains) : PICK(s, en_domains), p->email, sizeof p->email);
}

/* A given name no one else in the household has. */
static void
distinct_given(uint64_t *s, struct household *hh, int i, int de)
{
	for (int tries = 0; tries < 50; tries++) {
		int clash = 0;

		hh->p[i].given = pick_given(s, de, hh->p[i].female);
		for (int j = 0; j < i; j++)
			clash |= hh->p[j].given == hh->p[i].given;
		if (!clash)
			return;
	}
}

static void
make_single(uint64_t *s, struct person *p)
{
	if (chance(s, 10)) {
		const char *const *cn = common_names[rnd(s, NELEM(common_names))];
		const struct given *tab = NULL;
		size_t n = 0;

		p->de = cn[2][0] == 'd';
		p->female = cn[3][0] == 'f';
		tab = p->de ? (p->female ? de_female : de_male) : (p->female ? en_female : en_male);
		n = p->de ? (p->female ? NELEM(de_female) : NELEM(de_male))
			  : (p->female ? NELEM(en_female) : NELEM(en_male));
		for (size_t i = 0; i < n; i++)
			if (strcmp(tab[i].name, cn[0]) == 0)
				p->given = &tab[i];
		snprintf(p->last, sizeof p->last, "%s", cn[1]);
		pick_address(s, p);
		landline(s, p->city, &p->land);
	}
	pick_birth(s, 1945, 2004, p);
	person_contacts(s, p, chance(s, 880), chance(s, 900));
}

/*
 * Household number h: 90% one person, 8% a family of 2-4 sharing
 * surname, address and landline, 2% twins with 0-2 parents.
 */
static void
make_household(uint64_t seed, uint64_t h, struct household *hh)
{
	uint64_t st = seed * 0x2545f4914f6cdd1dULL + h, *s = &st;
	unsigned r = (unsigned)rnd(s, 1000);
	int de = chance(s, 700), twins = r >= 980;
	struct person base;

	splitmix(s);
	memset(hh, 0, sizeof *hh);
	memset(&base, 0, sizeof base);
	base.de = de;
	pick_surname(s, de, base.last, sizeof base.last);
	pick_address(s, &base);
	landline(s, base.city, &base.land);
	hh->n = r < 900 || benchmark_shape ? 1 : twins ? 2 + (int)rnd(s, 3)
	    : chance(s, 600) ? 2 : chance(s, 750) ? 3 : 4;
	for (int i = 0; i < hh->n; i++) {
		struct person *p = &hh->p[i];
		int name_de = chance(s, de ? 900 : 50) ? 1 : 0;

		*p = base;
		p->female = (int)rnd(s, 2);
		distinct_given(s, hh, i, name_de);
		if (hh->n == 1) {
			make_single(s, p);
			continue;
		}
		if (twins && i < 2) {
			hh->twin[i] = 1;
			if (i == 0)
				pick_birth(s, 1975, 2006, p);
			else
				p->y = hh->p[0].y, p->m = hh->p[0].m, p->d = hh->p[0].d;
		} else if (i < 2 || twins) {
			pick_birth(s, 1945, 1985, p);
		} else {
			pick_birth(s, 1986, 2006, p);
		}
		person_contacts(s, p, chance(s, p->y < 1990 ? 900 : 750), chance(s, 850));
	}
}

/* --- entries: a person as one system holds them ---------------------- */

struct entry {
	char first[64], last[64], email[112], phone[40];
	int y, m, d;		/* y 0: no birth date */
	char street[80], house[12], postcode[16], city[48];
	int cityidx;
	char ssn[12];
};

/* Upper case of ASCII and of the Latin-1 letters in UTF-8 (ä -> Ä). */
static void
upper_utf8(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (unsigned char)(*p - 32);
		else if (*p == 0xc3 && p[1] >= 0xa0 && p[1] <= 0xbe && p[1] != 0xb7)
			p[1] = (unsigned char)(p[1] - 0x20), p++;
	}
}

static void
format_phone(uint64_t *s, const struct phone *ph, int intl, char *out, size_t outsz)
{
	char sub[16];
	size_t n = strlen(ph->sub);

	if (!ph->cc) {
		out[0] = '\0';
		return;
	}
	if (ph->cc == 44 && n == 8)
		snprintf(sub, sizeof sub, "%.4s %s", ph->sub, ph->sub + 4);
	else if (ph->cc == 44 && strlen(ph->area) == 3)
		snprintf(sub, sizeof sub, "%.3s %s", ph->sub, ph->sub + 3);
	else
		snprintf(sub, sizeof sub, "%s", ph->sub);
	if (intl && ph->cc == 49 && chance(s, 200))
		snprintf(out, outsz, "0049 %s %s", ph->area, sub);
	else if (intl)
		snprintf(out, outsz, "+%d %s %s", ph->cc, ph->area, sub);
	else if (ph->cc == 49 && chance(s, 300))
		snprintf(out, outsz, chance(s, 500) ? "0%s/%s" : "(0%s) %s", ph->area, sub);
	else if (ph->cc == 44 && strcmp(ph->area, "20") == 0 && chance(s, 500))
		snprintf(out, outsz, "(0%s) %s", ph->area, sub);
	else
		snprintf(out, outsz, "0%s %s", ph->area, sub);
}

static const struct phone *
main_phone(const struct person *p)
{
	return p->mob.cc ? &p->mob : &p->land;
}

/* The person as they are; now and then a field not filled in. */
static void
entry_from(uint64_t *s, const struct person *p, struct entry *e)
{
	memset(e, 0, sizeof *e);
	snprintf(e->first, sizeof e->first, "%s", p->given->name);
	snprintf(e->last, sizeof e->last, "%s", p->last);
	if (!chance(s, 80))
		e->y = p->y, e->m = p->m, e->d = p->d;
	if (!chance(s, 100))
		format_phone(s, main_phone(p), chance(s, 400), e->phone, sizeof e->phone);
	if (!chance(s, 60))
		snprintf(e->email, sizeof e->email, "%s", p->email);
	if (!chance(s, 30)) {
		snprintf(e->street, sizeof e->street, "%s", p->street);
		snprintf(e->house, sizeof e->house, "%d", p->house);
	}
	snprintf(e->postcode, sizeof e->postcode, "%s", p->postcode);
	snprintf(e->city, sizeof e->city, "%s", cities[p->city].name);
	e->cityidx = p->city;
	snprintf(e->ssn, sizeof e->ssn, "%07u", (unsigned)p->ssn);
}

static void
use_nickname(uint64_t *s, const struct person *p, struct entry *e)
{
	size_t n = 0;

	while (n < 3 && p->given->nick[n])
		n++;
	if (n)
		snprintf(e->first, sizeof e->first, "%s", p->given->nick[rnd(s, n)]);
	else
		typo(s, e->first, sizeof e->first);
}

/* Another spelling of a field with umlauts or accents (else a typo). */
static void
respell(uint64_t *s, struct entry *e)
{
	char *f[] = { e->first, e->last, e->street, e->city }, tmp[80];
	size_t sz[] = { sizeof e->first, sizeof e->last, sizeof e->street, sizeof e->city };
	size_t k = rnd(s, 4);

	for (size_t i = 0; i < 4; i++) {
		size_t j = (k + i) % 4;

		if (has_non_ascii(f[j])) {
			fold_variant(f[j], (int)rnd(s, 2), tmp, sizeof tmp);
			snprintf(f[j], sz[j], "%s", tmp);
			return;
		}
	}
	typo(s, e->last, sizeof e->last);
}

static void
leave_out(uint64_t *s, struct entry *e)
{
	switch (rnd(s, 5)) {
	case 0: e->y = 0; break;
	case 1: e->street[0] = e->house[0] = '\0'; break;
	case 2: e->postcode[0] = '\0'; break;
	case 3: e->city[0] = '\0'; break;
	default: e->first[0] = '\0'; break;
	}
}

static void
date_transposed(uint64_t *s, struct entry *e)
{
	if (e->y && e->d <= 12 && e->d != e->m) {
		int t = e->d;

		e->d = e->m;
		e->m = t;
	} else if (e->y) {
		e->y += chance(s, 500) ? 1 : -1;
	}
}

static void
date_digit(uint64_t *s, struct entry *e)
{
	if (!e->y)
		return;
	switch (rnd(s, 3)) {
	case 0: e->d = e->d > 1 && (chance(s, 500) || e->d >= 28) ? e->d - 1 : e->d + 1; break;
	case 1: e->m = e->m > 1 && (chance(s, 500) || e->m == 12) ? e->m - 1 : e->m + 1; break;
	default: e->y += chance(s, 500) ? 1 : -1; break;
	}
	if (e->d > days_in(e->y, e->m))
		e->d = days_in(e->y, e->m);
}

static void
moved(uint64_t *s, const struct person *p, struct entry *e)
{
	struct person q = *p;

	pick_address(s, &q);
	snprintf(e->street, sizeof e->street, "%s", q.street);
	snprintf(e->house, sizeof e->house, "%d", q.house);
	snprintf(e->postcode, sizeof e->postcode, "%s", q.postcode);
	snprintf(e->city, sizeof e->city, "%s", cities[q.city].name);
	e->cityidx = q.city;
	if (!p->mob.cc && e->phone[0]) {
		landline(s, q.city, &q.land);
		format_phone(s, &q.land, chance(s, 400), e->phone, sizeof e->phone);
	}
}

/* Straße -> Str., Road -> Rd */
static void
abbreviate(struct entry *e)
{
	static const char *const from[] = { "stra\xc3\x9f" "e", "Street", "Road", "Avenue", "Lane",
		"Drive", "Close", "weg", "allee", "platz" };
	static const char *const to[] = { "str.", "St", "Rd", "Ave", "Ln", "Dr", "Cl", "wg.",
		"all.", "pl." };

	for (size_t i = 0; i < NELEM(from); i++) {
		char *p = strstr(e->street, from[i]);

		if (p) {
			size_t fl = strlen(from[i]), tl = strlen(to[i]);

			memmove(p + tl, p + fl, strlen(p + fl) + 1);
			memcpy(p, to[i], tl);
			return;
		}
	}
}

/* Names, dates and the address of a re-entry: 1-3 slips. */
static void
reenter_fields(uint64_t *s, const struct person *p, struct entry *e)
{
	int n = 1 + (int)rnd(s, benchmark_shape ? 4 : 3);

	for (int i = 0; i < n; i++) {
		unsigned r = (unsigned)rnd(s, 100);

		if (r < 18)
			typo(s, chance(s, 500) ? e->first : e->last, sizeof e->first);
		else if (r < 30)
			use_nickname(s, p, e);
		else if (r < 40)
			respell(s, e);
		else if (r < 44) {
			char t[64];

			memcpy(t, e->first, sizeof t);
			memcpy(e->first, e->last, sizeof t);
			memcpy(e->last, t, sizeof t);
		} else if (r < 56)
			leave_out(s, e);
		else if (r < 63)
			date_transposed(s, e);
		else if (r < 70)
			date_digit(s, e);
		else if (r < 78)
			moved(s, p, e);
		else if (r < 82) {
			upper_utf8(e->last);
			if (chance(s, 500))
				upper_utf8(e->first);
		} else if (r < 90)
			abbreviate(e);
		else
			typo(s, chance(s, 500) ? e->street : e->city, sizeof e->city);
	}
}

/* The identifiers of a re-entry: e-mail kept 45%, another 30%, none 25%. */
static void
reenter_ids(uint64_t *s, const struct person *p, struct entry *e)
{
	unsigned r = (unsigned)rnd(s, 100);
	const char *dom = p->de ? PICK(s, de_domains) : PICK(s, en_domains);

	e->email[0] = '\0';
	if (!p->email[0]) {
		if (r < 30)
			make_email(s, p->given->name, p->last, p->y, dom, e->email, sizeof e->email);
	} else if (r < 45) {
		snprintf(e->email, sizeof e->email, "%s", p->email);
		if (chance(s, 100))
			upper_ascii(e->email);
		else if (chance(s, 100))
			e->email[0] = (char)(e->email[0] >= 'a' && e->email[0] <= 'z' ? e->email[0] - 32 : e->email[0]);
	} else if (r < 60) {
		char local[96];
		const char *at = strchr(p->email, '@');

		snprintf(local, sizeof local, "%.*s", (int)(at - p->email), p->email);
		snprintf(e->email, sizeof e->email, "%s@%s", local, dom);
		if (strcmp(e->email, p->email) == 0 || !email_take(e->email))
			e->email[0] = '\0';
	} else if (r < 75) {
		make_email(s, p->given->name, p->last, p->y, dom, e->email, sizeof e->email);
	}
	if (chance(s, 200))
		e->phone[0] = '\0';
	else if (e->phone[0] || chance(s, 500))
		format_phone(s, main_phone(p), chance(s, 500), e->phone, sizeof e->phone);
	/* a social security number typed again: one digit wrong now and then */
	if (chance(s, 100))
		e->ssn[rnd(s, 7)] = (char)('0' + rnd(s, 10));
	else if (chance(s, 50))
		e->ssn[0] = '\0';
}

/* --- output ---------------------------------------------------------- */

static const char *outdir;

static void
die(const char *what)
{
	fprintf(stderr, "dupgen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static FILE *
create(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", outdir, name);
	if (!(f = fopen(path, "w")))
		die(path);
	return f;
}

/* A file of entries and its physical line (header = 1). */
struct sink {
	FILE *f;
	const char *source;
	unsigned long line;
};

static FILE *truth;

static void
csv_field(FILE *f, const char *v, int last)
{
	if (strpbrk(v, ",\"\n")) {
		fputc('"', f);
		for (; *v; v++) {
			if (*v == '"')
				fputc('"', f);
			fputc(*v, f);
		}
		fputc('"', f);
	} else {
		fputs(v, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void
date_text(const struct entry *e, int german, char *out, size_t outsz)
{
	if (!e->y)
		out[0] = '\0';
	else if (german)
		snprintf(out, outsz, "%02d.%02d.%04d", e->d, e->m, e->y);
	else
		snprintf(out, outsz, "%04d-%02d-%02d", e->y, e->m, e->d);
}

static void
crm_row(struct sink *k, const char *cid, const struct entry *e, int de, uint32_t person)
{
	char date[16];

	date_text(e, 0, date, sizeof date);
	csv_field(k->f, cid, 0);
	csv_field(k->f, e->first, 0);
	csv_field(k->f, e->last, 0);
	csv_field(k->f, e->email, 0);
	csv_field(k->f, e->phone, 0);
	csv_field(k->f, date, 0);
	csv_field(k->f, e->street, 0);
	csv_field(k->f, e->house, 0);
	csv_field(k->f, e->postcode, 0);
	csv_field(k->f, e->city, 0);
	csv_field(k->f, de ? "DE" : "GB", 1);
	fprintf(truth, "%s,%lu,%u\n", k->source, ++k->line, (unsigned)person);
}

static void
shop_row(struct sink *k, const char *cid, const struct entry *e, int de, uint32_t person)
{
	char date[16], addr[100];

	date_text(e, de, date, sizeof date);
	if (!e->street[0])
		addr[0] = '\0';
	else if (de)
		snprintf(addr, sizeof addr, "%s %s", e->street, e->house);
	else
		snprintf(addr, sizeof addr, "%s %s", e->house, e->street);
	csv_field(k->f, cid, 0);
	csv_field(k->f, e->email, 0);
	csv_field(k->f, e->first, 0);
	csv_field(k->f, e->last, 0);
	csv_field(k->f, e->phone, 0);
	csv_field(k->f, date, 0);
	csv_field(k->f, addr, 0);
	csv_field(k->f, e->postcode, 0);
	csv_field(k->f, e->city, 0);
	csv_field(k->f, de ? "Germany" : "United Kingdom", 1);
	fprintf(truth, "%s,%lu,%u\n", k->source, ++k->line, (unsigned)person);
}

/* Rows of the benchmark shapes, kept to be shuffled. */
struct row {
	char *text;
	uint32_t person;
};

static struct row *rows;
static size_t nrows, caprows;

static void
row_add(const char *text, uint32_t person)
{
	if (nrows == caprows) {
		caprows = caprows ? caprows * 2 : 4096;
		if (!(rows = realloc(rows, caprows * sizeof *rows)))
			die("memory");
	}
	if (!(rows[nrows].text = strdup(text)))
		die("memory");
	rows[nrows++].person = person;
}

/* Lower-case ASCII, as FEBRL writes every value. */
static void
febrl_value(uint64_t *s, const char *in, char *out, size_t outsz)
{
	fold_variant(in, (int)rnd(s, 2), out, outsz);
	lower_ascii(out);
	for (char *p = out; *p; p++)
		if (*p == ',' || *p == '"')
			*p = ' ';
}

static void
febrl_row(uint64_t *s, const struct entry *e, uint32_t person, int dup)
{
	char id[32], f[64], l[64], st[80], sub[48], pc[16], a2[32], date[16], line[512];

	if (dup < 0)
		snprintf(id, sizeof id, "rec-%u-org", (unsigned)(person - 1));
	else
		snprintf(id, sizeof id, "rec-%u-dup-%d", (unsigned)(person - 1), dup);
	febrl_value(s, e->first, f, sizeof f);
	febrl_value(s, e->last, l, sizeof l);
	febrl_value(s, e->street, st, sizeof st);
	febrl_value(s, e->city, sub, sizeof sub);
	febrl_value(s, e->postcode, pc, sizeof pc);
	snprintf(a2, sizeof a2, "%s", chance(s, 600) ? "" : PICK(s, febrl_addr2));
	if (e->y)
		snprintf(date, sizeof date, "%04d%02d%02d", e->y, e->m, e->d);
	else
		date[0] = '\0';
	snprintf(line, sizeof line, "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s", id, f, l,
	    e->house, st, a2, sub, pc, e->city[0] ? cities[e->cityidx].region : "",
	    date, e->ssn);
	row_add(line, person);
}

static void
splink_row(const struct entry *e, uint32_t person)
{
	char line[512], date[16];
	FILE *m;

	date_text(e, 0, date, sizeof date);
	if (!(m = fmemopen(line, sizeof line, "w")))
		die("fmemopen");
	csv_field(m, e->first, 0);
	csv_field(m, e->last, 0);
	csv_field(m, date, 0);
	csv_field(m, e->city, 0);
	csv_field(m, e->email, 1);
	fputc('\0', m);
	fclose(m);
	line[sizeof line - 1] = '\0';
	row_add(line, person);
}

/* Shuffle the kept rows (seeded) and write them with the truth. */
static void
rows_write(uint64_t seed, const char *file, const char *source, const char *header, int number)
{
	uint64_t st = seed ^ 0x5deece66dULL;
	FILE *f = create(file);

	fprintf(f, "%s\n", header);
	for (size_t i = nrows; i > 1; i--) {
		size_t j = (size_t)rnd(&st, i);
		struct row t = rows[i - 1];

		rows[i - 1] = rows[j];
		rows[j] = t;
	}
	for (size_t i = 0; i < nrows; i++) {
		if (number)
			fprintf(f, "%zu,", i);
		fputs(rows[i].text, f);
		if (!number)
			fputc('\n', f);
		fprintf(truth, "%s,%zu,%u\n", source, i + 2, (unsigned)rows[i].person);
		free(rows[i].text);
	}
	if (fclose(f) != 0)
		die(file);
}

/* --- main ------------------------------------------------------------ */

enum { F_CRM, F_FEBRL, F_SPLINK };

struct gen {
	int format;
	unsigned batch;		/* per mille of entries into batch.csv */
	uint64_t seed;
	struct sink crm, shop, bat;
	unsigned long next_cid;
};

/* How many times a person is entered: 1 (60%), 2 (25%), 3 (10%), 4 (5%). */
static int
entries_of(uint64_t *s)
{
	unsigned r = (unsigned)rnd(s, 100);

	return r < 60 ? 1 : r < 85 ? 2 : r < 95 ? 3 : 4;
}

static void
emit_crm(struct gen *g, uint64_t *s, const struct person *p, int k, const struct entry *e,
    char *crm_cid)
{
	char cid[16];
	int to_crm = k == 0 ? chance(s, 750) : chance(s, 500);

	if (g->batch && chance(s, g->batch)) {
		snprintf(cid, sizeof cid, "C%07lu", ++g->next_cid);
		crm_row(&g->bat, cid, e, p->de, p->id);
	} else if (to_crm) {
		snprintf(cid, sizeof cid, "C%07lu", ++g->next_cid);
		if (!crm_cid[0])
			memcpy(crm_cid, cid, sizeof cid);
		crm_row(&g->crm, cid, e, p->de, p->id);
	} else {
		/* a shop customer logged in carries the CRM's number */
		shop_row(&g->shop, crm_cid[0] && chance(s, 350) ? crm_cid : "", e, p->de, p->id);
	}
}

static void
emit_person(struct gen *g, uint64_t *s, const struct person *p)
{
	int n = entries_of(s);
	char crm_cid[16] = "";

	for (int k = 0; k < n; k++) {
		struct entry e;

		entry_from(s, p, &e);
		if (k > 0) {
			reenter_ids(s, p, &e);
			reenter_fields(s, p, &e);
		}
		if (g->format == F_CRM)
			emit_crm(g, s, p, k, &e, crm_cid);
		else if (g->format == F_FEBRL)
			febrl_row(s, &e, p->id, k - 1);
		else
			splink_row(&e, p->id);
	}
}

static void
sink_open(struct sink *k, const char *file, const char *source, const char *header)
{
	k->f = create(file);
	k->source = source;
	k->line = 1;
	fprintf(k->f, "%s\n", header);
}

static void
sink_close(struct sink *k, const char *file)
{
	if (k->f && fclose(k->f) != 0)
		die(file);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dupgen -n PEOPLE -s SEED -o DIR [-f crm|febrl|splink] [-b PERCENT]\n");
	exit(64);
}

static void
generate(struct gen *g, unsigned long n)
{
	FILE *hard = create("hard.csv");
	uint32_t pid = 0;

	fprintf(hard, "kind,person_a,person_b\n");
	for (uint64_t h = 0; pid < n; h++) {
		struct household hh;
		uint64_t st = g->seed ^ (h * 0x9e3779b97f4a7c15ULL), *s = &st;
		int m = 0;

		make_household(g->seed, h, &hh);
		for (; m < hh.n && pid < n; m++) {
			hh.p[m].id = ++pid;
			hh.p[m].ssn = 1000000u + (uint32_t)(((uint64_t)pid * 2654435761ULL + g->seed) % 9000000u);
			emit_person(g, s, &hh.p[m]);
		}
		for (int a = 0; a < m; a++)
			for (int b = a + 1; b < m; b++)
				fprintf(hard, "%s,%u,%u\n", hh.twin[a] && hh.twin[b] ? "twin" : "family",
				    (unsigned)hh.p[a].id, (unsigned)hh.p[b].id);
	}
	if (fclose(hard) != 0)
		die("hard.csv");
}

int
main(int argc, char **argv)
{
	struct gen g;
	unsigned long n = 0;
	int ch;

	memset(&g, 0, sizeof g);
	while ((ch = getopt(argc, argv, "n:s:o:f:b:")) != -1) {
		switch (ch) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 's': g.seed = strtoull(optarg, NULL, 10); break;
		case 'o': outdir = optarg; break;
		case 'b': g.batch = (unsigned)(strtod(optarg, NULL) * 10); break;
		case 'f':
			if (strcmp(optarg, "crm") == 0)
				g.format = F_CRM;
			else if (strcmp(optarg, "febrl") == 0)
				g.format = F_FEBRL;
			else if (strcmp(optarg, "splink") == 0)
				g.format = F_SPLINK;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (n == 0 || n > 8000000 || !outdir || optind != argc || g.batch > 1000)
		usage();
	benchmark_shape = g.format != F_CRM;
	if (mkdir(outdir, 0700) < 0 && errno != EEXIST)
		die(outdir);
	for (emailcap = 1024; emailcap < n * 8; emailcap *= 2)
		;
	if (!(emailset = calloc(emailcap, sizeof *emailset)))
		die("memory");
	truth = create("truth.csv");
	fprintf(truth, "source,line,person\n");
	if (g.format == F_CRM) {
		sink_open(&g.crm, "crm.csv", "crm", "Customer ID,First Name,Last Name,E-Mail,Phone,"
		    "Birth Date,Street,House No,Postcode,City,Country");
		sink_open(&g.shop, "shop.csv", "shop", "crm_id,email,first_name,last_name,phone,"
		    "date_of_birth,address1,zip,city,country");
		if (g.batch)
			sink_open(&g.bat, "batch.csv", "batch", "Customer ID,First Name,Last Name,"
			    "E-Mail,Phone,Birth Date,Street,House No,Postcode,City,Country");
	}
	generate(&g, n);
	if (g.format == F_FEBRL)
		rows_write(g.seed, "febrl.csv", "febrl", "rec_id, given_name, surname, street_number, "
		    "address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id", 0);
	else if (g.format == F_SPLINK)
		rows_write(g.seed, "splink.csv", "splink", "unique_id,first_name,surname,dob,city,email", 1);
	sink_close(&g.crm, "crm.csv");
	sink_close(&g.shop, "shop.csv");
	sink_close(&g.bat, "batch.csv");
	if (fclose(truth) != 0)
		die("truth.csv");
	free(emailset);
	free(rows);
	return 0;
}
