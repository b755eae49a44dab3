/*
 * store-search.c -- full-text search over titles and messages.
 *
 * The FTS5 tables conversations_fts and messages_fts (data/schema.sql)
 * are kept in step by triggers; a search ranks title hits above message
 * hits and returns a highlighted snippet.  The user's words are quoted
 * into an FTS5 query, so no text typed can be FTS5 syntax.
 *
 * A damaged index (emptied with FTS5's 'delete-all', a trigger dropped,
 * rows changed behind its back) is invisible to PRAGMA integrity_check:
 * searches find nothing and deleting a message fails as "corrupt".  So
 * the index is checked cheaply at every writable open, at the first
 * search of a store and when a search finds nothing (the six triggers
 * are there, the index holds as many rows as its table), fully (FTS5's own 'integrity-check' against the
 * content) when a write fails as corrupt, and rebuilt from the tables
 * when it is found wrong; the failed write is then tried again.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store-int.h"
#include "xmalloc.h"

static int	 store_hit_read(struct store *, sqlite3_stmt *, void *,
		     char **);
static int	 store_search_once(struct store *, const char *,
		     const char *, const char *, int, struct store_hit **,
		     size_t *, char **);

/* The triggers that keep the index in step (as data/schema.sql). */
static const char store_fts_triggers[] =
    "DROP TRIGGER IF EXISTS messages_fts_insert;"
    "DROP TRIGGER IF EXISTS messages_fts_delete;"
    "DROP TRIGGER IF EXISTS messages_fts_update;"
    "DROP TRIGGER IF EXISTS conversations_fts_insert;"
    "DROP TRIGGER IF EXISTS conversations_fts_delete;"
    "DROP TRIGGER IF EXISTS conversations_fts_update;"
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts (rowid, content) VALUES (new.id, "
    "new.content); END;"
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES "
    "('delete', old.id, old.content); END;"
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON "
    "messages BEGIN INSERT INTO messages_fts (messages_fts, rowid, "
    "content) VALUES ('delete', old.id, old.content); INSERT INTO "
    "messages_fts (rowid, content) VALUES (new.id, new.content); END;"
    "CREATE TRIGGER conversations_fts_insert AFTER INSERT ON "
    "conversations BEGIN INSERT INTO conversations_fts (rowid, title) "
    "VALUES (new.id, new.title); END;"
    "CREATE TRIGGER conversations_fts_delete AFTER DELETE ON "
    "conversations BEGIN INSERT INTO conversations_fts "
    "(conversations_fts, rowid, title) VALUES ('delete', old.id, "
    "old.title); END;"
    "CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON "
    "conversations BEGIN INSERT INTO conversations_fts "
    "(conversations_fts, rowid, title) VALUES ('delete', old.id, "
    "old.title); INSERT INTO conversations_fts (rowid, title) VALUES "
    "(new.id, new.title); END;"
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');"
    "INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');";

static const size_t store_hit_strs[] = { offsetof(struct store_hit, title),
	offsetof(struct store_hit, snippet) };
static const struct store_rowtype store_hit_rows =
    STORE_ROWTYPE(struct store_hit, store_hit_read, store_hit_strs);

char *
store_fts_query(const char *q, int prefix)
{
	struct buf	 b = BUF_INIT;
	const char	*p = q, *w;
	int		 any = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' &&
		    *p != '\r')
			p++;
		if (any)
			buf_putc(&b, ' ');
		buf_putc(&b, '"');
		for (; w < p; w++) {
			if (*w == '"')
				buf_putc(&b, '"');
			buf_putc(&b, *w);
		}
		buf_putc(&b, '"');
		any = 1;
	}
	if (prefix && any)
		buf_putc(&b, '*');
	if (!any)
		return xstrdup("");
	return buf_detach(&b);
}

/* A row of the search query into the struct store_hit at p. */
static int
store_hit_read(struct store *s, sqlite3_stmt *st, void *p, char **cause)
{
	struct store_hit	*h = p;
	const char		*role;

	(void)s;
	(void)cause;
	h->conv_id = sqlite3_column_int64(st, 0);
	h->msg_id = sqlite3_column_int64(st, 1);
	h->title = store_col_text_nn(st, 2);
	role = (const char *)sqlite3_column_text(st, 3);
	if (role == NULL || store_role_parse(role, &h->role) != 0)
		h->role = STORE_ROLE_USER;
	h->created = sqlite3_column_int64(st, 4);
	h->snippet = store_col_text_nn(st, 5);
	h->archived = sqlite3_column_int(st, 6) != 0;
	return 0;
}

