/*
 * kbench.c -- kernel benchmarks for `medchat bench kernels` and
 * `medchat bench --membw` (not tests: nothing here asserts a time).
 *
 * Memory read bandwidth: every thread of a pool sums its contiguous
 * slice of a buffer far larger than the caches; the best of several
 * passes counts.  Matrix-vector throughput: the threaded matmul (as a
 * decode step runs it: activation quantization, barriers and all) over
 * a cycle of Llama-7B ffn-shaped matrices (4096 x 11008) that together
 * exceed min_total bytes, so every pass streams its weights from memory;
 * reported as GB/s of weight bytes, best of several passes, next to the
 * read bandwidth of a plain read of the same bytes by the same threads
 * measured in alternation with it (so a busy machine slows both alike).
 * With fewer rows (nrows) and a small min_total the matrices stay in the
 * caches and the figure is the kernels' compute throughput instead.  The weights
 * are random rows quantized with the type's reference quantizer, then
 * replicated to fill the matrices.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "xmalloc.h"
#include "engine.h"
#include "quant.h"
#include "kernels.h"
#include "matmul.h"

#define KB_PASSES	7
#define KB_NCOLS	4096
#define KB_NROWS	11008
#define KB_DISTINCT	256	/* distinct random rows per type */
#define KB_MIN_TIMED	((size_t)64 << 20)	/* bytes per timed pass */

static double
kb_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct kb_read {
	const uint64_t	*buf;
	size_t		 n;		/* uint64 words */
	uint64_t	 sink[64];	/* per thread, keeps the loads alive */
};

/*
 * 16-byte loads into four vector sums (GCC vector extension; SSE2 on any
 * x86-64): with one 8-byte load per uop the core's out-of-order window
 * holds too few cache lines in flight, and the figure came out 10-20%
 * under what a decode kernel with prefetching streams from the model file.
 */
typedef uint64_t kb_v2 __attribute__((vector_size(16)));

static void
kb_read_fn(int ith, int nth, void *arg)
{
	struct kb_read	*r = arg;
	const kb_v2	*p;
	kb_v2		 a0 = { 0, 0 }, a1 = a0, a2 = a0, a3 = a0;
	size_t		 i, nv, lo, hi;
	uint64_t	 s = 0;

	/* r->buf is malloc'ed (16-byte aligned); slices of whole vectors */
	nv = r->n / 2;
	lo = nv * ith / nth;
	hi = nv * (ith + 1) / nth;
	p = (const kb_v2 *)r->buf;
	for (i = lo; i + 4 <= hi; i += 4) {
		a0 += p[i];
		a1 += p[i + 1];
		a2 += p[i + 2];
		a3 += p[i + 3];
	}
	for (; i < hi; i++)
		a0 += p[i];
	a0 += a1 + a2 + a3;
	if (ith == nth - 1 && r->n % 2 != 0)
		s = r->buf[r->n - 1];
	r->sink[ith % 64] = a0[0] + a0[1] + s;
}

double
engine_bench_membw(int n_threads, size_t bytes)
{
	struct tpool	*tp;
	struct kb_read	 r;
	uint64_t	*buf;
	double		 t, best = 0.0;
	int		 pass;

	if (n_threads < 1)
		n_threads = 1;
	if ((buf = malloc(bytes)) == NULL)
		return 0.0;
	memset(buf, 0x5A, bytes);		/* fault every page in */
	if ((tp = tpool_create(n_threads)) == NULL) {
		free(buf);
		return 0.0;
	}
	memset(&r, 0, sizeof r);
	r.buf = buf;
	r.n = bytes / sizeof *buf;
	tpool_run(tp, kb_read_fn, &r);		/* warm up */
	for (pass = 0; pass < KB_PASSES; pass++) {
		t = kb_now();
		tpool_run(tp, kb_read_fn, &r);
		t = kb_now() - t;
		if (best == 0.0 || t < best)
			best = t;
	}
	tpool_free(tp);
	free(buf);
	return (double)(r.n * sizeof *buf) / best / 1e9;
}

/*
 * The start of every kernel benchmark: the weight type by name,
 * case-insensitive ("q4_k", "Q8_0", "bf16"), into *type, and the
 * kernels of this CPU installed.  Return 0, or -1 with *cause set
 * (caller frees).
 */
static int
kb_start(const char *name, uint32_t *type, char **cause)
{
	const struct qtraits	*t;
	uint32_t		 i;

	for (i = 0; i < QT_COUNT; i++) {
		if ((t = qtype_traits(i)) == NULL || !t->is_weight)
			continue;
		if (strcasecmp(t->name, name) == 0) {
			*type = i;
			return cpu_init(cause);
		}
	}
	xasprintf(cause, "%s: unknown weight type", name);
	return -1;
}

const char *const *
engine_bench_types(void)
{
	static const char *const types[] = { "F32", "F16", "BF16", "Q8_0",
	    "Q6_K", "Q5_K", "Q5_1", "Q5_0", "Q4_K", "Q4_1", "Q4_0", "Q3_K",
	    "Q2_K", NULL };

	return types;
}

