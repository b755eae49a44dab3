/*
 * store-open.c -- opening the conversation store (see store.h for the
 * API): the checks made before SQLite touches a file, the read-only open,
 * the migrations and the copy made before them, and closing.
 *
 * Design:
 * - One database file per user; the directory is made 0700 and every file
 *   SQLite makes (database, -wal, -shm) 0600: umask 077 is set around
 *   sqlite3_open_v2 and the first write, and the files are chmod'ed after.
 * - Opening is careful never to write to a file it does not understand:
 *   the header is checked before SQLite sees the file, and the file is
 *   identified as medchat's (store_identify: PRAGMA application_id, or
 *   medchat's tables read through an immutable connection) before any
 *   connection that could change it is made; then the schema version
 *   and PRAGMA quick_check are read; only after that is the file
 *   switched to WAL or migrated.  A newer schema is refused.
 *   Migrations run with foreign keys off (a table rebuild drops the old
 *   table without cascading); they are switched on after.
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
 *   SQLite's ordinary read-only mode is used, with its locks -- except
 *   when a -wal holds data and no -shm exists (its writer is gone):
 *   SQLite would create the -shm with the database's mode (0444 for a
 *   chmod a-w file), which then blocks the owner's next writable open,
 *   so a private copy of the database and its -wal is read instead and
 *   removed at close.  An older
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
 * The other subjects are in the files store-int.h lists.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

#include "schema-sql.h"

#define STORE_BUSY_MS	5000	/* default wait for another process */

static int	 store_busy(void *, int);
static int	 store_mkdirs(const char *, const char *, char **);
static int	 store_check_header(const char *, const char *, int *,
		     uint32_t *, char **);
static int	 store_identify(struct store *, uint32_t, char **);
static int	 store_get_version(struct store *, int *, char **);
static int	 store_quick_check(struct store *, char **);
static int	 store_pragma_text(struct store *, const char *, const char *,
		     char **, char **);
static int	 store_set_wal(struct store *, char **, char **);
static int	 store_migrate(struct store *, int, char **);
static int	 store_backup(struct store *, int, char **);
static int	 store_has_data(struct store *);
static int	 store_old_data(struct store *, int *, char **);
static void	 store_fix_modes(struct store *);
static int	 store_mark_interrupted(struct store *, char **);
static int	 store_must_read_only(const char *, int *);
static int	 store_has_file(const char *, const char *);
static int	 store_has_sfx(const char *, const char *);
static char	*store_immutable_uri(const char *);
static int	 store_check_version(struct store *, int, char **);
static int	 store_snapshot(struct store *, char **, char **);
static void	 store_snapshot_remove(struct store *);
static int	 store_open_read_only(struct store *, char **);

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

	/* Not even one sleep when told not to wait (store_set_busy_ms). */
	if (s->busy_ms <= 0)
		return 0;
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
 * SQLite header.  0 with *appid the header's application_id, or -1 with
 * cause (naming name); *exists = 0 if there is no file.
 */
static int
store_check_header(const char *path, const char *name, int *exists,
    uint32_t *appid, char **cause)
{
	static const char	 magic[16] = "SQLite format 3";
	struct stat		 sb;
	char			 hdr[100];
	ssize_t			 r;

	*exists = 0;
	*appid = 0;
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
	if ((r = store_file_read(path, 0, hdr, sizeof hdr)) < 0) {
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
	/* Bytes 68-71: PRAGMA application_id, big-endian. */
	*appid = (uint32_t)(unsigned char)hdr[68] << 24 |
	    (uint32_t)(unsigned char)hdr[69] << 16 |
	    (uint32_t)(unsigned char)hdr[70] << 8 | (unsigned char)hdr[71];
	*exists = 1;
	return 0;
}

/*
 * Is the existing SQLite file at s->path ours?  Decided before anything
 * may change it: by the application_id in its header (appid, medchat's
 * STORE_APPLICATION_ID or another application's), else -- a database of
 * an older medchat, or of an application that sets no id -- by its
 * tables, read through an immutable=1 connection that takes no lock and
 * creates nothing next to the file.  A file with no table at all is
 * treated as new (another medchat may be creating it right now).  0 if
 * the file may be opened, -1 with a one-line cause naming it if not.
 */
static int
store_identify(struct store *s, uint32_t appid, char **cause)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	char		*abs, *uri;
	int		 rc, ntables = -1, ours = 0;

	if (appid == STORE_APPLICATION_ID)
		return 0;
	if (appid != 0) {
		xasprintf(cause, "%s: not a medchat database (it belongs to "
		    "another application, application_id 0x%08x; left "
		    "untouched)", s->name, (unsigned)appid);
		return -1;
	}
	if ((abs = realpath(s->path, NULL)) == NULL) {
		xasprintf(cause, "%s: %s", s->name, strerror(errno));
		return -1;
	}
	uri = store_immutable_uri(abs);
	free(abs);
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT count(*), "
		    "sum(name IN ('conversations', "
		    "'messages', 'advisory_acks')) FROM sqlite_master "
		    "WHERE type = 'table'", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ntables = sqlite3_column_int(st, 0);
		ours = sqlite3_column_int(st, 1) == 3;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		/* Checked again, with its own message, by the open itself. */
		sqlite3_close(db);
		return 0;
	}
	sqlite3_close(db);
	if (ntables == 0 || ours)
		return 0;
	xasprintf(cause, "%s: not a medchat database (it holds another "
	    "application's tables; left untouched)", s->name);
	return -1;
}

