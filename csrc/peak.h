/* The machine's float32 FMA peak: the yardstick bench/ measures GEMM efficiency by. */
#ifndef FNN_PEAK_H
#define FNN_PEAK_H

enum { FNN_PEAK_AVX2 = 8, FNN_PEAK_AVX512 = 16 };   /* float32 lanes of the registers */

/* GFLOP/s (2 per multiply-add) of `nt` threads each running independent FMA chains in
 * registers of `lanes` floats (FNN_PEAK_*) for about `seconds`; 0 where this build or
 * CPU lacks those instructions. */
double fnn_fma_peak_gflops(int nt, int lanes, double seconds);

#endif
