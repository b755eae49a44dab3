/*
 * ui-editor.c -- the system-message editor.
 *
 * A small multi-line editor over a struct buf (UTF-8) with the cursor as
 * a byte offset that is always on a code point boundary.  The text is
 * word-wrapped to the screen width (ui/wrap.c); Up/Down move by display
 * row keeping the wanted column.  C-s saves into the conversation (and
 * the store, if the conversation exists), Esc cancels (asking first
 * whether to keep, discard or go on editing when the text was changed:
 * a slip of the finger must not throw edits away), C-p picks one of
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

/* The screen's state. */
struct editor {
	struct buf	 text;		/* UTF-8 */
	size_t		 cur;		/* byte offset, on a code point */
	size_t		 top;		/* first display row shown */
	int		 want_col;	/* for Up/Down, or -1 */
	int		 ctrl_x;	/* last key was C-x */
	int		 presets;	/* preset picker open */
	int		 asking;	/* Esc with changes: keep or discard? */
	struct ui_list	 plist;
	struct wrap	 wrap;		/* text at the screen width */
};

static void	 editor_open(struct ui *, void *);
static void	 editor_free(void *);
static void	 editor_draw(struct ui *, void *);
static int	 editor_key(struct ui *, void *, int);
static void	 editor_insert(struct editor *, const char *, size_t);
static void	 editor_left(struct editor *);
static void	 editor_right(struct editor *);
static void	 editor_vertical(struct editor *, int);
static void	 editor_external(struct ui *, struct editor *);
static void	 editor_save(struct ui *, struct editor *);
static size_t	 editor_col_offset(const char *, size_t, size_t, int);
static void	 editor_paste(struct ui *, struct editor *);
static int	 editor_ask_key(struct ui *, struct editor *, int);

const struct ui_screen_ops ui_screen_editor = {
	"editor", sizeof(struct editor), editor_open, editor_free, NULL,
	editor_draw, editor_key, NULL, NULL, 0
};

/* The text starts as the conversation's system message. */
static void
editor_open(struct ui *ui, void *data)
{
	struct editor	*ed = data;

	buf_puts(&ed->text, ui->chat->system);
	ed->cur = ed->text.len;
	ed->want_col = -1;
}

static void
editor_free(void *data)
{
	struct editor	*ed = data;

	buf_free(&ed->text);
	wrap_free(&ed->wrap);
}

static void
editor_insert(struct editor *ed, const char *s, size_t n)
{
	struct buf	 b = BUF_INIT;
	const char	*t = buf_str(&ed->text);

	buf_append(&b, t, ed->cur);
	buf_append(&b, s, n);
	buf_append(&b, t + ed->cur, ed->text.len - ed->cur);
	buf_free(&ed->text);
	ed->text = b;
	ed->cur += n;
	ed->want_col = -1;
}

/* Insert the pasted text: valid UTF-8, CR LF and CR as LF. */
static void
editor_paste(struct ui *ui, struct editor *ed)
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
	editor_insert(ed, s, strlen(s));
	free(s);
}

static void
editor_left(struct editor *ed)
{
	if (ed->cur == 0)
		return;
	ed->cur--;
	while (ed->cur > 0 &&
	    (ed->text.data[ed->cur] & 0xC0) == 0x80)
		ed->cur--;
}

static void
editor_right(struct editor *ed)
{
	uint32_t	cp;
	int		l;

	if (ed->cur >= ed->text.len)
		return;
	l = utf8_decode(ed->text.data + ed->cur,
	    ed->text.len - ed->cur, &cp);
	ed->cur += l > 0 ? (size_t)l : 1;
}

/* Byte offset in s[off..off+len) of display column col (or its end). */
static size_t
editor_col_offset(const char *s, size_t off, size_t len, int col)
{
	size_t		i = 0;
	uint32_t	cp;
	int		l, w = 0, cw;

	while (i < len) {
		l = wrap_char(s + off + i, len - i, &cp, &cw);
		if (w + cw > col)
			break;
		w += cw;
		i += (size_t)l;
	}
	return off + i;
}

/* Move by dy display rows, keeping the wanted column. */
static void
editor_vertical(struct editor *ed, int dy)
{
	size_t		 row;
	long		 r;
	int		 col;
	struct wrap_line *ln;

	wrap_locate(&ed->wrap, ed->cur, buf_str(&ed->text), &row,
	    &col);
	if (ed->want_col < 0)
		ed->want_col = col;
	r = (long)row + dy;
	if (r < 0) {
		ed->cur = 0;
		return;
	}
	if ((size_t)r >= ed->wrap.n) {
		ed->cur = ed->text.len;
		return;
	}
	ln = &ed->wrap.lines[r];
	ed->cur = editor_col_offset(buf_str(&ed->text), ln->off, ln->len,
	    ed->want_col);
}

