/* Float32 FMA peak: each thread runs FNN_PEAK_CHAINS independent chains acc = acc*a + b
 * in registers, more chains than FMA latency x FMA ports on current x86 cores (4 x 2),
 * so the ports never wait; the region's wall time over every thread's operations. */
#include "fnn_common.h"
#include "peak.h"
#include "gemm.h"

#define FNN_PEAK_CHAINS 12
#define FNN_PEAK_CHUNK 20000L   /* iterations between clock reads (~0.1 ms) */

#if FNN_X86_DISPATCH
#include <immintrin.h>

static volatile float g_peak_sink;   /* keeps the chains from being optimised away */

/* Iterations run until `deadline` (each one FNN_PEAK_CHAINS FMAs of 8 floats). */
FNN_TARGET_AVX2 static long chains_avx2(double deadline)
{
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-3f);
    __m256 acc[FNN_PEAK_CHAINS];
    long n = 0;
    for (int i = 0; i < FNN_PEAK_CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    do {
        for (long r = 0; r < FNN_PEAK_CHUNK; r++)
            for (int i = 0; i < FNN_PEAK_CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
        n += FNN_PEAK_CHUNK;
    } while (fnn_wtime() < deadline);
    for (int i = 1; i < FNN_PEAK_CHAINS; i++) acc[0] = _mm256_add_ps(acc[0], acc[i]);
    g_peak_sink = _mm256_cvtss_f32(acc[0]);
    return n;
}

FNN_TARGET_AVX512 static long chains_avx512(double deadline)
{
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-3f);
    __m512 acc[FNN_PEAK_CHAINS];
    long n = 0;
    for (int i = 0; i < FNN_PEAK_CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    do {
        for (long r = 0; r < FNN_PEAK_CHUNK; r++)
            for (int i = 0; i < FNN_PEAK_CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        n += FNN_PEAK_CHUNK;
    } while (fnn_wtime() < deadline);
    for (int i = 1; i < FNN_PEAK_CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    g_peak_sink = _mm512_reduce_add_ps(acc[0]);
    return n;
}

static int supported(int lanes)
{
    if (lanes == FNN_PEAK_AVX512) return fnn_gemm_avx512_supported();
    return lanes == FNN_PEAK_AVX2 && fnn_simd_detect() == FNN_SIMD_AVX2;
}

double fnn_fma_peak_gflops(int nt, int lanes, double seconds)
{
    long total = 0;
    double t0, t1;
    if (nt < 1 || seconds <= 0.0 || !supported(lanes)) return 0.0;
    t0 = fnn_wtime();
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+:total)
#endif
    {
        const double deadline = fnn_wtime() + seconds;
        total += lanes == FNN_PEAK_AVX512 ? chains_avx512(deadline) : chains_avx2(deadline);
    }
    t1 = fnn_wtime();
    return 2.0 * FNN_PEAK_CHAINS * (double)lanes * (double)total / (t1 - t0) * 1e-9;
}

#else

double fnn_fma_peak_gflops(int nt, int lanes, double seconds)
{
    (void)nt; (void)lanes; (void)seconds;
    return 0.0;
}

#endif
