/*
 * cli-models.c -- `medchat models [--endpoint URL|NAME]... [-M DIR]...`:
 * every model medchat can answer with, in one list -- the GGUF files of
 * the model directories (the data directory's models/, the settings
 * file's models-dir lines, -M) and the models each remote endpoint
 * serves (the settings file's [endpoint] sections, --endpoint, and
 * $MEDCHAT_ENDPOINT).  Listing a server's models sends no conversation,
 * so no consent is asked; its API key is sent as for any request.
 *
 * One line per model, "local" or "remote", the name the model menu
 * shows, what is known of it, and where it is.  File names, model ids
 * and server answers are untrusted and go through cli_put().  An
 * endpoint that cannot be listed is one line on stderr and exit status
 * 1; the others are still listed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cli.h"
#include "conffile.h"
#include "engine.h"
#include "fsutil.h"
#include "mscan.h"
#include "xmalloc.h"

#define MODELS_ARGS_MAX	32	/* --endpoint and -M options */

static void	 models_usage(FILE *);
static void	 models_local(const struct conffile *, const char *const *,
		    size_t);
static int	 models_remote(const struct backend_endpoint *);
static int	 models_add(const struct conffile *, const char *,
		    const char *, struct backend_endpoint *, size_t *);

static void
models_usage(FILE *f)
{
	fputs("usage: medchat models [--endpoint URL|NAME]... "
	    "[-M DIR | --models-dir DIR]...\n", f);
}

/* The GGUF files of the model directories, with what their headers say. */
static void
models_local(const struct conffile *conf, const char *const *extra,
    size_t nextra)
{
	struct mscan_event	*list, *ev, *found;
	const char		**dirs;
	const char		*base;
	char			*data;
	size_t			 nd = 0, i;

	dirs = xcalloc(conf->n_models_dirs + nextra + 1, sizeof *dirs);
	data = fs_xdg_path("XDG_DATA_HOME", ".local/share", "medchat/models");
	if (data != NULL)
		dirs[nd++] = data;
	for (i = 0; i < conf->n_models_dirs; i++)
		dirs[nd++] = conf->models_dirs[i];
	for (i = 0; i < nextra; i++)
		dirs[nd++] = extra[i];
	list = mscan_run(dirs, nd, NULL, 0, engine_probe);
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type != MSCAN_PROBED)
			continue;
		for (found = list; found != NULL; found = found->next) {
			if (found->type == MSCAN_FOUND && found->idx == ev->idx)
				break;
		}
		if (found == NULL)
			continue;
		base = strrchr(found->path, '/') != NULL ?
		    strrchr(found->path, '/') + 1 : found->path;
		printf("local   ");
		cli_put(stdout, base, 0);
		if (ev->ok) {
			printf("  (");
			cli_put(stdout, ev->sum.quant, 0);
			printf(", %.1f GB, context %u)  ",
			    (double)ev->sum.file_size / 1e9,
			    (unsigned)ev->sum.n_ctx_train);
		} else {
			printf("  (unreadable: ");
			cli_put(stdout, ev->error != NULL ? ev->error : "?", 0);
			printf(")  ");
		}
		cli_put(stdout, found->path, 0);
		printf("\n");
	}
	mscan_event_free(list);
	free(data);
	free(dirs);
}

/* The models ep's server serves: 0, or -1 said on stderr. */
static int
models_remote(const struct backend_endpoint *ep)
{
	struct backend_model	*v;
	char			*cause = NULL, *origin, *name;
	const char		*host;
	size_t			 n, i;

	if (backend_list_models(ep, &v, &n, &cause) != 0) {
		fprintf(stderr, "medchat models: ");
		if (ep->name != NULL) {
			cli_put(stderr, ep->name, 0);
			fprintf(stderr, ": ");
		}
		cli_put(stderr, cause, 0);
		fprintf(stderr, "\n");
		free(cause);
		return -1;
	}
	/* The origin less its scheme names a server that has no name. */
	if (backend_origin(ep->url, &origin, &cause) != 0) {
		free(cause);
		origin = xstrdup(ep->url);
	}
	host = strstr(origin, "://") != NULL ? strstr(origin, "://") + 3 :
	    origin;
	for (i = 0; i < n; i++) {
		name = backend_display_name(ep->name, host, v[i].id);
		printf("remote  ");
		cli_put(stdout, name, 0);
		if (v[i].n_ctx > 0)
			printf("  (context %d)  ", v[i].n_ctx);
		else
			printf("  ");
		cli_put(stdout, ep->url, 0);
		printf("\n");
		free(name);
	}
	if (n == 0) {
		printf("remote  (no model served)  ");
		cli_put(stdout, ep->url, 0);
		printf("\n");
	}
	free(origin);
	backend_models_free(v, n);
	return 0;
}

