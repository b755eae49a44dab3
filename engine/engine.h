/*
 * engine.h -- the ONLY engine header that src/ and ui/ may include.
 *
 * The engine loads a llama-architecture GGUF model, tokenizes, runs the
 * forward pass on a thread pool and samples.  It never touches curses,
 * readline or SQLite.  Errors: functions return -1 and set *cause to one
 * line (caller frees with free()).
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- file inspection (engine/inspect.c) ------------------------------ */

/* What the model menu and the store's catalog need to know of a file. */
struct engine_file_summary {
	char		 arch[32];	/* "llama" */
	char		 name[128];	/* general.name or "" */
	char		 quant[32];	/* "Q4_K_M" (from general.file_type, or
					   guessed from the tensor mix) */
	uint64_t	 file_size;
	uint64_t	 n_params;
	uint32_t	 n_ctx_train;
	double		 bpw;		/* bits per weight */
	uint32_t	 n_layer, n_embd, n_head, n_head_kv, n_vocab;
	uint32_t	 n_ff;		/* feed-forward width (largest layer) */
};

/* Validate and summarize a GGUF file (no weights touched). */
int	 engine_probe(const char *path, struct engine_file_summary *,
	    char **cause);
/* Bytes needed to run at n_ctx: weights + f16 KV cache + run buffers. */
uint64_t engine_mem_needed(const struct engine_file_summary *, uint32_t n_ctx);
/* `medchat inspect` output, text or JSON, to out. */
int	 engine_inspect(const char *path, int json, FILE *out, char **cause);

/* ---- models written by our own GGUF writer (engine/synth.c) ---------- */

/*
 * Write a tiny random llama model with a real-looking SPM vocabulary and
 * ChatML tokens, labelled "medchat demo (random weights)".  Its answers
 * are meaningless; it exists so every screen can be tried without a
 * download.  0 or -1 with *cause.
 */
int	 engine_write_demo_model(const char *path, char **cause);

/* ---- inference (engine/engine.c) ------------------------------------- */

struct engine;

/*
 * The limits a user may ask for, one definition for every front end: the
 * context size (memory refuses far less on real machines) and the number
 * of threads the pool runs.
 */
#define ENGINE_CTX_MAX		(1 << 20)
#define ENGINE_THREADS_MAX	256

struct engine_opts {
	const char	*path;
	int		 n_ctx;		/* 0 = model's context, capped by memory */
	int		 n_threads;	/* 0 = number of physical cores */
	/* called from the loading thread with 0..1; may be NULL */
	void		(*progress)(float frac, void *arg);
	void		*progress_arg;
	/*
	 * A directory (made 0700 by the caller) for the prompt-prefix
	 * cache: the K/V of a chat prompt's leading system message(s) are
	 * written there after an answer and read by later engines on the
	 * same model file and kernels instead of being evaluated (bit for
	 * bit the same answer).  NULL: no cache.
	 */
	const char	*prefix_dir;
};

struct engine_info {
	const char	*path;
	const char	*file_name;	/* basename */
	const char	*model_name;	/* general.name or file name */
	const char	*quant;		/* "Q4_K_M" */
	const char	*template_name;	/* detected default template */
	const char	*cpu;		/* kernel path: scalar/avx2/neon/... */
	const char	*kernels;	/* per weight type: "Q4_K avx2, ..."
					   ("+tile": packed prefill tiles) */
	uint64_t	 file_size;
	uint64_t	 n_params;
	uint64_t	 token_bytes;	/* weight bytes read per decoded token */
	int		 n_ctx_train, n_ctx, n_vocab, n_layer, n_embd;
	int		 n_threads;
};

int	 engine_open(const struct engine_opts *, struct engine **, char **cause);
void	 engine_close(struct engine *);
const struct engine_info *engine_get_info(const struct engine *);

enum engine_role { ENGINE_SYSTEM = 0, ENGINE_USER = 1, ENGINE_ASSISTANT = 2 };

