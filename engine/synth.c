/*
 * synth.c -- models written by our own GGUF writer: the demo model and
 * random-weight files shaped like real ones for benchmarks.
 *
 * The demo model (engine_write_demo_model) is a 2-layer llama of width 64
 * with a SentencePiece vocabulary that can spell English: <unk>, <s>,
 * </s>, the 256 byte-fallback tokens, single characters, and every prefix
 * of a few hundred common (and medical) words with the "▁" word marker,
 * so SPM merges walk up to whole words; plus the ChatML control tokens
 * <|im_start|>/<|im_end|> and a ChatML chat_template.  Weights are random
 * Q8_0 (deterministic: a fixed seed), so its answers are nonsense, but it
 * exercises tokenizer, template, forward pass and sampler end to end in
 * milliseconds.  Tests and the TUI use it when no real model is around.
 *
 * The benchmark writer (engine_write_synth_model) produces the tensor
 * names, shapes and per-tensor type mix of a Llama-2-7B or TinyLlama-1.1B
 * file of a given llama.cpp ftype (the types llama.cpp's
 * llama_tensor_get_type picks for each tensor).  Values come from a pool
 * of a few thousand blocks quantized from random normals with the
 * reference quantizers, copied in a scrambled order: realistic scales,
 * no NaNs, and a 4 GB file is streamed through gguf_w_tensor_fill without
 * ever sitting in memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "gguf.h"
#include "quant.h"
#include "xmalloc.h"

#define SYNTH_POOL	4096	/* blocks in a type's value pool */

