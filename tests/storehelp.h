/*
 * storehelp.h -- the helpers the store tests share (include after
 * testhelp.h, store.h and advisory.h): raw SQLite reads and writes of a
 * database file, behind the store's back (raw_int, raw_text, raw_exec),
 * open_ok() (store_open, its cause told), exists_sfx(), the fixtures of
 * old schemas (fixture_path, load_fixture, fixture_db) and test_export()
 * (one conversation exported into a string).
 *
 * tmpdir_make(), tpath() (a file in the test's temporary directory) and
 * fixture_db() are there when the includer defines STOREHELP_TMPDIR as
 * the name of its mkdtemp() template before including this file.
 */
#ifndef STOREHELP_H
#define STOREHELP_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

#ifdef STOREHELP_TMPDIR
/* Make the test's temporary directory: 0, or -1 said on stderr. */
static __attribute__((unused)) int
tmpdir_make(void)
{
	if (mkdtemp(STOREHELP_TMPDIR) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

static __attribute__((unused)) char *
tpath(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", STOREHELP_TMPDIR, name);
	return p;
}
#endif

/* First column of one query on path with raw SQLite (-999 on error). */
static __attribute__((unused)) long long
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

/* First column of one query as text, in a new string ("?" on error). */
static __attribute__((unused)) char *
raw_text(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*v = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return xstrdup("?");
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v != NULL ? v : xstrdup("?");
}

/* Run sql on path with raw SQLite: 0, or -1 on any error. */
static __attribute__((unused)) int
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

/* store_open() of path, or NULL with its cause told as a diagnostic. */
static __attribute__((unused)) struct store *
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

/* Does "<path><suffix>" exist? */
static __attribute__((unused)) int
exists_sfx(const char *path, const char *suffix)
{
	char	*p;
	int	 yes;

	xasprintf(&p, "%s%s", path, suffix);
	yes = access(p, F_OK) == 0;
	free(p);
	return yes;
}

/* The path of tests/store-fixtures/<name>, in a new string. */
static __attribute__((unused)) char *
fixture_path(const char *name)
{
	const char	*src = getenv("top_srcdir");
	char		*p;

	xasprintf(&p, "%s/tests/store-fixtures/%s", src != NULL ? src : ".",
	    name);
	return p;
}

/* Load the SQL file fixture into a new database at path. */
static __attribute__((unused)) int
load_fixture(const char *fixture, const char *path)
{
	char	*sql;
	int	 rc;

	if ((sql = test_slurp(fixture, NULL)) == NULL)
		return -1;
	rc = raw_exec(path, sql);
	free(sql);
	return rc;
}

#ifdef STOREHELP_TMPDIR
/*
 * A new database <tmpdir>/file made from tests/store-fixtures/<name>;
 * its path, a new string.
 */
static __attribute__((unused)) char *
fixture_db(const char *name, const char *file)
{
	char	*fixture = fixture_path(name), *path = tpath(file);

	if (load_fixture(fixture, path) != 0)
		test_diag("fixture %s not loaded into %s", fixture, path);
	free(fixture);
	return path;
}
#endif

/*
 * Conversation id of s exported in fmt, in a new string ("" if it could
 * not be made); its length into *len unless len is NULL.
 */
static __attribute__((unused)) char *
test_export(struct store *s, int64_t id, enum store_format fmt, size_t *len)
{
	FILE	*f;
	char	*out = NULL, *cause = NULL;
	size_t	 n = 0;

	if ((f = open_memstream(&out, &n)) == NULL) {
		if (len != NULL)
			*len = 0;
		return xstrdup("");
	}
	if (store_export(s, &id, 1, fmt, f, &cause) != 0) {
		test_diag("export: %s", cause);
		free(cause);
	}
	fclose(f);
	if (len != NULL)
		*len = n;
	return out;
}

#endif /* STOREHELP_H */
