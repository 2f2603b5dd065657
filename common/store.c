/*
 * store.c - manifest, writer lock and atomic commit.
 *
 * Crash safety is won at two lines: segment_write() fsyncs a segment
 * before any manifest can name it, and io_replace_file() renames the
 * new manifest over the old one (after fsync) as the single commit
 * point.  A writer killed before the rename leaves only files that no
 * manifest names; the next writer deletes them in cleanup().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fileio.h"
#include "store.h"

#define MANIFEST "MANIFEST"
#define LOCKFILE "LOCK"
#define MANIFEST_MAX (256u << 20)

const char *
store_default_dir(const char *dir)
{
	const char *env;

	if (dir && *dir)
		return dir;
	env = getenv("CDP_STORE");
	if (env && *env)
		return env;
	return "cdp.store";
}

char *
store_path(const struct store *st, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "%s/%s", st->dir, name);
	return sb_detach(&sb, NULL);
}

static void
mentry_free(struct mentry *e)
{
	for (size_t i = 0; i < e->nkv; i++) {
		free(e->keys[i]);
		free(e->vals[i]);
	}
	free(e->keys);
	free(e->vals);
	free(e->kind);
	free(e);
}

struct mentry *
store_add(struct store *st, const char *kind, uint64_t id)
{
	struct mentry *e = xcalloc(1, sizeof *e);

	e->kind = xstrdup(kind);
	e->id = id;
	if (st->ne == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->e = xreallocarray(st->e, st->cap, sizeof *st->e);
	}
	st->e[st->ne++] = e;
	return e;
}

static void
mentry_put(struct mentry *e, const char *key, char *val)
{
	for (size_t i = 0; i < e->nkv; i++) {
		if (strcmp(e->keys[i], key) == 0) {
			free(e->vals[i]);
			e->vals[i] = val;
			return;
		}
	}
	e->keys = xreallocarray(e->keys, e->nkv + 1, sizeof *e->keys);
	e->vals = xreallocarray(e->vals, e->nkv + 1, sizeof *e->vals);
	e->keys[e->nkv] = xstrdup(key);
	e->vals[e->nkv] = val;
	e->nkv++;
}

void
mentry_set(struct mentry *e, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *val;

	va_start(ap, fmt);
	if (vasprintf(&val, fmt, ap) < 0)
		cdp_die(CDP_EXIT_FAIL, "out of memory");
	va_end(ap);
	mentry_put(e, key, val);
}

const char *
mentry_get(const struct mentry *e, const char *key)
{
	for (size_t i = 0; i < e->nkv; i++)
		if (strcmp(e->keys[i], key) == 0)
			return e->vals[i];
	return NULL;
}

uint64_t
mentry_getu(const struct mentry *e, const char *key)
{
	const char *v = mentry_get(e, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

struct mentry *
store_find(const struct store *st, const char *kind, uint64_t id)
{
	for (size_t i = 0; i < st->ne; i++)
		if (st->e[i]->id == id && strcmp(st->e[i]->kind, kind) == 0)
			return st->e[i];
	return NULL;
}

void
store_remove(struct store *st, struct mentry *e)
{
	for (size_t i = 0; i < st->ne; i++) {
		if (st->e[i] != e)
			continue;
		if (strcmp(e->kind, "segment") == 0 && mentry_get(e, "file")) {
			st->doomed = xreallocarray(st->doomed, st->ndoomed + 1, sizeof *st->doomed);
			st->doomed[st->ndoomed++] = xstrdup(mentry_get(e, "file"));
		}
		memmove(st->e + i, st->e + i + 1, (st->ne - i - 1) * sizeof *st->e);
		st->ne--;
		mentry_free(e);
		return;
	}
}

uint64_t
store_new_id(struct store *st)
{
	return st->next_id++;
}

char *
store_segment_name(struct store *st, uint64_t *id)
{
	struct strbuf sb = STRBUF_INIT;

	*id = store_new_id(st);
	sb_addf(&sb, "seg-%08llu.cdp", (unsigned long long)*id);
	return sb_detach(&sb, NULL);
}

/* Values are percent-encoded so any byte survives a line-based file. */
static void
put_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == '%' || c == '=' || c >= 0x7f)
			sb_addf(sb, "%%%02X", c);
		else
			sb_addc(sb, c);
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *
unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static void
manifest_format(const struct store *st, struct strbuf *sb)
{
	uint32_t crc;

	sb_addf(sb, "cdp-store %d\n", STORE_FORMAT);
	sb_addf(sb, "generation %llu\n", (unsigned long long)st->generation);
	sb_addf(sb, "next-id %llu\n", (unsigned long long)st->next_id);
	for (size_t i = 0; i < st->ne; i++) {
		const struct mentry *e = st->e[i];

		sb_addf(sb, "%s %llu", e->kind, (unsigned long long)e->id);
		for (size_t k = 0; k < e->nkv; k++) {
			sb_addc(sb, ' ');
			sb_adds(sb, e->keys[k]);
			sb_addc(sb, '=');
			put_escaped(sb, e->vals[k]);
		}
		sb_addc(sb, '\n');
	}
	crc = (uint32_t)crc32(0, (Bytef *)sb->buf, (uInt)sb->len);
	sb_addf(sb, "crc32 %08x\n", crc);
}

