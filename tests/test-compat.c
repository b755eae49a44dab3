/*
 * test-compat.c -- the portable fallbacks (src/base/compat.c) and the
 * machine's memory and cores (src/base/host.c).
 *
 * The compat_ functions are compiled on every system, so they are checked
 * here whether or not this build uses them; where the system has its own
 * version, the two are compared as well.  host.c's sources are chosen by
 * configure: a scratch build with medchat_cv_linux_proc_sys=no (and
 * ac_cv_have_decl__SC_AVPHYS_PAGES=no) runs these checks on the
 * fallbacks (docs/PORTABILITY.md).
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "host.h"
#include "testhelp.h"

static void	 test_memmem(void);
static void	 test_timegm(void);
static int	 fmt(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 test_vasprintf(void);
static void	 test_bzero(void);
static void	 test_strsep(void);
static void	 test_mtime(void);
static void	 test_host(void);

/* The first place of n in h by brute force, -1 if none. */
static long
naive_find(const char *h, size_t hn, const char *n, size_t nn)
{
	size_t	i;

	for (i = 0; i + nn <= hn; i++) {
		if (memcmp(h + i, n, nn) == 0)
			return (long)i;
	}
	return -1;
}

static void
test_memmem(void)
{
	static const char	 hay[] = "abcabcabd\0xy\0aab";
	const char		*cases[] = { "abd", "abc", "d\0x", "xy\0a", "aab",
				    "b", "\0", "abe", "aabb", "abcabcabd\0xy\0aab",
				    "zz" };
	size_t			 lens[] = { 3, 3, 3, 4, 3, 1, 1, 3, 4, 17, 2 };
	size_t			 i, bad = 0;
	const char		*r;
	long			 want, got;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = compat_memmem(hay, sizeof hay - 1, cases[i], lens[i]);
		want = naive_find(hay, sizeof hay - 1, cases[i], lens[i]);
		got = r == NULL ? -1 : (long)(r - hay);
		if (got != want) {
			test_diag("memmem case %zu: %ld, want %ld", i, got,
			    want);
			bad++;
		}
	}
	test_condf(bad == 0, "memmem: %zu needles, embedded NULs, at the end, "
	    "longer than the haystack", i);
	test_cond(compat_memmem(hay, 5, "", 0) == hay,
	    "memmem: an empty needle is found at the start");
	test_cond(compat_memmem(hay, 0, "a", 1) == NULL,
	    "memmem: nothing is in an empty haystack");
	/* A match must not run past n1 although the bytes follow. */
	test_cond(compat_memmem(hay, 8, "abd", 3) == NULL,
	    "memmem: no match past the haystack's length");
}

static void
test_timegm(void)
{
	static const struct {
		int	y, mo, d, h, mi, s;
		long long t;
	} known[] = {
		{ 1970, 1, 1, 0, 0, 0, 0 },
		{ 1970, 1, 2, 0, 0, 1, 86401 },
		{ 1972, 3, 1, 0, 0, 0, 68256000 },	/* after a leap day */
		{ 2000, 2, 29, 12, 0, 0, 951825600 },	/* 400-year leap */
		{ 2001, 9, 9, 1, 46, 40, 1000000000 },
		{ 2038, 1, 19, 3, 14, 8, 2147483648LL },
		{ 2100, 3, 1, 0, 0, 0, 4107542400LL },	/* 2100: no leap */
	};
	struct tm	 tm;
	size_t		 i, bad = 0;
	time_t		 t;
#if HAVE_DECL_TIMEGM
	struct tm	*g, gm;
	long long	 s;
	size_t		 n = 0;
#endif

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (sizeof(time_t) < 8 && known[i].t > INT32_MAX)
			continue;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = known[i].y - 1900;
		tm.tm_mon = known[i].mo - 1;
		tm.tm_mday = known[i].d;
		tm.tm_hour = known[i].h;
		tm.tm_min = known[i].mi;
		tm.tm_sec = known[i].s;
		t = compat_timegm(&tm);
		if ((long long)t != known[i].t) {
			test_diag("timegm %04d-%02d-%02d: %lld, want %lld",
			    known[i].y, known[i].mo, known[i].d,
			    (long long)t, known[i].t);
			bad++;
		}
	}
	test_condf(bad == 0, "timegm: %zu known instants (leap years, 2038, "
	    "2100)", i);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 69;
	tm.tm_mday = 31;
	test_cond(compat_timegm(&tm) == (time_t)-1,
	    "timegm: a year before 1970 is out of range");
	tm.tm_year = 100;
	tm.tm_mon = 12;
	test_cond(compat_timegm(&tm) == (time_t)-1,
	    "timegm: month 12 is out of range");
#if HAVE_DECL_TIMEGM
	/* Every 7919th second's day over 1970..2200 against the system's. */
	bad = 0;
	for (s = 0; s < 7258118400LL && (sizeof(time_t) >= 8 ||
	    s < INT32_MAX); s += 86400LL * 37 + 7919) {
		t = (time_t)s;
		if ((g = gmtime_r(&t, &gm)) == NULL)
			break;
		if (compat_timegm(g) != timegm(g) || timegm(g) != t)
			bad++;
		n++;
	}
	test_condf(bad == 0 && n > 2000, "timegm: the same as the system's "
	    "at %zu instants (%zu differ)", n, bad);
