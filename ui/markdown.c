/*
 * markdown.c -- Markdown-ish rendering of chat text (see markdown.h).
 *
 * Two levels, as in CommonMark.  The block level walks hard lines: fenced
 * code (verbatim), ATX headings (one line each), blank lines, tables (a
 * header line and a delimiter row found by looking one line ahead; laid
 * out for the width in markdown-table.c, so the wrapper never breaks a
 * row), block quotes (runs of "> " lines, each line's markers replaced by
 * bars), and paragraphs or list items (runs of other lines, a new one at
 * each list marker).  Shown text is built byte by byte (md_begin, md_put),
 * so a layout can add what the source lacks: padding, bars, rules, the
 * space before a link's "(url)".  The inline level runs once per
 * paragraph, list item or heading content over the raw bytes and marks
 * each byte hidden (a marker) or shown with style bits; the shown bytes
 * are then copied line by line into the output.  Nothing here is ever
 * written through a format string: model text is only copied.
 *
 * Inline, in CommonMark's order: backslash escapes of * _ `, then code
 * spans (a backtick string pairs with the next string of the same length;
 * found through a table of "next run of the same length" built in one
 * backward pass, so a hostile mix of backtick strings stays linear), then
 * emphasis by the delimiter-run algorithm of the spec ("process
 * emphasis"): each closer looks back for the nearest compatible opener;
 * a failed search records, per delimiter class, the position below which
 * no later search of that class needs to look, and a match unlinks the
 * delimiters between opener and closer, so every delimiter is passed
 * over a bounded number of times.  Bold and italic ranges go into
 * difference arrays and are summed in one sweep, so deep nesting costs
 * nothing extra.
 *
 * The table layout (finding a table, splitting rows into cells, laying
 * them out) moved to markdown-table.c; what the two files share (struct
 * md_ctx, the MD_* constants, md_begin / md_put / md_inline and the
 * table entry points) is declared in markdown-int.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "markdown-int.h"
#include "utf8.h"
#include "xmalloc.h"

static int	 md_space(uint32_t);
static int	 md_punct(uint32_t);
static uint32_t	 md_before(const char *, size_t, size_t);
static uint32_t	 md_after(const char *, size_t, size_t);
static int	 md_fence(const char *, size_t, char *, size_t *, int *);
static int	 md_heading(const char *, size_t, size_t, size_t *, size_t *);
static void	 md_code_pairs(struct md_ctx *, size_t, size_t);
static void	 md_push_delim(struct md_ctx *, size_t, size_t, size_t,
		     size_t);
static void	 md_unlink(struct md_ctx *, long);
static void	 md_emphasis(struct md_ctx *);
static void	 md_code_span(struct md_ctx *, size_t, size_t, size_t);
static void	 md_emit(struct markdown *, const char *, struct md_ctx *,
		     size_t, size_t, int, int, int);
static int	 md_link(const char *, size_t, size_t, size_t *, size_t *);
static int	 md_link_code_ok(struct md_ctx *, size_t, size_t);
static void	 md_strike(struct md_ctx *, size_t, size_t);
static int	 md_quote(const char *, size_t, size_t, size_t *);
static size_t	 md_partial(const char *, size_t, int);
static int	 md_has_pipe_line_before(const char *, size_t);
static int	 md_link_pending(const char *, size_t, size_t);
static int	 md_delim_chars(const char *, size_t, size_t);
static void	 md_flush(struct markdown *, struct md_ctx *, size_t, size_t,
		     int);

/* Unicode white space in CommonMark's sense (Zs, tab, line breaks). */
static int
md_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
	    cp == '\f' || cp == '\v' || cp == 0xA0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
	    cp == 0x205F || cp == 0x3000;
}

/*
 * Punctuation or symbol: all of ASCII's, and the common Unicode blocks
 * (Latin-1 signs, general punctuation, arrows and mathematical
 * operators, CJK and full-width punctuation).  Letters and digits of
 * any script are not.
 */
