/*
 * forward-avx2.c -- AVX2/FMA/F16C versions of the attention tile and the
 * f32 -> f16 conversions of forward.c (model.h).  Built with its own
 * target flags into libengine_avx2.a; forward.c calls them only when
 * cpu_level() >= CPU_AVX2.
 *
 * The tile (struct fwd_tile) runs in three passes, each arranged so that
 * the result of one query is computed by the same instructions in the
 * same order whatever else is in its tile:
 *
 *  - scores: K rows are taken eight at a time (converted to f32 once
 *    into kbuf when several queries will read them) and each dot is
 *    summed in the order of ggml's f16 dot (dot4 below).  Rows a query
 *    does not see are computed and then ignored.
 *  - softmax: a vectorized exp (below) and a sum in double over eight
 *    lanes, the probabilities rounded to f16 as in the scalar path.
 *  - P.V: out[d] = fma(p[j], V[j][d], out[d]) for j in row order, which
 *    is the order of the old per-query axpy; the rows are taken in
 *    blocks that stay in L1 while four queries at a time (or one) pass
 *    over them, and a query stops at its own n.
 *
 * Head sizes that are not a multiple of 8 (stories260K has 8, but
 * tinyllama-v0 has 4) take the scalar tile.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "model.h"
#include "quant.h"

static __m128i	 cvt8(__m256);
static __m256	 exp8(__m256);
static __m128	 dot4_f32(const float *, const float *, int);
static __m128	 dot4_f16(const uint16_t *, const float *, int);
static void	 tile_scores(const struct fwd_tile *, int);
static void	 tile_pv4(const struct fwd_tile *, int, int, int);
static void	 tile_pv1(const struct fwd_tile *, int, int, int);

/*
 * Eight floats to f16, nearest-even, with f32_to_fp16's bits: F16C
 * agrees on every finite value, infinity and overflow (to infinity); a
 * NaN keeps only its sign and the quiet bit there, while F16C keeps the
 * top of the payload, so the payload is cleared.
 */
static __m128i
cvt8(__m256 x)
{
	__m256	 nan;
	__m128i	 h, m;

	h = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
	m = _mm_packs_epi32(_mm256_castsi256_si128(_mm256_castps_si256(nan)),
	    _mm256_extractf128_si256(_mm256_castps_si256(nan), 1));
	return _mm_andnot_si128(_mm_and_si128(m, _mm_set1_epi16(0x01FF)), h);
}

void
fwd_f16_store_avx2(uint16_t *dst, const float *src, int n)
{
	int	i = 0;

	for (; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *)(dst + i),
		    cvt8(_mm256_loadu_ps(src + i)));
	for (; i < n; i++)
		dst[i] = f32_to_fp16(src[i]);
}

void
fwd_f16_round_avx2(float *x, int n)
{
	int	i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(x + i, _mm256_cvtph_ps(cvt8(
		    _mm256_loadu_ps(x + i))));
	for (; i < n; i++)
		x[i] = fp16_to_f32(f32_to_fp16(x[i]));
}

/*
 * e^x for x <= 0 (the softmax's scores minus their maximum): x = n ln2 +
 * r with n = nearest(x / ln2) and ln2 split in two (Cody and Waite) so r
 * is exact, e^r by its Taylor series to degree 7 (|r| <= ln2 / 2, where
 * the first term left out is below 6e-9 relative), times 2^n built in
 * the exponent field.  Below -87.33 (e^x under FLT_MIN) the result is 0,
 * also for -inf; a NaN stays NaN.
 */
static __m256
exp8(__m256 x)
{
	__m256	 n, r, p;
	__m256i	 e;

	n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
	    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
	p = _mm256_set1_ps(1.0f / 5040.0f);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n),
	    _mm256_set1_epi32(127)), 23);
	p = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
	return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-87.33f),
	    _CMP_LT_OQ), p);
}

/*
 * The dots of four rows (stride hd) with q, in the order of ggml's AVX2
 * f16 dot, which is how llama.cpp computes q.K: per row four
 * accumulators over the 32-element steps, summed (s0 + s2) + (s1 + s3),
 * the lanes as ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)), and the
 * elements past the last whole step added one at a time in double.  Any
 * order is as exact, but on random-weight models with peaked attention
 * another one drifts further from the reference logits.  DOT4 makes the
 * f32 (kbuf) and the f16 (cache rows) version; both give the same bits.
 */
