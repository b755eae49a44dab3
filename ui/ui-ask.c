/*
 * ui-ask.c -- a question's way through the chat: sent (ui_send), saved
 * to the store before the worker gets it (ui_begin; kept out by another
 * process's write lock it waits in STATE_SAVING and is tried again from
 * the loop, ui_ask_retry), answered (ui_generate), and the answer's end
 * and final save (ui_gen_finish, ui_saved); /regen (ui_regenerate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "advisory.h"
#include "fsutil.h"
#include "modelid.h"
#include "prompts.h"
#include "session.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

static int64_t	 ui_parent_before(struct ui *, long);
static int	 ui_generate(struct ui *, int64_t, const char *, char **);
static int	 ui_begin(struct ui *, int64_t, const char *, long, char **);

/* Store id of the last shown message before index i (0 = root). */
static int64_t
ui_parent_before(struct ui *ui, long i)
{
	struct chat_msg	*m;

	while (--i >= 0) {
		m = &ui->chat->msgs[i];
		if (m->superseded || m->id == 0)
			continue;
		if (m->role == CHAT_USER || m->role == CHAT_ASSISTANT)
			return m->id;
	}
	return 0;
}

void
ui_send(struct ui *ui, const char *text)
{
	char	*cause = NULL;
	int64_t	 parent;
	size_t	 i;

	if (ui->state == STATE_GENERATING) {
		ui_message(ui, 1, "still answering: Esc stops it");
		input_set_line(text);
		return;
	}
	if (ui->state == STATE_LOADING) {
		if (ui->load_ep != NULL)
			ui_message(ui, 1, "still connecting to %s",
			    ui->load_ep->host);
		else
			ui_message(ui, 1, "the model is still loading");
		input_set_line(text);
		return;
	}
	if (ui->state == STATE_SAVING) {
		ui_message(ui, 1, "the last question is not saved yet (the "
		    "database is locked by another process): Esc gives it up");
		input_set_line(text);
		return;
	}
	if (ui->model == NULL) {
		ui_message(ui, 1, "no model loaded: /model picks one, /demo "
		    "tries the demo model");
		input_set_line(text);
		return;
	}
	/* Before the advisory: it could not be recorded either. */
	if (store_writable(ui->store, "save a question", &cause) != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		input_set_line(text);
		return;
	}
	/* Nothing goes to a server the user has not agreed to. */
	if (consent_needed(ui)) {
		input_set_line(text);
		consent_open(ui, NULL);
		return;
	}
	if (advisory_needed(ui)) {
		input_set_line(text);
		advisory_open(ui, 1);
		return;
	}
	/*
	 * Under the last answer, whose id its save has not given yet: the
	 * question waits for it (ui_saved sends it).
	 */
	if (ui->editing < 0 && session_saving(ui->session) > 0) {
		if (ui->send_after != NULL) {
			ui_message(ui, 1, "a question is already waiting for "
			    "the last answer to be saved");
			input_set_line(text);
			return;
		}
		ui->send_after = xstrdup(text);
		ui_message(ui, 0, "waiting for the last answer to be saved...");
		return;
	}
	if (ui->editing >= 0 && (size_t)ui->editing < ui->chat->n) {
		parent = ui_parent_before(ui, ui->editing);
		for (i = (size_t)ui->editing; i < ui->chat->n; i++) {
			if (ui->chat->msgs[i].role == CHAT_USER ||
			    ui->chat->msgs[i].role == CHAT_ASSISTANT)
				chat_supersede(ui->chat, i);
		}
	} else
		parent = ui_parent_before(ui, (long)ui->chat->n);
	ui->editing = -1;
	if (ui_generate(ui, parent, text, &cause) != 0) {
		ui_message(ui, 1, "not sent: %s", cause);
		free(cause);
		input_set_line(text);
	}
}

/*
 * Start answering: question (saved now under parent, then shown), or
 * with question NULL the committed user message parent again.  0, or -1
 * and *cause when the question could not be saved (nothing changed).
 * While another process holds the database's write lock the turn waits
 * for it without blocking (STATE_SAVING): the question is shown as being
 * saved and ui_ask_retry tries again from the loop.
 */
