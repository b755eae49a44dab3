/*
 * kernels-neon.c -- aarch64 Advanced SIMD (NEON) kernels.
 *
 * This file is compiled three times (engine/engine.am), each into its
 * own library with its own -march flags, and cpu.c installs one of them
 * at run time (getauxval / sysctlbyname say which the CPU has):
 *   - plain: ARMv8.0 Advanced SIMD, which every aarch64 CPU has;
 *     installed by neon_install();
 *   - KERNELS_DOTPROD: the same kernels with sdot (ARMv8.2 dot product)
 *     for the 8-lane integer sums; neon_dotprod_install();
 *   - KERNELS_I8MM: sdot, plus smmla (int8 matrix multiply) for the
 *     prefill of Q4_0, Q5_0 and Q8_0; neon_i8mm_install().
 *
 * Every kernel is bit-identical to the scalar reference (quant.c,
 * quant-k.c; tests/test-quant checks it on every level, under qemu
 * through tests/cross-aarch64.sh): the reference splits each 32-element
 * group into eight lanes of four consecutive elements, which is exactly
 * what one sdot computes in the four int32 lanes of a 16-byte register
 * (dot16 in simd-neon.h), so lanes 0..3 and 4..7 live in two registers
 * and every float operation (the FMA per lane and super-block, hsum8)
 * is done in the reference's order.  The integer parts are exact in any
 * order.
 *
 * smmla sums eight products per output, two of the reference's lanes at
 * once, so it serves only the types whose block sum is one integer
 * (Q4_0, Q5_0, Q8_0: dot_phase8 in quant.c); the K-quants and Q4_1/Q5_1
 * keep their lanes of four apart and use sdot on the i8mm level too.
 *
 * As on x86, each dot product is an always-inlined function of the
 * number of activation columns nc (1..4) served from one pass over the
 * weight row: vec_dot is the nc = 1 instance, the gemm kernels use 4 (and
 * 1..3 for the remainder), and a column's arithmetic does not depend on
 * nc, so gemm results equal vec_dot's.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "simd-neon.h"
#include "kernels-nc.h"

#if defined(KERNELS_I8MM)
#define NEON_INSTALL	neon_i8mm_install
#elif defined(KERNELS_DOTPROD)
#define NEON_INSTALL	neon_dotprod_install
#else
#define NEON_INSTALL	neon_install
#endif


#define ZERO_I32	vdupq_n_s32(0)

/* ---- float formats ---------------------------------------------------- */

AI float32x4_t
load_f32(const uint8_t *p, int i)
{
	return vreinterpretq_f32_u8(vld1q_u8(p + 4 * (size_t)i));
}

AI float32x4_t
load_f16(const uint8_t *p, int i)
{
	return vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(p + 2 * (size_t)i)));
}

AI float32x4_t
load_bf16(const uint8_t *p, int i)
{
	return vreinterpretq_f32_u32(vshll_n_u16(vreinterpret_u16_u8(
	    vld1_u8(p + 2 * (size_t)i)), 16));
}

AI float
scalar_f32(const uint8_t *p, int i)
{
	float	f;

	memcpy(&f, p + 4 * (size_t)i, 4);
	return f;
}

AI float
scalar_f16(const uint8_t *p, int i)
{
	uint16_t	h;

	memcpy(&h, p + 2 * (size_t)i, 2);
	return h2f(h);
}

AI float
scalar_bf16(const uint8_t *p, int i)
{
	uint16_t	h;

	memcpy(&h, p + 2 * (size_t)i, 2);
	return bf16_to_f32(h);
}

/*
 * The reference's two 8-lane accumulators over 16 elements a step are
 * four registers here: a0, a1 = lanes 0..3, 4..7 of the first; a2, a3
 * of the second.  Their lane-wise sum is (a0 + a2, a1 + a3), then hsum8
 * and the scalar tail.
 */
#define DEF_FLOAT_NC(name, load, scalar, esz)				\
AI void									\
name##_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,	\
    float *out)								\
{									\
	float32x4_t	 a0[4], a1[4], a2[4], a3[4], w0, w1, w2, w3;	\
	float		 s;						\
	int		 i, c, k;					\
									\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++)					\
		a0[c] = a1[c] = a2[c] = a3[c] = vdupq_n_f32(0.0f);	\
	for (i = 0; i + 16 <= n; i += 16) {				\
		if (nc == 1)						\
			pf_ahead(w + (size_t)i * esz, 16 * esz);	\
		w0 = load(w, i);					\
		w1 = load(w, i + 4);					\
		w2 = load(w, i + 8);					\
		w3 = load(w, i + 12);					\
		_Pragma("GCC unroll 4")					\
		for (c = 0; c < nc; c++) {				\
			const uint8_t *xc = x + (size_t)c * xs;		\
									\
			a0[c] = vfmaq_f32(a0[c], w0, load(xc, i));	\
			a1[c] = vfmaq_f32(a1[c], w1, load(xc, i + 4));	\
			a2[c] = vfmaq_f32(a2[c], w2, load(xc, i + 8));	\
			a3[c] = vfmaq_f32(a3[c], w3, load(xc, i + 12));	\
		}							\
	}								\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++) {					\
		const uint8_t *xc = x + (size_t)c * xs;			\
									\
		s = hsum8(vaddq_f32(a0[c], a2[c]), vaddq_f32(a1[c],	\
		    a3[c]));						\
		for (k = i; k < n; k++)					\
			s = fmaf(scalar(w, k), scalar(xc, k), s);	\
		out[c] = s;						\
	}								\
}
DEF_FLOAT_NC(f32, load_f32, scalar_f32, 4)
DEF_FLOAT_NC(f16, load_f16, scalar_f16, 2)
DEF_FLOAT_NC(bf16, load_bf16, scalar_bf16, 2)