#define DOT4(NAME, T, LOAD, LOAD1)					\
static __m128								\
NAME(const T *k, const float *q, int hd)				\
{									\
	__m256	 x0, x1, x2, x3, y0, y1, y2, y3, a0, a1, a2, a3, qv; \
	__m128	 t0, t1, t2, t3, r;					\
	float	 s[4];							\
	double	 acc;							\
	int	 i, p, ja, jb, rr, np = hd & ~31;			\
									\
	a0 = a1 = a2 = a3 = _mm256_setzero_ps();			\
	for (p = 0; p < 2; p++) {					\
		ja = 8 * p;						\
		jb = 8 * (p + 2);					\
		x0 = x1 = x2 = x3 = _mm256_setzero_ps();		\
		y0 = y1 = y2 = y3 = _mm256_setzero_ps();		\
		for (i = 0; i < np; i += 32) {				\
			qv = _mm256_loadu_ps(q + i + ja);		\
			x0 = _mm256_fmadd_ps(LOAD(0, i + ja), qv, x0);	\
			x1 = _mm256_fmadd_ps(LOAD(1, i + ja), qv, x1);	\
			x2 = _mm256_fmadd_ps(LOAD(2, i + ja), qv, x2);	\
			x3 = _mm256_fmadd_ps(LOAD(3, i + ja), qv, x3);	\
			qv = _mm256_loadu_ps(q + i + jb);		\
			y0 = _mm256_fmadd_ps(LOAD(0, i + jb), qv, y0);	\
			y1 = _mm256_fmadd_ps(LOAD(1, i + jb), qv, y1);	\
			y2 = _mm256_fmadd_ps(LOAD(2, i + jb), qv, y2);	\
			y3 = _mm256_fmadd_ps(LOAD(3, i + jb), qv, y3);	\
		}							\
		a0 = _mm256_add_ps(a0, _mm256_add_ps(x0, y0));		\
		a1 = _mm256_add_ps(a1, _mm256_add_ps(x1, y1));		\
		a2 = _mm256_add_ps(a2, _mm256_add_ps(x2, y2));		\
		a3 = _mm256_add_ps(a3, _mm256_add_ps(x3, y3));		\
	}								\
	t0 = _mm_add_ps(_mm256_castps256_ps128(a0),			\
	    _mm256_extractf128_ps(a0, 1));				\
	t1 = _mm_add_ps(_mm256_castps256_ps128(a1),			\
	    _mm256_extractf128_ps(a1, 1));				\
	t2 = _mm_add_ps(_mm256_castps256_ps128(a2),			\
	    _mm256_extractf128_ps(a2, 1));				\
	t3 = _mm_add_ps(_mm256_castps256_ps128(a3),			\
	    _mm256_extractf128_ps(a3, 1));				\
	r = _mm_hadd_ps(_mm_hadd_ps(t0, t1), _mm_hadd_ps(t2, t3));	\
	if (np == hd)							\
		return r;						\
	_mm_storeu_ps(s, r);						\
	for (rr = 0; rr < 4; rr++) {					\
		acc = s[rr];						\
		for (i = np; i < hd; i++)				\
			acc += (double)(LOAD1(rr, i) * q[i]);		\
		s[rr] = (float)acc;					\
	}								\
	return _mm_loadu_ps(s);						\
}
#define K32(r, i)	_mm256_loadu_ps(k + (size_t)(r) * hd + (i))
#define K32_1(r, i)	k[(size_t)(r) * hd + (i)]
#define K16(r, i)	_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) \
			    (k + (size_t)(r) * hd + (i))))
#define K16_1(r, i)	fp16_to_f32(k[(size_t)(r) * hd + (i)])
DOT4(dot4_f32, float, K32, K32_1)
DOT4(dot4_f16, uint16_t, K16, K16_1)

/*
 * sc[i][j] = scale * q[i].K[j] for j < round8(nmax).  With one or two
 * queries the f16 rows are read directly (each once or twice); with
 * more, a group of eight rows is converted once into kbuf.  Both give
 * the same floats.  A last group that runs past nmax reads zeros from
 * kbuf instead of rows that may lie past the cache.
 */
