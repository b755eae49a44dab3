/*
 * kernels-avx512-q.c -- AVX-512 F/BW/VL kernels, and their VNNI variant,
 * for the weight types whose blocks each reduce to one integer sum:
 * Q4_0, Q5_0 and Q8_0 (quant.c's dot_phase8 and dot_q8_0 order: block
 * j's exact sum S_j, times d_w * d_a, into accumulator j mod 8, then
 * hsum8).
 *
 * Compiled twice, as kernels-avx512.c is (libengine_avx512.a, and
 * libengine_avx512vnni.a with -DKERNELS_VNNI), and a third and fourth
 * time against SIMDe by the emulation test (tests/avx512q-emu.c).  Its
 * install function is called by kernels-avx512.c's, after the AVX2
 * kernels are in place; it replaces dot and gemm of the three types and
 * keeps their AVX2 activation quantizers.
 *
 * Decode (vec_dot, one column) works on groups of eight blocks, as the
 * AVX2 kernel does, but one 512-bit register holds two weight blocks
 * whole: Q4_0/Q5_0 as unsigned codes laid out like a pair of their
 * Q8_0P activation blocks, so one 64-byte activation load meets them,
 * and vpdpbusd (or pmaddubsw + pmaddwd) gives both blocks' lane sums;
 * the offset of the codes comes off through the activations' code sums.
 * Q8_0 keeps the sign trick (|w| times a signed by w).  The integer sums
 * are those of the AVX2 kernel, so the float work, one FMA per eight
 * blocks, is too.
 *
 * Prefill (gemm) puts SIXTEEN weight rows in the lanes of a register
 * (the AVX2 kernel: eight): a chunk of blocks of 16 rows is repacked so
 * that register k of block j holds in lane r row r's codes 4k..4k+3,
 * and a block of one activation column then costs, for all 16 rows,
 * eight vpdpbusd (each against four activation bytes broadcast), one
 * conversion, one multiply and one FMA.  The activations go in as
 * a + 128 (unsigned, 0..255) against the signed codes, and 128 times
 * each row's code sum comes off: so vpdpbusd's unsigned operand is the
 * broadcast one and the codes stay as they are.  The accumulators of the
 * eight phases (block mod 8) are independent, so the kernel walks the
 * chunk phase by phase, and keeps one accumulator per column in a
 * register, four columns at a time (gcc reads the codes from L1 as
 * vpdpbusd's memory operand for each column rather than holding them).
 * See docs/PERFORMANCE.md for the instruction counts against AVX2's.
 *
 * Without VNNI, pmaddubsw pairs add up in int16 as far as they cannot
 * saturate: |code| <= 8 (Q4_0) takes all eight products of a block,
 * |code| <= 16 (Q5_0) four at a time; Q8_0 splits each code into
 * 16 * (signed high nibble) + (low nibble), the high products eight at
 * a time, the low ones four at a time.
 *
 * Nothing here may depend on SIMDe (see kernels-avx512.c).
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "simd-x86.h"

#ifndef AVX512Q_INSTALL
#ifdef KERNELS_VNNI
#define AVX512Q_INSTALL avx512vnni_q_install
#else
#define AVX512Q_INSTALL avx512_q_install
#endif
#endif
void	AVX512Q_INSTALL(void);

/* Blocks of a repacked chunk of 16 rows (32 x 16 x 32 bytes: 16 KiB). */
#define PCH	32
/* Activation columns whose accumulators one repack serves. */
#define PCOLS	64
/* Columns sharing a load of the codes (a register tile: 16 x PC). */
#define PC	4
/* Registers of codes per block: Q8_0 without VNNI splits them. */
#define NKMAX	16

enum { K_Q4_0, K_Q5_0, K_Q8_0 };

/* a in the lower 256 bits, b in the upper. */
AI __m512i
join256(__m256i a, __m256i b)
{
	return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
}

AI __m512
join256_ps(__m256 a, __m256 b)
{
	return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(
	    _mm256_castps_pd(a)), _mm256_castps_pd(b), 1));
}

/* Lower 256 bits of v plus upper 256 bits: 16 int32 -> 8. */
AI __m256i
fold16(__m512i v)
{
	return _mm256_add_epi32(_mm512_castsi512_si256(v),
	    _mm512_extracti64x4_epi64(v, 1));
}

