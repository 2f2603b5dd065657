/*
 * test_fsmatch.c - the Fellegi-Sunter library: string similarity,
 * folding, nicknames, each comparison's levels, weights with term
 * frequencies, EM on a synthetic mixture, and the parameters file.
 */
#include <math.h>
#include <stdlib.h>
#include "fsmatch.h"
#include "util.h"
#include "t.h"

static struct fs_model model;

#define NEAR(x, want, eps) (fabs((x) - (want)) <= (eps))

static void
test_jaro_winkler(void)
{
	static const struct { const char *a, *b; double want; } cases[] = {
		{ "MARTHA", "MARHTA", 0.961 }, { "DWAYNE", "DUANE", 0.840 },
		{ "DIXON", "DICKSONX", 0.813 }, { "JELLYFISH", "SMELLYFISH", 0.896 },
		{ "abc", "abc", 1.0 }, { "abc", "xyz", 0.0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[80];
		double got = fs_jaro_winkler(cases[i].a, strlen(cases[i].a), cases[i].b,
		    strlen(cases[i].b));

		snprintf(name, sizeof name, "jaro-winkler: %s/%s = %.3f", cases[i].a, cases[i].b,
		    cases[i].want);
		T_CHECK(NEAR(got, cases[i].want, 0.0005), name);
		if (!NEAR(got, cases[i].want, 0.0005))
			printf("#   got %.4f\n", got);
	}
	T_CHECK(fs_jaro_winkler("MARHTA", 6, "MARTHA", 6) ==
	    fs_jaro_winkler("MARTHA", 6, "MARHTA", 6), "jaro-winkler: symmetric");
	T_CHECK(fs_jaro_winkler("", 0, "a", 1) == 0, "jaro-winkler: empty against a letter is 0");
	T_INTEQ(fs_edit_distance_max("kitten", "sitting", 5), 3, "edit distance: kitten/sitting 3");
	T_INTEQ(fs_edit_distance_max("kitten", "sitting", 2), 3, "edit distance: gives up above max");
	T_INTEQ(fs_edit_distance_max("anna", "anna", 2), 0, "edit distance: equal is 0");
}

static void
fold_is(const char *in, const char *want)
{
	char out[64], name[96];

	fs_fold(in, out, sizeof out);
	snprintf(name, sizeof name, "fold: \"%s\" -> \"%s\"", in, want);
	T_STREQ(out, want, name);
}

static void
test_fold(void)
{
	char small[6];

	fold_is("Jürgen", "jurgen");
	fold_is("Juergen", "jurgen");
	fold_is("JURGEN", "jurgen");
	fold_is("Müller", "muller");
	fold_is("Mueller", "muller");
	fold_is("Zoë", "zo");
	fold_is("Zoe", "zo");
	fold_is("Strauß", "strauss");
	fold_is("Søren", "soren");
	fold_is("Soeren", "soren");
	fold_is("Åse", "ase");
	fold_is("Aase", "ase");
	fold_is("Łukasz Żółć", "lukasz zolc");
	fold_is("François", "francois");
	fold_is("O'Brien", "obrien");
	fold_is("  Jean-Pierre  ", "jean pierre");
	fold_is("Ærø", "aro");
	T_INTEQ(fs_fold("Müllerß", small, sizeof small), 5, "fold: cut to the buffer");
	T_STREQ(small, "mulle", "fold: cut after folding");
	fs_fold("Juergen", small, sizeof small);
	T_STREQ(small, "jurge", "fold: a cut transliteration folds like the umlaut");
	fs_fold("abc Иван", small, sizeof small);
	T_STREQ(small, "abc", "fold: a cut keeps whole characters");
	fold_is("Иван", "Иван");
}

static void
test_soundex(void)
{
	static const char *const cases[][2] = {
		{ "robert", "r163" }, { "rupert", "r163" }, { "ashcraft", "a261" },
		{ "tymczak", "t522" }, { "pfister", "p236" }, { "honeyman", "h555" },
		{ "lee", "l000" }, { "", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[5], name[64];

		fs_soundex(cases[i][0], out);
		snprintf(name, sizeof name, "soundex: \"%s\" -> \"%s\"", cases[i][0], cases[i][1]);
		T_STREQ(out, cases[i][1], name);
	}
}

/* The level comparison name takes for two records. */
static const char *
level_of(const char *comp, const struct fs_input *a, const struct fs_input *b)
{
	struct fs_rec ra, rb;
	int i = fs_model_find(&model, comp);

	fs_prepare(&model, a, &ra);
	fs_prepare(&model, b, &rb);
	return fs_level_name(model.comp[i].kind, fs_vec_level(fs_compare(&model, &ra, &rb), i));
}

static void
first_is(const char *x, const char *y, const char *want)
{
	struct fs_input a = { .first_name = x, .last_name = "Meier" };
	struct fs_input b = { .first_name = y, .last_name = "Meier" };
	char name[96];

	snprintf(name, sizeof name, "first name: %s/%s is %s", x, y, want);
	T_STREQ(level_of("first_name", &a, &b), want, name);
}

static void
test_names(void)
{
	static const char *const nicks[][2] = {
		{ "Bill", "William" }, { "Bob", "Robert" }, { "Peggy", "Margaret" },
		{ "Hans", "Johannes" }, { "Sepp", "Josef" }, { "Jim", "James" },
		{ "Liz", "Elizabeth" }, { "Chris", "Christina" }, { "Chris", "Christopher" },
		{ "Sascha", "Alexander" }, { "Jörg", "Jürgen" }, { "Paco", "Francisco" },
	};
	struct fs_input a = { .first_name = "Anna", .last_name = "Schmidt" };
	struct fs_input b = { .first_name = "Schmidt", .last_name = "Anna" };
	struct fs_input c = { .last_name = "Müller-Lüdenscheidt" }, d = { .last_name = "Mueller" };
	uint16_t g[FS_NICK_MAX];

	for (size_t i = 0; i < sizeof nicks / sizeof nicks[0]; i++)
		first_is(nicks[i][0], nicks[i][1], "nickname");
	first_is("Albert", "Alan", "else");
	first_is("Jürgen", "Juergen", "exact");
	first_is("Jonathon", "Jonathan", "jaro-winkler>=0.92");
	first_is("J", "Jurgen", "initial");
	first_is("Maria", "Peter", "else");
	first_is("", "Peter", "missing");
	first_is("Jean Pierre", "Jean-Pierre", "exact");
	first_is("Anna Maria", "Annamaria", "exact");
	T_CHECK(fs_nickname_groups("chris", g) == 4, "nicknames: chris sits in four groups");
	T_CHECK(fs_nickname_groups("zybkowski", g) == 0, "nicknames: an unknown name has none");
	T_STREQ(level_of("first_name", &a, &b), "swapped", "names: first and last swapped");
	T_STREQ(level_of("last_name", &a, &b), "exact", "names: swapped last names compared crosswise");
	T_STREQ(level_of("last_name", &c, &d), "one-part-equal", "last name: one part of a double name");
	c.last_name = "Evan s";
	d.last_name = "Evans";
	T_STREQ(level_of("last_name", &c, &d), "exact", "last name: a space typed in");
	a.first_name = "Charkotte";
	a.last_name = "Evan s";
	b.first_name = "Evans";
	b.last_name = "Charlotte";
	T_STREQ(level_of("first_name", &a, &b), "swapped", "names: swapped, with a typo");
	T_STREQ(level_of("last_name", &a, &b), "exact", "names: the last names meet crosswise");
	d.last_name = "Müler";
	c.last_name = "Muller";
	T_STREQ(level_of("last_name", &c, &d), "jaro-winkler>=0.92", "last name: a typo");
}

static void
date_is(const char *x, const char *y, const char *want)
{
	struct fs_input a = { .birth_date = x }, b = { .birth_date = y };
	char name[96];

	snprintf(name, sizeof name, "birth date: %s/%s is %s", x, y, want);
	T_STREQ(level_of("birth_date", &a, &b), want, name);
}

static void
test_dates(void)
{
	date_is("1980-03-07", "1980-03-07T00:00:00Z", "exact");
	date_is("1980-03-07", "07.03.1980", "exact");
	date_is("1980-03-07", "19800307", "exact");
	date_is("1980-03-07", "1980-07-03", "day-month-swapped");
	date_is("1980-03-07", "1980-03-08", "one-digit-off");
	date_is("1980-03-07", "1981-03-07", "one-digit-off");
	date_is("1980-03-07", "1980-03-27", "one-digit-off");
	date_is("1980-03-07", "1980-03-18", "one-field-off");
	date_is("1980-03-07", "1991-03-07", "one-field-off");
	date_is("1980-03-07", "1980-11-21", "same-year");
	date_is("1980-03-07", "1975-11-21", "else");
	date_is("1980-13-07", "1980-03-07", "missing");
	date_is("yesterday", "1980-03-07", "missing");
}

static void
pair_is(const char *comp, struct fs_input a, struct fs_input b, const char *want, const char *name)
{
	T_STREQ(level_of(comp, &a, &b), want, name);
}

static void
test_contacts(void)
{
	pair_is("phone", (struct fs_input){ .phone = "+49 30 1234567" },
	    (struct fs_input){ .phone = "030 1234567" }, "exact", "phone: +49 and national form");
	pair_is("phone", (struct fs_input){ .phone = "+44 20 7946 0958" },
	    (struct fs_input){ .phone = "020 7946 0958" }, "exact", "phone: +44 and national form");
	pair_is("phone", (struct fs_input){ .phone = "0044 20 7946 0958" },
	    (struct fs_input){ .phone = "+442079460958" }, "exact", "phone: 0044 and +44");
	pair_is("phone", (struct fs_input){ .phone = "1234567" },
	    (struct fs_input){ .phone = "+49 30 1234567" }, "last-7-equal",
	    "phone: without area code, last 7 digits");
	pair_is("phone", (struct fs_input){ .phone = "+49 30 1234567" },
	    (struct fs_input){ .phone = "+49 30 7654321" }, "else", "phone: another number");
	pair_is("phone", (struct fs_input){ .phone = "12345" },
	    (struct fs_input){ .phone = "12345" }, "missing", "phone: too short to say");
	pair_is("email", (struct fs_input){ .email = "Anna.Schmidt@Example.com" },
	    (struct fs_input){ .email = "anna.schmidt@example.com" }, "exact", "e-mail: case");
	pair_is("email", (struct fs_input){ .email = "anna.schmidt+shop@example.com" },
	    (struct fs_input){ .email = "anna.schmidt@example.com" }, "exact", "e-mail: +tag");
	pair_is("email", (struct fs_input){ .email = "anna.schmidt@gmail.com" },
	    (struct fs_input){ .email = "anna.schmidt@web.de" }, "local-equal",
	    "e-mail: same local part, other domain");
	pair_is("email", (struct fs_input){ .email = "ana.schmitt@gmail.com" },
	    (struct fs_input){ .email = "anna.schmidt@web.de" }, "local-edit<=2",
	    "e-mail: local part two edits apart");
	pair_is("email", (struct fs_input){ .email = "an.schmit@gmail.com" },
	    (struct fs_input){ .email = "anna.schmidt@web.de" }, "else",
	    "e-mail: local part three edits apart");
	pair_is("email", (struct fs_input){ .email = "anna.meier7@gmail.com" },
	    (struct fs_input){ .email = "anna.meier61@gmail.com" }, "else",
	    "e-mail: other digits are another account, not a typo");
	pair_is("email", (struct fs_input){ .email = "anna.meir85@gmail.com" },
	    (struct fs_input){ .email = "anna.meier85@gmail.com" }, "local-edit<=2",
	    "e-mail: a typo beside the same digits");
	pair_is("email", (struct fs_input){ .email = "jo@a.de" },
	    (struct fs_input){ .email = "al@a.de" }, "else", "e-mail: short locals say nothing");
	pair_is("email", (struct fs_input){ .email = "no-at-sign" },
	    (struct fs_input){ .email = "a@b.c" }, "missing", "e-mail: not an address");
}

static void
test_address(void)
{
	pair_is("street", (struct fs_input){ .street = "Hauptstraße 12a" },
	    (struct fs_input){ .street = "Hauptstr. 12 a" }, "exact", "street: straße and str.");
	pair_is("street", (struct fs_input){ .street = "12 High Street" },
	    (struct fs_input){ .street = "12 High St" }, "exact", "street: street and st");
	pair_is("street", (struct fs_input){ .street = "Hauptstrasse 12" },
	    (struct fs_input){ .street = "Hauptstrase 12" }, "same-number-jaro-winkler>=0.9",
	    "street: a typo, same number");
	pair_is("street", (struct fs_input){ .street = "Hauptstrasse 12" },
	    (struct fs_input){ .street = "Hauptstrasse 14" }, "else", "street: another number");
	pair_is("postal_code", (struct fs_input){ .postcode = "SW1A 1AA" },
	    (struct fs_input){ .postcode = "sw1a1aa" }, "exact", "postcode: spaces and case");
	pair_is("postal_code", (struct fs_input){ .postcode = "10115" },
	    (struct fs_input){ .postcode = "10117" }, "first-3-equal", "postcode: first 3");
	pair_is("city", (struct fs_input){ .city = "München" },
	    (struct fs_input){ .city = "MUENCHEN" }, "exact", "city: folded");
	pair_is("city", (struct fs_input){ .city = "Frankfurt" },
	    (struct fs_input){ .city = "Frankfurt am Main" }, "jaro-winkler>=0.9",
	    "city: jaro-winkler");
}

static void
test_columns(void)
{
	struct fs_input a = { .extra = { "GOLD-123" } }, b = { .extra = { "gold 123" } };
	int i = fs_model_add_column(&model, "loyalty_id", 0);

	T_CHECK(i == 8, "column: added after the built-ins");
	T_STREQ(level_of("loyalty_id", &a, &b), "exact", "column: folded exact");
	b.extra[0] = "gold 124";
	T_STREQ(level_of("loyalty_id", &a, &b), "one-edit", "column: one edit");
	b.extra[0] = "gold 1234";
	T_STREQ(level_of("loyalty_id", &a, &b), "one-edit", "column: one insertion");
	b.extra[0] = "gold 132";
	T_STREQ(level_of("loyalty_id", &a, &b), "jaro-winkler>=0.9", "column: jaro-winkler");
	b.extra[0] = "silver 9";
	T_STREQ(level_of("loyalty_id", &a, &b), "else", "column: else");
	a.extra[0] = "m";
	b.extra[0] = "f";
	T_STREQ(level_of("loyalty_id", &a, &b), "else", "column: one edit says nothing in a short value");
	T_CHECK(model.comp[i].tf, "column: term frequencies by default");
	T_CHECK(fs_model_add_column(&model, "loyalty_id", 1) < 0, "column: a name only once");
	T_CHECK(fs_model_add_column(&model, "city", 1) < 0, "column: not a built-in's name");
	fs_model_remove(&model, i);
	T_INTEQ(model.ncomp, 8, "column: removed");
}

/* ---- weights ---- */

static void
test_score(void)
{
	struct fs_input a = { .first_name = "Jürgen", .last_name = "Zybkowski",
		.birth_date = "1970-01-02", .city = "Köln" };
	struct fs_input b = { .first_name = "Juergen", .last_name = "Zybkowski",
		.birth_date = "1970-01-02", .city = "Koeln", .email = "j@x.de" };
	struct fs_rec ra, rb;
	struct fs_explain ex;
	double w, sum;

	fs_prepare(&model, &a, &ra);
	fs_prepare(&model, &b, &rb);
	w = fs_score(&model, NULL, &ra, &rb, &ex);
	sum = ex.prior;
	for (int i = 0; i < ex.ncomp; i++)
		sum += ex.weight[i];
	T_CHECK(NEAR(w, ex.total, 1e-9) && NEAR(sum, w, 1e-9), "score: prior plus contributions");
	T_CHECK(NEAR(w, fs_vec_weight(&model, fs_compare(&model, &ra, &rb)), 1e-9),
	    "score: without tf equals the vector's weight");
	T_INTEQ(ex.level[fs_model_find(&model, "email")], FS_MISSING, "score: missing e-mail");
	T_CHECK(ex.weight[fs_model_find(&model, "email")] == 0, "score: missing weighs 0");
	T_CHECK(NEAR(ex.weight[0], log2(0.85 / 0.008), 1e-9), "score: exact first name is log2(m/u)");
	T_CHECK(w > model.match_threshold, "score: a clear duplicate passes the match threshold");
	T_CHECK(NEAR(fs_probability(0), 0.5, 1e-12) && fs_probability(2000) == 1,
	    "score: probability of a weight");
}

/* Postal code, street, city and phone say "same household" once. */
static void
test_groups(void)
{
	struct fs_input a = { .first_name = "Anna", .last_name = "Meier", .birth_date = "1980-01-02",
		.postcode = "10115", .street = "Hauptstr. 1", .city = "Berlin" };
	struct fs_input b = a;
	struct fs_rec ra, rb;
	struct fs_explain ex;
	int pc = fs_model_find(&model, "postal_code"), st = fs_model_find(&model, "street");
	int city = fs_model_find(&model, "city");
	double w, sum = 0;

	fs_prepare(&model, &a, &ra);
	fs_prepare(&model, &b, &rb);
	w = fs_score(&model, NULL, &ra, &rb, &ex);
	T_CHECK(ex.weight[st] == ex.alone[st] && !ex.shadowed[st], "groups: the street gives the address weight");
	T_CHECK(ex.shadowed[pc] && ex.shadowed[city] && ex.weight[pc] == 0 && ex.weight[city] == 0,
	    "groups: postal code and city add nothing more");
	for (int i = 0; i < ex.ncomp; i++)
		sum += ex.weight[i];
	T_CHECK(NEAR(w, ex.prior + sum, 1e-9), "groups: the total is what the explanation adds up to");
	b.phone = a.phone = "+49 30 1234567";
	fs_prepare(&model, &a, &ra);
	fs_prepare(&model, &b, &rb);
	fs_score(&model, NULL, &ra, &rb, &ex);
	T_CHECK(ex.shadowed[st] && !ex.shadowed[fs_model_find(&model, "phone")],
	    "groups: a shared phone and address count once, the larger");
	a.phone = b.phone = NULL;
	fs_prepare(&model, &a, &ra);
	b.street = "Gartenweg 7";
	b.postcode = "80331";
	b.city = "München";
	fs_prepare(&model, &b, &rb);
	fs_score(&model, NULL, &ra, &rb, &ex);
	T_CHECK(!ex.shadowed[st] && ex.shadowed[pc] && ex.shadowed[city] &&
	    NEAR(ex.weight[st], fs_level_weight(&model, st, 3), 1e-9),
	    "groups: a move counts once, as the mildest of its disagreements");
	b = a;
	b.first_name = "Paul";
	b.birth_date = "2009-05-06";
	b.email = "paul.meier@example.com";
	fs_prepare(&model, &b, &rb);
	T_CHECK(fs_score(&model, NULL, &ra, &rb, NULL) < model.match_threshold,
	    "groups: a household member is not a match by default");
	T_CHECK(fs_vec_weight(&model, fs_compare(&model, &ra, &rb)) ==
	    fs_score(&model, NULL, &ra, &rb, NULL), "groups: the vector's weight applies them too");
}

/* A common surname matching weighs less than a rare one. */
static void
test_tf(void)
{
	struct fs_tf *tf = fs_tf_new();
	struct fs_input in = { .first_name = "Anna" };
	struct fs_rec r, m1, m2, z1, z2;
	struct fs_explain em, ez;
	int last = fs_model_find(&model, "last_name");
	char name[32];

	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "Name%d", i % 997);
		in.last_name = i < 300 ? "Müller" : i < 302 ? "Zybkowski" : name;
		fs_prepare(&model, &in, &r);
		fs_tf_add(tf, &model, &r);
	}
	in.last_name = "Mueller";
	fs_prepare(&model, &in, &m1);
	in.last_name = "Müller";
	fs_prepare(&model, &in, &m2);
	in.last_name = "Zybkowski";
	fs_prepare(&model, &in, &z1);
	z2 = z1;
	T_INTEQ(fs_tf_count(tf, last, m1.tfh[last]), 300, "tf: counts the folded value");
	T_INTEQ(fs_tf_total(tf, last), 2000, "tf: counts records with a value");
	fs_score(&model, tf, &m1, &m2, &em);
	fs_score(&model, tf, &z1, &z2, &ez);
	T_CHECK(em.tf_used[last] && ez.tf_used[last], "tf: used on exact last names");
	T_CHECK(em.weight[last] < ez.weight[last], "tf: Müller weighs less than Zybkowski");
	T_CHECK(NEAR(em.weight[last], log2(0.88 / (300 / 2000.0)), 1e-9),
	    "tf: u is the value's share");
	T_CHECK(em.weight[last] < fs_level_weight(&model, last, FS_EXACT),
	    "tf: a common name weighs less than the average exact match");
	fs_score(&model, NULL, &m1, &m2, &em);
	T_CHECK(!em.tf_used[last], "tf: none without a table");
	/* a copy counts on alone: a partial cdp-merge run's base table */
	struct fs_tf *cp = fs_tf_copy(tf);

	fs_tf_add(cp, &model, &m2);
	T_INTEQ(fs_tf_count(cp, last, m1.tfh[last]), 301, "tf: a copy has the counts and counts on");
	T_INTEQ(fs_tf_total(cp, last), 2001, "tf: a copy has the totals");
	T_INTEQ(fs_tf_count(tf, last, m1.tfh[last]), 300, "tf: the original stays as it was");
	T_INTEQ(fs_tf_count(cp, last, z1.tfh[last]), 2, "tf: a copy finds every value");
	fs_tf_free(cp);
	fs_tf_free(tf);
}

