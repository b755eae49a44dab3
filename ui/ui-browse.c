/*
 * ui-browse.c -- the transcript browser.
 *
 * The browser lists conversations newest first (store_conv_list), one row
 * each: date, title, message count, model, first words, and marks for
 * answers that were interrupted, stopped or failed.  Typing after '/'
 * searches incrementally (store_search with the last word as a prefix)
 * and shows the matching snippets with the matches highlighted.  Keys
 * act on the selected conversation: open read-only, resume, rename,
 * archive, delete (after y), export.  Prompts for a name, a format or a
 * confirmation use the message line at the bottom.  Enter opens the
 * read-only view (ui-view.c) over the browser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "inhist.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

#define BROWSE_INTERRUPTED	0x1
#define BROWSE_STOPPED		0x2
#define BROWSE_FAILED		0x4

#define MARK_OPEN	"\001"
#define MARK_CLOSE	"\002"

/* The screen's state. */
struct browser {
	struct store_conv *convs;	/* the list, or */
	size_t		 nconvs;
	int		*flags;		/* BROWSE_* per conversation */
	char		**models;	/* per conversation: the models of
					   its answers, or NULL */
	struct store_hit *hits;		/*   the search's matches */
	size_t		 nhits;
	struct ui_list	 list;
	struct buf	 search;
	int		 searching;	/* typing into search */
	int		 prompt;	/* 0, 'n'ame, 'e'xport, 'd'elete */
	struct buf	 field;		/* the prompt's answer */
};

/* Show archived conversations: kept from one opening to the next. */
static int	 browser_archived;

static void	 browser_free(void *);
static void	 browser_draw(struct ui *, void *);
static int	 browser_key(struct ui *, void *, int);
static void	 browser_clear(struct browser *);
static void	 browser_reload(struct ui *, void *);
static char	*browser_models(const struct store_msg *, size_t);
static int64_t	 browser_selected(struct browser *, const char **);
static void	 browser_row(struct ui *, struct browser *, size_t, struct buf *);
static void	 browser_draw_marked(struct ui *, int, int, const char *, int,
		     int);
static void	 browser_prompt(struct ui *, struct browser *, int,
		     const char *);
static void	 browser_prompt_done(struct ui *, struct browser *);
static int	 browser_field_key(struct ui *, struct buf *, int);

/* Opening the browser lists the conversations. */
const struct ui_screen_ops ui_screen_browser = {
	"browser", sizeof(struct browser), browser_reload, browser_free, NULL,
	browser_draw, browser_key, NULL, NULL, 0
};

/* Forget the lists. */
static void
browser_clear(struct browser *br)
{
	if (br->convs != NULL)
		store_convs_free(br->convs, br->nconvs);
	if (br->hits != NULL)
		store_hits_free(br->hits, br->nhits);
	free(br->flags);
	xfreev(br->models, br->nconvs);
	br->convs = NULL;
	br->hits = NULL;
	br->flags = NULL;
	br->models = NULL;
	br->nconvs = br->nhits = 0;
}

/*
 * The models that answered in a conversation (its messages m[n]), in the
 * order of their first answer, joined by ", "; NULL if none did.  A model
 * chosen in the menu but never asked is not among them.  A server's
 * model says so: "remote lab: meditron-70b".
 */
static char *
browser_models(const struct store_msg *m, size_t n)
{
	struct buf	  b = BUF_INIT;
	char		**seen = NULL, *f, *out;
	size_t		  k, j, nseen = 0, cap = 0;

	for (k = 0; k < n; k++) {
		if (m[k].role != STORE_ROLE_ASSISTANT ||
		    m[k].prov.model_file == NULL)
			continue;
		if (m[k].prov.endpoint_url != NULL)
			xasprintf(&f, "remote %s", m[k].prov.model_file);
		else
			f = xstrdup(m[k].prov.model_file);
		for (j = 0; j < nseen && strcmp(seen[j], f) != 0; j++)
			;
		if (j < nseen) {
			free(f);
			continue;
		}
		if (nseen == cap)
			seen = xgrowarray(seen, &cap, 4, sizeof *seen);
		seen[nseen++] = f;
		if (b.len > 0)
			buf_puts(&b, ", ");
		buf_puts(&b, f);
	}
	xfreev(seen, nseen);
	out = b.len > 0 ? xstrdup(buf_str(&b)) : NULL;
	buf_free(&b);
	return out;
}

