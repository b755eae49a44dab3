/*
 * inspect.c -- what a GGUF file is, without touching its weights:
 * engine_probe() (the summary the model menu and the store's catalog
 * show), engine_mem_needed() (the memory estimate beside it) and
 * engine_inspect() (`medchat inspect`, as text or as one JSON document).
 *
 * Everything here reads a file that gguf_open() has fully validated, so
 * offsets and lengths are trusted; strings are not: keys and tensor names
 * are valid UTF-8 without NUL but may hold control characters, and string
 * values may be anything.  Text output escapes every byte that could
 * drive a terminal (control characters, invalid UTF-8) and JSON output
 * is written by jansson, which escapes per RFC 8259 (invalid UTF-8
 * becomes U+FFFD, jsonx.h), so no file content reaches the terminal raw.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "gguf.h"
#include "quant.h"
#include "buf.h"
#include "jsonx.h"
#include "units.h"
#include "utf8.h"
#include "xmalloc.h"

#define INSPECT_ARRAY_ITEMS	8	/* array elements shown */
#define INSPECT_TEXT_STR	400	/* bytes of a string value shown */

/* Run-time constants of the engine that the memory estimate mirrors. */
#define MEM_BATCH		512	/* prompt tokens per forward batch */
#define MEM_THREADS		16	/* attention scratch rows assumed */

static int	 inspect_hparam(const struct gguf_file *, const char *,
		    const char *, uint32_t *, char **);
static void	 inspect_quant_name(const struct gguf_file *, char *, size_t);
static int	 inspect_fill(const struct gguf_file *,
		    struct engine_file_summary *, char **);
static size_t	 esc_cut(const char *, size_t, size_t);
static void	 esc_text_fixed(char *, size_t, const char *, size_t);
static void	 fmt_float(struct buf *, double, int, int);
static void	 fmt_scalar(struct buf *, const struct gguf_kv *, uint64_t);
static json_t	*json_scalar(const struct gguf_kv *, uint64_t);
static void	 inspect_text(const struct gguf_file *,
		    const struct engine_file_summary *, struct buf *);
static void	 inspect_json(const struct gguf_file *,
		    const struct engine_file_summary *, struct buf *);
static size_t	 text_width(const char *);
static int64_t	 inspect_ftype(const struct gguf_file *);
static int	 inspect_mem(const struct engine_file_summary *, uint64_t *,
		    uint64_t *);
static json_t	*json_key_str(const struct gguf_kv *);

/* ---- summary --------------------------------------------------------- */

/*
 * Read ARCH.suffix as a u32; an integer array (per-layer values) gives
 * its largest element.  0 if absent; -1 with *cause if out of range.
 */
static int
inspect_hparam(const struct gguf_file *f, const char *arch,
    const char *suffix, uint32_t *out, char **cause)
{
	const struct gguf_kv	*kv;
	char			 key[160];
	uint64_t		 i;
	int64_t			 v, max = 0;

	*out = 0;
	snprintf(key, sizeof key, "%s.%s", arch, suffix);
	if ((kv = gguf_find(f, key)) == NULL)
		return 0;
	if (kv->type != GGUF_T_ARRAY)
		return gguf_get_u32(f, key, out, cause) < 0 ? -1 : 0;
	for (i = 0; i < kv->v.arr.n; i++) {
		v = gguf_arr_i64(kv, i);
		if (v < 0 || v > UINT32_MAX || (kv->v.arr.type ==
		    GGUF_T_UINT64 && gguf_arr_u64(kv, i) > UINT32_MAX)) {
			xasprintf(cause, "%s: key '%s': element %" PRIu64
			    " out of range at offset %" PRIu64, f->name, key,
			    i, kv->offset);
			return -1;
		}
		if (v > max)
			max = v;
	}
	*out = (uint32_t)max;
	return 0;
}

/*
 * Quantization name: general.file_type's llama_ftype name without
 * "MOSTLY_"/"ALL_"; when absent or unknown, the type of most 2-D tensors
 * (ties to the larger byte count).
 */
