/*
 * prefix.h -- the prompt-prefix cache (engine/prefix.c): the K/V of a
 * prompt's leading system message(s) in a file, so that another process
 * asked with the same model, kernels and system message reads them
 * instead of evaluating them again.  Private to engine/.
 */
#ifndef PREFIX_H
#define PREFIX_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "prefix.h is private to engine/: other layers include engine.h"
#endif

#include <stdint.h>

#define PREFIX_KEY_LEN		32
#define PREFIX_KEEP		8		/* files kept in the directory */
#define PREFIX_MAX_BYTES	(2ULL << 30)	/* and their total size */

struct fwd;
struct hparams;

/*
 * The key of the prefix toks[0..n) for the model whose identity is ident
 * (a string naming the file's device, inode, size and time, the engine's
 * version and kernels): a file of the cache is valid for exactly one key.
 */
void	 prefix_key(const char *ident, const int32_t *toks, int n,
	    uint8_t key[PREFIX_KEY_LEN]);

/*
 * Read the file of key in dir into the K/V cache's positions 0..n-1.
 * 0: loaded (every field, the tokens and the digest checked); 1: no such
 * file; -1: the file is not usable (*why says where: field, offset), and
 * positions 0..n-1 of the cache may have been written: the caller must
 * evaluate them again.
 */
int	 prefix_load(const char *dir, const uint8_t key[PREFIX_KEY_LEN],
	    struct fwd *, const struct hparams *, const int32_t *toks, int n,
	    char **why);

/*
 * Write positions 0..n-1 of the K/V cache, holding toks[0..n), as the
 * file of key in dir (0600, written under a temporary name and renamed),
 * then trim the directory to PREFIX_KEEP files and PREFIX_MAX_BYTES.
 * 0, or -1 with *why (nothing is left behind).
 */
int	 prefix_save(const char *dir, const uint8_t key[PREFIX_KEY_LEN],
	    struct fwd *, const struct hparams *, const int32_t *toks, int n,
	    char **why);

/* Remove the oldest files (by last use) beyond keep files or max bytes. */
void	 prefix_trim(const char *dir, int keep, uint64_t max_bytes);

#endif
