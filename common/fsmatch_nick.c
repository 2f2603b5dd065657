/*
 * fsmatch_nick.c - the nickname table: first names that one person may
 * go by interchangeably (Bill and William, Sepp and Josef, Liz and
 * Elizabeth, Hans and Johannes), grouped.  Two first names share a
 * group when either may stand for the other; a name may sit in
 * several groups (Alex: Alexander and Alexandra; Chris: four).
 * Written for cdp from common English, German, Dutch, Nordic, French,
 * Italian, Spanish and Slavic usage; spelling variants that folding already unites (Jürgen,
 * Juergen) need no entry.
 *
 * The table is text, folded and indexed on first use, so an entry reads
 * as people write it and a lookup costs one binary search.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "fsmatch.h"
#include "util.h"

/* One group per line: the full name first, then the names it goes by. */
static const char *const groups[] = {
	"william bill billy will willy willie liam",
	"robert bob bobby rob robby robbie bert",
	"richard rick ricky dick rich richie",
	"james jim jimmy jamie jem",
	"john jack johnny jon",
	"jonathan jon jonny nathan",
	"joseph joe joey jos",
	"thomas tom tommy thom tommi",
	"charles charlie chuck chas carl",
	"christopher chris kit topher",
	"christian chris christl",
	"daniel dan danny dani",
	"matthew matt matty",
	"michael mike mikey mick mickey micha michi",
	"anthony tony ant anton",
	"antonio toni tonio",
	"andrew andy drew",
	"alexander alex alec sandy sascha xander lex",
	"alexandra alex sandra sasha lexi alexa",
	"benjamin ben benny benji",
	"samuel sam sammy",
	"edward ed eddie ted teddy ned",
	"edmund ed eddie ned",
	"theodore ted teddy theo",
	"henry harry hank hal",
	"harold harry hal",
	"frederick fred freddie freddy fritz",
	"francis frank frankie fran",
	"franziska franzi fanny",
	"franz franzl",
	"lawrence larry laurie",
	"leonard leo len lenny",
	"gerald gerry jerry",
	"jeremy jerry jem",
	"gregory greg",
	"nicholas nick nicky nico klaus",
	"nikolaus klaus niko claus",
	"patrick pat paddy",
	"peter pete",
	"philip phil pip",
	"raymond ray",
	"ronald ron ronnie",
	"donald don donnie",
	"douglas doug",
	"stephen steve stevie",
	"steven steve stevie",
	"timothy tim timmy",
	"walter walt wally",
	"zachary zach zack",
	"kenneth ken kenny",
	"terence terry",
	"vincent vince vinnie",
	"albert al bert bertie",
	"alan al",
	"alfred alf alfie fred",
	"arthur art artie",
	"bernard bernie bernd",
	"bradley brad",
	"cameron cam",
	"clifford cliff",
	"dominic dom",
	"eugene gene",
	"geoffrey geoff jeff",
	"jeffrey jeff",
	"jacob jake jakob",
	"joshua josh",
	"kevin kev",
	"leslie les",
	"louis lou louie",
	"maximilian max maxi",
	"maxwell max",
	"mitchell mitch",
	"nathaniel nat nate nathan",
	"oliver ollie olly",
	"reginald reg reggie",
	"rodney rod",
	"roger rog",
	"russell russ",
	"sebastian seb basti",
	"simon si",
	"stanley stan",
	"sylvester sly",
	"tobias toby tobi",
	"victor vic",
	"wesley wes",
	"abraham abe",
	"augustus gus august gustl",
	"cornelius neil kees",
	"dennis denny",
	"elijah eli",
	"ezekiel zeke",
	"gabriel gabe gabi",
	"isaac ike",
	"montgomery monty",
	"solomon sol",
	"elizabeth liz lizzie beth betty bette betsy eliza lisa libby elsbeth elisabeth",
	"elisabeth lisa liesel lise elsbeth sissi sisi ilse",
	"margaret maggie meg peggy marge madge greta gretchen margarete margit rita",
	"katherine kate katie kathy cathy kat kitty kay",
	"catherine kate katie cathy cat kitty",
	"katharina kathrin katrin katja kathi käthe",
	"jennifer jen jenny",
	"jessica jess jessie",
	"patricia pat patty tricia trish",
	"deborah deb debbie debby",
	"barbara barb babs bärbel babsi",
	"susan sue susie suzy",
	"susanne susi sanne",
	"rebecca becky becca",
	"victoria vicky vicki tori",
	"christina chris tina chrissy kristina",
	"christine chris tina chrissy christa",
	"dorothy dot dottie dolly",
	"dorothea doris dora thea",
	"eleanor ellie nell nora",
	"helen nell nellie lena",
	"helena lena",
	"magdalena lena leni magda",
	"abigail abby gail",
	"amanda mandy",
	"angela angie",
	"caroline carrie caro",
	"carolyn carrie carol",
	"charlotte lotte lottie charly",
	"cynthia cindy",
	"frances fran frannie",
	"gwendolyn gwen",
	"jacqueline jackie jacky",
	"judith judy jutta",
	"kimberly kim",
	"lucinda lucy cindy",
	"matilda tilly mathilde tilda",
	"melissa mel missy",
	"natalie nat talia",
	"pamela pam",
	"penelope penny",
	"rosemary rosie",
	"samantha sam sammy",
	"sophia sophie sofia",
	"stephanie steph steffi",
	"theresa tess tessa terri resi",
	"valerie val",
	"veronica ronnie vera",
	"virginia ginny",
	"wilhelmina mina willa minna",
	"josephine jo josie fina",
	"johanna hanna hanne jo",
	"hannah hanna",
	"anna anne ann annie anja annika",
	"antonia toni",
	"gabriele gabi gaby",
	"ulrike ulli uli",
	"ulrich ulli uli",
	"cornelia conny nele",
	"constance connie",
	"cecilia cissy celia",
	"evelyn eve evie",
	"eva eve",
	"florence flo",
	"gertrude trudy gerti",
	"harriet hattie",
	"louise lou lulu luise",
	"lucia lucy",
	"madeline maddie madeleine",
	"miriam mimi",
	"ottilie tilly",
	"roberta bobbie",
	"ruth ruthie",
	"sabine bine bienchen",
	"sandra sandy",
	"tamara tammy",
	"agnes nessa",
	"emily emmy em",
	"emma em",
	"alice ally",
	"alison ally ali",
	"beatrice bea trixie beate",
	"bridget biddy brigitte gitti",
	"clara clare",
	"danielle dani",
	"gabrielle gabby",
	"henrietta etta hetty",
	"isabella bella izzy isabel",
	"juliana julie juliane",
	"julia julie jule",
	"kathleen kathy kath",
	"lillian lilly lily",
	"marjorie marge margie",
	"martha marty mattie",
	"mary molly polly mae maria",
	"maria mia marie mitzi",
	"nancy nan",
	"olivia liv livvy",
	"priscilla prissy",
	"regina gina",
	"ursula uschi ulla",
	"johannes hans johann jan hannes jo",
	"johann hans hannes hansi",
	"josef sepp seppl joseph jupp",
	"georg jorg schorsch",
	"jurgen jorg",
	"wolfgang wolf wolfi",
	"friedrich fritz fred friedel",
	"heinrich heinz hinnerk henry",
	"heinz heini",
	"wilhelm willi willy wim",
	"ludwig lutz louis",
	"rudolf rudi rolf",
	"gerhard gerd",
	"bernhard bernd berni",
	"reinhard reiner rainer",
	"dietrich dieter dirk",
	"konrad kurt conny",
	"eberhard ebi",
	"gottfried friedel",
	"siegfried siggi",
	"matthias matze hias",
	"sebastian wastl",
	"nikolai kolja",
	"wolfram wolf",
	"ulrich utz",
	"hansjorg hans",
	"alois lois",
	"andreas andi anderl andy",
	"benedikt beni",
	"florian flo",
	"christoph chris stoffel",
	"dominik dome",
	"stefan steffen stephan",
	"stephan stefan",
	"thorsten torsten",
	"kai kay",
	"lukas luke luca",
	"jonas jon",
	"jan jannik jens",
	"jens jan",
	"maarten martin",
	"hendrik henk rik",
	"pieter piet",
	"cornelis kees",
	"gerrit gert",
	"jacobus koos jaap",
	"willem wim",
	"lars lasse",
	"nils niels",
	"anders andy",
	"bjorn bjorne",
	"sven svenne",
	"mikael micke",
	"ingrid inga",
	"karin kaja",
	"kirsten kirsti",
	"birgit birgitta gitte",
	"margarethe grete gretl",
	"jacques jacquot",
	"francois franck",
	"guillaume guy",
	"philippe phil",
	"jean jeannot",
	"marguerite margot",
	"giuseppe beppe pino peppe",
	"giovanni gianni nino vanni",
	"francesco franco cesco",
	"alessandro sandro alex",
	"salvatore toto turi",
	"vincenzo enzo",
	"lorenzo renzo enzo",
	"roberto berto",
	"antonella nella",
	"josé pepe",
	"francisco paco pancho curro",
	"manuel manolo manu",
	"jesus chucho chuy",
	"guadalupe lupe",
	"enrique quique",
	"ignacio nacho",
	"alejandro alex",
	"dolores lola",
	"concepcion concha conchita",
	"rosario charo",
	"mercedes merche",
	"aleksandr sasha sanya",
	"dmitri dima mitya",
	"ivan vanya",
	"mikhail misha",
	"nikolai kolya",
	"vladimir volodya vova",
	"yekaterina katya",
	"natalya natasha",
	"tatiana tanya tanja",
	"svetlana sveta",
	"anastasia nastya",
	"elena lena",
	"olga olya",
	"wojciech wojtek",
	"malgorzata gosia",
	"katarzyna kasia",
	"aleksandra ola",
	"agnieszka aga",
	"krzysztof krzys",
	"tomasz tomek",
	"piotr piotrek",
	"grzegorz grzes",
	"stanislaw stas",
	"rafael rafa",
	"ricardo ricky",
	"edoardo edo",
	"fernando nando",
	"margarita rita",
	"benedict ben",
	"bartholomew bart",
	"tiberius tibi",
	"archibald archie",
	"ernest ernie ernst",
	"herbert herb bert",
	"hubert hugh bert",
	"hugo hugh",
	"norbert norb bert",
	"randolph randy",
	"randall randy",
	"sidney sid",
	"solveig solvi",
	"ruben rube",
	"marcus marc mark",
	"martin marty",
	"mathias matt",
	"otto ottl",
	"monika moni",
	"daniela dani",
	"manuela manu",
	"christiane chrissi christl",
	"cornelius conny",
	"kristian kris",
	"kristopher kris",
};

