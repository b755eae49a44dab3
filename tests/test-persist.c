/*
 * test-persist.c -- the answer writer (src/app/persist.c) against another
 * connection holding the database's write lock, as another process would
 * (issue 19): a final save nobody waits for that the lock keeps out past
 * the busy timeout is tried again in the background and saved once the
 * lock is gone; answers ended meanwhile are finished after it, in order;
 * after the retry bound it is reported not saved; quitting gives it one
 * last try without waiting and counts it lost; a save that is waited for
 * (`medchat ask`) still fails after the busy timeout, not later.  The busy
 * timeout is 100 ms here (MEDCHAT_DB_TIMEOUT_MS).
 */
#include <poll.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testhelp.h"
#include "advisory.h"
#include "persist.h"
#include "store.h"
#include "xmalloc.h"
#include "storehelp.h"

/* The monotonic clock in milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait up to ms for one finished result of p: 1 saved, -1 not saved
 * (*cause, caller frees), 0 when none came.
 */
static int
result(struct persist *p, int ms, unsigned *ticket, int64_t *id,
    char **cause)
{
	struct pollfd	pfd;
	int64_t		end = now_ms() + ms;
	int		rc;

	pfd.fd = persist_fd(p);
	pfd.events = POLLIN;
	for (;;) {
		if ((rc = persist_done(p, ticket, id, cause)) != 0)
			return rc;
		if (now_ms() >= end)
			return 0;
		(void)poll(&pfd, 1, (int)(end - now_ms()));
	}
}

