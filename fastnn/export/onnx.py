"""ONNX export: a fastnn model written as an ONNX graph for inference
(``model.export(path, format="onnx")``, Keras 3's method and arguments).

The graph is written with ``onnx.helper`` directly, layer by layer: each layer class
that has an ONNX form has a converter in ``_LAYERS``, each activation function of
``fastnn.activations`` one in ``_ACTIVATIONS``. The graph computes what ``model.predict``
computes (inference mode): the training-only layers (Dropout, the noise layers,
ActivityRegularization) are left out, BatchNormalization uses its moving statistics.
Every input's first axis is a symbolic batch dimension named "batch"; the inputs and
outputs are named after the model's input and output layers.

Where ONNX Runtime has no float64 kernel for an ONNX operator (Elu, Selu, Softplus,
HardSigmoid, ...), float64 models get the same formula composed of elementary
operators; float32 models get the operator itself (those of newer opsets, Gelu, Mish,
HardSwish, when the opset has them). ONNX Runtime has no float64 Erf: the exact gelu of
a float64 model evaluates erf in float32 (Cast, Erf, Cast).

Anything without an ONNX form (a Lambda layer, a keras.ops call on symbolic tensors,
a layer class of your own, an activation that is a Python function, a subclassed
model whose call() is not a chain of its layers) raises a ValueError naming it, and
nothing is written.
"""
import math
import numbers
import os

import numpy as np

#: The ONNX opset written when ``opset_version`` is not given.
DEFAULT_OPSET = 17
#: The oldest opset the exporter writes (Softmax over one axis, Unsqueeze and
#: ReduceSum with their axes as inputs, Split with its sizes as an input).
MIN_OPSET = 13

_BATCH = "batch"


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None,
                **kwargs):
    """Export `model` as an ONNX file for inference (Keras 3's ``export_onnx``).

    The file holds the model's forward pass in inference mode (what ``model.predict``
    computes) and its weights; it can be run without fastnn, e.g. by ONNX Runtime::

        model.export("model.onnx", format="onnx")
        session = onnxruntime.InferenceSession("model.onnx")
        outputs = session.run(None, {session.get_inputs()[0].name: x})

    Parameters
    ----------
    model : fastnn.Model
        A built Sequential or functional model, or a subclassed model whose ``call``
        is a chain of its own layers.
    filepath : str or os.PathLike
        Where to write the ``.onnx`` file (replaced atomically if it exists: an
        interrupted export leaves the old file or none).
    verbose : bool or None
        Print a line naming the file once written; None (the default) means True,
        as in Keras.
    input_signature : None, keras.Input tensor, or a list of them
        None: the model's own inputs, named after its Input layers. Otherwise one
        ``keras.Input(shape, dtype, name=...)`` per model input (in the order of
        ``model.inputs``), as Keras takes them: its name names the ONNX input, and a
        size the model leaves unknown may be fixed; its dtype and the sizes the model
        knows must be the model's. The batch axis is symbolic either way.
    opset_version : int or None
        The ONNX opset to write, from 13 to the newest the installed ``onnx`` package
        knows; None means 17.
    **kwargs
        None are accepted (TypeError names any given).

    Returns
    -------
    None

    Raises
    ------
    ImportError
        When the ``onnx`` package is not installed.
    ValueError
        For an unbuilt model, a bad argument, or a layer or activation with no ONNX
        form (named in the message); nothing is written then.
    """
    from fastnn.models.model import Model
    if kwargs:
        raise TypeError(f"export(format='onnx'): unexpected keyword argument(s) "
                        f"{sorted(kwargs)}; the ONNX export takes verbose, input_signature "
                        f"and opset_version")
    if not isinstance(model, Model):
        raise TypeError(f"export_onnx: model must be a fastnn Model, got "
                        f"{type(model).__name__}")
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"export(format='onnx'): filepath must be a str or a path object, "
                        f"got {type(filepath).__name__} {filepath!r:.100}")
    if verbose is not None and not isinstance(verbose, (bool, np.bool_)):
        raise TypeError(f"export(format='onnx'): verbose must be True, False or None, got "
                        f"{type(verbose).__name__} {verbose!r:.100}")
    try:
        import onnx
    except ImportError:
        raise ImportError("export(format='onnx') needs the onnx package: "
                          "pip install \"fastnn-cpu[onnx]\" (or pip install onnx)") from None
    opset = _check_opset(opset_version, onnx)
    proto = to_onnx(model, opset, onnx, input_signature=input_signature)
    from fastnn.saving import _atomic_write
    # as fastnn's model files: a temporary file beside filepath, then renamed over it
    _atomic_write(filepath, lambda f: f.write(proto.SerializeToString()))
    if verbose is None or verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}'.")


def _check_opset(opset_version, onnx):
    newest = onnx.defs.onnx_opset_version()
    if opset_version is None:
        return min(DEFAULT_OPSET, newest)
    if isinstance(opset_version, (bool, np.bool_)) or \
            not isinstance(opset_version, numbers.Integral):
        raise TypeError(f"export(format='onnx'): opset_version must be an int or None, got "
                        f"{type(opset_version).__name__} {opset_version!r:.100}")
    if not MIN_OPSET <= opset_version <= newest:
        raise ValueError(f"export(format='onnx'): opset_version must be from {MIN_OPSET} to "
                         f"{newest} (the newest the installed onnx package knows), got "
                         f"{opset_version}")
    return int(opset_version)


# ====================================================================== the graph
class _Value:
    """A tensor of the graph being written: its ONNX name, NumPy dtype and shape (None
    for the batch axis and any unknown size)."""

    __slots__ = ("name", "dtype", "shape")

    def __init__(self, name, dtype, shape):
        self.name, self.dtype, self.shape = name, np.dtype(dtype), tuple(shape)

    @property
    def rank(self):
        return len(self.shape)


