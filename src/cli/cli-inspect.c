/*
 * cli-inspect.c -- `medchat inspect FILE [--json]`: describe a GGUF file
 * (header, metadata, tensor table, quantization mix, parameter count,
 * bits per weight, memory needed) without loading its weights.  The
 * engine does the work (engine_inspect); this file only parses the
 * command line and reports errors as "medchat: <one line>".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "engine.h"

static void
inspect_usage(FILE *f)
{
	fprintf(f, "usage: medchat inspect FILE [--json]\n");
}

/*
 * Exit status: 0 printed, 1 the file could not be read or is not a valid
 * GGUF file (or stdout failed), 2 usage error.
 */
int
cli_inspect(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char				*cause = NULL;
	int				 c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			inspect_usage(stdout);
			return 0;
		default:
			inspect_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		inspect_usage(stderr);
		return 2;
	}
	if (engine_inspect(argv[optind], json, stdout, &cause) != 0) {
		fprintf(stderr, "medchat: %s\n", cause);
		free(cause);
		return 1;
	}
	return 0;
}
