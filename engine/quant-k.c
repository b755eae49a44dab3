/*
 * quant-k.c -- the scalar reference kernels of the K-quants (Q2_K, Q3_K,
 * Q4_K, Q5_K, Q6_K and the Q8_K activations): 256-element super-blocks
 * of 16- or 32-element sub-blocks with packed integer scales.
 * Dequantizers, the Q8_K activation quantizer, the weight quantizers
 * and the dot products; quant.c holds the traits table that points here,
 * the float and 32-element formats, and the summation order these dots
 * share with every other kernel (docs/ENGINE.md, "Bit-identical results").
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "quant-ref.h"

/* Round to nearest, ties to even, like ggml's nearest_int (|x| < 2^22). */
static inline int
nearest_int(float x)
{
	return (int)lrintf(x);
}

/* (l0 + l2) + (l1 + l3) */
static float
hsum4(const float *l)
{
	return (l[0] + l[2]) + (l[1] + l[3]);
}

/* Scale and min of sub-block j (0..7) of a Q4_K / Q5_K super-block. */
static inline void
get_scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
	if (j < 4) {
		*sc = q[j] & 63;
		*m = q[j + 4] & 63;
	} else {
		*sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
		*m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
	}
}

/* The inverse: pack 8 six-bit scales and mins into 12 bytes. */
static void
put_scale_min_k4(const uint8_t *sc, const uint8_t *m, uint8_t *q)
{
	int	j;

	memset(q, 0, 12);
	for (j = 0; j < 4; j++) {
		q[j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
		q[j + 4] = (m[j] & 63) | ((m[j + 4] >> 4) << 6);
		q[j + 8] = (sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4);
	}
}

/* The 16 signed six-bit Q3_K scales (−32..31). */
static inline void
q3k_scales(const uint8_t *s, int8_t *out)
{
	int	i, lo, hi;

	for (i = 0; i < 16; i++) {
		lo = i < 8 ? s[i] & 0xF : s[i - 8] >> 4;
		hi = (s[8 + (i % 4)] >> (2 * (i / 4))) & 3;
		out[i] = (int8_t)((lo | hi << 4) - 32);
	}
}

/* Codes of one Q2_K/Q3_K-style 2-bit field: element e of a super-block. */
static inline int
q2_field(const uint8_t *qs, int e)
{
	int	h = e / 128, j = (e % 128) / 32, l = e % 32;

	return (qs[32 * h + l] >> (2 * j)) & 3;
}

/* Q4_K / Q5_K low nibble of element e. */
static inline int
q4k_nibble(const uint8_t *qs, int e)
{
	int	c = e / 64, r = e % 64;

	return r < 32 ? qs[32 * c + r] & 0xF : qs[32 * c + r - 32] >> 4;
}

/* Q6_K code (−32..31) of element e. */
static inline int
q6k_code(const block_q6_K *b, int e)
{
	int	h = e / 128, k = (e % 128) / 32, l = e % 32;
	int	lo, hi;

	lo = b->ql[64 * h + l + 32 * (k & 1)];
	lo = k < 2 ? lo & 0xF : lo >> 4;
	hi = (b->qh[32 * h + l] >> (2 * k)) & 3;
	return (lo | hi << 4) - 32;
}

/* Q3_K code (−4..3) of element e. */
static inline int
q3k_code(const block_q3_K *b, int e)
{
	int	lo = q2_field(b->qs, e);
	int	hb = (b->hmask[e % 32] >> (e / 32)) & 1;

	return lo - (hb ? 0 : 4);
}

void
to_float_q2_K(const void *src, float *dst, int64_t n)
{
	const block_q2_K	*b = src;
	int64_t			 i;
	int			 e, s;
	float			 d, dmin;

	for (i = 0; i < n / QK_K; i++, b++, dst += QK_K) {
		d = H2F(b->d);
		dmin = H2F(b->dmin);
		for (e = 0; e < QK_K; e++) {
			s = b->scales[e / 16];
			dst[e] = d * (s & 0xF) * q2_field(b->qs, e) -
			    dmin * (s >> 4);
		}
	}
}

void
to_float_q3_K(const void *src, float *dst, int64_t n)
{
	const block_q3_K	*b = src;
	int64_t			 i;
	int			 e;
	int8_t			 sc[16];
	float			 d;

	for (i = 0; i < n / QK_K; i++, b++, dst += QK_K) {
		d = H2F(b->d);
		q3k_scales(b->scales, sc);
		for (e = 0; e < QK_K; e++)
			dst[e] = d * sc[e / 16] * q3k_code(b, e);
	}
}

/*
 * The fields of a Q4_K (q5 == 0) or Q5_K super-block at blk: d, dmin,
 * the 12 packed scale bytes, the nibbles and (Q5_K) the fifth bits, NULL
 * for Q4_K.
 */
static inline void
k45_fields(const uint8_t *blk, int q5, float *d, float *dmin,
    const uint8_t **sc12, const uint8_t **qs, const uint8_t **qh)
{
	if (q5) {
		const block_q5_K *b = (const block_q5_K *)blk;

		*d = H2F(b->d);
		*dmin = H2F(b->dmin);
		*sc12 = b->scales;
		*qs = b->qs;
		*qh = b->qh;
	} else {
		const block_q4_K *b = (const block_q4_K *)blk;

		*d = H2F(b->d);
		*dmin = H2F(b->dmin);
		*sc12 = b->scales;
		*qs = b->qs;
		*qh = NULL;
	}
}

/* Q4_K and Q5_K: ds * code - dm per sub-block of 32 elements. */
static void
to_float_q45_K(const void *src, float *dst, int64_t n, int q5)
{
	const uint8_t	*blk = src, *sc12, *qs, *qh;
	size_t		 bsz = q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
	int64_t		 i;
	int		 e, j, q;
	uint8_t		 sc, m;
	float		 d, dmin, ds, dm;

	for (i = 0; i < n / QK_K; i++, blk += bsz, dst += QK_K) {
		k45_fields(blk, q5, &d, &dmin, &sc12, &qs, &qh);
		for (j = 0; j < 8; j++) {
			get_scale_min_k4(j, sc12, &sc, &m);
			ds = d * sc;
			dm = dmin * m;
			for (e = 32 * j; e < 32 * j + 32; e++) {
				q = q4k_nibble(qs, e);
				if (qh != NULL)
					q += 16 * ((qh[e % 32] >> (e / 32)) &
					    1);
				dst[e] = ds * q - dm;
			}
		}
	}
}

void
to_float_q4_K(const void *src, float *dst, int64_t n)
{
	to_float_q45_K(src, dst, n, 0);
}

void
to_float_q5_K(const void *src, float *dst, int64_t n)
{
	to_float_q45_K(src, dst, n, 1);
}

void
to_float_q6_K(const void *src, float *dst, int64_t n)
{
	const block_q6_K	*b = src;
	int64_t			 i;
	int			 e;
	float			 d;

	for (i = 0; i < n / QK_K; i++, b++, dst += QK_K) {
		d = H2F(b->d);
		for (e = 0; e < QK_K; e++)
			dst[e] = d * b->scales[e / 16] * q6k_code(b, e);
	}
}

void
to_float_q8_K(const void *src, float *dst, int64_t n)
{
	dequant_i8(src, dst, n, QK_K, sizeof(block_q8_K),
	    offsetof(block_q8_K, qs), 1);
}

void
quantize_row_q8_K(const float *x, void *y, int64_t n)
{
	block_q8_K	*b = y;
	int64_t		 i;
	int		 e, g, v, sum;
	float		 amax, max, iscale;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		amax = max = 0.0f;
		for (e = 0; e < QK_K; e++) {
			if (fabsf(x[e]) > amax) {
				amax = fabsf(x[e]);
				max = x[e];
			}
		}
		if (amax == 0.0f) {
			memset(b, 0, sizeof *b);
			continue;
		}
		iscale = -127.0f / max;
		for (e = 0; e < QK_K; e++) {
			v = nearest_int(iscale * x[e]);
			b->qs[e] = (int8_t)(v < 127 ? v : 127);
		}
		for (g = 0; g < QK_K / 16; g++) {
			sum = 0;
			for (e = 0; e < 16; e++)
				sum += b->qs[16 * g + e];
			b->bsums[g] = (int16_t)sum;
		}
		b->d = 1.0f / iscale;
	}
}

