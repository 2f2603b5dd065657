/*
 * phone.cc - the C face of libphonenumber (see phone.h).  No exception
 * leaves it; the library's singleton lives for the whole process.
 */
#include <cstring>
#include <string>

#include <phonenumbers/phonenumberutil.h>

#include "phone.h"

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" int
phone_lib_e164(const char *digits, size_t n, const char *region, char *out, size_t cap)
{
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		PhoneNumber num;
		std::string res;

		if (u->Parse(std::string(digits, n), region, &num) != PhoneNumberUtil::NO_PARSING_ERROR ||
		    !u->IsValidNumberForRegion(num, region))
			return -1;
		u->Format(num, PhoneNumberUtil::E164, &res);
		if (res.size() + 1 > cap)
			return -1;
		std::memcpy(out, res.c_str(), res.size() + 1);
		return 0;
	} catch (...) {
		return -1;
	}
}

extern "C" int
phone_lib_region(const char *region)
{
	try {
		return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(region) != 0;
	} catch (...) {
		return 0;
	}
}
