/*
 * mscan.c -- find and probe model files off the UI thread (see mscan.h).
 *
 * Ownership: struct mscan is shared by the caller, the scan thread and
 * each endpoint's thread, each holding one reference (refs, under the
 * event queue's lock); whoever drops the last one frees it, pipe
 * included.  running counts the threads still at work (the scan and the
 * endpoints'): the last to end sends MSCAN_DONE, so DONE is last whichever
 * finishes first.  An endpoint's thread blocks in the network for as
 * long as the server takes (the client's connect timeout bounds it);
 * mscan_stop does not wait for it either.  Events go through a
 * struct jobq (src/app/jobq.c) as the worker's do.  The thread is detached, so mscan_stop() only
 * sets the cancel flag and drops the caller's reference.  The set of real
 * paths seen is the thread's alone (a small open-addressing hash table,
 * so a directory of many thousand files stays linear).  mscan_run() uses
 * the same walk without a thread or pipe.
 *
 * Opening a file is left to the probe: engine_probe() opens with
 * O_NONBLOCK and refuses what is not a regular file, so a FIFO named
 * x.gguf is one error row, not a hang.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jobq.h"
#include "mscan.h"
#include "xmalloc.h"

struct mscan {
	struct jobq		 q;		/* events; no pipe in mscan_run */
	int			 refs;		/* under q's lock */
	int			 cancel;	/* under q's lock */
	int			 running;	/* under q's lock */

	/* The thread's own: */
	char			**dirs;
	size_t			 ndirs;
	char			**files;
	size_t			 nfiles;
	mscan_probe_fn		 probe;
	/* Read-only once the threads run: */
	struct backend_endpoint	*eps;		/* strings owned */
	size_t			 neps;
	mscan_list_fn		 list;
	char			**found;	/* real paths, in order */
	size_t			 nfound, foundcap;
	size_t			*set;		/* hash: index + 1, 0 = free */
	size_t			 setcap;	/* power of 2 */
};

static struct mscan *mscan_new(const char *const *, size_t,
		    const char *const *, size_t, mscan_probe_fn, int, char **);
static void	 mscan_unref(struct mscan *);
static int	 mscan_cancelled(struct mscan *);
static void	 mscan_event_free1(void *);
static void	 mscan_strv_free(char **, size_t);
static uint64_t	 mscan_hash(const char *);
static void	 mscan_add(struct mscan *, const char *);
static void	 mscan_dir(struct mscan *, const char *);
static void	 mscan_walk(struct mscan *);
static void	 mscan_ended(struct mscan *);
static void	*mscan_main(void *);
static void	*mscan_remote_main(void *);
static void	 mscan_remote_event(struct mscan *, size_t, int,
		    struct backend_model *, size_t, char *);
static void	 mscan_eps_copy(struct mscan *,
		    const struct backend_endpoint *, size_t);
static void	 mscan_eps_free(struct backend_endpoint *, size_t);

/* What an endpoint's thread gets. */
struct mscan_remote_arg {
	struct mscan	*m;
	size_t		 idx;
};

/* A scan with one reference; wake: with the pipe.  NULL and *cause. */
static struct mscan *
mscan_new(const char *const *dirs, size_t ndirs, const char *const *files,
    size_t nfiles, mscan_probe_fn probe, int wake, char **cause)
{
	struct mscan	*m;
	size_t		 i;

	m = xcalloc(1, sizeof *m);
	if (jobq_init(&m->q, offsetof(struct mscan_event, next), wake,
	    cause) != 0) {
		free(m);
		return NULL;
	}
	m->refs = 1;
	m->running = 1;
	m->probe = probe;
	m->dirs = xcalloc(ndirs + 1, sizeof *m->dirs);
	for (i = 0; i < ndirs; i++) {
		if (dirs[i] != NULL)
			m->dirs[m->ndirs++] = xstrdup(dirs[i]);
	}
	m->files = xcalloc(nfiles + 1, sizeof *m->files);
	for (i = 0; i < nfiles; i++) {
		if (files[i] != NULL)
			m->files[m->nfiles++] = xstrdup(files[i]);
	}
	return m;
}

/* Drop one reference; the last frees everything. */
static void
mscan_unref(struct mscan *m)
{
	int	last;

	jobq_lock(&m->q);
	last = --m->refs == 0;
	jobq_unlock(&m->q);
	if (!last)
		return;
	jobq_destroy(&m->q, mscan_event_free1);
	mscan_strv_free(m->dirs, m->ndirs);
	mscan_strv_free(m->files, m->nfiles);
	mscan_strv_free(m->found, m->nfound);
	mscan_eps_free(m->eps, m->neps);
	free(m->set);
	free(m);
}