static void
inspect_quant_name(const struct gguf_file *f, char *out, size_t outsz)
{
	const struct gguf_kv	*kv;
	const char		*n;
	uint64_t		 count[QT_COUNT], bytes[QT_COUNT], i;
	uint32_t		 t, best = QT_COUNT;

	kv = gguf_find(f, "general.file_type");
	if (kv != NULL && kv->v.u64 <= UINT32_MAX &&
	    (n = gguf_ftype_name((uint32_t)kv->v.u64)) != NULL) {
		if (strncmp(n, "MOSTLY_", 7) == 0)
			n += 7;
		else if (strncmp(n, "ALL_", 4) == 0)
			n += 4;
		snprintf(out, outsz, "%s", n);
		return;
	}
	memset(count, 0, sizeof count);
	memset(bytes, 0, sizeof bytes);
	for (i = 0; i < f->n_tensors; i++) {
		if (f->tensors[i].n_dims < 2)
			continue;
		count[f->tensors[i].type]++;
		bytes[f->tensors[i].type] += f->tensors[i].nbytes;
	}
	for (t = 0; t < QT_COUNT; t++) {
		if (count[t] == 0)
			continue;
		if (best == QT_COUNT || count[t] > count[best] ||
		    (count[t] == count[best] && bytes[t] > bytes[best]))
			best = t;
	}
	snprintf(out, outsz, "%s", best == QT_COUNT ? "" : qtype_name(best));
}

/* Fill s from a validated file; hyperparameters 0 when absent. */
static int
inspect_fill(const struct gguf_file *f, struct engine_file_summary *s,
    char **cause)
{
	const struct gguf_kv		*kv;
	const struct gguf_tensor	*t;
	const char			*arch;
	uint64_t			 i, bytes = 0;
	int64_t				 nel;
	int				 d;

	memset(s, 0, sizeof *s);
	s->file_size = f->size;
	kv = gguf_find(f, "general.architecture");
	if (kv != NULL)
		esc_text_fixed(s->arch, sizeof s->arch, kv->v.str.ptr,
		    kv->v.str.len);
	kv = gguf_find(f, "general.name");
	if (kv != NULL)
		esc_text_fixed(s->name, sizeof s->name, kv->v.str.ptr,
		    kv->v.str.len);
	inspect_quant_name(f, s->quant, sizeof s->quant);

	for (i = 0; i < f->n_tensors; i++) {
		t = &f->tensors[i];
		nel = 1;
		for (d = 0; d < GGUF_MAX_DIMS; d++)
			nel *= t->ne[d];	/* validated: no overflow */
		s->n_params += (uint64_t)nel;
		bytes += t->nbytes;
	}
	if (s->n_params > 0)
		s->bpw = (double)bytes * 8.0 / (double)s->n_params;

	arch = s->arch;
	if (*arch == '\0' || strchr(arch, '\\') != NULL)
		return 0;	/* no (or a strange) architecture: no dims */
	if (inspect_hparam(f, arch, "context_length", &s->n_ctx_train,
	    cause) != 0 ||
	    inspect_hparam(f, arch, "block_count", &s->n_layer, cause) != 0 ||
	    inspect_hparam(f, arch, "embedding_length", &s->n_embd,
	    cause) != 0 ||
	    inspect_hparam(f, arch, "attention.head_count", &s->n_head,
	    cause) != 0 ||
	    inspect_hparam(f, arch, "attention.head_count_kv", &s->n_head_kv,
	    cause) != 0 ||
	    inspect_hparam(f, arch, "feed_forward_length", &s->n_ff,
	    cause) != 0 ||
	    inspect_hparam(f, arch, "vocab_size", &s->n_vocab, cause) != 0)
		return -1;
	if (s->n_head_kv == 0)
		s->n_head_kv = s->n_head;
	if (s->n_vocab == 0 &&
	    (kv = gguf_find(f, "tokenizer.ggml.tokens")) != NULL &&
	    kv->type == GGUF_T_ARRAY && kv->v.arr.n <= UINT32_MAX)
		s->n_vocab = (uint32_t)kv->v.arr.n;
	if (s->n_vocab == 0 &&
	    (t = gguf_find_tensor(f, "token_embd.weight")) != NULL &&
	    t->ne[1] <= UINT32_MAX)
		s->n_vocab = (uint32_t)t->ne[1];
	return 0;
}

int
engine_probe(const char *path, struct engine_file_summary *s, char **cause)
{
	struct gguf_file	*f;
	int			 r;

	if (gguf_open(path, &f, cause) != 0)
		return -1;
	r = inspect_fill(f, s, cause);
	gguf_close(f);
	return r;
}

