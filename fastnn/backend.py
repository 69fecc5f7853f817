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


def compute_output_spec(fn, *args, **kwargs):
    """The symbolic output of ``fn(*args, **kwargs)`` where arguments are KerasTensors
    (``keras.KerasTensor`` or ``keras.Input``): KerasTensors of the shapes and dtypes
    ``fn`` would return, without values.

    ``fn`` is called on zeros shaped like the symbolic arguments, twice where a size is
    unknown (None): with it 2, then 3; an output size that differs between the two is
    unknown (None). The state of ``fn`` (its variables, where it is a layer or metric,
    or a method of one) is restored afterwards: computing the spec changes nothing.

    Parameters
    ----------
    fn : callable
        The function, layer or metric to call.
    *args, **kwargs
        Its arguments, KerasTensors among them (any nesting of lists, tuples and dicts).

    Returns
    -------
    KerasTensor or a structure of them
        The output spec, in the structure ``fn`` returns; a non-array output (a Python
        number) is a 0-D KerasTensor.
    """
    import warnings
    from fastnn.layers import symbolic

    if not callable(fn):
        raise TypeError(f"compute_output_spec: fn must be a callable, got "
                        f"{type(fn).__name__} {_argcheck.shown(fn)}")
    leaves = [t for t in symbolic.tree_flatten((args, kwargs))
              if isinstance(t, symbolic.KerasTensor)]
    owner = getattr(fn, "__self__", fn)
    variables = list(getattr(owner, "variables", None) or [])
    saved = [np.array(v, copy=True) for v in variables]

    def call(size):
        def zeros(t):
            if isinstance(t, symbolic.KerasTensor):
                return np.zeros(tuple(size if d is None else d for d in t.shape), t.dtype)
            return t
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return fn(*symbolic.tree_map(zeros, args),
                          **symbolic.tree_map(zeros, kwargs))
        finally:
            for v, s in zip(variables, saved):
                v.assign(s)

    def flat(structure):        # the leaves in tree_map's order
        out = []
        symbolic.tree_map(out.append, structure)
        return out

    first = call(2)
    unknown = any(d is None for t in leaves for d in t.shape)
    flat1 = flat(first)
    flat2 = None
    if unknown:
        try:
            flat2 = flat(call(3))
        except Exception:
            flat2 = None
        if flat2 is not None and (len(flat2) != len(flat1) or any(
                np.ndim(a) != np.ndim(b) for a, b in zip(flat1, flat2))):
            flat2 = None
    specs = []
    for i, a in enumerate(flat1):
        shape = np.shape(a)
        if unknown and flat2 is None:       # only the first call ran: no size is sure
            shape = tuple(None for _ in shape)
        elif flat2 is not None:
            shape = tuple(d1 if d1 == d2 else None
                          for d1, d2 in zip(shape, np.shape(flat2[i])))
        dtype = getattr(a, "dtype", None)
        if dtype is None:
            dtype = "bool" if isinstance(a, bool) else "int32" if isinstance(a, int) \
                else floatx()
        specs.append(symbolic.KerasTensor(shape, dtype))
    it = iter(specs)
    return symbolic.tree_map(lambda a: next(it), first)


# Debugging caps on training runs (keras.config.set_max_epochs /
# set_max_steps_per_epoch), also read from the environment at import, as Keras does.
_MAX_EPOCHS = [None]
_MAX_STEPS_PER_EPOCH = [None]


def _cap(value, name, owner):
    """A cap as an int >= 0, or None (0 and None: no cap)."""
    return _argcheck.integer(value, name, owner, lo=0, allow_none=True)


def _cap_from_env(variable):
    import os
    text = os.environ.get(variable)
    if text is None:
        return None
    try:
        return _cap(int(text), variable, "environment")
    except (TypeError, ValueError):
        raise ValueError(f"the environment variable {variable} must be an int >= 0, "
                         f"got {text!r}") from None


def set_max_epochs(max_epochs):
    """Cap the number of epochs every fit() runs (for quick debugging runs of a
    program): fit(epochs=n) runs min(n, max_epochs) epochs, with a warning when it
    cuts. Also set by the environment variable ``KERAS_MAX_EPOCHS``.

    Parameters
    ----------
    max_epochs : int or None
        The most epochs a fit() runs; None (or 0) for no cap.
    """
    _MAX_EPOCHS[0] = _cap(max_epochs, "max_epochs", "set_max_epochs")


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the number of batches of every epoch of fit(), and of evaluate() and
    predict() (for quick debugging runs of a program), with a warning when it cuts.
    Also set by the environment variable ``KERAS_MAX_STEPS_PER_EPOCH``.

    Parameters
    ----------
    max_steps_per_epoch : int or None
        The most batches an epoch runs; None (or 0) for no cap.
    """
    _MAX_STEPS_PER_EPOCH[0] = _cap(max_steps_per_epoch, "max_steps_per_epoch",
                                   "set_max_steps_per_epoch")


def max_epochs():
    """The cap on the epochs of fit() (set_max_epochs), or None."""
    return _MAX_EPOCHS[0]


def max_steps_per_epoch():
    """The cap on the batches of an epoch (set_max_steps_per_epoch), or None."""
    return _MAX_STEPS_PER_EPOCH[0]


_MAX_EPOCHS[0] = _cap_from_env("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH[0] = _cap_from_env("KERAS_MAX_STEPS_PER_EPOCH")
