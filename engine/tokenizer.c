/*
 * tokenizer.c -- SentencePiece ("llama") tokenizer as llama.cpp runs it
 * (docs/ENGINE.md, "Tokenizer"), and the streaming detokenizer.
 *
 * Data flow: tokenizer_load() copies the vocabulary out of the GGUF
 * metadata (token texts, scores, types) into one text blob, builds an
 * open-addressing hash from text to id, the list of "special" tokens
 * searched for in the input (CONTROL, USER_DEFINED and UNKNOWN tokens,
 * longest text first), the byte-fallback table and the decoded piece of
 * every token.  Nothing of the gguf_file is kept: the tokenizer outlives
 * it if the caller wants.
 *
 * Encoding (tok-encode.c) is two stages, exactly as llama.cpp:
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
#include "tokenizer-int.h"
#include "utf8.h"
#include "xmalloc.h"

/* GGUF tokenizer.ggml.token_type values (llama_token_type). */
#define TT_NORMAL	1
#define TT_UNKNOWN	2
#define TT_CONTROL	3
#define TT_USER_DEFINED	4
#define TT_UNUSED	5
#define TT_BYTE		6

#define TOK_MAX_VOCAB	(1 << 24)	/* far above any real vocabulary */

static uint64_t	 tok_hash(const char *, size_t);
static int	 tok_fail(char **, const struct gguf_file *, const char *,
		     const char *, ...) __attribute__((format(printf, 4, 5)));
static void	 tok_quote(const char *, size_t, char *, size_t);
static int	 tok_special_id(const struct gguf_file *, const char *,
		     int32_t, int32_t *, char **);
static void	 tok_build_pieces(struct tokenizer *);
static void	 tok_build_special(struct tokenizer *);

/* ---- token vectors ---------------------------------------------------- */

void
tokvec_push(struct tokvec *tv, int32_t id)
{
	if (tv->n == tv->cap)
		tv->v = xgrowarray(tv->v, &tv->cap, 64, sizeof *tv->v);
	tv->v[tv->n++] = id;
}

void
tokvec_free(struct tokvec *tv)
{
	free(tv->v);
	tv->v = NULL;
	tv->n = tv->cap = 0;
}

void
tokvec_take(struct tokvec *tv, int32_t **ids, int *n)
{
	*n = (int)tv->n;
	*ids = xcalloc(tv->n > 0 ? tv->n : 1, sizeof **ids);
	if (tv->n > 0)
		memcpy(*ids, tv->v, tv->n * sizeof **ids);
	tokvec_free(tv);
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
int32_t
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

	/* SPM defaults, then the file's tokenizer.ggml.* keys. */
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

	/* End-of-generation set (EOS, EOT, EOM and the texts llama.cpp
	   treats as end of turn); such tokens become CONTROL. */
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