/* ---- 32-element formats ---------------------------------------------- */

/*
 * One weight block, unpacked once for all columns: the codes of elements
 * 0..15 (q0) and 16..31 (q1) as int8 (symmetric formats: minus their
 * offset), the scale and, for the affine formats, the min.
 */
struct w32 {
	int8x16_t	 q0, q1;
	float		 d, m;
};

AI struct w32
w32_nibbles(const uint8_t *qs, uint8x16_t h0, uint8x16_t h1, int off)
{
	uint8x16_t	v = vld1q_u8(qs);
	struct w32	r;

	r.q0 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(v,
	    vdupq_n_u8(0x0F)), h0)), vdupq_n_s8((int8_t)off));
	r.q1 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(v, 4), h1)),
	    vdupq_n_s8((int8_t)off));
	r.m = 0.0f;
	return r;
}

AI struct w32
w32_q4_0(const block_q4_0 *b)
{
	struct w32	r;

	r = w32_nibbles(b->qs, vdupq_n_u8(0), vdupq_n_u8(0), 8);
	r.d = h2f(b->d);
	return r;
}

AI struct w32
w32_q5_0(const block_q5_0 *b)
{
	uint32_t	h = le32(b->qh);
	struct w32	r;

	r = w32_nibbles(b->qs, bits16(h, 0x10), bits16(h >> 16, 0x10), 16);
	r.d = h2f(b->d);
	return r;
}

AI struct w32
w32_q8_0(const block_q8_0 *b)
{
	struct w32	r;

	r.q0 = vld1q_s8(b->qs);
	r.q1 = vld1q_s8(b->qs + 16);
	r.d = h2f(b->d);
	r.m = 0.0f;
	return r;
}

AI struct w32
w32_q4_1(const block_q4_1 *b)
{
	struct w32	r;

	r = w32_nibbles(b->qs, vdupq_n_u8(0), vdupq_n_u8(0), 0);
	r.d = h2f(b->d);
	r.m = h2f(b->m);
	return r;
}

AI struct w32
w32_q5_1(const block_q5_1 *b)
{
	uint32_t	h = le32(b->qh);
	struct w32	r;

	r = w32_nibbles(b->qs, bits16(h, 0x10), bits16(h >> 16, 0x10), 0);
	r.d = h2f(b->d);
	r.m = h2f(b->m);
	return r;
}

/*
 * Q4_1 / Q5_1 against Q8_1, as dot_q4_1: per block lane m = the sum of
 * q a over elements 4m..4m+3, acc = fma(d_w d_a, lane, acc); the min
 * terms in a scalar, summ = fmaf(m_w, s_a, summ); hsum8(acc) + summ.
 */
#define DEF_W32_NC(name, WB, prep)					\
AI void									\
name##_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,	\
    float *out)								\
{									\
	const WB	*b = (const WB *)w;				\
	float32x4_t	 lo[4], hi[4];					\
	float		 summ[4], dd;					\
	struct w32	 wb;						\
	int		 i, c, nb = n / QK;				\
									\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++) {					\
		lo[c] = hi[c] = vdupq_n_f32(0.0f);			\
		summ[c] = 0.0f;						\
	}								\
	for (i = 0; i < nb; i++) {					\
		if (nc == 1)						\
			pf_ahead(b + i, sizeof *b);			\
		wb = prep(b + i);					\
		_Pragma("GCC unroll 4")					\
		for (c = 0; c < nc; c++) {				\
			const block_q8_1 *a = XB(block_q8_1, x, xs, c, i);\
									\
			dd = wb.d * h2f(a->d);				\
			lo[c] = vfmaq_n_f32(lo[c], vcvtq_f32_s32(dot16(	\
			    ZERO_I32, wb.q0, vld1q_s8(a->qs))), dd);	\
			hi[c] = vfmaq_n_f32(hi[c], vcvtq_f32_s32(dot16(	\
			    ZERO_I32, wb.q1, vld1q_s8(a->qs + 16))), dd);\
			summ[c] = fmaf(wb.m, h2f(a->s), summ[c]);	\
		}							\
	}								\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++)					\
		out[c] = hsum8(lo[c], hi[c]) + summ[c];			\
}
DEF_W32_NC(q4_1, block_q4_1, w32_q4_1)
DEF_W32_NC(q5_1, block_q5_1, w32_q5_1)

/*
 * Q4_0, Q5_0 (against Q8_0P) and Q8_0 (against Q8_0), in dot_phase8's
 * order: block j's whole integer sum S_j goes into accumulator j mod 8,
 * acc = fmaf(d_w d_a, S_j, acc), then hsum8.  Eight blocks at a time
 * the eight sums and scale products make two registers; a last partial
 * group is done lane by lane (the same fmaf per lane).
 */

