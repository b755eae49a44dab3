/*
 * cmd-bench-model.c -- `medchat bench -m FILE`: prompt processing and
 * generation speed of a model, measured like llama.cpp's llama-bench so
 * the figures read side by side: pp N = N random tokens evaluated as one
 * prompt from an empty context; tg N = N tokens evaluated one at a time
 * from an empty context (each with its logits).  One warm-up run, then
 * each test is repeated and the median (and the standard deviation) of
 * tokens/s is reported.  cmd-bench.c dispatches here when -m is given.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine/engine.h"
#include "xmalloc.h"

static int	 bm_int(const char *, const char *, long, long, long *);
static int	 bm_cmp(const void *, const void *);
static void	 bm_stats(double *, int, double *, double *);

static void
bm_usage(void)
{
	fprintf(stderr, "usage: medchat bench -m FILE [-p 512] [-n 128] "
	    "[-t THREADS] [-r REPS] [--json]\n");
}

static int
bm_int(const char *what, const char *s, long lo, long hi, long *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "medchat bench: invalid %s: '%s'\n", what, s);
		return -1;
	}
	*out = v;
	return 0;
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

int
bench_model(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const struct engine_info *info;
	struct engine_opts	 eo;
	struct engine		*e;
	const char		*model = NULL;
	char			*cause = NULL;
	double			*pp, *tg, a, b, med[2], sd[2];
	long			 np = 512, ng = 128, nt = 0, reps = 5;
	int			 ch, json = 0, i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "m:p:n:t:r:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			model = optarg;
			break;
		case 'p':
			if (bm_int("-p", optarg, 0, 1 << 20, &np) != 0)
				return 2;
			break;
		case 'n':
			if (bm_int("-n", optarg, 0, 1 << 20, &ng) != 0)
				return 2;
			break;
		case 't':
			if (bm_int("-t", optarg, 0, 256, &nt) != 0)
				return 2;
			break;
		case 'r':
			if (bm_int("-r", optarg, 1, 1000, &reps) != 0)
				return 2;
			break;
		case 'j':
			json = 1;
			break;
		default:
			bm_usage();
			return 2;
		}
	}
	if (model == NULL || optind != argc || np + ng == 0) {
		bm_usage();
		return 2;
	}
	memset(&eo, 0, sizeof eo);
	eo.path = model;
	eo.n_ctx = (int)(np + ng);
	eo.n_threads = (int)nt;
	if (engine_open(&eo, &e, &cause) != 0) {
		fprintf(stderr, "medchat bench: %s\n", cause);
		free(cause);
		return 1;
	}
	info = engine_get_info(e);

	/* Warm-up: touch every weight once, as llama-bench does. */
	if (engine_bench(e, np > 0 ? 1 : 0, ng > 0 ? 1 : 0, &a, &b,
	    &cause) != 0) {
		fprintf(stderr, "medchat bench: %s\n", cause);
		free(cause);
		engine_close(e);
		return 1;
	}
	pp = xcalloc(reps, sizeof *pp);
	tg = xcalloc(reps, sizeof *tg);
	for (i = 0; i < reps; i++) {
		engine_bench(e, (int)np, 0, &pp[i], &b, &cause);
		engine_bench(e, 0, (int)ng, &a, &tg[i], &cause);
	}
	bm_stats(pp, (int)reps, &med[0], &sd[0]);
	bm_stats(tg, (int)reps, &med[1], &sd[1]);

	if (json) {
		printf("{\"model\": \"%s\", \"quant\": \"%s\", \"size\": %llu, "
		    "\"params\": %llu, \"cpu\": \"%s\", \"threads\": %d, "
		    "\"reps\": %ld, \"tests\": [", info->file_name, info->quant,
		    (unsigned long long)info->file_size,
		    (unsigned long long)info->n_params, info->cpu,
		    info->n_threads, reps);
		i = 0;
		if (np > 0)
			printf("{\"test\": \"pp%ld\", \"n_prompt\": %ld, "
			    "\"n_gen\": 0, \"tps\": %.3f, \"stddev\": %.3f}",
			    np, np, med[0], sd[0]), i++;
		if (ng > 0)
			printf("%s{\"test\": \"tg%ld\", \"n_prompt\": 0, "
			    "\"n_gen\": %ld, \"tps\": %.3f, \"stddev\": %.3f}",
			    i ? ", " : "", ng, ng, med[1], sd[1]);
		printf("]}\n");
	} else {
		printf("| model | quant | size | params | cpu | threads | "
		    "test | t/s |\n");
		printf("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: "
		    "|\n");
		for (i = 0; i < 2; i++) {
			if ((i == 0 && np == 0) || (i == 1 && ng == 0))
				continue;
			printf("| %s | %s | %.2f GiB | %.2f B | %s | %d | "
			    "%s%ld | %.2f ± %.2f |\n", info->model_name,
			    info->quant, info->file_size / 1073741824.0,
			    info->n_params / 1e9, info->cpu, info->n_threads,
			    i == 0 ? "pp" : "tg", i == 0 ? np : ng, med[i],
			    sd[i]);
		}
	}
	free(pp);
	free(tg);
	engine_close(e);
	return 0;
}
