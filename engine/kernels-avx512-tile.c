/*
 * kernels-avx512-tile.c -- AVX-512 prefill tiles (quant.h: pack, tile)
 * for the K-quants: Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.
 *
 * Compiled twice like kernels-avx512.c (plain and VNNI, KERNELS_VNNI)
 * and a third time against SIMDe for the emulation test; its install
 * function is called from kernels-avx512.c's.
 *
 * Why: the gemm kernels unpack a weight super-block (nibbles, high bits,
 * scales) again for every group of 4-8 activation columns, and their
 * float work folds each row's 16 int32 into 8 lanes per column.  In a
 * prefill of hundreds of columns that costs about as many instructions
 * as the products.  Here each chunk of rows (matmul.c: 32) is unpacked
 * once per matrix product into a packed layout, and the tile kernel
 * reads it for every column:
 *
 *  - rows go in pairs; for super-block i of pair p the packed record
 *    (struct pk_k45) holds, per 32-element sub-block s, the 64 bytes
 *    [row 0's 32 codes | row 1's 32 codes] (Q2_K with VNNI: code x
 *    scale, at most 45), the rows' scales as int16, their d, and the
 *    min terms' mins and dmin, laid out as the float work wants them,
 *    and per sub-block the scales as the multiply takes them (sx);
 *  - a column's 32 activation bytes of sub-block s are broadcast to both
 *    halves of a zmm, so one pmaddubsw + pmaddwd (VNNI: vpdpwssd; Q2_K
 *    with VNNI: one vpdpbusd) gives the 8 int32 lanes of both rows at
 *    once, already in the reference's lane order (lane m: elements
 *    4m..4m+3 of each 32 elements): no fold; the scales of the
 *    sub-block are one load per pair (pack expanded them);
 *  - per super-block the float work of a (pair, column) is one convert,
 *    one multiply (d x the column's d, rounded as the reference) and one
 *    FMA on [row 0's 8 lanes | row 1's 8 lanes] (Q2_K: its min term
 *    first, as the reference); Q6_K and Q3_K start the lanes at -32
 *    (-4) x sum sc bsum as the reference does, one pmaddwd with the
 *    scales packed times -32 (-4);
 *  - register tile: 2 pairs (4 rows) x 6 columns, 12 int32
 *    accumulators; per sub-block 2 code loads, 2 scale loads, 6
 *    broadcast loads and 24 multiply instructions, against the gemm's
 *    unpack of the rows for every 4-8 columns and a fold per column
 *    and super-block; the float lanes wait in memory (fb) between
 *    super-blocks, so the integer tile has the registers (on an Intel
 *    core the multiplies and shuffles share two ports, and every
 *    instruction taken out of the sub-block loop counts);
 *  - the K loop is blocked by TILE_KB super-blocks inside groups of
 *    TILE_GROUP columns, so a block's packed rows and the group's
 *    activations stay in L1;
 *  - Q4_K/Q5_K's min terms (mins x paired bsums) run right after each
 *    block of super-blocks, in the reference's order, from a table of
 *    the columns' paired bsums and d made once per group of columns
 *    and block (k45_mtab): Q4_K two columns a register, Q5_K (a scalar
 *    per row and column) 2 rows x 8 columns a register.
 *
 * Per row and column the integer sums are exact and the float operations
 * are those of quant-k.c's reference in the same order, so the results
 * are bit-identical to it, to vec_dot and to gemm (tests/test-matmul
 * compares the threaded products, which use these tiles from
 * MM_TILE_MIN columns on, with single-threaded ones, which do not;
 * tests/test-quant and tests/test-avx512-emu check pack + tile against
 * the reference, natively and under emulation).  A packed record is
 * 1,280 bytes per pair and super-block, 640 a row (Q4_K's own: 144);
 * matmul.c packs 32 rows at a time into a per-thread buffer (32 x 4096:
 * 320 KiB; 32 x 11008: 860 KiB), never the whole matrix.
 * docs/PERFORMANCE.md has the instruction counts and the measurements.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "simd-x86.h"
#include "simd-avx512.h"

#ifndef AVX512T_INSTALL
#ifdef KERNELS_VNNI
#define AVX512T_INSTALL avx512vnni_tile_install
#else
#define AVX512T_INSTALL avx512_tile_install
#endif
#endif
void	AVX512T_INSTALL(void);

#define TILE_PAIRS	2	/* row pairs per register tile */
#define TILE_COLS	6	/* columns per register tile (<= 6) */

/* The kinds of super-block this file packs (a constant in every call). */
#define K_Q4	0
#define K_Q5	1
#define K_Q6	2
#define K_Q3	3
#define K_Q2	4
/* Scales per 16 elements (else per 32). */
#define K16(kind)	((kind) >= K_Q6)
/*
 * Q2_K with VNNI: the codes (0..3) times their scale (0..15) fit a byte,
 * so pack stores the products and one vpdpbusd per sub-block does the
 * rest; without VNNI pmaddubsw + pmaddwd with the scales, as the others.
 */
#ifdef KERNELS_VNNI
#define Q2_PREMUL	1
#else
#define Q2_PREMUL	0
#endif

