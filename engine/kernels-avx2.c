/*
 * kernels-avx2.c -- AVX2 + FMA + F16C kernels.
 *
 * This file and its two companions in libengine_avx2.a are compiled with
 * -mavx2 -mfma -mf16c -mbmi2; nothing in them runs unless cpu.c found
 * those instructions (CPUID + XGETBV) and called avx2_install().  This
 * file holds the float formats (F32, F16, BF16), the 32-element formats
 * (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) and the activation quantizers; the
 * vec_dot and gemm kernels of the K-quants (Q2_K..Q6_K) are in
 * kernels-avx2-k.c and the prefill tiles in kernels-avx2-tile.c, whose
 * install functions avx2_install() calls.  What this file and
 * kernels-avx2-k.c share is DEF_KERNELS (kernels-nc.h) and XB (kernels.h).
 *
 * Every dot product is written once, as an always-inlined function of
 * the number of activation columns nc (1..4) that it serves from one
 * pass over the weight row: the weight blocks are loaded and unpacked
 * once, then used for each column.  vec_dot is the nc = 1 instance, the
 * gemm kernels use nc = 4 (and 1..3 for the remainder).  The arithmetic
 * done for one column is the same whatever nc is, so gemm results are
 * bit-identical to vec_dot's (tests/test-quant checks it).  Q4_0, Q5_0
 * and Q8_0 are built differently (see their section): decode reduces
 * eight blocks of a row at once, prefill repacks eight weight rows into
 * lanes, and the activations of Q4_0/Q5_0 are Q8_0P.
 *
 * Integer dot products (docs/ENGINE.md, "Quant types"): pmaddubsw
 * multiplies unsigned weight codes by signed int8 activations into int16
 * pairs, pmaddwd folds the pairs (or applies a 16-bit sub-block scale)
 * into int32.  Signed weight codes (Q8_0, and Q4_0/Q5_0 where noted) use
 * the sign trick |w| * (a * sign(w)).  The K-quants (kernels-avx2-k.c)
 * keep the codes unsigned and apply the offset (Q3_K: 4, Q6_K: 32) or
 * the affine mins (Q2_K, Q4_K, Q5_K) through the Q8_K bsums, once per
 * super-block; the whole super-block is summed in int32 and converted to
 * float once.
 *
 * The activation quantizers are bit-identical to the reference ones in
 * quant.c (tests/test-quant checks it): all round to nearest-even, with
 * the same float products as the scalar code.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "simd-x86.h"
#include "kernels-nc.h"

/* ---- helpers ---------------------------------------------------------- */

AI int
hsum8i(__m256i x)
{
	__m128i	r = _mm_add_epi32(_mm256_extracti128_si256(x, 1),
	    _mm256_castsi256_si128(x));

	r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0x4E));
	r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0xB1));
	return _mm_cvtsi128_si32(r);
}

/* 16 packed bytes -> 32 nibbles: low nibbles first, then high nibbles. */
AI __m256i
nibbles32(const uint8_t *p)
{
	/* the 16 bytes in both halves, the upper half shifted right by 4 */
	__m256i	t = _mm256_broadcastsi128_si256(_mm_loadu_si128(
	    (const __m128i *)p));

	return _mm256_and_si256(_mm256_srlv_epi32(t,
	    _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)),
	    _mm256_set1_epi8(0x0F));
}

/* 32 bits (little-endian) -> 32 bytes, 0xFF where the bit is set. */
AI __m256i
bits32(const uint8_t *p)
{
	uint32_t	v;
	__m256i		b;

	memcpy(&v, p, 4);
	b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)v),
	    _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL,
	    0x0101010101010101LL, 0));
	b = _mm256_or_si256(b, _mm256_set1_epi64x(0x7FBFDFEFF7FBFDFELL));
	return _mm256_cmpeq_epi8(b, _mm256_set1_epi64x(-1));
}

/* Sum of products of unsigned u and signed s bytes, as 8 int32. */
AI __m256i
dot_us8(__m256i u, __m256i s)
{
	return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s),
	    _mm256_set1_epi16(1));
}

/* ---- 32-element formats ---------------------------------------------- */

/*
 * One weight block, unpacked once for all columns: the codes as bytes
 * (q, signed for the symmetric formats, whose |q| goes in u), the f16
 * scale and, for the affine formats, the min.
 */
struct w32 {
	__m256i	 u, q;
	float	 d, m;
};

AI struct w32
w32_q4_0(const block_q4_0 *b)
{
	struct w32	r;

	r.q = _mm256_sub_epi8(nibbles32(b->qs), _mm256_set1_epi8(8));
	r.u = _mm256_sign_epi8(r.q, r.q);
	r.d = h2f(b->d);
	r.m = 0.0f;
	return r;
}

AI struct w32
w32_q5_0(const block_q5_0 *b)
{
	struct w32	r;

	/* code - 16 as int8: set 0xF0 where the fifth bit is clear */
	r.q = _mm256_or_si256(nibbles32(b->qs), _mm256_andnot_si256(
	    bits32(b->qh), _mm256_set1_epi8((char)0xF0)));
	r.u = _mm256_sign_epi8(r.q, r.q);
	r.d = h2f(b->d);
	r.m = 0.0f;
	return r;
}

AI struct w32
w32_q8_0(const block_q8_0 *b)
{
	struct w32	r;

	r.q = _mm256_loadu_si256((const __m256i *)b->qs);
	r.u = _mm256_sign_epi8(r.q, r.q);
	r.d = h2f(b->d);
	r.m = 0.0f;
	return r;
}

AI struct w32
w32_q4_1(const block_q4_1 *b)
{
	struct w32	r;

	r.u = r.q = nibbles32(b->qs);
	r.d = h2f(b->d);
	r.m = h2f(b->m);
	return r;
}

