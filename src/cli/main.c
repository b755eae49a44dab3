/*
 * main.c -- program entry: locale, subcommand dispatch.
 *
 * `medchat` alone opens the full-screen chat (ui/); `medchat CMD ...`
 * runs one of the command-line tools in the table below.  Each command
 * parses its own options (getopt_long) and returns the exit status.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ui.h"

struct subcmd {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
};

static const struct subcmd subcmds[] = {
	{ "inspect", cli_inspect, "inspect FILE [--json]" },
	{ "history", cli_history, "history [list|show|search|export|import|"
	    "rename|delete|archive|unarchive] ... [--db PATH] [--raw]" },
	{ "advisory", cli_advisory, "advisory [--show | --history] [--db PATH]" },
	{ "bench", cli_bench, "bench kernels [-t THREADS] [--types LIST] [--json] | "
	    "bench --membw [-t THREADS] [--json] | "
	    "bench -m FILE [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]" },
	{ "ask", cli_ask, "ask -m FILE | --endpoint URL|NAME [options] "
	    "QUESTION" },
	{ "models", cli_models, "models [--endpoint URL|NAME]... "
	    "[-M DIR]..." },
	{ "eval", cli_eval, "eval ppl|kld|speed|list -m FILE [--base FILE] "
	    "[--text FILE] [--ctx N] [--chunks N] [--threads N] [--again] "
	    "[--json] [--db PATH]" },
	{ "generate", cli_generate, "generate -m FILE [options] PROMPT" },
	{ "debug", cli_debug, "debug tokenize|detokenize|logits|synth|demo|"
	    "prompt|cpu ..." },
	{ NULL, NULL, NULL }
};

/*
 * The commands; with full (--help), the chat's options too, as the man
 * page says --help prints them.
 */
static void
usage(FILE *f, int full)
{
	const struct subcmd	*c;

	fprintf(f, "usage: medchat [options]            (full-screen chat)\n");
	for (c = subcmds; c->name != NULL; c++)
		fprintf(f, "       medchat %s\n", c->usage);
	fprintf(f, "       medchat --help | --version\n");
	if (!full)
		return;
	fprintf(f, "\nEach command answers --help (or -h) with its "
	    "options.\n\n");
	ui_options_help(f);
}

int
main(int argc, char **argv)
{
	const struct subcmd	*c;

	setlocale(LC_ALL, "");
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		usage(stdout, 1);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0)) {
		printf("medchat %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		for (c = subcmds; c->name != NULL; c++) {
			if (strcmp(argv[1], c->name) == 0)
				return c->fn(argc - 1, argv + 1);
		}
		fprintf(stderr, "medchat: unknown command '%s'\n", argv[1]);
		usage(stderr, 0);
		return 2;
	}
	return ui_main(argc, argv);
}
