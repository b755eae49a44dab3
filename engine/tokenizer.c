/*
 * tokenizer.c -- SentencePiece ("llama") tokenizer as llama.cpp runs it
 * (ENGINE-NOTES §4), and the streaming detokenizer.
 *
 * Data flow: tokenizer_load() copies the vocabulary out of the GGUF
 * metadata (token texts, scores, types) into one text blob, builds an
 * open-addressing hash from text to id, the list of "special" tokens
 * searched for in the input (CONTROL, USER_DEFINED and UNKNOWN tokens,
 * longest text first), the byte-fallback table and the decoded piece of
 * every token.  Nothing of the gguf_file is kept: the tokenizer outlives
 * it if the caller wants.
 *
 * Encoding (§4.2, §4.3) is two stages, exactly as llama.cpp:
 *  1. partition: the input becomes a list of fragments, raw text or a
 *     literal token, by cutting out every occurrence of each special token
 *     text in turn (longest first);
 *  2. every raw fragment is escaped (space -> U+2581, with a dummy-prefix
 *     space at the start and after each special token) and split into
 *     UTF-8 characters, then adjacent symbols are merged greedily by the
 *     score of the merged token (a binary max-heap; ties go to the
 *     leftmost pair), and what is left is emitted as tokens or, failing
 *     that, as byte tokens <0xHH>.
 *
 * Invariants and safety: token texts from the file are arbitrary bytes
 * (they may contain NUL or invalid UTF-8); they are only ever compared
 * with memcmp and copied with explicit lengths.  Every token id handed in
 * by a caller is range-checked.  Input text is never read past len; a
 * UTF-8 lead byte whose sequence would run past the end makes a shorter
 * symbol (as llama.cpp's min(len, remaining)).
 *
 * Deliberate differences from llama.cpp at c392e5094:
 *  - llama.cpp GGML_ASSERTs on duplicate token texts and throws when a
 *    byte token is missing; we reject duplicates with an error and fall
 *    back to the unknown token (or drop the byte when there is none).
 *  - "<|im_start|>" is always a CONTROL token, like the EOG texts (a
 *    USER_DEFINED one would be split out of user text even with
 *    parse_special off);
 *  - tokenizer_decode() and the streaming detokenizer strip the
 *    SentencePiece dummy space from the first piece after a leading BOS
 *    as well (SentencePiece's own decode does; llama_detokenize at that
 *    commit keeps it), so decode(encode(x)) == x.
 *
 * Note on rev_merge: llama.cpp's resegment() consults a map of merged
 * pairs for symbols that are not tokens.  Pairs are only recorded when
 * their text IS a token, and resegment() looks the token up first, so
 * that branch can never be taken; it is not reproduced here.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gguf.h"
#include "tokenizer.h"
#include "utf8.h"
#include "xmalloc.h"

/* Token attributes, as llama.h's llama_token_attr bits. */
#define TA_UNKNOWN	0x001
#define TA_UNUSED	0x002
#define TA_NORMAL	0x004
#define TA_CONTROL	0x008
#define TA_USER_DEFINED	0x010
#define TA_BYTE		0x020
#define TA_LSTRIP	0x080
#define TA_RSTRIP	0x100

/* GGUF tokenizer.ggml.token_type values (llama_token_type). */
#define TT_NORMAL	1
#define TT_UNKNOWN	2
#define TT_CONTROL	3
#define TT_USER_DEFINED	4
#define TT_UNUSED	5
#define TT_BYTE		6

#define TOK_MAX_VOCAB	(1 << 24)	/* far above any real vocabulary */

struct tok_entry {
	size_t		 off;		/* text in tok->text */
	size_t		 len;
	size_t		 poff;		/* piece in tok->pieces */
	size_t		 plen;
	float		 score;
	uint32_t	 attr;
};

struct tokenizer {
	int32_t		  n_vocab;
	struct tok_entry *tok;		/* [n_vocab] */
	char		 *text;		/* all texts, each NUL-terminated */
	char		 *pieces;	/* all decoded pieces */
	int32_t		 *hash;		/* [hmask + 1], -1 = empty */
	uint64_t	  hmask;
	size_t		  max_len;	/* longest token text */
	size_t		  max_piece;

	int32_t		  bos, eos, unk, eot, eom;
	int		  add_bos, add_eos, add_space_prefix;

	int32_t		  byte_tok[256];	/* fallback id per byte, -1 none */
	int32_t		 *special;	/* special-token cache, longest first */
	size_t		  nspecial;
	uint8_t		 *eog;		/* [n_vocab] */
};

/* One fragment of the input after special-token partitioning. */
struct tok_frag {
	int32_t		 id;		/* token, or -1 for raw text */
	int		 ps;		/* parse_special of its segment */
	size_t		 off, len;	/* raw text range in the source */
};

struct tok_fragv {
	struct tok_frag	*v;
	size_t		 n, cap;
};

/* SentencePiece session state for one raw fragment. */
struct spm_sym {
	ptrdiff_t	 prev, next;
	size_t		 start, n;	/* bytes of the escaped text */
};

struct spm_bigram {
	ptrdiff_t	 left, right;
	float		 score;
	size_t		 size;
};

static uint64_t	 tok_hash(const char *, size_t);
static int32_t	 tok_lookup(const struct tokenizer *, const char *, size_t);
static int	 tok_fail(char **, const struct gguf_file *, const char *,
		     const char *, ...) __attribute__((format(printf, 4, 5)));
