/*
 * store-conv.c -- conversations: create, read, list, change, delete.
 *
 * A conversation is a row of `conversations`; its messages form a tree
 * (store-msg.c) whose shown branch ends at current_leaf.  Every change
 * is one short transaction that first checks the conversation exists,
 * so a missing one is "no conversation N", never a silent no-op.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

#define STORE_CONV_LIST_SQL \
	"SELECT " STORE_CONV_COLS ", " \
	"(SELECT count(*) FROM messages m WHERE m.conv_id = c.id), " \
	"(SELECT content FROM messages m WHERE m.conv_id = c.id AND " \
	"m.role = 'user' ORDER BY m.id LIMIT 1) FROM conversations c "

static int	 store_conv_read_list(struct store *, sqlite3_stmt *, void *,
		     char **);
static int	 store_conv_update(struct store *, int64_t, const char *,
		     const char *, const char *, const char *, int,
		     const char *, char **);
static int64_t	 store_descend(struct store *, int64_t);

#define F(f) offsetof(struct store_conv, f)
static const size_t store_conv_strs[] = { F(title), F(system),
	F(template_name), F(model_file), F(model_sha256), F(model_quant),
	F(params_json), F(preview), F(uid) };
#undef F
/* A row of STORE_CONV_LIST_SQL. */
static const struct store_rowtype store_conv_rows =
    STORE_ROWTYPE(struct store_conv, store_conv_read_list, store_conv_strs);

#define F(f, kind) \
	{ offsetof(struct store_conv_model, f), STORE_COL_ ## kind }
/* The columns of store_conv_models' query. */
static const struct store_col store_cm_cols[] = { F(model_file, TEXT),
	F(model_quant, TEXT), F(model_sha256, TEXT), F(endpoint_url, TEXT),
	F(remote_model, TEXT), F(n_answers, INT), F(last, INT64) };
#undef F
static const struct store_rowtype store_cm_rows =
    STORE_ROWCOLS(struct store_conv_model, store_cm_cols);

char *
store_title_from_text(const char *text)
{
	struct buf	 b = BUF_INIT;
	const char	*p = text, *w;
	size_t		 wl, cut;
	int		 words = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v')
			p++;
		if (*p == '\0' || words == 8)
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' &&
		    *p != '\r' && *p != '\f' && *p != '\v')
			p++;
		wl = (size_t)(p - w);
		if (b.len != 0 && b.len + 1 + wl > 60)
			break;
		if (b.len != 0)
			buf_putc(&b, ' ');
		buf_append(&b, w, wl);
		words++;
	}
	if (b.len > 60) {	/* one long word: cut on a character boundary */
		cut = utf8_complete_prefix(b.data, 60);
		buf_truncate(&b, cut);
	}
	if (*p != '\0' && b.len != 0)
		buf_puts(&b, "...");
	if (b.len == 0)
		buf_puts(&b, "(untitled)");
	return buf_detach(&b);
}

#define F(f, kind) { offsetof(struct store_conv, f), STORE_COL_ ## kind }
/* The columns of STORE_CONV_COLS. */
static const struct store_col store_conv_cols[] = { F(id, INT64),
	F(title, TEXT_NN), F(created, INT64), F(updated, INT64),
	F(system, TEXT), F(template_name, TEXT), F(model_file, TEXT),
	F(model_sha256, TEXT), F(model_quant, TEXT), F(params_json, TEXT),
	F(archived, BOOL), F(current_leaf, INT64), F(uid, TEXT_NN) };
#undef F

void
store_conv_read(sqlite3_stmt *st, struct store_conv *c)
{
	memset(c, 0, sizeof *c);
	store_read_cols(store_conv_cols,
	    sizeof store_conv_cols / sizeof *store_conv_cols, st, c);
}

/* A row of STORE_CONV_LIST_SQL into the struct store_conv at p. */
static int
store_conv_read_list(struct store *s, sqlite3_stmt *st, void *p,
    char **cause)
{
	struct store_conv	*c = p;
	char			*first;

	(void)s;
	(void)cause;
	store_conv_read(st, c);
	c->n_messages = sqlite3_column_int(st, 13);
	first = store_col_text(st, 14);
	c->preview = first != NULL ? store_title_from_text(first) :
	    xstrdup("");
	free(first);
	return 0;
}

