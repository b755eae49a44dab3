/*
 * store-msg.c -- messages: the tree of questions and answers in a
 * conversation (a message's parent is the one it answers or follows;
 * siblings of one role are alternatives), and the streaming writer that
 * saves an answer while it is generated.
 *
 * A streamed answer is inserted as 'streaming' with writer_pid set as
 * soon as there is text, rewritten at most every STORE_STREAM_FLUSH_MS,
 * and finished with its final status and provenance; a process that dies
 * meanwhile leaves a row that the next open marks 'interrupted'
 * (store-open.c).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "store-int.h"
#include "xmalloc.h"

static int	 store_msg_read_row(struct store *, sqlite3_stmt *, void *,
		     char **);
static int	 store_msg_changed(struct store *, int64_t, char **);
static void	 store_prov_copy(struct store_prov *,
		     const struct store_prov *);
static int	 store_stream_save(struct store_stream *, char **);

/* The strings of a struct store_prov, and of a struct store_msg. */
#define STORE_PROV_STRS(F) F(model_file), F(model_quant), F(model_sha256), \
	F(template_name), F(params_json), F(dropped_json), F(system), \
	F(endpoint), F(endpoint_url), F(remote_model), F(server_model), \
	F(fingerprint), F(request_json)
#define P(f) offsetof(struct store_prov, f)
#define M(f) offsetof(struct store_msg, prov.f)
static const size_t store_prov_strs[] = { STORE_PROV_STRS(P) };
static const size_t store_msg_strs[] = { STORE_PROV_STRS(M),
	offsetof(struct store_msg, content), offsetof(struct store_msg, error) };
#undef P
#undef M
static const struct store_rowtype store_prov_type =
    STORE_ROWTYPE(struct store_prov, NULL, store_prov_strs);
/* A row of STORE_MSG_COLS. */
static const struct store_rowtype store_msg_rows =
    STORE_ROWTYPE(struct store_msg, store_msg_read_row, store_msg_strs);

int
store_msg_read(struct store *s, sqlite3_stmt *st, struct store_msg *m,
    char **cause)
{
	const char	*role, *status;

	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(st, 0);
	role = (const char *)sqlite3_column_text(st, 3);
	status = (const char *)sqlite3_column_text(st, 7);
	if (role == NULL || store_role_parse(role, &m->role) != 0) {
		xasprintf(cause, "%s: message %lld has an unknown role",
		    s->name, (long long)m->id);
		return -1;
	}
	if (status == NULL || store_status_parse(status, &m->status) != 0) {
		xasprintf(cause, "%s: message %lld has an unknown status",
		    s->name, (long long)m->id);
		return -1;
	}
	m->conv_id = sqlite3_column_int64(st, 1);
	m->parent_id = sqlite3_column_int64(st, 2);
	m->content = store_col_text_nn(st, 4);
	m->created = sqlite3_column_int64(st, 5);
	m->updated = sqlite3_column_int64(st, 6);
	m->error = store_col_text(st, 8);
	m->prov.model_file = store_col_text(st, 9);
	m->prov.model_quant = store_col_text(st, 10);
	m->prov.model_sha256 = store_col_text(st, 11);
	m->prov.template_name = store_col_text(st, 12);
	m->prov.params_json = store_col_text(st, 13);
	m->prov.has_seed = sqlite3_column_type(st, 14) != SQLITE_NULL;
	m->prov.seed = (uint64_t)sqlite3_column_int64(st, 14);
	m->prov.n_prompt = sqlite3_column_int(st, 15);
	m->prov.n_gen = sqlite3_column_int(st, 16);
	m->prov.prefill_tps = sqlite3_column_double(st, 17);
	m->prov.decode_tps = sqlite3_column_double(st, 18);
	m->prov.trimmed = sqlite3_column_int(st, 19) != 0;
	m->prov.dropped_json = store_col_text(st, 20);
	m->prov.system = store_col_text(st, 21);
	m->prov.endpoint = store_col_text(st, 22);
	m->prov.endpoint_url = store_col_text(st, 23);
	m->prov.remote_model = store_col_text(st, 24);
	m->prov.server_model = store_col_text(st, 25);
	m->prov.fingerprint = store_col_text(st, 26);
	m->prov.request_json = store_col_text(st, 27);
	return 0;
}

