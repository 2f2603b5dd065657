/*
 * suppress.h - the suppression list: people who were erased and must
 * not come back with the next import.
 *
 * The list holds no personal data.  Each entry is an identifier type
 * and HMAC-SHA256(secret, value) of the normalized value, where the
 * secret is 32 random bytes made once per store (STORE/secret, mode
 * 0600) and never exported: without it the hashes cannot be tested
 * against guessed addresses, and hashes from two stores never match.
 *
 * Files (see cdp-forget(1)):
 *   STORE/secret    32 raw bytes
 *   STORE/suppress  "# ..." comment lines, then one "TYPE HEX" per line,
 *                   replaced as a whole with io_replace_file()
 * A store without a secret has an empty list.
 */
#ifndef CDP_SUPPRESS_H
#define CDP_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

#define SUPPRESS_KEYLEN 32
#define SUPPRESS_HEXLEN 64

struct suppress {
	uint8_t key[SUPPRESS_KEYLEN];
	int has_key;
	struct strmap set;	/* "TYPE HEX" -> index into lines */
	char **lines;		/* "TYPE HEX", in the order added */
	unsigned char *removed;	/* per line: lifted since loading */
	size_t n, cap;
	size_t live;		/* lines not removed */
};

/*
 * hex = HMAC-SHA256(key, value) as 64 lower-case hex digits and a NUL.
 * The type is not hashed: it is kept beside the hash in the list.
 */
void suppress_hmac(const uint8_t key[SUPPRESS_KEYLEN], const char *value, size_t len,
    char hex[SUPPRESS_HEXLEN + 1]);

/*
 * Read the store's secret into key.  When the store has none and
 * create is set, make one (getrandom) and write it durably; the caller
 * must hold the writer lock.  Returns 1 if read or made, 0 if absent
 * (create unset), -1 with cdp_err() on failure.
 */
int suppress_secret(struct store *st, uint8_t key[SUPPRESS_KEYLEN], int create);

/* Load the secret and the list; an empty list if there is no file. */
int suppress_load(struct store *st, struct suppress *s);
/* 1 if the normalized value of this type is suppressed. */
int suppress_has(const struct suppress *s, const char *type, const char *value, size_t len);
/* Add or remove one value (needs s->has_key); 1 if the list changed. */
int suppress_add(struct suppress *s, const char *type, const char *value, size_t len);
int suppress_remove(struct suppress *s, const char *type, const char *value, size_t len);
/* Write the list atomically.  -1 (or -2, see io_replace_file) with cdp_err(). */
int suppress_save(struct store *st, const struct suppress *s);
void suppress_free(struct suppress *s);

#endif
