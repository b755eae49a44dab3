/*
 * backend.h -- the engine every front end talks to: our own GGUF engine
 * in this process ("local", engine/engine.h) or a model that an
 * OpenAI-compatible server serves -- llama-server, vLLM, Ollama --
 * ("remote", src/net/remote.h).  Nothing above this interface (session,
 * worker, TUI, `medchat ask`) calls engine_chat or remote_chat: it opens
 * a backend, reads its info, chats with a streaming callback, cancels,
 * counts tokens and closes, and looks at info.remote only to show it.
 * Nothing above it includes remote.h either: an endpoint is described by
 * struct backend_endpoint below.
 *
 * Threads: open, chat, count_tokens and close run on one thread at a
 * time (the worker, or `medchat ask`'s main thread); a remote's may block
 * on the network for as long as the server takes.  backend_cancel may be
 * called from any thread while they run.
 *
 * The local path adds nothing to the engine's: backend_chat hands the
 * caller's emit callback to engine_chat as it is, so generated text is
 * not copied once more and the speed is the engine's.
 */
#ifndef BACKEND_H
#define BACKEND_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct backend;

/*
 * A remote endpoint: what the command line (--endpoint URL, -m, ...) or
 * a settings file's [endpoint NAME] section (src/app/conffile.h) says.
 * The strings are copied by backend_open_remote and worker_load_remote.
 */
struct backend_endpoint {
	const char	*name;		/* the section's NAME, NULL when given
					   as a URL */
	const char	*url;		/* base URL, "http://host:8000/v1" */
	const char	*model;		/* model id; NULL or "" = the first
					   the server lists */
	const char	*tmpl;		/* NULL: chat mode (the server applies
					   the model's chat template); else
					   raw mode with this built-in
					   template (chatml, meditron,
					   llama2): our own prompt text */
	const char	*cacert;	/* CA bundle file, NULL = system's */
	const char	*key_env;	/* environment variable holding the API
					   key, NULL = MEDCHAT_API_KEY */
	const char	*key;		/* the key itself (from a settings
					   file only it can read), NULL =
					   from key_env */
	int		 connect_timeout_s; /* 0 = the client's default */
	int		 stall_timeout_s;   /* 0 = the client's default */
	const atomic_int *cancel;	/* NULL, or a flag another thread
					   may set to give up opening (and
					   any exchange of the backend
					   while it is set) within 100 ms:
					   not copied, must outlive the
					   backend */
};

/*
 * dst: a copy of src whose strings are its own (cancel is not copied:
 * it belongs to whoever opens the backend).  Free with
 * backend_endpoint_clear.
 */
void	 backend_endpoint_copy(struct backend_endpoint *dst,
	    const struct backend_endpoint *src);
/* Free the strings of a backend_endpoint_copy (the key wiped first). */
void	 backend_endpoint_clear(struct backend_endpoint *);

/* What a backend is, for the status bar, the model menu and provenance. */
struct backend_info {
	int		 remote;	/* 0 local, 1 remote */
	const char	*name;		/* what to show: the file name, or
					   "lab: meditron-70b" (the endpoint's
					   name, else its host, then the
					   model id) */
	const char	*model_id;	/* remote: the model id in use; local:
					   general.name or the file name */
	const char	*template_name;	/* local: the model's default
					   template; remote: raw mode's
					   template or "server template" */
	int		 n_ctx;		/* context size; remote: 0 when the
					   server does not tell */
	/* remote only (NULL / 0 when local): */
	const char	*endpoint;	/* the settings file's name, or NULL */
	const char	*url;		/* base URL, normalised, never with
					   credentials */
	const char	*host;		/* "gpu1.lab:8000" */
	const char	*origin;	/* "http://gpu1.lab:8000": what the user
					   consents to (backend_origin) */
	int		 raw;		/* raw mode (our template) */
	int		 tls;		/* https */
	char		 key[65];	/* store_remote_key(url, model_id): the
					   model's identity for the advisory
					   acknowledgement ("" when local: a
					   file is known by its SHA-256) */
	/* local only (NULL / 0 when remote): */
	const char	*path;
	const char	*quant;		/* "Q4_K_M" */
	const char	*kernels;	/* kernel path: scalar/avx2/... */
	const struct engine_info *local; /* everything else of the engine */
};

/* The name a remote template-less (chat mode) answer records. */
#define BACKEND_SERVER_TEMPLATE	"server template"

/* What a remote answer adds to struct engine_result (all 0 for local). */
struct backend_prov {
	char		*server_model;	/* "model" of the response, or NULL */
	char		*fingerprint;	/* "system_fingerprint", or NULL */
	char		*request_json;	/* the sampling parameters as sent: a
					   JSON object of the request's fields
					   other than messages/prompt */
	int		 dropped;	/* the connection ended (dropped,
					   stalled) after text had arrived:
					   the text emitted is a partial
					   answer */
};

