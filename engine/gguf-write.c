/*
 * gguf-write.c -- the GGUF writer.
 *
 * gguf_writer_* collects metadata (serialized at once into a byte buffer)
 * and tensor descriptions, then lays out the file exactly as ggml does:
 * header, key/values, tensor infos, zero padding to the alignment, then
 * each tensor's data padded to the alignment.  For tests it can also
 * write records that no valid file contains (gguf_w_kv_raw,
 * gguf_w_tensor_raw), so corrupted fixtures are built on the fly.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "quant.h"
#include "buf.h"
#include "fsutil.h"
#include "xmalloc.h"

struct gguf_wtensor {
	char		*name;
	size_t		 namelen;
	uint32_t	 type;
	uint32_t	 n_dims;
	uint64_t	 ne[GGUF_MAX_DIMS];
	uint64_t	 nbytes;
	uint64_t	 offset;	/* computed, or forced (raw) */
	int		 forced;	/* offset given: no data written */
	void		*data;		/* copy, or NULL with fill */
	void		(*fill)(void *, uint64_t, void *);
	void		*arg;
};

struct gguf_writer {
	uint32_t		 version;
	uint32_t		 alignment;
	uint64_t		 n_kv;
	struct buf		 kv;	/* serialized key/value records */
	struct gguf_wtensor	*t;
	uint64_t		 n_t;
};

static void	 gguf_w_le(struct buf *, uint64_t, size_t);
static void	 gguf_w_string(struct buf *, const char *, size_t);
static void	 gguf_w_scalar(struct gguf_writer *, const char *, uint32_t,
		    uint64_t);
static struct gguf_wtensor *gguf_w_tensor_add(struct gguf_writer *,
		    const char *, size_t, uint32_t, uint32_t,
		    const uint64_t *);
static uint64_t	 gguf_w_nbytes(uint32_t, uint32_t, const int64_t *);
static struct gguf_wtensor *gguf_w_tensor_shape(struct gguf_writer *,
		    const char *, uint32_t, uint32_t, const int64_t *);
static uint64_t	 gguf_writer_head(struct gguf_writer *, struct buf *);


static void
gguf_w_le(struct buf *b, uint64_t v, size_t n)
{
	uint8_t	tmp[8];
	size_t	i;

	for (i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	buf_append(b, tmp, n);
}

static void
gguf_w_string(struct buf *b, const char *s, size_t len)
{
	gguf_w_le(b, len, 8);
	if (len > 0)
		buf_append(b, s, len);
}

struct gguf_writer *
gguf_writer_new(uint32_t version)
{
	struct gguf_writer	*w;

	w = xcalloc(1, sizeof *w);
	w->version = version;
	w->alignment = GGUF_DEFAULT_ALIGNMENT;
	return w;
}

void
gguf_writer_free(struct gguf_writer *w)
{
	uint64_t	i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n_t; i++) {
		free(w->t[i].name);
		free(w->t[i].data);
	}
	free(w->t);
	buf_free(&w->kv);
	free(w);
}

/* Layout only: the alignment used for padding (no key is written). */
void
gguf_writer_set_alignment(struct gguf_writer *w, uint32_t a)
{
	w->alignment = a;
}

void
gguf_w_kv_raw(struct gguf_writer *w, const char *key, size_t keylen,
    uint32_t type, const void *val, size_t vallen)
{
	gguf_w_string(&w->kv, key, keylen);
	gguf_w_le(&w->kv, type, 4);
	if (vallen > 0)
		buf_append(&w->kv, val, vallen);
	w->n_kv++;
}

static void
gguf_w_scalar(struct gguf_writer *w, const char *key, uint32_t type,
    uint64_t v)
{
	gguf_w_string(&w->kv, key, strlen(key));
	gguf_w_le(&w->kv, type, 4);
	gguf_w_le(&w->kv, v, gguf_vtype_size(type));
	w->n_kv++;
}

