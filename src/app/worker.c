/*
 * worker.c -- the background inference thread (see worker.h).
 *
 * Design (redis bio.c, cmus job.c): one thread, a job queue the thread
 * waits on and an event queue with a wake pipe written once per pushed
 * event so the UI's poll() wakes up (both struct jobq, src/app/jobq.c).
 * The job queue's lock also guards the running-job fields below.  Token events are coalesced: while the UI has not
 * yet drained the queue, new text is appended to the last TOKEN event of
 * the same job, so a slow UI never makes the queue grow per token.
 *
 * Invariants:
 *  - only the worker thread opens, closes and chats with the backend (a
 *    local engine or a remote server's model); the UI thread may call
 *    backend_cancel, and only while w->running_chat is set, under the job
 *    queue's lock (so the backend cannot be closed under it);
 *  - w->cancel_job is the id of the job being cancelled: the emit
 *    callback returns nonzero when it equals the running job;
 *  - w->open_cancel is the flag every remote backend is opened with: set
 *    (under the job queue's lock) only while a JOB_LOAD_REMOTE runs, so
 *    worker_cancel and worker_free end a connection to a server that
 *    does not answer at once; cleared when that job ends, so the
 *    backends opened with it before are not stopped by it.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "jobq.h"
#include "modelid.h"
#include "worker.h"
#include "xmalloc.h"

enum job_type { JOB_LOAD, JOB_LOAD_REMOTE, JOB_CHAT, JOB_QUIT };

struct job {
	enum job_type		 type;
	unsigned		 id;
	char			*path;
	int			 n_ctx, n_threads;
	int			 want_sha;
	struct backend_endpoint	 ep;		/* JOB_LOAD_REMOTE: a
						   backend_endpoint_copy */
	char			*tmpl;
	struct engine_msg	*msgs;
	int			 n;
	struct engine_sampling	 s;
	struct job		*next;
};

struct worker {
	pthread_t		 thread;
	struct jobq		 jobs;		/* its lock guards the fields
						   up to quitting */
	struct jobq		 events;	/* with the wake pipe */
	unsigned		 next_id;
	unsigned		 running;	/* job id running, 0 = none */
	int			 running_chat;
	unsigned		 cancel_job;
	int			 running_open;	/* a JOB_LOAD_REMOTE runs */
	atomic_int		 open_cancel;
	unsigned		 last_progress;	/* per-mille, for throttling */
	int			 quitting;	/* worker_free: stop hashing */

	char			*prefix_dir;	/* set before the first load,
						   read by the worker thread */

	/* Owned by the worker thread. */
	struct backend		*backend;
	struct engine_opts	 opts;		/* of the local model open */
	char			*opts_path;	/* its file, NULL when the
						   backend is remote */
	struct worker_model	*model;
};

static void	*worker_main(void *);
static struct worker_event *worker_event_new(enum worker_ev_type, unsigned);
static void	 worker_job_free(struct job *);
static void	 worker_job_free_v(void *);
static void	 worker_event_free1(void *);
static int	 worker_job_is_chat(void *);
static unsigned	 worker_queue(struct worker *, struct job *);
static void	 worker_do_load(struct worker *, struct job *);
static void	 worker_do_load_remote(struct worker *, struct job *);
static void	 worker_install(struct worker *, struct backend *);
static void	 worker_do_chat(struct worker *, struct job *);
static int	 worker_emit(const char *, size_t, void *);
static void	 worker_progress(float, void *);
static int	 worker_hash_progress(uint64_t, uint64_t, void *);
static struct worker_model *worker_model_from(const struct backend_info *);
static struct worker_model *worker_model_pack(const struct worker_model *,
		    const char *const *);

struct emit_ctx {
	struct worker	*w;
	unsigned	 id;
	int		 ctx_used;	/* prompt + pieces emitted so far */
};

