/*
 * ui-chat.c -- the chat screen: transcript view, status bar, message
 * line and input rows.
 *
 * A struct tview turns a struct chat into display lines (role headers,
 * word-wrapped bodies, blank separators) for one width; it is rebuilt
 * only when chat->gen or the width changed, so drawing a frame costs the
 * visible rows only.  Bodies go through markdown_render() first
 * (emphasis, code spans, headings, tables laid out for the width, links,
 * quotes and strike-through for answers, fences for every role)
 * and are wrapped as shown, markers removed; each line keeps a pointer to
 * the style bytes of its text, so emphasis carries over wrapped lines.
 * Scrolling keeps `top` (first visible line) and `follow` (stick to the
 * bottom while text streams in); follow is set again whenever the view
 * is scrolled back to the bottom.
 *
 * Layout, top to bottom: transcript, status bar, message line, input
 * (1..8 rows as the text grows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

static void	 tview_push(struct tview *, const char *,
		     const unsigned char *, size_t, int, int);
static const char *tview_head(struct tview *, const char *);
static void	 tview_reset(struct tview *);
static const struct markdown *tview_render(struct tview *, size_t,
		     const char *, size_t, unsigned, int, int);
static void	 tview_body(struct tview *, struct wrap *,
		     const struct markdown *, int, int);
static void	 tview_cause(struct tview *, struct wrap *,
		     const struct chat_msg *, int);
static int	 tview_show(struct tview *, long, int);
static void	 chat_draw(struct ui *, void *);
static int	 chat_key(struct ui *, void *, int);
static int	 chat_record_key(struct ui *, int);

/* The chat has no state of its own: the conversation is ui->chat. */
const struct ui_screen_ops ui_screen_chat = {
	.name = "chat", .draw = chat_draw, .key = chat_key, .wheel = 1
};

void
tview_free(struct tview *v)
{
	size_t	i;

	tview_reset(v);
	for (i = 0; i < v->nmds; i++)
		markdown_free(&v->mds[i]);
	free(v->mds);
	free(v->mdgen);
	free(v->mdflags);
	v->mds = NULL;
	v->mdgen = NULL;
	v->mdflags = NULL;
	v->nmds = 0;
}

/* Drop the lines and headers; keep the renderings for reuse. */
static void
tview_reset(struct tview *v)
{
	xfreev(v->heads, v->nheads);
	free(v->lines);
	v->heads = NULL;
	v->lines = NULL;
	v->n = v->cap = v->nheads = 0;
}

/*
 * The rendering of message i (text s[0..len), generation gen) with
 * flags for width columns (tables): the cached one if none changed.
 * Valid until the next call for the same i or tview_free.
 */
static const struct markdown *
tview_render(struct tview *v, size_t i, const char *s, size_t len,
    unsigned gen, int flags, int width)
{
	size_t	k;

	if (i >= v->nmds) {
		k = v->nmds;
		v->nmds = i + 1 > 2 * v->nmds ? i + 1 : 2 * v->nmds;
		v->mds = xreallocarray(v->mds, v->nmds, sizeof *v->mds);
		v->mdgen = xreallocarray(v->mdgen, v->nmds,
		    sizeof *v->mdgen);
		v->mdflags = xreallocarray(v->mdflags, v->nmds,
		    sizeof *v->mdflags);
		for (; k < v->nmds; k++) {
			memset(&v->mds[k], 0, sizeof v->mds[k]);
			v->mdgen[k] = 0;
			v->mdflags[k] = -1;
		}
	}
	if (v->mdgen[i] != gen || v->mdflags[i] != flags ||
	    v->mds[i].width != width) {
		markdown_render(&v->mds[i], s, len, flags, width);
		v->mdgen[i] = gen;
		v->mdflags[i] = flags;
	}
	return &v->mds[i];
}

