/*
 * test-store-concurrency.c -- two processes write to one database at once
 * for 30 seconds (MEDCHAT_CONCURRENCY_SECONDS overrides, for a quick
 * local run): each makes conversations, questions, streamed answers with
 * many flushes, renames, settings and searches.  No call may fail (the
 * busy timeout and short transactions must absorb every conflict), and
 * afterwards every message each writer reported as saved is there with
 * its exact text, and PRAGMA integrity_check is ok.  This is the suite's
 * one slow test; it asserts no timing.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "advisory.h"
#include "store.h"
#include "xmalloc.h"
#include "testhelp.h"

#define WRITERS	2

struct tally {
	long	convs;
	long	msgs;
	long	errors;
};

/* Text of message k of conversation j of writer w: checked afterwards. */
static char *
text_of(int w, long j, int k)
{
	char	*t;

	xasprintf(&t, "writer %d conversation %ld message %d: ölçü ✓ %s", w,
	    j, k, k % 2 ? "answer text streamed in pieces" : "question");
	return t;
}

static int
fail(const char *what, char *cause)
{
	fprintf(stderr, "# writer %d: %s: %s\n", (int)getpid(), what,
	    cause != NULL ? cause : "?");
	free(cause);
	return 1;
}

/* One writer's loop; returns the tally through fd. */
static void
writer(const char *path, int w, int seconds, int fd)
{
	struct store		*s;
	struct store_stream	*ss;
	struct store_hit	*h;
	struct tally		 t = { 0, 0, 0 };
	time_t			 end;
	int64_t			 c, u, a;
	char			*cause = NULL, *q, *ans, key[32];
	size_t			 n, i, len;
	int			 k;

	if (store_open(path, advisory_ident(), &s, &cause) != 0) {
		t.errors += fail("open", cause);
		goto out;
	}
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		if (store_conv_create(s, NULL, &c, &cause) != 0) {
			t.errors += fail("create", cause);
			break;
		}
		t.convs++;
		a = 0;
		for (k = 0; k < 4; k += 2) {
			q = text_of(w, t.convs, k);
			if (store_msg_add(s, c, a, STORE_ROLE_USER, q,
			    STORE_STATUS_COMPLETE, NULL, &u, &cause) != 0) {
				t.errors += fail("add", cause);
				free(q);
				goto done;
			}
			free(q);
			t.msgs++;
			ans = text_of(w, t.convs, k + 1);
			ss = store_stream_start(s, c, u, NULL);
			len = strlen(ans);
			for (i = 0; i < len; i += 7) {
				if (store_stream_append(ss, ans + i,
				    len - i < 7 ? len - i : 7, &cause) != 0) {
					t.errors += fail("append", cause);
					cause = NULL;
				}
				/* Force real flushes now and then. */
				if (i % 21 == 0 && store_stream_id(ss) != 0 &&
				    store_msg_update(s, store_stream_id(ss),
				    store_stream_text(ss),
				    strlen(store_stream_text(ss)),
				    STORE_STATUS_STREAMING, &cause) != 0) {
					t.errors += fail("update", cause);
					cause = NULL;
				}
			}
			if (store_stream_finish(ss, STORE_STATUS_COMPLETE, NULL,
			    NULL, &a, &cause) != 0) {
				t.errors += fail("finish", cause);
				cause = NULL;
			} else
				t.msgs++;
			store_stream_free(ss);
			free(ans);
		}
		snprintf(key, sizeof key, "writer.%d", w);
		if (store_setting_set(s, key, "x", &cause) != 0) {
			t.errors += fail("setting", cause);
			cause = NULL;
		}
		if (t.convs % 10 == 0) {
			if (store_search(s, "streamed", 0, "[", "]", 5, &h, &n,
			    &cause) != 0) {
				t.errors += fail("search", cause);
				cause = NULL;
			} else
				store_hits_free(h, n);
			if (store_conv_rename(s, c, "renamed", &cause) != 0) {
				t.errors += fail("rename", cause);
				cause = NULL;
			}
		}
	}
