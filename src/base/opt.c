/*
 * opt.c -- numeric command-line option values, checked whole and in
 * range, with one error message format for every command.  See opt.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "opt.h"
#include "utf8.h"

static void	 opt_error(const char *, const char *, const char *,
		    const char *);

/* "WHO: invalid value for OPT: 'ARG'" and the range hint. */
static void
opt_error(const char *who, const char *opt, const char *arg,
    const char *range)
{
	struct buf	b = BUF_INIT;

	utf8_safe(&b, arg, strlen(arg), UTF8_SAFE_QMARK);
	fprintf(stderr, "%s: invalid value for %s: '%s'%s\n", who, opt,
	    buf_str(&b), range);
	buf_free(&b);
}

int
opt_int(const char *who, const char *opt, const char *arg, long lo, long hi,
    long *out)
{
	char	*end, range[80];
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
		if (hi >= INT_MAX)
			snprintf(range, sizeof range, " (want at least %ld)",
			    lo);
		else
			snprintf(range, sizeof range, " (want %ld..%ld)", lo,
			    hi);
		opt_error(who, opt, arg, range);
		return -1;
	}
	*out = v;
	return 0;
}

int
opt_int_table(const char *who, const struct opt_num *t, int ch, const char *arg)
{
	for (; t->ch != 0; t++) {
		if (t->ch == ch)
			return opt_int(who, t->name, arg, t->lo, t->hi,
			    t->val) == 0 ? 1 : -1;
	}
	return 0;
}

int
opt_double(const char *who, const char *opt, const char *arg, double lo,
    double hi, double *out)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(d >= lo && d <= hi)) {
		opt_error(who, opt, arg, "");
		return -1;
	}
	*out = d;
	return 0;
}
