"""Activation functions by their Keras names (keras.activations), computed by fastnn.kernel_ops."""
import functools

import numpy as np

from fastnn import _argcheck, kernel_ops as ops
from fastnn.autodiff import nn_ops
from fastnn.autodiff.tape import should_record
from fastnn.tensor import Tensor as _Tensor, as_tensor as _as_tensor


def _differentiable(name, fn, *args, **kwargs):
    """The activation `name` through fastnn.autodiff's ops (recorded on the tape). Those
    with a C kernel record it with its C backward kernel (a nested tape differentiates
    their formula instead: second derivatives)."""
    import inspect
    from fastnn.autodiff import ops as K
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    a = dict(bound.arguments)
    x = a.pop("x")
    if name == "relu":
        kname, _, param, _ = ops._resolve_activation("relu", a)
        if kname == "relu":
            return K.relu(x)
        if kname == "leaky_relu":
            return K.leaky_relu(x, negative_slope=param)
        return _recorded(x, kname, param, _relu_formula, **a)
    if name in _FORMULAS:
        kname, _, param, _ = ops._resolve_activation(name, a)
        return _recorded(x, kname, param, _FORMULAS[name], **a)
    if name == "linear":
        return x
    if name == "exponential":
        return K.exp(x)
    if name == "gelu":
        return K.gelu(x, approximate=a["approximate"])
    return getattr(K, name)(x, **a)


def _recorded(x, kname, param, formula, **params):
    """The C kernel `kname` on x, recorded with its C backward kernel
    (fastnn.autodiff.nn_ops); a nested tape takes formula(x, **params)'s VJP."""
    from fastnn.autodiff import nn_ops
    return nn_ops._activation(x, kname, param, formula, **params)


def _arr(x, argname="x"):
    """x as a float array as fastnn.ops converts it (_argcheck.op_floats): float32 and
    float64 arrays kept, ints, bools, float16, Python numbers and lists as float32.
    Anything that is not real numbers is refused (TypeError; an int too large for a
    float: ValueError)."""
    return _argcheck.op_floats(x, argname)


def _forward(name, x, argname="x", **params):
    """ops' activation, its errors naming the argument as the caller knows it."""
    return ops._activate(name, x, argname, params)


def _named(name, **defaults):
    """Register fn under its Keras name; its result is a Tensor (fastnn.tensor). Under
    a GradientTape that follows the input, the differentiable keras.ops function of the
    same name runs instead (the same C kernels, recorded with their gradients)."""
    def deco(fn):
        @functools.wraps(fn)
        def activation(*args, **kwargs):
            x = args[0] if args else kwargs.get("x")
            if isinstance(x, _Tensor) and should_record((x,)):
                return _differentiable(name, fn, *args, **kwargs)
            return _as_tensor(fn(*args, **kwargs))
        activation._fastnn_name = name
        activation._fastnn_defaults = defaults
        return activation
    return deco


@_named("relu")
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's relu (keras.src.activations.ReLU.static_call, step by step): with a
    threshold, x where x > threshold (strictly) else 0; clipped to [0, max_value]
    when max_value is given; minus negative_slope * relu(threshold - x).

    Parameters
    ----------
    x : array-like
        The input tensor.
    negative_slope : float
        The slope below the threshold. Default 0.
    max_value : float, optional
        The largest output. Default None: no limit.
    threshold : float
        Values at or below it are 0 (or follow ``negative_slope``). Default 0.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("relu", _arr(x), negative_slope=negative_slope, max_value=max_value,
                    threshold=threshold)


