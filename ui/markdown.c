/*
 * markdown.c -- Markdown-ish rendering of chat text (see markdown.h).
 *
 * Two levels, as in CommonMark.  The block level walks hard lines: fenced
 * code (verbatim), ATX headings (one line each), blank lines, and
 * paragraphs or list items (runs of other lines, a new one at each list
 * marker).  The inline level runs once per paragraph, list item or
 * heading content over the raw bytes and marks each byte hidden (a
 * marker) or shown with style bits; the shown bytes are then copied line
 * by line into the output.  Nothing here is ever written through a
 * format string: model text is only copied.
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
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "utf8.h"
#include "xmalloc.h"

#define MD_NONE	((size_t)-1)

/* An emphasis delimiter run (of '*' or '_'). */
struct md_delim {
	size_t		 pos;		/* first byte in s */
	size_t		 len;		/* original run length */
	size_t		 lo;		/* [lo, hi): characters not used yet */
	size_t		 hi;		/* (closers use from lo, openers
					   from hi) */
	long		 prev;		/* linked list of live delimiters */
	long		 next;
	int		 can_open;
	int		 can_close;
	char		 ch;
};

/* A backtick string. */
struct md_run {
	size_t		 pos;
	size_t		 len;
	size_t		 next;		/* index of the next run of this
					   length, or MD_NONE */
	size_t		 next_short;	/* ... of length len - 1 (for a run
					   whose first backtick is escaped) */
};

struct md_ctx {
	const char	*s;
	size_t		 n;
	unsigned char	*hide;		/* [n + 1]: 1 = marker, not shown */
	unsigned char	*sty;		/* [n + 1]: style bits */
	int		*bold;		/* [n + 1]: difference arrays */
	int		*ital;
	struct md_delim	*d;
	size_t		 nd, dcap;
	struct md_run	*runs;
	size_t		 nrun, rcap;
	size_t		*last;		/* [maxlen + 1] for md_code_pairs */
	size_t		 lastcap;
};

static int	 md_space(uint32_t);
static int	 md_punct(uint32_t);
static uint32_t	 md_before(const char *, size_t, size_t);
static uint32_t	 md_after(const char *, size_t, size_t);
static int	 md_fence(const char *, size_t, char *, size_t *, int *);
static int	 md_heading(const char *, size_t, size_t, size_t *, size_t *);
static int	 md_blank(const char *, size_t);
static void	 md_clear(struct md_ctx *, size_t, size_t);
static void	 md_code_pairs(struct md_ctx *, size_t, size_t);
static void	 md_push_delim(struct md_ctx *, size_t, size_t, size_t,
		     size_t);
static void	 md_unlink(struct md_ctx *, long);
static void	 md_emphasis(struct md_ctx *);
static void	 md_code_span(struct md_ctx *, size_t, size_t, size_t);
static void	 md_inline(struct md_ctx *, size_t, size_t);
static void	 md_emit(struct markdown *, const char *, struct md_ctx *,
		     size_t, size_t, int, int);
static void	 md_flush(struct markdown *, struct md_ctx *, size_t, size_t);

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
static int
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

