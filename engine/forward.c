/*
 * forward.c -- the llama forward pass (docs/ENGINE.md) over a batch of
 * tokens, with an f16 KV cache.
 *
 * A batch of T tokens at positions pos..pos+T-1 is evaluated by ONE
 * thread-pool job: every thread walks the same sequence of steps (norm,
 * q/k/v products, RoPE, attention, output product, FFN) for every layer,
 * splitting each step by (ith, nth) and meeting at a barrier between
 * steps (matmul_part ends with its own barrier).  The matrix products
 * are the kernels' matmul_part(), which quantizes the activation columns
 * once and reuses each weight block across the T columns; q/k/v and
 * gate/up, which read the same normed input, go through one
 * matmul_multi_part() each (one quantization, one pass over the row
 * chunks of all of them, two barriers instead of six or four).  So a prompt
 * costs one pool wake-up per batch and a generated token one in all.
 *
 * Numerics follow llama.cpp's CPU path: RMSNorm sums squares in double;
 * RoPE is the llama "NORM" mode (adjacent pairs) with theta built
 * iteratively in float; attention scores are scaled inside the softmax;
 * K and V are stored in f16 after RoPE, and -- as ggml's f16 matrix
 * products do -- q is rounded to f16 before q.K and the probabilities
 * to f16 before P.V.  These roundings matter: with them our logits
 * match llama.cpp's to 1e-4 on the F32/Q3_K/Q6_K references, without
 * them they drift by up to 0.1 on random-weight models with peaked
 * attention.
 *
 * KV cache layout, per layer and KV head, position-major:
 *	kc[((L * n_head_kv + h) * n_ctx + p) * hd + d]	(same for vc)
 * so one head's scan over positions is contiguous for both the q.K dots
 * and the p.V accumulation, and KV heads are independent units of work.
 *
 * Attention is computed by tiles of up to FWD_TILE queries that read the
 * same KV head (consecutive tokens, and the query heads of a GQA group),
 * so a long prompt loads each K and V row once per tile instead of once
 * per query (struct fwd_tile, model.h).  A query's result does not
 * depend on its tile, so batching and threads change nothing; the
 * scores scratch is FWD_TILE rows of n_ctx per thread, never n x n.
 *
 * All buffers are allocated in fwd_create(), sized for n_batch tokens and
 * n_ctx positions; fwd_eval() never allocates.
 *
 * Cancellation: when a cancel flag is installed (fwd_set_cancel), thread 0
 * reads it once per layer, just before the barrier that ends the layer,
 * and publishes the answer in f->stop; every thread reads f->stop right
 * after that barrier, so all agree and leave the job together (thread 0
 * cannot write the next layer's answer before the others have passed
 * the barriers inside that layer, so nobody reads a later answer).
 * The batch being evaluated is then incomplete: fwd_eval() reports how
 * many tokens were fully evaluated (whole batches), and the cache cells
 * of the others are garbage to be overwritten.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model.h"
#include "quant.h"
#include "xmalloc.h"

typedef void	(*tile_fn)(const struct fwd_tile *);
typedef void	(*f16store_fn)(uint16_t *, const float *, int);
typedef void	(*f16round_fn)(float *, int);

struct fwd {
	const struct model	*m;
	struct tpool		*tp;
	int			 n_ctx;
	int			 n_batch;
	int			 n_threads;
	uint64_t		 mem;

	float			*x;	/* [n_batch][n_embd] residual stream */
	float			*xb;	/* [n_batch][n_embd] normed input */
	float			*q;	/* [n_batch][n_head * hd] */
	float			*k;	/* [n_batch][n_head_kv * hd] */
	float			*v;	/* [n_batch][n_head_kv * hd] */
	float			*att;	/* [n_batch][n_head * hd] */
	float			*hb;	/* [n_batch][n_ff] gate, then product */
	float			*hb2;	/* [n_batch][n_ff] up */
	float			*rcos;	/* [n_batch][n_rot / 2] */
	float			*rsin;	/* [n_batch][n_rot / 2] */
	float			*scores; /* [n_threads][sc_per] tiles' scratch */
	size_t			 sc_per; /* FWD_TILE * sc_ld + 8 * hd */
	int			 sc_ld;	/* n_ctx rounded up to 8 */
	uint16_t		*kc;	/* K cache, see above */
	uint16_t		*vc;	/* V cache */
	void			*scratch; /* matmul activation scratch */

	/* The batch being evaluated (set by fwd_eval for the job). */
	const int32_t		*tokens;
	int			 ntok;
	int			 pos;
	int			 out_from;	/* first row with logits, or ntok */
	float			*logits;
	tile_fn			 tile;
	f16store_fn		 f16store;
	f16round_fn		 f16round;

	const atomic_int	*cancel;	/* NULL: never cancelled */
	atomic_int		 stop;		/* thread 0's verdict */
};

