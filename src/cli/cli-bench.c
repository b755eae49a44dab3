/*
 * cli-bench.c -- `medchat bench`: benchmarks, never tests.
 *
 *   medchat bench kernels [-t THREADS] [--types LIST] [--size MB]
 *	    [--rows N] [--json]
 *	matrix-vector throughput per weight type (GB/s of weights), one
 *	thread and THREADS threads, next to the measured read bandwidth,
 *	over 4096 x N matrices (N = 11008) cycled through until --size MB
 *	(512); `--rows 64 --size 1` keeps them in cache and measures the
 *	kernels' compute speed instead;
 *   medchat bench kernels --cols C [-t THREADS] [--types LIST] [--rows N]
 *	    [--json]
 *	prefill throughput per weight type (1e9 multiply-adds a second) of
 *	a 4096 x N matrix (N = 1024, in cache) times C columns, one thread
 *	and THREADS threads, through the packed tiles where the type has
 *	them and, alternately, through the gemm kernels;
 *   medchat bench --membw [-t THREADS] [--json]
 *	memory read bandwidth, one thread and THREADS threads;
 *   medchat bench -m FILE ... | --types LIST|all ...
 *	model prompt/decode benchmarks (src/cli/cli-bench-model.c).
 *
 * THREADS defaults to the number of online CPUs.  The kernel path is the
 * one the CPU probe picks, or $MEDCHAT_CPU (scalar, avx2, avxvnni, avx512; on
 * aarch64 neon, dotprod, i8mm).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "compat.h"
#include "engine.h"
#include "jsonx.h"
#include "opt.h"
#include "xmalloc.h"

#define BENCH_MEMBW_BYTES	((size_t)1 << 30)	/* 1 GiB */
#define BENCH_MIN_TOTAL_MB	512

static void
bench_usage(FILE *f)
{
	fprintf(f, "usage: medchat bench kernels [-t THREADS] [--types LIST] "
	    "[--size MB] [--rows N] [--json]\n"
	    "       medchat bench kernels --cols C [-t THREADS] "
	    "[--types LIST] [--rows N] [--json]\n"
	    "       medchat bench --membw [-t THREADS] [--json]\n"
	    "       medchat bench -m FILE [-m FILE ...] [-p 512] [-n 128] "
	    "[-t THREADS] [-r REPS] [--membw] [--json]\n"
	    "       medchat bench --types LIST|all [--shape 7b|1b|tiny] "
	    "[--dir DIR] [-p 512] [-n 128] [-t THREADS] [-r REPS] "
	    "[--json]\n");
}

static int
bench_default_threads(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > ENGINE_THREADS_MAX ? ENGINE_THREADS_MAX : (int)n;
}

/* Read bandwidth with 1 and n threads (the second 0 when n == 1). */
static void
bench_membw_pair(int n, double bw[2])
{
	bw[0] = engine_bench_membw(1, BENCH_MEMBW_BYTES);
	bw[1] = n > 1 ? engine_bench_membw(n, BENCH_MEMBW_BYTES) : bw[0];
}

/* [a, b]: two thread counts. */
static json_t *
bench_threads(int a, int b)
{
	json_t	*v = jsonx_array();

	jsonx_append(v, json_integer(a));
	jsonx_append(v, json_integer(b));
	return v;
}

/* [a, b]: two bandwidths in GB/s, with two decimals. */
static json_t *
bench_gbs(double a, double b)
{
	json_t	*v = jsonx_array();

	jsonx_append(v, jsonx_number("%.2f", a));
	jsonx_append(v, jsonx_number("%.2f", b));
	return v;
}

/* Print root as one line and free it. */
static void
bench_print(json_t *root)
{
	char	*s;

	s = jsonx_dump(root, JSON_PRESERVE_ORDER);
	json_decref(root);
	printf("%s\n", s);
	free(s);
}

