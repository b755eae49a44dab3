/*
 * gguf-get.c -- lookups in a parsed GGUF file: keys and tensors by name,
 * typed getters that convert between compatible integer and float types
 * (failing with a one-line cause naming the key, its type and its file
 * offset when the value does not fit), and array element access.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "xmalloc.h"

static int	 gguf_is_signed(uint32_t);
static int	 gguf_is_bool(uint32_t);
static int	 gguf_is_string(uint32_t);
static int	 gguf_get_kv(const struct gguf_file *, const char *,
		    int (*)(uint32_t), const char *, const struct gguf_kv **,
		    char **);
static int	 gguf_get_bad(const struct gguf_file *, const char *,
		    const char *, uint64_t, char **);
static int	 gguf_get_fail(const struct gguf_file *,
		    const struct gguf_kv *, const char *, char **);
static int	 gguf_arr_elem(const struct gguf_kv *, uint64_t,
		    struct gguf_kv *);
static uint64_t	 gguf_f2u(double);
static int64_t	 gguf_f2i(double);

const struct gguf_kv *
gguf_find(const struct gguf_file *f, const char *key)
{
	uint64_t	i;

	for (i = 0; i < f->n_kv; i++) {
		if (strcmp(f->kv[i].key, key) == 0)
			return &f->kv[i];
	}
	return NULL;
}

const struct gguf_tensor *
gguf_find_tensor(const struct gguf_file *f, const char *name)
{
	uint64_t	i;

	for (i = 0; i < f->n_tensors; i++) {
		if (strcmp(f->tensors[i].name, name) == 0)
			return &f->tensors[i];
	}
	return NULL;
}

/* Set *cause for key found with an unusable type or value. */
static int
gguf_get_fail(const struct gguf_file *f, const struct gguf_kv *kv,
    const char *expect, char **cause)
{
	char	esc[96];

	gguf_escape(kv->key, strlen(kv->key), esc, sizeof esc);
	xasprintf(cause, "%s: key '%s': expected %s, found %s at offset %llu",
	    f->name, esc, expect, gguf_vtype_name(kv->type),
	    (unsigned long long)kv->offset);
	return -1;
}

static int
gguf_is_signed(uint32_t t)
{
	return t == GGUF_T_INT8 || t == GGUF_T_INT16 || t == GGUF_T_INT32 ||
	    t == GGUF_T_INT64;
}

static int
gguf_is_bool(uint32_t t)
{
	return t == GGUF_T_BOOL;
}

static int
gguf_is_string(uint32_t t)
{
	return t == GGUF_T_STRING;
}

/*
 * Look key up for a typed getter: 0 if absent; 1 with *kvp if its type
 * passes ok; -1 with *cause ("expected <expect>, found <type>") if not.
 */
static int
gguf_get_kv(const struct gguf_file *f, const char *key, int (*ok)(uint32_t),
    const char *expect, const struct gguf_kv **kvp, char **cause)
{
	if ((*kvp = gguf_find(f, key)) == NULL)
		return 0;
	if (!ok((*kvp)->type))
		return gguf_get_fail(f, *kvp, expect, cause);
	return 1;
}

/* -1 with *cause "<file>: key '<key>': <what> at offset <off>". */
static int
gguf_get_bad(const struct gguf_file *f, const char *key, const char *what,
    uint64_t off, char **cause)
{
	xasprintf(cause, "%s: key '%s': %s at offset %llu", f->name, key, what,
	    (unsigned long long)off);
	return -1;
}

int
gguf_get_u64(const struct gguf_file *f, const char *key, uint64_t *out,
    char **cause)
{
	const struct gguf_kv	*kv;
	char			 what[64];
	int			 r;

	if ((r = gguf_get_kv(f, key, gguf_is_int, "an unsigned integer", &kv,
	    cause)) != 1)
		return r;
	if (gguf_is_signed(kv->type) && kv->v.i64 < 0) {
		snprintf(what, sizeof what, "value %lld is negative",
		    (long long)kv->v.i64);
		return gguf_get_bad(f, kv->key, what, kv->offset, cause);
	}
	*out = kv->v.u64;
	return 1;
}

int
gguf_get_u32(const struct gguf_file *f, const char *key, uint32_t *out,
    char **cause)
{
	uint64_t	v;
	char		what[64];
	int		r;

	if ((r = gguf_get_u64(f, key, &v, cause)) != 1)
		return r;
	if (v > UINT32_MAX) {
		snprintf(what, sizeof what, "value %llu out of range",
		    (unsigned long long)v);
		return gguf_get_bad(f, key, what, gguf_find(f, key)->offset,
		    cause);
	}
	*out = (uint32_t)v;
	return 1;
}

int
gguf_get_i64(const struct gguf_file *f, const char *key, int64_t *out,
    char **cause)
{
	const struct gguf_kv	*kv;
	char			 what[64];
	int			 r;

	if ((r = gguf_get_kv(f, key, gguf_is_int, "an integer", &kv,
	    cause)) != 1)
		return r;
	if (!gguf_is_signed(kv->type) && kv->v.u64 > INT64_MAX) {
		snprintf(what, sizeof what, "value %llu out of range",
		    (unsigned long long)kv->v.u64);
		return gguf_get_bad(f, kv->key, what, kv->offset, cause);
	}
	*out = kv->v.i64;
	return 1;
}