static float	 fwd_f16tab[65536];
static pthread_once_t fwd_once = PTHREAD_ONCE_INIT;

static void	 fwd_alloc(int *, void *, size_t, size_t);
static void	 fwd_init_tables(void);
static float	 fwd_dot_f16(const uint16_t *, const float *, int);
static void	 fwd_axpy_f16(float *, float, const uint16_t *, int);
static void	 fwd_rope(float *, int, int, const float *, const float *);
static void	 fwd_attention(struct fwd *, int, int, int, float *);
static int	 fwd_tile_size(const struct fwd *);
static void	 fwd_job(int, int, void *);
static void	 fwd_residual(struct fwd *, int, int, int, const float *,
		    const float *);

/* Build the f16 -> f32 table used by the scalar attention path. */
static void
fwd_init_tables(void)
{
	uint32_t	i;

	for (i = 0; i < 65536; i++)
		fwd_f16tab[i] = fp16_to_f32((uint16_t)i);
}

/* Scalar dot product of an f16 row and an f32 vector. */
static float
fwd_dot_f16(const uint16_t *k, const float *q, int n)
{
	float	s0 = 0.0f, s1 = 0.0f;
	int	i;

	for (i = 0; i + 1 < n; i += 2) {
		s0 += fwd_f16tab[k[i]] * q[i];
		s1 += fwd_f16tab[k[i + 1]] * q[i + 1];
	}
	if (i < n)
		s0 += fwd_f16tab[k[i]] * q[i];
	return s0 + s1;
}

/* y += a * v for an f16 row v. */
static void
fwd_axpy_f16(float *y, float a, const uint16_t *v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		y[i] += a * fwd_f16tab[v[i]];
}

void
fwd_init(void)
{
	pthread_once(&fwd_once, fwd_init_tables);
}

/* dst[i] = f32_to_fp16(src[i]): the K/V cache store. */
void
fwd_f16_store(uint16_t *dst, const float *src, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		dst[i] = f32_to_fp16(src[i]);
}

/* x[i] = the f16 nearest x[i], back in f32 (q before it meets K). */
void
fwd_f16_round(float *x, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		x[i] = fwd_f16tab[f32_to_fp16(x[i])];
}

void
fwd_tile_span(const struct fwd_tile *a, int *nmin, int *nmax)
{
	int	i;

	*nmin = *nmax = a->n[0];
	for (i = 1; i < a->nq; i++) {
		if (a->n[i] < *nmin)
			*nmin = a->n[i];
		if (a->n[i] > *nmax)
			*nmax = a->n[i];
	}
}

/* Rows of V per P.V block: 16 KiB of f16, well inside L1. */
int
fwd_pv_rows(int hd, int least)
{
	int	rows = 16384 / (hd * 2);

	return rows < least ? least : rows;
}

/*
 * The scalar tile (model.h): each K row is dotted with every query while
 * it is in L1, then each query's softmax, then each V row is added into
 * every query that sees it.  Per query the operations are those of the
 * query alone: its dots, its softmax over its own n, its axpys in row
 * order.
 */
