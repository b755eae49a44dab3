/*
 * persist.h -- an answer's streamed text saved by a thread of its own,
 * over a database connection of its own, so that a database locked by
 * another process never holds up generation or the keyboard: appending
 * only queues the text; the thread saves it (store_stream, at most every
 * 250 ms, also when tokens pause) and tries again later while the
 * database stays locked.  Only the first piece (the answer's row must
 * exist once anything was shown) and the end of an answer wait for the
 * database (its normal busy timeout); the end says whether it was saved.
 * An end nobody waits for (persist_end_async) that another process's
 * lock kept out is tried again in the background, every second for up
 * to three minutes, before it is reported not saved.  Used by the
 * session (session.c), one writer per session.
 */
#ifndef PERSIST_H
#define PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct persist;

/*
 * A writer over its own connection to the database file path (opened
 * here, with advisory adv).  NULL and *cause when it cannot be opened
 * (the caller then saves on its own connection).
 */
struct persist	*persist_create(const char *path,
		    const struct store_advisory *adv, char **cause);
/*
 * Stop the thread and close the connection.  Ended answers still being
 * tried again get one last try that does not wait for the lock (others
 * their first, as usual).  Returns the number of ended answers that
 * were not saved and whose result nobody took (persist_done), with
 * *cause (may be NULL; caller frees) the last one's reason when it is
 * not 0.
 */
int		 persist_free(struct persist *, char **cause);
/*
 * How long (ms) a final save that another process's lock keeps out is
 * tried again after persist_end_async (180000; 0: not at all).
 */
void		 persist_set_retry(struct persist *, int ms);

/* Start an answer (a store_stream over the writer's connection). */
void		 persist_begin(struct persist *, int64_t conv, int64_t parent,
		    const struct store_prov *prov);
/*
 * Queue text of the running answer.  The first piece waits until the
 * answer's row was written (or the try failed); later ones never wait
 * for the database.
 */
void		 persist_append(struct persist *, const char *, size_t);
/*
 * Finish the running answer as store_stream_finish does (prov NULL
 * keeps the one given at begin), waiting for the thread to save
 * everything queued.  0 and *id, or -1 and *cause.
 */
int		 persist_end(struct persist *, enum store_status,
		    const char *error, const struct store_prov *prov,
		    int64_t *id, char **cause);

/*
 * With on, the first piece does not wait for the answer's row either
 * (the TUI: the keyboard must not wait for another process's lock).
 */
void		 persist_set_nowait(struct persist *, int on);
/*
 * Finish the running answer without waiting, taking over *prov (zeroed;
 * NULL keeps the one given at begin).  A new answer may begin at once:
 * the thread finishes ended answers in order first (one being tried
 * again holds up the ones after it).  The ticket (never 0) that
 * persist_done reports, or 0 when no answer was running.
 */
unsigned	 persist_end_async(struct persist *, enum store_status,
		    const char *error, struct store_prov *prov);
/* Readable when a persist_end_async finish has a result. */
int		 persist_fd(const struct persist *);
/*
 * One finished result: 1 saved (*id), -1 not saved (*cause), with its
 * *ticket; 0 when none is waiting.
 */
int		 persist_done(struct persist *, unsigned *ticket, int64_t *id,
		    char **cause);

#endif