static const char synth_chatml_jinja[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + "
    "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% endif %}";

static const char *const synth_words[] = {
	"the", "a", "an", "and", "or", "but", "if", "of", "to", "in", "on",
	"at", "by", "for", "with", "from", "as", "is", "are", "was", "were",
	"be", "been", "being", "have", "has", "had", "do", "does", "did",
	"not", "no", "yes", "it", "its", "this", "that", "these", "those",
	"you", "your", "we", "our", "they", "their", "he", "she", "his", "her",
	"i", "me", "my", "can", "could", "should", "would", "will", "may",
	"might", "must", "what", "which", "who", "when", "where", "why", "how",
	"all", "any", "some", "most", "more", "less", "many", "much", "few",
	"other", "such", "only", "also", "very", "often", "usually", "about",
	"after", "before", "during", "into", "over", "under", "between",
	"each", "every", "than", "then", "there", "here", "so", "because",
	"while", "until", "up", "down", "out", "new", "good", "well", "high",
	"low", "long", "short", "first", "last", "one", "two", "three", "day",
	"days", "week", "weeks", "time", "year", "years", "people", "person",
	"body", "health", "medical", "medicine", "doctor", "nurse", "patient",
	"patients", "hospital", "clinic", "care", "treatment", "therapy",
	"disease", "condition", "symptom", "symptoms", "sign", "signs",
	"pain", "fever", "cough", "headache", "infection", "virus", "bacteria",
	"blood", "pressure", "heart", "lung", "lungs", "liver", "kidney",
	"brain", "skin", "bone", "muscle", "stomach", "diabetes", "insulin",
	"sugar", "cancer", "tumor", "risk", "diagnosis", "test", "tests",
	"dose", "drug", "drugs", "tablet", "daily", "mg", "side", "effect",
	"effects", "allergy", "asthma", "chronic", "acute", "severe", "mild",
	"normal", "rate", "level", "levels", "help", "helps", "reduce",
	"increase", "prevent", "cause", "causes", "caused", "include",
	"including", "common", "rare", "important", "consult", "seek", "see",
	"take", "taking", "use", "used", "make", "know", "need", "feel",
	"water", "food", "diet", "sleep", "exercise", "rest", "stress",
	"weight", "child", "children", "adult", "adults", "women", "men",
	"age", "older", "emergency", "immediately", "call", "advice",
	"information", "question", "answer", "hello", "thank", "thanks",
	"please", "sorry", "assistant", "system", "user", "sure", "here",
	NULL
};

struct synth_rng {
	uint64_t	s;
};

struct synth_vocab {
	char		**tok;
	float		*score;
	int32_t		*type;
	int		 n;
	size_t		 cap;
	int		 dedupe;	/* skip texts already present */
};

/* A tensor's value pool and the state of its scrambled copy. */
struct synth_fill {
	uint32_t	 type;
	const uint8_t	*pool;
	size_t		 bsize;
	uint64_t	 seed;
};

static uint64_t	 synth_next(struct synth_rng *);
static float	 synth_normal(struct synth_rng *);
static void	 synth_vocab_add(struct synth_vocab *, const char *, float,
		    int32_t);
static void	 synth_vocab_free(struct synth_vocab *);
static void	 synth_vocab_write(struct gguf_writer *,
		    const struct synth_vocab *);
static void	 synth_fill(void *, uint64_t, void *);
static uint8_t	*synth_pool(uint32_t, uint64_t, float);
static void	 synth_vocab_base(struct synth_vocab *);

/* splitmix64 */
static uint64_t
synth_next(struct synth_rng *r)
{
	uint64_t	z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Standard normal by Box-Muller. */
static float
synth_normal(struct synth_rng *r)
{
	double	u1, u2;

	u1 = ((synth_next(r) >> 11) + 1.0) / 9007199254740993.0;
	u2 = (synth_next(r) >> 11) / 9007199254740992.0;
	return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static void
synth_vocab_add(struct synth_vocab *v, const char *s, float score,
    int32_t type)
{
	int	i;

	for (i = 0; v->dedupe && i < v->n; i++) {
		if (strcmp(v->tok[i], s) == 0)
			return;
	}
	if ((size_t)v->n == v->cap) {
		v->tok = xgrowarray(v->tok, &v->cap, 1024, sizeof *v->tok);
		v->score = xreallocarray(v->score, v->cap, sizeof *v->score);
		v->type = xreallocarray(v->type, v->cap, sizeof *v->type);
	}
	v->tok[v->n] = xstrdup(s);
	v->score[v->n] = score;
	v->type[v->n] = type;
	v->n++;
}

static void
synth_vocab_free(struct synth_vocab *v)
{
	xfreev(v->tok, (size_t)v->n);
	free(v->score);
	free(v->type);
}

/* The tokenizer keys of an SPM vocabulary with <unk>=0, <s>=1, </s>=2. */
static void
synth_vocab_write(struct gguf_writer *w, const struct synth_vocab *v)
{
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens",
	    (const char *const *)v->tok, v->n);
	gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, v->score, v->n);
	gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_T_INT32, v->type,
	    v->n);
	gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1);
	gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2);
	gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 0);
	gguf_w_bool(w, "tokenizer.ggml.add_bos_token", 1);
	gguf_w_bool(w, "tokenizer.ggml.add_eos_token", 0);
}

/* The base SPM tokens: <unk>, <s>, </s> and the 256 byte tokens. */
static void
synth_vocab_base(struct synth_vocab *v)
{
	char	s[16];
	int	i;

	synth_vocab_add(v, "<unk>", 0.0f, 2);
	synth_vocab_add(v, "<s>", 0.0f, 3);
	synth_vocab_add(v, "</s>", 0.0f, 3);
	for (i = 0; i < 256; i++) {
		snprintf(s, sizeof s, "<0x%02X>", i);
		synth_vocab_add(v, s, 0.0f, 6);
	}
}

/*
 * A pool of SYNTH_POOL blocks of type, quantized from normals of the
 * given std with the reference quantizer.  Caller frees.
 */
static uint8_t *
synth_pool(uint32_t type, uint64_t seed, float std)
{
	const struct qtraits	*qt = qtype_traits(type);
	struct synth_rng	 r = { seed };
	float			*x;
	uint8_t			*pool;
	size_t			 n, i;

	n = (size_t)SYNTH_POOL * qt->blck;
	x = xcalloc(n, sizeof *x);
	for (i = 0; i < n; i++)
		x[i] = synth_normal(&r) * std;
	pool = xcalloc(SYNTH_POOL, qt->type_size);
	qt->from_float(x, pool, (int64_t)n);
	free(x);
	return pool;
}

