/*
 * gguf-mkfixture.c -- write GGUF fixtures with our own writer.
 *
 *	gguf-mkfixture DIR		the fixtures test-inspect.sh runs on
 *	gguf-mkfixture -c DIR		tiny seeds for the fuzz corpus
 *	gguf-mkfixture -r DIR		hostile inputs for the replay test
 *	gguf-mkfixture -e DIR		escape.gguf, a model whose answer
 *					is terminal escape sequences, and
 *					escape.txt, that answer's bytes
 *
 * Fixtures: a small llama-shaped model with a K-quant mix and no
 * general.file_type (so the quantization is guessed), a file whose keys,
 * names and values hold terminal escapes, invalid UTF-8, NaN and every
 * value type, a v2 file with alignment 64, a metadata-only file, and a
 * few broken files (bad magic, v1, truncated, legacy row-crossing Q8_0).
 * Exit 0, or 1 with a message if a file cannot be written.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "gguf.h"
#include "quant.h"
#include "xmalloc.h"

static const char	*dir;
static int		 failed;
static int		 noext;	/* corpus files: no .gguf (kept out of
				   .gitignore's *.gguf rule) */

static void
fill_bytes(void *dst, uint64_t n, void *arg)
{
	uint8_t		*p = dst;
	uint64_t	 i;
	uint32_t	 x = (uint32_t)(uintptr_t)arg * 2654435761u + 1;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

/* F32/F16 data must be finite for engines; zero is fine for fixtures. */
static void
fill_zero(void *dst, uint64_t n, void *arg)
{
	(void)arg;
	memset(dst, 0, n);
}

static void
save(struct gguf_writer *w, const char *name)
{
	char	*path, *cause = NULL;

	xasprintf(&path, "%s/%.*s", dir, (int)strlen(name) -
	    (noext ? 5 : 0), name);
	if (gguf_writer_save(w, path, &cause) != 0) {
		fprintf(stderr, "gguf-mkfixture: %s\n", cause);
		free(cause);
		failed = 1;
	}
	free(path);
	gguf_writer_free(w);
}

/* Write bytes b[0..n) as name. */
static void
save_bytes(const void *b, size_t n, const char *name)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%.*s", dir, (int)strlen(name) -
	    (noext ? 5 : 0), name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "gguf-mkfixture: %s: write failed\n", path);
		failed = 1;
	}
	free(path);
}

static void
tensor(struct gguf_writer *w, const char *name, uint32_t type, int64_t ne0,
    int64_t ne1, int seed)
{
	int64_t	ne[2] = { ne0, ne1 };

	gguf_w_tensor_fill(w, name, type, ne1 > 0 ? 2 : 1, ne,
	    type == QT_F32 || type == QT_F16 ? fill_zero : fill_bytes,
	    (void *)(uintptr_t)seed);
}

static void
vocab(struct gguf_writer *w, int n)
{
	const char	*base[] = { "<unk>", "<s>", "</s>", "<|im_start|>",
			    "<|im_end|>", "\xe2\x96\x81the", "\xe2\x96\x81\x61",
			    "<0x0A>" };
	const char	**toks;
	float		*scores;
	int32_t		*types;
	char		**own;
	int		 i;

	toks = xcalloc((size_t)n, sizeof *toks);
	own = xcalloc((size_t)n, sizeof *own);
	scores = xcalloc((size_t)n, sizeof *scores);
	types = xcalloc((size_t)n, sizeof *types);
	for (i = 0; i < n; i++) {
		if (i < 8)
			toks[i] = base[i];
		else {
			xasprintf(&own[i], "tok%d", i);
			toks[i] = own[i];
		}
		scores[i] = -(float)i;
		types[i] = (i < 3 || i == 3 || i == 4) ? 3 : 1;
	}
	types[0] = 2;
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, (uint64_t)n);
	gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, scores,
	    (uint64_t)n);
	gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_T_INT32, types,
	    (uint64_t)n);
	gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1);
	gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2);
	for (i = 0; i < n; i++)
		free(own[i]);
	free(own);
	free(toks);
	free(scores);
	free(types);
}

