/*
 * remote-chat.c -- one answer from the server: the request (chat or raw
 * completion), the stream's events as they arrive, and what the answer
 * was (struct engine_result, struct remote_prov).  See remote.h.
 *
 * The stream runs inside the transfer's write callback: bytes go to the
 * SSE parser, each event to oai_parse, each piece of text to the
 * caller's emit at once.  Anything that ends the answer early ([DONE],
 * an error event, a malformed chunk, emit asking to stop) stops the
 * transfer from the callback; remote_chat then tells which it was.  The
 * text a chunk holds is valid UTF-8 (oai_parse replaces invalid bytes),
 * so every piece emitted is whole characters.
 *
 * An answer is complete at [DONE], or when a finish_reason arrived and
 * the connection then ended (some servers close instead of sending
 * [DONE]).  A stream that ends otherwise after text was emitted is a
 * dropped answer: the text stands, marked by prov->dropped, and the
 * call fails so the caller marks it interrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "engine.h"
#include "netutil.h"
#include "remote-int.h"
#include "sse.h"
#include "xmalloc.h"

#define CHAT_JSON_MAX	(16u << 20)	/* a whole (non-stream) answer */

struct chat {
	struct remote	*r;
	struct rhttp	*h;
	struct sse	*sse;
	int		 json;		/* the answer is one JSON object */
	struct buf	 body;		/* ... collected here */
	engine_emit_fn	 emit;
	void		*arg;

	int		 done;		/* [DONE] */
	int		 emit_stop;	/* emit returned nonzero */
	int		 pieces;	/* chunks with text */
	int		 n_prompt, n_gen; /* usage, -1 = not sent */
	double		 prefill_tps;	/* the server's timings, 0 = none */
	double		 decode_tps;
	double		 t_text;	/* first text, 0 = none yet */
	char		*finish;	/* last finish_reason */
	char		*model, *fingerprint;
	char		*cause;		/* the stream went wrong */
};

static int	 chat_event(const char *, size_t, void *);
static int	 chat_data(const char *, size_t, void *);
static int	 chat_chunk(struct chat *, struct oai_chunk *);
static json_t	*chat_request(struct remote *, const struct engine_msg *,
		    int, const char *prompt, const struct engine_sampling *);
static char	*chat_not_found(struct remote *, const char *path);

/* One decoded chunk; nonzero ends the stream. */
static int
chat_chunk(struct chat *ch, struct oai_chunk *c)
{
	switch (c->kind) {
	case OAI_DONE:
		ch->done = 1;
		return 1;
	case OAI_ERROR:
		xasprintf(&ch->cause, "%s reported an error during the answer: "
		    "%s", ch->r->conn.host, c->message);
		return 1;
	case OAI_BAD:
		xasprintf(&ch->cause, "%s sent a malformed stream: %s",
		    ch->r->conn.host, c->message);
		return 1;
	case OAI_CHUNK:
		break;
	}
	if (c->model != NULL && ch->model == NULL) {
		ch->model = c->model;
		c->model = NULL;
	}
	if (c->fingerprint != NULL) {
		free(ch->fingerprint);
		ch->fingerprint = c->fingerprint;
		c->fingerprint = NULL;
	}
	if (c->n_prompt >= 0)
		ch->n_prompt = c->n_prompt;
	if (c->n_gen >= 0)
		ch->n_gen = c->n_gen;
	if (c->prefill_tps > 0)
		ch->prefill_tps = c->prefill_tps;
	if (c->decode_tps > 0)
		ch->decode_tps = c->decode_tps;
	if (c->finish != NULL) {
		free(ch->finish);
		ch->finish = c->finish;
		c->finish = NULL;
	}
	if (c->text != NULL && *c->text != '\0') {
		if (ch->t_text == 0)
			ch->t_text = remote_now();
		ch->pieces++;
		if (ch->emit(c->text, strlen(c->text), ch->arg) != 0) {
			ch->emit_stop = 1;
			return 1;
		}
	}
	return 0;
}

