/*
 * test-matmul.c -- the thread pool and the threaded matrix products.
 *
 *  - tpool runs a job on every thread and its barrier orders phases;
 *  - for every weight type and every CPU level this machine supports,
 *    matmul with 2, 3 and 4 threads and ntok 1..37 is bit-identical to
 *    the single-threaded product, and equals a naive reference (the
 *    activations quantized with the reference quantizer, then the
 *    reference vec_dot per element) within 1e-5 of sum |w x|;
 *  - a column's result does not depend on how many columns share the
 *    call (gemm tiles agree bit for bit with vec_dot);
 *  - matmul_part inside a caller's own job gives the same result;
 *  - a batch wider than a column tile, and fewer rows than threads;
 *  - qmat_get_row returns the dequantized row.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "matmul.h"
#include "testhelp.h"

static const uint32_t weight_types[] = {
	QT_F32, QT_F16, QT_BF16, QT_Q4_0, QT_Q4_1, QT_Q5_0, QT_Q5_1, QT_Q8_0,
	QT_Q2_K, QT_Q3_K, QT_Q4_K, QT_Q5_K, QT_Q6_K
};
#define N_WEIGHT_TYPES (sizeof weight_types / sizeof weight_types[0])
#define MAX_TOK 37

static uint64_t rng = 0x243F6A8885A308D3ULL;

struct pool_test {
	struct tpool	*tp;
	atomic_int	 phase1;
	int		 seen[8];
	int		 ok;
};

static void
pool_job(int ith, int nth, void *arg)
{
	struct pool_test	*pt = arg;

	atomic_fetch_add(&pt->phase1, 1);
	tpool_barrier(pt->tp);
	/* Everyone must see all arrivals of phase 1 now. */
	if (atomic_load(&pt->phase1) != nth)
		pt->ok = 0;
	tpool_barrier(pt->tp);
	pt->seen[ith]++;
}

static void
test_pool(void)
{
	struct pool_test	 pt;
	int			 n, i, rep, ok;

	for (n = 1; n <= 4; n++) {
		memset(&pt, 0, sizeof pt);
		pt.tp = tpool_create(n);
		pt.ok = 1;
		test_condf(pt.tp != NULL && tpool_size(pt.tp) == n,
		    "pool of %d threads", n);
		for (rep = 0; rep < 200; rep++) {
			atomic_store(&pt.phase1, 0);
			tpool_run(pt.tp, pool_job, &pt);
		}
		ok = pt.ok;
		for (i = 0; i < n; i++)
			ok &= pt.seen[i] == 200;
		test_condf(ok, "%d threads: 200 jobs, each thread once per "
		    "job, barriers order the phases", n);
		tpool_free(pt.tp);
	}
}

struct part_job {
	struct tpool		*tp;
	const struct qmat	*W;
	const float		*x;
	int			 ntok;
	float			*y;
	void			*scratch;
};

static void
part_job_fn(int ith, int nth, void *arg)
{
	struct part_job	*j = arg;

	matmul_part(j->tp, ith, nth, j->W, j->x, j->W->ncols, j->ntok, j->y,
	    j->W->nrows, j->scratch);
}