void
fwd_attn_tile(const struct fwd_tile *a)
{
	const uint16_t	*kr;
	float		*sc, mx, inv;
	double		 sum;
	int		 hd = a->hd, nmin, nmax, i, j, d;

	fwd_tile_span(a, &nmin, &nmax);
	for (j = 0; j < nmax; j++) {
		kr = a->k + (size_t)j * hd;
		for (i = 0; i < a->nq; i++)
			a->sc[(size_t)i * a->ld + j] =
			    fwd_dot_f16(kr, a->q[i], hd) * a->scale;
	}
	for (i = 0; i < a->nq; i++) {
		sc = a->sc + (size_t)i * a->ld;
		mx = -INFINITY;
		for (j = 0; j < a->n[i]; j++)
			if (sc[j] > mx)
				mx = sc[j];
		sum = 0.0;
		for (j = 0; j < a->n[i]; j++) {
			sc[j] = expf(sc[j] - mx);
			sum += sc[j];
		}
		inv = (float)(1.0 / sum);
		/* Probabilities are rounded to f16 as llama.cpp's P.V does. */
		for (j = 0; j < a->n[i]; j++)
			sc[j] = fwd_f16tab[f32_to_fp16(sc[j] * inv)];
		for (d = 0; d < hd; d++)
			a->out[i][d] = 0.0f;
	}
	for (j = 0; j < nmax; j++) {
		for (i = 0; i < a->nq; i++)
			if (j < a->n[i])
				fwd_axpy_f16(a->out[i],
				    a->sc[(size_t)i * a->ld + j],
				    a->v + (size_t)j * hd, hd);
	}
}

/*
 * y = x / sqrt(mean(x^2) + eps) * w, as ggml computes it (sum of squares
 * in double, scale in float, weight applied after scaling).
 */
void
fwd_rmsnorm(float *y, const float *x, const float *w, int n, float eps)
{
	double	sum = 0.0;
	float	scale;
	int	i;

	for (i = 0; i < n; i++)
		sum += (double)x[i] * x[i];
	scale = 1.0f / sqrtf((float)(sum / n) + eps);
	for (i = 0; i < n; i++)
		y[i] = (x[i] * scale) * w[i];
}

/*
 * Rotate the adjacent pairs of each of the nh heads of x (head size hd)
 * by the angles whose cos/sin are c[0..hd/2) and s[0..hd/2).
 */
static void
fwd_rope(float *x, int nh, int hd, const float *c, const float *s)
{
	float	*h, a, b;
	int	 i, j;

	for (j = 0; j < nh; j++) {
		h = x + (size_t)j * hd;
		for (i = 0; i < hd / 2; i++) {
			a = h[2 * i];
			b = h[2 * i + 1];
			h[2 * i] = a * c[i] - b * s[i];
			h[2 * i + 1] = a * s[i] + b * c[i];
		}
	}
}

/*
 * Queries per attention tile for this batch: up to FWD_TILE, fewer when
 * that would leave too few tiles to keep every thread busy (a generated
 * token).  Results do not depend on it (model.h), only the speed.
 */
static int
fwd_tile_size(const struct fwd *f)
{
	const struct hparams	*hp = &f->m->hp;
	int			 per, ts = FWD_TILE;

	per = f->ntok * (hp->n_head / hp->n_head_kv);

	while (ts > 1 && hp->n_head_kv * ((per + ts - 1) / ts) <
	    4 * f->n_threads)
		ts /= 2;
	return ts;
}

/*
 * Attention tile c of KV head g in layer L: the queries c*ts..c*ts+ts-1
 * of the head's T * gqa queries, numbered token-major (query i is token
 * i / gqa, head g * gqa + i % gqa), each over the cached positions
 * 0..pos+t; the results go to f->att.  sc is this thread's scratch.
 */
