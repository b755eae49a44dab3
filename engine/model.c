/*
 * model.c -- map the tensors of a llama-architecture GGUF file.
 *
 * Input is a gguf_file that gguf.c has already validated structurally
 * (offsets, sizes, types).  Here we add the model-level checks: the
 * architecture is "llama", the hyperparameters are present, in range and
 * consistent (heads divide the width, KV heads divide heads, RoPE covers
 * the whole head), and every tensor we need exists with exactly the
 * expected shape and a type we can multiply.  Tensors we do not know are
 * an error rather than silently ignored: a file with biases or MoE
 * experts is not a model we compute correctly.
 *
 * The weight matrices stay in the read-only map: a struct qmat is a view
 * (pointer, type, shape, row stride).  Only the 1-D norm weights are
 * converted to float copies, so F16/BF16 norms work the same as F32.
 *
 * Ownership: struct model owns its name, norm copies and layer array;
 * the gguf_file is borrowed and must outlive it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "kernels.h"
#include "model.h"
#include "quant.h"
#include "xmalloc.h"

#define MODEL_MAX_EMBD		65536
#define MODEL_MAX_LAYER		1024
#define MODEL_MAX_FF		(1 << 20)
#define MODEL_MAX_VOCAB		(1 << 22)
#define MODEL_MAX_HEADS		4096
#define MODEL_MAX_CTX		(1 << 24)

static int	model_get_dim(const struct gguf_file *, const char *, int,
		    int, int *, char **);
static int	model_get_f32(const struct gguf_file *, const char *, float,
		    float *, char **);
static int	model_hparams(const struct gguf_file *, struct hparams *,
		    char **);
static int	model_mat(const struct gguf_file *, const char *, int64_t,
		    int64_t, struct qmat *, char **);
static int	model_vec(const struct gguf_file *, const char *, int64_t,
		    float **, char **);
static int	model_known_tensor(const char *, int);
static const struct gguf_tensor *model_tensor(const struct gguf_file *,
	    const char *, char **);

/*
 * Read the integer hyperparameter key into *out.  The key may hold a
 * scalar or (as llama.cpp allows for per-layer values) an array whose
 * elements must then all be equal.  Absent: *out = def, or an error when
 * required.  Values must lie in 1..max.  Returns 0 or -1 with *cause.
 */
static int
model_get_dim(const struct gguf_file *gf, const char *key, int required,
    int def, int *out, char **cause)
{
	const struct gguf_kv	*kv;
	uint64_t		 i, v = 0, first = 0;
	uint32_t		 u;
	char			*err = NULL;
	int			 r;

	kv = gguf_find(gf, key);
	if (kv == NULL) {
		if (required) {
			xasprintf(cause, "%s: missing required key '%s'",
			    gf->name, key);
			return -1;
		}
		*out = def;
		return 0;
	}
	if (kv->type == GGUF_T_ARRAY) {
		if (kv->v.arr.n == 0 || kv->v.arr.type == GGUF_T_STRING ||
		    kv->v.arr.type == GGUF_T_ARRAY ||
		    kv->v.arr.type == GGUF_T_FLOAT32 ||
		    kv->v.arr.type == GGUF_T_FLOAT64) {
			xasprintf(cause, "%s: key '%s' (offset %llu) is not an "
			    "integer array", gf->name, key,
			    (unsigned long long)kv->offset);
			return -1;
		}
		for (i = 0; i < kv->v.arr.n; i++) {
			v = gguf_arr_u64(kv, i);
			if (i == 0)
				first = v;
			else if (v != first) {
				xasprintf(cause, "%s: key '%s' has different "
				    "values per layer (%llu and %llu), which "
				    "is not supported", gf->name, key,
				    (unsigned long long)first,
				    (unsigned long long)v);
				return -1;
			}
		}
		if (first == 0 || first > INT32_MAX) {
			xasprintf(cause, "%s: key '%s' is out of range (%llu)",
			    gf->name, key, (unsigned long long)first);
			return -1;
		}
		*out = (int)first;
		return 0;
	}
	r = gguf_get_u32(gf, key, &u, &err);
	if (r < 0) {
		*cause = err;
		return -1;
	}
	if (u == 0 || u > INT32_MAX) {
		xasprintf(cause, "%s: key '%s' is out of range (%u)", gf->name,
		    key, u);
		return -1;
	}
	*out = (int)u;
	return 0;
}

