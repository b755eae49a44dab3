/*
 * testvocab.h -- tiny tokenizer vocabularies for the tokenizer and chat
 * template tests and the tokenizer fuzzer, written with our own GGUF
 * writer, and the shared models of ../shared.
 *
 *	struct test_vocab v;
 *	test_vocab_init(&v);			<unk> <s> </s> <0x00>..<0xFF>
 *	test_vocab_add(&v, "<|im_start|>", 0, 3);	id 259, 260, ...
 *	w = test_vocab_writer(&v, "llama", v.n);	more keys, then
 *	data = gguf_writer_bytes(w, &size);
 *	tok = test_vocab_load(data, size, &cause);
 *
 * Header-only (static functions), like testhelp.h, so that the fuzzer,
 * built from its own list of sources, can use it too.
 */
#ifndef TESTVOCAB_H
#define TESTVOCAB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gguf.h"
#include "tokenizer.h"

#define TEST_VOCAB_MAX		512
#define TEST_VOCAB_BYTE0	3	/* id of <0x00> */

struct test_vocab {
	const char	*toks[TEST_VOCAB_MAX];
	char		 bytes[256][8];
	float		 scores[TEST_VOCAB_MAX];
	int32_t		 types[TEST_VOCAB_MAX];
	size_t		 n;
};

/* Append one token (type: 1 normal, 2 unknown, 3 control, 4 user, 6 byte). */
static __attribute__((unused)) void
test_vocab_add(struct test_vocab *v, const char *tok, float score,
    int32_t type)
{
	if (v->n == TEST_VOCAB_MAX)
		abort();
	v->toks[v->n] = tok;
	v->scores[v->n] = score;
	v->types[v->n++] = type;
}

/* <unk> (UNKNOWN), <s> </s> (CONTROL) and the 256 byte tokens <0xNN>. */
static __attribute__((unused)) void
test_vocab_init(struct test_vocab *v)
{
	size_t	i;

	v->n = 0;
	test_vocab_add(v, "<unk>", 0, 2);
	test_vocab_add(v, "<s>", 0, 3);
	test_vocab_add(v, "</s>", 0, 3);
	for (i = 0; i < 256; i++) {
		snprintf(v->bytes[i], sizeof v->bytes[i], "<0x%02X>",
		    (unsigned)i);
		test_vocab_add(v, v->bytes[i], 0, 6);
	}
}

/*
 * A GGUF writer holding general.architecture "llama", tokenizer.ggml.model
 * (unless model is NULL), the tokens, their scores and the first ntypes
 * token types (v->n; fewer makes a broken file).  The caller adds keys,
 * takes the bytes and frees the writer.
 */
static __attribute__((unused)) struct gguf_writer *
test_vocab_writer(const struct test_vocab *v, const char *model,
    size_t ntypes)
{
	struct gguf_writer	*w;

	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	if (model != NULL)
		gguf_w_str(w, "tokenizer.ggml.model", model);
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", v->toks, v->n);
	gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, v->scores,
	    v->n);
	gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_T_INT32, v->types,
	    ntypes);
	return w;
}

/* The tokenizer of an in-memory GGUF file; NULL with *cause on failure. */
static __attribute__((unused)) struct tokenizer *
test_vocab_load(const void *data, size_t size, char **cause)
{
	struct gguf_file	*gf;
	struct tokenizer	*tok = NULL;

	if (gguf_open_mem("tiny.gguf", data, size, &gf, cause) != 0)
		return NULL;
	if (tokenizer_load(gf, &tok, cause) != 0)
		tok = NULL;
	gguf_close(gf);
	return tok;
}

#ifdef TESTHELP_H
/*
 * The tokenizer of shared/rel, its GGUF file open in *gf (the caller
 * closes both); NULL after a diagnostic.
 */
static __attribute__((unused)) struct tokenizer *
test_load_tokenizer(const char *shared, const char *rel,
    struct gguf_file **gf)
{
	struct tokenizer	*tok = NULL;
	char			 path[4096], *cause = NULL;

	snprintf(path, sizeof path, "%s/%s", shared, rel);
	if (gguf_open(path, gf, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		return NULL;
	}
	if (tokenizer_load(*gf, &tok, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		gguf_close(*gf);
		return NULL;
	}
	return tok;
}
#endif

#endif