static int
bench_membw(int n, int json)
{
	json_t	*o, *root;
	double	bw[2];

	bench_membw_pair(n, bw);
	if (bw[0] == 0.0 || bw[1] == 0.0) {
		fprintf(stderr, "medchat bench: cannot allocate the %zu MB "
		    "buffer\n", BENCH_MEMBW_BYTES >> 20);
		return 1;
	}
	if (json) {
		o = jsonx_object();
		jsonx_set(o, "buffer_mb", json_integer(BENCH_MEMBW_BYTES >> 20));
		jsonx_set(o, "threads", bench_threads(1, n));
		jsonx_set(o, "gbs", bench_gbs(bw[0], bw[1]));
		root = jsonx_object();
		jsonx_set(root, "membw", o);
		bench_print(root);
	} else {
		printf("memory read bandwidth (%zu MB buffer, best of 5):\n",
		    BENCH_MEMBW_BYTES >> 20);
		printf("  1 thread%s  %6.2f GB/s\n", n > 1 ? " " : "", bw[0]);
		if (n > 1)
			printf("  %d threads %6.2f GB/s\n", n, bw[1]);
	}
	return 0;
}

/*
 * The comma-separated weight types to measure: types, or every type the
 * engine knows.  NULL (with a message) if a name is unknown.
 */
static char *
bench_type_list(const char *types)
{
	const char *const	*all = engine_bench_types();
	char			*list, *p, *name;
	int			 i;

	if (types == NULL) {
		list = NULL;
		for (i = 0; all[i] != NULL; i++) {
			p = list;
			if (p == NULL)
				list = xstrdup(all[i]);
			else {
				xasprintf(&list, "%s,%s", p, all[i]);
				free(p);
			}
		}
	} else
		list = xstrdup(types);
	/* Check every name before the (slow) measurements start. */
	p = list;
	while ((name = strsep(&p, ",")) != NULL) {
		for (i = 0; all[i] != NULL; i++)
			if (strcasecmp(name, all[i]) == 0)
				break;
		if (*name != '\0' && all[i] == NULL) {
			fprintf(stderr, "medchat bench: %s: unknown weight "
			    "type\n", name);
			free(list);
			return NULL;
		}
		if (p != NULL)
			p[-1] = ',';
	}
	return list;
}

/*
 * The start shared by the kernel benchmarks: the kernel level and the
 * checked type list (*list, the caller frees), and with json the root
 * object with "kernels" and "matrix" (*root).  Return 0, or 1 with the
 * error printed.
 */
static int
bench_kstart(const char *types, int nrows, int json, const char **level,
    char **list, json_t **root)
{
	char	*cause = NULL, *m;

	*root = NULL;
	if ((*level = engine_kernel_level(&cause)) == NULL) {
		fprintf(stderr, "medchat bench: %s\n", cause);
		free(cause);
		return 1;
	}
	if ((*list = bench_type_list(types)) == NULL)
		return 1;
	if (json) {
		*root = jsonx_object();
		jsonx_set(*root, "kernels", jsonx_string(*level));
		xasprintf(&m, "4096x%d", nrows);
		jsonx_set(*root, "matrix", jsonx_string(m));
		free(m);
	}
	return 0;
}

/*
 * The next name of a list from bench_kstart (*p walks it), or NULL at
 * its end.
 */
static const char *
bench_knext(char **p)
{
	char	*name;

	while ((name = strsep(p, ",")) != NULL)
		if (*name != '\0')
			return name;
	return NULL;
}

