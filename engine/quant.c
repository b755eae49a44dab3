/*
 * quant.c -- the type-traits table, fp16/bf16 conversion, and the scalar
 * reference kernels (ENGINE-NOTES §2): dequantizers, quantizers and dot
 * products for every type.
 *
 * The traits table is indexed by ggml_type id.  Ids we do not implement
 * have a NULL name and are rejected by the GGUF reader.
 *
 * Everything here is plain C, always compiled, and is the oracle the SIMD
 * kernels (kernels-avx2.c) are tested against.  The dot products follow
 * §2.5: the activations are first quantized to the weight type's
 * vec_dot_type; inside a block the products are summed in int32 and the
 * block's float scales are applied once per block (K-quants: once per
 * super-block, the affine mins through the Q8_K bsums).  Row sums of the
 * per-block floats are in float, in block order.
 *
 * F32, F16 and BF16 weights are dotted against activations of the same
 * type (F16: x rounded to f16, as ggml does); those reference dots sum in
 * double.
 *
 * The activation quantizers reproduce llama.cpp's rounding bit for bit:
 * Q8_0/Q8_1 as its x86 path (nearest-even of x * 127/amax; see below),
 * Q8_K as its reference (nearest-even of x * iscale, clamped to 127).  The weight quantizers of
 * the 32-element formats follow §2.3; the K-quant ones are a simple
 * min/max search with a refit of the scales, correct but not llama.cpp's
 * bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"

static float	dot_f32(int, const void *, const void *);
static float	dot_f16(int, const void *, const void *);
static float	dot_bf16(int, const void *, const void *);
static float	dot_q4_0(int, const void *, const void *);
static float	dot_q4_1(int, const void *, const void *);
static float	dot_q5_0(int, const void *, const void *);
static float	dot_q5_1(int, const void *, const void *);
static float	dot_q8_0(int, const void *, const void *);
static float	dot_q2_K(int, const void *, const void *);
static float	dot_q3_K(int, const void *, const void *);
static float	dot_q4_K(int, const void *, const void *);
static float	dot_q5_K(int, const void *, const void *);
static float	dot_q6_K(int, const void *, const void *);

static void	to_float_f32(const void *, float *, int64_t);
static void	to_float_f16(const void *, float *, int64_t);
static void	to_float_bf16(const void *, float *, int64_t);
static void	to_float_q4_0(const void *, float *, int64_t);
static void	to_float_q4_1(const void *, float *, int64_t);
static void	to_float_q5_0(const void *, float *, int64_t);
static void	to_float_q5_1(const void *, float *, int64_t);
static void	to_float_q8_0(const void *, float *, int64_t);
static void	to_float_q8_1(const void *, float *, int64_t);
static void	to_float_q2_K(const void *, float *, int64_t);
static void	to_float_q3_K(const void *, float *, int64_t);
static void	to_float_q4_K(const void *, float *, int64_t);
static void	to_float_q5_K(const void *, float *, int64_t);
static void	to_float_q6_K(const void *, float *, int64_t);
static void	to_float_q8_K(const void *, float *, int64_t);
static void	to_float_q8_0p(const void *, float *, int64_t);

static void	from_float_f32(const float *, void *, int64_t);
static void	from_float_f16(const float *, void *, int64_t);
static void	from_float_bf16(const float *, void *, int64_t);
static void	from_float_q4_0(const float *, void *, int64_t);
static void	from_float_q4_1(const float *, void *, int64_t);
static void	from_float_q5_0(const float *, void *, int64_t);
static void	from_float_q5_1(const float *, void *, int64_t);
static void	from_float_q2_K(const float *, void *, int64_t);
static void	from_float_q3_K(const float *, void *, int64_t);
static void	from_float_q4_K(const float *, void *, int64_t);
static void	from_float_q5_K(const float *, void *, int64_t);
static void	from_float_q6_K(const float *, void *, int64_t);

#define T(name, blck, size, w, tof, fromf, vdt, dot, quant) \
	{ name, blck, size, w, tof, fromf, vdt, dot, dot, NULL, quant }
static struct qtraits traits[QT_COUNT] = {
	[QT_F32]  = T("F32",  1,    4,   1, to_float_f32, from_float_f32,
	    QT_F32, dot_f32, from_float_f32),
	[QT_F16]  = T("F16",  1,    2,   1, to_float_f16, from_float_f16,
	    QT_F16, dot_f16, from_float_f16),
	[QT_BF16] = T("BF16", 1,    2,   1, to_float_bf16, from_float_bf16,
	    QT_BF16, dot_bf16, from_float_bf16),
	[QT_Q4_0] = T("Q4_0", QK,   18,  1, to_float_q4_0, from_float_q4_0,
	    QT_Q8_0P, dot_q4_0, NULL),
	[QT_Q4_1] = T("Q4_1", QK,   20,  1, to_float_q4_1, from_float_q4_1,
	    QT_Q8_1, dot_q4_1, NULL),
	[QT_Q5_0] = T("Q5_0", QK,   22,  1, to_float_q5_0, from_float_q5_0,
	    QT_Q8_0P, dot_q5_0, NULL),
	[QT_Q5_1] = T("Q5_1", QK,   24,  1, to_float_q5_1, from_float_q5_1,
	    QT_Q8_1, dot_q5_1, NULL),
	[QT_Q8_0] = T("Q8_0", QK,   34,  1, to_float_q8_0, quantize_row_q8_0,
	    QT_Q8_0, dot_q8_0, quantize_row_q8_0),
	[QT_Q8_1] = T("Q8_1", QK,   36,  0, to_float_q8_1, quantize_row_q8_1,
	    QT_Q8_1, NULL, quantize_row_q8_1),
	[QT_Q2_K] = T("Q2_K", QK_K, 84,  1, to_float_q2_K, from_float_q2_K,
	    QT_Q8_K, dot_q2_K, NULL),
	[QT_Q3_K] = T("Q3_K", QK_K, 110, 1, to_float_q3_K, from_float_q3_K,
	    QT_Q8_K, dot_q3_K, NULL),
	[QT_Q4_K] = T("Q4_K", QK_K, 144, 1, to_float_q4_K, from_float_q4_K,
	    QT_Q8_K, dot_q4_K, NULL),
	[QT_Q5_K] = T("Q5_K", QK_K, 176, 1, to_float_q5_K, from_float_q5_K,
	    QT_Q8_K, dot_q5_K, NULL),
	[QT_Q6_K] = T("Q6_K", QK_K, 210, 1, to_float_q6_K, from_float_q6_K,
	    QT_Q8_K, dot_q6_K, NULL),
	[QT_Q8_K] = T("Q8_K", QK_K, 292, 0, to_float_q8_K, quantize_row_q8_K,
	    QT_Q8_K, NULL, quantize_row_q8_K),
	/* blck QK: rows are whole blocks; qtype_row_size pads the groups */
	[QT_Q8_0P] = T("Q8_0P", QK, 40, 0, to_float_q8_0p, quantize_row_q8_0p,
	    QT_Q8_0P, NULL, quantize_row_q8_0p),
};
#undef T

