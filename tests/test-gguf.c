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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "engine.h"
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
	uint8_t				 expect[1024];

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
	test_cond(strcmp(gguf_ftype_name(15), "MOSTLY_Q4_K_M") == 0 &&
	    strcmp(gguf_ftype_name(0), "ALL_F32") == 0 &&
	    strcmp(gguf_ftype_name(32), "MOSTLY_BF16") == 0 &&
	    gguf_ftype_name(4) == NULL && gguf_ftype_name(1024) == NULL,
	    "llama_ftype names (15, 0, 32 known; 4, 1024 not)");
	test_cond(strcmp(gguf_vtype_name(GGUF_T_FLOAT64), "FLOAT64") == 0 &&
	    strcmp(gguf_vtype_name(13), "INVALID") == 0, "value type names");
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


/* ---- corruption ------------------------------------------------------ */

static int n_kinds;	/* distinct corruption kinds checked */

/*
 * Expect bytes b[0..n) to be rejected with a one-line cause naming the
 * file "bad.gguf", the field, containing msg, and (if off >= 0) "at
 * offset OFF".  Frees b.
 */
static void
expect_fail(const char *kind, void *b, size_t n, const char *field,
    const char *msg, long long off)
{
	struct gguf_file	*f = NULL;
	char			*cause = NULL, want[64];
	const char		*site;
	uint64_t		 soff;
	int			 r, ok, line;

	r = gguf_open_mem("bad.gguf", b, n, &f, &cause);
	ok = r == -1 && f == NULL && cause != NULL;
	if (ok) {
		ok = strncmp(cause, "bad.gguf: ", 10) == 0 &&
		    strchr(cause, '\n') == NULL &&
		    strstr(cause, field) != NULL && strstr(cause, msg) != NULL;
	}
	if (ok && off >= 0) {
		snprintf(want, sizeof want, "at offset %lld", off);
		ok = strstr(cause, want) != NULL;
	}
	/* GGUF_CORRUPT recorded the failing check and the same offset */
	site = gguf_corrupt_site(&line, &soff);
	if (ok && r == -1 && strncmp(msg, "file is empty", 13) != 0) {
		ok = *site != '\0' && line > 0 && (off < 0 ||
		    soff == (uint64_t)off);
	}
	test_condf(ok, "%s: %s", kind, cause ? cause : "(accepted)");
	if (!ok) {
		test_diag("wanted field '%s', message '%s', offset %lld",
		    field, msg, off);
	}
	n_kinds++;
	gguf_close(f);
	free(cause);
	free(b);
}

/* Serialize and free a writer. */
static void *
wbytes(struct gguf_writer *w, size_t *n)
{
	void	*b = gguf_writer_bytes(w, n);

	gguf_writer_free(w);
	return b;
}

/* A minimal valid writer: one key, one F32 tensor [32]. */
static struct gguf_writer *
small_writer(void)
{
	struct gguf_writer	*w = gguf_writer_new(3);
	int64_t			 ne[1] = { 32 };
	float			 v[32] = { 0 };

	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_tensor(w, "t0", QT_F32, 1, ne, v);
	return w;
}

static void
put_le(void *b, size_t off, uint64_t v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		((uint8_t *)b)[off + i] = (uint8_t)(v >> (8 * i));
}

/* Offset of the first occurrence of the n-byte needle in b, or -1. */
static long long
find(const void *b, size_t size, const void *needle, size_t n)
{
	size_t	i;

	for (i = 0; i + n <= size; i++) {
		if (memcmp((const char *)b + i, needle, n) == 0)
			return (long long)i;
	}
	return -1;
}

/* A one-tensor file whose single tensor record is written raw. */
static void *
raw_tensor(uint32_t type, uint32_t n_dims, const uint64_t *ne,
    uint64_t nbytes, uint64_t offset, size_t *n)
{
	struct gguf_writer	*w = gguf_writer_new(3);

	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_tensor_raw(w, "w", 1, type, n_dims, ne, NULL, nbytes, offset);
	return wbytes(w, n);
}

