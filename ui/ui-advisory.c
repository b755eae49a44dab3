/*
 * ui-advisory.c -- the model-risk advisory screen.
 *
 * Shown before the first answer of each model whose (advisory version,
 * model sha256) has no acknowledgement in the store, and on /advisory.
 * A remote model stands in by its key (store_remote_key of its base URL
 * and model id, in ui->model_sha) and is recorded with
 * store_ack_record_remote.
 * When required, the chat cannot be reached until the user types "I
 * understand" and presses Enter (recorded with store_ack_record, method
 * "tui").  Esc declines: after a switch of models it goes back to the
 * model loaded before (ui_go_back: the file or remote model loaded again,
 * as the worker holds one model, and the one it had is already
 * acknowledged), otherwise it quits.
 * A wrong phrase is cleared from the field.  The text scrolls in a box;
 * the phrase is taken only once the text's last line has been drawn, so
 * an acknowledgement means the whole text was on the screen (a terminal
 * that cannot show it is refused at start, ui_draw_term_ok).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curses.h>

#include "advisory.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

/* The screen's state. */
struct advisory {
	int		 required;	/* cannot be dismissed */
	size_t		 top;		/* first row shown */
	struct buf	 field;		/* what was typed */
	struct wrap	 wrap;		/* the text at COLS - 4 */
	int		 seen_end;	/* its last line was drawn (and so
					   shown: ui.c refreshes after
					   every draw) */
};

static void	 advisory_free(void *);
static void	 advisory_resize(struct ui *, void *);
static void	 advisory_draw(struct ui *, void *);
static int	 advisory_key(struct ui *, void *, int);
static int	 advisory_match(const char *);

/* The text is wrapped when the screen opens and at each resize. */
const struct ui_screen_ops ui_screen_advisory = {
	"advisory", sizeof(struct advisory), advisory_resize, advisory_free,
	advisory_resize, advisory_draw, advisory_key, NULL, NULL, 0
};

static const char	*adv_phrase = "I understand";
static char		 adv_ok_sha[65];	/* last model found acknowledged */

/* 1 if the loaded model still needs an acknowledgement. */
int
advisory_needed(struct ui *ui)
{
	char	*cause = NULL;
	int	 rv;

	if (ui->model == NULL)
		return 0;
	if (ui->model_sha[0] != '\0' && strcmp(adv_ok_sha, ui->model_sha) == 0)
		return 0;
	rv = store_ack_check(ui->store, ui->model_sha[0] != '\0' ?
	    ui->model_sha : "", NULL, &cause);
	if (rv < 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		return 1;
	}
	if (rv == 1) {
		memcpy(adv_ok_sha, ui->model_sha, sizeof adv_ok_sha);
		return 0;
	}
	return 1;
}

/* Open the screen over the current one. */
void
advisory_open(struct ui *ui, int required)
{
	struct advisory	*adv;

	adv = ui_screen_open(ui, &ui_screen_advisory);
	adv->required = required;
}

static void
advisory_free(void *data)
{
	struct advisory	*adv = data;

	buf_free(&adv->field);
	wrap_free(&adv->wrap);
}

/* Wrap the text to the new width. */
static void
advisory_resize(struct ui *ui, void *data)
{
	struct advisory	*adv = data;
	const char	*text = advisory_text();

	(void)ui;
	wrap_clear(&adv->wrap);
	wrap_text(&adv->wrap, text, strlen(text), COLS - 4);
}