struct engine_msg {
	enum engine_role	 role;
	const char		*text;
};

struct engine_sampling {
	float		 temp;
	int		 top_k;
	float		 top_p;
	float		 min_p;
	float		 repeat_penalty;
	int		 repeat_last_n;
	uint64_t	 seed;
	int		 max_tokens;	/* -1 = until context full */
};
/* llama.cpp's common defaults; seed chosen from the clock. */
void	 engine_sampling_default(struct engine_sampling *);

/* What the prompt-prefix cache did for one answer (engine_result). */
enum engine_prefix {
	ENGINE_PREFIX_NONE = 0,	/* off, no system part, or already in the
				   KV cache from the previous call */
	ENGINE_PREFIX_LOADED,	/* read from the cache */
	ENGINE_PREFIX_SAVED,	/* evaluated, then written to the cache */
	ENGINE_PREFIX_UNSAVED,	/* evaluated; not written (the answer was
				   cancelled, or prefix_error) */
};

enum engine_stop {
	ENGINE_STOP_EOG = 0,	/* end-of-generation token or stop string */
	ENGINE_STOP_LENGTH,	/* max_tokens reached */
	ENGINE_STOP_CONTEXT,	/* context full */
	ENGINE_STOP_CANCEL,	/* engine_cancel() or emit returned nonzero */
};

struct engine_result {
	int		 n_prompt;	/* tokens in the prompt */
	int		 n_gen;		/* tokens generated */
	double		 prefill_tps;
	double		 decode_tps;
	int		 n_ctx_used;	/* KV positions in use after the answer */
	int		 trimmed;	/* oldest turns were dropped */
	int		 n_dropped;	/* how many messages were dropped: */
	int		 drop_first;	/* msgs[drop_first .. drop_first +
					   n_dropped), all of them */
	enum engine_stop stop;
	int		 n_cached;	/* prompt tokens reused from the KV
					   cache of the previous call or the
					   prefix cache */
	enum engine_prefix prefix;
	int		 n_prefix;	/* tokens of the system part that the
					   prefix cache read or wrote */
	const char	*prefix_error;	/* why the cache's file could not be
					   read or written (one line naming
					   the file and offset; the answer
					   is the same: the prefix was then
					   evaluated), or NULL; valid until
					   the engine's next call */
};

/*
 * Stream the text of each generated piece (always whole UTF-8 sequences,
 * stop strings removed).  Return nonzero to stop generation.
 */
typedef int (*engine_emit_fn)(const char *text, size_t len, void *arg);

/*
 * Answer the conversation msgs[0..n) (the last one a user message) using
 * template tmpl ("chatml", "meditron", "llama2"; NULL = the model's).
 * System and user texts are tokenized with special tokens OFF.  If the
 * prompt does not fit, the oldest whole turns after the system message
 * are dropped and reported in *res.  The KV cache is reused for the
 * common prefix with the previous call.  Called from one thread at a
 * time; engine_cancel() may be called from any thread.
 */
int	 engine_chat(struct engine *, const char *tmpl,
	    const struct engine_msg *msgs, int n,
	    const struct engine_sampling *, engine_emit_fn, void *arg,
	    struct engine_result *res, char **cause);
/* Raw completion of prompt (special tokens parsed), no template. */
int	 engine_complete(struct engine *, const char *prompt,
	    const struct engine_sampling *, engine_emit_fn, void *arg,
	    struct engine_result *res, char **cause);
/* Request that the running engine_chat/complete stop (within one token,
   or one layer of the prompt evaluation; no text after a prompt cut). */
void	 engine_cancel(struct engine *);
/* Tokens the conversation would take (for the status bar). */
int	 engine_count_tokens(struct engine *, const char *tmpl,
	    const struct engine_msg *msgs, int n);