const struct qtraits *
qtype_traits(uint32_t type)
{
	if (type >= QT_COUNT || traits[type].name == NULL)
		return NULL;
	return &traits[type];
}

size_t
qtype_row_size(uint32_t type, int64_t n)
{
	const struct qtraits	*t;

	if ((t = qtype_traits(type)) == NULL || n < 0 || n % t->blck != 0)
		return 0;
	if (type == QT_Q8_0P)	/* groups of eight blocks, the last padded */
		return (size_t)((n / QK + 7) / 8) * sizeof(block_q8_0p);
	return (size_t)(n / t->blck) * t->type_size;
}

const char *
qtype_name(uint32_t type)
{
	const struct qtraits	*t;

	if ((t = qtype_traits(type)) == NULL)
		return "?";
	return t->name;
}

void
qtype_install(uint32_t type, qdot_fn dot, qgemm_fn gemm,
    qfrom_float_fn quantize)
{
	struct qtraits	*t;

	if (type >= QT_COUNT || traits[type].name == NULL)
		return;
	t = &traits[type];
	t->vec_dot = dot != NULL ? dot : t->vec_dot_ref;
	t->gemm = gemm;
	if (t->vec_dot_type == (int)type)	/* an activation format */
		t->quantize = quantize != NULL ? quantize : t->from_float;
}

