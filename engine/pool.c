/*
 * pool.c -- the thread pool: n-1 persistent workers plus the calling
 * thread, alive for the model's lifetime.
 *
 * A job is published by bumping a generation counter under the pool
 * mutex; workers spin on that counter for a while after each job (so
 * decode, which runs hundreds of jobs per token, never pays a wake-up):
 * first with a pause hint, then yielding the CPU (so that on an
 * oversubscribed machine the threads doing work get it), then they sleep
 * on a condition variable.  The caller runs its own share as thread 0
 * and spins until the workers report done.  tpool_barrier() is an
 * arrival counter plus a generation counter: the last thread to arrive
 * resets the counter and bumps the generation, the others spin on it
 * with a pause hint (and yield after a while, so oversubscribed machines
 * still make progress).  No system call in the steady state.  The pool
 * also carries one shared work counter (tpool_chunk_*) from which the
 * threads of a job claim units of work (matmul.c: row chunks).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "xmalloc.h"
#include "pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() do { } while (0)
#endif

#define SPIN_PAUSE	2048	/* pause-spins before a waiter yields */
#define SPIN_JOB	(SPIN_PAUSE + 256)	/* ... before a worker sleeps */

struct tpool_worker {
	struct tpool	*tp;
	int		 ith;
	pthread_t	 thread;
	void		*local;		/* tpool_local's buffer */
	size_t		 local_size;
};

struct tpool {
	int			 n;
	struct tpool_worker	*workers;	/* n - 1 of them */

	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	atomic_uint		 job_gen;
	atomic_int		 stop;
	tpool_fn		 fn;
	void			*arg;
	atomic_int		 n_done;

	/* barrier, each on its own cache line */
	_Alignas(64) atomic_int	 bar_count;
	_Alignas(64) atomic_uint bar_gen;
	/* next free row chunk of the running matmul_part */
	_Alignas(64) atomic_llong chunk_next;
};

static void *
tpool_main(void *arg)
{
	struct tpool_worker	*w = arg;
	struct tpool		*tp = w->tp;
	unsigned		 seen = 0, gen;
	int			 spins;

	for (;;) {
		for (spins = 0; spins < SPIN_JOB; spins++) {
			gen = atomic_load_explicit(&tp->job_gen,
			    memory_order_acquire);
			if (gen != seen ||
			    atomic_load_explicit(&tp->stop,
			    memory_order_relaxed))
				break;
			if (spins < SPIN_PAUSE)
				cpu_relax();
			else
				sched_yield();
		}
		if (spins == SPIN_JOB) {
			pthread_mutex_lock(&tp->mu);
			while (atomic_load(&tp->job_gen) == seen &&
			    !atomic_load(&tp->stop))
				pthread_cond_wait(&tp->cv, &tp->mu);
			pthread_mutex_unlock(&tp->mu);
		}
		if (atomic_load(&tp->stop))
			break;
		seen = atomic_load_explicit(&tp->job_gen,
		    memory_order_acquire);
		tp->fn(w->ith, tp->n, tp->arg);
		atomic_fetch_add_explicit(&tp->n_done, 1,
		    memory_order_release);
	}
	return NULL;
}

/*
 * Create a pool of n_threads threads in all (n_threads - 1 workers plus
 * the caller); n_threads < 1 is taken as 1.  Returns NULL if a thread
 * cannot be created.
 */
struct tpool *
tpool_create(int n_threads)
{
	struct tpool	*tp;
	int		 i;

	if (n_threads < 1)
		n_threads = 1;
	tp = xcalloc(1, sizeof *tp);
	tp->n = n_threads;
	pthread_mutex_init(&tp->mu, NULL);
	pthread_cond_init(&tp->cv, NULL);
	atomic_init(&tp->job_gen, 0);
	atomic_init(&tp->stop, 0);
	atomic_init(&tp->n_done, 0);
	atomic_init(&tp->bar_count, 0);
	atomic_init(&tp->bar_gen, 0);
	atomic_init(&tp->chunk_next, 0);
	tp->workers = xcalloc((size_t)n_threads, sizeof *tp->workers);
	for (i = 1; i < n_threads; i++) {
		tp->workers[i].tp = tp;
		tp->workers[i].ith = i;
		if (pthread_create(&tp->workers[i].thread, NULL, tpool_main,
		    &tp->workers[i]) != 0) {
			tp->n = i;	/* only join what was started */
			tpool_free(tp);
			return NULL;
		}
	}
	return tp;
}

