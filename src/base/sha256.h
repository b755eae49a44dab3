/*
 * sha256.h -- SHA-256 (FIPS 180-4), written from the standard.
 *
 *	struct sha256 c;
 *	sha256_init(&c); sha256_update(&c, p, n); ...; sha256_final(&c, md);
 *
 * Used for the model files' identity (several GB, hashed streaming) and
 * the advisory text's identity.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32
#define SHA256_HEXLEN	64

struct sha256 {
	uint32_t	 h[8];
	uint64_t	 nbytes;	/* total bytes hashed */
	uint8_t		 block[64];
	size_t		 used;		/* bytes in block */
};

void	 sha256_init(struct sha256 *);
void	 sha256_update(struct sha256 *, const void *, size_t);
void	 sha256_final(struct sha256 *, uint8_t md[SHA256_LEN]);

/*
 * Which block function runs: enable 1 asks for the SHA-NI one (granted
 * only if the CPU has it), 0 forces the portable one, -1 just reports.
 * Returns 1 if SHA-NI is in use.  For tests and benchmarks; not
 * thread-safe against concurrent hashing while switching.
 */
int	 sha256_accel(int enable);

/* One-shot digest of p[0..n) as 64 lower-case hex digits + NUL. */
void	 sha256_hex(const void *p, size_t n, char out[SHA256_HEXLEN + 1]);
/* Hex form of a digest. */
void	 sha256_tohex(const uint8_t md[SHA256_LEN], char out[SHA256_HEXLEN + 1]);

/*
 * Hash the file at path streaming (fixed 1 MiB buffer, any size).
 * progress (may be NULL) is called with bytes done and the file size
 * about every 64 MiB; returning nonzero from it cancels (-1, cause
 * "cancelled").  Returns 0 and out, or -1 and *cause naming the file.
 */
int	 sha256_file(const char *path, char out[SHA256_HEXLEN + 1],
	    int (*progress)(uint64_t done, uint64_t total, void *arg),
	    void *arg, char **cause);

#endif