static int
chat_event(const char *data, size_t len, void *arg)
{
	struct chat		*ch = arg;
	struct oai_chunk	 c;
	int			 r;

	oai_parse(data, len, &c);
	r = chat_chunk(ch, &c);
	oai_chunk_free(&c);
	return r;
}

/* The body of a 2xx answer, as it arrives. */
static int
chat_data(const char *p, size_t n, void *arg)
{
	struct chat	*ch = arg;
	const char	*ct = ch->h->content_type;
	int		 r;

	if (ch->body.len == 0 && ch->sse == NULL && !ch->json) {
		/* A server that ignored "stream" answers in one piece. */
		if (ct != NULL && strncmp(ct, "application/json", 16) == 0)
			ch->json = 1;
		else
			ch->sse = sse_new(0, chat_event, ch);
	}
	if (ch->json) {
		if (ch->body.len + n > CHAT_JSON_MAX) {
			xasprintf(&ch->cause, "%s sent an answer larger than "
			    "%u MiB", ch->r->conn.host, CHAT_JSON_MAX >> 20);
			return 1;
		}
		buf_append(&ch->body, p, n);
		return 0;
	}
	if ((r = sse_feed(ch->sse, p, n)) == -1)
		xasprintf(&ch->cause, "%s sent a malformed stream: an event "
		    "larger than 16 MiB", ch->r->conn.host);
	return r != 0;
}

/*
 * The request without its text: model, stream, sampling and, in raw
 * mode, the template's stops.  What the servers take: temperature,
 * top_p, max_tokens and seed (OpenAI's); top_k and min_p (llama-server,
 * vLLM, Ollama); the repetition penalty under both its names
 * (llama-server's repeat_penalty, vLLM's repetition_penalty).  A seed
 * goes as 31 bits: llama-server keeps 32 and takes 0xFFFFFFFF for
 * "random", other servers want a plain int.
 */
static json_t *
chat_request(struct remote *r, const struct engine_msg *msgs, int n,
    const char *prompt, const struct engine_sampling *s)
{
	json_t			*req, *stops;
	const char *const	*st;

	(void)msgs;
	(void)n;
	req = json_object();
	json_object_set_new(req, "model", json_string(r->info.model));
	json_object_set_new(req, "stream", json_true());
	if (!r->no_stream_options)
		json_object_set_new(req, "stream_options",
		    json_pack("{s:b}", "include_usage", 1));
	json_object_set_new(req, "temperature", json_real(s->temp));
	json_object_set_new(req, "top_p", json_real(s->top_p));
	if (s->max_tokens >= 0)
		json_object_set_new(req, "max_tokens",
		    json_integer(s->max_tokens));
	json_object_set_new(req, "seed",
	    json_integer((json_int_t)(s->seed & 0x7fffffff)));
	if (s->top_k > 0)
		json_object_set_new(req, "top_k", json_integer(s->top_k));
	json_object_set_new(req, "min_p", json_real(s->min_p));
	if (s->repeat_penalty > 0) {
		json_object_set_new(req, "repeat_penalty",
		    json_real(s->repeat_penalty));
		json_object_set_new(req, "repetition_penalty",
		    json_real(s->repeat_penalty));
	}
	if (prompt != NULL) {
		stops = json_array();
		for (st = engine_template_stops(r->info.tmpl); *st != NULL;
		    st++)
			json_array_append_new(stops, json_string(*st));
		json_object_set_new(req, "stop", stops);
	}
	return req;
}

/*
 * The cause of a 404 on the chat or completion path: the model went
 * away (list what is served), or the path is wrong.
 */
static char *
chat_not_found(struct remote *r, const char *path)
{
	struct remote_model	*m;
	char			*list, *cause = NULL, *id;
	size_t			 n, i;

	if (remote_fetch_models(&r->conn, &m, &n, &cause) == 0) {
		for (i = 0; i < n; i++) {
			if (strcmp(m[i].id, r->info.model) == 0)
				break;
		}
		if (i == n) {
			list = remote_model_list(m, n);
			id = net_oneline(r->info.model,
			    strlen(r->info.model), 80);
			xasprintf(&cause, "model %s is not served by %s; it "
			    "serves: %s", id, r->conn.host, list);
			free(id);
			free(list);
		}
		remote_models_free(m, n);
		if (cause != NULL)
			return cause;
	} else
		free(cause);
	if (!(strlen(r->conn.base) >= 3 && strcmp(r->conn.base +
	    strlen(r->conn.base) - 3, "/v1") == 0))
		xasprintf(&cause, "%s: %s%s not found (HTTP 404); try %s/v1",
		    r->conn.host, r->conn.base, path, r->conn.base);
	else
		xasprintf(&cause, "%s: %s%s not found (HTTP 404)",
		    r->conn.host, r->conn.base, path);
	return cause;
}

