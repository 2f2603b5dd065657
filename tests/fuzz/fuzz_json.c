/*
 * fuzz_json.c - libFuzzer target for the JSON Lines import path: any
 * bytes as an input file through input_open(), jsonin_new() and
 * jsonin_next() to the end.
 *
 * An input whose first byte is below 0x10 uses that byte to pick small
 * limits (line length, nesting depth) and the rest as the file; other
 * inputs are read with the defaults.  Checked beyond "no crash and no sanitizer report": names and
 * values are NUL-terminated, kinds are known, line numbers never go
 * back, every reject has a reason, and the reader ends.
 */
#include <string.h>

#include "fuzz.h"
#include "jsonin.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonin_opts o = { JSONIN_MAX_RECORD, JSONIN_MAX_DEPTH };
	char path[64];
	struct input *in;
	struct jsonin *r;
	int fd;

	if (size && data[0] < 0x10) {
		if (data[0] & 1) {
			o.max_record = 512;
			o.max_depth = 4;
		}
		data++;
		size--;
	}
	fd = fuzz_memfile(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	in = input_open(path);
	if (!in) {
		close(fd);
		return 0;
	}
	r = jsonin_new(in, &o);
	if (r) {
		struct record rec;
		const char *reason;
		unsigned long last = 0;
		size_t calls = 0;
		int st;

		while ((st = jsonin_next(r, &rec, &reason)) != READ_EOF && st != READ_FATAL) {
			FUZZ_ASSERT(++calls <= size + 1);
			FUZZ_ASSERT(rec.line >= last);
			last = rec.line;
			if (st == READ_REJECT) {
				FUZZ_ASSERT(reason != NULL && reason[0] != '\0');
				continue;
			}
			FUZZ_ASSERT(st == READ_OK);
			for (size_t i = 0; i < rec.nfields; i++) {
				const struct field *f = &rec.fields[i];

				FUZZ_ASSERT(f->name != NULL);
				FUZZ_ASSERT(f->val[f->len] == '\0');
				FUZZ_ASSERT(f->kind >= FK_TEXT && f->kind <= FK_JSON);
			}
		}
		jsonin_free(r);
	}
	input_close(in);
	close(fd);
	return 0;
}
