/*
 * kernels-avx2-tile.c -- AVX2 prefill tiles (quant.h: pack, tile) for the
 * K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and the whole-block formats
 * (Q4_0, Q5_0, Q8_0).  Built into libengine_avx2.a with kernels-avx2.c's
 * flags; avx2_install() calls avx2_tile_install() last.  Built a second
 * time with AVX-VNNI (libengine_avxvnni.a, -DKERNELS_AVXVNNI) for the
 * "avxvnni" level, whose install function (avxvnni_tile_install) cpu.c
 * calls after avx2_install(): that build holds only the Q4_0/Q5_0/Q8_0
 * tiles, in which each pmaddubsw, widening and paddd is one vpdpbusd
 * (t_dpb below); the K-quant tiles stay those of the AVX2 build.
 *
 * Why: the K-quant gemm kernels (kernels-avx2-k.c) unpack each weight
 * super-block (nibbles, high bits, six-bit scales) again for every group
 * of 4 activation columns, and those of Q4_0/Q5_0/Q8_0 (kernels-avx2.c)
 * repack eight rows into lanes again for every 64 columns.  In a prefill
 * of hundreds of columns that costs about as many instructions as the
 * products.  Here matmul.c packs each chunk of rows once per product and
 * the tile kernels read the packed rows for every column.
 *
 * K-quants, one row per register (a ymm holds the 8 int32 lanes of one
 * row's 32-element sub-block, lane m: elements 4m..4m+3, the reference's
 * lane order):
 *  - pack writes per row and super-block the 8 sub-blocks' codes as
 *    bytes (0..63, unsigned: Q6_K and Q3_K keep their offset, which comes
 *    off through the bsums), each sub-block's scales as the 16 int16 that
 *    pmaddwd wants, the mins (or, for Q6_K/Q3_K, the 16 scales) and d,
 *    dmin as floats;
 *  - the tile keeps TK_R rows x TK_C columns of int32 lanes in registers
 *    through a super-block: per sub-block pmaddubsw (codes x the column's
 *    32 activation bytes) + pmaddwd (scales) + paddd per row and column,
 *    then per row and column the reference's float work: d_w * d_a
 *    rounded first, one FMA per lane (Q2_K: the min lanes' FMA before
 *    it), hsum8 at the end;
 *  - the Q4_K / Q5_K min terms in a second pass over the same tile, in
 *    quant-k.c's order (Q4_K: 4 lanes, Q5_K: a scalar sum).
 * A packed row is 576 bytes per super-block (Q4_K: 144).
 *
 * Q4_0, Q5_0, Q8_0, eight rows in the lanes of a register (quant.c's
 * dot_phase8 / dot_q8_0 order: block j's exact integer sum, times
 * d_w * d_a, into accumulator j mod 8, then hsum8's tree):
 *  - pack writes per group of eight rows and block the eight registers
 *    of codes (register k, lane r: row r's codes 4k..4k+3, signed), the
 *    rows' scales and the start of the integer sums;
 *  - Q4_0 / Q5_0: the activations (Q8_0P) go in as a + 128 (unsigned,
 *    four bytes broadcast) against the signed codes, and 128 times each
 *    row's code sum comes off (the start of the sums).  A pmaddubsw pair
 *    is at most 2 x 255 x 8 = 4080 in magnitude for Q4_0, so all eight of
 *    a block add up in int16 (32640); Q5_0 (|code| <= 16) four at a time;
 *  - Q8_0: the codes (-127..127) would overflow a pair against a + 128, so
 *    pack also writes |code|, and the tile uses the sign trick (|w| times
 *    a signed by w: a pair is at most 2 x 127 x 127), widening each
 *    pmaddubsw at once;
 *  - per block one conversion, one multiply and one FMA for eight rows.
 *
 * Every integer sum is exact and every float operation is the scalar
 * reference's, in its order, so the results are bit-identical to
 * vec_dot_ref, vec_dot and gemm (tests/test-quant checks pack + tile
 * against the reference; tests/test-matmul compares threaded products,
 * which use the tiles from 16 columns on, with single-threaded ones).
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"
#include "simd-x86.h"

/*
 * Keep v in a register here: stops the compiler from re-associating a
 * chain of integer adds across sub-blocks into a tree of products held
 * on the stack (as kernels-avx2-k.c does).  No instruction is emitted.
 */
#define KEEP(v) __asm__("" : "+x"(v))