static int
ui_generate(struct ui *ui, int64_t parent, const char *question,
    char **cause)
{
	size_t	k;
	double	now;
	int	rc;

	if ((rc = ui_begin(ui, parent, question, -1, cause)) <= 0)
		return rc;
	free(*cause);
	*cause = NULL;
	now = ui_now();
	ui->ask_text = question != NULL ? xstrdup(question) : NULL;
	ui->ask_parent = parent;
	ui->ask_msg = -1;
	if (question != NULL) {
		k = chat_add(ui->chat, CHAT_USER, question);
		chat_set_status(ui->chat, k, CHAT_SAVING);
		ui->ask_msg = (long)k;
	}
	ui->ask_prev = ui->state;
	ui->ask_until = now + ui->lock_wait_ms / 1000.0;
	ui->ask_next = now + UI_ASK_RETRY_MS / 1000.0;
	ui->state = STATE_SAVING;
	ui->chatview.follow = 1;
	ui->dirty = 1;
	return 0;
}

/*
 * The turn of STATE_SAVING once more: started, still kept out by the
 * lock (tried again at ui->ask_next), or given up at ui->ask_until or on
 * another failure.
 */
void
ui_ask_retry(struct ui *ui)
{
	char	*cause = NULL, *why;
	int	 rc;

	rc = ui_begin(ui, ui->ask_parent, ui->ask_text, ui->ask_msg, &cause);
	if (rc == 0) {
		free(ui->ask_text);
		ui->ask_text = NULL;
		ui->ask_msg = -1;
		return;
	}
	if (rc > 0 && ui_now() < ui->ask_until) {
		free(cause);
		ui->ask_next = ui_now() + UI_ASK_RETRY_MS / 1000.0;
		return;
	}
	if (rc > 0)
		xasprintf(&why, "the database stayed locked by another process "
		    "for %d s", (ui->lock_wait_ms + 999) / 1000);
	else
		why = xstrdup(cause);
	ui_ask_drop(ui, why);
	free(why);
	free(cause);
}

/*
 * Give the turn of STATE_SAVING up (why NULL: the user did): the question
 * is marked not saved and goes back to the input line unless something
 * was typed there meanwhile.
 */
void
ui_ask_drop(struct ui *ui, const char *why)
{
	int	back;

	if (ui->state != STATE_SAVING)
		return;
	if (ui->ask_msg >= 0 && (size_t)ui->ask_msg < ui->chat->n)
		chat_set_status(ui->chat, (size_t)ui->ask_msg, CHAT_UNSAVED);
	back = ui->ask_text != NULL && input_empty();
	if (back)
		input_set_line(ui->ask_text);
	ui->state = ui->ask_prev;
	if (ui->ask_text == NULL)
		ui_message(ui, 1, "the answer was not started: %s",
		    why != NULL ? why : "given up");
	else
		ui_message(ui, 1, "the question was not saved: %s; nothing was "
		    "generated%s", why != NULL ? why : "given up", back ?
		    " (it is back in the input)" : "");
	free(ui->ask_text);
	ui->ask_text = NULL;
	ui->ask_msg = -1;
	ui->dirty = 1;
}

/*
 * Save the turn (question under parent, or parent answered again with
 * question NULL) and start the worker on it.  qmsg is the question's
 * chat index when it is already shown (STATE_SAVING), else -1 (added
 * here once saved).  0; 1 and *cause when another process's write lock
 * kept the turn out (nothing changed: try again); -1 and *cause.
 */
