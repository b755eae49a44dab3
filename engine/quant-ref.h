/*
 * quant-ref.h -- what the two files of scalar reference kernels share
 * (quant.c: traits table, float and 32-element formats; quant-k.c: the
 * K-quants).  Engine-internal, and only for those two files.
 */
#ifndef QUANT_REF_H
#define QUANT_REF_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "quant-ref.h is private to engine/: other layers include engine.h"
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define H2F(h) fp16_to_f32(h)

/* ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), as vhaddps-free
 * AVX code sums a vector of 8 floats. */
static inline float
hsum8(const float *l)
{
	float	a0 = l[0] + l[4], a1 = l[1] + l[5];
	float	a2 = l[2] + l[6], a3 = l[3] + l[7];

	return (a0 + a2) + (a1 + a3);
}

/* Signed value of largest magnitude among x[0..n-1]. */
static inline float
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

/*
 * Dequantize blocks of blck int8 codes (Q8_0, Q8_1, Q8_K): each block is
 * bsz bytes, its scale d at offset 0 (f16, or float when f32d), its codes
 * at offset qs; value d * code.
 */
static inline void
dequant_i8(const void *src, float *dst, int64_t n, int blck, size_t bsz,
    size_t qs, int f32d)
{
	const uint8_t	*b = src;
	const int8_t	*q;
	int64_t		 i;
	int		 e;
	uint16_t	 h;
	float		 d;

	for (i = 0; i < n / blck; i++, b += bsz, dst += blck) {
		if (f32d)
			memcpy(&d, b, sizeof d);
		else {
			memcpy(&h, b, sizeof h);
			d = H2F(h);
		}
		q = (const int8_t *)(b + qs);
		for (e = 0; e < blck; e++)
			dst[e] = d * q[e];
	}
}

/* quant-k.c: the K-quant reference kernels, for the traits table. */
void	 to_float_q2_K(const void *, float *, int64_t);
void	 to_float_q3_K(const void *, float *, int64_t);
void	 to_float_q4_K(const void *, float *, int64_t);
void	 to_float_q5_K(const void *, float *, int64_t);
void	 to_float_q6_K(const void *, float *, int64_t);
void	 to_float_q8_K(const void *, float *, int64_t);
void	 from_float_q2_K(const float *, void *, int64_t);
void	 from_float_q3_K(const float *, void *, int64_t);
void	 from_float_q4_K(const float *, void *, int64_t);
void	 from_float_q5_K(const float *, void *, int64_t);
void	 from_float_q6_K(const float *, void *, int64_t);
float	 dot_q2_K(int, const void *, const void *);
float	 dot_q3_K(int, const void *, const void *);
float	 dot_q4_K(int, const void *, const void *);
float	 dot_q5_K(int, const void *, const void *);
float	 dot_q6_K(int, const void *, const void *);

#endif
