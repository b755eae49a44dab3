/*
 * wrap.c -- word wrapping of UTF-8 text (see wrap.h).
 *
 * A single pass over the code points of each hard line keeps the width
 * so far and the last break opportunity (just after a space).  When the
 * next character would overflow, the line ends at the break opportunity
 * if there is one, else just before that character.  Trailing spaces that
 * overflow are kept on the line but do not start a new one, as terminals
 * and most chat clients do.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "wrap.h"
#include "xmalloc.h"

static void	 wrap_push(struct wrap *, size_t, size_t, int);
static int	 wrap_width(const char *, size_t);

/*
 * The character at s[0..n), n > 0: returns its length in bytes (1 for
 * an invalid byte), with *cp its code point (U+FFFD for an invalid
 * byte) and *cw its columns by the rules that wrapping, drawing and the
 * editor's cursor share: a tab is 1 (drawn as a space), an invalid byte
 * 1, a character that utf8_cp_safe() keeps off the terminal 1 (drawn as
 * U+FFFD), anything else utf8_cpwidth.
 */
int
wrap_char(const char *s, size_t n, uint32_t *cp, int *cw)
{
	int	l;

	if ((l = utf8_decode(s, n, cp)) < 0) {
		*cw = 1;
		return 1;
	}
	*cw = *cp == '\t' || !utf8_cp_safe(*cp) ? 1 : utf8_cpwidth(*cp);
	return l;
}

/* Width of s[0..n) by the rules of wrap_char. */
static int
wrap_width(const char *s, size_t n)
{
	size_t		i = 0;
	uint32_t	cp;
	int		w = 0, cw;

	while (i < n) {
		i += (size_t)wrap_char(s + i, n - i, &cp, &cw);
		w += cw;
	}
	return w;
}

static void
wrap_push(struct wrap *wr, size_t off, size_t len, int width)
{
	if (wr->n == wr->cap) {
		wr->cap = wr->cap == 0 ? 64 : wr->cap * 2;
		wr->lines = xreallocarray(wr->lines, wr->cap,
		    sizeof *wr->lines);
	}
	wr->lines[wr->n].off = off;
	wr->lines[wr->n].len = len;
	wr->lines[wr->n].width = width;
	wr->n++;
}

size_t
wrap_text(struct wrap *wr, const char *s, size_t n, int width)
{
	size_t		 start, i, brk, before = wr->n;
	int		 w, brkw, cw, l;
	uint32_t	 cp;

	if (width < 1)
		width = 1;
	start = 0;
	i = 0;
	w = 0;
	brk = 0;
	brkw = 0;
	while (i < n) {
		if (s[i] == '\n') {
			wrap_push(wr, start, i - start, w);
			i++;
			start = i;
			w = 0;
			brk = 0;
			continue;
		}
		l = wrap_char(s + i, n - i, &cp, &cw);
		if (cp == ' ' && l == 1) {
			/* Spaces never start a new line. */
			i++;
			if (w < width)
				w++;
			brk = i;
			brkw = w;
			continue;
		}
		if (w + cw > width && w > 0) {
			if (brk > start) {
				wrap_push(wr, start, brk - start, brkw);
				start = brk;
				w -= brkw;
				if (w < 0)
					w = 0;
			} else {
				wrap_push(wr, start, i - start, w);
				start = i;
				w = 0;
			}
			brk = 0;
			/* Re-check the current character on the new line. */
			if (w + cw > width && w > 0)
				continue;
		}
		w += cw;
		i += (size_t)l;
	}
	wrap_push(wr, start, n - start, w);
	return wr->n - before;
}

void
wrap_clear(struct wrap *wr)
{
	wr->n = 0;
}

void
wrap_free(struct wrap *wr)
{
	free(wr->lines);
	wr->lines = NULL;
	wr->n = wr->cap = 0;
}

void
wrap_locate(const struct wrap *wr, size_t pos, const char *s, size_t *row,
    int *col)
{
	size_t	 r;

	*row = 0;
	*col = 0;
	if (wr->n == 0)
		return;
	for (r = 0; r + 1 < wr->n; r++) {
		if (pos < wr->lines[r + 1].off)
			break;
	}
	*row = r;
	if (pos < wr->lines[r].off)
		pos = wr->lines[r].off;
	*col = wrap_width(s + wr->lines[r].off, pos - wr->lines[r].off);
}
