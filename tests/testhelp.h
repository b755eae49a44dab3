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
 */
#ifndef TESTHELP_H
#define TESTHELP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#endif