class _Graph:
    """The nodes and initializers written so far, with unique names: each node and
    value is named after the layer being converted ("dense_1/Gemm")."""

    def __init__(self, onnx, opset, reserved):
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.nodes, self.initializers = [], []
        self.used = set(reserved)
        self.scope = ""
        self.layer = None            # the layer being converted
        self._consts, self._weights = {}, {}

    def unique(self, base):
        name, i = base, 1
        while name in self.used:
            name = f"{base}_{i}"
            i += 1
        self.used.add(name)
        return name

    def node(self, op_type, inputs, n_outputs=1, **attrs):
        """Add a node; its output name (or names, for n_outputs > 1)."""
        base = f"{self.scope}/{op_type}" if self.scope else op_type
        outputs = [self.unique(base) for _ in range(n_outputs)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs,
                                                name=self.unique(base + ":node"), **attrs))
        return outputs[0] if n_outputs == 1 else outputs

    def initializer(self, array, label, per_layer=True):
        """A weight or constant array as an initializer; its name. A layer called more
        than once (shared weights) writes each of its arrays once: per_layer keys them
        by the layer being converted and `label`."""
        array = np.ascontiguousarray(array)
        key = (id(self.layer), label, array.shape, array.dtype.str) \
            if per_layer and self.layer is not None else None
        if key in self._weights:
            return self._weights[key]
        base = f"{self.scope}/{label}" if self.scope else label
        name = self.unique(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        if key is not None:
            self._weights[key] = name
        return name

    def const(self, value, dtype):
        """A constant of `dtype` (shared between the nodes that use the same one)."""
        a = np.asarray(value, dtype=dtype)
        key = (a.dtype.str, a.shape, a.tobytes())
        if key not in self._consts:
            scope, self.scope = self.scope, ""
            self._consts[key] = self.initializer(a, "const", per_layer=False)
            self.scope = scope
        return self._consts[key]

    def ints(self, values):
        return self.const(np.asarray(values, dtype=np.int64), np.int64)

    # -- helpers for operators whose form changed between opsets ------------------
    def reduce(self, op_type, x, axes, keepdims=True):
        """ReduceSum / ReduceMean / ReduceMax over `axes` (non-negative ints): the axes
        are an input from opset 13 (ReduceSum) or 18 (the others), an attribute before."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.node(op_type, [x], axes=axes, keepdims=int(keepdims))

    def split2(self, x, axis):
        """x split in two equal halves along `axis`."""
        if self.opset >= 18:
            return self.node("Split", [x], n_outputs=2, axis=int(axis), num_outputs=2)
        return self.node("Split", [x], n_outputs=2, axis=int(axis))

    def cast(self, value, dtype):
        dtype = np.dtype(dtype)
        if value.dtype == dtype:
            return value
        to = self.helper.np_dtype_to_tensor_dtype(dtype)
        return _Value(self.node("Cast", [value.name], to=to), dtype, value.shape)


def _refuse(what, why=""):
    raise ValueError(f"export(format='onnx'): {what} has no ONNX form{why}; the model "
                     f"cannot be exported")


# ====================================================================== activations
# name -> emit(g, x (ONNX name), dtype, **params) -> ONNX name. One entry per function
# of fastnn.activations.ALL_OBJECTS (the tests check that every one has an entry).

def _f32(dtype):
    return np.dtype(dtype) == np.float32


def _where_positive(g, x, dt, neg):
    """x where x > 0, else neg."""
    return g.node("Where", [g.node("Greater", [x, g.const(0, dt)]), x, neg])


def _expm1(g, x, dt):
    return g.node("Sub", [g.node("Exp", [x]), g.const(1, dt)])


def _softplus(g, x, dt):
    if _f32(dt):
        return g.node("Softplus", [x])
    # max(x, 0) + log(1 + exp(-|x|)): finite for any finite x, as fastnn's kernel
    tail = g.node("Log", [g.node("Add", [g.const(1, dt),
                                         g.node("Exp", [g.node("Neg", [g.node("Abs", [x])])])])])
    return g.node("Add", [g.node("Relu", [x]), tail])


def _clip(g, x, dt, lo, hi):
    return g.node("Clip", [x, g.const(lo, dt), g.const(hi, dt)])


def _relu(g, x, dt, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return g.node("Relu", [x])
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return _leaky_relu(g, x, dt, negative_slope)
    # Keras' parametrised relu, as fastnn.activations.relu computes it
    zero = g.const(0, dt)
    if threshold != 0.0:
        out = g.node("Where", [g.node("Greater", [x, g.const(threshold, dt)]), x, zero])
    else:
        out = g.node("Relu", [x])
    if max_value is not None:
        out = g.node("Min", [g.node("Max", [out, zero]), g.const(max_value, dt)])
    if negative_slope != 0.0:
        neg = g.node("Relu", [g.node("Sub", [g.const(threshold, dt), x])]) \
            if threshold != 0.0 else g.node("Relu", [g.node("Neg", [x])])
        out = g.node("Sub", [out, g.node("Mul", [g.const(negative_slope, dt), neg])])
    return out


def _leaky_relu(g, x, dt, negative_slope=0.2):
    if _f32(dt):
        return g.node("LeakyRelu", [x], alpha=float(negative_slope))
    ge = g.node("GreaterOrEqual", [x, g.const(0, dt)])
    return g.node("Where", [ge, x, g.node("Mul", [x, g.const(negative_slope, dt)])])


def _elu(g, x, dt, alpha=1.0):
    if _f32(dt):
        return g.node("Elu", [x], alpha=float(alpha))
    return _where_positive(g, x, dt, g.node("Mul", [g.const(alpha, dt), _expm1(g, x, dt)]))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu(g, x, dt):
    if _f32(dt):
        return g.node("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE)
    inner = _where_positive(g, x, dt, g.node("Mul", [g.const(_SELU_ALPHA, dt),
                                                     _expm1(g, x, dt)]))
    return g.node("Mul", [g.const(_SELU_SCALE, dt), inner])


def _softsign(g, x, dt):
    if _f32(dt):
        return g.node("Softsign", [x])
    return g.node("Div", [x, g.node("Add", [g.const(1, dt), g.node("Abs", [x])])])


def _silu(g, x, dt):
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


def _gelu(g, x, dt, approximate=False):
    if g.opset >= 20 and (_f32(dt) or approximate):   # ONNX Runtime: no float64 erf form
        return g.node("Gelu", [x], approximate="tanh" if approximate else "none")
    half_x = g.node("Mul", [g.const(0.5, dt), x])
    if approximate:
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [g.const(0.044715, dt), cube])])
        t = g.node("Tanh", [g.node("Mul", [g.const(math.sqrt(2 / math.pi), dt), inner])])
    else:
        # 0.5 x (1 + erf(x / sqrt(2))); ONNX Runtime has Erf in float32 only
        arg = _Value(g.node("Mul", [x, g.const(math.sqrt(0.5), dt)]), dt, ())
        arg32 = g.cast(arg, np.float32)
        t = g.cast(_Value(g.node("Erf", [arg32.name]), np.float32, ()), dt).name
    return g.node("Mul", [half_x, g.node("Add", [g.const(1, dt), t])])


def _hard_sigmoid(g, x, dt):
    # Keras 3: clip(x / 6 + 0.5, 0, 1) (ONNX's defaults, alpha 0.2, are Keras 2's)
    if _f32(dt):
        return g.node("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
    lin = g.node("Add", [g.node("Div", [x, g.const(6, dt)]), g.const(0.5, dt)])
    return _clip(g, lin, dt, 0, 1)


def _softmax(g, x, dt, axis=-1):
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]          # a Softmax layer's axis=(k,): over axis k (Keras)
    if not isinstance(axis, numbers.Integral):
        _refuse(f"softmax over the axes {axis!r}", " (ONNX's Softmax takes one axis)")
    return g.node("Softmax", [x], axis=int(axis))


def _log_softmax(g, x, dt, axis=-1):
    if not isinstance(axis, numbers.Integral):
        _refuse(f"log_softmax over the axes {axis!r}", " (ONNX's LogSoftmax takes one axis)")
    return g.node("LogSoftmax", [x], axis=int(axis))


def _hard_silu(g, x, dt):
    if _f32(dt) and g.opset >= 14:
        return g.node("HardSwish", [x])        # x * max(0, min(1, x / 6 + 0.5))
    return g.node("Mul", [x, _hard_sigmoid(g, x, dt)])


def _mish(g, x, dt):
    if _f32(dt) and g.opset >= 18:
        return g.node("Mish", [x])
    return g.node("Mul", [x, g.node("Tanh", [_softplus(g, x, dt)])])


def _celu(g, x, dt, alpha=1.0):
    if _f32(dt) and alpha > 0:
        return g.node("Celu", [x], alpha=float(alpha))
    # max(x, 0) + alpha * expm1(min(x, 0) / alpha), as fastnn computes it
    a = g.const(alpha, dt)
    neg = g.node("Div", [g.node("Min", [x, g.const(0, dt)]), a])
    return g.node("Add", [g.node("Relu", [x]), g.node("Mul", [a, _expm1(g, neg, dt)])])


def _glu(g, x, dt, axis=-1):
    a, b = g.split2(x, axis)
    return g.node("Mul", [a, g.node("Sigmoid", [b])])


def _log_sigmoid(g, x, dt):
    return g.node("Neg", [_softplus(g, g.node("Neg", [x]), dt)])


def _sparse_plus(g, x, dt):
    mid = g.node("Mul", [g.const(0.25, dt),
                         g.node("Mul", [g.node("Add", [x, g.const(1, dt)])] * 2)])
    upper = g.node("Where", [g.node("Less", [x, g.const(1, dt)]), mid, x])
    return g.node("Where", [g.node("LessOrEqual", [x, g.const(-1, dt)]), g.const(0, dt),
                            upper])


def _sparse_sigmoid(g, x, dt):
    mid = g.node("Mul", [g.const(0.5, dt), g.node("Add", [x, g.const(1, dt)])])
    upper = g.node("Where", [g.node("GreaterOrEqual", [x, g.const(1, dt)]), g.const(1, dt),
                             mid])
    return g.node("Where", [g.node("LessOrEqual", [x, g.const(-1, dt)]), g.const(0, dt),
                            upper])


def _squareplus(g, x, dt, b=4):
    root = g.node("Sqrt", [g.node("Add", [g.node("Mul", [x, x]), g.const(b, dt)])])
    return g.node("Mul", [g.const(0.5, dt), g.node("Add", [x, root])])


def _soft_shrink(g, x, dt, threshold=0.5):
    t = g.const(threshold, dt)
    inner = g.node("Where", [g.node("Less", [x, g.const(-threshold, dt)]),
                             g.node("Add", [x, t]), g.const(0, dt)])
    return g.node("Where", [g.node("Greater", [x, t]), g.node("Sub", [x, t]), inner])


def _hard_shrink(g, x, dt, threshold=0.5):
    keep = g.node("Greater", [g.node("Abs", [x]), g.const(threshold, dt)])
    return g.node("Where", [keep, x, g.const(0, dt)])


def _tanh_shrink(g, x, dt):
    return g.node("Sub", [x, g.node("Tanh", [x])])


def _hard_tanh(g, x, dt):
    return _clip(g, x, dt, -1, 1)


def _threshold(g, x, dt, threshold, default_value):
    return g.node("Where", [g.node("Greater", [x, g.const(threshold, dt)]), x,
                            g.const(default_value, dt)])


def _sparsemax(g, x, dt, axis=-1):
    # max(x - tau, 0): with z sorted in descending order along the axis, the support is
    # the first k values with 1 + k z_k > z_1 + ... + z_k, and tau = (their sum - 1) / k
    axis = int(axis)
    size = g.node("Gather", [g.node("Shape", [x]), g.ints([axis])])
    srt = g.node("TopK", [x, size], n_outputs=2, axis=axis, largest=1, sorted=1)[0]
    cum = g.node("CumSum", [srt, g.ints(axis)])
    ranks = g.node("CumSum", [g.node("Expand", [g.const(1, dt), g.node("Shape", [x])]),
                              g.ints(axis)])
    on = g.node("Cast", [g.node("Greater", [g.node("Add", [g.const(1, dt),
                                                            g.node("Mul", [ranks, srt])]),
                                            cum])],
                to=g.helper.np_dtype_to_tensor_dtype(np.dtype(dt)))
    count = g.reduce("ReduceSum", on, [axis])
    total = g.reduce("ReduceSum", g.node("Mul", [srt, on]), [axis])
    tau = g.node("Div", [g.node("Sub", [total, g.const(1, dt)]), count])
    return g.node("Relu", [g.node("Sub", [x, tau])])


def _unary(op_type):
    def emit(g, x, dt):
        return g.node(op_type, [x])
    return emit


_ACTIVATIONS = {
    "relu": _relu,
    "sigmoid": _unary("Sigmoid"),
    "tanh": _unary("Tanh"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "softplus": _softplus,
    "softsign": _softsign,
    "silu": _silu,
    "gelu": _gelu,
    "hard_sigmoid": _hard_sigmoid,
    "exponential": _unary("Exp"),
    "linear": lambda g, x, dt: x,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "relu6": lambda g, x, dt: _clip(g, x, dt, 0, 6),
    "hard_silu": _hard_silu,
    "mish": _mish,
    "celu": _celu,
    "glu": _glu,
    "log_sigmoid": _log_sigmoid,
    "sparse_plus": _sparse_plus,
    "sparse_sigmoid": _sparse_sigmoid,
    "squareplus": _squareplus,
    "soft_shrink": _soft_shrink,
    "hard_shrink": _hard_shrink,
    "tanh_shrink": _tanh_shrink,
    "hard_tanh": _hard_tanh,
    "threshold": _threshold,
    "sparsemax": _sparsemax,
}


def _emit_activation(g, name, params, x):
    """The activation `name` (a key of fastnn.activations.ALL_OBJECTS) with its
    parameters applied to the _Value x; the result's _Value."""
    emit = _ACTIVATIONS.get(name)
    if emit is None:
        _refuse(f"the activation {name!r}")
    out = emit(g, x.name, x.dtype, **params)
    shape = x.shape
    if name == "glu":
        ax = params.get("axis", -1) % max(x.rank, 1)
        shape = shape[:ax] + (None if shape[ax] is None else shape[ax] // 2,) + shape[ax + 1:]
    return _Value(out, x.dtype, shape)


def _layer_activation(layer):
    """(name, params) of a layer's `activation`: a built-in function of
    fastnn.activations (ValueError for any other callable)."""
    from fastnn import activations
    fn = layer.activation
    name = getattr(fn, "_fastnn_name", None)
    if name is None or activations.ALL_OBJECTS.get(name) is not fn:
        _refuse(f"layer {layer.name!r} ({type(layer).__name__}): its activation "
                f"{getattr(fn, '__name__', fn)!r}",
                " (only the built-in activations of fastnn.activations are exported)")
    if layer.activation_name is not None:
        params = dict(layer.activation_params)
    else:
        params = dict(getattr(fn, "_fastnn_defaults", {}))
    return name, params


# ====================================================================== layers
# type -> convert(g, layer, x, out_shape) -> _Value. x is a _Value, or for the merging
# layers a list of them.

def _passthrough(g, layer, x, out_shape):
    return x


def _dense(g, layer, x, out_shape):
    if getattr(layer, "_rounds_bf16", False):     # a float32 Gemm would compute otherwise
        _refuse(f"layer {layer.name!r} under the mixed_bfloat16 dtype policy",
                " (its products take bfloat16-rounded operands)")
    x = g.cast(x, layer.dtype)
    kernel = g.initializer(np.asarray(layer.kernel, dtype=layer.dtype), "kernel")
    bias = g.initializer(np.asarray(layer.bias, dtype=layer.dtype), "bias") \
        if layer.bias is not None else None
    if x.rank == 2:
        z = g.node("Gemm", [x.name, kernel] + ([bias] if bias else []))
    else:     # Gemm takes matrices only: over the last axis of (batch, ..., features)
        z = g.node("MatMul", [x.name, kernel])
        if bias:
            z = g.node("Add", [z, bias])
    z = _Value(z, layer.dtype, x.shape[:-1] + (layer.units,))
    name, params = _layer_activation(layer)
    return _emit_activation(g, name, params, z)


def _activation(g, layer, x, out_shape):
    name, params = _layer_activation(layer)
    if x.dtype.kind != "f":
        x = g.cast(x, np.float32)          # fastnn.activations take bools as float32
    return _emit_activation(g, name, params, x)


def _batch_normalization(g, layer, x, out_shape):
    # inference: (x - moving_mean) * inv * gamma + beta, inv = 1 / sqrt(var + eps)
    # computed in double and rounded to the layer's dtype, as the C kernel does
    # the vectors shaped to broadcast along the layer's feature axis
    dt = np.dtype(layer.dtype)
    x = g.cast(x, dt)
    bshape = [1] * x.rank
    bshape[layer.axis % x.rank] = -1

    def vec(a):
        return np.asarray(a, dt).reshape(bshape)
    mv = np.asarray(layer.moving_variance, dtype=np.float64)
    inv = (1.0 / np.sqrt(mv + layer.epsilon)).astype(dt)
    y = g.node("Sub", [x.name, g.initializer(vec(layer.moving_mean), "moving_mean")])
    y = g.node("Mul", [y, g.initializer(vec(inv), "inv_std")])
    if layer.gamma is not None:
        y = g.node("Mul", [y, g.initializer(vec(layer.gamma), "gamma")])
    if layer.beta is not None:
        y = g.node("Add", [y, g.initializer(vec(layer.beta), "beta")])
    return _Value(y, dt, x.shape)


def _normalization(g, layer, x, out_shape):
    dt = np.dtype(layer.dtype)
    x = g.cast(x, dt)
    mean = g.initializer(np.asarray(layer.mean, dt).reshape(layer._stats_shape), "mean")
    scale = g.initializer(np.asarray(layer._scale(), dt), "std")
    if layer.invert:
        y = g.node("Add", [mean, g.node("Mul", [x.name, scale])])
    else:
        y = g.node("Div", [g.node("Sub", [x.name, mean]), scale])
    return _Value(y, dt, x.shape)


def _bshape(layer_axes, rank, shape):
    """The shape of a weight over `layer_axes`, broadcast against inputs of `rank`."""
    out = [1] * rank
    for d in layer_axes:
        out[d] = shape[d]
    return out


def _layer_normalization(g, layer, x, out_shape):
    from fastnn.layers.normalization import _canonical_axes
    dt = np.dtype(layer.dtype)
    x = g.cast(x, dt)
    axes = _canonical_axes(layer.axis, x.shape, layer.name)
    bshape = _bshape(axes, x.rank, x.shape)
    mean = g.reduce("ReduceMean", x.name, axes)
    d = g.node("Sub", [x.name, mean])
    var = g.reduce("ReduceMean", g.node("Mul", [d, d]), axes)
    inv = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [var, g.const(layer.epsilon, dt)])])])
    gamma = g.initializer(np.asarray(layer.gamma, dt).reshape(bshape), "gamma") \
        if layer.gamma is not None else None
    if layer.rms_scaling:
        y = g.node("Mul", [x.name, inv])
        if gamma:
            y = g.node("Mul", [y, gamma])
        return _Value(y, dt, x.shape)
    if gamma:
        inv = g.node("Mul", [inv, gamma])
    res = g.node("Neg", [g.node("Mul", [mean, inv])])
    if layer.beta is not None:
        res = g.node("Add", [res, g.initializer(np.asarray(layer.beta, dt).reshape(bshape),
                                                "beta")])
    return _Value(g.node("Add", [g.node("Mul", [x.name, inv]), res]), dt, x.shape)


