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
    int fnn_threads_for(double work)

ctypedef fused floating:
    float
    double

_SIMD_NAMES = {0: "generic", 1: "avx2+fma"}


def openmp_enabled():
    return bool(fnn_openmp_enabled())


def get_num_threads():
    return fnn_get_num_threads()


def set_num_threads(int n):
    fnn_set_num_threads(n)


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
