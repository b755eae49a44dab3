/*
 * store-int.h -- what the files of the store share.  Nothing outside the
 * store includes this: it is the only header where the SQLite API is
 * visible, and every .c file in src/store/ includes it.
 *
 * The store's files, by subject:
 *   store-sql.c      the shared SQLite helpers (errors, binding, one-row
 *                    and many-row readers, transactions), time, names
 *   store-open.c     open, read-only open, migrations, backup, close
 *   store-file.c     a database's bytes through SQLite's file layer
 *   store-conv.c     conversations
 *   store-msg.c      messages, alternatives, streaming partial saves
 *   store-search.c   full-text search
 *   store-settings.c key/value settings
 *   store-catalog.c  the model catalog and its sha256 cache
 *   store-ack.c      advisory acknowledgements, remote consents
 *   store-export.c   export to Markdown, text and JSON
 *   store-import.c   import from JSON
 *   store-measure.c  measurements of model files, speeds from answers
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#ifndef MEDCHAT_STORE_INTERNAL
#error "store-int.h is private to src/store/: other layers include store.h"
#endif

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>

#include <sqlite3.h>

#include "store.h"

struct store {
	sqlite3		*db;
	char		*path;		/* the database file */
	char		*name;		/* path made printable, for messages */
	char		*backup;	/* copy made before migrating, or NULL */
	int		 n_interrupted;	/* marked by this open */
	int		 readonly;	/* opened for reading only */
	char		*snapdir;	/* private copy read instead, or NULL */
	int		 in_repair;	/* store_fts_repair running */
	int		 fts_checked;	/* by the first store_search */
	int		 fts_repaired;	/* ... rebuilt the index after a
					   write failed: try it again */
	int		 busy_ms;	/* how long to wait for a lock */
	int64_t		 busy_start;	/* monotonic ms of the first wait */
	unsigned long	 lock_failures;	/* calls that gave up on a lock
					   (store_fail) */
	struct store_advisory adv;	/* the advisory in force */
};

/*
 * PRAGMA application_id of a medchat database ("MDCH"), set by migration
 * 4 of data/schema.sql: store_open refuses an SQLite file holding
 * another application's id or tables before changing anything in it.
 */
#define STORE_APPLICATION_ID	0x4d444348u

/*
 * The longest title import accepts, in bytes (titles made from a first
 * question are at most ~64; a longer one is no title but a mistake or an
 * attack on the list's layout).
 */
#define STORE_TITLE_MAX		1000
#define STORE_TITLE_MAX_STR	"1000"

/* The JSON export's "format" and "version" (store-export/import.c). */
#define STORE_EXPORT_FORMAT	"medchat-export"
#define STORE_EXPORT_VERSION	1

/* Columns read by store_msg_read(), in order. */
#define STORE_MSG_COLS \
	"id, conv_id, parent_id, role, content, created, updated, status, " \
	"error, model_file, model_quant, model_sha256, template, " \
	"params_json, seed, n_prompt, n_gen, prefill_tps, decode_tps, " \
	"trimmed, dropped_json, " \
	"(SELECT text FROM system_texts WHERE system_texts.id = system_id), " \
	"endpoint, endpoint_url, remote_model, server_model, fingerprint, " \
	"request_json"
/* Columns read by store_conv_read(), in order. */
#define STORE_CONV_COLS \
	"id, title, created, updated, system, template, model_file, " \
	"model_sha256, model_quant, params_json, archived, current_leaf, uid"

/*
 * Reads the current row of a statement into the zeroed element at p (of
 * the type the caller collects); 0, or -1 and *cause with nothing left
 * allocated in the element.
 */
typedef int	(*store_row_fn)(struct store *, sqlite3_stmt *, void *,
		    char **);

/* How column i of a row is read into field i of a column list. */
enum store_col_kind {
	STORE_COL_INT64,	/* an int64_t (or uint64_t) */
	STORE_COL_INT,		/* an int */
	STORE_COL_BOOL,		/* an int: 1 if the column is not 0 */
	STORE_COL_TEXT,		/* a char *: a new string, NULL for NULL */
	STORE_COL_TEXT_NN	/* a char *: a new string, "" for NULL */
};
struct store_col {
	size_t			off;	/* of the field in the element */
	enum store_col_kind	kind;
};

/*
 * What a reader needs to know of a row type: the element's size, and
 * either how to read one (fn) and the offsets of the heap strings it
 * owns, or its columns in order (cols: read and freed by the kinds
 * above).  store_row_free frees those strings; every other field is
 * plain data.
 */
