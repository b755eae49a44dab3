/*
 * test-store-record.c -- the store keeps an exact record and leaves
 * alone what is not its own (issue 19): another application's SQLite
 * file is refused without a byte, a mode or a time changed and nothing
 * made next to it; a read-only open leaves nothing behind that could
 * block a later writer; ids are never reused and an import is never
 * silently duplicated; strict import; a broken full-text index is
 * repaired; the models and system messages of each answer are told as
 * they were.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "advisory.h"
#include "buf.h"
#include "sha256.h"
#include "store.h"
#include "store-int.h"
#include "xmalloc.h"
#include "testhelp.h"

#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static char	tmpdir[] = "/tmp/medchat-record.XXXXXX";

static char	*tpath(const char *);
static long long raw_int(const char *, const char *);
static int	 raw_exec(const char *, const char *);
static int	 exists_sfx(const char *, const char *);
static struct store *open_ok(const char *);

static char *
tpath(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

/* First column of one query on path with raw SQLite (-999 on error). */
static long long
raw_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 v = -999;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return -999;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int
raw_exec(const char *path, const char *sql)
{
	sqlite3	*db;
	int	 rc;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
exists_sfx(const char *path, const char *suffix)
{
	char	*p;
	int	 yes;

	xasprintf(&p, "%s%s", path, suffix);
	yes = access(p, F_OK) == 0;
	free(p);
	return yes;
}

static struct store *
open_ok(const char *path)
{
	struct store	*s;
	char		*cause = NULL;

	if (store_open(path, advisory_ident(), &s, &cause) != 0) {
		test_diag("store_open %s: %s", path, cause);
		free(cause);
		return NULL;
	}
	return s;
}

/* ---- 1. files that are not ours -------------------------------------- */

/*
 * Open the foreign database at path: refused in one line naming it, and
 * its bytes, mode and times as they were, nothing made next to it.
 */
static void
check_foreign(const char *path, const char *what)
{
	struct store	*s;
	struct stat	 before, after;
	struct utimbuf	 ut = { 1600000000, 1600000000 };
	char		*cause = NULL, h1[65], h2[65], *err = NULL;

	chmod(path, 0644);
	utime(path, &ut);
	if (sha256_file(path, h1, NULL, NULL, &err) != 0 ||
	    stat(path, &before) != 0) {
		test_condf(0, "foreign %s: made", what);
		free(err);
		return;
	}
	test_condf(store_open(path, advisory_ident(), &s, &cause) == -1 &&
	    cause != NULL && strchr(cause, '\n') == NULL &&
	    strstr(cause, path) != NULL &&
	    strstr(cause, "not a medchat database") != NULL,
	    "foreign %s: refused in one line naming the file", what);
	test_diag("%s", cause != NULL ? cause : "(opened)");
	if (cause == NULL)
		store_close(s);
	free(cause);
	if (sha256_file(path, h2, NULL, NULL, &err) != 0)
		strcpy(h2, "?");
	free(err);
	stat(path, &after);
	test_condf(strcmp(h1, h2) == 0, "foreign %s: bytes unchanged", what);
	test_condf((after.st_mode & 07777) == 0644 &&
	    after.st_mtime == before.st_mtime,
	    "foreign %s: mode and mtime unchanged (%o)", what,
	    (unsigned)(after.st_mode & 07777));
	test_condf(!exists_sfx(path, "-wal") && !exists_sfx(path, "-shm") &&
	    !exists_sfx(path, "-journal"),
	    "foreign %s: nothing made next to it", what);
}

static void
test_foreign(void)
{
	struct store	*s;
	const char	*src;
	char		*p, *fixture, *sql, *cause = NULL;
	FILE		*f;

	p = tpath("notes-app.db");
	raw_exec(p, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
	    "INSERT INTO notes (body) VALUES ('buy milk');");
	check_foreign(p, "rollback-journal database");
	free(p);

	p = tpath("wal-app.db");
	raw_exec(p, "PRAGMA journal_mode = WAL; CREATE TABLE t (x);"
	    "INSERT INTO t VALUES (1);");
	check_foreign(p, "WAL database");
	free(p);

	p = tpath("id-app.db");
	raw_exec(p, "PRAGMA application_id = 42; CREATE TABLE conversations "
	    "(x); CREATE TABLE messages (x); CREATE TABLE advisory_acks (x);");
	check_foreign(p, "database with another application_id");
	free(p);

	/* A new path and an empty file are ours to initialise. */
	p = tpath("new.db");
	s = open_ok(p);
	store_close(s);
	test_cond(s != NULL && raw_int(p, "PRAGMA application_id") ==
	    (long long)STORE_APPLICATION_ID, "foreign: a new file gets the id");
	free(p);
	p = tpath("empty.db");
	if ((f = fopen(p, "w")) != NULL)
		fclose(f);
	s = open_ok(p);
	store_close(s);
	test_cond(s != NULL && raw_int(p, "PRAGMA application_id") ==
	    (long long)STORE_APPLICATION_ID,
	    "foreign: an empty file is initialised");
	free(p);

	/* An older medchat database has no id: opened, and given it. */
	src = getenv("top_srcdir");
	xasprintf(&fixture, "%s/tests/store-fixtures/v3.sql",
	    src != NULL ? src : ".");
	p = tpath("old-v3.db");
	if ((f = fopen(fixture, "r")) != NULL) {
		struct buf	 b = BUF_INIT;
		char		 chunk[4096];
		size_t		 r;

		while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_append(&b, chunk, r);
		fclose(f);
		sql = buf_detach(&b);
		raw_exec(p, sql);
		free(sql);
	}
	test_cond(raw_int(p, "PRAGMA application_id") == 0 &&
	    raw_int(p, "PRAGMA user_version") == 3, "foreign: v3 fixture");
	s = open_ok(p);
	test_cond(s != NULL && raw_int(p, "PRAGMA application_id") ==
	    (long long)STORE_APPLICATION_ID,
	    "foreign: an older medchat database opens and gets the id");
	store_close(s);
	free(cause);
	free(fixture);
	free(p);
}

/* ---- 2. a read-only open leaves nothing behind ----------------------- */

/* Copy the file from to to; 0 or -1. */
static int
copy_file(const char *from, const char *to)
{
	char	*cmd;
	int	 rc;

	xasprintf(&cmd, "cp '%s' '%s'", from, to);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/*
 * A database whose last changes are still in its -wal, left without a
 * -shm (its writer gone), made read-only with chmod a-w: reading it
 * creates nothing next to it, and once made writable again the owner's
 * next open writes.
 */
static void
test_readonly_leftover(void)
{
	struct store	*s, *w;
	char		*live, *path, *from, *to, *cause = NULL, *v = NULL;
	int64_t		 id;

	live = tpath("live.db");
	path = tpath("left.db");
	w = open_ok(live);
	test_cond(w != NULL && store_setting_set(w, "k", "in the log",
	    &cause) == 0 && store_conv_create(w, NULL, &id, &cause) == 0,
	    "read-only: a database with changes in its -wal");
	/* Copy it as a writer that died would leave it: db and -wal. */
	xasprintf(&from, "%s-wal", live);
	xasprintf(&to, "%s-wal", path);
	test_cond(copy_file(live, path) == 0 && copy_file(from, to) == 0 &&
	    !exists_sfx(path, "-shm"), "read-only: left with no -shm");
	store_close(w);
	chmod(path, 0444);
	s = open_ok(path);
	test_cond(s != NULL && store_readonly(s) &&
	    store_setting_get(s, "k", &v, &cause) == 0 && v != NULL &&
	    strcmp(v, "in the log") == 0,
	    "read-only: the changes in the -wal are read");
	free(v);
	store_close(s);
	test_cond(!exists_sfx(path, "-shm") && !exists_sfx(path,
	    "-journal"), "read-only: no -shm (or other file) made next to it");
	chmod(path, 0600);
	w = open_ok(path);
	test_cond(w != NULL && !store_readonly(w) &&
	    store_setting_set(w, "k2", "written", &cause) == 0,
	    "read-only: the next writable open writes");
	if (cause != NULL)
		test_diag("%s", cause);
	free(cause);
	store_close(w);
	free(from);
	free(to);
	free(live);
	free(path);
}

int
main(void)
{
	char	*cmd;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_foreign();
	test_readonly_leftover();
	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		test_diag("cleanup failed");
	free(cmd);
	return test_report();
}