/* m->eps: copies of eps[0..n). */
static void
mscan_eps_copy(struct mscan *m, const struct backend_endpoint *eps,
    size_t n)
{
	size_t	i;

	if (n == 0)
		return;
	m->eps = xcalloc(n, sizeof *m->eps);
	for (i = 0; i < n; i++)
		backend_endpoint_copy(&m->eps[i], &eps[i]);
	m->neps = n;
}

/* Free the copies (the strings are ours: mscan_eps_copy made them). */
static void
mscan_eps_free(struct backend_endpoint *eps, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		backend_endpoint_clear(&eps[i]);
	free(eps);
}

static int
mscan_cancelled(struct mscan *m)
{
	int	c;

	jobq_lock(&m->q);
	c = m->cancel;
	jobq_unlock(&m->q);
	return c;
}

/* Free v[0..n) and v. */
static void
mscan_strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* One event (not the ones after it). */
static void
mscan_event_free1(void *p)
{
	struct mscan_event	*ev = p;

	free(ev->path);
	free(ev->error);
	backend_models_free(ev->models, ev->nmodels);
	free(ev);
}

/* FNV-1a. */
static uint64_t
mscan_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Note path (if its real path is new) and send MSCAN_FOUND. */
static void
mscan_add(struct mscan *m, const char *path)
{
	struct mscan_event	*ev;
	char			*real;
	size_t			 i, j, *nset, ncap;

	if ((real = realpath(path, NULL)) == NULL)
		return;
	if (2 * (m->nfound + 1) > m->setcap) {
		ncap = m->setcap == 0 ? 64 : m->setcap * 2;
		nset = xcalloc(ncap, sizeof *nset);
		for (i = 0; i < m->nfound; i++) {
			j = mscan_hash(m->found[i]) & (ncap - 1);
			while (nset[j] != 0)
				j = (j + 1) & (ncap - 1);
			nset[j] = i + 1;
		}
		free(m->set);
		m->set = nset;
		m->setcap = ncap;
	}
	j = mscan_hash(real) & (m->setcap - 1);
	for (; m->set[j] != 0; j = (j + 1) & (m->setcap - 1)) {
		if (strcmp(m->found[m->set[j] - 1], real) == 0) {
			free(real);
			return;
		}
	}
	if (m->nfound == m->foundcap) {
		m->foundcap = m->foundcap == 0 ? 64 : m->foundcap * 2;
		m->found = xreallocarray(m->found, m->foundcap,
		    sizeof *m->found);
	}
	m->found[m->nfound] = real;
	m->set[j] = ++m->nfound;
	ev = xcalloc(1, sizeof *ev);
	ev->type = MSCAN_FOUND;
	ev->idx = m->nfound - 1;
	ev->path = xstrdup(real);
	jobq_push(&m->q, ev);
}

/* Every *.gguf entry of dir (case-insensitive suffix). */
static void
mscan_dir(struct mscan *m, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;
	size_t		 l;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && !mscan_cancelled(m)) {
		l = strlen(de->d_name);
		if (l < 6 || strcasecmp(de->d_name + l - 5, ".gguf") != 0)
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		mscan_add(m, p);
		free(p);
	}
	closedir(d);
}

static void
mscan_walk(struct mscan *m)
{
	struct mscan_event	*ev;
	char			*cause;
	size_t			 i;

	for (i = 0; i < m->ndirs && !mscan_cancelled(m); i++)
		mscan_dir(m, m->dirs[i]);
	for (i = 0; i < m->nfiles && !mscan_cancelled(m); i++)
		mscan_add(m, m->files[i]);
	for (i = 0; i < m->nfound && !mscan_cancelled(m); i++) {
		ev = xcalloc(1, sizeof *ev);
		ev->type = MSCAN_PROBED;
		ev->idx = i;
		cause = NULL;
		if (m->probe(m->found[i], &ev->sum, &cause) == 0)
			ev->ok = 1;
		else {
			ev->error = cause != NULL ? cause :
			    xstrdup("not a usable GGUF file");
			memset(&ev->sum, 0, sizeof ev->sum);
		}
		jobq_push(&m->q, ev);
	}
	mscan_ended(m);
}