/*
 * 16 int32 -> float.  Compiled without AVX-512 (the emulation test),
 * as two 256-bit conversions: SIMDe 0.7.4 has no _mm512_cvtepi32_ps,
 * and the result is the same element by element.
 */
AI __m512
cvt16(__m512i v)
{
#ifdef __AVX512F__
	return _mm512_cvtepi32_ps(v);
#else
	return join256_ps(_mm256_cvtepi32_ps(_mm512_castsi512_si256(v)),
	    _mm256_cvtepi32_ps(_mm512_extracti64x4_epi64(v, 1)));
#endif
}

/* Sums of products of unsigned u and signed s bytes, per 4, as int32. */
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

/* ---- decode ------------------------------------------------------------ */

/*
 * Q4_0 blocks b[0], b[1] as unsigned codes (code + 8) in the order of a
 * Q8_0P pair: [b0 elements 0..15 | b1 0..15 | b0 16..31 | b1 16..31].
 */
AI __m512i
pair64_q4_0(const block_q4_0 *b)
{
	__m512i	t = _mm512_broadcast_i64x4(_mm256_loadu2_m128i(
	    (const __m128i *)b[1].qs, (const __m128i *)b[0].qs));

	return _mm512_and_si512(_mm512_srlv_epi64(t,
	    _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0)), _mm512_set1_epi8(0x0F));
}

/* Q5_0 the same way (code + 16; bit e of qh is element e's fifth). */
AI __m512i
pair64_q5_0(const block_q5_0 *b)
{
	__m512i		t, q;
	uint32_t	h0, h1;
	uint64_t	m;

	t = _mm512_broadcast_i64x4(_mm256_loadu2_m128i(
	    (const __m128i *)b[1].qs, (const __m128i *)b[0].qs));
	q = _mm512_and_si512(_mm512_srlv_epi64(t,
	    _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0)), _mm512_set1_epi8(0x0F));
	memcpy(&h0, b[0].qh, 4);
	memcpy(&h1, b[1].qh, 4);
	m = (h0 & 0xFFFF) | (uint64_t)(h1 & 0xFFFF) << 16 |
	    (uint64_t)(h0 >> 16) << 32 | (uint64_t)(h1 >> 16) << 48;
	return _mm512_mask_add_epi8(q, (__mmask64)m, q, _mm512_set1_epi8(16));
}

/* Signed codes of one Q4_0 / Q5_0 block in element order. */
static void
codes_q45(const uint8_t *qs, const uint8_t *qh, int8_t *q)
{
	uint32_t	h = 0;
	int		e, off = qh != NULL ? 16 : 8;

	if (qh != NULL)
		memcpy(&h, qh, 4);
	for (e = 0; e < 16; e++) {
		q[e] = (int8_t)((qs[e] & 0x0F) + (int)((h >> e) & 1) * 16 - off);
		q[e + 16] = (int8_t)((qs[e] >> 4) +
		    (int)((h >> (e + 16)) & 1) * 16 - off);
	}
}

/* Block m of activation group g against signed codes q: the exact sum. */
static int
sum_q8_0p(const int8_t *q, const block_q8_0p *g, int m)
{
	int	e, s = 0;

	for (e = 0; e < QK; e++)
		s += q[e] * q8_0p_half(g, m, e / 16)[e % 16];
	return s;
}

/*
 * Q4_0 / Q5_0 decode.  The blocks of a last, partial group go one at a
 * time through the same order (rows whose length is not a multiple of
 * 256 elements only).
 */
#define DEF_DOT_P8(name, WB, pair, shift, hasqh)			\
static float								\
dot_##name(int n, const void *w, const void *x)				\
{									\
	const WB		*b = w;					\
	const block_q8_0p	*g = x;					\
	__m256			 acc = _mm256_setzero_ps();		\
	__m256i			 u[4], s;				\
	float			 l[8] __attribute__((aligned(32)));	\
	int8_t			 q[QK];					\
	int			 i, p, nb = n / QK;			\
									\
	for (i = 0; i + 8 <= nb; i += 8, g++) {				\
		pf_ahead(b + i, 8 * sizeof *b);				\
		_Pragma("GCC unroll 4")					\
		for (p = 0; p < 4; p++)					\
			u[p] = fold16(dot4_us(pair(b + i + 2 * p),	\
			    _mm512_loadu_si512(g->qs + 64 * p)));	\
		/* the codes' offset times each block's code sum */	\
		s = _mm256_sub_epi32(p8_sums(u), _mm256_slli_epi32(	\
		    _mm256_loadu_si256((const __m256i *)g->s), shift));	\
		acc = _mm256_fmadd_ps(_mm256_mul_ps(			\
		    p8_scales((const uint8_t *)(b + i), sizeof *b),	\
		    _mm256_loadu_ps(g->d)), _mm256_cvtepi32_ps(s), acc); \
	}								\
	if (i < nb) {							\
		_mm256_store_ps(l, acc);				\
		for (; i < nb; i++) {					\
			codes_q45(b[i].qs, hasqh ?			\
			    (const uint8_t *)b + i * sizeof *b + 2 : NULL, q); \
			l[i & 7] = fmaf(h2f(b[i].d) * g->d[i & 7],	\
			    (float)sum_q8_0p(q, g, i & 7), l[i & 7]);	\
		}							\
		acc = _mm256_load_ps(l);				\
	}								\
	return hsum8(acc);						\
}

