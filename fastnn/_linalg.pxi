# GEMM and the fused dense layer (csrc/gemm.h). Included from _kernels.pyx.
#
# Raw bindings, but they must never crash: every shape relation, row stride and
# aliasing hazard is checked here (cheap, with the GIL) before the C call runs nogil.
# Matrices are 2-D with contiguous rows ([:, ::1]); gemm also accepts a row stride
# larger than the row (a leading dimension, e.g. a column slice of a bigger array),
# the dense functions want fully C-contiguous arrays.

cdef extern from "gemm.h" nogil:
    void fnn_gemm_f32(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                      float beta, float *C, size_t ldc)
    void fnn_gemm_f64(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                      double beta, double *C, size_t ldc)
    void fnn_dense_forward_f32(size_t M, size_t K, size_t N, const float *X, const float *W,
                               const float *b, int act, double act_param, float *Z, float *A)
    void fnn_dense_forward_f64(size_t M, size_t K, size_t N, const double *X, const double *W,
                               const double *b, int act, double act_param, double *Z, double *A)
    void fnn_dense_backward_f32(size_t M, size_t K, size_t N, const float *X, const float *W,
                                const float *dZ, float *dW, float *db, float *dX)
    void fnn_dense_backward_f64(size_t M, size_t K, size_t N, const double *X, const double *W,
                                const double *dZ, double *dW, double *db, double *dX)

cdef extern from *:
    """
    void fnn_gemm_force_path(int path);   /* csrc/gemm.c, test hook */
    """
    void fnn_gemm_force_path(int path)

from fastnn._codes import ACTIVATIONS as _ACT_TABLE
cdef int _N_ACT = len(_ACT_TABLE)


def _gemm_force_path(str name):
    """Test hook: force the GEMM's 'direct' or 'packed' path, or back to 'auto'."""
    fnn_gemm_force_path({"auto": 0, "direct": 1, "packed": 2}[name])


cdef Py_ssize_t _row_stride(str fn, str arg, Py_ssize_t rows, Py_ssize_t cols,
                            Py_ssize_t stride0, Py_ssize_t itemsize,
                            bint contiguous) except -1:
    """Leading dimension (elements between row starts) of a [:, ::1] view."""
    if rows <= 1:
        return cols if cols > 0 else 1
    if stride0 < 0 or stride0 % itemsize != 0 or stride0 // itemsize < cols:
        raise ValueError(f"{fn}: {arg} must have rows stored forward in memory, at least "
                         f"a row apart; got shape ({rows}, {cols}) with row stride "
                         f"{stride0} bytes")
    if contiguous and stride0 // itemsize != cols:
        raise ValueError(f"{fn}: {arg} must be C-contiguous; got shape ({rows}, {cols}) "
                         f"with row stride {stride0} bytes")
    return stride0 // itemsize


cdef inline size_t _span(Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t ld,
                         Py_ssize_t itemsize):
    """Bytes from the first to one past the last element of a matrix."""
    if rows <= 0 or cols <= 0:
        return 0
    return <size_t>(((rows - 1) * ld + cols) * itemsize)


cdef int _check_disjoint(str fn, str out, const void *p_out, size_t n_out,
                         str other, const void *p_other, size_t n_other) except -1:
    cdef size_t a = <size_t>p_out, b = <size_t>p_other
    if n_out and n_other and a < b + n_other and b < a + n_out:
        raise ValueError(f"{fn}: output {out} must not share memory with {other}")
    return 0