/* One super-block of a pair of K-quant rows, packed. */
struct pk_k45 {
	uint8_t	 q[8][64];	/* sub-block s: row 0's codes | row 1's */
	float	 d[16];		/* row 0's d x8 | row 1's d x8 */
	int16_t	 sc[32];	/* Q4_K/Q5_K: row 0's 8 scales | row 1's 8
				   (16 used); 16-element formats: row 0's
				   16 | row 1's 16 */
	int16_t	 mn[32];	/* Q4_K/Q5_K: row 0's 8 mins | row 1's 8;
				   Q2_K: 16 | 16; Q6_K (Q3_K): -32 (-4)
				   times the scales, 16 | 16 */
	float	 dm[16];	/* Q4_K: row 0's dmin x4 | row 1's x4;
				   Q5_K, Q2_K: x8 | x8 */
	int16_t	 sx[8][32];	/* sub-block s: the scales of its
				   products in the words of each half, as
				   vpdpwssd takes them (k45_six), so the
				   tile loads them (unused by Q2_K with
				   VNNI) */
};

/*
 * vpermw indices: the scales of sub-block s in the words of each half
 * of a zmm, from a pair's packed scales sc: Q4_K/Q5_K scale s of row 0
 * (row 1: 8 + s); 16-element formats scales 2s and 2s + 1 (row 1: 16 +
 * those), one per 16 elements.  pack expands them once into sx (in the
 * tile, one vpermw per pair and sub-block took a slot of the shuffle
 * port, which the multiplies share on Intel cores).
 */
#define SIX4(a, b)	a, a, a, a, a, a, a, a, b, b, b, b, b, b, b, b
static const int16_t k45_six[2][8][32] __attribute__((aligned(64))) = {
	{ { SIX4(0, 0), SIX4(8, 8) }, { SIX4(1, 1), SIX4(9, 9) },
	  { SIX4(2, 2), SIX4(10, 10) }, { SIX4(3, 3), SIX4(11, 11) },
	  { SIX4(4, 4), SIX4(12, 12) }, { SIX4(5, 5), SIX4(13, 13) },
	  { SIX4(6, 6), SIX4(14, 14) }, { SIX4(7, 7), SIX4(15, 15) } },
#define SIX16(s)	{ SIX4(2 * s, 2 * s + 1), SIX4(16 + 2 * s, 17 + 2 * s) }
	{ SIX16(0), SIX16(1), SIX16(2), SIX16(3), SIX16(4), SIX16(5),
	  SIX16(6), SIX16(7) },
};

/* Fill o->sx from o->sc. */
AI void
pack_sx(struct pk_k45 *o, int k16)
{
	const __m512i	sc = _mm512_loadu_si512(o->sc);
	int		s;

	for (s = 0; s < 8; s++)
		_mm512_storeu_si512(o->sx[s], _mm512_permutexvar_epi16(
		    _mm512_load_si512(k45_six[k16][s]), sc));
}

static size_t
pack_size_k45(int n, int nr)
{
	return (size_t)((nr + 1) / 2) * (size_t)(n / QK_K) *
	    sizeof(struct pk_k45);
}

/*
 * Pack nr rows (an odd last row is paired with itself; its copy is
 * computed and never stored).
 */
AI void
pack_k45(int n, const uint8_t *w, size_t ws, int nr, struct pk_k45 *pk,
    int q5)
{
	const size_t	 bsz = q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
	const uint8_t	*blk, *qs, *qh;
	struct pk_k45	*o;
	__m256i		 v, lo, hi, hb;
	__m128i		 sc, mn;
	float		 d, dmin;
	int		 nsb = n / QK_K, p, h, i, c, r;

	for (p = 0; p < (nr + 1) / 2; p++) {
		for (h = 0; h < 2; h++) {
			r = 2 * p + h < nr ? 2 * p + h : nr - 1;
			for (i = 0; i < nsb; i++) {
				blk = w + (size_t)r * ws + (size_t)i * bsz;
				o = pk + (size_t)p * nsb + i;
				qs = k45_head(blk, q5, &d, &dmin, &sc, &mn);
				qh = q5 ? ((const block_q5_K *)blk)->qh : NULL;
				for (c = 0; c < 4; c++) {
					v = _mm256_loadu_si256((const __m256i *)
					    (qs + 32 * c));
					lo = _mm256_and_si256(v,
					    _mm256_set1_epi8(0x0F));
					hi = _mm256_and_si256(
					    _mm256_srli_epi16(v, 4),
					    _mm256_set1_epi8(0x0F));
					if (q5) {
						/* bit 2c / 2c+1 of qh[l]:
						 * 16 or 0 */
						hb = _mm256_loadu_si256(
						    (const __m256i *)qh);
						lo = _mm256_or_si256(lo,
						    _mm256_and_si256(
						    _mm256_slli_epi16(
						    _mm256_srli_epi16(hb, 2 * c),
						    4), _mm256_set1_epi8(16)));
						hi = _mm256_or_si256(hi,
						    _mm256_and_si256(
						    _mm256_slli_epi16(
						    _mm256_srli_epi16(hb,
						    2 * c + 1), 4),
						    _mm256_set1_epi8(16)));
					}
					_mm256_storeu_si256((__m256i *)
					    (o->q[2 * c] + 32 * h), lo);
					_mm256_storeu_si256((__m256i *)
					    (o->q[2 * c + 1] + 32 * h), hi);
				}
				_mm256_storeu_ps(o->d + 8 * h, _mm256_set1_ps(d));
				_mm_storeu_si128((__m128i *)(o->sc + 8 * h), sc);
				_mm_storeu_si128((__m128i *)(o->mn + 8 * h), mn);
				if (q5)
					_mm256_storeu_ps(o->dm + 8 * h,
					    _mm256_set1_ps(dmin));
				else
					_mm_storeu_ps(o->dm + 4 * h,
					    _mm_set1_ps(dmin));
			}
		}
		for (i = 0; i < nsb; i++)
			pack_sx(pk + (size_t)p * nsb + i, 0);
	}
}

