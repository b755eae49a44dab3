/*
 * persist.c -- the answer writer thread (see persist.h).
 *
 * One mutex guards the queue and the requests; the condition variable
 * is signalled both ways (work for the thread, a finished answer for
 * the caller).  An ended answer moves, with its last text, onto a list
 * the thread finishes in order before anything else; a finish nobody
 * waits for (persist_end_async) comes back through a jobq whose wake
 * pipe the TUI polls.  Every SQLite call on the writer's connection is made on
 * the thread; the caller only creates and frees the store_stream (which
 * touch no database) while the thread is idle.  The thread wakes at
 * least every STORE_STREAM_FLUSH_MS while an answer runs, so text that
 * arrived before a pause in the tokens, or while the database was
 * locked, is saved without waiting for the next piece.
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "jobq.h"
#include "persist.h"
#include "xmalloc.h"

struct persist {
	struct store		*s;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 quit;

	struct store_stream	*ss;		/* the running answer */
	struct buf		 queue;		/* text not yet handed over */
	int			 row;		/* its first save was tried */
	int			 nowait;	/* persist_set_nowait */

	/* Answers ended and not yet finished, oldest first: */
	struct persist_fin	*fin, *fin_last;
	struct jobq		 done;		/* finished without a waiter */
	unsigned		 tickets;
};

/* An ended answer: its last text and final state, then the result. */
struct persist_fin {
	struct persist_fin	*next;
	struct store_stream	*ss;
	struct buf		 text;
	enum store_status	 status;
	char			*error;
	const struct store_prov	*prov;		/* &own, or the caller's */
	struct store_prov	 own;
	int			 wait;		/* persist_end waits for it */
	int			 ended;
	unsigned		 ticket;
	int			 rc;
	int64_t			 id;
	char			*cause;
};

static void	*persist_main(void *);
static void	 persist_wait(struct persist *);
static struct persist_fin *persist_fin_push(struct persist *,
		    enum store_status, const char *);
static void	 persist_fin_run(struct persist *, struct persist_fin *);
static void	 persist_fin_free(void *);

