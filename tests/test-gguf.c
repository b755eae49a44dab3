/*
 * test-gguf.c -- the GGUF reader and writer.
 *
 * 1. Round trip: a fixture written with the writer (every value type,
 *    several tensor types, custom alignment, streamed fill tensors) reads
 *    back with the same metadata, shapes, offsets and bytes, from memory
 *    and from a saved file.
 * 2. Corruption: each kind of damage, built on the fly with the writer or
 *    by patching bytes, must fail with its own specific one-line message
 *    naming the field and the offset; truncation at every byte must fail.
 * 3. The shared models (../shared/models, skipped when absent) open, and
 *    agree with the facts in their README.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "gguf.h"
#include "quant.h"
#include "xmalloc.h"

static const char *tokens[] = { "<unk>", "<s>", "</s>", "hello", "\xe2\x96\x81world" };

/* Deterministic bytes for tensor data. */
static void
fill_pattern(void *dst, uint64_t n, void *arg)
{
	uint8_t		*p = dst;
	uint64_t	 i;
	unsigned	 seed = (unsigned)(uintptr_t)arg;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

/* Add the standard fixture metadata. */
static void
fixture_meta(struct gguf_writer *w)
{
	float		scores[5] = { 0, 0, 0, -1.5f, -2.5f };
	int32_t		ttype[5] = { 2, 3, 3, 1, 1 };

	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_str(w, "general.name", "fixture \"tiny\"");
	gguf_w_u32(w, "general.file_type", 15);
	gguf_w_u32(w, "general.quantization_version", 2);
	gguf_w_u32(w, "llama.context_length", 256);
	gguf_w_u32(w, "llama.embedding_length", 256);
	gguf_w_u32(w, "llama.block_count", 1);
	gguf_w_u32(w, "llama.feed_forward_length", 512);
	gguf_w_u32(w, "llama.attention.head_count", 4);
	gguf_w_u32(w, "llama.attention.head_count_kv", 2);
	gguf_w_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", tokens, 5);
	gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, scores, 5);
	gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_T_INT32, ttype, 5);
	gguf_w_bool(w, "tokenizer.ggml.add_bos_token", 1);
	gguf_w_i32(w, "test.i32", -7);
	gguf_w_u64(w, "test.u64", 0x123456789abcULL);
}

/* A small valid file with F32, Q8_0, Q4_K and F16 tensors. */
static struct gguf_writer *
fixture_writer(void)
{
	struct gguf_writer	*w;
	int64_t			 ne_embd[2] = { 256, 5 }, ne_norm[1] = { 256 };
	int64_t			 ne_q[2] = { 256, 2 }, ne_h[3] = { 4, 2, 3 };
	float			 embd[256 * 5];
	int			 i;

	for (i = 0; i < 256 * 5; i++)
		embd[i] = (float)i * 0.5f;
	w = gguf_writer_new(3);
	fixture_meta(w);
	gguf_w_tensor(w, "token_embd.weight", QT_F32, 2, ne_embd, embd);
	gguf_w_tensor(w, "output_norm.weight", QT_F32, 1, ne_norm, embd);
	gguf_w_tensor_fill(w, "blk.0.attn_q.weight", QT_Q8_0, 2, ne_q,
	    fill_pattern, (void *)(uintptr_t)1);
	gguf_w_tensor_fill(w, "blk.0.attn_k.weight", QT_Q4_K, 2, ne_q,
	    fill_pattern, (void *)(uintptr_t)2);
	gguf_w_tensor_fill(w, "blk.0.odd.weight", QT_F16, 3, ne_h,
	    fill_pattern, (void *)(uintptr_t)3);
	return w;
}

static void *
fixture_bytes(size_t *size)
{
	struct gguf_writer	*w = fixture_writer();
	void			*b;

	b = gguf_writer_bytes(w, size);
	gguf_writer_free(w);
	return b;
}

