/*
 * matmul.c -- the threaded quantized matrix products.
 *
 * The activations are quantized once into the weight type's vec_dot_type
 * in the shared scratch, each thread taking a contiguous share of the
 * blocks; a barrier; then the output rows, in contiguous chunks (64 rows
 * for a vector, 16 with several columns, smaller if that gives under 4
 * chunks per thread) that the threads claim from the pool's atomic
 * counter, so a slow or descheduled thread does less and holds no chunk
 * back; a final barrier so the scratch and y may be reused at once.  With
 * several activation columns each chunk is processed in tiles of MM_ROWS
 * rows x MM_COLS columns by the type's gemm kernel, which keeps each
 * unpacked weight block in registers across 4 columns and the chunk's
 * weight rows in L1/L2 across all columns.  Every output element is
 * computed by one kernel call whose arithmetic does not depend on the
 * thread count or tile position, so results are bit-identical for any
 * number of threads (docs/ENGINE.md, "Thread pool and matrix products").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "pool.h"
#include "matmul.h"

#define MM_ROWS		16	/* rows per gemm tile (and chunk) */
#ifndef MM_DECODE_ROWS
#define MM_DECODE_ROWS	64	/* rows per chunk of a matrix-vector
				   product */
#endif
#define MM_COLS		64	/* activation columns per gemm tile */
/*
 * Packed prefill tiles (a type's pack/tile kernels): from this many
 * columns on, each chunk of MM_TILE_ROWS rows is packed once per product and
 * the tile kernel runs over the columns in blocks whose quantized
 * activations take at most MM_TILE_XBYTES (so a block stays in L2 while
 * the chunk's row tiles pass over it).
 */
#define MM_TILE_MIN	16
#ifndef MM_TILE_ROWS
#define MM_TILE_ROWS	32	/* rows per chunk packed at once */
#endif
#define MM_TILE_XBYTES	(256 * 1024)
#define SCRATCH_ALIGN	64
/*
 * Matrix-vector: software-prefetch the rows this many rows ahead, on top
 * of the hardware's prefetchers; 0 = none.  Off: the prefetches only
 * compete with the demand loads for fill buffers (7B Q4_K, 2 threads,
 * measured with the 8-row decode groups of the time: 57-59% of read
 * bandwidth with, 73-80% without, in `bench kernels`; decode tokens/s
 * up as well).
 */
#ifndef MM_PREFETCH
#define MM_PREFETCH	0
#endif
#ifndef MM_PREFETCH_HINT
#define MM_PREFETCH_HINT 0	/* 0: non-temporal, 3: keep in all levels */
#endif


/* Bytes between quantized activation columns in the scratch. */
static size_t
mm_col_stride(const struct qmat *W)
{
	const struct qtraits	*t = qtype_traits(W->type);
	size_t			 sz;

	sz = qtype_row_size((uint32_t)t->vec_dot_type, W->ncols);
	return (sz + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
}

size_t
matmul_scratch_size(const struct qmat *W, int ntok)
{
	const struct qtraits	*t = qtype_traits(W->type);

	if (t == NULL || t->vec_dot_type == QT_F32)
		return 0;	/* F32 activations are used in place */
	return mm_col_stride(W) * (size_t)(ntok > 0 ? ntok : 1) +
	    SCRATCH_ALIGN;
}

/* Prefetch n bytes at p (non-temporal hint: streamed once). */
static inline void
mm_prefetch(const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i += 64)
		__builtin_prefetch(p + i, 0, MM_PREFETCH_HINT);
}

/* Generic tile: one vec_dot per (row, column), row-major in the tile. */
static void
mm_gemm_generic(qdot_fn dot, int n, const uint8_t *w, size_t wstride,
    int nr, const uint8_t *xq, size_t xstride, int nc, float *y,
    size_t ldy)
{
	int	r, c;

	for (r = 0; r < nr; r++)
		for (c = 0; c < nc; c++)
			y[(size_t)c * ldy + r] = dot(n, w + r * wstride,
			    xq + c * xstride);
}

/*
 * Quantize this thread's share of the ntok columns of x for W into the
 * scratch (nothing for F32 activations); returns the quantized columns
 * and their stride in *xs.  The caller meets a barrier before using it.
 */
