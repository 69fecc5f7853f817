# Element-wise kernel families: activations, losses, optimizers (csrc/activations.h,
# csrc/losses.h, csrc/optimizers.h). Raw bindings: fastnn.ops validates dtypes and
# shapes for users; here only cheap extent checks that keep C inside its buffers.

cdef extern from "activations.h" nogil:
    int FNN_ACT_COUNT
    int FNN_ACT_NPARAM
    enum:
        FNN_ACT_LINEAR
        FNN_ACT_RELU
        FNN_ACT_SIGMOID
        FNN_ACT_TANH
        FNN_ACT_LEAKY_RELU
        FNN_ACT_ELU
        FNN_ACT_SELU
        FNN_ACT_SOFTPLUS
        FNN_ACT_SOFTSIGN
        FNN_ACT_SILU
        FNN_ACT_GELU
        FNN_ACT_GELU_TANH
        FNN_ACT_HARD_SIGMOID
        FNN_ACT_EXPONENTIAL
        FNN_ACT_SOFTMAX
        FNN_ACT_LOG_SOFTMAX
        FNN_ACT_RELU6
        FNN_ACT_HARD_SILU
        FNN_ACT_MISH
        FNN_ACT_CELU
        FNN_ACT_LOG_SIGMOID
        FNN_ACT_SPARSE_PLUS
        FNN_ACT_SPARSE_SIGMOID
        FNN_ACT_SQUAREPLUS
        FNN_ACT_SOFT_SHRINK
        FNN_ACT_HARD_SHRINK
        FNN_ACT_TANH_SHRINK
        FNN_ACT_HARD_TANH
        FNN_ACT_THRESHOLD
        FNN_ACT_RELU_GENERAL
    void fnn_act_forward_f32(int act, const double *param, size_t rows, size_t cols,
                             const float *z, float *a)
    void fnn_act_forward_f64(int act, const double *param, size_t rows, size_t cols,
                             const double *z, double *a)
    void fnn_act_backward_f32(int act, const double *param, size_t rows, size_t cols,
                              const float *z, const float *a, const float *da, float *dz)
    void fnn_act_backward_f64(int act, const double *param, size_t rows, size_t cols,
                              const double *z, const double *a, const double *da,
                              double *dz)


# The activation codes (csrc/activations.h), by the name fastnn._codes.ACTIVATIONS gives
# them: one name for every code.
ACT_CODES = {
    "linear": FNN_ACT_LINEAR, "relu": FNN_ACT_RELU, "sigmoid": FNN_ACT_SIGMOID,
    "tanh": FNN_ACT_TANH, "leaky_relu": FNN_ACT_LEAKY_RELU, "elu": FNN_ACT_ELU,
    "selu": FNN_ACT_SELU, "softplus": FNN_ACT_SOFTPLUS, "softsign": FNN_ACT_SOFTSIGN,
    "silu": FNN_ACT_SILU, "gelu": FNN_ACT_GELU, "gelu_tanh": FNN_ACT_GELU_TANH,
    "hard_sigmoid": FNN_ACT_HARD_SIGMOID, "exponential": FNN_ACT_EXPONENTIAL,
    "softmax": FNN_ACT_SOFTMAX, "log_softmax": FNN_ACT_LOG_SOFTMAX,
    "relu6": FNN_ACT_RELU6, "hard_silu": FNN_ACT_HARD_SILU, "mish": FNN_ACT_MISH,
    "celu": FNN_ACT_CELU, "log_sigmoid": FNN_ACT_LOG_SIGMOID,
    "sparse_plus": FNN_ACT_SPARSE_PLUS, "sparse_sigmoid": FNN_ACT_SPARSE_SIGMOID,
    "squareplus": FNN_ACT_SQUAREPLUS, "soft_shrink": FNN_ACT_SOFT_SHRINK,
    "hard_shrink": FNN_ACT_HARD_SHRINK, "tanh_shrink": FNN_ACT_TANH_SHRINK,
    "hard_tanh": FNN_ACT_HARD_TANH, "threshold": FNN_ACT_THRESHOLD,
    "relu_general": FNN_ACT_RELU_GENERAL,
}
ACT_COUNT = FNN_ACT_COUNT
ACT_NPARAM = FNN_ACT_NPARAM


