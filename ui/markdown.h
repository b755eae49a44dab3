/*
 * markdown.h -- Markdown-ish rendering of chat text for the transcript.
 * Pure: no curses, no locale; the UI maps the style bits to attributes.
 *
 * markdown_render() turns raw message text into the text to show (the
 * emphasis, code-span and heading markers removed) with one style byte
 * per shown byte and one entry per hard line.  The raw text is never
 * changed: the store, exports and /copy keep what the model wrote.
 */
#ifndef MARKDOWN_H
#define MARKDOWN_H

#include <stddef.h>

#include "buf.h"

/* Style bits, one byte per byte of the shown text. */
#define MD_BOLD		0x01	/* **x** or __x__ */
#define MD_ITALIC	0x02	/* *x* or _x_ */
#define MD_CODE		0x04	/* `x` */
#define MD_BLOCK	0x08	/* a line of a fenced code block (fences too) */
#define MD_HEADING	0x10	/* # x */

/* Flags of markdown_render(). */
#define MARKDOWN_INLINE	 0x1	/* interpret emphasis, code spans, headings;
				   without it only fences are found */
#define MARKDOWN_PARTIAL 0x2	/* the text is still streaming in: hold back
				   a tail that could still change meaning */

/* One hard line of the shown text. */
struct markdown_line {
	size_t	 off;		/* in text.data */
	size_t	 len;		/* without the '\n' */
	int	 flags;		/* MD_BLOCK, MD_HEADING */
};

struct markdown {
	struct buf		 text;	/* shown text, lines joined by '\n' */
	unsigned char		*style;	/* style[i] for text.data[i] */
	size_t			 scap;
	struct markdown_line	*lines;
	size_t			 nlines;
	size_t			 lcap;
};
#define MARKDOWN_INIT { BUF_INIT, NULL, 0, NULL, 0, 0 }

/*
 * Render s[0..n) into *md, replacing what it held.  Blocks: ``` and ~~~
 * fences (up to 3 spaces of indent; closed by a fence of the same
 * character at least as long) make code lines shown verbatim with
 * MD_BLOCK, fences included; an unclosed fence runs to the end.  With
 * MARKDOWN_INLINE also: ATX headings ("# x" .. "###### x", markers and a
 * closing "#" run hidden, MD_HEADING), and inside each paragraph or list
 * item (lines up to a blank line, a heading, a fence or the next list
 * marker) CommonMark inline rules for `code spans` (backtick strings of
 * equal length; nothing inside is interpreted) and * / _ emphasis
 * (left/right-flanking delimiter runs, intraword _ never emphasis, the
 * rule of three); \* \_ \` show the character literally.  Markers that
 * do not pair stay visible as typed.  With MARKDOWN_PARTIAL the shown
 * text omits a trailing incomplete UTF-8 sequence and, with
 * MARKDOWN_INLINE, a trailing run of * _ ` \ (a marker that may still
 * grow or pair), so a streamed answer never flashes a wrong emphasis.
 * Every other byte is shown, invalid UTF-8 and control characters
 * included (the drawer deals with them).  Time and memory are linear in
 * n.
 */
void	 markdown_render(struct markdown *, const char *s, size_t n,
	    int flags);
void	 markdown_free(struct markdown *);
int	 markdown_bullet(const char *s, size_t n, int digits, int tab);

#endif
