/* What the C timing harnesses in bench/ share: a monotonic clock, and operands filled
 * with values in [-0.5, 0.5) that repeat only every 1000 (no denormals, no zeros to skip). */
#ifndef FNN_BENCH_C_TIMING_H
#define FNN_BENCH_C_TIMING_H
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *filled(size_t n)
{
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    return p;
}
#endif
