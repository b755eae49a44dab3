/*
 * test-store-measure.c -- the measurements of model files (schema 6):
 * store_measure_add/list/find and every field through them, the checks
 * on what is added, the speeds of a file from its answers' provenance
 * (store_model_speed: complete local answers only), and the upgrade of a
 * real version-5 database (tests/store-fixtures/v5.sql) with its answers
 * and their speeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "advisory.h"
#include "store.h"
#include "xmalloc.h"
#include "testhelp.h"

static char	tmpdir[] = "/tmp/medchat-store-measure.XXXXXX";

#define STOREHELP_TMPDIR tmpdir
#include "storehelp.h"

#define SHA_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_T	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* A KLD measurement of SHA_A against SHA_B, every field set. */
static void
kld_row(struct store_measure *m)
{
	memset(m, 0, sizeof *m);
	snprintf(m->model_sha, sizeof m->model_sha, "%s", SHA_A);
	snprintf(m->kind, sizeof m->kind, "kld");
	m->model_name = "tiny.Q4_K_M.gguf";
	m->text_name = "built-in";
	snprintf(m->text_sha, sizeof m->text_sha, "%s", SHA_T);
	m->n_ctx = 512;
	m->n_chunks = 8;
	m->n_tokens = 2048;
	snprintf(m->base_sha, sizeof m->base_sha, "%s", SHA_B);
	m->base_name = "tiny.f32.gguf";
	m->ppl = 12.5;
	m->ppl_err = 0.375;
	m->kld_mean = 0.0625;
	m->kld_p99 = 0.75;
	m->top_agree = 0.921875;
	m->ppl_ratio = 1.03125;
	m->threads = 2;
	m->kernel = "avx512vnni";
	m->complete = 1;
	m->created = 1764000000;
	m->version = "0.9.0";
}

/* Every field of a as b. */
static int
same_measure(const struct store_measure *a, const struct store_measure *b)
{
	return strcmp(a->model_sha, b->model_sha) == 0 &&
	    strcmp(a->kind, b->kind) == 0 &&
	    same(a->model_name, b->model_name) &&
	    same(a->text_name, b->text_name) &&
	    strcmp(a->text_sha, b->text_sha) == 0 && a->n_ctx == b->n_ctx &&
	    a->n_chunks == b->n_chunks && a->n_tokens == b->n_tokens &&
	    strcmp(a->base_sha, b->base_sha) == 0 &&
	    same(a->base_name, b->base_name) && a->ppl == b->ppl &&
	    a->ppl_err == b->ppl_err && a->kld_mean == b->kld_mean &&
	    a->kld_p99 == b->kld_p99 && a->top_agree == b->top_agree &&
	    a->ppl_ratio == b->ppl_ratio &&
	    a->prefill_tps == b->prefill_tps &&
	    a->decode_tps == b->decode_tps && a->threads == b->threads &&
	    same(a->kernel, b->kernel) && a->complete == b->complete &&
	    a->created == b->created && same(a->version, b->version);
}