AI struct w32
w32_q5_1(const block_q5_1 *b)
{
	struct w32	r;

	r.u = r.q = _mm256_or_si256(nibbles32(b->qs), _mm256_and_si256(
	    bits32(b->qh), _mm256_set1_epi8(0x10)));
	r.d = h2f(b->d);
	r.m = h2f(b->m);
	return r;
}

/* A symmetric weight block against 32 activation codes a: the 8 lane
 * sums of q * a, as |q| * (a sign q). */
AI __m256i
lanes_sym(struct w32 wb, __m256i a)
{
	return dot_us8(wb.u, _mm256_sign_epi8(a, wb.q));
}

/* Affine weights against Q8_1: acc += d_w d_a * sum q a; the min term
 * m_w * s_a is summed separately in *summ. */
AI __m256
col_q8_1(struct w32 wb, const block_q8_1 *a, float da, float sa,
    __m256 acc, float *summ)
{
	/* one fused multiply-add, as compilers contract llama.cpp's line */
	*summ = fmaf(wb.m, sa, *summ);
	return _mm256_fmadd_ps(_mm256_set1_ps(wb.d * da),
	    _mm256_cvtepi32_ps(dot_us8(wb.u,
	    _mm256_loadu_si256((const __m256i *)a->qs))), acc);
}

/*
 * The driver: one FMA accumulator per column, blocks in order, then a
 * horizontal sum, plus the min terms of the affine formats summed as
 * scalars -- the same float operations in the same order as llama.cpp's
 * AVX2 kernels, so the two agree to the last bit on the same activations.
 * W32_DA / W32_SA: the activation scale and (Q8_1) sum of column c's
 * block i as floats.
 */
#define W32_DA(AB, c, i)	h2f(XB(AB, x, xs, c, i)->d)
#define W32_SA(AB, c, i)						\
	h2f(((const uint16_t *)XB(AB, x, xs, c, i))[1])
#define DEF_W32_NC(name, WB, AB, prep, col)				\
AI void									\
name##_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,	\
    float *out)								\
{									\
	const WB	*b = (const WB *)w;				\
	__m256		 acc[4];					\
	float		 summ[4];					\
	struct w32	 w0;						\
	int		 i, c, nb = n / QK;				\
									\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++) {					\
		acc[c] = _mm256_setzero_ps();				\
		summ[c] = 0.0f;						\
	}								\
	for (i = 0; i < nb; i++) {					\
		if (nc == 1)						\
			pf_ahead(b + i, sizeof *b);			\
		w0 = prep(b + i);					\
		_Pragma("GCC unroll 4")					\
		for (c = 0; c < nc; c++)				\
			acc[c] = col(w0, XB(AB, x, xs, c, i),		\
			    W32_DA(AB, c, i), W32_SA(AB, c, i),		\
			    acc[c], &summ[c]);				\
	}								\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++)					\
		out[c] = hsum8(acc[c]) + summ[c];			\
}									\
/*									\
 * Two rows against one column: each row's float operations exactly as	\
 * in name##_nc, but the two FMA chains are independent, so a core is	\
 * no longer held to one block per FMA latency (the limit of one row	\
 * of these small blocks; used for a tile's single leftover column).	\
 */									\
AI void									\
name##_nr2(int n, const uint8_t *w, size_t ws, const uint8_t *x,	\
    float *out)								\
{									\
	const WB	*b0 = (const WB *)w;				\
	const WB	*b1 = (const WB *)(w + ws);			\
	__m256		 acc0, acc1;					\
	float		 summ0 = 0.0f, summ1 = 0.0f, da, sa;		\
	struct w32	 w0, w1;					\
	int		 i, nb = n / QK;				\
	const size_t	 xs = 0;					\
									\
	acc0 = acc1 = _mm256_setzero_ps();				\
	for (i = 0; i < nb; i++) {					\
		w0 = prep(b0 + i);					\
		w1 = prep(b1 + i);					\
		da = W32_DA(AB, 0, i);					\
		sa = W32_SA(AB, 0, i);					\
		acc0 = col(w0, XB(AB, x, xs, 0, i), da, sa, acc0,	\
		    &summ0);						\
		acc1 = col(w1, XB(AB, x, xs, 0, i), da, sa, acc1,	\
		    &summ1);						\
	}								\
	(void)sa;							\
	out[0] = hsum8(acc0) + summ0;					\
	out[1] = hsum8(acc1) + summ1;					\
}

DEF_W32_NC(q4_1, block_q4_1, block_q8_1, w32_q4_1, col_q8_1)
DEF_W32_NC(q5_1, block_q5_1, block_q8_1, w32_q5_1, col_q8_1)

/* The affine formats: eight rows as four pairs. */
AI void
q4_1_nr8(int n, const uint8_t *w, size_t ws, const uint8_t *x, float *out)
{
	int	r;

	for (r = 0; r < 8; r += 2)
		q4_1_nr2(n, w + r * ws, ws, x, out + r);
}

AI void
q5_1_nr8(int n, const uint8_t *w, size_t ws, const uint8_t *x, float *out)
{
	int	r;

	for (r = 0; r < 8; r += 2)
		q5_1_nr2(n, w + r * ws, ws, x, out + r);
}

/* ---- float formats ---------------------------------------------------- */

AI __m256
load_f32(const void *p, int i)
{
	return _mm256_loadu_ps((const float *)p + i);
}

AI __m256
load_f16(const void *p, int i)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)
	    ((const uint16_t *)p + i)));
}

AI __m256
load_bf16(const void *p, int i)
{
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(
	    _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i))),
	    16));
}

AI float
scalar_f32(const void *p, int i)
{
	return ((const float *)p)[i];
}

