/*
 * ui-editor.c -- the system-message editor.
 *
 * A small multi-line editor over a struct buf (UTF-8) with the cursor as
 * a byte offset that is always on a code point boundary.  The text is
 * word-wrapped to the screen width (ui/wrap.c); Up/Down move by display
 * row keeping the wanted column.  C-s saves into the conversation (and
 * the store, if the conversation exists), Esc cancels, C-p picks one of
 * the presets of data/prompts (prompts.h), C-x C-e hands the text to
 * $VISUAL or $EDITOR and reads it back.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "prompts.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

static void	 editor_insert(struct ui *, const char *, size_t);
static void	 editor_left(struct ui *);
static void	 editor_right(struct ui *);
static void	 editor_vertical(struct ui *, int);
static void	 editor_external(struct ui *);
static void	 editor_save(struct ui *);
static size_t	 editor_col_offset(const char *, size_t, size_t, int);
static void	 editor_paste(struct ui *);

void
editor_open(struct ui *ui)
{
	buf_clear(&ui->ed_text);
	buf_puts(&ui->ed_text, ui->chat->system);
	ui->ed_cur = ui->ed_text.len;
	ui->ed_top = 0;
	ui->ed_want_col = -1;
	ui->ed_ctrl_x = 0;
	ui->ed_presets = 0;
	ui_set_screen(ui, SCREEN_EDITOR);
}

static void
editor_insert(struct ui *ui, const char *s, size_t n)
{
	struct buf	 b = BUF_INIT;
	const char	*t = buf_str(&ui->ed_text);

	buf_append(&b, t, ui->ed_cur);
	buf_append(&b, s, n);
	buf_append(&b, t + ui->ed_cur, ui->ed_text.len - ui->ed_cur);
	buf_free(&ui->ed_text);
	ui->ed_text = b;
	ui->ed_cur += n;
	ui->ed_want_col = -1;
}

/* Insert the pasted text: valid UTF-8, CR LF and CR as LF. */
static void
editor_paste(struct ui *ui)
{
	char	*s, *o, *p;

	s = utf8_sanitize(buf_str(&ui->paste), ui->paste.len, NULL);
	for (p = o = s; *p != '\0'; p++) {
		if (*p == '\r') {
			if (p[1] != '\n')
				*o++ = '\n';
		} else
			*o++ = *p;
	}
	*o = '\0';
	editor_insert(ui, s, strlen(s));
	free(s);
}

static void
editor_left(struct ui *ui)
{
	if (ui->ed_cur == 0)
		return;
	ui->ed_cur--;
	while (ui->ed_cur > 0 &&
	    (ui->ed_text.data[ui->ed_cur] & 0xC0) == 0x80)
		ui->ed_cur--;
}

static void
editor_right(struct ui *ui)
{
	uint32_t	cp;
	int		l;

	if (ui->ed_cur >= ui->ed_text.len)
		return;
	l = utf8_decode(ui->ed_text.data + ui->ed_cur,
	    ui->ed_text.len - ui->ed_cur, &cp);
	ui->ed_cur += l > 0 ? (size_t)l : 1;
}

/* Byte offset in s[off..off+len) of display column col (or its end). */
static size_t
editor_col_offset(const char *s, size_t off, size_t len, int col)
{
	size_t		i = 0;
	uint32_t	cp;
	int		l, w = 0, cw;

	while (i < len) {
		if ((l = utf8_decode(s + off + i, len - i, &cp)) < 0) {
			l = 1;
			cw = 1;
		} else if (cp == '\t')
			cw = 1;		/* as wrap_text and ui_draw_text */
		else
			cw = utf8_cpwidth(cp);
		if (w + cw > col)
			break;
		w += cw;
		i += (size_t)l;
	}
	return off + i;
}

/* Move by dy display rows, keeping the wanted column. */
static void
editor_vertical(struct ui *ui, int dy)
{
	size_t		 row;
	long		 r;
	int		 col;
	struct wrap_line *ln;

	wrap_locate(&ui->ed_wrap, ui->ed_cur, buf_str(&ui->ed_text), &row,
	    &col);
	if (ui->ed_want_col < 0)
		ui->ed_want_col = col;
	r = (long)row + dy;
	if (r < 0) {
		ui->ed_cur = 0;
		return;
	}
	if ((size_t)r >= ui->ed_wrap.n) {
		ui->ed_cur = ui->ed_text.len;
		return;
	}
	ln = &ui->ed_wrap.lines[r];
	ui->ed_cur = editor_col_offset(buf_str(&ui->ed_text), ln->off, ln->len,
	    ui->ed_want_col);
}

