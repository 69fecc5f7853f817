# Batch normalization kernels (csrc/batchnorm.h). Included by _kernels.pyx.

cdef extern from "batchnorm.h" nogil:
    void fnn_bn_train_f32(size_t n, size_t k, const float *x, const float *gamma,
                          const float *beta, float *mm, float *mv, double momentum,
                          double eps, float *xhat, float *inv, float *y)
    void fnn_bn_train_f64(size_t n, size_t k, const double *x, const double *gamma,
                          const double *beta, double *mm, double *mv, double momentum,
                          double eps, double *xhat, double *inv, double *y)
    void fnn_bn_infer_f32(size_t n, size_t k, const float *x, const float *gamma,
                          const float *beta, const float *mm, const float *mv, double eps,
                          float *inv, float *y)
    void fnn_bn_infer_f64(size_t n, size_t k, const double *x, const double *gamma,
                          const double *beta, const double *mm, const double *mv,
                          double eps, double *inv, double *y)
    void fnn_bn_backward_f32(size_t n, size_t k, const float *dy, const float *xhat,
                             const float *inv, const float *gamma, int batch_stats,
                             float *dx, float *dgamma, float *dbeta)
    void fnn_bn_backward_f64(size_t n, size_t k, const double *dy, const double *xhat,
                             const double *inv, const double *gamma, int batch_stats,
                             double *dx, double *dgamma, double *dbeta)


cdef inline int _bn_vec(str name, Py_ssize_t k, Py_ssize_t given) except -1:
    if given != k:
        raise ValueError(f"{name} must have {k} values (one per feature), got {given}")
    return 0


def bn_train(const floating[:, ::1] x not None, const floating[::1] gamma,
             const floating[::1] beta, floating[::1] mm not None, floating[::1] mv not None,
             double momentum, double eps, floating[:, ::1] xhat not None,
             floating[::1] inv not None, floating[:, ::1] y not None):
    """Training forward (batch statistics; moves mm, mv). gamma / beta may be None."""
    cdef Py_ssize_t n = x.shape[0], k = x.shape[1]
    if n == 0 or k == 0:
        raise ValueError(f"bn_train: x must have at least one row and one feature, got ({n}, {k})")
    for name, arr in (("gamma", gamma), ("beta", beta)):
        if arr is not None:
            _bn_vec(name, k, arr.shape[0])
    _bn_vec("mm", k, mm.shape[0])
    _bn_vec("mv", k, mv.shape[0])
    _bn_vec("inv", k, inv.shape[0])
    _same_shape2("xhat", (n, k), (xhat.shape[0], xhat.shape[1]))
    _same_shape2("y", (n, k), (y.shape[0], y.shape[1]))
    cdef const floating *pg = &gamma[0] if gamma is not None else NULL
    cdef const floating *pb = &beta[0] if beta is not None else NULL
    with nogil:
        if floating is float:
            fnn_bn_train_f32(n, k, &x[0, 0], pg, pb, &mm[0], &mv[0], momentum, eps,
                             &xhat[0, 0], &inv[0], &y[0, 0])
        else:
            fnn_bn_train_f64(n, k, &x[0, 0], pg, pb, &mm[0], &mv[0], momentum, eps,
                             &xhat[0, 0], &inv[0], &y[0, 0])


def bn_infer(const floating[:, ::1] x not None, const floating[::1] gamma,
             const floating[::1] beta, const floating[::1] mm not None,
             const floating[::1] mv not None, double eps, floating[::1] inv,
             floating[:, ::1] y not None):
    """Inference forward from the moving statistics; inv (per feature) written if given."""
    cdef Py_ssize_t n = x.shape[0], k = x.shape[1]
    if k == 0:
        raise ValueError("bn_infer: x must have at least one feature, got 0")
    for name, arr in (("gamma", gamma), ("beta", beta), ("inv", inv)):
        if arr is not None:
            _bn_vec(name, k, arr.shape[0])
    _bn_vec("mm", k, mm.shape[0])
    _bn_vec("mv", k, mv.shape[0])
    _same_shape2("y", (n, k), (y.shape[0], y.shape[1]))
    cdef const floating *pg = &gamma[0] if gamma is not None else NULL
    cdef const floating *pb = &beta[0] if beta is not None else NULL
    cdef floating *pi = &inv[0] if inv is not None else NULL
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_bn_infer_f32(n, k, &x[0, 0], pg, pb, &mm[0], &mv[0], eps, pi, &y[0, 0])
        else:
            fnn_bn_infer_f64(n, k, &x[0, 0], pg, pb, &mm[0], &mv[0], eps, pi, &y[0, 0])


def bn_backward(const floating[:, ::1] dy not None, const floating[:, ::1] xhat,
                const floating[::1] inv not None, const floating[::1] gamma,
                bint batch_stats, floating[:, ::1] dx, floating[::1] dgamma,
                floating[::1] dbeta):
    """Backward: dgamma, dbeta (either may be None) and dx (None: not wanted); xhat may
    be None with moving statistics and neither dgamma nor dbeta."""
    cdef Py_ssize_t n = dy.shape[0], k = dy.shape[1]
    if n == 0 or k == 0:
        raise ValueError(f"bn_backward: dy must have at least one row and one feature, got ({n}, {k})")
    if xhat is not None:
        _same_shape2("xhat", (n, k), (xhat.shape[0], xhat.shape[1]))
    elif batch_stats or dgamma is not None or dbeta is not None:
        raise ValueError("bn_backward: xhat is needed for batch statistics and for "
                         "dgamma / dbeta, got None")
    _bn_vec("inv", k, inv.shape[0])
    for name, arr in (("gamma", gamma), ("dgamma", dgamma), ("dbeta", dbeta)):
        if arr is not None:
            _bn_vec(name, k, arr.shape[0])
    if dx is not None:
        _same_shape2("dx", (n, k), (dx.shape[0], dx.shape[1]))
    cdef const floating *pg = &gamma[0] if gamma is not None else NULL
    cdef const floating *ph = &xhat[0, 0] if xhat is not None else NULL
    cdef floating *pdx = &dx[0, 0] if dx is not None else NULL
    cdef floating *pdg = &dgamma[0] if dgamma is not None else NULL
    cdef floating *pdb = &dbeta[0] if dbeta is not None else NULL
    with nogil:
        if floating is float:
            fnn_bn_backward_f32(n, k, &dy[0, 0], ph, &inv[0], pg, batch_stats, pdx,
                                pdg, pdb)
        else:
            fnn_bn_backward_f64(n, k, &dy[0, 0], ph, &inv[0], pg, batch_stats, pdx,
                                pdg, pdb)
