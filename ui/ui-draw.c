/*
 * ui-draw.c -- the terminal and the drawing primitives every screen uses.
 *
 * Starting and ending curses, the colour/attribute roles (enum ui_attr)
 * and their curses attributes, text drawn safely into stdscr (invalid
 * UTF-8, control characters and wide characters measured by wrap_char,
 * as wrap.c measures them), Markdown style bits turned into attributes,
 * the footer rows of the full screens, and the selectable list
 * that the model menu, the browser and the preset picker share.  Drawing
 * only writes stdscr; ui.c refreshes once per redraw.
 */
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

/* Last: its capability macros (lines, columns...) would rename fields. */
#include <term.h>

static const char *ui_draw_ascii(uint32_t, const char *);
static int	 ui_style_attr(struct ui *, int, int);
static void	 ui_draw_init(struct ui *);

static int	 curses_on;

/*
 * Start curses on the terminal: raw keys, no echo, the wheel, bracketed
 * paste, and the attributes for the roles.
 */
void
ui_draw_start(struct ui *ui)
{
	const char	*cs;

	cs = nl_langinfo(CODESET);
	ui->utf8 = cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
	initscr();
	curses_on = 1;
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	/*
	 * Wheel only.  ncurses asks for the SGR (1006) report format only
	 * where terminfo says so (xterm's XM); for screen and tmux entries it
	 * enables X10 reports, which cannot carry columns past 223 and which
	 * tmux stops sending once anything asks for 1006.  Ask for 1006
	 * ourselves and decode those reports in ui_read_keys; X10 reports
	 * that ncurses decodes still arrive as KEY_MOUSE.
	 */
	if (mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL) != 0) {
		fputs("\033[?1006h", stdout);
		fflush(stdout);
	}
	mouseinterval(0);
	ui_draw_init(ui);
	/* Bracketed paste: the terminal marks pasted text. */
	fputs("\033[?2004h", stdout);
	fflush(stdout);
}

/* Back to the normal terminal (once; safe if curses never started). */
void
ui_draw_end(void)
{
	if (!curses_on)
		return;
	fputs("\033[?2004l\033[?1006l", stdout);
	fflush(stdout);
	endwin();
	curses_on = 0;
}

/*
 * Set ui->attrs for each role: colours where the terminal has them and
 * NO_COLOR is unset, plain attributes otherwise.  After initscr.
 */
static void
ui_draw_init(struct ui *ui)
{
	const char	*cs;
	int		 i;

	for (i = 0; i < UA_NATTRS; i++)
		ui->attrs[i] = A_NORMAL;
	ui->color = has_colors() && getenv("NO_COLOR") == NULL;
	if (ui->color) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);
		init_pair(2, COLOR_GREEN, -1);
		init_pair(3, COLOR_YELLOW, -1);
		init_pair(4, COLOR_WHITE, COLOR_BLUE);
		init_pair(5, COLOR_WHITE, COLOR_RED);
		init_pair(6, COLOR_RED, -1);
		init_pair(7, COLOR_BLACK, COLOR_YELLOW);
		ui->attrs[UA_USER] = COLOR_PAIR(1) | A_BOLD;
		ui->attrs[UA_ASSISTANT] = COLOR_PAIR(2) | A_BOLD;
		ui->attrs[UA_SYSTEM] = COLOR_PAIR(3);
		ui->attrs[UA_NOTICE] = COLOR_PAIR(3);
		ui->attrs[UA_STATUS] = COLOR_PAIR(4);
		ui->attrs[UA_MARKER] = COLOR_PAIR(5) | A_BOLD;
		ui->attrs[UA_ERROR] = COLOR_PAIR(6) | A_BOLD;
		ui->attrs[UA_MATCH] = COLOR_PAIR(7);
	} else {
		ui->attrs[UA_USER] = A_BOLD;
		ui->attrs[UA_ASSISTANT] = A_BOLD | A_UNDERLINE;
		ui->attrs[UA_SYSTEM] = A_DIM;
		ui->attrs[UA_NOTICE] = A_DIM;
		ui->attrs[UA_STATUS] = A_REVERSE;
		ui->attrs[UA_MARKER] = A_REVERSE | A_BOLD;
		ui->attrs[UA_ERROR] = A_BOLD;
		ui->attrs[UA_MATCH] = A_REVERSE | A_UNDERLINE;
	}
	ui->attrs[UA_DIM] = A_DIM;
	ui->attrs[UA_SELECTED] = A_REVERSE;
	ui->attrs[UA_TITLE] = A_BOLD;
	/* Markdown: code in the code-block colour, or dim without colour. */
	ui->attrs[UA_CODE] = ui->color ? (int)COLOR_PAIR(3) : A_DIM;
	cs = tigetstr("sitm");
	ui->italic = cs != NULL && cs != (char *)-1 && *cs != '\0' ?
	    A_ITALIC : A_UNDERLINE;
}

