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

/* src/cli/cli-util.c */
/*
 * Write untrusted text s (s[0..n)) to f, safe for a terminal: newlines
 * and tabs kept if keep_nl (else shown as spaces), other controls in
 * caret notation, C1 controls, invalid UTF-8 and bidi controls as U+FFFD.
 */
void	 cli_put(FILE *f, const char *s, int keep_nl);
void	 cli_putn(FILE *f, const char *s, size_t n, int keep_nl);
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