/* ---- training ---- */

static uint64_t rng = 88172645463325252ULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int
draw(const double *p, int nlevels)
{
	double x = uniform(), acc = 0;

	for (int l = 1; l < nlevels - 1; l++)
		if (x < (acc += p[l]))
			return l;
	return nlevels - 1;
}

/* A pair's vector drawn from the match (m) or non-match (u) distribution. */
static fs_vec
draw_vec(const struct fs_model *truth, int match)
{
	fs_vec v = 0;

	for (int k = 0; k < truth->ncomp; k++) {
		const struct fs_comp *c = &truth->comp[k];
		int l = uniform() < 0.1 ? 0 : draw(match ? c->m : c->u, c->nlevels);

		v |= (fs_vec)l << (4 * k);
	}
	return v;
}

/* The largest m error of the comparisons not in ignore. */
static double
m_error(const struct fs_model *est, const struct fs_model *truth, uint32_t ignore)
{
	double worst = 0;

	for (int k = 0; k < est->ncomp; k++)
		for (int l = 1; l < est->comp[k].nlevels && !(ignore >> k & 1); l++) {
			double d = fabs(est->comp[k].m[l] - truth->comp[k].m[l]);

			worst = d > worst ? d : worst;
		}
	return worst;
}

/*
 * Pairs blocked on the last name: every one agrees there exactly, so
 * the last name is no evidence among them.  Plain EM takes the forced
 * agreement for matches; masked EM and fs_train leave it out.
 */
