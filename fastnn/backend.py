"""keras.backend: the global settings Keras code reads and sets.

- `floatx()` / `set_floatx(dtype)`: the float type new layers and models compute in
  ('float32' by default; 'float64' supported; fastnn computes in nothing else);
- `epsilon()` / `set_epsilon(value)`: the fuzz factor (1e-7);
- `clear_session()`: layer and model names start again from `dense`, `sequential`...
  (fastnn keeps no graph or session state beyond those counters);
- `backend()`: 'fastnn'; `image_data_format()`: 'channels_last'.
"""
import numpy as np

from fastnn import _argcheck
from fastnn.tensor import get_keras_mask, set_keras_mask  # noqa: F401  (Keras' backend has them)

_FLOATX = ["float32"]
_EPSILON = [1e-7]


def floatx():
    """The default float type of new layers and models."""
    return _FLOATX[0]


def set_floatx(value):
    """Set the default float type of layers and models made from now on: 'float32' or
    'float64' (fastnn's kernels have no float16).

    Parameters
    ----------
    value : str
        ``'float32'`` or ``'float64'``.
    """
    name = np.dtype(value).name if isinstance(value, (str, type, np.dtype)) else None
    if name not in ("float32", "float64"):
        raise ValueError(f"set_floatx: value must be 'float32' or 'float64', got "
                         f"{_argcheck.shown(value)}")
    _FLOATX[0] = name


def epsilon():
    """The fuzz factor used to avoid divisions by zero (Keras' 1e-7)."""
    return _EPSILON[0]


def set_epsilon(value):
    """Set the fuzz factor ``epsilon()`` returns (Keras' ``keras.backend.set_epsilon``).

    Parameters
    ----------
    value : float
        The new value, at least 0.
    """
    _EPSILON[0] = _argcheck.real(value, "value", "set_epsilon", lo=0.0)


def clear_session(free_memory=True):
    """Start layer and model names afresh (dense, dense_1, ... again), as Keras does.
    Models already made keep working.

    Parameters
    ----------
    free_memory : bool
        Accepted for Keras compatibility (fastnn holds no graph to free).
    """
    from fastnn.layers.layer import _UIDS
    _UIDS.clear()


def backend():
    """The backend's name."""
    return "fastnn"


def image_data_format():
    """The image data format, always ``'channels_last'`` in fastnn.

    Returns
    -------
    str
        ``'channels_last'``.
    """
    return "channels_last"


def set_image_data_format(data_format):
    """Set the image data format: fastnn has no convolutions, and accepts only
    ``'channels_last'``.

    Parameters
    ----------
    data_format : str
        ``'channels_last'``.
    """
    if data_format != "channels_last":
        raise ValueError(f"set_image_data_format: fastnn has no convolutions; only "
                         f"'channels_last' is accepted, got {_argcheck.shown(data_format)}")
