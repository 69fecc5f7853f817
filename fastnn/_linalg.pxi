# GEMM and the fused dense layer (csrc/gemm.h). Included from _kernels.pyx.
#
# Raw bindings that must still never crash: dtype, ndim, shape relations, strides and
# aliasing are checked here, with the GIL, before the C call runs nogil.
#
# Arguments are float32 or float64 arrays (one dtype per call; the kernels are the _f32
# or _f64 variants), read through the buffer protocol directly rather than typed
# memoryviews: small layers (batch 32, 64 -> 25) are a few microseconds of math, and
# acquiring typed memoryviews plus the fused-type dispatch cost more than that.
# Accepted layouts are those of `floating[:, ::1]` (C-contiguous), except that gemm
# also takes a row stride larger than the row (a leading dimension, e.g. a column slice
# of a bigger array).

from cpython.buffer cimport (PyObject_GetBuffer, PyBuffer_Release, PyBUF_STRIDES,
                             PyBUF_FORMAT, PyBUF_WRITABLE)

cdef extern from "gemm.h" nogil:
    void fnn_gemm_f32(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                      float beta, float *C, size_t ldc)
    void fnn_gemm_f64(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                      double beta, double *C, size_t ldc)
    void fnn_dense_forward_f32(size_t M, size_t K, size_t N, const float *X, const float *W,
                               const float *b, int act, const double *act_param, float *Z, float *A)
    void fnn_dense_forward_f64(size_t M, size_t K, size_t N, const double *X, const double *W,
                               const double *b, int act, const double *act_param, double *Z, double *A)
    void fnn_dense_backward_f32(size_t M, size_t K, size_t N, const float *X, const float *W,
                                const float *dZ, float *dW, float *db, float *dX)
    void fnn_dense_backward_f64(size_t M, size_t K, size_t N, const double *X, const double *W,
                                const double *dZ, double *dW, double *db, double *dX)

cdef extern from *:
    """
    void fnn_gemm_force_path(int path);   /* csrc/gemm.c, test hook */
    int fnn_gemm_avx512(void);            /* csrc/gemm.c */
    int fnn_gemm_set_avx512(int on);      /* csrc/gemm.c, test hook */
    """
    void fnn_gemm_force_path(int path)
    int fnn_gemm_avx512()
    int fnn_gemm_avx512_supported()
    int fnn_gemm_set_avx512(int on)

import sys as _sys
cdef int _N_ACT = FNN_ACT_COUNT     # csrc/activations.h (declared in _elementwise.pxi)
cdef char _NATIVE_ORDER = b'<' if _sys.byteorder == "little" else b'>'


def _gemm_force_path(str name):
    """Test hook: force the GEMM's 'direct' or 'packed' path, or back to 'auto'."""
    fnn_gemm_force_path({"auto": 0, "direct": 1, "packed": 2}[name])


def gemm_avx512():
    """True when the packed GEMM runs its AVX-512 micro-kernel now (csrc/gemm.c)."""
    return bool(fnn_gemm_avx512())


def gemm_avx512_supported():
    """True when this CPU can run the AVX-512 micro-kernel (AVX-512F)."""
    return bool(fnn_gemm_avx512_supported())


def _gemm_set_avx512(bint on):
    """Test hook: the AVX-512 micro-kernel on or off. Returns False (and changes nothing)
    if the CPU has no AVX-512F."""
    return fnn_gemm_set_avx512(on) == 0


# ------------------------------------------------------------------ argument checking

cdef struct _Arg:
    Py_buffer view
    char *data          # NULL when the argument is None or empty
    Py_ssize_t rows     # 1 for vectors
    Py_ssize_t cols
    Py_ssize_t ld       # elements from one row start to the next
    bint held           # view acquired (must be released)


cdef inline void _release(_Arg *a):
    if a.held:
        PyBuffer_Release(&a.view)
        a.held = False


cdef int _elem_size(Py_buffer *v):
    """4 for native float32, 8 for native float64, 0 for anything else."""
    cdef const char *f = v.format
    if f == NULL:
        return 0
    if f[0] == b'@' or f[0] == b'=' or f[0] == _NATIVE_ORDER:
        f += 1
    if f[0] == 0 or f[1] != 0:
        return 0
    if f[0] == b'f' and v.itemsize == 4:
        return 4
    if f[0] == b'd' and v.itemsize == 8:
        return 8
    return 0


cdef str _dtype_name(int size):
    return "float32" if size == 4 else "float64"


