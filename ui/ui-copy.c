/*
 * ui-copy.c -- getting an answer out of the chat: /copy and /mouse.
 *
 * /copy sends the last answer to the terminal's clipboard with OSC 52.
 * Nothing comes back to say whether the terminal (or tmux) took it --
 * many ignore OSC 52, or allow it only when configured to -- so the
 * message says it was sent, not copied, and names the two ways that do
 * not depend on it: /copy FILE writes the answer to a new file (mode
 * 0600: it is health data), and /mouse off (F7) hands the mouse back to
 * the terminal so that text can be selected on the screen, which the
 * wheel's mouse reporting otherwise prevents.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "ui-int.h"
#include "xmalloc.h"

static char	*copy_base64(const unsigned char *, size_t);
static int	 copy_file(struct ui *, const char *, const char *, size_t,
		    char **);

/* Base64 of s[0..n) (caller frees). */
static char *
copy_base64(const unsigned char *s, size_t n)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			*out, *o;
	size_t			 i;
	uint32_t		 v;

	out = o = xmalloc(((n + 2) / 3) * 4 + 1);
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/*
 * The answer s[0..n) into the new file path (never over an existing
 * one: the name may be a slip), mode 0600; the message names the whole
 * path.  0, or -1 with *cause.
 */
static int
copy_file(struct ui *ui, const char *path, const char *s, size_t n,
    char **cause)
{
	char		 dir[PATH_MAX], *full;
	ssize_t		 w;
	size_t		 done = 0;
	int		 fd, err;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		xasprintf(cause, "%s: %s", path, errno == EEXIST ?
		    "exists: /copy writes only a new file" : strerror(errno));
		return -1;
	}
	while (done < n) {
		if ((w = write(fd, s + done, n - done)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		done += (size_t)w;
	}
	err = done < n ? errno : 0;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err != 0) {
		xasprintf(cause, "%s: %s", path, strerror(err));
		(void)unlink(path);
		return -1;
	}
	if (path[0] != '/' && getcwd(dir, sizeof dir) != NULL)
		xasprintf(&full, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
		    path);
	else
		full = xstrdup(path);
	ui_message(ui, 0, "wrote the last answer (%zu bytes) to %s", n,
	    full);
	free(full);
	return 0;
}

/* /copy [FILE]: 0, or -1 with *cause. */
int
ui_copy(struct ui *ui, const char *file, char **cause)
{
	const struct buf	*t;
	long			 a;
	char			*b64;

	if ((a = chat_last(ui->chat, CHAT_ASSISTANT)) < 0 ||
	    ui->chat->msgs[a].text.len == 0) {
		xasprintf(cause, "no answer to copy");
		return -1;
	}
	t = &ui->chat->msgs[a].text;
	if (file != NULL)
		return copy_file(ui, file, t->data, t->len, cause);
	b64 = copy_base64((const unsigned char *)t->data, t->len);
	/* The terminal (or tmux) puts it on the clipboard; no output moves. */
	printf("\033]52;c;%s\a", b64);
	fflush(stdout);
	free(b64);
	ui_message(ui, 0, "sent the last answer (%zu bytes) to the terminal's "
	    "clipboard (OSC 52); if it is not there: /copy FILE, or F7 and "
	    "select with the mouse", t->len);
	return 0;
}

/*
 * Mouse reporting on (the wheel scrolls the transcript) or off (the
 * terminal selects text).  ncurses asks for X10 reports; the SGR format
 * (1006) is asked for here, as ui_draw_init explains.
 */
void
ui_mouse_modes(struct ui *ui, int on)
{
	if (on && !ui->mouse_off) {
		if (mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL) != 0)
			fputs("\033[?1006h", stdout);
	} else {
		mousemask(0, NULL);
		fputs("\033[?1006l\033[?1000l", stdout);
	}
	fflush(stdout);
}

/* /mouse [on|off]: without an argument, the other of the two. */
int
ui_mouse(struct ui *ui, const char *arg, char **cause)
{
	if (arg == NULL)
		ui->mouse_off = !ui->mouse_off;
	else if (strcmp(arg, "off") == 0)
		ui->mouse_off = 1;
	else if (strcmp(arg, "on") == 0)
		ui->mouse_off = 0;
	else {
		xasprintf(cause, "usage: /mouse [on|off]");
		return -1;
	}
	ui_mouse_modes(ui, 1);
	if (ui->mouse_off)
		ui_message(ui, 0, "mouse released: select text with it (the "
		    "wheel no longer scrolls; F7 or /mouse on takes it back)");
	else
		ui_message(ui, 0, "mouse taken back: the wheel scrolls the "
		    "transcript (F7 or /mouse off releases it)");
	return 0;
}