static void
editor_save(struct ui *ui, struct editor *ed)
{
	char	*cause = NULL;

	chat_set_system(ui->chat, buf_str(&ed->text));
	/* Kept for the next start too: a preset by name, else the text. */
	prefs_set_system(&ui->prefs, buf_str(&ed->text), PREF_SAVED);
	if ((ui->prefs.preset != NULL ? prefs_save(ui->store, "system",
	    ui->prefs.preset, &cause) : prefs_save_system_text(ui->store,
	    ui->prefs.system_text, &cause)) != 0) {
		ui->prefs.src[PREFS_SYSTEM] = PREF_RUN;
		ui_message(ui, 1, "system message for this run; not kept for "
		    "the next start: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (ui->chat->conv_id != 0 && store_conv_set_system(ui->store,
	    ui->chat->conv_id, ed->text.len > 0 ? ed->text.data : NULL,
	    &cause) != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
	} else if (ui->prefs.src[PREFS_SYSTEM] == PREF_SAVED)
		ui_message(ui, 0, "system message saved: it applies to the "
		    "next answer and the next start");
	ui_screen_home(ui);
}

/*
 * A key while Esc asks what to do with the changes: k (or y, s) saves,
 * d (or n) throws them away, Esc (or any other key) goes on editing.
 */
static int
editor_ask_key(struct ui *ui, struct editor *ed, int key)
{
	ed->asking = 0;
	switch (key) {
	case 'k': case 'K': case 'y': case 'Y': case 's': case 'S': case 19:
		editor_save(ui, ed);
		break;
	case 'd': case 'D': case 'n': case 'N':
		ui_message(ui, 0, "system message unchanged: the edits were "
		    "discarded");
		ui_screen_home(ui);
		break;
	default:
		ui_message(ui, 0, "editing goes on: C-s saves, Esc asks "
		    "again");
		break;
	}
	return 1;
}

/* C-x C-e: edit in $VISUAL/$EDITOR through a private temporary file. */
static void
editor_external(struct ui *ui, struct editor *ed)
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
	if (write(fd, buf_str(&ed->text), ed->text.len) !=
	    (ssize_t)ed->text.len || write(fd, "\n", 1) != 1) {
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
		buf_clear(&ed->text);
		ed->cur = 0;
		return;
	}
	if (len > 0 && text[len - 1] == '\n')
		len--;
	s = utf8_sanitize(text, len, NULL);
	free(text);
	buf_clear(&ed->text);
	buf_puts(&ed->text, s);
	free(s);
	ed->cur = ed->text.len;
	ui_message(ui, 0, "text from the editor: C-s saves it");
}

static void
editor_draw(struct ui *ui, void *data)
{
	struct editor	*ed = data;
	const struct prompt_preset *p;
	const char	*t = buf_str(&ed->text);
	size_t		 row, i;
	int		 col, height, w, y;

	ui_fill(ui, 0, UA_STATUS);
	ui_draw_str(ui, 0, 0, " System message (applies to the next answer)",
	    COLS, UA_STATUS);
	w = COLS - 1;
	height = LINES - 3;
	wrap_clear(&ed->wrap);
	wrap_text(&ed->wrap, t, ed->text.len, w);
	wrap_locate(&ed->wrap, ed->cur, t, &row, &col);
	if (row < ed->top)
		ed->top = row;
	if (row >= ed->top + (size_t)height)
		ed->top = row - (size_t)height + 1;
	for (i = 0; i < (size_t)height && ed->top + i < ed->wrap.n;
	    i++) {
		ui_draw_text(ui, 1 + (int)i, 0,
		    t + ed->wrap.lines[ed->top + i].off,
		    ed->wrap.lines[ed->top + i].len, w, UA_TEXT);
	}
	if (ed->asking) {
		ui_draw_footer(ui, NULL, "k keep (save)  d discard  "
		    "Esc go on editing");
		ui_fill(ui, LINES - 3, UA_TITLE);
		ui_draw_str(ui, LINES - 3, 1, "The system message was "
		    "changed: keep the changes?", COLS - 2, UA_TITLE);
		curs_set(0);
		return;
	}
	ui_draw_footer(ui, NULL, "C-s save  Esc cancel  C-p presets  "
	    "C-x C-e $EDITOR");
	if (ed->presets) {
		ed->plist.n = prompts_count();
		height = LINES - 6;
		ui_list_scroll(&ed->plist, height);
		for (i = 0; i < (size_t)height && ed->plist.top + i <
		    ed->plist.n; i++) {
			p = prompts_get(ed->plist.top + i);
			y = 3 + (int)i;
			ui_fill(ui, y, ed->plist.top + i ==
			    ed->plist.sel ? UA_SELECTED : UA_STATUS);
			ui_draw_str(ui, y, 2, p->title, COLS - 4,
			    ed->plist.top + i == ed->plist.sel ?
			    UA_SELECTED : UA_STATUS);
		}
		ui_fill(ui, 2, UA_TITLE);
		ui_draw_str(ui, 2, 1, "Presets: Enter picks, Esc closes",
		    COLS - 2, UA_TITLE);
		return;
	}
	move(1 + (int)(row - ed->top), col < w ? col : w);
	curs_set(1);
}

