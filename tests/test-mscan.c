/*
 * test-mscan.c -- the model menu's scan thread (src/app/mscan.c): names are
 * listed while header reads are still blocked, mscan_stop() returns while
 * a read hangs, files are found once each (symlinks, -m inside a listed
 * directory), non-.gguf names are skipped, every FOUND gets one PROBED
 * with the same index and DONE comes last; with the real reader a FIFO,
 * a directory and garbage are one-line errors and opening the FIFO does
 * not wait for a writer; a directory of 3000 files.  Remote endpoints are
 * listed on threads of their own: a server that hangs holds up neither
 * the files nor the other servers, mscan_stop() returns while it hangs,
 * and DONE waits for it.
 *
 * A stand-in probe that blocks until the test opens a gate shows the
 * "slow disk" case without any timing: the test only waits for events,
 * and an alarm turns a hang into a failure.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testhelp.h"
#include "mscan.h"
#include "xmalloc.h"

static pthread_mutex_t	gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	gate_cond = PTHREAD_COND_INITIALIZER;
static int		gate_open;
static int		probes_entered;

/* Blocks until the gate opens; then "ok" unless the name has "bad". */
static int
probe_gated(const char *path, struct engine_file_summary *s, char **cause)
{
	pthread_mutex_lock(&gate_lock);
	probes_entered++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	memset(s, 0, sizeof *s);
	if (strstr(path, "bad") != NULL) {
		xasprintf(cause, "%s: stand-in error", path);
		return -1;
	}
	snprintf(s->quant, sizeof s->quant, "Q4_0");
	s->file_size = 42;
	return 0;
}

static void
touch(const char *dir, const char *name)
{
	char	*p;
	FILE	*f;

	xasprintf(&p, "%s/%s", dir, name);
	if ((f = fopen(p, "w")) != NULL) {
		fputs("not a model", f);
		fclose(f);
	}
	free(p);
}

/* Wait (poll, no sleeps) for events until pred says enough or DONE. */
static struct mscan_event *
collect(struct mscan *m, struct mscan_event *list, size_t want_found,
    int until_done)
{
	struct mscan_event	**tail = &list, *ev, *got;
	struct pollfd		  pfd;
	size_t			  found;
	int			  done;

	for (;;) {
		found = 0;
		done = 0;
		for (ev = list; ev != NULL; ev = ev->next) {
			found += ev->type == MSCAN_FOUND;
			done |= ev->type == MSCAN_DONE;
			tail = &ev->next;
		}
		if (done || (!until_done && found >= want_found))
			return list;
		pfd.fd = mscan_fd(m);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return list;
		if ((got = mscan_drain(m)) != NULL)
			*tail = got;
	}
}

static size_t
count(const struct mscan_event *ev, enum mscan_ev_type t)
{
	size_t	n = 0;

	for (; ev != NULL; ev = ev->next)
		n += ev->type == t;
	return n;
}

static const struct mscan_event *
find_path(const struct mscan_event *ev, const char *suffix)
{
	size_t	l = strlen(suffix), pl;

	for (; ev != NULL; ev = ev->next) {
		if (ev->type != MSCAN_FOUND)
			continue;
		pl = strlen(ev->path);
		if (pl >= l && strcmp(ev->path + pl - l, suffix) == 0)
			return ev;
	}
	return NULL;
}

static const struct mscan_event *
find_probe(const struct mscan_event *ev, size_t idx)
{
	for (; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_PROBED && ev->idx == idx)
			return ev;
	}
	return NULL;
}