float
fp16_to_f32(uint16_t h)
{
	uint32_t	sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t	exp = (h >> 10) & 0x1F;
	uint32_t	mant = h & 0x3FF;
	uint32_t	bits;
	float		f;

	if (exp == 0) {
		/* zero or subnormal: mant * 2^-24 */
		f = (float)mant * 0x1p-24f;
		return sign ? -f : f;
	}
	if (exp == 31)
		bits = sign | 0x7F800000u | (mant << 13);
	else
		bits = sign | ((exp + 112) << 23) | (mant << 13);
	memcpy(&f, &bits, 4);
	return f;
}

uint16_t
f32_to_fp16(float f)
{
	uint32_t	x, sign, exp, mant, r;
	int		e;

	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000;
	exp = (x >> 23) & 0xFF;
	mant = x & 0x7FFFFF;
	if (exp == 0xFF)	/* inf or nan */
		return (uint16_t)(sign | 0x7C00 | (mant ? 0x200 : 0));
	e = (int)exp - 127 + 15;
	if (e >= 31)
		return (uint16_t)(sign | 0x7C00);
	if (e <= 0) {
		/* subnormal half (or zero): round to nearest even */
		if (e < -10)
			return (uint16_t)sign;
		mant |= 0x800000;
		{
			int	shift = 14 - e;
			uint32_t half = 1u << (shift - 1);
			uint32_t v = mant >> shift;
			uint32_t rem = mant & ((1u << shift) - 1);

			if (rem > half || (rem == half && (v & 1)))
				v++;
			return (uint16_t)(sign | v);
		}
	}
	r = ((uint32_t)e << 10) | (mant >> 13);
	/* round to nearest even on the 13 dropped bits */
	if ((mant & 0x1FFF) > 0x1000 || ((mant & 0x1FFF) == 0x1000 && (r & 1)))
		r++;		/* may carry into the exponent: still correct */
	return (uint16_t)(sign | r);
}

float
bf16_to_f32(uint16_t h)
{
	uint32_t	bits = (uint32_t)h << 16;
	float		f;

	memcpy(&f, &bits, 4);
	return f;
}

