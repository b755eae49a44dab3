/*
 * session.h -- the one "ask" workflow, for every front end: open or
 * continue a conversation, the advisory gate, the question saved before
 * generation, the answer streamed into the store (at most 250 ms behind
 * what was shown) and finished as complete, stopped or failed with its
 * provenance, and regenerate / edit-and-resend as alternatives (siblings
 * under the same parent).
 *
 * The engine is not called from here: `medchat ask` runs its backend
 * (src/app/backend.h: a local GGUF model or a remote server's) in line
 * and the TUI on the worker thread, so a turn is three calls from
 * whichever thread owns the store:
 *
 *	session_begin(question)	-> the question's id; the answer row waits
 *	session_emit(piece)	   for each piece, before it is shown
 *	session_end(result)	-> status and provenance recorded
 *
 * A remote model's answers are recorded like a local one's, and their
 * provenance names the endpoint, the model id, what the server reported
 * and the parameters as sent (session_end_prov); a connection lost after
 * text makes the answer interrupted, its partial text kept.
 *
 * `medchat ask` starts with session_ask_open(), which also opens the
 * store, identifies the model, passes the gate and gathers the messages
 * for the engine.  See docs/ARCHITECTURE.md for the threads.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "engine.h"
#include "slash.h"
#include "store.h"

/* ---- `medchat ask`'s store options ----------------------------------- */

struct session_opts {
	const char	*db;		/* --db, NULL = default */
	int64_t		 continue_id;	/* --continue ID, 0 = new */
	int		 no_save;	/* --no-save */
	int		 accept_advisory; /* --accept-advisory */
	int		 accept_remote;	/* --accept-remote */
};

/* getopt_long entries (append to the command's table) and their codes. */
#define SESSION_OPT_DB		1001
#define SESSION_OPT_CONTINUE	1002
#define SESSION_OPT_NOSAVE	1003
#define SESSION_OPT_ACCEPT	1004
#define SESSION_OPT_REMOTE	1005
#define SESSION_LONGOPTS \
	{ "db", required_argument, NULL, SESSION_OPT_DB }, \
	{ "continue", required_argument, NULL, SESSION_OPT_CONTINUE }, \
	{ "no-save", no_argument, NULL, SESSION_OPT_NOSAVE }, \
	{ "accept-advisory", no_argument, NULL, SESSION_OPT_ACCEPT }, \
	{ "accept-remote", no_argument, NULL, SESSION_OPT_REMOTE }
#define SESSION_USAGE \
	"[--db PATH] [--continue ID] [--no-save] [--accept-advisory] " \
	"[--accept-remote]"

/*
 * Handle option ch (from getopt_long) if it is one of ours: 1 if it was,
 * 0 if not ours, -1 on a bad value (message printed).
 */
int	 session_getopt(struct session_opts *, int ch, const char *arg);

/* ---- sampling parameters: the one JSON format ------------------------ */

/*
 * {"temp":..,"top_k":..,"top_p":..,"min_p":..,"repeat_penalty":..,
 *  "repeat_last_n":..,"max_tokens":..,"seed":..,"seed_fixed":0|1,
 *  "ctx":..} with floats in the fewest digits that read back exactly
 * (0.8 as 0.8); "seed" only for a fixed seed and without kernels.  With
 * kernels (an answer's provenance) also "engine" (the version) and
 * "kernels" (the kernel path) and never "seed": the seed used is the
 * provenance's own field, stored once.  Caller frees.
 */
char	*session_params_json(const struct settings *, const char *kernels);
/*
 * Apply a parameters object onto *st: this format and both older ones
 * (`ask`'s "%.9g" without seed_fixed/ctx, the TUI's "%g" with them).
 * Unknown keys, values of the wrong type or out of range are ignored;
 * the seed applies only with "seed_fixed":1.  0, or -1 when json is not
 * a JSON object (st unchanged).
 */
int	 session_params_read(struct settings *st, const char *json);
/*
 * A parameters object (any of the formats above, an answer's with its
 * engine keys, or a remote request's) as one line to show: "temp 0.8,
 * top_k 40, ..." in the object's order, strings unquoted (the caller
 * makes the text safe to show).  NULL when json is not a JSON object.
 * Caller frees.
 */
