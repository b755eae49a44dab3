/*
 * measure-job.c -- one measurement of a model file on a thread of its
 * own (see measure-job.h).
 *
 * Ownership: struct mjob is shared by the caller and the thread, one
 * reference each (refs, under the queue's lock); whoever drops the last
 * frees it.  The spec's strings are copies the thread reads while the
 * caller may already have let go.  cancel is an atomic_int because
 * eval_* polls it without our lock.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "measure-job.h"
#include "xmalloc.h"

struct mjob {
	struct jobq	 q;		/* events, with the wake pipe */
	int		 refs;		/* under q's lock */
	atomic_int	 cancel;

	/* Read-only once the thread runs: */
	enum mjob_kind	 kind;
	char		*path;
	char		*sha;		/* NULL: hash it */
	char		*base;
	char		*base_sha;
	int		 threads;
};

static void	 mjob_unref(struct mjob *);
static void	 mjob_event_free1(void *);
static void	 mjob_push(struct mjob *, struct mjob_event *);
static void	 mjob_progress(const struct eval_progress *, void *);
static int	 mjob_hash_progress(uint64_t, uint64_t, void *);
static int	 mjob_ident(struct mjob *, const char *, const char *,
		     struct modelid *, char **);
static void	*mjob_main(void *);

static void
mjob_event_free1(void *p)
{
	struct mjob_event	*ev = p;

	if (ev->type == MJOB_DONE && ev->rc >= 0)
		eval_result_free(&ev->res);
	free(ev->error);
	free(ev);
}

void
mjob_event_free(struct mjob_event *ev)
{
	jobq_list_free(ev, offsetof(struct mjob_event, next),
	    mjob_event_free1);
}

/* Drop one reference; the last frees everything. */
static void
mjob_unref(struct mjob *j)
{
	int	last;

	jobq_lock(&j->q);
	last = --j->refs == 0;
	jobq_unlock(&j->q);
	if (!last)
		return;
	jobq_destroy(&j->q, mjob_event_free1);
	free(j->path);
	free(j->sha);
	free(j->base);
	free(j->base_sha);
	free(j);
}

/*
 * Queue ev (taken).  A progress or hashing event replaces the newest
 * queued one of its type, so the queue holds at most one of them
 * however slowly the UI drains it.
 */
static void
mjob_push(struct mjob *j, struct mjob_event *ev)
{
	struct mjob_event	*last;

	if (ev->type != MJOB_DONE) {
		jobq_lock(&j->q);
		last = jobq_last_locked(&j->q);
		if (last != NULL && last->type == ev->type) {
			last->frac = ev->frac;
			last->p = ev->p;
			jobq_unlock(&j->q);
			free(ev);
			jobq_wake(&j->q);
			return;
		}
		jobq_unlock(&j->q);
	}
	jobq_push(&j->q, ev);
}

/* eval_*'s progress callback, on the job's thread. */
static void
mjob_progress(const struct eval_progress *p, void *arg)
{
	struct mjob		*j = arg;
	struct mjob_event	*ev;

	ev = xcalloc(1, sizeof *ev);
	ev->type = MJOB_PROGRESS;
	ev->p = *p;
	mjob_push(j, ev);
}

/* sha256_file's progress: report it, stop when cancelled. */
static int
mjob_hash_progress(uint64_t done, uint64_t total, void *arg)
{
	struct mjob		*j = arg;
	struct mjob_event	*ev;

	if (atomic_load(&j->cancel))
		return 1;
	ev = xcalloc(1, sizeof *ev);
	ev->type = MJOB_HASHING;
	ev->frac = total > 0 ? (double)done / (double)total : 0;
	mjob_push(j, ev);
	return 0;
}

/*
 * The identity of path: known (sha not NULL: only id->sha256 is set,
 * nothing to record) or hashed now.  0, or -1 and *cause.
 */