int
store_conv_found(struct store *s, int rc, int64_t id, char **cause)
{
	if (rc == 0)
		xasprintf(cause, "%s: no conversation %lld", s->name,
		    (long long)id);
	return rc == 1 ? 0 : -1;
}

int
store_conv_exists(struct store *s, int64_t id, char **cause)
{
	return store_conv_found(s, store_get(s, NULL, NULL,
	    "reading a conversation", cause, "SELECT 1 FROM conversations "
	    "WHERE id = ?", "I", id), id, cause);
}

int
store_msg_in_conv(struct store *s, int64_t conv, int64_t msg, char **cause)
{
	int	rc;

	rc = store_get(s, NULL, NULL, "reading a message", cause,
	    "SELECT 1 FROM messages WHERE id = ? AND conv_id = ?", "II", msg,
	    conv);
	if (rc == 0)
		xasprintf(cause, "%s: message %lld is not in conversation "
		    "%lld", s->name, (long long)msg, (long long)conv);
	return rc == 1 ? 0 : -1;
}

/* The INSERT of store_conv_create, inside the caller's transaction. */
static int
store_conv_insert(struct store *s, const struct store_conv *init,
    int64_t *id, char **cause)
{
	static const struct store_conv	 none;
	int64_t				 now = store_now();

	if (init == NULL)
		init = &none;
	if (store_exec(s, "creating a conversation", cause,
	    "INSERT INTO conversations (title, created, updated, system, "
	    "template, model_file, model_sha256, model_quant, params_json, "
	    "archived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "tIItttttti",
	    init->title != NULL ? init->title : "", now, now, init->system,
	    init->template_name, init->model_file, init->model_sha256,
	    init->model_quant, init->params_json,
	    init->archived != 0) != 0)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_conv_create(struct store *s, const struct store_conv *init,
    int64_t *id, char **cause)
{
	return store_conv_create_asked(s, init, NULL, id, NULL, cause);
}

int
store_conv_create_asked(struct store *s, const struct store_conv *init,
    const char *question, int64_t *id, int64_t *question_id, char **cause)
{
	int64_t	 conv = 0;
	int	 rc;

	do {	/* once more after a repair of the search index */
		if (store_begin(s, cause) != 0)
			return -1;
		rc = store_conv_insert(s, init, &conv, cause);
		if (rc == 0 && question != NULL)
			rc = store_msg_insert(s, conv, 0, STORE_ROLE_USER,
			    question, strlen(question), STORE_STATUS_COMPLETE,
			    NULL, question_id, cause);
		rc = store_end(s, rc, cause);
	} while (rc != 0 && store_retry(s, cause));
	if (rc == 0 && id != NULL)
		*id = conv;
	return rc;
}

int
store_conv_get(struct store *s, int64_t id, struct store_conv *out,
    char **cause)
{
	return store_conv_found(s, store_get(s, &store_conv_rows, out,
	    "reading a conversation", cause, STORE_CONV_LIST_SQL
	    "WHERE c.id = ?", "I", id), id, cause);
}

int
store_conv_list(struct store *s, const struct store_list_opts *o,
    struct store_conv **out, size_t *n, char **cause)
{
	static const struct store_list_opts	 all;

	if (o == NULL)
		o = &all;
	return store_get_all(s, &store_conv_rows, out, n,
	    "listing conversations", cause, STORE_CONV_LIST_SQL
	    "WHERE (?1 < 0 OR c.archived = ?1) "
	    "ORDER BY c.updated DESC, c.id DESC LIMIT ?2 OFFSET ?3", "iii",
	    o->archived, o->limit > 0 ? o->limit : -1,
	    o->offset > 0 ? o->offset : 0);
}

/*
 * Run one change of a conversation in a transaction: sql may use ?1 =
 * id, ?2 = now, ?3 = a, ?4 = b, ?5 = c, ?6 = ival.  "no conversation N"
 * if absent.
 */
static int
store_conv_update(struct store *s, int64_t id, const char *sql,
    const char *a, const char *b, const char *c, int ival, const char *what,
    char **cause)
{
	int	rc;

	do {
		if (store_begin(s, cause) != 0)
			return -1;
		rc = store_conv_exists(s, id, cause);
		if (rc == 0)
			rc = store_exec(s, what, cause, sql, "IIttti", id,
			    store_now(), a, b, c, ival);
		rc = store_end(s, rc, cause);
	} while (rc != 0 && store_retry(s, cause));
	return rc;
}

int
store_conv_rename(struct store *s, int64_t id, const char *title,
    char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET updated = "
	    "?2, title = ?3 WHERE id = ?1", title != NULL ? title : "", NULL,
	    NULL, 0, "renaming", cause);
}

