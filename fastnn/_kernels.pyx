# cython: language_level=3
"""Thin Cython bindings over csrc/: typed memoryviews in, C calls under nogil out.

Shapes and dtypes are validated by the Python callers (fastnn.ops, the models) before
anything here runs; this module only unpacks buffers. One .pxi per kernel family.
"""

cdef extern from "fnn_common.h" nogil:
    int FNN_SIMD_GENERIC
    int FNN_SIMD_AVX2
    int fnn_simd_level()
    int fnn_simd_detect()
    int fnn_set_simd_level(int level)
    int fnn_openmp_enabled()
    int fnn_get_num_threads()
    void fnn_set_num_threads(int n)
    int fnn_num_threads_set()
    void fnn_set_max_threads(int n)
    void fnn_set_openmp_threads(int n)
    int fnn_threads_for(double work)
    int FNN_THR_DEFAULT
    int FNN_THR_CALIBRATED
    int FNN_THR_ENV
    int FNN_THR_SET
    ctypedef struct fnn_thread_info_t:
        double par_min_work
        double fork_join_us
        double unit_ns
        int source
        int num_threads
        int provisional
        long calibrations
    void fnn_thread_info(fnn_thread_info_t *info, int fresh)
    long fnn_calibrations()
    void fnn_set_par_min_work(double units)

ctypedef fused floating:
    float
    double

_SIMD_NAMES = {0: "generic", 1: "avx2+fma"}


def openmp_enabled():
    return bool(fnn_openmp_enabled())


def get_num_threads():
    return fnn_get_num_threads()


def set_num_threads(int n):
    """n >= 1: that many threads for every thread's kernels; 0: follow OpenMP's count."""
    fnn_set_num_threads(n)


def num_threads_set():
    """set_num_threads' count, 0 when following OpenMP's."""
    return fnn_num_threads_set()


def set_max_threads(int n):
    fnn_set_max_threads(n)


def set_openmp_threads(int n):
    """omp_set_num_threads(n) for the calling thread."""
    fnn_set_openmp_threads(n)


def threads_for(double work):
    """Threads a kernel with `work` units (multiply-adds) would use now."""
    return fnn_threads_for(work)


def calibrations():
    """Threshold measurements so far in this process, without measuring (0: no kernel
    has needed to ask yet)."""
    return fnn_calibrations()


cdef _thread_info_dict(int fresh):
    cdef fnn_thread_info_t info
    with nogil:   # may wait for, or run, a calibration (< 1 ms; ~30 ms on busy cores)
        fnn_thread_info(&info, fresh)
    sources = {FNN_THR_DEFAULT: "default", FNN_THR_CALIBRATED: "calibrated",
               FNN_THR_ENV: "env", FNN_THR_SET: "set"}
    return {
        "par_min_work": int(info.par_min_work),
        # None where nothing was measured (env override, one thread, no OpenMP)
        "fork_join_us": info.fork_join_us if info.fork_join_us > 0 else None,
        "unit_ns": info.unit_ns if info.unit_ns > 0 else None,
        "source": sources[info.source],
        "num_threads": info.num_threads,
        # measured while the cores were busy: kernels measure again 2 s later
        "provisional": bool(info.provisional),
        "calibrations": info.calibrations,   # measurements so far in this process
    }


def threading_info():
    """The threshold kernels use now to go parallel: par_min_work (a kernel takes the
    whole team from twice this many work units up, else runs serially), the fork/join time and serial time per unit it came from, its
    source ('calibrated', 'env': FASTNN_PAR_MIN_WORK, 'default': one thread or no
    OpenMP, 'set': set_par_min_work), the team size, and whether it is provisional
    (measured on busy cores; kernels measure again 2 s later) and the number of
    measurements so far. Calibrates first if needed."""
    return _thread_info_dict(0)


def calibrate_threads():
    """Measure again (fork/join and unit time, or read FASTNN_PAR_MIN_WORK again) for
    the current team size; other team sizes are measured again on their next use.
    Returns threading_info()."""
    return _thread_info_dict(1)


def set_par_min_work(double value):
    """Test hook: fix the threshold at `value` work units (1 forces every kernel with
    work >= 2 parallel, 2**32 - 1 or more every kernel below 2**33 serial); value <= 0
    goes back to FASTNN_PAR_MIN_WORK or the calibration."""
    fnn_set_par_min_work(value)


def simd_path():
    return _SIMD_NAMES[fnn_simd_level()]


def simd_best():
    return _SIMD_NAMES[fnn_simd_detect()]


def set_simd_path(str name):
    """Force 'generic' or 'avx2+fma' (tests); returns False if the CPU cannot."""
    level = {"generic": 0, "avx2+fma": 1, "avx2": 1}[name]
    return fnn_set_simd_level(level) == 0


include "_linalg.pxi"
include "_elementwise.pxi"
include "_train.pxi"
include "_batchnorm.pxi"
include "_bf16.pxi"
include "_fastops.pxi"
include "_layernorm.pxi"
include "_noise.pxi"
