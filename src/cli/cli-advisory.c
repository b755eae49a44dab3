/*
 * cli-advisory.c -- `medchat advisory [--show | --history] [--db PATH]`:
 * the model-risk advisory text (--show, the default) or the
 * acknowledgements recorded in the store (--history), a remote model's
 * named by its endpoint and id, and the servers the user agreed to send
 * conversations to.  Stored fields are
 * untrusted and go through cli_put(); errors are one line on stderr;
 * exit 1 (2 for usage).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisory.h"
#include "cli.h"
#include "store.h"

static void
advisory_usage(FILE *f)
{
	fputs("usage: medchat advisory [--show | --history] [--db PATH]\n", f);
}

int
cli_advisory(int argc, char **argv)
{
	struct store		*s;
	struct store_ack	*v;
	struct store_consent	*cv;
	const char		*db = NULL;
	char			*cause, t[40];
	size_t			 n, i, nc;
	int			 rc, show = 0, history = 0;
	const struct cli_opt	 opts[] = {
		{ "db", required_argument, 'd', &db, NULL },
		{ "show", no_argument, 's', NULL, &show },
		{ "history", no_argument, 'H', NULL, &history },
		{ "help", no_argument, 'h', NULL, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 0;
	opterr = 1;
	if (cli_getopt(argc, argv, "", opts, NULL, NULL, advisory_usage,
	    &rc) == 0)
		return rc;
	if (optind != argc || (show && history)) {
		advisory_usage(stderr);
		return 2;
	}
	if (!history) {
		printf("%s", advisory_text());
		printf("\n(advisory version %s, sha256 %s)\n",
		    advisory_version(), advisory_sha256());
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (cli_store_open(db, &s) != 0)
		return 1;
	if (store_ack_list(s, &v, &n, &cause) != 0) {
		store_close(s);
		return cli_fail(cause);
	}
	printf("current advisory: version %s, sha256 %s\n",
	    advisory_version(), advisory_sha256());
	if (n == 0)
		printf("no acknowledgements recorded\n");
	for (i = 0; i < n; i++) {
		printf("%s  ", store_time_iso(v[i].time, t, sizeof t));
		cli_put(stdout, v[i].os_user, 0);
		printf(" via ");
		cli_put(stdout, v[i].method, 0);
		printf(": advisory version ");
		cli_put(stdout, v[i].advisory_version, 0);
		printf(" (sha256 ");
		cli_put(stdout, v[i].advisory_sha256, 0);
		printf("%s) for ",
		    strcmp(v[i].advisory_version, advisory_version()) == 0 &&
		    strcmp(v[i].advisory_sha256, advisory_sha256()) == 0 ?
		    "" : ", superseded");
		cli_put(stdout, v[i].model_file, 0);
		if (v[i].endpoint_url != NULL) {
			printf(" (remote model ");
			cli_put(stdout, v[i].remote_model != NULL ?
			    v[i].remote_model : "?", 0);
			printf(" at ");
			cli_put(stdout, v[i].endpoint_url, 0);
			printf(")\n");
			continue;
		}
		printf(" (");
		cli_put(stdout, v[i].model_quant != NULL ? v[i].model_quant :
		    "?", 0);
		printf(", sha256 ");
		cli_put(stdout, v[i].model_sha256, 0);
		printf(")\n");
	}
	store_acks_free(v, n);
	if (store_consent_list(s, &cv, &nc, &cause) != 0) {
		store_close(s);
		return cli_fail(cause);
	}
	for (i = 0; i < nc; i++) {
		printf("%s  ", store_time_iso(cv[i].time, t, sizeof t));
		cli_put(stdout, cv[i].os_user, 0);
		printf(" via ");
		cli_put(stdout, cv[i].method, 0);
		printf(": agreed to send conversations to ");
		cli_put(stdout, cv[i].origin, 0);
		printf(" (");
		cli_put(stdout, cv[i].url, 0);
		printf(")\n");
	}
	store_consents_free(cv, nc);
	store_close(s);
	return 0;
}
