/*
 * markdown-int.h -- what the two files of the Markdown renderer share:
 * markdown.c (the block walk and the inline rules) and markdown-table.c
 * (the table layout).  Private to those two files; the rest of the UI
 * includes markdown.h.
 */
#ifndef MARKDOWN_INT_H
#define MARKDOWN_INT_H

#include <stddef.h>

#include "markdown.h"

#define MD_NONE	((size_t)-1)
#define MD_MAXCOLS 64		/* more cells: not a table */
#define MD_MAXDEPTH 8		/* quote bars shown at most */
#define MD_BAR	"\xe2\x94\x82 "		/* "│ ": a quote bar */
#define MD_VBAR	" \xe2\x94\x82 "		/* " │ ": between table cells */
#define MD_HBAR	"\xe2\x94\x80"		/* "─": a table rule */
#define MD_CROSS "\xe2\x94\x80\xe2\x94\xbc\xe2\x94\x80"	/* "─┼─" */

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

/* markdown.c */
int	 md_blank(const char *, size_t);
void	 md_clear(struct md_ctx *, size_t, size_t);
void	 md_inline(struct md_ctx *, size_t, size_t);
void	 md_begin(struct markdown *, int, int);
void	 md_put(struct markdown *, char, int);
void	 md_puts(struct markdown *, const char *, size_t, int);

/* markdown-table.c */
int	 md_has_pipe(const char *, size_t, size_t);
size_t	 md_table_cols(const char *, size_t, size_t, size_t);
size_t	 md_table(struct markdown *, struct md_ctx *, size_t, size_t,
	    int, int);

#endif
