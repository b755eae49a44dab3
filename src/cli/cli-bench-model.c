/*
 * cli-bench-model.c -- model benchmarks, measured like llama.cpp's
 * llama-bench so the figures read side by side:
 *
 *   medchat bench -m FILE [-m FILE ...] [-p 512] [-n 128] [-t THREADS]
 *	    [-r REPS] [--membw] [--json]
 *   medchat bench --types LIST|all [--shape 7b|1b|tiny] [--dir DIR] [...]
 *
 * pp N = N random tokens evaluated as one prompt from an empty context;
 * tg N = N tokens evaluated one at a time from an empty context (each
 * with its logits).  One warm-up run per file, then each test repeated
 * and the median (and the sample standard deviation) of tokens/s shown.
 *
 * --types runs the whole quantization set of the published Meditron
 * files on benchmark-shaped random-weight models (engine/synth.c),
 * written once into DIR (default $XDG_CACHE_HOME/medchat/bench, 0700)
 * and reused.  It implies --membw: the machine's read bandwidth is
 * measured before and after the runs (the better figure kept) and
 * every decode result is also given as weight bytes streamed per
 * second and as a fraction of that bandwidth, the physical limit of
 * decoding.  cli-bench.c dispatches here.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "fsutil.h"
#include "jsonx.h"
#include "opt.h"
#include "xmalloc.h"

#define BM_MEMBW_BYTES	((size_t)1 << 30)	/* 1 GiB, as bench --membw */
#define BM_MAX_FILES	64

/* One model's results. */
struct bm_result {
	char		*path;
	char		*model;		/* general.name or file name */
	char		*file;		/* basename */
	char		*quant;
	char		*cpu;
	char		*kernels;	/* per weight type: "Q4_K avx2, ..." */
	uint64_t	 size;
	uint64_t	 params;
	uint64_t	 token_bytes;	/* weights read per decoded token */
	int		 threads;
	double		 med[2], sd[2];	/* pp, tg tokens/s */
};

struct bm_opts {
	long		 np, ng, nt, reps;
	int		 json, membw;
};

static int	 bm_cmp(const void *, const void *);
static void	 bm_stats(double *, int, double *, double *);
static int	 bm_run(const char *, const struct bm_opts *,
		    struct bm_result *);
static int	 bm_synth(const char *, const char *, const char *,
		    char **);
static void	 bm_print_text(const struct bm_result *, int,
		    const struct bm_opts *, double, int);
static void	 bm_print_json(const struct bm_result *, int,
		    const struct bm_opts *, double, int);

static void
bm_usage(FILE *f)
{
	fprintf(f, "usage: medchat bench -m FILE [-m FILE ...] [-p 512] "
	    "[-n 128] [-t THREADS] [-r REPS] [--membw] [--json]\n"
	    "       medchat bench --types LIST|all [--shape 7b|1b|tiny] "
	    "[--dir DIR] [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]\n");
}