/* Mark s[a..b) shown and unstyled. */
static void
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
static void
md_inline(struct md_ctx *x, size_t a, size_t b)
{
	const char	*s = x->s;
	size_t		 i, j, k, r = 0, ce, c2;
	int		 bo = 0, it = 0;

	if (b <= a)
		return;
	memset(x->bold + a, 0, (b - a + 1) * sizeof *x->bold);
	memset(x->ital + a, 0, (b - a + 1) * sizeof *x->ital);
	md_code_pairs(x, a, b);
	x->nd = 0;
	i = a;
	while (i < b) {
		if (s[i] == '\\' && i + 1 < b && (s[i + 1] == '*' ||
		    s[i + 1] == '_' || s[i + 1] == '`')) {
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
		i++;
	}
	md_emphasis(x);
	for (i = a; i < b; i++) {
		bo += x->bold[i];
		it += x->ital[i];
		if (bo > 0)
			x->sty[i] |= MD_BOLD;
		if (it > 0)
			x->sty[i] |= MD_ITALIC;
	}
}

/*
 * Append line s[ls..le) to md: the bytes not hidden in x (all of them if
 * x is NULL), each with its style | base.  lflags go to the line entry.
 */
static void
md_emit(struct markdown *md, const char *s, struct md_ctx *x, size_t ls,
    size_t le, int lflags, int base)
{
	struct markdown_line	*l;
	size_t			 i, need;

	need = md->text.len + (le - ls) + 2;
	if (need > md->scap) {
		md->scap = md->scap == 0 ? 256 : md->scap;
		while (md->scap < need)
			md->scap *= 2;
		md->style = xrealloc(md->style, md->scap);
	}
	buf_reserve(&md->text, le - ls + 1);
	if (md->nlines > 0) {
		md->style[md->text.len] = 0;
		buf_putc(&md->text, '\n');
	}
	if (md->nlines == md->lcap) {
		md->lcap = md->lcap == 0 ? 16 : md->lcap * 2;
		md->lines = xreallocarray(md->lines, md->lcap,
		    sizeof *md->lines);
	}
	l = &md->lines[md->nlines++];
	l->off = md->text.len;
	l->flags = lflags;
	for (i = ls; i < le; i++) {
		if (x != NULL && x->hide[i])
			continue;
		md->style[md->text.len] = (unsigned char)((x != NULL ?
		    x->sty[i] : 0) | base);
		md->text.data[md->text.len++] = s[i];
	}
	md->text.data[md->text.len] = '\0';
	l->len = md->text.len - l->off;
}

/* Render the paragraph or list item s[bs..be) (whole lines) into md. */
static void
md_flush(struct markdown *md, struct md_ctx *x, size_t bs, size_t be)
{
	size_t	ls, le;

	md_clear(x, bs, be);
	md_inline(x, bs, be);
	for (ls = bs; ls <= be; ls = le + 1) {
		for (le = ls; le < be && x->s[le] != '\n'; le++)
			continue;
		md_emit(md, x->s, x, ls, le, 0, 0);
	}
}

void
markdown_render(struct markdown *md, const char *s, size_t n, int flags)
{
	struct md_ctx	 x;
	size_t		 ls, le, bs = MD_NONE, be = 0, l, cs, ce, flen = 0;
	size_t		 fl;
	char		 fch = 0, ch;
	int		 inl = flags & MARKDOWN_INLINE, bare;

	buf_clear(&md->text);
	md->nlines = 0;
	if (flags & MARKDOWN_PARTIAL) {
		do {
			l = n;
			n = utf8_complete_prefix(s, n);
			while (inl && n > 0 && (s[n - 1] == '*' ||
			    s[n - 1] == '_' || s[n - 1] == '`' ||
			    s[n - 1] == '\\'))
				n--;
		} while (n != l);
	}
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
		if (inl && bs != MD_NONE && (fch != 0 || md_blank(s + ls, l) ||
		    md_fence(s + ls, l, &ch, &fl, &bare) ||
		    md_heading(s, ls, le, &cs, &ce) ||
		    markdown_bullet(s + ls, l, 9, 1))) {
			/* This line ends the paragraph or list item. */
			md_flush(md, &x, bs, be);
			bs = MD_NONE;
		}
		if (fch != 0) {
			if (md_fence(s + ls, l, &ch, &fl, &bare) && bare &&
			    ch == fch && fl >= flen)
				fch = 0;
			md_emit(md, s, NULL, ls, le, MD_BLOCK, MD_BLOCK);
		} else if (md_fence(s + ls, l, &ch, &fl, &bare)) {
			fch = ch;
			flen = fl;
			md_emit(md, s, NULL, ls, le, MD_BLOCK, MD_BLOCK);
		} else if (!inl || md_blank(s + ls, l))
			md_emit(md, s, NULL, ls, le, 0, 0);
		else if (md_heading(s, ls, le, &cs, &ce)) {
			md_clear(&x, ls, le);
			md_inline(&x, cs, ce);
			memset(x.hide + ls, 1, cs - ls);
			memset(x.hide + ce, 1, le - ce);
			md_emit(md, s, &x, ls, le, MD_HEADING, MD_HEADING);
		} else {
			if (bs == MD_NONE)
				bs = ls;
			be = le;
		}
		if (le >= n)
			break;
		ls = le + 1;
	}
	if (bs != MD_NONE)
		md_flush(md, &x, bs, be);
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