/*
 * Draw s[0..n) at (y, x), at most maxw columns, with role attr.  Invalid
 * bytes show as U+FFFD, a tab as one space, every other character that
 * utf8_cp_safe() keeps off the terminal (controls, C1, bidi overrides
 * and isolates, line separators) as U+FFFD too, one column as wrap_char
 * counts it, so wrapping and drawing agree; outside a UTF-8 locale every
 * non-ASCII character is drawn as '?'.
 */
void
ui_draw_text(struct ui *ui, int y, int x, const char *s, size_t n, int maxw,
    int attr)
{
	ui_draw_styled(ui, y, x, s, NULL, n, maxw, attr);
}

/*
 * Outside a UTF-8 locale: the ASCII stand-in for the box-drawing
 * characters of quote bars and table rules (see markdown.c), so tables
 * and quotes stay readable; *q ('?') for anything else.
 */
static const char *
ui_draw_ascii(uint32_t cp, const char *q)
{
	switch (cp) {
	case 0x2502:		/* box drawings light vertical */
		return "|";
	case 0x2500:		/* ... horizontal */
		return "-";
	case 0x253C:		/* ... vertical and horizontal */
		return "+";
	default:
		return q;
	}
}

/* The curses attributes for role attr with Markdown style bits st. */
static int
ui_style_attr(struct ui *ui, int attr, int st)
{
	int	a = ui->attrs[attr];

	if ((st & MD_CODE) && !(st & MD_BLOCK))
		a = (a & ~(int)A_COLOR) | ui->attrs[UA_CODE];
	if (st & (MD_BOLD | MD_HEADING))
		a |= A_BOLD;
	if (st & MD_ITALIC)
		a |= ui->italic;
	if (st & (MD_STRIKE | MD_RULE))
		a |= A_DIM;
	if (st & MD_LINK)
		a |= A_UNDERLINE;
	return a;
}

/*
 * ui_draw_text with style[i] (MD_* bits, see markdown.h) for byte i
 * added to attr; style may be NULL.
 */
void
ui_draw_styled(struct ui *ui, int y, int x, const char *s,
    const unsigned char *style, size_t n, int maxw, int attr)
{
	size_t		i = 0;
	uint32_t	cp;
	int		l, w = 0, cw, cur = 0;
	char		q = '?';

	if (y < 0 || y >= LINES || x >= COLS || maxw <= 0)
		return;
	if (x + maxw > COLS)
		maxw = COLS - x;
	attrset(ui->attrs[attr]);
	move(y, x);
	while (i < n) {
		if (style != NULL && style[i] != cur) {
			cur = style[i];
			attrset(ui_style_attr(ui, attr, cur));
		}
		l = wrap_char(s + i, n - i, &cp, &cw);
		if (cp == '\t') {
			if (w + 1 > maxw)
				break;
			addch(' ');
			w++;
			i++;
			continue;
		}
		if (w + cw > maxw)
			break;
		if ((cp == 0xFFFD && l == 1) || !utf8_cp_safe(cp))
			addstr(ui->utf8 ? "\xEF\xBF\xBD" : "?");
		else if (!ui->utf8 && cp >= 0x80)
			addnstr(ui_draw_ascii(cp, &q), 1);
		else if (cw == 0 && w == 0)
			;	/* a combining mark with nothing to combine */
		else
			addnstr(s + i, l);
		w += cw;
		i += (size_t)l;
	}
	attrset(A_NORMAL);
}

