/*
 * test-ask-crash.c -- `medchat ask` killed with SIGKILL at 20 moments,
 * then the database is checked: PRAGMA integrity_check is ok, every
 * question the program reported as saved is there word for word, every
 * answer that had started is there as a prefix of what was printed and,
 * once the store is reopened, marked interrupted (none left
 * 'streaming').
 *
 * The moments are random (seeded, printed) but placed without timing:
 * a few runs are killed after a random sleep of up to 30 ms (before or
 * during loading); the others after reading a random number of bytes of
 * the answer from a pipe shrunk to 4 KiB, so the writer is blocked in
 * the middle of its answer when the signal comes (Linux's F_SETPIPE_SZ;
 * elsewhere the pipe keeps its size and more kills come after the end).  Odd runs continue
 * the previous conversation (--continue), so appends are covered too.
 * The model is the engine's demo model (engine_write_demo_model).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "advisory.h"
#include "store.h"
#include "xmalloc.h"
#include "testhelp.h"

#define RUNS	20

struct run {
	char		*question;
	int		 early;		/* killed after a sleep, not bytes */
	char		*got;		/* answer bytes read before the kill */
	size_t		 ngot;
	long long	 conv, msg;	/* from "[question saved as ..." */
	int		 killed;	/* died of SIGKILL (else exited) */
	int		 status;
};

static const char *medchat;

/*
 * Start medchat with argv; its stdout is a pipe (returned in *fd, 4 KiB
 * buffer), its stderr the file errpath.
 */
