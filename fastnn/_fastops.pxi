# One-call entries for fastnn.ops' common case. Included from _kernels.pyx (after
# _linalg.pxi and _elementwise.pxi, whose C declarations these use).
#
# fastnn.ops.matmul / dense / relu ... check and convert their arguments in Python,
# which costs a few microseconds a call: more than the math on small arrays. These
# entries take the case the public ops see most, float32 or float64 arrays of one dtype
# that the kernels can read as they are, check it in one pass over the buffers, compute,
# and return the result as a new array of the given class. For anything else they return
# None and change nothing: the caller then runs its general path, which converts what
# it can and raises the errors that name the argument. Each computes with the same C call
# on the same layout as that general path, so the results are the same bits.

from cpython.buffer cimport PyBuffer_IsContiguous
from libc.string cimport memset
import numpy as _np

_np_empty = _np.empty
_nd_view = _np.ndarray.view
_F32_DT = _np.dtype(_np.float32)
_F64_DT = _np.dtype(_np.float64)
# Below this many multiply-adds the C call keeps the GIL: releasing and taking it back
# costs more than the call.
cdef double _NOGIL_WORK = 65536.0


cdef int _peek(Py_buffer *v, object obj) except -1:
    """Acquire obj's buffer (strides, format) if it exports one: returns its element size,
    4 (native float32) or 8 (native float64), with the view held; 0 (nothing held) for
    any other object or dtype."""
    try:
        PyObject_GetBuffer(obj, v, PyBUF_STRIDES | PyBUF_FORMAT)
    except Exception:
        return 0
    cdef int size = _elem_size(v)
    if size == 0:
        PyBuffer_Release(v)
    return size


cdef object _new_out(tuple shape, int size, object cls, char **data):
    """A new uninitialised C-contiguous `cls` array of that shape (size: 4 float32, 8
    float64); *data = its first element."""
    cdef Py_buffer v
    out = _np_empty(shape, _F32_DT if size == 4 else _F64_DT)
    if cls is not _np.ndarray:
        out = _nd_view(out, cls)
    PyObject_GetBuffer(out, &v, PyBUF_STRIDES | PyBUF_WRITABLE)
    data[0] = <char *>v.buf
    PyBuffer_Release(&v)   # the array keeps its memory; only the view is let go
    return out


cdef inline bint _c_order2(Py_buffer *v, int size):
    """A 2-D buffer C-contiguous by NumPy's rule (strides of length-1 axes ignored)."""
    return ((v.shape[1] <= 1 or v.strides[1] == size) and
            (v.shape[0] <= 1 or v.strides[0] == v.shape[1] * size))


cdef inline bint _f_order2(Py_buffer *v, int size):
    """A 2-D buffer whose transpose is C-contiguous (NumPy's rule)."""
    return ((v.shape[0] <= 1 or v.strides[0] == size) and
            (v.shape[1] <= 1 or v.strides[1] == v.shape[0] * size))


def fast_matmul(A, B, cls):
    """A @ B as a new `cls` array (an ndarray subclass), for 2-D A (M, K) and B (K, N)
    of one dtype, float32 or float64, each C-contiguous or the transpose of a C-contiguous
    array (read transposed, without a copy); None for anything else (nothing done).
    K == 0 gives zeros."""
    cdef Py_buffer va, vb
    cdef int sa, sb
    cdef bint ta = False, tb = False
    cdef Py_ssize_t M, K, N, lda, ldb
    cdef char *pc
    cdef double work
    sa = _peek(&va, A)
    if sa == 0:
        return None
    sb = _peek(&vb, B)
    if sb == 0:
        PyBuffer_Release(&va)
        return None
    try:
        if sa != sb or va.ndim != 2 or vb.ndim != 2 or va.shape[1] != vb.shape[0]:
            return None
        M, K, N = va.shape[0], va.shape[1], vb.shape[1]
        if _c_order2(&va, sa):
            lda = K if K > 0 else 1
        elif _f_order2(&va, sa):
            ta, lda = True, (M if M > 0 else 1)
        else:
            return None
        if _c_order2(&vb, sb):
            ldb = N if N > 0 else 1
        elif _f_order2(&vb, sb):
            tb, ldb = True, (K if K > 0 else 1)
        else:
            return None
        out = _new_out((M, N), sa, cls, &pc)
        if M == 0 or N == 0:
            return out
        if K == 0:
            memset(pc, 0, <size_t>(M * N * sa))
            return out
        work = <double>M * <double>N * <double>K
        if sa == 4:
            if work < _NOGIL_WORK:
                fnn_gemm_f32(ta, tb, M, N, K, 1.0, <float *>va.buf, lda, <float *>vb.buf,
                             ldb, 0.0, <float *>pc, N)
            else:
                with nogil:
                    fnn_gemm_f32(ta, tb, M, N, K, 1.0, <float *>va.buf, lda,
                                 <float *>vb.buf, ldb, 0.0, <float *>pc, N)
        else:
            if work < _NOGIL_WORK:
                fnn_gemm_f64(ta, tb, M, N, K, 1.0, <double *>va.buf, lda, <double *>vb.buf,
                             ldb, 0.0, <double *>pc, N)
            else:
                with nogil:
                    fnn_gemm_f64(ta, tb, M, N, K, 1.0, <double *>va.buf, lda,
                                 <double *>vb.buf, ldb, 0.0, <double *>pc, N)
        return out
    finally:
        PyBuffer_Release(&va)
        PyBuffer_Release(&vb)