struct worker *
worker_create(char **cause)
{
	struct worker	*w;

	w = xcalloc(1, sizeof *w);
	atomic_init(&w->open_cancel, 0);
	if (jobq_init(&w->events, offsetof(struct worker_event, next), 1,
	    cause) != 0) {
		free(w);
		return NULL;
	}
	(void)jobq_init(&w->jobs, offsetof(struct job, next), 0, NULL);
	w->next_id = 1;
	if ((errno = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
		xasprintf(cause, "pthread_create: %s", strerror(errno));
		jobq_destroy(&w->jobs, NULL);
		jobq_destroy(&w->events, NULL);
		free(w);
		return NULL;
	}
	return w;
}

void
worker_free(struct worker *w)
{
	struct job	*j;

	if (w == NULL)
		return;
	worker_cancel(w);
	jobq_lock(&w->jobs);
	w->quitting = 1;
	jobq_unlock(&w->jobs);
	j = xcalloc(1, sizeof *j);
	j->type = JOB_QUIT;
	worker_queue(w, j);
	pthread_join(w->thread, NULL);

	jobq_destroy(&w->jobs, worker_job_free_v);
	jobq_destroy(&w->events, worker_event_free1);
	free(w->prefix_dir);
	free(w);
}

void
worker_set_prefix_dir(struct worker *w, const char *dir)
{
	free(w->prefix_dir);
	w->prefix_dir = dir != NULL ? xstrdup(dir) : NULL;
}

int
worker_fd(struct worker *w)
{
	return jobq_fd(&w->events);
}

/*
 * Append j to the job queue and wake the thread.  Returns j's id (j itself
 * may already be freed by the worker when this returns).
 */
static unsigned
worker_queue(struct worker *w, struct job *j)
{
	unsigned	id;

	jobq_lock(&w->jobs);
	id = j->id = w->next_id++;
	if (w->next_id == 0)
		w->next_id = 1;
	jobq_unlock(&w->jobs);
	jobq_push(&w->jobs, j);
	return id;
}

unsigned
worker_load(struct worker *w, const char *path, int n_ctx, int n_threads,
    int want_sha)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_LOAD;
	j->path = xstrdup(path);
	j->n_ctx = n_ctx;
	j->n_threads = n_threads;
	j->want_sha = want_sha;
	return worker_queue(w, j);
}

unsigned
worker_load_remote(struct worker *w, const struct backend_endpoint *ep)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_LOAD_REMOTE;
	backend_endpoint_copy(&j->ep, ep);
	return worker_queue(w, j);
}

unsigned
worker_chat(struct worker *w, const char *tmpl, const struct engine_msg *msgs,
    int n, const struct engine_sampling *s)
{
	struct job	*j;
	int		 i;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_CHAT;
	j->tmpl = tmpl != NULL ? xstrdup(tmpl) : NULL;
	j->n = n;
	if (n > 0) {
		j->msgs = xcalloc((size_t)n, sizeof *j->msgs);
		for (i = 0; i < n; i++) {
			j->msgs[i].role = msgs[i].role;
			j->msgs[i].text = xstrdup(msgs[i].text);
		}
	}
	j->s = *s;
	return worker_queue(w, j);
}

void
worker_cancel(struct worker *w)
{
	jobq_lock(&w->jobs);
	/* Drop queued chat jobs; a queued load still happens. */
	jobq_remove_locked(&w->jobs, worker_job_is_chat, worker_job_free_v);
	if (w->running_chat) {
		w->cancel_job = w->running;
		if (w->backend != NULL)
			backend_cancel(w->backend);
	}
	if (w->running_open)
		atomic_store(&w->open_cancel, 1);
	jobq_unlock(&w->jobs);
}

int
worker_busy(struct worker *w)
{
	int	busy;

	jobq_lock(&w->jobs);
	busy = w->running != 0 || !jobq_empty_locked(&w->jobs);
	jobq_unlock(&w->jobs);
	return busy;
}

struct worker_event *
worker_drain(struct worker *w)
{
	return jobq_drain(&w->events);
}

void
worker_event_free(struct worker_event *ev)
{
	jobq_list_free(ev, offsetof(struct worker_event, next),
	    worker_event_free1);
}

/* One event (not the ones after it). */
static void
worker_event_free1(void *p)
{
	struct worker_event	*ev = p;

	free(ev->text);
	free(ev->error);
	worker_model_free(ev->model);
	backend_prov_free(&ev->prov);
	free(ev);
}

/*
 * The strings of a worker_model live in the same allocation, after the
 * struct, in the order path, file_name, model_name, quant,
 * template_name, cpu, endpoint, host, url, model_id, origin: one free,
 * and a copy is one repacking.
 */
#define WORKER_MODEL_NSTR	11

void
worker_model_free(struct worker_model *m)
{
	free(m);
}