def gemm(bint trans_a, bint trans_b, const floating[:, ::1] A not None,
         const floating[:, ::1] B not None, floating[:, ::1] C not None,
         double alpha=1.0, double beta=0.0):
    """C = alpha * op(A) @ op(B) + beta * C in place (op = transpose when trans_*).

    beta == 0 ignores what C held (NaNs included)."""
    cdef Py_ssize_t isz = sizeof(floating)
    cdef Py_ssize_t M = A.shape[1] if trans_a else A.shape[0]
    cdef Py_ssize_t K = A.shape[0] if trans_a else A.shape[1]
    cdef Py_ssize_t K2 = B.shape[1] if trans_b else B.shape[0]
    cdef Py_ssize_t N = B.shape[0] if trans_b else B.shape[1]
    if K2 != K:
        raise ValueError(
            f"gemm: inner dimensions differ: op(A) is ({M}, {K}) (A shape "
            f"({A.shape[0]}, {A.shape[1]}), trans_a={bool(trans_a)}) but op(B) is "
            f"({K2}, {N}) (B shape ({B.shape[0]}, {B.shape[1]}), trans_b={bool(trans_b)})")
    if C.shape[0] != M or C.shape[1] != N:
        raise ValueError(f"gemm: C must have shape ({M}, {N}) = (rows of op(A), columns "
                         f"of op(B)), got ({C.shape[0]}, {C.shape[1]})")
    cdef Py_ssize_t lda = _row_stride("gemm", "A", A.shape[0], A.shape[1], A.strides[0], isz, False)
    cdef Py_ssize_t ldb = _row_stride("gemm", "B", B.shape[0], B.shape[1], B.strides[0], isz, False)
    cdef Py_ssize_t ldc = _row_stride("gemm", "C", C.shape[0], C.shape[1], C.strides[0], isz, False)
    cdef const floating *pa = &A[0, 0] if A.shape[0] * A.shape[1] else NULL
    cdef const floating *pb = &B[0, 0] if B.shape[0] * B.shape[1] else NULL
    cdef floating *pc = &C[0, 0] if C.shape[0] * C.shape[1] else NULL
    cdef size_t nc = _span(C.shape[0], C.shape[1], ldc, isz)
    _check_disjoint("gemm", "C", pc, nc, "A", pa, _span(A.shape[0], A.shape[1], lda, isz))
    _check_disjoint("gemm", "C", pc, nc, "B", pb, _span(B.shape[0], B.shape[1], ldb, isz))
    if M == 0 or N == 0:
        return
    with nogil:
        if floating is float:
            fnn_gemm_f32(trans_a, trans_b, M, N, K, <float>alpha, pa, lda, pb, ldb,
                         <float>beta, pc, ldc)
        else:
            fnn_gemm_f64(trans_a, trans_b, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc)


def dense_forward(const floating[:, ::1] X not None, const floating[:, ::1] W not None,
                  const floating[::1] b, int act, double act_param,
                  floating[:, ::1] Z, floating[:, ::1] A not None):
    """Z = X @ W + b, A = act(Z) (activation codes: fastnn._codes.ACTIVATIONS).

    b and Z may be None; A may be the same array as Z."""
    cdef Py_ssize_t isz = sizeof(floating)
    cdef Py_ssize_t M = X.shape[0], K = X.shape[1], N = W.shape[1]
    if W.shape[0] != K:
        raise ValueError(f"dense_forward: W must have shape ({K}, N) to match X "
                         f"({M}, {K}), got ({W.shape[0]}, {W.shape[1]})")
    if b is not None and b.shape[0] != N:
        raise ValueError(f"dense_forward: b must have shape ({N},), got ({b.shape[0]},)")
    if Z is not None and (Z.shape[0] != M or Z.shape[1] != N):
        raise ValueError(f"dense_forward: Z must have shape ({M}, {N}), got "
                         f"({Z.shape[0]}, {Z.shape[1]})")
    if A.shape[0] != M or A.shape[1] != N:
        raise ValueError(f"dense_forward: A must have shape ({M}, {N}), got "
                         f"({A.shape[0]}, {A.shape[1]})")
    if act < 0 or act >= _N_ACT:
        raise ValueError(f"dense_forward: act must be an activation code in "
                         f"[0, {_N_ACT}), got {act}")
    _row_stride("dense_forward", "X", M, K, X.strides[0], isz, True)
    _row_stride("dense_forward", "W", K, N, W.strides[0], isz, True)
    _row_stride("dense_forward", "A", M, N, A.strides[0], isz, True)
    if Z is not None:
        _row_stride("dense_forward", "Z", M, N, Z.strides[0], isz, True)
    cdef size_t nx = _span(M, K, K, isz), nw = _span(K, N, N, isz), nmn = _span(M, N, N, isz)
    cdef const floating *px = &X[0, 0] if M * K else NULL
    cdef const floating *pw = &W[0, 0] if K * N else NULL
    cdef const floating *pb = NULL
    cdef floating *pz = NULL
    cdef floating *pa = &A[0, 0] if M * N else NULL
    if b is not None and N:
        pb = &b[0]
    if Z is not None and M * N:
        pz = &Z[0, 0]
    for out, p in (("A", <size_t>pa), ("Z", <size_t>pz)):
        if p == 0:
            continue
        _check_disjoint("dense_forward", out, <void *><size_t>p, nmn, "X", px, nx)
        _check_disjoint("dense_forward", out, <void *><size_t>p, nmn, "W", pw, nw)
        _check_disjoint("dense_forward", out, <void *><size_t>p, nmn, "b", pb,
                        N * isz if pb != NULL else 0)
    if pz != NULL and pz != pa:
        _check_disjoint("dense_forward", "A", pa, nmn, "Z (unless A is Z)", pz, nmn)
    if M == 0 or N == 0:
        return
    with nogil:
        if floating is float:
            fnn_dense_forward_f32(M, K, N, px, pw, pb, act, act_param, pz, pa)
        else:
            fnn_dense_forward_f64(M, K, N, px, pw, pb, act, act_param, pz, pa)


