# The noise layers' counter-based stream (csrc/noise.h). Included by _kernels.pyx.

cdef extern from "noise.h" nogil:
    int FNN_NOISE_NONE, FNN_NOISE_GAUSSIAN, FNN_NOISE_GAUSSIAN_DROPOUT, FNN_NOISE_ALPHA_DROPOUT
    uint64_t fnn_noise_key(uint64_t seed, uint64_t step)
    int fnn_noise_forward_f32(int kind, double param, uint64_t key, size_t n, const float *x,
                              float *mult, float *y)
    int fnn_noise_forward_f64(int kind, double param, uint64_t key, size_t n,
                              const double *x, double *mult, double *y)

    uint64_t fnn_dropout_key(uint64_t net_seed, uint64_t step, uint64_t l)
    void fnn_dropout_forward_f32(double rate, uint64_t key, size_t n, const float *x,
                                 float *mask, float *y)
    void fnn_dropout_forward_f64(double rate, uint64_t key, size_t n, const double *x,
                                 double *mask, double *y)

# The noise kinds by layer (csrc/noise.h FNN_NOISE_*).
NOISE_CODES = {"GaussianNoise": FNN_NOISE_GAUSSIAN, "GaussianDropout": FNN_NOISE_GAUSSIAN_DROPOUT,
               "AlphaDropout": FNN_NOISE_ALPHA_DROPOUT}


def noise_key(unsigned long long seed, unsigned long long step):
    """The key of the noise a layer seeded `seed` draws at training step `step`
    (csrc/noise.h)."""
    return fnn_noise_key(seed, step)


def noise_forward(int kind, double param, unsigned long long key,
                  const floating[::1] x not None, floating[::1] mult, floating[::1] y not None):
    """y = x with the noise of `kind` (NOISE_CODES' values) keyed by `key`; mult (may be
    None) receives dy/dx for the two dropouts (csrc/noise.h). x and y are flat."""
    cdef size_t n = x.shape[0]
    cdef int rc
    if kind not in (FNN_NOISE_GAUSSIAN, FNN_NOISE_GAUSSIAN_DROPOUT, FNN_NOISE_ALPHA_DROPOUT):
        raise ValueError(f"noise_forward: kind must be one of {sorted(NOISE_CODES.values())}, "
                         f"got {kind}")
    if kind == FNN_NOISE_GAUSSIAN:
        if not 0 <= param <= 1:
            raise ValueError(f"noise_forward: stddev must be in [0, 1], got {param!r}")
    elif not 0 <= param < 1:
        raise ValueError(f"noise_forward: rate must be in [0, 1), got {param!r}")
    if <size_t>y.shape[0] != n or (mult is not None and <size_t>mult.shape[0] != n):
        raise ValueError(f"noise_forward: y and mult must have x's {n} values, got "
                         f"{y.shape[0]} and {None if mult is None else mult.shape[0]}")
    if n == 0:
        return
    cdef floating *pm = &mult[0] if mult is not None else NULL
    with nogil:
        if floating is float:
            rc = fnn_noise_forward_f32(kind, param, key, n, &x[0], pm, &y[0])
        else:
            rc = fnn_noise_forward_f64(kind, param, key, n, &x[0], pm, &y[0])


def dropout_key(unsigned long long net_seed, unsigned long long step, unsigned long long l):
    """The key of the C engine's dropout mask after its layer l at step `step`, for a
    net whose dropout seed is net_seed (csrc/noise.h)."""
    return fnn_dropout_key(net_seed, step, l)


def dropout_forward(double rate, unsigned long long key, const floating[::1] x not None,
                    floating[::1] mask not None, floating[::1] y not None):
    """Inverted dropout of flat x from the stream keyed by `key` (csrc/noise.h): mask
    (0 or 1 / (1 - rate)) and y = x * mask."""
    cdef size_t n = x.shape[0]
    if not 0 <= rate < 1:
        raise ValueError(f"dropout_forward: rate must be in [0, 1), got {rate!r}")
    if <size_t>y.shape[0] != n or <size_t>mask.shape[0] != n:
        raise ValueError(f"dropout_forward: mask and y must have x's {n} values, got "
                         f"{mask.shape[0]} and {y.shape[0]}")
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_dropout_forward_f32(rate, key, n, &x[0], &mask[0], &y[0])
        else:
            fnn_dropout_forward_f64(rate, key, n, &x[0], &mask[0], &y[0])
