/*
 * quant.c -- the type-traits table, fp16/bf16 conversion, and the scalar
 * reference kernels of the float and 32-element formats: dequantizers,
 * quantizers and dot products (the K-quants are in quant-k.c; what both
 * share is in quant-ref.h).
 *
 * The traits table is indexed by ggml_type id.  Ids we do not implement
 * have a NULL name and are rejected by the GGUF reader.
 *
 * Everything here is plain C, always compiled, and is the oracle the SIMD
 * kernels (kernels-avx2.c, kernels-avx512.c) are tested against.  The
 * dot products follow the order in docs/ENGINE.md, "Bit-identical
 * results": the activations are first quantized to the weight type's
 * vec_dot_type; inside a block the products are summed in int32 and the
 * block's float scales are applied once per block (K-quants: once per
 * super-block, the affine mins through the Q8_K bsums).  Row sums of the
 * per-block floats are in float, in block order.
 *
 * F32, F16 and BF16 weights are dotted against activations of the same
 * type (F16: x rounded to f16, as ggml does), in two 8-lane float
 * accumulators (DOT_FLOAT below).
 *
 * The activation quantizers reproduce llama.cpp's rounding bit for bit:
 * Q8_0/Q8_1 as its x86 path (nearest-even of x * 127/amax; see below),
 * Q8_K as its reference (nearest-even of x * iscale, clamped to 127).
 * The weight quantizers of the 32-element formats pick d from the signed
 * value of largest magnitude as llama.cpp does; the K-quant ones
 * (quant-k.c) are a simple min/max search with a refit of the scales,
 * correct but not llama.cpp's bit for bit.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "quant-ref.h"

static float	dot_f32(int, const void *, const void *);
static float	dot_f16(int, const void *, const void *);
static float	dot_bf16(int, const void *, const void *);
static float	dot_q4_0(int, const void *, const void *);
static float	dot_q4_1(int, const void *, const void *);
static float	dot_q5_0(int, const void *, const void *);
static float	dot_q5_1(int, const void *, const void *);
static float	dot_q8_0(int, const void *, const void *);

static void	to_float_f32(const void *, float *, int64_t);
static void	to_float_f16(const void *, float *, int64_t);
static void	to_float_bf16(const void *, float *, int64_t);
static void	to_float_q4_0(const void *, float *, int64_t);
static void	to_float_q4_1(const void *, float *, int64_t);
static void	to_float_q5_0(const void *, float *, int64_t);
static void	to_float_q5_1(const void *, float *, int64_t);
static void	to_float_q8_0(const void *, float *, int64_t);
static void	to_float_q8_1(const void *, float *, int64_t);
static void	to_float_q8_0p(const void *, float *, int64_t);

static void	from_float_f32(const float *, void *, int64_t);
static void	from_float_f16(const float *, void *, int64_t);
static void	from_float_bf16(const float *, void *, int64_t);
static void	from_float_q4_0(const float *, void *, int64_t);
static void	from_float_q4_1(const float *, void *, int64_t);
static void	from_float_q5_0(const float *, void *, int64_t);
static void	from_float_q5_1(const float *, void *, int64_t);

struct q32_fmt;
static void	to_float_q32(const struct q32_fmt *, const void *, float *,
	    int64_t);
static void	from_float_q32(const struct q32_fmt *, const float *, void *,
	    int64_t);

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
	t->pack_size = NULL;
	t->pack = NULL;
	t->tile = NULL;
}

void
qtype_install_tile(uint32_t type, qpack_size_fn size, qpack_fn pack,
    qtile_fn tile)
{
	struct qtraits	*t;

	if (type >= QT_COUNT || traits[type].name == NULL)
		return;
	t = &traits[type];
	if (size == NULL || pack == NULL || tile == NULL)
		size = NULL, pack = NULL, tile = NULL;
	t->pack_size = size;
	t->pack = pack;
	t->tile = tile;
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

/* ---- dequantizers ----------------------------------------------------- */

static void
to_float_f32(const void *src, float *dst, int64_t n)
{
	memcpy(dst, src, (size_t)n * sizeof *dst);
}

/* 16-bit float formats: each little-endian element through conv. */
static inline void
to_float_h16(const void *src, float *dst, int64_t n, float (*conv)(uint16_t))
{
	const uint8_t	*p = src;
	uint16_t	 h;
	int64_t		 i;

	for (i = 0; i < n; i++) {
		memcpy(&h, p + 2 * i, 2);
		dst[i] = conv(h);
	}
}

static void
to_float_f16(const void *src, float *dst, int64_t n)
{
	to_float_h16(src, dst, n, fp16_to_f32);
}

static void
to_float_bf16(const void *src, float *dst, int64_t n)
{
	to_float_h16(src, dst, n, bf16_to_f32);
}

/*
 * Where the fields of a Q4_0/Q4_1/Q5_0/Q5_1 block sit: d at offset 0, m
 * (affine types) at offset m, the fifth bits (Q5) at qh, the nibbles at
 * qs; offset 0 = no such field.  Codes are nibble | fifth bit << 4; the
 * value is d * (code - off) (symmetric) or d * code + m (affine).
 */
struct q32_fmt {
	size_t		 size;
	size_t		 m, qh, qs;
	int		 off;		/* symmetric: 8 or 16 */
	int		 qmax;		/* largest code */
};

static const struct q32_fmt q32_q4_0 = { sizeof(block_q4_0), 0, 0,
	offsetof(block_q4_0, qs), 8, 15 };
static const struct q32_fmt q32_q4_1 = { sizeof(block_q4_1),
	offsetof(block_q4_1, m), 0, offsetof(block_q4_1, qs), 0, 15 };
static const struct q32_fmt q32_q5_0 = { sizeof(block_q5_0), 0,
	offsetof(block_q5_0, qh), offsetof(block_q5_0, qs), 16, 31 };