static int
bm_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median and sample standard deviation of v[0..n) (sorted in place). */
static void
bm_stats(double *v, int n, double *med, double *sd)
{
	double	mean = 0.0, ss = 0.0;
	int	i;

	qsort(v, n, sizeof *v, bm_cmp);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	for (i = 0; i < n; i++)
		mean += v[i] / n;
	for (i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	*sd = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
}

/*
 * Open path, warm up, measure.  0 and *r filled (strings owned by *r), or
 * -1 after printing a one-line error.
 */
static int
bm_run(const char *path, const struct bm_opts *o, struct bm_result *r)
{
	const struct engine_info *info;
	struct engine_opts	 eo;
	struct engine		*e;
	char			*cause = NULL;
	double			*pp, *tg, a, b;
	int			 i, rc = 0;

	memset(&eo, 0, sizeof eo);
	eo.path = path;
	eo.n_ctx = (int)(o->np + o->ng);
	eo.n_threads = (int)o->nt;
	if (engine_open(&eo, &e, &cause) != 0) {
		fprintf(stderr, "medchat bench: %s\n", cause);
		free(cause);
		return -1;
	}
	info = engine_get_info(e);

	/* Warm-up: touch every weight once, as llama-bench does. */
	if (engine_bench(e, o->np > 0 ? 1 : 0, o->ng > 0 ? 1 : 0, &a, &b,
	    &cause) != 0) {
		fprintf(stderr, "medchat bench: %s\n", cause);
		free(cause);
		engine_close(e);
		return -1;
	}
	pp = xcalloc(o->reps, sizeof *pp);
	tg = xcalloc(o->reps, sizeof *tg);
	for (i = 0; i < o->reps && rc == 0; i++) {
		if (engine_bench(e, (int)o->np, 0, &pp[i], &b, &cause) != 0 ||
		    engine_bench(e, 0, (int)o->ng, &a, &tg[i], &cause) != 0) {
			fprintf(stderr, "medchat bench: %s\n", cause);
			free(cause);
			rc = -1;
		}
	}
	if (rc == 0) {
		bm_stats(pp, (int)o->reps, &r->med[0], &r->sd[0]);
		bm_stats(tg, (int)o->reps, &r->med[1], &r->sd[1]);
		r->path = xstrdup(path);
		r->model = xstrdup(info->model_name);
		r->file = xstrdup(info->file_name);
		r->quant = xstrdup(info->quant);
		r->cpu = xstrdup(info->cpu);
		r->kernels = xstrdup(info->kernels);
		r->size = info->file_size;
		r->params = info->n_params;
		r->token_bytes = info->token_bytes;
		r->threads = info->n_threads;
	}
	free(pp);
	free(tg);
	engine_close(e);
	return rc;
}

/*
 * Make sure path holds the synthetic model shape/type, writing it (to a
 * temporary name, then renamed, so an interrupted write is never taken
 * for a model) when missing.
 */
static int
bm_synth(const char *path, const char *shape, const char *type, char **cause)
{
	struct stat	 sb;
	char		*tmp;
	int		 rc;

	if (stat(path, &sb) == 0)
		return 0;
	fprintf(stderr, "medchat bench: writing %s (random weights, once; "
	    "reused by later runs)\n", path);
	xasprintf(&tmp, "%s.part", path);
	rc = engine_write_synth_model(tmp, shape, type, cause);
	if (rc == 0 && rename(tmp, path) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static void
bm_print_text(const struct bm_result *r, int n, const struct bm_opts *o,
    double membw, int bwt)
{
	const struct bm_result	*x;
	double			 gbs;
	int			 i, t;

	printf("| model | quant | size | params | cpu | kernels | threads | "
	    "test | t/s |%s\n", membw > 0 ? " weights GB/s | % of membw |" :
	    "");
	printf("| --- | --- | ---: | ---: | --- | --- | ---: | ---: | ---: |"
	    "%s\n", membw > 0 ? " ---: | ---: |" : "");
	for (i = 0; i < n; i++) {
		x = &r[i];
		for (t = 0; t < 2; t++) {
			if ((t == 0 && o->np == 0) || (t == 1 && o->ng == 0))
				continue;
			/* The name comes from the file: cli_put. */
			fputs("| ", stdout);
			cli_put(stdout, x->model, 0);
			printf(" | %s | %.2f GiB | %.2f B | %s | %s | %d | "
			    "%s%ld | %.2f ± %.2f |", x->quant,
			    x->size / 1073741824.0, x->params / 1e9, x->cpu,
			    x->kernels, x->threads, t == 0 ? "pp" : "tg",
			    t == 0 ? o->np : o->ng, x->med[t], x->sd[t]);
			if (membw > 0 && t == 1) {
				gbs = x->med[1] * x->token_bytes / 1e9;
				printf(" %.2f | %.0f%% |", gbs,
				    100 * gbs / membw);
			} else if (membw > 0)
				printf(" | |");
			printf("\n");
		}
	}
	if (membw > 0)
		printf("\nmemory read bandwidth (bench --membw, %d thread%s, "
		    "best of before and after): %.2f GB/s\n", bwt,
		    bwt == 1 ? "" : "s", membw);
}

static void
bm_print_json(const struct bm_result *r, int n, const struct bm_opts *o,
    double membw, int bwt)
{
	const struct bm_result	*x;
	json_t			*res, *m, *tests, *t1, *root;
	double			 gbs;
	char			*s;
	int			 i, t;

	res = jsonx_array();
	for (i = 0; i < n; i++) {
		x = &r[i];
		m = jsonx_object();
		jsonx_set(m, "model", jsonx_string(x->file));
		jsonx_set(m, "name", jsonx_string(x->model));
		jsonx_set(m, "quant", jsonx_string(x->quant));
		jsonx_set(m, "size", jsonx_uint64_new(x->size));
		jsonx_set(m, "params", jsonx_uint64_new(x->params));
		jsonx_set(m, "token_bytes", jsonx_uint64_new(x->token_bytes));
		jsonx_set(m, "cpu", jsonx_string(x->cpu));
		jsonx_set(m, "kernels", jsonx_string(x->kernels));
		jsonx_set(m, "threads", json_integer(x->threads));
		jsonx_set(m, "reps", json_integer(o->reps));
		tests = jsonx_array();
		for (t = 0; t < 2; t++) {
			if ((t == 0 && o->np == 0) || (t == 1 && o->ng == 0))
				continue;
			t1 = jsonx_object();
			s = NULL;
			xasprintf(&s, "%s%ld", t == 0 ? "pp" : "tg",
			    t == 0 ? o->np : o->ng);
			jsonx_set(t1, "test", jsonx_string(s));
			free(s);
			jsonx_set(t1, "n_prompt", json_integer(t == 0 ? o->np :
			    0));
			jsonx_set(t1, "n_gen", json_integer(t == 1 ? o->ng : 0));
			jsonx_set(t1, "tps", jsonx_number("%.3f", x->med[t]));
			jsonx_set(t1, "stddev", jsonx_number("%.3f", x->sd[t]));
			if (membw > 0 && t == 1) {
				gbs = x->med[1] * x->token_bytes / 1e9;
				jsonx_set(t1, "weights_gbs", jsonx_number(
				    "%.3f", gbs));
				jsonx_set(t1, "membw_fraction", jsonx_number(
				    "%.4f", gbs / membw));
			}
			jsonx_append(tests, t1);
		}
		jsonx_set(m, "tests", tests);
		jsonx_append(res, m);
	}
	/* One model alone is its object; several an array. */
	if (membw > 0) {
		root = jsonx_object();
		jsonx_set(root, "membw_gbs", jsonx_number("%.3f", membw));
		jsonx_set(root, "membw_threads", json_integer(bwt));
		jsonx_set(root, "results", res);
	} else if (n == 1) {
		root = json_incref(json_array_get(res, 0));
		json_decref(res);
	} else
		root = res;
	s = jsonx_dump(root, JSON_PRESERVE_ORDER);
	json_decref(root);
	printf("%s\n", s);
	free(s);
}

int
bench_model(int argc, char **argv)
{
	const char *const	*all;
	struct bm_opts		 o;
	struct opt_num		 nums[] = {
		{ 'p', "-p", 0, 1 << 20, &o.np },
		{ 'n', "-n", 0, 1 << 20, &o.ng },
		{ 't', "-t", 0, ENGINE_THREADS_MAX, &o.nt },
		{ 'r', "-r", 1, 1000, &o.reps },
		{ 0, NULL, 0, 0, NULL }
	};
	struct bm_result	*res;
	const char		*files[BM_MAX_FILES], *types = NULL;
	const char		*tnames[BM_MAX_FILES];
	const char		*shape = "7b";
	char			*dir = NULL, *list = NULL, *tok, *sp;
	char			*paths[BM_MAX_FILES], *cause = NULL;
	double			 bw0 = 0, bw1 = 0, membw = 0;
	int			 ch, i, j, nfiles = 0, npaths = 0, nres = 0;
	int			 ntypes = 0, bwt;
	int			 rc = 0;
	const struct cli_opt	 opts[] = {
		{ "model", required_argument, 'm', NULL, NULL },
		{ "types", required_argument, 'T', &types, NULL },
		{ "shape", required_argument, 'S', &shape, NULL },
		{ "dir", required_argument, 'D', NULL, NULL },
		{ "membw", no_argument, 'M', NULL, &o.membw },
		{ "json", no_argument, 'j', NULL, &o.json },
		{ NULL, 0, 0, NULL, NULL }
	};

	memset(&o, 0, sizeof o);
	o.np = 512;
	o.ng = 128;
	o.reps = 5;
	optind = 1;
	while ((ch = cli_getopt(argc, argv, "m:p:n:t:r:", opts, nums,
	    "medchat bench", bm_usage, &rc)) > 0) {
		switch (ch) {
		case 'm':
			if (nfiles == BM_MAX_FILES) {
				fprintf(stderr, "medchat bench: at most %d "
				    "models\n", BM_MAX_FILES);
				return 2;
			}
			files[nfiles++] = optarg;
			break;
		case 'D':
			free(dir);
			dir = xstrdup(optarg);
			break;
		}
	}
	if (ch == 0)
		goto out;
	if (optind != argc || o.np + o.ng == 0 ||
	    (nfiles == 0) == (types == NULL))
		goto usage;

	/* --types: one synthetic model per type, written once. */
	if (types != NULL) {
		o.membw = 1;
		if (strcmp(shape, "7b") != 0 && strcmp(shape, "1b") != 0 &&
		    strcmp(shape, "tiny") != 0) {
			fprintf(stderr, "medchat bench: --shape: want 7b, 1b "
			    "or tiny\n");
			goto usage_err;
		}
		if (dir == NULL && (dir = fs_xdg_path("XDG_CACHE_HOME", ".cache",
		    "medchat/bench")) == NULL) {
			fprintf(stderr, "medchat bench: no home directory "
			    "for the benchmark models (use --dir)\n");
			goto usage_err;
		}
		if (fs_mkdirs(dir, NULL) != 0) {
			fprintf(stderr, "medchat bench: %s: %s\n", dir,
			    strerror(errno));
			rc = 1;
			goto out;
		}
		all = engine_synth_types();
		list = xstrdup(strcmp(types, "all") == 0 ? "" : types);
		for (i = 0; strcmp(types, "all") == 0 && all[i] != NULL; i++)
			tnames[ntypes++] = all[i];
		for (tok = strtok_r(list, ",", &sp); tok != NULL;
		    tok = strtok_r(NULL, ",", &sp)) {
			for (j = 0; all[j] != NULL; j++) {
				if (strcasecmp(all[j], tok) == 0)
					break;
			}
			if (all[j] == NULL) {
				fprintf(stderr, "medchat bench: --types: "
				    "unknown type '%.16s' (want all or a "
				    "list of:", tok);
				for (j = 0; all[j] != NULL; j++)
					fprintf(stderr, " %s", all[j]);
				fprintf(stderr, ")\n");
				goto usage_err;
			}
			if (ntypes == BM_MAX_FILES)
				break;
			tnames[ntypes++] = all[j];
		}
		if (ntypes == 0) {
			fprintf(stderr, "medchat bench: --types: no type "
			    "given (want all or a list)\n");
			goto usage_err;
		}
		for (i = 0; i < ntypes; i++) {
			xasprintf(&paths[npaths], "%s/%s-%s.gguf", dir, shape,
			    tnames[i]);
			files[nfiles++] = paths[npaths++];
			if (bm_synth(paths[i], shape, tnames[i], &cause) != 0) {
				fprintf(stderr, "medchat bench: %s\n", cause);
				free(cause);
				rc = 1;
				goto out;
			}
		}
	}

	/* The bandwidth with as many threads as -t (default: all CPUs). */
	bwt = o.nt > 0 ? (int)o.nt : (int)sysconf(_SC_NPROCESSORS_ONLN);
	bwt = bwt < 1 ? 1 : bwt > ENGINE_THREADS_MAX ? ENGINE_THREADS_MAX : bwt;
	if (o.membw)
		bw0 = engine_bench_membw(bwt, BM_MEMBW_BYTES);
	res = xcalloc(nfiles, sizeof *res);
	for (i = 0; i < nfiles; i++) {
		if (bm_run(files[i], &o, &res[nres]) != 0) {
			rc = 1;
			continue;
		}
		nres++;
	}
	if (o.membw) {
		bw1 = engine_bench_membw(bwt, BM_MEMBW_BYTES);
		membw = bw0 > bw1 ? bw0 : bw1;
	}
	if (nres > 0) {
		if (o.json)
			bm_print_json(res, nres, &o, membw, bwt);
		else
			bm_print_text(res, nres, &o, membw, bwt);
	}
	for (i = 0; i < nres; i++) {
		free(res[i].path);
		free(res[i].model);
		free(res[i].file);
		free(res[i].quant);
		free(res[i].cpu);
		free(res[i].kernels);
	}
	free(res);
	goto out;

usage:
	bm_usage(stderr);
usage_err:
	rc = 2;
out:
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(list);
	free(dir);
	return rc;
}