static void
test_header_corruption(void)
{
	uint8_t		 *b;
	size_t		  n, i;
	/* The fixture cut to cut bytes, or its width-byte field at off = v. */
	static const struct {
		size_t		 cut, off;
		uint64_t	 v;
		int		 width;
		const char	*kind, *msg;
		long long	 at;
	} hdr[] = {
		{ 4, 0, 0, 0, "file of only the magic",
		    "version needs 4 bytes but the file ends after 0", 4 },
		{ 0, 4, 1, 4, "version 1", "GGUF v1 is not supported "
		    "(obsolete format); convert the file with a current tool",
		    4 },
		{ 0, 4, 0, 4, "version 0", "unsupported GGUF version 0", 4 },
		{ 0, 4, 4, 4, "version 4", "unsupported GGUF version 4", 4 },
		{ 0, 4, 0x03000000, 4, "big-endian version",
		    "looks big-endian (byte-swapped version 3)", 4 },
		{ 20, 0, 0, 0, "truncated in the counts",
		    "key/value count needs 8 bytes but the file ends after 4",
		    16 },
		{ 0, 8, UINT64_MAX, 8, "huge tensor count",
		    "tensor count 18446744073709551615 cannot fit", 8 },
		{ 0, 16, (uint64_t)1 << 40, 8, "huge key/value count",
		    "key/value count 1099511627776 cannot fit", 16 },
	};

	expect_fail("empty file", xmalloc(1), 0, "header", "file is empty", -1);
	b = xmemdup("GGU", 3);
	expect_fail("3-byte file", b, 3, "header", "not a GGUF file", 0);
	b = wbytes(small_writer(), &n);
	b[3] = 'X';
	expect_fail("bad magic", b, n, "header", "magic 'GGUX', expected "
	    "'GGUF'", 0);
	b = wbytes(small_writer(), &n);
	memcpy(b, "tjgg", 4);
	expect_fail("GGJT magic", b, n, "header", "old GGML/GGJT model", 0);
	b = wbytes(small_writer(), &n);
	memcpy(b, "FUGG", 4);
	expect_fail("byte-swapped magic", b, n, "header", "looks big-endian", 0);
	for (i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
		b = wbytes(small_writer(), &n);
		if (hdr[i].cut != 0) {
			expect_fail(hdr[i].kind, xmemdup(b, hdr[i].cut),
			    hdr[i].cut, "header", hdr[i].msg, hdr[i].at);
			free(b);
			continue;
		}
		put_le(b, hdr[i].off, hdr[i].v, hdr[i].width);
		expect_fail(hdr[i].kind, b, n, "header", hdr[i].msg,
		    hdr[i].at);
	}
	b = wbytes(small_writer(), &n);
	put_le(b, 8, (n - 24) / 32, 8);
	put_le(b, 16, (n - 24) / 13, 8);
	expect_fail("counts fit alone, not together", b, n, "header",
	    "cannot fit in the", 8);
	/* one key more than the file holds */
	b = wbytes(small_writer(), &n);
	put_le(b, 16, 2, 8);
	expect_fail("key/value count too high by one", b, n, "bad.gguf: ",
	    "", -1);
}