static void
test_em_blocked(const struct fs_model *truth, const struct fs_vecset *rnd)
{
	struct fs_vecset blocked;
	struct fs_model est;
	uint32_t ignore = 1u << FS_LAST_NAME;
	fs_vec clear = ~((fs_vec)15 << (4 * FS_LAST_NAME));

	fs_vecset_init(&blocked);
	for (int i = 0; i < 200000; i++) {
		fs_vec v = draw_vec(truth, uniform() < truth->lambda) & clear;

		fs_vecset_add(&blocked, v | (fs_vec)FS_EXACT << (4 * FS_LAST_NAME), 1);
	}
	fs_model_default(&est);
	fs_estimate_u(&est, rnd);
	fs_em(&est, &blocked, 200, 1e-6);
	T_CHECK(est.lambda > truth->lambda + 0.1, "em: forced agreement fools plain EM");
	fs_model_default(&est);
	fs_estimate_u(&est, rnd);
	T_CHECK(fs_em_masked(&est, &blocked, ignore, 200, 1e-6) > 1, "em: masked EM runs");
	T_CHECK(m_error(&est, truth, ignore) <= 0.03, "em: masked EM recovers the other m within 0.03");
	T_CHECK(fabs(est.lambda - truth->lambda) <= 0.03, "em: masked EM recovers lambda");
	T_CHECK(est.comp[FS_LAST_NAME].m[FS_EXACT] == 0.88, "em: the blocked comparison's m stays");
	fs_model_default(&est);
	T_INTEQ(fs_train(&est, rnd, &blocked, &ignore, 1, 200, 1e-6), 0, "train: runs");
	T_CHECK(m_error(&est, truth, ignore) <= 0.03 && fabs(est.lambda - truth->lambda) <= 0.03,
	    "train: u, m and lambda from random and blocked pairs");
	{
		struct fs_vecset two[2] = { blocked, blocked };
		uint32_t masks[2] = { ignore, ~0u };
		struct fs_model once = est;

		fs_model_default(&est);
		fs_train(&est, rnd, two, masks, 2, 200, 1e-6);
		T_CHECK(est.lambda == once.lambda && m_error(&est, &once, 0) == 0,
		    "train: a rule that leaves nothing free is skipped");
	}
	fs_vecset_free(&blocked);
	fs_vecset_init(&blocked);
	for (int i = 0; i < 100000; i++)
		fs_vecset_add(&blocked, draw_vec(truth, uniform() < truth->lambda), 1);
	est = *truth;
	est.lambda = 0.5;
	T_CHECK(fs_em_lambda(&est, &blocked, 200, 1e-7) > 1 && fabs(est.lambda - truth->lambda) <= 0.03 &&
	    m_error(&est, truth, 0) == 0, "em: lambda alone, m held");
	fs_vecset_free(&blocked);
}

