"""Layers (keras.layers): Dense, Input/InputLayer, Activation, Dropout,
BatchNormalization, Flatten.

A layer declares its weights in `build` and its math in `call` (inference) plus the
training pair `forward` / `backward` that Sequential's layer-by-layer step uses.
Weights are C-contiguous NumPy arrays of the layer dtype, updated in place.
"""
import math
import re

import numpy as np

from fastnn import _argcheck, activations, initializers, regularizers, utils
from fastnn import ops
from fastnn import _kernels
from fastnn import _registry
from fastnn.tensor import Variable as _Variable, as_tensor as _as_tensor

_UIDS = {}


def _auto_name(prefix):
    # Keras' naming: dense, dense_1, dense_2, ...
    uid = _UIDS.get(prefix, 0) + 1
    _UIDS[prefix] = uid
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _as_shape(shape, argname, owner):
    """A shape argument (an int, or a sequence of ints >= 1 and None) as a tuple."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{owner}: {argname} must be a tuple of positive ints (None for an "
                        f"unknown size), got {type(shape).__name__} {_argcheck.shown(shape)}")
    return tuple(None if d is None else
                 _argcheck.integer(d, f"{argname}[{i}]", owner, lo=1, hi=_MAX_DIM)
                 for i, d in enumerate(shape))


# A size no array can have: 2**62 elements (the largest a 64-bit NumPy array of bytes
# could address is 2**63 - 1).
_MAX_DIM = 2 ** 62


_FLOAT_DTYPES = ("float32", "float64")


def _check_dtype(dtype, owner):
    if dtype is None:
        return None
    name = np.dtype(dtype).name
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"{owner}: dtype must be 'float32' or 'float64', got {dtype!r}")
    return name


class Layer:
    """Base layer. Subclasses set weights in build() and math in call()/forward()/backward()."""

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, **kwargs):
        owner = type(self).__name__
        if kwargs:
            raise TypeError(f"{owner}: unexpected keyword argument(s) {sorted(kwargs)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{owner}: name must be a string, got {name!r}")
        self.name = name or _auto_name(_snake(owner))
        self.trainable = bool(trainable)
        self._explicit_dtype = _check_dtype(dtype, owner)
        self.dtype = self._explicit_dtype or "float32"
        self.built = False
        self._weights = []          # list of (name, array, trainable)
        self.grads = []             # gradients of trainable weights after backward()
        # Keras 2 style input_shape=/input_dim= on the first layer (Keras 3 warns; we accept).
        self._input_shape_arg = None
        if batch_input_shape is not None:
            self._input_shape_arg = _as_shape(batch_input_shape, "batch_input_shape", owner)
        elif input_shape is not None:
            self._input_shape_arg = (None,) + _as_shape(input_shape, "input_shape", owner)
        elif input_dim is not None:
            self._input_shape_arg = (None,) + _as_shape(input_dim, "input_dim", owner)
        self.input_shape = None
        self.output_shape = None

    # -- weights -----------------------------------------------------------------
    def __setattr__(self, name, value):
        # Assigning to an attribute that holds one of the layer's weights (layer.kernel =
        # ..., as Keras code sometimes does instead of .assign) sets its values in place:
        # the layer, the model and the C engine keep that one array, and a value of
        # another shape is refused instead of being read past its end later. build()
        # clears the weight list before making new weights, so it may replace them.
        cur = self.__dict__.get(name)
        if isinstance(cur, _Variable) and value is not cur \
                and any(w is cur for _, w, _ in self.__dict__.get("_weights", ())):
            try:
                cur.assign(value)
            except (ValueError, TypeError) as e:
                raise type(e)(f"{self.name}.{name}: {e}") from None
            return
        object.__setattr__(self, name, value)

    def add_weight(self, name, shape, initializer, trainable=True):
        shape = tuple(shape)
        nbytes = math.prod(shape) * np.dtype(self.dtype).itemsize
        if nbytes >= 2 ** 63:
            raise ValueError(f"{self.name}: the weight {name} of shape {shape} would need "
                             f"{nbytes:.3g} bytes, more than any array can hold")
        value = initializers.get(initializer)(shape, dtype=self.dtype)
        value = np.ascontiguousarray(value, dtype=self.dtype).view(_Variable)
        self._weights.append((name, value, trainable))
        return value

    @property
    def weights(self):
        return [w for _, w, t in self._weights if t] + [w for _, w, t in self._weights if not t]

    @property
    def trainable_weights(self):
        return [w for _, w, t in self._weights if t] if self.trainable else []

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for _, w, t in self._weights if not t]

    @property
    def weight_names(self):
        return [n for n, _, t in self._weights if t] + [n for n, _, t in self._weights if not t]

    def get_weights(self):
        return [np.array(w) for w in self.weights]   # plain arrays, as Keras gives

    def set_weights(self, weights):
        """Copy `weights` (a list in get_weights() order) into the layer, after checking
        the count and every shape; the layer is unchanged if any check fails."""
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"{self.name}.set_weights: expected {len(mine)} arrays "
                             f"{[w.shape for w in mine]}, got {len(weights)}")
        arrays = []
        for i, (w, new) in enumerate(zip(mine, weights)):
            a = np.asarray(new)
            if a.shape != w.shape:
                raise ValueError(f"{self.name}.set_weights: weight {i} ({self.weight_names[i]}) "
                                 f"expected shape {w.shape}, got {a.shape}")
            if a.dtype.kind not in "fiub":
                raise TypeError(f"{self.name}.set_weights: weight {i} must be numeric, got dtype {a.dtype}")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{self.name}.set_weights: weight {i} ({self.weight_names[i]}) "
                                 f"contains NaN or Inf")
            arrays.append(a)
        for w, a in zip(mine, arrays):
            w[...] = a  # in place: the arrays stay the model's own, C-contiguous

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    def _regularized(self):
        """(regularizer or None, weight or None) pairs, in the order their terms add up."""
        return ()

    def _plus_reg_grads(self, grads):
        """The gradients of the weights _regularized() lists (those the layer has, in
        order) plus their regularizers' gradients."""
        pairs = [(reg, w) for reg, w in self._regularized() if w is not None]
        return [g if reg is None else g + reg.grad(w) for g, (reg, w) in zip(grads, pairs)]

    def regularization_loss(self):
        out = 0.0
        for reg, w in self._regularized():
            if reg is not None and w is not None:
                out += reg(w)
        return out

    # -- building and calling ---------------------------------------------------
    def build(self, input_shape):
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(tuple(input_shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, x, training=False):
        raise NotImplementedError

    def __call__(self, x, training=False):
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(self.dtype)
        self._maybe_build((None,) + x.shape[1:])
        return _as_tensor(self.call(x, training=training))

    def forward(self, x, training=True):
        """Training forward pass: caches what backward() needs."""
        return self.call(x, training=training)

    def backward(self, dy, need_dx=True):
        """Gradient w.r.t. the input; fills self.grads for the trainable weights."""
        raise NotImplementedError

    # -- config -------------------------------------------------------------------
    def get_config(self):
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._input_shape_arg is not None:
            cfg["batch_input_shape"] = list(self._input_shape_arg)
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "batch_input_shape" in config and config["batch_input_shape"] is not None:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class InputLayer(Layer):
    """Declares the input shape (without the batch axis) of a Sequential model."""

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
        super().__init__(name=name or _auto_name("input_layer"), dtype=dtype, **kwargs)
        self.shape = _as_shape(shape, "shape", "Input")
        self.batch_size = batch_size
        self.build((batch_size,) + self.shape)

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


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """keras.Input: in a Sequential it fixes the input shape (the model builds at once)."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)


def _initializer_config(init):
    """An initializer as get_config stores it (None for a foreign callable)."""
    return initializers.serialize(init) if isinstance(init, initializers.Initializer) else None


def _without_none(config, keys):
    """from_config: the initializers stored as None (foreign callables) take defaults."""
    config = dict(config)
    for k in keys:
        if config.get(k) is None:
            config.pop(k, None)
    return config


def _activation_spec(activation, owner):
    """activation argument -> (name or None, params, function). The name is set for the
    built-in activations (kernel path, saveable); a foreign callable gets name None."""
    fn = activations.get(activation)
    name = getattr(fn, "_fastnn_name", None)
    params = dict(getattr(fn, "_fastnn_defaults", {}))
    return name, params, fn


class _Activates:
    """The `activation` attribute as Keras layers have it: assigning a name or function
    later changes what the layer computes from its next call on (a common way to get
    logits out of a trained classifier: model.layers[-1].activation = None)."""

    @property
    def activation(self):
        return self._activation

    @activation.setter
    def activation(self, value):
        self.activation_name, self.activation_params, self._activation = \
            _activation_spec(value, type(self).__name__)


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
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)
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


class Activation(_Activates, Layer):
    """Applies an activation function (by name or function) to its input."""

    def __init__(self, activation, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.activation = activation
        self._cache = None

    def call(self, x, training=False):
        if self.activation_name is not None:
            return ops.activation_forward(self.activation_name, x, **self.activation_params)
        return np.asarray(self.activation(x), dtype=x.dtype)

    def forward(self, x, training=True):
        a = self.call(x)
        self._cache = (x, a)
        return a

    def backward(self, dy, need_dx=True, dz_given=False):
        z, a = self._cache
        self._cache = None
        self.grads = []
        if dz_given or self.activation_name == "linear":
            return dy
        if self.activation_name is None:
            raise ValueError(f"{self.name}: cannot train through the custom activation "
                             f"{self.activation!r}; use one of {activations._known()}")
        return ops.activation_grad(self.activation_name, z, a, dy, **self.activation_params)

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = self.activation_name or activations.serialize(self.activation)
        return cfg


class ReLU(Activation):
    """keras.layers.ReLU (default form: max(x, 0))."""

    def __init__(self, name=None, **kwargs):
        super().__init__("relu", name=name, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        return cfg


class LeakyReLU(Activation):
    """keras.layers.LeakyReLU: the layer's slope defaults to 0.3 (the function's is 0.2)."""

    def __init__(self, negative_slope=0.3, name=None, alpha=None, **kwargs):
        if alpha is not None:  # Keras 2 spelling
            negative_slope = alpha
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float, np.floating)) \
                or not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be a finite number >= 0, got {negative_slope!r}")
        super().__init__("leaky_relu", name=name, **kwargs)
        self.negative_slope = float(negative_slope)
        self.activation_params = {"negative_slope": self.negative_slope}

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["negative_slope"] = self.negative_slope
        return cfg


class ELU(Activation):
    def __init__(self, alpha=1.0, name=None, **kwargs):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not np.isfinite(alpha):
            raise ValueError(f"ELU: alpha must be a finite number, got {alpha!r}")
        super().__init__("elu", name=name, **kwargs)
        self.alpha = float(alpha)
        self.activation_params = {"alpha": self.alpha}

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["alpha"] = self.alpha
        return cfg


class Softmax(Activation):
    """keras.layers.Softmax over the last axis."""

    def __init__(self, axis=-1, name=None, **kwargs):
        if axis != -1:
            raise ValueError(f"Softmax: only axis=-1 is supported by fastnn, got {axis!r}")
        super().__init__("softmax", name=name, **kwargs)
        self.axis = -1

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["axis"] = self.axis
        return cfg


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability `rate` and scale the
    kept ones by 1/(1-rate); identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, name=None, **kwargs):
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1), got {rate!r}")
        if noise_shape is not None:
            raise ValueError(f"Dropout: noise_shape is not supported by fastnn, got {noise_shape!r}")
        super().__init__(name=name, **kwargs)
        self.rate = float(rate)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self._mask = None

    def _mask_for(self, shape, dtype):
        rng = self._rng if self._rng is not None else utils.get_rng()
        keep = rng.random(shape) >= self.rate
        return keep.astype(dtype) * np.asarray(1.0 / (1.0 - self.rate), dtype=dtype)

    def call(self, x, training=False):
        if not training or self.rate == 0:
            return x
        return x * self._mask_for(x.shape, x.dtype)

    def forward(self, x, training=True):
        if not training or self.rate == 0:
            self._mask = None
            return x
        self._mask = self._mask_for(x.shape, x.dtype)
        return x * self._mask

    def backward(self, dy, need_dx=True):
        self.grads = []
        m, self._mask = self._mask, None
        return dy if m is None else dy * m

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rate=self.rate, seed=self.seed)
        return cfg


def _check_unit_interval(value, argname, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not 0 <= value <= 1:
        raise ValueError(f"{owner}: {argname} must be a number in [0, 1], got {value!r}")
    return float(value)


class BatchNormalization(Layer):
    """keras.layers.BatchNormalization over the last axis. Training: each feature is
    normalised with the batch's mean and (biased) variance, and the moving statistics
    move towards them, moving = moving * momentum + batch * (1 - momentum). Inference,
    and training while the layer is frozen (trainable=False, as in Keras): the moving
    statistics. y = gamma * (x - mean) / sqrt(var + epsilon) + beta. Weights: gamma,
    beta (trainable), moving_mean, moving_variance."""

    _INITIALIZERS = ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                     "moving_variance_initializer")

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, name=None, **kwargs):
        owner = "BatchNormalization"
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{owner}: axis must be an int, got {axis!r}")
        self.momentum = _check_unit_interval(momentum, "momentum", owner)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.floating)) \
                or not np.isfinite(epsilon) or epsilon <= 0:
            raise ValueError(f"{owner}: epsilon must be a finite number > 0, got {epsilon!r}")
        for argname, value in (("beta_constraint", beta_constraint),
                               ("gamma_constraint", gamma_constraint),
                               ("synchronized", synchronized or None)):
            if value is not None:
                raise ValueError(f"{owner}: {argname} is not supported by fastnn, got {value!r}")
        super().__init__(name=name, **kwargs)
        self.axis = int(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._cache = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if rank < 2 or self.axis not in (-1, rank - 1) or input_shape[-1] is None:
            raise ValueError(f"{self.name}: BatchNormalization normalises the last axis of inputs "
                             f"(batch, ..., features) with a known feature count; got axis="
                             f"{self.axis} for input shape {input_shape}")
        n = input_shape[-1]
        self._weights = []
        if self.scale:
            self.gamma = self.add_weight("gamma", (n,), self.gamma_initializer)
        if self.center:
            self.beta = self.add_weight("beta", (n,), self.beta_initializer)
        self.moving_mean = self.add_weight("moving_mean", (n,), self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (n,),
                                               self.moving_variance_initializer, trainable=False)
        super().build(input_shape)

    def _run(self, x, training):
        """y, and what backward needs: the C kernels (csrc/batchnorm.c)."""
        x2 = np.ascontiguousarray(x.reshape(-1, x.shape[-1]), dtype=self.dtype)
        y = np.empty_like(x2)
        inv = np.empty(x2.shape[1], dtype=self.dtype)
        batch_stats = training and self.trainable
        if batch_stats:
            xhat = np.empty_like(x2)
            _kernels.bn_train(x2, self.gamma, self.beta, self.moving_mean,
                              self.moving_variance, self.momentum, self.epsilon, xhat, inv, y)
        else:
            xhat = None
            _kernels.bn_infer(x2, self.gamma, self.beta, self.moving_mean,
                              self.moving_variance, self.epsilon, inv, y)
        return y.reshape(x.shape), (xhat, inv, batch_stats, x.shape)

    def call(self, x, training=False):
        return self._run(x, training)[0]

    def forward(self, x, training=True):
        y, self._cache = self._run(x, training)
        return y

    def backward(self, dy, need_dx=True):
        xhat, inv, batch_stats, shape = self._cache
        self._cache = None
        dy = np.ascontiguousarray(dy.reshape(-1, shape[-1]), dtype=self.dtype)
        # frozen (inference mode): the output is an affine map of the input, whose own
        # xhat the gradients of gamma and beta would need; they are not trained then
        want = self.trainable and batch_stats
        dgamma = np.empty_like(inv) if self.scale and want else None
        dbeta = np.empty_like(inv) if self.center and want else None
        dx = np.empty_like(dy) if need_dx else None
        _kernels.bn_backward(dy, xhat, inv, self.gamma, batch_stats, dx, dgamma, dbeta)
        self.grads = self._plus_reg_grads([g for g in (dgamma, dbeta) if g is not None])
        return None if dx is None else dx.reshape(shape)

    def _regularized(self):
        return ((self.gamma_regularizer, self.gamma), (self.beta_regularizer, self.beta))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                   center=self.center, scale=self.scale,
                   **{k: _initializer_config(getattr(self, k)) for k in self._INITIALIZERS},
                   beta_regularizer=regularizers.serialize(self.beta_regularizer),
                   gamma_regularizer=regularizers.serialize(self.gamma_regularizer))
        return cfg

    @classmethod
    def from_config(cls, config):
        return super().from_config(_without_none(config, cls._INITIALIZERS))


class Normalization(Layer):
    """keras.layers.Normalization: y = (x - mean) / max(sqrt(variance), 1e-7), with a
    mean and variance per index of the kept `axis` (-1: per feature; None: one scalar
    pair), learned by adapt(data) or given as mean= and variance=; invert=True maps
    normalised values back. Adapted, its weights are mean, variance and Keras' count
    (non-trainable; count stays 0, as Keras 3 keeps it only for old files). A 1-D `data`
    or input is one feature per row, as fastnn's fit takes it. First in a model, per
    feature or by one scalar pair, the C engine applies it to each batch it gathers
    (_fused._input_norm); elsewhere the model runs on the layer-by-layer path."""

    # Keras' backend.epsilon(), the floor of the standard deviation (and fnn_input_scale's)
    _EPSILON = 1e-7

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, name=None, **kwargs):
        owner = "Normalization"
        if axis is None:
            axes = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axes = (int(axis),)
        elif isinstance(axis, (tuple, list)) and all(
                isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
            axes = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"{owner}: axis must be an int, a tuple of ints or None, got {axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError(f"{owner}: mean and variance must be given together, got "
                             f"mean={mean!r} and variance={variance!r}")
        if mean is not None:
            m, v = np.asarray(mean, dtype=np.float64), np.asarray(variance, dtype=np.float64)
            if m.shape != v.shape:
                raise ValueError(f"{owner}: mean and variance must have the same shape, got "
                                 f"{m.shape} and {v.shape}")
            if m.ndim > len(axes):
                raise ValueError(f"{owner}: mean must have at most as many dimensions as axis "
                                 f"has entries ({len(axes)}), got shape {m.shape}")
            if not (np.all(np.isfinite(m)) and np.all(np.isfinite(v)) and np.all(v >= 0)):
                raise ValueError(f"{owner}: mean must be finite and variance finite and >= 0")
        super().__init__(name=name, **kwargs)
        self.axis = axes
        self.invert = bool(invert)
        self.input_mean, self.input_variance = mean, variance
        self.mean = self.variance = self.count = None
        self._stats_shape = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 1:
            input_shape = input_shape + (1,)      # 1-D: one feature per row
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for inputs of "
                             f"shape {input_shape}")
        keep = sorted(a % ndim for a in self.axis)
        if 0 in keep:
            raise ValueError(f"{self.name}: axis {self.axis} keeps the batch axis; normalise "
                             f"over the samples with axis=-1 (per feature) or None")
        if any(input_shape[a] is None for a in keep):
            raise ValueError(f"{self.name}: the kept axes {tuple(keep)} need a known size, got "
                             f"input shape {input_shape}")
        self._keep = tuple(keep)
        self._reduce = tuple(d for d in range(ndim) if d not in keep)
        self._stats_shape = tuple(input_shape[d] if d in keep else 1 for d in range(1, ndim))
        stats = tuple(input_shape[d] for d in keep)
        self._weights = []
        if self.input_mean is None:
            self.mean = self.add_weight("mean", stats, "zeros", trainable=False)
            self.variance = self.add_weight("variance", stats, "ones", trainable=False)
            self.count = np.zeros((), np.int64).view(_Variable)
            self._weights.append(("count", self.count, False))
        else:   # given: constants broadcast to the kept axes, not weights (as Keras)
            def kept(value):
                a = np.asarray(value, dtype=np.float64)
                full = [1] * len(keep)
                if a.ndim:
                    full[len(keep) - a.ndim:] = a.shape
                try:
                    return np.ascontiguousarray(np.broadcast_to(a.reshape(full), stats),
                                                dtype=self.dtype)
                except ValueError:
                    raise ValueError(f"{self.name}: mean of shape {a.shape} does not broadcast "
                                     f"to the kept axes' shape {stats}") from None
            self.mean, self.variance = kept(self.input_mean), kept(self.input_variance)
        super().build(input_shape)

    def adapt(self, data):
        """Set mean and variance to those of `data` (an array of samples, or an iterable
        of such batches), per index of the kept axes; builds the layer if needed."""
        owner = f"{self.name}.adapt"
        if self.input_mean is not None:
            raise ValueError(f"{owner}: the layer was given mean and variance; adapt() would "
                             f"ignore them")
        if isinstance(data, np.ndarray) or hasattr(data, "__array__"):
            x = np.asarray(data)
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            # Keras: an iterable is batches, each an array ((x, y) tuples give x)
            batches = [b[0] if isinstance(b, tuple) else b for b in data]
            bad = [type(b).__name__ for b in batches if not hasattr(b, "shape")]
            if not batches or bad:
                raise TypeError(f"{owner}: an iterable data must yield batches that are arrays, "
                                f"got {bad[0] if bad else 'no batch'}; pass one array of samples "
                                f"as np.array(data)")
            x = np.concatenate([np.asarray(b) for b in batches], axis=0)
        else:
            raise TypeError(f"{owner}: data must be an array of samples or an iterable of "
                            f"batches, got {type(data).__name__}")
        if x.dtype.kind not in "biuf" or x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"{owner}: data must be a non-empty array of real numbers, got "
                             f"dtype {x.dtype} and shape {x.shape}")
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{owner}: data must be finite")
        if not self.built:
            self.build((None,) + x.shape[1:])
        elif x.ndim != len(self.input_shape) or any(x.shape[d] != self.input_shape[d]
                                                     for d in self._keep):
            raise ValueError(f"{owner}: the layer was built for inputs of shape "
                             f"{self.input_shape}, got data of shape {x.shape}")
        x = x.astype(np.float64, copy=False)
        self.mean[...] = x.mean(axis=self._reduce).reshape(self.mean.shape)
        self.variance[...] = x.var(axis=self._reduce).reshape(self.variance.shape)

    def _scale(self):
        return np.maximum(np.sqrt(self.variance), self._EPSILON).reshape(self._stats_shape)

    def call(self, x, training=False):
        x = np.asarray(x, dtype=self.dtype)
        shape = x.shape
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        mean = self.mean.reshape(self._stats_shape)
        y = mean + x * self._scale() if self.invert else (x - mean) / self._scale()
        return y.astype(self.dtype, copy=False).reshape(shape)

    def backward(self, dy, need_dx=True):
        self.grads = []
        scale = self._scale()
        return (dy * scale if self.invert else dy / scale).astype(self.dtype, copy=False)

    def get_config(self):
        cfg = super().get_config()
        tolist = lambda v: None if v is None else np.asarray(v).tolist()
        cfg.update(axis=list(self.axis), invert=self.invert, mean=tolist(self.input_mean),
                   variance=tolist(self.input_variance))
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return super().from_config(config)


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1*d2*...)."""

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        # Python ints: a product such as 2**32 * 2**32 must not wrap around in int64
        n = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], n)

    def call(self, x, training=False):
        return x.reshape(x.shape[0], -1)

    def forward(self, x, training=True):
        self._in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, need_dx=True):
        self.grads = []
        return dy.reshape(self._in_shape)


ALL_OBJECTS = {c.__name__: c for c in (InputLayer, Dense, Activation, ReLU, LeakyReLU, ELU, Softmax,
                                       Dropout, BatchNormalization, Normalization, Flatten)}


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config):
    return _registry.from_dict("layer", config, ALL_OBJECTS)


def get(identifier):
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"layer: expected a fastnn Layer or a config dict, got {identifier!r}")
