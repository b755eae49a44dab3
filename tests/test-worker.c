/*
 * test-worker.c -- the inference thread (src/app/worker.c) with a real tiny
 * model: load progress and the LOADED event (with the file's SHA-256),
 * a failed load that keeps the previous model, streamed and coalesced
 * token events, seeded determinism, cancellation within a generation,
 * and dropping queued chats on cancel.  Waits poll() the wake-up pipe
 * with a generous deadline; nothing is timed.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "buf.h"
#include "sha256.h"
#include "worker.h"

struct seen {
	int		 progress, loaded, failed, tokens, ntok, done, errors;
	int		 ctx_first, ctx_last, ctx_down;	/* TOKEN ctx_used */
	struct buf	 text;
	struct worker_model *model;
	char		*error;
	struct engine_result res;
};

/* Collect events until one of type `until` (or the deadline). */
static int
wait_for(struct worker *w, enum worker_ev_type until, int ms,
    struct seen *s, void (*hook)(struct worker *, struct worker_event *))
{
	struct pollfd		 pfd;
	struct worker_event	*list, *ev;
	int			 found = 0, waited = 0;

	while (!found && waited < ms) {
		pfd.fd = worker_fd(w);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == 0) {
			waited += 100;
			continue;
		}
		list = worker_drain(w);
		for (ev = list; ev != NULL; ev = ev->next) {
			if (hook != NULL)
				hook(w, ev);
			switch (ev->type) {
			case WORKER_EV_PROGRESS:
				s->progress++;
				break;
			case WORKER_EV_LOADED:
				s->loaded++;
				worker_model_free(s->model);
				s->model = worker_model_copy(ev->model);
				if (s->model != NULL)
					memcpy(s->model->ident.sha256,
					    ev->model->ident.sha256, 65);
				break;
			case WORKER_EV_LOAD_FAILED:
				s->failed++;
				free(s->error);
				s->error = strdup(ev->error);
				worker_model_free(s->model);
				s->model = worker_model_copy(ev->model);
				break;
			case WORKER_EV_TOKEN:
				if (s->tokens++ == 0)
					s->ctx_first = ev->ctx_used - ev->ntok;
				if (ev->ctx_used <= s->ctx_last)
					s->ctx_down = 1;
				s->ctx_last = ev->ctx_used;
				s->ntok += ev->ntok;
				buf_append(&s->text, ev->text, ev->len);
				break;
			case WORKER_EV_DONE:
				s->done++;
				s->res = ev->res;
				break;
			case WORKER_EV_ERROR:
				s->errors++;
				free(s->error);
				s->error = strdup(ev->error);
				break;
			}
			if (ev->type == until)
				found = 1;
		}
		worker_event_free(list);
	}
	return found;
}

static void
seen_reset(struct seen *s)
{
	buf_free(&s->text);
	worker_model_free(s->model);
	free(s->error);
	memset(s, 0, sizeof *s);
}

static void
cancel_on_token(struct worker *w, struct worker_event *ev)
{
	if (ev->type == WORKER_EV_TOKEN)
		worker_cancel(w);
}

