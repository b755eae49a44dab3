/*
 * jobq.h -- one mutex-protected FIFO of items, optionally with a wake
 * pipe, shared by the worker thread (its job and event queues) and the
 * model-scan thread (its event queue).
 *
 * Items are the callers' own structs, linked through one of their
 * pointer fields (its offset is given to jobq_init), so a drained list
 * is a plain list the caller walks through that field.  A queue with a
 * wake pipe writes one byte per push to a non-blocking pipe whose read
 * end (jobq_fd) a poll() loop watches; jobq_drain empties the pipe and
 * takes every item.  A consumer thread may instead block in
 * jobq_wait_locked until an item arrives.  The queue's lock may also
 * guard the owner's own state (jobq_lock/jobq_unlock): the worker keeps
 * its running-job fields under the job queue's lock, so taking a job
 * and marking it running is one step a canceller cannot fall between.
 */
#ifndef JOBQ_H
#define JOBQ_H

#include <pthread.h>
#include <stddef.h>

struct jobq {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* signalled on every push */
	int		 pipe[2];	/* wake pipe, -1 without */
	size_t		 link;		/* offsetof the item's next field */
	void		*head;
	void		*last;		/* last item, NULL when empty */
};

/*
 * Set q up for items linked at byte offset link; with wake, make the
 * non-blocking, close-on-exec wake pipe.  0, or -1 and *cause (nothing to
 * free then).
 */
int	 jobq_init(struct jobq *q, size_t link, int wake, char **cause);
/* Free the items left with item_free (may be NULL), close the pipe. */
void	 jobq_destroy(struct jobq *q, void (*item_free)(void *));
/* Free a drained list (linked at offset link) item by item; NULL is ok. */
void	 jobq_list_free(void *list, size_t link, void (*item_free)(void *));
/* Read end of the wake pipe, for poll(); -1 without one. */
int	 jobq_fd(const struct jobq *q);

void	 jobq_lock(struct jobq *q);
void	 jobq_unlock(struct jobq *q);

/* Append item (taking it), signal a waiter and write the wake byte. */
void	 jobq_push(struct jobq *q, void *item);
/* Write the wake byte only (an item already queued changed). */
void	 jobq_wake(struct jobq *q);
/*
 * Empty the wake pipe and take every item, oldest first, as a list
 * linked through the item's field; NULL when there is none.
 */
void	*jobq_drain(struct jobq *q);

/* With the lock held: */
/* Wait until there is an item and take the oldest. */
void	*jobq_wait_locked(struct jobq *q);
/* The newest item (NULL when empty); it stays queued. */
void	*jobq_last_locked(struct jobq *q);
/* 1 when there is no item. */
int	 jobq_empty_locked(const struct jobq *q);
/* Remove every item drop() says 1 to, freeing it with item_free. */
void	 jobq_remove_locked(struct jobq *q, int (*drop)(void *),
	    void (*item_free)(void *));

#endif