/*
 * Q6_K: group k of half h (sub-block 4h + k) is the low (k < 2) or high
 * nibble of ql[64h + 32(k & 1) + l] with bits 2k..2k+1 of qh[32h + l].
 */
static void
pack_q6_K(int n, const void *w, size_t ws, int nr, void *dst)
{
	const block_q6_K	*b;
	struct pk_k45		*o, *pk = dst;
	__m256i			 ql, qh, v;
	int			 nsb = n / QK_K, p, h, i, hh, k, r;

	for (p = 0; p < (nr + 1) / 2; p++) {
		for (h = 0; h < 2; h++) {
			r = 2 * p + h < nr ? 2 * p + h : nr - 1;
			for (i = 0; i < nsb; i++) {
				b = (const block_q6_K *)((const uint8_t *)w +
				    (size_t)r * ws) + i;
				o = pk + (size_t)p * nsb + i;
				for (hh = 0; hh < 2; hh++) {
					qh = _mm256_loadu_si256((const __m256i *)
					    (b->qh + 32 * hh));
					for (k = 0; k < 4; k++) {
						ql = _mm256_loadu_si256(
						    (const __m256i *)(b->ql +
						    64 * hh + 32 * (k & 1)));
						if (k >= 2)
							ql = _mm256_srli_epi16(
							    ql, 4);
						v = _mm256_or_si256(
						    _mm256_and_si256(ql,
						    _mm256_set1_epi8(0x0F)),
						    _mm256_and_si256(
						    _mm256_slli_epi16(
						    _mm256_srli_epi16(qh,
						    2 * k), 4),
						    _mm256_set1_epi8(0x30)));
						_mm256_storeu_si256((__m256i *)
						    (o->q[4 * hh + k] + 32 * h),
						    v);
					}
				}
				_mm256_storeu_ps(o->d + 8 * h, _mm256_set1_ps(
				    h2f(b->d)));
				_mm256_storeu_si256((__m256i *)(o->sc + 16 * h),
				    _mm256_cvtepi8_epi16(_mm_loadu_si128(
				    (const __m128i *)b->scales)));
				_mm256_storeu_si256((__m256i *)(o->mn + 16 * h),
				    _mm256_mullo_epi16(_mm256_cvtepi8_epi16(
				    _mm_loadu_si128((const __m128i *)
				    b->scales)), _mm256_set1_epi16(-32)));
			}
		}
		for (i = 0; i < nsb; i++)
			pack_sx(pk + (size_t)p * nsb + i, 1);
	}
}

/*
 * Q2_K / Q3_K: sub-block 4h + j (elements 128h + 32j + l) is bits
 * 2j..2j+1 of qs[32h + l] (Q3_K: plus 4 when bit 4h + j of hmask[l] is
 * set, codes 0..7, the 4 coming off through the bsums); scales and (Q2_K)
 * mins per 16 elements.
 */