/*
 * K-quant helpers.  Affine sub-blocks (Q2_K, Q4_K, Q5_K): each sub-block
 * of len values gets scale s = (max - min) / qmax and min m = -min (min
 * clipped to <= 0 so that m >= 0); the super-block stores d = max s /
 * smax and dmin = max m / smax, the per-sub-block codes are
 * nearest(s / d) and nearest(m / dmin), and the element codes are then
 * fitted against the quantized scale and min.
 */
static void
kq_affine(const float *x, int nsub, int len, int qmax, int smax,
    uint16_t *dp, uint16_t *dminp, uint8_t *sc, uint8_t *mn, uint8_t *q)
{
	float	s[16], m[16], maxs = 0.0f, maxm = 0.0f, d, dmin, ds, dm;
	float	lo, hi;
	int	j, e, v;

	for (j = 0; j < nsub; j++) {
		lo = hi = x[j * len];
		for (e = 1; e < len; e++) {
			lo = fminf(lo, x[j * len + e]);
			hi = fmaxf(hi, x[j * len + e]);
		}
		if (lo > 0.0f)
			lo = 0.0f;
		s[j] = (hi - lo) / qmax;
		m[j] = -lo;
		maxs = fmaxf(maxs, s[j]);
		maxm = fmaxf(maxm, m[j]);
	}
	*dp = f32_to_fp16(maxs / smax);
	*dminp = f32_to_fp16(maxm / smax);
	d = fp16_to_f32(*dp);
	dmin = fp16_to_f32(*dminp);
	for (j = 0; j < nsub; j++) {
		v = d > 0.0f ? nearest_int(s[j] / d) : 0;
		sc[j] = (uint8_t)(v < 0 ? 0 : v > smax ? smax : v);
		v = dmin > 0.0f ? nearest_int(m[j] / dmin) : 0;
		mn[j] = (uint8_t)(v < 0 ? 0 : v > smax ? smax : v);
		ds = d * sc[j];
		dm = dmin * mn[j];
		for (e = 0; e < len; e++) {
			v = ds > 0.0f ?
			    nearest_int((x[j * len + e] + dm) / ds) : 0;
			q[j * len + e] = (uint8_t)(v < 0 ? 0 :
			    v > qmax ? qmax : v);
		}
	}
}