/* gguf_w_tensor_fill callback: pool blocks in a scrambled order. */
static void
synth_fill(void *dst, uint64_t nbytes, void *arg)
{
	struct synth_fill	*f = arg;
	struct synth_rng	 r = { f->seed };
	uint8_t			*d = dst;
	uint64_t		 i, nb;

	nb = nbytes / f->bsize;
	for (i = 0; i < nb; i++)
		memcpy(d + i * f->bsize, f->pool + (synth_next(&r) %
		    SYNTH_POOL) * f->bsize, f->bsize);
	memset(d + nb * f->bsize, 0, nbytes - nb * f->bsize);
}

int
engine_write_demo_model(const char *path, char **cause)
{
	struct gguf_writer	*w;
	struct synth_vocab	 v;
	struct synth_rng	 r = { 20240601 };
	const int		 E = 64, F = 192, NL = 2, NH = 4, NKV = 2;
	const int		 HD = E / NH;
	char			 s[64], name[64];
	const char		*p;
	float			*x, score;
	uint8_t			*q;
	int64_t			 ne[2];
	int			 i, j, k, L, V, rows, cols, t;
	static const char	*const mats[] = { "attn_q", "attn_k",
				    "attn_v", "attn_output", "ffn_gate",
				    "ffn_up", "ffn_down" };
	static const char	 punct[] = ".,;:!?'()-/%<>|_#*0123456789";

	memset(&v, 0, sizeof v);
	v.dedupe = 1;
	synth_vocab_base(&v);
	/* Single characters, then every prefix of every "▁word". */
	score = -1.0f;
	for (i = 0; i < 26; i++) {
		s[0] = (char)('a' + i);
		s[1] = '\0';
		synth_vocab_add(&v, s, score, 1);
		s[0] = (char)('A' + i);
		synth_vocab_add(&v, s, score, 1);
	}
	for (p = punct; *p != '\0'; p++) {
		s[0] = *p;
		s[1] = '\0';
		synth_vocab_add(&v, s, score, 1);
	}
	synth_vocab_add(&v, "\xe2\x96\x81", score, 1);
	for (i = 0; synth_words[i] != NULL; i++) {
		for (k = 1; synth_words[i][k - 1] != '\0'; k++) {
			snprintf(s, sizeof s, "\xe2\x96\x81%.*s", k,
			    synth_words[i]);
			synth_vocab_add(&v, s, -2.0f - (float)k / 16, 1);
		}
		/* Capitalised first letters for sentence starts. */
		snprintf(s, sizeof s, "\xe2\x96\x81%c", synth_words[i][0] -
		    ('a' <= synth_words[i][0] && synth_words[i][0] <= 'z' ?
		    32 : 0));
		synth_vocab_add(&v, s, -2.0f, 1);
		for (k = 1; synth_words[i][k] != '\0'; k++) {
			snprintf(s, sizeof s, "\xe2\x96\x81%c%.*s",
			    synth_words[i][0] - 32, k, synth_words[i] + 1);
			synth_vocab_add(&v, s, -2.0f - (float)k / 16, 1);
		}
	}
	synth_vocab_add(&v, "<|im_start|>", 0.0f, 3);
	synth_vocab_add(&v, "<|im_end|>", 0.0f, 3);
	V = v.n;

	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_str(w, "general.name", "medchat demo (random weights)");
	gguf_w_u32(w, "general.file_type", 7);
	gguf_w_u32(w, "general.quantization_version", 2);
	gguf_w_u32(w, "llama.context_length", 2048);
	gguf_w_u32(w, "llama.embedding_length", E);
	gguf_w_u32(w, "llama.block_count", NL);
	gguf_w_u32(w, "llama.feed_forward_length", F);
	gguf_w_u32(w, "llama.attention.head_count", NH);
	gguf_w_u32(w, "llama.attention.head_count_kv", NKV);
	gguf_w_u32(w, "llama.rope.dimension_count", HD);
	gguf_w_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	gguf_w_f32(w, "llama.rope.freq_base", 10000.0f);
	synth_vocab_write(w, &v);
	gguf_w_str(w, "tokenizer.chat_template", synth_chatml_jinja);

	/* Tensors, in llama.cpp's order; random Q8_0, norms near 1. */
	x = xcalloc((size_t)V * E > (size_t)F * E ? (size_t)V * E :
	    (size_t)F * E, sizeof *x);
	q = xmalloc(qtype_row_size(QT_Q8_0, E) * (V > F ? V : F) + 64);
	for (t = -1; t <= NL; t++) {
		if (t == -1 || t == NL) {
			for (i = 0; i < V * E; i++)
				x[i] = synth_normal(&r) * 0.5f;
			qtype_traits(QT_Q8_0)->from_float(x, q, (int64_t)V * E);
			ne[0] = E;
			ne[1] = V;
			if (t == NL) {
				for (i = 0; i < E; i++)
					x[i] = 1.0f + 0.1f * synth_normal(&r);
				ne[0] = E;
				gguf_w_tensor(w, "output_norm.weight", QT_F32,
				    1, ne, x);
				for (i = 0; i < V * E; i++)
					x[i] = synth_normal(&r) * 0.5f;
				qtype_traits(QT_Q8_0)->from_float(x, q,
				    (int64_t)V * E);
				ne[1] = V;
			}
			gguf_w_tensor(w, t == -1 ? "token_embd.weight" :
			    "output.weight", QT_Q8_0, 2, ne, q);
			continue;
		}
		L = t;
		for (i = 0; i < E; i++)
			x[i] = 1.0f + 0.1f * synth_normal(&r);
		snprintf(name, sizeof name, "blk.%d.attn_norm.weight", L);
		ne[0] = E;
		gguf_w_tensor(w, name, QT_F32, 1, ne, x);
		for (j = 0; j < 7; j++) {
			if (j == 4) {
				for (i = 0; i < E; i++)
					x[i] = 1.0f + 0.1f * synth_normal(&r);
				snprintf(name, sizeof name,
				    "blk.%d.ffn_norm.weight", L);
				ne[0] = E;
				gguf_w_tensor(w, name, QT_F32, 1, ne, x);
			}
			cols = j == 6 ? F : E;
			rows = j == 1 || j == 2 ? NKV * HD : j == 4 || j == 5 ?
			    F : E;
			for (i = 0; i < rows * cols; i++)
				x[i] = synth_normal(&r) / sqrtf((float)cols) *
				    1.5f;
			qtype_traits(QT_Q8_0)->from_float(x, q,
			    (int64_t)rows * cols);
			snprintf(name, sizeof name, "blk.%d.%s.weight", L,
			    mats[j]);
			ne[0] = cols;
			ne[1] = rows;
			gguf_w_tensor(w, name, QT_Q8_0, 2, ne, q);
		}
	}
	free(x);
	free(q);
	synth_vocab_free(&v);
	i = gguf_writer_save(w, path, cause);
	gguf_writer_free(w);
	return i;
}

