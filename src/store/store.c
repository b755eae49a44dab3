/*
 * store.c -- the conversation store on SQLite.  See store.h for the API.
 *
 * Design:
 * - One database file per user; the directory is made 0700 and every file
 *   SQLite makes (database, -wal, -shm) 0600: umask 077 is set around
 *   sqlite3_open_v2 and the first write, and the files are chmod'ed after.
 * - Opening is careful never to write to a file it does not understand:
 *   the header is checked before SQLite sees the file, then the schema
 *   version and PRAGMA quick_check are read; only after that is the file
 *   switched to WAL or migrated.  A newer schema is refused.
 * - A database this process cannot write (no write permission on the file
 *   or its directory, no write bit in the file's mode -- honoured even
 *   for root, so a copy made read-only with chmod a-w stays untouched --
 *   or a read-only file system) is opened for reading only: no WAL
 *   switch, no migration, no marking of interrupted answers, and
 *   store_begin() refuses every write.  When no -wal or -journal file
 *   holds anything and either nobody can write the file (no write bit,
 *   read-only file system) or its directory is not writable (SQLite's
 *   locked read-only mode would need to create a -shm file there and
 *   fails), it is opened with SQLite's immutable=1: no locks, nothing
 *   created next to the file.  A WAL writer only changes the main file
 *   when it checkpoints, so the one risk, another user writing the file
 *   while it is read, gives at worst a stale view or an error, never a
 *   change to the file.  Otherwise (a log holds committed data, or the
 *   owner may write it and the directory lets SQLite create its -shm)
 *   SQLite's ordinary read-only mode is used, with its locks.  An older
 *   schema cannot be upgraded read-only and is refused with a note
 *   saying so.
 * - The schema is data/schema.sql, compiled in (data/schema-sql.h).  Its
 *   "-- @migration N" sections are applied one per IMMEDIATE transaction,
 *   re-reading user_version inside the transaction so two processes
 *   opening a new file at once do not both migrate.  An existing
 *   database is copied (SQLite backup API) before the first step.
 * - Every write is one short BEGIN IMMEDIATE transaction with prepared,
 *   bound statements; busy_timeout makes concurrent writers wait.
 * - Streaming answers: the row is 'streaming' with writer_pid set while a
 *   process writes it; a later open marks such rows 'interrupted' when
 *   that process is gone.
 * - Strings read from the database are untrusted: they are copied, never
 *   used as formats; unknown enum values are reported as errors.
 *
 * Export and import are in store-export.c.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "sha256.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

#include "schema-sql.h"

#define STORE_BUSY_MS	5000	/* default wait for another process */

/*
 * Reads the current row of a statement into the element at p (of the
 * type the caller collects); 0, or -1 and *cause with nothing left
 * allocated in the element.
 */
typedef int	(*store_row_fn)(struct store *, sqlite3_stmt *, void *,
		    char **);

static int	 store_mkdirs(const char *, const char *, char **);
static int	 store_check_header(const char *, const char *, int *,
		     char **);
static int	 store_get_version(struct store *, int *, char **);
static int	 store_quick_check(struct store *, char **);
static int	 store_pragma_text(struct store *, const char *, char **,
		     char **);
static int	 store_set_wal(struct store *, char **, char **);
static int	 store_migrate(struct store *, int, char **);
static int	 store_backup(struct store *, int, char **);
static int	 store_has_data(struct store *);
static int	 store_old_data(struct store *, int *, char **);
static void	 store_fix_modes(struct store *);
static int	 store_mark_interrupted(struct store *, char **);
static int	 store_must_read_only(const char *, int *);
static int	 store_has_file(const char *, const char *);
static char	*store_immutable_uri(const char *);
static int	 store_check_version(struct store *, int, char **);
static int	 store_open_read_only(struct store *, char **);
static int	 store_conv_exists(struct store *, int64_t, char **);
static int64_t	 store_descend(struct store *, int64_t);
static const char *store_os_user(char *, size_t);
static int64_t	 store_mono_ms(void);
static int	 store_busy(void *, int);
static int	 store_collect(struct store *, sqlite3_stmt *, size_t,
		     store_row_fn, const char *, void **, size_t *, char **);
static int	 store_conv_read_list(struct store *, sqlite3_stmt *, void *,
		     char **);
static int	 store_msg_read_row(struct store *, sqlite3_stmt *, void *,
		     char **);
static int	 store_hit_read(struct store *, sqlite3_stmt *, void *,
		     char **);
static int	 store_model_read(struct store *, sqlite3_stmt *, void *,
		     char **);
static int	 store_ack_read(struct store *, sqlite3_stmt *, void *,
		     char **);

/* ---- helpers shared with store-export.c ------------------------------ */

int
store_fail(struct store *s, int rc, const char *what, char **cause)
{
	const char	*why;
	int		 syserr;

	if (cause == NULL)
		return -1;
	syserr = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		why = "the database is locked by another process (gave up "
		    "waiting)";
		break;
	case SQLITE_FULL:
		why = "disk full";
		break;
	case SQLITE_READONLY:
		why = "the database is read-only";
		break;
	case SQLITE_CORRUPT:
		why = "the database is corrupt";
		break;
	case SQLITE_NOTADB:
		why = "not an SQLite database";
		break;
	case SQLITE_CANTOPEN:
		why = "cannot open the file";
		break;
	case SQLITE_IOERR:
		if (syserr == ENOSPC || syserr == EFBIG || syserr == EDQUOT) {
			xasprintf(cause, "%s: %s: %s (nothing was lost)",
			    s->name, what, strerror(syserr));
			return -1;
		}
		if (syserr != 0) {
			xasprintf(cause, "%s: %s: I/O error: %s", s->name,
			    what, strerror(syserr));
			return -1;
		}
		why = "I/O error";
		break;
	default:
		why = s->db != NULL ? sqlite3_errmsg(s->db) :
		    sqlite3_errstr(rc);
		break;
	}
	if ((rc & 0xff) == SQLITE_FULL)
		xasprintf(cause, "%s: %s: disk full or file too large (nothing "
		    "was lost)", s->name, what);
	else
		xasprintf(cause, "%s: %s: %s", s->name, what, why);
	return -1;
}

int
store_prepare(struct store *s, sqlite3_stmt **st, const char *sql,
    char **cause)
{
	int	rc;

	*st = NULL;
	rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return store_fail(s, rc, "preparing a query", cause);
	}
	return 0;
}

int
store_step_done(struct store *s, sqlite3_stmt *st, const char *what,
    char **cause)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = sqlite3_finalize(st) != SQLITE_OK ?
		    sqlite3_extended_errcode(s->db) : rc;
		return store_fail(s, rc, what, cause);
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * Step st to its end, reading each row with readfn into a new element (of
 * size bytes, zeroed first) of a growing array; finalizes st.  0 and *out
 * (NULL when there is no row) and *n, or -1 and *cause (what names the
 * work, as for store_fail); on failure too *out and *n hold the rows
 * read so far, for the caller to free with the type's free function.
 */
static int
store_collect(struct store *s, sqlite3_stmt *st, size_t size,
    store_row_fn readfn, const char *what, void **out, size_t *n,
    char **cause)
{
	char	*v = NULL;
	size_t	 nv = 0, cap = 0;
	int	 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, size);
		}
		memset(v + nv * size, 0, size);
		if (readfn(s, st, v + nv * size, cause) != 0)
			break;
		nv++;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = nv;
	if (rc == SQLITE_ROW)
		return -1;
	if (rc != SQLITE_DONE)
		return store_fail(s, sqlite3_extended_errcode(s->db), what,
		    cause);
	return 0;
}

static int
store_exec_plain(struct store *s, const char *sql, const char *what,
    char **cause)
{
	sqlite3_stmt	*st;

	if (store_prepare(s, &st, sql, cause) != 0)
		return -1;
	return store_step_done(s, st, what, cause);
}

int
store_writable(struct store *s, const char *what, char **cause)
{
	if (!s->readonly)
		return 0;
	xasprintf(cause, "%s: cannot %s: the database is read-only (opened "
	    "for reading only; nothing was changed)", s->name, what);
	return -1;
}