static void
test_kv_corruption(void)
{
	struct gguf_writer	*w;
	uint8_t			*b, val[32];
	size_t			 n, i;
	uint32_t		 u32;
	long long		 o;
	char			*big = xmalloc(70000);	/* a key too long */
	/* Refused raw key/values (after a valid general.ok if after_ok). */
	const struct {
		int		 after_ok;
		const char	*key;
		size_t		 len;
		uint32_t	 type;
		const char	*kind, *field, *msg;
		long long	 at;
	} keys[] = {
		{ 0, big, 70000, GGUF_T_UINT8, "key longer than 65535",
		    "key/value #0", "key length 70000 exceeds 65535", 24 },
		{ 0, "", 0, GGUF_T_UINT8, "empty key", "key/value #0",
		    "key is empty", 24 },
		{ 1, "bad\xff\xfekey", 8, GGUF_T_UINT8, "non-UTF-8 key",
		    "key 'bad\\xff\\xfekey'", "key is not valid UTF-8",
		    24 + 8 + 10 + 4 + 4 },
		{ 0, "a\0b", 3, GGUF_T_UINT8, "key with NUL", "key 'a\\x00b'",
		    "key contains a NUL byte", 24 },
		{ 0, "\xed\xa0\x80", 3, GGUF_T_UINT8,
		    "key with a UTF-16 surrogate", "key '",
		    "key is not valid UTF-8", 24 },
		/* value types */
		{ 0, "x.y", 3, 13, "value type 13", "key 'x.y'",
		    "invalid value type 13 (valid: 0..12)", 24 + 8 + 3 },
		{ 0, "x.y", 3, 0xffffffffu, "value type 2^32-1", "key 'x.y'",
		    "invalid value type 4294967295", 24 + 8 + 3 },
	};
	/* Refused array headers (element type, count) in len-byte values. */
	static const struct {
		const char	*key;
		uint32_t	 type;
		uint64_t	 count;
		size_t		 len;
		const char	*kind, *field, *msg;
		long long	 at;
	} arrs[] = {
		{ "x.nested", GGUF_T_ARRAY, 1, 12, "nested array",
		    "key 'x.nested'", "nested arrays are not supported",
		    24 + 8 + 8 + 4 },
		{ "x.a", 20, 1, 12, "array element type 20", "key 'x.a'",
		    "invalid array element type 20", 24 + 8 + 3 + 4 },
		{ "x.a", GGUF_T_UINT64, (uint64_t)1 << 61, 12,
		    "array count * size overflows", "key 'x.a'",
		    "array of 2305843009213693952 UINT64 elements does not fit",
		    24 + 8 + 3 + 4 + 4 },
		{ "x.a", GGUF_T_UINT32, 100, 12 + 8,
		    "array longer than the file", "key 'x.a'",
		    "array of 100 UINT32 elements does not fit", -1 },
	};
	/* UINT32 values of keys the reader checks, that it refuses. */
	static const struct {
		const char	*key;
		uint32_t	 v;
		const char	*kind, *field, *msg;
	} u32s[] = {
		{ "general.alignment", 0, "alignment 0",
		    "key 'general.alignment'",
		    "alignment 0 is not a power of two" },
		{ "general.alignment", 48, "alignment 48",
		    "key 'general.alignment'",
		    "alignment 48 is not a power of two" },
		{ "general.architecture", 7, "architecture not a string",
		    "key 'general.architecture'",
		    "expected a STRING, found UINT32" },
	};

	/* key length fields */
	b = wbytes(small_writer(), &n);
	put_le(b, 24, (uint64_t)1 << 63, 8);
	expect_fail("huge key length", b, n, "key/value #0",
	    "key length 9223372036854775808 runs past end of file", 24);
	memset(big, 'k', 70000);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		w = gguf_writer_new(3);
		if (keys[i].after_ok)
			gguf_w_u32(w, "general.ok", 1);
		gguf_w_kv_raw(w, keys[i].key, keys[i].len, keys[i].type,
		    "\1", 1);
		b = wbytes(w, &n);
		expect_fail(keys[i].kind, b, n, keys[i].field, keys[i].msg,
		    keys[i].at);
	}
	free(big);
	for (i = 0; i < sizeof arrs / sizeof arrs[0]; i++) {
		w = gguf_writer_new(3);
		put_le(val, 0, arrs[i].type, 4);
		put_le(val, 4, arrs[i].count, 8);
		gguf_w_kv_raw(w, arrs[i].key, strlen(arrs[i].key),
		    GGUF_T_ARRAY, val, arrs[i].len);
		b = wbytes(w, &n);
		expect_fail(arrs[i].kind, b, n, arrs[i].field, arrs[i].msg,
		    arrs[i].at);
	}
	w = gguf_writer_new(3);
	put_le(val, 0, GGUF_T_STRING, 4);
	put_le(val, 4, 2, 8);
	put_le(val, 12, 1, 8);
	val[20] = 'a';
	put_le(val, 21, 1000, 8);
	gguf_w_kv_raw(w, "x.s", 3, GGUF_T_ARRAY, val, 29);
	b = wbytes(w, &n);
	expect_fail("string array element too long", b, n, "key 'x.s'",
	    "array string length 1000 runs past end of file",
	    24 + 8 + 3 + 4 + 4 + 8 + 9);
	w = gguf_writer_new(3);
	put_le(val, 0, UINT64_MAX - 3, 8);
	gguf_w_kv_raw(w, "x.s", 3, GGUF_T_STRING, val, 8);
	b = wbytes(w, &n);
	expect_fail("huge string value length", b, n, "key 'x.s'",
	    "string value length 18446744073709551612 runs past", 24 + 8 + 3 + 4);
	w = gguf_writer_new(3);
	gguf_w_kv_raw(w, "x.f", 3, GGUF_T_FLOAT64, val, 5);
	b = wbytes(w, &n);
	expect_fail("truncated scalar value", b, 24 + 8 + 3 + 4 + 5, "key 'x.f'",
	    "value needs 8 bytes but the file ends after 5", 24 + 8 + 3 + 4);

	/* duplicates and key types */
	w = gguf_writer_new(3);
	gguf_w_u32(w, "general.file_type", 1);
	gguf_w_str(w, "general.name", "x");
	gguf_w_u32(w, "general.file_type", 2);
	b = wbytes(w, &n);
	o = find(b, n, "general.name", 12) + 12 + 4 + 8 + 1;
	expect_fail("duplicate key", b, n, "key 'general.file_type'",
	    "duplicate key (first defined at offset 24)", o);
	w = gguf_writer_new(3);
	gguf_w_u64(w, "general.alignment", 32);
	b = wbytes(w, &n);
	expect_fail("alignment stored as UINT64", b, n,
	    "key 'general.alignment'", "expected a UINT32, found UINT64", 24);
	for (i = 0; i < sizeof u32s / sizeof u32s[0]; i++) {
		w = gguf_writer_new(3);
		gguf_w_u32(w, u32s[i].key, u32s[i].v);
		b = wbytes(w, &n);
		expect_fail(u32s[i].kind, b, n, u32s[i].field, u32s[i].msg,
		    24);
	}
	w = gguf_writer_new(3);
	u32 = 5;
	gguf_w_arr(w, "tokenizer.ggml.tokens", GGUF_T_UINT32, &u32, 1);
	b = wbytes(w, &n);
	expect_fail("tokens not strings", b, n, "key 'tokenizer.ggml.tokens'",
	    "expected an array of STRING, found an ARRAY of UINT32", 24);
	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_str(w, "llama.block_count", "32");
	b = wbytes(w, &n);
	expect_fail("architecture key of the wrong type", b, n,
	    "key 'llama.block_count'", "expected an integer, found STRING",
	    -1);
	w = gguf_writer_new(3);
	gguf_w_u32(w, "tokenizer.ggml.add_bos_token", 1);
	b = wbytes(w, &n);
	expect_fail("bool key stored as integer", b, n,
	    "key 'tokenizer.ggml.add_bos_token'", "expected a BOOL, found UINT32",
	    24);
}

