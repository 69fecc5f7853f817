"""Core layers: Input / InputLayer and Dense."""
import warnings

import numpy as np

from fastnn import _argcheck, activations, constraints, initializers, regularizers
from fastnn import kernel_ops as ops
from fastnn import mixed_precision as _mixed_precision
from fastnn import _kernels
from fastnn.layers.layer import (Layer, _MAX_DIM, _as_shape, _auto_name, _initializer_config,
                                 _without_none)
from fastnn.layers.activations import _Activates, activated_shape as _activated_shape, \
    record_activation as _record_activation
from fastnn.layers.symbolic import KerasTensor, Node, tree_flatten, tree_map
from fastnn.autodiff import ops as _dops
from fastnn.autodiff.tape import record, records_backward, should_record
from fastnn.tensor import Tensor as _Tensor

# Activations whose output carries its logits for a cross-entropy on probabilities.
_LOGIT_ACTIVATIONS = ("softmax", "sigmoid")


# activation name -> what kernel_ops._resolve_activation gives for it (the same every call)
_RESOLVED = {}


def _plain(a):
    """An array without its Tensor class (for the kernels)."""
    return a.view(np.ndarray) if isinstance(a, np.ndarray) else a


def _rows(x, dtype):
    """x as rows over its last axis in `dtype`, C-contiguous: the same object when it
    already is (so that a tape keeps following it), else through recorded reshape and
    cast operations. Returns (rows, the leading shape)."""
    lead = tuple(x.shape[:-1])
    if x.ndim != 2:
        x = _dops.reshape(x, (-1, x.shape[-1]))
    if x.dtype != dtype:
        x = _dops.cast(x, dtype)
    if not x.flags.c_contiguous:
        x = _dops.copy(x)
    return x, lead


def _unrows(a, lead):
    """Rows back to the leading shape (recorded when it changes)."""
    if len(lead) == 1:
        return a if isinstance(a, _Tensor) else a.view(_Tensor)
    return _dops.reshape(a, lead + (a.shape[-1],))


