/*
 * store-catalog.c -- the model catalog: one row per GGUF file found (path,
 * size, mtime, name, quantization, a JSON summary, last use) and the
 * cache of model file hashes, keyed by path, size and mtime so a changed
 * file is hashed again.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "sha256.h"
#include "store-int.h"
#include "xmalloc.h"

#define STORE_MODEL_COLS \
	"path, size, mtime_ns, sha256, name, quant, summary_json, last_used"

#define F(f, kind) { offsetof(struct store_model, f), STORE_COL_ ## kind }
/* The columns of STORE_MODEL_COLS (size: a uint64_t read as int64). */
static const struct store_col store_model_cols[] = { F(path, TEXT_NN),
	F(size, INT64), F(mtime_ns, INT64), F(sha256, TEXT), F(name, TEXT),
	F(quant, TEXT), F(summary_json, TEXT), F(last_used, INT64) };
#undef F
static const struct store_rowtype store_model_rows =
    STORE_ROWCOLS(struct store_model, store_model_cols);

int
store_model_put(struct store *s, const struct store_model *m, char **cause)
{
	return store_write(s, "saving a model", cause, "INSERT INTO models ("
	    STORE_MODEL_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (path) DO UPDATE "
	    "SET sha256 = CASE WHEN excluded.sha256 IS NOT NULL THEN "
	    "excluded.sha256 WHEN models.size = excluded.size AND "
	    "models.mtime_ns = excluded.mtime_ns THEN models.sha256 "
	    "ELSE NULL END, size = excluded.size, "
	    "mtime_ns = excluded.mtime_ns, name = excluded.name, "
	    "quant = excluded.quant, summary_json = excluded.summary_json, "
	    "last_used = max(models.last_used, excluded.last_used)",
	    "tIIttttI", m->path, (int64_t)m->size, m->mtime_ns, m->sha256,
	    m->name, m->quant, m->summary_json, m->last_used);
}

int
store_model_get(struct store *s, const char *path, struct store_model *out,
    char **cause)
{
	int	rc;

	rc = store_get(s, &store_model_rows, out, "reading the model catalog",
	    cause, "SELECT " STORE_MODEL_COLS " FROM models WHERE path = ?",
	    "t", path);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
store_model_list(struct store *s, struct store_model **out, size_t *n,
    char **cause)
{
	return store_get_all(s, &store_model_rows, out, n,
	    "reading the model catalog", cause, "SELECT " STORE_MODEL_COLS
	    " FROM models ORDER BY last_used DESC, path", "");
}

int
store_model_touch(struct store *s, const char *path, char **cause)
{
	return store_write(s, "saving the model catalog", cause,
	    "UPDATE models SET last_used = ?2 WHERE path = ?1", "tI", path,
	    store_now());
}

int
store_model_delete(struct store *s, const char *path, char **cause)
{
	return store_write(s, "saving the model catalog", cause,
	    "DELETE FROM models WHERE path = ?1", "t", path);
}

int
store_model_cached_sha256(struct store *s, const char *path, uint64_t size,
    int64_t mtime_ns, char out[65], char **cause)
{
	char	*h;
	int	 rc, found = 0;

	out[0] = '\0';
	rc = store_get(s, &store_text_row, &h, "reading the model catalog",
	    cause, "SELECT sha256 FROM models WHERE path = ? AND size = ? "
	    "AND mtime_ns = ? AND sha256 IS NOT NULL", "tII", path,
	    (int64_t)size, mtime_ns);
	if (rc < 0)
		return -1;
	if (rc == 1 && strlen(h) == SHA256_HEXLEN &&
	    strspn(h, "0123456789abcdef") == SHA256_HEXLEN) {
		memcpy(out, h, SHA256_HEXLEN + 1);
		found = 1;
	}
	free(h);
	return found;
}

int
store_model_set_sha256(struct store *s, const char *path, uint64_t size,
    int64_t mtime_ns, const char *sha256, char **cause)
{
	return store_write(s, "saving the model catalog", cause,
	    "INSERT INTO models (path, size, mtime_ns, sha256) VALUES "
	    "(?1, ?2, ?3, ?4) ON CONFLICT (path) DO UPDATE SET size = ?2, "
	    "mtime_ns = ?3, sha256 = ?4", "tIIt", path, (int64_t)size,
	    mtime_ns, sha256);
}

int
store_model_sha256(struct store *s, const char *path, char out[65],
    int *computed, char **cause)
{
	struct stat	 sb;
	char		*abs;
	int64_t		 mt;
	int		 rc;

	if (computed != NULL)
		*computed = 0;
	if ((abs = realpath(path, NULL)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(abs, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(abs);
		return -1;
	}
	mt = COMPAT_MTIME_NS(&sb);
	rc = store_model_cached_sha256(s, abs, (uint64_t)sb.st_size, mt, out,
	    cause);
	if (rc != 0) {
		free(abs);
		return rc == 1 ? 0 : -1;
	}
	if (sha256_file(abs, out, NULL, NULL, cause) != 0) {
		free(abs);
		return -1;
	}
	if (computed != NULL)
		*computed = 1;
	/* A read-only database cannot cache it: the hash is still right. */
	rc = s->readonly ? 0 : store_model_set_sha256(s, abs,
	    (uint64_t)sb.st_size, mt, out, cause);
	free(abs);
	return rc;
}

STORE_ROW_FREE(struct store_model, store_model_free, store_models_free,
    store_model_rows)