cdef inline int _check_act(int act) except -1:
    if act < 0 or act >= FNN_ACT_COUNT:
        raise ValueError(f"activation code must be in [0, {FNN_ACT_COUNT}), got {act}")
    return 0


cdef int _act_params(object param, double *out) except -1:
    """An activation's parameters (csrc/activations.h) into out[0:3]: one number (the
    first parameter, the others 0) or a tuple/list of up to 3 numbers."""
    cdef Py_ssize_t i, n
    out[0] = out[1] = out[2] = 0.0
    if type(param) is float or type(param) is int:
        out[0] = param
        return 0
    if isinstance(param, (tuple, list)):
        n = len(param)
        if n > FNN_ACT_NPARAM:
            raise ValueError(f"activation parameters: at most {FNN_ACT_NPARAM} numbers, "
                             f"got {n}")
        for i in range(n):
            out[i] = _act_number(param[i])
        return 0
    out[0] = _act_number(param)
    return 0


cdef double _act_number(object v) except? -1.0:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                             np.floating)):
        raise TypeError(f"activation parameters must be real numbers, got "
                        f"{type(v).__name__} {v!r}")
    return float(v)


cdef inline int _same_shape2(str name, tuple expected, tuple given) except -1:
    if expected != given:
        raise ValueError(f"{name} must have shape {expected}, got {given}")
    return 0


def act_forward(int act, param, const floating[:, ::1] z not None,
                floating[:, ::1] a not None):
    """a = f(z) on a 2-D C-contiguous block (a may be z). Softmax kinds work per row.
    param: the activation's parameter, or a tuple of up to ACT_NPARAM of them."""
    _check_act(act)
    cdef double p[3]
    _act_params(param, p)
    cdef size_t rows = z.shape[0], cols = z.shape[1]
    _same_shape2("a", (z.shape[0], z.shape[1]), (a.shape[0], a.shape[1]))
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            fnn_act_forward_f32(act, p, rows, cols, &z[0, 0], &a[0, 0])
        else:
            fnn_act_forward_f64(act, p, rows, cols, &z[0, 0], &a[0, 0])


def act_backward(int act, param, const floating[:, ::1] z not None,
                 const floating[:, ::1] a not None,
                 const floating[:, ::1] da not None, floating[:, ::1] dz not None):
    """dz = da * f'(z) (vector-Jacobian product for softmax kinds); dz may be da.
    param: as act_forward's."""
    _check_act(act)
    cdef double p[3]
    _act_params(param, p)
    cdef size_t rows = z.shape[0], cols = z.shape[1]
    shape = (z.shape[0], z.shape[1])
    _same_shape2("a", shape, (a.shape[0], a.shape[1]))
    _same_shape2("da", shape, (da.shape[0], da.shape[1]))
    _same_shape2("dz", shape, (dz.shape[0], dz.shape[1]))
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            fnn_act_backward_f32(act, p, rows, cols, &z[0, 0], &a[0, 0], &da[0, 0],
                                 &dz[0, 0])
        else:
            fnn_act_backward_f64(act, p, rows, cols, &z[0, 0], &a[0, 0], &da[0, 0],
                                 &dz[0, 0])


