/*
 * cli.h -- the subcommands of the medchat program.  Each takes the
 * arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status.  The table lives in main.c.
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdio.h>

struct opt_num;
struct store;

int	 cli_inspect(int argc, char **argv);	/* src/cli/cli-inspect.c */
int	 cli_ask(int argc, char **argv);	/* src/cli/cli-ask.c */
int	 cli_generate(int argc, char **argv);	/* src/cli/cli-ask.c */
int	 cli_debug(int argc, char **argv);	/* src/cli/cli-debug.c */
int	 cli_bench(int argc, char **argv);	/* src/cli/cli-bench.c */
int	 bench_model(int argc, char **argv);	/* src/cli/cli-bench-model.c: bench -m */
int	 cli_history(int argc, char **argv);	/* src/cli/cli-history.c */
int	 cli_advisory(int argc, char **argv);	/* src/cli/cli-advisory.c */
int	 cli_models(int argc, char **argv);	/* src/cli/cli-models.c */
int	 cli_eval(int argc, char **argv);	/* src/cli/cli-eval.c */

/*
 * src/cli/cli-eval.c: a stored measurement as the JSON object `eval`
 * prints (for `models --json` too).  A new reference.
 */
struct json_t;
struct store_measure;
struct json_t *cli_measure_json(const struct store_measure *);

/* src/cli/cli-util.c */
struct buf;

/*
 * --raw: untrusted text goes to stdout as exact bytes even when it is a
 * terminal.  Commands that print such text take the option and call
 * this before printing.
 */
void	 cli_set_raw(int raw);
/*
 * 1 if untrusted text written to fd must be made safe for a terminal:
 * stderr always (messages), any other fd when it is a terminal and
 * --raw was not given.
 */
int	 cli_tty_safe(int fd);
/*
 * Write untrusted text s (s[0..n)) to f.  Where cli_tty_safe() says so:
 * newlines and tabs kept if keep_nl (else shown as spaces), other
 * controls in caret notation, C1 controls, invalid UTF-8 and bidi
 * controls as U+FFFD (utf8_safe).  Elsewhere the exact bytes, except
 * that without keep_nl a newline is a space (the field keeps its line).
 */
void	 cli_put(FILE *f, const char *s, int keep_nl);
void	 cli_putn(FILE *f, const char *s, size_t n, int keep_nl);
/*
 * Untrusted text that arrives in pieces (a model's output streamed to
 * stdout): cli_stream_init decides once for fd (cli_tty_safe) and, with
 * lstrip, drops one leading space of the text on a terminal (a chat
 * answer's SentencePiece word marker; the stored text keeps it).
 * cli_stream_text appends to out what to write for the piece s[0..n):
 * the bytes themselves, or their terminal-safe form, an unfinished
 * UTF-8 character held back until the next piece; final (the last
 * call, n may be 0) lets nothing be held.
 */
struct cli_stream {
	int	 safe;
	int	 lstrip;
	char	 held[4];
	size_t	 nheld;
};
void	 cli_stream_init(struct cli_stream *, int fd, int lstrip);
void	 cli_stream_text(struct cli_stream *, const char *s, size_t n,
	    int final, struct buf *out);
/* "medchat: CAUSE" on stderr (made safe), frees cause; returns 1. */
int	 cli_fail(char *cause);
/*
 * Open the store at db (NULL: $MEDCHAT_DB or the default) and say on
 * stderr how many interrupted answers it marked.  0, or 1 after
 * cli_fail().
 */
int	 cli_store_open(const char *db, struct store **sp);

/*
 * One option of a subcommand for cli_getopt(): --name (with an argument
 * if has_arg is required_argument) whose getopt_long value is ch.  If arg
 * is not NULL, the option's argument is stored in *arg; if flag is not
 * NULL, *flag is set to 1.  An option with neither is a number in the
 * opt_num table, --help ('h'), or left to the caller.  A NULL name ends
 * the table.
 */
struct cli_opt {
	const char	 *name;
	int		  has_arg;
	int		  ch;
	const char	**arg;		/* OUT */
	int		 *flag;		/* OUT */
};
/*
 * The next option of argv (getopt_long with shortopts and the long
 * options of opts; set optind before the first call).  Stores what opts
 * and nums (NULL: none; who names the command in their messages) bind.
 * Returns -1 when the options end (operands from optind); the value of an
 * option that opts leaves to the caller (optarg set); or 0 when the
 * subcommand is to exit with *status: 0 after -h/--help (usage(stdout)),
 * 2 after an unknown option (usage(stderr)) or a bad number (opt_int's
 * message).
 */
int	 cli_getopt(int argc, char **argv, const char *shortopts,
	    const struct cli_opt *opts, const struct opt_num *nums,
	    const char *who, void (*usage)(FILE *), int *status);

#endif
