"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector (keras.layers, Keras 3's
arguments and shapes). Their calls are fastnn.autodiff ops, so they differentiate on a
GradientTape; they have no weights and the C engine does not run them (a model with one
trains layer by layer)."""
import math
import numbers

import numpy as np

from fastnn import _argcheck
from fastnn.autodiff import ops as _dops
from fastnn.layers.layer import Layer


def _int_tuple(value, argname, owner):
    """A tuple argument of ints (a list or tuple; TypeError for anything else)."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__") or \
            (isinstance(value, np.ndarray) and value.ndim == 0):
        raise TypeError(f"{owner}: {argname} must be a tuple of ints, got "
                        f"{type(value).__name__} {_argcheck.shown(value)}")
    value = tuple(value)
    for i, d in enumerate(value):
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral):
            raise TypeError(f"{owner}: {argname} must be a tuple of ints, got "
                            f"{type(d).__name__} {_argcheck.shown(d)} at index {i} of "
                            f"{argname}={_argcheck.shown(value)}")
    return tuple(int(d) for d in value)


class Flatten(Layer):
    """keras.layers.Flatten: ``(batch, d1, d2, ...) -> (batch, d1*d2*...)``; inputs
    ``(batch,)`` without a feature axis give ``(batch, 1)``.

    Parameters
    ----------
    data_format : str, optional
        ``'channels_last'`` (the default, fastnn's image_data_format) or
        ``'channels_first'``: the inputs are ``(batch, channels, ...)`` and are moved to
        ``(batch, ..., channels)`` before flattening, so the values come out in the
        order of channels-last data (Keras' rule).
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, "Flatten")

    def compute_output_shape(self, input_shape):
        _check_min_rank(self, input_shape)
        rest = input_shape[1:]
        # Python ints: a product such as 2**32 * 2**32 must not wrap around in int64
        n = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], n)

    def call(self, inputs, training=False):
        x = inputs
        _check_min_rank(self, np.shape(x))
        if self.data_format == "channels_first" and x.ndim > 2:
            # to channels-last: (batch, channels, ...) -> (batch, ..., channels)
            x = _dops.transpose(x, (0, *range(2, x.ndim), 1))
        return _dops.reshape(x, (x.shape[0], -1))

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


def _check_min_rank(layer, shape):
    """Keras' InputSpec(min_ndim=1): inputs with a batch axis at least."""
    if len(shape) < 1:
        raise ValueError(f"{layer.name}: expects inputs with at least 1 dimension (the batch "
                         f"axis), got shape {tuple(shape)}")


def _data_format(value, owner):
    """Keras' backend.standardize_data_format: None is image_data_format()
    ('channels_last' in fastnn); any other value, lower-cased, must be 'channels_first'
    or 'channels_last'."""
    if value is None:
        return "channels_last"
    fmt = str(value).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError(f"{owner}: The `data_format` argument must be one of "
                         f"{{'channels_first', 'channels_last'}}. Received: "
                         f"data_format={_argcheck.shown(value)}")
    return fmt


def _reshaped(input_shape, target_shape, owner):
    """Keras' compute_reshape_output_shape: target_shape with its -1 resolved from
    input_shape (None where a size of input_shape is unknown)."""
    input_shape = tuple(input_shape)
    if None in input_shape:
        return tuple(None if d == -1 else d for d in target_shape)
    size = math.prod(input_shape)
    if -1 not in target_shape:
        if size != math.prod(target_shape):
            raise ValueError(f"{owner}: the total size of the tensor must be unchanged; got "
                             f"input shape {input_shape} ({size} values per sample) and "
                             f"target_shape={target_shape} ({math.prod(target_shape)})")
        return target_shape
    known = math.prod(d for d in target_shape if d != -1)
    if known == 0 or size % known:
        raise ValueError(f"{owner}: the total size of the tensor must be unchanged, but the "
                         f"input size {size} (input shape {input_shape}) cannot be divided by "
                         f"the known sizes of target_shape={target_shape} ({known})")
    return tuple(size // known if d == -1 else d for d in target_shape)


class Reshape(Layer):
    """keras.layers.Reshape: ``(batch, ...) -> (batch, *target_shape)``. One entry of
    target_shape may be -1, the size that keeps the number of values (computed for
    each call, so inputs of several sizes pass). Stateless: built at instantiation, as
    Keras.

    Parameters
    ----------
    target_shape : tuple of int
        The output shape without the batch axis; one entry may be -1, computed from the
        number of values.
    """

    def __init__(self, target_shape, **kwargs):
        owner = "Reshape"
        target = _int_tuple(target_shape, "target_shape", owner)
        if any(d < -1 for d in target):
            raise ValueError(f"{owner}: each dimension in target_shape must be a non-negative "
                             f"integer, or -1 for a single unknown dimension; got "
                             f"target_shape={target}")
        if target.count(-1) > 1:
            raise ValueError(f"{owner}: there must be at most one unknown dimension (-1) in "
                             f"target_shape; got target_shape={target}")
        super().__init__(**kwargs)
        self.target_shape = target
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + _reshaped(input_shape[1:], self.target_shape, self.name)

    def call(self, inputs):
        x = inputs
        shape = _reshaped(x.shape[1:], self.target_shape, self.name)
        return _dops.reshape(x, (x.shape[0],) + shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["target_shape"] = self.target_shape
        return cfg


class Permute(Layer):
    """keras.layers.Permute: the axes after the batch axis reordered by `dims`, a
    permutation of 1..rank-1 (indexing starts at 1: (2, 1) swaps the two axes of a
    (batch, a, b) input).

    Parameters
    ----------
    dims : tuple of int
        A permutation of ``1 .. rank - 1``: the new order of the axes after the batch
        axis.
    """

    def __init__(self, dims, **kwargs):
        owner = "Permute"
        dims = _int_tuple(dims, "dims", owner)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"{owner}: invalid permutation argument dims; the set of indices "
                             f"in dims must be consecutive and start from 1, got dims={dims}")
        super().__init__(**kwargs)
        self.dims = dims

    def _check_rank(self, shape):
        if len(shape) != len(self.dims) + 1:
            raise ValueError(f"{self.name}: Permute(dims={self.dims}) expects inputs of rank "
                             f"{len(self.dims) + 1} (batch axis included), got shape "
                             f"{tuple(shape)}")

    def build(self, input_shape):
        self._check_rank(tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        self._check_rank(inputs.shape)
        return _dops.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        cfg = super().get_config()
        cfg["dims"] = self.dims
        return cfg


class RepeatVector(Layer):
    """keras.layers.RepeatVector: (batch, features) -> (batch, n, features), the input
    repeated n times.

    Parameters
    ----------
    n : int
        How many times the input is repeated (the size of the new axis 1).
    """

    def __init__(self, n, **kwargs):
        owner = "RepeatVector"
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{owner}: expected an integer value for n, got "
                            f"{type(n).__name__} {_argcheck.shown(n)}")
        if n <= 0:
            raise ValueError(f"{owner}: argument n should be a positive integer, got n={n}")
        super().__init__(**kwargs)
        self.n = int(n)

    def _check_rank(self, shape):
        if len(shape) != 2:
            raise ValueError(f"{self.name}: RepeatVector expects inputs of rank 2 (batch, "
                             f"features), got shape {tuple(shape)}")

    def build(self, input_shape):
        self._check_rank(tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        x = inputs
        self._check_rank(x.shape)
        return _dops.repeat(_dops.reshape(x, (x.shape[0], 1, x.shape[1])), self.n, axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg
