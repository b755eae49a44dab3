/*
 * remote.c -- a client of an OpenAI-compatible inference server: the
 * endpoint's URL and key, the served models, the context size and token
 * counts (remote-chat.c answers, remote-http.c talks HTTP).  See
 * remote.h for the contracts and remote-int.h for the split.
 *
 * The URL is checked once, here: http or https, a host, no credentials
 * (they would end up in logs and provenance; the key belongs in the
 * environment), no query or fragment (paths are appended to it).  What
 * is kept is the normalised base without a trailing '/', which is also
 * what provenance may record.  llama-server's own endpoints (/props,
 * /tokenize, /apply-template) live beside /v1, at the "origin".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "engine.h"
#include "netutil.h"
#include "remote-int.h"
#include "utf8.h"
#include "xmalloc.h"

#define REMOTE_MODELS_MAX_BODY	(8u << 20)
#define REMOTE_PROBE_STALL_S	10	/* optional endpoints: /props ... */
#define REMOTE_MODELS_STALL_S	30
#define REMOTE_LIST_SHOWN	8	/* model ids named in a message */

static int	 remote_parse_url(const char *, char **base, char **host,
		    int *tls, char **cause);
static int	 remote_has_v1(const char *base);
static int	 remote_props_ctx(struct rconn *, const char *origin);
static int	 remote_post_json(struct remote *, const char *path,
		    json_t *req, json_t **out);

char *
remote_url(const char *base, const char *path)
{
	char	*s;

	xasprintf(&s, "%s%s", base, path);
	return s;
}

static int
remote_has_v1(const char *base)
{
	size_t	n = strlen(base);

	return n >= 3 && strcmp(base + n - 3, "/v1") == 0;
}

char *
remote_origin(const char *base)
{
	if (remote_has_v1(base))
		return xstrndup(base, strlen(base) - 3);
	return xstrdup(base);
}

/*
 * Check url and split it into the normalised base ("scheme://host[:port]
 * /path" without a trailing '/') and the host as users see it
 * ("host:port", or "host" when the port is the scheme's).  The URL is
 * not repeated in messages: it could hold a password.
 */
static int
remote_parse_url(const char *url, char **base, char **host, int *tls,
    char **cause)
{
	CURLU		*u;
	char		*scheme = NULL, *h = NULL, *port = NULL, *path = NULL;
	char		*user = NULL, *pass = NULL, *query = NULL, *frag = NULL;
	size_t		 n;
	int		 rc = -1;

	*base = *host = NULL;
	if (url == NULL || *url == '\0') {
		*cause = xstrdup("no endpoint URL given");
		return -1;
	}
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		*cause = xstrdup("the endpoint URL must start with http:// or "
		    "https://");
		return -1;
	}
	rconn_init();
	if ((u = curl_url()) == NULL) {
		*cause = xstrdup("libcurl could not start (out of memory?)");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    *h == '\0') {
		*cause = xstrdup("the endpoint URL is not a valid URL");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		*cause = xstrdup("the endpoint URL holds credentials "
		    "(user:password@): give the key in MEDCHAT_API_KEY or the "
		    "endpoint's key variable instead");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		*cause = xstrdup("the endpoint URL must not have a query "
		    "(?...) or fragment (#...): give the base, like "
		    "http://host:8080/v1");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	n = path != NULL ? strlen(path) : 0;
	while (n > 0 && path[n - 1] == '/')
		n--;
	*tls = strcmp(scheme, "https") == 0;
	if (port != NULL)
		xasprintf(host, "%s:%s", h, port);
	else
		*host = xstrdup(h);
	xasprintf(base, "%s://%s%.*s", scheme, *host, (int)n,
	    path != NULL ? path : "");
	rc = 0;
out:
	curl_free(scheme);
	curl_free(h);
	curl_free(port);
	curl_free(path);
	curl_free(user);
	curl_free(pass);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return rc;
}

json_t *
remote_json_text(const char *s)
{
	json_t	*j;
	char	*clean;
	size_t	 n;

	clean = utf8_sanitize(s, strlen(s), &n);
	j = json_stringn(clean, n);
	free(clean);
	return j;
}