AI float
scalar_f16(const void *p, int i)
{
	return h2f(((const uint16_t *)p)[i]);
}

AI float
scalar_bf16(const void *p, int i)
{
	return bf16_to_f32(((const uint16_t *)p)[i]);
}

/* Two accumulators per column, 16 elements a step, scalar tail. */
#define DEF_FLOAT_NC(name, load, scalar, esz)				\
AI void									\
name##_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,	\
    float *out)								\
{									\
	__m256	 a0[4], a1[4], w0, w1;					\
	float	 s;							\
	int	 i, c;							\
									\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++)					\
		a0[c] = a1[c] = _mm256_setzero_ps();			\
	for (i = 0; i + 16 <= n; i += 16) {				\
		if (nc == 1)						\
			pf_ahead(w + (size_t)i * esz, 16 * esz);	\
		w0 = load(w, i);					\
		w1 = load(w, i + 8);					\
		_Pragma("GCC unroll 4")					\
		for (c = 0; c < nc; c++) {				\
			const uint8_t *xc = x + (size_t)c * xs;		\
									\
			a0[c] = _mm256_fmadd_ps(w0, load(xc, i), a0[c]);\
			a1[c] = _mm256_fmadd_ps(w1, load(xc, i + 8),	\
			    a1[c]);					\
		}							\
	}								\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < nc; c++) {					\
		const uint8_t	*xc = x + (size_t)c * xs;		\
		int		 k;					\
									\
		s = hsum8(_mm256_add_ps(a0[c], a1[c]));			\
		for (k = i; k < n; k++)					\
			s = fmaf(scalar(w, k), scalar(xc, k), s);	\
		out[c] = s;						\
	}								\
}
DEF_FLOAT_NC(f32, load_f32, scalar_f32, 4)
DEF_FLOAT_NC(f16, load_f16, scalar_f16, 2)
DEF_FLOAT_NC(bf16, load_bf16, scalar_bf16, 2)

/* ---- vec_dot and gemm instances -------------------------------------- */

/*
 * The gemm tile of the affine 32-element formats (Q4_1, Q5_1): one
 * weight row against 4 columns (their scalar min terms would not fit the
 * registers with more), the weight block unpacked once for all of them.
 * The activation scales of the tile's columns lie block-major in dab
 * (and sab: the Q8_1 sums), so the 4 products d_w * d_a take one
 * multiply and each column's is broadcast from memory.  Each column gets exactly name##_nc's float operations in
 * the same order: bit-identical to vec_dot.
 */
#define DEF_W32_TILE(name, WB, AB, prep)				\
AI void									\
name##_tile4(int n, const uint8_t *w, const uint8_t *x, size_t xs,	\
    float *out, const float *dab, const float *sab)			\
{									\
	const WB	*b = (const WB *)w;				\
	__m256		 acc[4];					\
	float		 summ[4];					\
	float		 dd[4] __attribute__((aligned(16)));		\
	struct w32	 w0;						\
	int		 i, c, nb = n / QK;				\
									\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < 4; c++) {					\
		acc[c] = _mm256_setzero_ps();				\
		summ[c] = 0.0f;						\
	}								\
	for (i = 0; i < nb; i++) {					\
		w0 = prep(b + i);					\
		_mm_store_ps(dd, _mm_mul_ps(_mm_set1_ps(w0.d),		\
		    _mm_loadu_ps(dab + 8 * i)));			\
		_Pragma("GCC unroll 4")					\
		for (c = 0; c < 4; c++) {				\
			summ[c] = fmaf(w0.m, sab[8 * i + c], summ[c]);	\
			acc[c] = _mm256_fmadd_ps(			\
			    _mm256_broadcast_ss(&dd[c]),		\
			    _mm256_cvtepi32_ps(dot_us8(w0.u,		\
			    _mm256_loadu_si256((const __m256i *)	\
			    XB(AB, x, xs, c, i)->qs))), acc[c]);	\
		}							\
	}								\
	_Pragma("GCC unroll 4")						\
	for (c = 0; c < 4; c++)						\
		out[c] = hsum8(acc[c]) + summ[c];			\
}
DEF_W32_TILE(q4_1, block_q4_1, block_q8_1, w32_q4_1)
DEF_W32_TILE(q5_1, block_q5_1, block_q8_1, w32_q5_1)

/*
 * gemm for the affine 32-element formats: tiles of 4 columns whose
 * activation scales and sums are converted once for all the rows (up to
 * W32_MAXB blocks a row; longer rows use name##_nc, 4 columns at a
 * time), then the 1..3 columns left, by row groups when only one is.
 */
#define W32_MAXB	512
#define W32_FILL(AB, c0)						\
	for (i = 0; i < nb; i++)					\
		for (k = 0; k < 4; k++) {				\
			const AB *a = XB(AB, xb, xs, (c0) + k, i);	\
									\
			dab[8 * i + k] = h2f(a->d);			\
			sab[8 * i + k] = h2f(((const uint16_t *)a)[1]);	\
		}
