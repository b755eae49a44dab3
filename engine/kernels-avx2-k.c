/*
 * kernels-avx2-k.c -- the AVX2 vec_dot and gemm kernels of the K-quants
 * (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, against Q8_K activations).  Built into
 * libengine_avx2.a with kernels-avx2.c's flags (-mavx2 -mfma -mf16c
 * -mbmi2); avx2_install() calls avx2_k_install() where it installs the
 * other types.  The Q8_K activation quantizer stays with the other
 * quantizers in kernels-avx2.c, and the prefill tiles of these types are
 * in kernels-avx2-tile.c.
 *
 * As in kernels-avx2.c, each dot product is one always-inlined function
 * of the number of activation columns nc (1..4), and DEF_KERNELS
 * (kernels-nc.h) makes vec_dot (nc = 1) and gemm (nc = 4, then 1..3) of
 * it, so gemm results are bit-identical to vec_dot's.  The weight codes
 * stay unsigned: the offset (Q3_K: 4, Q6_K: 32) or the affine mins
 * (Q2_K, Q4_K, Q5_K) come off through the Q8_K bsums once per
 * super-block, the super-block is summed in int32 and converted to float
 * once.  The scale unpacking and the Q4_K/Q5_K header and min term are
 * in simd-x86.h.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "simd-x86.h"
#include "kernels-nc.h"

/*
 * Keep v in a register here: stops the compiler from re-associating a
 * chain of integer adds across columns into a tree of live temporaries
 * (which spills with 4 columns).  No instruction is emitted.
 */
#define KEEP(v) __asm__("" : "+x"(v))

/*
 * Shuffle mask that, applied to 8 int16 scales duplicated in both
 * 128-bit lanes, gives scale 2k in the low lane and 2k+1 in the high
 * lane: the two 16-element sub-blocks of a 32-byte group.
 */
AI __m256i
pair_mask(int k)
{
	return _mm256_set_m128i(
	    _mm_set1_epi16((short)(((4 * k + 3) << 8) | (4 * k + 2))),
	    _mm_set1_epi16((short)(((4 * k + 1) << 8) | (4 * k))));
}

/* ---- K-quants --------------------------------------------------------- */

AI __m256i
load_q8k(const block_q8_K *a, int off)
{
	return _mm256_loadu_si256((const __m256i *)(a->qs + off));
}

/*
 * Q4_K (hbits == 0) and Q5_K: per super-block, 4 groups of 64 elements;
 * the low nibbles of group j's 32 bytes are sub-block 2j, the high ones
 * 2j+1; Q5_K adds bit 2j / 2j+1 of qh as bit 4.
 */
AI void
q45_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out, int q5)
{
	__m256		 acc[4];
	__m128		 accm[4];
	__m256i		 sumi[4], sc256, q4, ql, qh, scl, sch;
	__m256i		 hb = _mm256_setzero_si256();
	__m128i		 sc, mn, bsp;
	const uint8_t	*qs;
	float		 d, dmin, yd, summ[4];
	int		 i, j, c;
	size_t		 bsz = q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);

	#pragma GCC unroll 4
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
			hb = _mm256_loadu_si256((const __m256i *)
			    ((const block_q5_K *)blk)->qh);
		sc256 = _mm256_broadcastsi128_si256(sc);
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++)
			sumi[c] = _mm256_setzero_si256();
		#pragma GCC unroll 4
		for (j = 0; j < 4; j++) {
			q4 = _mm256_loadu_si256((const __m256i *)(qs + 32 * j));
			ql = _mm256_and_si256(q4, _mm256_set1_epi8(0x0F));
			qh = _mm256_and_si256(_mm256_srli_epi16(q4, 4),
			    _mm256_set1_epi8(0x0F));
			if (q5) {
				ql = _mm256_or_si256(ql, _mm256_and_si256(
				    _mm256_slli_epi16(hb, 4),
				    _mm256_set1_epi8(0x10)));
				qh = _mm256_or_si256(qh, _mm256_and_si256(
				    _mm256_slli_epi16(hb, 3),
				    _mm256_set1_epi8(0x10)));
				hb = _mm256_srli_epi16(hb, 2);
			}
			scl = _mm256_shuffle_epi8(sc256, _mm256_set1_epi16(
			    (short)(((4 * j + 1) << 8) | (4 * j))));
			sch = _mm256_shuffle_epi8(sc256, _mm256_set1_epi16(
			    (short)(((4 * j + 3) << 8) | (4 * j + 2))));
			#pragma GCC unroll 4
			for (c = 0; c < nc; c++) {
				const block_q8_K *a = XB(block_q8_K, x, xs, c,
				    i);
				__m256i	pl, ph;

				pl = _mm256_madd_epi16(_mm256_maddubs_epi16(ql,
				    load_q8k(a, 64 * j)), scl);
				ph = _mm256_madd_epi16(_mm256_maddubs_epi16(qh,
				    load_q8k(a, 64 * j + 32)), sch);
				sumi[c] = _mm256_add_epi32(sumi[c],
				    _mm256_add_epi32(pl, ph));
				KEEP(sumi[c]);
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			const block_q8_K *a = XB(block_q8_K, x, xs, c, i);
			__m256i	bs = load_bsums(a);

			yd = a->d;
			bsp = k45_bsums(bs);
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d * yd),
			    _mm256_cvtepi32_ps(sumi[c]), acc[c]);
			k45_min(bsp, mn, yd, dmin, q5, &summ[c], &accm[c]);
		}
	}
	#pragma GCC unroll 4
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
 * Q6_K: codes 0..63 (offset 32 applied through the bsums), int8 scales
 * per 16 elements.  Half h, group k: low nibbles of ql[64h + 32(k&1)..]
 * for k < 2, high nibbles for k >= 2, bits 2k..2k+1 of qh[32h..].
 */