int
ui_draw_str(struct ui *ui, int y, int x, const char *s, int maxw, int attr)
{
	ui_draw_text(ui, y, x, s, strlen(s), maxw, attr);
	return (int)utf8_width(s, strlen(s));
}

/*
 * The two bottom rows of a full screen: the status message (else hint,
 * dim, if not NULL) and the screen's keys on the status bar.
 */
void
ui_draw_footer(struct ui *ui, const char *hint, const char *keys)
{
	if (ui->msg != NULL)
		ui_draw_str(ui, LINES - 2, 0, ui->msg, COLS,
		    ui->msg_error ? UA_ERROR : UA_DIM);
	else if (hint != NULL)
		ui_draw_str(ui, LINES - 2, 0, hint, COLS, UA_DIM);
	ui_fill(ui, LINES - 1, UA_STATUS);
	ui_draw_str(ui, LINES - 1, 0, keys, COLS, UA_STATUS);
}

/* A byte or parameter count in at most 6 columns: "7.2G", "260.0K", "512". */
void
ui_size_text(uint64_t n, char *out, size_t len)
{
	if (n >= 1000000000ULL)
		snprintf(out, len, "%.1fG", n / 1e9);
	else if (n >= 1000000ULL)
		snprintf(out, len, "%.1fM", n / 1e6);
	else if (n >= 1000ULL)
		snprintf(out, len, "%.1fK", n / 1e3);
	else
		snprintf(out, len, "%llu", (unsigned long long)n);
}

/* Fill row y with spaces in attr. */
void
ui_fill(struct ui *ui, int y, int attr)
{
	int	x;

	attrset(ui->attrs[attr]);
	for (x = 0; x < COLS; x++)
		mvaddch(y, x, ' ');
	attrset(A_NORMAL);
}

void
ui_list_move(struct ui_list *l, int delta, int page)
{
	long	s = (long)l->sel;

	(void)page;
	if (l->n == 0) {
		l->sel = 0;
		return;
	}
	s += delta;
	if (s < 0)
		s = 0;
	if (s >= (long)l->n)
		s = (long)l->n - 1;
	l->sel = (size_t)s;
}

int
ui_list_key(struct ui_list *l, int key)
{
	switch (key) {
	case KEY_UP:
	case 'k':
		ui_list_move(l, -1, 0);
		return 1;
	case KEY_DOWN:
	case 'j':
		ui_list_move(l, 1, 0);
		return 1;
	case KEY_PPAGE:
		ui_list_move(l, -(LINES - 5), 0);
		return 1;
	case KEY_NPAGE:
		ui_list_move(l, LINES - 5, 0);
		return 1;
	case KEY_HOME:
		l->sel = 0;
		return 1;
	case KEY_END:
		ui_list_move(l, (int)l->n, 0);
		return 1;
	}
	return 0;
}

/* Keep the selection inside the window of height rows. */
void
ui_list_scroll(struct ui_list *l, int height)
{
	if (height < 1)
		height = 1;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + (size_t)height)
		l->top = l->sel - (size_t)height + 1;
	if (l->n <= (size_t)height)
		l->top = 0;
}

/*
 * Can the terminal on standard output run the chat?  It must be known
 * to terminfo and able to address the cursor (cup): on one that cannot
 * (TERM=dumb) nothing would be drawn where it belongs, the advisory
 * included.  0, or -1 with *cause (one line naming `medchat ask`).
 */
int
ui_draw_term_ok(char **cause)
{
	const char	*term = getenv("TERM");
	char		*cup, *name;
	int		 err = 0, ok;

	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		ok = 0;
	else {
		cup = tigetstr("cup");
		ok = cup != NULL && cup != (char *)-1;
		del_curterm(cur_term);
	}
	if (ok)
		return 0;
	name = utf8_printable(term != NULL ? term : "");
	xasprintf(cause, "this terminal (TERM=%s) cannot move the cursor, "
	    "which the chat needs; use `medchat ask` instead", name);
	free(name);
	return -1;
}