int
main(void)
{
	struct worker		*w;
	struct seen		 s;
	struct engine_msg	 msg = { ENGINE_USER, "Once upon a time" };
	struct engine_sampling	 sp;
	char			*cause = NULL, path[4200], bad[64], hex[65];
	char			*first;
	const char		*shared;
	FILE			*f;
	int			 i;

	memset(&s, 0, sizeof s);
	if ((shared = test_shared_dir()) == NULL) {
		test_skip("worker tests", "../shared not found");
		return test_report();
	}
	snprintf(path, sizeof path, "%s/models/real/stories260K.gguf", shared);
	if ((f = fopen(path, "rb")) == NULL) {
		test_skip("worker tests", "stories260K.gguf not found");
		return test_report();
	}
	fclose(f);

	w = worker_create(&cause);
	test_cond(w != NULL && worker_fd(w) >= 0, "worker starts");

	worker_load(w, "/nonexistent/model.gguf", 0, 1, 1);
	test_cond(wait_for(w, WORKER_EV_LOAD_FAILED, 30000, &s, NULL) &&
	    s.error != NULL && strstr(s.error, "/nonexistent/model.gguf") !=
	    NULL && s.model == NULL, "missing file: one-line error, no model");
	seen_reset(&s);

	worker_load(w, path, 256, 1, 1);
	test_cond(wait_for(w, WORKER_EV_LOADED, 60000, &s, NULL) &&
	    s.model != NULL && strcmp(s.model->file_name,
	    "stories260K.gguf") == 0 && s.model->n_ctx == 256,
	    "model loads with the requested context");
	test_cond(s.progress > 0, "load progress reported");
	test_cond(s.model != NULL && sha256_file(path, hex, NULL, NULL,
	    &cause) == 0 && strcmp(hex, s.model->ident.sha256) == 0,
	    "the worker computes the file's SHA-256 when asked");
	seen_reset(&s);

	engine_sampling_default(&sp);
	sp.seed = 42;
	sp.max_tokens = 24;
	worker_chat(w, NULL, &msg, 1, &sp);
	test_cond(wait_for(w, WORKER_EV_DONE, 60000, &s, NULL) &&
	    s.text.len > 0, "answer streamed as token events");
	test_cond(s.res.n_gen > 0 && s.res.n_gen <= 24 &&
	    (s.res.stop == ENGINE_STOP_LENGTH || s.res.stop == ENGINE_STOP_EOG),
	    "done with the engine's result");
	test_cond(s.tokens <= s.ntok && s.ntok <= s.res.n_gen + 1,
	    "token events coalesce, counting every piece");
	test_condf(s.ctx_first == s.res.n_prompt && !s.ctx_down &&
	    s.ctx_last == s.res.n_prompt + s.ntok &&
	    s.ctx_last <= s.res.n_ctx_used + 1,
	    "token events count the context up: prompt %d + pieces %d = %d "
	    "(after: %d)", s.res.n_prompt, s.ntok, s.ctx_last,
	    s.res.n_ctx_used);
	first = strdup(buf_str(&s.text));
	seen_reset(&s);
	worker_chat(w, NULL, &msg, 1, &sp);
	test_cond(wait_for(w, WORKER_EV_DONE, 60000, &s, NULL) &&
	    strcmp(first, buf_str(&s.text)) == 0, "same seed, same answer");
	free(first);
	seen_reset(&s);

	/* Cancel from the UI thread as soon as text arrives. */
	sp.max_tokens = -1;
	worker_chat(w, NULL, &msg, 1, &sp);
	test_cond(wait_for(w, WORKER_EV_DONE, 60000, &s, cancel_on_token) &&
	    s.res.stop == ENGINE_STOP_CANCEL && s.res.n_ctx_used < 256,
	    "cancel stops the generation early");
	seen_reset(&s);

	/* Queued chats are dropped by a cancel. */
	for (i = 0; i < 4; i++)
		worker_chat(w, NULL, &msg, 1, &sp);
	worker_cancel(w);
	for (i = 0; i < 600 && worker_busy(w); i++)
		poll(NULL, 0, 100);
	wait_for(w, WORKER_EV_DONE, 500, &s, NULL);
	test_cond(!worker_busy(w) && s.done <= 1,
	    "cancel drops the queued chats");
	seen_reset(&s);

	/* A bad file keeps the loaded model. */
	snprintf(bad, sizeof bad, "/tmp/medchat-worker-%d.gguf", (int)getpid());
	if ((f = fopen(bad, "wb")) != NULL) {
		fputs("GGUF\003\000\000\000not a model", f);
		fclose(f);
	}
	worker_load(w, bad, 0, 1, 0);
	test_cond(wait_for(w, WORKER_EV_LOAD_FAILED, 30000, &s, NULL) &&
	    s.model != NULL && strcmp(s.model->file_name,
	    "stories260K.gguf") == 0, "a bad file keeps the previous model");
	unlink(bad);
	seen_reset(&s);
	sp.max_tokens = 4;
	worker_chat(w, NULL, &msg, 1, &sp);
	test_cond(wait_for(w, WORKER_EV_DONE, 60000, &s, NULL) &&
	    s.errors == 0, "and it still answers");
	seen_reset(&s);

	worker_free(w);
	free(cause);
	return test_report();
}