uint16_t
f32_to_bf16(float f)
{
	uint32_t	u;

	memcpy(&u, &f, 4);
	if ((u & 0x7FFFFFFF) > 0x7F800000)	/* nan: keep it quiet */
		return (uint16_t)((u >> 16) | 64);
	return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

/* ---- helpers ---------------------------------------------------------- */

#define H2F(h) fp16_to_f32(h)

/* Round to nearest, ties to even, like ggml's nearest_int (|x| < 2^22). */
static inline int
nearest_int(float x)
{
	return (int)lrintf(x);
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

/* ---- dequantizers ----------------------------------------------------- */

static void
to_float_f32(const void *src, float *dst, int64_t n)
{
	memcpy(dst, src, (size_t)n * sizeof *dst);
}

static void
to_float_f16(const void *src, float *dst, int64_t n)
{
	const uint8_t	*p = src;
	uint16_t	 h;
	int64_t		 i;

	for (i = 0; i < n; i++) {
		memcpy(&h, p + 2 * i, 2);
		dst[i] = fp16_to_f32(h);
	}
}

static void
to_float_bf16(const void *src, float *dst, int64_t n)
{
	const uint8_t	*p = src;
	uint16_t	 h;
	int64_t		 i;

	for (i = 0; i < n; i++) {
		memcpy(&h, p + 2 * i, 2);
		dst[i] = bf16_to_f32(h);
	}
}

static void
to_float_q4_0(const void *src, float *dst, int64_t n)
{
	const block_q4_0	*b = src;
	int64_t			 i;
	int			 e;
	float			 d;

	for (i = 0; i < n / QK; i++, b++, dst += QK) {
		d = H2F(b->d);
		for (e = 0; e < 16; e++) {
			dst[e] = d * ((b->qs[e] & 0xF) - 8);
			dst[e + 16] = d * ((b->qs[e] >> 4) - 8);
		}
	}
}

static void
to_float_q4_1(const void *src, float *dst, int64_t n)
{
	const block_q4_1	*b = src;
	int64_t			 i;
	int			 e;
	float			 d, m;

	for (i = 0; i < n / QK; i++, b++, dst += QK) {
		d = H2F(b->d);
		m = H2F(b->m);
		for (e = 0; e < 16; e++) {
			dst[e] = d * (b->qs[e] & 0xF) + m;
			dst[e + 16] = d * (b->qs[e] >> 4) + m;
		}
	}
}

static inline uint32_t
qh_u32(const uint8_t *qh)
{
	return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 |
	    (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

static void
to_float_q5_0(const void *src, float *dst, int64_t n)
{
	const block_q5_0	*b = src;
	int64_t			 i;
	int			 e;
	uint32_t		 qh;
	float			 d;

	for (i = 0; i < n / QK; i++, b++, dst += QK) {
		d = H2F(b->d);
		qh = qh_u32(b->qh);
		for (e = 0; e < 16; e++) {
			dst[e] = d * ((int)((b->qs[e] & 0xF) |
			    ((qh >> e) & 1) << 4) - 16);
			dst[e + 16] = d * ((int)((b->qs[e] >> 4) |
			    ((qh >> (e + 16)) & 1) << 4) - 16);
		}
	}
}

static void
to_float_q5_1(const void *src, float *dst, int64_t n)
{
	const block_q5_1	*b = src;
	int64_t			 i;
	int			 e;
	uint32_t		 qh;
	float			 d, m;

	for (i = 0; i < n / QK; i++, b++, dst += QK) {
		d = H2F(b->d);
		m = H2F(b->m);
		qh = qh_u32(b->qh);
		for (e = 0; e < 16; e++) {
			dst[e] = d * (int)((b->qs[e] & 0xF) |
			    ((qh >> e) & 1) << 4) + m;
			dst[e + 16] = d * (int)((b->qs[e] >> 4) |
			    ((qh >> (e + 16)) & 1) << 4) + m;
		}
	}
}

static void
to_float_q8_0(const void *src, float *dst, int64_t n)
{
	const block_q8_0	*b = src;
	int64_t			 i;
	int			 e;
	float			 d;

	for (i = 0; i < n / QK; i++, b++, dst += QK) {
		d = H2F(b->d);
		for (e = 0; e < QK; e++)
			dst[e] = d * b->qs[e];
	}
}

static void
to_float_q8_0p(const void *src, float *dst, int64_t n)
{
	const block_q8_0p	*g = src;
	const int8_t		*h;
	int64_t			 i;
	int			 e;

	for (i = 0; i < n / QK; i++, dst += QK) {
		h = q8_0p_half(g + i / 8, (int)(i % 8), 0);
		for (e = 0; e < 16; e++) {
			dst[e] = g[i / 8].d[i % 8] * h[e];
			dst[e + 16] = g[i / 8].d[i % 8] * h[e + 32];
		}
	}
}

static void
to_float_q8_1(const void *src, float *dst, int64_t n)
{
	const block_q8_1	*b = src;
	int64_t			 i;
	int			 e;
	float			 d;

	for (i = 0; i < n / QK; i++, b++, dst += QK) {
		d = H2F(b->d);
		for (e = 0; e < QK; e++)
			dst[e] = d * b->qs[e];
	}
}

static void
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

static void
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

static void
to_float_q4_K(const void *src, float *dst, int64_t n)
{
	const block_q4_K	*b = src;
	int64_t			 i;
	int			 e, j;
	uint8_t			 sc, m;
	float			 d, dmin, ds, dm;

	for (i = 0; i < n / QK_K; i++, b++, dst += QK_K) {
		d = H2F(b->d);
		dmin = H2F(b->dmin);
		for (j = 0; j < 8; j++) {
			get_scale_min_k4(j, b->scales, &sc, &m);
			ds = d * sc;
			dm = dmin * m;
			for (e = 32 * j; e < 32 * j + 32; e++)
				dst[e] = ds * q4k_nibble(b->qs, e) - dm;
		}
	}
}

static void
to_float_q5_K(const void *src, float *dst, int64_t n)
{
	const block_q5_K	*b = src;
	int64_t			 i;
	int			 e, j, q;
	uint8_t			 sc, m;
	float			 d, dmin, ds, dm;

	for (i = 0; i < n / QK_K; i++, b++, dst += QK_K) {
		d = H2F(b->d);
		dmin = H2F(b->dmin);
		for (j = 0; j < 8; j++) {
			get_scale_min_k4(j, b->scales, &sc, &m);
			ds = d * sc;
			dm = dmin * m;
			for (e = 32 * j; e < 32 * j + 32; e++) {
				q = q4k_nibble(b->qs, e) +
				    16 * ((b->qh[e % 32] >> (e / 32)) & 1);
				dst[e] = ds * q - dm;
			}
		}
	}
}

static void
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

static void
to_float_q8_K(const void *src, float *dst, int64_t n)
{
	const block_q8_K	*b = src;
	int64_t			 i;
	int			 e;

	for (i = 0; i < n / QK_K; i++, b++, dst += QK_K) {
		for (e = 0; e < QK_K; e++)
			dst[e] = b->d * b->qs[e];
	}
}

/* ---- activation quantizers ---------------------------------------------
 *
 * Q8_0 and Q8_1 follow llama.cpp's x86 CPU path, not its reference
 * function: the scale is id = 127/amax (not 1/(amax/127), which differs in
 * the last bit) and values are rounded to nearest-even.  That path
 * produced the golden logits; the reference's roundings flip at k+1/2
 * steps and move Q4_0/Q5_0/Q4_1/Q5_1 logits by up to 0.13.
 */

void
quantize_row_q8_0(const float *x, void *y, int64_t n)
{
	block_q8_0	*b = y;
	int64_t		 i;
	int		 e;
	float		 amax, d, id;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		amax = 0.0f;
		for (e = 0; e < QK; e++)
			amax = fmaxf(amax, fabsf(x[e]));
		d = amax / 127;
		id = amax != 0.0f ? 127.0f / amax : 0.0f;
		b->d = f32_to_fp16(d);
		for (e = 0; e < QK; e++)
			b->qs[e] = (int8_t)nearbyintf(x[e] * id);
	}
}

/* Q8_0's codes and scales, in the Q8_0P layout (quant.h). */
void
quantize_row_q8_0p(const float *x, void *y, int64_t n)
{
	block_q8_0p	*g = y;
	block_q8_0	 b;
	int64_t		 i;
	int		 e, m;

	memset(g, 0, ((size_t)n / QK + 7) / 8 * sizeof *g);
	for (i = 0; i < n / QK; i++, x += QK) {
		quantize_row_q8_0(x, &b, QK);
		m = (int)(i % 8);
		g[i / 8].d[m] = H2F(b.d);
		for (e = 0; e < QK; e++) {
			((int8_t *)q8_0p_half(g + i / 8, m, e / 16))[e % 16] =
			    b.qs[e];
			g[i / 8].s[m] += b.qs[e];
		}
	}
}

void
quantize_row_q8_1(const float *x, void *y, int64_t n)
{
	block_q8_1	*b = y;
	int64_t		 i;
	int		 e, sum;
	float		 amax, d, id;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		amax = 0.0f;
		for (e = 0; e < QK; e++)
			amax = fmaxf(amax, fabsf(x[e]));
		d = amax / 127;
		id = amax != 0.0f ? 127.0f / amax : 0.0f;
		b->d = f32_to_fp16(d);
		sum = 0;
		for (e = 0; e < QK; e++) {
			b->qs[e] = (int8_t)nearbyintf(x[e] * id);
			sum += b->qs[e];
		}
		b->s = f32_to_fp16(sum * d);
	}
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

/* ---- weight quantizers ------------------------------------------------ */

static void
from_float_f32(const float *x, void *y, int64_t n)
{
	memcpy(y, x, (size_t)n * sizeof *x);
}

static void
from_float_f16(const float *x, void *y, int64_t n)
{
	uint8_t		*p = y;
	uint16_t	 h;
	int64_t		 i;

	for (i = 0; i < n; i++) {
		h = f32_to_fp16(x[i]);
		memcpy(p + 2 * i, &h, 2);
	}
}

static void
from_float_bf16(const float *x, void *y, int64_t n)
{
	uint8_t		*p = y;
	uint16_t	 h;
	int64_t		 i;

	for (i = 0; i < n; i++) {
		h = f32_to_bf16(x[i]);
		memcpy(p + 2 * i, &h, 2);
	}
}

/* Signed value of largest magnitude among x[0..n-1]. */
static float
signed_absmax(const float *x, int n)
{
	float	amax = 0.0f, max = 0.0f;
	int	i;

	for (i = 0; i < n; i++) {
		if (fabsf(x[i]) > amax) {
			amax = fabsf(x[i]);
			max = x[i];
		}
	}
	return max;
}

/* Q4_0 (nmax 8) and Q5_0 (nmax 16): d = max / -nmax (§2.3). */
static void
quant_sym32(const float *x, float nmax, int qmax, uint16_t *dp,
    uint8_t *q)
{
	float	d, id;
	int	e, v;

	d = signed_absmax(x, QK) / -nmax;
	id = d != 0.0f ? 1.0f / d : 0.0f;
	*dp = f32_to_fp16(d);
	for (e = 0; e < QK; e++) {
		v = (int8_t)(x[e] * id + nmax + 0.5f);
		q[e] = (uint8_t)(v < qmax ? v : qmax);
	}
}

/* Q4_1 (qmax 15) and Q5_1 (qmax 31): d = (max - min) / qmax, m = min. */
static void
quant_affine32(const float *x, int qmax, uint16_t *dp, uint16_t *mp,
    uint8_t *q)
{
	float	min = x[0], max = x[0], d, id;
	int	e, v;

	for (e = 1; e < QK; e++) {
		min = fminf(min, x[e]);
		max = fmaxf(max, x[e]);
	}
	d = (max - min) / qmax;
	id = d != 0.0f ? 1.0f / d : 0.0f;
	*dp = f32_to_fp16(d);
	*mp = f32_to_fp16(min);
	for (e = 0; e < QK; e++) {
		v = (int8_t)((x[e] - min) * id + 0.5f);
		q[e] = (uint8_t)(v < qmax ? v : qmax);
	}
}

static void
pack_nibbles(const uint8_t *q, uint8_t *qs)
{
	int	e;

	for (e = 0; e < 16; e++)
		qs[e] = (q[e] & 0xF) | (uint8_t)((q[e + 16] & 0xF) << 4);
}

static void
pack_qh(const uint8_t *q, uint8_t *qh)
{
	uint32_t	h = 0;
	int		e;

	for (e = 0; e < QK; e++)
		h |= (uint32_t)((q[e] >> 4) & 1) << e;
	qh[0] = h & 0xFF;
	qh[1] = (h >> 8) & 0xFF;
	qh[2] = (h >> 16) & 0xFF;
	qh[3] = h >> 24;
}

static void
from_float_q4_0(const float *x, void *y, int64_t n)
{
	block_q4_0	*b = y;
	uint8_t		 q[QK];
	int64_t		 i;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		quant_sym32(x, 8.0f, 15, &b->d, q);
		pack_nibbles(q, b->qs);
	}
}

static void
from_float_q5_0(const float *x, void *y, int64_t n)
{
	block_q5_0	*b = y;
	uint8_t		 q[QK];
	int64_t		 i;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		quant_sym32(x, 16.0f, 31, &b->d, q);
		pack_nibbles(q, b->qs);
		pack_qh(q, b->qh);
	}
}

static void
from_float_q4_1(const float *x, void *y, int64_t n)
{
	block_q4_1	*b = y;
	uint8_t		 q[QK];
	int64_t		 i;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		quant_affine32(x, 15, &b->d, &b->m, q);
		pack_nibbles(q, b->qs);
	}
}