/* Names of the built-in templates, NULL-terminated. */
const char *const *engine_template_names(void);
/*
 * The prompt text template tmpl ("chatml", "meditron", "llama2") makes of
 * msgs[0..n), ending with the opening of the assistant's turn: exactly the
 * text engine_chat tokenizes (BOS not included), for a server that
 * tokenizes it itself.  malloc'd (caller frees), or NULL and *cause for
 * an unknown template.
 */
char	*engine_render_prompt(const char *tmpl, const struct engine_msg *msgs,
	    int n, char **cause);
/*
 * The template's stop strings (NULL-terminated: text a model may write to
 * end or open a turn), or NULL for an unknown template.
 */
const char *const *engine_template_stops(const char *tmpl);
/*
 * The texts that are control tokens in the vocabularies the template is
 * used with ("<|im_start|>", "</s>", ...; NULL-terminated), or NULL for
 * an unknown template.  Our engine tokenizes them in a message as plain
 * text, but a server given the rendered prompt as text reads them as
 * markup: a message holding one cannot be sent as raw prompt text.
 */
const char *const *engine_template_markers(const char *tmpl);

/* ---- debugging and benchmarks (src/cli/cli-debug.c, src/cli/cli-bench-model.c) */

/*
 * A model file's tokenizer alone, its weights neither read nor checked:
 * for tools that need only the vocabulary, and for llama.cpp's
 * vocabulary-only files.  engine_vocab_open: 0, or -1 with *cause (one
 * line naming the file; an unsupported tokenizer type, e.g. byte-level
 * BPE, by its name).
 */
struct engine_vocab;
int	 engine_vocab_open(const char *path, struct engine_vocab **,
	    char **cause);
void	 engine_vocab_close(struct engine_vocab *);
int	 engine_vocab_size(const struct engine_vocab *);
/*
 * Token ids of text[0..len): BOS first if add_special and the vocabulary
 * adds one; parse_special 0 treats control-token texts as plain text.
 * *ids is malloc'd (caller frees), *n its length.
 */
void	 engine_vocab_tokenize(const struct engine_vocab *, const char *text,
	    size_t len, int add_special, int parse_special, int32_t **ids,
	    int *n);
/*
 * Text of ids[0..n) (control tokens produce nothing; the dummy-prefix
 * space at the start removed, as SentencePiece decodes), malloc'd and
 * NUL-terminated, its length (NUL bytes included) in *len; NULL with
 * *cause if an id is out of range.
 */
char	*engine_vocab_detokenize(const struct engine_vocab *,
	    const int32_t *ids, int n, size_t *len, char **cause);

/*
 * Token ids of text (BOS first when the model adds one); parse_special 0
 * treats control-token texts as plain text.  *ids is malloc'd (caller
 * frees), *n its length.  Returns 0.
 */
int	 engine_tokenize(struct engine *, const char *text, int parse_special,
	    int32_t **ids, int *n);
/*
 * Evaluate ids[0..n) as one prompt from an empty context and write the
 * logits of positions from..n-1 to logits[(i - from) * n_vocab + v]
 * (caller allocates).  0, or -1 with *cause (ids out of range, n > n_ctx).
 */
int	 engine_eval(struct engine *, const int32_t *ids, int n, int from,
	    float *logits, char **cause);
/*
 * llama-bench's pp/tg on random tokens from an empty context: n_prompt
 * tokens as one batch, then n_gen tokens one at a time.  Tokens/s in
 * *pp_tps and *tg_tps (0 when the count is 0).  0 or -1 with *cause.
 */
int	 engine_bench(struct engine *, int n_prompt, int n_gen,
	    double *pp_tps, double *tg_tps, char **cause);
/*
 * The prompt ids engine_chat would evaluate for msgs (template applied,
 * trimmed as engine_chat trims; drops reported in *res).  *ids malloc'd,
 * caller frees.  0 or -1 with *cause (unknown template).
 */
int	 engine_chat_tokens(struct engine *, const char *tmpl,
	    const struct engine_msg *msgs, int n,
	    const struct engine_sampling *, int32_t **ids, int *nids,
	    struct engine_result *res, char **cause);
