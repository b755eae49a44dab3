/*
 * markdown-table.c -- the table layout of the Markdown renderer: finding
 * a table (a header line with '|' over a delimiter row of as many
 * cells), splitting its lines into cells and laying the rows out for the
 * width, as aligned columns with " │ " between them and a "─┼─" rule
 * under the header, or, when they do not fit, as "header: value" lines.
 *
 * markdown.c's block walk asks md_table_cols() whether a line starts a
 * table and hands it to md_table(); each cell goes through the same
 * inline rules (md_inline) as a paragraph, and the rows are built with
 * the same md_begin / md_put as every other line.  What the two files
 * share is in markdown-int.h.
 */
#include <stdint.h>
#include <stdlib.h>

#include "markdown.h"
#include "markdown-int.h"
#include "wrap.h"
#include "xmalloc.h"

static size_t	 md_cells(const char *, size_t, size_t, size_t *, size_t);
static int	 md_delim_row(const char *, size_t, size_t, size_t, char *);
static size_t	 md_shown_width(struct md_ctx *, size_t, size_t);
static void	 md_cell(struct markdown *, struct md_ctx *, size_t, size_t,
		     int);
static void	 md_pad(struct markdown *, size_t);

/* Has line s[ls..le) an unescaped '|'? */
int
md_has_pipe(const char *s, size_t ls, size_t le)
{
	size_t	i;

	for (i = ls; i < le; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '|')
			return 1;
	}
	return 0;
}

/*
 * Split table line s[ls..le) at unescaped '|' (an outer one at either
 * end does not make a cell): the first max cells go to cells[2k],
 * cells[2k + 1] without surrounding blanks.  Returns the number of
 * cells.
 */
static size_t
md_cells(const char *s, size_t ls, size_t le, size_t *cells, size_t max)
{
	size_t	i, a, e, nc = 0;

	while (ls < le && (s[ls] == ' ' || s[ls] == '\t'))
		ls++;
	while (le > ls && (s[le - 1] == ' ' || s[le - 1] == '\t'))
		le--;
	if (ls < le && s[ls] == '|')
		ls++;
	if (le > ls && s[le - 1] == '|' && (le - 1 == ls ||
	    s[le - 2] != '\\'))
		le--;
	for (a = i = ls; i <= le; i++) {
		if (i < le && s[i] == '\\') {
			i++;
			continue;
		}
		if (i < le && s[i] != '|')
			continue;
		for (e = i; e > a && (s[e - 1] == ' ' || s[e - 1] == '\t'); e--)
			continue;
		while (a < e && (s[a] == ' ' || s[a] == '\t'))
			a++;
		if (nc < max) {
			cells[2 * nc] = a;
			cells[2 * nc + 1] = e;
		}
		nc++;
		a = i + 1;
	}
	return nc;
}

/*
 * Is s[ls..le) a delimiter row of ncols cells (each :?-+:?, the line
 * with a '|')?  Sets align[k] to 'l', 'r' or 'c'.
 */
static int
md_delim_row(const char *s, size_t ls, size_t le, size_t ncols,
    char *align)
{
	size_t	*cells, k, a, e;
	int	 ok = 1;

	if (!md_has_pipe(s, ls, le))
		return 0;
	cells = xreallocarray(NULL, ncols, 2 * sizeof *cells);
	if (md_cells(s, ls, le, cells, ncols) != ncols)
		ok = 0;
	for (k = 0; ok && k < ncols; k++) {
		a = cells[2 * k];
		e = cells[2 * k + 1];
		if (a < e && s[a] == ':')
			a++;
		if (e > a && s[e - 1] == ':')
			e--;
		if (a >= e)
			ok = 0;
		for (; ok && a < e; a++)
			if (s[a] != '-')
				ok = 0;
		if (ok)
			align[k] = s[cells[2 * k + 1] - 1] == ':' ?
		    (s[cells[2 * k]] == ':' ? 'c' : 'r') : 'l';
	}
	free(cells);
	return ok;
}

/*
 * If line s[ls..le) is a table header (the next line, s[le + 1..nx), a
 * delimiter row of as many cells), its number of cells, else 0.
 */
size_t
md_table_cols(const char *s, size_t ls, size_t le, size_t nx)
{
	size_t	 nc;
	char	*align;
	int	 ok;

	nc = md_cells(s, ls, le, NULL, 0);
	if (nc == 0 || nc > MD_MAXCOLS)
		return 0;
	align = xmalloc(nc);
	ok = md_delim_row(s, le + 1, nx, nc, align);
	free(align);
	return ok ? nc : 0;
}

/* Columns of the shown bytes of s[a..b) (see md_emit). */
static size_t
md_shown_width(struct md_ctx *x, size_t a, size_t b)
{
	size_t		w = 0;
	uint32_t	cp;
	int		cw;

	while (a < b) {
		if (x->hide[a]) {
			w += x->hide[a] == 2;
			a++;
			continue;
		}
		a += (size_t)wrap_char(x->s + a, b - a, &cp, &cw);
		w += (size_t)cw;
	}
	return w;
}