/*
 * Symmetric sub-blocks (Q3_K: codes -4..3, scales -32..31; Q6_K: codes
 * -32..31, scales int8): as Q4_0, s = (signed max) / -nmax per sub-block,
 * then d = (signed max of s) / -smin_abs so the scales use the negative
 * end of their range, and the codes are refitted.
 */
static void
kq_sym(const float *x, int nsub, int len, int nmax, int smin_abs,
    int smax, uint16_t *dp, int8_t *sc, int8_t *q)
{
	float	s[16] = { 0 }, d, ds;
	int	j, e, v;

	for (j = 0; j < nsub; j++)
		s[j] = signed_absmax(x + j * len, len) / -nmax;
	*dp = f32_to_fp16(signed_absmax(s, nsub) / -smin_abs);
	d = fp16_to_f32(*dp);
	for (j = 0; j < nsub; j++) {
		v = d != 0.0f ? nearest_int(s[j] / d) : 0;
		sc[j] = (int8_t)(v < -smin_abs ? -smin_abs :
		    v > smax ? smax : v);
		ds = d * sc[j];
		for (e = 0; e < len; e++) {
			v = ds != 0.0f ? nearest_int(x[j * len + e] / ds) : 0;
			q[j * len + e] = (int8_t)(v < -nmax ? -nmax :
			    v > nmax - 1 ? nmax - 1 : v);
		}
	}
}

void
from_float_q2_K(const float *x, void *y, int64_t n)
{
	block_q2_K	*b = y;
	uint8_t		 sc[16], mn[16], q[QK_K];
	int64_t		 i;
	int		 e, j;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		kq_affine(x, 16, 16, 3, 15, &b->d, &b->dmin, sc, mn, q);
		for (j = 0; j < 16; j++)
			b->scales[j] = (uint8_t)(sc[j] | mn[j] << 4);
		memset(b->qs, 0, sizeof b->qs);
		for (e = 0; e < QK_K; e++)
			b->qs[32 * (e / 128) + e % 32] |=
			    (uint8_t)(q[e] << (2 * ((e % 128) / 32)));
	}
}