/* Column c's block i of Q8_0P / Q8_0 activations: halves and scale. */
AI void
act_p8(const uint8_t *x, size_t xs, int c, int i, const int8_t **h0,
    const int8_t **h1, float *d)
{
	const block_q8_0p	*g = XB(block_q8_0p, x, xs, c, i / 8);

	*h0 = q8_0p_half(g, i & 7, 0);
	*h1 = q8_0p_half(g, i & 7, 1);
	*d = g->d[i & 7];
}

AI void
act_q8(const uint8_t *x, size_t xs, int c, int i, const int8_t **h0,
    const int8_t **h1, float *d)
{
	const block_q8_0	*a = XB(block_q8_0, x, xs, c, i);

	*h0 = a->qs;
	*h1 = a->qs + 16;
	*d = h2f(a->d);
}

#define DEF_P8_NC(name, WB, prep, act)					\
AI void									\
name##_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,	\
    float *out)								\
{									\
	const WB	*b = (const WB *)w;				\
	float		 acc[4][8], dw[8], da[4][8];			\
	int32_t		 s[4][8];					\
	const int8_t	*h0, *h1;					\
	struct w32	 wb;						\
	int		 i, k, c, nk, nb = n / QK;			\
									\
	memset(acc, 0, sizeof acc);					\
	for (i = 0; i < nb; i += 8) {					\
		nk = nb - i < 8 ? nb - i : 8;				\
		if (nc == 1)						\
			pf_ahead(b + i, 8 * (int)sizeof *b);		\
		for (k = 0; k < nk; k++) {				\
			wb = prep(b + i + k);				\
			dw[k] = wb.d;					\
			_Pragma("GCC unroll 4")				\
			for (c = 0; c < nc; c++) {			\
				act(x, xs, c, i + k, &h0, &h1,		\
				    &da[c][k]);				\
				s[c][k] = dot32i(wb.q0, wb.q1, h0, h1);	\
			}						\
		}							\
		_Pragma("GCC unroll 4")					\
		for (c = 0; c < nc; c++) {				\
			if (nk < 8) {					\
				for (k = 0; k < nk; k++)		\
					acc[c][k] = fmaf(dw[k] *	\
					    da[c][k], (float)s[c][k],	\
					    acc[c][k]);			\
				continue;				\
			}						\
			vst1q_f32(acc[c], vfmaq_f32(vld1q_f32(acc[c]),	\
			    vcvtq_f32_s32(vld1q_s32(s[c])), vmulq_f32(	\
			    vld1q_f32(dw), vld1q_f32(da[c]))));		\
			vst1q_f32(acc[c] + 4, vfmaq_f32(vld1q_f32(acc[c] + \
			    4), vcvtq_f32_s32(vld1q_s32(s[c] + 4)),	\
			    vmulq_f32(vld1q_f32(dw + 4),		\
			    vld1q_f32(da[c] + 4))));			\
		}							\
	}								\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++)					\
		out[c] = hsum8(vld1q_f32(acc[c]), vld1q_f32(acc[c] + 4));\
}
DEF_P8_NC(q4_0, block_q4_0, w32_q4_0, act_p8)
DEF_P8_NC(q5_0, block_q5_0, w32_q5_0, act_p8)
DEF_P8_NC(q8_0, block_q8_0, w32_q8_0, act_q8)

/* ---- K-quants --------------------------------------------------------- */

/*
 * Each super-block's lanes are summed in int32 (lanes 0..3 in l0, 4..7
 * in l1, each 16-byte group's sdot times its sub-block scale), converted
 * once and added with one FMA per lane, as the reference.
 */
AI int32x4_t
lane_add(int32x4_t l, int8x16_t q, const int8_t *a, int scale)
{
	return vmlaq_n_s32(l, dot16(ZERO_I32, q, vld1q_s8(a)), scale);
}

/* Codes (bytes of v >> shift) & mask, as int8. */
AI int8x16_t
field(uint8x16_t v, int shift, uint8_t mask)
{
	return vreinterpretq_s8_u8(vandq_u8(vshlq_u8(v,
	    vdupq_n_s8((int8_t)-shift)), vdupq_n_u8(mask)));
}

/*
 * Q4_K (q5 == 0) and Q5_K, as dot_q45_K: 32-byte chunk j holds sub-block
 * 2j (low nibbles) and 2j+1 (high nibbles); Q5_K's fifth bits are bits
 * 2j and 2j+1 of qh[l].  The mins: prod_k = mn_{2k} p_{2k} + mn_{2k+1}
 * p_{2k+1}, p_b = bsum_{2b} + bsum_{2b+1}.
 */