cdef extern from "losses.h" nogil:
    int FNN_LOSS_SPARSE_CCE_LOGITS
    int FNN_LOSS_CCE_LOGITS
    int FNN_LOSS_BCE_LOGITS
    int FNN_LOSS_SPARSE_CCE_PROBS
    int FNN_LOSS_CCE_PROBS
    int FNN_LOSS_BCE_PROBS
    int FNN_LOSS_MSE
    int FNN_LOSS_MAE
    int FNN_LOSS_HUBER
    int FNN_LOSS_KLD
    int FNN_LOSS_POISSON
    int FNN_LOSS_LOG_COSH
    int FNN_LOSS_HINGE
    int FNN_LOSS_SQUARED_HINGE
    int FNN_LOSS_CAT_HINGE
    int FNN_LOSS_COSINE
    int FNN_LOSS_MAPE
    int FNN_LOSS_MSLE
    int FNN_LOSS_BFOCAL_PROBS
    int FNN_LOSS_BFOCAL_LOGITS
    int FNN_LOSS_CFOCAL_PROBS
    int FNN_LOSS_CFOCAL_LOGITS
    int FNN_LOSS_DICE
    int FNN_LOSS_TVERSKY
    int FNN_LOSS_COUNT
    int FNN_LOSS_NPARAMS
    double fnn_loss_f32(int loss, double param, size_t n, size_t k, const float *y_true,
                        const float *y_pred, const float *sw, float grad_scale,
                        float *grad, float *per_sample)
    double fnn_loss_f64(int loss, double param, size_t n, size_t k, const double *y_true,
                        const double *y_pred, const double *sw, double grad_scale,
                        double *grad, double *per_sample)
    double fnn_loss_params_f32(int loss, const double *params, const double *class_alpha,
                               size_t n, size_t k, const float *y_true, const float *y_pred,
                               const float *sw, float grad_scale, float *grad,
                               float *per_sample)
    double fnn_loss_params_f64(int loss, const double *params, const double *class_alpha,
                               size_t n, size_t k, const double *y_true, const double *y_pred,
                               const double *sw, double grad_scale, double *grad,
                               double *per_sample)


# The loss kernels' codes (csrc/losses.h), by the name fastnn._codes.LOSSES gives them.
LOSS_CODES = {
    "sparse_categorical_crossentropy_logits": FNN_LOSS_SPARSE_CCE_LOGITS,
    "categorical_crossentropy_logits": FNN_LOSS_CCE_LOGITS,
    "binary_crossentropy_logits": FNN_LOSS_BCE_LOGITS,
    "sparse_categorical_crossentropy": FNN_LOSS_SPARSE_CCE_PROBS,
    "categorical_crossentropy": FNN_LOSS_CCE_PROBS,
    "binary_crossentropy": FNN_LOSS_BCE_PROBS,
    "mean_squared_error": FNN_LOSS_MSE,
    "mean_absolute_error": FNN_LOSS_MAE,
    "huber": FNN_LOSS_HUBER,
    "kl_divergence": FNN_LOSS_KLD,
    "poisson": FNN_LOSS_POISSON,
    "log_cosh": FNN_LOSS_LOG_COSH,
    "hinge": FNN_LOSS_HINGE,
    "squared_hinge": FNN_LOSS_SQUARED_HINGE,
    "categorical_hinge": FNN_LOSS_CAT_HINGE,
    "cosine_similarity": FNN_LOSS_COSINE,
    "mean_absolute_percentage_error": FNN_LOSS_MAPE,
    "mean_squared_logarithmic_error": FNN_LOSS_MSLE,
    "binary_focal_crossentropy": FNN_LOSS_BFOCAL_PROBS,
    "binary_focal_crossentropy_logits": FNN_LOSS_BFOCAL_LOGITS,
    "categorical_focal_crossentropy": FNN_LOSS_CFOCAL_PROBS,
    "categorical_focal_crossentropy_logits": FNN_LOSS_CFOCAL_LOGITS,
    "dice": FNN_LOSS_DICE,
    "tversky": FNN_LOSS_TVERSKY,
}
LOSS_COUNT = FNN_LOSS_COUNT
LOSS_NPARAMS = FNN_LOSS_NPARAMS