def _relu_formula(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras' parametrised relu (ReLU.static_call) in fastnn.autodiff.ops: the formula
    a nested tape differentiates."""
    K = _K()
    slope, top, thr = negative_slope, max_value, threshold
    if slope != 0.0:
        if top is None and thr == 0.0:
            return K.leaky_relu(x, negative_slope=slope)
        negative_part = K.relu(K.subtract(_c(x, thr), x)) if thr != 0.0 else K.relu(K.negative(x))
    out = K.where(np.asarray(x) > _c(x, thr), x, _c(x, 0)) if thr != 0.0 else K.relu(x)
    if top is not None:
        out = K.minimum(K.maximum(out, _c(x, 0)), _c(x, top))
    if slope != 0.0:
        out = K.subtract(out, K.multiply(_c(x, slope), negative_part))
    return out


@_named("sigmoid")
def sigmoid(x):
    """The logistic sigmoid, ``1 / (1 + exp(-x))``, with outputs in (0, 1).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("sigmoid", _arr(x))


@_named("tanh")
def tanh(x):
    """The hyperbolic tangent, with outputs in (-1, 1).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("tanh", _arr(x))


@_named("leaky_relu", negative_slope=0.2)
def leaky_relu(x, negative_slope=0.2):
    """The leaky rectified linear unit: ``x`` where ``x >= 0``, ``negative_slope * x``
    elsewhere.

    Parameters
    ----------
    x : array-like
        The input tensor.
    negative_slope : float
        The slope for negative inputs. Default 0.2.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("leaky_relu", _arr(x), negative_slope=negative_slope)


@_named("elu", alpha=1.0)
def elu(x, alpha=1.0):
    """The exponential linear unit: ``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    x : array-like
        The input tensor.
    alpha : float
        The scale of the negative part. Default 1.0.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("elu", _arr(x), alpha=alpha)


@_named("selu")
def selu(x):
    """The scaled exponential linear unit: ``scale * x`` where ``x > 0`` and ``scale * alpha *
    (exp(x) - 1)`` elsewhere, with Keras' constants ``alpha = 1.67326...`` and ``scale =
    1.05070...`` (use with ``lecun_normal`` initialisation and AlphaDropout).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("selu", _arr(x))


@_named("softplus")
def softplus(x):
    """The softplus, ``log(exp(x) + 1)``, computed stably.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("softplus", _arr(x))


@_named("softsign")
def softsign(x):
    """The softsign, ``x / (abs(x) + 1)``.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("softsign", _arr(x))


@_named("silu")
def silu(x):
    """The sigmoid linear unit (swish), ``x * sigmoid(x)``.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("silu", _arr(x))


swish = silu


@_named("gelu", approximate=False)
def gelu(x, approximate=False):
    """The Gaussian error linear unit, ``x * P(X <= x)`` for a standard normal X: ``0.5 * x *
    (1 + erf(x / sqrt(2)))``.

    Parameters
    ----------
    x : array-like
        The input tensor.
    approximate : bool
        Whether to use the tanh approximation, ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x
        + 0.044715 * x**3)))``. Default False.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("gelu", _arr(x), approximate=approximate)


@_named("hard_sigmoid")
def hard_sigmoid(x):
    """Keras 3 form: clip(x/6 + 0.5, 0, 1) (Keras 2 used 0.2x + 0.5).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("hard_sigmoid", _arr(x))


@_named("exponential")
def exponential(x):
    """The exponential, ``exp(x)``.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("exponential", _arr(x))


@_named("linear")
def linear(x):
    """The identity, ``x`` unchanged (the activation of a layer without one).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _arr(x)


@_named("softmax", axis=-1)
def softmax(x, axis=-1):
    """The softmax, ``exp(x) / sum(exp(x))`` along ``axis``: probabilities that sum to 1.
    Computed stably (the maximum subtracted first).

    Parameters
    ----------
    x : array-like
        The input tensor.
    axis : int
        The axis it normalises over. Default -1, the last.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    if isinstance(axis, (tuple, list)):     # over several axes at once (as Keras)
        x = _arr(x)
        return _K().softmax(x, axis=_axes(axis, x.ndim, "softmax"))
    return _forward("softmax", _arr(x), axis=axis)