int
store_begin(struct store *s, char **cause)
{
	if (store_writable(s, "write", cause) != 0)
		return -1;
	return store_exec_plain(s, "BEGIN IMMEDIATE", "starting a write",
	    cause);
}

int
store_commit(struct store *s, char **cause)
{
	if (store_exec_plain(s, "COMMIT", "committing", cause) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

char *
store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*t;
	int			 n;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(st, i);
	n = sqlite3_column_bytes(st, i);
	if (t == NULL)
		return xstrdup("");
	/* Text with an embedded NUL is cut there, as C strings are. */
	return xstrndup((const char *)t, (size_t)n);
}

char *
store_col_text_nn(sqlite3_stmt *st, int i)
{
	char	*v;

	if ((v = store_col_text(st, i)) == NULL)
		v = xstrdup("");
	return v;
}

void
store_conv_read(sqlite3_stmt *st, struct store_conv *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(st, 0);
	c->title = store_col_text_nn(st, 1);
	c->created = sqlite3_column_int64(st, 2);
	c->updated = sqlite3_column_int64(st, 3);
	c->system = store_col_text(st, 4);
	c->template_name = store_col_text(st, 5);
	c->model_file = store_col_text(st, 6);
	c->model_sha256 = store_col_text(st, 7);
	c->model_quant = store_col_text(st, 8);
	c->params_json = store_col_text(st, 9);
	c->archived = sqlite3_column_int(st, 10) != 0;
	c->current_leaf = sqlite3_column_int64(st, 11);
}

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
}

/*
 * Busy handler: SQLite's own sleeps grow to 100 ms, so a process that
 * writes in a tight loop can starve another for seconds.  Poll every
 * 1-4 ms instead (with jitter, so two waiters do not move in step) until
 * the timeout has passed since the first try.
 */
static int
store_busy(void *arg, int count)
{
	struct store	*s = arg;
	struct timespec	 ts;
	int64_t		 now = store_mono_ms();

	if (count == 0)
		s->busy_start = now;
	else if (now - s->busy_start >= s->busy_ms)
		return 0;
	ts.tv_sec = 0;
	ts.tv_nsec = (1 + (long)((unsigned)(now ^ (int64_t)getpid() ^
	    count) % 4)) * 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}

/* ---- time ------------------------------------------------------------ */

int64_t
store_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
store_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
store_time_iso(int64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t;

	t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

char *
store_time_iso_ms(int64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t;
	int64_t		frac;

	/* Floor division without ms - frac, which overflows at INT64_MIN. */
	frac = ms % 1000;
	if (frac < 0)
		frac += 1000;
	t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
	return buf;
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.mmm]Z"; 0 and *ms, or -1. */
int
store_time_parse(const char *s, int64_t *ms)
{
	struct tm	tm;
	int		y, mo, d, h, mi, sec, frac = 0, n = 0;
	time_t		t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
	    &sec, &n) != 6 || n != 19)
		return -1;
	s += n;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' ||
		    s[3] < '0' || s[3] > '9')
			return -1;
		frac = (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		s += 4;
	}
	if (strcmp(s, "Z") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || y < 1970)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000 + frac;
	return 0;
}

/* ---- names ----------------------------------------------------------- */

static const char *const store_role_names[] = {
	"system", "user", "assistant"
};
static const char *const store_status_names[] = {
	"complete", "streaming", "interrupted", "cancelled", "error"
};

const char *
store_role_name(enum store_role r)
{
	if ((unsigned)r >= sizeof store_role_names / sizeof *store_role_names)
		return "?";
	return store_role_names[r];
}

const char *
store_status_name(enum store_status st)
{
	if ((unsigned)st >=
	    sizeof store_status_names / sizeof *store_status_names)
		return "?";
	return store_status_names[st];
}

int
store_role_parse(const char *s, enum store_role *r)
{
	size_t	i;

	for (i = 0; i < sizeof store_role_names / sizeof *store_role_names;
	    i++) {
		if (strcmp(s, store_role_names[i]) == 0) {
			*r = (enum store_role)i;
			return 0;
		}
	}
	return -1;
}

int
store_status_parse(const char *s, enum store_status *st)
{
	size_t	i;

	for (i = 0;
	    i < sizeof store_status_names / sizeof *store_status_names; i++) {
		if (strcmp(s, store_status_names[i]) == 0) {
			*st = (enum store_status)i;
			return 0;
		}
	}
	return -1;
}

/* ---- opening --------------------------------------------------------- */

char *
store_default_path(const char *path, char **cause)
{
	const char	*e;
	char		*p;

	if (path != NULL && *path != '\0')
		return xstrdup(path);
	if ((e = getenv("MEDCHAT_DB")) != NULL && *e != '\0')
		return xstrdup(e);
	p = fs_xdg_path("XDG_DATA_HOME", ".local/share", "medchat/medchat.db");
	if (p == NULL)
		xasprintf(cause, "no home directory to keep the database in "
		    "(set HOME, XDG_DATA_HOME or MEDCHAT_DB, or use --db)");
	return p;
}

/*
 * Make every missing directory above the file path, mode 0700.  name is
 * path as messages show it.
 */
static int
store_mkdirs(const char *path, const char *name, char **cause)
{
	char	*dir, *p;
	int	 rc = 0;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		if ((rc = fs_mkdirs(dir, NULL)) != 0)
			xasprintf(cause, "%s: cannot create its directory: %s",
			    name, strerror(errno));
	}
	free(dir);
	return rc;
}

/*
 * Look at an existing file before SQLite does: a regular file that is
 * empty (*exists = 0 then: SQLite treats it as new) or starts with the
 * SQLite header.  0, or -1 with cause (naming name); *exists = 0 if
 * there is no file.
 */
