/*
 * backend.c -- one engine over two implementations (see backend.h): our
 * GGUF engine (engine.h), here, and the client of an OpenAI-compatible
 * server (remote.h), in backend-remote.c.  Each call goes through the
 * backend's table of operations straight to the one it holds (a local
 * chat is engine_chat with the caller's callback); the only work done
 * here is filling struct backend_info once at open, so nothing is added
 * to the path of generated text.  Also here: what both sides need of a
 * URL (its origin, the name shown).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend-int.h"
#include "buf.h"
#include "conffile.h"
#include "fsutil.h"
#include "utf8.h"
#include "xmalloc.h"

static char	*backend_url_shown(const char *);
static int	 backend_same_url(const char *, const char *);
static int	 backend_local_chat(struct backend *, const char *,
		    const struct engine_msg *, int,
		    const struct engine_sampling *, engine_emit_fn, void *,
		    struct backend_result *, char **);
static void	 backend_local_cancel(struct backend *);
static int	 backend_local_count(struct backend *, const char *,
		    const struct engine_msg *, int);
static void	 backend_local_close(struct backend *);

static const struct backend_ops backend_local_ops = {
	backend_local_chat, backend_local_cancel, backend_local_count,
	backend_local_close
};

void
backend_prov_free(struct backend_prov *p)
{
	free(p->server_model);
	free(p->fingerprint);
	free(p->request_json);
	memset(p, 0, sizeof *p);
}

void
backend_result_free(struct backend_result *r)
{
	backend_prov_free(&r->prov);
}

char *
backend_prefix_dir(void)
{
	char	*dir;

	dir = fs_xdg_path("XDG_CACHE_HOME", ".cache", "medchat/prefix");
	if (dir != NULL && fs_mkdirs(dir, NULL) != 0) {
		free(dir);
		dir = NULL;
	}
	return dir;
}

int
backend_open_local(const struct engine_opts *o, struct backend **bp,
    char **cause)
{
	struct backend			*b;
	const struct engine_info	*ei;

	*bp = NULL;
	b = xcalloc(1, sizeof *b);
	b->ops = &backend_local_ops;
	if (engine_open(o, &b->eng, cause) != 0) {
		free(b);
		return -1;
	}
	ei = engine_get_info(b->eng);
	b->info.remote = 0;
	b->info.name = ei->file_name;
	b->info.model_id = ei->model_name;
	b->info.template_name = ei->template_name;
	b->info.n_ctx = ei->n_ctx;
	b->info.path = ei->path;
	b->info.quant = ei->quant;
	b->info.kernels = ei->cpu;
	b->info.local = ei;
	*bp = b;
	return 0;
}

int
backend_template_ok(const char *tmpl, char **cause)
{
	const char *const	*t;
	struct buf		 b = BUF_INIT;
	char			*q;

	if (tmpl == NULL || engine_template_stops(tmpl) != NULL)
		return 0;
	for (t = engine_template_names(); *t != NULL; t++)
		buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", *t);
	q = utf8_printable(tmpl);
	xasprintf(cause, "unknown template '%s' (built in: %s)", q,
	    buf_str(&b));
	free(q);
	buf_free(&b);
	return -1;
}

void
backend_close(struct backend *b)
{
	if (b == NULL)
		return;
	b->ops->close(b);
	free(b->name);
	free(b->origin);
	free(b->endpoint);
	free(b);
}

const struct backend_info *
backend_get_info(const struct backend *b)
{
	return &b->info;
}

struct engine *
backend_engine(struct backend *b)
{
	return b->eng;
}

int
backend_chat(struct backend *b, const char *tmpl,
    const struct engine_msg *msgs, int n, const struct engine_sampling *s,
    engine_emit_fn emit, void *arg, struct backend_result *r, char **cause)
{
	memset(r, 0, sizeof *r);
	return b->ops->chat(b, tmpl, msgs, n, s, emit, arg, r, cause);
}

void
backend_cancel(struct backend *b)
{
	b->ops->cancel(b);
}

int
backend_count_tokens(struct backend *b, const char *tmpl,
    const struct engine_msg *msgs, int n)
{
	return b->ops->count_tokens(b, tmpl, msgs, n);
}

/* ---- local: our engine ----------------------------------------------- */

static int
backend_local_chat(struct backend *b, const char *tmpl,
    const struct engine_msg *msgs, int n, const struct engine_sampling *s,
    engine_emit_fn emit, void *arg, struct backend_result *r, char **cause)
{
	return engine_chat(b->eng, tmpl, msgs, n, s, emit, arg, &r->res,
	    cause);
}

static void
backend_local_cancel(struct backend *b)
{
	engine_cancel(b->eng);
}

static int
backend_local_count(struct backend *b, const char *tmpl,
    const struct engine_msg *msgs, int n)
{
	return engine_count_tokens(b->eng, tmpl, msgs, n);
}

static void
backend_local_close(struct backend *b)
{
	engine_close(b->eng);
}

/* ---- URLs -------------------------------------------------------------- */

/*
 * url as an error message may quote it: printable, cut at 100 bytes.
 * Never called for a URL holding credentials.
 */