/*
 * The endpoint arg names (NULL: $MEDCHAT_ENDPOINT, if set) added to
 * eps[0..*n) unless its URL is there already: 0, or -1 said on stderr.
 */
static int
models_add(const struct conffile *conf, const char *confp, const char *arg,
    struct backend_endpoint *eps, size_t *n)
{
	struct backend_endpoint	 ep;
	char			*cause = NULL;
	size_t			 i;

	if (backend_endpoint_resolve(conf, confp, arg, NULL, NULL, NULL, &ep,
	    &cause) != 0) {
		fprintf(stderr, "medchat models: ");
		cli_put(stderr, cause, 0);
		fprintf(stderr, "\n");
		free(cause);
		return -1;
	}
	if (ep.url == NULL)
		return 0;
	for (i = 0; i < *n; i++) {
		if (strcmp(eps[i].url, ep.url) == 0)
			return 0;
	}
	eps[(*n)++] = ep;
	return 0;
}

int
cli_models(int argc, char **argv)
{
	struct conffile		 conf;
	struct backend_endpoint	*eps = NULL;
	const char		*args[MODELS_ARGS_MAX], *dirs[MODELS_ARGS_MAX];
	char			*confp;
	size_t			 nargs = 0, ndirs = 0, neps = 0, i;
	int			 ch, rc = 0;
	const struct cli_opt	 opts[] = {
		{ "endpoint", required_argument, 'E', NULL, NULL },
		{ "models-dir", required_argument, 'M', NULL, NULL },
		{ "help", no_argument, 'h', NULL, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 0;
	opterr = 1;
	while ((ch = cli_getopt(argc, argv, "E:M:", opts, NULL, NULL,
	    models_usage, &rc)) != -1) {
		if (ch == 0)
			return rc;
		if ((ch == 'E' && nargs == MODELS_ARGS_MAX) ||
		    (ch == 'M' && ndirs == MODELS_ARGS_MAX)) {
			fprintf(stderr, "medchat models: at most %d of each "
			    "option\n", MODELS_ARGS_MAX);
			return 2;
		}
		if (ch == 'E')
			args[nargs++] = optarg;
		else if (ch == 'M')
			dirs[ndirs++] = optarg;
	}
	if (optind != argc) {
		models_usage(stderr);
		return 2;
	}

	conffile_init(&conf);
	if ((confp = conffile_default_path()) != NULL)
		conffile_load(&conf, confp);
	if (conf.refused != NULL) {
		fprintf(stderr, "medchat models: ");
		cli_put(stderr, conf.refused, 0);
		fprintf(stderr, "\n");
		rc = 1;
	}
	/* --endpoint (else MEDCHAT_ENDPOINT) first, then the sections. */
	eps = xcalloc(nargs + 1 + conf.n_endpoints, sizeof *eps);
	if (nargs == 0 && models_add(&conf, confp, NULL, eps, &neps) != 0)
		rc = 1;
	for (i = 0; i < nargs; i++) {
		if (models_add(&conf, confp, args[i], eps, &neps) != 0)
			rc = 1;
	}
	for (i = 0; i < conf.n_endpoints; i++) {
		if (models_add(&conf, confp, conf.endpoints[i].name, eps,
		    &neps) != 0)
			rc = 1;
	}

	models_local(&conf, dirs, ndirs);
	for (i = 0; i < neps; i++) {
		if (models_remote(&eps[i]) != 0)
			rc = 1;
	}
	free(eps);
	conffile_free(&conf);
	free(confp);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
