/*
 * jobq.c -- a FIFO of caller-linked items with a lock, a condition and
 * an optional wake pipe (see jobq.h).  The pattern is redis bio.c's
 * job_comp_pipe and cmus job.c's job_fd: the producer appends under the
 * lock and writes one byte; a full pipe already guarantees a wake-up, so
 * EAGAIN on that write is fine.  docs/ARCHITECTURE.md describes the
 * threads that use it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "xmalloc.h"

static void	**jobq_next(const struct jobq *, void *);

/* The link field of item. */
static void **
jobq_next(const struct jobq *q, void *item)
{
	return (void **)((char *)item + q->link);
}

int
jobq_init(struct jobq *q, size_t link, int wake, char **cause)
{
	int	i, fl;

	memset(q, 0, sizeof *q);
	q->link = link;
	q->pipe[0] = q->pipe[1] = -1;
	if (wake) {
		if (pipe(q->pipe) != 0) {
			xasprintf(cause, "pipe: %s", strerror(errno));
			q->pipe[0] = q->pipe[1] = -1;
			return -1;
		}
		for (i = 0; i < 2; i++) {
			fl = fcntl(q->pipe[i], F_GETFL);
			fcntl(q->pipe[i], F_SETFL, fl | O_NONBLOCK);
			fcntl(q->pipe[i], F_SETFD, FD_CLOEXEC);
		}
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	return 0;
}

void
jobq_list_free(void *list, size_t link, void (*item_free)(void *))
{
	void	*next;

	for (; list != NULL; list = next) {
		next = *(void **)((char *)list + link);
		item_free(list);
	}
}

void
jobq_destroy(struct jobq *q, void (*item_free)(void *))
{
	if (item_free != NULL)
		jobq_list_free(q->head, q->link, item_free);
	q->head = q->last = NULL;
	if (q->pipe[0] != -1)
		close(q->pipe[0]);
	if (q->pipe[1] != -1)
		close(q->pipe[1]);
	q->pipe[0] = q->pipe[1] = -1;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
}

int
jobq_fd(const struct jobq *q)
{
	return q->pipe[0];
}

void
jobq_lock(struct jobq *q)
{
	pthread_mutex_lock(&q->lock);
}

void
jobq_unlock(struct jobq *q)
{
	pthread_mutex_unlock(&q->lock);
}

void
jobq_push(struct jobq *q, void *item)
{
	*jobq_next(q, item) = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->last != NULL)
		*jobq_next(q, q->last) = item;
	else
		q->head = item;
	q->last = item;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	jobq_wake(q);
}

void
jobq_wake(struct jobq *q)
{
	char	c = 'w';

	if (q->pipe[1] != -1)
		(void)write(q->pipe[1], &c, 1);
}

void *
jobq_drain(struct jobq *q)
{
	void	*list;
	char	 b[256];

	if (q->pipe[0] != -1) {
		while (read(q->pipe[0], b, sizeof b) > 0)
			continue;
	}
	pthread_mutex_lock(&q->lock);
	list = q->head;
	q->head = q->last = NULL;
	pthread_mutex_unlock(&q->lock);
	return list;
}

void *
jobq_wait_locked(struct jobq *q)
{
	void	*item;

	while (q->head == NULL)
		pthread_cond_wait(&q->cond, &q->lock);
	item = q->head;
	q->head = *jobq_next(q, item);
	if (q->head == NULL)
		q->last = NULL;
	*jobq_next(q, item) = NULL;
	return item;
}

void *
jobq_last_locked(struct jobq *q)
{
	return q->last;
}

int
jobq_empty_locked(const struct jobq *q)
{
	return q->head == NULL;
}

void
jobq_remove_locked(struct jobq *q, int (*drop)(void *),
    void (*item_free)(void *))
{
	void	**pp, *item;

	q->last = NULL;
	pp = &q->head;
	while ((item = *pp) != NULL) {
		if (drop(item)) {
			*pp = *jobq_next(q, item);
			*jobq_next(q, item) = NULL;
			item_free(item);
		} else {
			q->last = item;
			pp = jobq_next(q, item);
		}
	}
}
