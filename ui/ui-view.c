/*
 * ui-view.c -- a saved conversation, read-only, opened from the browser.
 *
 * The conversation is loaded from the store into a chat model of its own
 * and drawn by the same transcript view as the chat (ui-chat.c), from
 * the top.  r resumes it in the chat (closing the browser too); Esc or q
 * goes back to the browser.
 */
#include <stdint.h>
#include <stdlib.h>

#include <curses.h>

#include "ui-int.h"

/* The screen's state. */
struct view {
	struct chat	*chat;		/* the conversation, loaded */
	struct tview	 view;
	int64_t		 conv;
	char		*title;
};

static void	 view_free(void *);
static void	 view_draw(struct ui *, void *);
static int	 view_key(struct ui *, void *, int);

const struct ui_screen_ops ui_screen_view = {
	"view", sizeof(struct view), NULL, view_free, NULL, view_draw,
	view_key, NULL, NULL, 1
};

/*
 * Open conversation conv over the browser.  Returns 0, or -1 with
 * *cause (caller frees) if it cannot be loaded.
 */
int
view_open(struct ui *ui, int64_t conv, char **cause)
{
	struct view	*v;
	struct chat	*c;
	char		*title = NULL;

	c = chat_create();
	if (ui_load_conversation(ui, c, conv, &title, cause) != 0) {
		chat_free(c);
		return -1;
	}
	v = ui_screen_open(ui, &ui_screen_view);
	v->chat = c;
	v->conv = conv;
	v->title = title;
	v->view.gen = c->gen - 1;
	return 0;
}

static void
view_free(void *data)
{
	struct view	*v = data;

	chat_free(v->chat);
	tview_free(&v->view);
	free(v->title);
}

static void
view_draw(struct ui *ui, void *data)
{
	struct view	*v = data;
	struct buf	 b = BUF_INIT;

	ui_fill(ui, 0, UA_STATUS);
	buf_printf(&b, " %s (conversation %lld, read-only)",
	    v->title != NULL && v->title[0] != '\0' ? v->title :
	    "(untitled)", (long long)v->conv);
	ui_draw_text(ui, 0, 0, b.data, b.len, COLS, UA_STATUS);
	buf_free(&b);
	tview_build(ui, &v->view, v->chat, COLS);
	tview_draw(ui, &v->view, 1, LINES - 3, COLS);
	ui_draw_footer(ui, NULL, "PgUp/PgDn/Up/Down scroll  r resume  "
	    "Esc/q back");
}

static int
view_key(struct ui *ui, void *data, int key)
{
	struct view	*v = data;
	char		*cause = NULL;
	int		 height = LINES - 3;

	ui->dirty = 1;
	free(ui->msg);
	ui->msg = NULL;
	switch (key) {
	case KEY_UP:
	case 'k':
		if (v->view.top > 0)
			v->view.top--;
		v->view.follow = 0;
		return 1;
	case KEY_DOWN:
	case 'j':
		v->view.top++;
		return 1;
	case ' ':
		return tview_key(&v->view, KEY_NPAGE, height);
	case 'r':
		if (ui_resume(ui, v->conv, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
		}
		return 1;	/* closed, with the browser, if resumed */
	case UI_KEY_ESC:
	case 'q':
	case 3:
		ui_screen_close(ui);
		return 1;
	}
	return tview_key(&v->view, key, height);
}