AI void
q45_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out, int q5)
{
	float32x4_t	 acc0[4], acc1[4], accm[4];
	int32x4_t	 l0[4], l1[4], prod;
	int16x8_t	 mnv, p;
	uint8x16_t	 hb0 = vdupq_n_u8(0), hb1 = vdupq_n_u8(0), v0, v1;
	int8x16_t	 q0, q1;
	const uint8_t	*blk, *sc12, *qs;
	uint8_t		 sc[8], mn[8];
	float		 summ[4], d, dmin;
	size_t		 bsz;
	int		 i, j, c;

	bsz = q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++) {
		acc0[c] = acc1[c] = accm[c] = vdupq_n_f32(0.0f);
		summ[c] = 0.0f;
	}
	for (i = 0; i < n / QK_K; i++) {
		blk = w + (size_t)i * bsz;
		if (nc == 1)
			pf_ahead(blk, (int)bsz);
		if (q5) {
			const block_q5_K *b = (const block_q5_K *)blk;

			d = h2f(b->d);
			dmin = h2f(b->dmin);
			sc12 = b->scales;
			qs = b->qs;
			hb0 = vld1q_u8(b->qh);
			hb1 = vld1q_u8(b->qh + 16);
		} else {
			const block_q4_K *b = (const block_q4_K *)blk;

			d = h2f(b->d);
			dmin = h2f(b->dmin);
			sc12 = b->scales;
			qs = b->qs;
		}
		k4_scale_min(sc12, sc, mn);
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++)
			l0[c] = l1[c] = ZERO_I32;
		#pragma GCC unroll 4
		for (j = 0; j < 4; j++) {
			v0 = vld1q_u8(qs + 32 * j);
			v1 = vld1q_u8(qs + 32 * j + 16);
			q0 = vreinterpretq_s8_u8(vandq_u8(v0, vdupq_n_u8(0xF)));
			q1 = vreinterpretq_s8_u8(vandq_u8(v1, vdupq_n_u8(0xF)));
			if (q5) {
				q0 = vorrq_s8(q0, vreinterpretq_s8_u8(
				    vshlq_n_u8(vandq_u8(hb0, vdupq_n_u8(1)),
				    4)));
				q1 = vorrq_s8(q1, vreinterpretq_s8_u8(
				    vshlq_n_u8(vandq_u8(hb1, vdupq_n_u8(1)),
				    4)));
			}
			#pragma GCC unroll 4
			for (c = 0; c < nc; c++) {
				const int8_t *a = XB(block_q8_K, x, xs, c,
				    i)->qs + 64 * j;

				l0[c] = lane_add(l0[c], q0, a, sc[2 * j]);
				l1[c] = lane_add(l1[c], q1, a + 16, sc[2 * j]);
			}
			q0 = vreinterpretq_s8_u8(vshrq_n_u8(v0, 4));
			q1 = vreinterpretq_s8_u8(vshrq_n_u8(v1, 4));
			if (q5) {
				q0 = vorrq_s8(q0, vreinterpretq_s8_u8(
				    vshlq_n_u8(vandq_u8(hb0, vdupq_n_u8(2)),
				    3)));
				q1 = vorrq_s8(q1, vreinterpretq_s8_u8(
				    vshlq_n_u8(vandq_u8(hb1, vdupq_n_u8(2)),
				    3)));
				hb0 = vshrq_n_u8(hb0, 2);
				hb1 = vshrq_n_u8(hb1, 2);
			}
			#pragma GCC unroll 4
			for (c = 0; c < nc; c++) {
				const int8_t *a = XB(block_q8_K, x, xs, c,
				    i)->qs + 64 * j + 32;

				l0[c] = lane_add(l0[c], q0, a, sc[2 * j + 1]);
				l1[c] = lane_add(l1[c], q1, a + 16,
				    sc[2 * j + 1]);
			}
		}
		mnv = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mn)));
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			const block_q8_K *a = XB(block_q8_K, x, xs, c, i);

			acc0[c] = vfmaq_n_f32(acc0[c], vcvtq_f32_s32(l0[c]),
			    d * a->d);
			acc1[c] = vfmaq_n_f32(acc1[c], vcvtq_f32_s32(l1[c]),
			    d * a->d);
			p = vpaddq_s16(vld1q_s16(a->bsums),
			    vld1q_s16(a->bsums + 8));
			prod = vpaddq_s32(vmull_s16(vget_low_s16(mnv),
			    vget_low_s16(p)), vmull_high_s16(mnv, p));
			if (q5)
				summ[c] = fmaf(-(a->d * dmin),
				    (float)vaddvq_s32(prod), summ[c]);
			else
				accm[c] = vfmaq_n_f32(accm[c],
				    vcvtq_f32_s32(prod), dmin * a->d);
		}
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		out[c] = q5 ? hsum8(acc0[c], acc1[c]) + summ[c] :
		    hsum8(acc0[c], acc1[c]) - hsum4(accm[c]);
}

AI void
q4_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	q45_K_nc(n, w, x, xs, nc, out, 0);
}

AI void
q5_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	q45_K_nc(n, w, x, xs, nc, out, 1);
}

/*
 * Q6_K, as dot_q6_K: lanes start at -32 (sc_{2m} bsum_{2m} + sc_{2m+1}
 * bsum_{2m+1}); group k of half h takes the low (k < 2) or high nibble
 * of ql[64h + 32(k & 1) + l] and bits 2k..2k+1 of qh[32h + l], codes
 * 0..63; its first 16 elements have scale sc[8h + 2k], the others
 * sc[8h + 2k + 1].
 */