static void
test_type(uint32_t type, enum cpu_level level)
{
	static const int	 nthreads[] = { 2, 3, 4 };
	const struct qtraits	*t = qtype_traits(type);
	const struct qtraits	*at = qtype_traits((uint32_t)t->vec_dot_type);
	struct qmat		 W;
	struct tpool		*tp;
	const int		 nrows = 37;
	/* 15 blocks: Q8_0P activations (Q4_0, Q5_0) get a whole group of
	 * eight and a short one, which threads quantize separately */
	int			 ncols = t->blck == QK_K ? 512 : 15 * QK;
	float			*wf, *x, *y1, *yn, *yref, *ycol;
	double			*scale;
	uint8_t			*wq, *xq;
	void			*scratch;
	size_t			 xs, off;
	int			 ntok, p, r, c, k, bad_thr, bad_ref, bad_col;
	int			 bad_part, bad_row;
	struct part_job		 pj;

	wf = malloc((size_t)nrows * ncols * sizeof *wf);
	for (r = 0; r < nrows * ncols; r++)
		wf[r] = test_rand_f(&rng);
	wq = malloc(qtype_row_size(type, ncols) * nrows);
	for (r = 0; r < nrows; r++)
		t->from_float(wf + (size_t)r * ncols,
		    wq + qtype_row_size(type, ncols) * r, ncols);
	W.data = wq;
	W.type = type;
	W.ncols = ncols;
	W.nrows = nrows;
	W.row_bytes = qtype_row_size(type, ncols);

	x = malloc((size_t)MAX_TOK * ncols * sizeof *x);
	for (r = 0; r < MAX_TOK * ncols; r++)
		x[r] = test_rand_f(&rng) * 3.0f;
	/* y1: the single-threaded results of every ntok, back to back. */
	y1 = malloc((size_t)MAX_TOK * (MAX_TOK + 1) / 2 * nrows * sizeof *y1);
	yn = malloc((size_t)MAX_TOK * nrows * sizeof *yn);
	yref = malloc((size_t)MAX_TOK * nrows * sizeof *yref);
	scale = malloc((size_t)MAX_TOK * nrows * sizeof *scale);
	ycol = malloc((size_t)(nrows > ncols ? nrows : ncols) *
	    sizeof *ycol);
	xs = qtype_row_size((uint32_t)t->vec_dot_type, ncols);
	xq = malloc(xs * MAX_TOK + 64);
	scratch = malloc(matmul_scratch_size(&W, MAX_TOK) + 1);

	/* Naive reference for all columns, and the scale sum |w x|. */
	for (c = 0; c < MAX_TOK; c++)
		at->from_float(x + (size_t)c * ncols, xq + xs * c, ncols);
	for (c = 0; c < MAX_TOK; c++)
		for (r = 0; r < nrows; r++) {
			yref[(size_t)c * nrows + r] = t->vec_dot_ref(ncols,
			    wq + W.row_bytes * r, xq + xs * c);
			scale[(size_t)c * nrows + r] = 0.0;
			for (k = 0; k < ncols; k++)
				scale[(size_t)c * nrows + r] += fabs(
				    (double)wf[(size_t)r * ncols + k] *
				    x[(size_t)c * ncols + k]);
		}

	bad_ref = bad_col = 0;
	for (ntok = 1; ntok <= MAX_TOK; ntok++) {
		off = (size_t)nrows * ntok * (ntok - 1) / 2;
		matmul(NULL, &W, x, ncols, ntok, y1 + off, nrows, scratch);
		for (c = 0; c < ntok * nrows; c++)
			if (fabs(y1[off + c] - yref[c]) > 1e-5 * scale[c])
				bad_ref++;
		/* Each column equals the ntok = 1 product of that column. */
		for (c = 0; c < ntok; c += 7) {
			matmul(NULL, &W, x + (size_t)c * ncols, ncols, 1,
			    ycol, nrows, scratch);
			if (memcmp(ycol, y1 + off + (size_t)c * nrows,
			    nrows * sizeof *ycol) != 0)
				bad_col++;
		}
	}

	/* One pool at a time, so idle pools do not compete for the CPUs. */
	bad_thr = bad_part = 0;
	for (p = 0; p < 3; p++) {
		tp = tpool_create(nthreads[p]);
		for (ntok = 1; ntok <= MAX_TOK; ntok++) {
			off = (size_t)nrows * ntok * (ntok - 1) / 2;
			memset(yn, 0xFF, (size_t)ntok * nrows * sizeof *yn);
			matmul(tp, &W, x, ncols, ntok, yn, nrows, scratch);
			if (memcmp(y1 + off, yn, (size_t)ntok * nrows *
			    sizeof *yn) != 0)
				bad_thr++;
			if (nthreads[p] != 3)
				continue;
			pj.tp = tp;
			pj.W = &W;
			pj.x = x;
			pj.ntok = ntok;
			pj.y = yn;
			pj.scratch = scratch;
			memset(yn, 0xFF, (size_t)ntok * nrows * sizeof *yn);
			tpool_run(tp, part_job_fn, &pj);
			if (memcmp(y1 + off, yn, (size_t)ntok * nrows *
			    sizeof *yn) != 0)
				bad_part++;
		}
		tpool_free(tp);
	}
	test_condf(bad_ref == 0, "%s %s: matmul = naive reference, ntok "
	    "1..%d", cpu_level_name(level), t->name, MAX_TOK);
	test_condf(bad_thr == 0, "%s %s: 2, 3, 4 threads bit-identical to 1",
	    cpu_level_name(level), t->name);
	test_condf(bad_col == 0, "%s %s: a column's result does not depend on "
	    "the batch", cpu_level_name(level), t->name);
	test_condf(bad_part == 0, "%s %s: matmul_part in a caller's job",
	    cpu_level_name(level), t->name);

	bad_row = 0;
	for (r = 0; r < nrows; r += 11) {
		float	deq[512];

		qmat_get_row(&W, r, ycol);
		t->to_float(wq + W.row_bytes * r, deq, ncols);
		if (memcmp(deq, ycol, ncols * sizeof *ycol) != 0)
			bad_row++;
	}
	test_condf(bad_row == 0, "%s %s: qmat_get_row", cpu_level_name(level),
	    t->name);

	free(wf);
	free(wq);
	free(x);
	free(y1);
	free(yn);
	free(yref);
	free(scale);
	free(ycol);
	free(xq);
	free(scratch);
}

