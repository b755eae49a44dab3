/*
 * simd-avx2.h -- what the two AVX2 kernel files, kernels-avx2.c (float,
 * 32-element and Q8_0 formats, activation quantizers) and
 * kernels-avx2-k.c (K-quants), share: the address of an activation block
 * and the vec_dot / gemm wrapper around a kernel of nc columns.
 * Engine-internal, included only by those two files, both compiled with
 * -mavx2 -mfma -mf16c -mbmi2.
 */
#ifndef SIMD_AVX2_H
#define SIMD_AVX2_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "simd-avx2.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

/* Block i of activation column c, the columns xs bytes apart, as a T. */
#define XB(T, x, xs, c, i) ((const T *)((x) + (size_t)(c) * (xs)) + (i))

/*
 * gemm: 4 columns at a time over each row of the tile, then the 1..3
 * remaining columns; every instance does the same per-column work.
 */
#define DEF_KERNELS(name)						\
static __attribute__((noinline)) float					\
dot_##name(int n, const void *w, const void *x)				\
{									\
	float	r;							\
									\
	name##_nc(n, w, x, 0, 1, &r);					\
	return r;							\
}									\
static void								\
gemm_##name(int n, const void *w, size_t ws, int nr, const void *x,	\
    size_t xs, int nc, float *y, size_t ldy)				\
{									\
	const uint8_t	*wb = w, *xb = x;				\
	float		 o[4];						\
	int		 r, c, k;					\
									\
	for (c = 0; c + 4 <= nc; c += 4)				\
		for (r = 0; r < nr; r++) {				\
			name##_nc(n, wb + r * ws, xb + c * xs, xs, 4, o);\
			for (k = 0; k < 4; k++)				\
				y[(size_t)(c + k) * ldy + r] = o[k];	\
		}							\
	if (c == nc)							\
		return;							\
	for (r = 0; r < nr; r++) {					\
		switch (nc - c) {					\
		case 1:							\
			/* the one-column code as compiled for vec_dot */\
			o[0] = dot_##name(n, wb + r * ws, xb + c * xs);	\
			break;						\
		case 2:							\
			name##_nc(n, wb + r * ws, xb + c * xs, xs, 2, o);\
			break;						\
		default:						\
			name##_nc(n, wb + r * ws, xb + c * xs, xs, 3, o);\
			break;						\
		}							\
		for (k = 0; k < nc - c; k++)				\
			y[(size_t)(c + k) * ldy + r] = o[k];		\
	}								\
}

#endif