static int
md_punct(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A &&
		    cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
		    (cp >= 0x7B && cp <= 0x7E);
	if (cp >= 0xA1 && cp <= 0xBF)
		return cp != 0xAA && cp != 0xB2 && cp != 0xB3 &&
		    cp != 0xB5 && cp != 0xB9 && cp != 0xBA &&
		    !(cp >= 0xBC && cp <= 0xBE);
	return cp == 0xD7 || cp == 0xF7 ||
	    (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 &&
	    cp <= 0x205E) || (cp >= 0x2190 && cp <= 0x23FF) ||
	    (cp >= 0x2E00 && cp <= 0x2E7F) || (cp >= 0x3001 &&
	    cp <= 0x3003) || (cp >= 0x3008 && cp <= 0x3011) ||
	    (cp >= 0x3014 && cp <= 0x301F) || (cp >= 0xFF01 &&
	    cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
	    (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B &&
	    cp <= 0xFF65);
}

/*
 * The character just before s[i] within s[a..), or a space at a.  An
 * invalid sequence counts as an ordinary character ('x').
 */
static uint32_t
md_before(const char *s, size_t a, size_t i)
{
	size_t		st;
	uint32_t	cp;

	if (i <= a)
		return ' ';
	st = i - 1;
	while (st > a && i - st < 4 && ((unsigned char)s[st] & 0xC0) == 0x80)
		st--;
	if (utf8_decode(s + st, i - st, &cp) != (int)(i - st))
		return 'x';
	return cp;
}

/* The character at s[j] within s[..b), or a space at b. */
static uint32_t
md_after(const char *s, size_t j, size_t b)
{
	uint32_t	cp;

	if (j >= b)
		return ' ';
	if (utf8_decode(s + j, b - j, &cp) < 0)
		return 'x';
	return cp;
}

/*
 * Is line s[0..n) a code fence (up to 3 spaces, then 3 or more ` or ~;
 * a backtick fence's info string has no backtick)?  Sets *ch, *len and
 * *bare (nothing but blanks after the fence: may close a block).
 */
static int
md_fence(const char *s, size_t n, char *ch, size_t *len, int *bare)
{
	size_t	i = 0, k;

	while (i < n && i < 3 && s[i] == ' ')
		i++;
	if (i >= n || (s[i] != '`' && s[i] != '~'))
		return 0;
	*ch = s[i];
	for (k = i; k < n && s[k] == *ch; k++)
		continue;
	if (k - i < 3)
		return 0;
	*len = k - i;
	*bare = md_blank(s + k, n - k);
	if (*ch == '`' && memchr(s + k, '`', n - k) != NULL)
		return 0;
	return 1;
}

/* Only spaces and tabs? */
int
md_blank(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	}
	return 1;
}

/*
 * Is line s[ls..le) an ATX heading?  Sets [*cs, *ce) to its content:
 * after the opening #s and blanks, before an optional closing run of #s
 * (preceded by a blank) and trailing blanks.
 */
static int
md_heading(const char *s, size_t ls, size_t le, size_t *cs, size_t *ce)
{
	size_t	i = ls, h = 0, e, t;

	while (i < le && i - ls < 3 && s[i] == ' ')
		i++;
	while (i < le && s[i] == '#') {
		i++;
		h++;
	}
	if (h < 1 || h > 6 || (i < le && s[i] != ' ' && s[i] != '\t'))
		return 0;
	while (i < le && (s[i] == ' ' || s[i] == '\t'))
		i++;
	e = le;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	t = e;
	while (t > i && s[t - 1] == '#')
		t--;
	if (t < e && (t == i || s[t - 1] == ' ' || s[t - 1] == '\t')) {
		e = t;
		while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
	}
	*cs = i;
	*ce = e;
	return 1;
}

/*
 * Width of the list marker at the start of line s[0..n) ("- ", "* ",
 * "+ ", "12. ", "3) ", after up to 6 spaces), or 0 if there is none.  A
 * number has at most digits digits; with tab, a tab may follow the
 * marker instead of the space.  The renderer asks with (9, 1) where a
 * list item starts; the transcript view with (3, 0) for the hanging
 * indent of its lines.
 */