#else
	test_skip("timegm against the system's", "no system timegm");
#endif
}

static int
fmt(char **ret, const char *f, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, f);
	n = compat_vasprintf(ret, f, ap);
	va_end(ap);
	return n;
}

static void
test_vasprintf(void)
{
	char	*s = NULL, *big;
	int	 n;

	n = fmt(&s, "%s-%d-%05.2f-%c", "x", -42, 2.5, 'z');
	test_condf(n == 13 && s != NULL && strcmp(s, "x--42-02.50-z") == 0,
	    "vasprintf: formats and returns the length (%d, %s)", n,
	    s != NULL ? s : "NULL");
	free(s);
	n = fmt(&s, "%s", "");
	test_cond(n == 0 && s != NULL && *s == '\0',
	    "vasprintf: the empty string");
	free(s);
	big = malloc(100001);
	memset(big, 'q', 100000);
	big[100000] = '\0';
	n = fmt(&s, "<%s>", big);
	test_cond(n == 100002 && s != NULL && s[0] == '<' &&
	    s[100001] == '>' && s[100002] == '\0' &&
	    memcmp(s + 1, big, 100000) == 0,
	    "vasprintf: 100 kB, longer than any first guess");
	free(s);
	free(big);
}

static void
test_bzero(void)
{
	unsigned char	buf[64];
	size_t		i, left = 0;

	memset(buf, 0xa5, sizeof buf);
	compat_explicit_bzero(buf + 8, 48);
	for (i = 0; i < sizeof buf; i++) {
		if (buf[i] != (i >= 8 && i < 56 ? 0 : 0xa5))
			left++;
	}
	test_condf(left == 0, "explicit_bzero: exactly the range is zeroed "
	    "(%zu bytes wrong)", left);
	compat_explicit_bzero(buf, 0);
	test_cond(buf[0] == 0xa5, "explicit_bzero: 0 bytes touch nothing");
}

static void
test_strsep(void)
{
	char	 s[] = "a,,b;c,", *p = s, *t[6];
	int	 n = 0;

	while (n < 6 && (t[n] = compat_strsep(&p, ",;")) != NULL)
		n++;
	test_condf(n == 5 && strcmp(t[0], "a") == 0 && *t[1] == '\0' &&
	    strcmp(t[2], "b") == 0 && strcmp(t[3], "c") == 0 &&
	    *t[4] == '\0' && p == NULL, "strsep: empty fields kept, the "
	    "last one after a trailing delimiter (%d tokens)", n);
	test_cond(compat_strsep(&p, ",") == NULL, "strsep: NULL once done");
}

static void
test_mtime(void)
{
	char		 path[] = "/tmp/medchat-compat.XXXXXX";
	struct stat	 sb;
	int		 fd;
	int64_t		 ns;

	if ((fd = mkstemp(path)) == -1) {
		test_skip("mtime in nanoseconds", "mkstemp failed");
		return;
	}
	close(fd);
	if (stat(path, &sb) != 0) {
		test_cond(0, "stat of a new file");
		unlink(path);
		return;
	}
	ns = COMPAT_MTIME_NS(&sb);
	test_condf(ns / 1000000000 == (int64_t)sb.st_mtime && ns >= 0,
	    "mtime in nanoseconds agrees with st_mtime (%lld)",
	    (long long)ns);
	unlink(path);
}

static void
test_host(void)
{
	long		 ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int		 cores = host_physical_cores();
	uint64_t	 mem = host_mem_available();

	if (ncpu < 1)
		ncpu = 1;
	test_condf(cores >= 1 && cores <= ncpu, "physical cores %d, between 1 "
	    "and the %ld online CPUs", cores, ncpu);
#if defined(HAVE_LINUX_PROC_SYS) || defined(HAVE_HOST_STATISTICS64) || \
    defined(HAVE_SYSCTLBYNAME) || HAVE_DECL__SC_AVPHYS_PAGES
	test_condf(mem > 0, "memory available: %llu MiB",
	    (unsigned long long)(mem >> 20));
#ifdef _SC_PHYS_PAGES
	{
		long	pages = sysconf(_SC_PHYS_PAGES);
		long	pgsz = sysconf(_SC_PAGESIZE);

		if (pages > 0 && pgsz > 0)
			test_condf(mem <= (uint64_t)pages * (uint64_t)pgsz,
			    "memory available is at most the %llu MiB "
			    "installed", (unsigned long long)((uint64_t)pages *
			    (uint64_t)pgsz >> 20));
	}
#endif
#else
	test_condf(mem == 0, "no source of memory figures configured: 0 "
	    "(unknown), got %llu", (unsigned long long)mem);
#endif
}

int
main(void)
{
	test_memmem();
	test_timegm();
	test_vasprintf();
	test_bzero();
	test_strsep();
	test_mtime();
	test_host();
	return test_report();
}