AI void
q6_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q6_K	*b = (const block_q6_K *)w;
	__m256			 acc[4];
	__m256i			 sumi[4], sc16, s256, l1, l2, hv, q[4], scv;
	__m128i			 sc8;
	const __m256i		 m4 = _mm256_set1_epi8(0x0F);
	const __m256i		 m30 = _mm256_set1_epi8(0x30);
	float			 d;
	int			 i, h, k, c;

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		acc[c] = _mm256_setzero_ps();
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, sizeof *b);
		d = h2f(b->d);
		sc8 = _mm_loadu_si128((const __m128i *)b->scales);
		sc16 = _mm256_cvtepi8_epi16(sc8);
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			/* -32 * sum_s sc_s * bsum_s */
			sumi[c] = _mm256_slli_epi32(_mm256_madd_epi16(
			    load_bsums(XB(block_q8_K, x, xs, c, i)), sc16), 5);
			sumi[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
			    sumi[c]);
		}
		#pragma GCC unroll 4
		for (h = 0; h < 2; h++) {
			s256 = h ? _mm256_permute2x128_si256(sc16, sc16, 0x11) :
			    _mm256_permute2x128_si256(sc16, sc16, 0x00);
			l1 = _mm256_loadu_si256((const __m256i *)(b->ql +
			    64 * h));
			l2 = _mm256_loadu_si256((const __m256i *)(b->ql +
			    64 * h + 32));
			hv = _mm256_loadu_si256((const __m256i *)(b->qh +
			    32 * h));
			q[0] = _mm256_or_si256(_mm256_and_si256(l1, m4),
			    _mm256_and_si256(_mm256_slli_epi16(hv, 4), m30));
			q[1] = _mm256_or_si256(_mm256_and_si256(l2, m4),
			    _mm256_and_si256(_mm256_slli_epi16(hv, 2), m30));
			q[2] = _mm256_or_si256(_mm256_and_si256(
			    _mm256_srli_epi16(l1, 4), m4),
			    _mm256_and_si256(hv, m30));
			q[3] = _mm256_or_si256(_mm256_and_si256(
			    _mm256_srli_epi16(l2, 4), m4),
			    _mm256_and_si256(_mm256_srli_epi16(hv, 2), m30));
			#pragma GCC unroll 4
			for (k = 0; k < 4; k++) {
				scv = _mm256_shuffle_epi8(s256, pair_mask(k));
				#pragma GCC unroll 4
				for (c = 0; c < nc; c++) {
					const block_q8_K *a = XB(block_q8_K, x,
					    xs, c, i);

					sumi[c] = _mm256_add_epi32(sumi[c],
					    _mm256_madd_epi16(
					    _mm256_maddubs_epi16(q[k],
					    load_q8k(a, 128 * h + 32 * k)),
					    scv));
					KEEP(sumi[c]);
				}
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++)
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d *
			    XB(block_q8_K, x, xs, c, i)->d),
			    _mm256_cvtepi32_ps(sumi[c]), acc[c]);
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc[c]);
}

/*
 * Q3_K: codes lo2 + 4 * hbit in 0..7 (offset 4 through the bsums),
 * signed six-bit scales per 16 elements (q3k_scales8).
 */
