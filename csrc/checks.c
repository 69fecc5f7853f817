/* Whole-array checks (contract in checks.h). */
#include <string.h>
#include "checks.h"

/* A value is finite unless its exponent bits are all ones. The OR of "exponent all ones"
 * over a chunk is an integer reduction the compiler vectorises (a float comparison
 * reduction it would not, without -ffast-math). Chunks let a thread stop early. */
#define FNN_CHECK_CHUNK 65536

/* One chunk's check, per type: T read as the same-size integer U, EXP its exponent bits. */
#define FINITE_CHUNK(name, T, U, EXP)                                            \
    static int name(const void *p, size_t n)                                     \
    {                                                                            \
        const T *x = (const T *)p;                                               \
        U bad = 0;                                                               \
        for (size_t i = 0; i < n; i++) {                                         \
            U u;                                                                 \
            memcpy(&u, &x[i], sizeof u);                                         \
            bad |= (U)((u & (EXP)) == (EXP));                                    \
        }                                                                        \
        return bad == 0;                                                         \
    }
FINITE_CHUNK(finite_chunk_f32, float, uint32_t, 0x7f800000u)
FINITE_CHUNK(finite_chunk_f64, double, uint64_t, 0x7ff0000000000000ull)
#undef FINITE_CHUNK

/* n values of `elem` bytes at x, in chunks over the threads the size is worth. */
static int all_finite(size_t n, const char *x, size_t elem, int (*chunk_ok)(const void *, size_t))
{
    const size_t nchunks = (n + FNN_CHECK_CHUNK - 1) / FNN_CHECK_CHUNK;
    /* float32 values count one unit each, float64 two (as FNN_WORK) */
    const int nt = nchunks > 1 ? fnn_threads_for((double)n * (double)(elem / sizeof(float))) : 1;
    int ok = 1;
    if (nt <= 1) {
        for (size_t c = 0; c < nchunks && ok; c++) {
            const size_t i0 = c * FNN_CHECK_CHUNK;
            ok = chunk_ok(x + i0 * elem, n - i0 < FNN_CHECK_CHUNK ? n - i0 : FNN_CHECK_CHUNK);
        }
        return ok;
    }
#pragma omp parallel for num_threads(nt) schedule(static) reduction(&&:ok)
    for (long c = 0; c < (long)nchunks; c++) {
        const size_t i0 = (size_t)c * FNN_CHECK_CHUNK;
        if (ok)
            ok = chunk_ok(x + i0 * elem, n - i0 < FNN_CHECK_CHUNK ? n - i0 : FNN_CHECK_CHUNK);
    }
    return ok;
}

int fnn_all_finite_f32(size_t n, const float *x)
{
    return all_finite(n, (const char *)x, sizeof *x, finite_chunk_f32);
}

int fnn_all_finite_f64(size_t n, const double *x)
{
    return all_finite(n, (const char *)x, sizeof *x, finite_chunk_f64);
}