static void
entries_free(struct store *st)
{
	for (size_t i = 0; i < st->ne; i++)
		mentry_free(st->e[i]);
	free(st->e);
	st->e = NULL;
	st->ne = st->cap = 0;
}

int
store_names_file(const struct store *st, const char *name)
{
	for (size_t i = 0; i < st->ne; i++) {
		const char *f = mentry_get(st->e[i], "file");

		if (f && strcmp(f, name) == 0)
			return 1;
	}
	return 0;
}

int
store_file_name_ok(const char *name)
{
	size_t n = strlen(name), d = 0;

	if (n < 9 || n > 32 || strncmp(name, "seg-", 4) != 0 || strcmp(name + n - 4, ".cdp") != 0)
		return 0;
	for (const char *p = name + 4; p < name + n - 4; p++, d++)
		if (*p < '0' || *p > '9')
			return 0;
	return d > 0;
}

/*
 * Every file a manifest names is one of the store's own segment files,
 * by name: a manifest naming "../victim" (even with a good checksum)
 * must never make a writer wipe or unlink a file outside the store.
 */
static int
manifest_check_files(const struct store *st, const char *path)
{
	for (size_t i = 0; i < st->ne; i++) {
		const char *f = mentry_get(st->e[i], "file");

		if (f && !store_file_name_ok(f))
			return cdp_setdamage("%s: %s %llu names '%s', not a segment file of the store",
			    path, st->e[i]->kind, (unsigned long long)st->e[i]->id, f);
	}
	return 0;
}

/* Parse MANIFEST text into st.  -1 with cdp_err() naming the problem. */
static int
manifest_parse(struct store *st, const char *path, char *buf, size_t len)
{
	char *line = buf, *end = buf + len, *crcline;
	unsigned long lineno = 0;
	uint32_t want;

	if (len == 0 || buf[len - 1] != '\n')
		return cdp_setdamage("%s: truncated manifest", path);
	/* The last line is the checksum of everything before it. */
	crcline = buf + len - 1;
	while (crcline > buf && crcline[-1] != '\n')
		crcline--;
	if (strncmp(crcline, "crc32 ", 6) != 0)
		return cdp_setdamage("%s: truncated manifest (no checksum line)", path);
	want = (uint32_t)strtoul(crcline + 6, NULL, 16);
	if ((uint32_t)crc32(0, (Bytef *)buf, (uInt)(crcline - buf)) != want)
		return cdp_setdamage("%s: manifest checksum mismatch", path);
	end = crcline;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *p, *tok;
		struct mentry *e;

		*nl = '\0';
		lineno++;
		if (lineno == 1) {
			if (strncmp(line, "cdp-store ", 10) != 0)
				return cdp_setdamage("%s: not a cdp manifest", path);
			if (atoi(line + 10) != STORE_FORMAT)
				return cdp_seterr("%s: unsupported store format %s", path, line + 10);
		} else if (strncmp(line, "generation ", 11) == 0) {
			st->generation = strtoull(line + 11, NULL, 10);
		} else if (strncmp(line, "next-id ", 8) == 0) {
			st->next_id = strtoull(line + 8, NULL, 10);
		} else {
			p = line;
			tok = strsep(&p, " ");
			if (!p || !*tok)
				return cdp_setdamage("%s:%lu: malformed entry", path, lineno);
			e = store_add(st, tok, strtoull(strsep(&p, " "), NULL, 10));
			while (p && (tok = strsep(&p, " ")) != NULL) {
				char *eq = strchr(tok, '=');

				if (!eq)
					return cdp_setdamage("%s:%lu: malformed entry", path, lineno);
				*eq = '\0';
				mentry_put(e, tok, unescape(eq + 1, strlen(eq + 1)));
			}
		}
		line = nl + 1;
	}
	return manifest_check_files(st, path);
}