def loss(int kind, double param, const floating[:, ::1] y_true not None,
         const floating[:, ::1] y_pred not None,
         const floating[::1] sw, double grad_scale, floating[:, ::1] grad,
         floating[::1] per_sample, params=None, class_alpha=None):
    """sum_i w_i l_i (a float); grad (n x k) and per_sample (n) are optional outputs.
    y_true is n x 1 class indices for the sparse kinds, else n x k. sw may be None.
    params: None (the parameters are (param, 0, 0, 0)) or a sequence of LOSS_NPARAMS
    floats (csrc/losses.h: fnn_loss_params), which param then does not count.
    class_alpha: None, or the focal cross-entropy's alpha of each of the k classes."""
    if kind < 0 or kind >= FNN_LOSS_COUNT:
        raise ValueError(f"loss code must be in [0, {FNN_LOSS_COUNT}), got {kind}")
    cdef double pr[8]
    cdef int pi
    if params is None:
        params = (param,)
    params = tuple(float(v) for v in params)
    if len(params) > FNN_LOSS_NPARAMS:
        raise ValueError(f"params must hold at most {FNN_LOSS_NPARAMS} numbers, got "
                         f"{len(params)}")
    for pi in range(FNN_LOSS_NPARAMS):
        pr[pi] = params[pi] if pi < len(params) else 0.0
    cdef const double[::1] ca
    cdef const double *pca = NULL
    if class_alpha is not None:
        ca = np.ascontiguousarray(class_alpha, dtype=np.float64).reshape(-1)
        if <size_t>ca.shape[0] != <size_t>y_pred.shape[1]:
            raise ValueError(f"class_alpha must hold one number per class "
                             f"({y_pred.shape[1]}), got {ca.shape[0]}")
        if ca.shape[0]:
            pca = &ca[0]
    cdef size_t n = y_pred.shape[0], k = y_pred.shape[1], i
    cdef bint sparse = kind == FNN_LOSS_SPARSE_CCE_LOGITS or kind == FNN_LOSS_SPARSE_CCE_PROBS
    _same_shape2("y_true", (y_pred.shape[0], 1 if sparse else y_pred.shape[1]),
                 (y_true.shape[0], y_true.shape[1]))
    if sw is not None and <size_t>sw.shape[0] != n:
        raise ValueError(f"sw must have shape ({n},), got ({sw.shape[0]},)")
    if grad is not None:
        _same_shape2("grad", (y_pred.shape[0], y_pred.shape[1]),
                     (grad.shape[0], grad.shape[1]))
    if per_sample is not None and <size_t>per_sample.shape[0] != n:
        raise ValueError(f"per_sample must have shape ({n},), got ({per_sample.shape[0]},)")
    if n == 0 or k == 0:
        return 0.0
    if sparse:
        for i in range(n):
            if not (0 <= y_true[i, 0] < k):
                raise ValueError(f"y_true[{i}] = {y_true[i, 0]} is not a class index "
                                 f"in [0, {k})")
    cdef const floating *psw = &sw[0] if sw is not None else NULL
    cdef floating *pg = &grad[0, 0] if grad is not None else NULL
    cdef floating *pps = &per_sample[0] if per_sample is not None else NULL
    cdef double out
    with nogil:
        if floating is float:
            out = fnn_loss_params_f32(kind, pr, pca, n, k, &y_true[0, 0], &y_pred[0, 0],
                                      psw, <float>grad_scale, pg, pps)
        else:
            out = fnn_loss_params_f64(kind, pr, pca, n, k, &y_true[0, 0], &y_pred[0, 0],
                                      psw, grad_scale, pg, pps)
    return out


