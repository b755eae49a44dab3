/*
 * ui-record.c -- what the record holds, shown in the chat: a selected
 * message (Alt-p, Alt-n), the alternatives of an answer or of an edited
 * question ("‹ 2/3 ›", stepped through with Alt-, and Alt-.), the
 * provenance of an answer (Alt-i, /provenance: ui-prov.c), the messages
 * the last answer's context left out, the context meter of a resumed
 * conversation, and the offer to reopen the last conversation at start.
 *
 * The store keeps the conversation as a tree (each message's parent);
 * the chat shows one path of it, the conversation's current leaf.
 * Stepping to another alternative moves that leaf to the end of the
 * alternative's own continuation (store_msg_descend) and loads the path
 * again, so the next question's parent is the alternative shown and
 * `history show`, exports and /history resume see the same path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "session.h"
#include "ui-int.h"
#include "xmalloc.h"

static long	 rec_target(struct ui *, int);
static int	 rec_busy(struct ui *, char **);

/*
 * Message k's place among its alternatives, from the store; nothing
 * shown when it has none or cannot be read (a marker is no reason to
 * stop the chat).
 */
void
rec_alt_msg(struct ui *ui, struct chat *c, size_t k)
{
	int64_t	*ids;
	size_t	 n, idx;
	char	*cause = NULL;

	if (k >= c->n || c->msgs[k].id == 0 || c->msgs[k].superseded ||
	    (c->msgs[k].role != CHAT_USER && c->msgs[k].role !=
	    CHAT_ASSISTANT))
		return;
	if (store_msg_alternatives(ui->store, c->msgs[k].id, &ids, &n, &idx,
	    &cause) != 0) {
		free(cause);
		return;
	}
	chat_set_alt(c, k, (int)idx + 1, (int)n);
	free(ids);
}

/*
 * After a path was loaded into c (m[0..n), the store's messages, the
 * chat's in the same order without system rows): the alternatives of
 * each message, the messages the last answer's prompt left out, and
 * for the chat itself the context meter as that answer left it.
 */
void
rec_loaded(struct ui *ui, struct chat *c, const struct store_msg *m,
    size_t n)
{
	const struct store_prov	*last = NULL;
	size_t			 i;

	for (i = 0; i < c->n; i++)
		rec_alt_msg(ui, c, i);
	for (i = n; i > 0 && last == NULL; i--) {
		if (m[i - 1].role == STORE_ROLE_ASSISTANT &&
		    (m[i - 1].prov.n_prompt > 0 || m[i - 1].prov.n_gen > 0))
			last = &m[i - 1].prov;
	}
	if (last != NULL && last->trimmed) {
		for (i = 0; i < c->n; i++)
			chat_set_outside(c, i, session_dropped_has(
			    last->dropped_json, c->msgs[i].id));
	}
	if (c != ui->chat)
		return;
	/* The meter says this conversation's figures, not the last one's. */
	ui->ctx_used = last != NULL ? last->n_prompt + last->n_gen : 0;
	ui->tps = last != NULL ? last->decode_tps : 0;
}

/*
 * The answer just ended (res, the worker's result): the messages its
 * prompt left out are marked, all others not.  idx[0..n) is the chat
 * index of each message the worker was given (-1: the system message),
 * as chat_context gave them (the question after them has none: it is
 * never left out).
 */
void
rec_trimmed(struct ui *ui, const struct engine_result *res, const long *idx,
    int n)
{
	size_t	i;
	int	k;

	for (i = 0; i < ui->chat->n; i++)
		chat_set_outside(ui->chat, i, 0);
	if (!res->trimmed || idx == NULL)
		return;
	for (k = res->drop_first; k >= 0 && k < n &&
	    k < res->drop_first + res->n_dropped; k++) {
		if (idx[k] >= 0)
			chat_set_outside(ui->chat, (size_t)idx[k], 1);
	}
}

/*
 * The message the record keys act on: the selected one, else the last
 * message of role (CHAT_ASSISTANT, or -1: a question or an answer).
 */
static long
rec_target(struct ui *ui, int role)
{
	const struct chat_msg	*m;
	long			 i;

	if (ui->chat->sel >= 0 && (size_t)ui->chat->sel < ui->chat->n)
		return ui->chat->sel;
	for (i = (long)ui->chat->n - 1; i >= 0; i--) {
		m = &ui->chat->msgs[i];
		if (m->superseded)
			continue;
		if ((role < 0 && (m->role == CHAT_USER ||
		    m->role == CHAT_ASSISTANT)) || (int)m->role == role)
			return i;
	}
	return -1;
}

