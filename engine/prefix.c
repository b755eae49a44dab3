/*
 * prefix.c -- the prompt-prefix cache.  Every `medchat ask` and every
 * chat's first question starts with the same system message (~70 tokens
 * for the default one with a Llama-2 vocabulary, hundreds for a protocol
 * of one's own; a 7B model evaluates ~25 a second on two cores), so the
 * K/V of a prompt's leading system part are kept in a file and the next
 * process reads them instead of evaluating them again.  The K/V of a position
 * depend only on the tokens up to it, and every level computes them the
 * same whatever the batch (model.h), so an answer from a loaded prefix is
 * bit for bit the answer from an evaluated one.
 *
 * A file holds one key (prefix_key): the SHA-256 of the model file's
 * identity -- device, inode, size and modification time in nanoseconds,
 * so a file replaced or rewritten gets another key -- the program file's
 * (a rebuilt medchat may compute other K/V), the engine's version and
 * kernels (the attention's arithmetic differs by level), and the
 * prefix's token ids (engine_ident in engine.c).  It is named by the key in hex, "KEY.kv":
 *
 *	offset 0	"MCKVPFX1"
 *	8		u32 0x01020304 (the writer's byte order)
 *	12		u32 n_tok, n_layer, n_head_kv, head_dim
 *	28		u32 0
 *	32		key[32]
 *	64		int32 tokens[n_tok]
 *	...		for each layer, for each KV head: the K rows of
 *			positions 0..n_tok-1 (n_tok * head_dim f16), then
 *			the V rows
 *	end - 32	SHA-256 of every byte before it
 *
 * A cache file is untrusted input like any other: loading checks each
 * header field against what the model expects, the file's size, the
 * tokens and the digest, and anything that disagrees is a miss with a
 * one-line reason (the caller then evaluates the prefix and writes the
 * file anew).  Files are created 0600 under a temporary name and renamed,
 * so a reader never sees half a file and two processes writing one key
 * leave one whole file; the directory is the caller's (created 0700).
 * After each write the directory keeps its PREFIX_KEEP most recently used
 * files within PREFIX_MAX_BYTES; a load marks its file used (mtime).
 */
#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "model.h"
#include "prefix.h"
#include "sha256.h"
#include "xmalloc.h"

#define PREFIX_MAGIC	"MCKVPFX1"
#define PREFIX_BOM	0x01020304u
#define PREFIX_HDR	64
#define PREFIX_NAME	(2 * PREFIX_KEY_LEN + 3)	/* hex + ".kv" */
#define PREFIX_TMP_AGE	600	/* seconds before a stray temp file goes */

void
prefix_key(const char *ident, const int32_t *toks, int n,
    uint8_t key[PREFIX_KEY_LEN])
{
	struct sha256	c;
	uint32_t	nn = (uint32_t)n;

	sha256_init(&c);
	sha256_update(&c, "medchat prefix cache 1", 23);
	sha256_update(&c, ident, strlen(ident) + 1);
	sha256_update(&c, &nn, sizeof nn);
	sha256_update(&c, toks, (size_t)n * sizeof *toks);
	sha256_final(&c, key);
}

static char *
prefix_path(const char *dir, const uint8_t key[PREFIX_KEY_LEN])
{
	char	hex[SHA256_HEXLEN + 1], *p;

	sha256_tohex(key, hex);
	xasprintf(&p, "%s/%s.kv", dir, hex);
	return p;
}

static uint64_t
prefix_size(const struct hparams *hp, int n)
{
	return PREFIX_HDR + (uint64_t)n * 4 + (uint64_t)hp->n_layer *
	    (uint64_t)hp->n_head_kv * 2 * (uint64_t)n * (uint64_t)hp->head_dim *
	    2 + SHA256_LEN;
}

static void
prefix_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t
prefix_get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