static int
mjob_ident(struct mjob *j, const char *path, const char *sha,
    struct modelid *id, char **cause)
{
	memset(id, 0, sizeof *id);
	if (sha != NULL)
		return 0;
	if (modelid_hash(path, id, mjob_hash_progress, j, cause) != 0) {
		if (atomic_load(&j->cancel)) {
			free(*cause);
			*cause = xstrdup("stopped while computing the "
			    "file's SHA-256");
		} else if (*cause == NULL)
			*cause = xstrdup("the file's SHA-256 could not be "
			    "computed");
		return -1;
	}
	return 0;
}

static void *
mjob_main(void *arg)
{
	struct mjob		*j = arg;
	struct mjob_event	*ev;
	struct eval_opts	 o;
	char			*cause = NULL;

	ev = xcalloc(1, sizeof *ev);
	ev->type = MJOB_DONE;
	ev->rc = -1;
	if (mjob_ident(j, j->path, j->sha, &ev->id, &cause) != 0 ||
	    (j->kind == MJOB_KLD && mjob_ident(j, j->base, j->base_sha,
	    &ev->base_id, &cause) != 0)) {
		ev->error = cause;
		goto done;
	}
	memset(&o, 0, sizeof o);
	o.model = j->path;
	o.model_sha = j->sha != NULL ? j->sha : ev->id.sha256;
	o.threads = j->threads;
	switch (j->kind) {
	case MJOB_SPEED:
		ev->rc = eval_speed(j->path, j->threads, &j->cancel,
		    mjob_progress, j, &ev->res, &cause);
		break;
	case MJOB_PPL:
		ev->rc = eval_ppl(&o, &j->cancel, mjob_progress, j, &ev->res,
		    &cause);
		break;
	case MJOB_KLD:
		o.base = j->base;
		o.base_sha = j->base_sha != NULL ? j->base_sha :
		    ev->base_id.sha256;
		ev->rc = eval_kld(&o, &j->cancel, mjob_progress, j, &ev->res,
		    &cause);
		break;
	}
	if (ev->rc < 0)
		ev->error = cause != NULL ? cause :
		    xstrdup("the measurement failed");
	else
		free(cause);
done:
	mjob_push(j, ev);
	mjob_unref(j);
	return NULL;
}

struct mjob *
mjob_start(const struct mjob_spec *s, char **cause)
{
	struct mjob	*j;
	sigset_t	 all, old;
	pthread_t	 t;

	j = xcalloc(1, sizeof *j);
	if (jobq_init(&j->q, offsetof(struct mjob_event, next), 1,
	    cause) != 0) {
		free(j);
		return NULL;
	}
	atomic_init(&j->cancel, 0);
	j->kind = s->kind;
	j->path = xstrdup(s->path);
	j->sha = s->sha != NULL && s->sha[0] != '\0' ? xstrdup(s->sha) :
	    NULL;
	j->base = s->base != NULL ? xstrdup(s->base) : NULL;
	j->base_sha = s->base_sha != NULL && s->base_sha[0] != '\0' ?
	    xstrdup(s->base_sha) : NULL;
	j->threads = s->threads;
	if (j->kind == MJOB_KLD && j->base == NULL) {
		*cause = xstrdup("a KL divergence needs a reference file");
		j->refs = 1;
		mjob_unref(j);
		return NULL;
	}
	j->refs = 2;
	/* Signals stay with the UI thread (its self-pipe handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&t, NULL, mjob_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		xasprintf(cause, "pthread_create: %s", strerror(errno));
		j->refs = 1;
		mjob_unref(j);
		return NULL;
	}
	pthread_detach(t);
	return j;
}

int
mjob_fd(struct mjob *j)
{
	return jobq_fd(&j->q);
}

struct mjob_event *
mjob_drain(struct mjob *j)
{
	return jobq_drain(&j->q);
}

void
mjob_cancel(struct mjob *j)
{
	atomic_store(&j->cancel, 1);
}

void
mjob_stop(struct mjob *j)
{
	if (j == NULL)
		return;
	mjob_cancel(j);
	mjob_unref(j);
}