const char *
engine_kernel_level(char **cause)
{
	if (cpu_init(cause) != 0)
		return NULL;
	return cpu_level_name(cpu_level());
}

/*
 * Fill the nrows rows (KB_NCOLS elements) at w with KB_DISTINCT random
 * rows, roughly normal, quantized once with the type's reference
 * quantizer, then repeated; returns the last float row (KB_NCOLS values,
 * the caller frees it).
 */
static float *
kb_rows(uint32_t type, uint8_t *w, size_t nrows)
{
	const struct qtraits	*t = qtype_traits(type);
	uint64_t	 rng = 0x853C49E6748FEA9BULL;
	size_t		 rb = qtype_row_size(type, KB_NCOLS);
	size_t		 distinct = nrows < KB_DISTINCT ? nrows : KB_DISTINCT;
	size_t		 k;
	float		*xf;
	int		 i, e, s;

	xf = xmalloc(sizeof *xf * KB_NCOLS);
	for (i = 0; i < (int)distinct; i++) {
		for (e = 0; e < KB_NCOLS; e++) {
			float	v = 0.0f;

			for (s = 0; s < 4; s++) {
				rng = rng * 6364136223846793005ULL +
				    1442695040888963407ULL;
				v += (float)((rng >> 40) / 16777216.0 - 0.5);
			}
			xf[e] = v * 0.05f;
		}
		t->from_float(xf, w + rb * (size_t)i, KB_NCOLS);
	}
	for (k = distinct; k < nrows; k++)
		memcpy(w + rb * k, w + rb * (k % distinct), rb);
	return xf;
}

int
engine_cpu_level_info(int i, struct engine_cpu_level *out)
{
	if (i < CPU_SCALAR || i > CPU_LEVEL_LAST)
		return -1;
	out->name = cpu_level_name((enum cpu_level)i);
	cpu_describe((enum cpu_level)i, &out->cpu, &out->built);
	return 0;
}

int
engine_bench_matvec(const char *name, const int *threads, int nruns,
    size_t min_total, int nrows, struct engine_kbench *out, char **cause)
{
	const struct qtraits	*t;
	struct tpool		*tp;
	struct qmat		*mats;
	uint32_t		 type;
	uint8_t			*w;
	float			*xf, *x, *y;
	void			*scratch;
	size_t			 rb, mbytes;
	struct kb_read		 rd;
	double			 tm, best, best_rd;
	int			 nmat, m, run, pass, i, rep, reps;

	if (nruns > ENGINE_KBENCH_MAX)
		nruns = ENGINE_KBENCH_MAX;
	if (kb_start(name, &type, cause) != 0)
		return -1;
	t = qtype_traits(type);
	if (nrows <= 0)
		nrows = KB_NROWS;
	rb = qtype_row_size(type, KB_NCOLS);
	mbytes = rb * (size_t)nrows;
	nmat = (int)((min_total + mbytes - 1) / mbytes);
	if (nmat < 2)
		nmat = 2;
	/* Small (cache-resident) sets: repeat the cycle to time >= 64 MB. */
	reps = (int)((KB_MIN_TIMED + mbytes * nmat - 1) / (mbytes * nmat));
	if ((w = malloc(mbytes * (size_t)nmat)) == NULL) {
		xasprintf(cause, "%s: cannot allocate %zu MB of matrices",
		    t->name, mbytes * (size_t)nmat >> 20);
		return -1;
	}

	xf = kb_rows(type, w, (size_t)nrows * nmat);
	mats = xcalloc((size_t)nmat, sizeof *mats);
	for (m = 0; m < nmat; m++) {
		mats[m].data = w + mbytes * (size_t)m;
		mats[m].type = type;
		mats[m].ncols = KB_NCOLS;
		mats[m].nrows = nrows;
		mats[m].row_bytes = rb;
	}
	x = xmalloc(sizeof *x * KB_NCOLS);
	for (i = 0; i < KB_NCOLS; i++)
		x[i] = xf[i] * 20.0f + 0.01f * (float)(i % 7);
	y = xmalloc(sizeof *y * (size_t)nrows);
	scratch = xmalloc(matmul_scratch_size(&mats[0], 1) + 1);

	memset(out, 0, sizeof *out);
	out->type = t->name;
	out->matrix_bytes = mbytes;
	out->n_matrices = nmat;
	for (run = 0; run < nruns; run++) {
		if ((tp = tpool_create(threads[run])) == NULL) {
			xasprintf(cause, "cannot start %d threads",
			    threads[run]);
			break;
		}
		/*
		 * Alternate a plain read of the same bytes with a pass of
		 * matrix products, so both see the same machine state.
		 */
		memset(&rd, 0, sizeof rd);
		rd.buf = (const uint64_t *)w;
		rd.n = mbytes * (size_t)nmat / sizeof(uint64_t);
		best = best_rd = 0.0;
		for (pass = -1; pass < KB_PASSES; pass++) {	/* -1: warm */
			tm = kb_now();
			for (rep = 0; rep < reps; rep++)
				tpool_run(tp, kb_read_fn, &rd);
			tm = kb_now() - tm;
			if (pass >= 0 && (best_rd == 0.0 || tm < best_rd))
				best_rd = tm;
			tm = kb_now();
			for (rep = 0; rep < reps; rep++)
				for (m = 0; m < nmat; m++)
					matmul(tp, &mats[m], x, KB_NCOLS, 1,
					    y, nrows, scratch);
			tm = kb_now() - tm;
			if (pass >= 0 && (best == 0.0 || tm < best))
				best = tm;
		}
		tpool_free(tp);
		out->threads[run] = threads[run];
		out->gbs[run] = (double)mbytes * nmat * reps / best / 1e9;
		out->membw[run] = (double)(rd.n * sizeof(uint64_t)) * reps /
		    best_rd / 1e9;
		out->n_runs = run + 1;
	}
	free(scratch);
	free(y);
	free(x);
	free(xf);
	free(mats);
	free(w);
	return out->n_runs == nruns ? 0 : -1;
}