/* Float key with a default when absent; -1 with *cause on a wrong type. */
static int
model_get_f32(const struct gguf_file *gf, const char *key, float def,
    float *out, char **cause)
{
	int	r;

	r = gguf_get_f32(gf, key, out, cause);
	if (r < 0)
		return -1;
	if (r == 0)
		*out = def;
	return 0;
}

/*
 * Fill *hp from the llama.* metadata keys and check it (docs/ENGINE.md,
 * "The GGUF reader", lists the keys and the checks).
 * 0 or -1 with *cause naming the key.
 */
static int
model_hparams(const struct gguf_file *gf, struct hparams *hp, char **cause)
{
	const struct gguf_kv	*kv;
	char			*arch = NULL, *stype = NULL;
	char			 esc[96];
	float			 factor;
	int			 r, kl, vl, experts;

	memset(hp, 0, sizeof *hp);
	r = gguf_get_str(gf, "general.architecture", &arch, cause);
	if (r < 0)
		return -1;
	if (r == 0) {
		xasprintf(cause, "%s: missing required key "
		    "'general.architecture'", gf->name);
		return -1;
	}
	if (strcmp(arch, "llama") != 0) {
		gguf_escape(arch, strlen(arch), esc, sizeof esc);
		xasprintf(cause, "%s: unsupported architecture '%s' (only "
		    "'llama' is supported)", gf->name, esc);
		free(arch);
		return -1;
	}
	free(arch);

	if (model_get_dim(gf, "llama.context_length", 1, 0,
	    &hp->n_ctx_train, cause) != 0 ||
	    model_get_dim(gf, "llama.embedding_length", 1, 0, &hp->n_embd,
	    cause) != 0 ||
	    model_get_dim(gf, "llama.block_count", 1, 0, &hp->n_layer,
	    cause) != 0 ||
	    model_get_dim(gf, "llama.feed_forward_length", 1, 0, &hp->n_ff,
	    cause) != 0 ||
	    model_get_dim(gf, "llama.attention.head_count", 1, 0,
	    &hp->n_head, cause) != 0 ||
	    model_get_dim(gf, "llama.attention.head_count_kv", 0, hp->n_head,
	    &hp->n_head_kv, cause) != 0)
		return -1;
	if (hp->n_embd > MODEL_MAX_EMBD || hp->n_layer > MODEL_MAX_LAYER ||
	    hp->n_ff > MODEL_MAX_FF || hp->n_head > MODEL_MAX_HEADS ||
	    hp->n_ctx_train > MODEL_MAX_CTX) {
		xasprintf(cause, "%s: hyperparameters out of range (n_embd %d, "
		    "n_layer %d, n_ff %d, n_head %d, context %d)", gf->name,
		    hp->n_embd, hp->n_layer, hp->n_ff, hp->n_head,
		    hp->n_ctx_train);
		return -1;
	}
	if (hp->n_embd % hp->n_head != 0) {
		xasprintf(cause, "%s: llama.attention.head_count (%d) does not "
		    "divide llama.embedding_length (%d)", gf->name, hp->n_head,
		    hp->n_embd);
		return -1;
	}
	if (hp->n_head_kv > hp->n_head || hp->n_head % hp->n_head_kv != 0) {
		xasprintf(cause, "%s: llama.attention.head_count_kv (%d) does "
		    "not divide head_count (%d)", gf->name, hp->n_head_kv,
		    hp->n_head);
		return -1;
	}
	hp->head_dim = hp->n_embd / hp->n_head;
	if (hp->head_dim % 2 != 0) {
		xasprintf(cause, "%s: head dimension %d is odd", gf->name,
		    hp->head_dim);
		return -1;
	}
	if (model_get_dim(gf, "llama.attention.key_length", 0, hp->head_dim,
	    &kl, cause) != 0 ||
	    model_get_dim(gf, "llama.attention.value_length", 0, hp->head_dim,
	    &vl, cause) != 0)
		return -1;
	if (kl != hp->head_dim || vl != hp->head_dim) {
		xasprintf(cause, "%s: llama.attention.key_length/value_length "
		    "(%d/%d) differ from n_embd/n_head (%d)", gf->name, kl, vl,
		    hp->head_dim);
		return -1;
	}
	if (model_get_dim(gf, "llama.rope.dimension_count", 0, hp->head_dim,
	    &hp->n_rot, cause) != 0)
		return -1;
	if (hp->n_rot != hp->head_dim) {
		xasprintf(cause, "%s: llama.rope.dimension_count (%d) must "
		    "equal the head dimension (%d)", gf->name, hp->n_rot,
		    hp->head_dim);
		return -1;
	}
	experts = 0;
	if (gguf_find(gf, "llama.expert_count") != NULL &&
	    model_get_dim(gf, "llama.expert_count", 0, 0, &experts,
	    cause) != 0)
		return -1;
	if (experts > 0) {
		xasprintf(cause, "%s: llama.expert_count is %d: mixture-of-"
		    "experts models are not supported", gf->name, experts);
		return -1;
	}

	if (gguf_find(gf, "llama.attention.layer_norm_rms_epsilon") == NULL) {
		xasprintf(cause, "%s: missing required key "
		    "'llama.attention.layer_norm_rms_epsilon'", gf->name);
		return -1;
	}
	if (model_get_f32(gf, "llama.attention.layer_norm_rms_epsilon", 1e-5f,
	    &hp->rms_eps, cause) != 0)
		return -1;
	if (!(hp->rms_eps > 0.0f && hp->rms_eps < 1.0f)) {
		xasprintf(cause, "%s: llama.attention.layer_norm_rms_epsilon "
		    "out of range (%g)", gf->name, (double)hp->rms_eps);
		return -1;
	}
	if (model_get_f32(gf, "llama.rope.freq_base", 10000.0f,
	    &hp->rope_base, cause) != 0)
		return -1;
	if (!(hp->rope_base > 1.0f && hp->rope_base < 1e12f)) {
		xasprintf(cause, "%s: llama.rope.freq_base out of range (%g)",
		    gf->name, (double)hp->rope_base);
		return -1;
	}

	r = gguf_get_str(gf, "llama.rope.scaling.type", &stype, cause);
	if (r < 0)
		return -1;
	if (r > 0 && strcmp(stype, "none") != 0 &&
	    strcmp(stype, "linear") != 0) {
		gguf_escape(stype, strlen(stype), esc, sizeof esc);
		xasprintf(cause, "%s: llama.rope.scaling.type '%s' is not "
		    "supported (only none and linear)", gf->name, esc);
		free(stype);
		return -1;
	}
	factor = 0.0f;
	if (model_get_f32(gf, "llama.rope.scaling.factor", 0.0f, &factor,
	    cause) != 0) {
		free(stype);
		return -1;
	}
	if (factor == 0.0f && model_get_f32(gf, "llama.rope.scale_linear",
	    0.0f, &factor, cause) != 0) {
		free(stype);
		return -1;
	}
	if (stype != NULL && strcmp(stype, "none") == 0)
		factor = 0.0f;
	free(stype);
	if (factor < 0.0f || factor > 1024.0f || factor != factor) {
		xasprintf(cause, "%s: llama.rope.scaling.factor out of range "
		    "(%g)", gf->name, (double)factor);
		return -1;
	}
	hp->rope_scale = factor == 0.0f ? 1.0f : 1.0f / factor;

	kv = gguf_find(gf, "tokenizer.ggml.tokens");
	if (kv == NULL || kv->type != GGUF_T_ARRAY ||
	    kv->v.arr.type != GGUF_T_STRING) {
		xasprintf(cause, "%s: missing or invalid key "
		    "'tokenizer.ggml.tokens'", gf->name);
		return -1;
	}
	if (kv->v.arr.n == 0 || kv->v.arr.n > MODEL_MAX_VOCAB) {
		xasprintf(cause, "%s: tokenizer.ggml.tokens has %llu entries",
		    gf->name, (unsigned long long)kv->v.arr.n);
		return -1;
	}
	hp->n_vocab = (int)kv->v.arr.n;
	return 0;
}