AI void
q6_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q6_K *b = (const block_q6_K *)w;
	float32x4_t	 acc0[4], acc1[4];
	int32x4_t	 l0[4], l1[4];
	int16x8_t	 s0, s1;
	int8x16_t	 scv, q0, q1;
	uint8x16_t	 qh0, qh1, ql0, ql1;
	float		 dd;
	int		 i, h, k, c, sl, sh;

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		acc0[c] = acc1[c] = vdupq_n_f32(0.0f);
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, (int)sizeof *b);
		scv = vld1q_s8(b->scales);
		s0 = vmovl_s8(vget_low_s8(scv));
		s1 = vmovl_high_s8(scv);
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			lanes_sb(s0, s1, XB(block_q8_K, x, xs, c, i)->bsums,
			    &l0[c], &l1[c]);
			l0[c] = vmulq_n_s32(l0[c], -32);
			l1[c] = vmulq_n_s32(l1[c], -32);
		}
		#pragma GCC unroll 2
		for (h = 0; h < 2; h++) {
			qh0 = vld1q_u8(b->qh + 32 * h);
			qh1 = vld1q_u8(b->qh + 32 * h + 16);
			#pragma GCC unroll 4
			for (k = 0; k < 4; k++) {
				ql0 = vld1q_u8(b->ql + 64 * h + 32 * (k & 1));
				ql1 = vld1q_u8(b->ql + 64 * h + 32 * (k & 1) +
				    16);
				q0 = vorrq_s8(field(ql0, k < 2 ? 0 : 4, 0xF),
				    vshlq_n_s8(field(qh0, 2 * k, 3), 4));
				q1 = vorrq_s8(field(ql1, k < 2 ? 0 : 4, 0xF),
				    vshlq_n_s8(field(qh1, 2 * k, 3), 4));
				sl = b->scales[8 * h + 2 * k];
				sh = b->scales[8 * h + 2 * k + 1];
				#pragma GCC unroll 4
				for (c = 0; c < nc; c++) {
					const int8_t *a = XB(block_q8_K, x,
					    xs, c, i)->qs + 128 * h + 32 * k;

					l0[c] = lane_add(l0[c], q0, a, sl);
					l1[c] = lane_add(l1[c], q1, a + 16, sh);
				}
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			dd = h2f(b->d) * XB(block_q8_K, x, xs, c, i)->d;
			acc0[c] = vfmaq_n_f32(acc0[c],
			    vcvtq_f32_s32(l0[c]), dd);
			acc1[c] = vfmaq_n_f32(acc1[c],
			    vcvtq_f32_s32(l1[c]), dd);
		}
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc0[c], acc1[c]);
}

/*
 * Q3_K, as dot_q3_K: codes + 4 (0..7: two bits of qs, the hmask bit as
 * 4), lanes start at -4 (sc_{2m} bsum_{2m} + sc_{2m+1} bsum_{2m+1}).
 */
AI void
q3_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q3_K *b = (const block_q3_K *)w;
	float32x4_t	 acc0[4], acc1[4];
	int32x4_t	 l0[4], l1[4];
	int16x8_t	 s0, s1;
	int8x16_t	 q0, q1;
	uint8x16_t	 hm0, hm1, qs0, qs1;
	int8_t		 sc[16];
	float		 dd;
	int		 i, h, j, c;

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		acc0[c] = acc1[c] = vdupq_n_f32(0.0f);
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, (int)sizeof *b);
		k3_scales(b->scales, sc);
		s0 = vmovl_s8(vld1_s8(sc));
		s1 = vmovl_s8(vld1_s8(sc + 8));
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			lanes_sb(s0, s1, XB(block_q8_K, x, xs, c, i)->bsums,
			    &l0[c], &l1[c]);
			l0[c] = vmulq_n_s32(l0[c], -4);
			l1[c] = vmulq_n_s32(l1[c], -4);
		}
		hm0 = vld1q_u8(b->hmask);
		hm1 = vld1q_u8(b->hmask + 16);
		#pragma GCC unroll 2
		for (h = 0; h < 2; h++) {
			qs0 = vld1q_u8(b->qs + 32 * h);
			qs1 = vld1q_u8(b->qs + 32 * h + 16);
			#pragma GCC unroll 4
			for (j = 0; j < 4; j++) {
				q0 = vorrq_s8(field(qs0, 2 * j, 3), vshlq_n_s8(
				    field(hm0, 4 * h + j, 1), 2));
				q1 = vorrq_s8(field(qs1, 2 * j, 3), vshlq_n_s8(
				    field(hm1, 4 * h + j, 1), 2));
				#pragma GCC unroll 4
				for (c = 0; c < nc; c++) {
					const int8_t *a = XB(block_q8_K, x,
					    xs, c, i)->qs + 128 * h + 32 * j;

					l0[c] = lane_add(l0[c], q0, a,
					    sc[8 * h + 2 * j]);
					l1[c] = lane_add(l1[c], q1, a + 16,
					    sc[8 * h + 2 * j + 1]);
				}
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			dd = h2f(b->d) * XB(block_q8_K, x, xs, c, i)->d;
			acc0[c] = vfmaq_n_f32(acc0[c],
			    vcvtq_f32_s32(l0[c]), dd);
			acc1[c] = vfmaq_n_f32(acc1[c],
			    vcvtq_f32_s32(l1[c]), dd);
		}
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc0[c], acc1[c]);
}

/*
 * Q2_K, as dot_q2_K: first the mins (lanes mn_{2m} bsum_{2m} + mn_{2m+1}
 * bsum_{2m+1}, FMA with -(d_a dmin)), then the codes (two bits of qs,
 * scales the low nibbles) with d_a d.
 */