static int
store_check_header(const char *path, const char *name, int *exists,
    char **cause)
{
	static const char	 magic[16] = "SQLite format 3";
	struct stat		 sb;
	char			 hdr[100];
	ssize_t			 r;
	int			 fd;

	*exists = 0;
	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		xasprintf(cause, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", name);
		return -1;
	}
	if (sb.st_size == 0)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", name, strerror(errno));
		return -1;
	}
	r = read(fd, hdr, sizeof hdr);
	close(fd);
	if (r < 0) {
		xasprintf(cause, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (r < (ssize_t)sizeof magic || memcmp(hdr, magic, sizeof magic) != 0) {
		xasprintf(cause, "%s: not an SQLite database (left untouched)",
		    name);
		return -1;
	}
	if (r < (ssize_t)sizeof hdr) {
		xasprintf(cause, "%s: truncated SQLite database (left "
		    "untouched)", name);
		return -1;
	}
	*exists = 1;
	return 0;
}

static int
store_get_version(struct store *s, int *v, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, &st, "PRAGMA user_version", cause) != 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = sqlite3_extended_errcode(s->db);
		sqlite3_finalize(st);
		return store_fail(s, rc, "reading the schema version", cause);
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Run a PRAGMA that returns one text value; *out is a new string. */
static int
store_pragma_text(struct store *s, const char *sql, char **out,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	*out = NULL;
	if (store_prepare(s, &st, sql, cause) != 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = sqlite3_extended_errcode(s->db);
		sqlite3_finalize(st);
		return store_fail(s, rc, sql, cause);
	}
	*out = store_col_text_nn(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/*
 * Switch to WAL (a no-op when it is already).  Two processes creating the
 * database at once can make the switch return SQLITE_BUSY without the
 * busy handler being called, so retry for up to the busy timeout.  *mode
 * is the resulting mode (caller frees).
 */
static int
store_set_wal(struct store *s, char **mode, char **cause)
{
	struct timespec	 ts = { 0, 5 * 1000000L };
	char		*err = NULL;
	int64_t		 start = store_mono_ms();

	if (store_pragma_text(s, "PRAGMA journal_mode", mode, cause) != 0)
		return -1;
	if (strcmp(*mode, "wal") == 0)
		return 0;
	for (;;) {
		free(*mode);
		if (store_pragma_text(s, "PRAGMA journal_mode = WAL", mode,
		    &err) == 0)
			return 0;
		if ((sqlite3_extended_errcode(s->db) & 0xff) != SQLITE_BUSY ||
		    store_mono_ms() - start >= s->busy_ms) {
			*cause = err;
			return -1;
		}
		free(err);
		err = NULL;
		nanosleep(&ts, NULL);
	}
}

static int
store_quick_check(struct store *s, char **cause)
{
	sqlite3_stmt	*st;
	const char	*t;
	int		 rc, ok = 1, rows = 0;

	if (store_prepare(s, &st, "PRAGMA quick_check", cause) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		if (t == NULL || strcmp(t, "ok") != 0)
			ok = 0;
		rows++;
	}
	if (rc != SQLITE_DONE) {
		rc = sqlite3_extended_errcode(s->db);
		sqlite3_finalize(st);
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_NOTADB ||
		    (rc & 0xff) == SQLITE_IOERR)
			return store_fail(s, rc, "checking the database", cause);
		xasprintf(cause, "%s: the database is corrupt (quick_check "
		    "failed; left untouched)", s->name);
		return -1;
	}
	sqlite3_finalize(st);
	if (!ok || rows == 0) {
		xasprintf(cause, "%s: the database is corrupt (quick_check "
		    "failed; left untouched)", s->name);
		return -1;
	}
	return 0;
}

/*
 * Does a database of schema 1 or later hold anything worth a backup?  A
 * file that another process is creating right now does not.  An error
 * counts as yes.
 */
static int
store_has_data(struct store *s)
{
	sqlite3_stmt	*st;
	int		 yes = 1;

	if (sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM "
	    "conversations) OR EXISTS (SELECT 1 FROM advisory_acks) OR "
	    "EXISTS (SELECT 1 FROM settings)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		yes = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return yes;
}

/*
 * Whether the database is an older schema holding data, read in one
 * snapshot: the version read at open may be stale by now -- another
 * process creating the same file may have migrated it and added rows
 * since, and a new database must not be copied aside as an old one.
 * 0 with *v the version when there is something to back up, 0 with
 * *v = 0 when not, -1 with cause.
 */
static int
store_old_data(struct store *s, int *v, char **cause)
{
	int	data;

	if (store_exec_plain(s, "BEGIN", "reading the schema version",
	    cause) != 0)
		return -1;
	if (store_get_version(s, v, cause) != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	data = *v > 0 && *v < store_schema_version() && store_has_data(s);
	if (store_exec_plain(s, "COMMIT", "reading the schema version",
	    cause) != 0)
		return -1;
	if (!data)
		*v = 0;
	return 0;
}

/* Copy the database to "<path>.bak-v<old>-<time>" before migrating. */
static int
store_backup(struct store *s, int old, char **cause)
{
	sqlite3		*dst = NULL;
	sqlite3_backup	*b;
	struct timespec	 ts = { 0, 5 * 1000000L };
	char		 stamp[32], *bpath;
	struct tm	 tm;
	time_t		 t;
	mode_t		 um;
	int64_t		 start;
	int		 rc;

	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	xasprintf(&bpath, "%s.bak-v%d-%s", s->path, old, stamp);
	um = umask(077);
	rc = sqlite3_open_v2(bpath, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		b = sqlite3_backup_init(dst, "main", s->db, "main");
		if (b == NULL)
			rc = sqlite3_errcode(dst);
		else {
			/* Another process may be writing: wait like a lock. */
			start = store_mono_ms();
			while ((rc = sqlite3_backup_step(b, -1)) ==
			    SQLITE_BUSY || rc == SQLITE_LOCKED) {
				if (store_mono_ms() - start >= s->busy_ms)
					break;
				nanosleep(&ts, NULL);
			}
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
			if (sqlite3_backup_finish(b) != SQLITE_OK &&
			    rc == SQLITE_OK)
				rc = sqlite3_errcode(dst);
		}
	}
	if (rc != SQLITE_OK) {
		xasprintf(cause, "%s: cannot copy the database to "
		    "%s.bak-v%d-%s before upgrading it: %s (nothing was "
		    "changed)", s->name, s->name, old, stamp,
		    dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		sqlite3_close(dst);
		umask(um);
		unlink(bpath);
		free(bpath);
		return -1;
	}
	sqlite3_close(dst);
	umask(um);
	chmod(bpath, 0600);
	free(s->backup);
	s->backup = bpath;
	return 0;
}

int
store_schema_version(void)
{
	const char	*p;
	int		 n = 0, v;

	for (p = schema_sql; (p = strstr(p, "\n-- @migration ")) != NULL; p++) {
		v = atoi(p + 15);
		if (v == n + 1)
			n = v;
	}
	return n;
}

/*
 * Apply migrations from version cur to the newest, each section in its
 * own transaction.  The version is re-read inside each transaction.
 */
static int
store_migrate(struct store *s, int cur, char **cause)
{
	const char	*p, *end;
	char		*section, *err = NULL;
	int		 v, target, newest, rc;

	newest = store_schema_version();
	for (target = cur + 1; target <= newest; target++) {
		/* Find the section "-- @migration target". */
		for (p = schema_sql; (p = strstr(p, "\n-- @migration ")) !=
		    NULL; p++) {
			if (atoi(p + 15) == target)
				break;
		}
		if (p == NULL) {
			xasprintf(cause, "%s: migration %d missing from the "
			    "built-in schema", s->name, target);
			return -1;
		}
		end = strstr(p + 1, "\n-- @migration ");
		if (end == NULL)
			end = p + strlen(p);
		section = xstrndup(p, (size_t)(end - p));

		if (store_begin(s, cause) != 0) {
			free(section);
			return -1;
		}
		if (store_get_version(s, &v, cause) != 0) {
			store_rollback(s);
			free(section);
			return -1;
		}
		if (v >= target) {	/* another process did it */
			store_rollback(s);
			free(section);
			continue;
		}
		if (v != target - 1) {
			store_rollback(s);
			free(section);
			xasprintf(cause, "%s: schema version changed to %d "
			    "while upgrading", s->name, v);
			return -1;
		}
		rc = sqlite3_exec(s->db, section, NULL, NULL, &err);
		free(section);
		if (rc != SQLITE_OK) {
			rc = sqlite3_extended_errcode(s->db);
			store_rollback(s);
			if ((rc & 0xff) == SQLITE_FULL ||
			    (rc & 0xff) == SQLITE_IOERR ||
			    (rc & 0xff) == SQLITE_BUSY) {
				sqlite3_free(err);
				return store_fail(s, rc, "upgrading the schema",
				    cause);
			}
			xasprintf(cause, "%s: upgrading the schema to version "
			    "%d failed: %s", s->name, target,
			    err != NULL ? err : "?");
			sqlite3_free(err);
			return -1;
		}
		if (store_get_version(s, &v, cause) != 0) {
			store_rollback(s);
			return -1;
		}
		if (v != target) {
			store_rollback(s);
			xasprintf(cause, "%s: migration %d did not set the "
			    "schema version", s->name, target);
			return -1;
		}
		if (store_commit(s, cause) != 0)
			return -1;
	}
	return 0;
}

/* Make the database and its WAL files 0600 (best effort: not ours = skip). */
static void
store_fix_modes(struct store *s)
{
	static const char *const	 sfx[] = { "", "-wal", "-shm" };
	struct stat			 sb;
	char				*p;
	size_t				 i;

	for (i = 0; i < sizeof sfx / sizeof *sfx; i++) {
		xasprintf(&p, "%s%s", s->path, sfx[i]);
		if (stat(p, &sb) == 0 && sb.st_uid == geteuid() &&
		    (sb.st_mode & 077) != 0)
			chmod(p, sb.st_mode & 0600);
		free(p);
	}
}

/* Mark rows left 'streaming' by a process that is gone as 'interrupted'. */
static int
store_mark_interrupted(struct store *s, char **cause)
{
	sqlite3_stmt	*st, *up;
	int64_t		 id;
	pid_t		 pid;
	int		 rc, dead;

	/* Usually there is none: then take no write lock at all. */
	if (store_prepare(s, &st, "SELECT 1 FROM messages WHERE status = "
	    "'streaming' LIMIT 1", cause) != 0)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return store_fail(s, sqlite3_extended_errcode(s->db),
		    "looking for interrupted answers", cause);

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, "SELECT id, writer_pid FROM messages "
	    "WHERE status = 'streaming'", cause) != 0)
		goto fail;
	if (store_prepare(s, &up, "UPDATE messages SET status = "
	    "'interrupted', writer_pid = NULL WHERE id = ?", cause) != 0) {
		sqlite3_finalize(st);
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		pid = (pid_t)sqlite3_column_int64(st, 1);
		dead = pid <= 0 || (kill(pid, 0) == -1 && errno == ESRCH);
		if (!dead)
			continue;
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, id);
		if (sqlite3_step(up) != SQLITE_DONE) {
			rc = sqlite3_extended_errcode(s->db);
			break;
		}
		s->n_interrupted++;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, "marking interrupted answers", cause);
		goto fail;
	}
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

/*
 * Must the existing file at path be opened read-only?  Yes when this
 * process may not write it or create files next to it (access with the
 * effective ids), when its mode has no write bit at all (honoured even
 * for root: a copy made read-only on purpose stays untouched), or when
 * its file system is mounted read-only.  *immutable is set when SQLite's
 * locking cannot or need not be used: no one can write the file (no
 * write bit, read-only file system), or this process cannot create the
 * -shm file that a locked read-only WAL reader needs.
 */
static int
store_must_read_only(const char *path, int *immutable)
{
	struct stat	 sb;
	struct statvfs	 vfs;
	char		*dir, *p;
	int		 file_ro, dir_ro;

	*immutable = 0;
	if (stat(path, &sb) == 0 && (sb.st_mode & 0222) == 0)
		*immutable = 1;
	if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0)
		*immutable = 1;
	file_ro = faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0;
	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (p == dir)
		p[1] = '\0';
	else
		*p = '\0';
	dir_ro = faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0;
	free(dir);
	if (dir_ro)
		*immutable = 1;
	return *immutable || file_ro || dir_ro;
}

/* Does "<path><suffix>" exist with something in it? */
static int
store_has_file(const char *path, const char *suffix)
{
	struct stat	 sb;
	char		*p;
	int		 yes;

	xasprintf(&p, "%s%s", path, suffix);
	yes = stat(p, &sb) == 0 && sb.st_size > 0;
	free(p);
	return yes;
}

/* "file:<abs, percent-encoded>?immutable=1" for sqlite3_open_v2. */
static char *
store_immutable_uri(const char *abs)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 b = BUF_INIT;
	const unsigned char	*p;

	buf_puts(&b, "file:");
	for (p = (const unsigned char *)abs; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')
			buf_putc(&b, *p);
		else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*p >> 4]);
			buf_putc(&b, hex[*p & 15]);
		}
	}
	buf_puts(&b, "?immutable=1");
	return buf_detach(&b);
}

