"""fastnn's own validated ops over the C kernels: the fused dense layer forward and
backward, activations and their gradients, the losses with their gradients, and the
optimizer updates, as plain NumPy arrays (names as in keras.ops / keras.activations /
keras.losses). The layers and the engine use them; `fastnn.ops` (keras.ops) is the
differentiable API for user code.

Every function checks its arguments before any C runs: array-likes go through
numpy.asarray; float32 and float64 are kept, anything else numeric (ints, bools, Python
lists, float16) becomes float32 (Keras' floatx) and float32 mixed with float64 becomes
float64; non-contiguous arrays are copied, never misread. Wrong shapes raise ValueError
and wrong types TypeError, naming the argument, what was expected and what was given.
fastnn.reference holds the same functions in plain NumPy.
"""
import math
import numbers

import numpy as np

from fastnn import _argcheck, _kernels
from fastnn._codes import ACTIVATION_ALIASES, ACTIVATIONS, LOSSES

__all__ = [
    "matmul", "dense", "dense_forward", "dense_backward",
    "linear", "relu", "sigmoid", "tanh", "leaky_relu", "elu", "selu", "softplus",
    "softsign", "silu", "swish", "gelu", "hard_sigmoid", "exponential", "softmax",
    "log_softmax", "logsumexp", "activation_forward", "activation_grad",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "mean_squared_error", "mean_absolute_error", "huber", "mse", "mae", "loss_and_grad",
    "sgd_update", "adam_update", "rmsprop_update", "adagrad_update", "nadam_update",
    "adamax_update", "adadelta_update", "lion_update",
]


# --------------------------------------------------------------------- validation
def _as_array(x, name):
    """numpy.asarray(x), refusing anything that is not real numbers (TypeError; a
    Python int too large for a float: ValueError)."""
    return _argcheck.real_array(x, name)


def _float_dtype(*arrays_and_originals):
    """float64 if any floating-point ndarray/NumPy scalar argument is float64 or wider,
    else float32 (lists, Python scalars, ints, bools and float16 count as float32)."""
    for arr, orig in arrays_and_originals:
        if arr.dtype.kind == "f" and arr.dtype.itemsize >= 8 and \
                isinstance(orig, (np.ndarray, np.generic)):
            return np.dtype(np.float64)
    return np.dtype(np.float32)


def _prepare(dtype, arr):
    """C-contiguous copy-if-needed in `dtype` (a copy too when a cast is needed, and for
    a read-only array: the kernels' typed memoryviews take writeable buffers only)."""
    if arr.dtype == dtype:
        flags = arr.flags
        if flags.c_contiguous and flags.writeable:   # the common case: as it is, at once
            return arr if type(arr) is np.ndarray else arr.view(np.ndarray)
        out = np.asarray(arr, order="C")
    else:
        with np.errstate(over="ignore"):   # float64 beyond float32's range is inf there
            out = np.asarray(arr, dtype=dtype, order="C")  # keeps 0-d (ascontiguousarray won't)
    return out if out.flags.writeable else out.copy()


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _floats(**named):
    """Validate and convert the named arguments to one common float dtype."""
    # The common case first, at a fraction of the cost: NumPy arrays (or Tensors) all
    # float32 or all float64, C-contiguous and writeable, taken as they are.
    dtype = None
    for v in named.values():
        if not isinstance(v, np.ndarray):
            break
        d = v.dtype
        if dtype is None:
            if d != _F32 and d != _F64:
                break
            dtype = d
        elif d != dtype:
            break
        flags = v.flags
        if not (flags.c_contiguous and flags.writeable):
            break
    else:
        if dtype is not None:
            return dtype, {k: v if type(v) is np.ndarray else v.view(np.ndarray)
                           for k, v in named.items()}
    arrs = {k: _as_array(v, k) for k, v in named.items()}
    dtype = _float_dtype(*[(arrs[k], named[k]) for k in named])
    return dtype, {k: _prepare(dtype, a) for k, a in arrs.items()}


def _check_ndim(arr, name, allowed):
    if arr.ndim not in allowed:
        exp = " or ".join(str(d) for d in allowed)
        raise ValueError(f"{name} must be {exp}-D, got {arr.ndim}-D array of shape "
                         f"{arr.shape}")


def _check_bool(v, name):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(v).__name__} {v!r}")
    return bool(v)


def _check_real(v, name, *, positive=False, nonneg=False):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__} "
                        f"{_argcheck.shown(v)}")
    try:
        f = float(v)
    except OverflowError:   # a Python int beyond the float range
        f = math.inf
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {_argcheck.shown(v)}")
    if positive and f <= 0:
        raise ValueError(f"{name} must be > 0, got {f!r}")
    if nonneg and f < 0:
        raise ValueError(f"{name} must be >= 0, got {f!r}")
    return f