/* ---- benchmark-shaped files ------------------------------------------- */

struct synth_shape {
	const char	*name;
	const char	*label;
	int		 n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
};

static const struct synth_shape synth_shapes[] = {
	{ "7b", "Llama-2-7B", 4096, 32, 32, 32, 11008, 4096 },
	{ "1b", "TinyLlama-1.1B", 2048, 22, 32, 4, 5632, 2048 },
	/* Same tensor set and type mix, small enough for tests. */
	{ "tiny", "tiny test", 256, 2, 4, 2, 768, 512 },
	{ NULL, NULL, 0, 0, 0, 0, 0, 0 }
};

enum synth_role { SR_EMBD, SR_OUT, SR_Q, SR_K, SR_V, SR_O, SR_GATE, SR_UP,
	SR_DOWN };

struct synth_mix {
	const char	*name;
	uint32_t	 ftype;
	uint32_t	 base;
};

static const struct synth_mix synth_mixes[] = {
	{ "q4_k_m", 15, QT_Q4_K },
	{ "q2_k", 10, QT_Q2_K },
	{ "q3_k_m", 12, QT_Q3_K },
	{ "q4_0", 2, QT_Q4_0 },
	{ "q5_0", 8, QT_Q5_0 },
	{ "q5_k_m", 17, QT_Q5_K },
	{ "q6_k", 18, QT_Q6_K },
	{ "q8_0", 7, QT_Q8_0 },
	{ NULL, 0, 0 }
};

