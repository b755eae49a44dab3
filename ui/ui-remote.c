/*
 * ui-remote.c -- the chat's remote models: an endpoint's strings kept
 * for as long as the chat needs them (the load under way, the model
 * loaded, the one before it), the consent gate before the first
 * connection to a server, and going back to the model loaded before.
 *
 * A switch to a remote model (the model menu, /model, --endpoint) goes:
 *
 *	ui_load_remote(ep)	copy it, check the URL (backend_origin)
 *	ui_load_endpoint	no consent for the server's origin in the
 *				store: the consent screen asks (ui-consent.c)
 *				and connects on "yes"; on Esc nothing is
 *				connected and the model loaded stays
 *	ui_connect		the worker lists the served models and opens
 *				one (network work, on its thread); the status
 *				bar says "connecting to HOST..."
 *	LOADED (ui.c)		the advisory of that model, then questions
 *
 * So a server the chat switches to hears nothing from medchat, not even
 * a list request, before the user agreed to send it conversations (the
 * model menu does list the servers of the settings file: a GET of
 * /models, no conversation in it); ui_send checks the
 * consent again before each question (consent_needed), in case the
 * loaded model's was never given.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "compat.h"
#include "ui-int.h"
#include "xmalloc.h"

static char	*ui_dup(const char *);
static char	*ui_endpoint_shown(const struct ui_endpoint *);

/* The last origin found consented ("" none; longer ones are not kept). */
static char	 consent_ok_origin[256];

static char *
ui_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * A copy of ep with its origin, or NULL and *cause when its URL is not
 * one medchat uses (not http or https, credentials in it).
 */
struct ui_endpoint *
ui_endpoint_new(const struct backend_endpoint *ep, char **cause)
{
	struct ui_endpoint	*e;
	char			*origin, *p;

	if (ep->url == NULL || ep->url[0] == '\0') {
		xasprintf(cause, "no URL for the endpoint");
		return NULL;
	}
	if (backend_origin(ep->url, &origin, cause) != 0)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->name = ui_dup(ep->name);
	e->url = xstrdup(ep->url);
	e->model = ep->model != NULL && ep->model[0] != '\0' ?
	    xstrdup(ep->model) : NULL;
	e->tmpl = ui_dup(ep->tmpl);
	e->cacert = ui_dup(ep->cacert);
	e->key_env = ui_dup(ep->key_env);
	e->key = ui_dup(ep->key);
	e->connect_timeout_s = ep->connect_timeout_s;
	e->stall_timeout_s = ep->stall_timeout_s;
	e->origin = origin;
	p = strstr(origin, "://");
	e->host = xstrdup(p != NULL ? p + 3 : origin);
	return e;
}

struct ui_endpoint *
ui_endpoint_copy(const struct ui_endpoint *e)
{
	struct ui_endpoint	*c;

	c = xcalloc(1, sizeof *c);
	c->name = ui_dup(e->name);
	c->url = xstrdup(e->url);
	c->model = ui_dup(e->model);
	c->tmpl = ui_dup(e->tmpl);
	c->cacert = ui_dup(e->cacert);
	c->key_env = ui_dup(e->key_env);
	c->key = ui_dup(e->key);
	c->connect_timeout_s = e->connect_timeout_s;
	c->stall_timeout_s = e->stall_timeout_s;
	c->origin = xstrdup(e->origin);
	c->host = xstrdup(e->host);
	return c;
}

/* Free e (NULL is ignored); the key is wiped first. */
void
ui_endpoint_free(struct ui_endpoint *e)
{
	if (e == NULL)
		return;
	if (e->key != NULL)
		explicit_bzero(e->key, strlen(e->key));
	free(e->name);
	free(e->url);
	free(e->model);
	free(e->tmpl);
	free(e->cacert);
	free(e->key_env);
	free(e->key);
	free(e->origin);
	free(e->host);
	free(e);
}

/* e as the worker wants it; ep points into e. */
void
ui_endpoint_get(const struct ui_endpoint *e, struct backend_endpoint *ep)
{
	memset(ep, 0, sizeof *ep);
	ep->name = e->name;
	ep->url = e->url;
	ep->model = e->model;
	ep->tmpl = e->tmpl;
	ep->cacert = e->cacert;
	ep->key_env = e->key_env;
	ep->key = e->key;
	ep->connect_timeout_s = e->connect_timeout_s;
	ep->stall_timeout_s = e->stall_timeout_s;
}

/* The same server's same model (either model NULL: the first served)? */
int
ui_endpoint_same(const struct ui_endpoint *a, const struct ui_endpoint *b)
{
	if (strcmp(a->url, b->url) != 0)
		return 0;
	if (a->model == NULL || b->model == NULL)
		return a->model == b->model;
	return strcmp(a->model, b->model) == 0;
}