/* A llama-shaped model: dim E, ffn F, L layers, K-quant mix if kq. */
static struct gguf_writer *
model(int E, int F, int L, int V, int kq, int ftype)
{
	struct gguf_writer	*w = gguf_writer_new(3);
	char			 name[64];
	int			 l, seed = 0;
	uint32_t		 wt = kq ? QT_Q4_K : QT_Q8_0;
	uint32_t		 hi = kq ? QT_Q6_K : QT_Q8_0;

	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_str(w, "general.name", "medchat fixture");
	if (ftype >= 0)
		gguf_w_u32(w, "general.file_type", (uint32_t)ftype);
	gguf_w_u32(w, "general.quantization_version", 2);
	gguf_w_u32(w, "llama.context_length", 256);
	gguf_w_u32(w, "llama.embedding_length", (uint32_t)E);
	gguf_w_u32(w, "llama.block_count", (uint32_t)L);
	gguf_w_u32(w, "llama.feed_forward_length", (uint32_t)F);
	gguf_w_u32(w, "llama.attention.head_count", 4);
	gguf_w_u32(w, "llama.attention.head_count_kv", 2);
	gguf_w_u32(w, "llama.rope.dimension_count", (uint32_t)E / 4);
	gguf_w_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	gguf_w_f32(w, "llama.rope.freq_base", 10000.0f);
	vocab(w, V);
	gguf_w_str(w, "tokenizer.chat_template", "{% for m in messages %}"
	    "{{'<|im_start|>' + m['role'] + '\n' + m['content'] + "
	    "'<|im_end|>\n'}}{% endfor %}");
	tensor(w, "token_embd.weight", wt == QT_Q4_K ? QT_Q8_0 : wt, E, V, 1);
	tensor(w, "output_norm.weight", QT_F32, E, 0, 2);
	tensor(w, "output.weight", hi, E, V, 3);
	for (l = 0; l < L; l++) {
#define T(s, ty, a, b) do { \
	snprintf(name, sizeof name, "blk.%d.%s.weight", l, s); \
	tensor(w, name, ty, a, b, 100 + seed++); \
} while (0)
		T("attn_norm", QT_F32, E, 0);
		T("attn_q", wt, E, E);
		T("attn_k", wt, E, E / 2);
		T("attn_v", hi, E, E / 2);
		T("attn_output", wt, E, E);
		T("ffn_norm", QT_F32, E, 0);
		T("ffn_gate", wt, E, F);
		T("ffn_up", wt, E, F);
		T("ffn_down", hi, F, E);
#undef T
	}
	return w;
}

/* A llama file with an n-token vocabulary and no tensors. */
static struct gguf_writer *
vocab_only(int n)
{
	struct gguf_writer	*w = gguf_writer_new(3);

	gguf_w_str(w, "general.architecture", "llama");
	vocab(w, n);
	return w;
}

/*
 * The broken files made from the small Q8_0 model: truncated.gguf (cut
 * 100 bytes short), bad-magic.gguf (GGML's magic; if bad_magic) and
 * v1.gguf (version 1).
 */
static void
save_broken(int bad_magic)
{
	struct gguf_writer	*w = model(32, 64, 1, 8, 0, 7);
	uint8_t			*b;
	size_t			 n;

	b = gguf_writer_bytes(w, &n);
	gguf_writer_free(w);
	save_bytes(b, n - 100, "truncated.gguf");
	if (bad_magic) {
		memcpy(b, "GGML", 4);
		save_bytes(b, n, "bad-magic.gguf");
		memcpy(b, "GGUF", 4);
	}
	b[4] = 1;
	save_bytes(b, n, "v1.gguf");
	free(b);
}