int
markdown_bullet(const char *s, size_t n, int digits, int tab)
{
	size_t	i = 0, d;

	while (i < n && i < 6 && s[i] == ' ')
		i++;
	if (i + 1 < n && (s[i] == '-' || s[i] == '*' || s[i] == '+') &&
	    (s[i + 1] == ' ' || (tab && s[i + 1] == '\t')))
		return (int)i + 2;
	for (d = i; d < n && d - i < (size_t)digits && s[d] >= '0' &&
	    s[d] <= '9'; d++)
		continue;
	if (d > i && d + 1 < n && (s[d] == '.' || s[d] == ')') &&
	    (s[d + 1] == ' ' || (tab && s[d + 1] == '\t')))
		return (int)d + 2;
	return 0;
}

/*
 * Is s[i..b) at '[' the start of a link "[text](url)"?  The text is
 * non-empty, on one line, without unescaped brackets; the URL non-empty
 * without blanks, controls, DEL, brackets, '<' or '('.  Sets *close to
 * the ']' and *end past the ')'.  Both scans stop at the next '[', so
 * all the calls of one paragraph together stay linear.
 */
static int
md_link(const char *s, size_t i, size_t b, size_t *close, size_t *end)
{
	size_t		j, u;
	unsigned char	c;

	for (j = i + 1; j < b && s[j] != '[' && s[j] != ']' &&
	    s[j] != '\n'; j++) {
		if (s[j] == '\\' && j + 1 < b && s[j + 1] != '\n')
			j++;
	}
	if (j >= b || s[j] != ']' || j == i + 1 || j + 1 >= b ||
	    s[j + 1] != '(')
		return 0;
	for (u = j + 2; u < b && s[u] != ')'; u++) {
		c = (unsigned char)s[u];
		if (c <= ' ' || c == 0x7F || c == '<' || c == '[' ||
		    c == ']' || c == '(')
			return 0;
	}
	if (u >= b || u == j + 2)
		return 0;
	*close = j;
	*end = u + 1;
	return 1;
}

/*
 * Code spans bind tighter than links: no code span that starts in the
 * link text at (i, close) may end after it.
 */
static int
md_link_code_ok(struct md_ctx *x, size_t i, size_t close)
{
	size_t	q = 0, c;

	while (q < x->nrun && x->runs[q].pos <= i)
		q++;
	while (q < x->nrun && x->runs[q].pos < close) {
		if ((c = x->runs[q].next) == MD_NONE)
			q++;
		else if (x->runs[c].pos > close)
			return 0;
		else
			q = c + 1;
	}
	return 1;
}

/*
 * GitHub's strike-through over s[a..b) after the other inline rules:
 * runs of exactly two '~' outside code spans and link URLs, an opener
 * left-flanking, a closer right-flanking, each closer taking the
 * nearest open opener.  The tildes stay shown; the text between gets
 * MD_STRIKE.
 */
static void
md_strike(struct md_ctx *x, size_t a, size_t b)
{
	const char	*s = x->s;
	size_t		 i, j, open = MD_NONE;
	uint32_t	 pc, nc;
	int		 left, right;

	for (i = a; i < b; i = j) {
		if (s[i] != '~' || (x->sty[i] & (MD_CODE | MD_LINK)) ||
		    x->hide[i] || (i > a && x->hide[i - 1] == 1 &&
		    s[i - 1] == '\\')) {
			j = i + 1;
			continue;
		}
		for (j = i; j < b && s[j] == '~'; j++)
			continue;
		if (j - i != 2)
			continue;
		pc = md_before(s, a, i);
		nc = md_after(s, j, b);
		left = !md_space(nc) && (!md_punct(nc) || md_space(pc) ||
		    md_punct(pc));
		right = !md_space(pc) && (!md_punct(pc) || md_space(nc) ||
		    md_punct(nc));
		if (right && open != MD_NONE) {
			for (; open < i; open++)
				x->sty[open] |= MD_STRIKE;
			open = MD_NONE;
		} else if (left)
			open = j;
	}
}

/*
 * Is line s[ls..le) a block-quote line?  Returns its depth (0: not
 * one) and sets *cs past the markers.
 */