/* Append the shown bytes of cell s[a..b) with base style base. */
static void
md_cell(struct markdown *md, struct md_ctx *x, size_t a, size_t b, int base)
{
	for (; a < b; a++) {
		if (x->hide[a] == 1)
			continue;
		md_put(md, x->hide[a] == 2 ? ' ' : x->s[a],
		    (x->hide[a] == 2 ? 0 : x->sty[a]) | base);
	}
}

static void
md_pad(struct markdown *md, size_t n)
{
	while (n-- > 0)
		md_put(md, ' ', 0);
}

/*
 * The table whose header line starts at ls (md_render found its
 * delimiter row): lay it out for width (see markdown.h).  Returns where
 * the text after it starts (n + 1 if it ran to the end).
 */
size_t
md_table(struct markdown *md, struct md_ctx *x, size_t ls, size_t n,
    int width, int ncols0)
{
	const char	*s = x->s;
	size_t		 ncols = (size_t)ncols0, nrows, r, k, le, p, *cells;
	size_t		*cw, *colw, total, a, b, pad, next;
	char		*align;
	int		 fits, base;

	align = xmalloc(ncols);
	colw = xcalloc(ncols, sizeof *colw);
	for (le = ls; le < n && s[le] != '\n'; le++)
		continue;
	p = le + 1;
	for (le = p; le < n && s[le] != '\n'; le++)
		continue;
	md_delim_row(s, p, le, ncols, align);
	/* Count the rows: the header, then lines with '|' to a blank. */
	nrows = 1;
	next = n + 1;
	for (p = le + 1; le < n; p = le + 1) {
		for (le = p; le < n && s[le] != '\n'; le++)
			continue;
		if (md_blank(s + p, le - p) || !md_has_pipe(s, p, le)) {
			next = p;
			break;
		}
		nrows++;
	}
	cells = xreallocarray(NULL, nrows * ncols, 2 * sizeof *cells);
	cw = xcalloc(nrows * ncols, sizeof *cw);
	for (r = 0, p = ls; r < nrows; r++) {
		for (le = p; le < n && s[le] != '\n'; le++)
			continue;
		k = md_cells(s, p, le, cells + 2 * r * ncols, ncols);
		for (; k < ncols; k++)
			cells[2 * (r * ncols + k)] = cells[2 * (r * ncols + k) +
			    1] = le;
		for (k = 0; k < ncols; k++) {
			a = cells[2 * (r * ncols + k)];
			b = cells[2 * (r * ncols + k) + 1];
			md_clear(x, a, b);
			md_inline(x, a, b);
			cw[r * ncols + k] = md_shown_width(x, a, b);
			if (cw[r * ncols + k] > colw[k])
				colw[k] = cw[r * ncols + k];
		}
		p = le + 1;
		if (r == 0) {
			/* Skip the delimiter row. */
			for (le = p; le < n && s[le] != '\n'; le++)
				continue;
			p = le + 1;
		}
	}
	for (total = 3 * (ncols - 1), k = 0; k < ncols; k++)
		total += colw[k];
	fits = width <= 0 || total <= (size_t)width;
	for (r = 0; r < nrows; r++) {
		if (!fits && r == 0 && nrows > 1)
			continue;
		base = r == 0 ? MD_BOLD : 0;
		if (fits || r == 0) {
			md_begin(md, MD_TABLE, 0);
			for (k = 0; k < ncols; k++) {
				a = cells[2 * (r * ncols + k)];
				b = cells[2 * (r * ncols + k) + 1];
				pad = fits ? colw[k] - cw[r * ncols + k] : 0;
				if (k > 0)
					md_puts(md, MD_VBAR, sizeof MD_VBAR - 1,
					    MD_RULE);
				md_pad(md, align[k] == 'r' ? pad :
				    align[k] == 'c' ? pad / 2 : 0);
				md_cell(md, x, a, b, base);
				if (k + 1 < ncols)
					md_pad(md, align[k] == 'r' ? 0 :
					    align[k] == 'c' ? pad - pad / 2 :
					    pad);
			}
			if (fits && r == 0) {
				md_begin(md, MD_TABLE, 0);
				for (k = 0; k < ncols; k++) {
					if (k > 0)
						md_puts(md, MD_CROSS,
						    sizeof MD_CROSS - 1,
						    MD_RULE);
					for (pad = 0; pad < colw[k]; pad++)
						md_puts(md, MD_HBAR,
						    sizeof MD_HBAR - 1,
						    MD_RULE);
				}
			}
			continue;
		}
		/* Too wide: the row as "header: value" lines. */
		if (r > 1)
			md_begin(md, MD_TABLE, 0);
		for (k = 0; k < ncols; k++) {
			md_begin(md, MD_TABLE, 0);
			md_cell(md, x, cells[2 * k], cells[2 * k + 1],
			    MD_BOLD);
			md_puts(md, ": ", 2, MD_BOLD);
			md_cell(md, x, cells[2 * (r * ncols + k)],
			    cells[2 * (r * ncols + k) + 1], 0);
		}
	}
	free(cells);
	free(cw);
	free(colw);
	free(align);
	return next;
}
