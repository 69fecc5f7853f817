# The noise layers' counter-based stream (csrc/noise.h). Included by _kernels.pyx.

cdef extern from "noise.h" nogil:
    int FNN_NOISE_NONE, FNN_NOISE_GAUSSIAN, FNN_NOISE_GAUSSIAN_DROPOUT, FNN_NOISE_ALPHA_DROPOUT
    uint64_t fnn_noise_key(uint64_t seed, uint64_t step)
    int fnn_noise_forward_f32(int kind, double param, uint64_t key, size_t n, const float *x,
                              float *mult, float *y)
    int fnn_noise_forward_f64(int kind, double param, uint64_t key, size_t n,
                              const double *x, double *mult, double *y)

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
