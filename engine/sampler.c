/*
 * sampler.c -- next-token sampling with llama.cpp's "common" defaults and
 * chain order (docs/ENGINE.md, "Samplers"):
 *
 *	penalties -> top_k -> top_p -> min_p -> temperature -> draw
 *
 * (logit_bias, DRY, typical_p and XTC sit in the same chain in llama.cpp
 * and are off by default; they are not implemented.)  Temperature comes
 * after truncation, so top-p and min-p see un-tempered probabilities.
 * temp <= 0 is greedy: the argmax of the penalised logits, lowest id on
 * ties.
 *
 * Memory: sampler_create() allocates the n_vocab-sized candidate array,
 * per-id history counts and the history ring; sampler_sample() allocates
 * nothing (sorting is an in-place heap sort, not qsort, which may
 * malloc).
 *
 * Numbers: NaN logits are treated as -inf (never drawn).  +inf logits are
 * allowed: the softmax gives every candidate equal to the maximum weight 1
 * (so inf - inf is never computed) and everything else exp(l - max).  If
 * every logit is -inf, all candidates weigh the same.  Parameters are
 * clamped at creation so that no step can produce a NaN.
 *
 * Randomness: xoshiro256** seeded through splitmix64; the draw is an
 * inverse CDF over the unnormalised weights.  We do not reproduce
 * llama.cpp's random stream (std::discrete_distribution is
 * implementation-defined), only its distribution; the same seed, logits
 * and accepted tokens always give the same choices.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tokenizer.h"
#include "xmalloc.h"

#define SAMPLER_MAX_LAST_N	(1 << 20)

struct cand {
	int32_t	 id;
	float	 logit;
	float	 p;
};

struct sampler {
	struct sampler_params	 p;
	int			 n_vocab;
	struct cand		*cand;		/* [n_vocab] scratch */
	int32_t			*count;		/* [n_vocab] in the ring */
	int32_t			*ring;		/* [p.repeat_last_n] */
	size_t			 ring_n, ring_head;
	uint64_t		 seed;		/* in use */
	uint64_t		 s[4];		/* xoshiro256** state */
};

static uint64_t	 splitmix64(uint64_t *);
static uint64_t	 rng_next(struct sampler *);
static double	 rng_uniform(struct sampler *);
static uint64_t	 sampler_random_seed(void);
static void	 sampler_seed_rng(struct sampler *);
static int	 cand_better(const struct cand *, const struct cand *);
static void	 cand_sift(struct cand *, size_t, size_t);
static void	 cand_top(struct cand *, size_t, size_t);
static float	 cand_softmax(struct cand *, size_t);

void
sampler_params_default(struct sampler_params *p)
{
	memset(p, 0, sizeof *p);
	p->temp = 0.8f;
	p->top_k = 40;
	p->top_p = 0.95f;
	p->min_p = 0.05f;
	p->repeat_penalty = 1.0f;
	p->repeat_last_n = 64;
	p->freq_penalty = 0.0f;
	p->presence_penalty = 0.0f;
	p->seed = SAMPLER_SEED_RANDOM;
}

/* ---- random numbers --------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z;

	z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct sampler *sp)
{
	uint64_t	*s = sp->s, r, t;

	r = rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in [0, 1) with 53 random bits. */
static double
rng_uniform(struct sampler *sp)
{
	return (double)(rng_next(sp) >> 11) * (1.0 / 9007199254740992.0);
}

/* A seed from /dev/urandom, or the clock and pid if that fails. */
static uint64_t
sampler_random_seed(void)
{
	struct timespec	ts;
	uint64_t	v = 0, x;
	int		fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
			v = 0;
		close(fd);
	}
	if (v == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t)ts.tv_sec * 1000000000ULL +
		    (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 32);
		v = splitmix64(&x);
	}
	return v;
}

static void
sampler_seed_rng(struct sampler *sp)
{
	uint64_t	x;
	int		i;

	if (sp->p.seed == SAMPLER_SEED_RANDOM)
		sp->seed = sampler_random_seed();
	else
		sp->seed = sp->p.seed;
	x = sp->seed;
	for (i = 0; i < 4; i++)
		sp->s[i] = splitmix64(&x);
}

/* ---- life cycle ------------------------------------------------------- */

