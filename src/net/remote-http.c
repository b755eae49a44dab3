/*
 * remote-http.c -- one HTTP exchange with an inference server, over
 * libcurl's multi interface, and the one-line causes of its failures.
 *
 * Why the multi interface: the easy interface blocks inside
 * curl_easy_perform, and its progress callback, the only way back in,
 * may be called as seldom as once a second while no data flows (the
 * server still reading a long prompt).  Here the calling thread runs
 * the transfer itself: curl_multi_poll waits at most RHTTP_TICK_MS, and
 * remote_cancel's curl_multi_wakeup ends the wait at once, so a cancel
 * takes effect within milliseconds, and the stall timeout (no byte for
 * N seconds) is measured here from the times bytes arrive.  There is
 * never a total timeout: a CPU server may think for minutes.
 *
 * What is fixed for every exchange: TLS verification on (CURLOPT_CAINFO
 * only adds a private CA), http and https only, no redirects followed
 * (a redirect is reported: following one could carry the key to another
 * host), proxies from the environment as curl reads them, except that
 * loopback addresses never go through one, and the key only ever in an
 * "Authorization: Bearer" header.  Transfers are quiet: no signals
 * (CURLOPT_NOSIGNAL, threads), no verbose output.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "compat.h"
#include "netutil.h"
#include "remote-int.h"
#include "utf8.h"
#include "xmalloc.h"

#define RHTTP_TICK_MS		100	/* longest wait between checks */
#define RHTTP_BODY_MAX		(64u << 10)
#define RHTTP_MESSAGE_MAX	200	/* bytes of a server message */
/* Never proxied, whatever the environment says. */
#define RHTTP_LOOPBACK		"localhost,127.0.0.1,::1"

struct rhttp_state {
	struct rhttp	*h;
	CURL		*easy;
	double		 last;		/* time of the last byte */
};

static pthread_once_t	 rconn_once = PTHREAD_ONCE_INIT;

static void	 rconn_global(void);
static size_t	 rhttp_write(char *, size_t, size_t, void *);
static void	 rhttp_content_type(struct rhttp_state *);
static size_t	 rhttp_header(char *, size_t, size_t, void *);
static char	*rhttp_noproxy(void);
static int	 rhttp_tls_error(int);

double
remote_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
rconn_global(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* libcurl's global state, once, before any thread uses it. */
void
rconn_init(void)
{
	pthread_once(&rconn_once, rconn_global);
}

/*
 * CURLOPT_NOPROXY replaces the environment's no_proxy rather than adding
 * to it, so the list is the loopback names followed by what curl would
 * have read ($no_proxy, else $NO_PROXY).  "*" alone (no proxy at all)
 * stays "*": curl only knows it as the whole list.
 */
static char *
rhttp_noproxy(void)
{
	const char	*env;
	char		*s;

	if ((env = getenv("no_proxy")) == NULL || *env == '\0')
		env = getenv("NO_PROXY");
	if (env == NULL || *env == '\0')
		return xstrdup(RHTTP_LOOPBACK);
	if (strcmp(env, "*") == 0)
		return xstrdup("*");
	xasprintf(&s, "%s,%s", RHTTP_LOOPBACK, env);
	return s;
}

int
rconn_setup(struct rconn *c, const struct remote_opts *opts,
    const char *base, const char *host, char **cause)
{
	const char	*key, *env;
	size_t		 i;

	memset(c, 0, sizeof *c);
	rconn_init();
	env = opts->key_env != NULL && *opts->key_env != '\0' ?
	    opts->key_env : "MEDCHAT_API_KEY";
	if (opts->key != NULL && *opts->key != '\0') {
		key = opts->key;
		c->key_config = 1;
	} else
		key = getenv(env);
	if (key != NULL && *key != '\0') {
		/* A newline would end the header: another header follows. */
		for (i = 0; key[i] != '\0'; i++) {
			if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) {
				if (c->key_config)
					*cause = xstrdup("the endpoint's API "
					    "key holds a control character");
				else {
					xasprintf(cause, "the API key in $%s "
					    "holds a control character", env);
				}
				return -1;
			}
		}
		c->key = xstrdup(key);
	}
	if (opts->cacert != NULL && *opts->cacert != '\0') {
		if (access(opts->cacert, R_OK) != 0) {
			xasprintf(cause, "cannot read the CA file %s: %s",
			    opts->cacert, strerror(errno));
			free(c->key);
			c->key = NULL;
			return -1;
		}
		c->cacert = xstrdup(opts->cacert);
	}
	c->key_env = xstrdup(env);
	c->cancel = opts->cancel;
	c->base = xstrdup(base);
	c->host = xstrdup(host);
	c->noproxy = rhttp_noproxy();
	c->connect_timeout_s = opts->connect_timeout_s > 0 ?
	    opts->connect_timeout_s : 10;
	c->stall_timeout_s = opts->stall_timeout_s > 0 ?
	    opts->stall_timeout_s : 120;
	if ((c->multi = curl_multi_init()) == NULL) {
		*cause = xstrdup("libcurl could not start (out of memory?)");
		rconn_free(c);
		return -1;
	}
	return 0;
}