/* Keys, names and values that must not reach a terminal raw. */
static struct gguf_writer *
nasty(void)
{
	struct gguf_writer	*w = gguf_writer_new(3);
	uint8_t			 u8[3] = { 0, 127, 255 };
	int8_t			 i8[3] = { -128, 0, 127 };
	uint16_t		 u16[2] = { 0, 65535 };
	int16_t			 i16[2] = { -32768, 32767 };
	uint64_t		 u64[2] = { 0, UINT64_MAX };
	int64_t			 i64[2] = { INT64_MIN, INT64_MAX };
	double			 f64[3] = { 0.1, -1e300, 3.141592653589793 };
	float			 f32[4] = { 1.5f, -0.0f, NAN, INFINITY };
	int32_t			 many[100];
	uint8_t			 bools[2] = { 1, 0 };
	const char		*strs[3] = { "plain", "esc\x1b[2Jclear",
				    "bad\xff\xfeutf8" };
	char			 longs[1001];
	int64_t			 ne[1] = { 32 };
	float			 v[32];
	int			 i;

	for (i = 0; i < 100; i++)
		many[i] = i * i;
	memset(longs, 'x', 1000);
	longs[1000] = '\0';
	memset(v, 0, sizeof v);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_str(w, "general.name", "evil\x1b]0;title\x07\nname\r\"q\"\\");
	gguf_w_str(w, "evil.\x1b[31mred", "\xc3\xa9t\xc3\xa9 \xe2\x80\xae"
	    "rtl \x7f del \xc2\x85 nel");
	gguf_w_str(w, "evil.invalid", "\xff\xfe\xc0\xaf");
	gguf_w_str(w, "evil.long", longs);
	gguf_w_str(w, "evil.empty", "");
	gguf_w_arr(w, "t.u8", GGUF_T_UINT8, u8, 3);
	gguf_w_arr(w, "t.i8", GGUF_T_INT8, i8, 3);
	gguf_w_arr(w, "t.u16", GGUF_T_UINT16, u16, 2);
	gguf_w_arr(w, "t.i16", GGUF_T_INT16, i16, 2);
	gguf_w_arr(w, "t.u64", GGUF_T_UINT64, u64, 2);
	gguf_w_arr(w, "t.i64", GGUF_T_INT64, i64, 2);
	gguf_w_arr(w, "t.f64", GGUF_T_FLOAT64, f64, 3);
	gguf_w_arr(w, "t.f32", GGUF_T_FLOAT32, f32, 4);
	gguf_w_arr(w, "t.bool", GGUF_T_BOOL, bools, 2);
	gguf_w_arr(w, "t.many", GGUF_T_INT32, many, 100);
	gguf_w_arr(w, "t.empty", GGUF_T_INT32, many, 0);
	gguf_w_arr_str(w, "t.strs", strs, 3);
	gguf_w_f32(w, "t.nan", NAN);
	gguf_w_f32(w, "t.ninf", -INFINITY);
	gguf_w_bool(w, "t.false", 0);
	gguf_w_i32(w, "t.neg", -2147483647 - 1);
	gguf_w_u64(w, "t.big", UINT64_MAX);
	gguf_w_tensor(w, "evil\x1b[0m.weight", QT_F32, 1, ne, v);
	gguf_w_tensor(w, "caf\xc3\xa9.weight", QT_F32, 1, ne, v);
	return w;
}

static void
fixtures(void)
{
	struct gguf_writer	*w;
	int64_t			 ne[2] = { 64, 4 };
	uint64_t		 une[2] = { 172, 4 };
	float			 v[256];

	save(model(256, 512, 1, 16, 1, -1), "tiny-kmix.gguf");
	save(nasty(), "nasty-strings.gguf");

	memset(v, 0, sizeof v);
	w = gguf_writer_new(2);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_u32(w, "general.alignment", 64);
	gguf_w_u32(w, "general.file_type", 0);
	gguf_writer_set_alignment(w, 64);
	gguf_w_tensor(w, "a.weight", QT_F32, 2, ne, v);
	ne[1] = 1;
	gguf_w_tensor(w, "b.weight", QT_F16, 1, ne, v);
	save(w, "v2-align64.gguf");

	save(vocab_only(40), "vocab-only.gguf");

	/* broken files */
	save_broken(1);
	w = gguf_writer_new(2);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_tensor_raw(w, "blk.0.ffn_down.weight", 21, QT_Q8_0, 2, une,
	    NULL, 172 * 4 / 32 * 34 + 34, GGUF_W_AUTO);
	save(w, "legacy-q8_0.gguf");
}

