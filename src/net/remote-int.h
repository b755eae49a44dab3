/*
 * remote-int.h -- private to the remote client (src/net/remote*.c).
 *
 *	remote.c	open/close, the URL and the key, the model list,
 *			context size and token counts
 *	remote-chat.c	one answer: the request's JSON, raw mode, the
 *			stream's events, the result and provenance
 *	remote-http.c	one HTTP exchange over libcurl's multi interface:
 *			connection settings, cancel, stall timeout, and the
 *			one-line causes of transport and HTTP failures
 *
 * Only remote-http.c calls libcurl; only sse.c and remote-chat.c and
 * remote.c read JSON (jansson).
 */
#ifndef REMOTE_INT_H
#define REMOTE_INT_H

#include <stdatomic.h>
#include <stddef.h>

#include "buf.h"
#include "remote.h"

/* How one client connects: shared by every exchange of a remote. */
struct rconn {
	void		*multi;		/* CURLM *, its connection cache */
	char		*host;		/* "host:port" for messages */
	char		*base;		/* normalised base URL */
	char		*key;		/* API key or NULL; wiped at free */
	char		*key_env;	/* the variable named, for hints */
	int		 key_config;	/* key came from opts.key */
	char		*cacert;	/* CA file or NULL */
	char		*noproxy;	/* loopback + $no_proxy/$NO_PROXY */
	int		 connect_timeout_s;
	int		 stall_timeout_s;
};

/*
 * One exchange.  The caller fills the inputs (zero the rest); the body
 * of a 2xx answer goes to on_data when it is set (which returns nonzero
 * to stop the transfer: aborted), else into body, as does any other
 * answer's body; body keeps at most max_body bytes (0 = 64 KiB), the
 * rest is dropped (truncated set).
 */
struct rhttp {
	/* in */
	const char	*url;
	const char	*post;		/* JSON body to POST, NULL = GET */
	int		 stall_s;	/* 0 = the conn's stall timeout */
	const atomic_int *cancel;	/* nonzero: stop (NULL = never) */
	size_t		 max_body;
	int		(*on_data)(const char *, size_t, void *);
	void		*arg;

	/* out */
	long		 status;	/* HTTP status, 0 = none */
	char		*content_type;	/* lower case, NULL = none */
	char		*location;	/* of a 3xx, NULL = none */
	struct buf	 body;
	int		 truncated;
	int		 result;	/* CURLcode */
	long		 os_errno;
	int		 stalled;	/* no byte for stall_s seconds */
	int		 cancelled;	/* *cancel was set */
	int		 aborted;	/* on_data returned nonzero */
	double		 t_start;	/* monotonic seconds */
	double		 t_first;	/* first byte of the body, 0 = none */
	char		 errbuf[256];	/* libcurl's own words */
};

void	 rconn_init(void);
/*
 * Set up c for opts (the URL already checked and normalised by the
 * caller into base/host); 0, or -1 and *cause (unreadable CA file, a
 * key holding control characters).  rconn_free wipes the key.
 */
int	 rconn_setup(struct rconn *, const struct remote_opts *,
	    const char *base, const char *host, char **cause);
void	 rconn_free(struct rconn *);
/* Run h to its end.  0 when an answer came (any status), else -1. */
int	 rhttp_run(struct rconn *, struct rhttp *);
void	 rhttp_free(struct rhttp *);
/*
 * The one-line cause of a failed exchange (rhttp_run returned -1, or a
 * status not 2xx), naming the host; what says what was asked ("the
 * model list").  Never holds the key.  Caller frees.
 */
char	*rhttp_cause(const struct rconn *, const struct rhttp *,
	    const char *what);
/* The server's own message in an error body, one line, or NULL. */
char	*rhttp_server_message(const struct rhttp *);

/* Monotonic seconds. */
double	 remote_now(void);

/* The served models of c (GET {base}/models): 0, or -1 and *cause. */
int	 remote_fetch_models(struct rconn *, struct remote_model **,
	    size_t *, char **cause);
/* "a, b, c" (at most a few, then "..."), for messages. */
char	*remote_model_list(const struct remote_model *, size_t);
/*
 * A JSON string of the NUL-terminated text s, invalid UTF-8 made U+FFFD
 * (jansson refuses it; json_t from jansson.h, a new reference).
 */
struct json_t;
struct json_t *remote_json_text(const char *s);
/* base + path, a new string. */
char	*remote_url(const char *base, const char *path);
/* The URL without a trailing "/v1": where llama-server's own API is. */
char	*remote_origin(const char *base);

struct remote {
	struct rconn		 conn;
	struct remote_info	 info;
	char			*origin;	/* base without /v1 */
	atomic_int		 cancel;
	int			 no_stream_options; /* the server said 400 */
	int			 has_tokenize;	/* -1 unknown, 0, 1 */
	int			 has_apply_template;
};

#endif