static void
tile_scores(const struct fwd_tile *a, int nmax)
{
	const uint16_t	*kr;
	const float	*q;
	__m128		 lo, hi, sv;
	int		 hd = a->hd, i, j0, r, d, nr, direct;

	sv = _mm_set1_ps(a->scale);
	for (j0 = 0; j0 < nmax; j0 += 8) {
		kr = a->k + (size_t)j0 * hd;
		nr = nmax - j0 < 8 ? nmax - j0 : 8;
		direct = a->nq <= 2 && nr == 8;
		if (!direct) {
			for (r = 0; r < nr; r++)
				for (d = 0; d < hd; d += 8)
					_mm256_storeu_ps(a->kbuf +
					    (size_t)r * hd + d,
					    _mm256_cvtph_ps(_mm_loadu_si128(
					    (const __m128i *)(kr +
					    (size_t)r * hd + d))));
			if (nr < 8)
				memset(a->kbuf + (size_t)nr * hd, 0,
				    (size_t)(8 - nr) * hd * sizeof(float));
		}
		for (i = 0; i < a->nq; i++) {
			q = a->q[i];
			if (direct) {
				lo = dot4_f16(kr, q, hd);
				hi = dot4_f16(kr + 4 * (size_t)hd, q, hd);
			} else {
				lo = dot4_f32(a->kbuf, q, hd);
				hi = dot4_f32(a->kbuf + 4 * (size_t)hd, q, hd);
			}
			_mm_storeu_ps(a->sc + (size_t)i * a->ld + j0,
			    _mm_mul_ps(lo, sv));
			_mm_storeu_ps(a->sc + (size_t)i * a->ld + j0 + 4,
			    _mm_mul_ps(hi, sv));
		}
	}
}

/*
 * The scores sc[0..n) become probabilities rounded to f16: e^(s - max)
 * over their sum (in double).  The lanes past n up to the next multiple
 * of 8 are set to -inf first, so they add e^-inf = 0.
 */
void
fwd_softmax_avx2(float *sc, int n)
{
	__m256		 m, e;
	__m256d		 s0, s1;
	__m128		 h;
	__m128d		 hd;
	float		 mx, inv;
	int		 j, np = (n + 7) & ~7;

	for (j = n; j < np; j++)
		sc[j] = -INFINITY;
	m = _mm256_set1_ps(-INFINITY);
	for (j = 0; j < np; j += 8)
		m = _mm256_max_ps(m, _mm256_loadu_ps(sc + j));
	h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
	h = _mm_max_ps(h, _mm_movehl_ps(h, h));
	h = _mm_max_ss(h, _mm_movehdup_ps(h));
	mx = _mm_cvtss_f32(h);

	m = _mm256_set1_ps(mx);
	s0 = s1 = _mm256_setzero_pd();
	for (j = 0; j < np; j += 8) {
		e = exp8(_mm256_sub_ps(_mm256_loadu_ps(sc + j), m));
		_mm256_storeu_ps(sc + j, e);
		s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(
		    _mm256_castps256_ps128(e)));
		s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(
		    _mm256_extractf128_ps(e, 1)));
	}
	s0 = _mm256_add_pd(s0, s1);
	hd = _mm_add_pd(_mm256_castpd256_pd128(s0),
	    _mm256_extractf128_pd(s0, 1));
	hd = _mm_add_sd(hd, _mm_unpackhi_pd(hd, hd));
	inv = (float)(1.0 / _mm_cvtsd_f64(hd));

	m = _mm256_set1_ps(inv);
	for (j = 0; j < np; j += 8)
		_mm256_storeu_ps(sc + j, _mm256_cvtph_ps(cvt8(_mm256_mul_ps(
		    _mm256_loadu_ps(sc + j), m))));
}

#define PV_CVT(j, dd)	_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) \
			    (a->v + (size_t)(j) * hd + (dd))))

/*
 * Rows j0..j1 of V into queries i..i+3 (all of which see them): for 16
 * dims at a time, 8 independent accumulators, each row converted once
 * for the four.
 */
