/*
 * kernels-nc.h -- the vec_dot / gemm wrapper around a dot-product kernel
 * of nc = 1..4 activation columns, as the AVX2 files (kernels-avx2.c,
 * kernels-avx2-k.c) and the NEON file (kernels-neon.c) write theirs.
 * Plain C, no intrinsics: each file instantiates it with its own target
 * flags.  (kernels-avx512.c serves up to 8 columns a pass and has its
 * own.)  Engine-internal.
 */
#ifndef KERNELS_NC_H
#define KERNELS_NC_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "kernels-nc.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

/*
 * DEF_KERNELS(name) makes, from name##_nc(n, w, x, xs, nc, out):
 * dot_name (vec_dot, nc = 1) and gemm_name: 4 columns at a time over each
 * row of the tile, then the 1..3 remaining columns; every instance does
 * the same per-column work, so gemm is bit-identical to vec_dot.  (gemm
 * is marked unused: a level may install another gemm for a type.)
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
static __attribute__((unused)) void					\
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
