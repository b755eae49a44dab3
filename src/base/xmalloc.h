/*
 * xmalloc.h -- allocation that never returns NULL (tmux xmalloc.c).
 *
 * Out of memory is not a recoverable condition in medchat outside model
 * loading (where the engine checks sizes first and uses plain malloc):
 * these functions print one line and exit(1).  Size 0 is a programmer
 * error and aborts.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>
#include <stdarg.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
/*
 * Grow an array of *cap elements of size bytes: *cap doubles (or becomes
 * first if 0) and the array is reallocated; returns the new array.
 */
void	*xgrowarray(void *, size_t *cap, size_t first, size_t size);
char	*xstrdup(const char *);
/* Free the n strings of the array v, then v (NULL v: nothing). */
void	 xfreev(char **v, size_t n);
char	*xstrndup(const char *, size_t);
void	*xmemdup(const void *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

#endif
