/*
 * kernels-avx512.c -- AVX-512 F/BW/VL kernels for the quantized weight
 * types, and their VNNI variant.
 *
 * This file is compiled twice: into libengine_avx512.a with -mavx512f
 * -mavx512bw -mavx512vl (plus the AVX2 set), defining avx512_install(),
 * and into libengine_avx512vnni.a with -mavx512vnni -DKERNELS_VNNI as
 * well, defining avx512vnni_install().  cpu.c installs the AVX2 kernels
 * first and then one of these over them, only when CPUID and XGETBV
 * showed AVX-512 F/BW/VL (and VNNI for the second).
 *
 * What is here: vec_dot and gemm for Q4_1, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K
 * and Q6_K.  What is not: F32, F16 and BF16 weights and the
 * activation quantizers (Q8_0, Q8_1, Q8_K, F16) keep the AVX2 kernels --
 * their float work has to follow the AVX2 lane order anyway (see below),
 * and the quantizers are a small share of a matmul.  Q4_0, Q5_0 and
 * Q8_0, whose order of float operations is a different one (quant.c's
 * dot_phase8: whole-block sums), are in kernels-avx512-q.c, whose
 * install this file's calls.
 *
 * The contract is quant.c's reference order of float operations: each
 * block (32-element formats) or super-block (K-quants) reduces to eight
 * int32 "lane" sums (lane m: the elements with (e % 32) / 4 == m), and
 * the float work is one FMA per lane per block in block order, then
 * hsum8.  So only the integer work, which is exact in any order, is done
 * in 512-bit registers: two 32-element blocks at once for the 32-element
 * formats, two 32-element groups at once for the K-quants; the 16 int32
 * of a zmm are then either split back into the two blocks' lanes or
 * folded (lower half + upper half) into the super-block's 8 lanes, and
 * the float accumulation is the same __m256 FMA sequence as in
 * kernels-avx2.c.  Results are bit-identical to the scalar reference
 * and to the AVX2 kernels.  pmaddubsw can saturate only for products no
 * activation quantizer produces (an int8 activation of -128), and the
 * code feeds it the same byte pairs as the AVX2 kernels.
 *
 * VNNI: vpdpbusd replaces pmaddubsw + pmaddwd for the 32-element
 * formats, and vpdpwssd replaces pmaddwd + paddd (the sub-block scales)
 * in the K-quants.  Both add without saturation, as the sequences they
 * replace do for every value that can occur here.
 *
 * gemm serves up to 8 activation columns from one pass over a weight row
 * (the AVX2 kernels: 4); Q4_K, the Meditron default, takes two rows
 * against 4 columns instead, so the float work of the two rows is one
 * 512-bit instruction where the others need two 256-bit ones (q4_K_r2);
 * and for one column (a prefill's leftover column;
 * decode calls vec_dot row by row) the 32-element formats take 4 rows at
 * once, with independent FMA chains; the per-row, per-column arithmetic
 * never depends on those counts, so gemm is bit-identical to vec_dot.
 *
 * Testing: CI machines need not have AVX-512, so the file is also
 * verified by compiling it a second time against SIMDe (a portable
 * implementation of the intrinsics; tests/avx512-emu.c) and checking
 * every kernel, both variants, bit for bit against the scalar reference
 * (tests/test-avx512-emu.c); on AVX-512 hardware test-quant,
 * test-matmul and test-logits check it at the avx512 level, and
 * docs/PERFORMANCE.md has its timings.  Nothing here may depend on SIMDe:
 * the test includes this file after SIMDe's header, which maps the
 * _mm512_ names onto its own functions.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "simd-x86.h"
#include "simd-avx512.h"

/* The name of the install function (the emulation test renames it). */
#ifndef AVX512_INSTALL
#ifdef KERNELS_VNNI
#define AVX512_INSTALL avx512vnni_install
#else
#define AVX512_INSTALL avx512_install
#endif
#endif
void	AVX512_INSTALL(void);
/* kernels-avx512-q.c's install (Q4_0, Q5_0, Q8_0), called from this one. */
#ifndef AVX512Q_INSTALL
#ifdef KERNELS_VNNI
#define AVX512Q_INSTALL avx512vnni_q_install
#else
#define AVX512Q_INSTALL avx512_q_install
#endif
#endif
void	AVX512Q_INSTALL(void);
/* kernels-avx512-tile.c's install (prefill tiles), called from this one. */
#ifndef AVX512T_INSTALL
#ifdef KERNELS_VNNI
#define AVX512T_INSTALL avx512vnni_tile_install
#else
#define AVX512T_INSTALL avx512_tile_install
#endif
#endif
void	AVX512T_INSTALL(void);



/* Activation columns one pass over a weight row serves. */
#define NCMAX	8
/* Weight rows one pass over one column serves (32-element formats). */
#define NRMAX	4

/*
 * Keep v in a register (no instruction): stops the compiler from
 * re-associating the integer adds of several columns into a tree of
 * live temporaries.  Only for real registers: an emulated __m512i is a
 * struct.
 */
#ifdef __AVX512F__
#define KEEP(v) __asm__("" : "+v"(v))
#else
#define KEEP(v) do { } while (0)
#endif