void
from_float_q3_K(const float *x, void *y, int64_t n)
{
	block_q3_K	*b = y;
	int8_t		 sc[16], q[QK_K];
	int64_t		 i;
	int		 e, j, u;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		kq_sym(x, 16, 16, 4, 32, 31, &b->d, sc, q);
		memset(b->scales, 0, sizeof b->scales);
		for (j = 0; j < 16; j++) {
			u = sc[j] + 32;
			if (j < 8)
				b->scales[j] |= (uint8_t)(u & 0xF);
			else
				b->scales[j - 8] |= (uint8_t)((u & 0xF) << 4);
			b->scales[8 + j % 4] |=
			    (uint8_t)((u >> 4) << (2 * (j / 4)));
		}
		memset(b->qs, 0, sizeof b->qs);
		memset(b->hmask, 0, sizeof b->hmask);
		for (e = 0; e < QK_K; e++) {
			u = q[e] + 4;		/* 0..7 */
			b->qs[32 * (e / 128) + e % 32] |=
			    (uint8_t)((u & 3) << (2 * ((e % 128) / 32)));
			if (u & 4)
				b->hmask[e % 32] |= (uint8_t)(1 << (e / 32));
		}
	}
}

void
from_float_q4_K(const float *x, void *y, int64_t n)
{
	block_q4_K	*b = y;
	uint8_t		 sc[8], mn[8], q[QK_K];
	int64_t		 i;
	int		 c, r;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		kq_affine(x, 8, 32, 15, 63, &b->d, &b->dmin, sc, mn, q);
		put_scale_min_k4(sc, mn, b->scales);
		for (c = 0; c < 4; c++)
			for (r = 0; r < 32; r++)
				b->qs[32 * c + r] = (uint8_t)(q[64 * c + r] |
				    q[64 * c + 32 + r] << 4);
	}
}

void
from_float_q5_K(const float *x, void *y, int64_t n)
{
	block_q5_K	*b = y;
	uint8_t		 sc[8], mn[8], q[QK_K];
	int64_t		 i;
	int		 c, r, e;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		kq_affine(x, 8, 32, 31, 63, &b->d, &b->dmin, sc, mn, q);
		put_scale_min_k4(sc, mn, b->scales);
		for (c = 0; c < 4; c++)
			for (r = 0; r < 32; r++)
				b->qs[32 * c + r] = (uint8_t)((q[64 * c + r] &
				    0xF) | (q[64 * c + 32 + r] & 0xF) << 4);
		memset(b->qh, 0, sizeof b->qh);
		for (e = 0; e < QK_K; e++)
			if (q[e] & 16)
				b->qh[e % 32] |= (uint8_t)(1 << (e / 32));
	}
}

void
from_float_q6_K(const float *x, void *y, int64_t n)
{
	block_q6_K	*b = y;
	int8_t		 q[QK_K];
	int64_t		 i;
	int		 e, h, k, l, u;

	for (i = 0; i < n / QK_K; i++, b++, x += QK_K) {
		kq_sym(x, 16, 16, 32, 127, 127, &b->d, b->scales, q);
		memset(b->ql, 0, sizeof b->ql);
		memset(b->qh, 0, sizeof b->qh);
		for (e = 0; e < QK_K; e++) {
			h = e / 128;
			k = (e % 128) / 32;
			l = e % 32;
			u = q[e] + 32;		/* 0..63 */
			b->ql[64 * h + l + 32 * (k & 1)] |=
			    (uint8_t)((u & 0xF) << (k < 2 ? 0 : 4));
			b->qh[32 * h + l] |= (uint8_t)((u >> 4) << (2 * k));
		}
	}
}

/*
 * K-quants, per super-block: lane m sums sc(e) * q_e * a_e over the
 * elements e with (e % 32) / 4 == m, where sc(e) is e's sub-block scale
 * (an integer); the 16-element formats start lane m from an offset term
 * (Q6_K: -32, Q3_K: -4 times sc_{2m} bsum_{2m} + sc_{2m+1} bsum_{2m+1}).
 * Then acc[m] = fmaf(d_w * d_a, lane, acc[m]); the min terms are at
 * each function.
 */