/* One of the threads (or mscan_run's walk) ended: the last sends DONE. */
static void
mscan_ended(struct mscan *m)
{
	struct mscan_event	*ev;
	int			 last;

	jobq_lock(&m->q);
	last = --m->running == 0;
	jobq_unlock(&m->q);
	if (!last)
		return;
	ev = xcalloc(1, sizeof *ev);
	ev->type = MSCAN_DONE;
	jobq_push(&m->q, ev);
}

static void *
mscan_main(void *arg)
{
	struct mscan	*m = arg;

	mscan_walk(m);
	mscan_unref(m);
	return NULL;
}

/* Send endpoint idx's MSCAN_REMOTE (models, or error taken). */
static void
mscan_remote_event(struct mscan *m, size_t idx, int ok,
    struct backend_model *models, size_t n, char *error)
{
	struct mscan_event	*ev;

	ev = xcalloc(1, sizeof *ev);
	ev->type = MSCAN_REMOTE;
	ev->idx = idx;
	ev->ok = ok;
	ev->models = models;
	ev->nmodels = n;
	ev->error = error;
	jobq_push(&m->q, ev);
}

/* An endpoint's thread: list its server's models. */
static void *
mscan_remote_main(void *arg)
{
	struct mscan_remote_arg	*ra = arg;
	struct mscan		*m = ra->m;
	struct backend_model	*models = NULL;
	size_t			 idx = ra->idx, n = 0;
	char			*cause = NULL;

	free(ra);
	if (!mscan_cancelled(m)) {
		if (m->list(&m->eps[idx], &models, &n, &cause) == 0)
			mscan_remote_event(m, idx, 1, models, n, NULL);
		else
			mscan_remote_event(m, idx, 0, NULL, 0, cause != NULL ?
			    cause : xstrdup("the server's models could not be "
			    "listed"));
	}
	mscan_ended(m);
	mscan_unref(m);
	return NULL;
}

struct mscan *
mscan_start(const char *const *dirs, size_t ndirs, const char *const *files,
    size_t nfiles, mscan_probe_fn probe, const struct backend_endpoint *eps,
    size_t neps, mscan_list_fn list, char **cause)
{
	struct mscan		*m;
	struct mscan_remote_arg	*ra;
	pthread_t		 t;
	sigset_t		 all, old;
	size_t			 i;
	char			*why;
	int			 rv;

	if ((m = mscan_new(dirs, ndirs, files, nfiles, probe, 1,
	    cause)) == NULL)
		return NULL;
	if (list != NULL)
		mscan_eps_copy(m, eps, neps);
	m->list = list;
	/* Every thread's reference and count, before any can end. */
	m->refs = 2 + (int)m->neps;
	m->running = 1 + (int)m->neps;
	/* Signals stay with the UI thread (its self-pipe handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&t, NULL, mscan_main, m);
	if (errno != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		xasprintf(cause, "pthread_create: %s", strerror(errno));
		m->refs = 1;
		mscan_unref(m);
		return NULL;
	}
	pthread_detach(t);
	for (i = 0; i < m->neps; i++) {
		ra = xcalloc(1, sizeof *ra);
		ra->m = m;
		ra->idx = i;
		if ((rv = pthread_create(&t, NULL, mscan_remote_main,
		    ra)) == 0) {
			pthread_detach(t);
			continue;
		}
		/* That endpoint's row says so; its reference and count go. */
		free(ra);
		xasprintf(&why, "pthread_create: %s", strerror(rv));
		mscan_remote_event(m, i, 0, NULL, 0, why);
		mscan_ended(m);
		mscan_unref(m);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return m;
}

int
mscan_fd(struct mscan *m)
{
	return jobq_fd(&m->q);
}

struct mscan_event *
mscan_drain(struct mscan *m)
{
	return jobq_drain(&m->q);
}

void
mscan_event_free(struct mscan_event *ev)
{
	jobq_list_free(ev, offsetof(struct mscan_event, next),
	    mscan_event_free1);
}

void
mscan_stop(struct mscan *m)
{
	if (m == NULL)
		return;
	jobq_lock(&m->q);
	m->cancel = 1;
	jobq_unlock(&m->q);
	mscan_unref(m);
}

struct mscan_event *
mscan_run(const char *const *dirs, size_t ndirs, const char *const *files,
    size_t nfiles, mscan_probe_fn probe)
{
	struct mscan		*m;
	struct mscan_event	*list;

	m = mscan_new(dirs, ndirs, files, nfiles, probe, 0, NULL);
	mscan_walk(m);
	list = mscan_drain(m);
	mscan_unref(m);
	return list;
}