void
remote_models_free(struct remote_model *m, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(m[i].id);
		free(m[i].owned_by);
	}
	free(m);
}

char *
remote_model_list(const struct remote_model *m, size_t n)
{
	struct buf	 b = BUF_INIT;
	char		*id;
	size_t		 i;

	for (i = 0; i < n && i < REMOTE_LIST_SHOWN; i++) {
		id = net_oneline(m[i].id, strlen(m[i].id), 80);
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", id);
		free(id);
	}
	if (n > REMOTE_LIST_SHOWN)
		buf_printf(&b, ", ... (%zu in all)", n);
	if (n == 0)
		buf_puts(&b, "nothing");
	return buf_detach(&b);
}

int
remote_fetch_models(struct rconn *c, struct remote_model **out, size_t *np,
    char **cause)
{
	struct rhttp		 h;
	struct remote_model	*m = NULL;
	json_t			*root, *data, *e, *j;
	json_error_t		 jerr;
	size_t			 i, n = 0, cap = 0;
	char			*url;
	int			 rc = -1;

	*out = NULL;
	*np = 0;
	memset(&h, 0, sizeof h);
	h.url = url = remote_url(c->base, "/models");
	h.max_body = REMOTE_MODELS_MAX_BODY;
	h.stall_s = c->stall_timeout_s < REMOTE_MODELS_STALL_S ?
	    c->stall_timeout_s : REMOTE_MODELS_STALL_S;
	if (rhttp_run(c, &h) != 0 || h.status < 200 || h.status >= 300) {
		if (h.result == CURLE_OK && !h.stalled && h.status == 404) {
			if (!remote_has_v1(c->base))
				xasprintf(cause, "%s: no model list at "
				    "%s/models (HTTP 404); try %s/v1",
				    c->host, c->base, c->base);
			else
				xasprintf(cause, "%s: no model list at "
				    "%s/models (HTTP 404); is it an "
				    "OpenAI-compatible server?", c->host,
				    c->base);
		} else
			*cause = rhttp_cause(c, &h, "the model list");
		goto out;
	}
	if (h.truncated) {
		xasprintf(cause, "%s: the model list is larger than %u MiB",
		    c->host, REMOTE_MODELS_MAX_BODY >> 20);
		goto out;
	}
	root = json_loadb(buf_str(&h.body), h.body.len, 0, &jerr);
	if (root == NULL) {
		xasprintf(cause, "%s: the model list is not JSON (byte %d)",
		    c->host, jerr.position);
		goto out;
	}
	data = json_object_get(root, "data");
	if (!json_is_array(data)) {
		xasprintf(cause, "%s: the model list has no \"data\" array",
		    c->host);
		json_decref(root);
		goto out;
	}
	json_array_foreach(data, i, e) {
		j = json_object_get(e, "id");
		if (!json_is_string(j) || json_string_length(j) == 0 ||
		    memchr(json_string_value(j), '\0',
		    json_string_length(j)) != NULL)
			continue;
		if (n == cap)
			m = xgrowarray(m, &cap, 8, sizeof *m);
		memset(&m[n], 0, sizeof m[n]);
		m[n].id = xstrdup(json_string_value(j));
		j = json_object_get(e, "owned_by");
		if (json_is_string(j))
			m[n].owned_by = xstrdup(json_string_value(j));
		/* vLLM's; llama-server tells it in /props */
		j = json_object_get(e, "max_model_len");
		if (json_is_integer(j) && json_integer_value(j) > 0 &&
		    json_integer_value(j) <= 0x7fffffff)
			m[n].n_ctx = (int)json_integer_value(j);
		n++;
	}
	json_decref(root);
	*out = m;
	*np = n;
	rc = 0;
out:
	rhttp_free(&h);
	free(url);
	return rc;
}

int
remote_list_models(const struct remote_opts *opts, struct remote_model **out,
    size_t *n, char **cause)
{
	struct rconn	 c;
	char		*base, *host, *origin;
	int		 tls, rc;

	*out = NULL;
	*n = 0;
	if (remote_parse_url(opts->url, &base, &host, &tls, cause) != 0)
		return -1;
	rc = rconn_setup(&c, opts, base, host, cause);
	free(base);
	free(host);
	if (rc != 0)
		return -1;
	rc = remote_fetch_models(&c, out, n, cause);
	if (rc == 0 && *n == 1 && (*out)[0].n_ctx == 0) {
		/* llama-server serves one model and tells its context here */
		origin = remote_origin(c.base);
		(*out)[0].n_ctx = remote_props_ctx(&c, origin);
		free(origin);
	}
	rconn_free(&c);
	return rc;
}

