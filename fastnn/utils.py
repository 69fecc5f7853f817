"""Utilities: the one random Generator fastnn draws from, small helpers, and pictures
(plot_history, plot_model; fastnn/visualization.py)."""
import random as _random

import numpy as np

from fastnn import _argcheck, _kernels
# re-exported; matplotlib is imported only when they run
from fastnn.visualization import plot_history, plot_model  # noqa: F401
# keras.utils' names for keras.saving's serialization and registration functions
from fastnn.serialization import (CustomObjectScope, custom_object_scope,  # noqa: F401
                                  deserialize_keras_object, get_custom_objects,
                                  get_registered_name, get_registered_object,
                                  register_keras_serializable, serialize_keras_object)

# One seeded Generator for initialisers, shuffling (one draw per epoch) and dropout:
# set_random_seed(s) replaces it, so the same seed gives bitwise the same weights and
# batches.
_RNG = np.random.default_rng()


def set_random_seed(seed):
    """Seed fastnn (and Python's `random` and NumPy's legacy global state, as Keras).

    Parameters
    ----------
    seed : int
        The seed, at least 0.
    """
    seed = seed_generator(seed, "set_random_seed")
    _random.seed(seed)
    np.random.seed(seed % (2 ** 32))


def seed_generator(seed, what="seed_generator"):
    """Seed fastnn's own generator only (weights, shuffles, dropout); returns the seed.

    Parameters
    ----------
    seed : int
        The seed.
    what : str
        The name shown in errors.

    Returns
    -------
    int
        The seed.
    """
    global _RNG
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{what}: seed must be a non-negative int, got {_argcheck.shown(seed)}")
    seed = int(seed)
    _RNG = np.random.default_rng(seed)
    return seed


def get_rng():
    """The Generator fastnn draws from now (changes when set_random_seed is called)."""
    return _RNG


def epoch_orders(count, n, shuffle=True):
    """Row orders of the next `count` epochs, a (count, n) int64 array: random
    permutations, each keyed by one draw from fastnn's generator (drawing one epoch at a
    time or many at once consumes the stream alike: the same orders), or 0..n-1 when
    shuffle is False (nothing drawn).

    Parameters
    ----------
    count : int
        The number of epochs.
    n : int
        The number of rows.
    shuffle : bool
        Whether to shuffle. Default True.

    Returns
    -------
    numpy.ndarray
        A ``(count, n)`` int64 array.
    """
    count = _argcheck.integer(count, "count", "epoch_orders", lo=0, hi=2 ** 48)
    n = _argcheck.integer(n, "n", "epoch_orders", lo=0, hi=2 ** 48)
    return _epoch_orders(count, n, shuffle)


def _epoch_orders(count, n, shuffle):
    """epoch_orders for counts the caller has checked (the training loops)."""
    if not shuffle:
        return np.tile(np.arange(n, dtype=np.int64), (count, 1))
    keys = _epoch_keys(_RNG, count)
    if n == 1:      # (the keys drawn all the same: the stream moves as for any n)
        return np.zeros((count, 1), np.int64)
    return _kernels.permutations(keys, n)


def _epoch_keys(rng, count):
    """`count` draws of rng.integers(0, 2 ** 63): the same values, and the same stream
    consumed (one 64-bit output each, its top 63 bits: NumPy's bounded draw for a
    power-of-two range never rejects), for a tenth of the call's fixed cost (6 us of a
    one-row fit). Other bit generators than PCG64 take integers itself."""
    bg = rng.bit_generator
    if type(bg) is not np.random.PCG64:
        return rng.integers(0, 2 ** 63, size=count)
    if count <= 8:     # Python ints: NumPy's shift and cast of a few values cost ~1 us
        return np.array([bg.random_raw() >> 1 for _ in range(count)], np.int64)
    return (bg.random_raw(count) >> _ONE).astype(np.int64)


_ONE = np.uint64(1)


def to_categorical(x, num_classes=None):
    """Integer labels -> one-hot matrix (as keras.utils.to_categorical): float64 for
    NumPy arrays and lists (Keras 3's dtype), a float32 fastnn Tensor for a Tensor
    (Keras' one_hot of a backend tensor). A trailing axis of size 1 is dropped first.

    Parameters
    ----------
    x : array-like or Tensor
        The integer class labels, in ``[0, num_classes)``.
    num_classes : int, optional
        The number of classes. Default None: the largest label plus one.

    Returns
    -------
    numpy.ndarray or Tensor
        One row per label, with a trailing axis of size ``num_classes``.
    """
    what = "to_categorical"
    from fastnn.tensor import Tensor
    tensor_in = isinstance(x, Tensor)
    x = _argcheck.real_array(x, "x", what)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    num_classes = _argcheck.integer(num_classes, "num_classes", what, lo=1, hi=2 ** 31,
                                    allow_none=True)
    if x.size:
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(x).all() and np.all(np.equal(np.mod(x, 1), 0))
        if not whole or x.min() < 0:
            raise ValueError(f"{what}: x must hold non-negative integers (class indices), got "
                             f"values in [{x.min()}, {x.max()}]")
        top = x.max()
        limit = num_classes if num_classes is not None else 2 ** 31
        if top >= limit:
            raise ValueError(
                f"{what}: x holds class index {top}, which needs num_classes > {top}, got "
                f"num_classes={num_classes}" if num_classes is not None else
                f"{what}: x holds class index {top}: one-hot rows of {top + 1} columns are "
                f"too large (indices must be < 2**31)")
    x = x.astype(np.int64)
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    out = np.zeros(x.shape + (num_classes,), dtype=np.float32 if tensor_in else np.float64)
    np.put_along_axis(out, x[..., None], 1.0, axis=-1)
    if tensor_in:
        from fastnn.autodiff.core_ops import convert_to_tensor
        return convert_to_tensor(out)
    return out


def normalize(x, axis=-1, order=2):
    """keras.utils.normalize: x divided by its `order`-norm along `axis` (rows of zeros
    stay zeros).

    Parameters
    ----------
    x : array-like
        The array.
    axis : int
        The axis of the norm. Default -1.
    order : int
        The order of the norm. Default 2.

    Returns
    -------
    numpy.ndarray
        The normalised array.
    """
    x = _argcheck.real_array(x, "x", "normalize")
    order = _argcheck.integer(order, "order", "normalize", lo=1)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


# keras.utils names that live with the data adapters (imported when first used)
_LAZY = {"PyDataset": "py_dataset", "Sequence": "py_dataset",
         "unpack_x_y_sample_weight": "data_adapter_utils",
         "pack_x_y_sample_weight": "data_adapter_utils"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(f"fastnn.trainers.data_adapters.{_LAZY[name]}")
        return getattr(module, name)
    if name == "model_to_dot":
        raise AttributeError("fastnn.utils has no model_to_dot: Keras' returns a pydot graph "
                             "for Graphviz, and fastnn draws models with matplotlib alone; "
                             "use plot_model(model, to_file=...) for the picture")
    raise AttributeError(f"module 'fastnn.utils' has no attribute {name!r}")