/* Check the fixture's contents as read back. */
static void
check_fixture(const struct gguf_file *f, const char *how)
{
	const struct gguf_kv		*kv;
	const struct gguf_tensor	*t;
	char				*s = NULL, *cause = NULL;
	uint32_t			 u32 = 0;
	uint64_t			 u64 = 0;
	int64_t				 i64 = 0;
	float				 f32 = 0;
	int				 b = 0, ok;
	uint64_t			 i;
	uint8_t				 expect[512];

	test_condf(f->version == 3 && f->n_kv == 18 && f->n_tensors == 5,
	    "%s: version 3, 18 keys, 5 tensors", how);
	test_condf(gguf_get_str(f, "general.name", &s, &cause) == 1 &&
	    strcmp(s, "fixture \"tiny\"") == 0, "%s: string value", how);
	free(s);
	test_condf(gguf_get_u32(f, "llama.block_count", &u32, &cause) == 1 &&
	    u32 == 1, "%s: u32 value", how);
	test_condf(gguf_get_u64(f, "test.u64", &u64, &cause) == 1 &&
	    u64 == 0x123456789abcULL, "%s: u64 value", how);
	test_condf(gguf_get_i64(f, "test.i32", &i64, &cause) == 1 &&
	    i64 == -7, "%s: negative i32 value", how);
	test_condf(gguf_get_f32(f, "llama.attention.layer_norm_rms_epsilon",
	    &f32, &cause) == 1 && f32 == 1e-5f, "%s: f32 value", how);
	test_condf(gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &b,
	    &cause) == 1 && b == 1, "%s: bool value", how);
	test_condf(gguf_get_u32(f, "no.such.key", &u32, &cause) == 0,
	    "%s: absent key returns 0", how);
	ok = gguf_get_u64(f, "test.i32", &u64, &cause);
	test_condf(ok == -1 && cause != NULL &&
	    strstr(cause, "value -7 is negative") != NULL,
	    "%s: negative value refused as u64", how);
	free(cause);
	cause = NULL;
	ok = gguf_get_u32(f, "general.name", &u32, &cause);
	test_condf(ok == -1 && cause != NULL && strstr(cause,
	    "key 'general.name': expected an unsigned integer, found STRING")
	    != NULL, "%s: wrong type reported: %s", how,
	    cause ? cause : "(null)");
	free(cause);
	cause = NULL;

	kv = gguf_find(f, "tokenizer.ggml.tokens");
	test_condf(kv != NULL && kv->type == GGUF_T_ARRAY &&
	    kv->v.arr.type == GGUF_T_STRING && kv->v.arr.n == 5 &&
	    kv->v.arr.strs[4].len == strlen(tokens[4]) &&
	    memcmp(kv->v.arr.strs[4].ptr, tokens[4], kv->v.arr.strs[4].len)
	    == 0, "%s: string array", how);
	kv = gguf_find(f, "tokenizer.ggml.scores");
	test_condf(kv != NULL && kv->v.arr.n == 5 &&
	    gguf_arr_f64(kv, 4) == -2.5 && gguf_arr_f64(kv, 3) == -1.5,
	    "%s: float array", how);
	kv = gguf_find(f, "tokenizer.ggml.token_type");
	test_condf(kv != NULL && gguf_arr_i64(kv, 0) == 2 &&
	    gguf_arr_u64(kv, 3) == 1, "%s: int array", how);

	t = gguf_find_tensor(f, "token_embd.weight");
	test_condf(t != NULL && t->type == QT_F32 && t->n_dims == 2 &&
	    t->ne[0] == 256 && t->ne[1] == 5 && t->ne[2] == 1 &&
	    t->nbytes == 256 * 5 * 4 && t->offset == 0 &&
	    ((const float *)t->data)[3] == 1.5f, "%s: F32 tensor", how);
	t = gguf_find_tensor(f, "blk.0.attn_q.weight");
	test_condf(t != NULL && t->type == QT_Q8_0 && t->row_bytes == 8 * 34 &&
	    t->nbytes == 2 * 8 * 34 && t->offset % 32 == 0,
	    "%s: Q8_0 tensor size", how);
	fill_pattern(expect, t->nbytes, (void *)(uintptr_t)1);
	test_condf(memcmp(t->data, expect, t->nbytes) == 0,
	    "%s: streamed tensor bytes", how);
	t = gguf_find_tensor(f, "blk.0.attn_k.weight");
	test_condf(t != NULL && t->type == QT_Q4_K && t->nbytes == 2 * 144,
	    "%s: Q4_K tensor size", how);
	t = gguf_find_tensor(f, "blk.0.odd.weight");
	test_condf(t != NULL && t->n_dims == 3 && t->ne[2] == 3 &&
	    t->nbytes == 4 * 2 * 3 * 2 && t->ne[3] == 1,
	    "%s: 3-d F16 tensor", how);
	for (i = 0; i < f->n_tensors; i++) {
		if (f->tensors[i].offset % f->alignment != 0)
			break;
	}
	test_condf(i == f->n_tensors && f->data_start % f->alignment == 0,
	    "%s: all offsets aligned", how);
}