AI void
q2_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q2_K *b = (const block_q2_K *)w;
	float32x4_t	 acc0[4], acc1[4];
	int32x4_t	 l0[4], l1[4], m0, m1;
	int16x8_t	 mn0, mn1;
	int8x16_t	 q0, q1;
	uint8x16_t	 scv, mins, qs0, qs1;
	float		 d, dmin, da;
	int		 i, h, j, c, sl, sh;

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		acc0[c] = acc1[c] = vdupq_n_f32(0.0f);
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, (int)sizeof *b);
		d = h2f(b->d);
		dmin = h2f(b->dmin);
		scv = vld1q_u8(b->scales);
		mins = vshrq_n_u8(scv, 4);
		mn0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mins)));
		mn1 = vreinterpretq_s16_u16(vmovl_high_u8(mins));
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			da = XB(block_q8_K, x, xs, c, i)->d;
			lanes_sb(mn0, mn1, XB(block_q8_K, x, xs, c, i)->bsums,
			    &m0, &m1);
			acc0[c] = vfmaq_n_f32(acc0[c], vcvtq_f32_s32(m0),
			    -(da * dmin));
			acc1[c] = vfmaq_n_f32(acc1[c], vcvtq_f32_s32(m1),
			    -(da * dmin));
			l0[c] = l1[c] = ZERO_I32;
		}
		#pragma GCC unroll 2
		for (h = 0; h < 2; h++) {
			qs0 = vld1q_u8(b->qs + 32 * h);
			qs1 = vld1q_u8(b->qs + 32 * h + 16);
			#pragma GCC unroll 4
			for (j = 0; j < 4; j++) {
				q0 = field(qs0, 2 * j, 3);
				q1 = field(qs1, 2 * j, 3);
				sl = b->scales[8 * h + 2 * j] & 0xF;
				sh = b->scales[8 * h + 2 * j + 1] & 0xF;
				#pragma GCC unroll 4
				for (c = 0; c < nc; c++) {
					const int8_t *a = XB(block_q8_K, x,
					    xs, c, i)->qs + 128 * h + 32 * j;

					l0[c] = lane_add(l0[c], q0, a, sl);
					l1[c] = lane_add(l1[c], q1, a + 16, sh);
				}
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			da = XB(block_q8_K, x, xs, c, i)->d;
			acc0[c] = vfmaq_n_f32(acc0[c], vcvtq_f32_s32(l0[c]),
			    da * d);
			acc1[c] = vfmaq_n_f32(acc1[c], vcvtq_f32_s32(l1[c]),
			    da * d);
		}
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc0[c], acc1[c]);
}

/* ---- vec_dot and gemm instances -------------------------------------- */

DEF_KERNELS(f32)
DEF_KERNELS(f16)
DEF_KERNELS(bf16)
DEF_KERNELS(q4_0)
DEF_KERNELS(q5_0)
DEF_KERNELS(q8_0)
DEF_KERNELS(q4_1)
DEF_KERNELS(q5_1)
DEF_KERNELS(q2_K)
DEF_KERNELS(q3_K)
DEF_KERNELS(q4_K)
DEF_KERNELS(q5_K)
DEF_KERNELS(q6_K)

#ifdef KERNELS_I8MM
/*
 * Prefill of the phase-8 types with smmla.  One smmla multiplies a 2x8
 * int8 matrix (two weight rows, 8 elements) by an 8x2 one (two columns)
 * into the four int32 sums r0c0, r0c1, r1c0, r1c1; four of them cover a
 * block of 32, so a register ends with the exact block sums S of a 2x2
 * tile.  Its float work is the reference's per lane: acc[j mod 8] =
 * fma(d_w(r) d_a(c), S, acc[j mod 8]) with the four scale products in
 * one register, then hsum8 over the eight accumulators lane-wise.  Two
 * rows against four columns (two such tiles) share each weight block's
 * unpacking.
 */

/* Rows (q of a, q of b) as the 2x8 operands of elements 0..31. */
AI void
mm_rows(int8x16_t a, int8x16_t b, int8x16_t *lo, int8x16_t *hi)
{
	*lo = vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a),
	    vreinterpretq_s64_s8(b)));
	*hi = vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a),
	    vreinterpretq_s64_s8(b)));
}

/* hsum8 of each lane over acc[0..7]. */
AI float32x4_t
mm_hsum8(const float32x4_t *acc)
{
	return vaddq_f32(vaddq_f32(vaddq_f32(acc[0], acc[4]),
	    vaddq_f32(acc[2], acc[6])), vaddq_f32(vaddq_f32(acc[1], acc[5]),
	    vaddq_f32(acc[3], acc[7])));
}

/*
 * Rows w, w + ws against 2 np columns (np = 1, 2): o[4p + 2r + j] is
 * row r against column 2p + j.
 */
