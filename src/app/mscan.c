/*
 * mscan.c -- find and probe model files off the UI thread (see mscan.h).
 *
 * Ownership: struct mscan is shared by the caller and the thread, each
 * holding one reference (refs, under the event queue's lock); whoever
 * drops the last one frees it, pipe included.  Events go through a
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

	/* The thread's own: */
	char			**dirs;
	size_t			 ndirs;
	char			**files;
	size_t			 nfiles;
	mscan_probe_fn		 probe;
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
static void	*mscan_main(void *);

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
	free(m->set);
	free(m);
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

struct mscan *
mscan_start(const char *const *dirs, size_t ndirs, const char *const *files,
    size_t nfiles, mscan_probe_fn probe, char **cause)
{
	struct mscan	*m;
	pthread_t	 t;
	sigset_t	 all, old;

	if ((m = mscan_new(dirs, ndirs, files, nfiles, probe, 1,
	    cause)) == NULL)
		return NULL;
	m->refs = 2;
	/* Signals stay with the UI thread (its self-pipe handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&t, NULL, mscan_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		xasprintf(cause, "pthread_create: %s", strerror(errno));
		m->refs = 1;
		mscan_unref(m);
		return NULL;
	}
	pthread_detach(t);
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