static void
tview_push(struct tview *v, const char *text, const unsigned char *style,
    size_t len, int attr, int indent)
{
	if (v->n == v->cap) {
		v->cap = v->cap == 0 ? 256 : v->cap * 2;
		v->lines = xreallocarray(v->lines, v->cap, sizeof *v->lines);
	}
	v->lines[v->n].text = text;
	v->lines[v->n].style = style;
	v->lines[v->n].len = len;
	v->lines[v->n].attr = attr;
	v->lines[v->n].indent = indent;
	v->lines[v->n].msg = v->at_msg;
	v->n++;
}

/* Keep a header string alive until the next rebuild. */
static const char *
tview_head(struct tview *v, const char *s)
{
	v->heads = xreallocarray(v->heads, v->nheads + 1, sizeof *v->heads);
	v->heads[v->nheads] = xstrdup(s);
	return v->heads[v->nheads++];
}

/*
 * Markdown-ish body from its rendering md (see tview_render): each shown
 * line is wrapped on its own; list items get a hanging indent under
 * their text; code-block lines are drawn in the code colour.  The lines
 * point into md.
 */
static void
tview_body(struct tview *v, struct wrap *wr, const struct markdown *md,
    int width, int body)
{
	const struct markdown_line	*ml;
	const char			*s;
	const unsigned char		*st;
	size_t				 i, k;
	int				 code, hang, w, attr;

	w = width > 4 ? width - 2 : 2;
	for (i = 0; i < md->nlines; i++) {
		ml = &md->lines[i];
		s = md->text.data + ml->off;
		st = md->style + ml->off;
		code = (ml->flags & MD_BLOCK) != 0;
		hang = code || (ml->flags & MD_TABLE) ? 0 :
		    ml->hang + markdown_bullet(s, ml->len, 3, 0);
		if (hang > w / 2)
			hang = 0;
		attr = code && body == UA_TEXT ? UA_SYSTEM : body;
		wrap_clear(wr);
		wrap_text(wr, s, ml->len, w - hang);
		for (k = 0; k < wr->n; k++)
			tview_push(v, s + wr->lines[k].off,
			    st + wr->lines[k].off, wr->lines[k].len, attr,
			    k == 0 ? 2 : 2 + hang);
	}
}

/*
 * The one-line cause of a failed or cut-off answer (the engine's or the
 * server's words), wrapped under its text in the error colour.
 */
static void
tview_cause(struct tview *v, struct wrap *wr, const struct chat_msg *m,
    int width)
{
	const char	*h;
	char		*line;
	size_t		 k;
	int		 w;

	xasprintf(&line, "%s: %s", m->status == CHAT_INTERRUPTED ?
	    "interrupted" : m->status == CHAT_STOPPED ? "stopped" : "error",
	    m->error);
	h = tview_head(v, line);
	free(line);
	w = width > 4 ? width - 2 : 2;
	wrap_clear(wr);
	wrap_text(wr, h, strlen(h), w);
	for (k = 0; k < wr->n; k++)
		tview_push(v, h + wr->lines[k].off, NULL, wr->lines[k].len,
		    UA_ERROR, 2);
}

