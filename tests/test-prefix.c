/*
 * test-prefix.c -- the prompt-prefix cache (engine/prefix.c) on the demo
 * model, which our own code writes, so it runs everywhere:
 *
 *  - the logits of a prompt whose first tokens' K/V were saved by one
 *    run state and loaded into another equal, bit for bit, those of the
 *    whole prompt evaluated in one go;
 *  - engines with a cache directory: the first answer writes the system
 *    part's file (0600), the next engine reads it (n_cached, n_prefix)
 *    and answers exactly as an engine without a cache; another system
 *    message, or the model file rewritten, is another file; a second
 *    turn in one engine uses its own KV cache; a cancelled answer writes
 *    nothing;
 *  - a damaged file -- every field of the header, the tokens, the K/V,
 *    the digest, truncated, extended, and 300 deterministic mutations --
 *    or a symbolic link or FIFO in its place, is refused in one line that
 *    names the file, never loaded, and the
 *    engine then evaluates the prefix, answers the same and writes the
 *    file anew;
 *  - the directory keeps the most recently used files within the limits,
 *    and stray temporary files go once old.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "gguf.h"
#include "model.h"
#include "prefix.h"
#include "testhelp.h"
#include "enginehelp.h"
#include "xmalloc.h"

#define NPRE	40	/* tokens of the saved prefix (low level) */
#define NALL	65	/* of the whole prompt */

static const char *sys_a =
    "You are a careful assistant for clinicians. Answer in plain words, "
    "name the evidence, say what is uncertain, and never give a dose "
    "without saying that it must be checked against the label.";
static const char *sys_b =
    "You are a terse assistant. Answer in one short paragraph and list "
    "the differential diagnoses that a clinician should consider first, "
    "most likely first, with one reason for each of them.";