class InputLayer(Layer):
    """The layer behind keras.Input: it declares the input's shape (without the batch
    axis) and dtype, and makes the symbolic tensor (KerasTensor) that a functional
    model starts from; first in a Sequential, it fixes the model's input shape.

    Parameters
    ----------
    shape : tuple of int
        The shape of one sample, without the batch axis (``None`` for a size that
        varies).
    batch_size : int, optional
        A fixed batch size. Default None: any.
    dtype : str, optional
        The input's dtype (a float type, an integer type for token indices, or
        ``'string'`` for the tokens of a StringLookup). Default:
        ``keras.backend.floatx()``.
    name : str, optional
        The layer's name (and the model input's name, used for dict inputs).
    input_shape : tuple of int, optional
        Keras 2 spelling of ``shape`` (deprecated: a warning, as in Keras).
    batch_shape : tuple, optional
        The batch size (or None) followed by the sample shape, instead of ``shape`` and
        ``batch_size``.
    input_tensor : KerasTensor, optional
        An existing symbolic tensor to wrap: its shape and dtype are the layer's, and it
        is the layer's output. The other arguments may repeat them, not contradict them.
    optional : bool
        Whether a functional model takes None for this input. Default False.
    """

    _is_input_layer = True

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None,
                 batch_shape=None, input_tensor=None, optional=False, **kwargs):
        if input_shape is not None:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.",
                          stacklevel=2)
            if shape is None:
                shape = input_shape
        if "batch_input_shape" in kwargs:            # Keras 2's name, as Keras 3 takes it
            batch_input_shape = kwargs.pop("batch_input_shape")
            if batch_shape is None:
                batch_shape = batch_input_shape
        sparse, ragged = kwargs.pop("sparse", None), kwargs.pop("ragged", None)
        if input_tensor is not None:
            # Keras: the layer wraps a given KerasTensor, whose shape and dtype the other
            # arguments may repeat but not contradict.
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(f"Input: Argument `input_tensor` must be a KerasTensor, got "
                                 f"{type(input_tensor).__name__} "
                                 f"{_argcheck.shown(input_tensor)}")
            given = input_tensor.shape
            clashes = (
                ("batch_size", batch_size, lambda v: len(given) < 1 or given[0] != v),
                ("shape", shape, lambda v: tuple(v) != given[1:]),
                ("batch_shape", batch_shape, lambda v: tuple(v) != given),
                ("dtype", dtype, lambda v: _dtype_name(v) != input_tensor.dtype),
                ("sparse", sparse, lambda v: bool(v) != input_tensor.sparse))
            for arg, value, differs in clashes:
                if value is not None and differs(value):
                    raise ValueError(f"Input: when providing the `input_tensor` argument, you "
                                     f"cannot provide an incompatible `{arg}` argument: got "
                                     f"{arg}={_argcheck.shown(value)} and a dense "
                                     f"input_tensor of shape {given} and dtype "
                                     f"{input_tensor.dtype}")
            shape, batch_size, batch_shape = None, None, given
            dtype = input_tensor.dtype
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError(f"Input: you cannot pass both `shape` and `batch_shape` at "
                                 f"the same time, got shape={_argcheck.shown(shape)} and "
                                 f"batch_shape={_argcheck.shown(batch_shape)}")
            if batch_size is not None and batch_shape is not None:
                raise ValueError(f"Input: you cannot pass both `batch_size` and `batch_shape` "
                                 f"at the same time, got batch_size="
                                 f"{_argcheck.shown(batch_size)} and batch_shape="
                                 f"{_argcheck.shown(batch_shape)}")
        if batch_shape is not None:
            # a size-0 axis is taken, as Keras does (an empty sample); the batch size is
            # a positive int or None
            batch_shape = _as_shape(batch_shape, "batch_shape", "Input", lo=0)
            if not batch_shape:
                raise ValueError("Input: batch_shape must hold the batch size (or None) and "
                                 "the sample's shape, e.g. (None, 64), got ()")
            batch_size, shape = batch_shape[0], batch_shape[1:]
            _argcheck.integer(batch_size, "batch_shape[0] (the batch size)", "Input", lo=1,
                              hi=_MAX_DIM, allow_none=True)
        batch_size = _argcheck.integer(batch_size, "batch_size", "Input", lo=1, hi=_MAX_DIM,
                                       allow_none=True)
        if shape is None:
            raise ValueError("Input: you must pass a `shape` argument (the shape of one "
                             "sample, without the batch axis, e.g. shape=(64,)) or a "
                             "`batch_shape`, got neither")
        sparse in (None, False) or _unsupported("sparse")
        ragged in (None, False) or _unsupported("ragged")
        if not isinstance(optional, (bool, np.bool_)):
            raise TypeError(f"Input: optional must be True or False, got "
                            f"{_argcheck.shown(optional)}")
        # Integer inputs (token ids for an Embedding, dtype="int64"): the tensor keeps
        # that dtype; the layer, and the model, compute in the float type.
        int_dtype = None
        try:
            if dtype is not None and isinstance(dtype, (str, type, np.dtype)) \
                    and np.dtype(dtype).kind in "iu":
                int_dtype, dtype = np.dtype(dtype).name, None
        except TypeError:
            pass
        # String inputs (dtype="string": the tokens of a StringLookup), as NumPy arrays
        # of str, bytes or objects; the layer, and the model, compute in the float type.
        if (isinstance(dtype, str) and dtype in ("string", "str")) or dtype is str \
                or (isinstance(dtype, np.dtype) and dtype.kind in "US"):
            int_dtype, dtype = "string", None
        super().__init__(name=_auto_name("input_layer") if name is None else name,
                         dtype=dtype, **kwargs)
        self._int_dtype = int_dtype
        self.shape = _as_shape(shape, "shape", "Input", lo=0)
        self.batch_size = batch_size
        self.sparse = False          # Keras' flags: fastnn has neither kind of tensor
        self.ragged = False
        # an optional input: a functional model takes None for it (Keras)
        self.optional = bool(optional)
        self.build((batch_size,) + self.shape)
        # its symbolic tensor, made by a node with no inputs
        tensor = input_tensor if input_tensor is not None else \
            KerasTensor((batch_size,) + self.shape, int_dtype or self.dtype, name=self.name)
        Node(self, (), {}, [tensor])

    @property
    def batch_shape(self):
        """Keras' batch_shape: the batch size (or None) followed by the sample shape."""
        return (self.batch_size,) + self.shape

    def call(self, inputs=None, training=False):
        return inputs       # Keras' InputLayer.call() takes nothing and gives None

    def get_config(self):
        cfg = {"name": self.name, "dtype": self._int_dtype or self.dtype,
               "batch_shape": [self.batch_size] + list(self.shape)}
        if self.optional:
            cfg["optional"] = True
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _dtype_name(dtype):
    try:
        return KerasTensor((), dtype).dtype
    except TypeError:
        return dtype