char	*session_params_text(const char *json);

/* ---- the session ----------------------------------------------------- */

struct session;

/* The loaded model as provenance names it (strings are copied). */
struct session_model {
	const char	*file_name;	/* remote: the name shown, e.g.
					   "lab: meditron-70b" */
	const char	*quant;
	const char	*template_name;	/* the model's default template;
					   remote: raw mode's template or
					   "server template" */
	const char	*kernels;	/* kernel path (engine_info.cpu) */
	const char	*sha256;	/* NULL or "" when unknown */
	/*
	 * A remote model (remote 1; quant, kernels and sha256 are then not
	 * used).  Its answers record these and always its own template:
	 * a turn's tmpl is for local models.
	 */
	int		 remote;
	const char	*endpoint;	/* the settings file's name, or NULL */
	const char	*url;		/* base URL, without credentials */
	const char	*model_id;
};

/* A session over s (borrowed: the caller closes it after session_free). */
struct session	*session_create(struct store *s);
/* Finish a running answer as stopped, then free.  NULL is ignored. */
void		 session_free(struct session *);
/*
 * session_free, saying how many ended answers were not saved after all
 * and were not reported by session_saved (async mode): one still tried
 * again because of another process's lock gets a last try that does not
 * wait for it.  *cause (may be NULL) the last one's reason when not 0.
 */
int		 session_close(struct session *, char **cause);
/* The model answers come from from now on. */
void		 session_set_model(struct session *,
		    const struct session_model *);
/* The same from the engine's info and the file's sha256 (may be NULL). */
void		 session_set_engine(struct session *,
		    const struct engine_info *, const char *sha256);
/*
 * The same from a backend's info: a local one's with the file's sha256
 * (may be NULL), a remote one's with its endpoint fields.
 */
void		 session_set_backend(struct session *,
		    const struct backend_info *, const char *sha256);

/* One turn. */
struct session_turn {
	int64_t			 conv;	   /* 0: created by session_begin,
					      with the question */
	const char		*system;   /* a new conversation's */
	const char		*conv_tmpl; /* a new conversation's template
					      (NULL = the model's) */
	int64_t			 parent;   /* 0 = the conversation's first */
	const char		*question; /* NULL: answer parent (a user
					      message) again */
	const char		*tmpl;	   /* template used, NULL = model's */
	const struct settings	*set;	   /* parameters used */
	uint64_t		 seed;	   /* the seed generation uses */
	const int64_t		*ctx_ids;  /* message id of each engine
					      message (0 = none), so the
					      ones the engine leaves out
					      can be named; may be NULL */
	int			 n_ctx;
};

/*
 * Save the question (committed) under t->parent, or with no question
 * take t->parent as the question, and get the answer's row ready: it
 * appears with the first emitted piece.  With t->conv 0 the
 * conversation is created here, together with the question: if the
 * question cannot be saved the new conversation is removed again, so a
 * failed turn leaves no empty conversation behind.  An existing
 * conversation is labelled with the session's model here, when a turn
 * is answered in it, and nowhere else.  A question that is not valid
 * UTF-8 is refused.  *question_id (may be NULL) gets the question's id,
 * session_conv_id() the conversation's.  A turn already running is
 * finished as stopped first.  0, or -1 and *cause (nothing started).
 * In the async mode (session_set_async) the writes do not wait for
 * another process's lock: 1 and *cause when it holds one (nothing
 * started: call again later, with the same turn).
 */
int		 session_begin(struct session *, const struct session_turn *t,
		    int64_t *question_id, char **cause);
/*
 * Save a streamed piece (before it is shown).  0, or -1 and *cause when
 * it could not be saved (generation may go on; later pieces are tried
 * again).  No turn running: 0, nothing done.
 */
int		 session_emit(struct session *, const char *text, size_t len,
		    char **cause);
/* 1 while a turn runs (between session_begin and session_end). */
int		 session_running(const struct session *);
/* The conversation of the last session_begin (0 before any). */
int64_t		 session_conv_id(const struct session *);
/*
 * The running turn ends because the process was told to (SIGTERM,
 * SIGHUP, a closed pipe), not by the user: a stop is then recorded as
 * interrupted, not cancelled.  No turn running: nothing done.
 */
void		 session_interrupt(struct session *);