#define DEF_MM(name, WB, prep, act)					\
AI void									\
name##_mm(int n, const uint8_t *w, size_t ws, const uint8_t *x,		\
    size_t xs, int np, float *o)					\
{									\
	const WB	*b0 = (const WB *)w, *b1 = (const WB *)(w + ws);\
	float32x4_t	 acc[2][8], dwv;				\
	int8x16_t	 a[4], v[4];					\
	int32x4_t	 s;						\
	const int8_t	*h0, *h1, *g0, *g1;				\
	struct w32	 w0, w1;					\
	float		 da0, da1;					\
	int		 i, k, p, nb = n / QK;				\
									\
	for (p = 0; p < 2; p++)						\
		for (k = 0; k < 8; k++)					\
			acc[p][k] = vdupq_n_f32(0.0f);			\
	for (i = 0; i < nb; i += 8) {					\
		_Pragma("GCC unroll 8")					\
		for (k = 0; k < 8; k++) {				\
			if (i + k >= nb)				\
				break;					\
			w0 = prep(b0 + i + k);				\
			w1 = prep(b1 + i + k);				\
			mm_rows(w0.q0, w1.q0, &a[0], &a[1]);		\
			mm_rows(w0.q1, w1.q1, &a[2], &a[3]);		\
			dwv = vcombine_f32(vdup_n_f32(w0.d),		\
			    vdup_n_f32(w1.d));				\
			_Pragma("GCC unroll 2")				\
			for (p = 0; p < np; p++) {			\
				act(x, xs, 2 * p, i + k, &h0, &h1, &da0);\
				act(x, xs, 2 * p + 1, i + k, &g0, &g1,	\
				    &da1);				\
				mm_rows(vld1q_s8(h0), vld1q_s8(g0), &v[0],\
				    &v[1]);				\
				mm_rows(vld1q_s8(h1), vld1q_s8(g1), &v[2],\
				    &v[3]);				\
				s = vmmlaq_s32(vmmlaq_s32(vmmlaq_s32(	\
				    vmmlaq_s32(ZERO_I32, a[0], v[0]), a[1],\
				    v[1]), a[2], v[2]), a[3], v[3]);	\
				acc[p][k] = vfmaq_f32(acc[p][k],	\
				    vcvtq_f32_s32(s), vmulq_f32(dwv,	\
				    vcombine_f32(vset_lane_f32(da1,	\
				    vdup_n_f32(da0), 1), vset_lane_f32(	\
				    da1, vdup_n_f32(da0), 1))));	\
			}						\
		}							\
	}								\
	for (p = 0; p < np; p++)					\
		vst1q_f32(o + 4 * p, mm_hsum8(acc[p]));			\
}									\
static void								\
gemm_mm_##name(int n, const void *w, size_t ws, int nr, const void *x,	\
    size_t xs, int nc, float *y, size_t ldy)				\
{									\
	const uint8_t	*wb = w, *xb = x;				\
	float		 o[8];						\
	int		 r, c, np, p, j;				\
									\
	for (r = 0; r + 2 <= nr; r += 2)				\
		for (c = 0; c + 2 <= nc; c += 2 * np) {			\
			np = c + 4 <= nc ? 2 : 1;			\
			name##_mm(n, wb + r * ws, ws, xb + c * xs, xs,	\
			    np, o);					\
			for (p = 0; p < np; p++)			\
				for (j = 0; j < 2; j++) {		\
					y[(size_t)(c + 2 * p + j) *	\
					    ldy + r] = o[4 * p + j];	\
					y[(size_t)(c + 2 * p + j) *	\
					    ldy + r + 1] = o[4 * p + 2 + j];\
				}					\
		}							\
	/* the odd column of each row pair, then an odd last row */	\
	for (c = nc & ~1, r = 0; c < nc && r < (nr & ~1); r++)		\
		y[(size_t)c * ldy + r] = dot_##name(n, wb + r * ws,	\
		    xb + c * xs);					\
	for (r = nr & ~1; r < nr; r++)					\
		for (c = 0; c < nc; c++)				\
			y[(size_t)c * ldy + r] = dot_##name(n,		\
			    wb + r * ws, xb + c * xs);			\
}
DEF_MM(q4_0, block_q4_0, w32_q4_0, act_p8)
DEF_MM(q5_0, block_q5_0, w32_q5_0, act_p8)
DEF_MM(q8_0, block_q8_0, w32_q8_0, act_q8)
#define GEMM_P8(name)	gemm_mm_##name
#else
#define GEMM_P8(name)	gemm_##name
#endif

/* ---- activation quantizers ------------------------------------------- */

/* Largest |x| of 32 values; maxnm ignores a NaN as fmaxf does. */
AI float
absmax32(const float *x)
{
	float32x4_t	m = vabsq_f32(vld1q_f32(x));
	int		k;

	for (k = 4; k < QK; k += 4)
		m = vmaxnmq_f32(m, vabsq_f32(vld1q_f32(x + k)));
	return vmaxnmvq_f32(m);
}

/*
 * The codes of 32 values: nearest-even of x * id (fcvtns rounds as
 * nearbyintf does in the default mode), stored at q0 (elements 0..15)
 * and q1 (16..31); returns their sum.
 */
AI int
q8_block32(const float *x, float id, int8_t *q0, int8_t *q1)
{
	int32x4_t	v[8], sum = ZERO_I32;
	int16x8_t	p[4];
	int		k;

	for (k = 0; k < 8; k++) {
		v[k] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 4 * k), id));
		sum = vaddq_s32(sum, v[k]);
	}
	for (k = 0; k < 4; k++)
		p[k] = vcombine_s16(vmovn_s32(v[2 * k]), vmovn_s32(v[2 * k +
		    1]));
	vst1q_s8(q0, vcombine_s8(vmovn_s16(p[0]), vmovn_s16(p[1])));
	vst1q_s8(q1, vcombine_s8(vmovn_s16(p[2]), vmovn_s16(p[3])));
	return vaddvq_s32(sum);
}