cdef extern from "optimizers.h" nogil:
    void fnn_sgd_f32(size_t n, float *w, const float *g, float *m, double lr,
                     double momentum, int nesterov, double wd_lr)
    void fnn_sgd_f64(size_t n, double *w, const double *g, double *m, double lr,
                     double momentum, int nesterov, double wd_lr)
    void fnn_adam_f32(size_t n, float *w, const float *g, float *m, float *v,
                      double alpha_t, double beta1, double beta2, double eps, double wd_lr)
    void fnn_adam_f64(size_t n, double *w, const double *g, double *m, double *v,
                      double alpha_t, double beta1, double beta2, double eps, double wd_lr)
    void fnn_rmsprop_f32(size_t n, float *w, const float *g, float *v, float *mg,
                         float *mom, double lr, double rho, double momentum, double eps,
                         int centered, double wd_lr)
    void fnn_rmsprop_f64(size_t n, double *w, const double *g, double *v, double *mg,
                         double *mom, double lr, double rho, double momentum, double eps,
                         int centered, double wd_lr)
    void fnn_adagrad_f32(size_t n, float *w, const float *g, float *acc, double lr,
                         double eps, double wd_lr)
    void fnn_adagrad_f64(size_t n, double *w, const double *g, double *acc, double lr,
                         double eps, double wd_lr)
    void fnn_nadam_f32(size_t n, float *w, const float *g, float *m, float *v, double lr,
                       double c_m, double c_g, double d2, double beta1, double beta2,
                       double eps, double wd_lr)
    void fnn_nadam_f64(size_t n, double *w, const double *g, double *m, double *v,
                       double lr, double c_m, double c_g, double d2, double beta1,
                       double beta2, double eps, double wd_lr)
    void fnn_adamax_f32(size_t n, float *w, const float *g, float *m, float *u, double lr,
                        double d1, double beta1, double beta2, double eps, double wd_lr)
    void fnn_adamax_f64(size_t n, double *w, const double *g, double *m, double *u,
                        double lr, double d1, double beta1, double beta2, double eps,
                        double wd_lr)
    void fnn_adam_amsgrad_f32(size_t n, float *w, const float *g, float *m, float *v,
                              float *vhat, double alpha_t, double beta1, double beta2,
                              double eps, double wd_lr)
    void fnn_adam_amsgrad_f64(size_t n, double *w, const double *g, double *m, double *v,
                              double *vhat, double alpha_t, double beta1, double beta2,
                              double eps, double wd_lr)
    void fnn_adadelta_f32(size_t n, float *w, const float *g, float *ag, float *ad, double lr,
                          double rho, double eps, double wd_lr)
    void fnn_adadelta_f64(size_t n, double *w, const double *g, double *ag, double *ad,
                          double lr, double rho, double eps, double wd_lr)
    void fnn_lion_f32(size_t n, float *w, const float *g, float *m, double lr, double beta1,
                      double beta2, double wd_lr)
    void fnn_lion_f64(size_t n, double *w, const double *g, double *m, double lr,
                      double beta1, double beta2, double wd_lr)
    void fnn_ftrl_f32(size_t n, float *w, const float *g, float *acc, float *z, double lr,
                      double lr_power, double l1, double l2, double shrinkage, double beta,
                      double wd)
    void fnn_ftrl_f64(size_t n, double *w, const double *g, double *acc, double *z,
                      double lr, double lr_power, double l1, double l2, double shrinkage,
                      double beta, double wd)
    int fnn_ftrl_finite_f32(size_t n, const float *w, const float *g, const float *acc,
                            const float *z, double lr, double lr_power, double l1,
                            double l2, double shrinkage, double beta, double wd)
    int fnn_ftrl_finite_f64(size_t n, const double *w, const double *g, const double *acc,
                            const double *z, double lr, double lr_power, double l1,
                            double l2, double shrinkage, double beta, double wd)
    double fnn_sumsq_f32(size_t n, const float *g)
    double fnn_sumsq_f64(size_t n, const double *g)


cdef inline int _same_len(str name, Py_ssize_t n, Py_ssize_t given) except -1:
    if n != given:
        raise ValueError(f"{name} must have {n} elements like w, got {given}")
    return 0


def sgd_update(floating[::1] w not None, const floating[::1] g not None, floating[::1] m,
               double lr, double momentum, bint nesterov, double wd_lr):
    """In place; m may be None when momentum == 0."""
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    if momentum != 0.0:
        if m is None:
            raise ValueError("m is required when momentum != 0")
        _same_len("m", w.shape[0], m.shape[0])
    if n == 0:
        return
    cdef floating *pm = &m[0] if (m is not None and momentum != 0.0) else NULL
    with nogil:
        if floating is float:
            fnn_sgd_f32(n, &w[0], &g[0], pm, lr, momentum, nesterov, wd_lr)
        else:
            fnn_sgd_f64(n, &w[0], &g[0], pm, lr, momentum, nesterov, wd_lr)


