/*
 * tokenizer.h -- SentencePiece (SPM, tokenizer.ggml.model = "llama")
 * tokenizer exactly as llama.cpp (docs/ENGINE.md, "Tokenizer"),
 * streaming detokenizer, samplers and built-in chat templates.
 * Engine-internal.
 */
#ifndef TOKENIZER_H
#define TOKENIZER_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "tokenizer.h is private to engine/: other layers include engine.h"
#endif

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
/* Move the ids of *tv into a new array *ids (caller frees) of *n, and
   free *tv. */
void	 tokvec_take(struct tokvec *, int32_t **ids, int *n);

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
/* 1 if id is a CONTROL token (<s>, </s>, <|im_start|>, ...). */
int	 tokenizer_is_control(const struct tokenizer *, int32_t id);
/* Whether the vocab adds the SentencePiece dummy-prefix space. */
int	 tokenizer_add_space_prefix(const struct tokenizer *);
/* Longest piece any token decodes to, in bytes (see detok_bufsize). */
size_t	 tokenizer_max_piece(const struct tokenizer *);

/*
 * Append the tokens of text[0..len) to out.  add_bos is llama.cpp's
 * add_special: it prepends BOS when the vocab's add_bos flag is set (and
 * appends EOS when its add_eos flag is set, which Llama vocabs do not).  parse_special = 1 splits out control/user-defined
 * token texts first (template text); 0 treats everything as plain text
 * (ALWAYS for user-supplied text).  Invalid UTF-8 is handled as llama.cpp
 * does (byte fallback), never read out of bounds.
 */
void	 tokenizer_encode(const struct tokenizer *, const char *text,
	    size_t len, int add_bos, int parse_special, struct tokvec *out);

/*
 * Encode the concatenation of segs[0..n) as ONE text (so SentencePiece
 * merges and the dummy-prefix rule see exactly what llama.cpp sees for the
 * whole string), but with special-token parsing chosen per segment: chat
 * template markup with parse_special = 1, message text with 0.  A special
 * token is only recognised inside one segment.  add_bos as for
 * tokenizer_encode.  If seg_first is not NULL, seg_first[i] receives the
 * index in out->v of the first token that starts at or after the start of
 * segment i (a token straddling the boundary belongs to the earlier
 * segment; out->n if there is none); BOS is never counted as part of a
 * segment.
 */
struct tok_seg {
	const char	*text;
	size_t		 len;
	int		 parse_special;
};
void	 tokenizer_encode_segs(const struct tokenizer *,
	    const struct tok_seg *segs, size_t n, int add_bos,
	    struct tokvec *out, size_t *seg_first);

/*
 * The bytes that token id stands for when detokenized (byte tokens <0xAB>
 * become that byte, U+2581 becomes ' ', control tokens give "" unless
 * render_special).  Writes up to cap bytes into buf (no NUL is added) and
 * returns the full length.  An id out of range gives "".
 */
size_t	 tokenizer_piece(const struct tokenizer *, int32_t id,
	    int render_special, char *buf, size_t cap);

/*
 * Detokenize a whole sequence: the concatenated pieces, with the dummy
 * space of the first piece removed when the vocab adds a space prefix
 * (llama_detokenize with remove_special = 0; unlike llama.cpp at
 * c392e5094 the space is also removed after a leading BOS, as
 * SentencePiece does, so decode(encode(x)) == x).  Returns a malloc'd,
 * NUL-terminated string (pieces may contain NUL bytes).
 */
char	*tokenizer_decode(const struct tokenizer *, const int32_t *ids,
	    size_t n, int render_special);
/* The same, its length (NUL bytes included) in *len if not NULL. */
char	*tokenizer_decode_len(const struct tokenizer *, const int32_t *ids,
	    size_t n, int render_special, size_t *len);

