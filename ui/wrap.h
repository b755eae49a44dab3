/*
 * wrap.h -- word wrapping of UTF-8 text into display lines.  Pure: no
 * curses, no allocation except the growing line array.
 */
#ifndef WRAP_H
#define WRAP_H

#include <stddef.h>
#include <stdint.h>

/* One display line: bytes [off, off + len) of the text, width columns. */
struct wrap_line {
	size_t	 off;
	size_t	 len;
	int	 width;
};

struct wrap {
	struct wrap_line	*lines;
	size_t			 n;
	size_t			 cap;
};
#define WRAP_INIT { NULL, 0, 0 }

/*
 * Append to *wr the display lines of s[0..n) wrapped at width columns
 * (width >= 1).  '\n' ends a line; lines break after the last space that
 * fits, or inside a word longer than the width, never inside a UTF-8
 * sequence, never splitting a double-width character over the edge, and
 * keeping zero-width (combining) characters with their base.  A tab
 * counts as one column (the UI draws it as a space).  Spaces at
 * a soft break are left at the end of the broken line (not counted in
 * width beyond the edge).  Invalid bytes are one column each.  Empty
 * text gives one empty line.  Returns the number of lines appended.
 */
int	 wrap_char(const char *s, size_t n, uint32_t *cp, int *cw);
size_t	 wrap_text(struct wrap *wr, const char *s, size_t n, int width);
void	 wrap_clear(struct wrap *);
void	 wrap_free(struct wrap *);

/*
 * Display column of byte offset pos within s[0..n) when wrapped as above:
 * *row and *col (both from 0).  A position at a soft break belongs to the
 * next line.  Used to place cursors in wrapped editors.
 */
void	 wrap_locate(const struct wrap *, size_t pos, const char *s,
	    size_t *row, int *col);

#endif