/* Take (1) or leave (0) the write lock on db; 0 on success. */
static int
hold(sqlite3 *db, int on)
{
	return sqlite3_exec(db, on ? "BEGIN IMMEDIATE" : "COMMIT", NULL, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}

/* One answer under parent: begun, its text queued, ended in the background. */
static unsigned
answer(struct persist *p, int64_t conv, int64_t parent, const char *text)
{
	struct store_prov	prov;

	memset(&prov, 0, sizeof prov);
	prov.model_file = "test.gguf";
	persist_begin(p, conv, parent, &prov);
	persist_append(p, text, strlen(text));
	return persist_end_async(p, STORE_STATUS_COMPLETE, NULL, NULL);
}

/* Message id's content and status, read afresh; 0 or -1. */
static int
stored(struct store *s, int64_t id, const char *content, int64_t parent)
{
	struct store_msg	m;
	char			*cause = NULL;
	int			 ok;

	memset(&m, 0, sizeof m);
	if (store_msg_get(s, id, &m, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		return -1;
	}
	ok = strcmp(m.content, content) == 0 &&
	    m.status == STORE_STATUS_COMPLETE && m.parent_id == parent;
	if (!ok)
		test_diag("message %lld: '%s', status %d, parent %lld",
		    (long long)id, m.content, (int)m.status,
		    (long long)m.parent_id);
	store_msg_free(&m);
	return ok ? 0 : -1;
}

int
main(void)
{
	char			 dir[] = "/tmp/test-persist.XXXXXX";
	char			*db, *cause = NULL;
	struct store		*s = NULL;
	struct persist		*p;
	struct store_conv	 init;
	struct store_prov	 prov;
	sqlite3			*lk = NULL;
	unsigned		 t1, t2, tk;
	int64_t			 conv = 0, q = 0, id, id1, id2, t0, ms;
	int			 rc, rc2, lost;

	if (mkdtemp(dir) == NULL)
		return 1;
	xasprintf(&db, "%s/medchat.db", dir);
	memset(&init, 0, sizeof init);
	test_cond(store_open(db, advisory_ident(), &s, &cause) == 0 &&
	    store_conv_create_asked(s, &init, "Saved later?", &conv, &q,
	    &cause) == 0, "database with a question");
	if (q == 0) {
		test_diag("%s", cause != NULL ? cause : "?");
		return test_report();
	}
	setenv("MEDCHAT_DB_TIMEOUT_MS", "100", 1);
	p = persist_create(db, advisory_ident(), &cause);
	unsetenv("MEDCHAT_DB_TIMEOUT_MS");
	test_cond(p != NULL, "writer started");
	if (p == NULL)
		return test_report();
	persist_set_nowait(p, 1);
	sqlite3_open(db, &lk);
	/* The writer's own short saves may hold the lock a moment. */
	sqlite3_busy_timeout(lk, 10000);

	/* Locked past the busy timeout: tried again, saved after the lock. */
	test_cond(hold(lk, 1) == 0, "another connection holds the write lock");
	t1 = answer(p, conv, q, "held back");
	rc = result(p, 700, &tk, &id, &cause);
	test_condf(rc == 0, "locked for 7 busy timeouts: no result yet (%d%s%s)",
	    rc, rc < 0 ? ": " : "", rc < 0 ? cause : "");
	if (rc < 0) {
		free(cause);
		cause = NULL;
	}
	hold(lk, 0);
	rc = result(p, 5000, &tk, &id, &cause);
	test_cond(rc == 1 && tk == t1 && id > q,
	    "the lock released: the answer saved by a later try");
	test_cond(rc == 1 && stored(s, id, "held back", q) == 0,
	    "its text stored complete under its question");

	/* Two answers ended under the lock: finished in order after it. */
	test_cond(hold(lk, 1) == 0, "order: the lock taken again");
	t1 = answer(p, conv, q, "first");
	t2 = answer(p, conv, q, "second");
	test_usleep(300000);
	hold(lk, 0);
	rc = result(p, 5000, &tk, &id1, &cause);
	test_cond(rc == 1 && tk == t1, "order: the first ended is saved first");
	rc2 = result(p, 5000, &tk, &id2, &cause);
	test_cond(rc2 == 1 && tk == t2 && id2 > id1 &&
	    stored(s, id1, "first", q) == 0 &&
	    stored(s, id2, "second", q) == 0,
	    "order: then the second, both stored as ended");

	/* Past the retry bound: reported not saved, as locked. */
	persist_set_retry(p, 500);
	test_cond(hold(lk, 1) == 0, "bound: the lock taken again");
	t0 = now_ms();
	t1 = answer(p, conv, q, "too late");
	rc = result(p, 5000, &tk, &id, &cause);
	ms = now_ms() - t0;
	test_condf(rc == -1 && tk == t1 && cause != NULL &&
	    strstr(cause, "locked") != NULL, "bound: reported not saved: %s",
	    rc == -1 && cause != NULL ? cause : "no failure");
	test_condf(ms >= 500 && ms < 4000, "bound: tried again for 500 ms "
	    "first, then no longer (%lld ms)", (long long)ms);
	free(cause);
	cause = NULL;

	/* A save that is waited for (`ask`) fails after the busy timeout. */
	persist_set_nowait(p, 0);
	memset(&prov, 0, sizeof prov);
	prov.model_file = "test.gguf";
	persist_begin(p, conv, q, &prov);
	persist_append(p, "waited", 6);
	t0 = now_ms();
	rc = persist_end(p, STORE_STATUS_COMPLETE, NULL, NULL, &id, &cause);
	ms = now_ms() - t0;
	test_condf(rc == -1 && ms < 3000, "waited for: not saved after the "
	    "busy timeout, not tried for longer (%lld ms)", (long long)ms);
	free(cause);
	cause = NULL;
	persist_set_nowait(p, 1);

	/* Quitting while one is tried again: a last try, counted lost. */
	persist_set_retry(p, 60000);
	(void)answer(p, conv, q, "lost at quit");
	test_usleep(400000);
	t0 = now_ms();
	lost = persist_free(p, &cause);
	ms = now_ms() - t0;
	test_condf(lost == 1 && cause != NULL && strstr(cause, "locked") !=
	    NULL, "quit: the answer still locked out is counted lost (%d: %s)",
	    lost, cause != NULL ? cause : "no cause");
	test_condf(ms < 2000, "quit: its last try does not wait for the lock "
	    "(%lld ms)", (long long)ms);
	free(cause);
	hold(lk, 0);
	sqlite3_close(lk);
	store_close(s);
	test_rmtree(dir);
	free(db);
	return test_report();
}