static int
md_quote(const char *s, size_t ls, size_t le, size_t *cs)
{
	size_t	i = ls, sp;
	int	depth = 0;

	for (;;) {
		for (sp = 0; i < le && sp < 3 && s[i] == ' '; sp++)
			i++;
		if (i >= le || s[i] != '>')
			break;
		i++;
		depth++;
		if (i < le && (s[i] == ' ' || s[i] == '\t'))
			i++;
		*cs = i;
	}
	return depth;
}

/*
 * Is s[p..n), p at '[', the start of a link still coming in (no
 * ')' yet and nothing that rules it out)?
 */
static int
md_link_pending(const char *s, size_t p, size_t n)
{
	size_t	j, u;

	for (j = p + 1; j < n && s[j] != '[' && s[j] != ']' &&
	    s[j] != '\n'; j++) {
		if (s[j] == '\\')
			j++;
	}
	if (j >= n)
		return 1;
	if (s[j] != ']' || j == p + 1)
		return 0;
	if (j + 1 >= n)
		return 1;
	if (s[j + 1] != '(')
		return 0;
	for (u = j + 2; u < n; u++) {
		if ((unsigned char)s[u] <= ' ' || s[u] == 0x7F ||
		    s[u] == '<' || s[u] == '[' || s[u] == ']' ||
		    s[u] == '(' || s[u] == ')')
			return 0;
	}
	return 1;
}

/* Only - : and blanks, and not empty (a delimiter row coming in)? */
static int
md_delim_chars(const char *s, size_t a, size_t b)
{
	if (a >= b)
		return 0;
	for (; a < b; a++)
		if (strchr("-: \t", s[a]) == NULL || s[a] == '\0')
			return 0;
	return 1;
}

/* Has the line that ends at s[e - 1] == '\n' an unescaped '|'? */
static int
md_has_pipe_line_before(const char *s, size_t e)
{
	size_t	ps;

	for (ps = e - 1; ps > 0 && s[ps - 1] != '\n'; ps--)
		continue;
	return md_has_pipe(s, ps, e - 1);
}

/* The length of s[0..n) to show while it streams in (see markdown.h). */
static size_t
md_partial(const char *s, size_t n, int inl)
{
	size_t	l, ls, ps, p;
	int	linked = 0;

	do {
		l = n;
		n = utf8_complete_prefix(s, n);
		if (!inl)
			continue;
		while (n > 0 && (s[n - 1] == '*' || s[n - 1] == '_' ||
		    s[n - 1] == '`' || s[n - 1] == '\\'))
			n--;
		for (ls = n; ls > 0 && s[ls - 1] != '\n'; ls--)
			continue;
		if (ls < n && (md_has_pipe(s, ls, n) ||
		    md_delim_chars(s, ls, n))) {
			n = ls;
			continue;
		}
		/*
		 * Only the last '[' of the line can start a link still
		 * coming in (link text holds no '['); asked once, so a
		 * line of "[[[[" stays linear.
		 */
		for (p = n; !linked && p > ls && s[p - 1] != '['; p--)
			continue;
		if (!linked && p > ls && md_link_pending(s, p - 1, n)) {
			n = p - 1;
			linked = 1;
			continue;
		}
		if (ls == n && n > 0) {
			/* A last line with '|' may become a header. */
			for (ps = n - 1; ps > 0 && s[ps - 1] != '\n'; ps--)
				continue;
			if (md_has_pipe(s, ps, n - 1) && (ps == 0 ||
			    !md_has_pipe_line_before(s, ps)))
				n = ps;
		}
	} while (n != l);
	return n;
}

/* Mark s[a..b) shown and unstyled. */
void
md_clear(struct md_ctx *x, size_t a, size_t b)
{
	if (b > a) {
		memset(x->hide + a, 0, b - a);
		memset(x->sty + a, 0, b - a);
	}
}

/*
 * Collect the backtick strings of s[a..b) into x->runs, each with the
 * index of the next string of the same length.
 */