/* The .kv files in dir: how many, and the name of one. */
static int
count_files(const char *dir, char *one, size_t onesz)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;
	size_t		 l;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l > 3 && strcmp(de->d_name + l - 3, ".kv") == 0) {
			if (one != NULL)
				snprintf(one, onesz, "%s/%s", dir, de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static struct engine *
open_engine(const char *path, const char *pdir)
{
	struct engine_opts	 eo;
	struct engine		*e = NULL;
	char			*cause = NULL;

	memset(&eo, 0, sizeof eo);
	eo.path = path;
	eo.n_ctx = 512;
	eo.n_threads = 2;
	eo.prefix_dir = pdir;
	if (engine_open(&eo, &e, &cause) != 0) {
		test_diag("open %s: %s", path, cause);
		free(cause);
		return NULL;
	}
	return e;
}

/* One greedy answer of 20 tokens to sys + q into c (emptied first,
   its stop_after kept); 0 or -1. */
static int
answer(struct engine *e, const char *sys, const char *q, struct capture *c,
    struct engine_result *res)
{
	struct engine_sampling	 s;
	struct engine_msg	 m[2];
	char			*cause = NULL;
	int			 rv, n = 0, stop = c->stop_after;

	memset(c, 0, sizeof *c);
	c->stop_after = stop;

	engine_sampling_default(&s);
	s.temp = 0.0f;
	s.seed = 7;
	s.max_tokens = 20;
	if (sys != NULL) {
		m[n].role = ENGINE_SYSTEM;
		m[n++].text = sys;
	}
	m[n].role = ENGINE_USER;
	m[n++].text = q;
	rv = engine_chat(e, NULL, m, n, &s, capture_emit, c, res, &cause);
	if (rv != 0) {
		test_diag("engine_chat: %s", cause);
		free(cause);
	}
	return rv;
}

/* The same from a new engine on the cache pdir (a new process). */
static int
answer_new(const char *demo, const char *pdir, const char *sys,
    const char *q, struct capture *c, struct engine_result *res)
{
	struct engine	*e;
	int		 rv;

	if ((e = open_engine(demo, pdir)) == NULL)
		return -1;
	rv = answer(e, sys, q, c, res);
	engine_close(e);
	return rv;
}

/*
 * The low-level round trip: positions 0..NPRE-1 evaluated by run state
 * a, saved, loaded into a fresh run state c, the rest evaluated there;
 * c's logits against those of the whole prompt in run state b.  Then the
 * saved file, damaged in every way, refused.
 */
static void
test_roundtrip(const char *demo, const char *dir)
{
	struct gguf_file	*gf = NULL;
	struct model		*m = NULL;
	struct tpool		*tp;
	struct fwd		*a, *b, *c;
	uint8_t			 key[PREFIX_KEY_LEN], key2[PREFIX_KEY_LEN];
	int32_t			 ids[NALL];
	float			*la, *lb;
	char			*cause = NULL, *why = NULL, path[512], other[600];
	uint8_t			*file, *mut;
	size_t			 fn, mn;
	int			 i, nv, r, bad, loaded, oneline;
	uint64_t		 rng = 0x2545f4914f6cdd1dULL;
	static const struct {
		size_t		 off;
		const char	*descr, *needle;
	} fields[] = {
		{ 0, "the magic", "offset 0" },
		{ 8, "the byte-order word", "offset 8" },
		{ 12, "n_tok", "offset 12: n_tok" },
		{ 16, "n_layer", "offset 16: n_layer" },
		{ 20, "n_head_kv", "offset 20: n_head_kv" },
		{ 24, "head_dim", "offset 24: head_dim" },
		{ 40, "the key", "offset 32: the key" },
		{ 64 + 4 * 3, "a token", "offset 76: token 3" },
		{ 64 + 4 * NPRE + 100, "a K value", "digest" },
	};

	if (gguf_open(demo, &gf, &cause) != 0 || model_load(gf, &m,
	    &cause) != 0) {
		test_cond(0, "demo model loads");
		test_diag("%s", cause);
		free(cause);
		return;
	}
	tp = tpool_create(2);
	a = fwd_create(m, tp, 128, 16, &cause);
	b = fwd_create(m, tp, 128, 16, &cause);
	c = fwd_create(m, tp, 96, 16, &cause);	/* another n_ctx */
	nv = m->hp.n_vocab;
	for (i = 0; i < NALL; i++)
		ids[i] = (i * 7919 + 13) % nv;
	la = xcalloc((size_t)nv, sizeof *la);
	lb = xcalloc((size_t)nv, sizeof *lb);
	prefix_key("test model", ids, NPRE, key);
	test_cond(prefix_load(dir, key, c, &m->hp, ids, NPRE, &why) == 1,
	    "no file yet: a miss, nothing said");
	fwd_eval(a, ids, NPRE, 0, -1, NULL);
	test_cond(prefix_save(dir, key, a, &m->hp, ids, NPRE, &why) == 0,
	    "the prefix's K/V saved");
	r = prefix_load(dir, key, c, &m->hp, ids, NPRE, &why);
	test_condf(r == 0, "read back into a run state of another context "
	    "size (%s)", why != NULL ? why : "ok");
	free(why);
	fwd_eval(c, ids + NPRE, NALL - NPRE, NPRE, NALL - NPRE - 1, la);
	fwd_eval(b, ids, NALL, 0, NALL - 1, lb);
	test_cond(memcmp(la, lb, (size_t)nv * sizeof *la) == 0,
	    "logits after a loaded prefix equal the whole prompt's, bit "
	    "for bit");
	prefix_key("another model", ids, NPRE, key2);
	test_cond(memcmp(key, key2, sizeof key) != 0 &&
	    prefix_load(dir, key2, c, &m->hp, ids, NPRE, &why) == 1,
	    "another model's key: another file");

	/* Damage the file, one field at a time. */
	count_files(dir, path, sizeof path);
	file = (uint8_t *)test_slurp(path, &fn);
	test_condf(file != NULL && fn == 64 + 4 * NPRE + (size_t)m->hp.n_layer *
	    m->hp.n_head_kv * 2 * NPRE * m->hp.head_dim * 2 + 32,
	    "the file is header, tokens, K/V and digest (%zu bytes)", fn);
	if (file == NULL)
		goto out;
	mut = xmalloc(fn + 64);
	for (i = 0; i < (int)(sizeof fields / sizeof fields[0]); i++) {
		memcpy(mut, file, fn);
		mut[fields[i].off] ^= 0x40;
		test_spit(path, mut, fn);
		r = prefix_load(dir, key, c, &m->hp, ids, NPRE, &why);
		test_condf(r == -1 && why != NULL &&
		    strstr(why, fields[i].needle) != NULL &&
		    strstr(why, ".kv") != NULL && strchr(why, '\n') == NULL,
		    "%s damaged: refused in one line (%s)", fields[i].descr,
		    why != NULL ? why : "loaded");
		free(why);
	}
	test_spit(path, file, fn - 1);
	r = prefix_load(dir, key, c, &m->hp, ids, NPRE, &why);
	test_condf(r == -1 && why != NULL && strstr(why, "expected") != NULL,
	    "truncated by a byte: refused (%s)", why != NULL ? why : "loaded");
	free(why);
	memcpy(mut, file, fn);
	memset(mut + fn, 0, 64);
	test_spit(path, mut, fn + 64);
	r = prefix_load(dir, key, c, &m->hp, ids, NPRE, &why);
	test_condf(r == -1 && why != NULL, "64 bytes too long: refused (%s)",
	    why != NULL ? why : "loaded");
	free(why);
	/* Deterministic mutations: flips, runs of 0xff, truncations. */
	bad = loaded = 0;
	oneline = 1;
	for (i = 0; i < 300; i++) {
		size_t	off;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		memcpy(mut, file, fn);
		mn = fn;
		off = (size_t)(rng >> 16) % fn;
		switch (i % 3) {
		case 0:
			mut[off] ^= (uint8_t)(1u << (rng & 7));
			break;
		case 1:
			memset(mut + off, 0xff, fn - off < 8 ? fn - off : 8);
			if (memcmp(mut, file, fn) == 0)
				mut[off] ^= 1;
			break;
		default:
			mn = off;
			break;
		}
		test_spit(path, mut, mn);
		r = prefix_load(dir, key, c, &m->hp, ids, NPRE, &why);
		if (r == 0)
			loaded++;
		else if (r != -1 || why == NULL)
			bad++;
		else if (strchr(why, '\n') != NULL || strstr(why, ".kv") ==
		    NULL)
			oneline = 0;
		free(why);
		why = NULL;
	}
	test_condf(loaded == 0 && bad == 0 && oneline, "300 mutations of the "
	    "file: each refused in one line naming it (%d loaded, %d "
	    "other)", loaded, bad);
	/* Not a file of its own: a symbolic link (to the valid file), a FIFO. */
	snprintf(other, sizeof other, "%s.target", dir);
	test_spit(other, file, fn);
	unlink(path);
	r = symlink(other, path) == 0 ? prefix_load(dir, key, c, &m->hp, ids,
	    NPRE, &why) : -2;
	test_condf(r == -1 && why != NULL && strstr(why, path) != NULL,
	    "a symbolic link in its place is not followed (%s)",
	    why != NULL ? why : "loaded");
	free(why);
	unlink(path);
	unlink(other);
	r = mkfifo(path, 0600) == 0 ? prefix_load(dir, key, c, &m->hp, ids,
	    NPRE, &why) : -2;
	test_condf(r == -1 && why != NULL && strstr(why, "not a regular "
	    "file") != NULL, "a FIFO in its place: refused at once (%s)",
	    why != NULL ? why : "loaded");
	free(why);
	free(mut);
	free(file);
	unlink(path);
out:
	free(la);
	free(lb);
	fwd_free(a);
	fwd_free(b);
	fwd_free(c);
	tpool_free(tp);
	model_free(m);
	gguf_close(gf);
}

/* The engine with a cache directory. */
static void
test_engine(const char *demo, const char *pdir)
{
	struct engine_result	 r0, r1, r2, r3;
	struct capture		 c0, c1, c2, c3;
	struct engine		*e0, *e1, *e2;
	struct stat		 st;
	struct timespec		 ts[2];
	char			 one[512];
	uint8_t			*file;
	size_t			 fn;
	int			 rv;

	memset(&c0, 0, sizeof c0);
	memset(&c1, 0, sizeof c1);
	memset(&c2, 0, sizeof c2);
	memset(&c3, 0, sizeof c3);
	/* The reference: no cache. */
	if ((e0 = open_engine(demo, NULL)) == NULL ||
	    (e1 = open_engine(demo, pdir)) == NULL) {
		test_cond(0, "demo model opens");
		return;
	}
	rv = answer(e0, sys_a, "What causes anaemia?", &c0, &r0);
	test_cond(rv == 0 && r0.prefix == ENGINE_PREFIX_NONE && r0.n_gen > 0,
	    "no directory: no cache");
	rv = answer(e1, sys_a, "What causes anaemia?", &c1, &r1);
	test_condf(rv == 0 && r1.prefix == ENGINE_PREFIX_SAVED &&
	    r1.n_prefix >= 32 && r1.n_prefix < r1.n_prompt &&
	    r1.prefix_error == NULL, "first answer: the system part (%d of %d "
	    "tokens) written", r1.n_prefix, r1.n_prompt);
	test_cond(strcmp(c0.buf, c1.buf) == 0, "... and the answer is the "
	    "uncached one");
	test_cond(count_files(pdir, one, sizeof one) == 1 &&
	    stat(one, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "one file, mode 0600");
	/* A second turn in the same engine: its own KV cache. */
	rv = answer(e1, sys_a, "What causes anaemia?", &c2, &r2);
	test_cond(rv == 0 && r2.prefix == ENGINE_PREFIX_NONE &&
	    r2.n_cached == r2.n_prompt - 1 && strcmp(c2.buf, c0.buf) == 0,
	    "the same engine again: its KV cache, not the file");
	engine_close(e1);

	/* A new engine (a new process): the file is read. */
	rv = answer_new(demo, pdir, sys_a, "What causes anaemia?", &c2, &r2);
	test_condf(rv == 0 && r2.prefix == ENGINE_PREFIX_LOADED &&
	    r2.n_prefix == r1.n_prefix && r2.n_cached == r1.n_prefix,
	    "a new engine reads the system part (%d cached)", r2.n_cached);
	test_cond(strcmp(c2.buf, c0.buf) == 0 && r2.n_gen == r0.n_gen,
	    "... and answers exactly as without a cache");
	rv = answer(e0, sys_a, "And in children?", &c3, &r3);
	rv |= answer_new(demo, pdir, sys_a, "And in children?", &c2, &r2);
	test_cond(rv == 0 && r2.prefix == ENGINE_PREFIX_LOADED &&
	    strcmp(c2.buf, c3.buf) == 0, "another question on the same system "
	    "message: read, the same answer");

	/* Another system message: another file. */
	rv = answer_new(demo, pdir, sys_b, "What causes anaemia?", &c2, &r2);
	test_cond(rv == 0 && r2.prefix == ENGINE_PREFIX_SAVED &&
	    count_files(pdir, NULL, 0) == 2, "another system message: a "
	    "second file");
	/* No system message, or one too short: nothing. */
	e2 = open_engine(demo, pdir);
	rv = answer(e2, NULL, "What causes anaemia?", &c2, &r2);
	rv |= answer(e2, "Be brief.", "What causes anaemia?", &c2, &r2);
	test_cond(rv == 0 && r2.prefix == ENGINE_PREFIX_NONE &&
	    count_files(pdir, NULL, 0) == 2, "no system message, or a short "
	    "one: no file");
	engine_close(e2);
	/* A cancelled answer writes nothing. */
	c2.stop_after = 1;
	rv = answer_new(demo, pdir, "You answer every question about the "
	    "kidneys and nothing else, in the words a first-year student uses, "
	    "with no abbreviations at all.", "What is a nephron?", &c2, &r2);
	c2.stop_after = 0;
	test_cond(rv == 0 && r2.stop == ENGINE_STOP_CANCEL &&
	    r2.prefix == ENGINE_PREFIX_UNSAVED &&
	    count_files(pdir, NULL, 0) == 2, "a cancelled answer: no file");

	/* Damaged: refused in one line, the same answer, written anew. */
	count_files(pdir, one, sizeof one);
	if ((file = (uint8_t *)test_slurp(one, &fn)) != NULL && fn > 1000) {
		file[fn - 500] ^= 0x10;
		test_spit(one, file, fn);
	}
	free(file);
	e2 = open_engine(demo, pdir);
	rv = answer(e2, sys_a, "What causes anaemia?", &c2, &r2);
	rv |= answer(e2, sys_b, "What causes anaemia?", &c3, &r3);
	test_condf(rv == 0 && ((r2.prefix_error != NULL && r2.prefix ==
	    ENGINE_PREFIX_SAVED && r3.prefix == ENGINE_PREFIX_LOADED) ||
	    (r2.prefix == ENGINE_PREFIX_LOADED && r3.prefix_error != NULL &&
	    r3.prefix == ENGINE_PREFIX_SAVED)),
	    "a damaged file: one line (%s), evaluated, written anew",
	    r2.prefix_error != NULL ? r2.prefix_error : r3.prefix_error !=
	    NULL ? r3.prefix_error : "none");
	test_cond(strcmp(c2.buf, c0.buf) == 0, "... the answer unchanged");
	engine_close(e2);
	rv = answer_new(demo, pdir, sys_a, "What causes anaemia?", &c2, &r2);
	rv |= answer_new(demo, pdir, sys_b, "What causes anaemia?", &c3, &r3);
	test_cond(rv == 0 && r2.prefix == ENGINE_PREFIX_LOADED &&
	    r3.prefix == ENGINE_PREFIX_LOADED && strcmp(c2.buf, c0.buf) == 0,
	    "... and read by the next engine");

	/* The model file rewritten (another mtime): another key. */
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 3600;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, demo, ts, 0);
	rv = answer_new(demo, pdir, sys_a, "What causes anaemia?", &c2, &r2);
	test_cond(rv == 0 && r2.prefix == ENGINE_PREFIX_SAVED &&
	    count_files(pdir, NULL, 0) == 3, "the model file changed: not "
	    "read, a file of its own");
	engine_close(e0);
}

/* prefix_trim: the newest files within the limits; old temp files go. */
static void
test_trim(const char *dir)
{
	struct timespec	 ts[2];
	char		 path[512];
	uint8_t		 junk[1000];
	int		 i, j, newest_kept;

	memset(junk, 7, sizeof junk);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof path, "%s/", dir);
		for (j = 0; j < 64; j++)
			path[strlen(dir) + 1 + j] = "0123456789abcdef"[(i + j) %
			    16];
		snprintf(path + strlen(dir) + 65, 8, ".kv");
		test_spit(path, junk, sizeof junk);
		ts[0].tv_sec = ts[1].tv_sec = 1000000 + i * 100;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		utimensat(AT_FDCWD, path, ts, 0);
	}
	snprintf(path, sizeof path, "%s/.tmp-1-old", dir);
	test_spit(path, junk, 10);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 3600;
	utimensat(AT_FDCWD, path, ts, 0);
	snprintf(path, sizeof path, "%s/.tmp-2-new", dir);
	test_spit(path, junk, 10);
	snprintf(path, sizeof path, "%s/notes.txt", dir);
	test_spit(path, junk, 10);
	prefix_trim(dir, 8, 1ULL << 40);
	test_cond(count_files(dir, NULL, 0) == 8, "10 files, keep 8: 8 left");
	/* the newest: i = 9, its name starts with '9' */
	snprintf(path, sizeof path, "%s/", dir);
	for (j = 0; j < 64; j++)
		path[strlen(dir) + 1 + j] = "0123456789abcdef"[(9 + j) % 16];
	snprintf(path + strlen(dir) + 65, 8, ".kv");
	newest_kept = access(path, F_OK) == 0;
	test_cond(newest_kept, "... the newest among them");
	snprintf(path, sizeof path, "%s/", dir);
	for (j = 0; j < 64; j++)
		path[strlen(dir) + 1 + j] = "0123456789abcdef"[j % 16];
	snprintf(path + strlen(dir) + 65, 8, ".kv");
	test_cond(access(path, F_OK) != 0, "... the oldest gone");
	prefix_trim(dir, 8, 2500);
	test_cond(count_files(dir, NULL, 0) == 2, "at most 2,500 bytes: the "
	    "newest 2 of 1,000 bytes left");
	prefix_trim(dir, 8, 10);
	test_cond(count_files(dir, NULL, 0) == 1, "the newest stays, whatever "
	    "its size");
	snprintf(path, sizeof path, "%s/.tmp-1-old", dir);
	test_cond(access(path, F_OK) != 0, "an hour-old temporary file goes");
	snprintf(path, sizeof path, "%s/.tmp-2-new", dir);
	test_cond(access(path, F_OK) == 0, "a new one (a writer's) stays");
	snprintf(path, sizeof path, "%s/notes.txt", dir);
	test_cond(access(path, F_OK) == 0, "other files are not touched");
}

int
main(void)
{
	char	 dir[] = "/tmp/medchat-prefix-XXXXXX";
	char	 demo[256], low[256], eng[256], trim[256], *cause = NULL;

	if (mkdtemp(dir) == NULL) {
		test_cond(0, "mkdtemp");
		return test_report();
	}
	snprintf(demo, sizeof demo, "%s/demo.gguf", dir);
	snprintf(low, sizeof low, "%s/low", dir);
	snprintf(eng, sizeof eng, "%s/eng", dir);
	snprintf(trim, sizeof trim, "%s/trim", dir);
	mkdir(low, 0700);
	mkdir(eng, 0700);
	mkdir(trim, 0700);
	if (engine_write_demo_model(demo, &cause) != 0) {
		test_cond(0, "demo model written");
		test_diag("%s", cause);
		free(cause);
	} else {
		test_roundtrip(demo, low);
		test_engine(demo, eng);
	}
	test_trim(trim);
	test_rmtree(dir);
	return test_report();
}