struct sampler *
sampler_create(const struct sampler_params *params, int n_vocab)
{
	struct sampler		*sp;
	struct sampler_params	*p;

	sp = xcalloc(1, sizeof *sp);
	sp->p = *params;
	p = &sp->p;
	if (!isfinite(p->temp))
		p->temp = 0.0f;
	if (isnan(p->top_p))
		p->top_p = 1.0f;
	if (isnan(p->min_p) || p->min_p < 0.0f)
		p->min_p = 0.0f;
	if (!isfinite(p->repeat_penalty) || p->repeat_penalty <= 0.0f)
		p->repeat_penalty = 1.0f;
	if (!isfinite(p->freq_penalty))
		p->freq_penalty = 0.0f;
	if (!isfinite(p->presence_penalty))
		p->presence_penalty = 0.0f;
	if (p->repeat_last_n < 0)
		p->repeat_last_n = 0;
	if (p->repeat_last_n > SAMPLER_MAX_LAST_N)
		p->repeat_last_n = SAMPLER_MAX_LAST_N;
	if (n_vocab < 1)
		n_vocab = 1;
	sp->n_vocab = n_vocab;
	sp->cand = xcalloc((size_t)n_vocab, sizeof *sp->cand);
	sp->count = xcalloc((size_t)n_vocab, sizeof *sp->count);
	if (p->repeat_last_n > 0)
		sp->ring = xcalloc((size_t)p->repeat_last_n, sizeof *sp->ring);
	sampler_seed_rng(sp);
	return sp;
}

void
sampler_free(struct sampler *sp)
{
	if (sp == NULL)
		return;
	free(sp->cand);
	free(sp->count);
	free(sp->ring);
	free(sp);
}

void
sampler_reset(struct sampler *sp)
{
	memset(sp->count, 0, (size_t)sp->n_vocab * sizeof *sp->count);
	sp->ring_n = sp->ring_head = 0;
	sampler_seed_rng(sp);
}

uint64_t
sampler_seed(const struct sampler *sp)
{
	return sp->seed;
}

/*
 * History for the penalties: a ring of the last repeat_last_n accepted
 * tokens with per-id counts (llama_sampler_penalties_accept).
 */
void
sampler_accept(struct sampler *sp, int32_t id)
{
	size_t	cap = (size_t)sp->p.repeat_last_n;
	int32_t	old;

	if (cap == 0 || id < 0 || id >= sp->n_vocab)
		return;
	if (sp->ring_n == cap) {
		old = sp->ring[sp->ring_head];
		sp->count[old]--;
		sp->ring[sp->ring_head] = id;
		sp->ring_head = (sp->ring_head + 1) % cap;
	} else {
		sp->ring[(sp->ring_head + sp->ring_n) % cap] = id;
		sp->ring_n++;
	}
	sp->count[id]++;
}

/* ---- candidates ------------------------------------------------------- */

/* Total order: higher logit first, then lower id. */
static int
cand_better(const struct cand *a, const struct cand *b)
{
	return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

/* Sift down in a heap whose root is the WORST element. */
static void
cand_sift(struct cand *c, size_t n, size_t i)
{
	size_t		l, r, w;
	struct cand	t;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		w = i;
		if (l < n && cand_better(&c[w], &c[l]))
			w = l;
		if (r < n && cand_better(&c[w], &c[r]))
			w = r;
		if (w == i)
			return;
		t = c[i];
		c[i] = c[w];
		c[w] = t;
		i = w;
	}
}

/*
 * Move the best k of c[0..n) to c[0..k), sorted best first (k <= n), in
 * O(n log k) without allocating.
 */
static void
cand_top(struct cand *c, size_t n, size_t k)
{
	size_t		i;
	struct cand	t;

	if (k == 0)
		return;
	for (i = k / 2; i-- > 0;)
		cand_sift(c, k, i);
	for (i = k; i < n; i++) {
		if (cand_better(&c[i], &c[0])) {
			t = c[0];
			c[0] = c[i];
			c[i] = t;
			cand_sift(c, k, 0);
		}
	}
	/* heap sort: the worst goes to the end each time */
	for (i = k; i-- > 1;) {
		t = c[0];
		c[0] = c[i];
		c[i] = t;
		cand_sift(c, i, 0);
	}
}

