/*
 * test-sampler.c -- sampling chain: greedy, seeded determinism, top-k /
 * top-p / min-p edge cases, repetition penalty arithmetic and ring,
 * NaN/inf safety, empirical distribution with a fixed seed.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "tokenizer.h"

#define NV	100

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NO_ALLOC_COUNT 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(MEDCHAT_ASAN)
#define NO_ALLOC_COUNT 1
#endif

#if defined(__GLIBC__) && !defined(NO_ALLOC_COUNT)
/*
 * Count allocations while sampling: sampler_sample() must not allocate.
 * glibc lets a program replace malloc and reach the real one through
 * __libc_*; sanitizer builds have their own allocator, so skip there.
 */
#define COUNT_ALLOCS 1
extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
static int	 counting, nalloc;

void *
malloc(size_t n)
{
	if (counting)
		nalloc++;
	return __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	if (counting)
		nalloc++;
	return __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	if (counting)
		nalloc++;
	return __libc_realloc(p, n);
}
#endif

static struct sampler *
mk(float temp, int top_k, float top_p, float min_p, uint64_t seed)
{
	struct sampler_params	p;

	sampler_params_default(&p);
	p.temp = temp;
	p.top_k = top_k;
	p.top_p = top_p;
	p.min_p = min_p;
	p.seed = seed;
	return sampler_create(&p, NV);
}

static void
fill(float *l, float v)
{
	int	i;

	for (i = 0; i < NV; i++)
		l[i] = v;
}

/*
 * Draw n times from logits that are -inf but for l[a] = la and l[b] = lb;
 * seen[id] counts the draws of each id.
 */
static void
draw_two(struct sampler *s, int n, int a, float la, int b, float lb,
    int *seen)
{
	float	l[NV];
	int	i;

	memset(seen, 0, NV * sizeof *seen);
	for (i = 0; i < n; i++) {
		fill(l, -INFINITY);
		l[a] = la;
		l[b] = lb;
		seen[sampler_sample(s, l)]++;
	}
}

static void
test_defaults(void)
{
	struct sampler_params	p;
	struct sampler		*a, *b;

	sampler_params_default(&p);
	test_cond(p.temp == 0.8f && p.top_k == 40 && p.top_p == 0.95f &&
	    p.min_p == 0.05f && p.repeat_penalty == 1.0f &&
	    p.repeat_last_n == 64 && p.freq_penalty == 0.0f &&
	    p.presence_penalty == 0.0f && p.seed == SAMPLER_SEED_RANDOM,
	    "defaults are llama.cpp's common defaults");
	a = sampler_create(&p, NV);
	b = sampler_create(&p, NV);
	test_cond(sampler_seed(a) != SAMPLER_SEED_RANDOM &&
	    sampler_seed(a) != sampler_seed(b),
	    "random seed drawn per sampler and reported");
	sampler_free(a);
	sampler_free(b);
}

static void
test_greedy(void)
{
	struct sampler	*s;
	float		 l[NV];
	int		 i, ok = 1;

	s = mk(0.0f, 40, 0.95f, 0.05f, 1);
	for (i = 0; i < NV; i++)
		l[i] = (float)((i * 37) % NV) / 10.0f;	/* max at i: 37i%100=99 */
	test_cond(sampler_sample(s, l) == 27, "greedy returns the argmax");
	fill(l, 1.0f);
	l[5] = 3.0f;
	l[70] = 3.0f;
	test_cond(sampler_sample(s, l) == 5, "greedy ties go to the lowest id");
	for (i = 0; i < 50; i++) {
		fill(l, 0.0f);
		l[(i * 7) % NV] = 1.0f;
		if (sampler_sample(s, l) != (i * 7) % NV)
			ok = 0;
	}
	test_cond(ok, "greedy is argmax every step");
	sampler_free(s);

	s = mk(-1.0f, 0, 1.0f, 0.0f, 1);
	fill(l, -INFINITY);
	l[42] = -1e30f;
	test_cond(sampler_sample(s, l) == 42, "temp < 0 is greedy, -inf "
	    "never beats a finite logit");
	sampler_free(s);
}

