/*
 * store-measure.c -- measurements of model files (schema 6, table
 * "measurements"): perplexity, KL divergence from a base file and speed,
 * one row per run of `medchat eval` (or the model menu's measurement),
 * keyed by the file's SHA-256; and the speeds a file showed in real use,
 * read from its answers' provenance.
 *
 * Times: the table keeps UTC milliseconds like every other table; struct
 * store_measure carries unix seconds (what its users show).
 */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "store-int.h"
#include "xmalloc.h"

#define STORE_MEASURE_COLS \
	"id, model_sha256, kind, model_name, text_name, text_sha256, n_ctx, " \
	"n_chunks, n_tokens, base_sha256, base_name, ppl, ppl_err, " \
	"kld_mean, kld_p99, top_agree, ppl_ratio, prefill_tps, decode_tps, " \
	"threads, kernel, complete, created, version"

static int	store_measure_read(struct store *, sqlite3_stmt *, void *,
		    char **);
static int	store_hex_ok(const char *, int);
static void	store_col_copy(sqlite3_stmt *, int, char *, size_t);

static const size_t store_measure_strs[] = {
	offsetof(struct store_measure, model_name),
	offsetof(struct store_measure, text_name),
	offsetof(struct store_measure, base_name),
	offsetof(struct store_measure, kernel),
	offsetof(struct store_measure, version) };
static const struct store_rowtype store_measure_rows =
    STORE_ROWTYPE(struct store_measure, store_measure_read,
    store_measure_strs);

/* 1 if p is 64 lower- or upper-case hex digits (or, with empty_ok, ""). */
static int
store_hex_ok(const char *p, int empty_ok)
{
	size_t	i;

	if (p == NULL)
		return 0;
	if (*p == '\0')
		return empty_ok;
	for (i = 0; i < SHA256_HEXLEN; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f') ||
		    (p[i] >= 'A' && p[i] <= 'F')))
			return 0;
	}
	return p[i] == '\0';
}

/* Column i as text into out[0..len), cut if the database holds more. */
static void
store_col_copy(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char	*t = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

/* A row of STORE_MEASURE_COLS into the zeroed struct store_measure at p. */
static int
store_measure_read(struct store *s, sqlite3_stmt *st, void *p, char **cause)
{
	struct store_measure	*m = p;

	(void)s;
	(void)cause;
	m->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, m->model_sha, sizeof m->model_sha);
	store_col_copy(st, 2, m->kind, sizeof m->kind);
	m->model_name = store_col_text(st, 3);
	m->text_name = store_col_text(st, 4);
	store_col_copy(st, 5, m->text_sha, sizeof m->text_sha);
	m->n_ctx = sqlite3_column_int(st, 6);
	m->n_chunks = sqlite3_column_int(st, 7);
	m->n_tokens = sqlite3_column_int(st, 8);
	store_col_copy(st, 9, m->base_sha, sizeof m->base_sha);
	m->base_name = store_col_text(st, 10);
	m->ppl = sqlite3_column_double(st, 11);
	m->ppl_err = sqlite3_column_double(st, 12);
	m->kld_mean = sqlite3_column_double(st, 13);
	m->kld_p99 = sqlite3_column_double(st, 14);
	m->top_agree = sqlite3_column_double(st, 15);
	m->ppl_ratio = sqlite3_column_double(st, 16);
	m->prefill_tps = sqlite3_column_double(st, 17);
	m->decode_tps = sqlite3_column_double(st, 18);
	m->threads = sqlite3_column_int(st, 19);
	m->kernel = store_col_text(st, 20);
	m->complete = sqlite3_column_int(st, 21) != 0;
	/* Rounded down: milliseconds before 1970 are no concern here. */
	m->created = sqlite3_column_int64(st, 22) / 1000;
	m->version = store_col_text(st, 23);
	return 0;
}