/*
 * POST req (consumed) to origin + path, for llama-server's optional
 * endpoints; *out gets the JSON answer.  1 when answered, 0 when the
 * server does not have it (404 and the like), -1 when the server could
 * not be reached.
 */
static int
remote_post_json(struct remote *r, const char *path, json_t *req,
    json_t **out)
{
	struct rhttp	 h;
	char		*url, *body;
	int		 rc;

	*out = NULL;
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (body == NULL)
		return 0;
	memset(&h, 0, sizeof h);
	h.url = url = remote_url(r->origin, path);
	h.post = body;
	h.max_body = REMOTE_MODELS_MAX_BODY;
	h.stall_s = REMOTE_PROBE_STALL_S;
	if (rhttp_run(&r->conn, &h) != 0)
		rc = -1;
	else if (h.status < 200 || h.status >= 300 || h.truncated)
		rc = 0;
	else {
		*out = json_loadb(buf_str(&h.body), h.body.len, 0, NULL);
		rc = *out != NULL ? 1 : 0;
	}
	rhttp_free(&h);
	free(url);
	free(body);
	return rc;
}

/* llama-server's /props: the context size, when it answers. */
static int
remote_props_ctx(struct rconn *c, const char *origin)
{
	struct rhttp	 h;
	json_t		*root, *j;
	char		*url;
	int		 n_ctx = 0;

	memset(&h, 0, sizeof h);
	h.url = url = remote_url(origin, "/props");
	h.stall_s = REMOTE_PROBE_STALL_S;
	if (rhttp_run(c, &h) == 0 && h.status == 200 &&
	    (root = json_loadb(buf_str(&h.body), h.body.len, 0,
	    NULL)) != NULL) {
		j = json_object_get(json_object_get(root,
		    "default_generation_settings"), "n_ctx");
		if (!json_is_integer(j))
			j = json_object_get(root, "n_ctx");
		if (json_is_integer(j) && json_integer_value(j) > 0 &&
		    json_integer_value(j) <= 0x7fffffff)
			n_ctx = (int)json_integer_value(j);
		json_decref(root);
	}
	rhttp_free(&h);
	free(url);
	return n_ctx;
}

int
remote_open(const struct remote_opts *opts, struct remote **rp, char **cause)
{
	struct remote		*r;
	struct remote_model	*m = NULL;
	const char *const	*names;
	struct buf		 b = BUF_INIT;
	char			*base, *host, *list, *t;
	size_t			 n = 0, i, pick;
	int			 tls;

	*rp = NULL;
	if (opts->tmpl != NULL && engine_template_stops(opts->tmpl) == NULL) {
		t = net_oneline(opts->tmpl, strlen(opts->tmpl), 40);
		buf_printf(&b, "unknown template %s (known:", t);
		free(t);
		for (names = engine_template_names(); *names != NULL; names++)
			buf_printf(&b, " %s", *names);
		buf_puts(&b, ")");
		*cause = buf_detach(&b);
		return -1;
	}
	if (remote_parse_url(opts->url, &base, &host, &tls, cause) != 0)
		return -1;
	r = xcalloc(1, sizeof *r);
	if (rconn_setup(&r->conn, opts, base, host, cause) != 0) {
		free(base);
		free(host);
		free(r);
		return -1;
	}
	free(base);
	free(host);
	atomic_init(&r->cancel, 0);
	r->has_tokenize = r->has_apply_template = -1;
	r->origin = remote_origin(r->conn.base);

	if (remote_fetch_models(&r->conn, &m, &n, cause) != 0)
		goto fail;
	if (n == 0) {
		xasprintf(cause, "%s serves no model (its model list is "
		    "empty)", r->conn.host);
		goto fail;
	}
	pick = 0;
	if (opts->model != NULL && *opts->model != '\0') {
		for (i = 0; i < n; i++) {
			if (strcmp(m[i].id, opts->model) == 0)
				break;
		}
		if (i == n) {
			list = remote_model_list(m, n);
			t = net_oneline(opts->model, strlen(opts->model), 80);
			xasprintf(cause, "model %s is not served by %s; it "
			    "serves: %s", t, r->conn.host, list);
			free(t);
			free(list);
			goto fail;
		}
		pick = i;
	}
	r->info.model = xstrdup(m[pick].id);
	r->info.n_ctx = m[pick].n_ctx;
	remote_models_free(m, n);
	m = NULL;
	if (r->info.n_ctx == 0)
		r->info.n_ctx = remote_props_ctx(&r->conn, r->origin);
	r->info.url = r->conn.base;
	r->info.host = r->conn.host;
	r->info.tmpl = opts->tmpl != NULL ? xstrdup(opts->tmpl) : NULL;
	r->info.tls = tls;
	*rp = r;
	return 0;
fail:
	remote_models_free(m, n);
	remote_close(r);
	return -1;
}

