/*
 * avx512-emu.c -- engine/kernels-avx512.c (without VNNI) on SIMDe's
 * emulation of AVX-512, as avx512_emu_install() (see avx512-emu.h).
 */
#include "avx512-emu.h"

#define AVX512_INSTALL avx512_emu_install
#define AVX512Q_INSTALL avx512_q_emu_install
#define AVX512T_INSTALL avx512_tile_emu_install
#include "kernels-avx512.c"