static void
md_code_pairs(struct md_ctx *x, size_t a, size_t b)
{
	const char	*s = x->s;
	size_t		 i, j, r, maxlen = 0;

	x->nrun = 0;
	for (i = a; i < b; i = j) {
		if (s[i] != '`') {
			j = i + 1;
			continue;
		}
		for (j = i; j < b && s[j] == '`'; j++)
			continue;
		if (x->nrun == x->rcap) {
			x->rcap = x->rcap == 0 ? 16 : x->rcap * 2;
			x->runs = xreallocarray(x->runs, x->rcap,
			    sizeof *x->runs);
		}
		x->runs[x->nrun].pos = i;
		x->runs[x->nrun].len = j - i;
		x->nrun++;
		if (j - i > maxlen)
			maxlen = j - i;
	}
	if (x->nrun == 0)
		return;
	if (maxlen + 1 > x->lastcap) {
		x->lastcap = maxlen + 1;
		x->last = xreallocarray(x->last, x->lastcap, sizeof *x->last);
	}
	for (i = 0; i <= maxlen; i++)
		x->last[i] = MD_NONE;
	for (r = x->nrun; r > 0; r--) {
		x->runs[r - 1].next = x->last[x->runs[r - 1].len];
		x->runs[r - 1].next_short = x->last[x->runs[r - 1].len - 1];
		x->last[x->runs[r - 1].len] = r - 1;
	}
}

/*
 * Record the run s[i..i+k) of '*' or '_' inside s[a..b) if it can open or
 * close emphasis (left/right-flanking rules; '_' not inside a word).
 */
static void
md_push_delim(struct md_ctx *x, size_t a, size_t b, size_t i, size_t k)
{
	struct md_delim	*d;
	uint32_t	 pc, nc;
	int		 ps, pp, ns, np, left, right, open, close;
	char		 ch = x->s[i];

	pc = md_before(x->s, a, i);
	nc = md_after(x->s, i + k, b);
	ps = md_space(pc);
	pp = md_punct(pc);
	ns = md_space(nc);
	np = md_punct(nc);
	left = !ns && (!np || ps || pp);
	right = !ps && (!pp || ns || np);
	if (ch == '*') {
		open = left;
		close = right;
	} else {
		open = left && (!right || pp);
		close = right && (!left || np);
	}
	if (!open && !close)
		return;
	if (x->nd == x->dcap) {
		x->dcap = x->dcap == 0 ? 16 : x->dcap * 2;
		x->d = xreallocarray(x->d, x->dcap, sizeof *x->d);
	}
	d = &x->d[x->nd];
	d->pos = i;
	d->len = k;
	d->lo = i;
	d->hi = i + k;
	d->prev = (long)x->nd - 1;
	d->next = -1;
	d->can_open = open;
	d->can_close = close;
	d->ch = ch;
	if (x->nd > 0)
		x->d[x->nd - 1].next = (long)x->nd;
	x->nd++;
}

static void
md_unlink(struct md_ctx *x, long i)
{
	struct md_delim	*d = &x->d[i];

	if (d->prev != -1)
		x->d[d->prev].next = d->next;
	if (d->next != -1)
		x->d[d->next].prev = d->prev;
}

/*
 * CommonMark's "process emphasis" over the delimiters in x->d: pair
 * closers with openers, hide the characters used and add bold (two
 * used) or italic (one) over the text between them.
 */
static void
md_emphasis(struct md_ctx *x)
{
	struct md_delim	*o, *c;
	size_t		 bot[2][3][2], use;
	long		 ci, oi, found, next;
	int		*diff;

	memset(bot, 0, sizeof bot);
	ci = x->nd > 0 ? 0 : -1;
	while (ci != -1) {
		c = &x->d[ci];
		if (!c->can_close) {
			ci = c->next;
			continue;
		}
		found = -1;
		for (oi = c->prev; oi != -1 &&
		    x->d[oi].pos >= bot[c->ch == '_'][c->len % 3][c->can_open];
		    oi = x->d[oi].prev) {
			o = &x->d[oi];
			if (o->ch != c->ch || !o->can_open)
				continue;
			/* The rule of three. */
			if ((o->can_close || c->can_open) &&
			    (o->len + c->len) % 3 == 0 &&
			    (o->len % 3 != 0 || c->len % 3 != 0))
				continue;
			found = oi;
			break;
		}
		if (found == -1) {
			/* No opener for this class at or below here. */
			bot[c->ch == '_'][c->len % 3][c->can_open] = c->pos;
			next = c->next;
			if (!c->can_open)
				md_unlink(x, ci);
			ci = next;
			continue;
		}
		o = &x->d[found];
		use = o->hi - o->lo >= 2 && c->hi - c->lo >= 2 ? 2 : 1;
		o->hi -= use;
		memset(x->hide + o->hi, 1, use);
		memset(x->hide + c->lo, 1, use);
		diff = use == 2 ? x->bold : x->ital;
		diff[o->hi + use]++;
		diff[c->lo]--;
		c->lo += use;
		/* Delimiters between the two can no longer pair. */
		o->next = ci;
		c->prev = found;
		if (o->hi == o->lo)
			md_unlink(x, found);
		if (c->hi == c->lo) {
			next = c->next;
			md_unlink(x, ci);
			ci = next;
		}
	}
}