/*
 * The integer step of the whole-block tiles, and the only difference
 * between the two builds of their code: t_dpb(acc, u, s) is acc + the
 * int32 sums of four products of unsigned bytes u and signed bytes s
 * (AVX2: pmaddubsw + pmaddwd by 1 + paddd, exact where no int16 pair can
 * saturate, which every caller ensures; AVX-VNNI: one vpdpbusd, always
 * exact).  Integer sums are exact either way, so both builds give the
 * same bits.  KERNELS_AVXVNNI_EMU (tests/test-avxvnni-emu.c) builds the
 * AVX-VNNI variant with an exact AVX2 stand-in for vpdpbusd, so its code
 * is tested on CPUs without AVX-VNNI.
 *
 * The K-quant tiles are not in the AVX-VNNI build: there vpdpwssd would
 * replace pmaddwd + paddd, but it puts its latency (several cycles) on
 * each accumulator's chain where paddd's is one, and on an AVX-512 Xeon
 * the tiles ran 4-10% slower with it (medchat bench kernels --cols 128
 * -t 1, MEDCHAT_CPU=avx2 against avxvnni).
 */
#if defined(KERNELS_AVXVNNI) && !defined(KERNELS_AVXVNNI_EMU)
#define t_dpb(acc, u, s)	_mm256_dpbusd_avx_epi32(acc, u, s)
#elif defined(KERNELS_AVXVNNI_EMU)
/* vpdpbusd exactly: even and odd bytes widened to int16, two pmaddwd. */
AI __m256i
t_dpb(__m256i acc, __m256i u, __m256i s)
{
	const __m256i	 lo = _mm256_set1_epi16(0x00FF);

	return _mm256_add_epi32(acc, _mm256_add_epi32(
	    _mm256_madd_epi16(_mm256_and_si256(u, lo),
	    _mm256_srai_epi16(_mm256_slli_epi16(s, 8), 8)),
	    _mm256_madd_epi16(_mm256_srli_epi16(u, 8),
	    _mm256_srai_epi16(s, 8))));
}
#else
AI __m256i
t_dpb(__m256i acc, __m256i u, __m256i s)
{
	return _mm256_add_epi32(acc, _mm256_madd_epi16(
	    _mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}
#endif

/* Whether t_dpb is one instruction (then no int16 partial sums). */
#ifdef KERNELS_AVXVNNI
#define T_VNNI	1
#else
#define T_VNNI	0
#endif

#ifndef AVX2T_INSTALL
#ifdef KERNELS_AVXVNNI
#define AVX2T_INSTALL	avxvnni_tile_install
#else
#define AVX2T_INSTALL	avx2_tile_install
#endif
#endif
void	AVX2T_INSTALL(void);

/* ---- K-quants --------------------------------------------------------- */
#ifndef KERNELS_AVXVNNI

/* The kinds of super-block (a constant at every call). */
#define K_Q4	0
#define K_Q5	1
#define K_Q6	2
#define K_Q3	3
#define K_Q2	4

#ifndef TK_R
#define TK_R	2	/* rows per register tile (<= 3) */
#endif
#ifndef TK_C
#define TK_C	4	/* columns per register tile (<= 6) */
#endif

/* One super-block of one K-quant row, packed. */
struct pk2_k {
	uint8_t	 q[8][32];	/* sub-block s: its 32 codes */
	int16_t	 sv[8][16];	/* sub-block s: the scale of each pair of
				   pmaddubsw words (Q4_K/Q5_K: 16 x scale
				   s; 16-element formats: 8 x scale 2s, 8 x
				   scale 2s + 1) */
	int16_t	 mn[16];	/* Q4_K/Q5_K: the 8 mins (8 zero); Q2_K:
				   the 16 mins; Q6_K/Q3_K: the 16 scales
				   (for the codes' offset) */
	float	 d, dmin;
	uint8_t	 pad[24];	/* 576 bytes: 32-byte aligned records */
};
_Static_assert(sizeof(struct pk2_k) % 32 == 0, "pk2_k size");

static size_t
pack_size_k(int n, int nr)
{
	return (size_t)nr * (size_t)(n / QK_K) * sizeof(struct pk2_k);
}

/* The 16 pmaddwd scales of sub-block s from 16 int8 scales. */
AI void
put_sv16(struct pk2_k *o, const int8_t *s8)
{
	int	s, l;

	for (s = 0; s < 8; s++)
		for (l = 0; l < 8; l++) {
			o->sv[s][l] = s8[2 * s];
			o->sv[s][8 + l] = s8[2 * s + 1];
		}
}

/* Q4_K (q5 == 0) / Q5_K: chunk c's low nibbles are sub-block 2c, its
 * high ones 2c + 1; Q5_K's fifth bits are bit 2c / 2c + 1 of qh[l]. */
AI void
pack_k45(const uint8_t *blk, int q5, struct pk2_k *o)
{
	const uint8_t	*qs, *qh = NULL;
	__m256i		 v, lo, hi, hb = _mm256_setzero_si256();
	__m128i		 sc, mn;
	int16_t		 s16[8], m16[8];
	int		 c, l;

	qs = k45_head(blk, q5, &o->d, &o->dmin, &sc, &mn);
	if (q5) {
		qh = ((const block_q5_K *)blk)->qh;
		hb = _mm256_loadu_si256((const __m256i *)qh);
	}
	for (c = 0; c < 4; c++) {
		v = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
		lo = _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
		hi = _mm256_and_si256(_mm256_srli_epi16(v, 4),
		    _mm256_set1_epi8(0x0F));
		if (q5) {
			lo = _mm256_or_si256(lo, _mm256_and_si256(
			    _mm256_slli_epi16(_mm256_srli_epi16(hb, 2 * c), 4),
			    _mm256_set1_epi8(16)));
			hi = _mm256_or_si256(hi, _mm256_and_si256(
			    _mm256_slli_epi16(_mm256_srli_epi16(hb, 2 * c + 1),
			    4), _mm256_set1_epi8(16)));
		}
		_mm256_storeu_si256((__m256i *)o->q[2 * c], lo);
		_mm256_storeu_si256((__m256i *)o->q[2 * c + 1], hi);
	}
	_mm_storeu_si128((__m128i *)s16, sc);
	_mm_storeu_si128((__m128i *)m16, mn);
	for (c = 0; c < 8; c++)
		for (l = 0; l < 16; l++)
			o->sv[c][l] = s16[c];
	for (l = 0; l < 8; l++) {
		o->mn[l] = m16[l];
		o->mn[8 + l] = 0;
	}
}

/* Q6_K: group k of half h (sub-block 4h + k) is the low (k < 2) or high
 * nibble of ql[64h + 32(k & 1) + l] with bits 2k..2k+1 of qh[32h + l]. */
AI void
pack_q6(const block_q6_K *b, struct pk2_k *o)
{
	__m256i	ql, qh, v;
	int	h, k;

	for (h = 0; h < 2; h++) {
		qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
		for (k = 0; k < 4; k++) {
			ql = _mm256_loadu_si256((const __m256i *)(b->ql +
			    64 * h + 32 * (k & 1)));
			if (k >= 2)
				ql = _mm256_srli_epi16(ql, 4);
			v = _mm256_or_si256(_mm256_and_si256(ql,
			    _mm256_set1_epi8(0x0F)), _mm256_and_si256(
			    _mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * k), 4),
			    _mm256_set1_epi8(0x30)));
			_mm256_storeu_si256((__m256i *)o->q[4 * h + k], v);
		}
	}
	put_sv16(o, b->scales);
	for (k = 0; k < 16; k++)
		o->mn[k] = b->scales[k];
	o->d = h2f(b->d);
	o->dmin = 0.0f;
}