struct store_rowtype {
	size_t			 size;
	store_row_fn		 read;
	const size_t		*strs;
	size_t			 nstrs;
	const struct store_col	*cols;
	size_t			 ncols;
};
/* The row type of a type read by fn, owning the strings at strs[]. */
#define STORE_ROWTYPE(type, fn, strs) \
	{ sizeof (type), fn, strs, sizeof strs / sizeof *strs, NULL, 0 }
/* Columns 0..n-1 of st's current row into the fields at p, as cols says. */
void	 store_read_cols(const struct store_col *cols, size_t n,
	    sqlite3_stmt *st, void *p);
/* The row type of a type read column by column as cols[] says. */
#define STORE_ROWCOLS(type, cols) \
	{ sizeof (type), NULL, NULL, 0, cols, sizeof cols / sizeof *cols }

/* ---- store-sql.c ----------------------------------------------------- */

/*
 * -1 and *cause = "<db file>: <what>: <reason from rc>".  Always
 * returns -1 so callers can `return store_fail(...)`.
 */
int	 store_fail(struct store *, int rc, const char *what, char **cause);
/* store_fail with the connection's last error code. */
int	 store_fail_last(struct store *, const char *what, char **cause);
/* Prepare sql; -1 and *cause on failure. */
int	 store_prepare(struct store *, sqlite3_stmt **, const char *sql,
	    char **cause);
/*
 * store_vquery: prepare sql and bind the values in ap, one per letter of
 * types,
 * to ?1, ?2...:
 *   'i' int              'I' int64_t          'd' double
 *   'z' int64_t id: 0 binds NULL
 *   't' const char *: NULL binds NULL
 *   'b' const char *, size_t: text of that length
 *   'p' const struct store_prov *: its twelve columns in STORE_MSG_COLS
 *       order (NULL binds the defaults)
 * -1 and *cause if preparing fails.
 */
int	 store_vquery(struct store *, sqlite3_stmt **, char **cause,
	    const char *sql, const char *types, va_list);
/* Step st expecting SQLITE_DONE; finalizes st.  -1 with cause. */
int	 store_step_done(struct store *, sqlite3_stmt *, const char *what,
	    char **cause);
/* store_query + store_step_done, in the caller's transaction if any. */
/* store-msg.c: one message, inside the caller's transaction. */
int	 store_msg_insert(struct store *, int64_t conv, int64_t parent,
	    enum store_role, const char *content, size_t len,
	    enum store_status, const struct store_prov *, int64_t *id,
	    char **cause);
int	 store_exec(struct store *, const char *what, char **cause,
	    const char *sql, const char *types, ...);
/* store_exec in a transaction of its own (BEGIN IMMEDIATE ... COMMIT). */
int	 store_write(struct store *, const char *what, char **cause,
	    const char *sql, const char *types, ...);
/*
 * Run a query for at most one row: 1 with the row read by rt into out
 * (rt NULL: only say whether there is one), 0 when there is none (out
 * zeroed), -1 and *cause (what names the work) on error.
 */
int	 store_get(struct store *, const struct store_rowtype *, void *out,
	    const char *what, char **cause, const char *sql,
	    const char *types, ...);
/*
 * Run a query and read every row with rt into a new array: 0 with the
 * array (NULL when there is no row) in the pointer at out (the address
 * of a `T *` for rt's element type T) and *n, or -1 and *cause (what
 * names the work) with NULL there and nothing allocated.
 */
int	 store_get_all(struct store *, const struct store_rowtype *,
	    void *out, size_t *n, const char *what, char **cause,
	    const char *sql, const char *types, ...);
/* Step st to its end like store_get_all; finalizes st. */
int	 store_collect(struct store *, sqlite3_stmt *,
	    const struct store_rowtype *, void *out, size_t *n,
	    const char *what, char **cause);
/* Free the strings of one element (then zero it) / of n and the array. */
void	 store_row_free(const struct store_rowtype *, void *);
void	 store_rows_free(const struct store_rowtype *, void *, size_t);
/*
 * Define a row type's public free functions (declared in store.h): one
 * for an element, one for an array of n.
 */