/*
 * A code span opened by the k backticks at s[i] and closed by run c2:
 * hide both strings (and one space inside each end when both ends have
 * one and the content is not all spaces), style the content.
 */
static void
md_code_span(struct md_ctx *x, size_t i, size_t k, size_t c2)
{
	const char	*s = x->s;
	size_t		 cs = i + k, ce = x->runs[c2].pos, j;

	memset(x->hide + i, 1, k);
	memset(x->hide + ce, 1, x->runs[c2].len);
	if (ce - cs >= 2 && s[cs] == ' ' && s[ce - 1] == ' ' &&
	    !md_blank(s + cs, ce - cs)) {
		x->hide[cs] = 1;
		x->hide[ce - 1] = 1;
	}
	for (j = cs; j < ce; j++)
		x->sty[j] |= MD_CODE;
}

/*
 * Inline rendering of s[a..b): sets hide and sty over it (the caller
 * cleared them).  '\n' inside is a line break, white space for the
 * flanking rules.
 */
void
md_inline(struct md_ctx *x, size_t a, size_t b)
{
	const char	*s = x->s;
	size_t		 i, j, k, r = 0, ce, c2, lk = MD_NONE, lend = 0;
	int		 bo = 0, it = 0;

	if (b <= a)
		return;
	memset(x->bold + a, 0, (b - a + 1) * sizeof *x->bold);
	memset(x->ital + a, 0, (b - a + 1) * sizeof *x->ital);
	md_code_pairs(x, a, b);
	x->nd = 0;
	i = a;
	while (i < b) {
		if (lend != 0 && i >= lk) {
			/* A link's "(url)" is not interpreted. */
			if (i < lend)
				i = lend;
			lend = 0;
			continue;
		}
		if (s[i] == '\\' && i + 1 < b && s[i + 1] != '\0' &&
		    strchr("*_`~|[]", s[i + 1]) != NULL) {
			x->hide[i] = 1;
			if (s[i + 1] != '`') {
				i += 2;
				continue;
			}
			/*
			 * An escaped backtick is literal; the rest of its
			 * string may still open a code span.
			 */
			while (r < x->nrun && x->runs[r].pos < i + 1)
				r++;
			if (r >= x->nrun || x->runs[r].pos != i + 1) {
				i += 2;		/* cannot happen */
				continue;
			}
			k = x->runs[r].len;
			c2 = x->runs[r].next_short;
			i += 2;
			if (k >= 2 && c2 != MD_NONE) {
				md_code_span(x, i, k - 1, c2);
				i = x->runs[c2].pos + x->runs[c2].len;
				r = c2 + 1;
			} else {
				i += k - 1;
				r++;
			}
			continue;
		}
		if (s[i] == '`') {
			while (r < x->nrun && x->runs[r].pos < i)
				r++;
			if (r >= x->nrun || x->runs[r].pos != i) {
				i++;		/* cannot happen */
				continue;
			}
			k = x->runs[r].len;
			if ((c2 = x->runs[r].next) == MD_NONE) {
				i += k;		/* no closer: literal */
				r++;
				continue;
			}
			md_code_span(x, i, k, c2);
			ce = x->runs[c2].pos;
			i = ce + x->runs[c2].len;
			r = c2 + 1;
			continue;
		}
		if (s[i] == '*' || s[i] == '_') {
			for (j = i; j < b && s[j] == s[i]; j++)
				continue;
			md_push_delim(x, a, b, i, j - i);
			i = j;
			continue;
		}
		if (s[i] == '[' && md_link(s, i, b, &ce, &k) &&
		    md_link_code_ok(x, i, ce)) {
			/* "[text](url)" shows "text (url)". */
			x->hide[i] = 1;
			x->hide[ce] = 2;
			for (j = ce + 1; j < k; j++)
				x->sty[j] |= MD_LINK;
			lk = ce;
			lend = k;
			i++;
			continue;
		}
		i++;
	}
	md_emphasis(x);
	md_strike(x, a, b);
	for (i = a; i < b; i++) {
		bo += x->bold[i];
		it += x->ital[i];
		if (bo > 0)
			x->sty[i] |= MD_BOLD;
		if (it > 0)
			x->sty[i] |= MD_ITALIC;
	}
}