static void
test_tensor_corruption(void)
{
	struct gguf_writer	*w;
	uint8_t			*b;
	size_t			 n;
	uint64_t		 ne[5] = { 32, 1, 1, 1, 1 };
	int64_t			 sne[2] = { 32, 2 };
	float			 v[64] = { 0 };
	char			 name[70];
	long long		 o;
	size_t			 i;
	/* Tensor names the reader refuses. */
	const struct {
		const char	*name;
		size_t		 len;
		const char	*kind, *field, *msg;
	} names[] = {
		{ name, 64, "tensor name of 64 bytes", "tensor #0",
		    "tensor name length 64 exceeds 63" },
		{ "", 0, "empty tensor name", "tensor #0",
		    "tensor name is empty" },
		{ "\xc3(", 2, "non-UTF-8 tensor name", "tensor '\\xc3('",
		    "tensor name is not valid UTF-8" },
		{ "a\0", 2, "tensor name with NUL", "tensor 'a\\x00'",
		    "tensor name contains a NUL byte" },
	};
	/* Tensor types it refuses, with a one-row tensor's size in each. */
	static const struct {
		uint32_t	 type;
		uint64_t	 nbytes;
		const char	*kind, *msg;
	} types[] = {
		{ 99, 128, "unknown tensor type", "unknown tensor type 99" },
		{ 4, 128, "removed type 4",
		    "tensor type 4 was removed from GGUF" },
		{ 5, 128, "removed type 5",
		    "tensor type 5 was removed from GGUF" },
		{ 32, 128, "removed type 32",
		    "tensor type 32 was removed from GGUF" },
		{ 16, 128, "unsupported IQ type",
		    "tensor type IQ2_XXS (16) is not supported" },
		{ QT_Q8_K, 292, "activation-only Q8_K",
		    "type Q8_K (15) is an activation-only type" },
		{ QT_Q8_1, 36, "activation-only Q8_1",
		    "type Q8_1 (9) is an activation-only type" },
	};
	/* Bad data offsets of 128-byte 'w', or 'b' after 256-byte 'a' (two). */
	static const struct {
		int		 two;
		uint64_t	 offset;
		const char	*kind, *field, *msg;
	} ranges[] = {
		{ 0, 1024, "data past end of file", "tensor 'w'",
		    "past end of file" },
		{ 0, UINT64_MAX - 31, "data offset overflows", "tensor 'w'",
		    "data offset 18446744073709551584 + 128 bytes overflows" },
		{ 1, 0, "overlapping tensors", "tensor '",
		    "overlaps tensor '" },
		{ 1, 224, "tensor partly past end", "tensor 'b'",
		    "data ends at " },
	};

	/* names */
	memset(name, 'n', sizeof name);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		w = gguf_writer_new(3);
		gguf_w_tensor_raw(w, names[i].name, names[i].len, QT_F32, 1,
		    ne, NULL, 128, GGUF_W_AUTO);
		b = wbytes(w, &n);
		expect_fail(names[i].kind, b, n, names[i].field, names[i].msg,
		    24);
	}
	w = gguf_writer_new(3);
	gguf_w_tensor(w, "same", QT_F32, 2, sne, v);
	gguf_w_tensor(w, "other", QT_F32, 2, sne, v);
	gguf_w_tensor(w, "same", QT_F32, 2, sne, v);
	b = wbytes(w, &n);
	o = find(b, n, "other", 5) + 5 + 4 + 16 + 4 + 8;
	expect_fail("duplicate tensor name", b, n, "tensor 'same'",
	    "duplicate tensor (first defined at offset 24)", o);

	/* dimensions */
	b = raw_tensor(QT_F32, 0, ne, 4, GGUF_W_AUTO, &n);
	expect_fail("n_dims 0", b, n, "tensor 'w'", "n_dims is 0 (valid: 1..4)",
	    -1);
	b = raw_tensor(QT_F32, 5, ne, 128, GGUF_W_AUTO, &n);
	expect_fail("n_dims 5", b, n, "tensor 'w'", "n_dims is 5 (valid: 1..4)",
	    -1);
	ne[1] = 0;
	b = raw_tensor(QT_F32, 2, ne, 0, GGUF_W_AUTO, &n);
	expect_fail("ne 0", b, n, "tensor 'w'",
	    "ne[1] is 0 (empty tensors are not supported)", -1);
	ne[1] = (uint64_t)1 << 63;
	b = raw_tensor(QT_F32, 2, ne, 0, GGUF_W_AUTO, &n);
	expect_fail("negative ne", b, n, "tensor 'w'",
	    "ne[1] is negative (-9223372036854775808)", -1);
	ne[1] = (uint64_t)1 << 40;
	ne[2] = (uint64_t)1 << 40;
	b = raw_tensor(QT_F32, 3, ne, 0, GGUF_W_AUTO, &n);
	expect_fail("element count overflow", b, n, "tensor 'w'",
	    "element count overflows at ne[2] = 1099511627776", -1);
	ne[0] = (uint64_t)1 << 31;
	ne[1] = (uint64_t)1 << 31;
	b = raw_tensor(QT_F32, 2, ne, 0, GGUF_W_AUTO, &n);
	expect_fail("byte size overflow", b, n, "tensor 'w'",
	    "data size overflows (2147483648 rows of 8589934592 bytes)", -1);
	ne[0] = 32;
	ne[1] = ne[2] = 1;

	/* types */
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		b = raw_tensor(types[i].type, 1, ne, types[i].nbytes,
		    GGUF_W_AUTO, &n);
		expect_fail(types[i].kind, b, n, "tensor 'w'", types[i].msg,
		    -1);
	}
	ne[0] = 100;
	b = raw_tensor(QT_Q4_K, 1, ne, 144, GGUF_W_AUTO, &n);
	expect_fail("row not a multiple of the K block", b, n, "tensor 'w'",
	    "row length 100 is not a multiple of the Q4_K block size 256",
	    24 + 8 + 20 + 4 + 8 + 5);
	ne[0] = 172;
	ne[1] = 64;
	b = raw_tensor(QT_Q8_0, 2, ne, 172 * 64 / 32 * 34, GGUF_W_AUTO, &n);
	expect_fail("legacy row-crossing Q8_0", b, n, "tensor 'w'",
	    "row length 172 is not a multiple of the Q8_0 block size 32 "
	    "(file written by an old quantizer?)", -1);
	ne[0] = 32;
	ne[1] = 1;

	/* data ranges */
	b = raw_tensor(QT_F32, 1, ne, 128, 16, &n);
	expect_fail("misaligned data offset", b, n, "tensor 'w'",
	    "data offset 16 is not a multiple of the alignment 32", -1);
	w = gguf_writer_new(3);
	gguf_w_u32(w, "general.alignment", 64);
	gguf_writer_set_alignment(w, 64);
	gguf_w_tensor_raw(w, "w", 1, QT_F32, 1, ne, NULL, 128, 32);
	b = wbytes(w, &n);
	expect_fail("offset misaligned for general.alignment", b, n,
	    "tensor 'w'", "data offset 32 is not a multiple of the alignment 64",
	    -1);
	for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		if (ranges[i].two) {
			w = gguf_writer_new(3);
			gguf_w_tensor(w, "a", QT_F32, 2, sne, v);
			gguf_w_tensor_raw(w, "b", 1, QT_F32, 1, ne, NULL, 128,
			    ranges[i].offset);
			b = wbytes(w, &n);
		} else
			b = raw_tensor(QT_F32, 1, ne, 128, ranges[i].offset,
			    &n);
		expect_fail(ranges[i].kind, b, n, ranges[i].field,
		    ranges[i].msg, -1);
	}
	/* last tensor's data cut short */
	b = wbytes(small_writer(), &n);
	expect_fail("file truncated in tensor data", b, n - 1, "tensor 't0'",
	    "past end of file", -1);
	/* file ends inside the padding before the data */
	b = wbytes(small_writer(), &n);
	o = find(b, n, "t0", 2) + 2 + 4 + 8 + 4 + 8;
	expect_fail("file ends in the data padding", b, (size_t)o + 1,
	    "data section", "file ends before the data section", o);
	/* tensor count one higher than the records */
	b = wbytes(small_writer(), &n);
	put_le(b, 8, 2, 8);
	expect_fail("tensor count too high by one", b, n, "tensor #1", "",
	    -1);
}

