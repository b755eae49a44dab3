/*
 * cli-models.c -- `medchat models [--endpoint URL|NAME]... [-M DIR]...
 * [--json]`:
 * every model medchat can answer with, in one list -- the GGUF files of
 * the model directories (the data directory's models/, the settings
 * file's models-dir lines, -M) and the models each remote endpoint
 * serves (the settings file's [endpoint] sections, --endpoint, and
 * $MEDCHAT_ENDPOINT).  Listing a server's models sends no conversation,
 * so no consent is asked; its API key is sent as for any request.
 *
 * One line per model, "local" or "remote", the name the model menu
 * shows, what is known of it, and where it is; with --json one document
 * {"models": [...]} of the same, each model an object.  File names,
 * model ids and server answers are untrusted and go through cli_put()
 * (jansson escapes them in JSON).  With --json each local file also
 * carries what the database holds of it: its SHA-256 (when the catalog
 * has hashed it), its stored measurements (medchat eval) and its speeds
 * from real use.  An endpoint that cannot be listed is
 * one line on stderr and exit status 1; the others are still listed.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cli.h"
#include "conffile.h"
#include "engine.h"
#include "fsutil.h"
#include "jsonx.h"
#include "mscan.h"
#include "store.h"
#include "xmalloc.h"

#define MODELS_ARGS_MAX	32	/* --endpoint and -M options */

static void	 models_usage(FILE *);
static void	 models_local(const struct conffile *, const char *const *,
		    size_t, json_t *, struct store *);
static void	 models_measured(struct store *, const char *, json_t *);
static int	 models_remote(const struct backend_endpoint *, json_t *);
static int	 models_add(const struct conffile *, const char *,
		    const char *, struct backend_endpoint *, size_t *);

static void
models_usage(FILE *f)
{
	fputs("usage: medchat models [--endpoint URL|NAME]... "
	    "[-M DIR | --models-dir DIR]... [--json]\n", f);
}

/*
 * What the store knows of the file at path, into its JSON object o: its
 * SHA-256 when the catalog has it for the file's size and time (never
 * computed here: hashing every 7B file of a folder would take minutes),
 * the measurements stored for it (medchat eval) and its speeds in real
 * use (the answers' provenance).  s NULL: no database yet, nothing known.
 */
static void
models_measured(struct store *s, const char *path, json_t *o)
{
	struct store_measure	*v = NULL;
	struct stat		 sb;
	json_t			*arr, *sp;
	char			 sha[65], *abs, *cause = NULL;
	double			 dec, pre;
	size_t			 n = 0, i;
	int			 known = 0, na;

	if (s != NULL && (abs = realpath(path, NULL)) != NULL) {
		if (stat(abs, &sb) == 0)
			known = store_model_cached_sha256(s, abs,
			    (uint64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec *
			    1000000000 + sb.st_mtim.tv_nsec, sha, &cause) == 1;
		free(abs);
	}
	free(cause);
	cause = NULL;
	jsonx_set(o, "sha256", known ? jsonx_string(sha) : json_null());
	arr = jsonx_array();
	if (known && store_measure_list(s, sha, &v, &n, &cause) == 0) {
		for (i = 0; i < n; i++)
			jsonx_append(arr, cli_measure_json(&v[i]));
		store_measures_free(v, n);
	}
	free(cause);
	cause = NULL;
	jsonx_set(o, "measurements", arr);
	if (known && store_model_speed(s, sha, &dec, &pre, &na, &cause) == 0 &&
	    na > 0) {
		sp = jsonx_object();
		jsonx_set(sp, "decode_tps", jsonx_number("%.2f", dec));
		jsonx_set(sp, "prefill_tps", jsonx_number("%.2f", pre));
		jsonx_set(sp, "answers", json_integer(na));
		jsonx_set(o, "speed", sp);
	} else
		jsonx_set(o, "speed", json_null());
	free(cause);
}

/*
 * The GGUF files of the model directories, with what their headers say:
 * printed, or appended to arr (not NULL: --json) with what the store s
 * (may be NULL) knows of them.
 */
static void
models_local(const struct conffile *conf, const char *const *extra,
    size_t nextra, json_t *arr, struct store *s)
{
	struct mscan_event	*list, *ev, *found;
	json_t			*o;
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
		if (arr != NULL) {
			o = jsonx_object();
			jsonx_set(o, "kind", jsonx_string("local"));
			jsonx_set(o, "name", jsonx_string(base));
			jsonx_set(o, "path", jsonx_string(found->path));
			if (ev->ok) {
				jsonx_set(o, "quant", jsonx_string(
				    ev->sum.quant));
				jsonx_set(o, "size", jsonx_uint64_new(
				    ev->sum.file_size));
				jsonx_set(o, "n_ctx", json_integer(
				    ev->sum.n_ctx_train));
			} else
				jsonx_set(o, "error", jsonx_string(
				    ev->error != NULL ? ev->error : "?"));
			models_measured(s, found->path, o);
			jsonx_append(arr, o);
			continue;
		}
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

/*
 * The models ep's server serves, printed or appended to arr (--json): 0,
 * or -1 said on stderr.
 */
static int
models_remote(const struct backend_endpoint *ep, json_t *arr)
{
	struct backend_model	*v;
	json_t			*o;
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
		if (arr != NULL) {
			o = jsonx_object();
			jsonx_set(o, "kind", jsonx_string("remote"));
			jsonx_set(o, "name", jsonx_string(name));
			jsonx_set(o, "id", jsonx_string(v[i].id));
			jsonx_set(o, "endpoint", jsonx_string(ep->name));
			jsonx_set(o, "url", jsonx_string(ep->url));
			jsonx_set(o, "owned_by", jsonx_string(v[i].owned_by));
			jsonx_set(o, "n_ctx", v[i].n_ctx > 0 ?
			    json_integer(v[i].n_ctx) : json_null());
			jsonx_append(arr, o);
			free(name);
			continue;
		}
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
	if (n == 0 && arr == NULL) {
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
	json_t			*root = NULL, *arr = NULL;
	struct store		*s = NULL;
	char			*confp, *js, *dbp, *cause = NULL;
	size_t			 nargs = 0, ndirs = 0, neps = 0, i;
	int			 ch, rc = 0, json = 0;
	const struct cli_opt	 opts[] = {
		{ "endpoint", required_argument, 'E', NULL, NULL },
		{ "models-dir", required_argument, 'M', NULL, NULL },
		{ "json", no_argument, 'j', NULL, &json },
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

	if (json) {
		arr = jsonx_array();
		/*
		 * The measurements and speeds are in the database: read when
		 * there is one (listing models never creates it).
		 */
		if ((dbp = store_default_path(NULL, &cause)) != NULL &&
		    access(dbp, F_OK) == 0 && cli_store_open(dbp, &s) != 0) {
			s = NULL;
			rc = 1;
		}
		free(cause);
		free(dbp);
	}
	models_local(&conf, dirs, ndirs, arr, s);
	if (s != NULL)
		store_close(s);
	for (i = 0; i < neps; i++) {
		if (models_remote(&eps[i], arr) != 0)
			rc = 1;
	}
	if (json) {
		root = jsonx_object();
		jsonx_set(root, "models", arr);
		js = jsonx_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(root);
		printf("%s\n", js);
		free(js);
	}
	free(eps);
	conffile_free(&conf);
	free(confp);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