/* Start a new line of md with flags lflags and hanging indent hang. */
void
md_begin(struct markdown *md, int lflags, int hang)
{
	struct markdown_line	*l;

	if (md->nlines > 0)
		md_put(md, '\n', 0);
	if (md->nlines == md->lcap) {
		md->lcap = md->lcap == 0 ? 16 : md->lcap * 2;
		md->lines = xreallocarray(md->lines, md->lcap,
		    sizeof *md->lines);
	}
	l = &md->lines[md->nlines++];
	l->off = md->text.len;
	l->len = 0;
	l->flags = lflags;
	l->hang = hang;
}

/* Append byte c with style st to the current line of md. */
void
md_put(struct markdown *md, char c, int st)
{
	if (md->text.len + 2 > md->scap) {
		md->scap = md->scap == 0 ? 256 : md->scap * 2;
		md->style = xrealloc(md->style, md->scap);
	}
	md->style[md->text.len] = (unsigned char)st;
	buf_putc(&md->text, c);
	if (c != '\n' && md->nlines > 0)
		md->lines[md->nlines - 1].len++;
}

/* Append s[0..n) with style st. */
void
md_puts(struct markdown *md, const char *s, size_t n, int st)
{
	size_t	i;

	for (i = 0; i < n; i++)
		md_put(md, s[i], st);
}

/*
 * Append line s[ls..le) to md: the bytes not hidden in x (all of them if
 * x is NULL; a byte marked 2 shows as a space), each with its style |
 * base, after depth quote bars.  lflags go to the line entry.
 */
static void
md_emit(struct markdown *md, const char *s, struct md_ctx *x, size_t ls,
    size_t le, int lflags, int base, int depth)
{
	size_t	i;
	int	k;

	md_begin(md, lflags | (depth > 0 ? MD_QUOTE : 0),
	    2 * (depth > MD_MAXDEPTH ? MD_MAXDEPTH : depth));
	if (depth > MD_MAXDEPTH)
		depth = MD_MAXDEPTH;
	for (k = 0; k < depth; k++)
		md_puts(md, MD_BAR, sizeof MD_BAR - 1, MD_RULE);
	for (i = ls; i < le; i++) {
		if (x != NULL && x->hide[i] == 1)
			continue;
		if (x != NULL && x->hide[i] == 2)
			md_put(md, ' ', base);
		else
			md_put(md, s[i], (x != NULL ? x->sty[i] : 0) | base);
	}
}

/*
 * Render the paragraph or list item s[bs..be) (whole lines) into md; in
 * a block quote (quote) each line's markers are hidden and shown as
 * bars.
 */
static void
md_flush(struct markdown *md, struct md_ctx *x, size_t bs, size_t be,
    int quote)
{
	size_t	ls, le, cs = 0;
	int	depth = 0;

	md_clear(x, bs, be);
	md_inline(x, bs, be);
	for (ls = bs; ls <= be; ls = le + 1) {
		for (le = ls; le < be && x->s[le] != '\n'; le++)
			continue;
		if (quote && (depth = md_quote(x->s, ls, le, &cs)) > 0)
			memset(x->hide + ls, 1, cs - ls);
		md_emit(md, x->s, x, ls, le, 0, 0, depth);
	}
}