static int
bench_kernels(int n, const char *types, size_t total_mb, int nrows, int json)
{
	struct engine_kbench	 r;
	const char		*level, *name;
	char			*list, *p, *cause = NULL;
	double			 bw[2];
	int			 threads[2] = { 1, n }, nruns = n > 1 ? 2 : 1;
	json_t			*root = NULL, *jtypes = NULL, *o, *runs[4];
	int			 rc = 0, i, k;

	if (bench_kstart(types, nrows, json, &level, &list, &root) != 0)
		return 1;
	bench_membw_pair(n, bw);
	if (json) {
		jsonx_set(root, "min_total_mb", jsonx_uint64_new(total_mb));
		jsonx_set(root, "membw_gbs", bench_gbs(bw[0], bw[1]));
		jsonx_set(root, "threads", bench_threads(1, n));
		jtypes = jsonx_array();
	} else {
		printf("kernels: %s; matrix-vector over 4096x%d matrices, "
		    ">= %zu MB per type, best of 7 passes\n", level, nrows,
		    total_mb);
		printf("read bandwidth (1 GB buffer): 1 thread %.2f GB/s",
		    bw[0]);
		if (n > 1)
			printf(", %d threads %.2f GB/s", n, bw[1]);
		printf("\n'read' = a plain read of the same matrices by the same "
		    "threads, alternating with the\nproducts; %%read = "
		    "product GB/s / read GB/s\n\n");
		printf("%-5s %9s %4s  %8s %8s %5s", "type", "MB/matrix", "mats",
		    "1t GB/s", "read", "%read");
		if (n > 1)
			printf("  %5dt GB/s %8s %5s", n, "read", "%read");
		printf("\n");
	}
	p = list;
	while ((name = bench_knext(&p)) != NULL) {
		if (engine_bench_matvec(name, threads, nruns,
		    total_mb << 20, nrows, &r, &cause) != 0) {
			fprintf(stderr, "medchat bench: %s\n", cause);
			free(cause);
			cause = NULL;
			rc = 1;
			continue;
		}
		if (json) {
			o = jsonx_object();
			jsonx_set(o, "type", jsonx_string(r.type));
			jsonx_set(o, "matrix_mb", jsonx_number("%.1f",
			    r.matrix_bytes / 1048576.0));
			jsonx_set(o, "matrices", json_integer(r.n_matrices));
			for (k = 0; k < 4; k++)
				runs[k] = jsonx_array();
			for (i = 0; i < r.n_runs; i++) {
				jsonx_append(runs[0], json_integer(
				    r.threads[i]));
				jsonx_append(runs[1], jsonx_number("%.2f",
				    r.gbs[i]));
				jsonx_append(runs[2], jsonx_number("%.2f",
				    r.membw[i]));
				jsonx_append(runs[3], jsonx_number("%.1f",
				    100 * r.gbs[i] / r.membw[i]));
			}
			jsonx_set(o, "threads", runs[0]);
			jsonx_set(o, "gbs", runs[1]);
			jsonx_set(o, "read_gbs", runs[2]);
			jsonx_set(o, "pct_read", runs[3]);
			jsonx_append(jtypes, o);
		} else {
			printf("%-5s %9.1f %4d ", r.type,
			    r.matrix_bytes / 1048576.0, r.n_matrices);
			for (i = 0; i < r.n_runs; i++)
				printf("%s %8.2f %8.2f %4.0f%%", i ? "   " : "",
				    r.gbs[i], r.membw[i],
				    100 * r.gbs[i] / r.membw[i]);
			printf("\n");
		}
		fflush(stdout);
	}
	if (json) {
		jsonx_set(root, "types", jtypes);
		bench_print(root);
	}
	free(list);
	return rc;
}

/* `medchat bench kernels --cols C`: prefill products per weight type. */
static int
bench_prefill(int n, const char *types, int ncols, int nrows, int json)
{
	struct engine_kprefill	 r;
	const char		*level, *name;
	char			*list, *p, *cause = NULL;
	int			 threads[2] = { 1, n }, nruns = n > 1 ? 2 : 1;
	json_t			*root = NULL, *jtypes = NULL, *o, *runs[3];
	int			 rc = 0, i, k;

	if (bench_kstart(types, nrows, json, &level, &list, &root) != 0)
		return 1;
	if (json) {
		jsonx_set(root, "columns", json_integer(ncols));
		jtypes = jsonx_array();
	} else {
		printf("kernels: %s; prefill: a 4096x%d matrix (in cache) times "
		    "%d columns, best of 7 passes\n'tiles' = the type's packed "
		    "prefill tiles, 'gemm' = the same products without them,\n"
		    "alternating; figures in 1e9 multiply-adds a second\n\n",
		    level, nrows, ncols);
		printf("%-5s %5s  %8s %8s %6s", "type", "path", "1t", "1t gemm",
		    "ratio");
		if (n > 1)
			printf("  %7dt %8s %6s", n, "gemm", "ratio");
		printf("\n");
	}
	p = list;
	while ((name = bench_knext(&p)) != NULL) {
		if (engine_bench_prefill(name, threads, nruns, ncols, nrows, &r,
		    &cause) != 0) {
			fprintf(stderr, "medchat bench: %s\n", cause);
			free(cause);
			cause = NULL;
			rc = 1;
			continue;
		}
		if (json) {
			o = jsonx_object();
			jsonx_set(o, "type", jsonx_string(r.type));
			jsonx_set(o, "path", jsonx_string(r.tiles ? "tiles" :
			    "gemm"));
			for (k = 0; k < 3; k++)
				runs[k] = jsonx_array();
			for (i = 0; i < r.n_runs; i++) {
				jsonx_append(runs[0], json_integer(
				    r.threads[i]));
				jsonx_append(runs[1], jsonx_number("%.1f",
				    r.gmacs[i]));
				jsonx_append(runs[2], jsonx_number("%.1f",
				    r.gmacs_gemm[i]));
			}
			jsonx_set(o, "threads", runs[0]);
			jsonx_set(o, "gmacs", runs[1]);
			jsonx_set(o, "gmacs_gemm", runs[2]);
			jsonx_append(jtypes, o);
		} else {
			printf("%-5s %5s ", r.type, r.tiles ? "tiles" : "gemm");
			for (i = 0; i < r.n_runs; i++)
				printf("%s %8.1f %8.1f %5.2fx", i ? " " : "",
				    r.gmacs[i], r.gmacs_gemm[i],
				    r.gmacs[i] / r.gmacs_gemm[i]);
			printf("\n");
		}
		fflush(stdout);
	}
	if (json) {
		jsonx_set(root, "types", jtypes);
		bench_print(root);
	}
	free(list);
	return rc;
}