/* Q2_K / Q3_K: sub-block 4h + j is bits 2j..2j+1 of qs[32h + l] (Q3_K:
 * plus 4 when bit 4h + j of hmask[l] is set: codes 0..7). */
AI void
pack_q23(const uint8_t *blk, int q3, struct pk2_k *o)
{
	const uint8_t	*qs;
	__m256i		 q2, hm, v;
	int8_t		 s8[16];
	int		 h, j, l;

	if (q3) {
		const block_q3_K *b = (const void *)blk;

		qs = b->qs;
		hm = _mm256_loadu_si256((const __m256i *)b->hmask);
		_mm_storeu_si128((__m128i *)s8, q3k_scales8(b->scales));
		for (l = 0; l < 16; l++)
			o->mn[l] = s8[l];
		o->d = h2f(b->d);
		o->dmin = 0.0f;
	} else {
		const block_q2_K *b = (const void *)blk;

		qs = b->qs;
		hm = _mm256_setzero_si256();
		for (l = 0; l < 16; l++) {
			s8[l] = (int8_t)(b->scales[l] & 0xF);
			o->mn[l] = b->scales[l] >> 4;
		}
		o->d = h2f(b->d);
		o->dmin = h2f(b->dmin);
	}
	for (h = 0; h < 2; h++) {
		q2 = _mm256_loadu_si256((const __m256i *)(qs + 32 * h));
		for (j = 0; j < 4; j++) {
			v = _mm256_and_si256(_mm256_srli_epi16(q2, 2 * j),
			    _mm256_set1_epi8(3));
			if (q3)
				v = _mm256_add_epi8(v, _mm256_and_si256(
				    _mm256_slli_epi16(_mm256_srli_epi16(hm,
				    4 * h + j), 2), _mm256_set1_epi8(4)));
			_mm256_storeu_si256((__m256i *)o->q[4 * h + j], v);
		}
	}
	put_sv16(o, s8);
}

