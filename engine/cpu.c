/*
 * cpu.c -- CPU feature detection and kernel selection.
 *
 * At the first cpu_init() the CPU is probed (x86: CPUID, and XGETBV to
 * check that the OS saves the AVX / AVX-512 register state; aarch64:
 * getauxval(AT_HWCAP/AT_HWCAP2) on Linux, sysctlbyname on macOS), the
 * best level with kernels built in is chosen, or the one $MEDCHAT_CPU
 * names (scalar, avx2, avxvnni, avx512, neon, dotprod, i8mm), and its
 * kernels are installed in the quant traits table.  Asking for a level
 * this CPU (or this build) lacks is an error that names what is missing.
 *
 * Levels: CPU_SCALAR is the portable C reference (quant.c), always
 * available.  CPU_AVX2 needs AVX2, FMA, F16C and BMI2 and a build with
 * HAVE_X86_SIMD (kernels-avx2.c).  CPU_AVXVNNI adds AVX-VNNI (the
 * VEX-encoded vpdpbusd of Intel cores since Alder Lake, of Xeon 6 and
 * Zen 5) and a build with HAVE_AVXVNNI: the AVX2 kernels, then the
 * Q4_0/Q5_0/Q8_0 prefill tiles of kernels-avx2-tile.c built with
 * AVX-VNNI over theirs (decode is memory-bound; its kernels stay).  It
 * is for CPUs without AVX-512, where it is the best x86 level.
 * CPU_AVX512 needs AVX-512 F, BW and VL
 * on top of that and a build with HAVE_AVX512: the AVX2 kernels are
 * installed, then those of kernels-avx512.c over them, in their VNNI
 * variant when the CPU has AVX512_VNNI.  (tests/test-avx512-emu also
 * checks the AVX-512 kernels under emulation, on CPUs without them.)
 * Each install step records which weight types it gave kernels to, so
 * cpu_type_level() can say what a type runs where some fall back.
 *
 * On aarch64 (a build with HAVE_NEON, kernels-neon.c in three
 * libraries): CPU_NEON needs Advanced SIMD, which every aarch64 Linux
 * and macOS machine has; CPU_DOTPROD adds the ARMv8.2 dot product
 * (HWCAP_ASIMDDP, FEAT_DotProd), CPU_I8MM the int8 matrix multiply on
 * top (HWCAP2_I8MM, FEAT_I8MM).  They are verified under qemu-user only
 * (tests/cross-aarch64.sh).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "quant.h"
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define CPU_X86 1
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#define CPU_ARM_LINUX 1
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/types.h>
#include <sys/sysctl.h>
#define CPU_ARM_APPLE 1
#endif

struct cpu_caps {
	int	avx2;		/* AVX2 + FMA + F16C + BMI2, OS-enabled */
	int	avx512;		/* AVX-512 F/BW/VL, OS-enabled */
	int	avx512vnni;
	int	avxvnni;
	int	neon;		/* aarch64 Advanced SIMD */
	int	dotprod;	/* + sdot/udot (ARMv8.2 FEAT_DotProd) */
	int	i8mm;		/* + smmla (FEAT_I8MM) */
};

static struct cpu_caps	 caps;
static enum cpu_level	 level = CPU_SCALAR;
/* Per type: the level whose kernels are installed (some fall back). */
static const char	*type_level[QT_COUNT];
static pthread_once_t	 probe_once = PTHREAD_ONCE_INIT;
static pthread_once_t	 init_once = PTHREAD_ONCE_INIT;
static char		 init_error[256];

#ifdef CPU_X86
static uint64_t
cpu_xgetbv0(void)
{
	uint32_t	eax, edx;

	__asm__ __volatile__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
	return (uint64_t)edx << 32 | eax;
}