DEF_DOT_P8(q4_0, block_q4_0, pair64_q4_0, 3, 0)
DEF_DOT_P8(q5_0, block_q5_0, pair64_q5_0, 4, 1)

/*
 * Q8_0 decode: two blocks a register, lanes 0..7 the first block's, the
 * sign trick (|w| times a signed by w: pairs of at most 2 x 128 x 127).
 */
AI __m512i
pair64_q8_0(const block_q8_0 *b, const block_q8_0 *a)
{
	__m512i		wv = join256(_mm256_loadu_si256((const __m256i *)b[0].qs),
			    _mm256_loadu_si256((const __m256i *)b[1].qs));
	__m512i		av = join256(_mm256_loadu_si256((const __m256i *)a[0].qs),
			    _mm256_loadu_si256((const __m256i *)a[1].qs));
	__mmask64	neg = _mm512_movepi8_mask(wv);

	av = _mm512_mask_sub_epi8(av, neg, _mm512_setzero_si512(), av);
	return dot4_us(_mm512_abs_epi8(wv), av);
}

static float
dot_q8_0(int n, const void *w, const void *x)
{
	const block_q8_0	*b = w;
	const block_q8_0	*a = x;
	__m256			 acc = _mm256_setzero_ps();
	__m256i			 v[8];
	__m512i			 t;
	float			 l[8] __attribute__((aligned(32)));
	int			 i, p, e, s, nb = n / QK;

	for (i = 0; i + 8 <= nb; i += 8) {
		pf_ahead(b + i, 8 * sizeof *b);
		#pragma GCC unroll 4
		for (p = 0; p < 4; p++) {
			t = pair64_q8_0(b + i + 2 * p, a + i + 2 * p);
			v[2 * p] = _mm512_castsi512_si256(t);
			v[2 * p + 1] = _mm512_extracti64x4_epi64(t, 1);
		}
		acc = _mm256_fmadd_ps(_mm256_mul_ps(
		    p8_scales((const uint8_t *)(b + i), sizeof *b),
		    p8_scales((const uint8_t *)(a + i), sizeof *a)),
		    _mm256_cvtepi32_ps(hsum8x8i(v)), acc);
	}
	if (i < nb) {
		_mm256_store_ps(l, acc);
		for (; i < nb; i++) {
			s = 0;
			for (e = 0; e < QK; e++)
				s += b[i].qs[e] * a[i].qs[e];
			l[i & 7] = fmaf(h2f(b[i].d) * h2f(a[i].d), (float)s,
			    l[i & 7]);
		}
		acc = _mm256_load_ps(l);
	}
	return hsum8(acc);
}

/* ---- prefill: 16 rows a register -------------------------------------- */

/* Registers of codes a block takes in the repacked chunk. */
AI int
nk_of(int kind)
{
#ifdef KERNELS_VNNI
	(void)kind;
	return 8;
#else
	return kind == K_Q8_0 ? 16 : 8;
#endif
}