static int
manifest_load(struct store *st)
{
	char *path = store_path(st, MANIFEST);
	struct strbuf sb = STRBUF_INIT;
	struct stat stt;
	int r;

	entries_free(st);
	st->generation = 0;
	st->next_id = 1;
	if (stat(path, &stt) == 0 && stt.st_size > MANIFEST_MAX) {
		r = cdp_setdamage("%s: manifest too large", path);
	} else if (io_read_file(path, &sb) < 0) {
		r = cdp_seterr("%s: %s", path, strerror(errno));
	} else {
		r = manifest_parse(st, path, sb.buf, sb.len);
	}
	sb_free(&sb);
	free(path);
	return r;
}

static int
lock_store(struct store *st, int wait)
{
	char *path = store_path(st, LOCKFILE);
	double deadline = now_seconds() + wait;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return cdp_seterr("%s: cannot open lock: %s", st->dir, strerror(errno));
	/* flock dies with the process, so a kill never leaves a stale lock. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (cdp_interrupted) {
			close(fd);
			return cdp_seterr("%s: interrupted while waiting for the store lock", st->dir);
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return cdp_seterr("%s: cannot lock: %s", st->dir, strerror(errno));
		}
		if (wait >= 0 && now_seconds() >= deadline) {
			close(fd);
			errno = EWOULDBLOCK;
			return cdp_seterr("%s: store is locked by another writer; try again later", st->dir);
		}
		nanosleep(&ts, NULL);
	}
	st->lockfd = fd;
	return 0;
}

static int
is_live_file(const struct store *st, const char *name)
{
	for (size_t i = 0; i < st->ne; i++) {
		const char *f = mentry_get(st->e[i], "file");

		if (f && strcmp(f, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Overwrite a file with zeros before it is unlinked: a segment no
 * manifest names may be one cdp-forget erased, and its bytes must not
 * stay on disk.  Best effort: on copy-on-write file systems the old
 * blocks may survive (see cdp-forget(1)).
 */
static void
wipe_file(const char *path)
{
	static const char zeros[65536];
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat sb;

	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		for (off_t off = 0; off < sb.st_size;) {
			size_t n = sb.st_size - off > (off_t)sizeof zeros ? sizeof zeros : (size_t)(sb.st_size - off);
			ssize_t w = pwrite(fd, zeros, n, off);

			if (w <= 0)
				break;
			off += w;
		}
		fsync(fd);
	}
	close(fd);
}

#define READER_PREFIX "reader-"

/*
 * Readers of generations older than st's that still hold their lock.
 * The lock files of those that are gone are removed on the way: taken
 * exclusively first, so a reader that opened one just now finds, when
 * it gets its shared lock, a manifest of a newer generation and tries
 * again with that.
 */
static int
old_readers(struct store *st)
{
	DIR *d = opendir(st->dir);
	struct dirent *de;
	int busy = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *num = n + strlen(READER_PREFIX);
		char *p, *end;
		uint64_t g;
		int fd;

		if (strncmp(n, READER_PREFIX, strlen(READER_PREFIX)) != 0)
			continue;
		g = strtoull(num, &end, 10);
		if (end == num || *end || g >= st->generation)
			continue;
		p = store_path(st, n);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
			busy++;
		else
			unlink(p);
		if (fd >= 0)
			close(fd);
		free(p);
	}
	closedir(d);
	return busy;
}