void
store_prov_bind(sqlite3_stmt *st, int i, const struct store_prov *p)
{
	static const struct store_prov	none;

	if (p == NULL)
		p = &none;
	store_bind_text(st, i, p->model_file);
	store_bind_text(st, i + 1, p->model_quant);
	store_bind_text(st, i + 2, p->model_sha256);
	store_bind_text(st, i + 3, p->template_name);
	store_bind_text(st, i + 4, p->params_json);
	if (p->has_seed)
		sqlite3_bind_int64(st, i + 5, (sqlite3_int64)p->seed);
	else
		sqlite3_bind_null(st, i + 5);
	sqlite3_bind_int(st, i + 6, p->n_prompt);
	sqlite3_bind_int(st, i + 7, p->n_gen);
	sqlite3_bind_double(st, i + 8, p->prefill_tps);
	sqlite3_bind_double(st, i + 9, p->decode_tps);
	sqlite3_bind_int(st, i + 10, p->trimmed != 0);
	store_bind_text(st, i + 11, p->dropped_json);
	store_bind_text(st, i + 12, p->endpoint);
	store_bind_text(st, i + 13, p->endpoint_url);
	store_bind_text(st, i + 14, p->remote_model);
	store_bind_text(st, i + 15, p->server_model);
	store_bind_text(st, i + 16, p->fingerprint);
	store_bind_text(st, i + 17, p->request_json);
}

/* store_msg_read as a store_row_fn. */
static int
store_msg_read_row(struct store *s, sqlite3_stmt *st, void *p, char **cause)
{
	return store_msg_read(s, st, p, cause);
}

/*
 * Insert a message inside the caller's transaction and move the
 * conversation's leaf and time to it; name an untitled conversation
 * after its first question.
 */
int
store_msg_insert(struct store *s, int64_t conv, int64_t parent,
    enum store_role role, const char *content, size_t len,
    enum store_status status, const struct store_prov *prov, int64_t *id,
    char **cause)
{
	int64_t		 now = store_now(), mid;
	char		*title;
	int		 rc;

	if (store_conv_exists(s, conv, cause) != 0)
		return -1;
	if (parent != 0 && store_msg_in_conv(s, conv, parent, cause) != 0)
		return -1;
	if (store_exec(s, "saving a message", cause, "INSERT INTO messages "
	    "(conv_id, parent_id, role, content, created, updated, status, "
	    "writer_pid, model_file, model_quant, model_sha256, template, "
	    "params_json, seed, n_prompt, n_gen, prefill_tps, decode_tps, "
	    "trimmed, dropped_json, endpoint, endpoint_url, remote_model, "
	    "server_model, fingerprint, request_json) VALUES (?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "IztbIItzp", conv, parent,
	    store_role_name(role), content, len, now, now,
	    store_status_name(status), status == STORE_STATUS_STREAMING ?
	    (int64_t)getpid() : (int64_t)0, prov) != 0)
		return -1;
	mid = sqlite3_last_insert_rowid(s->db);
	if (role == STORE_ROLE_ASSISTANT && store_msg_set_system(s, mid, conv,
	    prov != NULL ? prov->system : NULL, cause) != 0)
		return -1;
	if (store_exec(s, "saving a message", cause, "UPDATE conversations "
	    "SET updated = ?, current_leaf = ? WHERE id = ?", "III", now, mid,
	    conv) != 0)
		return -1;
	if (role == STORE_ROLE_USER) {
		title = store_title_from_text(content);
		rc = store_exec(s, "naming the conversation", cause,
		    "UPDATE conversations SET title = ? WHERE id = ? AND "
		    "title = ''", "tI", title, conv);
		free(title);
		if (rc != 0)
			return -1;
	}
	if (id != NULL)
		*id = mid;
	return 0;
}

int
store_msg_set_system(struct store *s, int64_t id, int64_t conv,
    const char *system, char **cause)
{
	if (store_exec(s, "saving the system message", cause, "INSERT OR "
	    "IGNORE INTO system_texts (text) SELECT t FROM (SELECT "
	    "coalesce(?1, (SELECT system FROM conversations WHERE id = ?2)) "
	    "AS t) WHERE t IS NOT NULL AND t != ''", "tI", system, conv) != 0)
		return -1;
	return store_exec(s, "saving the system message", cause, "UPDATE "
	    "messages SET system_id = (SELECT id FROM system_texts WHERE "
	    "text = coalesce(?1, (SELECT system FROM conversations WHERE "
	    "id = ?2))) WHERE id = ?3", "tII", system, conv, id);
}