/*
 * Weights (the whole file is mapped) + f16 K and V caches + the run
 * buffers engine_open allocates: a batch of MEM_BATCH tokens of
 * activations (residual, norm, q, k, v, attention out, two FFN rows, RoPE
 * tables), quantized activation scratch, attention scores per thread,
 * logits and the sampler's candidate array.
 */
uint64_t
engine_mem_needed(const struct engine_file_summary *s, uint32_t n_ctx)
{
	uint64_t	kv, compute, B, hd, nq, nkv, ff, act;

	if (n_ctx == 0)
		n_ctx = s->n_ctx_train;
	if (s->n_layer == 0 || s->n_embd == 0 || s->n_head == 0 || n_ctx == 0)
		return s->file_size;
	hd = s->n_embd / s->n_head;
	nq = hd * s->n_head;
	nkv = hd * s->n_head_kv;
	ff = s->n_ff > 0 ? s->n_ff : 4 * (uint64_t)s->n_embd;
	B = n_ctx < MEM_BATCH ? n_ctx : MEM_BATCH;
	kv = 2 * (uint64_t)s->n_layer * n_ctx * nkv * 2;
	act = B * (3 * (uint64_t)s->n_embd + 2 * nq + 2 * nkv + 2 * ff + hd);
	compute = 4 * act;
	/* activations quantized for the widest matmul input, ~9 bits */
	compute += B * (ff > s->n_embd ? ff : s->n_embd) * 9 / 8 + 64;
	compute += 4 * (uint64_t)MEM_THREADS * n_ctx;
	compute += (uint64_t)s->n_vocab * (4 + 8);
	return s->file_size + kv + compute;
}

/* ---- escaping and number formatting ---------------------------------- */

/*
 * Where text output of a string value stops: the first character boundary
 * at or after max bytes (then "..." follows).
 */
static size_t
esc_cut(const char *s, size_t n, size_t max)
{
	size_t		i = 0;
	uint32_t	cp;
	int		l;

	while (i < n && i < max) {
		l = utf8_decode(s + i, n - i, &cp);
		i += l > 0 ? (size_t)l : 1;
	}
	return i;
}

/*
 * s[0..n) escaped for text (UTF8_SAFE_ESCAPE) into out[outsz], never
 * cutting a character or an escape.
 */
static void
esc_text_fixed(char *out, size_t outsz, const char *s, size_t n)
{
	struct buf	b = BUF_INIT;
	size_t		i = 0, len = 0, step;
	uint32_t	cp;
	int		l;

	while (i < n) {
		l = utf8_decode(s + i, n - i, &cp);
		step = l > 0 ? (size_t)l : 1;
		buf_clear(&b);
		utf8_safe(&b, s + i, step, UTF8_SAFE_ESCAPE);
		if (len + b.len >= outsz)
			break;
		memcpy(out + len, b.data, b.len);
		len += b.len;
		i += step;
	}
	out[len] = '\0';
	buf_free(&b);
}

/*
 * Shortest decimal that reads back as the same float (is32) or double.
 * Non-finite values: "nan"/"inf" in text, null in JSON.
 */
static void
fmt_float(struct buf *b, double v, int is32, int json)
{
	char	tmp[64], alt[64];
	int	p;

	if (!isfinite(v)) {
		if (json)
			buf_puts(b, "null");
		else
			buf_puts(b, isnan(v) ? "nan" : (v < 0 ? "-inf" : "inf"));
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*g", p, v);
		if (is32 ? (float)strtod(tmp, NULL) == (float)v :
		    strtod(tmp, NULL) == v)
			break;
	}
	/* Plain notation where it is as exact and not absurdly long. */
	if (strchr(tmp, 'e') != NULL && fabs(v) >= 1e-5 && fabs(v) < 1e16) {
		for (p = 0; p <= 20; p++) {
			snprintf(alt, sizeof alt, "%.*f", p, v);
			if (is32 ? (float)strtod(alt, NULL) == (float)v :
			    strtod(alt, NULL) == v) {
				snprintf(tmp, sizeof tmp, "%s", alt);
				break;
			}
		}
	}
	if (v == 0 && signbit(v))
		snprintf(tmp, sizeof tmp, "-0.0");	/* keep the sign in JSON */
	buf_puts(b, tmp);
}

/*
 * Append element i of an array kv (i == UINT64_MAX: the scalar value of
 * kv itself), formatted as text.
 */