static void
cpu_probe(void)
{
	unsigned int	eax, ebx, ecx, edx, ebx7 = 0, ecx7 = 0, max7 = 0;
	uint64_t	xcr0 = 0;
	int		avx, fma, f16c, os_avx, os_avx512;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return;
	fma = (ecx >> 12) & 1;
	avx = (ecx >> 28) & 1;
	f16c = (ecx >> 29) & 1;
	if ((ecx >> 27) & 1)		/* OSXSAVE: xgetbv is usable */
		xcr0 = cpu_xgetbv0();
	os_avx = (xcr0 & 0x6) == 0x6;		/* XMM and YMM state */
	os_avx512 = (xcr0 & 0xE6) == 0xE6;	/* + opmask, ZMM */
	if (__get_cpuid_max(0, NULL) >= 7) {
		__cpuid_count(7, 0, eax, ebx7, ecx7, edx);
		max7 = eax;
	}
	caps.avx2 = avx && os_avx && fma && f16c &&
	    ((ebx7 >> 5) & 1) && ((ebx7 >> 8) & 1);
	caps.avx512 = caps.avx2 && os_avx512 && ((ebx7 >> 16) & 1) &&
	    ((ebx7 >> 30) & 1) && ((ebx7 >> 31) & 1);
	caps.avx512vnni = caps.avx512 && ((ecx7 >> 11) & 1);
	/* leaf 7 subleaf 1, EAX bit 4: AVX-VNNI (if EAX of subleaf 0,
	   the highest subleaf, says it exists) */
	if (caps.avx2 && max7 >= 1) {
		__cpuid_count(7, 1, eax, ebx, ecx, edx);
		caps.avxvnni = (eax >> 4) & 1;
	}
}
#elif defined(CPU_ARM_LINUX)
/* The bits as the kernel's uapi defines them, for older libc headers. */
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD	(1UL << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP	(1UL << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM	(1UL << 13)
#endif

static void
cpu_probe(void)
{
	unsigned long	hw, hw2;

	hw = getauxval(AT_HWCAP);
	hw2 = getauxval(AT_HWCAP2);

	caps.neon = (hw & HWCAP_ASIMD) != 0;
	caps.dotprod = caps.neon && (hw & HWCAP_ASIMDDP) != 0;
	caps.i8mm = caps.dotprod && (hw2 & HWCAP2_I8MM) != 0;
}
#elif defined(CPU_ARM_APPLE)
static int
cpu_sysctl_flag(const char *name)
{
	int	v = 0;
	size_t	len = sizeof v;

	if (sysctlbyname(name, &v, &len, NULL, 0) != 0)
		return 0;
	return v != 0;
}

static void
cpu_probe(void)
{
	/* every Apple Silicon CPU has Advanced SIMD */
	caps.neon = 1;
	caps.dotprod = cpu_sysctl_flag("hw.optional.arm.FEAT_DotProd");
	caps.i8mm = caps.dotprod &&
	    cpu_sysctl_flag("hw.optional.arm.FEAT_I8MM");
}
#elif defined(__aarch64__)
static void
cpu_probe(void)
{
	/*
	 * Advanced SIMD is part of every aarch64 system this builds for;
	 * without a way to ask the OS, sdot and smmla are not assumed.
	 */
	caps.neon = 1;
}
#else
static void
cpu_probe(void)
{
}
#endif

/* Whether the CPU has the level's instructions (kernels or not). */
static int
cpu_has(enum cpu_level l)
{
	switch (l) {
	case CPU_SCALAR:
		return 1;
	case CPU_AVX2:
		return caps.avx2;
	case CPU_AVXVNNI:
		return caps.avxvnni;
	case CPU_AVX512:
		return caps.avx512;
	case CPU_NEON:
		return caps.neon;
	case CPU_DOTPROD:
		return caps.dotprod;
	case CPU_I8MM:
		return caps.i8mm;
	}
	return 0;
}

/* Whether this build has kernels for the level. */
static int
cpu_built(enum cpu_level l)
{
	switch (l) {
	case CPU_SCALAR:
		return 1;
	case CPU_AVX2:
#ifdef HAVE_X86_SIMD
		return 1;
#else
		return 0;
#endif
	case CPU_AVXVNNI:
#ifdef HAVE_AVXVNNI
		return 1;
#else
		return 0;
#endif
	case CPU_AVX512:
#ifdef HAVE_AVX512
		return 1;
#else
		return 0;
#endif
	case CPU_NEON:
	case CPU_DOTPROD:
	case CPU_I8MM:
#ifdef HAVE_NEON
		return 1;
#else
		return 0;
#endif
	}
	return 0;
}

int
cpu_supports(enum cpu_level l)
{
	pthread_once(&probe_once, cpu_probe);
	return cpu_has(l) && cpu_built(l);
}

void
cpu_describe(enum cpu_level l, int *has, int *built)
{
	pthread_once(&probe_once, cpu_probe);
	*has = cpu_has(l);
	*built = cpu_built(l);
}

const char *
cpu_level_name(enum cpu_level l)
{
	switch (l) {
	case CPU_SCALAR:
		return "scalar";
	case CPU_AVX2:
		return "avx2";
	case CPU_AVXVNNI:
		return "avxvnni";
	case CPU_AVX512:
		return "avx512";
	case CPU_NEON:
		return "neon";
	case CPU_DOTPROD:
		return "dotprod";
	case CPU_I8MM:
		return "i8mm";
	}
	return "?";
}

/* What a level needs, for the error when the CPU lacks it. */
static const char *
cpu_level_needs(enum cpu_level l)
{
	switch (l) {
	case CPU_SCALAR:
		return "nothing";
	case CPU_AVX2:
		return "AVX2+FMA+F16C+BMI2";
	case CPU_AVXVNNI:
		return "AVX2+FMA+F16C+BMI2 and AVX-VNNI";
	case CPU_AVX512:
		return "AVX-512 F/BW/VL";
	case CPU_NEON:
		return "Advanced SIMD (NEON)";
	case CPU_DOTPROD:
		return "the dot product instructions (FEAT_DotProd)";
	case CPU_I8MM:
		return "FEAT_DotProd and the int8 matrix multiply (FEAT_I8MM)";
	}
	return "?";
}

/* The kernels of each type after the last install step. */
struct cpu_kset {
	qdot_fn		 dot[QT_COUNT];
	qgemm_fn	 gemm[QT_COUNT];
	qtile_fn	 tile[QT_COUNT];
};

/*
 * After an install step: the types whose dot, gemm or tile it changed
 * (against ks) now run the kernels of name.
 */
static void
cpu_mark(struct cpu_kset *ks, const char *name)
{
	const struct qtraits	*q;
	uint32_t		 t;

	for (t = 0; t < QT_COUNT; t++) {
		if ((q = qtype_traits(t)) == NULL)
			continue;
		if (q->vec_dot != ks->dot[t] || q->gemm != ks->gemm[t] ||
		    q->tile != ks->tile[t])
			type_level[t] = name;
		ks->dot[t] = q->vec_dot;
		ks->gemm[t] = q->gemm;
		ks->tile[t] = q->tile;
	}
}

static void
cpu_install(enum cpu_level l)
{
	static struct cpu_kset	 ks;
	uint32_t		 t;

	memset(&ks, 0, sizeof ks);
	for (t = 0; t < QT_COUNT; t++)
		qtype_install(t, NULL, NULL, NULL);
	cpu_mark(&ks, "scalar");
#ifdef HAVE_X86_SIMD
	if (l == CPU_AVX2 || l == CPU_AVXVNNI || l == CPU_AVX512) {
		avx2_install();
		cpu_mark(&ks, "avx2");
	}
#endif
#ifdef HAVE_AVXVNNI
	if (l == CPU_AVXVNNI) {
		avxvnni_tile_install();
		cpu_mark(&ks, "avxvnni");
	}
#endif
#ifdef HAVE_AVX512
	if (l == CPU_AVX512) {
		if (caps.avx512vnni) {
			avx512vnni_install();
			cpu_mark(&ks, "avx512vnni");
		} else {
			avx512_install();
			cpu_mark(&ks, "avx512");
		}
	}
#endif
#ifdef HAVE_NEON
	if (l == CPU_NEON) {
		neon_install();
		cpu_mark(&ks, "neon");
	} else if (l == CPU_DOTPROD) {
		neon_dotprod_install();
		cpu_mark(&ks, "dotprod");
	} else if (l == CPU_I8MM) {
		neon_i8mm_install();
		cpu_mark(&ks, "i8mm");
	}
#endif
	level = l;
}

const char *
cpu_type_level(uint32_t type)
{
	return type < QT_COUNT && type_level[type] != NULL ?
	    type_level[type] : "scalar";
}

int
cpu_set_level(enum cpu_level l)
{
	pthread_once(&probe_once, cpu_probe);
	if (!cpu_has(l) || !cpu_built(l))
		return -1;
	cpu_install(l);
	return 0;
}

enum cpu_level
cpu_level(void)
{
	return level;
}

static void
cpu_init_once(void)
{
	const char	*env = getenv("MEDCHAT_CPU");
	enum cpu_level	 want, l;

	pthread_once(&probe_once, cpu_probe);
	if (env == NULL || *env == '\0') {
		for (l = CPU_LEVEL_LAST; l > CPU_SCALAR; l--)
			if (cpu_has(l) && cpu_built(l))
				break;
		cpu_install(l);
		return;
	}
	for (want = CPU_SCALAR; want <= CPU_LEVEL_LAST; want++)
		if (strcmp(env, cpu_level_name(want)) == 0)
			break;
	if (want > CPU_LEVEL_LAST) {
		snprintf(init_error, sizeof init_error, "MEDCHAT_CPU: unknown "
		    "level (want %s)",
#if defined(__aarch64__)
		    "scalar, neon, dotprod or i8mm"
#else
		    "scalar, avx2, avxvnni or avx512"
#endif
		    );
		goto fail;
	}
	if (!cpu_has(want)) {
		snprintf(init_error, sizeof init_error, "MEDCHAT_CPU=%s: this "
		    "CPU (or its OS) does not support %s", cpu_level_name(want),
		    cpu_level_needs(want));
		goto fail;
	}
	if (!cpu_built(want)) {
		snprintf(init_error, sizeof init_error, "MEDCHAT_CPU=%s: no %s "
		    "kernels in this build", cpu_level_name(want),
		    cpu_level_name(want));
		goto fail;
	}
	cpu_install(want);
	return;

fail:
	/* the error is reported by cpu_init; run on the reference kernels */
	cpu_install(CPU_SCALAR);
}

int
cpu_init(char **cause)
{
	pthread_once(&init_once, cpu_init_once);
	if (init_error[0] != '\0') {
		if (cause != NULL)
			*cause = xstrdup(init_error);
		return -1;
	}
	return 0;
}