int
store_wait_readers(struct store *st, int seconds)
{
	double deadline = now_seconds() + seconds;

	while (old_readers(st) > 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (cdp_interrupted)
			return cdp_seterr("%s: interrupted while waiting for readers", st->dir);
		if (seconds >= 0 && now_seconds() >= deadline)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/*
 * Remove what a killed writer left (temporaries) and the segment files
 * no manifest names: a killed writer's, or superseded ones kept for
 * readers of older generations -- these only once no such reader is
 * left.  Their bytes are wiped first: one may hold what cdp-forget erased.
 */
static void
cleanup(struct store *st)
{
	int readers = old_readers(st);
	DIR *d = opendir(st->dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (strncmp(n, "tmp-", 4) == 0 ||
		    (!readers && strncmp(n, "seg-", 4) == 0 && !is_live_file(st, n))) {
			char *p = store_path(st, n);

			wipe_file(p);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
}

/* The generation of the manifest in place now (0 if unreadable). */
static uint64_t
manifest_generation_now(const struct store *st)
{
	char *path = store_path(st, MANIFEST), buf[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	const char *g;

	free(path);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	g = strstr(buf, "\ngeneration ");
	return g ? strtoull(g + 12, NULL, 10) : 0;
}

/*
 * Register as a reader of the generation just loaded: a shared lock on
 * reader-G, then a check that G is still the manifest's generation (a
 * writer that committed before the lock may have removed G's dropped
 * files already; we then load the new manifest and try again).  A store
 * we cannot create files in (read-only) has no writers to fear.
 */
static int
reader_register(struct store *st)
{
	for (int attempt = 0;; attempt++) {
		struct strbuf sb = STRBUF_INIT;
		char *p;
		int fd;

		sb_addf(&sb, "%s/" READER_PREFIX "%llu", st->dir, (unsigned long long)st->generation);
		p = sb_detach(&sb, NULL);
		fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		free(p);
		if (fd < 0)
			return errno == EROFS || errno == EACCES ? 0 :
			    cdp_seterr("%s: cannot register as a reader: %s", st->dir, strerror(errno));
		if (flock(fd, LOCK_SH) == 0 && manifest_generation_now(st) == st->generation) {
			st->readfd = fd;
			return 0;
		}
		close(fd);
		if (cdp_interrupted)
			return cdp_seterr("%s: interrupted", st->dir);
		if (attempt >= 10) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (manifest_load(st) < 0)
			return -1;
	}
}

static int
has_segment_files(const struct store *st)
{
	DIR *d = opendir(st->dir);
	struct dirent *de;
	int found = 0;

	while (d && !found && (de = readdir(d)) != NULL)
		found = strncmp(de->d_name, "seg-", 4) == 0;
	if (d)
		closedir(d);
	return found;
}

/*
 * A store another user can write to is refused: that user could plant
 * segment files, a manifest or symbolic links that make our writers
 * overwrite or wipe files elsewhere, and read what we erase.
 */
static int
dir_unsafe(const char *dir, const struct stat *sb)
{
	if (sb->st_uid != geteuid())
		return cdp_seterr("%s: store directory belongs to another user (uid %u); refusing to use it",
		    dir, (unsigned)sb->st_uid);
	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return cdp_seterr("%s: store directory is writable by others (mode %03o); refusing to "
		    "use it (chmod 700 it)", dir, (unsigned)(sb->st_mode & 0777));
	return 0;
}

struct store *
store_open(const char *dir, const struct store_opts *o, int *locked)
{
	struct store *st = xcalloc(1, sizeof *st);
	char *mpath;
	struct stat stt;

	if (locked)
		*locked = 0;
	st->dir = xstrdup(dir);
	st->lockfd = -1;
	st->readfd = -1;
	st->next_id = 1;
	if (stat(dir, &stt) < 0) {
		if (errno != ENOENT || !o->create) {
			cdp_seterr("%s: %s", dir, errno == ENOENT ? "no such store" : strerror(errno));
			goto fail;
		}
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			cdp_seterr("%s: cannot create store: %s", dir, strerror(errno));
			goto fail;
		}
	} else if (!S_ISDIR(stt.st_mode)) {
		cdp_seterr("%s: not a store directory", dir);
		goto fail;
	} else if (dir_unsafe(dir, &stt) < 0) {
		goto fail;
	}
	if (o->write && lock_store(st, o->wait) < 0) {
		if (locked && errno == EWOULDBLOCK)
			*locked = 1;
		goto fail;
	}
	mpath = store_path(st, MANIFEST);
	if (access(mpath, F_OK) < 0 && errno == ENOENT) {
		free(mpath);
		/*
		 * A new store: its first manifest makes it one.  But segment
		 * files without a manifest mean a lost MANIFEST, not a new
		 * store: creating one would make cleanup() delete them all.
		 */
		if (has_segment_files(st)) {
			cdp_setdamage("%s: segment files but no MANIFEST: the store is damaged; "
			    "restore MANIFEST from a backup or move the files away", dir);
			goto fail;
		}
		if (!o->create) {
			cdp_seterr("%s: no such store (no MANIFEST)", dir);
			goto fail;
		}
		if (store_commit(st) < 0)
			goto fail;
	} else {
		free(mpath);
		if (manifest_load(st) < 0)
			goto fail;
	}
	if (o->write)
		cleanup(st);
	else if (reader_register(st) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

int
store_commit(struct store *st)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	st->generation++;
	manifest_format(st, &sb);
	r = io_replace_file(st->dir, MANIFEST, sb.buf, sb.len);
	sb_free(&sb);
	if (r == -2)
		return -2;	/* published, durability unknown: keep every file */
	if (r < 0) {
		st->generation--;
		return -1;
	}
	/* Files of removed segments go only once no manifest names them,
	 * and no reader of an older generation may still open them; else
	 * they stay for a later writer's cleanup(). */
	int readers = old_readers(st);

	for (size_t i = 0; i < st->ndoomed; i++) {
		char *p = store_path(st, st->doomed[i]);

		if (!readers)
			unlink(p);
		free(p);
		free(st->doomed[i]);
	}
	st->ndoomed = 0;
	return 0;
}

void
store_segments_free(struct segment **segs, size_t n)
{
	for (size_t i = 0; segs && i < n; i++)
		segment_close(segs[i]);
	free(segs);
}

int
store_segments(struct store *st, const char *table, struct segment ***segsp, size_t *np)
{
	*segsp = NULL;
	*np = 0;
	for (int attempt = 0;; attempt++) {
		struct segment **segs = NULL;
		size_t n = 0;
		int vanished = 0;

		for (size_t i = 0; i < st->ne; i++) {
			const struct mentry *e = st->e[i];
			const char *t = mentry_get(e, "table"), *f = mentry_get(e, "file");
			struct segment *s;
			char *p;

			if (strcmp(e->kind, "segment") != 0 || !t || !f || strcmp(t, table) != 0)
				continue;
			p = store_path(st, f);
			s = segment_open(p);
			free(p);
			if (!s) {
				/* a reader that could not register: a writer may
				 * have removed the file since our manifest */
				vanished = errno == ENOENT && st->lockfd < 0 && st->readfd < 0 && attempt < 5;
				store_segments_free(segs, n);
				if (!vanished)
					return -1;
				break;
			}
			s->id = e->id;
			segs = xreallocarray(segs, n + 1, sizeof *segs);
			segs[n++] = s;
		}
		if (!vanished) {
			*segsp = segs;
			*np = n;
			return 0;
		}
		/* A writer replaced the manifest under us: read the new one. */
		if (manifest_load(st) < 0)
			return -1;
	}
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	entries_free(st);
	for (size_t i = 0; i < st->ndoomed; i++)
		free(st->doomed[i]);
	free(st->doomed);
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->readfd >= 0)
		close(st->readfd);
	free(st->dir);
	free(st);
}

char **
segments_columns(struct segment **segs, size_t n, size_t *ncols)
{
	struct strmap seen = { 0 };
	char **names = NULL;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < segs[i]->ncols; c++) {
			const char *name = segs[i]->cols[c].name;

			if (strmap_get(&seen, name, strlen(name)) >= 0)
				continue;
			strmap_put(&seen, name, strlen(name), (long)count);
			names = xreallocarray(names, count + 1, sizeof *names);
			names[count++] = xstrdup(name);
		}
	}
	strmap_free(&seen);
	*ncols = count;
	return names;
}

void
columns_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