struct nick_entry {
	char name[24];
	uint16_t group;
};

static struct nick_entry *nick_index;
static size_t nick_count;
static pthread_once_t nick_once = PTHREAD_ONCE_INIT;

static int
nick_cmp(const void *a, const void *b)
{
	const struct nick_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->group - (int)y->group;
}

/* Fold every name of the table and sort (name, group) for lookup. */
static void
nick_build(void)
{
	size_t cap = 0, ngroups = sizeof groups / sizeof groups[0];

	for (size_t g = 0; g < ngroups; g++)
		for (const char *p = groups[g]; *p; p++)
			cap += *p == ' ';
	cap += ngroups;
	nick_index = xcalloc(cap, sizeof *nick_index);
	for (size_t g = 0; g < ngroups; g++) {
		const char *p = groups[g];

		while (*p) {
			size_t n = strcspn(p, " ");
			char word[24];

			snprintf(word, sizeof word, "%.*s", (int)n, p);
			fs_fold(word, nick_index[nick_count].name, sizeof nick_index[0].name);
			nick_index[nick_count++].group = (uint16_t)(g + 1);
			p += n;
			p += *p == ' ';
		}
	}
	qsort(nick_index, nick_count, sizeof *nick_index, nick_cmp);
}

int
fs_nickname_groups(const char *folded, uint16_t out[FS_NICK_MAX])
{
	size_t lo = 0, hi, n = 0;

	pthread_once(&nick_once, nick_build);
	hi = nick_count;
	while (lo < hi) {	/* the first entry not below folded */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(nick_index[mid].name, folded) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nick_count && n < FS_NICK_MAX && strcmp(nick_index[lo].name, folded) == 0; lo++)
		if (n == 0 || out[n - 1] != nick_index[lo].group)
			out[n++] = nick_index[lo].group;
	return (int)n;
}
