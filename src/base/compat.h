/*
 * compat.h -- the C library calls medchat uses that are not on every
 * system it builds on (Linux/glibc, macOS, FreeBSD, OpenBSD), and the
 * portable versions used where configure did not find them
 * (docs/PORTABILITY.md lists each call, its check and its fallback).
 *
 * Include it after the system headers: where configure found no
 * declaration, the call's name is then defined to the compat_ version,
 * which is always compiled, so tests/test-compat.c checks the fallbacks
 * on every system, not only where they are used.
 */
#ifndef COMPAT_H
#define COMPAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* memmem(3): the first n2 bytes of s2 in the n1 bytes of s1, or NULL. */
void	*compat_memmem(const void *s1, size_t n1, const void *s2,
	    size_t n2);
/* explicit_bzero(3): zero n bytes at p, a store the compiler must keep. */
void	 compat_explicit_bzero(void *p, size_t n);
/*
 * timegm(3) for a broken-down UTC time already in range (tm_mon 0-11,
 * tm_mday 1-31, tm_hour/min/sec in range, year 1970 or later): the
 * seconds since the epoch, or (time_t)-1 when out of range.
 */
time_t	 compat_timegm(const struct tm *tm);
/* vasprintf(3): *ret malloc'd; its length, or -1 (*ret undefined). */
int	 compat_vasprintf(char **ret, const char *fmt, va_list ap);
/*
 * strsep(3): the token at *sp up to the first byte of delim (which is
 * overwritten with NUL), *sp moved past it (NULL after the last token);
 * NULL when *sp is NULL.
 */
char	*compat_strsep(char **sp, const char *delim);

#if !HAVE_DECL_MEMMEM
#define memmem compat_memmem
#endif
#if !HAVE_DECL_EXPLICIT_BZERO
#define explicit_bzero compat_explicit_bzero
#endif
#if !HAVE_DECL_TIMEGM
#define timegm compat_timegm
#endif
#if !HAVE_DECL_VASPRINTF
#define vasprintf compat_vasprintf
#endif
#if !HAVE_DECL_STRSEP
#define strsep compat_strsep
#endif

/*
 * A struct stat's modification time in nanoseconds: POSIX 2008's st_mtim
 * (Linux, the BSDs), macOS's st_mtimespec, else whole seconds.
 */
#ifdef HAVE_STRUCT_STAT_ST_MTIM
#define COMPAT_MTIME_NS(sb) ((int64_t)(sb)->st_mtim.tv_sec * 1000000000 + \
	(int64_t)(sb)->st_mtim.tv_nsec)
#elif defined(HAVE_STRUCT_STAT_ST_MTIMESPEC)
#define COMPAT_MTIME_NS(sb) ((int64_t)(sb)->st_mtimespec.tv_sec * \
	1000000000 + (int64_t)(sb)->st_mtimespec.tv_nsec)
#else
#define COMPAT_MTIME_NS(sb) ((int64_t)(sb)->st_mtime * 1000000000)
#endif

#endif
