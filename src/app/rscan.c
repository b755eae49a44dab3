/*
 * rscan.c -- list remote endpoints' models off the UI thread (see
 * rscan.h).
 *
 * Ownership as in mscan.c: struct rscan is shared by the caller and the
 * detached thread, each holding one reference (refs, under the event
 * queue's lock); whoever drops the last one frees it, the endpoints'
 * copies (keys wiped) and the pipe included.  rscan_stop() sets the
 * cancel flag and drops the caller's reference; a listing under way
 * ends by itself (the client's connect and stall timeouts).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "rscan.h"
#include "xmalloc.h"

/* The strings of one endpoint, owned by the scan. */
#define RSCAN_NSTR	7

struct rscan {
	struct jobq		 q;		/* events, with the pipe */
	int			 refs;		/* under q's lock */
	int			 cancel;	/* under q's lock */

	/* The thread's own: */
	struct backend_endpoint	*eps;
	char			**strs;		/* n * RSCAN_NSTR */
	size_t			 n;
};

static void	 rscan_unref(struct rscan *);
static int	 rscan_cancelled(struct rscan *);
static void	 rscan_event_free1(void *);
static void	*rscan_main(void *);

static void
rscan_unref(struct rscan *r)
{
	size_t	i;
	int	last;

	jobq_lock(&r->q);
	last = --r->refs == 0;
	jobq_unlock(&r->q);
	if (!last)
		return;
	jobq_destroy(&r->q, rscan_event_free1);
	for (i = 0; i < r->n * RSCAN_NSTR; i++) {
		if (r->strs[i] != NULL)
			explicit_bzero(r->strs[i], strlen(r->strs[i]));
		free(r->strs[i]);
	}
	free(r->strs);
	free(r->eps);
	free(r);
}

static int
rscan_cancelled(struct rscan *r)
{
	int	c;

	jobq_lock(&r->q);
	c = r->cancel;
	jobq_unlock(&r->q);
	return c;
}

/* One event (not the ones after it). */
static void
rscan_event_free1(void *p)
{
	struct rscan_event	*ev = p;

	backend_models_free(ev->models, ev->n);
	free(ev->error);
	free(ev);
}

static void *
rscan_main(void *arg)
{
	struct rscan		*r = arg;
	struct rscan_event	*ev;
	char			*cause;
	size_t			 i;

	for (i = 0; i < r->n && !rscan_cancelled(r); i++) {
		ev = xcalloc(1, sizeof *ev);
		ev->idx = i;
		cause = NULL;
		if (backend_list_models(&r->eps[i], &ev->models, &ev->n,
		    &cause) == 0)
			ev->type = RSCAN_LISTED;
		else {
			ev->type = RSCAN_FAILED;
			ev->error = cause != NULL ? cause :
			    xstrdup("cannot list the models");
		}
		jobq_push(&r->q, ev);
	}
	ev = xcalloc(1, sizeof *ev);
	ev->type = RSCAN_DONE;
	jobq_push(&r->q, ev);
	rscan_unref(r);
	return NULL;
}

struct rscan *
rscan_start(const struct backend_endpoint *eps, size_t n, char **cause)
{
	struct rscan	*r;
	pthread_t	 t;
	sigset_t	 all, old;
	char		**s;
	size_t		 i, k;

	r = xcalloc(1, sizeof *r);
	if (jobq_init(&r->q, offsetof(struct rscan_event, next), 1,
	    cause) != 0) {
		free(r);
		return NULL;
	}
	r->n = n;
	r->eps = xcalloc(n + 1, sizeof *r->eps);
	r->strs = xcalloc(n * RSCAN_NSTR + 1, sizeof *r->strs);
	for (i = 0; i < n; i++) {
		const char	*src[RSCAN_NSTR] = { eps[i].name, eps[i].url,
				    eps[i].model, eps[i].tmpl, eps[i].cacert,
				    eps[i].key_env, eps[i].key };

		s = r->strs + i * RSCAN_NSTR;
		for (k = 0; k < RSCAN_NSTR; k++)
			s[k] = src[k] != NULL ? xstrdup(src[k]) : NULL;
		r->eps[i] = eps[i];
		r->eps[i].name = s[0];
		r->eps[i].url = s[1];
		r->eps[i].model = s[2];
		r->eps[i].tmpl = s[3];
		r->eps[i].cacert = s[4];
		r->eps[i].key_env = s[5];
		r->eps[i].key = s[6];
	}
	r->refs = 2;
	/* Signals stay with the UI thread (its self-pipe handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&t, NULL, rscan_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		xasprintf(cause, "pthread_create: %s", strerror(errno));
		r->refs = 1;
		rscan_unref(r);
		return NULL;
	}
	pthread_detach(t);
	return r;
}

int
rscan_fd(struct rscan *r)
{
	return jobq_fd(&r->q);
}

struct rscan_event *
rscan_drain(struct rscan *r)
{
	return jobq_drain(&r->q);
}

void
rscan_event_free(struct rscan_event *ev)
{
	jobq_list_free(ev, offsetof(struct rscan_event, next),
	    rscan_event_free1);
}

void
rscan_stop(struct rscan *r)
{
	if (r == NULL)
		return;
	jobq_lock(&r->q);
	r->cancel = 1;
	jobq_unlock(&r->q);
	rscan_unref(r);
}