static void
test_em(void)
{
	struct fs_model truth, est;
	struct fs_vecset rnd, blocked;
	double worst = 0;
	int it;

	fs_model_default(&truth);
	truth.lambda = 0.15;
	/* m unlike the defaults, so EM must move to find them */
	for (int k = 0; k < truth.ncomp; k++) {
		struct fs_comp *c = &truth.comp[k];

		for (int l = 1; l < c->nlevels; l++)
			c->m[l] = l == 1 ? 0.6 : 0.4 / (c->nlevels - 2);
	}
	fs_vecset_init(&rnd);
	fs_vecset_init(&blocked);
	for (int i = 0; i < 200000; i++)
		fs_vecset_add(&rnd, draw_vec(&truth, 0), 1);
	for (int i = 0; i < 200000; i++)
		fs_vecset_add(&blocked, draw_vec(&truth, uniform() < truth.lambda), 1);
	T_CHECK(blocked.n < 20000 && blocked.total == 200000, "em: identical vectors stored once");
	fs_model_default(&est);
	T_INTEQ(fs_estimate_u(&est, &rnd), 0, "em: u from random pairs");
	est.comp[0].m[FS_EXACT] = 0.6;
	est.comp[0].pin_m[FS_EXACT] = 1;
	it = fs_em(&est, &blocked, 200, 1e-6);
	T_CHECK(it > 1 && it < 200, "em: converges");
	for (int k = 0; k < est.ncomp; k++)
		for (int l = 1; l < est.comp[k].nlevels; l++) {
			double d = fabs(est.comp[k].m[l] - truth.comp[k].m[l]);

			worst = d > worst ? d : worst;
		}
	T_CHECK(worst <= 0.03, "em: m recovered within 0.03");
	if (worst > 0.03)
		printf("#   worst m error %.4f\n", worst);
	T_CHECK(fabs(est.lambda - truth.lambda) <= 0.03, "em: lambda recovered within 0.03");
	T_CHECK(est.comp[0].m[FS_EXACT] == 0.6, "em: a pinned m stays");
	T_CHECK(fabs(est.comp[2].u[FS_EXACT] - truth.comp[2].u[FS_EXACT]) < 0.0005,
	    "em: u of a rare level from random pairs");
	fs_vecset_free(&blocked);
	test_em_blocked(&truth, &rnd);
	fs_vecset_free(&rnd);
	T_CHECK(fs_em(&est, &rnd, 10, 1e-6) < 0 && fs_estimate_u(&est, &rnd) < 0,
	    "em: no vectors is an error");
}