AI void
pack_q23(int n, const uint8_t *w, size_t ws, int nr, struct pk_k45 *pk,
    int q3)
{
	const size_t	 bsz = q3 ? sizeof(block_q3_K) : sizeof(block_q2_K);
	const uint8_t	*blk, *qs;
	struct pk_k45	*o;
	__m256i		 v, q2, hm, sc;
	int8_t		 s8[16];
	float		 d, dmin = 0.0f;
	int		 nsb = n / QK_K, p, h, i, hh, j, r;

	for (p = 0; p < (nr + 1) / 2; p++) {
		for (h = 0; h < 2; h++) {
			r = 2 * p + h < nr ? 2 * p + h : nr - 1;
			for (i = 0; i < nsb; i++) {
				blk = w + (size_t)r * ws + (size_t)i * bsz;
				o = pk + (size_t)p * nsb + i;
				if (q3) {
					const block_q3_K *b = (const void *)blk;

					qs = b->qs;
					hm = _mm256_loadu_si256(
					    (const __m256i *)b->hmask);
					_mm_storeu_si128((__m128i *)s8,
					    q3k_scales8(b->scales));
					d = h2f(b->d);
				} else {
					const block_q2_K *b = (const void *)blk;

					__m128i	sm = _mm_loadu_si128(
					    (const __m128i *)b->scales);

					qs = b->qs;
					hm = _mm256_setzero_si256();
					/* scale: low nibble; min: high */
					_mm_storeu_si128((__m128i *)s8,
					    _mm_and_si128(sm, _mm_set1_epi8(0xF)));
					_mm256_storeu_si256((__m256i *)(o->mn +
					    16 * h), _mm256_cvtepu8_epi16(
					    _mm_and_si128(_mm_srli_epi16(sm, 4),
					    _mm_set1_epi8(0xF))));
					d = h2f(b->d);
					dmin = h2f(b->dmin);
				}
				for (hh = 0; hh < 2; hh++) {
					q2 = _mm256_loadu_si256(
					    (const __m256i *)(qs + 32 * hh));
					for (j = 0; j < 4; j++) {
						v = _mm256_and_si256(
						    _mm256_srli_epi16(q2, 2 * j),
						    _mm256_set1_epi8(3));
						if (q3)
							v = _mm256_add_epi8(v,
							    _mm256_and_si256(
							    _mm256_slli_epi16(
							    _mm256_srli_epi16(
							    hm, 4 * hh + j), 2),
							    _mm256_set1_epi8(4)));
						else if (Q2_PREMUL) {
							/* 16 x scale 2j, 16 x
							 * scale 2j + 1, byte by
							 * byte: even bytes,
							 * then odd */
							sc = _mm256_setr_m128i(
							    _mm_set1_epi16(s8[8 *
							    hh + 2 * j]),
							    _mm_set1_epi16(s8[8 *
							    hh + 2 * j + 1]));
							v = _mm256_or_si256(
							    _mm256_mullo_epi16(
							    _mm256_and_si256(v,
							    _mm256_set1_epi16(
							    0xFF)), sc),
							    _mm256_slli_epi16(
							    _mm256_mullo_epi16(
							    _mm256_srli_epi16(v,
							    8), sc), 8));
						}
						_mm256_storeu_si256((__m256i *)
						    (o->q[4 * hh + j] + 32 * h),
						    v);
					}
				}
				_mm256_storeu_ps(o->d + 8 * h, _mm256_set1_ps(d));
				_mm256_storeu_si256((__m256i *)(o->sc + 16 * h),
				    _mm256_cvtepi8_epi16(_mm_loadu_si128(
				    (const __m128i *)s8)));
				if (q3)
					_mm256_storeu_si256((__m256i *)(o->mn +
					    16 * h), _mm256_mullo_epi16(
					    _mm256_cvtepi8_epi16(_mm_loadu_si128(
					    (const __m128i *)s8)),
					    _mm256_set1_epi16(-4)));
				if (!q3)
					_mm256_storeu_ps(o->dm + 8 * h,
					    _mm256_set1_ps(dmin));
			}
		}
		for (i = 0; i < nsb && (q3 || !Q2_PREMUL); i++)
			pack_sx(pk + (size_t)p * nsb + i, 1);
	}
}

static void
pack_q2_K(int n, const void *w, size_t ws, int nr, void *dst)
{
	pack_q23(n, w, ws, nr, dst, 0);
}

static void
pack_q3_K(int n, const void *w, size_t ws, int nr, void *dst)
{
	pack_q23(n, w, ws, nr, dst, 1);
}

static void
pack_q4_K(int n, const void *w, size_t ws, int nr, void *dst)
{
	pack_k45(n, w, ws, nr, dst, 0);
}

static void
pack_q5_K(int n, const void *w, size_t ws, int nr, void *dst)
{
	pack_k45(n, w, ws, nr, dst, 1);
}

#define XK(x, xs, c, i) \
	((const block_q8_K *)((x) + (size_t)(c) * (xs)) + (i))

/*
 * The products of super-blocks i0..i1 for NP pairs (pair pp at
 * pk + pp * nsb) x NC columns, added to the float lanes fb (pair pp,
 * column c at fb + (pp * TILE_COLS + c) * 16; zero when first).  NP and
 * NC are constants at every call, so the loops unroll into registers.
 */
