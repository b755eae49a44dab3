/*
 * forward-avx512.c -- the attention tile of forward.c (model.h) with
 * AVX-512 F: built with its own target flags into libengine_avx512.a;
 * forward.c calls it only when cpu_level() is CPU_AVX512.
 *
 * It computes what fwd_attn_tile_avx2 computes, bit for bit: each lane
 * of a zmm does what a lane of the AVX2 tile's ymm does, in the same
 * order, so only the number of instructions changes.  Why: at a prompt
 * of 2,048 tokens the attention tiles are about a fifth of a 7B prefill
 * (its cost grows with the context, the matrix products' does not), and
 * the AVX2 tile runs 8 floats an FMA where this core does 16.
 *
 *  - scores: a group of eight K rows is converted to f32 once into kbuf
 *    with rows r and r + 4 side by side ([row r's 8 floats | row
 *    r + 4's] per 8 elements), so one FMA does the AVX2 dot4's work for
 *    two rows; the lanes end as the AVX2 tile's (its order: ggml's f16
 *    dot, see forward-avx2.c), and the same horizontal adds, two rows
 *    a 256-bit register, give the same 8 scores;
 *  - softmax: the AVX2 tile's own (fwd_softmax_avx2);
 *  - P.V: out[d] = fma(p[j], V[j][d], out[d]) for j in row order as
 *    before, 16 dimensions a register, up to 8 queries per converted V
 *    row, in the same L1-sized blocks of rows.
 *
 * A tile of one or two queries (decode), and head sizes that are not a
 * multiple of 32, take the AVX2 tile, which is the same arithmetic.
 * tests/test-attn checks every query of a tile of 2..8 against the same
 * query alone (alone = the AVX2 tile) bit for bit.
 */
#include <immintrin.h>
#include <string.h>

#include "model.h"

/*
 * The scores of the eight rows in kbuf (paired as above) for q: lanes
 * 0..3 of the result are rows 0..3, lanes 4..7 rows 4..7, each the AVX2
 * dot4's value.
 */
static __m256
dot8_pairs(const float *kb, const float *q, int hd)
{
	__m512	 x[4], y[4], a[4], qv;
	__m256	 s[4];
	int	 i, p, r, ja, jb;

	#pragma GCC unroll 4
	for (r = 0; r < 4; r++)
		a[r] = _mm512_setzero_ps();
	#pragma GCC unroll 2
	for (p = 0; p < 2; p++) {
		ja = 8 * p;
		jb = 8 * (p + 2);
		#pragma GCC unroll 4
		for (r = 0; r < 4; r++)
			x[r] = y[r] = _mm512_setzero_ps();
		for (i = 0; i < hd; i += 32) {
			qv = _mm512_castpd_ps(_mm512_broadcast_f64x4(
			    _mm256_loadu_pd((const double *)(q + i + ja))));
			#pragma GCC unroll 4
			for (r = 0; r < 4; r++)
				x[r] = _mm512_fmadd_ps(_mm512_loadu_ps(kb +
				    (size_t)r * 2 * hd + 2 * (i + ja)), qv, x[r]);
			qv = _mm512_castpd_ps(_mm512_broadcast_f64x4(
			    _mm256_loadu_pd((const double *)(q + i + jb))));
			#pragma GCC unroll 4
			for (r = 0; r < 4; r++)
				y[r] = _mm512_fmadd_ps(_mm512_loadu_ps(kb +
				    (size_t)r * 2 * hd + 2 * (i + jb)), qv, y[r]);
		}
		#pragma GCC unroll 4
		for (r = 0; r < 4; r++)
			a[r] = _mm512_add_ps(a[r], _mm512_add_ps(x[r], y[r]));
	}
	/*
	 * a[r] = [row r's 8 lanes | row r + 4's]: per row the AVX2 tile adds
	 * its two 128-bit halves, then hadd(hadd(t0, t1), hadd(t2, t3));
	 * here [row r's halves' sum | row r + 4's] in one add, and the hadds
	 * per 128-bit lane do both groups of four rows at once.
	 */
	#pragma GCC unroll 4
	for (r = 0; r < 4; r++)
		s[r] = _mm256_add_ps(_mm512_castps512_ps256(
		    _mm512_shuffle_f32x4(a[r], a[r], 0x08)),
		    _mm512_castps512_ps256(_mm512_shuffle_f32x4(a[r], a[r],
		    0x0D)));
	return _mm256_hadd_ps(_mm256_hadd_ps(s[0], s[1]),
	    _mm256_hadd_ps(s[2], s[3]));
}

