/*
 * kernels-avx2.c -- AVX2 + FMA + F16C kernels (compiled with those target
 * flags only; cpu.c calls avx2_install() only when CPUID says so).
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"
#include "kernels.h"

void
avx2_install(void)
{
}