/* Run the search for the FTS5 expression fq. */
static int
store_search_once(struct store *s, const char *fq, const char *mark_open,
    const char *mark_close, int limit, struct store_hit **out, size_t *n,
    char **cause)
{
	return store_get_all(s, &store_hit_rows, out, n, "searching", cause,
	    "SELECT conv_id, msg_id, title, role, created, snip, archived "
	    "FROM ("
	    "SELECT c.id AS conv_id, 0 AS msg_id, c.title AS title, "
	    "'' AS role, c.created AS created, "
	    "highlight(conversations_fts, 0, ?2, ?3) AS snip, "
	    "c.archived AS archived, bm25(conversations_fts) - 1000 AS rank "
	    "FROM conversations_fts JOIN conversations c "
	    "ON c.id = conversations_fts.rowid "
	    "WHERE conversations_fts MATCH ?1 "
	    "UNION ALL "
	    "SELECT m.conv_id, m.id, c.title, m.role, m.created, "
	    "snippet(messages_fts, 0, ?2, ?3, '...', 16), c.archived, "
	    "bm25(messages_fts) "
	    "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
	    "JOIN conversations c ON c.id = m.conv_id "
	    "WHERE messages_fts MATCH ?1) "
	    "ORDER BY rank, created DESC LIMIT ?4", "ttti", fq,
	    mark_open != NULL ? mark_open : "",
	    mark_close != NULL ? mark_close : "", limit > 0 ? limit : 100);
}

int
store_search(struct store *s, const char *query, int prefix,
    const char *mark_open, const char *mark_close, int limit,
    struct store_hit **out, size_t *n, char **cause)
{
	char	*fq;
	int	 rc;

	*out = NULL;
	*n = 0;
	fq = store_fts_query(query, prefix);
	if (*fq == '\0') {
		free(fq);
		return 0;
	}
	/* Once per store: the index may have been damaged since the open. */
	if (!s->fts_checked) {
		s->fts_checked = 1;
		store_fts_repair(s, 0);
	}
	rc = store_search_once(s, fq, mark_open, mark_close, limit, out, n,
	    cause);
	/* Nothing found, or an error: is the index whole? */
	if (((rc == 0 && *n == 0) || (rc != 0 &&
	    (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CORRUPT)) &&
	    store_fts_repair(s, rc != 0) == 1) {
		if (rc != 0) {
			free(*cause);
			*cause = NULL;
		}
		store_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
		rc = store_search_once(s, fq, mark_open, mark_close, limit,
		    out, n, cause);
	}
	free(fq);
	return rc;
}

/*
 * Is the index whole?  Cheap: the six triggers exist and each index has
 * as many rows as its table; full adds FTS5's 'integrity-check' of the
 * index against the tables.  1 if whole, 0 if not (or on an error).
 */
static int
store_fts_whole(struct store *s, int full)
{
	int64_t	ok = 0;

	if (store_get(s, &store_int64_row, &ok, "checking the search index",
	    NULL, "SELECT (SELECT count(*) FROM sqlite_master WHERE type = "
	    "'trigger' AND name IN ('messages_fts_insert', "
	    "'messages_fts_delete', 'messages_fts_update', "
	    "'conversations_fts_insert', 'conversations_fts_delete', "
	    "'conversations_fts_update')) = 6 AND "
	    "(SELECT count(*) FROM messages_fts_docsize) = "
	    "(SELECT count(*) FROM messages) AND "
	    "(SELECT count(*) FROM conversations_fts_docsize) = "
	    "(SELECT count(*) FROM conversations)", "") != 1 || ok != 1)
		return 0;
	if (!full)
		return 1;
	return sqlite3_exec(s->db, "INSERT INTO messages_fts (messages_fts, "
	    "rank) VALUES ('integrity-check', 1); INSERT INTO "
	    "conversations_fts (conversations_fts, rank) VALUES "
	    "('integrity-check', 1)", NULL, NULL, NULL) == SQLITE_OK;
}

int
store_fts_repair(struct store *s, int full)
{
	int	rc;

	if (s->readonly || s->in_repair || store_fts_whole(s, full))
		return 0;
	s->in_repair = 1;
	rc = store_begin(s, NULL);
	if (rc == 0)
		rc = sqlite3_exec(s->db, store_fts_triggers, NULL, NULL,
		    NULL) == SQLITE_OK ? 0 : -1;
	rc = store_end(s, rc, NULL);
	s->in_repair = 0;
	s->fts_repaired = 0;
	return rc == 0 ? 1 : -1;
}

void
store_hits_free(struct store_hit *v, size_t n)
{
	store_rows_free(&store_hit_rows, v, n);
}
