/*
 * test-attn.c -- the attention helpers of the forward pass (model.h).
 *
 *  - the AVX2 (or NEON) f32 -> f16 conversions (K/V store, q rounding) give
 *    f32_to_fp16's bits for every f16 value, the midpoints between
 *    neighbours and one ulp either side of both, the overflow boundary,
 *    f32 subnormals, infinities, NaNs with payloads, and random floats
 *    of every exponent;
 *  - at every level, a query's attention result in a tile of 2..8
 *    queries (different row counts, unsorted) is bit-identical to the
 *    query alone, for head sizes on and off the SIMD step;
 *  - the scalar tile agrees with a naive attention in double, and the
 *    AVX2 (NEON) tile with the scalar one within f16 rounding;
 *  - the AVX-512 tile, natively where the CPU has AVX-512 and on SIMDe's
 *    emulation on any AVX2 CPU: its tiles of 3..8 queries run its own
 *    code and must equal the queries alone, which the AVX2 tile runs.
 *
 * On aarch64 it runs under qemu through tests/cross-aarch64.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model.h"
#include "quant.h"
#include "testhelp.h"
#include "xmalloc.h"

#ifdef HAVE_SIMDE
/* engine/forward-avx512.c on SIMDe's AVX-512 (tests/avx512f-emu.c) */
void	fwd_attn_tile_avx512_emu(const struct fwd_tile *);
#endif

typedef void	(*tile_fn)(const struct fwd_tile *);
typedef void	(*store_fn)(uint16_t *, const float *, int);
typedef void	(*round_fn)(float *, int);

#define NROWS	77

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Uniform in [-1, 1). */
static float
rndf(void)
{
	return (float)(rnd32() & 0xFFFFFF) / 8388608.0f - 1.0f;
}

static float
bits_f(uint32_t b)
{
	float	f;

	memcpy(&f, &b, sizeof f);
	return f;
}

static void
add(float *v, size_t *n, float f)
{
	v[(*n)++] = f;
}

#if defined(HAVE_X86_SIMD) || defined(HAVE_NEON)
/* The values the conversions are checked on; returns how many. */
static size_t
conv_values(float *v)
{
	static const uint32_t	 special[] = {
		0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000,
		0xFFC00000, 0x7FC12345, 0x7F800001, 0xFF812345, 0x7FFFFFFF,
		0x00000001, 0x807FFFFF, 0x00400000, 0x7F7FFFFF, 0xFF7FFFFF,
		0x33000000, 0x33000001, 0x32FFFFFF, 0x33800000, 0xB3000001,
		0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000,
		0xC77FF000, 0x387FC000, 0x387FE000, 0x38800000
	};
	size_t			 n = 0, i;
	uint32_t		 h, b;
	float			 f, g, m;

	for (i = 0; i < sizeof special / sizeof special[0]; i++)
		add(v, &n, bits_f(special[i]));
	for (h = 0; h < 0x10000; h++) {
		if ((h & 0x7C00) == 0x7C00)
			continue;
		f = fp16_to_f32((uint16_t)h);
		add(v, &n, f);
		add(v, &n, nextafterf(f, INFINITY));
		add(v, &n, nextafterf(f, -INFINITY));
		/* The next f16 away from zero; past 65504 the boundary. */
		if ((h & 0x7FFF) == 0x7BFF)
			g = (h & 0x8000) ? -65536.0f : 65536.0f;
		else
			g = fp16_to_f32((uint16_t)(h + 1));
		m = (f + g) / 2.0f;	/* exact: f16 has 11 bits */
		add(v, &n, m);
		add(v, &n, nextafterf(m, INFINITY));
		add(v, &n, nextafterf(m, -INFINITY));
	}
	for (i = 0; i < 200000; i++)
		add(v, &n, bits_f(rnd32() ^ (rnd32() << 16)));
	for (i = 0; i < 200000; i++) {
		/* Sign, exponent 2^-30..2^17, any mantissa. */
		b = (rnd32() & 0x807FFFFF) | ((uint32_t)(97 + rnd32() % 48) <<
		    23);
		add(v, &n, bits_f(b));
	}
	return n;
}

