/*
 * store-int.h -- what the files of the store (store.c, store-export.c)
 * share.  Nothing outside the store includes this: it is the only place
 * besides those files where the SQLite API is visible.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#ifndef MEDCHAT_STORE_INTERNAL
#error "store-int.h is private to src/store/: other layers include store.h"
#endif

#include <sqlite3.h>

#include "store.h"

struct store {
	sqlite3		*db;
	char		*path;		/* the database file */
	char		*name;		/* path made printable, for messages */
	char		*backup;	/* copy made before migrating, or NULL */
	int		 n_interrupted;	/* marked by this open */
	int		 readonly;	/* opened for reading only */
	int		 busy_ms;	/* how long to wait for a lock */
	int64_t		 busy_start;	/* monotonic ms of the first wait */
	struct store_advisory adv;	/* the advisory in force */
};

/* Columns read by store_msg_read(), in order. */
#define STORE_MSG_COLS \
	"id, conv_id, parent_id, role, content, created, updated, status, " \
	"error, model_file, model_quant, model_sha256, template, " \
	"params_json, seed, n_prompt, n_gen, prefill_tps, decode_tps, " \
	"trimmed, dropped_json"
/* Columns read by store_conv_read(), in order. */
#define STORE_CONV_COLS \
	"id, title, created, updated, system, template, model_file, " \
	"model_sha256, model_quant, params_json, archived, current_leaf"

/*
 * -1 and *cause = "<db file>: <what>: <reason from rc>".  Always
 * returns -1 so callers can `return store_fail(...)`.
 */
int	 store_fail(struct store *, int rc, const char *what, char **cause);
/* Prepare sql; -1 and *cause on failure. */
int	 store_prepare(struct store *, sqlite3_stmt **, const char *sql,
	    char **cause);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback never fails visibly). */
int	 store_begin(struct store *, char **cause);
int	 store_commit(struct store *, char **cause);
void	 store_rollback(struct store *);
/* Step st expecting SQLITE_DONE; finalizes st.  -1 with cause. */
int	 store_step_done(struct store *, sqlite3_stmt *, const char *what,
	    char **cause);

/* Bind s or NULL. */
int	 store_bind_text(sqlite3_stmt *, int, const char *);
/* Column as a new string, or NULL when SQL NULL. */
char	*store_col_text(sqlite3_stmt *, int);
/* Column as a new string, "" when SQL NULL. */
char	*store_col_text_nn(sqlite3_stmt *, int);

/* Fill out from a row of STORE_MSG_COLS / STORE_CONV_COLS. -1 if bad. */
int	 store_msg_read(struct store *, sqlite3_stmt *, struct store_msg *,
	    char **cause);
void	 store_conv_read(sqlite3_stmt *, struct store_conv *);
/* Bind the provenance columns in STORE_MSG_COLS order from index i. */
void	 store_prov_bind(sqlite3_stmt *, int i, const struct store_prov *);

/* ISO 8601 with milliseconds ("...T16:32:24.123Z"); parse back. */
char	*store_time_iso_ms(int64_t ms, char *buf, size_t len);
int	 store_time_parse(const char *, int64_t *ms);

#endif
