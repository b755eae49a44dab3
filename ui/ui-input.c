/*
 * ui-input.c -- GNU readline inside curses: the only file that touches
 * readline (the recipe of rlncurses.c and profanity's inputwin.c).
 *
 * Readline runs in callback mode.  ui.c reads keys from curses and calls
 * input_feed(); curses key codes are turned back into the byte sequences
 * readline's keymaps know (arrows as ESC [ A...), queued in pending[], and
 * readline pulls them through rl_getc_function / rl_input_available_hook.
 * Readline never draws nor touches the terminal: rl_redisplay_function
 * only marks the UI dirty, rl_outstream is /dev/null, terminal prep and
 * signal handling are off, and input_draw() renders rl_line_buffer and
 * rl_point into the bottom rows with wcwidth-correct cursor placement.
 *
 * A line accepted by readline is handed to the UI after readline has
 * returned (ui_input_line), never from inside readline's callback, so the
 * UI may freely replace the line.  A trailing backslash or Alt-Enter
 * continues the line with a newline instead of sending it.  History
 * entries are escaped in the history file (one line each); at exit only
 * the entries added in this run are appended to it, under its lock
 * (inhist.h), so that instances running side by side all keep theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <curses.h>
#include <readline/readline.h>
#include <readline/history.h>

#include "inhist.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

static int	 input_getc(FILE *);
static int	 input_available(void);
static void	 input_redisplay(void);
static void	 input_line(char *);
static void	 input_push(const char *, size_t);
static char	**input_complete(const char *, int, int);
static char	*input_gen_cmd(const char *, int);
static char	*input_gen_word(const char *, int);
static void	 input_show_matches(char **, int, int);
static void	 input_accept(void);
static void	 input_hist_map(char *(*)(const char *));
static const char *input_prompt(void);

#define INPUT_HISTORY_MAX	1000	/* entries kept, in memory and file */

static struct ui	*input_ui;
static unsigned char	 pending[256];
static size_t		 npending, ppending;
static char		*accepted;
static int		 accepted_eof;
static char		*history_file;
static int		 history_added;	/* entries added in this run */
static FILE		*devnull;
static const char *const *complete_words;

static const char *const set_words[] = {
	"temp", "top-k", "top-p", "min-p", "repeat-penalty", "seed",
	"max-tokens", "ctx", "system", NULL
};
static const char *const export_words[] = { "md", "json", "txt", NULL };
/* The settings file's endpoint names, for /model. */
static const char	*endpoint_words[CONFFILE_ENDPOINTS_MAX + 1];
/* The model files the menu shows that match the word (ui-paths.c). */
static char		**model_words;
static size_t		 n_model_words;

/* How many endpoint_words there are. */
static size_t
n_endpoint_words(void)
{
	size_t	n = 0;

	while (endpoint_words[n] != NULL)
		n++;
	return n;
}

/* Readline asks for the next byte; only ever called with bytes queued. */
static int
input_getc(FILE *f)
{
	(void)f;
	if (ppending < npending)
		return pending[ppending++];
	/*
	 * Readline wants more than we have (a multi-key command reading
	 * ahead): give it a harmless byte that aborts the sequence.
	 */
	return 7;	/* C-g */
}

static int
input_available(void)
{
	return ppending < npending;
}

static void
input_redisplay(void)
{
	if (input_ui != NULL)
		input_ui->dirty = 1;
}

static void
input_line(char *line)
{
	if (line == NULL) {
		accepted_eof = 1;
		return;
	}
	free(accepted);
	accepted = line;	/* we own it now */
}

static void
input_push(const char *s, size_t n)
{
	if (ppending == npending)
		ppending = npending = 0;
	if (n > sizeof pending - npending)
		n = sizeof pending - npending;
	memcpy(pending + npending, s, n);
	npending += n;
}

static char *
input_gen_cmd(const char *text, int state)
{
	return slash_complete(ui_slash_table(), text, state);
}