void
tpool_free(struct tpool *tp)
{
	int	i;

	if (tp == NULL)
		return;
	pthread_mutex_lock(&tp->mu);
	atomic_store(&tp->stop, 1);
	pthread_cond_broadcast(&tp->cv);
	pthread_mutex_unlock(&tp->mu);
	for (i = 1; i < tp->n; i++)
		pthread_join(tp->workers[i].thread, NULL);
	for (i = 0; i < tp->n; i++)
		free(tp->workers[i].local);
	pthread_cond_destroy(&tp->cv);
	pthread_mutex_destroy(&tp->mu);
	free(tp->workers);
	free(tp);
}

void *
tpool_local(struct tpool *tp, int ith, size_t size)
{
	struct tpool_worker	*w;
	void			*p;

	if (tp == NULL || ith < 0 || ith >= tp->n)
		return NULL;
	w = &tp->workers[ith];
	if (w->local_size < size) {
		size = (size + 65535) & ~(size_t)65535;
		if (posix_memalign(&p, 64, size) != 0)
			return NULL;
		free(w->local);
		w->local = p;
		w->local_size = size;
	}
	return w->local;
}

int
tpool_size(const struct tpool *tp)
{
	return tp == NULL ? 1 : tp->n;
}

/* Run fn on every thread of the pool (tp NULL: just the caller). */
void
tpool_run(struct tpool *tp, tpool_fn fn, void *arg)
{
	int	spins = 0;

	if (tp == NULL || tp->n == 1) {
		fn(0, 1, arg);
		return;
	}
	tp->fn = fn;
	tp->arg = arg;
	atomic_store_explicit(&tp->n_done, 0, memory_order_relaxed);
	pthread_mutex_lock(&tp->mu);
	atomic_fetch_add_explicit(&tp->job_gen, 1, memory_order_release);
	pthread_cond_broadcast(&tp->cv);
	pthread_mutex_unlock(&tp->mu);

	fn(0, tp->n, arg);

	while (atomic_load_explicit(&tp->n_done, memory_order_acquire) !=
	    tp->n - 1) {
		if (++spins > SPIN_PAUSE)
			sched_yield();
		else
			cpu_relax();
	}
}

void
tpool_barrier(struct tpool *tp)
{
	unsigned	gen;
	int		spins = 0;

	if (tp == NULL || tp->n == 1)
		return;
	gen = atomic_load_explicit(&tp->bar_gen, memory_order_acquire);
	if (atomic_fetch_add(&tp->bar_count, 1) == tp->n - 1) {
		atomic_store(&tp->bar_count, 0);
		atomic_fetch_add(&tp->bar_gen, 1);
		return;
	}
	while (atomic_load_explicit(&tp->bar_gen, memory_order_relaxed) ==
	    gen) {
		if (++spins > SPIN_PAUSE)
			sched_yield();
		else
			cpu_relax();
	}
	atomic_thread_fence(memory_order_seq_cst);
}

/* Reset the shared work counter (one thread, before a barrier). */
void
tpool_chunk_reset(struct tpool *tp)
{
	if (tp != NULL)
		atomic_store_explicit(&tp->chunk_next, 0,
		    memory_order_relaxed);
}

/*
 * The next unclaimed unit of the shared counter; single-threaded (tp
 * NULL or nth 1) simply the one after ck.
 */
int64_t
tpool_chunk_next(struct tpool *tp, int nth, int64_t ck)
{
	if (tp == NULL || nth == 1)
		return ck + 1;
	return atomic_fetch_add_explicit(&tp->chunk_next, 1,
	    memory_order_relaxed);
}