/* Row block's signed codes in element order (32 bytes). */
AI __m256i
row_codes(int kind, const uint8_t *blk)
{
	const __m256i	m4 = _mm256_set1_epi8(0x0F);
	__m256i		t, q;
	uint32_t	h;

	if (kind == K_Q8_0)
		return _mm256_loadu_si256((const __m256i *)
		    ((const block_q8_0 *)blk)->qs);
	if (kind == K_Q4_0) {
		t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)
		    ((const block_q4_0 *)blk)->qs));
		q = _mm256_and_si256(_mm256_srlv_epi64(t,
		    _mm256_set_epi64x(4, 4, 0, 0)), m4);
		return _mm256_sub_epi8(q, _mm256_set1_epi8(8));
	}
	t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)
	    ((const block_q5_0 *)blk)->qs));
	q = _mm256_and_si256(_mm256_srlv_epi64(t,
	    _mm256_set_epi64x(4, 4, 0, 0)), m4);
	memcpy(&h, ((const block_q5_0 *)blk)->qh, 4);
	/* (the 512-bit form: SIMDe 0.7.4 has no alias of the 256-bit one) */
	q = _mm512_castsi512_si256(_mm512_mask_add_epi8(
	    _mm512_castsi256_si512(q), (__mmask64)h, _mm512_castsi256_si512(q),
	    _mm512_set1_epi8(16)));
	return _mm256_sub_epi8(q, _mm256_set1_epi8(16));
}

/*
 * Sixteen rows' blocks j0..j0+nbk-1: per block nk registers of codes
 * (register k, lane r: row r's codes 4k..4k+3; for Q8_0 without VNNI
 * the low nibbles, then the signed high nibbles), the rows' scales, and
 * 128 * (each row's code sum) in cr.
 */
AI void
repack16(int kind, const uint8_t *w, size_t ws, size_t bsz, int j0,
    int nbk, __m512i *codes, __m512 *sc, __m512i *cr)
{
	const int	nk = nk_of(kind);
	__m256i		u[8], lo[8], hi[8];
	__m512i		c, s;
	int		j, r, k;

	for (j = 0; j < nbk; j++) {
		const uint8_t	*b0 = w + (size_t)(j0 + j) * bsz;

		#pragma GCC unroll 8
		for (r = 0; r < 8; r++)
			u[r] = row_codes(kind, b0 + r * ws);
		tr8x32(u, lo);
		#pragma GCC unroll 8
		for (r = 0; r < 8; r++)
			u[r] = row_codes(kind, b0 + (r + 8) * ws);
		tr8x32(u, hi);
		s = _mm512_setzero_si512();
		#pragma GCC unroll 8
		for (k = 0; k < 8; k++) {
			c = join256(lo[k], hi[k]);
			s = _mm512_add_epi32(s, dot4_us(_mm512_set1_epi8(1), c));
			if (nk == 16) {
				/* q = 16 * (((q + 128) >> 4) - 8) + (q & 15) */
				codes[nk * j + k] = _mm512_and_si512(c,
				    _mm512_set1_epi8(0x0F));
				codes[nk * j + 8 + k] = _mm512_sub_epi8(
				    _mm512_and_si512(_mm512_srli_epi16(
				    _mm512_xor_si512(c, _mm512_set1_epi8(
				    (char)0x80)), 4), _mm512_set1_epi8(0x0F)),
				    _mm512_set1_epi8(8));
			} else
				codes[nk * j + k] = c;
		}
		cr[j] = _mm512_slli_epi32(s, 7);
		sc[j] = join256_ps(p8_scales(b0, ws), p8_scales(b0 + 8 * ws,
		    ws));
	}
}

/*
 * The activations of blocks j0..j0+nbk-1 of one column, as a + 128 in
 * element order (32 bytes a block), and their scales as floats.
 */
AI void
prep_col(int kind, const uint8_t *x, int j0, int nbk, uint8_t *ab,
    float *da)
{
	const __m256i	bias = _mm256_set1_epi8((char)0x80);
	int		j;

	for (j = 0; j < nbk; j++) {
		__m256i	v;

		if (kind == K_Q8_0) {
			const block_q8_0 *a = (const block_q8_0 *)x + j0 + j;

			v = _mm256_loadu_si256((const __m256i *)a->qs);
			da[j] = h2f(a->d);
		} else {
			const block_q8_0p *g = (const block_q8_0p *)x +
			    (j0 + j) / 8;
			int	m = (j0 + j) & 7;

			v = _mm256_loadu2_m128i((const __m128i *)
			    q8_0p_half(g, m, 1), (const __m128i *)
			    q8_0p_half(g, m, 0));
			da[j] = g->d[m];
		}
		_mm256_storeu_si256((__m256i *)(ab + 32 * j),
		    _mm256_xor_si256(v, bias));
	}
}

/* Four activation bytes (at p) in every lane. */
AI __m512i
bcast4(const uint8_t *p)
{
	int32_t	v;

	memcpy(&v, p, 4);
	return _mm512_set1_epi32(v);
}