void
rconn_free(struct rconn *c)
{
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->key != NULL) {
		explicit_bzero(c->key, strlen(c->key));
		free(c->key);
	}
	free(c->key_env);
	free(c->cacert);
	free(c->noproxy);
	free(c->base);
	free(c->host);
	memset(c, 0, sizeof *c);
}

void
rhttp_free(struct rhttp *h)
{
	free(h->content_type);
	free(h->location);
	buf_free(&h->body);
	h->content_type = h->location = NULL;
}

/* The answer's Content-Type, lower case, once known. */
static void
rhttp_content_type(struct rhttp_state *st)
{
	const char	*ct = NULL;
	char		*s;

	if (st->h->content_type != NULL ||
	    curl_easy_getinfo(st->easy, CURLINFO_CONTENT_TYPE, &ct) !=
	    CURLE_OK || ct == NULL)
		return;
	st->h->content_type = xstrdup(ct);
	for (s = st->h->content_type; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static size_t
rhttp_header(char *p, size_t size, size_t n, void *arg)
{
	struct rhttp_state	*st = arg;

	(void)p;
	st->last = remote_now();
	return size * n;
}

static size_t
rhttp_write(char *p, size_t size, size_t n, void *arg)
{
	struct rhttp_state	*st = arg;
	struct rhttp		*h = st->h;
	size_t			 len = size * n, max, room;
	long			 code = 0;

	st->last = remote_now();
	if (h->t_first == 0)
		h->t_first = st->last;
	if (h->status == 0) {
		curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &code);
		h->status = code;
		rhttp_content_type(st);
	}
	if (h->on_data != NULL && h->status >= 200 && h->status < 300) {
		if (h->on_data(p, len, h->arg) != 0) {
			h->aborted = 1;
			return 0;	/* CURLE_WRITE_ERROR: ours */
		}
		return len;
	}
	max = h->max_body != 0 ? h->max_body : RHTTP_BODY_MAX;
	room = h->body.len < max ? max - h->body.len : 0;
	if (len > room)
		h->truncated = 1;
	buf_append(&h->body, p, len < room ? len : room);
	return len;
}

int
rhttp_run(struct rconn *c, struct rhttp *h)
{
	struct rhttp_state	 st;
	struct curl_slist	*hdrs = NULL, *last;
	CURL			*e;
	CURLMsg			*msg;
	struct buf		 b = BUF_INIT;
	char			*loc = NULL;
	double			 stall, now;
	long			 code = 0;
	int			 running = 1, done = 0, left;

	h->t_start = remote_now();
	h->result = CURLE_OK;
	if ((e = curl_easy_init()) == NULL) {
		h->result = CURLE_OUT_OF_MEMORY;
		return -1;
	}
	memset(&st, 0, sizeof st);
	st.h = h;
	st.easy = e;
	st.last = h->t_start;
	stall = h->stall_s > 0 ? h->stall_s : c->stall_timeout_s;

	curl_easy_setopt(e, CURLOPT_URL, h->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(e, CURLOPT_NOPROXY, c->noproxy);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "medchat/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	h->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, rhttp_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &st);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, rhttp_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &st);
	hdrs = curl_slist_append(hdrs, "Accept: application/json, "
	    "text/event-stream");
	/* Long conversations: no second's wait for a "100 Continue". */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (h->post != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: "
		    "application/json");
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->post);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(h->post));
	}
	if (c->key != NULL) {
		/* The list's last line, wiped before it is freed. */
		buf_puts(&b, "Authorization: Bearer ");
		buf_puts(&b, c->key);
		hdrs = curl_slist_append(hdrs, b.data);
		explicit_bzero(b.data, b.len);
		buf_free(&b);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);

	curl_multi_add_handle(c->multi, e);
	for (;;) {
		if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
			h->result = CURLE_OUT_OF_MEMORY;
			break;
		}
		while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
			if (msg->msg == CURLMSG_DONE &&
			    msg->easy_handle == e) {
				h->result = msg->data.result;
				done = 1;
			}
		}
		if (done || running == 0)
			break;
		if ((h->cancel != NULL && atomic_load(h->cancel)) ||
		    (c->cancel != NULL && atomic_load(c->cancel))) {
			h->cancelled = 1;
			break;
		}
		now = remote_now();
		if (now - st.last >= stall) {
			h->stalled = 1;
			break;
		}
		curl_multi_poll(c->multi, NULL, 0, RHTTP_TICK_MS, NULL);
	}

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	if (code != 0)
		h->status = code;
	rhttp_content_type(&st);
	if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc != NULL)
		h->location = xstrdup(loc);
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &h->os_errno);
	curl_multi_remove_handle(c->multi, e);
	curl_easy_cleanup(e);
	if (c->key != NULL && hdrs != NULL) {
		for (last = hdrs; last->next != NULL; last = last->next)
			;
		explicit_bzero(last->data, strlen(last->data));
	}
	curl_slist_free_all(hdrs);

	if (h->cancelled || h->stalled || h->aborted || !done ||
	    h->result != CURLE_OK)
		return -1;
	return 0;
}