/* Rebuild the lines of v from c if the chat or the width changed. */
void
tview_build(struct ui *ui, struct tview *v, struct chat *c, int width)
{
	struct wrap		 wr = WRAP_INIT;
	const struct chat_msg	*m;
	const char		*h, *st, *s;
	char			*head, *sys;
	size_t			 i, k, len;
	int			 attr, body, mdflags;

	(void)ui;
	if (v->lines != NULL && v->gen == c->gen && v->width == width)
		return;
	tview_reset(v);
	v->gen = c->gen;
	v->width = width;
	v->at_msg = -1;
	if (c->system[0] != '\0') {
		/* One row, ending at a word: the editor (F2) shows it all. */
		sys = ui_fit_line(c->system, width - 8);
		xasprintf(&head, "system: %s", sys);
		free(sys);
		h = tview_head(v, head);
		free(head);
		tview_push(v, h, NULL, strlen(h), UA_SYSTEM, 0);
		tview_push(v, "", NULL, 0, UA_TEXT, 0);
	}
	for (i = 0; i < c->n; i++) {
		m = &c->msgs[i];
		v->at_msg = (long)i;
		body = m->superseded || m->outside ? UA_DIM : UA_TEXT;
		if (m->role == CHAT_NOTICE) {
			wrap_clear(&wr);
			wrap_text(&wr, m->text.data != NULL ? m->text.data : "",
			    m->text.len, width);
			for (k = 0; k < wr.n; k++)
				tview_push(v, m->text.data + wr.lines[k].off,
				    NULL, wr.lines[k].len, UA_NOTICE, 0);
			tview_push(v, "", NULL, 0, UA_TEXT, 0);
			continue;
		}
		switch (m->status) {
		case CHAT_STREAMING:
			st = " ...";
			break;
		case CHAT_STOPPED:
			st = " [stopped]";
			break;
		case CHAT_INTERRUPTED:
			st = " [interrupted]";
			break;
		case CHAT_FAILED:
			st = " [failed]";
			break;
		case CHAT_SAVING:
			st = " [saving the question...]";
			break;
		case CHAT_UNSAVED:
			st = " [not saved]";
			break;
		default:
			st = "";
			break;
		}
		if (m->role == CHAT_USER) {
			attr = UA_USER;
			xasprintf(&head, "You%s%s", st,
			    m->superseded ? " (edited away)" : "");
		} else {
			attr = UA_ASSISTANT;
			xasprintf(&head, "Assistant%s%s%s%s",
			    m->model != NULL ? " (" : "",
			    m->model != NULL ? m->model : "",
			    m->model != NULL ? ")" : "", st);
			if (m->superseded) {
				h = head;
				xasprintf(&head, "%s (replaced, kept as an "
				    "alternative)", h);
				free((char *)h);
			}
		}
		if (m->alt_n > 1) {
			/* Where the other alternatives are: Alt-, Alt-. */
			h = head;
			xasprintf(&head, "%s %s %d/%d %s", h, ui->utf8 ?
			    "\xe2\x80\xb9" : "<", m->alt_i, m->alt_n,
			    ui->utf8 ? "\xe2\x80\xba" : ">");
			free((char *)h);
		}
		if (m->outside) {
			h = head;
			xasprintf(&head, "%s [not in the model's context]", h);
			free((char *)h);
		}
		if (m->superseded || m->outside)
			attr = UA_DIM;
		if ((long)i == c->sel)
			attr = UA_SELECTED;
		h = tview_head(v, head);
		free(head);
		tview_push(v, h, NULL, strlen(h), attr, 0);
		wrap_clear(&wr);
		mdflags = 0;
		if (m->role == CHAT_ASSISTANT)
			mdflags |= MARKDOWN_INLINE;
		if (m->status == CHAT_STREAMING)
			mdflags |= MARKDOWN_PARTIAL;
		/* Answers: emphasis, code, headings; streaming: partial. */
		s = m->text.data;
		len = m->text.len;
		/* An answer's leading space (a word marker) is not shown. */
		if (m->role == CHAT_ASSISTANT && len > 0 && *s == ' ') {
			s++;
			len--;
		}
		if (len > 0)
			tview_body(v, &wr, tview_render(v, i, s, len, m->gen,
			    mdflags, width > 4 ? width - 2 : 2), width, body);
		/* The cause, under what arrived: "interrupted: ...". */
		if (m->error != NULL && m->role == CHAT_ASSISTANT)
			tview_cause(v, &wr, m, width);
		tview_push(v, "", NULL, 0, UA_TEXT, 0);
	}
	v->at_msg = -1;
	wrap_free(&wr);
}

/*
 * Scroll v (height rows) so that message sel's first line is shown, if
 * it is not; 1 if v scrolled.
 */