/* The server's 400 names stream_options: it does not take them. */
static int
chat_rejects_options(const struct rhttp *h)
{
	char	*msg;
	int	 r;

	if (h->status != 400 || (msg = rhttp_server_message(h)) == NULL)
		return 0;
	r = strstr(msg, "stream_options") != NULL;
	free(msg);
	return r;
}

int
remote_chat(struct remote *r, const struct engine_msg *msgs, int n,
    const struct engine_sampling *s, engine_emit_fn emit, void *arg,
    struct engine_result *res, struct remote_prov *prov, char **cause)
{
	static const char *const roles[] = { "system", "user", "assistant" };
	struct chat		 ch;
	struct rhttp		 h;
	struct oai_chunk	 c;
	const char *const	*st;
	const char		*path;
	json_t			*req, *arr;
	char			*prompt = NULL, *post = NULL, *url = NULL;
	const char		*what;
	char			*mark;
	double			 t_end;
	int			 i, rc = -1, tries, ok;

	memset(res, 0, sizeof *res);
	memset(prov, 0, sizeof *prov);
	memset(&ch, 0, sizeof ch);
	memset(&h, 0, sizeof h);
	atomic_store(&r->cancel, 0);
	if (n < 1 || msgs == NULL) {
		*cause = xstrdup("nothing to answer (no messages)");
		return -1;
	}

	if (r->info.tmpl != NULL) {
		/* Text holding markup would be read as markup. */
		for (i = 0; i < n; i++) {
			for (st = engine_template_stops(r->info.tmpl);
			    *st != NULL; st++) {
				if (strstr(msgs[i].text, *st) == NULL)
					continue;
				mark = net_oneline(*st, strlen(*st), 40);
				xasprintf(cause, "message %d holds \"%s\", a "
				    "marker of the %s template: it cannot be "
				    "sent as raw prompt text", i + 1, mark,
				    r->info.tmpl);
				free(mark);
				return -1;
			}
		}
		if ((prompt = engine_render_prompt(r->info.tmpl, msgs, n,
		    cause)) == NULL)
			return -1;
	}
	path = prompt != NULL ? "/completions" : "/chat/completions";
	what = prompt != NULL ? "the completion request" : "the chat request";
	url = remote_url(r->conn.base, path);

	for (tries = 0; tries < 2; tries++) {
		req = chat_request(r, msgs, n, prompt, s);
		free(prov->request_json);
		prov->request_json = json_dumps(req, JSON_COMPACT |
		    JSON_REAL_PRECISION(7));
		if (prompt != NULL)
			json_object_set_new(req, "prompt",
			    remote_json_text(prompt));
		else {
			arr = json_array();
			for (i = 0; i < n; i++) {
				json_array_append_new(arr, json_pack(
				    "{s:s,s:o}", "role",
				    roles[msgs[i].role <= ENGINE_ASSISTANT ?
				    msgs[i].role : ENGINE_USER], "content",
				    remote_json_text(msgs[i].text)));
			}
			json_object_set_new(req, "messages", arr);
		}
		free(post);
		post = json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(7));
		json_decref(req);