cdef int _take(_Arg *a, object obj, str fn, str name, int ndim, bint out, int *dtype,
               bint leading_dim) except -1:
    """Acquire `obj` as a float array of `ndim` dims (2-D: contiguous rows, and a row
    stride equal to the row unless leading_dim); out=True requires it to be writable.
    The first array fixes *dtype (4 or 8); the others must match it."""
    cdef int flags = PyBUF_STRIDES | PyBUF_FORMAT
    cdef int size
    cdef Py_ssize_t s0, s1
    a.held = False
    a.data = NULL
    if out:
        flags |= PyBUF_WRITABLE
    try:
        PyObject_GetBuffer(obj, &a.view, flags)
    except Exception:
        if out and hasattr(obj, "flags") and not obj.flags.writeable:
            raise ValueError(f"{fn}: output {name} must be writable, got a read-only array")
        raise TypeError(f"{fn}: {name} must be a float32 or float64 NumPy array, got "
                        f"{type(obj).__name__}") from None
    a.held = True
    size = _elem_size(&a.view)
    if size == 0:
        raise TypeError(f"{fn}: {name} must have dtype float32 or float64, got "
                        f"{getattr(obj, 'dtype', a.view.format.decode())}")
    if dtype[0] == 0:
        dtype[0] = size
    elif dtype[0] != size:
        raise TypeError(f"{fn}: all arrays must share one dtype; {name} is "
                        f"{_dtype_name(size)}, expected {_dtype_name(dtype[0])}")
    if a.view.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be {ndim}-D, got {a.view.ndim}-D "
                         f"(shape {tuple(obj.shape) if hasattr(obj, 'shape') else '?'})")
    if ndim == 1:
        a.rows, a.cols = 1, a.view.shape[0]
        s0, s1 = a.cols * size, a.view.strides[0]
    else:
        a.rows, a.cols = a.view.shape[0], a.view.shape[1]
        s0, s1 = a.view.strides[0], a.view.strides[1]
    if a.cols > 1 and s1 != size:
        raise ValueError(f"{fn}: {name} must be C-contiguous (contiguous rows); its "
                         f"element stride is {s1} bytes, not {size}")
    a.ld = a.cols if a.cols > 0 else 1
    if a.rows > 1:
        if s0 < 0 or s0 % size != 0 or s0 // size < a.cols:
            raise ValueError(f"{fn}: {name} must have its rows stored forward, at least a "
                             f"row apart; got shape ({a.rows}, {a.cols}) with row stride "
                             f"{s0} bytes")
        if not leading_dim and s0 != a.cols * size:
            raise ValueError(f"{fn}: {name} must be C-contiguous; got shape ({a.rows}, "
                             f"{a.cols}) with row stride {s0} bytes")
        a.ld = s0 // size
    if a.rows > 0 and a.cols > 0:
        a.data = <char *>a.view.buf
    return 0


cdef inline size_t _span(_Arg *a, int size):
    """Bytes from the first to one past the last element."""
    if a.data == NULL:
        return 0
    return <size_t>(((a.rows - 1) * a.ld + a.cols) * size)


cdef int _disjoint(str fn, _Arg *out, str out_name, _Arg *other, str other_name,
                   int size) except -1:
    cdef size_t p = <size_t>out.data, q = <size_t>other.data
    cdef size_t n = _span(out, size), m = _span(other, size)
    if n and m and p < q + m and q < p + n:
        raise ValueError(f"{fn}: output {out_name} must not share memory with {other_name}")
    return 0


cdef str _shape(_Arg *a):
    return f"({a.rows}, {a.cols})"


# ------------------------------------------------------------------ bindings

def gemm(bint trans_a, bint trans_b, A, B, C, double alpha=1.0, double beta=0.0):
    """C = alpha * op(A) @ op(B) + beta * C in place (op = transpose when trans_*).

    A, B, C: 2-D float32 or float64 arrays (one dtype) with contiguous rows; a row stride
    larger than the row is fine. beta == 0 ignores what C held (NaNs included)."""
    cdef _Arg a, b, c
    cdef int size = 0
    cdef Py_ssize_t M, K, K2, N
    a.held = b.held = c.held = False
    try:
        _take(&a, A, "gemm", "A", 2, False, &size, True)
        _take(&b, B, "gemm", "B", 2, False, &size, True)
        _take(&c, C, "gemm", "C", 2, True, &size, True)
        M, K = (a.cols, a.rows) if trans_a else (a.rows, a.cols)
        K2, N = (b.cols, b.rows) if trans_b else (b.rows, b.cols)
        if K2 != K:
            raise ValueError(
                f"gemm: inner dimensions differ: op(A) is ({M}, {K}) (A shape "
                f"{_shape(&a)}, trans_a={bool(trans_a)}) but op(B) is ({K2}, {N}) "
                f"(B shape {_shape(&b)}, trans_b={bool(trans_b)})")
        if c.rows != M or c.cols != N:
            raise ValueError(f"gemm: C must have shape ({M}, {N}) = (rows of op(A), "
                             f"columns of op(B)), got {_shape(&c)}")
        _disjoint("gemm", &c, "C", &a, "A", size)
        _disjoint("gemm", &c, "C", &b, "B", size)
        if M == 0 or N == 0:
            return
        with nogil:
            if size == 4:
                fnn_gemm_f32(trans_a, trans_b, M, N, K, <float>alpha, <float *>a.data,
                             a.ld, <float *>b.data, b.ld, <float>beta, <float *>c.data, c.ld)
            else:
                fnn_gemm_f64(trans_a, trans_b, M, N, K, alpha, <double *>a.data, a.ld,
                             <double *>b.data, b.ld, beta, <double *>c.data, c.ld)
    finally:
        _release(&a)
        _release(&b)
        _release(&c)