static char *
input_gen_word(const char *text, int state)
{
	static size_t	i;
	const char	*w;

	if (state == 0)
		i = 0;
	while (complete_words != NULL && (w = complete_words[i]) != NULL) {
		i++;
		if (strncmp(w, text, strlen(text)) == 0)
			return xstrdup(w);
	}
	/* Then the model files (after the endpoints, for /model only). */
	if (complete_words == endpoint_words && model_words != NULL &&
	    i - n_endpoint_words() < n_model_words) {
		w = model_words[i - n_endpoint_words()];
		i++;
		return xstrdup(w);
	}
	return NULL;
}

/* Complete command names at the start, and the words some take. */
static char **
input_complete(const char *text, int start, int end)
{
	size_t	i;

	(void)end;
	rl_attempted_completion_over = 1;
	if (start == 0 && text[0] == '/')
		return rl_completion_matches(text, input_gen_cmd);
	complete_words = NULL;
	if (strncmp(rl_line_buffer, "/set ", 5) == 0 && start == 5)
		complete_words = set_words;
	else if (strncmp(rl_line_buffer, "/export ", 8) == 0 && start == 8)
		complete_words = export_words;
	else if (strncmp(rl_line_buffer, "/template ", 10) == 0 &&
	    start == 10)
		complete_words = engine_template_names();
	else if (strncmp(rl_line_buffer, "/model ", 7) == 0 && start == 7 &&
	    input_ui != NULL) {
		/* A path: readline's own file names (it expands ~). */
		if (text[0] == '~' || strchr(text, '/') != NULL) {
			rl_filename_completion_desired = 1;
			return rl_completion_matches(text,
			    rl_filename_completion_function);
		}
		for (i = 0; i < input_ui->conf.n_endpoints &&
		    i < CONFFILE_ENDPOINTS_MAX; i++)
			endpoint_words[i] = input_ui->conf.endpoints[i].name;
		endpoint_words[i] = NULL;
		complete_words = endpoint_words;
		/* And the file names the model menu shows. */
		xfreev(model_words, n_model_words);
		model_words = ui_model_names(input_ui, text, &n_model_words);
	}
	if (complete_words == NULL)
		return NULL;
	return rl_completion_matches(text, input_gen_word);
}

/* Several matches: list them in the status line, never on the tty. */
static void
input_show_matches(char **matches, int n, int maxlen)
{
	struct buf	b = BUF_INIT;
	int		i;

	(void)maxlen;
	for (i = 1; i <= n; i++) {
		if (i > 1)
			buf_puts(&b, "  ");
		buf_puts(&b, matches[i]);
	}
	ui_message(input_ui, 0, "%s", buf_str(&b));
	buf_free(&b);
}

/*
 * Replace every history entry's text with fn(text).  The history file has
 * one entry a line, so entries are escaped (slash_hist_escape) just before
 * it is written and unescaped just after it is read: a multi-line input
 * comes back whole after a restart.
 */
static void
input_hist_map(char *(*fn)(const char *))
{
	HIST_ENTRY	*h;
	char		*t;
	int		 i;

	for (i = 0; i < history_length; i++) {
		if ((h = history_get(history_base + i)) == NULL)
			continue;
		t = fn(h->line);
		/* The new entry keeps the old one's data pointer. */
		if ((h = replace_history_entry(i, t, h->data)) != NULL)
			(void)free_history_entry(h);
		free(t);
	}
}

/*
 * Drop the entries equal to lines[0..n) (escaped, as in the file) from
 * the history in memory: a deleted conversation's questions are not
 * appended to the file again at exit.
 */
void
input_forget(char *const *lines, size_t n)
{
	HIST_ENTRY	*h;
	char		*t;
	size_t		 j;
	int		 i, hit;

	for (i = history_length - 1; i >= 0; i--) {
		if ((h = history_get(history_base + i)) == NULL)
			continue;
		t = slash_hist_escape(h->line);
		for (hit = 0, j = 0; j < n && !hit; j++)
			hit = strcmp(t, lines[j]) == 0;
		free(t);
		if (!hit)
			continue;
		if (i >= history_length - history_added)
			history_added--;
		if ((h = remove_history(i)) != NULL)
			(void)free_history_entry(h);
	}
	using_history();
}

/*
 * Set readline up for the UI.  history_path (NULL: no input history) is
 * read now; input_free() appends this run's entries to it, mode 0600.
 */
