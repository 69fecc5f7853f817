"""Preprocessing layers: Rescaling (keras.layers.Rescaling)."""
import numbers

import numpy as np

from fastnn import _argcheck
from fastnn.autodiff import ops as _dops
from fastnn.layers.layer import Layer, _float_input


def _factor(value, argname, owner):
    """scale / offset: a real number, or an array of them (broadcast against the
    input's last axes) as a float64 array."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{owner}: {argname} must be a real number or an array of them, got "
                        f"{type(value).__name__} {_argcheck.shown(value)}")
    if isinstance(value, numbers.Real):
        return _argcheck.real(value, argname, owner)
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):
        a = np.asarray(None)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: {argname} must be a real number or an array of them, got "
                        f"{type(value).__name__} {_argcheck.shown(value)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{owner}: {argname} must be finite, got {_argcheck.shown(value)}")
    return a.astype(np.float64)


def _config_value(v):
    a = np.asarray(v)
    return float(a) if a.ndim == 0 else a.tolist()


class Rescaling(Layer):
    """keras.layers.Rescaling: y = x * scale + offset, in training and at inference
    (scale=1/255 maps [0, 255] to [0, 1]; scale=1/127.5, offset=-1 maps it to [-1, 1]).
    scale and offset are numbers or arrays broadcast against the input's last axes.
    Integer inputs become the layer's dtype; float inputs keep theirs unless the layer
    was given a dtype (Keras casts every input to the layer's compute dtype)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        owner = "Rescaling"
        self._scale = _factor(scale, "scale", owner)
        self._offset = _factor(offset, "offset", owner)
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs):
        x = _float_input(self, inputs)
        for argname, f in (("scale", self._scale), ("offset", self._offset)):
            shape = np.shape(f)
            try:
                fits = np.broadcast_shapes(tuple(x.shape), shape) == tuple(x.shape)
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{self.name}: {argname} of shape {shape} does not fit inputs "
                                 f"of shape {tuple(x.shape)}: it must broadcast against their "
                                 f"last axes without growing them")
        dtype = np.dtype(x.dtype)
        with np.errstate(over="ignore"):
            scale, offset = np.asarray(self._scale, dtype), np.asarray(self._offset, dtype)
        for argname, f in (("scale", scale), ("offset", offset)):
            if not np.all(np.isfinite(f)):
                raise ValueError(f"{self.name}: {argname} holds values too large for the "
                                 f"inputs' {dtype} (largest {np.finfo(dtype).max:.4g}), got "
                                 f"{_argcheck.shown(getattr(self, argname))}")
        y = _dops.multiply(x, scale)
        if np.any(offset != 0):
            y = _dops.add(y, offset)
        return y

    def get_config(self):
        cfg = super().get_config()
        cfg.update(scale=_config_value(self._scale), offset=_config_value(self._offset))
        return cfg