static void
fmt_scalar(struct buf *b, const struct gguf_kv *kv, uint64_t i)
{
	const struct gguf_str	*s;
	size_t			 max, cut;
	uint32_t		 t;

	t = (i == UINT64_MAX) ? kv->type : kv->v.arr.type;
	if (t == GGUF_T_STRING) {
		s = (i == UINT64_MAX) ? &kv->v.str : &kv->v.arr.strs[i];
		max = i == UINT64_MAX ? INSPECT_TEXT_STR : 64;
		cut = esc_cut(s->ptr, s->len, max);
		buf_putc(b, '"');
		utf8_safe(b, s->ptr, cut, UTF8_SAFE_ESCAPE | UTF8_SAFE_QUOTED);
		buf_puts(b, cut < s->len ? "...\"" : "\"");
		if (s->len > max)
			buf_printf(b, " (%" PRIu64 " bytes)", s->len);
		return;
	}
	switch (t) {
	case GGUF_T_BOOL:
		buf_puts(b, (i == UINT64_MAX ? kv->v.u64 :
		    gguf_arr_u64(kv, i)) ? "true" : "false");
		break;
	case GGUF_T_INT8: case GGUF_T_INT16: case GGUF_T_INT32:
	case GGUF_T_INT64:
		buf_printf(b, "%" PRId64, i == UINT64_MAX ? kv->v.i64 :
		    gguf_arr_i64(kv, i));
		break;
	case GGUF_T_FLOAT32: case GGUF_T_FLOAT64:
		fmt_float(b, i == UINT64_MAX ? kv->v.f64 : gguf_arr_f64(kv, i),
		    t == GGUF_T_FLOAT32, 0);
		break;
	default:
		buf_printf(b, "%" PRIu64, i == UINT64_MAX ? kv->v.u64 :
		    gguf_arr_u64(kv, i));
		break;
	}
}

/*
 * Element i of an array kv (i == UINT64_MAX: the scalar value of kv
 * itself) as a new JSON value: strings whole (invalid UTF-8 as U+FFFD),
 * floats in the fewest digits, non-finite ones as null.
 */
static json_t *
json_scalar(const struct gguf_kv *kv, uint64_t i)
{
	const struct gguf_str	*s;
	struct buf		 b = BUF_INIT;
	json_t			*v;
	uint32_t		 t;

	t = (i == UINT64_MAX) ? kv->type : kv->v.arr.type;
	switch (t) {
	case GGUF_T_STRING:
		s = (i == UINT64_MAX) ? &kv->v.str : &kv->v.arr.strs[i];
		return jsonx_stringn(s->ptr, s->len);
	case GGUF_T_BOOL:
		return json_boolean(i == UINT64_MAX ? kv->v.u64 :
		    gguf_arr_u64(kv, i));
	case GGUF_T_INT8: case GGUF_T_INT16: case GGUF_T_INT32:
	case GGUF_T_INT64:
		return json_integer(i == UINT64_MAX ? kv->v.i64 :
		    gguf_arr_i64(kv, i));
	case GGUF_T_FLOAT32: case GGUF_T_FLOAT64:
		fmt_float(&b, i == UINT64_MAX ? kv->v.f64 : gguf_arr_f64(kv,
		    i), t == GGUF_T_FLOAT32, 1);
		v = jsonx_number("%s", buf_str(&b));
		buf_free(&b);
		return v;
	default:
		return jsonx_uint64_new(i == UINT64_MAX ? kv->v.u64 :
		    gguf_arr_u64(kv, i));
	}
}

/* ---- text and JSON --------------------------------------------------- */

/* Display width of s once escaped for text. */
static size_t
text_width(const char *s)
{
	struct buf	b = BUF_INIT;
	size_t		w;

	utf8_safe(&b, s, strlen(s), UTF8_SAFE_ESCAPE);
	w = utf8_width(buf_str(&b), b.len);
	buf_free(&b);
	return w;
}

struct mix {
	uint64_t	count[QT_COUNT];
	uint64_t	bytes[QT_COUNT];
	uint64_t	total;
};

static void
inspect_mix(const struct gguf_file *f, struct mix *m)
{
	uint64_t	i;

	memset(m, 0, sizeof *m);
	for (i = 0; i < f->n_tensors; i++) {
		m->count[f->tensors[i].type]++;
		m->bytes[f->tensors[i].type] += f->tensors[i].nbytes;
		m->total += f->tensors[i].nbytes;
	}
}