/*
 * Alt-p (dir -1), Alt-n (dir 1): select the question or answer before or
 * after the selected one; from none, Alt-p selects the last.
 */
void
rec_select(struct ui *ui, int dir)
{
	const struct chat_msg	*m;
	long			 i;

	i = ui->chat->sel;
	if (i < 0 && dir > 0) {
		ui_message(ui, 0, "no message selected: Alt-p selects the "
		    "last one");
		return;
	}
	if (i < 0)
		i = (long)ui->chat->n;
	for (i += dir; i >= 0 && (size_t)i < ui->chat->n; i += dir) {
		m = &ui->chat->msgs[i];
		if (!m->superseded && (m->role == CHAT_USER ||
		    m->role == CHAT_ASSISTANT))
			break;
	}
	if (i < 0 || (size_t)i >= ui->chat->n) {
		if (dir > 0) {
			chat_select(ui->chat, -1);
			ui_message(ui, 0, "selection left");
		} else if (ui->chat->sel < 0)
			ui_message(ui, 0, "no question or answer to select");
		else
			ui_message(ui, 0, "the first message is selected");
		ui->dirty = 1;
		return;
	}
	chat_select(ui->chat, i);
	ui->chatview.show_sel = 1;
	ui_message(ui, 0, "%s selected: Alt-i provenance, Alt-, Alt-. "
	    "alternatives, Esc leaves", ui->chat->msgs[i].role == CHAT_USER ?
	    "question" : "answer");
	ui->dirty = 1;
}

/* 0, or -1 and *cause while the chat cannot load another path. */
static int
rec_busy(struct ui *ui, char **cause)
{
	if (ui->state == STATE_GENERATING)
		xasprintf(cause, "still answering: Esc stops it");
	else if (ui->state == STATE_SAVING || ui->send_after != NULL)
		xasprintf(cause, "the last question is not saved yet");
	else if (session_saving(ui->session) > 0)
		xasprintf(cause, "the last answer is still being saved");
	else
		return 0;
	return -1;
}

/*
 * Alt-, (dir -1), Alt-. (dir 1): show the selected message's (else the
 * last answer's) previous or next alternative, with what followed it.
 * 0, or -1 and *cause.
 */
int
rec_alt_step(struct ui *ui, int dir, char **cause)
{
	int64_t	*ids, id, leaf, conv = ui->chat->conv_id;
	size_t	 n, idx, k;
	long	 i;
	int	 rc;

	if (rec_busy(ui, cause) != 0)
		return -1;
	if ((i = rec_target(ui, CHAT_ASSISTANT)) < 0) {
		xasprintf(cause, "no answer yet");
		return -1;
	}
	/*
	 * Nothing selected and the last answer has no alternatives: its
	 * question's, which an edit made (the answer came with it).
	 */
	if (ui->chat->sel < 0 && ui->chat->msgs[i].alt_n < 2 && i > 0 &&
	    ui->chat->msgs[i - 1].role == CHAT_USER &&
	    ui->chat->msgs[i - 1].alt_n > 1)
		i--;
	if (ui->chat->msgs[i].superseded || ui->chat->msgs[i].id == 0 ||
	    conv == 0) {
		xasprintf(cause, "that message is not in the record");
		return -1;
	}
	if (store_msg_alternatives(ui->store, ui->chat->msgs[i].id, &ids, &n,
	    &idx, cause) != 0)
		return -1;
	if (n < 2 || (dir < 0 && idx == 0) || (dir > 0 && idx + 1 >= n)) {
		if (n < 2)
			xasprintf(cause, "this %s has no alternatives (%s)",
			    ui->chat->msgs[i].role == CHAT_USER ? "question" :
			    "answer", ui->chat->msgs[i].role == CHAT_USER ?
			    "/edit makes one" : "/regen makes one");
		else
			xasprintf(cause, "already the %s of %zu alternatives",
			    dir < 0 ? "first" : "last", n);
		free(ids);
		return -1;
	}
	id = ids[dir < 0 ? idx - 1 : idx + 1];
	free(ids);
	rc = store_msg_descend(ui->store, id, &leaf, cause);
	if (rc == 0)
		rc = store_conv_set_leaf(ui->store, conv, leaf, cause);
	if (rc == 0)
		rc = ui_load_conversation(ui, ui->chat, conv, NULL, cause);
	if (rc != 0)
		return -1;
	ui->editing = -1;
	for (k = 0; k < ui->chat->n; k++) {
		if (ui->chat->msgs[k].id == id) {
			chat_select(ui->chat, (long)k);
			ui->chatview.show_sel = 1;
			ui_message(ui, 0, "alternative %d of %d: the "
			    "conversation goes on from this one",
			    ui->chat->msgs[k].alt_i, ui->chat->msgs[k].alt_n);
		}
	}
	ui->dirty = 1;
	return 0;
}

