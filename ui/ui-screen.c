/*
 * ui-screen.c -- the stack of screens.
 *
 * Each screen is a file exporting a struct ui_screen_ops (ui-int.h)
 * and keeping its state private; this file opens them over one another,
 * closes them, and passes resizes on.  The chat is the bottom of the
 * stack and never closes; ui.c draws and sends keys to the top one.
 */
#include <stdlib.h>

#include <curses.h>

#include "ui-int.h"
#include "xmalloc.h"

/*
 * Open a screen over the current one (replacing it if it is the same
 * screen) and return its new state for the caller to fill in: the
 * screen's own file, which alone knows the state's type.
 */
void *
ui_screen_open(struct ui *ui, const struct ui_screen_ops *ops)
{
	struct ui_screen	*s;

	if (ui->screen != NULL && ui->screen->ops == ops &&
	    ui->screen->below != NULL)
		ui_screen_close(ui);
	s = xcalloc(1, sizeof *s);
	s->ops = ops;
	s->data = ops->size > 0 ? xcalloc(1, ops->size) : NULL;
	s->below = ui->screen;
	ui->screen = s;
	if (ops->open != NULL)
		ops->open(ui, s->data);
	ui->dirty = 1;
	return s->data;
}

/*
 * Close the current screen, back to the one below; never the chat.
 * The screen's state is gone: a key handler that closes its own screen
 * must not touch its state afterwards.
 */
void
ui_screen_close(struct ui *ui)
{
	struct ui_screen	*s = ui->screen;

	if (s == NULL || s->below == NULL)
		return;
	ui->screen = s->below;
	if (s->ops->free != NULL)
		s->ops->free(s->data);
	free(s->data);
	free(s);
	ui->dirty = 1;
}

/* Close every screen over the chat. */
void
ui_screen_home(struct ui *ui)
{
	while (ui->screen != NULL && ui->screen->below != NULL)
		ui_screen_close(ui);
}

/* The size is new (COLS, LINES): tell the screens, redraw everything. */
void
ui_screen_resize(struct ui *ui)
{
	struct ui_screen	*s;

	for (s = ui->screen; s != NULL; s = s->below) {
		if (s->ops->resize != NULL)
			s->ops->resize(ui, s->data);
	}
	clearok(curscr, TRUE);
	ui->dirty = 1;
}

/* The topmost screen with a descriptor to poll now, or NULL. */
struct ui_screen *
ui_screen_polled(struct ui *ui)
{
	struct ui_screen	*s;

	for (s = ui->screen; s != NULL; s = s->below) {
		if (s->ops->fd != NULL && s->ops->fd(ui, s->data) != -1)
			return s;
	}
	return NULL;
}