static void
test_conversions(const char *name, store_fn store, round_fn round)
{
	float		*v, *r1, *r2;
	uint16_t	*h1, *h2;
	size_t		 n, i, bad;
	uint32_t	 b;

	v = xcalloc(6 * 65536 + 500000, sizeof *v);
	n = conv_values(v);
	/* An odd count, so the scalar tail runs too. */
	if (n % 8 == 0)
		n--;
	h1 = xcalloc(n, sizeof *h1);
	h2 = xcalloc(n, sizeof *h2);
	r1 = xcalloc(n, sizeof *r1);
	r2 = xcalloc(n, sizeof *r2);
	fwd_f16_store(h1, v, (int)n);
	store(h2, v, (int)n);
	for (i = 0; i < n; i++)
		if (h1[i] != f32_to_fp16(v[i]))
			break;
	test_condf(i == n, "scalar K/V store is f32_to_fp16 (%zu values)", n);
	bad = 0;
	for (i = 0; i < n; i++) {
		if (h1[i] != h2[i]) {
			if (bad++ == 0) {
				memcpy(&b, &v[i], sizeof b);
				test_diag("0x%08x: f32_to_fp16 0x%04x, %s "
				    "0x%04x", b, h1[i], name, h2[i]);
			}
		}
	}
	test_condf(bad == 0, "%s K/V store gives f32_to_fp16's bits "
	    "(%zu of %zu differ)", name, bad, n);
	memcpy(r1, v, n * sizeof *v);
	memcpy(r2, v, n * sizeof *v);
	fwd_f16_round(r1, (int)n);
	round(r2, (int)n);
	bad = 0;
	for (i = 0; i < n; i++)
		if (memcmp(&r1[i], &r2[i], sizeof r1[i]) != 0 ||
		    memcmp(&r1[i], &(float){ fp16_to_f32(h1[i]) },
		    sizeof r1[i]) != 0)
			bad++;
	test_condf(bad == 0, "%s q rounding gives the scalar bits "
	    "(%zu of %zu differ)", name, bad, n);
	free(v);
	free(h1);
	free(h2);
	free(r1);
	free(r2);
}
#endif

/* Naive attention of one query in double (the scalar tile's oracle). */
static void
naive(const uint16_t *k, const uint16_t *v, const float *q, int n, int hd,
    float *out)
{
	double	*s, mx, sum, d;
	int	 j, i;

	s = xcalloc(n, sizeof *s);
	mx = -INFINITY;
	for (j = 0; j < n; j++) {
		d = 0.0;
		for (i = 0; i < hd; i++)
			d += (double)fp16_to_f32(k[(size_t)j * hd + i]) * q[i];
		s[j] = d / sqrt((double)hd);
		if (s[j] > mx)
			mx = s[j];
	}
	sum = 0.0;
	for (j = 0; j < n; j++)
		sum += (s[j] = exp(s[j] - mx));
	for (i = 0; i < hd; i++) {
		d = 0.0;
		for (j = 0; j < n; j++)
			d += s[j] / sum * fp16_to_f32(v[(size_t)j * hd + i]);
		out[i] = (float)d;
	}
	free(s);
}

/*
 * Run the queries of qs with row counts ns through fn as one tile of nq;
 * results to out[i * hd].
 */
static void
run_tile(tile_fn fn, const uint16_t *k, const uint16_t *v, int hd,
    const float *qs, const int *ns, int nq, float *out)
{
	struct fwd_tile	 a;
	int		 i, mx = 0;

	memset(&a, 0, sizeof a);
	a.k = k;
	a.v = v;
	a.hd = hd;
	a.nq = nq;
	a.scale = 1.0f / sqrtf((float)hd);
	for (i = 0; i < nq; i++) {
		a.q[i] = qs + (size_t)i * hd;
		a.out[i] = out + (size_t)i * hd;
		a.n[i] = ns[i];
		if (ns[i] > mx)
			mx = ns[i];
	}
	a.ld = (mx + 7) & ~7;
	a.sc = xcalloc((size_t)FWD_TILE * a.ld, sizeof *a.sc);
	a.kbuf = xcalloc(8 * (size_t)hd, sizeof *a.kbuf);
	fn(&a);
	free(a.sc);
	free(a.kbuf);
}

/*
 * For head size hd: tiles of 1..8 queries against each query alone
 * (bitwise), the result against ref (the scalar tile, within tol) or,
 * for the scalar tile, against the naive oracle.
 */