/* Read exactly len bytes; 0, or -1 (errno; 0 at an early end of file). */
static int
prefix_read(int fd, void *p, size_t len)
{
	uint8_t	*q = p;
	ssize_t	 r;

	while (len > 0) {
		r = read(fd, q, len > (1u << 30) ? (1u << 30) : len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		q += r;
		len -= (size_t)r;
	}
	return 0;
}

int
prefix_load(const char *dir, const uint8_t key[PREFIX_KEY_LEN],
    struct fwd *fw, const struct hparams *hp, const int32_t *toks, int n,
    char **why)
{
	struct sha256	 c;
	struct stat	 st;
	uint8_t		 hdr[PREFIX_HDR], md[SHA256_LEN], want[SHA256_LEN];
	int32_t		*ft = NULL;
	uint16_t	*k, *v;
	size_t		 rows = (size_t)n * (size_t)hp->head_dim * 2;
	uint64_t	 off;
	char		*path;
	int		 fd, L, h, i, rv = -1;
	static const char *const fields[] = { "n_tok", "n_layer",
	    "n_head_kv", "head_dim" };
	uint32_t	 exp[4];

	*why = NULL;
	path = prefix_path(dir, key);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    O_NOFOLLOW)) == -1) {
		if (errno == ENOENT) {
			free(path);
			return 1;
		}
		xasprintf(why, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(why, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size != prefix_size(hp, n)) {
		xasprintf(why, "%s: %llu bytes, expected %llu",
		    path, (unsigned long long)st.st_size,
		    (unsigned long long)prefix_size(hp, n));
		goto out;
	}
	sha256_init(&c);
	if (prefix_read(fd, hdr, sizeof hdr) != 0)
		goto short_read;
	sha256_update(&c, hdr, sizeof hdr);
	if (memcmp(hdr, PREFIX_MAGIC, 8) != 0) {
		xasprintf(why, "%s: offset 0: not a prefix cache file",
		    path);
		goto out;
	}
	if (prefix_get32(hdr + 8) != PREFIX_BOM) {
		xasprintf(why, "%s: offset 8: another byte order",
		    path);
		goto out;
	}
	exp[0] = (uint32_t)n;
	exp[1] = (uint32_t)hp->n_layer;
	exp[2] = (uint32_t)hp->n_head_kv;
	exp[3] = (uint32_t)hp->head_dim;
	for (i = 0; i < 4; i++) {
		if (prefix_get32(hdr + 12 + 4 * i) != exp[i]) {
			xasprintf(why, "%s: offset %d: %s %u, expected %u",
			    path, 12 + 4 * i, fields[i],
			    prefix_get32(hdr + 12 + 4 * i), exp[i]);
			goto out;
		}
	}
	if (memcmp(hdr + 32, key, PREFIX_KEY_LEN) != 0) {
		xasprintf(why, "%s: offset 32: the key is another file's",
		    path);
		goto out;
	}
	ft = xcalloc((size_t)n, sizeof *ft);
	if (prefix_read(fd, ft, (size_t)n * sizeof *ft) != 0)
		goto short_read;
	sha256_update(&c, ft, (size_t)n * sizeof *ft);
	for (i = 0; i < n; i++) {
		if (ft[i] != toks[i]) {
			xasprintf(why, "%s: offset %d: token %d is %d, "
			    "expected %d", path,
			    PREFIX_HDR + 4 * i, i, ft[i], toks[i]);
			goto out;
		}
	}
	off = PREFIX_HDR + (uint64_t)n * 4;
	for (L = 0; L < hp->n_layer; L++) {
		for (h = 0; h < hp->n_head_kv; h++) {
			fwd_kv_block(fw, L, h, &k, &v);
			if (prefix_read(fd, k, rows) != 0 ||
			    prefix_read(fd, v, rows) != 0)
				goto short_read;
			sha256_update(&c, k, rows);
			sha256_update(&c, v, rows);
			off += 2 * rows;
		}
	}
	if (prefix_read(fd, want, sizeof want) != 0)
		goto short_read;
	sha256_final(&c, md);
	if (memcmp(md, want, sizeof md) != 0) {
		xasprintf(why, "%s: offset %llu: the digest does not match "
		    "the contents", path, (unsigned long long)off);
		goto out;
	}
	/* Used now: the trim keeps the most recently used files. */
	(void)futimens(fd, NULL);
	rv = 0;
	goto out;
short_read:
	xasprintf(why, "%s: %s", path, errno != 0 ?
	    strerror(errno) : "shorter than its size");
out:
	free(ft);
	close(fd);
	free(path);
	return rv;
}

int
prefix_save(const char *dir, const uint8_t key[PREFIX_KEY_LEN],
    struct fwd *fw, const struct hparams *hp, const int32_t *toks, int n,
    char **why)
{
	struct sha256	 c;
	uint8_t		 hdr[PREFIX_HDR], md[SHA256_LEN];
	uint16_t	*k, *v;
	size_t		 rows = (size_t)n * (size_t)hp->head_dim * 2;
	char		*path, *tmp;
	int		 fd, L, h, e;

	*why = NULL;
	path = prefix_path(dir, key);
	xasprintf(&tmp, "%s/.tmp-%ld-XXXXXX", dir, (long)getpid());
	/* mkstemp creates the file 0600 */
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(why, "%s: %s", dir, strerror(errno));
		free(tmp);
		free(path);
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	memset(hdr, 0, sizeof hdr);
	memcpy(hdr, PREFIX_MAGIC, 8);
	prefix_put32(hdr + 8, PREFIX_BOM);
	prefix_put32(hdr + 12, (uint32_t)n);
	prefix_put32(hdr + 16, (uint32_t)hp->n_layer);
	prefix_put32(hdr + 20, (uint32_t)hp->n_head_kv);
	prefix_put32(hdr + 24, (uint32_t)hp->head_dim);
	memcpy(hdr + 32, key, PREFIX_KEY_LEN);
	sha256_init(&c);
	sha256_update(&c, hdr, sizeof hdr);
	sha256_update(&c, toks, (size_t)n * sizeof *toks);
	if (fs_write_all(fd, hdr, sizeof hdr) != 0 ||
	    fs_write_all(fd, toks, (size_t)n * sizeof *toks) != 0)
		goto fail;
	for (L = 0; L < hp->n_layer; L++) {
		for (h = 0; h < hp->n_head_kv; h++) {
			fwd_kv_block(fw, L, h, &k, &v);
			sha256_update(&c, k, rows);
			sha256_update(&c, v, rows);
			if (fs_write_all(fd, k, rows) != 0 ||
			    fs_write_all(fd, v, rows) != 0)
				goto fail;
		}
	}
	sha256_final(&c, md);
	if (fs_write_all(fd, md, sizeof md) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	free(path);
	prefix_trim(dir, PREFIX_KEEP, PREFIX_MAX_BYTES);
	return 0;
fail:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	xasprintf(why, "%s: %s", path, strerror(e));
	free(tmp);
	free(path);
	return -1;
}

struct prefix_ent {
	char		*path;
	int64_t		 mtime;	/* ns */
	uint64_t	 size;
};

static int
prefix_newer(const void *a, const void *b)
{
	const struct prefix_ent	*x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime > y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int
prefix_is_name(const char *s)
{
	size_t	i;

	if (strlen(s) != PREFIX_NAME || strcmp(s + 2 * PREFIX_KEY_LEN,
	    ".kv") != 0)
		return 0;
	for (i = 0; i < 2 * PREFIX_KEY_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
prefix_trim(const char *dir, int keep, uint64_t max_bytes)
{
	struct prefix_ent	*ents = NULL;
	struct dirent		*d;
	struct stat		 st;
	DIR			*dp;
	uint64_t		 total = 0;
	size_t			 n = 0, cap = 0, i;
	char			*p;
	time_t			 now = time(NULL);

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		int	tmp = strncmp(d->d_name, ".tmp-", 5) == 0;

		if (!tmp && !prefix_is_name(d->d_name))
			continue;
		xasprintf(&p, "%s/%s", dir, d->d_name);
		if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (tmp) {
			/* another writer's, or one killed while writing */
			if (now - st.st_mtime > PREFIX_TMP_AGE)
				(void)unlink(p);
			free(p);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			ents = xreallocarray(ents, cap, sizeof *ents);
		}
		ents[n].path = p;
		ents[n].mtime = COMPAT_MTIME_NS(&st);
		ents[n].size = (uint64_t)st.st_size;
		n++;
	}
	closedir(dp);
	if (n > 0)
		qsort(ents, n, sizeof *ents, prefix_newer);
	for (i = 0; i < n; i++) {
		total += ents[i].size;
		/* the newest file stays whatever its size */
		if (i > 0 && ((int)i >= keep || total > max_bytes))
			(void)unlink(ents[i].path);
		free(ents[i].path);
	}
	free(ents);
}