/* Pack nr rows of n elements: row r's super-block i at r * nsb + i. */
AI void
pack_k(int n, const uint8_t *w, size_t ws, int nr, struct pk2_k *pk,
    int kind)
{
	const uint8_t	*blk;
	size_t		 bsz;
	int		 nsb = n / QK_K, r, i;

	bsz = kind == K_Q4 ? sizeof(block_q4_K) : kind == K_Q5 ?
	    sizeof(block_q5_K) : kind == K_Q6 ? sizeof(block_q6_K) :
	    kind == K_Q3 ? sizeof(block_q3_K) : sizeof(block_q2_K);
	for (r = 0; r < nr; r++)
		for (i = 0; i < nsb; i++) {
			blk = w + (size_t)r * ws + (size_t)i * bsz;
			if (kind == K_Q4 || kind == K_Q5)
				pack_k45(blk, kind == K_Q5, pk);
			else if (kind == K_Q6)
				pack_q6((const block_q6_K *)blk, pk);
			else
				pack_q23(blk, kind == K_Q3, pk);
			memset(pk->pad, 0, sizeof pk->pad);
			pk++;
		}
}

#define XK(x, xs, c, i) \
	((const block_q8_K *)((x) + (size_t)(c) * (xs)) + (i))

/*
 * NR rows (row r at pk + r * nsb) x NC columns, all super-blocks: the
 * float lanes of each row and column, then the result (with the Q4_K /
 * Q5_K min terms of a second pass) into y.  NR and NC are constants at
 * every call, so the loops unroll into registers.
 */