/* A new model with tmpl's numbers and the strings str[] (NULL = ""). */
static struct worker_model *
worker_model_pack(const struct worker_model *tmpl, const char *const *str)
{
	struct worker_model	*m;
	size_t			 len[WORKER_MODEL_NSTR], total = 0;
	char			*p;
	int			 i;

	for (i = 0; i < WORKER_MODEL_NSTR; i++) {
		len[i] = str[i] != NULL ? strlen(str[i]) : 0;
		total += len[i] + 1;
	}
	m = xmalloc(sizeof *m + total);
	*m = *tmpl;
	p = (char *)(m + 1);
	{
		char	**dst[WORKER_MODEL_NSTR] = { &m->path, &m->file_name,
			    &m->model_name, &m->quant, &m->template_name,
			    &m->cpu, &m->endpoint, &m->host, &m->url,
			    &m->model_id, &m->origin };

		for (i = 0; i < WORKER_MODEL_NSTR; i++) {
			if (len[i] > 0)
				memcpy(p, str[i], len[i]);
			p[len[i]] = '\0';
			*dst[i] = p;
			p += len[i] + 1;
		}
	}
	return m;
}

struct worker_model *
worker_model_copy(const struct worker_model *m)
{
	if (m == NULL)
		return NULL;
	return worker_model_pack(m, (const char *const []){ m->path,
	    m->file_name, m->model_name, m->quant, m->template_name, m->cpu,
	    m->endpoint, m->host, m->url, m->model_id, m->origin });
}

static struct worker_model *
worker_model_from(const struct backend_info *bi)
{
	const struct engine_info	*i = bi->local;
	struct worker_model		 t, *m = &t;

	memset(&t, 0, sizeof t);
	if (bi->remote) {
		m->remote = 1;
		m->raw = bi->raw;
		m->tls = bi->tls;
		m->n_ctx = bi->n_ctx;
		memcpy(m->remote_key, bi->key, sizeof m->remote_key);
		return worker_model_pack(&t, (const char *const []){ "",
		    bi->name, bi->model_id, "", bi->template_name, "",
		    bi->endpoint, bi->host, bi->url, bi->model_id,
		    bi->origin });
	}
	m->file_size = i->file_size;
	m->n_params = i->n_params;
	m->n_ctx_train = i->n_ctx_train;
	m->n_ctx = i->n_ctx;
	m->n_vocab = i->n_vocab;
	m->n_layer = i->n_layer;
	m->n_embd = i->n_embd;
	m->n_threads = i->n_threads;
	return worker_model_pack(&t, (const char *const []){ i->path,
	    i->file_name, i->model_name, i->quant != NULL ? i->quant : "?",
	    i->template_name != NULL ? i->template_name : "chatml", i->cpu,
	    NULL, NULL, NULL, NULL, NULL });
}

static struct worker_event *
worker_event_new(enum worker_ev_type type, unsigned job)
{
	struct worker_event	*ev;

	ev = xcalloc(1, sizeof *ev);
	ev->type = type;
	ev->job = job;
	return ev;
}

static int
worker_job_is_chat(void *j)
{
	return ((struct job *)j)->type == JOB_CHAT;
}

static void
worker_job_free_v(void *j)
{
	worker_job_free(j);
}

static void
worker_job_free(struct job *j)
{
	int	i;

	backend_endpoint_clear(&j->ep);
	free(j->path);
	free(j->tmpl);
	for (i = 0; i < j->n; i++)
		free((char *)j->msgs[i].text);
	free(j->msgs);
	free(j);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct job	*j;

	for (;;) {
		jobq_lock(&w->jobs);
		j = jobq_wait_locked(&w->jobs);
		w->running = j->id;
		w->running_chat = (j->type == JOB_CHAT);
		w->running_open = (j->type == JOB_LOAD_REMOTE);
		w->cancel_job = 0;
		atomic_store(&w->open_cancel, 0);
		jobq_unlock(&w->jobs);

		if (j->type == JOB_QUIT) {
			worker_job_free(j);
			break;
		}
		if (j->type == JOB_LOAD)
			worker_do_load(w, j);
		else if (j->type == JOB_LOAD_REMOTE)
			worker_do_load_remote(w, j);
		else
			worker_do_chat(w, j);

		jobq_lock(&w->jobs);
		w->running = 0;
		w->running_chat = 0;
		w->running_open = 0;
		atomic_store(&w->open_cancel, 0);
		jobq_unlock(&w->jobs);
		worker_job_free(j);
	}
	backend_close(w->backend);
	w->backend = NULL;
	worker_model_free(w->model);
	free(w->opts_path);
	return NULL;
}