		rhttp_free(&h);
		memset(&h, 0, sizeof h);
		h.url = url;
		h.post = post;
		h.cancel = &r->cancel;
		h.on_data = chat_data;
		h.arg = &ch;
		ch.r = r;
		ch.h = &h;
		ch.emit = emit;
		ch.arg = arg;
		ch.n_prompt = ch.n_gen = -1;
		rc = rhttp_run(&r->conn, &h);
		if (rc == 0 && !r->no_stream_options &&
		    chat_rejects_options(&h)) {
			/* Once, and not again for this server. */
			r->no_stream_options = 1;
			continue;
		}
		break;
	}

	/* Whatever ended the transfer, the stream may hold one more event. */
	if (rc == 0 && ch.sse != NULL && !ch.done && ch.cause == NULL &&
	    !ch.emit_stop && sse_finish(ch.sse) == -1)
		xasprintf(&ch.cause, "%s sent a malformed stream: an event "
		    "larger than 16 MiB", r->conn.host);
	if (rc == 0 && ch.json && h.status >= 200 && h.status < 300) {
		oai_parse(buf_str(&ch.body), ch.body.len, &c);
		if (chat_chunk(&ch, &c) == 0 && c.kind == OAI_CHUNK)
			ch.done = 1;
		oai_chunk_free(&c);
	}
	t_end = remote_now();

	ok = 0;
	if (ch.emit_stop || h.cancelled) {
		res->stop = ENGINE_STOP_CANCEL;
		ok = 1;
	} else if (ch.done)
		ok = 1;
	else if (ch.cause != NULL) {
		*cause = ch.cause;
		ch.cause = NULL;
	} else if (h.status != 0 && (h.status < 200 || h.status >= 300) &&
	    h.result == CURLE_OK && !h.stalled) {
		if (h.status == 404)
			*cause = chat_not_found(r, path);
		else
			*cause = rhttp_cause(&r->conn, &h, what);
	} else if (ch.finish != NULL && !h.stalled)
		ok = 1;		/* closed after the end, without [DONE] */
	else if (rc != 0)
		*cause = rhttp_cause(&r->conn, &h, ch.pieces > 0 ?
		    "the answer" : what);
	else if (ch.pieces > 0)
		xasprintf(cause, "%s ended the stream before the answer was "
		    "complete", r->conn.host);
	else if (h.content_type != NULL &&
	    strncmp(h.content_type, "text/event-stream", 17) != 0) {
		/* A proxy's or portal's page, say: show what it was. */
		mark = net_oneline(h.content_type, strlen(h.content_type), 60);
		xasprintf(cause, "%s answered with %s, not an event stream",
		    r->conn.host, mark);
		free(mark);
	} else
		xasprintf(cause, "%s ended the stream without an answer",
		    r->conn.host);

	res->n_gen = ch.n_gen >= 0 ? ch.n_gen : ch.pieces;
	res->n_prompt = ch.n_prompt >= 0 ? ch.n_prompt : 0;
	if (ch.n_prompt >= 0 && ch.n_gen >= 0)
		res->n_ctx_used = ch.n_prompt + ch.n_gen;
	/* The server's own timings when it sends them (llama-server), else
	   as seen from here: network and queueing included. */
	if (ch.decode_tps > 0)
		res->decode_tps = ch.decode_tps;
	else if (res->n_gen > 1 && ch.t_text > 0 && t_end > ch.t_text)
		res->decode_tps = (res->n_gen - 1) / (t_end - ch.t_text);
	if (ch.prefill_tps > 0)
		res->prefill_tps = ch.prefill_tps;
	else if (res->n_prompt > 0 && ch.t_text > h.t_start)
		res->prefill_tps = res->n_prompt / (ch.t_text - h.t_start);
	if (res->stop != ENGINE_STOP_CANCEL)
		res->stop = ch.finish != NULL &&
		    strcmp(ch.finish, "length") == 0 ? ENGINE_STOP_LENGTH :
		    ENGINE_STOP_EOG;
	prov->server_model = ch.model;
	prov->fingerprint = ch.fingerprint;
	prov->dropped = !ok && ch.pieces > 0;

	sse_free(ch.sse);
	buf_free(&ch.body);
	free(ch.finish);
	free(ch.cause);
	rhttp_free(&h);
	free(post);
	free(url);
	free(prompt);
	return ok ? 0 : -1;
}

void
remote_prov_free(struct remote_prov *p)
{
	if (p == NULL)
		return;
	free(p->server_model);
	free(p->fingerprint);
	free(p->request_json);
	memset(p, 0, sizeof *p);
}
