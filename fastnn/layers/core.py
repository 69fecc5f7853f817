"""Core layers: Input / InputLayer and Dense."""
import numpy as np

from fastnn import _argcheck, activations, initializers, regularizers
from fastnn import ops
from fastnn import _kernels
from fastnn.layers.layer import (Layer, _MAX_DIM, _as_shape, _auto_name, _initializer_config,
                                 _without_none)
from fastnn.layers.activations import _Activates
from fastnn.layers.symbolic import KerasTensor, Node

class InputLayer(Layer):
    """The layer behind keras.Input: it declares the input's shape (without the batch
    axis) and dtype, and makes the symbolic tensor (KerasTensor) that a functional
    model starts from; first in a Sequential, it fixes the model's input shape."""

    _is_input_layer = True

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None,
                 batch_shape=None, **kwargs):
        if shape is None and input_shape is not None:
            shape = input_shape
        if batch_shape is not None:
            batch_shape = _as_shape(batch_shape, "batch_shape", "Input")
            if not batch_shape:
                raise ValueError("Input: batch_shape must hold the batch size (or None) and "
                                 "the sample's shape, e.g. (None, 64), got ()")
            batch_size, shape = batch_shape[0], batch_shape[1:]
        batch_size = _argcheck.integer(batch_size, "batch_size", "Input", lo=1, hi=_MAX_DIM,
                                       allow_none=True)
        if shape is None:
            raise ValueError("Input: shape is required (the shape of one sample, without the batch "
                             "axis, e.g. shape=(64,)), got None")
        kwargs.pop("sparse", None) in (None, False) or _unsupported("sparse")
        kwargs.pop("ragged", None) in (None, False) or _unsupported("ragged")
        kwargs.pop("optional", None) in (None, False) or _unsupported("optional")
        kwargs.pop("input_tensor", None) is None or _unsupported("input_tensor")
        super().__init__(name=name or _auto_name("input_layer"), dtype=dtype, **kwargs)
        self.shape = _as_shape(shape, "shape", "Input")
        self.batch_size = batch_size
        self.build((batch_size,) + self.shape)
        # its symbolic tensor, made by a node with no inputs
        tensor = KerasTensor((batch_size,) + self.shape, self.dtype, name=self.name)
        Node(self, (), {}, [tensor])

    def call(self, x, training=False):
        return x

    def forward(self, x, training=True):
        return x

    def backward(self, dy, need_dx=True):
        return dy

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "batch_shape": [self.batch_size] + list(self.shape)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _unsupported(argname):
    raise ValueError(f"Input: {argname} inputs are not supported by fastnn")


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
    """keras.Input: a symbolic tensor (KerasTensor) of shape (batch_size,) + shape, the
    start of a functional model (keras.Model(inputs, outputs)). First in a Sequential,
    it fixes the model's input shape (the model builds at once)."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape, **kwargs)
    return layer.output


class Dense(_Activates, Layer):
    """Fully connected: a = activation(x @ kernel + bias); kernel (in, units), bias (units,)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, name=None,
                 **kwargs):
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive int, got {_argcheck.shown(units)}")
        if units > _MAX_DIM:
            raise ValueError(f"Dense: units must be at most 2**62, got {_argcheck.shown(units)}")
        super().__init__(name=name, **kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = None
        self.bias = None
        self._cache = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: Dense needs inputs of shape (batch, features) with a known "
                             f"feature count, got input shape {input_shape}")
        self._weights = []
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=self.bias_initializer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def _dense(self, x):
        # The layer's own arrays go to the kernels directly (they check the shapes): the
        # public ops' argument checks were a fifth of a layer-by-layer step.
        lead = x.shape[:-1]
        x2 = np.ascontiguousarray(x.reshape(-1, x.shape[-1]), dtype=self.dtype)
        # Built-in activations (always with their default parameters here) in the fused
        # kernel; a foreign callable after a linear one (inference only).
        name = self.activation_name or "linear"
        _, code, param, _ = ops._resolve_activation(name, {})
        z = np.empty((x2.shape[0], self.units), dtype=self.dtype)
        a = np.empty_like(z)
        if z.size:
            _kernels.dense_forward(x2, self.kernel, self.bias, code, param, z, a)
        if self.activation_name is None:
            a = np.asarray(self.activation(z), dtype=self.dtype)
        return x2, z, a, lead

    def logits(self, x):
        """x @ kernel + bias for rows x (2-D), before the activation: what a loss on
        logits reads. Computed as the training forward computes it, the same bits."""
        return self._dense(x)[1]

    def call(self, x, training=False):
        if self.activation_name is None:
            _, _, a, lead = self._dense(x)
            return a.reshape(lead + (self.units,))
        # Inference: the kernel writes only the activations (no z kept).
        lead = x.shape[:-1]
        x2 = np.ascontiguousarray(x.reshape(-1, x.shape[-1]), dtype=self.dtype)
        a = ops.dense(x2, self.kernel, self.bias, activation=self.activation_name)
        return a.reshape(lead + (self.units,))

    def forward(self, x, training=True):
        x2, z, a, lead = self._dense(x)
        self._cache = (x2, z, a, lead)
        return a.reshape(lead + (self.units,))

    def backward(self, dy, need_dx=True, dz_given=False):
        """dy is d loss / d output, or d loss / d logits when dz_given (fused loss head)."""
        x2, z, a, lead = self._cache
        dy = np.ascontiguousarray(dy.reshape(-1, self.units), dtype=self.dtype)
        if dz_given or self.activation_name == "linear":
            dz = dy
        elif self.activation_name is None:
            raise ValueError(f"{self.name}: cannot train through the custom activation "
                             f"{self.activation!r}; use one of {activations._known()}")
        else:
            _, code, param, _ = ops._resolve_activation(self.activation_name,
                                                        self.activation_params)
            dz = np.empty_like(z)
            if z.size:
                _kernels.act_backward(code, param, z, a, dy, dz)
        dk = np.zeros(self.kernel.shape, dtype=self.dtype)
        db = np.zeros(self.units, dtype=self.dtype)
        dx = np.zeros(x2.shape, dtype=self.dtype) if need_dx else None
        if x2.shape[0]:
            _kernels.dense_backward(x2, self.kernel, dz, dk, db, dx)
        grads = self._plus_reg_grads([dk, db] if self.use_bias else [dk])
        self.grads = grads if self.trainable else []
        self._cache = None
        return None if dx is None else dx.reshape(lead + (x2.shape[1],))

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
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg

    @classmethod
    def from_config(cls, config):
        return super().from_config(_without_none(config, ("kernel_initializer",
                                                          "bias_initializer")))
