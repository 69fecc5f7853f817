"""The Layer base class (keras.layers.Layer) and what every layer family shares:
automatic names, shape and dtype arguments, config helpers."""
import math
import re

import numpy as np

from fastnn import _argcheck, initializers
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
