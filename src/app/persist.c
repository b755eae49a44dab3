/*
 * persist.c -- the answer writer thread (see persist.h).
 *
 * One mutex guards the queue and the requests; the condition variable
 * is signalled both ways (work for the thread, a finished answer for
 * the caller).  Every SQLite call on the writer's connection is made on
 * the thread; the caller only creates and frees the store_stream (which
 * touch no database) while the thread is idle.  The thread wakes at
 * least every STORE_STREAM_FLUSH_MS while an answer runs, so text that
 * arrived before a pause in the tokens, or while the database was
 * locked, is saved without waiting for the next piece.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
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

	/* persist_end's request and its result: */
	int			 ending;
	enum store_status	 status;
	const char		*error;
	const struct store_prov	*prov;
	int			 ended;
	int			 rc;
	int64_t			 id;
	char			*cause;
};

static void	*persist_main(void *);
static void	 persist_wait(struct persist *);

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
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((errno = pthread_create(&p->thread, NULL, persist_main, p)) != 0) {
		xasprintf(cause, "pthread_create: %s", strerror(errno));
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
	free(p->cause);
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
	p->ended = 0;
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
	while (!p->row && p->ss != NULL)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

int
persist_end(struct persist *p, enum store_status status, const char *error,
    const struct store_prov *prov, int64_t *id, char **cause)
{
	int	rc;

	pthread_mutex_lock(&p->mu);
	if (p->ss == NULL) {
		pthread_mutex_unlock(&p->mu);
		xasprintf(cause, "no answer is running");
		return -1;
	}
	p->status = status;
	p->error = error;
	p->prov = prov;
	p->ending = 1;
	pthread_cond_broadcast(&p->cv);
	while (!p->ended)
		pthread_cond_wait(&p->cv, &p->mu);
	rc = p->rc;
	if (id != NULL)
		*id = p->id;
	if (rc != 0) {
		*cause = p->cause;
		p->cause = NULL;
	}
	store_stream_free(p->ss);
	p->ss = NULL;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Wait (locked) for queued text, an end, quit, or the flush interval. */
static void
persist_wait(struct persist *p)
{
	struct timespec	ts;

	if (p->quit || p->ending || (p->ss != NULL && p->queue.len > 0))
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

static void *
persist_main(void *arg)
{
	struct persist		*p = arg;
	struct store_stream	*ss;
	struct buf		 text = BUF_INIT;
	char			*cause = NULL;
	int			 ending, rc;
	int64_t			 id = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		persist_wait(p);
		if (p->quit && !p->ending)
			break;
		ss = p->ss;
		ending = p->ending && ss != NULL;
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
		else if (ss != NULL && !ending)
			rc = store_stream_tick(ss, &cause);
		else
			rc = 0;
		if (rc != 0) {
			free(cause);
			cause = NULL;
		}
		if (ending)
			rc = store_stream_finish(ss, p->status, p->error,
			    p->prov, &id, &cause);

		pthread_mutex_lock(&p->mu);
		if (ss != NULL && ss == p->ss && text.len > 0 && !p->row) {
			p->row = 1;
			pthread_cond_broadcast(&p->cv);
		}
		if (ending) {
			p->rc = rc;
			p->id = id;
			free(p->cause);
			p->cause = cause;
			cause = NULL;
			p->ending = 0;
			p->ended = 1;
			pthread_cond_broadcast(&p->cv);
		}
	}
	pthread_mutex_unlock(&p->mu);
	buf_free(&text);
	return NULL;
}
