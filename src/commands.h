/*
 * commands.h -- the subcommands of the medchat program.  Each takes the
 * arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status.  The table lives in main.c.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

int	 cmd_inspect(int argc, char **argv);	/* src/cmd-inspect.c */
int	 cmd_ask(int argc, char **argv);	/* src/cmd-ask.c */
int	 cmd_generate(int argc, char **argv);	/* src/cmd-ask.c */
int	 cmd_debug(int argc, char **argv);	/* src/cmd-debug.c */
int	 cmd_bench(int argc, char **argv);	/* src/cmd-bench.c */
int	 bench_model(int argc, char **argv);	/* src/cmd-bench-model.c: bench -m */
int	 cmd_history(int argc, char **argv);	/* src/cmd-history.c */
int	 cmd_advisory(int argc, char **argv);	/* src/cmd-history.c */
int	 cmd_tui(int argc, char **argv);	/* ui/ui.c: no subcommand */

#endif
