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
 *
 * A finish nobody waits for that fails on another process's lock (after
 * the connection's busy timeout) stays at the head of the list and is
 * tried again every PERSIST_RETRY_MS until it is saved or until
 * PERSIST_RETRY_FOR_MS have passed since it was requested; the answers
 * ended after it wait, so they are still finished in order.  Quitting
 * (persist_free) gives each ended answer one last try, which does not
 * wait for a lock that already kept it out, and counts those that were
 * not saved.
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

#define PERSIST_RETRY_MS	1000	/* between tries of a locked finish */
#define PERSIST_RETRY_FOR_MS	180000	/* how long it is tried again */

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
	int			 retry_for;	/* ms, persist_set_retry */
	int			 busy_ms;	/* the connection's own */
	/* Ended answers not saved that no result reported (quitting): */
	int			 lost;
	char			*lost_cause;
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
	int64_t			 since;		/* monotonic ms of the end */
	int64_t			 retry_at;	/* ... of its next try */
	int			 tries;
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
static int64_t	 persist_now(void);
static void	 persist_until(struct persist *, int64_t);

/* The monotonic clock in milliseconds. */
static int64_t
persist_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait (locked) on the condition until the monotonic time at, at most. */
static void
persist_until(struct persist *p, int64_t at)
{
	struct timespec	ts;
	int64_t		ms = at - persist_now();

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

struct persist *
persist_create(const char *path, const struct store_advisory *adv,
    char **cause)
{
	struct persist	*p;

	p = xcalloc(1, sizeof *p);
	p->retry_for = PERSIST_RETRY_FOR_MS;
	if (store_open(path, adv, &p->s, cause) != 0) {
		free(p);
		return NULL;
	}
	p->busy_ms = store_busy_ms(p->s);
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

int
persist_free(struct persist *p, char **cause)
{
	struct persist_fin	*f;
	int			 lost;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	store_stream_free(p->ss);
	buf_free(&p->queue);
	/* Results nobody read: the ones not saved are lost too. */
	while ((f = p->done.head) != NULL) {
		p->done.head = f->next;
		if (f->rc != 0) {
			p->lost++;
			free(p->lost_cause);
			p->lost_cause = f->cause;
			f->cause = NULL;
		}
		persist_fin_free(f);
	}
	p->done.last = NULL;
	jobq_destroy(&p->done, persist_fin_free);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	store_close(p->s);
	lost = p->lost;
	if (lost > 0 && cause != NULL)
		*cause = p->lost_cause;
	else
		free(p->lost_cause);
	free(p);
	return lost;
}

void
persist_set_retry(struct persist *p, int ms)
{
	pthread_mutex_lock(&p->mu);
	p->retry_for = ms > 0 ? ms : 0;
	pthread_mutex_unlock(&p->mu);
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
	f->since = f->retry_at = persist_now();
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

/*
 * Wait (locked) for queued text, an end, quit, or the flush interval;
 * an ended answer waiting to be tried again, for its time (or quit).
 */
static void
persist_wait(struct persist *p)
{
	struct timespec	ts;

	if (p->fin != NULL && !p->quit) {
		persist_until(p, p->fin->retry_at);
		return;
	}
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

/*
 * Save an ended answer's last text and finish it (unlocked).  A finish
 * nobody waits for that another process's lock kept out stays at the
 * head of the list, to be tried again at f->retry_at (see the top).
 */
static void
persist_fin_run(struct persist *p, struct persist_fin *f)
{
	unsigned long	 locks = store_lock_failures(p->s);
	char		*cause = NULL;
	int		 wait, quit;

	/* A failed save keeps the text (in f->ss): the finish tries it. */
	if (f->text.len > 0 && store_stream_append(f->ss, f->text.data,
	    f->text.len, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	buf_truncate(&f->text, 0);
	f->rc = store_stream_finish(f->ss, f->status, f->error, f->prov,
	    &f->id, &f->cause);
	pthread_mutex_lock(&p->mu);
	if (f->rc != 0 && !f->wait && !p->quit &&
	    store_lock_failures(p->s) != locks &&
	    persist_now() - f->since < p->retry_for) {
		free(f->cause);
		f->cause = NULL;
		f->retry_at = persist_now() + PERSIST_RETRY_MS;
		pthread_mutex_unlock(&p->mu);
		return;
	}
	quit = p->quit;
	if ((p->fin = f->next) == NULL)
		p->fin_last = NULL;
	f->next = NULL;
	/* A waiter frees f as soon as it sees it ended. */
	if ((wait = f->wait) != 0) {
		f->ended = 1;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	if (wait)
		return;
	/* Quitting, nobody reads the results: count the lost ones. */
	if (quit) {
		if (f->rc != 0) {
			p->lost++;
			free(p->lost_cause);
			p->lost_cause = f->cause;
			f->cause = NULL;
		}
		persist_fin_free(f);
	} else
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
		/*
		 * Ended answers first, in order; quitting finishes them,
		 * one last try each, which does not wait for a lock when
		 * one kept it out before (the caller waited as long as it
		 * would).
		 */
		if ((f = p->fin) != NULL) {
			if (!p->quit && f->retry_at > persist_now())
				continue;
			store_set_busy_ms(p->s, p->quit && f->tries > 0 ? 0 :
			    p->busy_ms);
			f->tries++;
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