#define DEF_KERNELS_W32(name, AB)					\
static float								\
dot_##name(int n, const void *w, const void *x)				\
{									\
	float	r;							\
									\
	name##_nc(n, w, x, 0, 1, &r);					\
	return r;							\
}									\
static void								\
gemm_##name(int n, const void *w, size_t ws, int nr, const void *x,	\
    size_t xs, int nc, float *y, size_t ldy)				\
{									\
	const uint8_t	*wb = w, *xb = x;				\
	float		 o[8], dab[8 * W32_MAXB], sab[8 * W32_MAXB];	\
	int		 r, c = 0, k, i, nb = n / QK;			\
									\
	for (; c + 4 <= nc; c += 4) {					\
		if (nb <= W32_MAXB)					\
			W32_FILL(AB, c)					\
		for (r = 0; r < nr; r++) {				\
			if (nb <= W32_MAXB)				\
				name##_tile4(n, wb + r * ws,		\
				    xb + c * xs, xs, o, dab, sab);	\
			else						\
				name##_nc(n, wb + r * ws, xb + c * xs,	\
				    xs, 4, o);				\
			for (k = 0; k < 4; k++)				\
				y[(size_t)(c + k) * ldy + r] = o[k];	\
		}							\
	}								\
	if (c == nc)							\
		return;							\
	r = 0;								\
	if (nc - c == 1) {						\
		for (; r + 8 <= nr; r += 8) {				\
			name##_nr8(n, wb + r * ws, ws, xb + c * xs, o);	\
			for (k = 0; k < 8; k++)				\
				y[(size_t)c * ldy + r + k] = o[k];	\
		}							\
		for (; r + 2 <= nr; r += 2) {				\
			name##_nr2(n, wb + r * ws, ws, xb + c * xs, o);	\
			y[(size_t)c * ldy + r] = o[0];			\
			y[(size_t)c * ldy + r + 1] = o[1];		\
		}							\
	}								\
	for (; r < nr; r++) {						\
		switch (nc - c) {					\
		case 1:							\
			name##_nc(n, wb + r * ws, xb + c * xs, xs, 1, o);\
			break;						\
		case 2:							\
			name##_nc(n, wb + r * ws, xb + c * xs, xs, 2, o);\
			break;						\
		default:						\
			name##_nc(n, wb + r * ws, xb + c * xs, xs, 3, o);\
			break;						\
		}							\
		for (k = 0; k < nc - c; k++)				\
			y[(size_t)(c + k) * ldy + r] = o[k];		\
	}								\
}

/* ---- Q4_0 / Q5_0: whole-block sums, accumulator = block mod 8 --------- */

/*
 * These two follow quant.c's dot_phase8 order: block j's exact integer
 * sum S_j goes, times d_w * d_a, into accumulator j mod 8.  Their
 * activations are Q8_0P (quant.h): eight blocks a group, with the scales
 * as floats, the code sums, and blocks 2p, 2p+1 interleaved by halves.
 *
 * Decode takes a group at a time: one 32-byte load of weight codes holds
 * two blocks, whose low nibbles (and high ones) meet one 32-byte load of
 * activations; the codes stay unsigned (code + 8, or + 16 for Q5_0) and
 * the offset comes off once per group through the code sums, so the
 * sign trick's two vpsignb per block are gone.  The eight sums come out
 * in the lanes of one register: one conversion and one FMA per group.
 * Prefill repacks eight weight rows so that lane r of a register holds
 * row r, and each activation column then costs per block eight pmaddubsw
 * and one FMA for all eight rows.
 */

/* Q4_0 blocks b[0], b[1] as unsigned codes (code + 8), halves side by
 * side: *lo = [elements 0..15 of b[0] | of b[1]], *hi = 16..31. */
AI void
pair_q4_0(const block_q4_0 *b, __m256i *lo, __m256i *hi)
{
	const __m256i	m4 = _mm256_set1_epi8(0x0F);
	__m256i		x = _mm256_loadu2_m128i((const __m128i *)b[1].qs,
	    (const __m128i *)b[0].qs);

	*lo = _mm256_and_si256(x, m4);
	*hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
}

/* Q5_0 the same way (code + 16: bit e of qh is the fifth bit of
 * element e). */
AI void
pair_q5_0(const block_q5_0 *b, __m256i *lo, __m256i *hi)
{
	const __m256i	m4 = _mm256_set1_epi8(0x0F);
	const __m256i	bit = _mm256_set1_epi64x(0x8040201008040201LL);
	const __m256i	b5 = _mm256_set1_epi8(0x10);
	__m256i		x, v, tl, th;
	uint32_t	h0, h1;

	x = _mm256_loadu2_m128i((const __m128i *)b[1].qs,
	    (const __m128i *)b[0].qs);
	memcpy(&h0, b[0].qh, 4);
	memcpy(&h1, b[1].qh, 4);
	v = _mm256_set1_epi64x((long long)(h0 | (uint64_t)h1 << 32));
	/* byte k of each half: the qh byte holding bit k of the half */
	tl = _mm256_shuffle_epi8(v, _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0,
	    1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5,
	    5, 5));
	th = _mm256_shuffle_epi8(v, _mm256_setr_epi8(2, 2, 2, 2, 2, 2, 2, 2,
	    3, 3, 3, 3, 3, 3, 3, 3, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7,
	    7, 7));
	tl = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(tl, bit),
	    bit), b5);
	th = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(th, bit),
	    bit), b5);
	*lo = _mm256_or_si256(_mm256_and_si256(x, m4), tl);
	*hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 4), m4),
	    th);
}

/* Blocks of a repacked chunk (64 x 256 bytes of codes: 16 KiB). */
#define P8_CHUNK	64
/*
 * Columns whose accumulators one pass over the repacked rows serves: all
 * of a matmul tile (MM_COLS in matmul.c), so each chunk of eight rows
 * is repacked once per call; wider calls repeat the repack per group.
 */
#define P8_COLS		64

/*
 * One activation column against a repacked chunk of eight rows: acc
 * holds the eight accumulators (block mod 8), each with the rows in its
 * lanes, in and out.  The activation bytes go in as a + 128 (unsigned,
 * 1..255) against the signed codes, and cr holds each row's 128 * (sum
 * of its codes) to take off: one instruction per four activations fewer
 * than the sign trick.  A pmaddubsw pair is at most 2 * 255 * 8 = 4080
 * in magnitude for Q4_0 (|code| <= 8), so all eight of a block add up in
 * int16 (32640); Q5_0 (|code| <= 16) adds four at a time (split).
 */