static void
editor_save(struct ui *ui)
{
	char	*cause = NULL;

	chat_set_system(ui->chat, buf_str(&ui->ed_text));
	if (ui->chat->conv_id != 0 && store_conv_set_system(ui->store,
	    ui->chat->conv_id, ui->ed_text.len > 0 ? ui->ed_text.data : NULL,
	    &cause) != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
	} else
		ui_message(ui, 0, "system message saved: it applies to the "
		    "next answer");
	ui_set_screen(ui, SCREEN_CHAT);
}

/* C-x C-e: edit in $VISUAL/$EDITOR through a private temporary file. */
static void
editor_external(struct ui *ui)
{
	char	*path, *text, *s;
	char	*argv[6];
	int	 fd;
	ssize_t	 n;
	size_t	 len = 0, cap = 0;
	char	 chunk[4096];

	xasprintf(&path, "%s/system-XXXXXX", ui->data_dir);
	if ((fd = mkstemp(path)) == -1) {
		ui_message(ui, 1, "%s: %s", path, strerror(errno));
		free(path);
		return;
	}
	if (write(fd, buf_str(&ui->ed_text), ui->ed_text.len) !=
	    (ssize_t)ui->ed_text.len || write(fd, "\n", 1) != 1) {
		ui_message(ui, 1, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		free(path);
		return;
	}
	close(fd);
	argv[0] = (char *)"/bin/sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)"${VISUAL:-${EDITOR:-vi}} \"$1\"";
	argv[3] = (char *)"sh";
	argv[4] = path;
	argv[5] = NULL;
	if (ui_suspend_run(ui, argv) != 0) {
		ui_message(ui, 1, "the editor failed; text unchanged");
		unlink(path);
		free(path);
		return;
	}
	text = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while ((n = read(fd, chunk, sizeof chunk)) > 0 &&
		    len < 1024 * 1024) {
			if (len + (size_t)n + 1 > cap) {
				cap = (len + (size_t)n + 1) * 2;
				text = xrealloc(text, cap);
			}
			memcpy(text + len, chunk, (size_t)n);
			len += (size_t)n;
		}
		close(fd);
	}
	unlink(path);
	free(path);
	if (text == NULL) {
		buf_clear(&ui->ed_text);
		ui->ed_cur = 0;
		return;
	}
	if (len > 0 && text[len - 1] == '\n')
		len--;
	s = utf8_sanitize(text, len, NULL);
	free(text);
	buf_clear(&ui->ed_text);
	buf_puts(&ui->ed_text, s);
	free(s);
	ui->ed_cur = ui->ed_text.len;
	ui_message(ui, 0, "text from the editor: C-s saves it");
}

void
editor_draw(struct ui *ui)
{
	const struct prompt_preset *p;
	const char	*t = buf_str(&ui->ed_text);
	size_t		 row, i;
	int		 col, height, w, y;

	ui_fill(ui, 0, UA_STATUS);
	ui_draw_str(ui, 0, 0, " System message (applies to the next answer)",
	    COLS, UA_STATUS);
	w = COLS - 1;
	height = LINES - 3;
	wrap_clear(&ui->ed_wrap);
	wrap_text(&ui->ed_wrap, t, ui->ed_text.len, w);
	wrap_locate(&ui->ed_wrap, ui->ed_cur, t, &row, &col);
	if (row < ui->ed_top)
		ui->ed_top = row;
	if (row >= ui->ed_top + (size_t)height)
		ui->ed_top = row - (size_t)height + 1;
	for (i = 0; i < (size_t)height && ui->ed_top + i < ui->ed_wrap.n;
	    i++) {
		ui_draw_text(ui, 1 + (int)i, 0,
		    t + ui->ed_wrap.lines[ui->ed_top + i].off,
		    ui->ed_wrap.lines[ui->ed_top + i].len, w, UA_TEXT);
	}
	if (ui->msg != NULL)
		ui_draw_str(ui, LINES - 2, 0, ui->msg, COLS,
		    ui->msg_error ? UA_ERROR : UA_DIM);
	ui_fill(ui, LINES - 1, UA_STATUS);
	ui_draw_str(ui, LINES - 1, 0, "C-s save  Esc cancel  C-p presets  "
	    "C-x C-e $EDITOR", COLS, UA_STATUS);
	if (ui->ed_presets) {
		ui->ed_plist.n = prompts_count();
		height = LINES - 6;
		ui_list_scroll(&ui->ed_plist, height);
		for (i = 0; i < (size_t)height && ui->ed_plist.top + i <
		    ui->ed_plist.n; i++) {
			p = prompts_get(ui->ed_plist.top + i);
			y = 3 + (int)i;
			ui_fill(ui, y, ui->ed_plist.top + i ==
			    ui->ed_plist.sel ? UA_SELECTED : UA_STATUS);
			ui_draw_str(ui, y, 2, p->title, COLS - 4,
			    ui->ed_plist.top + i == ui->ed_plist.sel ?
			    UA_SELECTED : UA_STATUS);
		}
		ui_fill(ui, 2, UA_TITLE);
		ui_draw_str(ui, 2, 1, "Presets: Enter picks, Esc closes",
		    COLS - 2, UA_TITLE);
		return;
	}
	move(1 + (int)(row - ui->ed_top), col < w ? col : w);
	curs_set(1);
}

