/*
 * tokenizer.h -- SentencePiece (SPM, tokenizer.ggml.model = "llama")
 * tokenizer exactly as llama.cpp (ENGINE-NOTES §4), streaming detokenizer,
 * samplers (§5) and built-in chat templates (§6).  Engine-internal.
 */
#ifndef TOKENIZER_H
#define TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

struct gguf_file;

/* A growable vector of token ids. */
struct tokvec {
	int32_t	*v;
	size_t	 n, cap;
};
void	 tokvec_push(struct tokvec *, int32_t);
void	 tokvec_free(struct tokvec *);

/* ---- vocabulary and encoding ----------------------------------------- */

struct tokenizer;

/* Load from GGUF metadata; -1 with *cause (naming the key) on error. */
int	 tokenizer_load(const struct gguf_file *, struct tokenizer **,
	    char **cause);
void	 tokenizer_free(struct tokenizer *);
int	 tokenizer_n_vocab(const struct tokenizer *);
int32_t	 tokenizer_bos(const struct tokenizer *);	/* -1 if none */
int32_t	 tokenizer_eos(const struct tokenizer *);
int	 tokenizer_add_bos(const struct tokenizer *);	/* add BOS by default */
/* 1 if id ends generation (EOS, EOT, <|im_end|>, <|eot_id|>, ...). */
int	 tokenizer_is_eog(const struct tokenizer *, int32_t id);
/* Id of a token whose text is exactly s, or -1. */
int32_t	 tokenizer_find(const struct tokenizer *, const char *s);
/* Raw token text as stored in the vocab (NUL-terminated). */
const char *tokenizer_text(const struct tokenizer *, int32_t id);

/*
 * Append the tokens of text[0..len) to out.  add_bos prepends BOS (when
 * the vocab has one).  parse_special = 1 splits out control/user-defined
 * token texts first (template text); 0 treats everything as plain text
 * (ALWAYS for user-supplied text).  Invalid UTF-8 is handled as llama.cpp
 * does (byte fallback), never read out of bounds.
 */
void	 tokenizer_encode(const struct tokenizer *, const char *text,
	    size_t len, int add_bos, int parse_special, struct tokvec *out);

/*
 * The bytes that token id stands for when detokenized (byte tokens <0xAB>
 * become that byte, U+2581 becomes ' ', control tokens give "" unless
 * render_special).  Writes up to cap bytes into buf and returns the full
 * length.
 */
size_t	 tokenizer_piece(const struct tokenizer *, int32_t id,
	    int render_special, char *buf, size_t cap);

/*
 * Detokenize a whole sequence as llama.cpp does (a leading space after BOS
 * is removed when the vocab adds a space prefix).  Returns malloc'd string.
 */
char	*tokenizer_decode(const struct tokenizer *, const int32_t *ids,
	    size_t n, int render_special);

/*
 * Streaming detokenizer: feed ids one at a time; it outputs only complete
 * UTF-8 sequences, holding partial ones (and the leading space rule)
 * across calls.  detok_push returns the number of bytes appended to out
 * (a NUL-terminated buffer of at least 64 bytes).  detok_flush emits
 * whatever is held (invalid bytes as U+FFFD).
 */
struct detok {
	const struct tokenizer	*tok;
	char			 pend[8];
	size_t			 npend;
	int			 first;
};
void	 detok_init(struct detok *, const struct tokenizer *);
size_t	 detok_push(struct detok *, int32_t id, char *out, size_t cap);
size_t	 detok_flush(struct detok *, char *out, size_t cap);

/* ---- sampling --------------------------------------------------------- */

struct sampler_params {
	float		 temp;		/* 0.8; <= 0 means greedy */
	int		 top_k;		/* 40; <= 0 disables */
	float		 top_p;		/* 0.95; 1 disables */
	float		 min_p;		/* 0.05; 0 disables */
	float		 repeat_penalty;	/* 1.0 (llama.cpp default); 1 disables */
	int		 repeat_last_n;	/* 64 */
	uint64_t	 seed;		/* fixed seed; see sampler_create */
};
void	 sampler_params_default(struct sampler_params *);

struct sampler;
struct sampler *sampler_create(const struct sampler_params *, int n_vocab);
void	 sampler_free(struct sampler *);
void	 sampler_reset(struct sampler *);	/* forget history, reseed */
/* Record a token (prompt or generated) for the repetition penalty. */
void	 sampler_accept(struct sampler *, int32_t id);
/* Pick the next token; logits[n_vocab] may be modified. No allocation. */
int32_t	 sampler_sample(struct sampler *, float *logits);

/* ---- chat templates --------------------------------------------------- */

enum chat_role { CHAT_SYSTEM = 0, CHAT_USER = 1, CHAT_ASSISTANT = 2 };

struct chat_turn {
	enum chat_role	 role;
	const char	*text;
};

enum chat_tmpl {
	TMPL_CHATML = 0,	/* <|im_start|>role\n...<|im_end|>\n */
	TMPL_MEDITRON,		/* ChatML with question/answer roles */
	TMPL_LLAMA2,		/* [INST] <<SYS>> ... */
	TMPL_COUNT
};

const char *chatfmt_name(enum chat_tmpl);
/* Template by name ("chatml", "meditron", "llama2"), -1 if unknown. */
int	 chatfmt_lookup(const char *name);
/* Template from a tokenizer.chat_template Jinja string (never executed);
 * TMPL_CHATML if NULL or unrecognised. */
enum chat_tmpl chatfmt_detect(const char *jinja);

/*
 * Build the prompt for turns[0..n): template text is tokenized with
 * special tokens ON, every turn's text with special tokens OFF.  If
 * add_assistant, ends with the opening of an assistant turn.  When
 * turn_start is not NULL, turn_start[i] receives the index in out->v at
 * which turn i begins (for trimming by whole turns).
 */
void	 chatfmt_build(const struct tokenizer *, enum chat_tmpl,
	    const struct chat_turn *turns, int n, int add_assistant,
	    struct tokvec *out, size_t *turn_start);
/* NULL-terminated list of text stop strings for the template. */
const char *const *chatfmt_stops(enum chat_tmpl);

#endif