def _float_in(g, layer, x):
    """fastnn.layers.layer._float_input: float inputs keep their dtype unless the layer
    was given one; others become the layer's dtype."""
    if layer._explicit_dtype is not None:
        return g.cast(x, layer._explicit_dtype)
    return x if x.dtype.kind == "f" else g.cast(x, layer.dtype)


def _unit_normalization(g, layer, x, out_shape):
    from fastnn.layers.normalization import _canonical_axes
    x = _float_in(g, layer, x)
    axes = _canonical_axes(layer.axis, x.shape, layer.name)
    ss = g.reduce("ReduceSum", g.node("Mul", [x.name, x.name]), axes)
    floor = g.const(layer._EPSILON * layer._EPSILON, x.dtype)
    inv = g.node("Reciprocal", [g.node("Sqrt", [g.node("Max", [ss, floor])])])
    return _Value(g.node("Mul", [x.name, inv]), x.dtype, x.shape)


def _rms_normalization(g, layer, x, out_shape):
    # x * 1 / sqrt(mean(x * x) + epsilon) * scale, the scale along the normalised axes
    from fastnn import backend
    dt = np.dtype(layer.dtype)
    x = g.cast(x, dt)
    axes = sorted(layer._axes(x.shape))
    eps = backend.epsilon() if layer.epsilon is None else layer.epsilon
    ms = g.reduce("ReduceMean", g.node("Mul", [x.name, x.name]), axes)
    inv = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [ms, g.const(eps, dt)])])])
    scale = g.initializer(np.asarray(layer.scale, dt).reshape(_bshape(axes, x.rank, x.shape)),
                          "scale")
    return _Value(g.node("Mul", [g.node("Mul", [x.name, inv]), scale]), dt, x.shape)


