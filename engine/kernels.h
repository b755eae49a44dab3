/*
 * kernels.h -- CPU feature selection (engine/cpu.c) and what the SIMD
 * kernel files share with the rest of the engine (engine-internal).  The
 * thread pool is in pool.h, the matrix products in matmul.h.
 */
#ifndef KERNELS_H
#define KERNELS_H

#ifndef MEDCHAT_ENGINE_INTERNAL
#error "kernels.h is private to engine/: other layers include engine.h"
#endif

#include <stddef.h>
#include <stdint.h>

/* Block i of activation column c, the columns xs bytes apart, as a T. */
#define XB(T, x, xs, c, i) ((const T *)((x) + (size_t)(c) * (xs)) + (i))

/* ---- CPU dispatch ----------------------------------------------------- */

/*
 * x86-64: AVX2, AVXVNNI (AVX2 + AVX-VNNI), AVX-512.  aarch64: NEON
 * (ARMv8.0 Advanced SIMD), DOTPROD (+ sdot, ARMv8.2), I8MM (+ smmla).
 * Within an architecture a higher level is a better one; CPU_LEVEL_LAST
 * is the highest.
 */
enum cpu_level {
	CPU_SCALAR = 0, CPU_AVX2 = 1, CPU_AVXVNNI = 2, CPU_AVX512 = 3,
	CPU_NEON = 4, CPU_DOTPROD = 5, CPU_I8MM = 6
};
#define CPU_LEVEL_LAST	CPU_I8MM

/*
 * Detect the CPU once (CPUID on x86, getauxval or sysctlbyname on
 * aarch64) and install the best kernels in the traits table;
 * $MEDCHAT_CPU=scalar|avx2|avxvnni|avx512|neon|dotprod|i8mm forces a level
 * (asking for one the CPU lacks is an error: returns -1 with *cause).
 * Idempotent and thread-safe; called by engine_open and by tests.
 */
int	 cpu_init(char **cause);
/* Force a level (tests); -1 if unsupported on this CPU. */
int	 cpu_set_level(enum cpu_level);
enum cpu_level cpu_level(void);
const char *cpu_level_name(enum cpu_level);
/* Whether the CPU has the level AND this build has kernels for it. */
int	 cpu_supports(enum cpu_level);
/*
 * Both halves of that apart: *has, whether the CPU (and its OS) has the
 * level's instructions; *built, whether this build has its kernels.
 */
void	 cpu_describe(enum cpu_level, int *has, int *built);
/*
 * Whose dot/gemm kernels a weight type runs at the current level:
 * "scalar", "avx2", "avxvnni" (the AVX2 kernels with AVX-VNNI prefill
 * tiles), "avx512" or "avx512vnni" (a type without kernels of the level
 * keeps those of the level below).  Static strings.
 */
const char *cpu_type_level(uint32_t type);

#ifdef HAVE_X86_SIMD
/* kernels-avx2.c: install the AVX2 kernels in the traits table. */
void	 avx2_install(void);
/* kernels-avx2-k.c: the AVX2 K-quant kernels (avx2_install calls it). */
void	 avx2_k_install(void);
/* kernels-avx2-tile.c: the AVX2 prefill tiles (avx2_install calls it). */
void	 avx2_tile_install(void);
#endif
#ifdef HAVE_AVXVNNI
/* kernels-avx2-tile.c built with AVX-VNNI: its tiles, over avx2_install's. */
void	 avxvnni_tile_install(void);
#endif
#ifdef HAVE_AVX512
/*
 * kernels-avx512.c: install the AVX-512 kernels (without / with VNNI)
 * of the quantized weight types over the AVX2 ones: call avx2_install()
 * first.
 */
void	 avx512_install(void);
void	 avx512vnni_install(void);
#endif

#ifdef HAVE_NEON
/*
 * kernels-neon.c, compiled once per level: install its kernels in the
 * traits table (each replaces every SIMD kernel, none needs another).
 */
void	 neon_install(void);
void	 neon_dotprod_install(void);
void	 neon_i8mm_install(void);
#endif

/*
 * Decode (one activation column) reads each weight row from memory once.
 * The hardware prefetchers do not follow a stream across a 4 KiB page,
 * and a kernel doing real work per byte keeps too few loads in flight to
 * cover the memory latency by itself (a bare read loop streams the
 * mmapped file at about 30 GB/s with two threads here, the Q4_K kernel
 * at 17-19).  So the SIMD one-column kernels call pf_ahead for the
 * weight bytes they are about to read: a prefetch into all cache levels
 * PF_AHEAD bytes further on, one per 64 bytes.  Running past the end of
 * a row just reaches the next one (a prefetch never faults).
 * docs/PERFORMANCE.md has the measurements.
 */
#define PF_AHEAD	4096

static inline void
pf_ahead(const void *p, int nbytes)
{
	int	o;

	for (o = 0; o < nbytes; o += 64)
		__builtin_prefetch((const char *)p + PF_AHEAD + o, 0, 3);
}

#endif
