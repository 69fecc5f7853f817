# bfloat16 rounding for the mixed_bfloat16 policy (csrc/bf16.h). Included from
# _kernels.pyx. Every length and the aliasing are checked here, with the GIL, before the
# C call runs nogil; the Python callers (fastnn.mixed_precision) give 1-D C-contiguous
# float32 views.

from libc.stdint cimport uint16_t, uintptr_t
from libc.stdlib cimport malloc, free

cdef extern from "bf16.h" nogil:
    void fnn_round_bf16(size_t n, const float *x, float *y)
    void fnn_pack_bf16(size_t n, const float *x, uint16_t *y)
    int fnn_bf16_avx512_supported()
    int fnn_bf16_avx512()
    int fnn_bf16_set_avx512(int on)
    int fnn_bf16_amx_supported()
    int fnn_bf16_amx()
    int fnn_bf16_set_amx(int on)
    int fnn_gemm_bf16(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      const float *A, size_t lda, const float *B, size_t ldb,
                      float *C, size_t ldc)
    size_t fnn_dense_bf16_scratch(size_t M, size_t K, size_t N)
    void fnn_dense_forward_bf16(size_t M, size_t K, size_t N, const float *X, const float *W,
                                const float *b, int act, const double *act_param, float *Z, float *A,
                                void *scratch)
    void fnn_dense_backward_bf16(size_t M, size_t K, size_t N, const float *X, const float *W,
                                 const float *dZ, float *dW, float *db, float *dX, void *scratch)


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


def bf16_amx():
    """True when the bfloat16 GEMM runs on AMX now."""
    return bool(fnn_bf16_amx())


def bf16_amx_supported():
    """True when this CPU has AMX-BF16 and the OS lets this process use it."""
    return bool(fnn_bf16_amx_supported())


def _bf16_set_amx(bint on):
    """Test hook: the AMX path of the bfloat16 GEMM on or off. Returns False (and
    changes nothing) where AMX is not available."""
    return fnn_bf16_set_amx(on) == 0


def bf16_gemm_path():
    """The path the bfloat16 GEMM takes now: 'amx_bf16', 'avx512_bf16' or 'portable'."""
    if fnn_bf16_amx():
        return "amx_bf16"
    return "avx512_bf16" if fnn_bf16_avx512() else "portable"


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


cdef uintptr_t _bf16_2d(const float[:, ::1] m):
    return <uintptr_t>&m[0, 0] if m.shape[0] and m.shape[1] else 0


cdef _bf16_apart(str owner, str out_name, uintptr_t out, size_t out_n, list others):
    """Refuses an output that overlaps one of the (name, address, count) inputs."""
    cdef uintptr_t lo
    cdef size_t n
    if out == 0:
        return
    for name, lo, n in others:
        if lo and lo < out + out_n * sizeof(float) and out < lo + n * sizeof(float):
            raise ValueError(f"{owner}: {out_name} overlaps {name}: give a separate array")


def dense_forward_bf16(const float[:, ::1] x not None, const float[:, ::1] kernel not None,
                       bias, int act, act_param, z, float[:, ::1] a not None):
    """A Dense layer's forward under mixed_bfloat16 (csrc/bf16.h fnn_dense_forward_bf16):
    z (or a when z is None) = x @ kernel on bfloat16 operands, + bias; a = act(z). All
    float32 and C-contiguous; z may be a. act_param: the activation's parameter or a tuple
    of up to ACT_NPARAM, as act_forward's."""
    cdef size_t M = x.shape[0], K = x.shape[1], N = kernel.shape[1]
    cdef const float[::1] b
    cdef float[:, ::1] zz
    cdef const float *pb = NULL
    cdef float *pz = NULL
    cdef void *scratch
    cdef size_t need
    cdef double ap[3]
    _act_params(act_param, ap)
    if <size_t>kernel.shape[0] != K:
        raise ValueError(f"dense_forward_bf16: kernel must have {K} rows (x has {K} "
                         f"columns), got {kernel.shape[0]}")
    if <size_t>a.shape[0] != M or <size_t>a.shape[1] != N:
        raise ValueError(f"dense_forward_bf16: a must have shape ({M}, {N}), got "
                         f"({a.shape[0]}, {a.shape[1]})")
    if act < 0 or act >= _N_ACT:
        raise ValueError(f"dense_forward_bf16: act must be an activation code in "
                         f"[0, {_N_ACT}), got {act}")
    ins = [("x", _bf16_2d(x), M * K), ("kernel", _bf16_2d(kernel), K * N)]
    if bias is not None:
        b = bias
        if <size_t>b.shape[0] != N:
            raise ValueError(f"dense_forward_bf16: bias must have shape ({N},), got "
                             f"({b.shape[0]},)")
        if N:
            pb = &b[0]
            ins.append(("bias", <uintptr_t>pb, N))
    _bf16_apart("dense_forward_bf16", "a", _bf16_2d(a), M * N, ins)
    if z is not None:
        zz = z
        if <size_t>zz.shape[0] != M or <size_t>zz.shape[1] != N:
            raise ValueError(f"dense_forward_bf16: z must have shape ({M}, {N}), got "
                             f"({zz.shape[0]}, {zz.shape[1]})")
        _bf16_apart("dense_forward_bf16", "z", _bf16_2d(zz), M * N, ins)
        if _bf16_2d(zz) != _bf16_2d(a):
            _bf16_apart("dense_forward_bf16", "a", _bf16_2d(a), M * N,
                        [("z (unless a is z)", _bf16_2d(zz), M * N)])
        if M and N:
            pz = &zz[0, 0]
    if M == 0 or N == 0:
        return
    need = fnn_dense_bf16_scratch(M, K, N)
    scratch = malloc(need) if need != <size_t>-1 else NULL
    if scratch == NULL:
        raise MemoryError("dense_forward_bf16: no memory for the packed bfloat16 operands")
    try:
        with nogil:
            fnn_dense_forward_bf16(M, K, N, &x[0, 0] if K else NULL,
                                   &kernel[0, 0] if K else NULL, pb, act, ap, pz,
                                   &a[0, 0], scratch)
    finally:
        free(scratch)


