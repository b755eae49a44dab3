/*
 * gguf.c -- bounds-checked GGUF v2/v3 reader.
 *
 * Reader.  The whole file is mapped read-only (or, for gguf_open_mem, a
 * private copy of the caller's bytes) and parsed through a cursor that
 * knows the total size: every read first checks that the bytes exist, so
 * a forged length or count can never move the cursor outside the map.
 * Every field is validated before it is used (docs/ENGINE.md, "The GGUF
 * reader"): magic, version, counts against the bytes that remain, string
 * lengths, value and element types, duplicate keys and tensor names,
 * general.alignment, dimensions and their products, tensor types and
 * block sizes, and each tensor's data range (aligned, inside the file,
 * not overlapping another).
 * The first problem found ends the parse: gguf_parse() returns -1 with a
 * single-line cause naming the file, the field and the byte offset, and
 * everything allocated so far is freed.  No half-parsed file escapes.
 *
 * Errors are raised with GGUF_CORRUPT(), which also records the source
 * line of the failing check (gguf_corrupt_site()) so a fuzzer finding
 * points straight at the check that rejected -- or failed to reject --
 * the input (after SQLite's SQLITE_CORRUPT_BKPT).
 *
 * The typed getters over the parsed keys are in gguf-get.c, the writer in
 * gguf-write.c.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "quant.h"
#include "utf8.h"
#include "xmalloc.h"

#define GGUF_MAX_KEY		65535
#define GGUF_MAX_NAME		63
#define GGUF_NOOFF		UINT64_MAX

/* Smallest possible records: used to bound the counts in the header. */
#define GGUF_MIN_KV		13	/* u64 len, >= 1 byte key, u32 type, 1 */
#define GGUF_MIN_TENSOR		32	/* u64 len, u32 n_dims, 1 ne, u32, u64 */
/*
 * Counts above these are refused whatever the file size (the largest
 * real models have a few thousand tensors and under a hundred keys): a
 * sparse file of terabytes would otherwise pass the size check and make
 * the tables themselves terabytes.
 */
#define GGUF_MAX_TENSORS	(1u << 20)
#define GGUF_MAX_KVS		(1u << 20)
/*
 * The same for string arrays, whose table is copied (vocabularies and
 * merge lists run to a few hundred thousand strings).
 */
#define GGUF_MAX_STRINGS	(1u << 24)

/* Parse state: the cursor and what is being read (for messages). */
struct gguf_ctx {
	const char	*name;		/* file name for messages */
	const uint8_t	*base;
	uint64_t	 size;
	uint64_t	 pos;		/* cursor: next byte to read */
	char		 field[128];	/* "header", "key 'x'", "tensor 'y'" */
	char		**cause;
};

static __thread const char	*corrupt_func = "";
static __thread int		 corrupt_line;
static __thread uint64_t	 corrupt_off;

#define GGUF_CORRUPT(ctx, off, ...) \
	gguf_corrupt((ctx), __func__, __LINE__, (off), __VA_ARGS__)