struct persist *
persist_create(const char *path, const struct store_advisory *adv,
    char **cause)
{
	struct persist	*p;

	p = xcalloc(1, sizeof *p);
	if (store_open(path, adv, &p->s, cause) != 0) {
		free(p);
		return NULL;
	}
	if (jobq_init(&p->done, offsetof(struct persist_fin, next), 1,
	    cause) != 0) {
		store_close(p->s);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((errno = pthread_create(&p->thread, NULL, persist_main, p)) != 0) {
		xasprintf(cause, "pthread_create: %s", strerror(errno));
		jobq_destroy(&p->done, NULL);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		store_close(p->s);
		free(p);
		return NULL;
	}
	return p;
}

void
persist_free(struct persist *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	store_stream_free(p->ss);
	buf_free(&p->queue);
	jobq_destroy(&p->done, persist_fin_free);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	store_close(p->s);
	free(p);
}

void
persist_begin(struct persist *p, int64_t conv, int64_t parent,
    const struct store_prov *prov)
{
	struct store_stream	*ss;

	ss = store_stream_start(p->s, conv, parent, prov);
	pthread_mutex_lock(&p->mu);
	store_stream_free(p->ss);
	p->ss = ss;
	buf_truncate(&p->queue, 0);
	p->row = 0;
	pthread_mutex_unlock(&p->mu);
}

void
persist_append(struct persist *p, const char *text, size_t len)
{
	if (len == 0)
		return;
	pthread_mutex_lock(&p->mu);
	buf_append(&p->queue, text, len);
	pthread_cond_broadcast(&p->cv);
	/*
	 * The first piece waits for the answer's row: an answer that was
	 * shown at all exists in the database (killed at any moment after,
	 * it is found and marked interrupted).  Later pieces never wait.
	 */
	while (!p->row && p->ss != NULL && !p->nowait)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void
persist_set_nowait(struct persist *p, int on)
{
	pthread_mutex_lock(&p->mu);
	p->nowait = on;
	pthread_mutex_unlock(&p->mu);
}

int
persist_fd(const struct persist *p)
{
	return jobq_fd(&p->done);
}

/*
 * Hand the running answer (locked) over to the thread as ended, with the
 * text still queued; NULL when none runs.
 */
static struct persist_fin *
persist_fin_push(struct persist *p, enum store_status status,
    const char *error)
{
	struct persist_fin	*f;

	if (p->ss == NULL)
		return NULL;
	f = xcalloc(1, sizeof *f);
	f->ss = p->ss;
	p->ss = NULL;
	buf_append(&f->text, p->queue.data, p->queue.len);
	buf_truncate(&p->queue, 0);
	f->status = status;
	f->error = error != NULL ? xstrdup(error) : NULL;
	f->ticket = ++p->tickets;
	if (f->ticket == 0)
		f->ticket = ++p->tickets;
	if (p->fin_last != NULL)
		p->fin_last->next = f;
	else
		p->fin = f;
	p->fin_last = f;
	pthread_cond_broadcast(&p->cv);
	return f;
}

static void
persist_fin_free(void *arg)
{
	struct persist_fin	*f = arg;

	if (f == NULL)
		return;
	store_stream_free(f->ss);
	buf_free(&f->text);
	free(f->error);
	store_prov_free(&f->own);
	free(f->cause);
	free(f);
}

int
persist_end(struct persist *p, enum store_status status, const char *error,
    const struct store_prov *prov, int64_t *id, char **cause)
{
	struct persist_fin	*f;
	int			 rc;

	pthread_mutex_lock(&p->mu);
	if ((f = persist_fin_push(p, status, error)) == NULL) {
		pthread_mutex_unlock(&p->mu);
		xasprintf(cause, "no answer is running");
		return -1;
	}
	f->prov = prov;
	f->wait = 1;
	while (!f->ended)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	rc = f->rc;
	if (id != NULL)
		*id = f->id;
	if (rc != 0) {
		*cause = f->cause;
		f->cause = NULL;
	}
	persist_fin_free(f);
	return rc;
}

unsigned
persist_end_async(struct persist *p, enum store_status status,
    const char *error, struct store_prov *prov)
{
	struct persist_fin	*f;
	unsigned		 ticket = 0;

	pthread_mutex_lock(&p->mu);
	if ((f = persist_fin_push(p, status, error)) != NULL) {
		if (prov != NULL) {
			f->own = *prov;
			memset(prov, 0, sizeof *prov);
			f->prov = &f->own;
		}
		ticket = f->ticket;
	}
	pthread_mutex_unlock(&p->mu);
	return ticket;
}

int
persist_done(struct persist *p, unsigned *ticket, int64_t *id, char **cause)
{
	struct persist_fin	*f;
	char			 b[64];
	int			 rc, more = 0;

	while (read(jobq_fd(&p->done), b, sizeof b) > 0)
		continue;
	/* One at a time: the rest stay queued, and the pipe says so. */
	jobq_lock(&p->done);
	if ((f = p->done.head) != NULL) {
		p->done.head = f->next;
		if (p->done.head == NULL)
			p->done.last = NULL;
		more = p->done.head != NULL;
	}
	jobq_unlock(&p->done);
	if (f == NULL)
		return 0;
	if (more)
		jobq_wake(&p->done);
	*ticket = f->ticket;
	*id = f->id;
	rc = f->rc != 0 ? -1 : 1;
	if (rc < 0) {
		*cause = f->cause;
		f->cause = NULL;
	}
	persist_fin_free(f);
	return rc;
}

/* Wait (locked) for queued text, an end, quit, or the flush interval. */
static void
persist_wait(struct persist *p)
{
	struct timespec	ts;

	if (p->quit || p->fin != NULL || (p->ss != NULL && p->queue.len > 0))
		return;
	if (p->ss == NULL) {
		pthread_cond_wait(&p->cv, &p->mu);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += STORE_STREAM_FLUSH_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

/* Save an ended answer's last text and finish it (unlocked). */
static void
persist_fin_run(struct persist *p, struct persist_fin *f)
{
	char	*cause = NULL;
	int	 wait;

	/* A failed save keeps the text: the finish tries it again. */
	if (f->text.len > 0 && store_stream_append(f->ss, f->text.data,
	    f->text.len, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	f->rc = store_stream_finish(f->ss, f->status, f->error, f->prov,
	    &f->id, &f->cause);
	pthread_mutex_lock(&p->mu);
	if ((p->fin = f->next) == NULL)
		p->fin_last = NULL;
	f->next = NULL;
	/* A waiter frees f as soon as it sees it ended. */
	if ((wait = f->wait) != 0) {
		f->ended = 1;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	if (!wait)
		jobq_push(&p->done, f);
}

static void *
persist_main(void *arg)
{
	struct persist		*p = arg;
	struct persist_fin	*f;
	struct store_stream	*ss;
	struct buf		 text = BUF_INIT;
	char			*cause = NULL;
	int			 rc;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		persist_wait(p);
		/* Ended answers first, in order; quitting finishes them. */
		if ((f = p->fin) != NULL) {
			pthread_mutex_unlock(&p->mu);
			persist_fin_run(p, f);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		if (p->quit)
			break;
		ss = p->ss;
		buf_truncate(&text, 0);
		if (ss != NULL) {
			buf_append(&text, p->queue.data, p->queue.len);
			buf_truncate(&p->queue, 0);
		}
		pthread_mutex_unlock(&p->mu);

		/* A failed save keeps the text: tried again later. */
		if (ss != NULL && text.len > 0)
			rc = store_stream_append(ss, text.data, text.len,
			    &cause);
		else if (ss != NULL)
			rc = store_stream_tick(ss, &cause);
		else
			rc = 0;
		if (rc != 0) {
			free(cause);
			cause = NULL;
		}

		pthread_mutex_lock(&p->mu);
		if (ss != NULL && ss == p->ss && text.len > 0 && !p->row) {
			p->row = 1;
			pthread_cond_broadcast(&p->cv);
		}
	}
	pthread_mutex_unlock(&p->mu);
	buf_free(&text);
	return NULL;
}
