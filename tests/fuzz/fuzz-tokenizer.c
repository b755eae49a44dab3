/*
 * fuzz-tokenizer.c -- libFuzzer target for the tokenizer, detokenizer and
 * chat formatter.  Built only with --enable-fuzzing (clang); run with
 * `make fuzz-tokenizer`.
 *
 * A vocabulary is written once with our GGUF writer: byte tokens, pieces
 * with U+2581, multi-byte pieces, CONTROL (<s> </s> <|im_start|>
 * <|im_end|>), USER_DEFINED (<tool>) and UNKNOWN tokens.  Each input is
 * encoded in both modes, decoded whole and streamed, and wrapped in a
 * ChatML prompt.  Checked (abort on failure):
 *  - every id is in range;
 *  - with parse_special off no CONTROL token appears except BOS;
 *  - the streamed text is valid UTF-8 and equals the whole decode when
 *    that is valid UTF-8 (and the input has no NUL byte);
 *  - decode(encode(x)) == x for valid UTF-8 without U+2581 and without
 *    user-defined token text (the only cases llama.cpp round-trips);
 *  - the ChatML prompt holds exactly the markup's control tokens.
 * An input starting with "GGUF" is instead loaded as a vocabulary file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "gguf.h"
#include "testvocab.h"
#include "tokenizer.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tokenizer	*tok;
static int32_t		 id_im_start, id_im_end;

static void
fuzz_init(void)
{
	static const char *const pieces[] = {
		"\xe2\x96\x81", "\xe2\x96\x81t", "\xe2\x96\x81th",
		"\xe2\x96\x81the", "th", "he", "the", "e", "t", "h", "a", "n",
		"an", "\xe2\x96\x81" "a", "\xe2\x96\x81" "an", "in", "i",
		"\xc3\xa9", "\xe2\x96\x81\xe2\x96\x81", "\xe4\xb8\xad",
		"<", ">", "|", "s", "/"
	};
	struct test_vocab	 v;
	struct gguf_writer	*w;
	char			*cause = NULL;
	size_t			 i, size;
	void			*data;

	test_vocab_init(&v);
	for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++)
		test_vocab_add(&v, pieces[i], -(float)(i % 7) - 1.0f, 1);
	test_vocab_add(&v, "<|im_start|>", 0, 3);
	test_vocab_add(&v, "<|im_end|>", 0, 3);
	test_vocab_add(&v, "<tool>", 0, 4);
	w = test_vocab_writer(&v, "llama", v.n);
	data = gguf_writer_bytes(w, &size);
	gguf_writer_free(w);
	if ((tok = test_vocab_load(data, size, &cause)) == NULL) {
		fprintf(stderr, "fuzz-tokenizer: %s\n", cause);
		abort();
	}
	free(data);
	id_im_start = tokenizer_find(tok, "<|im_start|>");
	id_im_end = tokenizer_find(tok, "<|im_end|>");
}

/* An arbitrary file as a vocabulary: load, encode, decode. */
static void
fuzz_vocab(const uint8_t *data, size_t size)
{
	struct gguf_file	*gf;
	struct tokenizer	*t;
	struct tokvec		 tv = { NULL, 0, 0 };
	char			*cause = NULL, *dec;
	size_t			 i;
	static const char	 text[] = "<s>Hello wörld <|im_end|>\n\xff";

	if (gguf_open_mem("fuzz.gguf", data, size, &gf, &cause) != 0) {
		free(cause);
		return;
	}
	if (tokenizer_load(gf, &t, &cause) != 0) {
		if (cause == NULL || strchr(cause, '\n') != NULL)
			abort();
		free(cause);
		gguf_close(gf);
		return;
	}
	gguf_close(gf);
	tokenizer_encode(t, text, sizeof text - 1, 1, 1, &tv);
	tokenizer_encode(t, text, sizeof text - 1, 1, 0, &tv);
	for (i = 0; i < tv.n; i++) {
		if (tv.v[i] < 0 || tv.v[i] >= tokenizer_n_vocab(t))
			abort();
	}
	dec = tokenizer_decode(t, tv.v, tv.n, 1);
	free(dec);
	tokvec_free(&tv);
	tokenizer_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokvec		 tv = { NULL, 0, 0 };
	struct detok		 d;
	struct chat_turn	 turn;
	const char		*text = (const char *)data;
	char			*dec, *str, out[256];
	size_t			 i, k, len, nstart, nend;
	int			 special, valid, nul;

	if (tok == NULL)
		fuzz_init();
	if (size >= 4 && memcmp(data, "GGUF", 4) == 0) {
		fuzz_vocab(data, size);
		return 0;
	}

	/* decode() returns a C string: compare only NUL-free inputs */
	nul = memchr(data, '\0', size) != NULL;
	for (special = 0; special <= 1; special++) {
		tv.n = 0;
		tokenizer_encode(tok, text, size, 1, special, &tv);
		for (i = 0; i < tv.n; i++) {
			if (tv.v[i] < 0 || tv.v[i] >= tokenizer_n_vocab(tok))
				abort();
			if (!special && i > 0 &&
			    tokenizer_is_control(tok, tv.v[i]))
				abort();
		}
		dec = tokenizer_decode(tok, tv.v, tv.n, special);
		if (!special && !nul && utf8_valid(text, size) &&
		    memmem(text, size, "\xe2\x96\x81", 3) == NULL &&
		    memmem(text, size, "<tool>", 6) == NULL &&
		    (strlen(dec) != size || memcmp(dec, text, size) != 0))
			abort();
		free(dec);

		/* streaming */
		dec = tokenizer_decode(tok, tv.v, tv.n, 0);
		str = malloc(tv.n * 16 + 64);
		if (str == NULL)
			abort();
		len = 0;
		detok_init(&d, tok);
		for (i = 0; i < tv.n; i++) {
			k = detok_push(&d, tv.v[i], out, sizeof out);
			memcpy(str + len, out, k);
			len += k;
		}
		k = detok_flush(&d, out, sizeof out);
		memcpy(str + len, out, k);
		len += k;
		valid = utf8_valid(dec, strlen(dec));
		if (!utf8_valid(str, len) ||
		    (valid && !nul && (len != strlen(dec) ||
		    memcmp(str, dec, len) != 0)))
			abort();
		free(str);
		free(dec);
	}

	/* the input as a user message of a ChatML prompt */
	str = malloc(size + 1);
	if (str == NULL)
		abort();
	memcpy(str, data, size);
	str[size] = '\0';
	turn.role = CHAT_USER;
	turn.text = str;
	tv.n = 0;
	chatfmt_build(tok, TMPL_CHATML, &turn, 1, 1, &tv, &k);
	nstart = nend = 0;
	for (i = 0; i < tv.n; i++) {
		nstart += tv.v[i] == id_im_start;
		nend += tv.v[i] == id_im_end;
	}
	if (nstart != 2 || nend != 1 || k != 1)
		abort();
	free(str);
	tokvec_free(&tv);
	return 0;
}
