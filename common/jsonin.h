/*
 * jsonin.h - JSON Lines reader built on yajl's streaming parser.
 *
 * One JSON object per line.  Nested objects are flattened to dotted
 * names ("properties.sku", "context.campaign.name"); arrays are kept as
 * compact JSON text (FK_JSON).  A line that is not valid JSON, or not an
 * object, is READ_REJECT with a short reason; reading goes on.
 */
#ifndef CDP_JSONIN_H
#define CDP_JSONIN_H

#include "input.h"
#include "record.h"

struct jsonin_opts {
	size_t max_record;	/* longest line accepted (bytes) */
	int max_depth;		/* deepest nesting accepted */
};

#define JSONIN_MAX_RECORD (4u << 20)
#define JSONIN_MAX_DEPTH 64

struct jsonin;

struct jsonin *jsonin_new(struct input *in, const struct jsonin_opts *opts);
int jsonin_next(struct jsonin *r, struct record *rec, const char **reason);
void jsonin_free(struct jsonin *r);
/*
 * Before the first read: the input is a piece of a file, after `line`
 * lines; past the file's start (no_bom) a byte order mark is data.
 */
void jsonin_start_at(struct jsonin *r, unsigned long line, int no_bom);
/* Lines read so far, counting those before the start. */
unsigned long jsonin_line(const struct jsonin *r);

#endif