const char *const *
engine_synth_types(void)
{
	static const char	*names[sizeof synth_mixes / sizeof synth_mixes[0]];
	size_t			 i;

	/* Filled on every call with the same values: no race that matters. */
	for (i = 0; synth_mixes[i].name != NULL; i++)
		names[i] = synth_mixes[i].name;
	names[i] = NULL;
	return names;
}

/* llama.cpp's use_more_bits(i, n). */
static int
synth_more_bits(int i, int n)
{
	return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

/* The type llama.cpp's quantizer (llama_tensor_get_type) gives this
 * tensor. */
static uint32_t
synth_type(const struct synth_mix *mx, const struct synth_shape *sh,
    enum synth_role role, int L)
{
	int	n = sh->n_layer, gqa = sh->n_head / sh->n_head_kv;

	if (role == SR_OUT)
		return mx->ftype == 7 ? QT_Q8_0 : QT_Q6_K;
	if (role == SR_EMBD)
		return mx->base;
	switch (mx->ftype) {
	case 10:	/* Q2_K */
		if (role == SR_V)
			return gqa >= 4 ? QT_Q4_K : QT_Q3_K;
		if (role == SR_DOWN || role == SR_O)
			return QT_Q3_K;
		return QT_Q2_K;
	case 12:	/* Q3_K_M */
		if (role == SR_V)
			return L < 2 ? QT_Q5_K : QT_Q4_K;
		if (role == SR_DOWN)
			return L < n / 16 ? QT_Q5_K : QT_Q4_K;
		if (role == SR_O)
			return QT_Q4_K;
		return QT_Q3_K;
	case 15:	/* Q4_K_M */
		if ((role == SR_V || role == SR_DOWN) && synth_more_bits(L, n))
			return QT_Q6_K;
		return QT_Q4_K;
	case 17:	/* Q5_K_M */
		if ((role == SR_V || role == SR_DOWN) && synth_more_bits(L, n))
			return QT_Q6_K;
		return QT_Q5_K;
	default:
		return mx->base;
	}
}

int
engine_write_synth_model(const char *path, const char *shape,
    const char *type, char **cause)
{
	static const char	*const lnames[] = { NULL, NULL, "attn_q",
				    "attn_k", "attn_v", "attn_output",
				    "ffn_gate", "ffn_up", "ffn_down" };
	const struct synth_shape *sh;
	const struct synth_mix	*mx;
	struct gguf_writer	*w;
	struct synth_vocab	 v;
	struct synth_fill	*fills;
	uint8_t			*pools[QT_COUNT];
	float			*ones;
	char			 s[64], name[96];
	int64_t			 ne[2];
	uint32_t		 qt;
	int			 i, L, nf, role, E, KV, rv;

	for (sh = synth_shapes; sh->name != NULL; sh++) {
		if (strcmp(sh->name, shape) == 0)
			break;
	}
	if (sh->name == NULL) {
		xasprintf(cause, "unknown shape '%.16s' (7b, 1b or tiny)", shape);
		return -1;
	}
	for (mx = synth_mixes; mx->name != NULL; mx++) {
		if (strcasecmp(mx->name, type) == 0)
			break;
	}
	if (mx->name == NULL) {
		xasprintf(cause, "unknown type '%.16s' (q4_k_m, q2_k, q3_k_m, "
		    "q4_0, q5_0, q5_k_m, q6_k, q8_0)", type);
		return -1;
	}
	E = sh->n_embd;
	KV = sh->n_embd / sh->n_head * sh->n_head_kv;

	memset(&v, 0, sizeof v);
	synth_vocab_base(&v);
	for (i = v.n; i < 32000; i++) {
		snprintf(s, sizeof s, "\xe2\x96\x81t%d", i);
		synth_vocab_add(&v, s, -(float)i, 1);
	}

	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	snprintf(name, sizeof name, "synthetic %s %s (random weights)",
	    sh->label, mx->name);
	gguf_w_str(w, "general.name", name);
	gguf_w_u32(w, "general.file_type", mx->ftype);
	gguf_w_u32(w, "general.quantization_version", 2);
	gguf_w_u32(w, "llama.context_length", sh->n_ctx);
	gguf_w_u32(w, "llama.embedding_length", E);
	gguf_w_u32(w, "llama.block_count", sh->n_layer);
	gguf_w_u32(w, "llama.feed_forward_length", sh->n_ff);
	gguf_w_u32(w, "llama.attention.head_count", sh->n_head);
	gguf_w_u32(w, "llama.attention.head_count_kv", sh->n_head_kv);
	gguf_w_u32(w, "llama.rope.dimension_count", E / sh->n_head);
	gguf_w_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	gguf_w_f32(w, "llama.rope.freq_base", 10000.0f);
	gguf_w_u32(w, "llama.vocab_size", 32000);
	synth_vocab_write(w, &v);

	memset(pools, 0, sizeof pools);
	fills = xcalloc(3 + 9 * sh->n_layer, sizeof *fills);
	ones = xcalloc(E, sizeof *ones);
	for (i = 0; i < E; i++)
		ones[i] = 1.0f;
	nf = 0;
	for (L = -1; L <= sh->n_layer; L++) {
		for (role = 0; role <= SR_DOWN; role++) {
			if ((L == -1) != (role == SR_EMBD) ||
			    (L == sh->n_layer) != (role == SR_OUT))
				continue;
			qt = synth_type(mx, sh, (enum synth_role)role, L);
			if (pools[qt] == NULL)
				pools[qt] = synth_pool(qt, 1000 + qt, 0.02f);
			fills[nf].type = qt;
			fills[nf].pool = pools[qt];
			fills[nf].bsize = qtype_traits(qt)->type_size;
			fills[nf].seed = 7919 * (uint64_t)(nf + 1);
			switch (role) {
			case SR_EMBD:
				snprintf(name, sizeof name,
				    "token_embd.weight");
				ne[0] = E;
				ne[1] = 32000;
				break;
			case SR_OUT:
				ne[0] = E;
				gguf_w_tensor(w, "output_norm.weight", QT_F32,
				    1, ne, ones);
				snprintf(name, sizeof name, "output.weight");
				ne[1] = 32000;
				break;
			default:
				/* each block's norms: before q and gate */
				if (role == SR_Q || role == SR_GATE) {
					snprintf(name, sizeof name,
					    "blk.%d.%s.weight", L, role == SR_Q ?
					    "attn_norm" : "ffn_norm");
					ne[0] = E;
					gguf_w_tensor(w, name, QT_F32, 1, ne,
					    ones);
				}
				snprintf(name, sizeof name, "blk.%d.%s.weight",
				    L, lnames[role]);
				ne[0] = role == SR_DOWN ? sh->n_ff : E;
				ne[1] = role == SR_K || role == SR_V ? KV :
				    role == SR_GATE || role == SR_UP ?
				    sh->n_ff : E;
				break;
			}
			gguf_w_tensor_fill(w, name, qt, 2, ne, synth_fill,
			    &fills[nf]);
			nf++;
		}
	}
	rv = gguf_writer_save(w, path, cause);
	gguf_writer_free(w);
	for (i = 0; i < QT_COUNT; i++)
		free(pools[i]);
	free(fills);
	free(ones);
	synth_vocab_free(&v);
	return rv;
}
