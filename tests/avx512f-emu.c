/*
 * avx512f-emu.c -- engine/forward-avx512.c (the AVX-512 attention tile)
 * on SIMDe's emulation of AVX-512, as fwd_attn_tile_avx512_emu (see
 * avx512-emu.h): tests/test-attn runs it on any AVX2 CPU.
 */
#include "avx512-emu.h"

/*
 * SIMDe 0.7.4 has no _mm512_cvtph_ps: 16 f16 to f32 as two F16C
 * conversions of 8 (the same values; the conversion is exact) ...
 */
#undef _mm512_cvtph_ps
#define _mm512_cvtph_ps(h)						\
	simde_mm512_insertf32x8(simde_mm512_castps256_ps512(		\
	    _mm256_cvtph_ps(_mm256_castsi256_si128(h))),		\
	    _mm256_cvtph_ps(_mm256_extracti128_si256((h), 1)), 1)

/* nor a native alias of _mm512_shuffle_f32x4 */
#undef _mm512_shuffle_f32x4
#define _mm512_shuffle_f32x4(a, b, imm)					\
	simde_mm512_shuffle_f32x4(a, b, imm)

#define fwd_attn_tile_avx512 fwd_attn_tile_avx512_emu
#include "forward-avx512.c"
