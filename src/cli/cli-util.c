/*
 * cli-util.c -- what the subcommands share: untrusted text on a terminal,
 * one-line errors, opening the store and the option loop.  Text from a
 * database or a file goes through utf8_safe() (caret notation for C0 and
 * DEL, U+FFFD for C1 controls, invalid UTF-8 and bidi controls), so it
 * cannot move the cursor, change the terminal's settings or reorder what
 * is shown.
 */
#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisory.h"
#include "buf.h"
#include "cli.h"
#include "opt.h"
#include "store.h"
#include "utf8.h"

void
cli_putn(FILE *f, const char *s, size_t n, int keep_nl)
{
	struct buf	b = BUF_INIT;

	utf8_safe(&b, s, n, UTF8_SAFE_CARET |
	    (keep_nl ? UTF8_SAFE_KEEP_NL : UTF8_SAFE_NL_SPACE));
	fwrite(buf_str(&b), 1, b.len, f);
	buf_free(&b);
}

void
cli_put(FILE *f, const char *s, int keep_nl)
{
	cli_putn(f, s, strlen(s), keep_nl);
}

int
cli_fail(char *cause)
{
	fprintf(stderr, "medchat: ");
	cli_put(stderr, cause != NULL ? cause : "unknown error", 0);
	fputc('\n', stderr);
	free(cause);
	return 1;
}

int
cli_store_open(const char *db, struct store **sp)
{
	char	*cause;

	if (store_open(db, advisory_ident(), sp, &cause) != 0)
		return cli_fail(cause);
	if (store_n_interrupted(*sp) > 0)
		fprintf(stderr, "medchat: %d unfinished answer%s from an "
		    "earlier run marked interrupted\n",
		    store_n_interrupted(*sp),
		    store_n_interrupted(*sp) == 1 ? "" : "s");
	return 0;
}

/* The most long options a subcommand has, with room for the end. */
#define CLI_OPT_MAX	16

int
cli_getopt(int argc, char **argv, const char *shortopts,
    const struct cli_opt *opts, const struct opt_num *nums, const char *who,
    void (*usage)(FILE *), int *status)
{
	struct option		 longopts[CLI_OPT_MAX];
	const struct cli_opt	*o;
	size_t			 n;
	int			 ch, rc;

	for (n = 0; opts[n].name != NULL; n++) {
		assert(n < CLI_OPT_MAX - 1);
		longopts[n].name = opts[n].name;
		longopts[n].has_arg = opts[n].has_arg;
		longopts[n].flag = NULL;
		longopts[n].val = opts[n].ch;
	}
	memset(&longopts[n], 0, sizeof longopts[n]);

	for (;;) {
		ch = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (ch == -1)
			return -1;
		for (o = opts; o->name != NULL && o->ch != ch; o++)
			continue;
		if (o->name != NULL && o->arg != NULL)
			*o->arg = optarg;
		else if (o->name != NULL && o->flag != NULL)
			*o->flag = 1;
		else if (nums != NULL &&
		    (rc = opt_int_table(who, nums, ch, optarg)) != 0) {
			if (rc < 0) {
				*status = 2;
				return 0;
			}
		} else if (ch == 'h') {
			usage(stdout);
			*status = 0;
			return 0;
		} else if (o->name != NULL)
			return ch;
		else {
			usage(stderr);
			*status = 2;
			return 0;
		}
	}
}