AI void
k_tile(const struct pk2_k *pk, int nsb, const uint8_t *x, size_t xs,
    int NR, int NC, float *y, size_t ldy, int kind)
{
	__m256		 facc[TK_R][TK_C];
	__m256i		 ia[TK_R][TK_C], wq[TK_R], sv[TK_R], a, bs;
	__m128		 accm[TK_R];
	__m128i		 bsp;
	float		 yd, summ[TK_R];
	int		 i, s, r, c;

	#pragma GCC unroll 4
	for (r = 0; r < NR; r++) {
		#pragma GCC unroll 8
		for (c = 0; c < NC; c++)
			facc[r][c] = _mm256_setzero_ps();
	}
	for (i = 0; i < nsb; i++) {
		/*
		 * Q6_K / Q3_K: the codes are 0..63 / 0..7, the 32 / 4
		 * comes back off through the bsums: lane m starts at -32
		 * (-4) times (sc_2m bsum_2m + sc_2m+1 bsum_2m+1).
		 */
		#pragma GCC unroll 8
		for (c = 0; c < NC; c++) {
			if (kind == K_Q6 || kind == K_Q3)
				bs = load_bsums(XK(x, xs, c, i));
			#pragma GCC unroll 4
			for (r = 0; r < NR; r++)
				ia[r][c] = kind == K_Q6 || kind == K_Q3 ?
				    _mm256_sub_epi32(_mm256_setzero_si256(),
				    _mm256_slli_epi32(_mm256_madd_epi16(
				    _mm256_loadu_si256((const __m256i *)
				    pk[(size_t)r * nsb + i].mn), bs),
				    kind == K_Q6 ? 5 : 2)) :
				    _mm256_setzero_si256();
		}
		#pragma GCC unroll 8
		for (s = 0; s < 8; s++) {
			#pragma GCC unroll 4
			for (r = 0; r < NR; r++) {
				wq[r] = _mm256_loadu_si256((const __m256i *)
				    pk[(size_t)r * nsb + i].q[s]);
				sv[r] = _mm256_loadu_si256((const __m256i *)
				    pk[(size_t)r * nsb + i].sv[s]);
			}
			#pragma GCC unroll 8
			for (c = 0; c < NC; c++) {
				a = _mm256_loadu_si256((const __m256i *)
				    (XK(x, xs, c, i)->qs + 32 * s));
				#pragma GCC unroll 4
				for (r = 0; r < NR; r++)
				{
					ia[r][c] = _mm256_add_epi32(ia[r][c],
					    _mm256_madd_epi16(
					    _mm256_maddubs_epi16(wq[r], a),
					    sv[r]));
					KEEP(ia[r][c]);
				}
			}
		}
		#pragma GCC unroll 8
		for (c = 0; c < NC; c++) {
			yd = XK(x, xs, c, i)->d;
			#pragma GCC unroll 4
			for (r = 0; r < NR; r++) {
				const struct pk2_k *b = pk + (size_t)r * nsb +
				    i;

				/* Q2_K: the min lanes first, -(d_a * dmin) */
				if (kind == K_Q2)
					facc[r][c] = _mm256_fmadd_ps(
					    _mm256_set1_ps(-(yd * b->dmin)),
					    _mm256_cvtepi32_ps(
					    _mm256_madd_epi16(
					    _mm256_loadu_si256((const __m256i *)
					    b->mn), load_bsums(XK(x, xs, c,
					    i)))), facc[r][c]);
				facc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(
				    b->d * yd), _mm256_cvtepi32_ps(ia[r][c]),
				    facc[r][c]);
			}
		}
	}
	#pragma GCC unroll 8
	for (c = 0; c < NC; c++) {
		#pragma GCC unroll 4
		for (r = 0; r < NR; r++) {
			accm[r] = _mm_setzero_ps();
			summ[r] = 0.0f;
		}
		/* Q4_K / Q5_K: the min terms, each column's bsums paired once
		 * for all rows */
		for (i = 0; (kind == K_Q4 || kind == K_Q5) && i < nsb; i++) {
			bsp = k45_bsums(load_bsums(XK(x, xs, c, i)));
			yd = XK(x, xs, c, i)->d;
			#pragma GCC unroll 4
			for (r = 0; r < NR; r++) {
				const struct pk2_k *b = pk + (size_t)r * nsb +
				    i;

				k45_min(bsp, _mm_loadu_si128((const __m128i *)
				    b->mn), yd, b->dmin, kind == K_Q5, &summ[r],
				    &accm[r]);
			}
		}
		#pragma GCC unroll 4
		for (r = 0; r < NR; r++)
			y[(size_t)c * ldy + r] = kind == K_Q4 || kind == K_Q5 ?
			    k45_result(facc[r][c], summ[r], accm[r],
			    kind == K_Q5) : hsum8(facc[r][c]);
	}
}

/* The register tile of NR rows at column c0 with NC = the columns left
 * (at most TK_C) as a constant. */
#define K_NC(NR, left, ...) do {					\
	switch ((left) < TK_C ? (left) : TK_C) {			\
	case 1: k_tile(__VA_ARGS__, NR, 1, yc, ldy, kind); break;	\
	case 2: k_tile(__VA_ARGS__, NR, 2 < TK_C ? 2 : TK_C, yc, ldy,	\
	    kind); break;						\
	case 3: k_tile(__VA_ARGS__, NR, 3 < TK_C ? 3 : TK_C, yc, ldy,	\
	    kind); break;						\
	case 4: k_tile(__VA_ARGS__, NR, 4 < TK_C ? 4 : TK_C, yc, ldy,	\
	    kind); break;						\
	case 5: k_tile(__VA_ARGS__, NR, 5 < TK_C ? 5 : TK_C, yc, ldy,	\
	    kind); break;						\
	default: k_tile(__VA_ARGS__, NR, TK_C, yc, ldy, kind); break;	\
	}								\
} while (0)

/* Every register tile of nr packed rows x nc columns. */
AI void
k_tiles(int n, const struct pk2_k *pk, int nr, const uint8_t *x,
    size_t xs, int nc, float *y, size_t ldy, int kind)
{
	int	nsb = n / QK_K, r0, c0;

	for (r0 = 0; r0 < nr; r0 += TK_R) {
		const struct pk2_k *t = pk + (size_t)r0 * nsb;

		for (c0 = 0; c0 < nc; c0 += TK_C) {
			const uint8_t *xc = x + (size_t)c0 * xs;
			float *yc = y + (size_t)c0 * ldy + r0;

			if (nr - r0 >= TK_R)
				K_NC(TK_R, nc - c0, t, nsb, xc, xs);
			else if (TK_R > 2 && nr - r0 == 2)
				K_NC(2, nc - c0, t, nsb, xc, xs);
			else
				K_NC(1, nc - c0, t, nsb, xc, xs);
		}
	}
}

