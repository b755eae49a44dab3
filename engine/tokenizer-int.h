/*
 * tokenizer-int.h -- the tokenizer's own state, shared by its three
 * files: tokenizer.c (loading, accessors), tok-encode.c (encoding) and
 * tok-decode.c (pieces, decoding, the streaming detokenizer).
 * Engine-internal.
 */
#ifndef TOKENIZER_INT_H
#define TOKENIZER_INT_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "tokenizer-int.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

/* Token attributes, as llama.h's llama_token_attr bits. */
#define TA_UNKNOWN	0x001
#define TA_UNUSED	0x002
#define TA_NORMAL	0x004
#define TA_CONTROL	0x008
#define TA_USER_DEFINED	0x010
#define TA_BYTE		0x020
#define TA_LSTRIP	0x080
#define TA_RSTRIP	0x100

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

/* Id of the token whose text is s[0..n-1], -1 if none (tokenizer.c). */
int32_t	 tok_lookup(const struct tokenizer *, const char *, size_t);

#endif