/* ---- helpers ---------------------------------------------------------- */

/* Lower 256 bits of v plus upper 256 bits: 16 lane sums -> 8. */
AI __m256i
fold16(__m512i v)
{
	return _mm256_add_epi32(_mm512_castsi512_si256(v),
	    _mm512_extracti64x4_epi64(v, 1));
}

/* a in the lower 256 bits, b in the upper. */
AI __m512i
join256(__m256i a, __m256i b)
{
	return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
}

/* Bytes: v0 in the lower 32, v1 in the upper 32. */
AI __m512i
halves8(int v0, int v1)
{
	return join256(_mm256_set1_epi8((char)v0), _mm256_set1_epi8((char)v1));
}

/* Per-qword shift counts: s0 for the lower 256 bits, s1 for the upper. */
AI __m512i
halves64(int s0, int s1)
{
	return _mm512_set_epi64(s1, s1, s1, s1, s0, s0, s0, s0);
}

/*
 * vpermw indices that put int16 scale b + l in every word of 128-bit
 * lane l (l = 0..3): with pmaddubsw pairs, one scale per 16 elements.
 */
AI __m512i
scale_idx4(int b)
{
	const long long	k = 0x0001000100010001LL;

	return _mm512_add_epi16(_mm512_set1_epi16((short)b),
	    _mm512_set_epi64(3 * k, 3 * k, 2 * k, 2 * k, k, k, 0, 0));
}

/* vpermw indices: scale i0 in the lower 256 bits, i1 in the upper. */
AI __m512i
scale_idx2(int i0, int i1)
{
	return join256(_mm256_set1_epi16((short)i0),
	    _mm256_set1_epi16((short)i1));
}

/*
 * Sum of products of unsigned u and signed s bytes, per 4 consecutive
 * bytes, as 16 int32.
 */
AI __m512i
dot4_us(__m512i u, __m512i s)
{
#ifdef KERNELS_VNNI
	return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s);
#else
	return _mm512_madd_epi16(_mm512_maddubs_epi16(u, s),
	    _mm512_set1_epi16(1));
#endif
}

/* ---- 32-element formats ---------------------------------------------- */


/*
 * Two weight blocks, unpacked once for all columns: 64 codes (the first
 * block's 32 in the lower half, in element order), as magnitudes u with
 * the sign mask neg for the symmetric formats, unsigned for the affine
 * ones; the blocks' scales and mins.
 */
struct w64 {
	__m512i		u;
	__mmask64	neg;
	float		d0, d1, m0, m1;
};

/* The 16 packed bytes of two blocks -> 64 nibbles: per block, the low
 * nibbles then the high nibbles. */
AI __m512i
nibbles64(const uint8_t *p0, const uint8_t *p1)
{
	__m512i	t = join256(
	    _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p0)),
	    _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p1)));

	return _mm512_and_si512(_mm512_srlv_epi64(t,
	    _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0)), _mm512_set1_epi8(0x0F));
}

/* The fifth bits of two Q5 blocks: bit e of qh is element e's. */
AI __mmask64
qh64(const uint8_t *h0, const uint8_t *h1)
{
	uint32_t	a, b;

	memcpy(&a, h0, 4);
	memcpy(&b, h1, 4);
	return (__mmask64)((uint64_t)b << 32 | a);
}

AI struct w64
w64_q4_1(const block_q4_1 *b0, const block_q4_1 *b1)
{
	struct w64	r;

	r.u = nibbles64(b0->qs, b1->qs);
	r.neg = 0;
	r.d0 = h2f(b0->d);
	r.d1 = h2f(b1->d);
	r.m0 = h2f(b0->m);
	r.m1 = h2f(b1->m);
	return r;
}

AI struct w64
w64_q5_1(const block_q5_1 *b0, const block_q5_1 *b1)
{
	struct w64	r;
	__m512i		q = nibbles64(b0->qs, b1->qs);

	r.u = _mm512_mask_add_epi8(q, qh64(b0->qh, b1->qh), q,
	    _mm512_set1_epi8(16));
	r.neg = 0;
	r.d0 = h2f(b0->d);
	r.d1 = h2f(b1->d);
	r.m0 = h2f(b0->m);
	r.m1 = h2f(b1->m);
	return r;
}

/*
 * One column against two weight blocks: a holds the two activation
 * blocks' int8 (the first in the lower half); da, sa their scales and
 * sums as floats.  acc gets the first block's lanes, then (when two)
 * the second's; the affine formats add m_w * s_a to *summ per block.
 * The same float operations as kernels-avx2.c's col_q8_1.  (The
 * symmetric branch, aff == 0, served Q8_0, which has no kernels here
 * any more.)
 */
