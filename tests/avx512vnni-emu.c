/*
 * avx512vnni-emu.c -- engine/kernels-avx512.c with VNNI on SIMDe's
 * emulation of AVX-512, as avx512vnni_emu_install() (see avx512-emu.h).
 */
#include "avx512-emu.h"

#define KERNELS_VNNI 1
#define AVX512_INSTALL avx512vnni_emu_install
#define AVX512Q_INSTALL avx512vnni_q_emu_install
#define AVX512T_INSTALL avx512vnni_tile_emu_install
#include "kernels-avx512.c"
