"""Plain-NumPy stand-in for fastnn.ops, used only while fastnn.ops is not importable
(the kernels branch is being written in parallel). Same function names and signatures
as the ops contract, so the API layer does not care which one it runs on."""
import math

import numpy as np

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _erf(x):
    v = np.vectorize(math.erf, otypes=[np.float64])
    return v(x).astype(x.dtype, copy=False)


def activation_forward(name, z, **params):
    z = np.asarray(z)
    if name in ("linear", None):
        return z.copy()
    if name == "relu":
        return np.maximum(z, 0)
    if name == "sigmoid":
        return (0.5 * (np.tanh(0.5 * z) + 1)).astype(z.dtype, copy=False)
    if name == "tanh":
        return np.tanh(z)
    if name == "leaky_relu":
        s = params.get("negative_slope", 0.2)
        return np.where(z >= 0, z, s * z).astype(z.dtype, copy=False)
    if name == "elu":
        a = params.get("alpha", 1.0)
        return np.where(z >= 0, z, a * np.expm1(np.minimum(z, 0))).astype(z.dtype, copy=False)
    if name == "selu":
        return (_SELU_SCALE * np.where(z >= 0, z, _SELU_ALPHA * np.expm1(np.minimum(z, 0)))).astype(z.dtype, copy=False)
    if name == "softplus":
        return np.logaddexp(z, 0).astype(z.dtype, copy=False)
    if name == "softsign":
        return z / (1 + np.abs(z))
    if name in ("silu", "swish"):
        return z * activation_forward("sigmoid", z)
    if name == "gelu":
        if params.get("approximate", False):
            c = math.sqrt(2 / math.pi)
            return (0.5 * z * (1 + np.tanh(c * (z + 0.044715 * z ** 3)))).astype(z.dtype, copy=False)
        return (0.5 * z * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype, copy=False)
    if name == "hard_sigmoid":
        return np.clip(z / 6 + 0.5, 0, 1).astype(z.dtype, copy=False)
    if name == "exponential":
        return np.exp(z)
    if name == "softmax":
        ax = params.get("axis", -1)
        e = np.exp(z - z.max(axis=ax, keepdims=True))
        return e / e.sum(axis=ax, keepdims=True)
    if name == "log_softmax":
        ax = params.get("axis", -1)
        s = z - z.max(axis=ax, keepdims=True)
        return s - np.log(np.exp(s).sum(axis=ax, keepdims=True))
    if name == "logsumexp":
        ax = params.get("axis", -1)
        m = z.max(axis=ax, keepdims=True)
        return (m + np.log(np.exp(z - m).sum(axis=ax, keepdims=True))).squeeze(ax)
    raise ValueError(f"unknown activation {name!r}")


def activation_grad(name, z, a, da, **params):
    if name in ("linear", None):
        return da.copy()
    if name == "relu":
        return da * (z > 0)
    if name == "sigmoid":
        return da * a * (1 - a)
    if name == "tanh":
        return da * (1 - a * a)
    if name == "leaky_relu":
        return da * np.where(z >= 0, 1, params.get("negative_slope", 0.2)).astype(z.dtype)
    if name == "elu":
        al = params.get("alpha", 1.0)
        return da * np.where(z >= 0, 1, al * np.exp(np.minimum(z, 0))).astype(z.dtype)
    if name == "selu":
        return da * (_SELU_SCALE * np.where(z >= 0, 1, _SELU_ALPHA * np.exp(np.minimum(z, 0)))).astype(z.dtype)
    if name == "softplus":
        return da * activation_forward("sigmoid", z)
    if name == "softsign":
        return da / (1 + np.abs(z)) ** 2
    if name in ("silu", "swish"):
        s = activation_forward("sigmoid", z)
        return da * (s * (1 + z * (1 - s)))
    if name == "gelu":
        if params.get("approximate", False):
            c = math.sqrt(2 / math.pi)
            u = c * (z + 0.044715 * z ** 3)
            t = np.tanh(u)
            return da * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z))
        cdf = 0.5 * (1 + _erf(z / math.sqrt(2)))
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return (da * (cdf + z * pdf)).astype(z.dtype, copy=False)
    if name == "hard_sigmoid":
        return da * ((z > -3) & (z < 3)) / 6
    if name == "exponential":
        return da * a
    if name == "softmax":
        ax = params.get("axis", -1)
        return a * (da - (da * a).sum(axis=ax, keepdims=True))
    if name == "log_softmax":
        ax = params.get("axis", -1)
        return da - np.exp(a) * da.sum(axis=ax, keepdims=True)
    raise ValueError(f"unknown activation {name!r}")


def dense_forward(x, kernel, bias=None, activation="linear"):
    z = x @ kernel
    if bias is not None:
        z += bias
    return z, activation_forward(activation, z)


def dense_backward(x, kernel, dz, need_dx=True):
    return x.T @ dz, dz.sum(axis=0), (dz @ kernel.T if need_dx else None)