AI __m256
col64(const struct w64 *wb, __m512i a, float da0, float da1, float sa0,
    float sa1, int aff, int two, __m256 acc, float *summ)
{
	__m512i	p;

	if (!aff)	/* a * sign(w): the sign trick, as with psignb */
		a = _mm512_mask_sub_epi8(a, wb->neg, _mm512_setzero_si512(),
		    a);
	p = dot4_us(wb->u, a);
	if (aff)
		*summ = fmaf(wb->m0, sa0, *summ);
	acc = _mm256_fmadd_ps(_mm256_set1_ps(wb->d0 * da0),
	    _mm256_cvtepi32_ps(_mm512_castsi512_si256(p)), acc);
	if (two) {
		if (aff)
			*summ = fmaf(wb->m1, sa1, *summ);
		acc = _mm256_fmadd_ps(_mm256_set1_ps(wb->d1 * da1),
		    _mm256_cvtepi32_ps(_mm512_extracti64x4_epi64(p, 1)), acc);
	}
	return acc;
}

AI __m512i
load2_q8(const int8_t *q0, const int8_t *q1)
{
	return join256(_mm256_loadu_si256((const __m256i *)q0),
	    _mm256_loadu_si256((const __m256i *)q1));
}

/*
 * The driver: blocks in pairs, an odd last block alone (its pair is
 * itself, and only the lower half is used).  sf, when not NULL, holds
 * the activation scales already converted (column c: d at
 * sf[c * sfs + i], s at sf[c * sfs + nb + i]); gemm fills it once for
 * all the rows of a tile.
 */
#define W64_DA(AB, c, i)						\
	(sf != NULL ? sf[(c) * sfs + (i)] : h2f(XB(AB, x, xs, c, i)->d))
#define W64_SA(AB, aff, c, i)						\
	(!(aff) ? 0.0f : sf != NULL ? sf[(c) * sfs + nb + (i)] :	\
	    h2f(((const uint16_t *)XB(AB, x, xs, c, i))[1]))
#define DEF_W64_NC(name, WB, AB, prep, aff)				\
AI void									\
name##_ncs(int n, const uint8_t *w, const uint8_t *x, size_t xs,	\
    int nc, float *out, const float *sf, int sfs)			\
{									\
	const WB	*b = (const WB *)w;				\
	__m256		 acc[NCMAX];					\
	float		 summ[NCMAX];					\
	struct w64	 w0;						\
	int		 i, c, nb = n / QK;				\
									\
	_Pragma("GCC unroll 8")						\
	for (c = 0; c < nc; c++) {					\
		acc[c] = _mm256_setzero_ps();				\
		summ[c] = 0.0f;						\
	}								\
	for (i = 0; i + 2 <= nb; i += 2) {				\
		if (nc == 1)						\
			pf_ahead(b + i, 2 * sizeof *b);			\
		w0 = prep(b + i, b + i + 1);				\
		_Pragma("GCC unroll 8")					\
		for (c = 0; c < nc; c++) {				\
			const AB *a = XB(AB, x, xs, c, i);		\
									\
			acc[c] = col64(&w0, load2_q8(a[0].qs, a[1].qs),	\
			    W64_DA(AB, c, i), W64_DA(AB, c, i + 1),	\
			    W64_SA(AB, aff, c, i),			\
			    W64_SA(AB, aff, c, i + 1), aff, 1, acc[c],	\
			    &summ[c]);					\
		}							\
	}								\
	if (i < nb) {							\
		w0 = prep(b + i, b + i);				\
		_Pragma("GCC unroll 8")					\
		for (c = 0; c < nc; c++) {				\
			const AB *a = XB(AB, x, xs, c, i);		\
									\
			acc[c] = col64(&w0, load2_q8(a->qs, a->qs),	\
			    W64_DA(AB, c, i), 0.0f,			\
			    W64_SA(AB, aff, c, i), 0.0f, aff, 0, acc[c],\
			    &summ[c]);					\
		}							\
	}								\
	_Pragma("GCC unroll 8")						\
	for (c = 0; c < nc; c++)					\
		out[c] = aff ? hsum8(acc[c]) + summ[c] : hsum8(acc[c]);	\
}									\
AI void									\
name##_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,	\
    float *out)								\
{									\
	name##_ncs(n, w, x, xs, nc, out, NULL, 0);			\
}									\
/*									\
 * Decode: nr rows (ws bytes apart) against one column, each row's	\
 * float operations exactly as in name##_ncs, but with nr independent	\
 * FMA chains, so a core is not held to one block per FMA latency.	\
 */									\