/*
 * Prefill: the threaded product of one 4096 x nrows matrix (small enough
 * to stay in the caches: the kernels' compute speed) with ncols columns,
 * through the type's prefill path at this level, and -- when that path is
 * packed tiles -- alternately with the tiles taken out (the gemm kernels),
 * so a busy machine slows both alike.  Best of KB_PASSES passes of enough
 * products to multiply >= KB_MIN_MACS each.
 */
#define KB_MIN_MACS	2e9

int
engine_bench_prefill(const char *name, const int *threads, int nruns,
    int ncols, int nrows, struct engine_kprefill *out, char **cause)
{
	const struct qtraits	*t;
	struct tpool		*tp;
	struct qmat		 mat;
	qpack_size_fn		 psize;
	qpack_fn		 pack;
	qtile_fn		 tile;
	uint32_t		 type;
	uint8_t			*w = NULL;
	float			*xf, *x = NULL, *y = NULL;
	void			*scratch = NULL;
	double			 tm, best[2], macs;
	int			 run, pass, path, i, c, rep, reps;

	if (nruns > ENGINE_KBENCH_MAX)
		nruns = ENGINE_KBENCH_MAX;
	if (kb_start(name, &type, cause) != 0)
		return -1;
	t = qtype_traits(type);
	psize = t->pack_size;
	pack = t->pack;
	tile = t->tile;
	if (nrows <= 0)
		nrows = 1024;
	if (ncols < 2)
		ncols = 2;
	mat.type = type;
	mat.ncols = KB_NCOLS;
	mat.nrows = nrows;
	mat.row_bytes = qtype_row_size(type, KB_NCOLS);
	if ((w = malloc(mat.row_bytes * (size_t)nrows)) == NULL ||
	    (x = malloc(sizeof *x * KB_NCOLS * (size_t)ncols)) == NULL ||
	    (y = malloc(sizeof *y * (size_t)nrows * ncols)) == NULL ||
	    (scratch = malloc(matmul_scratch_size(&mat, ncols) + 1)) == NULL) {
		xasprintf(cause, "%s: cannot allocate the matrices", t->name);
		free(w);
		free(x);
		free(y);
		return -1;
	}
	mat.data = w;
	xf = kb_rows(type, w, (size_t)nrows);
	for (c = 0; c < ncols; c++)
		for (i = 0; i < KB_NCOLS; i++)
			x[(size_t)c * KB_NCOLS + i] = xf[(i + 97 * c) %
			    KB_NCOLS] * 20.0f + 0.01f * (float)((i + c) % 7);
	macs = (double)KB_NCOLS * nrows * ncols;
	reps = (int)(KB_MIN_MACS / macs) + 1;

	memset(out, 0, sizeof *out);
	out->type = t->name;
	out->tiles = tile != NULL;
	out->ncols = ncols;
	out->nrows = nrows;
	for (run = 0; run < nruns; run++) {
		if ((tp = tpool_create(threads[run])) == NULL) {
			xasprintf(cause, "cannot start %d threads",
			    threads[run]);
			break;
		}
		best[0] = best[1] = 0.0;
		for (pass = -1; pass < KB_PASSES; pass++) {	/* -1: warm */
			for (path = 0; path < (tile != NULL ? 2 : 1); path++) {
				if (path == 1)
					qtype_install_tile(type, NULL, NULL,
					    NULL);
				tm = kb_now();
				for (rep = 0; rep < reps; rep++)
					matmul(tp, &mat, x, KB_NCOLS, ncols, y,
					    nrows, scratch);
				tm = kb_now() - tm;
				if (path == 1)
					qtype_install_tile(type, psize, pack,
					    tile);
				if (pass >= 0 && (best[path] == 0.0 ||
				    tm < best[path]))
					best[path] = tm;
			}
		}
		tpool_free(tp);
		out->threads[run] = threads[run];
		out->gmacs[run] = macs * reps / best[0] / 1e9;
		out->gmacs_gemm[run] = tile != NULL ? macs * reps / best[1] /
		    1e9 : out->gmacs[run];
		out->n_runs = run + 1;
	}
	free(scratch);
	free(y);
	free(x);
	free(xf);
	free(w);
	return out->n_runs == nruns ? 0 : -1;
}
