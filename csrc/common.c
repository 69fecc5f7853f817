/* SIMD dispatch state, thread count and the calibrated threshold for going parallel:
 * the only global state of the kernels. */
#if !defined(_POSIX_C_SOURCE) && !defined(_WIN32)
#define _POSIX_C_SOURCE 200112L   /* clock_gettime under a strict -std=c99 */
#endif
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include "fnn_common.h"
#include "gemm.h"
#if defined(__unix__) || defined(__APPLE__)
#include <sched.h>
#define FNN_YIELD() sched_yield()
#else
#define FNN_YIELD() ((void)0)
#endif

double fnn_wtime(void)
{
#ifdef _OPENMP
    return omp_get_wtime();
#else
    struct timespec ts;
#if defined(_WIN32)
    timespec_get(&ts, TIME_UTC);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
}

static int g_simd = -1;      /* -1: not yet detected */
static int g_threads_set = 0;   /* fnn_set_num_threads' count; 0: follow OpenMP */
static int g_threads_seen = 0;  /* the count fnn_serial_below was settled for */
static int g_threads_max = 0;   /* fnn_set_max_threads' limit; 0: none */

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
    fnn_serial_below = 0.0;
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
    int n = g_threads_set;
    if (n > 0) return n;
#ifdef _OPENMP
    /* The calling thread's nthreads-var: OMP_NUM_THREADS at start-up, then whatever
     * omp_set_num_threads made it (threadpoolctl's threadpool_limits calls that). */
    n = omp_get_max_threads();
#else
    n = 1;
#endif
    if (n < 1) n = 1;
    if (g_threads_max > 0 && n > g_threads_max) n = g_threads_max;
    if (n != g_threads_seen) {   /* changed under us: the fast path's bound is stale */
        g_threads_seen = n;
        fnn_serial_below = 0.0;
    }
    return n;
}

/* The threshold is kept per team size (and SIMD path), so this is all a new count needs:
 * fnn_threads_for() looks up the threshold of the new size, measured on its first use. */
static FNN_THREAD_LOCAL int g_thread_cap;

void fnn_set_thread_cap(int cap)
{
    g_thread_cap = cap < 0 ? 0 : cap;
}

void fnn_set_num_threads(int n)
{
    fnn_serial_below = 0.0;
#ifdef _OPENMP
    g_threads_set = n < 0 ? 0 : n;
#else
    (void)n;
    g_threads_set = 1;
#endif
}

int fnn_num_threads_set(void)
{
    return g_threads_set;
}

void fnn_set_openmp_threads(int n)
{
#ifdef _OPENMP
    if (n >= 1) omp_set_num_threads(n);
#else
    (void)n;
#endif
}

void fnn_set_max_threads(int n)
{
    fnn_serial_below = 0.0;
    g_threads_max = n < 0 ? 0 : n;
}

/* ------------------------------------------------------------ the parallel threshold
 *
 * Decided once per (team size, SIMD path): a slot of the arrays below, so that switching
 * thread counts or paths back and forth (as the tests do) does not measure again. Two
 * Python threads may run kernels at once (the GIL is released around them), so the
 * state is shared:
 *  - g_decision[slot]: the threshold, published in a single 64-bit word:
 *    par_min_work << 32 | key << 1 | provisional; 0 means none. Kernels read only this
 *    word (and g_recheck_us[slot] for a provisional one). Teams of SLOT_TEAMS threads
 *    or more share one slot; the key tells whose threshold is in it.
 *  - a decision is provisional when the cores were busy during the measurement (see
 *    fork_join_seconds): right then threads do not pay, but the load may pass, so it
 *    is measured again at the first kernel call after g_recheck_us (RECHECK_S later).
 *  - g_busy: 1 while one thread decides (measures). Meanwhile every kernel in every
 *    thread runs serially, so the measurement's own GEMM is serial and no thread waits.
 *  - g_info[slot]: what was measured, for fnn_thread_info(); touched only by the
 *    g_busy owner.
 *  - g_forced: the test hook's threshold (0: none).
 */
