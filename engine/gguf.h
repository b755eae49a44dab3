/*
 * gguf.h -- bounds-checked GGUF v2/v3 reader and a writer (engine-internal).
 *
 * gguf_open() mmaps the file read-only and validates every field before
 * anything is used (docs/ENGINE.md, "The GGUF reader").  On error it
 * returns -1 and sets *cause to ONE line (caller frees) naming the file,
 * the field (key or tensor name) and the byte offset, e.g.
 *   "model.gguf: tensor 'blk.3.ffn_down.weight': data ends at 4081016128,
 *    past end of file (4081016064)"
 * Nothing of a file that failed is ever returned.
 *
 * Keys and tensor names are NUL-terminated copies (validated UTF-8
 * without NUL bytes, names < 64 bytes).  String values (struct gguf_str)
 * point into the map, are NOT NUL-terminated and may hold any bytes;
 * array payloads of fixed-size types point into the map too
 * (little-endian, possibly unaligned: read them with the accessors
 * below).  Zero-sized tensors (an ne of 0) are rejected: no real file
 * needs them.
 */
#ifndef GGUF_H
#define GGUF_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "gguf.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

enum gguf_vtype {
	GGUF_T_UINT8 = 0, GGUF_T_INT8 = 1, GGUF_T_UINT16 = 2,
	GGUF_T_INT16 = 3, GGUF_T_UINT32 = 4, GGUF_T_INT32 = 5,
	GGUF_T_FLOAT32 = 6, GGUF_T_BOOL = 7, GGUF_T_STRING = 8,
	GGUF_T_ARRAY = 9, GGUF_T_UINT64 = 10, GGUF_T_INT64 = 11,
	GGUF_T_FLOAT64 = 12, GGUF_T_COUNT = 13
};

struct gguf_str {
	const char	*ptr;	/* into the map, NOT NUL-terminated */
	uint64_t	 len;
};

struct gguf_kv {
	char		*key;		/* NUL-terminated copy */
	uint64_t	 offset;	/* file offset of the record */
	uint32_t	 type;		/* enum gguf_vtype */
	union {
		uint64_t	 u64;	/* any unsigned int type, bool */
		int64_t		 i64;	/* any signed int type */
		double		 f64;	/* FLOAT32 / FLOAT64 */
		struct gguf_str	 str;
		struct {
			uint32_t		 type;	/* element type */
			uint64_t		 n;
			const void		*data;	/* raw elements in the map */
			const struct gguf_str	*strs;	/* if STRING: n entries */
		}		 arr;
	} v;
};

#define GGUF_MAX_DIMS 4

struct gguf_tensor {
	char		*name;		/* NUL-terminated copy, < 64 bytes */
	uint64_t	 info_offset;	/* file offset of the tensor-info record */
	uint32_t	 type;		/* enum qtype (quant.h), validated */
	uint32_t	 n_dims;
	int64_t		 ne[GGUF_MAX_DIMS];	/* missing dims are 1 */
	uint64_t	 offset;	/* relative to data_start */
	uint64_t	 nbytes;
	uint64_t	 row_bytes;	/* bytes of one ne[0] row */
	const void	*data;		/* into the map */
};

struct gguf_file {
	char			*path;
	const char		*name;	/* printable basename, for messages */
	int			 fd;
	const uint8_t		*map;
	uint64_t		 size;
	uint32_t		 version;
	uint32_t		 alignment;
	uint64_t		 data_start;	/* aligned; may be == or, with no
					   tensors, > size */
	uint64_t		 n_kv;
	struct gguf_kv		*kv;
	uint64_t		 n_tensors;
	struct gguf_tensor	*tensors;
};

/* Open, mmap and validate.  0 on success; -1 with *cause set. */
int	 gguf_open(const char *path, struct gguf_file **out, char **cause);
/* Same on a caller-provided memory image (fuzzing, tests); data copied. */
int	 gguf_open_mem(const char *name, const void *data, size_t size,
	    struct gguf_file **out, char **cause);
void	 gguf_close(struct gguf_file *);

const struct gguf_kv	 *gguf_find(const struct gguf_file *, const char *key);
const struct gguf_tensor *gguf_find_tensor(const struct gguf_file *,
			    const char *name);

/*
 * Typed getters.  Return 1 if found with a compatible type and stored in
 * *out, 0 if absent, -1 if present with a wrong type or out of range
 * (then *cause names key, offset and the type found).  Integer getters
 * accept any integer type whose value fits.
 */
int	 gguf_get_u32(const struct gguf_file *, const char *, uint32_t *, char **);
int	 gguf_get_u64(const struct gguf_file *, const char *, uint64_t *, char **);
int	 gguf_get_i64(const struct gguf_file *, const char *, int64_t *, char **);
int	 gguf_get_f32(const struct gguf_file *, const char *, float *, char **);
int	 gguf_get_bool(const struct gguf_file *, const char *, int *, char **);
/* String value as a NUL-terminated copy in *out (caller frees). */
int	 gguf_get_str(const struct gguf_file *, const char *, char **, char **);