static int
rhttp_tls_error(int r)
{
	switch (r) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return 1;
	}
	return 0;
}

char *
rhttp_server_message(const struct rhttp *h)
{
	json_t		*root, *err, *j;
	char		*s = NULL, *text;
	size_t		 n;

	if (h->body.len == 0)
		return NULL;
	text = utf8_sanitize(h->body.data, h->body.len, &n);
	root = json_loadb(text, n, JSON_DECODE_ANY, NULL);
	if (root == NULL) {
		/* Text (or HTML) from a proxy or a plain server. */
		if (h->content_type != NULL &&
		    strncmp(h->content_type, "text/plain", 10) == 0)
			s = net_oneline(text, n, RHTTP_MESSAGE_MAX);
		free(text);
		return s;
	}
	free(text);
	/*
	 * {"error": {"message"}} (OpenAI, llama-server, Ollama),
	 * {"error": "..."}, {"message": ...} (vLLM), {"detail": ...}
	 * (FastAPI: a string, or a list of validation errors).
	 */
	j = NULL;
	err = json_object_get(root, "error");
	if (json_is_object(err))
		j = json_object_get(err, "message");
	else if (json_is_string(err))
		j = err;
	if (!json_is_string(j))
		j = json_object_get(root, "message");
	if (!json_is_string(j))
		j = json_object_get(root, "detail");
	if (json_is_string(j))
		s = net_oneline(json_string_value(j), json_string_length(j),
		    RHTTP_MESSAGE_MAX);
	else if (j != NULL && (text = json_dumps(j, JSON_COMPACT)) != NULL) {
		s = net_oneline(text, strlen(text), RHTTP_MESSAGE_MAX);
		free(text);
	}
	json_decref(root);
	return s;
}

