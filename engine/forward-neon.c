/*
 * forward-neon.c -- aarch64 Advanced SIMD versions of the attention tile
 * and the f32 -> f16 conversions of forward.c (model.h).  ARMv8.0 only
 * (no f16 arithmetic), built into the baseline libengine_neon.a;
 * forward.c calls them when cpu_level() >= CPU_NEON.
 *
 * The same three passes as forward-avx2.c, with 4-lane registers and the
 * same rule: a query's result is computed by the same instructions in
 * the same order whatever else is in its tile.
 *
 *  - scores: four K rows at a time; each dot in the order of ggml's NEON
 *    f16 dot without f16 arithmetic (four accumulators over 16-element
 *    steps, (s0 + s2) + (s1 + s3), lanes (l0 + l1) + (l2 + l3), the rest
 *    one at a time in double).
 *  - softmax: the exp of forward-avx2.c on four lanes, the sum in double.
 *  - P.V: out[d] = fma(p[j], V[j][d], out[d]) in row order, in blocks of
 *    rows that stay in L1 while four queries (or one) pass over them.
 *
 * Head sizes that are not a multiple of 4 take the scalar tile.
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "model.h"
#include "quant.h"

static uint16x4_t	 cvt4(float32x4_t);
static float32x4_t	 ld16(const uint16_t *);
static float32x4_t	 exp4(float32x4_t);
static float32x4_t	 dot4(const uint16_t *, const float *, int);
static void		 tile_scores(const struct fwd_tile *, int);
static void		 tile_softmax(float *, int);
static void		 tile_pv4(const struct fwd_tile *, int, int, int);
static void		 tile_pv1(const struct fwd_tile *, int, int, int);

/*
 * Four floats to f16, nearest-even (FPCR's default mode), with
 * f32_to_fp16's bits: FCVTN agrees on finite values, infinities and
 * overflow; of a NaN f32_to_fp16 keeps only the sign and the quiet bit,
 * FCVTN the top of the payload too, so that is cleared.
 */
static uint16x4_t
cvt4(float32x4_t x)
{
	uint16x4_t	h, nan;

	h = vreinterpret_u16_f16(vcvt_f16_f32(x));
	nan = vmvn_u16(vmovn_u32(vceqq_f32(x, x)));
	return vbic_u16(h, vand_u16(nan, vdup_n_u16(0x01FF)));
}

/* Four f16 to f32 (exact). */
static float32x4_t
ld16(const uint16_t *p)
{
	return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}

void
fwd_f16_store_neon(uint16_t *dst, const float *src, int n)
{
	int	i = 0;

	for (; i + 4 <= n; i += 4)
		vst1_u16(dst + i, cvt4(vld1q_f32(src + i)));
	for (; i < n; i++)
		dst[i] = f32_to_fp16(src[i]);
}

void
fwd_f16_round_neon(float *x, int n)
{
	int	i = 0;

	for (; i + 4 <= n; i += 4)
		vst1q_f32(x + i, vcvt_f32_f16(vreinterpret_f16_u16(
		    cvt4(vld1q_f32(x + i)))));
	for (; i < n; i++)
		x[i] = fp16_to_f32(f32_to_fp16(x[i]));
}

/* e^x for x <= 0: see exp8 in forward-avx2.c, the same steps. */
static float32x4_t
exp4(float32x4_t x)
{
	float32x4_t	n, r, p;
	int32x4_t	e;
	uint32x4_t	under;

	n = vrndnq_f32(vmulq_n_f32(x, 1.44269504f));
	r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
	r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
	p = vdupq_n_f32(1.0f / 5040.0f);
	p = vfmaq_f32(vdupq_n_f32(1.0f / 720.0f), p, r);
	p = vfmaq_f32(vdupq_n_f32(1.0f / 120.0f), p, r);
	p = vfmaq_f32(vdupq_n_f32(1.0f / 24.0f), p, r);
	p = vfmaq_f32(vdupq_n_f32(1.0f / 6.0f), p, r);
	p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
	p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
	p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
	/* Clamped so a lane about to be zeroed cannot wrap the exponent. */
	e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(vmaxq_f32(n,
	    vdupq_n_f32(-126.0f))), vdupq_n_s32(127)), 23);
	p = vmulq_f32(p, vreinterpretq_f32_s32(e));
	under = vcltq_f32(x, vdupq_n_f32(-87.33f));
	return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(p),
	    under));
}

