"""The math of fastnn's kernels in plain, vectorised NumPy.

The oracle for the tests and the baseline for the benchmarks. Same names and signatures
as fastnn.ops; computes in the dtype of its inputs and validates nothing (ops does that).
Readable first: each function is the formula from Keras 3 (see the notes in
shared/reference), written in its numerically stable form.
"""
import math

import numpy as np

from fastnn._codes import ACTIVATION_ALIASES, ACTIVATIONS

EPSILON = 1e-7  # keras.backend.epsilon(): the clip of the probability losses
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715

# NumPy has no erf ufunc; math.erf through frompyfunc is exact (to double precision)
# but runs element by element: the one non-vectorised spot, used by gelu only.
_erf_obj = np.frompyfunc(math.erf, 1, 1)


def _erf(x):
    return _erf_obj(x.astype(np.float64)).astype(np.float64).astype(x.dtype)


def _c(x, v):
    """Python scalar v as a NumPy scalar of x's dtype (keeps float32 math float32)."""
    return np.asarray(v, dtype=x.dtype)


# ----------------------------------------------------------------------------- matmul
def matmul(a, b):
    return np.matmul(a, b)


def dense_forward(x, kernel, bias=None, activation="linear"):
    z = x @ kernel
    if bias is not None:
        z = z + bias
    return z, activation_forward(activation, z)


def dense(x, kernel, bias=None, activation="linear"):
    return dense_forward(x, kernel, bias, activation)[1]


def dense_backward(x, kernel, dz, need_dx=True):
    """Gradients of z = x @ kernel + bias given dz: (dkernel, dbias, dx or None)."""
    return x.T @ dz, dz.sum(axis=0), (dz @ kernel.T if need_dx else None)


# ------------------------------------------------------------------------ activations
def linear(x):
    return x


def relu(x):
    return np.maximum(x, _c(x, 0))


def sigmoid(x):
    # exp of -|x| only: never overflows
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x, negative_slope=0.2):
    return np.where(x >= 0, x, _c(x, negative_slope) * x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, _c(x, alpha) * np.expm1(np.minimum(x, _c(x, 0))))


def selu(x):
    return _c(x, SELU_SCALE) * elu(x, SELU_ALPHA)


def softplus(x):
    return np.maximum(x, _c(x, 0)) + np.log1p(np.exp(-np.abs(x)))


def softsign(x):
    return x / (1 + np.abs(x))


def silu(x):
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate=False):
    if approximate:
        u = _c(x, _SQRT_2_OVER_PI) * (x + _c(x, _GELU_C) * x ** 3)
        return _c(x, 0.5) * x * (1 + np.tanh(u))
    return _c(x, 0.5) * x * (1 + _erf(x * _c(x, 1 / math.sqrt(2.0))))


def hard_sigmoid(x):
    return np.clip(x / _c(x, 6) + _c(x, 0.5), 0, 1).astype(x.dtype)


def exponential(x):
    return np.exp(x)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def relu6(x):
    return np.minimum(np.maximum(x, _c(x, 0)), _c(x, 6))


def hard_silu(x):
    return x * hard_sigmoid(x)


def mish(x):
    return x * np.tanh(softplus(x))


def celu(x, alpha=1.0):
    a = _c(x, alpha)
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, _c(x, 0)) / a))


def log_sigmoid(x):
    return -softplus(-x)


def sparse_plus(x):
    return np.where(x <= -1, _c(x, 0), np.where(x < 1, _c(x, 0.25) * (x + 1) ** 2, x))


def sparse_sigmoid(x):
    return np.where(x <= -1, _c(x, 0), np.where(x >= 1, _c(x, 1), _c(x, 0.5) * (x + 1)))


def _squareplus_s(x, b):
    """sqrt(x**2 + b) without overflowing x**2."""
    return np.hypot(x, np.sqrt(_c(x, b)))