static void
test_add_list(struct store *s)
{
	struct store_measure	 m, sp, *v;
	char			*cause = NULL;
	int64_t			 id1 = 0, id2 = 0, id3 = 0;
	size_t			 n;
	time_t			 before;

	kld_row(&m);
	test_cond(store_measure_add(s, &m, &id1, &cause) == 0 && id1 > 0,
	    "add: a KLD measurement");
	test_cond(store_measure_list(s, SHA_A, &v, &n, &cause) == 0 &&
	    n == 1 && v[0].id == id1 && same_measure(&v[0], &m),
	    "add: every field read back");
	store_measures_free(v, n);

	memset(&sp, 0, sizeof sp);
	snprintf(sp.model_sha, sizeof sp.model_sha, "%s", SHA_B);
	snprintf(sp.kind, sizeof sp.kind, "speed");
	sp.model_name = "tiny.f32.gguf";
	sp.n_ctx = 64;
	sp.n_chunks = 16;
	sp.prefill_tps = 812.25;
	sp.decode_tps = 97.5;
	sp.threads = 2;
	sp.complete = 1;
	before = time(NULL);
	test_cond(store_measure_add(s, &sp, &id2, &cause) == 0 && id2 > id1,
	    "add: a speed measurement, created now");
	test_cond(store_measure_list(s, SHA_B, &v, &n, &cause) == 0 &&
	    n == 1 && v[0].text_name == NULL && v[0].text_sha[0] == '\0' &&
	    v[0].base_sha[0] == '\0' && v[0].kernel == NULL &&
	    v[0].decode_tps == 97.5 && v[0].prefill_tps == 812.25 &&
	    v[0].created >= before && v[0].created <= time(NULL) + 1,
	    "add: speed: no text, no base, the time of the add");
	store_measures_free(v, n);

	/* A partial run of the same KLD, newer. */
	kld_row(&m);
	m.complete = 0;
	m.n_chunks = 3;
	m.created = 1764000100;
	test_cond(store_measure_add(s, &m, &id3, &cause) == 0,
	    "add: a partial result");
	test_cond(store_measure_list(s, NULL, &v, &n, &cause) == 0 && n == 3 &&
	    v[0].id == id2 && v[1].id == id3 && v[2].id == id1 &&
	    v[1].complete == 0, "list: all files, newest first");
	store_measures_free(v, n);
	test_cond(store_measure_list(s, SHA_A, &v, &n, &cause) == 0 &&
	    n == 2 && v[0].id == id3 && v[1].id == id1,
	    "list: one file's, newest first");
	store_measures_free(v, n);
	test_cond(store_measure_list(s, SHA_T, &v, &n, &cause) == 0 &&
	    n == 0 && v == NULL, "list: a file never measured: none");

	/* find: the complete one of the same text, context, chunks, base. */
	test_cond(store_measure_find(s, "kld", SHA_A, SHA_T, 512, 8, SHA_B,
	    &m, &cause) == 1 && m.id == id1 && m.complete == 1,
	    "find: the complete run (the partial one is not reused)");
	store_measure_free(&m);
	test_cond(store_measure_find(s, "kld", SHA_A, SHA_T, 512, 3, SHA_B,
	    &m, &cause) == 0, "find: a partial run is never reused");
	test_cond(store_measure_find(s, "kld", SHA_A, SHA_T, 256, 8, SHA_B,
	    &m, &cause) == 0, "find: another context is another measurement");
	test_cond(store_measure_find(s, "kld", SHA_A, SHA_T, 512, 8, SHA_A,
	    &m, &cause) == 0, "find: another base is another measurement");
	test_cond(store_measure_find(s, "ppl", SHA_A, SHA_T, 512, 8, "",
	    &m, &cause) == 0, "find: another kind is another measurement");
	test_cond(store_measure_find(s, "kld",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    SHA_T, 512, 8, SHA_B, &m, &cause) == 1 && m.id == id1,
	    "find: hashes in either case");
	store_measure_free(&m);
}

static void
test_refused(struct store *s)
{
	struct store_measure	 m;
	char			*cause = NULL;

	kld_row(&m);
	m.model_sha[10] = 'g';
	test_cond(store_measure_add(s, &m, NULL, &cause) == -1 &&
	    cause != NULL && strstr(cause, "SHA-256") != NULL &&
	    strchr(cause, '\n') == NULL, "refused: a model hash not hex");
	free(cause);
	cause = NULL;
	kld_row(&m);
	m.model_sha[0] = '\0';
	test_cond(store_measure_add(s, &m, NULL, &cause) == -1,
	    "refused: no model hash");
	free(cause);
	cause = NULL;
	kld_row(&m);
	snprintf(m.kind, sizeof m.kind, "bleu");
	test_cond(store_measure_add(s, &m, NULL, &cause) == -1 &&
	    strstr(cause, "ppl, kld or speed") != NULL,
	    "refused: an unknown kind");
	free(cause);
	cause = NULL;
	kld_row(&m);
	m.base_sha[0] = '\0';
	test_cond(store_measure_add(s, &m, NULL, &cause) == -1 &&
	    strstr(cause, "base") != NULL, "refused: a KLD without its base");
	free(cause);
	cause = NULL;
	kld_row(&m);
	snprintf(m.text_sha, sizeof m.text_sha, "abc");
	test_cond(store_measure_add(s, &m, NULL, &cause) == -1,
	    "refused: a text hash cut short");
	free(cause);
}

/* A local answer of the file sha with these speeds and status. */
static void
answer(struct store *s, int64_t conv, const char *sha, double decode,
    double prefill, enum store_status st, const char *url)
{
	struct store_prov	 p;
	char			*cause = NULL;

	memset(&p, 0, sizeof p);
	p.model_file = "x.gguf";
	p.model_sha256 = (char *)sha;
	p.decode_tps = decode;
	p.prefill_tps = prefill;
	p.n_gen = 10;
	p.endpoint_url = (char *)url;
	if (store_msg_add(s, conv, 0, STORE_ROLE_ASSISTANT, "a", st, &p, NULL,
	    &cause) != 0) {
		test_diag("answer: %s", cause);
		free(cause);
	}
}

