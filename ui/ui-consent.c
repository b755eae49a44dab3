/*
 * ui-consent.c -- the consent screen: before the chat first talks to a
 * server (an OpenAI-compatible one serving a remote model), the user
 * agrees that conversations will be sent to it.
 *
 * Asked once per origin (scheme, host and port: backend_origin), the
 * agreement recorded in the store (store_consent_record, method "tui"),
 * as the advisory's acknowledgement is.  It opens for an endpoint about
 * to be connected (ui_load_endpoint: nothing, not even the list of
 * models, is asked of the server before "yes"), or for the loaded remote
 * model when its server has no consent on record (ui_send's gate).  The
 * user types "yes" and Enter -- a stray key cannot agree -- once the
 * whole text has been on the screen; Esc (or C-c) declines: the
 * endpoint is not connected and the model loaded stays, or a loaded
 * model without consent is left for the one before it (ui_go_back), or
 * the model menu opens when there is none.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curses.h>

#include "backend.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

/* The screen's state. */
struct consent {
	struct ui_endpoint *pending;	/* to connect on "yes"; NULL: the
					   loaded model's server */
	char		*origin;	/* what is agreed to */
	char		*url;
	char		*host;
	char		*text;		/* the explanation, built at open */
	struct wrap	 wrap;		/* text at COLS - 4 */
	size_t		 top;
	struct buf	 field;		/* what was typed */
	int		 seen_end;	/* the text's last line was drawn */
};

static void	 consent_free(void *);
static void	 consent_resize(struct ui *, void *);
static void	 consent_draw(struct ui *, void *);
static int	 consent_key(struct ui *, void *, int);
static void	 consent_accept(struct ui *, struct consent *);
static void	 consent_decline(struct ui *, struct consent *);

const struct ui_screen_ops ui_screen_consent = {
	"consent", sizeof(struct consent), NULL, consent_free,
	consent_resize, consent_draw, consent_key, NULL, NULL, 0
};

static const char	*consent_phrase = "yes";

/* 1 if the loaded model is remote and its server has no consent. */
int
consent_needed(struct ui *ui)
{
	if (ui->model == NULL || !ui->model->remote)
		return 0;
	return !ui_consent_given(ui, ui->model->origin);
}

/*
 * Ask for pending (taken; connected on "yes"), or with NULL for the
 * loaded remote model's server.
 */
void
consent_open(struct ui *ui, struct ui_endpoint *pending)
{
	struct consent	*c;
	struct buf	 b = BUF_INIT;
	const char	*url, *origin, *host;
	char		*shown, *safe;

	if (pending != NULL) {
		url = pending->url;
		origin = pending->origin;
		host = pending->host;
		shown = backend_display_name(pending->name, pending->host,
		    pending->model != NULL ? pending->model :
		    "the first model it serves");
	} else if (ui->model != NULL && ui->model->remote) {
		url = ui->model->url;
		origin = ui->model->origin;
		host = ui->model->host;
		shown = xstrdup(ui->model->file_name);
	} else
		return;
	c = ui_screen_open(ui, &ui_screen_consent);
	c->pending = pending;
	c->origin = xstrdup(origin);
	c->url = xstrdup(url);
	c->host = xstrdup(host);
	/* Names from a settings file or a server: shown, never obeyed. */
	safe = utf8_printable(shown);
	buf_printf(&b, "You chose a model that a server serves:\n\n    %s\n"
	    "    at ", safe);
	free(safe);
	free(shown);
	safe = utf8_printable(url);
	buf_printf(&b, "%s\n\n", safe);
	free(safe);
	safe = utf8_printable(host);
	buf_printf(&b, "While it is loaded, everything you send -- your "
	    "questions, the system message and the conversation so far -- "
	    "goes over the network to %s, and the answers come back from "
	    "it.  Whoever runs that server can read, keep and log what it "
	    "gets.\n\n", safe);
	if (strncasecmp(origin, "https:", 6) == 0)
		buf_puts(&b, "The connection is encrypted (https) and the "
		    "server's certificate is checked.\n\n");
	else
		buf_puts(&b, "The connection is plain http, not encrypted: "
		    "anyone on the network path can read it too.  Beyond "
		    "this machine or a tunnel you trust (ssh -L), prefer "
		    "https.\n\n");
	buf_puts(&b, "Health information is sensitive: send it only to a "
	    "server that you or your organisation run and may use for such "
	    "data.\n\n");
	free(safe);
	safe = utf8_printable(origin);
	buf_printf(&b, "This is asked once for %s (every model it serves) "
	    "and your answer is recorded in the conversation database.  "
	    "No conversation has been sent to it yet.\n", safe);
	free(safe);
	c->text = buf_detach(&b);
	consent_resize(ui, c);
}

static void
consent_free(void *data)
{
	struct consent	*c = data;

	ui_endpoint_free(c->pending);
	free(c->origin);
	free(c->url);
	free(c->host);
	free(c->text);
	wrap_free(&c->wrap);
	buf_free(&c->field);
}

static void
consent_resize(struct ui *ui, void *data)
{
	struct consent	*c = data;

	(void)ui;
	wrap_clear(&c->wrap);
	if (c->text != NULL)
		wrap_text(&c->wrap, c->text, strlen(c->text), COLS - 4);
}