static int
ui_begin(struct ui *ui, int64_t parent, const char *question, long qmsg,
    char **cause)
{
	struct engine_msg	*msgs;
	struct engine_sampling	 s;
	struct session_turn	 t;
	const char		**texts;
	char			*label;
	int64_t			*ids, qid;
	long			*idx;
	int			*roles, n, nc, i, rc;
	size_t			 k;

	memset(&t, 0, sizeof t);
	t.seed = ui->set.s.seed;
	if (!ui->set.seed_fixed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		t.seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^
		    (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}

	/* The context: the conversation shown, then the new question. */
	n = chat_context(ui->chat, &roles, &texts, &idx);
	msgs = xcalloc((size_t)n + 1, sizeof *msgs);
	ids = xcalloc((size_t)n + 1, sizeof *ids);
	for (i = 0; i < n; i++) {
		msgs[i].role = roles[i] == CHAT_SYSTEM ? ENGINE_SYSTEM :
		    roles[i] == CHAT_USER ? ENGINE_USER : ENGINE_ASSISTANT;
		msgs[i].text = texts[i];
		ids[i] = idx[i] >= 0 ? ui->chat->msgs[idx[i]].id : 0;
	}
	nc = n;
	if (question != NULL) {
		msgs[n].role = ENGINE_USER;
		msgs[n++].text = question;
	}
	/* A new conversation is created with its first question. */
	t.conv = ui->chat->conv_id;
	t.system = ui->chat->system[0] != '\0' ? ui->chat->system : NULL;
	t.conv_tmpl = ui->template_name;
	t.parent = parent;
	t.question = question;
	t.tmpl = ui->template_name;
	t.set = &ui->set;
	t.ctx_ids = ids;
	t.n_ctx = n;
	if ((rc = session_begin(ui->session, &t, &qid, cause)) != 0) {
		free(msgs);
		free(ids);
		free(idx);
		free(roles);
		free(texts);
		return rc > 0 ? 1 : -1;
	}
	ui->chat->conv_id = session_conv_id(ui->session);
	if (question != NULL) {
		if (qmsg >= 0 && (size_t)qmsg < ui->chat->n)
			k = (size_t)qmsg;
		else
			k = chat_add(ui->chat, CHAT_USER, question);
		ui->chat->msgs[k].id = qid;
		chat_set_status(ui->chat, k, CHAT_COMPLETE);
		/* An edited question is an alternative of the one before. */
		rec_alt_msg(ui, ui->chat, k);
	}
	ui->gen_msg = (long)chat_add(ui->chat, CHAT_ASSISTANT, "");
	chat_set_status(ui->chat, (size_t)ui->gen_msg, CHAT_STREAMING);
	if (ui->model->remote) {
		xasprintf(&label, "remote %s", ui->model->file_name);
		chat_set_model(ui->chat, (size_t)ui->gen_msg, label);
		free(label);
	} else
		chat_set_model(ui->chat, (size_t)ui->gen_msg,
		    ui->model->file_name);
	s = ui->set.s;
	s.seed = t.seed;
	ui->chat_job = worker_chat(ui->worker, ui->template_name, msgs, n, &s);
	free(msgs);
	free(ids);
	/* Kept to mark what the answer's context leaves out. */
	free(ui->ctx_idx);
	ui->ctx_idx = idx;
	ui->n_ctx_idx = nc;
	free(roles);
	free(texts);

	ui->state = STATE_GENERATING;
	ui->gen_start = ui_now();
	ui->gen_tokens = 0;
	ui->tps = 0;
	ui->chatview.follow = 1;
	ui->dirty = 1;
	return 0;
}

/* The answer is done, stopped or failed: persist it and update state. */
void
ui_gen_finish(struct ui *ui, struct worker_event *ev)
{
	enum session_end	 st;
	char			*cause = NULL;
	int64_t			 id = 0;
	int			 rc;

	rc = session_end_prov(ui->session, &ev->res, &ev->prov,
	    ev->type == WORKER_EV_ERROR ? (ev->error != NULL ? ev->error :
	    "generation failed") : NULL, &st, &id, &cause);
	if (rc < 0) {
		ui_message(ui, 1, "%s", cause);
		ui->unsaved++;
		free(ui->unsaved_cause);
		ui->unsaved_cause = cause;
	}
	if (ui->gen_msg >= 0 && (size_t)ui->gen_msg < ui->chat->n) {
		ui->chat->msgs[ui->gen_msg].id = id;
		ui->chat->msgs[ui->gen_msg].saving = rc > 0 ?
		    session_ticket(ui->session) : 0;
		chat_set_status(ui->chat, (size_t)ui->gen_msg,
		    st == SESSION_ERROR ? CHAT_FAILED :
		    st == SESSION_STOPPED ? CHAT_STOPPED :
		    st == SESSION_INTERRUPTED ? CHAT_INTERRUPTED :
		    CHAT_COMPLETE);
		/* The cause stays in the transcript, as the store keeps it. */
		if (ev->type == WORKER_EV_ERROR)
			chat_set_error(ui->chat, (size_t)ui->gen_msg,
			    ev->error != NULL ? ev->error :
			    "generation failed");
		else
			rec_trimmed(ui, &ev->res, ui->ctx_idx, ui->n_ctx_idx);
		if (id != 0)
			rec_alt_msg(ui, ui->chat, (size_t)ui->gen_msg);
	}
	ui->gen_msg = -1;
	ui->chat_job = 0;
	if (ev->type == WORKER_EV_ERROR) {
		ui_message(ui, 1, "%s", ev->error != NULL ? ev->error :
		    "generation failed");
		if (ui->state != STATE_LOADING)
			ui->state = STATE_READY;
	} else {
		ui->last_res = ev->res;
		ui->have_res = 1;
		ui->ctx_used = ev->res.n_ctx_used;
		if (ev->res.decode_tps > 0)
			ui->tps = ev->res.decode_tps;
		if (ui->state != STATE_LOADING)
			ui->state = st == SESSION_STOPPED ?
			    STATE_STOPPED : STATE_READY;
		if (st == SESSION_STOPPED)
			ui_message(ui, 0, "stopped: the partial answer is kept "
			    "(/regen answers again)");
		else if (ev->res.stop == ENGINE_STOP_CONTEXT)
			ui_message(ui, 1, "the context is full: /new starts "
			    "a new conversation, /set ctx N enlarges it");
		else if (ev->res.trimmed)
			ui_message(ui, 0, "the oldest %d message(s) did not fit "
			    "the context and were left out",
			    ev->res.n_dropped);
	}
	ui->dirty = 1;
}

/*
 * The writer finished final saves: the answer gets its id, or the user
 * is told it was not saved; then a question that waited for it is sent.
 */
void
ui_saved(struct ui *ui)
{
	char		*cause = NULL, *text;
	int64_t		 id = 0;
	unsigned	 ticket = 0;
	size_t		 i;
	int		 rc, failed = 0, back;

	while ((rc = session_saved(ui->session, &ticket, &id, &cause)) != 0) {
		for (i = 0; i < ui->chat->n; i++) {
			if (ui->chat->msgs[i].saving != ticket)
				continue;
			ui->chat->msgs[i].saving = 0;
			if (rc > 0) {
				ui->chat->msgs[i].id = id;
				rec_alt_msg(ui, ui->chat, i);
			}
		}
		if (rc < 0) {
			ui_message(ui, 1, "the answer was not saved: %s", cause);
			ui->unsaved++;
			free(ui->unsaved_cause);
			ui->unsaved_cause = cause;
			cause = NULL;
			failed = 1;
		}
		ui->dirty = 1;
	}
	if (ui->send_after == NULL || session_saving(ui->session) > 0 ||
	    ui->quit)
		return;
	text = ui->send_after;
	ui->send_after = NULL;
	/* Under an answer that is not in the store it would be misplaced. */
	if (failed) {
		back = input_empty();
		if (back)
			input_set_line(text);
		ui_message(ui, 1, "the answer was not saved: %s; the question "
		    "after it was not sent%s", ui->unsaved_cause,
		    back ? " (it is back in the input)" : "");
	} else
		ui_send(ui, text);
	free(text);
}

/* /regen: answer the last question again, keeping the old answer. */
int
ui_regenerate(struct ui *ui, char **cause)
{
	long	a, u;

	if (ui->state == STATE_GENERATING) {
		xasprintf(cause, "still answering: Esc stops it");
		return -1;
	}
	if (ui->model == NULL || ui->state == STATE_LOADING) {
		xasprintf(cause, "no model loaded");
		return -1;
	}
	if (ui->state == STATE_SAVING) {
		xasprintf(cause, "the last turn is not saved yet (the database "
		    "is locked by another process): Esc gives it up");
		return -1;
	}
	u = chat_last(ui->chat, CHAT_USER);
	if (u < 0 || ui->chat->msgs[u].id == 0) {
		xasprintf(cause, "nothing to regenerate");
		return -1;
	}
	if (store_writable(ui->store, "save an answer", cause) != 0)
		return -1;
	if (consent_needed(ui)) {
		consent_open(ui, NULL);
		return 0;
	}
	if (advisory_needed(ui)) {
		advisory_open(ui, 1);
		return 0;
	}
	a = chat_last(ui->chat, CHAT_ASSISTANT);
	if (a > u)
		chat_supersede(ui->chat, (size_t)a);
	return ui_generate(ui, ui->chat->msgs[u].id, NULL, cause);
}