static void
test_roundtrip(void)
{
	struct gguf_writer	*w;
	struct gguf_file	*f;
	char			*cause = NULL, path[] = "/tmp/test-gguf-XXXXXX";
	void			*b;
	size_t			 size;
	int			 fd;
	int64_t			 ne[1] = { 64 };
	float			 v[64];

	b = fixture_bytes(&size);
	test_cond(gguf_open_mem("fixture.gguf", b, size, &f, &cause) == 0,
	    "fixture opens from memory");
	if (f != NULL) {
		check_fixture(f, "mem");
		gguf_close(f);
	} else
		test_diag("%s", cause);
	free(cause);
	cause = NULL;

	w = fixture_writer();
	fd = mkstemp(path);
	close(fd);
	test_cond(gguf_writer_save(w, path, &cause) == 0, "fixture saved");
	gguf_writer_free(w);
	test_cond(gguf_open(path, &f, &cause) == 0, "saved fixture opens");
	if (f != NULL) {
		check_fixture(f, "file");
		test_cond(f->size == size, "saved file has the in-memory size");
		test_cond(strcmp(f->name, path + 5) == 0, "name is basename");
		gguf_close(f);
	} else
		test_diag("%s", cause);
	free(cause);
	cause = NULL;
	unlink(path);
	free(b);

	/* Custom alignment recorded in general.alignment. */
	memset(v, 0, sizeof v);
	w = gguf_writer_new(2);
	gguf_w_u32(w, "general.alignment", 64);
	gguf_writer_set_alignment(w, 64);
	gguf_w_tensor(w, "a", QT_F32, 1, ne, v);
	ne[0] = 3;
	gguf_w_tensor(w, "b", QT_F32, 1, ne, v);
	gguf_w_tensor(w, "c", QT_F32, 1, ne, v);
	b = gguf_writer_bytes(w, &size);
	gguf_writer_free(w);
	test_cond(gguf_open_mem("a64.gguf", b, size, &f, &cause) == 0 &&
	    f->alignment == 64 && f->version == 2 && f->data_start % 64 == 0 &&
	    f->tensors[1].offset == 256 && f->tensors[2].offset == 320,
	    "v2 file with alignment 64");
	gguf_close(f);
	free(b);
	free(cause);
	cause = NULL;

	/* No tensors, no padding at all (like vocab-only files). */
	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	b = gguf_writer_bytes(w, &size);
	gguf_writer_free(w);
	test_cond(gguf_open_mem("vocab.gguf", b, size, &f, &cause) == 0 && f->n_tensors == 0, "metadata-only file");
	gguf_close(f);
	free(cause);
	cause = NULL;
	while (size > 0 && ((char *)b)[size - 1] == 0 && size > 24 + 8)
		size--;
	test_cond(gguf_open_mem("vocab.gguf", b, size, &f, &cause) == 0,
	    "metadata-only file without trailing padding");
	gguf_close(f);
	free(cause);
	free(b);
}