def dense_backward(const floating[:, ::1] X not None, const floating[:, ::1] W not None,
                   const floating[:, ::1] dZ not None, floating[:, ::1] dW not None,
                   floating[::1] db, floating[:, ::1] dX):
    """dW = X.T @ dZ, db = dZ.sum(0), dX = dZ @ W.T (db and dX may be None: skipped)."""
    cdef Py_ssize_t isz = sizeof(floating)
    cdef Py_ssize_t M = X.shape[0], K = X.shape[1], N = W.shape[1]
    if W.shape[0] != K:
        raise ValueError(f"dense_backward: W must have shape ({K}, N) to match X "
                         f"({M}, {K}), got ({W.shape[0]}, {W.shape[1]})")
    if dZ.shape[0] != M or dZ.shape[1] != N:
        raise ValueError(f"dense_backward: dZ must have shape ({M}, {N}), got "
                         f"({dZ.shape[0]}, {dZ.shape[1]})")
    if dW.shape[0] != K or dW.shape[1] != N:
        raise ValueError(f"dense_backward: dW must have shape ({K}, {N}), got "
                         f"({dW.shape[0]}, {dW.shape[1]})")
    if db is not None and db.shape[0] != N:
        raise ValueError(f"dense_backward: db must have shape ({N},), got ({db.shape[0]},)")
    if dX is not None and (dX.shape[0] != M or dX.shape[1] != K):
        raise ValueError(f"dense_backward: dX must have shape ({M}, {K}), got "
                         f"({dX.shape[0]}, {dX.shape[1]})")
    _row_stride("dense_backward", "X", M, K, X.strides[0], isz, True)
    _row_stride("dense_backward", "W", K, N, W.strides[0], isz, True)
    _row_stride("dense_backward", "dZ", M, N, dZ.strides[0], isz, True)
    _row_stride("dense_backward", "dW", K, N, dW.strides[0], isz, True)
    if dX is not None:
        _row_stride("dense_backward", "dX", M, K, dX.strides[0], isz, True)
    cdef size_t nx = _span(M, K, K, isz), nw = _span(K, N, N, isz), nz = _span(M, N, N, isz)
    cdef const floating *px = &X[0, 0] if M * K else NULL
    cdef const floating *pw = &W[0, 0] if K * N else NULL
    cdef const floating *pdz = &dZ[0, 0] if M * N else NULL
    cdef floating *pdw = &dW[0, 0] if K * N else NULL
    cdef floating *pdb = NULL
    cdef floating *pdx = NULL
    if db is not None and N:
        pdb = &db[0]
    if dX is not None and M * K:
        pdx = &dX[0, 0]
    outs = (("dW", <size_t>pdw, nw), ("db", <size_t>pdb, N * isz), ("dX", <size_t>pdx, nx))
    ins = (("X", <size_t>px, nx), ("W", <size_t>pw, nw), ("dZ", <size_t>pdz, nz))
    for i, (oname, op, on) in enumerate(outs):
        if op == 0:
            continue
        for iname, ip, inn in ins + outs[i + 1:]:
            if ip:
                _check_disjoint("dense_backward", oname, <void *><size_t>op, on,
                                iname, <void *><size_t>ip, inn)
    with nogil:
        if floating is float:
            fnn_dense_backward_f32(M, K, N, px, pw, pdz, pdw, pdb, pdx)
        else:
            fnn_dense_backward_f64(M, K, N, px, pw, pdz, pdw, pdb, pdx)
