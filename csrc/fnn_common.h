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
/* The packed GEMM's AVX-512 micro-kernel (gemm_avx512.inc). */
#define FNN_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define FNN_X86_DISPATCH 0
#define FNN_TARGET_AVX2
#define FNN_TARGET_AVX2_NOFMA
#define FNN_TARGET_AVX512
#endif

/* Denormals flushed to zero (FTZ and DAZ) for one scope of this thread, the previous
 * mode restored at its end: TensorFlow runs every kernel so, and an optimizer's moments
 * of a weight whose gradient stays 0 (a dead ReLU unit) decay into the denormal range,
 * where each operation takes a slow microcoded path (measured: Adam 3.4x slower over
 * denormal moments on AMD Zen 4). x86 only: elsewhere the scope does nothing. */
#if FNN_X86_DISPATCH
#include <xmmintrin.h>
#define FNN_FLUSH_BEGIN const unsigned fnn_csr_ = _mm_getcsr(); _mm_setcsr(fnn_csr_ | 0x8040u)
#define FNN_FLUSH_END _mm_setcsr(fnn_csr_)
#else
#define FNN_FLUSH_BEGIN do { } while (0)
#define FNN_FLUSH_END do { } while (0)
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

/* This thread's number and its team's size inside a parallel region (0 and 1 without
 * OpenMP). */
#ifdef _OPENMP
#define FNN_TID() omp_get_thread_num()
#define FNN_TEAM() omp_get_num_threads()
#else
#define FNN_TID() 0
#define FNN_TEAM() 1
#endif

/* Thread-local storage (per calling thread: packing buffers, the thread cap). */
#if defined(_MSC_VER)
#define FNN_THREAD_LOCAL __declspec(thread)
#elif defined(__GNUC__) || defined(__clang__)
#define FNN_THREAD_LOCAL __thread
#else
#define FNN_THREAD_LOCAL _Thread_local
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
/* Wall-clock seconds from an arbitrary origin (omp_get_wtime, or a monotonic clock). */
double fnn_wtime(void);
/* The team size the kernels use now (>= 1): fnn_set_num_threads' count when one is set,
 * else the calling thread's OpenMP count (omp_get_max_threads: OMP_NUM_THREADS, or what
 * omp_set_num_threads / threadpoolctl made it), at most fnn_set_max_threads' limit. */
int fnn_get_num_threads(void);
/* Sets the team size (>= 1) for every thread, over OpenMP's count; 0 follows OpenMP's
 * count again. Each size has its own threshold, measured on first use. */
void fnn_set_num_threads(int n);
/* fnn_set_num_threads' count (0: following OpenMP's). */
int fnn_num_threads_set(void);
/* omp_set_num_threads(n) for the calling thread (n >= 1; nothing without OpenMP). */
void fnn_set_openmp_threads(int n);
/* At most `n` threads when following OpenMP's count (0: no limit). */
void fnn_set_max_threads(int n);
/* At most `cap` threads for the kernels this thread launches (0: no cap). The fused
 * engine caps itself at the team size it found fastest for its steps (train.h, fnn_adapt). */
void fnn_set_thread_cap(int cap);

/* ----------------------------------------------------------------- when to fork
 * Every kernel states its work in units of one float32 multiply-add (element-wise kernels
 * weight each element by a rough cost in such units; float64 counts twice, FNN_WORK) and
 * asks fnn_threads_for(work) how many threads to use:
 *     threads = 1 below 2 * par_min_work, else the whole team (num_threads), with
 *     par_min_work = 2 * fork_join(num_threads) / unit_time
 * measured at run time (common.c) for the team size and SIMD path in use: fork_join from
 * empty parallel regions, unit_time from a small serial float32 GEMM. The predicted
 * saving, work * unit_time * (1 - 1/num_threads) >= par_min_work * unit_time, is then at
 * least twice the fork/join cost. Never a part of the team: libgomp retires the threads
 * a smaller team leaves out and creates them again for the next larger one, and a
 * training step that mixed team sizes paid that on every step (W3 on 16 cores: a 2.2 ms
 * step took 1.05 ms once every region had the whole team). A kernel with fewer pieces than threads leaves the rest idle in its
 * region rather than asking for a smaller team. par_min_work is clamped to
 * [FNN_PAR_MIN_WORK_LO, FNN_PAR_MIN_WORK_HI] so that a noisy measurement can make
 * neither everything serial nor everything parallel. Work below 2 * LO is serial on any
 * machine, so it is answered without measuring: a process whose kernels are all that
 * small (the seed's networks) never starts the threads. LO: 32768 multiply-adds take
 * ~0.5 us on one AVX2 core, and halving that saves no more than a fork/join costs
 * (0.5-0.8 us measured here; ~60,000 units is the measured threshold). FASTNN_PAR_MIN_WORK=<units>
 * (1 .. 2^32-1) in the environment fixes it instead, with no measurement; an invalid
 * value is ignored. Results never depend on it (see the contracts above). */
#define FNN_PAR_MIN_WORK_DEFAULT 65536.0   /* without OpenMP, or at one thread */
#define FNN_PAR_MIN_WORK_LO 32768.0
#define FNN_PAR_MIN_WORK_HI 16777216.0

enum { FNN_THR_DEFAULT = 0, FNN_THR_CALIBRATED = 1, FNN_THR_ENV = 2, FNN_THR_SET = 3 };

typedef struct {
    double par_min_work;  /* the threshold in work units */
    double fork_join_us;  /* median empty parallel region, num_threads (0: not measured) */
    double unit_ns;       /* serial time of one work unit (0: not measured) */
    int source;           /* FNN_THR_* */
    int num_threads;      /* team size it was decided for */
    int provisional;      /* measured on busy cores: measured again a little later */
    long calibrations;    /* measurements made so far in this process (all team sizes) */
} fnn_thread_info_t;

/* A kernel's work in those units for n float32-equivalent operations on elements of
 * type T: a float64 operation counts twice (half the SIMD lanes, twice the bytes), the
 * unit being measured with float32. */
#define FNN_WORK(T, n) ((double)(n) * (double)(sizeof(T) / sizeof(float)))

/* Number of threads worth using for `work` units (>=1, <= fnn_get_num_threads()).
 * Calibrates on first use at a new team size or SIMD path; inside a parallel region,
 * or while a calibration runs (in any thread), answers 1. Inline for the common answer:
 * fnn_serial_below is twice the threshold in force once it is settled (infinite at one
 * thread, 0 while unknown; the setters above reset it). */
extern double fnn_serial_below;
int fnn_threads_for_slow(double work);
static inline int fnn_threads_for(double work)
{
    return work < fnn_serial_below ? 1 : fnn_threads_for_slow(work);
}
/* Measurements made so far in this process (none: the threads were never needed). */
long fnn_calibrations(void);
/* The threshold in force now (calibrating first if needed); `fresh` remeasures. */
void fnn_thread_info(fnn_thread_info_t *info, int fresh);
/* Test hook: every kernel uses `units` as par_min_work; units <= 0 goes back to the
 * environment override or the calibration. */
void fnn_set_par_min_work(double units);

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

/* a * b, or SIZE_MAX when it overflows (every later sum with it then overflows too). */
static inline size_t fnn_mul(size_t a, size_t b)
{
    return (a != 0 && b > SIZE_MAX / a) ? SIZE_MAX : a * b;
}

/* a + b, saturating at SIZE_MAX. */
static inline size_t fnn_add(size_t a, size_t b)
{
    return b > SIZE_MAX - a ? SIZE_MAX : a + b;
}

#endif
