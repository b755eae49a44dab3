/*
 * xmalloc.c -- allocation wrappers that exit on failure.  See xmalloc.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "xmalloc.h"

static void xmalloc_fail(size_t) __attribute__((noreturn));

static void
xmalloc_fail(size_t size)
{
	fprintf(stderr, "medchat: out of memory allocating %zu bytes\n", size);
	exit(1);
}

void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		abort();
	if ((p = malloc(size)) == NULL)
		xmalloc_fail(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		abort();
	if ((p = calloc(n, size)) == NULL)
		xmalloc_fail(n * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	return xreallocarray(ptr, 1, size);
}

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		abort();
	if (n > SIZE_MAX / size)
		xmalloc_fail(SIZE_MAX);
	if ((p = realloc(ptr, n * size)) == NULL)
		xmalloc_fail(n * size);
	return p;
}

void *
xgrowarray(void *ptr, size_t *cap, size_t first, size_t size)
{
	*cap = *cap == 0 ? first : *cap * 2;
	return xreallocarray(ptr, *cap, size);
}

char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *
xmemdup(const void *src, size_t n)
{
	void	*p;

	p = xmalloc(n == 0 ? 1 : n);
	if (n != 0)
		memcpy(p, src, n);
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	ap;
	int	i;

	va_start(ap, fmt);
	i = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return i;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	i;

	i = vasprintf(ret, fmt, ap);
	if (i < 0 || *ret == NULL)
		xmalloc_fail(0);
	return i;
}

void
xfreev(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