/* One block of one column against the 16 rows' codes R: the exact sums. */
AI __m512i
blk16(int kind, const __m512i *R, __m512i cr, const uint8_t *ab)
{
	__m512i	s = _mm512_sub_epi32(_mm512_setzero_si512(), cr);
	int	k;
#ifdef KERNELS_VNNI
	(void)kind;
	#pragma GCC unroll 8
	for (k = 0; k < 8; k++)
		s = _mm512_dpbusd_epi32(s, bcast4(ab + 4 * k), R[k]);
#else
	const __m512i	ones = _mm512_set1_epi16(1);
	__m512i		a, s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0;

	#pragma GCC unroll 8
	for (k = 0; k < 8; k++) {
		a = bcast4(ab + 4 * k);
		if (kind == K_Q8_0) {
			/* low nibbles four at a time, high ones all eight */
			if (k < 4)
				s0 = _mm512_add_epi16(s0,
				    _mm512_maddubs_epi16(a, R[k]));
			else
				s1 = _mm512_add_epi16(s1,
				    _mm512_maddubs_epi16(a, R[k]));
			s2 = _mm512_add_epi16(s2, _mm512_maddubs_epi16(a,
			    R[8 + k]));
		} else if (kind == K_Q5_0 && k >= 4)
			s1 = _mm512_add_epi16(s1, _mm512_maddubs_epi16(a, R[k]));
		else
			s0 = _mm512_add_epi16(s0, _mm512_maddubs_epi16(a, R[k]));
	}
	s = _mm512_add_epi32(s, _mm512_madd_epi16(s0, ones));
	if (kind != K_Q4_0)
		s = _mm512_add_epi32(s, _mm512_madd_epi16(s1, ones));
	if (kind == K_Q8_0)
		s = _mm512_add_epi32(s, _mm512_madd_epi16(s2,
		    _mm512_set1_epi16(16)));
#endif
	return s;
}

/*
 * nct (1..PC) columns against a repacked chunk: accm holds each
 * column's eight phase accumulators (16 rows each), in and out; ab and
 * da the columns' prepared activations (PCH blocks a column).  Phase p
 * takes blocks p, p + 8, ... in order, which is all the reference's
 * order asks.
 */
AI void
tile16(int kind, int nct, const __m512i *codes, const __m512 *sc,
    const __m512i *cr, int nbk, const uint8_t *ab, const float *da,
    __m512 *accm)
{
	const int	nk = nk_of(kind);
	__m512		acc[PC];
	__m512i		R[NKMAX];
	int		p, j, k, c;

	for (p = 0; p < 8 && p < nbk; p++) {
		#pragma GCC unroll 4
		for (c = 0; c < nct; c++)
			acc[c] = accm[8 * c + p];
		for (j = p; j < nbk; j += 8) {
			#pragma GCC unroll 16
			for (k = 0; k < nk; k++)
				R[k] = codes[nk * j + k];
			#pragma GCC unroll 4
			for (c = 0; c < nct; c++)
				acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(sc[j],
				    _mm512_set1_ps(da[c * PCH + j])),
				    cvt16(blk16(kind, R, cr[j],
				    ab + (size_t)(c * PCH + j) * 32)), acc[c]);
		}
		#pragma GCC unroll 4
		for (c = 0; c < nct; c++)
			accm[8 * c + p] = acc[c];
	}
}

/* Row r's result (lane r): hsum8's tree over the eight accumulators. */
AI void
out16(const __m512 *a, float *out)
{
	_mm512_storeu_ps(out, _mm512_add_ps(
	    _mm512_add_ps(_mm512_add_ps(a[0], a[4]), _mm512_add_ps(a[2], a[6])),
	    _mm512_add_ps(_mm512_add_ps(a[1], a[5]), _mm512_add_ps(a[3], a[7]))));
}

