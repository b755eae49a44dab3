/*
 * cli-util.c -- what the subcommands share: untrusted text on a terminal,
 * one-line errors, opening the store and the option loop.
 *
 * Text from a model, a model file or a database is untrusted: on a
 * terminal it goes through utf8_safe() (caret notation for C0 and DEL,
 * U+FFFD for C1 controls, invalid UTF-8, line separators and bidi
 * controls), so it cannot move the cursor, set the window title, write
 * the clipboard, erase what is shown or reorder it.  Anywhere else (a
 * pipe, a file) and with --raw the bytes are written as they are, so
 * scripts get the exact text.  Messages on stderr are always made safe:
 * they are one line for a person to read.
 */
#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advisory.h"
#include "buf.h"
#include "cli.h"
#include "opt.h"
#include "store.h"
#include "utf8.h"

/* --raw: exact bytes even on a terminal. */
static int	 cli_raw;

void
cli_set_raw(int raw)
{
	cli_raw = raw;
}

int
cli_tty_safe(int fd)
{
	return fd == STDERR_FILENO || (!cli_raw && isatty(fd));
}

void
cli_putn(FILE *f, const char *s, size_t n, int keep_nl)
{
	struct buf	 b = BUF_INIT;
	const char	*nl;

	if (cli_tty_safe(fileno(f)))
		utf8_safe(&b, s, n, UTF8_SAFE_CARET |
		    (keep_nl ? UTF8_SAFE_KEEP_NL : UTF8_SAFE_NL_SPACE));
	else if (keep_nl)
		buf_append(&b, s, n);
	else {
		/* Exact, but a one-line field stays on its line. */
		for (; (nl = memchr(s, '\n', n)) != NULL; n -= nl + 1 - s,
		    s = nl + 1) {
			buf_append(&b, s, (size_t)(nl - s));
			buf_putc(&b, ' ');
		}
		buf_append(&b, s, n);
	}
	fwrite(buf_str(&b), 1, b.len, f);
	buf_free(&b);
}

void
cli_put(FILE *f, const char *s, int keep_nl)
{
	cli_putn(f, s, strlen(s), keep_nl);
}

void
cli_stream_init(struct cli_stream *cs, int fd, int lstrip)
{
	memset(cs, 0, sizeof *cs);
	cs->safe = cli_tty_safe(fd);
	cs->lstrip = cs->safe && lstrip;
}

void
cli_stream_text(struct cli_stream *cs, const char *s, size_t n, int final,
    struct buf *out)
{
	struct buf	in = BUF_INIT;
	size_t		used;

	if (!cs->safe) {
		buf_append(out, s, n);
		return;
	}
	if (cs->lstrip && n > 0) {
		if (*s == ' ') {
			s++;
			n--;
		}
		cs->lstrip = 0;
	}
	/* What was held back from the last piece comes first. */
	buf_append(&in, cs->held, cs->nheld);
	buf_append(&in, s, n);
	used = utf8_safe(out, in.data, in.len, UTF8_SAFE_CARET |
	    UTF8_SAFE_KEEP_NL | (final ? 0 : UTF8_SAFE_PARTIAL));
	/* At most 3 bytes: an unfinished character. */
	cs->nheld = in.len - used;
	memcpy(cs->held, in.data + used, cs->nheld);
	buf_free(&in);
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
	char			 shorts[64];
	size_t			 n;
	int			 ch, rc, help = 0;

	for (n = 0; opts[n].name != NULL; n++) {
		assert(n < CLI_OPT_MAX - 2);
		longopts[n].name = opts[n].name;
		longopts[n].has_arg = opts[n].has_arg;
		longopts[n].flag = NULL;
		longopts[n].val = opts[n].ch;
		help |= strcmp(opts[n].name, "help") == 0;
	}
	/* Every command answers --help and -h, whether its table has them. */
	if (!help) {
		longopts[n].name = "help";
		longopts[n].has_arg = no_argument;
		longopts[n].flag = NULL;
		longopts[n++].val = 'h';
	}
	memset(&longopts[n], 0, sizeof longopts[n]);
	assert(strlen(shortopts) + 2 <= sizeof shorts);
	snprintf(shorts, sizeof shorts, "%s%s", shortopts,
	    strchr(shortopts, 'h') == NULL ? "h" : "");

	for (;;) {
		ch = getopt_long(argc, argv, shorts, longopts, NULL);
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