/* Query the store again for the list or the search. */
static void
browser_reload(struct ui *ui, void *data)
{
	struct browser		*br = data;
	struct store_list_opts	 o;
	struct store_msg	*m;
	size_t			 i, k, n;
	char			*cause = NULL;

	browser_clear(br);
	if (br->search.len > 0) {
		if (store_search(ui->store, br->search.data, 1, MARK_OPEN,
		    MARK_CLOSE, 200, &br->hits, &br->nhits, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			br->hits = NULL;
			br->nhits = 0;
		}
		br->list.n = br->nhits;
	} else {
		memset(&o, 0, sizeof o);
		o.limit = 1000;
		o.archived = browser_archived ? -1 : 0;
		if (store_conv_list(ui->store, &o, &br->convs, &br->nconvs,
		    &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			br->convs = NULL;
			br->nconvs = 0;
		}
		br->list.n = br->nconvs;
		br->flags = xcalloc(br->nconvs + 1, sizeof *br->flags);
		br->models = xcalloc(br->nconvs + 1, sizeof *br->models);
		for (i = 0; i < br->nconvs; i++) {
			if (store_msg_list(ui->store, br->convs[i].id, &m, &n,
			    &cause) != 0) {
				free(cause);
				cause = NULL;
				continue;
			}
			for (k = 0; k < n; k++) {
				if (m[k].status == STORE_STATUS_INTERRUPTED ||
				    m[k].status == STORE_STATUS_STREAMING)
					br->flags[i] |= BROWSE_INTERRUPTED;
				else if (m[k].status == STORE_STATUS_CANCELLED)
					br->flags[i] |= BROWSE_STOPPED;
				else if (m[k].status == STORE_STATUS_ERROR)
					br->flags[i] |= BROWSE_FAILED;
			}
			br->models[i] = browser_models(m, n);
			store_msgs_free(m, n);
		}
	}
	if (br->list.sel >= br->list.n)
		br->list.sel = br->list.n > 0 ? br->list.n - 1 : 0;
	ui->dirty = 1;
}

static void
browser_free(void *data)
{
	struct browser	*br = data;

	browser_clear(br);
	buf_free(&br->search);
	buf_free(&br->field);
}

/* Id (and title) of the selected conversation, 0 if none. */
static int64_t
browser_selected(struct browser *br, const char **title)
{
	if (br->list.sel >= br->list.n)
		return 0;
	if (br->search.len > 0) {
		if (title != NULL)
			*title = br->hits[br->list.sel].title;
		return br->hits[br->list.sel].conv_id;
	}
	if (title != NULL)
		*title = br->convs[br->list.sel].title;
	return br->convs[br->list.sel].id;
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

/*
 * Conversation k's row into b: date, title (n msgs, models), markers,
 * then the preview.  The markers and figures always show: a long title
 * or model name is shortened in the middle first, and only the preview
 * is cut at the edge.
 */
static void
browser_row(struct ui *ui, struct browser *br, size_t k, struct buf *b)
{
	struct store_conv	*c = &br->convs[k];
	struct buf		 count = BUF_INIT, marks = BUF_INIT;
	const char		*title, *model = br->models[k];
	char			 date[40], *t, *m;
	int			 room, tw, mw;

	store_time_iso(c->updated, date, sizeof date);
	date[10] = ' ';
	date[16] = '\0';
	buf_printf(&count, " (%d msg%s", c->n_messages,
	    c->n_messages == 1 ? "" : "s");
	buf_printf(&marks, ")%s%s%s%s -- ", c->archived ? " [archived]" : "",
	    br->flags[k] & BROWSE_INTERRUPTED ? " [interrupted]" : "",
	    br->flags[k] & BROWSE_STOPPED ? " [stopped]" : "",
	    br->flags[k] & BROWSE_FAILED ? " [failed]" : "");
	title = c->title[0] != '\0' ? c->title : "(untitled)";
	/*
	 * Room for the title and ", models": all the row but the preview;
	 * names that must be shortened leave 8 columns of preview.
	 */
	room = COLS - (int)strlen(date) - 1 - (int)count.len -
	    (int)utf8_width(marks.data, marks.len);
	tw = (int)utf8_width(title, strlen(title));
	mw = model != NULL ? (int)utf8_width(model, strlen(model)) + 2 : 0;
	if (tw + mw > room)
		room -= 8;
	if (tw + mw > room && model != NULL && mw > room / 3 + 2)
		mw = (room / 3 > 10 ? room / 3 : 10) + 2;
	m = model != NULL ? ui_fit_name(ui, model, mw - 2) : NULL;
	if (m != NULL)
		mw = (int)utf8_width(m, strlen(m)) + 2;
	t = ui_fit_name(ui, title, room - mw > 6 ? room - mw : 6);
	buf_printf(b, "%s %s", date, t);
	buf_append(b, count.data, count.len);
	if (m != NULL)
		buf_printf(b, ", %s", m);
	buf_append(b, marks.data, marks.len);
	if (c->preview != NULL)
		buf_puts(b, c->preview);
	free(t);
	free(m);
	buf_free(&count);
	buf_free(&marks);
}

static void
browser_draw(struct ui *ui, void *data)
{
	struct browser		*br = data;
	struct store_hit	*h;
	struct buf		 b = BUF_INIT;
	char			 date[40], *p;
	size_t			 i;
	int			 height, y, attr, sel, first = 2;

	ui_fill(ui, 0, UA_STATUS);
	buf_printf(&b, " Conversations (%zu%s)%s", br->list.n,
	    br->search.len > 0 ? " matches" : "",
	    browser_archived ? " incl. archived" : "");
	ui_draw_str(ui, 0, 0, b.data, COLS, UA_STATUS);
	buf_clear(&b);
	if (br->searching || br->search.len > 0) {
		ui_draw_str(ui, 1, 0, "search: ", COLS, UA_TITLE);
		ui_draw_text(ui, 1, 8, buf_str(&br->search), br->search.len,
		    COLS - 9, UA_TEXT);
	} else
		ui_draw_str(ui, 1, 0, "/ searches all messages and titles",
		    COLS, UA_DIM);
	height = LINES - 4;
	ui_list_scroll(&br->list, height);
	for (i = 0; i < (size_t)height && br->list.top + i < br->list.n;
	    i++) {
		y = first + (int)i;
		sel = br->list.top + i == br->list.sel;
		attr = sel ? UA_SELECTED : UA_TEXT;
		if (sel)
			ui_fill(ui, y, UA_SELECTED);
		buf_clear(&b);
		if (br->search.len > 0) {
			h = &br->hits[br->list.top + i];
			store_time_iso(h->created, date, sizeof date);
			date[10] = ' ';
			date[16] = '\0';
			/*
			 * Where the words are: the title, or which message
			 * (whose, and when: the date is the message's).
			 */
			if (h->msg_id == 0)
				buf_printf(&b, "%s [title] ", date);
			else {
				p = ui_fit_name(ui, h->title[0] != '\0' ?
				    h->title : "(untitled)", COLS / 3);
				buf_printf(&b, "%s %s [%s]: ", date, p,
				    h->role == STORE_ROLE_USER ? "question" :
				    h->role == STORE_ROLE_ASSISTANT ?
				    "answer" : "system message");
				free(p);
			}
			ui_draw_text(ui, y, 0, b.data, b.len, COLS, attr);
			browser_draw_marked(ui, y, (int)utf8_width(b.data,
			    b.len), h->snippet != NULL ? h->snippet : "",
			    COLS - (int)utf8_width(b.data, b.len), attr);
			continue;
		}
		browser_row(ui, br, br->list.top + i, &b);
		ui_draw_text(ui, y, 0, b.data, b.len, COLS, attr);
	}
	if (br->list.n == 0)
		ui_draw_str(ui, first, 2, br->search.len > 0 ? "no matches" :
		    "no conversations yet", COLS - 2, UA_DIM);
	buf_free(&b);
	if (br->prompt != 0) {
		ui_draw_str(ui, LINES - 2, 0, ui->msg != NULL ? ui->msg : "",
		    COLS, UA_TITLE);
		if (br->prompt != 'd') {
			ui_draw_str(ui, LINES - 1, 0, "> ", 2, UA_USER);
			ui_draw_text(ui, LINES - 1, 2, buf_str(&br->field),
			    br->field.len, COLS - 3, UA_TEXT);
			move(LINES - 1, 2 + (int)utf8_width(
			    buf_str(&br->field), br->field.len));
			curs_set(1);
		}
		return;
	}
	ui_draw_footer(ui, NULL, br->searching ? "type to search  Enter "
	    "done  Esc clear" : "Enter open  r resume  n rename  a archive  "
	    "d delete  e export  A archived  / search  q close");
	if (br->searching) {
		move(1, 8 + (int)utf8_width(buf_str(&br->search),
		    br->search.len));
		curs_set(1);
	}
}

static void
browser_prompt(struct ui *ui, struct browser *br, int which,
    const char *initial)
{
	const char	*title = NULL;
	int64_t		 id;

	if ((id = browser_selected(br, &title)) == 0) {
		ui_message(ui, 1, "no conversation selected");
		return;
	}
	br->prompt = which;
	buf_clear(&br->field);
	if (initial != NULL)
		buf_puts(&br->field, initial);
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
browser_prompt_done(struct ui *ui, struct browser *br)
{
	char		*cause = NULL, *path, **argv;
	int		 argc, rv, which = br->prompt;
	int64_t		 id;

	br->prompt = 0;
	id = browser_selected(br, NULL);
	free(ui->msg);
	ui->msg = NULL;
	if (which == 'n') {
		if (store_conv_rename(ui->store, id, buf_str(&br->field),
		    &cause) != 0)
			goto fail;
		ui_message(ui, 0, "renamed");
	} else if (which == 'e') {
		if (slash_split(buf_str(&br->field), &argc, &argv,
		    &cause) != 0)
			goto fail;
		if (argc < 1 || argc > 2) {
			slash_free_argv(argc, argv);
			ui_message(ui, 1, "usage: md|json|txt [FILE]");
			return;
		}
		ui_export_start(ui, id, argv[0], argc > 1 ? argv[1] : NULL);
		slash_free_argv(argc, argv);
	} else if (which == 'd') {
		if (ui->chat->conv_id == id && ui->state == STATE_GENERATING) {
			ui_message(ui, 1, "this conversation is being answered: "
			    "stop it first (Esc in the chat)");
			return;
		}
		/* Its questions leave the input history too. */
		xasprintf(&path, "%s/history", ui->data_dir);
		rv = inhist_delete_conv(ui->store, id, path, input_forget,
		    &cause);
		free(path);
		if (rv < 0)
			goto fail;
		if (ui->chat->conv_id == id && ui->state != STATE_GENERATING)
			ui_new_conversation(ui);
		if (rv > 0)
			goto fail;
		ui_message(ui, 0, "deleted conversation %lld", (long long)id);
	}
	browser_reload(ui, br);
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

static int
browser_key(struct ui *ui, void *data, int key)
{
	struct browser	*br = data;
	const char	*title = NULL;
	char		*cause = NULL;
	int64_t		 id;
	int		 a;

	ui->dirty = 1;
	if (br->prompt != 0) {
		if (key == UI_KEY_ESC || key == 3 || (br->prompt == 'd' &&
		    key != 'y' && key != 'Y')) {
			br->prompt = 0;
			ui_message(ui, 0, "cancelled");
			return 1;
		}
		if (br->prompt == 'd' || key == '\r' || key == KEY_ENTER)
			browser_prompt_done(ui, br);
		else
			browser_field_key(ui, &br->field, key);
		return 1;
	}
	free(ui->msg);
	ui->msg = NULL;
	if (br->searching) {
		switch (key) {
		case UI_KEY_ESC:
		case 3:
			br->searching = 0;
			buf_clear(&br->search);
			browser_reload(ui, br);
			return 1;
		case '\r':
		case KEY_ENTER:
		case KEY_DOWN:
			br->searching = 0;
			return 1;
		}
		if (browser_field_key(ui, &br->search, key)) {
			br->list.sel = 0;
			browser_reload(ui, br);
		}
		return 1;
	}
	if (ui_list_key(&br->list, key))
		return 1;
	switch (key) {
	case '/':
		br->searching = 1;
		break;
	case 'A':
		browser_archived = !browser_archived;
		browser_reload(ui, br);
		break;
	case UI_KEY_ESC:
	case 'q':
	case 3:
		if (br->search.len > 0 && key != 'q') {
			buf_clear(&br->search);
			browser_reload(ui, br);
			break;
		}
		ui_screen_home(ui);
		break;
	case '\r':
	case KEY_ENTER:
	case 'r':
		/* Enter opens the view over the browser; r resumes the
		   conversation in the chat, which closes the browser. */
		if ((id = browser_selected(br, NULL)) == 0)
			break;
		if ((key == 'r' ? ui_resume(ui, id, &cause) :
		    view_open(ui, id, &cause)) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
		}
		break;
	case 'n':
		if (browser_selected(br, &title) != 0)
			browser_prompt(ui, br, 'n', title);
		break;
	case 'e':
		browser_prompt(ui, br, 'e', "md");
		break;
	case 'd':
		browser_prompt(ui, br, 'd', NULL);
		break;
	case 'a':
		if ((id = browser_selected(br, NULL)) == 0)
			break;
		a = br->search.len == 0 && br->convs[br->list.sel].archived;
		if (store_conv_set_archived(ui->store, id, !a, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			break;
		}
		browser_reload(ui, br);
		ui_message(ui, 0, "%s conversation %lld", a ? "unarchived" :
		    "archived", (long long)id);
		break;
	}
	return 1;
}