static void
test_determinism(void)
{
	struct sampler	*a, *b, *c;
	float		 l[NV], l2[NV];
	int		 i, j, same = 1, differ = 0, first[64];

	a = mk(1.0f, 0, 1.0f, 0.0f, 1234);
	b = mk(1.0f, 0, 1.0f, 0.0f, 1234);
	c = mk(1.0f, 0, 1.0f, 0.0f, 4321);
	for (i = 0; i < 64; i++) {
		for (j = 0; j < NV; j++)
			l[j] = (float)sin((double)(i * NV + j));
		memcpy(l2, l, sizeof l);
		first[i] = sampler_sample(a, l);
		if (first[i] != sampler_sample(b, l2))
			same = 0;
		memcpy(l2, l, sizeof l);
		if (sampler_sample(c, l2) != first[i])
			differ = 1;
	}
	test_cond(same, "same seed gives the same tokens");
	test_cond(differ, "another seed gives other tokens");
	sampler_reset(a);
	same = 1;
	for (i = 0; i < 64; i++) {
		for (j = 0; j < NV; j++)
			l[j] = (float)sin((double)(i * NV + j));
		if (sampler_sample(a, l) != first[i])
			same = 0;
	}
	test_cond(same, "reset reseeds: the sequence repeats");
	sampler_free(a);
	sampler_free(b);
	sampler_free(c);
}

static void
test_truncation(void)
{
	struct sampler	*s;
	float		 l[NV];
	int		 i, id, ok, seen[NV];

	/* k = 1 with temperature: always the argmax */
	s = mk(1.5f, 1, 1.0f, 0.0f, 7);
	ok = 1;
	for (i = 0; i < 200; i++) {
		fill(l, 0.0f);
		l[17] = 0.1f;
		if (sampler_sample(s, l) != 17)
			ok = 0;
	}
	test_cond(ok, "top_k = 1 always picks the argmax");
	sampler_free(s);

	/* k > n, p = 1, min_p = 0, equal logits: every id reachable */
	s = mk(1.0f, 1000, 1.0f, 0.0f, 7);
	memset(seen, 0, sizeof seen);
	ok = 1;
	for (i = 0; i < 5000; i++) {
		fill(l, 0.25f);
		id = sampler_sample(s, l);
		if (id < 0 || id >= NV)
			ok = 0;
		else
			seen[id]++;
	}
	for (i = 0; i < NV; i++) {
		if (seen[i] == 0)
			ok = 0;
	}
	test_cond(ok, "top_k > n_vocab with equal logits: all ids drawn");
	sampler_free(s);

	/* top_k = 3 over equal logits keeps the three lowest ids */
	s = mk(1.0f, 3, 1.0f, 0.0f, 9);
	ok = 1;
	for (i = 0; i < 300; i++) {
		fill(l, 2.0f);
		if (sampler_sample(s, l) > 2)
			ok = 0;
	}
	test_cond(ok, "top_k ties keep the lowest ids (deterministic)");
	sampler_free(s);

	/* top_p: p(0) = 0.6, p(1) = 0.4: p = 0.5 keeps only id 0 */
	s = mk(1.0f, 0, 0.5f, 0.0f, 3);
	draw_two(s, 300, 0, logf(0.6f), 1, logf(0.4f), seen);
	test_cond(seen[0] == 300, "top_p cuts at the first prefix reaching p");
	sampler_free(s);
	/* p = 0.95 keeps both; both get drawn */
	s = mk(1.0f, 0, 0.95f, 0.0f, 3);
	draw_two(s, 300, 0, logf(0.6f), 1, logf(0.4f), seen);
	test_cond(seen[0] > 0 && seen[1] > 0 && seen[0] + seen[1] == 300,
	    "top_p = 0.95 keeps both tokens, never a -inf one");
	sampler_free(s);

	/* min_p: p(1)/p(0) = 0.04 < 0.05 is cut, 0.06 is kept */
	s = mk(1.0f, 0, 1.0f, 0.05f, 5);
	draw_two(s, 300, 3, 0.0f, 4, logf(0.04f), seen);
	test_cond(seen[3] == 300,
	    "min_p removes tokens below p * p_max (unsorted path)");
	sampler_free(s);
	s = mk(1.0f, 40, 1.0f, 0.05f, 5);
	draw_two(s, 2000, 3, 0.0f, 4, logf(0.06f), seen);
	test_cond(seen[4] > 0 && seen[3] + seen[4] == 2000,
	    "min_p keeps tokens above p * p_max (sorted path)");
	sampler_free(s);
	/* min_p > 1 still keeps the top token */
	s = mk(1.0f, 0, 1.0f, 5.0f, 5);
	fill(l, 0.0f);
	l[9] = 1.0f;
	test_cond(sampler_sample(s, l) == 9, "min_p > 1 keeps the top token");
	sampler_free(s);
}