def adam_update(floating[::1] w not None, const floating[::1] g not None,
                floating[::1] m not None, floating[::1] v not None, double alpha_t,
                double beta1, double beta2, double eps, double wd_lr):
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("m", w.shape[0], m.shape[0])
    _same_len("v", w.shape[0], v.shape[0])
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_adam_f32(n, &w[0], &g[0], &m[0], &v[0], alpha_t, beta1, beta2, eps, wd_lr)
        else:
            fnn_adam_f64(n, &w[0], &g[0], &m[0], &v[0], alpha_t, beta1, beta2, eps, wd_lr)


def rmsprop_update(floating[::1] w not None, const floating[::1] g not None,
                   floating[::1] v not None, floating[::1] mg, floating[::1] mom,
                   double lr, double rho, double momentum, double eps, bint centered,
                   double wd_lr):
    """In place; mg may be None unless centered, mom None unless momentum > 0."""
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("v", w.shape[0], v.shape[0])
    if centered:
        if mg is None:
            raise ValueError("mg is required when centered")
        _same_len("mg", w.shape[0], mg.shape[0])
    if momentum > 0:
        if mom is None:
            raise ValueError("mom is required when momentum > 0")
        _same_len("mom", w.shape[0], mom.shape[0])
    if n == 0:
        return
    cdef floating *pmg = &mg[0] if centered else NULL
    cdef floating *pmom = &mom[0] if momentum > 0 else NULL
    with nogil:
        if floating is float:
            fnn_rmsprop_f32(n, &w[0], &g[0], &v[0], pmg, pmom, lr, rho, momentum, eps,
                            centered, wd_lr)
        else:
            fnn_rmsprop_f64(n, &w[0], &g[0], &v[0], pmg, pmom, lr, rho, momentum, eps,
                            centered, wd_lr)


def sumsq(const floating[::1] g not None):
    """Sum of g**2 in double, in the engine's order (clipping by norm on both paths)."""
    cdef size_t n = g.shape[0]
    cdef double total = 0.0
    if n == 0:
        return total
    with nogil:
        if floating is float:
            total = fnn_sumsq_f32(n, &g[0])
        else:
            total = fnn_sumsq_f64(n, &g[0])
    return total


def adagrad_update(floating[::1] w not None, const floating[::1] g not None,
                   floating[::1] acc not None, double lr, double eps, double wd_lr):
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("acc", w.shape[0], acc.shape[0])
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_adagrad_f32(n, &w[0], &g[0], &acc[0], lr, eps, wd_lr)
        else:
            fnn_adagrad_f64(n, &w[0], &g[0], &acc[0], lr, eps, wd_lr)


def nadam_update(floating[::1] w not None, const floating[::1] g not None,
                 floating[::1] m not None, floating[::1] v not None, double lr, double c_m,
                 double c_g, double d2, double beta1, double beta2, double eps,
                 double wd_lr):
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("m", w.shape[0], m.shape[0])
    _same_len("v", w.shape[0], v.shape[0])
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_nadam_f32(n, &w[0], &g[0], &m[0], &v[0], lr, c_m, c_g, d2, beta1, beta2,
                          eps, wd_lr)
        else:
            fnn_nadam_f64(n, &w[0], &g[0], &m[0], &v[0], lr, c_m, c_g, d2, beta1, beta2,
                          eps, wd_lr)


def adamax_update(floating[::1] w not None, const floating[::1] g not None,
                  floating[::1] m not None, floating[::1] u not None, double lr, double d1,
                  double beta1, double beta2, double eps, double wd_lr):
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("m", w.shape[0], m.shape[0])
    _same_len("u", w.shape[0], u.shape[0])
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_adamax_f32(n, &w[0], &g[0], &m[0], &u[0], lr, d1, beta1, beta2, eps, wd_lr)
        else:
            fnn_adamax_f64(n, &w[0], &g[0], &m[0], &u[0], lr, d1, beta1, beta2, eps, wd_lr)


