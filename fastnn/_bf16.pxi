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
    int fnn_gemm_bf16(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      const float *A, size_t lda, const float *B, size_t ldb,
                      float *C, size_t ldc)


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


def gemm_bf16(bint trans_a, bint trans_b, const float[:, ::1] a not None,
              const float[:, ::1] b not None, float[:, ::1] c not None):
    """c = op(a) @ op(b) with both operands rounded to bfloat16 and float32 sums
    (op: transposed when trans_*). c must not overlap a or b."""
    cdef size_t M = a.shape[1] if trans_a else a.shape[0]
    cdef size_t K = a.shape[0] if trans_a else a.shape[1]
    cdef size_t Kb = b.shape[1] if trans_b else b.shape[0]
    cdef size_t N = b.shape[0] if trans_b else b.shape[1]
    cdef int rc
    if Kb != K:
        raise ValueError(f"op(b) must have {K} rows (op(a) has {K} columns), got {Kb}")
    if <size_t>c.shape[0] != M or <size_t>c.shape[1] != N:
        raise ValueError(f"c must have shape ({M}, {N}), got ({c.shape[0]}, {c.shape[1]})")
    if M == 0 or N == 0:
        return
    cdef uintptr_t pc = <uintptr_t>&c[0, 0], end_c = pc + M * N * sizeof(float)
    for name, mv in (("a", a), ("b", b)):
        if mv.shape[0] and mv.shape[1]:
            lo = <uintptr_t>_bf16_address(mv)
            if lo < end_c and pc < lo + <size_t>mv.shape[0] * <size_t>mv.shape[1] * sizeof(float):
                raise ValueError(f"c overlaps {name}: give a separate output array")
    with nogil:
        rc = fnn_gemm_bf16(trans_a, trans_b, M, N, K,
                           &a[0, 0] if K else NULL, a.shape[1],
                           &b[0, 0] if K else NULL, b.shape[1], &c[0, 0], N)
    if rc != 0:
        raise MemoryError("gemm_bf16: no memory for the packed bfloat16 operands")


cdef uintptr_t _bf16_address(const float[:, ::1] m):
    return <uintptr_t>&m[0, 0]
