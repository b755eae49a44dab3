/*
 * avx512t-emu.c -- engine/kernels-avx512-tile.c (without VNNI) on SIMDe's
 * emulation of AVX-512, as avx512_tile_emu_install(), which the emulated
 * kernels-avx512.c's install calls (see avx512-emu.h).
 */
#include "avx512-emu.h"

#define AVX512T_INSTALL avx512_tile_emu_install
#include "kernels-avx512-tile.c"
