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
	    QT_Q8_0, dot_q4_0, NULL),
	[QT_Q4_1] = T("Q4_1", QK,   20,  1, to_float_q4_1, from_float_q4_1,
	    QT_Q8_1, dot_q4_1, NULL),
	[QT_Q5_0] = T("Q5_0", QK,   22,  1, to_float_q5_0, from_float_q5_0,
	    QT_Q8_0, dot_q5_0, NULL),
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
	float	s[16], d, ds;
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

static float
dot_f32(int n, const void *w, const void *x)
{
	const float	*a = w, *b = x;
	double		 sum = 0.0;
	int		 i;

	for (i = 0; i < n; i++)
		sum += (double)a[i] * b[i];
	return (float)sum;
}

static float
dot_f16(int n, const void *w, const void *x)
{
	const uint16_t	*a = w, *b = x;
	double		 sum = 0.0;
	int		 i;

	for (i = 0; i < n; i++)
		sum += (double)fp16_to_f32(a[i]) * fp16_to_f32(b[i]);
	return (float)sum;
}

static float
dot_bf16(int n, const void *w, const void *x)
{
	const uint16_t	*a = w, *b = x;
	double		 sum = 0.0;
	int		 i;

	for (i = 0; i < n; i++)
		sum += (double)bf16_to_f32(a[i]) * bf16_to_f32(b[i]);
	return (float)sum;
}

static float
dot_q4_0(int n, const void *w, const void *x)
{
	const block_q4_0	*b = w;
	const block_q8_0	*a = x;
	float			 sum = 0.0f;
	int			 i, e, s;

	for (i = 0; i < n / QK; i++, b++, a++) {
		s = 0;
		for (e = 0; e < 16; e++) {
			s += ((b->qs[e] & 0xF) - 8) * a->qs[e];
			s += ((b->qs[e] >> 4) - 8) * a->qs[e + 16];
		}
		sum += (float)s * (H2F(b->d) * H2F(a->d));
	}
	return sum;
}

static float
dot_q4_1(int n, const void *w, const void *x)
{
	const block_q4_1	*b = w;
	const block_q8_1	*a = x;
	float			 sum = 0.0f;
	int			 i, e, s;

	for (i = 0; i < n / QK; i++, b++, a++) {
		s = 0;
		for (e = 0; e < 16; e++) {
			s += (b->qs[e] & 0xF) * a->qs[e];
			s += (b->qs[e] >> 4) * a->qs[e + 16];
		}
		sum += (float)s * (H2F(b->d) * H2F(a->d)) +
		    H2F(b->m) * H2F(a->s);
	}
	return sum;
}

static float
dot_q5_0(int n, const void *w, const void *x)
{
	const block_q5_0	*b = w;
	const block_q8_0	*a = x;
	float			 sum = 0.0f;
	uint32_t		 qh;
	int			 i, e, s;

	for (i = 0; i < n / QK; i++, b++, a++) {
		qh = qh_u32(b->qh);
		s = 0;
		for (e = 0; e < 16; e++) {
			s += ((int)((b->qs[e] & 0xF) | ((qh >> e) & 1) << 4) -
			    16) * a->qs[e];
			s += ((int)((b->qs[e] >> 4) |
			    ((qh >> (e + 16)) & 1) << 4) - 16) * a->qs[e + 16];
		}
		sum += (float)s * (H2F(b->d) * H2F(a->d));
	}
	return sum;
}

static float
dot_q5_1(int n, const void *w, const void *x)
{
	const block_q5_1	*b = w;
	const block_q8_1	*a = x;
	float			 sum = 0.0f;
	uint32_t		 qh;
	int			 i, e, s;

	for (i = 0; i < n / QK; i++, b++, a++) {
		qh = qh_u32(b->qh);
		s = 0;
		for (e = 0; e < 16; e++) {
			s += (int)((b->qs[e] & 0xF) | ((qh >> e) & 1) << 4) *
			    a->qs[e];
			s += (int)((b->qs[e] >> 4) |
			    ((qh >> (e + 16)) & 1) << 4) * a->qs[e + 16];
		}
		sum += (float)s * (H2F(b->d) * H2F(a->d)) +
		    H2F(b->m) * H2F(a->s);
	}
	return sum;
}

static float
dot_q8_0(int n, const void *w, const void *x)
{
	const block_q8_0	*b = w;
	const block_q8_0	*a = x;
	float			 sum = 0.0f;
	int			 i, e, s;

	for (i = 0; i < n / QK; i++, b++, a++) {
		s = 0;
		for (e = 0; e < QK; e++)
			s += b->qs[e] * a->qs[e];
		sum += (float)s * (H2F(b->d) * H2F(a->d));
	}
	return sum;
}

/*
 * The K-quant dots walk the layout of §2.4 directly: half h (128
 * elements), group j (32 elements: 2-bit field j, or nibble half), lane
 * l, so element e = 128h + 32j + l; sub-blocks of 16 are e / 16.
 */
static float
dot_q2_K(int n, const void *w, const void *x)
{
	const block_q2_K	*b = w;
	const block_q8_K	*a = x;
	float			 sum = 0.0f;
	int			 i, h, j, l, o, s, sumi, summ, sub[16];

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		for (s = 0; s < 16; s++) {
			h = s / 8;
			j = (s % 8) / 2;
			o = 16 * (s % 2);	/* first lane of the sub-block */
			sub[s] = 0;
			for (l = o; l < o + 16; l++)
				sub[s] += ((b->qs[32 * h + l] >> (2 * j)) & 3) *
				    a->qs[128 * h + 32 * j + l];
		}
		sumi = summ = 0;
		for (s = 0; s < 16; s++) {
			sumi += (b->scales[s] & 0xF) * sub[s];
			summ += (b->scales[s] >> 4) * a->bsums[s];
		}
		sum += a->d * (H2F(b->d) * (float)sumi -
		    H2F(b->dmin) * (float)summ);
	}
	return sum;
}