def _check_axis(axis, ndim, name="axis"):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [{-ndim}, {ndim}) for a {ndim}-D input, "
                         f"got {axis}")
    return int(axis) % ndim


# -------------------------------------------------------------------- activations
_ACT_PARAMS = {"leaky_relu": ("negative_slope",), "elu": ("alpha",),
               "gelu": ("approximate",), "softmax": ("axis",), "log_softmax": ("axis",),
               "relu": ("negative_slope", "max_value", "threshold"), "celu": ("alpha",),
               "squareplus": ("b",), "soft_shrink": ("threshold",),
               "hard_shrink": ("threshold",), "threshold": ("threshold", "default_value")}
_ROWWISE = ("softmax", "log_softmax")
# Parameters are cast to the input's dtype (as Keras casts them): within float32's range.
_F32_MAX = 3.4e38


def _act_real(params, key, owner, **bounds):
    return _argcheck.real(params[key], key, owner, **bounds)


def _relu_options(params):
    """keras.activations.relu's options -> (name, param) of the kernel that computes
    them: relu, leaky_relu (a slope alone, as Keras' relu hands it to leaky_relu) or
    relu_general (negative_slope, max_value (NaN: none), threshold)."""
    slope = _act_real(params, "negative_slope", "relu") if "negative_slope" in params else 0.0
    top = params.get("max_value")
    top = None if top is None else _argcheck.real(top, "max_value", "relu", allow_none=True)
    thr = _act_real(params, "threshold", "relu") if "threshold" in params else 0.0
    if top is None and thr == 0.0:
        if slope == 0.0:
            return "relu", ACTIVATIONS["relu"][1]
        return "leaky_relu", slope
    return "relu_general", (slope, math.nan if top is None else top, thr)


def _resolve_activation(name, params, argname="activation"):
    """Registry name (or alias, or one of our activation functions) -> (name, code,
    param, axis) with the activation's parameters validated; errors name the argument
    `argname`."""
    if callable(name) and getattr(name, "__name__", None) is not None:
        name = name.__name__
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{argname} must be an activation name (a str) or None, got "
                        f"{type(name).__name__} {_argcheck.shown(name)}")
    name = ACTIVATION_ALIASES.get(name, name)
    if name not in ACTIVATIONS:
        known = sorted(ACTIVATIONS) + ["swish"]
        raise ValueError(f"{argname}: unknown activation {_argcheck.shown(name)}; known: "
                         f"{', '.join(known)}")
    allowed = _ACT_PARAMS.get(name, ())
    for k in params:
        if k not in allowed:
            raise TypeError(f"activation {name!r} takes no parameter {k!r} "
                            f"(accepted: {', '.join(allowed) or 'none'})")
    code, param = ACTIVATIONS[name]
    axis = params.get("axis", -1)
    if name == "leaky_relu" and "negative_slope" in params:
        param = _check_real(params["negative_slope"], "negative_slope")
    if name == "elu" and "alpha" in params:
        param = _check_real(params["alpha"], "alpha")
    if name == "gelu" and _check_bool(params.get("approximate", False), "approximate"):
        name = "gelu_tanh"
        code, param = ACTIVATIONS[name]
    if params and name in _CHECKS:
        name, param = _CHECKS[name](params, param)
        code = ACTIVATIONS[name][0]
    elif name == "threshold":
        raise TypeError("activation 'threshold' needs its parameters threshold and "
                        "default_value (keras.activations.threshold has no defaults), got "
                        "none")
    return name, code, param, axis


def _celu_alpha(params, param):
    alpha = _act_real(params, "alpha", "celu", lo=-_F32_MAX, hi=_F32_MAX)
    if abs(alpha) < 1.18e-38:   # 0, or 0 once cast to float32
        raise ValueError(f"celu: alpha must not be 0 (the formula divides by it); a "
                         f"nonzero alpha must be at least 1.18e-38 in magnitude, got "
                         f"{_argcheck.shown(params['alpha'])}")
    return "celu", alpha


def _squareplus_b(params, param):
    b = _act_real(params, "b", "squareplus", hi=_F32_MAX)
    if b < 0:
        raise ValueError(f"squareplus: b must be >= 0, got {_argcheck.shown(params['b'])}")
    return "squareplus", b


def _threshold_pair(params, param):
    missing = [k for k in ("threshold", "default_value") if k not in params]
    if missing:
        raise TypeError(f"activation 'threshold' needs its parameter(s) "
                        f"{' and '.join(missing)} (keras.activations.threshold has no "
                        f"defaults)")
    return "threshold", (_act_real(params, "threshold", "threshold", lo=-_F32_MAX, hi=_F32_MAX),
                         _act_real(params, "default_value", "threshold", lo=-_F32_MAX,
                                   hi=_F32_MAX))