/* general.file_type value, or -1 when absent. */
static int64_t
inspect_ftype(const struct gguf_file *f)
{
	const struct gguf_kv	*kv = gguf_find(f, "general.file_type");

	if (kv == NULL || kv->v.u64 > UINT32_MAX)
		return -1;
	return (int64_t)kv->v.u64;
}

/*
 * The memory engine_mem_needed() gives at the trained context (*mem) and
 * the f16 KV cache's part of it (*kvb); 0 if the file records no context
 * length or no layers or heads.
 */
static int
inspect_mem(const struct engine_file_summary *s, uint64_t *mem,
    uint64_t *kvb)
{
	if (s->n_ctx_train == 0 || s->n_layer == 0 || s->n_head == 0)
		return 0;
	*mem = engine_mem_needed(s, s->n_ctx_train);
	*kvb = 2 * (uint64_t)s->n_layer * s->n_ctx_train *
	    (s->n_embd / s->n_head * (uint64_t)s->n_head_kv) * 2;
	return 1;
}

/* String key/value kv as a new JSON string, or null if absent. */
static json_t *
json_key_str(const struct gguf_kv *kv)
{
	return kv != NULL ? jsonx_stringn(kv->v.str.ptr, kv->v.str.len) :
	    json_null();
}

static void
inspect_text(const struct gguf_file *f, const struct engine_file_summary *s,
    struct buf *b)
{
	const struct gguf_kv		*kv;
	const struct gguf_tensor	*t;
	struct mix			 m;
	uint64_t			 i, j, mem, kvb;
	int64_t				 ft;
	size_t				 w, namew = 4, start;
	const char			*ftn;
	uint32_t			 d;

	buf_puts(b, "file:           ");
	utf8_safe(b, f->path, strlen(f->path), UTF8_SAFE_ESCAPE);
	buf_puts(b, "\nsize:           ");
	units_bytes(b, f->size);
	buf_printf(b, " (%" PRIu64 " bytes)\n", f->size);
	buf_printf(b, "GGUF version:   %u\n", f->version);
	buf_printf(b, "architecture:   %s\n", *s->arch ? s->arch : "(none)");
	buf_printf(b, "name:           %s\n", *s->name ? s->name : "(none)");
	ft = inspect_ftype(f);
	ftn = ft >= 0 ? gguf_ftype_name((uint32_t)ft) : NULL;
	if (ft < 0) {
		buf_printf(b, "file type:      (not recorded; tensors suggest "
		    "%s)\n", *s->quant ? s->quant : "nothing");
	} else if (ftn == NULL) {
		buf_printf(b, "file type:      unknown (%" PRId64 "; tensors "
		    "suggest %s)\n", ft, *s->quant ? s->quant : "nothing");
	} else
		buf_printf(b, "file type:      %s (%" PRId64 ")\n", ftn, ft);
	buf_printf(b, "quantization:   %s\n", *s->quant ? s->quant : "(none)");
	buf_puts(b, "parameters:     ");
	units_count(b, s->n_params);
	buf_printf(b, " (%" PRIu64 ")\n", s->n_params);
	buf_printf(b, "bits per weight: %.2f\n", s->bpw);
	if (s->n_layer > 0) {
		buf_printf(b, "dimensions:     %u layers, n_embd %u, n_ff %u, "
		    "%u heads (%u KV), vocabulary %u\n", s->n_layer, s->n_embd,
		    s->n_ff, s->n_head, s->n_head_kv, s->n_vocab);
	}
	if (inspect_mem(s, &mem, &kvb)) {
		buf_printf(b, "memory needed:  ");
		units_bytes(b, mem);
		buf_printf(b, " at context %u (weights ", s->n_ctx_train);
		units_bytes(b, f->size);
		buf_puts(b, " + f16 KV cache ");
		units_bytes(b, kvb);
		buf_puts(b, " + buffers ");
		units_bytes(b, mem - f->size - kvb);
		buf_puts(b, ")\n");
	} else
		buf_puts(b, "memory needed:  (no context length in the file)\n");