void
input_init(struct ui *ui, const char *history_path)
{
	int	fd, lock;

	input_ui = ui;
	devnull = fopen("/dev/null", "w");
	rl_outstream = devnull;
	rl_instream = stdin;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = NULL;
	rl_deprep_term_function = NULL;
	rl_getc_function = input_getc;
	rl_input_available_hook = input_available;
	rl_redisplay_function = input_redisplay;
	rl_attempted_completion_function = input_complete;
	rl_completion_display_matches_hook = input_show_matches;
	rl_readline_name = "medchat";
	rl_variable_bind("bell-style", "none");
	rl_variable_bind("enable-bracketed-paste", "off");

	using_history();
	stifle_history(INPUT_HISTORY_MAX);
	history_added = 0;
	if (history_path != NULL) {
		history_file = xstrdup(history_path);
		lock = inhist_lock(history_file);
		fd = open(history_file, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600);
		if (fd != -1) {
			fchmod(fd, 0600);
			close(fd);
		}
		read_history(history_file);
		inhist_unlock(lock);
		input_hist_map(slash_hist_unescape);
	}
	rl_callback_handler_install("", input_line);
	/* The inputrc may have re-enabled things that touch the tty. */
	rl_variable_bind("enable-bracketed-paste", "off");
	/*
	 * Take 8-bit bytes as text even outside a UTF-8 locale (readline
	 * would turn them into Meta keys): the UI sanitizes the line as
	 * UTF-8 and draws what it cannot show as '?'.
	 */
	rl_variable_bind("input-meta", "on");
	rl_variable_bind("convert-meta", "off");
	rl_variable_bind("output-meta", "on");
}

void
input_free(void)
{
	int	fd, lock;

	rl_callback_handler_remove();
	if (history_file != NULL) {
		input_hist_map(slash_hist_escape);
		if (history_added > history_length)
			history_added = history_length;
		lock = inhist_lock(history_file);
		/* append_history does not create the file. */
		fd = open(history_file, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600);
		if (fd != -1)
			close(fd);
		if (history_added > 0) {
			append_history(history_added, history_file);
			history_truncate_file(history_file, INPUT_HISTORY_MAX);
		}
		chmod(history_file, 0600);
		inhist_unlock(lock);
		free(history_file);
		history_file = NULL;
	}
	clear_history();
	xfreev(model_words, n_model_words);
	model_words = NULL;
	n_model_words = 0;
	free(accepted);
	accepted = NULL;
	if (devnull != NULL)
		fclose(devnull);
	devnull = NULL;
	input_ui = NULL;
}

/*
 * Give readline one key from curses.  After readline returns, an accepted
 * line goes to ui_input_line (which takes ownership).
 */
void
input_feed(int key)
{
	const char	*seq = NULL;
	char		 c[2];

	switch (key) {
	case KEY_LEFT:		seq = "\033[D"; break;
	case KEY_RIGHT:		seq = "\033[C"; break;
	case KEY_UP:		seq = "\033[A"; break;
	case KEY_DOWN:		seq = "\033[B"; break;
	case KEY_HOME:		seq = "\033[H"; break;
	case KEY_END:		seq = "\033[F"; break;
	case KEY_DC:		seq = "\033[3~"; break;
	case KEY_IC:		seq = "\033[2~"; break;
	case KEY_BACKSPACE:	seq = "\177"; break;
	case KEY_ENTER:		seq = "\r"; break;
	case UI_KEY_ESC:	seq = "\033"; break;
	case UI_KEY_PASTE:
		input_insert(buf_str(&input_ui->paste));
		return;
	default:
		if (UI_KEY_IS_META(key)) {
			if ((key & 0xff) == '\r' || (key & 0xff) == '\n') {
				input_insert("\n");
				return;
			}
			c[0] = '\033';
			c[1] = (char)(key & 0xff);
			input_push(c, 2);
		} else if (key >= 0 && key < 256) {
			c[0] = (char)key;
			input_push(c, 1);
		} else
			return;	/* other function keys: not readline's */
		break;
	}
	if (seq != NULL)
		input_push(seq, strlen(seq));
	while (ppending < npending) {
		rl_callback_read_char();
		input_accept();
	}
}