#define SLOT_TEAMS 32
#define SLOTS (2 * SLOT_TEAMS)
static uint64_t g_decision[SLOTS];
#ifdef _OPENMP
static uint64_t g_recheck_us[SLOTS];   /* omp_get_wtime() in microseconds */
#endif
static fnn_thread_info_t g_info[SLOTS];
static int g_busy = 0;
static uint32_t g_forced = 0;
static long g_calibrations = 0;   /* touched only by the g_busy owner */

#define PAR_MIN_WORK_MAX 4294967295.0   /* fits the 32 bits of g_decision */
/* Busy cores make a remeasurement cost up to ~4 time slices (~16-32 ms): <= ~1.6%. */
#define RECHECK_S 2.0

#if defined(__GNUC__) || defined(__clang__)
static uint64_t load_u64(uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static uint32_t load_u32(uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static int is_busy(void) { return __atomic_load_n(&g_busy, __ATOMIC_ACQUIRE); }
static void unlock_busy(void) { __atomic_store_n(&g_busy, 0, __ATOMIC_RELEASE); }
static int try_lock_busy(void)
{
    int expect = 0;
    return __atomic_compare_exchange_n(&g_busy, &expect, 1, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}
#else   /* other compilers (MSVC): a named critical section around each access */
static uint64_t load_u64(uint64_t *p)
{
    uint64_t v;
#pragma omp critical(fnn_thr)
    v = *p;
    return v;
}
static void store_u64(uint64_t *p, uint64_t v)
{
#pragma omp critical(fnn_thr)
    *p = v;
}
static uint32_t load_u32(uint32_t *p)
{
    uint32_t v;
#pragma omp critical(fnn_thr)
    v = *p;
    return v;
}
static void store_u32(uint32_t *p, uint32_t v)
{
#pragma omp critical(fnn_thr)
    *p = v;
}
static int is_busy(void)
{
    int v;
#pragma omp critical(fnn_thr)
    v = g_busy;
    return v;
}
static void unlock_busy(void)
{
#pragma omp critical(fnn_thr)
    g_busy = 0;
}
static int try_lock_busy(void)
{
    int won = 0;
#pragma omp critical(fnn_thr)
    {
        if (!g_busy) { g_busy = 1; won = 1; }
    }
    return won;
}
#endif

/* A decision is valid for one team size and one SIMD path (the unit time differs). */
static uint32_t decision_key(int nt, int simd)
{
    return ((uint32_t)nt * 2u + (uint32_t)simd) & 0x7fffffffu;   /* 31 bits: see above */
}

static int slot_of(int nt, int simd) { return (nt < SLOT_TEAMS ? nt : 0) * 2 + simd; }

/* Must the threshold in `slot` be decided (again) before kernels at nt threads use it? */
static int stale(uint64_t d, int slot, int nt, int simd)
{
    if (((uint32_t)d >> 1) != decision_key(nt, simd)) return 1;
#ifdef _OPENMP
    if ((d & 1) && omp_get_wtime() * 1e6 >= (double)load_u64(&g_recheck_us[slot])) return 1;
#else
    (void)slot;
#endif
    return 0;
}

/* FASTNN_PAR_MIN_WORK=<units>, or 0 when unset or invalid (not a number, < 1, too big). */
static double env_par_min_work(void)
{
    const char *s = getenv("FASTNN_PAR_MIN_WORK");
    char *end;
    double v;
    if (!s || !*s) return 0.0;
    v = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n') end++;
    if (end == s || *end || !(v >= 1.0 && v <= PAR_MIN_WORK_MAX)) return 0.0;
    return (double)(uint32_t)v;
}

/* env_par_min_work() read once (until fnn_thread_info(fresh) reads it again): the
 * undecided small kernels ask it on every call. -1: not read yet. Threads racing here
 * store the same value. */
static double g_env_cache = -1.0;
static double env_cached(void)
{
    if (g_env_cache < 0.0) g_env_cache = env_par_min_work();
    return g_env_cache;
}

long fnn_calibrations(void)
{
    return g_calibrations;
}

#ifdef _OPENMP
static int g_sink[64];

static void sort_doubles(double *a, int n)
{
    for (int i = 1; i < n; i++) {
        double v = a[i];
        int j = i - 1;
        for (; j >= 0 && a[j] > v; j--) a[j + 1] = a[j];
        a[j + 1] = v;
    }
}

/* Median wall time of a parallel region that does (almost) nothing, shaped like the
 * kernels' (`parallel for schedule(static)` over nt chunks), over up to REPS regions
 * within a ~1 ms budget: the cost of back-to-back kernels, as in a training loop.
 * Warm-up regions first, until one is quick: the first creates the threads, and libgomp
 * parks workers that have been idle for a while; on busy cores a new or parked thread
 * can wait a scheduler time slice (4-8 ms, two regions in a row, measured here) before
 * it runs, a cost paid after an idle gap, not per region. If the regions stay slow
 * (>= CONTENDED_S: threads wait for a core) that is the cost kernels would pay right now
 * too; the result is then marked `contended` (the caller measures again later). */
#define CONTENDED_S 250e-6
static double fork_join_seconds(int nt, int *contended)
{
    enum { WARM_MAX = 4, REPS = 41 };
    const double budget = 1e-3;
    double t[REPS], dt = 0.0, start, med;
    int n = 0;
    for (int r = 0; r < WARM_MAX; r++) {
        double t0 = omp_get_wtime();
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int i = 0; i < nt; i++) g_sink[i & 63] = i;
        dt = omp_get_wtime() - t0;
        if (dt < CONTENDED_S) break;
    }
    if (dt >= CONTENDED_S) {
        *contended = 1;
        return dt;
    }
    start = omp_get_wtime();
    while (n < REPS && (n == 0 || omp_get_wtime() - start < budget)) {
        double t0 = omp_get_wtime();
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int i = 0; i < nt; i++) g_sink[i & 63] = i;
        t[n++] = omp_get_wtime() - t0;
    }
    sort_doubles(t, n);
    med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    *contended = med >= CONTENDED_S;
    return med;
}

/* Serial seconds per multiply-add: best of a few 64x64x64 float32 GEMMs (the unit every
 * kernel expresses its work in). Serial because g_busy is held meanwhile. */
static double unit_seconds(void)
{
    enum { D = 64, RUNS = 5 };
    float *buf = (float *)malloc(3 * D * D * sizeof(float));
    double best = 1e30;
    if (!buf) return 0.0;
    for (int i = 0; i < 2 * D * D; i++) buf[i] = (float)(i % 7 - 3) * 0.125f;
    for (int r = 0; r < RUNS; r++) {
        double t0 = omp_get_wtime(), dt;
        fnn_gemm_f32(0, 0, D, D, D, 1.0f, buf, D, buf + D * D, D, 0.0f, buf + 2 * D * D, D);
        dt = omp_get_wtime() - t0;
        if (dt < best) best = dt;
    }
    free(buf);
    return best / ((double)D * D * D);
}
#endif

/* Decide the threshold for (nt, simd) into its slot; the caller holds g_busy. */
static void decide(int slot, int nt, int simd)
{
    fnn_thread_info_t info;
    double env = env_par_min_work();
    info.par_min_work = FNN_PAR_MIN_WORK_DEFAULT;
    info.fork_join_us = 0.0;
    info.unit_ns = 0.0;
    info.source = FNN_THR_DEFAULT;
    info.num_threads = nt;
    info.provisional = 0;
    if (env > 0.0) {
        info.par_min_work = env;
        info.source = FNN_THR_ENV;
    }
#ifdef _OPENMP
    else if (nt > 1) {
        int contended;
        double fj = fork_join_seconds(nt, &contended), unit = unit_seconds();
        if (fj > 0.0 && unit > 0.0) {   /* else the timer failed us: keep the default */
            double pmw = 2.0 * fj / unit;
            if (pmw < FNN_PAR_MIN_WORK_LO) pmw = FNN_PAR_MIN_WORK_LO;
            if (pmw > FNN_PAR_MIN_WORK_HI) pmw = FNN_PAR_MIN_WORK_HI;
            info.par_min_work = (double)(uint32_t)pmw;
            info.fork_join_us = fj * 1e6;
            info.unit_ns = unit * 1e9;
            info.source = FNN_THR_CALIBRATED;
            info.provisional = contended;
            g_calibrations++;
            store_u64(&g_recheck_us[slot], (uint64_t)((omp_get_wtime() + RECHECK_S) * 1e6));
        }
    }
#endif
    g_info[slot] = info;
    fnn_serial_below = 0.0;   /* settled again by the next fnn_threads_for_slow */
    store_u64(&g_decision[slot], (uint64_t)(uint32_t)info.par_min_work << 32
                                     | (uint64_t)(decision_key(nt, simd) << 1
                                                  | (uint32_t)info.provisional));
}

double fnn_serial_below = 0.0;

int fnn_threads_for_slow(double work)
{
    const int nt_all = fnn_get_num_threads();
    int nt = nt_all, simd = 0, slot = 0;
    double pmw;
    uint64_t d = 0;
    if (nt_all <= 1) {
        /* Settled for good only when the count cannot change behind fastnn's back;
         * following OpenMP, each call asks again (a few ns), so that a count raised by
         * omp_set_num_threads is seen. */
        if (g_threads_set > 0) fnn_serial_below = INFINITY;
        return 1;
    }
    if (g_thread_cap > 0 && nt > g_thread_cap) nt = g_thread_cap;
    if (nt <= 1 || !(work >= 2.0)) return 1;
    pmw = (double)load_u32(&g_forced);
    if (pmw == 0.0) {
        simd = fnn_simd_level();
        slot = slot_of(nt, simd);
        d = load_u64(&g_decision[slot]);
        if (!stale(d, slot, nt, simd)) pmw = (double)(uint32_t)(d >> 32);
    }
    /* Undecided and below any threshold a measurement could give: serial, unmeasured
     * (unless FASTNN_PAR_MIN_WORK asks for a lower one). */
    if (pmw == 0.0 && work < 2.0 * FNN_PAR_MIN_WORK_LO && env_cached() == 0.0) {
        fnn_serial_below = 2.0 * FNN_PAR_MIN_WORK_LO;   /* true for any later decision */
        return 1;
    }
    /* A threshold for the whole team that will not be measured again answers the small
     * kernels from now on in fnn_threads_for itself (the seed's ask ~20 times a step). */
    if (pmw > 0.0 && nt == nt_all && !(d & 1)) fnn_serial_below = 2.0 * pmw;
    /* Below twice a decided threshold: serial, without a call into the OpenMP runtime. */
    if (pmw > 0.0 && work < 2.0 * pmw) return 1;
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;   /* nested regions would run with one thread anyway */
#endif
    if (is_busy()) return 1;           /* a calibration is timing: stay out of its way */
    if (pmw == 0.0) {                  /* not decided yet, or due for a recheck */
        if (!try_lock_busy()) return 1;
        d = load_u64(&g_decision[slot]);   /* another thread may have just decided */
        if (stale(d, slot, nt, simd)) {
            decide(slot, nt, simd);
            d = load_u64(&g_decision[slot]);
        }
        unlock_busy();
        pmw = (double)(uint32_t)(d >> 32);
    }
    return work < 2.0 * pmw ? 1 : nt;
}

void fnn_thread_info(fnn_thread_info_t *info, int fresh)
{
    int nt = fnn_get_num_threads(), simd = fnn_simd_level(), slot = slot_of(nt, simd);
    uint32_t forced;
    while (!try_lock_busy())   /* another thread is calibrating: leave it the cores */
        FNN_YIELD();
    if (fresh) {  /* every other (team size, path) is measured again on its next use too */
        for (int i = 0; i < SLOTS; i++) store_u64(&g_decision[i], 0);
        fnn_serial_below = 0.0;
        g_env_cache = -1.0;
    }
    if (stale(load_u64(&g_decision[slot]), slot, nt, simd)) decide(slot, nt, simd);
    *info = g_info[slot];
    info->calibrations = g_calibrations;
    forced = load_u32(&g_forced);
    if (forced) {
        info->par_min_work = (double)forced;
        info->source = FNN_THR_SET;
    }
    unlock_busy();
}

void fnn_set_par_min_work(double units)
{
    uint32_t v = 0;
    if (units > 0.0) v = units >= PAR_MIN_WORK_MAX ? (uint32_t)PAR_MIN_WORK_MAX
                       : units < 1.0 ? 1u : (uint32_t)units;
    store_u32(&g_forced, v);
    fnn_serial_below = 0.0;
}