/* Refuse a schema version below 0 or above the newest we know. */
static int
store_check_version(struct store *s, int v, char **cause)
{
	int	newest = store_schema_version();

	if (v < 0) {
		xasprintf(cause, "%s: schema version %d is not valid (left "
		    "untouched)", s->name, v);
		return -1;
	}
	if (v > newest) {
		xasprintf(cause, "%s: schema version %d is newer than this "
		    "medchat knows (%d): use a newer medchat (left untouched)",
		    s->name, v, newest);
		return -1;
	}
	return 0;
}

/*
 * Open s->path (an existing SQLite file) for reading only; see the
 * design notes at the top.  Nothing is written to the file or created
 * next to it by this function.
 */
static int
store_open_read_only(struct store *s, char **cause)
{
	char	*uri = NULL, *abs, *err = NULL;
	int	 immutable, flags, rc, v;

	store_must_read_only(s->path, &immutable);
	flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	if (immutable && !store_has_file(s->path, "-wal") &&
	    !store_has_file(s->path, "-journal")) {
		if ((abs = realpath(s->path, NULL)) == NULL) {
			xasprintf(cause, "%s: %s", s->name, strerror(errno));
			return -1;
		}
		uri = store_immutable_uri(abs);
		free(abs);
		flags |= SQLITE_OPEN_URI;
	}
	rc = sqlite3_open_v2(uri != NULL ? uri : s->path, &s->db, flags,
	    NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "cannot open it read-only", cause);
	s->readonly = 1;
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_handler(s->db, store_busy, s);

	if (store_get_version(s, &v, &err) != 0) {
		rc = sqlite3_extended_errcode(s->db) & 0xff;
		if (rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN) {
			*cause = err;
			return -1;
		}
		free(err);
		xasprintf(cause, "%s: the database is read-only and SQLite "
		    "cannot read it%s without creating %s-shm next to it: open "
		    "it once where it is writable (left untouched)", s->name,
		    (flags & SQLITE_OPEN_URI) == 0 &&
		    store_has_file(s->path, "-wal") ?
		    " and the changes in its -wal file" : "", s->name);
		return -1;
	}
	if (store_check_version(s, v, cause) != 0)
		return -1;
	if (v < store_schema_version()) {
		xasprintf(cause, "%s: the database is read-only and its schema "
		    "(version %d) is older than this medchat's (%d): open it "
		    "writable once to upgrade it (left untouched)", s->name, v,
		    store_schema_version());
		return -1;
	}
	if (store_quick_check(s, cause) != 0)
		return -1;
	/* A second guard: SQLite itself refuses writes on this connection. */
	return store_exec_plain(s, "PRAGMA query_only = 1",
	    "opening read-only", cause);
}

int
store_open(const char *path, const struct store_advisory *adv,
    struct store **sp, char **cause)
{
	struct store	*s;
	const char	*e;
	char		*mode = NULL;
	mode_t		 um;
	int		 rc, exists, v, bv, immutable, busy_ms = STORE_BUSY_MS;

	*sp = NULL;
	s = xcalloc(1, sizeof *s);
	s->adv = *adv;
	if ((s->path = store_default_path(path, cause)) == NULL) {
		free(s);
		return -1;
	}
	if ((e = getenv("MEDCHAT_DB_TIMEOUT_MS")) != NULL && *e != '\0')
		busy_ms = atoi(e);
	s->busy_ms = busy_ms;

	s->name = utf8_printable(s->path);
	if (store_mkdirs(s->path, s->name, cause) != 0 ||
	    store_check_header(s->path, s->name, &exists, cause) != 0)
		goto fail;
	if (exists && store_must_read_only(s->path, &immutable))
		goto read_only;

	um = umask(077);
	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		umask(um);
		if (exists)
			store_fail(s, rc, "cannot open", cause);
		else
			xasprintf(cause, "%s: cannot create the database: %s",
			    s->name, s->db != NULL ? sqlite3_errmsg(s->db) :
			    sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		umask(um);
		if (exists) {
			/* Not caught above (an ACL, a mount): read it only. */
			sqlite3_close_v2(s->db);
			s->db = NULL;
			goto read_only;
		}
		xasprintf(cause, "%s: the database is read-only (check the "
		    "permissions of the file and its directory)", s->name);
		goto fail;
	}
	sqlite3_busy_handler(s->db, store_busy, s);

	if (store_get_version(s, &v, cause) != 0 ||
	    store_check_version(s, v, cause) != 0)
		goto fail_umask;
	if (exists && store_quick_check(s, cause) != 0)
		goto fail_umask;

	if (store_exec_plain(s, "PRAGMA foreign_keys = ON",
	    "enabling foreign keys", cause) != 0)
		goto fail_umask;
	if (store_set_wal(s, &mode, cause) != 0)
		goto fail_umask;
	if (strcmp(mode, "wal") != 0) {
		xasprintf(cause, "%s: cannot switch to WAL mode (journal mode "
		    "stays '%s')", s->name, mode);
		goto fail_umask;
	}
	free(mode);
	mode = NULL;
	if (store_exec_plain(s, "PRAGMA synchronous = FULL",
	    "setting synchronous", cause) != 0)
		goto fail_umask;

