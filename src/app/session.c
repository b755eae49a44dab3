/*
 * session.c -- the one "ask" workflow over the store (see session.h).
 *
 * Order of events, which is what makes `kill -9` at any moment safe:
 *   1. the advisory gate (nothing is generated without an acknowledgement
 *      of the current advisory for this model file's sha256): `ask`
 *      passes it in session_ask_open, the TUI on its advisory screen;
 *   2. the question is committed in its own transaction (session_begin;
 *      `ask` then says so on stderr -- the crash test relies on that);
 *   3. each piece of the answer goes to the store before it is shown
 *      (session_emit): the row appears at the first piece and is
 *      rewritten at most every 250 ms, so what the database holds is
 *      always a prefix of what the user saw;
 *   4. the answer is finished with its status and provenance
 *      (session_end).
 * The pieces of an answer are saved by a writer thread over a connection
 * of its own (persist.c), so a database locked by another process holds
 * up neither generation nor the keyboard: the saves wait in the
 * background, and only the end of the answer waits for the database and
 * says whether it was saved.  In the async mode (the TUI) nothing waits:
 * the question is written without waiting for a lock (the caller tries
 * again), and the end is tried again in the background.  A process killed between 3 and 4 leaves a
 * 'streaming' row that the next store_open marks 'interrupted'.  The session runs on the thread
 * that owns the store; the engine's thread only produces the pieces.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "advisory.h"
#include "buf.h"
#include "jsonx.h"
#include "modelid.h"
#include "persist.h"
#include "session.h"
#include "utf8.h"
#include "xmalloc.h"

struct session {
	struct store		*s;
	int			 own_store;	/* session_ask_open's */
	struct store_prov	 model;		/* model_* and template only */
	char			*kernels;

	/* The answer writer (persist.c), NULL: this connection saves. */
	struct persist		*pw;
	int			 pw_tried;
	int			 async;		/* session_set_async */
	unsigned		 ticket;	/* the last async end's */
	int			 pending;	/* async ends not reported */

	/* The running turn: */
	int			 running;
	struct store_stream	*ss;		/* without pw */
	struct buf		 text;		/* everything emitted */
	struct store_prov	 prov;
	int64_t			*ctx_ids;
	int			 n_ctx;
	int64_t			 conv;		/* the last turn's */
	int			 interrupted;	/* session_interrupt */

	/* session_ask_open's messages for the engine: */
	struct engine_msg	*msgs;
	char			**texts;
	int			 n;
};

static char	*session_dup(const char *);
static void	 session_stop(struct session *);
static void	 session_writer(struct session *);
static int	 session_finish(struct session *, enum store_status,
		    const char *, struct store_prov *, int64_t *,
		    char **);
static char	*session_dropped_json(const struct session *,
		    const struct engine_result *);
static int	 session_conv_create(struct session *, const char *,
		    const char *, const struct settings *, const char *,
		    int64_t *, int64_t *, char **);
static int	 session_new_conv(struct session *,
		    const struct session_turn *, int64_t *, char **);
static int	 session_label(struct session *, char **);
static int	 session_gate(struct session *, const struct session_opts *,
		    const struct backend_info *, char **);
static int	 session_consent(struct session *, const struct session_opts *,
		    const struct backend_info *, char **);
static int	 session_ask_line(const char *, const char *);
static void	 session_sent_seed(struct store_prov *, const char *);
static int	 session_param(const struct jsonx_doc *, const char *, double,
		    double, double *);
static int	 session_history(struct session *, const struct session_opts *,
		    const char *, const char *, int64_t **, int64_t *, char **);

/* ---- options --------------------------------------------------------- */

int
session_getopt(struct session_opts *o, int ch, const char *arg)
{
	char		*end;
	long long	 v;

	switch (ch) {
	case SESSION_OPT_DB:
		o->db = arg;
		return 1;
	case SESSION_OPT_CONTINUE:
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v <= 0) {
			fprintf(stderr, "medchat ask: --continue needs a "
			    "conversation id, not '%s'\n", arg);
			return -1;
		}
		o->continue_id = v;
		return 1;
	case SESSION_OPT_NOSAVE:
		o->no_save = 1;
		return 1;
	case SESSION_OPT_ACCEPT:
		o->accept_advisory = 1;
		return 1;
	case SESSION_OPT_REMOTE:
		o->accept_remote = 1;
		return 1;
	}
	return 0;
}

/* ---- parameters ------------------------------------------------------ */