static void
fwd_attention(struct fwd *f, int L, int g, int c, float *sc)
{
	const struct hparams	*hp = &f->m->hp;
	struct fwd_tile		 a;
	int			 hd = hp->head_dim, gqa, ts, i, qi, t, h;
	size_t			 base, off;

	gqa = hp->n_head / hp->n_head_kv;
	ts = fwd_tile_size(f);
	base = ((size_t)L * hp->n_head_kv + g) * f->n_ctx;
	a.k = f->kc + base * hd;
	a.v = f->vc + base * hd;
	a.hd = hd;
	a.scale = 1.0f / sqrtf((float)hd);
	a.sc = sc;
	a.ld = f->sc_ld;
	a.kbuf = sc + (size_t)FWD_TILE * f->sc_ld;
	a.nq = 0;
	for (i = 0; i < ts; i++) {
		qi = c * ts + i;
		if (qi >= f->ntok * gqa)
			break;
		t = qi / gqa;
		h = g * gqa + qi % gqa;
		off = (size_t)t * hp->n_head * hd + (size_t)h * hd;
		a.q[i] = f->q + off;
		a.out[i] = f->att + off;
		a.n[i] = f->pos + t + 1;
		a.nq++;
	}
	f->tile(&a);
}

/*
 * This thread's share of the residual step for T tokens: x += add, then,
 * if norm is not NULL, xb = rmsnorm(x) * norm (the next step's input).
 */
static void
fwd_residual(struct fwd *f, int ith, int nth, int T, const float *add,
    const float *norm)
{
	const struct hparams	*hp = &f->m->hp;
	int			 E = hp->n_embd, t, i;
	float			*xr;

	for (t = ith; t < T; t += nth) {
		xr = f->x + (size_t)t * E;
		for (i = 0; i < E; i++)
			xr[i] += add[(size_t)t * E + i];
		if (norm != NULL)
			fwd_rmsnorm(f->xb + (size_t)t * E, xr, norm, E,
			    hp->rms_eps);
	}
}