AI void									\
name##_nrs(int n, const uint8_t *w, size_t ws, const uint8_t *x,	\
    int nr, float *out)							\
{									\
	const AB	*a = (const AB *)x;				\
	__m256		 acc[NRMAX];					\
	__m512i		 av;						\
	float		 summ[NRMAX], da0, da1, sa0, sa1;		\
	struct w64	 w0;						\
	int		 i, r, nb = n / QK;				\
									\
	_Pragma("GCC unroll 4")						\
	for (r = 0; r < nr; r++) {					\
		acc[r] = _mm256_setzero_ps();				\
		summ[r] = 0.0f;						\
	}								\
	for (i = 0; i + 2 <= nb; i += 2) {				\
		av = load2_q8(a[i].qs, a[i + 1].qs);			\
		da0 = h2f(a[i].d);					\
		da1 = h2f(a[i + 1].d);					\
		sa0 = aff ? h2f(((const uint16_t *)(a + i))[1]) : 0.0f;	\
		sa1 = aff ? h2f(((const uint16_t *)(a + i + 1))[1]) :	\
		    0.0f;						\
		_Pragma("GCC unroll 4")					\
		for (r = 0; r < nr; r++) {				\
			const WB *b = (const WB *)(w + r * ws);		\
									\
			w0 = prep(b + i, b + i + 1);			\
			acc[r] = col64(&w0, av, da0, da1, sa0, sa1, aff,	\
			    1, acc[r], &summ[r]);			\
		}							\
	}								\
	if (i < nb) {							\
		av = load2_q8(a[i].qs, a[i].qs);			\
		da0 = h2f(a[i].d);					\
		sa0 = aff ? h2f(((const uint16_t *)(a + i))[1]) : 0.0f;	\
		_Pragma("GCC unroll 4")					\
		for (r = 0; r < nr; r++) {				\
			const WB *b = (const WB *)(w + r * ws);		\
									\
			w0 = prep(b + i, b + i);			\
			acc[r] = col64(&w0, av, da0, 0.0f, sa0, 0.0f,	\
			    aff, 0, acc[r], &summ[r]);			\
		}							\
	}								\
	_Pragma("GCC unroll 4")						\
	for (r = 0; r < nr; r++)					\
		out[r] = aff ? hsum8(acc[r]) + summ[r] : hsum8(acc[r]);	\
}

DEF_W64_NC(q4_1, block_q4_1, block_q8_1, w64_q4_1, 1)
DEF_W64_NC(q5_1, block_q5_1, block_q8_1, w64_q5_1, 1)

/* ---- K-quants --------------------------------------------------------- */

/*
 * Q4_K (q5 == 0) and Q5_K.  Chunk j of qs (32 bytes) holds sub-block 2j
 * in its low nibbles and 2j+1 in its high ones; the zmm for chunk j is
 * [low nibbles | high nibbles], elements 64j..64j+63 in order, against
 * 64 contiguous activations.  Q5_K adds bit 2j (lower half) / 2j+1
 * (upper half) of qh as 16.  The mins and the float work are those of
 * the AVX2 kernel.
 */
AI void
q45_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out, int q5)
{
	__m256		 acc[NCMAX];
	__m128		 accm[NCMAX];
	__m512i		 sumi[NCMAX], sc512, q, scv;
	__m512i		 hz = _mm512_setzero_si512();
	__m128i		 sc, mn, bsp;
	const uint8_t	*qs;
	float		 d, dmin, yd, summ[NCMAX];
	int		 i, j, c;
	size_t		 bsz = q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);

	#pragma GCC unroll 8
	for (c = 0; c < nc; c++) {
		acc[c] = _mm256_setzero_ps();
		accm[c] = _mm_setzero_ps();
		summ[c] = 0.0f;
	}
	for (i = 0; i < n / QK_K; i++) {
		const uint8_t	*blk = w + (size_t)i * bsz;

		if (nc == 1)
			pf_ahead(blk, (int)bsz);

		qs = k45_head(blk, q5, &d, &dmin, &sc, &mn);
		if (q5)
			hz = _mm512_broadcast_i64x4(_mm256_loadu_si256(
			    (const __m256i *)((const block_q5_K *)blk)->qh));
		sc512 = _mm512_castsi128_si512(sc);
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++)
			sumi[c] = _mm512_setzero_si512();
		#pragma GCC unroll 4
		for (j = 0; j < 4; j++) {
			q = _mm512_and_si512(_mm512_srlv_epi64(
			    _mm512_broadcast_i64x4(_mm256_loadu_si256(
			    (const __m256i *)(qs + 32 * j))), halves64(0, 4)),
			    _mm512_set1_epi8(0x0F));
			if (q5)
				q = _mm512_mask_add_epi8(q,
				    _mm512_test_epi8_mask(hz, halves8(1 << (2 * j),
				    1 << (2 * j + 1))), q, _mm512_set1_epi8(16));
			scv = _mm512_permutexvar_epi16(
			    scale_idx2(2 * j, 2 * j + 1), sc512);
			#pragma GCC unroll 8
			for (c = 0; c < nc; c++) {
				sumi[c] = kdot(sumi[c], q, XB(block_q8_K, x,
				    xs, c, i)->qs + 64 * j, scv);
				KEEP(sumi[c]);
			}
		}
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++) {
			const block_q8_K *a = XB(block_q8_K, x, xs, c, i);
			__m256i	bs = load_bsums(a);

			yd = a->d;
			bsp = k45_bsums(bs);
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d * yd),
			    _mm256_cvtepi32_ps(fold16(sumi[c])), acc[c]);
			k45_min(bsp, mn, yd, dmin, q5, &summ[c], &accm[c]);
		}
	}
	#pragma GCC unroll 8
	for (c = 0; c < nc; c++)
		out[c] = k45_result(acc[c], summ[c], accm[c], q5);
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
 * Q4_K prefill, two rows at once (the 512-bit tile; q45_K_nc is one row
 * against up to 8 columns).  The integer work per row is q45_K_nc's;
 * then the two rows' 16 lane sums fold into one register [row 0's 8
 * lanes | row 1's], so the conversion, the scale product and the FMA
 * of both rows are one 512-bit instruction each, and the min term of
 * both rows one 256-bit madd/convert/FMA on [row 0's 4 lanes | row 1's]
 * from one pairing of the column's bsums.  Per row the float operations
 * are those of q45_K_nc (d * yd, dmin * yd rounded first, one FMA per
 * lane), so out is bit-identical to it.  out[c] is row 0's result,
 * out[NCMAX + c] row 1's.
 */