static void
consent_draw(struct ui *ui, void *data)
{
	struct consent	*c = data;
	char		*title;
	size_t		 i, max;
	int		 height;

	xasprintf(&title, " Send conversations to %s? ", c->host);
	ui_fill(ui, 0, UA_STATUS);
	ui_draw_str(ui, 0, 0, title, COLS, UA_STATUS);
	free(title);
	height = LINES - 5;
	max = c->wrap.n > (size_t)height ? c->wrap.n - (size_t)height : 0;
	if (c->top > max)
		c->top = max;
	attrset(ui->attrs[UA_DIM]);
	mvhline(1, 0, ACS_HLINE, COLS);
	mvhline(LINES - 3, 0, ACS_HLINE, COLS);
	attrset(A_NORMAL);
	for (i = 0; i < (size_t)height && c->top + i < c->wrap.n; i++)
		ui_draw_text(ui, 2 + (int)i, 2, c->text +
		    c->wrap.lines[c->top + i].off,
		    c->wrap.lines[c->top + i].len, COLS - 4, UA_TEXT);
	if (height > 0 && c->top + (size_t)height >= c->wrap.n)
		c->seen_end = 1;
	if (max > 0)
		ui_draw_str(ui, LINES - 3, COLS - 22, c->top < max ?
		    " PgDn: more below " : " end of text ", 20, UA_DIM);
	ui_draw_str(ui, LINES - 2, 0, "Type \"yes\" and press Enter to send "
	    "conversations there; Esc keeps them on this computer.", COLS,
	    UA_TITLE);
	ui_draw_str(ui, LINES - 1, 0, "> ", 2, UA_USER);
	ui_draw_text(ui, LINES - 1, 2, buf_str(&c->field), c->field.len,
	    COLS - 3, UA_TEXT);
	if (ui->msg != NULL)
		ui_draw_str(ui, LINES - 1, COLS / 2, ui->msg,
		    COLS - COLS / 2, UA_ERROR);
	move(LINES - 1, 2 + (int)utf8_width(buf_str(&c->field),
	    c->field.len));
	curs_set(1);
}

/* "yes": record it, then connect (or go on with the loaded model). */
static void
consent_accept(struct ui *ui, struct consent *c)
{
	struct ui_endpoint	*e;
	char			*cause = NULL, *host;

	if (store_consent_record(ui->store, c->origin, c->url, "tui",
	    &cause) != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		return;
	}
	(void)ui_consent_given(ui, c->origin);	/* remembered */
	e = c->pending;
	c->pending = NULL;
	host = xstrdup(c->host);
	ui_screen_home(ui);		/* c is gone */
	free(ui->msg);
	ui->msg = NULL;
	ui_message(ui, 0, "consent recorded: conversations go to %s", host);
	free(host);
	if (e != NULL)
		ui_connect(ui, e);
}

/* Esc: nothing is sent; see the top of the file for where it goes. */
static void
consent_decline(struct ui *ui, struct consent *c)
{
	struct ui_endpoint	*e;
	char			*host;

	e = c->pending;
	c->pending = NULL;
	host = xstrdup(c->host);
	ui_screen_home(ui);		/* c is gone */
	if (e == NULL && ui_go_back(ui, "consent")) {
		free(host);
		return;
	}
	ui_endpoint_free(e);
	if (ui->model != NULL && (e != NULL || !ui->model->remote))
		ui_message(ui, 0, "not connected to %s: no conversation was "
		    "sent; still using %s", host, ui->model->file_name);
	else {
		ui_screen_open(ui, &ui_screen_models);
		ui_message(ui, 0, "not connected to %s: no conversation was "
		    "sent; pick a model", host);
	}
	free(host);
}

static int
consent_key(struct ui *ui, void *data, int key)
{
	struct consent	*c = data;
	char		 b[4];
	uint32_t	 cp;
	int		 l, height = LINES - 5;
	size_t		 len;

	ui->dirty = 1;
	switch (key) {
	case KEY_UP:
		if (c->top > 0)
			c->top--;
		return 1;
	case KEY_DOWN:
		c->top++;
		return 1;
	case KEY_PPAGE:
		c->top = c->top > (size_t)height ? c->top - (size_t)height : 0;
		return 1;
	case KEY_NPAGE:
		c->top += (size_t)height;
		return 1;
	case KEY_HOME:
		c->top = 0;
		return 1;
	case KEY_END:
		c->top = (size_t)-1 / 2;
		return 1;
	case UI_KEY_ESC:
	case 3:
		consent_decline(ui, c);
		return 1;
	case '\r':
	case '\n':
	case KEY_ENTER:
		len = c->field.len;
		if (len != strlen(consent_phrase) || strncasecmp(buf_str(
		    &c->field), consent_phrase, len) != 0) {
			buf_clear(&c->field);
			ui_message(ui, 1, "type yes (then Enter), or Esc");
			return 1;
		}
		if (!c->seen_end) {
			ui_message(ui, 1, "read to the end first (PgDn, End)");
			return 1;
		}
		consent_accept(ui, c);
		return 1;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		len = c->field.len;
		while (len > 0 && (c->field.data[len - 1] & 0xC0) == 0x80)
			len--;
		if (len > 0)
			len--;
		buf_truncate(&c->field, len);
		return 1;
	case 21:	/* C-u */
		buf_clear(&c->field);
		return 1;
	}
	if (ui_key_cp(ui, key, &cp) && cp > 0x20 && c->field.len < 16) {
		free(ui->msg);
		ui->msg = NULL;
		if ((l = utf8_encode(cp, b)) > 0)
			buf_append(&c->field, b, (size_t)l);
	}
	return 1;
}
