/*
 * quant.h -- tensor data types, block layouts and the type-traits table
 * (engine-internal).  Layouts and formulas: docs/ENGINE.md, "Quant types".
 *
 * Ids are ggml_type ids as stored in GGUF.  Block structs are packed byte
 * layouts with static_assert'ed sizes; f16 fields are raw uint16_t.
 */
#ifndef QUANT_H
#define QUANT_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "quant.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

enum qtype {
	QT_F32 = 0, QT_F16 = 1, QT_Q4_0 = 2, QT_Q4_1 = 3,
	QT_Q5_0 = 6, QT_Q5_1 = 7, QT_Q8_0 = 8, QT_Q8_1 = 9,
	QT_Q2_K = 10, QT_Q3_K = 11, QT_Q4_K = 12, QT_Q5_K = 13,
	QT_Q6_K = 14, QT_Q8_K = 15, QT_BF16 = 30,
	QT_Q8_0P = 63,	/* engine-internal activation format, never in a file */
	QT_COUNT = 64	/* size of the traits table (ids 0..63) */
};

#define QK 32		/* elements per block of the 32-element formats */
#define QK_K 256	/* elements per K-quant super-block */

typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[QK / 2]; } block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[QK]; } block_q8_0;
typedef struct { uint16_t d, s; int8_t qs[QK]; } block_q8_1;
typedef struct {
	uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; uint16_t d, dmin;
} block_q2_K;
typedef struct {
	uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12];
	uint16_t d;
} block_q3_K;
typedef struct {
	uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2];
} block_q4_K;
typedef struct {
	uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8];
	uint8_t qs[QK_K / 2];
} block_q5_K;
typedef struct {
	uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16];
	uint16_t d;
} block_q6_K;
typedef struct {
	float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16];
} block_q8_K;

/*
 * Q8_0P: the activations that Q4_0 and Q5_0 weights are multiplied with.
 * Eight Q8_0 blocks (same codes and f16-rounded scales as Q8_0) with
 * their scales as floats and their code sums ready, and the codes of
 * blocks 2p and 2p+1 interleaved by halves, so that one 32-byte load
 * meets the low (or the high) nibbles of two weight blocks:
 *   qs[64p + 32h + 16(m & 1) + e] = code e + 16h of block m = 2p + (m & 1)
 * (h = 0, 1; e < 16).  A row of n elements takes ceil(n / 256) groups;
 * the blocks past n in the last group are zero.
 */
typedef struct {
	float d[8]; int32_t s[8]; int8_t qs[8 * QK];
} block_q8_0p;

/* The 16 codes of half h (elements 16h..16h+15) of block m of a group. */
static inline const int8_t *
q8_0p_half(const block_q8_0p *g, int m, int h)
{
	return g->qs + 64 * (m >> 1) + 32 * h + 16 * (m & 1);
}

_Static_assert(sizeof(block_q4_0) == 18, "block_q4_0 size");
_Static_assert(sizeof(block_q4_1) == 20, "block_q4_1 size");
_Static_assert(sizeof(block_q5_0) == 22, "block_q5_0 size");
_Static_assert(sizeof(block_q5_1) == 24, "block_q5_1 size");
_Static_assert(sizeof(block_q8_0) == 34, "block_q8_0 size");
_Static_assert(sizeof(block_q8_1) == 36, "block_q8_1 size");
_Static_assert(sizeof(block_q2_K) == 84, "block_q2_K size");
_Static_assert(sizeof(block_q3_K) == 110, "block_q3_K size");
_Static_assert(sizeof(block_q4_K) == 144, "block_q4_K size");
_Static_assert(sizeof(block_q5_K) == 176, "block_q5_K size");
_Static_assert(sizeof(block_q6_K) == 210, "block_q6_K size");
_Static_assert(sizeof(block_q8_K) == 292, "block_q8_K size");
_Static_assert(sizeof(block_q8_0p) == 320, "block_q8_0p size");

/* n = elements (multiple of blck); w = one weight row; xq = activations
 * already in the type's vec_dot_type format.  Returns the dot product. */
