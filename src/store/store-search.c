/*
 * store-search.c -- full-text search over titles and messages.
 *
 * The FTS5 tables conversations_fts and messages_fts (data/schema.sql)
 * are kept in step by triggers; a search ranks title hits above message
 * hits and returns a highlighted snippet.  The user's words are quoted
 * into an FTS5 query, so no text typed can be FTS5 syntax.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store-int.h"
#include "xmalloc.h"

static int	 store_hit_read(struct store *, sqlite3_stmt *, void *,
		     char **);

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
	rc = store_get_all(s, &store_hit_rows, out, n, "searching", cause,
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
	free(fq);
	return rc;
}

void
store_hits_free(struct store_hit *v, size_t n)
{
	store_rows_free(&store_hit_rows, v, n);
}