static float
dot_q3_K(int n, const void *w, const void *x)
{
	const block_q3_K	*b = w;
	const block_q8_K	*a = x;
	float			 sum = 0.0f;
	int8_t			 sc[16];
	int			 i, h, j, l, o, s, q, sumi, sub[16];

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		q3k_scales(b->scales, sc);
		for (s = 0; s < 16; s++) {
			h = s / 8;
			j = (s % 8) / 2;
			o = 16 * (s % 2);
			sub[s] = 0;
			for (l = o; l < o + 16; l++) {
				q = ((b->qs[32 * h + l] >> (2 * j)) & 3) -
				    (((b->hmask[l] >> (4 * h + j)) & 1) ? 0 : 4);
				sub[s] += q * a->qs[128 * h + 32 * j + l];
			}
		}
		sumi = 0;
		for (s = 0; s < 16; s++)
			sumi += sc[s] * sub[s];
		sum += a->d * H2F(b->d) * (float)sumi;
	}
	return sum;
}

/* Q4_K / Q5_K: 32-byte chunk c holds sub-block 2c (low nibbles) and
 * 2c+1 (high nibbles); Q5_K's fifth bits are bit 2c / 2c+1 of qh[l]. */
static float
dot_q4_K(int n, const void *w, const void *x)
{
	const block_q4_K	*b = w;
	const block_q8_K	*a = x;
	float			 sum = 0.0f;
	uint8_t			 sc, m;
	int			 i, c, l, j, lo, hi, sumi, summ;

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		sumi = summ = 0;
		for (c = 0; c < 4; c++) {
			lo = hi = 0;
			for (l = 0; l < 32; l++) {
				lo += (b->qs[32 * c + l] & 0xF) *
				    a->qs[64 * c + l];
				hi += (b->qs[32 * c + l] >> 4) *
				    a->qs[64 * c + 32 + l];
			}
			get_scale_min_k4(2 * c, b->scales, &sc, &m);
			sumi += sc * lo;
			get_scale_min_k4(2 * c + 1, b->scales, &sc, &m);
			sumi += sc * hi;
		}
		for (j = 0; j < 8; j++) {
			get_scale_min_k4(j, b->scales, &sc, &m);
			summ += m * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
		}
		sum += a->d * (H2F(b->d) * (float)sumi -
		    H2F(b->dmin) * (float)summ);
	}
	return sum;
}

static float
dot_q5_K(int n, const void *w, const void *x)
{
	const block_q5_K	*b = w;
	const block_q8_K	*a = x;
	float			 sum = 0.0f;
	uint8_t			 sc, m;
	int			 i, c, l, j, lo, hi, sumi, summ;

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		sumi = summ = 0;
		for (c = 0; c < 4; c++) {
			lo = hi = 0;
			for (l = 0; l < 32; l++) {
				lo += ((b->qs[32 * c + l] & 0xF) +
				    (((b->qh[l] >> (2 * c)) & 1) << 4)) *
				    a->qs[64 * c + l];
				hi += ((b->qs[32 * c + l] >> 4) +
				    (((b->qh[l] >> (2 * c + 1)) & 1) << 4)) *
				    a->qs[64 * c + 32 + l];
			}
			get_scale_min_k4(2 * c, b->scales, &sc, &m);
			sumi += sc * lo;
			get_scale_min_k4(2 * c + 1, b->scales, &sc, &m);
			sumi += sc * hi;
		}
		for (j = 0; j < 8; j++) {
			get_scale_min_k4(j, b->scales, &sc, &m);
			summ += m * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
		}
		sum += a->d * (H2F(b->d) * (float)sumi -
		    H2F(b->dmin) * (float)summ);
	}
	return sum;
}

/* Q6_K: group k of half h takes the low (k < 2) or high nibble of
 * ql[64h + 32(k & 1) + l] and bits 2k..2k+1 of qh[32h + l]. */
static float
dot_q6_K(int n, const void *w, const void *x)
{
	const block_q6_K	*b = w;
	const block_q8_K	*a = x;
	const uint8_t		*ql, *qh;
	float			 sum = 0.0f;
	int			 i, h, k, l, o, s, q, sumi, sub[16];

	for (i = 0; i < n / QK_K; i++, b++, a++) {
		for (s = 0; s < 16; s++) {
			h = s / 8;
			k = (s % 8) / 2;
			o = 16 * (s % 2);
			ql = b->ql + 64 * h + 32 * (k & 1);
			qh = b->qh + 32 * h;
			sub[s] = 0;
			for (l = o; l < o + 16; l++) {
				q = (k < 2 ? ql[l] & 0xF : ql[l] >> 4) |
				    ((qh[l] >> (2 * k)) & 3) << 4;
				sub[s] += (q - 32) * a->qs[128 * h + 32 * k + l];
			}
		}
		sumi = 0;
		for (s = 0; s < 16; s++)
			sumi += b->scales[s] * sub[s];
		sum += a->d * H2F(b->d) * (float)sumi;
	}
	return sum;
}