def fast_act(int act, param, X, cls):
    """f(X) element-wise for the activation code `act` (not a row-wise one: softmax kinds
    need an axis) as a new `cls` array of X's shape, for a C-contiguous float32 or float64
    X of any number of dimensions (computed as one row, as fastnn.ops does); None for
    anything else (nothing done)."""
    cdef Py_buffer vx
    cdef int size
    cdef Py_ssize_t n = 1, i
    cdef char *po
    cdef double p3[3]
    if act < 0 or act >= _N_ACT:
        raise ValueError(f"fast_act: act must be an activation code in [0, {_N_ACT}), "
                         f"got {act}")
    _act_params(param, p3)
    size = _peek(&vx, X)
    if size == 0:
        return None
    try:
        if not PyBuffer_IsContiguous(&vx, b'C'):
            return None
        shape = tuple([vx.shape[i] for i in range(vx.ndim)])
        for i in range(vx.ndim):
            n *= vx.shape[i]
        out = _new_out(shape, size, cls, &po)
        if n == 0:
            return out
        if size == 4:
            if n < _NOGIL_WORK:
                fnn_act_forward_f32(act, p3, 1, n, <float *>vx.buf, <float *>po)
            else:
                with nogil:
                    fnn_act_forward_f32(act, p3, 1, n, <float *>vx.buf, <float *>po)
        else:
            if n < _NOGIL_WORK:
                fnn_act_forward_f64(act, p3, 1, n, <double *>vx.buf, <double *>po)
            else:
                with nogil:
                    fnn_act_forward_f64(act, p3, 1, n, <double *>vx.buf, <double *>po)
        return out
    finally:
        PyBuffer_Release(&vx)


def fast_dense(X, W, b, int act, act_param, cls):
    """act(X @ W + b) as a new `cls` array (M, N), for C-contiguous X (M, K), W (K, N) and
    b (N,) or None, one dtype (float32 or float64): the fused dense kernel as
    fastnn.ops.dense calls it; None for anything else (nothing done)."""
    cdef Py_buffer vx, vw, vb
    cdef int sx, sw, sb = 0
    cdef Py_ssize_t M, K, N
    cdef char *px
    cdef char *pw
    cdef char *pb = NULL
    cdef char *po
    cdef double work
    cdef double p3[3]
    if act < 0 or act >= _N_ACT:
        raise ValueError(f"fast_dense: act must be an activation code in [0, {_N_ACT}), "
                         f"got {act}")
    _act_params(act_param, p3)
    sx = _peek(&vx, X)
    if sx == 0:
        return None
    sw = _peek(&vw, W)
    if sw == 0:
        PyBuffer_Release(&vx)
        return None
    if b is not None:
        sb = _peek(&vb, b)
        if sb == 0:
            PyBuffer_Release(&vx)
            PyBuffer_Release(&vw)
            return None
    try:
        if (sx != sw or vx.ndim != 2 or vw.ndim != 2 or vx.shape[1] != vw.shape[0] or
                not PyBuffer_IsContiguous(&vx, b'C') or
                not PyBuffer_IsContiguous(&vw, b'C')):
            return None
        M, K, N = vx.shape[0], vx.shape[1], vw.shape[1]
        if b is not None:
            if sb != sx or vb.ndim != 1 or vb.shape[0] != N or \
                    not PyBuffer_IsContiguous(&vb, b'C'):
                return None
            pb = <char *>vb.buf if N > 0 else NULL
        out = _new_out((M, N), sx, cls, &po)
        if M == 0 or N == 0:
            return out
        px = <char *>vx.buf if K > 0 else NULL
        pw = <char *>vw.buf if K > 0 else NULL
        work = <double>M * <double>N * <double>(K if K > 0 else 1)
        if sx == 4:
            if work < _NOGIL_WORK:
                fnn_dense_forward_f32(M, K, N, <float *>px, <float *>pw, <float *>pb, act,
                                      p3, NULL, <float *>po)
            else:
                with nogil:
                    fnn_dense_forward_f32(M, K, N, <float *>px, <float *>pw, <float *>pb,
                                          act, p3, NULL, <float *>po)
        else:
            if work < _NOGIL_WORK:
                fnn_dense_forward_f64(M, K, N, <double *>px, <double *>pw, <double *>pb,
                                      act, p3, NULL, <double *>po)
            else:
                with nogil:
                    fnn_dense_forward_f64(M, K, N, <double *>px, <double *>pw,
                                          <double *>pb, act, p3, NULL, <double *>po)
        return out
    finally:
        PyBuffer_Release(&vx)
        PyBuffer_Release(&vw)
        if b is not None:
            PyBuffer_Release(&vb)
