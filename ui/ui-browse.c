/*
 * ui-browse.c -- the transcript browser and the read-only view.
 *
 * The browser lists conversations newest first (store_conv_list), one row
 * each: date, title, message count, model, first words, and marks for
 * answers that were interrupted, stopped or failed.  Typing after '/'
 * searches incrementally (store_search with the last word as a prefix)
 * and shows the matching snippets with the matches highlighted.  Keys
 * act on the selected conversation: open read-only, resume, rename,
 * archive, delete (after y), export.  Prompts for a name, a format or a
 * confirmation use the message line at the bottom.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

#define BROWSE_INTERRUPTED	0x1
#define BROWSE_STOPPED		0x2
#define BROWSE_FAILED		0x4

#define MARK_OPEN	"\001"
#define MARK_CLOSE	"\002"

static void	 browser_reload(struct ui *);
static int64_t	 browser_selected(struct ui *, const char **);
static void	 browser_draw_marked(struct ui *, int, int, const char *, int,
		     int);
static void	 browser_prompt(struct ui *, int, const char *);
static void	 browser_prompt_done(struct ui *);
static int	 browser_field_key(struct ui *, struct buf *, int);

void
browser_free(struct ui *ui)
{
	if (ui->bconvs != NULL)
		store_convs_free(ui->bconvs, ui->nbconvs);
	if (ui->bhits != NULL)
		store_hits_free(ui->bhits, ui->nbhits);
	free(ui->bflags);
	ui->bconvs = NULL;
	ui->bhits = NULL;
	ui->bflags = NULL;
	ui->nbconvs = ui->nbhits = 0;
}

/* Query the store again for the list or the search. */
static void
browser_reload(struct ui *ui)
{
	struct store_list_opts	 o;
	struct store_msg	*m;
	size_t			 i, k, n;
	char			*cause = NULL;

	browser_free(ui);
	if (ui->bsearch.len > 0) {
		if (store_search(ui->store, ui->bsearch.data, 1, MARK_OPEN,
		    MARK_CLOSE, 200, &ui->bhits, &ui->nbhits, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			ui->bhits = NULL;
			ui->nbhits = 0;
		}
		ui->blist.n = ui->nbhits;
	} else {
		memset(&o, 0, sizeof o);
		o.limit = 1000;
		o.archived = ui->barchived ? -1 : 0;
		if (store_conv_list(ui->store, &o, &ui->bconvs, &ui->nbconvs,
		    &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			ui->bconvs = NULL;
			ui->nbconvs = 0;
		}
		ui->blist.n = ui->nbconvs;
		ui->bflags = xcalloc(ui->nbconvs + 1, sizeof *ui->bflags);
		for (i = 0; i < ui->nbconvs; i++) {
			if (store_msg_list(ui->store, ui->bconvs[i].id, &m, &n,
			    &cause) != 0) {
				free(cause);
				cause = NULL;
				continue;
			}
			for (k = 0; k < n; k++) {
				if (m[k].status == STORE_STATUS_INTERRUPTED ||
				    m[k].status == STORE_STATUS_STREAMING)
					ui->bflags[i] |= BROWSE_INTERRUPTED;
				else if (m[k].status == STORE_STATUS_CANCELLED)
					ui->bflags[i] |= BROWSE_STOPPED;
				else if (m[k].status == STORE_STATUS_ERROR)
					ui->bflags[i] |= BROWSE_FAILED;
			}
			store_msgs_free(m, n);
		}
	}
	if (ui->blist.sel >= ui->blist.n)
		ui->blist.sel = ui->blist.n > 0 ? ui->blist.n - 1 : 0;
	ui->dirty = 1;
}

void
browser_open(struct ui *ui)
{
	buf_clear(&ui->bsearch);
	ui->bsearching = 0;
	ui->bprompt = 0;
	ui->blist.sel = 0;
	ui->blist.top = 0;
	browser_reload(ui);
	ui_set_screen(ui, SCREEN_BROWSER);
}

/* Id (and title) of the selected conversation, 0 if none. */
static int64_t
browser_selected(struct ui *ui, const char **title)
{
	if (ui->blist.sel >= ui->blist.n)
		return 0;
	if (ui->bsearch.len > 0) {
		if (title != NULL)
			*title = ui->bhits[ui->blist.sel].title;
		return ui->bhits[ui->blist.sel].conv_id;
	}
	if (title != NULL)
		*title = ui->bconvs[ui->blist.sel].title;
	return ui->bconvs[ui->blist.sel].id;
}

/* Draw s with MARK_OPEN..MARK_CLOSE parts highlighted. */
static void
browser_draw_marked(struct ui *ui, int y, int x, const char *s, int maxw,
    int attr)
{
	size_t	 n;
	int	 on = 0, w;

	while (*s != '\0' && maxw > 0) {
		if (*s == MARK_OPEN[0] || *s == MARK_CLOSE[0]) {
			on = (*s == MARK_OPEN[0]);
			s++;
			continue;
		}
		n = strcspn(s, MARK_OPEN MARK_CLOSE);
		ui_draw_text(ui, y, x, s, n, maxw, on ? UA_MATCH : attr);
		w = (int)utf8_width(s, n);
		x += w;
		maxw -= w;
		s += n;
	}
}

void
browser_draw(struct ui *ui)
{
	struct store_conv	*c;
	struct store_hit	*h;
	struct buf		 b = BUF_INIT;
	char			 date[40], *p;
	size_t			 i;
	int			 height, y, attr, sel, first = 2;

	ui_fill(ui, 0, UA_STATUS);
	buf_printf(&b, " Conversations (%zu%s)%s", ui->blist.n,
	    ui->bsearch.len > 0 ? " matches" : "",
	    ui->barchived ? " incl. archived" : "");
	ui_draw_str(ui, 0, 0, b.data, COLS, UA_STATUS);
	buf_clear(&b);
	if (ui->bsearching || ui->bsearch.len > 0) {
		ui_draw_str(ui, 1, 0, "search: ", COLS, UA_TITLE);
		ui_draw_text(ui, 1, 8, buf_str(&ui->bsearch), ui->bsearch.len,
		    COLS - 9, UA_TEXT);
	} else
		ui_draw_str(ui, 1, 0, "/ searches all messages and titles",
		    COLS, UA_DIM);
	height = LINES - 4;
	ui_list_scroll(&ui->blist, height);
	for (i = 0; i < (size_t)height && ui->blist.top + i < ui->blist.n;
	    i++) {
		y = first + (int)i;
		sel = ui->blist.top + i == ui->blist.sel;
		attr = sel ? UA_SELECTED : UA_TEXT;
		if (sel)
			ui_fill(ui, y, UA_SELECTED);
		buf_clear(&b);
		if (ui->bsearch.len > 0) {
			h = &ui->bhits[ui->blist.top + i];
			store_time_iso(h->created, date, sizeof date);
			date[10] = ' ';
			date[16] = '\0';
			buf_printf(&b, "%s %s: ", date, h->title[0] != '\0' ?
			    h->title : "(untitled)");
			ui_draw_text(ui, y, 0, b.data, b.len, COLS, attr);
			browser_draw_marked(ui, y, (int)utf8_width(b.data,
			    b.len), h->snippet != NULL ? h->snippet : "",
			    COLS - (int)utf8_width(b.data, b.len), attr);
			continue;
		}
		c = &ui->bconvs[ui->blist.top + i];
		store_time_iso(c->updated, date, sizeof date);
		date[10] = ' ';
		date[16] = '\0';
		buf_printf(&b, "%s %s (%d msg%s%s%s)%s%s%s%s -- ", date,
		    c->title[0] != '\0' ? c->title : "(untitled)",
		    c->n_messages, c->n_messages == 1 ? "" : "s",
		    c->model_file != NULL ? ", " : "",
		    c->model_file != NULL ? c->model_file : "",
		    c->archived ? " [archived]" : "",
		    ui->bflags[ui->blist.top + i] & BROWSE_INTERRUPTED ?
		    " [interrupted]" : "",
		    ui->bflags[ui->blist.top + i] & BROWSE_STOPPED ?
		    " [stopped]" : "",
		    ui->bflags[ui->blist.top + i] & BROWSE_FAILED ?
		    " [failed]" : "");
		if (c->preview != NULL) {
			p = xstrdup(c->preview);
			buf_puts(&b, p);
			free(p);
		}
		ui_draw_text(ui, y, 0, b.data, b.len, COLS, attr);
	}
	if (ui->blist.n == 0)
		ui_draw_str(ui, first, 2, ui->bsearch.len > 0 ? "no matches" :
		    "no conversations yet", COLS - 2, UA_DIM);
	buf_free(&b);
	if (ui->bprompt != 0) {
		ui_draw_str(ui, LINES - 2, 0, ui->msg != NULL ? ui->msg : "",
		    COLS, UA_TITLE);
		if (ui->bprompt != 'd') {
			ui_draw_str(ui, LINES - 1, 0, "> ", 2, UA_USER);
			ui_draw_text(ui, LINES - 1, 2, buf_str(&ui->bfield),
			    ui->bfield.len, COLS - 3, UA_TEXT);
			move(LINES - 1, 2 + (int)utf8_width(
			    buf_str(&ui->bfield), ui->bfield.len));
			curs_set(1);
		}
		return;
	}
	if (ui->msg != NULL)
		ui_draw_str(ui, LINES - 2, 0, ui->msg, COLS,
		    ui->msg_error ? UA_ERROR : UA_DIM);
	ui_fill(ui, LINES - 1, UA_STATUS);
	ui_draw_str(ui, LINES - 1, 0, ui->bsearching ? "type to search  Enter "
	    "done  Esc clear" : "Enter open  r resume  n rename  a archive  "
	    "d delete  e export  A archived  / search  q close", COLS,
	    UA_STATUS);
	if (ui->bsearching) {
		move(1, 8 + (int)utf8_width(buf_str(&ui->bsearch),
		    ui->bsearch.len));
		curs_set(1);
	}
}

static void
browser_prompt(struct ui *ui, int which, const char *initial)
{
	const char	*title = NULL;
	int64_t		 id;

	if ((id = browser_selected(ui, &title)) == 0) {
		ui_message(ui, 1, "no conversation selected");
		return;
	}
	ui->bprompt = which;
	buf_clear(&ui->bfield);
	if (initial != NULL)
		buf_puts(&ui->bfield, initial);
	if (which == 'n')
		ui_message(ui, 0, "New title (Enter saves, Esc cancels):");
	else if (which == 'e')
		ui_message(ui, 0, "Export as md|json|txt [FILE] (Enter, Esc "
		    "cancels):");
	else
		ui_message(ui, 0, "Delete conversation %lld \"%s\" and all its "
		    "messages? y/n", (long long)id, title);
}

static void
browser_prompt_done(struct ui *ui)
{
	char		*cause = NULL, *path, **argv;
	int		 argc, which = ui->bprompt;
	int64_t		 id;

	ui->bprompt = 0;
	id = browser_selected(ui, NULL);
	free(ui->msg);
	ui->msg = NULL;
	if (which == 'n') {
		if (store_conv_rename(ui->store, id, buf_str(&ui->bfield),
		    &cause) != 0)
			goto fail;
		ui_message(ui, 0, "renamed");
	} else if (which == 'e') {
		if (slash_split(buf_str(&ui->bfield), &argc, &argv,
		    &cause) != 0)
			goto fail;
		if (argc < 1 || argc > 2) {
			slash_free_argv(argc, argv);
			ui_message(ui, 1, "usage: md|json|txt [FILE]");
			return;
		}
		if (ui_export(ui, id, argv[0], argc > 1 ? argv[1] : NULL,
		    &path, &cause) != 0) {
			slash_free_argv(argc, argv);
			goto fail;
		}
		slash_free_argv(argc, argv);
		ui_message(ui, 0, "exported to %s", path);
		free(path);
	} else if (which == 'd') {
		if (ui->chat->conv_id == id && ui->state == STATE_GENERATING) {
			ui_message(ui, 1, "this conversation is being answered: "
			    "stop it first (Esc in the chat)");
			return;
		}
		if (store_conv_delete(ui->store, id, &cause) != 0)
			goto fail;
		if (ui->chat->conv_id == id && ui->state != STATE_GENERATING)
			ui_new_conversation(ui);
		ui_message(ui, 0, "deleted conversation %lld", (long long)id);
	}
	browser_reload(ui);
	return;
fail:
	ui_message(ui, 1, "%s", cause != NULL ? cause : "failed");
	free(cause);
}

/* Line-field editing for prompts and search; 1 if the text changed. */
static int
browser_field_key(struct ui *ui, struct buf *f, int key)
{
	uint32_t	cp;
	char		b[4];
	size_t		len;
	int		l;

	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		len = f->len;
		while (len > 0 && (f->data[len - 1] & 0xC0) == 0x80)
			len--;
		if (len > 0)
			len--;
		buf_truncate(f, len);
		return 1;
	}
	if (key == 21) {		/* C-u */
		buf_clear(f);
		return 1;
	}
	if (key == UI_KEY_PASTE) {
		for (len = 0; len < ui->paste.len; len++) {
			if ((unsigned char)ui->paste.data[len] >= 0x20)
				buf_putc(f, ui->paste.data[len]);
		}
		return 1;
	}
	if (ui_key_cp(ui, key, &cp) && cp >= 0x20 && f->len < 400) {
		if ((l = utf8_encode(cp, b)) > 0) {
			buf_append(f, b, (size_t)l);
			return 1;
		}
	}
	return 0;
}

int
browser_key(struct ui *ui, int key)
{
	const char	*title = NULL;
	char		*cause = NULL;
	int64_t		 id;
	int		 a;

	ui->dirty = 1;
	if (ui->bprompt != 0) {
		if (key == UI_KEY_ESC || key == 3 || (ui->bprompt == 'd' &&
		    key != 'y' && key != 'Y')) {
			ui->bprompt = 0;
			ui_message(ui, 0, "cancelled");
			return 1;
		}
		if (ui->bprompt == 'd' || key == '\r' || key == KEY_ENTER)
			browser_prompt_done(ui);
		else
			browser_field_key(ui, &ui->bfield, key);
		return 1;
	}
	free(ui->msg);
	ui->msg = NULL;
	if (ui->bsearching) {
		switch (key) {
		case UI_KEY_ESC:
		case 3:
			ui->bsearching = 0;
			buf_clear(&ui->bsearch);
			browser_reload(ui);
			return 1;
		case '\r':
		case KEY_ENTER:
		case KEY_DOWN:
			ui->bsearching = 0;
			return 1;
		}
		if (browser_field_key(ui, &ui->bsearch, key)) {
			ui->blist.sel = 0;
			browser_reload(ui);
		}
		return 1;
	}
	if (ui_list_key(&ui->blist, key))
		return 1;
	switch (key) {
	case '/':
		ui->bsearching = 1;
		break;
	case 'A':
		ui->barchived = !ui->barchived;
		browser_reload(ui);
		break;
	case UI_KEY_ESC:
	case 'q':
	case 3:
		if (ui->bsearch.len > 0 && key != 'q') {
			buf_clear(&ui->bsearch);
			browser_reload(ui);
			break;
		}
		browser_free(ui);
		ui_set_screen(ui, SCREEN_CHAT);
		break;
	case '\r':
	case KEY_ENTER:
		if ((id = browser_selected(ui, NULL)) == 0)
			break;
		if (ui->vchat == NULL)
			ui->vchat = chat_create();
		free(ui->vtitle);
		ui->vtitle = NULL;
		if (ui_load_conversation(ui, ui->vchat, id, &ui->vtitle,
		    &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			break;
		}
		ui->vconv = id;
		ui->vview.top = 0;
		ui->vview.follow = 0;
		ui->vview.gen = ui->vchat->gen - 1;
		ui_set_screen(ui, SCREEN_VIEW);
		break;
	case 'r':
		if ((id = browser_selected(ui, NULL)) == 0)
			break;
		if (ui_resume(ui, id, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			break;
		}
		browser_free(ui);
		break;
	case 'n':
		if (browser_selected(ui, &title) != 0)
			browser_prompt(ui, 'n', title);
		break;
	case 'e':
		browser_prompt(ui, 'e', "md");
		break;
	case 'd':
		browser_prompt(ui, 'd', NULL);
		break;
	case 'a':
		if ((id = browser_selected(ui, NULL)) == 0)
			break;
		a = ui->bsearch.len == 0 && ui->bconvs[ui->blist.sel].archived;
		if (store_conv_set_archived(ui->store, id, !a, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			break;
		}
		browser_reload(ui);
		ui_message(ui, 0, "%s conversation %lld", a ? "unarchived" :
		    "archived", (long long)id);
		break;
	}
	return 1;
}

void
view_draw(struct ui *ui)
{
	struct buf	b = BUF_INIT;

	ui_fill(ui, 0, UA_STATUS);
	buf_printf(&b, " %s (conversation %lld, read-only)",
	    ui->vtitle != NULL && ui->vtitle[0] != '\0' ? ui->vtitle :
	    "(untitled)", (long long)ui->vconv);
	ui_draw_text(ui, 0, 0, b.data, b.len, COLS, UA_STATUS);
	buf_free(&b);
	tview_build(ui, &ui->vview, ui->vchat, COLS);
	tview_draw(ui, &ui->vview, 1, LINES - 3, COLS);
	if (ui->msg != NULL)
		ui_draw_str(ui, LINES - 2, 0, ui->msg, COLS,
		    ui->msg_error ? UA_ERROR : UA_DIM);
	ui_fill(ui, LINES - 1, UA_STATUS);
	ui_draw_str(ui, LINES - 1, 0, "PgUp/PgDn/Up/Down scroll  r resume  "
	    "Esc/q back", COLS, UA_STATUS);
}

int
view_key(struct ui *ui, int key)
{
	char	*cause = NULL;
	int	 height = LINES - 3;

	ui->dirty = 1;
	free(ui->msg);
	ui->msg = NULL;
	switch (key) {
	case KEY_UP:
	case 'k':
		if (ui->vview.top > 0)
			ui->vview.top--;
		ui->vview.follow = 0;
		return 1;
	case KEY_DOWN:
	case 'j':
		ui->vview.top++;
		return 1;
	case ' ':
		return tview_key(&ui->vview, KEY_NPAGE, height);
	case 'r':
		if (ui_resume(ui, ui->vconv, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
		} else
			browser_free(ui);
		return 1;
	case UI_KEY_ESC:
	case 'q':
	case 3:
		ui_set_screen(ui, SCREEN_BROWSER);
		return 1;
	}
	return tview_key(&ui->vview, key, height);
}