int
editor_key(struct ui *ui, int key)
{
	const struct prompt_preset *p;
	struct wrap_line	*ln;
	size_t			 row, next;
	uint32_t		 cp;
	char			 b[4];
	int			 l, col, ctrl_x = ui->ed_ctrl_x;

	ui->dirty = 1;
	ui->ed_ctrl_x = 0;
	free(ui->msg);
	ui->msg = NULL;
	if (ui->ed_presets) {
		if (key == KEY_UP)
			ui_list_move(&ui->ed_plist, -1, 0);
		else if (key == KEY_DOWN)
			ui_list_move(&ui->ed_plist, 1, 0);
		else if (key == '\r' || key == KEY_ENTER) {
			if ((p = prompts_get(ui->ed_plist.sel)) != NULL) {
				buf_clear(&ui->ed_text);
				buf_puts(&ui->ed_text, p->text);
				ui->ed_cur = ui->ed_text.len;
				ui_message(ui, 0, "preset \"%s\": C-s saves it",
				    p->name);
			}
			ui->ed_presets = 0;
		} else if (key == UI_KEY_ESC || key == 'q' || key == 3)
			ui->ed_presets = 0;
		return 1;
	}
	if (ctrl_x && key == 5) {		/* C-x C-e */
		editor_external(ui);
		return 1;
	}
	switch (key) {
	case 24:				/* C-x */
		ui->ed_ctrl_x = 1;
		ui_message(ui, 0, "C-x-");
		return 1;
	case 19:				/* C-s */
		editor_save(ui);
		return 1;
	case UI_KEY_ESC:
	case 3:
		ui_message(ui, 0, "system message unchanged");
		ui_set_screen(ui, SCREEN_CHAT);
		return 1;
	case 16:				/* C-p */
		ui->ed_presets = 1;
		ui->ed_plist.sel = 0;
		ui->ed_plist.top = 0;
		return 1;
	case KEY_LEFT:
	case 2:
		editor_left(ui);
		ui->ed_want_col = -1;
		return 1;
	case KEY_RIGHT:
	case 6:
		editor_right(ui);
		ui->ed_want_col = -1;
		return 1;
	case KEY_UP:
		editor_vertical(ui, -1);
		return 1;
	case KEY_DOWN:
		editor_vertical(ui, 1);
		return 1;
	case KEY_PPAGE:
		editor_vertical(ui, -(LINES - 4));
		return 1;
	case KEY_NPAGE:
		editor_vertical(ui, LINES - 4);
		return 1;
	case KEY_HOME:
	case 1:
	case KEY_END:
	case 5:
		wrap_locate(&ui->ed_wrap, ui->ed_cur, buf_str(&ui->ed_text),
		    &row, &col);
		if (row < ui->ed_wrap.n) {
			ln = &ui->ed_wrap.lines[row];
			ui->ed_cur = (key == KEY_HOME || key == 1) ? ln->off :
			    ln->off + ln->len;
		}
		ui->ed_want_col = -1;
		return 1;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (ui->ed_cur == 0)
			return 1;
		next = ui->ed_cur;
		editor_left(ui);
		memmove(ui->ed_text.data + ui->ed_cur, ui->ed_text.data + next,
		    ui->ed_text.len - next + 1);
		ui->ed_text.len -= next - ui->ed_cur;
		ui->ed_want_col = -1;
		return 1;
	case KEY_DC:
	case 4:
		if (ui->ed_cur >= ui->ed_text.len)
			return 1;
		row = ui->ed_cur;
		editor_right(ui);
		next = ui->ed_cur;
		ui->ed_cur = row;
		memmove(ui->ed_text.data + ui->ed_cur, ui->ed_text.data + next,
		    ui->ed_text.len - next + 1);
		ui->ed_text.len -= next - ui->ed_cur;
		return 1;
	case '\r':
	case '\n':
	case KEY_ENTER:
		editor_insert(ui, "\n", 1);
		return 1;
	case UI_KEY_PASTE:
		editor_paste(ui);
		return 1;
	}
	if (ui_key_cp(ui, key, &cp) && (cp >= 0x20 || cp == '\t')) {
		if ((l = utf8_encode(cp, b)) > 0)
			editor_insert(ui, b, (size_t)l);
	}
	return 1;
}
