/*
 * rscan.h -- list the models remote endpoints serve on a thread of its
 * own, for the model menu: each listing is network work (seconds for a
 * slow or dead server) that must never stall the UI thread, and the
 * worker thread may be busy answering.
 *
 *	UI --rscan_start(endpoints)--> list thread --(events)--> UI
 *
 * The thread asks each endpoint in turn (backend_list_models), sending
 * RSCAN_LISTED with its models or RSCAN_FAILED with the one-line cause,
 * and ends with RSCAN_DONE.  Events wait in a mutex-protected list; each
 * push writes a byte to a non-blocking pipe whose read end (rscan_fd)
 * the UI polls, as for the worker and the file scan (mscan.h).
 * rscan_stop() never waits for the thread: it stops asking before the
 * next endpoint and the last of the two to let go frees the shared
 * state.  No curses, no SQLite.
 */
#ifndef RSCAN_H
#define RSCAN_H

#include <stddef.h>

#include "backend.h"

struct rscan;

enum rscan_ev_type {
	RSCAN_LISTED,		/* idx, models[0..n) */
	RSCAN_FAILED,		/* idx, error: one line */
	RSCAN_DONE,		/* every endpoint asked (or the scan stopped) */
};

struct rscan_event {
	enum rscan_ev_type	 type;
	size_t			 idx;	/* the endpoint's place in the list
					   given to rscan_start */
	struct backend_model	*models;
	size_t			 n;
	char			*error;
	struct rscan_event	*next;
};

/*
 * Start listing the models of eps[0..n) (copied, keys included).
 * Returns NULL with *cause if the pipe or the thread cannot be made.
 */
struct rscan	*rscan_start(const struct backend_endpoint *eps, size_t n,
		    char **cause);
/* Read end of the wake-up pipe, for poll(). */
int		 rscan_fd(struct rscan *);
/*
 * Empty the pipe and take the pending events, oldest first, as a list
 * the caller frees with rscan_event_free(); NULL if there are none.
 */
struct rscan_event *rscan_drain(struct rscan *);
/* Free ev and every event after it. */
void		 rscan_event_free(struct rscan_event *);
/* Let go of the scan (see above); never blocks.  NULL is ignored. */
void		 rscan_stop(struct rscan *);

#endif