def dense_backward_bf16(const float[:, ::1] x not None, const float[:, ::1] kernel not None,
                        const float[:, ::1] gz not None, float[:, ::1] dk not None, db, dx):
    """A Dense layer's backward under mixed_bfloat16 (csrc/bf16.h
    fnn_dense_backward_bf16): with gz rounded to bfloat16 (gz itself is not written),
    dk = x.T @ gz, db = gz.sum(0) (row order), dx = gz @ kernel.T on bfloat16 operands
    (db, dx may be None). All float32 and C-contiguous; the outputs apart from each other and the
    inputs."""
    cdef size_t M = x.shape[0], K = x.shape[1], N = kernel.shape[1]
    cdef float[::1] b
    cdef float[:, ::1] d
    cdef float *pb = NULL
    cdef float *pd = NULL
    cdef void *scratch
    cdef size_t need
    if <size_t>kernel.shape[0] != K:
        raise ValueError(f"dense_backward_bf16: kernel must have {K} rows (x has {K} "
                         f"columns), got {kernel.shape[0]}")
    if <size_t>gz.shape[0] != M or <size_t>gz.shape[1] != N:
        raise ValueError(f"dense_backward_bf16: gz must have shape ({M}, {N}), got "
                         f"({gz.shape[0]}, {gz.shape[1]})")
    if <size_t>dk.shape[0] != K or <size_t>dk.shape[1] != N:
        raise ValueError(f"dense_backward_bf16: dk must have shape ({K}, {N}), got "
                         f"({dk.shape[0]}, {dk.shape[1]})")
    arrays = [("x", _bf16_2d(x), M * K), ("kernel", _bf16_2d(kernel), K * N),
              ("gz", _bf16_2d(gz), M * N), ("dk", _bf16_2d(dk), K * N)]
    if db is not None:
        b = db
        if <size_t>b.shape[0] != N:
            raise ValueError(f"dense_backward_bf16: db must have shape ({N},), got "
                             f"({b.shape[0]},)")
        if N:
            pb = &b[0]
            arrays.append(("db", <uintptr_t>pb, N))
    if dx is not None:
        d = dx
        if <size_t>d.shape[0] != M or <size_t>d.shape[1] != K:
            raise ValueError(f"dense_backward_bf16: dx must have shape ({M}, {K}), got "
                             f"({d.shape[0]}, {d.shape[1]})")
        if M and K:
            pd = &d[0, 0]
            arrays.append(("dx", <uintptr_t>pd, M * K))
    for i in range(3, len(arrays)):        # each written array apart from all the others
        name, lo, n = arrays[i]
        _bf16_apart("dense_backward_bf16", name, lo, n, arrays[:i] + arrays[i + 1:])
    if K == 0 or N == 0:
        return
    need = fnn_dense_bf16_scratch(M, K, N)
    scratch = malloc(need) if need != <size_t>-1 else NULL
    if scratch == NULL:
        raise MemoryError("dense_backward_bf16: no memory for the packed bfloat16 operands")
    try:
        with nogil:
            fnn_dense_backward_bf16(M, K, N, &x[0, 0] if M else NULL, &kernel[0, 0],
                                    &gz[0, 0] if M else NULL, &dk[0, 0], pb, pd, scratch)
    finally:
        free(scratch)