static const uint8_t *
mm_quantize(const struct qmat *W, int ith, int nth, const float *x,
    int64_t ldx, int ntok, void *scratch, size_t *xs)
{
	const struct qtraits	*t = qtype_traits(W->type);
	const struct qtraits	*at;
	uint8_t			*base;
	int64_t			 nb, total, b0, b1, c, cb0, cb1, ue, end;
	size_t			 ub;

	if (t->vec_dot_type == QT_F32) {
		*xs = (size_t)ldx * sizeof(float);
		return (const uint8_t *)x;
	}
	at = qtype_traits((uint32_t)t->vec_dot_type);
	base = (uint8_t *)(((uintptr_t)scratch + SCRATCH_ALIGN - 1) &
	    ~(uintptr_t)(SCRATCH_ALIGN - 1));
	*xs = mm_col_stride(W);
	/*
	 * Units that quantize on their own (blocks; Q8_0P's groups of eight
	 * blocks, the last one short) of all columns, split evenly across
	 * threads.
	 */
	ue = at->blck;
	ub = at->type_size;
	if (t->vec_dot_type == QT_Q8_0P) {
		ue = 8 * QK;
		ub = sizeof(block_q8_0p);
	}
	nb = (W->ncols + ue - 1) / ue;
	total = nb * ntok;
	b0 = total * ith / nth;
	b1 = total * (ith + 1) / nth;
	for (c = b0 / nb; c < ntok && c * nb < b1; c++) {
		cb0 = b0 > c * nb ? b0 - c * nb : 0;
		cb1 = b1 < (c + 1) * nb ? b1 - c * nb : nb;
		end = cb1 * ue < W->ncols ? cb1 * ue : W->ncols;
		if (cb1 > cb0)
			at->quantize(x + c * ldx + cb0 * ue,
			    base + c * *xs + cb0 * ub, end - cb0 * ue);
	}
	return base;
}

/*
 * Rows per chunk of W: 64 for a vector, 16 with several columns (32 for
 * the packed tiles), fewer when that would give under 4 chunks per
 * thread.
 */
static int64_t
mm_chunk_rows(const struct qmat *W, int ntok, int nth)
{
	int64_t	chunk;

	chunk = ntok == 1 ? MM_DECODE_ROWS :
	    ntok >= MM_TILE_MIN && qtype_traits(W->type)->tile != NULL ?
	    MM_TILE_ROWS : MM_ROWS;
	if ((W->nrows + chunk - 1) / chunk < 4 * nth)	/* small matrix */
		chunk = (W->nrows + 4 * nth - 1) / (4 * nth);
	return chunk > 0 ? chunk : 1;
}

/*
 * The packed-tile path of mm_rows: rows r0..r1 packed into this thread's
 * buffer, then the tile kernel over blocks of columns.  0 when the type
 * has no tiles or the buffer cannot be had (mm_rows then uses gemm).
 */
static int
mm_rows_tile(struct tpool *tp, int ith, const struct qmat *W,
    const uint8_t *xq, size_t xs, int ntok, float *y, int64_t ldy,
    int64_t r0, int64_t r1)
{
	const struct qtraits	*t = qtype_traits(W->type);
	void			*pk;
	int64_t			 c0, nc, blk;
	int			 n = (int)W->ncols, nr = (int)(r1 - r0);

	if (t->tile == NULL || ntok < MM_TILE_MIN)
		return 0;
	pk = tpool_local(tp, ith, t->pack_size(n, nr));
	if (pk == NULL)
		return 0;
	t->pack(n, (const uint8_t *)W->data + r0 * W->row_bytes,
	    W->row_bytes, nr, pk);
	blk = (int64_t)(MM_TILE_XBYTES / (xs > 0 ? xs : 1)) / 4 * 4;
	if (blk < 4)
		blk = 4;
	for (c0 = 0; c0 < ntok; c0 += blk) {
		nc = ntok - c0 < blk ? ntok - c0 : blk;
		t->tile(n, pk, nr, xq + c0 * xs, xs, (int)nc,
		    y + c0 * ldy + r0, (size_t)ldy);
	}
	return 1;
}

/* Output rows r0..r1 of W for all ntok quantized columns xq. */
static void
mm_rows(struct tpool *tp, int ith, const struct qmat *W, const uint8_t *xq,
    size_t xs, int ntok, float *y, int64_t ldy, int64_t r0, int64_t r1)
{
	const struct qtraits	*t = qtype_traits(W->type);
	const uint8_t		*w = W->data;
	int64_t			 r, c0, nc;
	int			 n = (int)W->ncols;

	if (ntok == 1) {
		/*
		 * One row at a time, through vec_dot: a single sequential
		 * stream per thread is what the hardware prefetchers serve
		 * best.  Kernels that run 8 rows together (gemm with nc = 1)
		 * are faster in cache but 4% slower here, streaming from
		 * DRAM (docs/PERFORMANCE.md).
		 */
		for (r = r0; r < r1; r++) {
			if (MM_PREFETCH > 0 && r + MM_PREFETCH < r1)
				mm_prefetch(w + (r + MM_PREFETCH) *
				    W->row_bytes, W->row_bytes);
			y[r] = t->vec_dot(n, w + r * W->row_bytes, xq);
		}
		return;
	}
	if (mm_rows_tile(tp, ith, W, xq, xs, ntok, y, ldy, r0, r1))
		return;
	for (c0 = 0; c0 < ntok; c0 += MM_COLS) {
		nc = ntok - c0 < MM_COLS ? ntok - c0 : MM_COLS;
		if (t->gemm != NULL)
			t->gemm(n, w + r0 * W->row_bytes, W->row_bytes,
			    (int)(r1 - r0), xq + c0 * xs, xs, (int)nc,
			    y + c0 * ldy + r0, (size_t)ldy);
		else
			mm_gemm_generic(t->vec_dot, n, w + r0 * W->row_bytes,
			    W->row_bytes, (int)(r1 - r0), xq + c0 * xs, xs,
			    (int)nc, y + c0 * ldy + r0, (size_t)ldy);
	}
}