AI void
p8_block(const __m256i *R, const float *sc, const int32_t *cr,
    const block_q8_0p *g, int m, __m256 *acc, int split)
{
	const __m256i	ones = _mm256_set1_epi16(1);
	const __m256i	bias = _mm256_set1_epi8((char)0x80);
	__m256i		s16[2], ak, s;
	int32_t		v;
	int		k;

	s16[0] = s16[1] = _mm256_setzero_si256();
	_Pragma("GCC unroll 8")
	for (k = 0; k < 8; k++) {
		memcpy(&v, q8_0p_half(g, m, k >> 2) + 4 * (k & 3), 4);
		ak = _mm256_xor_si256(_mm256_set1_epi32(v), bias);
		s16[split && k >= 4] = _mm256_add_epi16(s16[split && k >= 4],
		    _mm256_maddubs_epi16(ak, _mm256_load_si256(R + k)));
	}
	s = _mm256_madd_epi16(s16[0], ones);
	if (split)
		s = _mm256_add_epi32(s, _mm256_madd_epi16(s16[1], ones));
	s = _mm256_sub_epi32(s, _mm256_load_si256((const __m256i *)cr));
	*acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_load_ps(sc),
	    _mm256_set1_ps(g->d[m])), _mm256_cvtepi32_ps(s), *acc);
}

/* Blocks 0..nbk-1 of a chunk; g: the activation group of block 0. */
AI void
p8_tile(const __m256i *codes, const float *sc, const int32_t *cr, int nbk,
    const block_q8_0p *g, float *accm, int split)
{
	__m256	acc[8];
	int	j, p;

	_Pragma("GCC unroll 8")
	for (p = 0; p < 8; p++)
		acc[p] = _mm256_load_ps(accm + 8 * p);
	for (j = 0; j + 8 <= nbk; j += 8) {
		_Pragma("GCC unroll 8")
		for (p = 0; p < 8; p++)
			p8_block(codes + 8 * (j + p), sc + 8 * (j + p),
			    cr + 8 * (j + p), g + j / 8, p, &acc[p], split);
	}
	_Pragma("GCC unroll 8")
	for (p = 0; p < 8; p++)
		if (j + p < nbk)
			p8_block(codes + 8 * (j + p), sc + 8 * (j + p),
			    cr + 8 * (j + p), g + j / 8, p, &acc[p], split);
	_Pragma("GCC unroll 8")
	for (p = 0; p < 8; p++)
		_mm256_store_ps(accm + 8 * p, acc[p]);
}

/* Row r's result (lane r): hsum8's tree over the eight accumulators. */
AI void
p8_out(const float *accm, float *out)
{
	const __m256	*a = (const __m256 *)accm;

	_mm256_storeu_ps(out, _mm256_add_ps(
	    _mm256_add_ps(_mm256_add_ps(a[0], a[4]), _mm256_add_ps(a[2], a[6])),
	    _mm256_add_ps(_mm256_add_ps(a[1], a[5]), _mm256_add_ps(a[3], a[7]))));
}

/*
 * Q8_0 in dot_phase8's order too.  Decode reduces eight blocks of a row
 * into lanes; prefill repacks eight rows into lanes as for Q4_0, but the
 * 8-bit codes need the sign trick (|q| times a signed by q: pairs up to
 * 2 x 127 x 127 fit int16, a + 128 against q would not).
 */
static float
dot_q8_0(int n, const void *w, const void *x)
{
	const block_q8_0 *b = w;
	const block_q8_0 *a = x;
	__m256		 acc = _mm256_setzero_ps();
	__m256i		 v[8];
	float		 l[8] __attribute__((aligned(32)));
	struct w32	 wb;
	int		 i, k, nb = n / QK;

	for (i = 0; i + 8 <= nb; i += 8) {
		pf_ahead(b + i, 8 * sizeof *b);
		_Pragma("GCC unroll 8")
		for (k = 0; k < 8; k++) {
			wb = w32_q8_0(b + i + k);
			v[k] = lanes_sym(wb, _mm256_loadu_si256(
			    (const __m256i *)a[i + k].qs));
		}
		acc = _mm256_fmadd_ps(_mm256_mul_ps(
		    p8_scales((const uint8_t *)(b + i), sizeof *b),
		    p8_scales((const uint8_t *)(a + i), sizeof *a)),
		    _mm256_cvtepi32_ps(hsum8x8i(v)), acc);
	}
	if (i < nb) {
		_mm256_store_ps(l, acc);
		for (; i < nb; i++) {
			wb = w32_q8_0(b + i);
			l[i & 7] = fmaf(wb.d * h2f(a[i].d), (float)hsum8i(
			    lanes_sym(wb, _mm256_loadu_si256((const __m256i *)
			    a[i].qs))), l[i & 7]);
		}
		acc = _mm256_load_ps(l);
	}
	return hsum8(acc);
}

/* Blocks of a repacked Q8_0 chunk (32 x 512 bytes: 16 KiB). */
#define Q8_CHUNK	32

/* Eight rows' blocks j0..j0+nbk-1: per block the signed codes (register
 * k, lane r: row r's codes 4k..4k+3), then their absolute values. */
static void
q8_0_repack8(const uint8_t *w, size_t ws, int j0, int nbk, __m256i *codes,
    float *sc)
{
	__m256i	u[8];
	int	j, r, k;

	for (j = 0; j < nbk; j++) {
		_Pragma("GCC unroll 8")
		for (r = 0; r < 8; r++)
			u[r] = _mm256_loadu_si256((const __m256i *)
			    ((const block_q8_0 *)(w + r * ws) + j0 + j)->qs);
		tr8x32(u, codes + 16 * j);
		_Pragma("GCC unroll 8")
		for (k = 0; k < 8; k++)
			codes[16 * j + 8 + k] = _mm256_sign_epi8(
			    codes[16 * j + k], codes[16 * j + k]);
		_mm256_store_ps(sc + 8 * j, p8_scales(w + (size_t)(j0 + j) *
		    sizeof(block_q8_0), ws));
	}
}