static void
test_gated(const char *dir, const char *other)
{
	struct mscan		*m;
	struct mscan_event	*list, *ev;
	const struct mscan_event *a, *p;
	const char		*dirs[3], *files[2];
	char			*cause = NULL, *pa, *pm;
	int			 ok, order_ok;

	dirs[0] = dir;
	dirs[1] = NULL;			/* an unset option */
	dirs[2] = "/nonexistent/medchat-test";
	xasprintf(&pa, "%s/a.gguf", dir);
	xasprintf(&pm, "%s/m.gguf", other);
	files[0] = pa;			/* -m inside a listed directory */
	files[1] = pm;			/* -m elsewhere */

	/* 1: names arrive while every header read is blocked. */
	m = mscan_start(dirs, 3, files, 2, probe_gated, NULL, 0, NULL,
	    &cause);
	test_cond(m != NULL, "scan thread starts");
	if (m == NULL) {
		test_diag("%s", cause);
		free(cause);
		return;
	}
	list = collect(m, NULL, 5, 0);
	test_condf(count(list, MSCAN_FOUND) == 5,
	    "all 5 files listed while the first header read hangs (%zu)",
	    count(list, MSCAN_FOUND));
	test_cond(count(list, MSCAN_PROBED) == 0,
	    "no header result yet: the reads are blocked");
	test_cond(find_path(list, "/a.gguf") && find_path(list, "/bad.gguf") &&
	    find_path(list, "/upper.GGUF") && find_path(list, "/sub.gguf") &&
	    find_path(list, "/m.gguf"),
	    "found: a, bad, upper-case suffix, a directory, -m elsewhere");
	test_cond(find_path(list, "/notes.txt") == NULL &&
	    find_path(list, "/link.gguf") == NULL,
	    "skipped: other suffixes; a symlink to a file already found");
	ok = 1;
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_FOUND && ev->path[0] != '/')
			ok = 0;
	}
	test_cond(ok, "paths are absolute");
	/* Wait until the thread is inside a read, then let go of it. */
	pthread_mutex_lock(&gate_lock);
	while (probes_entered == 0)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	mscan_stop(m);
	test_cond(1, "mscan_stop returns while a header read hangs");
	mscan_event_free(list);

	/* 2: the same scan with the gate open, to the end. */
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	m = mscan_start(dirs, 3, files, 2, probe_gated, NULL, 0, NULL,
	    &cause);
	if (m == NULL) {
		test_cond(0, "second scan starts");
		free(cause);
		free(pa);
		free(pm);
		return;
	}
	list = collect(m, NULL, 0, 1);
	test_cond(count(list, MSCAN_FOUND) == 5 &&
	    count(list, MSCAN_PROBED) == 5 && count(list, MSCAN_DONE) == 1,
	    "complete scan: 5 found, 5 probed, done once");
	ok = 1;
	order_ok = 1;
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_FOUND && find_probe(list, ev->idx) == NULL)
			ok = 0;
		if (ev->type == MSCAN_DONE && ev->next != NULL)
			order_ok = 0;
	}
	test_cond(ok, "every file found gets its header result by index");
	test_cond(order_ok, "done comes last");
	a = find_path(list, "/a.gguf");
	p = a != NULL ? find_probe(list, a->idx) : NULL;
	test_cond(p != NULL && p->ok && strcmp(p->sum.quant, "Q4_0") == 0,
	    "a.gguf: the summary arrives");
	a = find_path(list, "/bad.gguf");
	p = a != NULL ? find_probe(list, a->idx) : NULL;
	test_cond(p != NULL && !p->ok && p->error != NULL &&
	    strstr(p->error, "stand-in error") != NULL &&
	    strchr(p->error, '\n') == NULL, "bad.gguf: its one-line error");
	mscan_event_free(list);
	mscan_stop(m);
	free(pa);
	free(pm);
}

/*
 * A stand-in for backend_list_models: "stuck" blocks until list_gate
 * opens, "down" fails as a refused connection, others serve two models.
 */
static pthread_mutex_t	list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	list_cond = PTHREAD_COND_INITIALIZER;
static int		list_gate, list_stuck_entered, list_key_copied;

static int
list_standin(const struct backend_endpoint *ep, struct backend_model **out,
    size_t *n, char **cause)
{
	if (strcmp(ep->name, "stuck") == 0) {
		pthread_mutex_lock(&list_lock);
		list_stuck_entered++;
		pthread_cond_broadcast(&list_cond);
		while (!list_gate)
			pthread_cond_wait(&list_cond, &list_lock);
		pthread_mutex_unlock(&list_lock);
	}
	if (strcmp(ep->name, "down") == 0) {
		xasprintf(cause, "cannot connect to 127.0.0.1:9: connection "
		    "refused");
		return -1;
	}
	if (ep->key != NULL && strcmp(ep->key, "sekrit") == 0) {
		pthread_mutex_lock(&list_lock);
		list_key_copied = 1;
		pthread_mutex_unlock(&list_lock);
	}
	*out = xcalloc(2, sizeof **out);
	(*out)[0].id = xstrdup("meditron-70b");
	(*out)[0].n_ctx = 4096;
	(*out)[1].id = xstrdup(ep->name);
	*n = 2;
	return 0;
}