static void	 tok_quote(const char *, size_t, char *, size_t);
static int	 tok_special_id(const struct gguf_file *, const char *,
		     int32_t, int32_t *, char **);
static void	 tok_build_pieces(struct tokenizer *);
static void	 tok_build_special(struct tokenizer *);
static void	 tok_fragv_push(struct tok_fragv *, int32_t, int, size_t,
		     size_t);
static void	 tok_partition(const struct tokenizer *, const char *,
		     struct tok_fragv *);
static int	 spm_better(const struct spm_bigram *,
		     const struct spm_bigram *);
static void	 spm_push(struct spm_bigram *, size_t *,
		     const struct spm_bigram *);
static void	 spm_pop(struct spm_bigram *, size_t *, struct spm_bigram *);
static void	 spm_try_bigram(const struct tokenizer *, const char *,
		     struct spm_sym *, ptrdiff_t, ptrdiff_t,
		     struct spm_bigram *, size_t *);
static void	 spm_encode(const struct tokenizer *, const char *, size_t,
		     int, size_t, struct tokvec *, struct buf *);
static size_t	 utf8_seqlen(unsigned char);
static int	 utf8_partial(const unsigned char *, size_t);

/* ---- token vectors ---------------------------------------------------- */

void
tokvec_push(struct tokvec *tv, int32_t id)
{
	if (tv->n == tv->cap) {
		tv->cap = tv->cap == 0 ? 64 : tv->cap * 2;
		tv->v = xreallocarray(tv->v, tv->cap, sizeof *tv->v);
	}
	tv->v[tv->n++] = id;
}

void
tokvec_free(struct tokvec *tv)
{
	free(tv->v);
	tv->v = NULL;
	tv->n = tv->cap = 0;
}

/* ---- loading ---------------------------------------------------------- */