/* Tensor name of gf, or NULL with *cause when the file lacks it. */
static const struct gguf_tensor *
model_tensor(const struct gguf_file *gf, const char *name, char **cause)
{
	const struct gguf_tensor	*t;

	if ((t = gguf_find_tensor(gf, name)) == NULL)
		xasprintf(cause, "%s: missing tensor '%s'", gf->name, name);
	return t;
}

/*
 * Map the 2-D weight name, which must have ne = [ne0, ne1] and a type
 * the matmul kernels handle.  0 or -1 with *cause.
 */
static int
model_mat(const struct gguf_file *gf, const char *name, int64_t ne0,
    int64_t ne1, struct qmat *w, char **cause)
{
	const struct gguf_tensor	*t;
	const struct qtraits		*qt;

	if ((t = model_tensor(gf, name, cause)) == NULL)
		return -1;
	if (t->n_dims != 2 || t->ne[0] != ne0 || t->ne[1] != ne1) {
		xasprintf(cause, "%s: tensor '%s' has shape [%lld, %lld, %lld, "
		    "%lld], expected [%lld, %lld]", gf->name, name,
		    (long long)t->ne[0], (long long)t->ne[1],
		    (long long)t->ne[2], (long long)t->ne[3],
		    (long long)ne0, (long long)ne1);
		return -1;
	}
	qt = qtype_traits(t->type);
	if (qt == NULL || !qt->is_weight || qt->vec_dot == NULL ||
	    ne0 % qt->blck != 0) {
		xasprintf(cause, "%s: tensor '%s' has type %s, which is not "
		    "supported for weights", gf->name, name,
		    qtype_name(t->type));
		return -1;
	}
	if (t->row_bytes != qtype_row_size(t->type, ne0) ||
	    t->nbytes < t->row_bytes * (uint64_t)ne1) {
		xasprintf(cause, "%s: tensor '%s' size is inconsistent with its "
		    "shape", gf->name, name);
		return -1;
	}
	w->data = t->data;
	w->type = t->type;
	w->ncols = ne0;
	w->nrows = ne1;
	w->row_bytes = t->row_bytes;
	return 0;
}

