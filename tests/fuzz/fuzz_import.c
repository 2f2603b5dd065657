/*
 * fuzz_import.c - libFuzzer target for the whole import path: any bytes
 * as an input file imported with import_run() into a fresh store, then
 * the store opened as a reader and every column of every records
 * segment read back.
 *
 * An input whose first non-blank byte is '{' is imported as JSON Lines,
 * any other as CSV.  The store lives under $TMPDIR (default
 * /dev/shm, where fsync costs nothing).  Checked beyond "no crash and
 * no sanitizer report": an import that succeeds leaves a store that
 * verifies and holds exactly the rows it counted; one that fails leaves
 * no rows.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "import.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *workdir;

/* Remove every file of dir (the store holds no subdirectories). */
static void
empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

static void
cleanup(void)
{
	char path[4200];

	snprintf(path, sizeof path, "%s/store", workdir);
	empty_dir(path);
	rmdir(path);
	empty_dir(workdir);
	rmdir(workdir);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[4096];

	if (!tmp) {
		struct stat sb;

		tmp = stat("/dev/shm", &sb) == 0 ? "/dev/shm" : "/tmp";
	}
	snprintf(tmpl, sizeof tmpl, "%s/cdp-fuzz-import.XXXXXX", tmp);
	if (!mkdtemp(tmpl)) {
		perror(tmpl);
		abort();
	}
	workdir = xstrdup(tmpl);
	atexit(cleanup);
}

/* Rows of the records table as the manifest and segments tell; -1 if
 * the store cannot be read. */
static long
read_back(const char *storedir)
{
	struct store_opts so = { 0, 0, 0 };
	struct store *st = store_open(storedir, &so, NULL);
	struct segment **segs;
	size_t n;
	long rows = 0;

	if (!st)
		return -1;
	if (store_segments(st, "records", &segs, &n) < 0) {
		store_close(st);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (segment_verify(segs[i]) < 0) {
			/* The importer wrote a segment its own reader rejects. */
			fprintf(stderr, "imported store does not verify: %s\n", cdp_err());
			FUZZ_ASSERT(0);
		}
		for (size_t c = 0; c < segs[i]->ncols; c++) {
			struct colvec v;
			struct strbuf sb = STRBUF_INIT;

			memset(&v, 0, sizeof v);
			FUZZ_ASSERT(segment_read(segs[i], (int)c, &v) == 0);
			FUZZ_ASSERT(v.n == segs[i]->nrows);
			for (size_t r = 0; r < v.n; r++) {
				if (!colvec_isnull(&v, r)) {
					sb_reset(&sb);
					colvec_format(&v, r, &sb);
				}
			}
			sb_free(&sb);
			colvec_free(&v);
		}
		rows += (long)segs[i]->nrows;
	}
	store_segments_free(segs, n);
	store_close(st);
	return rows;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_opts wo = { 1, 1, 0 };
	struct import_opts o;
	struct import_stats stats;
	char storedir[4200], inpath[4200], rejects[4200];
	struct store *st;
	struct input *in;
	int fd, jsonl = 0, r;
	long rows;
	size_t k = 0;

	while (k < size && (data[k] == ' ' || data[k] == '\t' || data[k] == '\n' || data[k] == '\r'))
		k++;
	jsonl = k < size && data[k] == '{';

	if (!workdir)
		setup();
	snprintf(storedir, sizeof storedir, "%s/store", workdir);
	snprintf(inpath, sizeof inpath, "%s/in.%s", workdir, jsonl ? "jsonl" : "csv");
	snprintf(rejects, sizeof rejects, "%s/rejects.csv", workdir);
	empty_dir(storedir);
	rmdir(storedir);
	unlink(rejects);
	fd = open(inpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
		perror(inpath);
		abort();
	}
	close(fd);

	memset(&o, 0, sizeof o);
	memset(&stats, 0, sizeof stats);
	o.source = xstrdup("fuzz");
	o.format = jsonl ? FORMAT_JSONL : FORMAT_CSV;
	o.default_country = xstrdup("DE");
	o.rejects_path = xstrdup(rejects);
	st = store_open(storedir, &wo, NULL);
	FUZZ_ASSERT(st != NULL);
	in = input_open(inpath);
	if (!in) {
		store_close(st);
		import_opts_free(&o);
		return 0;
	}
	r = import_run(st, in, &o, &stats);
	input_close(in);
	store_close(st);
	import_opts_free(&o);
	free(stats.rejects_file);
	free(stats.roles);

	rows = read_back(storedir);
	FUZZ_ASSERT(rows >= 0);
	if (r == IMPORT_OK)
		FUZZ_ASSERT((uint64_t)rows == stats.rows);
	else
		FUZZ_ASSERT(rows == 0);
	unlink(inpath);
	return 0;
}
