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

#define STOREHELP_TMPDIR tmpdir
#include "storehelp.h"

static void	 test_conv_asked(void);

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

/* A foreign database made at <tmpdir>/file by sql, checked as above. */
static void
foreign_db(const char *file, const char *sql, const char *what)
{
	char	*p = tpath(file);

	raw_exec(p, sql);
	check_foreign(p, what);
	free(p);
}

/*
 * The end of an export-import round: the source store s at path p, the
 * store s2 at p2 imported into, the imported ids and the export json,
 * all closed and freed.
 */
static void
import_done(struct store *s, char *p, struct store *s2, char *p2,
    int64_t *ids, char *json)
{
	free(ids);
	free(json);
	store_close(s2);
	store_close(s);
	free(p);
	free(p2);
}

static void
test_foreign(void)
{
	struct store	*s;
	char		*p, *cause = NULL;
	FILE		*f;

	foreign_db("notes-app.db", "CREATE TABLE notes (id INTEGER PRIMARY KEY, "
	    "body TEXT); INSERT INTO notes (body) VALUES ('buy milk');",
	    "rollback-journal database");
	foreign_db("wal-app.db", "PRAGMA journal_mode = WAL; CREATE TABLE t (x);"
	    "INSERT INTO t VALUES (1);", "WAL database");
	foreign_db("id-app.db", "PRAGMA application_id = 42; CREATE TABLE "
	    "conversations (x); CREATE TABLE messages (x); CREATE TABLE "
	    "advisory_acks (x);", "database with another application_id");

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
	p = fixture_db("v3.sql", "old-v3.db");
	test_cond(raw_int(p, "PRAGMA application_id") == 0 &&
	    raw_int(p, "PRAGMA user_version") == 3, "foreign: v3 fixture");
	s = open_ok(p);
	test_cond(s != NULL && raw_int(p, "PRAGMA application_id") ==
	    (long long)STORE_APPLICATION_ID,
	    "foreign: an older medchat database opens and gets the id");
	store_close(s);
	free(cause);
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

/* ---- 3. ids are never reused; an import is never duplicated --------- */

static void
test_ids(void)
{
	struct store			*s, *s2;
	struct store_import_skip	*sk = NULL;
	char				*p, *p2, *old, *cause = NULL, *json;
	int64_t				 a, b, c, m1, m2, *ids = NULL;
	size_t				 n = 0, nsk = 0, len = 0;

	p = tpath("ids.db");
	s = open_ok(p);
	if (s == NULL)
		return;
	store_conv_create(s, NULL, &a, &cause);
	store_msg_add(s, a, 0, STORE_ROLE_USER, "first", STORE_STATUS_COMPLETE,
	    NULL, NULL, &cause);
	store_conv_create(s, NULL, &b, &cause);
	store_msg_add(s, b, 0, STORE_ROLE_USER, "second",
	    STORE_STATUS_COMPLETE, NULL, &m1, &cause);
	test_cond(store_conv_delete(s, b, &cause) == 0,
	    "ids: the newest conversation deleted");
	store_conv_create(s, NULL, &c, &cause);
	store_msg_add(s, c, 0, STORE_ROLE_USER, "third", STORE_STATUS_COMPLETE,
	    NULL, &m2, &cause);
	test_condf(c > b && m2 > m1, "ids: a new conversation does not get the "
	    "deleted one's id (%lld after %lld), nor its message (%lld after "
	    "%lld)", (long long)c, (long long)b, (long long)m2, (long long)m1);

	/* The same export imported twice: the second time it is skipped. */
	json = test_export(s, a, STORE_FMT_JSON, &len);
	test_cond(json != NULL && strstr(json, "\"uid\": \"") != NULL,
	    "ids: the export carries the conversation's uid");
	p2 = tpath("ids-import.db");
	s2 = open_ok(p2);
	test_cond(s2 != NULL && store_import(s2, json, len, &ids, &n, &sk,
	    &nsk, &cause) == 0 && n == 1 && nsk == 0,
	    "ids: imported once");
	store_import_skips_free(sk, nsk);
	free(ids);
	test_cond(s2 != NULL && store_import(s2, json, len, &ids, &n, &sk,
	    &nsk, &cause) == 0 && n == 0 && nsk == 1 && sk[0].id == 1 &&
	    strcmp(sk[0].title, "first") == 0 && raw_int(p2,
	    "SELECT count(*) FROM conversations") == 1,
	    "ids: imported again: skipped and reported, not duplicated");
	store_import_skips_free(sk, nsk);
	free(ids);
	/* An import does not revive a deleted id either. */
	test_cond(s2 != NULL && store_conv_delete(s2, 1, &cause) == 0 &&
	    store_import(s2, json, len, &ids, &n, &sk, &nsk, &cause) == 0 &&
	    n == 1 && ids[0] > 1, "ids: an import does not take a deleted id");
	store_import_skips_free(sk, nsk);
	import_done(s, p, s2, p2, ids, json);

	/*
	 * A migrated database: the same, and everything else kept (the
	 * indexes: four of messages and conversations, acknowledgements',
	 * consents', measurements' and answers by model of schema 6).
	 */
	old = fixture_db("v2.sql", "ids-v2.db");
	s = open_ok(old);
	test_cond(s != NULL && raw_int(old, "SELECT count(*) FROM "
	    "sqlite_master WHERE type = 'trigger'") == 6 && raw_int(old,
	    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
	    "name NOT LIKE 'sqlite_autoindex%'") == 8 && raw_int(old,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0 &&
	    raw_int(old, "SELECT count(*) FROM messages") == 5,
	    "ids: migrated: rows, indexes, triggers and keys kept");
	{
		struct store_hit	*h = NULL;
		size_t			 nh = 0;

		test_cond(s != NULL && store_search(s, "Narkose", 0, "[", "]",
		    0, &h, &nh, &cause) == 0 && nh == 2,
		    "ids: migrated: the full-text index answers");
		store_hits_free(h, nh);
	}
	test_cond(s != NULL && store_conv_delete(s, 3, &cause) == 0 &&
	    store_conv_create(s, NULL, &c, &cause) == 0 && c == 4,
	    "ids: migrated: a deleted id is not given again");
	store_close(s);
	free(cause);
	free(old);
}

/* ---- 4. strict import ------------------------------------------------ */

/*
 * An export of one conversation with one answer; the fields under test
 * are given as JSON literals.
 */
static char *
strict_json(const char *title, const char *created, const char *n_prompt,
    const char *prefill)
{
	char	*j;

	xasprintf(&j, "{\"format\": \"medchat-export\", \"version\": 1,\n"
	    "\"conversations\": [{\"id\": 1, \"title\": %s,\n"
	    "\"created\": %s, \"updated\": \"2026-01-01T00:00:00.000Z\",\n"
	    "\"archived\": false, \"messages\": [{\"id\": 1, \"role\": "
	    "\"assistant\", \"status\": \"complete\", \"content\": \"x\",\n"
	    "\"created\": \"2026-01-01T00:00:00.000Z\", \"updated\": "
	    "\"2026-01-01T00:00:00.000Z\", \"n_prompt\": %s, \"n_gen\": 1,\n"
	    "\"prefill_tps\": %s, \"decode_tps\": 1.5, \"trimmed\": false}]}"
	    "]}\n", title, created, n_prompt, prefill);
	return j;
}

/* Where the literal value of "key": value starts in json, or -1. */
static size_t
value_offset(const char *json, const char *key, const char *value)
{
	char	*needle;
	size_t	 off = (size_t)-1, i, n;

	xasprintf(&needle, "\"%s\": %s", key, value);
	n = strlen(needle);
	for (i = 0; json[i] != '\0'; i++) {
		if (strncmp(json + i, needle, n) == 0) {
			off = i + strlen(key) + 4;
			break;
		}
	}
	free(needle);
	return off;
}

/*
 * Import json into s: refused in one line naming key and the byte
 * offset where value (its JSON literal) starts, nothing added.
 */
static void
strict_refused(struct store *s, const char *path, const char *json,
    const char *key, const char *value, const char *what)
{
	const char	*b;
	char		*cause = NULL, *needle;
	long long	 before = raw_int(path, "SELECT count(*) FROM messages");
	size_t		 off = value_offset(json, key, value);
	int		 ok, found = off != (size_t)-1;

	ok = store_import_json(s, json, strlen(json), NULL, NULL, &cause) ==
	    -1 && cause != NULL && strchr(cause, '\n') == NULL;
	xasprintf(&needle, "\"%s\"", key);
	ok = ok && strstr(cause, needle) != NULL;
	free(needle);
	xasprintf(&needle, "at byte %zu)", off);
	b = cause != NULL ? strstr(cause, needle) : NULL;
	test_condf(ok && b != NULL && found && raw_int(path,
	    "SELECT count(*) FROM messages") == before,
	    "strict: %s refused, naming the field and its byte offset", what);
	test_diag("%s", cause != NULL ? cause : "(accepted)");
	free(needle);
	free(cause);
}

static void
test_strict(void)
{
	static const struct {
		const char	*key, *value, *what;
	} bad[] = {
		{ "created", "\"2026-02-31T00:00:00Z\"", "February 31st" },
		{ "created", "\"2025-02-29T00:00:00Z\"", "February 29th, 2025" },
		{ "created", "\"2026-01-01T-1:00:00Z\"", "hour -1" },
		{ "created", "\"2026- 1- 1T00:00:00Z\"", "spaces for digits" },
		{ "created", "\"2026-01-01T00:00:60Z\"", "second 60" },
		{ "created", "\"2026-01-01T24:00:00Z\"", "hour 24" },
		{ "created", "\"+026-01-01T00:00:00Z\"", "a sign in the year" },
		{ "title", "\"\"", "an empty title" },
		{ "title", "\"   \\t \"", "a blank title" },
		{ "title", "\"\\u200b\\u200d\\ufeff\"", "a zero-width title" },
		{ "title", "\"\\u202e\\u2066\\u200f \"", "a bidi-only title" },
		{ "title", "LONG", "a 1001-byte title" },
		{ "prefill_tps", "-5", "a negative rate" },
		{ "n_prompt", "-1", "a negative count" },
	};
	struct store	*s;
	char		*p, *json, *cause = NULL, *longt;
	const char	*t, *c, *n, *r;
	size_t		 i;

	p = tpath("strict.db");
	if ((s = open_ok(p)) == NULL)
		return;
	longt = xmalloc(1004);
	longt[0] = '"';
	memset(longt + 1, 'a', 1001);
	strcpy(longt + 1002, "\"");
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		t = "\"A title\"";
		c = "\"2026-01-01T00:00:00.000Z\"";
		n = "3";
		r = "2.5";
		if (strcmp(bad[i].key, "title") == 0)
			t = strcmp(bad[i].value, "LONG") == 0 ? longt :
			    bad[i].value;
		else if (strcmp(bad[i].key, "created") == 0)
			c = bad[i].value;
		else if (strcmp(bad[i].key, "n_prompt") == 0)
			n = bad[i].value;
		else
			r = bad[i].value;
		json = strict_json(t, c, n, r);
		strict_refused(s, p, json, bad[i].key, strcmp(bad[i].value,
		    "LONG") == 0 ? longt : bad[i].value, bad[i].what);
		free(json);
	}
	/* What is right still imports. */
	json = strict_json("\"\\u200bA visible title\"",
	    "\"2024-02-29T23:59:59.999Z\"", "0", "0");
	test_cond(store_import_json(s, json, strlen(json), NULL, NULL,
	    &cause) == 0, "strict: a leap day, a title with a zero-width "
	    "character and visible text, zero rates import");
	free(json);
	json = strict_json("null", "\"2026-01-01T00:00:00Z\"", "1", "1");
	memset(longt + 1, 'b', 1000);
	strcpy(longt + 1001, "\"");
	free(cause);
	cause = NULL;
	test_cond(store_import_json(s, json, strlen(json), NULL, NULL,
	    &cause) == 0, "strict: a conversation not named yet (null title) "
	    "imports");
	free(json);
	json = strict_json(longt, "\"2026-01-01T00:00:00Z\"", "1", "1");
	test_cond(store_import_json(s, json, strlen(json), NULL, NULL,
	    &cause) == 0, "strict: a 1000-byte title imports");
	free(json);
	free(cause);
	free(longt);
	store_close(s);
	free(p);
}

/* ---- 5. a damaged full-text index is rebuilt ------------------------- */

/* A database with two conversations to damage: its path. */
static char *
fts_db(const char *name, int64_t *c1, int64_t *c2)
{
	struct store		*s;
	struct store_conv	 init;
	char			*p, *cause = NULL;
	int64_t			 q;

	p = tpath(name);
	if ((s = open_ok(p)) == NULL)
		return p;
	memset(&init, 0, sizeof init);
	init.title = "Eins";
	store_conv_create(s, &init, c1, &cause);
	store_msg_add(s, *c1, 0, STORE_ROLE_USER, "Ingwer gegen Übelkeit?",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	store_msg_add(s, *c1, q, STORE_ROLE_ASSISTANT, "Ingwer kann helfen.",
	    STORE_STATUS_COMPLETE, NULL, NULL, &cause);
	init.title = "Zwei";
	store_conv_create(s, &init, c2, &cause);
	store_msg_add(s, *c2, 0, STORE_ROLE_USER, "Kamille am Abend?",
	    STORE_STATUS_COMPLETE, NULL, NULL, &cause);
	free(cause);
	store_close(s);
	return p;
}

/* Search s for word: the number of hits, -1 on an error. */
static int
fts_hits(struct store *s, const char *word)
{
	struct store_hit	*h = NULL;
	char			*cause = NULL;
	size_t			 n = 0;
	int			 rc;

	rc = store_search(s, word, 0, "[", "]", 0, &h, &n, &cause);
	if (rc != 0)
		test_diag("search: %s", cause);
	free(cause);
	store_hits_free(h, n);
	return rc == 0 ? (int)n : -1;
}

/*
 * Damage the index of a new database with sql, before (open_first 0)
 * or after (1) the store opens it: searches find again, a delete works
 * and leaves the index whole.
 */
static void
fts_case(const char *name, const char *sql, int open_first, int more,
    const char *what)
{
	struct store	*s = NULL;
	char		*p, *cause = NULL;
	int64_t		 c1 = 0, c2 = 0;

	p = fts_db(name, &c1, &c2);
	if (open_first)
		s = open_ok(p);
	test_condf(raw_exec(p, sql) == 0 && raw_int(p,
	    "SELECT count(*) FROM pragma_integrity_check WHERE "
	    "integrity_check = 'ok'") == 1, "fts %s: damaged, while "
	    "integrity_check says ok", what);
	if (!open_first)
		s = open_ok(p);
	if (s == NULL) {
		free(p);
		return;
	}
	test_condf(fts_hits(s, "Ingwer") == 2 + more &&
	    fts_hits(s, "Kamille") == 1 + more,
	    "fts %s: searches find again", what);
	test_condf(store_conv_delete(s, c1, &cause) == 0,
	    "fts %s: delete works", what);
	if (cause != NULL)
		test_diag("%s", cause);
	free(cause);
	test_condf(fts_hits(s, "Ingwer") == more &&
	    fts_hits(s, "Kamille") == 1 + more &&
	    raw_exec(p, "INSERT INTO messages_fts (messages_fts, rank) "
	    "VALUES ('integrity-check', 1)") == 0,
	    "fts %s: the index is whole after", what);
	store_close(s);
	free(p);
}

static void
test_fts(void)
{
	static const char	*const drop = "DROP TRIGGER messages_fts_insert;"
	    "INSERT INTO messages (conv_id, role, content, created, updated) "
	    "VALUES (2, 'user', 'Kamille oder Ingwer', 1, 1);";

	fts_case("fts-da.db", "INSERT INTO messages_fts (messages_fts) "
	    "VALUES ('delete-all')", 0, 0, "delete-all before the open");
	fts_case("fts-da2.db", "INSERT INTO messages_fts (messages_fts) "
	    "VALUES ('delete-all')", 1, 0, "delete-all while open");
	fts_case("fts-tr.db", drop, 0, 1, "dropped trigger before the open");
	fts_case("fts-tr2.db", drop, 1, 1, "dropped trigger while open");
}

/* ---- 6. which models answered ---------------------------------------- */

#define SHA(c)	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static void
test_models(void)
{
	static const char *const fmts[] = { "md", "txt", "json" };
	struct store_conv_model	*cm = NULL;
	struct store_conv	 init;
	struct store_prov	 pa, pb;
	struct store		*s;
	char			*p, *out, *cause = NULL;
	int64_t			 id, q, a;
	size_t			 n = 0, i;
	int			 ok;

	p = tpath("models.db");
	if ((s = open_ok(p)) == NULL)
		return;
	/* The conversation's own columns name a model that never answered. */
	memset(&init, 0, sizeof init);
	init.model_file = "stored.gguf";
	init.model_quant = "Q2_K";
	init.model_sha256 = SHA("c");
	store_conv_create(s, &init, &id, &cause);
	memset(&pa, 0, sizeof pa);
	pa.model_file = "alpha.gguf";
	pa.model_quant = "Q4_K_M";
	pa.model_sha256 = SHA("a");
	pb = pa;
	pb.model_file = "beta.gguf";
	pb.model_quant = "Q8_0";
	pb.model_sha256 = SHA("b");
	store_msg_add(s, id, 0, STORE_ROLE_USER, "Erste Frage",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	store_msg_add(s, id, q, STORE_ROLE_ASSISTANT, "Antwort von alpha",
	    STORE_STATUS_COMPLETE, &pa, &a, &cause);
	store_msg_add(s, id, a, STORE_ROLE_USER, "Zweite Frage",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	store_msg_add(s, id, q, STORE_ROLE_ASSISTANT, "Antwort von beta",
	    STORE_STATUS_COMPLETE, &pb, &a, &cause);
	/* A menu switch (or /new, /demo) after the last answer. */
	store_conv_set_model(s, id, "switched.gguf", SHA("d"), "Q3_K",
	    &cause);
	store_ack_record(s, "alpha.gguf", "Q4_K_M", SHA("a"), "tui", &cause);
	store_ack_record(s, "beta.gguf", "Q8_0", SHA("b"), "tui", &cause);
	store_ack_record(s, "stored.gguf", "Q2_K", SHA("c"), "tui", &cause);
	store_ack_record(s, "switched.gguf", "Q3_K", SHA("d"), "tui",
	    &cause);

	test_cond(store_conv_models(s, id, &cm, &n, &cause) == 0 && n == 2 &&
	    strcmp(cm[0].model_file, "alpha.gguf") == 0 &&
	    strcmp(cm[1].model_file, "beta.gguf") == 0 &&
	    cm[0].n_answers == 1 && cm[1].last == a,
	    "models: the models of the answers, in order");
	store_conv_models_free(cm, n);

	for (i = 0; i < sizeof fmts / sizeof *fmts; i++) {
		enum store_format	 f;

		store_format_parse(fmts[i], &f);
		out = test_export(s, id, f, NULL);
		ok = strstr(out, "alpha.gguf") != NULL &&
		    strstr(out, "beta.gguf") != NULL &&
		    strstr(out, "stored.gguf") == NULL &&
		    strstr(out, "switched.gguf") == NULL;
		test_condf(ok, "models: the %s export names the two models "
		    "that answered and no other", fmts[i]);
		ok = strstr(out, SHA("a")) != NULL &&
		    strstr(out, SHA("b")) != NULL &&
		    strstr(out, SHA("c")) == NULL &&
		    strstr(out, SHA("d")) == NULL;
		test_condf(ok, "models: the %s export lists the "
		    "acknowledgements of those models only", fmts[i]);
		if (f == STORE_FMT_MD)
			test_cond(strstr(out, "- Models: alpha.gguf (Q4_K_M, "
			    "sha256 " SHA("a") "), 1 answer; beta.gguf (Q8_0, "
			    "sha256 " SHA("b") "), 1 answer\n") != NULL,
			    "models: the md header names both, in order");
		if (f == STORE_FMT_JSON)
			test_cond(strstr(out, "\"model_file\": \"beta.gguf\",\n"
			    "      \"model_sha256\"") != NULL && strstr(out,
			    "\"models\": [\n") != NULL,
			    "models: json: the conversation's model is its "
			    "latest answer's; \"models\" lists both");
		free(out);
	}
	free(cause);
	store_close(s);
	free(p);
}

/* ---- 7. under which instructions ------------------------------------- */

/* The positions of needles[0..n) in hay are increasing (all found). */
static int
in_order(const char *hay, const char *const *needles, size_t n)
{
	const char	*p = hay;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((p = strstr(p, needles[i])) == NULL) {
			test_diag("not in order: %s", needles[i]);
			return 0;
		}
		p += strlen(needles[i]);
	}
	return 1;
}

/* How often needle occurs in hay. */
static int
count_of(const char *hay, const char *needle)
{
	int	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_system(void)
{
	static const char *const S1 = "Sei vorsichtig.", *const S2 =
	    "Antworte kurz.", *const S3 = "Antworte ausführlich.",
	    *const S4 = "Noch nicht benutzt.";
	static const char *const want[] = { "Sei vorsichtig.", "Antwort 1",
	    "Antworte kurz.", "Antwort 2", "Antworte ausführlich.",
	    "Antwort 3", "No system message", "Antwort 4", "Sei vorsichtig.",
	    "Antwort 5" };
	static const char *const sys[] = { "Sei vorsichtig.",
	    "Antworte kurz.", "Antworte ausführlich.", NULL,
	    "Sei vorsichtig." };
	struct store_conv	 init;
	struct store_prov	 pr;
	struct store_stream	*ss;
	struct store_msg	 m;
	struct store		*s, *s2;
	char			*p, *p2, *old, *out, *cause = NULL, *json;
	int64_t			 id, q, a[5], *ids = NULL;
	size_t			 i, n = 0;
	int			 ok;

	p = tpath("system.db");
	if ((s = open_ok(p)) == NULL)
		return;
	memset(&init, 0, sizeof init);
	init.system = (char *)S1;
	store_conv_create(s, &init, &id, &cause);
	memset(&pr, 0, sizeof pr);
	pr.model_file = "m.gguf";
	/* An old caller: no system in prov = the conversation's. */
	store_msg_add(s, id, 0, STORE_ROLE_USER, "Frage 1",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	store_msg_add(s, id, q, STORE_ROLE_ASSISTANT, "Antwort 1",
	    STORE_STATUS_COMPLETE, &pr, &a[0], &cause);
	store_conv_set_system(s, id, S2, &cause);
	store_msg_add(s, id, a[0], STORE_ROLE_USER, "Frage 2",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	ss = store_stream_start(s, id, q, &pr);
	store_stream_append(ss, "Antwort 2", 9, &cause);
	store_stream_finish(ss, STORE_STATUS_COMPLETE, NULL, NULL, &a[1],
	    &cause);
	store_stream_free(ss);
	/* A new caller gives the exact text (the conversation says S2). */
	store_msg_add(s, id, a[1], STORE_ROLE_USER, "Frage 3",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	pr.system = (char *)S3;
	ss = store_stream_start(s, id, q, &pr);
	store_stream_append(ss, "Antwort 3", 9, &cause);
	store_stream_finish(ss, STORE_STATUS_COMPLETE, NULL, &pr, &a[2],
	    &cause);
	store_stream_free(ss);
	store_msg_add(s, id, a[2], STORE_ROLE_USER, "Frage 4",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	pr.system = "";
	store_msg_add(s, id, q, STORE_ROLE_ASSISTANT, "Antwort 4",
	    STORE_STATUS_COMPLETE, &pr, &a[3], &cause);
	store_msg_add(s, id, a[3], STORE_ROLE_USER, "Frage 5",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause);
	pr.system = (char *)S1;
	store_msg_add(s, id, q, STORE_ROLE_ASSISTANT, "Antwort 5",
	    STORE_STATUS_COMPLETE, &pr, &a[4], &cause);
	store_conv_set_system(s, id, S4, &cause);

	ok = 1;
	for (i = 0; i < 5; i++) {
		memset(&m, 0, sizeof m);
		if (store_msg_get(s, a[i], &m, &cause) != 0 ||
		    (sys[i] == NULL ? m.prov.system != NULL :
		    m.prov.system == NULL || strcmp(m.prov.system, sys[i]) != 0))
			ok = 0;
		store_msg_free(&m);
	}
	test_cond(ok, "system: each answer records the text it ran under");
	test_cond(raw_int(p, "SELECT count(*) FROM system_texts") == 3,
	    "system: each distinct text stored once");

	for (i = 0; i < 3; i++) {
		out = test_export(s, id, i == 0 ? STORE_FMT_MD : i == 1 ?
		    STORE_FMT_TXT : STORE_FMT_JSON, NULL);
		if (i < 2) {
			test_condf(in_order(out, want, sizeof want /
			    sizeof *want) && count_of(out, S1) == 2 &&
			    count_of(out, S2) == 1 && count_of(out, S3) == 1 &&
			    count_of(out, S4) == 1 && strstr(out, "for the "
			    "next answer: Noch nicht benutzt.") != NULL,
			    "system: the %s export shows each text where it "
			    "first applies and where it changes",
			    i == 0 ? "md" : "txt");
		} else {
			test_cond(strstr(out, "\"system\": \"Antworte "
			    "ausführlich.\",\n          \"content\": \"Antwort 3\"")
			    != NULL && strstr(out, "\"system\": null,\n"
			    "          \"content\": \"Antwort 4\"") != NULL &&
			    strstr(out, "\"system\": \"Antworte kurz.\",\n"
			    "          \"content\": \"Antwort 2\"") != NULL,
			    "system: the json export gives each answer's");
		}
		free(out);
	}

	/* Through export and import: the same text for every answer. */
	json = test_export(s, id, STORE_FMT_JSON, NULL);
	p2 = tpath("system2.db");
	s2 = open_ok(p2);
	ok = s2 != NULL && store_import_json(s2, json, strlen(json), &ids, &n,
	    &cause) == 0 && n == 1;
	if (ok) {
		out = test_export(s2, ids[0], STORE_FMT_MD, NULL);
		ok = in_order(out, want, sizeof want / sizeof *want);
		free(out);
	}
	test_cond(ok, "system: kept through export and import");
	import_done(s, p, s2, p2, ids, json);

	/* Migrated answers get their conversation's text. */
	old = fixture_db("v3.sql", "system-v3.db");
	s = open_ok(old);
	memset(&m, 0, sizeof m);
	test_cond(s != NULL && store_msg_get(s, 2, &m, &cause) == 0 &&
	    m.prov.system != NULL && strcmp(m.prov.system,
	    "You are careful.") == 0, "system: a migrated answer has its "
	    "conversation's system message");
	store_msg_free(&m);
	memset(&m, 0, sizeof m);
	test_cond(s != NULL && store_msg_get(s, 1, &m, &cause) == 0 &&
	    m.prov.system == NULL, "system: ... and a question has none");
	store_msg_free(&m);
	store_close(s);
	free(old);
	free(cause);
}

/*
 * A conversation and its first question are created in one transaction:
 * when the question cannot be saved (here a trigger refuses every
 * message, as a full disk would), no empty conversation is left.
 */
static void
test_conv_asked(void)
{
	struct store	*s;
	char		*p, *cause = NULL;
	int64_t		 conv = 0, q = 0;
	int		 rc;

	p = tpath("asked.db");
	s = open_ok(p);
	if (s == NULL)
		return;
	test_cond(store_conv_create_asked(s, NULL, "first question", &conv,
	    &q, &cause) == 0 && conv > 0 && q > 0 &&
	    raw_int(p, "SELECT count(*) FROM messages WHERE conv_id = 1 AND "
	    "content = 'first question'") == 1,
	    "asked: a conversation and its question created together");
	test_cond(raw_exec(p, "CREATE TRIGGER refuse BEFORE INSERT ON "
	    "messages BEGIN SELECT RAISE(ABORT, 'disk full'); END") == 0,
	    "asked: messages refused from now on");
	conv = 0;
	rc = store_conv_create_asked(s, NULL, "second question", &conv, &q,
	    &cause);
	test_condf(rc == -1 && cause != NULL && conv == 0,
	    "asked: a refused question fails the whole creation (%s)",
	    cause != NULL ? cause : "no error");
	free(cause);
	cause = NULL;
	test_cond(raw_int(p, "SELECT count(*) FROM conversations") == 1,
	    "asked: no empty conversation is left behind");
	store_close(s);
	free(p);
}

int
main(void)
{
	if (tmpdir_make() != 0)
		return 1;
	test_foreign();
	test_readonly_leftover();
	test_ids();
	test_strict();
	test_fts();
	test_models();
	test_system();
	test_conv_asked();
	test_rmtree(tmpdir);
	return test_report();
}