void
gguf_w_u32(struct gguf_writer *w, const char *key, uint32_t v)
{
	gguf_w_scalar(w, key, GGUF_T_UINT32, v);
}

void
gguf_w_i32(struct gguf_writer *w, const char *key, int32_t v)
{
	gguf_w_scalar(w, key, GGUF_T_INT32, (uint32_t)v);
}

void
gguf_w_u64(struct gguf_writer *w, const char *key, uint64_t v)
{
	gguf_w_scalar(w, key, GGUF_T_UINT64, v);
}

void
gguf_w_f32(struct gguf_writer *w, const char *key, float v)
{
	uint32_t	u;

	memcpy(&u, &v, sizeof u);
	gguf_w_scalar(w, key, GGUF_T_FLOAT32, u);
}

void
gguf_w_bool(struct gguf_writer *w, const char *key, int v)
{
	gguf_w_scalar(w, key, GGUF_T_BOOL, v != 0);
}

void
gguf_w_str(struct gguf_writer *w, const char *key, const char *s)
{
	gguf_w_string(&w->kv, key, strlen(key));
	gguf_w_le(&w->kv, GGUF_T_STRING, 4);
	gguf_w_string(&w->kv, s, strlen(s));
	w->n_kv++;
}

/* elems are in host order; written little-endian. */
void
gguf_w_arr(struct gguf_writer *w, const char *key, uint32_t et,
    const void *elems, uint64_t n)
{
	size_t		 sz = gguf_vtype_size(et), i;
	const uint8_t	*p = elems;
	uint64_t	 v;

	if (sz == 0)
		abort();	/* programmer error: use gguf_w_arr_str */
	gguf_w_string(&w->kv, key, strlen(key));
	gguf_w_le(&w->kv, GGUF_T_ARRAY, 4);
	gguf_w_le(&w->kv, et, 4);
	gguf_w_le(&w->kv, n, 8);
	for (i = 0; i < n; i++) {
		v = 0;
		switch (sz) {
		case 1: v = p[i]; break;
		case 2: { uint16_t x; memcpy(&x, p + i * 2, 2); v = x; break; }
		case 4: { uint32_t x; memcpy(&x, p + i * 4, 4); v = x; break; }
		case 8: memcpy(&v, p + i * 8, 8); break;
		}
		gguf_w_le(&w->kv, v, sz);
	}
	w->n_kv++;
}

void
gguf_w_arr_str(struct gguf_writer *w, const char *key,
    const char *const *strs, uint64_t n)
{
	uint64_t	i;

	gguf_w_string(&w->kv, key, strlen(key));
	gguf_w_le(&w->kv, GGUF_T_ARRAY, 4);
	gguf_w_le(&w->kv, GGUF_T_STRING, 4);
	gguf_w_le(&w->kv, n, 8);
	for (i = 0; i < n; i++)
		gguf_w_string(&w->kv, strs[i], strlen(strs[i]));
	w->n_kv++;
}

/* Append a tensor description; nbytes from a valid type and shape. */
static struct gguf_wtensor *
gguf_w_tensor_add(struct gguf_writer *w, const char *name, size_t namelen,
    uint32_t type, uint32_t n_dims, const uint64_t *ne)
{
	struct gguf_wtensor	*t;
	uint32_t		 i;

	w->t = xreallocarray(w->t, w->n_t + 1, sizeof *w->t);
	t = &w->t[w->n_t++];
	memset(t, 0, sizeof *t);
	t->name = xmalloc(namelen + 1);
	memcpy(t->name, name, namelen);
	t->name[namelen] = '\0';
	t->namelen = namelen;
	t->type = type;
	t->n_dims = n_dims;
	for (i = 0; i < GGUF_MAX_DIMS; i++)
		t->ne[i] = (i < n_dims) ? ne[i] : 1;
	return t;
}

