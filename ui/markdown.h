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
#define MD_STRIKE	0x20	/* between ~~ and ~~ (the tildes stay shown:
				   curses has no strike-through attribute) */
#define MD_LINK		0x40	/* the "(url)" after a link's text */
#define MD_RULE		0x80	/* a quote bar or table rule, drawn dim */

/* Line flags beyond the style bits. */
#define MD_QUOTE	0x100	/* a line of a block quote ("│ " bars) */
#define MD_TABLE	0x200	/* a line of a table layout: not wrapped
				   with a list's hanging indent */

/* Flags of markdown_render(). */
#define MARKDOWN_INLINE	 0x1	/* interpret emphasis, code spans, headings;
				   without it only fences are found */
#define MARKDOWN_PARTIAL 0x2	/* the text is still streaming in: hold back
				   a tail that could still change meaning */

/* One hard line of the shown text. */
struct markdown_line {
	size_t	 off;		/* in text.data */
	size_t	 len;		/* without the '\n' */
	int	 flags;		/* MD_BLOCK, MD_HEADING, MD_QUOTE,
				   MD_TABLE */
	int	 hang;		/* columns of quote bars that wrapped rows
				   of the line are indented under */
};

struct markdown {
	struct buf		 text;	/* shown text, lines joined by '\n' */
	unsigned char		*style;	/* style[i] for text.data[i] */
	size_t			 scap;
	struct markdown_line	*lines;
	size_t			 nlines;
	size_t			 lcap;
	int			 width;	/* the width it was laid out for */
};
#define MARKDOWN_INIT { BUF_INIT, NULL, 0, NULL, 0, 0, 0 }

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
 * rule of three); \* \_ \` \~ \| \[ \] show the character literally.
 * Markers that do not pair stay visible as typed.
 *
 * Also with MARKDOWN_INLINE (GitHub's extensions):
 * - ~~x~~ (exactly two tildes, flanking as for *) gives MD_STRIKE over
 *   x; the tildes stay shown.  One tilde ("~5 mg") is never a marker.
 * - [text](url) shows "text (url)": the brackets hidden, the "(url)"
 *   with MD_LINK, never hidden.  The text is one line without brackets;
 *   the URL has no blank, control, bracket, '<' or '(' (else the markup
 *   stays as typed).  <autolinks> and bare URLs are shown as typed.
 * - "> x" lines (up to 3 spaces, each '>' with an optional space) form
 *   block quotes: the markers become one "│ " bar (MD_RULE) per level,
 *   the line gets MD_QUOTE and hang = the bars' columns.
 * - A table: a line with '|' then a delimiter row (cells of -, with ':'
 *   for the alignment) of as many cells, then rows up to a blank line
 *   or a line without '|'.  If its columns fit width (width <= 0: no
 *   limit) they are laid out aligned with " │ " between them and a "─┼─"
 *   rule under the bold header row; else each row becomes "header:
 *   value" lines, the rows separated by a blank line.  Lines MD_TABLE.
 * - Nested lists keep their indentation (the lines are shown as typed).
 *
 * With MARKDOWN_PARTIAL the shown text omits a trailing incomplete UTF-8
 * sequence and, with MARKDOWN_INLINE, a trailing run of * _ ` \ (a
 * marker that may still grow or pair), a trailing "[" that may still
 * become a link, an unfinished last line that has a '|' or only - : and
 * blanks (a table row or delimiter row), and a last line with '|' that
 * a delimiter row may still turn into a table header, so a streamed
 * answer never flashes a wrong emphasis or a table as raw markup.
 * Every other byte is shown, invalid UTF-8 and control characters
 * included (the drawer deals with them).  Time and memory are linear in
 * n.
 */
void	 markdown_render(struct markdown *, const char *s, size_t n,
	    int flags, int width);
void	 markdown_free(struct markdown *);
int	 markdown_bullet(const char *s, size_t n, int digits, int tab);

#endif
