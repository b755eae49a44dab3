/*
 * ui-keys.c -- raw keys from curses into the UI's key codes.
 *
 * wgetch gives bytes and curses KEY_* codes; this file recognises what
 * curses does not: a lone Esc, Alt+key (ESC then the key, as UI_KEY_META
 * | byte), bracketed pastes (ESC [ 200 ~ ... ESC [ 201 ~, collected into
 * ui->paste and delivered as one UI_KEY_PASTE) and mouse wheel reports
 * in either protocol, and hands each key to ui_key().  ui_key_cp turns
 * the byte keys of the screens other than the chat input back into code
 * points.
 */
#include <stdint.h>
#include <stdlib.h>

#include <curses.h>

#include "ui-int.h"
#include "utf8.h"

static int	 ui_mouse_key(void);
static int	 ui_sgr_mouse(void);

/* Read every key curses has; recognise lone Esc, Alt+key and pastes. */
void
ui_read_keys(struct ui *ui)
{
	int	c, c2, k[4], nk, i;
	int	end[6] = { 27, '[', '2', '0', '1', '~' }, m;

	while (!ui->quit && (c = getch()) != ERR) {
		if (c == KEY_RESIZE) {
			/* resizeterm() queues one; the size is already set. */
			ui_screen_resize(ui);
			continue;
		}
		if (c == KEY_MOUSE) {
			if ((c = ui_mouse_key()) != 0)
				ui_key(ui, c);
			continue;
		}
		if (c != 27) {
			ui_key(ui, c);
			continue;
		}
		if ((c2 = getch()) == ERR) {
			ui_key(ui, UI_KEY_ESC);
			continue;
		}
		if (c2 != '[') {
			if (c2 >= 0 && c2 < 256)
				ui_key(ui, UI_KEY_META | c2);
			else {
				ui_key(ui, UI_KEY_ESC);
				ui_key(ui, c2);
			}
			continue;
		}
		/* ESC [ < starts an SGR mouse report. */
		if ((k[0] = getch()) == '<') {
			if ((c = ui_sgr_mouse()) != 0)
				ui_key(ui, c);
			continue;
		}
		/* ESC [ 2 0 0 ~ starts a bracketed paste. */
		for (nk = 0; nk < 4; nk++) {
			if (nk > 0)
				k[nk] = getch();
			if (k[nk] == ERR || k[nk] != "200~"[nk]) {
				if (k[nk] != ERR)
					nk++;
				break;
			}
		}
		if (nk == 4 && k[3] == '~') {
			buf_clear(&ui->paste);
			timeout(200);
			m = 0;
			while ((c = getch()) != ERR) {
				if (c == end[m]) {
					if (++m == 6)
						break;
					continue;
				}
				if (m > 0) {
					buf_append(&ui->paste, "\033[201~",
					    (size_t)m);
					m = 0;
					if (c == 27) {
						m = 1;
						continue;
					}
				}
				if (c == KEY_ENTER)
					c = '\n';
				if (c >= 0 && c < 256)
					buf_putc(&ui->paste, c);
			}
			nodelay(stdscr, TRUE);
			ui_key(ui, UI_KEY_PASTE);
			continue;
		}
		ui_key(ui, UI_KEY_META | '[');
		for (i = 0; i < nk; i++) {
			if (k[i] != ERR)
				ui_key(ui, k[i]);
		}
	}
}

/* A KEY_MOUSE that ncurses decoded: a wheel key, or 0 to drop it. */
static int
ui_mouse_key(void)
{
	MEVENT	me;

	if (getmouse(&me) != OK)
		return 0;
	if (me.bstate & BUTTON4_PRESSED)
		return UI_KEY_WHEEL_UP;
	if (me.bstate & BUTTON5_PRESSED)
		return UI_KEY_WHEEL_DOWN;
	return 0;
}

/*
 * The rest of an SGR mouse report after ESC [ <: "Cb;Cx;Cy" then M (press)
 * or m (release).  Button 64 is wheel up, 65 wheel down, with 4/8/16 added
 * for Shift/Meta/Ctrl.  Returns a wheel key, or 0 for other buttons and
 * malformed reports (consumed up to the final byte or 24 bytes).
 */
static int
ui_sgr_mouse(void)
{
	int	c, field = 0, n = 0, button = 0, digits = 0;

	timeout(50);
	while (n++ < 24 && (c = getch()) != ERR) {
		if (c >= '0' && c <= '9') {
			if (field == 0 && button < 1000)
				button = button * 10 + (c - '0');
			digits++;
			continue;
		}
		if (c == ';' && digits > 0 && field < 2) {
			field++;
			digits = 0;
			continue;
		}
		nodelay(stdscr, TRUE);
		if (c != 'M' || field != 2 || digits == 0)
			return 0;
		switch (button & ~(4 | 8 | 16)) {
		case 64:
			return UI_KEY_WHEEL_UP;
		case 65:
			return UI_KEY_WHEEL_DOWN;
		}
		return 0;
	}
	nodelay(stdscr, TRUE);
	return 0;
}

/*
 * Decode keys into code points for the screens other than the chat input
 * (which feeds bytes to readline).  Returns 1 with *cp when a character
 * is complete, 0 while collecting a UTF-8 sequence or for other keys.
 */
int
ui_key_cp(struct ui *ui, int key, uint32_t *cp)
{
	static char	seq[4];
	static size_t	nseq;
	int		l;

	(void)ui;
	if (key < 0x20 || key > 0xff || key == 0x7f) {
		nseq = 0;
		return 0;
	}
	if (key < 0x80) {
		nseq = 0;
		*cp = (uint32_t)key;
		return 1;
	}
	if (nseq >= sizeof seq)
		nseq = 0;
	seq[nseq++] = (char)key;
	l = utf8_decode(seq, nseq, cp);
	if (l > 0) {
		nseq = 0;
		return 1;
	}
	if (utf8_complete_prefix(seq, nseq) == nseq)
		nseq = 0;	/* invalid: drop it */
	return 0;
}