/*
 * A batch wider than one column tile (MM_COLS = 64 in matmul.c) and a
 * matrix with fewer rows than threads: every column equals its own
 * ntok = 1 product, with 1 and 3 threads.
 */
static void
test_wide(uint32_t type, enum cpu_level level)
{
	const struct qtraits	*t = qtype_traits(type);
	const int		 ntok = 130, nrows = 2;
	int			 ncols = t->blck == QK_K ? 256 : 64;
	struct qmat		 W;
	struct tpool		*tp;
	float			*wf, *x, *y1, *y3, *yc;
	uint8_t			*wq;
	void			*scratch;
	int			 i, c, bad = 0;

	wf = malloc((size_t)nrows * ncols * sizeof *wf);
	for (i = 0; i < nrows * ncols; i++)
		wf[i] = test_rand_f(&rng);
	W.row_bytes = qtype_row_size(type, ncols);
	wq = malloc(W.row_bytes * nrows);
	for (i = 0; i < nrows; i++)
		t->from_float(wf + (size_t)i * ncols, wq + W.row_bytes * i,
		    ncols);
	W.data = wq;
	W.type = type;
	W.ncols = ncols;
	W.nrows = nrows;
	x = malloc((size_t)ntok * ncols * sizeof *x);
	for (i = 0; i < ntok * ncols; i++)
		x[i] = test_rand_f(&rng);
	y1 = malloc((size_t)ntok * nrows * sizeof *y1);
	y3 = malloc((size_t)ntok * nrows * sizeof *y3);
	yc = malloc((size_t)nrows * sizeof *yc);
	scratch = malloc(matmul_scratch_size(&W, ntok) + 1);

	matmul(NULL, &W, x, ncols, ntok, y1, nrows, scratch);
	tp = tpool_create(3);
	matmul(tp, &W, x, ncols, ntok, y3, nrows, scratch);
	tpool_free(tp);
	if (memcmp(y1, y3, (size_t)ntok * nrows * sizeof *y1) != 0)
		bad++;
	for (c = 0; c < ntok; c++) {
		matmul(NULL, &W, x + (size_t)c * ncols, ncols, 1, yc, nrows,
		    scratch);
		if (memcmp(yc, y1 + (size_t)c * nrows, nrows * sizeof *yc) != 0)
			bad++;
	}
	test_condf(bad == 0, "%s %s: 130 columns x 2 rows, 1 and 3 threads, "
	    "every column as its own product", cpu_level_name(level), t->name);
	free(wf);
	free(wq);
	free(x);
	free(y1);
	free(y3);
	free(yc);
	free(scratch);
}

int
main(void)
{
	enum cpu_level	 level;
	size_t		 k;
	char		*cause = NULL;

	if (cpu_init(&cause) != 0) {
		test_diag("cpu_init: %s", cause);
		free(cause);
	}
	test_pool();
	for (level = CPU_SCALAR; level <= CPU_LEVEL_LAST; level++) {
		if (!test_level_wanted(cpu_level_name(level)))
			continue;
		if (!cpu_supports(level)) {
			test_skip(cpu_level_name(level),
			    "this CPU or build lacks it");
			continue;
		}
		cpu_set_level(level);
		for (k = 0; k < N_WEIGHT_TYPES; k++) {
			test_type(weight_types[k], level);
			test_wide(weight_types[k], level);
		}
	}
	return test_report();
}