/* "lab: meditron-70b", "gpu1:8000: the first model"; caller frees. */
static char *
ui_endpoint_shown(const struct ui_endpoint *e)
{
	return backend_display_name(e->name, e->host, e->model != NULL ?
	    e->model : "the first model");
}

/*
 * Has the user agreed to send conversations to origin?  1 or 0; a store
 * error counts as no (and is shown).
 */
int
ui_consent_given(struct ui *ui, const char *origin)
{
	char	*cause = NULL;
	int	 rv;

	if (consent_ok_origin[0] != '\0' && strcmp(consent_ok_origin,
	    origin) == 0)
		return 1;
	rv = store_consent_check(ui->store, origin, NULL, &cause);
	if (rv < 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		return 0;
	}
	if (rv == 1 && strlen(origin) < sizeof consent_ok_origin)
		memcpy(consent_ok_origin, origin, strlen(origin) + 1);
	return rv == 1;
}

/* Switch to the model ep names: a copy is checked, then as below. */
void
ui_load_remote(struct ui *ui, const struct backend_endpoint *ep)
{
	struct ui_endpoint	*e;
	char			*cause = NULL;

	if ((e = ui_endpoint_new(ep, &cause)) == NULL) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		return;
	}
	ui_load_endpoint(ui, e);
}

/*
 * Switch to e (taken): connect at once when its server has the user's
 * consent, else ask first.  A read-only database cannot record consent,
 * and nothing can be asked into it either (ui_send refuses): connect.
 */
void
ui_load_endpoint(struct ui *ui, struct ui_endpoint *e)
{
	if (store_readonly(ui->store) || ui_consent_given(ui, e->origin))
		ui_connect(ui, e);
	else
		consent_open(ui, e);
}

/*
 * Queue opening e (taken) in the worker; the model loaded stays until
 * it succeeds.
 */
void
ui_connect(struct ui *ui, struct ui_endpoint *e)
{
	struct backend_endpoint	 ep;

	if (ui->state == STATE_GENERATING)
		worker_cancel(ui->worker);
	ui_remember_prev(ui);
	ui_endpoint_free(ui->load_ep);
	ui->load_ep = e;
	free(ui->loading_path);
	ui->loading_path = NULL;
	ui->load_frac = 0;
	ui->hashing = 0;
	ui->state = STATE_LOADING;
	ui_endpoint_get(e, &ep);
	ui->load_job = worker_load_remote(ui->worker, &ep);
	ui->dirty = 1;
}

/* The model loaded now becomes the one to go back to (ui_go_back). */
void
ui_remember_prev(struct ui *ui)
{
	if (ui->model == NULL)
		return;
	free(ui->prev_model);
	ui->prev_model = NULL;
	ui_endpoint_free(ui->prev_ep);
	ui->prev_ep = NULL;
	if (!ui->model->remote)
		ui->prev_model = xstrdup(ui->model->path);
	else if (ui->model_ep != NULL)
		ui->prev_ep = ui_endpoint_copy(ui->model_ep);
}

/*
 * The user declined what (the "advisory", or the "consent" to send to
 * the server) for the model they switched to: load the one they had
 * again, a file or a remote model, and close the screens.  0 if there is
 * none other than the loaded one (the caller decides).
 */
int
ui_go_back(struct ui *ui, const char *what)
{
	struct ui_endpoint	*e = NULL;
	char			*path = NULL, *name, *msg, *cur;
	const char		*p;

	if (ui->model == NULL)
		return 0;
	if (ui->prev_ep != NULL) {
		if (ui->model->remote && ui->model_ep != NULL &&
		    ui_endpoint_same(ui->prev_ep, ui->model_ep))
			return 0;
		e = ui->prev_ep;
		ui->prev_ep = NULL;
		name = ui_endpoint_shown(e);
	} else if (ui->prev_model != NULL) {
		if (!ui->model->remote &&
		    strcmp(ui->prev_model, ui->model->path) == 0)
			return 0;
		path = ui->prev_model;
		ui->prev_model = NULL;
		p = strrchr(path, '/');
		name = xstrdup(p != NULL ? p + 1 : path);
	} else
		return 0;
	cur = xstrdup(ui->model->file_name);
	ui_screen_home(ui);
	ui_message(ui, 0, "%s declined: going back to %s", what, name);
	xasprintf(&msg, "%c%s declined for %s: going back to %s.",
	    toupper((unsigned char)what[0]), what + 1, cur, name);
	ui_notice(ui, msg);
	free(msg);
	free(cur);
	free(name);
	if (e != NULL)
		ui_connect(ui, e);
	else {
		ui_load_model(ui, path);
		free(path);
	}
	return 1;
}