#define DEF_TK(name, KIND)						\
static void								\
pack_##name(int n, const void *w, size_t ws, int nr, void *dst)	\
{									\
	pack_k(n, w, ws, nr, dst, KIND);				\
}									\
static void								\
tile_##name(int n, const void *pk, int nr, const void *x, size_t xs,	\
    int nc, float *y, size_t ldy)					\
{									\
	const int	kind = KIND;					\
									\
	k_tiles(n, pk, nr, x, xs, nc, y, ldy, kind);			\
}
DEF_TK(q2_K, K_Q2)
DEF_TK(q3_K, K_Q3)
DEF_TK(q4_K, K_Q4)
DEF_TK(q5_K, K_Q5)
DEF_TK(q6_K, K_Q6)

#endif	/* !KERNELS_AVXVNNI */

/* ---- Q4_0 / Q5_0 / Q8_0: eight rows in lanes -------------------------- */

enum { K_Q4_0, K_Q5_0, K_Q8_0 };

/*
 * The packed form of eight rows, per block: register k of codes holding
 * in lane r row r's signed codes 4k..4k+3; Q8_0 their absolute values
 * too (abs, else unused); the rows' scales; Q4_0/Q5_0: minus 128 times
 * each row's code sum.  Rows past nr repeat the last row (computed,
 * never stored).
 */
struct pk8 {
	int8_t	 codes[8][32];
	int8_t	 abs[8][32];
	float	 sc[8];
	int32_t	 ncr[8];
};

/* A block's 32 codes in element order, signed (code - 8, code - 16). */
AI __m256i
row_codes(int kind, const uint8_t *b)
{
	__m128i	q;
	__m256i	v, hb;
	uint32_t h;

	if (kind == K_Q8_0)
		return _mm256_loadu_si256((const __m256i *)
		    ((const block_q8_0 *)b)->qs);
	q = _mm_loadu_si128((const __m128i *)(kind == K_Q4_0 ?
	    ((const block_q4_0 *)b)->qs : ((const block_q5_0 *)b)->qs));
	v = _mm256_and_si256(_mm256_setr_m128i(q, _mm_srli_epi16(q, 4)),
	    _mm256_set1_epi8(0x0F));
	if (kind == K_Q4_0)
		return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
	/* bit e of qh is the fifth bit of element e */
	memcpy(&h, ((const block_q5_0 *)b)->qh, 4);
	hb = _mm256_shuffle_epi8(_mm256_set1_epi32((int)h),
	    _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL,
	    0x0101010101010101LL, 0));
	hb = _mm256_cmpeq_epi8(_mm256_and_si256(hb,
	    _mm256_set1_epi64x(0x8040201008040201LL)),
	    _mm256_set1_epi64x(0x8040201008040201LL));
	return _mm256_sub_epi8(_mm256_or_si256(v, _mm256_and_si256(hb,
	    _mm256_set1_epi8(16))), _mm256_set1_epi8(16));
}

static size_t
pack_size8(int n, int nr)
{
	return (size_t)((nr + 7) / 8) * (size_t)(n / QK) * sizeof(struct pk8);
}

AI void
pack8(int kind, int n, const uint8_t *w, size_t ws, int nr, size_t bsz,
    struct pk8 *pk)
{
	const uint8_t	*row[8];
	__m256i		 u[8], t[8], c, s;
	float		 d[8];
	uint16_t	 h;
	int		 nb = n / QK, g, j, r, k;

	for (g = 0; g < (nr + 7) / 8; g++) {
		for (r = 0; r < 8; r++)
			row[r] = w + (size_t)(8 * g + r < nr ? 8 * g + r :
			    nr - 1) * ws;
		for (j = 0; j < nb; j++) {
			struct pk8 *o = pk + (size_t)g * nb + j;

			#pragma GCC unroll 8
			for (r = 0; r < 8; r++)
				u[r] = row_codes(kind, row[r] + j * bsz);
			tr8x32(u, t);
			s = _mm256_setzero_si256();
			#pragma GCC unroll 8
			for (k = 0; k < 8; k++) {
				c = t[k];
				_mm256_storeu_si256((__m256i *)o->codes[k], c);
				_mm256_storeu_si256((__m256i *)o->abs[k],
				    _mm256_sign_epi8(c, c));
				if (kind != K_Q8_0)
					s = _mm256_add_epi32(s,
					    _mm256_madd_epi16(
					    _mm256_maddubs_epi16(
					    _mm256_set1_epi8(1), c),
					    _mm256_set1_epi16(1)));
			}
			_mm256_storeu_si256((__m256i *)o->ncr, _mm256_sub_epi32(
			    _mm256_setzero_si256(), _mm256_slli_epi32(s, 7)));
			for (r = 0; r < 8; r++) {
				memcpy(&h, row[r] + j * bsz, 2);
				d[r] = h2f(h);
			}
			memcpy(o->sc, d, sizeof d);
		}
	}
}