typedef float (*qdot_fn)(int n, const void *w, const void *xq);
typedef void (*qto_float_fn)(const void *src, float *dst, int64_t n);
typedef void (*qfrom_float_fn)(const float *src, void *dst, int64_t n);
/*
 * Several rows times several activation columns: for r < nr, c < nc,
 * y[c * ldy + r] = vec_dot(n, w + r * wstride, xq + c * xstride).  Every
 * result is bit-identical to what the type's current vec_dot returns for
 * that pair, so a column's result never depends on the batch it is in.
 */
typedef void (*qgemm_fn)(int n, const void *w, size_t wstride, int nr,
    const void *xq, size_t xstride, int nc, float *y, size_t ldy);

/*
 * Prefill tiles (optional, per kernel level): pack nr weight rows of n
 * elements once into a layout that the tile kernel streams, then run the
 * tile kernel over any number of activation columns.  pack_size(n, nr)
 * is the bytes pack writes for nr rows; tile computes y[c * ldy + r] for
 * r < nr, c < nc from the packed rows and nc quantized activation
 * columns xstride bytes apart, bit-identical to vec_dot of the row and
 * the column.  The packed buffer may have any alignment (matmul's
 * per-thread buffers are 64-byte aligned, for speed only).  matmul.c uses them for batches of MM_TILE_MIN columns or
 * more, packing each chunk of rows once per matrix product.
 */
typedef size_t (*qpack_size_fn)(int n, int nr);
typedef void (*qpack_fn)(int n, const void *w, size_t wstride, int nr,
    void *dst);
typedef void (*qtile_fn)(int n, const void *packed, int nr,
    const void *xq, size_t xstride, int nc, float *y, size_t ldy);

struct qtraits {
	const char	*name;		/* "Q4_K"; NULL for unknown ids */
	int		 blck;		/* elements per block */
	size_t		 type_size;	/* bytes per block */
	int		 is_weight;	/* may appear as a model tensor */
	qto_float_fn	 to_float;	/* scalar reference dequantizer */
	qfrom_float_fn	 from_float;	/* reference quantizer (NULL if none) */
	int		 vec_dot_type;	/* activation format for dot products */
	qdot_fn		 vec_dot;	/* current best kernel (cpu.c picks) */
	qdot_fn		 vec_dot_ref;	/* scalar reference kernel */
	qgemm_fn	 gemm;		/* multi-column kernel (NULL: tile
					   vec_dot calls) */
	qfrom_float_fn	 quantize;	/* current best quantizer into this
					   type when it is a vec_dot_type
					   (bit-identical to from_float) */
	qpack_size_fn	 pack_size;	/* prefill tiles (all three or */
	qpack_fn	 pack;		/* none; NULL: gemm) */
	qtile_fn	 tile;
};

/* Traits of a type id, or NULL if the id is unknown/unsupported. */
const struct qtraits	*qtype_traits(uint32_t type);
/* Bytes of a row of n elements; 0 if n is not a multiple of blck. */
size_t	 qtype_row_size(uint32_t type, int64_t n);
const char *qtype_name(uint32_t type);	/* "?" when unknown */

/*
 * Install kernels for a type (cpu.c): NULL arguments restore the scalar
 * reference (dot, quantize) or the generic tiling (gemm).  Not
 * thread-safe against running matmuls.
 */
void	 qtype_install(uint32_t type, qdot_fn dot, qgemm_fn gemm,
	    qfrom_float_fn quantize);
/* The same for the prefill tiles (qtype_install removes them). */
void	 qtype_install_tile(uint32_t type, qpack_size_fn, qpack_fn,
	    qtile_fn);

/* fp16 / bf16 conversions (scalar, exact). */
float	 fp16_to_f32(uint16_t);
uint16_t f32_to_fp16(float);
float	 bf16_to_f32(uint16_t);
uint16_t f32_to_bf16(float);

/* Quantize activations into a vec_dot_type format (reference path). */
void	 quantize_row_q8_0(const float *x, void *y, int64_t n);
void	 quantize_row_q8_1(const float *x, void *y, int64_t n);
void	 quantize_row_q8_K(const float *x, void *y, int64_t n);
void	 quantize_row_q8_0p(const float *x, void *y, int64_t n);

#endif