int
store_conv_set_archived(struct store *s, int64_t id, int archived,
    char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET archived "
	    "= ?6 WHERE id = ?1", NULL, NULL, NULL, archived != 0,
	    "archiving", cause);
}

int
store_conv_set_system(struct store *s, int64_t id, const char *system,
    char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET updated = "
	    "?2, system = ?3 WHERE id = ?1", system, NULL, NULL, 0,
	    "setting the system message", cause);
}

int
store_conv_set_settings(struct store *s, int64_t id, const char *tmpl,
    const char *params_json, char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET updated = "
	    "?2, template = ?3, params_json = ?4 WHERE id = ?1", tmpl,
	    params_json, NULL, 0, "saving the settings", cause);
}

int
store_conv_set_model(struct store *s, int64_t id, const char *file,
    const char *sha256, const char *quant, char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET model_file "
	    "= ?3, model_sha256 = ?4, model_quant = ?5 WHERE id = ?1", file,
	    sha256, quant, 0, "saving the model", cause);
}

int
store_conv_delete(struct store *s, int64_t id, char **cause)
{
	/* Children first would be needed without ON DELETE CASCADE. */
	return store_conv_update(s, id, "DELETE FROM conversations WHERE id = "
	    "?1", NULL, NULL, NULL, 0, "deleting a conversation", cause);
}

/* From message id, follow the newest reply down to a leaf. */
static int64_t
store_descend(struct store *s, int64_t id)
{
	sqlite3_stmt	*st;
	int		 depth;

	if (sqlite3_prepare_v2(s->db, "SELECT max(id) FROM messages WHERE "
	    "parent_id = ?", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return id;
	}
	for (depth = 0; depth < 1000000; depth++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_ROW ||
		    sqlite3_column_type(st, 0) == SQLITE_NULL)
			break;
		id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return id;
}

int
store_conv_set_leaf(struct store *s, int64_t id, int64_t leaf,
    char **cause)
{
	int	rc;

	if (store_begin(s, cause) != 0)
		return -1;
	rc = store_msg_in_conv(s, id, leaf, cause);
	if (rc == 0)
		rc = store_exec(s, "choosing the alternative", cause,
		    "UPDATE conversations SET current_leaf = ? WHERE id = ?",
		    "II", store_descend(s, leaf), id);
	return store_end(s, rc, cause);
}

int
store_conv_models(struct store *s, int64_t conv,
    struct store_conv_model **out, size_t *n, char **cause)
{
	*out = NULL;
	*n = 0;
	if (store_conv_exists(s, conv, cause) != 0)
		return -1;
	return store_get_all(s, &store_cm_rows, out, n, "reading the models "
	    "of a conversation", cause, "SELECT model_file, model_quant, "
	    "model_sha256, endpoint_url, remote_model, count(*), max(id) "
	    "FROM messages WHERE conv_id = ? AND role = 'assistant' AND "
	    "coalesce(model_file, model_sha256) IS NOT NULL GROUP BY "
	    "model_file, model_quant, model_sha256, endpoint_url, "
	    "remote_model ORDER BY min(id)", "I", conv);
}

void
store_conv_models_free(struct store_conv_model *v, size_t n)
{
	store_rows_free(&store_cm_rows, v, n);
}

STORE_ROW_FREE(struct store_conv, store_conv_free, store_convs_free,
    store_conv_rows)