static void
advisory_draw(struct ui *ui, void *data)
{
	struct advisory	*adv = data;
	const char	*text = advisory_text();
	char		*title, *name;
	size_t		 i, max;
	int		 height, y, w;

	/* Which file is acknowledged: its name, shortened in the middle. */
	xasprintf(&title, " Model-risk advisory (version %s)",
	    advisory_version());
	ui_fill(ui, 0, UA_STATUS);
	w = ui_draw_str(ui, 0, 0, title, COLS, UA_STATUS);
	free(title);
	if (ui->model != NULL && COLS - w - 5 >= 8) {
		name = ui_fit_name(ui, ui->model->file_name, COLS - w - 5);
		xasprintf(&title, " for %s", name);
		ui_draw_str(ui, 0, w, title, COLS - w, UA_STATUS);
		free(title);
		free(name);
	}
	w = COLS - 4;
	height = LINES - 5;
	max = adv->wrap.n > (size_t)height ?
	    adv->wrap.n - (size_t)height : 0;
	if (adv->top > max)
		adv->top = max;
	attrset(ui->attrs[UA_DIM]);
	mvhline(1, 0, ACS_HLINE, COLS);
	mvhline(LINES - 3, 0, ACS_HLINE, COLS);
	attrset(A_NORMAL);
	for (i = 0; i < (size_t)height && adv->top + i <
	    adv->wrap.n; i++) {
		y = 2 + (int)i;
		ui_draw_text(ui, y, 2, text + adv->wrap.lines[adv->top +
		    i].off, adv->wrap.lines[adv->top + i].len, w,
		    UA_TEXT);
	}
	if (height > 0 && adv->top + (size_t)height >= adv->wrap.n)
		adv->seen_end = 1;
	if (max > 0) {
		ui_draw_str(ui, LINES - 3, COLS - 22, adv->top < max ?
		    " PgDn: more below " : " end of text ", 20, UA_DIM);
	}
	if (adv->required) {
		ui_draw_str(ui, LINES - 2, 0, "Read to the end, type \"I "
		    "understand\" and press Enter to accept; Esc declines.", COLS,
		    UA_TITLE);
		ui_draw_str(ui, LINES - 1, 0, "> ", 2, UA_USER);
		ui_draw_text(ui, LINES - 1, 2, buf_str(&adv->field),
		    adv->field.len, COLS - 3, UA_TEXT);
		move(LINES - 1, 2 + (int)utf8_width(buf_str(&adv->field),
		    adv->field.len));
		curs_set(1);
	} else
		ui_draw_str(ui, LINES - 2, 0, "Esc, q or Enter closes; PgUp/"
		    "PgDn scroll.", COLS, UA_TITLE);
	if (ui->msg != NULL && adv->required)
		ui_draw_str(ui, LINES - 1, COLS / 2, ui->msg, COLS - COLS / 2,
		    UA_ERROR);
}

/* Does the typed text say the phrase (case and outer blanks ignored)? */
static int
advisory_match(const char *s)
{
	size_t	len;

	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len == strlen(adv_phrase) &&
	    strncasecmp(s, adv_phrase, len) == 0;
}

static int
advisory_key(struct ui *ui, void *data, int key)
{
	struct advisory	*adv = data;
	char		*cause = NULL, b[4];
	uint32_t	 cp;
	int		 l, height = LINES - 5;
	size_t		 len;

	ui->dirty = 1;
	switch (key) {
	case KEY_UP:
		if (adv->top > 0)
			adv->top--;
		return 1;
	case KEY_DOWN:
		adv->top++;
		return 1;
	case KEY_PPAGE:
		adv->top = adv->top > (size_t)height ?
		    adv->top - (size_t)height : 0;
		return 1;
	case KEY_NPAGE:
	case ' ':
		if (key == ' ' && adv->required)
			break;
		adv->top += (size_t)height;
		return 1;
	case KEY_HOME:
		adv->top = 0;
		return 1;
	case KEY_END:
		adv->top = (size_t)-1 / 2;
		return 1;
	}
	if (!adv->required) {
		if (key == UI_KEY_ESC || key == 'q' || key == '\r' ||
		    key == KEY_ENTER || key == 3)
			ui_screen_home(ui);
		return 1;
	}
	if (key == UI_KEY_ESC || key == 3) {
		if (ui_go_back(ui, "advisory"))
			return 1;	/* the screen is gone */
		ui->quit = 1;
		ui->exit_code = 1;
		return 1;
	}
	if (key == '\r' || key == '\n' || key == KEY_ENTER) {
		if (!advisory_match(buf_str(&adv->field))) {
			/* Cleared, or the next try would read "yesI ...". */
			buf_clear(&adv->field);
			ui_message(ui, 1, "not accepted; type: I understand "
			    "(then Enter)");
			return 1;
		}
		/* Only what was on the screen can have been read. */
		if (!adv->seen_end) {
			ui_message(ui, 1, "read to the end first (PgDn, End), "
			    "then Enter");
			return 1;
		}
		if (ui->model != NULL && (ui->model->remote ?
		    store_ack_record_remote(ui->store, ui->model->file_name,
		    ui->model->url, ui->model->model_id, "tui", &cause) :
		    store_ack_record(ui->store, ui->model->file_name,
		    ui->model->quant, ui->model_sha[0] != '\0' ?
		    ui->model_sha : NULL, "tui", &cause)) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			return 1;
		}
		memcpy(adv_ok_sha, ui->model_sha, sizeof adv_ok_sha);
		free(ui->msg);
		ui->msg = NULL;
		ui_message(ui, 0, "advisory accepted");
		ui_screen_home(ui);
		return 1;
	}
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		len = adv->field.len;
		while (len > 0 && (adv->field.data[len - 1] & 0xC0) == 0x80)
			len--;
		if (len > 0)
			len--;
		buf_truncate(&adv->field, len);
		return 1;
	}
	if (key == 21) {	/* C-u */
		buf_clear(&adv->field);
		return 1;
	}
	if (ui_key_cp(ui, key, &cp) && cp >= 0x20 && adv->field.len < 64) {
		if ((l = utf8_encode(cp, b)) > 0)
			buf_append(&adv->field, b, (size_t)l);
	}
	return 1;
}