/* ---- shared models --------------------------------------------------- */

/* Does name end with suffix? */
static int
endswith(const char *name, const char *suffix)
{
	size_t	n = strlen(name), m = strlen(suffix);

	return n >= m && strcmp(name + n - m, suffix) == 0;
}

static int
count_type(const struct gguf_file *f, uint32_t type)
{
	uint64_t	i;
	int		n = 0;

	for (i = 0; i < f->n_tensors; i++)
		n += f->tensors[i].type == type;
	return n;
}

static uint32_t
get_u32(const struct gguf_file *f, const char *key)
{
	uint32_t	 v = 0;
	char		*cause = NULL;

	if (gguf_get_u32(f, key, &v, &cause) != 1)
		v = UINT32_MAX;
	free(cause);
	return v;
}

/* Facts from ../shared/models/README.md about each file. */
static void
check_shared_file(const char *dir, const char *sub, const char *file)
{
	struct gguf_file		*f;
	const struct gguf_tensor	*t;
	const struct gguf_kv		*kv;
	char				 path[4096], *cause = NULL;
	int				 r;

	snprintf(path, sizeof path, "%s/models/%s/%s", dir, sub, file);
	r = gguf_open(path, &f, &cause);
	if (strcmp(file, "stories260K-gguf-v1.gguf") == 0) {
		test_condf(r == -1 && strstr(cause, "stories260K-gguf-v1.gguf: "
		    "header: GGUF v1 is not supported (obsolete format)") !=
		    NULL, "%s rejected as v1: %s", file, cause ? cause : "");
		free(cause);
		return;
	}
	if (strcmp(file, "stories260K-legacy-q8_0.gguf") == 0) {
		test_condf(r == -1 && strstr(cause, "tensor '") != NULL &&
		    strstr(cause, "row length 172 is not a multiple of the "
		    "Q8_0 block size 32") != NULL && strstr(cause, "at offset ")
		    != NULL, "%s rejected: %s", file, cause ? cause : "");
		free(cause);
		return;
	}
	test_condf(r == 0, "%s/%s opens%s%s", sub, file, cause ? ": " : "",
	    cause ? cause : "");
	free(cause);
	if (r != 0)
		return;
	if (strcmp(file, "stories260K.gguf") == 0) {
		test_cond(f->version == 3 && get_u32(f, "llama.embedding_length")
		    == 64 && get_u32(f, "llama.block_count") == 5 &&
		    get_u32(f, "llama.attention.head_count") == 8 &&
		    get_u32(f, "llama.attention.head_count_kv") == 4 &&
		    get_u32(f, "llama.feed_forward_length") == 172,
		    "stories260K: v3, dim 64, 5 layers, heads 8/4, ffn 172");
		kv = gguf_find(f, "tokenizer.ggml.tokens");
		test_cond(kv != NULL && kv->v.arr.n == 512, "stories260K: 512 tokens");
		test_cond(count_type(f, QT_F32) == (int)f->n_tensors &&
		    f->n_tensors == 3 + 9 * 5,
		    "stories260K: 48 tensors, all F32");
		t = gguf_find_tensor(f, "blk.0.ffn_down.weight");
		test_cond(t != NULL && t->ne[0] == 172 && t->ne[1] == 64,
		    "stories260K: ffn_down is [172, 64]");
	} else if (strcmp(file, "tinyllama-v0-q4_0.gguf") == 0) {
		test_cond(get_u32(f, "llama.embedding_length") == 64 &&
		    get_u32(f, "llama.block_count") == 8 &&
		    count_type(f, QT_Q4_0) > 0,
		    "tinyllama-v0: dim 64, 8 layers, Q4_0 tensors");
		kv = gguf_find(f, "tokenizer.ggml.tokens");
		test_cond(kv != NULL && kv->v.arr.n == 32000,
		    "tinyllama-v0: 32000 tokens");
	} else if (strcmp(file, "llama-2-tiny-random.gguf") == 0) {
		test_cond(get_u32(f, "llama.embedding_length") == 8 &&
		    get_u32(f, "llama.block_count") == 1 &&
		    count_type(f, QT_F16) > 0, "llama-2-tiny: dim 8, 1 layer, F16");
	} else if (strncmp(file, "kzoo-", 5) == 0) {
		test_condf(get_u32(f, "llama.embedding_length") == 256 &&
		    get_u32(f, "llama.feed_forward_length") == 768 &&
		    get_u32(f, "llama.block_count") == 2 &&
		    get_u32(f, "llama.attention.head_count") == 8 &&
		    get_u32(f, "llama.attention.head_count_kv") == 4 &&
		    f->n_tensors == 3 + 9 * 2, "%s: dim 256, ffn 768, 2 layers, "
		    "heads 8/4, 21 tensors", file);
		kv = gguf_find(f, "tokenizer.ggml.tokens");
		test_condf(kv != NULL && kv->v.arr.n == 514 &&
		    kv->v.arr.strs[513].len == 10 &&
		    memcmp(kv->v.arr.strs[513].ptr, "<|im_end|>", 10) == 0,
		    "%s: 514 tokens ending in <|im_end|>", file);
		if (strcmp(file, "kzoo-q3_k_m.gguf") == 0) {
			test_cond(count_type(f, QT_Q3_K) > 0 &&
			    count_type(f, QT_Q4_K) > 0 &&
			    count_type(f, QT_Q5_K) > 0 &&
			    count_type(f, QT_Q6_K) > 0,
			    "kzoo-q3_k_m has Q3_K, Q4_K, Q5_K and Q6_K");
		}
		if (strcmp(file, "kzoo-q4_0.gguf") == 0) {
			t = gguf_find_tensor(f, "output.weight");
			test_cond(t != NULL && t->type == QT_Q6_K,
			    "kzoo-q4_0 keeps output.weight at Q6_K");
		}
	} else if (strcmp(file, "chatml-llama2vocab-q4_k_m.gguf") == 0) {
		kv = gguf_find(f, "tokenizer.ggml.tokens");
		test_cond(kv != NULL && kv->v.arr.n == 32002 &&
		    get_u32(f, "general.file_type") == 15,
		    "chatml-llama2vocab: 32002 tokens, Q4_K_M");
	} else if (strcmp(sub, "vocab") == 0) {
		kv = gguf_find(f, "tokenizer.ggml.tokens");
		test_condf(kv != NULL && kv->v.arr.n > 1000 && f->n_tensors == 0,
		    "%s: vocabulary only (%llu tokens)", file,
		    kv ? (unsigned long long)kv->v.arr.n : 0ULL);
	}
	gguf_close(f);
}

static void
test_shared(void)
{
	const char	*dir, *subs[] = { "real", "synthetic", "vocab" };
	char		 path[4096];
	struct dirent	**ents;
	size_t		 i;
	int		 n = 0, k, j;

	if ((dir = test_shared_dir()) == NULL) {
		test_skip("shared models", "skipped: shared models not found");
		return;
	}
	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		snprintf(path, sizeof path, "%s/models/%s", dir, subs[i]);
		if ((k = scandir(path, &ents, NULL, alphasort)) < 0)
			continue;
		for (j = 0; j < k; j++) {
			if (endswith(ents[j]->d_name, ".gguf")) {
				check_shared_file(dir, subs[i], ents[j]->d_name);
				n++;
			}
			free(ents[j]);
		}
		free(ents);
	}
	test_condf(n >= 20, "found %d shared GGUF files", n);
}

int
main(void)
{
	test_roundtrip();
	test_shared();
	return test_report();
}