/*
 * The dots of four f16 rows (stride hd) with q in ggml's order (the file
 * comment); hd is a multiple of 4.
 */
static float32x4_t
dot4(const uint16_t *k, const float *q, int hd)
{
	float32x4_t	 s[4][4], qv, a[4];
	float		 o[4];
	double		 acc;
	int		 i, j, r, np = hd & ~15;

	for (r = 0; r < 4; r++)
		for (j = 0; j < 4; j++)
			s[r][j] = vdupq_n_f32(0.0f);
	for (i = 0; i < np; i += 16) {
		for (j = 0; j < 4; j++) {
			qv = vld1q_f32(q + i + 4 * j);
			for (r = 0; r < 4; r++)
				s[r][j] = vfmaq_f32(s[r][j], ld16(k +
				    (size_t)r * hd + i + 4 * j), qv);
		}
	}
	for (r = 0; r < 4; r++) {
		a[r] = vaddq_f32(vaddq_f32(s[r][0], s[r][2]),
		    vaddq_f32(s[r][1], s[r][3]));
		/* (l0 + l1) + (l2 + l3), as faddp twice. */
		o[r] = vpadds_f32(vpadd_f32(vget_low_f32(a[r]),
		    vget_high_f32(a[r])));
		if (np < hd) {
			acc = o[r];
			for (i = np; i < hd; i++)
				acc += (double)(fp16_to_f32(k[(size_t)r * hd +
				    i]) * q[i]);
			o[r] = (float)acc;
		}
	}
	return vld1q_f32(o);
}

/*
 * sc[i][j] = scale * q[i].K[j] for j < round4(nmax).  Each group of four
 * rows is read for every query while it is in L1.  A last group that
 * runs past nmax is copied with zero rows after it, so no row past the
 * cache is read.
 */
static void
tile_scores(const struct fwd_tile *a, int nmax)
{
	const uint16_t	*kr;
	uint16_t	*tail = (uint16_t *)a->kbuf;
	int		 hd = a->hd, i, j0, nr;

	for (j0 = 0; j0 < nmax; j0 += 4) {
		kr = a->k + (size_t)j0 * hd;
		nr = nmax - j0 < 4 ? nmax - j0 : 4;
		if (nr < 4) {
			/* kbuf holds 8 * hd floats: room for 4 f16 rows. */
			memcpy(tail, kr, (size_t)nr * hd * sizeof *tail);
			memset(tail + (size_t)nr * hd, 0,
			    (size_t)(4 - nr) * hd * sizeof *tail);
			kr = tail;
		}
		for (i = 0; i < a->nq; i++)
			vst1q_f32(a->sc + (size_t)i * a->ld + j0, vmulq_n_f32(
			    dot4(kr, a->q[i], hd), a->scale));
	}
}

/*
 * The scores sc[0..n) become probabilities rounded to f16: e^(s - max)
 * over their sum (in double); the lanes past n up to the next multiple
 * of 4 are -inf first, so they add 0.
 */
static void
tile_softmax(float *sc, int n)
{
	float32x4_t	 m, e;
	float64x2_t	 s0, s1;
	float		 mx, inv;
	int		 j, np = (n + 3) & ~3;

	for (j = n; j < np; j++)
		sc[j] = -INFINITY;
	m = vdupq_n_f32(-INFINITY);
	for (j = 0; j < np; j += 4)
		m = vmaxq_f32(m, vld1q_f32(sc + j));
	mx = vmaxvq_f32(m);
	m = vdupq_n_f32(mx);
	s0 = s1 = vdupq_n_f64(0.0);
	for (j = 0; j < np; j += 4) {
		e = exp4(vsubq_f32(vld1q_f32(sc + j), m));
		vst1q_f32(sc + j, e);
		s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(e)));
		s1 = vaddq_f64(s1, vcvt_high_f64_f32(e));
	}
	inv = (float)(1.0 / vaddvq_f64(vaddq_f64(s0, s1)));
	for (j = 0; j < np; j += 4)
		vst1q_f32(sc + j, vcvt_f32_f16(vreinterpret_f16_u16(cvt4(
		    vmulq_n_f32(vld1q_f32(sc + j), inv)))));
}

