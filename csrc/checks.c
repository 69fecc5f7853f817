/* Whole-array checks (contract in checks.h). */
#include <string.h>
#include "checks.h"

/* A value is finite unless its exponent bits are all ones. The OR of "exponent all ones"
 * over a chunk is an integer reduction the compiler vectorises (a float comparison
 * reduction it would not, without -ffast-math). Chunks let a thread stop early. */
#define FNN_CHECK_CHUNK 65536

#define FNN_FINITE_CHUNK(NAME, T, U, EXP_MASK)                                   \
    static int NAME(const T *x, size_t n)                                        \
    {                                                                            \
        U bad = 0;                                                               \
        for (size_t i = 0; i < n; i++) {                                         \
            U u;                                                                 \
            memcpy(&u, &x[i], sizeof u);                                         \
            bad |= (U)((u & EXP_MASK) == EXP_MASK);                              \
        }                                                                        \
        return bad == 0;                                                         \
    }

FNN_FINITE_CHUNK(finite_chunk_f32, float, uint32_t, (uint32_t)0x7f800000u)
FNN_FINITE_CHUNK(finite_chunk_f64, double, uint64_t, (uint64_t)0x7ff0000000000000ull)

#define FNN_ALL_FINITE(NAME, CHUNK, T)                                           \
    int NAME(size_t n, const T *x)                                               \
    {                                                                            \
        const size_t nchunks = (n + FNN_CHECK_CHUNK - 1) / FNN_CHECK_CHUNK;      \
        const int nt = fnn_threads_for((double)n);                               \
        int ok = 1;                                                              \
        if (nt <= 1 || nchunks <= 1) {                                           \
            for (size_t c = 0; c < nchunks && ok; c++) {                         \
                const size_t i0 = c * FNN_CHECK_CHUNK;                           \
                ok = CHUNK(x + i0, n - i0 < FNN_CHECK_CHUNK ? n - i0 : FNN_CHECK_CHUNK); \
            }                                                                    \
            return ok;                                                           \
        }                                                                        \
        _Pragma("omp parallel for num_threads(nt) schedule(static) reduction(&&:ok)") \
        for (long c = 0; c < (long)nchunks; c++) {                               \
            const size_t i0 = (size_t)c * FNN_CHECK_CHUNK;                       \
            if (ok)                                                              \
                ok = CHUNK(x + i0, n - i0 < FNN_CHECK_CHUNK ? n - i0 : FNN_CHECK_CHUNK); \
        }                                                                        \
        return ok;                                                               \
    }

FNN_ALL_FINITE(fnn_all_finite_f32, finite_chunk_f32, float)
FNN_ALL_FINITE(fnn_all_finite_f64, finite_chunk_f64, double)