static void
test_tile(const char *name, tile_fn fn, int hd, double tol)
{
	static const int ns[FWD_TILE] = { 77, 1, 40, 76, 9, 77, 64, 8 };
	uint16_t	*k, *v;
	float		*qs, *alone, *tile, *ref;
	double		 md = 0.0, mo = 0.0;
	int		 i, j, nq, same = 1;

	k = xcalloc((size_t)NROWS * hd, sizeof *k);
	v = xcalloc((size_t)NROWS * hd, sizeof *v);
	qs = xcalloc((size_t)FWD_TILE * hd, sizeof *qs);
	alone = xcalloc((size_t)FWD_TILE * hd, sizeof *alone);
	tile = xcalloc((size_t)FWD_TILE * hd, sizeof *tile);
	ref = xcalloc((size_t)hd, sizeof *ref);
	/* Some large keys, so the softmax is peaked for some queries. */
	for (i = 0; i < NROWS * hd; i++) {
		k[i] = f32_to_fp16(rndf() * (i % 97 == 0 ? 24.0f : 2.0f));
		v[i] = f32_to_fp16(rndf());
	}
	for (i = 0; i < FWD_TILE * hd; i++)
		qs[i] = fp16_to_f32(f32_to_fp16(rndf() * 2.0f));
	for (i = 0; i < FWD_TILE; i++)
		run_tile(fn, k, v, hd, qs + (size_t)i * hd, &ns[i], 1,
		    alone + (size_t)i * hd);
	for (nq = 2; nq <= FWD_TILE; nq++) {
		run_tile(fn, k, v, hd, qs, ns, nq, tile);
		if (memcmp(tile, alone, (size_t)nq * hd * sizeof *tile) != 0)
			same = 0;
	}
	test_condf(same, "%s hd %d: every query of a tile of 2..8 has its "
	    "bits alone", name, hd);
	for (i = 0; i < FWD_TILE; i++) {
		if (tol > 0)
			run_tile(fwd_attn_tile, k, v, hd, qs + (size_t)i * hd,
			    &ns[i], 1, ref);
		else
			naive(k, v, qs + (size_t)i * hd, ns[i], hd, ref);
		for (j = 0; j < hd; j++) {
			md = fmax(md, fabs(alone[(size_t)i * hd + j] -
			    ref[j]));
			mo = fmax(mo, fabs(ref[j]));
		}
	}
	if (tol > 0)
		test_condf(md <= tol, "%s hd %d: within %g of the scalar tile "
		    "(max diff %g)", name, hd, tol, md);
	else
		test_condf(md <= 2e-3 && mo > 0.01, "scalar hd %d: within "
		    "f16 rounding of attention in double (max diff %g)", hd,
		    md);
	free(k);
	free(v);
	free(qs);
	free(alone);
	free(tile);
	free(ref);
}

int
main(void)
{
	static const int hds[] = { 4, 8, 36, 40, 64, 96, 128 };
	char		*cause = NULL;
	size_t		 i;

	if (cpu_init(&cause) != 0) {
		test_diag("cpu_init: %s", cause);
		free(cause);
	}
	fwd_init();
	for (i = 0; i < sizeof hds / sizeof hds[0]; i++)
		test_tile("scalar", fwd_attn_tile, hds[i], 0.0);
#ifdef HAVE_X86_SIMD
	if (cpu_supports(CPU_AVX2)) {
		test_conversions("avx2", fwd_f16_store_avx2,
		    fwd_f16_round_avx2);
		for (i = 0; i < sizeof hds / sizeof hds[0]; i++)
			test_tile("avx2", fwd_attn_tile_avx2, hds[i], 2e-3);
	} else
		test_skip("avx2 attention", "this CPU lacks AVX2");
#ifdef HAVE_AVX512
	/*
	 * The AVX-512 tile passes 1- and 2-query tiles to the AVX2 one, so
	 * "has its bits alone" also says it equals the AVX2 tile.
	 */
	if (cpu_supports(CPU_AVX512)) {
		for (i = 0; i < sizeof hds / sizeof hds[0]; i++)
			test_tile("avx512", fwd_attn_tile_avx512, hds[i],
			    2e-3);
	} else
		test_skip("avx512 attention", "this CPU lacks AVX-512 "
		    "(the tile is the AVX2 tile's arithmetic lane for lane)");
#endif
#ifdef HAVE_SIMDE
	/* The same code on SIMDe's AVX-512, on any AVX2 CPU. */
	if (cpu_supports(CPU_AVX2)) {
		for (i = 0; i < sizeof hds / sizeof hds[0]; i++)
			test_tile("avx512 (emulated)", fwd_attn_tile_avx512_emu,
			    hds[i], 2e-3);
	} else
		test_skip("avx512 (emulated) attention", "this CPU lacks "
		    "AVX2, which the emulation and the tile's 1-2 query "
		    "path need");
#endif
#elif defined(HAVE_NEON)
	if (cpu_supports(CPU_NEON)) {
		test_conversions("neon", fwd_f16_store_neon,
		    fwd_f16_round_neon);
		for (i = 0; i < sizeof hds / sizeof hds[0]; i++)
			test_tile("neon", fwd_attn_tile_neon, hds[i], 2e-3);
	} else
		test_skip("neon attention", "this CPU lacks NEON");
#else
	test_skip("SIMD attention", "neither an x86-64 nor an aarch64 "
	    "SIMD build");
#endif
	return test_report();
}
