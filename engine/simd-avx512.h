/*
 * simd-avx512.h -- what the AVX-512 kernel files (kernels-avx512.c,
 * kernels-avx512-tile.c) share.  Engine-internal.  Like simd-x86.h, every
 * function is always inlined, so each file compiles its own copy with its
 * own flags (plain AVX-512 or VNNI: KERNELS_VNNI), and the files are also
 * compiled against SIMDe's emulation (tests/avx512-emu.c), so nothing
 * here may assume a real register.
 */
#ifndef SIMD_AVX512_H
#define SIMD_AVX512_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "simd-avx512.h is private to engine/: other layers include engine.h"
#endif

#include <immintrin.h>

#include "simd-x86.h"

/*
 * acc + the products of unsigned codes q and the 64 int8 activations a,
 * pairs of pairs weighted by the int16 scales sc, as 16 int32 (lane j:
 * bytes 4j..4j+3).
 */
AI __m512i
kdotv(__m512i acc, __m512i q, __m512i a, __m512i sc)
{
	__m512i	p = _mm512_maddubs_epi16(q, a);

#ifdef KERNELS_VNNI
	return _mm512_dpwssd_epi32(acc, p, sc);
#else
	return _mm512_add_epi32(acc, _mm512_madd_epi16(p, sc));
#endif
}

/* kdotv with the activations at a. */
AI __m512i
kdot(__m512i acc, __m512i q, const int8_t *a, __m512i sc)
{
	return kdotv(acc, q, _mm512_loadu_si512(a), sc);
}

/* int32 -> float per element, rounded as a C (float) cast. */
AI __m512
cvt16(__m512i v)
{
#ifdef __AVX512F__
	return _mm512_cvtepi32_ps(v);
#else
	/* SIMDe 0.7.4 has no _mm512_cvtepi32_ps; the same per element */
	return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(
	    _mm256_castps_pd(_mm256_cvtepi32_ps(_mm512_castsi512_si256(v)))),
	    _mm256_castps_pd(_mm256_cvtepi32_ps(_mm512_extracti64x4_epi64(v,
	    1))), 1));
#endif
}

#endif