static int	 gguf_corrupt(struct gguf_ctx *, const char *, int, uint64_t,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
static void	 gguf_set_field(struct gguf_ctx *, const char *, const char *,
		    size_t);
static int	 gguf_need(struct gguf_ctx *, uint64_t, const char *);
static int	 gguf_rd_u32(struct gguf_ctx *, uint32_t *, const char *);
static int	 gguf_rd_vtype(struct gguf_ctx *, const char *, uint32_t *);
static int	 gguf_rd_u64(struct gguf_ctx *, uint64_t *, const char *);
static int	 gguf_rd_uint(struct gguf_ctx *, size_t, uint64_t *,
		    const char *);
static int	 gguf_rd_str(struct gguf_ctx *, struct gguf_str *, uint64_t,
		    const char *);
static int	 gguf_rd_name(struct gguf_ctx *, uint64_t, const char *,
		    const char *, char **);
static int	 gguf_rd_scalar(struct gguf_ctx *, struct gguf_kv *, uint32_t);
static int	 gguf_rd_kv(struct gguf_ctx *, struct gguf_kv *);
static int	 gguf_rd_tensor(struct gguf_ctx *, struct gguf_tensor *);
static int	 gguf_check_type(struct gguf_ctx *, uint64_t, uint32_t);
static int	 gguf_check_keys(struct gguf_ctx *, struct gguf_file *);
static int	 gguf_check_data(struct gguf_ctx *, struct gguf_file *);
static int	 gguf_dup_check(struct gguf_ctx *, size_t,
		    const char *(*)(const void *, size_t, uint64_t *),
		    const void *, const char *);
static int	 gguf_parse(struct gguf_file *, char **);
static uint64_t	 gguf_rd_le(const uint8_t *, size_t);
static const char *gguf_kv_key(const void *, size_t, uint64_t *);
static const char *gguf_tensor_name(const void *, size_t, uint64_t *);
static int	 gguf_cmp_offset(const void *, const void *);
static int	 gguf_check_header(struct gguf_ctx *, uint32_t *);
static struct gguf_file *gguf_file_new(const char *);

/* ---- error reporting ------------------------------------------------- */

/*
 * Set *ctx->cause to "NAME: FIELD: message[ at offset OFF]" and remember
 * the failing check's location.  Always returns -1.
 */
static int
gguf_corrupt(struct gguf_ctx *ctx, const char *func, int line, uint64_t off,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	corrupt_func = func;
	corrupt_line = line;
	corrupt_off = off;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (off == GGUF_NOOFF)
		xasprintf(ctx->cause, "%s: %s: %s", ctx->name, ctx->field, msg);
	else {
		xasprintf(ctx->cause, "%s: %s: %s at offset %llu", ctx->name,
		    ctx->field, msg, (unsigned long long)off);
	}
	free(msg);
	return -1;
}

/* Where the last GGUF_CORRUPT of this thread was raised: see gguf.h. */
const char *
gguf_corrupt_site(int *line, uint64_t *offset)
{
	if (line != NULL)
		*line = corrupt_line;
	if (offset != NULL)
		*offset = corrupt_off;
	return corrupt_func;
}

/*
 * Copy s[0..n) into out (size outsz >= 8) for a message: printable ASCII
 * and valid printable UTF-8 as is, anything else as \xNN, quotes and
 * backslashes escaped; long strings end in "...".  Used for every string
 * from a model file that goes into an error message.
 */
void
gguf_escape(const void *src, size_t n, char *out, size_t outsz)
{
	const char	*s = src;
	size_t		 i = 0, o = 0;
	uint32_t	 cp;
	int		 l;

	while (i < n) {
		if (o + 8 >= outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		l = utf8_decode(s + i, n - i, &cp);
		if (l > 1 && cp >= 0xa0) {
			memcpy(out + o, s + i, (size_t)l);
			o += (size_t)l;
			i += (size_t)l;
			continue;
		}
		if (l == 1 && cp >= 0x20 && cp < 0x7f) {
			if (cp == '\'' || cp == '\\')
				out[o++] = '\\';
			out[o++] = (char)cp;
		} else {
			snprintf(out + o, outsz - o, "\\x%02x",
			    (unsigned char)s[i]);
			o += 4;
		}
		i++;
	}
	out[o] = '\0';
}

/* Describe the field being read: kind "key" or "tensor", escaped name. */
static void
gguf_set_field(struct gguf_ctx *ctx, const char *kind, const char *s,
    size_t n)
{
	char	esc[96];

	gguf_escape(s, n, esc, sizeof esc);
	snprintf(ctx->field, sizeof ctx->field, "%s '%s'", kind, esc);
}

/* ---- the cursor ------------------------------------------------------ */

static uint64_t
gguf_rd_le(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

/* Check that n more bytes exist at the cursor. */
static int
gguf_need(struct gguf_ctx *ctx, uint64_t n, const char *what)
{
	uint64_t	left = ctx->size - ctx->pos;

	if (n > left) {
		return GGUF_CORRUPT(ctx, ctx->pos,
		    "%s needs %llu bytes but the file ends after %llu",
		    what, (unsigned long long)n, (unsigned long long)left);
	}
	return 0;
}

static int
gguf_rd_u64(struct gguf_ctx *ctx, uint64_t *v, const char *what)
{
	return gguf_rd_uint(ctx, 8, v, what);
}

static int
gguf_rd_u32(struct gguf_ctx *ctx, uint32_t *v, const char *what)
{
	uint64_t	u;

	if (gguf_rd_uint(ctx, 4, &u, what) != 0)
		return -1;
	*v = (uint32_t)u;
	return 0;
}

/* Read an n-byte little-endian unsigned integer at the cursor. */
static int
gguf_rd_uint(struct gguf_ctx *ctx, size_t n, uint64_t *v, const char *what)
{
	if (gguf_need(ctx, n, what) != 0)
		return -1;
	*v = gguf_rd_le(ctx->base + ctx->pos, n);
	ctx->pos += n;
	return 0;
}

/* Read a length-prefixed string of at most max bytes (pointer into map). */
static int
gguf_rd_str(struct gguf_ctx *ctx, struct gguf_str *s, uint64_t max,
    const char *what)
{
	uint64_t	off = ctx->pos, len;

	if (gguf_rd_u64(ctx, &len, what) != 0)
		return -1;
	if (len > ctx->size - ctx->pos) {
		return GGUF_CORRUPT(ctx, off,
		    "%s length %llu runs past end of file (%llu bytes left)",
		    what, (unsigned long long)len,
		    (unsigned long long)(ctx->size - ctx->pos));
	}
	if (len > max) {
		return GGUF_CORRUPT(ctx, off, "%s length %llu exceeds %llu",
		    what, (unsigned long long)len, (unsigned long long)max);
	}
	s->ptr = (const char *)ctx->base + ctx->pos;
	s->len = len;
	ctx->pos += len;
	return 0;
}

/*
 * Read a key or tensor name: non-empty, at most max bytes, valid UTF-8
 * without NUL.  kind ("key", "tensor") names the field from now on, what
 * is used in messages.  *out is a NUL-terminated copy (caller frees).
 */
static int
gguf_rd_name(struct gguf_ctx *ctx, uint64_t max, const char *kind,
    const char *what, char **out)
{
	struct gguf_str	 s;
	uint64_t	 off = ctx->pos;

	if (gguf_rd_str(ctx, &s, max, what) != 0)
		return -1;
	if (s.len == 0)
		return GGUF_CORRUPT(ctx, off, "%s is empty", what);
	gguf_set_field(ctx, kind, s.ptr, s.len);
	if (memchr(s.ptr, '\0', s.len) != NULL)
		return GGUF_CORRUPT(ctx, off, "%s contains a NUL byte", what);
	if (!utf8_valid(s.ptr, s.len))
		return GGUF_CORRUPT(ctx, off, "%s is not valid UTF-8", what);
	*out = xstrndup(s.ptr, s.len);
	return 0;
}

/* ---- key/value records ----------------------------------------------- */

/* Bytes of one value of a fixed-size type; 0 for STRING, ARRAY, unknown. */
size_t
gguf_vtype_size(uint32_t t)
{
	switch (t) {
	case GGUF_T_UINT8: case GGUF_T_INT8: case GGUF_T_BOOL:
		return 1;
	case GGUF_T_UINT16: case GGUF_T_INT16:
		return 2;
	case GGUF_T_UINT32: case GGUF_T_INT32: case GGUF_T_FLOAT32:
		return 4;
	case GGUF_T_UINT64: case GGUF_T_INT64: case GGUF_T_FLOAT64:
		return 8;
	}
	return 0;
}

const char *
gguf_vtype_name(uint32_t t)
{
	static const char *const names[GGUF_T_COUNT] = {
		"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32",
		"FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64",
		"FLOAT64"
	};

	if (t >= GGUF_T_COUNT)
		return "INVALID";
	return names[t];
}

/* Decode a little-endian scalar of type t at p into the kv's union. */
void
gguf_decode_scalar(struct gguf_kv *kv, uint32_t t, const uint8_t *p)
{
	size_t		sz = gguf_vtype_size(t);
	uint64_t	raw = gguf_rd_le(p, sz), sign;
	uint32_t	u32;
	float		f;

	switch (t) {
	case GGUF_T_INT8: case GGUF_T_INT16: case GGUF_T_INT32:
	case GGUF_T_INT64:
		/* Sign-extend the sz-byte two's complement value. */
		sign = (uint64_t)1 << (8 * sz - 1);
		kv->v.i64 = (int64_t)((raw ^ sign) - sign);
		break;
	case GGUF_T_FLOAT32:
		u32 = (uint32_t)raw;
		memcpy(&f, &u32, sizeof f);
		kv->v.f64 = f;
		break;
	case GGUF_T_FLOAT64:
		memcpy(&kv->v.f64, &raw, sizeof kv->v.f64);
		break;
	default:	/* unsigned types and BOOL */
		kv->v.u64 = raw;
		break;
	}
}

/* Read the value of a non-array kv whose type t is already validated. */
static int
gguf_rd_scalar(struct gguf_ctx *ctx, struct gguf_kv *kv, uint32_t t)
{
	size_t	sz;

	if (t == GGUF_T_STRING)
		return gguf_rd_str(ctx, &kv->v.str, UINT64_MAX, "string value");
	sz = gguf_vtype_size(t);
	if (gguf_need(ctx, sz, "value") != 0)
		return -1;
	gguf_decode_scalar(kv, t, ctx->base + ctx->pos);
	ctx->pos += sz;
	return 0;
}

/* Read a value type (what names it in messages); -1 if it is unknown. */
static int
gguf_rd_vtype(struct gguf_ctx *ctx, const char *what, uint32_t *t)
{
	uint64_t	off = ctx->pos;

	if (gguf_rd_u32(ctx, t, what) != 0)
		return -1;
	if (*t >= GGUF_T_COUNT) {
		return GGUF_CORRUPT(ctx, off, "invalid %s %u (valid: 0..12)",
		    what, *t);
	}
	return 0;
}

/* Read one key/value record at the cursor into kv. */
static int
gguf_rd_kv(struct gguf_ctx *ctx, struct gguf_kv *kv)
{
	uint64_t	 off, n, i;
	uint32_t	 t, et;
	size_t		 sz;
	struct gguf_str	*strs;

	kv->offset = ctx->pos;
	if (gguf_rd_name(ctx, GGUF_MAX_KEY, "key", "key", &kv->key) != 0)
		return -1;
	if (gguf_rd_vtype(ctx, "value type", &t) != 0)
		return -1;
	kv->type = t;
	if (t != GGUF_T_ARRAY)
		return gguf_rd_scalar(ctx, kv, t);

	off = ctx->pos;
	if (gguf_rd_vtype(ctx, "array element type", &et) != 0)
		return -1;
	if (et == GGUF_T_ARRAY) {
		return GGUF_CORRUPT(ctx, off,
		    "nested arrays are not supported");
	}
	kv->v.arr.type = et;
	off = ctx->pos;
	if (gguf_rd_u64(ctx, &n, "array count") != 0)
		return -1;
	sz = (et == GGUF_T_STRING) ? 8 : gguf_vtype_size(et);
	if (n > (ctx->size - ctx->pos) / sz) {
		return GGUF_CORRUPT(ctx, off, "array of %llu %s elements "
		    "does not fit in the %llu bytes left", (unsigned long long)n,
		    gguf_vtype_name(et),
		    (unsigned long long)(ctx->size - ctx->pos));
	}
	kv->v.arr.n = n;
	kv->v.arr.data = ctx->base + ctx->pos;
	if (et != GGUF_T_STRING) {
		ctx->pos += n * sz;
		return 0;
	}
	if (n == 0)
		return 0;
	if (n > GGUF_MAX_STRINGS) {
		return GGUF_CORRUPT(ctx, off, "array of %llu strings is more "
		    "than medchat accepts (%u)", (unsigned long long)n,
		    GGUF_MAX_STRINGS);
	}
	strs = xcalloc(n, sizeof *strs);
	kv->v.arr.strs = strs;
	for (i = 0; i < n; i++) {
		if (gguf_rd_str(ctx, &strs[i], UINT64_MAX,
		    "array string") != 0)
			return -1;
	}
	return 0;
}

/* ---- tensor-info records --------------------------------------------- */

/*
 * Check that tensor type id t (read at off) can be a stored weight that
 * we implement, with a message for each way it cannot.
 */
static int
gguf_check_type(struct gguf_ctx *ctx, uint64_t off, uint32_t t)
{
	static const char *const others[] = {
		[16] = "IQ2_XXS", [17] = "IQ2_XS", [18] = "IQ3_XXS",
		[19] = "IQ1_S", [20] = "IQ4_NL", [21] = "IQ3_S",
		[22] = "IQ2_S", [23] = "IQ4_XS", [24] = "I8", [25] = "I16",
		[26] = "I32", [27] = "I64", [28] = "F64", [29] = "IQ1_M",
		[34] = "TQ1_0", [35] = "TQ2_0", [39] = "MXFP4"
	};
	const struct qtraits	*tr;

	if ((tr = qtype_traits(t)) != NULL) {
		if (!tr->is_weight) {
			return GGUF_CORRUPT(ctx, off, "type %s (%u) is an "
			    "activation-only type, not valid for a stored "
			    "tensor", tr->name, t);
		}
		return 0;
	}
	if (t == 4 || t == 5 || (t >= 31 && t <= 33) ||
	    (t >= 36 && t <= 38)) {
		return GGUF_CORRUPT(ctx, off, "tensor type %u was removed "
		    "from GGUF (file written by an obsolete tool?)", t);
	}
	if (t < sizeof others / sizeof others[0] && others[t] != NULL) {
		return GGUF_CORRUPT(ctx, off,
		    "tensor type %s (%u) is not supported", others[t], t);
	}
	return GGUF_CORRUPT(ctx, off, "unknown tensor type %u", t);
}

/* Read one tensor-info record at the cursor into t and size it. */
static int
gguf_rd_tensor(struct gguf_ctx *ctx, struct gguf_tensor *t)
{
	const struct qtraits	*tr;
	uint64_t		 off, v, nrows;
	uint32_t		 i, type;
	int64_t			 nel;

	t->info_offset = ctx->pos;
	if (gguf_rd_name(ctx, GGUF_MAX_NAME, "tensor", "tensor name",
	    &t->name) != 0)
		return -1;
	off = ctx->pos;
	if (gguf_rd_u32(ctx, &t->n_dims, "n_dims") != 0)
		return -1;
	if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS) {
		return GGUF_CORRUPT(ctx, off, "n_dims is %u (valid: 1..%d)",
		    t->n_dims, GGUF_MAX_DIMS);
	}
	nel = 1;
	for (i = 0; i < GGUF_MAX_DIMS; i++) {
		t->ne[i] = 1;
		if (i >= t->n_dims)
			continue;
		off = ctx->pos;
		if (gguf_rd_u64(ctx, &v, "dimension") != 0)
			return -1;
		if (v > INT64_MAX) {
			return GGUF_CORRUPT(ctx, off, "ne[%u] is negative "
			    "(%lld)", i, (long long)v);
		}
		if (v == 0) {
			return GGUF_CORRUPT(ctx, off, "ne[%u] is 0 (empty "
			    "tensors are not supported)", i);
		}
		if ((uint64_t)nel > INT64_MAX / v) {
			return GGUF_CORRUPT(ctx, off, "element count "
			    "overflows at ne[%u] = %llu", i,
			    (unsigned long long)v);
		}
		nel *= (int64_t)v;
		t->ne[i] = (int64_t)v;
	}
	off = ctx->pos;
	if (gguf_rd_u32(ctx, &type, "tensor type") != 0)
		return -1;
	if (gguf_check_type(ctx, off, type) != 0)
		return -1;
	t->type = type;
	tr = qtype_traits(type);
	if (t->ne[0] % tr->blck != 0) {
		return GGUF_CORRUPT(ctx, t->info_offset, "row length %lld is "
		    "not a multiple of the %s block size %d (file written by "
		    "an old quantizer?)", (long long)t->ne[0], tr->name,
		    tr->blck);
	}
	/* row_bytes <= ne[0] * 4, so it cannot overflow; the rest can. */
	t->row_bytes = (uint64_t)(t->ne[0] / tr->blck) * tr->type_size;
	nrows = (uint64_t)(nel / t->ne[0]);
	if (nrows > UINT64_MAX / t->row_bytes) {
		return GGUF_CORRUPT(ctx, t->info_offset,
		    "data size overflows (%llu rows of %llu bytes)",
		    (unsigned long long)nrows,
		    (unsigned long long)t->row_bytes);
	}
	t->nbytes = nrows * t->row_bytes;
	if (gguf_rd_u64(ctx, &t->offset, "data offset") != 0)
		return -1;
	return 0;
}

/* ---- whole-file checks ----------------------------------------------- */

static const char *
gguf_kv_key(const void *arr, size_t i, uint64_t *off)
{
	const struct gguf_kv	*kv = arr;

	*off = kv[i].offset;
	return kv[i].key;
}

static const char *
gguf_tensor_name(const void *arr, size_t i, uint64_t *off)
{
	const struct gguf_tensor	*t = arr;

	*off = t[i].info_offset;
	return t[i].name;
}

/*
 * Fail if two of the n names returned by get() are equal.  Uses an open
 * addressing hash of indexes so adversarial counts stay linear.
 */
static int
gguf_dup_check(struct gguf_ctx *ctx, size_t n,
    const char *(*get)(const void *, size_t, uint64_t *), const void *arr,
    const char *kind)
{
	size_t		*slot, cap, i, h;
	const char	*s, *o, *p;
	uint64_t	 off, ooff;

	if (n < 2)
		return 0;
	for (cap = 16; cap < n * 2; cap *= 2)
		;
	slot = xcalloc(cap, sizeof *slot);	/* index + 1; 0 = empty */
	for (i = 0; i < n; i++) {
		s = get(arr, i, &off);
		h = 2166136261u;
		for (p = s; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		for (h &= cap - 1; slot[h] != 0; h = (h + 1) & (cap - 1)) {
			o = get(arr, slot[h] - 1, &ooff);
			if (strcmp(o, s) == 0) {
				free(slot);
				gguf_set_field(ctx, kind, s, strlen(s));
				return GGUF_CORRUPT(ctx, off, "duplicate %s "
				    "(first defined at offset %llu)", kind,
				    (unsigned long long)ooff);
			}
		}
		slot[h] = i + 1;
	}
	free(slot);
	return 0;
}

/* Value types that known keys must have. */
enum gguf_want {
	W_STR, W_INT, W_U32, W_FLOAT, W_BOOL, W_INT_OR_ARR, W_ARR_STR,
	W_ARR_FLOAT, W_ARR_INT
};
static const struct {
	const char	*key;	/* "%s." = the architecture prefix */
	enum gguf_want	 want;
} gguf_known[] = {
	{ "general.architecture", W_STR },
	{ "general.name", W_STR },
	{ "general.alignment", W_U32 },
	{ "general.file_type", W_INT },
	{ "general.quantization_version", W_INT },
	{ "tokenizer.ggml.model", W_STR },
	{ "tokenizer.ggml.pre", W_STR },
	{ "tokenizer.ggml.tokens", W_ARR_STR },
	{ "tokenizer.ggml.scores", W_ARR_FLOAT },
	{ "tokenizer.ggml.token_type", W_ARR_INT },
	{ "tokenizer.ggml.merges", W_ARR_STR },
	{ "tokenizer.ggml.bos_token_id", W_INT },
	{ "tokenizer.ggml.eos_token_id", W_INT },
	{ "tokenizer.ggml.unknown_token_id", W_INT },
	{ "tokenizer.ggml.padding_token_id", W_INT },
	{ "tokenizer.ggml.seperator_token_id", W_INT },
	{ "tokenizer.ggml.eot_token_id", W_INT },
	{ "tokenizer.ggml.eom_token_id", W_INT },
	{ "tokenizer.ggml.add_bos_token", W_BOOL },
	{ "tokenizer.ggml.add_eos_token", W_BOOL },
	{ "tokenizer.ggml.add_space_prefix", W_BOOL },
	{ "tokenizer.chat_template", W_STR },
	{ "%s.context_length", W_INT },
	{ "%s.embedding_length", W_INT },
	{ "%s.block_count", W_INT },
	{ "%s.vocab_size", W_INT },
	{ "%s.feed_forward_length", W_INT_OR_ARR },
	{ "%s.attention.head_count", W_INT_OR_ARR },
	{ "%s.attention.head_count_kv", W_INT_OR_ARR },
	{ "%s.attention.key_length", W_INT },
	{ "%s.attention.value_length", W_INT },
	{ "%s.attention.layer_norm_rms_epsilon", W_FLOAT },
	{ "%s.rope.dimension_count", W_INT },
	{ "%s.rope.freq_base", W_FLOAT },
	{ "%s.rope.scaling.factor", W_FLOAT },
	{ "%s.expert_count", W_INT },
	{ "%s.expert_used_count", W_INT },
};

int
gguf_is_int(uint32_t t)
{
	return t <= GGUF_T_INT32 || t == GGUF_T_UINT64 || t == GGUF_T_INT64;
}

int
gguf_is_float(uint32_t t)
{
	return t == GGUF_T_FLOAT32 || t == GGUF_T_FLOAT64;
}

/* Does kv have a type acceptable for want? */
static int
gguf_type_ok(const struct gguf_kv *kv, enum gguf_want want)
{
	uint32_t	t = kv->type, et = kv->v.arr.type;

	switch (want) {
	case W_STR:
		return t == GGUF_T_STRING;
	case W_INT:
		return gguf_is_int(t);
	case W_U32:
		return t == GGUF_T_UINT32;
	case W_FLOAT:
		return gguf_is_float(t);
	case W_BOOL:
		return t == GGUF_T_BOOL;
	case W_INT_OR_ARR:
		return gguf_is_int(t) || (t == GGUF_T_ARRAY && gguf_is_int(et));
	case W_ARR_STR:
		return t == GGUF_T_ARRAY && et == GGUF_T_STRING;
	case W_ARR_FLOAT:
		return t == GGUF_T_ARRAY && gguf_is_float(et);
	case W_ARR_INT:
		return t == GGUF_T_ARRAY && gguf_is_int(et);
	}
	return 0;
}

static const char *const gguf_want_names[] = {
	"a STRING", "an integer", "a UINT32", "a FLOAT32", "a BOOL",
	"an integer or integer array", "an array of STRING",
	"an array of FLOAT32", "an array of integers"
};

/* Check the types of the known keys and general.alignment's value. */
static int
gguf_check_keys(struct gguf_ctx *ctx, struct gguf_file *f)
{
	const struct gguf_kv	*kv, *arch;
	char			 key[256];
	size_t			 i;

	arch = gguf_find(f, "general.architecture");
	for (i = 0; i < sizeof gguf_known / sizeof gguf_known[0]; i++) {
		if (strncmp(gguf_known[i].key, "%s.", 3) == 0) {
			if (arch == NULL || arch->type != GGUF_T_STRING ||
			    arch->v.str.len > 64)
				continue;
			snprintf(key, sizeof key, "%.*s%s",
			    (int)arch->v.str.len, arch->v.str.ptr,
			    gguf_known[i].key + 2);
		} else
			snprintf(key, sizeof key, "%s", gguf_known[i].key);
		if ((kv = gguf_find(f, key)) == NULL)
			continue;
		if (gguf_type_ok(kv, gguf_known[i].want))
			continue;
		gguf_set_field(ctx, "key", kv->key, strlen(kv->key));
		if (kv->type == GGUF_T_ARRAY) {
			return GGUF_CORRUPT(ctx, kv->offset, "expected %s, "
			    "found an ARRAY of %s",
			    gguf_want_names[gguf_known[i].want],
			    gguf_vtype_name(kv->v.arr.type));
		}
		return GGUF_CORRUPT(ctx, kv->offset, "expected %s, found %s",
		    gguf_want_names[gguf_known[i].want],
		    gguf_vtype_name(kv->type));
	}
	f->alignment = GGUF_DEFAULT_ALIGNMENT;
	if ((kv = gguf_find(f, "general.alignment")) != NULL) {
		if (kv->v.u64 == 0 || (kv->v.u64 & (kv->v.u64 - 1)) != 0) {
			gguf_set_field(ctx, "key", kv->key, strlen(kv->key));
			return GGUF_CORRUPT(ctx, kv->offset, "alignment %llu "
			    "is not a power of two",
			    (unsigned long long)kv->v.u64);
		}
		f->alignment = (uint32_t)kv->v.u64;
	}
	return 0;
}

static int
gguf_cmp_offset(const void *a, const void *b)
{
	const struct gguf_tensor	*x = *(const struct gguf_tensor *const *)a;
	const struct gguf_tensor	*y = *(const struct gguf_tensor *const *)b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

/*
 * Check every tensor's data range: aligned, inside the file, disjoint
 * from the others; set t->data.
 */
static int
gguf_check_data(struct gguf_ctx *ctx, struct gguf_file *f)
{
	struct gguf_tensor	 *t, **order;
	uint64_t		  i, end, avail;

	avail = f->size - f->data_start;	/* data_start <= size here */
	for (i = 0; i < f->n_tensors; i++) {
		t = &f->tensors[i];
		gguf_set_field(ctx, "tensor", t->name, strlen(t->name));
		if (t->offset % f->alignment != 0) {
			return GGUF_CORRUPT(ctx, t->info_offset, "data offset "
			    "%llu is not a multiple of the alignment %u",
			    (unsigned long long)t->offset, f->alignment);
		}
		if (t->offset > avail || t->nbytes > avail - t->offset) {
			/* data_start + offset + nbytes, if it fits in 64 bits */
			if (t->offset > UINT64_MAX - f->data_start ||
			    t->nbytes > UINT64_MAX - f->data_start - t->offset) {
				return GGUF_CORRUPT(ctx, t->info_offset, "data "
				    "offset %llu + %llu bytes overflows",
				    (unsigned long long)t->offset,
				    (unsigned long long)t->nbytes);
			}
			end = f->data_start + t->offset + t->nbytes;
			return GGUF_CORRUPT(ctx, GGUF_NOOFF, "data ends at "
			    "%llu, past end of file (%llu)",
			    (unsigned long long)end,
			    (unsigned long long)f->size);
		}
		t->data = f->map + f->data_start + t->offset;
	}
	if (f->n_tensors < 2)
		return 0;
	order = xcalloc(f->n_tensors, sizeof *order);
	for (i = 0; i < f->n_tensors; i++)
		order[i] = &f->tensors[i];
	qsort(order, f->n_tensors, sizeof *order, gguf_cmp_offset);
	for (i = 1; i < f->n_tensors; i++) {
		if (order[i]->offset < order[i - 1]->offset +
		    order[i - 1]->nbytes) {
			t = order[i];
			gguf_set_field(ctx, "tensor", t->name, strlen(t->name));
			GGUF_CORRUPT(ctx, t->info_offset, "data (bytes %llu.."
			    "%llu) overlaps tensor '%s' (bytes %llu..%llu)",
			    (unsigned long long)t->offset,
			    (unsigned long long)(t->offset + t->nbytes),
			    order[i - 1]->name,
			    (unsigned long long)order[i - 1]->offset,
			    (unsigned long long)(order[i - 1]->offset +
			    order[i - 1]->nbytes));
			free(order);
			return -1;
		}
	}
	free(order);
	return 0;
}

/* Check magic and version; big-endian and obsolete files get a reason. */
static int
gguf_check_header(struct gguf_ctx *ctx, uint32_t *version)
{
	char		 esc[32];
	uint32_t	 v, sw;

	snprintf(ctx->field, sizeof ctx->field, "header");
	if (ctx->size == 0)
		return GGUF_CORRUPT(ctx, GGUF_NOOFF, "file is empty");
	if (ctx->size < 4 || memcmp(ctx->base, GGUF_MAGIC, 4) != 0) {
		if (ctx->size >= 4 && memcmp(ctx->base, "FUGG", 4) == 0) {
			return GGUF_CORRUPT(ctx, 0, "magic is byte-swapped "
			    "('FUGG'): the file looks big-endian, which is "
			    "not supported");
		}
		if (ctx->size >= 4 && (memcmp(ctx->base, "lmgg", 4) == 0 ||
		    memcmp(ctx->base, "tjgg", 4) == 0 ||
		    memcmp(ctx->base, "fmgg", 4) == 0)) {
			return GGUF_CORRUPT(ctx, 0, "this is an old GGML/GGJT "
			    "model, not GGUF; convert it with a current "
			    "tool");
		}
		gguf_escape(ctx->base, ctx->size < 4 ? ctx->size : 4, esc,
		    sizeof esc);
		return GGUF_CORRUPT(ctx, 0, "not a GGUF file (magic '%s', "
		    "expected 'GGUF')", esc);
	}
	ctx->pos = 4;
	if (gguf_rd_u32(ctx, &v, "version") != 0)
		return -1;
	if (v == 1) {
		return GGUF_CORRUPT(ctx, 4, "GGUF v1 is not supported "
		    "(obsolete format); convert the file with a current tool");
	}
	sw = __builtin_bswap32(v);
	if (v > 3 && sw >= 1 && sw <= 3) {
		return GGUF_CORRUPT(ctx, 4, "version reads as %u: the file "
		    "looks big-endian (byte-swapped version %u), which is not "
		    "supported", v, sw);
	}
	if (v != 2 && v != 3) {
		return GGUF_CORRUPT(ctx, 4, "unsupported GGUF version %u "
		    "(supported: 2, 3)", v);
	}
	*version = v;
	return 0;
}

/*
 * Parse and validate f->map[0..f->size).  On error sets *cause and
 * leaves partial allocations in f for gguf_close() to free.
 */
static int
gguf_parse(struct gguf_file *f, char **cause)
{
	struct gguf_ctx	 ctx;
	uint64_t	 n_tensors, n_kv, i, left, off, pad;

	memset(&ctx, 0, sizeof ctx);
	ctx.name = f->name;
	ctx.base = f->map;
	ctx.size = f->size;
	ctx.cause = cause;

	if (gguf_check_header(&ctx, &f->version) != 0)
		return -1;
	off = ctx.pos;
	if (gguf_rd_u64(&ctx, &n_tensors, "tensor count") != 0 ||
	    gguf_rd_u64(&ctx, &n_kv, "key/value count") != 0)
		return -1;
	left = ctx.size - ctx.pos;
	if (n_tensors > left / GGUF_MIN_TENSOR) {
		return GGUF_CORRUPT(&ctx, off, "tensor count %llu cannot fit "
		    "in the %llu bytes left", (unsigned long long)n_tensors,
		    (unsigned long long)left);
	}
	if (n_kv > left / GGUF_MIN_KV) {
		return GGUF_CORRUPT(&ctx, off + 8, "key/value count %llu "
		    "cannot fit in the %llu bytes left",
		    (unsigned long long)n_kv, (unsigned long long)left);
	}
	if (n_kv * GGUF_MIN_KV + n_tensors * GGUF_MIN_TENSOR > left) {
		return GGUF_CORRUPT(&ctx, off, "%llu tensors and %llu "
		    "key/values cannot fit in the %llu bytes left",
		    (unsigned long long)n_tensors, (unsigned long long)n_kv,
		    (unsigned long long)left);
	}
	if (n_tensors > GGUF_MAX_TENSORS) {
		return GGUF_CORRUPT(&ctx, off, "tensor count %llu is more "
		    "than medchat accepts (%u)", (unsigned long long)n_tensors,
		    GGUF_MAX_TENSORS);
	}
	if (n_kv > GGUF_MAX_KVS) {
		return GGUF_CORRUPT(&ctx, off + 8, "key/value count %llu is "
		    "more than medchat accepts (%u)", (unsigned long long)n_kv,
		    GGUF_MAX_KVS);
	}

	if (n_kv > 0)
		f->kv = xcalloc(n_kv, sizeof *f->kv);
	for (i = 0; i < n_kv; i++) {
		snprintf(ctx.field, sizeof ctx.field, "key/value #%llu",
		    (unsigned long long)i);
		f->n_kv = i + 1;	/* so gguf_close frees this one */
		if (gguf_rd_kv(&ctx, &f->kv[i]) != 0)
			return -1;
	}
	if (gguf_dup_check(&ctx, n_kv, gguf_kv_key, f->kv, "key") != 0)
		return -1;
	if (gguf_check_keys(&ctx, f) != 0)
		return -1;

	if (n_tensors > 0)
		f->tensors = xcalloc(n_tensors, sizeof *f->tensors);
	for (i = 0; i < n_tensors; i++) {
		snprintf(ctx.field, sizeof ctx.field, "tensor #%llu",
		    (unsigned long long)i);
		f->n_tensors = i + 1;
		if (gguf_rd_tensor(&ctx, &f->tensors[i]) != 0)
			return -1;
	}
	if (gguf_dup_check(&ctx, n_tensors, gguf_tensor_name, f->tensors,
	    "tensor") != 0)
		return -1;

	/*
	 * Data section: aligned start.  A file without tensors may end
	 * before it (vocabulary-only files do); data_start is then past the
	 * end of the file, as ggml reports it, and nothing points there.
	 */
	pad = (f->alignment - ctx.pos % f->alignment) % f->alignment;
	f->data_start = ctx.pos + pad;
	if (n_tensors == 0)
		return 0;
	snprintf(ctx.field, sizeof ctx.field, "data section");
	if (pad > ctx.size - ctx.pos) {
		return GGUF_CORRUPT(&ctx, ctx.pos, "file ends before the data "
		    "section (needs %llu padding bytes, %llu left)",
		    (unsigned long long)pad,
		    (unsigned long long)(ctx.size - ctx.pos));
	}
	return gguf_check_data(&ctx, f);
}

/* ---- open / close ---------------------------------------------------- */

static struct gguf_file *
gguf_file_new(const char *path)
{
	struct gguf_file	*f;
	const char		*slash, *base;

	f = xcalloc(1, sizeof *f);
	f->path = xstrdup(path);
	slash = strrchr(path, '/');
	base = (slash != NULL && slash[1] != '\0') ? slash + 1 : path;
	f->name = utf8_printable(base);
	f->fd = -1;
	return f;
}

/* One-line open error: the path made printable, then why. */
static void
gguf_open_error(const char *path, const char *why, char **cause)
{
	char	*p;

	p = utf8_printable(path);
	xasprintf(cause, "%s: %s", p, why);
	free(p);
}

int
gguf_open(const char *path, struct gguf_file **out, char **cause)
{
	struct gguf_file	*f;
	struct stat		 st;
	void			*map;
	char			*why;

	*out = NULL;
	f = gguf_file_new(path);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((f->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		gguf_open_error(path, strerror(errno), cause);
		goto fail;
	}
	if (fstat(f->fd, &st) == -1) {
		gguf_open_error(path, strerror(errno), cause);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		gguf_open_error(path, "is a directory", cause);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		gguf_open_error(path, "not a regular file", cause);
		goto fail;
	}
	f->size = (uint64_t)st.st_size;
	if (f->size > 0) {
		if ((uint64_t)(size_t)f->size != f->size) {
			gguf_open_error(path, "file too large to map", cause);
			goto fail;
		}
		map = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE,
		    f->fd, 0);
		if (map == MAP_FAILED) {
			xasprintf(&why, "mmap: %s", strerror(errno));
			gguf_open_error(path, why, cause);
			free(why);
			goto fail;
		}
		f->map = map;
	}
	if (gguf_parse(f, cause) != 0)
		goto fail;
	*out = f;
	return 0;
fail:
	gguf_close(f);
	return -1;
}

int
gguf_open_mem(const char *name, const void *data, size_t size,
    struct gguf_file **out, char **cause)
{
	struct gguf_file	*f;

	*out = NULL;
	f = gguf_file_new(name);
	f->size = size;
	if (size > 0)
		f->map = xmemdup(data, size);
	if (gguf_parse(f, cause) != 0) {
		gguf_close(f);
		return -1;
	}
	*out = f;
	return 0;
}

void
gguf_close(struct gguf_file *f)
{
	uint64_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_kv; i++) {
		free(f->kv[i].key);
		if (f->kv[i].type == GGUF_T_ARRAY &&
		    f->kv[i].v.arr.type == GGUF_T_STRING)
			free((void *)f->kv[i].v.arr.strs);
	}
	free(f->kv);
	for (i = 0; i < f->n_tensors; i++)
		free(f->tensors[i].name);
	free(f->tensors);
	if (f->map != NULL) {
		if (f->fd != -1)
			munmap((void *)f->map, (size_t)f->size);
		else
			free((void *)f->map);
	}
	if (f->fd != -1)
		close(f->fd);
	free(f->path);
	free((void *)f->name);
	free(f);
}

