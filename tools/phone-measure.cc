// tools/phone-measure.cc - compare norm_phone (libcdp, table + libphonenumber for
// countries outside it) with libphonenumber alone on tools/phone-cases.txt.
// Build: g++ -Icommon -o phone-measure tools/phone-measure.cc common/phone.o \
//   common/libcdp.a -lphonenumber -lcsv -lyajl -lnettle -ldeflate -lz -lm -lpthread
#include <phonenumbers/phonenumberutil.h>
#include <cstdio>
#include <cstring>
#include <string>
extern "C" {
#include "util.h"
#include "normalize.h"
}
using namespace i18n::phonenumbers;
static std::string lib(const char *cc, const char *s, bool valid) {
	const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
	PhoneNumber n;
	if (u->Parse(s, cc, &n) != PhoneNumberUtil::NO_PARSING_ERROR) return "-";
	if (valid ? !u->IsValidNumber(n) : !u->IsPossibleNumber(n)) return "-";
	std::string out; u->Format(n, PhoneNumberUtil::E164, &out); return out;
}
int main(int argc, char **argv) {
	FILE *f = fopen(argv[1], "r"); char line[256];
	int n = 0, ok_t = 0, ok_v = 0, ok_p = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#') continue;
		line[strcspn(line, "\n")] = 0;
		char *cc = strtok(line, "|"), *in = strtok(NULL, "|"), *want = strtok(NULL, "|");
		struct strbuf sb = STRBUF_INIT;
		std::string t = norm_phone(in, strlen(in), strcmp(cc,"ZZ") ? cc : NULL, &sb) == 0 ? std::string(sb.buf, sb.len) : "-";
		sb_free(&sb);
		std::string v = lib(cc, in, true), p = lib(cc, in, false);
		n++; ok_t += t == want; ok_v += v == want; ok_p += p == want;
		if (t != want || v != want || p != want)
			printf("%s %-22s want %-15s table %-15s valid %-15s possible %s\n", cc, in, want, t.c_str(), v.c_str(), p.c_str());
	}
	printf("cases %d: table %d, libphonenumber valid %d, possible %d\n", n, ok_t, ok_v, ok_p);
}