static void
worker_progress(float frac, void *arg)
{
	struct emit_ctx		*ec = arg;
	struct worker		*w = ec->w;
	struct worker_event	*ev;
	unsigned		 pm;

	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	pm = (unsigned)(frac * 100);
	if (pm == w->last_progress)
		return;
	w->last_progress = pm;
	ev = worker_event_new(WORKER_EV_PROGRESS, ec->id);
	ev->frac = frac;
	jobq_push(&w->events, ev);
}

/* sha256_file progress: the same throttled PROGRESS events, hashing. */
static int
worker_hash_progress(uint64_t done, uint64_t total, void *arg)
{
	struct emit_ctx		*ec = arg;
	struct worker		*w = ec->w;
	struct worker_event	*ev;
	unsigned		 pm;
	int			 quitting;

	jobq_lock(&w->jobs);
	quitting = w->quitting;
	jobq_unlock(&w->jobs);
	if (quitting)
		return -1;	/* stop hashing: the program is leaving */
	if (total == 0)
		return 0;
	pm = (unsigned)((double)done / (double)total * 100);
	if (pm == w->last_progress)
		return 0;
	w->last_progress = pm;
	ev = worker_event_new(WORKER_EV_PROGRESS, ec->id);
	ev->frac = (float)done / (float)total;
	ev->hashing = 1;
	jobq_push(&w->events, ev);
	return 0;
}

/*
 * Make b the backend (the old one is already closed, or closed here),
 * with its worker_model.
 */
static void
worker_install(struct worker *w, struct backend *b)
{
	struct backend	*old;

	jobq_lock(&w->jobs);
	old = w->backend;
	w->backend = b;
	jobq_unlock(&w->jobs);
	if (old != NULL && old != b)
		backend_close(old);
	worker_model_free(w->model);
	w->model = b != NULL ? worker_model_from(backend_get_info(b)) : NULL;
}

/*
 * Load j->path.  The file is probed first so that a bad file is rejected
 * while the old model is still open; if opening fails after that, the old
 * model is reopened.  A remote model before it needs no memory here: it
 * stays open until the file is, and stays the model if the file fails.
 * Posts LOADED or LOAD_FAILED.
 */
static void
worker_do_load(struct worker *w, struct job *j)
{
	struct engine_file_summary	 sum;
	struct engine_opts		 o;
	struct backend			*b = NULL, *old;
	struct worker_event		*ev;
	struct emit_ctx			 ec;
	char				*cause = NULL, *cause2 = NULL;

	ec.w = w;
	ec.id = j->id;
	w->last_progress = (unsigned)-1;
	if (engine_probe(j->path, &sum, &cause) != 0)
		goto fail;

	memset(&o, 0, sizeof o);
	o.path = j->path;
	o.n_ctx = j->n_ctx;
	o.n_threads = j->n_threads;
	o.progress = worker_progress;
	o.progress_arg = &ec;
	o.prefix_dir = w->prefix_dir;

	/* Close an old local engine first: two models may not fit. */
	if (w->opts_path != NULL) {
		jobq_lock(&w->jobs);
		old = w->backend;
		w->backend = NULL;
		jobq_unlock(&w->jobs);
		backend_close(old);
	}

	if (backend_open_local(&o, &b, &cause) != 0) {
		b = NULL;
		if (w->opts_path != NULL) {
			o = w->opts;
			o.path = w->opts_path;
			o.progress = NULL;
			if (backend_open_local(&o, &b, &cause2) != 0) {
				b = NULL;
				free(cause2);
				free(w->opts_path);
				w->opts_path = NULL;
			}
			worker_install(w, b);
		}
		goto fail;
	}
	worker_install(w, b);
	w->opts = o;
	free(w->opts_path);
	w->opts_path = xstrdup(j->path);
	w->opts.path = NULL;
	w->opts.progress = NULL;
	w->opts.progress_arg = NULL;

	ev = worker_event_new(WORKER_EV_LOADED, j->id);
	ev->model = worker_model_copy(w->model);
	if (j->want_sha) {
		w->last_progress = (unsigned)-1;
		if (modelid_hash(j->path, &ev->model->ident,
		    worker_hash_progress, &ec, NULL) != 0)
			memset(&ev->model->ident, 0, sizeof ev->model->ident);
	}
	jobq_push(&w->events, ev);
	return;

fail:
	ev = worker_event_new(WORKER_EV_LOAD_FAILED, j->id);
	ev->error = cause != NULL ? cause : xstrdup("cannot load model");
	ev->model = worker_model_copy(w->model);
	jobq_push(&w->events, ev);
}