void
remote_close(struct remote *r)
{
	if (r == NULL)
		return;
	free((char *)r->info.model);
	free((char *)r->info.tmpl);
	free(r->origin);
	rconn_free(&r->conn);
	free(r);
}

const struct remote_info *
remote_get_info(const struct remote *r)
{
	return &r->info;
}

void
remote_cancel(struct remote *r)
{
	atomic_store(&r->cancel, 1);
	curl_multi_wakeup(r->conn.multi);
}

int
remote_count_tokens(struct remote *r, const struct engine_msg *msgs, int n,
    int *exact)
{
	static const char *const roles[] = { "system", "user", "assistant" };
	json_t		*req, *arr, *ans, *j;
	char		*prompt = NULL, *cause = NULL;
	size_t		 bytes = 0;
	int		 i, rc, count = -1;

	if (exact != NULL)
		*exact = 0;
	if (n < 0 || (n > 0 && msgs == NULL))
		return -1;
	for (i = 0; i < n; i++)
		bytes += strlen(msgs[i].text);
	if (r->info.tmpl != NULL) {
		prompt = engine_render_prompt(r->info.tmpl, msgs, n, &cause);
		free(cause);
	} else if (r->has_apply_template != 0 && n > 0) {
		/* llama-server formats with the model's own template */
		arr = json_array();
		for (i = 0; i < n; i++) {
			json_array_append_new(arr, json_pack("{s:s,s:o}",
			    "role", roles[msgs[i].role <= ENGINE_ASSISTANT ?
			    msgs[i].role : ENGINE_USER], "content",
			    remote_json_text(msgs[i].text)));
		}
		req = json_pack("{s:o}", "messages", arr);
		rc = remote_post_json(r, "/apply-template", req, &ans);
		if (rc < 0)
			return -1;
		r->has_apply_template = rc;
		if (rc == 1 && json_is_string(j = json_object_get(ans,
		    "prompt")))
			prompt = xstrdup(json_string_value(j));
		json_decref(ans);
	}
	if (prompt != NULL && r->has_tokenize != 0) {
		/*
		 * llama-server reads content and add_special; vLLM's
		 * /tokenize (also beside /v1) model, prompt and
		 * add_special_tokens.  Each ignores the other's fields.
		 */
		req = json_pack("{s:o,s:b,s:s,s:o,s:b}", "content",
		    remote_json_text(prompt), "add_special", 1, "model",
		    r->info.model, "prompt", remote_json_text(prompt),
		    "add_special_tokens", 1);
		rc = remote_post_json(r, "/tokenize", req, &ans);
		if (rc < 0) {
			free(prompt);
			return -1;
		}
		r->has_tokenize = rc;
		j = json_object_get(ans, "tokens");
		if (rc == 1 && json_is_array(j)) {
			count = (int)json_array_size(j);
			if (exact != NULL)
				*exact = 1;
		}
		json_decref(ans);
	}
	if (count < 0) {
		if (prompt != NULL)
			bytes = strlen(prompt);
		count = (int)((bytes + 3) / 4);
	}
	free(prompt);
	return count;
}