static int
editor_key(struct ui *ui, void *data, int key)
{
	struct editor		*ed = data;
	const struct prompt_preset *p;
	struct wrap_line	*ln;
	size_t			 row, next;
	uint32_t		 cp;
	char			 b[4];
	int			 l, col, ctrl_x = ed->ctrl_x;

	ui->dirty = 1;
	ed->ctrl_x = 0;
	free(ui->msg);
	ui->msg = NULL;
	if (ed->asking)
		return editor_ask_key(ui, ed, key);
	if (ed->presets) {
		if (key == KEY_UP)
			ui_list_move(&ed->plist, -1, 0);
		else if (key == KEY_DOWN)
			ui_list_move(&ed->plist, 1, 0);
		else if (key == '\r' || key == KEY_ENTER) {
			if ((p = prompts_get(ed->plist.sel)) != NULL) {
				buf_clear(&ed->text);
				buf_puts(&ed->text, p->text);
				ed->cur = ed->text.len;
				ui_message(ui, 0, "preset \"%s\": C-s saves it",
				    p->name);
			}
			ed->presets = 0;
		} else if (key == UI_KEY_ESC || key == 'q' || key == 3)
			ed->presets = 0;
		return 1;
	}
	if (ctrl_x && key == 5) {		/* C-x C-e */
		editor_external(ui, ed);
		return 1;
	}
	switch (key) {
	case 24:				/* C-x */
		ed->ctrl_x = 1;
		ui_message(ui, 0, "C-x-");
		return 1;
	case 19:				/* C-s */
		editor_save(ui, ed);
		return 1;
	case UI_KEY_ESC:
	case 3:
		if (strcmp(buf_str(&ed->text), ui->chat->system) != 0) {
			ed->asking = 1;
			return 1;
		}
		ui_message(ui, 0, "system message unchanged");
		ui_screen_home(ui);
		return 1;
	case 16:				/* C-p */
		ed->presets = 1;
		ed->plist.sel = 0;
		ed->plist.top = 0;
		return 1;
	case KEY_LEFT:
	case 2:
		editor_left(ed);
		ed->want_col = -1;
		return 1;
	case KEY_RIGHT:
	case 6:
		editor_right(ed);
		ed->want_col = -1;
		return 1;
	case KEY_UP:
		editor_vertical(ed, -1);
		return 1;
	case KEY_DOWN:
		editor_vertical(ed, 1);
		return 1;
	case KEY_PPAGE:
		editor_vertical(ed, -(LINES - 4));
		return 1;
	case KEY_NPAGE:
		editor_vertical(ed, LINES - 4);
		return 1;
	case KEY_HOME:
	case 1:
	case KEY_END:
	case 5:
		wrap_locate(&ed->wrap, ed->cur, buf_str(&ed->text),
		    &row, &col);
		if (row < ed->wrap.n) {
			ln = &ed->wrap.lines[row];
			ed->cur = (key == KEY_HOME || key == 1) ? ln->off :
			    ln->off + ln->len;
		}
		ed->want_col = -1;
		return 1;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (ed->cur == 0)
			return 1;
		next = ed->cur;
		editor_left(ed);
		memmove(ed->text.data + ed->cur, ed->text.data + next,
		    ed->text.len - next + 1);
		ed->text.len -= next - ed->cur;
		ed->want_col = -1;
		return 1;
	case KEY_DC:
	case 4:
		if (ed->cur >= ed->text.len)
			return 1;
		row = ed->cur;
		editor_right(ed);
		next = ed->cur;
		ed->cur = row;
		memmove(ed->text.data + ed->cur, ed->text.data + next,
		    ed->text.len - next + 1);
		ed->text.len -= next - ed->cur;
		return 1;
	case '\r':
	case '\n':
	case KEY_ENTER:
		editor_insert(ed, "\n", 1);
		return 1;
	case UI_KEY_PASTE:
		editor_paste(ui, ed);
		return 1;
	}
	if (ui_key_cp(ui, key, &cp) && (cp >= 0x20 || cp == '\t')) {
		if ((l = utf8_encode(cp, b)) > 0)
			editor_insert(ed, b, (size_t)l);
	}
	return 1;
}
