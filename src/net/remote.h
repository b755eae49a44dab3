/*
 * remote.h -- a client of an OpenAI-compatible inference server
 * (llama.cpp's llama-server, vLLM, Ollama, ...), over libcurl.
 *
 * The base URL is what users paste: "http://host:8080/v1".  Two ways to
 * ask:
 *
 *	chat mode (opts.tmpl NULL)	POST {base}/chat/completions with
 *					the messages; the server applies the
 *					model's own chat template.
 *	raw mode (opts.tmpl "chatml", "meditron" or "llama2")
 *					POST {base}/completions with the
 *					prompt text our local engine would
 *					build (engine_render_prompt) and the
 *					template's stop strings.
 *
 * Both stream (Server-Sent Events).  Every function here may block on the
 * network: call them from a worker thread, never the UI thread, except
 * remote_cancel().  The API key (opts.key, or the environment at
 * remote_open()) is sent as "Authorization: Bearer" only, and never
 * put in a URL, a message or *cause.
 */
#ifndef REMOTE_H
#define REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct remote;

struct remote_opts {
	const char	*url;		/* base URL, required */
	const char	*model;		/* model id; NULL or "" = the first
					   model GET {base}/models lists */
	const char	*key;		/* the API key itself (from a 0600
					   config file), NULL = from key_env */
	const char	*key_env;	/* environment variable holding the
					   API key; NULL = "MEDCHAT_API_KEY".
					   Unset or empty: no key sent. */
	const char	*cacert;	/* CA bundle file, NULL = system's */
	const char	*tmpl;		/* NULL = chat mode, else raw mode
					   with this built-in template */
	int		 connect_timeout_s; /* 0 = 10 */
	int		 stall_timeout_s;   /* 0 = 120: an answer that gets
					   no byte for this long fails;
					   there is never a total timeout */
};

/* What remote_open() learned; strings live as long as the remote. */
struct remote_info {
	const char	*url;		/* the base URL, normalised (no
					   trailing '/'), never with
					   credentials (user:pass@ refused
					   by remote_open) */
	const char	*host;		/* "host:port" as the user should see
					   it, e.g. "gpu1.lab:8000" */
	const char	*model;		/* model id used */
	const char	*tmpl;		/* raw mode's template, or NULL */
	int		 n_ctx;		/* context size the server reported
					   (llama-server /props, vLLM
					   max_model_len in /models), 0 =
					   unknown */
	int		 tls;		/* https */
};

/* One served model (GET {base}/models). */
struct remote_model {
	char		*id;
	char		*owned_by;	/* NULL when not given */
	int		 n_ctx;		/* 0 = unknown */
};

/*
 * Check the URL (http or https; a base without "/v1" whose /models
 * fails gets a hint to add it), list the served models, pick opts->model
 * (not served: an error listing the ids that are) or the first, and ask
 * llama-server's /props for the context size when it answers (never
 * required).  0, or -1 and *cause: one line, naming the host, never the
 * key (refused connection, DNS, TLS, 401, 404, timeout, ...).
 */
int	 remote_open(const struct remote_opts *, struct remote **,
	    char **cause);
void	 remote_close(struct remote *);
const struct remote_info *remote_get_info(const struct remote *);

/*
 * The served models of opts->url (opts->model and tmpl are not used);
 * a server serving one model without saying its context size is asked
 * llama-server's /props for it.
 * 0 with *out and *n (free with remote_models_free), or -1 and *cause.
 */
int	 remote_list_models(const struct remote_opts *,
	    struct remote_model **out, size_t *n, char **cause);
void	 remote_models_free(struct remote_model *, size_t n);

/* What one answer was, beyond struct engine_result. */
struct remote_prov {
	char		*server_model;	/* "model" of the response, NULL */
	char		*fingerprint;	/* "system_fingerprint", NULL */
	char		*request_json;	/* the sampling parameters as sent:
					   a JSON object of the request's
					   fields other than messages/prompt
					   (model, temperature, top_p,
					   max_tokens, seed, stop, ...) */
	int		 dropped;	/* the connection ended (dropped,
					   stalled) after text arrived and
					   before the end of the stream */
};
void	 remote_prov_free(struct remote_prov *);	/* frees members */

/*
 * Answer msgs[0..n) (the last one a user message), streaming each
 * piece of text through emit as it arrives (whole UTF-8 sequences;
 * invalid bytes from the server become U+FFFD).  Sampling s is sent as
 * temperature, top_p, max_tokens (when >= 0), seed, and top_k, min_p,
 * repeat_penalty as extra fields llama-server, vLLM and Ollama accept.
 * res gets n_prompt/n_gen (the server's usage when it sends it, else
 * n_gen counts pieces), decode_tps, prefill_tps (prompt tokens over
 * time to first byte of text, 0 when unknown) and stop (EOG for
 * "stop", LENGTH for "length", CANCEL after remote_cancel or emit
 * returning nonzero; a missing finish_reason is EOG).
 *
 * 0 when the answer ended (completely, or cancelled: what was emitted
 * is the answer).  -1 and *cause (one line) when it failed: an HTTP
 * error (the server's own message), an "error" object in the stream, a
 * malformed stream, a refused, lost or stalled connection; prov->dropped
 * tells whether text had arrived (then it was emitted and is a partial
 * answer).  In raw mode a message holding one of the template's stop
 * strings (engine_template_stops) is refused before anything is sent.
 * prov is filled in both cases (free with remote_prov_free).
 */
int	 remote_chat(struct remote *, const struct engine_msg *msgs, int n,
	    const struct engine_sampling *s, engine_emit_fn emit, void *arg,
	    struct engine_result *res, struct remote_prov *prov,
	    char **cause);

/*
 * Stop the running remote_chat from any thread: the transfer is aborted
 * within 100 ms and remote_chat returns 0 with res->stop CANCEL.
 */
void	 remote_cancel(struct remote *);

/*
 * Tokens msgs[0..n) would take: llama-server's POST {base}/tokenize of
 * the prompt when the server has it, else an estimate (bytes / 4).
 * *exact (may be NULL) says which.  -1 on an error.
 */
int	 remote_count_tokens(struct remote *, const struct engine_msg *msgs,
	    int n, int *exact);

#endif
