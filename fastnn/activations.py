"""Activation functions by their Keras names (keras.activations), computed by fastnn.kernel_ops."""
import functools

import numpy as np

from fastnn import _argcheck, kernel_ops as ops
from fastnn.autodiff.tape import should_record
from fastnn.tensor import Tensor as _Tensor, as_tensor as _as_tensor


def _differentiable(name, fn, *args, **kwargs):
    """The activation `name` through fastnn.autodiff's ops (recorded on the tape)."""
    import inspect
    from fastnn.autodiff import ops as K
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    a = dict(bound.arguments)
    x = a.pop("x")
    if name == "relu":
        slope, top, threshold = a["negative_slope"], a["max_value"], a["threshold"]
        if slope == 0.0 and top is None and threshold == 0.0:
            return K.relu(x)
        out = K.where(K.greater_equal(x, threshold), x,
                      K.multiply(K.subtract(x, threshold), slope))
        return out if top is None else K.minimum(out, top)
    if name == "linear":
        return x
    if name == "exponential":
        return K.exp(x)
    if name == "gelu":
        return K.gelu(x, approximate=a["approximate"])
    return getattr(K, name)(x, **a)


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
    negative_slope = _argcheck.real(negative_slope, "negative_slope", "relu")
    max_value = _argcheck.real(max_value, "max_value", "relu", allow_none=True)
    threshold = _argcheck.real(threshold, "threshold", "relu")
    x = _arr(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return _forward("relu", x)
    # The parametrised form (Keras' relu signature) is rare: plain NumPy.
    with np.errstate(over="ignore"):   # a slope of 1e30 overflows float32 as in Keras
        out = np.where(x >= threshold, x, negative_slope * (x - threshold)).astype(x.dtype)
    if max_value is not None:
        out = np.minimum(out, max_value).astype(x.dtype)
    return out


@_named("sigmoid")
def sigmoid(x):
    return _forward("sigmoid", _arr(x))


@_named("tanh")
def tanh(x):
    return _forward("tanh", _arr(x))


@_named("leaky_relu", negative_slope=0.2)
def leaky_relu(x, negative_slope=0.2):
    return _forward("leaky_relu", _arr(x), negative_slope=negative_slope)


@_named("elu", alpha=1.0)
def elu(x, alpha=1.0):
    return _forward("elu", _arr(x), alpha=alpha)


@_named("selu")
def selu(x):
    return _forward("selu", _arr(x))


@_named("softplus")
def softplus(x):
    return _forward("softplus", _arr(x))


@_named("softsign")
def softsign(x):
    return _forward("softsign", _arr(x))


@_named("silu")
def silu(x):
    return _forward("silu", _arr(x))


swish = silu


@_named("gelu", approximate=False)
def gelu(x, approximate=False):
    return _forward("gelu", _arr(x), approximate=approximate)


@_named("hard_sigmoid")
def hard_sigmoid(x):
    """Keras 3 form: clip(x/6 + 0.5, 0, 1) (Keras 2 used 0.2x + 0.5)."""
    return _forward("hard_sigmoid", _arr(x))


@_named("exponential")
def exponential(x):
    return _forward("exponential", _arr(x))


@_named("linear")
def linear(x):
    return _arr(x)


@_named("softmax", axis=-1)
def softmax(x, axis=-1):
    return _forward("softmax", _arr(x), axis=axis)


@_named("log_softmax", axis=-1)
def log_softmax(x, axis=-1):
    return _forward("log_softmax", _arr(x), axis=axis)


# The registry: Keras names (and aliases) -> function. Also used by deserialisation.
ALL_OBJECTS = {
    f._fastnn_name: f
    for f in (relu, sigmoid, tanh, leaky_relu, elu, selu, softplus, softsign, silu, gelu,
              hard_sigmoid, exponential, linear, softmax, log_softmax)
}
ALIASES = {"swish": "silu"}


def _known():
    return sorted(list(ALL_OBJECTS) + list(ALIASES))


def get(identifier):
    """Name, callable or None -> activation function. Unknown names raise ValueError."""
    if identifier is None:
        return linear
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


def serialize(activation):
    """Activation function -> its Keras name (the string saving stores)."""
    name = getattr(activation, "_fastnn_name", None)
    if name is None:
        raise ValueError(
            f"activation: cannot serialise {activation!r}: only the built-in activations "
            f"{_known()} can be saved")
    return name


def deserialize(name):
    return get(name)