static int
tview_show(struct tview *v, long sel, int height)
{
	size_t	i, max;

	max = v->n > (size_t)height ? v->n - (size_t)height : 0;
	if (v->follow)
		v->top = max;
	for (i = 0; i < v->n && v->lines[i].msg != sel; i++)
		continue;
	if (i == v->n || (i >= v->top && i < v->top + (size_t)height))
		return 0;
	v->top = i > max ? max : i;
	v->follow = v->top >= max;
	return 1;
}

/* Draw rows [y, y+height) of the view. */
void
tview_draw(struct ui *ui, struct tview *v, int y, int height, int width)
{
	size_t	i, max;

	max = v->n > (size_t)height ? v->n - (size_t)height : 0;
	if (v->follow || v->top > max)
		v->top = max;
	if (v->top >= max)
		v->follow = 1;
	for (i = 0; i < (size_t)height && v->top + i < v->n; i++) {
		const struct tview_line *l = &v->lines[v->top + i];

		ui_draw_styled(ui, y + (int)i, l->indent, l->text, l->style,
		    l->len, width - l->indent, l->attr);
	}
}

/* Scrolling keys; 1 if handled. */
int
tview_key(struct tview *v, int key, int height)
{
	size_t	max, step;

	max = v->n > (size_t)height ? v->n - (size_t)height : 0;
	step = height > 2 ? (size_t)height - 1 : 1;
	if (v->follow)
		v->top = max;
	switch (key) {
	case KEY_PPAGE:
		v->top = v->top > step ? v->top - step : 0;
		break;
	case KEY_NPAGE:
		v->top += step;
		break;
	case KEY_HOME:
		v->top = 0;
		break;
	case KEY_END:
		v->top = max;
		break;
	case UI_KEY_WHEEL_UP:
		v->top = v->top > 3 ? v->top - 3 : 0;
		break;
	case UI_KEY_WHEEL_DOWN:
		v->top += 3;
		break;
	default:
		return 0;
	}
	if (v->top >= max) {
		v->top = max;
		v->follow = 1;
	} else
		v->follow = 0;
	return 1;
}