/* FNV-1a, 64 bits. */
static uint64_t
tok_hash(const char *s, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Id of the token whose text is exactly s[0..n), or -1. */
static int32_t
tok_lookup(const struct tokenizer *tok, const char *s, size_t n)
{
	uint64_t		 h;
	int32_t			 id;
	const struct tok_entry	*e;

	if (n > tok->max_len)
		return -1;
	h = tok_hash(s, n) & tok->hmask;
	while ((id = tok->hash[h]) != -1) {
		e = &tok->tok[id];
		if (e->len == n && memcmp(tok->text + e->off, s, n) == 0)
			return id;
		h = (h + 1) & tok->hmask;
	}
	return -1;
}

/* Printable, truncated rendering of untrusted bytes for messages. */
static void
tok_quote(const char *s, size_t n, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;
	unsigned char		 c;

	for (i = 0; i < n && o + 5 < outsz; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	if (i < n && o + 4 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Set *cause to "FILE: KEY: message"; returns -1. */
static int
tok_fail(char **cause, const struct gguf_file *f, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(cause, "%s: %s: %s", f->name, key, msg);
	free(msg);
	return -1;
}

/*
 * Read an optional special-token id key into *id.  An id outside the
 * vocabulary is ignored (llama.cpp warns and keeps the default).  Returns
 * -1 with *cause only for a value of the wrong type.
 */
static int
tok_special_id(const struct gguf_file *f, const char *key, int32_t n_vocab,
    int32_t *id, char **cause)
{
	int64_t	v;
	int	r;

	if ((r = gguf_get_i64(f, key, &v, cause)) < 0)
		return -1;
	if (r == 1 && v >= 0 && v < n_vocab)
		*id = (int32_t)v;
	return 0;
}

/*
 * Decoded piece of every token, as llama.cpp's token_to_piece(special =
 * true): CONTROL/UNKNOWN/USER_DEFINED give their raw text, NORMAL its
 * text with U+2581 as space, BYTE the byte from "<0xHH>", others nothing.
 */
static void
tok_build_pieces(struct tokenizer *tok)
{
	struct buf		 b = BUF_INIT;
	struct tok_entry	*e;
	const char		*t;
	int32_t			 id;
	size_t			 i, start;
	unsigned int		 v;
	int			 d, nd;
	char			 c;

	buf_reserve(&b, 16);
	for (id = 0; id < tok->n_vocab; id++) {
		e = &tok->tok[id];
		t = tok->text + e->off;
		start = b.len;
		if (e->attr & (TA_CONTROL | TA_UNKNOWN | TA_USER_DEFINED))
			buf_append(&b, t, e->len);
		else if (e->attr & TA_NORMAL) {
			for (i = 0; i < e->len; i++) {
				if (i + 2 < e->len && memcmp(t + i,
				    "\xe2\x96\x81", 3) == 0) {
					buf_putc(&b, ' ');
					i += 2;
				} else
					buf_append(&b, t + i, 1);
			}
		} else if (e->attr & TA_BYTE) {
			/* strtol(text + 3, 16) on at most two hex digits */
			v = 0;
			for (i = 3, nd = 0; i < e->len && nd < 2; i++, nd++) {
				c = t[i];
				if (c >= '0' && c <= '9')
					d = c - '0';
				else if (c >= 'a' && c <= 'f')
					d = c - 'a' + 10;
				else if (c >= 'A' && c <= 'F')
					d = c - 'A' + 10;
				else
					break;
				v = v * 16 + (unsigned int)d;
			}
			c = (char)v;
			buf_append(&b, &c, 1);
		}
		e->poff = start;
		e->plen = b.len - start;
		if (e->plen > tok->max_piece)
			tok->max_piece = e->plen;
	}
	tok->pieces = buf_detach(&b);
}

struct tok_lenid {
	size_t		 len;
	int32_t		 id;
};

static int
tok_cmp_special(const void *a, const void *b)
{
	const struct tok_lenid	*x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/*
 * The tokens searched for by partitioning, longest text first (ties by
 * id: llama.cpp's std::sort leaves them unspecified).
 */
static void
tok_build_special(struct tokenizer *tok)
{
	struct tok_lenid	*v;
	int32_t			 id;
	size_t			 i, n = 0;

	v = xcalloc((size_t)tok->n_vocab, sizeof *v);
	for (id = 0; id < tok->n_vocab; id++) {
		if (tok->tok[id].attr &
		    (TA_CONTROL | TA_USER_DEFINED | TA_UNKNOWN)) {
			v[n].len = tok->tok[id].len;
			v[n].id = id;
			n++;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof *v, tok_cmp_special);
	tok->special = xcalloc(n > 0 ? n : 1, sizeof *tok->special);
	for (i = 0; i < n; i++)
		tok->special[i] = v[i].id;
	tok->nspecial = n;
	free(v);
}

int
tokenizer_load(const struct gguf_file *f, struct tokenizer **out,
    char **cause)
{
	static const char *const eog_texts[] = {
		"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
		"<|endoftext|>", "<|eom_id|>", "<EOT>"
	};
	static const char *const k_model = "tokenizer.ggml.model";
	static const char *const k_tokens = "tokenizer.ggml.tokens";
	static const char *const k_scores = "tokenizer.ggml.scores";
	static const char *const k_types = "tokenizer.ggml.token_type";
	const struct gguf_kv	*kv, *ktok, *ksc, *kty;
	struct tokenizer	*tok = NULL;
	struct tok_entry	*e;
	struct buf		 text = BUF_INIT;
	char			 q[80], *name = NULL, hx[8];
	const char		*s;
	uint64_t		 n, i, h, cap;
	int64_t			 type;
	int32_t			 id, other;
	size_t			 len, j;
	int			 flag, r;
	double			 sc;

	*out = NULL;
	if ((kv = gguf_find(f, k_model)) == NULL)
		return tok_fail(cause, f, k_model, "missing (only "
		    "SentencePiece 'llama' tokenizers are supported)");
	if (kv->type != GGUF_T_STRING)
		return tok_fail(cause, f, k_model, "expected a STRING, "
		    "found %s", gguf_vtype_name(kv->type));
	if (kv->v.str.len != 5 || memcmp(kv->v.str.ptr, "llama", 5) != 0) {
		tok_quote(kv->v.str.ptr, kv->v.str.len, q, sizeof q);
		return tok_fail(cause, f, k_model, "tokenizer model '%s' is "
		    "not supported (only SentencePiece 'llama')", q);
	}

	if ((ktok = gguf_find(f, k_tokens)) == NULL)
		return tok_fail(cause, f, k_tokens, "missing");
	if (ktok->type != GGUF_T_ARRAY || ktok->v.arr.type != GGUF_T_STRING)
		return tok_fail(cause, f, k_tokens, "expected an array of "
		    "STRING");
	n = ktok->v.arr.n;
	if (n == 0 || n > TOK_MAX_VOCAB)
		return tok_fail(cause, f, k_tokens, "%llu tokens (expected "
		    "1 to %d)", (unsigned long long)n, TOK_MAX_VOCAB);
	if ((ksc = gguf_find(f, k_scores)) != NULL) {
		if (ksc->type != GGUF_T_ARRAY ||
		    (ksc->v.arr.type != GGUF_T_FLOAT32 &&
		    ksc->v.arr.type != GGUF_T_FLOAT64))
			return tok_fail(cause, f, k_scores, "expected an "
			    "array of FLOAT32");
		if (ksc->v.arr.n != n)
			return tok_fail(cause, f, k_scores, "%llu scores for "
			    "%llu tokens", (unsigned long long)ksc->v.arr.n,
			    (unsigned long long)n);
	}
	if ((kty = gguf_find(f, k_types)) != NULL) {
		if (kty->type != GGUF_T_ARRAY ||
		    kty->v.arr.type == GGUF_T_STRING ||
		    kty->v.arr.type == GGUF_T_ARRAY ||
		    kty->v.arr.type == GGUF_T_FLOAT32 ||
		    kty->v.arr.type == GGUF_T_FLOAT64 ||
		    kty->v.arr.type == GGUF_T_BOOL)
			return tok_fail(cause, f, k_types, "expected an "
			    "array of integers");
		if (kty->v.arr.n != n)
			return tok_fail(cause, f, k_types, "%llu types for "
			    "%llu tokens", (unsigned long long)kty->v.arr.n,
			    (unsigned long long)n);
	}

	tok = xcalloc(1, sizeof *tok);
	tok->n_vocab = (int32_t)n;
	tok->tok = xcalloc(n, sizeof *tok->tok);
	for (i = 0; i < n; i++) {
		e = &tok->tok[i];
		s = ktok->v.arr.strs[i].ptr;
		len = ktok->v.arr.strs[i].len;
		if (len == 0) {		/* llama.cpp names it [EMPTY_i] */
			e->off = text.len;
			buf_printf(&text, "[EMPTY_%llu]",
			    (unsigned long long)i);
			e->len = text.len - e->off;
		} else {
			e->off = text.len;
			e->len = len;
			buf_append(&text, s, len);
		}
		buf_putc(&text, '\0');
		if (e->len > tok->max_len)
			tok->max_len = e->len;
		sc = ksc != NULL ? gguf_arr_f64(ksc, i) : 0.0;
		e->score = (float)sc;
		e->attr = TA_NORMAL;
		if (kty != NULL) {
			type = gguf_arr_i64(kty, i);
			switch (type) {
			case TT_NORMAL:
				e->attr = TA_NORMAL;
				break;
			case TT_UNKNOWN:
				e->attr = TA_UNKNOWN;
				break;
			case TT_CONTROL:
				e->attr = TA_CONTROL;
				break;
			case TT_USER_DEFINED:
				e->attr = TA_USER_DEFINED;
				break;
			case TT_UNUSED:
				e->attr = TA_UNUSED;
				break;
			case TT_BYTE:
				e->attr = TA_BYTE;
				break;
			default:
				e->attr = 0;	/* UNDEFINED */
				break;
			}
		}
	}
	tok->text = buf_detach(&text);

	/* Hash table, load factor <= 1/2. */
	for (cap = 16; cap < 2 * n; cap *= 2)
		;
	tok->hmask = cap - 1;
	tok->hash = xreallocarray(NULL, cap, sizeof *tok->hash);
	memset(tok->hash, 0xff, cap * sizeof *tok->hash);
	for (id = 0; id < tok->n_vocab; id++) {
		e = &tok->tok[id];
		h = tok_hash(tok->text + e->off, e->len) & tok->hmask;
		while ((other = tok->hash[h]) != -1) {
			if (tok->tok[other].len == e->len &&
			    memcmp(tok->text + tok->tok[other].off,
			    tok->text + e->off, e->len) == 0) {
				tok_quote(tok->text + e->off, e->len, q,
				    sizeof q);
				tok_fail(cause, f, k_tokens, "token %d '%s' "
				    "duplicates token %d", id, q, other);
				goto fail;
			}
			h = (h + 1) & tok->hmask;
		}
		tok->hash[h] = id;
	}

	/* SPM defaults, then the file's keys (§4.1). */
	tok->bos = 1 < n ? 1 : -1;
	tok->eos = 2 < n ? 2 : -1;
	tok->unk = 0;
	tok->eot = tok->eom = -1;
	tok->add_bos = 1;
	tok->add_eos = 0;
	tok->add_space_prefix = 1;
	if (tok_special_id(f, "tokenizer.ggml.bos_token_id", tok->n_vocab,
	    &tok->bos, cause) != 0 ||
	    tok_special_id(f, "tokenizer.ggml.eos_token_id", tok->n_vocab,
	    &tok->eos, cause) != 0 ||
	    tok_special_id(f, "tokenizer.ggml.unknown_token_id", tok->n_vocab,
	    &tok->unk, cause) != 0 ||
	    tok_special_id(f, "tokenizer.ggml.eot_token_id", tok->n_vocab,
	    &tok->eot, cause) != 0 ||
	    tok_special_id(f, "tokenizer.ggml.eom_token_id", tok->n_vocab,
	    &tok->eom, cause) != 0)
		goto fail;
	if ((r = gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &flag,
	    cause)) < 0)
		goto fail;
	if (r == 1)
		tok->add_bos = flag;
	if ((r = gguf_get_bool(f, "tokenizer.ggml.add_eos_token", &flag,
	    cause)) < 0)
		goto fail;
	if (r == 1)
		tok->add_eos = flag;
	if ((r = gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &flag,
	    cause)) < 0)
		goto fail;
	if (r == 1)
		tok->add_space_prefix = flag;
	if (tok->bos < 0)
		tok->add_bos = 0;
	if (tok->eos < 0)
		tok->add_eos = 0;

	/* End-of-generation set (§4.6); such tokens become CONTROL. */
	tok->eog = xcalloc(n, 1);
	if (tok->eos >= 0)
		tok->eog[tok->eos] = 1;
	if (tok->eot >= 0)
		tok->eog[tok->eot] = 1;
	if (tok->eom >= 0)
		tok->eog[tok->eom] = 1;
	for (j = 0; j < sizeof eog_texts / sizeof eog_texts[0]; j++) {
		id = tok_lookup(tok, eog_texts[j], strlen(eog_texts[j]));
		if (id < 0)
			continue;
		tok->eog[id] = 1;
		tok->tok[id].attr |= TA_CONTROL;
	}
	/*
	 * Our addition: ChatML's opening marker is CONTROL too, so that a
	 * file marking it USER_DEFINED (matched even in user text by
	 * llama.cpp) cannot let a user open a system turn.
	 */
	if ((id = tok_lookup(tok, "<|im_start|>", 12)) >= 0)
		tok->tok[id].attr |= TA_CONTROL;

	tok_build_special(tok);

	/* Per-model attributes llama.cpp sets by name (Phi-3: RSTRIP). */
	if ((r = gguf_get_str(f, "general.name", &name, cause)) < 0) {
		free(*cause);	/* a bad name is not a tokenizer error */
		*cause = NULL;
		name = NULL;
	}
	if (name != NULL) {
		for (s = name; *s != '\0'; s++)
			name[s - name] = (char)tolower((unsigned char)*s);
		if (strstr(name, "phi-3") != NULL ||
		    strstr(name, "phi3") != NULL) {
			for (j = 0; j < tok->nspecial; j++)
				tok->tok[tok->special[j]].attr |= TA_RSTRIP;
			if ((id = tok_lookup(tok, "</s>", 4)) >= 0)
				tok->tok[id].attr |= TA_RSTRIP;
			if ((id = tok_lookup(tok, "<unk>", 5)) >= 0)
				tok->tok[id].attr &= ~TA_RSTRIP;
			if ((id = tok_lookup(tok, "<s>", 3)) >= 0)
				tok->tok[id].attr &= ~TA_RSTRIP;
			if ((id = tok_lookup(tok, "<|endoftext|>", 13)) >= 0)
				tok->tok[id].attr &= ~TA_RSTRIP;
		}
		free(name);
	}

	/* Byte fallback: "<0xHH>", else the one-byte text, else <unk>. */
	for (j = 0; j < 256; j++) {
		snprintf(hx, sizeof hx, "<0x%02X>", (unsigned int)j);
		id = tok_lookup(tok, hx, 6);
		if (id < 0) {
			hx[0] = (char)j;
			id = tok_lookup(tok, hx, 1);
		}
		if (id < 0)
			id = tok->unk;
		tok->byte_tok[j] = id;
	}

	tok_build_pieces(tok);
	*out = tok;
	return 0;

fail:
	tokenizer_free(tok);
	return -1;
}

void
tokenizer_free(struct tokenizer *tok)
{
	if (tok == NULL)
		return;
	free(tok->tok);
	free(tok->text);
	free(tok->pieces);
	free(tok->hash);
	free(tok->special);
	free(tok->eog);
	free(tok);
}

/* ---- accessors -------------------------------------------------------- */

int
tokenizer_n_vocab(const struct tokenizer *tok)
{
	return tok->n_vocab;
}

int32_t
tokenizer_bos(const struct tokenizer *tok)
{
	return tok->bos;
}

int32_t
tokenizer_eos(const struct tokenizer *tok)
{
	return tok->eos;
}

int
tokenizer_add_bos(const struct tokenizer *tok)
{
	return tok->add_bos;
}

int
tokenizer_add_space_prefix(const struct tokenizer *tok)
{
	return tok->add_space_prefix;
}

int
tokenizer_is_eog(const struct tokenizer *tok, int32_t id)
{
	if (id < 0 || id >= tok->n_vocab)
		return 0;
	return tok->eog[id];
}

int
tokenizer_is_control(const struct tokenizer *tok, int32_t id)
{
	if (id < 0 || id >= tok->n_vocab)
		return 0;
	return (tok->tok[id].attr & TA_CONTROL) != 0;
}

int32_t
tokenizer_find(const struct tokenizer *tok, const char *s)
{
	return tok_lookup(tok, s, strlen(s));
}

const char *
tokenizer_text(const struct tokenizer *tok, int32_t id)
{
	if (id < 0 || id >= tok->n_vocab)
		return "";
	return tok->text + tok->tok[id].off;
}

size_t
tokenizer_max_piece(const struct tokenizer *tok)
{
	return tok->max_piece;
}

/* ---- encoding: special-token partition (§4.2) ------------------------- */

static void
tok_fragv_push(struct tok_fragv *fv, int32_t id, int ps, size_t off,
    size_t len)
{
	if (fv->n == fv->cap) {
		fv->cap = fv->cap == 0 ? 16 : fv->cap * 2;
		fv->v = xreallocarray(fv->v, fv->cap, sizeof *fv->v);
	}
	fv->v[fv->n].id = id;
	fv->v[fv->n].ps = ps;
	fv->v[fv->n].off = off;
	fv->v[fv->n].len = len;
	fv->n++;
}

/*
 * Split the raw fragments of *fv (text in src) at every occurrence of each
 * special token, in cache order (longest first), leftmost occurrence
 * first, as tokenizer_st_partition.  CONTROL and UNKNOWN tokens are only
 * matched in fragments whose segment has parse_special set; USER_DEFINED
 * tokens always are (llama.cpp).  LSTRIP/RSTRIP drop the whitespace next
 * to the match.
 */
static void
tok_partition(const struct tokenizer *tok, const char *src,
    struct tok_fragv *fv)
{
	struct tok_fragv	 nv = { NULL, 0, 0 }, tmpv;
	const struct tok_entry	*e;
	const struct tok_frag	*fr;
	const char		*text, *m;
	size_t			 s, i, off, len, at, l, r;
	int32_t			 id;

	for (s = 0; s < tok->nspecial; s++) {
		id = tok->special[s];
		e = &tok->tok[id];
		text = tok->text + e->off;
		nv.n = 0;
		for (i = 0; i < fv->n; i++) {
			fr = &fv->v[i];
			if (fr->id != -1 || e->len > fr->len ||
			    (!fr->ps && (e->attr & (TA_CONTROL | TA_UNKNOWN)))) {
				tok_fragv_push(&nv, fr->id, fr->ps, fr->off,
				    fr->len);
				continue;
			}
			off = fr->off;
			len = fr->len;
			while (len > 0 && (m = memmem(src + off, len, text,
			    e->len)) != NULL) {
				at = (size_t)(m - src);
				l = at - off;
				if ((e->attr & TA_LSTRIP) != 0) {
					while (l > 0 && isspace((unsigned char)
					    src[off + l - 1]))
						l--;
				}
				if (l > 0)
					tok_fragv_push(&nv, -1, fr->ps, off, l);
				tok_fragv_push(&nv, id, fr->ps, at, e->len);
				r = at + e->len;
				len -= r - off;
				off = r;
				if ((e->attr & TA_RSTRIP) != 0) {
					while (len > 0 && isspace((unsigned char)
					    src[off])) {
						off++;
						len--;
					}
				}
			}
			if (len > 0)
				tok_fragv_push(&nv, -1, fr->ps, off, len);
		}
		tmpv = *fv;
		*fv = nv;
		nv = tmpv;
	}
	free(nv.v);
}

/* ---- encoding: SentencePiece merges (§4.3) ---------------------------- */

/* llama.cpp's unicode_len_utf8: sequence length from the lead byte. */
static size_t
utf8_seqlen(unsigned char c)
{
	static const size_t	lookup[16] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4
	};

	return lookup[c >> 4];
}

/* a is popped before b: higher score, ties to the leftmost pair. */
static int
spm_better(const struct spm_bigram *a, const struct spm_bigram *b)
{
	return a->score > b->score ||
	    (a->score == b->score && a->left < b->left);
}

static void
spm_push(struct spm_bigram *heap, size_t *n, const struct spm_bigram *bg)
{
	size_t			i = (*n)++, p;
	struct spm_bigram	t;

	heap[i] = *bg;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!spm_better(&heap[i], &heap[p]))
			break;
		t = heap[i];
		heap[i] = heap[p];
		heap[p] = t;
		i = p;
	}
}

static void
spm_pop(struct spm_bigram *heap, size_t *n, struct spm_bigram *top)
{
	size_t			i = 0, l, r, best;
	struct spm_bigram	t;

	*top = heap[0];
	heap[0] = heap[--(*n)];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		best = i;
		if (l < *n && spm_better(&heap[l], &heap[best]))
			best = l;
		if (r < *n && spm_better(&heap[r], &heap[best]))
			best = r;
		if (best == i)
			break;
		t = heap[i];
		heap[i] = heap[best];
		heap[best] = t;
		i = best;
	}
}