static int
store_get_version(struct store *s, int *v, char **cause)
{
	char	*t;

	if (store_pragma_text(s, "PRAGMA user_version",
	    "reading the schema version", &t, cause) != 0)
		return -1;
	*v = atoi(t);
	free(t);
	return 0;
}

/*
 * Run a PRAGMA that returns one value, as text; *out is a new string.
 * what names the work in the message of a failure.
 */
static int
store_pragma_text(struct store *s, const char *sql, const char *what,
    char **out, char **cause)
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
		return store_fail(s, rc, what, cause);
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

	if (store_pragma_text(s, "PRAGMA journal_mode",
	    "PRAGMA journal_mode", mode, cause) != 0)
		return -1;
	if (strcmp(*mode, "wal") == 0)
		return 0;
	for (;;) {
		free(*mode);
		if (store_pragma_text(s, "PRAGMA journal_mode = WAL",
		    "PRAGMA journal_mode = WAL", mode, &err) == 0)
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

	if (store_exec(s, "reading the schema version", cause, "BEGIN",
	    "") != 0)
		return -1;
	if (store_get_version(s, v, cause) != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	data = *v > 0 && *v < store_schema_version() && store_has_data(s);
	if (store_exec(s, "reading the schema version", cause, "COMMIT",
	    "") != 0)
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

	/*
	 * Usually there is none, or only the answers other processes are
	 * writing now: then take no write lock at all (another process may
	 * hold it for long, and opening would wait for it).
	 */
	if (store_prepare(s, &st, "SELECT writer_pid FROM messages WHERE "
	    "status = 'streaming'", cause) != 0)
		return -1;
	dead = 0;
	while (!dead && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		pid = (pid_t)sqlite3_column_int64(st, 0);
		dead = pid <= 0 || (kill(pid, 0) == -1 && errno == ESRCH);
	}
	if (!dead && rc != SQLITE_DONE) {
		store_fail(s, sqlite3_extended_errcode(s->db), "looking for "
		    "interrupted answers", cause);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (!dead)
		return 0;

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

/* Does "<path><suffix>" exist at all? */
static int
store_has_sfx(const char *path, const char *suffix)
{
	struct stat	 sb;
	char		*p;
	int		 yes;

	xasprintf(&p, "%s%s", path, suffix);
	yes = lstat(p, &sb) == 0;
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
 * A read-only database whose -wal file holds committed changes but has
 * no -shm next to it (its writer is gone): SQLite could read it only by
 * creating the -shm, with the database's mode -- a 0444 -shm after which
 * the owner's next writable open fails.  Copy the database and its -wal
 * into a private directory instead and read the copy; store_close
 * removes it.  0 and *copy (the path to open, caller frees), or -1 and
 * cause.
 */
static int
store_snapshot(struct store *s, char **copy, char **cause)
{
	const char	*tmp;
	char		*dir, *wal, *from;

	*copy = NULL;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&dir, "%s/medchat-ro.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		xasprintf(cause, "%s: cannot read its -wal file without "
		    "changing the directory it is in, and cannot make a "
		    "private copy in %s: %s (left untouched)", s->name, tmp,
		    strerror(errno));
		free(dir);
		return -1;
	}
	s->snapdir = dir;
	xasprintf(copy, "%s/medchat.db", dir);
	xasprintf(&wal, "%s-wal", *copy);
	xasprintf(&from, "%s-wal", s->path);
	if (store_copy_file(s->path, *copy, 1) != 0 ||
	    store_copy_file(from, wal, 0) != 0) {
		xasprintf(cause, "%s: cannot make a private copy to read "
		    "it with its -wal file: %s (left untouched)", s->name,
		    strerror(errno));
		free(wal);
		free(from);
		free(*copy);
		*copy = NULL;
		return -1;
	}
	free(wal);
	free(from);
	return 0;
}

/* Remove the private copy made by store_snapshot, if any. */
static void
store_snapshot_remove(struct store *s)
{
	static const char *const	 sfx[] = { "", "-wal", "-shm",
					     "-journal" };
	char				*p;
	size_t				 i;

	if (s->snapdir == NULL)
		return;
	for (i = 0; i < sizeof sfx / sizeof *sfx; i++) {
		xasprintf(&p, "%s/medchat.db%s", s->snapdir, sfx[i]);
		unlink(p);
		free(p);
	}
	rmdir(s->snapdir);
	free(s->snapdir);
	s->snapdir = NULL;
}

/*
 * Open s->path (an existing SQLite file) for reading only; see the
 * design notes at the top.  Nothing is written to the file or created
 * next to it by this function: where SQLite would create a -shm (a -wal
 * file without one), a private copy is read instead (store_snapshot).
 */
static int
store_open_read_only(struct store *s, char **cause)
{
	char	*uri = NULL, *abs, *err = NULL, *copy = NULL;
	int	 immutable, flags, rc, v, shm;

	store_must_read_only(s->path, &immutable);
	flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	shm = store_has_sfx(s->path, "-shm");
	if (!shm && store_has_file(s->path, "-wal")) {
		if (store_snapshot(s, &copy, cause) != 0)
			return -1;
	} else if ((immutable || (!shm && store_has_sfx(s->path,
	    "-wal"))) && !store_has_file(s->path, "-wal") &&
	    !store_has_file(s->path, "-journal")) {
		if ((abs = realpath(s->path, NULL)) == NULL) {
			xasprintf(cause, "%s: %s", s->name, strerror(errno));
			return -1;
		}
		uri = store_immutable_uri(abs);
		free(abs);
		flags |= SQLITE_OPEN_URI;
	}
	rc = sqlite3_open_v2(uri != NULL ? uri : copy != NULL ? copy :
	    s->path, &s->db, flags, NULL);
	free(uri);
	free(copy);
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
	return store_exec(s, "opening read-only", cause,
	    "PRAGMA query_only = 1", "");
}

int
store_open(const char *path, const struct store_advisory *adv,
    struct store **sp, char **cause)
{
	struct store	*s;
	const char	*e;
	char		*mode = NULL;
	mode_t		 um;
	uint32_t	 appid;
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
	    store_check_header(s->path, s->name, &exists, &appid,
	    cause) != 0 || (exists && store_identify(s, appid, cause) != 0))
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

	if (store_set_wal(s, &mode, cause) != 0)
		goto fail_umask;
	if (strcmp(mode, "wal") != 0) {
		xasprintf(cause, "%s: cannot switch to WAL mode (journal mode "
		    "stays '%s')", s->name, mode);
		goto fail_umask;
	}
	free(mode);
	mode = NULL;
	if (store_exec(s, "setting synchronous", cause,
	    "PRAGMA synchronous = FULL", "") != 0)
		goto fail_umask;

	if (v < store_schema_version()) {
		if (store_old_data(s, &bv, cause) < 0 ||
		    (bv > 0 && store_backup(s, bv, cause) != 0))
			goto fail_umask;
		if (store_migrate(s, v, cause) != 0)
			goto fail_umask;
	}
	/*
	 * Only now: a migration that rebuilds a table must drop the old one
	 * without ON DELETE CASCADE emptying the others (and the pragma is
	 * a no-op inside the migrations' transactions).
	 */
	if (store_exec(s, "enabling foreign keys", cause,
	    "PRAGMA foreign_keys = ON", "") != 0)
		goto fail_umask;
	umask(um);
	store_fix_modes(s);

	/* A damaged search index is rebuilt (store-search.c). */
	store_fts_repair(s, 0);
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
	store_snapshot_remove(s);
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

int
store_set_busy_ms(struct store *s, int ms)
{
	int	old = s->busy_ms;

	s->busy_ms = ms > 0 ? ms : 0;
	return old;
}

int
store_busy_ms(const struct store *s)
{
	return s->busy_ms;
}

unsigned long
store_lock_failures(const struct store *s)
{
	return s->lock_failures;
}