/* The status bar at row y. */
void
status_draw(struct ui *ui, int y)
{
	struct buf	 b = BUF_INIT, rest = BUF_INIT, figs = BUF_INIT;
	const char	*marker, *tmpl = NULL;
	char		*name, *fit;
	size_t		 l;
	int		 mw, room;

	ui_fill(ui, y, UA_STATUS);
	switch (ui->state) {
	case STATE_NOMODEL:
		buf_puts(&b, " no model");
		break;
	case STATE_LOADING:
		if (ui->load_ep != NULL)
			buf_printf(&b, " connecting to %s...",
			    ui->load_ep->host);
		else
			buf_printf(&b, " %s %d%%", ui->hashing ? "checksum" :
			    "loading", (int)(ui->load_frac * 100));
		break;
	case STATE_READY:
		buf_puts(&b, " ready");
		break;
	case STATE_GENERATING:
		buf_puts(&b, " generating");
		break;
	case STATE_STOPPED:
		buf_puts(&b, " stopped");
		break;
	case STATE_SAVING:
		buf_puts(&b, " saving");
		break;
	}
	/* Why the wheel does nothing and the mouse selects text. */
	if (ui->mouse_off)
		buf_puts(&b, " | mouse off");
	/* A measurement slows the answers down: say that one runs. */
	measure_status(ui, &b);
	marker = COLS >= 60 ? " NOT FOR CLINICAL USE " : " NOT CLINICAL ";
	mw = (int)strlen(marker);
	/*
	 * The state, where text goes and the figures come first; the
	 * model's name gets what is left and loses its middle (then the
	 * template goes) rather than cutting the ctx or tok/s figures.
	 */
	if (ui->model != NULL && ui->model->remote) {
		/*
		 * "remote lab | meditron-70b | ...": first, so that even a
		 * narrow bar says that text leaves the machine.  The
		 * template is the endpoint's (a remote ignores /template).
		 */
		buf_printf(&b, " | remote %s | ",
		    ui->model->endpoint[0] != '\0' ? ui->model->endpoint :
		    ui->model->host);
		name = xstrdup(ui->model->model_id);
		tmpl = ui->model->template_name;
		buf_printf(&figs, " | ctx %d", ui->ctx_used);
		if (ui->model->n_ctx > 0)
			buf_printf(&figs, "/%d", ui->model->n_ctx);
	} else if (ui->model != NULL) {
		buf_puts(&b, " | ");
		name = xstrdup(ui->model->file_name);
		l = strlen(name);
		if (l > 5 && strcmp(name + l - 5, ".gguf") == 0)
			name[l - 5] = '\0';
		tmpl = ui->template_name != NULL ? ui->template_name :
		    ui->model->template_name;
		buf_printf(&rest, " %s", ui->model->quant);
		buf_printf(&figs, " | ctx %d/%d", ui->ctx_used,
		    ui->model->n_ctx);
	} else
		name = NULL;
	if (name != NULL) {
		if (ui->state == STATE_GENERATING || ui->tps > 0)
			buf_printf(&figs, " | %.1f tok/s", ui->tps);
		room = COLS - mw - 1 - (int)utf8_width(b.data, b.len) -
		    (int)utf8_width(rest.data, rest.len) -
		    (int)utf8_width(figs.data, figs.len);
		/* Without the template when the name would be under 12. */
		if (room - 3 - (int)strlen(tmpl) >= 12 ||
		    room - 3 - (int)strlen(tmpl) >=
		    (int)utf8_width(name, strlen(name))) {
			buf_printf(&rest, " | %s", tmpl);
			room -= 3 + (int)strlen(tmpl);
		}
		fit = ui_fit_name(ui, name, room);
		buf_puts(&b, fit);
		buf_append(&b, rest.data, rest.len);
		buf_append(&b, figs.data, figs.len);
		free(fit);
		free(name);
	}
	buf_free(&rest);
	buf_free(&figs);
	ui_draw_text(ui, y, 0, b.data, b.len, COLS - mw - 1, UA_STATUS);
	ui_draw_str(ui, y, COLS - mw, marker, mw, UA_MARKER);
	buf_free(&b);
}

static void
chat_draw(struct ui *ui, void *data)
{
	int		 inrows, maxin, ty, cy, cx, mrows = 1;
	const char	*hint, *msg = NULL;

	(void)data;
	maxin = LINES / 3;
	if (maxin > 8)
		maxin = 8;
	if (maxin < 1)
		maxin = 1;
	inrows = input_rows(COLS, maxin);
	/*
	 * A message wider than the screen wraps (up to three rows, taken
	 * from the transcript) rather than losing its end.
	 */
	if (ui->msg != NULL && (ui->msg_error || ui->conf_msg == NULL))
		msg = ui->msg;
	else if (ui->conf_msg != NULL)
		msg = ui->conf_msg;
	if (msg != NULL)
		mrows = ui_fit_rows(msg, COLS, LINES >= 16 ? 3 : 1);
	ty = LINES - inrows - 1 - mrows;
	tview_build(ui, &ui->chatview, ui->chat, COLS);
	if (ui->chatview.show_sel) {
		ui->chatview.show_sel = 0;
		if (ui->chat->sel >= 0)
			tview_show(&ui->chatview, ui->chat->sel, ty);
	}
	tview_draw(ui, &ui->chatview, 0, ty, COLS);
	status_draw(ui, ty);
	if (msg != NULL)
		ui_fit_draw(ui, ty + 1, mrows, msg, msg == ui->msg &&
		    !ui->msg_error ? UA_TEXT : UA_ERROR);
	else {
		if (ui->state == STATE_GENERATING)
			hint = "Esc or C-c stops the answer; typing goes on";
		else if (ui->state == STATE_SAVING)
			hint = "the database is locked by another process: "
			    "the question is saved, then answered, once it "
			    "is free; Esc gives up";
		else if (ui->send_after != NULL)
			hint = "a question is sent once the last answer is "
			    "saved (the database is locked by another "
			    "process)";
		else if (!ui->chatview.follow)
			hint = "scrolled back: End or PgDn returns to the "
			    "bottom";
		else
			hint = "Enter sends, Alt-Enter new line, F1 help, "
			    "C-d quits";
		ui_draw_str(ui, ty + 1, 0, hint, COLS, UA_DIM);
	}
	input_draw(ui, ty + 1 + mrows, inrows, COLS, &cy, &cx);
	move(cy, cx);
	curs_set(1);
}

