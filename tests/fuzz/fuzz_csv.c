/*
 * fuzz_csv.c - libFuzzer target for the CSV import path: any bytes as
 * an input file through input_open() (so gzip too), csvin_new() and
 * csvin_next() to the end.
 *
 * Plain CSV is read with the defaults (comma, header).  An input whose
 * first byte is below 0x10 uses that byte to pick the options
 * (delimiter, header or --columns, small or default limits) and the
 * rest as the file, so seeds stay plain CSV files while the fuzzer
 * still reaches every mode.  Checked beyond "no crash and
 * no sanitizer report": every value is NUL-terminated at its length,
 * line numbers never go back, and the reader ends (every call consumes
 * input, so there are never more records than bytes).
 */
#include <string.h>

#include "csvin.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char delims[] = { ',', ';', '\t', '|' };
	static const char *const names[] = { "email", "phone", "amount" };
	struct csvin_opts o = { .delim = ',', .header = 1, .max_field = CSVIN_MAX_FIELD,
	    .max_record = CSVIN_MAX_RECORD };
	unsigned char mode = 0;
	char path[64];
	struct input *in;
	struct csvin *r;
	int fd;

	if (size && data[0] < 0x10) {
		mode = data[0];
		data++;
		size--;
	}
	o.delim = delims[mode & 3];
	if (mode & 4) {
		o.header = 0;
		o.columns = names;
		o.ncolumns = 3;
	}
	if (mode & 8) {
		/* Small limits, so the over-limit paths are reached too. */
		o.max_field = 64;
		o.max_record = 256;
	}
	fd = fuzz_memfile(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	in = input_open(path);
	if (!in) {
		close(fd);
		return 0;
	}
	r = csvin_new(in, &o);
	if (r) {
		struct record rec;
		const char *reason;
		unsigned long last = 0;
		size_t calls = 0, ncols;
		const char *const *cols = csvin_columns(r, &ncols);
		int st;

		for (size_t i = 0; i < ncols; i++)
			FUZZ_ASSERT(cols[i] != NULL);
		while ((st = csvin_next(r, &rec, &reason)) != READ_EOF && st != READ_FATAL) {
			FUZZ_ASSERT(++calls <= size + 1);
			FUZZ_ASSERT(rec.line >= last);
			last = rec.line;
			if (st == READ_REJECT) {
				FUZZ_ASSERT(reason != NULL && reason[0] != '\0');
				continue;
			}
			FUZZ_ASSERT(st == READ_OK);
			for (size_t i = 0; i < rec.nfields; i++) {
				FUZZ_ASSERT(rec.fields[i].name != NULL);
				FUZZ_ASSERT(rec.fields[i].val[rec.fields[i].len] == '\0');
			}
		}
		csvin_free(r);
	}
	input_close(in);
	close(fd);
	return 0;
}