void
matmul_part(struct tpool *tp, int ith, int nth, const struct qmat *W,
    const float *x, int64_t ldx, int ntok, float *y, int64_t ldy,
    void *scratch)
{
	matmul_multi_part(tp, ith, nth, 1, &W, x, ldx, ntok, &y, &ldy,
	    scratch);
}

void
matmul_multi_part(struct tpool *tp, int ith, int nth, int nm,
    const struct qmat *const *Ws, const float *x, int64_t ldx, int ntok,
    float *const *ys, const int64_t *ldys, void *scratch)
{
	const uint8_t	*xq;
	size_t		 xs;
	int64_t		 chunk[MM_MULTI_MAX], first[MM_MULTI_MAX + 1];
	int64_t		 ck, r0, r1;
	int		 i;

	/* One quantization serves all only if they read it the same way. */
	for (i = 1; i < nm; i++) {
		if (nm > MM_MULTI_MAX || Ws[i]->ncols != Ws[0]->ncols ||
		    qtype_traits(Ws[i]->type)->vec_dot_type !=
		    qtype_traits(Ws[0]->type)->vec_dot_type)
			break;
	}
	if (i < nm || nm > MM_MULTI_MAX) {
		for (i = 0; i < nm; i++)
			matmul_multi_part(tp, ith, nth, 1, Ws + i, x, ldx,
			    ntok, ys + i, ldys + i, scratch);
		return;
	}

	xq = mm_quantize(Ws[0], ith, nth, x, ldx, ntok, scratch, &xs);
	if (ith == 0)
		tpool_chunk_reset(tp);
	tpool_barrier(tp);	/* activations ready, chunk counter reset */

	/*
	 * The chunks of all the matrices in one sequence, each thread
	 * taking the next free one, so a thread that is slow (or not yet
	 * running, on a busy machine) does less of the work and holds
	 * none back.  Which thread computes a row never changes its value.
	 */
	first[0] = 0;
	for (i = 0; i < nm; i++) {
		chunk[i] = mm_chunk_rows(Ws[i], ntok, nth);
		first[i + 1] = first[i] + (Ws[i]->nrows + chunk[i] - 1) /
		    chunk[i];
	}
	i = 0;
	for (ck = tpool_chunk_next(tp, nth, -1); ck < first[nm];
	    ck = tpool_chunk_next(tp, nth, ck)) {
		while (ck >= first[i + 1])
			i++;
		r0 = (ck - first[i]) * chunk[i];
		r1 = r0 + chunk[i] < Ws[i]->nrows ? r0 + chunk[i] :
		    Ws[i]->nrows;
		mm_rows(tp, ith, Ws[i], xq, xs, ntok, ys[i], ldys[i], r0,
		    r1);
	}
	tpool_barrier(tp);
}

struct mm_job {
	struct tpool		*tp;
	const struct qmat	*W;
	const float		*x;
	int64_t			 ldx;
	int			 ntok;
	float			*y;
	int64_t			 ldy;
	void			*scratch;
};

static void
mm_job_fn(int ith, int nth, void *arg)
{
	struct mm_job	*j = arg;

	matmul_part(j->tp, ith, nth, j->W, j->x, j->ldx, j->ntok, j->y,
	    j->ldy, j->scratch);
}

void
matmul(struct tpool *tp, const struct qmat *W, const float *x, int64_t ldx,
    int ntok, float *y, int64_t ldy, void *scratch)
{
	struct mm_job	j = { tp, W, x, ldx, ntok, y, ldy, scratch };

	if (ntok <= 0 || W->nrows <= 0)
		return;
	tpool_run(tp, mm_job_fn, &j);
}

void
qmat_get_row(const struct qmat *W, int64_t r, float *dst)
{
	const struct qtraits	*t = qtype_traits(W->type);

	t->to_float((const uint8_t *)W->data + r * W->row_bytes, dst,
	    W->ncols);
}