AI void
q8_block(const __m256i *R, const float *sc, const block_q8_0 *a,
    __m256 *acc)
{
	const __m256i	ones = _mm256_set1_epi16(1);
	__m256i		s = _mm256_setzero_si256();
	int32_t		v;
	int		k;

	_Pragma("GCC unroll 8")
	for (k = 0; k < 8; k++) {
		memcpy(&v, a->qs + 4 * k, 4);
		s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(
		    _mm256_load_si256(R + 8 + k), _mm256_sign_epi8(
		    _mm256_set1_epi32(v), _mm256_load_si256(R + k))), ones));
	}
	*acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_load_ps(sc),
	    _mm256_set1_ps(h2f(a->d))), _mm256_cvtepi32_ps(s), *acc);
}

AI void
q8_tile(const __m256i *codes, const float *sc, int nbk, const block_q8_0 *a,
    float *accm)
{
	__m256	acc[8];
	int	j, p;

	_Pragma("GCC unroll 8")
	for (p = 0; p < 8; p++)
		acc[p] = _mm256_load_ps(accm + 8 * p);
	for (j = 0; j + 8 <= nbk; j += 8) {
		_Pragma("GCC unroll 8")
		for (p = 0; p < 8; p++)
			q8_block(codes + 16 * (j + p), sc + 8 * (j + p),
			    a + j + p, &acc[p]);
	}
	_Pragma("GCC unroll 8")
	for (p = 0; p < 8; p++)
		if (j + p < nbk)
			q8_block(codes + 16 * (j + p), sc + 8 * (j + p),
			    a + j + p, &acc[p]);
	_Pragma("GCC unroll 8")
	for (p = 0; p < 8; p++)
		_mm256_store_ps(accm + 8 * p, acc[p]);
}

static void
gemm_q8_0(int n, const void *w, size_t ws, int nr, const void *x,
    size_t xs, int nc, float *y, size_t ldy)
{
	const uint8_t	*wb = w, *xb = x;
	__m256i		 codes[16 * Q8_CHUNK];
	float		 sc[8 * Q8_CHUNK] __attribute__((aligned(32)));
	float		 acc[P8_COLS][64] __attribute__((aligned(32)));
	float		 o8[8];
	int		 r, c, c0, ncg, j0, nbk, k, nb = n / QK;

	for (r = 0; r + 8 <= nr; r += 8) {
		for (c0 = 0; c0 < nc; c0 += P8_COLS) {
			ncg = nc - c0 < P8_COLS ? nc - c0 : P8_COLS;
			memset(acc, 0, sizeof acc);
			for (j0 = 0; j0 < nb; j0 += Q8_CHUNK) {
				nbk = nb - j0 < Q8_CHUNK ? nb - j0 : Q8_CHUNK;
				q8_0_repack8(wb + r * ws, ws, j0, nbk, codes,
				    sc);
				for (c = 0; c < ncg; c++)
					q8_tile(codes, sc, nbk,
					    (const block_q8_0 *)(xb +
					    (size_t)(c0 + c) * xs) + j0,
					    acc[c]);
			}
			for (c = 0; c < ncg; c++) {
				p8_out(acc[c], o8);
				for (k = 0; k < 8; k++)
					y[(size_t)(c0 + c) * ldy + r + k] =
					    o8[k];
			}
		}
	}
	for (; r < nr; r++)
		for (c = 0; c < nc; c++)
			y[(size_t)c * ldy + r] = dot_q8_0(n, wb + r * ws,
			    xb + (size_t)c * xs);
}

#define DEF_KERNELS_P8(name, WB, prep, pair, shift, split)		\
static float								\
dot_##name(int n, const void *w, const void *x)				\
{									\
	const WB	*b = w;						\
	const block_q8_0p *g = x;					\
	const __m256i	 ones = _mm256_set1_epi16(1);			\
	__m256		 acc = _mm256_setzero_ps();			\
	__m256i		 u[4], lo, hi, s;				\
	float		 l[8] __attribute__((aligned(32)));		\
	struct w32	 wb;						\
	int		 i, p, nb = n / QK;				\
									\
	for (i = 0; i + 8 <= nb; i += 8, g++) {				\
		pf_ahead(b + i, 8 * sizeof *b);				\
		_Pragma("GCC unroll 4")					\
		for (p = 0; p < 4; p++) {				\
			pair(b + i + 2 * p, &lo, &hi);			\
			u[p] = _mm256_madd_epi16(_mm256_add_epi16(	\
			    _mm256_maddubs_epi16(lo, _mm256_loadu_si256(\
			    (const __m256i *)(g->qs + 64 * p))),	\
			    _mm256_maddubs_epi16(hi, _mm256_loadu_si256(\
			    (const __m256i *)(g->qs + 64 * p + 32)))), ones); \
		}							\
		/* the codes' offset times each block's code sum */	\
		s = _mm256_sub_epi32(p8_sums(u), _mm256_slli_epi32(	\
		    _mm256_loadu_si256((const __m256i *)g->s), shift));	\
		acc = _mm256_fmadd_ps(_mm256_mul_ps(			\
		    p8_scales((const uint8_t *)(b + i), sizeof *b),	\
		    _mm256_loadu_ps(g->d)), _mm256_cvtepi32_ps(s), acc); \
	}								\
	if (i < nb) {							\
		/* the last group's blocks one at a time, signed codes */ \
		_mm256_store_ps(l, acc);				\
		for (; i < nb; i++) {					\
			wb = prep(b + i);				\
			l[i & 7] = fmaf(wb.d * g->d[i & 7],		\
			    (float)hsum8i(lanes_sym(wb,			\
			    _mm256_loadu2_m128i((const __m128i *)	\
			    q8_0p_half(g, i & 7, 1), (const __m128i *)	\
			    q8_0p_half(g, i & 7, 0)))), l[i & 7]);	\
		}							\
		acc = _mm256_load_ps(l);				\
	}								\
	return hsum8(acc);						\
}									\
									\