static void
list_wait_stuck(int n)
{
	pthread_mutex_lock(&list_lock);
	while (list_stuck_entered < n)
		pthread_cond_wait(&list_cond, &list_lock);
	pthread_mutex_unlock(&list_lock);
}

static void
list_open(int open)
{
	pthread_mutex_lock(&list_lock);
	list_gate = open;
	pthread_cond_broadcast(&list_cond);
	pthread_mutex_unlock(&list_lock);
}

static const struct mscan_event *
find_remote(const struct mscan_event *ev, size_t idx)
{
	for (; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_REMOTE && ev->idx == idx)
			return ev;
	}
	return NULL;
}

/* Wait (poll) until the events hold n of type t, or DONE. */
static struct mscan_event *
collect_type(struct mscan *m, struct mscan_event *list,
    enum mscan_ev_type t, size_t n)
{
	struct mscan_event	**tail, *ev, *got;
	struct pollfd		  pfd;
	size_t			  k;
	int			  done;

	for (;;) {
		k = 0;
		done = 0;
		tail = &list;
		for (ev = list; ev != NULL; ev = ev->next) {
			k += ev->type == t;
			done |= ev->type == MSCAN_DONE;
			tail = &ev->next;
		}
		if (k >= n || done)
			return list;
		pfd.fd = mscan_fd(m);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return list;
		if ((got = mscan_drain(m)) != NULL)
			*tail = got;
	}
}

/* dir holds exactly one model file; the probe gate is open. */
static void
test_remote(const char *dir)
{
	struct backend_endpoint	 eps[3];
	struct mscan		*m;
	struct mscan_event	*list, *ev;
	const struct mscan_event *r;
	const char		*dirs[1];
	char			*cause = NULL, key[] = "sekrit";
	int			 seen_stuck, order_ok;

	memset(eps, 0, sizeof eps);
	eps[0].name = "stuck";
	eps[0].url = "http://10.0.0.1:8000/v1";
	eps[1].name = "down";
	eps[1].url = "http://127.0.0.1:9/v1";
	eps[2].name = "lab";
	eps[2].url = "http://127.0.0.1:8000/v1";
	eps[2].key = key;
	dirs[0] = dir;

	/* 1: two answers while the third server hangs; stop meanwhile. */
	m = mscan_start(dirs, 1, NULL, 0, probe_gated, eps, 3, list_standin,
	    &cause);
	test_cond(m != NULL, "remote: the scan starts with three endpoints");
	if (m == NULL) {
		test_diag("%s", cause);
		free(cause);
		return;
	}
	/* The copies are the scan's: the caller's may change at once. */
	memset(key, 'x', sizeof key - 1);
	memset(eps, 0, sizeof eps);
	list_wait_stuck(1);
	list = collect_type(m, NULL, MSCAN_REMOTE, 2);
	list = collect_type(m, list, MSCAN_PROBED, 1);
	r = find_remote(list, 2);
	test_cond(r != NULL && r->ok && r->nmodels == 2 &&
	    strcmp(r->models[0].id, "meditron-70b") == 0 &&
	    r->models[0].n_ctx == 4096 && strcmp(r->models[1].id, "lab") == 0,
	    "remote: a server's models arrive while another hangs");
	pthread_mutex_lock(&list_lock);
	test_cond(list_key_copied, "remote: the endpoint, key too, is copied");
	pthread_mutex_unlock(&list_lock);
	r = find_remote(list, 1);
	test_cond(r != NULL && !r->ok && r->error != NULL &&
	    strstr(r->error, "connection refused") != NULL &&
	    r->models == NULL, "remote: an unreachable one sends its one line");
	test_cond(count(list, MSCAN_PROBED) == 1 && find_remote(list, 0) ==
	    NULL, "remote: the files are probed while a server hangs");
	mscan_event_free(list);
	mscan_stop(m);
	test_cond(1, "remote: mscan_stop returns while a server hangs");
	list_open(1);

	/* 2: DONE waits for the slow server, after the files. */
	list_open(0);
	memset(eps, 0, sizeof eps);
	eps[0].name = "lab";
	eps[0].url = "http://127.0.0.1:8000/v1";
	eps[1].name = "stuck";
	eps[1].url = "http://10.0.0.1:8000/v1";
	m = mscan_start(dirs, 1, NULL, 0, probe_gated, eps, 2, list_standin,
	    &cause);
	if (m == NULL) {
		test_cond(0, "remote: the second scan starts");
		free(cause);
		return;
	}
	list_wait_stuck(2);
	list = collect_type(m, NULL, MSCAN_PROBED, 1);
	list = collect_type(m, list, MSCAN_REMOTE, 1);
	list_open(1);
	list = collect_type(m, list, MSCAN_DONE, 1);
	seen_stuck = 0;
	order_ok = 1;
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_REMOTE && ev->idx == 1)
			seen_stuck = 1;
		if (ev->type == MSCAN_DONE && (!seen_stuck || ev->next != NULL))
			order_ok = 0;
	}
	test_cond(seen_stuck && order_ok && count(list, MSCAN_DONE) == 1,
	    "remote: DONE comes once, after the slow server's answer");
	mscan_event_free(list);
	mscan_stop(m);
}