/*
 * The pieces escape.gguf answers with, in order: whatever the prompt,
 * greedy decoding walks this chain and ends with </s>.  Terminal escape
 * sequences a hostile model file could carry: window title (OSC 0),
 * clipboard write (OSC 52, "echo pwned"), clear screen, leave the
 * alternate screen, a carriage return and erase-line that would hide
 * the dose before it, BEL, the C1 controls NEL and CSI as UTF-8, bidi
 * override and isolate, and an OSC 0 cut in two pieces.  "\xe2\x96\x81"
 * is SentencePiece's space.
 */
static const char *const escape_pieces[] = {
	"Title\x1b]0;PWNED-TITLE\x07",
	"\x1b]52;c;ZWNobyBwd25lZA==\x07",
	"\x1b[2J",
	"\x1b[?1049l",
	"\xe2\x96\x81" "dose\xe2\x96\x81" "5\xe2\x96\x81" "mg\r\x1b[K",
	"\x07",
	"\xc2\x85",
	"\xc2\x9b" "31m",
	"\xe2\x80\xae" "gm\xe2\x96\x81" "05\xe2\x80\xac",
	"\xe2\x81\xa6" "iso\xe2\x81\xa9",
	"\x1b",
	"]0;SPLIT-TITLE\x07",
	"\xe2\x96\x81" "end\n",
};
#define ESCAPE_N	(sizeof escape_pieces / sizeof escape_pieces[0])

/*
 * escape.gguf: a one-layer llama whose blocks are all zero, so each
 * position's hidden state is its token's embedding and the next token
 * depends on the last one only.  Token t of the chain has the one-hot
 * embedding e_slot(t); the output row of its successor is 10 e_slot(t).
 * The prompt's last token (a word, the newline byte of a chat template,
 * or <unk>) has slot 0 and leads to the first piece; the last piece
 * leads to </s>.  escape.txt holds the chain's text: what generate and
 * ask must write to a pipe.
 */