	buf_printf(b, "\nmetadata (%" PRIu64 " keys):\n", f->n_kv);
	for (i = 0; i < f->n_kv; i++) {
		kv = &f->kv[i];
		buf_puts(b, "  ");
		utf8_safe(b, kv->key, strlen(kv->key), UTF8_SAFE_ESCAPE);
		w = text_width(kv->key) + 2;
		buf_printf(b, "%*s", w < 42 ? (int)(42 - w) : 1, "");
		if (kv->type != GGUF_T_ARRAY) {
			buf_printf(b, "%-8s ", gguf_vtype_name(kv->type));
			fmt_scalar(b, kv, UINT64_MAX);
			buf_putc(b, '\n');
			continue;
		}
		buf_printf(b, "%s[%" PRIu64 "] ",
		    gguf_vtype_name(kv->v.arr.type), kv->v.arr.n);
		buf_putc(b, '[');
		for (j = 0; j < kv->v.arr.n && j < INSPECT_ARRAY_ITEMS; j++) {
			if (j > 0)
				buf_puts(b, ", ");
			fmt_scalar(b, kv, j);
		}
		if (kv->v.arr.n > INSPECT_ARRAY_ITEMS) {
			buf_printf(b, ", ... %" PRIu64 " more",
			    kv->v.arr.n - INSPECT_ARRAY_ITEMS);
		}
		buf_puts(b, "]\n");
	}

	for (i = 0; i < f->n_tensors; i++) {
		if ((w = text_width(f->tensors[i].name)) > namew)
			namew = w;
	}
	buf_printf(b, "\ntensors (%" PRIu64 ", data at offset %" PRIu64
	    ", alignment %u):\n", f->n_tensors, f->data_start, f->alignment);
	if (f->n_tensors > 0) {
		buf_printf(b, "  %-*s  %-5s  %-22s %12s %12s\n", (int)namew,
		    "name", "type", "shape", "offset", "bytes");
	}
	for (i = 0; i < f->n_tensors; i++) {
		t = &f->tensors[i];
		buf_puts(b, "  ");
		utf8_safe(b, t->name, strlen(t->name), UTF8_SAFE_ESCAPE);
		w = text_width(t->name);
		buf_printf(b, "%*s  %-5s  ", w < namew ? (int)(namew - w) : 0,
		    "", qtype_name(t->type));
		start = b->len;
		for (d = 0; d < t->n_dims; d++)
			buf_printf(b, "%s%" PRId64, d ? " x " : "", t->ne[d]);
		w = b->len - start;
		buf_printf(b, "%*s %12" PRIu64 " %12" PRIu64 "\n",
		    w < 22 ? (int)(22 - w) : 0, "", t->offset, t->nbytes);
	}

	inspect_mix(f, &m);
	buf_puts(b, "\nquantization mix:\n");
	for (d = 0; d < QT_COUNT; d++) {
		if (m.count[d] == 0)
			continue;
		buf_printf(b, "  %-5s %5" PRIu64 " tensors %14" PRIu64
		    " bytes  %5.1f%%\n", qtype_name(d), m.count[d], m.bytes[d],
		    m.total ? 100.0 * (double)m.bytes[d] / (double)m.total : 0);
	}
	if (m.total == 0)
		buf_puts(b, "  (no tensors)\n");
}

static void
inspect_json(const struct gguf_file *f, const struct engine_file_summary *s,
    struct buf *b)
{
	const struct gguf_kv		*kv;
	const struct gguf_tensor	*t;
	struct mix			 m;
	json_t				*o, *a, *e, *v;
	uint64_t			 i, j, mem, kvb;
	int64_t				 ft;
	const char			*ftn;
	char				*out;
	uint32_t			 d;