/* Bytes of run state allocated at open (KV cache included). */
uint64_t engine_kv_bytes(const struct engine *);
/*
 * Write a random-weight model shaped like a real file for benchmarks:
 * shape "7b" (Llama-2-7B) or "1b" (TinyLlama-1.1B), type one of q4_k_m,
 * q2_k, q3_k_m, q4_0, q5_0, q5_k_m, q6_k, q8_0 (the tensor type mix of
 * that llama.cpp ftype).  Streams to disk.  0 or -1 with *cause.
 */
int	 engine_write_synth_model(const char *path, const char *shape,
	    const char *type, char **cause);
/* The type mixes it knows ("q4_k_m", ...), NULL-terminated. */
const char *const *engine_synth_types(void);

/* ---- kernel benchmarks (engine/kbench.c, `medchat bench kernels`) ---- */

/* Kernel path chosen by the CPU probe / $MEDCHAT_CPU ("avx2", "neon", ...);
 * NULL + *cause. */
const char *engine_kernel_level(char **cause);
/* One kernel level as the CPU probe sees it (`medchat debug cpu`). */
struct engine_cpu_level {
	const char	*name;		/* "scalar", "avx2", ... (static) */
	int		 cpu;		/* the CPU and its OS have it */
	int		 built;		/* this build has its kernels */
};
/*
 * Level i (0 = scalar, in the order of $MEDCHAT_CPU's names) into *out:
 * 0, or -1 past the last.  Probes the CPU; installs nothing.
 */
int	 engine_cpu_level_info(int i, struct engine_cpu_level *out);
/*
 * Memory read bandwidth in GB/s (1e9 bytes/s): n_threads stream a buffer
 * of `bytes`, best of several passes.  0 if it cannot be allocated.
 */
double	 engine_bench_membw(int n_threads, size_t bytes);
/* Weight types engine_bench_matvec knows, NULL-terminated. */
const char *const *engine_bench_types(void);

#define ENGINE_KBENCH_MAX 4
struct engine_kbench {
	const char	*type;		/* "Q4_K" */
	size_t		 matrix_bytes;	/* one 4096 x nrows matrix */
	int		 n_matrices;	/* cycled through per pass */
	int		 n_runs;
	int		 threads[ENGINE_KBENCH_MAX];
	double		 gbs[ENGINE_KBENCH_MAX];	/* weights GB/s */
	double		 membw[ENGINE_KBENCH_MAX];	/* plain read of the
							   same bytes, GB/s */
};
/*
 * Matrix-vector throughput of weight type `type` with each thread count
 * threads[0..nruns), over random 4096 x nrows matrices (nrows 0: 11008)
 * totalling at least min_total bytes (at least 2 matrices).  0, or -1
 * with *cause.
 */
int	 engine_bench_matvec(const char *type, const int *threads, int nruns,
	    size_t min_total, int nrows, struct engine_kbench *, char **cause);

struct engine_kprefill {
	const char	*type;		/* "Q4_K" */
	int		 tiles;		/* the prefill runs packed tiles */
	int		 ncols, nrows;
	int		 n_runs;
	int		 threads[ENGINE_KBENCH_MAX];
	double		 gmacs[ENGINE_KBENCH_MAX];	/* 1e9 multiply-adds
							   per second */
	double		 gmacs_gemm[ENGINE_KBENCH_MAX];	/* tiles taken out
							   (= gmacs without) */
};
/*
 * Prefill throughput of weight type `type`: the threaded product of a
 * cache-resident 4096 x nrows matrix (nrows 0: 1024) with ncols columns,
 * with each thread count threads[0..nruns), through the type's prefill
 * path and, alternately, with its packed tiles taken out.  0, or -1 with
 * *cause.  Not thread-safe against other products running.
 */
int	 engine_bench_prefill(const char *type, const int *threads, int nruns,
	    int ncols, int nrows, struct engine_kprefill *, char **cause);

#endif
