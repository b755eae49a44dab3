/*
 * compat.c -- portable versions of C library calls that some systems lack
 * (see compat.h).  Each is compiled everywhere and tested everywhere
 * (tests/test-compat.c); compat.h renames a call to its compat_ version
 * only where configure found no declaration of the system's own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"

/*
 * Called through a volatile pointer, the compiler cannot prove what the
 * call does, so it cannot drop a memset of memory that is freed or goes
 * out of scope next (what explicit_bzero is for).
 */
static void	*(*volatile compat_memset)(void *, int, size_t) = memset;

void *
compat_memmem(const void *s1, size_t n1, const void *s2, size_t n2)
{
	const unsigned char	*h = s1, *n = s2, *p, *end;

	if (n2 == 0)
		return (void *)s1;
	if (n2 > n1)
		return NULL;
	end = h + (n1 - n2);	/* the last place a match can start */
	for (p = h; p <= end; p++) {
		p = memchr(p, n[0], (size_t)(end - p) + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, n, n2) == 0)
			return (void *)p;
	}
	return NULL;
}

void
compat_explicit_bzero(void *p, size_t n)
{
	compat_memset(p, 0, n);
}

/* Leap days from year 1 to year y - 1 (Gregorian). */
static long long
compat_leaps_before(long long y)
{
	y--;
	return y / 4 - y / 100 + y / 400;
}

time_t
compat_timegm(const struct tm *tm)
{
	static const int	 before[12] = { 0, 31, 59, 90, 120, 151, 181,
				    212, 243, 273, 304, 334 };
	long long		 y, days;
	int			 leap;

	if (tm->tm_year < 70 || tm->tm_mon < 0 || tm->tm_mon > 11 ||
	    tm->tm_mday < 1 || tm->tm_mday > 31 || tm->tm_hour < 0 ||
	    tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 ||
	    tm->tm_sec < 0 || tm->tm_sec > 60 || tm->tm_year > 1000000)
		return (time_t)-1;
	y = (long long)tm->tm_year + 1900;
	if (sizeof(time_t) < 8 && y > 2037)
		return (time_t)-1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	days = 365 * (y - 1970) + compat_leaps_before(y) -
	    compat_leaps_before(1970) + before[tm->tm_mon] +
	    (tm->tm_mon > 1 && leap) + tm->tm_mday - 1;
	return (time_t)(days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 +
	    tm->tm_sec);
}

int
compat_vasprintf(char **ret, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;
	char	*s;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return -1;
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) != n) {
		free(s);
		return -1;
	}
	*ret = s;
	return n;
}

char *
compat_strsep(char **sp, const char *delim)
{
	char	*tok = *sp, *end;

	if (tok == NULL)
		return NULL;
	end = tok + strcspn(tok, delim);
	if (*end == '\0')
		*sp = NULL;
	else {
		*end = '\0';
		*sp = end + 1;
	}
	return tok;
}