/* Queue the merge of symbols left and right if it forms a token. */
static void
spm_try_bigram(const struct tokenizer *tok, const char *text,
    struct spm_sym *sym, ptrdiff_t left, ptrdiff_t right,
    struct spm_bigram *heap, size_t *nheap)
{
	struct spm_bigram	bg;
	size_t			n;
	int32_t			id;

	if (left == -1 || right == -1)
		return;
	n = sym[left].n + sym[right].n;
	if ((id = tok_lookup(tok, text + sym[left].start, n)) < 0)
		return;
	bg.left = left;
	bg.right = right;
	bg.score = tok->tok[id].score;
	bg.size = n;
	spm_push(heap, nheap, &bg);
}

/*
 * Tokenize one raw fragment src[0..len) (prefix: add the dummy space)
 * into out.  If offs is not NULL, each emitted token's source offset
 * (soff + position in src; the dummy space counts as position 0) is
 * appended to *offs (a struct buf used as an array of size_t).
 */
static void
spm_encode(const struct tokenizer *tok, const char *src, size_t len,
    int prefix, size_t soff, struct tokvec *out, struct buf *offs)
{
	struct spm_sym		*sym;
	struct spm_bigram	*heap, bg;
	char			*text;
	size_t			*map = NULL, tlen = 0, i, nsym, nheap, n, k, o;
	ptrdiff_t		 s;
	int32_t			 id;
	unsigned char		 c;

	text = xmalloc(3 * len + 4);
	if (offs != NULL)
		map = xreallocarray(NULL, 3 * len + 4, sizeof *map);
	if (prefix) {
		memcpy(text, "\xe2\x96\x81", 3);
		if (map != NULL)
			map[0] = map[1] = map[2] = soff;
		tlen = 3;
	}
	for (i = 0; i < len; i++) {
		if (src[i] == ' ') {
			memcpy(text + tlen, "\xe2\x96\x81", 3);
			if (map != NULL)
				map[tlen] = map[tlen + 1] = map[tlen + 2] =
				    soff + i;
			tlen += 3;
		} else {
			if (map != NULL)
				map[tlen] = soff + i;
			text[tlen++] = src[i];
		}
	}
	if (tlen == 0) {
		free(text);
		free(map);
		return;
	}

	/* Split into characters; a truncated sequence keeps what is left. */
	sym = xreallocarray(NULL, tlen, sizeof *sym);
	nsym = 0;
	for (i = 0; i < tlen; i += n) {
		n = utf8_seqlen((unsigned char)text[i]);
		if (n > tlen - i)
			n = tlen - i;
		sym[nsym].start = i;
		sym[nsym].n = n;
		sym[nsym].prev = (ptrdiff_t)nsym - 1;
		sym[nsym].next = i + n == tlen ? -1 : (ptrdiff_t)nsym + 1;
		nsym++;
	}

	/* At most nsym - 1 initial pairs plus two per merge. */
	heap = xreallocarray(NULL, 3 * nsym + 1, sizeof *heap);
	nheap = 0;
	for (i = 1; i < nsym; i++)
		spm_try_bigram(tok, text, sym, (ptrdiff_t)i - 1, (ptrdiff_t)i,
		    heap, &nheap);
	while (nheap > 0) {
		spm_pop(heap, &nheap, &bg);
		if (sym[bg.left].n == 0 || sym[bg.right].n == 0 ||
		    sym[bg.left].n + sym[bg.right].n != bg.size)
			continue;	/* stale */
		sym[bg.left].n += sym[bg.right].n;
		sym[bg.right].n = 0;
		sym[bg.left].next = sym[bg.right].next;
		if (sym[bg.right].next >= 0)
			sym[sym[bg.right].next].prev = bg.left;
		spm_try_bigram(tok, text, sym, sym[bg.left].prev, bg.left,
		    heap, &nheap);
		spm_try_bigram(tok, text, sym, bg.left, sym[bg.left].next,
		    heap, &nheap);
	}

	for (s = 0; s != -1; s = sym[s].next) {
		id = tok_lookup(tok, text + sym[s].start, sym[s].n);
		if (id >= 0) {
			tokvec_push(out, id);
			if (offs != NULL) {
				o = map[sym[s].start];
				buf_append(offs, &o, sizeof o);
			}
			continue;
		}
		for (k = 0; k < sym[s].n; k++) {
			c = (unsigned char)text[sym[s].start + k];
			if ((id = tok->byte_tok[c]) < 0)
				continue;	/* no byte token, no <unk> */
			tokvec_push(out, id);
			if (offs != NULL) {
				o = map[sym[s].start + k];
				buf_append(offs, &o, sizeof o);
			}
		}
	}
	free(heap);
	free(sym);
	free(map);
	free(text);
}