AI void
k45_tile(const struct pk_k45 *pk, int nsb, int i0, int i1,
    const uint8_t *x, size_t xs, int NP, int NC, float *fb, int first,
    int kind)
{
	__m512		 facc[TILE_PAIRS][TILE_COLS], dd;
	__m512i		 ia[TILE_PAIRS][TILE_COLS], wq[TILE_PAIRS], a;
	__m512i		 scs[TILE_PAIRS], sv[TILE_PAIRS];
	__m512		 yd;
	int		 i, s, pp, c;

	if (first) {
		#pragma GCC unroll 2
		for (pp = 0; pp < NP; pp++) {
			#pragma GCC unroll 6
			for (c = 0; c < NC; c++)
				_mm512_storeu_ps(fb + (pp * TILE_COLS + c) * 16,
				    _mm512_setzero_ps());
		}
	}
	for (i = i0; i < i1; i++) {
		#pragma GCC unroll 2
		for (pp = 0; pp < NP; pp++) {
			if (kind == K_Q6 || kind == K_Q3) {
				scs[pp] = _mm512_loadu_si512(
				    pk[(size_t)pp * nsb + i].mn);
				continue;
			}
			#pragma GCC unroll 6
			for (c = 0; c < NC; c++)
				ia[pp][c] = _mm512_setzero_si512();
		}
		/*
		 * Q6_K / Q3_K: the codes are 0..63 / 0..7, the 32 / 4 comes
		 * back off through the bsums: lane m starts at -32 (-4)
		 * times (sc_2m bsum_2m + sc_2m+1 bsum_2m+1), per row, one
		 * pmaddwd with the scales packed times -32 (-4) (exact:
		 * |products| < 2^23).
		 */
		#pragma GCC unroll 6
		for (c = 0; c < NC; c++) {
			if (kind != K_Q6 && kind != K_Q3)
				break;
			a = _mm512_broadcast_i64x4(load_bsums(XK(x, xs, c, i)));
			#pragma GCC unroll 2
			for (pp = 0; pp < NP; pp++)
				ia[pp][c] = _mm512_madd_epi16(scs[pp], a);
		}
		#pragma GCC unroll 8
		for (s = 0; s < 8; s++) {
			#pragma GCC unroll 2
			for (pp = 0; pp < NP; pp++) {
				wq[pp] = _mm512_loadu_si512(
				    pk[(size_t)pp * nsb + i].q[s]);
				if (kind != K_Q2 || !Q2_PREMUL)
					sv[pp] = _mm512_loadu_si512(
					    pk[(size_t)pp * nsb + i].sx[s]);
			}
			#pragma GCC unroll 6
			for (c = 0; c < NC; c++) {
				a = _mm512_broadcast_i64x4(_mm256_loadu_si256(
				    (const __m256i *)(XK(x, xs, c, i)->qs +
				    32 * s)));
				#pragma GCC unroll 2
				for (pp = 0; pp < NP; pp++) {
#ifdef KERNELS_VNNI
					if (kind == K_Q2 && Q2_PREMUL) {
						ia[pp][c] = _mm512_dpbusd_epi32(
						    ia[pp][c], wq[pp], a);
						continue;
					}
#endif
					ia[pp][c] = kdotv(ia[pp][c], wq[pp], a,
					    sv[pp]);
				}
			}
		}
		/*
		 * The float lanes wait in fb between super-blocks: in
		 * registers they would take 12 of the 32, and the integer
		 * tile needs all the others.
		 */
		#pragma GCC unroll 6
		for (c = 0; c < NC; c++) {
			/* the column's d, broadcast from memory */
			yd = _mm512_broadcastss_ps(_mm_load_ss(
			    &XK(x, xs, c, i)->d));
			#pragma GCC unroll 2
			for (pp = 0; pp < NP; pp++)
				facc[pp][c] = _mm512_loadu_ps(fb +
				    (pp * TILE_COLS + c) * 16);
			if (kind == K_Q2)
				a = _mm512_broadcast_i64x4(load_bsums(
				    XK(x, xs, c, i)));
			#pragma GCC unroll 2
			for (pp = 0; pp < NP; pp++) {
				/*
				 * Q2_K: the min term first, into the same
				 * lanes: -(d_a * dmin) times (mn_2m bsum_2m +
				 * mn_2m+1 bsum_2m+1).
				 */
				if (kind == K_Q2)
					facc[pp][c] = _mm512_fmadd_ps(
					    _mm512_sub_ps(_mm512_setzero_ps(),
					    _mm512_mul_ps(yd,
					    _mm512_loadu_ps(pk[(size_t)pp * nsb +
					    i].dm))), cvt16(_mm512_madd_epi16(
					    _mm512_loadu_si512(pk[(size_t)pp *
					    nsb + i].mn), a)), facc[pp][c]);
				dd = _mm512_mul_ps(_mm512_loadu_ps(
				    pk[(size_t)pp * nsb + i].d), yd);
				facc[pp][c] = _mm512_fmadd_ps(dd,
				    cvt16(ia[pp][c]), facc[pp][c]);
				_mm512_storeu_ps(fb + (pp * TILE_COLS + c) * 16,
				    facc[pp][c]);
			}
		}
	}
}

/*
 * Column groups of TILE_GROUP columns, and within a group blocks of
 * TILE_KB super-blocks: a block's packed rows (16 rows x 4 super-blocks:
 * 24 KiB) and the group's activations (24 columns: 28 KiB) stay in L1
 * (48 KiB here) and L2 while every register tile of the group passes
 * over them.  The float lanes live in fb between blocks.  (On Q4_K,
 * 4096 x 1024 x 128 in cache, one thread, TILE_KB 2, 4, 8 and no
 * blocking came out within the noise of a shared machine; 4 is kept.)
 */
#define TILE_GROUP	(4 * TILE_COLS)
#ifndef TILE_KB
#define TILE_KB		4
#endif
#define TILE_RPAIRS	8	/* row pairs per group of rows */

/*
 * Q4_K/Q5_K min terms.  The reference keeps them apart from the lanes
 * (Q4_K: 4 float lanes a row, Q5_K: one float sum) and adds them in
 * super-block order; here they run per block of super-blocks right
 * after k45_tile, on the block it just read.  What a column contributes
 * (its bsums added in pairs, one per 32 elements, and its d) is the
 * same for every pair of rows, so k45_mtab works it out once per group
 * of columns and block, and k45_mins reads it two columns a register.
 */
/* Q5_K: vpermd indices, int32 j of a pair's mins (row 0's 4 | row 1's)
 * in 8 lanes each */
#define MK8(a)		a, a, a, a, a, a, a, a
static const int32_t k45_mk[4][16] __attribute__((aligned(64))) = {
	{ MK8(0), MK8(4) }, { MK8(1), MK8(5) }, { MK8(2), MK8(6) },
	{ MK8(3), MK8(7) },
};