static void
tile_pv4(const struct fwd_tile *a, int i, int j0, int j1)
{
	const float	*p0, *p1, *p2, *p3;
	float		*o0, *o1, *o2, *o3;
	__m256		 x0, x1, y0, y1, z0, z1, w0, w1, v0, v1, b;
	int		 hd = a->hd, j, d = 0;

	p0 = a->sc + (size_t)i * a->ld;
	p1 = p0 + a->ld;
	p2 = p1 + a->ld;
	p3 = p2 + a->ld;
	o0 = a->out[i];
	o1 = a->out[i + 1];
	o2 = a->out[i + 2];
	o3 = a->out[i + 3];
	for (; d + 16 <= hd; d += 16) {
		x0 = _mm256_loadu_ps(o0 + d);
		x1 = _mm256_loadu_ps(o0 + d + 8);
		y0 = _mm256_loadu_ps(o1 + d);
		y1 = _mm256_loadu_ps(o1 + d + 8);
		z0 = _mm256_loadu_ps(o2 + d);
		z1 = _mm256_loadu_ps(o2 + d + 8);
		w0 = _mm256_loadu_ps(o3 + d);
		w1 = _mm256_loadu_ps(o3 + d + 8);
		for (j = j0; j < j1; j++) {
			v0 = PV_CVT(j, d);
			v1 = PV_CVT(j, d + 8);
			b = _mm256_broadcast_ss(p0 + j);
			x0 = _mm256_fmadd_ps(b, v0, x0);
			x1 = _mm256_fmadd_ps(b, v1, x1);
			b = _mm256_broadcast_ss(p1 + j);
			y0 = _mm256_fmadd_ps(b, v0, y0);
			y1 = _mm256_fmadd_ps(b, v1, y1);
			b = _mm256_broadcast_ss(p2 + j);
			z0 = _mm256_fmadd_ps(b, v0, z0);
			z1 = _mm256_fmadd_ps(b, v1, z1);
			b = _mm256_broadcast_ss(p3 + j);
			w0 = _mm256_fmadd_ps(b, v0, w0);
			w1 = _mm256_fmadd_ps(b, v1, w1);
		}
		_mm256_storeu_ps(o0 + d, x0);
		_mm256_storeu_ps(o0 + d + 8, x1);
		_mm256_storeu_ps(o1 + d, y0);
		_mm256_storeu_ps(o1 + d + 8, y1);
		_mm256_storeu_ps(o2 + d, z0);
		_mm256_storeu_ps(o2 + d + 8, z1);
		_mm256_storeu_ps(o3 + d, w0);
		_mm256_storeu_ps(o3 + d + 8, w1);
	}
	for (; d < hd; d += 8) {
		x0 = _mm256_loadu_ps(o0 + d);
		y0 = _mm256_loadu_ps(o1 + d);
		z0 = _mm256_loadu_ps(o2 + d);
		w0 = _mm256_loadu_ps(o3 + d);
		for (j = j0; j < j1; j++) {
			v0 = PV_CVT(j, d);
			x0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p0 + j), v0,
			    x0);
			y0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p1 + j), v0,
			    y0);
			z0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p2 + j), v0,
			    z0);
			w0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p3 + j), v0,
			    w0);
		}
		_mm256_storeu_ps(o0 + d, x0);
		_mm256_storeu_ps(o1 + d, y0);
		_mm256_storeu_ps(o2 + d, z0);
		_mm256_storeu_ps(o3 + d, w0);
	}
}

/*
 * Rows j0..j1 of V into query i alone: 64 dims (8 accumulators, enough
 * independent chains to hide the FMA latency) at a time, then 8.
 */
static void
tile_pv1(const struct fwd_tile *a, int i, int j0, int j1)
{
	const float	*p = a->sc + (size_t)i * a->ld;
	float		*o = a->out[i];
	__m256		 c[8], b;
	int		 hd = a->hd, j, d = 0, k;

	for (; d + 64 <= hd; d += 64) {
		for (k = 0; k < 8; k++)
			c[k] = _mm256_loadu_ps(o + d + 8 * k);
		for (j = j0; j < j1; j++) {
			b = _mm256_broadcast_ss(p + j);
			for (k = 0; k < 8; k++)
				c[k] = _mm256_fmadd_ps(b, PV_CVT(j, d + 8 * k),
				    c[k]);
		}
		for (k = 0; k < 8; k++)
			_mm256_storeu_ps(o + d + 8 * k, c[k]);
	}
	for (; d < hd; d += 8) {
		c[0] = _mm256_loadu_ps(o + d);
		for (j = j0; j < j1; j++)
			c[0] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j),
			    PV_CVT(j, d), c[0]);
		_mm256_storeu_ps(o + d, c[0]);
	}
}

void
fwd_attn_tile_avx2(const struct fwd_tile *a)
{
	int	nmin, nmax, i, jb, je, blk;

	if (a->hd % 8 != 0) {
		fwd_attn_tile(a);
		return;
	}
	fwd_tile_span(a, &nmin, &nmax);
	tile_scores(a, nmax);
	for (i = 0; i < a->nq; i++) {
		fwd_softmax_avx2(a->sc + (size_t)i * a->ld, a->n[i]);
		memset(a->out[i], 0, (size_t)a->hd * sizeof(float));
	}
	/* Rows every query sees, in L1-sized blocks, then each one's rest. */
	blk = fwd_pv_rows(a->hd, 8);
	for (jb = 0; jb < nmin; jb += blk) {
		je = nmin - jb < blk ? nmin : jb + blk;
		for (i = 0; i + 4 <= a->nq; i += 4)
			tile_pv4(a, i, jb, je);
		for (; i < a->nq; i++)
			tile_pv1(a, i, jb, je);
	}
	for (i = 0; i < a->nq; i++)
		if (a->n[i] > nmin)
			tile_pv1(a, i, nmin, a->n[i]);
}