static pid_t
spawn(const char *argv[], const char *errpath, int *fd)
{
	pid_t	pid;
	int	p[2], e;

	/*
	 * Truncated here, not in the child: a child killed before it ran
	 * would leave the previous run's "question saved" line behind.
	 */
	if ((e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (pipe(p) != 0) {
		close(e);
		return -1;
	}
#ifdef F_SETPIPE_SZ
	(void)fcntl(p[0], F_SETPIPE_SZ, 4096);
#endif
	if ((pid = fork()) == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(e, STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		close(e);
		e = open("/dev/null", O_RDONLY);
		dup2(e, STDIN_FILENO);
		close(e);
		execv(medchat, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	close(e);
	*fd = p[0];
	return pid;
}

/*
 * Start argv with "medchat ask --db db -m model -n n"; returns the
 * number of arguments written.
 */
static int
ask_args(const char *argv[], const char *db, const char *model,
    const char *n)
{
	int	a = 0;

	argv[a++] = "medchat";
	argv[a++] = "ask";
	argv[a++] = "--db";
	argv[a++] = db;
	argv[a++] = "-m";
	argv[a++] = model;
	argv[a++] = "-n";
	argv[a++] = n;
	return a;
}

int
main(void)
{
	struct run	 r[RUNS];
	char		 dir[] = "/tmp/medchat-crash.XXXXXX", *model, *db, *err;
	char		*cause = NULL, *e, *p, nbuf[32], cbuf[32];
	const char	*argv[16];
	struct store	*s;
	sqlite3		*raw;
	sqlite3_stmt	*st;
	unsigned	 seed;
	pid_t		 pid;
	ssize_t		 k;
	size_t		 want;
	long long	 last_conv = 0;
	int		 i, a, fd, status, present, started, prefix_ok;
	int		 streaming, interrupted, killed = 0;

	medchat = getenv("MEDCHAT");
	if (medchat == NULL || access(medchat, X_OK) != 0)
		medchat = "./medchat";
	if (access(medchat, X_OK) != 0) {
		test_skip("crash test", "no medchat binary ($MEDCHAT)");
		return test_report();
	}
	seed = getenv("CRASH_SEED") != NULL ?
	    (unsigned)strtoul(getenv("CRASH_SEED"), NULL, 10) :
	    (unsigned)time(NULL);
	srand(seed);
	test_diag("seed %u (CRASH_SEED=%u reproduces the kill moments)", seed,
	    seed);
	if (mkdtemp(dir) == NULL)
		return 1;
	xasprintf(&model, "%s/demo.gguf", dir);
	xasprintf(&db, "%s/medchat.db", dir);
	xasprintf(&err, "%s/stderr", dir);
	test_cond(engine_write_demo_model(model, &cause) == 0,
	    "demo model written");
	if (cause != NULL) {
		test_diag("%s", cause);
		free(cause);
		return test_report();
	}

	/* Accept the advisory once (a normal, complete run). */
	a = ask_args(argv, db, model, "4");
	argv[a++] = "--accept-advisory";
	argv[a++] = "Hello?";
	argv[a] = NULL;
	if ((pid = spawn(argv, err, &fd)) > 0) {
		while (read(fd, nbuf, sizeof nbuf) > 0)
			;
		close(fd);
		waitpid(pid, &status, 0);
	}
	test_cond(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "advisory accepted with a first complete run");

	for (i = 0; i < RUNS; i++) {
		memset(&r[i], 0, sizeof r[i]);
		xasprintf(&r[i].question, "Question %d: what does a raised "
		    "ferritin mean? (ünïcödé %d)", i, rand());
		r[i].early = i % 5 == 0;
		a = ask_args(argv, db, model, "3000");
		if (i % 2 == 1 && last_conv > 0) {
			snprintf(cbuf, sizeof cbuf, "%lld", last_conv);
			argv[a++] = "--continue";
			argv[a++] = cbuf;
		}
		argv[a++] = r[i].question;
		argv[a] = NULL;
		if ((pid = spawn(argv, err, &fd)) <= 0) {
			test_condf(0, "run %d: spawn", i);
			continue;
		}
		if (r[i].early)
			test_usleep(rand() % 30000);
		else {
			want = 1 + (size_t)(rand() % 3000);
			r[i].got = xmalloc(want + 1);
			while (r[i].ngot < want) {
				k = read(fd, r[i].got + r[i].ngot,
				    want - r[i].ngot);
				if (k <= 0)
					break;
				r[i].ngot += (size_t)k;
			}
			r[i].got[r[i].ngot] = '\0';
		}
		kill(pid, SIGKILL);
		close(fd);
		waitpid(pid, &status, 0);
		r[i].killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		killed += r[i].killed;
		if ((e = test_slurp(err, NULL)) == NULL)
			e = xstrdup("");
		if ((p = strstr(e, "[question saved as message ")) != NULL &&
		    sscanf(p, "[question saved as message %lld of "
		    "conversation %lld", &r[i].msg, &r[i].conv) == 2)
			last_conv = r[i].conv;
		test_diag("run %d: %s after %s %zu bytes; question %s", i,
		    r[i].killed ? "SIGKILL" : "exited",
		    r[i].early ? "a sleep," : "reading", r[i].ngot,
		    r[i].msg > 0 ? "saved" : "not yet saved");
		free(e);
	}
	test_condf(killed >= RUNS / 2, "most runs died of SIGKILL (%d of %d)",
	    killed, RUNS);

	/* Reopen: partial answers become interrupted. */
	test_cond(store_open(db, advisory_ident(), &s, &cause) == 0, "store reopens after the "
	    "kills");
	if (cause != NULL) {
		test_diag("%s", cause);
		free(cause);
		return test_report();
	}
	test_diag("%d answers marked interrupted at open",
	    store_n_interrupted(s));
	store_close(s);

	sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL);
	sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL);
	test_cond(sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0,
	    "PRAGMA integrity_check = ok");
	sqlite3_finalize(st);

	present = 1;
	started = 0;
	prefix_ok = 1;
	interrupted = 0;
	for (i = 0; i < RUNS; i++) {
		if (r[i].msg == 0)
			continue;
		sqlite3_prepare_v2(raw, "SELECT content, role FROM messages "
		    "WHERE id = ?", -1, &st, NULL);
		sqlite3_bind_int64(st, 1, r[i].msg);
		if (sqlite3_step(st) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(st, 0),
		    r[i].question) != 0 ||
		    strcmp((const char *)sqlite3_column_text(st, 1), "user") !=
		    0) {
			test_diag("run %d: question %lld missing", i, r[i].msg);
			present = 0;
		}
		sqlite3_finalize(st);
		if (r[i].ngot == 0)
			continue;
		/* Text was printed, so the answer row exists. */
		started++;
		sqlite3_prepare_v2(raw, "SELECT content, status FROM messages "
		    "WHERE parent_id = ? AND role = 'assistant'", -1, &st,
		    NULL);
		sqlite3_bind_int64(st, 1, r[i].msg);
		if (sqlite3_step(st) != SQLITE_ROW) {
			test_diag("run %d: no answer row", i);
			prefix_ok = 0;
		} else {
			const char	*c = (const char *)
			    sqlite3_column_text(st, 0);
			const char	*stt = (const char *)
			    sqlite3_column_text(st, 1);
			size_t		 m = strlen(c) < r[i].ngot ? strlen(c) :
			    r[i].ngot;

			if (memcmp(c, r[i].got, m) != 0) {
				test_diag("run %d: saved text differs from "
				    "what was shown", i);
				prefix_ok = 0;
			}
			if (strcmp(stt, r[i].killed ? "interrupted" :
			    "complete") != 0) {
				test_diag("run %d: answer status %s", i, stt);
				prefix_ok = 0;
			}
			interrupted += strcmp(stt, "interrupted") == 0;
		}
		sqlite3_finalize(st);
	}
	test_cond(present, "every question reported saved is there exactly");
	test_condf(prefix_ok, "every started answer saved as a prefix of what "
	    "was shown, with the right status (%d started)", started);
	test_condf(interrupted > 0, "partial answers marked interrupted (%d)",
	    interrupted);
	sqlite3_prepare_v2(raw, "SELECT count(*) FROM messages WHERE status = "
	    "'streaming'", -1, &st, NULL);
	streaming = sqlite3_step(st) == SQLITE_ROW ?
	    sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	test_condf(streaming == 0, "no answer left 'streaming' (%d)",
	    streaming);
	sqlite3_close(raw);

	for (i = 0; i < RUNS; i++) {
		free(r[i].question);
		free(r[i].got);
	}
	test_rmtree(dir);
	free(model);
	free(db);
	free(err);
	return test_report();
}
