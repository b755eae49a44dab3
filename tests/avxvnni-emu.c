/*
 * avxvnni-emu.c -- engine/kernels-avx2-tile.c's AVX-VNNI build with an
 * exact AVX2 stand-in for vpdpbusd (KERNELS_AVXVNNI_EMU), installed by
 * avxvnni_emu_tile_install() (tests only).  Compiled with the AVX2 flags
 * and nothing newer, so tests/test-quant checks the AVX-VNNI tiles' code
 * on any CPU with AVX2; where the CPU has AVX-VNNI, the "avxvnni" level
 * of test-quant runs the real instructions as well.
 */
#define KERNELS_AVXVNNI		1
#define KERNELS_AVXVNNI_EMU	1
#define AVX2T_INSTALL		avxvnni_emu_tile_install
#include "kernels-avx2-tile.c"