/* Hand an accepted line (or EOF) to the UI, outside readline. */
static void
input_accept(void)
{
	char	*line;
	size_t	 len;

	if (accepted_eof) {
		accepted_eof = 0;
		ui_input_line(input_ui, NULL);
		return;
	}
	if (accepted != NULL) {
		line = accepted;
		accepted = NULL;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\\') {
			line[len - 1] = '\n';
			rl_insert_text(line);
			free(line);
			input_ui->dirty = 1;
			return;
		}
		if (line[0] != '\0' && line[0] != ' ') {
			HIST_ENTRY *h = history_get(history_base +
			    history_length - 1);
			if (h == NULL || strcmp(h->line, line) != 0) {
				add_history(line);
				history_added++;
			}
			/*
			 * Point the history cursor past the new entry, or
			 * readline's next accept-line rewrites it.
			 */
			using_history();
		}
		ui_input_line(input_ui, line);
	}
}

/* Insert text at the cursor (paste, Alt-Enter); \r\n and \r become \n. */
void
input_insert(const char *text)
{
	char	*s, *o;

	s = o = xstrdup(text);
	for (; *text != '\0'; text++) {
		if (*text == '\r') {
			if (text[1] != '\n')
				*o++ = '\n';
			continue;
		}
		*o++ = *text;
	}
	*o = '\0';
	rl_insert_text(s);
	free(s);
	input_ui->dirty = 1;
}

/* Replace the whole line (for /edit), cursor at the end. */
void
input_set_line(const char *text)
{
	rl_replace_line(text, 0);
	rl_point = rl_end;
	input_ui->dirty = 1;
}

int
input_empty(void)
{
	return rl_end == 0;
}

void
input_clear(void)
{
	rl_replace_line("", 0);
	rl_point = 0;
	input_ui->dirty = 1;
}

/*
 * The prompt drawn before the line: "> ", or while readline searches the
 * history (C-r, C-s) its own search prompt, "(reverse-i-search)`text': "
 * or "(failed reverse-i-search)`text': " when nothing matches, which
 * readline keeps in rl_display_prompt (rl_message) and would have drawn
 * itself.
 */
static const char *
input_prompt(void)
{
	if (RL_ISSTATE(RL_STATE_ISEARCH | RL_STATE_NSEARCH) &&
	    rl_display_prompt != NULL && *rl_display_prompt != '\0')
		return rl_display_prompt;
	return "> ";
}

/* Rows the input needs at width, between 1 and maxrows. */
int
input_rows(int width, int maxrows)
{
	struct wrap	 wr = WRAP_INIT;
	struct buf	 b = BUF_INIT;
	int		 rows;

	buf_puts(&b, input_prompt());
	buf_append(&b, rl_line_buffer, (size_t)rl_end);
	wrap_text(&wr, b.data, b.len, width);
	rows = (int)wr.n;
	wrap_free(&wr);
	buf_free(&b);
	if (rows > maxrows)
		rows = maxrows;
	if (rows < 1)
		rows = 1;
	return rows;
}

/*
 * Draw the prompt and line into rows [y, y+rows) of width columns,
 * scrolled so the cursor shows; *cy and *cx get the cursor position.
 */
void
input_draw(struct ui *ui, int y, int rows, int width, int *cy, int *cx)
{
	struct wrap	 wr = WRAP_INIT;
	struct buf	 b = BUF_INIT;
	size_t		 row, first, r, plen;
	int		 col, point;

	buf_puts(&b, input_prompt());
	plen = b.len;
	buf_append(&b, rl_line_buffer, (size_t)rl_end);
	wrap_text(&wr, b.data, b.len, width);
	point = rl_point;
	if (point < 0 || point > rl_end)
		point = rl_end;
	wrap_locate(&wr, (size_t)point + plen, b.data, &row, &col);
	first = 0;
	if (row >= (size_t)rows)
		first = row - (size_t)rows + 1;
	for (r = 0; r < (size_t)rows && first + r < wr.n; r++) {
		ui_draw_text(ui, y + (int)r, 0, b.data + wr.lines[first + r].off,
		    wr.lines[first + r].len, width,
		    first + r == 0 ? UA_USER : UA_TEXT);
	}
	if (col >= width)
		col = width - 1;
	*cy = y + (int)(row - first);
	*cx = col;
	wrap_free(&wr);
	buf_free(&b);
}
