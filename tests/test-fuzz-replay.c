/*
 * test-fuzz-replay.c -- replay the fuzz corpora without libFuzzer
 * (after sqlite/test/fuzzcheck.c), so every `make check` -- and the
 * ASan/UBSan build in CI -- runs the reader on the seed corpus
 * (tests/fuzz/corpus-gguf), on the minimized corpus a fuzzing run grew
 * from it (tests/fuzz/found-gguf: libFuzzer -merge=1 output, one file
 * per new coverage feature), on the inputs that once crashed or
 * misbehaved (tests/fuzz/regress-gguf), plus a fixed set of
 * deterministic mutations of each seed (truncations, byte flips, and
 * length/count fields overwritten with extreme values).
 *
 * Each input must be accepted with readable structures or rejected with
 * a one-line message (gguf-touch.h).
 *
 * Likewise the JSON corpus (tests/fuzz/corpus-json, the inputs that once
 * failed in tests/fuzz/regress-json, and the export and parameter
 * fixtures in tests/fixtures) through json-touch.h, and each
 * input and its mutations also through what reads JSON in medchat: the
 * history import (into a scratch database), the stored parameters and
 * the dropped ranges, which must answer without a crash and refuse in
 * one line.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisory.h"
#include "session.h"
#include "slash.h"
#include "store.h"
#include "testhelp.h"
#include "fuzz/gguf-touch.h"
#include "fuzz/json-touch.h"
#include "xmalloc.h"

#define MUTATIONS	200	/* per seed */

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;
static struct store *json_store;	/* the scratch database of imports */

typedef int	(*touch_fn)(const uint8_t *, size_t);

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Mutate a copy of b[0..n) in one of several ways; returns new size. */
static size_t
mutate(uint8_t *m, const uint8_t *b, size_t n)
{
	static const uint64_t	 vals[] = { 0, 1, 0x7fffffffffffffffULL,
				    0x8000000000000000ULL, UINT64_MAX,
				    0xffffffff, 64, 65535 };
	size_t			 i, pos;
	uint64_t		 v;

	memcpy(m, b, n);
	switch (next() % 4) {
	case 0:		/* truncate */
		return n > 0 ? (size_t)(next() % n) : 0;
	case 1:		/* flip a few bytes */
		for (i = 0; i < 1 + next() % 4 && n > 0; i++)
			m[next() % n] ^= (uint8_t)(1 + next() % 255);
		return n;
	default:	/* an 8- or 4-byte field set to an extreme */
		if (n < 8)
			return n;
		pos = (size_t)(next() % (n - 7));
		v = vals[next() % (sizeof vals / sizeof vals[0])];
		for (i = 0; i < ((next() & 1) ? 8u : 4u); i++)
			m[pos + i] = (uint8_t)(v >> (8 * i));
		return n;
	}
}

/*
 * json_touch, then the JSON readers of medchat on the same bytes: 1, 0
 * or -1 as json_touch (-1 also when a reader misbehaves).
 */
static int
json_use(const uint8_t *b, size_t n)
{
	struct settings	 st;
	char		*t, *cause = NULL;
	int		 r;

	r = json_touch(b, n);
	if (json_store != NULL && store_import_json(json_store,
	    (const char *)b, n, NULL, NULL, &cause) != 0 &&
	    (cause == NULL || strchr(cause, '\n') != NULL))
		r = -1;
	free(cause);
	/* The parameters and ranges are C strings. */
	t = xmalloc(n + 1);
	memcpy(t, b, n);
	t[n] = '\0';
	settings_default(&st);
	if (session_params_read(&st, t) == 0 && (st.s.temp < 0 ||
	    st.s.temp > 5 || st.n_ctx < 0))
		r = -1;
	(void)session_dropped_count(t);
	(void)session_dropped_has(t, 5);
	free(t);
	return r;
}

/* Replay every file in dir; returns the number of files. */
static int
replay_dir(const char *dir, int mutations, touch_fn touch)
{
	struct dirent	**ents;
	char		  path[8192];
	uint8_t		 *b, *m;
	size_t		  n, mn;
	int		  k, j, i, r, files = 0, acc, bad;

	if ((k = scandir(dir, &ents, NULL, alphasort)) < 0)
		return -1;
	for (j = 0; j < k; j++) {
		if (ents[j]->d_name[0] == '.' ||
		    strcmp(ents[j]->d_name, "README") == 0) {
			free(ents[j]);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, ents[j]->d_name);
		if ((b = (uint8_t *)test_slurp(path, &n)) == NULL) {
			free(ents[j]);
			continue;
		}
		files++;
		r = touch(b, n);
		test_condf(r >= 0, "%s: %s", ents[j]->d_name,
		    r == 1 ? "accepted, all data readable" : "rejected with "
		    "a one-line message");
		acc = bad = 0;
		m = xmalloc(n + 1);
		for (i = 0; i < mutations; i++) {
			mn = mutate(m, b, n);
			r = touch(m, mn);
			acc += r == 1;
			bad += r < 0;
		}
		free(m);
		if (mutations > 0) {
			test_condf(bad == 0, "%s: %d mutations (%d accepted), "
			    "no malformed errors", ents[j]->d_name, mutations,
			    acc);
		}
		free(b);
		free(ents[j]);
	}
	free(ents);
	return files;
}

int
main(void)
{
	const char	*src = getenv("top_srcdir");
	char		 dir[4096], db[128], *cause = NULL;
	char		 tmp[] = "/tmp/medchat-fuzz-replay.XXXXXX";
	int		 n;

	if (src == NULL || *src == '\0')
		src = ".";
	snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus-gguf", src);
	n = replay_dir(dir, MUTATIONS, gguf_touch);
	test_condf(n >= 5, "seed corpus replayed (%d files in %s)", n, dir);
	snprintf(dir, sizeof dir, "%s/tests/fuzz/found-gguf", src);
	n = replay_dir(dir, 10, gguf_touch);
	test_condf(n >= 100, "fuzzer-found corpus replayed (%d files)", n);
	snprintf(dir, sizeof dir, "%s/tests/fuzz/regress-gguf", src);
	n = replay_dir(dir, 0, gguf_touch);
	test_condf(n >= 1, "regression inputs replayed (%d files)", n);

	if (mkdtemp(tmp) == NULL) {
		test_condf(0, "mkdtemp: %s", strerror(errno));
		return test_report();
	}
	snprintf(db, sizeof db, "%s/import.db", tmp);
	if (store_open(db, advisory_ident(), &json_store, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
	}
	snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus-json", src);
	n = replay_dir(dir, MUTATIONS, json_use);
	test_condf(n >= 5, "JSON corpus replayed (%d files in %s)", n, dir);
	snprintf(dir, sizeof dir, "%s/tests/fuzz/regress-json", src);
	n = replay_dir(dir, 0, json_use);
	test_condf(n >= 3, "JSON regression inputs replayed (%d files)", n);
	snprintf(dir, sizeof dir, "%s/tests/fixtures", src);
	n = replay_dir(dir, 20, json_use);
	test_condf(n >= 5, "JSON fixtures replayed (%d files)", n);
	store_close(json_store);
	test_rmtree(tmp);
	return test_report();
}