# Activations whose parameters the resolver validates and packs: params dict and the
# default parameter -> (kernel name, parameter(s)).
_CHECKS = {
    "relu": lambda params, param: _relu_options(params),
    "celu": _celu_alpha,
    "squareplus": _squareplus_b,
    "soft_shrink": lambda params, param: ("soft_shrink", _act_real(
        params, "threshold", "soft_shrink", lo=-_F32_MAX, hi=_F32_MAX)),
    "hard_shrink": lambda params, param: ("hard_shrink", _act_real(
        params, "threshold", "hard_shrink", lo=-_F32_MAX, hi=_F32_MAX)),
    "threshold": _threshold_pair,
}


def _rows_view(arr, axis):
    """(2-D C-contiguous view with `axis` last, function mapping a result back)."""
    if axis == arr.ndim - 1:
        shape = arr.shape
        return arr.reshape(-1, shape[-1]), lambda r: r.reshape(shape)
    moved = np.ascontiguousarray(np.moveaxis(arr, axis, -1))
    mshape = moved.shape
    return moved.reshape(-1, mshape[-1]), \
        lambda r: np.ascontiguousarray(np.moveaxis(r.reshape(mshape), -1, axis))


def activation_forward(name, z, **params):
    """a = f(z) for the registry activation `name` (fastnn._codes.ACTIVATIONS).

    Parameters
    ----------
    name
        The activation's name.
    z
        The pre-activation values.
    """
    return _activate(name, z, "z", params, "name")


def _activate(name, z, argname, params, name_arg="activation"):
    name, code, param, axis = _resolve_activation(name, params, name_arg)
    dtype, a = _floats(**{argname: z})
    z = a[argname]
    if name in _ROWWISE:
        if z.ndim == 0:
            raise ValueError(f"{argname} must have at least 1 dimension for {name}, got "
                             f"a scalar")
        ax = _check_axis(axis, z.ndim)
        if z.size == 0:
            return np.empty_like(z)
        z2, back = _rows_view(z, ax)
        out = np.empty_like(z2)
        _kernels.act_forward(code, param, z2, out)
        return back(out)
    out = np.empty_like(z)
    if z.size:
        _kernels.act_forward(code, param, z.reshape(1, -1), out.reshape(1, -1))
    return out


def activation_grad(name, z, a, da, **params):
    """dz = da * f'(z) (for softmax / log_softmax the vector-Jacobian product); a = f(z).

    Parameters
    ----------
    name
        The activation's name.
    z
        The pre-activation values.
    a
        The activation's output, ``f(z)``.
    da
        The gradient with respect to the output.
    """
    name, code, param, axis = _resolve_activation(name, params, "name")
    dtype, arrs = _floats(z=z, a=a, da=da)
    z, a, da = arrs["z"], arrs["a"], arrs["da"]
    for nm, arr in (("a", a), ("da", da)):
        if arr.shape != z.shape:
            raise ValueError(f"{nm} must have the shape of z {z.shape}, got {arr.shape}")
    if name in _ROWWISE:
        if z.ndim == 0:
            raise ValueError(f"z must have at least 1 dimension for {name}, got a scalar")
        ax = _check_axis(axis, z.ndim)
        if z.size == 0:
            return np.empty_like(z)
        z2, back = _rows_view(z, ax)
        a2, _ = _rows_view(a, ax)
        da2, _ = _rows_view(da, ax)
        out = np.empty_like(z2)
        _kernels.act_backward(code, param, z2, a2, da2, out)
        return back(out)
    out = np.empty_like(z)
    if z.size:
        flat = lambda t: t.reshape(1, -1)  # noqa: E731
        _kernels.act_backward(code, param, flat(z), flat(a), flat(da), flat(out))
    return out


def linear(x):
    """``x`` unchanged, on fastnn's activation kernel.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activate("linear", x, "x", {})


def relu(x):
    return _activate("relu", x, "x", {})


def sigmoid(x):
    return _activate("sigmoid", x, "x", {})


def tanh(x):
    return _activate("tanh", x, "x", {})


def leaky_relu(x, negative_slope=0.2):
    return _activate("leaky_relu", x, "x", {"negative_slope": negative_slope})


def elu(x, alpha=1.0):
    return _activate("elu", x, "x", {"alpha": alpha})


def selu(x):
    return _activate("selu", x, "x", {})


def softplus(x):
    return _activate("softplus", x, "x", {})


def softsign(x):
    return _activate("softsign", x, "x", {})


def silu(x):
    return _activate("silu", x, "x", {})


swish = silu


def gelu(x, approximate=False):
    return _activate("gelu", x, "x", {"approximate": approximate})


def hard_sigmoid(x):
    return _activate("hard_sigmoid", x, "x", {})


def exponential(x):
    """The exponential of ``x``, element-wise, on fastnn's activation kernel.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activate("exponential", x, "x", {})