void
tokenizer_encode_segs(const struct tokenizer *tok, const struct tok_seg *segs,
    size_t nseg, int add_bos, struct tokvec *out, size_t *seg_first)
{
	struct tok_fragv	 fv = { NULL, 0, 0 };
	struct tok_frag		*fr;
	struct buf		 src = BUF_INIT, offs = BUF_INIT;
	struct buf		*offp;
	size_t			*segoff = NULL, i, j, base, ntok, o;
	int			 is_prev_special = 1;

	offp = seg_first != NULL ? &offs : NULL;
	if (seg_first != NULL)
		segoff = xreallocarray(NULL, nseg + 1, sizeof *segoff);
	for (i = 0; i < nseg; i++) {
		if (segoff != NULL)
			segoff[i] = src.len;
		if (segs[i].len == 0)
			continue;
		tok_fragv_push(&fv, -1, segs[i].parse_special, src.len,
		    segs[i].len);
		buf_append(&src, segs[i].text, segs[i].len);
	}

	if (add_bos && tok->add_bos && tok->bos >= 0)
		tokvec_push(out, tok->bos);
	base = out->n;

	if (fv.n > 0)
		tok_partition(tok, src.data, &fv);

	/* Raw text running across segment boundaries is one fragment. */
	for (i = 0, j = 0; i < fv.n; i++) {
		if (j > 0 && fv.v[i].id == -1 && fv.v[j - 1].id == -1 &&
		    fv.v[j - 1].off + fv.v[j - 1].len == fv.v[i].off)
			fv.v[j - 1].len += fv.v[i].len;
		else
			fv.v[j++] = fv.v[i];
	}
	fv.n = j;

	for (i = 0; i < fv.n; i++) {
		fr = &fv.v[i];
		if (fr->id != -1) {
			tokvec_push(out, fr->id);
			if (offp != NULL)
				buf_append(offp, &fr->off, sizeof fr->off);
			is_prev_special = 1;
			continue;
		}
		spm_encode(tok, src.data + fr->off, fr->len,
		    tok->add_space_prefix && is_prev_special, fr->off, out,
		    offp);
		is_prev_special = 0;
	}
	if (add_bos && tok->add_eos && tok->eos >= 0) {
		tokvec_push(out, tok->eos);
		if (offp != NULL) {
			o = src.len;
			buf_append(offp, &o, sizeof o);
		}
	}

	if (seg_first != NULL) {
		ntok = out->n - base;
		for (i = 0, j = 0; i < nseg; i++) {
			while (j < ntok) {
				memcpy(&o, offs.data + j * sizeof o, sizeof o);
				if (o >= segoff[i])
					break;
				j++;
			}
			seg_first[i] = base + j;
		}
	}
	free(segoff);
	free(fv.v);
	buf_free(&src);
	buf_free(&offs);
}