struct backend_result {
	struct engine_result	 res;
	struct backend_prov	 prov;
};
/* Free the result's strings (not the struct); zeroes prov. */
void	 backend_result_free(struct backend_result *);
void	 backend_prov_free(struct backend_prov *);

/*
 * Open the GGUF model o->path in this process (engine_open).  0 and *bp,
 * or -1 and *cause.
 */
int	 backend_open_local(const struct engine_opts *o, struct backend **bp,
	    char **cause);
/*
 * The prompt-prefix cache's directory for engine_opts.prefix_dir:
 * $XDG_CACHE_HOME/medchat/prefix (else ~/.cache/...), made 0700 if
 * missing; malloc'd, or NULL when there is no home directory or it cannot
 * be made (then there is no cache: answers are the same, only slower).
 */
char	*backend_prefix_dir(void);
/*
 * Open a model of the server at ep->url: check the URL, list the served
 * models, take ep->model (an error listing the ids served when it is not
 * one of them) or the first, and ask for the context size where the
 * server tells it.  Network work: not on the UI thread.  0 and *bp, or -1
 * and *cause (one line naming the host, never the key).
 */
int	 backend_open_remote(const struct backend_endpoint *ep,
	    struct backend **bp, char **cause);
void	 backend_close(struct backend *);
const struct backend_info *backend_get_info(const struct backend *);
/* The local engine, or NULL for a remote (for `generate` and debugging). */
struct engine *backend_engine(struct backend *);

/*
 * Answer msgs[0..n) (the last one a user message), streaming each piece
 * of text through emit (whole UTF-8 sequences; a nonzero return stops).
 * tmpl is the template for a local model (NULL = its own); a remote
 * uses the one it was opened with (backend_endpoint.tmpl) and ignores
 * tmpl.  r is filled in both outcomes: r->res the counts, speeds and
 * stop reason, r->prov what a remote adds (free with
 * backend_result_free).  0 when the answer ended (completely, or
 * stopped: what was emitted is the answer), or -1 and *cause (one line)
 * when it failed; a remote's r->prov.dropped then says that text had
 * arrived before the connection was lost.
 */
int	 backend_chat(struct backend *, const char *tmpl,
	    const struct engine_msg *msgs, int n, const struct engine_sampling *s,
	    engine_emit_fn emit, void *arg, struct backend_result *r,
	    char **cause);
/*
 * Stop the running backend_chat from any thread (a local engine within
 * one token, a remote transfer within 100 ms); it returns 0 with
 * stop ENGINE_STOP_CANCEL.  An atomic store (and, for a remote, one
 * write to the transfer's wake-up socket): `medchat ask`'s signal
 * handler calls it.
 */
void	 backend_cancel(struct backend *);
/*
 * Tokens msgs[0..n) take (tmpl as for backend_chat): a local engine's
 * exact count; a remote's from the server's tokenizer when it has one,
 * else an estimate.  -1 on an error.
 */
int	 backend_count_tokens(struct backend *, const char *tmpl,
	    const struct engine_msg *msgs, int n);

/* One model a server serves (backend_list_models). */
struct backend_model {
	char		*id;
	char		*owned_by;	/* NULL when not given */
	int		 n_ctx;		/* 0 = unknown */
};
/*
 * The models the server at ep->url serves (ep->model and tmpl are not
 * used).  0 with *out and *n (free with backend_models_free), or -1 and
 * *cause.  Network work.
 */
int	 backend_list_models(const struct backend_endpoint *ep,
	    struct backend_model **out, size_t *n, char **cause);
void	 backend_models_free(struct backend_model *, size_t n);

/*
 * The origin of a base URL, what consent is given for: "scheme://host:
 * port" with scheme and host in lowercase and the port always written
 * (80 for http, 443 for https), an IPv6 host in brackets.  Only http and
 * https; a URL with credentials (user:pass@) is refused -- keys go in
 * the environment, never in a URL.  0 and *origin (caller frees), or -1
 * and *cause (one line, quoting no credentials).
 */
int	 backend_origin(const char *url, char **origin, char **cause);
struct conffile;
/*
 * The endpoint arg names (--endpoint): a URL (http:// or https://) or the
 * NAME of a settings file's [endpoint NAME] section (c, read from
 * conf_path, which messages name).  arg NULL: $MEDCHAT_ENDPOINT when it
 * is set and not empty, else none: 0 with ep->url NULL.  A URL that is a
 * section's url takes that section (its name, key and the rest).  model,
 * tmpl and cacert (NULL: not given) override the section's.  ep's
 * strings point into c, arg and the environment.  0, or -1 and *cause
 * (one line: an unknown name, or why the settings file was refused).
 */
int	 backend_endpoint_resolve(const struct conffile *c,
	    const char *conf_path, const char *arg, const char *model,
	    const char *tmpl, const char *cacert, struct backend_endpoint *ep,
	    char **cause);
/* "NAME: MODEL" (or "HOST: MODEL" without a name); caller frees. */
char	*backend_display_name(const char *name, const char *host,
	    const char *model);

#endif