def squareplus(x, b=4):
    # (x + s) / 2; for x < 0 the same value as b / (2 (s - x)), which does not cancel
    s = _squareplus_s(x, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        neg = _c(x, b) / (2 * (s - x))
    return np.where(x >= 0, x / 2 + s / 2, neg).astype(x.dtype)


def soft_shrink(x, threshold=0.5):
    t = _c(x, threshold)
    return np.where(x > t, x - t, np.where(x < -t, x + t, _c(x, 0)))


def hard_shrink(x, threshold=0.5):
    return np.where(np.abs(x) > _c(x, threshold), x, _c(x, 0))


# x - tanh(x) = sum_k c_k x^(2k+1): c_k from the Bernoulli numbers (tanh's series),
# for small |x| where the difference cancels.
def _tanh_series_coefficients(count):
    from fractions import Fraction
    bern = [Fraction(1)]
    for m in range(1, 2 * count + 4):
        bern.append(-sum(math.comb(m + 1, k) * bern[k] for k in range(m)) / (m + 1))
    # tanh x = sum_{n>=1} 2^2n (2^2n - 1) B_2n x^(2n-1) / (2n)!
    return [float(-Fraction(2 ** (2 * n) * (2 ** (2 * n) - 1)) * bern[2 * n]
                  / math.factorial(2 * n)) for n in range(2, count + 2)]


_TANH_SHRINK_C = _tanh_series_coefficients(16)


def tanh_shrink(x):
    d = x.astype(np.float64)
    s = d * d
    series = np.zeros_like(d)
    for c in reversed(_TANH_SHRINK_C):
        series = series * s + c
    return np.where(np.abs(d) < 0.3, d * s * series, d - np.tanh(d)).astype(x.dtype)


def hard_tanh(x):
    return np.clip(x, _c(x, -1), _c(x, 1))


def threshold(x, threshold=0.0, default_value=0.0):
    # Keras requires both parameters; the defaults are fastnn._codes' table defaults
    return np.where(x > _c(x, threshold), x, _c(x, default_value))


def relu_general(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """keras.activations.relu with its options (ReLU.static_call's steps)."""
    if max_value is not None and math.isnan(max_value):
        max_value = None
    t = _c(x, threshold)
    out = np.where(x > t, x, _c(x, 0)) if threshold != 0 else relu(x)
    if max_value is not None:
        out = np.minimum(np.maximum(out, _c(x, 0)), _c(x, max_value))
    if negative_slope != 0:
        out = out - _c(x, negative_slope) * relu(t - x)
    return out


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    with np.errstate(divide="ignore"):
        out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _derivative(name, z, a, params):
    """f'(z) element-wise (softmax kinds are handled by activation_grad)."""
    one = _c(z, 1)
    if name == "linear":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "sigmoid":
        return a * (one - a)
    if name == "tanh":
        return one - a * a
    if name == "leaky_relu":
        return np.where(z >= 0, one, _c(z, params.get("negative_slope", 0.2)))
    if name == "elu":
        alpha = _c(z, params.get("alpha", 1.0))
        return np.where(z > 0, one, alpha * np.exp(np.minimum(z, _c(z, 0))))
    if name == "selu":
        return _c(z, SELU_SCALE) * np.where(
            z > 0, one, _c(z, SELU_ALPHA) * np.exp(np.minimum(z, _c(z, 0))))
    if name == "softplus":
        return sigmoid(z)
    if name == "softsign":
        return one / (one + np.abs(z)) ** 2
    if name == "silu":
        s = sigmoid(z)
        return s * (one + z * (one - s))
    if name == "gelu":
        return (_c(z, 0.5) * (one + _erf(z * _c(z, 1 / math.sqrt(2.0))))
                + z * _c(z, 1 / math.sqrt(2 * math.pi)) * np.exp(_c(z, -0.5) * z * z))
    if name == "gelu_tanh":
        k = _c(z, _GELU_C)
        c = _c(z, _SQRT_2_OVER_PI)
        t = np.tanh(c * (z + k * z ** 3))
        return _c(z, 0.5) * (one + t) + _c(z, 0.5) * z * (one - t * t) * c * (one + 3 * k * z * z)
    if name == "hard_sigmoid":
        return np.where((z > -3) & (z < 3), _c(z, 1 / 6), _c(z, 0))
    if name == "exponential":
        return a
    zero = _c(z, 0)
    if name == "relu6":
        return ((z > 0) & (z < 6)).astype(z.dtype)
    if name == "hard_silu":
        h = z / _c(z, 6) + _c(z, 0.5)
        return np.where(h <= 0, zero, np.where(h >= 1, one, h + z / _c(z, 6)))
    if name == "mish":
        t = np.tanh(softplus(z))
        return t + z * (one - t * t) * sigmoid(z)
    if name == "celu":
        alpha = _c(z, params.get("alpha", 1.0))
        return np.where(z > 0, one, np.exp(np.minimum(z, zero) / alpha))
    if name == "log_sigmoid":
        return sigmoid(-z)
    if name == "sparse_plus":
        return np.where(z <= -1, zero, np.where(z < 1, _c(z, 0.5) * (z + 1), one))
    if name == "sparse_sigmoid":
        return np.where((z > -1) & (z < 1), _c(z, 0.5), zero)
    if name == "squareplus":
        b = params.get("b", 4.0)
        s = _squareplus_s(z, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.where(s > 0, (one + z / s) / 2, _c(z, 0.5))
            neg = (_c(z, b) / s) / (s - z) / 2     # b / (2 s (s - z)), no underflow
        return np.where(z >= 0, pos, neg).astype(z.dtype)
    if name == "soft_shrink":
        t = _c(z, params.get("threshold", 0.5))
        return ((z > t) | (z < -t)).astype(z.dtype)
    if name == "hard_shrink":
        return (np.abs(z) > _c(z, params.get("threshold", 0.5))).astype(z.dtype)
    if name == "tanh_shrink":
        return np.tanh(z) ** 2
    if name == "hard_tanh":
        return ((z > -1) & (z < 1)).astype(z.dtype)
    if name == "threshold":
        return (z > _c(z, params.get("threshold", 0.0))).astype(z.dtype)
    if name == "relu_general":
        slope, top = params.get("negative_slope", 0.0), params.get("max_value")
        t = _c(z, params.get("threshold", 0.0))
        keep = z > t
        if top is not None and not math.isnan(top):
            keep &= (z > 0) & (z < _c(z, top))
        return keep.astype(z.dtype) + np.where(z < t, _c(z, slope), zero)
    raise ValueError(f"no derivative for activation {name!r}")


def _resolve(name, params):
    name = ACTIVATION_ALIASES.get(name, name)
    if name == "gelu" and params.get("approximate", False):
        name = "gelu_tanh"
    if name == "relu" and (params.get("negative_slope", 0) != 0 or params.get("threshold", 0) != 0
                           or params.get("max_value") is not None):
        name = "relu_general"
    return name


_PARAMS = {"leaky_relu": ("negative_slope",), "elu": ("alpha",), "celu": ("alpha",),
           "squareplus": ("b",), "soft_shrink": ("threshold",), "hard_shrink": ("threshold",),
           "threshold": ("threshold", "default_value"),
           "relu_general": ("negative_slope", "max_value", "threshold")}


def activation_forward(name, z, **params):
    name = _resolve(name, params)
    if name == "gelu_tanh":
        return gelu(z, approximate=True)
    if name in ("softmax", "log_softmax"):
        return globals()[name](z, axis=params.get("axis", -1))
    kw = {k: v for k, v in params.items() if k in _PARAMS.get(name, ())}
    return globals()[name](z, **kw)


def activation_grad(name, z, a, da, **params):
    """dz = da * f'(z); for softmax / log_softmax the vector-Jacobian product."""
    name = _resolve(name, params)
    axis = params.get("axis", -1)
    if name == "softmax":
        return a * (da - np.sum(da * a, axis=axis, keepdims=True))
    if name == "log_softmax":
        return da - np.exp(a) * np.sum(da, axis=axis, keepdims=True)
    return da * _derivative(name, z, a, params)


assert set(ACTIVATIONS) <= set(globals()) | {"gelu_tanh"}


# ----------------------------------------------------------------------------- losses
# Per-sample values l_i (shape (n,)) and their gradients d l_i / d y_pred (n, k), for
# y_pred of shape (n, k). Sparse labels are (n,) integers.
def _as_column(y):
    return y.reshape(-1, 1) if y.ndim == 1 else y


def _loss_value_grad(name, y_true, y_pred, from_logits, delta):
    p = y_pred
    k = p.shape[1]
    one = _c(p, 1)
    eps = _c(p, EPSILON)
    hi = _c(p, 1 - EPSILON)
    if name == "sparse_categorical_crossentropy":
        labels = y_true.reshape(-1).astype(np.int64)
        y_true = np.zeros_like(p)
        y_true[np.arange(p.shape[0]), labels] = 1
        name = "categorical_crossentropy"
    y = y_true.astype(p.dtype)
    if name == "categorical_crossentropy":
        if from_logits:
            lsm = log_softmax(p)
            l = -np.sum(y * lsm, axis=1)
            g = np.exp(lsm) * np.sum(y, axis=1, keepdims=True) - y
            return l, g
        # Keras: renormalise each row, clip, -sum y log q; clipped entries pass no gradient
        s = np.sum(p, axis=1, keepdims=True)
        q = p / s
        c = np.clip(q, eps, hi)
        l = -np.sum(y * np.log(c), axis=1)
        r = np.where((q > eps) & (q < hi), -y / c, _c(p, 0))
        g = (r - np.sum(r * q, axis=1, keepdims=True)) / s
        return l, g
    if name == "binary_crossentropy":
        if from_logits:
            e = np.maximum(p, _c(p, 0)) - p * y + np.log1p(np.exp(-np.abs(p)))
            return np.mean(e, axis=1), (sigmoid(p) - y) / _c(p, k)
        c = np.clip(p, eps, hi)
        e = -(y * np.log(c) + (one - y) * np.log(one - c))
        g = np.where((p > eps) & (p < hi), -(y / c - (one - y) / (one - c)), _c(p, 0))
        return np.mean(e, axis=1), g / _c(p, k)
    d = p - y
    if name == "mean_squared_error":
        return np.mean(d * d, axis=1), _c(p, 2) * d / _c(p, k)
    if name == "mean_absolute_error":
        return np.mean(np.abs(d), axis=1), np.sign(d) / _c(p, k)
    if name == "huber":
        dl = _c(p, delta)
        ad = np.abs(d)
        small = ad <= dl
        e = np.where(small, _c(p, 0.5) * d * d, dl * ad - _c(p, 0.5) * dl * dl)
        g = np.where(small, d, dl * np.sign(d))
        return np.mean(e, axis=1), g / _c(p, k)
    raise ValueError(f"unknown loss {name!r}")


def _per_sample(name, y_true, y_pred, from_logits=False, delta=1.0):
    shape = y_pred.shape
    y_pred = _as_column(y_pred)
    if name != "sparse_categorical_crossentropy":
        y_true = np.asarray(y_true).reshape(y_pred.shape)
    l, g = _loss_value_grad(name, y_true, y_pred, from_logits, delta)
    return l, g.reshape(shape)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    return _per_sample("binary_crossentropy", y_true, y_pred, from_logits)[0]


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    return _per_sample("categorical_crossentropy", y_true, y_pred, from_logits)[0]


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    return _per_sample("sparse_categorical_crossentropy", y_true, y_pred, from_logits)[0]


def mean_squared_error(y_true, y_pred):
    return _per_sample("mean_squared_error", y_true, y_pred)[0]


def mean_absolute_error(y_true, y_pred):
    return _per_sample("mean_absolute_error", y_true, y_pred)[0]


def huber(y_true, y_pred, delta=1.0):
    return _per_sample("huber", y_true, y_pred, delta=delta)[0]


mse = mean_squared_error
mae = mean_absolute_error

LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}


def loss_and_grad(name, y_true, y_pred, from_logits=False, sample_weight=None, delta=1.0):
    """Keras' "sum_over_batch_size" loss sum_i w_i l_i / n and its gradient wrt y_pred."""
    name = LOSS_ALIASES.get(name, name)
    l, g = _per_sample(name, y_true, y_pred, from_logits, delta)
    n = l.shape[0]
    w = np.ones(n, dtype=l.dtype) if sample_weight is None else \
        np.asarray(sample_weight, dtype=l.dtype).reshape(n)
    loss = float(np.sum(w.astype(np.float64) * l.astype(np.float64)) / n)
    wcol = (w / _c(w, n)).reshape((n,) + (1,) * (g.ndim - 1))
    return loss, (g * wcol).astype(y_pred.dtype)


# ------------------------------------------------------- losses computed on the tape
# Keras 3's formulas (keras/src/losses/losses.py) in plain NumPy, per-sample values
# (reduced over the last axis, or over `axis`); fastnn.losses computes them with
# fastnn.autodiff.ops. epsilon is keras.backend.epsilon().
def kl_divergence(y_true, y_pred):
    t = np.clip(y_true, EPSILON, 1)
    p = np.clip(y_pred, EPSILON, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def poisson(y_true, y_pred):
    return np.mean(y_pred - y_true * np.log(y_pred + EPSILON), axis=-1)


def log_cosh(y_true, y_pred):
    return np.mean(np.log(np.cosh(y_pred - y_true)), axis=-1)


def _hinge_labels(y):
    return 2.0 * y - 1.0 if np.all((y == 0) | (y == 1)) else y


def hinge(y_true, y_pred):
    return np.mean(np.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    return np.mean(np.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0) ** 2, axis=-1)


def categorical_hinge(y_true, y_pred):
    pos = np.sum(y_true * y_pred, axis=-1)
    neg = np.max((1.0 - y_true) * y_pred, axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


def cosine_similarity(y_true, y_pred, axis=-1):
    def unit(x):
        return x / np.maximum(np.sqrt(np.sum(x * x, axis=axis, keepdims=True)), EPSILON)
    return -np.sum(unit(y_true) * unit(y_pred), axis=axis)


def mean_absolute_percentage_error(y_true, y_pred):
    return 100.0 * np.mean(np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON)),
                           axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    return np.mean((np.log1p(np.maximum(y_pred, EPSILON)) -
                    np.log1p(np.maximum(y_true, EPSILON))) ** 2, axis=-1)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    y = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    p = 1.0 / (1.0 + np.exp(-y_pred)) if from_logits else y_pred
    c = np.clip(p, EPSILON, 1 - EPSILON)
    bce = -(y * np.log(c) + (1 - y) * np.log(1 - c))
    p_t = y * p + (1 - y) * (1 - p)
    focal = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (y * alpha + (1 - y) * (1 - alpha)) * focal
    return np.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    k = y_pred.shape[axis]
    y = y_true * (1.0 - label_smoothing) + label_smoothing / k
    if from_logits:
        e = np.exp(y_pred - np.max(y_pred, axis=axis, keepdims=True))
        y_pred = e / np.sum(e, axis=axis, keepdims=True)
    q = np.clip(y_pred / np.sum(y_pred, axis=axis, keepdims=True), EPSILON, 1 - EPSILON)
    return np.sum(np.asarray(alpha) * (1.0 - q) ** gamma * (-y * np.log(q)), axis=axis)


def dice(y_true, y_pred, axis=None):
    inter = np.sum(y_true * y_pred, axis=axis)
    return 1.0 - 2.0 * inter / (np.sum(y_true, axis=axis) + np.sum(y_pred, axis=axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    tp = np.sum(y_true * y_pred, axis=axis)
    fp = np.sum((1 - y_true) * y_pred, axis=axis)
    fn = np.sum(y_true * (1 - y_pred), axis=axis)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + EPSILON)


def reduce_loss(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras' reduce_weighted_values (no mask): the weighted values, summed, or divided
    by their count ("sum_over_batch_size", "mean") or by the sum of the weights
    ("mean_with_sample_weight"; 0 when that is 0)."""
    values = np.asarray(values, dtype=np.float64)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if sw is not None:
        if sw.ndim == values.ndim + 1 and sw.shape[-1] == 1:
            sw = sw[..., 0]
        values = values * sw.reshape(sw.shape + (1,) * (values.ndim - sw.ndim))
    if reduction in ("none", None) or values.ndim == 0:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    d = sw.sum() if reduction == "mean_with_sample_weight" and sw is not None else values.size
    return total / d if d else 0.0


# ------------------------------------------------------------------------- optimizers
# In place on w and the slots, Keras 3 formulas (csrc/optimizers.h); scalars are cast
# to the parameter dtype as Keras casts the learning rate to the variable's dtype.
def _decay(w, wd_lr):
    if wd_lr:
        w -= w * _c(w, wd_lr)


def sgd_update(w, g, m=None, lr=0.01, momentum=0.0, nesterov=False, wd_lr=0.0):
    _decay(w, wd_lr)
    lr_ = _c(w, lr)
    if momentum == 0:
        w -= lr_ * g
        return
    mu = _c(w, momentum)
    m[...] = mu * m - lr_ * g
    if nesterov:
        w += mu * m - lr_ * g
    else:
        w += m


def adam_update(w, g, m, v, alpha_t, beta1=0.9, beta2=0.999, epsilon=1e-7, wd_lr=0.0,
                vhat=None):
    _decay(w, wd_lr)
    m += (g - m) * _c(w, 1 - beta1)
    v += (g * g - v) * _c(w, 1 - beta2)
    if vhat is not None:            # AMSGrad
        vhat[...] = np.maximum(vhat, v)
        v = vhat
    w -= _c(w, alpha_t) * m / (np.sqrt(v) + _c(w, epsilon))


def adadelta_update(w, g, ag, ad, lr=0.001, rho=0.95, epsilon=1e-7, wd_lr=0.0):
    _decay(w, wd_lr)
    ag[...] = _c(w, rho) * ag + _c(w, 1 - rho) * (g * g)
    d = -(np.sqrt(ad + _c(w, epsilon)) * g / np.sqrt(ag + _c(w, epsilon)))
    ad[...] = _c(w, rho) * ad + _c(w, 1 - rho) * (d * d)
    w += _c(w, lr) * d


def lion_update(w, g, m, lr=0.001, beta1=0.9, beta2=0.99, wd_lr=0.0):
    _decay(w, wd_lr)
    b1, b2 = _c(w, beta1), _c(w, beta2)
    one = _c(w, 1)
    w -= _c(w, lr) * np.sign(m * b1 + g * (one - b1))
    m[...] = m * b2 + g * (one - b2)


def nadam_update(w, g, m, v, lr, c_m, c_g, d2, beta1=0.9, beta2=0.999, epsilon=1e-7,
                 wd_lr=0.0):
    _decay(w, wd_lr)
    m += (g - m) * _c(w, 1 - beta1)
    v += (g * g - v) * _c(w, 1 - beta2)
    m_hat = _c(w, c_m) * m + _c(w, c_g) * g
    w -= m_hat * _c(w, lr) / (np.sqrt(v / _c(w, d2)) + _c(w, epsilon))


def adamax_update(w, g, m, u, lr, d1, beta1=0.9, beta2=0.999, epsilon=1e-7, wd_lr=0.0):
    _decay(w, wd_lr)
    m += (g - m) * _c(w, 1 - beta1)
    u[...] = np.maximum(_c(w, beta2) * u, np.abs(g))
    w -= _c(w, lr) * m / (_c(w, d1) * (u + _c(w, epsilon)))


def nadam_factors(t, beta1=0.9):
    """(c_m, c_g) of Nadam's step t (1-based), in double: u_k = beta1 (1 - 0.5 * 0.96^k),
    c_m = u_{t+1} / (1 - prod_{k<=t+1} u_k), c_g = (1 - u_t) / (1 - prod_{k<=t} u_k)."""
    u = [beta1 * (1 - 0.5 * 0.96 ** k) for k in range(1, t + 2)]
    prod_t = float(np.prod(u[:t]))
    return u[t] / (1 - prod_t * u[t]), (1 - u[t - 1]) / (1 - prod_t)


def rmsprop_update(w, g, v, mg=None, mom=None, lr=0.001, rho=0.9, momentum=0.0,
                   epsilon=1e-7, centered=False, wd_lr=0.0):
    _decay(w, wd_lr)
    r = _c(w, rho)
    v[...] = r * v + _c(w, 1 - rho) * (g * g)
    if centered:
        mg[...] = r * mg + _c(w, 1 - rho) * g
        den = v - mg * mg + _c(w, epsilon)
    else:
        den = v + _c(w, epsilon)
    inc = _c(w, lr) * g / np.sqrt(den)
    if momentum > 0:
        mom[...] = _c(w, momentum) * mom + inc
        w -= mom
    else:
        w -= inc


def adagrad_update(w, g, acc, lr=0.001, epsilon=1e-7, wd_lr=0.0):
    _decay(w, wd_lr)
    acc += g * g
    w -= _c(w, lr) * g / np.sqrt(acc + _c(w, epsilon))


# ---------------------------------------------------------------- batch normalization
# Over the last axis of 2-D x (csrc/batchnorm.h), in float64; gamma / beta may be None.
def batch_norm(x, gamma, beta, mean, var, epsilon=1e-3):
    """Keras 3's ops.batch_normalization: (x - mean) / sqrt(var + epsilon) * gamma + beta."""
    x = np.asarray(x, np.float64)
    y = (x - mean) / np.sqrt(np.asarray(var, np.float64) + epsilon)
    if gamma is not None:
        y = y * gamma
    return y if beta is None else y + beta


def batch_norm_train(x, gamma, beta, moving_mean, moving_var, momentum=0.99, epsilon=1e-3):
    """Training step: (y, new moving mean, new moving variance) from the batch's mean and
    biased variance; moving = moving * momentum + batch * (1 - momentum)."""
    x = np.asarray(x, np.float64)
    mean, var = x.mean(axis=0), x.var(axis=0)
    return (batch_norm(x, gamma, beta, mean, var, epsilon),
            moving_mean * momentum + mean * (1 - momentum),
            moving_var * momentum + var * (1 - momentum))


def batch_norm_backward(dy, xhat, inv, gamma, batch_stats=True):
    """(dx, dgamma, dbeta) of y = xhat * gamma + beta, xhat = (x - mean) * inv; with
    batch_stats the mean and variance are the batch's (the three-term form)."""
    dy = np.asarray(dy, np.float64)
    xhat = np.asarray(xhat, np.float64)
    g = dy if gamma is None else dy * gamma
    if batch_stats:
        dx = (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)) * inv
    else:
        dx = g * inv
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


# ---------------------------------------------------------------- layer normalization
# Over the last axis of 2-D x (csrc/layernorm.h), in float64; gamma / beta may be None.
def layer_norm(x, gamma=None, beta=None, epsilon=1e-3, rms_scaling=False):
    """Keras 3's LayerNormalization over the last axis: (x - mean) / sqrt(var + epsilon)
    * gamma + beta per row; with rms_scaling (deprecated in Keras) x / sqrt(var +
    epsilon) * gamma, beta unused."""
    x = np.asarray(x, np.float64)
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    y = (x if rms_scaling else x - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        y = y * gamma
    return y if beta is None or rms_scaling else y + beta


def layer_norm_backward(dy, x, gamma=None, epsilon=1e-3, rms_scaling=False):
    """(dx, dgamma, dbeta) of layer_norm from dy, derived from the formula (not the
    kernel's arrangement of it)."""
    dy, x = np.asarray(dy, np.float64), np.asarray(x, np.float64)
    k = x.shape[-1]
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + epsilon)
    c = (x - mean) * inv                       # the centred, normalised x
    h = x * inv if rms_scaling else c          # what gamma multiplies
    g = dy if gamma is None else dy * gamma
    if rms_scaling:   # d(x_j inv)/dx_i = inv delta_ij - x_j inv^3 (x_i - mean) / k
        dx = inv * g - c * inv * (g * h).sum(axis=-1, keepdims=True) / k
    else:
        dx = inv * (g - g.mean(axis=-1, keepdims=True)
                    - c * (g * c).mean(axis=-1, keepdims=True))
    return dx, (dy * h).sum(axis=0), dy.sum(axis=0)


# ------------------------------------------------------ the noise layers' random stream
# csrc/noise.h: a counter-based stream, splitmix64's finaliser on uint64 (wrapping).
_M64 = (1 << 64) - 1


def _mix64(z):
    """splitmix64's finaliser of uint64 array z (wrapping arithmetic)."""
    z = np.asarray(z, np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _stream_key(seed, step, salt):
    """A draw's key: mix64(seed ^ mix64(step * 0x100000001B3 + salt))."""
    inner = int(_mix64(np.array([(step * 0x100000001B3 + salt) & _M64]))[0])
    return int(_mix64(np.array([(seed ^ inner) & _M64]))[0])


def noise_key(seed, step):
    """The key of the noise a layer seeded `seed` draws at training step `step`."""
    return _stream_key(seed, step, 0x6E6F697365)


def dropout_key(net_seed, step, layer):
    """The key of the C engine's dropout mask after its Dense layer `layer` at `step`."""
    return _stream_key(net_seed, step, layer)


def dropout_forward(rate, key, x):
    """(y, mask) of inverted dropout on flat x: mask = 1 / (1 - rate) where u(key, i) >=
    rate, else 0 (in x's dtype), y = x * mask."""
    x = np.asarray(x)
    keep = np.asarray(1.0 / (1.0 - rate), x.dtype)
    mask = np.where(noise_uniform(key, x.size) >= rate, keep, np.zeros((), x.dtype))
    return x * mask, mask


def noise_uniform(key, n, offset=0, stride=1):
    """u(key, offset + stride * i) for i < n: (mix64(key + index) >> 11) * 2**-53."""
    idx = (np.uint64(key) + np.uint64(offset) + np.uint64(stride) * np.arange(n, dtype=np.uint64))
    return (_mix64(idx) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def noise_normal(key, n):
    """z(key, i) for i < n: Box-Muller on u(key, 2i) and u(key, 2i + 1)."""
    u1 = 1.0 - noise_uniform(key, n, 0, 2)
    u2 = noise_uniform(key, n, 1, 2)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def noise_forward(kind, param, key, x):
    """(y, dy/dx) of GaussianNoise (param = stddev), GaussianDropout or AlphaDropout
    (param = rate) on flat x, by name, in x's dtype (the noise rounded to it as the
    kernel does)."""
    x = np.asarray(x)
    dt = x.dtype
    n = x.size
    if kind == "GaussianNoise":
        return x + (param * noise_normal(key, n)).astype(dt), np.ones(n, dt)
    if kind == "GaussianDropout":
        m = (1.0 + np.sqrt(param / (1.0 - param)) * noise_normal(key, n)).astype(dt)
        return x * m, m
    if kind == "AlphaDropout":
        alpha_p = -SELU_ALPHA * SELU_SCALE
        a = ((1 - param) * (1 + param * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * param
        kept = noise_uniform(key, n) >= param
        m = np.where(kept, a, 0.0).astype(dt)
        c = np.where(kept, b, a * alpha_p + b).astype(dt)
        return x * m + c, m
    raise ValueError(f"noise_forward: unknown kind {kind!r}")