/* Column c's four activation bytes 4k..4k+3 of block j, and its scale. */
AI __m256i
t8_act(int kind, const uint8_t *x, size_t xs, int c, int j, int k)
{
	const int8_t	*p;
	int32_t		 v;

	if (kind == K_Q8_0)
		p = ((const block_q8_0 *)(x + (size_t)c * xs))[j].qs + 4 * k;
	else
		p = q8_0p_half((const block_q8_0p *)(x + (size_t)c * xs) +
		    j / 8, j & 7, k >> 2) + 4 * (k & 3);
	memcpy(&v, p, 4);
	return _mm256_set1_epi32(v);
}

AI float
t8_scale(int kind, const uint8_t *x, size_t xs, int c, int j)
{
	if (kind == K_Q8_0)
		return h2f(((const block_q8_0 *)(x + (size_t)c * xs))[j].d);
	return ((const block_q8_0p *)(x + (size_t)c * xs) + j / 8)->d[j & 7];
}

#define T8_COLS	4	/* columns per register tile */

/*
 * One group of eight packed rows x NC columns, all nb blocks, phase p
 * (blocks p, p + 8, ...) at a time as the reference adds them, one float
 * accumulator per column live; the eight phases end in fb and are
 * summed in hsum8's tree at the end: ((p0 + p4) + (p2 + p6)) + ((p1 +
 * p5) + (p3 + p7)), lane r for row r.
 */
AI void
t8_tile(int kind, const struct pk8 *pk, int nb, const uint8_t *x,
    size_t xs, int NC, int nr, float *y, size_t ldy)
{
	const __m256i	 ones = _mm256_set1_epi16(1);
	__m256		 facc[T8_COLS], fb[T8_COLS][8], o;
	/* AVX-VNNI: ia takes the even k, ib the odd (two dependency
	   chains a column: vpdpbusd's latency is several cycles) */
	__m256i		 ia[T8_COLS], ib[T8_COLS], s16[T8_COLS], wk, sg, a;
	float		 out[8];
	int		 p, j, k, c, r;

	for (p = 0; p < 8; p++) {
		#pragma GCC unroll 4
		for (c = 0; c < NC; c++)
			facc[c] = _mm256_setzero_ps();
		for (j = p; j < nb; j += 8) {
			const struct pk8 *b = pk + j;

			#pragma GCC unroll 4
			for (c = 0; c < NC; c++) {
				ia[c] = kind == K_Q8_0 ?
				    _mm256_setzero_si256() :
				    _mm256_loadu_si256((const __m256i *)b->ncr);
				ib[c] = _mm256_setzero_si256();
				s16[c] = _mm256_setzero_si256();
			}
			#pragma GCC unroll 8
			for (k = 0; k < 8; k++) {
				if (kind == K_Q8_0) {
					wk = _mm256_loadu_si256((const void *)
					    b->abs[k]);
					sg = _mm256_loadu_si256((const void *)
					    b->codes[k]);
					#pragma GCC unroll 4
					for (c = 0; c < NC; c++) {
						a = _mm256_sign_epi8(
						    t8_act(kind, x, xs, c, j,
						    k), sg);
						if (T_VNNI && (k & 1))
							ib[c] = t_dpb(ib[c], wk,
							    a);
						else
							ia[c] = t_dpb(ia[c], wk,
							    a);
					}
					continue;
				}
				wk = _mm256_loadu_si256((const __m256i *)
				    b->codes[k]);
				#pragma GCC unroll 4
				for (c = 0; c < NC; c++) {
					a = _mm256_xor_si256(t8_act(kind, x, xs,
					    c, j, k), _mm256_set1_epi8(
					    (char)0x80));
					if (T_VNNI && (k & 1))
						ib[c] = t_dpb(ib[c], a, wk);
					else if (T_VNNI)
						ia[c] = t_dpb(ia[c], a, wk);
					else
						s16[c] = _mm256_add_epi16(
						    s16[c],
						    _mm256_maddubs_epi16(a,
						    wk));
				}
				/* Q5_0: four pairs at a time into int32 */
				if (!T_VNNI && kind == K_Q5_0 &&
				    (k == 3 || k == 7)) {
					#pragma GCC unroll 4
					for (c = 0; c < NC; c++) {
						ia[c] = _mm256_add_epi32(ia[c],
						    _mm256_madd_epi16(s16[c],
						    ones));
						s16[c] = _mm256_setzero_si256();
					}
				}
			}
			#pragma GCC unroll 4
			for (c = 0; c < NC; c++) {
				if (T_VNNI)
					ia[c] = _mm256_add_epi32(ia[c], ib[c]);
				else if (kind == K_Q4_0)
					ia[c] = _mm256_add_epi32(ia[c],
					    _mm256_madd_epi16(s16[c], ones));
				facc[c] = _mm256_fmadd_ps(_mm256_mul_ps(
				    _mm256_loadu_ps(b->sc),
				    _mm256_set1_ps(t8_scale(kind, x, xs, c,
				    j))), _mm256_cvtepi32_ps(ia[c]), facc[c]);
			}
		}
		#pragma GCC unroll 4
		for (c = 0; c < NC; c++)
			fb[c][p] = facc[c];
	}
	for (c = 0; c < NC; c++) {
		o = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(fb[c][0],
		    fb[c][4]), _mm256_add_ps(fb[c][2], fb[c][6])),
		    _mm256_add_ps(_mm256_add_ps(fb[c][1], fb[c][5]),
		    _mm256_add_ps(fb[c][3], fb[c][7])));
		_mm256_storeu_ps(out, o);
		for (r = 0; r < 8 && r < nr; r++)
			y[(size_t)c * ldy + r] = out[r];
	}
}