/* sc[i][j] = scale * q[i].K[j] for j < round8(nmax). */
static void
scores512(const struct fwd_tile *a, int nmax)
{
	const uint16_t	*kr;
	float		*kb = a->kbuf;
	__m256		 sv = _mm256_set1_ps(a->scale);
	int		 hd = a->hd, i, j0, r, d, nr;

	for (j0 = 0; j0 < nmax; j0 += 8) {
		kr = a->k + (size_t)j0 * hd;
		nr = nmax - j0 < 8 ? nmax - j0 : 8;
		/* row r (< 4) at pair r, low half; row r + 4 high half */
		for (r = 0; r < 4; r++)
			for (d = 0; d < hd; d += 8)
				_mm512_storeu_ps(kb + (size_t)r * 2 * hd + 2 * d,
				    _mm512_cvtph_ps(_mm256_inserti128_si256(
				    _mm256_castsi128_si256(r < nr ?
				    _mm_loadu_si128((const __m128i *)(kr +
				    (size_t)r * hd + d)) :
				    _mm_setzero_si128()), r + 4 < nr ?
				    _mm_loadu_si128((const __m128i *)(kr +
				    (size_t)(r + 4) * hd + d)) :
				    _mm_setzero_si128(), 1)));
		for (i = 0; i < a->nq; i++)
			_mm256_storeu_ps(a->sc + (size_t)i * a->ld + j0,
			    _mm256_mul_ps(dot8_pairs(kb, a->q[i], hd), sv));
	}
}

#define PV_CVT(j, dd)	_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) \
			    (a->v + (size_t)(j) * hd + (dd))))

/*
 * Rows j0..j1 of V into queries i..i+NQ-1 (all of which see them): DW
 * dimensions (16 or 32) at a time, each V row converted once for the NQ
 * queries.  NQ and DW are constants at every call.
 */
static inline __attribute__((always_inline)) void
pv_n(const struct fwd_tile *a, int i, int j0, int j1, int NQ, int DW)
{
	const float	*p[8];
	__m512		 acc[8][2], v[2], b;
	int		 hd = a->hd, j, d, k, h;

	#pragma GCC unroll 8
	for (k = 0; k < NQ; k++)
		p[k] = a->sc + (size_t)(i + k) * a->ld;
	for (d = 0; d + DW <= hd; d += DW) {
		#pragma GCC unroll 8
		for (k = 0; k < NQ; k++)
			#pragma GCC unroll 2
			for (h = 0; h < DW / 16; h++)
				acc[k][h] = _mm512_loadu_ps(a->out[i + k] + d +
				    16 * h);
		for (j = j0; j < j1; j++) {
			#pragma GCC unroll 2
			for (h = 0; h < DW / 16; h++)
				v[h] = PV_CVT(j, d + 16 * h);
			#pragma GCC unroll 8
			for (k = 0; k < NQ; k++) {
				b = _mm512_set1_ps(p[k][j]);
				#pragma GCC unroll 2
				for (h = 0; h < DW / 16; h++)
					acc[k][h] = _mm512_fmadd_ps(b, v[h],
					    acc[k][h]);
			}
		}
		#pragma GCC unroll 8
		for (k = 0; k < NQ; k++)
			#pragma GCC unroll 2
			for (h = 0; h < DW / 16; h++)
				_mm512_storeu_ps(a->out[i + k] + d + 16 * h,
				    acc[k][h]);
	}
}

void
fwd_attn_tile_avx512(const struct fwd_tile *a)
{
	int	nmin, nmax, i, jb, je, blk;

	if (a->hd % 32 != 0 || a->nq <= 2) {
		fwd_attn_tile_avx2(a);
		return;
	}
	fwd_tile_span(a, &nmin, &nmax);
	scores512(a, nmax);
	for (i = 0; i < a->nq; i++) {
		fwd_softmax_avx2(a->sc + (size_t)i * a->ld, a->n[i]);
		memset(a->out[i], 0, (size_t)a->hd * sizeof(float));
	}
	/* Rows every query sees, in L1-sized blocks, then each one's rest. */
	blk = fwd_pv_rows(a->hd, 8);
	for (jb = 0; jb < nmin; jb += blk) {
		je = nmin - jb < blk ? nmin : jb + blk;
		i = 0;
		if (a->nq == 8) {
			pv_n(a, 0, jb, je, 8, 32);
			i = 8;
		}
		for (; i + 4 <= a->nq; i += 4)
			pv_n(a, i, jb, je, 4, 32);
		for (; i < a->nq; i++)
			pv_n(a, i, jb, je, 1, 32);
	}
	for (i = 0; i < a->nq; i++)
		if (a->n[i] > nmin)
			pv_n(a, i, nmin, a->n[i], 1, 32);
}