	if (v < store_schema_version()) {
		if (store_old_data(s, &bv, cause) < 0 ||
		    (bv > 0 && store_backup(s, bv, cause) != 0))
			goto fail_umask;
		if (store_migrate(s, v, cause) != 0)
			goto fail_umask;
	}
	umask(um);
	store_fix_modes(s);

	if (store_mark_interrupted(s, cause) != 0)
		goto fail;
	*sp = s;
	return 0;

read_only:
	if (store_open_read_only(s, cause) != 0)
		goto fail;
	*sp = s;
	return 0;

fail_umask:
	umask(um);
fail:
	free(mode);
	store_close(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	free(s->path);
	free(s->name);
	free(s->backup);
	free(s);
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

int
store_readonly(const struct store *s)
{
	return s->readonly;
}

const char *
store_backup_path(const struct store *s)
{
	return s->backup;
}

int
store_n_interrupted(const struct store *s)
{
	return s->n_interrupted;
}

/* ---- conversations --------------------------------------------------- */

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

int
store_conv_create(struct store *s, const struct store_conv *init,
    int64_t *id, char **cause)
{
	sqlite3_stmt	*st;
	int64_t		 now = store_now();

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, "INSERT INTO conversations (title, "
	    "created, updated, system, template, model_file, model_sha256, "
	    "model_quant, params_json, archived) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", cause) != 0)
		goto fail;
	store_bind_text(st, 1, init != NULL && init->title != NULL ?
	    init->title : "");
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now);
	if (init != NULL) {
		store_bind_text(st, 4, init->system);
		store_bind_text(st, 5, init->template_name);
		store_bind_text(st, 6, init->model_file);
		store_bind_text(st, 7, init->model_sha256);
		store_bind_text(st, 8, init->model_quant);
		store_bind_text(st, 9, init->params_json);
		sqlite3_bind_int(st, 10, init->archived != 0);
	} else
		sqlite3_bind_int(st, 10, 0);
	if (store_step_done(s, st, "creating a conversation", cause) != 0)
		goto fail;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

/* 0 if conversation id exists, -1 with cause if not or on error. */
static int
store_conv_exists(struct store *s, int64_t id, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, &st, "SELECT 1 FROM conversations WHERE id = ?",
	    cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		xasprintf(cause, "%s: no conversation %lld", s->name,
		    (long long)id);
		return -1;
	}
	return store_fail(s, sqlite3_extended_errcode(s->db),
	    "reading a conversation", cause);
}

#define STORE_CONV_LIST_SQL \
	"SELECT " STORE_CONV_COLS ", " \
	"(SELECT count(*) FROM messages m WHERE m.conv_id = c.id), " \
	"(SELECT content FROM messages m WHERE m.conv_id = c.id AND " \
	"m.role = 'user' ORDER BY m.id LIMIT 1) FROM conversations c "

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
	c->n_messages = sqlite3_column_int(st, 12);
	first = store_col_text(st, 13);
	c->preview = first != NULL ? store_title_from_text(first) :
	    xstrdup("");
	free(first);
	return 0;
}

int
store_conv_get(struct store *s, int64_t id, struct store_conv *out,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(out, 0, sizeof *out);
	if (store_prepare(s, &st, STORE_CONV_LIST_SQL "WHERE c.id = ?",
	    cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		store_conv_read_list(s, st, out, NULL);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		xasprintf(cause, "%s: no conversation %lld", s->name,
		    (long long)id);
		return -1;
	}
	return store_fail(s, sqlite3_extended_errcode(s->db),
	    "reading a conversation", cause);
}

int
store_conv_list(struct store *s, const struct store_list_opts *o,
    struct store_conv **out, size_t *n, char **cause)
{
	sqlite3_stmt	*st;
	void		*v;
	size_t		 nv;

	*out = NULL;
	*n = 0;
	if (store_prepare(s, &st, STORE_CONV_LIST_SQL
	    "WHERE (?1 < 0 OR c.archived = ?1) "
	    "ORDER BY c.updated DESC, c.id DESC LIMIT ?2 OFFSET ?3",
	    cause) != 0)
		return -1;
	sqlite3_bind_int(st, 1, o != NULL ? o->archived : 0);
	sqlite3_bind_int(st, 2, o != NULL && o->limit > 0 ? o->limit : -1);
	sqlite3_bind_int(st, 3, o != NULL && o->offset > 0 ? o->offset : 0);
	if (store_collect(s, st, sizeof **out, store_conv_read_list,
	    "listing conversations", &v, &nv, cause) != 0) {
		store_convs_free(v, nv);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}

/*
 * Run one UPDATE of a conversation in a transaction: sql may use ?1 =
 * id, ?2 = now, ?3 = a, ?4 = b, ?5 = ival.  "no conversation N" if absent.
 */
static int
store_conv_update(struct store *s, int64_t id, const char *sql,
    const char *a, const char *b, int ival, const char *what, char **cause)
{
	sqlite3_stmt	*st;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_conv_exists(s, id, cause) != 0)
		goto fail;
	if (store_prepare(s, &st, sql, cause) != 0)
		goto fail;
	/* Parameters a statement does not use give SQLITE_RANGE: fine. */
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, a);
	store_bind_text(st, 4, b);
	sqlite3_bind_int(st, 5, ival);
	if (store_step_done(s, st, what, cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

int
store_conv_rename(struct store *s, int64_t id, const char *title,
    char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET updated = "
	    "?2, title = ?3 WHERE id = ?1", title != NULL ? title : "", NULL,
	    0, "renaming", cause);
}

int
store_conv_set_archived(struct store *s, int64_t id, int archived,
    char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET archived "
	    "= ?5 WHERE id = ?1", NULL, NULL,
	    archived != 0, "archiving", cause);
}

int
store_conv_set_system(struct store *s, int64_t id, const char *system,
    char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET updated = "
	    "?2, system = ?3 WHERE id = ?1", system, NULL, 0,
	    "setting the system message", cause);
}

int
store_conv_set_settings(struct store *s, int64_t id, const char *tmpl,
    const char *params_json, char **cause)
{
	return store_conv_update(s, id, "UPDATE conversations SET updated = "
	    "?2, template = ?3, params_json = ?4 WHERE id = ?1", tmpl,
	    params_json, 0, "saving the settings", cause);
}