/* The keys of ui-record.c; 1 if key was one. */
static int
chat_record_key(struct ui *ui, int key)
{
	char	*cause = NULL;
	int	 rc;

	switch (key) {
	case UI_KEY_META | 'p':
		rec_select(ui, -1);
		return 1;
	case UI_KEY_META | 'n':
		rec_select(ui, 1);
		return 1;
	case UI_KEY_META | ',':
		rc = rec_alt_step(ui, -1, &cause);
		break;
	case UI_KEY_META | '.':
		rc = rec_alt_step(ui, 1, &cause);
		break;
	case UI_KEY_META | 'i':
		rc = rec_provenance(ui, &cause);
		break;
	default:
		return 0;
	}
	if (rc != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
	}
	return 1;
}

static int
chat_key(struct ui *ui, void *data, int key)
{
	const struct ui_key	*k;
	int			 height, armed;

	(void)data;
	height = LINES - 3;
	if (!UI_KEY_IS_WHEEL(key)) {
		free(ui->msg);
		ui->msg = NULL;
		free(ui->conf_msg);
		ui->conf_msg = NULL;
	}
	ui->dirty = 1;
	/*
	 * C-c stops an answer, gives up a question waiting for the
	 * database, or clears the input; only at an idle, empty prompt
	 * does it quit, and then only the second one in a row, so a
	 * C-c meant for an answer that has just ended does not quit.
	 */
	armed = ui->quit_armed;
	ui->quit_armed = 0;
	if (key == 3) {				/* C-c */
		if (ui->state == STATE_GENERATING) {
			worker_cancel(ui->worker);
			ui_message(ui, 0, "stopping");
		} else if (ui->state == STATE_SAVING)
			ui_ask_drop(ui, NULL);
		else if (!input_empty()) {
			input_clear();
			ui->editing = -1;
		} else if (armed)
			ui->quit = 1;
		else {
			ui->quit_armed = 1;
			ui_message(ui, 0, "press C-c again to quit (or C-d, "
			    "or /quit)");
		}
		return 1;
	}
	if (key == UI_KEY_ESC && ui->state == STATE_GENERATING) {
		worker_cancel(ui->worker);
		ui_message(ui, 0, "stopping");
		return 1;
	}
	if (key == UI_KEY_ESC && ui->state == STATE_LOADING &&
	    ui->load_ep != NULL) {
		/* A server that does not answer: give up at once. */
		worker_cancel(ui->worker);
		ui_message(ui, 0, "giving up connecting");
		return 1;
	}
	if (key == UI_KEY_ESC && ui->state == STATE_SAVING) {
		ui_ask_drop(ui, NULL);
		return 1;
	}
	if (rec_offer_key(ui, key))
		return 1;
	if (key == UI_KEY_ESC && ui->chat->sel >= 0) {
		chat_select(ui->chat, -1);
		ui_message(ui, 0, "selection left");
		return 1;
	}
	if (chat_record_key(ui, key))
		return 1;
	for (k = ui_key_table(); k->key != NULL; k++) {
		if (k->code == key && k->command != NULL &&
		    strcmp(k->context, "chat") == 0) {
			ui_run_command(ui, k->command);
			return 1;
		}
	}
	if (key == KEY_PPAGE || key == KEY_NPAGE || UI_KEY_IS_WHEEL(key) ||
	    ((key == KEY_HOME || key == KEY_END) && input_empty()))
		return tview_key(&ui->chatview, key, height);
	input_feed(key);
	return 1;
}