/* The whole batch, run by every pool thread (see the file comment). */
static void
fwd_job(int ith, int nth, void *arg)
{
	struct fwd		*f = arg;
	const struct model	*m = f->m;
	const struct hparams	*hp = &m->hp;
	const struct layer	*l;
	const struct qmat	*mw[3];
	float			*my[3];
	int64_t			 ml[3];
	struct tpool		*tp = f->tp;
	int			 T = f->ntok, E = hp->n_embd, F = hp->n_ff;
	int			 hd = hp->head_dim, nq, nkv, nr = hp->n_rot / 2;
	int			 L, t, i, u, n_out, nunit, ts;
	float			 theta, tscale, *sc, g;
	uint16_t		*kd, *vd;
	size_t			 base;

	nq = hp->n_head * hd;
	nkv = hp->n_head_kv * hd;
	sc = f->scores + (size_t)ith * f->sc_per;
	ts = fwd_tile_size(f);
	nunit = hp->n_head_kv * ((T * (hp->n_head / hp->n_head_kv) + ts - 1) /
	    ts);
	tscale = powf(hp->rope_base, -2.0f / (float)hp->n_rot);

	/* Embeddings and the RoPE angles of each position. */
	for (t = ith; t < T; t += nth) {
		qmat_get_row(&m->tok_embd, f->tokens[t], f->x + (size_t)t * E);
		theta = (float)(f->pos + t);
		for (i = 0; i < nr; i++) {
			f->rcos[(size_t)t * nr + i] =
			    cosf(hp->rope_scale * theta);
			f->rsin[(size_t)t * nr + i] =
			    sinf(hp->rope_scale * theta);
			theta *= tscale;
		}
		fwd_rmsnorm(f->xb + (size_t)t * E, f->x + (size_t)t * E,
		    m->layers[0].attn_norm, E, hp->rms_eps);
	}
	tpool_barrier(tp);

	for (L = 0; L < hp->n_layer; L++) {
		l = &m->layers[L];

		/* xb holds attn_norm(x). */
		mw[0] = &l->wq;
		mw[1] = &l->wk;
		mw[2] = &l->wv;
		my[0] = f->q;
		my[1] = f->k;
		my[2] = f->v;
		ml[0] = nq;
		ml[1] = ml[2] = nkv;
		matmul_multi_part(tp, ith, nth, 3, mw, f->xb, E, T, my, ml,
		    f->scratch);

		/* RoPE, then store K and V of each token in the cache. */
		for (t = ith; t < T; t += nth) {
			fwd_rope(f->q + (size_t)t * nq, hp->n_head, hd,
			    f->rcos + (size_t)t * nr, f->rsin + (size_t)t * nr);
			/* q meets the f16 K as f16, as in llama.cpp. */
			f->f16round(f->q + (size_t)t * nq, nq);
			fwd_rope(f->k + (size_t)t * nkv, hp->n_head_kv, hd,
			    f->rcos + (size_t)t * nr, f->rsin + (size_t)t * nr);
			for (u = 0; u < hp->n_head_kv; u++) {
				base = (((size_t)L * hp->n_head_kv + u) *
				    f->n_ctx + f->pos + t) * hd;
				kd = f->kc + base;
				vd = f->vc + base;
				f->f16store(kd, f->k + (size_t)t * nkv +
				    (size_t)u * hd, hd);
				f->f16store(vd, f->v + (size_t)t * nkv +
				    (size_t)u * hd, hd);
			}
		}
		tpool_barrier(tp);

		/* Attention: (KV head, query tile) units dealt round-robin. */
		for (u = ith; u < nunit; u += nth)
			fwd_attention(f, L, u % hp->n_head_kv,
			    u / hp->n_head_kv, sc);
		tpool_barrier(tp);

		/* Output projection into hb2 (free until the FFN), residual. */
		matmul_part(tp, ith, nth, &l->wo, f->att, nq, T, f->hb2, E,
		    f->scratch);
		fwd_residual(f, ith, nth, T, f->hb2, l->ffn_norm);
		tpool_barrier(tp);

		/* SwiGLU feed-forward. */
		mw[0] = &l->w_gate;
		mw[1] = &l->w_up;
		my[0] = f->hb;
		my[1] = f->hb2;
		ml[0] = ml[1] = F;
		matmul_multi_part(tp, ith, nth, 2, mw, f->xb, E, T, my, ml,
		    f->scratch);
		for (t = ith; t < T; t += nth) {
			for (i = 0; i < F; i++) {
				g = f->hb[(size_t)t * F + i];
				f->hb[(size_t)t * F + i] = g / (1.0f + expf(-g)) *
				    f->hb2[(size_t)t * F + i];
			}
		}
		tpool_barrier(tp);
		matmul_part(tp, ith, nth, &l->w_down, f->hb, F, T, f->att, E,
		    f->scratch);
		fwd_residual(f, ith, nth, T, f->att, L + 1 < hp->n_layer ?
		    m->layers[L + 1].attn_norm : NULL);
		if (ith == 0 && f->cancel != NULL &&
		    atomic_load_explicit(f->cancel, memory_order_relaxed))
			atomic_store_explicit(&f->stop, 1,
			    memory_order_relaxed);
		tpool_barrier(tp);
		if (atomic_load_explicit(&f->stop, memory_order_relaxed))
			return;
	}

	/* Final norm and logits for the rows that want them, packed. */
	n_out = T - f->out_from;
	if (n_out <= 0)
		return;
	for (t = f->out_from + ith; t < T; t += nth)
		fwd_rmsnorm(f->xb + (size_t)(t - f->out_from) * E,
		    f->x + (size_t)t * E, m->output_norm, E, hp->rms_eps);
	tpool_barrier(tp);
	matmul_part(tp, ith, nth, &m->output, f->xb, E, n_out, f->logits,
	    hp->n_vocab, f->scratch);
}