def _prelu(g, layer, x, out_shape):
    # Keras' formula, relu(x) - alpha * relu(-x); alpha broadcasts from the last axis
    dt = np.dtype(layer.dtype)
    x = g.cast(x, dt)
    alpha = g.initializer(np.asarray(layer.alpha, dt), "alpha")
    neg = g.node("Mul", [alpha, g.node("Relu", [g.node("Neg", [x.name])])])
    return _Value(g.node("Sub", [g.node("Relu", [x.name]), neg]), dt, x.shape)


def _rescaling(g, layer, x, out_shape):
    x = _float_in(g, layer, x)
    with np.errstate(over="ignore"):
        scale = np.asarray(layer._scale, x.dtype)
        offset = np.asarray(layer._offset, x.dtype)
    y = g.node("Mul", [x.name, g.initializer(scale, "scale")])
    if np.any(offset != 0):
        y = g.node("Add", [y, g.initializer(offset, "offset")])
    return _Value(y, x.dtype, x.shape)


def _flatten(g, layer, x, out_shape):
    name = x.name
    if layer.data_format == "channels_first" and len(x.shape) > 2:
        # Keras: (batch, channels, ...) -> (batch, ..., channels) first
        rank = len(x.shape)
        name = g.node("Transpose", [name], perm=[0, *range(2, rank), 1])
    return _Value(g.node("Flatten", [name], axis=1), x.dtype, out_shape)