/*
 * Truncate the fixture at every length below the end of its last
 * tensor's data: every prefix must be rejected (never read past the
 * end: ASan checks that), and the section boundaries name the right
 * field.
 */
static void
test_truncation(void)
{
	struct gguf_file	*f;
	struct gguf_writer	*w;
	uint8_t			*b, *p, *s;
	char			*cause = NULL;
	size_t			 n, len, bad = 0, multi = 0, need, sn;
	long long		 o;

	b = fixture_bytes(&n);
	if (gguf_open_mem("fixture.gguf", b, n, &f, &cause) != 0)
		abort();
	need = f->data_start + f->tensors[f->n_tensors - 1].offset +
	    f->tensors[f->n_tensors - 1].nbytes;
	gguf_close(f);
	for (len = 0; len < need; len++) {
		p = xmemdup(b, len > 0 ? len : 1);
		cause = NULL;
		f = NULL;
		if (gguf_open_mem("cut.gguf", p, len, &f, &cause) == 0) {
			if (bad++ == 0)
				test_diag("prefix of %zu bytes accepted", len);
			gguf_close(f);
		} else if (strchr(cause, '\n') != NULL ||
		    strncmp(cause, "cut.gguf: ", 10) != 0)
			multi++;
		free(cause);
		free(p);
	}
	test_condf(bad == 0 && multi == 0, "all %zu truncations rejected "
	    "with one-line errors", need);
	n_kinds++;

	/* boundaries: header, first key, a value, tensor infos, data */
	expect_fail("cut after the header", xmemdup(b, 24), 24, "header",
	    "tensor count 5 cannot fit in the 0 bytes left", 8);
	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	s = wbytes(w, &sn);
	expect_fail("cut inside a key", xmemdup(s, 37), 37, "key/value #0",
	    "key length 20 runs past end of file (5 bytes left)", 24);
	expect_fail("cut before a value type", xmemdup(s, 52), 52,
	    "key 'general.architecture'", "value type needs 4 bytes but the "
	    "file ends after 0", 52);
	expect_fail("cut inside a string value", xmemdup(s, 66), 66,
	    "key 'general.architecture'", "string value length 5 runs past "
	    "end of file (2 bytes left)", 56);
	free(s);
	o = find(b, n, "\xe2\x96\x81world", 8);
	expect_fail("cut inside a string array", xmemdup(b, (size_t)o),
	    (size_t)o, "key 'tokenizer.ggml.tokens'",
	    "array string length 8 runs past end of file", o - 8);
	o = find(b, n, "token_embd.weight", 17);
	expect_fail("cut before the tensor infos", xmemdup(b, (size_t)o - 8),
	    (size_t)o - 8, "tensor #0", "tensor name needs 8 bytes", o - 8);
	expect_fail("cut inside the dimensions", xmemdup(b, (size_t)o + 17 + 4
	    + 4), (size_t)o + 17 + 8, "tensor 'token_embd.weight'",
	    "dimension needs 8 bytes but the file ends after 4", o + 21);
	expect_fail("cut before the tensor type", xmemdup(b, (size_t)o + 17
	    + 4 + 16), (size_t)o + 17 + 4 + 16, "tensor 'token_embd.weight'",
	    "tensor type needs 4 bytes", o + 37);
	expect_fail("cut inside the data offset", xmemdup(b, (size_t)o + 17
	    + 4 + 16 + 4 + 3), (size_t)o + 17 + 4 + 16 + 4 + 3,
	    "tensor 'token_embd.weight'", "data offset needs 8 bytes", o + 41);
	free(b);
}