/*
 * *pp = zeroed room for n elements of size bytes (at least one byte);
 * on failure *pp = NULL and *ok = 0.  The caller checks ok once after
 * all its allocations and frees what did succeed.
 */
static void
fwd_alloc(int *ok, void *pp, size_t n, size_t size)
{
	void	*p;

	p = calloc(n > 0 ? n : 1, size);
	memcpy(pp, &p, sizeof p);
	if (p == NULL)
		*ok = 0;
}

struct fwd *
fwd_create(const struct model *m, struct tpool *tp, int n_ctx, int n_batch,
    char **cause)
{
	const struct hparams	*hp = &m->hp;
	struct fwd		*f;
	const struct qmat	*mats[8];
	size_t			 ss, s, kvn;
	int			 L, i, nq, nkv, B, ok = 1;

	fwd_init();
	if (n_ctx < 1 || n_batch < 1) {
		xasprintf(cause, "invalid context size %d or batch %d", n_ctx,
		    n_batch);
		return NULL;
	}
	if (n_batch > n_ctx)
		n_batch = n_ctx;
	if ((f = calloc(1, sizeof *f)) == NULL) {
		xasprintf(cause, "out of memory for the run state");
		return NULL;
	}
	f->m = m;
	f->tp = tp;
	f->n_ctx = n_ctx;
	f->n_batch = B = n_batch;
	f->n_threads = tpool_size(tp);
	nq = hp->n_head * hp->head_dim;
	nkv = hp->n_head_kv * hp->head_dim;
	f->sc_ld = (n_ctx + 7) & ~7;
	f->sc_per = (size_t)FWD_TILE * f->sc_ld + 8 * (size_t)hp->head_dim;

	ss = 0;
	for (L = 0; L < hp->n_layer; L++) {
		mats[0] = &m->layers[L].wq;
		mats[1] = &m->layers[L].wk;
		mats[2] = &m->layers[L].wv;
		mats[3] = &m->layers[L].wo;
		mats[4] = &m->layers[L].w_gate;
		mats[5] = &m->layers[L].w_up;
		mats[6] = &m->layers[L].w_down;
		mats[7] = &m->output;
		for (i = 0; i < 8; i++) {
			s = matmul_scratch_size(mats[i], B);
			if (s > ss)
				ss = s;
		}
	}
	kvn = (size_t)hp->n_layer * hp->n_head_kv * n_ctx * hp->head_dim;
	f->mem = 2 * kvn * sizeof(uint16_t) + ss + sizeof(float) *
	    ((size_t)B * (2 * hp->n_embd + 2 * nq + 2 * nkv + 2 * hp->n_ff +
	    hp->n_rot + hp->n_embd) + (size_t)f->n_threads * f->sc_per);

	/*
	 * Plain calloc, checked: the KV cache is the one large allocation
	 * that depends on the caller's context size, so running out of
	 * memory here is an error for the caller, not the end of the
	 * process.
	 */
	fwd_alloc(&ok, &f->x, (size_t)B * hp->n_embd, sizeof *f->x);
	fwd_alloc(&ok, &f->xb, (size_t)B * hp->n_embd, sizeof *f->xb);
	fwd_alloc(&ok, &f->q, (size_t)B * nq, sizeof *f->q);
	fwd_alloc(&ok, &f->k, (size_t)B * nkv, sizeof *f->k);
	fwd_alloc(&ok, &f->v, (size_t)B * nkv, sizeof *f->v);
	/* att also receives the FFN down product ([n_embd] per token). */
	fwd_alloc(&ok, &f->att, (size_t)B * (nq > hp->n_embd ? nq :
	    hp->n_embd), sizeof *f->att);
	/* hb2 also receives the attention output product. */
	fwd_alloc(&ok, &f->hb, (size_t)B * hp->n_ff, sizeof *f->hb);
	fwd_alloc(&ok, &f->hb2, (size_t)B * (hp->n_ff > hp->n_embd ?
	    hp->n_ff : hp->n_embd), sizeof *f->hb2);
	fwd_alloc(&ok, &f->rcos, (size_t)B * (hp->n_rot / 2),
	    sizeof *f->rcos);
	fwd_alloc(&ok, &f->rsin, (size_t)B * (hp->n_rot / 2),
	    sizeof *f->rsin);
	fwd_alloc(&ok, &f->scores, (size_t)f->n_threads * f->sc_per,
	    sizeof *f->scores);
	fwd_alloc(&ok, &f->kc, kvn, sizeof *f->kc);
	fwd_alloc(&ok, &f->vc, kvn, sizeof *f->vc);
	fwd_alloc(&ok, &f->scratch, ss, 1);
	if (!ok) {
		xasprintf(cause, "out of memory for the KV cache and run "
		    "buffers (%llu MiB for a context of %d)",
		    (unsigned long long)(f->mem >> 20), n_ctx);
		fwd_free(f);
		return NULL;
	}
	return f;
}