AI void
t8_tiles(int kind, int n, const struct pk8 *pk, int nr, const uint8_t *x,
    size_t xs, int nc, float *y, size_t ldy)
{
	int	nb = n / QK, g, c0, rows;

	for (g = 0; g < (nr + 7) / 8; g++) {
		rows = nr - 8 * g;
		for (c0 = 0; c0 < nc; c0 += T8_COLS) {
			const struct pk8 *t = pk + (size_t)g * nb;
			const uint8_t *xc = x + (size_t)c0 * xs;
			float *yc = y + (size_t)c0 * ldy + 8 * g;

			switch (nc - c0 < T8_COLS ? nc - c0 : T8_COLS) {
			case 1:
				t8_tile(kind, t, nb, xc, xs, 1, rows, yc, ldy);
				break;
			case 2:
				t8_tile(kind, t, nb, xc, xs, 2, rows, yc, ldy);
				break;
			case 3:
				t8_tile(kind, t, nb, xc, xs, 3, rows, yc, ldy);
				break;
			default:
				t8_tile(kind, t, nb, xc, xs, T8_COLS, rows, yc,
				    ldy);
				break;
			}
		}
	}
}

#define DEF_T8(name, KIND, WB)						\
static void								\
pack_##name(int n, const void *w, size_t ws, int nr, void *dst)	\
{									\
	pack8(KIND, n, w, ws, nr, sizeof(WB), dst);			\
}									\
static void								\
tile_##name(int n, const void *pk, int nr, const void *x, size_t xs,	\
    int nc, float *y, size_t ldy)					\
{									\
	t8_tiles(KIND, n, pk, nr, x, xs, nc, y, ldy);			\
}
DEF_T8(q4_0, K_Q4_0, block_q4_0)
DEF_T8(q5_0, K_Q5_0, block_q5_0)
DEF_T8(q8_0, K_Q8_0, block_q8_0)

/* Install the tiles of this file (after kernels-avx2.c's kernels). */
void
AVX2T_INSTALL(void)
{
#ifndef KERNELS_AVXVNNI
	qtype_install_tile(QT_Q4_K, pack_size_k, pack_q4_K, tile_q4_K);
	qtype_install_tile(QT_Q6_K, pack_size_k, pack_q6_K, tile_q6_K);
	qtype_install_tile(QT_Q5_K, pack_size_k, pack_q5_K, tile_q5_K);
	qtype_install_tile(QT_Q3_K, pack_size_k, pack_q3_K, tile_q3_K);
	qtype_install_tile(QT_Q2_K, pack_size_k, pack_q2_K, tile_q2_K);
#endif
	qtype_install_tile(QT_Q4_0, pack_size8, pack_q4_0, tile_q4_0);
	qtype_install_tile(QT_Q5_0, pack_size8, pack_q5_0, tile_q5_0);
	qtype_install_tile(QT_Q8_0, pack_size8, pack_q8_0, tile_q8_0);
}
