/*
 * simd-neon.h -- the helpers of the aarch64 Advanced SIMD kernels
 * (kernels-neon.c, compiled once per level): horizontal sums in the
 * reference order, f16 loads, the 8-lane integer dot product of a
 * 32-element group and the K-quant scale unpacking.  Engine-internal.
 *
 * Every function is static inline and always inlined, so each level's
 * library compiles its own copy with its own -march flags.  The float
 * sums are in the order of the scalar reference (quant.c, quant-ref.h:
 * hsum8), so the kernels stay bit-identical to it: change nothing here
 * without running tests/test-quant on every level (tests/cross-aarch64.sh).
 */
#ifndef SIMD_NEON_H
#define SIMD_NEON_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "simd-neon.h is private to engine/: other layers include engine.h"
#endif

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"

#define AI static inline __attribute__((always_inline))

#if defined(KERNELS_DOTPROD) || defined(KERNELS_I8MM)
#define NEON_SDOT 1
#endif

/* f16 bits -> float: exact (fcvt), as fp16_to_f32. */
AI float
h2f(uint16_t h)
{
	return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(
	    vdup_n_u16(h))), 0);
}

/* Four f16 values at p (any alignment) -> floats. */
AI float32x4_t
h2f4(const uint16_t *p)
{
	return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}

/*
 * ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), as quant.c's hsum8,
 * of lanes 0..3 in lo and 4..7 in hi.
 */
AI float
hsum8(float32x4_t lo, float32x4_t hi)
{
	float32x4_t	s = vaddq_f32(lo, hi);
	float32x2_t	t = vadd_f32(vget_low_f32(s), vget_high_f32(s));

	return vget_lane_f32(t, 0) + vget_lane_f32(t, 1);
}

/* (l0 + l2) + (l1 + l3) */
AI float
hsum4(float32x4_t v)
{
	float32x2_t	t = vadd_f32(vget_low_f32(v), vget_high_f32(v));

	return vget_lane_f32(t, 0) + vget_lane_f32(t, 1);
}

/*
 * acc lane k + the sum of a[4k..4k+3] * b[4k..4k+3]: the reference's
 * lane of four consecutive elements.  sdot computes exactly that; the
 * ARMv8.0 form multiplies into int16 (a product of two int8 fits) and
 * adds pairs twice.  Integer sums: exact in any order.
 */
AI int32x4_t
dot16(int32x4_t acc, int8x16_t a, int8x16_t b)
{
#ifdef NEON_SDOT
	return vdotq_s32(acc, a, b);
#else
	int16x8_t	lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
	int16x8_t	hi = vmull_high_s8(a, b);

	return vaddq_s32(acc, vpaddq_s32(vpaddlq_s16(lo), vpaddlq_s16(hi)));
#endif
}

/* The sum of all products of two 32-byte groups (a whole block). */
AI int
dot32i(int8x16_t q0, int8x16_t q1, const int8_t *a0, const int8_t *a1)
{
	return vaddvq_s32(dot16(dot16(vdupq_n_s32(0), q0, vld1q_s8(a0)), q1,
	    vld1q_s8(a1)));
}

/*
 * Lanes m = 0..3 (*l0) and 4..7 (*l1) of s[2m] b[2m] + s[2m+1] b[2m+1]:
 * sub-block scales (or mins) s times the Q8_K bsums b, 16 of each.
 */
AI void
lanes_sb(int16x8_t s0, int16x8_t s1, const int16_t *bs, int32x4_t *l0,
    int32x4_t *l1)
{
	int16x8_t	b0 = vld1q_s16(bs), b1 = vld1q_s16(bs + 8);

	*l0 = vpaddq_s32(vmull_s16(vget_low_s16(s0), vget_low_s16(b0)),
	    vmull_high_s16(s0, b0));
	*l1 = vpaddq_s32(vmull_s16(vget_low_s16(s1), vget_low_s16(b1)),
	    vmull_high_s16(s1, b1));
}

/* 16 bits of h -> 16 bytes, val where bit e (byte e) is set, else 0. */
AI uint8x16_t
bits16(uint32_t h, uint8_t val)
{
	static const uint8_t	m[16] = { 1, 2, 4, 8, 16, 32, 64, 128,
	    1, 2, 4, 8, 16, 32, 64, 128 };
	uint8x16_t		v = vcombine_u8(vdup_n_u8(h & 0xFF),
	    vdup_n_u8((h >> 8) & 0xFF));

	return vandq_u8(vtstq_u8(v, vld1q_u8(m)), vdupq_n_u8(val));
}

AI uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Scale and min of sub-block j (0..7) of a Q4_K / Q5_K super-block. */
AI void
k4_scale_min(const uint8_t *q, uint8_t *sc, uint8_t *mn)
{
	int	j;

	for (j = 0; j < 4; j++) {
		sc[j] = q[j] & 63;
		mn[j] = q[j + 4] & 63;
	}
	for (j = 4; j < 8; j++) {
		sc[j] = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
		mn[j] = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
	}
}

/* The 16 signed six-bit Q3_K scales (-32..31). */
AI void
k3_scales(const uint8_t *s, int8_t *out)
{
	int	i, lo, hi;

	for (i = 0; i < 16; i++) {
		lo = i < 8 ? s[i] & 0xF : s[i - 8] >> 4;
		hi = (s[8 + (i % 4)] >> (2 * (i / 4))) & 3;
		out[i] = (int8_t)((lo | hi << 4) - 32);
	}
}

#endif