_EPS = 1e-7


def binary_crossentropy(y_true, y_pred, from_logits=False):
    if from_logits:
        z = y_pred
        l = np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
    else:
        p = np.clip(y_pred, _EPS, 1 - _EPS)
        l = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    return l.mean(axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    if from_logits:
        return -(y_true * activation_forward("log_softmax", y_pred)).sum(axis=-1)
    p = y_pred / y_pred.sum(axis=-1, keepdims=True)
    p = np.clip(p, _EPS, 1 - _EPS)
    return -(y_true * np.log(p)).sum(axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    y = np.asarray(y_true).reshape(-1).astype(np.intp)
    oh = np.zeros(y_pred.shape, dtype=y_pred.dtype)
    oh[np.arange(len(y)), y] = 1
    return categorical_crossentropy(oh, y_pred, from_logits)


def mean_squared_error(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    return np.abs(y_pred - y_true).mean(axis=-1)


def huber(y_true, y_pred, delta=1.0):
    e = np.abs(y_pred - y_true)
    return np.where(e <= delta, 0.5 * e * e, delta * e - 0.5 * delta * delta).mean(axis=-1)


def loss_and_grad(name, y_true, y_pred, from_logits=False, sample_weight=None, delta=1.0):
    """Mean (sum over batch size) loss and its gradient w.r.t. y_pred."""
    n = y_pred.shape[0]
    k = y_pred.shape[-1]
    if name == "sparse_categorical_crossentropy":
        y = np.asarray(y_true).reshape(-1).astype(np.intp)
        yt = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        yt[np.arange(n), y] = 1
        name = "categorical_crossentropy"
    else:
        yt = y_true
    if name == "categorical_crossentropy":
        per = categorical_crossentropy(yt, y_pred, from_logits)
        if from_logits:
            g = activation_forward("softmax", y_pred) - yt
        else:
            s = y_pred.sum(axis=-1, keepdims=True)
            p = y_pred / s
            inside = (p > _EPS) & (p < 1 - _EPS)
            dp = np.where(inside, -yt / np.clip(p, _EPS, 1), 0)
            g = (dp - (dp * p).sum(axis=-1, keepdims=True)) / s
    elif name == "binary_crossentropy":
        per = binary_crossentropy(yt, y_pred, from_logits)
        if from_logits:
            g = (activation_forward("sigmoid", y_pred) - yt) / k
        else:
            inside = (y_pred > _EPS) & (y_pred < 1 - _EPS)
            p = np.clip(y_pred, _EPS, 1 - _EPS)
            g = np.where(inside, (p - yt) / (p * (1 - p)), 0) / k
    elif name == "mean_squared_error":
        per = mean_squared_error(yt, y_pred)
        g = 2 * (y_pred - yt) / k
    elif name == "mean_absolute_error":
        per = mean_absolute_error(yt, y_pred)
        g = np.sign(y_pred - yt) / k
    elif name == "huber":
        per = huber(yt, y_pred, delta)
        e = y_pred - yt
        g = np.clip(e, -delta, delta) / k
    else:
        raise ValueError(f"unknown loss {name!r}")
    if sample_weight is not None:
        sw = np.asarray(sample_weight, dtype=y_pred.dtype).reshape(-1)
        per = per * sw
        g = g * sw[:, None]
    return float(per.sum() / n), (g / n).astype(y_pred.dtype, copy=False)


def _decay(w, wd_lr):
    if wd_lr:
        w -= w * wd_lr


def sgd_update(w, g, m=None, lr=0.01, momentum=0.0, nesterov=False, wd_lr=0.0):
    _decay(w, wd_lr)
    if m is None or momentum == 0:
        w -= lr * g
        return
    m *= momentum
    m -= lr * g
    if nesterov:
        w += momentum * m - lr * g
    else:
        w += m


def adam_update(w, g, m, v, alpha_t, beta1=0.9, beta2=0.999, epsilon=1e-7, wd_lr=0.0):
    _decay(w, wd_lr)
    m += (g - m) * (1 - beta1)
    v += (g * g - v) * (1 - beta2)
    w -= alpha_t * m / (np.sqrt(v) + epsilon)


def rmsprop_update(w, g, v, mg=None, mom=None, lr=0.001, rho=0.9, momentum=0.0,
                   epsilon=1e-7, centered=False, wd_lr=0.0):
    _decay(w, wd_lr)
    v *= rho
    v += (1 - rho) * g * g
    if centered:
        mg *= rho
        mg += (1 - rho) * g
        denom = v - mg * mg + epsilon
    else:
        denom = v + epsilon
    inc = lr * g / np.sqrt(denom)
    if momentum > 0:
        mom *= momentum
        mom += inc
        w -= mom
    else:
        w -= inc


def adagrad_update(w, g, acc, lr=0.001, epsilon=1e-7, wd_lr=0.0):
    _decay(w, wd_lr)
    acc += g * g
    w -= lr * g / np.sqrt(acc + epsilon)