/*
 * Streaming detokenizer: feed ids one at a time; it outputs only complete,
 * valid UTF-8 sequences, holding partial ones (and the leading space rule)
 * across calls; a byte that can never become valid is written as U+FFFD.
 * detok_push writes the text at out[0] and NUL-terminates it; it returns
 * its length.  cap should be at least detok_bufsize() (64 is enough for
 * the Llama/Meditron vocabularies); with less, output is cut at a
 * character boundary and the rest is lost.  detok_flush emits whatever is
 * held (as U+FFFD) and resets the pending bytes.  Control tokens produce
 * nothing.  The concatenated output equals tokenizer_decode(ids,
 * render_special = 0) when that is valid UTF-8.
 */
struct detok {
	const struct tokenizer	*tok;
	char			 pend[8];	/* incomplete UTF-8 held back */
	size_t			 npend;		/* 0..4 */
	int			 first;		/* 2 start, 1 after BOS, 0;
						   set 0 after detok_init
						   for a continuation of
						   text (no space removed) */
};
void	 detok_init(struct detok *, const struct tokenizer *);
size_t	 detok_push(struct detok *, int32_t id, char *out, size_t cap);
size_t	 detok_flush(struct detok *, char *out, size_t cap);
size_t	 detok_bufsize(const struct tokenizer *);

/* ---- sampling --------------------------------------------------------- */

struct sampler_params {
	float		 temp;		/* 0.8; <= 0 means greedy */
	int		 top_k;		/* 40; <= 0 disables */
	float		 top_p;		/* 0.95; 1 disables */
	float		 min_p;		/* 0.05; 0 disables */
	float		 repeat_penalty;	/* 1.0 (llama.cpp default); 1 disables */
	int		 repeat_last_n;	/* 64; 0 disables (caller maps -1 to n_ctx) */
	float		 freq_penalty;	/* 0.0 */
	float		 presence_penalty;	/* 0.0 */
	uint64_t	 seed;		/* SAMPLER_SEED_RANDOM or a fixed seed */
};
/* llama.cpp's LLAMA_DEFAULT_SEED: pick a random seed at sampler_create. */
#define SAMPLER_SEED_RANDOM 0xFFFFFFFFu
void	 sampler_params_default(struct sampler_params *);

struct sampler;
/*
 * Allocates everything sampling needs (n_vocab-sized scratch, history
 * ring).  Out-of-range parameters are clamped to safe values (NaN or
 * negative probabilities to "off").  The same seed, logits and accepted
 * tokens always give the same choices.
 */
struct sampler *sampler_create(const struct sampler_params *, int n_vocab);
/* The seed in use (the drawn one if SAMPLER_SEED_RANDOM was asked). */
uint64_t sampler_seed(const struct sampler *);
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
/* The prompt text for turns[0..n) (what chatfmt_build tokenizes, without
 * BOS); malloc'd, caller frees. */
char	*chatfmt_render(enum chat_tmpl, const struct chat_turn *turns, int n,
	    int add_assistant);
/* Template by name ("chatml", "meditron", "llama2"), -1 if unknown. */
int	 chatfmt_lookup(const char *name);
/* Template from a tokenizer.chat_template Jinja string (never executed);
 * TMPL_CHATML if NULL or unrecognised. */
enum chat_tmpl chatfmt_detect(const char *jinja);

/*
 * Build the prompt for turns[0..n): template text is tokenized with
 * special tokens ON, every turn's text with special tokens OFF.  BOS is
 * prepended when the vocab adds one.  If add_assistant, ends with the
 * opening of an assistant turn.  When turn_start is not NULL,
 * turn_start[i] receives the index in out->v at which turn i begins (for
 * trimming by whole turns; turn 0 starts after BOS; the assistant opening
 * counts as part of the last turn).  Tokens are appended to out.
 */
void	 chatfmt_build(const struct tokenizer *, enum chat_tmpl,
	    const struct chat_turn *turns, int n, int add_assistant,
	    struct tokvec *out, size_t *turn_start);
/* NULL-terminated list of text stop strings for the template. */
const char *const *chatfmt_stops(enum chat_tmpl);
/* NULL-terminated list of the control-token texts of its vocabularies. */
const char *const *chatfmt_markers(enum chat_tmpl);

#endif