AI __m512
halves_ps(float v0, float v1)
{
	return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(
	    _mm256_castps_pd(_mm256_set1_ps(v0))),
	    _mm256_castps_pd(_mm256_set1_ps(v1)), 1));
}

AI void
q4_K_r2(int n, const uint8_t *w, size_t ws, const uint8_t *x, size_t xs,
    int nc, float *out)
{
	__m512		 acc[4];
	__m256		 accm[4];
	__m512i		 sumi[2][4], sc512[2], q[2], scv[2];
	__m512		 dd;
	__m256		 dm;
	__m256i		 mn2, t8;
	__m128i		 sc[2], mn[2], bsp;
	const uint8_t	*qs[2];
	float		 d[2], dmin[2], yd;
	int		 i, j, c, r;

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++) {
		acc[c] = _mm512_setzero_ps();
		accm[c] = _mm256_setzero_ps();
	}
	for (i = 0; i < n / QK_K; i++) {
		#pragma GCC unroll 2
		for (r = 0; r < 2; r++) {
			qs[r] = k45_head(w + r * ws + (size_t)i *
			    sizeof(block_q4_K), 0, &d[r], &dmin[r], &sc[r],
			    &mn[r]);
			sc512[r] = _mm512_castsi128_si512(sc[r]);
		}
		dd = halves_ps(d[0], d[1]);
		dm = _mm256_setr_m128(_mm_set1_ps(dmin[0]),
		    _mm_set1_ps(dmin[1]));
		mn2 = _mm256_setr_m128i(mn[0], mn[1]);
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++)
			sumi[0][c] = sumi[1][c] = _mm512_setzero_si512();
		#pragma GCC unroll 4
		for (j = 0; j < 4; j++) {
			#pragma GCC unroll 2
			for (r = 0; r < 2; r++) {
				q[r] = _mm512_and_si512(_mm512_srlv_epi64(
				    _mm512_broadcast_i64x4(_mm256_loadu_si256(
				    (const __m256i *)(qs[r] + 32 * j))),
				    halves64(0, 4)), _mm512_set1_epi8(0x0F));
				scv[r] = _mm512_permutexvar_epi16(
				    scale_idx2(2 * j, 2 * j + 1), sc512[r]);
			}
			#pragma GCC unroll 4
			for (c = 0; c < nc; c++) {
				const int8_t *a = XB(block_q8_K, x, xs, c,
				    i)->qs + 64 * j;

				sumi[0][c] = kdot(sumi[0][c], q[0], a, scv[0]);
				sumi[1][c] = kdot(sumi[1][c], q[1], a, scv[1]);
				KEEP(sumi[0][c]);
				KEEP(sumi[1][c]);
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			const block_q8_K *a = XB(block_q8_K, x, xs, c, i);

			yd = a->d;
			bsp = k45_bsums(load_bsums(a));
			/* [row 0 lanes 0..7 | row 1 lanes 0..7] */
			acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dd,
			    _mm512_set1_ps(yd)), cvt16(_mm512_add_epi32(
			    _mm512_shuffle_i32x4(sumi[0][c], sumi[1][c], 0x44),
			    _mm512_shuffle_i32x4(sumi[0][c], sumi[1][c],
			    0xEE))), acc[c]);
			t8 = _mm256_madd_epi16(mn2,
			    _mm256_setr_m128i(bsp, bsp));
			accm[c] = _mm256_fmadd_ps(_mm256_mul_ps(dm,
			    _mm256_set1_ps(yd)), _mm256_cvtepi32_ps(t8),
			    accm[c]);
		}
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++) {
		out[c] = k45_result(_mm512_castps512_ps256(acc[c]), 0.0f,
		    _mm256_castps256_ps128(accm[c]), 0);
		out[NCMAX + c] = k45_result(_mm256_castpd_ps(
		    _mm512_extractf64x4_pd(_mm512_castps_pd(acc[c]), 1)), 0.0f,
		    _mm256_extractf128_ps(accm[c], 1), 0);
	}
}

/*
 * Q6_K: codes 0..63 (the offset 32 through the bsums), int8 scales per
 * 16 elements.  Half h: the low nibbles of ql[64h..64h+63] with bits
 * 0-1 / 2-3 of qh[32h..] are groups 0 and 1 (activations 128h..+63),
 * the high nibbles with bits 4-5 / 6-7 are groups 2 and 3 (+64..+127).
 */
