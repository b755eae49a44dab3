/*
 * worker.h -- the background inference thread.
 *
 * The UI thread owns curses, readline and SQLite; the worker thread owns
 * the engine backend (src/app/backend.h): a GGUF model run in this
 * process or a model a remote server serves, whose network work --
 * listing the served models at load, every answer -- is done here, never
 * on the UI thread.  They share only two mutex-protected queues:
 *
 *	UI --(jobs: load a file or an endpoint, chat)--> worker --(events)--> UI
 *
 * Each event pushed also writes one byte to a non-blocking pipe (the
 * queues are struct jobq, src/app/jobq.h) whose read end (worker_fd())
 * the UI's poll() loop watches; worker_drain() empties
 * the pipe and hands the events over.  worker_cancel() may be called at
 * any moment from the UI thread: a running generation stops within one
 * token, or a remote transfer within 100 ms (backend_cancel plus a flag
 * checked by the emit callback), and queued chat jobs are dropped.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "engine.h"
#include "modelid.h"

struct worker;

/*
 * A copy of the loaded backend's info the UI may keep: one allocation
 * with its strings (read-only, never NULL: "" when not set), freed by
 * worker_model_free.
 */
struct worker_model {
	char		*path;		/* the GGUF file; "" when remote */
	char		*file_name;	/* the name to show: the file's base
					   name, or "lab: meditron-70b" */
	char		*model_name;	/* general.name, or the remote id */
	char		*quant;		/* "" when remote */
	char		*template_name;	/* the model's default template;
					   remote: raw mode's template or
					   "server template" */
	char		*cpu;		/* kernel path; "" when remote */
	uint64_t	 file_size;
	uint64_t	 n_params;
	int		 n_ctx_train, n_ctx, n_vocab, n_layer, n_embd;
	int		 n_threads;
	/* Set when the load job asked for the file's hash (ident.sha256
	   "" if not computed), to be recorded with modelid_record(): */
	struct modelid	 ident;

	/*
	 * A remote model (remote 1; for a file the strings are "" and the
	 * numbers 0).  n_ctx above is the server's context size, 0 when it
	 * does not tell.
	 */
	int		 remote;
	int		 raw;		/* raw mode: our template */
	int		 tls;		/* https */
	char		*endpoint;	/* the settings file's name, or "" */
	char		*host;		/* "gpu1.lab:8000" */
	char		*url;		/* base URL, never with credentials */
	char		*model_id;	/* the served model's id */
	char		*origin;	/* what consent is for (backend_origin) */
	char		 remote_key[65]; /* its advisory identity:
					   store_remote_key(url, model_id) */
};

enum worker_ev_type {
	WORKER_EV_PROGRESS,	/* load progress: frac (hashing: 1 while
				   the file's SHA-256 is computed) */
	WORKER_EV_LOADED,	/* model: the newly loaded model */
	WORKER_EV_LOAD_FAILED,	/* error: one line; model: still loaded
				   model or NULL */
	WORKER_EV_TOKEN,	/* text/len: generated text (coalesced) */
	WORKER_EV_DONE,		/* res: the finished (or stopped) answer;
				   prov: a remote's provenance */
	WORKER_EV_ERROR,	/* error: one line; res and prov as far as
				   known (prov.dropped: a remote's
				   connection was lost after text) */
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
	struct backend_prov	 prov;	/* DONE, ERROR: what a remote answer
					   adds (server model, fingerprint,
					   parameters as sent, dropped);
					   zero when local.  Freed with the
					   event; session_end_prov takes it */
	struct worker_event	*next;
};

/*
 * Start the thread.  Returns NULL with *cause if the pipe or thread cannot
 * be created.
 */
struct worker	*worker_create(char **cause);
/*
 * The directory of the prompt-prefix cache for the local models loaded
 * from now on (engine_opts.prefix_dir; NULL: none).  Call it before the
 * first worker_load: the worker thread reads it without a lock.
 */
void		 worker_set_prefix_dir(struct worker *, const char *dir);
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
 * Queue opening a model of a remote server (ep is copied, key
 * included): the worker lists the served models, picks ep->model or the
 * first, asks for the context size (backend_open_remote), and posts
 * LOADED with a remote worker_model, or LOAD_FAILED with one line (the
 * model before stays loaded).  Consent and the advisory are the UI's to
 * check, on the LOADED model, before anything is sent.  Returns the job
 * id.
 */
unsigned	 worker_load_remote(struct worker *,
		    const struct backend_endpoint *ep);
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