/* The real reader: FIFO, directory, garbage; many files. */
static void
test_real(const char *dir)
{
	struct mscan_event	*list;
	const struct mscan_event *f, *p;
	const char		*dirs[1];
	char			*path;
	size_t			 i;

	xasprintf(&path, "%s/fifo.gguf", dir);
	if (mkfifo(path, 0600) != 0) {
		test_skip("FIFO", "mkfifo failed");
		free(path);
		return;
	}
	free(path);
	touch(dir, "garbage.gguf");
	dirs[0] = dir;
	alarm(60);	/* a FIFO that waited for a writer would hang here */
	list = mscan_run(dirs, 1, NULL, 0, engine_probe);
	alarm(0);
	f = find_path(list, "/fifo.gguf");
	p = f != NULL ? find_probe(list, f->idx) : NULL;
	test_cond(p != NULL && !p->ok && p->error != NULL &&
	    strstr(p->error, "not a regular file") != NULL,
	    "a FIFO is refused at once: not a regular file");
	f = find_path(list, "/garbage.gguf");
	p = f != NULL ? find_probe(list, f->idx) : NULL;
	test_cond(p != NULL && !p->ok && p->error != NULL &&
	    strchr(p->error, '\n') == NULL, "garbage: a one-line error");
	if (p != NULL && p->error != NULL)
		test_diag("garbage.gguf: %s", p->error);
	mscan_event_free(list);

	for (i = 0; i < 3000; i++) {
		char	name[32];

		snprintf(name, sizeof name, "many-%04zu.gguf", i);
		touch(dir, name);
	}
	list = mscan_run(dirs, 1, NULL, 0, engine_probe);
	test_condf(count(list, MSCAN_FOUND) == 3002 &&
	    count(list, MSCAN_PROBED) == 3002,
	    "3000 more files: each found and probed once (%zu, %zu)",
	    count(list, MSCAN_FOUND), count(list, MSCAN_PROBED));
	mscan_event_free(list);
}

int
main(void)
{
	char	 tmpl[] = "/tmp/test-mscan-XXXXXX", *dir, *sub, *other;
	char	*p, *q, *many;

	signal(SIGPIPE, SIG_IGN);
	if ((dir = mkdtemp(tmpl)) == NULL) {
		test_skip("mscan", "mkdtemp failed");
		return test_report();
	}
	alarm(120);	/* any hang is a failure, not a stuck test run */
	xasprintf(&sub, "%s/models", dir);
	xasprintf(&other, "%s/other", dir);
	mkdir(sub, 0700);
	mkdir(other, 0700);
	touch(sub, "a.gguf");
	touch(sub, "bad.gguf");
	touch(sub, "upper.GGUF");
	touch(sub, "notes.txt");
	touch(other, "m.gguf");
	xasprintf(&p, "%s/sub.gguf", sub);
	mkdir(p, 0700);
	free(p);
	xasprintf(&p, "%s/a.gguf", sub);
	xasprintf(&q, "%s/link.gguf", sub);
	if (symlink(p, q) != 0)
		test_diag("symlink failed");
	free(p);
	free(q);
	test_gated(sub, other);
	test_remote(other);

	xasprintf(&many, "%s/real", dir);
	mkdir(many, 0700);
	test_real(many);

	test_rmtree(dir);
	free(sub);
	free(other);
	free(many);
	return test_report();
}