def _unsupported(argname):
    raise ValueError(f"Input: {argname} inputs are not supported by fastnn")


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, tensor=None,
          **kwargs):
    """keras.Input: a symbolic tensor (KerasTensor) of shape (batch_size,) + shape, the
    start of a functional model (keras.Model(inputs, outputs)). First in a Sequential,
    it fixes the model's input shape (the model builds at once).

    Parameters
    ----------
    shape : tuple of int
        The shape of one sample, without the batch axis, e.g. ``(64,)``; ``None``
        entries for sizes that vary.
    batch_size : int, optional
        A fixed batch size. Default None: any.
    dtype : str, optional
        The input's dtype: a float type, an integer type for token indices fed to an
        Embedding or IntegerLookup, or ``'string'`` for text tokens fed to a
        StringLookup (given to fit / predict as NumPy arrays of str, bytes or objects).
        Default: ``keras.backend.floatx()``.
    name : str, optional
        The input's name, which also names it in dict inputs to ``fit`` and
        ``predict``.
    batch_shape : tuple, optional
        The batch size (or None) followed by the sample shape, instead of ``shape`` and
        ``batch_size``.
    tensor : KerasTensor, optional
        An existing symbolic tensor to wrap (Keras' ``tensor``): its shape and dtype are
        the input's, and it is the tensor returned.
    optional : bool
        Whether a functional model takes None for this input (the layers it feeds then
        get None, as Keras does). Default False.

    Returns
    -------
    KerasTensor
        A symbolic tensor to call layers on and to pass to ``Model(inputs, outputs)``.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape, input_tensor=tensor, **kwargs)
    return layer.output


class Dense(_Activates, Layer):
    """Fully connected: a = activation(x @ kernel + bias); kernel (in, units), bias (units,).

    Parameters
    ----------
    units : int
        Number of output units (the size of the output's last axis).
    activation : str, callable or None
        The activation applied to the output: a name such as ``'relu'``, a function
        from ``fastnn.activations`` or any callable on arrays. Default None: no
        activation (linear).
    use_bias : bool
        Whether the layer adds a bias vector. Default True.
    kernel_initializer : str or initializer
        An initializer for the kernel: a name (e.g. 'glorot_uniform'), an initializer
        object or a callable ``(shape, dtype) -> array``. Default ``'glorot_uniform'``.
    bias_initializer : str or initializer
        An initializer for the bias: a name (e.g. 'zeros'), an initializer object or a
        callable ``(shape, dtype) -> array``. Default ``'zeros'``.
    kernel_regularizer : str or regularizer, optional
        A regularizer for the kernel (a name such as ``'l2'`` or a
        Regularizer object), whose penalty is added to the layer's losses. Default None.
    bias_regularizer : str or regularizer, optional
        A regularizer for the bias (a name such as ``'l2'`` or a Regularizer
        object), whose penalty is added to the layer's losses. Default None.
    name : str, optional
        The layer's name (see ``Layer``).
    kernel_constraint : str or constraint, optional
        A constraint applied to the kernel after each optimizer update (a name or a
        constraint object). Default None.
    bias_constraint : str or constraint, optional
        A constraint applied to the bias after each optimizer update (a name or a
        constraint object). Default None.
    """

    supports_masking = True     # the inputs' mask passes on (Keras)

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, name=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive int, got {_argcheck.shown(units)}")
        if units > _MAX_DIM:
            raise ValueError(f"Dense: units must be at most 2**62, got {_argcheck.shown(units)}")
        super().__init__(name=name, **kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = _argcheck.boolean(use_bias, "use_bias", "Dense")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: Dense needs inputs of shape (batch, features) with a known "
                             f"feature count, got input shape {input_shape}")
        self._weights = []
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer=self.kernel_initializer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=self.bias_initializer,
                                        constraint=self.bias_constraint)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        kernel = self.kernel
        if kernel is not None and input_shape and input_shape[-1] is not None \
                and input_shape[-1] != kernel.shape[0]:
            # Keras' input_spec (axis -1 fixed at build), checked on every call
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: '
                             f'expected axis -1 of input shape to have value '
                             f'{kernel.shape[0]}, but received input with shape '
                             f'{tuple(input_shape)}')
        return _activated_shape(self.activation, tuple(input_shape[:-1]) + (self.units,))

    def call(self, inputs, training=False):
        """activation(inputs @ kernel + bias), over the last axis. Computed by the fused
        C kernel; under a GradientTape, recorded as two operations (the affine map, then
        the activation) whose gradients are the C backward kernels. A softmax or sigmoid
        output carries its logits (`_keras_logits`), which a matching cross-entropy on
        probabilities uses instead, as Keras does."""
        x2, lead = _rows(inputs, self.dtype)
        name = self.activation_name
        if name is None:
            z = self._affine(x2)
            a = self.activation(z)
        elif name in _LOGIT_ACTIVATIONS or should_record((x2, self.kernel, self.bias)):
            z, a = self._affine_activated(x2, name)
        elif self._rounds_bf16:    # inference under mixed_bfloat16
            return _unrows(self._affine_activated(x2, name)[1], lead)
        else:      # inference: the kernel writes only the activations
            return _unrows(ops.dense(x2, self.kernel, self.bias, activation=name), lead)
        a = _unrows(a, lead)
        if name in _LOGIT_ACTIVATIONS:
            a._keras_logits = (_unrows(z, lead), name)
        return a

    def _kernels(self):
        """The dense forward and backward kernels: the C ones, or under mixed_bfloat16
        their bfloat16-GEMM counterparts (same arguments)."""
        if self._rounds_bf16:
            return _mixed_precision._dense_forward, _mixed_precision._dense_backward
        return _kernels.dense_forward, _kernels.dense_backward

    def _affine(self, x2):
        """x2 @ kernel + bias (recorded)."""
        z = np.empty((x2.shape[0], self.units), dtype=self.dtype)
        if z.size:
            self._kernels()[0](_plain(x2), _plain(self.kernel), self.bias, 0, 0.0, z, z)
        return self._record_affine(x2, z)

    def _affine_activated(self, x2, name):
        """(z, a) from one kernel pass, each recorded with its C backward kernel."""
        resolved = _RESOLVED.get(name)
        if resolved is None:
            resolved = _RESOLVED[name] = ops._resolve_activation(name, {})
        _, code, param, _ = resolved
        z = np.empty((x2.shape[0], self.units), dtype=self.dtype)
        a = np.empty_like(z)
        if z.size:
            self._kernels()[0](_plain(x2), _plain(self.kernel), self.bias, code, param, z, a)
        z = self._record_affine(x2, z)
        if code == 0:               # linear: a is z
            return z, z
        return z, _record_activation(z, a, code, param)

    def _record_affine(self, x2, z):
        inputs = (x2, self.kernel, self.bias)
        if not should_record(inputs):
            return z
        kernel, bias, dtype = self.kernel, self.bias, self.dtype
        need_dx = should_record((x2,))
        backward = self._kernels()[1]

        def vjp(gz):
            if records_backward():
                # a tape follows this gradient (nested tapes: a second derivative): the
                # products as differentiable operations, which it records
                from fastnn.autodiff import primitives as P
                return [P.matmul(gz, P.transpose(kernel)) if need_dx else None,
                        P.matmul(P.transpose(x2), gz),
                        P.sum(gz, axis=0) if bias is not None else None]
            gz = np.ascontiguousarray(gz, dtype=dtype)
            # the kernel writes every element (zeros: no rows, no kernel call)
            alloc = np.empty if x2.shape[0] else np.zeros
            dk = alloc(kernel.shape, dtype=dtype)
            db = alloc(kernel.shape[1], dtype=dtype) if bias is not None else None
            dx = alloc(x2.shape, dtype=dtype) if need_dx else None
            if x2.shape[0]:
                backward(_plain(x2), _plain(kernel), gz, dk, db, dx)
            return [dx, dk, db]
        return record(inputs, z, vjp, name=f"{self.name} (Dense)")

    def logits(self, x):
        """x @ kernel + bias for rows x, before the activation: what a loss on logits
        reads (the same bits as the training forward)."""
        x2, lead = _rows(x, self.dtype)
        return _unrows(self._affine(x2), lead)

    def _regularized(self):
        return ((self.kernel_regularizer, self.kernel), (self.bias_regularizer, self.bias))

    def get_config(self):
        cfg = super().get_config()
        act = self.activation_name
        if act is None:
            act = activations.serialize(self.activation)  # raises: cannot save foreign callables
        cfg.update(units=self.units, activation=act, use_bias=self.use_bias,
                   kernel_initializer=_initializer_config(self.kernel_initializer),
                   bias_initializer=_initializer_config(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer),
                   kernel_constraint=constraints.serialize(self.kernel_constraint),
                   bias_constraint=constraints.serialize(self.bias_constraint))
        return cfg

    @classmethod
    def from_config(cls, config):
        return super().from_config(_without_none(config, ("kernel_initializer",
                                                          "bias_initializer")))


class _TensorArgument:
    """Where a revived OpLayer's arguments take a tensor (filled by its first call)."""

    def __repr__(self):
        return "<tensor argument>"


_TENSOR_ARG = _TensorArgument()
_TENSOR_TAG = "__tensor_argument__"
_TUPLE_TAG = "__tuple__"


def _getitem(x, key):
    return x[key]


_getitem.__name__ = "get_item"      # the name Keras gives the op (its layer: get_item_1, ...)


def _operator_function(name):
    """The function an operator on symbolic tensors (x + y, x[1:]) calls, by its name."""
    return _getitem if name == "getitem" else getattr(_dops, name)


def _ops_function(name):
    """The public keras.ops function of this name, or None."""
    from fastnn import ops as _keras_ops
    if not isinstance(name, str) or name.startswith("_"):
        return None
    fn = getattr(_keras_ops, name, None)
    return fn if callable(fn) and not isinstance(fn, type) else None


class OpLayer(Layer):
    """A keras.ops function called on symbolic tensors in a functional model: its node
    calls the function on the values (the other arguments kept as given). Its config
    names the function (``"function"``: a keras.ops function, or ``"operator"``: the
    function of an operator such as ``+`` or ``[...]``) and holds the other arguments
    (``"arguments"``: ``{"args", "kwargs"}`` serialized, each tensor as a
    ``__tensor_argument__`` marker)."""

    def __init__(self, fn, args, kwargs, name=None, op_name=None):
        super().__init__(name=name or _auto_name(getattr(fn, "__name__", "op")))
        self.fn = fn
        self._op_name = op_name              # "add", "getitem", ...: an operator's name
        self._args, self._kwargs = args, kwargs
        self._pending = self._unfilled()     # tensor places left by from_config
        self.built = True

    def __call__(self, *args, **kwargs):
        if self._pending:             # revived from a config: its first call's tensors
            places = sum(v is _TENSOR_ARG for v in tree_flatten((self._args, self._kwargs)))
            if len(args) != places:
                raise ValueError(f"{self.name}: called with {len(args)} tensors; its config's "
                                 f"arguments take {places}")
            it = iter(args)
            fill = lambda v: next(it) if v is _TENSOR_ARG else v    # noqa: E731
            self._args, self._kwargs = tree_map(fill, self._args), tree_map(fill, self._kwargs)
            self._pending = False
        return super().__call__(*args, **kwargs)

    def _unfilled(self):
        return any(v is _TENSOR_ARG for v in tree_flatten((self._args, self._kwargs)))

    def call(self, *tensors, training=False):
        it = iter(tensors)
        args = tree_map(lambda v: next(it) if isinstance(v, KerasTensor) else v, self._args)
        kwargs = tree_map(lambda v: next(it) if isinstance(v, KerasTensor) else v, self._kwargs)
        return self.fn(*args, **kwargs)

    def _output_spec(self, args, kwargs):
        """The output KerasTensors, as Keras' compute_output_spec gives them: the
        function called on zeros twice, every unknown dimension (None, wherever it is)
        2 in the first call and 3 in the second; an output dimension that differs
        between the two is unknown (None), one that does not is known (an op that
        reduces the batch axis gives its real size). Where only the first call runs
        (a reshape that needs the size 2, say), the rule of Layer: the first dimension
        is unknown when a batch size is. A function whose result on zeros is not its
        result's spec (an inverse: zeros are singular) gives its own rule as its
        attribute `compute_output_spec(*args, **kwargs)`, called with the function's
        arguments (KerasTensors among them)."""
        rule = getattr(self.fn, "compute_output_spec", None)
        if rule is not None:
            return rule(*self._args, **self._kwargs)
        if not any(d is None for t in tree_flatten(args) if isinstance(t, KerasTensor)
                   for d in t.shape):
            return super()._output_spec(args, kwargs)
        return self._probed_spec(args, kwargs, every_axis=True)

    def _function_entry(self):
        if self._op_name is not None:
            return {"operator": self._op_name}
        name = getattr(self.fn, "__name__", None)
        public = _ops_function(name)
        if public is not None and (public is self.fn or getattr(public, "__wrapped__", None)
                                   is self.fn):
            return {"function": name}
        raise ValueError(f"{self.name}: the call of {getattr(self.fn, '__name__', self.fn)!r} "
                         "on the model's tensors cannot be saved as a config: only keras.ops "
                         "functions are named in configs; use a layer for it, or save the "
                         "weights")

    def get_config(self):
        from fastnn.serialization import serialize_keras_object
        def mark(v):
            if isinstance(v, KerasTensor) or v is _TENSOR_ARG:
                return {"class_name": _TENSOR_TAG, "config": {}}
            if isinstance(v, tuple):          # kept apart from lists: x[0, 1] is not x[[0, 1]]
                return {"class_name": _TUPLE_TAG, "config": {"items": [mark(x) for x in v]}}
            if isinstance(v, list):
                return [mark(x) for x in v]
            if isinstance(v, dict):
                return {k: mark(x) for k, x in v.items()}
            return v
        try:
            arguments = serialize_keras_object(
                {"args": [mark(a) for a in self._args],
                 "kwargs": {k: mark(v) for k, v in self._kwargs.items()}})
        except (TypeError, ValueError) as e:
            raise ValueError(f"{self.name}: the arguments of its keras.ops call cannot be "
                             f"saved as a config ({e})") from None
        return {"name": self.name, **self._function_entry(), "arguments": arguments}

    @classmethod
    def from_config(cls, config):
        from fastnn.serialization import deserialize_keras_object
        what = "OpLayer.from_config"
        if not isinstance(config, dict):
            raise TypeError(f"{what}: config must be a dict, got {type(config).__name__}")
        unknown = set(config) - {"name", "function", "operator", "arguments", "trainable",
                                 "dtype"}
        if unknown:
            raise ValueError(f"{what}: unknown keys {sorted(unknown)}; expected 'name', "
                             "'function' or 'operator', and 'arguments'")
        if ("function" in config) == ("operator" in config):
            raise ValueError(f"{what}: the config names the function under 'function' (a "
                             "keras.ops function) or 'operator', exactly one of them")
        if "operator" in config:
            op_name = config["operator"]
            if op_name not in _OPERATORS:
                raise ValueError(f"{what}: operator must be one of {sorted(_OPERATORS)}, got "
                                 f"{_argcheck.shown(op_name)}")
            fn = _operator_function(op_name)
        else:
            op_name = None
            fn = _ops_function(config["function"])
            if fn is None:
                raise ValueError(f"{what}: function must name a keras.ops function, got "
                                 f"{_argcheck.shown(config['function'])}")
            fn = getattr(fn, "__wrapped__", fn)
        arguments = config.get("arguments", {"args": [], "kwargs": {}})

        def unmark(v):
            if isinstance(v, dict):
                tag = v.get("class_name")
                if tag == _TENSOR_TAG:
                    return _TENSOR_ARG
                if tag == _TUPLE_TAG:
                    items = v.get("config", {}).get("items") if isinstance(
                        v.get("config"), dict) else None
                    if not isinstance(items, list):
                        raise ValueError(f"{what}: a {_TUPLE_TAG} argument holds its items "
                                         f"as a list, got {_argcheck.shown(v)}")
                    return tuple(unmark(x) for x in items)
                if tag is not None:
                    return deserialize_keras_object(v)
                return {k: unmark(x) for k, x in v.items()}
            if isinstance(v, list):
                return [unmark(x) for x in v]
            return v
        if not (isinstance(arguments, dict) and isinstance(arguments.get("args", []), list)
                and isinstance(arguments.get("kwargs", {}), dict)):
            raise ValueError(f"{what}: arguments must be {{\"args\": [...], \"kwargs\": "
                             f"{{...}}}}, got {_argcheck.shown(arguments)}")
        args = tuple(unmark(a) for a in arguments.get("args", []))
        kwargs = {k: unmark(v) for k, v in arguments.get("kwargs", {}).items()}
        return cls(fn, args, kwargs, name=config.get("name"), op_name=op_name)


# The operators of symbolic tensors (KerasTensor's methods) that make an OpLayer.
_OPERATORS = frozenset(("abs", "add", "divide", "getitem", "matmul", "multiply", "negative",
                        "power", "subtract"))


def op_node(fn, *args, **kwargs):
    """fn(*args, **kwargs) where some arguments are KerasTensors: an OpLayer called on
    them, its output shape from a call on zeros."""
    op_name = None
    if isinstance(fn, str):
        op_name, fn = fn, _operator_function(fn)
    tensors = [t for t in tree_flatten((args, kwargs)) if isinstance(t, KerasTensor)]
    return OpLayer(fn, args, kwargs, op_name=op_name)(*tensors)


class Identity(Layer):
    """keras.layers.Identity: returns its inputs unchanged (one array, or a list, tuple
    or dict of them). Useful as a placeholder; on the C engine it is skipped."""

    supports_masking = True     # the inputs' mask passes on (Keras)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True       # stateless: built when created, as Keras' Identity

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, inputs, training=None):
        return tree_map(lambda x: x, inputs)


class Masking(Layer):
    """keras.layers.Masking(mask_value=0.0): masks the steps of (batch, steps, features)
    inputs whose every feature equals `mask_value`: their outputs are 0, and the outputs
    carry the mask (True for the steps kept) for the layers after it, as in Keras.

    Parameters
    ----------
    mask_value : float
        The value that marks a step to mask when every feature of the step holds it.
        Default 0.0.
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        mask_value = _argcheck.real(mask_value, "mask_value", "Masking")
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def _keep(self, inputs):
        return np.any(np.asarray(inputs).view(np.ndarray) != self.mask_value, axis=-1,
                      keepdims=True)

    def compute_mask(self, inputs, previous_mask=None):
        return self._keep(inputs)[..., 0]

    def call(self, inputs):
        keep = self._keep(inputs)
        return _dops.where(keep, inputs, np.zeros((), np.asarray(inputs).dtype))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(mask_value=self.mask_value)
        return cfg
