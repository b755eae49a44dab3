/*
 * simd-x86.h -- the helpers the x86 kernel files (kernels-avx2.c,
 * kernels-avx2-k.c, kernels-avx512.c, kernels-avx512-q.c) share:
 * horizontal sums, f16 conversion, the sums, scales and transpose of the
 * Q4_0/Q5_0/Q8_0 kernels, the K-quant scale unpacking and the Q4_K/Q5_K
 * super-block header and min term.  Engine-internal, included only by
 * those files.
 *
 * Every function is static inline and always inlined, so each kernel
 * file compiles its own copy with its own -m flags, and each uses only
 * AVX2, FMA and F16C intrinsics (the AVX2 library is built without
 * AVX-512, and the AVX-512 file is also compiled under SIMDe emulation
 * with AVX2 flags only, tests/avx512-emu.c).  The float sums are in the
 * order the scalar reference uses (quant.c, quant-ref.h: hsum8), so the
 * kernels stay bit-identical to it: change nothing here without
 * tests/test-quant and tests/test-avx512-emu.
 */
#ifndef SIMD_X86_H
#define SIMD_X86_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "simd-x86.h is private to engine/: other layers include engine.h"
#endif

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"

#define AI static inline __attribute__((always_inline))

/* ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), as quant.c's hsum8. */
AI float
hsum8(__m256 x)
{
	__m128	r = _mm_add_ps(_mm256_extractf128_ps(x, 1),
	    _mm256_castps256_ps128(x));

	r = _mm_add_ps(r, _mm_movehl_ps(r, r));
	r = _mm_add_ss(r, _mm_movehdup_ps(r));
	return _mm_cvtss_f32(r);
}

/* (l0 + l2) + (l1 + l3) */
AI float
hsum4(__m128 r)
{
	r = _mm_add_ps(r, _mm_movehl_ps(r, r));
	r = _mm_add_ss(r, _mm_movehdup_ps(r));
	return _mm_cvtss_f32(r);
}

/* Sum of 4 int32 (exact, any order). */
AI int
hsum4i(__m128i r)
{
	r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0x4E));
	r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0xB1));
	return _mm_cvtsi128_si32(r);
}

AI float
h2f(uint16_t h)
{
	return _cvtsh_ss(h);
}

/* ---- Q4_0 / Q5_0 / Q8_0 (whole-block sums) ----------------------------- */

/* The f16 field at the start of 8 blocks sz bytes apart, as floats. */
AI __m256
p8_scales(const uint8_t *p, size_t sz)
{
	uint16_t	h[8];
	uint64_t	lo, hi;
	int		k;

	for (k = 0; k < 8; k++)
		memcpy(&h[k], p + k * sz, 2);
	/*
	 * Put together in general registers, which are idle here: inserting
	 * lane by lane (pinsrw) costs the vector units two uops a lane, and
	 * a 16-byte load of h would stall on the eight 2-byte stores.
	 */
	lo = h[0] | (uint64_t)h[1] << 16 | (uint64_t)h[2] << 32 |
	    (uint64_t)h[3] << 48;
	hi = h[4] | (uint64_t)h[5] << 16 | (uint64_t)h[6] << 32 |
	    (uint64_t)h[7] << 48;
	return _mm256_cvtph_ps(_mm_set_epi64x((long long)hi, (long long)lo));
}

/* [sum of v0's 8 lanes, ..., sum of v7's lanes] (exact int32) */
AI __m256i
hsum8x8i(const __m256i *v)
{
	__m256i	t0 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]),
	    _mm256_hadd_epi32(v[2], v[3]));
	__m256i	t1 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]),
	    _mm256_hadd_epi32(v[6], v[7]));

	/* t0: v0..v3's low-half sums, then their high-half sums */
	return _mm256_add_epi32(_mm256_permute2x128_si256(t0, t1, 0x20),
	    _mm256_permute2x128_si256(t0, t1, 0x31));
}

/* o[k] lane r = u[r]'s 32-bit element k (an 8 x 8 transpose). */
AI void
tr8x32(const __m256i *u, __m256i *o)
{
	__m256i	t[8], s[8];
	int	r, k;

	_Pragma("GCC unroll 4")
	for (r = 0; r < 8; r += 2) {
		t[r] = _mm256_unpacklo_epi32(u[r], u[r + 1]);
		t[r + 1] = _mm256_unpackhi_epi32(u[r], u[r + 1]);
	}
	_Pragma("GCC unroll 2")
	for (r = 0; r < 8; r += 4) {
		s[r] = _mm256_unpacklo_epi64(t[r], t[r + 2]);
		s[r + 1] = _mm256_unpackhi_epi64(t[r], t[r + 2]);
		s[r + 2] = _mm256_unpacklo_epi64(t[r + 1], t[r + 3]);
		s[r + 3] = _mm256_unpackhi_epi64(t[r + 1], t[r + 3]);
	}
	_Pragma("GCC unroll 4")
	for (k = 0; k < 4; k++) {
		o[k] = _mm256_permute2x128_si256(s[k], s[k + 4], 0x20);
		o[k + 4] = _mm256_permute2x128_si256(s[k], s[k + 4], 0x31);
	}
}