static void
lanes_add(int *lane, const int *q, const int8_t *a, int scale)
{
	int	m, t, s;

	for (m = 0; m < 8; m++) {
		s = 0;
		for (t = 0; t < 4; t++)
			s += q[4 * m + t] * a[4 * m + t];
		lane[m] += scale * s;
	}
}

/* The same, for a group of 32 whose two halves of 16 have scales s0, s1. */
static void
lanes_add16(int *lane, const int *q, const int8_t *a, int s0, int s1)
{
	int	m, t, s;

	for (m = 0; m < 8; m++) {
		s = 0;
		for (t = 0; t < 4; t++)
			s += q[4 * m + t] * a[4 * m + t];
		lane[m] += (m < 4 ? s0 : s1) * s;
	}
}

static void
lanes_fma(float *acc, float d, const int *lane)
{
	int	m;

	for (m = 0; m < 8; m++)
		acc[m] = fmaf(d, (float)lane[m], acc[m]);
}

/* Q2_K: the mins first, lane m: mn_{2m} bsum_{2m} + mn_{2m+1} bsum_{2m+1},
 * into the same accumulators with -d_a * dmin_w. */
float
dot_q2_K(int n, const void *w, const void *x)
{
	const block_q2_K	*b = w;
	const block_q8_K	*a = x;
	float			 acc[8] = { 0 }, d, dmin;
	int			 i, h, j, l, m, lane[8], q[32];

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		d = H2F(b->d);
		dmin = H2F(b->dmin);
		for (m = 0; m < 8; m++)
			lane[m] = (b->scales[2 * m] >> 4) * a->bsums[2 * m] +
			    (b->scales[2 * m + 1] >> 4) * a->bsums[2 * m + 1];
		lanes_fma(acc, -(a->d * dmin), lane);
		memset(lane, 0, sizeof lane);
		for (h = 0; h < 2; h++)
			for (j = 0; j < 4; j++) {
				for (l = 0; l < 32; l++)
					q[l] = (b->qs[32 * h + l] >> (2 * j)) & 3;
				lanes_add16(lane, q, a->qs + 128 * h + 32 * j,
				    b->scales[8 * h + 2 * j] & 0xF,
				    b->scales[8 * h + 2 * j + 1] & 0xF);
			}
		lanes_fma(acc, a->d * d, lane);
	}
	return hsum8(acc);
}

float
dot_q3_K(int n, const void *w, const void *x)
{
	const block_q3_K	*b = w;
	const block_q8_K	*a = x;
	float			 acc[8] = { 0 };
	int8_t			 sc[16];
	int			 i, h, j, l, m, lane[8], q[32];

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		q3k_scales(b->scales, sc);
		/* codes + 4 (0..7); the 4 comes back off through the bsums */
		for (m = 0; m < 8; m++)
			lane[m] = -4 * (sc[2 * m] * a->bsums[2 * m] +
			    sc[2 * m + 1] * a->bsums[2 * m + 1]);
		for (h = 0; h < 2; h++)
			for (j = 0; j < 4; j++) {
				for (l = 0; l < 32; l++)
					q[l] = ((b->qs[32 * h + l] >> (2 * j)) &
					    3) + 4 * ((b->hmask[l] >>
					    (4 * h + j)) & 1);
				lanes_add16(lane, q, a->qs + 128 * h + 32 * j,
				    sc[8 * h + 2 * j], sc[8 * h + 2 * j + 1]);
			}
		lanes_fma(acc, H2F(b->d) * a->d, lane);
	}
	return hsum8(acc);
}

/*
 * Q4_K / Q5_K: 32-byte chunk c holds sub-block 2c (low nibbles) and
 * 2c+1 (high nibbles); Q5_K's fifth bits are bit 2c / 2c+1 of qh[l].
 * The mins, per super-block, as 4 lanes k: m_{2k} p_{2k} + m_{2k+1}
 * p_{2k+1} with p_b = bsum_{2b} + bsum_{2b+1}.  Q4_K keeps them in 4
 * accumulators (fmaf(dmin_w * d_a, ...)) and returns hsum8 - hsum4;
 * Q5_K adds the 4 lanes as integers into one scalar,
 * summ = fmaf(-(d_a * dmin_w), sum, summ), and returns hsum8 + summ.
 */
