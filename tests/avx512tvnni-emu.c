/*
 * avx512tvnni-emu.c -- engine/kernels-avx512-tile.c with VNNI on SIMDe's
 * emulation of AVX-512, as avx512vnni_tile_emu_install(), which the emulated
 * kernels-avx512.c's VNNI install calls (see avx512-emu.h).
 */
#include "avx512-emu.h"

#define KERNELS_VNNI 1
#define AVX512T_INSTALL avx512vnni_tile_emu_install
#include "kernels-avx512-tile.c"