@_named("log_softmax", axis=-1)
def log_softmax(x, axis=-1):
    """The logarithm of the softmax, ``x - logsumexp(x)`` along ``axis``, computed stably.

    Parameters
    ----------
    x : array-like
        The input tensor.
    axis : int
        The axis it normalises over. Default -1, the last.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    if isinstance(axis, (tuple, list)):     # over several axes at once (as Keras)
        x = _arr(x)
        return _K().log_softmax(x, axis=_axes(axis, x.ndim, "log_softmax"))
    return _forward("log_softmax", _arr(x), axis=axis)


# ------------------------------------------------------------- Keras 3's newer ones
# Each runs its C kernel (csrc/activations.h), so a layer using one trains in the C
# engine and on the layer path alike; under a GradientTape the kernel is recorded with
# its C backward kernel, and its formula (fastnn.autodiff.nn_ops.FORMULAS, or below) is
# what a nested tape differentiates for second derivatives. glu (which halves its input)
# and sparsemax (a projection onto the simplex) are keras.ops functions
# (fastnn.autodiff.ops) with no C kernel: layers call them as functions.

def _composed(name, **defaults):
    """Register fn(x, ...) computed with fastnn.autodiff.ops; x arrives as a float array
    (converted as fastnn.ops converts it) or as the recorded Tensor a tape follows."""
    def deco(fn):
        @functools.wraps(fn)
        def activation(x, *args, **kwargs):
            if not (isinstance(x, _Tensor) and should_record((x,))):
                x = _arr(x)
            with np.errstate(over="ignore", under="ignore"):
                out = fn(x, *args, **kwargs)
                if np.ndim(x) == 0 and np.ndim(out) != 0:
                    # fastnn.autodiff.ops' C-kernel ops (softplus, tanh, hard_sigmoid)
                    # give shape (1,) for a 0-d input: a scalar stays a scalar
                    out = _K().reshape(out, ())
            # a recorded result must stay the same object (the tape tracks it by id)
            return out if isinstance(out, _Tensor) else _as_tensor(out)
        activation._fastnn_name = name
        activation._fastnn_defaults = defaults
        activation._fastnn_kernel = False      # no C kernel: layers call the function
        return activation
    return deco


def _axes(axis, ndim, owner):
    """A tuple or list of axes, each an int within [-ndim, ndim), none repeated."""
    axes = tuple(ops._check_axis(a, ndim) for a in axis)
    if not axes:
        raise ValueError(f"{owner}: axis must name at least one axis, got {axis!r}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{owner}: repeated axis in {axis!r}")
    return axes


def _K():
    from fastnn.autodiff import ops as K
    return K


def _c(x, v):
    return np.asarray(v, dtype=x.dtype)


# The formulas (Keras 3's, in fastnn.autodiff.ops) of the activations below.
def _relu6_formula(x):
    K = _K()
    return K.minimum(K.maximum(x, _c(x, 0)), _c(x, 6))


def _hard_silu_formula(x):
    K = _K()
    return K.multiply(x, K.hard_sigmoid(x))


def _mish_formula(x):
    K = _K()
    return K.multiply(x, K.tanh(K.softplus(x)))


def _log_sigmoid_formula(x):
    K = _K()
    return K.negative(K.softplus(K.negative(x)))


_FORMULAS = {"relu6": _relu6_formula, "hard_silu": _hard_silu_formula,
             "mish": _mish_formula, "log_sigmoid": _log_sigmoid_formula}
# the formulas of keras.ops' parametrised activations (fastnn.autodiff.nn_ops)
_FORMULAS.update((name, nn_ops.FORMULAS[name]) for name in (
    "celu", "sparse_plus", "sparse_sigmoid", "squareplus", "soft_shrink", "hard_shrink",
    "tanh_shrink", "hard_tanh", "threshold"))


@_named("relu6")
def relu6(x):
    """min(max(x, 0), 6).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("relu6", _arr(x))


@_named("hard_silu")
def hard_silu(x):
    """x * hard_sigmoid(x): 0 for x <= -3, x for x >= 3, x * (x + 3) / 6 between.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("hard_silu", _arr(x))


hard_swish = hard_silu


@_named("mish")
def mish(x):
    """x * tanh(softplus(x)).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("mish", _arr(x))


@_named("celu", alpha=1.0)
def celu(x, alpha=1.0):
    """max(x, 0) + alpha * expm1(min(x, 0) / alpha).

    Parameters
    ----------
    x : array-like
        The input tensor.
    alpha : float
        The scale of the negative part; not 0. Default 1.0.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("celu", _arr(x), alpha=alpha)


@_composed("glu", axis=-1)
def glu(x, axis=-1):
    """a * sigmoid(b), where a and b are the two halves of x along `axis`.

    Parameters
    ----------
    x : array-like
        The input tensor.
    axis : int
        The axis split into two halves (of even size). Default -1.

    Returns
    -------
    Tensor
        Half the size of ``x`` along ``axis``.
    """
    return _K().glu(x, axis=axis)


@_composed("sparsemax", axis=-1)
def sparsemax(x, axis=-1):
    """The sparsemax of x along `axis`: the Euclidean projection of x onto the
    probability simplex, ``max(x - tau, 0)`` with tau such that it sums to 1. Unlike
    softmax it gives exact zeros.

    Parameters
    ----------
    x : array-like
        The input tensor, at least 1-D.
    axis : int
        The axis it normalises over. Default -1.

    Returns
    -------
    Tensor
        Of the shape of ``x``.
    """
    return _K().sparsemax(x, axis=axis)


@_named("log_sigmoid")
def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), computed stably.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("log_sigmoid", _arr(x))


@_named("sparse_plus")
def sparse_plus(x):
    """0 for x <= -1, (x + 1)**2 / 4 for -1 < x < 1, x for x >= 1.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("sparse_plus", _arr(x))


@_named("sparse_sigmoid")
def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 for -1 < x < 1, 1 for x >= 1.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("sparse_sigmoid", _arr(x))


@_named("squareplus", b=4)
def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2, computed without overflow or cancellation.

    Parameters
    ----------
    x : array-like
        The input tensor.
    b : float
        The smoothness of the curve near 0, at least 0. Default 4.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("squareplus", _arr(x), b=b)


