/*
 * avx512-emu.h -- compile engine/kernels-avx512.c (and
 * kernels-avx512-q.c) against SIMDe instead of the compiler's AVX-512
 * intrinsics (tests only).
 *
 * SIMDe ("SIMD Everywhere", Debian libsimde-dev) implements the
 * _mm512_* intrinsics with AVX2 (the wrappers are built with -mavx2
 * -mfma -mf16c -mbmi2 and nothing newer) and, with native aliases, maps
 * the intrinsics' own names onto its functions, so the kernels compile
 * unchanged.  The AVX2 and F16C intrinsics the file also uses stay the
 * compiler's.  Include this, define AVX512_INSTALL (and KERNELS_VNNI
 * for the VNNI variant), then include the kernels.
 */
#ifndef AVX512_EMU_H
#define AVX512_EMU_H

#define SIMDE_ENABLE_NATIVE_ALIASES
/*
 * Calls instead of SIMDe's default always-inline: the same functions,
 * three times faster to compile (the kernels instantiate each intrinsic
 * many times), and still fast enough to run.
 */
#define SIMDE_NO_INLINE
#include <simde/x86/avx512.h>

/*
 * SIMDe 0.7.4 declares the native alias of _mm512_madd_epi16 with the
 * four parameters of the masked form; its function takes (a, b) as the
 * intrinsic does.  Alias it again, correctly.
 */
#undef _mm512_madd_epi16
#define _mm512_madd_epi16(a, b) simde_mm512_madd_epi16(a, b)

/*
 * The install functions of the two emulated copies (each calls its
 * copy of kernels-avx512-q.c's, as the real ones do).
 */
void	avx512_emu_install(void);
void	avx512vnni_emu_install(void);
void	avx512_q_emu_install(void);
void	avx512vnni_q_emu_install(void);
void	avx512_tile_emu_install(void);
void	avx512vnni_tile_emu_install(void);
/* engine/forward-avx512.c's attention tile, emulated (avx512f-emu.c). */
struct fwd_tile;
void	fwd_attn_tile_avx512_emu(const struct fwd_tile *);

#endif