AI void
q6_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q6_K	*b = (const block_q6_K *)w;
	const __m512i		 m4 = _mm512_set1_epi8(0x0F);
	const __m512i		 m30 = _mm512_set1_epi8(0x30);
	__m256			 acc[NCMAX];
	__m256i			 sc16, off[NCMAX];
	__m512i			 sumi[NCMAX], sc512, l, hv, qa, qb, sa, sb;
	float			 d;
	int			 i, h, c;

	#pragma GCC unroll 8
	for (c = 0; c < nc; c++)
		acc[c] = _mm256_setzero_ps();
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, sizeof *b);
		d = h2f(b->d);
		sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(
		    (const __m128i *)b->scales));
		sc512 = _mm512_castsi256_si512(sc16);
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++) {
			/* -32 * (sc_2m bsum_2m + sc_2m+1 bsum_2m+1) */
			off[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
			    _mm256_slli_epi32(_mm256_madd_epi16(load_bsums(
			    XB(block_q8_K, x, xs, c, i)), sc16), 5));
			sumi[c] = _mm512_setzero_si512();
		}
		#pragma GCC unroll 2
		for (h = 0; h < 2; h++) {
			l = _mm512_loadu_si512(b->ql + 64 * h);
			hv = _mm512_broadcast_i64x4(_mm256_loadu_si256(
			    (const __m256i *)(b->qh + 32 * h)));
			qa = _mm512_or_si512(_mm512_and_si512(l, m4),
			    _mm512_and_si512(_mm512_sllv_epi64(hv,
			    halves64(4, 2)), m30));
			qb = _mm512_or_si512(_mm512_and_si512(
			    _mm512_srli_epi16(l, 4), m4),
			    _mm512_and_si512(_mm512_srlv_epi64(hv,
			    halves64(0, 2)), m30));
			sa = _mm512_permutexvar_epi16(scale_idx4(8 * h),
			    sc512);
			sb = _mm512_permutexvar_epi16(scale_idx4(8 * h + 4),
			    sc512);
			#pragma GCC unroll 8
			for (c = 0; c < nc; c++) {
				const int8_t *a = XB(block_q8_K, x, xs, c,
				    i)->qs + 128 * h;

				sumi[c] = kdot(sumi[c], qa, a, sa);
				sumi[c] = kdot(sumi[c], qb, a + 64, sb);
				KEEP(sumi[c]);
			}
		}
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++)
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d *
			    XB(block_q8_K, x, xs, c, i)->d),
			    _mm256_cvtepi32_ps(_mm256_add_epi32(off[c],
			    fold16(sumi[c]))), acc[c]);
	}
	#pragma GCC unroll 8
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc[c]);
}

/*
 * Q3_K: codes lo2 + 4 * hbit in 0..7 (the offset 4 through the bsums).
 * Half h, pair p: groups j = 2p (lower half) and 2p+1 (upper), bits 2j
 * of qs[32h + l] and bit 4h + j of hmask[l], activations 128h + 64p.
 */
AI void
q3_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q3_K	*b = (const block_q3_K *)w;
	__m256			 acc[NCMAX];
	__m256i			 sc16, off[NCMAX];
	__m512i			 sumi[NCMAX], sc512, q2, hm, qv, scv;
	float			 d;
	int			 i, h, p, j, c;

	#pragma GCC unroll 8
	for (c = 0; c < nc; c++)
		acc[c] = _mm256_setzero_ps();
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, sizeof *b);
		d = h2f(b->d);
		sc16 = _mm256_cvtepi8_epi16(q3k_scales8(b->scales));
		sc512 = _mm512_castsi256_si512(sc16);
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++) {
			off[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
			    _mm256_slli_epi32(_mm256_madd_epi16(load_bsums(
			    XB(block_q8_K, x, xs, c, i)), sc16), 2));
			sumi[c] = _mm512_setzero_si512();
		}
		hm = _mm512_broadcast_i64x4(_mm256_loadu_si256(
		    (const __m256i *)b->hmask));
		#pragma GCC unroll 2
		for (h = 0; h < 2; h++) {
			q2 = _mm512_broadcast_i64x4(_mm256_loadu_si256(
			    (const __m256i *)(b->qs + 32 * h)));
			#pragma GCC unroll 2
			for (p = 0; p < 2; p++) {
				j = 2 * p;
				qv = _mm512_and_si512(_mm512_srlv_epi64(q2,
				    halves64(2 * j, 2 * j + 2)),
				    _mm512_set1_epi8(3));
				qv = _mm512_mask_add_epi8(qv,
				    _mm512_test_epi8_mask(hm, halves8(
				    1 << (4 * h + j), 1 << (4 * h + j + 1))),
				    qv, _mm512_set1_epi8(4));
				scv = _mm512_permutexvar_epi16(
				    scale_idx4(8 * h + 4 * p), sc512);
				#pragma GCC unroll 8
				for (c = 0; c < nc; c++) {
					sumi[c] = kdot(sumi[c], qv,
					    XB(block_q8_K, x, xs, c, i)->qs +
					    128 * h + 64 * p, scv);
					KEEP(sumi[c]);
				}
			}
		}
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++)
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d *
			    XB(block_q8_K, x, xs, c, i)->d),
			    _mm256_cvtepi32_ps(_mm256_add_epi32(off[c],
			    fold16(sumi[c]))), acc[c]);
	}
	#pragma GCC unroll 8
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc[c]);
}

/*
 * Q2_K: codes 0..3, 4-bit scales and mins per 16 elements.  Half h,
 * pair p: bits 4p / 4p+2 of qs[32h + l], activations 128h + 64p.  The
 * mins first, into the same accumulator, as the AVX2 kernel.
 */