static float
dot_q45_K(int n, const uint8_t *w, size_t bsz, const void *x, int q5)
{
	const block_q8_K	*a = x;
	const uint8_t		*blk, *qs, *qh, *sc12;
	float			 acc[8] = { 0 }, accm[4] = { 0 }, summ = 0.0f;
	float			 d, dmin;
	uint8_t			 sc[8], mn[8];
	int			 i, c, l, k, lane[8], q[32], prod[4], p[8];

	for (i = 0; i < n / QK_K; i++, a++) {
		blk = w + (size_t)i * bsz;
		k45_fields(blk, q5, &d, &dmin, &sc12, &qs, &qh);
		for (k = 0; k < 8; k++)
			get_scale_min_k4(k, sc12, &sc[k], &mn[k]);
		memset(lane, 0, sizeof lane);
		for (c = 0; c < 4; c++) {
			for (l = 0; l < 32; l++)
				q[l] = (qs[32 * c + l] & 0xF) + (qh == NULL ? 0 :
				    ((qh[l] >> (2 * c)) & 1) << 4);
			lanes_add(lane, q, a->qs + 64 * c, sc[2 * c]);
			for (l = 0; l < 32; l++)
				q[l] = (qs[32 * c + l] >> 4) + (qh == NULL ? 0 :
				    ((qh[l] >> (2 * c + 1)) & 1) << 4);
			lanes_add(lane, q, a->qs + 64 * c + 32, sc[2 * c + 1]);
		}
		lanes_fma(acc, d * a->d, lane);
		for (k = 0; k < 8; k++)
			p[k] = a->bsums[2 * k] + a->bsums[2 * k + 1];
		for (k = 0; k < 4; k++)
			prod[k] = mn[2 * k] * p[2 * k] +
			    mn[2 * k + 1] * p[2 * k + 1];
		if (q5)
			summ = fmaf(-(a->d * dmin), (float)(prod[0] + prod[1] +
			    prod[2] + prod[3]), summ);
		else
			for (k = 0; k < 4; k++)
				accm[k] = fmaf(dmin * a->d, (float)prod[k],
				    accm[k]);
	}
	return q5 ? hsum8(acc) + summ : hsum8(acc) - hsum4(accm);
}

float
dot_q4_K(int n, const void *w, const void *x)
{
	return dot_q45_K(n, w, sizeof(block_q4_K), x, 0);
}

float
dot_q5_K(int n, const void *w, const void *x)
{
	return dot_q45_K(n, w, sizeof(block_q5_K), x, 1);
}

/* Q6_K: group k of half h takes the low (k < 2) or high nibble of
 * ql[64h + 32(k & 1) + l] and bits 2k..2k+1 of qh[32h + l]; codes 0..63,
 * the 32 comes back off through the bsums. */
float
dot_q6_K(int n, const void *w, const void *x)
{
	const block_q6_K	*b = w;
	const block_q8_K	*a = x;
	const uint8_t		*ql, *qh;
	float			 acc[8] = { 0 };
	int			 i, h, k, l, m, lane[8], q[32];

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		for (m = 0; m < 8; m++)
			lane[m] = -32 * (b->scales[2 * m] * a->bsums[2 * m] +
			    b->scales[2 * m + 1] * a->bsums[2 * m + 1]);
		for (h = 0; h < 2; h++) {
			qh = b->qh + 32 * h;
			for (k = 0; k < 4; k++) {
				ql = b->ql + 64 * h + 32 * (k & 1);
				for (l = 0; l < 32; l++)
					q[l] = (k < 2 ? ql[l] & 0xF : ql[l] >> 4) |
					    ((qh[l] >> (2 * k)) & 3) << 4;
				lanes_add16(lane, q, a->qs + 128 * h + 32 * k,
				    b->scales[8 * h + 2 * k],
				    b->scales[8 * h + 2 * k + 1]);
			}
		}
		lanes_fma(acc, H2F(b->d) * a->d, lane);
	}
	return hsum8(acc);
}