/*
 * Convert the 1-D tensor name of n elements (F32, F16 or BF16) into a new
 * float array *out (caller frees).  0 or -1 with *cause.
 */
static int
model_vec(const struct gguf_file *gf, const char *name, int64_t n,
    float **out, char **cause)
{
	const struct gguf_tensor	*t;
	const struct qtraits		*qt;

	if ((t = model_tensor(gf, name, cause)) == NULL)
		return -1;
	if (t->n_dims != 1 || t->ne[0] != n) {
		xasprintf(cause, "%s: tensor '%s' has shape [%lld, %lld], "
		    "expected [%lld]", gf->name, name, (long long)t->ne[0],
		    (long long)t->ne[1], (long long)n);
		return -1;
	}
	if (t->type != QT_F32 && t->type != QT_F16 && t->type != QT_BF16) {
		xasprintf(cause, "%s: tensor '%s' has type %s, expected F32",
		    gf->name, name, qtype_name(t->type));
		return -1;
	}
	qt = qtype_traits(t->type);
	if (qt == NULL || qt->to_float == NULL ||
	    t->nbytes < qtype_row_size(t->type, n)) {
		xasprintf(cause, "%s: tensor '%s' cannot be read", gf->name,
		    name);
		return -1;
	}
	*out = xcalloc(n, sizeof **out);
	qt->to_float(t->data, *out, n);
	return 0;
}

/* 1 if name is a tensor this loader maps for a model of n_layer layers. */
static int
model_known_tensor(const char *name, int n_layer)
{
	static const char *const per_layer[] = {
		"attn_norm.weight", "attn_q.weight", "attn_k.weight",
		"attn_v.weight", "attn_output.weight", "ffn_norm.weight",
		"ffn_gate.weight", "ffn_up.weight", "ffn_down.weight", NULL
	};
	const char	*p;
	char		*end;
	long		 l;
	int		 i;

	if (strcmp(name, "token_embd.weight") == 0 ||
	    strcmp(name, "output_norm.weight") == 0 ||
	    strcmp(name, "output.weight") == 0)
		return 1;
	if (strncmp(name, "blk.", 4) != 0)
		return 0;
	p = name + 4;
	if (*p < '0' || *p > '9')
		return 0;
	l = strtol(p, &end, 10);
	if (*end != '.' || l < 0 || l >= n_layer)
		return 0;
	for (i = 0; per_layer[i] != NULL; i++) {
		if (strcmp(end + 1, per_layer[i]) == 0)
			return 1;
	}
	return 0;
}