def dense_forward(X, W, b, int act, act_param, Z, A):
    """Z = X @ W + b, A = act(Z) (activation codes: fastnn._codes.ACTIVATIONS; act_param:
    the activation's parameter or a tuple of up to ACT_NPARAM, as act_forward's).

    X (M, K), W (K, N), b (N,) or None, Z (M, N) or None, A (M, N): C-contiguous,
    one dtype (float32 or float64). A may be the same array as Z."""
    cdef _Arg x, w, bb, z, a
    cdef int size = 0
    cdef Py_ssize_t M, K, N
    cdef double ap[3]
    _act_params(act_param, ap)
    x.held = w.held = bb.held = z.held = a.held = False
    bb.data = z.data = NULL
    try:
        _take(&x, X, "dense_forward", "X", 2, False, &size, False)
        _take(&w, W, "dense_forward", "W", 2, False, &size, False)
        M, K, N = x.rows, x.cols, w.cols
        if w.rows != K:
            raise ValueError(f"dense_forward: W must have shape ({K}, N) to match X "
                             f"{_shape(&x)}, got {_shape(&w)}")
        if b is not None:
            _take(&bb, b, "dense_forward", "b", 1, False, &size, False)
            if bb.cols != N:
                raise ValueError(f"dense_forward: b must have shape ({N},), got ({bb.cols},)")
        if Z is not None:
            _take(&z, Z, "dense_forward", "Z", 2, True, &size, False)
            if z.rows != M or z.cols != N:
                raise ValueError(f"dense_forward: Z must have shape ({M}, {N}), got "
                                 f"{_shape(&z)}")
        _take(&a, A, "dense_forward", "A", 2, True, &size, False)
        if a.rows != M or a.cols != N:
            raise ValueError(f"dense_forward: A must have shape ({M}, {N}), got {_shape(&a)}")
        if act < 0 or act >= _N_ACT:
            raise ValueError(f"dense_forward: act must be an activation code in "
                             f"[0, {_N_ACT}), got {act}")
        _disjoint("dense_forward", &a, "A", &x, "X", size)
        _disjoint("dense_forward", &a, "A", &w, "W", size)
        _disjoint("dense_forward", &a, "A", &bb, "b", size)
        if z.data != NULL:
            _disjoint("dense_forward", &z, "Z", &x, "X", size)
            _disjoint("dense_forward", &z, "Z", &w, "W", size)
            _disjoint("dense_forward", &z, "Z", &bb, "b", size)
            if z.data != a.data:
                _disjoint("dense_forward", &a, "A", &z, "Z (unless A is Z)", size)
        if M == 0 or N == 0:
            return
        with nogil:
            if size == 4:
                fnn_dense_forward_f32(M, K, N, <float *>x.data, <float *>w.data,
                                      <float *>bb.data, act, ap, <float *>z.data,
                                      <float *>a.data)
            else:
                fnn_dense_forward_f64(M, K, N, <double *>x.data, <double *>w.data,
                                      <double *>bb.data, act, ap, <double *>z.data,
                                      <double *>a.data)
    finally:
        _release(&x)
        _release(&w)
        _release(&bb)
        _release(&z)
        _release(&a)