done:
	store_close(s);
out:
	if (write(fd, &t, sizeof t) != sizeof t)
		_exit(2);
	_exit(0);
}

int
main(void)
{
	char		 dir[] = "/tmp/medchat-conc.XXXXXX", *path, *t;
	struct tally	 tl[WRITERS];
	struct store	*s;
	sqlite3		*db;
	sqlite3_stmt	*st;
	const char	*e;
	pid_t		 pid[WRITERS];
	int		 fds[WRITERS][2], w, seconds = 30, status, missing;
	long		 j, total_msgs = 0, total_convs = 0, k;
	char		*cause = NULL;

	if ((e = getenv("MEDCHAT_CONCURRENCY_SECONDS")) != NULL)
		seconds = atoi(e);
	if (mkdtemp(dir) == NULL)
		return 1;
	xasprintf(&path, "%s/shared.db", dir);
	/* Make the database first; the writers then start together. */
	test_cond(store_open(path, advisory_ident(), &s, &cause) == 0, "database created");
	store_close(s);
	test_diag("%d writers for %d s", WRITERS, seconds);

	for (w = 0; w < WRITERS; w++) {
		if (pipe(fds[w]) != 0)
			return 1;
		if ((pid[w] = fork()) == 0) {
			close(fds[w][0]);
			writer(path, w, seconds, fds[w][1]);
		}
		close(fds[w][1]);
	}
	for (w = 0; w < WRITERS; w++) {
		memset(&tl[w], 0, sizeof tl[w]);
		if (read(fds[w][0], &tl[w], sizeof tl[w]) != sizeof tl[w])
			tl[w].errors = -1;
		close(fds[w][0]);
		waitpid(pid[w], &status, 0);
		test_condf(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "writer %d exited normally", w);
		test_condf(tl[w].errors == 0, "writer %d: no error surfaced "
		    "(%ld conversations, %ld messages)", w, tl[w].convs,
		    tl[w].msgs);
		test_condf(tl[w].convs > 0, "writer %d did some work", w);
		total_msgs += tl[w].msgs;
		total_convs += tl[w].convs;
	}

	/* Every reported message is there, exactly. */
	sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM messages WHERE content = ?",
	    -1, &st, NULL);
	missing = 0;
	for (w = 0; w < WRITERS; w++) {
		for (j = 1; j <= tl[w].convs; j++) {
			for (k = 0; k < 4; k++) {
				t = text_of(w, j, (int)k);
				sqlite3_reset(st);
				sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
				if (sqlite3_step(st) != SQLITE_ROW ||
				    sqlite3_column_int(st, 0) != 1)
					missing++;
				free(t);
			}
		}
	}
	sqlite3_finalize(st);
	test_condf(missing == 0, "every message saved exactly once (%d "
	    "missing or doubled)", missing);
	sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM messages), "
	    "(SELECT count(*) FROM conversations), (SELECT count(*) FROM "
	    "messages WHERE status != 'complete')", -1, &st, NULL);
	sqlite3_step(st);
	test_condf(sqlite3_column_int64(st, 0) == total_msgs &&
	    sqlite3_column_int64(st, 1) == total_convs,
	    "counts match the writers' (%lld messages, %lld conversations)",
	    (long long)sqlite3_column_int64(st, 0),
	    (long long)sqlite3_column_int64(st, 1));
	test_cond(sqlite3_column_int64(st, 2) == 0,
	    "every answer finished as complete");
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
	test_cond(sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0,
	    "integrity_check ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* The FTS index agrees with the table (needs a writable handle). */
	sqlite3_open(path, &db);
	test_cond(sqlite3_exec(db, "INSERT INTO messages_fts(messages_fts) "
	    "VALUES ('integrity-check')", NULL, NULL, NULL) == SQLITE_OK,
	    "search index consistent with the messages");
	sqlite3_close(db);

	test_rmtree(dir);
	free(path);
	return test_report();
}