AI void
q2_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q2_K	*b = (const block_q2_K *)w;
	__m256			 acc[NCMAX];
	__m256i			 sc16, mn16;
	__m512i			 sumi[NCMAX], sc512, q2, qv, scv;
	__m128i			 s8;
	float			 d, dmin, yd;
	int			 i, h, p, c;

	#pragma GCC unroll 8
	for (c = 0; c < nc; c++)
		acc[c] = _mm256_setzero_ps();
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, sizeof *b);
		d = h2f(b->d);
		dmin = h2f(b->dmin);
		s8 = _mm_loadu_si128((const __m128i *)b->scales);
		sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(s8,
		    _mm_set1_epi8(0x0F)));
		mn16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s8,
		    4), _mm_set1_epi8(0x0F)));
		sc512 = _mm512_castsi256_si512(sc16);
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++)
			sumi[c] = _mm512_setzero_si512();
		#pragma GCC unroll 2
		for (h = 0; h < 2; h++) {
			q2 = _mm512_broadcast_i64x4(_mm256_loadu_si256(
			    (const __m256i *)(b->qs + 32 * h)));
			#pragma GCC unroll 2
			for (p = 0; p < 2; p++) {
				qv = _mm512_and_si512(_mm512_srlv_epi64(q2,
				    halves64(4 * p, 4 * p + 2)),
				    _mm512_set1_epi8(3));
				scv = _mm512_permutexvar_epi16(
				    scale_idx4(8 * h + 4 * p), sc512);
				#pragma GCC unroll 8
				for (c = 0; c < nc; c++) {
					sumi[c] = kdot(sumi[c], qv,
					    XB(block_q8_K, x, xs, c, i)->qs +
					    128 * h + 64 * p, scv);
					KEEP(sumi[c]);
				}
			}
		}
		#pragma GCC unroll 8
		for (c = 0; c < nc; c++) {
			const block_q8_K *a = XB(block_q8_K, x, xs, c, i);

			yd = a->d;
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(-(yd * dmin)),
			    _mm256_cvtepi32_ps(_mm256_madd_epi16(
			    load_bsums(a), mn16)), acc[c]);
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(yd * d),
			    _mm256_cvtepi32_ps(fold16(sumi[c])), acc[c]);
		}
	}
	#pragma GCC unroll 8
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc[c]);
}

/* ---- vec_dot and gemm instances -------------------------------------- */

/*
 * One row against nc (1..8) columns: the instances with 8, 4, 3, 2 and
 * 1 columns; callers split larger counts into those.
 */
#define NC_CALL(call, k, ...) do {					\
	switch (k) {							\
	case 8: call(__VA_ARGS__, 8, o); break;				\
	case 4: call(__VA_ARGS__, 4, o); break;				\
	case 3: call(__VA_ARGS__, 3, o); break;				\
	case 2: call(__VA_ARGS__, 2, o); break;				\
	default: call(__VA_ARGS__, 1, o); break;			\
	}								\
} while (0)

/* Columns served by the next pass when nc - c remain. */
AI int
nc_next(int left)
{
	return left >= 8 ? 8 : left >= 4 ? 4 : left;
}

#define DEF_KERNELS(name)						\
static __attribute__((noinline)) float					\
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
	float		 o[NCMAX];					\
	int		 r, c, k, kk;					\
									\
	for (c = 0; c < nc; c += k) {					\
		k = nc_next(nc - c);					\
		for (r = 0; r < nr; r++) {				\
			if (k == 1) {					\
				/* the code as compiled for vec_dot */	\
				y[(size_t)c * ldy + r] = dot_##name(n,	\
				    wb + r * ws, xb + c * xs);		\
				continue;				\
			}						\
			NC_CALL(name##_nc, k, n, wb + r * ws,		\
			    xb + c * xs, xs);				\
			for (kk = 0; kk < k; kk++)			\
				y[(size_t)(c + kk) * ldy + r] = o[kk];	\
		}							\
	}								\
}

/*
 * gemm for the 32-element formats: the activation scales of each pass's
 * columns are converted once into sf and used for every row (up to
 * W64_MAXB blocks a row; longer rows convert on the fly).
 */