def dense_backward(X, W, dZ, dW, db, dX):
    """dW = X.T @ dZ, db = dZ.sum(0), dX = dZ @ W.T (db and dX may be None: skipped).

    X (M, K), W (K, N), dZ (M, N), dW (K, N), db (N,), dX (M, K): C-contiguous, one
    dtype (float32 or float64)."""
    cdef _Arg x, w, dz, dw, dbb, dx
    cdef int size = 0
    cdef Py_ssize_t M, K, N
    x.held = w.held = dz.held = dw.held = dbb.held = dx.held = False
    dbb.data = dx.data = NULL
    try:
        _take(&x, X, "dense_backward", "X", 2, False, &size, False)
        _take(&w, W, "dense_backward", "W", 2, False, &size, False)
        M, K, N = x.rows, x.cols, w.cols
        if w.rows != K:
            raise ValueError(f"dense_backward: W must have shape ({K}, N) to match X "
                             f"{_shape(&x)}, got {_shape(&w)}")
        _take(&dz, dZ, "dense_backward", "dZ", 2, False, &size, False)
        if dz.rows != M or dz.cols != N:
            raise ValueError(f"dense_backward: dZ must have shape ({M}, {N}), got "
                             f"{_shape(&dz)}")
        _take(&dw, dW, "dense_backward", "dW", 2, True, &size, False)
        if dw.rows != K or dw.cols != N:
            raise ValueError(f"dense_backward: dW must have shape ({K}, {N}), got "
                             f"{_shape(&dw)}")
        if db is not None:
            _take(&dbb, db, "dense_backward", "db", 1, True, &size, False)
            if dbb.cols != N:
                raise ValueError(f"dense_backward: db must have shape ({N},), got "
                                 f"({dbb.cols},)")
        if dX is not None:
            _take(&dx, dX, "dense_backward", "dX", 2, True, &size, False)
            if dx.rows != M or dx.cols != K:
                raise ValueError(f"dense_backward: dX must have shape ({M}, {K}), got "
                                 f"{_shape(&dx)}")
        _disjoint("dense_backward", &dw, "dW", &x, "X", size)
        _disjoint("dense_backward", &dw, "dW", &w, "W", size)
        _disjoint("dense_backward", &dw, "dW", &dz, "dZ", size)
        _disjoint("dense_backward", &dw, "dW", &dbb, "db", size)
        _disjoint("dense_backward", &dw, "dW", &dx, "dX", size)
        _disjoint("dense_backward", &dbb, "db", &x, "X", size)
        _disjoint("dense_backward", &dbb, "db", &w, "W", size)
        _disjoint("dense_backward", &dbb, "db", &dz, "dZ", size)
        _disjoint("dense_backward", &dbb, "db", &dx, "dX", size)
        _disjoint("dense_backward", &dx, "dX", &x, "X", size)
        _disjoint("dense_backward", &dx, "dX", &w, "W", size)
        _disjoint("dense_backward", &dx, "dX", &dz, "dZ", size)
        with nogil:
            if size == 4:
                fnn_dense_backward_f32(M, K, N, <float *>x.data, <float *>w.data,
                                       <float *>dz.data, <float *>dw.data,
                                       <float *>dbb.data, <float *>dx.data)
            else:
                fnn_dense_backward_f64(M, K, N, <double *>x.data, <double *>w.data,
                                       <double *>dz.data, <double *>dw.data,
                                       <double *>dbb.data, <double *>dx.data)
    finally:
        _release(&x)
        _release(&w)
        _release(&dz)
        _release(&dw)
        _release(&dbb)
        _release(&dx)


cdef extern from "peak.h" nogil:
    int FNN_PEAK_AVX2
    int FNN_PEAK_AVX512
    double fnn_fma_peak_gflops(int nt, int lanes, double seconds)


def fma_peak(int threads=0, str isa="auto", double seconds=0.2):
    """This machine's float32 FMA peak in GFLOP/s (2 per multiply-add) on `threads`
    threads (0: the team size now), with 256-bit ('avx2') or 512-bit ('avx512') registers;
    'auto' takes the width the packed GEMM can use. The yardstick of bench/peak.py."""
    cdef int lanes
    cdef double g
    if threads < 0:
        raise ValueError(f"threads: expected an integer >= 0, got {threads}")
    if isa not in ("auto", "avx2", "avx512"):
        raise ValueError(f"isa: expected 'auto', 'avx2' or 'avx512', got {isa!r}")
    if not (0.0 < seconds <= 10.0):
        raise ValueError(f"seconds: expected a number in (0, 10], got {seconds}")
    if isa == "auto":
        isa = "avx512" if fnn_gemm_avx512_supported() else "avx2"
    lanes = FNN_PEAK_AVX512 if isa == "avx512" else FNN_PEAK_AVX2
    if threads == 0:
        threads = fnn_get_num_threads()
    with nogil:
        g = fnn_fma_peak_gflops(threads, lanes, seconds)
    if g <= 0.0:
        raise ValueError(f"isa: {isa!r} is not available on this CPU or in this build")
    return g
