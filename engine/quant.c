/*
 * quant.c -- the type-traits table, fp16/bf16 conversion, and the scalar
 * reference dequantizers and quantizers (ENGINE-NOTES §2).
 *
 * The traits table is indexed by ggml_type id.  Ids we do not implement
 * have a NULL name and are rejected by the GGUF reader.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"

static struct qtraits traits[QT_COUNT] = {
	[QT_F32]  = { "F32",  1,    4,   1, NULL, NULL, QT_F32,  NULL, NULL },
	[QT_F16]  = { "F16",  1,    2,   1, NULL, NULL, QT_F16,  NULL, NULL },
	[QT_BF16] = { "BF16", 1,    2,   1, NULL, NULL, QT_BF16, NULL, NULL },
	[QT_Q4_0] = { "Q4_0", QK,   18,  1, NULL, NULL, QT_Q8_0, NULL, NULL },
	[QT_Q4_1] = { "Q4_1", QK,   20,  1, NULL, NULL, QT_Q8_1, NULL, NULL },
	[QT_Q5_0] = { "Q5_0", QK,   22,  1, NULL, NULL, QT_Q8_0, NULL, NULL },
	[QT_Q5_1] = { "Q5_1", QK,   24,  1, NULL, NULL, QT_Q8_1, NULL, NULL },
	[QT_Q8_0] = { "Q8_0", QK,   34,  1, NULL, NULL, QT_Q8_0, NULL, NULL },
	[QT_Q8_1] = { "Q8_1", QK,   36,  0, NULL, NULL, QT_Q8_1, NULL, NULL },
	[QT_Q2_K] = { "Q2_K", QK_K, 84,  1, NULL, NULL, QT_Q8_K, NULL, NULL },
	[QT_Q3_K] = { "Q3_K", QK_K, 110, 1, NULL, NULL, QT_Q8_K, NULL, NULL },
	[QT_Q4_K] = { "Q4_K", QK_K, 144, 1, NULL, NULL, QT_Q8_K, NULL, NULL },
	[QT_Q5_K] = { "Q5_K", QK_K, 176, 1, NULL, NULL, QT_Q8_K, NULL, NULL },
	[QT_Q6_K] = { "Q6_K", QK_K, 210, 1, NULL, NULL, QT_Q8_K, NULL, NULL },
	[QT_Q8_K] = { "Q8_K", QK_K, 292, 0, NULL, NULL, QT_Q8_K, NULL, NULL },
};

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