/* Array element accessors (index is checked by the caller against arr.n). */
uint64_t gguf_arr_u64(const struct gguf_kv *, uint64_t i);
int64_t	 gguf_arr_i64(const struct gguf_kv *, uint64_t i);
double	 gguf_arr_f64(const struct gguf_kv *, uint64_t i);

/*
 * Escape untrusted text from a file for a one-line message: control
 * characters and invalid UTF-8 become \xNN, long text ends in "...".
 * out has outsz bytes (at least 8) and is always NUL-terminated.
 */
void	 gguf_escape(const void *s, size_t n, char *out, size_t outsz);

const char *gguf_vtype_name(uint32_t);

/* ---- shared by gguf.c, gguf-get.c and gguf-write.c --------------------- */

#define GGUF_MAGIC		"GGUF"
#define GGUF_DEFAULT_ALIGNMENT	32

/* Bytes of one value of a fixed-size type; 0 for STRING, ARRAY, unknown. */
size_t	 gguf_vtype_size(uint32_t);
/* Decode a little-endian scalar of type t at p into the kv's union. */
void	 gguf_decode_scalar(struct gguf_kv *, uint32_t t, const uint8_t *p);
/* Whether a value type is an integer (BOOL excluded) / a float. */
int	 gguf_is_int(uint32_t);
int	 gguf_is_float(uint32_t);

/*
 * Function name of the check that raised this thread's last parse error
 * (GGUF_CORRUPT in gguf.c), its source line in *line and the file offset
 * it reported in *offset (UINT64_MAX if none), each if not NULL; "" when
 * no error was raised.  For fuzzing, tests and debugging.
 */
const char *gguf_corrupt_site(int *line, uint64_t *offset);
/* llama_ftype name for general.file_type ("MOSTLY_Q4_K_M"), NULL if unknown */
const char *gguf_ftype_name(uint32_t);

/* ---- writer ----------------------------------------------------------- */

/*
 * Builds a GGUF file in memory then writes it.  Used by tests (fixtures and
 * corrupted variants), the synthetic/demo model generator and bench.  The
 * writer computes offsets with the given alignment and can be told to
 * produce an invalid file on purpose via gguf_writer_bytes().
 */
struct gguf_writer;

struct gguf_writer *gguf_writer_new(uint32_t version);
void	 gguf_writer_free(struct gguf_writer *);
/* Alignment used to lay out the file (default 32); writes no key: add
 * general.alignment with gguf_w_u32 to make a valid file. */
void	 gguf_writer_set_alignment(struct gguf_writer *, uint32_t);
void	 gguf_w_u32(struct gguf_writer *, const char *key, uint32_t);
void	 gguf_w_i32(struct gguf_writer *, const char *key, int32_t);
void	 gguf_w_u64(struct gguf_writer *, const char *key, uint64_t);
void	 gguf_w_f32(struct gguf_writer *, const char *key, float);
void	 gguf_w_bool(struct gguf_writer *, const char *key, int);
void	 gguf_w_str(struct gguf_writer *, const char *key, const char *);
void	 gguf_w_arr(struct gguf_writer *, const char *key, uint32_t elemtype,
	    const void *elems, uint64_t n);	/* fixed-size element types */
void	 gguf_w_arr_str(struct gguf_writer *, const char *key,
	    const char *const *strs, uint64_t n);
/* Add a tensor; data is copied (nbytes computed from type and ne). */
void	 gguf_w_tensor(struct gguf_writer *, const char *name, uint32_t type,
	    uint32_t n_dims, const int64_t *ne, const void *data);
/*
 * Add a tensor whose bytes are produced at save time by fill(dst, nbytes,
 * arg) -- for multi-GB synthetic models that must not sit in memory.
 * gguf_writer_save() streams them to the file; gguf_writer_bytes() also
 * works.
 */
void	 gguf_w_tensor_fill(struct gguf_writer *, const char *name,
	    uint32_t type, uint32_t n_dims, const int64_t *ne,
	    void (*fill)(void *dst, uint64_t nbytes, void *arg), void *arg);
/*
 * For corrupted fixtures: a key/value record with a key of keylen bytes
 * (may hold NUL or invalid UTF-8), any type id and raw value bytes.
 */
void	 gguf_w_kv_raw(struct gguf_writer *, const char *key, size_t keylen,
	    uint32_t type, const void *val, size_t vallen);
/*
 * For corrupted fixtures: a tensor-info record written as given (n_dims
 * may exceed 4: at most 4 ne values follow).  With offset GGUF_W_AUTO the
 * writer lays out nbytes of data (copied from data, or zeros if NULL);
 * otherwise the record carries that offset and no data is written.
 */
#define GGUF_W_AUTO UINT64_MAX
void	 gguf_w_tensor_raw(struct gguf_writer *, const char *name,
	    size_t namelen, uint32_t type, uint32_t n_dims, const uint64_t *ne,
	    const void *data, uint64_t nbytes, uint64_t offset);
/* Serialize to a malloc'd buffer (caller frees). */
void	*gguf_writer_bytes(struct gguf_writer *, size_t *size);
/* Write to path; 0 or -1 with *cause. */
int	 gguf_writer_save(struct gguf_writer *, const char *path, char **cause);

#endif