def softmax(x, axis=-1):
    return _activate("softmax", x, "x", {"axis": axis})


def log_softmax(x, axis=-1):
    return _activate("log_softmax", x, "x", {"axis": axis})


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis` (None: all), max-shifted so it never overflows."""
    dtype, a = _floats(x=x)
    x = a["x"]
    keepdims = _check_bool(keepdims, "keepdims")
    if axis is not None:
        if x.ndim == 0:
            raise ValueError("x must have at least 1 dimension when axis is given")
        axis = _check_axis(axis, x.ndim)
    if x.size == 0:
        raise ValueError(f"x must not be empty, got shape {x.shape}")
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(dtype)  # all -inf (or +inf) rows
    with np.errstate(divide="ignore"):  # log(0) = -inf for all -inf slices
        out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.asarray(out if keepdims else np.squeeze(out, axis=axis))


# ------------------------------------------------------------------ matmul, dense
def matmul(a, b):
    """a @ b for 2-D (or 1-D, as numpy.matmul treats them) a and b.

    Parameters
    ----------
    a
        The first operand, ``(M, K)`` or ``(K,)``.
    b
        The second operand, ``(K, N)`` or ``(K,)``.

    Returns
    -------
    numpy.ndarray
        The product (``(M, N)``, 1-D or 0-D as numpy.matmul gives it).
    """
    out = _kernels.fast_matmul(a, b, np.ndarray)   # 2-D float arrays read as they are
    if out is not None:
        return out
    dtype, arrs = _floats(a=a, b=b)
    a, b = arrs["a"], arrs["b"]
    _check_ndim(a, "a", (1, 2))
    _check_ndim(b, "b", (1, 2))
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if a2.shape[1] != b2.shape[0]:
        raise ValueError(f"b must have {a2.shape[1]} rows to match a's columns "
                         f"(a.shape={a.shape}), got b.shape={b.shape}")
    c = np.zeros((a2.shape[0], b2.shape[1]), dtype=dtype)
    if c.size and a2.shape[1]:
        _kernels.gemm(False, False, a2, b2, c, 1.0, 0.0)
    if a.ndim == 1 and b.ndim == 1:
        return c.reshape(())
    if a.ndim == 1:
        return c.reshape(-1)
    if b.ndim == 1:
        return c.reshape(-1)
    return c


def _dense_args(x, kernel, bias):
    named = {"x": x, "kernel": kernel}
    if bias is not None:
        named["bias"] = bias
    dtype, arrs = _floats(**named)
    x, kernel = arrs["x"], arrs["kernel"]
    _check_ndim(x, "x", (2,))
    _check_ndim(kernel, "kernel", (2,))
    if x.shape[1] != kernel.shape[0]:
        raise ValueError(f"kernel must have {x.shape[1]} rows (x has {x.shape[1]} "
                         f"features), got kernel.shape={kernel.shape}")
    b = arrs.get("bias")
    if b is not None and b.shape != (kernel.shape[1],):
        raise ValueError(f"bias must have shape ({kernel.shape[1]},), got {b.shape}")
    return dtype, x, kernel, b


def dense_forward(x, kernel, bias=None, activation="linear"):
    """(z, a): z = x @ kernel + bias and a = activation(z), fused in one kernel call.

    Parameters
    ----------
    x
        The inputs, ``(batch, in)``.
    kernel
        The weight matrix, ``(in, units)``.
    bias
        The bias vector, ``(units,)``, or None.
    activation
        The activation's name (e.g. ``'relu'``). Default ``'linear'``.
    """
    name, code, param, _ = _resolve_activation(activation, {})
    dtype, x, kernel, b = _dense_args(x, kernel, bias)
    z = np.empty((x.shape[0], kernel.shape[1]), dtype=dtype)
    a = np.empty_like(z)
    if z.size:
        _kernels.dense_forward(x, kernel, b, code, param, z, a)
    return z, a


def dense(x, kernel, bias=None, activation="linear"):
    """activation(x @ kernel + bias), like keras.layers.Dense.call.

    Parameters
    ----------
    x
        The inputs, ``(batch, in)``.
    kernel
        The weight matrix, ``(in, units)``.
    bias
        The bias vector, ``(units,)``, or None.
    activation
        The activation's name (e.g. ``'relu'``). Default ``'linear'``.
    """
    if type(activation) is str:
        resolved = _DENSE_ACTS.get(activation)
        if resolved is None:
            name, code, param, _ = _resolve_activation(activation, {})
            resolved = _DENSE_ACTS[activation] = (code, param)
        # arrays of one float dtype that the kernel reads as they are: one C entry
        # (None for anything else, then the general path below)
        out = _kernels.fast_dense(x, kernel, bias, resolved[0], resolved[1], np.ndarray)
        if out is not None:
            return out
    name, code, param, _ = _resolve_activation(activation, {})
    dtype, x, kernel, b = _dense_args(x, kernel, bias)
    a = np.empty((x.shape[0], kernel.shape[1]), dtype=dtype)
    if a.size:
        _kernels.dense_forward(x, kernel, b, code, param, None, a)
    return a


# activation name -> (code, param) as _resolve_activation gives them with no parameters
_DENSE_ACTS = {}


def dense_backward(x, kernel, dz, need_dx=True):
    """Gradients of z = x @ kernel + bias: (dkernel = x^T dz, dbias = sum dz, dx = dz
    kernel^T or None).

    Parameters
    ----------
    x
        The layer's inputs, ``(batch, in)``.
    kernel
        The weight matrix, ``(in, units)``.
    dz
        The gradient with respect to ``z``, ``(batch, units)``.
    need_dx
        Whether to compute the gradient with respect to ``x``. Default True.
    """
    need_dx = _check_bool(need_dx, "need_dx")
    dtype, arrs = _floats(x=x, kernel=kernel, dz=dz)
    x, kernel, dz = arrs["x"], arrs["kernel"], arrs["dz"]
    _check_ndim(x, "x", (2,))
    _check_ndim(kernel, "kernel", (2,))
    _check_ndim(dz, "dz", (2,))
    if x.shape[1] != kernel.shape[0]:
        raise ValueError(f"kernel must have {x.shape[1]} rows (x has {x.shape[1]} "
                         f"features), got kernel.shape={kernel.shape}")
    expected = (x.shape[0], kernel.shape[1])
    if dz.shape != expected:
        raise ValueError(f"dz must have shape {expected}, got {dz.shape}")
    dw = np.zeros(kernel.shape, dtype=dtype)
    db = np.zeros(kernel.shape[1], dtype=dtype)
    dx = np.zeros(x.shape, dtype=dtype) if need_dx else None
    if dz.size:   # with no features (K = 0) db is still the column sums of dz
        _kernels.dense_backward(x, kernel, dz, dw, db, dx)
    return dw, db, dx


# ------------------------------------------------------------------------- losses
_LOSS_NAMES = ("binary_crossentropy", "categorical_crossentropy",
               "sparse_categorical_crossentropy", "mean_squared_error",
               "mean_absolute_error", "huber")
_LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}
_CLASSIFICATION = ("binary_crossentropy", "categorical_crossentropy",
                   "sparse_categorical_crossentropy")


def _loss_args(name, y_true, y_pred, from_logits, delta, tname="y_true", pname="y_pred"):
    """Validate; return (code, param, y_true (n x k, or n x 1 labels), y_pred (n x k),
    original y_pred shape, dtype). Errors call the two arrays tname and pname."""
    if not isinstance(name, str):
        raise TypeError(f"loss name must be a str, got {type(name).__name__} "
                        f"{_argcheck.shown(name)}")
    name = _LOSS_ALIASES.get(name, name)
    if name not in _LOSS_NAMES:
        raise ValueError(f"name must be a loss name, got unknown loss "
                         f"{_argcheck.shown(name)}; known: "
                         f"{', '.join(_LOSS_NAMES + tuple(_LOSS_ALIASES))}")
    from_logits = _check_bool(from_logits, "from_logits")
    param = _check_real(delta, "delta", positive=True) if name == "huber" else 0.0
    yp = _as_array(y_pred, pname)
    yt = _as_array(y_true, tname)
    if name == "sparse_categorical_crossentropy":
        # labels don't set the dtype (Keras casts them); y_pred alone does
        dtype = _float_dtype((yp, y_pred))
    else:
        dtype = _float_dtype((yp, y_pred), (yt, y_true))
    yp = _prepare(dtype, yp)
    shape = yp.shape
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        _check_ndim(yp, pname, (2,))
    else:
        _check_ndim(yp, pname, (1, 2))
        yp = yp.reshape(-1, 1) if yp.ndim == 1 else yp
    n, k = yp.shape
    if n == 0 or k == 0:
        raise ValueError(f"{pname} must not be empty, got shape {shape}")
    if name == "sparse_categorical_crossentropy":
        if yt.shape not in ((n,), (n, 1)):
            raise ValueError(f"{tname} must hold one class index per sample, shape "
                             f"({n},) or ({n}, 1), got {yt.shape}")
        lab = yt.reshape(-1)
        if yt.dtype.kind == "f":
            if not np.all(np.isfinite(lab)) or np.any(lab != np.floor(lab)):
                raise ValueError(f"{tname} must hold integer class indices, got "
                                 "non-integer values")
        if lab.min() < 0 or lab.max() >= k:
            raise ValueError(f"{tname} class indices must be in [0, {k}) for {pname} "
                             f"with {k} columns, got values in [{lab.min()}, "
                             f"{lab.max()}]")
        yt = _prepare(dtype, lab).reshape(n, 1)
    else:
        if yt.shape != shape and not (yt.size == n * k and
                                      {yt.shape, shape} <= {(n,), (n, 1)}):
            raise ValueError(f"{tname} must have the shape of {pname} {shape}, got "
                             f"{yt.shape}")
        yt = _prepare(dtype, yt).reshape(n, k)
    key = name
    if name in _CLASSIFICATION and from_logits:
        key = name + "_logits"
    return LOSSES[key], param, yt, yp, shape, dtype


def _per_sample(name, y_true, y_pred, from_logits=False, delta=1.0, names=("y_true", "y_pred")):
    code, param, yt, yp, _, dtype = _loss_args(name, y_true, y_pred, from_logits, delta, *names)
    out = np.empty(yp.shape[0], dtype=dtype)
    _kernels.loss(code, param, yt, yp, None, 1.0, None, out)
    return out


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample binary cross-entropy (mean over the last axis), shape (n,)."""
    return _per_sample("binary_crossentropy", y_true, y_pred, from_logits)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample categorical cross-entropy against one-hot (or soft) y_true, (n,)."""
    return _per_sample("categorical_crossentropy", y_true, y_pred, from_logits)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample cross-entropy against integer labels (n,) or (n, 1), shape (n,)."""
    return _per_sample("sparse_categorical_crossentropy", y_true, y_pred, from_logits)


def mean_squared_error(y_true, y_pred):
    """The mean squared error of each sample, on fastnn's loss kernel.

    Parameters
    ----------
    y_true
        The targets.
    y_pred
        The predictions.
    """
    return _per_sample("mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """The mean absolute error of each sample, on fastnn's loss kernel.

    Parameters
    ----------
    y_true
        The targets.
    y_pred
        The predictions.
    """
    return _per_sample("mean_absolute_error", y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """The Huber loss of each sample, on fastnn's loss kernel.

    Parameters
    ----------
    y_true
        The targets.
    y_pred
        The predictions.
    delta
        Where the loss turns from quadratic to linear. Default 1.
    """
    return _per_sample("huber", y_true, y_pred, delta=delta)


mse = mean_squared_error
mae = mean_absolute_error


def loss_and_grad(name, y_true, y_pred, from_logits=False, sample_weight=None, delta=1.0):
    """(loss, grad): Keras' "sum_over_batch_size" loss sum_i w_i l_i / n as a float and
    its gradient with respect to y_pred (the shape and dtype of the converted y_pred).

    Parameters
    ----------
    name
        The loss's name: ``'mean_squared_error'``, ``'mean_absolute_error'``,
        ``'huber'``, ``'binary_crossentropy'``, ``'categorical_crossentropy'`` or
        ``'sparse_categorical_crossentropy'``.
    y_true
        The targets.
    y_pred
        The predictions.
    from_logits
        Whether ``y_pred`` holds logits. Default False.
    sample_weight
        A weight per sample. Default None.
    delta
        Huber's delta. Default 1.
    """
    code, param, yt, yp, shape, dtype = _loss_args(name, y_true, y_pred, from_logits,
                                                   delta)
    n = yp.shape[0]
    sw = None
    if sample_weight is not None:
        sw = _as_array(sample_weight, "sample_weight")
        if sw.shape not in ((n,), (n, 1)):
            raise ValueError(f"sample_weight must have shape ({n},) or ({n}, 1), got "
                             f"{sw.shape}")
        sw = _prepare(dtype, sw).reshape(n)
        if not np.all(np.isfinite(sw)):
            raise ValueError("sample_weight must be finite")
    grad = np.empty_like(yp)
    total = _kernels.loss(code, param, yt, yp, sw, 1.0 / n, grad, None)
    return total / n, grad.reshape(shape)


# --------------------------------------------------------------------- optimizers
def _param_arrays(w, g, slots):
    """Check that w, g and the slots are same-shape, same-dtype, C-contiguous float
    arrays (w and slots writeable): updates are in place, nothing may be copied."""
    for nm, arr in [("w", w), ("g", g)] + slots:
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{nm} must be a numpy.ndarray (updated in place), got "
                            f"{type(arr).__name__}")
    if w.dtype not in (np.float32, np.float64):
        raise TypeError(f"w must be float32 or float64, got {w.dtype}")
    for nm, arr in [("g", g)] + slots:
        if arr.dtype != w.dtype:
            raise TypeError(f"{nm} must have w's dtype {w.dtype}, got {arr.dtype}")
        if arr.shape != w.shape:
            raise ValueError(f"{nm} must have w's shape {w.shape}, got {arr.shape}")
    for nm, arr in [("w", w), ("g", g)] + slots:
        if not arr.flags.c_contiguous:
            raise ValueError(f"{nm} must be C-contiguous (it is updated or read in "
                             f"place), got a non-contiguous array")
    for nm, arr in [("w", w)] + slots:
        if not arr.flags.writeable:
            raise ValueError(f"{nm} must be writeable, got a read-only array")
    return [a.reshape(-1) for a in [w, g] + [s for _, s in slots]]


def _check_momentum(v):
    """A momentum >= 0 that the kernels see as given: they run with denormals read as 0,
    so a denormal double momentum would take the no-momentum branch (its slot unused)."""
    v = _check_real(v, "momentum", nonneg=True)
    if 0 < v < _TINY64:
        raise ValueError(f"momentum must be 0 or at least {_TINY64!r} (the smallest normal "
                         f"double; the kernels read smaller numbers as 0), got {v!r}")
    return v


_TINY64 = float(np.finfo(np.float64).tiny)


def sgd_update(w, g, m=None, lr=0.01, momentum=0.0, nesterov=False, wd_lr=0.0):
    """Keras SGD step in place: m = momentum m - lr g; w += m (nesterov: w += momentum m
    - lr g); plain w -= lr g when momentum is 0.

    Parameters
    ----------
    w
        The weights, updated in place.
    g
        The gradient.
    m
        The momentum slot, updated in place (None without momentum).
    lr
        The learning rate.
    momentum
        The momentum factor.
    nesterov
        Whether to use Nesterov momentum.
    wd_lr
        The decoupled weight decay times the learning rate (0: none).
    """
    lr = _check_real(lr, "lr")
    momentum = _check_momentum(momentum)
    nesterov = _check_bool(nesterov, "nesterov")
    wd_lr = _check_real(wd_lr, "wd_lr")
    if momentum > 0 and m is None:
        raise ValueError("m (the momentum slot) is required when momentum > 0, got None")
    slots = [("m", m)] if m is not None else []
    flat = _param_arrays(w, g, slots)
    _kernels.sgd_update(flat[0], flat[1], flat[2] if m is not None else None, lr,
                        momentum, nesterov, wd_lr)


def adam_update(w, g, m, v, alpha_t, beta1=0.9, beta2=0.999, epsilon=1e-7, wd_lr=0.0,
                vhat=None):
    """Keras Adam step in place; alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t). With the
    slot vhat (AMSGrad, Keras' amsgrad=True): vhat = max(vhat, v), used in v's place.

    Parameters
    ----------
    w
        The weights, updated in place.
    g
        The gradient.
    m
        The first-moment slot, updated in place.
    v
        The second-moment slot, updated in place.
    alpha_t
        The step size with the bias corrections of step t folded in.
    beta1
        The first moment's decay rate.
    beta2
        The second moment's decay rate.
    epsilon
        A small constant for numerical stability.
    wd_lr
        The decoupled weight decay times the learning rate (0: none).
    vhat
        AMSGrad's slot, the largest second moment so far, or None.
    """
    args = [_check_real(alpha_t, "alpha_t"), _check_real(beta1, "beta1"),
            _check_real(beta2, "beta2"), _check_real(epsilon, "epsilon", nonneg=True),
            _check_real(wd_lr, "wd_lr")]
    if vhat is None:
        flat = _param_arrays(w, g, [("m", m), ("v", v)])
        _kernels.adam_update(*flat, *args)
    else:
        flat = _param_arrays(w, g, [("m", m), ("v", v), ("vhat", vhat)])
        _kernels.adam_amsgrad_update(*flat, *args)


def adadelta_update(w, g, ag, ad, lr=0.001, rho=0.95, epsilon=1e-7, wd_lr=0.0):
    """Keras Adadelta step in place: ag = rho ag + (1 - rho) g^2 (accumulated_grad);
    d = -sqrt(ad + epsilon) g / sqrt(ag + epsilon); ad = rho ad + (1 - rho) d^2
    (accumulated_delta_var); w += lr d."""
    args = [_check_real(lr, "lr"), _check_real(rho, "rho"),
            _check_real(epsilon, "epsilon", nonneg=True), _check_real(wd_lr, "wd_lr")]
    flat = _param_arrays(w, g, [("ag", ag), ("ad", ad)])
    _kernels.adadelta_update(*flat, *args)


def lion_update(w, g, m, lr=0.001, beta1=0.9, beta2=0.99, wd_lr=0.0):
    """Keras Lion step in place: w -= lr sign(beta1 m + (1 - beta1) g);
    m = beta2 m + (1 - beta2) g (1 - beta taken in w's dtype, as Keras does)."""
    args = [_check_real(lr, "lr"), _check_real(beta1, "beta1"), _check_real(beta2, "beta2"),
            _check_real(wd_lr, "wd_lr")]
    flat = _param_arrays(w, g, [("m", m)])
    _kernels.lion_update(*flat, *args)


def nadam_update(w, g, m, v, lr, c_m, c_g, d2, beta1=0.9, beta2=0.999, epsilon=1e-7,
                 wd_lr=0.0):
    """Keras Nadam step in place: m, v as Adam's; w -= lr (c_m m + c_g g) / (sqrt(v / d2)
    + epsilon), with the step's factors c_m = u_{t+1} / (1 - prod_{k<=t+1} u_k), c_g =
    (1 - u_t) / (1 - prod_{k<=t} u_k) (u_k = beta1 (1 - 0.5 * 0.96^k)) and d2 = 1 -
    beta2^t (optimizers.Nadam computes them)."""
    args = [_check_real(lr, "lr"), _check_real(c_m, "c_m"), _check_real(c_g, "c_g"),
            _check_real(d2, "d2"), _check_real(beta1, "beta1"), _check_real(beta2, "beta2"),
            _check_real(epsilon, "epsilon", nonneg=True), _check_real(wd_lr, "wd_lr")]
    if not args[3] > 0:
        raise ValueError(f"d2 (1 - beta2**t) must be > 0, got {args[3]!r}")
    flat = _param_arrays(w, g, [("m", m), ("v", v)])
    _kernels.nadam_update(*flat, *args)


def adamax_update(w, g, m, u, lr, d1, beta1=0.9, beta2=0.999, epsilon=1e-7, wd_lr=0.0):
    """Keras Adamax step in place: m += (g - m)(1 - beta1); u = max(beta2 u, |g|);
    w -= lr m / (d1 (u + epsilon)) with d1 = 1 - beta1^t."""
    args = [_check_real(lr, "lr"), _check_real(d1, "d1"), _check_real(beta1, "beta1"),
            _check_real(beta2, "beta2"), _check_real(epsilon, "epsilon", nonneg=True),
            _check_real(wd_lr, "wd_lr")]
    if not args[1] > 0:
        raise ValueError(f"d1 (1 - beta1**t) must be > 0, got {args[1]!r}")
    flat = _param_arrays(w, g, [("m", m), ("u", u)])
    _kernels.adamax_update(*flat, *args)


def rmsprop_update(w, g, v, mg=None, mom=None, lr=0.001, rho=0.9, momentum=0.0,
                   epsilon=1e-7, centered=False, wd_lr=0.0):
    """Keras RMSprop step in place (epsilon inside the square root).

    Parameters
    ----------
    w
        The weights, updated in place.
    g
        The gradient.
    v
        The mean-square slot, updated in place.
    mg
        The mean-gradient slot (``centered=True``), or None.
    mom
        The momentum slot, or None.
    lr
        The learning rate.
    rho
        The mean square's decay rate.
    momentum
        The momentum factor.
    epsilon
        A small constant for numerical stability.
    centered
        Whether to divide by the estimated variance instead of the mean square.
    wd_lr
        The decoupled weight decay times the learning rate (0: none).
    """
    lr = _check_real(lr, "lr")
    rho = _check_real(rho, "rho")
    momentum = _check_momentum(momentum)
    epsilon = _check_real(epsilon, "epsilon", nonneg=True)
    centered = _check_bool(centered, "centered")
    wd_lr = _check_real(wd_lr, "wd_lr")
    if centered and mg is None:
        raise ValueError("mg (the mean-gradient slot) is required when centered=True, "
                         "got None")
    if momentum > 0 and mom is None:
        raise ValueError("mom (the momentum slot) is required when momentum > 0, got None")
    slots = [("v", v)]
    if centered:
        slots.append(("mg", mg))
    if momentum > 0:
        slots.append(("mom", mom))
    flat = _param_arrays(w, g, slots)
    fmg = flat[3] if centered else None
    fmom = flat[-1] if momentum > 0 else None
    _kernels.rmsprop_update(flat[0], flat[1], flat[2], fmg, fmom, lr, rho, momentum,
                            epsilon, centered, wd_lr)


def adagrad_update(w, g, acc, lr=0.001, epsilon=1e-7, wd_lr=0.0):
    """Keras Adagrad step in place: acc += g^2; w -= lr g / sqrt(acc + epsilon).

    Parameters
    ----------
    w
        The weights, updated in place.
    g
        The gradient.
    acc
        The sum of squared gradients, updated in place.
    lr
        The learning rate.
    epsilon
        A small constant for numerical stability.
    wd_lr
        The decoupled weight decay times the learning rate (0: none).
    """
    args = [_check_real(lr, "lr"), _check_real(epsilon, "epsilon", nonneg=True),
            _check_real(wd_lr, "wd_lr")]
    flat = _param_arrays(w, g, [("acc", acc)])
    _kernels.adagrad_update(*flat, *args)
