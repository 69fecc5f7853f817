/* SIMD dispatch state and thread count: the only global state of the kernels. */
#include <stdlib.h>
#include "fnn_common.h"

static int g_simd = -1;      /* -1: not yet detected */
static int g_threads = 0;    /* 0: not yet initialised */

int fnn_simd_detect(void)
{
#if FNN_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return FNN_SIMD_AVX2;
#endif
    return FNN_SIMD_GENERIC;
}

int fnn_simd_level(void)
{
    if (g_simd < 0) {
        const char *env = getenv("FASTNN_SIMD");
        g_simd = fnn_simd_detect();
        if (env && (env[0] == 'g' || env[0] == 'G'))   /* FASTNN_SIMD=generic */
            g_simd = FNN_SIMD_GENERIC;
    }
    return g_simd;
}

int fnn_set_simd_level(int level)
{
    if (level == FNN_SIMD_GENERIC) { g_simd = level; return 0; }
    if (level == FNN_SIMD_AVX2 && fnn_simd_detect() == FNN_SIMD_AVX2) { g_simd = level; return 0; }
    return -1;
}

int fnn_openmp_enabled(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int fnn_get_num_threads(void)
{
    if (g_threads <= 0) {
#ifdef _OPENMP
        g_threads = omp_get_max_threads();   /* follows OMP_NUM_THREADS */
#else
        g_threads = 1;
#endif
        if (g_threads < 1) g_threads = 1;
    }
    return g_threads;
}

void fnn_set_num_threads(int n)
{
#ifdef _OPENMP
    g_threads = n < 1 ? 1 : n;
#else
    (void)n;
    g_threads = 1;
#endif
}

int fnn_threads_for(double work)
{
    int nt = fnn_get_num_threads();
    if (nt <= 1 || work < FNN_PAR_MIN_WORK) return 1;
    double useful = work / FNN_PAR_MIN_WORK;
    if (useful < nt) nt = (int)useful;
    return nt < 1 ? 1 : nt;
}