static void
test_speed(struct store *s)
{
	double	 d = -1, p = -1;
	char	*cause = NULL;
	int	 n = -1;
	int64_t	 conv;

	test_cond(store_model_speed(s, SHA_B, &d, &p, &n, &cause) == 0 &&
	    n == 0 && d == 0 && p == 0, "speed: a file never used: 0 answers");
	if (store_conv_create(s, NULL, &conv, &cause) != 0) {
		test_diag("conv: %s", cause);
		free(cause);
		return;
	}
	answer(s, conv, SHA_B, 10.0, 200.0, STORE_STATUS_COMPLETE, NULL);
	answer(s, conv, SHA_B, 14.0, 0, STORE_STATUS_COMPLETE, NULL);
	answer(s, conv, SHA_B, 12.0, 300.0, STORE_STATUS_COMPLETE, NULL);
	answer(s, conv, SHA_B, 1.0, 1.0, STORE_STATUS_CANCELLED, NULL);
	answer(s, conv, SHA_B, 1.0, 1.0, STORE_STATUS_ERROR, NULL);
	answer(s, conv, SHA_B, 0, 0, STORE_STATUS_COMPLETE, NULL);
	answer(s, conv, SHA_B, 90.0, 900.0, STORE_STATUS_COMPLETE,
	    "http://gpu1:8000/v1");
	answer(s, conv, SHA_A, 50.0, 500.0, STORE_STATUS_COMPLETE, NULL);
	/*
	 * Decode: (10 + 14 + 12) / 3; prefill: (200 + 300) / 2 (the cached
	 * prompt recorded none); the stopped, failed, rateless and remote
	 * answers and the other file's left out.
	 */
	test_cond(store_model_speed(s, SHA_B, &d, &p, &n, &cause) == 0 &&
	    n == 3 && d == 12.0 && p == 250.0,
	    "speed: mean of the complete local answers that have a rate");
	test_cond(store_model_speed(s,
	    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
	    &d, &p, &n, &cause) == 0 && n == 3,
	    "speed: the hash in either case");
}

static void
test_migrate_v5(void)
{
	struct store		*s;
	struct store_measure	 m, *v;
	char			*path, *cause = NULL;
	double			 d = 0, p = 0;
	size_t			 n;
	int			 k = -1;

	path = fixture_db("v5.sql", "v5.db");
	test_cond(raw_int(path, "PRAGMA user_version") == 5 &&
	    raw_int(path, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'measurements'") == 0, "v5: fixture loaded, no table yet");
	if ((s = open_ok(path)) == NULL) {
		test_cond(0, "v5: opens");
		free(path);
		return;
	}
	test_cond(raw_int(path, "PRAGMA user_version") == 6 &&
	    store_backup_path(s) != NULL, "v5: upgraded to 6, backup made");
	test_cond(raw_int(path, "SELECT count(*) FROM messages") == 5,
	    "v5: every message kept");
	/*
	 * Message 2 is the only complete local answer of file aaaa...;
	 * message 3 was left streaming and is now interrupted.
	 */
	test_cond(store_model_speed(s, SHA_A, &d, &p, &k, &cause) == 0 &&
	    k == 1 && d == 9.25 && p == 120.5,
	    "v5: the old answers' speeds are the file's speed");
	test_cond(store_measure_list(s, NULL, &v, &n, &cause) == 0 && n == 0,
	    "v5: no measurement yet");
	kld_row(&m);
	test_cond(store_measure_add(s, &m, NULL, &cause) == 0 &&
	    store_measure_list(s, SHA_A, &v, &n, &cause) == 0 && n == 1,
	    "v5: a measurement saved after the upgrade");
	store_measures_free(v, n);
	store_close(s);
	free(path);
}

int
main(void)
{
	struct store	*s;
	char		*db;

	if (tmpdir_make() != 0)
		return 1;
	db = tpath("measure.db");
	if ((s = open_ok(db)) != NULL) {
		test_add_list(s);
		test_refused(s);
		test_speed(s);
		store_close(s);
	} else
		test_cond(0, "store opens");
	test_migrate_v5();
	free(db);
	test_rmtree(tmpdir);
	return test_report();
}