#define STORE_ROW_FREE(type, one, many, rt)				\
void one(type *p) { store_row_free(&(rt), p); }				\
void many(type *v, size_t n) { store_rows_free(&(rt), v, n); }
/* Column 0 as an int64_t / as a char * (a new string, "" for NULL). */
extern const struct store_rowtype store_int64_row;
extern const struct store_rowtype store_text_row;

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback never fails visibly). */
int	 store_begin(struct store *, char **cause);
int	 store_commit(struct store *, char **cause);
void	 store_rollback(struct store *);
/*
 * COMMIT if rc is 0, else ROLLBACK; returns 0 or -1.  A write that failed
 * as corrupt has the search index checked and, if it was damaged,
 * rebuilt (store_fts_repair): store_retry then says to try once more.
 */
int	 store_end(struct store *, int rc, char **cause);
/* 1 (and *cause freed) if the failed write should be tried again. */
int	 store_retry(struct store *, char **cause);

/* Bind s or NULL. */
int	 store_bind_text(sqlite3_stmt *, int, const char *);
/* Column as a new string, or NULL when SQL NULL. */
char	*store_col_text(sqlite3_stmt *, int);
/* Column as a new string, "" when SQL NULL. */
char	*store_col_text_nn(sqlite3_stmt *, int);

/*
 * 1 if text has a visible character: not only white space, zero-width
 * characters (U+200B-U+200D, U+2060, U+FEFF, soft hyphen...) or bidi
 * controls (U+200E/F, U+202A-U+202E, U+2066-U+2069, U+061C).
 */
int	 store_text_visible(const char *text);
/*
 * ISO 8601 with milliseconds ("...T16:32:24.123Z"); parse back strictly:
 * exactly YYYY-MM-DDTHH:MM:SS[.mmm]Z, digits where digits go, a day that
 * exists in that month, 1970 or later; -1 for anything else.
 */
char	*store_time_iso_ms(int64_t ms, char *buf, size_t len);
int	 store_time_parse(const char *, int64_t *ms);
/* Monotonic milliseconds, for timeouts. */
int64_t	 store_mono_ms(void);

/* ---- store-conv.c ---------------------------------------------------- */

/* Fill c from a row of STORE_CONV_COLS. */
void	 store_conv_read(sqlite3_stmt *, struct store_conv *);
/* 0 if conversation id exists, -1 with cause if not or on error. */
int	 store_conv_exists(struct store *, int64_t, char **);
/* store_get's result for conversation id as 0, or -1 ("no conversation"). */
int	 store_conv_found(struct store *, int rc, int64_t id, char **cause);
/* 0 if message msg is in conversation conv, -1 with cause if not. */
int	 store_msg_in_conv(struct store *, int64_t conv, int64_t msg,
	    char **cause);

/* ---- store-search.c -------------------------------------------------- */

/*
 * Check the full-text index (full: with FTS5's own integrity-check as
 * well as the cheap checks) and, if it is not whole, make its triggers
 * again and rebuild it from the tables, in a transaction of its own.
 * 1 if it was rebuilt, 0 if it was whole (or cannot be written), -1 if
 * rebuilding failed.  Never sets a cause: its caller reports its own
 * error if trying again fails.
 */
int	 store_fts_repair(struct store *, int full);

/* ---- store-msg.c ----------------------------------------------------- */

/* Fill m from a row of STORE_MSG_COLS; -1 and *cause if bad. */
int	 store_msg_read(struct store *, sqlite3_stmt *, struct store_msg *,
	    char **cause);
/*
 * Record the system message answer id (of conversation conv) was
 * generated under, inside the caller's transaction: system, or with
 * system NULL the conversation's current one; "" or none = no system
 * message.  Each text is stored once, in system_texts.
 */
int	 store_msg_set_system(struct store *, int64_t id, int64_t conv,
	    const char *system, char **cause);
/*
 * Bind the provenance columns from index i: model_file, model_quant,
 * model_sha256, template, params_json, seed, n_prompt, n_gen,
 * prefill_tps, decode_tps, trimmed, dropped_json, then the remote ones:
 * endpoint, endpoint_url, remote_model, server_model, fingerprint,
 * request_json (STORE_PROV_NCOLS in all; the 'p' of store_exec's types).
 */
#define STORE_PROV_NCOLS	18
void	 store_prov_bind(sqlite3_stmt *, int i, const struct store_prov *);

/*
 * store-file.c.  Up to n bytes at off of the database file at path,
 * read through SQLite's file layer (never a descriptor of our own, whose
 * close would drop this process's locks on the file): the count, or -1
 * with errno.
 */
ssize_t	 store_file_read(const char *path, int64_t off, void *buf, size_t n);
/* Copy from to the new file to (0600), a database (db) read as above. */
int	 store_copy_file(const char *from, const char *to, int db);

#endif