/*
 * p_i = exp(l_i - max) over c[0..n), not normalised; returns the sum.
 * Candidates equal to the maximum get exactly 1 (safe with +-inf).
 */
static float
cand_softmax(struct cand *c, size_t n)
{
	float	max = -INFINITY, sum = 0.0f;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (c[i].logit > max)
			max = c[i].logit;
	}
	for (i = 0; i < n; i++) {
		if (c[i].logit == max)
			c[i].p = 1.0f;
		else
			c[i].p = expf(c[i].logit - max);
		sum += c[i].p;
	}
	return sum;
}

/* ---- the chain -------------------------------------------------------- */

int32_t
sampler_sample(struct sampler *sp, float *logits)
{
	const struct sampler_params	*p = &sp->p;
	struct cand			*c = sp->cand;
	size_t				 n = (size_t)sp->n_vocab, i, k, keep;
	float				 sum, cum, min_logit, max_logit, l;
	double				 u;
	int				 sorted = 0, count, best;

	/* NaN -> -inf; penalties in place (the caller may read them). */
	for (i = 0; i < n; i++) {
		if (isnan(logits[i]))
			logits[i] = -INFINITY;
	}
	if (p->repeat_last_n > 0 && (p->repeat_penalty != 1.0f ||
	    p->freq_penalty != 0.0f || p->presence_penalty != 0.0f)) {
		for (i = 0; i < n; i++) {
			if ((count = sp->count[i]) == 0)
				continue;
			l = logits[i];
			if (l <= 0.0f)
				l *= p->repeat_penalty;
			else
				l /= p->repeat_penalty;
			l -= (float)count * p->freq_penalty +
			    p->presence_penalty;
			logits[i] = isnan(l) ? -INFINITY : l;
		}
	}

	/* Greedy: the first maximum, i.e. the lowest id among ties. */
	if (p->temp <= 0.0f) {
		best = 0;
		for (i = 1; i < n; i++) {
			if (logits[i] > logits[best])
				best = (int)i;
		}
		return best;
	}

	for (i = 0; i < n; i++) {
		c[i].id = (int32_t)i;
		c[i].logit = logits[i];
	}

	/* top-k */
	if (p->top_k > 0) {
		k = (size_t)p->top_k < n ? (size_t)p->top_k : n;
		cand_top(c, n, k);
		n = k;
		sorted = 1;
	}

	/* top-p: smallest prefix whose probability reaches p */
	if (p->top_p < 1.0f) {
		if (!sorted) {
			cand_top(c, n, n);
			sorted = 1;
		}
		sum = cand_softmax(c, n);
		cum = 0.0f;
		for (i = 0; i < n; i++) {
			cum += c[i].p / sum;
			if (cum >= p->top_p) {
				n = i + 1;
				break;
			}
		}
	}

	/* min-p: keep logit >= max + ln(p), always the top candidate */
	if (p->min_p > 0.0f && n > 0) {
		if (sorted) {
			min_logit = c[0].logit + logf(p->min_p);
			for (i = 1; i < n; i++) {
				if (c[i].logit < min_logit)
					break;
			}
			n = i;
		} else {
			max_logit = -INFINITY;
			for (i = 0; i < n; i++) {
				if (c[i].logit > max_logit)
					max_logit = c[i].logit;
			}
			min_logit = max_logit + logf(p->min_p);
			for (i = 0, keep = 0; i < n; i++) {
				if (c[i].logit >= min_logit)
					c[keep++] = c[i];
			}
			if (keep == 0) {	/* min_p > 1: the top one */
				for (i = 1, k = 0; i < n; i++) {
					if (cand_better(&c[i], &c[k]))
						k = i;
				}
				c[0] = c[k];
				keep = 1;
			}
			n = keep;
		}
	}

	/* temperature, then the draw */
	for (i = 0; i < n; i++)
		c[i].logit /= p->temp;
	sum = cand_softmax(c, n);
	u = rng_uniform(sp) * (double)sum;
	cum = 0.0f;
	best = -1;
	for (i = 0; i < n; i++) {
		if (c[i].p <= 0.0f)
			continue;
		best = (int)i;
		cum += c[i].p;
		if ((double)cum > u)
			break;
	}
	if (best < 0)
		best = 0;
	return c[best].id;
}