int
store_conv_set_model(struct store *s, int64_t id, const char *file,
    const char *sha256, const char *quant, char **cause)
{
	sqlite3_stmt	*st;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_conv_exists(s, id, cause) != 0)
		goto fail;
	if (store_prepare(s, &st, "UPDATE conversations SET model_file = ?, "
	    "model_sha256 = ?, model_quant = ? WHERE id = ?", cause) != 0)
		goto fail;
	store_bind_text(st, 1, file);
	store_bind_text(st, 2, sha256);
	store_bind_text(st, 3, quant);
	sqlite3_bind_int64(st, 4, id);
	if (store_step_done(s, st, "saving the model", cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
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
	sqlite3_stmt	*st;
	int		 rc;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, "SELECT 1 FROM messages WHERE id = ? AND "
	    "conv_id = ?", cause) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, leaf);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			xasprintf(cause, "%s: message %lld is not in "
			    "conversation %lld", s->name, (long long)leaf,
			    (long long)id);
		else
			store_fail(s, sqlite3_extended_errcode(s->db),
			    "reading a message", cause);
		goto fail;
	}
	leaf = store_descend(s, leaf);
	if (store_prepare(s, &st, "UPDATE conversations SET current_leaf = ? "
	    "WHERE id = ?", cause) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, leaf);
	sqlite3_bind_int64(st, 2, id);
	if (store_step_done(s, st, "choosing the alternative", cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

int
store_conv_delete(struct store *s, int64_t id, char **cause)
{
	sqlite3_stmt	*st;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_conv_exists(s, id, cause) != 0)
		goto fail;
	/* Children first would be needed without ON DELETE CASCADE. */
	if (store_prepare(s, &st, "DELETE FROM conversations WHERE id = ?",
	    cause) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (store_step_done(s, st, "deleting a conversation", cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

void
store_conv_free(struct store_conv *c)
{
	if (c == NULL)
		return;
	free(c->title);
	free(c->system);
	free(c->template_name);
	free(c->model_file);
	free(c->model_sha256);
	free(c->model_quant);
	free(c->params_json);
	free(c->preview);
	memset(c, 0, sizeof *c);
}

void
store_convs_free(struct store_conv *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_conv_free(&v[i]);
	free(v);
}

/* ---- messages -------------------------------------------------------- */

/*
 * Insert a message inside the caller's transaction and move the
 * conversation's leaf and time to it; name an untitled conversation
 * after its first question.
 */
static int
store_msg_insert(struct store *s, int64_t conv, int64_t parent,
    enum store_role role, const char *content, size_t len,
    enum store_status status, const struct store_prov *prov, int64_t *id,
    char **cause)
{
	sqlite3_stmt	*st;
	int64_t		 now = store_now(), mid;
	char		*title;
	int		 rc;

	if (store_conv_exists(s, conv, cause) != 0)
		return -1;
	if (parent != 0) {
		if (store_prepare(s, &st, "SELECT 1 FROM messages WHERE id = ? "
		    "AND conv_id = ?", cause) != 0)
			return -1;
		sqlite3_bind_int64(st, 1, parent);
		sqlite3_bind_int64(st, 2, conv);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE) {
			xasprintf(cause, "%s: message %lld is not in "
			    "conversation %lld", s->name, (long long)parent,
			    (long long)conv);
			return -1;
		}
		if (rc != SQLITE_ROW)
			return store_fail(s, sqlite3_extended_errcode(s->db),
			    "reading a message", cause);
	}
	if (store_prepare(s, &st, "INSERT INTO messages (conv_id, parent_id, "
	    "role, content, created, updated, status, writer_pid, "
	    "model_file, model_quant, model_sha256, template, params_json, "
	    "seed, n_prompt, n_gen, prefill_tps, decode_tps, trimmed, "
	    "dropped_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, conv);
	if (parent != 0)
		sqlite3_bind_int64(st, 2, parent);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, store_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, content, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_text(st, 7, store_status_name(status), -1,
	    SQLITE_STATIC);
	if (status == STORE_STATUS_STREAMING)
		sqlite3_bind_int64(st, 8, (sqlite3_int64)getpid());
	else
		sqlite3_bind_null(st, 8);
	store_prov_bind(st, 9, prov);
	if (store_step_done(s, st, "saving a message", cause) != 0)
		return -1;
	mid = sqlite3_last_insert_rowid(s->db);

	if (store_prepare(s, &st, "UPDATE conversations SET updated = ?, "
	    "current_leaf = ? WHERE id = ?", cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, mid);
	sqlite3_bind_int64(st, 3, conv);
	if (store_step_done(s, st, "saving a message", cause) != 0)
		return -1;

	if (role == STORE_ROLE_USER) {
		title = store_title_from_text(content);
		if (store_prepare(s, &st, "UPDATE conversations SET title = ? "
		    "WHERE id = ? AND title = ''", cause) != 0) {
			free(title);
			return -1;
		}
		store_bind_text(st, 1, title);
		sqlite3_bind_int64(st, 2, conv);
		free(title);
		if (store_step_done(s, st, "naming the conversation",
		    cause) != 0)
			return -1;
	}
	if (id != NULL)
		*id = mid;
	return 0;
}

int
store_msg_add(struct store *s, int64_t conv, int64_t parent,
    enum store_role role, const char *content, enum store_status status,
    const struct store_prov *prov, int64_t *id, char **cause)
{
	if (content == NULL)
		content = "";
	if (store_begin(s, cause) != 0)
		return -1;
	if (store_msg_insert(s, conv, parent, role, content, strlen(content),
	    status, prov, id, cause) != 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, cause);
}

int
store_msg_update(struct store *s, int64_t id, const char *content,
    size_t len, enum store_status status, char **cause)
{
	sqlite3_stmt	*st;

	if (len > INT_MAX) {
		xasprintf(cause, "%s: message too long", s->name);
		return -1;
	}
	len = strnlen(content, len);
	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, "UPDATE messages SET content = ?, "
	    "updated = ?, status = ?, writer_pid = ? WHERE id = ?",
	    cause) != 0)
		goto fail;
	sqlite3_bind_text(st, 1, content, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, store_now());
	sqlite3_bind_text(st, 3, store_status_name(status), -1,
	    SQLITE_STATIC);
	if (status == STORE_STATUS_STREAMING)
		sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, id);
	if (store_step_done(s, st, "saving a message", cause) != 0)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
		goto fail;
	}
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

int
store_msg_finish(struct store *s, int64_t id, enum store_status status,
    const char *error, const struct store_prov *prov, char **cause)
{
	sqlite3_stmt	*st;
	const char	*sql;

	if (store_begin(s, cause) != 0)
		return -1;
	if (prov != NULL)
		sql = "UPDATE messages SET status = ?, error = ?, updated = ?, "
		    "writer_pid = NULL, model_file = ?, model_quant = ?, "
		    "model_sha256 = ?, template = ?, params_json = ?, seed = ?, "
		    "n_prompt = ?, n_gen = ?, prefill_tps = ?, decode_tps = ?, "
		    "trimmed = ?, dropped_json = ? WHERE id = ?";
	else
		sql = "UPDATE messages SET status = ?, error = ?, updated = ?, "
		    "writer_pid = NULL WHERE id = ?";
	if (store_prepare(s, &st, sql, cause) != 0)
		goto fail;
	sqlite3_bind_text(st, 1, store_status_name(status), -1,
	    SQLITE_STATIC);
	store_bind_text(st, 2, error);
	sqlite3_bind_int64(st, 3, store_now());
	if (prov != NULL) {
		store_prov_bind(st, 4, prov);
		sqlite3_bind_int64(st, 16, id);
	} else
		sqlite3_bind_int64(st, 4, id);
	if (store_step_done(s, st, "finishing a message", cause) != 0)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
		goto fail;
	}
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

int
store_msg_get(struct store *s, int64_t id, struct store_msg *out,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(out, 0, sizeof *out);
	if (store_prepare(s, &st, "SELECT " STORE_MSG_COLS " FROM messages "
	    "WHERE id = ?", cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = store_msg_read(s, st, out, cause);
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
		return -1;
	}
	return store_fail(s, sqlite3_extended_errcode(s->db),
	    "reading a message", cause);
}

/* store_msg_read as a store_row_fn. */
static int
store_msg_read_row(struct store *s, sqlite3_stmt *st, void *p, char **cause)
{
	return store_msg_read(s, st, p, cause);
}

/* Read all rows of st (STORE_MSG_COLS) into a new array. */
static int
store_msg_collect(struct store *s, sqlite3_stmt *st, struct store_msg **out,
    size_t *n, char **cause)
{
	void	*v;
	size_t	 nv;

	if (store_collect(s, st, sizeof **out, store_msg_read_row,
	    "reading messages", &v, &nv, cause) != 0) {
		store_msgs_free(v, nv);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}

int
store_msg_list(struct store *s, int64_t conv, struct store_msg **out,
    size_t *n, char **cause)
{
	sqlite3_stmt	*st;

	*out = NULL;
	*n = 0;
	if (store_prepare(s, &st, "SELECT " STORE_MSG_COLS " FROM messages "
	    "WHERE conv_id = ? ORDER BY id", cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, conv);
	return store_msg_collect(s, st, out, n, cause);
}

int
store_msg_path(struct store *s, int64_t conv, int64_t leaf,
    struct store_msg **out, size_t *n, char **cause)
{
	sqlite3_stmt		*st;
	struct store_msg	*v;
	size_t			 nv, i;
	int			 rc;

	*out = NULL;
	*n = 0;
	if (leaf == 0) {
		if (store_prepare(s, &st, "SELECT coalesce(c.current_leaf, "
		    "(SELECT max(id) FROM messages m WHERE m.conv_id = c.id)) "
		    "FROM conversations c WHERE c.id = ?", cause) != 0)
			return -1;
		sqlite3_bind_int64(st, 1, conv);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			leaf = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE) {
			xasprintf(cause, "%s: no conversation %lld", s->name,
			    (long long)conv);
			return -1;
		}
		if (rc != SQLITE_ROW)
			return store_fail(s, sqlite3_extended_errcode(s->db),
			    "reading a conversation", cause);
		if (leaf == 0)
			return 0;
	}
	/* The depth bound stops a parent cycle in a damaged file. */
	if (store_prepare(s, &st, "WITH RECURSIVE p(id, depth) AS ("
	    "SELECT ?1, 0 UNION ALL SELECT m.parent_id, p.depth + 1 "
	    "FROM messages m JOIN p ON m.id = p.id "
	    "WHERE m.parent_id IS NOT NULL AND p.depth < 100000) "
	    "SELECT " STORE_MSG_COLS " FROM messages JOIN p USING (id) "
	    "WHERE conv_id = ?2 ORDER BY p.depth DESC", cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, leaf);
	sqlite3_bind_int64(st, 2, conv);
	if (store_msg_collect(s, st, &v, &nv, cause) != 0)
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
	sqlite3_stmt	*st;
	int64_t		*v = NULL, x;
	size_t		 nv = 0, cap = 0;
	int		 rc;

	*ids = NULL;
	*n = 0;
	*index = 0;
	if (store_prepare(s, &st, "SELECT b.id FROM messages a JOIN messages "
	    "b ON b.conv_id = a.conv_id AND b.role = a.role AND "
	    "b.parent_id IS a.parent_id WHERE a.id = ? ORDER BY b.id",
	    cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		x = sqlite3_column_int64(st, 0);
		if (nv == cap) {
			cap = cap ? cap * 2 : 8;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if (x == id)
			*index = nv;
		v[nv++] = x;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_fail(s, sqlite3_extended_errcode(s->db),
		    "reading alternatives", cause);
	}
	if (nv == 0) {
		xasprintf(cause, "%s: no message %lld", s->name, (long long)id);
		return -1;
	}
	*ids = v;
	*n = nv;
	return 0;
}

void
store_prov_free(struct store_prov *p)
{
	if (p == NULL)
		return;
	free(p->model_file);
	free(p->model_quant);
	free(p->model_sha256);
	free(p->template_name);
	free(p->params_json);
	free(p->dropped_json);
	memset(p, 0, sizeof *p);
}

void
store_msg_free(struct store_msg *m)
{
	if (m == NULL)
		return;
	free(m->content);
	free(m->error);
	store_prov_free(&m->prov);
	memset(m, 0, sizeof *m);
}

void
store_msgs_free(struct store_msg *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_msg_free(&v[i]);
	free(v);
}

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

static char *
store_xstrdup_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
store_prov_copy(struct store_prov *dst, const struct store_prov *src)
{
	memset(dst, 0, sizeof *dst);
	if (src == NULL)
		return;
	*dst = *src;
	dst->model_file = store_xstrdup_null(src->model_file);
	dst->model_quant = store_xstrdup_null(src->model_quant);
	dst->model_sha256 = store_xstrdup_null(src->model_sha256);
	dst->template_name = store_xstrdup_null(src->template_name);
	dst->params_json = store_xstrdup_null(src->params_json);
	dst->dropped_json = store_xstrdup_null(src->dropped_json);
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

	if (ss->id == 0) {
		if (store_begin(s, cause) != 0)
			return -1;
		if (store_msg_insert(s, ss->conv, ss->parent,
		    STORE_ROLE_ASSISTANT, buf_str(&ss->text), ss->text.len,
		    STORE_STATUS_STREAMING, &ss->prov, &ss->id, cause) != 0) {
			store_rollback(s);
			ss->id = 0;
			return -1;
		}
		if (store_commit(s, cause) != 0) {
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

/* ---- search ---------------------------------------------------------- */

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
	sqlite3_stmt	*st;
	void		*v;
	size_t		 nv;
	char		*fq;
	int		 rc;

	*out = NULL;
	*n = 0;
	fq = store_fts_query(query, prefix);
	if (*fq == '\0') {
		free(fq);
		return 0;
	}
	if (store_prepare(s, &st,
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
	    "ORDER BY rank, created DESC LIMIT ?4", cause) != 0) {
		free(fq);
		return -1;
	}
	store_bind_text(st, 1, fq);
	store_bind_text(st, 2, mark_open != NULL ? mark_open : "");
	store_bind_text(st, 3, mark_close != NULL ? mark_close : "");
	sqlite3_bind_int(st, 4, limit > 0 ? limit : 100);
	rc = store_collect(s, st, sizeof **out, store_hit_read, "searching",
	    &v, &nv, cause);
	free(fq);
	if (rc != 0) {
		store_hits_free(v, nv);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}

void
store_hits_free(struct store_hit *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].title);
		free(v[i].snippet);
	}
	free(v);
}

/* ---- settings -------------------------------------------------------- */

int
store_setting_get(struct store *s, const char *key, char **value,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	*value = NULL;
	if (store_prepare(s, &st, "SELECT value FROM settings WHERE key = ?",
	    cause) != 0)
		return -1;
	store_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = store_col_text_nn(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, sqlite3_extended_errcode(s->db),
		    "reading a setting", cause);
	return 0;
}

int
store_setting_set(struct store *s, const char *key, const char *value,
    char **cause)
{
	sqlite3_stmt	*st;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, value != NULL ?
	    "INSERT INTO settings (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value" :
	    "DELETE FROM settings WHERE key = ?1", cause) != 0)
		goto fail;
	store_bind_text(st, 1, key);
	if (value != NULL)
		store_bind_text(st, 2, value);
	if (store_step_done(s, st, "saving a setting", cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

/* ---- model catalog --------------------------------------------------- */

#define STORE_MODEL_COLS \
	"path, size, mtime_ns, sha256, name, quant, summary_json, last_used"

/* A row of STORE_MODEL_COLS into the struct store_model at p. */
static int
store_model_read(struct store *s, sqlite3_stmt *st, void *p, char **cause)
{
	struct store_model	*m = p;

	(void)s;
	(void)cause;
	memset(m, 0, sizeof *m);
	m->path = store_col_text_nn(st, 0);
	m->size = (uint64_t)sqlite3_column_int64(st, 1);
	m->mtime_ns = sqlite3_column_int64(st, 2);
	m->sha256 = store_col_text(st, 3);
	m->name = store_col_text(st, 4);
	m->quant = store_col_text(st, 5);
	m->summary_json = store_col_text(st, 6);
	m->last_used = sqlite3_column_int64(st, 7);
	return 0;
}

int
store_model_put(struct store *s, const struct store_model *m, char **cause)
{
	sqlite3_stmt	*st;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, "INSERT INTO models (" STORE_MODEL_COLS
	    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE "
	    "SET sha256 = CASE WHEN excluded.sha256 IS NOT NULL THEN "
	    "excluded.sha256 WHEN models.size = excluded.size AND "
	    "models.mtime_ns = excluded.mtime_ns THEN models.sha256 "
	    "ELSE NULL END, size = excluded.size, "
	    "mtime_ns = excluded.mtime_ns, name = excluded.name, "
	    "quant = excluded.quant, summary_json = excluded.summary_json, "
	    "last_used = max(models.last_used, excluded.last_used)",
	    cause) != 0)
		goto fail;
	store_bind_text(st, 1, m->path);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)m->size);
	sqlite3_bind_int64(st, 3, m->mtime_ns);
	store_bind_text(st, 4, m->sha256);
	store_bind_text(st, 5, m->name);
	store_bind_text(st, 6, m->quant);
	store_bind_text(st, 7, m->summary_json);
	sqlite3_bind_int64(st, 8, m->last_used);
	if (store_step_done(s, st, "saving a model", cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

int
store_model_get(struct store *s, const char *path, struct store_model *out,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(out, 0, sizeof *out);
	if (store_prepare(s, &st, "SELECT " STORE_MODEL_COLS " FROM models "
	    "WHERE path = ?", cause) != 0)
		return -1;
	store_bind_text(st, 1, path);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store_model_read(s, st, out, NULL);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return store_fail(s, sqlite3_extended_errcode(s->db),
	    "reading the model catalog", cause);
}

int
store_model_list(struct store *s, struct store_model **out, size_t *n,
    char **cause)
{
	sqlite3_stmt	*st;
	void		*v;
	size_t		 nv;

	*out = NULL;
	*n = 0;
	if (store_prepare(s, &st, "SELECT " STORE_MODEL_COLS " FROM models "
	    "ORDER BY last_used DESC, path", cause) != 0)
		return -1;
	if (store_collect(s, st, sizeof **out, store_model_read,
	    "reading the model catalog", &v, &nv, cause) != 0) {
		store_models_free(v, nv);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}

static int
store_model_exec(struct store *s, const char *sql, const char *path,
    const char *what, char **cause)
{
	sqlite3_stmt	*st;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, sql, cause) != 0)
		goto fail;
	store_bind_text(st, 1, path);
	sqlite3_bind_int64(st, 2, store_now());
	if (store_step_done(s, st, what, cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

int
store_model_touch(struct store *s, const char *path, char **cause)
{
	return store_model_exec(s, "UPDATE models SET last_used = ?2 "
	    "WHERE path = ?1", path, "saving the model catalog", cause);
}

int
store_model_delete(struct store *s, const char *path, char **cause)
{
	return store_model_exec(s, "DELETE FROM models WHERE path = ?1 AND "
	    "?2 IS NOT NULL", path, "saving the model catalog", cause);
}

int
store_model_cached_sha256(struct store *s, const char *path, uint64_t size,
    int64_t mtime_ns, char out[65], char **cause)
{
	sqlite3_stmt	*st;
	const char	*h;
	int		 rc, found = 0;

	out[0] = '\0';
	if (store_prepare(s, &st, "SELECT sha256 FROM models WHERE path = ? "
	    "AND size = ? AND mtime_ns = ? AND sha256 IS NOT NULL",
	    cause) != 0)
		return -1;
	store_bind_text(st, 1, path);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		h = (const char *)sqlite3_column_text(st, 0);
		if (h != NULL && strlen(h) == SHA256_HEXLEN &&
		    strspn(h, "0123456789abcdef") == SHA256_HEXLEN) {
			memcpy(out, h, SHA256_HEXLEN + 1);
			found = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, sqlite3_extended_errcode(s->db),
		    "reading the model catalog", cause);
	return found;
}

int
store_model_set_sha256(struct store *s, const char *path, uint64_t size,
    int64_t mtime_ns, const char *sha256, char **cause)
{
	sqlite3_stmt	*st;

	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, "INSERT INTO models (path, size, mtime_ns, "
	    "sha256) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (path) DO UPDATE "
	    "SET size = ?2, mtime_ns = ?3, sha256 = ?4", cause) != 0)
		goto fail;
	store_bind_text(st, 1, path);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	store_bind_text(st, 4, sha256);
	if (store_step_done(s, st, "saving the model catalog", cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
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
	mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
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

void
store_model_free(struct store_model *m)
{
	if (m == NULL)
		return;
	free(m->path);
	free(m->sha256);
	free(m->name);
	free(m->quant);
	free(m->summary_json);
	memset(m, 0, sizeof *m);
}

void
store_models_free(struct store_model *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_model_free(&v[i]);
	free(v);
}

/* ---- advisory acknowledgements --------------------------------------- */

#define STORE_ACK_COLS \
	"id, advisory_version, advisory_sha256, model_file, model_quant, " \
	"model_sha256, os_user, time, method"

/* A row of STORE_ACK_COLS into the struct store_ack at p. */
static int
store_ack_read(struct store *s, sqlite3_stmt *st, void *p, char **cause)
{
	struct store_ack	*a = p;

	(void)s;
	(void)cause;
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(st, 0);
	a->advisory_version = store_col_text_nn(st, 1);
	a->advisory_sha256 = store_col_text_nn(st, 2);
	a->model_file = store_col_text_nn(st, 3);
	a->model_quant = store_col_text(st, 4);
	a->model_sha256 = store_col_text_nn(st, 5);
	a->os_user = store_col_text_nn(st, 6);
	a->time = sqlite3_column_int64(st, 7);
	a->method = store_col_text_nn(st, 8);
	return 0;
}

/* The login name of the effective user, or "uid N". */
static const char *
store_os_user(char *buf, size_t len)
{
	struct passwd	*pw;

	if ((pw = getpwuid(geteuid())) != NULL && pw->pw_name != NULL &&
	    *pw->pw_name != '\0')
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)geteuid());
	return buf;
}

int
store_ack_check(struct store *s, const char *model_sha256,
    struct store_ack *found, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (found != NULL)
		memset(found, 0, sizeof *found);
	if (store_prepare(s, &st, "SELECT " STORE_ACK_COLS " FROM "
	    "advisory_acks WHERE advisory_version = ? AND advisory_sha256 = ? "
	    "AND model_sha256 = ? AND substr(method, 1, 7) <> 'import:' "
	    "ORDER BY time DESC, id DESC LIMIT 1",
	    cause) != 0)
		return -1;
	store_bind_text(st, 1, s->adv.version);
	store_bind_text(st, 2, s->adv.sha256);
	store_bind_text(st, 3, model_sha256 != NULL ? model_sha256 : "");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && found != NULL)
		store_ack_read(s, st, found, NULL);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(s, sqlite3_extended_errcode(s->db),
	    "reading acknowledgements", cause);
}

int
store_ack_record(struct store *s, const char *model_file,
    const char *model_quant, const char *model_sha256, const char *method,
    char **cause)
{
	sqlite3_stmt	*st;
	char		 user[256];

	if (model_sha256 == NULL || strlen(model_sha256) != SHA256_HEXLEN) {
		xasprintf(cause, "%s: acknowledgement needs the model's sha256",
		    s->name);
		return -1;
	}
	if (store_begin(s, cause) != 0)
		return -1;
	if (store_prepare(s, &st, "INSERT INTO advisory_acks "
	    "(advisory_version, advisory_sha256, model_file, model_quant, "
	    "model_sha256, os_user, time, method) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", cause) != 0)
		goto fail;
	store_bind_text(st, 1, s->adv.version);
	store_bind_text(st, 2, s->adv.sha256);
	store_bind_text(st, 3, model_file != NULL ? model_file : "");
	store_bind_text(st, 4, model_quant);
	store_bind_text(st, 5, model_sha256);
	store_bind_text(st, 6, store_os_user(user, sizeof user));
	sqlite3_bind_int64(st, 7, store_now());
	store_bind_text(st, 8, method != NULL ? method : "unknown");
	if (store_step_done(s, st, "recording the acknowledgement",
	    cause) != 0)
		goto fail;
	return store_commit(s, cause);

fail:
	store_rollback(s);
	return -1;
}

int
store_ack_list(struct store *s, struct store_ack **out, size_t *n,
    char **cause)
{
	sqlite3_stmt	*st;
	void		*v;
	size_t		 nv;

	*out = NULL;
	*n = 0;
	if (store_prepare(s, &st, "SELECT " STORE_ACK_COLS " FROM "
	    "advisory_acks ORDER BY time DESC, id DESC", cause) != 0)
		return -1;
	if (store_collect(s, st, sizeof **out, store_ack_read,
	    "reading acknowledgements", &v, &nv, cause) != 0) {
		store_acks_free(v, nv);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}

void
store_ack_free(struct store_ack *a)
{
	if (a == NULL)
		return;
	free(a->advisory_version);
	free(a->advisory_sha256);
	free(a->model_file);
	free(a->model_quant);
	free(a->model_sha256);
	free(a->os_user);
	free(a->method);
	memset(a, 0, sizeof *a);
}

void
store_acks_free(struct store_ack *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_ack_free(&v[i]);
	free(v);
}