struct k45_mtab {
	/* Q4_K, super-block i0 + k, column c: the 8 paired bsums, twice */
	int16_t	 bsp[TILE_KB][TILE_GROUP + 1][16];
	/* Q4_K: the column's d, 8 times */
	float	 yd[TILE_KB][TILE_GROUP + 1][8];
	/* Q5_K: paired bsums 2j, 2j + 1 of column c as one int32 (j < 4) */
	int32_t	 bk[TILE_KB][4][TILE_GROUP + 8];
	/* Q5_K: column c's d */
	float	 y1[TILE_KB][TILE_GROUP + 8];
};

AI void
k45_mtab(const uint8_t *x, size_t xs, int cn, int i0, int i1,
    struct k45_mtab *mt, int kind)
{
	__m128i		bsp;
	int32_t		w[4];
	int		i, c, j;

	for (i = i0; i < i1; i++) {
		for (c = 0; c < cn; c++) {
			bsp = k45_bsums(load_bsums(XK(x, xs, c, i)));
			if (kind == K_Q5) {
				_mm_storeu_si128((__m128i *)w, bsp);
				for (j = 0; j < 4; j++)
					mt->bk[i - i0][j][c] = w[j];
				mt->y1[i - i0][c] = XK(x, xs, c, i)->d;
				continue;
			}
			_mm256_storeu_si256((__m256i *)mt->bsp[i - i0][c],
			    _mm256_setr_m128i(bsp, bsp));
			_mm256_storeu_ps(mt->yd[i - i0][c],
			    _mm256_set1_ps(XK(x, xs, c, i)->d));
		}
		/* a tile's register reads past the group's last column */
		if (kind == K_Q5) {
			for (c = cn; c < TILE_GROUP + 8; c++) {
				for (j = 0; j < 4; j++)
					mt->bk[i - i0][j][c] = 0;
				mt->y1[i - i0][c] = 0.0f;
			}
			continue;
		}
		memset(mt->bsp[i - i0][cn], 0, sizeof(mt->bsp[0][0]));
		memset(mt->yd[i - i0][cn], 0, sizeof(mt->yd[0][0]));
	}
}

/* Min-term accumulators of a register tile between blocks. */
struct k45_macc {
	/* Q4_K: columns 2q, 2q + 1: [row 0's 4 | row 1's 4] each */
	float	 q4[TILE_PAIRS][TILE_COLS / 2][16];
	/* Q5_K: [row 0's sums of columns 0..7 | row 1's] */
	float	 q5[TILE_PAIRS][16];
};

/*
 * The min terms of super-blocks i0..i1 for NP pairs x NC columns (cc:
 * the first column's index in the group of mt), in quant-k.c's order,
 * added to ma (zero when first).
 */