def _reshape(g, layer, x, out_shape):
    from fastnn.layers.reshaping import _reshaped
    target = tuple(layer.target_shape)
    if None not in x.shape[1:]:
        target = tuple(_reshaped(x.shape[1:], target, layer.name))
    if 0 in target:
        if g.opset < 14:
            _refuse(f"layer {layer.name!r} (Reshape to {layer.target_shape}, a size 0) at "
                    f"opset {g.opset}", " before opset 14 (Reshape's allowzero)")
        batch = g.node("Slice", [g.node("Shape", [x.name]), g.ints([0]), g.ints([1])])
        shape = g.node("Concat", [batch, g.ints(target)], axis=0)
        return _Value(g.node("Reshape", [x.name, shape], allowzero=1), x.dtype, out_shape)
    # -1 (or 0: copy) for the batch axis; at most one -1 in target
    first = 0 if -1 in target else -1
    return _Value(g.node("Reshape", [x.name, g.ints((first,) + target)]), x.dtype, out_shape)


def _permute(g, layer, x, out_shape):
    perm = [0] + [int(d) for d in layer.dims]
    return _Value(g.node("Transpose", [x.name], perm=perm), x.dtype, out_shape)


def _repeat_vector(g, layer, x, out_shape):
    y = g.node("Unsqueeze", [x.name, g.ints([1])])
    return _Value(g.node("Tile", [y, g.ints([1, layer.n, 1])]), x.dtype, out_shape)


def _embedding(g, layer, x, out_shape):
    if layer.mask_zero:
        _refuse(f"layer {layer.name!r} (Embedding with mask_zero=True)",
                " (masks are not exported: the layers after it would average and compute "
                "over the padding steps)")
    idx = x if x.dtype == np.int64 else g.cast(x, np.int64)
    table = g.initializer(np.asarray(layer.embeddings, dtype=layer.dtype), "embeddings")
    return _Value(g.node("Gather", [table, idx.name], axis=0), layer.dtype, out_shape)


def _global_pooling(op_type):
    def convert(g, layer, x, out_shape):
        y = g.reduce(op_type, x.name, [layer._axis()], keepdims=layer.keepdims)
        return _Value(y, x.dtype, out_shape)
    return convert


def _encode(g, layer, idx, mode, depth, out_shape, keep=None):
    """Keras' encode_categorical_inputs on int64 indices (fastnn.layers.preprocessing
    ._encode): one_hot adds an axis (replacing a trailing axis of 1), multi_hot and
    count reduce axis 1. `keep`: a bool tensor of idx's shape, False where a value is
    not encoded (IntegerLookup's mask token)."""
    dt = np.dtype(layer.dtype)
    x = idx.name
    if mode == "one_hot":
        if idx.rank > 1 and idx.shape[-1] == 1:
            x = g.node("Squeeze", [x, g.ints([idx.rank - 1])])
            if keep is not None:
                keep = g.node("Squeeze", [keep, g.ints([idx.rank - 1])])
    elif idx.rank < 2:
        _refuse(f"layer {layer.name!r} ({type(layer).__name__}, output_mode={mode!r}) on "
                f"inputs of rank {idx.rank}", " (fastnn takes a rank-1 input as one sample, "
                "without a batch axis)")
    # idx[..., None] == arange(depth), as 0 / 1 (ONNX Runtime's OneHot has no float64)
    eq = g.node("Equal", [g.node("Unsqueeze", [x, g.ints([-1])]), g.ints(np.arange(depth))])
    if keep is not None:
        eq = g.node("And", [eq, g.node("Unsqueeze", [keep, g.ints([-1])])])
    hot = g.node("Cast", [eq], to=g.helper.np_dtype_to_tensor_dtype(dt))
    if mode != "one_hot":
        hot = g.reduce("ReduceMax" if mode == "multi_hot" else "ReduceSum", hot, [1],
                       keepdims=False)
    return _Value(hot, dt, out_shape)


def _integer_lookup(g, layer, x, out_shape):
    if layer._tokens is None or not len(layer._tokens):
        _refuse(f"layer {layer.name!r} (IntegerLookup) without a vocabulary",
                " (pass vocabulary= or call adapt() first)")
    if not layer.invert and layer.oov_method == "farmhash" and layer.num_oov_indices > 1:
        _refuse(f"layer {layer.name!r} (IntegerLookup) with oov_method='farmhash'",
                " (its hash of the unknown tokens has no ONNX operator)")
    x = x if x.dtype == np.int64 else g.cast(x, np.int64)
    i64 = g.onnx.TensorProto.INT64
    if layer.invert:
        # index -> token; an index outside the vocabulary gives oov_token (or -1)
        vocab = np.asarray(layer.get_vocabulary(), dtype=np.int64)
        inside = g.node("And", [g.node("GreaterOrEqual", [x.name, g.ints(0)]),
                                g.node("Less", [x.name, g.ints(len(vocab))])])
        clipped = g.node("Min", [g.node("Max", [x.name, g.ints(0)]), g.ints(len(vocab) - 1)])
        token = g.node("Gather", [g.initializer(vocab, "vocabulary"), clipped], axis=0)
        other = -1 if layer.oov_token is None else layer.oov_token
        return _Value(g.node("Where", [inside, token, g.ints(other)]), np.int64, out_shape)
    keys = np.asarray(layer._sorted, dtype=np.int64)          # the vocabulary, sorted
    vals = np.asarray(layer._sorted_index, dtype=np.int64)    # and each token's index
    # token -> its index: x[..., None] == keys selects at most one of vals
    eq = g.node("Cast", [g.node("Equal", [g.node("Unsqueeze", [x.name, g.ints([-1])]),
                                          g.initializer(keys, "keys")])], to=i64)
    last = [x.rank]
    idx = g.reduce("ReduceSum", g.node("Mul", [eq, g.initializer(vals, "indices")]), last,
                   keepdims=False)
    found = g.node("Greater", [g.reduce("ReduceSum", eq, last, keepdims=False), g.ints(0)])
    if layer.num_oov_indices:
        # an unknown token goes to token mod num_oov_indices (floor mod), after the mask
        oov = g.node("Add", [g.node("Mod", [x.name, g.ints(layer.num_oov_indices)]),
                             g.ints(layer._oov_start())])
    else:
        oov = g.ints(-1)     # fastnn raises; an ONNX graph cannot, it gives -1
    idx = g.node("Where", [found, idx, oov])
    masked = g.node("Equal", [x.name, g.ints(layer.mask_token)]) \
        if layer.mask_token is not None else None
    if layer.output_mode == "int":
        if masked is not None:
            idx = g.node("Where", [masked, g.ints(0), idx])
        return _Value(idx, np.int64, out_shape)
    keep = g.node("Not", [masked]) if masked is not None else None
    tf_idf = layer.output_mode == "tf_idf"
    out = _encode(g, layer, _Value(idx, np.int64, x.shape),
                  "count" if tf_idf else layer.output_mode, layer.vocabulary_size(), out_shape,
                  keep)
    if tf_idf:      # the counts times each index's inverse document frequency
        w = g.initializer(np.asarray(layer.idf_weights, dtype=out.dtype), "idf_weights")
        out = _Value(g.node("Mul", [out.name, w]), out.dtype, out_shape)
    return out