/* ---- engine_probe and engine_mem_needed ----------------------------- */

static void
test_probe(void)
{
	struct engine_file_summary	 s, m;
	struct gguf_writer		*w;
	char				*cause = NULL;
	char				 path[] = "/tmp/test-probe-XXXXXX";
	int64_t				 ne[2] = { 256, 4 };
	uint32_t			 hc[3] = { 4, 8, 6 };
	int				 fd, r;
	uint64_t			 a, b, kv;

	fd = mkstemp(path);
	close(fd);
	w = fixture_writer();
	test_cond(gguf_writer_save(w, path, &cause) == 0, "probe fixture saved");
	gguf_writer_free(w);
	test_cond(engine_probe(path, &s, &cause) == 0, "engine_probe fixture");
	test_condf(strcmp(s.arch, "llama") == 0 &&
	    strcmp(s.name, "fixture \"tiny\"") == 0 &&
	    strcmp(s.quant, "Q4_K_M") == 0 && s.n_ctx_train == 256 &&
	    s.n_layer == 1 && s.n_embd == 256 && s.n_head == 4 &&
	    s.n_head_kv == 2 && s.n_ff == 512 && s.n_vocab == 5,
	    "summary: arch, name, Q4_K_M from file_type, dims (%s/%s/%u)",
	    s.arch, s.quant, s.n_vocab);
	test_condf(s.n_params == 256 * 5 + 256 + 256 * 2 * 2 + 4 * 2 * 3 &&
	    s.bpw > 8 && s.bpw < 32, "summary: %llu parameters, %.2f bpw",
	    (unsigned long long)s.n_params, s.bpw);
	a = engine_mem_needed(&s, 256);
	b = engine_mem_needed(&s, 512);
	kv = 2ULL * 1 * 256 * (256 / 4 * 2) * 2;
	test_condf(engine_mem_needed(&s, 0) == a && a > s.file_size + kv &&
	    b - a >= kv, "memory: default context, KV grows with n_ctx "
	    "(%llu, %llu)", (unsigned long long)a, (unsigned long long)b);

	/* no file_type: quantization guessed; per-layer head counts */
	w = gguf_writer_new(3);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_arr(w, "llama.attention.head_count", GGUF_T_UINT32, hc, 3);
	gguf_w_tensor_fill(w, "a", QT_Q5_K, 2, ne, fill_pattern, NULL);
	gguf_w_tensor_fill(w, "b", QT_Q5_K, 2, ne, fill_pattern, NULL);
	gguf_w_tensor_fill(w, "c", QT_Q8_0, 2, ne, fill_pattern, NULL);
	gguf_w_tensor_fill(w, "n", QT_F32, 1, ne, fill_pattern, NULL);
	test_cond(gguf_writer_save(w, path, &cause) == 0, "second fixture saved");
	gguf_writer_free(w);
	test_condf(engine_probe(path, &s, &cause) == 0 &&
	    strcmp(s.quant, "Q5_K") == 0 && s.n_head == 8 && s.n_layer == 0 &&
	    engine_mem_needed(&s, 0) == s.file_size,
	    "guessed Q5_K, head_count array max 8, no context: weights only "
	    "(%s)", s.quant);

	/* an unusable file: probe fails with the reader's message */
	w = gguf_writer_new(3);
	gguf_w_u32(w, "general.alignment", 3);
	test_cond(gguf_writer_save(w, path, &cause) == 0, "bad fixture saved");
	gguf_writer_free(w);
	r = engine_probe(path, &s, &cause);
	test_condf(r == -1 && cause != NULL &&
	    strstr(cause, "alignment 3 is not a power of two") != NULL,
	    "probe reports the reader's error: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	unlink(path);

	/* Meditron-7B Q4_K_M shape: weights + 2 GiB f16 KV + buffers */
	memset(&m, 0, sizeof m);
	m.file_size = 4081004224ULL;
	m.n_ctx_train = 4096;
	m.n_layer = 32;
	m.n_embd = 4096;
	m.n_head = m.n_head_kv = 32;
	m.n_ff = 11008;
	m.n_vocab = 32000;
	a = engine_mem_needed(&m, 4096);
	b = a - m.file_size - (2ULL << 30);
	test_condf(a > m.file_size + (2ULL << 30) && b > (50ULL << 20) &&
	    b < (400ULL << 20), "7B at 4096: weights + 2 GiB KV + %llu MiB "
	    "buffers", (unsigned long long)(b >> 20));
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
	char				 path[8192], *cause = NULL;
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
	char		 path[8192];
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

/*
 * The writer only ever writes and removes regular files: a FIFO or a
 * directory at the path is refused and left in place (as root, a device
 * such as /dev/null would otherwise be truncated and then unlinked), and
 * a file that cannot be given its size is an error, not a SIGBUS.
 */
static void
test_writer_targets(void)
{
	struct gguf_writer	*w;
	struct stat		 sb;
	char			 dir[] = "/tmp/test-gguf-w-XXXXXX", *p, *cause;
	pid_t			 pid;
	int			 status, rc;

	if (mkdtemp(dir) == NULL) {
		test_skip("writer targets", "mkdtemp failed");
		return;
	}
	xasprintf(&p, "%s/fifo", dir);
	if (mkfifo(p, 0600) == 0) {
		w = fixture_writer();
		cause = NULL;
		rc = gguf_writer_save(w, p, &cause);
		test_condf(rc == -1 && cause != NULL &&
		    strstr(cause, "not a regular file") != NULL,
		    "writer refuses a FIFO (%s)", cause ? cause : "no error");
		test_cond(stat(p, &sb) == 0 && S_ISFIFO(sb.st_mode),
		    "the FIFO is left in place");
		free(cause);
		gguf_writer_free(w);
		unlink(p);
	}
	free(p);

	cause = NULL;
	w = fixture_writer();
	rc = gguf_writer_save(w, dir, &cause);
	test_condf(rc == -1 && cause != NULL && stat(dir, &sb) == 0 &&
	    S_ISDIR(sb.st_mode), "writer refuses a directory, leaves it (%s)",
	    cause ? cause : "no error");
	free(cause);
	gguf_writer_free(w);

	/* A file size limit stands in for a full disk. */
	xasprintf(&p, "%s/big.gguf", dir);
	pid = fork();
	if (pid == 0) {
		struct rlimit	rl = { 4096, 4096 };

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		w = fixture_writer();
		cause = NULL;
		rc = gguf_writer_save(w, p, &cause);
		_exit(rc == -1 && cause != NULL && access(p, F_OK) == -1 ?
		    0 : 1);
	}
	status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	test_condf(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "no room for the file: an error, no partial file (status %d)",
	    status);
	unlink(p);
	free(p);
	rmdir(dir);
}

int
main(void)
{
	test_roundtrip();
	test_writer_targets();
	test_header_corruption();
	test_kv_corruption();
	test_tensor_corruption();
	test_truncation();
	test_probe();
	test_condf(n_kinds >= 30, "%d distinct kinds of corruption checked",
	    n_kinds);
	test_shared();
	return test_report();
}