int
gguf_get_f32(const struct gguf_file *f, const char *key, float *out,
    char **cause)
{
	const struct gguf_kv	*kv;
	int			 r;

	if ((r = gguf_get_kv(f, key, gguf_is_float, "FLOAT32", &kv,
	    cause)) == 1)
		*out = (float)kv->v.f64;
	return r;
}

int
gguf_get_bool(const struct gguf_file *f, const char *key, int *out,
    char **cause)
{
	const struct gguf_kv	*kv;
	int			 r;

	if ((r = gguf_get_kv(f, key, gguf_is_bool, "BOOL", &kv, cause)) == 1)
		*out = kv->v.u64 != 0;
	return r;
}

int
gguf_get_str(const struct gguf_file *f, const char *key, char **out,
    char **cause)
{
	const struct gguf_kv	*kv;
	int			 r;

	if ((r = gguf_get_kv(f, key, gguf_is_string, "STRING", &kv,
	    cause)) != 1)
		return r;
	if (memchr(kv->v.str.ptr, '\0', kv->v.str.len) != NULL)
		return gguf_get_bad(f, kv->key, "string contains a NUL byte",
		    kv->offset, cause);
	*out = xstrndup(kv->v.str.ptr, kv->v.str.len);
	return 1;
}

/* Float to integer without undefined behaviour: saturating, NaN is 0. */
static uint64_t
gguf_f2u(double v)
{
	if (!(v > 0))
		return 0;
	if (v >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)v;
}

static int64_t
gguf_f2i(double v)
{
	if (v != v)
		return 0;
	if (v >= 9223372036854775808.0)
		return INT64_MAX;
	if (v < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
}

/*
 * Decode element i of a fixed-size-type array into tmp; 0 if i >= n or
 * the elements are strings.
 */
static int
gguf_arr_elem(const struct gguf_kv *kv, uint64_t i, struct gguf_kv *tmp)
{
	uint32_t	et = kv->v.arr.type;
	size_t		sz = gguf_vtype_size(et);

	if (sz == 0 || i >= kv->v.arr.n)
		return 0;
	gguf_decode_scalar(tmp, et, (const uint8_t *)kv->v.arr.data + i * sz);
	return 1;
}

/*
 * Element i of a fixed-size-type array; 0 if i >= n or the elements are
 * strings.  Float elements convert saturating (NaN gives 0).
 */
uint64_t
gguf_arr_u64(const struct gguf_kv *kv, uint64_t i)
{
	struct gguf_kv	tmp;

	if (!gguf_arr_elem(kv, i, &tmp))
		return 0;
	if (gguf_is_float(kv->v.arr.type))
		return gguf_f2u(tmp.v.f64);
	return tmp.v.u64;
}

int64_t
gguf_arr_i64(const struct gguf_kv *kv, uint64_t i)
{
	struct gguf_kv	tmp;

	if (!gguf_arr_elem(kv, i, &tmp))
		return 0;
	if (gguf_is_float(kv->v.arr.type))
		return gguf_f2i(tmp.v.f64);
	return tmp.v.i64;
}

double
gguf_arr_f64(const struct gguf_kv *kv, uint64_t i)
{
	struct gguf_kv	tmp;

	if (!gguf_arr_elem(kv, i, &tmp))
		return 0;
	if (gguf_is_float(kv->v.arr.type))
		return tmp.v.f64;
	if (gguf_is_signed(kv->v.arr.type))
		return (double)tmp.v.i64;
	return (double)tmp.v.u64;
}

const char *
gguf_ftype_name(uint32_t ft)
{
	static const char *const names[] = {
		[0] = "ALL_F32", [1] = "MOSTLY_F16", [2] = "MOSTLY_Q4_0",
		[3] = "MOSTLY_Q4_1", [7] = "MOSTLY_Q8_0", [8] = "MOSTLY_Q5_0",
		[9] = "MOSTLY_Q5_1", [10] = "MOSTLY_Q2_K",
		[11] = "MOSTLY_Q3_K_S", [12] = "MOSTLY_Q3_K_M",
		[13] = "MOSTLY_Q3_K_L", [14] = "MOSTLY_Q4_K_S",
		[15] = "MOSTLY_Q4_K_M", [16] = "MOSTLY_Q5_K_S",
		[17] = "MOSTLY_Q5_K_M", [18] = "MOSTLY_Q6_K",
		[19] = "MOSTLY_IQ2_XXS", [20] = "MOSTLY_IQ2_XS",
		[21] = "MOSTLY_Q2_K_S", [22] = "MOSTLY_IQ3_XS",
		[23] = "MOSTLY_IQ3_XXS", [24] = "MOSTLY_IQ1_S",
		[25] = "MOSTLY_IQ4_NL", [26] = "MOSTLY_IQ3_S",
		[27] = "MOSTLY_IQ3_M", [28] = "MOSTLY_IQ2_S",
		[29] = "MOSTLY_IQ2_M", [30] = "MOSTLY_IQ4_XS",
		[31] = "MOSTLY_IQ1_M", [32] = "MOSTLY_BF16",
		[36] = "MOSTLY_TQ1_0", [37] = "MOSTLY_TQ2_0"
	};

	if (ft >= sizeof names / sizeof names[0])
		return NULL;
	return names[ft];
}