/* ---- the parameters file ---- */

static char *
params_text(const struct fs_model *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fs_params_write(m, f);
	fclose(f);
	return buf;
}

static void
params_error(const char *text, const char *want, const char *name)
{
	struct fs_model m = model;
	int rc = fs_params_parse(&m, "match.params", text, strlen(text));

	T_CHECK(rc < 0, name);
	T_STREQ(rc < 0 ? cdp_err() : "", want, name);
}

static void
test_params(void)
{
	struct fs_model m, back;
	char *one, *two;

	fs_model_default(&m);
	fs_model_add_column(&m, "loyalty_id", 0);
	m.lambda = 0.0123456789012345;
	m.pin_lambda = 1;
	m.comp[1].m[2] = 1.0 / 3;
	m.comp[1].pin_m[2] = 1;
	m.comp[3].u[1] = 1e-7;
	m.comp[3].pin_u[1] = 1;
	m.comp[8].tf = 1;
	strcpy(m.comp[8].group, "ids");
	m.match_threshold = 12.5;
	one = params_text(&m);
	T_INTEQ(fs_params_parse(&back, "match.params", one, strlen(one)), 0, "params: reads what it wrote");
	two = params_text(&back);
	T_STREQ(two, one, "params: write, read, write is the same text");
	T_CHECK(memcmp(&m, &back, sizeof m) == 0, "params: round trip exact to the bit");
	T_CHECK(strstr(one, "level jaro-winkler>=0.92 m 0.3333333333333333 pin u") != NULL,
	    "params: a pinned m is marked");
	free(one);
	free(two);
	params_error("version 1\nlambda 0.01\n\n# names\ncomparison first_name\nlevel exact m 0.9 u 0.01\n"
	    "comparison frist_name\n", "match.params:7: unknown comparison \"frist_name\"",
	    "params: unknown comparison, with its line");
	params_error("comparison city\nlevel exactly m 0.9 u 0.1\n",
	    "match.params:2: unknown level \"exactly\" of city", "params: unknown level");
	params_error("comparison city\nlevel exact m 1.5 u 0.1\n",
	    "match.params:2: number out of range: \"1.5\"", "params: m above 1");
	params_error("comparison city\nlevel exact m 0.9 u zero\n",
	    "match.params:2: not a number: \"zero\"", "params: not a number");
	params_error("level exact m 0.9 u 0.1\n", "match.params:1: level before any comparison",
	    "params: level outside a comparison");
	params_error("comparison city\ncomparison city\n",
	    "match.params:2: comparison \"city\" given twice", "params: comparison twice");
	params_error("lamda 0.1\n", "match.params:1: unknown setting \"lamda\"", "params: unknown setting");
	params_error("comparison city\nmatch-threshold 1\nreview-threshold 3\n",
	    "match.params: review-threshold above match-threshold", "params: thresholds in order");
	params_error("comparison city grup address\n", "match.params:1: unexpected word \"grup\"",
	    "params: unknown word after a comparison");
	params_error("version 2\n", "match.params:1: unsupported version \"2\"", "params: version");
	params_error("# nothing\n", "match.params: no comparisons", "params: no comparisons");
	T_CHECK(fs_params_read(&m, "/nonexistent/match.params") < 0,
	    "params: a missing file is an error");
}

int
main(void)
{
	fs_model_default(&model);
	test_jaro_winkler();
	test_fold();
	test_soundex();
	test_names();
	test_dates();
	test_contacts();
	test_address();
	test_columns();
	test_score();
	test_groups();
	test_tf();
	test_em();
	test_params();
	return t_done();
}