void
tokenizer_encode(const struct tokenizer *tok, const char *text, size_t len,
    int add_bos, int parse_special, struct tokvec *out)
{
	struct tok_seg	seg;

	seg.text = text;
	seg.len = len;
	seg.parse_special = parse_special;
	tokenizer_encode_segs(tok, &seg, 1, add_bos, out, NULL);
}

/* ---- decoding (§4.5) -------------------------------------------------- */

size_t
tokenizer_piece(const struct tokenizer *tok, int32_t id, int render_special,
    char *buf, size_t cap)
{
	const struct tok_entry	*e;

	if (id < 0 || id >= tok->n_vocab)
		return 0;
	e = &tok->tok[id];
	if (!render_special && (e->attr & (TA_CONTROL | TA_UNKNOWN)))
		return 0;
	if (cap > 0)
		memcpy(buf, tok->pieces + e->poff, e->plen < cap ? e->plen : cap);
	return e->plen;
}

/* Piece of id with up to lstrip leading spaces skipped; *p, *n out. */
static void
tok_piece_ref(const struct tokenizer *tok, int32_t id, int render_special,
    int lstrip, const char **p, size_t *n)
{
	const struct tok_entry	*e;

	*p = "";
	*n = 0;
	if (id < 0 || id >= tok->n_vocab)
		return;
	e = &tok->tok[id];
	if (!render_special && (e->attr & (TA_CONTROL | TA_UNKNOWN)))
		return;
	*p = tok->pieces + e->poff;
	*n = e->plen;
	if (lstrip && *n > 0 && **p == ' ') {
		(*p)++;
		(*n)--;
	}
}

