/*
 * measure-job.h -- one measurement of a model file (eval_speed, eval_ppl
 * or eval_kld, src/app/eval.h) on a thread of its own, for the model
 * menu: the UI thread never runs the engine, and the worker keeps the
 * chat's model.
 *
 *	UI --mjob_start(spec)--> job thread --(events)--> UI
 *
 * The thread first makes sure both files' SHA-256 are known (hashing
 * them when the caller did not know them from the catalog: the results
 * are stored by the hash), then loads an engine instance of its own on
 * the file and runs the measurement, sending MJOB_PROGRESS events (the
 * newest replaces one the UI has not taken yet, so a fast measurement
 * cannot flood the queue) and MJOB_DONE last, with the result or the
 * one-line error.  Events go through a struct jobq with a wake pipe
 * (mjob_fd) as the model scan's do.  No curses, no store: the UI
 * thread stores the result and records the hashes.
 *
 * mjob_cancel() sets the flag eval_* polls between chunks; the thread
 * then ends with the partial result (rc 1).  mjob_stop() cancels and
 * lets go without waiting: the thread is detached and the last of the
 * two to let go frees the job, so closing the menu or quitting never
 * waits for a chunk of a large model.
 */
#ifndef MEASURE_JOB_H
#define MEASURE_JOB_H

#include "eval.h"
#include "modelid.h"

enum mjob_kind {
	MJOB_SPEED,		/* eval_speed */
	MJOB_PPL,		/* eval_ppl */
	MJOB_KLD,		/* eval_kld against spec.base */
};

struct mjob_spec {
	enum mjob_kind	 kind;
	const char	*path;		/* the file measured */
	const char	*sha;		/* its SHA-256 when known, else NULL */
	const char	*base;		/* MJOB_KLD: the reference file */
	const char	*base_sha;	/*   its SHA-256, or NULL */
	int		 threads;	/* 0: eval's default */
};

enum mjob_ev_type {
	MJOB_HASHING,		/* frac: of the file being hashed */
	MJOB_PROGRESS,		/* p */
	MJOB_DONE,		/* rc, res, error, id, base_id */
};

struct mjob_event {
	enum mjob_ev_type	 type;
	double			 frac;
	struct eval_progress	 p;
	int			 rc;	/* 0 complete, 1 stopped early (res
					   is the partial result), -1 error */
	struct eval_result	 res;	/* rc 0 or 1 */
	char			*error;	/* rc -1: one line */
	struct modelid		 id;	/* the files hashed by the job */
	struct modelid		 base_id;	/* (sha256 "" if not) */
	struct mjob_event	*next;
};

struct mjob;

/* Start the job (the strings are copied); NULL and *cause on failure. */
struct mjob	*mjob_start(const struct mjob_spec *, char **cause);
/* Read end of the wake pipe, for poll(). */
int		 mjob_fd(struct mjob *);
/* Take the events so far, oldest first (free with mjob_event_free). */
struct mjob_event *mjob_drain(struct mjob *);
/* Free ev and the events after it. */
void		 mjob_event_free(struct mjob_event *);
/* Ask the thread to stop at its next check; any thread. */
void		 mjob_cancel(struct mjob *);
/* Cancel and let go (see above); never blocks.  NULL is ignored. */
void		 mjob_stop(struct mjob *);

#endif
