/*
 * sha256.c -- SHA-256 as specified in FIPS 180-4, section 6.2.
 *
 * The message is processed in 64-byte blocks; struct sha256 buffers a
 * partial block between sha256_update() calls, so data may arrive in any
 * pieces.  Padding (section 5.1.1): one 0x80 byte, zeros, and the message
 * length in bits as a big-endian 64-bit number, ending a block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_HAVE_SHANI 1
#endif

#include "sha256.h"
#include "xmalloc.h"

static void	sha256_block(struct sha256 *, const uint8_t *);
static void	sha256_blocks(struct sha256 *, const uint8_t *, size_t);

/* First 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (FIPS 180-4 section 4.2.2). */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROTR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z)	(((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z)	(((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)	(ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x)	(ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x)	(ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x)	(ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

void
sha256_init(struct sha256 *c)
{
	/* Fractional parts of the square roots of the first 8 primes. */
	c->h[0] = 0x6a09e667;
	c->h[1] = 0xbb67ae85;
	c->h[2] = 0x3c6ef372;
	c->h[3] = 0xa54ff53a;
	c->h[4] = 0x510e527f;
	c->h[5] = 0x9b05688c;
	c->h[6] = 0x1f83d9ab;
	c->h[7] = 0x5be0cd19;
	c->nbytes = 0;
	c->used = 0;
}

/* Process one 64-byte block p into the hash state. */
static void
sha256_block(struct sha256 *c, const uint8_t *p)
{
	uint32_t	w[64], a, b, cc, d, e, f, g, h, t1, t2;
	int		i;

	for (i = 0; i < 16; i++) {
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	}
	for (i = 16; i < 64; i++)
		w[i] = SSIG1(w[i - 2]) + w[i - 7] + SSIG0(w[i - 15]) + w[i - 16];

	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + BSIG1(e) + CH(e, f, g) + sha256_k[i] + w[i];
		t2 = BSIG0(a) + MAJ(a, b, cc);
		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

#ifdef SHA256_HAVE_SHANI
/*
 * n blocks with the SHA-NI instructions.  The state lives in two
 * registers as {A,B,E,F} and {C,D,G,H}; SHA256RNDS2 does two rounds
 * with the message+constant words in the low half of its third operand.
 * The message schedule is kept as four vectors of four words, W[t..t+3]:
 * SHA256MSG1 adds sigma0 of the following words, SHA256MSG2 finishes
 * with sigma1 after the W[t-7] terms are added (the alignr).
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void
sha256_blocks_shani(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i	bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
			    0x0405060700010203ULL);
	__m128i		st0, st1, save0, save1, tmp, msg, m[4];
	int		g;

	tmp = _mm_loadu_si128((const void *)&h[0]);	/* D C B A */
	st1 = _mm_loadu_si128((const void *)&h[4]);	/* H G F E */
	tmp = _mm_shuffle_epi32(tmp, 0xB1);		/* C D A B */
	st1 = _mm_shuffle_epi32(st1, 0x1B);		/* E F G H */
	st0 = _mm_alignr_epi8(tmp, st1, 8);		/* A B E F */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0);		/* C D G H */

	for (; n > 0; n--, p += 64) {
		save0 = st0;
		save1 = st1;
		for (g = 0; g < 16; g++) {
			if (g < 4)
				m[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const void *)(p + 16 * g)), bswap);
			msg = _mm_add_epi32(m[g & 3], _mm_loadu_si128(
			    (const void *)&sha256_k[4 * g]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
			if (g >= 3 && g <= 14) {
				tmp = _mm_alignr_epi8(m[g & 3],
				    m[(g + 3) & 3], 4);
				m[(g + 1) & 3] = _mm_add_epi32(m[(g + 1) & 3],
				    tmp);
				m[(g + 1) & 3] = _mm_sha256msg2_epu32(
				    m[(g + 1) & 3], m[g & 3]);
			}
			msg = _mm_shuffle_epi32(msg, 0x0E);
			st0 = _mm_sha256rnds2_epu32(st0, st1, msg);
			if (g >= 1 && g <= 12)
				m[(g + 3) & 3] = _mm_sha256msg1_epu32(
				    m[(g + 3) & 3], m[g & 3]);
		}
		st0 = _mm_add_epi32(st0, save0);
		st1 = _mm_add_epi32(st1, save1);
	}

	tmp = _mm_shuffle_epi32(st0, 0x1B);		/* F E B A */
	st1 = _mm_shuffle_epi32(st1, 0xB1);		/* D C H G */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0);		/* D C B A */
	st1 = _mm_alignr_epi8(st1, tmp, 8);		/* H G F E */
	_mm_storeu_si128((void *)&h[0], st0);
	_mm_storeu_si128((void *)&h[4], st1);
}

/* 1 if the CPU has the SHA extensions and SSE4.1 (CPUID leaves 1, 7). */
static int
sha256_cpu_shani(void)
{
	unsigned int	a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) ||
	    !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;
}
#endif

/* -1 unknown, 0 portable code, 1 SHA-NI. */
static int	sha256_impl = -1;

int
sha256_accel(int enable)
{
#ifdef SHA256_HAVE_SHANI
	int	have = sha256_cpu_shani();

	if (enable >= 0)
		sha256_impl = enable && have;
	else if (sha256_impl < 0)
		sha256_impl = have;
	return sha256_impl;
#else
	(void)enable;
	sha256_impl = 0;
	return 0;
#endif
}

/* Process n whole blocks at p. */
static void
sha256_blocks(struct sha256 *c, const uint8_t *p, size_t n)
{
	if (sha256_impl < 0)
		sha256_accel(-1);
#ifdef SHA256_HAVE_SHANI
	if (sha256_impl == 1) {
		sha256_blocks_shani(c->h, p, n);
		return;
	}
#endif
	for (; n > 0; n--, p += 64)
		sha256_block(c, p);
}

void
sha256_update(struct sha256 *c, const void *data, size_t n)
{
	const uint8_t	*p = data;
	size_t		 take;

	c->nbytes += n;
	if (c->used != 0) {
		take = 64 - c->used;
		if (take > n)
			take = n;
		memcpy(c->block + c->used, p, take);
		c->used += take;
		p += take;
		n -= take;
		if (c->used < 64)
			return;
		sha256_blocks(c, c->block, 1);
		c->used = 0;
	}
	if (n >= 64) {
		sha256_blocks(c, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	if (n != 0) {
		memcpy(c->block, p, n);
		c->used = n;
	}
}

void
sha256_final(struct sha256 *c, uint8_t md[SHA256_LEN])
{
	uint64_t	bits = c->nbytes * 8;
	int		i;

	c->block[c->used++] = 0x80;
	if (c->used > 56) {
		memset(c->block + c->used, 0, 64 - c->used);
		sha256_blocks(c, c->block, 1);
		c->used = 0;
	}
	memset(c->block + c->used, 0, 56 - c->used);
	for (i = 0; i < 8; i++)
		c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_blocks(c, c->block, 1);
	for (i = 0; i < 8; i++) {
		md[4 * i] = (uint8_t)(c->h[i] >> 24);
		md[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		md[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		md[4 * i + 3] = (uint8_t)c->h[i];
	}
	memset(c, 0, sizeof *c);
}

void
sha256_tohex(const uint8_t md[SHA256_LEN], char out[SHA256_HEXLEN + 1])
{
	static const char	hex[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[SHA256_HEXLEN] = '\0';
}

void
sha256_hex(const void *p, size_t n, char out[SHA256_HEXLEN + 1])
{
	struct sha256	c;
	uint8_t		md[SHA256_LEN];

	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final(&c, md);
	sha256_tohex(md, out);
}

int
sha256_file(const char *path, char out[SHA256_HEXLEN + 1],
    int (*progress)(uint64_t, uint64_t, void *), void *arg, char **cause)
{
	struct sha256	 c;
	struct stat	 sb;
	uint8_t		 md[SHA256_LEN], *buf;
	uint64_t	 done = 0, next = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
#ifdef HAVE_POSIX_FADVISE	/* a hint only: without it, plain reads */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	buf = xmalloc(1 << 20);
	sha256_init(&c);
	for (;;) {
		r = read(fd, buf, 1 << 20);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			xasprintf(cause, "%s: read at offset %llu: %s", path,
			    (unsigned long long)done, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		sha256_update(&c, buf, (size_t)r);
		done += (uint64_t)r;
		if (progress != NULL && done >= next) {
			next = done + (64u << 20);
			if (progress(done, (uint64_t)sb.st_size, arg) != 0) {
				xasprintf(cause, "%s: hashing cancelled", path);
				goto fail;
			}
		}
	}
	free(buf);
	close(fd);
	sha256_final(&c, md);
	sha256_tohex(md, out);
	return 0;

fail:
	free(buf);
	close(fd);
	return -1;
}