static char *
backend_url_shown(const char *url)
{
	char	*cut, *q;
	size_t	 n = strlen(url);

	if (n > 100)
		n = utf8_complete_prefix(url, 100);
	cut = xstrndup(url, n);
	q = utf8_printable(cut);
	free(cut);
	if (n < strlen(url)) {
		xasprintf(&cut, "%s...", q);
		free(q);
		return cut;
	}
	return q;
}

int
backend_origin(const char *url, char **origin, char **cause)
{
	const char	*p, *auth, *end, *host, *hend, *port = NULL;
	struct buf	 b = BUF_INIT;
	char		*q;
	long		 pn;
	int		 tls;
	size_t		 i;

	*origin = NULL;
	if (strncasecmp(url, "http://", 7) == 0) {
		tls = 0;
		auth = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		tls = 1;
		auth = url + 8;
	} else {
		q = strchr(url, '@') == NULL ? backend_url_shown(url) :
		    xstrdup("(not shown: it holds an '@')");
		xasprintf(cause, "endpoint URL %s: not http:// or https:// "
		    "(for example http://localhost:8080/v1)", q);
		free(q);
		return -1;
	}
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL) {
		xasprintf(cause, "the endpoint URL holds credentials (user@ "
		    "or user:password@): not accepted, as they would be kept "
		    "and shown with it; put an API key in MEDCHAT_API_KEY or "
		    "the variable the endpoint's api_key_env names");
		return -1;
	}
	host = auth;
	if (*host == '[') {
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL)
			goto bad;
		hend++;
		for (p = host + 1; p < hend - 1; p++) {
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				goto bad;
		}
		if (hend - host < 3)
			goto bad;
	} else {
		hend = host + strcspn(host, ":/?#");
		if (hend > end)
			hend = end;
		if (hend == host)
			goto bad;
		for (p = host; p < hend; p++) {
			if (!isalnum((unsigned char)*p) && *p != '.' &&
			    *p != '-' && *p != '_')
				goto bad;
		}
	}
	if (hend < end) {
		if (*hend != ':' || hend + 1 == end)
			goto bad;
		port = hend + 1;
		pn = 0;
		for (p = port; p < end; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			pn = pn * 10 + (*p - '0');
			if (pn > 65535)
				goto bad;
		}
		if (pn == 0)
			goto bad;
	} else
		pn = tls ? 443 : 80;
	buf_puts(&b, tls ? "https://" : "http://");
	for (i = 0; host + i < hend; i++)
		buf_putc(&b, tolower((unsigned char)host[i]));
	buf_printf(&b, ":%ld", pn);
	*origin = buf_detach(&b);
	return 0;

bad:
	q = backend_url_shown(url);
	xasprintf(cause, "endpoint URL %s: bad host or port", q);
	free(q);
	return -1;
}

char *
backend_display_name(const char *name, const char *host, const char *model)
{
	char	*s;

	xasprintf(&s, "%s: %s", name != NULL && *name != '\0' ? name :
	    host != NULL ? host : "remote", model != NULL ? model : "?");
	return s;
}

/* a and b the same URL but for trailing '/'s? */
static int
backend_same_url(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

int
backend_endpoint_resolve(const struct conffile *c, const char *conf_path,
    const char *arg, const char *model, const char *tmpl, const char *cacert,
    struct backend_endpoint *ep, char **cause)
{
	const struct conffile_endpoint	*e = NULL;
	const char			*env;
	char				*q;
	size_t				 i;

	memset(ep, 0, sizeof *ep);
	if (arg == NULL && (env = getenv("MEDCHAT_ENDPOINT")) != NULL &&
	    *env != '\0')
		arg = env;
	if (arg == NULL)
		return 0;
	if (*arg == '\0') {
		xasprintf(cause, "--endpoint: empty (a URL such as "
		    "http://localhost:8080/v1, or the name of an [endpoint] "
		    "section of the settings file)");
		return -1;
	}
	if (strstr(arg, "://") != NULL) {
		for (i = 0; c != NULL && i < c->n_endpoints; i++) {
			if (backend_same_url(c->endpoints[i].url, arg)) {
				e = &c->endpoints[i];
				break;
			}
		}
		ep->url = arg;
	} else {
		if (c != NULL && c->refused != NULL) {
			xasprintf(cause, "%s", c->refused);
			return -1;
		}
		if (c == NULL || (e = conffile_endpoint(c, arg)) == NULL) {
			q = utf8_printable(arg);
			xasprintf(cause, "no endpoint '%s': not a URL (http:// "
			    "or https://) and no [endpoint %s] in %s", q, q,
			    conf_path != NULL ? conf_path :
			    "the settings file");
			free(q);
			return -1;
		}
		ep->url = e->url;
	}
	if (e != NULL) {
		ep->name = e->name;
		ep->model = e->model;
		ep->tmpl = e->template_name;
		ep->cacert = e->cacert;
		ep->key_env = e->api_key_env;
		ep->key = e->api_key;
	}
	if (model != NULL)
		ep->model = model;
	if (tmpl != NULL)
		ep->tmpl = tmpl;
	if (cacert != NULL)
		ep->cacert = cacert;
	return 0;
}