/*									\
 * Eight rows' blocks j0..j0+nbk-1: per block eight registers, register	\
 * k holding in lane r row r's signed codes 4k..4k+3, the eight rows'	\
 * scales as floats, and 128 * (sum of the block's codes) per row.	\
 */									\
static void								\
name##_repack8(const uint8_t *w, size_t ws, int j0, int nbk,		\
    __m256i *codes, float *sc, int32_t *cr)				\
{									\
	__m256i	 u[8], cs;						\
	int	 j, r, k;						\
									\
	for (j = 0; j < nbk; j++) {					\
		_Pragma("GCC unroll 8")					\
		for (r = 0; r < 8; r++)					\
			u[r] = prep((const WB *)(w + r * ws) + j0 + j).q; \
		tr8x32(u, codes + 8 * j);				\
		cs = _mm256_setzero_si256();				\
		_Pragma("GCC unroll 8")					\
		for (k = 0; k < 8; k++)					\
			cs = _mm256_add_epi16(cs, _mm256_maddubs_epi16(	\
			    _mm256_set1_epi8(1), codes[8 * j + k]));	\
		_mm256_store_si256((__m256i *)(cr + 8 * j),		\
		    _mm256_slli_epi32(_mm256_madd_epi16(cs,		\
		    _mm256_set1_epi16(1)), 7));				\
		_mm256_store_ps(sc + 8 * j, p8_scales(w + (size_t)(j0 +	\
		    j) * sizeof(WB), ws));				\
	}								\
}									\
									\
static void								\
gemm_##name(int n, const void *w, size_t ws, int nr, const void *x,	\
    size_t xs, int nc, float *y, size_t ldy)				\
{									\
	const uint8_t	*wb = w, *xb = x;				\
	__m256i		 codes[8 * P8_CHUNK];				\
	float		 sc[8 * P8_CHUNK] __attribute__((aligned(32)));	\
	int32_t		 cr[8 * P8_CHUNK] __attribute__((aligned(32)));	\
	float		 acc[P8_COLS][64] __attribute__((aligned(32)));	\
	float		 o8[8];						\
	int		 r, c, c0, ncg, j0, nbk, k, nb = n / QK;		\
									\
	for (r = 0; r + 8 <= nr; r += 8) {				\
		for (c0 = 0; c0 < nc; c0 += P8_COLS) {			\
			ncg = nc - c0 < P8_COLS ? nc - c0 : P8_COLS;	\
			memset(acc, 0, sizeof acc);			\
			for (j0 = 0; j0 < nb; j0 += P8_CHUNK) {		\
				nbk = nb - j0 < P8_CHUNK ? nb - j0 :	\
				    P8_CHUNK;				\
				name##_repack8(wb + r * ws, ws, j0, nbk, \
				    codes, sc, cr);			\
				for (c = 0; c < ncg; c++)		\
					p8_tile(codes, sc, cr, nbk,	\
					    (const block_q8_0p *)(xb +	\
					    (size_t)(c0 + c) * xs) +	\
					    j0 / 8, acc[c], split);	\
			}						\
			for (c = 0; c < ncg; c++) {			\
				p8_out(acc[c], o8);			\
				for (k = 0; k < 8; k++)			\
					y[(size_t)(c0 + c) * ldy + r + k] = \
					    o8[k];			\
			}						\
		}							\
	}								\
	for (; r < nr; r++)						\
		for (c = 0; c < nc; c++)				\
			y[(size_t)c * ldy + r] = dot_##name(n,		\
			    wb + r * ws, xb + (size_t)c * xs);		\
}

DEF_KERNELS_P8(q4_0, block_q4_0, w32_q4_0, pair_q4_0, 3, 0)
DEF_KERNELS_P8(q5_0, block_q5_0, w32_q5_0, pair_q5_0, 4, 1)

DEF_KERNELS(f32)
DEF_KERNELS(f16)
DEF_KERNELS(bf16)
DEF_KERNELS_W32(q4_1, block_q8_1)
DEF_KERNELS_W32(q5_1, block_q8_1)

/* ---- activation quantizers ------------------------------------------- */

/* 32 int32 (in four vectors) -> 32 int8 in order. */
AI __m256i
pack32(__m256i i0, __m256i i1, __m256i i2, __m256i i3)
{
	__m256i	p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1),
	    _mm256_packs_epi32(i2, i3));

	return _mm256_permutevar8x32_epi32(p,
	    _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

AI float
absmax32(const float *x)
{
	const __m256	sign = _mm256_set1_ps(-0.0f);
	__m256		m;
	__m128		r;

	m = _mm256_max_ps(
	    _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x)),
	    _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8))),
	    _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 16)),
	    _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 24))));
	r = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
	r = _mm_max_ps(r, _mm_movehl_ps(r, r));
	r = _mm_max_ss(r, _mm_movehdup_ps(r));
	return _mm_cvtss_f32(r);
}

/* Quantize 32 values to nearest-even of x * id; returns the int8 codes. */
#define RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

