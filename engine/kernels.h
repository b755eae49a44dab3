/*
 * kernels.h -- CPU feature selection, the thread pool and the threaded
 * quantized matrix products (engine-internal).
 */
#ifndef KERNELS_H
#define KERNELS_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "kernels.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

/* ---- CPU dispatch ----------------------------------------------------- */

enum cpu_level { CPU_SCALAR = 0, CPU_AVX2 = 1, CPU_AVX512 = 2 };

/*
 * Detect the CPU once (CPUID) and install the best kernels in the traits
 * table; $MEDCHAT_CPU=scalar|avx2|avx512 forces a level (asking for one
 * the CPU lacks is an error: returns -1 with *cause).  Idempotent and
 * thread-safe; called by engine_open and by tests.
 */
int	 cpu_init(char **cause);
/* Force a level (tests); -1 if unsupported on this CPU. */
int	 cpu_set_level(enum cpu_level);
enum cpu_level cpu_level(void);
const char *cpu_level_name(enum cpu_level);
/* Whether the CPU has the level AND this build has kernels for it. */
int	 cpu_supports(enum cpu_level);

#ifdef HAVE_X86_SIMD
/* kernels-avx2.c: install the AVX2 kernels in the traits table. */
void	 avx2_install(void);
#endif
#ifdef HAVE_AVX512
/*
 * kernels-avx512.c: install the AVX-512 kernels (without / with VNNI)
 * of the quantized weight types over the AVX2 ones: call avx2_install()
 * first.
 */
void	 avx512_install(void);
void	 avx512vnni_install(void);
#endif

/* ---- thread pool ------------------------------------------------------ */

/*
 * A pool of n-1 worker threads plus the calling thread, alive for the
 * model's lifetime.  tpool_run() runs fn(ith, nth, arg) on all n threads
 * (the caller is ith 0) and returns when all have finished.  Workers spin
 * briefly then sleep on a condition variable between jobs.
 * tpool_barrier() may be called from inside fn by all threads.
 */
struct tpool;
typedef void (*tpool_fn)(int ith, int nth, void *arg);

struct tpool *tpool_create(int n_threads);
void	 tpool_free(struct tpool *);
int	 tpool_size(const struct tpool *);
void	 tpool_run(struct tpool *, tpool_fn fn, void *arg);
void	 tpool_barrier(struct tpool *);

/* ---- matrix products -------------------------------------------------- */

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

/*
 * Decode (one activation column) reads each weight row from memory once.
 * The hardware prefetchers do not follow a stream across a 4 KiB page,
 * and a kernel doing real work per byte keeps too few loads in flight to
 * cover the memory latency by itself (a bare read loop streams the
 * mmapped file at about 30 GB/s with two threads here, the Q4_K kernel
 * at 17-19).  So the SIMD one-column kernels call pf_ahead for the
 * weight bytes they are about to read: a prefetch into all cache levels
 * PF_AHEAD bytes further on, one per 64 bytes.  Running past the end of
 * a row just reaches the next one (a prefetch never faults).
 * docs/PERFORMANCE.md has the measurements.
 */
#define PF_AHEAD	4096

static inline void
pf_ahead(const void *p, int nbytes)
{
	int	o;

	for (o = 0; o < nbytes; o += 64)
		__builtin_prefetch((const char *)p + PF_AHEAD + o, 0, 3);
}

#endif
