/*
 * cli.h -- the subcommands of the medchat program.  Each takes the
 * arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status.  The table lives in main.c.
 */
#ifndef CLI_H
#define CLI_H

int	 cli_inspect(int argc, char **argv);	/* src/cli/cli-inspect.c */
int	 cli_ask(int argc, char **argv);	/* src/cli/cli-ask.c */
int	 cli_generate(int argc, char **argv);	/* src/cli/cli-ask.c */
int	 cli_debug(int argc, char **argv);	/* src/cli/cli-debug.c */
int	 cli_bench(int argc, char **argv);	/* src/cli/cli-bench.c */
int	 bench_model(int argc, char **argv);	/* src/cli/cli-bench-model.c: bench -m */
int	 cli_history(int argc, char **argv);	/* src/cli/cli-history.c */
int	 cli_advisory(int argc, char **argv);	/* src/cli/cli-history.c */

#endif