def _category_encoding(g, layer, x, out_shape):
    idx = x if x.dtype == np.int64 else g.cast(x, np.int64)
    return _encode(g, layer, idx, layer.output_mode, layer.num_tokens, out_shape)


def _discretization(g, layer, x, out_shape):
    # np.digitize(x, boundaries): the number of boundaries <= x, compared in float64
    if layer.bin_boundaries is None:
        _refuse(f"layer {layer.name!r} (Discretization) without bin_boundaries",
                " (give bin_boundaries or call adapt() first)")
    xd = g.cast(x, np.float64)
    bounds = g.initializer(np.asarray(layer.bin_boundaries, np.float64), "bin_boundaries")
    above = g.node("GreaterOrEqual", [g.node("Unsqueeze", [xd.name, g.ints([-1])]), bounds])
    count = g.reduce("ReduceSum", g.node("Cast", [above], to=g.onnx.TensorProto.INT64), [x.rank],
                     keepdims=False)
    idx = _Value(count, np.int64, x.shape)
    if layer.output_mode == "int":
        return _Value(g.cast(idx, np.int32).name, np.int32, out_shape)
    return _encode(g, layer, idx, layer.output_mode, len(layer.bin_boundaries) + 1, out_shape)


def _merged_inputs(g, layer, xs):
    """The merging layers' inputs: one dtype (NumPy's promotion), and the same rank
    (axes of size 1 inserted after the batch axis, as Keras' Merge does)."""
    if not isinstance(xs, (list, tuple)) or not all(isinstance(v, _Value) for v in xs):
        _refuse(f"layer {layer.name!r} ({type(layer).__name__}) called on {xs!r:.80}")
    dt = np.result_type(*[v.dtype for v in xs])
    xs = [g.cast(v, dt) for v in xs]
    top = max(v.rank for v in xs)
    out = []
    for v in xs:
        if v.rank < top:
            extra = top - v.rank
            v = _Value(g.node("Unsqueeze", [v.name, g.ints(list(range(1, 1 + extra)))]), dt,
                       v.shape[:1] + (1,) * extra + v.shape[1:])
        out.append(v)
    return out, dt


def _chained(op_type, mean=False):
    def convert(g, layer, xs, out_shape):
        xs, dt = _merged_inputs(g, layer, xs)
        y = xs[0].name
        for v in xs[1:]:
            y = g.node(op_type, [y, v.name])
        if mean:
            y = g.node("Div", [y, g.const(len(xs), dt)])
        return _Value(y, dt, out_shape)
    return convert


def _concatenate(g, layer, xs, out_shape):
    xs, dt = _merged_inputs(g, layer, xs)
    return _Value(g.node("Concat", [v.name for v in xs], axis=int(layer.axis)), dt, out_shape)


def _dot(g, layer, xs, out_shape):
    xs, dt = _merged_inputs(g, layer, xs)
    if len(xs) != 2:
        _refuse(f"layer {layer.name!r} (Dot) on {len(xs)} inputs")
    x, y = xs
    a1, a2 = layer._axes_for(x.rank, y.rank)
    if layer.normalize:
        x, y = (_Value(_l2_normalize(g, v, a), dt, v.shape) for v, a in ((x, a1), (y, a2)))
    xrest = x.shape[1:a1] + x.shape[a1 + 1:]
    yrest = y.shape[1:a2] + y.shape[a2 + 1:]
    if None in xrest or None in yrest or (x.shape[a1] is None and y.shape[a2] is None):
        _refuse(f"layer {layer.name!r} (Dot) on inputs of unknown sizes {x.shape}, {y.shape}")
    k = x.shape[a1] if x.shape[a1] is not None else y.shape[a2]
    m, n = math.prod(xrest), math.prod(yrest)
    # (b, *xrest, k) @ (b, k, *yrest), each as one matrix per sample
    xp = [0] + [d for d in range(1, x.rank) if d != a1] + [a1]
    yp = [0, a2] + [d for d in range(1, y.rank) if d != a2]
    xm = g.node("Reshape", [g.node("Transpose", [x.name], perm=xp), g.ints([-1, m, k])])
    ym = g.node("Reshape", [g.node("Transpose", [y.name], perm=yp), g.ints([-1, k, n])])
    z = g.node("MatMul", [xm, ym])
    shape = xrest + yrest
    z = g.node("Reshape", [z, g.ints([-1] + list(shape or (1,)))])
    return _Value(z, dt, out_shape)


def _l2_normalize(g, v, axis):
    """v / max(||v||_2 over axis, 1e-7) (fastnn.autodiff.ops.normalize)."""
    norm = g.node("Sqrt", [g.reduce("ReduceSum", g.node("Mul", [v.name, v.name]), [axis])])
    return g.node("Div", [v.name, g.node("Max", [norm, g.const(1e-7, v.dtype)])])


def _layer_table():
    from fastnn import layers as L
    table = {
        L.InputLayer: _passthrough, L.Identity: _passthrough,
        # training-only: identity at inference
        L.Dropout: _passthrough, L.GaussianNoise: _passthrough,
        L.GaussianDropout: _passthrough, L.AlphaDropout: _passthrough,
        L.ActivityRegularization: _passthrough,
        L.Dense: _dense,
        L.Activation: _activation, L.ReLU: _activation, L.LeakyReLU: _activation,
        L.ELU: _activation, L.Softmax: _activation, L.PReLU: _prelu,
        L.BatchNormalization: _batch_normalization, L.Normalization: _normalization,
        L.LayerNormalization: _layer_normalization, L.UnitNormalization: _unit_normalization,
        L.RMSNormalization: _rms_normalization,
        L.Rescaling: _rescaling,
        L.Flatten: _flatten, L.Reshape: _reshape, L.Permute: _permute,
        L.RepeatVector: _repeat_vector,
        L.Embedding: _embedding,
        L.CategoryEncoding: _category_encoding, L.Discretization: _discretization,
        L.IntegerLookup: _integer_lookup,
        L.GlobalAveragePooling1D: _global_pooling("ReduceMean"),
        L.GlobalMaxPooling1D: _global_pooling("ReduceMax"),
        L.Add: _chained("Add"), L.Subtract: _chained("Sub"), L.Multiply: _chained("Mul"),
        L.Average: _chained("Add", mean=True), L.Maximum: _chained("Max"),
        L.Minimum: _chained("Min"), L.Concatenate: _concatenate, L.Dot: _dot,
    }
    return table