static void
from_float_q5_1(const float *x, void *y, int64_t n)
{
	block_q5_1	*b = y;
	uint8_t		 q[QK];
	int64_t		 i;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		quant_affine32(x, 31, &b->d, &b->m, q);
		pack_nibbles(q, b->qs);
		pack_qh(q, b->qh);
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

static void
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

static void
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

static void
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

static void
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

static void
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

/* ---- reference dot products ------------------------------------------ */

/*
 * The reference dots fix the order of every float operation, and the
 * SIMD kernels follow it exactly, so all kernel paths give bit-identical
 * results (tests/test-quant checks it) -- and the same as llama.cpp's
 * AVX2 kernels, whose order this is.  The integer part of a block is
 * exact whatever the order; what matters is how it is split into eight
 * "lanes" before the float work:
 *  - a 32-element group is split into lanes of 4 consecutive elements
 *    (lane m: elements 4m..4m+3 of the group);
 *  - each block (32-element formats) or super-block (K-quants) adds
 *    fmaf(scale, (float)lane_sum[m], acc[m]) to lane accumulator m;
 *  - the row result is the horizontal sum hsum8(acc) below, plus the
 *    min terms of the affine formats as described at each function.
 * Q4_0, Q5_0 and Q8_0 are the exception (dot_phase8 below, dot_q8_0): a
 * block's whole integer sum goes into accumulator (block index mod 8),
 * which lets the prefill kernels put eight weight rows in the lanes of
 * one register.
 * fmaf is exact (one rounding), as the FMA instructions are.
 */

/* ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), as vhaddps-free
 * AVX code sums a vector of 8 floats. */
static float
hsum8(const float *l)
{
	float	a0 = l[0] + l[4], a1 = l[1] + l[5];
	float	a2 = l[2] + l[6], a3 = l[3] + l[7];

	return (a0 + a2) + (a1 + a3);
}

/* (l0 + l2) + (l1 + l3) */
static float
hsum4(const float *l)
{
	return (l[0] + l[2]) + (l[1] + l[3]);
}

/*
 * Float formats: two 8-lane accumulators over 16 elements a step
 * (acc0 lane l: elements 16i + l, acc1: 16i + 8 + l), summed lane-wise,
 * hsum8, then the tail elements one FMA at a time.
 */
#define DOT_FLOAT(name, T, conv)					\
static float								\
name(int n, const void *w, const void *x)				\
{									\
	const T	*a = w, *b = x;						\
	float	 acc0[8] = { 0 }, acc1[8] = { 0 }, l8[8], s;		\
	int	 i, l;							\
									\
	for (i = 0; i + 16 <= n; i += 16)				\
		for (l = 0; l < 8; l++) {				\
			acc0[l] = fmaf(conv(a[i + l]), conv(b[i + l]),	\
			    acc0[l]);					\
			acc1[l] = fmaf(conv(a[i + 8 + l]),		\
			    conv(b[i + 8 + l]), acc1[l]);		\
		}							\
	for (l = 0; l < 8; l++)						\
		l8[l] = acc0[l] + acc1[l];				\
	s = hsum8(l8);							\
	for (; i < n; i++)						\
		s = fmaf(conv(a[i]), conv(b[i]), s);			\
	return s;							\
}
#define CONV_F32(v) (v)
DOT_FLOAT(dot_f32, float, CONV_F32)
DOT_FLOAT(dot_f16, uint16_t, fp16_to_f32)
DOT_FLOAT(dot_bf16, uint16_t, bf16_to_f32)

/*
 * 32-element formats: per block, lane m = sum of q_e * a_e over
 * e = 4m..4m+3 (q signed for Q4_0/Q5_0/Q8_0, unsigned for Q4_1/Q5_1),
 * acc[m] = fmaf(d_w * d_a, lane, acc[m]).  Q4_1/Q5_1 add the min terms
 * in a scalar, summ = fmaf(m_w, s_a, summ), and return hsum8 + summ.
 */
static float
dot32(const int8_t *q, const int8_t *a, float d, float *acc)
{
	int	m, t, s;

	for (m = 0; m < 8; m++) {
		s = 0;
		for (t = 0; t < 4; t++)
			s += q[4 * m + t] * a[4 * m + t];
		acc[m] = fmaf(d, (float)s, acc[m]);
	}
	return 0.0f;
}

/* Codes of a Q4_x / Q5_x block in element order (minus off), as int8. */
static void
codes32(const uint8_t *qs, const uint8_t *qh, int off, int8_t *q)
{
	uint32_t	h = qh != NULL ? qh_u32(qh) : 0;
	int		e;

	for (e = 0; e < 16; e++) {
		q[e] = (int8_t)((qs[e] & 0xF) + (((h >> e) & 1) << 4) - off);
		q[e + 16] = (int8_t)((qs[e] >> 4) +
		    (((h >> (e + 16)) & 1) << 4) - off);
	}
}

/*
 * Q4_0 / Q5_0: S_j = the exact integer sum of block j's code * activation
 * products, acc[j % 8] = fmaf(d_w * d_a, (float)S_j, acc[j % 8]), then
 * hsum8(acc).  With a block's sum in one value, a SIMD register can hold
 * eight rows' sums of the same block (prefill) or eight blocks of one
 * row (decode) with no float work per lane of the block.
 */
static float
dot_phase8(int n, const uint8_t *w, size_t wsize, int has_qh, int off,
    const void *x)
{
	const block_q8_0p	*g;
	const uint8_t		*b;
	float			 acc[8] = { 0 };
	int8_t			 q[QK];
	int			 i, e, s;
	uint16_t		 d;

	for (i = 0; i < n / QK; i++) {
		b = w + (size_t)i * wsize;
		g = (const block_q8_0p *)x + i / 8;
		memcpy(&d, b, 2);
		codes32(b + 2 + (has_qh ? 4 : 0), has_qh ? b + 2 : NULL, off,
		    q);
		s = 0;
		for (e = 0; e < QK; e++)
			s += q[e] * q8_0p_half(g, i & 7, e / 16)[e % 16];
		acc[i & 7] = fmaf(H2F(d) * g->d[i & 7], (float)s, acc[i & 7]);
	}
	return hsum8(acc);
}

static float
dot_q4_0(int n, const void *w, const void *x)
{
	return dot_phase8(n, w, sizeof(block_q4_0), 0, 8, x);
}

static float
dot_q5_0(int n, const void *w, const void *x)
{
	return dot_phase8(n, w, sizeof(block_q5_0), 1, 16, x);
}

static float
dot_q8_0(int n, const void *w, const void *x)
{
	const block_q8_0	*b = w;
	const block_q8_0	*a = x;
	float			 acc[8] = { 0 };
	int			 i, e, s;

	/* dot_phase8's order: block i's exact sum into acc[i & 7] */
	for (i = 0; i < n / QK; i++, b++, a++) {
		s = 0;
		for (e = 0; e < QK; e++)
			s += b->qs[e] * a->qs[e];
		acc[i & 7] = fmaf(H2F(b->d) * H2F(a->d), (float)s, acc[i & 7]);
	}
	return hsum8(acc);
}

static float
dot_q4_1(int n, const void *w, const void *x)
{
	const block_q4_1	*b = w;
	const block_q8_1	*a = x;
	float			 acc[8] = { 0 }, summ = 0.0f;
	int8_t			 q[QK];
	int			 i;

	for (i = 0; i < n / QK; i++, b++, a++) {
		codes32(b->qs, NULL, 0, q);
		dot32(q, a->qs, H2F(b->d) * H2F(a->d), acc);
		summ = fmaf(H2F(b->m), H2F(a->s), summ);
	}
	return hsum8(acc) + summ;
}

static float
dot_q5_1(int n, const void *w, const void *x)
{
	const block_q5_1	*b = w;
	const block_q8_1	*a = x;
	float			 acc[8] = { 0 }, summ = 0.0f;
	int8_t			 q[QK];
	int			 i;

	for (i = 0; i < n / QK; i++, b++, a++) {
		codes32(b->qs, b->qh, 0, q);
		dot32(q, a->qs, H2F(b->d) * H2F(a->d), acc);
		summ = fmaf(H2F(b->m), H2F(a->s), summ);
	}
	return hsum8(acc) + summ;
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
static float
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

static float
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
		if (q5) {
			const block_q5_K *b = (const block_q5_K *)blk;

			d = H2F(b->d);
			dmin = H2F(b->dmin);
			sc12 = b->scales;
			qs = b->qs;
			qh = b->qh;
		} else {
			const block_q4_K *b = (const block_q4_K *)blk;

			d = H2F(b->d);
			dmin = H2F(b->dmin);
			sc12 = b->scales;
			qs = b->qs;
			qh = NULL;
		}
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

static float
dot_q4_K(int n, const void *w, const void *x)
{
	return dot_q45_K(n, w, sizeof(block_q4_K), x, 0);
}

static float
dot_q5_K(int n, const void *w, const void *x)
{
	return dot_q45_K(n, w, sizeof(block_q5_K), x, 1);
}

/* Q6_K: group k of half h takes the low (k < 2) or high nibble of
 * ql[64h + 32(k & 1) + l] and bits 2k..2k+1 of qh[32h + l]; codes 0..63,
 * the 32 comes back off through the bsums. */
static float
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