char *
rhttp_cause(const struct rconn *c, const struct rhttp *h, const char *what)
{
	struct buf	 b = BUF_INIT;
	char		*msg, *where;

	if (h->stalled) {
		buf_printf(&b, "%s sent nothing for %d s during %s (stall "
		    "timeout)", c->host, h->stall_s > 0 ? h->stall_s :
		    c->stall_timeout_s, what);
		return buf_detach(&b);
	}
	if (h->cancelled) {
		buf_printf(&b, "%s cancelled", what);
		return buf_detach(&b);
	}
	if (h->result != CURLE_OK) {
		/* libcurl's words name addresses and reasons, never keys */
		msg = net_oneline(h->errbuf[0] != '\0' ? h->errbuf :
		    curl_easy_strerror(h->result), strlen(h->errbuf[0] !=
		    '\0' ? h->errbuf : curl_easy_strerror(h->result)),
		    RHTTP_MESSAGE_MAX);
		switch (h->result) {
		case CURLE_COULDNT_RESOLVE_HOST:
			buf_printf(&b, "cannot find the host %s (DNS lookup "
			    "failed)", c->host);
			break;
		case CURLE_COULDNT_RESOLVE_PROXY:
			buf_printf(&b, "cannot find the proxy for %s (DNS "
			    "lookup failed; check http_proxy/HTTPS_PROXY)",
			    c->host);
			break;
		case CURLE_COULDNT_CONNECT:
			if (h->os_errno == ECONNREFUSED)
				buf_printf(&b, "cannot connect to %s: "
				    "connection refused (is the server "
				    "running?)", c->host);
			else
				buf_printf(&b, "cannot connect to %s: %s",
				    c->host, h->os_errno != 0 ?
				    strerror((int)h->os_errno) : msg);
			break;
		case CURLE_OPERATION_TIMEDOUT:
			buf_printf(&b, "cannot connect to %s: no answer "
			    "within %d s (connect timeout)", c->host,
			    c->connect_timeout_s);
			break;
		case CURLE_PARTIAL_FILE:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
			buf_printf(&b, "%s closed the connection during %s "
			    "(%s)", c->host, what, msg);
			break;
		case CURLE_GOT_NOTHING:
			buf_printf(&b, "%s closed the connection without "
			    "answering %s", c->host, what);
			break;
		case CURLE_UNSUPPORTED_PROTOCOL:
			buf_printf(&b, "%s: only http:// and https:// URLs "
			    "are used", c->host);
			break;
		default:
			if (rhttp_tls_error(h->result)) {
				buf_printf(&b, "TLS failure with %s: %s",
				    c->host, msg);
				if (strstr(msg, "wrong version number") !=
				    NULL || strstr(msg, "packet length too "
				    "long") != NULL)
					buf_puts(&b, " (is it a plain "
					    "http:// server?)");
				else if (h->result ==
				    CURLE_PEER_FAILED_VERIFICATION)
					buf_puts(&b, " (a private CA: give "
					    "its certificate as the CA file)");
			} else
				buf_printf(&b, "%s: %s failed: %s", c->host,
				    what, msg);
			break;
		}
		free(msg);
		return buf_detach(&b);
	}

	/* An answer, but not a 2xx one. */
	msg = rhttp_server_message(h);
	if (h->status >= 300 && h->status < 400) {
		buf_printf(&b, "%s answered %s with a redirect (HTTP %ld", c->host,
		    what, h->status);
		if (h->location != NULL) {
			where = net_oneline(h->location, strlen(h->location),
			    RHTTP_MESSAGE_MAX);
			buf_printf(&b, " to %s", where);
			free(where);
		}
		buf_puts(&b, "); redirects are not followed: use the final "
		    "URL");
	} else if (h->status == 401 || h->status == 403) {
		if (c->key == NULL)
			buf_printf(&b, "%s wants an API key (HTTP %ld) and "
			    "none is set", c->host, h->status);
		else
			buf_printf(&b, "%s refused the API key (HTTP %ld)",
			    c->host, h->status);
		if (c->key_config)
			buf_puts(&b, "; check the key in the endpoint's "
			    "config");
		else if (strcmp(c->key_env, "MEDCHAT_API_KEY") == 0)
			buf_puts(&b, "; set MEDCHAT_API_KEY or the "
			    "endpoint's key variable");
		else
			buf_printf(&b, "; set %s", c->key_env);
	} else {
		buf_printf(&b, "%s: %s failed: HTTP %ld", c->host, what,
		    h->status);
		if (msg != NULL)
			buf_printf(&b, ": %s", msg);
	}
	free(msg);
	return buf_detach(&b);
}
