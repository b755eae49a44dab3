/*
 * matmul.h -- the threaded quantized matrix products (engine-internal;
 * engine/matmul.c).
 */
#ifndef MATMUL_H
#define MATMUL_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "matmul.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

/* A weight matrix: nrows rows of ncols elements, rows row_bytes apart. */
struct qmat {
	const void	*data;
	uint32_t	 type;		/* enum qtype */
	int64_t		 ncols;		/* ne[0] */
	int64_t		 nrows;		/* ne[1] */
	size_t		 row_bytes;
};

/* Bytes of scratch matmul() needs for ntok activation columns of W. */
size_t	 matmul_scratch_size(const struct qmat *W, int ntok);

/*
 * y[t * ldy + r] = sum_k W[r][k] * x[t * ldx + k] for r < W->nrows, t < ntok.
 * x is quantized once into scratch (to the type's vec_dot_type), shared by
 * all threads; output rows are split across the pool.  For ntok > 1 each
 * weight block is reused across several columns.  Results are identical
 * whatever the number of threads, the batch a column is in (ntok), and
 * the kernel level (scalar and AVX2 follow one order of float operations).
 * W->ncols must be a multiple of the type's block size (the loader checks
 * it); scratch holds matmul_scratch_size(W, ntok) bytes (any alignment;
 * may be NULL when that is 0, as for F32 weights); x and y must not
 * overlap.  tp may be NULL (single-threaded).
 */
void	 matmul(struct tpool *, const struct qmat *W, const float *x,
	    int64_t ldx, int ntok, float *y, int64_t ldy, void *scratch);

/*
 * The same from inside a running tpool job: every thread of the pool
 * calls it with its (ith, nth) and the same arguments; it contains the
 * barriers it needs (one after quantizing x, one at the end, so y is
 * complete and scratch reusable when it returns).
 */
void	 matmul_part(struct tpool *, int ith, int nth, const struct qmat *W,
	    const float *x, int64_t ldx, int ntok, float *y, int64_t ldy,
	    void *scratch);

/*
 * Several products of the same activations at once: y_i = W_i x for
 * i < nm (nm <= MM_MULTI_MAX), e.g. q/k/v or gate/up.  When the W_i share
 * ncols and vec_dot_type, x is quantized once and the row chunks of all
 * of them are shared out in one pass between two barriers; otherwise it
 * is matmul_part for each.  Results are identical to matmul_part's.
 * scratch holds the largest matmul_scratch_size of the W_i.
 */
#define MM_MULTI_MAX	4
void	 matmul_multi_part(struct tpool *, int ith, int nth, int nm,
	    const struct qmat *const *Ws, const float *x, int64_t ldx,
	    int ntok, float *const *ys, const int64_t *ldys, void *scratch);

/* Dequantize row r of W into dst (ncols floats): embeddings lookup. */
void	 qmat_get_row(const struct qmat *W, int64_t r, float *dst);

#endif