int
cli_bench(int argc, char **argv)
{
	long		 threads, nrows = 0, total_mb = BENCH_MIN_TOTAL_MB;
	long		 ncols = 0;
	struct opt_num	 nums[] = {
		{ 'S', "--size", 1, 65536, &total_mb },
		{ 'R', "--rows", 1, 1000000, &nrows },
		{ 'C', "--cols", 2, 4096, &ncols },
		{ 't', "-t", 1, ENGINE_THREADS_MAX, &threads },
		{ 0, NULL, 0, 0, NULL }
	};
	const char	*types = NULL;
	long		 v;
	int		 ch, membw = 0, json = 0, rc;
	const struct cli_opt opts[] = {
		{ "membw", no_argument, 'M', NULL, &membw },
		{ "json", no_argument, 'j', NULL, &json },
		{ "types", required_argument, 'T', &types, NULL },
		{ "size", required_argument, 'S', NULL, NULL },
		{ "rows", required_argument, 'R', NULL, NULL },
		{ "cols", required_argument, 'C', NULL, NULL },
		{ "threads", required_argument, 't', NULL, NULL },
		{ "help", no_argument, 'h', NULL, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	/*
	 * Model benchmarks, `medchat bench -m FILE ...` and `medchat bench
	 * --types LIST` (cli-bench-model.c); `--types` after `kernels`
	 * selects the kernel benchmark's types instead.
	 */
	for (ch = 1, v = 0; ch < argc; ch++) {
		if (strcmp(argv[ch], "kernels") == 0)
			v = 1;
	}
	for (ch = 1; ch < argc; ch++) {
		if (strncmp(argv[ch], "-m", 2) == 0 ||
		    strncmp(argv[ch], "--model", 7) == 0 ||
		    (v == 0 && strncmp(argv[ch], "--types", 7) == 0))
			return bench_model(argc, argv);
	}
	threads = bench_default_threads();
	optind = 1;
	if (cli_getopt(argc, argv, "t:h", opts, nums, "medchat bench",
	    bench_usage, &rc) == 0)
		return rc;
	argc -= optind;
	argv += optind;
	if (membw && argc == 0)
		return bench_membw((int)threads, json);
	if (!membw && argc == 1 && strcmp(argv[0], "kernels") == 0 &&
	    ncols > 0)
		return bench_prefill((int)threads, types, (int)ncols,
		    nrows > 0 ? (int)nrows : 1024, json);
	if (!membw && argc == 1 && strcmp(argv[0], "kernels") == 0)
		return bench_kernels((int)threads, types, (size_t)total_mb,
		    nrows > 0 ? (int)nrows : 11008, json);
	bench_usage(stderr);
	return 2;
}
