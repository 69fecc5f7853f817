# Layer normalization kernels (csrc/layernorm.h). Included by _kernels.pyx.

cdef extern from "layernorm.h" nogil:
    void fnn_ln_forward_f32(size_t n, size_t k, const float *x, const float *gamma,
                            const float *beta, double eps, int rms, float *xhat, float *stat,
                            float *y)
    void fnn_ln_forward_f64(size_t n, size_t k, const double *x, const double *gamma,
                            const double *beta, double eps, int rms, double *xhat,
                            double *stat, double *y)
    void fnn_ln_backward_f32(size_t n, size_t k, const float *dy, const float *xhat,
                             const float *stat, const float *gamma, int rms, float *dx,
                             float *dgamma, float *dbeta)
    void fnn_ln_backward_f64(size_t n, size_t k, const double *dy, const double *xhat,
                             const double *stat, const double *gamma, int rms, double *dx,
                             double *dgamma, double *dbeta)


def ln_forward(const floating[:, ::1] x not None, const floating[::1] gamma,
               const floating[::1] beta, double eps, bint rms, floating[:, ::1] xhat,
               floating[::1] stat, floating[:, ::1] y not None):
    """Layer normalization of each row of x (n, k) into y (csrc/layernorm.h). gamma /
    beta (k values each) may be None; xhat (n, k) and stat (2n: mean and inverse
    standard deviation per row) are kept for ln_backward when given (both or neither)."""
    cdef Py_ssize_t n = x.shape[0], k = x.shape[1]
    if k == 0:
        raise ValueError("ln_forward: x must have at least one feature, got 0")
    if not eps >= 0:
        raise ValueError(f"ln_forward: eps must be a number >= 0, got {eps!r}")
    for name, arr in (("gamma", gamma), ("beta", beta)):
        if arr is not None:
            _bn_vec(name, k, arr.shape[0])
    _same_shape2("y", (n, k), (y.shape[0], y.shape[1]))
    if (xhat is None) != (stat is None):
        raise ValueError("ln_forward: xhat and stat are given together (or neither)")
    if xhat is not None:
        _same_shape2("xhat", (n, k), (xhat.shape[0], xhat.shape[1]))
        if stat.shape[0] != 2 * n:
            raise ValueError(f"ln_forward: stat must have {2 * n} values (mean and inverse "
                             f"standard deviation per row), got {stat.shape[0]}")
    if n == 0:
        return
    cdef const floating *pg = &gamma[0] if gamma is not None else NULL
    cdef const floating *pb = &beta[0] if beta is not None else NULL
    cdef floating *ph = &xhat[0, 0] if xhat is not None else NULL
    cdef floating *ps = &stat[0] if stat is not None else NULL
    with nogil:
        if floating is float:
            fnn_ln_forward_f32(n, k, &x[0, 0], pg, pb, eps, rms, ph, ps, &y[0, 0])
        else:
            fnn_ln_forward_f64(n, k, &x[0, 0], pg, pb, eps, rms, ph, ps, &y[0, 0])


def ln_backward(const floating[:, ::1] dy not None, const floating[:, ::1] xhat not None,
                const floating[::1] stat not None, const floating[::1] gamma, bint rms,
                floating[:, ::1] dx, floating[::1] dgamma, floating[::1] dbeta):
    """Backward of ln_forward (csrc/layernorm.h) from dy: dx (None: not wanted), dgamma,
    dbeta (each may be None), from the xhat and stat ln_forward kept."""
    cdef Py_ssize_t n = dy.shape[0], k = dy.shape[1]
    if n == 0 or k == 0:
        raise ValueError(f"ln_backward: dy must have at least one row and one feature, got ({n}, {k})")
    _same_shape2("xhat", (n, k), (xhat.shape[0], xhat.shape[1]))
    if stat.shape[0] != 2 * n:
        raise ValueError(f"ln_backward: stat must have {2 * n} values, got {stat.shape[0]}")
    for name, arr in (("gamma", gamma), ("dgamma", dgamma), ("dbeta", dbeta)):
        if arr is not None:
            _bn_vec(name, k, arr.shape[0])
    if dx is not None:
        _same_shape2("dx", (n, k), (dx.shape[0], dx.shape[1]))
    cdef const floating *pg = &gamma[0] if gamma is not None else NULL
    cdef floating *pdx = &dx[0, 0] if dx is not None else NULL
    cdef floating *pdg = &dgamma[0] if dgamma is not None else NULL
    cdef floating *pdb = &dbeta[0] if dbeta is not None else NULL
    with nogil:
        if floating is float:
            fnn_ln_backward_f32(n, k, &dy[0, 0], &xhat[0, 0], &stat[0], pg, rms, pdx, pdg, pdb)
        else:
            fnn_ln_backward_f64(n, k, &dy[0, 0], &xhat[0, 0], &stat[0], pg, rms, pdx, pdg, pdb)