/* How a turn ended. */
enum session_end {
	SESSION_COMPLETE,
	SESSION_STOPPED,	/* cancelled: the partial answer is kept */
	SESSION_ERROR,
	SESSION_INTERRUPTED,	/* session_interrupt: the partial answer
				   is kept */
};

/*
 * Finish the turn: res (NULL when generation failed before a result)
 * gives the counts, speeds and stop reason, error (NULL when none) makes
 * it an error.  The messages the engine left out (res->drop_first and
 * res->n_dropped) are recorded as their ids, runs of consecutive ids as
 * [first,last] pairs (see session_dropped_count).  *status (may be NULL) gets how it ended and *answer_id
 * (may be NULL) the answer's id (0 if nothing was saved).  0, or -1 and
 * *cause when the answer could not be saved; 1 in the async mode.
 */
int		 session_end(struct session *, const struct engine_result *res,
		    const char *error, enum session_end *status,
		    int64_t *answer_id, char **cause);
/*
 * session_end with what a remote answer adds (prov, may be NULL: a local
 * answer): the server's model and fingerprint and the parameters as sent
 * go into the provenance, and an error with prov->dropped (the
 * connection was lost after text arrived) ends the answer as
 * interrupted -- the partial text kept, the error recorded as its cause
 * -- where other errors end it as failed.
 */
int		 session_end_prov(struct session *,
		    const struct engine_result *res,
		    const struct backend_prov *prov, const char *error,
		    enum session_end *status, int64_t *answer_id,
		    char **cause);

/*
 * The TUI's mode (on): nothing waits for the database.  The writer
 * thread (its connection) starts now.  session_begin does not wait for
 * another process's lock (it says 1: try again), the first piece does
 * not wait for the answer's row, and session_end only requests the
 * final save: it returns 1 with *answer_id 0, session_ticket() names the
 * request, and the result comes from session_saved() once session_fd()
 * is readable; a final save kept out by a lock is tried again in the
 * background for up to three minutes first.  A new turn may begin at
 * once (saved after the ended one).  Without a writer thread (it could
 * not be started) the answers' saves wait as before.
 */
void		 session_set_async(struct session *, int on);
/* The writer's result descriptor to poll, or -1 (none yet). */
int		 session_fd(const struct session *);
/* The ticket of the last final save session_end requested. */
unsigned	 session_ticket(const struct session *);
/* The number of requested final saves not yet reported. */
int		 session_saving(const struct session *);
/*
 * One requested final save's result: 1 saved (*id), -1 not saved
 * (*cause), with its *ticket; 0 when none is ready.
 */
int		 session_saved(struct session *, unsigned *ticket, int64_t *id,
		    char **cause);

/*
 * The number of message ids in a dropped_json array (ids and [first,last]
 * ranges), or -1 when it is not such an array.
 */
long		 session_dropped_count(const char *json);
/*
 * 1 if message id is among those of a dropped_json array (an id or in a
 * [first,last] range), else 0 (also when json is NULL or not such an
 * array: the transcript then marks nothing).
 */
int		 session_dropped_has(const char *json, int64_t id);
/*
 * Everything streamed so far in the running turn (the text a final save
 * must keep), and its length; "" and 0 when none runs.
 */
const char	*session_text(const struct session *, size_t *len);

/*
 * `medchat ask`: check question and system, open the store (o->db), note
 * interrupted answers, identify the model (a file by its SHA-256,
 * hashing it once; a remote model by its endpoint and id), for a remote
 * one pass the consent to send conversations to its server (recorded
 * once per server: --accept-remote, or "yes" typed on the terminal), pass
 * the advisory gate (recording --accept-advisory or an interactive "I
 * understand"), load --continue ID or create the conversation unless
 * --no-save, and begin the turn.  *msgs and *n (owned by the session)
 * are what to give backend_chat: system (or the conversation's) first,
 * the conversation so far, the question.  session_free() closes the
 * store too.  0, or -1 and *cause (nothing to free).
 */
int		 session_ask_open(const struct session_opts *o,
		    struct backend *b, const char *system, const char *tmpl,
		    const struct settings *set, const char *question,
		    struct session **sp, const struct engine_msg **msgs,
		    int *n, char **cause);

#endif