/*
 * Rows j0..j1 of V into queries i..i+3: 16 dims at a time (16
 * accumulators, each row converted once for the four), then 4.
 */
static void
tile_pv4(const struct fwd_tile *a, int i, int j0, int j1)
{
	const float	*p[4];
	float32x4_t	 c[4][4], v[4];
	int		 hd = a->hd, j, d = 0, u, w;

	for (u = 0; u < 4; u++)
		p[u] = a->sc + (size_t)(i + u) * a->ld;
	for (; d + 16 <= hd; d += 16) {
		for (u = 0; u < 4; u++)
			for (w = 0; w < 4; w++)
				c[u][w] = vld1q_f32(a->out[i + u] + d + 4 * w);
		for (j = j0; j < j1; j++) {
			for (w = 0; w < 4; w++)
				v[w] = ld16(a->v + (size_t)j * hd + d + 4 * w);
			for (u = 0; u < 4; u++)
				for (w = 0; w < 4; w++)
					c[u][w] = vfmaq_n_f32(c[u][w], v[w],
					    p[u][j]);
		}
		for (u = 0; u < 4; u++)
			for (w = 0; w < 4; w++)
				vst1q_f32(a->out[i + u] + d + 4 * w, c[u][w]);
	}
	for (; d < hd; d += 4) {
		for (u = 0; u < 4; u++)
			c[u][0] = vld1q_f32(a->out[i + u] + d);
		for (j = j0; j < j1; j++) {
			v[0] = ld16(a->v + (size_t)j * hd + d);
			for (u = 0; u < 4; u++)
				c[u][0] = vfmaq_n_f32(c[u][0], v[0], p[u][j]);
		}
		for (u = 0; u < 4; u++)
			vst1q_f32(a->out[i + u] + d, c[u][0]);
	}
}

/*
 * Rows j0..j1 of V into query i alone: 64 dims (16 accumulators, enough
 * independent chains to hide the FMA latency) at a time, then 4.
 */
static void
tile_pv1(const struct fwd_tile *a, int i, int j0, int j1)
{
	const float	*p = a->sc + (size_t)i * a->ld;
	float		*o = a->out[i];
	float32x4_t	 c[16];
	int		 hd = a->hd, j, d = 0, w;

	for (; d + 64 <= hd; d += 64) {
		for (w = 0; w < 16; w++)
			c[w] = vld1q_f32(o + d + 4 * w);
		for (j = j0; j < j1; j++)
			for (w = 0; w < 16; w++)
				c[w] = vfmaq_n_f32(c[w], ld16(a->v +
				    (size_t)j * hd + d + 4 * w), p[j]);
		for (w = 0; w < 16; w++)
			vst1q_f32(o + d + 4 * w, c[w]);
	}
	for (; d < hd; d += 4) {
		c[0] = vld1q_f32(o + d);
		for (j = j0; j < j1; j++)
			c[0] = vfmaq_n_f32(c[0], ld16(a->v + (size_t)j * hd +
			    d), p[j]);
		vst1q_f32(o + d, c[0]);
	}
}

void
fwd_attn_tile_neon(const struct fwd_tile *a)
{
	int	nmin, nmax, i, jb, je, blk;

	if (a->hd % 4 != 0) {
		fwd_attn_tile(a);
		return;
	}
	fwd_tile_span(a, &nmin, &nmax);
	tile_scores(a, nmax);
	for (i = 0; i < a->nq; i++) {
		tile_softmax(a->sc + (size_t)i * a->ld, a->n[i]);
		memset(a->out[i], 0, (size_t)a->hd * sizeof(float));
	}
	blk = fwd_pv_rows(a->hd, 4);
	for (jb = 0; jb < nmin; jb += blk) {
		je = nmin - jb < blk ? nmin : jb + blk;
		for (i = 0; i + 4 <= a->nq; i += 4)
			tile_pv4(a, i, jb, je);
		for (; i < a->nq; i++)
			tile_pv1(a, i, jb, je);
	}
	for (i = 0; i < a->nq; i++)
		if (a->n[i] > nmin)
			tile_pv1(a, i, nmin, a->n[i]);
}