AI __m256i
q8_block32(const float *x, float id, int *sum)
{
	__m256	 vid = _mm256_set1_ps(id);
	__m256i	 i0, i1, i2, i3;

	i0 = _mm256_cvttps_epi32(_mm256_round_ps(_mm256_mul_ps(
	    _mm256_loadu_ps(x), vid), RNE));
	i1 = _mm256_cvttps_epi32(_mm256_round_ps(_mm256_mul_ps(
	    _mm256_loadu_ps(x + 8), vid), RNE));
	i2 = _mm256_cvttps_epi32(_mm256_round_ps(_mm256_mul_ps(
	    _mm256_loadu_ps(x + 16), vid), RNE));
	i3 = _mm256_cvttps_epi32(_mm256_round_ps(_mm256_mul_ps(
	    _mm256_loadu_ps(x + 24), vid), RNE));
	if (sum != NULL)
		*sum = hsum8i(_mm256_add_epi32(_mm256_add_epi32(i0, i1),
		    _mm256_add_epi32(i2, i3)));
	return pack32(i0, i1, i2, i3);
}

static void
quantize_q8_0(const float *x, void *y, int64_t n)
{
	block_q8_0	*b = y;
	int64_t		 i;
	float		 amax, d, id;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		amax = absmax32(x);
		d = amax / 127;
		id = amax != 0.0f ? 127.0f / amax : 0.0f;
		b->d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
		_mm256_storeu_si256((__m256i *)b->qs, q8_block32(x, id, NULL));
	}
}

static void
quantize_q8_0p(const float *x, void *y, int64_t n)
{
	block_q8_0p	*g = y;
	int64_t		 i;
	int		 m, sum;
	float		 amax, d, id;
	__m256i		 q;

	memset(g, 0, ((size_t)n / QK + 7) / 8 * sizeof *g);
	for (i = 0; i < n / QK; i++, x += QK) {
		amax = absmax32(x);
		d = amax / 127;
		id = amax != 0.0f ? 127.0f / amax : 0.0f;
		m = (int)(i % 8);
		g[i / 8].d[m] = _cvtsh_ss(_cvtss_sh(d,
		    _MM_FROUND_TO_NEAREST_INT));
		q = q8_block32(x, id, &sum);
		g[i / 8].s[m] = sum;
		_mm_storeu_si128((__m128i *)q8_0p_half(g + i / 8, m, 0),
		    _mm256_castsi256_si128(q));
		_mm_storeu_si128((__m128i *)q8_0p_half(g + i / 8, m, 1),
		    _mm256_extracti128_si256(q, 1));
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
		b->d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
		_mm256_storeu_si256((__m256i *)b->qs, q8_block32(x, id, &sum));
		b->s = _cvtss_sh(sum * d, _MM_FROUND_TO_NEAREST_INT);
	}
}

static void
quantize_q8_K(const float *x, void *y, int64_t n)
{
	const __m256	 sign = _mm256_set1_ps(-0.0f);
	block_q8_K	*b = y;
	__m256		 vis, am;
	__m256i		 v[32];
	int64_t		 i;
	int		 k, g, mask;
	float		 amax, max, iscale;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		amax = 0.0f;
		for (k = 0; k < QK_K; k += 32)
			amax = fmaxf(amax, absmax32(x + k));
		if (amax == 0.0f) {
			memset(b, 0, sizeof *b);
			continue;
		}
		/* The first element of largest magnitude, as the reference. */
		am = _mm256_set1_ps(amax);
		max = amax;
		for (k = 0; k < QK_K; k += 8) {
			mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(
			    sign, _mm256_loadu_ps(x + k)), am, _CMP_EQ_OQ));
			if (mask != 0) {
				max = x[k + __builtin_ctz((unsigned)mask)];
				break;
			}
		}
		iscale = -127.0f / max;
		vis = _mm256_set1_ps(iscale);
		for (k = 0; k < 32; k++)
			v[k] = _mm256_min_epi32(_mm256_cvtps_epi32(
			    _mm256_mul_ps(vis, _mm256_loadu_ps(x + 8 * k))),
			    _mm256_set1_epi32(127));
		for (k = 0; k < 8; k++)
			_mm256_storeu_si256((__m256i *)(b->qs + 32 * k),
			    pack32(v[4 * k], v[4 * k + 1], v[4 * k + 2],
			    v[4 * k + 3]));
		for (g = 0; g < 16; g++)
			b->bsums[g] = (int16_t)hsum8i(_mm256_add_epi32(
			    v[2 * g], v[2 * g + 1]));
		b->d = 1.0f / iscale;
	}
}

/* F16 / BF16 activations: the same rounding as the reference. */
static void
quantize_f16(const float *x, void *y, int64_t n)
{
	uint16_t	*p = y;
	int64_t		 i;

	for (i = 0; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *)(p + i), _mm256_cvtps_ph(
		    _mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
	for (; i < n; i++)
		p[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

void
avx2_install(void)
{
	qtype_install(QT_F32, dot_f32, gemm_f32, NULL);
	qtype_install(QT_F16, dot_f16, gemm_f16, quantize_f16);
	qtype_install(QT_BF16, dot_bf16, gemm_bf16, NULL);
	qtype_install(QT_Q4_0, dot_q4_0, gemm_q4_0, NULL);
	qtype_install(QT_Q4_1, dot_q4_1, gemm_q4_1, NULL);
	qtype_install(QT_Q5_0, dot_q5_0, gemm_q5_0, NULL);
	qtype_install(QT_Q5_1, dot_q5_1, gemm_q5_1, NULL);
	qtype_install(QT_Q8_0, dot_q8_0, gemm_q8_0, quantize_q8_0);
	qtype_install(QT_Q8_1, NULL, NULL, quantize_q8_1);
	qtype_install(QT_Q8_0P, NULL, NULL, quantize_q8_0p);
	avx2_k_install();
	qtype_install(QT_Q8_K, NULL, NULL, quantize_q8_K);
	avx2_tile_install();
}
