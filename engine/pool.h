/*
 * pool.h -- the thread pool (engine-internal; engine/pool.c).
 */
#ifndef POOL_H
#define POOL_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "pool.h is private to engine/: other layers include engine.h"
/*
 * Thread ith's own buffer of at least size bytes, 64-byte aligned, kept
 * (and grown when asked for more) until tpool_free; only thread ith may
 * use it, and only inside a job.  NULL when tp is NULL or memory is
 * short (the caller then does without).
 */
void	*tpool_local(struct tpool *, int ith, size_t size);

#endif

#include <stdint.h>

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

/*
 * A shared work counter for the threads of one job: one thread resets
 * it before a barrier, then each thread claims the next unit with
 * tpool_chunk_next (ck is the unit it last had; with tp NULL or nth 1
 * that returns ck + 1, so a single thread walks the units in order).
 */
void	 tpool_chunk_reset(struct tpool *);
int64_t	 tpool_chunk_next(struct tpool *, int nth, int64_t ck);

/*
 * Thread ith's own buffer of at least size bytes, 64-byte aligned, kept
 * (and grown when asked for more) until tpool_free; only thread ith may
 * use it, and only inside a job.  NULL when tp is NULL or memory is
 * short (the caller then does without).
 */
void	*tpool_local(struct tpool *, int ith, size_t size);

#endif