AI void
k45_mins(const struct pk_k45 *pk, int nsb, int i0, int i1,
    const struct k45_mtab *mt, int cc, int NP, int NC, struct k45_macc *ma,
    int first, int kind)
{
	__m512		 acc[TILE_PAIRS][(TILE_COLS + 1) / 2];
	__m512		 sq[TILE_PAIRS];
	__m512i		 mn;
	__m512		 dm;
	int		 i, pp, q, k;

	if (kind == K_Q4) {
		#pragma GCC unroll 2
		for (pp = 0; pp < NP; pp++) {
			#pragma GCC unroll 3
			for (q = 0; q < (NC + 1) / 2; q++)
				acc[pp][q] = first ? _mm512_setzero_ps() :
				    _mm512_loadu_ps(ma->q4[pp][q]);
		}
		for (i = i0; i < i1; i++) {
			#pragma GCC unroll 2
			for (pp = 0; pp < NP; pp++) {
				const struct pk_k45 *b = pk + (size_t)pp * nsb +
				    i;

				/* [row 0's 8 mins | row 1's] twice */
				mn = _mm512_broadcast_i64x4(_mm256_loadu_si256(
				    (const __m256i *)b->mn));
				dm = _mm512_castpd_ps(_mm512_broadcast_f64x4(
				    _mm256_loadu_pd((const double *)b->dm)));
				/*
				 * Columns 2q, 2q + 1: their 4 products a row
				 * as the reference's vector of 4, scaled by
				 * dmin x d and added.
				 */
				#pragma GCC unroll 3
				for (q = 0; q < (NC + 1) / 2; q++)
					acc[pp][q] = _mm512_fmadd_ps(
					    _mm512_mul_ps(dm, _mm512_loadu_ps(
					    mt->yd[i - i0][cc + 2 * q])),
					    cvt16(_mm512_madd_epi16(mn,
					    _mm512_loadu_si512(mt->bsp[i - i0]
					    [cc + 2 * q]))), acc[pp][q]);
			}
		}
		#pragma GCC unroll 2
		for (pp = 0; pp < NP; pp++) {
			#pragma GCC unroll 3
			for (q = 0; q < (NC + 1) / 2; q++)
				_mm512_storeu_ps(ma->q4[pp][q], acc[pp][q]);
		}
		return;
	}
	/*
	 * Q5_K: summ = fmaf(-(d_a * dmin), the 8 products' sum, summ) per
	 * row and column; lanes [row 0's columns 0..7 | row 1's].  The sum
	 * is 4 products of int32 made of two int16: register j holds the
	 * rows' mins 2j, 2j + 1 (each in 8 lanes) and the columns' paired
	 * bsums 2j, 2j + 1, so 4 pmaddwd (VNNI: 1 + 3 vpdpwssd) give all
	 * 16 sums, exact, with no horizontal adds.
	 */
	#pragma GCC unroll 2
	for (pp = 0; pp < NP; pp++)
		sq[pp] = first ? _mm512_setzero_ps() :
		    _mm512_loadu_ps(ma->q5[pp]);
	for (i = i0; i < i1; i++) {
		const __m512 ydv = _mm512_castpd_ps(_mm512_broadcast_f64x4(
		    _mm256_loadu_pd((const double *)&mt->y1[i - i0][cc])));
		__m512i	 bk[4];

		#pragma GCC unroll 4
		for (k = 0; k < 4; k++)
			bk[k] = _mm512_broadcast_i64x4(_mm256_loadu_si256(
			    (const __m256i *)&mt->bk[i - i0][k][cc]));
		#pragma GCC unroll 2
		for (pp = 0; pp < NP; pp++) {
			const struct pk_k45 *b = pk + (size_t)pp * nsb + i;
			const __m512i mn16 = _mm512_castsi256_si512(
			    _mm256_loadu_si256((const __m256i *)b->mn));
			__m512i	 t;

			t = _mm512_madd_epi16(_mm512_permutexvar_epi32(
			    _mm512_load_si512(k45_mk[0]), mn16), bk[0]);
			#pragma GCC unroll 3
			for (k = 1; k < 4; k++) {
				const __m512i m = _mm512_permutexvar_epi32(
				    _mm512_load_si512(k45_mk[k]), mn16);
#ifdef KERNELS_VNNI
				t = _mm512_dpwssd_epi32(t, m, bk[k]);
#else
				t = _mm512_add_epi32(t,
				    _mm512_madd_epi16(m, bk[k]));
#endif
			}
			sq[pp] = _mm512_fmadd_ps(_mm512_sub_ps(
			    _mm512_setzero_ps(), _mm512_mul_ps(ydv,
			    _mm512_loadu_ps(b->dm))), cvt16(t), sq[pp]);
		}
	}
	#pragma GCC unroll 2
	for (pp = 0; pp < NP; pp++)
		_mm512_storeu_ps(ma->q5[pp], sq[pp]);
}

/*
 * The results of NP pairs x NC columns from the lanes fb of k45_tile
 * and (Q4_K/Q5_K) the min terms ma of k45_mins; rows r < nr of the tile
 * are stored (2 * NP may exceed nr by one).
 */
AI void
k45_finish(int NP, int NC, const float *fb, const struct k45_macc *ma,
    int nr, float *y, size_t ldy, int kind)
{
	const float	*l;
	float		 summ;
	int		 pp, c, h;

	#pragma GCC unroll 2
	for (pp = 0; pp < NP; pp++) {
		#pragma GCC unroll 6
		for (c = 0; c < NC; c++) {
			l = fb + (pp * TILE_COLS + c) * 16;
			for (h = 0; h < 2 && 2 * pp + h < nr; h++) {
				if (K16(kind)) {
					y[(size_t)c * ldy + 2 * pp + h] =
					    hsum8(_mm256_loadu_ps(l + 8 * h));
					continue;
				}
				summ = kind == K_Q5 ? ma->q5[pp][8 * h + c] :
				    0.0f;
				y[(size_t)c * ldy + 2 * pp + h] = k45_result(
				    _mm256_loadu_ps(l + 8 * h), summ,
				    _mm_loadu_ps(ma->q4[pp][c / 2] +
				    8 * (c % 2) + 4 * h), kind == K_Q5);
			}
		}
	}
}


/* Run fn for the register tile at pair p0, column c0 with constant NP,
 * NC (NC = the columns left, at most TILE_COLS). */
#define K45_NC(NP, left, fn, ...) do {					\
	switch ((left) < TILE_COLS ? (left) : TILE_COLS) {		\
	case 1: fn(__VA_ARGS__, NP, 1); break;				\
	case 2: fn(__VA_ARGS__, NP, 2); break;				\
	case 3: fn(__VA_ARGS__, NP, 3); break;				\
	case 4: fn(__VA_ARGS__, NP, 4); break;				\
	case 5: fn(__VA_ARGS__, NP, 5); break;				\
	default: fn(__VA_ARGS__, NP, 6); break;				\
	}								\
} while (0)
#define K45_TILE(t, i0, i1, xc, fbt, first, NP, NC)			\
	k45_tile(t, nsb, i0, i1, xc, xs, NP, NC, fbt, first, kind)
#define K45_MIN(t, i0, i1, cc, mat, first, NP, NC)			\
	k45_mins(t, nsb, i0, i1, &mt, cc, NP, NC, mat, first, kind)
#define K45_FIN(fbt, mat, rows, yc, NP, NC)				\
	k45_finish(NP, NC, fbt, mat, rows, yc, ldy, kind)

