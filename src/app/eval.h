/*
 * eval.h -- measuring a model file: perplexity on a text, KL divergence
 * of its next-token distributions from a base file's over the same
 * tokens, and a short speed measurement.  Used by `medchat eval`
 * (src/cli/cli-eval.c) and the model menu (in the background).
 *
 * Perplexity is computed as llama.cpp's llama-perplexity computes it: the
 * whole text is tokenized once (BOS first when the vocabulary adds one);
 * it is cut into chunks of n_ctx tokens, each evaluated from an empty
 * context with its first token replaced by BOS, and only the second half
 * of each chunk is scored (the first half gives every scored token at
 * least n_ctx/2 tokens of context).  The standard error is that of the
 * mean negative log-likelihood, carried to the perplexity.
 *
 * Memory of a KLD run: the two files are never loaded at once.  The base
 * file is loaded, its log-probabilities of the scored positions are
 * written chunk by chunk to an unlinked temporary file (one chunk's in
 * memory at a time), it is closed, then the file is loaded and read back
 * against it chunk by chunk.  The peak is the larger of the two models
 * plus two chunks of logits (n_ctx/2 x n_vocab floats each).
 *
 * Threads: every function runs on the caller's thread (any thread: no
 * curses, no store inside) and calls progress on that thread.  cancel
 * (may be NULL) is polled between chunks (and between the steps of a
 * speed measurement): when it is set the result so far is returned with
 * m.complete = 0 and rc 1.  0: complete; -1: error with *cause (one line
 * naming the file).
 */
#ifndef EVAL_H
#define EVAL_H

#include <stdatomic.h>

#include "store.h"

/* The context a measurement uses unless told otherwise. */
#define EVAL_CTX_DEFAULT	512
/* A speed measurement: prompt tokens, then generated tokens. */
#define EVAL_SPEED_PROMPT	64
#define EVAL_SPEED_GEN		16

struct eval_opts {
	const char	*model;		/* FILE */
	const char	*base;		/* kld: BASEFILE, else NULL */
	const char	*text;		/* evaluation text file; NULL: the
					   built-in one (data/) */
	int		 n_ctx;		/* 0: default 512 (clamped to the
					   model's trained context) */
	int		 max_chunks;	/* 0: all */
	int		 threads;	/* 0: default */
	/*
	 * The files' SHA-256 (64 hex digits) when the caller knows it (the
	 * catalog's cache), else NULL: then the eval code reads the file.
	 */
	const char	*model_sha;
	const char	*base_sha;
};

struct eval_progress {
	int	 phase;		/* 0: base pass (kld), 1: the file (ppl or
				   kld), 2: speed */
	int	 chunk, n_chunks;	/* done / total of this phase */
	double	 elapsed_s, eta_s;	/* eta_s < 0: unknown */
	double	 value;		/* running estimate: ppl (phase 0/1) or
				   tok/s (phase 2) */
	/* added: */
	int	 n_tokens;	/* tokens scored so far in this phase */
	double	 kld;		/* phase 1 of kld: running mean KLD */
};
typedef void (*eval_progress_fn)(const struct eval_progress *, void *arg);

/*
 * The result: m filled as for store_measure_add (complete = 0 when
 * cancelled); m's strings are owned by the result (eval_result_free).
 */
struct eval_result {
	struct store_measure	 m;
};

int	 eval_ppl(const struct eval_opts *, const atomic_int *cancel,
	    eval_progress_fn, void *arg, struct eval_result *, char **cause);
int	 eval_kld(const struct eval_opts *, const atomic_int *cancel,
	    eval_progress_fn, void *arg, struct eval_result *, char **cause);
/*
 * A short speed measurement (a few seconds on a 7B file): a prompt of
 * EVAL_SPEED_PROMPT random tokens as one batch, then EVAL_SPEED_GEN
 * tokens one at a time, as `medchat bench` does; stored as kind "speed".
 */
int	 eval_speed(const char *model, int threads, const atomic_int *cancel,
	    eval_progress_fn, void *arg, struct eval_result *, char **cause);
/* The same with the file's SHA-256 when the caller knows it (NULL: read). */
int	 eval_speed_sha(const char *model, const char *model_sha, int threads,
	    const atomic_int *cancel, eval_progress_fn, void *arg,
	    struct eval_result *, char **cause);
void	 eval_result_free(struct eval_result *);

/*
 * What a measurement of opts would be stored under, without measuring:
 * the text's name and SHA-256, the context (n_ctx resolved against the
 * file's trained context) and the chunk count, and the files' hashes
 * (computed when not given): for finding a stored result first
 * (store_measure_find).  m's strings are new (store_measure_free).
 * 0, or -1 and *cause.
 */
int	 eval_plan(const struct eval_opts *, const char *kind,
	    struct store_measure *m, char **cause);

/* The built-in evaluation text (data/eval-text.txt) and its length. */
const char *eval_builtin_text(size_t *len);

#endif