AI void
gemm16(int kind, int n, const void *w, size_t ws, int nr, const void *x,
    size_t xs, int nc, float *y, size_t ldy, size_t bsz, qdot_fn dot)
{
	const uint8_t	*wb = w, *xb = x;
	__m512i		 codes[NKMAX * PCH], cr[PCH];
	__m512		 sc[PCH], accm[PCOLS * 8];
	uint8_t		 ab[PC * PCH * 32] __attribute__((aligned(64)));
	float		 da[PC * PCH], o16[16];
	int		 r, c, c0, c1, ncg, nct = 0, j0, nbk, k, nb = n / QK;

	for (r = 0; r + 16 <= nr; r += 16) {
		for (c0 = 0; c0 < nc; c0 += PCOLS) {
			ncg = nc - c0 < PCOLS ? nc - c0 : PCOLS;
			for (k = 0; k < ncg * 8; k++)
				accm[k] = _mm512_setzero_ps();
			for (j0 = 0; j0 < nb; j0 += PCH) {
				nbk = nb - j0 < PCH ? nb - j0 : PCH;
				repack16(kind, wb + r * ws, ws, bsz, j0, nbk,
				    codes, sc, cr);
				for (c1 = 0; c1 < ncg; c1 += nct) {
					nct = ncg - c1 < PC ? ncg - c1 : PC;
					for (c = 0; c < nct; c++)
						prep_col(kind, xb + (size_t)(c0 +
						    c1 + c) * xs, j0, nbk,
						    ab + c * PCH * 32,
						    da + c * PCH);
					switch (nct) {
					case 4:
						tile16(kind, 4, codes, sc, cr,
						    nbk, ab, da, accm + 8 * c1);
						break;
					case 3:
						tile16(kind, 3, codes, sc, cr,
						    nbk, ab, da, accm + 8 * c1);
						break;
					case 2:
						tile16(kind, 2, codes, sc, cr,
						    nbk, ab, da, accm + 8 * c1);
						break;
					default:
						tile16(kind, 1, codes, sc, cr,
						    nbk, ab, da, accm + 8 * c1);
						break;
					}
				}
			}
			for (c = 0; c < ncg; c++) {
				out16(accm + 8 * c, o16);
				for (k = 0; k < 16; k++)
					y[(size_t)(c0 + c) * ldy + r + k] =
					    o16[k];
			}
		}
	}
	for (; r < nr; r++)
		for (c = 0; c < nc; c++)
			y[(size_t)c * ldy + r] = dot(n, wb + r * ws,
			    xb + (size_t)c * xs);
}

static void
gemm_q4_0(int n, const void *w, size_t ws, int nr, const void *x,
    size_t xs, int nc, float *y, size_t ldy)
{
	gemm16(K_Q4_0, n, w, ws, nr, x, xs, nc, y, ldy, sizeof(block_q4_0),
	    dot_q4_0);
}

static void
gemm_q5_0(int n, const void *w, size_t ws, int nr, const void *x,
    size_t xs, int nc, float *y, size_t ldy)
{
	gemm16(K_Q5_0, n, w, ws, nr, x, xs, nc, y, ldy, sizeof(block_q5_0),
	    dot_q5_0);
}

static void
gemm_q8_0(int n, const void *w, size_t ws, int nr, const void *x,
    size_t xs, int nc, float *y, size_t ldy)
{
	gemm16(K_Q8_0, n, w, ws, nr, x, xs, nc, y, ldy, sizeof(block_q8_0),
	    dot_q8_0);
}

#ifdef KERNELS_VNNI
/* ---- prefill tiles (quant.h: pack, tile), VNNI only ------------------- */

/*
 * The packed form of 16 rows (quant.h's pack): per block, the eight
 * registers of codes of repack16 (register k, lane r: row r's signed
 * codes 4k..4k+3), the rows' scales, and minus 128 times each row's code
 * sum (the start of the block's integer sums).  Rows past nr repeat the
 * last row (computed, never stored).  matmul.c packs a chunk of rows once
 * per product; gemm16 repacks 32 blocks of 16 rows again for every 64
 * columns and prepares each column's activations again for every 16
 * rows, which in a long prefill costs about as many instructions as the
 * products.  Plain arrays, read and written with unaligned loads and
 * stores: the buffer needs no particular alignment.
 */
struct pk16 {
	int8_t	codes[8][64];
	float	sc[16];
	int32_t	ncr[16];
};

static size_t
pack_size16(int n, int nr)
{
	return (size_t)((nr + 15) / 16) * (size_t)(n / QK) *
	    sizeof(struct pk16);
}

AI void
pack16(int kind, int n, const uint8_t *w, size_t ws, int nr, size_t bsz,
    struct pk16 *pk)
{
	const uint8_t	*row[16];
	__m256i		 u[8], lo[8], hi[8];
	__m512i		 c, s;
	uint16_t	 h[16];
	int		 nb = n / QK, g, j, r, k;

