/* fastnn common: SIMD dispatch, thread control, the one place for shared constants.
 *
 * Contracts used by every kernel family:
 *  - Matrices are row-major and C-contiguous unless a leading dimension is passed.
 *  - Every kernel exists as _f32 and _f64; one source (a .inc template) serves both.
 *  - Kernels never allocate Python objects and never read outside the extents given.
 *  - Results do not depend on the thread count: work is split over output elements or
 *    fixed-size blocks, and any reduction sums partials in a fixed order.
 */
#ifndef FNN_COMMON_H
#define FNN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define FNN_X86_DISPATCH 1
/* Functions compiled for AVX2+FMA without -march for the whole file. */
#define FNN_TARGET_AVX2 __attribute__((target("avx2,fma")))
/* AVX2 without FMA: the compiler cannot contract a*b+c, so a vectorised loop rounds
 * exactly like the plain one (element-wise kernels stay bitwise equal across paths). */
#define FNN_TARGET_AVX2_NOFMA __attribute__((target("avx2")))
#else
#define FNN_X86_DISPATCH 0
#define FNN_TARGET_AVX2
#define FNN_TARGET_AVX2_NOFMA
#endif

/* A generic loop body inlined into both an AVX2 and a plain wrapper. */
#if defined(__GNUC__) || defined(__clang__)
#define FNN_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define FNN_ALWAYS_INLINE __forceinline
#else
#define FNN_ALWAYS_INLINE inline
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

enum { FNN_SIMD_GENERIC = 0, FNN_SIMD_AVX2 = 1 };

/* SIMD path the kernels take now (FNN_SIMD_*). */
int fnn_simd_level(void);
/* Best path this CPU supports. */
int fnn_simd_detect(void);
/* Force a path (tests use it to exercise the generic code on AVX2 machines).
 * Returns 0 on success, -1 if the CPU cannot run `level`. */
int fnn_set_simd_level(int level);

int fnn_openmp_enabled(void);
int fnn_get_num_threads(void);
void fnn_set_num_threads(int n);

/* Below this many multiply-adds (or element operations) a parallel region costs more
 * than it saves on the machines we measured; kernels then stay serial. */
#define FNN_PAR_MIN_WORK 65536.0

/* Number of threads worth using for `work` units (>=1, <= fnn_get_num_threads()). */
int fnn_threads_for(double work);

/* for (i = 0; i < n; i++) BODY, over nt OpenMP threads when nt > 1, else as a plain loop:
 * even a team of one costs ~0.4 us in libgomp, more than many small kernels take. */
#define FNN_PAR_FOR(nt, i, n, ...)                                                 \
    do {                                                                           \
        if ((nt) > 1) {                                                            \
            _Pragma("omp parallel for num_threads(nt) schedule(static)")          \
            for (ptrdiff_t i = 0; i < (ptrdiff_t)(n); i++) { __VA_ARGS__ }          \
        } else {                                                                   \
            for (ptrdiff_t i = 0; i < (ptrdiff_t)(n); i++) { __VA_ARGS__ }          \
        }                                                                          \
    } while (0)

#endif
