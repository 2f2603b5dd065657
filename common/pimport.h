/*
 * pimport.h - the records of one input parsed on several threads.
 *
 * pimport_next() hands out exactly what csvin_next() or jsonin_next()
 * would have, in the same order, with the same line numbers, reasons
 * and raw bytes: only the work is spread over threads.
 */
#ifndef CDP_PIMPORT_H
#define CDP_PIMPORT_H

#include "csvin.h"
#include "input.h"
#include "record.h"

struct pimport;

/*
 * Parse the rest of in with `threads` parsing threads (and one more
 * reading).  csv: a reader that has read the header (NULL for JSON
 * Lines, where nothing of in may have been read but a peeked byte); it
 * must outlive the pimport.  NULL where the input cannot be cut into
 * pieces (a CSV converted from another encoding, or whose lines end
 * with a lone '\r'): read it with csv itself then.
 */
struct pimport *pimport_new(struct input *in, struct csvin *csv, int threads);
/* As csvin_next() and jsonin_next(); pointers stay valid until the next call. */
int pimport_next(struct pimport *p, struct record *rec, const char **reason);
void pimport_free(struct pimport *p);

/* Threads to parse with: CDP_THREADS, else the processors online. */
int pimport_default_threads(void);

#endif