/* Every register tile of nr packed rows x nc columns. */
AI void
k45_tiles(int n, const struct pk_k45 *pk, int nr, const uint8_t *x,
    size_t xs, int nc, float *y, size_t ldy, int kind)
{
	const int	 mins = kind == K_Q4 || kind == K_Q5;

	float		 fb[TILE_RPAIRS / TILE_PAIRS][TILE_GROUP / TILE_COLS]
			     [TILE_PAIRS * TILE_COLS * 16];
	struct k45_macc	 ma[TILE_RPAIRS / TILE_PAIRS][TILE_GROUP / TILE_COLS];
	struct k45_mtab	 mt;
	int		 nsb = n / QK_K, np = (nr + 1) / 2, g0, g1, p0, c0, i0;
	int		 i1, cc, cn, np2;

	for (g0 = 0; g0 < np; g0 += TILE_RPAIRS) {
		g1 = g0 + TILE_RPAIRS < np ? g0 + TILE_RPAIRS : np;
		for (c0 = 0; c0 < nc; c0 += TILE_GROUP) {
			const uint8_t *xg = x + (size_t)c0 * xs;

			cn = nc - c0 < TILE_GROUP ? nc - c0 : TILE_GROUP;
			for (i0 = 0; i0 < nsb; i0 += TILE_KB) {
				i1 = i0 + TILE_KB < nsb ? i0 + TILE_KB : nsb;
				if (mins)
					k45_mtab(xg, xs, cn, i0, i1, &mt,
					    kind);
				for (cc = 0; cc < cn; cc += TILE_COLS) {
					const uint8_t *xc = xg +
					    (size_t)cc * xs;

					for (p0 = g0; p0 < g1; p0 += TILE_PAIRS) {
						const struct pk_k45 *t = pk +
						    (size_t)p0 * nsb;
						float *fbt = fb[(p0 - g0) /
						    TILE_PAIRS][cc / TILE_COLS];
						struct k45_macc *mat =
						    &ma[(p0 - g0) / TILE_PAIRS]
						    [cc / TILE_COLS];

						np2 = g1 - p0 >= 2;
						if (np2)
							K45_NC(2, cn - cc,
							    K45_TILE, t, i0, i1,
							    xc, fbt, i0 == 0);
						else
							K45_NC(1, cn - cc,
							    K45_TILE, t, i0, i1,
							    xc, fbt, i0 == 0);
						if (mins && np2)
							K45_NC(2, cn - cc,
							    K45_MIN, t, i0, i1,
							    cc, mat, i0 == 0);
						else if (mins)
							K45_NC(1, cn - cc,
							    K45_MIN, t, i0, i1,
							    cc, mat, i0 == 0);
					}
				}
			}
			for (cc = 0; cc < cn; cc += TILE_COLS) {
				for (p0 = g0; p0 < g1; p0 += TILE_PAIRS) {
					float *fbt = fb[(p0 - g0) / TILE_PAIRS]
					    [cc / TILE_COLS];
					struct k45_macc *mat =
					    &ma[(p0 - g0) / TILE_PAIRS]
					    [cc / TILE_COLS];
					float *yc = y + (size_t)(c0 + cc) * ldy +
					    2 * p0;
					int rows = nr - 2 * p0;

					if (g1 - p0 >= 2)
						K45_NC(2, cn - cc, K45_FIN, fbt,
						    mat, rows, yc);
					else
						K45_NC(1, cn - cc, K45_FIN, fbt,
						    mat, rows, yc);
				}
			}
		}
	}
}

static void
tile_q4_K(int n, const void *pk, int nr, const void *x, size_t xs, int nc,
    float *y, size_t ldy)
{
	k45_tiles(n, pk, nr, x, xs, nc, y, ldy, K_Q4);
}

static void
tile_q5_K(int n, const void *pk, int nr, const void *x, size_t xs, int nc,
    float *y, size_t ldy)
{
	k45_tiles(n, pk, nr, x, xs, nc, y, ldy, K_Q5);
}

static void
tile_q6_K(int n, const void *pk, int nr, const void *x, size_t xs, int nc,
    float *y, size_t ldy)
{
	k45_tiles(n, pk, nr, x, xs, nc, y, ldy, K_Q6);
}

static void
tile_q3_K(int n, const void *pk, int nr, const void *x, size_t xs, int nc,
    float *y, size_t ldy)
{
	k45_tiles(n, pk, nr, x, xs, nc, y, ldy, K_Q3);
}

static void
tile_q2_K(int n, const void *pk, int nr, const void *x, size_t xs, int nc,
    float *y, size_t ldy)
{
	k45_tiles(n, pk, nr, x, xs, nc, y, ldy, K_Q2);
}

/* Install the tiles of this file (after kernels-avx512.c's kernels). */
void
AVX512T_INSTALL(void)
{
	qtype_install_tile(QT_Q4_K, pack_size_k45, pack_q4_K, tile_q4_K);
	qtype_install_tile(QT_Q5_K, pack_size_k45, pack_q5_K, tile_q5_K);
	qtype_install_tile(QT_Q6_K, pack_size_k45, pack_q6_K, tile_q6_K);
	qtype_install_tile(QT_Q3_K, pack_size_k45, pack_q3_K, tile_q3_K);
	qtype_install_tile(QT_Q2_K, pack_size_k45, pack_q2_K, tile_q2_K);
}