/* Size of a valid tensor; aborts on a programmer error. */
static uint64_t
gguf_w_nbytes(uint32_t type, uint32_t n_dims, const int64_t *ne)
{
	uint64_t	n = 1;
	uint32_t	i;

	if (qtype_traits(type) == NULL || n_dims < 1 ||
	    n_dims > GGUF_MAX_DIMS || qtype_row_size(type, ne[0]) == 0)
		abort();
	for (i = 1; i < n_dims; i++)
		n *= (uint64_t)ne[i];
	return n * qtype_row_size(type, ne[0]);
}

/* A new tensor of a valid shape, its byte count computed, no data yet. */
static struct gguf_wtensor *
gguf_w_tensor_shape(struct gguf_writer *w, const char *name, uint32_t type,
    uint32_t n_dims, const int64_t *ne)
{
	struct gguf_wtensor	*t;
	uint64_t		 une[GGUF_MAX_DIMS] = { 0 };
	uint32_t		 i;

	for (i = 0; i < n_dims && i < GGUF_MAX_DIMS; i++)
		une[i] = (uint64_t)ne[i];
	t = gguf_w_tensor_add(w, name, strlen(name), type, n_dims, une);
	t->nbytes = gguf_w_nbytes(type, n_dims, ne);
	return t;
}

void
gguf_w_tensor(struct gguf_writer *w, const char *name, uint32_t type,
    uint32_t n_dims, const int64_t *ne, const void *data)
{
	struct gguf_wtensor	*t;

	t = gguf_w_tensor_shape(w, name, type, n_dims, ne);
	t->data = xmemdup(data, t->nbytes);
}

void
gguf_w_tensor_fill(struct gguf_writer *w, const char *name, uint32_t type,
    uint32_t n_dims, const int64_t *ne,
    void (*fill)(void *, uint64_t, void *), void *arg)
{
	struct gguf_wtensor	*t;

	t = gguf_w_tensor_shape(w, name, type, n_dims, ne);
	t->fill = fill;
	t->arg = arg;
}

void
gguf_w_tensor_raw(struct gguf_writer *w, const char *name, size_t namelen,
    uint32_t type, uint32_t n_dims, const uint64_t *ne, const void *data,
    uint64_t nbytes, uint64_t offset)
{
	struct gguf_wtensor	*t;

	t = gguf_w_tensor_add(w, name, namelen, type,
	    n_dims > GGUF_MAX_DIMS ? GGUF_MAX_DIMS : n_dims, ne);
	t->n_dims = n_dims;	/* written as given; at most 4 ne follow */
	t->nbytes = nbytes;
	if (offset != GGUF_W_AUTO) {
		t->forced = 1;
		t->offset = offset;
	} else if (nbytes > 0) {
		t->data = xmalloc(nbytes);
		if (data != NULL)
			memcpy(t->data, data, nbytes);
		else
			memset(t->data, 0, nbytes);
	}
}

/*
 * Serialize header, key/values and tensor infos into b (computing the
 * data offsets), and return the data section's total size.
 */
static uint64_t
gguf_writer_head(struct gguf_writer *w, struct buf *b)
{
	struct gguf_wtensor	*t;
	uint64_t		 i, off = 0, a = w->alignment;
	uint32_t		 d;

	buf_append(b, GGUF_MAGIC, 4);
	gguf_w_le(b, w->version, 4);
	gguf_w_le(b, w->n_t, 8);
	gguf_w_le(b, w->n_kv, 8);
	if (w->kv.len > 0)
		buf_append(b, w->kv.data, w->kv.len);
	for (i = 0; i < w->n_t; i++) {
		t = &w->t[i];
		if (!t->forced) {
			t->offset = off;
			off += (t->nbytes + a - 1) / a * a;
		}
		gguf_w_string(b, t->name, t->namelen);
		gguf_w_le(b, t->n_dims, 4);
		for (d = 0; d < t->n_dims && d < GGUF_MAX_DIMS; d++)
			gguf_w_le(b, t->ne[d], 8);
		gguf_w_le(b, t->type, 4);
		gguf_w_le(b, t->offset, 8);
	}
	while (b->len % a != 0)
		buf_putc(b, 0);
	return off;
}