static const struct q32_fmt q32_q5_1 = { sizeof(block_q5_1),
	offsetof(block_q5_1, m), offsetof(block_q5_1, qh),
	offsetof(block_q5_1, qs), 0, 31 };

static inline uint32_t
qh_u32(const uint8_t *qh)
{
	return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 |
	    (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

static uint16_t
q32_f16(const uint8_t *p)
{
	uint16_t	h;

	memcpy(&h, p, 2);
	return h;
}

static void
to_float_q32(const struct q32_fmt *f, const void *src, float *dst, int64_t n)
{
	const uint8_t	*b = src;
	const uint8_t	*qs;
	int64_t		 i;
	int		 e, lo, hi;
	uint32_t	 qh;
	float		 d, m;

	for (i = 0; i < n / QK; i++, b += f->size, dst += QK) {
		d = H2F(q32_f16(b));
		m = f->m ? H2F(q32_f16(b + f->m)) : 0.0f;
		qh = f->qh ? qh_u32(b + f->qh) : 0;
		qs = b + f->qs;
		for (e = 0; e < 16; e++) {
			lo = (qs[e] & 0xF) | ((qh >> e) & 1) << 4;
			hi = (qs[e] >> 4) | ((qh >> (e + 16)) & 1) << 4;
			if (f->m) {
				dst[e] = d * lo + m;
				dst[e + 16] = d * hi + m;
			} else {
				dst[e] = d * (lo - f->off);
				dst[e + 16] = d * (hi - f->off);
			}
		}
	}
}

/* The traits table's entry points of each 32-element nibble format. */
#define Q32_ENTRY(t)							\
static void								\
to_float_##t(const void *src, float *dst, int64_t n)			\
{									\
	to_float_q32(&q32_##t, src, dst, n);				\
}									\
static void								\
from_float_##t(const float *x, void *y, int64_t n)			\
{									\
	from_float_q32(&q32_##t, x, y, n);				\
}
Q32_ENTRY(q4_0)
Q32_ENTRY(q4_1)
Q32_ENTRY(q5_0)
Q32_ENTRY(q5_1)

static void
to_float_q8_0(const void *src, float *dst, int64_t n)
{
	dequant_i8(src, dst, n, QK, sizeof(block_q8_0), offsetof(block_q8_0, qs), 0);
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
	dequant_i8(src, dst, n, QK, sizeof(block_q8_1), offsetof(block_q8_1, qs), 0);
}

/* ---- activation quantizers ---------------------------------------------
 *
 * Q8_0 and Q8_1 follow llama.cpp's x86 CPU path, not its reference
 * function: the scale is id = 127/amax (not 1/(amax/127), which differs in
 * the last bit) and values are rounded to nearest-even.  That path
 * produced the golden logits; the reference's roundings flip at k+1/2
 * steps and move Q4_0/Q5_0/Q4_1/Q5_1 logits by up to 0.13.
 */

/*
 * The scale of one 32-element block of Q8_0 / Q8_1 activations: returns
 * d = amax / 127 and sets *id = 127 / amax (0 for an all-zero block).
 */
static inline float
q8_scale(const float *x, float *id)
{
	float	amax = 0.0f;
	int	e;

	for (e = 0; e < QK; e++)
		amax = fmaxf(amax, fabsf(x[e]));
	*id = amax != 0.0f ? 127.0f / amax : 0.0f;
	return amax / 127;
}

void
quantize_row_q8_0(const float *x, void *y, int64_t n)
{
	block_q8_0	*b = y;
	int64_t		 i;
	int		 e;
	float		 d, id;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		d = q8_scale(x, &id);
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
	float		 d, id;

	for (i = 0; i < n / QK; i++, b++, x += QK) {
		d = q8_scale(x, &id);
		b->d = f32_to_fp16(d);
		sum = 0;
		for (e = 0; e < QK; e++) {
			b->qs[e] = (int8_t)nearbyintf(x[e] * id);
			sum += b->qs[e];
		}
		b->s = f32_to_fp16(sum * d);
	}
}

/* ---- weight quantizers ------------------------------------------------ */

static void
from_float_f32(const float *x, void *y, int64_t n)
{
	memcpy(y, x, (size_t)n * sizeof *x);
}

/* 16-bit float formats: each element through conv, little-endian. */
static inline void
from_float_h16(const float *x, void *y, int64_t n, uint16_t (*conv)(float))
{
	uint8_t		*p = y;
	uint16_t	 h;
	int64_t		 i;

	for (i = 0; i < n; i++) {
		h = conv(x[i]);
		memcpy(p + 2 * i, &h, 2);
	}
}

static void
from_float_f16(const float *x, void *y, int64_t n)
{
	from_float_h16(x, y, n, f32_to_fp16);
}

static void
from_float_bf16(const float *x, void *y, int64_t n)
{
	from_float_h16(x, y, n, f32_to_bf16);
}

/* Q4_0 (nmax 8) and Q5_0 (nmax 16): d = max / -nmax, max the signed
 * value of largest magnitude, as llama.cpp's reference quantizer. */
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
from_float_q32(const struct q32_fmt *f, const float *x, void *y, int64_t n)
{
	uint8_t		*b = y;
	uint8_t		 q[QK];
	int64_t		 i;

	for (i = 0; i < n / QK; i++, b += f->size, x += QK) {
		if (f->m)
			quant_affine32(x, f->qmax, (uint16_t *)b,
			    (uint16_t *)(b + f->m), q);
		else
			quant_sym32(x, (float)f->off, f->qmax, (uint16_t *)b, q);
		pack_nibbles(q, b + f->qs);
		if (f->qh)
			pack_qh(q, b + f->qh);
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
