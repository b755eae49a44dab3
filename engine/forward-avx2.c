/*
 * forward-avx2.c -- AVX2/F16C versions of the attention helpers of
 * forward.c (f16 K/V rows against f32 vectors).  Built with its own
 * target flags into libengine_avx2.a; forward.c calls them only when
 * cpu_level() >= CPU_AVX2.  Scalar tail loops handle head sizes that are
 * not a multiple of 8 (stories260K has 8, tinyllama-v0 has 4).
 */
#include <immintrin.h>

#include "model.h"
#include "quant.h"

/* Dot product of an f16 row and an f32 vector of n elements. */
float
fwd_dot_f16_avx2(const uint16_t *k, const float *q, int n)
{
	__m256	 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
	__m128	 h;
	float	 s;
	int	 i = 0;

	for (; i + 16 <= n; i += 16) {
		a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(
		    (const __m128i *)(k + i))), _mm256_loadu_ps(q + i), a0);
		a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(
		    (const __m128i *)(k + i + 8))), _mm256_loadu_ps(q + i + 8),
		    a1);
	}
	for (; i + 8 <= n; i += 8)
		a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(
		    (const __m128i *)(k + i))), _mm256_loadu_ps(q + i), a0);
	a0 = _mm256_add_ps(a0, a1);
	h = _mm_add_ps(_mm256_castps256_ps128(a0),
	    _mm256_extractf128_ps(a0, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_movehdup_ps(h));
	s = _mm_cvtss_f32(h);
	for (; i < n; i++)
		s += fp16_to_f32(k[i]) * q[i];
	return s;
}

/* y += a * v for an f16 row v of n elements. */
void
fwd_axpy_f16_avx2(float *y, float a, const uint16_t *v, int n)
{
	__m256	va = _mm256_set1_ps(a);
	int	i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_cvtph_ps(
		    _mm_loadu_si128((const __m128i *)(v + i))),
		    _mm256_loadu_ps(y + i)));
	for (; i < n; i++)
		y[i] += a * fp16_to_f32(v[i]);
}
