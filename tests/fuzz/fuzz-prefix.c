/*
 * fuzz-prefix.c -- libFuzzer target for the prompt-prefix cache's reader
 * (engine/prefix.c, prefix_load).  Built only with --enable-fuzzing
 * (clang); run with `make fuzz-prefix`.  Each input is written as the
 * cache file of a fixed key and read into a run state of a small fixed
 * shape (2 layers, 2 KV heads of 16, 40 tokens); fwd_kv_block is this
 * file's own, over one buffer with guard bytes on both sides, so the
 * target needs no model.  Any bytes must give 0 (loaded), or -1 with a
 * one-line reason naming the file, never write outside the K/V rows of
 * positions 0..39, and never load a file other than the one prefix_save
 * writes (a digest cannot be guessed).  LLVMFuzzerInitialize writes that
 * file, and, when the directory fuzz-out/corpus-prefix exists (make
 * fuzz-prefix makes it), a copy of it there as a seed.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "prefix.h"
#include "sha256.h"
#include "xmalloc.h"

#define L	2
#define H	2
#define HD	16
#define NT	40
#define GUARD	64
#define BLOCK	((size_t)NT * HD)	/* f16 values of one (L, h) K block */

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint16_t	 kv[GUARD + 2 * L * H * BLOCK + GUARD];
static char	 dir[] = "/tmp/medchat-fuzz-prefix-XXXXXX";
static char	 path[256];
static uint8_t	 key[PREFIX_KEY_LEN];
static int32_t	 toks[NT];
static struct hparams hp;
static uint8_t	*valid;		/* the file prefix_save writes */
static size_t	 valid_n;

void
fwd_kv_block(struct fwd *f, int l, int h, uint16_t **k, uint16_t **v)
{
	(void)f;
	*k = kv + GUARD + (size_t)(2 * (l * H + h)) * BLOCK;
	*v = *k + BLOCK;
}

/* At exit: the cache file and the directory (nothing else is left). */
static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	hex[SHA256_HEXLEN + 1], *why = NULL;
	FILE	*f;
	size_t	 i;

	(void)argc;
	(void)argv;

	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	hp.n_layer = L;
	hp.n_head_kv = H;
	hp.head_dim = HD;
	for (i = 0; i < NT; i++)
		toks[i] = (int32_t)i * 37 + 1;
	prefix_key("fuzz", toks, NT, key);
	sha256_tohex(key, hex);
	snprintf(path, sizeof path, "%s/%s.kv", dir, hex);
	for (i = 0; i < sizeof kv / sizeof kv[0]; i++)
		kv[i] = (uint16_t)(i * 2654435761u >> 16);
	if (prefix_save(dir, key, NULL, &hp, toks, NT, &why) != 0 ||
	    (f = fopen(path, "rb")) == NULL)
		abort();
	valid = xmalloc(1 << 16);
	valid_n = fread(valid, 1, 1 << 16, f);
	fclose(f);
	if ((f = fopen("fuzz-out/corpus-prefix/valid", "wb")) != NULL) {
		fwrite(valid, 1, valid_n, f);
		fclose(f);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE	*f;
	char	*why = NULL;
	int	 r, i;

	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	memset(kv, 0xa5, sizeof kv);
	r = prefix_load(dir, key, NULL, &hp, toks, NT, &why);
	for (i = 0; i < GUARD; i++)
		if (kv[i] != 0xa5a5 || kv[GUARD + 2 * L * H * BLOCK + i] !=
		    0xa5a5)
			abort();	/* written outside the rows */
	if (r == -1) {
		if (why == NULL || strchr(why, '\n') != NULL ||
		    strstr(why, ".kv") == NULL)
			abort();
	} else if (r != 0)
		abort();		/* the file exists: never a miss */
	else if (size != valid_n || memcmp(data, valid, size) != 0)
		abort();		/* loaded another file */
	free(why);
	unlink(path);
	return 0;
}