static void
escape_model(void)
{
	enum { E = 32, FF = 32, FIRST = 7 };
	const char	*toks[FIRST + ESCAPE_N];
	float		 scores[FIRST + ESCAPE_N], *x;
	int32_t		 types[FIRST + ESCAPE_N];
	int64_t		 ne[2];
	struct gguf_writer *w;
	struct buf	 text = BUF_INIT;
	const char	*p;
	char		*path, name[64];
	FILE		*f;
	size_t		 i;
	int		 V = FIRST + (int)ESCAPE_N, l, t;
	static const char *const mats[] = { "attn_q", "attn_k", "attn_v",
			    "attn_output", "ffn_gate", "ffn_up", "ffn_down" };
	const int	 rows[] = { E, E / 2, E / 2, E, FF, FF, E };

	toks[0] = "<unk>";
	toks[1] = "<s>";
	toks[2] = "</s>";
	toks[3] = "<|im_start|>";
	toks[4] = "<|im_end|>";
	toks[5] = "<0x0A>";
	toks[6] = "\xe2\x96\x81go";
	for (t = 0; t < V; t++) {
		if (t >= FIRST)
			toks[t] = escape_pieces[t - FIRST];
		scores[t] = -(float)t;
		types[t] = t == 0 ? 2 : t <= 4 ? 3 : t == 5 ? 6 : 1;
	}
	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_str(w, "general.name", "escape\x1b]0;NAME-TITLE\x07 test");
	gguf_w_u32(w, "general.file_type", 0);
	gguf_w_u32(w, "llama.context_length", 4096);
	gguf_w_u32(w, "llama.embedding_length", E);
	gguf_w_u32(w, "llama.block_count", 1);
	gguf_w_u32(w, "llama.feed_forward_length", FF);
	gguf_w_u32(w, "llama.attention.head_count", 4);
	gguf_w_u32(w, "llama.attention.head_count_kv", 2);
	gguf_w_u32(w, "llama.rope.dimension_count", E / 4);
	gguf_w_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	gguf_w_f32(w, "llama.rope.freq_base", 10000.0f);
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, (uint64_t)V);
	gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, scores,
	    (uint64_t)V);
	gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_T_INT32, types,
	    (uint64_t)V);
	gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1);
	gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2);
	gguf_w_str(w, "tokenizer.chat_template", "chatml");

	x = xcalloc((size_t)V * E, sizeof *x);
	/* Embeddings: slot 0 for the prompt's ends, slot k for piece k-1. */
	x[0 * E + 0] = x[5 * E + 0] = x[6 * E + 0] = 1;
	for (t = FIRST; t < V; t++)
		x[(size_t)t * E + (t - FIRST + 1)] = 1;
	ne[0] = E;
	ne[1] = V;
	gguf_w_tensor(w, "token_embd.weight", QT_F32, 2, ne, x);
	memset(x, 0, (size_t)V * E * sizeof *x);
	for (t = FIRST; t < V; t++)
		x[(size_t)t * E + (t - FIRST)] = 10;
	x[2 * E + ESCAPE_N] = 10;	/* after the last piece, </s> */
	gguf_w_tensor(w, "output.weight", QT_F32, 2, ne, x);
	for (i = 0; i < E; i++)
		x[i] = 1;
	gguf_w_tensor(w, "output_norm.weight", QT_F32, 1, ne, x);
	memset(x, 0, (size_t)V * E * sizeof *x);
	for (l = 0; l < 2; l++) {
		snprintf(name, sizeof name, "blk.0.%s.weight",
		    l == 0 ? "attn_norm" : "ffn_norm");
		gguf_w_tensor(w, name, QT_F32, 1, ne, x);
	}
	for (i = 0; i < sizeof mats / sizeof mats[0]; i++) {
		snprintf(name, sizeof name, "blk.0.%s.weight", mats[i]);
		ne[0] = i == 6 ? FF : E;
		ne[1] = rows[i];
		gguf_w_tensor(w, name, QT_F32, 2, ne, x);
	}
	free(x);
	save(w, "escape.gguf");

	for (i = 0; i < ESCAPE_N; i++) {
		for (p = escape_pieces[i]; *p != '\0'; p++) {
			if (strncmp(p, "\xe2\x96\x81", 3) == 0) {
				buf_putc(&text, ' ');
				p += 2;
			} else
				buf_putc(&text, *p);
		}
	}
	xasprintf(&path, "%s/escape.txt", dir);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(text.data, 1, text.len, f) != text.len || fclose(f) != 0) {
		fprintf(stderr, "gguf-mkfixture: %s: write failed\n", path);
		failed = 1;
	}
	free(path);
	buf_free(&text);
}