static void
quantize_q8_0(const float *x, void *y, int64_t n)
{
	block_q8_0	*b = y;
	int64_t		 i;
	float		 amax, id;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		amax = absmax32(x);
		id = amax != 0.0f ? 127.0f / amax : 0.0f;
		b->d = f32_to_fp16(amax / 127);
		(void)q8_block32(x, id, b->qs, b->qs + 16);
	}
}

static void
quantize_q8_0p(const float *x, void *y, int64_t n)
{
	block_q8_0p	*g = y;
	int64_t		 i;
	int		 m;
	float		 amax, id;

	memset(g, 0, ((size_t)n / QK + 7) / 8 * sizeof *g);
	for (i = 0; i < n / QK; i++, x += QK) {
		amax = absmax32(x);
		id = amax != 0.0f ? 127.0f / amax : 0.0f;
		m = (int)(i % 8);
		g[i / 8].d[m] = h2f(f32_to_fp16(amax / 127));
		g[i / 8].s[m] = q8_block32(x, id,
		    (int8_t *)q8_0p_half(g + i / 8, m, 0),
		    (int8_t *)q8_0p_half(g + i / 8, m, 1));
	}
}

static void
quantize_q8_1(const float *x, void *y, int64_t n)
{
	block_q8_1	*b = y;
	int64_t		 i;
	int		 sum;
	float		 amax, d, id;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		amax = absmax32(x);
		d = amax / 127;
		id = amax != 0.0f ? 127.0f / amax : 0.0f;
		b->d = f32_to_fp16(d);
		sum = q8_block32(x, id, b->qs, b->qs + 16);
		b->s = f32_to_fp16(sum * d);
	}
}

/* Q8_K: nearest-even of x * (-127 / max), max the first value of the
 * largest magnitude, clamped to 127; bsums per 16. */
static void
quantize_q8_K(const float *x, void *y, int64_t n)
{
	block_q8_K	*b = y;
	int32x4_t	 v[4];
	int16x8_t	 p0, p1;
	int64_t		 i;
	int		 k, g, e;
	float		 amax, max, iscale;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		amax = 0.0f;
		for (k = 0; k < QK_K; k += QK)
			amax = fmaxf(amax, absmax32(x + k));
		if (amax == 0.0f) {
			memset(b, 0, sizeof *b);
			continue;
		}
		max = amax;
		for (e = 0; e < QK_K; e++)
			if (fabsf(x[e]) == amax) {
				max = x[e];
				break;
			}
		iscale = -127.0f / max;
		for (g = 0; g < QK_K / 16; g++) {
			for (k = 0; k < 4; k++)
				v[k] = vminq_s32(vcvtnq_s32_f32(vmulq_n_f32(
				    vld1q_f32(x + 16 * g + 4 * k), iscale)),
				    vdupq_n_s32(127));
			p0 = vcombine_s16(vmovn_s32(v[0]), vmovn_s32(v[1]));
			p1 = vcombine_s16(vmovn_s32(v[2]), vmovn_s32(v[3]));
			vst1q_s8(b->qs + 16 * g, vcombine_s8(vmovn_s16(p0),
			    vmovn_s16(p1)));
			b->bsums[g] = (int16_t)vaddvq_s32(vaddq_s32(
			    vaddq_s32(v[0], v[1]), vaddq_s32(v[2], v[3])));
		}
		b->d = 1.0f / iscale;
	}
}

/* F16 activations: fcvtn rounds to nearest-even, as f32_to_fp16. */
static void
quantize_f16(const float *x, void *y, int64_t n)
{
	uint16_t	*p = y;
	uint16_t	 h[4];
	int64_t		 i;

	for (i = 0; i + 4 <= n; i += 4) {
		vst1_u16(h, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x +
		    i))));
		memcpy(p + i, h, sizeof h);
	}
	for (; i < n; i++)
		p[i] = f32_to_fp16(x[i]);
}

void
NEON_INSTALL(void)
{
	qtype_install(QT_F32, dot_f32, gemm_f32, NULL);
	qtype_install(QT_F16, dot_f16, gemm_f16, quantize_f16);
	qtype_install(QT_BF16, dot_bf16, gemm_bf16, NULL);
	qtype_install(QT_Q4_0, dot_q4_0, GEMM_P8(q4_0), NULL);
	qtype_install(QT_Q4_1, dot_q4_1, gemm_q4_1, NULL);
	qtype_install(QT_Q5_0, dot_q5_0, GEMM_P8(q5_0), NULL);
	qtype_install(QT_Q5_1, dot_q5_1, gemm_q5_1, NULL);
	qtype_install(QT_Q8_0, dot_q8_0, GEMM_P8(q8_0), quantize_q8_0);
	qtype_install(QT_Q8_1, NULL, NULL, quantize_q8_1);
	qtype_install(QT_Q8_0P, NULL, NULL, quantize_q8_0p);
	qtype_install(QT_Q2_K, dot_q2_K, gemm_q2_K, NULL);
	qtype_install(QT_Q3_K, dot_q3_K, gemm_q3_K, NULL);
	qtype_install(QT_Q4_K, dot_q4_K, gemm_q4_K, NULL);
	qtype_install(QT_Q5_K, dot_q5_K, gemm_q5_K, NULL);
	qtype_install(QT_Q6_K, dot_q6_K, gemm_q6_K, NULL);
	qtype_install(QT_Q8_K, NULL, NULL, quantize_q8_K);
}
