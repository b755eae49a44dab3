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
	char			*cause = NULL;
	int			 rc, json = 0;
	const struct cli_opt	 opts[] = {
		{ "json", no_argument, 'j', NULL, &json },
		{ "help", no_argument, 'h', NULL, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "jh", opts, NULL, NULL, inspect_usage,
	    &rc) == 0)
		return rc;
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
