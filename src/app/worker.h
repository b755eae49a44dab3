/*
 * worker.h -- the background inference thread.
 *
 * The UI thread owns curses, readline and SQLite; the worker thread owns
 * the engine.  They share only two mutex-protected queues:
 *
 *	UI --(jobs: load, chat)--> worker --(events)--> UI
 *
 * Each event pushed also writes one byte to a non-blocking pipe (the
 * queues are struct jobq, src/app/jobq.h) whose read end (worker_fd())
 * the UI's poll() loop watches; worker_drain() empties
 * the pipe and hands the events over.  worker_cancel() may be called at
 * any moment from the UI thread: a running generation stops within one
 * token (engine_cancel plus a flag checked by the emit callback) and
 * queued chat jobs are dropped.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "modelid.h"

struct worker;

/*
 * A copy of engine_info the UI may keep: one allocation with its strings
 * (read-only), freed by worker_model_free.
 */
struct worker_model {
	char		*path;
	char		*file_name;
	char		*model_name;
	char		*quant;
	char		*template_name;
	char		*cpu;
	uint64_t	 file_size;
	uint64_t	 n_params;
	int		 n_ctx_train, n_ctx, n_vocab, n_layer, n_embd;
	int		 n_threads;
	/* Set when the load job asked for the file's hash (ident.sha256
	   "" if not computed), to be recorded with modelid_record(): */
	struct modelid	 ident;
};

enum worker_ev_type {
	WORKER_EV_PROGRESS,	/* load progress: frac (hashing: 1 while
				   the file's SHA-256 is computed) */
	WORKER_EV_LOADED,	/* model: the newly loaded model */
	WORKER_EV_LOAD_FAILED,	/* error: one line; model: still loaded
				   model or NULL */
	WORKER_EV_TOKEN,	/* text/len: generated text (coalesced) */
	WORKER_EV_DONE,		/* res: the finished (or stopped) answer */
	WORKER_EV_ERROR,	/* error: one line */
};

struct worker_event {
	enum worker_ev_type	 type;
	unsigned		 job;	/* id returned by worker_load/chat */
	float			 frac;
	int			 hashing;
	char			*text;	/* NUL-terminated, len bytes */
	size_t			 len;
	int			 ntok;	/* pieces merged into text */
	int			 ctx_used; /* TOKEN: prompt tokens plus the
					   pieces emitted so far (the
					   context in use, an estimate
					   until DONE's res.n_ctx_used) */
	char			*error;
	struct worker_model	*model;
	struct engine_result	 res;
	struct worker_event	*next;
};

/*
 * Start the thread.  Returns NULL with *cause if the pipe or thread cannot
 * be created.
 */
struct worker	*worker_create(char **cause);
/* Stop the thread (cancelling any generation), close the engine, free. */
void		 worker_free(struct worker *);
/* Read end of the wake-up pipe, for poll(). */
int		 worker_fd(struct worker *);

/*
 * Queue loading the model at path with n_ctx and n_threads (0 =
 * defaults).  The previous model stays loaded if the new one fails.  With
 * want_sha the file's SHA-256 is computed after loading (seconds for a
 * multi-GB file, so not on the UI thread) and returned in the LOADED
 * event's model.  Returns the job id.
 */
unsigned	 worker_load(struct worker *, const char *path, int n_ctx,
		    int n_threads, int want_sha);
/*
 * Queue answering msgs[0..n) with template tmpl (NULL = model's) and
 * sampling s.  The texts are copied.  Returns the job id.
 */
unsigned	 worker_chat(struct worker *, const char *tmpl,
		    const struct engine_msg *msgs, int n,
		    const struct engine_sampling *s);
/* Stop the running generation within one token; drop queued chats. */
void		 worker_cancel(struct worker *);
/* 1 while a job is queued or running. */
int		 worker_busy(struct worker *);

/*
 * Empty the wake-up pipe and take all pending events, oldest first, as a
 * list the caller frees with worker_event_free() (one by one or whole).
 * Returns NULL when there are none.
 */
struct worker_event *worker_drain(struct worker *);
void		 worker_event_free(struct worker_event *);
void		 worker_model_free(struct worker_model *);
struct worker_model *worker_model_copy(const struct worker_model *);

#endif