	for (g = 0; g < (nr + 15) / 16; g++) {
		for (r = 0; r < 16; r++)
			row[r] = w + (size_t)(16 * g + r < nr ? 16 * g + r :
			    nr - 1) * ws;
		for (j = 0; j < nb; j++) {
			struct pk16 *o = pk + (size_t)g * nb + j;

			#pragma GCC unroll 8
			for (r = 0; r < 8; r++)
				u[r] = row_codes(kind, row[r] + j * bsz);
			tr8x32(u, lo);
			#pragma GCC unroll 8
			for (r = 0; r < 8; r++)
				u[r] = row_codes(kind, row[8 + r] + j * bsz);
			tr8x32(u, hi);
			s = _mm512_setzero_si512();
			#pragma GCC unroll 8
			for (k = 0; k < 8; k++) {
				c = join256(lo[k], hi[k]);
				s = _mm512_add_epi32(s, dot4_us(
				    _mm512_set1_epi8(1), c));
				_mm512_storeu_si512(o->codes[k], c);
			}
			_mm512_storeu_si512(o->ncr, _mm512_sub_epi32(
			    _mm512_setzero_si512(), _mm512_slli_epi32(s, 7)));
			for (r = 0; r < 16; r++)
				memcpy(&h[r], row[r] + j * bsz, 2);
			_mm512_storeu_ps(o->sc, join256_ps(
			    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h)),
			    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)
			    (h + 8)))));
		}
	}
}

/* Column c's activations of block j: 32 codes (in the order of the
 * packed codes) and their scale. */
AI const int8_t *
tq_codes(int kind, const uint8_t *x, size_t xs, int c, int j, int half)
{
	if (kind == K_Q8_0)
		return ((const block_q8_0 *)(x + (size_t)c * xs))[j].qs +
		    16 * half;
	return q8_0p_half((const block_q8_0p *)(x + (size_t)c * xs) + j / 8,
	    j & 7, half);
}

AI float
tq_scale(int kind, const uint8_t *x, size_t xs, int c, int j)
{
	if (kind == K_Q8_0)
		return h2f(((const block_q8_0 *)(x + (size_t)c * xs))[j].d);
	return ((const block_q8_0p *)(x + (size_t)c * xs) + j / 8)->d[j & 7];
}

#define TQ_COLS	4	/* columns per register tile */

/*
 * NG (1 or 2) groups of 16 packed rows x NC columns, all nb blocks:
 * phase p (blocks p, p + 8, ...) at a time, as the reference adds them,
 * with one float accumulator per group and column live; the eight
 * phases end in fb (group g, column c, phase p: fb + ((g * TQ_COLS + c)
 * * 8 + p) * 16) and are summed in hsum8's tree at the end.  Per block
 * and code register: two loads of codes, NC broadcasts of four
 * activation bytes made unsigned (+128, an xor), 2 x NC vpdpbusd.
 */
AI void
tq_tile(int kind, const struct pk16 *pk, int nb, const uint8_t *x,
    size_t xs, int NG, int NC, int nr, float *y, size_t ldy)
{
	__m512		 facc[2][TQ_COLS], fb[2][TQ_COLS][8], t;
	__m512i		 ia[2][TQ_COLS], wk[2], a;
	float		 o[16];
	int		 p, j, k, g, c, r;

	for (p = 0; p < 8; p++) {
		#pragma GCC unroll 2
		for (g = 0; g < NG; g++) {
			#pragma GCC unroll 4
			for (c = 0; c < NC; c++)
				facc[g][c] = _mm512_setzero_ps();
		}
		for (j = p; j < nb; j += 8) {
			#pragma GCC unroll 2
			for (g = 0; g < NG; g++) {
				#pragma GCC unroll 4
				for (c = 0; c < NC; c++)
					ia[g][c] = _mm512_loadu_si512(
					    pk[(size_t)g * nb + j].ncr);
			}
			#pragma GCC unroll 8
			for (k = 0; k < 8; k++) {
				#pragma GCC unroll 2
				for (g = 0; g < NG; g++)
					wk[g] = _mm512_loadu_si512(
					    pk[(size_t)g * nb + j].codes[k]);
				#pragma GCC unroll 4
				for (c = 0; c < NC; c++) {
					a = _mm512_xor_si512(bcast4((const
					    uint8_t *)tq_codes(kind, x, xs, c,
					    j, k >> 2) + 4 * (k & 3)),
					    _mm512_set1_epi8((char)0x80));
					#pragma GCC unroll 2
					for (g = 0; g < NG; g++)
						ia[g][c] = _mm512_dpbusd_epi32(
						    ia[g][c], a, wk[g]);
				}
			}
			#pragma GCC unroll 4
			for (c = 0; c < NC; c++) {
				t = _mm512_set1_ps(tq_scale(kind, x, xs, c, j));
				#pragma GCC unroll 2
				for (g = 0; g < NG; g++)
					facc[g][c] = _mm512_fmadd_ps(
					    _mm512_mul_ps(_mm512_loadu_ps(
					    pk[(size_t)g * nb + j].sc), t),
					    cvt16(ia[g][c]),
					    facc[g][c]);
			}
		}
		#pragma GCC unroll 2
		for (g = 0; g < NG; g++) {
			#pragma GCC unroll 4
			for (c = 0; c < NC; c++)
				fb[g][c][p] = facc[g][c];
		}
	}
	for (g = 0; g < NG; g++)
		for (c = 0; c < NC; c++) {
			out16(fb[g][c], o);
			for (r = 0; r < 16 && 16 * g + r < nr; r++)
				y[(size_t)c * ldy + 16 * g + r] = o[r];
		}
}