void *
gguf_writer_bytes(struct gguf_writer *w, size_t *size)
{
	struct buf		 b = BUF_INIT;
	struct gguf_wtensor	*t;
	uint64_t		 i, dsize, start;

	dsize = gguf_writer_head(w, &b);
	start = b.len;
	buf_reserve(&b, dsize);
	for (i = 0; i < w->n_t; i++) {
		t = &w->t[i];
		if (t->forced)
			continue;
		buf_truncate(&b, start + t->offset);
		if (t->fill != NULL) {
			buf_reserve(&b, t->nbytes);
			t->fill(b.data + b.len, t->nbytes, t->arg);
			b.len += t->nbytes;
			b.data[b.len] = '\0';
		} else if (t->nbytes > 0)
			buf_append(&b, t->data, t->nbytes);
		while ((b.len - start) % w->alignment != 0)
			buf_putc(&b, 0);
	}
	*size = b.len;
	if (b.data == NULL)
		buf_putc(&b, 0);	/* never return NULL */
	return buf_detach(&b);
}

/*
 * Write the file: the head with write(2), then the data through a shared
 * mapping of the file so fill() callbacks write multi-GB tensors straight
 * into the page cache, one tensor at a time.
 */
int
gguf_writer_save(struct gguf_writer *w, const char *path, char **cause)
{
	struct buf		 b = BUF_INIT;
	struct gguf_wtensor	*t;
	uint64_t		 i, dsize, total, done, pg, mstart, mlen;
	ssize_t			 n;
	uint8_t			*m;
	struct stat		 sb;
	int			 fd, err;

	/*
	 * Only ever a regular file: what is at path is truncated, and on
	 * failure removed, so a device or FIFO given by mistake (or as
	 * root, /dev/null) must be refused before it is touched.
	 */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		return -1;
	}
	dsize = gguf_writer_head(w, &b);
	total = b.len + dsize;
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NONBLOCK, 0644)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		buf_free(&b);
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		/* replaced between the two looks: leave it alone */
		xasprintf(cause, "%s: not a regular file", path);
		buf_free(&b);
		close(fd);
		return -1;
	}
	for (done = 0; done < b.len; done += (uint64_t)n) {
		n = write(fd, b.data + done, b.len - done);
		if (n <= 0) {
			xasprintf(cause, "%s: write: %s", path,
			    n == 0 ? "short write" : strerror(errno));
			goto fail;
		}
	}
	/*
	 * Reserve every block now: the tensors are written through a
	 * mapping, where a full disk would be a SIGBUS instead of an
	 * error.  File systems without a way to reserve get a sparse file.
	 */
	if ((err = fs_reserve(fd, (off_t)total)) != 0) {
		xasprintf(cause, "%s: cannot reserve %llu bytes: %s", path,
		    (unsigned long long)total, strerror(err));
		goto fail;
	}
	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	for (i = 0; i < w->n_t; i++) {
		t = &w->t[i];
		if (t->forced || t->nbytes == 0)
			continue;
		mstart = (b.len + t->offset) / pg * pg;
		mlen = b.len + t->offset + t->nbytes - mstart;
		m = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)mstart);
		if (m == MAP_FAILED) {
			xasprintf(cause, "%s: mmap: %s", path, strerror(errno));
			goto fail;
		}
		if (t->fill != NULL) {
			t->fill(m + (b.len + t->offset - mstart), t->nbytes,
			    t->arg);
		} else {
			memcpy(m + (b.len + t->offset - mstart), t->data,
			    t->nbytes);
		}
		munmap(m, mlen);
	}
	buf_free(&b);
	if (close(fd) == -1) {
		xasprintf(cause, "%s: close: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
fail:
	buf_free(&b);
	close(fd);
	unlink(path);
	return -1;
}