char *
tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
    int render_special)
{
	struct buf	 b = BUF_INIT;
	const char	*p;
	size_t		 i, len;
	int		 strip = tok->add_space_prefix;

	buf_append(&b, "", 0);	/* NUL-terminated even when empty */
	for (i = 0; i < n; i++) {
		if (i == 0 && ids[0] == tok->bos && tok->bos >= 0) {
			tok_piece_ref(tok, ids[i], render_special, 0, &p, &len);
			buf_append(&b, p, len);
			continue;
		}
		tok_piece_ref(tok, ids[i], render_special, strip, &p, &len);
		strip = 0;
		buf_append(&b, p, len);
	}
	return buf_detach(&b);
}

/* ---- streaming detokenizer ------------------------------------------- */

/*
 * 1 if s[0..n) (n >= 1) is a proper prefix of some valid UTF-8 sequence:
 * a lead byte whose sequence needs more than n bytes, followed by
 * continuation bytes allowed in their positions.
 */
static int
utf8_partial(const unsigned char *s, size_t n)
{
	size_t		need, i;
	unsigned char	lo = 0x80, hi = 0xBF;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (n >= need)
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return 1;
}

size_t
detok_bufsize(const struct tokenizer *tok)
{
	/* Every held or new byte may become a 3-byte U+FFFD, plus NUL. */
	return 3 * (tok->max_piece + sizeof ((struct detok *)0)->pend) + 1;
}