@_named("soft_shrink", threshold=0.5)
def soft_shrink(x, threshold=0.5):
    """x - threshold for x > threshold, x + threshold for x < -threshold, else 0.

    Parameters
    ----------
    x : array-like
        The input tensor.
    threshold : float
        The width of the band around 0 mapped to 0. Default 0.5.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("soft_shrink", _arr(x), threshold=threshold)


@_named("hard_shrink", threshold=0.5)
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0.

    Parameters
    ----------
    x : array-like
        The input tensor.
    threshold : float
        Values with an absolute value up to it become 0. Default 0.5.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("hard_shrink", _arr(x), threshold=threshold)


@_named("tanh_shrink")
def tanh_shrink(x):
    """x - tanh(x), accurate also for small ``|x|`` (where the difference cancels).

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("tanh_shrink", _arr(x))


@_named("hard_tanh")
def hard_tanh(x):
    """x clipped to [-1, 1].

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("hard_tanh", _arr(x))


@_named("threshold")
def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value (both required, as in Keras).

    Parameters
    ----------
    x : array-like
        The input tensor.
    threshold : float
        Values above it pass unchanged.
    default_value : float
        The value given to the others.

    Returns
    -------
    Tensor
        The activation of ``x``, element-wise, of its shape.
    """
    return _forward("threshold", _arr(x), threshold=threshold, default_value=default_value)


# The registry: Keras names (and aliases) -> function. Also used by deserialisation.
ALL_OBJECTS = {
    f._fastnn_name: f
    for f in (relu, sigmoid, tanh, leaky_relu, elu, selu, softplus, softsign, silu, gelu,
              hard_sigmoid, exponential, linear, softmax, log_softmax,
              relu6, hard_silu, mish, celu, glu, log_sigmoid, sparse_plus, sparse_sigmoid,
              squareplus, soft_shrink, hard_shrink, tanh_shrink, hard_tanh, threshold,
              sparsemax)
}
ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}


def _known():
    return sorted(list(ALL_OBJECTS) + list(ALIASES))


def get(identifier):
    """Name, callable or None -> activation function. Unknown names raise ValueError.

    Parameters
    ----------
    identifier : str, callable or None
        A name (``'relu'``), a function (returned as it is) or None (the linear
        activation).

    Returns
    -------
    callable
        The activation function.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict) and _names_a_layer(identifier):
        from fastnn import layers
        return layers.deserialize({k: identifier[k] for k in ("class_name", "config",
                                                              "registered_name")
                                   if k in identifier})
    if isinstance(identifier, dict):
        config = identifier.get("config", identifier)
        name = config.get("name") if isinstance(config, dict) else None
        identifier = name if name is not None else identifier.get("class_name")
        if not isinstance(identifier, str):
            raise TypeError(f"activation: a config dict must name the activation under "
                            f"'name' or 'class_name', got {_argcheck.shown(identifier)}")
    if isinstance(identifier, str):
        key = ALIASES.get(identifier, identifier)
        if key in ALL_OBJECTS:
            return ALL_OBJECTS[key]
        raise ValueError(
            f"activation: unknown activation {identifier!r}; expected one of {_known()}")
    if callable(identifier):
        return identifier
    raise TypeError(
        f"activation: expected a name, a callable or None, got {type(identifier).__name__} "
        f"{identifier!r}")


def _names_a_layer(config):
    """Whether a serialized activation {"class_name", "config", ...} is a layer (ReLU,
    LeakyReLU, ... or a custom layer class known by name) rather than a function."""
    from fastnn import layers, serialization
    name = config.get("class_name")
    if not isinstance(name, str) or not isinstance(config.get("config"), dict):
        return False
    if name in layers.ALL_OBJECTS:
        return True
    custom = serialization.custom_class_for(config)
    return custom is not None and isinstance(custom[name], type) and issubclass(
        custom[name], layers.Layer)


def serialize(activation):
    """Activation function -> its Keras name (the string saving stores); a layer used as
    the activation (``Dense(4, activation=keras.layers.ReLU())``) -> its serialized form
    ``{"module", "class_name", "config", "registered_name"}``, as Keras writes it.

    Parameters
    ----------
    activation : callable
        A built-in activation function of this module, or a layer.

    Returns
    -------
    str or dict
        Its name, or the layer's serialized form.
    """
    from fastnn.layers import Layer
    if isinstance(activation, Layer):
        from fastnn.serialization import serialize_keras_object
        return serialize_keras_object(activation)
    name = getattr(activation, "_fastnn_name", None)
    if name is None:
        raise ValueError(
            f"activation: cannot serialise {activation!r}: only the built-in activations "
            f"{_known()} can be saved")
    return name


def deserialize(name):
    """The activation function for a name that ``serialize`` gave.

    Parameters
    ----------
    name : str
        The activation's name, e.g. ``'relu'``.

    Returns
    -------
    callable
        The function.
    """
    return get(name)