/* Tiny seeds for the fuzzer: every structure, few bytes each. */
static void
corpus(void)
{
	struct gguf_writer	*w;
	uint8_t			*b;
	size_t			 n;
	int64_t			 ne[3] = { 32, 2, 2 };
	int64_t			 nk[2] = { 256, 1 };
	float			 v[128];
	uint32_t		 t, types[] = { QT_F32, QT_F16, QT_BF16,
				    QT_Q4_0, QT_Q4_1, QT_Q5_0, QT_Q5_1,
				    QT_Q8_0 };
	uint32_t		 ktypes[] = { QT_Q2_K, QT_Q3_K, QT_Q4_K,
				    QT_Q5_K, QT_Q6_K };
	char			 name[64];

	memset(v, 0, sizeof v);
	save(model(32, 64, 1, 8, 0, 7), "model-q8_0.gguf");
	save(nasty(), "nasty.gguf");

	w = gguf_writer_new(3);
	for (t = 0; t < sizeof types / sizeof types[0]; t++) {
		snprintf(name, sizeof name, "t%u", types[t]);
		gguf_w_tensor_fill(w, name, types[t], 3, ne, fill_bytes, NULL);
	}
	for (t = 0; t < sizeof ktypes / sizeof ktypes[0]; t++) {
		snprintf(name, sizeof name, "k%u", ktypes[t]);
		gguf_w_tensor_fill(w, name, ktypes[t], 2, nk, fill_bytes, NULL);
	}
	save(w, "all-types.gguf");

	w = gguf_writer_new(2);
	gguf_w_u32(w, "general.alignment", 8);
	gguf_writer_set_alignment(w, 8);
	gguf_w_tensor(w, "x", QT_F32, 1, ne, v);
	gguf_w_tensor(w, "y", QT_F32, 2, ne, v);
	save(w, "align8.gguf");

	save(vocab_only(12), "vocab.gguf");

	w = gguf_writer_new(3);
	b = gguf_writer_bytes(w, &n);
	gguf_writer_free(w);
	save_bytes(b, n, "empty-gguf.gguf");
	free(b);

	save_broken(0);
}

/* Hostile inputs kept as regression files for the replay test. */
static void
hostile(void)
{
	struct gguf_writer	*w;
	uint8_t			 val[32];
	uint64_t		 ne[2] = { 32, 1 };
	int64_t			 sne[1] = { 32 };
	float			 v[32];
	size_t			 i;

	memset(v, 0, sizeof v);
	w = gguf_writer_new(3);
	gguf_w_tensor(w, "a", QT_F32, 1, sne, v);
	gguf_w_tensor_raw(w, "b", 1, QT_F32, 1, ne, NULL, 128, 0);
	save(w, "overlap.gguf");

	w = gguf_writer_new(3);
	gguf_w_tensor_raw(w, "w", 1, QT_F32, 1, ne, NULL, 128,
	    UINT64_MAX - 31);
	save(w, "offset-wraps.gguf");

	w = gguf_writer_new(3);
	for (i = 0; i < 12; i++)
		val[i] = 0;
	val[0] = GGUF_T_STRING;
	for (i = 4; i < 12; i++)
		val[i] = 0xff;
	gguf_w_kv_raw(w, "s", 1, GGUF_T_ARRAY, val, 12);
	save(w, "string-array-huge-count.gguf");

	w = gguf_writer_new(3);
	val[0] = GGUF_T_ARRAY;
	val[4] = 1;
	for (i = 5; i < 12; i++)
		val[i] = 0;
	gguf_w_kv_raw(w, "n", 1, GGUF_T_ARRAY, val, 12);
	save(w, "nested-array.gguf");

	w = gguf_writer_new(3);
	gguf_w_u32(w, "general.alignment", 0);
	gguf_w_tensor_raw(w, "w", 1, QT_F32, 1, ne, NULL, 128, GGUF_W_AUTO);
	save(w, "alignment-zero.gguf");

	w = gguf_writer_new(3);
	ne[0] = (uint64_t)1 << 31;
	ne[1] = (uint64_t)1 << 31;
	gguf_w_tensor_raw(w, "w", 1, QT_F32, 2, ne, NULL, 0, 0);
	save(w, "nbytes-overflow.gguf");
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-c") == 0) {
		dir = argv[2];
		noext = 1;
		corpus();
	} else if (argc == 3 && strcmp(argv[1], "-r") == 0) {
		dir = argv[2];
		noext = 1;
		hostile();
	} else if (argc == 3 && strcmp(argv[1], "-e") == 0) {
		dir = argv[2];
		escape_model();
	} else if (argc == 2) {
		dir = argv[1];
		fixtures();
	} else {
		fprintf(stderr, "usage: gguf-mkfixture [-c | -r | -e] DIR\n");
		return 2;
	}
	return failed;
}
