"""Helpers shared by the adapters and the trainer (Keras 3's `data_adapter_utils`)."""
import collections.abc
import numbers

import numpy as np

from fastnn.trainers.data_adapters import tree
from fastnn.trainers.data_adapters.array_slicing import (  # noqa: F401  (re-exported)
    DataTypeError, convert_structure, shown, to_numpy, train_validation_split)

__all__ = ["unpack_x_y_sample_weight", "pack_x_y_sample_weight", "list_to_tuple",
           "check_data_cardinality", "class_weight_to_sample_weights",
           "train_validation_split", "get_numpy_iterator", "NUM_BATCHES_FOR_TENSOR_SPEC"]

# Batches a generator adapter reads ahead to check what it yields (Keras peeks as many).
NUM_BATCHES_FOR_TENSOR_SPEC = 2


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from data given as `x`, `(x,)`, `(x, y)` or
    `(x, y, sample_weight)` (a list counts as a tuple); the missing parts are None.

    >>> x, y, sw = unpack_x_y_sample_weight((features, labels))   # sw is None
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {_brief(data)}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The tuple `fit` takes: `x` alone (wrapped as `(x,)` when it is itself a tuple or
    list, so it is not read as `(x, y)`), `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        if not isinstance(x, (tuple, list)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def list_to_tuple(maybe_list):
    """A list as a tuple (datasets stack lists into one tensor); anything else as is."""
    if isinstance(maybe_list, list):
        return tuple(maybe_list)
    return maybe_list


def check_data_cardinality(data):
    """ValueError, with Keras' message, when the arrays of `data` (`(x, y, sw)` or one
    structure) do not all have the same number of samples."""
    num_samples = set(int(i.shape[0]) for i in tree.flatten(data) if i is not None)
    if len(num_samples) > 1:
        msg = ("Data cardinality is ambiguous. "
               "Make sure all arrays contain the same number of samples.")
        parts = data if isinstance(data, tuple) else (data,)
        for label, single_data in zip(["x", "y", "sample_weight"], parts):
            sizes = ", ".join(str(i.shape[0]) for i in tree.flatten(single_data))
            msg += f"'{label}' sizes: {sizes}\n"
        raise ValueError(msg)


def _class_weight_table(class_weight):
    """`class_weight` checked as Keras checks it (a dict-like of integer keys) and, as
    fastnn checks weights, of finite numbers >= 0: an {int class: float weight} dict."""
    if not hasattr(class_weight, "items") or not hasattr(class_weight, "get"):
        raise ValueError(
            "`class_weight` must be a dict-like mapping of class indices to weights. "
            f"Received: class_weight={shown(class_weight)} of type {type(class_weight)}.")
    cleaned = {}
    for key, val in class_weight.items():
        try:
            if isinstance(key, (bool, np.bool_)):
                raise TypeError
            k = int(key)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                "`class_weight` must be a dictionary with integer keys representing class "
                f"indices. Received an invalid key: {key!r} of type {type(key)}.") from None
        if isinstance(val, (bool, np.bool_)) or not isinstance(val, numbers.Real) \
                or not np.isfinite(float(val)) or float(val) < 0:
            raise ValueError(f"`class_weight` values must be finite numbers >= 0; "
                             f"class_weight[{key!r}] is {shown(val)}")
        cleaned[k] = float(val)
    return cleaned


def _class_indices(y, what="y"):
    """The class of each sample, as Keras reads it from y: the label itself (rounded),
    a trailing axis of 1 squeezed, the argmax of one-hot rows."""
    y = to_numpy(y, what) if not isinstance(y, np.ndarray) else y
    if y.dtype.kind not in "biuf":
        raise DataTypeError(f"class_weight needs numeric labels in {what}, got dtype "
                            f"{y.dtype}")
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    if y.ndim != 1:
        raise ValueError(f"class_weight needs one label per sample in {what} (shape (n,), "
                         f"(n, 1) or one-hot (n, classes)), got labels of shape "
                         f"{y.shape}")
    if y.dtype.kind == "f":
        if y.size and not np.all(np.isfinite(y)):
            raise ValueError(f"class_weight needs finite labels in {what}; it has NaN/Inf")
        y = np.round(y)
    return y.astype(np.int64)


def class_weight_to_sample_weights(y, class_weight, dtype="float32"):
    """Per-sample weights for labels `y` from `class_weight` {class: weight}, as Keras
    does: the class is the label (rounded), the argmax of a one-hot row, or the label in
    a trailing axis of 1; a class missing from the dict weighs 1.0. Keys may be anything
    `int()` takes ("0", 1.0); `dtype` is Keras' floatx."""
    table = _class_weight_table(class_weight)
    cls = _class_indices(y)
    out = np.ones(cls.shape[0], dtype=dtype)
    if cls.size and table:
        uniq, inv = np.unique(cls, return_inverse=True)
        weights = np.array([table.get(int(c), 1.0) for c in uniq], dtype=np.float64)
        out[:] = weights[inv.reshape(-1)]
    return out


def make_class_weight_map_fn(class_weight, dtype="float32"):
    """A function `(x, y)` -> `(x, y, weights)` that weights a batch by its classes (what
    Keras maps over a `tf.data.Dataset`); it refuses batches that already carry sample
    weights and structures of several outputs."""
    table = _class_weight_table(class_weight)

    def class_weights_map_fn(*data):
        x, y, sw = unpack_x_y_sample_weight(data)
        if sw is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same "
                             "time.")
        if tree.is_nested(y) and not _is_plain_number_list(y):
            raise ValueError("`class_weight` is only supported for Models with a single "
                             "output.")
        return x, y, class_weight_to_sample_weights(y, table, dtype)

    return class_weights_map_fn


def _is_plain_number_list(v):
    from fastnn.trainers.data_adapters.array_slicing import _is_number_list
    return _is_number_list(v)


def get_numpy_iterator(iterable):
    """The batches of `iterable` with every array-like leaf (`__array__`, `.numpy()`) as a
    NumPy array."""
    def convert(x):
        if isinstance(x, np.ndarray):
            return np.asarray(x)
        if callable(getattr(x, "numpy", None)):
            return np.asarray(x.numpy())
        if hasattr(x, "__array__"):
            return np.asarray(x)
        return x

    for batch in iterable:
        yield tree.map_structure(convert, batch)


def _brief(data, limit=200):
    text = shown(data, limit)
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        text = tree._short(data, limit)
    return text