char *
session_params_json(const struct settings *st, const char *kernels)
{
	json_t	*o = jsonx_object();
	char	*s;

	jsonx_set(o, "temp", jsonx_float(st->s.temp));
	jsonx_set(o, "top_k", json_integer(st->s.top_k));
	jsonx_set(o, "top_p", jsonx_float(st->s.top_p));
	jsonx_set(o, "min_p", jsonx_float(st->s.min_p));
	jsonx_set(o, "repeat_penalty", jsonx_float(st->s.repeat_penalty));
	jsonx_set(o, "repeat_last_n", json_integer(st->s.repeat_last_n));
	jsonx_set(o, "max_tokens", json_integer(st->s.max_tokens));
	/*
	 * The seed only where it means something: a conversation's fixed
	 * seed.  An answer's seed is its provenance's own field (once).
	 */
	if (st->seed_fixed && kernels == NULL)
		jsonx_set(o, "seed", jsonx_uint64_new(st->s.seed));
	jsonx_set(o, "seed_fixed", json_integer(st->seed_fixed != 0));
	jsonx_set(o, "ctx", json_integer(st->n_ctx));
	if (kernels != NULL) {
		jsonx_set(o, "engine", jsonx_string(PACKAGE_VERSION));
		jsonx_set(o, "kernels", jsonx_string(kernels));
	}
	s = jsonx_dump(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Member key as a double in [lo, hi]: 0 and *out, or -1. */
static int
session_param(const struct jsonx_doc *d, const char *key, double lo,
    double hi, double *out)
{
	double	x;

	if (jsonx_double(d, json_object_get(d->root, key), &x) != 0 ||
	    x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

int
session_params_read(struct settings *st, const char *json)
{
	struct jsonx_doc d;
	struct settings	 t = *st;
	double		 x;
	uint64_t	 seed;
	char		*cause = NULL;

	if (json == NULL || jsonx_parse(&d, json, strlen(json), &cause) != 0 ||
	    !json_is_object(d.root)) {
		free(cause);
		if (json != NULL)
			jsonx_free(&d);
		return -1;
	}
	if (session_param(&d, "temp", 0, 5, &x) == 0)
		t.s.temp = (float)x;
	if (session_param(&d, "top_k", 0, 1000, &x) == 0 && x == floor(x))
		t.s.top_k = (int)x;
	if (session_param(&d, "top_p", 0, 1, &x) == 0)
		t.s.top_p = (float)x;
	if (session_param(&d, "min_p", 0, 1, &x) == 0)
		t.s.min_p = (float)x;
	if (session_param(&d, "repeat_penalty", 0.5, 3, &x) == 0)
		t.s.repeat_penalty = (float)x;
	if (session_param(&d, "max_tokens", -1, 1000000, &x) == 0 &&
	    x == floor(x))
		t.s.max_tokens = (int)x;
	if (session_param(&d, "seed_fixed", 1, 1, &x) == 0 &&
	    jsonx_uint64(&d, json_object_get(d.root, "seed"), &seed) == 0) {
		t.seed_fixed = 1;
		t.s.seed = seed;
	}
	if (session_param(&d, "ctx", 0, ENGINE_CTX_MAX, &x) == 0 &&
	    x == floor(x))
		t.n_ctx = (int)x;
	jsonx_free(&d);
	*st = t;
	return 0;
}

char *
session_params_text(const char *json)
{
	struct jsonx_doc d;
	struct buf	 b = BUF_INIT;
	const char	*key;
	json_t		*v;
	char		*cause = NULL, *t;
	size_t		 len, off, l;

	if (json == NULL || jsonx_parse(&d, json, (len = strlen(json)),
	    &cause) != 0 || !json_is_object(d.root)) {
		free(cause);
		if (json != NULL)
			jsonx_free(&d);
		return NULL;
	}
	json_object_foreach(d.root, key, v) {
		if (json_is_object(v) || json_is_array(v))
			continue;
		buf_printf(&b, "%s%s ", b.len > 0 ? ", " : "", key);
		if (json_is_string(v))
			buf_puts(&b, json_string_value(v));
		else if (json_is_number(v)) {
			/* As written (0.8), not as a double prints it. */
			off = jsonx_offset(&d, v);
			for (l = 0; off + l < len &&
			    strchr("+-.eE0123456789", json[off + l]) != NULL &&
			    json[off + l] != '\0'; l++)
				continue;
			buf_append(&b, json + off, l);
		} else {
			t = jsonx_dump(v, JSON_COMPACT);
			buf_puts(&b, t != NULL ? t : "?");
			free(t);
		}
	}
	jsonx_free(&d);
	return buf_detach(&b);
}

/* ---- the session ----------------------------------------------------- */

static char *
session_dup(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

struct session *
session_create(struct store *s)
{
	struct session	*sn;

	sn = xcalloc(1, sizeof *sn);
	sn->s = s;
	return sn;
}

void
session_set_model(struct session *sn, const struct session_model *m)
{
	store_prov_free(&sn->model);
	free(sn->kernels);
	memset(&sn->model, 0, sizeof sn->model);
	sn->model.model_file = xstrdup(m->file_name != NULL ? m->file_name :
	    "?");
	sn->model.template_name = session_dup(m->template_name);
	if (m->remote) {
		/*
		 * A remote model has no file: its endpoint and id name it,
		 * and its "kernels" are the server's.
		 */
		sn->model.endpoint = session_dup(m->endpoint);
		sn->model.endpoint_url = xstrdup(m->url != NULL ? m->url :
		    "?");
		sn->model.remote_model = xstrdup(m->model_id != NULL ?
		    m->model_id : "?");
		if (sn->model.template_name == NULL)
			sn->model.template_name =
			    xstrdup(BACKEND_SERVER_TEMPLATE);
		sn->kernels = xstrdup("remote");
		return;
	}
	sn->model.model_quant = session_dup(m->quant);
	sn->model.model_sha256 = session_dup(m->sha256);
	sn->kernels = xstrdup(m->kernels != NULL ? m->kernels : "?");
}

void
session_set_engine(struct session *sn, const struct engine_info *info,
    const char *sha256)
{
	struct session_model	m;

	memset(&m, 0, sizeof m);
	m.file_name = info->file_name;
	m.quant = info->quant;
	m.template_name = info->template_name;
	m.kernels = info->cpu;
	m.sha256 = sha256;
	session_set_model(sn, &m);
}

void
session_set_backend(struct session *sn, const struct backend_info *info,
    const char *sha256)
{
	struct session_model	m;

	if (!info->remote) {
		session_set_engine(sn, info->local, sha256);
		return;
	}
	memset(&m, 0, sizeof m);
	m.file_name = info->name;
	m.template_name = info->template_name;
	m.remote = 1;
	m.endpoint = info->endpoint;
	m.url = info->url;
	m.model_id = info->model_id;
	session_set_model(sn, &m);
}

/* Finish a running turn as stopped, keeping its first provenance. */
static void
session_stop(struct session *sn)
{
	char	*cause = NULL;

	if (sn->running && session_finish(sn, sn->interrupted ?
	    STORE_STATUS_INTERRUPTED : STORE_STATUS_CANCELLED, NULL, NULL,
	    NULL, &cause) != 0)
		free(cause);
	buf_truncate(&sn->text, 0);
	store_prov_free(&sn->prov);
	memset(&sn->prov, 0, sizeof sn->prov);
	free(sn->ctx_ids);
	sn->ctx_ids = NULL;
	sn->n_ctx = 0;
	sn->interrupted = 0;
}

void
session_free(struct session *sn)
{
	(void)session_close(sn, NULL);
}

int
session_close(struct session *sn, char **cause)
{
	int	i, lost;

	if (sn == NULL)
		return 0;
	session_stop(sn);
	lost = persist_free(sn->pw, cause);
	buf_free(&sn->text);
	store_prov_free(&sn->model);
	free(sn->kernels);
	for (i = 0; i < sn->n; i++)
		free(sn->texts[i]);
	free(sn->texts);
	free(sn->msgs);
	if (sn->own_store)
		store_close(sn->s);
	free(sn);
	return lost;
}

/*
 * Create a conversation with system, template tmpl and the parameters
 * set, naming the session's model, and its first question when question
 * is not NULL -- in one transaction, so a question that cannot be saved
 * leaves no empty conversation.  0 and *conv, *question_id, or -1.
 */
static int
session_conv_create(struct session *sn, const char *system, const char *tmpl,
    const struct settings *set, const char *question, int64_t *conv,
    int64_t *question_id, char **cause)
{
	struct store_conv	 init;
	char			*params;
	int			 rv;

	memset(&init, 0, sizeof init);
	init.system = (char *)system;
	init.template_name = (char *)tmpl;
	init.model_file = sn->model.model_file;
	init.model_quant = sn->model.model_quant;
	init.model_sha256 = sn->model.model_sha256;
	params = session_params_json(set, NULL);
	init.params_json = params;
	rv = store_conv_create_asked(sn->s, &init, question, conv,
	    question_id, cause);
	free(params);
	return rv;
}

int
session_begin(struct session *sn, const struct session_turn *t,
    int64_t *question_id, char **cause)
{
	struct settings	 used;
	unsigned long	 locks;
	int64_t		 parent = t->parent;
	int		 busy, rc;

	session_stop(sn);
	if (t->conv == 0 && t->question == NULL) {
		xasprintf(cause, "no conversation to answer in");
		return -1;
	}
	if (t->question != NULL) {
		/*
		 * Text that is not UTF-8 (a Latin-1 terminal, a stray byte)
		 * is refused: stored raw it could not be exported
		 * losslessly, and replaced it would differ from what the
		 * model was asked.
		 */
		if (!utf8_valid(t->question, strlen(t->question))) {
			xasprintf(cause, "the question is not valid UTF-8 "
			    "(check the terminal's character encoding)");
			return -1;
		}
	}
	/*
	 * In the async mode (the TUI) this connection's writes do not wait
	 * for another process's lock: the keyboard would wait with them.
	 * Locked, 1 says to try again later; nothing was started, and what
	 * was written (the label) is written again the same way.
	 */
	busy = sn->async ? store_set_busy_ms(sn->s, 0) : 0;
	locks = store_lock_failures(sn->s);
	if (t->question != NULL)
		rc = session_new_conv(sn, t, &parent, cause);
	else {
		sn->conv = t->conv;
		rc = session_label(sn, cause);
	}
	if (sn->async)
		store_set_busy_ms(sn->s, busy);
	if (rc != 0)
		return sn->async && store_lock_failures(sn->s) != locks ? 1 : -1;
	if (question_id != NULL)
		*question_id = parent;

	memset(&sn->prov, 0, sizeof sn->prov);
	sn->prov.model_file = xstrdup(sn->model.model_file != NULL ?
	    sn->model.model_file : "?");
	sn->prov.model_quant = session_dup(sn->model.model_quant);
	sn->prov.model_sha256 = session_dup(sn->model.model_sha256);
	/* A remote model answers with the template it was opened with. */
	sn->prov.template_name = session_dup(t->tmpl != NULL &&
	    sn->model.endpoint_url == NULL ? t->tmpl :
	    sn->model.template_name);
	sn->prov.endpoint = session_dup(sn->model.endpoint);
	sn->prov.endpoint_url = session_dup(sn->model.endpoint_url);
	sn->prov.remote_model = session_dup(sn->model.remote_model);
	used = *t->set;
	used.s.seed = t->seed;
	sn->prov.params_json = session_params_json(&used, sn->kernels != NULL ?
	    sn->kernels : "?");
	sn->prov.seed = t->seed;
	sn->prov.has_seed = 1;
	if (t->ctx_ids != NULL && t->n_ctx > 0) {
		sn->ctx_ids = xcalloc((size_t)t->n_ctx, sizeof *sn->ctx_ids);
		memcpy(sn->ctx_ids, t->ctx_ids, (size_t)t->n_ctx *
		    sizeof *sn->ctx_ids);
		sn->n_ctx = t->n_ctx;
	}
	session_writer(sn);
	if (sn->pw != NULL)
		persist_begin(sn->pw, sn->conv, parent, &sn->prov);
	else
		sn->ss = store_stream_start(sn->s, sn->conv, parent, &sn->prov);
	buf_truncate(&sn->text, 0);
	sn->running = 1;
	return 0;
}

/*
 * Finish the running answer (the writer waits for the database, up to
 * its busy timeout).  0 and *id (may be NULL), or -1 and *cause; in the
 * async mode 1: requested (sn->ticket), prov taken over.
 */
static int
session_finish(struct session *sn, enum store_status st, const char *error,
    struct store_prov *prov, int64_t *id, char **cause)
{
	int	rc;

	sn->running = 0;
	if (sn->pw != NULL && sn->async) {
		if (id != NULL)
			*id = 0;
		sn->ticket = persist_end_async(sn->pw, st, error, prov);
		sn->pending++;
		return 1;
	}
	if (sn->pw != NULL)
		return persist_end(sn->pw, st, error, prov, id, cause);
	rc = store_stream_finish(sn->ss, st, error, prov, id, cause);
	store_stream_free(sn->ss);
	sn->ss = NULL;
	return rc;
}

/*
 * Save t->question under t->parent into t->conv, or into a conversation
 * created for it, in the same transaction, when t->conv is 0 (no empty
 * conversation is left by a failed turn).  sn->conv gets the
 * conversation, *id the question.  0, or -1 and *cause.
 */
static int
session_new_conv(struct session *sn, const struct session_turn *t,
    int64_t *id, char **cause)
{
	int64_t	 conv = t->conv;

	if (conv == 0) {
		if (t->parent != 0) {
			xasprintf(cause, "a new conversation's first question "
			    "has no parent (message %lld given)",
			    (long long)t->parent);
			return -1;
		}
		if (session_conv_create(sn, t->system, t->conv_tmpl, t->set,
		    t->question, &conv, id, cause) != 0)
			return -1;
		sn->conv = conv;
		return 0;
	}
	sn->conv = conv;
	if (session_label(sn, cause) != 0)
		return -1;
	return store_msg_add(sn->s, conv, t->parent, STORE_ROLE_USER,
	    t->question, STORE_STATUS_COMPLETE, NULL, id, cause);
}

/*
 * Name the session's model in the conversation of the turn: a
 * conversation is labelled by the models that answered in it, here as a
 * turn starts and nowhere else.  0, or -1 and *cause.
 */
static int
session_label(struct session *sn, char **cause)
{
	return store_conv_set_model(sn->s, sn->conv, sn->model.model_file,
	    sn->model.model_sha256, sn->model.model_quant, cause);
}

int64_t
session_conv_id(const struct session *sn)
{
	return sn != NULL ? sn->conv : 0;
}

void
session_interrupt(struct session *sn)
{
	if (sn != NULL && sn->running)
		sn->interrupted = 1;
}

const char *
session_text(const struct session *sn, size_t *len)
{
	if (len != NULL)
		*len = sn != NULL && sn->running ? sn->text.len : 0;
	return sn != NULL && sn->running ? buf_str(&sn->text) : "";
}

int
session_emit(struct session *sn, const char *text, size_t len, char **cause)
{
	if (sn == NULL || !sn->running)
		return 0;
	buf_append(&sn->text, text, len);
	if (sn->pw != NULL) {
		persist_append(sn->pw, text, len);
		return 0;
	}
	return store_stream_append(sn->ss, text, len, cause);
}

/*
 * Start the answer writer (persist.c) unless that was tried: answers are
 * saved by a thread of their own where possible.
 */
static void
session_writer(struct session *sn)
{
	char	*cause = NULL;

	if (sn->pw_tried)
		return;
	sn->pw_tried = 1;
	if ((sn->pw = persist_create(store_path(sn->s), advisory_ident(),
	    &cause)) == NULL)
		free(cause);
	else if (sn->async)
		persist_set_nowait(sn->pw, 1);
}

void
session_set_async(struct session *sn, int on)
{
	sn->async = on;
	/* Now: its connection is opened before any question is sent. */
	if (on)
		session_writer(sn);
	if (sn->pw != NULL)
		persist_set_nowait(sn->pw, on);
}

int
session_fd(const struct session *sn)
{
	return sn != NULL && sn->pw != NULL ? persist_fd(sn->pw) : -1;
}

unsigned
session_ticket(const struct session *sn)
{
	return sn->ticket;
}

int
session_saving(const struct session *sn)
{
	return sn != NULL ? sn->pending : 0;
}

int
session_saved(struct session *sn, unsigned *ticket, int64_t *id,
    char **cause)
{
	int	rc;

	if (sn == NULL || sn->pw == NULL)
		return 0;
	if ((rc = persist_done(sn->pw, ticket, id, cause)) != 0)
		sn->pending--;
	return rc;
}

int
session_running(const struct session *sn)
{
	return sn != NULL && sn->running;
}

int
session_end(struct session *sn, const struct engine_result *res,
    const char *error, enum session_end *status, int64_t *answer_id,
    char **cause)
{
	return session_end_prov(sn, res, NULL, error, status, answer_id,
	    cause);
}

int
session_end_prov(struct session *sn, const struct engine_result *res,
    const struct backend_prov *prov, const char *error,
    enum session_end *status, int64_t *answer_id, char **cause)
{
	enum store_status	 st;
	int			 rc = 0;
	int64_t			 id = 0;

	/*
	 * A connection lost after text is what a local crash is: the
	 * partial answer is kept as interrupted, with the cause.
	 */
	if (error != NULL && prov != NULL && prov->dropped)
		st = STORE_STATUS_INTERRUPTED;
	else if (error != NULL)
		st = STORE_STATUS_ERROR;
	else if (res != NULL && res->stop == ENGINE_STOP_CANCEL)
		st = sn != NULL && sn->interrupted ?
		    STORE_STATUS_INTERRUPTED : STORE_STATUS_CANCELLED;
	else
		st = STORE_STATUS_COMPLETE;
	if (status != NULL)
		*status = st == STORE_STATUS_ERROR ? SESSION_ERROR :
		    st == STORE_STATUS_CANCELLED ? SESSION_STOPPED :
		    st == STORE_STATUS_INTERRUPTED ? SESSION_INTERRUPTED :
		    SESSION_COMPLETE;
	if (sn == NULL || !sn->running) {
		if (answer_id != NULL)
			*answer_id = 0;
		return 0;
	}
	if (res != NULL) {
		sn->prov.n_prompt = res->n_prompt;
		sn->prov.n_gen = res->n_gen;
		sn->prov.prefill_tps = res->prefill_tps;
		sn->prov.decode_tps = res->decode_tps;
		sn->prov.trimmed = res->trimmed != 0;
		if (res->trimmed) {
			free(sn->prov.dropped_json);
			sn->prov.dropped_json = session_dropped_json(sn, res);
		}
	}
	if (prov != NULL) {
		free(sn->prov.server_model);
		free(sn->prov.fingerprint);
		free(sn->prov.request_json);
		sn->prov.server_model = session_dup(prov->server_model);
		sn->prov.fingerprint = session_dup(prov->fingerprint);
		sn->prov.request_json = session_dup(prov->request_json);
	}
	if (sn->model.endpoint_url != NULL)
		session_sent_seed(&sn->prov, sn->prov.request_json);
	rc = session_finish(sn, st, error, &sn->prov, &id, cause);
	if (rc < 0)
		rc = -1;
	session_stop(sn);
	if (answer_id != NULL)
		*answer_id = id;
	return rc;
}

/*
 * A remote answer's seed is the one its request carried (a server takes
 * fewer bits than ours): from request_json, or none when nothing was
 * sent.
 */
static void
session_sent_seed(struct store_prov *p, const char *request_json)
{
	json_t		*o, *seed;
	json_error_t	 err;

	p->has_seed = 0;
	if (request_json == NULL ||
	    (o = json_loads(request_json, 0, &err)) == NULL)
		return;
	seed = json_object_get(o, "seed");
	if (json_is_integer(seed) && json_integer_value(seed) >= 0) {
		p->seed = (uint64_t)json_integer_value(seed);
		p->has_seed = 1;
	}
	json_decref(o);
}

/*
 * The ids of the messages left out of the prompt (msgs[drop_first ..
 * drop_first + n_dropped) of the turn, those with an id), as a JSON
 * array: a lone id as a number, a run of consecutive ids as [first,
 * last], so a conversation that dropped 80,000 messages stays short.
 */
static char *
session_dropped_json(const struct session *sn, const struct engine_result *r)
{
	json_t	*a = jsonx_array(), *run;
	char	*s;
	int64_t	 id, lo = 0, hi = 0;
	int	 i, end;

	end = r->drop_first + r->n_dropped;
	for (i = r->drop_first; i <= end; i++) {
		id = i < end && i >= 0 && i < sn->n_ctx ? sn->ctx_ids[i] : 0;
		if (id != 0 && lo != 0 && id == hi + 1) {
			hi = id;
			continue;
		}
		if (lo != 0 && lo == hi)
			jsonx_append(a, json_integer(lo));
		else if (lo != 0) {
			run = jsonx_array();
			jsonx_append(run, json_integer(lo));
			jsonx_append(run, json_integer(hi));
			jsonx_append(a, run);
		}
		lo = hi = id;
	}
	s = jsonx_dump(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

long
session_dropped_count(const char *json)
{
	struct jsonx_doc d;
	const json_t	*v;
	char		*cause = NULL;
	int64_t		 lo, hi;
	long		 n = 0;
	size_t		 i;

	if (json == NULL)
		return -1;
	if (jsonx_parse(&d, json, strlen(json), &cause) != 0) {
		free(cause);
		jsonx_free(&d);
		return -1;
	}
	for (i = 0; json_is_array(d.root) && i < json_array_size(d.root) &&
	    n >= 0; i++) {
		v = json_array_get(d.root, i);
		if (json_is_number(v))
			n++;
		else if (json_is_array(v) && json_array_size(v) == 2 &&
		    jsonx_int64(&d, json_array_get(v, 0), &lo) == 0 &&
		    jsonx_int64(&d, json_array_get(v, 1), &hi) == 0 &&
		    lo <= hi && hi - lo < 1000000000)
			n += (long)(hi - lo + 1);
		else
			n = -1;
	}
	if (!json_is_array(d.root))
		n = -1;
	jsonx_free(&d);
	return n;
}

int
session_dropped_has(const char *json, int64_t id)
{
	struct jsonx_doc d;
	const json_t	*v;
	char		*cause = NULL;
	int64_t		 lo, hi;
	size_t		 i;
	int		 found = 0;

	if (json == NULL || id <= 0)
		return 0;
	if (jsonx_parse(&d, json, strlen(json), &cause) != 0) {
		free(cause);
		jsonx_free(&d);
		return 0;
	}
	for (i = 0; json_is_array(d.root) && i < json_array_size(d.root) &&
	    !found; i++) {
		v = json_array_get(d.root, i);
		if (json_is_number(v) && jsonx_int64(&d, v, &lo) == 0)
			found = lo == id;
		else if (json_is_array(v) && json_array_size(v) == 2 &&
		    jsonx_int64(&d, json_array_get(v, 0), &lo) == 0 &&
		    jsonx_int64(&d, json_array_get(v, 1), &hi) == 0)
			found = lo <= id && id <= hi;
	}
	jsonx_free(&d);
	return found;
}

/* ---- `medchat ask` --------------------------------------------------- */

/*
 * Ask on the terminal (prompt on stderr, one line read from stdin): 1 if
 * the answer, blanks and line end removed, is want (any case), else 0.
 */
static int
session_ask_line(const char *prompt, const char *want)
{
	char	line[128];
	size_t	l;

	fputs(prompt, stderr);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	l = strlen(line);
	while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r' ||
	    line[l - 1] == ' '))
		line[--l] = '\0';
	return strcasecmp(line, want) == 0;
}

/*
 * The advisory gate: 0 if this model (a file by its sha256, a remote
 * model by its key) has an acknowledgement of the current advisory
 * (recording one now for --accept-advisory or an interactive "I
 * understand"), -1 and *cause otherwise.
 */
static int
session_gate(struct session *sn, const struct session_opts *o,
    const struct backend_info *info, char **cause)
{
	const char	*sha = info->remote ? info->key : sn->model.model_sha256;
	const char	*method = NULL;
	char		*name;
	int		 rc;

	if ((rc = store_ack_check(sn->s, sha, NULL, cause)) != 0)
		return rc == 1 ? 0 : -1;
	if (o->accept_advisory)
		method = "cli-flag";
	else if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
		fprintf(stderr, "%s\n", advisory_text());
		name = utf8_printable(info->name);
		if (info->remote)
			fprintf(stderr, "Model: %s (remote, served at %s)\n",
			    name, info->url);
		else
			fprintf(stderr, "Model: %s (%s, sha256 %s)\n", name,
			    info->quant != NULL ? info->quant : "?", sha);
		free(name);
		if (session_ask_line("Type \"I understand\" to accept and go "
		    "on, anything else to stop: ", "I understand"))
			method = "cli-prompt";
	}
	if (method == NULL) {
		name = utf8_printable(info->name);
		if (info->remote)
			xasprintf(cause, "%s: the model-risk advisory (version "
			    "%s) has not been accepted for this remote model: "
			    "read it with 'medchat advisory', then run again "
			    "with --accept-advisory", name, advisory_version());
		else
			xasprintf(cause, "%s: the model-risk advisory (version "
			    "%s) has not been accepted for this model file "
			    "(sha256 %.16s...): read it with 'medchat "
			    "advisory', then run again with --accept-advisory",
			    name, advisory_version(), sha);
		free(name);
		return -1;
	}
	if (info->remote)
		return store_ack_record_remote(sn->s, info->name, info->url,
		    info->model_id, method, cause);
	return store_ack_record(sn->s, info->name, info->quant, sha, method,
	    cause);
}

/*
 * A remote model's consent: 0 if the user has agreed to send
 * conversations to its server (recording it now for --accept-remote or
 * "yes" typed on the terminal), -1 and *cause otherwise.  A local model
 * needs none.
 */
static int
session_consent(struct session *sn, const struct session_opts *o,
    const struct backend_info *info, char **cause)
{
	const char	*method = NULL;
	char		*prompt;
	int		 rc;

	if (!info->remote)
		return 0;
	if ((rc = store_consent_check(sn->s, info->origin, NULL, cause)) != 0)
		return rc == 1 ? 0 : -1;
	if (o->accept_remote)
		method = "flag";
	else if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
		xasprintf(&prompt, "medchat ask: conversations will be sent "
		    "to %s (%s) to be answered there, and that server's "
		    "operator can read them.  Type \"yes\" to agree (asked "
		    "once for this server), anything else to stop: ",
		    info->host, info->origin);
		if (session_ask_line(prompt, "yes"))
			method = "cli";
		free(prompt);
		if (method == NULL) {
			xasprintf(cause, "not sending anything to %s: not "
			    "agreed", info->host);
			return -1;
		}
	}
	if (method == NULL) {
		xasprintf(cause, "conversations would be sent to %s (%s), "
		    "which has not been agreed to: run from a terminal to be "
		    "asked, or with --accept-remote to agree (recorded once "
		    "for this server)", info->host, info->origin);
		return -1;
	}
	return store_consent_record(sn->s, info->origin, info->url, method,
	    cause);
}

/*
 * The messages for the engine into sn->msgs/texts/n: system (replaced
 * by the conversation's when NULL), the path of --continue ID, the
 * question.  *ids (caller frees) gets each message's id (0 = none) and
 * *parent the last stored message's.  A system message that differs from
 * the continued conversation's is kept with it unless --no-save.  0, or
 * -1 and *cause.
 */
static int
session_history(struct session *sn, const struct session_opts *o,
    const char *system, const char *question, int64_t **ids,
    int64_t *parent, char **cause)
{
	struct store_conv	 conv;
	struct store_msg	*path = NULL;
	size_t			 npath = 0, i;
	int			 k = 0, rv = -1;

	memset(&conv, 0, sizeof conv);
	*parent = 0;
	*ids = NULL;
	if (o->continue_id != 0) {
		if (store_conv_get(sn->s, o->continue_id, &conv, cause) != 0 ||
		    store_msg_path(sn->s, o->continue_id, 0, &path, &npath,
		    cause) != 0)
			goto out;
		if (system == NULL)
			system = conv.system;
		else if (!o->no_save && (conv.system == NULL ||
		    strcmp(system, conv.system) != 0) &&
		    store_conv_set_system(sn->s, o->continue_id, system,
		    cause) != 0)
			goto out;
	}
	sn->msgs = xcalloc(npath + 2, sizeof *sn->msgs);
	sn->texts = xcalloc(npath + 2, sizeof *sn->texts);
	*ids = xcalloc(npath + 2, sizeof **ids);
	if (system != NULL && *system != '\0') {
		sn->texts[k] = xstrdup(system);
		sn->msgs[k].role = ENGINE_SYSTEM;
		k++;
	}
	for (i = 0; i < npath; i++) {
		*parent = path[i].id;
		if (path[i].role == STORE_ROLE_SYSTEM ||
		    path[i].content[0] == '\0')
			continue;
		sn->texts[k] = xstrdup(path[i].content);
		sn->msgs[k].role = path[i].role == STORE_ROLE_USER ?
		    ENGINE_USER : ENGINE_ASSISTANT;
		(*ids)[k++] = path[i].id;
	}
	sn->texts[k] = xstrdup(question);
	sn->msgs[k].role = ENGINE_USER;
	sn->n = k + 1;
	for (k = 0; k < sn->n; k++)
		sn->msgs[k].text = sn->texts[k];
	rv = 0;
out:
	store_msgs_free(path, npath);
	store_conv_free(&conv);
	return rv;
}

int
session_ask_open(const struct session_opts *o, struct backend *b,
    const char *system, const char *tmpl, const struct settings *set,
    const char *question, struct session **sp, const struct engine_msg **msgs,
    int *n, char **cause)
{
	const struct backend_info	*info = backend_get_info(b);
	struct session			*sn;
	struct session_turn		 t;
	struct modelid			 id;
	struct store			*s;
	int64_t				*ids = NULL, conv, uid;

	*sp = NULL;
	if (!utf8_valid(question, strlen(question))) {
		xasprintf(cause, "the question is not valid UTF-8 (check the "
		    "terminal's character encoding)");
		return -1;
	}
	if (system != NULL && !utf8_valid(system, strlen(system))) {
		xasprintf(cause, "the system message is not valid UTF-8");
		return -1;
	}
	if (store_open(o->db, advisory_ident(), &s, cause) != 0)
		return -1;
	sn = session_create(s);
	sn->own_store = 1;
	/* Refuse before the (slow) hashing, not after the answer. */
	if (!o->no_save && store_writable(s, "save the conversation "
	    "(--no-save asks without saving)", cause) != 0)
		goto fail;
	if (store_n_interrupted(s) > 0)
		fprintf(stderr, "medchat ask: %d unfinished answer%s from an "
		    "earlier run marked interrupted\n", store_n_interrupted(s),
		    store_n_interrupted(s) == 1 ? "" : "s");

	if (info->remote)
		session_set_backend(sn, info, NULL);
	else {
		if (modelid_get(s, info->path, "medchat ask", &id, cause) != 0)
			goto fail;
		session_set_backend(sn, info, id.sha256);
	}
	/* Nothing is sent before both. */
	if (session_consent(sn, o, info, cause) != 0 ||
	    session_gate(sn, o, info, cause) != 0)
		goto fail;

	memset(&t, 0, sizeof t);
	if (session_history(sn, o, system, question, &ids, &t.parent,
	    cause) != 0)
		goto fail;
	if (!o->no_save) {
		/* A new conversation is created with the question. */
		t.conv = o->continue_id;
		t.system = system;
		/*
		 * A conversation's template is one our engine can use: a
		 * remote's in chat mode is the server's (none of ours).
		 */
		t.conv_tmpl = tmpl != NULL ? tmpl : info->remote ?
		    (info->raw ? info->template_name : NULL) :
		    info->template_name;
		t.question = question;
		t.tmpl = tmpl;
		t.set = set;
		t.seed = set->s.seed;
		t.ctx_ids = ids;
		t.n_ctx = sn->n;
		if (session_begin(sn, &t, &uid, cause) != 0)
			goto fail;
		conv = session_conv_id(sn);
		fprintf(stderr, "[question saved as message %lld of "
		    "conversation %lld; continue with --continue %lld]\n",
		    (long long)uid, (long long)conv, (long long)conv);
		fflush(stderr);
	}
	*sp = sn;
	*msgs = sn->msgs;
	*n = sn->n;
fail:
	free(ids);
	if (*sp == NULL)
		session_free(sn);
	return *sp != NULL ? 0 : -1;
}