/* Alt-i, /provenance: the selected answer's, else the last answer's. */
int
rec_provenance(struct ui *ui, char **cause)
{
	const struct chat_msg	*m;
	long			 i;

	if ((i = rec_target(ui, CHAT_ASSISTANT)) < 0) {
		xasprintf(cause, "no answer yet");
		return -1;
	}
	m = &ui->chat->msgs[i];
	if (m->role != CHAT_ASSISTANT) {
		xasprintf(cause, "a question is selected: provenance is kept "
		    "for answers (Alt-n selects the next message)");
		return -1;
	}
	if (m->status == CHAT_STREAMING) {
		xasprintf(cause, "the answer is still being written");
		return -1;
	}
	if (m->id == 0) {
		xasprintf(cause, "this answer is not saved%s",
		    m->saving != 0 ? " yet" : "");
		return -1;
	}
	return prov_open(ui, m->id, cause);
}

/*
 * At start: offer to reopen the most recent conversation (Enter at the
 * empty prompt reopens it, Esc or anything typed starts a new one),
 * saying how many unfinished answers an earlier run left.
 */
void
rec_offer(struct ui *ui)
{
	struct store_list_opts	 o;
	struct store_conv	*v;
	size_t			 n;
	char			*cause = NULL, *title, *s;
	int			 ni = store_n_interrupted(ui->store);

	memset(&o, 0, sizeof o);
	o.limit = 1;
	if (store_conv_list(ui->store, &o, &v, &n, &cause) != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		return;
	}
	if (n == 0 || v[0].n_messages == 0) {
		store_convs_free(v, n);
		if (ni > 0)
			ui_message(ui, 0, "%d interrupted answer(s) from an "
			    "earlier run are marked in /history", ni);
		return;
	}
	ui->offer_conv = v[0].id;
	title = v[0].title[0] != '\0' ? v[0].title : "(untitled)";
	if (ni > 0)
		xasprintf(&s, "Last conversation: \"%s\" (%d message%s). %d "
		    "unfinished answer%s from an earlier run %s marked "
		    "interrupted. Enter reopens it; Esc or typing starts a "
		    "new one.", title, v[0].n_messages, v[0].n_messages == 1 ?
		    "" : "s", ni, ni == 1 ? "" : "s", ni == 1 ? "was" :
		    "were");
	else
		xasprintf(&s, "Last conversation: \"%s\" (%d message%s). "
		    "Enter reopens it; Esc or typing starts a new one.", title,
		    v[0].n_messages, v[0].n_messages == 1 ? "" : "s");
	ui_notice(ui, s);
	ui->offer_msg = (long)ui->chat->n - 1;
	free(s);
	ui_message(ui, 0, "Enter reopens the last conversation, Esc starts a "
	    "new one");
	store_convs_free(v, n);
}

/*
 * A key while the offer stands (chat screen): 1 if it answered the
 * offer and is used up, 0 if it goes on to the chat (the offer is
 * withdrawn: a new conversation starts).
 */
int
rec_offer_key(struct ui *ui, int key)
{
	int64_t	 conv = ui->offer_conv;
	char	*cause = NULL;

	if (conv == 0 || UI_KEY_IS_WHEEL(key) || key == KEY_PPAGE ||
	    key == KEY_NPAGE)
		return 0;
	ui->offer_conv = 0;
	if ((key == '\r' || key == '\n' || key == KEY_ENTER) &&
	    input_empty()) {
		if (ui_resume(ui, conv, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
		}
		return 1;
	}
	/* The notice no longer offers what cannot be had by Enter. */
	if (ui->offer_msg >= 0 && (size_t)ui->offer_msg < ui->chat->n &&
	    ui->chat->msgs[ui->offer_msg].role == CHAT_NOTICE)
		chat_set_text(ui->chat, (size_t)ui->offer_msg, "A new "
		    "conversation: the last one is in /history (F4).");
	ui->offer_msg = -1;
	if (key == UI_KEY_ESC) {
		ui_message(ui, 0, "a new conversation");
		return 1;
	}
	return 0;
}