static void
test_nonfinite(void)
{
	struct sampler	*s;
	float		 l[NV];
	int		 i, id, ok;

	s = mk(0.8f, 40, 0.95f, 0.05f, 11);
	ok = 1;
	for (i = 0; i < 200; i++) {
		fill(l, NAN);
		l[i % NV] = 1.0f;
		l[(i + 1) % NV] = 0.9f;
		id = sampler_sample(s, l);
		if (id != i % NV && id != (i + 1) % NV)
			ok = 0;
	}
	test_cond(ok, "NaN logits are never drawn");
	fill(l, NAN);
	id = sampler_sample(s, l);
	test_cond(id >= 0 && id < NV, "all-NaN logits still give a valid id");
	fill(l, -INFINITY);
	id = sampler_sample(s, l);
	test_cond(id >= 0 && id < NV, "all -inf logits give a valid id");
	fill(l, 3.0f);
	l[66] = INFINITY;
	test_cond(sampler_sample(s, l) == 66, "+inf logit always wins");
	fill(l, 3.0f);
	l[10] = INFINITY;
	l[20] = INFINITY;
	ok = 1;
	for (i = 0; i < 100; i++) {
		fill(l, 3.0f);
		l[10] = INFINITY;
		l[20] = INFINITY;
		id = sampler_sample(s, l);
		if (id != 10 && id != 20)
			ok = 0;
	}
	test_cond(ok, "two +inf logits share the draw, no NaN");
	sampler_free(s);

	/* absurd parameters are clamped */
	{
		struct sampler_params	p;

		sampler_params_default(&p);
		p.temp = NAN;
		p.top_p = NAN;
		p.min_p = NAN;
		p.repeat_penalty = 0.0f;
		p.repeat_last_n = -1;
		p.seed = 1;
		s = sampler_create(&p, NV);
		fill(l, 0.0f);
		l[12] = 2.0f;
		sampler_accept(s, 12);
		test_cond(sampler_sample(s, l) == 12 && l[12] == 2.0f,
		    "NaN temp is greedy, penalty 0 is off, last_n -1 is off");
		sampler_free(s);
	}
}

/* The default parameters, greedy (temp 0) with seed 1. */
static void
greedy_params(struct sampler_params *p)
{
	sampler_params_default(p);
	p->temp = 0.0f;
	p->seed = 1;
}

static void
test_penalties(void)
{
	struct sampler_params	 p;
	struct sampler		*s;
	float			 l[NV];
	int			 i;

	greedy_params(&p);
	p.repeat_penalty = 2.0f;
	p.repeat_last_n = 3;
	s = sampler_create(&p, NV);
	sampler_accept(s, 0);
	sampler_accept(s, 1);
	sampler_accept(s, 1);
	fill(l, 0.0f);
	l[0] = 2.0f;
	l[1] = -1.0f;
	l[2] = 0.5f;
	(void)sampler_sample(s, l);
	test_cond(l[0] == 1.0f && l[1] == -2.0f && l[2] == 0.5f,
	    "repeat penalty divides positive, multiplies negative logits");
	sampler_accept(s, 2);	/* ring holds 1 1 2: id 0 drops out */
	sampler_accept(s, 5);	/* ring holds 1 2 5 */
	fill(l, 0.0f);
	l[0] = 2.0f;
	l[1] = 4.0f;
	l[2] = 3.0f;
	l[5] = -3.0f;
	test_cond(sampler_sample(s, l) == 0 && l[0] == 2.0f && l[1] == 2.0f &&
	    l[2] == 1.5f && l[5] == -6.0f,
	    "penalty window is the last repeat_last_n tokens");
	sampler_reset(s);
	fill(l, 0.0f);
	l[1] = 4.0f;
	test_cond(sampler_sample(s, l) == 1 && l[1] == 4.0f,
	    "reset forgets the history");
	sampler_free(s);

	greedy_params(&p);
	p.freq_penalty = 0.5f;
	p.presence_penalty = 0.25f;
	s = sampler_create(&p, NV);
	for (i = 0; i < 3; i++)
		sampler_accept(s, 7);
	sampler_accept(s, -4);		/* ignored */
	sampler_accept(s, NV + 10);	/* ignored */
	fill(l, 0.0f);
	l[7] = 3.0f;
	(void)sampler_sample(s, l);
	test_cond(l[7] == 3.0f - 3 * 0.5f - 0.25f,
	    "frequency and presence penalties subtract count*f + p");
	sampler_free(s);
}

