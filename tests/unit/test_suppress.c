/*
 * test_suppress.c - the store secret, HMAC and the suppression list.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "forget.h"
#include "store.h"
#include "suppress.h"
#include "t.h"

static char dir[256];

static struct store *
open_store(void)
{
	struct store_opts so = { 1, 1, 0 };

	return store_open(dir, &so, NULL);
}

static void
test_hmac(void)
{
	/* RFC 4231 test case 2 uses a short key; ours is always 32 bytes,
	 * so check against a value computed independently (openssl). */
	uint8_t key[SUPPRESS_KEYLEN];
	char a[SUPPRESS_HEXLEN + 1], b[SUPPRESS_HEXLEN + 1];

	for (int i = 0; i < SUPPRESS_KEYLEN; i++)
		key[i] = (uint8_t)i;
	suppress_hmac(key, "anna@example.com", 16, a);
	T_STREQ(a, "b8fd89ed3ebe8c5094f8a418341f8431a98da60640ea54c5f22dabbb366b984f",
	    "hmac: known key and value give the reference digest");
	suppress_hmac(key, "anna@example.com", 16, b);
	T_STREQ(a, b, "hmac: same key and value, same digest");
	key[0] ^= 1;
	suppress_hmac(key, "anna@example.com", 16, b);
	T_CHECK(strcmp(a, b) != 0, "hmac: another key gives another digest");
	T_INTEQ(strlen(b), 64, "hmac: 64 hex digits");
}

static void
test_secret(void)
{
	struct store *st = open_store();
	uint8_t k1[SUPPRESS_KEYLEN], k2[SUPPRESS_KEYLEN];
	struct stat sb;
	char path[512];

	T_CHECK(st != NULL, "secret: store opens");
	T_INTEQ(suppress_secret(st, k1, 0), 0, "secret: absent and not created without create");
	T_INTEQ(suppress_secret(st, k1, 1), 1, "secret: created on first use");
	snprintf(path, sizeof path, "%s/secret", dir);
	T_CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size == 32,
	    "secret: 32 bytes, mode 0600");
	T_INTEQ(suppress_secret(st, k2, 1), 1, "secret: read back");
	T_CHECK(memcmp(k1, k2, sizeof k1) == 0, "secret: not replaced once made");
	store_close(st);
}

static void
test_list(void)
{
	struct store *st = open_store();
	struct suppress s;
	struct strbuf content = STRBUF_INIT;
	char path[512];

	T_INTEQ(suppress_load(st, &s), 0, "list: loads without a file");
	T_INTEQ(suppress_has(&s, "email", "anna@example.com", 16), 0, "list: empty list suppresses nobody");
	T_INTEQ(suppress_add(&s, "email", "anna@example.com", 16), 1, "list: add is new");
	T_INTEQ(suppress_add(&s, "email", "anna@example.com", 16), 0, "list: adding twice changes nothing");
	T_INTEQ(suppress_add(&s, "phone", "+4930123456", 11), 1, "list: add a phone");
	T_INTEQ(suppress_save(st, &s), 0, "list: saved");
	suppress_free(&s);

	snprintf(path, sizeof path, "%s/suppress", dir);
	io_read_file(path, &content);
	T_CHECK(content.buf && !strstr(content.buf, "anna") && !strstr(content.buf, "4930123456"),
	    "list: file holds no identifier in the clear");
	sb_free(&content);

	T_INTEQ(suppress_load(st, &s), 0, "list: loads back");
	T_INTEQ(suppress_has(&s, "email", "anna@example.com", 16), 1, "list: erased e-mail is suppressed");
	T_INTEQ(suppress_has(&s, "phone", "+4930123456", 11), 1, "list: erased phone is suppressed");
	T_INTEQ(suppress_has(&s, "customer_id", "anna@example.com", 16), 0,
	    "list: same value of another type is not suppressed");
	T_INTEQ(suppress_has(&s, "email", "bob@example.com", 15), 0, "list: someone else is not suppressed");
	T_INTEQ(suppress_remove(&s, "email", "anna@example.com", 16), 1, "list: lift a suppression");
	T_INTEQ(suppress_has(&s, "email", "anna@example.com", 16), 0, "list: lifted value passes");
	T_INTEQ(suppress_remove(&s, "email", "anna@example.com", 16), 0, "list: lifting twice changes nothing");
	T_INTEQ(suppress_save(st, &s), 0, "list: saved after lifting");
	suppress_free(&s);
	T_INTEQ(suppress_load(st, &s), 0, "list: loads after lifting");
	T_INTEQ(suppress_has(&s, "email", "anna@example.com", 16), 0, "list: lifting survives a reload");
	T_INTEQ(suppress_has(&s, "phone", "+4930123456", 11), 1, "list: other entries survive lifting");
	suppress_free(&s);

	/* A damaged list is an error, not an empty list that lets people back. */
	T_INTEQ(io_replace_file(dir, "suppress", "email nothex\n", 13), 0, "list: write damaged file");
	T_INTEQ(suppress_load(st, &s), -1, "list: malformed line is an error");
	store_close(st);
}

static void
test_wipe(void)
{
	char path[512];
	int fd;
	struct strbuf sb = STRBUF_INIT;
	size_t zeros = 0;

	snprintf(path, sizeof path, "%s/victim", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	T_CHECK(fd >= 0 && write(fd, "anna@example.com secret bytes", 29) == 29, "wipe: file written");
	T_INTEQ(forget_wipe_fd(fd, path), 0, "wipe: succeeds");
	close(fd);
	io_read_file(path, &sb);
	for (size_t i = 0; i < sb.len; i++)
		zeros += sb.buf[i] == 0;
	T_CHECK(sb.len == 29 && zeros == 29, "wipe: every byte is zero, length kept");
	sb_free(&sb);
	unlink(path);
}

int
main(void)
{
	snprintf(dir, sizeof dir, "%s/cdp-test-suppress.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	test_hmac();
	test_secret();
	test_list();
	test_wipe();
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 2;
	}
	return t_done();
}