void
markdown_render(struct markdown *md, const char *s, size_t n, int flags,
    int width)
{
	struct md_ctx	 x;
	size_t		 ls, le, bs = MD_NONE, be = 0, l, cs, ce, flen = 0;
	size_t		 fl, ncols, nx, qcs = 0;
	char		 fch = 0, ch;
	int		 inl = flags & MARKDOWN_INLINE, bare, q, bq = 0;

	buf_clear(&md->text);
	buf_reserve(&md->text, 1);
	md->text.data[0] = '\0';
	md->nlines = 0;
	md->width = width;
	if (flags & MARKDOWN_PARTIAL)
		n = md_partial(s, n, inl);
	memset(&x, 0, sizeof x);
	x.s = s;
	x.n = n;
	x.hide = xcalloc(n + 1, 1);
	x.sty = xcalloc(n + 1, 1);
	if (inl) {
		x.bold = xcalloc(n + 1, sizeof *x.bold);
		x.ital = xcalloc(n + 1, sizeof *x.ital);
	}
	ls = 0;
	for (;;) {
		for (le = ls; le < n && s[le] != '\n'; le++)
			continue;
		l = le - ls;
		q = inl && fch == 0 ? md_quote(s, ls, le, &qcs) : 0;
		ncols = 0;
		if (inl && fch == 0 && q == 0 && le < n &&
		    md_has_pipe(s, ls, le)) {
			for (nx = le + 1; nx < n && s[nx] != '\n'; nx++)
				continue;
			ncols = md_table_cols(s, ls, le, nx);
		}
		if (inl && bs != MD_NONE && (fch != 0 || md_blank(s + ls, l) ||
		    md_fence(s + ls, l, &ch, &fl, &bare) ||
		    md_heading(s, ls, le, &cs, &ce) ||
		    markdown_bullet(s + ls, l, 9, 1) || (q > 0) != bq ||
		    ncols > 0 || (q > 0 && md_blank(s + qcs, le - qcs)))) {
			/* This line ends the paragraph or list item. */
			md_flush(md, &x, bs, be, bq);
			bs = MD_NONE;
		}
		if (fch != 0) {
			if (md_fence(s + ls, l, &ch, &fl, &bare) && bare &&
			    ch == fch && fl >= flen)
				fch = 0;
			md_emit(md, s, NULL, ls, le, MD_BLOCK, MD_BLOCK, 0);
		} else if (md_fence(s + ls, l, &ch, &fl, &bare)) {
			fch = ch;
			flen = fl;
			md_emit(md, s, NULL, ls, le, MD_BLOCK, MD_BLOCK, 0);
		} else if (!inl || md_blank(s + ls, l))
			md_emit(md, s, NULL, ls, le, 0, 0, 0);
		else if (ncols > 0) {
			ls = md_table(md, &x, ls, n, width, (int)ncols);
			if (ls > n)
				break;
			continue;
		} else if (q == 0 && md_heading(s, ls, le, &cs, &ce)) {
			md_clear(&x, ls, le);
			md_inline(&x, cs, ce);
			memset(x.hide + ls, 1, cs - ls);
			memset(x.hide + ce, 1, le - ce);
			md_emit(md, s, &x, ls, le, MD_HEADING, MD_HEADING, 0);
		} else if (q > 0 && md_blank(s + qcs, le - qcs)) {
			md_clear(&x, ls, le);
			memset(x.hide + ls, 1, le - ls);
			md_emit(md, s, &x, ls, le, 0, 0, q);
		} else {
			if (bs == MD_NONE) {
				bs = ls;
				bq = q > 0;
			}
			be = le;
		}
		if (le >= n)
			break;
		ls = le + 1;
	}
	if (bs != MD_NONE)
		md_flush(md, &x, bs, be, bq);
	free(x.hide);
	free(x.sty);
	free(x.bold);
	free(x.ital);
	free(x.d);
	free(x.runs);
	free(x.last);
}

void
markdown_free(struct markdown *md)
{
	buf_free(&md->text);
	free(md->style);
	free(md->lines);
	md->style = NULL;
	md->lines = NULL;
	md->scap = md->nlines = md->lcap = 0;
}