#define W64_MAXB	512
#define DEF_KERNELS_W64(name, AB, aff)					\
static float								\
dot_##name(int n, const void *w, const void *x)				\
{									\
	float	r;							\
									\
	name##_nc(n, w, x, 0, 1, &r);					\
	return r;							\
}									\
AI void									\
name##_tile(int n, const uint8_t *w, const uint8_t *x, size_t xs,	\
    int k, float *o, const float *sf, int nb)				\
{									\
	switch (k) {							\
	case 8: name##_ncs(n, w, x, xs, 8, o, sf, 2 * nb); break;	\
	case 4: name##_ncs(n, w, x, xs, 4, o, sf, 2 * nb); break;	\
	case 3: name##_ncs(n, w, x, xs, 3, o, sf, 2 * nb); break;	\
	case 2: name##_ncs(n, w, x, xs, 2, o, sf, 2 * nb); break;	\
	default: name##_ncs(n, w, x, xs, 1, o, sf, 2 * nb); break;	\
	}								\
}									\
static void								\
gemm_##name(int n, const void *w, size_t ws, int nr, const void *x,	\
    size_t xs, int nc, float *y, size_t ldy)				\
{									\
	const uint8_t	*wb = w, *xb = x;				\
	float		 o[NCMAX], sfb[NCMAX * 2 * W64_MAXB], *sf;	\
	int		 r, c, k, kk, i, nb = n / QK;			\
									\
	for (c = 0; c < nc; c += k) {					\
		k = nc_next(nc - c);					\
		sf = nb <= W64_MAXB && nr > 1 && k > 1 ? sfb : NULL;	\
		for (kk = 0; sf != NULL && kk < k; kk++)		\
			for (i = 0; i < nb; i++) {			\
				const AB *a = XB(AB, xb, xs, c + kk, i);\
									\
				sf[kk * 2 * nb + i] = h2f(a->d);	\
				sf[kk * 2 * nb + nb + i] = aff ?	\
				    h2f(((const uint16_t *)a)[1]) : 0.0f;\
			}						\
		r = 0;							\
		for (; k == 1 && r + NRMAX <= nr; r += NRMAX) {		\
			name##_nrs(n, wb + r * ws, ws, xb + c * xs,	\
			    NRMAX, o);					\
			for (kk = 0; kk < NRMAX; kk++)			\
				y[(size_t)c * ldy + r + kk] = o[kk];	\
		}							\
		for (; r < nr; r++) {					\
			name##_tile(n, wb + r * ws, xb + c * xs, xs, k,	\
			    o, sf, nb);					\
			for (kk = 0; kk < k; kk++)			\
				y[(size_t)(c + kk) * ldy + r] = o[kk];	\
		}							\
	}								\
}

DEF_KERNELS_W64(q4_1, block_q8_1, 1)
DEF_KERNELS_W64(q5_1, block_q8_1, 1)
DEF_KERNELS(q2_K)
DEF_KERNELS(q3_K)
static __attribute__((noinline)) float
dot_q4_K(int n, const void *w, const void *x)
{
	float	r;

	q4_K_nc(n, w, x, 0, 1, &r);
	return r;
}

/*
 * Q4_K gemm: pairs of rows against up to 4 columns (q4_K_r2), an odd
 * last row as the other K-quants do.
 */
static void
gemm_q4_K(int n, const void *w, size_t ws, int nr, const void *x,
    size_t xs, int nc, float *y, size_t ldy)
{
	const uint8_t	*wb = w, *xb = x;
	float		 o[2 * NCMAX];
	int		 r, c, k, kk;

	for (c = 0; c < nc; c += k) {
		k = nc - c < 4 ? nc - c : 4;
		for (r = 0; r + 2 <= nr; r += 2) {
			switch (k) {
			case 4:
				q4_K_r2(n, wb + r * ws, ws, xb + c * xs, xs, 4,
				    o);
				break;
			case 3:
				q4_K_r2(n, wb + r * ws, ws, xb + c * xs, xs, 3,
				    o);
				break;
			case 2:
				q4_K_r2(n, wb + r * ws, ws, xb + c * xs, xs, 2,
				    o);
				break;
			default:
				q4_K_r2(n, wb + r * ws, ws, xb + c * xs, xs, 1,
				    o);
				break;
			}
			for (kk = 0; kk < k; kk++) {
				y[(size_t)(c + kk) * ldy + r] = o[kk];
				y[(size_t)(c + kk) * ldy + r + 1] =
				    o[NCMAX + kk];
			}
		}
		for (; r < nr; r++) {
			if (k == 1) {
				y[(size_t)c * ldy + r] = dot_q4_K(n,
				    wb + r * ws, xb + c * xs);
				continue;
			}
			NC_CALL(q4_K_nc, k, n, wb + r * ws, xb + c * xs, xs);
			for (kk = 0; kk < k; kk++)
				y[(size_t)(c + kk) * ldy + r] = o[kk];
		}
	}
}
DEF_KERNELS(q5_K)
DEF_KERNELS(q6_K)

/* Replace a type's dot and gemm, keeping its current quantizer. */
static void
install(uint32_t type, qdot_fn dot, qgemm_fn gemm)
{
	qtype_install(type, dot, gemm, qtype_traits(type)->quantize);
}

/*
 * Install the kernels of this file and of kernels-avx512-q.c over the
 * AVX2 ones (cpu.c calls avx2_install() first): the quantized weight
 * types only.
 */
void
AVX512_INSTALL(void)
{
	install(QT_Q4_1, dot_q4_1, gemm_q4_1);
	install(QT_Q5_1, dot_q5_1, gemm_q5_1);
	install(QT_Q2_K, dot_q2_K, gemm_q2_K);
	install(QT_Q3_K, dot_q3_K, gemm_q3_K);
	install(QT_Q4_K, dot_q4_K, gemm_q4_K);
	install(QT_Q5_K, dot_q5_K, gemm_q5_K);
	install(QT_Q6_K, dot_q6_K, gemm_q6_K);
	AVX512Q_INSTALL();
	AVX512T_INSTALL();
}