void
detok_init(struct detok *d, const struct tokenizer *tok)
{
	memset(d, 0, sizeof *d);
	d->tok = tok;
	d->first = 2;
}

/*
 * Append s[0..n) (one whole character) to out if it fits before the NUL;
 * otherwise it is lost (the caller's buffer is below detok_bufsize()).
 */
static void
detok_put(char *out, size_t cap, size_t *o, const void *s, size_t n)
{
	if (cap == 0 || *o + n > cap - 1)
		return;
	memcpy(out + *o, s, n);
	*o += n;
}

size_t
detok_push(struct detok *d, int32_t id, char *out, size_t cap)
{
	const struct tokenizer	*tok = d->tok;
	const char		*p;
	size_t			 n, o = 0, i = 0;
	uint32_t		 cp;
	int			 l, lstrip = 0;

	/* first: 2 at the start, 1 after a leading BOS, 0 after that */
	if (d->first == 2 && id == tok->bos && tok->bos >= 0)
		d->first = 1;
	else if (d->first) {
		lstrip = tok->add_space_prefix;
		d->first = 0;
	}
	tok_piece_ref(tok, id, 0, lstrip, &p, &n);

	/*
	 * Complete the held sequence with bytes of the new piece, one at a
	 * time; a held byte that can no longer start a character is
	 * written as U+FFFD and dropped.  npend stays <= 4.
	 */
	while (d->npend > 0) {
		l = utf8_decode(d->pend, d->npend, &cp);
		if (l > 0) {
			detok_put(out, cap, &o, d->pend, (size_t)l);
			d->npend -= (size_t)l;
			memmove(d->pend, d->pend + l, d->npend);
			continue;
		}
		if (utf8_partial((const unsigned char *)d->pend, d->npend)) {
			if (i == n)
				goto done;	/* still incomplete: hold */
			d->pend[d->npend++] = p[i++];
			continue;
		}
		detok_put(out, cap, &o, "\xEF\xBF\xBD", 3);
		memmove(d->pend, d->pend + 1, --d->npend);
	}

	while (i < n) {
		l = utf8_decode(p + i, n - i, &cp);
		if (l > 0) {
			detok_put(out, cap, &o, p + i, (size_t)l);
			i += (size_t)l;
		} else if (utf8_partial((const unsigned char *)p + i, n - i)) {
			memcpy(d->pend, p + i, n - i);	/* <= 3 bytes */
			d->npend = n - i;
			break;
		} else {
			detok_put(out, cap, &o, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
done:
	if (cap > 0)
		out[o] = '\0';
	return o;
}

size_t
detok_flush(struct detok *d, char *out, size_t cap)
{
	size_t	o = 0, i;

	for (i = 0; i < d->npend; i++)
		detok_put(out, cap, &o, "\xEF\xBF\xBD", 3);
	d->npend = 0;
	if (cap > 0)
		out[o] = '\0';
	return o;
}