#define TQ_NC(NG, left, ...) do {					\
	switch ((left) < TQ_COLS ? (left) : TQ_COLS) {			\
	case 1: tq_tile(__VA_ARGS__, NG, 1, rows, yc, ldy); break;	\
	case 2: tq_tile(__VA_ARGS__, NG, 2, rows, yc, ldy); break;	\
	case 3: tq_tile(__VA_ARGS__, NG, 3, rows, yc, ldy); break;	\
	default: tq_tile(__VA_ARGS__, NG, 4, rows, yc, ldy); break;	\
	}								\
} while (0)

AI void
tq_tiles(int kind, int n, const struct pk16 *pk, int nr, const uint8_t *x,
    size_t xs, int nc, float *y, size_t ldy)
{
	int	nb = n / QK, ng = (nr + 15) / 16, g0, c0, rows;

	for (g0 = 0; g0 < ng; g0 += 2) {
		rows = nr - 16 * g0;
		for (c0 = 0; c0 < nc; c0 += TQ_COLS) {
			const struct pk16 *t = pk + (size_t)g0 * nb;
			const uint8_t *xc = x + (size_t)c0 * xs;
			float *yc = y + (size_t)c0 * ldy + 16 * g0;

			if (ng - g0 >= 2)
				TQ_NC(2, nc - c0, kind, t, nb, xc, xs);
			else
				TQ_NC(1, nc - c0, kind, t, nb, xc, xs);
		}
	}
}

#define DEF_TQ(name, KIND, WB)						\
static void								\
pack_##name(int n, const void *w, size_t ws, int nr, void *dst)	\
{									\
	pack16(KIND, n, w, ws, nr, sizeof(WB), dst);			\
}									\
static void								\
tile_##name(int n, const void *pk, int nr, const void *x, size_t xs,	\
    int nc, float *y, size_t ldy)					\
{									\
	tq_tiles(KIND, n, pk, nr, x, xs, nc, y, ldy);			\
}
DEF_TQ(q4_0, K_Q4_0, block_q4_0)
DEF_TQ(q5_0, K_Q5_0, block_q5_0)
DEF_TQ(q8_0, K_Q8_0, block_q8_0)
#endif

/* Replace a type's dot and gemm, keeping its current (AVX2) quantizer. */
void
AVX512Q_INSTALL(void)
{
	qtype_install(QT_Q4_0, dot_q4_0, gemm_q4_0,
	    qtype_traits(QT_Q4_0)->quantize);
	qtype_install(QT_Q5_0, dot_q5_0, gemm_q5_0,
	    qtype_traits(QT_Q5_0)->quantize);
	qtype_install(QT_Q8_0, dot_q8_0, gemm_q8_0,
	    qtype_traits(QT_Q8_0)->quantize);
#ifdef KERNELS_VNNI
	qtype_install_tile(QT_Q4_0, pack_size16, pack_q4_0, tile_q4_0);
	qtype_install_tile(QT_Q5_0, pack_size16, pack_q5_0, tile_q5_0);
	qtype_install_tile(QT_Q8_0, pack_size16, pack_q8_0, tile_q8_0);
#endif
}