int
store_msg_add(struct store *s, int64_t conv, int64_t parent,
    enum store_role role, const char *content, enum store_status status,
    const struct store_prov *prov, int64_t *id, char **cause)
{
	int	rc;

	if (content == NULL)
		content = "";
	if (store_begin(s, cause) != 0)
		return -1;
	rc = store_msg_insert(s, conv, parent, role, content, strlen(content),
	    status, prov, id, cause);
	return store_end(s, rc, cause);
}

/*
 * After a store_write that updates message id: 0 if it changed the row,
 * else -1 and "no message N" (nothing was changed; COMMIT leaves the
 * count of changed rows alone).
 */
static int
store_msg_changed(struct store *s, int64_t id, char **cause)
{
	if (sqlite3_changes(s->db) == 1)
		return 0;
	xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
	return -1;
}

int
store_msg_update(struct store *s, int64_t id, const char *content,
    size_t len, enum store_status status, char **cause)
{
	if (len > INT_MAX) {
		xasprintf(cause, "%s: message too long", s->name);
		return -1;
	}
	if (store_write(s, "saving a message", cause, "UPDATE messages SET "
	    "content = ?, updated = ?, status = ?, writer_pid = ? "
	    "WHERE id = ?", "bItzI", content, strnlen(content, len),
	    store_now(), store_status_name(status),
	    status == STORE_STATUS_STREAMING ? (int64_t)getpid() : (int64_t)0,
	    id) != 0)
		return -1;
	return store_msg_changed(s, id, cause);
}

int
store_msg_finish(struct store *s, int64_t id, enum store_status status,
    const char *error, const struct store_prov *prov, char **cause)
{
	const char	*sys = prov != NULL ? prov->system : NULL;

	/* A new system text first (kept even if the update fails). */
	if (sys != NULL && *sys != '\0' && store_write(s, "saving the "
	    "system message", cause, "INSERT OR IGNORE INTO system_texts "
	    "(text) VALUES (?)", "t", sys) != 0)
		return -1;
	/* Without prov, ?4 to ?21 and ?23 are bound but not used. */
	if (store_write(s, "finishing a message", cause, prov != NULL ?
	    "UPDATE messages SET status = ?1, error = ?2, updated = ?3, "
	    "writer_pid = NULL, model_file = ?4, model_quant = ?5, "
	    "model_sha256 = ?6, template = ?7, params_json = ?8, seed = ?9, "
	    "n_prompt = ?10, n_gen = ?11, prefill_tps = ?12, "
	    "decode_tps = ?13, trimmed = ?14, dropped_json = ?15, "
	    "endpoint = ?16, endpoint_url = ?17, remote_model = ?18, "
	    "server_model = ?19, fingerprint = ?20, request_json = ?21, "
	    "system_id = CASE WHEN ?23 IS NULL THEN system_id "
	    "ELSE (SELECT id FROM system_texts WHERE text = ?23) END "
	    "WHERE id = ?22" :
	    "UPDATE messages SET status = ?1, error = ?2, updated = ?3, "
	    "writer_pid = NULL WHERE id = ?22", "ttIpIt",
	    store_status_name(status), error, store_now(), prov, id,
	    sys) != 0)
		return -1;
	return store_msg_changed(s, id, cause);
}

int
store_msg_get(struct store *s, int64_t id, struct store_msg *out,
    char **cause)
{
	int	rc;

	rc = store_get(s, &store_msg_rows, out, "reading a message", cause,
	    "SELECT " STORE_MSG_COLS " FROM messages WHERE id = ?", "I", id);
	if (rc == 0)
		xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
	return rc == 1 ? 0 : -1;
}

int
store_msg_list(struct store *s, int64_t conv, struct store_msg **out,
    size_t *n, char **cause)
{
	return store_get_all(s, &store_msg_rows, out, n, "reading messages",
	    cause, "SELECT " STORE_MSG_COLS " FROM messages WHERE conv_id = ? "
	    "ORDER BY id", "I", conv);
}

int
store_msg_path(struct store *s, int64_t conv, int64_t leaf,
    struct store_msg **out, size_t *n, char **cause)
{
	struct store_msg	*v;
	size_t			 nv, i;