_LAYERS = None


def _layer_converters():
    """{layer class: converter} for every fastnn layer class with an ONNX form."""
    global _LAYERS
    if _LAYERS is None:
        _LAYERS = _layer_table()
    return _LAYERS


#: The layer classes of fastnn.layers.ALL_OBJECTS with no ONNX form, and why.
REFUSED_LAYERS = {
    "Lambda": "its function is Python code",
    "Masking": "masks are not exported: the graph would average and compute over the "
               "masked steps",
    "StringLookup": "string inputs are not exported",
    "Hashing": "string hashing has no ONNX operator",
}


# ====================================================================== models
def _convert_layer(g, layer, x, out_shape):
    """One layer (or a nested model) applied to x."""
    from fastnn.layers.layer import Layer
    from fastnn.layers.symbolic import tree_map
    from fastnn.models.model import Model
    if isinstance(layer, Model):
        return _emit_model(g, layer, x)
    convert = _layer_converters().get(type(layer))
    if convert is not None and type(layer)._as_input is Layer._as_input:
        # Layer.__call__ gives integer inputs the layer's dtype
        x = tree_map(lambda v: g.cast(v, layer.dtype) if v.dtype.kind in "iu" else v, x)
    if convert is None:
        why = REFUSED_LAYERS.get(type(layer).__name__)
        if why is None:
            why = "a layer class without an ONNX converter"
        _refuse(f"layer {layer.name!r} ({type(layer).__name__})", f" ({why})")
    scope, owner, g.scope, g.layer = g.scope, g.layer, layer.name, layer
    try:
        return convert(g, layer, x, out_shape)
    finally:
        g.scope, g.layer = scope, owner


# keras.ops functions called on symbolic tensors (x * 2.0, x + y, ops.exp(x), ...): the
# fastnn.autodiff.ops function -> its ONNX operator, or a function of the operands.
_OPS = {
    "add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div",
    "maximum": "Max", "minimum": "Min", "matmul": "MatMul", "power": "Pow",
    "negative": "Neg", "abs": "Abs", "exp": "Exp", "log": "Log", "sqrt": "Sqrt",
    "tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu",
    "square": lambda g, x: g.node("Mul", [x, x]),
}


def _op_layer(g, layer, tensors, out):
    """A keras.ops call on symbolic tensors (an OpLayer node): its tensor arguments the
    _Values `tensors`, its other arguments constants; `out` is its KerasTensor."""
    from fastnn.autodiff import ops as dops
    from fastnn.layers.symbolic import KerasTensor, tree_map
    fn = layer.fn
    name = getattr(fn, "__name__", None)
    emit = _OPS.get(name)
    if emit is None or getattr(dops, name, None) is not fn or layer._kwargs:
        _refuse(f"layer {layer.name!r} (a keras.ops call, {name or fn!r}, on symbolic "
                f"tensors)", f" (the ONNX export converts {sorted(_OPS)} without keyword "
                f"arguments; use a layer for anything else)")
    it = iter(tensors)
    args = tree_map(lambda v: next(it) if isinstance(v, KerasTensor) else v, layer._args)
    # the dtype fastnn computes in: the function's on zeros of the operands' dtypes
    with np.errstate(all="ignore"):
        probe = fn(*[np.zeros((1,) * a.rank, a.dtype) if isinstance(a, _Value) else a
                     for a in args])
    dt = np.dtype(probe.dtype)
    operands = []
    for a in args:
        if isinstance(a, _Value):
            operands.append(g.cast(a, dt).name)
        elif isinstance(a, (numbers.Real, np.ndarray, np.generic)) and \
                np.asarray(a).dtype.kind in "biuf":
            operands.append(g.const(a, dt))
        else:
            _refuse(f"layer {layer.name!r} (keras.ops.{name} on symbolic tensors) with the "
                    f"argument {a!r:.60}")
    arity = 1 if name in ("negative", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
                          "square") else 2
    if len(operands) != arity:
        _refuse(f"layer {layer.name!r} (keras.ops.{name} with {len(operands)} arguments)")
    y = emit(g, *operands) if callable(emit) else g.node(emit, operands)
    return _Value(y, dt, out.shape)


def _chain_of(model):
    """A model's layers when it is a chain of them (Sequential, or a traced subclassed
    model); ValueError otherwise."""
    from fastnn.models.functional import Functional
    if isinstance(model, Functional):
        return None
    chain = model._chain()
    if chain is None:
        _refuse(f"the subclassed model {model.name!r} ({type(model).__name__})",
                " (its call() is not a chain of its own layers, so its graph is Python "
                "code; build it as a Sequential or functional model to export it)")
    return list(chain)


def _emit_chain(g, layers, x):
    shape = x.shape
    for layer in layers:
        out_shape = None
        if getattr(layer, "output_shape", None) is not None and \
                not isinstance(layer.output_shape, (list, dict)):
            out_shape = (None,) + tuple(layer.output_shape[1:])
        if out_shape is None:
            out_shape = tuple(layer.compute_output_shape(shape))
        x = _convert_layer(g, layer, x, out_shape)
        x = _Value(x.name, x.dtype, out_shape)
        shape = out_shape
    return x


def _emit_functional(g, model, inputs):
    """The graph of a functional model, its inputs the _Values of `inputs` (in the
    order of model.inputs); its outputs as a list in the order of model.outputs."""
    from fastnn.layers.core import OpLayer
    from fastnn.layers.symbolic import KerasTensor, tree_flatten, tree_map
    values = {id(t): v for t, v in zip(model.inputs, inputs)}

    def value(t):
        return values[id(t)] if isinstance(t, KerasTensor) else t
    for node in model._nodes:
        if node.is_input:
            continue
        layer = node.layer
        if isinstance(layer, OpLayer):
            scope, owner, g.scope, g.layer = g.scope, g.layer, layer.name, layer
            try:
                out = _op_layer(g, layer, [value(t) for t in node.call_args], node.outputs[0])
            finally:
                g.scope, g.layer = scope, owner
            values[id(node.outputs[0])] = out
            continue
        extra = set(node.call_kwargs) - {"training"}
        if len(node.call_args) != 1 or extra:
            _refuse(f"layer {layer.name!r} ({type(layer).__name__}) called with "
                    f"{'keyword arguments ' + str(sorted(extra)) if extra else 'several arguments'}")
        arg = tree_map(value, node.call_args[0])
        if isinstance(arg, (dict, tuple)):
            arg = list(tree_flatten(arg))
        out_shape = tuple(node.outputs[0].shape)
        out = _convert_layer(g, layer, arg, out_shape)
        outs = out if isinstance(out, list) else [out]
        if len(outs) != len(node.outputs):
            _refuse(f"layer {layer.name!r} ({type(layer).__name__}) with "
                    f"{len(node.outputs)} outputs")
        for t, v in zip(node.outputs, outs):
            values[id(t)] = _Value(v.name, v.dtype, t.shape)
    return [values[id(t)] for t in model.outputs]


