/*
 * ui-fit.c -- making text fit the screen without hiding what matters.
 *
 * A row that is too narrow loses its names before its state and
 * numbers: a long model file name is shortened in the middle
 * ("meditron-7b…Q4_K_M.gguf", both ends are what tells files apart)
 * before a marker such as "[interrupted]" or a figure such as tok/s is
 * cut.  ui_fit_name does the shortening; callers give the name what is
 * left once the markers and figures have their room.  Messages and
 * notices wrap instead (ui_fit_rows, ui_fit_draw); a one-row excerpt of
 * a text ends at a word (ui_fit_line).
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "ui-int.h"
#include "utf8.h"
#include "wrap.h"
#include "xmalloc.h"

/* Bytes of s[0..n) that fill at most w columns from the start. */
static size_t
fit_head(const char *s, size_t n, int w)
{
	size_t		 off = 0;
	uint32_t	 cp;
	int		 l, cw, used = 0;

	while (off < n) {
		if ((l = utf8_decode(s + off, n - off, &cp)) < 0)
			l = 1, cw = 1;
		else
			cw = utf8_cpwidth(cp);
		if (used + cw > w)
			break;
		used += cw;
		off += (size_t)l;
	}
	return off;
}

/* The offset in s[0..n) from which the rest fills at most w columns. */
static size_t
fit_tail(const char *s, size_t n, int w)
{
	size_t		 off = n, start;
	uint32_t	 cp;
	int		 l, cw, used = 0;

	while (off > 0) {
		/* Back to the start of the character before off. */
		start = off - 1;
		while (start > 0 && off - start < 4 &&
		    ((unsigned char)s[start] & 0xC0) == 0x80)
			start--;
		if ((l = utf8_decode(s + start, n - start, &cp)) < 0 ||
		    start + (size_t)l != off) {
			start = off - 1;
			cw = 1;
		} else
			cw = utf8_cpwidth(cp);
		if (used + cw > w)
			break;
		used += cw;
		off = start;
	}
	return off;
}

/*
 * s shortened in the middle to at most w display columns, as a new
 * string: the start and the end kept (the end a little more: it holds a
 * file's quantization and extension), "…" (".." outside a UTF-8 locale)
 * between them.  s itself when it fits.  w < 1 gives "".
 */
char *
ui_fit_name(struct ui *ui, const char *s, int w)
{
	const char	*ell = ui->utf8 ? "\xe2\x80\xa6" : "..";
	size_t		 n = strlen(s), h, t;
	int		 ew = ui->utf8 ? 1 : 2, left;
	char		*out;

	if ((int)utf8_width(s, n) <= w)
		return xstrdup(s);
	if (w <= ew)
		return xstrdup(w >= 1 && ui->utf8 ? ell : "");
	left = w - ew;
	h = fit_head(s, n, left / 2);
	t = fit_tail(s, n, left - (int)utf8_width(s, h));
	if (t < h)
		t = h;
	xasprintf(&out, "%.*s%s%s", (int)h, s, ell, s + t);
	return out;
}

/* How many rows s takes wrapped at width, at most maxrows (>= 1). */
int
ui_fit_rows(const char *s, int width, int maxrows)
{
	struct wrap	wr = WRAP_INIT;
	size_t		n;

	if (width < 1)
		return 1;
	n = wrap_text(&wr, s, strlen(s), width);
	wrap_free(&wr);
	return n < 1 ? 1 : n > (size_t)maxrows ? maxrows : (int)n;
}

/*
 * Draw s word-wrapped at COLS in rows y .. y + rows - 1; what does not
 * fit in them is cut at the last row's edge.
 */
void
ui_fit_draw(struct ui *ui, int y, int rows, const char *s, int attr)
{
	struct wrap	wr = WRAP_INIT;
	size_t		i;

	if (COLS < 1)
		return;
	wrap_text(&wr, s, strlen(s), COLS);
	for (i = 0; i < wr.n && (int)i < rows; i++)
		ui_draw_text(ui, y + (int)i, 0, s + wr.lines[i].off,
		    (int)i + 1 == rows ? strlen(s) - wr.lines[i].off :
		    wr.lines[i].len, COLS, attr);
	wrap_free(&wr);
}

/*
 * The first line of s as one row of at most w columns, as a new string:
 * whole when it fits (with " ..." when more lines follow), else cut at
 * the last blank that leaves room for " ..." (inside a word only when
 * it has no blank), never mid-character.
 */
char *
ui_fit_line(const char *s, int w)
{
	size_t	 n = strcspn(s, "\n"), h, b;
	int	 more = s[n] != '\0';
	char	*out;

	if ((int)utf8_width(s, n) + (more ? 4 : 0) <= w) {
		xasprintf(&out, "%.*s%s", (int)n, s, more ? " ..." : "");
		return out;
	}
	h = fit_head(s, n, w > 4 ? w - 4 : 0);
	for (b = h; b > 0 && s[b] != ' ' && s[b] != '\t'; b--)
		continue;
	if (b > 0)
		h = b;
	while (h > 0 && (s[h - 1] == ' ' || s[h - 1] == '\t'))
		h--;
	xasprintf(&out, "%.*s ...", (int)h, s);
	return out;
}