	*out = NULL;
	*n = 0;
	if (leaf == 0) {
		if (store_conv_found(s, store_get(s, &store_int64_row, &leaf,
		    "reading a conversation", cause, "SELECT coalesce("
		    "c.current_leaf, (SELECT max(id) FROM messages m WHERE "
		    "m.conv_id = c.id)) FROM conversations c WHERE c.id = ?",
		    "I", conv), conv, cause) != 0)
			return -1;
		if (leaf == 0)
			return 0;
	}
	/* The depth bound stops a parent cycle in a damaged file. */
	if (store_get_all(s, &store_msg_rows, &v, &nv, "reading messages",
	    cause, "WITH RECURSIVE p(id, depth) AS ("
	    "SELECT ?1, 0 UNION ALL SELECT m.parent_id, p.depth + 1 "
	    "FROM messages m JOIN p ON m.id = p.id "
	    "WHERE m.parent_id IS NOT NULL AND p.depth < 100000) "
	    "SELECT " STORE_MSG_COLS " FROM messages JOIN p USING (id) "
	    "WHERE conv_id = ?2 ORDER BY p.depth DESC", "II", leaf, conv) != 0)
		return -1;
	/*
	 * A whole chain, or the file is damaged: a first message, then each
	 * the child of the one before (a parent cycle, a parent in another
	 * conversation or a missing one would otherwise give up to 100000
	 * repeated or partial messages).
	 */
	for (i = 0; i < nv; i++) {
		if (v[i].parent_id != (i == 0 ? 0 : v[i - 1].id) ||
		    (i == nv - 1 && v[i].id != leaf)) {
			xasprintf(cause, "%s: conversation %lld: the messages "
			    "before message %lld do not form a chain (damaged "
			    "database)", s->name, (long long)conv,
			    (long long)leaf);
			store_msgs_free(v, nv);
			return -1;
		}
	}
	*out = v;
	*n = nv;
	return 0;
}

int
store_msg_alternatives(struct store *s, int64_t id, int64_t **ids,
    size_t *n, size_t *index, char **cause)
{
	int64_t	*v;
	size_t	 nv, i;

	*ids = NULL;
	*n = 0;
	*index = 0;
	if (store_get_all(s, &store_int64_row, &v, &nv,
	    "reading alternatives", cause, "SELECT b.id FROM messages a JOIN "
	    "messages b ON b.conv_id = a.conv_id AND b.role = a.role AND "
	    "b.parent_id IS a.parent_id WHERE a.id = ? ORDER BY b.id", "I",
	    id) != 0)
		return -1;
	if (nv == 0) {
		xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
		return -1;
	}
	for (i = 0; i < nv; i++) {
		if (v[i] == id)
			*index = i;
	}
	*ids = v;
	*n = nv;
	return 0;
}

int
store_msg_descend(struct store *s, int64_t id, int64_t *leaf, char **cause)
{
	int64_t	*v;
	size_t	 nv;

	/*
	 * One row per level, the newest child each time: rows come out
	 * level by level, so the last one is the deepest.  The depth
	 * bound stops a parent cycle in a damaged file (store_msg_path
	 * then refuses the path).
	 */
	if (store_get_all(s, &store_int64_row, &v, &nv,
	    "reading a continuation", cause, "WITH RECURSIVE d(id, depth) AS "
	    "(SELECT id, 0 FROM messages WHERE id = ? UNION ALL SELECT "
	    "(SELECT max(m.id) FROM messages m WHERE m.parent_id = d.id), "
	    "d.depth + 1 FROM d WHERE d.id IS NOT NULL AND d.depth < 100000) "
	    "SELECT id FROM d WHERE id IS NOT NULL ORDER BY depth", "I",
	    id) != 0)
		return -1;
	if (nv == 0) {
		free(v);
		xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
		return -1;
	}
	*leaf = v[nv - 1];
	free(v);
	return 0;
}

int
store_system_changes(const struct store_msg *v, size_t n, size_t i)
{
	const char	*a, *b;
	size_t		 j;

	if (i >= n || v[i].role != STORE_ROLE_ASSISTANT)
		return 0;
	for (j = i; j-- > 0;) {
		if (v[j].role != STORE_ROLE_ASSISTANT)
			continue;
		a = v[j].prov.system;
		b = v[i].prov.system;
		return (a == NULL) != (b == NULL) ||
		    (a != NULL && strcmp(a, b) != 0);
	}
	return 1;
}

char *
store_prov_remote(const struct store_prov *p)
{
	struct buf	b = BUF_INIT;

	if (p->endpoint_url == NULL)
		return NULL;
	buf_puts(&b, "remote: ");
	if (p->endpoint != NULL)
		buf_printf(&b, "%s ", p->endpoint);
	buf_printf(&b, "%s, model %s", p->endpoint_url,
	    p->remote_model != NULL ? p->remote_model : "?");
	if (p->server_model != NULL || p->fingerprint != NULL) {
		buf_puts(&b, " (");
		if (p->server_model != NULL)
			buf_printf(&b, "server: %s", p->server_model);
		if (p->fingerprint != NULL)
			buf_printf(&b, "%sfingerprint %s",
			    p->server_model != NULL ? ", " : "",
			    p->fingerprint);
		buf_putc(&b, ')');
	}
	buf_printf(&b, ", %s", p->template_name != NULL ? p->template_name :
	    "server template");
	return buf_detach(&b);
}