int
store_measure_add(struct store *s, const struct store_measure *m,
    int64_t *id, char **cause)
{
	int64_t	created;

	if (!store_hex_ok(m->model_sha, 0)) {
		xasprintf(cause, "%s: a measurement needs the model's SHA-256",
		    s->name);
		return -1;
	}
	if (strcmp(m->kind, "ppl") != 0 && strcmp(m->kind, "kld") != 0 &&
	    strcmp(m->kind, "speed") != 0) {
		xasprintf(cause, "%s: a measurement's kind is ppl, kld or speed",
		    s->name);
		return -1;
	}
	if (!store_hex_ok(m->text_sha, 1) || !store_hex_ok(m->base_sha, 1)) {
		xasprintf(cause, "%s: a measurement's text and base hashes are "
		    "SHA-256 or empty", s->name);
		return -1;
	}
	if (strcmp(m->kind, "kld") == 0 && m->base_sha[0] == '\0') {
		xasprintf(cause, "%s: a KL divergence needs the base file's "
		    "SHA-256", s->name);
		return -1;
	}
	created = m->created != 0 ? m->created * 1000 : store_now();
	if (store_exec(s, "saving a measurement", cause,
	    "INSERT INTO measurements (model_sha256, kind, model_name, "
	    "text_name, text_sha256, n_ctx, n_chunks, n_tokens, base_sha256, "
	    "base_name, ppl, ppl_err, kld_mean, kld_p99, top_agree, "
	    "ppl_ratio, prefill_tps, decode_tps, threads, kernel, complete, "
	    "created, version) VALUES (lower(?), ?, ?, ?, lower(?), ?, ?, ?, "
	    "lower(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "tttttiiittdddddddditiIt", m->model_sha, m->kind, m->model_name,
	    m->text_name, m->text_sha, m->n_ctx, m->n_chunks, m->n_tokens,
	    m->base_sha, m->base_name, m->ppl, m->ppl_err, m->kld_mean,
	    m->kld_p99, m->top_agree, m->ppl_ratio, m->prefill_tps,
	    m->decode_tps, m->threads, m->kernel, m->complete != 0, created,
	    m->version) != 0)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_measure_list(struct store *s, const char *model_sha,
    struct store_measure **out, size_t *n, char **cause)
{
	if (model_sha == NULL)
		return store_get_all(s, &store_measure_rows, out, n,
		    "reading the measurements", cause, "SELECT "
		    STORE_MEASURE_COLS " FROM measurements "
		    "ORDER BY created DESC, id DESC", "");
	return store_get_all(s, &store_measure_rows, out, n,
	    "reading the measurements", cause, "SELECT " STORE_MEASURE_COLS
	    " FROM measurements WHERE model_sha256 = lower(?) "
	    "ORDER BY created DESC, id DESC", "t", model_sha);
}

int
store_measure_find(struct store *s, const char *kind, const char *model_sha,
    const char *text_sha, int n_ctx, int n_chunks, const char *base_sha,
    struct store_measure *out, char **cause)
{
	memset(out, 0, sizeof *out);
	return store_get(s, &store_measure_rows, out,
	    "reading the measurements", cause, "SELECT " STORE_MEASURE_COLS
	    " FROM measurements WHERE model_sha256 = lower(?1) AND kind = ?2 "
	    "AND text_sha256 = lower(?3) AND n_ctx = ?4 AND n_chunks = ?5 "
	    "AND base_sha256 = lower(?6) AND complete = 1 "
	    "ORDER BY created DESC, id DESC LIMIT 1", "tttiit",
	    model_sha != NULL ? model_sha : "", kind != NULL ? kind : "",
	    text_sha != NULL ? text_sha : "", n_ctx, n_chunks,
	    base_sha != NULL ? base_sha : "");
}

STORE_ROW_FREE(struct store_measure, store_measure_free, store_measures_free,
    store_measure_rows)

/* The three columns of store_model_speed's query. */
struct store_speed {
	double	decode, prefill;
	int	n;
};

static int
store_speed_read(struct store *s, sqlite3_stmt *st, void *p, char **cause)
{
	struct store_speed	*v = p;

	(void)s;
	(void)cause;
	v->decode = sqlite3_column_double(st, 0);
	v->prefill = sqlite3_column_double(st, 1);
	v->n = sqlite3_column_int(st, 2);
	return 0;
}

int
store_model_speed(struct store *s, const char *model_sha, double *decode_tps,
    double *prefill_tps, int *n, char **cause)
{
	static const size_t		 none[1] = { 0 };
	const struct store_rowtype	 rt = { sizeof (struct store_speed),
		store_speed_read, none, 0, NULL, 0 };
	struct store_speed		 v;
	int				 rc;

	*decode_tps = *prefill_tps = 0;
	*n = 0;
	/*
	 * Local answers only (a remote server's speed says nothing of this
	 * machine), complete ones (a stopped answer's rate is of a few
	 * tokens), those that recorded a rate.  A prompt served from the
	 * KV cache leaves no prefill rate: averaged apart.
	 */
	rc = store_get(s, &rt, &v, "reading the answers' speeds", cause,
	    "SELECT coalesce(avg(decode_tps), 0), coalesce(avg(CASE WHEN "
	    "prefill_tps > 0 THEN prefill_tps END), 0), count(*) "
	    "FROM messages WHERE model_sha256 = lower(?) AND "
	    "role = 'assistant' AND status = 'complete' AND "
	    "endpoint_url IS NULL AND decode_tps > 0", "t",
	    model_sha != NULL ? model_sha : "");
	if (rc < 0)
		return -1;
	if (rc == 1 && v.n > 0) {
		*decode_tps = v.decode;
		*prefill_tps = v.prefill;
		*n = v.n;
	}
	return 0;
}