/*
 * The eight blocks' sums of unsigned code x activation from u[p] (block
 * 2p's four lane sums, then block 2p+1's), in block order.
 */
AI __m256i
p8_sums(const __m256i *u)
{
	/* [block 0 | 4], [1 | 5], [2 | 6], [3 | 7] */
	__m256i	v0 = _mm256_permute2x128_si256(u[0], u[2], 0x20);
	__m256i	v1 = _mm256_permute2x128_si256(u[0], u[2], 0x31);
	__m256i	v2 = _mm256_permute2x128_si256(u[1], u[3], 0x20);
	__m256i	v3 = _mm256_permute2x128_si256(u[1], u[3], 0x31);

	return _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1),
	    _mm256_hadd_epi32(v2, v3));
}

/* ---- K-quants --------------------------------------------------------- */

/* The 16 bsums (sums of 16 activation codes) of a Q8_K block. */
AI __m256i
load_bsums(const block_q8_K *a)
{
	return _mm256_loadu_si256((const __m256i *)a->bsums);
}

/*
 * Q4_K / Q5_K: the 8 six-bit scales and 8 six-bit mins packed in 12
 * bytes (docs/ENGINE.md, "Quant types"), as int16.
 */
AI void
k4_scales(const uint8_t *s12, __m128i *sc, __m128i *mn)
{
	uint32_t	u[3], s0, s1, m0, m1;

	memcpy(u, s12, 12);
	s0 = u[0] & 0x3F3F3F3F;
	m0 = u[1] & 0x3F3F3F3F;
	s1 = (u[2] & 0x0F0F0F0F) | ((u[0] >> 6) & 0x03030303) << 4;
	m1 = ((u[2] >> 4) & 0x0F0F0F0F) | ((u[1] >> 6) & 0x03030303) << 4;
	*sc = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)s1, (int)s0));
	*mn = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)m1, (int)m0));
}

/*
 * Q4_K (q5 == 0) / Q5_K super-block at blk: its d and dmin, its scales
 * and mins (k4_scales); returns its 128 bytes of nibbles.
 */
AI const uint8_t *
k45_head(const uint8_t *blk, int q5, float *d, float *dmin, __m128i *sc,
    __m128i *mn)
{
	if (q5) {
		const block_q5_K *b = (const block_q5_K *)blk;

		*d = h2f(b->d);
		*dmin = h2f(b->dmin);
		k4_scales(b->scales, sc, mn);
		return b->qs;
	} else {
		const block_q4_K *b = (const block_q4_K *)blk;

		*d = h2f(b->d);
		*dmin = h2f(b->dmin);
		k4_scales(b->scales, sc, mn);
		return b->qs;
	}
}

/* The 16 bsums of a Q8_K block added in pairs: one per 32 elements. */
AI __m128i
k45_bsums(__m256i bs)
{
	return _mm_hadd_epi16(_mm256_castsi256_si128(bs),
	    _mm256_extracti128_si256(bs, 1));
}

/*
 * Q4_K / Q5_K min term of one super-block for one column: the paired
 * bsums (k45_bsums) times the 8 mins, scaled by dmin and the
 * activations' d (yd).  Q5_K accumulates it in a scalar (*summ), Q4_K in
 * a vector (*accm), each as llama.cpp's AVX2 kernel does; k45_result
 * combines them with the lanes at the end.
 */
AI void
k45_min(__m128i bsp, __m128i mn, float yd, float dmin, int q5, float *summ,
    __m128 *accm)
{
	if (q5)
		*summ = fmaf(-(yd * dmin), (float)hsum4i(_mm_madd_epi16(mn,
		    bsp)), *summ);
	else
		*accm = _mm_fmadd_ps(_mm_set1_ps(dmin * yd),
		    _mm_cvtepi32_ps(_mm_madd_epi16(mn, bsp)), *accm);
}

AI float
k45_result(__m256 acc, float summ, __m128 accm, int q5)
{
	return q5 ? hsum8(acc) + summ : hsum8(acc) - hsum4(accm);
}

/* Q3_K: the 16 signed six-bit scales (-32..31) as int8. */
AI __m128i
q3k_scales8(const uint8_t *s12)
{
	uint32_t	a[3], v[4];

	memcpy(a, s12, 12);
	v[0] = (a[0] & 0x0F0F0F0F) | (a[2] & 0x03030303) << 4;
	v[1] = (a[1] & 0x0F0F0F0F) | ((a[2] >> 2) & 0x03030303) << 4;
	v[2] = ((a[0] >> 4) & 0x0F0F0F0F) | ((a[2] >> 4) & 0x03030303) << 4;
	v[3] = ((a[1] >> 4) & 0x0F0F0F0F) | ((a[2] >> 6) & 0x03030303) << 4;
	return _mm_sub_epi8(_mm_set_epi32((int)v[3], (int)v[2], (int)v[1],
	    (int)v[0]), _mm_set1_epi8(32));
}

#endif