/*
 * Open j's endpoint (network work: the served models, the context size).
 * The model before stays open until the new one is, and stays if it
 * fails.  Posts LOADED or LOAD_FAILED.
 */
static void
worker_do_load_remote(struct worker *w, struct job *j)
{
	struct backend		*b;
	struct worker_event	*ev;
	char			*cause = NULL;

	j->ep.cancel = &w->open_cancel;
	if (backend_open_remote(&j->ep, &b, &cause) != 0) {
		ev = worker_event_new(WORKER_EV_LOAD_FAILED, j->id);
		ev->error = cause != NULL ? cause :
		    xstrdup("cannot open the endpoint");
		ev->model = worker_model_copy(w->model);
		jobq_push(&w->events, ev);
		return;
	}
	worker_install(w, b);
	free(w->opts_path);
	w->opts_path = NULL;
	ev = worker_event_new(WORKER_EV_LOADED, j->id);
	ev->model = worker_model_copy(w->model);
	jobq_push(&w->events, ev);
}

/*
 * Emit callback, on the worker thread: coalesce text into the last TOKEN
 * event of this job if the UI has not taken it yet.  Returns nonzero to
 * stop when this job is being cancelled.
 */
static int
worker_emit(const char *text, size_t len, void *arg)
{
	struct emit_ctx		*ec = arg;
	struct worker		*w = ec->w;
	struct worker_event	*ev, *last;
	int			 stop, merged = 0;

	jobq_lock(&w->jobs);
	stop = (w->cancel_job == ec->id);
	jobq_unlock(&w->jobs);
	if (len > 0)
		ec->ctx_used++;
	if (len > 0) {
		jobq_lock(&w->events);
		last = jobq_last_locked(&w->events);
		if (last != NULL && last->type == WORKER_EV_TOKEN &&
		    last->job == ec->id) {
			last->text = xrealloc(last->text, last->len + len + 1);
			memcpy(last->text + last->len, text, len);
			last->len += len;
			last->text[last->len] = '\0';
			last->ntok++;
			last->ctx_used = ec->ctx_used;
			merged = 1;
		}
		jobq_unlock(&w->events);
	}
	if (len > 0 && !merged) {
		ev = worker_event_new(WORKER_EV_TOKEN, ec->id);
		ev->text = xmalloc(len + 1);
		memcpy(ev->text, text, len);
		ev->text[len] = '\0';
		ev->len = len;
		ev->ntok = 1;
		ev->ctx_used = ec->ctx_used;
		jobq_push(&w->events, ev);
	} else if (merged)
		jobq_wake(&w->events);
	return stop;
}

static void
worker_do_chat(struct worker *w, struct job *j)
{
	struct worker_event	*ev;
	struct emit_ctx		 ec;
	struct backend_result	 r;
	char			*cause = NULL;

	ec.w = w;
	ec.id = j->id;
	if (w->backend == NULL) {
		ev = worker_event_new(WORKER_EV_ERROR, j->id);
		ev->error = xstrdup("no model loaded");
		jobq_push(&w->events, ev);
		return;
	}
	/*
	 * The prompt's size, so TOKEN events can say how much context is in
	 * use while the answer streams (-1 for an unknown template: the
	 * backend_chat below reports that error).
	 */
	ec.ctx_used = backend_count_tokens(w->backend, j->tmpl, j->msgs,
	    j->n);
	if (ec.ctx_used < 0)
		ec.ctx_used = 0;
	if (backend_chat(w->backend, j->tmpl, j->msgs, j->n, &j->s,
	    worker_emit, &ec, &r, &cause) != 0) {
		ev = worker_event_new(WORKER_EV_ERROR, j->id);
		ev->error = cause != NULL ? cause : xstrdup("generation failed");
		ev->res = r.res;
		ev->prov = r.prov;
		jobq_push(&w->events, ev);
		return;
	}
	jobq_lock(&w->jobs);
	if (w->cancel_job == j->id)
		r.res.stop = ENGINE_STOP_CANCEL;
	jobq_unlock(&w->jobs);
	ev = worker_event_new(WORKER_EV_DONE, j->id);
	ev->res = r.res;
	ev->prov = r.prov;
	jobq_push(&w->events, ev);
}
