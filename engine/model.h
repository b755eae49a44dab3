/*
 * model.h -- llama-architecture weights mapped from a GGUF file and the
 * transformer forward pass over them (engine-internal).
 *
 * model.c turns a validated gguf_file into a struct model: hyperparameters
 * read from metadata and checked against each other, and per-layer
 * struct qmat views pointing straight into the read-only map (weights are
 * never copied or expanded; only the small norm vectors are converted to
 * float).  forward.c owns a struct fwd: all run state (activations, the
 * f16 KV cache, scratch), allocated once by fwd_create and never grown, so
 * evaluating tokens does not allocate.
 *
 * Data flow: gguf_open -> model_load -> fwd_create -> fwd_eval (tokens ->
 * logits) -> sampler (tokenizer.h) -> engine.c.
 */
#ifndef MODEL_H
#define MODEL_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "model.h is private to engine/: other layers include engine.h"
#endif

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "matmul.h"

struct gguf_file;
struct tpool;

struct hparams {
	int		 n_vocab;
	int		 n_ctx_train;
	int		 n_embd;
	int		 n_layer;
	int		 n_ff;
	int		 n_head;
	int		 n_head_kv;
	int		 head_dim;	/* n_embd / n_head */
	int		 n_rot;		/* rope dimension count (= head_dim) */
	float		 rms_eps;
	float		 rope_base;	/* freq_base */
	float		 rope_scale;	/* freq_scale = 1 / scaling factor */
};

struct layer {
	float		*attn_norm;	/* [n_embd], converted copy */
	float		*ffn_norm;	/* [n_embd] */
	struct qmat	 wq;		/* [n_embd] x [n_head * hd] rows */
	struct qmat	 wk;		/* [n_embd] x [n_head_kv * hd] */
	struct qmat	 wv;		/* [n_embd] x [n_head_kv * hd] */
	struct qmat	 wo;		/* [n_head * hd] x [n_embd] */
	struct qmat	 w_gate;	/* [n_embd] x [n_ff] */
	struct qmat	 w_up;		/* [n_embd] x [n_ff] */
	struct qmat	 w_down;	/* [n_ff] x [n_embd] */
};

struct model {
	const struct gguf_file	*gf;		/* not owned */
	struct hparams		 hp;
	char			*name;		/* general.name or NULL */
	struct qmat		 tok_embd;	/* [n_embd] x [n_vocab] */
	struct qmat		 output;	/* output.weight or tok_embd */
	int			 tied;		/* output is tok_embd */
	float			*output_norm;	/* [n_embd] */
	struct layer		*layers;	/* [n_layer] */
	uint64_t		 n_params;
	uint64_t		 weight_bytes;	/* bytes of all 2-D weights */
	/*
	 * Bytes of weights one decoded token reads: every tensor but the
	 * token embedding, of which one row (the whole of it when the
	 * output is tied to it).  The numerator of "decode as a fraction
	 * of memory bandwidth".
	 */
	uint64_t		 token_bytes;
};

/*
 * Map the llama tensors of gf.  Every hyperparameter and every tensor's
 * shape and type is checked; -1 with *cause (one line naming the key or
 * tensor) on the first problem.  gf must outlive the model.
 */
int	 model_load(const struct gguf_file *gf, struct model **out,
	    char **cause);
void	 model_free(struct model *);
/*
 * The weight types of m's matrix products, each with the kernels it
 * runs at the current CPU level (cpu_type_level) and "+tile" when its
 * prefill uses packed tiles (quant.h), in buf:
 * "Q4_K avx512vnni+tile, Q6_K avx512vnni+tile" (truncated to sz).
 */
void	 model_kernels(const struct model *m, char *buf, size_t sz);

/* ---- forward pass (forward.c) ----------------------------------------- */

struct fwd;

/*
 * Allocate the run state for contexts of n_ctx positions and prompt
 * batches of up to n_batch tokens, computing logits for up to n_out
 * positions per batch.  Returns NULL (with *cause) only if a size
 * overflows; memory comes from xmalloc.
 */
struct fwd *fwd_create(const struct model *, struct tpool *, int n_ctx,
	    int n_batch, char **cause);
void	 fwd_free(struct fwd *);
int	 fwd_n_ctx(const struct fwd *);
int	 fwd_n_batch(const struct fwd *);
/*
 * Where the K and V cache rows of layer L, KV head h begin: position p's
 * head_dim f16 values are at k + p * head_dim (the same for v), so the
 * rows of positions 0..n-1 are n * head_dim contiguous values (for
 * saving and restoring a prompt's prefix, engine/prefix.c).
 */