def adam_amsgrad_update(floating[::1] w not None, const floating[::1] g not None,
                        floating[::1] m not None, floating[::1] v not None,
                        floating[::1] vhat not None, double alpha_t, double beta1,
                        double beta2, double eps, double wd_lr):
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("m", w.shape[0], m.shape[0])
    _same_len("v", w.shape[0], v.shape[0])
    _same_len("vhat", w.shape[0], vhat.shape[0])
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_adam_amsgrad_f32(n, &w[0], &g[0], &m[0], &v[0], &vhat[0], alpha_t, beta1,
                                 beta2, eps, wd_lr)
        else:
            fnn_adam_amsgrad_f64(n, &w[0], &g[0], &m[0], &v[0], &vhat[0], alpha_t, beta1,
                                 beta2, eps, wd_lr)


def adadelta_update(floating[::1] w not None, const floating[::1] g not None,
                    floating[::1] ag not None, floating[::1] ad not None, double lr,
                    double rho, double eps, double wd_lr):
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("ag", w.shape[0], ag.shape[0])
    _same_len("ad", w.shape[0], ad.shape[0])
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_adadelta_f32(n, &w[0], &g[0], &ag[0], &ad[0], lr, rho, eps, wd_lr)
        else:
            fnn_adadelta_f64(n, &w[0], &g[0], &ag[0], &ad[0], lr, rho, eps, wd_lr)


def lion_update(floating[::1] w not None, const floating[::1] g not None,
                floating[::1] m not None, double lr, double beta1, double beta2,
                double wd_lr):
    cdef size_t n = w.shape[0]
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("m", w.shape[0], m.shape[0])
    if n == 0:
        return
    with nogil:
        if floating is float:
            fnn_lion_f32(n, &w[0], &g[0], &m[0], lr, beta1, beta2, wd_lr)
        else:
            fnn_lion_f64(n, &w[0], &g[0], &m[0], lr, beta1, beta2, wd_lr)


def ftrl_update(floating[::1] w not None, const floating[::1] g not None,
                floating[::1] acc not None, floating[::1] z not None, double lr,
                double lr_power, double l1, double l2, double shrinkage, double beta,
                double wd, bint check_only=False):
    """Ftrl's step in place (csrc/optimizers.h, fnn_ftrl); with check_only, nothing is
    written and the result says whether every new value would be finite."""
    cdef size_t n = w.shape[0]
    cdef int ok = 1
    _same_len("g", w.shape[0], g.shape[0])
    _same_len("acc", w.shape[0], acc.shape[0])
    _same_len("z", w.shape[0], z.shape[0])
    if not lr > 0:
        raise ValueError(f"ftrl_update: lr must be > 0, got {lr!r}")
    if n == 0:
        return True
    with nogil:
        if check_only:
            if floating is float:
                ok = fnn_ftrl_finite_f32(n, &w[0], &g[0], &acc[0], &z[0], lr, lr_power, l1,
                                         l2, shrinkage, beta, wd)
            else:
                ok = fnn_ftrl_finite_f64(n, &w[0], &g[0], &acc[0], &z[0], lr, lr_power, l1,
                                         l2, shrinkage, beta, wd)
        elif floating is float:
            fnn_ftrl_f32(n, &w[0], &g[0], &acc[0], &z[0], lr, lr_power, l1, l2, shrinkage,
                         beta, wd)
        else:
            fnn_ftrl_f64(n, &w[0], &g[0], &acc[0], &z[0], lr, lr_power, l1, l2, shrinkage,
                         beta, wd)
    return bool(ok)


cdef extern from "checks.h" nogil:
    int fnn_all_finite_f32(size_t n, const float *x)
    int fnn_all_finite_f64(size_t n, const double *x)


def all_finite(const floating[::1] x not None):
    """True when no value of the 1-D contiguous array x is NaN or +-Inf (one pass)."""
    cdef size_t n = x.shape[0]
    cdef int ok = 1
    if n == 0:
        return True
    with nogil:
        if floating is float:
            ok = fnn_all_finite_f32(n, &x[0])
        else:
            ok = fnn_all_finite_f64(n, &x[0])
    return ok != 0