int
model_load(const struct gguf_file *gf, struct model **out, char **cause)
{
	char			 esc[96];
	struct model	*m;
	struct hparams	*hp;
	struct layer	*l;
	char		 nm[96];
	int64_t		 E, Q, KV, F;
	uint64_t	 i, n;
	int		 L, r, j;

	*out = NULL;
	m = xcalloc(1, sizeof *m);
	m->gf = gf;
	hp = &m->hp;
	if (model_hparams(gf, hp, cause) != 0)
		goto fail;
	r = gguf_get_str(gf, "general.name", &m->name, cause);
	if (r < 0)
		goto fail;

	E = hp->n_embd;
	Q = (int64_t)hp->n_head * hp->head_dim;
	KV = (int64_t)hp->n_head_kv * hp->head_dim;
	F = hp->n_ff;

	if (model_mat(gf, "token_embd.weight", E, hp->n_vocab, &m->tok_embd,
	    cause) != 0)
		goto fail;
	if (model_vec(gf, "output_norm.weight", E, &m->output_norm,
	    cause) != 0)
		goto fail;
	if (gguf_find_tensor(gf, "output.weight") != NULL) {
		if (model_mat(gf, "output.weight", E, hp->n_vocab, &m->output,
		    cause) != 0)
			goto fail;
	} else {
		m->output = m->tok_embd;
		m->tied = 1;
	}

	m->layers = xcalloc(hp->n_layer, sizeof *m->layers);
	for (L = 0; L < hp->n_layer; L++) {
		l = &m->layers[L];
#define MAT(field, suffix, ne0, ne1) do {				\
	snprintf(nm, sizeof nm, "blk.%d." suffix, L);			\
	if (model_mat(gf, nm, (ne0), (ne1), &l->field, cause) != 0)	\
		goto fail;						\
} while (0)
#define VEC(field, suffix) do {						\
	snprintf(nm, sizeof nm, "blk.%d." suffix, L);			\
	if (model_vec(gf, nm, E, &l->field, cause) != 0)		\
		goto fail;						\
} while (0)
		VEC(attn_norm, "attn_norm.weight");
		VEC(ffn_norm, "ffn_norm.weight");
		MAT(wq, "attn_q.weight", E, Q);
		MAT(wk, "attn_k.weight", E, KV);
		MAT(wv, "attn_v.weight", E, KV);
		MAT(wo, "attn_output.weight", Q, E);
		MAT(w_gate, "ffn_gate.weight", E, F);
		MAT(w_up, "ffn_up.weight", E, F);
		MAT(w_down, "ffn_down.weight", F, E);
#undef MAT
#undef VEC
	}

	for (i = 0; i < gf->n_tensors; i++) {
		if (!model_known_tensor(gf->tensors[i].name, hp->n_layer)) {
			gguf_escape(gf->tensors[i].name,
			    strlen(gf->tensors[i].name), esc, sizeof esc);
			xasprintf(cause, "%s: unexpected tensor '%s' (biases, "
			    "rope_freqs and experts are not supported)",
			    gf->name, esc);
			goto fail;
		}
		n = 1;
		for (j = 0; j < GGUF_MAX_DIMS; j++)
			n *= (uint64_t)gf->tensors[i].ne[j];
		m->n_params += n;
		if (gf->tensors[i].n_dims >= 2)
			m->weight_bytes += gf->tensors[i].nbytes;
		if (strcmp(gf->tensors[i].name, "token_embd.weight") != 0)
			m->token_bytes += gf->tensors[i].nbytes;
	}
	m->token_bytes += m->tied ? (uint64_t)m->tok_embd.nrows *
	    m->tok_embd.row_bytes : m->tok_embd.row_bytes;
	*out = m;
	return 0;

fail:
	model_free(m);
	return -1;
}

void
model_free(struct model *m)
{
	int	L;

	if (m == NULL)
		return;
	if (m->layers != NULL) {
		for (L = 0; L < m->hp.n_layer; L++) {
			free(m->layers[L].attn_norm);
			free(m->layers[L].ffn_norm);
		}
		free(m->layers);
	}
	free(m->output_norm);
	free(m->name);
	free(m);
}

void
model_kernels(const struct model *m, char *buf, size_t sz)
{
	const struct qmat	*w[7];
	uint32_t		 seen[QT_COUNT];
	size_t			 len = 0;
	int			 i, k, n, ns = 0, j;

	if (sz == 0)
		return;
	buf[0] = '\0';
	for (i = -1; i < m->hp.n_layer; i++) {
		if (i < 0) {
			w[0] = &m->output;
			n = 1;
		} else {
			w[0] = &m->layers[i].wq;
			w[1] = &m->layers[i].wk;
			w[2] = &m->layers[i].wv;
			w[3] = &m->layers[i].wo;
			w[4] = &m->layers[i].w_gate;
			w[5] = &m->layers[i].w_up;
			w[6] = &m->layers[i].w_down;
			n = 7;
		}
		for (k = 0; k < n; k++) {
			for (j = 0; j < ns && seen[j] != w[k]->type; j++)
				;
			if (j < ns || w[k]->type >= QT_COUNT)
				continue;
			seen[ns++] = w[k]->type;
			if (len < sz)
				len += (size_t)snprintf(buf + len, sz - len,
				    "%s%s %s%s", ns > 1 ? ", " : "",
				    qtype_name(w[k]->type),
				    cpu_type_level(w[k]->type),
				    qtype_traits(w[k]->type)->tile != NULL ?
				    "+tile" : "");
		}
	}
}