void	 fwd_kv_block(struct fwd *, int L, int h, uint16_t **k,
	    uint16_t **v);
/* Bytes of run state and KV cache allocated. */
uint64_t fwd_mem_bytes(const struct fwd *);

/*
 * Evaluate tokens[0..n) at positions pos..pos+n-1 (the KV cache must hold
 * positions 0..pos-1 of the same sequence; later cells are overwritten).
 * n may exceed n_batch: the tokens are processed in batches.  For every
 * position i >= out_from (index into tokens, -1 = none) the n_vocab
 * logits are written to logits + (i - out_from) * n_vocab.  Ids must be
 * < n_vocab and pos + n <= n_ctx (checked by the caller; asserted here).
 * Returns n, or, when the cancel flag (fwd_set_cancel) was seen set, the
 * number of leading tokens whose K/V are complete (a multiple of the
 * batch; positions after pos + that number hold garbage and the logits
 * were not written).
 */
int	 fwd_eval(struct fwd *, const int32_t *tokens, int n, int pos,
	    int out_from, float *logits);
/*
 * Make fwd_eval check *cancel between batches and after every layer;
 * NULL (the default) turns checking off.  The flag is only read.
 */
void	 fwd_set_cancel(struct fwd *, const atomic_int *cancel);

/* y = rmsnorm(x) * w over n elements (exposed for unit tests). */
void	 fwd_rmsnorm(float *y, const float *x, const float *w, int n,
	    float eps);

/*
 * One tile of attention: nq queries (tokens of the batch, heads of one
 * GQA group) that read the same KV head, so each K and V row is loaded
 * once for all of them.  For each query i: the softmax over rows
 * 0..n[i) of scale * q[i].K, its probabilities rounded to f16, and their
 * weighted sum of V rows written to out[i].  Every level computes a
 * query's result with the same operations in the same order whatever
 * the other queries of its tile are (and a query alone is a tile of
 * one), so the logits do not depend on batching or the thread count.
 */
#define FWD_TILE	8
struct fwd_tile {
	const uint16_t	*k;		/* [>= max n][hd] K rows of the head */
	const uint16_t	*v;		/* [>= max n][hd] V rows */
	int		 hd;		/* head size */
	int		 nq;		/* queries, 1..FWD_TILE */
	const float	*q[FWD_TILE];	/* [hd] each */
	float		*out[FWD_TILE];	/* [hd] each, written */
	int		 n[FWD_TILE];	/* rows each query sees, >= 1 */
	float		 scale;		/* of the scores: 1/sqrt(hd) */
	float		*sc;		/* scratch [nq][ld] */
	int		 ld;		/* multiple of 8, >= every n rounded up to 8 */
	float		*kbuf;		/* scratch [8][hd] */
};

/*
 * The fewest and the most rows the queries of tile a see, and the rows of
 * V per P.V block of the SIMD tiles (16 KiB of f16, at least least): they
 * run P.V over the rows every query sees in such blocks, then each
 * query's rest.
 */
void	 fwd_tile_span(const struct fwd_tile *a, int *nmin, int *nmax);
int	 fwd_pv_rows(int hd, int least);

/* Build the f16 tables of the scalar helpers (fwd_create does it). */
void	 fwd_init(void);
/* The scalar tile, and the f32 -> f16 conversions (as f32_to_fp16). */
void	 fwd_attn_tile(const struct fwd_tile *);
void	 fwd_f16_store(uint16_t *dst, const float *src, int n);
void	 fwd_f16_round(float *x, int n);

#ifdef HAVE_X86_SIMD
/*
 * forward-avx2.c: the same with AVX2/FMA/F16C.  The conversions give
 * f32_to_fp16's bits for every input, NaNs included.
 */
void	 fwd_attn_tile_avx2(const struct fwd_tile *);
void	 fwd_f16_store_avx2(uint16_t *dst, const float *src, int n);
void	 fwd_f16_round_avx2(float *x, int n);
/* The AVX2 tile's softmax: sc[0..n) to probabilities rounded to f16
 * (lanes up to the next multiple of 8 are written). */
void	 fwd_softmax_avx2(float *sc, int n);
#endif
#ifdef HAVE_AVX512
/* forward-avx512.c: the AVX2 tile's arithmetic with AVX-512 F. */
void	 fwd_attn_tile_avx512(const struct fwd_tile *);
#endif
#ifdef HAVE_NEON
/* forward-neon.c: the same with ARMv8.0 Advanced SIMD. */
void	 fwd_attn_tile_neon(const struct fwd_tile *);
void	 fwd_f16_store_neon(uint16_t *dst, const float *src, int n);
void	 fwd_f16_round_neon(float *x, int n);
#endif

#endif
