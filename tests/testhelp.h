/*
 * testhelp.h -- a tiny TAP test harness (after redis/src/testhelp.h).
 *
 * Every check prints one TAP line, so automake's tap-driver counts each
 * assertion.  Usage:
 *
 *	test_cond(x == 1, "x is one");
 *	test_condf(x == y, "row %d matches", i);
 *	test_skip("needs ../shared", "shared models not found");
 *	return test_report();
 *
 * Descriptions must not contain '#'; test_emit() replaces it.
 *
 * Also the helpers several tests share: test_slurp() (a whole file),
 * test_spit() (bytes into a file),
 * test_parse_ids()/test_same_ids()/test_diag_ids() (token id lists),
 * test_tsv_next() (the golden tokenizer files),
 * test_rmtree() (rm -rf of a test's temporary directory),
 * test_usleep() (usleep(3) is not in POSIX 2008).
 */
#ifndef TESTHELP_H
#define TESTHELP_H

#include <sys/stat.h>

#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int test_count;
static int test_failed;
static int test_skipped;

static void __attribute__((unused, format(printf, 4, 5)))
test_emit(int ok, const char *file, int line, const char *fmt, ...)
{
	char	 buf[512], *p;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (p = buf; *p != '\0'; p++) {
		if (*p == '#' || *p == '\n')
			*p = ' ';
	}
	test_count++;
	if (ok)
		printf("ok %d - %s\n", test_count, buf);
	else {
		test_failed++;
		printf("not ok %d - %s (%s:%d)\n", test_count, buf, file, line);
	}
	fflush(stdout);
}

#define test_cond(c, descr) test_emit(!!(c), __FILE__, __LINE__, "%s", (descr))
#define test_condf(c, ...) test_emit(!!(c), __FILE__, __LINE__, __VA_ARGS__)

/* Print a diagnostic line (TAP comment). */
static void __attribute__((unused, format(printf, 1, 2)))
test_diag(const char *fmt, ...)
{
	va_list	ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void __attribute__((unused))
test_skip(const char *descr, const char *why)
{
	test_count++;
	test_skipped++;
	printf("ok %d - %s # SKIP %s\n", test_count, descr, why);
	fflush(stdout);
}

static int __attribute__((unused))
test_report(void)
{
	printf("1..%d\n", test_count);
	fflush(stdout);
	return test_failed ? 1 : 0;
}

/*
 * Whether to test the CPU kernel level called name: every level, unless
 * $MEDCHAT_TEST_LEVELS lists some (comma-separated).  The aarch64 runs
 * under qemu (tests/cross-aarch64.sh) test one level per process, with
 * the CPU model that level needs.
 */
static __attribute__((unused)) int
test_level_wanted(const char *name)
{
	const char	*s = getenv("MEDCHAT_TEST_LEVELS"), *p;
	size_t		 len = strlen(name);

	if (s == NULL || *s == '\0')
		return 1;
	for (p = s; (p = strstr(p, name)) != NULL; p += len)
		if ((p == s || p[-1] == ',') && (p[len] == ',' ||
		    p[len] == '\0'))
			return 1;
	return 0;
}

/*
 * Directory of the shared test models and golden files, or NULL (and a
 * visible skip) when absent.  $MEDCHAT_SHARED overrides ../shared.
 */
static __attribute__((unused)) const char *
test_shared_dir(void)
{
	static char	 path[4096];
	const char	*s;
	char		 probe[4200];

	s = getenv("MEDCHAT_SHARED");
	if (s == NULL || *s == '\0')
		s = "../shared";
	snprintf(path, sizeof path, "%s", s);
	snprintf(probe, sizeof probe, "%s/models", path);
	if (access(probe, R_OK) != 0)
		return NULL;
	return path;
}

/*
 * Deterministic test data: xorshift64 over a state each test seeds
 * itself, so a failure reproduces.
 */
static inline uint32_t
test_rand_u32(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 16);
}

/* Uniform in [-1, 1). */
static inline float
test_rand_f(uint64_t *state)
{
	return (float)((test_rand_u32(state) & 0xFFFFFF) / 8388608.0 - 1.0);
}

/*
 * The whole file at path as a NUL-terminated string (binary safe: *len,
 * if not NULL, gets the length), or NULL if it cannot be read or is not
 * a regular file.  Caller frees.
 */
static __attribute__((unused)) char *
test_slurp(const char *path, size_t *len)
{
	struct stat	 st;
	FILE		*f;
	char		*data;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return NULL;
	}
	n = (size_t)st.st_size;
	if ((data = malloc(n + 1)) == NULL)
		abort();
	if (fread(data, 1, n, f) != n) {
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	if (len != NULL)
		*len = n;
	return data;
}

/* Write n bytes of p as the file at path (created or truncated): 0, or -1. */
static __attribute__((unused)) int
test_spit(const char *path, const void *p, size_t n)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	ok = n == 0 || fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/*
 * The next data line of a golden tsv file ("input<TAB>ids", split by
 * "# mode special" / "# mode plain" blocks) in the text at *cursor,
 * which is cut into lines in place: the line (its input is the first
 * *len bytes, the ids start at *ids), or NULL at the end.  *mode is the
 * block's mode (1 special, 0 plain; the caller starts it at -1, and lines
 * before the first block are skipped).  Comments, empty lines and lines
 * without a tab are skipped.
 */
static __attribute__((unused)) char *
test_tsv_next(char **cursor, size_t *len, char **ids, int *mode)
{
	char	*line, *next, *tab;

	while ((line = *cursor) != NULL && *line != '\0') {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		*cursor = next;
		if (strcmp(line, "# mode special") == 0)
			*mode = 1;
		else if (strcmp(line, "# mode plain") == 0)
			*mode = 0;
		if (*line == '#' || *mode == -1 ||
		    (tab = strchr(line, '\t')) == NULL)
			continue;
		*len = (size_t)(tab - line);
		*ids = tab + 1;
		return line;
	}
	return NULL;
}

/* Parse "1 2 3" into v[0..max); returns the count (which may pass max). */
static __attribute__((unused)) size_t
test_parse_ids(const char *s, int32_t *v, size_t max)
{
	size_t	 n = 0;
	char	*end;
	long	 x;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0' || *s == '\n')
			break;
		x = strtol(s, &end, 10);
		if (end == s)
			break;
		if (n < max)
			v[n] = (int32_t)x;
		n++;
		s = end;
	}
	return n;
}

static __attribute__((unused)) int
test_same_ids(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* "# what: 1 2 3" */
static __attribute__((unused)) void
test_diag_ids(const char *what, const int32_t *v, size_t n)
{
	char	line[2048];
	size_t	i, o = 0;

	for (i = 0; i < n && o + 16 < sizeof line; i++)
		o += (size_t)snprintf(line + o, sizeof line - o, " %d", v[i]);
	line[o] = '\0';
	test_diag("%s:%s", what, line);
}

static __attribute__((unused)) int
test_rmtree_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

/* rm -rf path (no shell); 0, or -1 (and a diagnostic) if any is left. */
static __attribute__((unused)) int
test_rmtree(const char *path)
{
	if (nftw(path, test_rmtree_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		test_diag("could not remove %s", path);
		return -1;
	}
	return 0;
}

/* Sleep us microseconds (less if a signal interrupts), as usleep(3). */
static __attribute__((unused)) void
test_usleep(long us)
{
	struct timespec	ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

#endif
