# bfloat16 rounding for the mixed_bfloat16 policy (csrc/bf16.h). Included from
# _kernels.pyx. Every length and the aliasing are checked here, with the GIL, before the
# C call runs nogil; the Python callers (fastnn.mixed_precision) give 1-D C-contiguous
# float32 views.

from libc.stdint cimport uint16_t, uintptr_t

cdef extern from "bf16.h" nogil:
    void fnn_round_bf16(size_t n, const float *x, float *y)
    void fnn_pack_bf16(size_t n, const float *x, uint16_t *y)
    int fnn_bf16_avx512_supported()
    int fnn_bf16_avx512()
    int fnn_bf16_set_avx512(int on)


cdef inline int _bf16_check(size_t nx, size_t ny, uintptr_t px, uintptr_t py,
                            size_t item_y) except -1:
    if nx != ny:
        raise ValueError(f"y must have {nx} elements (as x), got {ny}")
    # y may be x itself (in place) but must not overlap it otherwise
    if nx and px != py and px < py + ny * item_y and py < px + nx * sizeof(float):
        raise ValueError("y overlaps x without being x: give a separate array or x itself")
    return 0


def round_bf16(const float[::1] x not None, float[::1] y not None):
    """y = x rounded to the nearest bfloat16 (ties to even; NaN stays NaN), as float32.
    y may be x itself."""
    cdef size_t n = x.shape[0]
    _bf16_check(n, y.shape[0], <uintptr_t>&x[0] if n else 0,
                <uintptr_t>&y[0] if y.shape[0] else 0, sizeof(float))
    if n == 0:
        return
    with nogil:
        fnn_round_bf16(n, &x[0], &y[0])


def pack_bf16(const float[::1] x not None, uint16_t[::1] y not None):
    """y = the bfloat16 bits (uint16) of x rounded to the nearest bfloat16."""
    cdef size_t n = x.shape[0]
    _bf16_check(n, y.shape[0], <uintptr_t>&x[0] if n else 0,
                <uintptr_t>&y[0] if y.shape[0] else 0, sizeof(uint16_t))
    if n == 0:
        return
    with nogil:
        fnn_pack_bf16(n, &x[0], &y[0])


def bf16_avx512():
    """True when the bfloat16 rounding runs the AVX-512 BF16 instructions now."""
    return bool(fnn_bf16_avx512())


def bf16_avx512_supported():
    """True when this CPU has AVX512_BF16."""
    return bool(fnn_bf16_avx512_supported())


def _bf16_set_avx512(bint on):
    """Test hook: the AVX-512 BF16 path on or off. Returns False (and changes nothing)
    if the CPU has no AVX512_BF16."""
    return fnn_bf16_set_avx512(on) == 0
