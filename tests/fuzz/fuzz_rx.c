/*
 * fuzz_rx.c - libFuzzer target for the regular expression engine: the
 * bytes up to the first NUL are a pattern, the rest a subject.
 *
 * Compiling must succeed or fail with a message; a compiled pattern
 * must match any subject without crashing, and a pattern must match
 * itself when it is a plain literal (no special characters).
 */
#include <string.h>

#include "fuzz.h"
#include "rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
literal(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strchr("\\.[]()|*+?{}^$", p[i]))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nul = memchr(p, '\0', size);
	size_t plen = nul ? (size_t)(nul - p) : size;
	const char *s = nul ? nul + 1 : "";
	size_t slen = nul ? size - plen - 1 : 0;
	char err[200] = "";
	struct rx *re = rx_compile(p, plen, err, sizeof err);

	if (!re) {
		FUZZ_ASSERT(err[0] != '\0');
		return 0;
	}
	rx_match(re, s, slen);
	if (plen > 0 && literal(p, plen))
		FUZZ_ASSERT(rx_match(re, p, plen) == 1);
	rx_free(re);
	return 0;
}