void
store_prov_free(struct store_prov *p)
{
	store_row_free(&store_prov_type, p);
}

STORE_ROW_FREE(struct store_msg, store_msg_free, store_msgs_free,
    store_msg_rows)

/* ---- streaming ------------------------------------------------------- */

struct store_stream {
	struct store		*s;
	int64_t			 conv;
	int64_t			 parent;
	int64_t			 id;		/* 0 until the row exists */
	struct store_prov	 prov;		/* deep copy */
	struct buf		 text;
	size_t			 saved;		/* bytes in the row */
	int64_t			 last;		/* monotonic ms of last save */
};

static void
store_prov_copy(struct store_prov *dst, const struct store_prov *src)
{
	char	**f;
	size_t	  i;

	memset(dst, 0, sizeof *dst);
	if (src == NULL)
		return;
	*dst = *src;
	for (i = 0; i < store_prov_type.nstrs; i++) {
		f = (char **)((char *)dst + store_prov_strs[i]);
		if (*f != NULL)
			*f = xstrdup(*f);
	}
}

struct store_stream *
store_stream_start(struct store *s, int64_t conv, int64_t parent,
    const struct store_prov *prov)
{
	struct store_stream	*ss;

	ss = xcalloc(1, sizeof *ss);
	ss->s = s;
	ss->conv = conv;
	ss->parent = parent;
	store_prov_copy(&ss->prov, prov);
	return ss;
}

/* Create the row, or rewrite its content; 'streaming' while open. */
static int
store_stream_save(struct store_stream *ss, char **cause)
{
	struct store	*s = ss->s;
	int		 rc;

	if (ss->id == 0) {
		if (store_begin(s, cause) != 0)
			return -1;
		rc = store_msg_insert(s, ss->conv, ss->parent,
		    STORE_ROLE_ASSISTANT, buf_str(&ss->text), ss->text.len,
		    STORE_STATUS_STREAMING, &ss->prov, &ss->id, cause);
		if (store_end(s, rc, cause) != 0) {
			ss->id = 0;
			return -1;
		}
	} else if (store_msg_update(s, ss->id, buf_str(&ss->text),
	    ss->text.len, STORE_STATUS_STREAMING, cause) != 0)
		return -1;
	ss->saved = ss->text.len;
	ss->last = store_mono_ms();
	return 0;
}

int
store_stream_append(struct store_stream *ss, const char *text, size_t len,
    char **cause)
{
	buf_append(&ss->text, text, len);
	if (ss->id != 0 &&
	    store_mono_ms() - ss->last < STORE_STREAM_FLUSH_MS)
		return 0;
	if (ss->id != 0 && ss->saved == ss->text.len)
		return 0;
	return store_stream_save(ss, cause);
}

int
store_stream_tick(struct store_stream *ss, char **cause)
{
	if (ss->id == 0 || ss->saved == ss->text.len ||
	    store_mono_ms() - ss->last < STORE_STREAM_FLUSH_MS)
		return 0;
	return store_stream_save(ss, cause);
}

int
store_stream_finish(struct store_stream *ss, enum store_status status,
    const char *error, const struct store_prov *prov, int64_t *id,
    char **cause)
{
	struct store	*s = ss->s;

	if (prov != NULL) {
		store_prov_free(&ss->prov);
		store_prov_copy(&ss->prov, prov);
	}
	if (ss->id == 0 || ss->saved != ss->text.len) {
		if (store_stream_save(ss, cause) != 0)
			return -1;
	}
	if (store_msg_finish(s, ss->id, status, error, &ss->prov, cause) != 0)
		return -1;
	if (id != NULL)
		*id = ss->id;
	return 0;
}

int64_t
store_stream_id(const struct store_stream *ss)
{
	return ss->id;
}

const char *
store_stream_text(const struct store_stream *ss)
{
	return buf_str(&ss->text);
}

void
store_stream_free(struct store_stream *ss)
{
	if (ss == NULL)
		return;
	store_prov_free(&ss->prov);
	buf_free(&ss->text);
	free(ss);
}