def _emit_model(g, model, x):
    """A model nested in another: its graph inlined on x (a _Value, or a list of them
    for a functional model of several inputs)."""
    from fastnn.models.functional import Functional
    if isinstance(model, Functional):
        xs = x if isinstance(x, list) else [x]
        if len(xs) != len(model.inputs):
            _refuse(f"the nested model {model.name!r} called on {len(xs)} inputs")
        outs = _emit_functional(g, model, xs)
        return outs[0] if len(outs) == 1 else outs
    if isinstance(x, list):
        _refuse(f"the nested model {model.name!r} called on a list of inputs")
    return _emit_chain(g, _chain_of(model), x)


def _model_io(model):
    """[(input name, dtype, shape)], the output names, and a function that emits the
    graph on the input _Values and returns the output _Values."""
    from fastnn.models.functional import Functional
    if model._string_input():
        _refuse("a model with an Input(dtype='string')",
                " (string inputs are not exported: the layers that take them, StringLookup "
                "and Hashing, are not)")
    if isinstance(model, Functional):
        ins = [(t._keras_history[0].name, np.dtype(t.dtype), t.shape) for t in model.inputs]
        outs = list(model.output_names)
        return ins, outs, lambda g, xs: _emit_functional(g, model, xs)
    chain = _chain_of(model)
    shape = tuple(model._build_input_shape)
    layer = getattr(model, "_input_layer", None)
    if layer is not None:
        in_name = layer.name
        dtype = np.dtype(layer._int_dtype or model.dtype)
    else:
        from fastnn.models.sequential import Sequential
        in_name = "input_layer" if isinstance(model, Sequential) else "input_0"
        dtype = np.dtype(model.dtype)
    out_name = chain[-1].name
    return [(in_name, dtype, shape)], [out_name], lambda g, xs: [_emit_chain(g, chain, xs[0])]


def _unique_names(names, taken):
    out = []
    for n in names:
        base, i, name = n, 1, n
        while name in taken:
            name = f"{base}_{i}"
            i += 1
        taken.add(name)
        out.append(name)
    return out


def _signed_inputs(ins, input_signature):
    """The model's inputs [(name, dtype, shape)] renamed (and unknown sizes fixed) by
    `input_signature`: keras.Input tensors, one per input."""
    from fastnn.layers.symbolic import KerasTensor, tree_flatten
    if input_signature is None:
        return ins
    where = "export(format='onnx'): input_signature"
    specs = tree_flatten(input_signature)
    if not specs or not all(isinstance(t, KerasTensor) for t in specs):
        bad = next((t for t in specs if not isinstance(t, KerasTensor)), input_signature)
        raise TypeError(f"{where} must be keras.Input tensors (one per model input) or None, "
                        f"got {type(bad).__name__} {bad!r:.100}")
    if len(specs) != len(ins):
        raise ValueError(f"{where} must have one tensor per model input ({len(ins)}), got "
                         f"{len(specs)}")
    out = []
    for i, ((name, dtype, shape), t) in enumerate(zip(ins, specs)):
        want = (None,) + tuple(shape[1:])
        got = (None,) + tuple(t.shape[1:])
        if len(got) != len(want) or any(w is not None and g_ != w
                                        for w, g_ in zip(want[1:], got[1:])):
            raise ValueError(f"{where}[{i}] has the shape {t.shape}; the model's input "
                             f"{name!r} takes {shape}")
        if np.dtype(t.dtype) != dtype:
            raise ValueError(f"{where}[{i}] has the dtype {t.dtype}; the model's input "
                             f"{name!r} takes {dtype.name}")
        out.append((t.name or name, dtype, got))
    return out


def to_onnx(model, opset=DEFAULT_OPSET, onnx=None, input_signature=None):
    """The ONNX ModelProto of a built fastnn model (see export_onnx).

    Parameters
    ----------
    model : fastnn.Model
        A built Sequential, functional or chain-like subclassed model.
    opset : int
        The ONNX opset to write.
    onnx : module or None
        The onnx package (imported when None).
    input_signature : None, keras.Input tensor, or a list of them
        Names (and unknown sizes) for the inputs (see export_onnx).

    Returns
    -------
    onnx.ModelProto
        The checked model (``onnx.checker.check_model`` passes).
    """
    if onnx is None:
        import onnx
    import fastnn
    if not model.built:
        raise ValueError(f"export(format='onnx'): the model {model.name!r} has not yet been "
                         f"built; build it (call it on data, fit it, or give it an Input) "
                         f"before exporting")
    ins, out_names, emit = _model_io(model)
    ins = _signed_inputs(ins, input_signature)
    in_names = _unique_names([n for n, _, _ in ins], set())
    out_names = _unique_names(out_names, set(in_names))
    g = _Graph(onnx, opset, set(in_names) | set(out_names))
    helper = onnx.helper

    def dims(shape, unknown=None):
        """The batch axis "batch"; other unknown sizes named by `unknown` (inputs:
        "dim_<input>_<axis>", as Keras names them) or left unnamed (outputs)."""
        return [_BATCH if i == 0 else
                (d if d is not None or unknown is None else unknown(i))
                for i, d in enumerate(shape)]

    inputs = [_Value(n, dt, shape) for n, (_, dt, shape) in zip(in_names, ins)]
    outputs = emit(g, inputs)
    input_names = set(in_names)
    out_infos, claimed = [], set()
    rename = {}
    for v, name in zip(outputs, out_names):
        if v.name in input_names or v.name in claimed:
            g.nodes.append(helper.make_node("Identity", [v.name], [name],
                                            name=g.unique(name + ":node")))
        else:
            rename[v.name] = name
            claimed.add(v.name)
        out_infos.append(helper.make_tensor_value_info(
            name, helper.np_dtype_to_tensor_dtype(v.dtype), dims(v.shape)))
    if rename:
        for node in g.nodes:
            for seq in (node.input, node.output):
                for i, n in enumerate(seq):
                    if n in rename:
                        seq[i] = rename[n]
    in_infos = [helper.make_tensor_value_info(
        v.name, helper.np_dtype_to_tensor_dtype(v.dtype),
        dims(v.shape, lambda axis, k=k: f"dim_{k}_{axis}")) for k, v in enumerate(inputs)]
    graph = helper.make_graph(g.nodes, model.name, in_infos, out_infos, g.initializers)
    opset_id = helper.make_opsetid("", opset)
    proto = helper.make_model(graph, opset_imports=[opset_id], producer_name="fastnn",
                              producer_version=fastnn.__version__)
    proto.ir_version = helper.find_min_ir_version_for([opset_id])
    onnx.checker.check_model(proto, full_check=True)
    return proto
