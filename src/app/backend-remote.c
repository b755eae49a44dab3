/*
 * backend-remote.c -- the backend of a model an OpenAI-compatible server
 * serves (see backend.h), over the client in src/net/remote.h: open
 * (the served models, the context size), chat (streamed over the
 * network), cancel, count tokens, and the list of served models for
 * `medchat models` and the model menu.  Everything here but cancel may
 * block on the network: the worker thread's, or `medchat ask`'s.
 *
 * The strings of the info are the client's (they live as long as it
 * does) plus the few made here (name shown, origin, endpoint name),
 * owned by the backend.
 */
#include <stdlib.h>
#include <string.h>

#include "backend-int.h"
#include "compat.h"
#include "remote.h"
#include "store.h"
#include "xmalloc.h"

static int	 backend_remote_chat(struct backend *, const char *,
		    const struct engine_msg *, int,
		    const struct engine_sampling *, engine_emit_fn, void *,
		    struct backend_result *, char **);
static void	 backend_remote_cancel(struct backend *);
static int	 backend_remote_count(struct backend *, const char *,
		    const struct engine_msg *, int);
static void	 backend_remote_close(struct backend *);
static void	 backend_remote_opts(const struct backend_endpoint *,
		    struct remote_opts *);

static const struct backend_ops backend_remote_ops = {
	backend_remote_chat, backend_remote_cancel, backend_remote_count,
	backend_remote_close
};

/* The remote_opts of an endpoint (strings borrowed). */
static void
backend_remote_opts(const struct backend_endpoint *ep, struct remote_opts *o)
{
	memset(o, 0, sizeof *o);
	o->url = ep->url;
	o->model = ep->model;
	o->key = ep->key;
	o->key_env = ep->key_env;
	o->cacert = ep->cacert;
	o->tmpl = ep->tmpl;
	o->connect_timeout_s = ep->connect_timeout_s;
	o->stall_timeout_s = ep->stall_timeout_s;
	o->cancel = ep->cancel;
}

int
backend_open_remote(const struct backend_endpoint *ep, struct backend **bp,
    char **cause)
{
	struct backend			*b;
	struct remote_opts		 o;
	const struct remote_info	*ri;
	char				*origin;

	*bp = NULL;
	if (ep->url == NULL || *ep->url == '\0') {
		xasprintf(cause, "no URL for the endpoint");
		return -1;
	}
	/* Refused here, before anything goes over the network. */
	if (backend_template_ok(ep->tmpl, cause) != 0 ||
	    backend_origin(ep->url, &origin, cause) != 0)
		return -1;
	free(origin);
	backend_remote_opts(ep, &o);
	b = xcalloc(1, sizeof *b);
	b->ops = &backend_remote_ops;
	if (remote_open(&o, &b->rem, cause) != 0) {
		free(b);
		return -1;
	}
	ri = remote_get_info(b->rem);
	if (backend_origin(ri->url, &b->origin, cause) != 0) {
		remote_close(b->rem);
		free(b);
		return -1;
	}
	b->name = backend_display_name(ep->name, ri->host, ri->model);
	b->info.remote = 1;
	b->info.name = b->name;
	b->info.model_id = ri->model;
	b->info.template_name = ri->tmpl != NULL ? ri->tmpl :
	    BACKEND_SERVER_TEMPLATE;
	b->info.n_ctx = ri->n_ctx;
	b->info.url = ri->url;
	b->info.host = ri->host;
	b->info.origin = b->origin;
	b->info.raw = ri->tmpl != NULL;
	b->info.tls = ri->tls;
	store_remote_key(ri->url, ri->model, b->info.key);
	if (ep->name != NULL && *ep->name != '\0') {
		b->endpoint = xstrdup(ep->name);
		b->info.endpoint = b->endpoint;
	}
	*bp = b;
	return 0;
}

static int
backend_remote_chat(struct backend *b, const char *tmpl,
    const struct engine_msg *msgs, int n, const struct engine_sampling *s,
    engine_emit_fn emit, void *arg, struct backend_result *r, char **cause)
{
	struct remote_prov	rp;
	int			rc;

	(void)tmpl;	/* the one given at open: remote_opts.tmpl */
	memset(&rp, 0, sizeof rp);
	rc = remote_chat(b->rem, msgs, n, s, emit, arg, &r->res, &rp, cause);
	/* The strings change hands (remote_prov_free would free them). */
	r->prov.server_model = rp.server_model;
	r->prov.fingerprint = rp.fingerprint;
	r->prov.request_json = rp.request_json;
	r->prov.dropped = rp.dropped;
	return rc;
}

static void
backend_remote_cancel(struct backend *b)
{
	remote_cancel(b->rem);
}

static int
backend_remote_count(struct backend *b, const char *tmpl,
    const struct engine_msg *msgs, int n)
{
	(void)tmpl;
	return remote_count_tokens(b->rem, msgs, n, NULL);
}

static void
backend_remote_close(struct backend *b)
{
	remote_close(b->rem);
}

int
backend_list_models(const struct backend_endpoint *ep,
    struct backend_model **out, size_t *n, char **cause)
{
	struct remote_opts	 o;
	struct remote_model	*rm;
	size_t			 i, nm;
	char			*origin;

	*out = NULL;
	*n = 0;
	if (ep->url == NULL || *ep->url == '\0') {
		xasprintf(cause, "no URL for the endpoint");
		return -1;
	}
	if (backend_origin(ep->url, &origin, cause) != 0)
		return -1;
	free(origin);
	backend_remote_opts(ep, &o);
	o.model = NULL;
	o.tmpl = NULL;
	if (remote_list_models(&o, &rm, &nm, cause) != 0)
		return -1;
	if (nm > 0) {
		*out = xcalloc(nm, sizeof **out);
		for (i = 0; i < nm; i++) {
			(*out)[i].id = xstrdup(rm[i].id != NULL ? rm[i].id :
			    "");
			(*out)[i].owned_by = rm[i].owned_by != NULL ?
			    xstrdup(rm[i].owned_by) : NULL;
			(*out)[i].n_ctx = rm[i].n_ctx;
		}
	}
	*n = nm;
	remote_models_free(rm, nm);
	return 0;
}

static char *
backend_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
backend_endpoint_copy(struct backend_endpoint *dst,
    const struct backend_endpoint *src)
{
	*dst = *src;
	dst->name = backend_dup(src->name);
	dst->url = backend_dup(src->url);
	dst->model = backend_dup(src->model);
	dst->tmpl = backend_dup(src->tmpl);
	dst->cacert = backend_dup(src->cacert);
	dst->key_env = backend_dup(src->key_env);
	dst->key = backend_dup(src->key);
	dst->cancel = NULL;
}

void
backend_endpoint_clear(struct backend_endpoint *ep)
{
	/* The API key leaves no copy behind. */
	if (ep->key != NULL)
		explicit_bzero((char *)ep->key, strlen(ep->key));
	free((char *)ep->name);
	free((char *)ep->url);
	free((char *)ep->model);
	free((char *)ep->tmpl);
	free((char *)ep->cacert);
	free((char *)ep->key_env);
	free((char *)ep->key);
	memset(ep, 0, sizeof *ep);
}

void
backend_models_free(struct backend_model *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].owned_by);
	}
	free(v);
}