AI void
q3_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q3_K	*b = (const block_q3_K *)w;
	__m256			 acc[4];
	__m256i			 sumi[4], sc16, s256, q2, hm, hb, qv, scv;
	const __m256i		 m3 = _mm256_set1_epi8(3);
	const __m256i		 m4 = _mm256_set1_epi8(4);
	float			 d;
	int			 i, h, j, g, c;

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		acc[c] = _mm256_setzero_ps();
	for (i = 0; i < n / QK_K; i++, b++) {
		if (nc == 1)
			pf_ahead(b, sizeof *b);
		d = h2f(b->d);
		sc16 = _mm256_cvtepi8_epi16(q3k_scales8(b->scales));
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			sumi[c] = _mm256_slli_epi32(_mm256_madd_epi16(
			    load_bsums(XB(block_q8_K, x, xs, c, i)), sc16), 2);
			sumi[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
			    sumi[c]);
		}
		hm = _mm256_loadu_si256((const __m256i *)b->hmask);
		#pragma GCC unroll 2
		for (h = 0; h < 2; h++) {
			s256 = h ? _mm256_permute2x128_si256(sc16, sc16, 0x11) :
			    _mm256_permute2x128_si256(sc16, sc16, 0x00);
			q2 = _mm256_loadu_si256((const __m256i *)(b->qs +
			    32 * h));
			#pragma GCC unroll 4
			for (j = 0; j < 4; j++) {
				/* bit 4h + j of hmask moved to bit 2 (value 4) */
				g = 4 * h + j;
				hb = g < 2 ? _mm256_slli_epi16(hm, 2 - g) :
				    g == 2 ? hm : _mm256_srli_epi16(hm, g - 2);
				qv = _mm256_or_si256(_mm256_and_si256(j ?
				    _mm256_srli_epi16(q2, 2 * j) : q2, m3),
				    _mm256_and_si256(hb, m4));
				scv = _mm256_shuffle_epi8(s256, pair_mask(j));
				#pragma GCC unroll 4
				for (c = 0; c < nc; c++) {
					const block_q8_K *a = XB(block_q8_K, x,
					    xs, c, i);

					sumi[c] = _mm256_add_epi32(sumi[c],
					    _mm256_madd_epi16(
					    _mm256_maddubs_epi16(qv,
					    load_q8k(a, 128 * h + 32 * j)),
					    scv));
					KEEP(sumi[c]);
				}
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++)
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d *
			    XB(block_q8_K, x, xs, c, i)->d),
			    _mm256_cvtepi32_ps(sumi[c]), acc[c]);
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc[c]);
}

/* Q2_K: codes 0..3, 4-bit scales and mins per 16 elements. */
AI void
q2_K_nc(int n, const uint8_t *w, const uint8_t *x, size_t xs, int nc,
    float *out)
{
	const block_q2_K	*b = (const block_q2_K *)w;
	__m256			 acc[4];
	__m256i			 sumi[4], sc16, mn16, s256, q2, qv, scv;
	__m128i			 s8;
	const __m256i		 m3 = _mm256_set1_epi8(3);
	float			 d, dmin, yd;
	int			 i, h, j, c;

	#pragma GCC unroll 4
	for (c = 0; c < nc; c++) {
		acc[c] = _mm256_setzero_ps();
	}
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
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++)
			sumi[c] = _mm256_setzero_si256();
		#pragma GCC unroll 4
		for (h = 0; h < 2; h++) {
			s256 = h ? _mm256_permute2x128_si256(sc16, sc16, 0x11) :
			    _mm256_permute2x128_si256(sc16, sc16, 0x00);
			q2 = _mm256_loadu_si256((const __m256i *)(b->qs +
			    32 * h));
			#pragma GCC unroll 4
			for (j = 0; j < 4; j++) {
				qv = _mm256_and_si256(q2, m3);
				q2 = _mm256_srli_epi16(q2, 2);
				scv = _mm256_shuffle_epi8(s256, pair_mask(j));
				#pragma GCC unroll 4
				for (c = 0; c < nc; c++) {
					const block_q8_K *a = XB(block_q8_K, x,
					    xs, c, i);

					sumi[c] = _mm256_add_epi32(sumi[c],
					    _mm256_madd_epi16(
					    _mm256_maddubs_epi16(qv,
					    load_q8k(a, 128 * h + 32 * j)),
					    scv));
					KEEP(sumi[c]);
				}
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < nc; c++) {
			const block_q8_K *a = XB(block_q8_K, x, xs, c, i);

			/* the mins first, into the same accumulator (the
			 * order llama.cpp's AVX2 kernel uses) */
			yd = a->d;
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(-(yd * dmin)),
			    _mm256_cvtepi32_ps(_mm256_madd_epi16(
			    load_bsums(a), mn16)), acc[c]);
			acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(yd * d),
			    _mm256_cvtepi32_ps(sumi[c]), acc[c]);
		}
	}
	#pragma GCC unroll 4
	for (c = 0; c < nc; c++)
		out[c] = hsum8(acc[c]);
}

DEF_KERNELS(q2_K)
DEF_KERNELS(q3_K)
DEF_KERNELS(q4_K)
DEF_KERNELS(q5_K)
DEF_KERNELS(q6_K)

/* Install the K-quant kernels of this file (avx2_install calls it). */
void
avx2_k_install(void)
{
	qtype_install(QT_Q2_K, dot_q2_K, gemm_q2_K, NULL);
	qtype_install(QT_Q3_K, dot_q3_K, gemm_q3_K, NULL);
	qtype_install(QT_Q4_K, dot_q4_K, gemm_q4_K, NULL);
	qtype_install(QT_Q5_K, dot_q5_K, gemm_q5_K, NULL);
	qtype_install(QT_Q6_K, dot_q6_K, gemm_q6_K, NULL);
}