void
fwd_free(struct fwd *f)
{
	if (f == NULL)
		return;
	free(f->x);
	free(f->xb);
	free(f->q);
	free(f->k);
	free(f->v);
	free(f->att);
	free(f->hb);
	free(f->hb2);
	free(f->rcos);
	free(f->rsin);
	free(f->scores);
	free(f->kc);
	free(f->vc);
	free(f->scratch);
	free(f);
}

int
fwd_n_ctx(const struct fwd *f)
{
	return f->n_ctx;
}

void
fwd_kv_block(struct fwd *f, int L, int h, uint16_t **k, uint16_t **v)
{
	const struct hparams	*hp = &f->m->hp;
	size_t			 base;

	base = (((size_t)L * hp->n_head_kv + h) * f->n_ctx) * hp->head_dim;
	*k = f->kc + base;
	*v = f->vc + base;
}

int
fwd_n_batch(const struct fwd *f)
{
	return f->n_batch;
}

uint64_t
fwd_mem_bytes(const struct fwd *f)
{
	return f->mem;
}

void
fwd_set_cancel(struct fwd *f, const atomic_int *cancel)
{
	f->cancel = cancel;
}

int
fwd_eval(struct fwd *f, const int32_t *tokens, int n, int pos,
    int out_from, float *logits)
{
	int	b0, T, lf;

#ifdef HAVE_X86_SIMD
	if (cpu_level() >= CPU_AVX2) {
		f->tile = fwd_attn_tile_avx2;
#ifdef HAVE_AVX512
		if (cpu_level() == CPU_AVX512)
			f->tile = fwd_attn_tile_avx512;
#endif
		f->f16store = fwd_f16_store_avx2;
		f->f16round = fwd_f16_round_avx2;
	} else
#endif
#ifdef HAVE_NEON
	if (cpu_level() >= CPU_NEON) {
		f->tile = fwd_attn_tile_neon;
		f->f16store = fwd_f16_store_neon;
		f->f16round = fwd_f16_round_neon;
	} else
#endif
	{
		f->tile = fwd_attn_tile;
		f->f16store = fwd_f16_store;
		f->f16round = fwd_f16_round;
	}
	atomic_store(&f->stop, 0);
	for (b0 = 0; b0 < n; b0 += T) {
		if (f->cancel != NULL && atomic_load(f->cancel))
			return b0;
		T = n - b0 < f->n_batch ? n - b0 : f->n_batch;
		f->tokens = tokens + b0;
		f->ntok = T;
		f->pos = pos + b0;
		if (out_from < 0 || out_from >= b0 + T) {
			f->out_from = T;
			f->logits = NULL;
		} else {
			lf = out_from > b0 ? out_from - b0 : 0;
			f->out_from = lf;
			f->logits = logits + (size_t)(b0 + lf - out_from) *
			    f->m->hp.n_vocab;
		}
		tpool_run(f->tp, fwd_job, f);
		if (atomic_load(&f->stop))
			return b0;
	}
	return n;
}