	o = jsonx_object();
	jsonx_set(o, "file", jsonx_string(f->path));
	jsonx_set(o, "size", jsonx_uint64_new(f->size));
	jsonx_set(o, "version", json_integer(f->version));
	jsonx_set(o, "architecture", json_key_str(gguf_find(f,
	    "general.architecture")));
	jsonx_set(o, "name", json_key_str(gguf_find(f, "general.name")));
	ft = inspect_ftype(f);
	ftn = ft >= 0 ? gguf_ftype_name((uint32_t)ft) : NULL;
	jsonx_set(o, "file_type", ft >= 0 ? json_integer(ft) : json_null());
	jsonx_set(o, "file_type_name", jsonx_string(ftn));
	jsonx_set(o, "quantization", jsonx_string(s->quant));
	jsonx_set(o, "n_params", jsonx_uint64_new(s->n_params));
	jsonx_set(o, "bits_per_weight", jsonx_number("%.4f", s->bpw));
	jsonx_set(o, "n_ctx_train", json_integer(s->n_ctx_train));
	jsonx_set(o, "n_layer", json_integer(s->n_layer));
	jsonx_set(o, "n_embd", json_integer(s->n_embd));
	jsonx_set(o, "n_ff", json_integer(s->n_ff));
	jsonx_set(o, "n_head", json_integer(s->n_head));
	jsonx_set(o, "n_head_kv", json_integer(s->n_head_kv));
	jsonx_set(o, "n_vocab", json_integer(s->n_vocab));
	if (inspect_mem(s, &mem, &kvb)) {
		e = jsonx_object();
		jsonx_set(e, "n_ctx", json_integer(s->n_ctx_train));
		jsonx_set(e, "total", jsonx_uint64_new(mem));
		jsonx_set(e, "weights", jsonx_uint64_new(f->size));
		jsonx_set(e, "kv_cache", jsonx_uint64_new(kvb));
		jsonx_set(e, "buffers", jsonx_uint64_new(mem - f->size - kvb));
		jsonx_set(o, "memory", e);
	} else
		jsonx_set(o, "memory", json_null());
	jsonx_set(o, "alignment", json_integer(f->alignment));
	jsonx_set(o, "data_offset", jsonx_uint64_new(f->data_start));

	a = jsonx_array();
	for (i = 0; i < f->n_kv; i++) {
		kv = &f->kv[i];
		e = jsonx_object();
		jsonx_set(e, "key", jsonx_string(kv->key));
		jsonx_set(e, "type", jsonx_string(gguf_vtype_name(kv->type)));
		if (kv->type != GGUF_T_ARRAY)
			jsonx_set(e, "value", json_scalar(kv, UINT64_MAX));
		else {
			jsonx_set(e, "element_type", jsonx_string(
			    gguf_vtype_name(kv->v.arr.type)));
			jsonx_set(e, "count", jsonx_uint64_new(kv->v.arr.n));
			v = jsonx_array();
			for (j = 0; j < kv->v.arr.n && j < INSPECT_ARRAY_ITEMS;
			    j++)
				jsonx_append(v, json_scalar(kv, j));
			jsonx_set(e, "first", v);
		}
		jsonx_append(a, e);
	}
	jsonx_set(o, "metadata", a);

	a = jsonx_array();
	for (i = 0; i < f->n_tensors; i++) {
		t = &f->tensors[i];
		e = jsonx_object();
		jsonx_set(e, "name", jsonx_string(t->name));
		jsonx_set(e, "type", jsonx_string(qtype_name(t->type)));
		v = jsonx_array();
		for (d = 0; d < t->n_dims; d++)
			jsonx_append(v, json_integer(t->ne[d]));
		jsonx_set(e, "shape", v);
		jsonx_set(e, "offset", jsonx_uint64_new(t->offset));
		jsonx_set(e, "bytes", jsonx_uint64_new(t->nbytes));
		jsonx_append(a, e);
	}
	jsonx_set(o, "tensors", a);

	inspect_mix(f, &m);
	a = jsonx_array();
	for (d = 0; d < QT_COUNT; d++) {
		if (m.count[d] == 0)
			continue;
		e = jsonx_object();
		jsonx_set(e, "type", jsonx_string(qtype_name(d)));
		jsonx_set(e, "count", jsonx_uint64_new(m.count[d]));
		jsonx_set(e, "bytes", jsonx_uint64_new(m.bytes[d]));
		jsonx_append(a, e);
	}
	jsonx_set(o, "quantization_mix", a);

	out = jsonx_dump(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	buf_puts(b, out);
	buf_putc(b, '\n');
	free(out);
}

int
engine_inspect(const char *path, int json, FILE *out, char **cause)
{
	struct gguf_file		*f;
	struct engine_file_summary	 s;
	struct buf			 b = BUF_INIT;
	int				 r = 0;

	if (gguf_open(path, &f, cause) != 0)
		return -1;
	if (inspect_fill(f, &s, cause) != 0) {
		gguf_close(f);
		return -1;
	}
	if (json)
		inspect_json(f, &s, &b);
	else
		inspect_text(f, &s, &b);
	gguf_close(f);
	if (fwrite(b.data, 1, b.len, out) != b.len || fflush(out) != 0) {
		xasprintf(cause, "write error: %s", strerror(errno));
		r = -1;
	}
	buf_free(&b);
	return r;
}