static void
test_distribution(void)
{
	struct sampler	*s;
	float		 l[NV];
	int		 i, n0 = 0, n1 = 0, n2 = 0;

	/* temp 1, no truncation: frequencies follow the softmax */
	s = mk(1.0f, 0, 1.0f, 0.0f, 2024);
	for (i = 0; i < 20000; i++) {
		fill(l, -INFINITY);
		l[0] = logf(0.7f);
		l[1] = logf(0.2f);
		l[2] = logf(0.1f);
		switch (sampler_sample(s, l)) {
		case 0:
			n0++;
			break;
		case 1:
			n1++;
			break;
		case 2:
			n2++;
			break;
		}
	}
	test_condf(n0 > 13600 && n0 < 14400 && n1 > 3700 && n1 < 4300 &&
	    n2 > 1750 && n2 < 2250 && n0 + n1 + n2 == 20000,
	    "draw frequencies follow the softmax (%d %d %d of 20000)", n0, n1,
	    n2);
	sampler_free(s);

	/* temp 0.5 sharpens: p ~ (0.7^2, 0.2^2, 0.1^2) normalised */
	s = mk(0.5f, 0, 1.0f, 0.0f, 2025);
	n0 = 0;
	for (i = 0; i < 20000; i++) {
		fill(l, -INFINITY);
		l[0] = logf(0.7f);
		l[1] = logf(0.2f);
		l[2] = logf(0.1f);
		if (sampler_sample(s, l) == 0)
			n0++;
	}
	/* 0.49 / 0.54 = 0.907 */
	test_condf(n0 > 17800 && n0 < 18500, "temperature 0.5 sharpens "
	    "(%d of 20000 for the top token)", n0);
	sampler_free(s);
}

static void
test_noalloc(void)
{
#ifdef COUNT_ALLOCS
	struct sampler	*s[4];
	float		 l[NV];
	int		 i, j;

	s[0] = mk(0.8f, 40, 0.95f, 0.05f, 1);
	s[1] = mk(0.8f, 0, 0.9f, 0.05f, 1);	/* full sort */
	s[2] = mk(1.0f, 0, 1.0f, 0.1f, 1);	/* unsorted min_p */
	s[3] = mk(0.0f, 40, 0.95f, 0.05f, 1);	/* greedy */
	for (j = 0; j < 4; j++)
		sampler_accept(s[j], 3);
	counting = 1;
	nalloc = 0;
	for (i = 0; i < 50; i++) {
		for (j = 0; j < 4; j++) {
			fill(l, 0.0f);
			l[(i * 13) % NV] = 2.0f;
			l[(i * 7) % NV] = 1.5f;
			(void)sampler_sample(s[j], l);
			sampler_accept(s[j], i % NV);
		}
	}
	counting = 0;
	test_condf(nalloc == 0, "sampler_sample and sampler_accept do not "
	    "allocate (%d allocations)", nalloc);
	for (j = 0; j < 4; j++)
		sampler_free(s[j]);
#else
	test_skip("sampler_sample does not allocate", "allocation counting "
	    "needs glibc without sanitizers");
#endif
}

int
main(void)
{
	test_noalloc();
	test_defaults();
	test_greedy();
	test_determinism();
	test_truncation();
	test_nonfinite();
	test_penalties();
	test_distribution();
	return test_report();
}
