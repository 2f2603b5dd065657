/*
 * fuzz_infer.c - libFuzzer target for infer.c, which reads every value
 * of every imported file: the input, split at newlines, is one column's
 * values.  Each goes through the apostrophe, boolean, amount (both
 * decimal styles) and country readers, then into a struct tinfer; the
 * type decided must then read every value (tinfer_value), as the
 * importer relies on.  The first byte picks the options.
 */
#include <string.h>

#include "column.h"
#include "fuzz.h"
#include "infer.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_value(struct tinfer *t, const char *s, size_t len)
{
	int64_t x;
	uint32_t cur;
	int flags, b;
	const char *p = s, *cc;
	size_t n = len;

	clean_apostrophe(&p, &n);
	FUZZ_ASSERT(p >= s && n <= len);
	b = parse_bool(p, n, 1);
	FUZZ_ASSERT(b >= -1 && b <= 1);
	parse_amount(p, n, DEC_DOT, &x, &cur, &flags);
	parse_amount(p, n, DEC_COMMA, &x, &cur, &flags);
	cc = country_iso2(p, n);
	FUZZ_ASSERT(!cc || strlen(cc) == 2);
	if (n)
		tinfer_add(t, p, n, FK_TEXT);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tinfer t;
	const char *s, *e, *nl;
	char note[256];
	int type, tfmt;

	if (size < 1 || size > 4096)
		return 0;
	tinfer_init(&t, (data[0] & 1) ? "is_flag" : "value", data[0] >> 1 & 3, (data[0] >> 3 & 3) - 1);
	t.full = data[0] >> 5 & 1;
	s = (const char *)data + 1;
	e = (const char *)data + size;
	for (const char *p = s; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		one_value(&t, p, (size_t)(nl - p));
	}
	type = tinfer_type(&t, &tfmt);
	tinfer_note(&t, note, sizeof note);
	for (const char *p = s; p < e && type != CT_STR; p = nl + 1) {
		const char *v = p;
		size_t n;
		int64_t x;

		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		n = (size_t)(nl - p);
		clean_apostrophe(&v, &n);
		if (n)
			FUZZ_ASSERT(tinfer_value(&t, type, v, n, &x) == 0);
	}
	return 0;
}
